"""What PyTorch checks before it draws random numbers, checked here too: a parameter outside its
distribution's domain, or draws of a kind the tensor's dtype cannot hold, are errors.

Without them NumPy decided: ``rand(3, dtype=int64)`` truncated every draw to 0, ``normal(0, -1)``
drew the mirror image of N(0, 1), ``exponential_(0)`` filled inf, ``bernoulli`` of a probability 1.5
gave 1 without a word, and elsewhere NumPy's own errors ("scale < 0", "math domain error") leaked
out. Each check names the function, the argument and the value, in PyTorch's words where it has some.
"""
import math

import numpy as np

from .errors import DtypeError, InputError
from . import backend, value_ranges

FLOATS = "f"              # real floating-point dtypes
FLOATS_OR_COMPLEX = "fc"  # normal and uniform draws fill complex tensors part by part
NUMBERS = "fiu"           # counts and integers (geometric, random_) fit integer dtypes too
NOT_COMPLEX = "fiub"      # 0/1 draws (bernoulli) fit any real dtype


def check_dtype(name, dtype, kinds, subject="its draws"):
    """Refuse ``dtype`` for ``subject`` (the draws, or a tensor of parameters) unless its kind is among
    ``kinds`` (one of the constants above)."""
    dtype = np.dtype(dtype)
    if dtype.kind not in kinds:
        wanted = {FLOATS: "a floating-point dtype", FLOATS_OR_COMPLEX: "a floating-point or complex dtype",
                  NUMBERS: "a number dtype (not bool or complex)", NOT_COMPLEX: "a real dtype"}[kinds]
        hint = " (randint and random_ draw integers)" if subject == "its draws" and "f" in kinds else ""
        raise DtypeError(f"{name}: {subject} need {wanted}, got {dtype}{hint}")


def check_positive(name, argument, value):
    """``value`` > 0 (NaN fails)."""
    if not value > 0:
        raise RuntimeError(f"{name} expects {argument} > 0.0, but found {argument}={value}")


def check_non_negative_std(name, std):
    """A normal distribution's ``std``, a number, >= 0 (NaN fails)."""
    if not std >= 0:
        raise RuntimeError(f"{name} expects std >= 0.0, but found std {std}")


def check_non_negative_stds(name, std_array):
    """Every entry of an array of standard deviations >= 0 (on the GPU, checked at the next read)."""
    backend.check_soon(~(std_array >= 0).all(),
                       lambda: RuntimeError(f"{name} expects all elements of std >= 0.0 (none negative or NaN)"))


def check_interval(name, low, high, dtype):
    """uniform_'s [low, high): ordered, and both finite numbers of ``dtype``."""
    for argument, value in (("from", low), ("to", high)):
        if not math.isfinite(value) or abs(value) > np.finfo(dtype).max:
            raise RuntimeError(f"{name}: {argument}={value} is out of bounds for {np.dtype(dtype)}")
    if low > high:
        raise RuntimeError(f"{name} expects to return a [from, to) range, but found from={low} > to={high}")


def check_probability(name, p, open_interval=False):
    """A probability ``p``, a number, in [0, 1] (geometric's in (0, 1): p = 0 never succeeds, p = 1 always
    takes one trial, which PyTorch refuses too)."""
    inside = 0 < p < 1 if open_interval else 0 <= p <= 1
    if not inside:
        interval = "(0, 1)" if open_interval else "[0, 1]"
        raise RuntimeError(f"{name} expects p to be in {interval}, but got p={p}")


def check_probabilities(name, p_array):
    """Every entry of an array of probabilities in [0, 1], NaN refused (on the GPU, at the next read)."""
    backend.check_soon(~((p_array >= 0) & (p_array <= 1)).all(),
                       lambda: RuntimeError(f"{name}: expected every probability in [0, 1], got some outside it "
                                            f"(or NaN)"))


def check_integer_range(name, low, high, dtype):
    """Integers drawn from [low, high): ordered, and every one of them a value of ``dtype`` (uint8 holds
    0 .. 255, so [0, 300) would wrap its draws around)."""
    if not low < high:
        raise RuntimeError(f"{name} expects 'from' to be less than 'to', but got from={low} >= to={high}")
    dtype = np.dtype(dtype)
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        if not (info.min <= low and high - 1 <= info.max):
            raise RuntimeError(f"{name}: the integers of [{low}, {high}) do not all fit {dtype} "
                               f"({info.min} .. {info.max})")
    elif dtype.kind == "f":
        value_ranges.check_fits([low, high - 1], dtype)


def check_count(name, what, count):
    """A number of draws or a length: a non-negative int."""
    if not isinstance(count, (int, np.integer)) or isinstance(count, bool) or count < 0:
        raise InputError(f"{name}: {what} must be a non-negative int, got {count!r}")
