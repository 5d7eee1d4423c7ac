"""``tinynn.special``: PyTorch's ``torch.special`` functions, each differentiable (where it has a
derivative) and computed on NumPy or CuPy: the gamma family (with the regularized incomplete gamma
functions and Hurwitz's zeta), the error functions, the normal distribution's CDF and its inverse,
the Bessel functions J0, J1, Y0, Y1, the modified ones I0, I1, K0, K1 and their scaled forms,
the Airy function Ai, the classical orthogonal polynomials,
logistic functions, entropies and the log-sum-exp family."""
import math

from . import tensor_functions
from .ops import airy, bessel, bessel_jy, bessel_k, elementwise, gamma, orthogonal_polynomials
from .ops import erf as erf_ops
from .nn import functional as F
from .tensor import Tensor, expect_tensor, requiring_tensor, where


def erf(input):
    return input.erf()


def erfc(input):
    return input.erfc()


def erfinv(input):
    return input.erfinv()


def i0(input):
    """The modified Bessel function of the first kind, order 0 (ops/bessel.py)."""
    return bessel.I0()(input)


def i0e(input):
    """e^-|x| I0(x), finite where I0 overflows."""
    return bessel.I0e()(input)


def i1(input):
    """The modified Bessel function of the first kind, order 1."""
    return bessel.I1()(input)


def i1e(input):
    """e^-|x| I1(x)."""
    return bessel.I1e()(input)


modified_bessel_i0, modified_bessel_i1 = i0, i1


def bessel_j0(input):
    """The Bessel function of the first kind, order 0 (ops/bessel_jy.py)."""
    return bessel_jy.BesselJ0()(input)


def bessel_j1(input):
    """The Bessel function of the first kind, order 1."""
    return bessel_jy.BesselJ1()(input)


def bessel_y0(input):
    """The Bessel function of the second kind, order 0 (NaN for x < 0)."""
    return bessel_jy.BesselY0()(input)


def bessel_y1(input):
    """The Bessel function of the second kind, order 1 (NaN for x < 0)."""
    return bessel_jy.BesselY1()(input)


def spherical_bessel_j0(input):
    """The spherical Bessel function of the first kind, order 0: sin(x) / x."""
    return bessel_jy.SphericalJ0()(input)


def modified_bessel_k0(input):
    """The modified Bessel function of the second kind, order 0 (ops/bessel_k.py; NaN for x < 0)."""
    return bessel_k.BesselK0()(input)


def modified_bessel_k1(input):
    """The modified Bessel function of the second kind, order 1 (NaN for x < 0)."""
    return bessel_k.BesselK1()(input)


def scaled_modified_bessel_k0(input):
    """e^x K0(x), finite where K0 underflows."""
    return bessel_k.BesselK0(scaled=True)(input)


def scaled_modified_bessel_k1(input):
    """e^x K1(x)."""
    return bessel_k.BesselK1(scaled=True)(input)


def airy_ai(input):
    """The Airy function Ai(x) (ops/airy.py); its gradient is Ai'(x)."""
    return airy.AiryAi()(input)


def _tensors(name, first, second):
    """Both arguments as Tensors, a number taking the other's device and dtype; one must be a Tensor."""
    from .tensor import _as_tensor

    if not isinstance(first, Tensor) and not isinstance(second, Tensor):
        raise TypeError(f"{name}: expected a tinynn.Tensor among the arguments, got {type(first).__name__} and "
                        f"{type(second).__name__}")
    like = first if isinstance(first, Tensor) else second
    return _as_tensor(first, like), _as_tensor(second, like)


def gammainc(input, other):
    """The regularized lower incomplete gamma function P(a, x), a = input, x = other
    (ops/incomplete_gamma.py); differentiable in x."""
    return input.igamma(other)


def gammaincc(input, other):
    """The regularized upper incomplete gamma function Q(a, x) = 1 - P(a, x)."""
    return input.igammac(other)


def zeta(input, other):
    """Hurwitz's zeta function zeta(s, q) = sum_k (q + k)^-s, s = input, q = other (either may be a
    number); differentiable in q."""
    return gamma.Zeta()(*_tensors("zeta", input, other))


def _polynomial(family):
    def polynomial(input, n):
        return orthogonal_polynomials.OrthogonalPolynomial(family)(*_tensors(family, input, n))
    polynomial.__name__ = polynomial.__qualname__ = family
    polynomial.__doc__ = (f"{family.replace('_', ' ')} of degree n (a tensor or a number, truncated to integers) at "
                          "input, differentiable in input (ops/orthogonal_polynomials.py).")
    return polynomial


globals().update({family: _polynomial(family) for family in orthogonal_polynomials.FAMILIES})


def gammaln(input):
    """log |Gamma(x)|."""
    return input.lgamma()


def digamma(input):
    return input.digamma()


psi = digamma


def polygamma(n, input):
    expect_tensor(input, "special.polygamma", "input")
    return input.polygamma(n)


def multigammaln(input, p):
    return input.mvlgamma(p)


def expit(input):
    """The logistic sigmoid 1 / (1 + e^-x)."""
    return input.sigmoid()


def logit(input, eps=None):
    return tensor_functions.logit(input, eps)


def ndtr(input):
    """The standard normal CDF, (1 + erf(x / sqrt 2)) / 2, written as erfc(-x / sqrt 2) / 2 so the
    far left tail keeps its relative precision."""
    return (input * (-1 / math.sqrt(2))).erfc() * 0.5


def ndtri(input):
    """The inverse of the standard normal CDF (ops/erf.py), accurate in the left tail."""
    return erf_ops.Ndtri()(input)


def erfcx(input):
    """The scaled complementary error function e^(x^2) erfc(x)."""
    return erf_ops.Erfcx()(input)


def log_ndtr(input):
    """log of the standard normal CDF, accurate in both tails: for x < 0,
    log(erfcx(-x / sqrt 2) / 2) - x^2 / 2 (no underflow); for x >= 0, log1p(-ndtr(-x))."""
    left, right = input.clip(None, 0.0), input.clip(0.0, None)
    left_value = (erfcx(left * (-1 / math.sqrt(2))) * 0.5).log() - left * left * 0.5
    right_value = (-ndtr(-right)).log1p()
    return where(input._array < 0, left_value, right_value)


def xlogy(input, other):
    return tensor_functions.xlogy(input, other)


def xlog1py(input, other):
    return tensor_functions.xlog1py(input, other)


def entr(input):
    """-x log x elementwise (0 at 0, -inf for x < 0; ops/elementwise.Entropy)."""
    return elementwise.Entropy()(input)


def sinc(input):
    return tensor_functions.sinc(input)


def exp2(input):
    return (input * math.log(2)).exp()


def expm1(input):
    return input.expm1()


def log1p(input):
    return input.log1p()


def logsumexp(input, dim, keepdim=False):
    return input.logsumexp(dim, keepdim)


def softmax(input, dim, dtype=None):
    return F.softmax(input, dim, dtype=dtype)


def log_softmax(input, dim, dtype=None):
    return F.log_softmax(input, dim, dtype=dtype)


def round(input, decimals=0):
    return input.round(decimals)


__all__ = ["i0", "i0e", "i1", "i1e", "modified_bessel_i0", "modified_bessel_i1", "modified_bessel_k0",
           "modified_bessel_k1", "scaled_modified_bessel_k0", "scaled_modified_bessel_k1", "bessel_j0", "bessel_j1",
           "bessel_y0", "bessel_y1", "spherical_bessel_j0", "airy_ai", "gammainc", "gammaincc", "zeta",
           *orthogonal_polynomials.FAMILIES, "gammaln", "digamma", "psi", "polygamma", "multigammaln", "erf", "erfc", "erfcx", "erfinv", "expit", "logit", "ndtr", "ndtri", "log_ndtr", "xlogy", "xlog1py", "entr", "sinc",
           "exp2", "expm1", "log1p", "logsumexp", "softmax", "log_softmax", "round"]

# The one-input functions take a Tensor only, as PyTorch's (a list or a number is its TypeError, not an
# AttributeError from inside).
for _name in ("erf", "erfc", "erfinv", "erfcx", "i0", "i0e", "i1", "i1e", "modified_bessel_i0", "modified_bessel_i1",
              "modified_bessel_k0", "modified_bessel_k1", "scaled_modified_bessel_k0", "scaled_modified_bessel_k1",
              "bessel_j0", "bessel_j1", "bessel_y0", "bessel_y1", "spherical_bessel_j0", "airy_ai", "gammaln", "digamma",
              "psi", "multigammaln", "expit", "logit", "ndtr", "ndtri", "log_ndtr", "entr", "sinc", "exp2", "expm1",
              "log1p", "logsumexp", "softmax", "log_softmax", "round", "gammainc", "gammaincc"):
    globals()[_name] = requiring_tensor(globals()[_name], f"special.{_name}")
