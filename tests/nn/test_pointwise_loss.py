"""mse, l1, huber, smooth_l1, binary_cross_entropy (with logits), kl_div: gradchecks in both arguments,
PyTorch parity for every reduction and option on every device, stability, errors; normalize and
cosine_similarity."""
import numpy as np
import pytest

import tinynn
from tinynn import nn
from tinynn.autograd import gradcheck
from tinynn.nn import functional as F
from helpers import assert_close, away_from, leaf, to_torch

# name: (our call, PyTorch's call, input sampler, target sampler); w and pw are tensors or None
LOSSES = {
    "mse": (lambda x, y, r, w, pw: F.mse_loss(x, y, reduction=r), lambda torch, x, y, r, w, pw: torch.nn.functional.mse_loss(x, y, reduction=r)),
    "l1": (lambda x, y, r, w, pw: F.l1_loss(x, y, reduction=r), lambda torch, x, y, r, w, pw: torch.nn.functional.l1_loss(x, y, reduction=r)),
    "huber": (lambda x, y, r, w, pw: F.huber_loss(x, y, r, delta=0.7),
              lambda torch, x, y, r, w, pw: torch.nn.functional.huber_loss(x, y, reduction=r, delta=0.7)),
    "smooth_l1": (lambda x, y, r, w, pw: F.smooth_l1_loss(x, y, reduction=r, beta=0.5),
                  lambda torch, x, y, r, w, pw: torch.nn.functional.smooth_l1_loss(x, y, reduction=r, beta=0.5)),
    "smooth_l1_beta0": (lambda x, y, r, w, pw: F.smooth_l1_loss(x, y, reduction=r, beta=0.0),
                        lambda torch, x, y, r, w, pw: torch.nn.functional.smooth_l1_loss(x, y, reduction=r, beta=0.0)),
    "bce": (lambda x, y, r, w, pw: F.binary_cross_entropy(x, y, w, reduction=r),
            lambda torch, x, y, r, w, pw: torch.nn.functional.binary_cross_entropy(x, y, w, reduction=r)),
    "bce_logits": (lambda x, y, r, w, pw: F.binary_cross_entropy_with_logits(x, y, w, reduction=r, pos_weight=pw),
                   lambda torch, x, y, r, w, pw: torch.nn.functional.binary_cross_entropy_with_logits(x, y, w, reduction=r, pos_weight=pw)),
}


def _inputs(name, rng):
    x = rng.standard_normal((3, 4)) * 2
    y = rng.random((3, 4)) if name.startswith("bce") else rng.standard_normal((3, 4))
    if name == "bce":
        x = rng.uniform(0.05, 0.95, (3, 4))
    elif name in ("l1", "huber", "smooth_l1", "smooth_l1_beta0"):  # away from the kinks at x - y = 0 and +-delta/beta
        x = y + away_from(x - y, [0.0, 0.7, -0.7, 0.5, -0.5])
    return x, y


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("name,weighted", [(name, False) for name in LOSSES] + [("bce", True), ("bce_logits", True)])
def test_pointwise_losses_gradcheck_and_match_torch(name, reduction, weighted, rng, torch, device):
    ours, theirs = LOSSES[name]
    x_values, y_values = _inputs(name, rng)
    x, y = leaf(x_values, device=device), leaf(y_values, device=device)
    w = leaf(rng.uniform(0.5, 2, (1, 4)), device=device, requires_grad=False) if weighted else None
    pw = leaf(rng.uniform(0.5, 3, 4), device=device, requires_grad=False) if weighted and name == "bce_logits" else None
    assert gradcheck(lambda x, y: ours(x, y, reduction, w, pw), [x, y])
    tx, ty = to_torch(torch, x, True), to_torch(torch, y, True)
    tw, tpw = (to_torch(torch, t) if t is not None else None for t in (w, pw))
    out, tout = ours(x, y, reduction, w, pw), theirs(torch, tx, ty, reduction, tw, tpw)
    assert_close(out, tout, rtol=1e-10, atol=1e-12, what="forward")
    out.sum().backward()
    tout.sum().backward()
    assert_close(x.grad, tx.grad, rtol=1e-8, atol=1e-10, what="input grad")
    assert_close(y.grad, ty.grad, rtol=1e-8, atol=1e-10, what="target grad")


def test_binary_cross_entropies_are_stable_at_the_extremes(torch):
    logits = np.array([-800.0, -20.0, 0.0, 20.0, 800.0], dtype=np.float32)
    targets = np.array([1.0, 0.0, 1.0, 1.0, 0.0], dtype=np.float32)
    with np.errstate(over="raise", invalid="raise", divide="raise"):  # e^-800 may underflow to 0: harmless
        ours = F.binary_cross_entropy_with_logits(tinynn.tensor(logits), tinynn.tensor(targets), reduction="none")
    theirs = torch.nn.functional.binary_cross_entropy_with_logits(torch.tensor(logits), torch.tensor(targets), reduction="none")
    assert_close(ours, theirs, rtol=1e-6)
    probabilities = np.array([0.0, 1.0, 0.5], dtype=np.float32)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        ours = F.binary_cross_entropy(tinynn.tensor(probabilities), tinynn.tensor([1.0, 0.0, 1.0]), reduction="none")
    assert_close(ours, torch.nn.functional.binary_cross_entropy(torch.tensor(probabilities), torch.tensor([1.0, 0.0, 1.0]),
                                                                reduction="none"))  # log clamped at -100: 100, not inf


def test_loss_modules_and_errors(torch, device):
    pos_weight = tinynn.tensor([2.0, 1.0], device=device)
    layer = nn.BCEWithLogitsLoss(pos_weight=pos_weight)
    assert list(layer.state_dict()) == list(torch.nn.BCEWithLogitsLoss(pos_weight=torch.ones(2)).state_dict())
    for module in (nn.MSELoss(), nn.L1Loss(reduction="sum"), nn.HuberLoss(delta=2.0), nn.SmoothL1Loss(beta=0.1)):
        assert np.isfinite(module(tinynn.randn(2, 3, device=device), tinynn.randn(2, 3, device=device)).item())
    with pytest.raises(ValueError, match=r"mse_loss: target of shape \(3,\) does not match input of shape \(2, 3\)"):
        F.mse_loss(tinynn.zeros(2, 3), tinynn.zeros(3))
    with pytest.raises(ValueError, match="binary_cross_entropy: expected probabilities in \\[0, 1\\] as input, got 1.5"):
        nn.BCELoss()(tinynn.tensor([0.5, 1.5], device=device), tinynn.tensor([1.0, 0.0], device=device)).item()
    for target in ([1.5, 0.0], [-0.1, 0.0], [float("nan"), 0.0]):  # (a target of 1.5 trained on, as PyTorch refuses)
        with pytest.raises(ValueError, match="binary_cross_entropy: all elements of target should be between 0 and 1"):
            nn.BCELoss()(tinynn.tensor([0.5, 0.5], device=device), tinynn.tensor(target, device=device)).item()
        with pytest.raises(RuntimeError, match="all elements of target should be between 0 and 1"):
            torch.nn.BCELoss()(torch.tensor([0.5, 0.5]), torch.tensor(target))
    with pytest.raises(ValueError, match=r"pos_weight of shape \(3,\) cannot be broadcast to the input's \(2, 2\)"):
        F.binary_cross_entropy_with_logits(tinynn.zeros(2, 2), tinynn.zeros(2, 2), pos_weight=tinynn.ones(3))


@pytest.mark.filterwarnings("ignore:reduction. 'mean' divides")  # PyTorch's advice to use batchmean
@pytest.mark.parametrize("reduction", ["mean", "sum", "none", "batchmean"])
@pytest.mark.parametrize("log_target", [False, True])
def test_kl_div_gradcheck_and_matches_torch(reduction, log_target, rng, torch, device):
    log_q = np.log(rng.dirichlet(np.ones(5), 3))
    p = rng.dirichlet(np.ones(5), 3)
    target_values = np.log(p) if log_target else p
    x, y = leaf(log_q, device=device), leaf(target_values, device=device)
    assert gradcheck(lambda x, y: F.kl_div(x, y, reduction=reduction, log_target=log_target), [x, y])
    tx, ty = to_torch(torch, x, True), to_torch(torch, y, True)
    out = nn.KLDivLoss(reduction=reduction, log_target=log_target)(x, y)
    tout = torch.nn.functional.kl_div(tx, ty, reduction=reduction, log_target=log_target)
    assert_close(out, tout, rtol=1e-10, atol=1e-12)
    out.sum().backward()
    tout.sum().backward()
    assert_close(x.grad, tx.grad, rtol=1e-8, atol=1e-10)
    assert_close(y.grad, ty.grad, rtol=1e-8, atol=1e-10)


def test_kl_div_of_a_zero_probability_is_zero_and_batchmean_is_per_sample(torch):
    log_q = np.log(np.array([[0.5, 0.25, 0.25]]))
    p = np.array([[0.0, 0.5, 0.5]])
    ours = F.kl_div(tinynn.tensor(log_q), tinynn.tensor(p), reduction="batchmean")
    np.testing.assert_allclose(ours.item(), np.sum(p[0, 1:] * np.log(p[0, 1:] / np.exp(log_q[0, 1:]))))
    with pytest.raises(ValueError, match="kl_div: reduction must be one of"):
        F.kl_div(tinynn.tensor(log_q), tinynn.tensor(p), reduction="average")
    with pytest.raises(ValueError, match="mse_loss: reduction must be one of"):  # batchmean is the KL divergence's only
        F.mse_loss(tinynn.tensor(log_q), tinynn.tensor(p), reduction="batchmean")


@pytest.mark.parametrize("dim", [1, -1, 0])
def test_normalize_and_cosine_similarity_gradcheck_and_match_torch(dim, rng, torch, device):
    a, b = leaf(rng.standard_normal((4, 5)), device=device), leaf(rng.standard_normal((1, 5)), device=device)
    assert gradcheck(lambda a: F.normalize(a, dim=dim), [a])
    assert gradcheck(lambda a: F.normalize(a, p=1, dim=dim), [a])
    assert gradcheck(lambda a, b: F.cosine_similarity(a, b, dim=dim), [a, b])
    ta, tb = to_torch(torch, a, True), to_torch(torch, b, True)
    assert_close(F.normalize(a, dim=dim), torch.nn.functional.normalize(ta, dim=dim), rtol=1e-10)
    ours, theirs = nn.CosineSimilarity(dim)(a, b), torch.nn.CosineSimilarity(dim)(ta, tb)
    assert_close(ours, theirs, rtol=1e-10)
    ours.sum().backward()
    theirs.sum().backward()
    assert_close(a.grad, ta.grad, rtol=1e-8, atol=1e-12)
    assert_close(b.grad, tb.grad, rtol=1e-8, atol=1e-12)


def test_the_zero_vector_stays_zero_with_a_finite_gradient(device):
    zero = leaf(np.zeros((2, 3)), device=device)
    np.testing.assert_array_equal(F.normalize(zero).numpy(), np.zeros((2, 3)))
    F.cosine_similarity(zero, leaf(np.ones((2, 3)), device=device)).sum().backward()
    assert np.isfinite(zero.grad.numpy()).all()


def test_kl_div_of_a_negative_target_is_nan_as_in_pytorch(torch):
    """A negative "probability" is no distribution: NaN there (PyTorch's xlogy), not a silent 0; 0 stays 0."""
    x, y = np.array([0.5, -1.0, 2.0]), np.array([-0.5, 0.0, 0.7])
    with np.errstate(invalid="ignore"):
        ours = F.kl_div(tinynn.tensor(x), tinynn.tensor(y), reduction="none")
    theirs = torch.nn.functional.kl_div(torch.tensor(x), torch.tensor(y), reduction="none")
    np.testing.assert_array_equal(np.isnan(ours.numpy()), [True, False, False])
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), equal_nan=True)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("name", ["mse_loss", "l1_loss", "huber_loss"])
def test_weighted_regression_losses_match_torch(name, reduction, rng, torch):
    """PyTorch's ``weight=`` (its "mean" divides by the weights' sum for mse and l1, by the count
    for huber): values and the gradients of input and weight."""
    x, y, w = rng.standard_normal((3, 4)), rng.standard_normal((3, 4)), rng.random((3, 4))
    ours_x, ours_w = leaf(x), leaf(w)
    theirs_x, theirs_w = torch.tensor(x, requires_grad=True), torch.tensor(w, requires_grad=True)
    ours = getattr(F, name)(ours_x, tinynn.tensor(y), reduction=reduction, weight=ours_w)
    theirs = getattr(torch.nn.functional, name)(theirs_x, torch.tensor(y), reduction=reduction, weight=theirs_w)
    assert_close(ours, theirs.detach(), rtol=1e-12)
    ours.sum().backward()
    theirs.sum().backward()
    assert_close(ours_x.grad, theirs_x.grad, rtol=1e-12, what="input grad")
    assert_close(ours_w.grad, theirs_w.grad, rtol=1e-12, what="weight grad")
    with pytest.raises(ValueError, match=f"{name}: weight must be a tensor of the input's shape \\(3, 4\\), got \\(4,\\)"):
        getattr(F, name)(ours_x, tinynn.tensor(y), weight=tinynn.ones(4))


@pytest.mark.parametrize("name", ["mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss", "kl_div",
                                  "binary_cross_entropy_with_logits", "soft_margin_loss", "poisson_nll_loss",
                                  "multilabel_soft_margin_loss"])
def test_a_float32_input_against_a_float64_target_computes_in_torchs_dtype(name, torch):
    values = (np.array([[0.3, 0.6], [0.1, 0.8]]), np.array([[0.2, 0.9], [0.4, 0.7]]))
    for input_dtype, target_dtype in (("float32", "float64"), ("float64", "float32")):
        x = tinynn.tensor(values[0].astype(input_dtype), requires_grad=True)
        tx = torch.tensor(values[0].astype(input_dtype), requires_grad=True)
        loss = getattr(F, name)(x, tinynn.tensor(values[1].astype(target_dtype)))
        t_loss = getattr(torch.nn.functional, name)(tx, torch.tensor(values[1].astype(target_dtype)))
        assert str(loss.dtype) == str(t_loss.dtype).replace("torch.", "")  # promoted, or the one PyTorch's loss keeps
        assert loss.item() == pytest.approx(t_loss.item(), rel=1e-6)
        if name != "huber_loss":  # (PyTorch's huber backward refuses mixed dtypes; tinynn's gives the input's)
            loss.backward()
            t_loss.backward()
            assert x.grad.dtype == x.dtype and np.allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-5)
