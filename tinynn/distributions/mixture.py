"""``MixtureSameFamily``: a weighted mixture of components of one family (a Gaussian mixture model)."""
from .. import backend
from ..tensor import Tensor
from . import constraints
from .categorical import Categorical
from .distribution import Distribution, validating


class MixtureSameFamily(Distribution):
    """p(x) = sum_k pi_k p_k(x), the weights pi a Categorical over the last batch axis of the
    components: log p(x) = logsumexp_k(log pi_k + log p_k(x)); the mean sum_k pi_k mu_k; the
    variance by the law of total variance, E[Var] + Var[E]. sample: a component per draw from
    the Categorical, then that component's draw."""

    has_rsample = False

    def __init__(self, mixture_distribution, component_distribution, validate_args=None):
        if not isinstance(mixture_distribution, Categorical):
            raise ValueError("MixtureSameFamily: mixture_distribution must be a Categorical")
        components = component_distribution.batch_shape
        if not components or components[-1] != mixture_distribution.probs.shape[-1]:
            raise ValueError(f"MixtureSameFamily: the components' last batch dimension {components[-1:]} must be the "
                             f"number of mixture weights {mixture_distribution.probs.shape[-1]}")
        if tuple(mixture_distribution.batch_shape) != components[:-1]:
            raise ValueError(f"MixtureSameFamily: the mixture's batch shape {mixture_distribution.batch_shape} must be "
                             f"the components' without their last dimension, {components[:-1]}")
        self.mixture_distribution, self.component_distribution = mixture_distribution, component_distribution
        self._event_ndims = len(component_distribution.event_shape)
        super().__init__(components[:-1], component_distribution.event_shape, validate_args=False)
        self._validate_args = validating(validate_args)

    def __repr__(self):
        return f"MixtureSameFamily(\n  {self.mixture_distribution},\n  {self.component_distribution})"

    @constraints.dependent_property
    def support(self):
        return constraints.MixtureSameFamilyConstraint(self.component_distribution.support)

    def _like(self):
        return self.mixture_distribution.probs

    def _weights(self):
        """The mixture weights with the component axis placed before the event axes."""
        probs = self.mixture_distribution.probs
        return probs.reshape(probs.shape + (1,) * self._event_ndims)

    def _with_component_axis(self, x):
        return x.unsqueeze(-1 - self._event_ndims)

    def log_prob(self, value):
        value = value if isinstance(value, Tensor) else self._like().new_tensor(value)
        log_each = self.component_distribution.log_prob(self._with_component_axis(value))  # (..., k)
        return (log_each + self.mixture_distribution.logits.log_softmax(-1)).logsumexp(-1)

    def cdf(self, value):
        each = self.component_distribution.cdf(self._with_component_axis(value))
        return (each * self.mixture_distribution.probs).sum(-1)

    def sample(self, sample_shape=()):
        chosen = self.mixture_distribution.sample(sample_shape)  # sample_shape + batch
        drawn = self.component_distribution.sample(sample_shape)  # sample_shape + batch + (k,) + event
        index = chosen.reshape(chosen.shape + (1,) + (1,) * self._event_ndims)
        index = Tensor._from_op(backend.get_array_module(index._array).broadcast_to(
            index._array, chosen.shape + (1,) + self.event_shape), False)
        return drawn.gather(len(chosen.shape), index).squeeze(len(chosen.shape))

    @property
    def mean(self):
        return (self._weights() * self.component_distribution.mean).sum(-1 - self._event_ndims)

    @property
    def variance(self):
        weights = self._weights()
        within = (weights * self.component_distribution.variance).sum(-1 - self._event_ndims)
        spread = (weights * (self.component_distribution.mean - self._with_component_axis(self.mean)) ** 2)
        return within + spread.sum(-1 - self._event_ndims)
