"""``torch.nn.utils.stateless``: the older home of ``functional_call`` (now ``tinynn.func.functional_call``),
with its older argument name and PyTorch's warning that it will go."""
import warnings

from ... import func


def functional_call(module, parameters_and_buffers, args=None, kwargs=None, *, tie_weights=True, strict=False):
    """``module`` called on ``args``/``kwargs`` with ``parameters_and_buffers`` (a dict, or a tuple of
    dicts) in place of its own (see ``tinynn.func.functional_call``)."""
    warnings.warn("This function is deprecated and will be removed in a future version of PyTorch. Please use "
                  "torch.func.functional_call instead which is a drop-in replacement.", FutureWarning, stacklevel=2)
    return func.functional_call(module, parameters_and_buffers, () if args is None else args, kwargs,
                                tie_weights=tie_weights, strict=strict)


__all__ = ["functional_call"]
