"""``TransformedDistribution``: the distribution of f(X) for X from a base distribution and f a
chain of invertible transforms (``transforms.py``), as PyTorch's.

    log p(y) = log p_X(x) - sum over the transforms of log |det df/dx|,   x = f^-1(y),

each transform's log-determinant summed over the event axes; samples are the base's samples
pushed through the transforms (``rsample`` when the base has one: a squashed Gaussian
``TransformedDistribution(Normal(mu, sigma), [TanhTransform(cache_size=1)])`` is SAC's policy).
"""
from . import constraints
from .distribution import Distribution, validating
from .transforms import ComposeTransform, Transform, sum_rightmost


class TransformedDistribution(Distribution):
    arg_constraints = {}

    def __init__(self, base_distribution, transforms, validate_args=None):
        if isinstance(transforms, Transform):
            transforms = [transforms]
        if not isinstance(transforms, list) or not all(isinstance(t, Transform) for t in transforms):
            raise ValueError(f"TransformedDistribution: transforms must be a Transform or a list of them, got "
                             f"{transforms!r}")
        self.base_dist, self.transforms = base_distribution, transforms
        base_shape = tuple(base_distribution.batch_shape) + tuple(base_distribution.event_shape)
        chain = ComposeTransform(transforms)
        if len(base_shape) < chain.domain.event_dim:
            raise ValueError(f"TransformedDistribution: the base distribution's shape {base_shape} has fewer than the "
                             f"{chain.domain.event_dim} event dimensions the transforms need")
        shape = chain.forward_shape(base_shape)  # a draw's shape after the transforms (stick breaking adds one)
        event_dim = chain.codomain.event_dim + max(len(base_distribution.event_shape) - chain.domain.event_dim, 0)
        cut = len(shape) - event_dim
        super().__init__(shape[:cut], shape[cut:], validate_args=False)
        self._validate_args = validating(validate_args)

    @constraints.dependent_property(is_discrete=False)
    def support(self):
        """The last transform's codomain, over the whole event."""
        if not self.transforms:
            return self.base_dist.support
        support = self.transforms[-1].codomain
        if len(self.event_shape) > support.event_dim:
            support = constraints.independent(support, len(self.event_shape) - support.event_dim)
        return support

    @property
    def has_rsample(self):
        return self.base_dist.has_rsample

    def _like(self):
        return self.base_dist._like()

    def sample(self, sample_shape=()):
        x = self.base_dist.sample(sample_shape)
        for transform in self.transforms:
            x = transform(x)
        return x.detach()

    def rsample(self, sample_shape=()):
        x = self.base_dist.rsample(sample_shape)
        for transform in self.transforms:
            x = transform(x)
        return x

    def log_prob(self, value):
        y = self._validate_sample(value)
        event_dim = len(self.event_shape)
        log_prob = 0.0
        for transform in reversed(self.transforms):
            x = transform.inv(y)
            event_dim += transform.domain.event_dim - transform.codomain.event_dim
            log_prob = log_prob - sum_rightmost(transform.log_abs_det_jacobian(x, y),
                                                event_dim - transform.domain.event_dim)
            y = x
        return log_prob + sum_rightmost(self.base_dist.log_prob(y), event_dim - len(self.base_dist.event_shape))

    def _monotonized(self, value):
        """A CDF value turned around where the chain of transforms decreases."""
        sign = 1
        for transform in self.transforms:
            sign = sign * transform.sign
        return value if isinstance(sign, int) and sign == 1 else sign * (value - 0.5) + 0.5

    def cdf(self, value):
        for transform in reversed(self.transforms):
            value = transform.inv(value)
        return self._monotonized(self.base_dist.cdf(value))

    def icdf(self, value):
        value = self.base_dist.icdf(self._monotonized(value))
        for transform in self.transforms:
            value = transform(value)
        return value
