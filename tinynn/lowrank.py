"""Randomized low-rank SVD and PCA (PyTorch's ``torch.svd_lowrank`` and ``torch.pca_lowrank``),
after Halko, Martinsson and Tropp (2009), algorithms 4.4 and 5.1:

1. Q: an orthonormal basis of the range of A, from A R for a Gaussian R (n, q), sharpened by
   ``niter`` power iterations (Q <- qr(A Q') with Q' = qr(A^H Q)), which make the top singular
   directions dominate the rest by the power 2 niter + 1;
2. B = Q^H A (q, n) is small: its exact SVD B = U' S V^H gives A ~ (Q U') S V^H.

(H is the conjugate transpose: complex matrices work the same way, with a complex Gaussian R.)

Where A is wide (m < n) or q < n, the basis is taken for A^H instead, so the dense SVD is of the
smaller side. Every step is a differentiable tinynn op (matmul, qr, svd), so U, S and V have
gradients, on the CPU and the GPU. The result depends on the random R through tinynn's generator
(``tinynn.manual_seed``); it is exact for a matrix of rank at most q.
"""
from . import linalg
from .tensor import randn


def _product(A, M, X):
    """(A - M) X, without forming A - M."""
    return A @ X if M is None else A @ X - M @ X


def _approximate_basis(A, q, niter, M=None):
    """Q (..., m, q) with orthonormal columns spanning (nearly) the range of A - M."""
    M_h = None if M is None else M.mH
    Q = linalg.qr(_product(A, M, randn(A.shape[-1], q, dtype=A.dtype, device=A.device))).Q
    for _ in range(niter):
        Q = linalg.qr(_product(A.mH, M_h, Q)).Q
        Q = linalg.qr(_product(A, M, Q)).Q
    return Q


def svd_lowrank(A, q=6, niter=2, M=None):
    """(U, S, V) with A - M ~ U diag(S) V^H: U (..., m, q), S (..., q) descending, V (..., n, q).

    ``q``: the rank sought (a little above the rank of interest pays); ``niter``: power iterations,
    more for slowly decaying spectra; ``M``: a matrix broadcast to A's shape that is subtracted
    without forming A - M (a mean, for PCA)."""
    _check(A, q, niter, "svd_lowrank")
    if q > min(A.shape[-2:]):
        raise ValueError(f"svd_lowrank: q={q} is more than min(m, n) = {min(A.shape[-2:])} for A of shape {tuple(A.shape)}")
    if M is not None:
        M = M.broadcast_to(A.shape)
    m, n = A.shape[-2:]
    if m < n or n > q:  # the basis of A^H keeps B (m, q) and the dense SVD small
        Q = _approximate_basis(A.mH, q, niter, None if M is None else M.mH)
        U, S, Vh = linalg.svd(_product(A, M, Q), full_matrices=False)
        return U, S, Q @ Vh.mH
    Q = _approximate_basis(A, q, niter, M)
    B = _product(A.mH, None if M is None else M.mH, Q)
    U, S, Vh = linalg.svd(B.mH, full_matrices=False)
    return Q @ U, S, Vh.mH


def pca_lowrank(A, q=None, center=True, niter=2):
    """(U, S, V) of the randomized SVD of A (..., m, n) with its column means taken off (``center``):
    the columns of V (n, q) are the principal directions, S^2 / (m - 1) the variances along them,
    and A V the data's coordinates in them. ``q`` defaults to min(6, m, n)."""
    m, n = A.shape[-2:] if A.ndim >= 2 else (None, None)
    q = min(6, m, n) if q is None and m is not None else q
    _check(A, q, niter, "pca_lowrank")
    if not 0 <= q <= min(m, n):
        raise ValueError(f"pca_lowrank: q must be in [0, min(m, n)] = [0, {min(m, n)}], got {q}")
    if not center:
        return svd_lowrank(A, q, niter)
    return svd_lowrank(A - A.mean(-2, keepdim=True), q, niter)


def _check(A, q, niter, name):
    if A.ndim < 2:
        raise ValueError(f"{name}: expected A of shape (..., m, n), got shape {tuple(A.shape)}")
    if A.dtype.kind not in "fc":
        raise TypeError(f"{name}: expected a floating-point or complex A, got {A.dtype}")
    if not isinstance(q, int) or q < 0:
        raise ValueError(f"{name}: q must be a non-negative integer, got {q!r}")
    if not isinstance(niter, int) or niter < 0:
        raise ValueError(f"{name}: niter must be a non-negative integer, got {niter!r}")
