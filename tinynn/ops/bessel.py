"""The modified Bessel functions of the first kind I0 and I1, and their exponentially scaled forms
i0e(x) = e^(-|x|) I0(x), i1e(x) = e^(-|x|) I1(x) (``torch.special.i0``, ``i0e``, ``i1``, ``i1e``).

NumPy has none but i0, so tinynn evaluates them from Chebyshev series (ops/chebyshev.py) of smooth
functions, as Cephes does, with its own coefficients fitted at first use:

    |x| <= 8:   i0e(x) = A0(x),          i1e(x) = x A1(x)     A0 = e^-x I0(x), A1 = e^-x I1(x) / x
    |x| > 8:    i0e(x) = B0(8/|x|) / sqrt|x|,  i1e(x) = sign(x) B1(8/|x|) / sqrt|x|
                                               Bn(u) = e^-x sqrt(x) In(x), x = 8/u, Bn(0) = 1/sqrt(2 pi)

The reference values come from the power series In(x) = sum_k (x/2)^(2k+n) / (k! (k+n)!) (positive
terms, summed in log space so nothing overflows) up to x = 30, and past it from the asymptotic
series e^-x sqrt(2 pi x) In(x) ~ sum_k (-1)^k prod_(j<=k) (4n^2 - (2j-1)^2) / (k! (8x)^k), whose
terms fall below 1e-17 long before they would grow again. I0 and I1 are e^|x| times the scaled forms.

Derivatives: I0' = I1, I1' = I0 - I1/x (1/2 at 0), i0e' = i1e - sign(x) i0e,
i1e' = i0e - i1e (sign(x) + 1/x) (1/2 at 0).
"""
import functools
import math

from ..autograd import Function
from . import chebyshev

NEAR_INTERVAL = (0.0, 8.0)  # x
FAR_INTERVAL = (0.0, 1.0)  # u = 8 / |x|
ASYMPTOTIC_FROM = 30.0


def _scaled_reference(x, order):
    """e^-x I_order(x) for x >= 0, in float64."""
    if x == 0:
        return 1.0 if order == 0 else 0.0
    if x >= ASYMPTOTIC_FROM:
        return _scaled_asymptotic(x, order) / math.sqrt(x)
    log_half, total, k = math.log(x / 2), 0.0, 0
    while True:
        term = math.exp((2 * k + order) * log_half - math.lgamma(k + 1) - math.lgamma(k + order + 1) - x)
        total += term
        if k > x and term < total * 1e-18:
            return total
        k += 1


def _scaled_asymptotic(x, order):
    """e^-x sqrt(x) I_order(x) from the asymptotic series (x >= 30)."""
    mu, term, total, k = 4 * order * order, 1.0, 1.0, 1
    while abs(term) > 1e-18:
        term *= -(mu - (2 * k - 1) ** 2) / (k * 8 * x)
        total += term
        k += 1
    return total / math.sqrt(2 * math.pi)


def _far(u, order):
    if u == 0:
        return 1 / math.sqrt(2 * math.pi)
    x = 8 / u
    return _scaled_reference(x, order) * math.sqrt(x)


@functools.cache
def _coefficients(name):
    """The four series, fitted the first time a Bessel function is used (a few milliseconds)."""
    fits = {"near0": (lambda x: _scaled_reference(x, 0), NEAR_INTERVAL),
            "near1": (lambda x: _scaled_reference(x, 1) / x if x else 0.5, NEAR_INTERVAL),
            "far0": (lambda u: _far(u, 0), FAR_INTERVAL), "far1": (lambda u: _far(u, 1), FAR_INTERVAL)}
    function, interval = fits[name]
    return chebyshev.interpolate(function, interval, 30)


def _series(name, t, dtype):
    return chebyshev.series(chebyshev.truncated(_coefficients(name), dtype), t)


def scaled_values(x, order):
    """i0e (order 0) or i1e (order 1) of a float array (NumPy or CuPy), in its dtype."""
    xp = Function.xp(x)
    magnitude = xp.abs(x)
    near = _series(f"near{order}", chebyshev.to_unit_interval(xp.minimum(magnitude, 8), NEAR_INTERVAL), x.dtype)
    if order == 1:
        near = near * magnitude
    far_u = 8 / xp.maximum(magnitude, 8)
    far = _series(f"far{order}", chebyshev.to_unit_interval(far_u, FAR_INTERVAL), x.dtype) / xp.sqrt(
        xp.maximum(magnitude, 8))
    values = xp.where(magnitude <= 8, near, far)
    if order == 1:
        values = xp.where(x < 0, -values, values)
    return values.astype(x.dtype, copy=False)


def values(x, order):
    """I0 or I1 of a float array: e^|x| times the scaled form (inf where it overflows, as PyTorch's)."""
    return (Function.xp(x).exp(Function.xp(x).abs(x)) * scaled_values(x, order)).astype(x.dtype, copy=False)


def _i1_over_x_slope(x, i0, i1):
    """I1'(x) = I0 - I1/x (and the scaled i1e' = i0e - i1e (sign + 1/x) uses the same I1/x), 1/2 at 0."""
    xp = Function.xp(x)
    safe = xp.where(x == 0, 1, x)
    return xp.where(x == 0, x.dtype.type(0.5), i0 - i1 / safe)


class I0(Function):
    """y = I0(x).  dL/dx = dL/dy * I1(x)."""

    float16_in_float32 = True
    promotes, float_output = (0,), True

    def forward(self, x):
        self.x = x
        return values(x, 0)

    def backward(self, gy):
        return (gy * values(self.x, 1),)

    def backward_graph(self, gy, output):
        """The same, recorded (for gradients of gradients): I1 is an op of its own."""
        return (gy * I1()(self.inputs[0]),)


class I0e(Function):
    """y = e^-|x| I0(x).  dL/dx = dL/dy * (i1e(x) - sign(x) i0e(x))."""

    float16_in_float32 = True
    promotes, float_output = (0,), True

    def forward(self, x):
        self.x, self.y = x, scaled_values(x, 0)
        return self.y

    def backward(self, gy):
        return (gy * (scaled_values(self.x, 1) - self.xp(gy).sign(self.x) * self.y),)

    def backward_graph(self, gy, output):
        x = self.inputs[0]
        return (gy * (I1e()(x) - x.sign() * output),)


class I1(Function):
    """y = I1(x).  dL/dx = dL/dy * (I0(x) - I1(x)/x), and dL/dy / 2 at 0."""

    float16_in_float32 = True
    promotes, float_output = (0,), True

    def forward(self, x):
        self.x, self.y = x, values(x, 1)
        return self.y

    def backward(self, gy):
        return (gy * _i1_over_x_slope(self.x, values(self.x, 0), self.y),)

    def backward_graph(self, gy, output):
        x = self.inputs[0]
        return (gy * _i1_over_x_slope(x, I0()(x), output),)


class I1e(Function):
    """y = e^-|x| I1(x).  dL/dx = dL/dy * (i0e(x) - i1e(x) (sign(x) + 1/x)), and dL/dy / 2 at 0."""

    float16_in_float32 = True
    promotes, float_output = (0,), True

    def forward(self, x):
        self.x, self.y = x, scaled_values(x, 1)
        return self.y

    def backward(self, gy):
        slope = _i1_over_x_slope(self.x, scaled_values(self.x, 0), self.y) - self.xp(gy).sign(self.x) * self.y
        return (gy * slope,)

    def backward_graph(self, gy, output):
        x = self.inputs[0]
        return (gy * (_i1_over_x_slope(x, I0e()(x), output) - x.sign() * output),)

