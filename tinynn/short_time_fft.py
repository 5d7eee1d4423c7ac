"""The short-time Fourier transform and its inverse (``torch.stft``/``torch.istft``), built from
differentiable ops: framing is indexing, the transform is ``tinynn.fft``, and the inverse's
overlap-add is a scatter-add, so the gradients (to the signal and to the window) come from theirs.

stft: the signal (optionally padded by n_fft // 2 at both ends, ``center``) is cut into frames of
n_fft samples every ``hop_length``; frame t is multiplied by the window w (win_length samples,
zero-padded to n_fft in the middle) and transformed:

    X[f, t] = sum_k w[k] x[t * hop + k] e^{-2 pi i f k / n_fft}     (shape (..., freqs, frames))

with n_fft // 2 + 1 frequencies for a real signal and window (``onesided``), all n_fft otherwise;
``normalized`` divides by sqrt(n_fft).

istft inverts it by the weighted overlap-add of Griffin and Lim: each frame's inverse transform is
multiplied by the window again, the frames are added at their offsets, and the sum is divided by
the sum of the squared windows there (the "envelope"), which must not vanish (the window and hop
must satisfy the nonzero overlap-add condition).
"""
import numpy as np

from .errors import DtypeError, InputError
from . import backend
from .tensor import Tensor, ones

__all__ = ["stft", "istft"]


def _padded_window(name, window, n_fft, win_length, like):
    win_length = n_fft if win_length is None else win_length
    if not 0 < win_length <= n_fft:
        raise InputError(f"{name}: expected 0 < win_length <= n_fft, got win_length={win_length}, n_fft={n_fft}")
    if window is None:
        window = ones(win_length, dtype=like.real.dtype if like.dtype.kind == "c" else like.dtype, device=like.device)
    if not isinstance(window, Tensor) or window.ndim != 1 or window.shape[0] != win_length:
        shape = tuple(window.shape) if isinstance(window, Tensor) else type(window).__name__
        raise InputError(f"{name}: expected a 1-D window of win_length={win_length} samples, got {shape}")
    if window.device != like.device:
        raise RuntimeError(f"{name}: the window is on {window.device}, the input on {like.device}")
    left = (n_fft - win_length) // 2
    if left or win_length < n_fft:
        from .nn.functional import pad

        window = pad(window, (left, n_fft - win_length - left))
    return window


def _check_sizes(name, n_fft, hop_length):
    if not isinstance(n_fft, (int, np.integer)) or n_fft < 1:
        raise InputError(f"{name}: n_fft must be a positive integer, got {n_fft!r}")
    hop_length = n_fft // 4 if hop_length is None else hop_length
    if not isinstance(hop_length, (int, np.integer)) or hop_length < 1:
        raise InputError(f"{name}: hop_length must be a positive integer, got {hop_length!r}")
    return int(n_fft), int(hop_length)


def _centered(input, n_fft, pad_mode):
    """``input`` (batch, length) padded by n_fft // 2 at both ends (a complex one as its two real parts)."""
    from .functions import view_as_complex, view_as_real
    from .nn.functional import pad

    amount = (n_fft // 2, n_fft // 2)
    if input.dtype.kind != "c":
        return pad(input[:, None], amount, mode=pad_mode)[:, 0]
    pairs = view_as_real(input).transpose(1, 2)  # (batch, 2, length)
    return view_as_complex(pad(pairs, amount, mode=pad_mode).transpose(1, 2).contiguous())


def stft(input, n_fft, hop_length=None, win_length=None, window=None, center=True, pad_mode="reflect",
         normalized=False, onesided=None, return_complex=None):
    """The short-time Fourier transform of ``input`` (length,) or (batch, length): complex
    (batch, freqs, frames), or with ``return_complex=False`` its (Re, Im) pairs (..., 2), as PyTorch's."""
    from . import fft

    name = "stft"
    if not isinstance(input, Tensor) or input.ndim not in (1, 2):
        shape = tuple(input.shape) if isinstance(input, Tensor) else type(input).__name__
        raise InputError(f"{name}: expected a 1-D (length) or 2-D (batch, length) tensor, got {shape}")
    n_fft, hop_length = _check_sizes(name, n_fft, hop_length)
    if input.dtype.kind in "biu":
        raise DtypeError(f"{name}: expected a float or complex input, got {input.dtype}")
    complex_input = input.dtype.kind == "c" or (window is not None and window.dtype.kind == "c")
    if return_complex is None:
        if not complex_input:
            raise InputError(f"{name}: give return_complex for real inputs (True: a complex result; False: its "
                             f"(Re, Im) pairs along a last dimension of 2), as PyTorch requires")
        return_complex = True
    onesided = not complex_input if onesided is None else onesided
    if onesided and complex_input:
        raise InputError(f"{name}: onesided output needs a real input and window; use onesided=False")
    batched = input.ndim == 2
    signal = input if batched else input[None]
    window = _padded_window(name, window, n_fft, win_length, signal)
    if center:
        signal = _centered(signal, n_fft, pad_mode)
    length = signal.shape[-1]
    if not 0 < n_fft <= length:
        raise InputError(f"{name}: n_fft={n_fft} must lie in (0, {length}], the (padded) signal's length")
    frames = 1 + (length - n_fft) // hop_length
    xp = backend.get_array_module(signal._array)
    positions = xp.arange(frames)[:, None] * hop_length + xp.arange(n_fft)[None, :]
    framed = signal[:, Tensor._from_op(positions, False)] * window  # (batch, frames, n_fft)
    norm = "ortho" if normalized else "backward"
    spectrum = fft.rfft(framed, norm=norm) if onesided else fft.fft(framed, norm=norm)
    spectrum = spectrum.transpose(1, 2)  # (batch, freqs, frames)
    if not batched:
        spectrum = spectrum[0]
    if return_complex:
        return spectrum
    from .functions import view_as_real

    return view_as_real(spectrum)


def istft(input, n_fft, hop_length=None, win_length=None, window=None, center=True, normalized=False,
          onesided=None, length=None, return_complex=False):
    """The signal whose stft is ``input`` (freqs, frames) or (batch, freqs, frames), complex: real
    (length,) or (batch, length), or complex with ``return_complex`` (then ``onesided=False``)."""
    from . import fft

    name = "istft"
    if not isinstance(input, Tensor) or input.ndim not in (2, 3) or input.dtype.kind != "c":
        what = f"{tuple(input.shape)} {input.dtype}" if isinstance(input, Tensor) else type(input).__name__
        raise InputError(f"{name}: expected a complex (freqs, frames) or (batch, freqs, frames) tensor, got {what}")
    n_fft, hop_length = _check_sizes(name, n_fft, hop_length)
    batched = input.ndim == 3
    spectrum = input if batched else input[None]
    freqs, frames = spectrum.shape[1:]
    onesided = freqs != n_fft if onesided is None else onesided
    if onesided and return_complex:
        raise InputError(f"{name}: a complex output needs the two-sided spectrum; use onesided=False")
    expected = n_fft // 2 + 1 if onesided else n_fft
    if freqs != expected:
        raise InputError(f"{name}: expected {expected} frequencies for n_fft={n_fft} "
                         f"({'one' if onesided else 'two'}-sided), got {freqs}")
    if frames < 1:
        raise InputError(f"{name}: expected at least one frame, got shape {tuple(input.shape)}")
    window = _padded_window(name, window, n_fft, win_length, spectrum.real)
    norm = "ortho" if normalized else "backward"
    spectrum = spectrum.transpose(1, 2)  # (batch, frames, freqs)
    if onesided:
        framed = fft.irfft(spectrum, n=n_fft, norm=norm)
    else:
        framed = fft.ifft(spectrum, n=n_fft, norm=norm)
        if not return_complex:
            framed = framed.real
    framed = framed * window  # (batch, frames, n_fft)
    total = n_fft + hop_length * (frames - 1)
    xp = backend.get_array_module(framed._array)
    positions = (xp.arange(frames)[:, None] * hop_length + xp.arange(n_fft)[None, :]).reshape(-1)
    index = Tensor._from_op(xp.broadcast_to(positions, (framed.shape[0], positions.size)).astype(np.int64), False)
    zeros = Tensor._from_op(xp.zeros((framed.shape[0], total), dtype=framed.dtype), False)
    signal = zeros.scatter_add(1, index, framed.reshape(framed.shape[0], -1))
    squared = window * window  # w^2, as PyTorch's, also for a complex window
    envelope = Tensor._from_op(xp.zeros(total, dtype=squared.dtype), False).scatter_add(
        0, Tensor._from_op(positions.astype(np.int64), False), squared.reshape(1, -1).expand(frames, n_fft).reshape(-1))
    start = n_fft // 2 if center else 0
    end = total - (n_fft // 2 if center else 0) if length is None else start + length
    signal, envelope = signal[:, start:min(end, total)], envelope[start:min(end, total)]
    if bool((envelope.abs() < 1e-11).any()):
        raise InputError(f"{name}: the window's overlap-add envelope vanishes somewhere (window and hop_length="
                         f"{hop_length} break the nonzero overlap-add condition), so the signal cannot be recovered")
    signal = signal / envelope
    if end > total:  # a requested length beyond the frames: zeros after them
        from .nn.functional import pad

        signal = pad(signal, (0, end - total))
    return signal if batched else signal[0]
