"""Invertible maps y = f(x) with the log of their Jacobian's determinant, for
``TransformedDistribution`` (normalizing flows, squashed Gaussians), as
``torch.distributions.transforms``.

If X has density p and Y = f(X), then log p_Y(y) = log p_X(f^-1(y)) - log |det df/dx| at x = f^-1(y).
Each transform gives f (``__call__``), f^-1 (``inv``), log |det df/dx| (``log_abs_det_jacobian(x,
y)``), which values it takes and gives (``domain``, ``codomain``), and ``sign``, the sign of df/dx
for a monotone scalar map. With ``cache_size=1`` a transform remembers its last (x, y), so the
inverse of a value it just made is that x itself: tanh's inverse at a draw rounded to +-1 is then
not inf (the usual way to score a squashed Gaussian's own samples).
"""
import copy
import math

import numpy as np

from ..nn import functional as F
from . import constraints


def sum_rightmost(value, dims):
    """``value`` summed over its last ``dims`` axes (a number stays a number)."""
    if dims <= 0 or not hasattr(value, "sum"):
        return value
    return value.sum(tuple(range(-dims, 0)))


class Transform:
    domain = constraints.real
    codomain = constraints.real
    bijective = True
    sign = 1

    def __init__(self, cache_size=0):
        if cache_size not in (0, 1):
            raise ValueError(f"{type(self).__name__}: cache_size must be 0 or 1, got {cache_size}")
        self._cache_size, self._cached = cache_size, None

    @property
    def inv(self):
        """The inverse transform (x = f^-1(y)), sharing this one's cache."""
        return _InverseTransform(self)

    def __call__(self, x):
        y = self._call(x)
        if self._cache_size:
            self._cached = (x, y)
        return y

    def _inv_call(self, y):
        if self._cached is not None and self._cached[1] is y:
            return self._cached[0]
        x = self._inverse(y)
        if self._cache_size:
            self._cached = (x, y)
        return x

    def _call(self, x):
        raise NotImplementedError(f"{type(self).__name__} must implement _call")

    def _inverse(self, y):
        raise NotImplementedError(f"{type(self).__name__} has no inverse")

    def log_abs_det_jacobian(self, x, y):
        raise NotImplementedError(f"{type(self).__name__}.log_abs_det_jacobian is not implemented")

    def forward_shape(self, shape):
        """The shape of f(x) for an x of ``shape`` (the same, for most transforms)."""
        return tuple(shape)

    def inverse_shape(self, shape):
        return tuple(shape)

    def with_cache(self, cache_size=1):
        """This transform with a cache of ``cache_size`` (a copy, when that differs)."""
        if self._cache_size == cache_size:
            return self
        twin = copy.copy(self)
        twin._cache_size, twin._cached = cache_size, None
        return twin

    def __repr__(self):
        return f"{type(self).__name__}()"


class _InverseTransform(Transform):
    def __init__(self, transform):
        super().__init__()
        self._transform = transform
        self.domain, self.codomain = transform.codomain, transform.domain
        self.bijective, self.sign = transform.bijective, transform.sign

    @property
    def inv(self):
        return self._transform

    def __call__(self, y):
        return self._transform._inv_call(y)

    def _inv_call(self, x):
        return self._transform(x)

    def log_abs_det_jacobian(self, x, y):
        return -self._transform.log_abs_det_jacobian(y, x)

    def forward_shape(self, shape):
        return self._transform.inverse_shape(shape)

    def inverse_shape(self, shape):
        return self._transform.forward_shape(shape)

    def __repr__(self):
        return f"{self._transform!r}.inv"


class ExpTransform(Transform):
    """y = e^x.  log |dy/dx| = x."""

    codomain = constraints.positive

    def _call(self, x):
        return x.exp()

    def _inverse(self, y):
        return y.log()

    def log_abs_det_jacobian(self, x, y):
        return x


class AffineTransform(Transform):
    """y = loc + scale x.  log |dy/dx| = log |scale| per element, summed over the last ``event_dim``
    axes (the map then acts on events of that many dimensions)."""

    def __init__(self, loc, scale, event_dim=0, cache_size=0):
        super().__init__(cache_size)
        self.loc, self.scale, self.event_dim = loc, scale, event_dim
        if event_dim:
            self.domain = self.codomain = constraints.independent(constraints.real, event_dim)

    @property
    def sign(self):
        scale = self.scale
        return (1 if scale > 0 else -1) if isinstance(scale, (int, float)) else scale.sign()

    def _call(self, x):
        return self.loc + self.scale * x

    def _inverse(self, y):
        return (y - self.loc) / self.scale

    def log_abs_det_jacobian(self, x, y):
        scale = self.scale
        if isinstance(scale, (int, float)):
            value = x * 0 + math.log(abs(scale))
        else:
            value = (scale.abs().log() + x * 0)
        return sum_rightmost(value, self.event_dim)


def _clip_unit(y):
    info = np.finfo(y.dtype)
    return y.clip(float(info.tiny), 1 - float(info.eps))


class SigmoidTransform(Transform):
    """y = 1 / (1 + e^-x).  log |dy/dx| = -softplus(-x) - softplus(x).
    As PyTorch, y is kept within [tiny, 1 - eps] of the dtype both ways, so a saturated value
    (a relaxed Bernoulli draw at low temperature) still has a finite inverse and log-density."""

    codomain = constraints.interval(0.0, 1.0)

    def _call(self, x):
        return _clip_unit(x.sigmoid())

    def _inverse(self, y):
        y = _clip_unit(y)
        return y.log() - (-y).log1p()

    def log_abs_det_jacobian(self, x, y):
        return -F.softplus(-x) - F.softplus(x)


class TanhTransform(Transform):
    """y = tanh(x).  log |dy/dx| = log(1 - tanh(x)^2), written 2 (log 2 - x - softplus(-2x)) so it
    stays finite for large |x|."""

    codomain = constraints.interval(-1.0, 1.0)

    def _call(self, x):
        return x.tanh()

    def _inverse(self, y):
        return 0.5 * ((1 + y).log() - (1 - y).log())  # atanh

    def log_abs_det_jacobian(self, x, y):
        return 2.0 * (math.log(2.0) - x - F.softplus(-2.0 * x))


class SoftplusTransform(Transform):
    """y = log(1 + e^x).  log |dy/dx| = -softplus(-x)."""

    codomain = constraints.positive

    def _call(self, x):
        return F.softplus(x)

    def _inverse(self, y):
        return (-(-y).expm1()).log() + y  # log(e^y - 1), without overflow

    def log_abs_det_jacobian(self, x, y):
        return -F.softplus(-x)


class PowerTransform(Transform):
    """y = x^exponent (x > 0).  log |dy/dx| = log |exponent y / x|."""

    domain = codomain = constraints.positive

    def __init__(self, exponent, cache_size=0):
        super().__init__(cache_size)
        self.exponent = exponent

    @property
    def sign(self):
        exponent = self.exponent
        return (1 if exponent > 0 else -1) if isinstance(exponent, (int, float)) else exponent.sign()

    def _call(self, x):
        return x ** self.exponent

    def _inverse(self, y):
        return y ** (1 / self.exponent)

    def log_abs_det_jacobian(self, x, y):
        return (self.exponent * y / x).abs().log()


class ComposeTransform(Transform):
    """The transforms applied in order; the log-determinants add up."""

    def __init__(self, parts, cache_size=0):
        super().__init__(cache_size)
        self.parts = list(parts)
        if self.parts:
            self.domain, self.codomain = self.parts[0].domain, self.parts[-1].codomain
        self.bijective = all(part.bijective for part in self.parts)

    @property
    def sign(self):
        sign = 1
        for part in self.parts:
            sign = sign * part.sign
        return sign

    def _call(self, x):
        for part in self.parts:
            x = part(x)
        return x

    def _inverse(self, y):
        for part in reversed(self.parts):
            y = part.inv(y)
        return y

    def forward_shape(self, shape):
        for part in self.parts:
            shape = part.forward_shape(shape)
        return tuple(shape)

    def inverse_shape(self, shape):
        for part in reversed(self.parts):
            shape = part.inverse_shape(shape)
        return tuple(shape)

    def log_abs_det_jacobian(self, x, y):
        if not self.parts:
            return x.new_zeros(x.shape)
        total, event_dim = 0.0, max(part.codomain.event_dim for part in self.parts)
        for part in self.parts:
            after = part(x)
            total = total + sum_rightmost(part.log_abs_det_jacobian(x, after), event_dim - part.codomain.event_dim)
            x = after
        return total


class AbsTransform(Transform):
    """y = |x| (not invertible: the inverse gives the positive root, y itself)."""

    codomain = constraints.positive
    bijective = False

    def _call(self, x):
        return x.abs()

    def _inverse(self, y):
        return y


class CumulativeDistributionTransform(Transform):
    """y = F(x), the CDF of ``distribution``, onto (0, 1) (its inverse the quantile function).
    log |dy/dx| = log p(x), the density."""

    codomain = constraints.unit_interval

    def __init__(self, distribution, cache_size=0):
        super().__init__(cache_size)
        self.distribution = distribution

    @property
    def domain(self):
        return self.distribution.support

    def _call(self, x):
        return self.distribution.cdf(x)

    def _inverse(self, y):
        return self.distribution.icdf(y)

    def log_abs_det_jacobian(self, x, y):
        return self.distribution.log_prob(x)


# the transforms of vectors, matrices and shapes, in their own module, are PyTorch's transforms too
from .vector_transforms import (CatTransform, CorrCholeskyTransform, IndependentTransform,  # noqa: E402
                                LowerCholeskyTransform, PositiveDefiniteTransform, ReshapeTransform, SoftmaxTransform,
                                StackTransform, StickBreakingTransform)

identity_transform = ComposeTransform([])

__all__ = ["identity_transform", "Transform", "ExpTransform", "AffineTransform", "SigmoidTransform", "TanhTransform", "SoftplusTransform",
           "PowerTransform", "ComposeTransform", "AbsTransform", "CumulativeDistributionTransform", "CatTransform",
           "CorrCholeskyTransform", "IndependentTransform", "LowerCholeskyTransform", "PositiveDefiniteTransform",
           "ReshapeTransform", "SoftmaxTransform", "StackTransform", "StickBreakingTransform"]
