"""The gamma distribution, and the beta and Dirichlet distributions made from gamma draws, all
with reparameterised samples by implicit differentiation (Figurnov et al., "Implicit
reparameterization gradients", 2018).

A draw x ~ Gamma(a, 1) cannot be written as a smooth function of a and fixed noise, but it can be
held at its quantile u = P(a, x) (P the regularised lower incomplete gamma function, the CDF) as
a moves: then 0 = dP = dP/da da + p(x) dx, so

    dx/da = -(dP/da) / p(x).

From P's series P(a, x) = e^-x sum_n x^(a+n) / Gamma(a+n+1), dividing each term by
p(x) = x^(a-1) e^-x / Gamma(a) gives r_n = x^(n+1) / (a (a+1) ... (a+n)), and

    dx/da = -sum_n r_n (log x - digamma(a + n + 1)),

summed (vectorised over the draws) until a + n is well past x, where the terms vanish. PyTorch
computes the same derivative by approximations (they agree to ~1e-7 here).
"""
import math

import numpy as np

from .. import backend
from ..autograd import Function
from ..ops.gamma import polygamma_values
from ..tensor import where
from ..tensor_functions import xlogy
from . import constraints
from .distribution import Distribution, broadcast_all
from .exponential_family import ExponentialFamily


def standard_gamma_slope(alpha, x):
    """dx/dalpha of draws x ~ Gamma(alpha, 1) held at their quantiles (arrays, float64 inside)."""
    xp = backend.get_array_module(x)
    a, draws = alpha.astype(np.float64), xp.maximum(x.astype(np.float64), np.finfo(np.float64).tiny)
    log_x = xp.log(draws)
    term, digamma = draws / a, polygamma_values(0, a + 1)
    total = term * (log_x - digamma)
    largest = float(draws.max()) if draws.size else 0.0
    count = int(max(largest - float(a.min()), 0) + 12 * math.sqrt(largest) + 40) if draws.size else 0
    for n in range(1, count):
        term = term * draws / (a + n)
        digamma = digamma + 1 / (a + n)
        total = total + term * (log_x - digamma)
    return (-total).astype(x.dtype)


class StandardGamma(Function):
    """x = the given draws of Gamma(alpha, 1) (one per element of alpha), as a function of alpha.
    dL/dalpha = dL/dx * dx/dalpha, the implicit derivative above."""

    def __init__(self, draws):
        self.draws = draws

    def forward(self, alpha):
        self.alpha = alpha
        return self.draws

    def backward(self, gy):
        return (gy * standard_gamma_slope(self.alpha, self.draws),)


def standard_gamma(distribution, alpha, shape):
    """Draws of Gamma(alpha, 1) of ``shape`` (alpha broadcast to it), differentiable in alpha."""
    expanded = alpha.expand(shape)
    draws = distribution._host_draws(lambda generator, a: generator.standard_gamma(a), expanded)
    return StandardGamma(draws._array)(expanded)


class Gamma(ExponentialFamily):
    """p(x) = rate^a x^(a-1) e^(-rate x) / Gamma(a), a = concentration.
    Entropy: a - log(rate) + lgamma(a) + (1 - a) digamma(a)."""

    arg_constraints = {"concentration": constraints.positive, "rate": constraints.positive}
    support = constraints.nonnegative
    has_rsample = True

    def __init__(self, concentration, rate, validate_args=None):
        self.concentration, self.rate = broadcast_all(concentration, rate)
        super().__init__(self.concentration.shape, (), validate_args)

    def rsample(self, sample_shape=()):
        return standard_gamma(self, self.concentration, self._extended_shape(sample_shape)) / self.rate

    def log_prob(self, value):
        value = self._validate_sample(value)
        a, rate = self.concentration, self.rate
        return xlogy(a, rate) + xlogy(a - 1, value) - rate * value - a.lgamma()

    def cdf(self, value):
        """P(a, rate x), the regularized lower incomplete gamma function (differentiable in x and rate, not in a)."""
        value = self._validate_sample(value)
        return self.concentration.igamma(self.rate * value)

    def entropy(self):
        a = self.concentration
        return a - self.rate.log() + a.lgamma() + (1 - a) * a.digamma()

    @property
    def mean(self):
        return self.concentration / self.rate

    @property
    def mode(self):
        return ((self.concentration - 1) / self.rate).clip(0, None)

    @property
    def variance(self):
        return self.concentration / self.rate ** 2

    @property
    def _natural_params(self):
        """(concentration - 1, -rate), for t(x) = (log x, x)."""
        return self.concentration - 1, -self.rate

    def _log_normalizer(self, x, y):
        """F = lgamma(x + 1) - (x + 1) log(-y) = lgamma(a) - a log(rate)."""
        return (x + 1).lgamma() - (x + 1) * (-y).log()

    @property
    def _mean_carrier_measure(self):
        return 0


class Chi2(Gamma):
    """The chi-squared distribution with ``df`` degrees of freedom: Gamma(df / 2, 1/2)."""

    arg_constraints = {"df": constraints.positive}

    def __init__(self, df, validate_args=None):
        (self.df,) = broadcast_all(df)
        super().__init__(self.df * 0.5, self.df * 0 + 0.5, validate_args)


class Beta(ExponentialFamily):
    """p(x) = x^(a-1) (1 - x)^(b-1) / B(a, b) on [0, 1], log B(a, b) = lgamma(a) + lgamma(b) - lgamma(a + b).
    rsample: X / (X + Y) with X ~ Gamma(a, 1), Y ~ Gamma(b, 1)."""

    arg_constraints = {"concentration1": constraints.positive, "concentration0": constraints.positive}
    support = constraints.unit_interval
    has_rsample = True

    def __init__(self, concentration1, concentration0, validate_args=None):
        self.concentration1, self.concentration0 = broadcast_all(concentration1, concentration0)
        super().__init__(self.concentration1.shape, (), validate_args)

    def rsample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        x, y = standard_gamma(self, self.concentration1, shape), standard_gamma(self, self.concentration0, shape)
        return x / (x + y)

    def _log_beta(self):
        a, b = self.concentration1, self.concentration0
        return a.lgamma() + b.lgamma() - (a + b).lgamma()

    def log_prob(self, value):
        value = self._validate_sample(value)
        a, b = self.concentration1, self.concentration0
        return xlogy(a - 1, value) + xlogy(b - 1, 1 - value) - self._log_beta()

    def entropy(self):
        a, b = self.concentration1, self.concentration0
        return self._log_beta() - (a - 1) * a.digamma() - (b - 1) * b.digamma() + (a + b - 2) * (a + b).digamma()

    @property
    def mean(self):
        return self.concentration1 / (self.concentration1 + self.concentration0)

    @property
    def mode(self):
        """Dirichlet's mode of (a, b), its first coordinate: (a - 1)+ / ((a - 1)+ + (b - 1)+), 0 or 1
        where one concentration is below 1, 1 where both are, NaN for the flat a = b = 1."""
        a_above, b_above = (self.concentration1 - 1).clip(0, None), (self.concentration0 - 1).clip(0, None)
        both_below = (self.concentration1 < 1) & (self.concentration0 < 1)
        return where(both_below._array, 1.0, a_above / (a_above + b_above))

    @property
    def variance(self):
        total = self.concentration1 + self.concentration0
        return self.concentration1 * self.concentration0 / (total ** 2 * (total + 1))

    @property
    def _natural_params(self):
        """(a, b), for t(x) = (log x, log(1 - x)) and the carrier h(x) = 1 / (x (1 - x))."""
        return self.concentration1, self.concentration0

    def _log_normalizer(self, x, y):
        return x.lgamma() + y.lgamma() - (x + y).lgamma()

    @property
    def _mean_carrier_measure(self):
        """-E[log x] - E[log(1 - x)] = 2 digamma(a + b) - digamma(a) - digamma(b)."""
        a, b = self.concentration1, self.concentration0
        return 2 * (a + b).digamma() - a.digamma() - b.digamma()


class Dirichlet(ExponentialFamily):
    """p(x) = prod x_i^(a_i - 1) / B(a) on the simplex, log B(a) = sum lgamma(a_i) - lgamma(sum a_i).
    rsample: gamma draws G_i ~ Gamma(a_i, 1) divided by their sum."""

    arg_constraints = {"concentration": constraints.independent(constraints.positive, 1)}
    support = constraints.simplex
    has_rsample = True

    def __init__(self, concentration, validate_args=None):
        (self.concentration,) = broadcast_all(concentration)
        if self.concentration.ndim < 1:
            raise ValueError("Dirichlet: concentration needs at least one dimension (the categories)")
        super().__init__(self.concentration.shape[:-1], self.concentration.shape[-1:], validate_args)

    def rsample(self, sample_shape=()):
        gammas = standard_gamma(self, self.concentration, self._extended_shape(sample_shape))
        return gammas / gammas.sum(-1, keepdim=True)

    def log_prob(self, value):
        value = self._validate_sample(value)
        a = self.concentration
        return xlogy(a - 1, value).sum(-1) + a.sum(-1).lgamma() - a.lgamma().sum(-1)

    def entropy(self):
        a = self.concentration
        total, k = a.sum(-1), a.shape[-1]
        return a.lgamma().sum(-1) - total.lgamma() - (k - total) * total.digamma() - ((a - 1) * a.digamma()).sum(-1)

    @property
    def mean(self):
        return self.concentration / self.concentration.sum(-1, keepdim=True)

    @property
    def mode(self):
        """(a_i - 1)+ / sum_j (a_j - 1)+. Where every a_i < 1 the density is unbounded at each vertex
        and, as PyTorch's, the first vertex is given; NaN where no a_i exceeds 1 otherwise (flat)."""
        above_one = (self.concentration - 1).clip(0, None)
        all_below = (self.concentration < 1).all(-1, keepdim=True)
        first_vertex = above_one.new_zeros(above_one.shape[-1:])
        first_vertex[0] = 1
        return where(all_below._array, first_vertex, above_one / above_one.sum(-1, keepdim=True))

    @property
    def variance(self):
        total = self.concentration.sum(-1, keepdim=True)
        return self.concentration * (total - self.concentration) / (total ** 2 * (total + 1))

    @property
    def _natural_params(self):
        """(a,), for t(x) = log x and the carrier h(x) = 1 / prod x_i."""
        return (self.concentration,)

    def _log_normalizer(self, x):
        return x.lgamma().sum(-1) - x.sum(-1).lgamma()

    @property
    def _mean_carrier_measure(self):
        """-sum E[log x_i] = k digamma(sum a) - sum digamma(a_i)."""
        a = self.concentration
        return a.shape[-1] * a.sum(-1).digamma() - a.digamma().sum(-1)


class FisherSnedecor(Distribution):
    """F(d1, d2), the ratio (X1 / d1) / (X2 / d2) of chi-squared variables with d1 and d2 degrees
    of freedom:  log p(x) = lgamma((d1+d2)/2) - lgamma(d1/2) - lgamma(d2/2) + (d1/2) log(d1/d2)
    + (d1/2 - 1) log x - ((d1+d2)/2) log(1 + (d1/d2) x). rsample: the ratio of Gamma(d/2, d/2)
    draws (reparameterised). Mean d2 / (d2 - 2) for d2 > 2, mode (d1 - 2) d2 / (d1 (d2 + 2)) for
    d1 > 2, variance 2 d2^2 (d1 + d2 - 2) / (d1 (d2 - 2)^2 (d2 - 4)) for d2 > 4 (NaN otherwise)."""

    arg_constraints = {"df1": constraints.positive, "df2": constraints.positive}
    support = constraints.positive
    has_rsample = True

    def __init__(self, df1, df2, validate_args=None):
        self.df1, self.df2 = broadcast_all(df1, df2)
        super().__init__(self.df1.shape, (), validate_args)

    def rsample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        tiny = float(np.finfo(self._draw_dtype()).tiny)
        numerator = standard_gamma(self, self.df1 * 0.5, shape) / (self.df1 * 0.5)
        denominator = standard_gamma(self, self.df2 * 0.5, shape) / (self.df2 * 0.5)
        return (numerator / denominator.clip(tiny, None)).clip(tiny, None)

    def log_prob(self, value):
        value = self._validate_sample(value)
        half1, half2, ratio = self.df1 * 0.5, self.df2 * 0.5, self.df1 / self.df2
        normaliser = (half1 + half2).lgamma() - half1.lgamma() - half2.lgamma()
        return normaliser + half1 * ratio.log() + (half1 - 1) * value.log() - (half1 + half2) * (ratio * value).log1p()

    @property
    def mean(self):
        d2 = self.df2
        return where((d2 > 2)._array, d2 / (d2 - 2), float("nan"))

    @property
    def mode(self):
        d1, d2 = self.df1, self.df2
        return where((d1 > 2)._array, (d1 - 2) / d1 * d2 / (d2 + 2), float("nan"))

    @property
    def variance(self):
        d1, d2 = self.df1, self.df2
        return where((d2 > 4)._array, 2 * d2 ** 2 * (d1 + d2 - 2) / (d1 * (d2 - 2) ** 2 * (d2 - 4)), float("nan"))
