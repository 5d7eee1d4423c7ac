"""The geometric distribution: the number of failures before the first success."""
import numpy as np

from .. import backend
from ..nn import functional as F
from ..tensor import Tensor, where
from . import constraints
from .distribution import Distribution
from .utils import ProbsOrLogits


class Geometric(ProbsOrLogits, Distribution):
    """P(k) = (1 - p)^k p for k = 0, 1, 2, ...  sample: floor(log u / log(1 - p))."""

    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.nonnegative_integer

    def __init__(self, probs=None, logits=None, validate_args=None):
        super().__init__(self._take_probs_or_logits(probs, logits).shape, (), validate_args)
        if self._validate_args and probs is not None and not bool((self.probs._array > 0).all()):
            # a success probability of 0 never stops: beyond the unit interval, as PyTorch checks
            raise ValueError(f"Geometric: expected parameter probs of shape {tuple(self.probs.shape)} to be in "
                             f"(0, 1], but found invalid values:\n{self.probs._array}")

    def sample(self, sample_shape=()):
        uniform = self._noise("uniform", self._extended_shape(sample_shape))._array
        xp = backend.get_array_module(uniform)
        tiny = float(np.finfo(uniform.dtype).tiny)
        return Tensor._from_op(xp.floor(xp.log(xp.maximum(uniform, tiny)) / xp.log1p(-self.probs._array)), False)

    def log_prob(self, value):
        value = self._validate_sample(value)
        # (1 - p)^0 = 1 even where p = 1: p taken as 0 there, as PyTorch, so no log(0) * 0 = NaN
        probs = where((self.probs._array == 1) & (value._array == 0), 0.0, self.probs)
        return value * (-probs).log1p() + self.probs.log()

    def entropy(self):
        return F.binary_cross_entropy_with_logits(self.logits, self.probs, reduction="none") / self.probs

    @property
    def mean(self):
        return 1 / self.probs - 1

    @property
    def mode(self):
        return self.probs * 0

    @property
    def variance(self):
        return (1 / self.probs - 1) / self.probs

