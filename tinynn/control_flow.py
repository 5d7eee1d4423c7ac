"""``torch.cond`` and ``torch.while_loop``: PyTorch's control-flow operators, which its graph
compilers and exporters need so that a branch or a loop stays in the graph. tinynn runs eagerly,
so both are what they say, run now: the branch chosen by ``pred``, the body while ``cond_fn`` holds;
autograd records the ops they run, as it records any code."""
from .tensor import Tensor


def _truth(value, name, what):
    if isinstance(value, Tensor):
        if value.numel() != 1:
            raise RuntimeError(f"{name}: expected {what} to be bool or single-element tensor, but got a tensor of shape "
                               f"{tuple(value.shape)}")
        return bool(value.item())
    if not isinstance(value, (bool, int, float)):
        raise RuntimeError(f"{name}: expected {what} to be bool or single-element tensor, got {type(value).__name__}")
    return bool(value)


def cond(pred, true_fn, false_fn, operands=()):
    """``true_fn(*operands)`` if ``pred`` holds, else ``false_fn(*operands)``."""
    if not isinstance(operands, (tuple, list)):
        raise RuntimeError(f"cond: expected operands to be a tuple or list, got {type(operands).__name__}")
    return true_fn(*operands) if _truth(pred, "cond", "pred") else false_fn(*operands)


def while_loop(cond_fn, body_fn, carried_inputs):
    """``carried = body_fn(*carried)`` while ``cond_fn(*carried)`` holds; returns the carried values (a tuple)."""
    if not isinstance(carried_inputs, (tuple, list)):
        raise RuntimeError(f"while_loop: expected carried_inputs to be a tuple or list, got "
                           f"{type(carried_inputs).__name__}")
    carried = tuple(carried_inputs)
    while _truth(cond_fn(*carried), "while_loop", "cond_fn's result"):
        result = body_fn(*carried)
        result = tuple(result) if isinstance(result, (tuple, list)) else (result,)
        if len(result) != len(carried):
            raise RuntimeError(f"while_loop: body_fn returned {len(result)} values for {len(carried)} carried inputs")
        carried = result
    return carried
