"""Distributions of positive quantities with closed-form quantiles: the half-Cauchy, Pareto,
generalized Pareto and Weibull distributions. Each draws by its inverse CDF (or a transform of an exponential draw), so
``rsample`` is differentiable in the parameters."""
import math

from ..tensor import where
from . import constraints
from .distribution import Distribution, broadcast_all
from .exponential import Exponential
from .heavy_tailed import EULER_GAMMA, Cauchy
from .transformed import TransformedDistribution
from .transforms import AbsTransform, AffineTransform, ExpTransform, PowerTransform


class HalfCauchy(TransformedDistribution):
    """|X| for X ~ Cauchy(0, scale):  p(x) = 2 / (pi scale (1 + (x / scale)^2)) for x >= 0.
    cdf = (2 / pi) atan(x / scale); rsample: x = scale tan(pi u / 2), the inverse CDF of a uniform draw.
    As PyTorch's, a TransformedDistribution (``base_dist``, ``transforms``), with these closed forms."""

    arg_constraints = {"scale": constraints.positive}
    support = constraints.nonnegative
    has_rsample = True
    sample, _like = Distribution.sample, Distribution._like  # (its own draws, from its parameters)

    def __init__(self, scale, validate_args=None):
        (self.scale,) = broadcast_all(scale)
        self.base_dist, self.transforms = Cauchy(self.scale * 0, self.scale, validate_args=False), [AbsTransform()]
        Distribution.__init__(self, self.scale.shape, (), validate_args)  # (the parameters checked, as its own)

    def rsample(self, sample_shape=()):
        return self.icdf(self._noise("uniform", self._extended_shape(sample_shape)))

    def log_prob(self, value):
        value = self._validate_sample(value)
        return math.log(2 / math.pi) - self.scale.log() - ((value / self.scale) ** 2).log1p()

    def cdf(self, value):
        value = self._validate_sample(value)
        return (value / self.scale).atan() * (2 / math.pi)

    def icdf(self, value):
        return (value * (math.pi / 2)).tan() * self.scale

    def entropy(self):
        return math.log(2 * math.pi) + self.scale.log()

    @property
    def mean(self):
        return self.scale * 0 + float("inf")

    @property
    def mode(self):
        return self.scale * 0

    @property
    def variance(self):
        return self.scale * 0 + float("inf")


class Pareto(TransformedDistribution):
    """p(x) = alpha scale^alpha / x^(alpha + 1) for x >= scale (a power law).
    cdf = 1 - (scale / x)^alpha; rsample: x = scale e^(e / alpha), e a standard exponential draw.
    Mean alpha scale / (alpha - 1) for alpha > 1 (else inf); variance
    scale^2 alpha / ((alpha - 1)^2 (alpha - 2)) for alpha > 2 (else inf). As PyTorch's, a
    TransformedDistribution: Exponential(alpha) through exp and scale * (``base_dist``, ``transforms``)."""

    arg_constraints = {"alpha": constraints.positive, "scale": constraints.positive}
    has_rsample = True
    sample, _like = Distribution.sample, Distribution._like  # (its own draws, from its parameters)

    def __init__(self, scale, alpha, validate_args=None):
        self.scale, self.alpha = broadcast_all(scale, alpha)
        self.base_dist = Exponential(self.alpha, validate_args=False)
        self.transforms = [ExpTransform(), AffineTransform(0, self.scale)]
        Distribution.__init__(self, self.scale.shape, (), validate_args)  # (the parameters checked, as its own)

    @constraints.dependent_property(is_discrete=False, event_dim=0)
    def support(self):
        return constraints.greater_than_eq(self.scale)

    def rsample(self, sample_shape=()):
        return self.scale * (self._noise("exponential", self._extended_shape(sample_shape)) / self.alpha).exp()

    def log_prob(self, value):
        value = self._validate_sample(value)
        return self.alpha.log() + self.alpha * self.scale.log() - (self.alpha + 1) * value.log()

    def cdf(self, value):
        value = self._validate_sample(value)
        return 1 - (self.scale / value) ** self.alpha

    def icdf(self, value):
        return self.scale * (-value).log1p().mul(-1 / self.alpha).exp()

    def entropy(self):
        return (self.scale / self.alpha).log() + 1 / self.alpha + 1

    @property
    def mean(self):
        finite = self.alpha * self.scale / (self.alpha - 1).clip(1e-30, None)
        return where(self.alpha._array > 1, finite, float("inf"))

    @property
    def mode(self):
        return self.scale

    @property
    def variance(self):
        finite = self.scale ** 2 * self.alpha / ((self.alpha - 1) ** 2 * (self.alpha - 2).clip(1e-30, None))
        return where(self.alpha._array > 2, finite, float("inf"))


class Weibull(TransformedDistribution):
    """p(x) = (k / scale) (x / scale)^(k - 1) e^(-(x / scale)^k) for x >= 0, k = concentration.
    cdf = 1 - e^(-(x / scale)^k); rsample: x = scale e^(1/k), e a standard exponential draw.
    Mean scale Gamma(1 + 1/k); variance scale^2 (Gamma(1 + 2/k) - Gamma(1 + 1/k)^2);
    entropy EulerGamma (1 - 1/k) + log(scale / k) + 1."""

    arg_constraints = {"scale": constraints.positive, "concentration": constraints.positive}
    support = constraints.positive
    has_rsample = True
    sample, _like = Distribution.sample, Distribution._like  # (its own draws, from its parameters)

    def __init__(self, scale, concentration, validate_args=None):
        self.scale, self.concentration = broadcast_all(scale, concentration)
        self.concentration_reciprocal = 1 / self.concentration
        # as PyTorch's, a TransformedDistribution: Exponential(1) through x^(1/k) and scale *
        self.base_dist = Exponential(self.scale * 0 + 1, validate_args=False)
        self.transforms = [PowerTransform(self.concentration_reciprocal), AffineTransform(0, self.scale)]
        Distribution.__init__(self, self.scale.shape, (), validate_args)  # (the parameters checked, as its own)

    def rsample(self, sample_shape=()):
        return self.scale * self._noise("exponential", self._extended_shape(sample_shape)) ** (1 / self.concentration)

    def log_prob(self, value):
        value = self._validate_sample(value)
        k, ratio = self.concentration, value / self.scale
        return k.log() - self.scale.log() + (k - 1) * ratio.log() - ratio ** k

    def cdf(self, value):
        value = self._validate_sample(value)
        return 1 - (-(value / self.scale) ** self.concentration).exp()

    def icdf(self, value):
        return self.scale * (-(-value).log1p()) ** (1 / self.concentration)

    def entropy(self):
        return EULER_GAMMA * (1 - 1 / self.concentration) + (self.scale / self.concentration).log() + 1

    @property
    def mean(self):
        return self.scale * (1 + 1 / self.concentration).lgamma().exp()

    @property
    def mode(self):
        k = self.concentration
        return self.scale * ((k - 1) / k) ** (1 / k)

    @property
    def variance(self):
        k = self.concentration
        return self.scale ** 2 * ((1 + 2 / k).lgamma().exp() - (1 + 1 / k).lgamma().exp() ** 2)


class GeneralizedPareto(Distribution):
    """The excesses over a threshold ``loc`` (extreme-value theory), with z = (x - loc) / scale and
    concentration (shape) xi:
        log p(x) = -log scale - (1 + 1/xi) log(1 + xi z)  (xi != 0),   -log scale - z  (xi = 0),
        survival S = (1 + xi z)^(-1/xi)  (or e^-z),   icdf(u) = loc + scale ((1 - u)^(-xi) - 1) / xi.
    Support [loc, inf) for xi >= 0, [loc, loc - scale / xi] for xi < 0. Mean loc + scale / (1 - xi)
    for xi < 1, variance scale^2 / ((1 - xi)^2 (1 - 2 xi)) for xi < 1/2 (NaN otherwise); mode loc;
    entropy log scale + xi + 1. rsample by the inverse CDF."""

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive, "concentration": constraints.real}
    has_rsample = True

    def __init__(self, loc, scale, concentration, validate_args=None):
        self.loc, self.scale, self.concentration = broadcast_all(loc, scale, concentration)
        super().__init__(self.loc.shape, (), validate_args)

    @constraints.dependent_property(is_discrete=False, event_dim=0)
    def support(self):
        return constraints.interval(self.loc, where((self.concentration < 0)._array,
                                                    self.loc - self.scale / self.concentration, float("inf")))

    def _safe_concentration(self):
        """xi, with 1 where xi is (about) 0, and that mask: the xi = 0 formulas are taken there."""
        zero = (self.concentration.abs() <= 1e-8)._array  # PyTorch's isclose(xi, 0)
        return where(zero, 1.0, self.concentration), zero

    def rsample(self, sample_shape=()):
        return self.icdf(self._noise("uniform", self._extended_shape(sample_shape)))

    def log_prob(self, value):
        value = self._validate_sample(value)
        z = (value - self.loc) / self.scale
        xi, zero = self._safe_concentration()
        power = 1 / xi + 1
        tail = where((power == 0)._array, power, power * (xi * z).log1p())
        return -self.scale.log() - where(zero, z, tail)

    def log_survival_function(self, value):
        z = (value - self.loc) / self.scale
        xi, zero = self._safe_concentration()
        return where(zero, -z, -(xi * z).log1p() / xi)

    def log_cdf(self, value):
        return (-self.log_survival_function(value).exp()).log1p()

    def cdf(self, value):
        value = self._validate_sample(value)
        return self.log_cdf(value).exp()

    def icdf(self, value):
        xi, zero = self._safe_concentration()
        log_rest = (-value).log1p()
        return where(zero, self.loc - self.scale * log_rest, self.loc + self.scale / xi * (-xi * log_rest).expm1())

    @property
    def mean(self):
        xi = self.concentration
        return where((xi < 1)._array, self.loc + self.scale / (1 - xi), float("nan"))

    @property
    def variance(self):
        xi = self.concentration
        return where((xi < 0.5)._array, self.scale ** 2 / ((1 - xi) ** 2 * (1 - 2 * xi)), float("nan"))

    @property
    def mode(self):
        return self.loc * 1

    def entropy(self):
        return self.scale.log() + self.concentration + 1
