"""The modified Bessel functions i0, i0e, i1, i1e (ops/bessel.py) against PyTorch's (Cephes):
values from -40 to 40 and out to overflow, in float64 and float32, and their gradients."""
import numpy as np
import pytest

import tinynn
from tinynn.autograd import gradcheck, gradgradcheck
from helpers import leaf

POINTS = np.concatenate([np.linspace(-40, 40, 2001), [0.0, 1e-8, -1e-8, 8.0, -8.0, 7.999999, 8.000001, 100.0, 300.0,
                                                      700.0, 710.0, -710.0]])


@pytest.mark.parametrize("name", ["i0", "i0e", "i1", "i1e"])
def test_values_match_torch_in_float64_and_float32(name, torch):
    for dtype, tolerance in ((np.float64, 1e-13), (np.float32, 2e-6)):
        points = POINTS.astype(dtype)
        with np.errstate(over="ignore"):  # I0(710) overflows to inf, as PyTorch's (pytest shows NumPy's warnings)
            ours = getattr(tinynn.special, name)(tinynn.tensor(points))
        theirs = getattr(torch.special, name)(torch.tensor(points)).numpy()
        assert ours.dtype == dtype
        finite = np.isfinite(theirs)
        np.testing.assert_allclose(ours.numpy()[finite], theirs[finite], rtol=tolerance, atol=0, err_msg=f"{name} {dtype}")
        np.testing.assert_array_equal(np.isinf(ours.numpy()), np.isinf(theirs))  # I0, I1 overflow where PyTorch's do


@pytest.mark.parametrize("name", ["i0", "i0e", "i1", "i1e"])
def test_gradients_gradcheck_and_match_torch(name, torch):
    points = np.array([-12.0, -3.0, -0.5, 0.0, 0.7, 5.0, 8.0, 9.5, 35.0])
    near = leaf(points[:-1] / 2)  # gradcheck's projections of outputs as large as I0(35) ~ 1e14 are noise
    assert gradcheck(lambda t: getattr(tinynn.special, name)(t), [near])
    x = leaf(points)
    getattr(tinynn.special, name)(x).sum().backward()
    theirs = torch.tensor(points, requires_grad=True)
    getattr(torch.special, name)(theirs).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), theirs.grad.numpy(), rtol=1e-12, atol=1e-14)
    assert tinynn.special.i0(tinynn.tensor([1, 2])).dtype == np.float32  # integers: the default float dtype
    assert tinynn.i0(tinynn.tensor([0.5])).tolist() == tinynn.tensor([0.5]).i0().tolist()


@pytest.mark.parametrize("name", ["i0", "i0e", "i1", "i1e"])
def test_second_derivatives_and_forward_mode_match_torch(name, torch):
    """The backward recorded (create_graph), so Hessians, gradient penalties and jvp pass through: I0' = I1,
    I1' = I0 - I1/x (1/2 at 0); the scaled ones have a kink at 0 (e^-|x|), left out of their points."""
    points = np.array([-6.0, -0.5, 0.0, 0.7, 4.0]) if name in ("i0", "i1") else np.array([-6.0, -0.5, 0.3, 0.7, 4.0])
    function = getattr(tinynn.special, name)
    x = leaf(points)
    assert gradgradcheck(function, [x]) and gradcheck(function, [x], check_forward_ad=True)
    (first,) = tinynn.autograd.grad(function(x).sum(), [x], create_graph=True)
    (second,) = tinynn.autograd.grad(first.sum(), [x])
    theirs = torch.tensor(points, requires_grad=True)
    (t_first,) = torch.autograd.grad(getattr(torch.special, name)(theirs).sum(), [theirs], create_graph=True)
    (t_second,) = torch.autograd.grad(t_first.sum(), [theirs])
    np.testing.assert_allclose(second.numpy(), t_second.numpy(), rtol=1e-10, atol=1e-12)
