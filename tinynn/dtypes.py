"""``tinynn.dtype``: what ``isinstance(value, torch.dtype)`` asks of a value, for tinynn's dtypes.

tinynn's dtypes are NumPy's: ``tinynn.float32`` is ``np.float32`` (a scalar type) and a tensor's ``.dtype`` is
``np.dtype('float32')``; the two compare equal. ``tinynn.dtype`` is the class both count as instances of,
so code written against ``torch.dtype`` (type checks, ``isinstance`` guards) accepts either.
"""
import numpy as np


class _DtypeCheck(type):
    def __instancecheck__(cls, value):
        return isinstance(value, np.dtype) or (isinstance(value, type) and issubclass(value, np.generic))


class dtype(metaclass=_DtypeCheck):
    """The dtypes (``tinynn.float32``, ``x.dtype``): ``isinstance(x.dtype, tinynn.dtype)`` is True. Not made
    directly, as torch.dtype is not: name one (``tinynn.float64``) or ``np.dtype("float64")``."""

    def __new__(cls, *args, **kwargs):
        raise TypeError("tinynn.dtype cannot be created directly; use a dtype such as tinynn.float32")


# PyTorch's dtypes NumPy and CuPy have none of, and what to use instead.
ABSENT = {"bfloat16": "float16 (tinynn.autocast's) or float32", "complex32": "complex64",
          "chalf": "complex64 (tinynn.cfloat)", "float8_e4m3fn": "float16", "float8_e5m2": "float16"}


def absent(name, caller, instead=None):
    """The error message for asking ``caller`` for ``name``, one of PyTorch's dtypes tinynn has none of."""
    return (f"{caller}: tinynn has no {name} dtype (NumPy and CuPy have none to compute it in); "
            f"use {instead or ABSENT[name]}")


class finfo:
    """A floating dtype's limits, as PyTorch's ``torch.finfo`` gives them: Python numbers (``eps`` prints as
    PyTorch's 1.1920928955078125e-07 for float32), ``dtype`` the dtype's name; without a dtype, the default one."""

    def __init__(self, type=None):
        from .ops.promotion import default_float

        limits = np.finfo(np.dtype(type if type is not None else default_float()))
        self.bits, self.dtype = int(limits.bits), str(limits.dtype)
        self.eps, self.max, self.min = float(limits.eps), float(limits.max), float(limits.min)
        self.tiny = self.smallest_normal = float(limits.smallest_normal)
        self.resolution = float(limits.resolution)

    def __repr__(self):
        return (f"finfo(resolution={self.resolution:g}, min={self.min:g}, max={self.max:g}, eps={self.eps:g}, "
                f"smallest_normal={self.smallest_normal:g}, tiny={self.tiny:g}, dtype={self.dtype})")


class iinfo:
    """An integer dtype's limits, as PyTorch's ``torch.iinfo``: Python ints, ``dtype`` the dtype's name."""

    def __init__(self, type):
        limits = np.iinfo(np.dtype(type))
        self.bits, self.max, self.min, self.dtype = int(limits.bits), int(limits.max), int(limits.min), str(limits.dtype)

    def __repr__(self):
        return f"iinfo(min={self.min}, max={self.max}, dtype={self.dtype})"
