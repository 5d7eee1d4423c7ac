"""The continuous uniform distribution on [low, high)."""
from ..tensor import where
from . import constraints
from .distribution import Distribution, broadcast_all, validating


class Uniform(Distribution):
    """p(x) = 1 / (high - low) on [low, high).  rsample: x = low + (high - low) u, u ~ U[0, 1)."""

    arg_constraints = {"low": constraints.real, "high": constraints.real}
    has_rsample = True

    def __init__(self, low, high, validate_args=None):
        self.low, self.high = broadcast_all(low, high)
        if validating(validate_args) and not bool((self.low._array < self.high._array).all()):
            raise ValueError(f"Uniform: expected low < high, got low {self.low} and high {self.high}")
        super().__init__(self.low.shape, (), validate_args)

    @constraints.dependent_property(is_discrete=False, event_dim=0)
    def support(self):
        return constraints.interval(self.low, self.high)

    def rsample(self, sample_shape=()):
        return self.low + (self.high - self.low) * self._noise("uniform", self._extended_shape(sample_shape))

    def log_prob(self, value):
        value = self._validate_sample(value)
        inside = (self.low._array <= value._array) & (value._array < self.high._array)
        return where(inside, -(self.high - self.low).log(), float("-inf"))

    def cdf(self, value):
        value = self._validate_sample(value)
        return ((value - self.low) / (self.high - self.low)).clip(0, 1)

    def icdf(self, value):
        return self.low + value * (self.high - self.low)

    def entropy(self):
        return (self.high - self.low).log()

    @property
    def mean(self):
        return (self.low + self.high) / 2

    @property
    def mode(self):
        return self.low * float("nan")

    @property
    def variance(self):
        return (self.high - self.low) ** 2 / 12
