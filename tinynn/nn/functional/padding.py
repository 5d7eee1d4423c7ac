"""``pad`` as PyTorch's ``F.pad``: constant, reflect, replicate and circular padding of trailing axes;
``pixel_shuffle`` and ``pixel_unshuffle``, which move values between channels and pixels.

``pad`` lists (before, after) amounts from the last axis backwards: (left, right) pads the last
axis, (left, right, top, bottom) the last two, and so on. For an axis of n values and an output
position i counted from the first padded value (i = -before ... n + after - 1), the value copied is

    reflect:    x[r(i)], r mirrors at the edges without repeating them: 2 1 | 0 1 2 3 | 2 1
    replicate:  x[clip(i, 0, n - 1)]                                     0 0 | 0 1 2 3 | 3 3
    circular:   x[i mod n]                                               2 3 | 0 1 2 3 | 0 1

Each is a copy along one axis by an index map, ``Take``; constant padding is ``ops.shape.Pad``.
"""
import math

import numpy as np

from ...errors import InputError
from ... import backend, value_ranges
from ...autograd import Function
from ...ops.shape import Pad
from ...size import as_int
from .validation import check_tensor

MODES = ("constant", "reflect", "replicate", "circular")


class Take(Function):
    """y = x[..., index[j], ...] along ``axis``: position j of y copies position index[j] of x.
    Shapes: x with n positions on ``axis``, index (m,) -> y with m positions there.

    Backward: position k of x receives the sum of dL/dy over the j with index[j] = k (a position
    copied several times collects every copy's gradient). As a product: with the one-hot (m, n)
    matrix M[j, k] = [index[j] = k], y = M x along the axis, so dL/dx = M^T dL/dy; but where dL/dy
    holds an inf or NaN (and on the GPU) added up index by index, since the product's zeros would
    make 0 * inf = NaN of every position."""

    supports_complex, linear_map = True, True  # M is real: M^H = M^T

    def __init__(self, axis, index):
        self.axis, self.index = axis, index

    def forward(self, x):
        self.length = x.shape[self.axis]
        return self.xp(x).take(x, self.index, axis=self.axis)

    def backward(self, gy):
        xp = self.xp(gy)
        if xp is np and np.isfinite(gy).all():
            one_hot = (self.index[:, None] == xp.arange(self.length)[None, :]).astype(gy.dtype)
            moved = xp.moveaxis(gy, self.axis, -1) @ one_hot
            return (xp.moveaxis(moved, -1, self.axis),)
        gx = xp.zeros((self.length,) + gy.shape[:self.axis] + gy.shape[self.axis + 1:], dtype=gy.dtype)
        backend.scatter_add(gx, self.index, xp.moveaxis(gy, self.axis, 0))
        return (xp.moveaxis(gx, 0, self.axis),)


def _index_map(xp, mode, length, before, after):
    """The source position of every output position along one axis (see the module docstring)."""
    positions = xp.arange(-before, length + after)
    if mode == "replicate":
        return xp.clip(positions, 0, length - 1)
    if mode == "circular":
        return positions % length
    period = 2 * (length - 1)
    folded = xp.abs(positions) % period if period else xp.zeros_like(positions)
    return xp.where(folded >= length, period - folded, folded)


def pad(input, pad, mode="constant", value=None):
    """Pad the trailing axes of ``input``: ``pad`` = (before, after) for the last axis, then for the
    one before it, ... (PyTorch's order). ``mode``: "constant" (with ``value``, default 0),
    "reflect", "replicate" or "circular"; the last three pad 1 to 3 trailing axes of an input with at
    least one more axis (a batch or channel axis), as PyTorch. A negative amount crops instead, as in
    PyTorch: after padding, or for "circular" before it (so the wrap-around comes from what is kept)."""
    check_tensor(input, "pad")
    pad = tuple(as_int(p) for p in pad)
    if len(pad) % 2 or len(pad) // 2 > input.ndim or not all(isinstance(p, (int, np.integer)) for p in pad):
        raise InputError(f"pad: expected (before, after) int pairs for at most {input.ndim} axes, got {pad}")
    if mode not in MODES:
        raise InputError(f"pad: mode must be one of {MODES}, got {mode!r}")
    if any(p < 0 for p in pad):
        return _cropped_and_padded(input, pad, mode, value)
    axes = len(pad) // 2
    widths = [(0, 0)] * (input.ndim - axes) + [(pad[2 * i], pad[2 * i + 1]) for i in reversed(range(axes))]
    if mode == "constant":
        if value is not None:
            value_ranges.check_fits(value, input.dtype, strict_unsigned=True)
        return Pad(tuple(widths), 0.0 if value is None else value)(input)
    if value is not None:
        raise InputError(f"pad: value is only used with mode 'constant', not {mode!r}")
    if not 1 <= axes <= 3 or input.ndim < axes + 1:
        raise InputError(f"pad: {mode} padding pads 1 to 3 trailing axes of an input with one more axis at least, "
                         f"got {len(pad)} amounts for input of shape {tuple(input.shape)}")
    xp = Function.xp(input._array)
    out = input
    for axis in range(input.ndim - axes, input.ndim):
        before, after = widths[axis]
        length = input.shape[axis]
        if mode == "reflect" and max(before, after) >= length:
            raise InputError(f"pad: reflect padding must be smaller than the axis it pads, got {(before, after)} "
                             f"for axis {axis} of size {length} (input shape {tuple(input.shape)})")
        if mode == "replicate" and length == 0 and (before or after):
            raise InputError(f"pad: replicate padding copies an axis's edge values, but axis {axis} is empty (input "
                             f"shape {tuple(input.shape)})")
        if mode == "circular" and max(before, after) > length:
            raise InputError(f"pad: circular padding may wrap around once at most, got {(before, after)} for axis "
                             f"{axis} of size {length} (input shape {tuple(input.shape)})")
        if before or after:
            out = Take(axis, _index_map(xp, mode, length, before, after))(out)
    return out


def _cropped_and_padded(input, amounts, mode, value):
    """``pad`` with its negative amounts as crops: circular crops first, the other modes pad first."""
    axes = len(amounts) // 2
    pairs = {input.ndim - 1 - i: amounts[2 * i:2 * i + 2] for i in range(axes)}
    for axis, (before, after) in pairs.items():
        if input.shape[axis] + before + after < 0:
            raise InputError(f"pad: padding {(before, after)} leaves a negative size for axis {axis} of size "
                             f"{input.shape[axis]} (input shape {tuple(input.shape)})")

    def cropped(x):
        index = [slice(None)] * x.ndim
        for axis, (before, after) in pairs.items():
            index[axis] = slice(max(-before, 0), x.shape[axis] - max(-after, 0))
        return x[tuple(index)]

    padding_only = tuple(max(amount, 0) for amount in amounts)
    if mode == "circular":
        return pad(cropped(input), padding_only, mode)
    return cropped(pad(input, padding_only, mode, value))


def pixel_shuffle(input, upscale_factor):
    """(*, C r^2, H, W) -> (*, C, H r, W r), any leading axes (a batch, or none), as PyTorch's:
    out[..., c, h r + i, w r + j] = in[..., c r^2 + i r + j, h, w]."""
    r = _factor(input, upscale_factor, "pixel_shuffle")
    *leading, channels, h, w = input.shape
    if channels % (r * r):
        raise InputError(f"pixel_shuffle: {channels} channels are not divisible by upscale_factor^2 = {r * r}")
    c = channels // (r * r)
    shuffled = input.reshape(math.prod(leading), c, r, r, h, w).permute(0, 1, 4, 2, 5, 3)
    return shuffled.reshape(*leading, c, h * r, w * r)


def pixel_unshuffle(input, downscale_factor):
    """(*, C, H r, W r) -> (*, C r^2, H, W), the inverse of ``pixel_shuffle``."""
    r = _factor(input, downscale_factor, "pixel_unshuffle")
    *leading, c, height, width = input.shape
    if height % r or width % r:
        raise InputError(f"pixel_unshuffle: height {height} and width {width} must be divisible by {r}")
    h, w = height // r, width // r
    return input.reshape(math.prod(leading), c, h, r, w, r).permute(0, 1, 3, 5, 2, 4).reshape(*leading, c * r * r, h, w)


def channel_shuffle(input, groups):
    """(N, C, ...) with its C = g * k channels read group-interleaved: channel i * g + j of the output
    is channel j * k + i of the input (ShuffleNet's shuffle between grouped convolutions)."""
    check_tensor(input, "channel_shuffle")
    if not isinstance(groups, (int, np.integer)) or groups <= 0:
        raise InputError(f"channel_shuffle: groups must be a positive int, got {groups!r}")
    if input.ndim < 3 or input.shape[1] % groups:
        raise InputError(f"channel_shuffle: expected (N, C, ...) input with C divisible by groups={groups}, "
                         f"got shape {tuple(input.shape)}")
    channels, rest = input.shape[1], input.shape[2:]
    return input.reshape((input.shape[0], groups, channels // groups) + rest).transpose(1, 2).reshape(input.shape)


def _factor(input, factor, name):
    check_tensor(input, name)
    if input.ndim < 3:
        raise InputError(f"{name}: expected an input of 3 or more axes (*, C, H, W), got shape {tuple(input.shape)}")
    if not isinstance(factor, int) or factor <= 0:
        raise InputError(f"{name}: the factor must be a positive int, got {factor!r}")
    return factor
