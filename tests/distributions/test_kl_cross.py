"""kl_divergence for every pair of families PyTorch registers that tinynn has (same family and
across families, inf where q's support does not cover p's): values and parameter gradients equal
PyTorch's, on parameters where each formula applies (heavy and light Pareto tails included)."""
import numpy as np
import pytest

import tinynn
from tinynn import distributions as D
from helpers import assert_close


def parameters(name, rng):
    def positive():
        return rng.uniform(0.5, 2.0, 3)
    return {"Normal": dict(loc=rng.standard_normal(3), scale=positive()),
            "Laplace": dict(loc=rng.standard_normal(3), scale=positive()),
            "Gumbel": dict(loc=rng.standard_normal(3), scale=positive()), "Exponential": dict(rate=positive()),
            "Gamma": dict(concentration=positive(), rate=positive()),
            "Beta": dict(concentration1=positive(), concentration0=positive()),
            "Uniform": dict(low=rng.uniform(0.1, 0.4, 3), high=rng.uniform(0.6, 0.9, 3)),
            "Pareto": dict(scale=rng.uniform(0.05, 0.3, 3), alpha=np.array([0.7, 1.5, 3.5])),
            "ContinuousBernoulli": dict(probs=np.array([0.2, 0.4995, 0.8])),
            "Bernoulli": dict(probs=rng.uniform(0.1, 0.9, 3)), "Poisson": dict(rate=positive()),
            "Binomial": dict(total_count=5, probs=rng.uniform(0.1, 0.9, 3))}.get(name)


def registered_pairs():
    try:
        from torch.distributions import kl
    except ImportError:
        return []
    return sorted({(p.__name__, q.__name__) for p, q in kl._KL_REGISTRY}
                  - {("Uniform", "Uniform")})  # in the same-family tests, with its own parameters


@pytest.mark.parametrize("pair", registered_pairs(), ids=lambda pair: f"{pair[0]}-{pair[1]}")
def test_kl_matches_torch(torch, rng, pair):
    p_name, q_name = pair
    p_values, q_values = parameters(p_name, rng), parameters(q_name, rng)
    if p_values is None or q_values is None:
        pytest.skip(f"{p_name} or {q_name} is not among the families compared here")

    def made(library, name, values):
        tensors = {k: library.tensor(v, requires_grad=True) if isinstance(v, np.ndarray) else v
                   for k, v in values.items()}
        return getattr(library.distributions, name)(**tensors), tensors
    (p, p_tensors), (q, q_tensors) = made(tinynn, p_name, p_values), made(tinynn, q_name, q_values)
    (tp, tp_tensors), (tq, tq_tensors) = made(torch, p_name, p_values), made(torch, q_name, q_values)
    ours, theirs = D.kl_divergence(p, q), torch.distributions.kl_divergence(tp, tq)
    assert_close(ours, theirs.detach(), rtol=1e-9, atol=1e-10, what=f"KL({p_name} || {q_name})")
    if np.isfinite(theirs.detach().numpy()).all() and theirs.requires_grad:
        ours.sum().backward()
        theirs.sum().backward()
        for mine, its in ((p_tensors, tp_tensors), (q_tensors, tq_tensors)):
            for key, value in mine.items():
                if isinstance(value, tinynn.Tensor) and its[key].grad is not None:
                    assert_close(value.grad, its[key].grad, rtol=1e-8, atol=1e-10, what=f"d/d{key}")


def test_kl_of_transformed_distributions_is_their_bases_when_the_maps_agree(torch):
    def made(library, loc, scale):
        d = library.distributions
        return d.TransformedDistribution(d.Normal(library.tensor(loc), library.tensor(scale)),
                                         [d.ExpTransform(), d.AffineTransform(1.0, 2.0)])
    ours = D.kl_divergence(made(tinynn, [0.0, 1.0], [1.0, 2.0]), made(tinynn, [0.5, 0.0], [2.0, 1.0]))
    theirs = torch.distributions.kl_divergence(made(torch, [0.0, 1.0], [1.0, 2.0]), made(torch, [0.5, 0.0], [2.0, 1.0]))
    assert_close(ours, theirs, rtol=1e-6)
    # an inverse gamma is 1/x of a gamma: the same map on both sides leaves the gammas' KL
    p, q = D.InverseGamma(tinynn.tensor(2.0), tinynn.tensor(1.5)), D.InverseGamma(tinynn.tensor(3.0), tinynn.tensor(0.5))
    assert_close(D.kl_divergence(p, q), D.kl_divergence(p.base_dist, q.base_dist), rtol=1e-12)
    with pytest.raises(NotImplementedError, match="TransformedDistributions with different transforms"):
        D.kl_divergence(made(tinynn, [0.0], [1.0]), D.TransformedDistribution(D.Normal(tinynn.tensor([0.0]),
                                                                                       tinynn.tensor([1.0])),
                                                                              [D.ExpTransform()]))
