"""The continuous Bernoulli distribution (Loaiza-Ganem and Cunningham, 2019): the Bernoulli
likelihood lambda^x (1 - lambda)^(1 - x) made a density on [0, 1], the right likelihood for a VAE's
pixels in [0, 1].

    p(x) = C(lambda) lambda^x (1 - lambda)^(1 - x),   C(lambda) = 2 artanh(1 - 2 lambda) / (1 - 2 lambda)

(C = 2 at lambda = 1/2). As PyTorch, lambda within ``lims`` (0.499, 0.501) of 1/2 takes Taylor
series in (lambda - 1/2) instead of the closed forms, which cancel there:
    log C ~ log 2 + (4/3 + 104/45 d^2) d^2,  mean ~ 1/2 + (1/3 + 16/45 d^2) d,
    variance ~ 1/12 - (1/15 - 128/945 d^2) d^2,   d = lambda - 1/2.
Elsewhere, with l = log(lambda / (1 - lambda)):
    log C = log |l| - log |1 - 2 lambda|,   mean = lambda / (2 lambda - 1) + 1 / l,
    variance = lambda (lambda - 1) / (1 - 2 lambda)^2 + 1 / l^2,
    cdf(x) = (lambda^x (1 - lambda)^(1 - x) + lambda - 1) / (2 lambda - 1),
    icdf(u) = (log1p(-lambda + u (2 lambda - 1)) - log1p(-lambda)) / l   (rsample: icdf of a uniform draw).
"""
import math

from ..nn import functional as F
from ..tensor import where
from . import constraints
from .distribution import broadcast_all
from .exponential_family import ExponentialFamily
from .utils import ProbsOrLogits, clamp_probs


class ContinuousBernoulli(ProbsOrLogits, ExponentialFamily):
    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.unit_interval
    has_rsample = True

    def __init__(self, probs=None, logits=None, lims=(0.499, 0.501), validate_args=None):
        param = self._take_probs_or_logits(probs, logits)
        super().__init__(param.shape, (), validate_args)
        if probs is not None:  # checked above as given, then kept away from 0 and 1 for the logs
            self.__dict__["probs"] = clamp_probs(self.probs)
        self._lims = lims

    @property
    def _lambda(self):
        return clamp_probs(self.probs)

    def _outside_unstable_region(self):
        probs = self._lambda._array
        return (probs <= self._lims[0]) | (probs > self._lims[1])

    def _cut_probs(self):
        """lambda where the closed forms are used, a safe stand-in (the lower limit) elsewhere."""
        return where(self._outside_unstable_region(), self._lambda, self._lims[0])

    def _log_constant(self):
        """log C(lambda)."""
        cut = self._cut_probs()
        below_half = (cut <= 0.5)._array
        closed = ((-cut).log1p() - cut.log()).abs().log() - where(
            below_half, (-2.0 * where(below_half, cut, 0.0)).log1p(), (2.0 * where(below_half, 1.0, cut) - 1.0).log())
        d2 = (self._lambda - 0.5) ** 2
        taylor = math.log(2.0) + (4.0 / 3.0 + 104.0 / 45.0 * d2) * d2
        return where(self._outside_unstable_region(), closed, taylor)

    def log_prob(self, value):
        value = self._validate_sample(value)
        logits, value = broadcast_all(self.logits, value)
        return -F.binary_cross_entropy_with_logits(logits, value, reduction="none") + self._log_constant()

    def cdf(self, value):
        value = self._validate_sample(value)
        cut = self._cut_probs()
        closed = (cut ** value * (1 - cut) ** (1 - value) + cut - 1) / (2 * cut - 1)
        inside = where(self._outside_unstable_region(), closed, value)
        return where((value <= 0)._array, 0.0, where((value >= 1)._array, 1.0, inside))

    def icdf(self, value):
        cut = self._cut_probs()
        closed = ((-cut + value * (2 * cut - 1)).log1p() - (-cut).log1p()) / (cut.log() - (-cut).log1p())
        return where(self._outside_unstable_region(), closed, value)

    def rsample(self, sample_shape=()):
        return self.icdf(self._noise("uniform", self._extended_shape(sample_shape)))

    @property
    def mean(self):
        cut = self._cut_probs()
        closed = cut / (2 * cut - 1) + 1 / ((-cut).log1p() - cut.log())
        d = self._lambda - 0.5
        return where(self._outside_unstable_region(), closed, 0.5 + (1 / 3 + 16 / 45 * d ** 2) * d)

    @property
    def variance(self):
        cut = self._cut_probs()
        closed = cut * (cut - 1) / (1 - 2 * cut) ** 2 + 1 / ((-cut).log1p() - cut.log()) ** 2
        d2 = (self._lambda - 0.5) ** 2
        return where(self._outside_unstable_region(), closed, 1 / 12 - (1 / 15 - 128 / 945 * d2) * d2)

    def entropy(self):
        """-log C - (mean log lambda + (1 - mean) log(1 - lambda))."""
        log_probs0, log_probs1 = (-self._lambda).log1p(), self._lambda.log()
        return self.mean * (log_probs0 - log_probs1) - self._log_constant() - log_probs0

    @property
    def _natural_params(self):
        """(logits,), for t(x) = x: p(x) = C(lambda) (1 - lambda) e^(l x)."""
        return (self.logits,)

    def _log_normalizer(self, x):
        """F(l) = log((e^l - 1) / l) = -log(C(lambda) (1 - lambda)), written without overflow as
        max(l, 0) + log(-expm1(-|l|)) - log|l|; within |l| < 0.01 its Taylor series
        l / 2 + l^2 / 24 - l^4 / 2880, where the closed form cancels."""
        near_zero = (x.abs() < 0.01)._array
        cut = where(near_zero, 0.01, x)
        closed = cut.clip(0, None) + (-(-cut.abs()).expm1()).log() - cut.abs().log()
        return where(near_zero, 0.5 * x + x ** 2 / 24 - x ** 4 / 2880, closed)

    @property
    def _mean_carrier_measure(self):
        return 0
