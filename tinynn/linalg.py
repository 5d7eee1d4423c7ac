"""``tinynn.linalg``: PyTorch's ``torch.linalg`` for square and rectangular matrices (batched over
leading axes): ``inv``, ``det``, ``slogdet``, ``solve`` (their gradients in ops/linalg.py) and the
vector and matrix norms (built from differentiable ops)."""
from . import backend
from .ops.linalg import Determinant, Inverse, LogAbsDeterminant, Solve
from .tensor import Tensor


def _square(A, name):
    if not isinstance(A, Tensor):
        raise TypeError(f"{name}: expected a tinynn.Tensor, got {type(A).__name__}")
    if A.ndim < 2 or A.shape[-1] != A.shape[-2]:
        raise ValueError(f"{name}: expected square matrices (..., n, n), got shape {A.shape}")
    if A.dtype.kind != "f":
        raise TypeError(f"{name}: expected floating-point matrices, got dtype {A.dtype}")


def inv(A):
    """A^-1 for (..., n, n); a singular matrix is a ValueError."""
    _square(A, "inv")
    return Inverse()(A)


def det(A):
    _square(A, "det")
    return Determinant()(A)


def slogdet(A):
    """(sign, log |det A|); the sign is a constant, the log differentiable."""
    _square(A, "slogdet")
    logabsdet = LogAbsDeterminant()(A)
    sign = backend.get_array_module(A.data).linalg.slogdet(A.data)[0]
    return SlogdetResult(Tensor._from_op(sign, False), logabsdet)


class SlogdetResult(tuple):
    def __new__(cls, sign, logabsdet):
        return super().__new__(cls, (sign, logabsdet))

    sign = property(lambda self: self[0])
    logabsdet = property(lambda self: self[1])


def solve(A, B):
    """X with A X = B, for A (..., n, n) and B (..., n, k) or (..., n)."""
    _square(A, "solve")
    if (B.shape[0] if B.ndim == 1 else B.shape[-2]) != A.shape[-1]:
        raise ValueError(f"solve: A of shape {A.shape} and B of shape {B.shape} do not fit (B needs {A.shape[-1]} rows)")
    return Solve()(A, B)


def vector_norm(x, ord=2, dim=None, keepdim=False):
    """(sum |x|^ord)^(1/ord) over ``dim`` (every element by default); ord inf/-inf: max/min |x|, 0: the count of non-zeros."""
    if ord == 0:
        return (x != 0).astype(x.dtype).sum(dim, keepdim)
    if ord == float("inf"):
        return x.abs().amax(dim, keepdim)
    if ord == float("-inf"):
        return x.abs().amin(dim, keepdim)
    return x.norm(ord, dim, keepdim)


def matrix_norm(A, ord="fro", dim=(-2, -1), keepdim=False):
    """The Frobenius norm, or the induced 1- / inf-norms (the largest absolute column / row sum; -1
    and -inf the smallest), over the two axes ``dim``."""
    rows, columns = dim
    if ord == "fro":
        return A.norm("fro", dim, keepdim)
    if ord in (1, -1):
        sums = A.abs().sum(rows, keepdim=True)
        reduced = sums.amax(columns, keepdim=True) if ord == 1 else sums.amin(columns, keepdim=True)
    elif ord in (float("inf"), float("-inf")):
        sums = A.abs().sum(columns, keepdim=True)
        reduced = sums.amax(rows, keepdim=True) if ord > 0 else sums.amin(rows, keepdim=True)
    else:
        raise ValueError(f"matrix_norm: ord must be 'fro', 1, -1, inf or -inf, got {ord!r} (the nuclear and spectral "
                         "norms need an SVD, which tinynn does not have)")
    return reduced if keepdim else reduced.squeeze(tuple(sorted(d % A.ndim for d in dim)))


def norm(A, ord=None, dim=None, keepdim=False):
    """``vector_norm`` for a vector or an int ``dim``, ``matrix_norm`` for a matrix or two dims; without
    ord the 2-norm of every element (the Frobenius norm of a matrix), as torch.linalg.norm."""
    if ord is None:
        return A.norm("fro", dim, keepdim)
    if (dim is None and A.ndim == 2) or (isinstance(dim, (tuple, list)) and len(dim) == 2):
        return matrix_norm(A, ord, (-2, -1) if dim is None else tuple(dim), keepdim)
    return vector_norm(A, ord, dim, keepdim)


__all__ = ["inv", "det", "slogdet", "solve", "vector_norm", "matrix_norm", "norm"]
