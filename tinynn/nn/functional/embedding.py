"""Embedding: a learned table looked up by integer index; one_hot, the same lookup as a matrix."""
import numpy as np

from ...errors import DtypeError, IndexRangeError, InputError
from ... import backend
from ...size import as_int
from ...autograd import Function
from ...ops.sparse import ScatterSum
from ...tensor import Tensor, concatenate
from .validation import check_float


class Embedding(Function):
    """y[..., :] = weight[indices[...], :].  Shapes: indices (any shape) of ints, weight (V, D) ->
    y (*indices.shape, D).

    Backward: dL/dweight[v] = sum of dL/dy over the positions whose index is v (a scatter-add:
    an index used twice collects both gradients); rows of ``padding_idx`` get no gradient. With
    ``scale_grad_by_freq`` each position's gradient is divided by how often its index occurs in
    the batch (so frequent words do not dominate), as PyTorch.
    """

    linear_map = True  # in the weight; see linear_part

    def __init__(self, indices, padding_idx, scale_grad_by_freq=False):
        self.indices, self.padding_idx, self.scale_grad_by_freq = indices, padding_idx, scale_grad_by_freq

    def forward(self, weight):
        self.weight_shape = weight.shape
        # Clipped because on the GPU an out-of-range index is reported later (backend.check_soon),
        # and until then must not read outside the table.
        self.safe_indices = self.xp(weight).clip(self.indices, 0, weight.shape[0] - 1)
        return self.xp(weight).take(weight, self.safe_indices, axis=0)  # (weight[indices], twice as fast on the CPU)

    def _gradient_weights(self, gy):
        """gy with padding_idx's positions zeroed and, with scale_grad_by_freq, divided by the counts."""
        xp = self.xp(gy)
        if self.padding_idx is not None:
            gy = gy * (self.safe_indices != self.padding_idx)[..., None]
        if self.scale_grad_by_freq:
            counts = xp.bincount(self.safe_indices.reshape(-1), minlength=self.weight_shape[0])
            gy = gy / counts[self.safe_indices][..., None].astype(gy.dtype)
        return gy

    def linear_part(self, weight):
        """The map whose transpose ``backward`` is: the lookup, with the gradient's zeroing and
        scaling applied (with neither, the forward itself); what create_graph records (autograd.LinearMap)."""
        return self._gradient_weights(weight[self.safe_indices])

    def backward(self, gy):
        gy = self._gradient_weights(gy)
        return (backend.scattered(self.weight_shape, self.safe_indices.reshape(-1), gy.reshape(-1, self.weight_shape[1])),)


class SparseEmbedding(Embedding):
    """Embedding with ``sparse=True``: the same lookup, whose weight gradient is a sparse (V, D)
    tensor (tinynn/sparse.py) holding only the rows the lookup used, as PyTorch's: indices (1, K),
    the index at each of the K looked-up positions that is not ``padding_idx``, and values (K, D),
    the rows of dL/dy at those positions (with ``scale_grad_by_freq`` divided by their index's
    count; PyTorch refuses that combination). Uncoalesced: an index used twice appears twice, and
    ``coalesce()`` sums its rows into the dense backward's dL/dweight[v]. Costs O(K D) instead of
    a (V, D) array of zeros: for a large vocabulary, most of an embedding's backward.
    """

    def _sparse_gradient(self, gy):
        """The sparse gradient from dL/dy ``gy``, a Tensor (recorded under create_graph)."""
        from ...sparse import SparseTensor

        xp = self.xp(gy._array)
        used = self.safe_indices.reshape(-1)
        rows = gy.reshape(-1, self.weight_shape[1])
        if self.padding_idx is not None:
            kept = xp.nonzero(used != self.padding_idx)[0]
            used, rows = used[kept], rows[Tensor._from_op(kept, False)]
        if self.scale_grad_by_freq:
            counts = xp.bincount(self.safe_indices.reshape(-1), minlength=self.weight_shape[0])[used]
            rows = rows / Tensor._from_op(counts[:, None].astype(rows.dtype), False)
        return SparseTensor(used.astype(np.int64)[None, :], rows, self.weight_shape)

    def backward(self, gy):
        return (self._sparse_gradient(Tensor._from_op(gy, False)),)

    def backward_graph(self, gy, output):
        return (self._sparse_gradient(gy),)


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0, scale_grad_by_freq=False, sparse=False,
              name="embedding"):
    """Rows of ``weight`` (V, D) picked by the integer tensor ``input``; see ``Embedding``.

    ``max_norm``: first, every row the input uses whose ``norm_type``-norm exceeds it is scaled in
    place down to max_norm (as PyTorch: the weight itself changes, outside the graph).
    ``sparse``: the weight's gradient is a sparse tensor of the rows used (``SparseEmbedding``)."""
    if not isinstance(input, Tensor) or input.dtype.kind not in "iu":
        what = input.dtype if isinstance(input, Tensor) else type(input).__name__
        raise DtypeError(f"{name}: expected a tensor of integer indices, got {what}")
    check_float(weight, name, "weight")
    if weight.ndim != 2:
        raise InputError(f"{name}: expected a 2-D weight (num_embeddings, embedding_dim), got shape {tuple(weight.shape)}")
    if input.device != weight.device:
        raise RuntimeError(f"{name}: the indices are on {input.device} but the weight is on {weight.device}")
    rows = weight.shape[0]
    if padding_idx is not None:
        if not -rows <= padding_idx < rows:
            raise InputError(f"{name}: padding_idx {padding_idx} is outside the table of {rows} rows")
        padding_idx %= rows
    check_indices_below(input, rows, f"a table of {rows} rows", name)
    if max_norm is not None:
        _renormalize_rows(input._array, weight._array, max_norm, norm_type)
    lookup = SparseEmbedding if sparse else Embedding
    return lookup(input._array, padding_idx, bool(scale_grad_by_freq))(weight)


EMBEDDING_BAG_MODES = ("sum", "mean", "max")


def embedding_bag(input, weight, offsets=None, max_norm=None, norm_type=2.0, scale_grad_by_freq=False, mode="mean",
                  sparse=False, per_sample_weights=None, include_last_offset=False, padding_idx=None,
                  name="embedding_bag"):
    """Bags of embeddings reduced to one row each, as PyTorch's ``F.embedding_bag``: (B, D).

    Bags: each row of a 2-D ``input`` (B, N), or the slices of a 1-D ``input`` that ``offsets`` start
    (with ``include_last_offset`` the last offset ends the last bag). Per bag b, over its entries k
    that are not ``padding_idx``: "sum" of w_k * weight[input_k] (``per_sample_weights`` w, else 1),
    "mean" of weight[input_k], or the elementwise "max"; an empty bag gives zeros.

    The bag boundaries are worked out on the host (offsets on the GPU are read back once).
    Built from differentiable pieces, so the backward is theirs: the lookup (``Embedding``), then
    for sum and mean each bag's rows added up, a (B, N, D) block summed over N for a 2-D input, a
    ``ScatterSum`` of the rows into their bags for offsets (either way dL/drows[k] = dL/dy[bag of k]),
    or a gather into a (B, longest bag, D) block and ``max`` over it (the gradient goes to each
    bag's maximum).
    """
    if mode not in EMBEDDING_BAG_MODES:
        raise InputError(f"{name}: mode must be one of {EMBEDDING_BAG_MODES}, got {mode!r}")
    if sparse and mode == "max":  # (as PyTorch: the maximum's backward is a dense scatter)
        raise InputError(f"{name}: mode='max' does not support sparse=True (sparse weight gradients); use 'sum' or "
                         "'mean', or sparse=False")
    if not isinstance(input, Tensor) or input.dtype.kind not in "iu" or input.ndim not in (1, 2):
        what = f"{input.dtype} tensor of shape {tuple(input.shape)}" if isinstance(input, Tensor) else type(input).__name__
        raise DtypeError(f"{name}: expected a 1-D or 2-D tensor of integer indices, got a {what}")
    if per_sample_weights is not None:
        if mode != "sum":
            raise InputError(f"{name}: per_sample_weights are only supported with mode='sum', got mode={mode!r}")
        if not isinstance(per_sample_weights, Tensor) or per_sample_weights.shape != input.shape:
            raise InputError(f"{name}: per_sample_weights must be a tensor of the input's shape {tuple(input.shape)}")
    xp = backend.get_array_module(input._array)
    entries = input.numel()
    if input.ndim == 2:
        if offsets is not None:
            raise InputError(f"{name}: offsets must be None for a 2-D input (each row is a bag)")
        bags, bag_size = input.shape
        bag_of = np.repeat(np.arange(bags), bag_size)
    else:
        if offsets is None:
            raise InputError(f"{name}: a 1-D input needs offsets (where each bag starts)")
        starts = np.asarray(offsets.numpy() if isinstance(offsets, Tensor) else offsets, dtype=np.int64).reshape(-1)
        if include_last_offset:
            if starts.size == 0 or starts[-1] != entries:
                raise InputError(f"{name}: with include_last_offset the last offset must be the input's length {entries}")
            starts = starts[:-1]
        if starts.size == 0 or starts[0] != 0 or (np.diff(starts) < 0).any() or starts[-1] > entries:
            raise InputError(f"{name}: offsets must start at 0 and not decrease up to the input's length {entries}, "
                             f"got {starts.tolist()}")
        bags = starts.size
        bag_of = np.searchsorted(starts, np.arange(entries), side="right") - 1
    flat = input.reshape(-1)
    # float16 sums and means add up in float32, as PyTorch's kernels (half_precision.py): the rows are looked
    # up in the table cast to float32, so the backward too adds into the table's gradient in float32
    in_float32 = weight.dtype == np.float16 and mode != "max" and not sparse
    if in_float32 and max_norm is not None:
        _renormalize_rows(flat._array, weight._array, max_norm, norm_type)  # the float16 table itself, as PyTorch
    table, max_norm = (weight.float(), None) if in_float32 else (weight, max_norm)
    rows = embedding(flat, table, padding_idx, max_norm, norm_type, scale_grad_by_freq, sparse, name=name)  # (K, D)
    padding_idx = None if padding_idx is None else padding_idx % weight.shape[0]
    counted = flat._array != padding_idx if padding_idx is not None else xp.ones(entries, dtype=bool)
    if mode == "max":
        return _bag_max(rows, bag_of, counted, bags, xp)
    reduced = _bag_sums(rows, input, bag_of, bags, counted, padding_idx is not None, mode, per_sample_weights, xp)
    return reduced.half() if in_float32 else reduced


def _bag_sums(rows, input, bag_of, bags, counted, padded, mode, per_sample_weights, xp):
    """Each bag's sum ("sum", weighted by ``per_sample_weights``) or mean ("mean") of its ``counted``
    rows (``padded``: some are padding, left out)."""
    if padded:
        rows = rows * Tensor._from_op(counted[:, None].astype(rows.dtype), False)
    if per_sample_weights is not None:
        rows = rows * per_sample_weights.reshape(-1, 1)
    if input.ndim == 2:
        summed = rows.reshape(bags, input.shape[1], rows.shape[1]).sum(dim=1)
    else:
        summed = ScatterSum(xp.asarray(bag_of), bags)(rows)
    if mode == "sum":
        return summed
    counts = xp.zeros(bags, dtype=rows.dtype)
    backend.scatter_add(counts, xp.asarray(bag_of), counted.astype(rows.dtype))
    return summed / Tensor._from_op(xp.maximum(counts, 1)[:, None], False)


def _bag_max(rows, bag_of, counted, bags, xp):
    """Each bag's elementwise maximum over its counted rows (zeros for a bag with none)."""
    order = np.argsort(bag_of, kind="stable")
    sizes = np.bincount(bag_of, minlength=bags)
    longest = max(int(sizes.max(initial=0)), 1)
    slot = np.arange(len(bag_of)) - np.repeat(np.cumsum(sizes) - sizes, sizes)  # position within its bag
    positions = np.full((bags, longest), len(bag_of), dtype=np.int64)  # an extra row stands for "nothing"
    positions[bag_of[order], slot] = order
    padded_rows = concatenate([rows, rows[:1] * 0])  # the extra row
    valid = xp.concatenate([counted, xp.zeros(1, dtype=bool)])[xp.asarray(positions)]  # (B, longest)
    block = padded_rows[Tensor(xp.asarray(positions))].masked_fill(Tensor(~valid[..., None]), -np.inf)
    return block.amax(dim=1).masked_fill(Tensor(~valid.any(axis=1)[:, None]), 0.0)


def _renormalize_rows(indices, table, max_norm, norm_type):
    """table[v] *= max_norm / (||table[v]|| + 1e-7) for the used rows v whose norm exceeds max_norm."""
    xp = backend.get_array_module(table)
    used = xp.unique(xp.clip(indices, 0, table.shape[0] - 1))
    norms = (xp.abs(table[used]) ** norm_type).sum(axis=1) ** (1.0 / norm_type)
    scale = xp.where(norms > max_norm, max_norm / (norms + 1e-7), 1.0).astype(table.dtype)
    table[used] *= scale[:, None]


def one_hot(tensor, num_classes=-1):
    """Integer class indices (any shape) -> int64 tensor of shape (*tensor.shape, num_classes) with a
    1 at each index and 0 elsewhere, as PyTorch's ``F.one_hot``. ``num_classes=-1`` takes the largest
    index + 1 (a read of the data, so a GPU synchronisation).

    one_hot(i) @ weight equals embedding(i, weight): the embedding lookup is this matrix product
    without building the (mostly zero) one-hot matrix. The result is integer, so not differentiable.
    """
    if not isinstance(tensor, Tensor) or tensor.dtype.kind not in "iu":
        what = f"dtype {tensor.dtype}" if isinstance(tensor, Tensor) else type(tensor).__name__
        raise DtypeError(f"one_hot: expected a tensor of integer class indices, got {what}")
    num_classes = as_int(num_classes)  # (a 0-d tensor too: one_hot(y, y.max() + 1))
    if num_classes == -1:
        if tensor.numel() == 0:
            raise InputError("one_hot: cannot infer num_classes from an empty tensor; pass num_classes")
        num_classes = int(backend.read_scalar(tensor._array.max())) + 1
    if not isinstance(num_classes, (int, np.integer)) or isinstance(num_classes, bool) or num_classes <= 0:
        raise InputError(f"one_hot: num_classes must be a positive int or -1, got {num_classes!r}")
    check_indices_below(tensor, num_classes, f"{num_classes} classes", "one_hot")
    xp = backend.get_array_module(tensor._array)
    return Tensor((tensor._array[..., None] == xp.arange(num_classes)).astype(np.int64))


def check_indices_below(indices, count, what, name):
    """Every index in [0, count): at once on the CPU, at the next read on the GPU (backend.check_soon)."""
    values = indices._array
    out_of_range = (values < 0) | (values >= count)

    def out_of_range_error():
        bad = int(values[out_of_range].reshape(-1)[0])
        where = " (found on the GPU at the next read of a result)" if indices.device == "gpu" else ""
        return IndexRangeError(f"{name}: index {bad} is out of range for {what}{where}")

    backend.check_soon(out_of_range.any(), out_of_range_error)
