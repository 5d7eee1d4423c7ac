"""Guarded training: stop at the first non-finite loss or gradient instead of training on NaN."""
from . import backend
from .sparse import stored_numbers


class NonFiniteError(FloatingPointError):
    """Training produced NaN or infinity; the message says where (epoch, step, loss or parameter)."""


def check_finite(loss, named_parameters, epoch=None, step=None):
    """Raise NonFiniteError if ``loss`` or any gradient holds NaN/inf, naming the first culprit.

    One reduction per parameter, so the check costs little next to a training step.
    """
    where = " and ".join(part for part in (f"epoch {epoch}" if epoch is not None else "",
                                           f"step {step}" if step is not None else "") if part) or "this step"
    value = loss.item()
    if value != value or value in (float("inf"), float("-inf")):
        raise NonFiniteError(f"non-finite loss {value} at {where}; lower the learning rate or check the inputs "
                             f"for NaN (pass --no-guard to train on regardless)")
    for name, param in named_parameters:
        if param.grad is None:
            continue
        numbers = stored_numbers(param.grad)
        if not bool(backend.get_array_module(numbers).isfinite(numbers).all()):
            raise NonFiniteError(f"non-finite gradient in parameter '{name}' {tuple(param.shape)} at {where} (loss {value:.6g})")
