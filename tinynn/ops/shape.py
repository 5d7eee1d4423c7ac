"""Ops that move elements without changing them: reshape, transpose, indexing, pad, concatenate,
stack, expand, repeat, gather, clone.

Each backward moves the gradient back the way the forward moved the values.
"""
import numpy as np

from ..errors import IndexRangeError, InputError
from .. import backend
from .. import memory_layout as formats
from ..autograd import Function
from ..dims import wrap_dim
from . import promotion
from .arithmetic import sum_to_shape


class Reshape(Function):
    """y = x viewed with a new shape (same elements, same order).  dL/dx = dL/dy reshaped back.

    A channels-last x (flattened before a linear layer) is copied into C order by the reshape;
    its gradient is handed back channels-last again, the layout of x and of the layers before it,
    so their backward passes combine arrays of one layout (mixed layouts made a ReLU's backward
    ten times slower)."""

    supports_complex = True
    linear_map = True

    def __init__(self, shape):
        self.shape = shape

    def forward(self, x):
        self.input_shape, self.input_order = x.shape, formats.permuted_order(x)
        if min(self.shape, default=0) < -1:  # (NumPy reads any negative size as -1)
            raise InputError(f"reshape: invalid shape dimension {min(self.shape)} in shape {tuple(self.shape)}")
        try:
            return formats.reshaped(x, self.shape)
        except ValueError:
            raise InputError(
                f"reshape: cannot reshape a tensor of shape {tuple(x.shape)} ({x.size} elements) "
                f"into shape {tuple(self.shape)}"
            ) from None

    def backward(self, gy):
        g = gy.reshape(self.input_shape)
        return (g if self.input_order is None else formats.in_order(g, self.input_order),)


class Transpose(Function):
    """y = x with its axes permuted: y.shape[i] = x.shape[axes[i]].  dL/dx = dL/dy permuted by the
    inverse permutation."""

    supports_complex = True
    linear_map = True

    def __init__(self, axes):
        self.axes = axes

    def forward(self, x):
        if sorted(wrap_dim(a, x.ndim) for a in self.axes) != list(range(x.ndim)):
            raise InputError(f"permute: {tuple(self.axes)} is not a permutation of the {x.ndim} axes of shape {tuple(x.shape)}")
        return x.transpose(self.axes)

    def backward(self, gy):
        return (gy.transpose(tuple(np.argsort([a % gy.ndim for a in self.axes]).tolist())),)


def pytorch_index_steps(index, ndim):
    """``index`` (into a tensor of ``ndim`` axes) as the NumPy indices to apply one after the other
    for PyTorch's result.

    The two differ where integers and array indices meet: NumPy counts an integer beside an array
    index as one more array index, and when array indices are not side by side their result's axes
    go first; PyTorch selects with the integers first and only then applies the array indices. So
    for x of shape (3, 4), x[2, None, [2, 3]] is (2, 1) in NumPy and (1, 2) in PyTorch. Such an
    index is split in two: the integers (full slices at the other axes), then the rest. An
    Ellipsis that stands for no axis is dropped: it parts array indices in NumPy, not in PyTorch."""
    if not isinstance(index, tuple):
        return [index]
    if sum(_axes_spanned(item) for item in index) == ndim:
        index = tuple(item for item in index if item is not Ellipsis)

    def is_integer(item):
        return (isinstance(item, (int, np.integer)) and not isinstance(item, bool)
                or getattr(item, "ndim", None) == 0 and item.dtype.kind in "iu")

    def is_array(item):
        return isinstance(item, list) or getattr(item, "ndim", 0) > 0

    if not (any(is_integer(item) for item in index) and any(is_array(item) for item in index)):
        return [index]
    integers, rest = [], []
    for item in index:
        if is_integer(item):
            integers.append(item)
        elif item is None:
            rest.append(None)
        elif item is Ellipsis:
            integers.append(Ellipsis)
            rest.append(Ellipsis)
        else:  # a slice or an array index: it keeps its axes
            integers.extend([slice(None)] * _axes_spanned(item))
            rest.append(item)
    return [tuple(integers), tuple(rest)]


def _axes_spanned(item):
    """How many of the tensor's axes an index item reads: a boolean mask its ndim, None, Ellipsis (on
    its own) and True/False none, anything else one."""
    if item is None or item is Ellipsis or isinstance(item, (bool, np.bool_)):
        return 0
    return item.ndim if getattr(item, "dtype", None) == np.bool_ else 1


class GetItem(Function):
    """y = x[index] for ints, slices, None, Ellipsis, integer or boolean arrays.

    dL/dx is zero except at the selected positions, which receive dL/dy; a position selected
    several times (repeated integer indices) receives the sum (scatter-add). An index of ints and
    slices only ("basic" indexing) selects each position once, so a plain assignment does, many
    times faster than the scatter-add.
    """

    supports_complex = True
    linear_map = True

    def __init__(self, index):
        self.index = index

    def forward(self, x):
        self.input_shape, self.dtype = x.shape, x.dtype
        try:
            result = x[self.index]
            if isinstance(result, np.generic):  # NumPy's integer indexing gives a copy, as a scalar:
                # x[i, j, ...] is the 0-d view PyTorch's x[i, j] is (x[i, j].add_(1) writes into x)
                result = x[(self.index if isinstance(self.index, tuple) else (self.index,)) + (Ellipsis,)]
            return result
        except IndexError as error:
            raise IndexError(f"indexing a tensor of shape {tuple(x.shape)}: {error}") from None

    def backward(self, gy):
        xp = self.xp(gy)
        gx = xp.zeros(self.input_shape, dtype=gy.dtype)
        if _is_basic(self.index):
            gx[self.index] = gy
        else:
            backend.scatter_add(gx, _index_on(xp, self.index), gy)
        return (gx,)


def _is_basic(index):
    """True for an index of ints, slices, None and Ellipsis only (no arrays, lists or booleans)."""
    parts = index if isinstance(index, tuple) else (index,)
    return all(part is None or part is Ellipsis or isinstance(part, slice)
               or (isinstance(part, (int, np.integer)) and not isinstance(part, (bool, np.bool_))) for part in parts)


def _index_on(xp, index):
    """The index with its integer/boolean arrays on the same device as the data."""
    if isinstance(index, tuple):
        return tuple(_index_on(xp, i) for i in index)
    return xp.asarray(index) if isinstance(index, np.ndarray) else index


class Pad(Function):
    """y = x with ``pad_width`` (as ``numpy.pad``: a (before, after) pair per axis) of a constant.

    The padding is constant, so dL/dx is dL/dy with the padding cut away.
    """

    supports_complex = True
    graph_saved = {}

    def __init__(self, pad_width, value=0.0):
        self.pad_width, self.value = pad_width, value

    def forward(self, x):
        if len(self.pad_width) != x.ndim:
            raise InputError(f"pad: expected {x.ndim} (before, after) pairs for shape {tuple(x.shape)}, got {len(self.pad_width)}")
        if any(b < 0 or a < 0 for b, a in self.pad_width):
            raise InputError(f"pad: padding must be non-negative, got {self.pad_width}")
        self.inner = tuple(slice(b, b + n) for (b, _), n in zip(self.pad_width, x.shape))
        return self.xp(x).pad(x, self.pad_width, mode="constant", constant_values=self.value)

    def backward(self, gy):
        return (gy[self.inner],)


class Concatenate(Function):
    """y = the inputs joined along ``axis``.  dL/dx_i = the slice of dL/dy that x_i filled."""

    supports_complex = True
    promotes = promotion.EVERY_INPUT
    graph_saved = {}

    def __init__(self, axis=0):
        self.axis = axis

    def forward(self, *xs):
        if not xs:
            raise InputError("concatenate: expected at least one tensor")
        for position, x in enumerate(xs):
            if x.ndim == 0:
                raise RuntimeError(f"zero-dimensional tensor (at position {position}) cannot be concatenated")
        axis = wrap_dim(self.axis, xs[0].ndim)
        for x in xs[1:]:
            if x.ndim != xs[0].ndim or any(a != b for i, (a, b) in enumerate(zip(x.shape, xs[0].shape)) if i != axis):
                raise InputError(
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

    supports_complex = True
    promotes = promotion.EVERY_INPUT
    graph_saved = {}

    def __init__(self, axis=0):
        self.axis = axis

    def forward(self, *xs):
        if not xs:
            raise InputError("stack: expected at least one tensor")
        for x in xs[1:]:
            if x.shape != xs[0].shape:
                raise InputError(f"stack: all tensors must have the same shape, got {tuple(xs[0].shape)} and {tuple(x.shape)}")
        self.axis = wrap_dim(self.axis, xs[0].ndim + 1)
        return self.xp(xs[0]).stack(xs, axis=self.axis)

    def backward(self, gy):
        xp = self.xp(gy)
        return tuple(xp.take(gy, i, axis=self.axis) for i in range(gy.shape[self.axis]))


class BroadcastTo(Function):
    """y = x repeated along broadcast axes to ``shape`` (PyTorch's ``expand``; a view, no copy).
    dL/dx = dL/dy summed over the broadcast axes, as for any broadcast operand."""

    supports_complex = True
    linear_map = True

    def __init__(self, shape):
        self.shape = tuple(shape)

    def forward(self, x):
        self.input_shape = x.shape
        try:
            expanded = self.xp(x).broadcast_to(x, self.shape)
        except ValueError:
            raise InputError(f"expand: a tensor of shape {tuple(x.shape)} cannot be expanded to {tuple(self.shape)}") from None
        # writeable, as PyTorch's (NumPy's broadcast views are read-only); a write into elements that
        # share memory is refused by in-place writes, a fill allowed
        return backend.as_strided(x, expanded.shape, expanded.strides, writeable=True)

    def backward(self, gy):
        return (sum_to_shape(gy, self.input_shape),)


class Tile(Function):
    """y = x repeated ``reps[i]`` times along each axis i (PyTorch's ``repeat``; leading reps add axes).

    Shapes: x (s0, s1, ...) -> y (r0*s0, r1*s1, ...).  dL/dx = dL/dy seen as (r0, s0, r1, s1, ...)
    and summed over the r axes: every copy of an element passes its gradient back to it.
    """

    supports_complex = True
    linear_map = True

    def __init__(self, reps):
        self.reps = tuple(reps)

    def forward(self, x):
        if len(self.reps) < x.ndim:
            raise InputError(f"repeat: {len(self.reps)} repeat counts for a tensor with {x.ndim} dimensions; "
                             f"give at least one per dimension")
        self.input_shape = x.shape
        return self.xp(x).tile(x, self.reps)

    def backward(self, gy):
        sizes = (1,) * (len(self.reps) - len(self.input_shape)) + tuple(self.input_shape)
        interleaved = [n for pair in zip(self.reps, sizes) for n in pair]
        return (gy.reshape(interleaved).sum(axis=tuple(range(0, 2 * len(sizes), 2))).reshape(self.input_shape),)


class Gather(Function):
    """y[i][j][k] = x[index[i][j][k]][j][k] (for axis 0; likewise along any ``axis``), PyTorch's
    ``gather``: index has x's rank, and on the other axes covers a leading part of x.

    dL/dx is zero except where an index points, which receives the dL/dy entries that read it
    (scatter-add: an element read twice gets both).
    """

    supports_complex = True
    linear_map = True

    def __init__(self, axis, index):
        self.axis, self.index = axis, index

    def forward(self, x):
        self.input_shape = x.shape
        self.positions = index_positions(self.xp(x), self.index, self.axis)
        return x[self.positions]

    def backward(self, gy):
        gx = self.xp(gy).zeros(self.input_shape, dtype=gy.dtype)
        backend.scatter_add(gx, self.positions, gy)
        return (gx,)


def indices_in_range(name, index, size, dim):
    """``index`` (an integer array) checked to lie in [0, size) along ``dim``, as PyTorch's gather,
    scatter, index_select and index_add want it: there a negative index is an error, not a count
    from the end (which NumPy's indexing makes of it: a label of -1 read the last class). On the GPU
    the error comes at the next check (``backend.check_soon``); the index is returned clipped into
    range, so that nothing reads or writes outside the tensor until then."""
    outside = (index < 0) | (index >= size)

    def error():
        bad = int(index[outside].reshape(-1)[0])
        return IndexRangeError(f"{name}: index {bad} is out of bounds for dimension {dim} with size {size}")

    backend.check_soon(outside.any(), error)
    return backend.get_array_module(index).clip(index, 0, max(size - 1, 0))


def indices_from_either_end(name, index, size, dim):
    """``index`` (an integer array) checked to lie in [-size, size) along ``dim``, a negative one counting
    from the end (as PyTorch's index_put and take_along_dim read it), returned as positions in [0, size).
    The error names the index as given; on the GPU it comes at the next check (``backend.check_soon``),
    and the positions are in range until then."""
    outside = (index < -size) | (index >= size)

    def error():
        bad = int(index[outside].reshape(-1)[0])
        return IndexRangeError(f"{name}: index {bad} is out of bounds for dimension {dim} with size {size}")

    backend.check_soon(outside.any(), error)
    return index % max(size, 1)


def index_positions(xp, index, axis):
    """The advanced index that reads x[index[i][j]][j] (``index`` along ``axis``, every other axis
    its own position): for gather, and where scatter_add writes."""
    return tuple(index if a == axis else xp.arange(size).reshape((-1,) + (1,) * (index.ndim - a - 1))
                 for a, size in enumerate(index.shape))


class ScatterAdd(Function):
    """y = zeros(``shape``) with y[index[i][j]][j] += src[i][j] (along ``axis``; repeated positions
    add up): the transpose of Gather. dL/dsrc = dL/dy read at those positions (a gather)."""

    supports_complex = True
    linear_map = True

    def __init__(self, axis, index, shape):
        self.axis, self.index, self.shape = axis, index, tuple(shape)

    def forward(self, src):
        xp = self.xp(src)
        self.positions = index_positions(xp, self.index, self.axis)
        y = xp.zeros(self.shape, dtype=src.dtype)
        backend.scatter_add(y, self.positions, src)
        return y

    def backward(self, gy):
        return (gy[self.positions],)


class Clone(Function):
    """y = a copy of x, laid out in ``memory_format`` (by default as x is).  dL/dx = dL/dy."""

    supports_complex = True
    linear_map = True

    def __init__(self, memory_format=formats.preserve_format):
        self.memory_format = memory_format

    def forward(self, x):
        if self.memory_format is formats.preserve_format and x.flags.c_contiguous:
            return x.copy()
        return formats.copy_in(x, self.memory_format, "clone")

    def backward(self, gy):
        return (gy,)
