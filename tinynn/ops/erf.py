"""The error function, erf(x) = 2/sqrt(pi) * integral from 0 to x of e^(-s^2) ds, from Chebyshev series;
its complement erfc(x) = 1 - erf(x), the scaled complement erfcx, the inverse erfinv, and the
inverse of the normal CDF, ndtri.

NumPy has no erf, so tinynn evaluates it from two smooth functions, each replaced by its Chebyshev
interpolant (one code path for NumPy and CuPy):

    |x| <= 2:      erf(x) = x * P(x^2),                         P(t) = erf(sqrt t) / sqrt t,  t in [0, 4]
    2 < |x| < 6:   erf(x) = sign(x) * (1 - e^(-x^2) * Q(1/|x|)),  Q(u) = erfc(1/u) * e^(1/u^2), u in [1/6, 1/2]
    |x| >= 6:      erf(x) = sign(x)      (erfc(6) ~ 2e-17 is below float64's resolution at 1)

P and Q are slowly varying (Q(u) ~ u / sqrt(pi)), so short series fit them, and the tail never
forms the tiny erfc(x) as a difference of nearly equal numbers. The coefficients are computed once,
at import, from Python's own ``math.erf``/``math.erfc`` at the Chebyshev points: degree 18 each,
a largest error of about 2e-15 over the real line in float64 (tests/ops/test_erf.py measures it
against ``math.erf``). float32 input uses only the coefficients above float32's resolution, summed in
their power form by Horner's rule (see ``_series``).

erfc(x) for x > 2 is e^(-x^2) Q(1/x) itself, never 1 - erf(x), so it keeps its relative precision
down to the smallest float64 (erfc(26) ~ 6e-296; 1 - erf(x) below 2 is within 4e-13); past x = 6 a third series ("far") takes Q / u on
u in [0, 1/6], its values from erfc's continued fraction (math.erfc underflows there). erfinv
starts from Giles' polynomial approximation ("Approximating the erfinv function", 2010, ~1e-7)
and takes five Newton steps on erf (for |x| > 1/2 on log erfc, where 1 - |x| is exact), in float64.
"""
import math

import numpy as np

from ..autograd import Function
from . import chebyshev

INNER_INTERVAL = (0.0, 4.0)  # t = x^2
TAIL_INTERVAL = (1 / 6, 1 / 2)  # u = 1 / |x|
SATURATION = 6.0
DEGREE = 18


def _interpolate(function, interval):
    return chebyshev.interpolate(function, interval, DEGREE)


def _inner(t):
    root = math.sqrt(t)
    return math.erf(root) / root if root else 2 / math.sqrt(math.pi)


def _tail(u):
    return math.erfc(1 / u) * math.exp(1 / u ** 2)


FAR_INTERVAL = (0.0, 1 / 6)


def _far_tail_over_u(u, terms=60):
    """Q(u) / u = x erfc(x) e^(x^2) (x = 1/u) from the continued fraction
    erfc(x) e^(x^2) sqrt(pi) = 1 / (x + (1/2) / (x + 1 / (x + (3/2) / (x + ...)))); 1/sqrt(pi) at
    u = 0. Fitting Q / u rather than Q keeps Q = u (Q / u) relatively precise as u -> 0, where Q ~ u."""
    if u == 0:
        return 1 / math.sqrt(math.pi)
    x, fraction = 1 / u, 0.0
    for k in range(terms, 0, -1):
        fraction = (k / 2) / (x + fraction)
    return x / (x + fraction) / math.sqrt(math.pi)


_COEFFICIENTS = {"inner": _interpolate(_inner, INNER_INTERVAL), "tail": _interpolate(_tail, TAIL_INTERVAL),
                 "far": _interpolate(_far_tail_over_u, FAR_INTERVAL)}
# dQ/du, for erfcx's gradient
_COEFFICIENTS.update({"tail slope": chebyshev.derivative(_COEFFICIENTS["tail"], TAIL_INTERVAL),
                      "far slope": chebyshev.derivative(_COEFFICIENTS["far"], FAR_INTERVAL)})


def _coefficients(name, dtype):
    """The series' coefficients in ``dtype``, without the trailing ones below its resolution."""
    return chebyshev.truncated(_COEFFICIENTS[name], dtype)


_POWERS = {}  # (name, dtype) -> the truncated series' power form, made at first use


def _series(name, t):
    """The series ``name`` at t (in [-1, 1]). In float32, its power form by Horner's rule: two passes per
    term instead of three (GELU's erf spends most of its time here), as accurate as Clenshaw's (2.4 ulps
    against 2.7 over erf's inner interval, tests/ops/test_erf.py); in float64, Clenshaw's recurrence,
    whose 19 terms' power form would lose digits to cancellation."""
    if t.dtype != np.float32:
        return chebyshev.series(_coefficients(name, t.dtype), t)
    key = (name, t.dtype)
    if key not in _POWERS:
        _POWERS[key] = chebyshev.power_form(_coefficients(name, t.dtype), t.dtype)
    return chebyshev.horner(_POWERS[key], t)


def erf_values(x):
    """erf of a float array (NumPy or CuPy), in its dtype. On the CPU, where fewer than a quarter
    of the values lie beyond 2 (GELU's inputs: 0.5% of a standard normal's halves), the tail's
    series runs on those values alone (2.3x faster there, the same bits); a GPU, and inputs with
    more of a tail, evaluate both series everywhere and pick."""
    xp = Function.xp(x)
    magnitude = xp.abs(x)
    inner = x * _series("inner", chebyshev.to_unit_interval(xp.minimum(magnitude * magnitude, 4), INNER_INTERVAL))
    if xp is np:
        beyond = magnitude > 2  # (NaN is not: the inner series gives it back, as the tail's would)
        if x.ndim and 4 * np.count_nonzero(beyond) < x.size:
            result = inner.astype(x.dtype, copy=False)
            # by the positions' indices, found once: each boolean-mask gather or scatter scans the whole
            # mask again (three of them took 0.8 ms of GELU's 2 on (256, 1024); these 0.2)
            at = np.flatnonzero(beyond)  # (C-order positions, as take and put count them, whatever the layout)
            values = np.take(x, at)
            np.put(result, at, _erf_tail(xp, values, np.abs(values)))
            return result
    return xp.where(magnitude <= 2, inner, _erf_tail(xp, x, magnitude)).astype(x.dtype, copy=False)


def _erf_tail(xp, x, magnitude):
    """erf(x) = sign(x) (1 - e^(-x^2) Q(1/|x|)) for |x| >= 2 (|x| clipped to [2, 6])."""
    clipped = xp.clip(magnitude, 2, SATURATION)
    tail_series = _series("tail", chebyshev.to_unit_interval(1 / clipped, TAIL_INTERVAL))
    return xp.copysign(1 - xp.exp(-clipped * clipped) * tail_series, x)


def _scaled_tail(xp, magnitude, slope=False):
    """Q(1/m) = e^(m^2) erfc(m) for m >= 2: the "tail" series up to 6, u times the "far" one (of
    Q / u) beyond; with ``slope``, Q'(u) at u = 1/m instead (the derivatives of the same series)."""
    suffix = " slope" if slope else ""
    near = _series("tail" + suffix, chebyshev.to_unit_interval(1 / xp.minimum(magnitude, SATURATION), TAIL_INTERVAL))
    u = 1 / xp.maximum(magnitude, SATURATION)
    t = chebyshev.to_unit_interval(u, FAR_INTERVAL)
    over_u = _series("far", t)
    # Q = u R, Q' = R + u R'
    far = over_u + u * _series("far slope", t) if slope else u * over_u
    return xp.where(magnitude <= SATURATION, near, far)


def erfc_values(x):
    """erfc of a float array (NumPy or CuPy), in its dtype, with relative precision in the tail."""
    xp = Function.xp(x)
    magnitude = xp.abs(x)
    # 1 - erf(x) loses log2(1 / erfc(x)) bits near 2 (8 at 2): in float64 even for float32 x
    middle = (1 - erf_values(xp.clip(x, -2, 2).astype(np.float64))).astype(x.dtype, copy=False)
    clipped = xp.maximum(magnitude, 2)
    tail = xp.exp(-clipped * clipped) * _scaled_tail(xp, clipped)
    return xp.where(magnitude <= 2, middle, xp.where(x > 0, tail, 2 - tail)).astype(x.dtype, copy=False)


def erfcx_values(x):
    """erfcx(x) = e^(x^2) erfc(x), the scaled complement, without overflow or underflow for large
    x: the tail series Q(1/x) themselves above 2, e^(x^2) erfc(x) below (inf past x ~ -26)."""
    xp = Function.xp(x)
    low = xp.minimum(x, 2)
    with np.errstate(over="ignore"):
        scaled = xp.exp(low * low) * erfc_values(low)
    # erfcx(+inf) = 0, where the series of Q(1/x) leaves its rounding (~1e-17) at u = 0
    tail = xp.where(x == xp.inf, 0, _scaled_tail(xp, xp.maximum(x, 2)))
    return xp.where(x > 2, tail, scaled).astype(x.dtype, copy=False)


_GILES_CENTRAL = (2.81022636e-08, 3.43273939e-07, -3.5233877e-06, -4.39150654e-06, 0.00021858087, -0.00125372503,
                  -0.00417768164, 0.246640727, 1.50140941)
_GILES_TAIL = (-0.000200214257, 0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773, -0.0076224613,
               0.00943887047, 1.00167406, 2.83297682)


def _horner(coefficients, t):
    result = coefficients[0]
    for coefficient in coefficients[1:]:
        result = result * t + coefficient
    return result


def erfinv_values(x):
    """erfinv of a float array: y with erf(y) = x, for -1 <= x <= 1 (+-inf at +-1, NaN beyond)."""
    xp = Function.xp(x)
    a = xp.abs(x).astype(np.float64)
    y = _erfinv_of_magnitude(xp, a, 1 - a)
    return xp.copysign(y, x).astype(x.dtype, copy=False)


def _erfinv_of_magnitude(xp, a, complement):
    """erfinv(a) for a in [0, 1] given with its complement 1 - a (float64 arrays): where the caller
    has the complement exactly (ndtri's 2p for a small p) the far tail keeps its precision. Giles'
    polynomial starts it where it was fitted (1 - a > ~1e-7); further out the start is the
    asymptotic y^2 = L - log(sqrt(pi L)), L = -log(1 - a), of erfc(y) ~ e^(-y^2) / (y sqrt(pi))."""
    inside = complement > 0
    a_in, complement_in = xp.where(inside, a, 0.5), xp.where(inside, complement, 0.5)
    w = -xp.log(complement_in * (1 + a_in))
    y = a_in * xp.where(w < 5, _horner(_GILES_CENTRAL, w - 2.5), _horner(_GILES_TAIL, xp.sqrt(w) - 3))
    far_log = -xp.log(complement_in)
    y = xp.where(w > 16, xp.sqrt(far_log - 0.5 * xp.log(math.pi * xp.maximum(far_log, 1))), y)
    tail = a_in > 0.5
    for _ in range(5):
        # in the tail, Newton on log erfc(y) = log(1 - a), which is nearly quadratic in y, with
        # erfc(y) = erfcx(y) e^(-y^2) so that nothing underflows (erfc(27) is below float64's range)
        scaled = erfcx_values(xp.where(tail, y, 0))
        tail_step = (xp.log(scaled) - y * y - xp.log(complement_in)) * scaled * (math.sqrt(math.pi) / 2)
        central_step = (erf_values(y) - a_in) / (2 / math.sqrt(math.pi) * xp.exp(-y * y))
        y = xp.where(tail, y + tail_step, y - central_step)
    return xp.where(inside, y, xp.where(complement == 0, xp.inf, xp.nan))


def ndtri_values(p):
    """The inverse of the standard normal CDF of a float array: sqrt 2 erfinv(2p - 1), evaluated as
    -sqrt 2 erfcinv(2p) below 1/2 and sqrt 2 erfcinv(2 (1 - p)) above (1 - p exact there), so that
    the left tail keeps its relative precision (ndtri(1e-8) = -5.612 in float32, where 2p - 1
    rounds to -1); -inf at 0, inf at 1, NaN outside [0, 1]."""
    xp = Function.xp(p)
    p64 = p.astype(np.float64)
    lower = p64 < 0.5
    complement = xp.where(lower, 2 * p64, 2 * (1 - p64))  # 1 - |2p - 1|
    y = _erfinv_of_magnitude(xp, 1 - complement, complement)
    y = xp.where((p64 < 0) | (p64 > 1), xp.nan, y)
    return (math.sqrt(2) * xp.where(lower, -y, y)).astype(p.dtype, copy=False)


class Ndtri(Function):
    """y = ndtri(p), the x with Phi(x) = p.  f'(p) = 1 / Phi'(y) = sqrt(2 pi) e^(y^2 / 2)."""

    float16_in_float32 = True
    promotes, float_output = (0,), True
    graph_saved = {"y": "output"}

    def forward(self, p):
        self.y = ndtri_values(p)
        return self.y

    def backward(self, gy):
        y = self.y
        return (gy * (self.xp(y).exp(y * y * 0.5) * y.dtype.type(math.sqrt(2 * math.pi))),)


class Erf(Function):
    """y = erf(x) (see the module docstring for how it is evaluated).  f'(x) = 2/sqrt(pi) e^(-x^2)."""

    float16_in_float32 = True
    promotes, float_output = (0,), True
    graph_saved = {"x": 0}

    def forward(self, x):
        self.x = x
        return erf_values(x)

    def backward(self, gy):
        x = self.x
        return (gy * (self.xp(x).exp(-x * x) * x.dtype.type(2 / math.sqrt(math.pi))),)


class Erfc(Function):
    """y = erfc(x) = 1 - erf(x) (see the module docstring).  f'(x) = -2/sqrt(pi) e^(-x^2)."""

    float16_in_float32 = True
    promotes, float_output = (0,), True
    graph_saved = {"x": 0}

    def forward(self, x):
        self.x = x
        return erfc_values(x)

    def backward(self, gy):
        x = self.x
        return (gy * (self.xp(x).exp(-x * x) * x.dtype.type(-2 / math.sqrt(math.pi))),)


class Erfinv(Function):
    """y = erfinv(x), the y with erf(y) = x.  f'(x) = 1 / erf'(y) = sqrt(pi)/2 e^(y^2)."""

    float16_in_float32 = True
    promotes, float_output = (0,), True
    graph_saved = {"y": "output"}

    def forward(self, x):
        self.y = erfinv_values(x)
        return self.y

    def backward(self, gy):
        y = self.y
        return (gy * (self.xp(y).exp(y * y) * y.dtype.type(math.sqrt(math.pi) / 2)),)


class Erfcx(Function):
    """y = erfcx(x) = e^(x^2) erfc(x).  f'(x) = 2x y - 2/sqrt(pi), which cancels for large x
    (2x y -> 2/sqrt(pi)); above 2, where y = Q(1/x), it is -Q'(1/x) / x^2 from the derivative of
    Q's series instead (0 at +inf), which keeps its relative precision."""

    float16_in_float32 = True
    promotes, float_output = (0,), True
    graph_saved = {"x": 0, "y": "output"}

    def forward(self, x):
        self.x = x
        self.y = erfcx_values(x)
        return self.y

    def backward(self, gy):
        x, y = self.x, self.y
        if hasattr(x, "grad_fn"):  # recorded (create_graph): the formula as it stands
            return (gy * (2 * x * y - 2 / math.sqrt(math.pi)),)
        xp = self.xp(gy)
        far = xp.maximum(x, 2)
        with np.errstate(invalid="ignore"):
            tail = xp.where(x == np.inf, 0, -_scaled_tail(xp, far, slope=True) / (far * far))
            slope = xp.where(x > 2, tail, 2 * x * y - 2 / math.sqrt(math.pi))
        return (gy * slope.astype(gy.dtype, copy=False),)
