"""Reference values of the Bessel functions of integer order, J_n, Y_n, I_n and K_n, from their
power series in 90-digit decimal arithmetic (Python's ``decimal``), so that the cancellation in
the alternating series (J, Y at large x) and in K (I_n-sized terms for an e^-x result) costs no
accuracy. They are slow (milliseconds each) and used only to fit the Chebyshev series that
evaluate the functions on arrays (bessel_jy.py, bessel_k.py), once, at first use. With
h = x^2 / 4, H_m = 1 + 1/2 + ... + 1/m and gamma Euler's constant (Abramowitz and Stegun 9.1.10,
9.1.11, 9.6.10, 9.6.11):

    J_n(x) = (x/2)^n sum_k (-h)^k / (k! (k+n)!)                 I_n: the same with +h
    Y_n(x) = (2/pi) ln(x/2) J_n(x) - (1/pi) sum_(k<n) (n-k-1)!/k! (x/2)^(2k-n)
             - (1/pi) (x/2)^n sum_k (H_k + H_(k+n) - 2 gamma) (-h)^k / (k! (k+n)!)
    K_n(x) = (-1)^(n+1) ln(x/2) I_n(x) + 1/2 sum_(k<n) (-1)^k (n-k-1)!/k! (x/2)^(2k-n)
             + (-1)^n/2 (x/2)^n sum_k (H_k + H_(k+n) - 2 gamma) h^k / (k! (k+n)!)

Far out (x >= 30) the fits take Hankel's asymptotic series instead (``asymptotic_terms``): its
smallest term there is below 1e-25.
"""
import math
from decimal import Decimal, localcontext

PRECISION = 90
PI = Decimal("3.1415926535897932384626433832795028841971693993751058209749445923078164062862089986280348253421170679")
EULER_GAMMA = Decimal("0.5772156649015328606065120900824024310421593359399235988057672348848677267776646709369470632917467495")
_NEGLIGIBLE = Decimal(10) ** -70


def _series(x, n, sign, weights=None):
    """(x/2)^n sum_k w_k (sign h)^k / (k! (k+n)!) with w_k = weights(k) (1 by default)."""
    h = sign * x * x / 4
    term = (x / 2) ** n / math.factorial(n)
    total, k = Decimal(0), 0
    while True:
        total += term * (weights(k) if weights else 1)
        if abs(term) < _NEGLIGIBLE and k > abs(x):
            return total
        k += 1
        term = term * h / (k * (k + n))


def _harmonic_weights(n):
    harmonic = [Decimal(0)]
    def weight(k):
        while len(harmonic) <= k + n:
            harmonic.append(harmonic[-1] + Decimal(1) / len(harmonic))
        return harmonic[k] + harmonic[k + n] - 2 * EULER_GAMMA
    return weight


def _negative_powers(x, n, alternating):
    return sum(((-1) ** (k if alternating else 0) * Decimal(math.factorial(n - k - 1)) / math.factorial(k)
                * (x / 2) ** (2 * k - n) for k in range(n)), Decimal(0))


def bessel(kind, n, x):
    """J_n, Y_n, I_n or K_n (kind "J", "Y", "I", "K") at the float x > 0, as a Decimal."""
    with localcontext() as context:
        context.prec = PRECISION
        x = Decimal(x)
        if kind == "J":
            return +_series(x, n, -1)
        if kind == "I":
            return +_series(x, n, 1)
        log_half = (x / 2).ln()
        if kind == "Y":
            return +(2 / PI * log_half * _series(x, n, -1) - _negative_powers(x, n, False) / PI
                     - _series(x, n, -1, _harmonic_weights(n)) / PI)
        return +((-1) ** (n + 1) * log_half * _series(x, n, 1) + _negative_powers(x, n, True) / 2
                 + (-1) ** n * _series(x, n, 1, _harmonic_weights(n)) / 2)


def cos_sin(x):
    """(cos x, sin x) of a Decimal, reduced modulo 2 pi first, by their Taylor series."""
    with localcontext() as context:
        context.prec = PRECISION
        x = x - 2 * PI * (x / (2 * PI)).to_integral_value()
        cosine, sine, term, k = Decimal(0), Decimal(0), Decimal(1), 0
        while abs(term) > _NEGLIGIBLE:
            if k % 2 == 0:
                cosine += term * (-1) ** (k // 2)
            else:
                sine += term * (-1) ** (k // 2)
            k += 1
            term = term * x / k
        return +cosine, +sine


def asymptotic_terms(n, x):
    """Hankel's a_k(n) / x^k for k = 0, 1, ... while they shrink below 1e-25:
    a_k(n) = (4n^2 - 1)(4n^2 - 9)...(4n^2 - (2k-1)^2) / (k! 8^k)."""
    mu, term, k, terms = 4 * n * n, 1.0, 0, [1.0]
    while abs(term) > 1e-25:
        k += 1
        term *= (mu - (2 * k - 1) ** 2) / (k * 8 * x)
        terms.append(term)
    return terms
