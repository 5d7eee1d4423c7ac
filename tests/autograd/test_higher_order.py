"""Gradients of gradients: ``create_graph=True`` records the backward pass, so gradients can be
differentiated again. Every op that supports it is checked with ``gradgradcheck`` (second
derivatives against finite differences of the recorded first ones, float64) on every device,
and whole computations (Hessian-vector products, a gradient penalty, d/dx of a network inside
its loss) are compared with PyTorch's on identical weights."""
import numpy as np
import pytest

import tinynn
from tinynn import autograd, nn
from tinynn.autograd import GradcheckError, gradgradcheck
from tinynn.nn import functional as F
from helpers import assert_close, away_from, leaf
from seed_torch import torch_mnist_tiny
from tinynn.models import MnistTiny

# Each op as a function of one (2, 3, 4, 5) input, kept away from kinks; ops with a kink (relu,
# abs, max...) are multiplied by a smooth factor so that their second derivative is not zero.
CLASS_TARGETS = np.array([[0, 2, 1, 0, 2], [1, 1, 2, 0, 0]])
CLASS_PROBABILITIES = np.random.default_rng(7).dirichlet(np.ones(3), size=(2, 4, 5)).transpose(0, 3, 1, 2)
OPS = {
    "add sub neg": lambda x: (x + x[:1]) - (-x * 2),
    "mul div": lambda x: x * x[0] / (x * x + 1),
    "pow": lambda x: (x * x + 0.5) ** x.sin() + x ** 3,
    "matmul": lambda x: x @ x.mT + x.sum(axis=0) @ x[0, 0, 0].reshape(5, 1),
    "exp log log1p sqrt": lambda x: (x.exp().log1p() + (x * x + 1).sqrt()).log(),
    "tanh sigmoid sin cos erf": lambda x: x.tanh() * x.sigmoid() + x.sin() * x.cos() + x.erf(),
    "abs clip maximum where": lambda x: x.abs() * x + x.clip(-0.5, 0.5) * x + tinynn.maximum(x, x.sin()) * x
    + tinynn.where(x.data > 0, x * x, x.exp()),
    "sum mean max logsumexp norm cumsum": lambda x: (x.sum(1, keepdims=True) * x.mean((2, 3)).reshape(2, 3, 1, 1)
                                                     + x.amax(1).unsqueeze(1) * x[:, :1] + x.max(2).values.unsqueeze(2) * x + x.logsumexp(dim=3).unsqueeze(3)
                                                     + x.norm(dim=2, keepdim=True) * x + x.cumsum(2) * x),
    "var std": lambda x: x.var(1) * x.std(dim=(2, 3), keepdim=True)[:, 0],
    "reshape permute expand repeat flip": lambda x: (x.reshape(6, 20).T.reshape(4, 5, 6) ** 2
                                                     * x.permute(2, 3, 0, 1).reshape(4, 5, 6)).sum()
    + x[:, :1].expand(2, 3, 4, 5) * x.repeat(1, 2, 1, 1)[:, 1:4] * x.flip(3),
    "indexing gather pad cat stack": lambda x: x[:, [0, 2, 2]] * x[:, 1:, ::2].sum() + x.gather(1, tinynn.tensor(
        np.zeros((2, 1, 4, 5), dtype=np.int64), device=x.device)) ** 2 + tinynn.pad(x * x, ((0, 0), (0, 0), (1, 0), (0, 0)))[:, :, :4]
    + tinynn.stack([x, x * x], 1)[:, 1] * tinynn.concatenate([x, x.sin()], 3)[..., 5:],
    "relu leaky_relu hardtanh threshold shrink": lambda x: x * (F.relu(x) + F.leaky_relu(x, 0.1) + F.hardtanh(x, -0.5, 0.5)
                                                             + F.threshold(x, 0.2, -1.0) + F.softshrink(x, 0.3)),
    "elu selu celu silu softplus softsign mish logsigmoid": lambda x: F.elu(x) + F.selu(x) + F.celu(x, 0.5) + F.silu(x)
    + F.softplus(x, 2.0) + F.softsign(x) + F.mish(x) + F.logsigmoid(x),
    "softmax log_softmax": lambda x: F.softmax(x, 1) * F.log_softmax(x * x, 3),
    "gelu hardswish": lambda x: F.gelu(x) * x + F.gelu(x, approximate="tanh") ** 2 + F.hardswish(x * 3) ** 2,
    "batch_norm layer_norm group_norm instance_norm": lambda x: F.batch_norm(x * x, None, None, x[0, :, 0, 0], x[1, :, 1, 1],
                                                                            training=True) * x
    + F.batch_norm(x, tinynn.tensor([0.1, -0.2, 0.3], device=x.device, dtype=np.float64),
                   tinynn.tensor([1.5, 0.5, 2.0], device=x.device, dtype=np.float64), x[0, :, 2, 2]) ** 2
    + F.layer_norm(x * x, (4, 5), x[0, 0], x[1, 1]) * x + F.group_norm(x.sin(), 3) * x + F.instance_norm(x * x) * x,
    "conv_transpose2d prelu embedding": lambda x: F.conv_transpose2d(x, x[:, :, :2, :2].permute(1, 0, 2, 3), x[0, 0, 0, :2],
                                                                      stride=2, padding=1, output_padding=1).tanh().sum()
    + F.prelu(x, x[0, :, 0, 0]) * x + F.prelu(x * x - 1, x[1, 0, 0, :1]) * x
    + (F.embedding(tinynn.tensor([[0, 3], [3, 5]], device=x.device), x.reshape(-1, 5)[:6], padding_idx=5) ** 2).sum(),
    "bilinear cdist pdist": lambda x: F.bilinear(x[0, 0], x[1, 1], (x[0, 2].T @ x[1, 2]).unsqueeze(0) * 0.3, x[0, 1, 0, :1])
    .tanh().sum() * x + tinynn.cdist(x[0, 0], x[1, 2]).sum() + tinynn.cdist(x[0, 1], x[1, 0] * 2, p=1.5).sum()
    + tinynn.cdist(x[0, 2], x[1, 1], p=float("inf")).sum() + F.pdist(x[1, 0] * x[1, 0]).sum(),
    "linear": lambda x: F.linear(x, x[0, 0, :3] * x[1, 1, :3, :1], x[0, 0, 0, :3]),
    "conv2d conv1d": lambda x: F.conv2d(x, x[:, :, :2, :3] * x[0, 0, 0, 0], x[0, 0, 0, :2], stride=(2, 1), padding=1)
    .tanh().sum() + F.conv1d(x.reshape(2, 3, 20), x[:, :, 0, :2] * 0.5, groups=1, dilation=2) ** 2,
    "max_pool avg_pool adaptive_pool": lambda x: F.max_pool2d(x, 2, stride=1, padding=1)[:, :, :4, :5] ** 2
    + F.avg_pool2d(x * x, 3, stride=1, padding=1, count_include_pad=False) * x.sum()
    + F.adaptive_avg_pool2d(x, (3, 2)).sum() * F.adaptive_max_pool2d(x, (2, 3)).tanh().sum()
    + (F.max_pool1d(x[:, :, 0], 2) ** 3).sum() + (F.avg_pool1d(x[:, :, 1], 2) ** 3).sum(),
    "interpolate pad unfold fold pixel_shuffle": lambda x: F.interpolate(x, scale_factor=2, mode="bilinear").tanh().sum()
    + F.interpolate(x * x, size=(3, 7), mode="bicubic", align_corners=True).sum() * x
    + (F.pad(x, (1, 2, 1, 0), mode="reflect") ** 2).sum() + F.pad(x, (1, 1, 0, 0), mode="circular").sin().sum()
    + F.fold(F.unfold(x * x, 2, padding=1), (4, 5), 2, padding=1) * x + F.pixel_shuffle(x[:, :1].repeat(1, 4, 1, 1), 2).exp().sum(),
    "mse_loss l1_loss huber kl_div bce": lambda x: F.mse_loss(x, x.sin()) + F.l1_loss(x * x, x.detach())
    + F.huber_loss(x, x.cos(), delta=0.5) + F.kl_div(F.log_softmax(x, 1), F.softmax(x * x, 1), reduction="batchmean")
    + F.binary_cross_entropy(x.sigmoid(), x.cos().sigmoid()) + F.binary_cross_entropy_with_logits(x, x.sin().sigmoid()),
    "cross_entropy with probabilities": lambda x: F.cross_entropy(x * x, tinynn.tensor(
        CLASS_PROBABILITIES, device=x.device), label_smoothing=0.1),
    "cross_entropy nll_loss": lambda x: F.cross_entropy(x * x, tinynn.tensor(CLASS_TARGETS[:, :4, None].repeat(5, 2),
                                                                             device=x.device), label_smoothing=0.1)
    + F.nll_loss(F.log_softmax(x.sin(), 1), tinynn.tensor(CLASS_TARGETS[:, :4, None].repeat(5, 2), device=x.device),
                 reduction="sum"),
}


@pytest.mark.parametrize("name", list(OPS))
def test_second_derivatives_of_every_supported_op(name, device, rng):
    kinks = [0.0, 0.5, -0.5, 0.2, 0.3, -0.3]  # of relu, clip, hardtanh, threshold, shrink, huber...
    values = away_from(rng.uniform(-1.5, 1.5, (2, 3, 4, 5)), kinks) + rng.uniform(0, 0.01, (2, 3, 4, 5))  # no ties
    x = leaf(values, device=device)
    assert gradgradcheck(OPS[name], [x], fast_mode=True)


@pytest.mark.parametrize("options", [{}, {"stride": 2, "padding": 1}, {"groups": 2, "dilation": (2, 1), "padding": (1, 2)}],
                         ids=["plain", "stride-padding", "groups-dilation"])
def test_conv2d_second_derivatives_in_every_operand(options, device, rng):
    x, bias = leaf(rng.standard_normal((2, 4, 6, 5)), device=device), leaf(rng.standard_normal(6), device=device)
    weight = leaf(rng.standard_normal((6, 4 // options.get("groups", 1), 3, 2)), device=device)
    assert gradgradcheck(lambda x, w, b: F.conv2d(x, w, b, **options).tanh(), [x, weight, bias])


def test_cross_entropy_second_derivatives_with_every_option(device, rng):
    logits = leaf(rng.standard_normal((6, 4)), device=device)
    targets = tinynn.tensor([0, 3, 1, 1, 2, -100], device=device)
    weight = tinynn.tensor(rng.uniform(0.5, 2, 4), device=device, dtype=np.float64)
    for options in ({}, {"reduction": "sum"}, {"reduction": "none", "label_smoothing": 0.2},
                    {"weight": weight, "label_smoothing": 0.1}):
        assert gradgradcheck(lambda z: F.cross_entropy(z * z, targets, **options), [logits])


def test_third_derivatives(device):
    """d/dx of x^4 sin x three times, each a recorded grad of the one before."""
    x = leaf([0.3, -1.1, 2.0], device=device)
    first, = autograd.grad((x ** 4 * x.sin()).sum(), x, create_graph=True)
    second, = autograd.grad(first.sum(), x, create_graph=True)
    third, = autograd.grad(second.sum(), x)
    v = x.numpy()
    expected = (24 * v - 12 * v ** 3) * np.sin(v) + (36 * v ** 2 - v ** 4) * np.cos(v)
    np.testing.assert_allclose(third.numpy(), expected, rtol=1e-12)


def test_third_derivatives_of_a_convolution_network(rng):
    """gradgradcheck of a recorded gradient: third derivatives through conv2d, tanh, linear."""
    x = leaf(rng.standard_normal((2, 2, 5, 5)))
    weight, head = leaf(rng.standard_normal((3, 2, 3, 3)) * 0.5), leaf(rng.standard_normal((1, 27)) * 0.3)

    def input_gradient(x, weight):
        out = F.linear(F.conv2d(x, weight, stride=1).tanh().reshape(2, 27), head)
        return autograd.grad(out.sum(), x, create_graph=True)[0]

    assert gradgradcheck(input_gradient, [x, weight], fast_mode=True)


def mlp_pair(torch, rng):
    ours = nn.Sequential(nn.Linear(6, 8), nn.Tanh(), nn.Linear(8, 8), nn.Softplus(), nn.Linear(8, 3)).double()
    theirs = torch.nn.Sequential(torch.nn.Linear(6, 8), torch.nn.Tanh(), torch.nn.Linear(8, 8), torch.nn.Softplus(),
                                 torch.nn.Linear(8, 3)).double()
    theirs.load_state_dict({k: torch.tensor(v.numpy()) for k, v in ours.state_dict().items()})
    return ours, theirs


def test_hessian_vector_product_matches_torch(torch, rng):
    ours, theirs = mlp_pair(torch, rng)
    x, target = rng.standard_normal((5, 6)), rng.integers(0, 3, 5)
    vectors = [rng.standard_normal(p.shape) for p in ours.parameters()]

    loss = F.cross_entropy(ours(tinynn.tensor(x, dtype=np.float64)), tinynn.tensor(target))
    grads = autograd.grad(loss, list(ours.parameters()), create_graph=True)
    products = autograd.grad(sum((g * tinynn.tensor(v)).sum() for g, v in zip(grads, vectors)), list(ours.parameters()))

    t_loss = torch.nn.functional.cross_entropy(theirs(torch.tensor(x)), torch.tensor(target))
    t_grads = torch.autograd.grad(t_loss, list(theirs.parameters()), create_graph=True)
    t_products = torch.autograd.grad(sum((g * torch.tensor(v)).sum() for g, v in zip(t_grads, vectors)),
                                     list(theirs.parameters()))
    for ours_product, theirs_product in zip(products, t_products):
        assert_close(ours_product, theirs_product, rtol=1e-10, atol=1e-12, what="Hessian-vector product")


def test_gradient_penalty_of_a_convnet_matches_torch(torch, rng, device):
    """WGAN-GP's penalty, mean((|d critic / d x| - 1)^2), back-propagated into the critic's weights."""
    ours = nn.Sequential(nn.Conv2d(1, 4, 3, stride=2, padding=1), nn.LeakyReLU(0.2), nn.Conv2d(4, 4, 3), nn.SiLU(),
                         nn.Flatten(), nn.Linear(16, 1)).double()
    theirs = torch.nn.Sequential(torch.nn.Conv2d(1, 4, 3, stride=2, padding=1), torch.nn.LeakyReLU(0.2),
                                 torch.nn.Conv2d(4, 4, 3), torch.nn.SiLU(), torch.nn.Flatten(), torch.nn.Linear(16, 1)).double()
    theirs.load_state_dict({k: torch.tensor(v.numpy()) for k, v in ours.state_dict().items()})
    ours.to(device)
    images = rng.standard_normal((3, 1, 8, 8))

    x = tinynn.tensor(images, device=device, requires_grad=True)
    grad_x, = autograd.grad(ours(x).sum(), x, create_graph=True)
    penalty = ((grad_x.reshape(3, -1).norm(dim=1) - 1) ** 2).mean()
    penalty.backward()

    t_x = torch.tensor(images, requires_grad=True)
    t_grad_x, = torch.autograd.grad(theirs(t_x).sum(), t_x, create_graph=True)
    t_penalty = ((t_grad_x.reshape(3, -1).norm(dim=1) - 1) ** 2).mean()
    t_penalty.backward()

    assert_close(penalty, t_penalty.detach(), rtol=1e-10, what="penalty")
    for (name, p), t_p in zip(ours.named_parameters(), theirs.parameters()):
        if name == "5.bias":  # d critic / dx does not depend on the last bias: no gradient in either
            assert p.grad is None and t_p.grad is None
            continue
        assert_close(p.grad, t_p.grad, rtol=1e-9, atol=1e-12, what=f"{name} grad")


def test_gradient_penalty_of_the_seed_network_matches_torch(torch, rng, device):
    """The flagship network (batch norm in training mode, max pooling, global average pooling):
    d/dx of its log-sum-exp output, penalised, back-propagated into all 17,216 parameters."""
    ours = MnistTiny(dropout=0.0).double()
    theirs = torch_mnist_tiny(torch, dropout=0.0).double()
    theirs.load_state_dict({k: torch.tensor(v.numpy()) for k, v in ours.state_dict().items()})
    ours.to(device)
    images = rng.standard_normal((4, 1, 28, 28))

    x = tinynn.tensor(images, device=device, requires_grad=True)
    grad_x, = autograd.grad(ours(x).logsumexp(dim=1).sum(), x, create_graph=True)
    penalty = ((grad_x.reshape(4, -1).norm(dim=1) - 1) ** 2).mean()
    penalty.backward()
    t_x = torch.tensor(images, requires_grad=True)
    t_grad_x, = torch.autograd.grad(theirs(t_x).logsumexp(dim=1).sum(), t_x, create_graph=True)
    t_penalty = ((t_grad_x.reshape(4, -1).norm(dim=1) - 1) ** 2).mean()
    t_penalty.backward()

    assert_close(penalty, t_penalty.detach(), rtol=1e-10, what="penalty")
    for (name, p), t_p in zip(ours.named_parameters(), theirs.parameters()):
        assert_close(p.grad, t_p.grad, rtol=1e-8, atol=1e-10 * float(t_p.grad.abs().max()), what=f"{name} grad")


def test_backward_with_create_graph_leaves_differentiable_grads(device):
    x = leaf([1.0, 2.0], device=device)
    (x ** 3).sum().backward(create_graph=True)
    assert x.grad.grad_fn is not None and x.grad.requires_grad
    np.testing.assert_allclose(x.grad.numpy(), [3.0, 12.0])
    (x * x).sum().backward(create_graph=True)  # accumulates, recorded too: 3x^2 + 2x
    second, = autograd.grad(x.grad.sum(), x)  # 6x + 2
    np.testing.assert_allclose(second.numpy(), [8.0, 14.0])
    x.grad = None
    (x ** 3).sum().backward()  # without create_graph: plain values, no graph
    assert x.grad.grad_fn is None and not x.grad.requires_grad


def test_create_graph_keeps_the_graph_and_runs_hooks_on_tensors():
    x = leaf([0.5, -1.0])
    y = (x.tanh() * 2).sum()
    seen = []
    x.register_hook(lambda g: seen.append(g.requires_grad))
    first, = autograd.grad(y, x, create_graph=True)
    again, = autograd.grad(y, x)  # the graph was kept (retain_graph defaults to create_graph)
    assert seen == [True, False]
    assert_close(first.detach(), again)
    grad_output = leaf([1.0, 3.0])
    weighted, = autograd.grad(x.exp(), x, grad_outputs=grad_output, create_graph=True)
    d_grad_output, = autograd.grad(weighted.sum(), grad_output)  # d(v * e^x)/dv = e^x
    assert_close(d_grad_output, np.exp([0.5, -1.0]), rtol=1e-12)


class Doubled(autograd.Function):
    """A user's op whose backward (on arrays) is not recordable: no graph_saved, no backward_graph."""

    def forward(self, x):
        return x * 2

    def backward(self, gy):
        return (gy * 2,)


def test_an_op_without_a_recordable_backward_says_so(rng):
    x = leaf(rng.standard_normal((2, 3)))
    out = (Doubled()(x) ** 2).sum()
    with pytest.raises(NotImplementedError, match="create_graph: the backward of Doubled is not differentiable"):
        autograd.grad(out, x, create_graph=True)
    assert autograd.grad(out, x)[0].shape == x.shape  # the first derivative is there as always


@pytest.mark.parametrize("mode", ["bilinear", "nearest"])
@pytest.mark.parametrize("padding_mode", ["zeros", "border", "reflection"])
@pytest.mark.parametrize("align_corners", [False, True])
def test_grid_sample_has_second_derivatives(mode, padding_mode, align_corners, rng):
    """(PyTorch has none for grid_sample: finite differences are the reference.)"""
    image, grid = rng.standard_normal((2, 2, 4, 5)), rng.uniform(-1.3, 1.3, (2, 3, 3, 2))
    assert gradgradcheck(lambda i, g: F.grid_sample(i, g, mode, padding_mode, align_corners) ** 2,
                         [leaf(image), leaf(grid)])


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("zero_infinity", [False, True])
def test_ctc_loss_has_second_derivatives(reduction, zero_infinity, rng):
    """(PyTorch has none for CTC: finite differences are the reference.)"""
    targets = tinynn.tensor([[1, 2, 2], [3, 1, 0]])
    assert gradgradcheck(lambda lp: F.ctc_loss(F.log_softmax(lp, 2), targets, [6, 5], [3, 2], reduction=reduction,
                                               zero_infinity=zero_infinity), [leaf(rng.standard_normal((6, 2, 4)))])


def test_second_derivatives_of_products_with_zeros_match_torch(torch, rng):
    values = rng.standard_normal((3, 4))
    values[1, 2] = 0.0  # one zero: the gradient needs the product of the others, no division
    values[2, 0] = values[2, 3] = 0.0  # two: the first derivatives vanish, the second do not
    x, tx = leaf(values), torch.tensor(values, requires_grad=True)
    first, = autograd.grad(x.prod(1).sum() + x.prod(), x, create_graph=True)
    t_first, = torch.autograd.grad(tx.prod(1).sum() + tx.prod(), tx, create_graph=True)
    weights = rng.standard_normal(values.shape)
    second, = autograd.grad((first * tinynn.tensor(weights)).sum(), x)
    t_second, = torch.autograd.grad((t_first * torch.tensor(weights)).sum(), tx)
    assert_close(first, t_first.detach(), rtol=1e-12, atol=1e-14, what="first derivative")
    assert_close(second, t_second, rtol=1e-12, atol=1e-14, what="second derivative")


def test_gradgradcheck_catches_a_wrong_second_derivative():
    class SquareWithWrongHessian(autograd.Function):
        """y = x^2; the recorded backward claims dL/dx = 2 dL/dy * x^1.5 (right at x = 1 only), and
        differentiates that claim correctly: only its comparison with the plain backward can tell."""

        graph_saved = {"x": 0}

        def forward(self, x):
            self.x = x
            return x * x

        def backward(self, gy):
            return (gy * 2 * self.x,)

        def backward_graph(self, gy, output):
            return (gy * 2 * self.inputs[0] ** 1.5,)

    x = leaf([1.3, 0.7])
    with pytest.raises(GradcheckError, match="the recorded gradient of input 0 differs from the plain one"):
        gradgradcheck(lambda x: SquareWithWrongHessian()(x), [x])


def test_first_order_gradients_are_unchanged_by_the_recorded_path(rng):
    """The same backward formula serves both ways: recorded and plain gradients agree exactly."""
    x = leaf(rng.standard_normal((3, 4)))
    y = lambda t: (F.softplus(t @ t.T) * t.sum(1)).logsumexp(dim=0).sum()  # noqa: E731
    plain, = autograd.grad(y(x), x)
    recorded, = autograd.grad(y(x), x, create_graph=True)
    np.testing.assert_array_equal(plain.numpy(), recorded.numpy())


@pytest.mark.parametrize("kind, options", [("LSTM", {}), ("GRU", {"batch_first": True}), ("RNN", {"nonlinearity": "relu"}),
                                           ("LSTM", {"proj_size": 2, "bidirectional": True, "num_layers": 2})],
                         ids=["lstm", "gru", "rnn-relu", "lstm-proj-bidirectional-stacked"])
def test_recurrent_layers_second_derivatives_match_torch(kind, options, torch, rng, device):
    """The recurrence is replayed as recorded ops: d/dx of |d out/dx|^2 and of the weights, as PyTorch's."""
    ours = getattr(nn, kind)(3, 4, **options).double()
    theirs = getattr(torch.nn, kind)(3, 4, **options).double()
    theirs.load_state_dict({k: torch.tensor(v.numpy()) for k, v in ours.state_dict().items()})
    ours.to(device)
    values = rng.standard_normal((5, 2, 3))
    x, tx = tinynn.tensor(values, device=device, requires_grad=True), torch.tensor(values, requires_grad=True)
    first, = autograd.grad(ours(x)[0].tanh().sum(), x, create_graph=True)
    t_first, = torch.autograd.grad(theirs(tx)[0].tanh().sum(), tx, create_graph=True)
    (first ** 2).sum().backward()
    (t_first ** 2).sum().backward()
    assert_close(x.grad, tx.grad, rtol=1e-9, atol=1e-12, what="second derivative in x")
    for (name, p), t_p in zip(ours.named_parameters(), theirs.parameters()):
        assert_close(p.grad, t_p.grad, rtol=1e-9, atol=1e-12, what=f"{name}")


def test_packed_sequences_second_derivatives(rng):
    gru = nn.GRU(2, 3).double()
    x = leaf(rng.standard_normal((4, 3, 2)))

    def input_gradient(x):
        packed = nn.utils.rnn.pack_padded_sequence(x, [4, 2, 3], enforce_sorted=False)
        output, _ = nn.utils.rnn.pad_packed_sequence(gru(packed)[0])
        return output.tanh()

    assert gradgradcheck(input_gradient, [x], fast_mode=True)


def test_dtype_and_device_moves_are_recorded(device):
    """Finite differences cannot see through a float32 round trip, so these are checked exactly:
    d^2/dx^2 of (float32(x))^3 summed is 6x, and a move to the CPU and back changes nothing."""
    x = leaf([0.5, -2.0, 3.0], device=device)
    first, = autograd.grad((x.float() ** 3).sum(), x, create_graph=True)
    assert first.dtype == np.float64 and first.requires_grad
    second, = autograd.grad(first.sum(), x)
    np.testing.assert_allclose(second.numpy(), 6 * x.numpy(), rtol=1e-6)
    first, = autograd.grad((x.to("cpu").to(device) ** 3).sum(), x, create_graph=True)
    second, = autograd.grad(first.sum(), x)
    assert second.device == x.device
    np.testing.assert_allclose(second.numpy(), 6 * x.numpy(), rtol=1e-12)


def test_grad_walks_only_the_branches_that_lead_to_its_inputs(rng):
    """autograd.grad runs the backward of the ops between its outputs and inputs only: a branch
    that leads elsewhere (here through an op whose backward cannot be recorded) is not visited,
    and neither is what made the inputs themselves."""
    x, points = leaf(rng.standard_normal(3)), leaf(rng.standard_normal((4, 2)))
    sampled = Doubled()(points)
    out = (x ** 3).sum() + sampled.sum()
    first, = autograd.grad(out, x, create_graph=True)
    second, = autograd.grad(first.sum(), x)
    assert_close(second, 6 * x.numpy(), rtol=1e-12)
    assert points.grad is None  # nothing accumulated anywhere by grad()
    made = sampled.sum() * x  # the gradient with respect to ``made`` needs nothing of Doubled's backward
    first, = autograd.grad((made ** 2).sum(), made, create_graph=True)
    assert_close(first, 2 * made.detach().numpy(), rtol=1e-12)
