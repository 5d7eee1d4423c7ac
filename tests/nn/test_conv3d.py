"""3-D convolution, pooling and normalization of (N, C, D, H, W) volumes: outputs and gradients
(input and parameters) equal PyTorch's on identical weights, on every device; gradchecked in float64."""
import pytest

import tinynn
from tinynn import autograd
from tinynn.nn import functional as F
from helpers import assert_close, assert_module_matches_torch

LAYERS = {
    "Conv3d": lambda L: L.nn.Conv3d(4, 6, 3),
    "Conv3d stride padding dilation groups": lambda L: L.nn.Conv3d(4, 6, (3, 2, 3), stride=(2, 1, 2), padding=1,
                                                                   dilation=(1, 2, 1), groups=2),
    "Conv3d same reflect": lambda L: L.nn.Conv3d(4, 6, 3, padding="same", padding_mode="reflect"),
    "Conv3d no bias circular": lambda L: L.nn.Conv3d(4, 2, 2, padding=1, bias=False, padding_mode="circular"),
    "ConvTranspose3d": lambda L: L.nn.ConvTranspose3d(4, 6, 3),
    "ConvTranspose3d all options": lambda L: L.nn.ConvTranspose3d(4, 6, (3, 2, 2), stride=2, padding=1, output_padding=1,
                                                                  groups=2, dilation=(2, 1, 1)),
    "MaxPool3d": lambda L: L.nn.MaxPool3d(2),
    "MaxPool3d padding ceil_mode": lambda L: L.nn.MaxPool3d(3, stride=2, padding=1, ceil_mode=True),
    "MaxPool3d dilation": lambda L: L.nn.MaxPool3d(2, stride=1, dilation=2),
    "AvgPool3d": lambda L: L.nn.AvgPool3d(2),
    "AvgPool3d padding ceil_mode": lambda L: L.nn.AvgPool3d(3, stride=2, padding=1, ceil_mode=True),
    "AvgPool3d count_include_pad=False": lambda L: L.nn.AvgPool3d(3, stride=2, padding=1, count_include_pad=False),
    "AvgPool3d divisor_override": lambda L: L.nn.AvgPool3d(2, divisor_override=3),
    "AdaptiveAvgPool3d": lambda L: L.nn.AdaptiveAvgPool3d((3, 4, 2)),
    "AdaptiveMaxPool3d": lambda L: L.nn.AdaptiveMaxPool3d((4, 3, 2)),
    "AdaptiveMaxPool3d even": lambda L: L.nn.AdaptiveMaxPool3d((3, None, 3)),
    "LPPool3d": lambda L: L.nn.LPPool3d(2, 2, stride=(2, 1, 2)),
    "LPPool3d inf": lambda L: L.nn.LPPool3d(float("inf"), (2, 3, 2)),
    "LPPool3d -inf": lambda L: L.nn.LPPool3d(float("-inf"), 2),
    "BatchNorm3d": lambda L: L.nn.BatchNorm3d(4),
    "InstanceNorm3d": lambda L: L.nn.InstanceNorm3d(4, affine=True),
    "ReplicationPad3d": lambda L: L.nn.ReplicationPad3d((1, 2, 0, 1, 2, 1)),
    "ReflectionPad3d": lambda L: L.nn.ReflectionPad3d(1),
    "CircularPad3d": lambda L: L.nn.CircularPad3d(1),
    "ConstantPad3d": lambda L: L.nn.ConstantPad3d((1, 0, 2, 1, 0, 1), 0.5),
    "ZeroPad3d": lambda L: L.nn.ZeroPad3d(1),
}


@pytest.mark.parametrize("name", list(LAYERS))
def test_matches_torch(name, torch, rng, device):
    ours, theirs = LAYERS[name](tinynn).double(), LAYERS[name](torch).double()
    if ours.state_dict():
        theirs.load_state_dict({k: torch.tensor(v.numpy()) for k, v in ours.state_dict().items()})
    ours.to(device)
    assert_module_matches_torch(ours, theirs, rng.standard_normal((2, 4, 6, 7, 5)), torch, rng, device, name)


POOLINGS = {
    "max_pool3d": (lambda L, x: L.nn.functional.max_pool3d(x, 2, return_indices=True), (2, 2)),
    "max_pool3d padding ceil_mode": (lambda L, x: L.nn.functional.max_pool3d(x, 3, 2, 1, ceil_mode=True,
                                                                             return_indices=True), (3, 2, 1)),
    "max_pool3d dilation": (lambda L, x: L.nn.functional.max_pool3d(x, (3, 2, 2), (2, 1, 2), 0, (2, 1, 1),
                                                                    return_indices=True), None),
    "adaptive_max_pool3d": (lambda L, x: L.nn.functional.adaptive_max_pool3d(x, (4, 3, 2), return_indices=True), None),
    "adaptive_max_pool3d even": (lambda L, x: L.nn.functional.adaptive_max_pool3d(x, (3, None, 5), True), None),
}


@pytest.mark.parametrize("name", list(POOLINGS))
def test_pooling_indices_gradients_and_unpooling_match_torch(name, torch, rng, device):
    """Where each maximum is, the gradient there only (ties included: the first one, as PyTorch),
    and MaxUnpool3d putting the values back."""
    values = rng.standard_normal((2, 3, 6, 7, 5)).round(1)  # rounded: many ties
    x, tx = tinynn.tensor(values, device=device, requires_grad=True), torch.tensor(values, requires_grad=True)
    (out, indices), (t_out, t_indices) = POOLINGS[name][0](tinynn, x), POOLINGS[name][0](torch, tx)
    assert indices.numpy().tolist() == t_indices.tolist()
    assert_close(out, t_out.detach(), what=name)
    weights = rng.standard_normal(out.shape)
    (out * tinynn.tensor(weights, device=device)).sum().backward()
    (t_out * torch.tensor(weights)).sum().backward()
    assert_close(x.grad, tx.grad, rtol=1e-12, atol=1e-12, what=f"{name} gradient")
    if POOLINGS[name][1] is not None:
        kernel, stride, *padding = POOLINGS[name][1]
        unpooled = tinynn.nn.MaxUnpool3d(kernel, stride, *padding)(out, indices, output_size=values.shape[2:])
        t_unpooled = torch.nn.MaxUnpool3d(kernel, stride, *padding)(t_out, t_indices, output_size=values.shape[2:])
        assert_close(unpooled, t_unpooled.detach(), what="unpooled")


def test_gradchecks(rng):
    x = tinynn.tensor(rng.standard_normal((1, 2, 4, 3, 3)), requires_grad=True)
    w = tinynn.tensor(rng.standard_normal((2, 2, 2, 2, 2)), requires_grad=True)
    b = tinynn.tensor(rng.standard_normal(2), requires_grad=True)
    assert autograd.gradcheck(lambda x, w, b: F.conv3d(x, w, b, stride=(2, 1, 1), padding=1), [x, w, b])
    assert autograd.gradcheck(lambda x, w, b: F.conv_transpose3d(x, w, b, stride=2, output_padding=1), [x, w, b])
    assert autograd.gradcheck(lambda x: F.avg_pool3d(x, 2, padding=1, count_include_pad=False), [x])
    assert autograd.gradgradcheck(lambda x, w: F.conv3d(x, w).tanh(), [x, w], fast_mode=True)
    assert autograd.gradgradcheck(lambda x: F.max_pool3d(x, 2, padding=1) ** 2, [x], fast_mode=True)


def test_bad_input_is_a_clear_error():
    with pytest.raises(ValueError, match=r"conv3d: expected a 5-D input \(N, C, D, H, W\) or one unbatched 4-D sample "
                                         r"\(C, D, H, W\), got a 3-D tensor of shape \(4, 6, 7\)"):
        F.conv3d(tinynn.zeros(4, 6, 7), tinynn.zeros(6, 4, 3, 3, 3))
    with pytest.raises(ValueError, match="conv3d: expected input with 4 channels"):
        F.conv3d(tinynn.zeros(1, 3, 4, 4, 4), tinynn.zeros(6, 4, 3, 3, 3))
    with pytest.raises(ValueError, match="depth span 5 is larger than the padded input's depth 4"):
        F.conv3d(tinynn.zeros(1, 4, 4, 9, 9), tinynn.zeros(6, 4, 5, 3, 3))
    with pytest.raises(IndexError, match=r"max_unpool3d: index 64 is outside the \(2, 2, 2\) output volume"):
        F.max_unpool3d(tinynn.zeros(1, 1, 1, 1, 1), tinynn.tensor([[[[[64]]]]]), 2)
    with pytest.raises(ValueError, match="max_unpool3d: output_size .* must lie strictly between"):
        F.max_unpool3d(tinynn.zeros(1, 1, 2, 2, 2), tinynn.zeros(1, 1, 2, 2, 2, dtype="int64"), 2, output_size=(9, 4, 4))
    with pytest.raises(ValueError, match="BatchNorm3d\\(4\\): expected a 5-D input"):
        tinynn.nn.BatchNorm3d(4)(tinynn.zeros(2, 4, 3, 3))
