"""tinynn.distributions against torch.distributions: log_prob, entropy, moments, cdf/icdf and KL
divergences, and their gradients with respect to the parameters, on every device; samples have the
right shapes, moments and seeds; rsample's gradients are the reparameterisation's; bad parameters
and values are clear errors."""
import numpy as np
import pytest

import tinynn
from tinynn import distributions as D
from helpers import assert_close

RNG = np.random.default_rng(7)
LOC, SCALE = RNG.standard_normal((2, 3)), RNG.random((2, 3)) + 0.5
PROBS = RNG.random((2, 3)) * 0.8 + 0.1
WEIGHTS = RNG.random((2, 4)) + 0.1
CONCENTRATION, RATE = RNG.random((2, 3)) * 3 + 0.5, RNG.random((2, 3)) + 0.5
TRIL = np.tril(RNG.standard_normal((2, 3, 3)), -1) + np.eye(3) * (RNG.random((2, 1, 3)) + 0.5)
FACTOR = RNG.standard_normal((2, 3, 2)) * 0.7

# name: (class name, keyword arguments as arrays (differentiable), extra keywords, methods to compare)
CASES = {
    "Normal": ("Normal", {"loc": LOC, "scale": SCALE}, {}, ("cdf", "icdf", "mode")),
    "LogNormal": ("LogNormal", {"loc": LOC, "scale": SCALE}, {}, ("cdf", "icdf", "mode")),
    "Uniform": ("Uniform", {"low": LOC, "high": LOC + SCALE}, {}, ("cdf", "icdf")),
    "Exponential": ("Exponential", {"rate": RATE}, {}, ("cdf", "icdf", "mode")),
    "Laplace": ("Laplace", {"loc": LOC, "scale": SCALE}, {}, ("cdf", "icdf", "mode")),
    "Bernoulli probs": ("Bernoulli", {"probs": PROBS}, {}, ("mode",)),
    "Bernoulli logits": ("Bernoulli", {"logits": LOC}, {}, ()),
    "Binomial": ("Binomial", {"probs": PROBS}, {"total_count": 5}, ("mode",)),
    "Categorical probs": ("Categorical", {"probs": WEIGHTS}, {}, ("mode",)),
    "Categorical logits": ("Categorical", {"logits": LOC}, {}, ()),
    "OneHotCategorical": ("OneHotCategorical", {"logits": LOC}, {}, ("mode",)),
    "Poisson": ("Poisson", {"rate": RATE * 3}, {}, ("mode",)),
    "Gamma": ("Gamma", {"concentration": CONCENTRATION, "rate": RATE}, {}, ("mode",)),
    "Chi2": ("Chi2", {"df": CONCENTRATION * 2}, {}, ()),
    "Beta": ("Beta", {"concentration1": CONCENTRATION, "concentration0": RATE * 2}, {}, ("mode",)),
    # modes at an end, at 1 where both are below 1, NaN for the flat Beta(1, 1)
    "Beta below one": ("Beta", {"concentration1": np.array([[0.5, 2.0, 0.5], [1.0, 0.3, 2.5]]),
                                "concentration0": np.array([[1.5, 0.5, 0.5], [1.0, 0.8, 3.0]])}, {}, ("mode",)),
    "Dirichlet": ("Dirichlet", {"concentration": CONCENTRATION}, {}, ("mode",)),
    # every concentration below 1 (the first vertex), one above, the flat one (NaN)
    "Dirichlet below one": ("Dirichlet", {"concentration": np.array([[0.5, 0.5, 0.5], [0.3, 0.9, 0.2], [1.0, 1.0, 1.0],
                                                                     [1.0, 2.0, 0.5]])}, {}, ("mode",)),
    "Cauchy": ("Cauchy", {"loc": LOC, "scale": SCALE}, {}, ("cdf", "icdf", "mode")),
    "StudentT": ("StudentT", {"df": CONCENTRATION * 2 + 2.5, "loc": LOC, "scale": SCALE}, {}, ("mode",)),
    "Gumbel": ("Gumbel", {"loc": LOC, "scale": SCALE}, {}, ("cdf", "icdf", "mode")),
    "HalfNormal": ("HalfNormal", {"scale": SCALE}, {}, ("cdf", "icdf", "mode")),
    "Geometric probs": ("Geometric", {"probs": PROBS}, {}, ("mode",)),
    "HalfCauchy": ("HalfCauchy", {"scale": SCALE}, {}, ("cdf", "icdf", "mode")),
    "NegativeBinomial probs": ("NegativeBinomial", {"total_count": CONCENTRATION * 4, "probs": PROBS}, {}, ("mode",)),
    "NegativeBinomial logits": ("NegativeBinomial", {"total_count": CONCENTRATION * 4, "logits": LOC}, {}, ()),
    "Multinomial probs": ("Multinomial", {"probs": WEIGHTS}, {"total_count": 6}, ()),
    "RelaxedBernoulli": ("RelaxedBernoulli", {"temperature": np.array(0.7), "probs": PROBS}, {}, ()),
    "LogitRelaxedBernoulli": ("LogitRelaxedBernoulli", {"temperature": np.array(1.3), "logits": LOC}, {}, ()),
    "RelaxedOneHotCategorical": ("RelaxedOneHotCategorical", {"temperature": np.array(0.8), "logits": LOC}, {}, ()),
    "ExpRelaxedCategorical": ("ExpRelaxedCategorical", {"temperature": np.array(1.2), "probs": WEIGHTS}, {}, ()),
    "Multinomial logits": ("Multinomial", {"logits": LOC}, {"total_count": 4}, ()),
    "Pareto": ("Pareto", {"scale": SCALE, "alpha": CONCENTRATION + 2.5}, {}, ("cdf", "icdf", "mode")),
    "Pareto heavy": ("Pareto", {"scale": SCALE, "alpha": CONCENTRATION * 0.4}, {}, ()),
    "Pareto lower": ("Pareto", {"scale": SCALE * 0.5, "alpha": CONCENTRATION + 1.5}, {}, ()),
    "Weibull": ("Weibull", {"scale": SCALE, "concentration": CONCENTRATION + 0.6}, {}, ("cdf", "icdf", "mode")),
    "Geometric logits": ("Geometric", {"logits": LOC}, {}, ()),
    "MultivariateNormal scale_tril": ("MultivariateNormal", {"loc": LOC, "scale_tril": TRIL}, {}, ("mode",)),
    "MultivariateNormal covariance": ("MultivariateNormal", {"loc": LOC[0], "covariance_matrix":
                                                             TRIL @ TRIL.swapaxes(-1, -2)}, {}, ()),
    "MultivariateNormal precision": ("MultivariateNormal", {"loc": LOC, "precision_matrix":
                                                            TRIL @ TRIL.swapaxes(-1, -2)}, {}, ()),
    "LowRankMultivariateNormal": ("LowRankMultivariateNormal", {"loc": LOC, "cov_factor": FACTOR, "cov_diag": SCALE},
                                  {}, ("mode",)),
    "InverseGamma": ("InverseGamma", {"concentration": CONCENTRATION + 2.5, "rate": RATE}, {}, ("mode",)),
    "Kumaraswamy": ("Kumaraswamy", {"concentration1": CONCENTRATION + 0.5, "concentration0": RATE * 2}, {},
                    ("mode", "cdf", "icdf")),
    "FisherSnedecor": ("FisherSnedecor", {"df1": CONCENTRATION * 2 + 2.5, "df2": RATE * 5 + 5}, {}, ("mode",)),
    # both sides of PyTorch's Taylor region (0.499, 0.501] about 1/2
    "ContinuousBernoulli probs": ("ContinuousBernoulli", {"probs": np.array([[0.2, 0.4995, 0.5], [0.7, 0.9, 0.5008]])},
                                  {}, ("cdf", "icdf")),
    "ContinuousBernoulli logits": ("ContinuousBernoulli", {"logits": LOC}, {}, ("cdf",)),
    "LogisticNormal": ("LogisticNormal", {"loc": LOC, "scale": SCALE}, {}, ()),
    "OneHotCategoricalStraightThrough": ("OneHotCategoricalStraightThrough", {"logits": LOC}, {}, ("mode",)),
    "Wishart covariance": ("Wishart", {"df": np.array([4.5, 6.0]), "covariance_matrix": TRIL @ TRIL.swapaxes(-1, -2)},
                           {}, ("mode",)),
    "Wishart precision": ("Wishart", {"df": np.array(3.5), "precision_matrix": TRIL @ TRIL.swapaxes(-1, -2)}, {},
                          ("mode",)),
    "LKJCholesky": ("LKJCholesky", {"concentration": np.array([0.5, 1.0, 3.0])}, {"dim": 4}, ()),
}
NO_ENTROPY = {"Poisson", "Binomial", "NegativeBinomial probs", "NegativeBinomial logits", "FisherSnedecor",
              "LogisticNormal", "LKJCholesky",  # PyTorch has none either
              # PyTorch's takes lgamma(n + 1) of an integer tensor, in float32 (1e-7 off): checked by enumeration below
              "Multinomial probs", "Multinomial logits"} | {name for name in CASES if "Relaxed" in name}
DISCRETE_MEAN_NAN = {"Categorical probs", "Categorical logits"}
# no moments in closed form (for the relaxed ones see test_relaxed_draws_...)
RELAXED = {name for name in CASES if "Relaxed" in name} | {"LogisticNormal", "LKJCholesky"}
NO_MOMENTS = {"Cauchy", "HalfCauchy", "Pareto heavy"}  # no mean (NaN or inf) and no finite variance


def make(library, name, device=None):
    class_name, arrays, extra, _ = CASES[name]
    if library is tinynn:
        params = {key: tinynn.tensor(value, device=device, requires_grad=True) for key, value in arrays.items()}
        return getattr(D, class_name)(**params, **extra), params
    params = {key: library.tensor(value, requires_grad=True) for key, value in arrays.items()}
    return _torch_class(library, class_name)(**params, **extra), params


def _torch_class(torch, class_name):
    """A class of torch.distributions (the relaxed distributions' bases live in its submodules)."""
    for module in (torch.distributions, torch.distributions.relaxed_bernoulli, torch.distributions.relaxed_categorical):
        if hasattr(module, class_name):
            return getattr(module, class_name)
    raise AttributeError(class_name)


@pytest.mark.parametrize("name", list(CASES))
def test_matches_torch(name, torch, device):
    ours, our_params = make(tinynn, name, device)
    theirs, their_params = make(torch, name)
    torch.manual_seed(0)
    values = theirs.sample((4,))
    assert ours.batch_shape == tuple(theirs.batch_shape) and ours.event_shape == tuple(theirs.event_shape)
    outputs = [(ours.log_prob(tinynn.tensor(values.numpy(), device=device)), theirs.log_prob(values), "log_prob")]
    if name not in NO_ENTROPY:
        outputs.append((ours.entropy(), theirs.entropy(), "entropy"))
    if name not in DISCRETE_MEAN_NAN | NO_MOMENTS | RELAXED:
        outputs += [(ours.mean, theirs.mean, "mean"), (ours.variance, theirs.variance, "variance"),
                    (ours.stddev, theirs.stddev, "stddev")]
    for method in CASES[name][3]:
        if method == "mode":
            outputs.append((ours.mode, theirs.mode, "mode"))
        elif method == "cdf":
            outputs.append((ours.cdf(tinynn.tensor(values.numpy(), device=device)), theirs.cdf(values), "cdf"))
        else:
            quantiles = np.linspace(0.05, 0.95, 6).reshape(6, 1, 1)
            outputs.append((ours.icdf(tinynn.tensor(quantiles, device=device)), theirs.icdf(torch.tensor(quantiles)),
                            "icdf"))
    for our, their, what in outputs:
        assert_close(our, their.detach(), rtol=1e-9, atol=1e-10, what=f"{name} {what}")
    total = sum(our.sum() for our, _, what in outputs if what not in ("mode",) and our.dtype.kind == "f")
    their_total = sum(their.sum() for _, their, what in outputs if what not in ("mode",) and their.dtype.is_floating_point)
    total.backward()
    their_total.backward()
    for key, parameter in our_params.items():
        assert_close(parameter.grad, their_params[key].grad, rtol=1e-8, atol=1e-10, what=f"{name} d/d{key}")


KL_PAIRS = [("Normal", "Normal"), ("LogNormal", "LogNormal"), ("Exponential", "Exponential"), ("Laplace", "Laplace"),
            ("Bernoulli probs", "Bernoulli logits"), ("Categorical probs", "Categorical probs"), ("Categorical logits", "Categorical logits"),
            ("OneHotCategorical", "OneHotCategorical"),
            ("Poisson", "Poisson"), ("Gamma", "Gamma"), ("Beta", "Beta"), ("Dirichlet", "Dirichlet"),
            ("MultivariateNormal scale_tril", "MultivariateNormal covariance"), ("Uniform", "Uniform"),
            ("Cauchy", "Cauchy"), ("Gumbel", "Gumbel"), ("HalfNormal", "HalfNormal"),
            ("Geometric probs", "Geometric logits"),
            ("Pareto", "Pareto"),  # q's support starts above p's: inf
            ("Pareto", "Pareto lower"),
            ("LowRankMultivariateNormal", "LowRankMultivariateNormal"),
            ("LowRankMultivariateNormal", "MultivariateNormal scale_tril"),
            ("MultivariateNormal covariance", "LowRankMultivariateNormal")]


def shifted(library, name, device=None):
    """A second distribution of the same kind with other parameters."""
    class_name, arrays, extra, _ = CASES[name]
    uneven = np.linspace(1.2, 1.6, 3)  # not the same along the last axis, so normalised probabilities change too

    def move(key, value):
        if key in ("loc", "logits"):
            return value + 0.4 * uneven[:value.shape[-1]] if value.shape[-1] <= 3 else value + 0.4
        if key == "probs":
            return value * 0.6 + 0.1 * uneven[:value.shape[-1]] if value.shape[-1] <= 3 else value * np.linspace(1, 2, 4)
        if key in ("scale_tril", "covariance_matrix", "cov_factor"):
            return value * 1.3
        return value * uneven[:value.shape[-1]]
    moved = {key: move(key, value) for key, value in arrays.items()}
    if class_name == "Uniform":
        moved = {"low": arrays["low"] - 0.3, "high": arrays["high"] + 0.2}
    if library is tinynn:
        params = {key: tinynn.tensor(value, device=device, requires_grad=True) for key, value in moved.items()}
        return getattr(D, class_name)(**params, **extra), params
    params = {key: library.tensor(value, requires_grad=True) for key, value in moved.items()}
    return getattr(library.distributions, class_name)(**params, **extra), params


@pytest.mark.parametrize("pair", KL_PAIRS, ids=[f"{p}-{q}" for p, q in KL_PAIRS])
def test_kl_divergence_matches_torch(pair, torch, device):
    (p, p_params), (q, q_params) = make(tinynn, pair[0], device), shifted(tinynn, pair[1], device)
    (tp, tp_params), (tq, tq_params) = make(torch, pair[0]), shifted(torch, pair[1])
    ours, theirs = D.kl_divergence(p, q), torch.distributions.kl_divergence(tp, tq)
    assert_close(ours, theirs.detach(), rtol=1e-9, atol=1e-10, what="kl")
    if np.isfinite(theirs.detach().numpy()).all():
        ours.sum().backward()
        theirs.sum().backward()
        for mine, other in ((p_params, tp_params), (q_params, tq_params)):
            for key in mine:
                assert_close(mine[key].grad, other[key].grad, rtol=1e-8, atol=1e-10, what=f"kl d/d{key}")
    assert (D.kl_divergence(p, p).numpy() < 1e-12).all()


def test_kl_of_independent_normals_equals_the_diagonal_multivariate_normal():
    loc, scale = tinynn.tensor(LOC), tinynn.tensor(SCALE)
    diagonal = D.Independent(D.Normal(loc, scale), 1)
    other = D.Independent(D.Normal(loc + 1, scale * 2), 1)
    full = D.MultivariateNormal(loc, scale_tril=tinynn.tensor(np.eye(3) * SCALE[..., None]))
    full_other = D.MultivariateNormal(loc + 1, scale_tril=tinynn.tensor(np.eye(3) * 2 * SCALE[..., None]))
    assert diagonal.batch_shape == (2,) and diagonal.event_shape == (3,)
    assert_close(D.kl_divergence(diagonal, other), D.kl_divergence(full, full_other), rtol=1e-12, what="kl")
    x = tinynn.tensor(RNG.standard_normal((5, 2, 3)))
    assert_close(diagonal.log_prob(x), full.log_prob(x), rtol=1e-12, what="log_prob")
    assert_close(diagonal.entropy(), full.entropy(), rtol=1e-12, what="entropy")


@pytest.mark.parametrize("name", list(CASES))
def test_samples_have_the_shape_moments_and_seed_they_should(name, device):
    distribution, _ = make(tinynn, name, device)
    tinynn.manual_seed(3)
    draws = distribution.sample((4000,))
    tinynn.manual_seed(3)
    again = distribution.sample((4000,))
    assert draws.shape == (4000,) + distribution.batch_shape + distribution.event_shape
    np.testing.assert_array_equal(draws.numpy(), again.numpy())
    assert not draws.requires_grad
    values = draws.numpy().astype(np.float64)
    if name in RELAXED:
        assert np.isfinite(distribution.log_prob(draws).numpy()).all()
        return
    if name in NO_MOMENTS:  # the median instead, within 5 standard errors 1 / (2 p(median) sqrt(n))
        median = distribution.icdf(tinynn.tensor(0.5, device=device))
        standard_error = 1 / (2 * distribution.log_prob(median).exp().detach().numpy() * np.sqrt(4000))
        assert np.all(np.abs(np.median(draws.numpy(), 0) - median.detach().numpy()) < 5 * standard_error)
        return
    if name in DISCRETE_MEAN_NAN:
        values = np.eye(WEIGHTS.shape[-1] if "probs" in name else 3)[values.astype(int)]
        mean = distribution.probs.detach().numpy()
        variance = mean * (1 - mean)
    else:
        mean, variance = distribution.mean.detach().numpy(), distribution.variance.detach().numpy()
    # the sample mean lies within 5 standard errors of the mean (a fixed seed: this is not flaky)
    assert np.all(np.abs(values.mean(0) - mean) < 5 * np.sqrt(variance / 4000) + 1e-12)
    assert np.isfinite(distribution.log_prob(draws).numpy()).all()


def test_rsample_is_differentiable_by_reparameterisation(device):
    loc = tinynn.tensor(LOC, device=device, requires_grad=True)
    scale = tinynn.tensor(SCALE, device=device, requires_grad=True)
    normal = D.Normal(loc, scale)
    draws = normal.rsample((50,))
    draws.sum().backward()
    np.testing.assert_allclose(loc.grad.numpy(), 50)
    noise = (draws.detach().numpy() - LOC) / SCALE
    np.testing.assert_allclose(scale.grad.numpy(), noise.sum(0), rtol=1e-10)
    for distribution in (D.Uniform(loc, loc + scale), D.Exponential(scale), D.Laplace(loc, scale),
                         D.LogNormal(loc, scale), D.MultivariateNormal(loc, scale_tril=tinynn.tensor(TRIL, device=device))):
        loc.grad = scale.grad = None
        distribution.rsample((3,)).sum().backward()
        assert loc.grad is not None or scale.grad is not None
    with pytest.raises(NotImplementedError, match="Bernoulli has no reparameterized sample"):
        D.Bernoulli(probs=tinynn.tensor(PROBS)).rsample()


def test_enumerate_support_as_torch(torch):
    for name in ("Bernoulli probs", "Categorical probs", "OneHotCategorical", "Binomial"):
        ours, _ = make(tinynn, name)
        theirs, _ = make(torch, name)
        for expand in (True, False):
            assert_close(ours.enumerate_support(expand), theirs.enumerate_support(expand).double(),
                         what=f"{name} support")


def test_bad_parameters_and_values_are_clear_errors():
    with pytest.raises(ValueError, match=r"Normal: expected parameter scale of shape \(2,\) to satisfy the constraint "
                                         r"GreaterThan\(lower_bound=0.0\)"):
        D.Normal(tinynn.zeros(2), tinynn.tensor([1.0, -1.0]))
    with pytest.raises(ValueError, match="Bernoulli: give either probs or logits, not both"):
        D.Bernoulli(probs=0.5, logits=0.0)
    with pytest.raises(ValueError, match=r"Bernoulli: expected value .* to satisfy the constraint Boolean\(\)"):
        D.Bernoulli(probs=tinynn.tensor([0.3])).log_prob(tinynn.tensor([0.5]))
    with pytest.raises(ValueError, match=r"Categorical: expected value .* IntegerInterval\(lower_bound=0, upper_bound=2\)"):
        D.Categorical(probs=tinynn.tensor([0.2, 0.3, 0.5])).log_prob(tinynn.tensor(3))
    with pytest.raises(ValueError, match=r"Normal.log_prob: a value of shape \(3,\) does not broadcast"):
        D.Normal(tinynn.zeros(2), tinynn.ones(2)).log_prob(tinynn.zeros(3))
    with pytest.raises(ValueError, match="MultivariateNormal: give exactly one of"):
        D.MultivariateNormal(tinynn.zeros(2))
    with pytest.raises(ValueError, match="Uniform: expected low < high"):
        D.Uniform(1.0, 0.0)
    with pytest.raises(NotImplementedError, match="kl_divergence: no formula for Normal and Cauchy"):
        D.kl_divergence(D.Normal(0.0, 1.0), D.Cauchy(0.0, 1.0))  # (nor has PyTorch)
    unchecked = D.Normal(tinynn.zeros(1), tinynn.tensor([-1.0]), validate_args=False)
    with np.errstate(invalid="ignore"):  # log of the negative scale: NaN, unchecked as asked
        assert np.isnan(unchecked.log_prob(tinynn.zeros(1)).item())


@pytest.mark.parametrize("components", ["Normal", "MultivariateNormal"])
def test_a_mixture_matches_torch(components, torch, rng, device):
    weights = rng.random((2, 3)) + 0.2
    if components == "Normal":
        arrays = {"loc": rng.standard_normal((2, 3)), "scale": rng.random((2, 3)) + 0.5}
        values = rng.standard_normal((4, 2))
    else:
        arrays = {"loc": rng.standard_normal((2, 3, 2)), "scale_tril": np.tril(rng.standard_normal((2, 3, 2, 2)), -1)
                  + np.eye(2) * (rng.random((2, 3, 1, 2)) + 0.5)}
        values = rng.standard_normal((4, 2, 2))
    ours_params = {key: tinynn.tensor(value, device=device, requires_grad=True) for key, value in arrays.items()}
    theirs_params = {key: torch.tensor(value, requires_grad=True) for key, value in arrays.items()}
    our_weights = tinynn.tensor(weights, device=device, requires_grad=True)
    their_weights = torch.tensor(weights, requires_grad=True)
    ours = D.MixtureSameFamily(D.Categorical(probs=our_weights), getattr(D, components)(**ours_params))
    theirs = torch.distributions.MixtureSameFamily(torch.distributions.Categorical(probs=their_weights),
                                                   getattr(torch.distributions, components)(**theirs_params))
    assert ours.batch_shape == tuple(theirs.batch_shape) and ours.event_shape == tuple(theirs.event_shape)
    pairs = [(ours.log_prob(tinynn.tensor(values, device=device)), theirs.log_prob(torch.tensor(values))),
             (ours.mean, theirs.mean), (ours.variance, theirs.variance)]
    if components == "Normal":
        pairs.append((ours.cdf(tinynn.tensor(values, device=device)), theirs.cdf(torch.tensor(values))))
    for mine, other in pairs:
        assert_close(mine, other.detach(), rtol=1e-10, atol=1e-12, what="mixture")
    sum(mine.sum() for mine, _ in pairs).backward()
    sum(other.sum() for _, other in pairs).backward()
    assert_close(our_weights.grad, their_weights.grad, rtol=1e-9, atol=1e-11, what="d/dweights")
    for key in arrays:
        assert_close(ours_params[key].grad, theirs_params[key].grad, rtol=1e-9, atol=1e-11, what=f"d/d{key}")
    tinynn.manual_seed(0)
    draws = ours.sample((3000,))
    assert draws.shape == (3000,) + ours.batch_shape + ours.event_shape
    standard_error = np.sqrt(ours.variance.detach().numpy() / 3000)
    assert np.all(np.abs(draws.numpy().mean(0) - ours.mean.detach().numpy()) < 5 * standard_error)


def test_a_gamma_draws_derivative_is_its_implicit_one_as_torchs(torch, rng):
    """dx/dalpha at fixed quantile: close to PyTorch's (its approximations) and equal to the finite
    difference of the CDF (computed apart, in Python floats) to 1e-7."""
    from tinynn.distributions.gamma import standard_gamma_slope

    import math

    alpha = np.array([0.05, 0.5, 1.0, 3.0, 30.0, 300.0, 2000.0])
    draws = rng.gamma(alpha)
    ours = standard_gamma_slope(alpha, draws)
    theirs = torch._standard_gamma_grad(torch.tensor(alpha), torch.tensor(draws)).numpy()
    np.testing.assert_allclose(ours, theirs, rtol=1e-4)  # PyTorch's approximations are off by up to 3e-5 here

    def cdf(a, x):  # P(a, x) by its series, summed exactly (math.fsum) in Python floats
        log_term, terms, n = a * math.log(x) - x - math.lgamma(a + 1), [], 0
        while n < x + 50 * math.sqrt(x) + 100 or math.exp(log_term) > 1e-30:
            terms.append(math.exp(log_term))
            n += 1
            log_term += math.log(x) - math.log(a + n)
        return math.fsum(terms)

    for a, x, slope in zip(alpha, draws, ours):
        h = 1e-5 * max(a, 1.0)  # Richardson-extrapolated central differences of the CDF in a
        d1, d2 = (cdf(a + h, x) - cdf(a - h, x)) / (2 * h), (cdf(a + 2 * h, x) - cdf(a - 2 * h, x)) / (4 * h)
        density = math.exp((a - 1) * math.log(x) - x - math.lgamma(a))
        assert abs(slope + (4 * d1 - d2) / 3 / density) < 1e-7 * max(1.0, abs(slope))


@pytest.mark.parametrize("name", ["Gamma", "Beta", "Dirichlet", "StudentT", "Chi2"])
def test_reparameterised_gamma_family_gradients_are_unbiased(name, device):
    """The average of d(draw)/d(parameter) over many draws is d E[draw] / d(parameter)."""
    tinynn.manual_seed(1)
    a = tinynn.tensor([2.5], dtype=np.float64, device=device, requires_grad=True)
    b = tinynn.tensor([1.5], dtype=np.float64, device=device, requires_grad=True)
    n = 20000
    if name == "Gamma":
        draws, expected = D.Gamma(a, b).rsample((n,)), (1 / 1.5, -2.5 / 1.5 ** 2)  # mean a / b
    elif name == "Chi2":
        draws, expected = D.Chi2(a).rsample((n,)), (1.0, None)  # mean df
    elif name == "Beta":
        draws, expected = D.Beta(a, b).rsample((n,)), (1.5 / 4 ** 2, -2.5 / 4 ** 2)  # mean a / (a + b)
    elif name == "Dirichlet":
        concentration = tinynn.tensor([2.5, 1.5], dtype=np.float64, device=device, requires_grad=True)
        draws = D.Dirichlet(concentration).rsample((n,))[:, :1]
        a, b, expected = concentration, None, ([1.5 / 16, -2.5 / 16], None)
    else:
        draws, expected = D.StudentT(a + 1.5, b).rsample((n,)), (0.0, 1.0)  # mean loc (df 4): d/ddf 0, d/dloc 1
    draws.mean().backward()
    assert draws.requires_grad and np.isfinite(draws.numpy()).all()
    tolerance = 0.05
    np.testing.assert_allclose(a.grad.numpy().ravel(), np.ravel(expected[0]), atol=tolerance)
    if expected[1] is not None:
        np.testing.assert_allclose(b.grad.numpy().ravel(), [expected[1]], atol=tolerance)


@pytest.mark.parametrize("name", ["Multinomial probs", "Multinomial logits"])
def test_multinomial_entropy_is_the_sum_over_every_outcome(name):
    """-sum P(x) log P(x) over every count vector x, each log P from math.lgamma in float64."""
    import itertools
    import math

    distribution, _ = make(tinynn, name)
    n, probs = distribution.total_count, distribution.probs.detach().numpy()
    categories = probs.shape[-1]
    outcomes = [x for x in itertools.product(range(n + 1), repeat=categories) if sum(x) == n]
    expected = []
    for row in probs:
        log_p = [math.lgamma(n + 1) - sum(math.lgamma(k + 1) for k in x) + sum(k * math.log(p) for k, p in zip(x, row))
                 for x in outcomes]
        expected.append(-sum(math.exp(value) * value for value in log_p))
    np.testing.assert_allclose(distribution.entropy().detach().numpy(), expected, rtol=1e-12)


def test_relaxed_draws_become_the_discrete_ones_as_the_temperature_falls():
    """At temperature 0.05 a RelaxedOneHotCategorical draw is nearly one-hot, and its largest entry
    is category k with probability p_k (the Gumbel-max trick); a RelaxedBernoulli draw is above 1/2
    with probability p. Frequencies within 5 standard errors, 4000 draws, a fixed seed."""
    tinynn.manual_seed(5)
    probs = tinynn.tensor(WEIGHTS / WEIGHTS.sum(-1, keepdims=True))
    draws = D.RelaxedOneHotCategorical(tinynn.tensor(0.05), probs=probs).sample((4000,)).numpy()
    assert draws.max(-1).mean() > 0.95 and np.allclose(draws.sum(-1), 1, atol=1e-9)
    frequencies = (draws.argmax(-1)[..., None] == np.arange(4)).mean(0)
    expected = probs.numpy()
    assert np.all(np.abs(frequencies - expected) < 5 * np.sqrt(expected * (1 - expected) / 4000))
    bernoulli = D.RelaxedBernoulli(tinynn.tensor(0.05), probs=tinynn.tensor(PROBS)).sample((4000,)).numpy()
    assert np.all((bernoulli > 0) & (bernoulli < 1))
    assert np.all(np.abs((bernoulli > 0.5).mean(0) - PROBS) < 5 * np.sqrt(PROBS * (1 - PROBS) / 4000))
    logits = tinynn.tensor(LOC, requires_grad=True)  # rsample is differentiable in the logits
    D.RelaxedOneHotCategorical(tinynn.tensor(0.5), logits=logits).rsample((3,))[..., 0].sum().backward()
    assert np.abs(logits.grad.numpy()).sum() > 0


def test_von_mises_is_exact_on_the_circle_and_agrees_with_torch(torch):
    """Its density integrates to 1 and its circular variance is 1 - E[cos(x - loc)] (sums over the
    circle, exact to rounding for a periodic function), for concentrations from 1e-3 to 200; log_prob
    and variance agree with PyTorch's to its approximation of log I0 (Abramowitz and Stegun's
    polynomials, within about 1e-7), gradients by gradcheck in float64."""
    from tinynn.autograd import gradcheck

    loc, kappa = np.array([0.3, -2.0, 3.0, 1.0, 0.0]), np.array([1e-3, 0.5, 4.0, 50.0, 200.0])
    ours = D.VonMises(tinynn.tensor(loc), tinynn.tensor(kappa))
    theta = np.linspace(-np.pi, np.pi, 40001)[:-1][:, None]
    density = np.exp(ours.log_prob(tinynn.tensor(theta)).numpy())
    np.testing.assert_allclose(density.sum(0) * (2 * np.pi / 40000), 1, rtol=1e-12)
    circular_variance = 1 - (np.cos(theta - loc) * density).sum(0) * (2 * np.pi / 40000)
    np.testing.assert_allclose(ours.variance.numpy(), circular_variance, rtol=1e-10, atol=1e-14)
    theirs = torch.distributions.VonMises(torch.tensor(loc), torch.tensor(kappa))
    values = np.array([0.1, -2.5, 2.9, -3.0, 0.01])
    np.testing.assert_allclose(ours.log_prob(tinynn.tensor(values)).numpy(), theirs.log_prob(torch.tensor(values)).numpy(),
                               rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(ours.variance.numpy(), theirs.variance.numpy(), rtol=1e-4, atol=1e-6)
    assert gradcheck(lambda l, k: D.VonMises(l, k).log_prob(tinynn.tensor(values)),
                     [tinynn.tensor(loc, requires_grad=True), tinynn.tensor(kappa, requires_grad=True)])


def test_von_mises_draws_wrap_onto_the_circle_with_the_right_spread():
    tinynn.manual_seed(4)
    loc, kappa = np.array([0.3, -3.0, 2.0]), np.array([0.5, 4.0, 1e-5])
    distribution = D.VonMises(tinynn.tensor(loc, dtype=tinynn.float32), tinynn.tensor(kappa, dtype=tinynn.float32))
    draws = distribution.sample((20000,))
    tinynn.manual_seed(4)
    assert draws.dtype == np.float32 and draws.tolist() == distribution.sample((20000,)).tolist()
    values = draws.numpy().astype(np.float64)
    assert values.min() >= -np.pi and values.max() < np.pi
    resultant = np.cos(values - loc).mean(0)  # E[cos(x - loc)] = I1 / I0, within 5 standard errors
    expected = 1 - distribution.variance.numpy().astype(np.float64)
    assert np.all(np.abs(resultant - expected) < 5 * np.cos(values - loc).std(0) / np.sqrt(20000))


def test_gamma_and_chi2_cdf_match_torch_with_gradients_in_rate_and_value(torch, device):
    concentration, rate, values = np.array([0.5, 2.0, 7.5]), np.array([1.5, 0.7, 2.0]), np.array([0.3, 2.0, 4.1])
    ours_rate, ours_value = (tinynn.tensor(v, device=device, requires_grad=True) for v in (rate, values))
    their_rate, their_value = (torch.tensor(v, requires_grad=True) for v in (rate, values))
    ours = D.Gamma(tinynn.tensor(concentration, device=device), ours_rate).cdf(ours_value)
    theirs = torch.distributions.Gamma(torch.tensor(concentration), their_rate).cdf(their_value)
    assert_close(ours, theirs.detach(), rtol=1e-10, atol=1e-12, what="Gamma cdf")
    ours.sum().backward()
    theirs.sum().backward()
    assert_close(ours_rate.grad, their_rate.grad, rtol=1e-10, atol=1e-12, what="d cdf / d rate")
    assert_close(ours_value.grad, their_value.grad, rtol=1e-10, atol=1e-12, what="d cdf / d value")
    chi2 = D.Chi2(tinynn.tensor(concentration * 2, device=device)).cdf(tinynn.tensor(values, device=device))
    assert_close(chi2, torch.distributions.Chi2(torch.tensor(concentration * 2)).cdf(torch.tensor(values)), rtol=1e-10,
                 atol=1e-12, what="Chi2 cdf")


def test_constraints_check_as_torchs(torch, rng):
    # (PyTorch's positive_semidefinite checks only symmetry when a batch holds an asymmetric matrix:
    # it is compared on symmetric ones)
    C, TC = D.constraints, torch.distributions.constraints
    matrices = np.stack([np.eye(3), [[1.0, 0, 0], [0.6, 0.8, 0], [0, 0.6, 0.8]], [[1.0, 2, 0], [2, 1, 0], [0, 0, 1]],
                         [[2.0, 1, 0], [1, 2, 0], [0, 0, 1e-9]]])
    vectors = np.array([[0.5, 1.0, 2.0], [0.0, 1.0, 3.0], [-1.0, 2.0, 5.0]])
    pairs = [(C.lower_triangular, TC.lower_triangular, matrices), (C.corr_cholesky, TC.corr_cholesky, matrices),
             (C.symmetric, TC.symmetric, matrices), (C.positive_semidefinite, TC.positive_semidefinite, matrices[[0, 2, 3]]),
             (C.square, TC.square, matrices), (C.positive_integer, TC.positive_integer, vectors),
             (C.greater_than(0.5), TC.greater_than(0.5), vectors), (C.greater_than_eq(0.5), TC.greater_than_eq(0.5), vectors),
             (C.less_than(2.0), TC.less_than(2.0), vectors), (C.half_open_interval(0.0, 2.0), TC.half_open_interval(0.0, 2.0),
                                                               vectors),
             (C.independent(C.positive, 1), TC.independent(TC.positive, 1), vectors),
             (C.multinomial(4), TC.multinomial(4), vectors),
             (C.cat([C.positive, C.real], 1, [1, 2]), TC.cat([TC.positive, TC.real], 1, [1, 2]), vectors),
             (C.stack([C.positive, C.real, C.nonnegative], 1), TC.stack([TC.positive, TC.real, TC.nonnegative], 1), vectors)]
    for ours, theirs, values in pairs:
        np.testing.assert_array_equal(ours.check(values), theirs.check(torch.tensor(values)).numpy(), err_msg=repr(ours))
        assert ours.event_dim == theirs.event_dim, repr(ours)


def test_wishart_by_its_cholesky_factor_matches_torch_on_the_lower_triangle(torch):
    # the factor's upper triangle is not read; PyTorch's cholesky_solve still sends it a gradient
    values = {"df": np.array([4.5, 6.0]), "scale_tril": TRIL}
    ours = {k: tinynn.tensor(v, requires_grad=True) for k, v in values.items()}
    theirs = {k: torch.tensor(v, requires_grad=True) for k, v in values.items()}
    p, tp = D.Wishart(**ours), torch.distributions.Wishart(**theirs)
    torch.manual_seed(0)
    draws = tp.sample((3,))
    pairs = [(p.log_prob(tinynn.tensor(draws.numpy())), tp.log_prob(draws)), (p.entropy(), tp.entropy()),
             (p.mean, tp.mean), (p.variance, tp.variance)]
    for mine, its in pairs:
        assert_close(mine, its.detach(), rtol=1e-10, atol=1e-10)
    sum(mine.sum() for mine, _ in pairs).backward()
    sum(its.sum() for _, its in pairs).backward()
    assert_close(ours["df"].grad, theirs["df"].grad, rtol=1e-8, atol=1e-10)
    assert_close(np.tril(ours["scale_tril"].grad.numpy()), np.tril(theirs["scale_tril"].grad.numpy()), rtol=1e-8,
                 atol=1e-10)
    with pytest.raises(ValueError, match="Wishart: df must be greater than p - 1 = 2"):
        D.Wishart(tinynn.tensor(1.5), scale_tril=tinynn.tensor(TRIL))


def test_lkj_draws_are_correlation_factors_with_the_right_spread(torch):
    # for LKJ(eta) in D dimensions each correlation has variance 1 / (2 eta + D - 1)
    concentration = np.array([0.5, 1.0, 3.0])
    draws = D.LKJCholesky(4, tinynn.tensor(concentration)).sample((20000,)).numpy()
    assert D.constraints.corr_cholesky.check(draws).all()
    correlations = (draws @ draws.swapaxes(-1, -2))[..., 0, 1]
    np.testing.assert_allclose(correlations.var(0), 1 / (2 * concentration + 3), rtol=0.05)
    with pytest.raises(ValueError, match="LKJCholesky: dim must be an integer of at least 2, got 1"):
        D.LKJCholesky(1)


@pytest.mark.parametrize("name", list(CASES))
def test_expand_adds_batch_dimensions_as_torch(name, torch):
    ours, _ = make(tinynn, name)
    theirs, _ = make(torch, name)
    shape = (2,) + tuple(theirs.batch_shape)
    ours, theirs = ours.expand(shape), theirs.expand(torch.Size(shape))
    assert ours.batch_shape == shape and ours.event_shape == tuple(theirs.event_shape)
    torch.manual_seed(0)
    values = theirs.sample((3,))
    assert_close(ours.log_prob(tinynn.tensor(values.numpy())), theirs.log_prob(values).detach(), rtol=1e-9, atol=1e-10)
    assert ours.sample((3,)).shape == tuple(values.shape)


# PyTorch builds these on a base distribution and prints none of their parameters ("Beta()"); tinynn
# prints the ones given, as it does for every other distribution
TORCH_PRINTS_NO_PARAMETERS = {"LogNormal", "Chi2", "Beta", "Beta below one", "HalfNormal", "HalfCauchy"}


@pytest.mark.parametrize("name", list(CASES))
def test_prints_its_parameters_as_torch(name, torch):
    ours, our_params = make(tinynn, name)
    theirs, _ = make(torch, name)
    if name in TORCH_PRINTS_NO_PARAMETERS:
        assert repr(theirs) == f"{CASES[name][0]}()"
        shown = ", ".join(f"{key}: tinynn.Size({list(value.shape)})" for key, value in our_params.items())
        assert repr(ours) == f"{CASES[name][0]}({shown})"
    else:
        assert repr(ours) == repr(theirs).replace("torch.Size", "tinynn.Size")


def test_a_wishart_prints_the_matrix_given_and_its_degrees_of_freedom_as_torch(torch):
    sigma = TRIL[0] @ TRIL[0].T
    ours, theirs = D.Wishart(tinynn.tensor(4.0), tinynn.tensor(sigma)), torch.distributions.Wishart(
        torch.tensor(4.0), torch.tensor(sigma))
    assert repr(ours) == repr(theirs).replace("torch.Size", "tinynn.Size") == \
        "Wishart(covariance_matrix: tinynn.Size([3, 3]), df: 4.0)"
    assert list(ours.arg_constraints) == list(theirs.arg_constraints)
    assert repr(ours.arg_constraints["df"]) == repr(theirs.arg_constraints["df"]) == "GreaterThan(lower_bound=2)"
    assert_close(ours.scale_tril, theirs.scale_tril.detach(), rtol=1e-12, atol=1e-12)
    ours = D.Independent(D.Normal(tinynn.tensor([0.0, 1.0]), 1.0), 1)
    theirs = torch.distributions.Independent(torch.distributions.Normal(torch.tensor([0.0, 1.0]), 1.0), 1)
    assert repr(ours) == repr(theirs).replace("torch.Size", "tinynn.Size") == \
        "Independent(Normal(loc: tinynn.Size([2]), scale: tinynn.Size([2])), 1)"


def test_set_default_validate_args_turns_the_checks_of_distributions_made_without_it_on_and_off(torch):
    def made(library):
        dist = library.distributions
        results = []
        for default in (True, False):
            dist.Distribution.set_default_validate_args(default)
            try:
                outcomes = []
                for build in (lambda: dist.Normal(library.zeros(1), -library.ones(1)),
                              lambda: dist.Uniform(library.ones(1), library.zeros(1)),
                              lambda: dist.Independent(dist.Normal(library.zeros(2), library.ones(2)), 1),
                              lambda: dist.Normal(library.zeros(1), -library.ones(1), validate_args=True),
                              lambda: dist.Exponential(library.ones(1)).log_prob(-library.ones(1))):
                    try:
                        made = build()
                        outcomes.append(getattr(made, "_validate_args", "log_prob taken"))
                    except (ValueError, RuntimeError):
                        outcomes.append("refused")
                results.append(outcomes)
            finally:
                dist.Distribution.set_default_validate_args(True)
        with pytest.raises(ValueError):
            dist.Distribution.set_default_validate_args("yes")
        return results

    assert made(tinynn) == made(torch) == [
        ["refused", "refused", True, "refused", "refused"], [False, False, False, "refused", "log_prob taken"]]


def test_binomial_entropy_sums_over_its_support_as_pytorchs(torch):
    """(It raised NotImplementedError: the base class's.)"""
    probs = np.array([0.3, 0.9, 0.5])
    ours = tinynn.distributions.Binomial(10, tinynn.tensor(probs, requires_grad=True))
    theirs = torch.distributions.Binomial(10, torch.tensor(probs, requires_grad=True))
    np.testing.assert_allclose(ours.entropy().detach().numpy(), theirs.entropy().detach().numpy(), rtol=1e-12)
    ours.entropy().sum().backward()
    theirs.entropy().sum().backward()
    # (at p = 1/2 the entropy is largest: the gradient is 0, both sides float64 rounding of it)
    np.testing.assert_allclose(ours.probs.grad.numpy(), theirs.probs.grad.numpy(), rtol=1e-10, atol=1e-12)
    with pytest.raises(NotImplementedError):
        tinynn.distributions.Binomial(tinynn.tensor([3.0, 4.0]), tinynn.tensor([0.3, 0.9])).entropy()


@pytest.mark.parametrize("name", ["Binomial", "NegativeBinomial"])
def test_count_log_probs_have_the_right_gradient_at_probability_one_half(name, torch):
    """At p = 1/2 (logits 0) softplus was written max(l, 0) + log(1 + e^-|l|), each term with a kink
    there, and the gradient of log_prob came out n/2 off; now logsigmoid's, equal to PyTorch's."""
    gradients = []
    for library in (tinynn, torch):
        probs = library.tensor([0.5, 0.3], dtype=library.float64, requires_grad=True)
        distribution = getattr(library.distributions, name)(10, probs=probs)
        log_prob = distribution.log_prob(library.tensor([3.0, 4.0], dtype=library.float64)).sum()
        gradients.append(library.autograd.grad(log_prob, probs)[0].numpy())
    np.testing.assert_allclose(gradients[0], gradients[1], rtol=1e-12)


def test_independent_support_holds_whole_events_as_pytorchs(torch):
    """Independent's support was the base distribution's: checked value by value, and biject_to made a
    transform of event_dim 0 for a distribution whose events are vectors."""
    values = [[0.0, float("nan")], [1.0, 2.0], [0.0, 0.0]]
    for library in (tinynn, torch):
        d = library.distributions
        support = d.Independent(d.Normal(library.zeros(3, 2), library.ones(3, 2)), 1).support
        assert support.event_dim == 1
        assert support.check(library.tensor(values)).tolist() == [False, True, True]
        assert d.biject_to(support).codomain.event_dim == 1
