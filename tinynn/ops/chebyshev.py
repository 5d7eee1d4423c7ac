"""Chebyshev series: a smooth function on an interval replaced by sum_k c_k T_k(t), t the point
mapped onto [-1, 1]. The special functions NumPy lacks (erf.py, bessel.py) are evaluated this way,
one code path for NumPy and CuPy: their coefficients are fitted once, in float64, from reference
values computed in Python, and the series is summed with array arithmetic."""
import math

import numpy as np


def interpolate(function, interval, degree):
    """Chebyshev coefficients of ``function`` (a Python float function) over ``interval``, from its
    values at the n = degree + 1 Chebyshev points t_j = cos(pi (2j + 1) / 2n):
        c_k = (2 - [k = 0]) / n * sum_j f(t_j) T_k(t_j),   T_k(t_j) = cos(pi k (2j + 1) / 2n).
    Each sum is exact to rounding (math.fsum, the angle reduced modulo 2 pi in integers first), so
    the coefficients past the function's own decay are noise of ~1e-17 rather than ~1e-15."""
    n = degree + 1
    middle, half_width = (interval[0] + interval[1]) / 2, (interval[1] - interval[0]) / 2
    values = [function(middle + half_width * math.cos(math.pi * (2 * j + 1) / (2 * n))) for j in range(n)]
    coefficients = np.array([
        2 / n * math.fsum(value * math.cos(math.pi * (k * (2 * j + 1) % (4 * n)) / (2 * n))
                          for j, value in enumerate(values)) for k in range(n)])
    coefficients[0] /= 2
    return coefficients


def truncated(coefficients, dtype):
    """The coefficients in ``dtype``, without the trailing ones below its resolution."""
    significant = np.abs(coefficients) > np.finfo(dtype).eps * 1e-2
    return coefficients[:np.flatnonzero(significant)[-1] + 1].astype(dtype)


def series(coefficients, t):
    """sum_k c_k T_k(t) for t in [-1, 1], by Clenshaw's recurrence b_k = c_k + 2t b_(k+1) - b_(k+2)."""
    two_t = t + t
    following, after = 0, 0
    for coefficient in coefficients[:0:-1]:
        following, after = two_t * following - after + coefficient, following
    return t * following - after + coefficients[0]


def power_form(coefficients, dtype):
    """The series' coefficients in the powers of t (a_0 + a_1 t + ... in ``dtype``), converted in float64:
    for ``horner``, where a short series' power form loses nothing (erf's, in float32)."""
    return np.polynomial.chebyshev.cheb2poly(np.asarray(coefficients, dtype=np.float64)).astype(dtype)


def horner(powers, t):
    """sum_k a_k t^k by Horner's rule, r <- r t + a_k, in place: two passes over t per term where
    Clenshaw's recurrence takes three (a float32 erf's series in 0.40 ms instead of 0.86 on 262,144
    values here)."""
    if len(powers) == 1:
        return t * 0 + powers[0]
    result = t * powers[-1]
    result += powers[-2]
    for coefficient in powers[-3::-1]:
        result *= t
        result += coefficient
    return result


def derivative(coefficients, interval):
    """The coefficients of d/dx sum_k c_k T_k(t(x)) over ``interval`` (t its map onto [-1, 1]), by
    the recurrence d_(k-1) = d_(k+1) + 2k c_k (from T_k' = k U_(k-1)), d_0 halved, times dt/dx."""
    n = len(coefficients)
    result = np.zeros(max(n - 1, 1))
    following, after = 0.0, 0.0  # d_(k+1), d_(k+2)
    for k in range(n - 1, 0, -1):
        following, after = after + 2 * k * coefficients[k], following
        result[k - 1] = following
    result[0] /= 2
    return result * (2 / (interval[1] - interval[0]))


def to_unit_interval(values, interval):
    middle, half_width = (interval[0] + interval[1]) / 2, (interval[1] - interval[0]) / 2
    return (values - middle) * (1 / half_width)
