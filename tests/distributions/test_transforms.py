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
    compare_with_torch(make(D), make(torch.distributions), values, torch, device)


def compare_with_torch(ours, theirs, values, torch, device):
    """Forward, inverse, log |det J| and the gradient of their sum; returns our y."""
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
    return y


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


# transforms of vectors and matrices: (make from a library's distributions module, input shape)
VECTOR_TRANSFORMS = {
    "stick breaking": (lambda L: L.StickBreakingTransform(), (3, 4)),
    "corr cholesky": (lambda L: L.CorrCholeskyTransform(), (2, 6)),
    "reshape": (lambda L: L.ReshapeTransform((2, 3), (3, 2)), (4, 2, 3)),
    "independent exp": (lambda L: L.IndependentTransform(L.ExpTransform(), 1), (3, 4)),
    "cat": (lambda L: L.CatTransform([L.ExpTransform(), L.AffineTransform(1.0, 2.0)], dim=-1, lengths=[2, 3]), (4, 5)),
    "stack": (lambda L: L.StackTransform([L.ExpTransform(), L.TanhTransform()], dim=1), (4, 2)),
}


@pytest.mark.parametrize("name", list(VECTOR_TRANSFORMS))
def test_vector_transforms_match_torch(name, torch, rng, device):
    make, shape = VECTOR_TRANSFORMS[name]
    values = rng.standard_normal(shape) * 0.8
    ours, theirs = make(D), make(torch.distributions)
    y = compare_with_torch(ours, theirs, values, torch, device)
    assert ours.forward_shape(shape) == tuple(theirs.forward_shape(torch.Size(shape)))
    assert ours.inverse_shape(y.shape) == tuple(theirs.inverse_shape(torch.Size(y.shape)))
    assert bool(ours.codomain.check(y.detach().numpy()).all())


def test_matrix_transforms_match_torch_and_the_cholesky_log_det_is_the_jacobians(torch, rng):
    values = rng.standard_normal((2, 3, 3))
    for name in ("LowerCholeskyTransform", "PositiveDefiniteTransform", "SoftmaxTransform", "AbsTransform"):
        ours, theirs = getattr(D, name)(), getattr(torch.distributions.transforms, name)()
        y, ty = ours(tinynn.tensor(values)), theirs(torch.tensor(values))
        assert_close(y, ty, rtol=1e-12, atol=1e-12, what=name)
        if ours.bijective:
            assert_close(ours.inv(y), theirs.inv(ty), rtol=1e-9, atol=1e-10, what=f"{name} inverse")
    # LowerCholesky's log |det J| (PyTorch has none): the Jacobian of the lower triangle's entries
    rows, columns = np.tril_indices(3)
    transform = D.LowerCholeskyTransform()

    def free_map(entries):
        matrix = np.zeros((3, 3))
        matrix[rows, columns] = entries
        return transform(tinynn.tensor(matrix)).numpy()[rows, columns]
    point, h = values[0][rows, columns], 1e-6
    jacobian = np.stack([(free_map(point + h * e) - free_map(point - h * e)) / (2 * h) for e in np.eye(len(point))], 1)
    x = np.zeros((3, 3))
    x[rows, columns] = point
    expected = np.log(abs(np.linalg.det(jacobian)))
    assert transform.log_abs_det_jacobian(tinynn.tensor(x), transform(tinynn.tensor(x))).item() == \
        pytest.approx(expected, rel=1e-7)


def test_cumulative_distribution_and_abs_transforms(torch, rng):
    normal = D.Normal(tinynn.tensor([0.5]), tinynn.tensor([2.0]))
    t_normal = torch.distributions.Normal(torch.tensor([0.5]), torch.tensor([2.0]))
    ours, theirs = D.CumulativeDistributionTransform(normal), torch.distributions.CumulativeDistributionTransform(t_normal)
    x = rng.standard_normal(5).astype(np.float32)
    y, ty = ours(tinynn.tensor(x)), theirs(torch.tensor(x))
    assert_close(y, ty, rtol=1e-6, atol=1e-7)
    assert_close(ours.inv(y), x, rtol=1e-5, atol=1e-5)
    assert_close(ours.log_abs_det_jacobian(tinynn.tensor(x), y), theirs.log_abs_det_jacobian(torch.tensor(x), ty),
                 rtol=1e-6, atol=1e-7)
    folded = D.TransformedDistribution(D.Normal(tinynn.tensor(0.0), tinynn.tensor(1.0)), [D.AbsTransform()])
    assert (folded.sample((20,)).numpy() >= 0).all()


def test_generalized_pareto_matches_torch(torch, rng, device):
    # PyTorch's GeneralizedPareto works in float32 only (its isclose against a float32 zero)
    params = {"loc": rng.standard_normal(3), "scale": rng.random(3) + 0.5, "concentration": np.array([0.3, -0.2, 0.0])}
    ours = {k: tinynn.tensor(v.astype(np.float32), device=device, requires_grad=True) for k, v in params.items()}
    theirs = {k: torch.tensor(v.astype(np.float32), requires_grad=True) for k, v in params.items()}
    p, tp = D.GeneralizedPareto(**ours), torch.distributions.GeneralizedPareto(**theirs)
    torch.manual_seed(0)
    values = tp.sample((4,))
    quantiles = np.linspace(0.1, 0.9, 4, dtype=np.float32).reshape(4, 1)
    pairs = [(p.log_prob(tinynn.tensor(values.numpy(), device=device)), tp.log_prob(values)),
             (p.cdf(tinynn.tensor(values.numpy(), device=device)), tp.cdf(values)),
             (p.icdf(tinynn.tensor(quantiles, device=device)), tp.icdf(torch.tensor(quantiles))),
             (p.mean, tp.mean), (p.variance, tp.variance), (p.entropy(), tp.entropy())]
    for mine, its in pairs:
        assert_close(mine, its.detach(), rtol=2e-5, atol=2e-6)
    sum(mine.sum() for mine, _ in pairs[:3]).backward()
    sum(its.sum() for _, its in pairs[:3]).backward()
    for key in params:
        assert_close(ours[key].grad, theirs[key].grad, rtol=1e-4, atol=1e-4, what=f"d/d{key}")
    draws = D.GeneralizedPareto(*(tinynn.tensor(v) for v in params.values())).sample((2000,)).numpy()
    assert (draws >= params["loc"] - 1e-9).all() and (draws[:, 1] <= params["loc"][1] + params["scale"][1] / 0.2).all()


@pytest.mark.parametrize("name, parameters", [("LogNormal", ([0.3, -0.2], [0.5, 1.2])), ("Pareto", ([1.5, 0.5], [2.0, 3.5])),
                                              ("Weibull", ([1.5, 0.5], [2.0, 0.7])), ("Gumbel", ([0.2, -1.0], [1.5, 0.6])),
                                              ("HalfNormal", ([0.7, 2.0],)), ("HalfCauchy", ([0.7, 2.0],))])
def test_the_transformed_families_are_pytorchs_transformed_distributions(torch, name, parameters):
    """As PyTorch's, each is a TransformedDistribution of the same base through the same transforms
    (its own closed forms kept); where the transforms are bijections, the general log-density of the
    chain equals the closed one, and both equal PyTorch's."""
    ours = getattr(tinynn.distributions, name)(*[tinynn.tensor(p, dtype=tinynn.float64) for p in parameters])
    theirs = getattr(torch.distributions, name)(*[torch.tensor(p, dtype=torch.float64) for p in parameters])
    assert isinstance(ours, tinynn.distributions.TransformedDistribution)
    assert type(ours.base_dist).__name__ == type(theirs.base_dist).__name__
    assert [type(t).__name__ for t in ours.transforms] == [type(t).__name__ for t in theirs.transforms]
    x = ours.sample((6,))
    np.testing.assert_allclose(ours.log_prob(x).numpy(), theirs.log_prob(torch.tensor(x.numpy())).numpy(), rtol=1e-10)
    if name not in ("HalfNormal", "HalfCauchy"):  # (|x| is no bijection: PyTorch's general form refuses it too)
        chain = tinynn.distributions.TransformedDistribution.log_prob(ours, x)
        np.testing.assert_allclose(chain.numpy(), ours.log_prob(x).numpy(), rtol=1e-10, atol=1e-12)
    assert ours.expand((3, 2)).batch_shape == (3, 2)
