"""Ops whose slope is 0 in places select the gradient there rather than multiplying it by 0, as
PyTorch's backwards do: an inf or NaN arriving where the slope is 0 gives 0, not inf * 0 = NaN.
The classic case is sqrt(clamp(d, min=0)) of a squared distance that rounded below 0."""
import numpy as np
import pytest

import tinynn
from tinynn.ops.gradient_mask import passed_where

X = np.array([-2.0, -0.5, 0.0, 0.5, 2.0, 7.0, -7.0, 1.0])
# the gradient arriving at each output: non-finite at every place, finite at the last
UPSTREAM = np.array([np.nan, np.inf, -np.inf, np.nan, np.inf, np.nan, np.inf, 1.0])

OPS = {
    "where": lambda L, x: L.where(x > 0, x, L.zeros_like(x)),
    "where, other side": lambda L, x: L.where(x > 0, L.zeros_like(x), x),
    "relu": lambda L, x: L.relu(x),
    "relu6": lambda L, x: L.nn.functional.relu6(x),
    "hardtanh": lambda L, x: L.nn.functional.hardtanh(x),
    "clamp": lambda L, x: L.clamp(x, -1, 1),
    "clamp min": lambda L, x: L.clamp(x, min=0),
    "clamp by tensors": lambda L, x: L.clamp(x, L.full_like(x, -1.0), L.full_like(x, 1.0)),
    "threshold": lambda L, x: L.nn.functional.threshold(x, 0.1, 5.0),
    "hardshrink": lambda L, x: L.nn.functional.hardshrink(x),
    "softshrink": lambda L, x: L.nn.functional.softshrink(x),
    "hardsigmoid": lambda L, x: L.nn.functional.hardsigmoid(x),
    "hardswish": lambda L, x: L.nn.functional.hardswish(x),
    "max_pool1d": lambda L, x: L.nn.functional.max_pool1d(x.reshape(1, 1, 8), 2).repeat_interleave(2, -1).reshape(8),
    "max_pool2d, overlapping": lambda L, x: L.nn.functional.max_pool2d(x.reshape(1, 1, 2, 4), (1, 3), 1, (0, 1))
                                            .reshape(8),
    "adaptive_max_pool1d": lambda L, x: L.nn.functional.adaptive_max_pool1d(x.reshape(1, 1, 8), 4)
                                        .repeat_interleave(2, -1).reshape(8),
    "masked_fill": lambda L, x: x.masked_fill(x < 0, 0.0),
    "maximum": lambda L, x: L.maximum(x, L.zeros_like(x)),
    "minimum": lambda L, x: L.minimum(x, L.zeros_like(x)),
    "fmax": lambda L, x: L.fmax(x, L.zeros_like(x)),
    "triu": lambda L, x: L.triu(x.reshape(2, 4)).reshape(8),
    "logit with eps": lambda L, x: L.logit(x * 0.1 + 0.5, eps=0.4),
    "max of all": lambda L, x: x.max().expand(8),
    "vector_norm p=3 at 0": lambda L, x: L.linalg.vector_norm(x.reshape(4, 2) * 0, 3, 1).repeat_interleave(2),
    # linear maps with zero weights: dL/dx from a product with a matrix would make 0 * inf = NaN everywhere
    "interpolate nearest": lambda L, x: L.nn.functional.interpolate(x.reshape(1, 1, 8)[..., ::2], scale_factor=2)
                                        .reshape(8),
    "interpolate bilinear": lambda L, x: L.nn.functional.interpolate(x.reshape(1, 1, 2, 4)[..., ::2], size=(2, 4),
                                                                     mode="bilinear").reshape(8),
    "pad replicate": lambda L, x: L.nn.functional.pad(x.reshape(1, 1, 8)[..., 1:7], (1, 1), mode="replicate")
                                  .reshape(8),
    "pad reflect": lambda L, x: L.nn.functional.pad(x.reshape(1, 2, 4)[..., 1:3], (1, 1), mode="reflect").reshape(8),
    "grid_sample outside": lambda L, x: L.nn.functional.grid_sample(
        x.reshape(1, 1, 2, 4), L.tensor([[0.1, 0.2], [5.0, 5.0], [-0.3, 0.9], [3.0, -4.0]] * 2, dtype=x.dtype,
                                        device=x.device).reshape(1, 2, 4, 2), align_corners=False).reshape(8),
    "nll_loss ignoring rows": lambda L, x: L.nn.functional.nll_loss(
        x.reshape(4, 2), L.tensor([0, -100, 1, -100], device=x.device), reduction="none").repeat_interleave(2),
}


@pytest.mark.parametrize("name", list(OPS))
def test_a_non_finite_gradient_where_the_slope_is_0_gives_0_as_in_torch(name, torch, device):
    x, theirs = tinynn.tensor(X, device=device, requires_grad=True), torch.tensor(X, requires_grad=True)
    (OPS[name](tinynn, x) * tinynn.tensor(UPSTREAM, device=device)).sum().backward()
    (OPS[name](torch, theirs) * torch.tensor(UPSTREAM)).sum().backward()
    # (rtol: PyTorch's float64 hardsigmoid has the slope 1/6 of float32)
    np.testing.assert_allclose(x.grad.numpy(), theirs.grad.numpy(), rtol=1e-7, atol=0)


def test_the_square_root_of_a_clamped_squared_distance_has_finite_gradients(torch):
    """|a - b| from |a|^2 + |b|^2 - 2 a.b, clamped at 0 where it rounded below: the clamped pairs
    get no gradient (the square root's slope there is inf), the others theirs."""
    points = np.array([[1.0, 2.0], [1.0, 2.0], [0.0, 1.0]])
    ours, theirs = tinynn.tensor(points, requires_grad=True), torch.tensor(points, requires_grad=True)
    for library, p in ((tinynn, ours), (torch, theirs)):
        squared = (p * p).sum(1, keepdim=True) + (p * p).sum(1) - 2 * p @ p.T - 1e-12  # a rounding below 0
        library.sqrt(library.clamp(squared, min=0)).sum().backward()
    assert np.isfinite(ours.grad.numpy()).all()
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-9)


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_passed_where_selects_exactly_and_writes_into_out(dtype, rng):
    gy = rng.standard_normal((4, 6)).astype(dtype)
    gy[0, :3] = [np.inf, -np.inf, np.nan]
    mask = rng.random((4, 6)) < 0.5
    mask[0, :3] = False
    expected = np.where(mask, gy, dtype(0))
    passed = passed_where(gy, mask)
    assert passed.dtype == dtype and passed.shape == gy.shape
    np.testing.assert_array_equal(passed, expected)
    assert not np.signbit(passed[~mask]).any()  # +0.0 where not passed, as a selection gives
    np.testing.assert_array_equal(passed_where(gy[:, ::2], mask[:1, ::2]), np.where(mask[:1, ::2], gy[:, ::2], 0))
    out = np.full((4, 9), 7, dtype=dtype)
    assert passed_where(gy[:, :3], mask[:, :3], out=out[:, 3:6]) is not None
    np.testing.assert_array_equal(out[:, 3:6], expected[:, :3])
    np.testing.assert_array_equal(out[:, :3], 7)  # around the window, nothing written
    np.testing.assert_array_equal(out[:, 6:], 7)


def test_passed_where_of_a_recorded_gradient_is_differentiable():
    gy = tinynn.tensor([1.0, 2.0, 3.0], requires_grad=True)
    passed_where(gy, np.array([True, False, True])).sum().backward()
    np.testing.assert_array_equal(gy.grad.numpy(), [1.0, 0.0, 1.0])
