"""Window functions for spectral analysis, as ``torch.hann_window`` and friends: w[n] for
n = 0 .. N-1, over M = N for a ``periodic`` window (one period of a periodic signal, the default)
or M = N - 1 for a symmetric one:

    hann      1/2 - 1/2 cos(2 pi n / M)
    hamming   alpha - beta cos(2 pi n / M)                 (alpha = 0.54, beta = 0.46)
    blackman  0.42 - 0.5 cos(2 pi n / M) + 0.08 cos(4 pi n / M)
    bartlett  1 - |2n / M - 1|
    kaiser    I0(beta sqrt(1 - (2n / M - 1)^2)) / I0(beta)  (beta = 12)

A window of length 1 is [1], of length 0 empty.
"""
import math

import numpy as np

from . import backend
from .ops import bessel
from .ops.promotion import default_float
from .tensor import Tensor


def _window(name, window_length, periodic, dtype, device, requires_grad, values):
    if not isinstance(window_length, (int, np.integer)) or window_length < 0:
        raise ValueError(f"{name}: window_length must be a non-negative int, got {window_length!r}")
    dtype = np.dtype(dtype or default_float())
    if dtype.kind != "f":
        raise TypeError(f"{name}: expected a floating-point dtype, got {dtype}")
    if window_length <= 1:
        array = np.ones(window_length)
    else:
        span = window_length if periodic else window_length - 1
        array = values(np.arange(window_length, dtype=np.float64), span)
    tensor = Tensor(backend.to_device(array.astype(dtype), device))
    return tensor.requires_grad_() if requires_grad else tensor


def hann_window(window_length, periodic=True, *, dtype=None, device=None, requires_grad=False):
    return _window("hann_window", window_length, periodic, dtype, device, requires_grad,
                   lambda n, span: 0.5 - 0.5 * np.cos(2 * math.pi * n / span))


def hamming_window(window_length, periodic=True, alpha=0.54, beta=0.46, *, dtype=None, device=None,
                   requires_grad=False):
    return _window("hamming_window", window_length, periodic, dtype, device, requires_grad,
                   lambda n, span: alpha - beta * np.cos(2 * math.pi * n / span))


def blackman_window(window_length, periodic=True, *, dtype=None, device=None, requires_grad=False):
    return _window("blackman_window", window_length, periodic, dtype, device, requires_grad,
                   lambda n, span: 0.42 - 0.5 * np.cos(2 * math.pi * n / span) + 0.08 * np.cos(4 * math.pi * n / span))


def bartlett_window(window_length, periodic=True, *, dtype=None, device=None, requires_grad=False):
    return _window("bartlett_window", window_length, periodic, dtype, device, requires_grad,
                   lambda n, span: 1 - np.abs(2 * n / span - 1))


def kaiser_window(window_length, periodic=True, beta=12.0, *, dtype=None, device=None, requires_grad=False):
    def values(n, span):
        ratio = np.sqrt(np.clip(1 - (2 * n / span - 1) ** 2, 0, None))
        return bessel.values(beta * ratio, 0) / bessel.values(np.array(float(beta)), 0)
    return _window("kaiser_window", window_length, periodic, dtype, device, requires_grad, values)


__all__ = ["hann_window", "hamming_window", "blackman_window", "bartlett_window", "kaiser_window"]
