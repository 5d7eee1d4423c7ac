"""Resizing images: nearest and (bi)linear interpolation, and adaptive average pooling to any size.

Each of these treats rows and columns separately: output row i is a fixed weighted sum of a few
input rows, its taps, and likewise for columns. An axis is described by its ``Taps``: for each
output row i the source rows indices[i, k] and their weights[i, k].

    nearest:   one tap, weight 1, on source row floor(i * scale) (scale = H / OH)
    linear:    two taps, 1 - lambda and lambda, on the rows either side of the source position
               (i + 0.5) * scale - 0.5 (or i * (H - 1)/(OH - 1) with align_corners)
    bicubic:   four taps, Keys' cubic convolution (a = -0.75) of the distances to the four
               nearest rows, rows beyond the edge replaced by the edge row
    adaptive:  1 / (window length) on each row of PyTorch's window [floor(i H / OH), ceil((i+1) H / OH))
    antialias: (bilinear and bicubic, as PyTorch's ``antialias=True``) when shrinking by s > 1, the
               triangle (or cubic, a = -0.5) filter stretched s times, so every input row within
               its reach is averaged in and none is skipped; weights normalised to sum to 1

The same taps make a pair of small matrices, R (OH, H) for the rows and Cm (OW, W) for the columns,
and the whole resize of an image x (H, W) is  y = R @ x @ Cm^T. On the CPU the forward is that
product (two matrix multiplications are much faster than gathering the taps with NumPy), unless
the image holds an inf or NaN: a product multiplies every pixel of a column, most by zero weights,
and 0 * inf is NaN, so one such pixel would spoil whole rows and columns. Then, and on the GPU, the
forward gathers the taps, and an inf or NaN pixel reaches just the outputs that PyTorch's kernels
let it reach (its taps, zero weights included).
Writing the resize as matrices makes its backward one line of algebra instead of a scatter:
dL/dx = R^T @ dL/dy @ Cm, every output gradient flowing back to the pixels it was made from, with
the weights it was made with.

The indices and weights follow PyTorch's kernels, in the same float precision, so the results agree.
They are computed with NumPy and moved to the input's device.
"""
import math
from typing import NamedTuple

import numpy as np

from ...errors import InputError
from ... import backend, parallel
from ...autograd import Function
from ...ops.gradient_mask import passed_where
from .validation import check_float, ntuple

LINEAR_MODES = {3: "linear", 4: "bilinear", 5: "trilinear"}


class Taps(NamedTuple):
    """How one axis is resampled: output i = sum over k of weights[i, k] * input[indices[i, k]],
    over the taps that ``used[i, k]`` marks (all of them where ``used`` is None).
    Shapes: indices and used (out, K), weights (out, K) in the input's dtype, or None for weights of 1."""

    indices: object
    weights: object
    in_size: int
    used: object = None

    @classmethod
    def on(cls, xp, indices, weights, in_size, used=None):
        """Taps from NumPy arrays, moved to the array module ``xp``'s device; ``used`` is kept only
        where some tap is unused."""
        used = None if used is None or used.all() else xp.asarray(used)
        return cls(xp.asarray(indices), None if weights is None else xp.asarray(weights), in_size, used)

    def matrix(self, dtype):
        """The (out, in) matrix with the taps' weights: row i holds weights[i, k] at column indices[i, k]."""
        xp = Function.xp(self.indices)
        hits = self.indices[:, :, None] == xp.arange(self.in_size)
        if self.used is not None:
            hits &= self.used[:, :, None]
        weights = xp.ones(self.indices.shape, dtype=dtype) if self.weights is None else self.weights
        return (hits * weights[:, :, None]).sum(axis=1, dtype=dtype)

    def gather(self, x, axis):
        """x resampled along ``axis`` tap by tap: each term reads only the inputs of its tap."""
        xp = Function.xp(x)
        broadcast = (-1,) + (1,) * (x.ndim - 1 - axis)
        total = None
        for k in range(self.indices.shape[1]):
            term = xp.take(x, self.indices[:, k], axis=axis)  # (a take along an axis: 4x faster than indexing)
            if self.weights is not None:
                term = term * self.weights[:, k].reshape(broadcast)
            if self.used is not None:
                term = xp.where(self.used[:, k].reshape(broadcast), term, 0)
            total = term if total is None else total + term
        return total

    def scatter(self, gy, axis):
        """``gather``'s transpose, tap by tap: input position indices[i, k] receives weights[i, k] *
        gy[i] along ``axis`` (added up where several taps reach it); an unused or zero-weight tap
        sends nothing, not 0 * inf."""
        xp = Function.xp(gy)
        moved = xp.moveaxis(gy, axis, 0)
        broadcast = (-1,) + (1,) * (gy.ndim - 1)
        gx = xp.zeros((self.in_size,) + moved.shape[1:], dtype=gy.dtype)
        for k in range(self.indices.shape[1]):
            term = moved if self.weights is None else moved * self.weights[:, k].reshape(broadcast)
            sends = None if self.weights is None else self.weights[:, k] != 0
            if self.used is not None:
                sends = self.used[:, k] if sends is None else sends & self.used[:, k]
            if sends is not None:
                term = passed_where(term, sends.reshape(broadcast))
            backend.scatter_add(gx, self.indices[:, k], term)
        return xp.moveaxis(gx, 0, axis)


def separable_map(x, rows, columns):
    """rows @ x[n, c] @ columns^T for every (n, c): (N, C, H, W) -> (N, C, OH, OW), as one large
    matrix product over all rows of all images (x (N*C*H, W) @ columns^T), then rows @ each
    image's (H, OW), which writes a C-ordered result (``view`` works on it, as on PyTorch's).
    Channels-last input (a convolution's output) is resized in its own layout, into a
    channels-last result: columns @ x[n, h] (W, C) for every image row, then rows @ (H, OW*C) for
    every image, where the NCHW products would first copy it into C order. ``columns`` None: the
    width is kept, y[n, c] = rows @ x[n, c]."""
    if columns is None:
        return parallel.matmul(rows, x)
    n, c, h, w = x.shape
    channels_last = x.transpose(0, 2, 3, 1)
    if c > 1 and channels_last.flags.c_contiguous:
        out_width = columns.shape[0]
        along_width = parallel.matmul(columns, channels_last)  # (N, H, OW, C)
        along_height = parallel.matmul(rows, along_width.reshape(n, h, out_width * c))  # (N, OH, OW*C)
        return along_height.reshape(n, rows.shape[0], out_width, c).transpose(0, 3, 1, 2)
    along_width = parallel.matmul(x.reshape(n * c * h, w), columns.T).reshape(n, c, h, -1)
    return parallel.matmul(rows, along_width)


class SeparableResample2d(Function):
    """y[n, c] = R @ x[n, c] @ Cm^T, R and Cm the matrices of the ``rows`` and ``columns`` Taps
    (``columns`` None: the width is kept, y[n, c] = R @ x[n, c]).
    Shapes: x (N, C, H, W), R (OH, H), Cm (OW, W) -> y (N, C, OH, OW).
    Forward: the product on the CPU, the taps gathered where the input holds an inf or NaN and on
    the GPU (see the module's docstring). Backward: dL/dx[n, c] = R^T @ dL/dy[n, c] @ Cm."""

    linear_map = True

    def __init__(self, rows, columns=None):
        self.rows, self.columns = rows, columns

    def _matrices(self, dtype):
        """R and Cm (None where the width is kept) in ``dtype``: built once, for the CPU's forward and
        for the backward."""
        built = self.__dict__.get("matrices")
        if built is None or built[0].dtype != dtype:
            built = self.matrices = (self.rows.matrix(dtype),
                                     None if self.columns is None else self.columns.matrix(dtype))
        return built

    def forward(self, x):
        # nearest resizing (all weights None) only copies pixels: gathering them is as fast as a product
        copies_only = self.rows.weights is None and (self.columns is None or self.columns.weights is None)
        if self.xp(x) is np and not copies_only and np.isfinite(x).all():
            return separable_map(x, *self._matrices(x.dtype))
        channels_last = x.transpose(0, 2, 3, 1)
        if x.shape[1] > 1 and channels_last.flags.c_contiguous:  # kept in its layout (see separable_map)
            return self._gathered(channels_last, 1).transpose(0, 3, 1, 2)
        return self._gathered(x, 2)

    def _gathered(self, x, row_axis):
        if self.columns is not None:
            x = self.columns.gather(x, row_axis + 1)
        return self.rows.gather(x, row_axis)

    def backward(self, gy):
        if self.xp(gy) is np and np.isfinite(gy).all():
            rows, columns = self._matrices(gy.dtype)
            return (separable_map(gy, rows.T, None if columns is None else columns.T),)
        # an inf or NaN gradient, and on the GPU: scattered tap by tap, as the forward gathers, so it
        # reaches only the pixels its output was made from (the products' zeros would make it NaN everywhere)
        g = gy if self.columns is None else self.columns.scatter(gy, 3)
        return (self.rows.scatter(g, 2),)


def resample_depth(volume, taps):
    """(N, C, D, H, W) -> (N, C, OD, H, W), the depth axis resampled by its taps (every (h, w) as a
    column of one image (D, H*W))."""
    n, c, _, h, w = volume.shape
    images = volume.reshape(n, c, volume.shape[2], h * w)
    return SeparableResample2d(taps)(images).reshape(n, c, taps.indices.shape[0], h, w)


def nearest_taps(xp, in_size, out_size, scale, exact=False, shortcut=False):
    """PyTorch's nearest: source floor(i * scale), or floor((i + 0.5) * scale) for "nearest-exact",
    computed in float32 whatever the dtype, as PyTorch does. With ``shortcut`` (PyTorch's 2-D
    kernel, for images; not its 1-D and 3-D ones) "nearest" takes source i when the size is
    unchanged and i // 2 when it doubles, whatever the scale factor. (PyTorch's 1-D and 3-D
    backward take the sizes' ratio where its forward took the scale factor given; tinynn's
    gradient is that of the forward, the transpose of this matrix.)"""
    if shortcut and not exact and out_size in (in_size, 2 * in_size):
        sources = np.arange(out_size) // (out_size // in_size)
    else:
        positions = np.arange(out_size, dtype=np.float32) + (np.float32(0.5) if exact else np.float32(0))
        sources = np.minimum(np.floor(positions * np.float32(scale)).astype(np.int64), in_size - 1)
    return Taps.on(xp, sources[:, None], None, in_size)


def linear_taps(xp, in_size, out_size, scale, align_corners, dtype):
    """PyTorch's linear interpolation weights (``area_pixel_compute_source_index`` and
    ``guard_index_and_lambda``), in the input's precision. An axis that keeps its size has the
    weights 1 and 0 on one row, read twice, as in PyTorch's kernel (which makes an inf pixel NaN)."""
    if in_size == out_size:
        rows = np.arange(in_size)
        return Taps.on(xp, np.stack([rows, rows], axis=1), np.eye(1, 2, dtype=dtype).repeat(in_size, axis=0), in_size)
    positions = np.arange(out_size, dtype=dtype)
    if align_corners:
        source = positions * dtype.type(scale)
    else:
        source = np.maximum((positions + dtype.type(0.5)) * dtype.type(scale) - dtype.type(0.5), 0)
    lower = np.minimum(source.astype(np.int64), in_size - 1)
    upper_weight = np.clip(source - lower, 0, 1).astype(dtype)
    upper = lower + (lower < in_size - 1)
    return Taps.on(xp, np.stack([lower, upper], axis=1), np.stack([1 - upper_weight, upper_weight], axis=1), in_size)


CUBIC_A = -0.75  # PyTorch's (and OpenCV's) choice for Keys' cubic convolution kernel


def cubic_weights(t):
    """Keys' kernel K at the distances 1 + t, t, 1 - t, 2 - t of the four taps floor(s) - 1 ...
    floor(s) + 2 from a source position s with t = s - floor(s) (arrays or Tensors):
    K(x) = (a + 2)|x|^3 - (a + 3)|x|^2 + 1 for |x| <= 1, a|x|^3 - 5a|x|^2 + 8a|x| - 4a for 1 < |x| < 2."""
    a = CUBIC_A

    def near(x):
        return ((a + 2) * x - (a + 3)) * x * x + 1

    def far(x):
        return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a

    return far(t + 1), near(t), near(1 - t), far(2 - t)


def cubic_taps(xp, in_size, out_size, scale, align_corners, dtype):
    """PyTorch's bicubic weights (``get_cubic_upsample_coefficients``): for the source position s,
    t = s - floor(s), the rows floor(s) - 1 ... floor(s) + 2 (clamped into the input) get the
    weights of ``cubic_weights``."""
    positions = np.arange(out_size, dtype=dtype)
    if align_corners:
        source = positions * dtype.type(scale)
    else:  # not clamped at 0, unlike linear: the cubic taps reach past the edge anyway
        source = (positions + dtype.type(0.5)) * dtype.type(scale) - dtype.type(0.5)
    floor = np.floor(source)
    weights = np.stack(cubic_weights(source - floor), axis=1).astype(dtype)
    indices = np.clip(floor.astype(np.int64)[:, None] - 1 + np.arange(4), 0, in_size - 1)
    return Taps.on(xp, indices, weights, in_size)


ANTIALIAS_CUBIC_A = -0.5  # PyTorch's (and PIL's) kernel for antialiased bicubic


def window_taps(xp, first, last, weights, in_size):
    """Taps over the windows [first[i], last[i]) of the input, weights[i, k] on row first[i] + k
    (the taps past a window's end are unused)."""
    offsets = np.arange(max(int((last - first).max()), 1))
    indices = np.minimum(first[:, None] + offsets, in_size - 1)
    return Taps.on(xp, indices, weights[:, :len(offsets)], in_size, used=offsets < (last - first)[:, None])


def antialias_taps(xp, in_size, out_size, scale, dtype, cubic):
    """PyTorch's antialiased weights (``_compute_weights_aa``): output i is centred on the source
    position c = scale (i + 0.5); the filter (triangle, or cubic convolution with a = -0.5) of
    half-width 1 (2 for cubic) is stretched by the scale when shrinking, and the rows
    [trunc(c - support + 0.5), trunc(c + support + 0.5)) within the input get
    filter((j - c + 0.5) / scale), normalised to sum to 1. Computed in float64, then cast. An axis
    that keeps its size is copied, as PyTorch's kernel leaves it."""
    if in_size == out_size:
        return Taps.on(xp, np.arange(in_size)[:, None], None, in_size)
    half_width = 2.0 if cubic else 1.0
    stretch = max(scale, 1.0)
    support = half_width * stretch
    centers = scale * (np.arange(out_size) + 0.5)
    first = np.maximum(np.trunc(centers - support + 0.5).astype(np.int64), 0)
    last = np.minimum(np.trunc(centers + support + 0.5).astype(np.int64), in_size)
    rows = first[:, None] + np.arange(max(int((last - first).max()), 1))
    distance = np.abs((rows - centers[:, None] + 0.5) / stretch)
    if cubic:
        a = ANTIALIAS_CUBIC_A
        weights = np.where(distance < 1, ((a + 2) * distance - (a + 3)) * distance * distance + 1,
                           np.where(distance < 2, ((a * distance - 5 * a) * distance + 8 * a) * distance - 4 * a, 0.0))
    else:
        weights = np.maximum(1 - distance, 0.0)
    weights = weights * (rows < last[:, None])
    totals = weights.sum(axis=1, keepdims=True)
    weights = np.divide(weights, totals, out=np.zeros_like(weights), where=totals != 0)
    return window_taps(xp, first, last, weights.astype(dtype), in_size)


def adaptive_average_taps(xp, in_size, out_size, dtype):
    """Output i averages PyTorch's adaptive window [floor(i in/out), ceil((i+1) in/out))."""
    cells = np.arange(out_size)
    starts, ends = cells * in_size // out_size, -(-(cells + 1) * in_size // out_size)
    weights = np.broadcast_to((1 / (ends - starts)).astype(dtype)[:, None], (out_size, in_size))
    return window_taps(xp, starts, ends, weights, in_size)


def adaptive_average(images, out_hw):
    """(N, C, H, W) averaged over PyTorch's adaptive windows to (N, C, OH, OW)."""
    xp, dtype = Function.xp(images._array), images.dtype
    return SeparableResample2d(*(adaptive_average_taps(xp, images.shape[2 + i], out_hw[i], dtype)
                                 for i in range(2)))(images)


def interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None, recompute_scale_factor=None,
                antialias=False):
    """Resize (N, C, L), (N, C, H, W) or (N, C, D, H, W) input to ``size``, or by ``scale_factor``
    (output floor(in * s)).

    ``mode``: "nearest", "nearest-exact", "linear" (3-D), "bilinear" or "bicubic" (4-D), "trilinear"
    (5-D), or "area" (adaptive average pooling). ``align_corners`` (linear and cubic modes): map the corner pixels' centres onto
    each other instead of the corners' edges. Given a ``scale_factor``, the source positions use
    1/scale_factor unless ``recompute_scale_factor`` (as in PyTorch). ``antialias`` (bilinear and
    bicubic): shrinking averages every input pixel in reach instead of sampling a few (``antialias_taps``).
    """
    name = "interpolate"
    check_float(input, name)
    if input.ndim not in (3, 4, 5):
        raise InputError(f"{name}: expected 3-D (N, C, L), 4-D (N, C, H, W) or 5-D (N, C, D, H, W) input, got shape "
                         f"{tuple(input.shape)}")
    spatial = input.ndim - 2
    linear_mode = LINEAR_MODES[input.ndim]
    if mode in tuple(LINEAR_MODES.values()) + ("bicubic",) and mode != linear_mode and not (mode == "bicubic" and spatial == 2):
        needed = {"linear": "3-D", "trilinear": "5-D"}.get(mode, "4-D")
        raise InputError(f"{name}: mode {mode!r} needs {needed} input, got "
                         f"{input.ndim}-D input of shape {tuple(input.shape)} (use {linear_mode!r})")
    interpolating = (linear_mode, "bicubic") if spatial == 2 else (linear_mode,)
    if mode not in ("nearest", "nearest-exact", "area") + interpolating:
        raise InputError(f"{name}: mode must be 'nearest', 'nearest-exact', {' or '.join(map(repr, interpolating))} "
                         f"or 'area', got {mode!r}")
    if align_corners is not None and mode not in interpolating:
        raise InputError(f"{name}: align_corners can only be set with mode {' or '.join(map(repr, interpolating))}, "
                         f"not {mode!r}")
    if antialias and mode not in ("bilinear", "bicubic"):
        raise InputError(f"{name}: antialias applies to the 'bilinear' and 'bicubic' modes (4-D input), not {mode!r}")
    in_sizes = input.shape[2:]
    out_sizes, scales = _output_sizes(in_sizes, size, scale_factor, recompute_scale_factor, name)
    taps = _axis_taps(input, out_sizes, scales, mode, align_corners, antialias)
    if spatial == 1:  # a column of L rows
        return SeparableResample2d(taps[0])(input.reshape(input.shape + (1,))).reshape(input.shape[:2] + out_sizes)
    if spatial == 2:
        return SeparableResample2d(*taps)(input)
    n, c = input.shape[:2]  # a volume: its depth, then every slice as an image
    images = resample_depth(input, taps[0]).reshape(n, c * out_sizes[0], *in_sizes[1:])
    return SeparableResample2d(*taps[1:])(images).reshape((n, c) + out_sizes)


def _axis_taps(input, out_sizes, scales, mode, align_corners, antialias):
    """The Taps of each spatial axis of ``input``."""
    xp, dtype = Function.xp(input._array), input.dtype
    taps = []
    for in_size, out_size, scale in zip(input.shape[2:], out_sizes, scales):
        if mode in ("nearest", "nearest-exact"):
            taps.append(nearest_taps(xp, in_size, out_size, scale, exact=mode == "nearest-exact", shortcut=input.ndim == 4))
            continue
        if mode == "area":
            taps.append(adaptive_average_taps(xp, in_size, out_size, dtype))
            continue
        if align_corners:
            scale = (in_size - 1) / (out_size - 1) if out_size > 1 else 0.0
        if antialias:
            taps.append(antialias_taps(xp, in_size, out_size, scale, dtype, cubic=mode == "bicubic"))
            continue
        build = cubic_taps if mode == "bicubic" else linear_taps
        taps.append(build(xp, in_size, out_size, scale, bool(align_corners), dtype))
    return taps


def _output_sizes(in_sizes, size, scale_factor, recompute_scale_factor, name):
    """The output sizes, and for each axis the input/output scale the source positions use."""
    spatial = len(in_sizes)
    if (size is None) == (scale_factor is None):
        raise InputError(f"{name}: give exactly one of size and scale_factor")
    if size is not None:
        if recompute_scale_factor:
            raise InputError(f"{name}: recompute_scale_factor=True is meaningful only with a scale_factor, "
                             f"not with an explicit size {size!r}")
        out_sizes = ntuple(size, spatial, name, "size")
        if any(s <= 0 for s in out_sizes):
            raise InputError(f"{name}: size must be positive, got {out_sizes}")
        return out_sizes, tuple(i / o for i, o in zip(in_sizes, out_sizes))
    factors = (scale_factor,) * spatial if isinstance(scale_factor, (int, float)) else tuple(scale_factor)
    if len(factors) != spatial or not all(isinstance(f, (int, float)) and f > 0 for f in factors):
        raise InputError(f"{name}: scale_factor must be a positive number or {spatial} of them, got {scale_factor!r}")
    out_sizes = tuple(math.floor(i * f) for i, f in zip(in_sizes, factors))
    if any(s <= 0 for s in out_sizes):
        raise InputError(f"{name}: scale_factor {scale_factor!r} makes an empty output from size {tuple(in_sizes)}")
    if recompute_scale_factor:
        return out_sizes, tuple(i / o for i, o in zip(in_sizes, out_sizes))
    return out_sizes, tuple(1 / f for f in factors)
