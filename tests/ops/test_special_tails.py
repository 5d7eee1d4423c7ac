"""Special functions far out in their tails and at their edges, where a formula that is exact on paper
loses everything to cancellation or underflow: ndtri of tiny probabilities, sigmoid far left in
float32, J1 near zero, the gradient of erfcx for large x, and the derivatives of entr and logit at
and beyond the ends of their domains (as PyTorch's). References are high-precision values (mpmath,
40 digits) written out."""
import numpy as np
import pytest

import tinynn
from tinynn.autograd import gradcheck, gradgradcheck

# p -> ndtri(p), from mpmath at 40+ digits (sqrt(2) * erfinv(2p - 1) with enough precision for 2p - 1)
NDTRI = {5e-324: -38.467405617144344, 1e-300: -37.0470962993612, 1e-100: -21.273453560965326,
         1e-20: -9.262340089798407, 1e-8: -5.612001244174789, 1e-3: -3.0902323061678136,
         0.3: -0.5244005127080408, 0.9: 1.2815515655446006, 1 - 1e-10: 6.361340889697422}


def test_ndtri_keeps_its_relative_precision_down_to_the_smallest_float():
    p = np.array(list(NDTRI))
    ours = tinynn.special.ndtri(tinynn.tensor(p)).numpy()
    np.testing.assert_allclose(ours, list(NDTRI.values()), rtol=2e-15)
    # round trip through ndtr, in the left tail too (ndtr's condition number there is |x| ~ 37)
    np.testing.assert_allclose(tinynn.special.ndtr(tinynn.tensor(ours[:-1])).numpy(), p[:-1], rtol=1e-12)


def test_ndtri_in_float32_no_longer_rounds_2p_minus_1_to_minus_1(torch):
    p = np.array([1e-30, 1e-8, 1e-3, 0.25, 0.75], dtype=np.float32)
    ours = tinynn.special.ndtri(tinynn.tensor(p)).numpy()
    assert ours.dtype == np.float32
    exact = [NDTRI[1e-8] if v == np.float32(1e-8) else None for v in p]
    assert ours[1] == pytest.approx(exact[1], rel=1e-6)  # -inf before
    assert ours[0] == pytest.approx(-11.464024, rel=1e-6)
    np.testing.assert_allclose(ours[2:], torch.special.ndtri(torch.tensor(p[2:].astype(np.float64))).numpy(),
                               rtol=2e-6)
    np.testing.assert_array_equal(tinynn.special.ndtri(tinynn.tensor([0.0, 1.0, -0.1, 1.1])).numpy(),
                                  [-np.inf, np.inf, np.nan, np.nan])


def test_ndtri_gradient_is_one_over_the_normal_density():
    p = tinynn.tensor([1e-12, 0.2, 0.5, 0.97], dtype=tinynn.float64, requires_grad=True)
    x = tinynn.special.ndtri(p)
    x.sum().backward()
    values = x.detach().numpy()
    np.testing.assert_allclose(p.grad.numpy(), np.sqrt(2 * np.pi) * np.exp(values ** 2 / 2), rtol=1e-13)
    assert gradcheck(tinynn.special.ndtri, [tinynn.tensor([0.01, 0.3, 0.8], dtype=tinynn.float64,
                                                          requires_grad=True)])
    assert gradgradcheck(tinynn.special.ndtri, [tinynn.tensor([0.01, 0.3, 0.8], dtype=tinynn.float64,
                                                              requires_grad=True)])


def test_sigmoid_keeps_its_relative_precision_far_left_in_float32(torch):
    """1 / (1 + e^-x): nothing cancels, so 1.25e-9 at -20.5 keeps its digits ((1 + tanh(x/2)) / 2 gave 0), and
    6.05e-39 at -88 too; past -88.7 e^-x overflows to inf and the result is the limit 0, as PyTorch's (the
    true value, a subnormal, is below float32's normal range), with no FloatingPointError even where overflow
    raises one."""
    x = np.array([-100.0, -88.0, -20.5, -5.0, 0.0, 5.0, 40.0, np.inf, -np.inf, np.nan], dtype=np.float32)
    with np.errstate(over="raise"):
        ours = tinynn.tensor(x).sigmoid().numpy()
    assert ours[2] == pytest.approx(1.2501529e-09, rel=1e-6, abs=0)
    assert ours[1] == pytest.approx(6.0546015e-39, rel=1e-6, abs=0) and ours[0] == 0.0
    np.testing.assert_allclose(ours, torch.sigmoid(torch.tensor(x)).numpy(), rtol=1e-6, atol=0)
    assert tinynn.special.expit(tinynn.tensor(x)).dtype == np.float32
    far = tinynn.tensor([-100.0, -800.0], dtype=tinynn.float64, requires_grad=True)  # (Mish's recorded backward)
    slope, = tinynn.autograd.grad(tinynn.nn.functional.mish(far).sum(), far, create_graph=True)
    curvature, = tinynn.autograd.grad(slope.sum(), far)
    assert np.isfinite(slope.detach().numpy()).all() and np.isfinite(curvature.numpy()).all()


def test_bessel_j1_is_relatively_accurate_near_zero():
    x = np.array([0.0, 1e-300, 1e-8, -1e-8, 1e-3])
    np.testing.assert_allclose(tinynn.special.bessel_j1(tinynn.tensor(x)).numpy(),
                               [0.0, 5e-301, 5e-09, -5e-09, 4.9999993750000260e-4], rtol=1e-15)
    single = tinynn.special.bessel_j1(tinynn.tensor(x[1:].astype(np.float32))).numpy()
    np.testing.assert_allclose(single[1:], [5e-09, -5e-09, 4.999999375e-4], rtol=2e-7)  # 4.5e-8 at 1e-8 before
    assert tinynn.special.bessel_j1(tinynn.tensor([0.0])).item() == 0.0


def test_erfcx_gradient_for_large_x_and_at_infinity():
    # erfcx'(x) = 2x erfcx(x) - 2/sqrt(pi) -> -1/(sqrt(pi) x^2) (1 - 3/(2x^2)): the difference cancels
    x = tinynn.tensor([10.0, 1000.0, np.inf], dtype=tinynn.float32, requires_grad=True)
    y = tinynn.special.erfcx(x)
    assert y.detach().numpy()[2] == 0.0
    y.sum().backward()
    expected = [-5.5593122190608567e-3, -5.6418873726549667e-07, 0.0]  # mpmath
    np.testing.assert_allclose(x.grad.numpy(), expected, rtol=2e-7)  # float32: -3.7e-6 at 1000 before
    x = tinynn.tensor([3.0, 10.0, 1000.0, 1e8], dtype=tinynn.float64, requires_grad=True)
    y = tinynn.special.erfcx(x)
    y.sum().backward()
    np.testing.assert_allclose(y.detach().numpy(), [0.17900115118138995, 0.056140992743822586, 5.6418930145338765e-4,
                                                     5.6418958354775626e-09], rtol=1e-14)
    np.testing.assert_allclose(x.grad.numpy(), [-0.054372260007172871, -5.5593122190608567e-3, -5.6418873726549667e-07,
                                                -5.6418958354775629e-17], rtol=1e-12)  # 1.8e-8 off at 1000 before


def test_entr_derivative_at_the_ends_of_its_domain_is_pytorchs(torch):
    values = np.array([-1.0, 0.0, 1e-8, 0.5, 1.0, 2.0, np.inf])
    ours, theirs = tinynn.tensor(values, requires_grad=True), torch.tensor(values, requires_grad=True)
    y, ty = tinynn.special.entr(ours), torch.special.entr(theirs)
    np.testing.assert_array_equal(y.detach().numpy(), ty.detach().numpy())
    y.sum().backward()
    ty.sum().backward()
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-15)  # nan, +inf, ..., -inf
    assert np.isnan(ours.grad.numpy()[0]) and ours.grad.numpy()[1] == np.inf and ours.grad.numpy()[-1] == -np.inf


@pytest.mark.parametrize("eps", [None, 0.1])
def test_logit_derivative_outside_zero_one_is_nan_as_the_value(torch, eps):
    values = np.array([-1.0, 0.0, 1e-8, 0.05, 0.5, 1.0, 2.0, np.nan])
    ours, theirs = tinynn.tensor(values, requires_grad=True), torch.tensor(values, requires_grad=True)
    y, ty = tinynn.logit(ours, eps), torch.logit(theirs, eps)
    np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy(), rtol=1e-15)
    y.sum().backward()
    ty.sum().backward()
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-15)
    assert gradgradcheck(lambda x: tinynn.logit(x, eps), [tinynn.tensor([0.2, 0.7], dtype=tinynn.float64,
                                                                         requires_grad=True)])
