"""The ops under sparse COO tensors (tinynn/sparse.py): a sparse tensor is its coordinates (constant)
and its values (a Tensor of the graph), so every op is differentiable in the values, and the sparse
matrix product also in its dense operand.
"""
from .. import backend
from ..autograd import Function


class ScatterSum(Function):
    """y[j] = sum of x[k] over the k with index[k] = j (y of ``length`` entries, or rows when x is
    (K, *dense sizes)): duplicate coordinates summed by ``coalesce``, dimensions summed away by
    ``sparse.sum``, the entries laid out flat by ``to_dense``.
    A linear map with 0/1 entries: dL/dx[k] = dL/dy[index[k]]."""

    supports_complex, linear_map = True, True

    def __init__(self, index, length):
        self.index, self.length = index, length

    def forward(self, x):
        y = self.xp(x).zeros((self.length,) + x.shape[1:], dtype=x.dtype)
        backend.scatter_add(y, self.index, x)
        return y

    def backward(self, gy):
        return (gy[self.index],)


class SparseDenseMatMul(Function):
    """Y = A D for a sparse (m, n) A given by its entries (rows[k], cols[k], values[k]) and a dense
    (n, f) D: Y[r] = sum over the entries of row r of values[k] D[cols[k]].

    dL/dD = A^T dL/dY: each entry adds values[k] dL/dY[rows[k]] into row cols[k];
    dL/dvalues[k] = <dL/dY[rows[k]], D[cols[k]]>, the one product that entry takes part in."""

    def __init__(self, rows, cols, rows_out):
        self.rows, self.cols, self.rows_out = rows, cols, rows_out

    def forward(self, values, dense):
        xp = self.xp(dense)
        self.values, self.dense = values, dense
        products = values[:, None] * dense[self.cols]
        y = xp.zeros((self.rows_out, dense.shape[1]), dtype=products.dtype)
        backend.scatter_add(y, self.rows, products)
        return y

    def backward(self, gy):
        xp = self.xp(gy)
        gvalues = (gy[self.rows] * self.dense[self.cols]).sum(axis=1) if self.needs_input_grad[0] else None
        gdense = None
        if self.needs_input_grad[1]:
            gdense = xp.zeros(self.dense.shape, dtype=gy.dtype)
            backend.scatter_add(gdense, self.cols, self.values[:, None] * gy[self.rows])
        return gvalues, gdense
