"""KL(p || q) = E_p[log p(x) - log q(x)] in closed form, for the pairs registered here (or by
users, with ``register_kl``), as PyTorch's ``kl_divergence``."""

from .. import linalg
from ..nn import functional as F
from ..tensor import where
from .bernoulli import Bernoulli
from .categorical import Categorical, OneHotCategorical
from .exponential import Exponential
from .exponential_family import ExponentialFamily, exponential_family_kl
from .gamma import Beta, Dirichlet, Gamma
from .geometric import Geometric
from .heavy_tailed import EULER_GAMMA, Cauchy, Gumbel, HalfNormal
from .independent import Independent
from .laplace import Laplace
from .low_rank_multivariate_normal import LowRankMultivariateNormal
from .multivariate_normal import MultivariateNormal
from .normal import LogNormal, Normal
from .poisson import Poisson
from .positive import Pareto
from .uniform import Uniform

_KL = {}


def register_kl(type_p, type_q):
    """Decorator: ``@register_kl(P, Q)`` above ``def kl(p, q)`` makes kl_divergence use it for (P, Q)."""
    def register(function):
        _KL[type_p, type_q] = function
        return function
    return register


def kl_divergence(p, q):
    """KL(p || q), one value per batch element; the most specific registered pair of types wins."""
    matches = [(type_p, type_q) for type_p, type_q in _KL if isinstance(p, type_p) and isinstance(q, type_q)]
    if not matches:
        raise NotImplementedError(f"kl_divergence: no formula for {type(p).__name__} and {type(q).__name__}; "
                                  "register one with tinynn.distributions.register_kl")
    best = min(matches, key=lambda pair: (type(p).__mro__.index(pair[0]), type(q).__mro__.index(pair[1])))
    return _KL[best](p, q)


register_kl(ExponentialFamily, ExponentialFamily)(exponential_family_kl)


@register_kl(Normal, Normal)
def _normal_normal(p, q):
    """log(s_q / s_p) + (s_p^2 + (m_p - m_q)^2) / (2 s_q^2) - 1/2"""
    variance_ratio = (p.scale / q.scale) ** 2
    return 0.5 * (variance_ratio + ((p.loc - q.loc) / q.scale) ** 2 - 1 - variance_ratio.log())


@register_kl(LogNormal, LogNormal)
def _lognormal_lognormal(p, q):
    return _normal_normal(p.base_dist, q.base_dist)


@register_kl(Uniform, Uniform)
def _uniform_uniform(p, q):
    """log((h_q - l_q) / (h_p - l_p)) where q's interval holds p's, else inf."""
    inside = (q.low._array <= p.low._array) & (p.high._array <= q.high._array)
    return where(inside, ((q.high - q.low) / (p.high - p.low)).log(), float("inf"))


@register_kl(Exponential, Exponential)
def _exponential_exponential(p, q):
    ratio = q.rate / p.rate
    return ratio - ratio.log() - 1


@register_kl(Laplace, Laplace)
def _laplace_laplace(p, q):
    scale_ratio = p.scale / q.scale
    distance = (p.loc - q.loc).abs()
    return -scale_ratio.log() + distance / q.scale + scale_ratio * (-distance / p.scale).exp() - 1


@register_kl(Bernoulli, Bernoulli)
def _bernoulli_bernoulli(p, q):
    """p log(p / q) + (1 - p) log((1 - p) / (1 - q)), from the logits (log p = -softplus(-l))."""
    return p.probs * (F.softplus(-q.logits) - F.softplus(-p.logits)) + \
        (1 - p.probs) * (F.softplus(q.logits) - F.softplus(p.logits))


@register_kl(Categorical, Categorical)
def _categorical_categorical(p, q):
    """sum p_k (log p_k - log q_k), 0 where p_k is; inf where q_k is 0 and p_k is not."""
    terms = p.probs * (p.logits - q.logits)
    terms = where((p.probs._array == 0), 0.0, terms)
    return terms.sum(-1)


@register_kl(OneHotCategorical, OneHotCategorical)
def _one_hot_one_hot(p, q):
    return _categorical_categorical(p._categorical, q._categorical)


@register_kl(Poisson, Poisson)
def _poisson_poisson(p, q):
    return p.rate * (p.rate.log() - q.rate.log()) - (p.rate - q.rate)


@register_kl(Gamma, Gamma)
def _gamma_gamma(p, q):
    return (q.concentration * (p.rate / q.rate).log() + q.concentration.lgamma() - p.concentration.lgamma()
            + (p.concentration - q.concentration) * p.concentration.digamma()
            + (q.rate - p.rate) * (p.concentration / p.rate))


@register_kl(Beta, Beta)
def _beta_beta(p, q):
    a1, b1, a2, b2 = p.concentration1, p.concentration0, q.concentration1, q.concentration0
    total = a1 + b1
    return (q._log_beta() - p._log_beta() + (a1 - a2) * a1.digamma() + (b1 - b2) * b1.digamma()
            + (a2 - a1 + b2 - b1) * total.digamma())


@register_kl(Dirichlet, Dirichlet)
def _dirichlet_dirichlet(p, q):
    total = p.concentration.sum(-1)
    return (total.lgamma() - q.concentration.sum(-1).lgamma() - (p.concentration.lgamma()
                                                                  - q.concentration.lgamma()).sum(-1)
            + ((p.concentration - q.concentration) * (p.concentration.digamma()
                                                       - total.digamma().unsqueeze(-1))).sum(-1))


@register_kl(MultivariateNormal, MultivariateNormal)
def _mvn_mvn(p, q):
    """(tr(S_q^-1 S_p) + (m_q - m_p)^T S_q^-1 (m_q - m_p) - k + log det S_q - log det S_p) / 2,
    through the Cholesky factors: tr(.) = |L_q^-1 L_p|_F^2, the quadratic form |L_q^-1 (m_q - m_p)|^2."""
    if p.event_shape != q.event_shape:
        raise ValueError(f"kl_divergence: MultivariateNormals of different sizes {p.event_shape} and {q.event_shape}")
    k = p.event_shape[0]
    shape = (p.loc - q.loc).shape[:-1]
    q_tril = q.scale_tril.expand(shape + (k, k))
    p_tril = p.scale_tril.expand(shape + (k, k))
    trace = (linalg.solve_triangular(q_tril, p_tril, upper=False) ** 2).sum((-2, -1))
    difference = (q.loc - p.loc).expand(shape + (k,)).unsqueeze(-1)
    quadratic = (linalg.solve_triangular(q_tril, difference, upper=False) ** 2).sum((-2, -1))
    return q._half_log_det() - p._half_log_det() + 0.5 * (trace + quadratic - k)


@register_kl(Independent, Independent)
def _independent_independent(p, q):
    if p.reinterpreted_batch_ndims != q.reinterpreted_batch_ndims:
        raise NotImplementedError("kl_divergence: Independent distributions reinterpreting different numbers of "
                                  "dimensions")
    return p._sum_reinterpreted(kl_divergence(p.base_dist, q.base_dist))




@register_kl(HalfNormal, HalfNormal)
def _halfnormal_halfnormal(p, q):
    return _normal_normal(p.base_dist, q.base_dist)


@register_kl(Cauchy, Cauchy)
def _cauchy_cauchy(p, q):
    """log(((s_p + s_q)^2 + (m_p - m_q)^2) / (4 s_p s_q)) (Chyzak and Nielsen, 2019)."""
    return ((p.scale + q.scale) ** 2 + (p.loc - q.loc) ** 2).log() - (4 * p.scale * q.scale).log()


@register_kl(Gumbel, Gumbel)
def _gumbel_gumbel(p, q):
    ratio = p.scale / q.scale
    return (-ratio.log() - q.loc / q.scale + p.loc / q.scale + ratio * EULER_GAMMA
            + (q.loc / q.scale + (1 + ratio).lgamma() - p.loc / q.scale).exp() - (1 + EULER_GAMMA))


@register_kl(Pareto, Pareto)
def _pareto_pareto(p, q):
    """alpha_q log(scale_p / scale_q) - log(alpha_q / alpha_p) + alpha_q / alpha_p - 1, and inf where
    p puts mass below q's support (scale_p < scale_q)."""
    alpha_ratio = q.alpha / p.alpha
    finite = q.alpha * (p.scale / q.scale).log() - alpha_ratio.log() + alpha_ratio - 1
    return where(p.scale._array < q.scale._array, float("inf"), finite)


@register_kl(Geometric, Geometric)
def _geometric_geometric(p, q):
    return -p.entropy() - (-q.probs).log1p() / p.probs - q.logits


def _as_full_normal(distribution):
    """A LowRankMultivariateNormal as the MultivariateNormal it is (its covariance written out)."""
    if isinstance(distribution, LowRankMultivariateNormal):
        return MultivariateNormal(distribution.loc, covariance_matrix=distribution.covariance_matrix,
                                  validate_args=False)
    return distribution


@register_kl(LowRankMultivariateNormal, LowRankMultivariateNormal)
@register_kl(LowRankMultivariateNormal, MultivariateNormal)
@register_kl(MultivariateNormal, LowRankMultivariateNormal)
def _low_rank_normal(p, q):
    """The multivariate normals' KL, with each low-rank covariance written out (k x k)."""
    return _mvn_mvn(_as_full_normal(p), _as_full_normal(q))
