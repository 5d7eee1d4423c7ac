"""Moving between probabilities and logits, as PyTorch's distributions do."""
import functools

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


class ProbsOrLogits:
    """For a distribution given ``probs`` or ``logits`` (one is set as an attribute in __init__):
    the other computed when first asked for. ``binary``: a yes/no variable (sigmoid and log-odds),
    else categories along the last axis (softmax and log-probabilities)."""

    binary = True

    @functools.cached_property
    def probs(self):
        return logits_to_probs(self.logits, self.binary)

    @functools.cached_property
    def logits(self):
        return probs_to_logits(self.probs, self.binary)

    def _take_probs_or_logits(self, probs, logits):
        """Keep whichever of probs and logits was given (exactly one), as a Tensor; returns it."""
        from .distribution import broadcast_all

        exactly_one(probs, logits, type(self).__name__)
        if probs is not None:
            (self.probs,) = broadcast_all(probs)
        else:
            (self.logits,) = broadcast_all(logits)
        return self._param

    @property
    def _param(self):
        """The one given."""
        return self.__dict__.get("probs", self.__dict__.get("logits"))

    def _like(self):
        return self._param
