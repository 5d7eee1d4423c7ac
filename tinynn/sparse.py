"""Sparse COO tensors (``torch.sparse_coo_tensor``, ``torch.sparse``): a tensor of ``size`` that stores
only its nonzero entries, as coordinates ``indices`` (ndim, nnz) and ``values`` (nnz,). The product
of a sparse matrix with a dense one, A D, costs one multiply-add per stored entry and feature
instead of one per entry of A: the graph convolutions of a GNN, whose adjacency matrix is mostly 0.

The values are an ordinary Tensor of the graph (give one that requires grad, or ``requires_grad=True``),
so ``to_dense``, ``coalesce``, ``sum`` and the products are differentiable in them, and the products in
their dense operand too (tinynn/ops/sparse.py). Duplicate coordinates are allowed and mean their sum,
as in PyTorch; ``coalesce()`` sums them and sorts the coordinates.

A SparseTensor is not a tinynn.Tensor: the dense ops do not take it (convert with ``to_dense()``);
it has the methods below, and ``tinynn.sparse.mm``/``tinynn.mm``/``@`` with a dense right operand.
"""
import math

import numpy as np

from . import backend, memory_layout
from .ops import sparse as sparse_ops
from .size import of as size_of
from .tensor import Tensor, tensor

__all__ = ["SparseTensor", "mm", "sum"]


class SparseTensor:
    is_sparse = True
    layout = memory_layout.sparse_coo

    def __init__(self, indices, values, size, coalesced=False):
        """``indices``: an int64 array (ndim, nnz) on ``values``' device; ``values``: a Tensor (nnz,)."""
        self._indices, self._values, self._size, self._coalesced = indices, values, tuple(size), coalesced

    # ----- what it is ------------------------------------------------------------------------------
    @property
    def shape(self):
        return size_of(self._size)

    def size(self, dim=None):
        return self.shape if dim is None else self._size[dim]

    def dim(self):
        return len(self._size)

    ndim = property(dim)

    @property
    def dtype(self):
        return self._values.dtype

    @property
    def device(self):
        return self._values.device

    @property
    def requires_grad(self):
        return self._values.requires_grad

    def requires_grad_(self, requires_grad=True):
        self._values.requires_grad_(requires_grad)
        return self

    def indices(self):
        """The coordinates (ndim, nnz), int64, a constant."""
        return Tensor._from_op(self._indices, False)

    def values(self):
        """The stored values (nnz,): the Tensor of the graph."""
        return self._values

    def _nnz(self):
        return int(self._indices.shape[1])

    def is_coalesced(self):
        return self._coalesced

    def __repr__(self):
        return (f"tensor(indices={self.indices()!r},\n       values={self._values!r},\n       size={self._size}, "
                f"nnz={self._nnz()}, layout={self.layout})")

    # ----- conversions -----------------------------------------------------------------------------
    def _flat(self):
        """Each entry's position in the dense tensor laid out in C order."""
        xp = backend.get_array_module(self._indices)
        strides = [math.prod(self._size[axis + 1:]) for axis in range(len(self._size))]
        flat = xp.zeros(self._indices.shape[1], dtype=np.int64)
        for axis, stride in enumerate(strides):
            flat = flat + self._indices[axis] * stride
        return flat

    def coalesce(self):
        """Duplicates summed, coordinates in lexicographic order (differentiable in the values)."""
        if self._coalesced:
            return self
        xp = backend.get_array_module(self._indices)
        unique, inverse = xp.unique(self._flat(), return_inverse=True)
        values = sparse_ops.ScatterSum(inverse.reshape(-1), int(unique.size))(self._values)
        indices = xp.stack(xp.unravel_index(unique, self._size)).astype(np.int64) if self._size else \
            xp.zeros((0, unique.size), dtype=np.int64)
        return SparseTensor(indices.reshape(len(self._size), -1), values, self._size, coalesced=True)

    def to_dense(self):
        """The dense tensor (zeros where nothing is stored; duplicates summed)."""
        return sparse_ops.ScatterSum(self._flat(), math.prod(self._size))(self._values).reshape(self._size)

    def to(self, device=None, dtype=None):
        """On ``device`` and/or of ``dtype`` (values differentiably, coordinates copied)."""
        values = self._values.to(device=device, dtype=dtype)
        indices = backend.to_device(self._indices, values.device)
        return SparseTensor(indices, values, self._size, self._coalesced)

    def detach(self):
        return SparseTensor(self._indices, self._values.detach(), self._size, self._coalesced)

    def t(self):
        """The transpose of a sparse matrix."""
        if len(self._size) != 2:
            raise ValueError(f"t: expects a sparse matrix (2 dimensions), got size {self._size}")
        return SparseTensor(self._indices[::-1].copy(), self._values, self._size[::-1])

    # ----- arithmetic ------------------------------------------------------------------------------
    def __mul__(self, number):
        if isinstance(number, (SparseTensor, Tensor)):
            raise TypeError("sparse *: tinynn multiplies a sparse tensor by a number; for the dense product of "
                            "two tensors use to_dense()")
        return SparseTensor(self._indices, self._values * number, self._size, self._coalesced)

    __rmul__ = __mul__

    def __neg__(self):
        return self * -1

    def mm(self, dense):
        return mm(self, dense)

    matmul = __matmul__ = mm

    def sum(self, dim=None):
        return sum(self, dim)


def sparse_coo_tensor(indices, values, size=None, dtype=None, device=None, requires_grad=False,
                      check_invariants=None, is_coalesced=None):
    """A sparse COO tensor of ``size`` with ``values[k]`` at coordinates ``indices[:, k]`` (duplicates
    add up). ``size`` defaults to the smallest that holds every coordinate. A values Tensor that
    requires grad stays in the graph; otherwise ``requires_grad`` makes a new leaf."""
    if not isinstance(values, Tensor):
        values = tensor(values, dtype=dtype, device=device)
    elif dtype is not None or device is not None:
        values = values.to(device=device, dtype=dtype)
    if requires_grad and not values.requires_grad:
        values = values.detach().requires_grad_()
    raw = indices.data if isinstance(indices, Tensor) else np.asarray(indices)
    raw = backend.to_device(raw, values.device)
    if raw.ndim != 2 or raw.dtype.kind not in "iu":
        raise ValueError(f"sparse_coo_tensor: expected integer indices of shape (ndim, nnz), got "
                         f"{tuple(raw.shape)} {raw.dtype}")
    if values.ndim != 1 or values.shape[0] != raw.shape[1]:
        raise ValueError(f"sparse_coo_tensor: expected values of shape ({raw.shape[1]},), one per coordinate, got "
                         f"{tuple(values.shape)} (tinynn's sparse values are scalars)")
    raw = raw.astype(np.int64)
    if raw.size and int(raw.min()) < 0:
        raise ValueError("sparse_coo_tensor: indices must be non-negative")
    smallest = tuple(int(v) + 1 for v in raw.max(axis=1)) if raw.shape[1] else (0,) * raw.shape[0]
    size = smallest if size is None else tuple(int(n) for n in size)
    if len(size) != raw.shape[0] or any(need > have for need, have in zip(smallest, size)):
        raise ValueError(f"sparse_coo_tensor: coordinates need a size of at least {smallest}, got {size}")
    return SparseTensor(raw, values, size, coalesced=bool(is_coalesced))


def to_sparse(dense):
    """The nonzero entries of a dense Tensor as a (coalesced) sparse tensor; differentiable."""
    xp = backend.get_array_module(dense.data)
    if dense.ndim == 0:  # one entry with no coordinates, stored where it is nonzero (as PyTorch's)
        stored = int(bool(dense.data != 0))
        return SparseTensor(xp.zeros((0, stored), dtype=np.int64), dense.reshape(1)[:stored], (), coalesced=True)
    coordinates = xp.stack(xp.nonzero(dense.data)).astype(np.int64).reshape(dense.ndim, -1)
    values = dense[tuple(Tensor._from_op(axis, False) for axis in coordinates)]
    return SparseTensor(coordinates, values, dense.shape, coalesced=True)


def mm(sparse, dense):
    """The dense (m, f) product of a sparse (m, n) matrix and a dense (n, f) one (or (n,), giving (m,)),
    differentiable in the sparse values and the dense matrix."""
    if not isinstance(sparse, SparseTensor):
        raise TypeError(f"sparse.mm: expected a sparse matrix first, got {type(sparse).__name__}")
    if not isinstance(dense, Tensor):
        raise TypeError(f"sparse.mm: expected a dense tinynn.Tensor second, got {type(dense).__name__}")
    if sparse.ndim != 2 or dense.ndim not in (1, 2) or dense.shape[0] != sparse.shape[1]:
        raise ValueError(f"sparse.mm: shapes {tuple(sparse.shape)} (sparse) and {tuple(dense.shape)} do not fit: expected "
                         f"(m, n) @ (n, f)")
    if dense.device != sparse.device:
        raise RuntimeError(f"sparse.mm: the sparse matrix is on {sparse.device}, the dense one on {dense.device}")
    matrix = dense if dense.ndim == 2 else dense.reshape(-1, 1)
    if matrix.dtype != sparse.dtype:
        raise TypeError(f"sparse.mm: the operands' dtypes differ: {sparse.dtype} and {matrix.dtype}")
    product = sparse_ops.SparseDenseMatMul(sparse._indices[0], sparse._indices[1], sparse.shape[0])(sparse.values(),
                                                                                                 matrix)
    return product if dense.ndim == 2 else product.reshape(-1)


def sum(input, dim=None):
    """The sum of every stored value (a dense 0-d Tensor), or over ``dim`` (an int or tuple): a sparse
    tensor of the remaining dimensions (dense 0-d if none remain), as ``torch.sparse.sum``."""
    if not isinstance(input, SparseTensor):
        raise TypeError(f"sparse.sum: expected a sparse tensor, got {type(input).__name__}")
    if dim is None:
        return input.values().sum()
    dims = {d % input.ndim for d in ((dim,) if isinstance(dim, int) else dim)}
    kept = [axis for axis in range(input.ndim) if axis not in dims]
    if not kept:
        return input.values().sum()
    reduced = SparseTensor(input._indices[kept], input.values(), tuple(input.shape[a] for a in kept))
    return reduced.coalesce()
