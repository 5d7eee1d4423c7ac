"""tinynn.fft: every transform's values and gradients against PyTorch's torch.fft and finite
differences, its sizes, dimensions and norms, round trips, the helpers, bad input, and the GPU path."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinynn
from tinynn.autograd import gradcheck, gradgradcheck

RNG = np.random.default_rng(11)


def signal(shape, complex_values, dtype=np.float64):
    values = RNG.standard_normal(shape)
    if complex_values:
        values = values + 1j * RNG.standard_normal(shape)
        dtype = np.complex128 if dtype == np.float64 else np.complex64
    return values.astype(dtype)


# (function name, input shape, complex input, keyword arguments)
CASES = [
    ("fft", (3, 8), True, {}), ("fft", (3, 8), False, {"n": 5}), ("fft", (4, 6), True, {"n": 9, "dim": 0}),
    ("ifft", (3, 7), True, {"norm": "ortho"}), ("ifft", (5,), False, {"norm": "forward", "n": 8}),
    ("fft2", (2, 4, 6), True, {}), ("fft2", (4, 6), False, {"s": (3, 8), "norm": "ortho"}),
    ("ifft2", (2, 4, 6), True, {"dim": (0, 2), "norm": "forward"}),
    ("fftn", (2, 3, 4), True, {}), ("fftn", (2, 3, 4), False, {"s": (5, 2)}), ("ifftn", (3, 4), True, {"dim": 1}),
    ("rfft", (3, 8), False, {}), ("rfft", (3, 7), False, {"n": 10, "norm": "ortho"}),
    ("rfft", (6, 3), False, {"dim": 0, "norm": "forward"}),
    ("irfft", (3, 5), True, {}), ("irfft", (3, 5), True, {"n": 9}), ("irfft", (3, 5), True, {"n": 4, "norm": "ortho"}),
    ("irfft", (4, 3), False, {"dim": 0, "norm": "forward"}),
    ("rfft2", (2, 4, 6), False, {}), ("irfft2", (4, 4), True, {"s": (4, 7)}),
    ("rfftn", (2, 3, 5), False, {"norm": "ortho"}), ("irfftn", (2, 3, 5), True, {}),
    ("irfftn", (3, 4), True, {"s": (5, 5), "norm": "forward"}),
    ("hfft", (3, 5), True, {}), ("hfft", (6,), True, {"n": 11, "norm": "ortho"}),
    ("ihfft", (3, 8), False, {}), ("ihfft", (7,), False, {"n": 5, "norm": "forward"}),
    ("hfft2", (3, 4), True, {"s": (3, 5)}), ("ihfft2", (4, 6), False, {"norm": "ortho"}),
    ("hfftn", (2, 3, 4), True, {"norm": "forward"}), ("ihfftn", (2, 3, 4), False, {}),
]
IDS = [f"{name}-{shape}-{'c' if complex_values else 'r'}-{kwargs}" for name, shape, complex_values, kwargs in CASES]


@pytest.mark.parametrize("name, shape, complex_values, kwargs", CASES, ids=IDS)
def test_values_and_gradients_equal_pytorchs(torch, name, shape, complex_values, kwargs):
    values = signal(shape, complex_values)
    x = tinynn.tensor(values, requires_grad=True)
    tx = torch.tensor(values, requires_grad=True)
    y = getattr(tinynn.fft, name)(x, **kwargs)
    ty = getattr(torch.fft, name)(tx, **kwargs)
    assert y.shape == tuple(ty.shape)
    assert y.dtype == np.dtype(str(ty.dtype).replace("torch.", ""))
    np.testing.assert_allclose(y.detach().numpy(), ty.detach().resolve_conj().numpy(), rtol=1e-12, atol=1e-12)
    weights = signal(y.shape, y.dtype.kind == "c")
    y.backward(tinynn.tensor(weights))
    ty.backward(torch.tensor(weights))
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.resolve_conj().numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name, shape, complex_values, kwargs", CASES, ids=IDS)
def test_gradients_match_finite_differences(name, shape, complex_values, kwargs):
    x = tinynn.tensor(signal(shape, complex_values), requires_grad=True)
    function = getattr(tinynn.fft, name)
    assert gradcheck(lambda t: function(t, **kwargs), [x])


@pytest.mark.parametrize("name, kwargs, complex_values", [
    ("fft", {"n": 6}, True), ("rfft", {"norm": "ortho"}, False), ("irfft", {"n": 7}, True), ("hfft", {}, True),
    ("ihfftn", {}, False),
])
def test_second_derivatives(name, kwargs, complex_values):
    x = tinynn.tensor(signal((2, 5), complex_values), requires_grad=True)
    function = getattr(tinynn.fft, name)
    # |y|^2 makes the second derivative nonzero (the transforms themselves are linear)
    assert gradgradcheck(lambda t: function(t, **kwargs).abs() ** 2, [x])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_precision_is_kept(dtype):
    x = tinynn.tensor(signal((4, 6), False, dtype))
    complex_type = np.complex64 if dtype == np.float32 else np.complex128
    assert tinynn.fft.fft(x).dtype == complex_type
    assert tinynn.fft.rfft(x).dtype == complex_type
    assert tinynn.fft.irfft(tinynn.fft.rfft(x)).dtype == dtype
    assert tinynn.fft.fft(tinynn.arange(4)).dtype == np.complex64  # integers as the default float


@given(st.integers(1, 9), st.integers(1, 4), st.sampled_from(["backward", "forward", "ortho"]))
def test_round_trips(n, rows, norm):
    x = tinynn.tensor(signal((rows, n), False))
    back = tinynn.fft.ifft(tinynn.fft.fft(x, norm=norm), norm=norm)
    np.testing.assert_allclose(back.numpy(), x.numpy(), atol=1e-12)
    np.testing.assert_allclose(tinynn.fft.irfft(tinynn.fft.rfft(x, norm=norm), n=n, norm=norm).numpy(), x.numpy(),
                               atol=1e-12)
    np.testing.assert_allclose(tinynn.fft.irfftn(tinynn.fft.rfftn(x, norm=norm), s=x.shape, norm=norm).numpy(),
                               x.numpy(), atol=1e-12)


def test_parseval_with_ortho():
    x = tinynn.tensor(signal((3, 16), True))
    energy = (x.abs() ** 2).sum()
    np.testing.assert_allclose((tinynn.fft.fftn(x, norm="ortho").abs() ** 2).sum().item(), energy.item(), rtol=1e-13)


def test_convolution_theorem_trains_a_filter():
    """A circular convolution done as fft -> multiply -> ifft is differentiable in the filter:
    gradient descent recovers the filter that produced the target."""
    signal_values = tinynn.tensor(signal((8, 32), False))
    true_filter = tinynn.tensor(signal((32,), False))
    target = tinynn.fft.irfft(tinynn.fft.rfft(signal_values) * tinynn.fft.rfft(true_filter), n=32)
    learned = tinynn.zeros(32, dtype=tinynn.float64, requires_grad=True)
    optimizer = tinynn.optim.Adam([learned], lr=0.05)
    for _ in range(400):
        optimizer.zero_grad()
        output = tinynn.fft.irfft(tinynn.fft.rfft(signal_values) * tinynn.fft.rfft(learned), n=32)
        ((output - target) ** 2).mean().backward()
        optimizer.step()
    np.testing.assert_allclose(learned.detach().numpy(), true_filter.numpy(), atol=1e-3)


def test_frequencies_and_shifts_equal_pytorchs(torch):
    for n in (1, 4, 7):
        for d in (1.0, 0.1):
            np.testing.assert_allclose(tinynn.fft.fftfreq(n, d).numpy(), torch.fft.fftfreq(n, d).numpy())
            np.testing.assert_allclose(tinynn.fft.rfftfreq(n, d).numpy(), torch.fft.rfftfreq(n, d).numpy())
    assert tinynn.fft.fftfreq(4).dtype == np.float32
    assert tinynn.fft.fftfreq(4, dtype=tinynn.float64).dtype == np.float64
    values = np.arange(35.0).reshape(5, 7)
    for dim in (None, 0, (0, 1), -1):
        np.testing.assert_array_equal(tinynn.fft.fftshift(tinynn.tensor(values), dim).numpy(),
                                      torch.fft.fftshift(torch.tensor(values), dim).numpy())
        np.testing.assert_array_equal(tinynn.fft.ifftshift(tinynn.tensor(values), dim).numpy(),
                                      torch.fft.ifftshift(torch.tensor(values), dim).numpy())


def test_out_argument():
    x = tinynn.tensor(signal((4,), True))
    out = tinynn.zeros(4, dtype=tinynn.complex128)
    result = tinynn.fft.fft(x, out=out)
    assert result is out
    np.testing.assert_allclose(out.numpy(), np.fft.fft(x.numpy()))


@pytest.mark.parametrize("call, error, message", [
    (lambda x: tinynn.fft.fft(x, norm="unitary"), ValueError, "norm must be one of backward, forward, ortho"),
    (lambda x: tinynn.fft.fft(x, dim=2), IndexError, "dimension 2 is out of range"),
    (lambda x: tinynn.fft.fft(x, n=0), ValueError, r"invalid number of data points \(0\)"),
    (lambda x: tinynn.fft.fftn(x, s=(2, 2, 2), dim=(0, 1)), ValueError, "s has 3 sizes for 2 dimensions"),
    (lambda x: tinynn.fft.fft2(x, dim=(1, 1)), ValueError, "dimensions must be distinct"),
    (lambda x: tinynn.fft.rfft(x * 1j), TypeError, "expects a real input tensor"),
    (lambda x: tinynn.fft.irfft(x[:, :1]), ValueError, "give n or s"),
    (lambda x: tinynn.fft.fft(x.numpy()), TypeError, "expected a Tensor, got ndarray"),
    (lambda x: tinynn.fft.fftfreq(0), ValueError, "n must be a positive integer"),
    # an empty dimension as it is (these failed inside NumPy's FFT)
    (lambda x: tinynn.fft.fft(x[:, :0]), ValueError, r"fft: invalid number of data points \(0\) along dimension 1"),
    (lambda x: tinynn.fft.rfft(x[:0], dim=0), ValueError, r"rfft: invalid number of data points \(0\) along dimension 0"),
    (lambda x: tinynn.fft.fft2(x[:0]), ValueError, r"fft2: invalid number of data points \(0\) along dimension 0"),
    (lambda x: tinynn.fft.irfftn(x[:0]), ValueError, r"irfftn: invalid number of data points \(0\) along dimension 0"),
])
def test_bad_input_is_named(call, error, message):
    with pytest.raises(error, match=message):
        call(tinynn.ones(3, 4))


def test_every_device_agrees_with_the_cpu(device):
    values = signal((4, 6), False, np.float32)
    results = {}
    for where in ("cpu", device):
        x = tinynn.tensor(values, device=where, requires_grad=True)
        spectrum = tinynn.fft.rfft2(x)
        loss = (tinynn.fft.irfft2(spectrum * spectrum.conj(), s=x.shape).sum()
                + tinynn.fft.fft(x, norm="ortho").abs().sum() + tinynn.fft.ihfft(x).imag.sum())
        loss.backward()
        results[where] = (loss.item(), x.grad.to("cpu").numpy())
    np.testing.assert_allclose(results[device][0], results["cpu"][0], rtol=1e-5)
    np.testing.assert_allclose(results[device][1], results["cpu"][1], rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("name", ["fft", "ifft", "rfft", "irfft", "hfft", "ihfft"])
def test_the_1d_transforms_take_one_dim_as_pytorchs(name):
    """(A tuple of dims ran the N-D transform; PyTorch's 1-D functions refuse it.)"""
    x = tinynn.randn(3, 8)
    with pytest.raises(TypeError, match=rf"{name}\(\): argument 'dim' must be int, not tuple \(for several dims use {name}n\)"):
        getattr(tinynn.fft, name)(x, dim=(0, 1))
    with pytest.raises(TypeError, match=rf"{name}\(\): argument 'n' must be int, not float"):
        getattr(tinynn.fft, name)(x, n=4.0)
