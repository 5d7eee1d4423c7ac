"""The error function, erf(x) = 2/sqrt(pi) * integral from 0 to x of e^(-s^2) ds, from Chebyshev series.

NumPy has no erf, so tinynn evaluates it from two smooth functions, each replaced by its Chebyshev
interpolant (one code path for NumPy and CuPy):

    |x| <= 2:      erf(x) = x * P(x^2),                         P(t) = erf(sqrt t) / sqrt t,  t in [0, 4]
    2 < |x| < 6:   erf(x) = sign(x) * (1 - e^(-x^2) * Q(1/|x|)),  Q(u) = erfc(1/u) * e^(1/u^2), u in [1/6, 1/2]
    |x| >= 6:      erf(x) = sign(x)      (erfc(6) ~ 2e-17 is below float64's resolution at 1)

P and Q are slowly varying (Q(u) ~ u / sqrt(pi)), so short series fit them, and the tail never
forms the tiny erfc(x) as a difference of nearly equal numbers. The coefficients are computed once,
at import, from Python's own ``math.erf``/``math.erfc`` at the Chebyshev points: degree 18 each,
a largest error of about 2e-15 over the real line in float64 (tests/ops/test_erf.py measures it
against ``math.erf``). float32 input uses only the coefficients above float32's resolution.
"""
import math

import numpy as np
from numpy.polynomial import chebyshev

from ..autograd import Function

INNER_INTERVAL = (0.0, 4.0)  # t = x^2
TAIL_INTERVAL = (1 / 6, 1 / 2)  # u = 1 / |x|
SATURATION = 6.0
DEGREE = 18


def _interpolate(function, interval):
    """Chebyshev coefficients of ``function`` (a Python float function) over ``interval``."""
    middle, half_width = (interval[0] + interval[1]) / 2, (interval[1] - interval[0]) / 2
    return chebyshev.chebinterpolate(
        lambda points: np.array([function(middle + half_width * point) for point in points]), DEGREE)


def _inner(t):
    root = math.sqrt(t)
    return math.erf(root) / root if root else 2 / math.sqrt(math.pi)


def _tail(u):
    return math.erfc(1 / u) * math.exp(1 / u ** 2)


_COEFFICIENTS = {"inner": _interpolate(_inner, INNER_INTERVAL), "tail": _interpolate(_tail, TAIL_INTERVAL)}


def _coefficients(name, dtype):
    """The series' coefficients in ``dtype``, without the trailing ones below its resolution."""
    coefficients = _COEFFICIENTS[name]
    significant = np.abs(coefficients) > np.finfo(dtype).eps * 1e-2
    return coefficients[:np.flatnonzero(significant)[-1] + 1].astype(dtype)


def _chebyshev_series(coefficients, t):
    """sum_k c_k T_k(t) for t in [-1, 1], by Clenshaw's recurrence b_k = c_k + 2t b_(k+1) - b_(k+2)."""
    two_t = t + t
    following, after = 0, 0
    for coefficient in coefficients[:0:-1]:
        following, after = two_t * following - after + coefficient, following
    return t * following - after + coefficients[0]


def _to_unit_interval(values, interval):
    middle, half_width = (interval[0] + interval[1]) / 2, (interval[1] - interval[0]) / 2
    return (values - middle) * (1 / half_width)


def erf_values(x):
    """erf of a float array (NumPy or CuPy), in its dtype."""
    xp = Function.xp(x)
    magnitude = xp.abs(x)
    inner = x * _chebyshev_series(_coefficients("inner", x.dtype),
                                  _to_unit_interval(xp.minimum(magnitude * magnitude, 4), INNER_INTERVAL))
    clipped = xp.clip(magnitude, 2, SATURATION)
    tail_series = _chebyshev_series(_coefficients("tail", x.dtype), _to_unit_interval(1 / clipped, TAIL_INTERVAL))
    tail = xp.copysign(1 - xp.exp(-clipped * clipped) * tail_series, x)
    return xp.where(magnitude <= 2, inner, tail).astype(x.dtype, copy=False)


class Erf(Function):
    """y = erf(x) (see the module docstring for how it is evaluated).  f'(x) = 2/sqrt(pi) e^(-x^2)."""

    graph_saved = {"x": 0}

    def forward(self, x):
        self.x = x
        return erf_values(x)

    def backward(self, gy):
        x = self.x
        return (gy * (self.xp(x).exp(-x * x) * x.dtype.type(2 / math.sqrt(math.pi))),)
