"""Pooling: max, average, adaptive average. All use the im2col window view of conv.py."""
import numpy as np

from ...autograd import Function
from .im2col import col2im, im2col, kernel_offsets, output_size, pad_nhwc, to_nchw, to_nhwc, unpad_nhwc
from .validation import check_nchw, check_non_negative, check_positive, check_window_fits, pair


class MaxPool2d(Function):
    """y[n, c, i, j] = max over the window (p, q) of x[n, c, i*S + p - P, j*S + q - P].

    Shapes: x (N, C, H, W) -> y (N, C, OH, OW). Padding counts as -inf (never the maximum), as in
    PyTorch. Backward: each dL/dy entry goes to the position of its window's maximum (the first
    one in row-major window order on a tie, as PyTorch); overlapping windows add up.

    Both passes loop over the KH*KW kernel offsets, never over pixels: for offset (p, q) the
    strided view x[:, p::S, q::S] holds that window position for every output at once. The
    forward keeps a running maximum and the offset it came from (a strict ">" keeps the first of
    equal values; NaN wins, so NaN propagates as in PyTorch); the backward adds dL/dy back at
    each offset where it was the argmax. This is col2im with a one-hot column per window,
    without ever building the columns.
    """

    def __init__(self, kernel_size, stride, padding):
        self.kernel_size, self.stride, self.padding = kernel_size, stride, padding

    def _offsets(self, padded_shape):
        """(offset number p*KW + q, index of that window position in every window)."""
        out_hw = tuple(output_size(padded_shape[1 + i], self.kernel_size[i], self.stride[i]) for i in range(2))
        for p, q, window in kernel_offsets(self.kernel_size, self.stride, out_hw):
            yield p * self.kernel_size[1] + q, window

    def forward(self, x):
        xp = self.xp(x)
        x_padded = pad_nhwc(to_nhwc(x), self.padding, value=-np.inf)
        self.padded_shape = x_padded.shape
        y = argmax = None
        for offset, window in self._offsets(x_padded.shape):
            candidate = x_padded[window]
            if y is None:
                y = candidate.copy()
                argmax = xp.zeros(y.shape, dtype=np.uint8 if self.kernel_size[0] * self.kernel_size[1] < 256
                                  else np.int32)
                continue
            if self.needs_input_grad[0]:
                better = (candidate > y) | xp.isnan(candidate)
                # argmax = where(better, offset, argmax), in arithmetic form (far faster than where()
                # here; unsigned wrap-around cancels out exactly).
                argmax += better * (argmax.dtype.type(offset) - argmax)
            xp.maximum(y, candidate, out=y)
        self.argmax = argmax
        return to_nchw(y)

    def backward(self, gy):
        xp = self.xp(gy)
        g = to_nhwc(gy)
        gx = xp.zeros(self.padded_shape, dtype=gy.dtype)
        for offset, window in self._offsets(self.padded_shape):
            gx[window] += g * (self.argmax == offset)
        return (to_nchw(unpad_nhwc(gx, self.padding)),)


class AvgPool2d(Function):
    """y[n, c, i, j] = mean over the KH x KW window of x (zero padding counted, PyTorch's default).

    Backward: every position in a window receives dL/dy / (KH*KW); overlaps add up (col2im).
    """

    def __init__(self, kernel_size, stride, padding):
        self.kernel_size, self.stride, self.padding = kernel_size, stride, padding

    def forward(self, x):
        x_padded = pad_nhwc(to_nhwc(x), self.padding)
        self.padded_shape = x_padded.shape
        return to_nchw(im2col(x_padded, self.kernel_size, self.stride).mean(axis=(3, 4)))

    def backward(self, gy):
        xp = self.xp(gy)
        n, c, oh, ow = gy.shape
        kh, kw = self.kernel_size
        share = to_nhwc(gy)[:, :, :, None, None, :] / (kh * kw)
        g_col = xp.broadcast_to(share, (n, oh, ow, kh, kw, c))
        g = col2im(g_col, self.padded_shape, self.stride)
        return (to_nchw(unpad_nhwc(g, self.padding)),)


class GlobalAvgPool2d(Function):
    """y[n, c, 0, 0] = mean of x[n, c, :, :].  Shapes (N, C, H, W) -> (N, C, 1, 1).
    Backward: every pixel receives dL/dy[n, c] / (H*W)."""

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


def _pool_arguments(x, kernel_size, stride, padding, name):
    check_nchw(x, name)
    kernel = pair(kernel_size, name, "kernel_size")
    stride = kernel if stride is None else pair(stride, name, "stride")
    padding = pair(padding, name, "padding")
    check_positive(kernel, name, "kernel_size")
    check_positive(stride, name, "stride")
    check_non_negative(padding, name, "padding")
    if padding[0] > kernel[0] // 2 or padding[1] > kernel[1] // 2:
        raise ValueError(f"{name}: padding {padding} should be at most half of kernel size {kernel}")
    check_window_fits(x, kernel, padding, name)
    return kernel, stride, padding


def max_pool2d(input, kernel_size, stride=None, padding=0, name="max_pool2d"):
    """Max pooling over KH x KW windows; ``stride`` defaults to ``kernel_size`` as in PyTorch."""
    return MaxPool2d(*_pool_arguments(input, kernel_size, stride, padding, name))(input)


def avg_pool2d(input, kernel_size, stride=None, padding=0, name="avg_pool2d"):
    """Average pooling over KH x KW windows; ``stride`` defaults to ``kernel_size``."""
    return AvgPool2d(*_pool_arguments(input, kernel_size, stride, padding, name))(input)


def _adaptive_bounds(size, out):
    """PyTorch's adaptive windows: output cell i covers [floor(i*size/out), ceil((i+1)*size/out))."""
    return [(i * size // out, -(-(i + 1) * size // out)) for i in range(out)]


def adaptive_avg_pool2d(input, output_size, name="adaptive_avg_pool2d"):
    """Average pooling to a fixed (OH, OW); ``output_size=1`` is global average pooling.

    Each output cell averages PyTorch's adaptive window. When the size divides evenly this is
    plain ``avg_pool2d``; otherwise each of the OH*OW cells is averaged on its own (a loop over
    output cells, each vectorised over N and C).
    """
    from ...tensor import stack

    check_nchw(input, name)
    oh, ow = pair(output_size, name, "output_size")
    check_positive((oh, ow), name, "output_size")
    h, w = input.shape[2:]
    if (oh, ow) == (1, 1):
        return GlobalAvgPool2d()(input)
    if h % oh == 0 and w % ow == 0:
        return avg_pool2d(input, (h // oh, w // ow), name=name)
    rows = []
    for top, bottom in _adaptive_bounds(h, oh):
        cells = [input[:, :, top:bottom, left:right].mean(axis=(2, 3)) for left, right in _adaptive_bounds(w, ow)]
        rows.append(stack(cells, axis=2))
    return stack(rows, axis=2)
