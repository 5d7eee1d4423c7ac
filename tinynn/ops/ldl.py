"""The LDL^T factorization of symmetric indefinite matrices with Bunch-Kaufman pivoting, as LAPACK's
dsytf2 (lower triangle) computes it, and the solve that uses it (dsytrs); ``linalg.ldl_factor``,
``ldl_factor_ex`` and ``ldl_solve`` (PyTorch's names and layout) are built on these.

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

ALPHA = (1 + math.sqrt(17)) / 8


def factor(a):
    """(LD, pivots, info) of one symmetric matrix (NumPy, its lower triangle read); info is the first
    1-based column with a zero pivot (D singular), 0 if none."""
    a = np.tril(a).astype(a.dtype, copy=True)
    a = a + np.tril(a, -1).T  # the whole symmetric matrix, from its lower triangle
    n = a.shape[0]
    pivots = np.zeros(n, dtype=np.int32)
    info, k = 0, 0
    while k < n:
        step = 1
        absakk = abs(a[k, k])
        below = np.abs(a[k + 1:, k])
        imax = k + 1 + int(np.argmax(below)) if below.size else k
        colmax = float(below.max()) if below.size else 0.0
        if max(absakk, colmax) == 0 or math.isnan(absakk):
            info = info or k + 1
            kp = k
        elif absakk >= ALPHA * colmax:
            kp = k
        else:
            row = np.abs(np.concatenate([a[imax, k:imax], a[imax + 1:, imax]]))
            rowmax = float(row.max())
            if absakk >= ALPHA * colmax * (colmax / rowmax):
                kp = k
            elif abs(a[imax, imax]) >= ALPHA * rowmax:
                kp = imax
            else:
                kp, step = imax, 2
        kk = k + step - 1
        if kp != kk:  # rows and columns kk and kp of the trailing matrix swapped (LAPACK leaves the earlier
            # columns of L as they are: the solve applies the interchanges in the order they happened)
            a[[kk, kp], k:] = a[[kp, kk], k:]
            a[k:, [kk, kp]] = a[k:, [kp, kk]]
        if max(absakk, colmax) != 0 and not math.isnan(absakk):
            if step == 1:
                if k + 1 < n:
                    column = a[k + 1:, k] / a[k, k]
                    a[k + 1:, k + 1:] -= np.outer(column, a[k + 1:, k])
                    a[k + 1:, k] = column
                    a[k, k + 1:] = column
            elif k + 2 < n:
                block = a[k:k + 2, k:k + 2]
                multipliers = np.linalg.solve(block, a[k:k + 2, k + 2:]).T  # rows: W = A21 D^-1
                a[k + 2:, k + 2:] -= multipliers @ a[k:k + 2, k + 2:]
                a[k + 2:, k:k + 2] = multipliers
                a[k:k + 2, k + 2:] = multipliers.T
        pivots[k] = kp + 1 if step == 1 else -(kp + 1)
        if step == 2:
            pivots[k + 1] = -(kp + 1)
        k += step
    return np.tril(a), pivots, info


def solve(ld, pivots, b):
    """X with A X = B for the A that ``factor`` factored into (ld, pivots), B (n, m): P, L, D and L^T
    undone in turn (LAPACK's dsytrs)."""
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
            block = np.array([[ld[k, k], ld[k + 1, k]], [ld[k + 1, k], ld[k + 1, k + 1]]])
            x[k:k + 2] = np.linalg.solve(block, x[k:k + 2])
            k += 2
    k = n - 1
    while k >= 0:  # L^T X = Y, backward, and the interchanges undone
        if pivots[k] > 0:
            x[k] -= ld[k + 1:, k] @ x[k + 1:]
            kp = pivots[k] - 1
            x[[k, kp]] = x[[kp, k]]
            k -= 1
        else:
            x[k] -= ld[k + 1:, k] @ x[k + 1:]
            x[k - 1] -= ld[k + 1:, k - 1] @ x[k + 1:]
            kp = -pivots[k] - 1
            x[[k, kp]] = x[[kp, k]]
            k -= 2
    return x


class LdlSolve(Function):
    """X = A^-1 B for the symmetric A whose LDL^T factors are (ld, pivots), B (..., n, k), batch axes
    broadcast. A is symmetric, so the map B -> A^-1 B is its own adjoint: dL/dB = A^-1 dL/dX, the same
    solve. Computed on the host (the pivoting is sequential), also for GPU arrays."""

    supports_complex, linear_map = False, True

    def __init__(self, ld, pivots):
        self.ld, self.pivots = ld, pivots

    def forward(self, b):
        device = backend.device_of(b)
        ld, pivots = backend.to_device(self.ld, backend.CPU), backend.to_device(self.pivots, backend.CPU)
        rhs = backend.to_device(b, backend.CPU)
        batch = np.broadcast_shapes(ld.shape[:-2], rhs.shape[:-2])
        ld = np.broadcast_to(ld, batch + ld.shape[-2:]).reshape((-1,) + ld.shape[-2:])
        pivots = np.broadcast_to(pivots, batch + pivots.shape[-1:]).reshape(-1, pivots.shape[-1])
        flat = np.broadcast_to(rhs, batch + rhs.shape[-2:]).reshape((-1,) + rhs.shape[-2:])
        self.b_shape = b.shape
        x = np.stack([solve(m, p, r) for m, p, r in zip(ld, pivots, flat)]) if flat.shape[0] else flat.copy()
        return backend.to_device(x.reshape(batch + rhs.shape[-2:]).astype(b.dtype, copy=False), device)

    def backward(self, gy):
        from .arithmetic import sum_to_shape

        return (sum_to_shape(self.forward(gy), self.b_shape),)
