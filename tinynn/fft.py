"""``tinynn.fft``: PyTorch's discrete Fourier transforms (``torch.fft``), differentiable, on the CPU
(NumPy's pocketfft) and the GPU (cuFFT through CuPy).

Each transform takes ``norm`` ("backward", the default: the forward transform unscaled and the
inverse divided by n; "forward": the other way round; "ortho": both by sqrt(n)), and a size per
transformed dimension (``n``, or ``s`` for several): the input is cut to it, or zero-padded at the
end. The math and the gradients are in ops/fft.py; the complex-number conventions in ops/complex.py.

* ``fft``/``ifft``, ``fft2``/``ifft2``, ``fftn``/``ifftn``: complex to complex (a real input is
  made complex first);
* ``rfft``, ``rfft2``, ``rfftn``: a real input's transform, keeping the n // 2 + 1 bins of the last
  dimension that determine the rest (the others are their conjugates); ``irfft``, ``irfft2``,
  ``irfftn`` invert them to a real output of length n (default 2 (bins - 1): say n for odd lengths);
* ``hfft``, ``hfft2``, ``hfftn``: the transform of a Hermitian-symmetric signal given by its first
  half (a real spectrum); ``ihfft``, ``ihfft2``, ``ihfftn`` their inverses;
* ``fftfreq``, ``rfftfreq``: the bins' frequencies; ``fftshift``, ``ifftshift``: zero frequency
  to the centre and back.
"""
import numpy as np

from .errors import DtypeError, InputError
from . import backend
from .dims import dim_tuple
from .ops import fft as fft_ops
from .ops import promotion
from .tensor import Tensor, concatenate, expect_tensor, zeros

__all__ = ["fft", "ifft", "fft2", "ifft2", "fftn", "ifftn", "rfft", "irfft", "rfft2", "irfft2", "rfftn", "irfftn",
           "hfft", "ihfft", "hfft2", "ihfft2", "hfftn", "ihfftn", "fftfreq", "rfftfreq", "fftshift", "ifftshift"]


def _norm(name, norm):
    if norm is None:
        return "backward"
    if norm not in fft_ops.NORMS:
        raise InputError(f"{name}: norm must be one of {', '.join(fft_ops.NORMS)} or None, got {norm!r}")
    return norm


def _check_input(name, input):
    if not isinstance(input, Tensor):
        raise TypeError(f"{name}: expected a Tensor, got {type(input).__name__}")
    if input.dtype.kind in "biu":  # as PyTorch: integers are transformed as the default float
        input = input.to(dtype=promotion.default_float())
    return input


def _complex(input):
    return input if input.dtype.kind == "c" else input.to(dtype=promotion.complex_of(input.dtype))


def _real(name, input):
    if input.dtype.kind == "c":
        raise DtypeError(f"{name}: expects a real input tensor, got {input.dtype}")
    return input


def _dims_and_sizes(name, input, s, dim, default_dims):
    """The transformed dimensions (non-negative, distinct) and their sizes, PyTorch's way: ``s`` alone
    names the last len(s) dimensions; ``dim`` alone keeps the input's sizes; neither, ``default_dims``
    (None: every dimension)."""
    ndim = input.ndim
    if dim is None:
        dims = list(range(ndim - len(s), ndim)) if s is not None else (
            list(range(ndim)) if default_dims is None else list(default_dims))
    else:
        dims = list(dim_tuple(dim))
    normalized = []
    for d in dims:
        if not -ndim <= d < max(ndim, 1) or ndim == 0:
            raise IndexError(f"{name}: dimension {d} is out of range for a tensor of {ndim} dimensions")
        normalized.append(d % ndim)
    if len(set(normalized)) != len(normalized):
        raise InputError(f"{name}: dimensions must be distinct, got {dims}")
    if s is None:
        sizes = [None] * len(normalized)
    else:
        sizes = [s] if isinstance(s, int) else list(s)
        if len(sizes) != len(normalized):
            raise InputError(f"{name}: s has {len(sizes)} sizes for {len(normalized)} dimensions")
    if not normalized:
        raise InputError(f"{name}: expected at least one dimension to transform")
    return normalized, sizes


def _resized(name, input, dims, sizes):
    """``input`` cut or zero-padded at the end of each of ``dims`` to ``sizes`` (None: as it is)."""
    for d, size in zip(dims, sizes):
        points = input.shape[d] if size is None else size
        if points < 1:  # (an empty dimension as it is too: NumPy's FFT has nothing to transform)
            raise InputError(f"{name}: invalid number of data points ({points}) along dimension {d}; expected >= 1")
        if points == input.shape[d]:
            continue
        if size < input.shape[d]:
            input = input.narrow(d, 0, size)
        else:
            shape = list(input.shape)
            shape[d] = size - input.shape[d]
            input = concatenate([input, zeros(*shape, dtype=input.dtype, device=input.device)], d)
    return input


def _c2c(name, input, s, dim, norm, inverse, default_dims=None):
    input = _check_input(name, input)
    dims, sizes = _dims_and_sizes(name, input, s, dim, default_dims)
    input = _resized(name, _complex(input), dims, sizes)
    return fft_ops.FFT(dims, _norm(name, norm), inverse)(input)


def _r2c(name, input, s, dim, norm, default_dims=None):
    input = _real(name, _check_input(name, input))
    dims, sizes = _dims_and_sizes(name, input, s, dim, default_dims)
    return fft_ops.RFFT(dims, _norm(name, norm))(_resized(name, input, dims, sizes))


def _c2r(name, input, s, dim, norm, default_dims=None):
    input = _check_input(name, input)
    dims, sizes = _dims_and_sizes(name, input, s, dim, default_dims)
    length = sizes[-1] if sizes[-1] is not None else 2 * (input.shape[dims[-1]] - 1)
    if length < 1:
        raise InputError(f"{name}: invalid number of data points ({length}) along dimension {dims[-1]}: give n or s "
                         f"(an input of {input.shape[dims[-1]]} bins has no default length)")
    input = _resized(name, _complex(input), dims, sizes[:-1] + [length // 2 + 1])
    return fft_ops.IRFFT(dims, length, _norm(name, norm))(input)


def _check_one_dim(name, n, dim):
    """The 1-D transforms take one dim and one length, as PyTorch's (a tuple is for the fftn family)."""
    if not isinstance(dim, (int, np.integer)) or isinstance(dim, bool):
        raise TypeError(f"{name}(): argument 'dim' must be int, not {type(dim).__name__} (for several dims use {name}n)")
    if n is not None and (not isinstance(n, (int, np.integer)) or isinstance(n, bool)):
        raise TypeError(f"{name}(): argument 'n' must be int, not {type(n).__name__}")


def fft(input, n=None, dim=-1, norm=None):
    """The 1-D DFT along ``dim``: y_k = sum_j x_j e^{-2 pi i jk / n}, complex."""
    _check_one_dim("fft", n, dim)
    return _c2c("fft", input, n, dim, norm, inverse=False)


def ifft(input, n=None, dim=-1, norm=None):
    """The inverse 1-D DFT along ``dim``: x_j = (1/n) sum_k y_k e^{2 pi i jk / n}, complex."""
    _check_one_dim("ifft", n, dim)
    return _c2c("ifft", input, n, dim, norm, inverse=True)


def fft2(input, s=None, dim=(-2, -1), norm=None):
    return _c2c("fft2", input, s, dim, norm, inverse=False)


def ifft2(input, s=None, dim=(-2, -1), norm=None):
    return _c2c("ifft2", input, s, dim, norm, inverse=True)


def fftn(input, s=None, dim=None, norm=None):
    """The DFT over ``dim`` (default: the last len(s) dimensions, or all)."""
    return _c2c("fftn", input, s, dim, norm, inverse=False)


def ifftn(input, s=None, dim=None, norm=None):
    return _c2c("ifftn", input, s, dim, norm, inverse=True)


def rfft(input, n=None, dim=-1, norm=None):
    """The 1-D DFT of a real input, its n // 2 + 1 non-negative frequencies."""
    _check_one_dim("rfft", n, dim)
    return _r2c("rfft", input, n, dim, norm)


def irfft(input, n=None, dim=-1, norm=None):
    """The real signal of length ``n`` (default 2 (bins - 1)) whose rfft is ``input``."""
    _check_one_dim("irfft", n, dim)
    return _c2r("irfft", input, n, dim, norm)


def rfft2(input, s=None, dim=(-2, -1), norm=None):
    return _r2c("rfft2", input, s, dim, norm)


def irfft2(input, s=None, dim=(-2, -1), norm=None):
    return _c2r("irfft2", input, s, dim, norm)


def rfftn(input, s=None, dim=None, norm=None):
    return _r2c("rfftn", input, s, dim, norm)


def irfftn(input, s=None, dim=None, norm=None):
    return _c2r("irfftn", input, s, dim, norm)


def hfft(input, n=None, dim=-1, norm=None):
    """The (real) DFT of a Hermitian-symmetric signal of length n given by its first half:
    irfft of the conjugate with the scalings exchanged."""
    _check_one_dim("hfft", n, dim)
    return _c2r("hfft", _conjugated("hfft", input), n, dim, fft_ops.DUAL_NORM[_norm("hfft", norm)])


def ihfft(input, n=None, dim=-1, norm=None):
    """The inverse of hfft: the conjugate of rfft with the scalings exchanged (n // 2 + 1 bins)."""
    _check_one_dim("ihfft", n, dim)
    return _r2c("ihfft", input, n, dim, fft_ops.DUAL_NORM[_norm("ihfft", norm)]).conj()


def hfft2(input, s=None, dim=(-2, -1), norm=None):
    return _c2r("hfft2", _conjugated("hfft2", input), s, dim, fft_ops.DUAL_NORM[_norm("hfft2", norm)])


def ihfft2(input, s=None, dim=(-2, -1), norm=None):
    return _r2c("ihfft2", input, s, dim, fft_ops.DUAL_NORM[_norm("ihfft2", norm)]).conj()


def hfftn(input, s=None, dim=None, norm=None):
    return _c2r("hfftn", _conjugated("hfftn", input), s, dim, fft_ops.DUAL_NORM[_norm("hfftn", norm)])


def ihfftn(input, s=None, dim=None, norm=None):
    return _r2c("ihfftn", input, s, dim, fft_ops.DUAL_NORM[_norm("ihfftn", norm)]).conj()


def _conjugated(name, input):
    return _check_input(name, input).conj()


def fftfreq(n, d=1.0, dtype=None, device=None, requires_grad=False):
    """The frequencies of fft's n bins for sample spacing d: [0, 1, ..., n/2 - 1, -n/2, ..., -1] / (d n)
    (for even n; odd n runs to (n - 1)/2), in cycles per unit of d."""
    return _frequencies(np.fft.fftfreq, n, d, dtype, device, requires_grad)


def rfftfreq(n, d=1.0, dtype=None, device=None, requires_grad=False):
    """The frequencies of rfft's n // 2 + 1 bins: [0, 1, ..., n // 2] / (d n)."""
    return _frequencies(np.fft.rfftfreq, n, d, dtype, device, requires_grad)


def _frequencies(frequencies, n, d, dtype, device, requires_grad):
    if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n < 1:
        raise InputError(f"{frequencies.__name__}: n must be a positive integer, got {n!r}")
    values = frequencies(int(n), d).astype(dtype or promotion.default_float())
    return Tensor(backend.to_device(values, backend.canonical_device(device)), requires_grad=requires_grad)


def fftshift(input, dim=None):
    """``input`` rolled by n // 2 along each of ``dim`` (default all), bringing frequency 0 to the centre."""
    expect_tensor(input, "fft.fftshift", "input")
    dims = list(range(input.ndim)) if dim is None else list(dim_tuple(dim))
    return input.roll([input.shape[d] // 2 for d in dims], dims) if dims else input


def ifftshift(input, dim=None):
    """The inverse of fftshift: rolled back by n // 2 (they differ for odd n)."""
    expect_tensor(input, "fft.ifftshift", "input")
    dims = list(range(input.ndim)) if dim is None else list(dim_tuple(dim))
    return input.roll([-(input.shape[d] // 2) for d in dims], dims) if dims else input
