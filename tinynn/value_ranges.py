"""Whether numbers written into a tensor fit its dtype, as PyTorch decides (c10's ``overflows``).

A fill, an assignment, a factory's value, a clamp bound or ``tensor(data, dtype=)`` converts Python
numbers to the tensor's dtype. NumPy would wrap an integer (300 into uint8 is 44), truncate a float
(-1.5 into uint8 is 255) or make inf of a large one; PyTorch refuses those with
"value cannot be converted to type uint8_t without overflow", and so does tinynn. Its rules:

    integer value, integer dtype   within [min, max]; an unsigned dtype also takes down to -max, which
                                   wraps (uint8 takes -1 as 255, as two's complement arithmetic would)
    float value, integer dtype     finite and within [min, max] (then truncated toward zero)
    any value, float dtype         within [-max, max], or inf or NaN (``floats=False``: anything; where a
                                   PyTorch op turns 1e6 into float16's inf without a word)
    bool dtype, complex dtype      anything

(``strict_unsigned``: no wrapping into an unsigned dtype either, as PyTorch's ``pad`` value.)
"""
import math

import numpy as np

# PyTorch's names of the types in the message (C++ ones; ``tensor(data, dtype=)`` names the dtype)
CPP_NAMES = {"uint8": "uint8_t", "int8": "int8_t", "int16": "int16_t", "int32": "int", "int64": "int64_t",
             "float16": "c10::Half", "float32": "float", "float64": "double"}


def check_fits(values, dtype, type_name=None, floats=True, strict_unsigned=False):
    """Raise PyTorch's RuntimeError unless every number in ``values`` (a Python number, a list of them or
    a NumPy array of them) fits ``dtype`` by the rules above; ``type_name``: how the message names it."""
    dtype = np.dtype(dtype)
    if dtype.kind not in "iuf" or (dtype.kind == "f" and not floats) or isinstance(values, (bool, np.bool_)):
        return
    extremes = _extremes(values, dtype, type_name)
    if extremes is None:
        return
    low, high, integers = extremes
    if dtype.kind == "f":
        largest = float(np.finfo(dtype).max)
        fits = -largest <= low and high <= largest
    else:
        limits = np.iinfo(dtype)
        lowest = -int(limits.max) if dtype.kind == "u" and integers and not strict_unsigned else int(limits.min)
        fits = lowest <= low and high <= int(limits.max)
    if not fits:
        _refuse(dtype, type_name)


def _extremes(values, dtype, type_name):
    """(lowest, highest, whether they are integers) of the finite numbers in ``values``; None when
    there are none to check. An inf or NaN bound for an integer ``dtype`` is refused here."""
    if isinstance(values, (int, float, np.integer, np.floating)):  # (one number: no array to make)
        if isinstance(values, (float, np.floating)) and not math.isfinite(values):
            if dtype.kind in "iu":
                _refuse(dtype, type_name)
            return None
        return values, values, isinstance(values, (int, np.integer))
    values = np.asarray(values)
    if values.size == 0 or values.dtype.kind not in "iuf":
        return None
    if values.dtype.kind == "f":
        finite = np.isfinite(values)
        if not finite.all():
            if dtype.kind in "iu":
                _refuse(dtype, type_name)
            values = values[finite]
            if values.size == 0:
                return None
    return values.min(), values.max(), values.dtype.kind in "iu"


def check_scalar_fits(value, dtype):
    """``check_fits`` for a number written by an assignment ``x[i] = v`` or taken by ``where``: as in
    PyTorch, into float16 it is not checked (1e6 becomes inf there), into any other dtype it is."""
    dtype = np.dtype(dtype)
    check_fits(value, dtype, floats=dtype != np.float16)


def wrapped(value, dtype):
    """A number as NumPy stores it in ``dtype``: a negative integer into an unsigned dtype wrapped as
    two's complement arithmetic would (NumPy refuses Python's -1 for uint8; PyTorch stores 255)."""
    dtype = np.dtype(dtype)
    if dtype.kind == "u" and isinstance(value, int) and value < 0:
        return value % (1 << (8 * dtype.itemsize))
    return value


def _refuse(dtype, type_name):
    raise RuntimeError(f"value cannot be converted to type {type_name or CPP_NAMES[dtype.name]} without overflow")
