"""The multivariate normal with a low-rank-plus-diagonal covariance, Sigma = W W^T + diag(D), for
W (..., k, r) with r much smaller than k (factor analysis, structured VAE posteriors): no k x k
matrix is ever factored, only the r x r capacitance matrix C = I + W^T D^-1 W.

    log det Sigma = log det C + sum log D                           (the matrix determinant lemma)
    x^T Sigma^-1 x = x^T D^-1 x - |L_C^-1 W^T D^-1 x|^2, C = L_C L_C^T  (Woodbury's identity)
    rsample: x = mu + W e_r + sqrt(D) e_k, e ~ N(0, I)
"""
import functools
import math

import numpy as np

from .. import linalg
from ..tensor import expect_tensor
from . import constraints
from .distribution import Distribution


class LowRankMultivariateNormal(Distribution):
    arg_constraints = {"loc": constraints.real_vector, "cov_factor": constraints.independent(constraints.real, 2),
                       "cov_diag": constraints.independent(constraints.positive, 1)}
    support = constraints.real_vector
    has_rsample = True

    def __init__(self, loc, cov_factor, cov_diag, validate_args=None):
        for name, value in (("loc", loc), ("cov_factor", cov_factor), ("cov_diag", cov_diag)):
            expect_tensor(value, "LowRankMultivariateNormal", name)
        if loc.ndim < 1 or cov_factor.ndim < 2 or cov_diag.ndim < 1 or not \
                loc.shape[-1] == cov_factor.shape[-2] == cov_diag.shape[-1]:
            raise ValueError(f"LowRankMultivariateNormal: loc (..., k), cov_factor (..., k, r) and cov_diag (..., k) "
                             f"are needed, got shapes {tuple(loc.shape)}, {tuple(cov_factor.shape)} and "
                             f"{tuple(cov_diag.shape)}")
        k, rank = cov_factor.shape[-2:]
        batch_shape = np.broadcast_shapes(tuple(loc.shape[:-1]), tuple(cov_factor.shape[:-2]), tuple(cov_diag.shape[:-1]))
        self.loc = loc.expand(batch_shape + (k,))
        self.cov_factor = cov_factor.expand(batch_shape + (k, rank))
        self.cov_diag = cov_diag.expand(batch_shape + (k,))
        super().__init__(batch_shape, (k,), validate_args)

    @functools.cached_property
    def _capacitance_tril(self):
        """L_C, the Cholesky factor of C = I + W^T D^-1 W (..., r, r)."""
        scaled = self.cov_factor / self.cov_diag.unsqueeze(-1)
        rank = self.cov_factor.shape[-1]
        eye = self.cov_factor.new_tensor(np.eye(rank))
        return linalg.cholesky(eye + self.cov_factor.mT @ scaled)

    def _log_det_covariance(self):
        return 2 * self._capacitance_tril.diagonal(0, -2, -1).log().sum(-1) + self.cov_diag.log().sum(-1)

    def _mahalanobis(self, difference):
        """difference^T Sigma^-1 difference by Woodbury's identity."""
        scaled = difference / self.cov_diag
        projected = (self.cov_factor.mT @ scaled.unsqueeze(-1))  # (..., r, 1)
        solved = linalg.solve_triangular(self._capacitance_tril, projected, upper=False).squeeze(-1)
        return (difference * scaled).sum(-1) - (solved * solved).sum(-1)

    def rsample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        rank = self.cov_factor.shape[-1]
        low_rank = self._noise("normal", shape[:-1] + (rank,))
        return self.loc + (self.cov_factor @ low_rank.unsqueeze(-1)).squeeze(-1) + \
            self.cov_diag.sqrt() * self._noise("normal", shape)

    def log_prob(self, value):
        value = self._validate_sample(value)
        k = self.event_shape[0]
        return -0.5 * (k * math.log(2 * math.pi) + self._log_det_covariance() + self._mahalanobis(value - self.loc))

    def entropy(self):
        k = self.event_shape[0]
        return 0.5 * (k * (1 + math.log(2 * math.pi)) + self._log_det_covariance())

    @property
    def mean(self):
        return self.loc

    @property
    def mode(self):
        return self.loc

    @property
    def variance(self):
        return (self.cov_factor ** 2).sum(-1) + self.cov_diag

    @functools.cached_property
    def covariance_matrix(self):
        return self.cov_factor @ self.cov_factor.mT + self.cov_diag.diag_embed()

    @functools.cached_property
    def scale_tril(self):
        return linalg.cholesky(self.covariance_matrix)

    @functools.cached_property
    def precision_matrix(self):
        """D^-1 - D^-1 W C^-1 W^T D^-1 (Woodbury)."""
        scaled = self.cov_factor / self.cov_diag.unsqueeze(-1)  # D^-1 W
        solved = linalg.solve_triangular(self._capacitance_tril, scaled.mT, upper=False)  # L_C^-1 W^T D^-1
        return (1 / self.cov_diag).diag_embed() - solved.mT @ solved
