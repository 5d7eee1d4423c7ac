"""The exponential distribution with rate lambda."""
from . import constraints
from .distribution import broadcast_all
from .exponential_family import ExponentialFamily


class Exponential(ExponentialFamily):
    """p(x) = rate e^(-rate x) for x >= 0.  rsample: x = e / rate with e a standard exponential draw."""

    arg_constraints = {"rate": constraints.positive}
    support = constraints.nonnegative
    has_rsample = True

    def __init__(self, rate, validate_args=None):
        (self.rate,) = broadcast_all(rate)
        super().__init__(self.rate.shape, (), validate_args)

    def rsample(self, sample_shape=()):
        return self._noise("exponential", self._extended_shape(sample_shape)) / self.rate

    def log_prob(self, value):
        value = self._validate_sample(value)
        return self.rate.log() - self.rate * value

    def cdf(self, value):
        value = self._validate_sample(value)
        return 1 - (-self.rate * value).exp()

    def icdf(self, value):
        return -(-value).log1p() / self.rate

    def entropy(self):
        return 1.0 - self.rate.log()

    @property
    def mean(self):
        return 1 / self.rate

    @property
    def mode(self):
        return self.rate * 0

    @property
    def _natural_params(self):
        """(-rate,), for t(x) = x."""
        return (-self.rate,)

    def _log_normalizer(self, x):
        return -(-x).log()

    @property
    def _mean_carrier_measure(self):
        return 0

    @property
    def variance(self):
        return self.rate ** -2
