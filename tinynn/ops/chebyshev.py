"""Chebyshev series: a smooth function on an interval replaced by sum_k c_k T_k(t), t the point
mapped onto [-1, 1]. The special functions NumPy lacks (erf.py, bessel.py) are evaluated this way,
one code path for NumPy and CuPy: their coefficients are fitted once, in float64, from reference
values computed in Python, and the series is summed with array arithmetic."""
import numpy as np
from numpy.polynomial import chebyshev


def interpolate(function, interval, degree):
    """Chebyshev coefficients of ``function`` (a Python float function) over ``interval``."""
    middle, half_width = (interval[0] + interval[1]) / 2, (interval[1] - interval[0]) / 2
    return chebyshev.chebinterpolate(
        lambda points: np.array([function(middle + half_width * point) for point in points]), degree)


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


def to_unit_interval(values, interval):
    middle, half_width = (interval[0] + interval[1]) / 2, (interval[1] - interval[0]) / 2
    return (values - middle) * (1 / half_width)
