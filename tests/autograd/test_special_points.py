"""Gradients where the chain rule meets 0 * inf, ties or a boundary, against PyTorch: each op's
value and gradient at such points (and at ordinary ones beside them) equal PyTorch's. This found
norm(p) and std at zero, x ** 0 at x = 0, atan2 at the origin, hardswish at +-3, logit at 0 and 1,
and median's ties and NaN."""
import numpy as np
import pytest

import tinynn
from tinynn.autograd import gradcheck


CASES = {
    "abs at 0": (lambda m, x: m.abs(x), [0.0, -1.0, 2.0]),
    "sqrt at 0": (lambda m, x: m.sqrt(x), [0.0, 4.0]),
    "norm at 0": (lambda m, x: x.norm(), [0.0, 0.0]),
    "norm p=3 at 0": (lambda m, x: x.norm(3), [0.0, 0.0]),
    "norm p=3": (lambda m, x: x.norm(3), [1.0, -2.0]),
    "norm p=0.5": (lambda m, x: x.norm(0.5), [1.0, 2.0]),
    "clamp at its bounds": (lambda m, x: m.clamp(x, -1.0, 1.0), [-1.0, 1.0, 0.5, 2.0]),
    "max of ties": (lambda m, x: x.max(), [1.0, 3.0, 3.0]),
    "median of ties": (lambda m, x: x.median(), [2.0, 2.0, 1.0, 3.0]),
    "median with NaN": (lambda m, x: x.median(), [1.0, float("nan"), 2.0]),
    "median along a dim with NaN": (lambda m, x: x.reshape(2, 3).median(1)[0], [1.0, float("nan"), 2.0, 3.0, 1.0, 2.0]),
    "x ** 0 at 0": (lambda m, x: x ** 0, [0.0, 2.0]),
    "x ** 0.5 at 0": (lambda m, x: x ** 0.5, [0.0, 1.0]),
    "x ** tensor exponent 0": (lambda m, x: x ** m.tensor([0.0, 1.0], dtype=x.dtype), [0.0, 0.0]),
    "std of equal values": (lambda m, x: x.std(), [2.0, 2.0]),
    "std along a dim, one row equal": (lambda m, x: x.reshape(2, 2).std(1), [2.0, 2.0, 1.0, 3.0]),
    "atan2 at the origin": (lambda m, x: m.atan2(x, x), [0.0, 1.0]),
    "hardswish at -3 and 3": (lambda m, x: m.nn.functional.hardswish(x), [-3.0, 3.0, 1.0, -4.0]),
    "logit at 0 and 1": (lambda m, x: m.logit(x), [0.0, 0.5, 1.0]),
    "logsumexp with -inf": (lambda m, x: m.logsumexp(x, 0), [float("-inf"), 0.0]),
    "softmax with -inf": (lambda m, x: m.softmax(x, 0)[1], [float("-inf"), 0.0, 1.0]),
    "prod with two zeros": (lambda m, x: x.prod(), [0.0, 0.0, 3.0]),
    "cumprod through a zero": (lambda m, x: m.cumprod(x, 0), [2.0, 0.0, 3.0]),
    "max_pool2d of ties": (lambda m, x: m.nn.functional.max_pool2d(x.reshape(1, 1, 2, 2), 2), [1.0, 1.0, 1.0, 0.0]),
    "relu6 at its bounds": (lambda m, x: m.nn.functional.relu6(x), [0.0, 6.0]),
    "smooth_l1 at beta": (lambda m, x: m.nn.functional.smooth_l1_loss(x, m.zeros_like(x), beta=1.0), [1.0, -1.0]),
}


@pytest.mark.parametrize("name", list(CASES))
def test_values_and_gradients_at_special_points_equal_pytorchs(name, torch):
    function, values = CASES[name]
    ours, theirs = tinynn.tensor(np.array(values), requires_grad=True), torch.tensor(np.array(values), requires_grad=True)
    expected = function(torch, theirs)
    expected.sum().backward()
    with np.errstate(all="ignore"):  # inf and NaN are part of the answers here
        result = function(tinynn, ours)
        result.sum().backward()
    np.testing.assert_allclose(result.detach().numpy(), expected.detach().numpy(), rtol=1e-12, equal_nan=True)
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-12, atol=1e-15, equal_nan=True)


def test_digamma_of_tiny_negatives_and_signed_zeros():
    # psi(-1e-8) = 1e8 - gamma + ...: mpmath.digamma gives 99999999.422784316557; the reflection
    # must reduce x exactly (x - floor(x) = 1 - 1e-8 would round away 8 digits of x)
    assert tinynn.tensor(-1e-8, dtype=tinynn.float64).digamma().item() == pytest.approx(99999999.422784316557, rel=1e-15)
    np.testing.assert_array_equal(tinynn.tensor([0.0, -0.0], dtype=tinynn.float64).digamma().numpy(), [-np.inf, np.inf])
    np.testing.assert_array_equal(tinynn.tensor([np.inf, -np.inf]).lgamma().numpy(), [np.inf, np.inf])


def test_sinc_derivative_near_zero_is_accurate():
    x = tinynn.tensor([1e-8, -1e-8, 1e-3, 0.0], dtype=tinynn.float64, requires_grad=True)
    tinynn.sinc(x).sum().backward()
    t = np.pi * x.detach().numpy()
    # sinc'(x) = pi (t cos t - sin t) / t^2 = -pi t / 3 + pi t^3 / 30 - ...
    np.testing.assert_allclose(x.grad.numpy(), -np.pi * t / 3 + np.pi * t ** 3 / 30, rtol=1e-9, atol=0)
    assert gradcheck(tinynn.sinc, [tinynn.tensor([-0.7, -0.003, 0.002, 0.5, 2.3], dtype=tinynn.float64,
                                                 requires_grad=True)])


def test_hardshrink_passes_nan_on_as_torch(torch):  # the value; NaN's gradient is anyone's guess
    values = np.array([np.nan, 0.2, -0.7, 1.5])
    x, tx = tinynn.tensor(values, requires_grad=True), torch.tensor(values, requires_grad=True)
    for ours, theirs in ((tinynn.nn.functional.hardshrink, torch.nn.functional.hardshrink),
                         (tinynn.nn.functional.softshrink, torch.nn.functional.softshrink)):
        out, t_out = ours(x), theirs(tx)
        np.testing.assert_array_equal(out.detach().numpy(), t_out.detach().numpy())
        out.sum().backward()
        t_out.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy()[1:], tx.grad.numpy()[1:])
