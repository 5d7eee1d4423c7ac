"""Transforms and TransformedDistribution against torch.distributions: forward, inverse and
log |det J| of each transform with their gradients; log_prob, cdf, icdf of transformed
distributions (a tanh-squashed Gaussian, a logistic, a log-normal, an affine map of a multivariate
normal); cached inverses keep a squashed Gaussian's own samples scorable."""
import numpy as np
import pytest

import tinynn
from tinynn import distributions as D
from helpers import assert_close

TRANSFORMS = {
    "exp": (lambda L: L.ExpTransform(), lambda x: x),
    "affine": (lambda L: L.AffineTransform(0.5, -2.0), lambda x: x),
    "sigmoid": (lambda L: L.SigmoidTransform(), lambda x: x),
    "tanh": (lambda L: L.TanhTransform(), lambda x: x),
    "softplus": (lambda L: L.SoftplusTransform(), lambda x: x),
    "power": (lambda L: L.PowerTransform(2.5), np.abs),
    "compose": (lambda L: L.ComposeTransform([L.AffineTransform(1.0, 3.0), L.SigmoidTransform()]), lambda x: x),
    "inverse of sigmoid": (lambda L: L.SigmoidTransform().inv, lambda x: 1 / (1 + np.exp(-x))),
}


@pytest.mark.parametrize("name", list(TRANSFORMS))
def test_transforms_match_torch(name, torch, rng, device):
    make, domain = TRANSFORMS[name]
    values = domain(rng.standard_normal((3, 4)))
    ours, theirs = make(D), make(torch.distributions)
    x, tx = tinynn.tensor(values, device=device, requires_grad=True), torch.tensor(values, requires_grad=True)
    y, ty = ours(x), theirs(tx)
    assert_close(y, ty.detach(), rtol=1e-12, atol=1e-12, what="forward")
    # the inverse undoes the map (PyTorch's PowerTransform keeps its exponent in float32, so x itself
    # is the reference, not PyTorch's inverse)
    assert_close(ours.inv(y), values, rtol=1e-9, atol=1e-10, what="inverse")
    log_det, t_log_det = ours.log_abs_det_jacobian(x, y), theirs.log_abs_det_jacobian(tx, ty)
    assert_close(log_det, t_log_det.detach(), rtol=1e-10, atol=1e-12, what="log |det J|")
    (y.sum() + log_det.sum()).backward()
    (ty.sum() + t_log_det.sum()).backward()
    assert_close(x.grad, tx.grad, rtol=1e-9, atol=1e-11, what="gradient")


def test_a_tanh_squashed_gaussian_matches_torch_and_scores_its_own_saturated_samples(torch, rng, device):
    mu, sigma = rng.standard_normal(3), rng.random(3) + 0.5
    loc, scale = (tinynn.tensor(v, device=device, requires_grad=True) for v in (mu, sigma))
    t_loc, t_scale = (torch.tensor(v, requires_grad=True) for v in (mu, sigma))
    ours = D.TransformedDistribution(D.Normal(loc, scale), [D.TanhTransform(cache_size=1)])
    theirs = torch.distributions.TransformedDistribution(torch.distributions.Normal(t_loc, t_scale),
                                                         [torch.distributions.TanhTransform(cache_size=1)])
    values = np.tanh(rng.standard_normal((4, 3)))
    lp, t_lp = ours.log_prob(tinynn.tensor(values, device=device)), theirs.log_prob(torch.tensor(values))
    assert_close(lp, t_lp.detach(), rtol=1e-10, atol=1e-12, what="log_prob")
    lp.sum().backward()
    t_lp.sum().backward()
    assert_close(loc.grad, t_loc.grad, rtol=1e-9, what="d/dloc") and assert_close(scale.grad, t_scale.grad, rtol=1e-9)
    wide = D.TransformedDistribution(D.Normal(tinynn.tensor([30.0], dtype=np.float64, device=device),
                                              tinynn.tensor([1.0], dtype=np.float64, device=device)),
                                     [D.TanhTransform(cache_size=1)])
    draws = wide.rsample((5,))  # tanh(30) is 1.0 in float64: atanh would give inf
    assert (draws.numpy() == 1.0).all() and np.isfinite(wide.log_prob(draws).numpy()).all()
    assert ours.batch_shape == (3,) and ours.event_shape == () and ours.has_rsample


def test_a_logistic_from_a_uniform_matches_torch(torch, rng):
    build = lambda L, dtype: L.distributions.TransformedDistribution(  # noqa: E731
        L.distributions.Uniform(L.tensor(0.0, dtype=dtype), L.tensor(1.0, dtype=dtype)),
        [L.distributions.SigmoidTransform().inv, L.distributions.AffineTransform(1.5, -2.0)])
    ours, theirs = build(tinynn, np.float64), build(torch, torch.float64)
    values, quantiles = rng.standard_normal(6) * 3, np.linspace(0.05, 0.95, 5)
    assert_close(ours.log_prob(tinynn.tensor(values)), theirs.log_prob(torch.tensor(values)), rtol=1e-12, what="lp")
    assert_close(ours.cdf(tinynn.tensor(values)), theirs.cdf(torch.tensor(values)), rtol=1e-12, what="cdf")
    assert_close(ours.icdf(tinynn.tensor(quantiles)), theirs.icdf(torch.tensor(quantiles)), rtol=1e-12, what="icdf")


def test_exp_of_a_normal_is_the_log_normal_and_affine_maps_act_on_events(torch, rng):
    loc, scale = tinynn.tensor(rng.standard_normal(3)), tinynn.tensor(rng.random(3) + 0.5)
    values = tinynn.tensor(rng.random((4, 3)) + 0.1)
    pushed = D.TransformedDistribution(D.Normal(loc, scale), D.ExpTransform())
    assert_close(pushed.log_prob(values), D.LogNormal(loc, scale).log_prob(values), rtol=1e-12, what="log-normal")
    tril = np.tril(rng.standard_normal((3, 3)), -1) + np.eye(3)
    shift, factor = rng.standard_normal(3), rng.random(3) + 0.5
    ours = D.TransformedDistribution(D.MultivariateNormal(tinynn.tensor(np.zeros(3)), scale_tril=tinynn.tensor(tril)),
                                     [D.AffineTransform(tinynn.tensor(shift), tinynn.tensor(factor), event_dim=1)])
    theirs = torch.distributions.TransformedDistribution(
        torch.distributions.MultivariateNormal(torch.zeros(3, dtype=torch.float64), scale_tril=torch.tensor(tril)),
        [torch.distributions.AffineTransform(torch.tensor(shift), torch.tensor(factor), event_dim=1)])
    points = rng.standard_normal((5, 3))
    assert ours.event_shape == tuple(theirs.event_shape) == (3,)
    assert_close(ours.log_prob(tinynn.tensor(points)), theirs.log_prob(torch.tensor(points)), rtol=1e-12, what="mvn")


def test_bad_transforms_are_clear_errors():
    with pytest.raises(ValueError, match="transforms must be a Transform or a list of them"):
        D.TransformedDistribution(D.Normal(0.0, 1.0), "tanh")
    with pytest.raises(ValueError, match="cache_size must be 0 or 1"):
        D.TanhTransform(cache_size=2)
    squashed = D.TransformedDistribution(D.Normal(0.0, 1.0), D.TanhTransform())
    with pytest.raises(ValueError, match=r"expected value .* Interval\(lower_bound=-1.0, upper_bound=1.0\)"):
        squashed.log_prob(tinynn.tensor([1.5]))
