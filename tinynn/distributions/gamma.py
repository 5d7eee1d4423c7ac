"""The gamma distribution, and the beta and Dirichlet distributions made from gamma draws."""
from ..tensor_functions import xlogy
from . import constraints
from .distribution import Distribution, broadcast_all

_NO_RSAMPLE = ("{} has no reparameterized sample in tinynn: a gamma draw's derivative with respect to its shape "
               "needs the implicit gradient of the incomplete gamma function, which tinynn does not have; use sample()")


class Gamma(Distribution):
    """p(x) = rate^a x^(a-1) e^(-rate x) / Gamma(a), a = concentration.
    Entropy: a - log(rate) + lgamma(a) + (1 - a) digamma(a)."""

    arg_constraints = {"concentration": constraints.positive, "rate": constraints.positive}
    support = constraints.nonnegative

    def __init__(self, concentration, rate, validate_args=True):
        self.concentration, self.rate = broadcast_all(concentration, rate)
        super().__init__(self.concentration.shape, (), validate_args)

    def rsample(self, sample_shape=()):
        raise NotImplementedError(_NO_RSAMPLE.format("Gamma"))

    def sample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        return self._host_draws(lambda generator, a, rate: generator.standard_gamma(a, size=shape) / rate,
                                self.concentration, self.rate)

    def log_prob(self, value):
        value = self._validate_sample(value)
        a, rate = self.concentration, self.rate
        return xlogy(a, rate) + xlogy(a - 1, value) - rate * value - a.lgamma()

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


class Chi2(Gamma):
    """The chi-squared distribution with ``df`` degrees of freedom: Gamma(df / 2, 1/2)."""

    arg_constraints = {"df": constraints.positive}

    def __init__(self, df, validate_args=True):
        (self.df,) = broadcast_all(df)
        super().__init__(self.df * 0.5, self.df * 0 + 0.5, validate_args)


class Beta(Distribution):
    """p(x) = x^(a-1) (1 - x)^(b-1) / B(a, b) on [0, 1], log B(a, b) = lgamma(a) + lgamma(b) - lgamma(a + b).
    sample: X / (X + Y) with X ~ Gamma(a, 1), Y ~ Gamma(b, 1)."""

    arg_constraints = {"concentration1": constraints.positive, "concentration0": constraints.positive}
    support = constraints.unit_interval

    def __init__(self, concentration1, concentration0, validate_args=True):
        self.concentration1, self.concentration0 = broadcast_all(concentration1, concentration0)
        super().__init__(self.concentration1.shape, (), validate_args)

    def rsample(self, sample_shape=()):
        raise NotImplementedError(_NO_RSAMPLE.format("Beta"))

    def sample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)

        def draw(generator, a, b):
            x, y = generator.standard_gamma(a, size=shape), generator.standard_gamma(b, size=shape)
            return x / (x + y)
        return self._host_draws(draw, self.concentration1, self.concentration0)

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
        return (self.concentration1 - 1) / (self.concentration1 + self.concentration0 - 2)

    @property
    def variance(self):
        total = self.concentration1 + self.concentration0
        return self.concentration1 * self.concentration0 / (total ** 2 * (total + 1))


class Dirichlet(Distribution):
    """p(x) = prod x_i^(a_i - 1) / B(a) on the simplex, log B(a) = sum lgamma(a_i) - lgamma(sum a_i).
    sample: gamma draws G_i ~ Gamma(a_i, 1) divided by their sum."""

    arg_constraints = {"concentration": constraints.Constraint("IndependentConstraint(GreaterThan(lower_bound=0.0), 1)",
                                                               lambda xp, x: (x > 0).all(-1), event_dim=1)}
    support = constraints.simplex

    def __init__(self, concentration, validate_args=True):
        (self.concentration,) = broadcast_all(concentration)
        if self.concentration.ndim < 1:
            raise ValueError("Dirichlet: concentration needs at least one dimension (the categories)")
        super().__init__(self.concentration.shape[:-1], self.concentration.shape[-1:], validate_args)

    def rsample(self, sample_shape=()):
        raise NotImplementedError(_NO_RSAMPLE.format("Dirichlet"))

    def sample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)

        def draw(generator, a):
            gammas = generator.standard_gamma(a, size=shape)
            return gammas / gammas.sum(-1, keepdims=True)
        return self._host_draws(draw, self.concentration)

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
        a = self.concentration
        return (a - 1).clip(0, None) / (a - 1).clip(0, None).sum(-1, keepdim=True)

    @property
    def variance(self):
        total = self.concentration.sum(-1, keepdim=True)
        return self.concentration * (total - self.concentration) / (total ** 2 * (total + 1))
