"""The classical orthogonal polynomials of ``torch.special``: Chebyshev T, U, V, W (and shifted,
on [0, 1]), Hermite H (physicists') and He (probabilists'), Laguerre L and Legendre P, each
p_n(x) for a tensor of degrees n (truncated to integers; p_n = 0 for n < 0), by its three-term
recurrence, run once over the whole array up to the largest degree:

    p_0 = 1,   p_1 = alpha x + beta,   p_(k+1) = (a_k x + b_k) p_k - c_k p_(k-1)

    family     alpha, beta    a_k, b_k, c_k
    T, U, V, W 1|2|2|2, 0|0|-1|1   2, 0, 1          (shifted: x -> 2x - 1, so alpha and a_k double)
    H          2, 0           2, 0, 2k
    He         1, 0           1, 0, k
    L          -1, 1          -1/(k+1), (2k+1)/(k+1), k/(k+1)
    P          1, 0           (2k+1)/(k+1), 0, k/(k+1)

Derivatives in x (PyTorch has none) come from the same recurrence differentiated m times
(Leibniz): p^(m)_(k+1) = (a_k x + b_k) p^(m)_k + m a_k p^(m-1)_k - c_k p^(m)_(k-1), so the op of
order m has as backward the op of order m + 1, and derivatives of every order follow. The degree
has none (the polynomials are piecewise constant in a real n that is truncated).
"""
import numpy as np

from ..autograd import Function

# family: (alpha, beta, recurrence k -> (a_k, b_k, c_k))
_CHEBYSHEV = lambda k: (2.0, 0.0, 1.0)  # noqa: E731
_SHIFTED = lambda k: (4.0, -2.0, 1.0)  # noqa: E731
FAMILIES = {
    "chebyshev_polynomial_t": (1.0, 0.0, _CHEBYSHEV),
    "chebyshev_polynomial_u": (2.0, 0.0, _CHEBYSHEV),
    "chebyshev_polynomial_v": (2.0, -1.0, _CHEBYSHEV),
    "chebyshev_polynomial_w": (2.0, 1.0, _CHEBYSHEV),
    "shifted_chebyshev_polynomial_t": (2.0, -1.0, _SHIFTED),
    "shifted_chebyshev_polynomial_u": (4.0, -2.0, _SHIFTED),
    "shifted_chebyshev_polynomial_v": (4.0, -3.0, _SHIFTED),
    "shifted_chebyshev_polynomial_w": (4.0, -1.0, _SHIFTED),
    "hermite_polynomial_h": (2.0, 0.0, lambda k: (2.0, 0.0, 2.0 * k)),
    "hermite_polynomial_he": (1.0, 0.0, lambda k: (1.0, 0.0, float(k))),
    "laguerre_polynomial_l": (-1.0, 1.0, lambda k: (-1 / (k + 1), (2 * k + 1) / (k + 1), k / (k + 1))),
    "legendre_polynomial_p": (1.0, 0.0, lambda k: ((2 * k + 1) / (k + 1), 0.0, k / (k + 1))),
}


def values(family, x, n, order=0):
    """The ``order``-th derivative in x of the polynomial of degree n (arrays, broadcast)."""
    xp = Function.xp(x)
    alpha, beta, recurrence = FAMILIES[family]
    x, degree = xp.broadcast_arrays(x, xp.trunc(n).astype(np.int64) if n.dtype.kind == "f" else n.astype(np.int64))
    # previous[m], current[m]: the m-th derivatives of p_(k-1) and p_k
    previous = [xp.ones_like(x)] + [xp.zeros_like(x)] * order
    current = [alpha * x + beta, xp.full_like(x, alpha)] + [xp.zeros_like(x)] * (order - 1)
    current = current[:order + 1]
    result = xp.where(degree == 0, previous[order], xp.zeros_like(x))
    result = xp.where(degree == 1, current[order], result)
    for k in range(1, int(degree.max()) if degree.size else 0):
        a, b, c = recurrence(k)
        following = [(a * x + b) * current[m] + (m * a * current[m - 1] if m else 0) - c * previous[m]
                     for m in range(order + 1)]
        previous, current = current, following
        result = xp.where(degree == k + 1, current[order], result)
    return result


class OrthogonalPolynomial(Function):
    """y = d^m/dx^m p_n(x) (m = ``order``, 0 by default) of the named family.
    dL/dx = dL/dy * d^(m+1)/dx^(m+1) p_n(x): the op of the next order. n has no gradient."""

    float16_in_float32 = True
    promotes, float_output = (0, 1), True
    graph_saved = {"x": 0}

    def __init__(self, family, order=0):
        self.family, self.order = family, order

    def forward(self, x, n):
        self.x, self.n = x, n
        return values(self.family, x, n, self.order).astype(x.dtype, copy=False)

    def backward(self, gy):
        from .arithmetic import sum_to_shape

        return sum_to_shape(gy * derivative_of(self.family, self.x, self.n, self.order + 1), self.x.shape), None


def derivative_of(family, x, n, order):
    """The ``order``-th derivative of arrays or, recorded, of a Tensor x."""
    if hasattr(x, "grad_fn"):
        from ..tensor import Tensor

        return OrthogonalPolynomial(family, order)(x, Tensor._from_op(n, False))
    return values(family, x, n, order).astype(x.dtype, copy=False)
