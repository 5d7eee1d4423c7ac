"""Margin, ranking, embedding and likelihood losses (and PairwiseDistance): every option and
reduction compared with PyTorch (values and gradients of every float input) on every device,
gradchecked in float64, and the label checks."""
import numpy as np
import pytest

import tinynn
from tinynn import nn
from tinynn.autograd import gradcheck
from helpers import assert_close, away_from, leaf, to_torch


def signs(rng, shape):
    return np.where(rng.random(shape) < 0.5, -1.0, 1.0)


# name: (constructor options, inputs maker: rng -> list of (array, differentiable))
CASES = {
    "MarginRankingLoss": (dict(margin=0.3), lambda r: [(r.standard_normal(6), True), (r.standard_normal(6), True),
                                                       (signs(r, 6), False)]),
    "HingeEmbeddingLoss": (dict(margin=1.5), lambda r: [(away_from(r.standard_normal((3, 4)), [1.5]), True),
                                                        (signs(r, (3, 4)), False)]),
    "SoftMarginLoss": (dict(), lambda r: [(r.standard_normal((3, 4)) * 3, True), (signs(r, (3, 4)), False)]),
    "MultiLabelSoftMarginLoss": (dict(weight=np.array([0.5, 1.0, 2.0, 1.5])),
                                 lambda r: [(r.standard_normal((3, 4)) * 3, True),
                                            ((r.random((3, 4)) < 0.5).astype(float), False)]),
    "MultiMarginLoss": (dict(p=2, margin=0.8, weight=np.array([0.5, 1.0, 2.0, 1.5])),
                        lambda r: [(r.standard_normal((5, 4)), True), (np.array([0, 3, 1, 1, 2]), False)]),
    "CosineEmbeddingLoss": (dict(margin=0.2), lambda r: [(r.standard_normal((5, 3)), True),
                                                         (r.standard_normal((5, 3)), True), (signs(r, 5), False)]),
    "TripletMarginLoss": (dict(margin=0.5, p=1.5, swap=True), lambda r: [(r.standard_normal((4, 3)), True),
                                                                         (r.standard_normal((4, 3)), True),
                                                                         (r.standard_normal((4, 3)), True)]),
    "GaussianNLLLoss": (dict(full=True), lambda r: [(r.standard_normal((4, 3)), True), (r.standard_normal((4, 3)), True),
                                                    (r.uniform(0.2, 2, (4, 3)), True)]),
    "PoissonNLLLoss": (dict(log_input=True, full=True), lambda r: [(r.standard_normal((4, 3)), True),
                                                                   (r.integers(0, 5, (4, 3)).astype(float), False)]),
    "PoissonNLLLoss_rates": (dict(log_input=False), lambda r: [(r.uniform(0.5, 3, (4, 3)), True),
                                                               (r.integers(0, 5, (4, 3)).astype(float), False)]),
}


def make(layer_type, options, reduction, to_tensor):
    """The loss module with its options, array options (weights) as that framework's tensors."""
    return layer_type(**{key: to_tensor(value) if isinstance(value, np.ndarray) else value
                         for key, value in options.items()}, reduction=reduction)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("name", CASES)
def test_losses_match_torch(torch, rng, device, name, reduction):
    options, inputs = CASES[name]
    values = inputs(rng)
    ours_inputs = [leaf(array, device=device, requires_grad=grad) if array.dtype.kind == "f"
                   else tinynn.tensor(array, device=device) for array, grad in values]
    theirs_inputs = [to_torch(torch, t, grad) if t.dtype.kind == "f" else torch.tensor(t.numpy())
                     for t, (_, grad) in zip(ours_inputs, values)]
    layer = name.split("_")[0]
    ours_loss = make(getattr(nn, layer), options, reduction, lambda array: tinynn.tensor(array, device=device))
    theirs_loss = make(getattr(torch.nn, layer), options, reduction, torch.tensor)
    out, t_out = ours_loss(*ours_inputs), theirs_loss(*theirs_inputs)
    assert_close(out, t_out, rtol=1e-10, atol=1e-12, what="loss")
    grad = rng.standard_normal(out.shape)
    out.backward(tinynn.tensor(grad, device=device))
    t_out.backward(torch.tensor(grad))
    for position, (ours_t, theirs_t, (_, differentiable)) in enumerate(zip(ours_inputs, theirs_inputs, values)):
        if differentiable:
            assert_close(ours_t.grad, theirs_t.grad, rtol=1e-8, atol=1e-10, what=f"gradient of input {position}")
    differentiable = [t for t, (_, grad) in zip(ours_inputs, values) if grad]

    def loss_of(*tensors):
        by_position, supplied = [], iter(tensors)
        for t, (_, grad) in zip(ours_inputs, values):
            by_position.append(next(supplied) if grad else t)
        return ours_loss(*by_position)

    assert gradcheck(loss_of, [leaf(t.numpy(), device=device) for t in differentiable])


def test_pairwise_distance_matches_torch(torch, rng, device):
    x1, x2 = leaf(rng.standard_normal((4, 5)), device=device), leaf(rng.standard_normal((4, 5)), device=device)
    ours, theirs = nn.PairwiseDistance(p=3.0, keepdim=True)(x1, x2), torch.nn.PairwiseDistance(p=3.0, keepdim=True)(
        to_torch(torch, x1), to_torch(torch, x2))
    assert_close(ours, theirs, rtol=1e-10)


def test_labels_and_variances_are_checked(device):
    x = tinynn.zeros(3, device=device)
    with pytest.raises(ValueError, match="expected targets of 1 or -1, got 0.5"):
        nn.MarginRankingLoss()(x, x, tinynn.tensor([1.0, 0.5, -1.0], device=device)).numpy()
    with pytest.raises(ValueError, match="var has negative entries"):
        nn.GaussianNLLLoss()(x, x, tinynn.tensor([1.0, -0.5, 1.0], device=device)).numpy()
    with pytest.raises(ValueError, match="p must be 1 or 2"):
        nn.MultiMarginLoss(p=3)(tinynn.zeros(2, 3), tinynn.tensor([0, 1]))
    with pytest.raises(TypeError, match="takes the options"):
        nn.TripletMarginLoss(1.0, 2.0, 1e-6, False, None, None, "mean", "extra")


@pytest.mark.parametrize("margin", [0.0, -1.0])
def test_a_triplet_margin_at_or_below_zero_is_refused_as_pytorchs(margin):
    """(It computed a loss that is 0 for every triplet where the positive is no nearer than the negative.)"""
    a = tinynn.ones(2, 3)
    with pytest.raises(ValueError, match=f"triplet_margin_loss: margin must be greater than 0, got {margin}"):
        tinynn.nn.TripletMarginLoss(margin=margin)(a, a, a)
    with pytest.raises(ValueError, match=f"triplet_margin_with_distance_loss: margin must be greater than 0, got {margin}"):
        tinynn.nn.functional.triplet_margin_with_distance_loss(a, a, a, margin=margin)
