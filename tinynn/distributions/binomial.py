"""The binomial distribution: successes in total_count independent trials."""
import numpy as np

from ..nn import functional as F
from . import constraints
from .distribution import Distribution, broadcast_all
from .utils import ProbsOrLogits, exactly_one


class Binomial(ProbsOrLogits, Distribution):
    """P(k) = C(n, k) p^k (1 - p)^(n - k).  From the logits l, as PyTorch, without log(0):
    log P(k) = k l - n softplus(l) + log C(n, k), the binomial coefficient by lgamma, softplus(l) =
    -log(1 - p) = -logsigmoid(-l) (finite for any l, and its gradient sigmoid(l) is 1/2 at l = 0, where
    max(l, 0) + log(1 + e^-|l|) has a kink in each term and autograd gave 1)."""

    arg_constraints = {"total_count": constraints.nonnegative_integer, "probs": constraints.unit_interval,
                       "logits": constraints.real}
    has_enumerate_support = True

    def __init__(self, total_count=1, probs=None, logits=None, validate_args=None):
        exactly_one(probs, logits, "Binomial")
        if probs is not None:
            self.total_count, self.probs = broadcast_all(total_count, probs)
            param = self.probs
        else:
            self.total_count, self.logits = broadcast_all(total_count, logits)
            param = self.logits
        self.total_count = self.total_count.to(dtype=param.dtype)
        super().__init__(param.shape, (), validate_args)

    @constraints.dependent_property(is_discrete=True, event_dim=0)
    def support(self):
        return constraints.integer_interval(0, self.total_count)

    def sample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        return self._host_draws(lambda generator, n, p: generator.binomial(n.astype(np.int64), p, size=shape),
                                self.total_count, self.probs)

    def log_prob(self, value):
        value = self._validate_sample(value)
        n, logits = self.total_count, self.logits
        log_choose = (n + 1).lgamma() - (value + 1).lgamma() - (n - value + 1).lgamma()
        return log_choose + value * logits + n * F.logsigmoid(-logits)

    def enumerate_support(self, expand=True):
        count = int(self.total_count._array.max())
        if not bool((self.total_count._array == count).all()):
            raise NotImplementedError("Binomial.enumerate_support: needs one total_count for the whole batch")
        values = self._like().new_tensor(np.arange(count + 1, dtype=np.float64)).reshape(
            (-1,) + (1,) * len(self.batch_shape))
        return values.expand((count + 1,) + self.batch_shape) if expand else values

    def entropy(self):
        """-sum_k P(k) log P(k) over k = 0 .. n (one n for the whole batch, as ``enumerate_support``)."""
        log_probs = self.log_prob(self.enumerate_support(expand=False))
        return -(log_probs.exp() * log_probs).sum(0)

    @property
    def mean(self):
        return self.total_count * self.probs

    @property
    def mode(self):
        return ((self.total_count + 1) * self.probs).floor().minimum(self.total_count)

    @property
    def variance(self):
        return self.total_count * self.probs * (1 - self.probs)
