"""How a tensor's elements lie in memory: PyTorch's memory formats (``tinynn.contiguous_format``,
``channels_last``, ``channels_last_3d``, ``preserve_format``) and layouts (``tinynn.strided``, ``sparse_coo``).

A memory format is an order of the axes in memory, from the outermost (the largest stride) to the
innermost (a stride of one element). ``contiguous_format`` is C order, the axes as written;
``channels_last`` keeps each pixel's channels side by side: a (N, C, H, W) tensor lies in memory as
(N, H, W, C) would, and keeps its (N, C, H, W) shape; ``channels_last_3d`` likewise for (N, C, D, H, W).
``preserve_format`` (the default of ``clone``, ``to`` and the ``*_like`` factories) keeps the order of
the tensor it starts from. Values and results never depend on the format: only speed, and which
``view`` s share memory, do.

tinynn's convolutions and poolings compute channels-last (im2col's rows are a pixel's channels, and the
matmul writes (N*OH*OW, O)), so their outputs lie as ``channels_last`` in memory, where PyTorch's lie in C
order. A ``view`` that C order would allow without a copy (``conv(x).view(N, -1)``) therefore copies
for such a channels-last tensor (with axes of length 1 inserted too), as ``reshape`` does, instead of
failing: PyTorch's scripts run as written, and only writes through that view (which would reach the
original in PyTorch) differ.
"""
import numpy as np

from . import backend, parallel


class memory_format:
    """One of PyTorch's memory formats (``tinynn.channels_last``, ...): compare with ``is``/``==``."""

    def __init__(self, name, rank=None):
        self.name, self.rank = name, rank

    def __repr__(self):
        return f"tinynn.{self.name}"

    def __reduce__(self):
        return self.name  # the module-level object of that name: the same one after unpickling

    def axis_order(self, array, what):
        """The axes of ``array`` from outermost to innermost in this format."""
        if self.rank is not None and array.ndim != self.rank:
            raise RuntimeError(f"{what}: required rank {self.rank} tensor to use {self.name} format, got a "
                               f"{array.ndim}-D tensor")
        if self is preserve_format:
            return order_in_memory(array)
        if self.rank is not None:
            return channels_last_order(array.ndim)
        return tuple(range(array.ndim))


contiguous_format = memory_format("contiguous_format")
channels_last = memory_format("channels_last", rank=4)
channels_last_3d = memory_format("channels_last_3d", rank=5)
preserve_format = memory_format("preserve_format")


class layout:
    """How a tensor is stored: ``tinynn.strided`` (dense arrays, every Tensor), ``tinynn.sparse_coo``
    (tinynn/sparse.py) or ``tinynn.sparse_csr`` (tinynn/csr.py)."""

    def __init__(self, name):
        self.name = name

    def __repr__(self):
        return f"tinynn.{self.name}"

    def __reduce__(self):
        return self.name


strided = layout("strided")
sparse_coo = layout("sparse_coo")
sparse_csr = layout("sparse_csr")


def check(value, what):
    if not isinstance(value, memory_format):
        raise TypeError(f"{what}: memory_format must be one of tinynn.contiguous_format, channels_last, "
                        f"channels_last_3d and preserve_format, got {value!r}")
    return value


def channels_last_order(ndim):
    """(0, 2, 3, ..., 1): the batch, the spatial axes, then the channels."""
    return (0,) + tuple(range(2, ndim)) + (1,)


def is_dense_in_order(array, order):
    """Whether ``array`` fills its memory without gaps, ``order[-1]`` innermost. Axes of size 1 have
    no neighbours along them, so their strides do not matter (as PyTorch's checks)."""
    expected = array.dtype.itemsize
    for axis in reversed(order):
        if array.shape[axis] != 1 and array.strides[axis] != expected:
            return False
        expected *= array.shape[axis]
    return True


def is_in_format(array, format, what="is_contiguous"):
    """``Tensor.is_contiguous(memory_format=...)``: False, not an error, for a format of another rank."""
    if format.rank is not None and array.ndim != format.rank:
        return False
    if format is preserve_format:
        format = contiguous_format
    return is_dense_in_order(array, format.axis_order(array, what))


def is_channels_last_dense(array):
    """Whether ``array`` (3-D or more) lies as its channels-last version would, and not also in C order:
    the outputs of tinynn's convolutions and poolings, and of elementwise ops on them."""
    return (array.ndim >= 3 and not array.flags.c_contiguous
            and is_dense_in_order(array, channels_last_order(array.ndim)))


def lies_channels_last(array):
    """``is_channels_last_dense``, or so once axes of length 1 are dropped (``unsqueeze`` inserted them:
    ``conv(x).unsqueeze(1)``): all of them, or for a batch of one all but the first."""
    if is_channels_last_dense(array):
        return True
    units = [axis for axis in range(array.ndim) if array.shape[axis] == 1]
    for dropped in ((units, units[1:]) if units else ()):
        reduced = array.squeeze(tuple(dropped))
        if reduced.ndim >= 3 and is_channels_last_dense(reduced):
            return True
    return False


def in_usual_layout(tensor):
    """``tensor`` where it lies in C order or channels-last (as tinynn's convolutions and poolings
    write), else a C-ordered copy of it (a recorded op): what an op built from others hands over, so
    that ``view`` takes its output as it takes PyTorch's."""
    array = tensor._array
    return tensor if array.flags.c_contiguous or is_channels_last_dense(array) else tensor.contiguous()


def dim_order(array):
    """``Tensor.dim_order()``: the axes from the outermost in memory to the innermost, by PyTorch's rule
    (its TensorIterator's): C order and channels-last recognised first; otherwise an insertion sort,
    back to front, that puts the larger stride outside, and of two equal strides the longer axis;
    an axis of stride 0 (broadcast) stays where it is."""
    if array.ndim <= 1:
        return tuple(range(array.ndim))
    in_c_order, in_channels_last = bool(array.flags.c_contiguous), is_in_format(array, channels_last)
    if in_c_order != in_channels_last:
        return tuple(range(array.ndim)) if in_c_order else channels_last_order(array.ndim)
    strides, shape = [abs(step) // array.itemsize for step in array.strides], array.shape

    def at_least(a, b):
        return b == 0 or (a != 0 and (a >= b or a % b == 0))

    def outside(a, b):
        """1 where axis a lies inside axis b (swap them), -1 where outside, 0 where it cannot say."""
        if strides[a] == 0 or strides[b] == 0:
            return 0
        if strides[a] == strides[b]:
            return 0 if at_least(shape[b], shape[a]) else 1
        return -1 if at_least(strides[b], strides[a]) else 1 if at_least(strides[a], strides[b]) else 0

    order = list(reversed(range(array.ndim)))  # sorted back to front, innermost first
    for i in range(1, array.ndim):
        moving = i
        for before in reversed(range(i)):
            verdict = outside(order[before], order[moving])
            if verdict > 0:
                order[before], order[moving] = order[moving], order[before]
                moving = before
            elif verdict < 0:
                break
    return tuple(reversed(order))


def order_of_strides(strides):
    """The axes from the largest stride to the smallest (NumPy's order="K"; ties keep the axes' order)."""
    return tuple(sorted(range(len(strides)), key=lambda axis: -abs(strides[axis])))


def order_in_memory(array):
    """``array``'s axes from the outermost in memory to the innermost."""
    return order_of_strides(array.strides)


def permuted_order(array):
    """The axes of ``array`` from the outermost in memory to the innermost, when ``array`` is a dense
    block seen through an axis permutation (a channels-last image batch seen as NCHW); None when it is
    in C order already, or not such a permutation."""
    if array.ndim < 2 or array.flags.c_contiguous:
        return None
    order = order_in_memory(array)
    return order if is_dense_in_order(array, order) else None


def inverse_order(order):
    """The permutation that undoes ``order``: ``x.transpose(order).transpose(inverse_order(order))`` is x."""
    return tuple(sorted(range(len(order)), key=order.__getitem__))


def arranged(array, format, what):
    """``array`` itself where it lies densely in ``format``'s order, else a copy that does."""
    return in_order(array, format.axis_order(array, what))


def in_order(array, order):
    """``array`` itself where it lies densely with its axes ``order`` outermost to innermost, else such a copy."""
    return array if is_dense_in_order(array, order) else copy_in_order(array, order)


def copy_in(array, format, what):
    """A copy of ``array`` that lies densely in ``format``'s order (``clone``)."""
    return copy_in_order(array, format.axis_order(array, what))


def copy_in_order(array, order):
    """A copy of ``array`` with its axes ``order`` outermost to innermost in memory: the array with its
    axes in that order, copied in C order (on the threads where large, ``parallel.copy_into``), then
    turned back."""
    arranged = array.transpose(order)
    copy = backend.get_array_module(array).empty(arranged.shape, dtype=arranged.dtype)
    return parallel.copy_into(copy, arranged).transpose(inverse_order(order))


def reshaped(array, shape):
    """``array.reshape(shape)``: a view where the memory allows one, else a C-ordered copy, made on the
    threads where the array is large (``reshape(copy=False)`` tells which before copying)."""
    if isinstance(array, np.ndarray) and not array.flags.c_contiguous and array.nbytes >= parallel.COPY_MIN_BYTES:
        try:
            return array.reshape(shape, copy=False)
        except ValueError:  # a copy is needed (or the shape does not fit, which the reshape below reports)
            array = parallel.copy_into(np.empty(array.shape, dtype=array.dtype), array)
    return array.reshape(shape)


def laid_out_like(tensor, source, format, what):
    """A new ``tensor`` (C order, ``source``'s shape) laid out in ``format``, where preserve_format keeps
    ``source``'s order: the ``*_like`` factories, as PyTorch's."""
    check(format, what)
    if not hasattr(getattr(source, "_array", None), "strides"):  # a sparse tensor: no memory order to keep
        return tensor
    tensor.data = in_order(tensor._array, format.axis_order(source._array, what))
    return tensor
