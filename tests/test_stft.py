"""tinynn.stft / istft: values and gradients (to the signal and the window) against PyTorch's and
finite differences, round trips, complex signals, and bad input."""
import warnings

import numpy as np
import pytest

import tinynn
from tinynn.autograd import gradcheck

RNG = np.random.default_rng(5)

# keyword arguments shared by stft and istft (pad_mode is stft's alone), and whether a Hann window is given
CASES = [
    ({"n_fft": 16}, False), ({"n_fft": 16, "hop_length": 5, "win_length": 10}, True),
    ({"n_fft": 15, "center": False, "normalized": True}, False), ({"n_fft": 16, "onesided": False}, True),
    ({"n_fft": 8, "hop_length": 2, "pad_mode": "constant"}, True), ({"n_fft": 12, "pad_mode": "replicate"}, False),
]


def _split(kwargs):
    return kwargs, {k: v for k, v in kwargs.items() if k != "pad_mode"}


@pytest.mark.parametrize("kwargs, hann", CASES, ids=[str(c) for c in CASES])
def test_stft_and_istft_equal_pytorchs_with_gradients(torch, kwargs, hann):
    forward_kwargs, inverse_kwargs = _split(kwargs)
    signal = RNG.standard_normal((2, 60))
    window = np.hanning(kwargs.get("win_length", kwargs["n_fft"]) + 1)[:-1] + 0.1 if hann else None
    x, tx = tinynn.tensor(signal, requires_grad=True), torch.tensor(signal, requires_grad=True)
    w = tinynn.tensor(window, requires_grad=True) if hann else None
    tw = torch.tensor(window, requires_grad=True) if hann else None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PyTorch's about rectangular windows
        spectrum = tinynn.stft(x, window=w, return_complex=True, **forward_kwargs)
        theirs = torch.stft(tx, window=tw, return_complex=True, **forward_kwargs)
        np.testing.assert_allclose(spectrum.detach().numpy(), theirs.detach().numpy(), rtol=1e-12, atol=1e-12)
        length = 60 if kwargs.get("center", True) else None
        back = tinynn.istft(spectrum * spectrum.abs(), window=w, length=length, **inverse_kwargs)
        their_back = torch.istft(theirs * theirs.abs(), window=tw, length=length, **inverse_kwargs)
    np.testing.assert_allclose(back.detach().numpy(), their_back.detach().numpy(), rtol=1e-10, atol=1e-12)
    weights = RNG.standard_normal(back.shape)
    back.backward(tinynn.tensor(weights))
    their_back.backward(torch.tensor(weights))
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-9, atol=1e-10)
    if hann:
        np.testing.assert_allclose(w.grad.numpy(), tw.grad.numpy(), rtol=1e-9, atol=1e-10)


@pytest.mark.parametrize("kwargs, hann", CASES[:4], ids=[str(c) for c in CASES[:4]])
def test_gradients_match_finite_differences(kwargs, hann):
    forward_kwargs, inverse_kwargs = _split(kwargs)
    x = tinynn.tensor(RNG.standard_normal(40), requires_grad=True)
    size = kwargs.get("win_length", kwargs["n_fft"])
    w = tinynn.tensor(np.hanning(size + 1)[:-1] + 0.1, requires_grad=True)
    assert gradcheck(lambda s, v: tinynn.stft(s, window=v, return_complex=True, **forward_kwargs), [x, w])
    spectrum = tinynn.stft(x, window=w, return_complex=True, **forward_kwargs).detach().requires_grad_()
    assert gradcheck(lambda z, v: tinynn.istft(z, window=v, **inverse_kwargs), [spectrum, w])


@pytest.mark.parametrize("n_fft, hop", [(16, 4), (15, 5), (32, 8), (7, 1)])
def test_round_trip_recovers_the_signal(n_fft, hop):
    signal = tinynn.tensor(RNG.standard_normal((3, 101)))
    window = tinynn.hann_window(n_fft, dtype=tinynn.float64)
    spectrum = tinynn.stft(signal, n_fft, hop, window=window, return_complex=True)
    back = tinynn.istft(spectrum, n_fft, hop, window=window, length=101)
    np.testing.assert_allclose(back.numpy(), signal.numpy(), atol=1e-12)
    assert signal.stft(n_fft, hop, window=window, return_complex=True).shape == spectrum.shape


def test_complex_signals_and_the_real_pair_layout(torch):
    values = RNG.standard_normal((50,)) + 1j * RNG.standard_normal((50,))
    ours = tinynn.stft(tinynn.tensor(values), 8, window=tinynn.hann_window(8, dtype=tinynn.float64))
    theirs = torch.stft(torch.tensor(values), 8, window=torch.hann_window(8, dtype=torch.float64), return_complex=True)
    assert ours.shape == (8, 26)  # complex: two-sided, and complex by default
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-12, atol=1e-12)
    back = tinynn.istft(ours, 8, window=tinynn.hann_window(8, dtype=tinynn.float64), return_complex=True, length=50)
    np.testing.assert_allclose(back.numpy(), values, atol=1e-12)
    pairs = tinynn.stft(tinynn.tensor(values.real), 8, return_complex=False)
    assert pairs.shape == (5, 26, 2)
    np.testing.assert_array_equal(pairs.numpy(), tinynn.view_as_real(tinynn.stft(tinynn.tensor(values.real), 8,
                                                                                  return_complex=True)).numpy())


def test_float32_stays_float32():
    spectrum = tinynn.stft(tinynn.randn(100), 16, return_complex=True)
    assert spectrum.dtype == np.complex64
    assert tinynn.istft(spectrum, 16).dtype == np.float32


@pytest.mark.parametrize("call, error, message", [
    (lambda x: tinynn.stft(x, 16), ValueError, "give return_complex for real inputs"),
    (lambda x: tinynn.stft(x[None, None], 16, return_complex=True), ValueError, "expected a 1-D"),
    (lambda x: tinynn.stft(x, 0, return_complex=True), ValueError, "n_fft must be a positive integer"),
    (lambda x: tinynn.stft(x, 16, hop_length=0, return_complex=True), ValueError, "hop_length must be a positive"),
    (lambda x: tinynn.stft(x, 16, win_length=20, return_complex=True), ValueError, "0 < win_length <= n_fft"),
    (lambda x: tinynn.stft(x, 16, window=tinynn.ones(8), return_complex=True), ValueError, "window of win_length=16"),
    (lambda x: tinynn.stft(x * 1j, 16, onesided=True), ValueError, "onesided output needs a real input"),
    (lambda x: tinynn.stft(x, 200, center=False, return_complex=True), ValueError, "n_fft=200 must lie in"),
    (lambda x: tinynn.istft(x, 16), ValueError, "expected a complex"),
    (lambda x: tinynn.istft(tinynn.stft(x, 16, return_complex=True), 32), ValueError, "expected 17 frequencies"),
    (lambda x: tinynn.istft(tinynn.stft(x, 16, return_complex=True), 16, return_complex=True), ValueError,
     "needs the two-sided spectrum"),
    (lambda x: tinynn.istft(tinynn.stft(x, 16, hop_length=16, window=tinynn.hann_window(16), center=False,
                                        return_complex=True), 16, hop_length=16, window=tinynn.hann_window(16),
                            center=False), ValueError, "envelope vanishes"),
])
def test_bad_input_is_named(call, error, message):
    with pytest.raises(error, match=message):
        call(tinynn.randn(100))


def test_every_device_agrees_with_the_cpu(device):
    values = RNG.standard_normal((2, 64)).astype(np.float32)
    results = {}
    for where in ("cpu", device):
        x = tinynn.tensor(values, device=where, requires_grad=True)
        window = tinynn.hann_window(16, device=where)
        spectrum = tinynn.stft(x, 16, 4, window=window, return_complex=True)
        loss = (tinynn.istft(spectrum * spectrum.abs(), 16, 4, window=window, length=64) ** 2).sum()
        loss.backward()
        results[where] = (loss.item(), x.grad.to("cpu").numpy())
    np.testing.assert_allclose(results[device][0], results["cpu"][0], rtol=1e-4)
    np.testing.assert_allclose(results[device][1], results["cpu"][1], rtol=1e-3, atol=1e-3)
