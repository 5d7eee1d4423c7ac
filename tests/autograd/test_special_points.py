"""Gradients where the chain rule meets 0 * inf, ties or a boundary, against PyTorch: each op's
value and gradient at such points (and at ordinary ones beside them) equal PyTorch's. This found
norm(p) and std at zero, x ** 0 at x = 0, atan2 at the origin, hardswish at +-3, logit at 0 and 1,
and median's ties and NaN."""
import numpy as np
import pytest

import tinynn
from tinynn.autograd import gradcheck, gradgradcheck


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


def test_sinc_derivative_far_out_is_finite_as_torchs(torch):
    # the series for small x must not see the large ones: its t^6 overflows float32 at 1e10, and
    # where()'s zero gradient times that infinite slope was NaN (pi x in float32 is as far off as
    # PyTorch's there, so its float32 gradient is the reference)
    values = np.array([1e10, -1e10, 3e12, 2.5], dtype=np.float32)
    x, theirs = tinynn.tensor(values, requires_grad=True), torch.tensor(values, requires_grad=True)
    tinynn.sinc(x).sum().backward()
    torch.sinc(theirs).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), theirs.grad.numpy(), rtol=1e-5, atol=0)


def test_lgamma_near_its_zeros_at_1_and_2_is_accurate_relative_to_its_size():
    # mpmath.loggamma, 30 digits: Lanczos' sum alone was 1e-16 off absolutely, so lgamma(2 + 1e-7)
    # (4.2e-8) only to 8 digits; the series about each zero keeps all of them
    x = tinynn.tensor([1 - 1e-6, 1 + 1e-6, 2 - 1e-7, 2 + 1e-7, 1.2, 1.8], dtype=tinynn.float64)
    expected = [5.772164873855652e-07, -5.772148423874147e-07, -4.22784303098613e-08, 4.227843666532498e-08,
                -0.08537409000331584, -0.07108387291437215]
    np.testing.assert_allclose(x.lgamma().numpy(), expected, rtol=1e-11, atol=0)


def test_division_by_a_tiny_or_huge_denominator_has_torchs_finite_gradient(torch):
    # d(a/b)/db = -(a / b) / b: as -a / b^2 the square underflowed (0 / 0 = NaN) or overflowed
    a = np.array([0.0, 1e-30, 1e-20, 3e20, 1.0], dtype=np.float32)
    b = np.array([1e-30, 1e-30, 1e-25, 2e25, 3.0], dtype=np.float32)
    ours, theirs = [tinynn.tensor(b, requires_grad=True)], [torch.tensor(b, requires_grad=True)]
    (tinynn.tensor(a) / ours[0]).sum().backward()
    (torch.tensor(a) / theirs[0]).sum().backward()
    assert np.isfinite(ours[0].grad.numpy()).all()
    np.testing.assert_allclose(ours[0].grad.numpy(), theirs[0].grad.numpy(), rtol=1e-6, atol=0)


def test_logaddexp_of_huge_equal_values_shares_the_gradient_half_and_half(torch):
    # y = a + log 2 rounds to a at 1e30, so e^(a - y) gave 1 each; sigmoid(a - b) gives 1/2
    values = np.array([1e30, -1e30, 5.0, 1e16])
    a, b = tinynn.tensor(values, requires_grad=True), tinynn.tensor(values, requires_grad=True)
    tinynn.logaddexp(a, b).sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [0.5, 0.5, 0.5, 0.5])
    np.testing.assert_array_equal(b.grad.numpy(), [0.5, 0.5, 0.5, 0.5])
    assert gradgradcheck(tinynn.logaddexp, [tinynn.tensor([0.3, -2.0], dtype=tinynn.float64, requires_grad=True),
                                            tinynn.tensor([1.5, -2.0], dtype=tinynn.float64, requires_grad=True)])


def test_second_derivatives_through_a_recorded_sigmoid_at_0():
    # the recorded sigmoid took e^-|x|, whose slope at 0 is |x|'s subgradient 0: sigmoid'(0) came out 0, not 1/4
    at_zero = [tinynn.tensor([0.0, 0.7], dtype=tinynn.float64, requires_grad=True)]
    assert gradgradcheck(tinynn.nn.functional.mish, at_zero)
    assert gradgradcheck(tinynn.nn.functional.logsigmoid, at_zero)


def test_xlog1py_of_a_tiny_y_keeps_its_digits_as_torchs(torch):
    # x log(1 + y) by log1p: 1 + 1e-30 rounds to 1, and log(1) = 0 lost everything
    x, y = np.array([0.5, 2.0, 0.0, 0.0, 3.0]), np.array([1e-30, -1e-20, -1.0, np.inf, 0.25])
    ours, theirs = tinynn.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    value = tinynn.special.xlog1py(ours, tinynn.tensor(y))
    expected = torch.special.xlog1py(theirs, torch.tensor(y))
    np.testing.assert_allclose(value.detach().numpy(), expected.detach().numpy(), rtol=1e-15, atol=0)
    value.sum().backward()
    np.testing.assert_allclose(ours.grad.numpy()[[0, 1, 4]], np.log1p(y[[0, 1, 4]]), rtol=1e-15, atol=0)


def test_the_norms_gradient_is_nan_where_the_norm_is(torch):
    values = np.array([np.nan, 2.0, -1.0])
    ours, theirs = tinynn.tensor(values, requires_grad=True), torch.tensor(values, requires_grad=True)
    ours.norm().backward()
    theirs.norm().backward()
    np.testing.assert_array_equal(ours.grad.numpy(), theirs.grad.numpy())
    assert np.isnan(ours.grad.numpy()).all()


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


def test_fmod_and_remainder_are_exact_with_torchs_gradients(torch):
    a = np.array([0.5, 1e17, -7.25, 0.0, 1.0, -1.0, 5.5, 0.5, 3.0])
    b = np.array([0.1, 3.0, 2.0, np.inf, -np.inf, np.inf, -np.inf, 1e-8, -0.7])
    for name in ("fmod", "remainder"):
        x, y = tinynn.tensor(a, requires_grad=True), tinynn.tensor(b, requires_grad=True)
        tx, ty = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
        out, t_out = getattr(tinynn, name)(x, y), getattr(torch, name)(tx, ty)
        # exact, as C's fmod and Python's %: fmod(0.5, 0.1) is 0.09999999999999998, not 0.5 - 5 * 0.1 = 0
        np.testing.assert_array_equal(out.detach().numpy(), t_out.detach().numpy())
        out.sum().backward()
        t_out.sum().backward()
        finite = np.isfinite(b)
        np.testing.assert_array_equal(x.grad.numpy(), tx.grad.numpy())
        # d/db = -(the quotient): for 0.5 / 1e-8 Python's floor division gives 49999999, not 5e7
        np.testing.assert_array_equal(y.grad.numpy()[finite], ty.grad.numpy()[finite])
    assert gradcheck(lambda a, b: a % b, [tinynn.tensor([5.3, -2.2, 7.9], dtype=tinynn.float64, requires_grad=True),
                                         tinynn.tensor([2.0, 1.5, -3.1], dtype=tinynn.float64, requires_grad=True)])


def test_clamp_sends_gradients_to_tensor_bounds_as_torch(torch, rng):
    values = [rng.standard_normal((3, 4)), rng.standard_normal(4) - 0.5, rng.standard_normal((3, 1)) + 0.5]
    ours = [tinynn.tensor(v, requires_grad=True) for v in values]
    theirs = [torch.tensor(v, requires_grad=True) for v in values]
    weights = rng.standard_normal((3, 4))
    (tinynn.clamp(*ours) * tinynn.tensor(weights)).sum().backward()
    (torch.clamp(*theirs) * torch.tensor(weights)).sum().backward()
    for mine, its in zip(ours, theirs):
        np.testing.assert_array_equal(mine.grad.numpy(), its.grad.numpy())
    assert gradgradcheck(lambda x, low, high: x.clamp(low, high) ** 2,
                         [tinynn.tensor(v, requires_grad=True) for v in values])


def test_hypot_neither_overflows_nor_underflows():
    x = tinynn.tensor([1e200, 3e-200, 0.0], dtype=tinynn.float64, requires_grad=True)
    y = tinynn.tensor([1e200, 4e-200, 0.0], dtype=tinynn.float64)
    out = tinynn.hypot(x, y)
    np.testing.assert_allclose(out.detach().numpy(), [np.sqrt(2) * 1e200, 5e-200, 0.0], rtol=1e-15)
    out.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [np.sqrt(0.5), 0.6, 0.0], rtol=1e-15)  # 0 at the origin
    assert tinynn.hypot(tinynn.tensor([np.inf]), tinynn.tensor([np.nan])).item() == np.inf  # as IEEE's hypot
    assert gradgradcheck(tinynn.hypot, [tinynn.tensor([0.3, -2.0], dtype=tinynn.float64, requires_grad=True),
                                        tinynn.tensor([1.2, 0.5], dtype=tinynn.float64, requires_grad=True)])


def test_xlogy_logaddexp_fmax_and_pow_at_their_edges_as_torch(torch):
    def compare(function, a, b):
        ours = [tinynn.tensor(np.array(v, dtype=np.float64), requires_grad=True) for v in (a, b)]
        theirs = [torch.tensor(np.array(v, dtype=np.float64), requires_grad=True) for v in (a, b)]
        out, t_out = getattr(tinynn, function)(*ours), getattr(torch, function)(*theirs)
        np.testing.assert_array_equal(out.detach().numpy(), t_out.detach().numpy())
        out.sum().backward()
        t_out.sum().backward()
        for mine, its in zip(ours, theirs):
            np.testing.assert_array_equal(mine.grad.numpy(), its.grad.numpy(), err_msg=function)

    compare("xlogy", [0.0, 0.0, 0.0, 2.0], [0.5, -1.0, np.nan, 3.0])  # d/dx at x = 0 is log(y)
    compare("logaddexp", [np.inf, 1.0, np.inf], [0.0, np.inf, -np.inf])  # the infinite input takes it all
    compare("fmax", [1.0, 2.0, np.nan, 3.0], [1.0, np.nan, 4.0, 5.0])  # a tie goes to the first
    compare("fmin", [1.0, 2.0, np.nan, 3.0], [1.0, np.nan, 4.0, 5.0])
    compare("pow", [0.0, 0.0, 2.0, -2.0], [-1.0, 2.0, 0.5, 2.0])  # d/db: -inf at 0^-1, NaN for a < 0


def test_a_nan_maximum_takes_the_gradient_and_lerp_takes_the_nearer_end(torch):
    x = tinynn.tensor([1.0, np.nan, 3.0], requires_grad=True)
    x.max().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 1.0, 0.0])  # as torch.max; not 0/0
    # lerp as PyTorch's: exact at weight 1, and -inf (not -inf + inf) between -inf and a number
    assert tinynn.lerp(tinynn.tensor([0.1]), tinynn.tensor([0.7]), 1.0).item() == np.float32(0.7)
    values = np.array([-np.inf, 1.0, 2.0, 3.0])
    assert tinynn.quantile(tinynn.tensor(values), 0.3).item() == torch.quantile(torch.tensor(values), 0.3).item()
