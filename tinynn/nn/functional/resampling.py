"""Resizing images: nearest and (bi)linear interpolation, and adaptive average pooling to any size.

Each of these treats rows and columns separately: output row i is a fixed weighted sum of input
rows, and likewise for columns. So each is a pair of small matrices, R (OH, H) for the rows and
Cm (OW, W) for the columns, and the whole resize of an image x (H, W) is  y = R @ x @ Cm^T.

    nearest:   R[i, j] = 1 for the one source row j = floor(i * scale) (scale = H / OH); its forward
               takes those rows (a gather: an inf or NaN pixel stays where it is copied), its
               backward is the product below
    linear:    two weights per row, 1 - lambda and lambda, on the rows either side of the source
               position (i + 0.5) * scale - 0.5 (or i * (H - 1)/(OH - 1) with align_corners)
    bicubic:   four weights per row, Keys' cubic convolution (a = -0.75) of the distances to the
               four nearest rows, rows beyond the edge replaced by the edge row
    adaptive:  R[i, j] = 1 / (window length) on PyTorch's window [floor(i H / OH), ceil((i+1) H / OH))
    antialias: (bilinear and bicubic, as PyTorch's ``antialias=True``) when shrinking by s > 1, the
               triangle (or cubic, a = -0.5) filter stretched s times, so every input row within
               its reach is averaged in and none is skipped; weights normalised to sum to 1

The indices and weights follow PyTorch's kernels, in the same float precision, so the results agree.
Writing the resize as matrices makes its backward one line of algebra instead of a scatter:
dL/dx = R^T @ dL/dy @ Cm, every output gradient flowing back to the pixels it was made from, with
the weights it was made with. The matrices are built with the input's array module, on its device.
"""
import math

import numpy as np

from ... import parallel
from ...autograd import Function
from .validation import check_float, check_not_empty, ntuple

LINEAR_MODES = {3: "linear", 4: "bilinear", 5: "trilinear"}


def separable_map(x, rows, columns):
    """rows @ x[n, c] @ columns^T for every (n, c): (N, C, H, W) -> (N, C, OH, OW), as one large
    matrix product over all rows of all images (x (N*C*H, W) @ columns^T), then rows @ each
    image's (H, OW), which writes a C-ordered result (``view`` works on it, as on PyTorch's).
    Channels-last input (a convolution's output) is resized in its own layout, into a
    channels-last result: columns @ x[n, h] (W, C) for every image row, then rows @ (H, OW*C) for
    every image, where the NCHW products would first copy it into C order."""
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
    """y[n, c] = R @ x[n, c] @ Cm^T.  Shapes: x (N, C, H, W), R (OH, H), Cm (OW, W) -> y (N, C, OH, OW).
    Backward: dL/dx[n, c] = R^T @ dL/dy[n, c] @ Cm (R and Cm are constants)."""

    linear_map = True

    def __init__(self, rows, columns):
        self.rows, self.columns = rows, columns

    def forward(self, x):
        return separable_map(x, self.rows, self.columns)

    def backward(self, gy):
        return (separable_map(gy, self.rows.T, self.columns.T),)


class NearestResample2d(Function):
    """y[n, c, i, j] = x[n, c, rows[i], columns[j]]: nearest resizing as a gather. (The selection
    matrices R and Cm would give the same values for finite inputs, but in a product an inf or NaN
    pixel would reach every output pixel through its zero weights.)
    Backward: dL/dx[n, c] = R^T @ dL/dy[n, c] @ Cm, each output gradient added to its source pixel."""

    linear_map = True

    def __init__(self, rows, columns, in_size):
        self.rows, self.columns, self.in_size = rows, columns, in_size

    def forward(self, x):
        xp = self.xp(x)
        channels_last = x.transpose(0, 2, 3, 1)
        if x.shape[1] > 1 and channels_last.flags.c_contiguous:  # kept in its layout (see separable_map)
            gathered = xp.take(xp.take(channels_last, self.rows, axis=1), self.columns, axis=2)
            return gathered.transpose(0, 3, 1, 2)
        return xp.take(xp.take(x, self.rows, axis=2), self.columns, axis=3)  # (a take an axis: 4x faster than x[:, :, r, c])

    def backward(self, gy):
        xp = self.xp(gy)
        rows, columns = (_selection(xp, sources, size, xp.ones(len(sources), dtype=gy.dtype), gy.dtype)
                         for sources, size in zip((self.rows, self.columns), self.in_size))
        return (separable_map(gy, rows.T, columns.T),)


def _selection(xp, indices, in_size, weights, dtype):
    """(out, in) matrix with weights[i] at column indices[i] of row i."""
    return (indices[:, None] == xp.arange(in_size)[None, :]) * weights[:, None].astype(dtype)


def nearest_sources(xp, in_size, out_size, scale, exact=False, shortcut=False):
    """PyTorch's nearest: source floor(i * scale), or floor((i + 0.5) * scale) for "nearest-exact",
    computed in float32 whatever the dtype, as PyTorch does. With ``shortcut`` (PyTorch's 2-D
    kernel, for images; not its 1-D and 3-D ones) "nearest" takes source i when the size is
    unchanged and i // 2 when it doubles, whatever the scale factor. (PyTorch's 1-D and 3-D
    backward take the sizes' ratio where its forward took the scale factor given; tinynn's
    gradient is that of the forward, the transpose of this matrix.)"""
    if shortcut and not exact and out_size in (in_size, 2 * in_size):
        return xp.arange(out_size) // (out_size // in_size)
    positions = xp.arange(out_size, dtype=np.float32) + (np.float32(0.5) if exact else np.float32(0))
    return xp.minimum(xp.floor(positions * np.float32(scale)).astype(np.int64), in_size - 1)


def linear_matrix(xp, in_size, out_size, scale, align_corners, dtype):
    """PyTorch's linear interpolation weights (``area_pixel_compute_source_index`` and
    ``guard_index_and_lambda``), in the input's precision."""
    if in_size == out_size:
        return xp.eye(in_size, dtype=dtype)
    positions = xp.arange(out_size, dtype=dtype)
    if align_corners:
        source = positions * dtype.type(scale)
    else:
        source = xp.maximum((positions + dtype.type(0.5)) * dtype.type(scale) - dtype.type(0.5), 0)
    lower = xp.minimum(source.astype(np.int64), in_size - 1)
    upper_weight = xp.clip(source - lower, 0, 1)
    upper = lower + (lower < in_size - 1)
    return (_selection(xp, lower, in_size, 1 - upper_weight, dtype)
            + _selection(xp, upper, in_size, upper_weight, dtype))


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


def cubic_matrix(xp, in_size, out_size, scale, align_corners, dtype):
    """PyTorch's bicubic weights (``get_cubic_upsample_coefficients``): for the source position s,
    t = s - floor(s), the rows floor(s) - 1 ... floor(s) + 2 (clamped into the input) get the
    weights of ``cubic_weights``."""
    positions = xp.arange(out_size, dtype=dtype)
    if align_corners:
        source = positions * dtype.type(scale)
    else:  # not clamped at 0, unlike linear: the cubic taps reach past the edge anyway
        source = (positions + dtype.type(0.5)) * dtype.type(scale) - dtype.type(0.5)
    floor = xp.floor(source)
    weights = cubic_weights(source - floor)
    start = floor.astype(np.int64) - 1
    return sum(_selection(xp, xp.clip(start + k, 0, in_size - 1), in_size, weight.astype(dtype), dtype)
               for k, weight in enumerate(weights))


ANTIALIAS_CUBIC_A = -0.5  # PyTorch's (and PIL's) kernel for antialiased bicubic


def antialias_matrix(xp, in_size, out_size, scale, dtype, cubic):
    """PyTorch's antialiased weights (``_compute_weights_aa``): output i is centred on the source
    position c = scale (i + 0.5); the filter (triangle, or cubic convolution with a = -0.5) of
    half-width 1 (2 for cubic) is stretched by the scale when shrinking, and the rows
    [trunc(c - support + 0.5), trunc(c + support + 0.5)) within the input get
    filter((j - c + 0.5) / scale), normalised to sum to 1. Computed in float64, then cast."""
    half_width = 2.0 if cubic else 1.0
    stretch = max(scale, 1.0)
    support = half_width * stretch
    centers = scale * (np.arange(out_size) + 0.5)
    first = np.maximum(np.trunc(centers - support + 0.5).astype(np.int64), 0)
    last = np.minimum(np.trunc(centers + support + 0.5).astype(np.int64), in_size)
    rows = np.arange(in_size)[None, :]
    distance = np.abs((rows - centers[:, None] + 0.5) / stretch)
    if cubic:
        a = ANTIALIAS_CUBIC_A
        weights = np.where(distance < 1, ((a + 2) * distance - (a + 3)) * distance * distance + 1,
                           np.where(distance < 2, ((a * distance - 5 * a) * distance + 8 * a) * distance - 4 * a, 0.0))
    else:
        weights = np.maximum(1 - distance, 0.0)
    weights = weights * ((rows >= first[:, None]) & (rows < last[:, None]))
    totals = weights.sum(axis=1, keepdims=True)
    weights = np.divide(weights, totals, out=np.zeros_like(weights), where=totals != 0)
    return xp.asarray(weights.astype(dtype))


def adaptive_average_matrix(xp, in_size, out_size, dtype):
    """Row i averages PyTorch's adaptive window [floor(i in/out), ceil((i+1) in/out))."""
    cells = xp.arange(out_size)
    starts, ends = cells * in_size // out_size, -(-(cells + 1) * in_size // out_size)
    columns = xp.arange(in_size)[None, :]
    inside = (columns >= starts[:, None]) & (columns < ends[:, None])
    return inside * (1 / (ends - starts)).astype(dtype)[:, None]


def adaptive_average(images, out_hw):
    """(N, C, H, W) averaged over PyTorch's adaptive windows to (N, C, OH, OW)."""
    xp, dtype = Function.xp(images._array), images.dtype
    return SeparableResample2d(*(adaptive_average_matrix(xp, images.shape[2 + i], out_hw[i], dtype)
                                 for i in range(2)))(images)


def interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None, recompute_scale_factor=None,
                antialias=False):
    """Resize (N, C, L), (N, C, H, W) or (N, C, D, H, W) input to ``size``, or by ``scale_factor``
    (output floor(in * s)).

    ``mode``: "nearest", "nearest-exact", "linear" (3-D), "bilinear" or "bicubic" (4-D), "trilinear"
    (5-D), or "area" (adaptive average pooling). ``align_corners`` (linear and cubic modes): map the corner pixels' centres onto
    each other instead of the corners' edges. Given a ``scale_factor``, the source positions use
    1/scale_factor unless ``recompute_scale_factor`` (as in PyTorch). ``antialias`` (bilinear and
    bicubic): shrinking averages every input pixel in reach instead of sampling a few (``antialias_matrix``).
    """
    name = "interpolate"
    check_float(input, name)
    if input.ndim not in (3, 4, 5):
        raise ValueError(f"{name}: expected 3-D (N, C, L), 4-D (N, C, H, W) or 5-D (N, C, D, H, W) input, got shape "
                         f"{tuple(input.shape)}")
    check_not_empty(input, name)
    spatial = input.ndim - 2
    linear_mode = LINEAR_MODES[input.ndim]
    if mode in tuple(LINEAR_MODES.values()) + ("bicubic",) and mode != linear_mode and not (mode == "bicubic" and spatial == 2):
        needed = {"linear": "3-D", "trilinear": "5-D"}.get(mode, "4-D")
        raise ValueError(f"{name}: mode {mode!r} needs {needed} input, got "
                         f"{input.ndim}-D input of shape {tuple(input.shape)} (use {linear_mode!r})")
    interpolating = (linear_mode, "bicubic") if spatial == 2 else (linear_mode,)
    if mode not in ("nearest", "nearest-exact", "area") + interpolating:
        raise ValueError(f"{name}: mode must be 'nearest', 'nearest-exact', {' or '.join(map(repr, interpolating))} "
                         f"or 'area', got {mode!r}")
    if align_corners is not None and mode not in interpolating:
        raise ValueError(f"{name}: align_corners can only be set with mode {' or '.join(map(repr, interpolating))}, "
                         f"not {mode!r}")
    if antialias and mode not in ("bilinear", "bicubic"):
        raise ValueError(f"{name}: antialias applies to the 'bilinear' and 'bicubic' modes (4-D input), not {mode!r}")
    in_sizes = input.shape[2:]
    out_sizes, scales = _output_sizes(in_sizes, size, scale_factor, recompute_scale_factor, name)
    if spatial == 3:
        return _interpolate_volume(input, out_sizes, scales, mode, align_corners)
    images = input.reshape(input.shape[:2] + (1,) * (4 - input.ndim) + in_sizes)
    if mode == "area":
        resampled = adaptive_average(images, (1,) * (2 - spatial) + out_sizes)
    elif mode in ("nearest", "nearest-exact"):
        xp = Function.xp(input._array)
        sources = [xp.zeros(1, dtype=np.int64)] * (2 - spatial) + [
            nearest_sources(xp, in_size, out_size, scale, exact=mode == "nearest-exact", shortcut=input.ndim == 4)
            for in_size, out_size, scale in zip(in_sizes, out_sizes, scales)]
        resampled = NearestResample2d(*sources, images.shape[2:])(images)
    else:
        xp = Function.xp(input._array)
        matrices = [xp.eye(1, dtype=input.dtype)] * (2 - spatial) + _axis_matrices(input, out_sizes, scales, mode,
                                                                                   align_corners, antialias)
        resampled = SeparableResample2d(*matrices)(images)
    return resampled.reshape(input.shape[:2] + out_sizes)


def _axis_matrices(input, out_sizes, scales, mode, align_corners, antialias=False):
    """One (out, in) interpolation matrix per spatial axis of ``input`` (the linear and cubic modes; nearest
    resizing gathers instead, see NearestResample2d)."""
    xp, dtype = Function.xp(input._array), input.dtype
    matrices = []
    for in_size, out_size, scale in zip(input.shape[2:], out_sizes, scales):
        if align_corners:
            scale = (in_size - 1) / (out_size - 1) if out_size > 1 else 0.0
        if antialias:
            matrices.append(antialias_matrix(xp, in_size, out_size, scale, dtype, cubic=mode == "bicubic"))
            continue
        build = cubic_matrix if mode == "bicubic" else linear_matrix
        matrices.append(build(xp, in_size, out_size, scale, bool(align_corners), dtype))
    return matrices


def _interpolate_volume(input, out_sizes, scales, mode, align_corners):
    """5-D input: the depth axis resampled by its matrix (an einsum), then every depth slice as an image."""
    from ...ops.einsum import einsum
    from ...tensor import Tensor
    from .conv3d import adaptive_avg_pool3d

    if mode == "area":
        return adaptive_avg_pool3d(input, out_sizes)
    n, c = input.shape[:2]
    if mode in ("nearest", "nearest-exact"):  # gathers, as for images (see NearestResample2d)
        xp = Function.xp(input._array)
        depth, height, width = (nearest_sources(xp, in_size, out_size, scale, exact=mode == "nearest-exact")
                                for in_size, out_size, scale in zip(input.shape[2:], out_sizes, scales))
        deep = input[:, :, Tensor._from_op(depth, False)]
        images = deep.reshape(n, c * out_sizes[0], *input.shape[3:])
        return NearestResample2d(height, width, input.shape[3:])(images).reshape((n, c) + tuple(out_sizes))
    depth, height, width = _axis_matrices(input, out_sizes, scales, mode, align_corners)
    deep = einsum("ncdhw,ed->ncehw", input, Tensor._from_op(depth, False))
    images = deep.reshape(n, c * out_sizes[0], *input.shape[3:])
    return SeparableResample2d(height, width)(images).reshape((n, c) + tuple(out_sizes))


def _output_sizes(in_sizes, size, scale_factor, recompute_scale_factor, name):
    """The output sizes, and for each axis the input/output scale the source positions use."""
    spatial = len(in_sizes)
    if (size is None) == (scale_factor is None):
        raise ValueError(f"{name}: give exactly one of size and scale_factor")
    if size is not None:
        if recompute_scale_factor:
            raise ValueError(f"{name}: recompute_scale_factor=True is meaningful only with a scale_factor, "
                             f"not with an explicit size {size!r}")
        out_sizes = ntuple(size, spatial, name, "size")
        if any(s <= 0 for s in out_sizes):
            raise ValueError(f"{name}: size must be positive, got {out_sizes}")
        return out_sizes, tuple(i / o for i, o in zip(in_sizes, out_sizes))
    factors = (scale_factor,) * spatial if isinstance(scale_factor, (int, float)) else tuple(scale_factor)
    if len(factors) != spatial or not all(isinstance(f, (int, float)) and f > 0 for f in factors):
        raise ValueError(f"{name}: scale_factor must be a positive number or {spatial} of them, got {scale_factor!r}")
    out_sizes = tuple(math.floor(i * f) for i, f in zip(in_sizes, factors))
    if any(s <= 0 for s in out_sizes):
        raise ValueError(f"{name}: scale_factor {scale_factor!r} makes an empty output from size {tuple(in_sizes)}")
    if recompute_scale_factor:
        return out_sizes, tuple(i / o for i, o in zip(in_sizes, out_sizes))
    return out_sizes, tuple(1 / f for f in factors)
