"""The Laplace (double exponential) distribution."""
import numpy as np

from .distribution import LocationScale


class Laplace(LocationScale):
    """p(x) = exp(-|x - loc| / scale) / (2 scale).

    rsample: with u uniform in (-1, 1), x = loc - scale sign(u) log(1 - |u|) (the inverse CDF).
    """

    def rsample(self, sample_shape=()):
        tiny = float(np.finfo(self._draw_dtype()).eps)
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
    def variance(self):
        return 2 * self.scale ** 2
