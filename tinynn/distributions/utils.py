"""Moving between probabilities and logits, as PyTorch's distributions do."""
import numpy as np

from ..nn import functional as F


def clamp_probs(probs):
    """Probabilities kept inside (0, 1) by the dtype's epsilon, so their logs are finite."""
    eps = float(np.finfo(probs.dtype).eps)
    return probs.clip(eps, 1 - eps)


def probs_to_logits(probs, is_binary=False):
    """log(p) for categories (their log-probabilities), log(p / (1 - p)) for a binary variable."""
    clamped = clamp_probs(probs)
    return clamped.log() - (-clamped).log1p() if is_binary else clamped.log()


def logits_to_probs(logits, is_binary=False):
    """sigmoid(logits) for a binary variable, softmax over the last axis for categories."""
    return logits.sigmoid() if is_binary else F.softmax(logits, -1)


def exactly_one(probs, logits, owner):
    if (probs is None) == (logits is None):
        raise ValueError(f"{owner}: give either probs or logits, not {'both' if probs is not None else 'neither'}")
