"""The Airy function Ai(x) (``torch.special.airy_ai``), the solution of y'' = x y that decays as
x -> inf, and its derivative Ai'(x), which is its gradient.

As for the Bessel functions (bessel_jy.py), Chebyshev series (chebyshev.py) of smooth functions,
fitted once, at first use, from reference values in 90-digit decimal arithmetic:

    -8 <= x <= 2:  Ai and Ai' themselves
    x > 2:         Ai(x) = e^-z / (2 sqrt(pi) x^(1/4)) E(u),   Ai'(x) = -x^(1/4) e^-z / (2 sqrt(pi)) F(u)
    x < -8, y = -x: Ai(x) = (sin t M(u) - cos t N(u)) / (sqrt(pi) y^(1/4)),
                    Ai'(x) = -y^(1/4) (cos t P(u) + sin t Q(u)) / sqrt(pi)

with z = 2/3 |x|^(3/2), t = z + pi/4, and E, F, M, N, P, Q slowly varying functions of
u = (2/|x|)^(3/2) or (8/|x|)^(3/2) on (0, 1] (Abramowitz and Stegun 10.4.59-10.4.64; they tend to
1 or 0 far out). The references: Ai = c1 f - c2 g and Bi = sqrt(3) (c1 f + c2 g) from the
Maclaurin series f = sum_k 1*4*...*(3k-2) x^(3k) / (3k)!, g = sum_k 2*5*...*(3k-1) x^(3k+1) / (3k+1)!
(Bi gives the second equation for the two amplitudes on the left), and from |x| = 16 on the
asymptotic series in 1/z, whose smallest term there is below 1e-35. Past x = 104, Ai underflows.
"""
import functools
import math
from decimal import Decimal, localcontext

from ..autograd import Function
from . import bessel_reference as reference
from . import chebyshev

NEAR_INTERVAL = (-8.0, 2.0)
UNIT = (0.0, 1.0)
ASYMPTOTIC_FROM = 16.0
# Ai(0) and -Ai'(0): 1 / (3^(2/3) Gamma(2/3)) and 1 / (3^(1/3) Gamma(1/3))
C1 = Decimal("0.35502805388781723926006318600418317639797917419917724058332651030081")
C2 = Decimal("0.25881940379280679840518356018920396347909113835493458221000181385610")


def _maclaurin(x):
    """(Ai, Ai', Bi, Bi') at the Decimal x."""
    cube = x * x * x
    f, g, f_slope, g_slope = Decimal(0), Decimal(0), Decimal(0), Decimal(0)
    f_term, g_term, k = Decimal(1), x, 0  # f_k = a_k x^(3k), g_k = b_k x^(3k+1)
    f_coefficient, g_coefficient = Decimal(1), Decimal(1)  # a_k, b_k
    while True:
        f += f_term
        g += g_term
        if k:
            f_slope += 3 * k * f_coefficient * x ** (3 * k - 1)
        g_slope += (3 * k + 1) * g_coefficient * x ** (3 * k)
        if k > 3 and abs(f_term) + abs(g_term) < Decimal(10) ** -75 * (1 + abs(f) + abs(g)):
            break
        f_coefficient /= (3 * k + 2) * (3 * k + 3)
        g_coefficient /= (3 * k + 3) * (3 * k + 4)
        f_term, g_term = f_term * cube / ((3 * k + 2) * (3 * k + 3)), g_term * cube / ((3 * k + 3) * (3 * k + 4))
        k += 1
    root3 = Decimal(3).sqrt()
    return C1 * f - C2 * g, C1 * f_slope - C2 * g_slope, root3 * (C1 * f + C2 * g), root3 * (C1 * f_slope + C2 * g_slope)


def _asymptotic_coefficients(z):
    """(c_k / z^k, d_k / z^k) for k = 0, 1, ... while they shrink below 1e-35:
    c_k = Gamma(3k + 1/2) / (54^k k! Gamma(k + 1/2)), d_k = -(6k + 1) / (6k - 1) c_k."""
    c, k, terms = 1.0, 0, [(1.0, 1.0)]
    while abs(c) > 1e-35:
        k += 1
        c *= (6 * k - 5) * (6 * k - 3) * (6 * k - 1) / (216 * k * (2 * k - 1) * z)
        terms.append((c, -(6 * k + 1) / (6 * k - 1) * c))
    return terms


def _alternating(terms, parity):
    return math.fsum(term * (-1) ** (k // 2) for k, term in enumerate(terms) if k % 2 == parity)


def _right(u):
    """(E, F) at x = 2 / u^(2/3)."""
    if u == 0:
        return 1.0, 1.0
    x = 2 / u ** (2 / 3)
    z = 2 / 3 * x ** 1.5
    if x >= ASYMPTOTIC_FROM:
        terms = _asymptotic_coefficients(z)
        return (math.fsum(c * (-1) ** k for k, (c, _) in enumerate(terms)),
                math.fsum(d * (-1) ** k for k, (_, d) in enumerate(terms)))
    with localcontext() as context:
        context.prec = reference.PRECISION
        big_x = Decimal(x)
        ai, ai_slope, _, _ = _maclaurin(big_x)
        scale = 2 * reference.PI.sqrt() * (2 * big_x * big_x.sqrt() / 3).exp()
        root4 = big_x.sqrt().sqrt()
        return float(scale * root4 * ai), float(-scale / root4 * ai_slope)


def _left(u):
    """(M, N, P, Q) at x = -8 / u^(2/3)."""
    if u == 0:
        return 1.0, 0.0, 1.0, 0.0
    y = 8 / u ** (2 / 3)
    if y >= ASYMPTOTIC_FROM:
        terms = _asymptotic_coefficients(2 / 3 * y ** 1.5)
        c, d = [c for c, _ in terms], [d for _, d in terms]
        return _alternating(c, 0), _alternating(c, 1), _alternating(d, 0), _alternating(d, 1)
    with localcontext() as context:
        context.prec = reference.PRECISION
        big_y = Decimal(y)
        ai, ai_slope, bi, bi_slope = _maclaurin(-big_y)
        cosine, sine = reference.cos_sin(2 * big_y * big_y.sqrt() / 3 + reference.PI / 4)
        root4, root_pi = big_y.sqrt().sqrt(), reference.PI.sqrt()
        amplitude, slope_amplitude = 1 / (root_pi * root4), root4 / root_pi
        return (float((ai * sine + bi * cosine) / amplitude), float((bi * sine - ai * cosine) / amplitude),
                float((bi_slope * sine - ai_slope * cosine) / slope_amplitude),
                float(-(ai_slope * sine + bi_slope * cosine) / slope_amplitude))


def _near(x, derivative):
    with localcontext() as context:
        context.prec = reference.PRECISION
        return float(_maclaurin(Decimal(x))[1 if derivative else 0])


@functools.cache
def _coefficients(name):
    """The series "Ai", "Ai'" (near), "E", "F" (right), "M", "N", "P", "Q" (left)."""
    if name in ("Ai", "Ai'"):
        return chebyshev.interpolate(lambda x: _near(x, name == "Ai'"), NEAR_INTERVAL, 72)
    if name in "EF":
        return chebyshev.interpolate(lambda u: _right(u)["EF".index(name)], UNIT, 40)
    return chebyshev.interpolate(lambda u: _left(u)["MNPQ".index(name)], UNIT, 40)


def _series(name, t, dtype):
    return chebyshev.series(chebyshev.truncated(_coefficients(name), dtype), t)


def values(x, derivative=False):
    """Ai (or Ai' with ``derivative``) of a float array (NumPy or CuPy), in its dtype; 0 at +-inf."""
    xp = Function.xp(x)
    infinite = xp.isinf(x)
    near = _series("Ai'" if derivative else "Ai", chebyshev.to_unit_interval(xp.clip(x, -8, 2), NEAR_INTERVAL), x.dtype)

    right_x = xp.where(infinite, 2, xp.maximum(x, 2))
    t = chebyshev.to_unit_interval((2 / right_x) ** 1.5, UNIT)
    decay = xp.exp(-2 / 3 * right_x ** 1.5) / (2 * math.sqrt(math.pi))
    root4 = right_x ** 0.25
    right = -root4 * decay * _series("F", t, x.dtype) if derivative else decay / root4 * _series("E", t, x.dtype)

    y = xp.where(infinite, 8, xp.maximum(-x, 8))
    t = chebyshev.to_unit_interval((8 / y) ** 1.5, UNIT)
    phase = 2 / 3 * y ** 1.5 + math.pi / 4
    cosine, sine = xp.cos(phase), xp.sin(phase)
    root4 = y ** 0.25
    if derivative:
        left = -root4 / math.sqrt(math.pi) * (cosine * _series("P", t, x.dtype) + sine * _series("Q", t, x.dtype))
    else:
        left = (sine * _series("M", t, x.dtype) - cosine * _series("N", t, x.dtype)) / (math.sqrt(math.pi) * root4)

    result = xp.where(x > 2, right, xp.where(x < -8, left, near))
    return xp.where(infinite, 0, result).astype(x.dtype, copy=False)


class AiryAi(Function):
    """y = Ai(x).  dL/dx = dL/dy * Ai'(x)."""

    float16_in_float32 = True
    promotes, float_output = (0,), True

    def forward(self, x):
        self.x = x
        return values(x)

    def backward(self, gy):
        return (gy * values(self.x, derivative=True),)
