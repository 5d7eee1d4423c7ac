"""Dropout: randomly zeroing activations (or whole channels) during training."""
import warnings

from ...errors import InputError
from ... import backend, random
from ...autograd import Function
from ...fused import ElementwiseKernel, channels_first, channels_last
from ...tensor import Tensor
from .activation import maybe_in_place
from .validation import check_bool, check_float


# The mask and the product in one GPU kernel (see tinynn.fused); the mask is kept for backward.
DROPOUT = ElementwiseKernel("T x, D draw, float64 threshold, T scale", "T y, T mask", """
mask = where(draw >= threshold, scale, 0);
y = x * mask;
""", "tinynn_dropout")


class Dropout(Function):
    """Inverted dropout: y = x * m / (1 - p) with m_i ~ Bernoulli(1 - p), drawn per call.

    Scaling by 1/(1-p) keeps E[y] = x, so evaluation needs no rescaling. Shapes: y like x.
    Backward: dL/dx = dL/dy * m / (1 - p), the same mask as the forward pass.

    m_i = [u_i >= t] for 16-bit uniform integers u_i and t = round(65536 p), so an element is
    dropped with probability p' = t / 65536 (within 2^-17 of p), and the scale is 1 / (1 - p')
    to keep E[y] = x exact.

    Channel dropout (``per_channel``, for (N, C, ...) input) draws one m per channel of each sample,
    a mask of shape (N, C, 1, ...) broadcast over the positions: a feature map is kept or dropped
    whole, which is what regularises convolutions, whose neighbouring pixels are correlated.
    """

    graph_saved = {}

    def __init__(self, p, mask=None, per_channel=False):
        self.p, self.mask, self.per_channel = p, mask, per_channel

    def forward(self, x):
        xp = self.xp(x)
        if self.mask is not None:
            return x * self.mask
        threshold = round(self.p * 65536)
        if self.per_channel:
            draws = random.uint16(xp, x.shape[:2]).reshape(x.shape[:2] + (1,) * (x.ndim - 2))
        else:
            draws = random.uint16_like_layout(xp, x)
        scale = x.dtype.type(65536 / (65536 - threshold))
        if backend.is_gpu_array(x):
            y, mask = DROPOUT(channels_last(x), channels_last(draws), threshold, scale)
            self.mask = channels_first(mask)
            return channels_first(y)
        self.mask = (draws >= threshold) * scale
        return x * self.mask

    def backward(self, gy):
        return (gy * self.mask,)


def dropout(input, p=0.5, training=True, inplace=False, name="dropout"):
    """Zero each element with probability ``p`` in training (scaling the rest by 1/(1-p)); identity in eval."""
    return _dropout(input, p, training, inplace, name, per_channel=False)


def dropout1d(input, p=0.5, training=True, inplace=False, name="dropout1d"):
    """Zero whole channels of (N, C, L) input, or of one unbatched (C, L) sample, with probability ``p``
    each (scaling the rest by 1/(1-p))."""
    check_float(input, name)
    if input.ndim not in (2, 3):
        raise InputError(f"{name}: expected 2-D (C, L) or 3-D (N, C, L) input (a channel is dropped whole), "
                         f"got a {input.ndim}-D tensor of shape {tuple(input.shape)}")
    return _channel_dropout(input, p, training, inplace, name, "(N, C, L)", batched=input.ndim == 3)


def dropout2d(input, p=0.5, training=True, inplace=False, name="dropout2d"):
    """Zero whole channels of (N, C, H, W) input with probability ``p`` each (scaling the rest by 1/(1-p)).

    As PyTorch's, with its warnings: 3-D input is read as (N, C, L), one-dimensional channels (not as
    one unbatched image, which a later PyTorch will make it), and input of another rank is deprecated,
    its first two axes taken as (N, C)."""
    check_float(input, name)
    if input.ndim == 3:
        warnings.warn(f"{name}: Received a 3D input to dropout2d and assuming that channel-wise 1D dropout behavior is "
                      "desired - input is interpreted as shape (N, C, L), where C is the channel dim. This behavior will "
                      "change in a future release to interpret the input as one without a batch dimension, i.e. shape "
                      "(C, H, W). To maintain the 1D channel-wise dropout behavior, please switch to using dropout1d "
                      "instead.", UserWarning, stacklevel=2)
    elif input.ndim != 4:
        _warn_deprecated_rank(input, name, "2", "3D or 4D")
    return _channel_dropout(input, p, training, inplace, name, "(N, C, H, W)", batched=True)


def dropout3d(input, p=0.5, training=True, inplace=False, name="dropout3d"):
    """Zero whole channels of (N, C, D, H, W) input, or of one unbatched (C, D, H, W) sample, with
    probability ``p`` each (scaling the rest by 1/(1-p)); input of another rank is deprecated (PyTorch's
    warning) and read as one unbatched sample, its first axis the channels, as PyTorch reads it."""
    check_float(input, name)
    if input.ndim not in (4, 5):
        _warn_deprecated_rank(input, name, "3", "4D or 5D")
    return _channel_dropout(input, p, training, inplace, name, "(N, C, D, H, W)", batched=input.ndim == 5)


def _warn_deprecated_rank(input, name, spatial, ranks):
    warnings.warn(f"{name}: Received a {input.ndim}-D input to {name}, which is deprecated and will result in an "
                  f"error in a future release. To retain the behavior and silence this warning, please use dropout "
                  f"instead. Note that {name} exists to provide channel-wise dropout on inputs with {spatial} spatial "
                  f"dimensions, a channel dimension, and an optional batch dimension (i.e. {ranks} inputs).",
                  UserWarning, stacklevel=3)


def _channel_dropout(input, p, training, inplace, name, layout, batched):
    """Dropout of whole channels, the first two axes (N, C); an unbatched sample as a batch of one."""
    if input.ndim < (2 if batched else 1):
        raise InputError(f"{name}: expected {layout} input (a channel is dropped whole), got a {input.ndim}-D "
                         f"tensor of shape {tuple(input.shape)}")
    if batched or not training:  # (evaluation gives back the input itself)
        return _dropout(input, p, training, inplace, name, per_channel=True)
    return maybe_in_place(input, inplace, name,
                          lambda x: _dropout(x.unsqueeze(0), p, training, False, name, per_channel=True).squeeze(0))


# -SELU's alpha * scale: the value SELU tends to for very negative inputs, where alpha dropout puts dropped units
SELU_SATURATION = 1.7580993408473766


def alpha_dropout(input, p=0.5, training=False, inplace=False, name="alpha_dropout"):
    """Dropout for self-normalising (SELU) networks: dropped units are set to SELU's negative
    saturation -alpha' (alpha' = 1.7581), then everything is mapped by a x + b chosen so that zero-mean,
    unit-variance inputs keep mean 0 and variance 1:
        a = ((1 - p) (1 + p alpha'^2))^(-1/2),   b = a alpha' p,
        y = a x + b where kept,   y = b - a alpha' where dropped      (PyTorch's formulas)."""
    return _alpha_dropout(input, p, training, inplace, name, per_channel=False)


def feature_alpha_dropout(input, p=0.5, training=False, inplace=False, name="feature_alpha_dropout"):
    """``alpha_dropout`` of whole channels of (N, C, ...) input."""
    return _alpha_dropout(input, p, training, inplace, name, per_channel=True)


def _alpha_dropout(input, p, training, inplace, name, per_channel):
    check_float(input, name)
    check_bool(training, name, "training")
    if not isinstance(p, (int, float)) or not 0 <= p <= 1:
        raise InputError(f"{name}: probability p must be in [0, 1], got {p}")
    if not training or p == 0:
        return input
    if p == 1:
        return maybe_in_place(input, inplace, name, lambda x: x * 0)
    xp = backend.get_array_module(input._array)
    shape = input.shape[:2] + (1,) * (input.ndim - 2) if per_channel else input.shape
    kept = xp.asarray(random.cpu_generator().random(shape) >= p).astype(input.dtype)
    a = ((1 - p) * (1 + p * SELU_SATURATION ** 2)) ** -0.5
    b = a * SELU_SATURATION * p
    return maybe_in_place(input, inplace, name, lambda x: x * Tensor._from_op(kept * a, False)
                    + Tensor._from_op((kept - 1) * (SELU_SATURATION * a) + b, False))


def _dropout(input, p, training, inplace, name, per_channel):
    check_float(input, name)
    check_bool(training, name, "training")
    if not isinstance(p, (int, float)) or not 0 <= p <= 1:
        raise InputError(f"{name}: probability p must be in [0, 1], got {p}")
    if not training or p == 0:
        return input
    if p == 1:  # everything dropped (no scale 1/(1-p)), as PyTorch's: x * 0
        return maybe_in_place(input, inplace, name, lambda x: x * 0)
    return maybe_in_place(input, inplace, name, lambda x: Dropout(p, per_channel=per_channel)(x))
