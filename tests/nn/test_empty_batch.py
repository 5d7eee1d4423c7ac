"""A batch of no samples (N = 0) through every layer gives what PyTorch gives: an empty output of the
layer's output shape, an empty input gradient, zero parameter gradients, untouched running statistics,
NaN for a mean loss and 0 for a summed one; and no NumPy warning on the way."""
import warnings

import numpy as np
import pytest

import tinynn
from tinynn import nn
from tinynn.nn import functional as F
from tinynn.autograd import grad

# (layer class in tinynn.nn and torch.nn, its arguments, an input shape with the batch first)
LAYERS = [
    ("Conv2d", (3, 4, 3), (3, 8, 8)),
    ("Conv2d", (4, 6, 3, 2, 1, 1, 2), (4, 8, 7)),  # strided, padded, grouped
    ("Conv2d", (4, 4, 3, 1, 1, 1, 4), (4, 6, 6)),  # depthwise
    ("Conv1d", (3, 4, 3), (3, 8)),
    ("Conv3d", (3, 4, 3), (3, 4, 4, 4)),
    ("ConvTranspose2d", (3, 4, 3, 2), (3, 5, 5)),
    ("ConvTranspose1d", (3, 4, 3), (3, 5)),
    ("ConvTranspose3d", (3, 4, 2), (3, 3, 3, 3)),
    ("Linear", (3, 4), (3,)),
    ("Bilinear", (3, 3, 2), None),
    ("BatchNorm1d", (3,), (3,)),
    ("BatchNorm1d", (3,), (3, 5)),
    ("BatchNorm2d", (3,), (3, 4, 4)),
    ("BatchNorm3d", (3,), (3, 2, 2, 2)),
    ("InstanceNorm2d", (3,), (3, 4, 4)),
    ("GroupNorm", (3, 6), (6, 2, 2)),
    ("LayerNorm", ((3, 4),), (3, 4)),
    ("RMSNorm", (4,), (4,)),
    ("LocalResponseNorm", (2,), (3, 4, 4)),
    ("MaxPool2d", (2,), (3, 8, 8)),
    ("MaxPool1d", (3, 2, 1), (3, 8)),
    ("MaxPool3d", (2,), (3, 4, 4, 4)),
    ("AvgPool2d", (3, 2, 1, True), (3, 7, 7)),
    ("AvgPool3d", (2,), (3, 4, 4, 4)),
    ("LPPool1d", (2, 2), (3, 8)),
    ("LPPool2d", (2, 2), (3, 8, 8)),
    ("AdaptiveAvgPool2d", (3,), (3, 8, 8)),
    ("AdaptiveMaxPool2d", (3,), (3, 8, 8)),
    ("AdaptiveMaxPool1d", (3,), (3, 8)),
    ("AdaptiveMaxPool3d", (2,), (3, 5, 5, 5)),
    ("FractionalMaxPool2d", (2, 3), (3, 8, 8)),
    ("Upsample", (None, 2, "bilinear"), (3, 4, 4)),
    ("Upsample", ((5, 7), None, "bicubic"), (3, 4, 4)),
    ("PixelShuffle", (2,), (4, 2, 2)),
    ("ReflectionPad2d", (1,), (3, 4, 4)),
    ("Unfold", (2,), (3, 4, 4)),
    ("Dropout", (0.5,), (3,)),
    ("Dropout2d", (0.5,), (3, 4, 4)),
    ("AlphaDropout", (0.5,), (3,)),
    ("ReLU", (), (3,)),
    ("PReLU", (3,), (3,)),
    ("GELU", (), (3,)),
    ("Softmax", (1,), (3,)),
    ("LogSoftmax", (1,), (3,)),
    ("GLU", (), (4,)),
    ("Embedding", (5, 3), None),
]
IDS = [f"{name}{arguments}" for name, arguments, _ in LAYERS]


@pytest.mark.parametrize("name, arguments, sample", LAYERS, ids=IDS)
def test_an_empty_batch_gives_an_empty_output_and_zero_gradients(name, arguments, sample, device):
    layer = getattr(nn, name)(*arguments).to(device)
    full = layer(tinynn.zeros(2, *sample, device=device)) if sample is not None else None
    x = tinynn.zeros(0, *(sample or (3,)), device=device, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        if name == "Embedding":
            y = layer(tinynn.zeros(0, 2, dtype=np.int64, device=device))
        elif name == "Bilinear":
            y = layer(x, x)
        else:
            y = layer(x)
        y.sum().backward()
    if full is not None:
        assert y.shape == (0,) + full.shape[1:]
    assert y.device == x.device and y.dtype == np.float32
    if name != "Embedding":  # (whose input, indices, has no gradient)
        assert x.grad.shape == x.shape
    for parameter_name, parameter in layer.named_parameters():
        assert parameter.grad is not None, parameter_name
        assert parameter.grad.shape == parameter.shape and not parameter.grad.numpy().any(), parameter_name


@pytest.mark.parametrize("name, arguments, sample", [layer for layer in LAYERS if layer[2] is not None],
                         ids=[i for i, layer in zip(IDS, LAYERS) if layer[2] is not None])
def test_an_empty_batch_has_torch_s_output_shape(torch, name, arguments, sample):
    ours, theirs = getattr(nn, name)(*arguments), getattr(torch.nn, name)(*arguments)
    assert ours(tinynn.zeros(0, *sample)).shape == tuple(theirs(torch.zeros(0, *sample)).shape)


@pytest.mark.parametrize("momentum", [0.1, None])
def test_batch_norm_counts_an_empty_batch_and_keeps_its_running_statistics_as_torch(torch, momentum, device):
    ours, theirs = nn.BatchNorm2d(3, momentum=momentum).to(device), torch.nn.BatchNorm2d(3, momentum=momentum)
    ours(tinynn.tensor(np.arange(96, dtype=np.float32).reshape(2, 3, 4, 4), device=device))
    theirs(torch.arange(96, dtype=torch.float32).reshape(2, 3, 4, 4))
    before = {key: value.numpy().copy() for key, value in ours.state_dict().items()}
    ours(tinynn.zeros(0, 3, 4, 4, device=device))
    theirs(torch.zeros(0, 3, 4, 4))
    state, torch_state = ours.state_dict(), theirs.state_dict()
    assert int(state["num_batches_tracked"].item()) == int(torch_state["num_batches_tracked"]) == 2
    for key in ("running_mean", "running_var"):
        np.testing.assert_array_equal(state[key].numpy(), before[key])
        np.testing.assert_allclose(state[key].numpy(), torch_state[key].numpy(), rtol=1e-6)


def test_instance_norm_keeps_its_running_statistics_for_an_empty_batch():
    layer = nn.InstanceNorm2d(3, track_running_stats=True)
    layer(tinynn.zeros(0, 3, 4, 4))
    np.testing.assert_array_equal(layer.running_mean.numpy(), np.zeros(3))
    np.testing.assert_array_equal(layer.running_var.numpy(), np.ones(3))


LOSSES = {
    "mse_loss": lambda F, x, t: (x, t.float()), "l1_loss": lambda F, x, t: (x, t.float()),
    "smooth_l1_loss": lambda F, x, t: (x, t.float()), "huber_loss": lambda F, x, t: (x, t.float()),
    "binary_cross_entropy_with_logits": lambda F, x, t: (x, t.float()), "kl_div": lambda F, x, t: (x, t.float()),
    "soft_margin_loss": lambda F, x, t: (x, t.float()), "poisson_nll_loss": lambda F, x, t: (x, t.float()),
    "multilabel_soft_margin_loss": lambda F, x, t: (x, t.float()),
    "binary_cross_entropy": lambda F, x, t: (x.sigmoid(), t.float()),
    "cross_entropy": lambda F, x, t: (x, t[:, 0]), "nll_loss": lambda F, x, t: (x, t[:, 0]),
    "hinge_embedding_loss": lambda F, x, t: (x, t.float()),
}


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("loss", sorted(LOSSES))
def test_a_loss_of_an_empty_batch_is_torch_s(torch, loss, reduction):
    """NaN for a mean (0 / 0), 0 for a sum, an empty tensor for none; the input's gradient empty."""
    x = tinynn.zeros(0, 4, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ours = getattr(F, loss)(*LOSSES[loss](F, x, tinynn.zeros(0, 4, dtype=np.int64)), reduction=reduction)
        ours.sum().backward()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # (PyTorch's kl_div warns that its "mean" will change)
        theirs = getattr(torch.nn.functional, loss)(
            *LOSSES[loss](torch.nn.functional, torch.zeros(0, 4), torch.zeros(0, 4, dtype=torch.long)), reduction=reduction)
    assert ours.shape == tuple(theirs.shape) and x.grad.shape == (0, 4)
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_kl_div_batchmean_of_an_empty_batch_is_nan():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert np.isnan(F.kl_div(tinynn.zeros(0, 3), tinynn.zeros(0, 3), reduction="batchmean").item())


def test_gradients_of_gradients_pass_an_empty_batch(device):
    layer = nn.Conv2d(3, 4, 3).to(device)
    x = tinynn.zeros(0, 3, 5, 5, device=device, requires_grad=True)
    weight_grad, = grad(layer(x).sum(), [layer.weight], create_graph=True)
    assert weight_grad.shape == layer.weight.shape and not weight_grad.numpy().any()
    (weight_grad * weight_grad).sum().backward()
    assert x.grad.shape == x.shape


def test_ctc_loss_of_an_empty_batch_is_a_clear_error():
    with pytest.raises(ValueError, match=r"ctc_loss: log_probs must not be empty, got shape \(5, 0, 4\)"):
        F.ctc_loss(tinynn.zeros(5, 0, 4), tinynn.zeros(0, 3, dtype=np.int64), [], [])


# (layer, its arguments, an input with no values though its batch is not empty)
EMPTY_ELSEWHERE = [
    ("GroupNorm", (2, 4), (2, 4, 0)),
    ("GroupNorm", (2, 4), (2, 4, 3, 0)),
    ("InstanceNorm2d", (3,), (2, 3, 4, 0)),
    ("InstanceNorm1d", (3, 1e-5, 0.1, True), (2, 3, 0)),
    ("BatchNorm2d", (3,), (2, 3, 4, 0)),
    ("BatchNorm1d", (3,), (2, 3, 0)),
    ("LayerNorm", (3,), (2, 0, 3)),
    ("PixelShuffle", (2,), (2, 8, 3, 0)),
    ("Linear", (3, 4), (2, 0, 3)),
    ("Softmax", (1,), (2, 0, 3)),
    ("Flatten", (), (2, 0, 3)),
]


@pytest.mark.parametrize("name, arguments, shape", EMPTY_ELSEWHERE, ids=[f"{n}{a}{s}" for n, a, s in EMPTY_ELSEWHERE])
def test_an_input_with_an_empty_axis_gives_torch_s_empty_output_and_zero_gradients(torch, name, arguments, shape):
    """An image of width 0 or a sequence of length 0 in a batch that is not empty: GroupNorm and InstanceNorm
    failed in a NumPy reshape, BatchNorm asked for more than one value per channel, PixelShuffle could not
    reshape; as in PyTorch, the output is empty and every parameter's gradient 0 (PyTorch's GroupNorm: NaN)."""
    layer = getattr(nn, name)(*arguments)
    x = tinynn.zeros(*shape, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        y = layer(x)
        y.sum().backward()
    assert y.shape == tuple(getattr(torch.nn, name)(*arguments)(torch.zeros(*shape)).shape)
    assert y.numel() == 0 and x.grad.shape == x.shape
    for parameter_name, parameter in layer.named_parameters():
        assert parameter.grad is not None and not parameter.grad.numpy().any(), parameter_name
    for buffer_name, buffer in layer.named_buffers():
        if buffer_name != "num_batches_tracked":
            assert np.array_equal(buffer.numpy(), getattr(getattr(nn, name)(*arguments), buffer_name).numpy())


def test_pixel_unshuffle_of_an_empty_image_has_the_shape_of_the_others():
    """(PyTorch gives the input's own shape back when it has no values, (2, 2, 0, 4) here.)"""
    assert F.pixel_unshuffle(tinynn.zeros(2, 2, 0, 4), 2).shape == (2, 8, 0, 2)
    assert F.pixel_unshuffle(tinynn.zeros(0, 2, 4, 4), 2).shape == (0, 8, 2, 2)


def test_replicate_padding_of_an_empty_axis_and_flatten_of_a_scalar_are_clear_errors():
    with pytest.raises(ValueError, match=r"pad: replicate padding copies an axis's edge values, but axis 2 is empty"):
        F.pad(tinynn.zeros(2, 3, 0), (1, 1), mode="replicate")
    assert F.pad(tinynn.zeros(2, 3, 0), (0, 0), mode="replicate").shape == (2, 3, 0)
    scalar = tinynn.tensor(1.5)
    assert scalar.flatten().shape == scalar.flatten(-1, 0).shape == (1,)
    with pytest.raises(IndexError, match=r"expected to be in range of \[-1, 0\], but got 1"):
        nn.Flatten()(scalar)
