"""interpolate / Upsample (nearest, nearest-exact, linear, bilinear, bicubic, area) and adaptive average
pooling by their taps (separable matrices): PyTorch parity of outputs and gradients, gradchecks, errors."""
import itertools

import numpy as np
import pytest

import tinynn
from tinynn import nn
from tinynn.autograd import gradcheck
from tinynn.nn import functional as F
from helpers import assert_close, leaf, to_torch

CASES = [  # input shape, keyword arguments
    ((2, 3, 4, 5), dict(scale_factor=2)),
    ((2, 3, 4, 5), dict(size=(7, 3))),
    ((1, 2, 5, 5), dict(scale_factor=2.5)),
    ((1, 2, 3, 3), dict(scale_factor=1.2)),  # the size does not change: PyTorch's shortcut
    ((1, 2, 5, 4), dict(scale_factor=(2.1, 0.5))),  # doubles rows with a factor that is not 2
    ((1, 2, 6, 6), dict(scale_factor=1.7, recompute_scale_factor=True)),
    ((2, 3, 9), dict(size=4)),
    ((2, 3, 4), dict(scale_factor=3)),
]
MODES = {3: ["nearest", "nearest-exact", "linear", "area"], 4: ["nearest", "nearest-exact", "bilinear", "bicubic", "area"]}


def cases():
    for shape, kwargs in CASES:
        for mode in MODES[len(shape)]:
            corner_options = [None, False, True] if mode in ("linear", "bilinear", "bicubic") else [None]
            for align_corners in corner_options:
                if mode == "area" and "scale_factor" in kwargs and kwargs.get("recompute_scale_factor") is None:
                    continue  # PyTorch's area mode takes the output size only
                yield shape, dict(kwargs, mode=mode, align_corners=align_corners)


@pytest.mark.parametrize("shape, kwargs", list(cases()))
def test_interpolate_matches_torch(torch, rng, device, shape, kwargs):
    # float32 checks that indices and weights are computed in PyTorch's precision; bicubic's weights
    # are polynomials PyTorch evaluates in another order, so it is compared exactly in float64
    dtype, tolerance = (np.float64, 1e-10) if kwargs["mode"] == "bicubic" else (np.float32, 1e-5)
    x = leaf(rng.standard_normal(shape), dtype=dtype, device=device)
    tx = to_torch(torch, x, True)
    y = F.interpolate(x, **kwargs)
    ty = torch.nn.functional.interpolate(tx, **kwargs)
    assert y.shape == tuple(ty.shape)
    assert_close(y, ty, rtol=tolerance, atol=tolerance / 10)
    grad = rng.standard_normal(y.shape).astype(dtype)
    y.backward(tinynn.tensor(grad, device=device))
    ty.backward(torch.tensor(grad))
    if kwargs["mode"] == "bicubic" and y.shape == x.shape:
        # PyTorch's bicubic backward copies the gradient when the size is unchanged, although its
        # forward resamples with 1/scale_factor: finite differences of its own forward agree with
        # ours, not with it (checked in test_bicubic_gradient_is_the_derivative_of_the_forward).
        return
    assert_close(x.grad, tx.grad, rtol=tolerance, atol=tolerance)


def test_bicubic_gradient_is_the_derivative_of_the_forward(torch, rng):
    """Same size, scale_factor 1.2: where PyTorch's backward shortcut is wrong, ours is the derivative."""
    x = rng.standard_normal((1, 1, 3, 3))
    weights = rng.standard_normal((1, 1, 3, 3))
    ours = leaf(x)
    (F.interpolate(ours, scale_factor=1.2, mode="bicubic") * tinynn.tensor(weights)).sum().backward()

    def torch_loss(values):
        return float((torch.nn.functional.interpolate(torch.tensor(values), scale_factor=1.2, mode="bicubic")
                      * torch.tensor(weights)).sum())

    eps, numerical = 1e-6, np.zeros_like(x)
    for index in np.ndindex(x.shape):
        plus, minus = x.copy(), x.copy()
        plus[index] += eps
        minus[index] -= eps
        numerical[index] = (torch_loss(plus) - torch_loss(minus)) / (2 * eps)
    np.testing.assert_allclose(ours.grad.numpy(), numerical, atol=1e-8)


@pytest.mark.parametrize("mode, align_corners", [("nearest", None), ("bilinear", False), ("bilinear", True),
                                                  ("bicubic", False), ("area", None)])
def test_interpolate_gradcheck(rng, device, mode, align_corners):
    x = leaf(rng.standard_normal((2, 2, 3, 4)), device=device)
    assert gradcheck(lambda t: F.interpolate(t, size=(5, 3), mode=mode, align_corners=align_corners), [x])


def test_interpolate_keeps_the_memory_layout_it_is_given(rng):
    x = tinynn.tensor(rng.standard_normal((2, 4, 3, 3)).astype(np.float32)).permute(0, 2, 3, 1).permute(0, 3, 1, 2)
    expected = F.interpolate(tinynn.tensor(x.numpy().copy()), scale_factor=2, mode="bilinear").numpy()
    np.testing.assert_array_equal(F.interpolate(x, scale_factor=2, mode="bilinear").numpy(), expected)


@pytest.mark.parametrize("out", [(3, 3), (5, 7), (2, 4)])
def test_adaptive_avg_pool2d_with_uneven_windows_matches_torch(torch, rng, device, out):
    x = leaf(rng.standard_normal((2, 3, 7, 10)), dtype=np.float32, device=device)
    tx = to_torch(torch, x, True)
    y = F.adaptive_avg_pool2d(x, out)
    ty = torch.nn.functional.adaptive_avg_pool2d(tx, out)
    assert_close(y, ty, rtol=1e-5, atol=1e-6)
    grad = rng.standard_normal(y.shape).astype(np.float32)
    y.backward(tinynn.tensor(grad, device=device))
    ty.backward(torch.tensor(grad))
    assert_close(x.grad, tx.grad, rtol=1e-5, atol=1e-6)


def test_upsample_module_is_like_torchs(torch, rng):
    for kwargs in (dict(scale_factor=2), dict(size=(3, 4), mode="bilinear"), dict(scale_factor=(2, 3)),
                   dict(scale_factor=1.5, mode="bilinear", align_corners=True)):
        ours, theirs = nn.Upsample(**kwargs), torch.nn.Upsample(**kwargs)
        assert repr(ours) == repr(theirs)
        x = rng.standard_normal((1, 2, 4, 4)).astype(np.float32)
        assert_close(ours(tinynn.tensor(x)), theirs(torch.tensor(x)), rtol=1e-5, atol=1e-6)
    assert list(nn.Upsample(scale_factor=2).state_dict()) == []


def test_interpolate_errors_name_the_problem():
    x = tinynn.zeros(1, 2, 4, 4)
    with pytest.raises(ValueError, match="give exactly one of size and scale_factor"):
        F.interpolate(x)
    with pytest.raises(ValueError, match="give exactly one of size and scale_factor"):
        F.interpolate(x, size=3, scale_factor=2)
    with pytest.raises(ValueError, match="mode 'linear' needs 3-D input, got 4-D input .* \\(use 'bilinear'\\)"):
        F.interpolate(x, scale_factor=2, mode="linear")
    with pytest.raises(ValueError, match="mode must be 'nearest', 'nearest-exact', 'bilinear' or 'bicubic' or 'area', got 'cubic'"):
        F.interpolate(x, scale_factor=2, mode="cubic")
    with pytest.raises(ValueError, match="align_corners can only be set with mode 'bilinear' or 'bicubic', not 'nearest'"):
        F.interpolate(x, scale_factor=2, align_corners=True)
    with pytest.raises(ValueError, match=r"scale_factor 0.1 makes an empty output from size \(4, 4\)"):
        F.interpolate(x, scale_factor=0.1)
    with pytest.raises(ValueError, match="scale_factor must be a positive number or 2 of them"):
        F.interpolate(x, scale_factor=(2, 2, 2))
    with pytest.raises(ValueError, match=r"recompute_scale_factor=True is meaningful only with a scale_factor, not "
                                         r"with an explicit size \(3, 5\)"):
        F.interpolate(x, size=(3, 5), recompute_scale_factor=True)
    with pytest.raises(ValueError, match=r"size must be positive, got \(0, 3\)"):
        F.interpolate(x, size=(0, 3))
    with pytest.raises(ValueError, match=r"expected 3-D \(N, C, L\), 4-D \(N, C, H, W\) or 5-D \(N, C, D, H, W\) input, got shape \(4, 4\)"):
        F.interpolate(tinynn.zeros(4, 4), size=2)
    with pytest.raises(TypeError, match="floating-point"):
        F.interpolate(tinynn.tensor(np.zeros((1, 1, 2, 2), np.int64)), size=3)


@pytest.mark.parametrize("options", [dict(scale_factor=2), dict(size=(3, 7, 4), mode="nearest-exact"),
                                     dict(size=(6, 3, 9), mode="trilinear"),
                                     dict(scale_factor=(1.5, 2, 0.5), mode="trilinear", align_corners=True),
                                     dict(size=(2, 3, 4), mode="area"),
                                     dict(scale_factor=1.7, mode="trilinear", recompute_scale_factor=True)], ids=str)
def test_volumes_resample_like_torch(options, torch, rng, device):
    """5-D input: the depth axis by its resampling matrix, then every slice as an image."""
    values = rng.standard_normal((2, 3, 4, 5, 6))
    x, tx = tinynn.tensor(values, device=device, requires_grad=True), torch.tensor(values, requires_grad=True)
    out, t_out = F.interpolate(x, **options), torch.nn.functional.interpolate(tx, **options)
    assert_close(out, t_out.detach(), rtol=1e-10, atol=1e-12)
    weights = rng.standard_normal(out.shape)
    (out * tinynn.tensor(weights, device=device)).sum().backward()
    (t_out * torch.tensor(weights)).sum().backward()
    assert_close(x.grad, tx.grad, rtol=1e-9, atol=1e-12)
    assert_close(nn.Upsample(scale_factor=2, mode="trilinear")(x), torch.nn.Upsample(scale_factor=2, mode="trilinear")(tx).detach(),
                 rtol=1e-10, atol=1e-12)
    with pytest.raises(ValueError, match="mode 'trilinear' needs 5-D input"):
        F.interpolate(tinynn.zeros(1, 1, 4, 4), scale_factor=2, mode="trilinear")


def test_the_old_functional_names_match_torch(torch, rng):
    """F.upsample*, F.*_with_indices: PyTorch's older spellings of interpolate and of return_indices."""
    import warnings

    values = rng.random((1, 2, 4, 6))
    ours, theirs = tinynn.tensor(values), torch.tensor(values)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PyTorch warns that these names are deprecated
        pairs = [(F.upsample(ours, scale_factor=2, mode="bilinear"),
                  torch.nn.functional.upsample(theirs, scale_factor=2, mode="bilinear")),
                 (F.upsample_nearest(ours, size=(5, 7)), torch.nn.functional.upsample_nearest(theirs, size=(5, 7))),
                 (F.upsample_bilinear(ours, scale_factor=2), torch.nn.functional.upsample_bilinear(theirs, scale_factor=2))]
    pairs += [(F.max_pool2d_with_indices(ours, 2)[1], torch.nn.functional.max_pool2d_with_indices(theirs, 2)[1]),
              (F.adaptive_max_pool1d_with_indices(ours[0], 4)[1],
               torch.nn.functional.adaptive_max_pool1d_with_indices(theirs[0], 4)[1])]
    for a, b in pairs:
        assert_close(a, b, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("mode", ["bilinear", "bicubic"])
@pytest.mark.parametrize("align_corners", [False, True])
def test_antialiased_resizing_matches_torch(mode, align_corners, torch):
    """Shrinking (by 1.6 to 5x) and growing, to sizes and by scale factors: values and gradients
    equal PyTorch's ``antialias=True`` in float64, and within float32 rounding in float32."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 3, 16, 20))
    for options in (dict(size=(5, 4)), dict(size=(10, 12)), dict(size=(3, 17)), dict(size=(31, 40)),
                    dict(scale_factor=0.3), dict(scale_factor=(0.5, 0.75))):
        if align_corners and "scale_factor" in options:
            continue
        ours_x, theirs_x = tinynn.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        ours = F.interpolate(ours_x, mode=mode, align_corners=align_corners, antialias=True, **options)
        theirs = torch.nn.functional.interpolate(theirs_x, mode=mode, align_corners=align_corners, antialias=True, **options)
        assert_close(ours, theirs.detach(), rtol=1e-12, atol=1e-12, what=f"{options}")
        weights = rng.standard_normal(theirs.shape)
        ours.backward(tinynn.tensor(weights))
        theirs.backward(torch.tensor(weights))
        assert_close(ours_x.grad, theirs_x.grad, rtol=1e-12, atol=1e-12, what=f"{options} grad")
        single = F.interpolate(tinynn.tensor(x.astype(np.float32)), mode=mode, align_corners=align_corners,
                               antialias=True, **options)
        assert single.dtype == np.float32
        assert_close(single, theirs.detach().float(), rtol=1e-5, atol=1e-5, what=f"{options} float32")
    with pytest.raises(ValueError, match="antialias applies to the 'bilinear' and 'bicubic' modes"):
        F.interpolate(tinynn.tensor(x), size=(4, 4), mode="nearest", antialias=True)


@pytest.mark.parametrize("shape, scale_factor", [((1, 2, 3), 2.3), ((1, 1, 3, 3, 2), (1.2, 2.3, 2.0))])
def test_nearest_takes_the_scale_factor_given_outside_2d_as_torch(torch, rng, shape, scale_factor):
    # PyTorch's 1-D and 3-D nearest take floor(i / scale_factor) even where the size is unchanged or
    # doubles (its 2-D kernel alone takes i and i // 2 there): 3 -> 6 rows at 2.3 are 0 0 0 1 1 2
    values = rng.standard_normal(shape)
    y = F.interpolate(tinynn.tensor(values), scale_factor=scale_factor, mode="nearest")
    assert_close(y, torch.nn.functional.interpolate(torch.tensor(values), scale_factor=scale_factor, mode="nearest"),
                 rtol=0, atol=0)
    # the gradient is this forward's (PyTorch's 1-D/3-D backward uses the sizes' ratio instead)
    assert gradcheck(lambda x: F.interpolate(x, scale_factor=scale_factor, mode="nearest"), [leaf(values)])


@pytest.mark.parametrize("options", [dict(scale_factor=2, mode="nearest"), dict(size=(8, 4), mode="bilinear"),
                                     dict(size=(9, 11), mode="bicubic", align_corners=True),
                                     dict(scale_factor=0.5, mode="bilinear", antialias=True)],
                         ids=["nearest x2", "bilinear", "bicubic", "antialiased"])
def test_channels_last_inputs_are_resized_in_their_layout(torch, rng, options, device):
    """A convolution's output lies channels-last: it is resized in that layout, into a channels-last
    result, with the values and gradients of the C-ordered input's (and PyTorch's); a C-ordered input
    gives a C-ordered result, which ``view`` flattens as PyTorch's."""
    values = rng.standard_normal((2, 3, 6, 7)).astype(np.float32)
    grad_shape = F.interpolate(tinynn.tensor(values), **options).shape
    grad = rng.standard_normal(grad_shape).astype(np.float32)
    results = []
    for layout in (tinynn.channels_last, tinynn.contiguous_format):
        x = tinynn.tensor(values, device=device).contiguous(memory_format=layout).requires_grad_()
        y = F.interpolate(x, **options)
        assert y.is_contiguous(memory_format=layout)
        if layout is tinynn.contiguous_format:
            assert y.view(y.shape[0], -1).shape == (y.shape[0], y[0].numel())
        y.backward(tinynn.tensor(grad, device=device))
        results.append((y, x.grad))
    tx = torch.tensor(values, requires_grad=True)
    ty = torch.nn.functional.interpolate(tx, **options)
    ty.backward(torch.tensor(grad))
    for y, gx in results:
        assert_close(y, ty, rtol=1e-5, atol=1e-5, what="forward")
        assert_close(gx, tx.grad, rtol=1e-5, atol=1e-5, what="input grad")


def test_a_classifier_heads_pooling_flattens_with_view(torch, rng):
    """x = adaptive_avg_pool2d(x, 1); x.view(N, -1): PyTorch's classic head, on a C-ordered input."""
    values = rng.standard_normal((4, 6, 5, 7)).astype(np.float32)
    pooled = F.adaptive_avg_pool2d(tinynn.tensor(values), (1, 1)).view(4, -1)
    expected = torch.nn.functional.adaptive_avg_pool2d(torch.tensor(values), (1, 1)).view(4, -1)
    assert_close(pooled, expected, rtol=1e-6, atol=1e-6)
    assert F.adaptive_avg_pool2d(tinynn.tensor(values), (2, 3)).view(4, -1).shape == (4, 36)


def non_finite_cases():
    for shape, sizes, modes in [((2, 3, 9), [4, 9, 13, 27], ["nearest", "linear", "area"]),
                                ((2, 3, 7, 9), [(3, 4), (7, 9), (12, 19), (5, 13), (14, 18)],
                                 ["nearest", "nearest-exact", "bilinear", "bicubic", "area"]),
                                ((2, 3, 4, 5, 6), [(2, 3, 3), (4, 5, 6), (7, 9, 13)], ["nearest", "trilinear", "area"])]:
        for size, mode in itertools.product(sizes, modes):
            for align_corners in ([False, True] if mode in ("linear", "bilinear", "bicubic", "trilinear") else [None]):
                for antialias in ([False, True] if mode in ("bilinear", "bicubic") else [False]):
                    yield shape, dict(size=size, mode=mode, align_corners=align_corners, antialias=antialias)


@pytest.mark.parametrize("shape, kwargs", list(non_finite_cases()))
def test_an_inf_or_nan_pixel_reaches_the_outputs_pytorchs_does(torch, device, shape, kwargs):
    """An inf or NaN pixel spoils only the outputs whose taps read it, zero weights included, as in
    PyTorch's kernels. (A product with the interpolation matrices multiplies every pixel of a
    column, so the forward gathers the taps when the input is not finite.)"""
    values = np.arange(np.prod(shape), dtype=np.float32).reshape(shape) % 7 - 3
    flat = values.reshape(-1)
    flat[[5, flat.size // 2, flat.size - 4]] = float("inf"), float("-inf"), float("nan")
    ours = F.interpolate(tinynn.tensor(values, device=device), **kwargs).numpy()
    theirs = torch.nn.functional.interpolate(torch.tensor(values), **kwargs).numpy()
    np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-5)  # NaN where NaN, the same inf where inf


@pytest.mark.parametrize("shape, size", [((2, 3, 9), 4), ((2, 3, 7, 9), (3, 4)), ((2, 3, 7, 9), (5, 7)),
                                         ((2, 3, 4, 5, 6), (3, 2, 4))])
def test_adaptive_average_pooling_of_non_finite_pixels_is_pytorchs(torch, device, shape, size):
    values = np.arange(np.prod(shape), dtype=np.float32).reshape(shape) % 7 - 3
    flat = values.reshape(-1)
    flat[[5, flat.size // 2, flat.size - 4]] = float("inf"), float("-inf"), float("nan")
    pool = f"adaptive_avg_pool{len(shape) - 2}d"
    ours = getattr(F, pool)(tinynn.tensor(values, device=device), size).numpy()
    theirs = getattr(torch.nn.functional, pool)(torch.tensor(values), size).numpy()
    np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-5)
