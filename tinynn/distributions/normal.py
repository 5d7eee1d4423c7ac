"""The normal (Gaussian) distribution N(loc, scale^2)."""
import math

from . import constraints
from .distribution import HALF_LOG_TWO_PI, Distribution, LocationScale, broadcast_all
from .exponential_family import ExponentialFamily
from .transformed import TransformedDistribution
from .transforms import ExpTransform


class Normal(LocationScale, ExponentialFamily):
    """p(x) = exp(-(x - loc)^2 / (2 scale^2)) / (scale sqrt(2 pi)).

    rsample: x = loc + scale * e with e ~ N(0, 1), so dx/dloc = 1 and dx/dscale = e.
    """

    def rsample(self, sample_shape=()):
        return self.loc + self.scale * self._noise("normal", self._extended_shape(sample_shape))

    def log_prob(self, value):
        value = self._validate_sample(value)
        return -((value - self.loc) ** 2) / (2 * self.scale ** 2) - self.scale.log() - HALF_LOG_TWO_PI

    def cdf(self, value):
        value = self._validate_sample(value)
        return 0.5 * (1 + ((value - self.loc) / (self.scale * math.sqrt(2))).erf())

    def icdf(self, value):
        return self.loc + self.scale * (2 * value - 1).erfinv() * math.sqrt(2)

    def entropy(self):
        return 0.5 + HALF_LOG_TWO_PI + self.scale.log()

    @property
    def mean(self):
        return self.loc

    @property
    def variance(self):
        return self.scale ** 2

    @property
    def stddev(self):
        return self.scale

    @property
    def _natural_params(self):
        """(loc / scale^2, -1 / (2 scale^2)), for t(x) = (x, x^2)."""
        return self.loc / self.scale ** 2, -0.5 / self.scale ** 2

    def _log_normalizer(self, x, y):
        """F = -x^2 / (4y) + log(pi / -y) / 2 = loc^2 / (2 scale^2) + log(scale sqrt(2 pi))."""
        return -0.25 * x ** 2 / y + 0.5 * (-math.pi / y).log()

    @property
    def _mean_carrier_measure(self):
        return 0


class LogNormal(TransformedDistribution):
    """x = e^y with y ~ N(loc, scale^2): p(x) = Normal(loc, scale).p(log x) / x. As PyTorch's, a
    TransformedDistribution (``base_dist``, ``transforms``), with these closed forms of its own."""

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.positive
    has_rsample = True
    sample, _like = Distribution.sample, Distribution._like  # (its own draws, from its parameters)

    def __init__(self, loc, scale, validate_args=None):
        self.loc, self.scale = broadcast_all(loc, scale)
        self.base_dist, self.transforms = Normal(self.loc, self.scale, validate_args=False), [ExpTransform()]
        Distribution.__init__(self, self.loc.shape, (), validate_args)  # (the parameters checked, as its own)

    def rsample(self, sample_shape=()):
        return self.base_dist.rsample(sample_shape).exp()

    def log_prob(self, value):
        value = self._validate_sample(value)
        log_value = value.log()
        return self.base_dist.log_prob(log_value) - log_value

    def cdf(self, value):
        return self.base_dist.cdf(self._validate_sample(value).log())

    def icdf(self, value):
        return self.base_dist.icdf(value).exp()

    def entropy(self):
        return self.base_dist.entropy() + self.loc

    @property
    def mean(self):
        return (self.loc + self.scale ** 2 / 2).exp()

    @property
    def mode(self):
        return (self.loc - self.scale ** 2).exp()

    @property
    def variance(self):
        scale_squared = self.scale ** 2
        return scale_squared.expm1() * (2 * self.loc + scale_squared).exp()


__all__ = ["Normal", "LogNormal"]
