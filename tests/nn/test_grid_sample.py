"""grid_sample and affine_grid (spatial transformers): gradients for the image and the positions
compared with PyTorch for every mode, padding and corner convention on every device, gradchecked,
and a network that learns to undo a shift."""
import numpy as np
import pytest

import tinynn
from tinynn.autograd import gradcheck, gradgradcheck
from tinynn.nn import functional as F
from helpers import assert_close, leaf, to_torch


def compare_with_torch(torch, rng, device, image, grid, mode, padding_mode, align_corners):
    """Output, image gradient and grid gradient (zeros for "nearest", as PyTorch's, volumes included)."""
    t_image, t_grid = to_torch(torch, image, True), to_torch(torch, grid, True)
    ours = F.grid_sample(image, grid, mode, padding_mode, align_corners)
    theirs = torch.nn.functional.grid_sample(t_image, t_grid, mode, padding_mode, align_corners)
    assert_close(ours, theirs, rtol=1e-12, atol=1e-12)
    grad = rng.standard_normal(ours.shape)
    ours.backward(tinynn.tensor(grad, device=device))
    theirs.backward(torch.tensor(grad))
    assert_close(image.grad, t_image.grad, rtol=1e-10, atol=1e-12, what="image grad")
    assert_close(grid.grad, t_grid.grad, rtol=1e-10, atol=1e-12, what="grid grad")
    if mode == "nearest":
        assert not grid.grad.numpy().any()


@pytest.mark.parametrize("align_corners", [False, True])
@pytest.mark.parametrize("padding_mode", ["zeros", "border", "reflection"])
@pytest.mark.parametrize("mode", ["bilinear", "nearest"])
def test_grid_sample_matches_torch(torch, rng, device, mode, padding_mode, align_corners):
    image = leaf(rng.standard_normal((2, 3, 5, 6)), device=device)
    # positions outside the image, and far enough for several reflections
    grid = leaf(rng.uniform(-1.2, 1.2, (2, 4, 7, 2)) * rng.choice([1, 3], (2, 4, 7, 1)), device=device)
    compare_with_torch(torch, rng, device, image, grid, mode, padding_mode, align_corners)
    if mode == "bilinear":  # away from pixel boundaries and reflection edges, where the map has kinks
        positions = rng.uniform(-0.9, 0.9, (2, 3, 2, 2)) + (np.array([[[[0.0, 0.0]], [[2.5, 0.0]], [[0.0, -2.45]]]])
                                                           if padding_mode == "reflection" else 0)
        assert gradcheck(lambda i, g: F.grid_sample(i, g, mode, padding_mode, align_corners),
                         [image, leaf(positions, device=device)])


@pytest.mark.parametrize("align_corners", [False, True])
def test_affine_grid_matches_torch(torch, rng, device, align_corners):
    theta = leaf(rng.standard_normal((2, 2, 3)), device=device)
    t_theta = to_torch(torch, theta, True)
    ours = F.affine_grid(theta, (2, 3, 4, 5), align_corners)
    theirs = torch.nn.functional.affine_grid(t_theta, (2, 3, 4, 5), align_corners)
    assert_close(ours, theirs, rtol=1e-12, atol=1e-12)
    ours.sum().backward()
    theirs.sum().backward()
    assert_close(theta.grad, t_theta.grad, rtol=1e-12, atol=1e-12)


def test_an_affine_transform_is_learned_through_grid_sample(rng):
    """The target is the image shifted right by a quarter of its width; the translation is found
    by gradient descent through grid_sample and affine_grid."""
    image = tinynn.tensor(rng.standard_normal((1, 1, 16, 16)).cumsum(axis=3))  # smooth along x
    target_theta = tinynn.tensor(np.array([[[1.0, 0.0, -0.25], [0.0, 1.0, 0.0]]]))
    target = F.grid_sample(image, F.affine_grid(target_theta, image.shape), padding_mode="border")
    theta = tinynn.tensor(np.array([[[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]]), requires_grad=True)
    optimizer = tinynn.optim.Adam([theta], lr=0.02)
    for _ in range(150):
        optimizer.zero_grad()
        moved = F.grid_sample(image, F.affine_grid(theta, image.shape), padding_mode="border")
        ((moved - target) ** 2).mean().backward()
        optimizer.step()
    np.testing.assert_allclose(theta.numpy(), target_theta.numpy(), atol=0.02)


@pytest.mark.parametrize("align_corners", [False, True])
@pytest.mark.parametrize("padding_mode", ["zeros", "border", "reflection"])
@pytest.mark.parametrize("mode, shape", [("bicubic", (2, 3, 5, 6)), ("bilinear", (2, 2, 3, 4, 5)),
                                         ("nearest", (2, 2, 3, 4, 5))])
def test_bicubic_and_volumes_match_torch(torch, rng, device, mode, shape, padding_mode, align_corners):
    # bicubic applies the padding to each of its 16 taps, as PyTorch; volumes sample trilinearly
    spatial = len(shape) - 2
    image = leaf(rng.standard_normal(shape), device=device)
    grid = leaf(rng.uniform(-1.2, 1.2, (2, 3, 2, 4, 3)[:spatial + 1] + (spatial,)) * 1.5, device=device)
    compare_with_torch(torch, rng, device, image, grid, mode, padding_mode, align_corners)
    if mode == "bicubic" and device == "cpu":
        positions = leaf(rng.uniform(-0.8, 0.8, (2, 2, 3, 2)), device=device)
        assert gradgradcheck(lambda i, g: F.grid_sample(i, g, mode, padding_mode, align_corners), [image, positions],
                             fast_mode=True)


@pytest.mark.parametrize("align_corners", [False, True])
def test_affine_grid_of_volumes_matches_torch(torch, rng, device, align_corners):
    theta = leaf(rng.standard_normal((2, 3, 4)), device=device)
    t_theta = to_torch(torch, theta, True)
    ours = F.affine_grid(theta, (2, 3, 4, 5, 6), align_corners)
    theirs = torch.nn.functional.affine_grid(t_theta, (2, 3, 4, 5, 6), align_corners)
    assert_close(ours, theirs, rtol=1e-12, atol=1e-12)
    grad = rng.standard_normal(ours.shape)
    ours.backward(tinynn.tensor(grad, device=device))
    theirs.backward(torch.tensor(grad))
    assert_close(theta.grad, t_theta.grad, rtol=1e-10, atol=1e-12)


def test_grid_sample_checks_its_arguments():
    with pytest.raises(ValueError, match=r"expected \(N, C, H, W\) input and an \(N, OH, OW, 2\) grid"):
        F.grid_sample(tinynn.zeros(1, 1, 4, 4), tinynn.zeros(1, 4, 4, 3))
    with pytest.raises(ValueError, match="mode 'bicubic' takes 4-D"):
        F.grid_sample(tinynn.zeros(1, 1, 2, 4, 4), tinynn.zeros(1, 2, 4, 4, 3), mode="bicubic")
    with pytest.raises(ValueError, match="padding_mode must be one of"):
        F.grid_sample(tinynn.zeros(1, 1, 4, 4), tinynn.zeros(1, 4, 4, 2), padding_mode="mirror")
    with pytest.raises(ValueError, match=r"expected theta of shape \(2, 2, 3\)"):
        F.affine_grid(tinynn.zeros(1, 2, 3), (2, 1, 4, 4))


@pytest.mark.parametrize("align_corners", [False, True])
@pytest.mark.parametrize("padding_mode", ["zeros", "border", "reflection"])
@pytest.mark.parametrize("mode, dims", [("bilinear", 2), ("nearest", 2), ("bicubic", 2), ("bilinear", 3), ("nearest", 3)])
def test_an_inf_or_nan_pixel_reaches_the_outputs_pytorchs_does(torch, device, mode, dims, padding_mode, align_corners):
    """A tap outside the image reads 0: its clipped pixel was multiplied by a weight of 0, which
    made NaN of an inf pixel at the edge, where PyTorch's kernels skip the tap."""
    shape = (2, 2) + (4,) * dims
    values = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    flat = values.reshape(-1)
    flat[[0, 5, flat.size // 2 + 3, flat.size - 1]] = np.inf, np.inf, -np.inf, np.nan
    grid = np.random.default_rng(1).uniform(-1.3, 1.3, (2,) + (3,) * dims + (dims,)).astype(np.float32)
    ours = F.grid_sample(tinynn.tensor(values, device=device), tinynn.tensor(grid, device=device), mode, padding_mode,
                         align_corners).numpy()
    theirs = torch.nn.functional.grid_sample(torch.tensor(values), torch.tensor(grid), mode, padding_mode,
                                             align_corners).numpy()
    np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-6)
