"""conv2d and Conv2d: gradchecks over drawn shapes/strides/paddings, PyTorch parity, errors."""
import numpy as np
import pytest
from hypothesis import given, strategies as st

import tinynn
from tinynn import nn
from tinynn.autograd import gradcheck, gradgradcheck
from tinynn.nn import functional as F
from tinynn.nn.functional.conv import (input_and_weight_grads, input_grad_as_convolution, input_grad_by_offsets,
                                       shares_im2col, weight_grad, weight_matrix)
from tinynn.nn.functional.depthwise_conv import depthwise_input_grad, is_depthwise
from tinynn.nn.functional.im2col import col2im, output_size, pad_nhwc
from helpers import assert_close, assert_layer_matches_torch, leaf, to_torch


@st.composite
def conv_case(draw):
    kh, kw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    stride = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    padding = (draw(st.integers(0, 2)), draw(st.integers(0, 2)))
    dilation = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    groups = draw(st.sampled_from([1, 1, 2, 3]))
    span = (dilation[0] * (kh - 1) + 1, dilation[1] * (kw - 1) + 1)
    h = draw(st.integers(max(span[0] - 2 * padding[0], 1), 7))
    w = draw(st.integers(max(span[1] - 2 * padding[1], 1), 7))
    return dict(n=draw(st.integers(1, 2)), c=groups * draw(st.integers(1, 2)), o=groups * draw(st.integers(1, 2)),
                h=h, w=w, kernel=(kh, kw), stride=stride, padding=padding, dilation=dilation, groups=groups,
                bias=draw(st.booleans()))


@given(case=conv_case(), seed=st.integers(0, 2 ** 16))
def test_conv2d_gradcheck(case, seed, device):
    rng = np.random.default_rng(seed)
    x = leaf(rng.standard_normal((case["n"], case["c"], case["h"], case["w"])), device=device)
    w = leaf(rng.standard_normal((case["o"], case["c"] // case["groups"]) + case["kernel"]), device=device)
    b = leaf(rng.standard_normal(case["o"]), device=device) if case["bias"] else None
    inputs = [x, w] + ([b] if b is not None else [])
    options = (case["stride"], case["padding"], case["dilation"], case["groups"])
    assert gradcheck(lambda x, w, *b: F.conv2d(x, w, b[0] if b else None, *options), inputs)


@given(case=conv_case(), seed=st.integers(0, 2 ** 16))
def test_input_grad_is_col2im_of_the_patch_gradients(case, seed):
    """Both ways of input_grad (the convolution with the turned kernel, and kernel offset by
    offset) equal the textbook dL/dx = col2im(gY @ Wm^T)."""
    rng = np.random.default_rng(seed)
    groups, kernel, stride, dilation = case["groups"], case["kernel"], case["stride"], case["dilation"]
    x_padded = rng.standard_normal((case["n"], case["h"] + 2 * case["padding"][0], case["w"] + 2 * case["padding"][1],
                                    case["c"]))
    weight = rng.standard_normal((case["o"], case["c"] // groups) + kernel)
    oh, ow = (output_size(x_padded.shape[1 + i], kernel[i], stride[i], dilation[i]) for i in range(2))
    g = rng.standard_normal((case["n"], oh, ow, case["o"]))
    g_col = np.matmul(g.reshape(-1, groups, case["o"] // groups).transpose(1, 0, 2),
                      weight_matrix(weight, groups).transpose(0, 2, 1))  # (G, rows, KH*KW*Cg)
    patch_grads = (g_col.reshape(groups, case["n"], oh, ow, kernel[0], kernel[1], -1).transpose(1, 2, 3, 4, 5, 0, 6)
                   .reshape(case["n"], oh, ow, kernel[0], kernel[1], case["c"]))
    expected = np.zeros_like(x_padded)
    for p in range(kernel[0]):
        for q in range(kernel[1]):
            top, left = p * dilation[0], q * dilation[1]
            expected[:, top:top + stride[0] * (oh - 1) + 1:stride[0], left:left + stride[1] * (ow - 1) + 1:stride[1]] += \
                patch_grads[:, :, :, p, q]
    if dilation == (1, 1):
        np.testing.assert_allclose(col2im(patch_grads, x_padded.shape, stride), expected, rtol=1e-12, atol=1e-12)
    for way in (input_grad_as_convolution, input_grad_by_offsets):
        got = way(g, weight, x_padded.shape[1:3], stride, dilation, groups)
        np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-10, err_msg=way.__name__)
    if is_depthwise(case["c"], case["o"], groups, weight):  # and the depthwise convolution's own offsets
        got = depthwise_input_grad(g, weight, x_padded.shape[1:3], stride, dilation)
        np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-10, err_msg="depthwise_input_grad")


@st.composite
def shared_im2col_case(draw):
    """A stride-1 convolution whose backward takes input_and_weight_grads: each side's padding within
    D*(K-1), at least 4 input channels per group."""
    kernel = (draw(st.integers(1, 4)), draw(st.integers(1, 4)))
    dilation = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    reach = [d * (k - 1) for d, k in zip(dilation, kernel)]
    padding = tuple((draw(st.integers(0, r)), draw(st.integers(0, r))) for r in reach)
    groups = draw(st.sampled_from([1, 1, 2, 3]))
    size = [draw(st.integers(max(1, r + 1 - sum(pad)), 7)) for r, pad in zip(reach, padding)]
    return dict(n=draw(st.integers(1, 3)), c=groups * draw(st.integers(4, 5)), o=groups * draw(st.integers(1, 3)),
                hw=size, kernel=kernel, padding=padding, dilation=dilation, groups=groups)


@given(case=shared_im2col_case(), seed=st.integers(0, 2 ** 16), block_bytes=st.sampled_from([1, 4000, 2 << 20]))
def test_input_and_weight_grads_equal_the_separate_passes(monkeypatch, case, seed, block_bytes):
    """Both gradients from the im2col of dL/dy (the weights' by col(g_up)^T @ x) equal input_grad's and
    weight_grad's from the im2col of x, for any padding within the kernel's reach, dilations, groups and
    blocks of images (one image a block up to the whole batch)."""
    from tinynn.nn.functional import conv

    monkeypatch.setattr(conv, "COL_BLOCK_BYTES", {"cpu": block_bytes, "gpu": block_bytes})
    rng = np.random.default_rng(seed)
    groups, kernel, dilation, padding = case["groups"], case["kernel"], case["dilation"], case["padding"]
    x = rng.standard_normal((case["n"], *case["hw"], case["c"]))
    weight = rng.standard_normal((case["o"], case["c"] // groups) + kernel)
    assert shares_im2col(weight, (1, 1), padding, dilation, groups)
    x_padded = pad_nhwc(x, padding)
    out_hw = [output_size(x_padded.shape[1 + i], kernel[i], 1, dilation[i]) for i in range(2)]
    g = rng.standard_normal((case["n"], *out_hw, case["o"]))
    gx, gw = input_and_weight_grads(g, x, weight, padding, dilation, groups)
    expected_gx = input_grad_as_convolution(g, weight, x_padded.shape[1:3], (1, 1), dilation, groups, padding)
    np.testing.assert_allclose(gx, expected_gx, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(gw, weight_grad(x_padded, g, kernel, (1, 1), dilation, groups), rtol=1e-10, atol=1e-10)


@pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel lengths")  # PyTorch's own note
@pytest.mark.parametrize("options", [dict(kernel_size=3, padding=1), dict(kernel_size=4, padding="same", dilation=2),
                                     dict(kernel_size=(1, 3), padding=(0, 2), groups=2), dict(kernel_size=1)],
                         ids=["3x3 same", "even kernel, dilated", "grouped, padded to the reach", "1x1"])
def test_conv2d_backward_from_one_im2col_matches_torch(torch, rng, monkeypatch, options, device):
    """The layer's backward by input_and_weight_grads (asserted to be taken), in blocks of two images of
    a batch of 10, against PyTorch's; an input that needs no gradient takes weight_grad instead."""
    from tinynn.nn.functional import conv

    monkeypatch.setattr(conv, "COL_BLOCK_BYTES", {"cpu": 10_000, "gpu": 10_000})
    taken = []
    monkeypatch.setattr(conv, "input_and_weight_grads", lambda *args: taken.append(1) or input_and_weight_grads(*args))
    ours, theirs = nn.Conv2d(8, 6, **options), torch.nn.Conv2d(8, 6, **options)
    assert_layer_matches_torch(torch, ours, theirs, (10, 8, 9, 7), rng, device)
    assert taken == [1]
    ours.zero_grad()
    ours(tinynn.tensor(rng.standard_normal((10, 8, 9, 7)).astype(np.float32), device=device)).sum().backward()
    assert taken == [1] and ours.weight.grad is not None


def test_conv2d_backward_from_one_im2col_gradcheck(device):
    rng = np.random.default_rng(5)
    x = leaf(rng.standard_normal((2, 8, 5, 4)), device=device)
    w = leaf(rng.standard_normal((4, 4, 3, 2)), device=device)
    b = leaf(rng.standard_normal(4), device=device)
    convolve = lambda x, w, b: F.conv2d(x, w, b, 1, (1, 1), (1, 2), 2)  # noqa: E731
    assert shares_im2col(w._array, (1, 1), ((1, 1), (1, 1)), (1, 2), 2)
    assert gradcheck(convolve, [x, w, b]) and gradgradcheck(convolve, [x, w, b])


@pytest.mark.parametrize("weight_shape,stride,padding,groups", [((6, 3, 3, 3), (1, 1), 1, 1), ((6, 8, 3, 3), (2, 1), 1, 1),
                                                                  ((6, 8, 3, 3), (1, 1), 3, 1), ((8, 1, 3, 3), (1, 1), 1, 8)],
                         ids=["3 channels", "strided", "padded beyond the kernel", "depthwise"])
def test_conv2d_backward_keeps_separate_passes_where_one_im2col_does_not_pay(weight_shape, stride, padding, groups):
    weight = np.zeros(weight_shape, np.float32)
    assert not shares_im2col(weight, stride, ((padding, padding),) * 2, (1, 1), groups)


@pytest.mark.parametrize("stride,padding,kernel", [(1, 0, 3), (2, 1, 3), ((1, 2), (2, 0), (3, 2)), (3, 2, 5)])
def test_conv2d_matches_torch(torch, rng, stride, padding, kernel, device):
    x = leaf(rng.standard_normal((3, 4, 9, 8)), dtype=np.float32, device=device)
    kernel = kernel if isinstance(kernel, tuple) else (kernel, kernel)
    w = leaf(rng.standard_normal((5, 4) + kernel), dtype=np.float32, device=device)
    b = leaf(rng.standard_normal(5), dtype=np.float32, device=device)
    tx, tw, tb = (to_torch(torch, t, True) for t in (x, w, b))
    y = F.conv2d(x, w, b, stride, padding)
    ty = torch.nn.functional.conv2d(tx, tw, tb, stride, padding)
    assert_close(y, ty, rtol=1e-5, atol=1e-5, what="conv2d forward")
    grad = rng.standard_normal(y.shape).astype(np.float32)
    y.backward(tinynn.tensor(grad, device=device))
    ty.backward(torch.tensor(grad))
    for ours, theirs, what in ((x, tx, "input"), (w, tw, "weight"), (b, tb, "bias")):
        assert_close(ours.grad, theirs.grad, rtol=1e-5, atol=1e-4, what=f"conv2d grad {what}")


@pytest.mark.parametrize("dilation,groups,channels", [(2, 1, (4, 6)), (1, 2, (4, 6)), (1, 4, (4, 8)), ((2, 1), 4, (4, 4))],
                         ids=["dilated", "two groups", "depthwise x2", "dilated depthwise"])
def test_dilated_and_grouped_conv2d_match_torch(torch, rng, dilation, groups, channels, device):
    in_channels, out_channels = channels
    options = dict(stride=(1, 2), padding=1, dilation=dilation, groups=groups)
    ours, theirs = nn.Conv2d(in_channels, out_channels, 3, **options), torch.nn.Conv2d(in_channels, out_channels, 3, **options)
    assert_layer_matches_torch(torch, ours, theirs, (3, in_channels, 9, 8), rng, device)
    assert ours.weight.shape == tuple(theirs.weight.shape) == (out_channels, in_channels // groups, 3, 3)


@pytest.mark.parametrize("stride,dilation,kernel", [(1, 1, 3), (2, 1, 3), ((1, 2), (2, 1), (3, 2)), ((2, 1), 1, 5)],
                         ids=["stride 1", "stride 2", "dilated, strided across", "strided down, 5x5"])
def test_depthwise_conv2d_by_offsets_matches_torch(torch, rng, monkeypatch, stride, dilation, kernel, device):
    """One channel in and out per group (depthwise_conv.py): with stride 1 by flat shifts, cut into
    blocks that start mid-image (tiles of 64 values, two a block); else kernel offset by offset, along
    whole image rows where the width's stride is 1, in blocks of two or three images (a batch of 40).
    The weight gradient's einsum in those blocks of images, for every stride."""
    from tinynn.nn.functional import depthwise_conv

    monkeypatch.setattr(depthwise_conv, "BLOCK_VALUES", 1_000)
    monkeypatch.setattr(depthwise_conv, "TILE_VALUES", 64)
    monkeypatch.setattr(depthwise_conv, "BLOCK_TILES", 2)
    options = dict(stride=stride, padding=1, dilation=dilation, groups=6)
    ours, theirs = nn.Conv2d(6, 6, kernel, **options), torch.nn.Conv2d(6, 6, kernel, **options)
    assert is_depthwise(6, 6, 6, ours.weight._array)
    assert_layer_matches_torch(torch, ours, theirs, (40, 6, 11, 10), rng, device)


@pytest.mark.parametrize("stride", [1, 2])
def test_depthwise_conv2d_gradient_laid_out_once(torch, rng, monkeypatch, stride):
    """dL/dy, an NCHW-ordered one (as a random one, or a flatten's) or a channels-last one, is laid
    out once for the input, weight and bias gradients: with stride 1 widened for the flat shifts,
    else copied channels-last (where it does not already lie so)."""
    from tinynn.nn.functional import depthwise_conv

    calls = []
    for name in ("widened_gradient", "contiguous_nhwc"):
        monkeypatch.setattr(depthwise_conv, name, lambda *args, name=name, original=getattr(depthwise_conv, name):
                            calls.append((name, args[0].flags.c_contiguous)) or original(*args))
    ours, theirs = (module(8, 8, 3, stride=stride, padding=1, groups=8) for module in (nn.Conv2d, torch.nn.Conv2d))
    theirs.load_state_dict({k: torch.tensor(v.numpy()) for k, v in ours.state_dict().items()})
    x = rng.standard_normal((6, 8, 7, 9)).astype(np.float32)
    for layout in ("NCHW", "channels-last"):
        ours.zero_grad(), theirs.zero_grad()
        ours_x, theirs_x = leaf(x), torch.tensor(x, requires_grad=True)
        y, ty = ours(ours_x), theirs(theirs_x)
        grad = rng.standard_normal(tuple(y.shape)).astype(np.float32)
        if layout == "channels-last":
            grad = np.ascontiguousarray(grad.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2)
        calls.clear()
        y.backward(tinynn.tensor(grad))
        ty.backward(torch.tensor(np.ascontiguousarray(grad)))
        lies_channels_last = layout == "channels-last"
        assert calls == [("widened_gradient" if stride == 1 else "contiguous_nhwc", lies_channels_last)], calls
        for ours_grad, theirs_grad, what in ((ours_x.grad, theirs_x.grad, "input"), (ours.weight.grad, theirs.weight.grad, "weight"),
                                             (ours.bias.grad, theirs.bias.grad, "bias")):
            assert_close(ours_grad, theirs_grad, rtol=1e-5, atol=1e-4, what=f"{layout} {what} grad")


def test_depthwise_conv2d_gradients_of_gradients(device):
    rng = np.random.default_rng(3)
    x = leaf(rng.standard_normal((2, 3, 6, 5)), device=device)
    w = leaf(rng.standard_normal((3, 1, 3, 2)), device=device)
    for stride in (1, (2, 1)):
        convolve = lambda x, w: F.conv2d(x, w, None, stride, 1, (1, 2), 3)  # noqa: E731
        assert gradcheck(convolve, [x, w]) and gradgradcheck(convolve, [x, w])


@pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel lengths")  # PyTorch's own note
@pytest.mark.parametrize("kernel,dilation", [(3, 1), (4, 1), ((2, 5), (1, 2)), (3, 2)])
def test_same_and_valid_padding_match_torch(torch, rng, kernel, dilation, device):
    for padding in ("same", "valid"):
        ours = nn.Conv2d(2, 3, kernel, padding=padding, dilation=dilation)
        theirs = torch.nn.Conv2d(2, 3, kernel, padding=padding, dilation=dilation)
        y = assert_layer_matches_torch(torch, ours, theirs, (2, 2, 9, 10), rng, device)
        if padding == "same":
            assert y.shape == (2, 3, 9, 10)
    assert repr(nn.Conv2d(2, 3, 3, padding="same")) == "Conv2d(2, 3, kernel_size=(3, 3), stride=(1, 1), padding=same)"
    with pytest.raises(ValueError, match="padding='same' needs stride 1"):
        nn.Conv2d(2, 3, 3, stride=2, padding="same")
    with pytest.raises(ValueError, match="padding must be an int, a pair of ints, 'valid' or 'same', got 'full'"):
        F.conv2d(tinynn.zeros(1, 2, 5, 5), ours.weight.to("cpu"), padding="full")


def test_grouped_layer_initialisation_repr_and_errors():
    layer = nn.Conv2d(8, 8, 3, padding=2, dilation=2, groups=8, bias=False)
    assert repr(layer) == "Conv2d(8, 8, kernel_size=(3, 3), stride=(1, 1), padding=(2, 2), dilation=(2, 2), groups=8, bias=False)"
    bound = 1 / np.sqrt(1 * 9)  # fan_in counts the channels one output sees: in_channels / groups
    assert bound * 0.8 < np.abs(layer.weight.numpy()).max() <= bound
    with pytest.raises(ValueError, match=r"Conv2d: in_channels \(6\) and out_channels \(4\) must both be divisible by groups \(4\)"):
        nn.Conv2d(6, 4, 3, groups=4)
    with pytest.raises(ValueError, match=r"expected input with 8 channels \(weight \(8, 1, 3, 3\), groups=8\), got 4 channels"):
        layer(tinynn.zeros(1, 4, 8, 8))
    with pytest.raises(ValueError, match=r"kernel size \(5, 5\) is larger than the padded input"):
        F.conv2d(tinynn.zeros(1, 1, 2, 2), tinynn.zeros(1, 1, 3, 3), dilation=2)
    with pytest.raises(ValueError, match="conv2d: dilation must be positive"):
        F.conv2d(tinynn.zeros(1, 1, 4, 4), tinynn.zeros(1, 1, 3, 3), dilation=0)


def test_conv2d_layer_initialisation_and_repr():
    layer = nn.Conv2d(3, 16, 3, stride=2, padding=1)
    bound = 1 / np.sqrt(3 * 9)
    assert layer.weight.shape == (16, 3, 3, 3) and layer.bias.shape == (16,)
    assert np.abs(layer.weight.numpy()).max() <= bound and np.abs(layer.weight.numpy()).max() > bound * 0.8
    assert repr(layer) == "Conv2d(3, 16, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1))"
    assert nn.Conv2d(1, 2, 1, bias=False).bias is None


def test_conv2d_layer_names_the_channel_mismatch():
    layer = nn.Conv2d(3, 16, 3)
    with pytest.raises(ValueError, match=r"Conv2d\(3, 16.*expected input with 3 channels.*got 1 channels"):
        layer(tinynn.zeros(1, 1, 8, 8))
    with pytest.raises(ValueError, match=r"Conv2d\(3, 16.*expected a 4-D input \(N, C, H, W\) or one unbatched"):
        layer(tinynn.zeros(8, 8))
    assert layer(tinynn.zeros(3, 8, 8)).shape == (16, 6, 6)  # one unbatched sample, as PyTorch takes


def test_conv_output_is_channels_last_in_memory_behind_nchw_shape():
    y = F.conv2d(tinynn.randn(2, 3, 6, 6), tinynn.randn(4, 3, 3, 3))
    assert y.shape == (2, 4, 4, 4)
    assert y._array.transpose(0, 2, 3, 1).flags["C_CONTIGUOUS"]


@given(length=st.integers(5, 9), kernel=st.integers(1, 3), stride=st.integers(1, 2), padding=st.integers(0, 1),
       dilation=st.integers(1, 2), groups=st.sampled_from([1, 2]), seed=st.integers(0, 2 ** 16))  # (5: a dilated 3-tap kernel spans 5)
def test_conv1d_gradcheck(length, kernel, stride, padding, dilation, groups, seed, device):
    rng = np.random.default_rng(seed)
    x = leaf(rng.standard_normal((2, 2 * groups, length)), device=device)
    w = leaf(rng.standard_normal((2 * groups, 2, kernel)), device=device)
    b = leaf(rng.standard_normal(2 * groups), device=device)
    assert gradcheck(lambda x, w, b: F.conv1d(x, w, b, stride, padding, dilation, groups), [x, w, b])


@pytest.mark.parametrize("options", [dict(), dict(stride=2, padding=1), dict(dilation=2, padding="same"),
                                     dict(groups=2, padding="valid"), dict(groups=4, bias=False)])
def test_conv1d_layer_matches_torch(torch, rng, options, device):
    ours, theirs = nn.Conv1d(4, 8, 3, **options), torch.nn.Conv1d(4, 8, 3, **options)
    assert repr(ours) == repr(theirs)
    assert_layer_matches_torch(torch, ours, theirs, (3, 4, 11), rng, device)
    with pytest.raises(ValueError, match=r"Conv1d\(4, 8, kernel_size=\(3,\)\): expected a 3-D input \(N, C, L\)"):
        ours(tinynn.zeros(1, 4, 5, 5, device=device))
