"""Reductions over axes: sum, mean, max (each with ``keepdims``)."""
from .. import backend
from ..autograd import Function


def normalize_axes(axis, ndim, name):
    """``axis`` (None, int or tuple, negatives allowed) -> sorted tuple of non-negative axes."""
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    normalized = []
    for a in axes:
        if not -max(ndim, 1) <= a < max(ndim, 1):
            raise ValueError(f"{name}: axis {a} is out of range for a tensor with {ndim} dimensions")
        normalized.append(a % max(ndim, 1))
    return tuple(sorted(set(normalized)))


def expand_reduced(grad, input_shape, axes, keepdims):
    """Re-insert reduced axes (size 1) so ``grad`` broadcasts against the input."""
    if not keepdims and input_shape:
        grad = grad.reshape([1 if i in axes else n for i, n in enumerate(input_shape)])
    return grad


def sum_rows(rows):
    """Sum over the M rows of (M, C), as a matrix-vector product. BLAS keeps several partial sums,
    so this is both ~8x faster and ~100x more accurate in float32 than ``sum(axis=0)`` or
    ``einsum`` over a long axis with few channels, which add the M values one after another."""
    xp = backend.get_array_module(rows)
    return xp.ones(rows.shape[0], dtype=rows.dtype) @ rows


class Sum(Function):
    """y = sum of x over ``axes``.  Every x_i contributes once: dL/dx_i = dL/dy (broadcast back)."""

    def __init__(self, axis=None, keepdims=False):
        self.axis, self.keepdims = axis, keepdims

    def forward(self, x):
        self.axes = normalize_axes(self.axis, x.ndim, "sum")
        self.input_shape = x.shape
        return x.sum(axis=self.axes, keepdims=self.keepdims)

    def backward(self, gy):
        gy = expand_reduced(gy, self.input_shape, self.axes, self.keepdims)
        return (self.xp(gy).broadcast_to(gy, self.input_shape).copy(),)


class Mean(Function):
    """y = (1/n) sum of x over ``axes`` (n elements each).  dL/dx_i = dL/dy / n."""

    def __init__(self, axis=None, keepdims=False):
        self.axis, self.keepdims = axis, keepdims

    def forward(self, x):
        self.axes = normalize_axes(self.axis, x.ndim, "mean")
        self.input_shape = x.shape
        self.count = 1
        for a in self.axes:
            self.count *= x.shape[a] if x.ndim else 1
        return x.mean(axis=self.axes, keepdims=self.keepdims)

    def backward(self, gy):
        gy = expand_reduced(gy, self.input_shape, self.axes, self.keepdims) / self.count
        return (self.xp(gy).broadcast_to(gy, self.input_shape).astype(gy.dtype, copy=True),)


class Max(Function):
    """y = max of x over ``axes``.  dL/dx_i = dL/dy where x_i is the maximum, else 0; when
    several elements tie for the maximum the gradient is shared equally (as ``torch.amax``)."""

    def __init__(self, axis=None, keepdims=False):
        self.axis, self.keepdims = axis, keepdims

    def forward(self, x):
        if x.size == 0:
            raise ValueError("max: cannot take the maximum of an empty tensor")
        self.axes = normalize_axes(self.axis, x.ndim, "max")
        self.x = x
        self.y = x.max(axis=self.axes, keepdims=True)
        return self.y if self.keepdims else self.y.reshape(
            [n for i, n in enumerate(x.shape) if i not in self.axes])

    def backward(self, gy):
        gy = expand_reduced(gy, self.x.shape, self.axes, self.keepdims)
        is_max = (self.x == self.y).astype(gy.dtype)
        ties = is_max.sum(axis=self.axes, keepdims=True)
        return (gy * is_max / ties,)
