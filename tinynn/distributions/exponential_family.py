"""``ExponentialFamily``: distributions of the form p(x) = h(x) exp(<theta, t(x)> - F(theta)),
with natural parameters theta, sufficient statistics t(x), carrier measure h and log-normalizer F
(as PyTorch's). Because E[t(x)] = grad F(theta), the entropy and the KL divergence within a family
follow from F alone, by autograd (the Bregman divergence of F):

    H(p) = F(theta) - <theta, grad F(theta)> - E[log h(x)]
    KL(p || q) = F(theta_q) - F(theta_p) - <theta_q - theta_p, grad F(theta_p)>

A subclass gives ``_natural_params`` (a tuple of tensors of the batch shape, each followed by the
dimensions of its own part of the event: the Wishart's are a matrix and a number),
``_log_normalizer(*theta)`` (one value per batch element) and ``_mean_carrier_measure``
(E[log h(x)]). tinynn's normal, exponential, gamma, beta, Dirichlet, Bernoulli, continuous Bernoulli
and Poisson distributions are such subclasses; their own closed-form entropies and KL divergences
take precedence, and these general ones serve a user's new family (and check the closed forms).

Unlike PyTorch's, which differentiate a detached copy, the results stay differentiable with respect
to the distribution's parameters: grad F is taken with ``create_graph`` at the natural parameters
themselves, so the second derivatives of F carry the gradient back.
"""
from ..autograd import enable_grad, grad
from .distribution import Distribution
from .transforms import sum_rightmost


class ExponentialFamily(Distribution):
    @property
    def _natural_params(self):
        raise NotImplementedError(f"{type(self).__name__} does not give its natural parameters (_natural_params)")

    def _log_normalizer(self, *natural_params):
        raise NotImplementedError(f"{type(self).__name__} does not give its log-normalizer (_log_normalizer)")

    @property
    def _mean_carrier_measure(self):
        raise NotImplementedError(f"{type(self).__name__} does not give E[log h(x)] (_mean_carrier_measure), "
                                  "so its entropy has no general form")

    def _normalizer_and_mean_statistics(self):
        """(theta, F(theta), grad F(theta) = E[t(x)]), recorded, and whether any theta is a function
        of parameters that require grad (else the results are detached at the end)."""
        natural = list(self._natural_params)
        tracked = any(theta.requires_grad for theta in natural)
        with enable_grad():
            natural = [theta if theta.requires_grad else theta.detach().requires_grad_() for theta in natural]
            normalizer = self._log_normalizer(*natural)
            mean_statistics = grad(normalizer.sum(), natural, create_graph=True)
        return natural, normalizer, mean_statistics, tracked

    def entropy(self):
        """F(theta) - <theta, grad F(theta)> - E[log h(x)], the inner product over the event."""
        natural, normalizer, mean_statistics, tracked = self._normalizer_and_mean_statistics()
        with enable_grad():
            result = normalizer - self._mean_carrier_measure
            for theta, statistic in zip(natural, mean_statistics):
                result = result - _inner(self, theta * statistic)
        return result if tracked else result.detach()


def _inner(distribution, products):
    """The sum of ``products`` (of a natural parameter and its statistic) over its event dimensions."""
    return sum_rightmost(products, max(products.ndim - len(distribution.batch_shape), 0))


def exponential_family_kl(p, q):
    """The Bregman divergence of F from q's natural parameters to p's (p and q of one family)."""
    if type(p) is not type(q):
        raise NotImplementedError(f"kl_divergence: no formula for {type(p).__name__} and {type(q).__name__} "
                                  "(the exponential-family KL needs both of one family); register one with "
                                  "tinynn.distributions.register_kl")
    natural_p, normalizer_p, mean_statistics, tracked = p._normalizer_and_mean_statistics()
    natural_q = list(q._natural_params)
    tracked = tracked or any(theta.requires_grad for theta in natural_q)
    with enable_grad():
        result = q._log_normalizer(*natural_q) - normalizer_p
        for theta_p, theta_q, statistic in zip(natural_p, natural_q, mean_statistics):
            result = result - _inner(p, (theta_q - theta_p) * statistic)
    return result if tracked else result.detach()
