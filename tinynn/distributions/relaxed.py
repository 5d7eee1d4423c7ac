"""Continuous relaxations of discrete variables (Concrete / Gumbel-softmax, Maddison et al. 2017;
Jang et al. 2017): draws that approach one-hot vectors (or 0/1) as the temperature falls, and are
differentiable in the probabilities, so a discrete choice can sit inside a network trained by
backpropagation (``rsample``).

    LogitRelaxedBernoulli(t, l):   y = (l + log u - log(1 - u)) / t, u uniform (logistic noise);
        log p(y) = log t - t y + l - 2 softplus(l - t y)
    RelaxedBernoulli:              sigmoid(y), a TransformedDistribution of the above
    ExpRelaxedCategorical(t, l):   y = log softmax((l + g) / t), g Gumbel draws (-log(-log u));
        log p(y) = lgamma(K) + (K - 1) log t + sum_k (l_k - t y_k) - K logsumexp_k(l_k - t y_k)
    RelaxedOneHotCategorical:      exp(y), a point on the simplex

(the densities as PyTorch computes them; l are normalised log-probabilities for the categorical).
"""
import math

from ..tensor import Tensor
from . import constraints
from .categorical import Categorical, CategoricalParameters
from .distribution import Distribution, broadcast_all
from .transformed import TransformedDistribution
from .transforms import ExpTransform, SigmoidTransform
from .utils import ProbsOrLogits, clamp_probs, exactly_one


def _uniform_inside(distribution, shape):
    """Uniform draws kept inside (0, 1) by the dtype's epsilon, so their logs stay finite."""
    return clamp_probs(distribution._noise("uniform", shape))


def _temperature(temperature, like):
    return temperature if isinstance(temperature, Tensor) else like._operand(float(temperature))


class LogitRelaxedBernoulli(ProbsOrLogits, Distribution):
    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.real
    has_rsample = True

    def __init__(self, temperature, probs=None, logits=None, validate_args=None):
        exactly_one(probs, logits, type(self).__name__)
        given = "probs" if probs is not None else "logits"
        (param,) = broadcast_all(probs if probs is not None else logits)
        setattr(self, given, param)
        self.temperature = _temperature(temperature, param)
        super().__init__(param.shape, (), validate_args)

    def rsample(self, sample_shape=()):
        u = _uniform_inside(self, self._extended_shape(sample_shape))
        return (u.log() - (-u).log1p() + self.logits) / self.temperature

    def log_prob(self, value):
        value = self._validate_sample(value)
        difference = self.logits - value * self.temperature
        return self.temperature.log() + difference - 2 * difference.exp().log1p()


class _BaseParameters:
    """temperature, probs and logits of a relaxed distribution, read from its base distribution."""

    @property
    def temperature(self):
        return self.base_dist.temperature

    @property
    def probs(self):
        return self.base_dist.probs

    @property
    def logits(self):
        return self.base_dist.logits


class RelaxedBernoulli(_BaseParameters, TransformedDistribution):
    """sigmoid of a ``LogitRelaxedBernoulli`` draw: a value in (0, 1) near 0 or 1 at low temperature."""

    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.unit_interval
    has_rsample = True

    def __init__(self, temperature, probs=None, logits=None, validate_args=None):
        super().__init__(LogitRelaxedBernoulli(temperature, probs, logits, validate_args), [SigmoidTransform()],
                         validate_args)


class ExpRelaxedCategorical(CategoricalParameters, Distribution):
    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}
    support = constraints.real_vector
    has_rsample = True

    def __init__(self, temperature, probs=None, logits=None, validate_args=None):
        self._categorical = Categorical(probs, logits, validate_args)
        self.temperature = _temperature(temperature, self._categorical._param)
        shape = self._categorical.param_shape
        super().__init__(shape[:-1], shape[-1:], validate_args)

    def rsample(self, sample_shape=()):
        u = _uniform_inside(self, self._extended_shape(sample_shape))
        scores = (self.logits - (-u.log()).log()) / self.temperature
        return scores - scores.logsumexp(-1, keepdim=True)

    def log_prob(self, value):
        value = self._validate_sample(value)
        categories = self.event_shape[-1]
        log_scale = math.lgamma(categories) + (categories - 1) * self.temperature.log()
        score = self.logits - value * self.temperature
        return (score - score.logsumexp(-1, keepdim=True)).sum(-1) + log_scale


class RelaxedOneHotCategorical(_BaseParameters, TransformedDistribution):
    """exp of an ``ExpRelaxedCategorical`` draw: a point of the simplex, near a one-hot vector at low
    temperature (the Gumbel-softmax sample, as ``F.gumbel_softmax`` draws it)."""

    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}
    support = constraints.simplex
    has_rsample = True

    def __init__(self, temperature, probs=None, logits=None, validate_args=None):
        super().__init__(ExpRelaxedCategorical(temperature, probs, logits, validate_args), [ExpTransform()],
                         validate_args)

