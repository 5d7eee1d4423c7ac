"""The Poisson distribution: counts of events at rate lambda."""
from . import constraints
from .distribution import broadcast_all
from .exponential_family import ExponentialFamily
from ..tensor_functions import xlogy


class Poisson(ExponentialFamily):
    """P(k) = rate^k e^-rate / k!, so log P(k) = k log(rate) - rate - lgamma(k + 1)."""

    arg_constraints = {"rate": constraints.nonnegative}
    support = constraints.nonnegative_integer

    def __init__(self, rate, validate_args=None):
        (self.rate,) = broadcast_all(rate)
        super().__init__(self.rate.shape, (), validate_args)

    def sample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        return self._host_draws(lambda generator, rate: generator.poisson(rate, size=shape), self.rate)

    def log_prob(self, value):
        value = self._validate_sample(value)
        return xlogy(value, self.rate) - self.rate - (value + 1).lgamma()

    @property
    def mean(self):
        return self.rate

    @property
    def mode(self):
        return self.rate.floor()

    @property
    def variance(self):
        return self.rate

    @property
    def _natural_params(self):
        """(log rate,), for t(k) = k; the carrier h(k) = 1 / k! has no closed-form E[log h], hence no
        closed-form entropy (as PyTorch's); the KL needs none."""
        return (self.rate.log(),)

    def _log_normalizer(self, x):
        return x.exp()
