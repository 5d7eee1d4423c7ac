"""max_pool2d (and its indices, max_unpool2d), avg_pool2d, adaptive_avg_pool2d, adaptive_max_pool2d:
gradchecks, -inf padding, tie routing, PyTorch parity."""
import numpy as np
import pytest
from hypothesis import given, strategies as st

import tinynn
from tinynn import nn
from tinynn.autograd import gradcheck
from tinynn.nn import functional as F
from helpers import assert_close, distinct, leaf, to_torch


@st.composite
def pool_case(draw):
    k = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    stride = draw(st.one_of(st.none(), st.tuples(st.integers(1, 3), st.integers(1, 3))))
    padding = (draw(st.integers(0, k[0] // 2)), draw(st.integers(0, k[1] // 2)))
    h, w = draw(st.integers(k[0], 7)), draw(st.integers(k[1], 7))
    return (draw(st.integers(1, 2)), draw(st.integers(1, 3)), h, w), k, stride, padding, draw(st.booleans())


@given(case=pool_case(), dilation=st.sampled_from([1, 1, 2]), seed=st.integers(0, 2 ** 16))
def test_max_pool_gradcheck_including_overlapping_dilated_and_ceil_mode_windows(case, dilation, seed, device):
    shape, kernel, stride, padding, ceil_mode = case
    shape = shape[:2] + tuple(max(size, dilation * (k - 1) + 1) for size, k in zip(shape[2:], kernel))
    x = leaf(distinct(shape, np.random.default_rng(seed)), device=device)  # no ties
    assert gradcheck(lambda t: F.max_pool2d(t, kernel, stride, padding, dilation, ceil_mode), [x])


@given(case=pool_case(), count_include_pad=st.booleans(), seed=st.integers(0, 2 ** 16))
def test_avg_pool_gradcheck_including_overlapping_and_ceil_mode_windows(case, count_include_pad, seed, device):
    shape, kernel, stride, padding, ceil_mode = case
    x = leaf(np.random.default_rng(seed).standard_normal(shape), device=device)
    assert gradcheck(lambda t: F.avg_pool2d(t, kernel, stride, padding, ceil_mode, count_include_pad), [x])


def test_pooling_layers_repr_and_options(torch):
    layer = tinynn.nn.MaxPool2d(3, 2, 1, dilation=2, ceil_mode=True)
    assert repr(layer) == repr(torch.nn.MaxPool2d(3, 2, 1, dilation=2, ceil_mode=True))  # the arguments as given
    assert repr(layer) == "MaxPool2d(kernel_size=3, stride=2, padding=1, dilation=2, ceil_mode=True)"
    avg = tinynn.nn.AvgPool2d(2, ceil_mode=True, count_include_pad=False)
    assert repr(avg) == "AvgPool2d(kernel_size=2, stride=2, padding=0, ceil_mode=True, count_include_pad=False)"
    assert repr(tinynn.nn.AvgPool2d((2, 3))) == repr(torch.nn.AvgPool2d((2, 3)))
    x = np.random.default_rng(0).standard_normal((1, 2, 5, 5)).astype(np.float32)
    for ours, theirs in ((layer, torch.nn.MaxPool2d(3, 2, 1, dilation=2, ceil_mode=True)),
                         (avg, torch.nn.AvgPool2d(2, ceil_mode=True, count_include_pad=False))):
        assert_close(ours(tinynn.tensor(x)), theirs(torch.tensor(x)))
    with pytest.raises(ValueError, match="divisor_override must be a positive int or None, got 0"):
        F.avg_pool2d(tinynn.tensor(x), 2, divisor_override=0)


@pytest.mark.parametrize("name,options", [
    ("max_pool2d", {}), ("max_pool2d", dict(dilation=2)), ("max_pool2d", dict(dilation=(1, 2), ceil_mode=True)),
    ("avg_pool2d", {}), ("avg_pool2d", dict(ceil_mode=True)), ("avg_pool2d", dict(ceil_mode=True, count_include_pad=False)),
    ("avg_pool2d", dict(count_include_pad=False)), ("avg_pool2d", dict(divisor_override=5)),
], ids=lambda value: "-".join(f"{k}={v}" for k, v in value.items()) if isinstance(value, dict) else value)
@pytest.mark.parametrize("kernel,stride,padding", [(2, None, 0), (3, 1, 1), (3, 2, 1), ((2, 3), (1, 2), (1, 1))])
def test_pooling_matches_torch(torch, rng, name, options, kernel, stride, padding, device):
    x = leaf(rng.standard_normal((2, 3, 7, 6)), dtype=np.float32, device=device)
    tx = to_torch(torch, x, True)
    y = getattr(F, name)(x, kernel, stride, padding, **options)
    ty = getattr(torch.nn.functional, name)(tx, kernel, stride, padding, **options)
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


@pytest.mark.parametrize("requires_grad", [False, True])
def test_max_pool_padding_and_nan_like_torch(torch, requires_grad, device):
    """Padding never wins (all-negative windows), a NaN wins its windows and takes their gradient,
    whether or not the argmax is kept (it is only when a gradient is wanted)."""
    values = -np.arange(1, 26, dtype=np.float32).reshape(1, 1, 5, 5)
    values[0, 0, 3, 1] = np.nan
    x = tinynn.tensor(values, device=device, requires_grad=requires_grad)
    tx = torch.tensor(values, requires_grad=requires_grad)
    y, ty = F.max_pool2d(x, 3, stride=2, padding=1), torch.nn.functional.max_pool2d(tx, 3, stride=2, padding=1)
    np.testing.assert_array_equal(y.numpy(), ty.detach().numpy())
    assert np.isnan(y.numpy()).sum() == 4 and (y.numpy()[~np.isnan(y.numpy())] < 0).all()
    if requires_grad:
        y.sum().backward(), ty.sum().backward()
        np.testing.assert_array_equal(x.grad.numpy(), tx.grad.numpy())


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
    with pytest.raises(ValueError, match=r"max_pool2d: the output would have size \(0, 0\) for input size \(3, 3\) "
                                         r"\(kernel \(5, 5\).*the window is larger than the padded input"):
        F.max_pool2d(tinynn.zeros(1, 1, 3, 3), 5)


def test_a_ceil_mode_window_may_reach_past_the_input_as_in_torch(torch):
    values = np.arange(2 * 3 * 16, dtype=np.float64).reshape(2, 3, 4, 4) * 0.1
    options = dict(kernel_size=(3, 2), stride=3, dilation=(2, 1), ceil_mode=True)  # a 5-row span over 4 rows
    for ours, theirs in ((tinynn.nn.MaxPool2d(**options), torch.nn.MaxPool2d(**options)),
                         (tinynn.nn.AvgPool2d((5, 2), 3, ceil_mode=True), torch.nn.AvgPool2d((5, 2), 3, ceil_mode=True))):
        x, tx = tinynn.tensor(values, requires_grad=True), torch.tensor(values, requires_grad=True)
        out, t_out = ours(x), theirs(tx)
        assert_close(out, t_out.detach(), rtol=1e-12, atol=1e-12)
        out.sum().backward()
        t_out.sum().backward()
        assert_close(x.grad, tx.grad, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name,options", [("max_pool1d", dict(kernel_size=3, stride=2, padding=1)),
                                          ("max_pool1d", dict(kernel_size=2, dilation=2, ceil_mode=True)),
                                          ("avg_pool1d", dict(kernel_size=3, stride=2, padding=1, count_include_pad=False)),
                                          ("avg_pool1d", dict(kernel_size=2, ceil_mode=True))])
def test_1d_pooling_matches_torch_and_gradchecks(torch, rng, name, options, device):
    x = leaf(distinct((2, 3, 9), rng), device=device)
    pool = getattr(F, name)
    assert gradcheck(lambda t: pool(t, **options), [x])
    tx = to_torch(torch, x, True)
    y, ty = pool(x, **options), getattr(torch.nn.functional, name)(tx, **options)
    assert_close(y, ty, what="forward")
    y.sum().backward()
    ty.sum().backward()
    assert_close(x.grad, tx.grad, what="backward")
    layer = (tinynn.nn.MaxPool1d if name == "max_pool1d" else tinynn.nn.AvgPool1d)(**options)
    assert_close(layer(x), ty, what="module")


@pytest.mark.parametrize("options", [dict(kernel_size=2), dict(kernel_size=3, padding=1), dict(kernel_size=3, stride=2, padding=1),
                                     dict(kernel_size=3, stride=2, dilation=2, ceil_mode=True)], ids=str)
def test_max_pool_indices_and_unpooling_match_torch(torch, rng, device, options):
    x = leaf(distinct((2, 3, 9, 8), rng), dtype=np.float32, device=device)
    output, indices = F.max_pool2d(x, return_indices=True, **options)
    t_output, t_indices = torch.nn.functional.max_pool2d(to_torch(torch, x), return_indices=True, **options)
    assert indices.dtype == np.int64
    np.testing.assert_array_equal(indices.numpy(), t_indices.numpy())
    assert_close(output, t_output)
    unpool_options = {key: options[key] for key in ("kernel_size", "stride", "padding") if key in options}
    # Unpooling is checked where windows do not overlap: overlapping ones can share a maximum, and
    # then which of the values written to it survives is unspecified (in PyTorch too).
    if options.get("stride", options["kernel_size"]) == options["kernel_size"]:
        values = leaf(rng.standard_normal(output.shape), device=device)
        tv = to_torch(torch, values, True)
        ours = nn.MaxUnpool2d(**unpool_options)(values, indices, output_size=(9, 8))
        theirs = torch.nn.MaxUnpool2d(**unpool_options)(tv, t_indices, output_size=(9, 8))
        assert_close(ours, theirs, rtol=0, atol=0)
        assert gradcheck(lambda v: F.max_unpool2d(v, indices, output_size=(9, 8), **unpool_options), [values])
        grad = rng.standard_normal(ours.shape)
        ours.backward(tinynn.tensor(grad, device=device))
        theirs.backward(torch.tensor(grad))
        assert_close(values.grad, tv.grad)
    pooled_1d, indices_1d = nn.MaxPool1d(3, 2, return_indices=True)(x.reshape(2, 3, 72))
    t_pooled_1d, t_indices_1d = torch.nn.MaxPool1d(3, 2, return_indices=True)(to_torch(torch, x).reshape(2, 3, 72))
    np.testing.assert_array_equal(indices_1d.numpy(), t_indices_1d.numpy())


@pytest.mark.parametrize("out", [(3, 4), (4, 3), (2, 2), (9, 5)])
def test_adaptive_max_pool_matches_torch(torch, rng, device, out):
    x = leaf(distinct((2, 3, 9, 8), rng), device=device)
    assert gradcheck(lambda t: F.adaptive_max_pool2d(t, out), [x])
    tx = to_torch(torch, x, True)
    (ours, indices), (theirs, t_indices) = (nn.AdaptiveMaxPool2d(out, return_indices=True)(x),
                                            torch.nn.AdaptiveMaxPool2d(out, return_indices=True)(tx))
    assert_close(ours, theirs)
    np.testing.assert_array_equal(indices.numpy(), t_indices.numpy())
    grad = rng.standard_normal(ours.shape)
    ours.backward(tinynn.tensor(grad, device=device))
    theirs.backward(torch.tensor(grad))
    assert_close(x.grad, tx.grad)


def test_unpooling_checks_its_indices(device):
    values = tinynn.zeros(1, 1, 2, 2, device=device)
    with pytest.raises(ValueError, match=r"expected integer indices of the input's shape \(1, 1, 2, 2\)"):
        F.max_unpool2d(values, tinynn.zeros(1, 1, 2, 2, device=device), 2)
    with pytest.raises(IndexError, match=r"index 16 is outside the \(4, 4\) output plane"):
        F.max_unpool2d(values, tinynn.tensor(np.full((1, 1, 2, 2), 16), device=device), 2).numpy()


FRACTIONAL = {
    "2d size": (lambda L, x, s: L.nn.FractionalMaxPool2d(2, output_size=(6, 5), return_indices=True,
                                                       _random_samples=s), (2, 3, 11, 9)),
    "2d ratio": (lambda L, x, s: L.nn.FractionalMaxPool2d((3, 2), output_ratio=0.6, return_indices=True,
                                                        _random_samples=s), (2, 3, 11, 9)),
    "2d one output": (lambda L, x, s: L.nn.FractionalMaxPool2d(2, output_size=1, return_indices=True,
                                                             _random_samples=s), (2, 3, 5, 5)),
    "3d": (lambda L, x, s: L.nn.FractionalMaxPool3d(2, output_ratio=(0.5, 0.6, 0.7), return_indices=True,
                                                  _random_samples=s), (2, 2, 7, 8, 9)),
}


@pytest.mark.parametrize("name", list(FRACTIONAL))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_fractional_max_pooling_matches_torch(name, dtype, torch, rng, device):
    """The same random samples give the same windows (computed in the input's dtype, as PyTorch),
    maxima, indices and gradients."""
    build, shape = FRACTIONAL[name]
    values = rng.standard_normal(shape).round(1).astype(dtype)  # rounded: ties, where the first maximum wins
    samples = rng.random(shape[:2] + (len(shape) - 2,)).astype(dtype)
    x, tx = tinynn.tensor(values, device=device, requires_grad=True), torch.tensor(values, requires_grad=True)
    (out, indices) = build(tinynn, x, tinynn.tensor(samples, device=device))(x)
    (t_out, t_indices) = build(torch, tx, torch.tensor(samples))(tx)
    assert indices.numpy().tolist() == t_indices.tolist()
    assert_close(out, t_out.detach(), what=name)
    weights = rng.standard_normal(out.shape).astype(dtype)
    (out * tinynn.tensor(weights, device=device)).sum().backward()
    (t_out * torch.tensor(weights)).sum().backward()
    assert_close(x.grad, tx.grad, what=f"{name} gradient")


def test_fractional_max_pooling_draws_its_windows_from_the_seeded_generator():
    x = tinynn.tensor(np.random.default_rng(0).standard_normal((2, 3, 10, 10)))
    pool = tinynn.nn.FractionalMaxPool2d(2, output_ratio=0.7)  # (window starts 8/6 apart: they vary with the draw)
    tinynn.manual_seed(4)
    first, second = pool(x), pool(x)
    tinynn.manual_seed(4)
    np.testing.assert_array_equal(pool(x).numpy(), first.numpy())
    assert first.shape == (2, 3, 7, 7) and not np.array_equal(first.numpy(), second.numpy())
    with pytest.raises(ValueError, match="give exactly one of output_size and output_ratio"):
        tinynn.nn.FractionalMaxPool2d(2)
    with pytest.raises(ValueError, match="an output of size 9 with pool size 3 needs an input of at least 11, got 10"):
        F.fractional_max_pool2d(x, 3, output_size=9)
    with pytest.raises(ValueError, match=r"expected _random_samples of shape \(2, 3, 2\)"):
        F.fractional_max_pool2d(x, 2, output_size=4, _random_samples=tinynn.zeros(2, 3, 3))


@pytest.mark.parametrize("dims", [1, 2, 3])
def test_windows_whose_taps_all_fall_in_the_padding_give_minus_infinity_and_index_minus_one(torch, device, dims):
    """A dilated window can miss the input entirely (taps at -1 and +1 of a 1-wide input): PyTorch
    gives -inf there; its index is then -1 here (PyTorch's points nowhere in particular, and its
    backward writes out of bounds, so only the values and our gradient are compared)."""
    values = np.arange(1.0, 1 + 2 * 5 ** (dims - 1)).reshape((1, 2) + (5,) * (dims - 1) + (1,))
    kernel, stride, padding, dilation = (2,) * dims, (2,) * (dims - 1) + (1,), (0,) * (dims - 1) + (1,), (1,) * (dims - 1) + (2,)
    ours = getattr(F, f"max_pool{dims}d")
    theirs = getattr(torch.nn.functional, f"max_pool{dims}d")
    x = tinynn.tensor(values, device=device, requires_grad=True)
    y, indices = ours(x, kernel, stride, padding, dilation, return_indices=True)
    expected = theirs(torch.tensor(values), kernel, stride, padding, dilation)
    assert y.shape == tuple(expected.shape)
    assert np.isneginf(y.numpy()).all() and np.isneginf(expected.numpy()).all()
    assert (indices.numpy() == -1).all()
    (y * 0 + 1).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.zeros_like(values))


def test_unpooling_names_the_mark_of_an_empty_window():
    with pytest.raises(IndexError, match=r"index -1 \(max pooling's mark of a window that held only padding\) is "
                                         r"outside the \(2, 4\) output plane"):
        F.max_unpool2d(tinynn.zeros(1, 1, 1, 2), tinynn.tensor([[[[-1, 1]]]]), 2, output_size=(2, 4))


@pytest.mark.parametrize("kernel,stride,padding,dilation,ceil_mode", [
    (2, 2, 0, 1, False), (2, 2, 1, 1, True), (3, 3, 1, 1, False), ((2, 1), (3, 2), 0, 1, True), (2, 3, 0, 2, False),
])
def test_max_pool_backward_over_windows_apart_writes_what_adding_up_gives(monkeypatch, kernel, stride, padding, dilation,
                                                                          ceil_mode):
    """Windows that share no position (each spans at most the stride): the gradient is written into
    place, zeros only where no window reaches; the same values as adding it up, with ties and NaN."""
    from tinynn.nn.functional.pooling import MaxPool2d

    rng = np.random.default_rng(4)
    values = rng.integers(0, 3, (3, 4, 9, 8)).astype(np.float32)  # many ties
    values[0, 0, 1, 1] = np.nan

    def gradient(apart):
        monkeypatch.setattr(MaxPool2d, "_windows_apart", lambda self: apart)
        x = tinynn.tensor(values, requires_grad=True)
        y = F.max_pool2d(x, kernel, stride, padding, dilation, ceil_mode)
        y.backward(tinynn.tensor(np.random.default_rng(5).standard_normal(y.shape).astype(np.float32)))
        return x.grad.numpy()

    np.testing.assert_array_equal(gradient(True), gradient(False))
