"""Reductions over axes: sum, mean, max, logsumexp, prod, the 2-norm (each with ``keepdims``), and the
cumulative sum along one axis."""
import warnings

import numpy as np

from ..errors import InputError
from .. import backend
from .. import memory_layout as formats
from ..autograd import Function
from ..dims import dim_tuple, wrap_dim
from .complex import conj
from .gradient_mask import passed_where


def normalize_axes(axis, ndim, name, empty_is_all=True):
    """``axis`` (None, int or tuple, negatives allowed) -> sorted tuple of non-negative axes (an axis
    beyond the tensor's is dims.wrap_dim's IndexError, PyTorch's). No dims (``dim=()`` or ``[]``) are
    all of them, as PyTorch's sum, mean, amax, var, norm... read them (NumPy's would reduce none; any
    and all, which PyTorch lets reduce none, pass ``empty_is_all=False``); an axis named twice is
    PyTorch's error."""
    if axis is None:
        return tuple(range(ndim))
    axes = dim_tuple(axis)
    if not axes and empty_is_all:
        return tuple(range(ndim))
    normalized = []
    for a in axes:
        if isinstance(a, (bool, np.bool_)):  # (an int to Python: it would be read as axis 0 or 1)
            raise TypeError(f"{name}: dim must be an int or a tuple of ints, not bool")
        normalized.append(wrap_dim(a, ndim))
    if len(set(normalized)) < len(normalized):
        twice = next(a for a in normalized if normalized.count(a) > 1)
        raise InputError(f"{name}: dim {twice} appears multiple times in the list of dims {list(axes)}")
    return tuple(sorted(normalized))


def expand_reduced(grad, input_shape, axes, keepdims):
    """Re-insert reduced axes (size 1) so ``grad`` broadcasts against the input."""
    if not keepdims and input_shape:
        grad = grad.reshape([1 if i in axes else n for i, n in enumerate(input_shape)])
    return grad


def sum_rows(rows):
    """Sum over the M rows of (M, C). On the CPU as a matrix-vector product: BLAS keeps several
    partial sums, so this is both ~8x faster and ~100x more accurate in float32 than NumPy's
    ``sum(axis=0)`` or ``einsum`` over a long axis with few channels, which add the M values one
    after another. CuPy's ``sum`` already adds in a tree, in one kernel."""
    if not isinstance(rows, np.ndarray):  # a CuPy array, or a Tensor under create_graph
        return rows.sum(axis=0)
    return np.ones(rows.shape[0], dtype=rows.dtype) @ rows


def row_sums(x, axis=-1):
    """x.sum(axis=axis, keepdims=True). Along the last axis of a float32 or float64 CPU array, a
    matrix-vector product with ones: NumPy's sum reduces each row by itself (about 3 ns a value for
    rows of 64, a softmax over attention scores), BLAS takes the rows in one pass, 4-6x faster,
    keeping several partial sums (within a few units in the last place of NumPy's pairwise sum).
    Other axes and arrays (CuPy's, Tensors under create_graph): their own sum."""
    if (isinstance(x, np.ndarray) and x.dtype in (np.float32, np.float64) and x.ndim
            and axis in (-1, x.ndim - 1)):
        return (x @ np.ones(x.shape[-1], dtype=x.dtype))[..., None]
    return x.sum(axis=axis, keepdims=True)


def integer_accumulator(x):
    """int64 for sums and products of bools and integers of any size, as PyTorch (NumPy would give
    uint64 for unsigned ones); None (the input's own dtype) for floats."""
    return np.int64 if x.dtype.kind in "bui" else None


def mean_of(x, axes=None, keepdims=False):
    """NumPy's mean of an array; of no values NaN, as PyTorch gives it, without NumPy's "Mean of empty
    slice" warning."""
    if x.size:
        return x.mean(axis=axes, keepdims=keepdims)
    with warnings.catch_warnings(), np.errstate(invalid="ignore", divide="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        return x.mean(axis=axes, keepdims=keepdims)


def spread_like_input(gy, input_shape, input_order):
    """dL/dy broadcast back to the input's shape, as a new array laid out as the input was (its axes in
    ``input_order``, ``permuted_order``'s, where that is not C order): a sum over a convolution's
    channels-last output hands back a channels-last gradient, which the convolution's backward reads as
    it is, where a C-ordered one would have to be reordered (a transposing copy, ten times slower)."""
    spread = backend.get_array_module(gy).broadcast_to(gy, input_shape)
    return spread.copy() if input_order is None else formats.copy_in_order(spread, input_order)


class Sum(Function):
    """y = sum of x over ``axes``.  Every x_i contributes once: dL/dx_i = dL/dy (broadcast back)."""

    supports_complex = True
    linear_map = True

    def __init__(self, axis=None, keepdims=False):
        self.axis, self.keepdims = axis, keepdims

    def forward(self, x):
        self.axes = normalize_axes(self.axis, x.ndim, "sum")
        self.input_shape, self.input_order = x.shape, formats.permuted_order(x)
        return x.sum(axis=self.axes, keepdims=self.keepdims, dtype=integer_accumulator(x))

    def backward(self, gy):
        return (spread_like_input(expand_reduced(gy, self.input_shape, self.axes, self.keepdims), self.input_shape,
                                  self.input_order),)


class Mean(Function):
    """y = (1/n) sum of x over ``axes`` (n elements each).  dL/dx_i = dL/dy / n."""

    supports_complex = True
    promotes, float_output = (0,), True
    linear_map = True

    def __init__(self, axis=None, keepdims=False):
        self.axis, self.keepdims = axis, keepdims

    def forward(self, x):
        self.axes = normalize_axes(self.axis, x.ndim, "mean")
        self.input_shape, self.input_order = x.shape, formats.permuted_order(x)
        self.count = 1
        for a in self.axes:
            self.count *= x.shape[a] if x.ndim else 1
        return mean_of(x, self.axes, self.keepdims)

    def backward(self, gy):
        gy = expand_reduced(gy, self.input_shape, self.axes, self.keepdims) / max(self.count, 1)  # (no values: none to divide)
        return (spread_like_input(gy, self.input_shape, self.input_order),)


class Max(Function):
    """y = max of x over ``axes`` (with ``smallest``, the min).  dL/dx_i = dL/dy where x_i is the
    maximum, else 0; when several elements tie for the maximum the gradient is shared equally (as
    ``torch.amax``, ``torch.amin``)."""

    graph_saved = {}

    def __init__(self, axis=None, keepdims=False, smallest=False):
        self.axis, self.keepdims, self.smallest = axis, keepdims, smallest

    def forward(self, x):
        name = "min" if self.smallest else "max"
        self.axes = normalize_axes(self.axis, x.ndim, name)
        if self.axis is None and x.size == 0:
            raise InputError(f"{name}: cannot take the {name}imum of an empty tensor (shape {tuple(x.shape)})")
        empty = [axis for axis in self.axes if x.shape[axis] == 0]
        if empty:  # (a zero-length kept dimension is fine: an empty result)
            raise InputError(f"{name}: cannot take the {name}imum over dimension {empty[0]}, of length 0 in the "
                             f"input of shape {tuple(x.shape)}")
        self.x = x
        self.y = (x.min if self.smallest else x.max)(axis=self.axes, keepdims=True)
        return self.y if self.keepdims else self.y.reshape(
            [n for i, n in enumerate(x.shape) if i not in self.axes])

    def backward(self, gy):
        gy = expand_reduced(gy, self.x.shape, self.axes, self.keepdims)
        xp = self.xp(self.x)
        # a NaN is the maximum where there is one: the gradient goes to it (to them, shared)
        is_max = (self.x == self.y) | (xp.isnan(self.x) & xp.isnan(self.y))
        ties = is_max.astype(gy.dtype).sum(axis=self.axes, keepdims=True)
        return (passed_where(gy / ties, is_max),)


class LogSumExp(Function):
    """y = log(sum of e^x) over ``axes``, computed as m + log(sum e^(x - m)), m the maximum (of the
    real parts for complex x), so it never overflows (and is -inf when every x is -inf).
    dL/dx_i = dL/dy * conj(e^(x_i - y)), the softmax."""

    supports_complex = True
    promotes, float_output = (0,), True
    graph_saved = {"x": 0, "y": "output"}

    def __init__(self, axis=None, keepdims=False):
        self.axis, self.keepdims = axis, keepdims

    def forward(self, x):
        xp = self.xp(x)
        self.axes = normalize_axes(self.axis, x.ndim, "logsumexp")
        if any(x.shape[axis] == 0 for axis in self.axes):  # an empty sum: log 0 = -inf, as PyTorch's
            largest = xp.zeros([1 if axis in self.axes else n for axis, n in enumerate(x.shape)], dtype=x.dtype)
        else:
            largest = x.real.max(axis=self.axes, keepdims=True)
            largest = xp.where(xp.isfinite(largest), largest, 0).astype(x.dtype, copy=False)
        self.x = x
        with np.errstate(divide="ignore"):  # log(0) = -inf is the answer for a slice of -inf
            self.y = largest + xp.log(xp.exp(x - largest).sum(axis=self.axes, keepdims=True))
        return self.y if self.keepdims else self.y.reshape([n for i, n in enumerate(x.shape) if i not in self.axes])

    def backward(self, gy):
        gy = expand_reduced(gy, self.x.shape, self.axes, self.keepdims)
        return (gy * conj(self.xp(gy).exp(self.x - self.y)),)


class Prod(Function):
    """y = product of x over ``axes``.  dL/dx_i = dL/dy * (product of the other elements), computed
    as (product of those before i) * (product of those after i), exclusive cumulative products,
    so a zero among the x costs no division by zero. Under create_graph the cumulative products
    are recorded scans (tinynn.tensor_functions.cumprod), so the second derivative needs no
    division either. Complex x: the conjugate of that product (holomorphic)."""

    supports_complex = True
    graph_saved = {"x": 0}

    def __init__(self, axis=None, keepdims=False):
        self.axis, self.keepdims = axis, keepdims

    def forward(self, x):
        self.axes = normalize_axes(self.axis, x.ndim, "prod")
        self.x = x
        return x.prod(axis=self.axes, keepdims=self.keepdims, dtype=integer_accumulator(x))

    def backward(self, gy):
        xp, x = self.xp(gy), self.x
        gy = expand_reduced(gy, x.shape, self.axes, self.keepdims)
        if x.size == 0:  # no elements, no gradient (and no products of the others to take)
            return (gy * x,)
        kept = [axis for axis in range(x.ndim) if axis not in self.axes]
        # the reduced axes last, as one: (kept..., n)
        rows = x.transpose(tuple(kept) + self.axes).reshape([x.shape[a] for a in kept] + [-1])
        ones = xp.ones(rows.shape[:-1] + (1,), dtype=rows.dtype)
        before = xp.concatenate([ones, xp.cumprod(rows[..., :-1], axis=-1)], axis=-1)
        after = xp.concatenate([xp.cumprod(rows[..., :0:-1], axis=-1)[..., ::-1], ones], axis=-1)
        others = (before * after).reshape([x.shape[a] for a in kept] + [x.shape[a] for a in self.axes])
        return (gy * conj(others.transpose(tuple(int(axis) for axis in np.argsort(kept + list(self.axes))))),)


class Norm2(Function):
    """y = sqrt(sum of x^2) over ``axes`` (the Euclidean / Frobenius norm).
    dL/dx = dL/dy * x / y, and 0 where y = 0 (the subgradient PyTorch uses there; NaN where y is)."""

    promotes, float_output = (0,), True
    graph_saved = {"x": 0, "y": "output"}

    def __init__(self, axis=None, keepdims=False):
        self.axis, self.keepdims = axis, keepdims

    def forward(self, x):
        self.axes = normalize_axes(self.axis, x.ndim, "norm")
        self.x = x
        self.y = self.xp(x).sqrt((x * x).sum(axis=self.axes, keepdims=True))
        return self.y if self.keepdims else self.y.reshape([n for i, n in enumerate(x.shape) if i not in self.axes])

    def backward(self, gy):
        xp = self.xp(gy)
        gy = expand_reduced(gy, self.x.shape, self.axes, self.keepdims)
        nonzero = self.y != 0
        return (passed_where(gy * self.x / xp.where(nonzero, self.y, 1), nonzero),)


class CumSum(Function):
    """y_i = x_1 + ... + x_i along ``axis``.  Each x_j is in every y_i with i >= j, so
    dL/dx_j = sum over i >= j of dL/dy_i: the cumulative sum of dL/dy taken from the end."""

    supports_complex = True
    linear_map = True

    def __init__(self, axis):
        self.axis = axis

    def forward(self, x):
        (self.axis,) = normalize_axes(self.axis, x.ndim, "cumsum")
        return _running_sum(self.xp(x), x, self.axis)

    def backward(self, gy):
        reverse = tuple(slice(None, None, -1) if axis == self.axis else slice(None) for axis in range(gy.ndim))
        return (_running_sum(self.xp(gy), gy[reverse], self.axis)[reverse],)


def _running_sum(xp, x, axis):
    """The cumulative sum along ``axis``: int64 for integers (``integer_accumulator``); for float16
    added up in float32, as PyTorch's, and rounded once (a float16 running sum of values below 1
    stops growing at 2048, where the next one is less than half its spacing)."""
    if x.dtype == np.float16:
        return xp.cumsum(x, axis=axis, dtype=np.float32).astype(np.float16)
    return xp.cumsum(x, axis=axis, dtype=integer_accumulator(x))
