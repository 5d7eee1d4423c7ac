"""Convolutions, poolings, fold and unfold take one unbatched sample, (C, *spatial) without N, as PyTorch's
do (``validation.accepts_unbatched``), pixel (un)shuffle any leading axes: the same values as PyTorch's and as the batch of one, gradients through,
and input of another rank an error naming both shapes."""
import numpy as np
import pytest

import tinynn
from helpers import assert_close

CASES = {  # name -> (function of (library, tensor maker), what it returns when indices come back too)
    "conv1d": lambda lib, t: lib.nn.functional.conv1d(t(2, 5), t(3, 2, 2), t(3), padding=1),
    "conv2d": lambda lib, t: lib.nn.functional.conv2d(t(1, 5, 5), t(3, 1, 2, 2), stride=2),
    "conv3d": lambda lib, t: lib.nn.functional.conv3d(t(1, 3, 3, 3), t(2, 1, 2, 2, 2)),
    "conv_transpose1d": lambda lib, t: lib.nn.functional.conv_transpose1d(t(2, 5), t(2, 3, 2)),
    "conv_transpose2d": lambda lib, t: lib.nn.functional.conv_transpose2d(t(1, 4, 4), t(1, 2, 3, 3), stride=2),
    "conv_transpose3d": lambda lib, t: lib.nn.functional.conv_transpose3d(t(1, 3, 3, 3), t(1, 2, 2, 2, 2)),
    "max_pool1d": lambda lib, t: lib.nn.functional.max_pool1d(t(2, 4), 2),
    "max_pool2d": lambda lib, t: lib.nn.functional.max_pool2d(t(2, 4, 4), 2, return_indices=True),
    "max_pool3d": lambda lib, t: lib.nn.functional.max_pool3d(t(2, 4, 4, 4), 2),
    "avg_pool1d": lambda lib, t: lib.nn.functional.avg_pool1d(t(2, 4), 2),
    "avg_pool2d": lambda lib, t: lib.nn.functional.avg_pool2d(t(2, 4, 4), 2, padding=1),
    "avg_pool3d": lambda lib, t: lib.nn.functional.avg_pool3d(t(2, 4, 4, 4), 2),
    "adaptive_avg_pool1d": lambda lib, t: lib.nn.functional.adaptive_avg_pool1d(t(2, 5), 2),
    "adaptive_avg_pool2d": lambda lib, t: lib.nn.functional.adaptive_avg_pool2d(t(2, 5, 5), 3),
    "adaptive_avg_pool3d": lambda lib, t: lib.nn.functional.adaptive_avg_pool3d(t(2, 4, 4, 4), 3),
    "adaptive_max_pool1d": lambda lib, t: lib.nn.functional.adaptive_max_pool1d(t(2, 5), 2),
    "adaptive_max_pool2d": lambda lib, t: lib.nn.functional.adaptive_max_pool2d(t(2, 5, 5), 2, return_indices=True),
    "adaptive_max_pool3d": lambda lib, t: lib.nn.functional.adaptive_max_pool3d(t(2, 4, 4, 4), 2),
    "lp_pool1d": lambda lib, t: lib.nn.functional.lp_pool1d(t(2, 4).abs(), 2, 2),
    "lp_pool2d": lambda lib, t: lib.nn.functional.lp_pool2d(t(2, 4, 4).abs(), 2, 2),
    "lp_pool3d": lambda lib, t: lib.nn.functional.lp_pool3d(t(2, 4, 4, 4).abs(), 2, 2),
    "max_unpool1d": lambda lib, t: lib.nn.functional.max_unpool1d(*lib.nn.functional.max_pool1d(
        t(2, 4), 2, return_indices=True), 2),
    "max_unpool2d": lambda lib, t: lib.nn.functional.max_unpool2d(*lib.nn.functional.max_pool2d(
        t(2, 4, 4), 2, return_indices=True), 2),
    "max_unpool3d": lambda lib, t: lib.nn.functional.max_unpool3d(*lib.nn.functional.max_pool3d(
        t(2, 4, 4, 4), 2, return_indices=True), 2),
    "unfold": lambda lib, t: lib.nn.functional.unfold(t(1, 4, 4), 2),
    "fold": lambda lib, t: lib.nn.functional.fold(t(4, 9), (4, 4), 2),
    "pixel_shuffle": lambda lib, t: lib.nn.functional.pixel_shuffle(t(2, 3, 8, 2, 3), 2),  # (any leading axes)
    "pixel_unshuffle": lambda lib, t: lib.nn.functional.pixel_unshuffle(t(2, 4, 6), 2),
}


def _run(library, name, leaves):
    rng = np.random.default_rng(0)

    def make(*shape):
        leaf = library.tensor(rng.standard_normal(shape), requires_grad=True)
        leaves.append(leaf)
        return leaf
    result = CASES[name](library, make)
    return result if isinstance(result, tuple) else (result,)


@pytest.mark.parametrize("name", sorted(CASES))
def test_an_unbatched_sample_gives_pytorchs_values_and_gradients(torch, name):
    ours, theirs = [], []
    mine, reference = _run(tinynn, name, ours), _run(torch, name, theirs)
    for value, expected in zip(mine, reference):
        assert value.shape == tuple(expected.shape)
        assert_close(value, expected.detach(), rtol=1e-10, atol=1e-12)
    mine[0].sum().backward()
    reference[0].sum().backward()
    for leaf, expected in zip(ours, theirs):
        assert_close(leaf.grad, expected.grad, rtol=1e-10, atol=1e-12, what="gradient")


def test_other_ranks_are_an_error_naming_both_shapes():
    with pytest.raises(ValueError, match=r"conv2d: expected a 4-D input \(N, C, H, W\) or one unbatched 3-D sample "
                                         r"\(C, H, W\), got a 2-D tensor of shape \(5, 5\)"):
        tinynn.nn.functional.conv2d(tinynn.ones(5, 5), tinynn.ones(1, 1, 2, 2))
    with pytest.raises(ValueError, match=r"MaxPool1d.*expected a 3-D input \(N, C, L\) or one unbatched 2-D sample"):
        tinynn.nn.MaxPool1d(2)(tinynn.ones(3))
