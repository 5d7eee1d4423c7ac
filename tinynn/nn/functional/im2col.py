"""im2col and col2im: turning a convolution into one matrix multiply, and back.

Shape names used across tinynn's conv and pooling code:
N batch, C channels, H W input height and width (after padding), KH KW kernel,
OH OW output height and width, S stride, D dilation (the spacing of the kernel taps, 1 for a
dense kernel).  OH = (H - D*(KH - 1) - 1) // S + 1, likewise OW.

Layout. The public API is NCHW, as in PyTorch. Internally these functions work on a
channels-last view ``x.transpose(0, 2, 3, 1)`` (N, H, W, C). Conv outputs are *stored*
channels-last and handed out as an NCHW-shaped view of that memory, so for a stack of
convolutions every such transpose is free (no copy), each patch row below is contiguous
in memory, and the matmul output needs no reordering.

im2col gathers, for every output position (n, oh, ow), the KH x KW x C input values under the
kernel into one row:

    col[n, oh, ow, kh, kw, c] = x[n, oh*S + kh*D, ow*S + kw*D, c]    col: (N, OH, OW, KH, KW, C)

It is built as a strided *view* (no loop, no copy); the copy into a (N*OH*OW, KH*KW*C) matrix
happens once, when it is reshaped for the matmul.

col2im is its adjoint: every col entry is added back to the input position it came from.
Windows overlap when S < K, so one input pixel receives several contributions. It loops over
the KH*KW kernel offsets (9 for a 3x3 kernel), each a single strided, vectorised add over all
of N, OH, OW and C at once, never over pixels or batch items.
"""
from ... import backend, parallel


def output_size(size, kernel, stride, dilation=1):
    return (size - dilation * (kernel - 1) - 1) // stride + 1


def transposed_output_size(size, kernel, stride, padding, dilation=1, output_padding=0):
    """A transposed convolution's output size along one axis: (size - 1) S - 2 P + D (K - 1) + output_padding + 1."""
    return (size - 1) * stride - 2 * padding + dilation * (kernel - 1) + output_padding + 1


def im2col(x_nhwc, kernel_size, stride, dilation=(1, 1)):
    """(N, H, W, C) -> strided view (N, OH, OW, KH, KW, C) of the patches; no copy."""
    n, h, w, c = x_nhwc.shape
    (kh, kw), (sh, sw), (dh, dw) = kernel_size, stride, dilation
    oh, ow = output_size(h, kh, sh, dh), output_size(w, kw, sw, dw)
    s_n, s_h, s_w, s_c = x_nhwc.strides
    return backend.as_strided(
        x_nhwc, shape=(n, oh, ow, kh, kw, c), strides=(s_n, s_h * sh, s_w * sw, s_h * dh, s_w * dw, s_c)
    )


def kernel_offsets(kernel_size, stride, out_hw, dilation=(1, 1)):
    """For each kernel offset (p, q): p, q and the index of the input positions it covers in every
    window, x[:, p*D::S, q*D::S] cut to (N, OH, OW, C): one strided view of a channels-last array."""
    (kh, kw), (sh, sw), (oh, ow), (dh, dw) = kernel_size, stride, out_hw, dilation
    for p in range(kh):
        for q in range(kw):
            top, left = p * dh, q * dw
            yield p, q, (slice(None), slice(top, top + sh * (oh - 1) + 1, sh), slice(left, left + sw * (ow - 1) + 1, sw),
                         slice(None))


def col2im(col, input_shape, stride, dilation=(1, 1)):
    """(N, OH, OW, KH, KW, C) -> (N, H, W, C): sums every patch entry into its input position."""
    xp = backend.get_array_module(col)
    n, oh, ow, kh, kw, c = col.shape
    x = xp.zeros(input_shape, dtype=col.dtype)
    for p, q, window in kernel_offsets((kh, kw), stride, (oh, ow), dilation):
        x[window] += col[:, :, :, p, q, :]
    return x


def pad_nhwc(x_nhwc, padding, value=0.0):
    """Pad H and W of a channels-last array by ((top, bottom), (left, right)) (a new channels-last
    array; the array itself when there is no padding). The border is filled and the interior copied
    on the threads (``parallel.copy_into``): from a C-ordered NCHW input, a network's images, that
    copy reorders the axes, which NumPy's pad does on one core at half the speed of memory."""
    if not any(padding[0] + padding[1]):
        return x_nhwc
    xp = backend.get_array_module(x_nhwc)
    (top, bottom), (left, right) = padding
    n, h, w, c = x_nhwc.shape
    padded = xp.empty((n, top + h + bottom, left + w + right, c), dtype=x_nhwc.dtype)
    for border in (padded[:, :top], padded[:, top + h:], padded[:, top:top + h, :left],
                   padded[:, top:top + h, left + w:]):
        border.fill(value)
    parallel.copy_into(padded[:, top:top + h, left:left + w], x_nhwc)
    return padded


def unpad_nhwc(x_nhwc, padding):
    """The inverse of pad_nhwc: the (N, H, W, C) interior of a padded array (a view)."""
    ((top, bottom), (left, right)), h, w = padding, x_nhwc.shape[1], x_nhwc.shape[2]
    return x_nhwc[:, top:h - bottom, left:w - right, :]


def to_nhwc(x_nchw):
    """NCHW-shaped array -> channels-last view (free when its memory is channels-last)."""
    return x_nchw.transpose(0, 2, 3, 1)


def to_nchw(x_nhwc):
    """Channels-last array -> NCHW-shaped view of the same memory."""
    return x_nhwc.transpose(0, 3, 1, 2)
