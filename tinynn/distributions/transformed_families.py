"""Distributions defined as a transformed base distribution (``TransformedDistribution``), with
their moments and entropies in closed form: the inverse gamma (1 / a gamma variable), the
Kumaraswamy (a power of one minus a power of a uniform variable) and the logistic normal (a normal
vector mapped onto the simplex by stick breaking)."""
from ..tensor import where
from . import constraints
from .distribution import broadcast_all
from .gamma import Gamma
from .heavy_tailed import EULER_GAMMA
from .independent import Independent
from .normal import Normal
from .transformed import TransformedDistribution
from .transforms import AffineTransform, PowerTransform, StickBreakingTransform
from .uniform import Uniform


class InverseGamma(TransformedDistribution):
    """X = 1 / Y for Y ~ Gamma(concentration a, rate b):  p(x) = b^a x^(-a-1) e^(-b/x) / Gamma(a).
    Mean b / (a - 1) (inf for a <= 1), mode b / (a + 1), variance b^2 / ((a - 1)^2 (a - 2))
    (inf for a <= 2); entropy a + log b + lgamma(a) - (1 + a) digamma(a)."""

    arg_constraints = {"concentration": constraints.positive, "rate": constraints.positive}
    support = constraints.positive

    def __init__(self, concentration, rate, validate_args=None):
        super().__init__(Gamma(concentration, rate, validate_args), PowerTransform(-1.0), validate_args)

    @property
    def concentration(self):
        return self.base_dist.concentration

    @property
    def rate(self):
        return self.base_dist.rate

    @property
    def mean(self):
        a = self.concentration
        return where((a > 1)._array, self.rate / (a - 1), float("inf"))

    @property
    def mode(self):
        return self.rate / (self.concentration + 1)

    @property
    def variance(self):
        a = self.concentration
        return where((a > 2)._array, self.rate ** 2 / ((a - 1) ** 2 * (a - 2)), float("inf"))

    def entropy(self):
        a = self.concentration
        return a + self.rate.log() + a.lgamma() - (1 + a) * a.digamma()


class Kumaraswamy(TransformedDistribution):
    """p(x) = a b x^(a-1) (1 - x^a)^(b-1) on (0, 1), a = concentration1, b = concentration0: the
    draw (1 - u^(1/b))^(1/a) of a uniform u. Its raw moments are E[X^n] = b B(1 + n/a, b), with
    B the beta function (``_moment``); mode ((a - 1) / (ab - 1))^(1/a) for a, b >= 1 (NaN otherwise);
    entropy (1 - 1/b) + (1 - 1/a) H_b - log a - log b, with H_b = digamma(b + 1) + Euler's gamma."""

    arg_constraints = {"concentration1": constraints.positive, "concentration0": constraints.positive}
    support = constraints.unit_interval

    def __init__(self, concentration1, concentration0, validate_args=None):
        self.concentration1, self.concentration0 = broadcast_all(concentration1, concentration0)
        if validate_args:  # before the transforms take reciprocals of them
            for name in ("concentration1", "concentration0"):
                constraints.check(constraints.positive, getattr(self, name), f"parameter {name}", "Kumaraswamy")
        zeros = self.concentration0.detach() * 0
        base = Uniform(zeros, zeros + 1, validate_args=False)
        transforms = [PowerTransform(1 / self.concentration0), AffineTransform(1.0, -1.0),
                      PowerTransform(1 / self.concentration1)]
        super().__init__(base, transforms, validate_args)

    def _moment(self, n):
        a, b = self.concentration1, self.concentration0
        shifted = 1 + n / a
        return b * (shifted.lgamma() + b.lgamma() - (shifted + b).lgamma()).exp()

    @property
    def mean(self):
        return self._moment(1)

    @property
    def variance(self):
        return self._moment(2) - self.mean ** 2

    @property
    def mode(self):
        a, b = self.concentration1, self.concentration0
        log_mode = (-b).log1p() / b - (-b * a).log1p()
        return where(((a < 1) | (b < 1))._array, float("nan"), log_mode.exp())

    def entropy(self):
        a, b = self.concentration1, self.concentration0
        harmonic = (b + 1).digamma() + EULER_GAMMA
        return (1 - 1 / b) + (1 - 1 / a) * harmonic - a.log() - b.log()


class LogisticNormal(TransformedDistribution):
    """The distribution on the simplex of K + 1 categories of stick_breaking(X) for
    X ~ Normal(loc, scale) with K independent coordinates (``StickBreakingTransform``); as
    PyTorch's, loc and scale are (..., K) and a draw is (..., K + 1)."""

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.simplex
    has_rsample = True

    def __init__(self, loc, scale, validate_args=None):
        base = Normal(loc, scale, validate_args)
        if not base.batch_shape:
            base = base.expand((1,))
        super().__init__(Independent(base, 1), StickBreakingTransform(), validate_args)

    @property
    def loc(self):
        return self.base_dist.base_dist.loc

    @property
    def scale(self):
        return self.base_dist.base_dist.scale

