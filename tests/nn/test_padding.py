"""F.pad (constant, reflect, replicate, circular) and the convolutions' padding_mode: gradchecked,
compared with PyTorch (values and gradients) on every device, clear errors."""
import numpy as np
import pytest

import tinynn
from tinynn import nn
from tinynn.autograd import gradcheck
from tinynn.nn import functional as F
from helpers import assert_close, assert_layer_matches_torch, leaf, to_torch

CASES = [  # mode, input shape, pad
    ("constant", (2, 3, 4), (1, 2)), ("constant", (2, 3, 4, 5), (0, 1, 2, 3)), ("constant", (3, 4), (1, 1, 2, 0)),
    ("reflect", (2, 3, 5), (4, 2)), ("reflect", (2, 3, 4, 5), (1, 2, 3, 0)), ("reflect", (1, 2, 3, 4, 5), (1, 1, 2, 1, 1, 0)),
    ("replicate", (2, 3, 4), (3, 5)), ("replicate", (2, 3, 4, 5), (2, 0, 1, 4)), ("replicate", (3, 4, 5), (1, 1, 1, 1)),
    ("circular", (2, 3, 5), (5, 3)), ("circular", (2, 3, 4, 5), (2, 1, 4, 0)),
]


@pytest.mark.parametrize("mode, shape, amounts", CASES, ids=str)
def test_pad_gradcheck_and_matches_torch(torch, rng, device, mode, shape, amounts):
    x = leaf(rng.standard_normal(shape), device=device)
    value = 0.5 if mode == "constant" else None
    assert gradcheck(lambda t: F.pad(t, amounts, mode, value), [x])
    tx = to_torch(torch, x, True)
    ours = F.pad(x, amounts, mode, value)
    theirs = torch.nn.functional.pad(tx, amounts, mode=mode, value=value)
    assert_close(ours, theirs, rtol=0, atol=0)
    grad = rng.standard_normal(ours.shape)
    ours.backward(tinynn.tensor(grad, device=device))
    theirs.backward(torch.tensor(grad))
    assert_close(x.grad, tx.grad, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("layer, options, shape", [
    ("Conv2d", dict(padding=1, padding_mode="reflect"), (2, 3, 6, 5)),
    ("Conv2d", dict(padding=(2, 1), padding_mode="replicate", stride=2), (2, 3, 7, 6)),
    ("Conv2d", dict(padding="same", padding_mode="circular", dilation=2), (2, 3, 8, 8)),
    ("Conv1d", dict(padding=2, padding_mode="reflect"), (2, 3, 9)),
    ("Conv1d", dict(padding="same", padding_mode="replicate"), (2, 3, 9)),
], ids=str)
def test_padding_modes_of_convolutions_match_torch(torch, rng, device, layer, options, shape):
    ours, theirs = getattr(nn, layer)(3, 4, 3, **options), getattr(torch.nn, layer)(3, 4, 3, **options)
    assert repr(ours) == repr(theirs)
    assert_layer_matches_torch(torch, ours, theirs, shape, rng, device)


def test_pad_errors_are_clear():
    x = tinynn.zeros(1, 2, 4)
    with pytest.raises(ValueError, match=r"reflect padding must be smaller than the axis it pads, got \(4, 0\)"):
        F.pad(x, (4, 0), "reflect")
    with pytest.raises(ValueError, match="circular padding may wrap around once at most"):
        F.pad(x, (5, 0), "circular")
    with pytest.raises(ValueError, match="pads 1 to 3 trailing axes of an input with one more axis"):
        F.pad(tinynn.zeros(4), (1, 1), "reflect")
    with pytest.raises(ValueError, match="mode must be one of"):
        F.pad(x, (1, 1), "mirror")
    with pytest.raises(ValueError, match=r"expected \(before, after\) int pairs for at most 3 axes"):
        F.pad(x, (1, 1, 1))
    with pytest.raises(ValueError, match=r"padding \(-3, -2\) leaves a negative size for axis 2 of size 4"):
        F.pad(x, (-3, -2))
    with pytest.raises(ValueError, match="value is only used with mode 'constant'"):
        F.pad(x, (1, 1), "replicate", value=3.0)
    with pytest.raises(ValueError, match="padding_mode must be one of"):
        nn.Conv2d(1, 1, 3, padding_mode="mirror")
    with pytest.raises(ValueError, match="only padding_mode 'zeros' is supported for transposed"):
        nn.ConvTranspose2d(1, 1, 3, padding_mode="reflect")


@pytest.mark.parametrize("layer, argument, shape", [
    ("ZeroPad2d", (1, 2, 0, 3), (2, 3, 4, 5)), ("ConstantPad1d", ((2, 1), 0.5), (2, 3, 4)),
    ("ConstantPad2d", (1, -1.0), (2, 3, 4, 5)), ("ReflectionPad1d", 2, (2, 3, 4)), ("ReflectionPad2d", (1, 0, 2, 1), (2, 3, 4, 5)),
    ("ReplicationPad1d", (3, 1), (2, 3, 4)), ("ReplicationPad2d", 2, (2, 3, 4, 5)), ("CircularPad1d", 3, (2, 3, 4)),
    ("CircularPad2d", (1, 2, 3, 4), (2, 3, 4, 5)),
], ids=str)
def test_padding_layers_match_torch(torch, rng, device, layer, argument, shape):
    arguments = argument if layer.startswith("ConstantPad") else (argument,)
    ours, theirs = getattr(nn, layer)(*arguments), getattr(torch.nn, layer)(*arguments)
    assert repr(ours) == repr(theirs)
    x = leaf(rng.standard_normal(shape), device=device)
    assert_close(ours(x), theirs(to_torch(torch, x)), rtol=0, atol=0)


@pytest.mark.parametrize("factor", [1, 2, 3])
def test_pixel_shuffle_and_unshuffle_match_torch_and_invert_each_other(torch, rng, device, factor):
    x = leaf(rng.standard_normal((2, 2 * factor * factor, 3, 4)), device=device)
    shuffled = nn.PixelShuffle(factor)(x)
    assert_close(shuffled, torch.nn.PixelShuffle(factor)(to_torch(torch, x)), rtol=0, atol=0)
    np.testing.assert_array_equal(nn.PixelUnshuffle(factor)(shuffled).numpy(), x.numpy())
    assert gradcheck(lambda t: F.pixel_shuffle(t, factor) * 2, [x])
    with pytest.raises(ValueError, match="channels are not divisible by upscale_factor"):
        F.pixel_shuffle(tinynn.zeros(1, 5, 2, 2), 2)
    with pytest.raises(ValueError, match="must be divisible by 2"):
        F.pixel_unshuffle(tinynn.zeros(1, 1, 3, 4), 2)


@pytest.mark.parametrize("mode", ["constant", "reflect", "replicate", "circular"])
@pytest.mark.parametrize("amounts", [(-1, 2), (2, -1), (-2, -1), (3, -2, -1, 1)])
def test_negative_padding_crops_as_torch(torch, rng, device, mode, amounts):
    # PyTorch crops after padding, but for "circular" before it (its wrap-around comes from what is kept)
    values = rng.standard_normal((2, 3, 5, 6)[:2 + len(amounts) // 2])
    x, tx = tinynn.tensor(values, device=device, requires_grad=True), torch.tensor(values, requires_grad=True)
    out, t_out = F.pad(x, amounts, mode), torch.nn.functional.pad(tx, amounts, mode)
    assert_close(out, t_out.detach(), rtol=0, atol=0)
    weights = rng.standard_normal(out.shape)
    (out * tinynn.tensor(weights, device=device)).sum().backward()
    (t_out * torch.tensor(weights)).sum().backward()
    assert_close(x.grad, tx.grad, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", ["ReflectionPad1d", "ReplicationPad2d", "CircularPad3d"])
def test_only_constant_padding_takes_a_value(name):
    """(A second argument was taken as a fill value that the forward pass then refused.)"""
    with pytest.raises(TypeError):
        getattr(tinynn.nn, name)(1, 0.5)
    assert getattr(tinynn.nn, name)(1).value is None
