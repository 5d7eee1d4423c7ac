"""The Bernoulli distribution: 1 with probability p, else 0."""
from ..nn import functional as F
from ..tensor import Tensor, where
from . import constraints
from .distribution import broadcast_all
from .exponential_family import ExponentialFamily
from .utils import ProbsOrLogits


class Bernoulli(ProbsOrLogits, ExponentialFamily):
    """P(1) = probs = sigmoid(logits).  log P(x) = x log p + (1 - x) log(1 - p), computed from the
    logits as -BCEWithLogits(logits, x) (no log of 0)."""

    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.boolean
    has_enumerate_support = True

    def __init__(self, probs=None, logits=None, validate_args=None):
        super().__init__(self._take_probs_or_logits(probs, logits).shape, (), validate_args)

    def sample(self, sample_shape=()):
        uniform = self._noise("uniform", self._extended_shape(sample_shape))
        return Tensor._from_op((uniform._array < self.probs._array).astype(self._param.dtype), False)

    def log_prob(self, value):
        value = self._validate_sample(value)
        logits, value = broadcast_all(self.logits, value)
        return -F.binary_cross_entropy_with_logits(logits, value, reduction="none")

    def entropy(self):
        return F.binary_cross_entropy_with_logits(self.logits, self.probs, reduction="none")

    def enumerate_support(self, expand=True):
        values = self._param.new_tensor([0.0, 1.0]).reshape((2,) + (1,) * len(self.batch_shape))
        return values.expand((2,) + self.batch_shape) if expand else values

    @property
    def mean(self):
        return self.probs

    @property
    def mode(self):
        return where((self.probs == 0.5)._array, float("nan"), (self.probs >= 0.5).to(dtype=self._param.dtype))

    @property
    def variance(self):
        return self.probs * (1 - self.probs)

    @property
    def _natural_params(self):
        """(logits,), for t(x) = x."""
        return (self.logits,)

    def _log_normalizer(self, x):
        return F.softplus(x)

    @property
    def _mean_carrier_measure(self):
        return 0
