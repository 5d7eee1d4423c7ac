"""``Independent``: some of a distribution's batch dimensions read as event dimensions."""
from . import constraints
from .distribution import Distribution, validating


class Independent(Distribution):
    """The last ``reinterpreted_batch_ndims`` batch dimensions of ``base_distribution`` become event
    dimensions: log_prob and entropy are summed over them (a diagonal Normal over vectors is
    ``Independent(Normal(loc, scale), 1)``)."""

    def __init__(self, base_distribution, reinterpreted_batch_ndims, validate_args=None):
        batch_shape = base_distribution.batch_shape
        if not 0 <= reinterpreted_batch_ndims <= len(batch_shape):
            raise ValueError(f"Independent: reinterpreted_batch_ndims must be in [0, {len(batch_shape)}] (the base "
                             f"distribution's batch dimensions {batch_shape}), got {reinterpreted_batch_ndims}")
        self.base_dist, self.reinterpreted_batch_ndims = base_distribution, reinterpreted_batch_ndims
        split = len(batch_shape) - reinterpreted_batch_ndims
        super().__init__(batch_shape[:split], batch_shape[split:] + base_distribution.event_shape, validate_args=False)
        self._validate_args = validating(validate_args)

    def __repr__(self):
        return f"Independent({self.base_dist}, {self.reinterpreted_batch_ndims})"

    @property
    def has_rsample(self):
        return self.base_dist.has_rsample

    @constraints.dependent_property
    def support(self):
        """The base distribution's support, its last ``reinterpreted_batch_ndims`` batch dims part of the
        event (so ``support.check`` answers per event and ``biject_to`` transforms whole events)."""
        support = self.base_dist.support
        return constraints.independent(support, self.reinterpreted_batch_ndims) if self.reinterpreted_batch_ndims else support

    def _sum_reinterpreted(self, value):
        return value.sum(tuple(range(-self.reinterpreted_batch_ndims, 0))) if self.reinterpreted_batch_ndims else value

    def sample(self, sample_shape=()):
        return self.base_dist.sample(sample_shape)

    def rsample(self, sample_shape=()):
        return self.base_dist.rsample(sample_shape)

    def log_prob(self, value):
        return self._sum_reinterpreted(self.base_dist.log_prob(value))

    def entropy(self):
        return self._sum_reinterpreted(self.base_dist.entropy())

    @property
    def mean(self):
        return self.base_dist.mean

    @property
    def mode(self):
        return self.base_dist.mode

    @property
    def variance(self):
        return self.base_dist.variance
