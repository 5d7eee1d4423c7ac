"""Window functions (PyTorch's ``torch.signal.windows``, SciPy's definitions): symmetric by default
(``sym=True``, for filter design), or periodic (``sym=False``: the symmetric window of M + 1 points
without its last, for spectral analysis). Each is the formula below over n = 0 .. M-1, in the default
float dtype (or ``dtype``), on ``device`` (``layout``, PyTorch's, can only be tinynn.strided: a window is dense).

    general_cosine   sum_k (-1)^k a_k cos(2 pi k n / (M - 1))
    general_hamming  alpha - (1 - alpha) cos(2 pi n / (M - 1));   hamming: alpha 0.54, hann: 0.5
    blackman         general_cosine with a = (0.42, 0.5, 0.08);   nuttall: (0.3635819, 0.4891775, 0.1365995, 0.0106411)
    bartlett         1 - |2n / (M - 1) - 1|
    cosine           sin(pi (n + 1/2) / M)
    gaussian         exp(-(n - (M - 1) / 2)^2 / (2 std^2))
    exponential      exp(-|n - center| / tau), center (M - 1) / 2 by default
    kaiser           I0(beta sqrt(1 - (2n / (M - 1) - 1)^2)) / I0(beta)
"""
import numpy as np

from .. import backend
from ..memory_layout import strided
from ..ops import promotion
from ..ops.bessel import values as bessel_values
from ..tensor import Tensor


def _window(name, M, sym, dtype, layout, device, requires_grad, formula, single=None):
    """``formula(n, points)`` over the window's points (``single``: the value of a 1-point window, 1 by default)."""
    if not isinstance(M, (int, np.integer)) or isinstance(M, bool) or M < 0:
        raise ValueError(f"{name}: M must be a non-negative int, got {M!r}")
    if layout is not None and layout is not strided:
        raise ValueError(f"{name}: windows are dense tensors; layout must be tinynn.strided, got {layout!r}")
    dtype = np.dtype(dtype or promotion.default_float())
    if dtype.kind != "f":
        raise ValueError(f"{name}: expected a floating-point dtype, got {dtype}")
    if M <= 1:
        values = np.full(M, 1.0 if single is None else single)
    else:
        points = M if sym else M + 1
        values = formula(np.arange(points, dtype=np.float64), points)[:M]
    tensor = Tensor(backend.to_device(values.astype(dtype), backend.canonical_device(device)))
    return tensor.requires_grad_() if requires_grad else tensor


def _cosine_sum(name, M, a, sym, dtype, layout, device, requires_grad):
    a = [float(coefficient) for coefficient in a]
    return _window(name, M, sym, dtype, layout, device, requires_grad, lambda n, points: sum(
        (-1) ** k * coefficient * np.cos(2 * np.pi * k * n / (points - 1)) for k, coefficient in enumerate(a)))


def general_cosine(M, *, a, sym=True, dtype=None, layout=None, device=None, requires_grad=False):
    return _cosine_sum("general_cosine", M, a, sym, dtype, layout, device, requires_grad)


def general_hamming(M, *, alpha=0.54, sym=True, dtype=None, layout=None, device=None, requires_grad=False):
    return _cosine_sum("general_hamming", M, [alpha, 1.0 - alpha], sym, dtype, layout, device, requires_grad)


def hamming(M, *, sym=True, dtype=None, layout=None, device=None, requires_grad=False):
    return _cosine_sum("hamming", M, [0.54, 0.46], sym, dtype, layout, device, requires_grad)


def hann(M, *, sym=True, dtype=None, layout=None, device=None, requires_grad=False):
    return _cosine_sum("hann", M, [0.5, 0.5], sym, dtype, layout, device, requires_grad)


def blackman(M, *, sym=True, dtype=None, layout=None, device=None, requires_grad=False):
    return _cosine_sum("blackman", M, [0.42, 0.5, 0.08], sym, dtype, layout, device, requires_grad)


def nuttall(M, *, sym=True, dtype=None, layout=None, device=None, requires_grad=False):
    return _cosine_sum("nuttall", M, [0.3635819, 0.4891775, 0.1365995, 0.0106411], sym, dtype, layout, device, requires_grad)


def bartlett(M, *, sym=True, dtype=None, layout=None, device=None, requires_grad=False):
    return _window("bartlett", M, sym, dtype, layout, device, requires_grad,
                   lambda n, points: 1 - np.abs(2 * n / (points - 1) - 1))


def cosine(M, *, sym=True, dtype=None, layout=None, device=None, requires_grad=False):
    return _window("cosine", M, sym, dtype, layout, device, requires_grad, lambda n, points: np.sin(np.pi * (n + 0.5) / points))


def gaussian(M, *, std=1.0, sym=True, dtype=None, layout=None, device=None, requires_grad=False):
    if std <= 0:
        raise ValueError(f"gaussian: std must be positive, got {std}")
    return _window("gaussian", M, sym, dtype, layout, device, requires_grad,
                   lambda n, points: np.exp(-((n - (points - 1) / 2) ** 2) / (2 * std ** 2)))


def exponential(M, *, center=None, tau=1.0, sym=True, dtype=None, layout=None, device=None, requires_grad=False):
    if tau <= 0:
        raise ValueError(f"exponential: tau must be positive, got {tau}")
    if sym and center is not None:
        raise ValueError("exponential: center must be None for a symmetric window")
    return _window("exponential", M, sym, dtype, layout, device, requires_grad, lambda n, points: np.exp(
        -np.abs(n - ((points - 1) / 2 if center is None else center)) / tau),
        single=None if center is None else np.exp(-abs(center) / tau))


def kaiser(M, *, beta=12.0, sym=True, dtype=None, layout=None, device=None, requires_grad=False):
    if beta < 0:
        raise ValueError(f"kaiser: beta must be non-negative, got {beta}")

    def formula(n, points):
        ratio = np.sqrt(np.clip(1 - (2 * n / (points - 1) - 1) ** 2, 0, None))
        return bessel_values(beta * ratio, 0) / bessel_values(np.array(float(beta)), 0)
    return _window("kaiser", M, sym, dtype, layout, device, requires_grad, formula)


__all__ = ["bartlett", "blackman", "cosine", "exponential", "gaussian", "general_cosine", "general_hamming",
           "hamming", "hann", "kaiser", "nuttall"]
