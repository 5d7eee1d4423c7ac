"""``tinynn.linalg``: PyTorch's ``torch.linalg`` for square and rectangular matrices (batched over
leading axes): ``inv``, ``det``, ``slogdet``, ``solve`` (their gradients in ops/linalg.py), the
decompositions ``cholesky``, ``qr``, ``eigh``, ``svd`` and the pseudo-inverse ``pinv`` (theirs in
ops/decompositions.py), and what is built from them and other differentiable ops: norms, ranks,
condition numbers, least squares, triangular solves, matrix powers, products and cross products."""
import functools
import math

import numpy as np

from .errors import DtypeError, InputError
from . import backend, return_types
from .dims import wrap_dim
from .half_precision import computed_in_float32
from .functions import ormqr
from .ops.decompositions import QR, SVD, Cholesky, GeneralEigen, PseudoInverse, SymmetricEigen, cutoff
from .ops import ldl as ldl_ops
from .ops.linalg import Determinant, Inverse, LinAlgError, LogAbsDeterminant, LogDeterminant, MatrixExp, Solve
from .ops.lu import LUFactor, lu_factor_values, order_of, permutation_matrix, zero_pivot_info
from .tensor import Tensor, expect_tensor, requiring_tensor, where



def _matrices(A, name):
    if not isinstance(A, Tensor):
        raise TypeError(f"{name}: expected a tinynn.Tensor, got {type(A).__name__}")
    if A.ndim < 2:
        raise InputError(f"{name}: expected matrices (..., m, n), got shape {tuple(A.shape)}")
    if A.dtype.kind not in "fc":
        raise DtypeError(f"{name}: expected floating-point or complex matrices, got dtype {A.dtype}")


def _square(A, name):
    _matrices(A, name)
    if A.shape[-1] != A.shape[-2]:
        raise InputError(f"{name}: expected square matrices (..., n, n), got shape {tuple(A.shape)}")


def inv(A):
    """A^-1 for (..., n, n); a singular matrix is a ValueError."""
    _square(A, "inv")
    return Inverse()(A)


def det(A):
    _square(A, "det")
    return Determinant()(A)


def slogdet(A):
    """(sign, log |det A|): sign = det A / |det A| (+-1 for real A, on the unit circle for complex A;
    0 for a singular A), both differentiable (a real sign, piecewise constant, as a constant)."""
    _square(A, "slogdet")
    if A.dtype.kind == "c":
        log_determinant = LogDeterminant()(A)
        singular = _constant(log_determinant._array.real == -np.inf)
        return return_types.linalg_slogdet(where(singular, 0.0, (1j * log_determinant.imag).exp()), log_determinant.real)
    op = LogAbsDeterminant()
    logabsdet = op(A)
    return return_types.linalg_slogdet(_constant(op.sign), logabsdet)


def log_determinant(A):
    """log det A (``tinynn.logdet``): for real A NaN where det A < 0 and -inf where it is 0; for
    complex A the principal branch log |det A| + i arg det A (-inf + NaN i where it is 0), as PyTorch."""
    _square(A, "logdet")
    if A.dtype.kind == "c":
        log_det = LogDeterminant()(A)
        return where(_constant(log_det._array.real == -np.inf), complex(-np.inf, np.nan), log_det)
    sign, logabsdet = slogdet(A)
    xp = backend.get_array_module(sign._array)
    return logabsdet + _constant(xp.where(sign._array > 0, 0.0, xp.where(sign._array == 0, -xp.inf, xp.nan))
                                 .astype(logabsdet.dtype))


def solve(A, B, *, left=True):
    """X with A X = B, for A (..., n, n) and B (..., n, k), or vectors B: (n,) or, as PyTorch,
    (..., n) of exactly A's batch shape; with ``left=False``, X with X A = B for B (..., k, n)."""
    _square(A, "solve")
    if left and B.ndim > 1 and B.ndim == A.ndim - 1 and B.shape == A.shape[:-1]:
        return Solve()(A, B.unsqueeze(-1)).squeeze(-1)
    if not left:
        if B.ndim < 2 or B.shape[-1] != A.shape[-1]:
            raise InputError(f"solve: A of shape {tuple(A.shape)} and B of shape {tuple(B.shape)} do not fit for left=False "
                             f"(B needs {A.shape[-1]} columns)")
        return Solve()(A.mT, B.mT).mT
    if (B.shape[0] if B.ndim == 1 else B.shape[-2]) != A.shape[-1]:
        raise InputError(f"solve: A of shape {tuple(A.shape)} and B of shape {tuple(B.shape)} do not fit (B needs {A.shape[-1]} rows)")
    return Solve()(A, B)


def _constant(array):
    return Tensor._from_op(array, False)


def _failures_set_aside(A, failed):
    """A with each failed matrix (failed (...,) bool array) replaced by the identity, so that an op
    can run on the rest; the failed results are then set to NaN by ``_failed_as_nan``."""
    from .tensor import where

    identity = _constant(backend.get_array_module(A._array).eye(A.shape[-1], dtype=A.dtype))
    return where(_constant(failed[..., None, None]), identity, A)


def _failed_as_nan(result, failed, matrices=True):
    from .tensor import where

    mask = failed[..., None, None] if matrices else failed[..., None] if result.ndim > failed.ndim else failed
    return where(_constant(mask), float("nan"), result)


def inv_ex(A, *, check_errors=False):
    """(A^-1, info) as ``inv``, without raising for a singular matrix: its info is the 1-based index
    of LU's first zero pivot (0 for the invertible ones) and its inverse is NaN. ``check_errors``:
    raise as ``inv`` does."""
    _square(A, "inv_ex")
    return return_types.linalg_inv_ex(*_with_info(A, inv, check_errors))


def solve_ex(A, B, *, left=True, check_errors=False):
    """(X, info) as ``solve``, without raising for a singular A: its info is as ``inv_ex``'s and its
    solution is NaN."""
    _square(A, "solve_ex")
    return return_types.linalg_solve_ex(*_with_info(A, lambda a: solve(a, B, left=left), check_errors, vector_result=B.ndim == 1))


def _with_info(A, function, check_errors, vector_result=False):
    xp = backend.get_array_module(A._array)
    try:
        result = function(A)
    except ValueError:
        if check_errors:
            raise
        info = zero_pivot_info(xp, lu_factor_values(xp, A._array)[0])
        failed = info > 0
        if not bool(failed.any()):
            raise
        result = _failed_as_nan(function(_failures_set_aside(A, failed)), failed, matrices=not vector_result)
        return result, _constant(info)
    return result, _constant(xp.zeros(A.shape[:-2], dtype=np.int32))


def cholesky_ex(A, *, upper=False, check_errors=False):
    """(L, info) as ``cholesky``, without raising for a matrix that is not positive definite: its
    info is the order of the first leading minor that is not (0 for the others) and its L is NaN."""
    _square(A, "cholesky_ex")
    xp = backend.get_array_module(A._array)
    try:
        return return_types.linalg_cholesky_ex(cholesky(A, upper=upper), _constant(xp.zeros(A.shape[:-2], dtype=np.int32)))
    except ValueError:
        if check_errors:
            raise
    info = _first_indefinite_minor(xp, A._array)
    failed = info > 0
    factor = cholesky(_failures_set_aside(A, failed), upper=upper)
    return return_types.linalg_cholesky_ex(_failed_as_nan(factor, failed), _constant(info))


def _first_indefinite_minor(xp, a):
    """The order (1-based) of the first leading minor of each symmetric (Hermitian) matrix
    (..., n, n) (its lower triangle read) that is not positive definite, 0 if none: the
    column-by-column Cholesky factorization, whose j-th pivot a_jj - sum_k<j |l_jk|^2 is the ratio
    of the j-th and (j-1)-th leading minors, stops at the first pivot that is not positive."""
    n = a.shape[-1]
    work = a.reshape((math.prod(a.shape[:-2]), n, n)).astype(np.complex128 if a.dtype.kind == "c" else np.float64)
    lower = xp.zeros_like(work)
    info = xp.zeros(work.shape[0], dtype=np.int32)
    for j in range(n):
        row = lower[:, j, :j]
        pivot = work[:, j, j].real - (row.real ** 2 + row.imag ** 2).sum(-1)
        fails = (info == 0) & ~(pivot > 0)
        info[fails] = j + 1
        root = xp.sqrt(xp.where(pivot > 0, pivot, 1.0))
        lower[:, j, j] = root
        lower[:, j + 1:, j] = (work[:, j + 1:, j] - (lower[:, j + 1:, :j] @ row.conj()[..., None])[..., 0]) / root[:, None]
    return info.reshape(a.shape[:-2])


def lu_factor_ex(A, *, pivot=True, check_errors=False):
    """(LU, pivots, info): the LU factorization with partial pivoting P^T A = L U of A (..., m, n),
    packed as LAPACK's getrf packs it (L below the diagonal, its unit diagonal implied, U on and
    above it; pivots (..., min(m, n)) int32, 1-based: row i was swapped with row pivots[i] - 1, in
    order) and info, the 1-based index of U's first zero on the diagonal (0 if none). LU is
    differentiable. ``pivot=False`` keeps the rows in place (A's leading minors must not vanish)."""
    _matrices(A, "lu_factor_ex")
    op = LUFactor(pivot)
    lu = op(A)
    xp = backend.get_array_module(A._array)
    info = zero_pivot_info(xp, lu._array)
    if check_errors and bool((info > 0).any()):
        raise LinAlgError(f"lu_factor_ex: U has a zero on its diagonal (info {info.tolist()}): the matrix is singular")
    return return_types.linalg_lu_factor_ex(lu, _constant(op.pivots), _constant(info))


def ldl_factor_ex(A, *, hermitian=False, check_errors=False):
    """(LD, pivots, info): P A P^T = L D L^T of symmetric A (..., n, n), its lower triangle read,
    with Bunch-Kaufman pivoting (LAPACK's sytrf, tinynn/ops/ldl.py): LD packs D (1x1 and 2x2 blocks)
    and L's multipliers below the diagonal, pivots (..., n) int32 as LAPACK's (negative for a 2x2
    block), info the first 1-based column whose pivot is zero (0 if none). A complex A is taken as
    symmetric (A = A^T), or with ``hermitian`` as Hermitian: P A P^T = L D L^H (LAPACK's hetrf), D's
    diagonal real; for real matrices the two are the same. Not differentiable (as PyTorch's).
    Computed on the host, matrix by matrix."""
    _square(A, "ldl_factor_ex")
    if A.requires_grad:
        raise RuntimeError("ldl_factor_ex: the LDL factorization has no gradient (nor has PyTorch's); factor "
                           "A.detach(), or use linalg.solve for a differentiable solve")
    matrices = backend.to_device(A._array, backend.CPU).reshape((-1,) + A.shape[-2:])
    results = [ldl_ops.factor(matrix, hermitian) for matrix in matrices]
    n, batch = A.shape[-1], A.shape[:-2]
    ld = np.stack([r[0] for r in results]).reshape(A.shape) if results else np.zeros(A.shape, A.dtype)
    pivots = np.stack([r[1] for r in results]).reshape(batch + (n,)) if results else np.zeros(batch + (n,), np.int32)
    info = np.array([r[2] for r in results], dtype=np.int32).reshape(batch)
    if check_errors and bool((info > 0).any()):
        raise LinAlgError(f"ldl_factor_ex: D has a zero pivot (info {info.tolist()}): the matrix is singular")
    to_device = functools.partial(backend.to_device, device=A.device)
    return return_types.linalg_ldl_factor_ex(_constant(to_device(ld.astype(A.dtype, copy=False))), _constant(to_device(pivots)),
                             _constant(to_device(info)))


def ldl_factor(A, *, hermitian=False):
    """(LD, pivots) of ``ldl_factor_ex``; a singular matrix (a zero pivot in D) is a LinAlgError."""
    LD, pivots, info = ldl_factor_ex(A, hermitian=hermitian)
    if bool((info._array > 0).any()):
        raise LinAlgError(f"ldl_factor: D has a zero pivot, at (1-based) column {info.tolist()}: the matrix is "
                          f"singular")
    return return_types.linalg_ldl_factor(LD, pivots)


def ldl_solve(LD, pivots, B, *, hermitian=False):
    """X with A X = B for B (..., n, k), from ``ldl_factor``'s (LD, pivots) of A (batch axes broadcast),
    ``hermitian`` as it was factored; differentiable in B (where PyTorch's is not): dL/dB = A^-H dL/dX.
    LD and B are taken in their common dtype (a real LD with a complex B: a real symmetric A)."""
    if not all(isinstance(t, Tensor) for t in (LD, pivots, B)):
        raise TypeError("ldl_solve: expected LD, pivots and B as tinynn Tensors")
    _square(LD, "ldl_solve")
    if LD.requires_grad:
        raise RuntimeError("ldl_solve: no gradient with respect to LD (the factorization has none); detach it")
    if B.ndim < 2 or B.shape[-2] != LD.shape[-1]:
        raise InputError(f"ldl_solve: B of shape {tuple(B.shape)} does not fit LD of shape {tuple(LD.shape)} (expected (..., "
                         f"{LD.shape[-1]}, k))")
    if pivots.shape != LD.shape[:-1] or pivots.dtype.kind not in "iu":
        raise InputError(f"ldl_solve: expected int pivots of shape {tuple(LD.shape[:-1])}, got {tuple(pivots.shape)} {pivots.dtype}")
    if B.dtype.kind not in "fc":
        raise DtypeError(f"ldl_solve: expected a floating-point or complex B, got dtype {B.dtype}")
    dtype = np.result_type(LD.dtype, B.dtype)
    return ldl_ops.LdlSolve(LD._array.astype(dtype, copy=False), pivots._array, hermitian)(
        B if B.dtype == dtype else B.to(dtype=dtype))


def lu_factor(A, *, pivot=True):
    """(LU, pivots) as ``lu_factor_ex``; a zero on U's diagonal (which ``lu_solve`` would divide by)
    is a ValueError naming it (``lu_factor_ex`` and ``lu`` take singular matrices)."""
    _matrices(A, "lu_factor")
    lu, pivots, info = lu_factor_ex(A, pivot=pivot)
    if bool((info._array > 0).any()):
        first = int(info._array.max() if info.ndim == 0 else info._array[info._array > 0][0]) - 1
        raise LinAlgError(f"lu_factor: U[{first},{first}] is zero, so the matrix is singular and lu_solve would divide "
                         "by zero; lu_factor_ex or lu factor it anyway")
    return return_types.linalg_lu_factor(lu, pivots)


def lu(A, *, pivot=True):
    """(P, L, U) with A = P L U: P (..., m, m) a permutation, L (..., m, k) unit lower triangular,
    U (..., k, n) upper triangular, k = min(m, n); L and U differentiable."""
    _matrices(A, "lu")
    packed, pivots, _ = lu_factor_ex(A, pivot=pivot)
    return return_types.linalg_lu(*_unpacked(packed, pivots))


def _unpacked(packed, pivots):
    m, n = packed.shape[-2:]
    k = min(m, n)
    xp = backend.get_array_module(packed._array)
    lower = packed[..., :, :k].tril(-1) + _constant(xp.eye(m, k, dtype=packed.dtype))
    upper = packed[..., :k, :].triu()
    permutation = _constant(permutation_matrix(xp, order_of(xp, pivots._array, m), packed.dtype))
    return permutation, lower, upper


def lu_solve(LU, pivots, B, *, left=True, adjoint=False):
    """X with A X = B (``left``) or X A = B, or with A^H in A's place (``adjoint``), for A = P L U
    given as ``lu_factor`` gives it (square, (..., n, n)); differentiable in LU and B."""
    _square(LU, "lu_solve")
    n = LU.shape[-1]
    if B.ndim < 2 or B.shape[-2 if left else -1] != n:
        raise InputError(f"lu_solve: LU of shape {tuple(LU.shape)} and B of shape {tuple(B.shape)} do not fit (B needs {n} "
                         f"{'rows' if left else 'columns'})")
    if pivots.shape != LU.shape[:-1] or pivots.dtype.kind not in "iu":
        raise InputError(f"lu_solve: pivots must be integers of shape {tuple(LU.shape[:-1])}, got {pivots.dtype} {tuple(pivots.shape)}")
    permutation, lower, upper = _unpacked(LU, pivots)
    rhs = B if left else B.mH  # X A = B is A^H X^H = B^H; X A^H = B is A X^H = B^H
    if left != adjoint:  # A X = B: X = U^-1 L^-1 P^T B
        solution = solve_triangular(upper, solve_triangular(lower, permutation.mT @ rhs, upper=False,
                                                            unitriangular=True), upper=True)
    else:  # A^H X = B: X = P L^-H U^-H B
        solution = permutation @ solve_triangular(lower.mH, solve_triangular(upper.mH, rhs, upper=False),
                                                  upper=True, unitriangular=True)
    return solution if left else solution.mH


def vander(x, *, N=None):
    """The Vandermonde matrix (..., n, N) of x (..., n): columns x^0, x^1, ..., x^(N-1) (N = n by
    default), increasing powers as PyTorch (NumPy's vander decreases)."""
    if x.ndim < 1:
        raise InputError("vander: expected x of shape (..., n), got a 0-d tensor")
    N = x.shape[-1] if N is None else N
    if N < 1:
        raise InputError(f"vander: N must be at least 1, got {N}")
    xp = backend.get_array_module(x._array)
    powers = xp.arange(N, dtype=x.dtype if x.dtype.kind in "fc" else np.int64)
    return x.unsqueeze(-1) ** _constant(powers)


def tensorinv(A, ind=2):
    """The inverse with respect to tensordot over ``ind`` axes: A (*I, *J) with prod(I) = prod(J)
    gives A^-1 (*J, *I), tensordot(A^-1, A, ind) the identity."""
    if ind <= 0:
        raise InputError(f"tensorinv: ind must be a positive integer, got {ind}")
    rows, columns = A.shape[:ind], A.shape[ind:]
    if math.prod(rows) != math.prod(columns):
        raise InputError(f"tensorinv: A of shape {tuple(A.shape)} with ind={ind} is not 'square': the product of "
                         f"{tuple(rows)} and of {tuple(columns)} differ")
    return inv(A.reshape(math.prod(rows), math.prod(columns))).reshape(columns + rows)


def tensorsolve(A, B, dims=None):
    """X with tensordot(A, X, X.ndim) = B: A (*B.shape, *X.shape) with prod(B.shape) = prod(X.shape);
    ``dims``: axes of A moved to the end first."""
    if dims is not None:
        dims = [wrap_dim(d, A.ndim) for d in dims]
        A = A.permute(*[d for d in range(A.ndim) if d not in dims], *dims)
    solution_shape = A.shape[B.ndim:]
    if A.shape[:B.ndim] != B.shape or math.prod(solution_shape) != B.numel():
        raise InputError(f"tensorsolve: A of shape {tuple(A.shape)} and B of shape {tuple(B.shape)} do not fit (A needs B's shape "
                         "first, then a shape with as many elements)")
    return solve(A.reshape(B.numel(), B.numel()), B.reshape(-1)).reshape(solution_shape)


def matmul(input, other):
    return input @ other


def diagonal(A, *, offset=0, dim1=-2, dim2=-1):
    return A.diagonal(offset, dim1, dim2)


@computed_in_float32("x")
def vector_norm(x, ord=2, dim=None, keepdim=False):
    """(sum |x|^ord)^(1/ord) over ``dim`` (every element by default), ord negative too; ord inf/-inf:
    max/min |x|, 0: the count of non-zeros."""
    if ord == 0:
        x = x.abs() if x.dtype.kind == "c" else x  # a count is real
        count = (x != 0).astype(x.dtype).sum(dim, keepdim)
        # a count has a zero gradient; x joins through a where() that never picks it, as PyTorch keeps it in the graph
        never = Tensor._from_op(backend.get_array_module(x._array).zeros(x.shape, dtype=bool), False)
        return count + where(never, x, 0.0).sum(dim, keepdim) if x.requires_grad else count
    if ord == float("inf"):
        return x.abs().amax(dim, keepdim)
    if ord == float("-inf"):
        return x.abs().amin(dim, keepdim)
    if isinstance(ord, (int, float)) and ord < 0:
        # (sum |x|^ord)^(1/ord) is 0 where a slice holds a 0 (|0|^ord = inf), with a zero gradient (the
        # norm is ~|x_0| near it, 0 at it), as PyTorch's; zeros are stood in for by ones so no inf appears
        magnitude = x.abs()
        zero = (magnitude == 0)._array
        safe = where(Tensor._from_op(zero, False), 1.0, magnitude)
        norm = (safe ** ord).sum(dim, keepdim) ** (1.0 / ord)
        has_zero = Tensor._from_op(zero, False).any(dim, keepdim) if dim is not None or keepdim else \
            Tensor._from_op(zero.any(), False)
        return where(has_zero, 0.0, norm)
    return x.norm(ord, dim, keepdim)


@computed_in_float32("A")
def matrix_norm(A, ord="fro", dim=(-2, -1), keepdim=False):
    """The Frobenius norm, or the induced 1- / inf-norms (the largest absolute column / row sum; -1
    and -inf the smallest), over the two axes ``dim``."""
    rows, columns = dim
    if ord == "fro" or (ord in (1, 2, float("inf")) and 0 in (A.shape[rows], A.shape[columns])):
        return A.norm("fro", dim, keepdim)  # (an empty matrix's largest sum or singular value: 0, as PyTorch's)
    if ord == -2 and 0 in (A.shape[rows], A.shape[columns]):
        raise InputError(f"matrix_norm: ord -2, the smallest singular value, is not defined for an empty matrix "
                         f"(shape {tuple(A.shape)})")
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
        for axis in sorted(wrap_dim(d, A.ndim) for d in dim):
            reduced = reduced.unsqueeze(axis) if keepdim else reduced
        return reduced
    else:
        raise InputError(f"matrix_norm: ord must be 'fro', 'nuc', 1, -1, 2, -2, inf or -inf, got {ord!r}")
    return reduced if keepdim else reduced.squeeze(tuple(sorted(d % A.ndim for d in dim)))


def norm(A, ord=None, dim=None, keepdim=False):
    """``vector_norm`` for a vector or an int ``dim``, ``matrix_norm`` for a matrix or two dims; without
    ord the 2-norm of every element (the Frobenius norm of a matrix), as torch.linalg.norm."""
    if ord is None:
        return A.norm("fro", dim, keepdim)
    if (dim is None and A.ndim == 2) or (isinstance(dim, (tuple, list)) and len(dim) == 2):
        return matrix_norm(A, ord, (-2, -1) if dim is None else tuple(dim), keepdim)
    if isinstance(ord, str):
        raise InputError(f"linalg.norm: ord {ord!r} is a matrix norm: it needs a 2-D input or two dims, got dim={dim!r} "
                         f"for shape {tuple(A.shape)}")
    return vector_norm(A, ord, dim, keepdim)


def matrix_exp(A):
    """e^A = sum A^k / k! of square matrices (..., n, n) (Pade approximation with scaling and squaring)."""
    _square(A, "matrix_exp")
    return MatrixExp()(A)


def householder_product(A, tau):
    """The first n columns of H_1 H_2 ... H_k, H_i = I - tau_i v_i v_i^H, where v_i is column i of A
    (m, n) below its diagonal with a 1 on it (LAPACK's orgqr, as torch.linalg.householder_product);
    differentiable in A and tau: ormqr's reflectors applied one at a time to the identity."""
    expect_tensor(tau, "householder_product", "tau")
    _matrices(A, "householder_product")
    m, n = A.shape[-2:]
    k = tau.shape[-1]
    if k > n or n > m:
        raise InputError(f"householder_product: expected m >= n >= k for A (..., m, n) and tau (..., k), got A "
                         f"{tuple(A.shape)} and tau {tuple(tau.shape)}")
    xp = backend.get_array_module(A._array)
    identity = Tensor._from_op(xp.broadcast_to(xp.eye(m, dtype=A.dtype), A.shape[:-2] + (m, m)).copy(), False)
    return ormqr(A, tau, identity, left=False)[..., :, :n]  # I H_1 ... H_k


def cholesky(A, upper=False):
    """L (lower triangular) with A = L L^T for symmetric positive-definite A (..., n, n), reading
    its lower triangle; ``upper``: U = L^T, with A = U^T U. Not positive definite: a ValueError."""
    _square(A, "cholesky")
    lower = Cholesky()(A)
    return lower.mH if upper else lower


def qr(A, mode="reduced"):
    """(Q, R) with A = Q R, Q with orthonormal columns and R upper triangular: ``"reduced"`` Q
    (..., m, k) and R (..., k, n), k = min(m, n); ``"complete"`` Q (..., m, m) and R (..., m, n);
    ``"r"`` R only (Q empty), as PyTorch."""
    _matrices(A, "qr")
    if mode not in ("reduced", "complete", "r"):
        raise InputError(f"qr: mode must be 'reduced', 'complete' or 'r', got {mode!r}")
    op = QR("complete" if mode == "complete" else "reduced")
    q, r = op.factors(op(A))
    return return_types.linalg_qr(Tensor._from_op(backend.get_array_module(A._array).zeros(0, A.dtype), False) if mode == "r" else q, r)


def eigh(A, UPLO="L"):
    """(eigenvalues (..., n) ascending, eigenvectors (..., n, n) as columns) of symmetric A,
    reading its lower (``UPLO="L"``) or upper triangle. The eigenvectors' gradient needs distinct
    eigenvalues. A complex Hermitian A has real eigenvalues and complex eigenvectors."""
    _square(A, "eigh")
    if UPLO not in ("L", "U"):
        raise InputError(f"eigh: UPLO must be 'L' or 'U', got {UPLO!r}")
    op = SymmetricEigen(UPLO)
    eigenvalues, eigenvectors = op.factors(op(A))
    return return_types.linalg_eigh(eigenvalues.real if A.dtype.kind == "c" else eigenvalues, eigenvectors)


def eig(A):
    """(eigenvalues (..., n), eigenvectors (..., n, n) as columns) of any square A, both complex:
    A V = V diag(eigenvalues). The eigenvectors have unit norm and are determined up to a phase,
    so a loss may use them only through phase-free quantities (|v|, v v^H) to have a gradient; the
    eigenvector gradient needs distinct eigenvalues."""
    _square(A, "eig")
    op = GeneralEigen()
    return return_types.linalg_eig(*op.factors(op(A)))


def eigvals(A):
    """The eigenvalues (..., n), complex, of any square A."""
    return eig(A).eigenvalues


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
    u, s, vh = op.factors(op(A))
    return return_types.linalg_svd(u, s.real if A.dtype.kind == "c" else s, vh)


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
    xp = backend.get_array_module(A._array)
    if hermitian:
        values = xp.abs(xp.linalg.eigvalsh(A._array))
        largest = values.max(-1, keepdims=True)
    else:
        values = xp.linalg.svd(A._array, compute_uv=False)
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
        raise InputError(f"lstsq: driver must be 'gelsy', 'gels', 'gelsd' or 'gelss', got {driver!r}")
    if B.ndim < 1 or B.shape[-2 if B.ndim > 1 else 0] != A.shape[-2]:
        raise InputError(f"lstsq: A of shape {tuple(A.shape)} and B of shape {tuple(B.shape)} do not fit (B needs {A.shape[-2]} rows)")
    driver = driver or "gelsy"
    vector = B.ndim == 1
    rhs = B.unsqueeze(-1) if vector else B
    solution = pinv(A, rtol=rcond) @ rhs
    m, n = A.shape[-2:]
    xp = backend.get_array_module(A._array)
    empty = Tensor._from_op(xp.zeros(0, np.finfo(A.dtype).dtype), False)  # real, also for complex A
    ranks = matrix_rank(A, rtol=rcond)
    rank = ranks if driver != "gels" else Tensor._from_op(xp.zeros(0, np.int64), False)
    full_rank = m > n and bool((ranks._array == n).all())
    residuals = ((A @ solution - rhs).abs() ** 2).sum(-2) if driver != "gelsy" and full_rank else empty
    singular_values = svdvals(A).detach() if driver in ("gelsd", "gelss") else empty
    return return_types.linalg_lstsq(solution.squeeze(-1) if vector else solution, residuals, rank, singular_values)


def solve_triangular(A, B, *, upper, left=True, unitriangular=False):
    """X with A X = B (``left``) or X A = B, reading only the upper or lower triangle of A (its
    diagonal taken as ones with ``unitriangular``); the gradient of A is triangular too."""
    _square(A, "solve_triangular")
    triangle = A.triu(1 if unitriangular else 0) if upper else A.tril(-1 if unitriangular else 0)
    if unitriangular:
        triangle = triangle + Tensor._from_op(backend.get_array_module(A._array).eye(A.shape[-1], dtype=A.dtype), False)
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
    if result is None:  # A^0: the identity, still an output of A (its gradient zero), as PyTorch's
        xp = backend.get_array_module(A._array)
        identity = Tensor._from_op(xp.broadcast_to(xp.eye(A.shape[-1], dtype=A.dtype), A.shape).copy(), False)
        return where(Tensor._from_op(xp.zeros(A.shape, dtype=bool), False), A, identity)
    return result.clone() if result is A else result  # A^1: a new tensor, not A itself


def multi_dot(tensors):
    """The product of a chain of matrices (the first and last may be vectors), in the order of
    multiplications that costs the fewest scalar products (the classic dynamic programme)."""
    tensors = list(tensors)
    if len(tensors) < 2:
        raise InputError(f"multi_dot: expected at least two tensors, got {len(tensors)}")
    for position, matrix in enumerate(tensors):
        expect_tensor(matrix, "linalg.multi_dot", f"tensors[{position}]")
    first_vector, last_vector = tensors[0].ndim == 1, tensors[-1].ndim == 1
    matrices = [tensors[0].unsqueeze(0) if first_vector else tensors[0]] + tensors[1:-1] + \
        [tensors[-1].unsqueeze(-1) if last_vector else tensors[-1]]
    for position, matrix in enumerate(matrices):
        if matrix.ndim != 2:
            raise InputError(f"multi_dot: tensor {position} must be a matrix (the ends may be vectors), "
                             f"got shape {tuple(tensors[position].shape)}")
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


def cross(input, other, dim=-1):
    """The cross product of 3-vectors along ``dim`` (broadcast)."""
    if input.shape[dim] != 3 or other.shape[dim] != 3:
        raise InputError(f"cross: expected size 3 along dim {dim}, got shapes {tuple(input.shape)} and {tuple(other.shape)}")
    x0, x1, x2 = input.unbind(dim)
    y0, y1, y2 = other.unbind(dim)
    from .tensor import stack

    return stack([x1 * y2 - x2 * y1, x2 * y0 - x0 * y2, x0 * y1 - x1 * y0], dim)


def vecdot(x, y, dim=-1):
    """sum(conj(x) * y) along ``dim`` (broadcast): the dot product, conjugating x where it is complex."""
    return (x.conj() * y).sum(dim)


def cond(A, p=None):
    """The condition number ||A|| ||A^-1||: for p None or 2 the ratio of the largest to the smallest
    singular value (any shape), -2 its inverse; 'fro', 'nuc', 1, -1, inf, -inf by those norms of A
    and inv(A) (square A; inf for a singular one)."""
    _matrices(A, "cond")
    if p not in (None, 2, -2):
        _square(A, "cond")
    if 0 in A.shape[-2:]:  # an empty matrix's condition number is 0, as PyTorch's
        from .tensor import zeros

        return zeros(A.shape[:-2], dtype=A.dtype if A.dtype.kind == "f" else A.real.dtype, device=A.device)
    if p in (None, 2, -2):
        values = svdvals(A)
        ratio = values[..., 0] / values[..., -1]
        return ratio if p != -2 else 1 / ratio
    if p == "nuc":  # sum(S) sum(1/S), from the singular values as PyTorch does
        values = svdvals(A)
        return values.sum(-1) * (1 / values).sum(-1)
    xp = backend.get_array_module(A._array)
    singular = xp.linalg.det(A._array) == 0  # exactly where LU meets a zero pivot and inv would fail
    if not bool(singular.any()):
        return matrix_norm(A, p) * matrix_norm(inv(A), p)
    from .tensor import where

    invertible = _failures_set_aside(A, singular)
    return where(singular, float("inf"), matrix_norm(invertible, p) * matrix_norm(inv(invertible), p))


# These take a Tensor first, as PyTorch's (a list is its TypeError, not an AttributeError from inside).
for _name in ("cross", "diagonal", "matrix_norm", "norm", "tensorinv", "tensorsolve", "vander", "vecdot", "vector_norm"):
    globals()[_name] = requiring_tensor(globals()[_name], f"linalg.{_name}")

__all__ = ["LinAlgError", "matrix_exp", "householder_product", "inv", "det", "slogdet", "solve", "vector_norm", "matrix_norm", "norm", "cholesky", "qr", "eig", "eigvals", "eigh", "eigvalsh",
           "svd", "svdvals", "pinv", "matrix_rank", "lstsq", "solve_triangular", "matrix_power", "multi_dot", "cross",
           "vecdot", "cond", "inv_ex", "solve_ex", "cholesky_ex", "lu_factor", "lu_factor_ex", "lu", "lu_solve",
           "ldl_factor", "ldl_factor_ex", "ldl_solve",
           "vander", "tensorinv", "tensorsolve", "matmul", "diagonal"]
