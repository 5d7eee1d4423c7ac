"""PyTorch's ``out=`` argument on module-level functions: ``tinynn.add(a, b, out=c)`` writes the
result into c (resized first when its shape differs, as PyTorch does, with its warning when c held
values) and returns c; functions with several results take a tuple (``tinynn.sort(x, out=(v, i))``).
As PyTorch's, an out= call records no history: it is refused where a result would require grad
(outside ``no_grad``), and out tensors themselves cannot require grad. The result is computed as
usual, then converted to out's dtype where PyTorch allows it (not a float into integers)."""
import functools
import warnings

from .autograd.grad_mode import is_grad_enabled, no_grad
from .ops import promotion
from .tensor import Tensor


def write_out(name, result, out):
    results = tuple(result) if isinstance(result, (tuple, list)) else (result,)
    outs = tuple(out) if isinstance(out, (tuple, list)) else (out,)
    if not all(isinstance(r, Tensor) for r in results):
        raise TypeError(f"{name}(): it returns {type(result).__name__}, not tensors, so it takes no out= argument")
    if len(outs) != len(results) or not all(isinstance(o, Tensor) for o in outs):
        raise TypeError(f"{name}(): out= must be {'a Tensor' if len(results) == 1 else f'a tuple of {len(results)} Tensors'}"
                        f" (one per result), got {type(out).__name__}" + (f" of {len(outs)}" if isinstance(out, (tuple, list)) else ""))
    for position, (value, target) in enumerate(zip(results, outs)):
        if target.requires_grad:
            raise RuntimeError(f"{name}(): out= tensors cannot require grad (out= arguments record no history)")
        if value.requires_grad and is_grad_enabled():
            raise RuntimeError(f"{name}(): functions with out=... arguments don't support automatic differentiation, "
                               "but one of the arguments requires grad (call it under tinynn.no_grad(), or without out=)")
        if target.device != value.device:
            raise RuntimeError(f"{name}(): out= tensor {position} is on {target.device}, the result on {value.device}")
        if not promotion.can_cast(value.dtype, target.dtype):
            raise RuntimeError(f"{name}(): result type {value.dtype} can't be cast to the desired output type "
                               f"{target.dtype} of out= tensor {position}")
        if target.shape != value.shape:
            if target.numel():
                warnings.warn(f"{name}(): an output with one or more elements was resized since it had shape "
                              f"{tuple(target.shape)}, which does not match the required output shape "
                              f"{tuple(value.shape)}", UserWarning, stacklevel=3)
            target.data = value._array.astype(target.dtype, copy=True)
        else:
            with no_grad():
                target.copy_(value)
    return out


def with_out(function):
    """``function`` taking ``out=`` as well."""
    @functools.wraps(function)
    def taking_out(*args, out=None, **kwargs):
        if out is None:
            return function(*args, **kwargs)
        return write_out(function.__name__, function(*args, **kwargs), out)
    return taking_out
