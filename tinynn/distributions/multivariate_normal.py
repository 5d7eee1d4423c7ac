"""The multivariate normal distribution N(loc, Sigma) over vectors of k numbers."""
import functools
import math

import numpy as np

from .. import linalg
from . import constraints
from .distribution import Distribution


class MultivariateNormal(Distribution):
    """p(x) = exp(-(x - mu)^T Sigma^-1 (x - mu) / 2) / sqrt((2 pi)^k det Sigma), given by the
    covariance Sigma, the precision Sigma^-1 or the lower-triangular L with Sigma = L L^T (one of
    the three; everything is computed from L).

    rsample: x = mu + L e with e ~ N(0, I).  log p(x) = -(|L^-1 (x - mu)|^2 + k log(2 pi)) / 2 - sum log L_ii.
    """

    arg_constraints = {"loc": constraints.real_vector, "covariance_matrix": constraints.positive_definite,
                       "precision_matrix": constraints.positive_definite, "scale_tril": constraints.lower_cholesky}
    support = constraints.real_vector
    has_rsample = True

    def __init__(self, loc, covariance_matrix=None, precision_matrix=None, scale_tril=None, validate_args=None):
        given = [m for m in (covariance_matrix, precision_matrix, scale_tril) if m is not None]
        if len(given) != 1:
            raise ValueError("MultivariateNormal: give exactly one of covariance_matrix, precision_matrix and scale_tril")
        matrix = given[0]
        if loc.ndim < 1 or matrix.ndim < 2 or matrix.shape[-1] != matrix.shape[-2] or matrix.shape[-1] != loc.shape[-1]:
            raise ValueError(f"MultivariateNormal: loc (..., k) and a matrix (..., k, k) are needed, got shapes "
                             f"{tuple(loc.shape)} and {tuple(matrix.shape)}")
        batch_shape = np.broadcast_shapes(tuple(loc.shape[:-1]), tuple(matrix.shape[:-2]))
        k = loc.shape[-1]
        self.loc = loc.expand(batch_shape + (k,))
        if covariance_matrix is not None:
            self.covariance_matrix = covariance_matrix.expand(batch_shape + (k, k))
        elif precision_matrix is not None:
            self.precision_matrix = precision_matrix.expand(batch_shape + (k, k))
        else:
            self.scale_tril = scale_tril.expand(batch_shape + (k, k))
        super().__init__(batch_shape, (k,), validate_args)

    @functools.cached_property
    def scale_tril(self):
        if "covariance_matrix" in self.__dict__:
            return linalg.cholesky(self.covariance_matrix)
        return linalg.cholesky(linalg.inv(self.precision_matrix))

    @functools.cached_property
    def covariance_matrix(self):
        return self.scale_tril @ self.scale_tril.mT

    @functools.cached_property
    def precision_matrix(self):
        return linalg.inv(self.covariance_matrix)

    def rsample(self, sample_shape=()):
        noise = self._noise("normal", self._extended_shape(sample_shape))
        return self.loc + (self.scale_tril @ noise.unsqueeze(-1)).squeeze(-1)

    def _half_log_det(self):
        return self.scale_tril.diagonal(0, -2, -1).log().sum(-1)

    def log_prob(self, value):
        value = self._validate_sample(value)
        difference = (value - self.loc).unsqueeze(-1)
        scale_tril = self.scale_tril.expand(difference.shape[:-2] + self.scale_tril.shape[-2:])
        whitened = linalg.solve_triangular(scale_tril, difference, upper=False).squeeze(-1)
        k = self.event_shape[0]
        return -0.5 * ((whitened ** 2).sum(-1) + k * math.log(2 * math.pi)) - self._half_log_det()

    def entropy(self):
        k = self.event_shape[0]
        return 0.5 * k * (1 + math.log(2 * math.pi)) + self._half_log_det()

    @property
    def mean(self):
        return self.loc

    @property
    def mode(self):
        return self.loc

    @property
    def variance(self):
        return (self.scale_tril ** 2).sum(-1)
