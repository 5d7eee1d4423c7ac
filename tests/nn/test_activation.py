"""Activations, softmax and log_softmax: gradchecks away from kinks, stability, PyTorch parity."""
import numpy as np
import pytest
from hypothesis import given, strategies as st

import tinynn
from tinynn.autograd import gradcheck
from tinynn.nn import functional as F
from helpers import assert_close, away_from, leaf, to_torch
from strategies import shapes

ACTIVATIONS = {
    "relu": (F.relu, lambda torch, t: torch.relu(t)),
    "leaky_relu": (lambda t: F.leaky_relu(t, 0.1), lambda torch, t: torch.nn.functional.leaky_relu(t, 0.1)),
    "sigmoid": (F.sigmoid, lambda torch, t: torch.sigmoid(t)),
    "tanh": (F.tanh, lambda torch, t: torch.tanh(t)),
    "silu": (F.silu, lambda torch, t: torch.nn.functional.silu(t)),
    # x 3 reaches both ways erf is evaluated (|x / sqrt 2| above and below 2)
    "gelu": (lambda t: F.gelu(t * 3), lambda torch, t: torch.nn.functional.gelu(t * 3)),
    "gelu_tanh": (lambda t: F.gelu(t * 3, approximate="tanh"),
                  lambda torch, t: torch.nn.functional.gelu(t * 3, approximate="tanh")),
    # scaled so both sides of every kink are reached (hypothesis' seeds never land within eps of one)
    "hardtanh": (lambda t: F.hardtanh(t * 2, -1.5, 1.0), lambda torch, t: torch.nn.functional.hardtanh(t * 2, -1.5, 1.0)),
    "relu6": (lambda t: F.relu6(t * 5 + 3), lambda torch, t: torch.nn.functional.relu6(t * 5 + 3)),
    "hardsigmoid": (lambda t: F.hardsigmoid(t * 4), lambda torch, t: torch.nn.functional.hardsigmoid(t * 4)),
    "hardswish": (lambda t: F.hardswish(t * 4), lambda torch, t: torch.nn.functional.hardswish(t * 4)),
    "mish": (lambda t: F.mish(t * 3), lambda torch, t: torch.nn.functional.mish(t * 3)),
    "logsigmoid": (lambda t: F.logsigmoid(t * 5), lambda torch, t: torch.nn.functional.logsigmoid(t * 5)),
    "softsign": (lambda t: F.softsign(t * 3), lambda torch, t: torch.nn.functional.softsign(t * 3)),
    "elu": (lambda t: F.elu(t, 0.7), lambda torch, t: torch.nn.functional.elu(t, 0.7)),
    "softplus": (lambda t: F.softplus(t * 8, beta=2.0, threshold=6.0),  # both sides of the threshold
                 lambda torch, t: torch.nn.functional.softplus(t * 8, beta=2.0, threshold=6.0)),
    "selu": (lambda t: F.selu(t * 2), lambda torch, t: torch.nn.functional.selu(t * 2)),
    "celu": (lambda t: F.celu(t * 2, 0.6), lambda torch, t: torch.nn.functional.celu(t * 2, 0.6)),
    "glu": (lambda t: F.glu(tinynn.cat([t, t * 2 - 0.3], 1), 1),
            lambda torch, t: torch.nn.functional.glu(torch.cat([t, t * 2 - 0.3], 1), 1)),
    "tanhshrink": (lambda t: F.tanhshrink(t * 2), lambda torch, t: torch.nn.functional.tanhshrink(t * 2)),
    "threshold": (lambda t: F.threshold(t * 2, 0.4, -3.0), lambda torch, t: torch.nn.functional.threshold(t * 2, 0.4, -3.0)),
    "hardshrink": (lambda t: F.hardshrink(t * 2, 0.7), lambda torch, t: torch.nn.functional.hardshrink(t * 2, 0.7)),
    "softshrink": (lambda t: F.softshrink(t * 2, 0.7), lambda torch, t: torch.nn.functional.softshrink(t * 2, 0.7)),
    "softmin": (lambda t: F.softmin(t, dim=1), lambda torch, t: torch.nn.functional.softmin(t, dim=1)),
    "softmax": (lambda t: F.softmax(t, dim=-1), lambda torch, t: torch.softmax(t, dim=-1)),
    "log_softmax": (lambda t: F.log_softmax(t, dim=1), lambda torch, t: torch.log_softmax(t, dim=1)),
}


# The kinks of threshold (0.2), hardshrink and softshrink (+-0.35), in the unscaled input.
KINKS = [0.0, 0.2, 0.35, -0.35]


@pytest.mark.parametrize("name", ACTIVATIONS)
@given(shape=shapes(min_dims=2, max_dims=3), seed=st.integers(0, 2 ** 16))
def test_activation_gradcheck(name, shape, seed, device):
    x = leaf(away_from(np.random.default_rng(seed).standard_normal(shape), KINKS), device=device)
    assert gradcheck(ACTIVATIONS[name][0], [x])


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_activation_matches_torch(name, torch, rng, device):
    ours, theirs = ACTIVATIONS[name]
    x = leaf(away_from(rng.standard_normal((4, 5)), KINKS), dtype=np.float32, device=device)
    tx = to_torch(torch, x, True)
    y, ty = ours(x), theirs(torch, tx)
    assert_close(y, ty)
    grad = rng.standard_normal(y.shape).astype(np.float32)
    y.backward(tinynn.tensor(grad, device=device))
    ty.backward(torch.tensor(grad))
    assert_close(x.grad, tx.grad)


def test_softmax_and_log_softmax_are_stable_for_large_logits(device):
    x = tinynn.tensor([[1000.0, 0.0, -1000.0], [1e4, 1e4, 1e4]], device=device)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        np.testing.assert_allclose(F.softmax(x).numpy(), [[1, 0, 0], [1 / 3, 1 / 3, 1 / 3]], atol=1e-7)
        log_p = F.log_softmax(x).numpy()
    assert np.isfinite(log_p[:, :2]).all() and log_p[0, 0] == 0


@pytest.mark.parametrize("slope", [0.01, 1.0, 0.0, -0.5, 2.0], ids=["0.01", "1", "0", "negative", "above 1"])
def test_leaky_relu_equals_pytorchs_on_edge_values(torch, rng, slope):
    """Slopes in (0, 1] take maxima instead of selections: the same values at 0, -0, infinities
    and NaN, in the output and the gradient (slope 0 stays a selection: inf * 0 is NaN)."""
    values = np.concatenate([rng.standard_normal(200), [0.0, -0.0, np.inf, -np.inf, np.nan]]).astype(np.float32)
    x, tx = tinynn.tensor(values, requires_grad=True), torch.tensor(values, requires_grad=True)
    y, ty = F.leaky_relu(x, slope), torch.nn.functional.leaky_relu(tx, slope)
    np.testing.assert_array_equal(y.numpy(), ty.detach().numpy())
    assert np.array_equal(np.signbit(y.numpy()), np.signbit(ty.detach().numpy()))
    grad = rng.standard_normal(values.shape).astype(np.float32)
    y.backward(tinynn.tensor(grad))
    ty.backward(torch.tensor(grad))
    np.testing.assert_array_equal(x.grad.numpy(), tx.grad.numpy())


@pytest.mark.parametrize("alpha", [1.0, 0.3, 1.7, -0.5], ids=["1", "0.3", "above 1", "negative"])
def test_elu_equals_its_definition_bit_for_bit_and_pytorch(torch, rng, alpha):
    """0 < alpha <= 1 takes maxima instead of selections: the values of the definition, signs of
    zeros included (a tiny negative input underflows to -0), in the output and the gradient."""
    values = np.concatenate([rng.standard_normal(300) * 3,
                             [0.0, -0.0, np.inf, -np.inf, np.nan, 1e-45, -1e-45, -800.0]]).astype(np.float32)
    x = tinynn.tensor(values, requires_grad=True)
    y = F.elu(x, alpha)
    below = np.float32(alpha) * np.expm1(np.minimum(values, 0))
    expected = np.where(values > 0, values, below)
    np.testing.assert_array_equal(y.numpy(), expected)
    assert np.array_equal(np.signbit(y.numpy()), np.signbit(expected))
    grad = rng.standard_normal(values.shape).astype(np.float32)
    y.backward(tinynn.tensor(grad))
    # dL/dx = dL/dy alpha e^x below 0, from x, as PyTorch's: from the output, y + alpha would cancel
    slope_below = np.exp(np.minimum(values, 0)) * np.float32(alpha)
    np.testing.assert_array_equal(x.grad.numpy(), np.where(values > 0, grad, grad * slope_below))
    finite = np.isfinite(values)
    tx = torch.tensor(values[finite], requires_grad=True)
    ty = torch.nn.functional.elu(tx, alpha)
    ty.backward(torch.tensor(grad[finite]))
    np.testing.assert_allclose(y.numpy()[finite], ty.detach().numpy(), rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(x.grad.numpy()[finite], tx.grad.numpy(), rtol=1e-6, atol=0)


@pytest.mark.parametrize("name", ["elu", "selu", "celu", "logsigmoid"])
def test_saturated_activations_keep_the_relative_accuracy_of_their_small_slopes(name, torch):
    """Far into the flat side the slope is tiny (alpha e^x, sigmoid(-x)); taken from the output
    (y + alpha, 1 - sigmoid(x)) it cancels: off by 4e-4 at 10 in float32, 0 from 17 on. PyTorch's
    is accurate there too; float64 values are the reference."""
    values = np.array([-10.0, -16.0, -30.0, -60.0, -85.0, 3.0, -1.0], dtype=np.float32)
    if name == "logsigmoid":
        values = -values  # its flat side is x > 0
    x = tinynn.tensor(values, requires_grad=True)
    getattr(F, name)(x).sum().backward()
    x64 = torch.tensor(values.astype(np.float64), requires_grad=True)
    getattr(torch.nn.functional, name)(x64).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), x64.grad.numpy(), rtol=2e-6, atol=0)


def test_relu_gradient_at_zero_is_zero():
    x = tinynn.tensor([-1.0, 0.0, 2.0], requires_grad=True)
    F.relu(x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0, 0, 1])


def test_activation_modules_match_torch_and_are_stable(torch):
    x = np.array([[-800.0, -3.0, -0.5, 0.5, 3.0, 800.0]], dtype=np.float32)
    for ours, theirs in ((tinynn.nn.Sigmoid(), torch.nn.Sigmoid()), (tinynn.nn.Tanh(), torch.nn.Tanh()),
                         (tinynn.nn.SiLU(), torch.nn.SiLU()), (tinynn.nn.ELU(0.5), torch.nn.ELU(0.5)),
                         (tinynn.nn.Softplus(), torch.nn.Softplus()), (tinynn.nn.GELU(), torch.nn.GELU()),
                         (tinynn.nn.GELU("tanh"), torch.nn.GELU("tanh")), (tinynn.nn.Mish(), torch.nn.Mish()),
                         (tinynn.nn.LogSigmoid(), torch.nn.LogSigmoid()), (tinynn.nn.Softsign(), torch.nn.Softsign()),
                         (tinynn.nn.Hardswish(), torch.nn.Hardswish()), (tinynn.nn.Hardsigmoid(), torch.nn.Hardsigmoid()),
                         (tinynn.nn.ReLU6(), torch.nn.ReLU6()), (tinynn.nn.Hardtanh(-2, 2), torch.nn.Hardtanh(-2, 2))):
        with np.errstate(over="raise", invalid="raise"):
            y = ours(tinynn.tensor(x))
        assert_close(y, theirs(torch.tensor(x)), rtol=1e-6, atol=1e-6, what=repr(ours))
    assert repr(tinynn.nn.Softplus(2, 10)) == "Softplus(beta=2, threshold=10)" and repr(tinynn.nn.ELU()) == "ELU(alpha=1.0)"
    assert repr(tinynn.nn.GELU("tanh")) == repr(torch.nn.GELU("tanh")) == "GELU(approximate='tanh')"
    with pytest.raises(ValueError, match="GELU: approximate must be 'none' or 'tanh', got 'fast'"):
        tinynn.nn.GELU("fast")


@pytest.mark.parametrize("shape, channels", [((4, 3, 5, 5), 3), ((4, 3, 5, 5), 1), ((6, 4), 4), ((7,), 1)])
def test_prelu_gradcheck_and_matches_torch(torch, rng, device, shape, channels):
    x = leaf(away_from(rng.standard_normal(shape), [0.0]), device=device)
    weight = leaf(rng.uniform(0.1, 0.5, channels), device=device)
    assert gradcheck(F.prelu, [x, weight])
    ours, theirs = tinynn.nn.PReLU(channels, init=0.2), torch.nn.PReLU(channels, init=0.2)
    assert repr(ours) == repr(theirs) and list(ours.state_dict()) == list(theirs.state_dict())
    ours.to(device)
    x32 = leaf(rng.standard_normal(shape), dtype=np.float32, device=device)
    tx = to_torch(torch, x32, True)
    y, ty = ours(x32), theirs(tx)
    assert_close(y, ty)
    y.sum().backward()
    ty.sum().backward()
    assert_close(x32.grad, tx.grad)
    assert_close(ours.weight.grad, theirs.weight.grad, rtol=1e-5, atol=1e-5)


def test_prelu_and_hardtanh_check_their_arguments():
    with pytest.raises(ValueError, match=r"prelu: expected a weight of shape \(1,\) or \(3,\) .* got \(2,\)"):
        F.prelu(tinynn.zeros(2, 3, 4), tinynn.zeros(2))
    with pytest.raises(ValueError, match=r"expected a weight of shape \(1,\) \(one channel in this input\), got \(7,\)"):
        F.prelu(tinynn.zeros(7), tinynn.zeros(7))
    with pytest.raises(ValueError, match="num_parameters must be a positive int"):
        tinynn.nn.PReLU(0)
    with pytest.raises(ValueError, match=r"hardtanh: min_val \(2\) must not exceed max_val \(1\)"):
        F.hardtanh(tinynn.zeros(2), 2, 1)


def test_new_activation_modules_and_errors(torch, rng):
    x = tinynn.tensor(rng.standard_normal((3, 4)))
    tx = torch.tensor(x.numpy())
    for ours, theirs in ((tinynn.nn.SELU(), torch.nn.SELU()), (tinynn.nn.CELU(0.5), torch.nn.CELU(0.5)),
                         (tinynn.nn.GLU(), torch.nn.GLU()), (tinynn.nn.Softmin(0), torch.nn.Softmin(0)),
                         (tinynn.nn.Threshold(0.1, 2.0), torch.nn.Threshold(0.1, 2.0)),
                         (tinynn.nn.Tanhshrink(), torch.nn.Tanhshrink()),
                         (tinynn.nn.Hardshrink(0.3), torch.nn.Hardshrink(0.3)),
                         (tinynn.nn.Softshrink(0.3), torch.nn.Softshrink(0.3))):
        assert_close(ours(x), theirs(tx), rtol=1e-6, atol=1e-7, what=type(ours).__name__)
    with pytest.raises(ValueError, match=r"glu: the size of dim -1 must be even"):
        F.glu(tinynn.zeros(2, 3))
    with pytest.raises(ValueError, match="softshrink: lambd must not be negative"):
        F.softshrink(x, -1.0)


MATHEMATICAL_AT_INFINITY = {"gelu"}  # GELU(inf) = inf here; PyTorch's x * Phi(x) gives NaN


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_activations_pass_inf_and_nan_as_pytorch(name, torch, device):
    """NaN passes through every activation (a threshold written "x > t" instead of PyTorch's
    "not x <= t" replaced it by the value), and the infinities map as in PyTorch."""
    values = np.array([[np.nan, np.inf, -np.inf], [0.4, 0.2, -0.35], [0.0, -0.0, 0.1]], dtype=np.float32)
    ours, theirs = ACTIVATIONS[name]
    got = ours(tinynn.tensor(values, device=device)).numpy()
    expected = theirs(torch, torch.tensor(values)).numpy()
    if name in MATHEMATICAL_AT_INFINITY:
        expected = np.where(np.isinf(values) & np.isnan(expected), got, expected)
    np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("dtype", ["uint8", "int8", "int32", "int64"])
def test_relu_of_integers_keeps_them_integers_as_pytorchs(dtype, torch):
    values = np.array([-3, 0, 2, 100], dtype=np.int64).astype(dtype)
    ours, theirs = F.relu(tinynn.tensor(values)), torch.nn.functional.relu(torch.tensor(values))
    assert str(ours.dtype) == str(theirs.dtype).split(".")[-1]
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


# (name, function of the tinynn or torch module and a tensor). Not here: hardtanh, relu6, the shrinks and
# the ELUs, whose gradient at NaN PyTorch's CPU kernels give as 0 (NaN for the ELUs) in their vectorised
# loops and as 1 in the scalar loop of the last few values, so that it depends on a tensor's length
NAN_GRADIENTS = {
    "relu": lambda L, t: L.nn.functional.relu(t), "abs": lambda L, t: t.abs(),
    "maximum": lambda L, t: L.maximum(t, t.flip(0)), "minimum": lambda L, t: L.minimum(t, t.flip(0)),
}


@pytest.mark.parametrize("length", [1, 10, 40])
@pytest.mark.parametrize("name", NAN_GRADIENTS)
def test_gradients_at_nan_infinities_and_zeros_are_torch_s(torch, name, length, device):
    """PyTorch's relu mask tests the cut-off side (x <= 0 gives 0), so a NaN input passes its gradient
    on; abs's sign of NaN is 0; maximum and minimum give a NaN's gradient to both sides."""
    values = np.resize([np.nan, -np.inf, np.inf, 0.0, 0.5, -0.5, 2.0, -2.0, 7.0], length)
    x = tinynn.tensor(values, dtype=np.float64, device=device, requires_grad=True)
    t = torch.tensor(values, dtype=torch.float64, requires_grad=True)
    y, ty = NAN_GRADIENTS[name](tinynn, x), NAN_GRADIENTS[name](torch, t)
    y.sum().backward()
    ty.sum().backward()
    np.testing.assert_array_equal(y.detach().numpy(), ty.detach().numpy())
    np.testing.assert_array_equal(x.grad.numpy(), t.grad.numpy())
