"""Matrix functions with their matrix-calculus gradients: inverse, determinant, log-determinant,
solving linear systems and the matrix exponential, for square matrices A (..., n, n), batched
over leading axes.

The backward formulas, from d(A^-1) = -A^-1 dA A^-1 and d(det A) = det A tr(A^-1 dA):
    Y = A^-1:           dL/dA = -Y^T (dL/dY) Y^T
    d = det A:          dL/dA = dL/dd * d * A^-T
    (s, l) = slogdet A: dL/dA = dL/dl * A^-T           (the sign is constant almost everywhere)
    X = A^-1 B:         dL/dB = A^-T (dL/dX),   dL/dA = -(dL/dB) X^T
Each is written with matrix products and these very ops, so it is recorded under create_graph
and the second derivatives come from the same code.
"""

import numpy as np

from ..autograd import Function
from ..errors import InputError
from .arithmetic import sum_to_shape
from .complex import conj


def adjoint(matrix):
    """M^H, the conjugate transpose (M^T for a real M): where a real gradient formula has a
    transpose, the complex one has this (ops/complex.py)."""
    return conj(matrix.swapaxes(-1, -2))


class LinAlgError(InputError):
    """A matrix that has no inverse, no Cholesky factor or no LU factorization without a zero pivot
    (``tinynn.linalg.LinAlgError``, as ``torch.linalg.LinAlgError``, a RuntimeError; and a
    ValueError, as every complaint about a bad input here: errors.py)."""


def _checked(xp, function, name, *arrays):
    try:
        return function(*arrays)
    except xp.linalg.LinAlgError as error:
        raise LinAlgError(f"{name}: {error} (the matrix is singular, or not positive definite)") from None


def inverse_of(matrix):
    """A^-1 of an array (NumPy/CuPy) or, recorded, of a Tensor."""
    if hasattr(matrix, "grad_fn"):
        return Inverse()(matrix)
    xp = Function.xp(matrix)
    return _checked(xp, xp.linalg.inv, "inv", matrix)


def solve_with(matrix, rhs):
    """A^-1 B of arrays or, recorded, of Tensors."""
    if hasattr(matrix, "grad_fn") or hasattr(rhs, "grad_fn"):
        from ..tensor import _as_tensor

        like = matrix if hasattr(matrix, "grad_fn") else rhs
        return Solve()(_as_tensor(matrix, like), _as_tensor(rhs, like))
    xp = Function.xp(matrix)
    return _checked(xp, xp.linalg.solve, "solve", matrix, rhs)


class Inverse(Function):
    """Y = A^-1.  dL/dA = -Y^T (dL/dY) Y^T (for complex A: Y^H for Y^T)."""

    supports_complex = True
    graph_saved = {"y": "output"}

    def forward(self, a):
        self.y = inverse_of(a)
        return self.y

    def backward(self, gy):
        return (-(adjoint(self.y) @ gy @ adjoint(self.y)),)


class Determinant(Function):
    """d = det A.  dL/dA = dL/dd * C, C the cofactor matrix (d A^-T where A is invertible; for complex A
    conj(C)); a singular A has cofactors too (``conjugate_cofactors``), and so a gradient."""

    supports_complex = True
    graph_saved = {"a": 0, "d": "output"}

    def forward(self, a):
        xp = self.xp(a)
        self.a, self.d = a, xp.linalg.det(a)
        return self.d

    def backward(self, gy):
        if hasattr(self.a, "grad_fn"):  # recorded (create_graph): by the inverse, so invertible A only
            return ((gy * conj(self.d))[..., None, None] * adjoint(inverse_of(self.a)),)
        return (gy[..., None, None] * conjugate_cofactors(self.a),)


def conjugate_cofactors(a):
    """conj(C) for each matrix A of the array ``a``, C its cofactor matrix (C_ij = d det A / dA_ij, the
    transposed adjugate), singular or not. From the SVD A = U S V^H, adj(A) = det(V^H) V adj(S) det(U) U^H
    with adj(S) = diag(prod over j != i of s_j), so conj(C) = conj(det U det V^H) U adj(S) V^H: products
    of singular values, not det(A) A^-1 (which a singular A does not have; PyTorch gives this gradient)."""
    xp = Function.xp(a)
    u, s, vh = xp.linalg.svd(a)
    ones = xp.ones(s.shape[:-1] + (1,), dtype=s.dtype)
    before = xp.cumprod(xp.concatenate([ones, s[..., :-1]], axis=-1), axis=-1)  # prod of s_j, j < i
    after = xp.flip(xp.cumprod(xp.concatenate([ones, xp.flip(s, -1)[..., :-1]], axis=-1), axis=-1), -1)  # j > i
    phase = conj(xp.linalg.det(u) * xp.linalg.det(vh))  # +-1 for real A, on the unit circle for complex
    return phase[..., None, None] * (u * (before * after).astype(u.dtype)[..., None, :]) @ vh


class LogAbsDeterminant(Function):
    """l = log |det A| (slogdet's second part), real.  dL/dA = dL/dl * A^-T (for complex A: A^-H,
    as l = Re log det A)."""

    supports_complex = True
    graph_saved = {"a": 0}

    def forward(self, a):
        xp = self.xp(a)
        self.a = a
        self.sign, logabsdet = xp.linalg.slogdet(a)
        return logabsdet

    def backward(self, gy):
        return (gy[..., None, None] * adjoint(inverse_of(self.a)),)


class LogDeterminant(LogAbsDeterminant):
    """log det A of complex A, on the principal branch: log |det A| + i arg det A (-inf for a
    singular A). Holomorphic, d log det A = tr(A^-1 dA), so dL/dA = dL/dy * A^-H, the formula of
    log |det A| with a complex dL/dy."""

    def forward(self, a):
        xp = self.xp(a)
        self.a = a
        sign, logabsdet = xp.linalg.slogdet(a)
        return (logabsdet + 1j * xp.angle(sign)).astype(a.dtype, copy=False)


class Solve(Function):
    """X = A^-1 B for A (..., n, n) and B (..., n, k) (or (n,)).  dL/dB = A^-T dL/dX,
    dL/dA = -(dL/dB) X^T (summed over broadcast batch axes); for complex ones ^H for ^T."""

    supports_complex = True
    graph_saved = {"a": 0, "x": "output"}

    def forward(self, a, b):
        self.a, self.b_shape, self.vector = a, b.shape, b.ndim == 1
        self.x = solve_with(a, b[:, None] if self.vector else b)
        return self.x[..., 0] if self.vector else self.x

    def backward(self, gy):
        gy = gy[..., None] if self.vector else gy
        gb = solve_with(adjoint(self.a), gy)
        x = self.x if not self.vector or self.x.ndim == gy.ndim else self.x[..., None]
        ga = -(gb @ adjoint(x))
        return sum_to_shape(ga, self.a.shape), sum_to_shape(gb[..., 0] if self.vector else gb, self.b_shape)


# Higham's degree-13 Pade approximant of e^A ("The scaling and squaring method for the matrix
# exponential revisited", 2005): its coefficients, and the 1-norm up to which it needs no scaling
_PADE13 = (64764752532480000.0, 32382376266240000.0, 7771770303897600.0, 1187353796428800.0, 129060195264000.0,
           10559470521600.0, 670442572800.0, 33522128640.0, 1323241920.0, 40840800.0, 960960.0, 16380.0, 182.0, 1.0)
_PADE13_THETA = 5.371920351148152


def matrix_exp_values(a):
    """e^A of square matrices (..., n, n) by scaling and squaring: each A / 2^s within the Pade
    approximant's range (s from its 1-norm), then squared s times. A matrix holding an inf or
    NaN is not scaled (its exponential is NaN, as PyTorch's) and leaves the others' s alone."""
    xp = Function.xp(a)
    work = a.astype(np.complex128 if a.dtype.kind == "c" else np.float64)
    norms = xp.abs(work).sum(-2).max(-1) if work.size else xp.zeros(a.shape[:-2])
    too_large = xp.isfinite(norms) & (norms > _PADE13_THETA)
    squarings = xp.where(too_large, xp.ceil(xp.log2(xp.where(too_large, norms, 1.0) / _PADE13_THETA)), 0).astype(np.int64)
    work = work / (2.0 ** squarings)[..., None, None]
    b = _PADE13
    eye = xp.eye(a.shape[-1])
    a2 = work @ work
    a4 = a2 @ a2
    a6 = a4 @ a2
    u = work @ (a6 @ (b[13] * a6 + b[11] * a4 + b[9] * a2) + b[7] * a6 + b[5] * a4 + b[3] * a2 + b[1] * eye)
    v = a6 @ (b[12] * a6 + b[10] * a4 + b[8] * a2) + b[6] * a6 + b[4] * a4 + b[2] * a2 + b[0] * eye
    result = xp.linalg.solve(v - u, v + u)
    for squaring in range(int(squarings.max()) if squarings.size else 0):
        result = xp.where((squaring < squarings)[..., None, None], result @ result, result)
    return result.astype(a.dtype, copy=False)


def matrix_exp_of(matrix):
    """e^A of an array or, recorded, of a Tensor."""
    return MatrixExp()(matrix) if hasattr(matrix, "grad_fn") else matrix_exp_values(matrix)


class MatrixExp(Function):
    """Y = e^A = sum A^k / k! for square A (..., n, n).

    dL/dA is the adjoint of the Frechet derivative of exp at A applied to G = dL/dY, which is the
    upper-right block of one bigger exponential (Mathias, 1996):
        exp([[A^T, G], [0, A^T]]) = [[e^(A^T), dL/dA], [0, e^(A^T)]]
    (A^H for a complex A). That block is computed by this very op, so the derivatives of every
    order follow.
    """

    supports_complex = True
    graph_saved = {"a": 0}

    def forward(self, a):
        self.a = a
        return matrix_exp_values(a)

    def backward(self, gy):
        xp = self.xp(gy)
        n = gy.shape[-1]
        at = adjoint(self.a)
        zeros = xp.zeros(tuple(gy.shape), dtype=gy.dtype)
        block = xp.concatenate([xp.concatenate([at, gy], axis=-1), xp.concatenate([zeros, at], axis=-1)], axis=-2)
        return (matrix_exp_of(block)[..., :n, n:],)
