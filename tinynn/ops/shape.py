"""Ops that move elements without changing them: reshape, transpose, indexing, pad, concatenate, stack.

Each backward moves the gradient back the way the forward moved the values.
"""
import numpy as np

from .. import backend
from ..autograd import Function


class Reshape(Function):
    """y = x viewed with a new shape (same elements, same order).  dL/dx = dL/dy reshaped back."""

    def __init__(self, shape):
        self.shape = shape

    def forward(self, x):
        self.input_shape = x.shape
        try:
            return x.reshape(self.shape)
        except ValueError:
            raise ValueError(
                f"reshape: cannot reshape a tensor of shape {tuple(x.shape)} ({x.size} elements) "
                f"into shape {tuple(self.shape)}"
            ) from None

    def backward(self, gy):
        return (gy.reshape(self.input_shape),)


class Transpose(Function):
    """y = x with its axes permuted: y.shape[i] = x.shape[axes[i]].  dL/dx = dL/dy permuted by the
    inverse permutation."""

    def __init__(self, axes):
        self.axes = axes

    def forward(self, x):
        if sorted(a % max(x.ndim, 1) for a in self.axes) != list(range(x.ndim)):
            raise ValueError(f"permute: {tuple(self.axes)} is not a permutation of the {x.ndim} axes of shape {tuple(x.shape)}")
        return x.transpose(self.axes)

    def backward(self, gy):
        return (gy.transpose(tuple(np.argsort([a % gy.ndim for a in self.axes]).tolist())),)


class GetItem(Function):
    """y = x[index] for ints, slices, None, Ellipsis, integer or boolean arrays.

    dL/dx is zero except at the selected positions, which receive dL/dy; a position selected
    several times (repeated integer indices) receives the sum (scatter-add).
    """

    def __init__(self, index):
        self.index = index

    def forward(self, x):
        self.input_shape, self.dtype = x.shape, x.dtype
        try:
            return x[self.index]
        except IndexError as error:
            raise IndexError(f"indexing a tensor of shape {tuple(x.shape)}: {error}") from None

    def backward(self, gy):
        xp = self.xp(gy)
        gx = xp.zeros(self.input_shape, dtype=gy.dtype)
        backend.scatter_add(gx, _index_on(xp, self.index), gy)
        return (gx,)


def _index_on(xp, index):
    """The index with its integer/boolean arrays on the same device as the data."""
    if isinstance(index, tuple):
        return tuple(_index_on(xp, i) for i in index)
    return xp.asarray(index) if isinstance(index, np.ndarray) else index


class Pad(Function):
    """y = x with ``pad_width`` (as ``numpy.pad``: a (before, after) pair per axis) of a constant.

    The padding is constant, so dL/dx is dL/dy with the padding cut away.
    """

    def __init__(self, pad_width, value=0.0):
        self.pad_width, self.value = pad_width, value

    def forward(self, x):
        if len(self.pad_width) != x.ndim:
            raise ValueError(f"pad: expected {x.ndim} (before, after) pairs for shape {tuple(x.shape)}, got {len(self.pad_width)}")
        if any(b < 0 or a < 0 for b, a in self.pad_width):
            raise ValueError(f"pad: padding must be non-negative, got {self.pad_width}")
        self.inner = tuple(slice(b, b + n) for (b, _), n in zip(self.pad_width, x.shape))
        return self.xp(x).pad(x, self.pad_width, mode="constant", constant_values=self.value)

    def backward(self, gy):
        return (gy[self.inner],)


class Concatenate(Function):
    """y = the inputs joined along ``axis``.  dL/dx_i = the slice of dL/dy that x_i filled."""

    def __init__(self, axis=0):
        self.axis = axis

    def forward(self, *xs):
        if not xs:
            raise ValueError("concatenate: expected at least one tensor")
        axis = self.axis % xs[0].ndim
        for x in xs[1:]:
            if x.ndim != xs[0].ndim or any(a != b for i, (a, b) in enumerate(zip(x.shape, xs[0].shape)) if i != axis):
                raise ValueError(
                    f"concatenate: shapes {tuple(xs[0].shape)} and {tuple(x.shape)} differ outside axis {self.axis}"
                )
        self.sizes = [x.shape[axis] for x in xs]
        self.axis = axis
        return self.xp(xs[0]).concatenate(xs, axis=axis)

    def backward(self, gy):
        boundaries = np.cumsum(self.sizes)[:-1].tolist()
        return tuple(self.xp(gy).split(gy, boundaries, axis=self.axis))


class Stack(Function):
    """y = the inputs stacked along a new ``axis``.  dL/dx_i = dL/dy taken at index i of that axis."""

    def __init__(self, axis=0):
        self.axis = axis

    def forward(self, *xs):
        if not xs:
            raise ValueError("stack: expected at least one tensor")
        for x in xs[1:]:
            if x.shape != xs[0].shape:
                raise ValueError(f"stack: all tensors must have the same shape, got {tuple(xs[0].shape)} and {tuple(x.shape)}")
        self.axis = self.axis % (xs[0].ndim + 1)
        return self.xp(xs[0]).stack(xs, axis=self.axis)

    def backward(self, gy):
        return tuple(gy.take(i, axis=self.axis) for i in range(gy.shape[self.axis]))
