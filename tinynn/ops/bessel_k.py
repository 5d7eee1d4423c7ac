"""The modified Bessel functions of the second kind K0, K1 and their scaled forms
k0e(x) = e^x K0(x), k1e(x) = e^x K1(x) (``torch.special.modified_bessel_k0``, ``modified_bessel_k1``,
``scaled_modified_bessel_k0``, ``scaled_modified_bessel_k1``), for x > 0 (NaN below 0, inf at 0).

As for I0 and I1 (bessel.py), Chebyshev series (chebyshev.py) of smooth functions, fitted once from
high-precision reference values (bessel_reference.py), with n = 0 or 1:

    x <= 2:  the smooth part S_n(x) = K_n(x) - (-1)^(n+1) ln(x) I_n(x) - n/x (K's log and pole
             taken away; I_n from bessel.py)
    x > 2:   k_ne(x) sqrt(x) = e^x sqrt(x) K_n(x), which tends to sqrt(pi/2), fitted in u = 2/x

Derivatives: K0' = -K1, K1' = -K0 - K1/x, k0e' = k0e - k1e, k1e' = k1e - k0e - k1e/x.
"""
import functools
import math

from ..autograd import Function
from . import bessel, chebyshev
from . import bessel_reference as reference

NEAR_INTERVAL = (0.0, 2.0)  # x
FAR_INTERVAL = (0.0, 1.0)  # u = 2 / x
ASYMPTOTIC_FROM = 30.0


def _smooth_part(n, x):
    with reference.localcontext() as context:
        context.prec = reference.PRECISION
        big_x = reference.Decimal(x)
        return float(reference.bessel("K", n, x) - (-1) ** (n + 1) * big_x.ln() * reference.bessel("I", n, x) - n / big_x)


def _scaled_times_root(n, u):
    """e^x sqrt(x) K_n(x) at x = 2/u."""
    if u == 0:
        return math.sqrt(math.pi / 2)
    x = 2 / u
    if x >= ASYMPTOTIC_FROM:
        return math.sqrt(math.pi / 2) * math.fsum(reference.asymptotic_terms(n, x))
    with reference.localcontext() as context:
        context.prec = reference.PRECISION
        big_x = reference.Decimal(x)
        return float(big_x.exp() * big_x.sqrt() * reference.bessel("K", n, x))


@functools.cache
def _coefficients(name):
    """The series "S0", "S1" (near) and "F0", "F1" (far), fitted the first time they are needed."""
    n = int(name[1])
    if name[0] == "S":
        return chebyshev.interpolate(lambda x: _smooth_part(n, x), NEAR_INTERVAL, 30)
    return chebyshev.interpolate(lambda u: _scaled_times_root(n, u), FAR_INTERVAL, 40)


def _series(name, t, dtype):
    return chebyshev.series(chebyshev.truncated(_coefficients(name), dtype), t)


def values(x, n, scaled):
    """K_n (or k_ne with ``scaled``) of a float array (NumPy or CuPy), in its dtype."""
    xp = Function.xp(x)
    inside = xp.clip(x, 1e-300, 2)  # the log and the pole only where they are used
    near = (_series(f"S{n}", chebyshev.to_unit_interval(inside, NEAR_INTERVAL), x.dtype)
            + (-1) ** (n + 1) * xp.log(inside) * bessel.values(inside, n) + n / inside)
    if scaled:
        near = near * xp.exp(inside)
    outside = xp.maximum(x, 2)
    far = _series(f"F{n}", chebyshev.to_unit_interval(2 / outside, FAR_INTERVAL), x.dtype) / xp.sqrt(outside)
    if not scaled:
        far = far * xp.exp(-outside)
    result = xp.where(x <= 2, near, xp.where(xp.isinf(x), 0, far))
    result = xp.where(x == 0, xp.inf, xp.where(x < 0, xp.nan, result))
    return result.astype(x.dtype, copy=False)


class BesselK0(Function):
    """y = K0(x).  dL/dx = -dL/dy * K1(x)."""

    float16_in_float32 = True
    promotes, float_output = (0,), True

    def __init__(self, scaled=False):
        self.scaled = scaled

    def forward(self, x):
        self.x, self.y = x, values(x, 0, self.scaled)
        return self.y

    def backward(self, gy):
        k1 = values(self.x, 1, self.scaled)
        return (gy * (self.y - k1 if self.scaled else -k1),)


class BesselK1(Function):
    """y = K1(x).  dL/dx = -dL/dy * (K0(x) + K1(x)/x); scaled: dL/dy * (k1e (1 - 1/x) - k0e)."""

    float16_in_float32 = True
    promotes, float_output = (0,), True

    def __init__(self, scaled=False):
        self.scaled = scaled

    def forward(self, x):
        self.x, self.y = x, values(x, 1, self.scaled)
        return self.y

    def backward(self, gy):
        slope = -values(self.x, 0, self.scaled) - self.y / self.x
        return (gy * (slope + self.y if self.scaled else slope),)
