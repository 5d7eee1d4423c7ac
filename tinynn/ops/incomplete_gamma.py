"""The regularized incomplete gamma functions (``torch.special.gammainc``/``gammaincc``,
``torch.igamma``/``igammac``), for a > 0 and x >= 0:

    P(a, x) = gamma(a, x) / Gamma(a) = 1/Gamma(a) int_0^x t^(a-1) e^-t dt,     Q(a, x) = 1 - P(a, x)

Each is computed where it is not a difference of nearly equal numbers (Numerical Recipes 6.2):
for x <= max(a, 1) P from its series, otherwise Q from its continued fraction, and the other as
1 minus it (but Q for a < 0.1 and x <= 1, where P is nearly 1, from the series of gamma(a, x)
with lgamma(1 + a) from its Taylor series; see ``_upper_for_small_a``):

    P(a, x) = f(a, x) / a * sum_n x^n / ((a+1)(a+2)...(a+n))
    Q(a, x) = f(a, x) / (x+1-a - 1(1-a) / (x+3-a - 2(2-a) / (x+5-a - ...)))   (modified Lentz)

with f(a, x) = x^a e^-x / Gamma(a). For a >= 10, f is taken as
sqrt(a / 2 pi) exp(-a (d - log1p(d)) - s(a)), d = (x - a)/a and s(a) = lgamma(a) - Stirling's
terms, so that no huge a log x - x - lgamma(a) cancels (Cephes' igam_fac does the same with
Lanczos' sum). Both expansions run on the whole array, each step on the elements not yet
converged; near x = a they need about 9 sqrt(a) steps.

Edges as PyTorch's: P(0, x > 0) = 1, P(a, 0) = 0, P(a, inf) = 1, P(inf, x) = 0 for finite x; NaN
for a < 0, x < 0 or a = x = 0. Only x has a derivative (none for a, as in PyTorch):
    dP/dx = -dQ/dx = x^(a-1) e^-x / Gamma(a) = f(a, x) / x.
"""
import math

import numpy as np

from ..errors import InputError
from ..autograd import Function
from .gamma import lgamma1p, lgamma_values

_EPSILON = np.finfo(np.float64).eps
_STIRLING_FROM = 10.0
_TINY = 1e-300
_MOST_STEPS = 100_000
_SMALL_A = 0.1


def _stirling_correction(a):
    """lgamma(a) - ((a - 1/2) log a - a + log(2 pi)/2) for a >= 10, from its asymptotic series."""
    inverse = 1 / a
    square = inverse * inverse
    return inverse * (1 / 12 - square * (1 / 360 - square * (1 / 1260 - square * (1 / 1680 - square / 1188))))


def power_exp_over_gamma(xp, a, x):
    """f(a, x) = x^a e^-x / Gamma(a) for a > 0, x >= 0 (float64 arrays)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        plain = xp.exp(xp.where(x > 0, a * xp.log(xp.where(x > 0, x, 1)), -xp.inf) - x - lgamma_values(a))
        large_a = xp.maximum(a, _STIRLING_FROM)
        d = (x - large_a) / large_a
        stirling = xp.sqrt(large_a / (2 * math.pi)) * xp.exp(-large_a * (d - xp.log1p(d)) - _stirling_correction(large_a))
    return xp.where(a >= _STIRLING_FROM, stirling, plain)


def _iterate(xp, active, state, step):
    """Run ``step(state) -> (state, converged)`` on the elements of the boolean mask ``active``,
    dropping each element as it converges; return the final states, in place of all elements."""
    index = xp.nonzero(active.ravel())[0]
    results = [component.ravel().copy() for component in state]
    working = [component[index] for component in results]
    for _ in range(_MOST_STEPS):
        if not index.size:
            break
        working, converged = step(working)
        done = index[converged]
        for result, component in zip(results, working):
            result[done] = component[converged]
        index = index[~converged]
        working = [component[~converged] for component in working]
    else:
        raise InputError(f"incomplete gamma: did not converge in {_MOST_STEPS} steps; a (the first input) is "
                         f"computed up to about 1e8 (its steps grow as 9 sqrt(a))")
    return [result.reshape(active.shape) for result in results]


def _series_sum(xp, a, x, active):
    """sum_n x^n / ((a+1)...(a+n)) where ``active``."""
    def step(state):
        a, x, n, term, total = state
        n = n + 1
        term = term * x / (a + n)
        total = total + term
        return [a, x, n, term, total], xp.abs(term) <= _EPSILON * xp.abs(total)

    ones = xp.ones_like(x)
    return _iterate(xp, active, [a, x, xp.zeros_like(x), ones, ones], step)[4]


def _continued_fraction(xp, a, x, active):
    """1 / (x+1-a - 1(1-a) / (x+3-a - ...)) where ``active``, by the modified Lentz method."""
    def step(state):
        a, x, n, b, c, d, h = state
        n = n + 1
        an = -n * (n - a)
        b = b + 2
        d = an * d + b
        d = xp.where(xp.abs(d) < _TINY, _TINY, d)
        c = b + an / c
        c = xp.where(xp.abs(c) < _TINY, _TINY, c)
        d = 1 / d
        delta = d * c
        h = h * delta
        return [a, x, n, b, c, d, h], xp.abs(delta - 1) <= _EPSILON

    b = x + 1 - a
    b_safe = xp.where(xp.abs(b) < _TINY, _TINY, b)
    start = [a, x, xp.zeros_like(x), b, xp.full_like(x, 1 / _TINY), 1 / b_safe, 1 / b_safe]
    return _iterate(xp, active, start, step)[6]


def _upper_for_small_a(xp, a, x):
    """Q(a, x) for a < 0.1, 0 < x <= 1 without 1 - P, from gamma(a, x) = sum_n (-1)^n x^(a+n) / (n! (a+n)):
        Q = -expm1(a log x - lgamma(1 + a)) - a x^a / Gamma(1 + a) sum_(n>=1) (-x)^n / (n! (a + n))."""
    exponent = a * xp.log(x) - lgamma1p(xp, a)
    total, term = xp.zeros_like(x), xp.ones_like(x)
    for n in range(1, 25):  # x <= 1: the terms fall as 1/n!
        term = -term * x / n
        total = total + term / (a + n)
    return -xp.expm1(exponent) - a * xp.exp(exponent) * total


def regularized_values(a, x, upper):
    """P(a, x) (or Q(a, x) with ``upper``) of float arrays (NumPy or CuPy), broadcast, in their dtype."""
    xp = Function.xp(x)
    dtype = np.result_type(a.dtype, x.dtype)
    a, x = xp.broadcast_arrays(a.astype(np.float64), x.astype(np.float64))
    inside = (a > 0) & (x > 0) & xp.isfinite(a) & xp.isfinite(x)
    a_safe, x_safe = xp.where(inside, a, 1.0), xp.where(inside, x, 1.0)
    by_series = inside & ((x_safe <= a_safe) | (x_safe <= 1))
    factor = power_exp_over_gamma(xp, a_safe, x_safe)
    lower = factor / a_safe * _series_sum(xp, a_safe, x_safe, by_series)
    upper_by_fraction = factor * _continued_fraction(xp, a_safe, x_safe, inside & ~by_series)
    p = xp.where(by_series, lower, 1 - upper_by_fraction)
    q = xp.where(by_series, 1 - lower, upper_by_fraction)
    if upper:  # 1 - P cancels for small a, where P is nearly 1 even for x < 1
        small_a = by_series & (a_safe < _SMALL_A)
        q = xp.where(small_a, _upper_for_small_a(xp, xp.where(small_a, a_safe, 0.05), x_safe), q)
    result = q if upper else p
    # the edges: P = 1 (Q = 0) as x -> inf or a -> 0; P = 0 (Q = 1) at x = 0 or as a -> inf
    full = ((a == 0) & (x > 0)) | ((x == xp.inf) & (a >= 0) & (a < xp.inf))
    empty = ((x == 0) & (a > 0)) | ((a == xp.inf) & (x >= 0) & (x < xp.inf))
    result = xp.where(full, 0.0 if upper else 1.0, xp.where(empty, 1.0 if upper else 0.0, result))
    undefined = (a < 0) | (x < 0) | ((a == 0) & (x == 0)) | xp.isnan(a) | xp.isnan(x) | ((a == xp.inf) & (x == xp.inf))
    return xp.where(undefined, xp.nan, result).astype(dtype, copy=False)


def density_values(a, x):
    """dP/dx = x^(a-1) e^-x / Gamma(a) (inf at x = 0 for a < 1, 1 for a = 1)."""
    xp = Function.xp(x)
    a, x = xp.broadcast_arrays(a.astype(np.float64), x.astype(np.float64))
    positive = xp.where(x > 0, x, 1.0)
    density = power_exp_over_gamma(xp, xp.where(a > 0, a, 1.0), positive) / positive
    at_zero = xp.where(a < 1, xp.inf, xp.where(a == 1, 1.0, 0.0))
    return xp.where(x == 0, at_zero, xp.where(xp.isinf(x), 0.0, density))


class RegularizedGamma(Function):
    """y = P(a, x) (``upper``: Q(a, x)).  dL/dx = +-dL/dy * x^(a-1) e^-x / Gamma(a); a has none."""

    float16_in_float32 = True
    promotes, float_output = (0, 1), True

    def __init__(self, upper):
        self.upper = upper

    def forward(self, a, x):
        self.a, self.x = a, x
        return regularized_values(a, x, self.upper)

    def backward(self, gy):
        if self.needs_input_grad[0]:
            raise NotImplementedError(f"{'gammaincc' if self.upper else 'gammainc'}: the derivative with respect to "
                                      "a (the first input) is not implemented (nor is it in PyTorch); detach a")
        from .arithmetic import sum_to_shape

        density = density_values(self.a, self.x).astype(gy.dtype, copy=False)
        return None, sum_to_shape(-gy * density if self.upper else gy * density, self.x.shape)
