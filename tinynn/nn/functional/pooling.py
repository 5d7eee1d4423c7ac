"""Pooling: max (with indices, and its partial inverse max_unpool2d), average, adaptive average and
max. The window pools use the im2col window view of conv.py."""
import math

import numpy as np

from ...errors import InputError
from ... import backend
from ...autograd import Function
from ...half_precision import computed_in_float32
from ...fused import ElementwiseKernel
from ...ops.gradient_mask import passed_where
from ...memory_layout import in_usual_layout
from ...tensor import Tensor
from .im2col import col2im, im2col, kernel_offsets, output_size, pad_nhwc, to_nchw, to_nhwc, unpad_nhwc
from .resampling import adaptive_average
from .validation import (accepts_unbatched, adaptive_output_size, check_float, check_ncl, check_nchw, check_non_negative, check_positive,
                         ntuple, pair)


def pool_output_size(size, kernel, stride, padding, dilation, ceil_mode):
    """PyTorch's pooling output size. With ``ceil_mode`` a last, partial window is kept, provided it
    starts inside the input or its left padding."""
    out = output_size(size + 2 * padding + (stride - 1 if ceil_mode else 0), kernel, stride, dilation)
    if ceil_mode and (out - 1) * stride >= size + padding:
        out -= 1
    return out


class _Pool2d(Function):
    """Window geometry shared by max and average pooling. The input is padded by P on each side,
    plus, with ``ceil_mode``, on the bottom and right far enough for the last partial windows."""

    def __init__(self, kernel_size, stride, padding, dilation=(1, 1), ceil_mode=False):
        self.kernel_size, self.stride, self.padding, self.dilation = kernel_size, stride, padding, dilation
        self.ceil_mode = ceil_mode

    def _pad(self, x_nhwc, value):
        """Pads x and remembers the geometry; returns the padded channels-last array."""
        self.input_hw = x_nhwc.shape[1:3]
        self.out_hw = tuple(pool_output_size(self.input_hw[i], self.kernel_size[i], self.stride[i], self.padding[i],
                                             self.dilation[i], self.ceil_mode) for i in range(2))
        ends = [max(self.padding[i], (self.out_hw[i] - 1) * self.stride[i] + self.dilation[i] * (self.kernel_size[i] - 1)
                    + 1 - self.input_hw[i] - self.padding[i]) for i in range(2)]
        self.pad_widths = ((self.padding[0], ends[0]), (self.padding[1], ends[1]))
        return pad_nhwc(x_nhwc, self.pad_widths, value)

    def _unpad(self, g_padded):
        return unpad_nhwc(g_padded, self.pad_widths)

    def _offsets(self):
        """(offset number p*KW + q, index of that window position in every window)."""
        for p, q, window in kernel_offsets(self.kernel_size, self.stride, self.out_hw, self.dilation):
            yield p * self.kernel_size[1] + q, window


# Each kernel offset's step of MaxPool2d in one GPU kernel (see tinynn.fused), the same lines as
# the CPU code: keep the running maximum and the offset it came from (NaN wins); route dL/dy back.
RUNNING_MAX = ElementwiseKernel("T candidate, I offset", "T best, I argmax", """
argmax = where((candidate > best) | (candidate != candidate), offset, argmax);
best = where((candidate > best) | (candidate != candidate), candidate, best);
""", "tinynn_max_pool_running_max")
ROUTE_TO_ARGMAX = ElementwiseKernel("T g, I argmax, I offset", "T gx", "gx = gx + where(argmax == offset, g, 0);",
                                    "tinynn_max_pool_route_to_argmax")


class MaxPool2d(_Pool2d):
    """y[n, c, i, j] = max over the window (p, q) of x[n, c, i*S + p*D - P, j*S + q*D - P].

    Shapes: x (N, C, H, W) -> y (N, C, OH, OW). Padding counts as -inf (never the maximum), as in
    PyTorch. Backward: each dL/dy entry goes to the position of its window's maximum (the first
    one in row-major window order on a tie, as PyTorch); overlapping windows add up.

    Both passes loop over the KH*KW kernel offsets, never over pixels: for offset (p, q) the
    strided view x[:, p*D::S, q*D::S] holds that window position for every output at once. The
    forward keeps a running maximum and the offset it came from (a strict ">" keeps the first of
    equal values; NaN wins, so NaN propagates as in PyTorch); the backward adds dL/dy back at
    each offset where it was the argmax. This is col2im with a one-hot column per window,
    without ever building the columns.
    """

    linear_map = True  # where the maxima are: see linear_part

    keep_argmax = False  # set when the indices are wanted (return_indices), not only the gradient

    def forward(self, x):
        xp = self.xp(x)
        x_padded = self._pad(to_nhwc(x), -np.inf)
        self.padded_shape = x_padded.shape
        y = argmax = None
        for offset, window in self._offsets():
            candidate = x_padded[window]
            if y is None:
                y = candidate.copy()
                argmax = xp.zeros(y.shape, dtype=np.uint8 if self.kernel_size[0] * self.kernel_size[1] < 256
                                  else np.int32)
                continue
            if not (self.needs_input_grad[0] or self.keep_argmax):
                xp.maximum(y, candidate, out=y)
            elif xp is np:
                better = (candidate > y) | xp.isnan(candidate)
                # argmax = where(better, offset, argmax), in arithmetic form (far faster than where()
                # here; unsigned wrap-around cancels out exactly).
                argmax += better * (argmax.dtype.type(offset) - argmax)
                xp.maximum(y, candidate, out=y)
            else:
                RUNNING_MAX(candidate, offset, y, argmax)
        self.argmax = argmax
        return to_nchw(y)

    def backward(self, gy):
        xp = self.xp(gy)
        g = to_nhwc(gy)
        if xp is np and self._windows_apart():
            # each position lies in one window at most: written once, not added to (no temporary), and
            # zeros only where no window reaches
            covered = all(self.dilation[i] == 1 and self.kernel_size[i] == self.stride[i]
                          and self.out_hw[i] * self.stride[i] == self.padded_shape[1 + i] for i in range(2))
            gx = (np.empty if covered else np.zeros)(self.padded_shape, dtype=gy.dtype)
            for offset, window in self._offsets():
                passed_where(g, self.argmax == offset, out=gx[window])
            return (to_nchw(self._unpad(gx)),)
        gx = xp.zeros(self.padded_shape, dtype=gy.dtype)
        for offset, window in self._offsets():
            if xp is np:
                gx[window] += passed_where(g, self.argmax == offset)
            else:
                ROUTE_TO_ARGMAX(g, self.argmax, offset, gx[window])
        return (to_nchw(self._unpad(gx)),)

    def _windows_apart(self):
        """Whether no two windows share a position: each spans no more than the stride (the usual
        MaxPool2d(2), kernel = stride)."""
        return all(self.dilation[i] * (self.kernel_size[i] - 1) + 1 <= self.stride[i] for i in range(2))

    def linear_part(self, x):
        """Max pooling with the maxima where they are: each output takes x at its window's saved
        argmax. Near any input without ties max pooling is this linear map, so it is what create_graph
        records for the forward (its transpose is ``backward``; see autograd.LinearMap)."""
        xp = self.xp(x)
        x_padded = pad_nhwc(to_nhwc(x), self.pad_widths, 0.0)
        y = None
        for offset, window in self._offsets():
            picked = xp.where(self.argmax == offset, x_padded[window], 0)
            y = picked if y is None else y + picked
        return to_nchw(y)

    def indices(self):
        """PyTorch's ``return_indices``: for every output, where its maximum is in its (unpadded)
        input plane, as row * W + column; (N, C, OH, OW) int64. A window whose dilated taps all fall
        in the padding (its output -inf) holds no element: -1 (PyTorch's number there points
        nowhere in particular)."""
        xp = self.xp(self.argmax)
        kernel_w = self.kernel_size[1]
        offset = self.argmax.astype(np.int64)
        rows = (xp.arange(self.out_hw[0])[:, None, None] * self.stride[0] - self.padding[0]
                + offset // kernel_w * self.dilation[0])
        columns = (xp.arange(self.out_hw[1])[None, :, None] * self.stride[1] - self.padding[1]
                   + offset % kernel_w * self.dilation[1])
        inside = (rows >= 0) & (rows < self.input_hw[0]) & (columns >= 0) & (columns < self.input_hw[1])
        return to_nchw(xp.where(inside, rows * self.input_hw[1] + columns, -1))


class AvgPool2d(_Pool2d):
    """y[n, c, i, j] = (sum of x over the KH x KW window) / d[i, j].

    d is PyTorch's divisor: KH*KW normally (zero padding counted, the default
    ``count_include_pad=True``); a partial last window of ``ceil_mode`` counts only the part
    inside the padded input; with ``count_include_pad=False`` only the part inside the input;
    ``divisor_override`` replaces d everywhere.
    Backward: every position in window (i, j) receives dL/dy[i, j] / d[i, j]; overlaps add up (col2im).
    """

    linear_map = True

    def __init__(self, kernel_size, stride, padding, ceil_mode=False, count_include_pad=True, divisor_override=None):
        super().__init__(kernel_size, stride, padding, ceil_mode=ceil_mode)
        self.count_include_pad, self.divisor_override = count_include_pad, divisor_override

    def _divisor(self, xp, dtype):
        """d as a number when it is the same everywhere, else an (OH, OW, 1) array (made on the device)."""
        if self.divisor_override is not None:
            return float(self.divisor_override)
        if not self.ceil_mode and (self.count_include_pad or self.padding == (0, 0)):
            return float(self.kernel_size[0] * self.kernel_size[1])
        sizes = []
        for i in range(2):
            start = xp.arange(self.out_hw[i]) * self.stride[i] - self.padding[i]
            end = xp.minimum(start + self.kernel_size[i], self.input_hw[i] + self.padding[i])
            if not self.count_include_pad:
                start, end = xp.maximum(start, 0), xp.minimum(end, self.input_hw[i])
            sizes.append(end - start)
        return (sizes[0][:, None, None] * sizes[1][None, :, None]).astype(dtype)

    def forward(self, x):
        xp = self.xp(x)
        x_padded = self._pad(to_nhwc(x), 0.0)
        self.padded_shape = x_padded.shape
        self.divisor = self._divisor(xp, x.dtype)
        return to_nchw(im2col(x_padded, self.kernel_size, self.stride).sum(axis=(3, 4)) / self.divisor)

    def backward(self, gy):
        xp = self.xp(gy)
        n, c, oh, ow = gy.shape
        kh, kw = self.kernel_size
        share = (to_nhwc(gy) / self.divisor)[:, :, :, None, None, :]
        g_col = xp.broadcast_to(share, (n, oh, ow, kh, kw, c))
        g = col2im(g_col, self.padded_shape, self.stride)
        return (to_nchw(self._unpad(g)),)


class GlobalAvgPool2d(Function):
    """y[n, c, 0, 0] = mean of x[n, c, :, :].  Shapes (N, C, H, W) -> (N, C, 1, 1).
    Backward: every pixel receives dL/dy[n, c] / (H*W)."""

    linear_map = True

    def forward(self, x):
        self.input_shape = x.shape
        return x.mean(axis=(2, 3), keepdims=True)

    def backward(self, gy):
        xp = self.xp(gy)
        h, w = self.input_shape[2:]
        n, c = gy.shape[:2]
        # The broadcast is materialised channels-last, the layout the conv layers below expect.
        g = xp.empty((n, h, w, c), dtype=gy.dtype)
        g[...] = gy.reshape(n, 1, 1, c) / (h * w)
        return (to_nchw(g),)


def _pool_arguments(x, kernel_size, stride, padding, dilation, ceil_mode, name):
    check_nchw(x, name)
    kernel = pair(kernel_size, name, "kernel_size")
    stride = kernel if stride is None else pair(stride, name, "stride")
    padding, dilation = pair(padding, name, "padding"), pair(dilation, name, "dilation")
    check_positive(kernel, name, "kernel_size")
    check_positive(stride, name, "stride")
    check_positive(dilation, name, "dilation")
    check_non_negative(padding, name, "padding")
    if padding[0] > kernel[0] // 2 or padding[1] > kernel[1] // 2:
        raise InputError(f"{name}: padding {padding} should be at most half of kernel size {kernel}")
    # as PyTorch: a window may reach past the padded input (ceil_mode's last one), so long as
    # every output size is at least 1
    out = [pool_output_size(x.shape[2 + i], kernel[i], stride[i], padding[i], dilation[i], ceil_mode) for i in range(2)]
    if min(out) < 1:
        raise InputError(f"{name}: the output would have size {tuple(out)} for input size {tuple(x.shape[2:])} (kernel "
                         f"{kernel}, dilation {dilation}, padding {padding}, stride {stride}): the window is larger "
                         "than the padded input")
    return kernel, stride, padding, dilation


@accepts_unbatched(2)
def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False,
               name="max_pool2d"):
    """Max pooling over KH x KW windows; ``stride`` defaults to ``kernel_size`` as in PyTorch. With
    ``return_indices``, also where each maximum is (for ``max_unpool2d``)."""
    kernel, stride, padding, dilation = _pool_arguments(input, kernel_size, stride, padding, dilation, ceil_mode, name)
    function = MaxPool2d(kernel, stride, padding, dilation, bool(ceil_mode))
    function.keep_argmax = bool(return_indices)
    output = function(input)
    return (output, Tensor._from_op(function.indices(), False)) if return_indices else output


@computed_in_float32("input")
@accepts_unbatched(2)
def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None, name="avg_pool2d"):
    """Average pooling over KH x KW windows; ``stride`` defaults to ``kernel_size``."""
    kernel, stride, padding, _ = _pool_arguments(input, kernel_size, stride, padding, 1, ceil_mode, name)
    if divisor_override is not None and (not isinstance(divisor_override, (int, np.integer)) or divisor_override <= 0):
        raise InputError(f"{name}: divisor_override must be a positive int or None, got {divisor_override!r}")
    return AvgPool2d(kernel, stride, padding, bool(ceil_mode), bool(count_include_pad), divisor_override)(input)


def _pool1d(pool2d, input, kernel_size, stride, padding, name, **options):
    """A 1-D pooling of (N, C, L) input as the 2-D one over (N, C, 1, L) (and its indices, which
    are the same numbers: row 0 of a plane one row high)."""
    check_ncl(input, name)
    (kernel,) = ntuple(kernel_size, 1, name, "kernel_size")
    stride = kernel if stride is None else ntuple(stride, 1, name, "stride")[0]
    (padding,) = ntuple(padding, 1, name, "padding")
    n, channels, length = input.shape
    out = pool2d(input.reshape(n, channels, 1, length), (1, kernel), (1, stride), (0, padding), name=name, **options)
    if isinstance(out, tuple):
        return tuple(part.reshape(n, channels, part.shape[3]) for part in out)
    return out.reshape(n, channels, out.shape[3])


@accepts_unbatched(1)
def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False,
               name="max_pool1d"):
    """Max pooling of (N, C, L) input over windows of ``kernel_size``; ``stride`` defaults to it."""
    (dilation,) = ntuple(dilation, 1, name, "dilation")
    return _pool1d(max_pool2d, input, kernel_size, stride, padding, name, dilation=(1, dilation), ceil_mode=ceil_mode,
                   return_indices=return_indices)


@computed_in_float32("input")
@accepts_unbatched(1)
def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True, name="avg_pool1d"):
    """Average pooling of (N, C, L) input over windows of ``kernel_size``; ``stride`` defaults to it."""
    return _pool1d(avg_pool2d, input, kernel_size, stride, padding, name, ceil_mode=ceil_mode,
                   count_include_pad=count_include_pad)


@accepts_unbatched(2)
def adaptive_avg_pool2d(input, output_size, name="adaptive_avg_pool2d"):
    """Average pooling to a fixed (OH, OW); ``output_size=1`` is global average pooling.

    Output cell (i, j) averages PyTorch's adaptive window: rows [floor(i H/OH), ceil((i+1) H/OH)),
    likewise columns. When the size divides evenly this is plain ``avg_pool2d``; otherwise the
    windows overlap or differ in length, and the pooling is done as two averaging matrices
    (``resampling.adaptive_average``).
    """
    check_nchw(input, name)
    oh, ow = adaptive_output_size(input, output_size, 2, name)
    check_positive((oh, ow), name, "output_size")
    h, w = input.shape[2:]
    if (oh, ow) == (1, 1):
        return GlobalAvgPool2d()(input)
    if h % oh == 0 and w % ow == 0:
        return avg_pool2d(input, (h // oh, w // ow), name=name)
    return adaptive_average(input, (oh, ow))


class MaxUnpool2d(Function):
    """The partial inverse of max pooling: y is zero except at the positions ``indices`` name
    (row * W + column in each output plane), which receive the pooled values. Where overlapping
    windows shared a maximum, two values go to one position and one of them is kept (which one is
    unspecified, as in PyTorch), while both receive its gradient.
    Shapes: x and indices (N, C, H, W) -> y (N, C, OH, OW).  Backward: dL/dx = dL/dy read back at
    those positions (a gather)."""

    linear_map = True

    def __init__(self, indices, out_hw):
        self.indices, self.out_hw = indices, out_hw

    def forward(self, x):
        xp = self.xp(x)
        n, c, h, w = x.shape
        self.planes = xp.arange(n * c)[:, None]
        # Clipped because on the GPU an out-of-range index is reported later (backend.check_soon),
        # and until then must not write outside the output.
        self.flat_indices = xp.clip(self.indices.reshape(n * c, h * w), 0, self.out_hw[0] * self.out_hw[1] - 1)
        y = xp.zeros((n * c, self.out_hw[0] * self.out_hw[1]), dtype=x.dtype)
        y[self.planes, self.flat_indices] = x.reshape(n * c, h * w)
        self.input_shape = x.shape
        return y.reshape(n, c, *self.out_hw)

    def backward(self, gy):
        n, c = gy.shape[:2]
        return (gy.reshape(n * c, self.out_hw[0] * self.out_hw[1])[self.planes, self.flat_indices].reshape(self.input_shape),)


@accepts_unbatched(2, batched_arguments=("input", "indices"))
def max_unpool2d(input, indices, kernel_size, stride=None, padding=0, output_size=None, name="max_unpool2d"):
    """Put the values of a max pooling back where they came from (zeros elsewhere): ``indices``
    from ``max_pool2d(..., return_indices=True)``; output (H - 1) * stride - 2 * padding + kernel_size
    unless ``output_size`` is given."""
    check_nchw(input, name)
    if not isinstance(indices, Tensor) or indices.dtype.kind not in "iu" or indices.shape != input.shape:
        what = f"{indices.dtype} {tuple(indices.shape)}" if isinstance(indices, Tensor) else type(indices).__name__
        raise InputError(f"{name}: expected integer indices of the input's shape {tuple(input.shape)}, got {what}")
    kernel = pair(kernel_size, name, "kernel_size")
    stride = kernel if stride is None else pair(stride, name, "stride")
    padding = pair(padding, name, "padding")
    default = tuple((size - 1) * s - 2 * p + k for size, s, p, k in zip(input.shape[2:], stride, padding, kernel))
    out_hw = default if output_size is None else tuple(output_size)[-2:]
    if len(out_hw) != 2 or min(out_hw) <= 0:
        raise InputError(f"{name}: expected a positive (H, W) output_size, got {output_size!r}")
    check_unpool_indices(indices, out_hw, "plane", name)
    return MaxUnpool2d(indices._array, out_hw)(input)


def check_unpool_indices(indices, out_size, what, name):
    """Every index must name a position of the output (a flat index into ``out_size``); on the GPU
    the check is read with the next result (backend.check_soon), not at once."""
    out_of_range = (indices._array < 0) | (indices._array >= math.prod(out_size))

    def out_of_range_error():
        bad = int(indices._array[out_of_range].reshape(-1)[0])
        where = " (found on the GPU at the next read of a result)" if indices.device == "gpu" else ""
        meaning = " (max pooling's mark of a window that held only padding)" if bad == -1 else ""
        return IndexError(f"{name}: index {bad}{meaning} is outside the {tuple(out_size)} output {what}{where}")

    backend.check_soon(out_of_range.any(), out_of_range_error)


@accepts_unbatched(2)
def adaptive_max_pool2d(input, output_size, return_indices=False, name="adaptive_max_pool2d"):
    """Max pooling to a fixed (OH, OW) over PyTorch's adaptive windows (rows [floor(i H/OH),
    ceil((i+1) H/OH)), likewise columns). Even windows use ``max_pool2d``; uneven ones gather every
    window, padded to the longest by repeating its last row or column (which cannot change a
    maximum), and take the maximum of each, as tensor ops."""
    check_nchw(input, name)
    oh, ow = adaptive_output_size(input, output_size, 2, name)
    check_positive((oh, ow), name, "output_size")
    h, w = input.shape[2:]
    if h % oh == 0 and w % ow == 0:
        return max_pool2d(input, (h // oh, w // ow), return_indices=return_indices, name=name)
    xp = Function.xp(input._array)
    rows, columns = _adaptive_windows(xp, h, oh), _adaptive_windows(xp, w, ow)  # (OH, KH), (OW, KW)
    n, c = input.shape[:2]
    windows = input[:, :, rows[:, :, None, None], columns[None, None, :, :]]  # (N, C, OH, KH, OW, KW)
    windows = windows.permute(0, 1, 2, 4, 3, 5).reshape(n, c, oh, ow, rows.shape[1] * columns.shape[1])
    output = windows.amax(dim=-1)
    if not return_indices:
        return output
    best = windows._array.argmax(axis=-1)  # the first maximum of each window, as PyTorch
    kernel_w = columns.shape[1]
    best_rows = xp.take_along_axis(xp.broadcast_to(rows[:, None, :], (oh, ow, rows.shape[1])),
                                   (best // kernel_w).reshape(n * c, oh, ow).transpose(1, 2, 0), axis=2)
    best_columns = xp.take_along_axis(xp.broadcast_to(columns[None, :, :], (oh, ow, kernel_w)),
                                      (best % kernel_w).reshape(n * c, oh, ow).transpose(1, 2, 0), axis=2)
    indices = (best_rows * w + best_columns).transpose(2, 0, 1).reshape(n, c, oh, ow)
    return output, Tensor._from_op(indices.astype(np.int64), False)


def _adaptive_windows(xp, size, out):
    """(out, longest window) positions: window i covers [floor(i size/out), ceil((i+1) size/out)),
    its end repeated to the longest window's length."""
    cells = xp.arange(out)
    starts, ends = cells * size // out, -(-(cells + 1) * size // out)
    longest = max(-(-(i + 1) * size // out) - i * size // out for i in range(out))
    return xp.minimum(starts[:, None] + xp.arange(longest)[None, :], ends[:, None] - 1)


def _as_plane(input, name):
    """(N, C, L) -> (N, C, 1, L), so the 2-D pooling serves 1-D inputs."""
    check_ncl(input, name)
    check_float(input, name)
    return input.reshape(input.shape[0], input.shape[1], 1, input.shape[2])


@accepts_unbatched(1)
def adaptive_avg_pool1d(input, output_size, name="adaptive_avg_pool1d"):
    """Average pooling of (N, C, L) input to ``output_size`` positions over PyTorch's adaptive windows."""
    (size,) = ntuple(output_size, 1, name, "output_size")
    out = adaptive_avg_pool2d(_as_plane(input, name), (1, size), name=name)
    return out.reshape(out.shape[0], out.shape[1], size)


@accepts_unbatched(1)
def adaptive_max_pool1d(input, output_size, return_indices=False, name="adaptive_max_pool1d"):
    """Max pooling of (N, C, L) input to ``output_size`` positions; with ``return_indices`` also where
    each maximum is (positions along L)."""
    (size,) = ntuple(output_size, 1, name, "output_size")
    out = adaptive_max_pool2d(_as_plane(input, name), (1, size), return_indices, name=name)
    if not return_indices:
        return in_usual_layout(out.reshape(out.shape[0], out.shape[1], size))
    values, indices = out
    return (in_usual_layout(values.reshape(values.shape[0], values.shape[1], size)),
            in_usual_layout(indices.reshape(indices.shape[0], indices.shape[1], size)))


@accepts_unbatched(1, batched_arguments=("input", "indices"))
def max_unpool1d(input, indices, kernel_size, stride=None, padding=0, output_size=None, name="max_unpool1d"):
    """``max_unpool2d`` for (N, C, L) input and the indices of ``max_pool1d(..., return_indices=True)``."""
    (kernel,) = ntuple(kernel_size, 1, name, "kernel_size")
    (stride,) = ntuple(kernel if stride is None else stride, 1, name, "stride")
    (padding,) = ntuple(padding, 1, name, "padding")
    length = (input.shape[2] - 1) * stride - 2 * padding + kernel if output_size is None else tuple(output_size)[-1]
    indices = indices.unsqueeze(2) if isinstance(indices, Tensor) and indices.ndim == 3 else indices
    out = max_unpool2d(_as_plane(input, name), indices, (1, kernel), (1, stride), (0, padding), (1, length), name=name)
    return out.reshape(out.shape[0], out.shape[1], length)


@accepts_unbatched(2)
def lp_pool2d(input, norm_type, kernel_size, stride=None, ceil_mode=False, name="lp_pool2d"):
    """Power-average pooling: (sum over each window of x^p)^(1/p), as PyTorch computes it: from the
    average of x^p, times the window's size (p = inf: the largest |x|, -inf: the smallest, as PyTorch)."""
    kernel = pair(kernel_size, name, "kernel_size")
    if norm_type in (float("inf"), float("-inf")):
        sign = 1 if norm_type > 0 else -1
        return sign * max_pool2d(sign * input.abs(), kernel, stride, ceil_mode=ceil_mode, name=name)
    average = avg_pool2d(input ** norm_type, kernel, stride, 0, ceil_mode, name=name)
    return (average.sign() * average.abs().relu() * (kernel[0] * kernel[1])) ** (1.0 / norm_type)


@accepts_unbatched(1)
def lp_pool1d(input, norm_type, kernel_size, stride=None, ceil_mode=False, name="lp_pool1d"):
    """``lp_pool2d`` over the windows of (N, C, L) input."""
    (kernel,) = ntuple(kernel_size, 1, name, "kernel_size")
    stride = None if stride is None else (1, ntuple(stride, 1, name, "stride")[0])
    out = lp_pool2d(_as_plane(input, name), norm_type, (1, kernel), stride, ceil_mode, name=name)
    return out.squeeze(2)
