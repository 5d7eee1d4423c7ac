"""Sparse CSR matrices (``torch.sparse_csr_tensor``, ``Tensor.to_sparse_csr()``): the stored entries of
an (m, n) matrix row by row, as ``crow_indices`` (m + 1,), where row r's entries are the positions
crow[r] to crow[r + 1] - 1, ``col_indices`` (nnz,) their columns, and ``values`` (nnz, *dense sizes)
(scalars, or with ``dense_dim`` slices of trailing dense dimensions). A row's entries are found
without a search, and the layout takes nnz + m + 1 indices where COO takes 2 nnz.

Everything a CSR matrix computes goes through its COO form (tinynn/sparse.py): the row of each entry
is read off crow_indices (row r repeated crow[r + 1] - crow[r] times), and ``mm``, ``to_dense``,
``sum`` and the rest are then the COO ones, differentiable in the values as they are. tinynn has no
CSC, BSR or BSC layouts, and no batch dimensions in front of the rows.
"""
import numpy as np

from .errors import InputError
from . import backend, memory_layout, printing
from .sparse import SparseTensor, StoredValues, mm, values_tensor
from .tensor import Tensor


class SparseCsrTensor(StoredValues):
    is_sparse, is_sparse_csr = False, True  # (as PyTorch's: is_sparse means the COO layout)
    layout = memory_layout.sparse_csr

    def __init__(self, crow_indices, col_indices, values, size):
        """``crow_indices`` (m + 1,) and ``col_indices`` (nnz,): int64 arrays on ``values``' device;
        ``values``: a Tensor (nnz, *size[2:]); checked by ``sparse_csr_tensor``."""
        self._crow, self._col, self._stored, self._size = crow_indices, col_indices, values, tuple(size)

    # ----- what it is ------------------------------------------------------------------------------
    def sparse_dim(self):
        return 2

    def crow_indices(self):
        """Where each row's entries start (m + 1,), int64, a constant."""
        return Tensor._from_op(self._crow, False)

    def col_indices(self):
        """Each entry's column (nnz,), int64, a constant."""
        return Tensor._from_op(self._col, False)

    def _nnz(self):
        return int(self._col.shape[0])

    def __repr__(self):
        """PyTorch's: the row starts and columns, then the values with size, nnz, dtype, layout and grad."""
        parts = [printing.named_part(name, printing.tensor_repr(tensor.numpy(), [])) for name, tensor in
                 (("crow_indices", self.crow_indices()), ("col_indices", self.col_indices()), ("values", self._stored))]
        return printing.sparse_repr(parts[:2], parts[2:] + self._closing_reprs())

    # ----- conversions -----------------------------------------------------------------------------
    def to_sparse_coo(self):
        """The COO tensor of the same entries (coalesced when each row's columns increase, as
        ``to_sparse_csr`` leaves them)."""
        xp = backend.get_array_module(self._crow)
        # entry k lies in the row r with crow[r] <= k < crow[r + 1] (CuPy's repeat takes no array of counts)
        rows = xp.searchsorted(self._crow, xp.arange(self._nnz(), dtype=np.int64), side="right") - 1
        increasing = bool((((rows[1:] - rows[:-1]) * self._size[1] + self._col[1:] - self._col[:-1]) > 0).all())
        return SparseTensor(xp.stack([rows, self._col]), self._stored, self._size, coalesced=increasing)

    to_sparse = to_sparse_coo

    def to_sparse_csr(self):
        return self

    def to_dense(self, dtype=None, *, masked_grad=None):
        """The dense matrix (zeros where nothing is stored); differentiable in the values."""
        return self.to_sparse_coo().to_dense(dtype)

    def to(self, device=None, dtype=None):
        """On ``device`` and/or of ``dtype`` (values differentiably, indices copied)."""
        values = self._stored.to(device=device, dtype=dtype)
        return SparseCsrTensor(backend.to_device(self._crow, values.device), backend.to_device(self._col, values.device),
                               values, self._size)

    def detach(self):
        return SparseCsrTensor(self._crow, self._col, self._stored.detach(), self._size)

    def clone(self):
        return SparseCsrTensor(self._crow.copy(), self._col.copy(), self._stored.clone(), self._size)

    def t(self):
        raise InputError("t: the transpose of a CSR matrix is a CSC one, a layout tinynn does not have; use "
                         "to_sparse_coo().t() (or .to_sparse_csr() of that)")

    # ----- arithmetic ------------------------------------------------------------------------------
    def __mul__(self, number):
        if isinstance(number, (SparseCsrTensor, SparseTensor, Tensor)):
            raise TypeError("sparse CSR *: tinynn multiplies a sparse matrix by a number; for the product of two "
                            "tensors use to_dense()")
        return SparseCsrTensor(self._crow, self._col, self._stored * number, self._size)

    def mm(self, dense):
        return mm(self.to_sparse_coo(), dense)

    matmul = __matmul__ = mm

    def sum(self, dim=None):
        from .sparse import sum as sparse_sum

        return sparse_sum(self.to_sparse_coo(), dim)


def sparse_csr_tensor(crow_indices, col_indices, values, size=None, dtype=None, device=None, requires_grad=False,
                      check_invariants=None):
    """The CSR matrix of ``size`` (m, n, *dense sizes) whose row r holds ``values[k]`` at column
    ``col_indices[k]`` for k from crow_indices[r] to crow_indices[r + 1] - 1. ``size`` defaults to
    the smallest that holds every entry. The indices are checked (PyTorch checks them on request)."""
    values = values_tensor(values, dtype, device, requires_grad)
    crow, col = (backend.to_device(i._array if isinstance(i, Tensor) else np.asarray(i), values.device)
                 for i in (crow_indices, col_indices))
    for name, indices in (("crow_indices", crow), ("col_indices", col)):
        if indices.ndim != 1 or indices.dtype.kind not in "iu":
            raise InputError(f"sparse_csr_tensor: expected {name} as a 1-D integer tensor, got {tuple(indices.shape)} "
                             f"{indices.dtype} (tinynn's CSR matrices have no batch dimensions)")
    crow, col = crow.astype(np.int64), col.astype(np.int64)
    if values.ndim < 1 or values.shape[0] != col.shape[0]:
        raise InputError(f"sparse_csr_tensor: expected values of shape ({col.shape[0]}, *dense sizes), one per column "
                         f"index, got {tuple(values.shape)}")
    if crow.size == 0 or int(crow[0]) != 0 or int(crow[-1]) != col.size or bool((crow[1:] < crow[:-1]).any()):
        raise InputError(f"sparse_csr_tensor: crow_indices must start at 0, not decrease, and end at nnz = {col.size}, "
                         f"got {backend.to_device(crow, backend.CPU).tolist()}")
    if col.size and int(col.min()) < 0:
        raise InputError("sparse_csr_tensor: col_indices must be non-negative")
    smallest = (crow.size - 1, int(col.max()) + 1 if col.size else 0)
    size = smallest + tuple(values.shape[1:]) if size is None else tuple(int(n) for n in size)
    if len(size) != 2 + values.ndim - 1 or size[2:] != tuple(values.shape[1:]) or size[0] != crow.size - 1 \
            or size[1] < smallest[1]:
        raise InputError(f"sparse_csr_tensor: crow_indices of {crow.size - 1} rows, columns up to {smallest[1] - 1} "
                         f"and values of shape {tuple(values.shape)} do not fit size {size}")
    return SparseCsrTensor(crow, col, values, size)


def to_sparse_csr(value, dense_dim=None):
    """A dense Tensor (its nonzero entries, or with ``dense_dim`` its nonzero slices) or a COO tensor
    with two sparse dimensions, as a CSR matrix (``Tensor.to_sparse_csr``); differentiable."""
    if isinstance(value, SparseCsrTensor):
        return value
    if isinstance(value, Tensor):
        dense_dim = 0 if dense_dim is None else int(dense_dim)
        if value.ndim - dense_dim != 2:
            raise InputError(f"to_sparse_csr: expected a matrix, two dimensions besides the {dense_dim} dense ones, "
                             f"got shape {tuple(value.shape)} (tinynn's CSR matrices have no batch dimensions)")
        value = value.to_sparse(2)
    if not isinstance(value, SparseTensor) or value.sparse_dim() != 2:
        raise InputError(f"to_sparse_csr: expected a dense tensor or a COO tensor of two sparse dimensions, got "
                         f"{type(value).__name__} of size {tuple(value.shape)}")
    coalesced = value.coalesce()
    xp = backend.get_array_module(coalesced._coordinates)
    counts = xp.bincount(coalesced._coordinates[0], minlength=coalesced.shape[0])
    crow = xp.concatenate([xp.zeros(1, dtype=np.int64), xp.cumsum(counts)]).astype(np.int64)
    return SparseCsrTensor(crow, coalesced._coordinates[1].copy(), coalesced.values(), coalesced.shape)
