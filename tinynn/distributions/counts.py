"""Count distributions beyond the binomial and Poisson: the negative binomial (over-dispersed
counts) and the multinomial (counts of K categories in total_count draws)."""
import math

import numpy as np

from ..nn import functional as F
from ..tensor_functions import xlogy
from . import constraints
from .binomial import Binomial
from .categorical import Categorical, CategoricalParameters
from .distribution import Distribution, broadcast_all
from .utils import ProbsOrLogits, exactly_one


class NegativeBinomial(ProbsOrLogits, Distribution):
    """The number k of successes before the r-th failure (r = total_count, any positive real),
    successes having probability p:
        P(k) = Gamma(k + r) / (Gamma(r) k!) p^k (1 - p)^r,
    from the logits l (as PyTorch): log P(k) = k logsigmoid(l) + r logsigmoid(-l) + lgamma(k + r)
    - lgamma(r) - lgamma(k + 1).  Mean r p / (1 - p), variance mean / (1 - p).
    sample: a Poisson draw of a gamma-distributed rate (the gamma-Poisson mixture it is)."""

    arg_constraints = {"total_count": constraints.nonnegative,
                       "probs": constraints.half_open_interval(0.0, 1.0),
                       "logits": constraints.real}
    support = constraints.nonnegative_integer

    def __init__(self, total_count, probs=None, logits=None, validate_args=None):
        exactly_one(probs, logits, "NegativeBinomial")
        given = "probs" if probs is not None else "logits"
        self.total_count, param = broadcast_all(total_count, probs if probs is not None else logits)
        setattr(self, given, param)
        self.total_count = self.total_count.to(dtype=param.dtype)
        super().__init__(param.shape, (), validate_args)

    def sample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        # NumPy counts failures before n successes; here successes (probability p) before r failures
        return self._host_draws(lambda generator, r, p: generator.negative_binomial(r, 1 - p, size=shape),
                                self.total_count, self.probs)

    def log_prob(self, value):
        value = self._validate_sample(value)
        r, logits = self.total_count, self.logits
        log_unnormalized = r * F.logsigmoid(-logits) + value * F.logsigmoid(logits)
        # r = 0 puts all mass at 0, where the lgamma terms below are 0 - inf + 0: they cancel to 0
        log_normalization = (r + value).lgamma() - (value + 1).lgamma() - r.lgamma()
        log_normalization = log_normalization.masked_fill((r._array + value._array) == 0, 0.0)
        return log_unnormalized + log_normalization

    @property
    def mean(self):
        return self.total_count * self.logits.exp()

    @property
    def mode(self):
        return ((self.total_count - 1) * self.logits.exp()).floor().clip(0, None)

    @property
    def variance(self):
        return self.mean / (-self.logits).sigmoid()


class _MultinomialCounts(constraints.multinomial):
    """PyTorch's multinomial support, checked in full: non-negative integers summing to exactly
    ``upper_bound`` (PyTorch checks only a sum of at most it)."""

    def _satisfied(self, xp, x):
        return ((x >= 0) & constraints._whole(xp, x)).all(-1) & (x.sum(-1) == self.upper_bound)


class Multinomial(CategoricalParameters, Distribution):
    """Counts x (K,) of K categories in n = total_count independent draws with probabilities p:
        P(x) = n! / prod x_k! prod p_k^x_k,   log P = lgamma(n + 1) - sum lgamma(x_k + 1) + sum x_k log p_k
    (0 log 0 = 0). Mean n p, variance n p (1 - p) per category. Entropy as PyTorch computes it, from
    the marginal binomials: n H(p) - lgamma(n + 1) + sum_k E[lgamma(x_k + 1)]."""

    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}

    def __init__(self, total_count=1, probs=None, logits=None, validate_args=None):
        if not isinstance(total_count, (int, np.integer)) or isinstance(total_count, bool) or total_count < 0:
            raise ValueError(f"Multinomial: total_count must be a non-negative int (one for the whole batch), got "
                             f"{total_count!r}")
        self.total_count = int(total_count)
        self._categorical = Categorical(probs=probs, logits=logits, validate_args=validate_args)
        shape = self._categorical.param_shape
        super().__init__(shape[:-1], shape[-1:], validate_args)

    @constraints.dependent_property(is_discrete=True, event_dim=1)
    def support(self):
        return _MultinomialCounts(self.total_count)

    def sample(self, sample_shape=()):
        batch = tuple(sample_shape) + self.batch_shape
        probs = np.broadcast_to(self.probs.detach().numpy().astype(np.float64), batch + self.event_shape)
        return self._host_draws(lambda generator: generator.multinomial(self.total_count, probs / probs.sum(-1, keepdims=True)))

    def log_prob(self, value):
        value = self._validate_sample(value)
        return math.lgamma(self.total_count + 1) - (value + 1).lgamma().sum(-1) + xlogy(value, self.probs).sum(-1)

    def entropy(self):
        n = self.total_count
        binomial = Binomial(total_count=n, probs=self.probs, validate_args=False)
        counts = binomial.enumerate_support()  # (n + 1,) + batch + (K,)
        expected_log_factorials = ((counts + 1).lgamma() * binomial.log_prob(counts).exp()).sum((0, -1))
        return n * self._categorical.entropy() - math.lgamma(n + 1) + expected_log_factorials

    @property
    def mean(self):
        return self.probs * self.total_count

    @property
    def variance(self):
        return self.total_count * self.probs * (1 - self.probs)

