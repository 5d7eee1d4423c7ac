"""cross_entropy and nll_loss: gradchecks for every reduction, PyTorch parity, stability, errors."""
import numpy as np
import pytest

import tinynn
from tinynn.autograd import gradcheck
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


def test_cross_entropy_with_spatial_dimensions_matches_torch(rng, torch, device):
    logits = leaf(rng.standard_normal((2, 3, 4, 5)), device=device)
    target = tinynn.tensor(rng.integers(0, 3, (2, 4, 5)), device=device)
    assert gradcheck(lambda t: F.cross_entropy(t, target), [logits])
    theirs = torch.nn.functional.cross_entropy(to_torch(torch, logits), torch.tensor(target.numpy()), reduction="none")
    assert_close(F.cross_entropy(logits, target, reduction="none"), theirs)


def test_cross_entropy_is_stable_for_huge_logits(device):
    logits = tinynn.tensor([[1e4, 0.0, -1e4]], requires_grad=True, device=device)
    loss = F.cross_entropy(logits, tinynn.tensor([1], device=device))
    np.testing.assert_allclose(loss.item(), 1e4, rtol=1e-6)
    loss.backward()
    assert np.isfinite(logits.grad.numpy()).all()


def test_out_of_range_targets_are_a_clear_error():
    with pytest.raises(ValueError, match=r"cross_entropy: target 7 is out of range: expected class indices in \[0, 3\]"):
        F.cross_entropy(tinynn.zeros(2, 4), tinynn.tensor([1, 7]))
    with pytest.raises(ValueError, match="nll_loss: target -2 is out of range"):
        F.nll_loss(tinynn.zeros(2, 4), tinynn.tensor([-2, 0]))


def test_float_targets_and_bad_reduction_are_errors():
    with pytest.raises(TypeError, match="integer class indices"):
        F.cross_entropy(tinynn.zeros(2, 4), tinynn.tensor([1.0, 2.0]))
    with pytest.raises(ValueError, match="reduction must be one of"):
        F.cross_entropy(tinynn.zeros(2, 4), tinynn.tensor([1, 2]), reduction="avg")
