"""Distributions on the real line beyond the normal: Cauchy, Student's t, Gumbel, and the
half-normal on [0, inf)."""
import math

import numpy as np

from ..ops.promotion import default_float
from ..tensor import where
from . import constraints
from .distribution import Distribution, LocationScale, broadcast_all
from .normal import Normal
from .transformed import TransformedDistribution
from .transforms import AbsTransform, AffineTransform, ExpTransform
from .uniform import Uniform

EULER_GAMMA = 0.5772156649015329


class Cauchy(LocationScale):
    """p(x) = 1 / (pi scale (1 + ((x - loc) / scale)^2)): no mean, no variance.
    rsample: x = loc + scale tan(pi (u - 1/2)), the inverse CDF of a uniform draw."""

    def rsample(self, sample_shape=()):
        return self.icdf(self._noise("uniform", self._extended_shape(sample_shape)))

    def log_prob(self, value):
        value = self._validate_sample(value)
        return -math.log(math.pi) - self.scale.log() - (((value - self.loc) / self.scale) ** 2).log1p()

    def cdf(self, value):
        value = self._validate_sample(value)
        return ((value - self.loc) / self.scale).atan() / math.pi + 0.5

    def icdf(self, value):
        return (math.pi * (value - 0.5)).tan() * self.scale + self.loc

    def entropy(self):
        return math.log(4 * math.pi) + self.scale.log()

    @property
    def mean(self):
        return self.loc * float("nan")

    @property
    def variance(self):
        return self.loc * 0 + float("inf")


class StudentT(Distribution):
    """p(x) = Gamma((df + 1)/2) / (Gamma(df/2) sqrt(df pi) scale) (1 + y^2 / df)^(-(df + 1)/2),
    y = (x - loc) / scale.  rsample: loc + scale z / sqrt(chi2 / df), z ~ N(0, 1), chi2 = 2 Gamma(df/2, 1)
    (reparameterised through the gamma draw, see gamma.py)."""

    arg_constraints = {"df": constraints.positive, "loc": constraints.real, "scale": constraints.positive}
    support = constraints.real
    has_rsample = True

    def __init__(self, df, loc=0.0, scale=1.0, validate_args=None):
        self.df, self.loc, self.scale = broadcast_all(df, loc, scale)
        super().__init__(self.df.shape, (), validate_args)

    def rsample(self, sample_shape=()):
        from .gamma import standard_gamma

        shape = self._extended_shape(sample_shape)
        chi2 = 2 * standard_gamma(self, self.df * 0.5, shape)
        return self.loc + self.scale * self._noise("normal", shape) * (self.df / chi2).sqrt()

    def log_prob(self, value):
        value = self._validate_sample(value)
        y = (value - self.loc) / self.scale
        normalizer = (self.scale.log() + 0.5 * self.df.log() + 0.5 * math.log(math.pi) + (0.5 * self.df).lgamma()
                      - (0.5 * (self.df + 1)).lgamma())
        return -0.5 * (self.df + 1) * (y ** 2 / self.df).log1p() - normalizer

    def entropy(self):
        log_beta = (0.5 * self.df).lgamma() + math.lgamma(0.5) - (0.5 * (self.df + 1)).lgamma()
        return (self.scale.log() + 0.5 * (self.df + 1) * ((0.5 * (self.df + 1)).digamma() - (0.5 * self.df).digamma())
                + 0.5 * self.df.log() + log_beta)

    @property
    def mean(self):
        return where(self.df._array > 1, self.loc, float("nan"))

    @property
    def mode(self):
        return self.loc

    @property
    def variance(self):
        finite = self.scale ** 2 * self.df / (self.df - 2).clip(1e-30, None)
        return where(self.df._array > 2, finite, where(self.df._array > 1, float("inf"), float("nan")))


class Gumbel(TransformedDistribution):
    """p(x) = exp(-(z + e^-z)) / scale, z = (x - loc) / scale (the distribution of maxima).
    rsample: x = loc - scale log(-log u). As PyTorch's, a TransformedDistribution: u ~ Uniform(tiny,
    1 - eps) through log, negation, log and loc - scale * (``base_dist``, ``transforms``), with these
    closed forms of its own."""

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.real
    has_rsample = True
    sample, _like = Distribution.sample, Distribution._like  # (its own draws, from its parameters)

    def __init__(self, loc, scale, validate_args=None):
        self.loc, self.scale = broadcast_all(loc, scale)
        finfo = np.finfo(self.loc.dtype if self.loc.dtype.kind == "f" else default_float())  # (ints: sample refuses)
        self.base_dist = Uniform(self.loc * 0 + float(finfo.tiny), self.loc * 0 + (1 - float(finfo.eps)),
                                 validate_args=False)
        self.transforms = [ExpTransform().inv, AffineTransform(0, -1.0), ExpTransform().inv,
                           AffineTransform(self.loc, -self.scale)]
        Distribution.__init__(self, self.loc.shape, (), validate_args)  # (the parameters checked, as its own)

    @property
    def mode(self):
        return self.loc

    def rsample(self, sample_shape=()):
        tiny = float(np.finfo(self._draw_dtype()).tiny)
        uniform = self._noise("uniform", self._extended_shape(sample_shape)).clip(tiny, 1 - float(
            np.finfo(self.loc.dtype).eps))
        return self.icdf(uniform)

    def log_prob(self, value):
        value = self._validate_sample(value)
        y = (self.loc - value) / self.scale
        return (y - y.exp()) - self.scale.log()

    def cdf(self, value):
        value = self._validate_sample(value)
        return (-(-(value - self.loc) / self.scale).exp()).exp()

    def icdf(self, value):
        return self.loc - self.scale * (-value.log()).log()

    def entropy(self):
        return self.scale.log() + (1 + EULER_GAMMA)

    @property
    def mean(self):
        return self.loc + self.scale * EULER_GAMMA

    @property
    def variance(self):
        return (math.pi ** 2 / 6) * self.scale ** 2


class HalfNormal(TransformedDistribution):
    """|X| with X ~ N(0, scale^2): p(x) = 2 Normal(0, scale).p(x) for x >= 0.  rsample: |scale e|.
    As PyTorch's, a TransformedDistribution (``base_dist``, ``transforms``), with these closed forms."""

    arg_constraints = {"scale": constraints.positive}
    support = constraints.nonnegative
    has_rsample = True
    sample, _like = Distribution.sample, Distribution._like  # (its own draws, from its parameters)

    def __init__(self, scale, validate_args=None):
        (self.scale,) = broadcast_all(scale)
        self.base_dist = Normal(self.scale * 0, self.scale, validate_args=False)
        self.transforms = [AbsTransform()]
        Distribution.__init__(self, self.scale.shape, (), validate_args)  # (the parameters checked, as its own)

    def rsample(self, sample_shape=()):
        return self.base_dist.rsample(sample_shape).abs()

    def log_prob(self, value):
        value = self._validate_sample(value)
        return where(value._array >= 0, self.base_dist.log_prob(value) + math.log(2), float("-inf"))

    def cdf(self, value):
        return 2 * self.base_dist.cdf(self._validate_sample(value)) - 1

    def icdf(self, value):
        return self.base_dist.icdf((value + 1) / 2)

    def entropy(self):
        return self.base_dist.entropy() - math.log(2)

    @property
    def mean(self):
        return self.scale * math.sqrt(2 / math.pi)

    @property
    def mode(self):
        return self.scale * 0

    @property
    def variance(self):
        return self.scale ** 2 * (1 - 2 / math.pi)


__all__ = ["Cauchy", "StudentT", "Gumbel", "HalfNormal"]
