"""``tinynn.Size``: a tensor's shape, PyTorch's ``torch.Size``.

A tuple of ints (it is one: ``x.shape == (2, 3)``, ``rows, cols = x.shape`` and ``np.zeros(x.shape)`` work
as for any tuple) that prints as ``tinynn.Size([2, 3])``, has ``numel()``, and stays a Size when sliced,
added to or repeated, as torch.Size does.
"""
import operator

import numpy as np

from .errors import InputError


class Size(tuple):
    """``Size(iterable_of_ints)``: the shape of a tensor with those sizes. Entries must be ints (Python
    ints, NumPy integers, or anything else with ``__index__`` such as a 0-d integer tensor); -1 is kept,
    as PyTorch keeps it, for the shapes ``view`` and ``reshape`` take, and bools count as 0 and 1, as there."""

    __slots__ = ()

    def __new__(cls, sizes=()):
        items = tuple(sizes)
        for position, item in enumerate(items):
            if not hasattr(type(item), "__index__"):
                raise TypeError(f"Size() takes an iterable of 'int' (item {position} is "
                                f"'{type(item).__name__}')")
        return tuple.__new__(cls, map(operator.index, items))

    def numel(self):
        """The number of elements a tensor of this shape holds: the product of the sizes (1 for ``Size([])``)."""
        count = 1
        for size in self:
            count *= size
        return count

    def __getitem__(self, index):
        item = tuple.__getitem__(self, index)
        return of(item) if isinstance(index, slice) else item

    def __add__(self, other):
        if not isinstance(other, tuple):
            return NotImplemented
        return of(tuple.__add__(self, other))

    def __radd__(self, other):
        if not isinstance(other, tuple):
            return NotImplemented
        return of(tuple.__add__(other, self))

    def __mul__(self, times):
        repeated = tuple.__mul__(self, times)
        return repeated if repeated is NotImplemented else of(repeated)

    __rmul__ = __mul__

    def __repr__(self):
        return f"tinynn.Size({list(self)})"

    def __reduce__(self):
        return Size, (tuple(self),)


def of(ints):
    """A Size of a tuple already known to hold ints (an array's ``.shape``), without checking each one
    again: the tensors' ``shape`` property builds one on every read."""
    return tuple.__new__(Size, ints)


def from_arguments(sizes, keyword=None, name="size"):
    """The sizes a function of PyTorch's takes in any of its forms: one by one (``zeros(2, 3)``), as one
    tuple, list or Size (``zeros((2, 3))``), or by keyword (``zeros(size=(2, 3))``, ``keyword`` here)."""
    if keyword is not None:
        if sizes:
            raise TypeError(f"{name}: give the sizes by position or by keyword, not both")
        sizes = (keyword,)
    return tuple(sizes[0]) if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)) else tuple(sizes)


def check_creatable(shape):
    """PyTorch's error for a tensor of ``shape`` that cannot exist: a negative size (NumPy's own
    words name no size), or more bytes than an address holds; ``Size``'s TypeError for sizes that are
    not ints."""
    shape = Size(shape)
    if any(size < 0 for size in shape):
        raise InputError(f"Trying to create tensor with negative dimension {min(shape)}: {list(shape)}")
    if shape.numel() >= 1 << 63:
        raise InputError(f"Storage size calculation overflowed with sizes={list(shape)}")


def as_int(value):
    """``value`` as a Python int where it is an integer of another kind (a NumPy int, a 0-d integer
    tensor: what has ``__index__``, as PyTorch takes them for sizes and counts; ``F.one_hot(y, y.max() + 1)``);
    anything else (a bool, a float, a string) as it is, for the caller's check to name."""
    if (isinstance(value, (bool, np.bool_)) or isinstance(value, int) or not hasattr(type(value), "__index__")
            or getattr(value, "ndim", 0) != 0):  # (a tensor of one element with dims is a list, not a number)
        return value
    try:
        return operator.index(value)
    except TypeError:
        return value
