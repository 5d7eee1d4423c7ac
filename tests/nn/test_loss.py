"""cross_entropy and nll_loss: gradchecks for every reduction, PyTorch parity, stability, errors."""
import numpy as np
import pytest

import tinynn
from tinynn.autograd import gradcheck, gradgradcheck
from tinynn.nn import functional as F
from helpers import assert_close, leaf, to_torch


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("loss", ["cross_entropy", "nll_loss"])
def test_losses_gradcheck_and_match_torch(loss, reduction, rng, torch, device):
    logits = leaf(rng.standard_normal((6, 4)), device=device)
    target = tinynn.tensor(np.array([0, 3, 1, 1, -100, 2]), device=device)
    fn = getattr(F, loss)
    prepare = (lambda t: F.log_softmax(t, dim=1)) if loss == "nll_loss" else (lambda t: t)
    assert gradcheck(lambda t: fn(prepare(t), target, reduction=reduction), [logits])
    t_logits = to_torch(torch, logits, True)
    t_prepare = (lambda t: torch.log_softmax(t, 1)) if loss == "nll_loss" else (lambda t: t)
    ours = fn(prepare(logits), target, reduction=reduction)
    theirs = getattr(torch.nn.functional, loss)(t_prepare(t_logits), torch.tensor(target.numpy()),
                                                reduction=reduction)
    assert_close(ours, theirs, what=f"{loss} {reduction}")
    ours.sum().backward()
    theirs.sum().backward()
    assert_close(logits.grad, t_logits.grad, what=f"{loss} {reduction} grad")


@pytest.mark.parametrize("spatial", [(4,), (4, 5)], ids=["(N, C, L)", "(N, C, H, W)"])
def test_cross_entropy_with_spatial_dimensions_matches_torch(rng, torch, device, spatial):
    logits = leaf(rng.standard_normal((2, 3) + spatial), device=device)
    target = tinynn.tensor(rng.integers(0, 3, (2,) + spatial), device=device)
    assert gradcheck(lambda t: F.cross_entropy(t, target), [logits])
    theirs = torch.nn.functional.cross_entropy(to_torch(torch, logits), torch.tensor(target.numpy()), reduction="none")
    assert_close(F.cross_entropy(logits, target, reduction="none"), theirs)
    assert_close(F.nll_loss(F.log_softmax(logits, 1), target), torch.nn.functional.nll_loss(
        torch.nn.functional.log_softmax(to_torch(torch, logits), 1), torch.tensor(target.numpy())))


def test_cross_entropy_is_stable_for_huge_logits(device):
    logits = tinynn.tensor([[1e4, 0.0, -1e4]], requires_grad=True, device=device)
    loss = F.cross_entropy(logits, tinynn.tensor([1], device=device))
    np.testing.assert_allclose(loss.item(), 1e4, rtol=1e-6)
    loss.backward()
    assert np.isfinite(logits.grad.numpy()).all()


def test_out_of_range_targets_are_a_clear_error():
    with pytest.raises(IndexError, match=r"cross_entropy: target 7 is out of range: expected class indices in \[0, 3\]"):
        F.cross_entropy(tinynn.zeros(2, 4), tinynn.tensor([1, 7]))
    with pytest.raises(IndexError, match="nll_loss: target -2 is out of range"):
        F.nll_loss(tinynn.zeros(2, 4), tinynn.tensor([-2, 0]))


def test_float_targets_and_bad_reduction_are_errors():
    with pytest.raises(ValueError, match=r"class-probability targets must have the input's shape \(2, 4\), got \(2,\)"):
        F.cross_entropy(tinynn.zeros(2, 4), tinynn.tensor([1.0, 2.0]))
    with pytest.raises(TypeError, match="nll_loss: expected integer class indices as target, got dtype float32"):
        F.nll_loss(tinynn.zeros(2, 4), tinynn.zeros(2, 4))
    with pytest.raises(ValueError, match="reduction must be one of"):
        F.cross_entropy(tinynn.zeros(2, 4), tinynn.tensor([1, 2]), reduction="avg")


OPTIONS = [dict(weight=True), dict(label_smoothing=0.2), dict(weight=True, label_smoothing=0.1)]


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("options", OPTIONS, ids=["weight", "smoothing", "weight+smoothing"])
@pytest.mark.parametrize("targets", ["indices", "probabilities", "spatial indices"])
def test_weights_smoothing_and_probability_targets_match_torch(targets, options, reduction, rng, torch, device):
    shape = (3, 4, 2, 3) if targets == "spatial indices" else (6, 4)
    logits = leaf(rng.standard_normal(shape), device=device)
    if targets == "probabilities":
        target = tinynn.tensor(rng.dirichlet(np.ones(4), 6), device=device)
    else:
        labels = rng.integers(0, 4, shape[:1] + shape[2:])
        labels.reshape(-1)[1] = -100  # one ignored row
        target = tinynn.tensor(labels, device=device)
    weight_values = rng.uniform(0.2, 2.0, 4)
    kwargs = dict(reduction=reduction, label_smoothing=options.get("label_smoothing", 0.0))
    weight = tinynn.tensor(weight_values, device=device) if options.get("weight") else None
    assert gradcheck(lambda t: F.cross_entropy(t, target, weight, **kwargs), [logits])
    t_logits = to_torch(torch, logits, True)
    theirs = torch.nn.functional.cross_entropy(t_logits, torch.tensor(target.numpy()),
                                               torch.tensor(weight_values) if weight is not None else None, **kwargs)
    ours = F.cross_entropy(logits, target, weight, **kwargs)
    assert_close(ours, theirs, rtol=1e-10, atol=1e-12, what="forward")
    ours.sum().backward()
    theirs.sum().backward()
    assert_close(logits.grad, t_logits.grad, rtol=1e-10, atol=1e-12, what="grad")


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("shape", [(6, 4), (2, 4, 3, 2), (4,)], ids=["rows", "spatial", "unbatched"])
def test_probability_targets_and_weights_that_require_grad_get_pytorchs_gradient(shape, reduction, rng, torch, device):
    """Soft targets made by the graph (a teacher's softmax in distillation): dL/dp = -(1 - eps) w logp;
    learned class weights: dL/dw = -sum_i s_i logp_i (PyTorch differentiates this form only)."""
    logits = leaf(rng.standard_normal(shape), device=device)
    scores = np.exp(rng.standard_normal(shape))
    probabilities = leaf(scores / scores.sum(axis=1 if len(shape) > 1 else 0, keepdims=True), device=device)
    weight = leaf(rng.uniform(0.2, 2.0, 4), device=device)
    kwargs = dict(reduction=reduction, label_smoothing=0.15)
    assert gradcheck(lambda z, p, w: F.cross_entropy(z, p, w, **kwargs), [logits, probabilities, weight])
    assert gradgradcheck(lambda z, p, w: F.cross_entropy(z, p, w, **kwargs), [logits, probabilities, weight])
    t_logits, t_probabilities, t_weight = (to_torch(torch, t, True) for t in (logits, probabilities, weight))
    ours = F.cross_entropy(logits, probabilities, weight, **kwargs)
    theirs = torch.nn.functional.cross_entropy(t_logits, t_probabilities, t_weight, **kwargs)
    assert_close(ours, theirs, rtol=1e-10, atol=1e-12, what="forward")
    ours.sum().backward()
    theirs.sum().backward()
    assert_close(logits.grad, t_logits.grad, rtol=1e-10, atol=1e-12, what="logits grad")
    assert_close(probabilities.grad, t_probabilities.grad, rtol=1e-10, atol=1e-12, what="probabilities grad")
    assert_close(weight.grad, t_weight.grad, rtol=1e-10, atol=1e-12, what="weight grad")


WEIGHTS_TAKEN_AS_CONSTANTS = {
    "cross_entropy": lambda x, w: F.cross_entropy(x, tinynn.tensor([0, 2]), weight=w),
    "nll_loss": lambda x, w: F.nll_loss(x, tinynn.tensor([0, 2]), weight=w),
    "binary_cross_entropy": lambda x, w: F.binary_cross_entropy(x.sigmoid(), x.sigmoid(), weight=w),
    "binary_cross_entropy_with_logits": lambda x, w: F.binary_cross_entropy_with_logits(x, x.sigmoid(), weight=w),
    "pos_weight": lambda x, w: F.binary_cross_entropy_with_logits(x, x.sigmoid(), pos_weight=w),
}


@pytest.mark.parametrize("loss", WEIGHTS_TAKEN_AS_CONSTANTS)
def test_a_weight_that_requires_grad_is_refused_where_pytorch_refuses_it(loss):
    """(Its gradient was silently never computed: a learned weight would never learn.)"""
    x, weight = tinynn.zeros(2, 3), tinynn.ones(3, requires_grad=True)
    with pytest.raises(ValueError, match=r"weight is not differentiable here \(as in PyTorch\).*\.detach\(\)"):
        WEIGHTS_TAKEN_AS_CONSTANTS[loss](x, weight)
    with tinynn.no_grad():
        WEIGHTS_TAKEN_AS_CONSTANTS[loss](x, weight)
    WEIGHTS_TAKEN_AS_CONSTANTS[loss](x, weight.detach())


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_nll_loss_with_class_weights_matches_torch(reduction, rng, torch, device):
    logp = leaf(np.log(rng.dirichlet(np.ones(5), 7)), device=device)
    target = tinynn.tensor(np.array([0, 4, 2, 2, -100, 1, 3]), device=device)
    weight_values = rng.uniform(0.2, 2.0, 5)
    weight = tinynn.tensor(weight_values, device=device)
    assert gradcheck(lambda t: F.nll_loss(t, target, weight, reduction=reduction), [logp])
    t_logp = to_torch(torch, logp, True)
    theirs = torch.nn.functional.nll_loss(t_logp, torch.tensor(target.numpy()), torch.tensor(weight_values),
                                          reduction=reduction)
    ours = F.nll_loss(logp, target, weight, reduction=reduction)
    assert_close(ours, theirs, rtol=1e-10, atol=1e-12)
    ours.sum().backward()
    theirs.sum().backward()
    assert_close(logp.grad, t_logp.grad, rtol=1e-10, atol=1e-12)


def test_unbatched_input_and_all_ignored_rows_behave_like_torch(rng, torch, device):
    logits = rng.standard_normal(5)
    for target in (3, rng.dirichlet(np.ones(5))):
        for reduction in ("mean", "none"):
            ours = F.cross_entropy(leaf(logits, device=device), tinynn.tensor(target, device=device), reduction=reduction)
            theirs = torch.nn.functional.cross_entropy(torch.tensor(logits), torch.tensor(target), reduction=reduction)
            assert ours.shape == tuple(theirs.shape) == ()
            assert_close(ours, theirs, rtol=1e-10)
    ignored = tinynn.tensor([-100, -100], device=device)
    with np.errstate(all="raise"):  # NaN as in PyTorch (0 / 0), and without a NumPy warning
        for loss in (F.cross_entropy, F.nll_loss):
            scores = rng.standard_normal((2, 3))
            ours, theirs = leaf(scores, device=device), torch.tensor(scores, requires_grad=True)
            value = loss(ours, ignored)
            value.backward()
            getattr(torch.nn.functional, loss.__name__)(theirs, torch.tensor([-100, -100])).backward()
            assert np.isnan(value.item())
            assert_close(ours.grad, theirs.grad)  # zero, as PyTorch's
    assert F.cross_entropy(leaf(rng.standard_normal((2, 3)), device=device), ignored, reduction="sum").item() == 0.0


def test_masked_logits_give_a_finite_loss_like_torch(torch, device):
    """-inf logits (masked classes) must not turn the loss into NaN: only the target's log-probability is read."""
    logits = np.array([[2.0, -np.inf, 0.5], [-np.inf, 1.0, 3.0]])
    ours = F.cross_entropy(leaf(logits, device=device), tinynn.tensor([0, 2], device=device))
    theirs = torch.nn.functional.cross_entropy(torch.tensor(logits), torch.tensor([0, 2]))
    assert np.isfinite(ours.item())
    assert_close(ours, theirs, rtol=1e-12)


def test_cross_entropy_runs_as_fused_kernels_on_the_gpu(device):
    logits = tinynn.zeros(2, 3, device=device, requires_grad=True)
    loss = F.cross_entropy(logits, tinynn.tensor([0, 2], device=device))
    assert type(loss.grad_fn).__name__ == ("CrossEntropy" if device == "cpu" else "FusedCrossEntropy")


def test_loss_modules_keep_the_weight_as_a_buffer_like_torch(torch, device):
    weight = np.array([1.0, 2.0, 0.5], dtype=np.float32)
    ours = tinynn.nn.CrossEntropyLoss(weight=tinynn.tensor(weight), label_smoothing=0.1).to(device)
    theirs = torch.nn.CrossEntropyLoss(weight=torch.tensor(weight), label_smoothing=0.1)
    assert list(ours.state_dict()) == list(theirs.state_dict()) == ["weight"]
    assert ours.weight.device == device
    logits = np.random.default_rng(0).standard_normal((4, 3)).astype(np.float32)
    labels = np.array([0, 2, 1, 1])
    assert_close(ours(tinynn.tensor(logits, device=device), tinynn.tensor(labels, device=device)),
                 theirs(torch.tensor(logits), torch.tensor(labels)), rtol=1e-6)
    assert list(tinynn.nn.NLLLoss().state_dict()) == list(torch.nn.NLLLoss().state_dict()) == []


def test_bad_weight_and_smoothing_are_clear_errors():
    logits, labels = tinynn.zeros(2, 4), tinynn.tensor([1, 2])
    with pytest.raises(ValueError, match=r"cross_entropy: weight must hold one value per class, shape \(4,\), got \(3,\)"):
        F.cross_entropy(logits, labels, tinynn.ones(3))
    with pytest.raises(TypeError, match="cross_entropy: expected a floating-point weight, got dtype int64"):
        F.cross_entropy(logits, labels, tinynn.tensor([1, 1, 1, 1]))
    with pytest.raises(ValueError, match="label_smoothing must be between 0.0 and 1.0, got 1.5"):
        F.cross_entropy(logits, labels, label_smoothing=1.5)
    with pytest.raises(TypeError, match="cross_entropy: expected weight to be a tinynn.Tensor, got list"):
        F.cross_entropy(logits, labels, [1.0, 1.0, 1.0, 1.0])


@pytest.mark.parametrize("options", [dict(), dict(label_smoothing=0.1), dict(weight=[1.0, 2.0, 3.0, 4.0, 5.0]),
                                     dict(weight=[1.0, 2.0, 3.0, 4.0, 5.0], label_smoothing=0.2, reduction="sum"),
                                     dict(reduction="none")])
def test_an_ignored_row_of_minus_infinities_is_left_out(torch, device, options):
    """A row of padding whose logits are all -inf (NaN log-probabilities) was multiplied by 0, so
    the loss was NaN; it is left out, as in PyTorch, and its gradient is 0 (PyTorch's is NaN)."""
    logits = np.random.default_rng(0).standard_normal((4, 5)).astype(np.float32)
    logits[1] = -np.inf
    targets = np.array([0, -100, 1, 3])
    weight = options.get("weight")
    ours_options = dict(options, weight=None if weight is None else tinynn.tensor(weight, device=device))
    theirs_options = dict(options, weight=None if weight is None else torch.tensor(weight))
    for create_graph in (False, True):
        x = tinynn.tensor(logits, device=device, requires_grad=True)
        tx = torch.tensor(logits, requires_grad=True)
        loss = F.cross_entropy(x, tinynn.tensor(targets, device=device), **ours_options).sum()
        expected = torch.nn.functional.cross_entropy(tx, torch.tensor(targets), **theirs_options).sum()
        assert np.isfinite(loss.item())
        np.testing.assert_allclose(loss.item(), expected.item(), rtol=1e-6)
        (grad,) = tinynn.autograd.grad(loss, [x], create_graph=create_graph)
        expected.backward()
        kept = targets != -100
        np.testing.assert_allclose(grad.numpy()[kept], tx.grad.numpy()[kept], rtol=1e-5, atol=1e-7)
        np.testing.assert_array_equal(grad.numpy()[~kept], 0)
