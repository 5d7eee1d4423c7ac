"""Input checks shared by the layers: clear errors naming the op, what it expected and what it got."""
import functools

import numpy as np

from ...errors import DtypeError, InputError
from ...autograd import grad_mode
from ...size import as_int
from ...tensor import Tensor


def ntuple(value, n, name, what):
    """An int or n ints -> a tuple of n ints (ints of any kind: NumPy's, 0-d integer tensors); anything
    else is an error naming ``name``."""
    def is_int(v):
        return isinstance(v, (int, np.integer)) and not isinstance(v, bool)

    single = as_int(value)
    if is_int(single):
        return (int(single),) * n
    items = [as_int(v) for v in value] if isinstance(value, (tuple, list)) else None
    if items is not None and len(items) == n and all(is_int(v) for v in items):
        return tuple(int(v) for v in items)
    shape = "a pair of ints" if n == 2 else f"a tuple of {n} int" + ("s" if n > 1 else "")
    raise TypeError(f"{name}: {what} must be an int or {shape}, got {value!r}")


def pair(value, name, what):
    """An int or a pair of ints -> a pair; anything else is an error naming ``name``."""
    return ntuple(value, 2, name, what)


def check_tensor(x, name, what="input"):
    if not isinstance(x, Tensor):
        raise TypeError(f"{name}: expected {what} to be a tinynn.Tensor, got {type(x).__name__}")


def check_float(x, name, what="input", complex_ok=False):
    check_tensor(x, name, what)
    if x.dtype.kind != "f" and not (complex_ok and x.dtype.kind == "c"):
        kinds = "floating-point or complex" if complex_ok else "floating-point"
        raise DtypeError(f"{name}: expected a {kinds} {what}, got dtype {x.dtype}; convert it with .float()")


def check_bool(value, name, what):
    """PyTorch's TypeError for a switch that is not a bool (a string "False" would read as True)."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name}(): argument '{what}' must be bool, not {type(value).__name__}")


def check_constant(value, name, what):
    """A tensor argument that an op's formula takes as a constant (a loss's weight, batch norm's running
    statistics): one that requires grad (where grad mode is on) is an error, as in PyTorch, rather than a
    gradient silently never computed."""
    if value is not None and value.requires_grad and grad_mode.is_grad_enabled():
        raise InputError(f"{name}: {what} is not differentiable here (as in PyTorch), but got a tensor that requires "
                         f"grad; pass {what}.detach()")


def in_common_dtype(input, target, rule="promote"):
    """A loss's input and target in one dtype, as PyTorch's losses compute: by default the one they promote
    to (a float32 input against a float64 target gives a float64 loss); ``rule`` "input" or "target" where
    PyTorch's loss takes that one's instead (huber_loss; binary_cross_entropy_with_logits). The input's cast
    is recorded, so its gradient comes back in its own dtype; the target, a constant, is cast as an array."""
    common = {"promote": np.promote_types(input.dtype, target.dtype), "input": input.dtype, "target": target.dtype}[rule]
    if input.dtype != common:
        input = input.to(dtype=common)
    return input, (target.astype(common) if target.dtype != common else target)


def check_nchw(x, name):
    """A float tensor of shape (N, C, H, W)."""
    check_float(x, name)
    if x.ndim != 4:
        raise InputError(
            f"{name}: expected a 4-D input (N, C, H, W), got a {x.ndim}-D tensor of shape {tuple(x.shape)}"
            + ("; add a batch axis with x.reshape(1, *x.shape)" if x.ndim == 3 else "")
        )


def check_ncl(x, name, weight=None, weight_layout=None):
    """A float (N, C, L) input of a 1-D convolution or pooling (and, given, its float 3-D weight)."""
    check_float(x, name)
    if x.ndim != 3:
        raise InputError(f"{name}: expected a 3-D input (N, C, L), got a {x.ndim}-D tensor of shape {tuple(x.shape)}")
    if weight is not None:
        check_float(weight, name, "weight")
        if weight.ndim != 3:
            raise InputError(f"{name}: expected a 3-D weight {weight_layout}, got shape {tuple(weight.shape)}")


def check_positive(values, name, what):
    if any(v <= 0 for v in values):
        raise InputError(f"{name}: {what} must be positive, got {tuple(values)}")


def check_non_negative(values, name, what):
    if any(v < 0 for v in values):
        raise InputError(f"{name}: {what} must be non-negative, got {tuple(values)}")


def check_window_fits(x, kernel, padding, name):
    """The kernel (its span, for a dilated one) fits the input plus padding: an int pair of
    padding on both sides, or ((top, bottom), (left, right))."""
    sides = [(p, p) if isinstance(p, (int, np.integer)) else tuple(p) for p in padding]
    h, w = x.shape[2] + sum(sides[0]), x.shape[3] + sum(sides[1])
    if kernel[0] > h or kernel[1] > w:
        raise InputError(
            f"{name}: kernel size {kernel} is larger than the padded input ({h}, {w}) "
            f"(input {tuple(x.shape[2:])} with padding {tuple(padding)})"
        )


def adaptive_output_size(input, output_size, count, name):
    """The ``count`` output sizes of an adaptive pooling from an int or ``count`` sizes, None keeping
    the input's size there (as PyTorch: ``output_size=(None, 7)``)."""
    if isinstance(output_size, (tuple, list)) and len(output_size) == count:
        spatial = input.shape[input.ndim - count:]
        output_size = tuple(spatial[i] if size is None else size for i, size in enumerate(output_size))
    sizes = ntuple(output_size, count, name, "output_size")
    check_positive(sizes, name, "output_size")
    return sizes


_SPATIAL_AXES = {1: "L", 2: "H, W", 3: "D, H, W"}


def accepts_unbatched(spatial_dims, batched_arguments=("input",)):
    """A convolution or pooling function of (N, C, *spatial) input that also takes one unbatched sample
    (C, *spatial), as PyTorch's do: run as a batch of one (``batched_arguments`` each given a batch axis:
    max_unpool's indices too), the batch axis taken off what it returns. Input of another rank is an
    error naming both shapes it takes."""
    axes = _SPATIAL_AXES[spatial_dims]
    positions = range(len(batched_arguments))  # (where they stand when given positionally)

    def decorate(function):
        @functools.wraps(function)
        def run(*args, **kwargs):
            first = args[0] if args else kwargs.get(batched_arguments[0])
            if not isinstance(first, Tensor) or first.ndim == spatial_dims + 2:
                return function(*args, **kwargs)
            if first.ndim != spatial_dims + 1:
                name = kwargs.get("name", function.__name__)
                raise InputError(f"{name}: expected a {spatial_dims + 2}-D input (N, C, {axes}) or one unbatched "
                                 f"{spatial_dims + 1}-D sample (C, {axes}), got a {first.ndim}-D tensor of shape "
                                 f"{tuple(first.shape)}")
            args = [arg.unsqueeze(0) if position in positions and isinstance(arg, Tensor) else arg
                    for position, arg in enumerate(args)]
            kwargs = {key: value.unsqueeze(0) if key in batched_arguments and isinstance(value, Tensor) else value
                      for key, value in kwargs.items()}
            result = function(*args, **kwargs)
            return tuple(part.squeeze(0) for part in result) if isinstance(result, tuple) else result.squeeze(0)
        return run
    return decorate
