"""The dtype an op computes in when its operands differ: PyTorch's type promotion, and the default
float dtype (``tinynn.set_default_dtype``).

NumPy and PyTorch agree within a kind (float32 with float64 gives float64, int8 with uint8 gives
int16) but not across kinds, nor on zero-dimensional operands, nor on Python numbers:

                                        NumPy 2     PyTorch, and so tinynn
    int64 tensor + float32 tensor       float64     float32   a float type wins whole over ints
    int64 tensor * 1.5                  float64     float32   a Python float counts as the default dtype
    float32 tensor + float64 0-d tensor float64     float32   a 0-d tensor lifts the kind, not the size
    int64 tensor / int64 tensor         float64     float32   true division gives the default dtype
    int64 tensor .exp()                 float64     float32   so do exp, sqrt, sin, mean, ...

The rule (PyTorch's ``result_type``): operands fall in three ranks, tensors with dimensions, 0-d
tensors and Python numbers ("wrapped numbers", flagged by ``Tensor._operand``); each rank's dtypes
are promoted among themselves, then a lower rank counts only if it is of a higher kind
(bool < integer < float), where it is promoted with the higher rank (an int tensor with a float
0-d tensor takes the 0-d tensor's float type, a Python float the default dtype).

``Function.__call__`` applies it: an op lists in ``promotes`` the inputs that share one dtype,
and ``float_output`` ops (true division, exp, ...) compute in the default float dtype when that
dtype is not a float one. The casts happen before the forward, on the arrays, so a backward sees
consistent dtypes; a gradient reaching a leaf is cast to the leaf's dtype (``_accumulate_grad``).

Complex numbers (ops/complex.py) are a fourth kind above the floats. A float meeting a complex of
a lower rank becomes the complex type of its own precision (a float32 tensor times 1j is
complex64, a float64 one complex128), as PyTorch's rule; Python complex numbers count as the
default complex dtype (complex64, or complex128 when the default float is float64).
"""
import numbers

import numpy as np

from ..backend import get_array_module as array_module

FLOAT_DTYPES = (np.dtype(np.float16), np.dtype(np.float32), np.dtype(np.float64))
EVERY_INPUT = "every input"  # ``promotes`` of an op of any number of inputs (cat, stack)
_default_float = np.dtype(np.float32)


def default_float():
    """The dtype of Python floats and of float results from non-float inputs (float32 unless set)."""
    return _default_float


def set_default_float(dtype):
    global _default_float
    try:
        dtype = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"set_default_dtype: expected a dtype such as tinynn.float64, got {dtype!r}") from None
    if dtype not in FLOAT_DTYPES:
        raise TypeError(f"set_default_dtype: only floating-point types are supported as the default type "
                        f"(float16, float32, float64), got {dtype}")
    _default_float = dtype


def default_complex():
    """The dtype of Python complex numbers: the complex type as precise as the default float."""
    return np.dtype(np.complex128) if _default_float == np.float64 else np.dtype(np.complex64)


def complex_of(dtype):
    """The complex dtype holding ``dtype``'s floats (float16 and float32 -> complex64, float64 ->
    complex128); a complex dtype as it is."""
    return dtype if dtype.kind == "c" else np.dtype(np.complex128) if dtype == np.float64 else np.dtype(np.complex64)


def _kind(dtype):
    """bool 0 < integer 1 < float 2 < complex 3."""
    return {"b": 0, "f": 2, "c": 3}.get(dtype.kind, 1)


def promote(a, b):
    """Two dtypes of one rank together: the higher kind's dtype, or within a kind NumPy's choice
    (which is PyTorch's there)."""
    if a is None or a == b:
        return b
    if b is None:
        return a
    if {_kind(a), _kind(b)} == {2, 3}:
        return np.promote_types(a, b)  # float64 with complex64: complex128
    if _kind(a) != _kind(b):
        return a if _kind(a) > _kind(b) else b
    return np.promote_types(a, b)


def _combine(higher, lower):
    """A higher rank's dtype with a lower one's: the lower counts only where it lifts the kind."""
    if higher is None:
        return lower
    if lower is None or _kind(lower) <= _kind(higher) and _kind(higher) >= 2:
        return higher
    if _kind(higher) == 2:  # a float lifted to complex keeps its own precision
        return complex_of(higher)
    if _kind(higher) == 0 or _kind(lower) >= 2:
        return promote(higher, lower)
    return higher


def result_type(tensors):
    """The dtype ``tensors`` (Tensors, some of them wrapped Python numbers) compute in together."""
    dimensioned = zero_dim = wrapped = None
    for tensor in tensors:
        dtype = tensor.dtype
        if tensor._wrapped_number:
            default = {"f": _default_float, "c": default_complex()}.get(dtype.kind, dtype)
            wrapped = promote(wrapped, default)
        elif tensor.ndim:
            dimensioned = promote(dimensioned, dtype)
        else:
            zero_dim = promote(zero_dim, dtype)
    return _combine(dimensioned, _combine(zero_dim, wrapped))


def number_dtype(value):
    """The dtype a number alone makes (``full``'s fill value, ``where`` of two numbers), as PyTorch's:
    bool, int64, the default float or complex dtype, by its kind; NumPy's scalars by theirs
    (np.float32(1.5) is a float, not an integer to truncate)."""
    if isinstance(value, (bool, np.bool_)):
        return np.dtype(np.bool_)
    if isinstance(value, numbers.Integral):
        return np.dtype(np.int64)
    if isinstance(value, numbers.Real):
        return _default_float
    return default_complex()


def can_cast(source, target):
    """Whether an in-place op may write a ``source`` result into a ``target`` tensor, as in PyTorch:
    not a float into integers or bools, nor integers into bools; any size within a kind (an int64
    cumulative sum into uint8, wrapping around)."""
    return _kind(source) <= _kind(target)


def promoted_arrays(function, tensors, arrays):
    """``arrays`` (the inputs' data) with the inputs ``function.promotes`` names cast to the dtype they
    compute in (see the module docstring); the same list when nothing needs a cast.

    float16 with a Python number computes in float32, as PyTorch's kernels do (their "opmath" type):
    the number keeps its value (1e5 is inf in float16, 1e-8 is 0, 0.1 is 0.09998) and the result is
    rounded to float16 once; ``function.rounds_to`` tells ``Function.__call__`` to round it."""
    positions = range(len(tensors)) if function.promotes == EVERY_INPUT else function.promotes
    members = [tensors[i] for i in positions if tensors[i] is not None]
    first = members[0].dtype
    if all(member.dtype == first for member in members) and (first.kind in "fc" or not function.float_output):
        if first != np.float16 or all(member._wrapped_value is None for member in members):
            return arrays
    target = result_type(members)
    if function.float_output and target.kind not in "fc":
        target = _default_float
    computed = target
    if target == np.float16 and any(member._wrapped_number for member in members):
        computed = np.dtype(np.float32)
        function.rounds_to = target
    promoted = list(arrays)
    for i in positions:
        tensor, array = tensors[i], arrays[i]
        if tensor is None:
            continue
        if tensor._wrapped_value is not None:  # a number made for a float16 tensor: its exact value
            promoted[i] = array_module(array).asarray(tensor._wrapped_value, dtype=computed)
        elif array.dtype != computed:
            promoted[i] = array.astype(computed)
    return promoted
