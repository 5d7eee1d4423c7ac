"""``tinynn.linalg``: PyTorch's ``torch.linalg`` for square and rectangular matrices (batched over
leading axes): ``inv``, ``det``, ``slogdet``, ``solve`` (their gradients in ops/linalg.py), the
decompositions ``cholesky``, ``qr``, ``eigh``, ``svd`` and the pseudo-inverse ``pinv`` (theirs in
ops/decompositions.py), and what is built from them and other differentiable ops: norms, ranks,
condition numbers, least squares, triangular solves, matrix powers, products and cross products."""
import collections
import functools

import numpy as np

from . import backend
from .ops.decompositions import QR, SVD, Cholesky, PseudoInverse, SymmetricEigen, cutoff
from .ops.linalg import Determinant, Inverse, LogAbsDeterminant, MatrixExp, Solve
from .tensor import Tensor

QRResult = collections.namedtuple("QRResult", ["Q", "R"])
EighResult = collections.namedtuple("EighResult", ["eigenvalues", "eigenvectors"])
SVDResult = collections.namedtuple("SVDResult", ["U", "S", "Vh"])
LstsqResult = collections.namedtuple("LstsqResult", ["solution", "residuals", "rank", "singular_values"])


def _matrices(A, name):
    if not isinstance(A, Tensor):
        raise TypeError(f"{name}: expected a tinynn.Tensor, got {type(A).__name__}")
    if A.ndim < 2:
        raise ValueError(f"{name}: expected matrices (..., m, n), got shape {A.shape}")
    if A.dtype.kind != "f":
        raise TypeError(f"{name}: expected floating-point matrices, got dtype {A.dtype}")


def _square(A, name):
    _matrices(A, name)
    if A.shape[-1] != A.shape[-2]:
        raise ValueError(f"{name}: expected square matrices (..., n, n), got shape {A.shape}")


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
    elif ord in ("nuc", 2, -2):
        singular_values = svdvals(A.movedim((rows, columns), (-2, -1)))
        reduced = singular_values.sum(-1) if ord == "nuc" else \
            singular_values[..., 0] if ord == 2 else singular_values[..., -1]
        for axis in sorted(d % A.ndim for d in dim):
            reduced = reduced.unsqueeze(axis) if keepdim else reduced
        return reduced
    else:
        raise ValueError(f"matrix_norm: ord must be 'fro', 'nuc', 1, -1, 2, -2, inf or -inf, got {ord!r}")
    return reduced if keepdim else reduced.squeeze(tuple(sorted(d % A.ndim for d in dim)))


def norm(A, ord=None, dim=None, keepdim=False):
    """``vector_norm`` for a vector or an int ``dim``, ``matrix_norm`` for a matrix or two dims; without
    ord the 2-norm of every element (the Frobenius norm of a matrix), as torch.linalg.norm."""
    if ord is None:
        return A.norm("fro", dim, keepdim)
    if (dim is None and A.ndim == 2) or (isinstance(dim, (tuple, list)) and len(dim) == 2):
        return matrix_norm(A, ord, (-2, -1) if dim is None else tuple(dim), keepdim)
    return vector_norm(A, ord, dim, keepdim)


def matrix_exp(A):
    """e^A = sum A^k / k! of square matrices (..., n, n) (Pade approximation with scaling and squaring)."""
    _square(A, "matrix_exp")
    return MatrixExp()(A)


def householder_product(A, tau):
    """The first n columns of H_1 H_2 ... H_k, H_i = I - tau_i v_i v_i^T, where v_i is column i of A
    (m, n) below its diagonal with a 1 on it (LAPACK's orgqr, as torch.linalg.householder_product);
    differentiable in A and tau, one reflector applied at a time."""
    _matrices(A, "householder_product")
    m, n = A.shape[-2:]
    k = tau.shape[-1]
    if k > n or n > m:
        raise ValueError(f"householder_product: expected m >= n >= k for A (..., m, n) and tau (..., k), got A "
                         f"{tuple(A.shape)} and tau {tuple(tau.shape)}")
    xp = backend.get_array_module(A.data)
    below = Tensor._from_op(xp.tril(xp.ones((m, n), dtype=A.dtype), -1), False)
    unit = Tensor._from_op(xp.eye(m, n, dtype=A.dtype), False)
    reflectors = A * below + unit
    q = Tensor._from_op(xp.broadcast_to(xp.eye(m, dtype=A.dtype), A.shape[:-2] + (m, m)).copy(), False)
    for i in range(k):
        v = reflectors[..., :, i:i + 1]
        q = q - (q @ v) * tau[..., i:i + 1].unsqueeze(-1) @ v.mT
    return q[..., :, :n]


def cholesky(A, upper=False):
    """L (lower triangular) with A = L L^T for symmetric positive-definite A (..., n, n), reading
    its lower triangle; ``upper``: U = L^T, with A = U^T U. Not positive definite: a ValueError."""
    _square(A, "cholesky")
    lower = Cholesky()(A)
    return lower.mT if upper else lower


def qr(A, mode="reduced"):
    """(Q, R) with A = Q R, Q with orthonormal columns and R upper triangular: ``"reduced"`` Q
    (..., m, k) and R (..., k, n), k = min(m, n); ``"complete"`` Q (..., m, m) and R (..., m, n);
    ``"r"`` R only (Q empty), as PyTorch."""
    _matrices(A, "qr")
    if mode not in ("reduced", "complete", "r"):
        raise ValueError(f"qr: mode must be 'reduced', 'complete' or 'r', got {mode!r}")
    op = QR("complete" if mode == "complete" else "reduced")
    q, r = op.factors(op(A))
    return QRResult(Tensor._from_op(backend.get_array_module(A.data).zeros(0, A.dtype), False) if mode == "r" else q, r)


def eigh(A, UPLO="L"):
    """(eigenvalues (..., n) ascending, eigenvectors (..., n, n) as columns) of symmetric A,
    reading its lower (``UPLO="L"``) or upper triangle. The eigenvectors' gradient needs distinct
    eigenvalues."""
    _square(A, "eigh")
    if UPLO not in ("L", "U"):
        raise ValueError(f"eigh: UPLO must be 'L' or 'U', got {UPLO!r}")
    op = SymmetricEigen(UPLO)
    return EighResult(*op.factors(op(A)))


def eigvalsh(A, UPLO="L"):
    """The eigenvalues (..., n), ascending, of symmetric A."""
    return eigh(A, UPLO).eigenvalues


def svd(A, full_matrices=True):
    """(U, S, Vh) with A = U diag(S) Vh, S (..., k) descending; U (..., m, k) and Vh (..., k, n)
    with ``full_matrices=False``, (..., m, m) and (..., n, n) with True (PyTorch's default, whose
    extra vectors of a rectangular A have no gradient). The singular vectors' gradient needs
    distinct non-zero singular values."""
    _matrices(A, "svd")
    op = SVD(full_matrices)
    return SVDResult(*op.factors(op(A)))


def svdvals(A):
    """The singular values (..., k), descending."""
    return svd(A, full_matrices=False).S


def pinv(A, *, atol=None, rtol=None, hermitian=False):
    """The Moore-Penrose pseudo-inverse (..., n, m): singular values at or below
    max(atol, rtol * the largest) count as zero (rtol defaults to max(m, n) * eps, or 0 when only
    atol is given); ``hermitian`` uses the symmetric eigendecomposition (the lower triangle)."""
    _matrices(A, "pinv")
    if hermitian:
        _square(A, "pinv")
    return PseudoInverse(atol, rtol, hermitian)(A)


def matrix_rank(A, *, atol=None, rtol=None, hermitian=False):
    """The number of singular values above the threshold of ``pinv`` (an int64 tensor, batched)."""
    _matrices(A, "matrix_rank")
    xp = backend.get_array_module(A.data)
    if hermitian:
        values = xp.abs(xp.linalg.eigvalsh(A.data))
        largest = values.max(-1, keepdims=True)
    else:
        values = xp.linalg.svd(A.data, compute_uv=False)
        largest = values[..., :1]
    rank = (values > cutoff(xp, largest, A.shape, atol, rtol)).sum(-1)
    return Tensor._from_op(rank.astype(np.int64), False)


def lstsq(A, B, rcond=None, *, driver=None):
    """The least-squares solution X minimizing ||A X - B|| (the shortest one where A lacks full
    rank), for A (..., m, n) and B (..., m, k), as (solution, residuals, rank, singular_values).
    As PyTorch on the CPU, ``driver`` ("gelsy" by default, "gels", "gelsd", "gelss") decides which
    of the others are filled: rank but for "gels"; singular values for "gelsd"/"gelss"; residuals
    (squared column norms of A X - B) for all but "gelsy" when m > n and A has full rank. The
    solution is pinv(A) B with singular values below ``rcond`` times the largest dropped, and
    differentiable in A and B."""
    _matrices(A, "lstsq")
    if driver not in (None, "gelsy", "gels", "gelsd", "gelss"):
        raise ValueError(f"lstsq: driver must be 'gelsy', 'gels', 'gelsd' or 'gelss', got {driver!r}")
    if B.ndim < 1 or B.shape[-2 if B.ndim > 1 else 0] != A.shape[-2]:
        raise ValueError(f"lstsq: A of shape {A.shape} and B of shape {B.shape} do not fit (B needs {A.shape[-2]} rows)")
    driver = driver or "gelsy"
    vector = B.ndim == 1
    rhs = B.unsqueeze(-1) if vector else B
    solution = pinv(A, rtol=rcond) @ rhs
    m, n = A.shape[-2:]
    xp = backend.get_array_module(A.data)
    empty = Tensor._from_op(xp.zeros(0, A.dtype), False)
    ranks = matrix_rank(A, rtol=rcond)
    rank = ranks if driver != "gels" else Tensor._from_op(xp.zeros(0, np.int64), False)
    full_rank = m > n and bool((ranks.data == n).all())
    residuals = ((A @ solution - rhs) ** 2).sum(-2) if driver != "gelsy" and full_rank else empty
    singular_values = svdvals(A).detach() if driver in ("gelsd", "gelss") else empty
    return LstsqResult(solution.squeeze(-1) if vector else solution, residuals, rank, singular_values)


def solve_triangular(A, B, *, upper, left=True, unitriangular=False):
    """X with A X = B (``left``) or X A = B, reading only the upper or lower triangle of A (its
    diagonal taken as ones with ``unitriangular``); the gradient of A is triangular too."""
    _square(A, "solve_triangular")
    triangle = A.triu(1 if unitriangular else 0) if upper else A.tril(-1 if unitriangular else 0)
    if unitriangular:
        triangle = triangle + Tensor._from_op(backend.get_array_module(A.data).eye(A.shape[-1], dtype=A.dtype), False)
    if left:
        return solve(triangle, B)
    return solve(triangle.mT, B.mT).mT


def matrix_power(A, n):
    """A^n for an integer n by repeated squaring (n = 0: the identity; n < 0: (A^-1)^|n|)."""
    _square(A, "matrix_power")
    if not isinstance(n, (int, np.integer)) or isinstance(n, bool):
        raise TypeError(f"matrix_power: n must be an int, got {type(n).__name__}")
    base, n = (inv(A), -int(n)) if n < 0 else (A, int(n))
    result = None
    while n:
        if n & 1:
            result = base if result is None else result @ base
        n >>= 1
        if n:
            base = base @ base
    if result is None:
        identity = backend.get_array_module(A.data).broadcast_to(
            backend.get_array_module(A.data).eye(A.shape[-1], dtype=A.dtype), A.shape)
        return Tensor._from_op(identity.copy(), False)
    return result


def multi_dot(tensors):
    """The product of a chain of matrices (the first and last may be vectors), in the order of
    multiplications that costs the fewest scalar products (the classic dynamic programme)."""
    tensors = list(tensors)
    if len(tensors) < 2:
        raise ValueError(f"multi_dot: expected at least two tensors, got {len(tensors)}")
    first_vector, last_vector = tensors[0].ndim == 1, tensors[-1].ndim == 1
    matrices = [tensors[0].unsqueeze(0) if first_vector else tensors[0]] + tensors[1:-1] + \
        [tensors[-1].unsqueeze(-1) if last_vector else tensors[-1]]
    for position, matrix in enumerate(matrices):
        if matrix.ndim != 2:
            raise ValueError(f"multi_dot: tensor {position} must be a matrix (the ends may be vectors), "
                             f"got shape {tensors[position].shape}")
    sizes = [matrices[0].shape[0]] + [matrix.shape[1] for matrix in matrices]

    @functools.lru_cache(maxsize=None)
    def best(i, j):
        """(cost, split) of multiplying matrices i..j."""
        if i == j:
            return 0, None
        return min((best(i, k)[0] + best(k + 1, j)[0] + sizes[i] * sizes[k + 1] * sizes[j + 1], k) for k in range(i, j))

    def product(i, j):
        return matrices[i] if i == j else product(i, best(i, j)[1]) @ product(best(i, j)[1] + 1, j)

    result = product(0, len(matrices) - 1)
    if first_vector:
        result = result.squeeze(0)
    return result.squeeze(-1) if last_vector else result


def cross(x, y, dim=-1):
    """The cross product of 3-vectors along ``dim`` (broadcast)."""
    if x.shape[dim] != 3 or y.shape[dim] != 3:
        raise ValueError(f"cross: expected size 3 along dim {dim}, got shapes {x.shape} and {y.shape}")
    x0, x1, x2 = x.unbind(dim)
    y0, y1, y2 = y.unbind(dim)
    from .tensor import stack

    return stack([x1 * y2 - x2 * y1, x2 * y0 - x0 * y2, x0 * y1 - x1 * y0], dim)


def vecdot(x, y, dim=-1):
    """The dot product of x and y along ``dim`` (broadcast)."""
    return (x * y).sum(dim)


def cond(A, p=None):
    """The condition number ||A|| ||A^-1||: for p None or 2 the ratio of the largest to the smallest
    singular value (any shape), -2 its inverse; 'fro', 'nuc', 1, -1, inf, -inf by those norms of A
    and inv(A) (square A; inf for a singular one)."""
    _matrices(A, "cond")
    if p in (None, 2, -2):
        values = svdvals(A)
        ratio = values[..., 0] / values[..., -1]
        return ratio if p != -2 else 1 / ratio
    _square(A, "cond")
    if p == "nuc":  # sum(S) sum(1/S), from the singular values as PyTorch does
        values = svdvals(A)
        return values.sum(-1) * (1 / values).sum(-1)
    xp = backend.get_array_module(A.data)
    singular = xp.linalg.det(A.data) == 0  # exactly where LU meets a zero pivot and inv would fail
    if not bool(singular.any()):
        return matrix_norm(A, p) * matrix_norm(inv(A), p)
    from .tensor import where

    identity = Tensor._from_op(xp.eye(A.shape[-1], dtype=A.dtype), False)
    invertible = where(singular[..., None, None], identity, A)
    return where(singular, float("inf"), matrix_norm(invertible, p) * matrix_norm(inv(invertible), p))


__all__ = ["matrix_exp", "householder_product", "inv", "det", "slogdet", "solve", "vector_norm", "matrix_norm", "norm", "cholesky", "qr", "eigh", "eigvalsh",
           "svd", "svdvals", "pinv", "matrix_rank", "lstsq", "solve_triangular", "matrix_power", "multi_dot", "cross",
           "vecdot", "cond"]
