"""KL(p || q) between distributions of different families, PyTorch's pairs (the same-family ones are
in kl.py). Each is E_p[log p] - E_p[log q] = -H(p) - E_p[log q], with E_p[log q] in closed form
from p's moments (E[x], E[x^2], E[log x], E[e^(-x/s)]: see each formula); where q's support does
not cover p's (a normal under a gamma, a uniform reaching below an exponential's 0) it is inf.
"""
import math

from .. import backend
from ..tensor import Tensor, where
from ..tensor_functions import xlogy
from .bernoulli import Bernoulli
from .binomial import Binomial
from .continuous_bernoulli import ContinuousBernoulli
from .exponential import Exponential
from .gamma import Beta, Gamma
from .heavy_tailed import EULER_GAMMA, Gumbel
from .kl import register_kl
from .laplace import Laplace
from .normal import Normal
from .poisson import Poisson
from .positive import Pareto
from .transformed import TransformedDistribution
from .uniform import Uniform


def _infinite(p, q):
    """inf over the pair's batch: q cannot explain some of p's values."""
    like = p._like()
    shape = tuple(p.batch_shape) if len(p.batch_shape) >= len(q.batch_shape) else tuple(q.batch_shape)
    return Tensor._from_op(backend.get_array_module(like._array).full(shape, math.inf, dtype=like.dtype), False)


def _infinite_where(mask, value):
    mask = mask._array if isinstance(mask, Tensor) else backend.get_array_module(value._array).asarray(mask)
    return where(mask, math.inf, value)


for _p, _qs in ((Beta, (Pareto,)), (ContinuousBernoulli, (Pareto,)),
                (Exponential, (Beta, ContinuousBernoulli, Pareto, Uniform)),
                (Gamma, (Beta, ContinuousBernoulli, Pareto, Uniform)),
                (Gumbel, (Beta, ContinuousBernoulli, Exponential, Gamma, Pareto, Uniform)),
                (Laplace, (Beta, ContinuousBernoulli, Exponential, Gamma, Pareto, Uniform)),
                (Normal, (Beta, ContinuousBernoulli, Exponential, Gamma, Pareto, Uniform)),
                (Pareto, (Beta, ContinuousBernoulli, Uniform)), (Poisson, (Bernoulli, Binomial))):
    for _q in _qs:
        register_kl(_p, _q)(_infinite)


def _normal_cross_entropy(mean, second_moment, q):
    """-E_p[log q] for q = N(m, s^2): log(s sqrt(2 pi)) + (E[x^2] - 2 m E[x] + m^2) / (2 s^2)."""
    return (q.scale * math.sqrt(2 * math.pi)).log() + (second_moment - 2 * q.loc * mean + q.loc ** 2) / (2 * q.scale ** 2)


def _gamma_cross_entropy(mean, mean_log, q):
    """-E_p[log q] for q = Gamma(a, b): lgamma(a) - a log b - (a - 1) E[log x] + b E[x]."""
    return q.concentration.lgamma() - q.concentration * q.rate.log() - (q.concentration - 1) * mean_log + q.rate * mean


def _continuous_bernoulli_cross_entropy(mean, q):
    """-E_p[log q] for q continuous Bernoulli: -(E[x] logit(l) + log(1 - l) + log C(l))."""
    return -(mean * q.logits + (-q._lambda).log1p() + q._log_constant())


@register_kl(Bernoulli, Poisson)
def _bernoulli_poisson(p, q):
    """-H(p) - (P(1) log r - r)   (log q(x) = x log r - r - log x!, and log 1! = log 0! = 0)."""
    return -p.entropy() - (p.probs * q.rate.log() - q.rate)


@register_kl(Binomial, Binomial)
def _binomial_binomial(p, q):
    """n (p (logit p - logit q) + log(1 - p) - log(1 - q)) for equal counts n; inf where p's count
    is larger (q cannot make its top values)."""
    if bool((p.total_count._array < q.total_count._array).any() if isinstance(p.total_count, Tensor)
            else p.total_count < q.total_count):
        raise NotImplementedError("kl_divergence: Binomials where q's total_count exceeds p's have no closed form")
    kl = p.total_count * (p.probs * (p.logits - q.logits) + (-p.probs).log1p() - (-q.probs).log1p())
    larger = p.total_count > q.total_count
    return _infinite_where(larger, kl)


@register_kl(ContinuousBernoulli, ContinuousBernoulli)
def _continuous_bernoulli_continuous_bernoulli(p, q):
    """E[x] (logit p - logit q) + log C(p) + log(1 - p) - log C(q) - log(1 - q)."""
    return (p.mean * (p.logits - q.logits) + p._log_constant() + (-p._lambda).log1p() - q._log_constant()
            - (-q._lambda).log1p())


@register_kl(Beta, ContinuousBernoulli)
@register_kl(Uniform, ContinuousBernoulli)
def _to_continuous_bernoulli(p, q):
    result = -p.entropy() + _continuous_bernoulli_cross_entropy(p.mean, q)
    if isinstance(p, Uniform):  # q lives on [0, 1]
        return _infinite_where(((p.high >= 1) | (p.low <= 0))._array, result)
    return result


@register_kl(Beta, Exponential)
def _beta_exponential(p, q):
    """-H(p) - log r + r E[x],  E[x] = a / (a + b)."""
    return -p.entropy() - q.rate.log() + q.rate * p.mean


@register_kl(Beta, Gamma)
def _beta_gamma(p, q):
    """-H(p) + the gamma cross entropy, E[log x] = digamma(a) - digamma(a + b)."""
    a, b = p.concentration1, p.concentration0
    return -p.entropy() + _gamma_cross_entropy(p.mean, a.digamma() - (a + b).digamma(), q)


@register_kl(Beta, Normal)
def _beta_normal(p, q):
    """-H(p) + the normal cross entropy, E[x^2] = var + mean^2."""
    return -p.entropy() + _normal_cross_entropy(p.mean, p.variance + p.mean ** 2, q)


@register_kl(Beta, Uniform)
def _beta_uniform(p, q):
    """-H(p) + log(high - low), inf unless [low, high] covers [0, 1]."""
    return _infinite_where(((q.low > 0) | (q.high < 1))._array, -p.entropy() + (q.high - q.low).log())


@register_kl(ContinuousBernoulli, Exponential)
def _continuous_bernoulli_exponential(p, q):
    return -p.entropy() - q.rate.log() + q.rate * p.mean


@register_kl(ContinuousBernoulli, Normal)
def _continuous_bernoulli_normal(p, q):
    return -p.entropy() + _normal_cross_entropy(p.mean, p.variance + p.mean ** 2, q)


@register_kl(ContinuousBernoulli, Uniform)
def _continuous_bernoulli_uniform(p, q):
    """-H(p) + log(high - low), inf unless [low, high] strictly covers [0, 1] (PyTorch's test)."""
    return _infinite_where(((q.low >= 0) | (q.high <= 1))._array, -p.entropy() + (q.high - q.low).log())


@register_kl(Exponential, Gamma)
def _exponential_gamma(p, q):
    """-a log(b / r) + b / r + lgamma(a) + a gamma_E - (1 + gamma_E), with E[log x] = -gamma_E - log r."""
    ratio = q.rate / p.rate
    return (-q.concentration * ratio.log() + ratio + q.concentration.lgamma() + q.concentration * EULER_GAMMA
            - (1 + EULER_GAMMA))


@register_kl(Exponential, Gumbel)
def _exponential_gumbel(p, q):
    """log(r s) - 1 - m/s + e^(m/s) r s / (r s + 1) + 1 / (r s)   (E[e^(-x/s)] = r s / (r s + 1))."""
    product, ratio = p.rate * q.scale, q.loc / q.scale
    return product.log() - 1 - ratio + ratio.exp() * product / (product + 1) + 1 / product


@register_kl(Exponential, Normal)
def _exponential_normal(p, q):
    """-H(p) + the normal cross entropy, E[x] = 1/r, E[x^2] = 2/r^2; -H(p) = log r - 1."""
    return p.rate.log() - 1 + _normal_cross_entropy(1 / p.rate, 2 / p.rate ** 2, q)


@register_kl(Gamma, Exponential)
def _gamma_exponential(p, q):
    return -p.entropy() - q.rate.log() + q.rate * p.concentration / p.rate


@register_kl(Gamma, Gumbel)
def _gamma_gumbel(p, q):
    """-H(p) + log s + E[x]/s - m/s + e^(m/s) (1 + 1/(b s))^-a   (E[e^(-x/s)] of a gamma)."""
    a, product, ratio = p.concentration, p.rate * q.scale, q.loc / q.scale
    return ((a - 1) * a.digamma() - a.lgamma() - a + product.log() + a / product
            + ratio.exp() * (1 + 1 / product) ** (-a) - ratio)


@register_kl(Gamma, Normal)
def _gamma_normal(p, q):
    a, b = p.concentration, p.rate
    return -p.entropy() + _normal_cross_entropy(a / b, (a ** 2 + a) / b ** 2, q)


@register_kl(Gumbel, Normal)
def _gumbel_normal(p, q):
    """-H(p) + the normal cross entropy, E[x] = m + s gamma_E, var = (pi s)^2 / 6."""
    mean = p.loc + p.scale * EULER_GAMMA
    return -p.entropy() + _normal_cross_entropy(mean, (math.pi * p.scale) ** 2 / 6 + mean ** 2, q)


@register_kl(Laplace, Normal)
def _laplace_normal(p, q):
    """-H(p) + the normal cross entropy, E[x] = m, var = 2 b^2."""
    return -p.entropy() + _normal_cross_entropy(p.loc, 2 * p.scale ** 2 + p.loc ** 2, q)


@register_kl(Normal, Gumbel)
def _normal_gumbel(p, q):
    """-H(p) + log s + (E[x] - m)/s + E[e^(-(x - m)/s)], the last e^(-(mu - m)/s + sigma^2 / (2 s^2))."""
    mean_ratio, variance_ratio, loc_ratio = p.loc / q.scale, (p.scale / q.scale) ** 2, q.loc / q.scale
    return (-0.5 * variance_ratio.log() + mean_ratio - loc_ratio + (-mean_ratio + 0.5 * variance_ratio + loc_ratio).exp()
            - 0.5 * (1 + math.log(2 * math.pi)))


@register_kl(Normal, Laplace)
def _normal_laplace(p, q):
    """-H(p) + log(2 b) + E|x - m| / b, with E|x - m| of a normal (folded normal mean)."""
    difference = p.loc - q.loc
    standardised = difference / p.scale
    absolute_mean = (math.sqrt(2 / math.pi) * p.scale * (-0.5 * standardised ** 2).exp()
                     + difference * (math.sqrt(0.5) * standardised).erf())
    return -(p.scale / q.scale).log() + absolute_mean / q.scale - 0.5 * (1 + math.log(0.5 * math.pi))


@register_kl(Pareto, Exponential)
def _pareto_exponential(p, q):
    """log(a / (x_m r)) - 1/a + a x_m r / (a - 1) - 1, inf for a <= 1 (p has no mean)."""
    product = p.scale * q.rate
    result = (p.alpha / product).log() - 1 / p.alpha + p.alpha * product / (p.alpha - 1) - 1
    return _infinite_where((p.alpha <= 1)._array, result)


@register_kl(Pareto, Gamma)
def _pareto_gamma(p, q):
    common = p.scale.log() + 1 / p.alpha  # E[log x] of p
    result = (p.alpha.log() - common + q.concentration.lgamma() - q.concentration * q.rate.log()
              + (1 - q.concentration) * common + q.rate * p.alpha * p.scale / (p.alpha - 1) - 1)
    return _infinite_where((p.alpha <= 1)._array, result)


@register_kl(Pareto, Normal)
def _pareto_normal(p, q):
    """-H(p) + the normal cross entropy, inf for a <= 2 (p has no variance)."""
    mean = p.alpha * p.scale / (p.alpha - 1)
    variance = p.alpha * (p.scale / (p.alpha - 1)) ** 2 / (p.alpha - 2)
    result = -p.entropy() + _normal_cross_entropy(mean, variance + mean ** 2, q)
    return _infinite_where((p.alpha <= 2)._array, result)


def _uniform_mean_log(p):
    """E[log x] over [low, high] (low >= 0): (h log h - l log l - (h - l)) / (h - l)."""
    width = p.high - p.low
    return (xlogy(p.high, p.high) - xlogy(p.low, p.low) - width) / width


@register_kl(Uniform, Beta)
def _uniform_beta(p, q):
    """-log(h - l) - (a - 1) E[log x] - (b - 1) E[log(1 - x)] + log B(a, b); inf outside [0, 1]."""
    width = p.high - p.low
    mean_log_rest = (xlogy(1 - p.high, 1 - p.high) - xlogy(1 - p.low, 1 - p.low) + width) / width  # -E[log(1 - x)]
    a, b = q.concentration1, q.concentration0
    result = (b - 1) * mean_log_rest + a.lgamma() + b.lgamma() - (a + b).lgamma() - width.log() \
        - (a - 1) * _uniform_mean_log(p)
    return _infinite_where(((p.high > 1) | (p.low < 0))._array, result)


@register_kl(Uniform, Exponential)
def _uniform_exponential(p, q):
    result = q.rate * (p.high + p.low) / 2 - ((p.high - p.low) * q.rate).log()
    return _infinite_where((p.low < 0)._array, result)


@register_kl(Uniform, Gamma)
def _uniform_gamma(p, q):
    result = -p.entropy() + _gamma_cross_entropy((p.high + p.low) / 2, _uniform_mean_log(p), q)
    return _infinite_where((p.low < 0)._array, result)


@register_kl(Uniform, Gumbel)
def _uniform_gumbel(p, q):
    common = q.scale / (p.high - p.low)
    high, low = (p.high - q.loc) / q.scale, (p.low - q.loc) / q.scale
    return common.log() + 0.5 * (high + low) - common * ((-high).exp() - (-low).exp())


@register_kl(Uniform, Normal)
def _uniform_normal(p, q):
    mean, width = (p.high + p.low) / 2, p.high - p.low
    return -width.log() + _normal_cross_entropy(mean, width ** 2 / 12 + mean ** 2, q)


@register_kl(Uniform, Pareto)
def _uniform_pareto(p, q):
    """-log(a x_m^a (h - l)) + (a + 1) E[log x]; inf where the uniform starts below x_m."""
    width = p.high - p.low
    result = _uniform_mean_log(p) * (q.alpha + 1) - (q.alpha * q.scale ** q.alpha * width).log()
    return _infinite_where((p.low < q.scale)._array, result)


def _same_transform(a, b):
    """The same map: the same object, or the same kind with equal settings (tensors by value)."""
    if a is b:
        return True
    if type(a) is not type(b):
        return False
    settings_a = {k: v for k, v in vars(a).items() if k not in ("_cached", "_cache_size")}
    settings_b = {k: v for k, v in vars(b).items() if k not in ("_cached", "_cache_size")}
    if settings_a.keys() != settings_b.keys():
        return False
    for key, value in settings_a.items():
        other = settings_b[key]
        if isinstance(value, Tensor) or isinstance(other, Tensor):
            if not (isinstance(value, Tensor) and isinstance(other, Tensor) and value.shape == other.shape
                    and bool((value._array == other._array).all())):
                return False
        elif isinstance(value, (list, tuple)):
            if len(value) != len(other) or not all(_same_transform(x, y) for x, y in zip(value, other)):
                return False
        elif value != other:
            return False
    return True


@register_kl(TransformedDistribution, TransformedDistribution)
def _transformed_transformed(p, q):
    """KL is unchanged by an invertible map applied to both: KL(p_base || q_base), for the same
    transforms (anything else has no closed form here, as in PyTorch)."""
    if len(p.transforms) != len(q.transforms) or not all(_same_transform(a, b) for a, b in zip(p.transforms,
                                                                                              q.transforms)):
        raise NotImplementedError("kl_divergence: TransformedDistributions with different transforms have no closed "
                                  "form")
    if p.event_shape != q.event_shape:
        raise NotImplementedError("kl_divergence: TransformedDistributions of different event shapes")
    from .kl import kl_divergence

    return kl_divergence(p.base_dist, q.base_dist)
