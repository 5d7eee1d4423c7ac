"""Views that share their input's memory, as PyTorch's do, so that writing into them writes into the
input (``K.diagonal().add_(1e-6)``): the diagonal of a matrix and the sliding windows of
``Tensor.unfold``. Both are strided views of the input's own memory (no copy); autograd's in-place
machinery (autograd/in_place.py) finds the tensors sharing a block by their elements' addresses,
so a write through such a view is recorded as through any other.

Each is a linear map whose backward puts the gradient back where the view reads:
    diagonal:  dL/dx = 0 off the diagonal, dL/dy on it;
    windows:   dL/dx_k = the sum of dL/dy over every window element that reads x_k (windows overlap
               where the step is smaller than the size).
"""
from .. import backend
from ..autograd import Function


def diagonal_view(x, offset, dim1, dim2):
    """The entries (i, i + offset) of the (dim1, dim2) planes of the array x, as a last axis: a view."""
    moved = Function.xp(x).moveaxis(x, (dim1, dim2), (-2, -1))
    rows, columns = moved.shape[-2:]
    start_row, start_column = max(-offset, 0), max(offset, 0)
    count = max(min(rows - start_row, columns - start_column), 0)
    # one step along the diagonal is one step down and one across
    strides = moved.strides[:-2] + (moved.strides[-2] + moved.strides[-1],)
    return backend.as_strided(moved[..., start_row:, start_column:], moved.shape[:-2] + (count,), strides,
                              writeable=True)


class Diagonal(Function):
    """y = the (i, i + offset) entries of x's (dim1, dim2) planes, a view of x.
    dL/dx = dL/dy on that diagonal, 0 elsewhere."""

    supports_complex, linear_map = True, True

    def __init__(self, offset, dim1, dim2):
        self.offset, self.dim1, self.dim2 = offset, dim1, dim2

    def forward(self, x):
        self.x_shape = x.shape
        return diagonal_view(x, self.offset, self.dim1, self.dim2)

    def backward(self, gy):
        gx = self.xp(gy).zeros(self.x_shape, dtype=gy.dtype)
        diagonal_view(gx, self.offset, self.dim1, self.dim2)[...] = gy
        return (gx,)


def windows_view(x, dimension, size, step):
    """Every window of ``size`` elements along ``dimension``, ``step`` apart, as a new last axis: a view
    of shape (..., (n - size) // step + 1, ..., size)."""
    count = (x.shape[dimension] - size) // step + 1
    shape = x.shape[:dimension] + (count,) + x.shape[dimension + 1:] + (size,)
    strides = x.strides[:dimension] + (step * x.strides[dimension],) + x.strides[dimension + 1:] + (x.strides[dimension],)
    return backend.as_strided(x, shape, strides, writeable=True)


class Windows(Function):
    """y = the sliding windows of x along ``dimension`` (Tensor.unfold), a view of x.
    dL/dx_k = the sum of dL/dy over the window elements that read x_k, added one window offset at a time."""

    supports_complex, linear_map = True, True

    def __init__(self, dimension, size, step):
        self.dimension, self.size, self.step = dimension, size, step

    def forward(self, x):
        self.x_shape = x.shape
        return windows_view(x, self.dimension, self.size, self.step)

    def backward(self, gy):
        gx = self.xp(gy).zeros(self.x_shape, dtype=gy.dtype)
        count = gy.shape[self.dimension]
        lead = (slice(None),) * self.dimension
        for offset in range(self.size):  # windows at one offset read distinct elements: a plain strided add
            gx[lead + (slice(offset, offset + self.step * (count - 1) + 1, self.step),)] += gy[..., offset]
        return (gx,)
