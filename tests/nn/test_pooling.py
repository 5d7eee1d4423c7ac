"""max_pool2d, avg_pool2d, adaptive_avg_pool2d: gradchecks, -inf padding, tie routing, PyTorch parity."""
import numpy as np
import pytest
from hypothesis import given, strategies as st

import tinynn
from tinynn.autograd import gradcheck
from tinynn.nn import functional as F
from helpers import assert_close, distinct, leaf, to_torch


@st.composite
def pool_case(draw):
    k = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    stride = draw(st.one_of(st.none(), st.tuples(st.integers(1, 3), st.integers(1, 3))))
    padding = (draw(st.integers(0, k[0] // 2)), draw(st.integers(0, k[1] // 2)))
    h, w = draw(st.integers(k[0], 7)), draw(st.integers(k[1], 7))
    return (draw(st.integers(1, 2)), draw(st.integers(1, 3)), h, w), k, stride, padding


@pytest.mark.parametrize("pool", [F.max_pool2d, F.avg_pool2d])
@given(case=pool_case(), seed=st.integers(0, 2 ** 16))
def test_pooling_gradcheck_including_overlapping_windows(pool, case, seed, device):
    shape, kernel, stride, padding = case
    x = leaf(distinct(shape, np.random.default_rng(seed)), device=device)  # no ties for max-pool
    assert gradcheck(lambda t: pool(t, kernel, stride, padding), [x])


@pytest.mark.parametrize("kernel,stride,padding", [(2, None, 0), (3, 1, 1), (3, 2, 1), ((2, 3), (1, 2), (1, 1))])
@pytest.mark.parametrize("name", ["max_pool2d", "avg_pool2d"])
def test_pooling_matches_torch(torch, rng, name, kernel, stride, padding, device):
    x = leaf(rng.standard_normal((2, 3, 7, 6)), dtype=np.float32, device=device)
    tx = to_torch(torch, x, True)
    y = getattr(F, name)(x, kernel, stride, padding)
    ty = getattr(torch.nn.functional, name)(tx, kernel, stride, padding)
    assert_close(y, ty, what=f"{name} forward")
    grad = rng.standard_normal(y.shape).astype(np.float32)
    y.backward(tinynn.tensor(grad, device=device))
    ty.backward(torch.tensor(grad))
    assert_close(x.grad, tx.grad, what=f"{name} backward")


def test_max_pool_pads_with_minus_infinity(device):
    x = tinynn.tensor(-np.arange(1, 17, dtype=np.float32).reshape(1, 1, 4, 4), device=device)
    y = F.max_pool2d(x, 3, stride=2, padding=1)
    assert (y.numpy() < 0).all(), "all-negative windows must not pick up the padding"
    np.testing.assert_array_equal(y.numpy().ravel(), [-1, -2, -5, -6])


def test_max_pool_stride_defaults_to_kernel_size():
    assert F.max_pool2d(tinynn.zeros(1, 1, 8, 8), 2).shape == (1, 1, 4, 4)


def test_max_pool_routes_ties_to_the_first_maximum_like_torch(torch, device):
    x = leaf(np.ones((1, 1, 4, 4)), dtype=np.float32, device=device)
    tx = to_torch(torch, x, True)
    F.max_pool2d(x, 2).sum().backward()
    torch.nn.functional.max_pool2d(tx, 2).sum().backward()
    assert_close(x.grad, tx.grad)
    assert x.grad.numpy().sum() == 4


@pytest.mark.parametrize("output_size", [1, 2, (3, 2), 5])
def test_adaptive_avg_pool_matches_torch_and_gradchecks(torch, rng, output_size, device):
    x = leaf(rng.standard_normal((2, 3, 7, 6)), device=device)
    assert gradcheck(lambda t: F.adaptive_avg_pool2d(t, output_size), [x])
    tx = to_torch(torch, x, True)
    y, ty = F.adaptive_avg_pool2d(x, output_size), torch.nn.functional.adaptive_avg_pool2d(tx, output_size)
    assert_close(y, ty)


def test_kernel_larger_than_input_is_a_clear_error():
    with pytest.raises(ValueError, match=r"max_pool2d: kernel size \(5, 5\) is larger than the padded input"):
        F.max_pool2d(tinynn.zeros(1, 1, 3, 3), 5)
