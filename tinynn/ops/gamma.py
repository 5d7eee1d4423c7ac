"""The log-gamma function and its derivatives, the polygamma functions, on NumPy or CuPy arrays
(NumPy has none of them; SciPy is not a dependency).

    lgamma(x) = log |Gamma(x)|,   psi_0(x) = digamma(x) = lgamma'(x),   psi_n(x) = psi_0^(n)(x)

* lgamma, for x >= 1/2, from Lanczos' approximation (g = 7, nine terms; relative error ~1e-15):
  Gamma(z + 1) = sqrt(2 pi) t^(z + 1/2) e^-t A(z),  t = z + 7.5,  A(z) = p_0 + sum_k p_k / (z + k);
  below 1/2 by the reflection Gamma(x) Gamma(1 - x) = pi / sin(pi x).
* digamma, for x >= 10 from its asymptotic series
  psi(x) ~ log x - 1/(2x) - sum_k B_2k / (2k x^2k); smaller x are moved up by the recurrence
  psi(x) = psi(x + 1) - 1/x, negative x first reflected: psi(x) = psi(1 - x) - pi / tan(pi x).
* polygamma n >= 1: psi_n(x) = (-1)^(n+1) n! zeta(n + 1, x), Hurwitz's zeta by Euler-Maclaurin
  summation (ten terms summed, eight Bernoulli corrections); for n = 1 negative x are reflected,
  psi_1(x) = pi^2 / sin^2(pi x) - psi_1(1 - x), for n >= 2 moved up by the recurrence
  psi_n(x) = psi_n(x + 1) - (-1)^n n! / x^(n+1).

Every derivative is the next function: d/dx lgamma = psi_0, d/dx psi_n = psi_(n+1).
"""
import functools
import math

import numpy as np

from ..errors import InputError
from ..autograd import Function

_LANCZOS = (0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
            12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7)
_BERNOULLI = (1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66, -691 / 2730, 7 / 6, -3617 / 510)  # B_2 .. B_16
_ASYMPTOTIC_FROM = 10.0
_EULER_GAMMA = 0.5772156649015329
_NEAR_ZERO = 0.2  # how close to 1 or 2 lgamma is taken from its series about the zero
_RECURRENCE_LIMIT = 1000  # how far below zero psi_n (n >= 2) is moved up term by term


def _abs_sin_pi(xp, x):
    """|sin(pi x)|, with x reduced to [-1/2, 1/2] first, so it is exactly 0 at the integers."""
    return xp.abs(xp.sin(math.pi * (x - xp.round(x))))


def lgamma_values(x):
    xp = Function.xp(x)
    values = x.astype(np.float64)
    reflected = values < 0.5
    z = xp.where(reflected, 1 - values, values) - 1
    series = _LANCZOS[0] + sum(p / (z + k) for k, p in enumerate(_LANCZOS[1:], 1))
    t = z + 7.5
    positive = 0.5 * math.log(2 * math.pi) + (z + 0.5) * xp.log(t) - t + xp.log(series)
    with np.errstate(divide="ignore"):
        mirror = math.log(math.pi) - xp.log(_abs_sin_pi(xp, values)) - positive
    result = xp.where(reflected, mirror, positive)
    # Lanczos' error is ~1e-16 absolute, so near lgamma's zeros at 1 and 2 not relative (lgamma(2 + 1e-7)
    # off in its 8th digit): there lgamma(1 + a), and lgamma(2 + a) = lgamma(1 + a) + log1p(a), computed
    # for those elements alone (the series' 23 terms over every element made lgamma 1.5x slower)
    near = (xp.abs(values - 1) <= _NEAR_ZERO) | (xp.abs(values - 2) <= _NEAR_ZERO)
    near_values = values[near]
    near_two = near_values > 1.5
    a = near_values - xp.where(near_two, 2.0, 1.0)
    result[near] = lgamma1p(xp, a) + xp.where(near_two, xp.log1p(a), 0.0)
    return xp.where(xp.isinf(values), xp.inf, result).astype(x.dtype, copy=False)


@functools.cache
def _lgamma1p_coefficients():
    """(-1)^k zeta(k) / k for k = 2 .. 24: lgamma(1 + a) = -gamma a + sum_k these a^k (|a| < 1)."""
    return [(-1) ** k * float(zeta_values(np.array(float(k)), np.array(1.0))) / k for k in range(2, 25)]


def lgamma1p(xp, a):
    """lgamma(1 + a) for |a| <= 1/5 (the series' next term below 2e-19), accurate relative to its small
    size near a = 0 (Lanczos' is not)."""
    total = xp.zeros_like(a)
    for coefficient in reversed(_lgamma1p_coefficients()):
        total = (total + coefficient) * a
    return (total - _EULER_GAMMA) * a


def _hurwitz_zeta(xp, s, x, terms=10):
    """zeta(s, x) = sum_k (x + k)^-s for s > 1 and x + terms > 0, by Euler-Maclaurin summation."""
    total = sum((x + k) ** -s for k in range(terms))
    shifted = x + terms
    total = total + shifted ** (1 - s) / (s - 1) + 0.5 * shifted ** -s
    rising, power = s * 1.0, shifted ** (-s - 1)
    for j, bernoulli in enumerate(_BERNOULLI, 1):
        total = total + bernoulli / math.factorial(2 * j) * rising * power
        rising *= (s + 2 * j - 1) * (s + 2 * j)
        power = power / (shifted * shifted)
    return total


def zeta_values(s, q):
    """Hurwitz's zeta(s, q) = sum_k (q + k)^-s of float arrays (broadcast), in their dtype: inf for
    s = 1 and at q = 0, -1, ...; NaN for s < 1 and for q < 0 with s not an integer (as PyTorch).
    Enough terms are summed directly that the Euler-Maclaurin tail starts past both -q and s/2
    (where its corrections shrink)."""
    xp = Function.xp(q)
    dtype = np.result_type(s.dtype, q.dtype)
    s, q = xp.broadcast_arrays(s.astype(np.float64), q.astype(np.float64))
    finite = xp.isfinite(s) & xp.isfinite(q)
    lowest_q = float(xp.where(finite, q, 0).min()) if q.size else 0.0
    if lowest_q < -_RECURRENCE_LIMIT:
        raise InputError(f"zeta: q is computed for q >= -{_RECURRENCE_LIMIT}, got {lowest_q}")
    largest_s = float(xp.where(finite, s, 0).max()) if s.size else 0.0
    terms = 10 + math.ceil(-min(lowest_q, 0.0)) + math.ceil(min(max(largest_s, 0.0), 200.0) / 2)
    domain = finite & (s > 1) & ~((q <= 0) & (q == xp.floor(q)))
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        result = _hurwitz_zeta(xp, xp.where(domain, s, 2.0), xp.where(domain, q, 1.0), terms)
    pole = (s == 1) | ((q <= 0) & (q == xp.floor(q)) & (s > 1))
    undefined = (s < 1) | ((q < 0) & (s != xp.floor(s))) | xp.isnan(s) | xp.isnan(q)
    result = xp.where(pole, xp.inf, xp.where(undefined, xp.nan, result))
    return xp.where(domain | pole | undefined, result, xp.nan).astype(dtype, copy=False)


def zeta_of(s, q):
    """zeta(s, q) of arrays or, recorded, of Tensors."""
    if hasattr(s, "grad_fn") or hasattr(q, "grad_fn"):
        from ..tensor import _as_tensor

        like = q if hasattr(q, "grad_fn") else s
        return Zeta()(_as_tensor(s, like), _as_tensor(q, like))
    return zeta_values(s, q)


class Zeta(Function):
    """y = zeta(s, q) = sum_k (q + k)^-s.  dL/dq = -dL/dy * s zeta(s + 1, q); s has none here (nor
    in PyTorch, which has neither)."""

    float16_in_float32 = True
    promotes, float_output = (0, 1), True
    graph_saved = {"s": 0, "q": 1}

    def forward(self, s, q):
        self.s, self.q = s, q
        return zeta_values(s, q)

    def backward(self, gy):
        if self.needs_input_grad[0]:
            raise NotImplementedError("zeta: the derivative with respect to s (the first input) is not implemented; "
                                      "detach s")
        from .arithmetic import sum_to_shape

        return None, sum_to_shape(-gy * self.s * zeta_of(self.s + 1, self.q), self.q.shape)


def _digamma(xp, x):
    reflected = x < 0
    y = xp.where(reflected, 1 - x, x)
    correction = xp.zeros_like(y)
    for _ in range(int(_ASYMPTOTIC_FROM)):
        small = y < _ASYMPTOTIC_FROM
        with np.errstate(divide="ignore"):
            correction = correction - xp.where(small, 1 / xp.where(small, y, 1), 0)
        y = xp.where(small, y + 1, y)
    inverse_square = 1 / (y * y)
    series = xp.log(y) - 0.5 / y
    power = inverse_square
    for k, bernoulli in enumerate(_BERNOULLI, 1):
        series = series - bernoulli / (2 * k) * power
        power = power * inverse_square
    result = series + correction
    with np.errstate(divide="ignore", invalid="ignore"):
        # tan has period pi: x - round(x) in [-1/2, 1/2] is exact, where x - floor(x) would round
        # away the digits of a tiny negative x (psi(-1e-8) off by 1)
        result = xp.where(reflected, result - math.pi / xp.tan(math.pi * (x - xp.round(x))), result)
    poles = (x <= 0) & (x == xp.floor(x))
    # at 0 the sign of the zero says from which side: psi(+0) = -inf, psi(-0) = +inf (as PyTorch)
    return xp.where(poles, xp.where(x == 0, xp.where(xp.signbit(x), xp.inf, -xp.inf), xp.nan), result)


def _polygamma_positive(xp, n, x):
    return (-1) ** (n + 1) * math.factorial(n) * _hurwitz_zeta(xp, n + 1, x)


def polygamma_values(n, x):
    """psi_n(x) of a float array (n = 0: digamma), in its dtype."""
    xp = Function.xp(x)
    values = x.astype(np.float64)
    if n == 0:
        return _digamma(xp, values).astype(x.dtype, copy=False)
    if n == 1:
        reflected = values < 0.5
        y = xp.where(reflected, 1 - values, values)
        positive = _polygamma_positive(xp, 1, y)
        with np.errstate(divide="ignore"):
            result = xp.where(reflected, math.pi ** 2 / _abs_sin_pi(xp, values) ** 2 - positive, positive)
    else:
        lowest = float(values.min()) if values.size else 1.0
        if lowest < -_RECURRENCE_LIMIT:
            raise InputError(f"polygamma: n = {n} is computed for x >= -{_RECURRENCE_LIMIT}, got {lowest}")
        correction, y = xp.zeros_like(values), values
        for _ in range(max(0, math.ceil(1 - lowest))):
            below = y < 1
            with np.errstate(divide="ignore"):
                correction = correction - xp.where(below, (-1) ** n * math.factorial(n) / y ** (n + 1), 0)
            y = xp.where(below, y + 1, y)
        result = _polygamma_positive(xp, n, y) + correction
    poles = (values <= 0) & (values == xp.floor(values))
    # at a pole psi_n tends to (-1)^(n+1) n! / (x - pole)^(n+1): +inf for odd n, -inf for even
    return xp.where(poles, xp.inf if n % 2 else -xp.inf, result).astype(x.dtype, copy=False)


def polygamma_of(n, x):
    """psi_n of an array or, recorded, of a Tensor (a backward under create_graph)."""
    return Polygamma(n)(x) if hasattr(x, "grad_fn") else polygamma_values(n, x)


class Lgamma(Function):
    """y = log |Gamma(x)|.  f'(x) = digamma(x), so dL/dx = dL/dy * digamma(x)."""

    float16_in_float32 = True
    promotes, float_output = (0,), True
    graph_saved = {"x": 0}

    def forward(self, x):
        self.x = x
        return lgamma_values(x)

    def backward(self, gy):
        return (gy * polygamma_of(0, self.x),)


class Polygamma(Function):
    """y = psi_n(x), the n-th derivative of digamma (n = 0: digamma itself).
    f'(x) = psi_(n+1)(x), so dL/dx = dL/dy * psi_(n+1)(x)."""

    float16_in_float32 = True
    promotes, float_output = (0,), True
    graph_saved = {"x": 0}

    def __init__(self, n):
        if not isinstance(n, (int, np.integer)) or n < 0:
            raise InputError(f"polygamma: n must be a non-negative int, got {n!r}")
        self.n = int(n)

    def forward(self, x):
        self.x = x
        return polygamma_values(self.n, x)

    def backward(self, gy):
        return (gy * polygamma_of(self.n + 1, self.x),)
