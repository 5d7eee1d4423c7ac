"""The LDL^T factorization of symmetric indefinite matrices with Bunch-Kaufman pivoting, as LAPACK's
dsytf2 (lower triangle) computes it, and the solve that uses it (dsytrs); ``linalg.ldl_factor``,
``ldl_factor_ex`` and ``ldl_solve`` (PyTorch's names and layout) are built on these.

Complex matrices come in two kinds: complex symmetric (A = A^T, zsytf2: the same steps) and
Hermitian (A = A^H, zhetf2: P A P^T = L D L^H, D's diagonal real, the transposes conjugated).
LAPACK measures a complex entry by |Re| + |Im| when it picks pivots (a Hermitian diagonal entry by
|Re|), and so does this code, so that the pivots are LAPACK's.

P A P^T = L D L^T with L unit lower triangular and D block diagonal with 1x1 and 2x2 blocks. Where a
symmetric matrix has no Cholesky factor (it is indefinite) and a zero may sit on its diagonal, a 2x2
pivot block keeps the factorization stable without breaking the symmetry, which LU would. Column k
is eliminated with a 1x1 pivot when |a_kk| >= alpha * (the largest |a_ik| below it), alpha =
(1 + sqrt(17)) / 8, which bounds the growth of the entries; otherwise with a 1x1 pivot from row r (the
row of that largest entry) or with the 2x2 block of rows k and r, after swapping r into place.

The packed result LD holds D on its diagonal (a 2x2 block's off-diagonal entry below it) and L's
multipliers below; ``pivots`` is 1-based as LAPACK's: p_k > 0 for a 1x1 block, rows k and p_k swapped;
p_k = p_{k+1} = -r < 0 for a 2x2 block, rows k+1 and r swapped. Each pivot decision is the matrix's
own, so the batch is walked one matrix at a time (a loop over columns, each step whole-column and
whole-submatrix array operations), as LAPACK's is.
"""
import math

import numpy as np

from .. import backend
from ..autograd import Function
from .lu import pivot_size

ALPHA = (1 + math.sqrt(17)) / 8


def _transpose(matrix, hermitian):
    return matrix.conj().T if hermitian else matrix.T


def factor(a, hermitian=False):
    """(LD, pivots, info) of one symmetric (``hermitian``: Hermitian) matrix (NumPy, its lower
    triangle read); info is the first 1-based column with a zero pivot (D singular), 0 if none."""
    a = np.tril(a).astype(a.dtype, copy=True)
    a = a + _transpose(np.tril(a, -1), hermitian)  # the whole matrix, from its lower triangle
    n = a.shape[0]
    hermitian = hermitian and a.dtype.kind == "c"
    diagonal = np.arange(n)
    if hermitian:
        a[diagonal, diagonal] = a[diagonal, diagonal].real

    def diagonal_size(value):
        return abs(value.real) if hermitian else float(pivot_size(np, value))

    pivots = np.zeros(n, dtype=np.int32)
    info, k = 0, 0
    while k < n:
        step = 1
        absakk = diagonal_size(a[k, k])
        below = pivot_size(np, a[k + 1:, k])
        imax = k + 1 + int(np.argmax(below)) if below.size else k
        colmax = float(below.max()) if below.size else 0.0
        if max(absakk, colmax) == 0 or math.isnan(absakk):
            info = info or k + 1
            kp = k
        elif absakk >= ALPHA * colmax:
            kp = k
        else:
            row = pivot_size(np, np.concatenate([a[imax, k:imax], a[imax + 1:, imax]]))
            rowmax = float(row.max())
            if absakk >= ALPHA * colmax * (colmax / rowmax):
                kp = k
            elif diagonal_size(a[imax, imax]) >= ALPHA * rowmax:
                kp = imax
            else:
                kp, step = imax, 2
        kk = k + step - 1
        if kp != kk:  # rows and columns kk and kp of the trailing matrix swapped (LAPACK leaves the earlier
            # columns of L as they are: the solve applies the interchanges in the order they happened)
            a[[kk, kp], k:] = a[[kp, kk], k:]
            a[k:, [kk, kp]] = a[k:, [kp, kk]]
        if max(absakk, colmax) != 0 and not math.isnan(absakk):
            # the trailing block loses A21 D^-1 A12, A12 being A21^T (A21^H): the upper rows hold it
            if step == 1:
                if k + 1 < n:
                    column = a[k + 1:, k] / a[k, k]
                    a[k + 1:, k + 1:] -= np.outer(column, a[k, k + 1:])
                    a[k + 1:, k] = column
                    a[k, k + 1:] = _transpose(column, hermitian)
            elif k + 2 < n:
                block = a[k:k + 2, k:k + 2]
                multipliers = _transpose(np.linalg.solve(block, a[k:k + 2, k + 2:]), hermitian)  # W = A21 D^-1
                a[k + 2:, k + 2:] -= multipliers @ a[k:k + 2, k + 2:]
                a[k + 2:, k:k + 2] = multipliers
                a[k:k + 2, k + 2:] = _transpose(multipliers, hermitian)
            if hermitian:  # rounding leaves tiny imaginary parts on the diagonal, which is real
                a[diagonal[k:], diagonal[k:]] = a[diagonal[k:], diagonal[k:]].real
        pivots[k] = kp + 1 if step == 1 else -(kp + 1)
        if step == 2:
            pivots[k + 1] = -(kp + 1)
        k += step
    return np.tril(a), pivots, info


def solve(ld, pivots, b, hermitian=False):
    """X with A X = B for the A that ``factor`` factored into (ld, pivots), B (n, m): P, L, D and L^T
    (L^H) undone in turn (LAPACK's dsytrs, zhetrs)."""
    hermitian = hermitian and ld.dtype.kind == "c"
    transposed = ld.conj() if hermitian else ld  # L^H's rows are L's columns conjugated
    x = b.astype(np.result_type(ld, b), copy=True)
    n = ld.shape[0]
    k = 0
    while k < n:  # L D Y = P B, forward
        if pivots[k] > 0:
            kp = pivots[k] - 1
            x[[k, kp]] = x[[kp, k]]
            x[k + 1:] -= np.outer(ld[k + 1:, k], x[k])
            x[k] /= ld[k, k]
            k += 1
        else:
            kp = -pivots[k] - 1
            x[[k + 1, kp]] = x[[kp, k + 1]]
            x[k + 2:] -= np.outer(ld[k + 2:, k], x[k]) + np.outer(ld[k + 2:, k + 1], x[k + 1])
            block = np.array([[ld[k, k], transposed[k + 1, k]], [ld[k + 1, k], ld[k + 1, k + 1]]])
            x[k:k + 2] = np.linalg.solve(block, x[k:k + 2])
            k += 2
    k = n - 1
    while k >= 0:  # L^T X = Y (L^H X = Y), backward, and the interchanges undone
        if pivots[k] > 0:
            x[k] -= transposed[k + 1:, k] @ x[k + 1:]
            kp = pivots[k] - 1
            x[[k, kp]] = x[[kp, k]]
            k -= 1
        else:
            x[k] -= transposed[k + 1:, k] @ x[k + 1:]
            x[k - 1] -= transposed[k + 1:, k - 1] @ x[k + 1:]
            kp = -pivots[k] - 1
            x[[k, kp]] = x[[kp, k]]
            k -= 2
    return x


class LdlSolve(Function):
    """X = A^-1 B for the symmetric (``hermitian``: Hermitian) A whose LDL^T factors are (ld, pivots),
    B (..., n, k), batch axes broadcast. The gradient is the adjoint map, dL/dB = A^-H dL/dX: for a
    real symmetric or a Hermitian A the same solve (A^-H = A^-1), for a complex symmetric one its
    conjugate (A^-H = conj(A^-1)). Computed on the host (the pivoting is sequential), also for GPU
    arrays."""

    supports_complex, linear_map = True, True

    def __init__(self, ld, pivots, hermitian=False):
        self.ld, self.pivots, self.hermitian = ld, pivots, hermitian

    def forward(self, b):
        device = backend.device_of(b)
        ld, pivots = backend.to_device(self.ld, backend.CPU), backend.to_device(self.pivots, backend.CPU)
        rhs = backend.to_device(b, backend.CPU)
        batch = np.broadcast_shapes(ld.shape[:-2], rhs.shape[:-2])
        ld = np.broadcast_to(ld, batch + ld.shape[-2:]).reshape((-1,) + ld.shape[-2:])
        pivots = np.broadcast_to(pivots, batch + pivots.shape[-1:]).reshape(-1, pivots.shape[-1])
        flat = np.broadcast_to(rhs, batch + rhs.shape[-2:]).reshape((-1,) + rhs.shape[-2:])
        self.b_shape = b.shape
        x = np.stack([solve(m, p, r, self.hermitian) for m, p, r in zip(ld, pivots, flat)]) if flat.shape[0] else \
            flat.copy()
        return backend.to_device(x.reshape(batch + rhs.shape[-2:]).astype(b.dtype, copy=False), device)

    def backward(self, gy):
        from .arithmetic import sum_to_shape

        if self.hermitian or gy.dtype.kind != "c":
            return (sum_to_shape(self.forward(gy), self.b_shape),)
        return (sum_to_shape(self.forward(gy.conj()).conj(), self.b_shape),)
