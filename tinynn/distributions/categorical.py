"""The categorical distribution over 0 .. K-1, and its one-hot form."""
import numpy as np

from ..ops.promotion import default_float
from ..tensor import Tensor
from . import constraints
from .distribution import Distribution, validating
from .utils import ProbsOrLogits, exactly_one


class Categorical(ProbsOrLogits, Distribution):
    """P(k) = probs[..., k] (normalised over the last axis), or softmax(logits)[..., k]; the last
    axis is the categories, the others the batch.

    sample: the inverse CDF, the first k whose cumulative probability exceeds a uniform draw.
    """

    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}
    has_enumerate_support = True
    binary = False

    def __init__(self, probs=None, logits=None, validate_args=None):
        exactly_one(probs, logits, type(self).__name__)
        given = probs if probs is not None else logits
        if not isinstance(given, Tensor):
            given = Tensor(np.asarray(given, dtype=default_float()))
        if given.ndim < 1:
            raise ValueError(f"{type(self).__name__}: {'probs' if probs is not None else 'logits'} need at least one "
                             f"dimension (the categories), got a scalar")
        if probs is not None:
            self.probs = given / given.sum(-1, keepdim=True)
        else:
            self.logits = given - given.logsumexp(-1, keepdim=True)
        self._num_events = given.shape[-1]
        super().__init__(given.shape[:-1], (), validate_args)

    @constraints.dependent_property(is_discrete=True, event_dim=0)
    def support(self):
        return constraints.integer_interval(0, self._num_events - 1)

    @property
    def param_shape(self):
        return self._param.shape

    def sample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        uniform = self._noise("uniform", shape + (1,))._array
        cumulative = self.probs._array.cumsum(-1)
        chosen = (cumulative < uniform * cumulative[..., -1:]).sum(-1)
        return Tensor._from_op(chosen.clip(0, self._num_events - 1).astype(np.int64), False)

    def log_prob(self, value):
        value = self._validate_sample(value)
        index = value.to(dtype=np.int64)
        logits = self.logits.expand(np.broadcast_shapes(tuple(index.shape), self.batch_shape) + (self._num_events,))
        index = index.expand(logits.shape[:-1])
        return logits.gather(-1, index.unsqueeze(-1)).squeeze(-1)

    def entropy(self):
        smallest = float(np.finfo(self._param.dtype).min)
        return -(self.probs * self.logits.clip(smallest, None)).sum(-1)

    def enumerate_support(self, expand=True):
        like = self._param
        values = Tensor._from_op(np.arange(self._num_events), False).to(like.device)
        values = values.reshape((-1,) + (1,) * len(self.batch_shape))
        return values.expand((self._num_events,) + self.batch_shape) if expand else values

    @property
    def mean(self):
        return self.probs[..., 0] * float("nan")

    @property
    def mode(self):
        return self.probs.argmax(-1)

    @property
    def variance(self):
        return self.probs[..., 0] * float("nan")


class CategoricalParameters:
    """probs, logits and param_shape of a distribution built on a ``Categorical`` (``self._categorical``):
    the one-hot categorical, the multinomial and the relaxed categorical."""

    @property
    def probs(self):
        return self._categorical.probs

    @property
    def logits(self):
        return self._categorical.logits

    @property
    def param_shape(self):
        return self._categorical.param_shape

    def _like(self):
        return self._categorical._param


class OneHotCategorical(CategoricalParameters, Distribution):
    """A categorical draw written as a one-hot vector of K entries (event_shape (K,))."""

    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}
    support = constraints.one_hot
    has_enumerate_support = True

    def __init__(self, probs=None, logits=None, validate_args=None):
        self._categorical = Categorical(probs, logits, validate_args)
        super().__init__(self._categorical.batch_shape, self._categorical.param_shape[-1:], validate_args=False)
        self._validate_args = validating(validate_args)

    def sample(self, sample_shape=()):
        from ..nn import functional as F

        indices = self._categorical.sample(sample_shape)
        return F.one_hot(indices, self.event_shape[0]).to(dtype=self._like().dtype)

    def log_prob(self, value):
        value = self._validate_sample(value)
        return self._categorical.log_prob(value.argmax(-1))

    def entropy(self):
        return self._categorical.entropy()

    def enumerate_support(self, expand=True):
        n = self.event_shape[0]
        values = Tensor._from_op(np.eye(n, dtype=self._like().dtype), False).to(self._like().device)
        values = values.reshape((n,) + (1,) * len(self.batch_shape) + (n,))
        return values.expand((n,) + self.batch_shape + (n,)) if expand else values

    @property
    def mean(self):
        return self.probs

    @property
    def mode(self):
        from ..nn import functional as F

        return F.one_hot(self.probs.argmax(-1), self.event_shape[0]).to(dtype=self._like().dtype)

    @property
    def variance(self):
        return self.probs * (1 - self.probs)


class OneHotCategoricalStraightThrough(OneHotCategorical):
    """A one-hot categorical whose ``rsample`` passes gradients straight through (Bengio et al.,
    2013): the value is a one-hot draw, its gradient that of the probabilities,
    draw + (probs - probs.detach())."""

    has_rsample = True

    def rsample(self, sample_shape=()):
        draws = self.sample(sample_shape)
        probs = self._categorical.probs
        return draws + (probs - probs.detach())
