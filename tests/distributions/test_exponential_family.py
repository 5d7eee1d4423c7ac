"""ExponentialFamily: the entropy and KL divergence that follow from the log-normalizer F alone
(Bregman divergence, by autograd) equal each family's closed forms and PyTorch's, in value and in
their gradients with respect to the parameters; a user's own family gets them for free."""
import math

import numpy as np
import pytest

import tinynn
from tinynn import distributions as D
from tinynn.autograd import gradcheck
from tinynn.distributions.exponential_family import ExponentialFamily, exponential_family_kl
from helpers import assert_close

FAMILIES = {
    "Normal": lambda rng: dict(loc=rng.standard_normal(3), scale=rng.uniform(0.5, 2.0, 3)),
    "Exponential": lambda rng: dict(rate=rng.uniform(0.3, 3.0, 3)),
    "Gamma": lambda rng: dict(concentration=rng.uniform(0.4, 4.0, 3), rate=rng.uniform(0.3, 3.0, 3)),
    "Chi2": lambda rng: dict(df=rng.uniform(0.5, 6.0, 3)),
    "Beta": lambda rng: dict(concentration1=rng.uniform(0.4, 4.0, 3), concentration0=rng.uniform(0.4, 4.0, 3)),
    "Dirichlet": lambda rng: dict(concentration=rng.uniform(0.4, 4.0, (2, 4))),
    "Bernoulli": lambda rng: dict(logits=rng.uniform(-3.0, 3.0, 3)),
    # logits 0.001 lies in the Taylor region of F (|l| < 0.01), 0.02 just outside it
    "ContinuousBernoulli": lambda rng: dict(logits=np.array([-2.5, 0.001, 0.02, 4.0])),
    "Poisson": lambda rng: dict(rate=rng.uniform(0.3, 6.0, 3)),
}
WITH_ENTROPY = sorted(set(FAMILIES) - {"Poisson"})


def made(library, name, values, requires_grad=True, **device):
    tensors = {key: library.tensor(value, requires_grad=requires_grad, **device) for key, value in values.items()}
    return getattr(library.distributions, name)(**tensors), tensors


def gradient(tensor):
    """The gradient backward left in ``tensor`` (zeros where the result did not depend on it)."""
    return tensor.grad.numpy() if tensor.grad is not None else np.zeros(tensor.shape)


@pytest.mark.parametrize("name", WITH_ENTROPY)
def test_bregman_entropy_equals_the_closed_form_in_value_and_gradient(rng, name):
    values = FAMILIES[name](rng)
    general, general_params = made(tinynn, name, values)
    closed, closed_params = made(tinynn, name, values)
    ours = ExponentialFamily.entropy(general)
    assert isinstance(general, ExponentialFamily)
    assert ours.shape == closed.batch_shape
    assert_close(ours, closed.entropy().detach(), rtol=1e-10, atol=1e-12, what=f"{name} entropy")
    ours.sum().backward()
    closed.entropy().sum().backward()
    for key in values:
        assert_close(gradient(general_params[key]), gradient(closed_params[key]), rtol=1e-8, atol=1e-10,
                     what=f"d/d{key}")


@pytest.mark.parametrize("name", sorted(FAMILIES))
def test_bregman_kl_equals_the_closed_form_in_value_and_gradient(rng, device, name):
    p_values, q_values = FAMILIES[name](rng), FAMILIES[name](rng)
    if name == "ContinuousBernoulli":
        q_values = dict(logits=np.array([0.5, -0.004, 3.0, -1.0]))
    p, p_params = made(tinynn, name, p_values, device=device)
    q, q_params = made(tinynn, name, q_values, device=device)
    (cp, cp_params), (cq, cq_params) = made(tinynn, name, p_values), made(tinynn, name, q_values)
    ours, closed = exponential_family_kl(p, q), D.kl_divergence(cp, cq)
    assert ours.device == p_params[next(iter(p_values))].device
    assert_close(ours, closed.detach(), rtol=1e-9, atol=1e-11, what=f"KL({name} || {name})")
    ours.sum().backward()
    closed.sum().backward()
    for mine, reference in ((p_params, cp_params), (q_params, cq_params)):
        for key in mine:
            assert_close(gradient(mine[key]), gradient(reference[key]), rtol=1e-7, atol=1e-10, what=f"d/d{key}")


@pytest.mark.parametrize("name", WITH_ENTROPY)
def test_bregman_entropy_and_kl_equal_torch(torch, rng, name):
    p_values, q_values = FAMILIES[name](rng), FAMILIES[name](rng)
    (p, _), (q, _) = made(tinynn, name, p_values, False), made(tinynn, name, q_values, False)
    (tp, _), (tq, _) = made(torch, name, p_values, False), made(torch, name, q_values, False)
    assert_close(ExponentialFamily.entropy(p), tp.entropy(), rtol=1e-9, atol=1e-11, what="entropy")
    assert_close(exponential_family_kl(p, q), torch.distributions.kl_divergence(tp, tq), rtol=1e-8, atol=1e-10,
                 what="KL")


def test_bregman_entropy_gradient_passes_gradcheck(rng):
    concentration = tinynn.tensor(rng.uniform(0.5, 3.0, (2, 3)), requires_grad=True)
    gradcheck(lambda a: ExponentialFamily.entropy(D.Dirichlet(a)), (concentration,))
    loc, scale = (tinynn.tensor(rng.standard_normal(3), requires_grad=True),
                  tinynn.tensor(rng.uniform(0.5, 2.0, 3), requires_grad=True))
    gradcheck(lambda m, s: exponential_family_kl(D.Normal(m, s), D.Normal(m * 0.5 + 1, s * 2)), (loc, scale))


def test_the_gradient_of_the_log_normalizer_is_the_mean_of_the_sufficient_statistics(rng):
    """E[t(x)] = grad F(theta): (E[x], E[x^2]) for the normal, E[x] for the continuous Bernoulli."""
    normal = D.Normal(tinynn.tensor([0.3, -1.2]), tinynn.tensor([0.5, 2.0]))
    _, _, (mean_x, mean_x2), _ = normal._normalizer_and_mean_statistics()
    assert_close(mean_x, normal.mean, rtol=1e-12, atol=1e-12, what="E[x]")
    assert_close(mean_x2, normal.mean ** 2 + normal.variance, rtol=1e-12, atol=1e-12, what="E[x^2]")
    logits = np.array([-30.0, -0.0099, -1e-5, 0.0, 1e-5, 0.0101, 0.7, 30.0, 200.0])
    bernoulli = D.ContinuousBernoulli(logits=tinynn.tensor(logits))
    _, normalizer, (mean,), _ = bernoulli._normalizer_and_mean_statistics()
    assert np.isfinite(normalizer.numpy()).all()
    # E[x] = 1 / (1 - e^-l) - 1 / l: the exact mean, which the distribution's own form (on lambda
    # clamped away from 0 and 1) only approaches at large |l|; near l = 0 both are Taylor series
    wide = np.abs(logits) > 0.005
    assert_close(mean.numpy()[wide], 1 / -np.expm1(-logits[wide]) - 1 / logits[wide], rtol=1e-12, atol=1e-14,
                 what="continuous Bernoulli mean")
    assert_close(mean.numpy()[~wide], bernoulli.mean.numpy()[~wide], rtol=1e-12, atol=1e-14, what="mean near 1/2")
    # F(l) = log((e^l - 1) / l), where float64 holds e^l
    closed_form = wide & (logits < 100)
    assert_close(normalizer.numpy()[closed_form], np.log(np.expm1(logits[closed_form]) / logits[closed_form]),
                 rtol=1e-12, atol=1e-14, what="F")
    assert abs(normalizer.numpy()[-1] - (200 - np.log(200))) < 1e-12


def test_results_are_detached_without_parameters_that_need_grad(rng):
    p, q = D.Gamma(tinynn.tensor([1.5, 2.0]), tinynn.tensor([0.5, 1.0])), D.Gamma(2.0, 3.0)
    assert not ExponentialFamily.entropy(p).requires_grad
    assert not exponential_family_kl(p, q).requires_grad
    concentration = tinynn.tensor([1.5, 2.0], requires_grad=True)
    with tinynn.no_grad():
        assert not ExponentialFamily.entropy(D.Gamma(concentration, 1.0)).requires_grad
    assert ExponentialFamily.entropy(D.Gamma(concentration, 1.0)).requires_grad


class Rayleigh(ExponentialFamily):
    """A user's family, not one tinynn knows: p(x) = x / s^2 exp(-x^2 / (2 s^2)) on x >= 0, with
    theta = -1 / (2 s^2), t(x) = x^2, h(x) = x and F(theta) = -log(-2 theta) = log(s^2)."""

    def __init__(self, scale):
        self.scale = tinynn.tensor(scale) if not isinstance(scale, tinynn.Tensor) else scale
        super().__init__(self.scale.shape, (), validate_args=False)

    @property
    def _natural_params(self):
        return (-0.5 / self.scale ** 2,)

    def _log_normalizer(self, theta):
        return -(-2 * theta).log()

    @property
    def _mean_carrier_measure(self):
        """E[log x] = log(s sqrt 2) - euler_gamma / 2."""
        return (self.scale * math.sqrt(2)).log() - 0.5772156649015329 / 2


def test_a_users_family_gets_its_entropy_and_kl_from_the_log_normalizer():
    s_p, s_q = np.array([0.5, 1.0, 3.0]), np.array([2.0, 1.0, 0.7])
    entropy = Rayleigh(s_p).entropy()
    assert_close(entropy, 1 + np.log(s_p / np.sqrt(2)) + 0.5772156649015329 / 2, rtol=1e-12, atol=1e-12,
                 what="Rayleigh entropy")
    kl = D.kl_divergence(Rayleigh(s_p), Rayleigh(s_q))
    assert_close(kl, 2 * np.log(s_q / s_p) + s_p ** 2 / s_q ** 2 - 1, rtol=1e-12, atol=1e-12, what="Rayleigh KL")


def test_families_without_a_formula_between_them_say_so():
    with pytest.raises(NotImplementedError, match="no formula for Rayleigh and Normal"):
        D.kl_divergence(Rayleigh(np.array([1.0])), D.Normal(0.0, 1.0))
    with pytest.raises(NotImplementedError, match=r"Poisson does not give E\[log h\(x\)\]"):
        D.Poisson(tinynn.tensor([2.0])).entropy()
    assert "ExponentialFamily" in D.__all__ and D.ExponentialFamily is ExponentialFamily


def test_the_wishart_is_an_exponential_family_whose_kl_is_pytorchs(torch):
    """Its natural parameters (a matrix and a number) and log-normalizer give the entropy of its closed
    form and, as PyTorch's, a KL divergence between Wisharts (tinynn had none), also per batch element and
    differentiable in the parameters."""
    import numpy as np

    from tinynn import distributions as D

    covariance = [[1.0, 0.2, 0.0], [0.2, 1.5, 0.1], [0.0, 0.1, 0.8]]

    def both(library, df_p, df_q):
        make = library.distributions.Wishart
        p = make(library.tensor(df_p, dtype=library.float64), covariance_matrix=library.eye(3, dtype=library.float64) * 2)
        q = make(library.tensor(df_q, dtype=library.float64), covariance_matrix=library.tensor(covariance,
                                                                                             dtype=library.float64))
        return p, q

    p, q = both(tinynn, 5.0, 6.0)
    tp, tq = both(torch, 5.0, 6.0)
    assert isinstance(p, D.ExponentialFamily)
    np.testing.assert_allclose(D.kl_divergence(p, q).numpy(), torch.distributions.kl_divergence(tp, tq).detach().numpy(),
                               rtol=1e-10)
    np.testing.assert_allclose(D.ExponentialFamily.entropy(p).numpy(), p.entropy().numpy(), rtol=1e-12)
    batched_p, batched_q = both(tinynn, [5.0, 7.0], [6.0, 4.0])
    one_by_one = [float(D.kl_divergence(*both(tinynn, a, b))) for a, b in ((5.0, 6.0), (7.0, 4.0))]
    np.testing.assert_allclose(D.kl_divergence(batched_p, batched_q).numpy(), one_by_one, rtol=1e-12)
    df = tinynn.tensor(5.0, dtype=tinynn.float64, requires_grad=True)
    D.kl_divergence(D.Wishart(df, covariance_matrix=tinynn.eye(3, dtype=tinynn.float64) * 2), q).backward()
    step = 1e-6  # (PyTorch's detaches the parameters here: its KL has no gradient to compare with)
    slope = (float(D.kl_divergence(*both(tinynn, 5.0 + step, 6.0))) - float(D.kl_divergence(*both(tinynn, 5.0 - step, 6.0))))
    np.testing.assert_allclose(df.grad.numpy(), slope / (2 * step), rtol=1e-6)
