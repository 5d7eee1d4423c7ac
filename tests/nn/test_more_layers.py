"""The layers that complete PyTorch's everyday set: RMSNorm, LocalResponseNorm, CrossMapLRN2d, LPPool1d/2d,
AdaptiveAvg/MaxPool1d, MaxUnpool1d, Softmax2d, ChannelShuffle, the Upsampling layers, ZeroPad1d,
TripletMarginWithDistanceLoss, MultiLabelMarginLoss and the in-place activations: outputs and
gradients equal PyTorch's on identical weights (every device), gradchecked in float64; the random
ones (RReLU, AlphaDropout, FeatureAlphaDropout, Dropout3d, gumbel_softmax) checked by their
definitions and statistics."""
import numpy as np
import pytest

import tinynn
from tinynn import autograd, nn
from tinynn.nn import functional as F
from helpers import assert_close, assert_module_matches_torch

# name -> (build(library), input shape, values positive?)
LAYERS = {
    "RMSNorm": (lambda L: L.nn.RMSNorm((4, 5)), (2, 3, 4, 5), False),
    "RMSNorm eps, no affine": (lambda L: L.nn.RMSNorm(5, eps=1e-3, elementwise_affine=False), (3, 5), False),
    "LocalResponseNorm": (lambda L: L.nn.LocalResponseNorm(3, alpha=0.1, beta=0.6, k=2.0), (2, 6, 4, 3), False),
    "LocalResponseNorm 3-D": (lambda L: L.nn.LocalResponseNorm(4), (2, 5, 7), False),
    "LPPool2d": (lambda L: L.nn.LPPool2d(2, 2), (2, 3, 6, 5), True),
    "LPPool2d p=3 stride": (lambda L: L.nn.LPPool2d(3, (3, 2), stride=1), (1, 2, 5, 5), True),
    "LPPool1d": (lambda L: L.nn.LPPool1d(1.5, 3, stride=2), (2, 3, 9), True),
    "LPPool2d inf": (lambda L: L.nn.LPPool2d(float("inf"), 2), (2, 3, 6, 5), False),  # the largest |x|
    "LPPool1d -inf": (lambda L: L.nn.LPPool1d(float("-inf"), 3), (2, 3, 9), False),  # the smallest |x|
    "AdaptiveAvgPool1d": (lambda L: L.nn.AdaptiveAvgPool1d(4), (2, 3, 10), False),
    "AdaptiveMaxPool1d": (lambda L: L.nn.AdaptiveMaxPool1d(3), (2, 3, 10), False),
    "Softmax2d": (lambda L: L.nn.Softmax2d(), (2, 3, 4, 5), False),
    "ChannelShuffle": (lambda L: L.nn.ChannelShuffle(3), (2, 6, 3, 2), False),
    "UpsamplingNearest2d": (lambda L: L.nn.UpsamplingNearest2d(scale_factor=2), (1, 2, 3, 4), False),
    "UpsamplingBilinear2d": (lambda L: L.nn.UpsamplingBilinear2d(size=(5, 7)), (1, 2, 3, 4), False),
    "ZeroPad1d": (lambda L: L.nn.ZeroPad1d((2, 1)), (2, 3, 4), False),
    "RReLU eval": (lambda L: L.nn.RReLU(0.1, 0.3).eval(), (3, 4), False),
    "AlphaDropout eval": (lambda L: L.nn.AlphaDropout(0.4).eval(), (3, 4), False),
}


@pytest.mark.parametrize("name", list(LAYERS))
def test_layers_match_torch(name, torch, rng, device):
    build, shape, positive = LAYERS[name]
    values = rng.uniform(0.1, 2.0, shape) if positive else rng.standard_normal(shape)
    ours, theirs = build(tinynn).double(), build(torch).double()
    if ours.state_dict():
        theirs.load_state_dict({k: torch.tensor(rng.standard_normal(v.shape)) for k, v in ours.state_dict().items()})
        ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    ours.to(device)
    assert_module_matches_torch(ours, theirs, values, torch, rng, device, name)
    if device == "cpu":
        assert autograd.gradcheck(lambda t: ours(t), [tinynn.tensor(values, requires_grad=True)])


def test_indices_and_unpooling_in_one_dimension_match_torch(torch, rng, device):
    values = rng.standard_normal((2, 3, 10))
    x, tx = tinynn.tensor(values, device=device), torch.tensor(values)
    pooled, indices = F.adaptive_max_pool1d(x, 4, return_indices=True)
    t_pooled, t_indices = torch.nn.functional.adaptive_max_pool1d(tx, 4, return_indices=True)
    assert_close(pooled, t_pooled)
    np.testing.assert_array_equal(indices.numpy(), t_indices.numpy())
    pooled, indices = F.max_pool1d(x, 2, return_indices=True)
    t_pooled, t_indices = torch.nn.functional.max_pool1d(tx, 2, return_indices=True)
    assert_close(nn.MaxUnpool1d(2)(pooled, indices), torch.nn.MaxUnpool1d(2)(t_pooled, t_indices))
    assert_close(F.max_unpool1d(pooled, indices, 2, output_size=(11,)),
                 torch.nn.functional.max_unpool1d(t_pooled, t_indices, 2, output_size=(11,)))


def test_losses_match_torch(torch, rng):
    a, p, n = (rng.standard_normal((4, 3)) for _ in range(3))
    ours = [tinynn.tensor(v, requires_grad=True) for v in (a, p, n)]
    theirs = [torch.tensor(v, requires_grad=True) for v in (a, p, n)]
    cosine = lambda L: lambda x, y: 1 - L.nn.functional.cosine_similarity(x, y)  # noqa: E731
    for options in ({}, {"margin": 0.5, "swap": True}, {"distance_function": "cosine", "reduction": "sum"}):
        kwargs = {k: v for k, v in options.items() if k != "distance_function"}
        loss = nn.TripletMarginWithDistanceLoss(distance_function=cosine(tinynn) if options.get("distance_function") else None,
                                                **kwargs)(*ours)
        t_loss = torch.nn.TripletMarginWithDistanceLoss(
            distance_function=cosine(torch) if options.get("distance_function") else None, **kwargs)(*theirs)
        assert_close(loss, t_loss.detach(), rtol=1e-10)
        loss.backward()
        t_loss.backward()
        for mine, reference in zip(ours, theirs):
            assert_close(mine.grad, reference.grad, rtol=1e-9, atol=1e-12)
    scores = rng.standard_normal((3, 5))
    targets = np.array([[3, 0, -1, 1, 2], [1, 2, 3, 4, 0], [-1, 1, 2, 0, 0]])  # all classes; none
    x, tx = tinynn.tensor(scores, requires_grad=True), torch.tensor(scores, requires_grad=True)
    for reduction in ("mean", "sum", "none"):
        loss = nn.MultiLabelMarginLoss(reduction=reduction)(x, tinynn.tensor(targets))
        t_loss = torch.nn.MultiLabelMarginLoss(reduction=reduction)(tx, torch.tensor(targets))
        assert_close(loss, t_loss.detach(), rtol=1e-10)
    F.multilabel_margin_loss(x, tinynn.tensor(targets)).backward()
    torch.nn.functional.multilabel_margin_loss(tx, torch.tensor(targets)).backward()
    assert_close(x.grad, tx.grad, rtol=1e-9)
    single = F.multilabel_margin_loss(tinynn.tensor(scores[0]), tinynn.tensor(targets[0]))
    assert_close(single, torch.nn.functional.multilabel_margin_loss(torch.tensor(scores[0]), torch.tensor(targets[0])))


def test_in_place_activations_write_into_the_input(torch, rng):
    values = rng.standard_normal((3, 4))
    for name, args in (("relu_", ()), ("elu_", (0.5,)), ("selu_", ()), ("celu_", (2.0,)), ("leaky_relu_", (0.2,)),
                       ("hardtanh_", (-0.5, 0.5)), ("threshold_", (0.1, -2.0))):
        x, tx = tinynn.tensor(values), torch.tensor(values)
        data = x._array
        assert getattr(F, name)(x, *args) is x and x._array is data
        getattr(torch.nn.functional, name)(tx, *args)
        assert_close(x, tx, rtol=1e-12, what=name)
    with pytest.raises(RuntimeError, match="relu_: a leaf tensor that requires grad \\(shape \\(2,\\)\\) cannot be changed"):
        F.relu_(tinynn.zeros(2, requires_grad=True))


def test_random_layers_follow_their_definitions(device):
    tinynn.manual_seed(0)
    x = tinynn.full((200, 50), -2.0, device=device)
    slopes = (nn.RReLU(0.1, 0.3)(x) / x).numpy()
    assert 0.1 <= slopes.min() and slopes.max() <= 0.3 and abs(slopes.mean() - 0.2) < 0.01
    assert nn.RReLU()(tinynn.ones(3, device=device)).tolist() == [1.0, 1.0, 1.0]  # positives untouched
    normal = tinynn.randn(400, 100, dtype=np.float64, device=device)
    dropped = nn.AlphaDropout(0.3)(normal)
    assert abs(float(dropped.mean())) < 0.02 and abs(float(dropped.std()) - 1) < 0.02  # self-normalising
    saturation = float(((1 - 0.3) * (1 + 0.3 * 1.7580993408473766 ** 2)) ** -0.5 * 1.7580993408473766 * (0.3 - 1))
    assert abs(np.isclose(dropped.numpy(), saturation, rtol=1e-12).mean() - 0.3) < 0.01
    channels = nn.FeatureAlphaDropout(0.5)(tinynn.randn(8, 16, 3, 3, device=device)).numpy()
    whole = [np.all(plane == plane.flat[0]) for plane in channels.reshape(128, 9)]
    assert 0.3 < np.mean(whole) < 0.7  # dropped channels are constant planes
    volumes = nn.Dropout3d(0.5)(tinynn.ones(4, 8, 2, 2, 2, device=device)).numpy()
    assert set(np.unique(volumes.reshape(32, 8).std(axis=1))) == {0.0}
    logits = tinynn.tensor(np.log([[0.7, 0.2, 0.1]] * 3000), device=device, requires_grad=True)
    hard = F.gumbel_softmax(logits, tau=0.5, hard=True)
    assert set(np.unique(hard.numpy())) == {0.0, 1.0} and (hard.numpy().sum(1) == 1).all()
    np.testing.assert_allclose(hard.numpy().mean(0), [0.7, 0.2, 0.1], atol=0.03)  # samples the distribution
    hard.sum().backward()  # the straight-through gradient is the soft sample's
    assert logits.grad is not None and np.abs(logits.grad.numpy()).max() < 1e-6
    soft = F.gumbel_softmax(logits, tau=1.0)
    np.testing.assert_allclose(soft.numpy().sum(1), 1.0, rtol=1e-6)


def test_module_lookups_and_conversions():
    model = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3))
    assert model.get_parameter("0.weight") is model[0].weight
    assert model.get_buffer("1.running_mean") is model[1].running_mean
    with pytest.raises(AttributeError, match="has no parameter 'kernel' \\(looking for '0.kernel'\\)"):
        model.get_parameter("0.kernel")
    model.register_module("2", nn.ReLU())
    assert isinstance(model[2], nn.ReLU)
    assert model.half()[0].weight.dtype == np.float16


def _cross_map_lrn2d_in_torch_ops(torch, x, size, alpha, beta, k):
    """PyTorch's CrossMapLRN2d forward written with differentiable torch ops (its running window never
    drops channel 0), so that torch's autograd gives the exact gradient of PyTorch's values."""
    channels, half = x.shape[1], int((size - 1) / 2 + 1) - 1
    squares = x * x
    padded = torch.nn.functional.pad(squares, (0, 0, 0, 0, half, half))
    window = sum(padded[:, offset:offset + channels] for offset in range(2 * half + 1))
    window = window + squares[:, :1] * (torch.arange(channels) > half).to(x.dtype).reshape(1, channels, 1, 1)
    return x / (window * (alpha / size) + k) ** beta


@pytest.mark.parametrize("size", [1, 2, 3, 4, 5])
@pytest.mark.parametrize("channels", [1, 3, 7])
def test_cross_map_lrn2d_computes_pytorchs_values_and_their_exact_gradient(torch, rng, device, size, channels):
    values = rng.standard_normal((2, channels, 3, 4))
    layer = nn.CrossMapLRN2d(size, alpha=0.3, beta=0.75, k=1.5)
    x = tinynn.tensor(values, requires_grad=True, device=device)
    y = layer(x)
    tx = torch.tensor(values, requires_grad=True)
    assert_close(y, torch.nn.CrossMapLRN2d(size, alpha=0.3, beta=0.75, k=1.5)(tx).detach(), rtol=1e-12, atol=1e-12)
    g = rng.standard_normal(y.shape)
    y.backward(tinynn.tensor(g, device=device))
    _cross_map_lrn2d_in_torch_ops(torch, tx, size, 0.3, 0.75, 1.5).backward(torch.tensor(g))
    assert_close(x.grad, tx.grad, rtol=1e-10, atol=1e-12)
    if device == "cpu":
        assert autograd.gradcheck(lambda t: layer(t), [tinynn.tensor(values, requires_grad=True)])


def test_cross_map_lrn2d_repr_errors_and_pytorchs_own_backward(torch, rng):
    assert repr(nn.CrossMapLRN2d(5, 1e-3)) == repr(torch.nn.CrossMapLRN2d(5, 1e-3))
    with pytest.raises(ValueError, match=r"CrossMapLRN2d: expected a 4-D input \(N, C, H, W\), got shape \(2, 3, 4\)"):
        nn.CrossMapLRN2d(3)(tinynn.zeros(2, 3, 4))
    # why the gradients above come from torch's autograd: PyTorch's hand-written backward is not its forward's
    x = torch.tensor(rng.standard_normal((1, 6, 2, 2)), requires_grad=True)
    assert not torch.autograd.gradcheck(torch.nn.CrossMapLRN2d(5, 0.3, 0.75, 1.5), (x,), raise_exception=False)
