"""Matrix functions with their matrix-calculus gradients: inverse, determinant, log-determinant and
solving linear systems, for square matrices A (..., n, n), batched over leading axes.

The backward formulas, from d(A^-1) = -A^-1 dA A^-1 and d(det A) = det A tr(A^-1 dA):
    Y = A^-1:           dL/dA = -Y^T (dL/dY) Y^T
    d = det A:          dL/dA = dL/dd * d * A^-T
    (s, l) = slogdet A: dL/dA = dL/dl * A^-T           (the sign is constant almost everywhere)
    X = A^-1 B:         dL/dB = A^-T (dL/dX),   dL/dA = -(dL/dB) X^T
Each is written with matrix products and these very ops, so it is recorded under create_graph
and the second derivatives come from the same code.
"""
from ..autograd import Function
from .arithmetic import sum_to_shape


def _transposed(matrix):
    return matrix.swapaxes(-1, -2)


def _checked(xp, function, name, *arrays):
    try:
        return function(*arrays)
    except xp.linalg.LinAlgError as error:
        raise ValueError(f"{name}: {error} (the matrix is singular, or not positive definite)") from None


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
    """Y = A^-1.  dL/dA = -Y^T (dL/dY) Y^T."""

    graph_saved = {"y": "output"}

    def forward(self, a):
        self.y = inverse_of(a)
        return self.y

    def backward(self, gy):
        return (-(_transposed(self.y) @ gy @ _transposed(self.y)),)


class Determinant(Function):
    """d = det A.  dL/dA = dL/dd * d * A^-T."""

    graph_saved = {"a": 0, "d": "output"}

    def forward(self, a):
        xp = self.xp(a)
        self.a, self.d = a, xp.linalg.det(a)
        return self.d

    def backward(self, gy):
        return ((gy * self.d)[..., None, None] * _transposed(inverse_of(self.a)),)


class LogAbsDeterminant(Function):
    """l = log |det A| (slogdet's second part).  dL/dA = dL/dl * A^-T."""

    graph_saved = {"a": 0}

    def forward(self, a):
        xp = self.xp(a)
        self.a = a
        self.sign, logabsdet = xp.linalg.slogdet(a)
        return logabsdet

    def backward(self, gy):
        return (gy[..., None, None] * _transposed(inverse_of(self.a)),)


class Solve(Function):
    """X = A^-1 B for A (..., n, n) and B (..., n, k) (or (n,)).  dL/dB = A^-T dL/dX,
    dL/dA = -(dL/dB) X^T (summed over broadcast batch axes)."""

    graph_saved = {"a": 0, "x": "output"}

    def forward(self, a, b):
        self.a, self.b_shape, self.vector = a, b.shape, b.ndim == 1
        self.x = solve_with(a, b[:, None] if self.vector else b)
        return self.x[..., 0] if self.vector else self.x

    def backward(self, gy):
        gy = gy[..., None] if self.vector else gy
        gb = solve_with(_transposed(self.a), gy)
        x = self.x if not self.vector or self.x.ndim == gy.ndim else self.x[..., None]
        ga = -(gb @ _transposed(x))
        return sum_to_shape(ga, self.a.shape), sum_to_shape(gb[..., 0] if self.vector else gb, self.b_shape)
