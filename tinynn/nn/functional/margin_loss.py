"""Margin, ranking and embedding losses, and likelihood losses for regression, as PyTorch defines them.

Each is a few tensor ops (so its backward is the chain rule through them), reduced by "mean",
"sum" or "none":

    margin_ranking:       max(0, -y (x1 - x2) + margin)                  y = +1: x1 should rank higher
    hinge_embedding:      x where y = 1, max(0, margin - x) where y = -1
    soft_margin:          log(1 + e^(-y x))
    multilabel_soft_margin: -mean_c w_c (y_c log s(x_c) + (1 - y_c) log s(-x_c)) per sample, s = sigmoid
    multi_margin:         sum_(i != y) w_y max(0, margin - x_y + x_i)^p / C per sample
    cosine_embedding:     1 - cos(x1, x2) where y = 1, max(0, cos(x1, x2) - margin) where y = -1
    triplet_margin:       max(d(a, p) - d(a, n) + margin, 0), d the pairwise p-norm distance
    gaussian_nll:         (log max(var, eps) + (x - y)^2 / max(var, eps)) / 2  (+ log(2 pi) / 2 with full)
    poisson_nll:          e^x - y x (log_input), or x - y log(x + eps); with full, + Stirling's term
"""
import math

import numpy as np

from ...errors import InputError
from ... import backend
from ...half_precision import computed_in_float32
from ...tensor import where
from .activation import logsigmoid, softplus
from .embedding import one_hot
from .legacy_reduction import legacy_reduction
from .validation import check_float, check_tensor, in_common_dtype

REDUCTIONS = ("mean", "sum", "none")


def _reduce(losses, reduction, name):
    if reduction not in REDUCTIONS:
        raise InputError(f"{name}: reduction must be one of {REDUCTIONS}, got {reduction!r}")
    if reduction == "none":
        return losses
    return losses.sum() if reduction == "sum" else losses.mean()


def _same_shape(name, *tensors):
    for tensor in tensors:
        check_tensor(tensor, name)
    shapes = {tuple(t.shape) for t in tensors}
    if len(shapes) > 1:
        raise InputError(f"{name}: expected tensors of one shape, got {[tuple(t.shape) for t in tensors]}")


def _signs(target, name):
    """The ±1 labels of a pair loss as a float tensor (checked at once on the CPU, at the next read
    on the GPU: backend.check_soon)."""
    values = target._array
    wrong = abs(values) != 1

    def wrong_label():
        return InputError(f"{name}: expected targets of 1 or -1, got {values[wrong].reshape(-1)[0].item()!r}")

    backend.check_soon(wrong.any(), wrong_label)
    return target if target.dtype.kind == "f" else target.astype(np.float32)


def margin_ranking_loss(input1, input2, target, margin=0.0, size_average=None, reduce=None, reduction="mean"):
    reduction = legacy_reduction(size_average, reduce, reduction, "margin_ranking_loss")
    _same_shape("margin_ranking_loss", input1, input2, target)
    y = _signs(target, "margin_ranking_loss").astype(input1.dtype)
    return _reduce((-y * (input1 - input2) + margin).clip(min=0.0), reduction, "margin_ranking_loss")


def hinge_embedding_loss(input, target, margin=1.0, size_average=None, reduce=None, reduction="mean"):
    reduction = legacy_reduction(size_average, reduce, reduction, "hinge_embedding_loss")
    _same_shape("hinge_embedding_loss", input, target)
    y = _signs(target, "hinge_embedding_loss")
    losses = where(y == 1, input, (margin - input).clip(min=0.0))
    return _reduce(losses, reduction, "hinge_embedding_loss")


def soft_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    reduction = legacy_reduction(size_average, reduce, reduction, "soft_margin_loss")
    _same_shape("soft_margin_loss", input, target)
    return _reduce(softplus(-target.astype(input.dtype) * input), reduction, "soft_margin_loss")


def multilabel_soft_margin_loss(input, target, weight=None, size_average=None, reduce=None, reduction="mean"):
    """(N, C) logits against (N, C) 0/1 labels; the per-sample loss averages the C binary terms."""
    reduction = legacy_reduction(size_average, reduce, reduction, "multilabel_soft_margin_loss")
    _same_shape("multilabel_soft_margin_loss", input, target)
    input, y = in_common_dtype(input, target)
    terms = -(y * logsigmoid(input) + (1 - y) * logsigmoid(-input))
    if weight is not None:
        terms = terms * weight
    return _reduce(terms.mean(dim=-1), reduction, "multilabel_soft_margin_loss")


def multi_margin_loss(input, target, p=1, margin=1.0, weight=None, size_average=None, reduce=None, reduction="mean"):
    """(N, C) scores against class indices (N,): the multi-class hinge loss (p = 1 or 2)."""
    reduction = legacy_reduction(size_average, reduce, reduction, "multi_margin_loss")
    check_float(input, "multi_margin_loss")
    check_tensor(target, "multi_margin_loss", "target")
    if p not in (1, 2):
        raise InputError(f"multi_margin_loss: p must be 1 or 2, got {p!r}")
    if input.ndim != 2 or target.shape != input.shape[:1]:
        raise InputError(f"multi_margin_loss: expected (N, C) input and (N,) targets, got {tuple(input.shape)} and {tuple(target.shape)}")
    index = target.reshape(-1, 1)
    correct = input.gather(1, index)
    hinge = (margin - correct + input).clip(min=0.0)
    if p == 2:
        hinge = hinge * hinge
    others = 1.0 - one_hot(target, input.shape[1]).astype(input.dtype)  # the true class contributes nothing
    if weight is not None:
        hinge = hinge * weight.gather(0, target).reshape(-1, 1)
    return _reduce((hinge * others).sum(dim=1) / input.shape[1], reduction, "multi_margin_loss")


def cosine_embedding_loss(input1, input2, target, margin=0.0, size_average=None, reduce=None, reduction="mean"):
    """(N, D) pairs with ±1 labels (N,): similar pairs pulled to cosine 1, dissimilar ones pushed below ``margin``."""
    reduction = legacy_reduction(size_average, reduce, reduction, "cosine_embedding_loss")
    check_tensor(target, "cosine_embedding_loss")
    if input1.shape != input2.shape or input1.ndim != 2 or target.shape != input1.shape[:1]:
        raise InputError(f"cosine_embedding_loss: expected two (N, D) inputs and (N,) targets, got {tuple(input1.shape)}, "
                         f"{tuple(input2.shape)} and {tuple(target.shape)}")
    epsilon = 1e-12  # PyTorch's: added to the squared norms
    cosine = (input1 * input2).sum(dim=1) / (((input1 * input1).sum(dim=1) + epsilon)
                                             * ((input2 * input2).sum(dim=1) + epsilon)).sqrt()
    y = _signs(target, "cosine_embedding_loss")
    losses = where(y == 1, 1 - cosine, (cosine - margin).clip(min=0.0))
    return _reduce(losses, reduction, "cosine_embedding_loss")


@computed_in_float32("x1", "x2")
def pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    """||x1 - x2 + eps||_p along the last axis (eps keeps the norm of equal vectors differentiable);
    complex vectors too (the distance is real)."""
    check_float(x1, "pairwise_distance", "x1", complex_ok=True)
    check_float(x2, "pairwise_distance", "x2", complex_ok=True)
    return (x1 - x2 + eps).norm(p, dim=-1, keepdim=keepdim)


def _check_margin(name, margin):
    """A triplet's margin must be positive, as PyTorch's (at or below 0 every triplet would count as learnt)."""
    if not margin > 0:
        raise InputError(f"{name}: margin must be greater than 0, got {margin}")


def triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2.0, eps=1e-6, swap=False, size_average=None,
                        reduce=None, reduction="mean"):
    """An anchor should be nearer its positive than its negative by ``margin``; with ``swap`` the
    negative's distance is the smaller of its distances to the anchor and to the positive."""
    reduction = legacy_reduction(size_average, reduce, reduction, "triplet_margin_loss")
    _check_margin("triplet_margin_loss", margin)
    _same_shape("triplet_margin_loss", anchor, positive, negative)
    to_positive = pairwise_distance(anchor, positive, p, eps)
    to_negative = pairwise_distance(anchor, negative, p, eps)
    if swap:
        to_negative = to_negative.minimum(pairwise_distance(positive, negative, p, eps))
    return _reduce((to_positive - to_negative + margin).clip(min=0.0), reduction, "triplet_margin_loss")


def gaussian_nll_loss(input, target, var, full=False, eps=1e-6, reduction="mean"):
    """Negative log-likelihood of ``target`` under N(input, var). ``var`` (the input's shape, or
    one fewer trailing axis, or a last axis of 1) is clamped at ``eps`` for the value but not for
    the gradient, as PyTorch."""
    check_float(input, "gaussian_nll_loss")
    check_float(var, "gaussian_nll_loss", "var")
    if var.shape != input.shape:
        if var.shape == input.shape[:-1]:
            var = var.unsqueeze(-1)
        elif not (var.shape[:-1] == input.shape[:-1] and var.shape[-1] == 1):
            raise InputError(f"gaussian_nll_loss: var of shape {tuple(var.shape)} does not fit input of shape {tuple(input.shape)}")
    backend.check_soon((var._array < 0).any(), lambda: InputError("gaussian_nll_loss: var has negative entries"))
    clamped = var + (var.clip(min=eps) - var).detach()
    losses = 0.5 * (clamped.log() + (input - target) * (input - target) / clamped)
    if full:
        losses = losses + 0.5 * math.log(2 * math.pi)
    return _reduce(losses, reduction, "gaussian_nll_loss")


def poisson_nll_loss(input, target, log_input=True, full=False, size_average=None, eps=1e-8, reduce=None,
                     reduction="mean"):
    """Negative log-likelihood of counts ``target`` under a Poisson of rate e^input (``log_input``)
    or input. ``full`` adds Stirling's approximation of log(target!) where target > 1."""
    reduction = legacy_reduction(size_average, reduce, reduction, "poisson_nll_loss")
    _same_shape("poisson_nll_loss", input, target)
    check_float(input, "poisson_nll_loss")
    input, y = in_common_dtype(input, target)
    losses = input.exp() - y * input if log_input else input - y * (input + eps).log()
    if full:
        above_one = y > 1
        safe = where(above_one, y, 1.0)  # the term is 0 for counts 0 and 1, and log must not see them
        stirling = safe * safe.log() - safe + 0.5 * (2 * math.pi * safe).log()
        losses = losses + where(above_one, stirling, 0.0)
    return _reduce(losses, reduction, "poisson_nll_loss")


def triplet_margin_with_distance_loss(anchor, positive, negative, distance_function=None, margin=1.0, swap=False,
                                      reduction="mean"):
    """``triplet_margin_loss`` with any ``distance_function(x1, x2)`` (pairwise_distance by default)."""
    _check_margin("triplet_margin_with_distance_loss", margin)
    _same_shape("triplet_margin_with_distance_loss", anchor, positive, negative)
    distance = pairwise_distance if distance_function is None else distance_function
    to_positive, to_negative = distance(anchor, positive), distance(anchor, negative)
    if swap:
        to_negative = to_negative.minimum(distance(positive, negative))
    return _reduce((to_positive - to_negative + margin).clip(min=0.0), reduction, "triplet_margin_with_distance_loss")


def multilabel_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """For each sample: the target classes are ``target``'s leading entries up to the first -1;
    loss = sum over target classes j and other classes i of max(0, 1 - (x[j] - x[i])) / C."""
    reduction = legacy_reduction(size_average, reduce, reduction, "multilabel_margin_loss")
    check_float(input, "multilabel_margin_loss")
    check_tensor(target, "multilabel_margin_loss", "target")
    if target.shape != input.shape or target.dtype.kind not in "iu":
        raise InputError(f"multilabel_margin_loss: expected integer targets of the input's shape {tuple(input.shape)}, "
                         f"got {target.dtype} {tuple(target.shape)}")
    scores = input.reshape(1, -1) if input.ndim == 1 else input
    labels = target.numpy().reshape(scores.shape)
    classes = scores.shape[1]
    listed = np.cumprod(labels >= 0, axis=1).astype(bool)  # the entries before the first -1
    is_target = np.zeros(scores.shape, dtype=bool)
    rows = np.nonzero(listed)[0]
    is_target[rows, labels[listed]] = True
    xp = backend.get_array_module(scores._array)
    pair_mask = xp.asarray(is_target[:, :, None] & ~is_target[:, None, :])  # (N, j target, i other)
    margins = (1 - (scores.unsqueeze(2) - scores.unsqueeze(1))).clip(min=0.0)
    losses = where(pair_mask, margins, 0.0).sum((1, 2)) / classes
    losses = losses.reshape(()) if input.ndim == 1 else losses
    return _reduce(losses, reduction, "multilabel_margin_loss")
