"""Sparse COO tensors (``torch.sparse_coo_tensor``, ``torch.sparse``): a tensor of ``size`` that stores
only its nonzero entries, as coordinates ``indices`` (sparse_dim, nnz) and ``values`` (nnz, *dense
sizes). The product of a sparse matrix with a dense one, A D, costs one multiply-add per stored entry
and feature instead of one per entry of A: the graph convolutions of a GNN, whose adjacency matrix is
mostly 0.

A "hybrid" tensor stores whole slices: with values (nnz, D) and indices (1, nnz), it is a (V, D)
matrix whose rows ``indices[0]`` hold ``values`` and whose other rows are 0. That is the gradient of
an embedding table looked up with ``sparse=True`` (nn/functional/embedding.py): only the rows the
batch used, not a (V, D) array of mostly zeros, and what ``optim.SGD``, ``optim.Adagrad`` and
``optim.SparseAdam`` update row by row.

The values are an ordinary Tensor of the graph (give one that requires grad, or ``requires_grad=True``),
so ``to_dense``, ``coalesce``, ``sum`` and the products are differentiable in them, and the products in
their dense operand too (tinynn/ops/sparse.py). Duplicate coordinates are allowed and mean their sum,
as in PyTorch; ``coalesce()`` sums them and sorts the coordinates.

A SparseTensor is not a tinynn.Tensor: it has the methods below, the functions of this module, and
``tinynn.sparse.mm``/``tinynn.mm``/``@`` with a dense right operand. An op of a dense tensor with a
sparse one (``dense + sparse``, ``p -= lr * p.grad``) uses its dense form; the sum of two sparse
tensors of one size is sparse (their entries side by side, uncoalesced), and so are the elementwise
products ``sparse * dense`` and ``sparse * sparse``. Other dense ops take ``to_dense()``.
"""
import math

import numpy as np

from .errors import DtypeError, InputError
from . import backend, memory_layout, printing
from .ops import sparse as sparse_ops
from .ops.reduction import normalize_axes
from .size import of as size_of
from .tensor import Tensor, concatenate, tensor

__all__ = ["SparseTensor", "mm", "sum", "softmax", "log_softmax", "addmm", "spdiags", "check_sparse_tensor_invariants"]


class StoredValues:
    """What a sparse layout (this COO tensor, tinynn/csr.py's CSR matrix) is beside its indices: a
    ``_size`` and the Tensor ``_stored`` of its values, whose dtype, device and gradient it has."""

    @property
    def shape(self):
        return size_of(self._size)

    def _closing_reprs(self):
        """What a sparse repr ends with, as PyTorch's: size, nnz, device, dtype, layout, grad."""
        device = [] if self.device == backend.CPU else [f"device='{self.device}'"]
        return ([f"size={self._size}", f"nnz={self._nnz()}"] + device + self._stored._dtype_repr()
                + [f"layout={self.layout}"] + self._stored._grad_repr())

    def size(self, dim=None):
        return self.shape if dim is None else self._size[dim]

    def dim(self):
        return len(self._size)

    ndim = property(dim)

    def dense_dim(self):
        """How many trailing dimensions each stored value has (0: scalars)."""
        return self._stored.ndim - 1

    def numel(self):
        return math.prod(self._size)

    @property
    def dtype(self):
        return self._stored.dtype

    @property
    def device(self):
        return self._stored.device

    @property
    def requires_grad(self):
        return self._stored.requires_grad

    def requires_grad_(self, requires_grad=True):
        self._stored.requires_grad_(requires_grad)
        return self

    def values(self):
        """The stored values (nnz, *dense sizes): the Tensor of the graph."""
        return self._stored

    def cpu(self):
        return self.to(device=backend.CPU)

    def __truediv__(self, number):
        return self * (1 / number)

    def __neg__(self):
        return self * -1

    def __rmul__(self, number):
        return self * number


class SparseTensor(StoredValues):
    is_sparse = True
    layout = memory_layout.sparse_coo

    def __init__(self, indices, values, size, coalesced=False):
        """``indices``: an int64 array (sparse_dim, nnz) on ``values``' device; ``values``: a Tensor
        (nnz, *size[sparse_dim:])."""
        self._coordinates, self._stored, self._size, self._coalesced = indices, values, tuple(size), coalesced

    # ----- what it is ------------------------------------------------------------------------------
    def sparse_dim(self):
        """How many leading dimensions the coordinates index."""
        return int(self._coordinates.shape[0])

    def indices(self):
        """The coordinates (sparse_dim, nnz), int64, a constant."""
        return Tensor._from_op(self._coordinates, False)

    def _indices(self):  # (PyTorch's names, which scripts and its optimizers use)
        return self.indices()

    def _values(self):
        return self._stored

    def _nnz(self):
        return int(self._coordinates.shape[1])

    def is_coalesced(self):
        return self._coalesced

    @property
    def data(self):
        """PyTorch's ``.data``: the same entries as a sparse tensor outside autograd, sharing their values
        (``p.grad.data.zero_()`` in a hand-written step over an embedding's sparse gradient)."""
        return SparseTensor(self._coordinates, self._stored.data, self._size, self._coalesced)

    def __repr__(self):
        """PyTorch's: the indices and values, then size, nnz, dtype, layout and grad on a line of their own."""
        return printing.sparse_repr([printing.named_part("indices", printing.tensor_repr(self.indices().numpy(), [])),
                                     printing.named_part("values", printing.tensor_repr(self._stored.numpy(), []))],
                                    self._closing_reprs())


    # ----- conversions -----------------------------------------------------------------------------
    def _sparse_size(self):
        return self._size[:self.sparse_dim()]

    def _flat(self):
        """Each entry's position among the sparse dimensions laid out in C order."""
        xp = backend.get_array_module(self._coordinates)
        sizes = self._sparse_size()
        flat = xp.zeros(self._coordinates.shape[1], dtype=np.int64)
        for axis in range(len(sizes)):
            flat = flat + self._coordinates[axis] * math.prod(sizes[axis + 1:])
        return flat

    def coalesce(self):
        """Duplicates summed, coordinates in lexicographic order (differentiable in the values)."""
        if self._coalesced:
            return self
        xp = backend.get_array_module(self._coordinates)
        unique, inverse = xp.unique(self._flat(), return_inverse=True)
        values = sparse_ops.ScatterSum(inverse.reshape(-1), int(unique.size))(self._stored)
        sizes = self._sparse_size()
        indices = xp.stack(xp.unravel_index(unique, sizes)).astype(np.int64) if sizes else \
            xp.zeros((0, unique.size), dtype=np.int64)
        return SparseTensor(indices.reshape(len(sizes), -1), values, self._size, coalesced=True)

    def to_dense(self, dtype=None, *, masked_grad=None):
        """The dense tensor (zeros where nothing is stored; duplicates summed); differentiable."""
        dense = sparse_ops.ScatterSum(self._flat(), math.prod(self._sparse_size()))(self._stored).reshape(self._size)
        return dense if dtype is None else dense.to(dtype=dtype)

    def to(self, device=None, dtype=None):
        """On ``device`` and/or of ``dtype`` (values differentiably, coordinates copied)."""
        values = self._stored.to(device=device, dtype=dtype)
        indices = backend.to_device(self._coordinates, values.device)
        return SparseTensor(indices, values, self._size, self._coalesced)

    def detach(self):
        return SparseTensor(self._coordinates, self._stored.detach(), self._size, self._coalesced)

    def clone(self):
        """A copy of the coordinates and the values (the copy of the values recorded, as ``Tensor.clone``)."""
        return SparseTensor(self._coordinates.copy(), self._stored.clone(), self._size, self._coalesced)

    def zero_(self):
        """Store nothing any more, in place (as PyTorch's: nnz becomes 0; the size stays)."""
        xp = backend.get_array_module(self._coordinates)
        self._coordinates = xp.zeros((self.sparse_dim(), 0), dtype=np.int64)
        self._stored = Tensor._from_op(xp.zeros((0,) + tuple(self._stored.shape[1:]), dtype=self.dtype), False)
        self._coalesced = True
        return self

    def t(self):
        """The transpose of a sparse matrix."""
        if len(self._size) != 2 or self.sparse_dim() != 2:
            raise InputError(f"t: expects a sparse matrix (2 sparse dimensions), got size {self._size} with "
                             f"{self.sparse_dim()} sparse; use to_dense().t()")
        return SparseTensor(self._coordinates[::-1].copy(), self._stored, self._size[::-1])

    # ----- arithmetic ------------------------------------------------------------------------------
    def __mul__(self, other):
        """Elementwise, sparse as PyTorch's: times a number; times a dense tensor that broadcasts to
        this size (each stored entry times the dense value at its coordinates); times a sparse tensor
        of this size (the coordinates both store, their coalesced values multiplied). Differentiable."""
        if isinstance(other, SparseTensor):
            return self._times_sparse(other)
        if isinstance(other, Tensor):
            if not _broadcasts_to(tuple(other.shape), self._size):
                raise InputError(f"sparse *: a dense operand of shape {tuple(other.shape)} does not broadcast to the "
                                 f"sparse size {self._size}")
            return SparseTensor(self._coordinates, self._stored * sparse_mask(other.expand(self._size), self).values(),
                                self._size, self._coalesced)
        return SparseTensor(self._coordinates, self._stored * other, self._size, self._coalesced)

    def _times_sparse(self, other):
        """The elementwise product of two sparse tensors of one size: entries where both store one."""
        if other.shape != self.shape or other.sparse_dim() != self.sparse_dim() or other.device != self.device:
            raise InputError(f"sparse *: sizes {self._size} and {other._size} (sparse dimensions {self.sparse_dim()} "
                             f"and {other.sparse_dim()}) on {self.device} and {other.device} do not match")
        first, second = self.coalesce(), other.coalesce()
        xp = backend.get_array_module(first._coordinates)
        keys, other_keys = first._flat(), second._flat()  # both sorted: coalesced
        position = xp.minimum(xp.searchsorted(other_keys, keys), max(other_keys.size - 1, 0))
        both = xp.nonzero(other_keys[position] == keys)[0] if other_keys.size else xp.zeros(0, dtype=np.int64)
        values = (first._stored[Tensor._from_op(both, False)]
                  * second._stored.to(dtype=self.dtype)[Tensor._from_op(position[both], False)])
        return SparseTensor(first._coordinates[:, both], values, self._size, coalesced=True)

    def __add__(self, other):
        """sparse + sparse of one size: sparse, the two sets of entries side by side (uncoalesced, as
        PyTorch's); sparse + dense: the dense sum."""
        if isinstance(other, SparseTensor):
            if other.shape != self.shape or other.sparse_dim() != self.sparse_dim():
                raise InputError(f"sparse +: sizes {self._size} and {other._size} (sparse dimensions "
                                 f"{self.sparse_dim()} and {other.sparse_dim()}) differ")
            if other.device != self.device:
                raise RuntimeError(f"sparse +: the operands are on {self.device} and {other.device}; move one")
            xp = backend.get_array_module(self._coordinates)
            values = concatenate([self._stored, other._stored.to(dtype=self.dtype)])
            return SparseTensor(xp.concatenate([self._coordinates, other._coordinates], axis=1), values, self._size)
        if isinstance(other, Tensor):
            return self.to_dense() + other
        return NotImplemented

    def __radd__(self, other):
        return self + other

    def __sub__(self, other):
        return self + (-other)

    def __rsub__(self, other):
        return (-self) + other

    def add(self, other, alpha=1):
        return self + (other if alpha == 1 else other * alpha)

    def mm(self, dense):
        return mm(self, dense)

    matmul = __matmul__ = mm

    def sum(self, dim=None):
        return sum(self, dim)

    def to_sparse_coo(self):
        return self

    def to_sparse_csr(self):
        """The CSR matrix of the same entries (tinynn/csr.py), for two sparse dimensions."""
        from .csr import to_sparse_csr

        return to_sparse_csr(self)


def _broadcasts_to(shape, size):
    """Whether ``shape`` broadcasts to ``size`` without growing it."""
    return len(shape) <= len(size) and all(n in (1, m) for n, m in zip(shape[::-1], size[::-1]))


def values_tensor(values, dtype, device, requires_grad):
    """A sparse tensor's values as a Tensor: one given stays (in its graph; moved or cast if asked),
    anything else becomes one; ``requires_grad`` makes it a leaf that requires grad if it is not."""
    if not isinstance(values, Tensor):
        values = tensor(values, dtype=dtype, device=device)
    elif dtype is not None or device is not None:
        values = values.to(device=device, dtype=dtype)
    if requires_grad and not values.requires_grad:
        values = values.detach().requires_grad_()
    return values


def sparse_coo_tensor(indices, values, size=None, dtype=None, device=None, requires_grad=False,
                      check_invariants=None, is_coalesced=None):
    """A sparse COO tensor of ``size`` with ``values[k]`` at coordinates ``indices[:, k]`` (duplicates
    add up). ``values`` (nnz, *dense sizes): scalars, or slices of the trailing dense dimensions (a
    hybrid tensor). ``size`` defaults to the smallest that holds every coordinate. A values Tensor that
    requires grad stays in the graph; otherwise ``requires_grad`` makes a new leaf."""
    values = values_tensor(values, dtype, device, requires_grad)
    raw = indices._array if isinstance(indices, Tensor) else np.asarray(indices)
    raw = backend.to_device(raw, values.device)
    if raw.ndim != 2 or raw.dtype.kind not in "iu":
        raise InputError(f"sparse_coo_tensor: expected integer indices of shape (sparse_dim, nnz), got "
                         f"{tuple(raw.shape)} {raw.dtype}")
    if values.ndim < 1 or values.shape[0] != raw.shape[1]:
        raise InputError(f"sparse_coo_tensor: expected values of shape ({raw.shape[1]}, *dense sizes), one per "
                         f"coordinate, got {tuple(values.shape)}")
    raw = raw.astype(np.int64)
    if raw.size and int(raw.min()) < 0:
        raise InputError("sparse_coo_tensor: indices must be non-negative")
    dense_sizes = tuple(values.shape[1:])
    smallest = tuple(int(v) + 1 for v in raw.max(axis=1)) if raw.shape[1] else (0,) * raw.shape[0]
    size = smallest + dense_sizes if size is None else tuple(int(n) for n in size)
    if (len(size) != raw.shape[0] + len(dense_sizes) or size[raw.shape[0]:] != dense_sizes
            or any(need > have for need, have in zip(smallest, size))):
        raise InputError(f"sparse_coo_tensor: coordinates and values need a size of at least {smallest + dense_sizes}, "
                         f"got {size}")
    return SparseTensor(raw, values, size, coalesced=bool(is_coalesced))


def to_sparse(dense, sparse_dim=None):
    """The nonzero entries of a dense Tensor as a (coalesced) sparse tensor; differentiable. With
    ``sparse_dim`` < ndim, a hybrid one: the slices over the first ``sparse_dim`` dimensions that
    hold a nonzero, whole."""
    xp = backend.get_array_module(dense._array)
    sparse_dim = dense.ndim if sparse_dim is None else int(sparse_dim)
    if not min(1, dense.ndim) <= sparse_dim <= dense.ndim:  # (as PyTorch's: a 0-d tensor's only, 0)
        raise InputError(f"to_sparse: sparse_dim must lie in [{min(1, dense.ndim)}, {dense.ndim}] for a tensor of shape "
                         f"{tuple(dense.shape)}, got {sparse_dim}")
    if sparse_dim == 0:  # a 0-d tensor: one entry with no coordinates, stored where it is nonzero (as PyTorch's)
        stored = int(bool(dense._array != 0))
        return SparseTensor(xp.zeros((0, stored), dtype=np.int64), dense.reshape(1)[:stored], (), coalesced=True)
    nonzero = dense._array != 0
    if sparse_dim < dense.ndim:
        nonzero = nonzero.any(axis=tuple(range(sparse_dim, dense.ndim)))
    coordinates = xp.stack(xp.nonzero(nonzero)).astype(np.int64).reshape(sparse_dim, -1)
    values = dense[tuple(Tensor._from_op(axis, False) for axis in coordinates)]
    return SparseTensor(coordinates, values, dense.shape, coalesced=True)


def sparse_mask(dense, mask):
    """``dense``'s values at the coordinates the sparse ``mask`` stores (its values ignored), as a sparse
    tensor of those coordinates: ``Tensor.sparse_mask``. Differentiable in ``dense``."""
    if not isinstance(mask, SparseTensor):
        raise TypeError(f"sparse_mask: expected a sparse mask, got {type(mask).__name__}")
    if mask.shape != dense.shape:
        raise InputError(f"sparse_mask: the mask's size {mask._size} differs from the tensor's {tuple(dense.shape)}")
    if mask.device != dense.device:
        raise RuntimeError(f"sparse_mask: the mask is on {mask.device}, the tensor on {dense.device}")
    if mask.sparse_dim() == 0:  # (at most one entry, with no coordinates: the whole tensor)
        values = dense.reshape((1,) + tuple(dense.shape))[:mask._nnz()]
    else:
        values = dense[tuple(Tensor._from_op(axis, False) for axis in mask._coordinates)]
    return SparseTensor(mask._coordinates, values, mask._size, mask._coalesced)


def stored_numbers(gradient):
    """The array holding a gradient's numbers: a dense tensor's array (an array: itself), or a sparse
    one's values, which scaling in place or a finiteness check may treat as the gradient (duplicates
    or not)."""
    if isinstance(gradient, StoredValues):
        gradient = gradient.values()
    return gradient._array if isinstance(gradient, Tensor) else gradient


def zero_gradient(grad):
    """Set a gradient to zero in place (``zero_grad(set_to_none=False)``): a dense one's entries, or a
    sparse one's list of entries emptied, as PyTorch's."""
    if isinstance(grad, SparseTensor):
        grad.zero_()
    else:
        grad._array[...] = 0


def mm(sparse, dense):
    """The dense (m, f) product of a sparse (m, n) matrix and a dense (n, f) one (or (n,), giving (m,)),
    differentiable in the sparse values and the dense matrix; with a sparse (n, f) second operand, the
    sparse product (``_sparse_product``). A CSR matrix goes through its COO form."""
    sparse, dense = (value.to_sparse_coo() if getattr(value, "is_sparse_csr", False) else value
                     for value in (sparse, dense))
    if not isinstance(sparse, SparseTensor):
        raise TypeError(f"sparse.mm: expected a sparse matrix first, got {type(sparse).__name__}")
    if isinstance(dense, SparseTensor):
        return _sparse_product(sparse, dense)
    if not isinstance(dense, Tensor):
        raise TypeError(f"sparse.mm: expected a dense tinynn.Tensor or a sparse matrix second, got "
                        f"{type(dense).__name__}")
    if sparse.dense_dim():
        raise InputError(f"sparse.mm: expects a sparse matrix of scalars, got one of size {sparse._size} whose values "
                         f"have {sparse.dense_dim()} dense dimensions; use to_dense()")
    if sparse.ndim != 2 or dense.ndim not in (1, 2) or dense.shape[0] != sparse.shape[1]:
        raise InputError(f"sparse.mm: shapes {tuple(sparse.shape)} (sparse) and {tuple(dense.shape)} do not fit: expected "
                         f"(m, n) @ (n, f)")
    if dense.device != sparse.device:
        raise RuntimeError(f"sparse.mm: the sparse matrix is on {sparse.device}, the dense one on {dense.device}")
    matrix = dense if dense.ndim == 2 else dense.reshape(-1, 1)
    if matrix.dtype != sparse.dtype:
        raise DtypeError(f"sparse.mm: the operands' dtypes differ: {sparse.dtype} and {matrix.dtype}")
    product = sparse_ops.SparseDenseMatMul(sparse._coordinates[0], sparse._coordinates[1], sparse.shape[0])(sparse.values(),
                                                                                                 matrix)
    return product if dense.ndim == 2 else product.reshape(-1)


def _sparse_product(first, second):
    """The sparse (m, p) product of sparse (m, n) and (n, p) matrices of scalars: every entry (i, k) of
    the first meets the entries (k, j) of the second, each pair adding first[i, k] * second[k, j] at
    (i, j), and the result is coalesced. The pairs are found without a loop: the second's entries
    sorted by row (coalesced), each of the first's entries takes the run of rows equal to its column
    (``searchsorted``), and the runs are laid end to end. Differentiable in both values."""
    for value in (first, second):
        if value.ndim != 2 or value.dense_dim():
            raise InputError(f"sparse.mm: expected two sparse matrices of scalars, got sizes {first._size} and "
                             f"{second._size} (dense dimensions {first.dense_dim()}, {second.dense_dim()})")
    if first.shape[1] != second.shape[0] or first.device != second.device or first.dtype != second.dtype:
        raise InputError(f"sparse.mm: sparse matrices of sizes {first._size} and {second._size} ({first.dtype} on "
                         f"{first.device}, {second.dtype} on {second.device}) do not fit (m, n) @ (n, p) of one dtype "
                         f"and device")
    second = second.coalesce()
    xp = backend.get_array_module(first._coordinates)
    rows, columns = first._coordinates
    starts = xp.searchsorted(second._coordinates[0], columns, side="left")
    counts = xp.searchsorted(second._coordinates[0], columns, side="right") - starts
    ends = xp.cumsum(counts)
    pairs = int(ends[-1]) if ends.size else 0
    step = xp.arange(pairs, dtype=np.int64)
    which = xp.searchsorted(ends, step, side="right")  # the first's entry of each pair
    partner = starts[which] + step - (ends[which] - counts[which])  # the second's entry
    values = (first.values()[Tensor._from_op(which, False)] * second.values()[Tensor._from_op(partner, False)])
    coordinates = xp.stack([rows[which], second._coordinates[1][partner]]).reshape(2, pairs)
    return SparseTensor(coordinates, values, (first.shape[0], second.shape[1])).coalesce()


def sum(input, dim=None):
    """The sum of every stored value (a dense 0-d Tensor), or over ``dim`` (an int or tuple): a sparse
    tensor of the remaining dimensions (dense 0-d if none remain), as ``torch.sparse.sum``; the
    sparse dimensions summed by merging coordinates, the dense ones in the values."""
    if not isinstance(input, SparseTensor):
        raise TypeError(f"sparse.sum: expected a sparse tensor, got {type(input).__name__}")
    if dim is None:
        return input.values().sum()
    dims = set(normalize_axes(dim, input.ndim, "sparse.sum"))
    kept = [axis for axis in range(input.ndim) if axis not in dims]
    if not kept:
        return input.values().sum()
    sparse_dim = input.sparse_dim()
    kept_sparse = [axis for axis in kept if axis < sparse_dim]
    summed_dense = tuple(axis - sparse_dim + 1 for axis in dims if axis >= sparse_dim)
    values = input.values().sum(dim=summed_dense) if summed_dense else input.values()
    if not kept_sparse:  # only dense dimensions remain: a dense tensor
        return values.sum(dim=0)
    return SparseTensor(input._coordinates[kept_sparse], values, tuple(input.shape[a] for a in kept)).coalesce()


def softmax(input, dim, dtype=None):
    """Softmax along ``dim`` over the stored entries only, as ``torch.sparse.softmax``: the entries
    that share their other coordinates form a group (the entries not stored count as -inf, so they
    stay out and stay unstored); along a dense dimension, the values' own softmax. The result has
    the coalesced input's entries; differentiable in the values (``_softmax``)."""
    return _softmax(input, dim, dtype, False, "sparse.softmax")


def log_softmax(input, dim, dtype=None):
    """The logarithm of ``softmax``, computed as v - max - log(sum of exp(v - max)) per group."""
    return _softmax(input, dim, dtype, True, "sparse.log_softmax")


def _softmax(input, dim, dtype, log, name):
    """``softmax`` (or with ``log`` its logarithm). Along a sparse ``dim``: the coalesced values less
    their group's maximum, a constant (the softmax does not change with it, so the gradient passes
    through the rest), and the log of each group's sum of exp of those; along a dense one, the
    values' own (log-)softmax over its axis."""
    if not isinstance(input, SparseTensor):
        raise TypeError(f"{name}: expected a sparse tensor, got {type(input).__name__}")
    (dim,) = normalize_axes(dim, input.ndim, name)
    coalesced = input.coalesce()
    values = coalesced.values() if dtype is None else coalesced.values().to(dtype=dtype)
    if values.dtype.kind != "f":
        raise DtypeError(f"{name}: expected floating-point values, got {values.dtype}")
    if dim >= coalesced.sparse_dim():
        axis = dim - coalesced.sparse_dim() + 1
        values = values.log_softmax(dim=axis) if log else values.softmax(dim=axis)
        return SparseTensor(coalesced._coordinates, values, coalesced._size, coalesced=True)
    xp = backend.get_array_module(coalesced._coordinates)
    others = [axis for axis in range(coalesced.sparse_dim()) if axis != dim]
    rows = coalesced._coordinates[xp.asarray(others, dtype=np.int64)]  # (an array: [] indexes nothing on CuPy too)
    keys = SparseTensor(rows, values, tuple(coalesced._size[a] for a in others))._flat()
    groups, grouped = xp.unique(keys, return_inverse=True)
    grouped = grouped.reshape(-1)
    largest = xp.full((groups.size,) + tuple(values.shape[1:]), -xp.inf, dtype=values.dtype)
    backend.scatter_max(largest, grouped, values._array)
    shifted = values - Tensor._from_op(largest[grouped], False)
    log_total = sparse_ops.ScatterSum(grouped, int(groups.size))(shifted.exp()).log()
    grouped = Tensor._from_op(grouped, False)
    values = shifted - log_total[grouped] if log else shifted.exp() / log_total.exp()[grouped]
    return SparseTensor(coalesced._coordinates, values, coalesced._size, coalesced=True)


def addmm(mat, mat1, mat2, beta=1.0, alpha=1.0):
    """beta * mat + alpha * (mat1 @ mat2) for a sparse mat1 and dense mat and mat2, as
    ``torch.sparse.addmm``; differentiable in all three."""
    product = mm(mat1, mat2)
    return (mat if beta == 1 else mat * beta) + (product if alpha == 1 else product * alpha)


def spdiags(diagonals, offsets, shape, layout=None):
    """The sparse (m, n) matrix with ``diagonals[k, j]`` at (j - offsets[k], j), as
    ``torch.sparse.spdiags`` (and SciPy's): row k of ``diagonals`` (K, L) fills the diagonal
    ``offsets[k]`` (0 the main one, positive above it), indexed by column; entries that fall outside
    the matrix are left out. Differentiable in ``diagonals``."""
    if layout not in (None, memory_layout.sparse_coo):
        raise InputError(f"spdiags: tinynn makes sparse COO matrices only, got layout {layout}")
    if not isinstance(diagonals, Tensor) or diagonals.ndim != 2:
        raise InputError("spdiags: expected diagonals as a 2-D tensor (one row per diagonal)")
    offsets = np.asarray(offsets.numpy() if isinstance(offsets, Tensor) else offsets).reshape(-1)
    rows, columns = (int(n) for n in shape)
    if offsets.size != diagonals.shape[0] or len(set(offsets.tolist())) != offsets.size:
        raise InputError(f"spdiags: expected {diagonals.shape[0]} distinct offsets, one per row of diagonals, got "
                         f"{offsets.tolist()}")
    which, where = [], []
    for k, offset in enumerate(offsets.tolist()):
        column = np.arange(max(0, offset), min(columns, rows + offset, diagonals.shape[1]))
        which.append(np.full(column.size, k)), where.append(column)
    which, column = np.concatenate(which), np.concatenate(where)
    coordinates = np.stack([column - offsets[which], column]).astype(np.int64)
    xp = backend.get_array_module(diagonals._array)
    picked = diagonals[Tensor._from_op(xp.asarray(which), False), Tensor._from_op(xp.asarray(column), False)]
    return SparseTensor(backend.to_device(coordinates, diagonals.device), picked, (rows, columns)).coalesce()


class check_sparse_tensor_invariants:
    """PyTorch's switch for checking a new sparse tensor's indices (in range, non-negative). tinynn
    always checks them (``sparse_coo_tensor``; a pass over the indices), so the switch is on and
    turning it off changes nothing; usable as PyTorch's: ``is_enabled()``, ``enable()``,
    ``disable()``, and as a context manager or decorator."""

    def __init__(self, enable=True):
        """``enable``: PyTorch's; False would not stop tinynn's checks."""

    @staticmethod
    def is_enabled():
        return True

    @staticmethod
    def enable():
        pass

    @staticmethod
    def disable():
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def __call__(self, function):
        return function
