"""``unfold`` and ``fold``: im2col and col2im as PyTorch exposes them (``F.unfold``/``F.fold``,
``nn.Unfold``/``nn.Fold``), each the other's backward.

Layout, as PyTorch's: unfold turns (N, C, H, W) into (N, C*KH*KW, L), one column per window
position (L = OH*OW of them, row-major), its rows ordered by channel, then kernel row, then kernel
column. A convolution is then a matrix product: conv2d(x, w) equals
(w.reshape(O, -1) @ unfold(x, kernel)).reshape(N, O, OH, OW) (the tests check it).
"""
from ...errors import InputError
from ...autograd import Function
from .im2col import col2im, im2col, output_size, pad_nhwc, to_nchw, to_nhwc, unpad_nhwc
from .validation import accepts_unbatched, check_float, check_non_negative, check_positive, pair


def _columns(patches):
    """im2col's (N, OH, OW, KH, KW, C) -> PyTorch's (N, C*KH*KW, OH*OW) (a copy)."""
    n, oh, ow, kh, kw, c = patches.shape
    return patches.transpose(0, 5, 3, 4, 1, 2).reshape(n, c * kh * kw, oh * ow)


def _patches(columns, channels, kernel, out_hw):
    """The inverse rearrangement: (N, C*KH*KW, OH*OW) -> (N, OH, OW, KH, KW, C) (a view)."""
    n = columns.shape[0]
    return columns.reshape(n, channels, kernel[0], kernel[1], out_hw[0], out_hw[1]).transpose(0, 4, 5, 2, 3, 1)


class Unfold(Function):
    """col[n, (c, p, q), (i, j)] = x[n, c, i*S + p*D - P, j*S + q*D - P] (0 in the padding).

    Shapes: x (N, C, H, W) -> (N, C*KH*KW, OH*OW). Backward is col2im (``Fold``'s forward): each
    entry's gradient is added to the pixel it was copied from; overlapping windows add up."""

    supports_complex, linear_map = True, True

    def __init__(self, kernel, dilation, padding, stride):
        self.kernel, self.dilation, self.padding, self.stride = kernel, dilation, padding, stride

    def forward(self, x):
        x_padded = pad_nhwc(to_nhwc(x), self.padding)
        patches = im2col(x_padded, self.kernel, self.stride, self.dilation)
        self.padded_shape, self.channels, self.out_hw = x_padded.shape, x.shape[1], patches.shape[1:3]
        return _columns(patches)

    def backward(self, gy):
        g_patches = _patches(gy, self.channels, self.kernel, self.out_hw)
        return (to_nchw(unpad_nhwc(col2im(g_patches, self.padded_shape, self.stride, self.dilation), self.padding)),)


class Fold(Function):
    """y[n, c, h, w] = the sum of col[n, (c, p, q), (i, j)] over every (p, q, i, j) whose window
    position i*S + p*D - P, j*S + q*D - P is (h, w): col2im, the adjoint of ``Unfold``.

    Shapes: col (N, C*KH*KW, L) -> (N, C, H, W) with H, W = ``output_size``. Backward: unfold
    of dL/dy (each entry reads the gradient of the pixel it was added to)."""

    supports_complex, linear_map = True, True

    def __init__(self, output_size, kernel, dilation, padding, stride):
        self.output_size, self.kernel = output_size, kernel
        self.dilation, self.padding, self.stride = dilation, padding, stride

    def forward(self, columns):
        n, rows, _ = columns.shape
        self.channels = rows // (self.kernel[0] * self.kernel[1])
        padded_hw = [self.output_size[i] + self.padding[i][0] + self.padding[i][1] for i in range(2)]
        self.out_hw = _window_counts(self.output_size, self.kernel, self.dilation, self.padding, self.stride)
        patches = _patches(columns, self.channels, self.kernel, self.out_hw)
        return to_nchw(unpad_nhwc(col2im(patches, (n, *padded_hw, self.channels), self.stride, self.dilation),
                                  self.padding))

    def backward(self, gy):
        g_padded = pad_nhwc(to_nhwc(gy), self.padding)
        return (_columns(im2col(g_padded, self.kernel, self.stride, self.dilation)),)


def _window_counts(hw, kernel, dilation, padding, stride):
    """How many window positions fit along each axis of an (H, W) image, padded."""
    return [output_size(hw[i] + padding[i][0] + padding[i][1], kernel[i], stride[i], dilation[i]) for i in range(2)]


def _geometry(kernel_size, dilation, padding, stride, name):
    kernel, dilation, stride = (pair(value, name, what) for value, what in
                                ((kernel_size, "kernel_size"), (dilation, "dilation"), (stride, "stride")))
    padding = pair(padding, name, "padding")
    check_positive(kernel + dilation + stride, name, "kernel_size, dilation and stride")
    check_non_negative(padding, name, "padding")
    return kernel, dilation, tuple((side, side) for side in padding), stride


@accepts_unbatched(2)
def unfold(input, kernel_size, dilation=1, padding=0, stride=1, name="unfold"):
    """The sliding windows of (N, C, H, W) ``input`` as columns: (N, C*KH*KW, L), PyTorch's layout."""
    check_float(input, name, complex_ok=True)
    if input.ndim != 4:
        raise InputError(f"{name}: expected (N, C, H, W) input, got shape {tuple(input.shape)}")
    kernel, dilation, padding, stride = _geometry(kernel_size, dilation, padding, stride, name)
    if min(_window_counts(input.shape[2:], kernel, dilation, padding, stride)) <= 0:
        raise InputError(f"{name}: kernel {kernel} (dilation {dilation}) does not fit input {tuple(input.shape)} "
                         f"with padding {padding[0][0], padding[1][0]}")
    return Unfold(kernel, dilation, padding, stride)(input)


@accepts_unbatched(1)  # (its input (N, C*KH*KW, L), or (C*KH*KW, L) unbatched)
def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1, name="fold"):
    """Sum columns (N, C*KH*KW, L) back into an (N, C, H, W) image, ``output_size`` = (H, W): the
    adjoint of ``unfold`` with the same arguments."""
    check_float(input, name, complex_ok=True)
    if input.ndim != 3:
        raise InputError(f"{name}: expected (N, C*KH*KW, L) input, got shape {tuple(input.shape)}")
    output_hw = pair(output_size, name, "output_size")
    kernel, dilation, padding, stride = _geometry(kernel_size, dilation, padding, stride, name)
    if input.shape[1] % (kernel[0] * kernel[1]):
        raise InputError(f"{name}: expected input.shape[1] ({input.shape[1]}) to be divisible by the kernel's "
                         f"{kernel[0] * kernel[1]} positions")
    windows = _window_counts(output_hw, kernel, dilation, padding, stride)
    if min(windows) <= 0 or windows[0] * windows[1] != input.shape[2]:
        raise InputError(f"{name}: expected {max(windows[0], 0) * max(windows[1], 0)} columns (the windows of an "
                         f"output of size {output_hw}), got {input.shape[2]}")
    return Fold(output_hw, kernel, dilation, padding, stride)(input)

