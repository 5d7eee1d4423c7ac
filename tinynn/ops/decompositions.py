"""Matrix decompositions with their gradients: Cholesky, QR, the symmetric eigendecomposition, the
SVD and the pseudo-inverse, for matrices A (..., m, n) batched over leading axes.

Shapes: A (..., m, n), k = min(m, n); X^T swaps the last two axes; diag(s) is the diagonal matrix
of a vector s; "∘" is the elementwise product.

A decomposition with several factors (QR, eigh, SVD) is one op whose output is the factors
flattened and laid side by side along one last axis; ``factors(output)`` cuts them out again
(recorded slices, so each factor is a Tensor of the graph) and the backward gets their gradients
the same way. A factor nobody used has a zero gradient; its terms are skipped, as PyTorch skips
an undefined gradient, because with repeated eigen- or singular values they would be 0 * inf.

Every backward is written with matrix products, ``tril``/``triu`` and ``solve_with``, so under
create_graph it is recorded, and the second derivatives come from the same formulas.
"""
import math

import numpy as np

from .. import backend
from ..autograd import Function
from .complex import conj
from .linalg import LinAlgError, _checked, adjoint, solve_with


def _transposed(matrix):
    return matrix.swapaxes(-1, -2)


def _times_inverse(y, m):
    """Y M^-1 (solving X M = Y as M^T X^T = Y^T)."""
    return _transposed(solve_with(_transposed(m), _transposed(y)))


def _diag_embed(xp, vectors):
    """(..., k) -> (..., k, k) with the vectors on the diagonal."""
    return vectors[..., None] * xp.eye(vectors.shape[-1], dtype=vectors.dtype)


def _array(value):
    """A Tensor's array (under create_graph), or the array itself (an ndarray's .data is its buffer)."""
    return value._array if hasattr(value, "grad_fn") else value


def _diagonal(matrices):
    """The diagonals (..., k) of matrices (..., k, k), as an array: for checks, not recorded."""
    data = _array(matrices)
    return Function.xp(data).diagonal(data, axis1=-2, axis2=-1)


def _is_unused(gradient):
    """A factor's gradient that is all zero and not itself part of a graph (an unused output)."""
    if getattr(gradient, "requires_grad", False):
        return False
    data = _array(gradient)
    return not bool(backend.get_array_module(data).any(data))


def _check_finite_on_gpu(xp, result, name, what):
    """cuSOLVER reports a failure (a matrix not positive definite) as NaNs, not an error as LAPACK
    does in NumPy: look, at the cost of one sync, so both devices fail alike."""
    if xp is not np and not bool(xp.isfinite(result).all()):
        raise LinAlgError(f"{name}: {what}")
    return result


def _reciprocal_gaps(xp, values):
    """F with F_ij = 1 / (values_j - values_i) off the diagonal and 0 on it (inf where two values
    are equal: the factor is then not differentiable)."""
    gaps = values[..., None, :] - values[..., :, None]
    eye = xp.eye(values.shape[-1], dtype=values.dtype)
    with np.errstate(divide="ignore"):
        return (1 - eye) / (gaps + eye)


class Cholesky(Function):
    """L with A = L L^T, L lower triangular (..., n, n), for symmetric positive-definite A (Hermitian:
    A = L L^H for a complex one); only the lower triangle of A is read.

    Backward (Murray, "Differentiation of the Cholesky decomposition", 2016): with
    Φ = tril(L^T dL/dL) and S = (Φ + tril(Φ, -1)^T) / 2 (Φ's diagonal halved, its lower part halved
    and mirrored),
        dL/dA = L^-T S L^-1     (symmetric, as the perturbations of a symmetric A are);
    ^H for ^T for a complex A, as PyTorch's.
    """

    supports_complex = True

    graph_saved = {"lower": "output"}

    def forward(self, a):
        xp = self.xp(a)
        self.lower = _checked(xp, xp.linalg.cholesky, "cholesky", a)
        return _check_finite_on_gpu(xp, self.lower, "cholesky", "the matrix is not positive definite")

    def backward(self, gy):
        xp = self.xp(gy)
        phi = xp.tril(adjoint(self.lower) @ gy)
        mirrored = 0.5 * (phi + adjoint(xp.tril(phi, -1)))
        return (_times_inverse(solve_with(adjoint(self.lower), mirrored), self.lower),)


class _Factorization(Function):
    """An op whose output is several factors laid side by side (see the module docstring).
    Subclasses set ``self.factor_shapes`` (each factor's shape without the batch axes) in forward
    and return ``self.pack(...)``."""

    def pack(self, xp, *factors):
        self.batch_shape = factors[0].shape[:factors[0].ndim - len(self.factor_shapes[0])]
        # (each factor's size named, not -1: a batch of no matrices has no size to infer it from)
        return xp.concatenate([f.reshape(self.batch_shape + (math.prod(f.shape[len(self.batch_shape):]),))
                               for f in factors], axis=-1)

    def factors(self, packed):
        pieces, start = [], 0
        for shape in self.factor_shapes:
            size = math.prod(shape)
            pieces.append(packed[..., start:start + size].reshape(self.batch_shape + shape))
            start += size
        return pieces


class QR(_Factorization):
    """A = Q R with Q^T Q = I and R upper triangular: for mode "reduced" Q (..., m, k) and
    R (..., k, n); for "complete" Q (..., m, m) and R (..., m, n). Complex A: Q^H Q = I, R with a
    real diagonal (LAPACK's).

    Backward (Liao et al., "Differentiable programming tensor networks", 2019), for m >= n with
    N = (dL/dR) R^T - Q^T dL/dQ and S = triu(N, 1) + triu(N, 1)^T + diag(N) (N's upper triangle
    mirrored):
        dL/dA = (dL/dQ + Q S) R^-T.
    For m < n, A = [X | Y] with X square: X = Q U takes that formula with dL/dQ + Y (dL/dV)^T
    (V = Q^T Y depends on Q too) and dL/dU, and dL/dY = Q dL/dV, where R = [U | V].
    Complex: ^H for ^T, and S's diagonal is Re diag(N) (R's diagonal stays real), as PyTorch's.
    The complete factorization of a tall matrix has no gradient (its extra columns of Q are not
    determined by A), as in PyTorch.
    """

    supports_complex = True

    graph_saved = {"q": lambda op, output: op.factors(output)[0], "r": lambda op, output: op.factors(output)[1]}

    def __init__(self, mode="reduced"):
        self.mode = mode

    def forward(self, a):
        xp = self.xp(a)
        self.q, self.r = xp.linalg.qr(a, mode=self.mode)
        self.factor_shapes = [self.q.shape[-2:], self.r.shape[-2:]]
        return self.pack(xp, self.q, self.r)

    def backward(self, gy):
        gq, gr = self.factors(gy)
        m, n = self.q.shape[-2], self.r.shape[-1]
        if self.q.shape[-1] > n:
            raise NotImplementedError("qr: the complete QR factorization of a matrix with more rows than columns "
                                      "has no gradient (the extra columns of Q are arbitrary); use mode='reduced'")
        if m >= n:
            return (self._square_backward(self.q, self.r, gq, gr),)
        u, v, gu, gv = self.r[..., :m], self.r[..., m:], gr[..., :m], gr[..., m:]
        y = self.q @ v
        gx = self._square_backward(self.q, u, gq + y @ adjoint(gv), gu)
        return (self.xp(gy).concatenate([gx, self.q @ gv], axis=-1),)

    def _square_backward(self, q, r, gq, gr):
        xp = self.xp(gq)
        n = gr @ adjoint(r) - adjoint(q) @ gq
        upper = xp.triu(n, 1)
        eye = xp.eye(n.shape[-1], dtype=r.dtype)
        mirrored = upper + adjoint(upper) + 0.5 * (n + conj(n)) * eye
        return _times_inverse(gq + q @ mirrored, adjoint(r))


class SymmetricEigen(_Factorization):
    """A = V diag(w) V^T for symmetric A (..., n, n), eigenvalues w (..., n) ascending and
    orthonormal eigenvectors V (..., n, n); only the triangle ``uplo`` of A is read. For a complex
    Hermitian A, A = V diag(w) V^H with w real (packed with V as complex numbers; linalg.eigh
    takes their real part).

    Backward: with F_ij = 1 / (w_j - w_i) (i != j, 0 on the diagonal) and X = V^T dL/dV,
        dL/dA = V (diag(dL/dw) + F ∘ (X - X^T) / 2) V^T,
    symmetric; the eigenvector term needs distinct eigenvalues (it is inf where two are equal).
    Complex: ^H for ^T; an eigenvector is then determined only up to a phase, and a loss that
    depends on it (Im diag X not ~0) is refused, as PyTorch refuses it.
    """

    supports_complex = True

    graph_saved = {"w": lambda op, output: op.factors(output)[0], "v": lambda op, output: op.factors(output)[1]}

    def __init__(self, uplo="L"):
        self.uplo = uplo

    def forward(self, a):
        xp = self.xp(a)
        self.w, self.v = _checked(xp, lambda matrix: xp.linalg.eigh(matrix, UPLO=self.uplo), "eigh", a)
        self.factor_shapes = [self.w.shape[-1:], self.v.shape[-2:]]
        return self.pack(xp, self.w, self.v)

    def backward(self, gy):
        xp = self.xp(gy)
        gw, gv = self.factors(gy)
        inner = _diag_embed(xp, gw)
        if not _is_unused(gv):
            x = adjoint(self.v) @ gv
            if x.dtype.kind == "c":
                _check_phase_free("eigh", x)
            inner = inner + _reciprocal_gaps(xp, self.w) * (0.5 * (x - adjoint(x)))
        return (self.v @ inner @ adjoint(self.v),)


class GeneralEigen(_Factorization):
    """A = V diag(L) V^-1 for any square A (..., n, n), real or complex: eigenvalues L (..., n) and
    eigenvectors V (..., n, n) as columns, both complex (LAPACK's geev: each column of unit norm with
    its largest component real; a real A's complex eigenvalues come in conjugate pairs).

    Backward (PyTorch's, for its complex gradients, ops/complex.py): with X = V^H dL/dV,
        G = X - V^H V diag(Re diag X)          (each column of V keeps its unit norm),
        G_ij = G_ij / conj(L_j - L_i) off the diagonal,   G_ii = dL/dL_i,
        dL/dA = V^-H G V^H,                    its real part for a real A.
    An eigenvector is only determined up to a phase e^{i phi}; a loss that depends on the phase
    (Im diag X not ~0) has no gradient, and is refused, as PyTorch refuses it. The eigenvector term
    needs distinct eigenvalues. No gradients of gradients (its backward solves on arrays). Computed
    on the host, also for GPU arrays.
    """

    supports_complex = True

    def forward(self, a):
        xp = self.xp(a)
        complex_dtype = np.dtype(np.complex128) if a.dtype in (np.float64, np.complex128) else np.dtype(np.complex64)
        # on the host for GPU arrays too (as PyTorch's CUDA eig, through MAGMA's hybrid geev): CuPy's
        # needs a recent cuSOLVER, and a general eigenproblem is small work next to its transfers
        device = backend.device_of(a)
        w, v = _checked(np, np.linalg.eig, "eig", backend.to_device(a, backend.CPU))
        self.w = backend.to_device(w.astype(complex_dtype, copy=False), device)
        self.v = backend.to_device(v.astype(complex_dtype, copy=False), device)
        self.factor_shapes = [self.w.shape[-1:], self.v.shape[-2:]]
        return self.pack(xp, self.w, self.v)

    def backward(self, gy):
        xp = self.xp(gy)
        gw, gv = self.factors(gy)
        vh = self.v.conj().swapaxes(-1, -2)
        inner = _diag_embed(xp, gw)
        if not _is_unused(gv):
            x = vh @ gv
            _check_phase_free("eig", x)
            x = x - vh @ (self.v * xp.diagonal(x, axis1=-2, axis2=-1).real[..., None, :])
            gaps = (self.w[..., None, :] - self.w[..., :, None]).conj()
            eye = xp.eye(self.w.shape[-1], dtype=bool)
            inner = xp.where(eye, inner, x / xp.where(eye, 1, gaps))
        return (_checked(xp, xp.linalg.solve, "eig backward", vh, inner @ vh),)


def _check_phase_free(name, x):
    """Refuse a loss that depends on the phases of complex eigenvectors (X = V^H dL/dV): only Im diag X
    would move with them."""
    diagonal = _diagonal(x)
    if float(abs(diagonal.imag).max()) > 1e-2 * (1 + float(abs(diagonal).max())):
        raise RuntimeError(f"{name} backward: the eigenvectors are determined only up to a phase e^{{i phi}}, and "
                           f"the loss depends on it, so it has no gradient (use |v|, or v v^H)")


class SVD(_Factorization):
    """A = U diag(S) Vh with singular values S (..., k) descending, U (..., m, k) and Vh (..., k, n)
    with orthonormal columns / rows (``full_matrices``: U (..., m, m) and Vh (..., n, n)).

    Backward (Townsend, "Differentiating the singular value decomposition", 2016): with V = Vh^T,
    F_ij = 1 / (S_j^2 - S_i^2) (i != j, 0 on the diagonal), J = F ∘ (U^T dL/dU - (dL/dU)^T U) and
    K = F ∘ (V^T dL/dV - (dL/dV)^T V),
        dL/dA = U (J diag(S) + diag(dL/dS) + diag(S) K) Vh
                + (I - U U^T) dL/dU diag(S)^-1 Vh          (when m > k)
                + U diag(S)^-1 (dL/dV)^T (I - V V^T)       (when n > k).
    The singular vectors need distinct, non-zero singular values; with full_matrices the extra
    columns of U (rows of Vh) of a rectangular A have no gradient, as in PyTorch.
    Complex A (S real, packed with U and Vh as complex numbers; linalg.svd takes its real part): ^H for
    ^T, and diag(i Im(U^H dL/dU)_jj / S_j) joins the middle term, the part of a phase change of u_j
    that S cannot see; a pair (u_j, v_j) is only determined up to one phase e^{i phi}, so a loss whose
    Im(U^H dL/dU)_jj + Im(V^H dL/dV)_jj is not ~0 depends on it and is refused, as PyTorch's.
    """

    supports_complex = True
    graph_saved = {"u": lambda op, output: op.factors(output)[0], "s": lambda op, output: op.factors(output)[1],
                   "vh": lambda op, output: op.factors(output)[2]}

    def __init__(self, full_matrices=True):
        self.full_matrices = full_matrices

    def forward(self, a):
        xp = self.xp(a)
        self.u, self.s, self.vh = _checked(xp, lambda matrix: xp.linalg.svd(matrix, full_matrices=self.full_matrices),
                                           "svd", a)
        self.factor_shapes = [self.u.shape[-2:], self.s.shape[-1:], self.vh.shape[-2:]]
        return self.pack(xp, self.u, self.s, self.vh)

    def backward(self, gy):
        xp = self.xp(gy)
        gu, gs, gvh = self.factors(gy)
        k = self.s.shape[-1]
        u, vh, s = self.u[..., :k], self.vh[..., :k, :], self.s
        extra_u, extra_vh = gu[..., k:], gvh[..., k:, :]
        if (extra_u.shape[-1] and not _is_unused(extra_u)) or (extra_vh.shape[-2] and not _is_unused(extra_vh)):
            raise NotImplementedError("svd: the extra singular vectors of full_matrices=True have no gradient for a "
                                      "rectangular matrix (they are arbitrary); use full_matrices=False")
        gu, gvh = gu[..., :k], gvh[..., :k, :]
        inner = _diag_embed(xp, gs)
        use_u, use_v = not _is_unused(gu), not _is_unused(gvh)
        gaps = _reciprocal_gaps(xp, s * s) if use_u or use_v else None
        if use_u:
            ut_gu = adjoint(u) @ gu
            inner = inner + (gaps * (ut_gu - adjoint(ut_gu))) * s[..., None, :]
        if use_v:
            v = adjoint(vh)
            vt_gv = vh @ adjoint(gvh)
            inner = inner + s[..., :, None] * (gaps * (vt_gv - adjoint(vt_gv)))
        if u.dtype.kind == "c" and (use_u or use_v):
            inner = inner + self._phase_term(xp, ut_gu if use_u else None, vt_gv if use_v else None, s)
        ga = u @ inner @ vh
        if use_u and u.shape[-2] > k:
            ga = ga + ((gu - u @ ut_gu) / s[..., None, :]) @ vh
        if use_v and vh.shape[-1] > k:
            ga = ga + u @ ((gvh - (gvh @ v) @ vh) / s[..., :, None])
        return (ga,)

    @staticmethod
    def _phase_term(xp, uh_gu, vh_gv, s):
        """diag(i Im(U^H dL/dU)_jj / S_j), after checking that the loss is blind to each pair's phase."""
        from_u = _diagonal(uh_gu).imag if uh_gu is not None else 0
        from_v = _diagonal(vh_gv).imag if vh_gv is not None else 0
        if float(abs(from_u + from_v).max()) > 1e-2 * (1 + float(abs(from_u).max() if uh_gu is not None else 0)):
            raise RuntimeError("svd backward: the singular vectors are determined only up to a phase e^{i phi} per "
                               "pair, and the loss depends on it, so it has no gradient (use |u|, or U diag(S) V^H)")
        if uh_gu is None:
            return 0
        return 0.5 * (uh_gu - conj(uh_gu)) * xp.eye(s.shape[-1]) / s[..., None, :]


class PseudoInverse(Function):
    """A^+ (..., n, m) of A (..., m, n): V diag(1/S) U^H over the singular values above
    ``max(atol, rtol * largest)`` (eigenvalues by absolute value for ``hermitian`` A: V diag(1/w) V^H).

    Backward (Golub and Pereyra, 1973), exact where the rank is the same nearby: with P = A^+,
        dL/dA = -P^H G P^H + (I - A P) G^H P P^H + P^H P G^H (I - P A),    G = dL/dP
    (H the conjugate transpose; for real A the transpose).
    """

    supports_complex = True
    graph_saved = {"a": 0, "p": "output"}

    def __init__(self, atol=None, rtol=None, hermitian=False):
        self.atol, self.rtol, self.hermitian = atol, rtol, hermitian

    def forward(self, a):
        xp = self.xp(a)
        self.a = a
        if self.hermitian:
            w, v = _checked(xp, xp.linalg.eigh, "pinv", a)
            kept = xp.abs(w) > cutoff(xp, xp.abs(w).max(-1, keepdims=True), a.shape, self.atol, self.rtol)
            self.p = (v * xp.where(kept, 1 / xp.where(kept, w, 1), 0)[..., None, :]) @ adjoint(v)
        else:
            u, s, vh = _checked(xp, lambda matrix: xp.linalg.svd(matrix, full_matrices=False), "pinv", a)
            kept = s > cutoff(xp, s[..., :1], a.shape, self.atol, self.rtol)
            self.p = (adjoint(vh) * xp.where(kept, 1 / xp.where(kept, s, 1), 0)[..., None, :]) @ adjoint(u)
        self.p = self.p.astype(a.dtype, copy=False)
        return self.p

    def backward(self, gy):
        xp = self.xp(gy)
        a, p, gh = self.a, self.p, adjoint(gy)
        m, n = a.shape[-2], a.shape[-1]
        ph = adjoint(p)
        rows_rest = xp.eye(m, dtype=gy.dtype) - a @ p
        columns_rest = xp.eye(n, dtype=gy.dtype) - p @ a
        return (-(ph @ gy @ ph) + rows_rest @ gh @ (p @ ph) + (ph @ p) @ gh @ columns_rest,)


def cutoff(xp, largest, shape, atol, rtol):
    """PyTorch's threshold below which singular values count as zero: max(atol, rtol * largest),
    with rtol = max(m, n) * eps of the dtype when neither is given (0 when only atol is)."""
    if rtol is None:
        rtol = 0.0 if atol is not None and atol > 0 else max(shape[-2:]) * float(np.finfo(largest.dtype).eps)
    return xp.maximum(atol or 0.0, rtol * largest)
