"""The Bessel functions of the first and second kind, J0, J1, Y0, Y1 (``torch.special.bessel_j0``,
``bessel_j1``, ``bessel_y0``, ``bessel_y1``), and the spherical j0(x) = sin(x) / x.

As for I0 and I1 (bessel.py), Chebyshev series (chebyshev.py) of smooth functions, fitted once from
high-precision reference values (bessel_reference.py), with n = 0 or 1:

    |x| <= 8:  J_n(x) itself (an entire function, J0 even, J1 odd), and for Y_n the smooth part
               R_n(x) = Y_n(x) - (2/pi) ln(x) J_n(x) + n 2/(pi x), which takes away its log and pole;
               below |x| = 1/2 J1 is its Taylor series, which keeps its relative accuracy where
               J1 ~ x/2 (the Chebyshev series' absolute error would swamp J1(1e-8) in float32)
    |x| > 8:   J_n(x) = sqrt(2/(pi x)) (P_n cos chi - Q_n sin chi),
               Y_n(x) = sqrt(2/(pi x)) (P_n sin chi + Q_n cos chi),   chi = x - (2n+1) pi/4,
               with the slowly varying amplitudes P_n, Q_n fitted in u = 8/x on (0, 1]

cos chi and sin chi are taken from cos x and sin x (cos(x - pi/4) = (cos x + sin x)/sqrt 2, ...), so
no rounding of x - pi/4 enters. Y_n is NaN for x < 0 and -inf at 0.

Derivatives: J0' = -J1, J1' = J0 - J1/x (1/2 at 0), Y0' = -Y1, Y1' = Y0 - Y1/x,
j0'(x) = (cos x - j0(x)) / x (0 at 0).
"""
import functools
import math

from ..autograd import Function
from . import bessel_reference as reference
from . import chebyshev

NEAR_INTERVAL = (0.0, 8.0)  # x
FAR_INTERVAL = (0.0, 1.0)  # u = 8 / |x|
ASYMPTOTIC_FROM = 30.0


def _smooth_part(kind, n, x):
    """J_n(x), or Y_n's R_n(x), at the float x > 0."""
    j = reference.bessel("J", n, x)
    if kind == "J":
        return float(j)
    with reference.localcontext() as context:
        context.prec = reference.PRECISION
        big_x = reference.Decimal(x)
        return float(reference.bessel("Y", n, x) - 2 / reference.PI * big_x.ln() * j + n * 2 / (reference.PI * big_x))


def _amplitudes(n, u):
    """(P_n, Q_n) at x = 8/u."""
    if u == 0:
        return 1.0, 0.0
    x = 8 / u
    if x >= ASYMPTOTIC_FROM:
        terms = reference.asymptotic_terms(n, x)
        return (math.fsum(t * (-1) ** (k // 2) for k, t in enumerate(terms) if k % 2 == 0),
                math.fsum(t * (-1) ** (k // 2) for k, t in enumerate(terms) if k % 2 == 1))
    with reference.localcontext() as context:
        context.prec = reference.PRECISION
        big_x = reference.Decimal(x)
        cosine, sine = reference.cos_sin(big_x - (2 * n + 1) * reference.PI / 4)
        j, y = reference.bessel("J", n, x), reference.bessel("Y", n, x)
        amplitude = (2 / (reference.PI * big_x)).sqrt()
        return float((j * cosine + y * sine) / amplitude), float((y * cosine - j * sine) / amplitude)


@functools.cache
def _coefficients(name):
    """The series named "J0", "R1", "P0", "Q1", ...: fitted the first time they are needed."""
    kind, n = name[0], int(name[1])
    if kind in "JR":
        return chebyshev.interpolate(lambda x: _smooth_part("J" if kind == "J" else "Y", n, x), NEAR_INTERVAL, 48)
    return chebyshev.interpolate(lambda u: _amplitudes(n, u)[kind == "Q"], FAR_INTERVAL, 40)


def _series(name, t, dtype):
    return chebyshev.series(chebyshev.truncated(_coefficients(name), dtype), t)


def _far(xp, magnitude, n, second_kind):
    """The |x| > 8 form at max(|x|, 8), 0 at infinity."""
    infinite = xp.isinf(magnitude)
    x = xp.where(infinite, 8, xp.maximum(magnitude, 8))
    t = chebyshev.to_unit_interval(8 / x, FAR_INTERVAL)
    p, q = _series(f"P{n}", t, x.dtype), _series(f"Q{n}", t, x.dtype)
    cosine, sine = xp.cos(x), xp.sin(x)
    if n == 0:
        cos_chi, sin_chi = (cosine + sine) * math.sqrt(0.5), (sine - cosine) * math.sqrt(0.5)
    else:
        cos_chi, sin_chi = (sine - cosine) * math.sqrt(0.5), -(sine + cosine) * math.sqrt(0.5)
    wave = p * sin_chi + q * cos_chi if second_kind else p * cos_chi - q * sin_chi
    return xp.where(infinite, 0, xp.sqrt(2 / (math.pi * x)) * wave)


def first_kind(x, n):
    """J_n of a float array (NumPy or CuPy), in its dtype."""
    xp = Function.xp(x)
    magnitude = xp.abs(x)
    near = _series(f"J{n}", chebyshev.to_unit_interval(xp.minimum(magnitude, 8), NEAR_INTERVAL), x.dtype)
    if n == 1:
        near = xp.where(magnitude < 0.5, _j1_taylor(xp.minimum(magnitude, 0.5)), near)
    values = xp.where(magnitude <= 8, near, _far(xp, magnitude, n, False))
    if n == 1:
        values = xp.where(x < 0, -values, values)
    return values.astype(x.dtype, copy=False)


def _j1_taylor(x):
    """J1(x) = sum_k (-1)^k (x/2)^(2k+1) / (k! (k+1)!) for 0 <= x <= 1/2: seven terms reach float64's
    resolution there (the eighth is below 1e-19 relative)."""
    half, total = x * 0.5, 0
    square, term = half * half, half
    for k in range(7):
        total = total + term
        term = term * (-square / ((k + 1) * (k + 2)))
    return total


def second_kind(x, n):
    """Y_n of a float array: NaN for x < 0, -inf at 0."""
    xp = Function.xp(x)
    inside = xp.clip(x, 1e-300, 8)  # the log and the pole only where they are used
    near = (_series(f"R{n}", chebyshev.to_unit_interval(inside, NEAR_INTERVAL), x.dtype)
            + (2 / math.pi) * xp.log(inside) * first_kind(inside, n) - (2 / math.pi) * n / inside)
    values = xp.where(x <= 8, near, _far(xp, x, n, True))
    values = xp.where(x == 0, -xp.inf, xp.where(x < 0, xp.nan, values))
    return values.astype(x.dtype, copy=False)


def _over_x_slope(x, previous, current):
    """Z1'(x) = Z0 - Z1/x for Z = J or Y; J1'(0) = 1/2."""
    xp = Function.xp(x)
    safe = xp.where(x == 0, 1, x)
    return xp.where(x == 0, x.dtype.type(0.5), previous - current / safe)


class BesselJ0(Function):
    """y = J0(x).  dL/dx = -dL/dy * J1(x)."""

    float16_in_float32 = True
    promotes, float_output = (0,), True

    def forward(self, x):
        self.x = x
        return first_kind(x, 0)

    def backward(self, gy):
        return (-gy * first_kind(self.x, 1),)


class BesselJ1(Function):
    """y = J1(x).  dL/dx = dL/dy * (J0(x) - J1(x)/x), and dL/dy / 2 at 0."""

    float16_in_float32 = True
    promotes, float_output = (0,), True

    def forward(self, x):
        self.x, self.y = x, first_kind(x, 1)
        return self.y

    def backward(self, gy):
        return (gy * _over_x_slope(self.x, first_kind(self.x, 0), self.y),)


class BesselY0(Function):
    """y = Y0(x).  dL/dx = -dL/dy * Y1(x)."""

    float16_in_float32 = True
    promotes, float_output = (0,), True

    def forward(self, x):
        self.x = x
        return second_kind(x, 0)

    def backward(self, gy):
        return (-gy * second_kind(self.x, 1),)


class BesselY1(Function):
    """y = Y1(x).  dL/dx = dL/dy * (Y0(x) - Y1(x)/x)."""

    float16_in_float32 = True
    promotes, float_output = (0,), True

    def forward(self, x):
        self.x, self.y = x, second_kind(x, 1)
        return self.y

    def backward(self, gy):
        return (gy * (second_kind(self.x, 0) - self.y / self.x),)


class SphericalJ0(Function):
    """y = j0(x) = sin(x) / x (1 at 0, 0 at infinity).  dL/dx = dL/dy * (cos x - j0(x)) / x (0 at 0)."""

    float16_in_float32 = True
    promotes, float_output = (0,), True

    def forward(self, x):
        xp = self.xp(x)
        self.x = x
        safe = xp.where((x == 0) | xp.isinf(x), 1, x)
        self.y = xp.where(x == 0, 1, xp.where(xp.isinf(x), 0, xp.sin(safe) / safe)).astype(x.dtype, copy=False)
        return self.y

    def backward(self, gy):
        xp = self.xp(gy)
        edge = (self.x == 0) | xp.isinf(self.x)
        safe = xp.where(edge, 1, self.x)
        return (gy * xp.where(edge, 0, (xp.cos(safe) - self.y) / safe),)
