"""Distributions over matrices: the Wishart distribution of covariance matrices and the LKJ
distribution of correlation matrices, given by their Cholesky factors (priors for the covariance
of a multivariate normal)."""
import math

import numpy as np

from .. import backend, linalg
from ..autograd import no_grad
from ..functions import cholesky_solve
from ..tensor import where
from . import constraints
from .distribution import Distribution, broadcast_all
from .exponential_family import ExponentialFamily
from .gamma import Beta, Chi2


def _multivariate_digamma(x, p):
    """sum_(i<p) digamma(x - i/2)."""
    return (x.unsqueeze(-1) - x.new_tensor(np.arange(p) / 2)).digamma().sum(-1)


class Wishart(ExponentialFamily):
    """W_p(df, Sigma): the distribution of X^T X for the df rows of X drawn from N(0, Sigma), p x p
    positive definite matrices, given by Sigma, its inverse or its Cholesky factor L (one of them);
    df > p - 1.

        log p(X) = -df (p log 2 / 2 + sum log L_ii) - mvlgamma(df/2, p)
                   + (df - p - 1)/2 log det X - tr(Sigma^-1 X) / 2

    rsample by Bartlett's decomposition: X = (L A)(L A)^T with A lower triangular, A_ii =
    sqrt(chi2(df - i)) (reparameterised) and standard normals below the diagonal. Mean df Sigma,
    mode (df - p - 1) Sigma (NaN for df <= p + 1), variance df (Sigma_ij^2 + Sigma_ii Sigma_jj);
    entropy (p + 1)(p log 2 / 2 + sum log L_ii) + mvlgamma(df/2, p) - (df - p - 1)/2 mvdigamma(df/2, p)
    + df p / 2."""

    support = constraints.positive_definite
    has_rsample = True

    def __init__(self, df, covariance_matrix=None, precision_matrix=None, scale_tril=None, validate_args=None):
        given = [m for m in (covariance_matrix, precision_matrix, scale_tril) if m is not None]
        if len(given) != 1:
            raise ValueError("Wishart: give exactly one of covariance_matrix, precision_matrix and scale_tril")
        matrix = given[0]
        if matrix.ndim < 2 or matrix.shape[-1] != matrix.shape[-2]:
            raise ValueError(f"Wishart: expected square matrices (..., p, p), got shape {tuple(matrix.shape)}")
        p = matrix.shape[-1]
        df = matrix._operand(df)
        batch_shape = np.broadcast_shapes(tuple(df.shape), tuple(matrix.shape[:-2]))
        self.df = df.expand(batch_shape)
        if bool((self.df._array <= p - 1).any()):
            raise ValueError(f"Wishart: df must be greater than p - 1 = {p - 1}, got {self.df._array}")
        if scale_tril is not None:
            self.scale_tril = scale_tril.expand(batch_shape + (p, p))
        elif covariance_matrix is not None:
            self.covariance_matrix = covariance_matrix.expand(batch_shape + (p, p))
        else:
            self.precision_matrix = precision_matrix.expand(batch_shape + (p, p))
        super().__init__(batch_shape, (p, p), validate_args)
        # (kept apart from scale_tril, so that the parameters printed are the ones given, as PyTorch's)
        self._cholesky = (self.scale_tril if scale_tril is not None else
                          linalg.cholesky(self.covariance_matrix if covariance_matrix is not None
                                          else linalg.inv(self.precision_matrix)))

    @property
    def arg_constraints(self):
        return {"covariance_matrix": constraints.positive_definite,
                "precision_matrix": constraints.positive_definite, "scale_tril": constraints.lower_cholesky,
                "df": constraints.greater_than(self.event_shape[-1] - 1)}

    def __getattr__(self, name):
        # the factor, covariance and precision that were not given, from the Cholesky factor
        if name == "scale_tril":
            value = self._cholesky
        elif name == "covariance_matrix":
            value = self._cholesky @ self._cholesky.mT
        elif name == "precision_matrix":
            eye = self._cholesky.new_tensor(np.eye(self.event_shape[-1]))
            value = cholesky_solve(eye.expand(self._cholesky.shape), self._cholesky)
        else:
            raise AttributeError(name)
        self.__dict__[name] = value
        return value

    def _half_log_det_scale(self):
        """p log 2 / 2 + sum log L_ii."""
        p = self.event_shape[-1]
        return p * math.log(2) / 2 + self._cholesky.diagonal(0, -2, -1).log().sum(-1)

    def rsample(self, sample_shape=()):
        p = self.event_shape[-1]
        degrees = self.df.unsqueeze(-1) - self.df.new_tensor(np.arange(p, dtype=np.float64))
        diagonal = Chi2(degrees, validate_args=False).rsample(sample_shape).sqrt()
        tiny = float(np.finfo(diagonal.dtype).eps)
        bartlett = diagonal.clip(tiny, None).diag_embed() + \
            self._noise("normal", self._extended_shape(sample_shape)).tril(-1)
        factor = self._cholesky @ bartlett
        return factor @ factor.mT

    def log_prob(self, value):
        value = self._validate_sample(value)
        nu, p = self.df, self.event_shape[-1]
        trace = cholesky_solve(value, self._cholesky).diagonal(0, -2, -1).sum(-1)
        return (-nu * self._half_log_det_scale() - (nu / 2).mvlgamma(p)
                + (nu - p - 1) / 2 * linalg.slogdet(value).logabsdet - trace / 2)

    def entropy(self):
        nu, p = self.df, self.event_shape[-1]
        return ((p + 1) * self._half_log_det_scale() + (nu / 2).mvlgamma(p)
                - (nu - p - 1) / 2 * _multivariate_digamma(nu / 2, p) + nu * p / 2)

    # An exponential family, as PyTorch's (its KL divergence from another Wishart comes from these):
    # t(X) = (X, log det X), theta = (-Sigma^-1 / 2, (df - p - 1) / 2), h(X) = 1, and
    # F(theta) = (theta_2 + (p + 1)/2) (p log 2 - log det(-2 theta_1)) + mvlgamma(theta_2 + (p + 1)/2, p).
    @property
    def _natural_params(self):
        return -self.precision_matrix / 2, (self.df - self.event_shape[-1] - 1) / 2

    def _log_normalizer(self, precision_part, df_part):
        p = self.event_shape[-1]
        half_df = df_part + (p + 1) / 2
        return half_df * (p * math.log(2) - linalg.slogdet(-2 * precision_part).logabsdet) + half_df.mvlgamma(p)

    @property
    def _mean_carrier_measure(self):
        return 0

    @property
    def mean(self):
        return self.df.unsqueeze(-1).unsqueeze(-1) * self.covariance_matrix

    @property
    def mode(self):
        factor = self.df - self.event_shape[-1] - 1
        factor = where((factor > 0)._array, factor, float("nan"))
        return factor.unsqueeze(-1).unsqueeze(-1) * self.covariance_matrix

    @property
    def variance(self):
        sigma = self.covariance_matrix
        diagonal = sigma.diagonal(0, -2, -1)
        return self.df.unsqueeze(-1).unsqueeze(-1) * (sigma ** 2 + diagonal.unsqueeze(-1) * diagonal.unsqueeze(-2))


class LKJCholesky(Distribution):
    """The LKJ distribution (Lewandowski, Kurowicka and Joe, 2009) of D x D correlation matrices,
    p(C) proportional to det(C)^(eta - 1), over their Cholesky factors L (C = L L^T):

        log p(L) = sum_(i=2..D) (2 (eta - 1) + D - i) log L_ii - log normaliser,

    the second term from the Jacobian of L -> C; eta = concentration (1: uniform over correlation
    matrices; larger: nearer the identity). Drawn by the onion method, vectorised: row i of L is
    sqrt(y_i) times a uniform direction in its first i - 1 coordinates, y_i ~ Beta(i/2 - 1/2 ...),
    and the diagonal completes each row to unit length."""

    arg_constraints = {"concentration": constraints.positive}
    support = constraints.corr_cholesky

    def __init__(self, dim, concentration=1.0, validate_args=None):
        if not isinstance(dim, (int, np.integer)) or dim < 2:
            raise ValueError(f"LKJCholesky: dim must be an integer of at least 2, got {dim!r}")
        self.dim = int(dim)
        (self.concentration,) = broadcast_all(concentration)
        super().__init__(self.concentration.shape, (self.dim, self.dim), validate_args)
        offset = np.concatenate([[0.0], np.arange(self.dim - 1, dtype=np.float64)])
        marginal = self.concentration + 0.5 * (self.dim - 2)
        self._beta = Beta(self.concentration.new_tensor(offset + 0.5),
                          marginal.unsqueeze(-1) - self.concentration.new_tensor(0.5 * offset), validate_args=False)

    def sample(self, sample_shape=()):
        with no_grad():
            y = self._beta.sample(sample_shape).unsqueeze(-1)
            directions = self._noise("normal", self._extended_shape(sample_shape)).tril(-1)
            norms = (directions ** 2).sum(-1, keepdim=True).sqrt()
            first_row = backend.get_array_module(directions._array).arange(self.dim) == 0
            # the first row has no off-diagonal entries (0 / 0 there): zero, its diagonal 1
            directions = where(first_row[:, None], 0.0, directions / where(first_row[:, None], 1.0, norms))
            w = y.sqrt() * directions
            tiny = float(np.finfo(w.dtype).tiny)
            return w + (1 - (w ** 2).sum(-1)).clip(tiny, None).sqrt().diag_embed()

    def log_prob(self, value):
        value = self._validate_sample(value)
        diagonal = value.diagonal(0, -2, -1)[..., 1:]
        order = 2 * (self.concentration - 1).unsqueeze(-1) + self.dim - \
            self.concentration.new_tensor(np.arange(2, self.dim + 1, dtype=np.float64))
        unnormalised = (order * diagonal.log()).sum(-1)
        dm1 = self.dim - 1
        alpha = self.concentration + 0.5 * dm1
        normaliser = 0.5 * dm1 * math.log(math.pi) + (alpha - 0.5).mvlgamma(dm1) - alpha.lgamma() * dm1
        return unnormalised - normaliser
