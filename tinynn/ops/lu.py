"""The LU factorization with partial pivoting, A = P L U, and its gradient, for matrices
A (..., m, n) batched over leading axes; k = min(m, n).

L (..., m, k) is unit lower triangular, U (..., k, n) upper triangular and P (..., m, m) a
permutation; as LAPACK's getrf, they come packed in one matrix LU (..., m, n) (U on and above
the diagonal, L below it, L's unit diagonal implied) with the row swaps as ``pivots`` (..., k):
int32, 1-based, row i swapped with row pivots[i] - 1, in order i = 0, 1, ... .

The factorization is recursive (LAPACK's getrf2): factor the left half of the columns, apply its
row swaps to the right half, solve for the top-right block of U, update the bottom-right block
with one matrix product, and factor that; panels of at most PANEL_WIDTH columns are factored
column by column. So almost all the work is matrix products on whole batches.
"""
import math

import numpy as np

from .. import backend
from ..autograd import Function
from .linalg import adjoint, solve_with

PANEL_WIDTH = 16  # narrower panels are factored column by column (fewer Python calls than recursing)


def pivot_size(xp, values):
    """The size by which a pivot is chosen among values: |x|, or |Re x| + |Im x| for complex x, as
    LAPACK's i?amax measures it (so the pivots, LU's and LDL's, are LAPACK's)."""
    return xp.abs(values.real) + xp.abs(values.imag) if values.dtype.kind == "c" else xp.abs(values)


def _rows_taken(xp, block, order):
    """block (B, r, c) with its rows reordered: row i of the result is row order[:, i]."""
    return xp.take_along_axis(block, order[:, :, None], axis=1)


def _factor_in_place(xp, lu, pivot):
    """LU-factorize the batch lu (B, m, n) in place; return the row order (B, m): row i of P^T A
    is row order[:, i] of A. Without ``pivot`` the rows stay in place (no zero pivot may occur)."""
    batch, m, n = lu.shape
    if m == 1:
        return xp.broadcast_to(xp.arange(m), (batch, m))
    if n <= PANEL_WIDTH:
        return _factor_panel(xp, lu, pivot)
    half = min(m, n) // 2
    left, right = lu[:, :, :half], lu[:, :, half:]
    order = _factor_in_place(xp, left, pivot)
    right[:] = _rows_taken(xp, right, order)
    lower = xp.tril(left[:, :half], -1) + xp.eye(half, dtype=lu.dtype)
    right[:, :half] = solve_with(lower, right[:, :half])
    right[:, half:] -= left[:, half:] @ right[:, :half]
    rest = _factor_in_place(xp, lu[:, half:, half:], pivot)
    left[:, half:] = _rows_taken(xp, left[:, half:], rest)
    return xp.concatenate([order[:, :half], xp.take_along_axis(order[:, half:], rest, axis=1)], axis=1)


def _factor_panel(xp, lu, pivot):
    """The unblocked factorization of a narrow panel (B, m, w), column by column: the largest
    entry of the column (at or below the diagonal) swapped up, the multipliers below it, and the
    rank-1 update of what is right of and below it. Returns the row order, as _factor_in_place."""
    batch, m, w = lu.shape
    rows = xp.arange(batch)
    order = xp.broadcast_to(xp.arange(m), (batch, m)).copy()
    for j in range(min(m, w)):
        if pivot:
            largest = j + xp.argmax(pivot_size(xp, lu[:, j:, j]), axis=1)
            kept_row, kept_index = lu[:, j].copy(), order[:, j].copy()
            lu[:, j], order[:, j] = lu[rows, largest], order[rows, largest]
            lu[rows, largest], order[rows, largest] = kept_row, kept_index
        head = lu[:, j, j]
        # a zero pivot has a zero column below it (it is the largest): leave it, as getrf does
        lu[:, j + 1:, j] /= xp.where(head == 0, 1, head)[:, None]
        lu[:, j + 1:, j + 1:] -= lu[:, j + 1:, j:j + 1] * lu[:, j:j + 1, j + 1:]
    return order


def pivots_of(xp, order, k):
    """The row order (B, m) as LAPACK's sequential swaps (B, k), 1-based int32."""
    batch, m = order.shape
    rows = xp.arange(batch)
    current = xp.broadcast_to(xp.arange(m), (batch, m)).copy()  # which original row sits at each position
    position = current.copy()  # where each original row sits now
    pivots = xp.empty((batch, k), dtype=np.int32)
    for i in range(k):
        wanted = order[:, i]
        swap_with = position[rows, wanted]
        pivots[:, i] = swap_with + 1
        displaced = current[:, i].copy()
        current[rows, swap_with], current[:, i] = displaced, wanted
        position[rows, displaced], position[rows, wanted] = swap_with, i
    return pivots


def order_of(xp, pivots, m):
    """LAPACK's sequential swaps (..., k), 1-based, as the row order (..., m) of P^T A."""
    batch_shape, k = pivots.shape[:-1], pivots.shape[-1]
    swaps = pivots.reshape((math.prod(batch_shape), k)).astype(np.int64) - 1
    rows = xp.arange(swaps.shape[0])
    order = xp.broadcast_to(xp.arange(m), (swaps.shape[0], m)).copy()
    for i in range(k):
        target = swaps[:, i]
        here = order[:, i].copy()
        order[:, i] = order[rows, target]
        order[rows, target] = here
    return order.reshape(batch_shape + (m,))


def permutation_matrix(xp, order, dtype):
    """P (..., m, m) with A = P (P^T A): P[order[i], i] = 1."""
    m = order.shape[-1]
    return (order[..., None, :] == xp.arange(m)[:, None]).astype(dtype)


def zero_pivot_info(xp, lu):
    """LAPACK's info: the 1-based index of the first zero on U's diagonal (..., ), 0 if none."""
    zero = xp.diagonal(lu, axis1=-2, axis2=-1) == 0
    if zero.shape[-1] == 0:
        return xp.zeros(zero.shape[:-1], dtype=np.int32)
    return xp.where(zero.any(-1), zero.argmax(-1) + 1, 0).astype(np.int32)


def lu_factor_values(xp, a, pivot=True):
    """(LU, pivots, row order) of the arrays a (..., m, n), as described in the module docstring."""
    batch_shape, (m, n) = a.shape[:-2], a.shape[-2:]
    lu = a.reshape((math.prod(batch_shape), m, n)).copy()
    order = _factor_in_place(xp, lu, pivot) if lu.size else xp.broadcast_to(xp.arange(m), (lu.shape[0], m))
    pivots = pivots_of(xp, order, min(m, n)).reshape(batch_shape + (min(m, n),))
    return lu.reshape(a.shape), pivots, order.reshape(batch_shape + (m,))


class LUFactor(Function):
    """LU (..., m, n) packed as getrf packs it; the pivots (and the permutation) are constants
    kept on the op (``self.pivots``, ``self.order``).

    Backward (PyTorch's linalg_lu_backward, applied to gL = tril(dL/dLU, -1) and gU = triu(dL/dLU)):
    for square A, from dA = P (dL U + L dU), where L^-1 dL is strictly lower and dU U^-1 upper,
        dL/dA = P L^-H (tril(L^H gL, -1) + triu(gU U^H)) U^-H.
    Wide (m < n), U = [U1 | U2] with U2 = L^-1 P^T A2: the square formula for A1 with gU1 and
    gL - L^-H gU2 U2^H, and dL/dA2 = P L^-H gU2.
    Tall (m > n), L = [L1; L2] with L2 = (P^T A)_2 U^-1: the square formula for the top rows
    with gL1 and gU - L2^H gL2 U^-H, and gL2 U^-H for the bottom rows.
    (H is the conjugate transpose, the transpose for real A.)
    """

    supports_complex = True
    graph_saved = {"lu": "output"}

    def __init__(self, pivot=True):
        self.pivot = pivot

    def forward(self, a):
        xp = self.xp(a)
        self.lu, self.pivots, self.order = lu_factor_values(xp, a, self.pivot)
        return self.lu

    def backward(self, gy):
        xp = self.xp(gy)
        m, n = gy.shape[-2:]
        k = min(m, n)
        lower = xp.tril(self.lu[..., :, :k], -1) + xp.eye(m, k, dtype=gy.dtype)
        upper = xp.triu(self.lu[..., :k, :])
        g_lower, g_upper = xp.tril(gy[..., :, :k], -1), xp.triu(gy[..., :k, :])
        permutation = permutation_matrix(backend.get_array_module(self.order), self.order, gy.dtype)
        if m == n:
            return (permutation @ _square_backward(xp, lower, upper, g_lower, g_upper),)
        if m < n:
            upper1, upper2, g_upper1, g_upper2 = upper[..., :k], upper[..., k:], g_upper[..., :k], g_upper[..., k:]
            through_lower = solve_with(adjoint(lower), g_upper2)  # L^-H gU2
            g_a1 = _square_backward(xp, lower, upper1, g_lower - through_lower @ adjoint(upper2), g_upper1)
            return (permutation @ xp.concatenate([g_a1, through_lower], axis=-1),)
        lower1, lower2, g_lower1, g_lower2 = lower[..., :k, :], lower[..., k:, :], g_lower[..., :k, :], g_lower[..., k:, :]
        g_rows2 = _times_inverse_adjoint(g_lower2, upper)  # gL2 U^-H
        g_rows1 = _square_backward(xp, lower1, upper, g_lower1, g_upper - adjoint(lower2) @ g_rows2)
        return (permutation @ xp.concatenate([g_rows1, g_rows2], axis=-2),)


def _times_inverse_adjoint(y, upper):
    """Y U^-H (solving X U^H = Y as U X^H = Y^H)."""
    return adjoint(solve_with(upper, adjoint(y)))


def _square_backward(xp, lower, upper, g_lower, g_upper):
    """L^-H (tril(L^H gL, -1) + triu(gU U^H)) U^-H for square L and U."""
    middle = xp.tril(adjoint(lower) @ g_lower, -1) + xp.triu(g_upper @ adjoint(upper))
    return _times_inverse_adjoint(solve_with(adjoint(lower), middle), upper)
