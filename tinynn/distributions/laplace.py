"""The Laplace (double exponential) distribution."""
import numpy as np

from . import constraints
from .distribution import Distribution, broadcast_all


class Laplace(Distribution):
    """p(x) = exp(-|x - loc| / scale) / (2 scale).

    rsample: with u uniform in (-1, 1), x = loc - scale sign(u) log(1 - |u|) (the inverse CDF).
    """

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.real
    has_rsample = True

    def __init__(self, loc, scale, validate_args=True):
        self.loc, self.scale = broadcast_all(loc, scale)
        super().__init__(self.loc.shape, (), validate_args)

    def rsample(self, sample_shape=()):
        tiny = float(np.finfo(self.loc.dtype).eps)
        u = (self._noise("uniform", self._extended_shape(sample_shape)) * 2 - 1).clip(tiny - 1, None)
        return self.loc - self.scale * u.sign() * (-u.abs()).log1p()

    def log_prob(self, value):
        value = self._validate_sample(value)
        return -(2 * self.scale).log() - (value - self.loc).abs() / self.scale

    def cdf(self, value):
        value = self._validate_sample(value)
        return 0.5 - 0.5 * (value - self.loc).sign() * (-(value - self.loc).abs() / self.scale).expm1()

    def icdf(self, value):
        term = value - 0.5
        return self.loc - self.scale * term.sign() * (-2 * term.abs()).log1p()

    def entropy(self):
        return 1 + (2 * self.scale).log()

    @property
    def mean(self):
        return self.loc

    @property
    def mode(self):
        return self.loc

    @property
    def variance(self):
        return 2 * self.scale ** 2
