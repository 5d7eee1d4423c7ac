"""2-D convolution (cross-correlation, as every framework computes it) via im2col."""
import numpy as np

from ...errors import InputError
from ... import backend, mixed_precision, parallel
from ...autograd import Function
from ...ops.reduction import sum_rows
from .im2col import im2col, kernel_offsets, output_size, pad_nhwc, to_nchw, to_nhwc, unpad_nhwc
from .complex_conv import complex_by_parts
from .empty_batch import EmptyBatch
from .depthwise_conv import depthwise_correlate, depthwise_grads, depthwise_input_grad, depthwise_weight_grad, is_depthwise
from .validation import (accepts_unbatched, check_float, check_ncl, check_nchw, check_non_negative, check_positive, check_tensor,
                         check_window_fits, ntuple)

# im2col matrices are built for a block of images at a time, sized to stay in the CPU's cache
# (the matmul then reads them from cache, not from memory, and a batch of 1,000 needs no
# gigabyte-sized temporary). A GPU prefers few large launches, so its blocks are far larger.
# Any block size gives the same result.
COL_BLOCK_BYTES = {"cpu": 2 << 20, "gpu": 512 << 20}


def by_group(rows_by_channels, groups):
    """(rows, G*k) -> (G, rows, k), the channels of each group together: a view."""
    return rows_by_channels.reshape(rows_by_channels.shape[0], groups, -1).transpose(1, 0, 2)


def col_blocks(x_nhwc, kernel, out_hw):
    """Slices of the batch whose im2col block fits in COL_BLOCK_BYTES (at least one image each)."""
    n, channels = x_nhwc.shape[0], x_nhwc.shape[3]
    per_image = out_hw[0] * out_hw[1] * kernel[0] * kernel[1] * channels * x_nhwc.dtype.itemsize
    size = max(1, COL_BLOCK_BYTES[backend.device_of(x_nhwc)] // per_image)
    return [slice(start, min(start + size, n)) for start in range(0, n, size)]


def group_col(x_padded, kernel, stride, dilation, groups):
    """im2col of some channels-last images as G matrices (G, rows, KH*KW*Cg): the one copy im2col
    makes, and for G > 1 a second one that puts each group's channels together."""
    patches = im2col(x_padded, kernel, stride, dilation)
    n, oh, ow, kh, kw, channels = patches.shape
    col = patches.reshape(n * oh * ow, kh * kw, groups, channels // groups)
    return col.transpose(2, 0, 1, 3).reshape(groups, n * oh * ow, -1)


def weight_matrix(weight, groups, flipped=False):
    """Conv weights (O, Cg, KH, KW) as G matrices Wm (G, KH*KW*Cg, O/G), rows in im2col's order.

    ``flipped``: the kernel turned by 180 degrees with input and output channels swapped, as
    (G, KH*KW*O/G, Cg): the matrix that correlates dL/dy back to dL/dx (see ``input_grad``)."""
    out_channels, group_channels, kh, kw = weight.shape
    per_group = weight.reshape(groups, out_channels // groups, group_channels, kh, kw)
    if flipped:
        return per_group[:, :, :, ::-1, ::-1].transpose(0, 3, 4, 1, 2).reshape(groups, -1, group_channels)
    return per_group.transpose(0, 3, 4, 2, 1).reshape(groups, kh * kw * group_channels, -1)


def correlate(x_padded, matrix, kernel, stride, dilation, groups):
    """The convolution itself, channels-last: y (N, OH, OW, O) with, per group,
    y (as (N*OH*OW, O/G)) = im2col(x_padded) @ matrix, ``matrix`` from ``weight_matrix``.

    The batch goes in blocks (``col_blocks``), run side by side on the CPU's cores."""
    xp = backend.get_array_module(x_padded)
    n, out_channels = x_padded.shape[0], matrix.shape[2] * groups
    oh, ow = (output_size(x_padded.shape[1 + i], kernel[i], stride[i], dilation[i]) for i in range(2))
    y = xp.empty((n, oh, ow, out_channels), dtype=x_padded.dtype)

    def correlate_block(block):
        _product_into(y[block], group_col(x_padded[block], kernel, stride, dilation, groups), matrix, groups)

    parallel.map_blocks(correlate_block, col_blocks(x_padded, kernel, (oh, ow)), on_cpu=xp is np)
    return y


def _product_into(y_block, col, matrix, groups):
    """y_block (n, OH, OW, O), channels-last, = col @ matrix per group (G, rows, K) @ (G, K, O/G)."""
    out = by_group(y_block.reshape(-1, y_block.shape[3]), groups)
    if out.flags.c_contiguous:  # always with one group: the matmul writes straight into y
        backend.get_array_module(col).matmul(col, matrix, out=out)
    else:
        out[...] = backend.get_array_module(col).matmul(col, matrix)


def correlate_and_weight_grad(x_padded, matrix, g_nhwc, kernel, stride, dilation, groups):
    """``correlate(x_padded, matrix, ...)`` and ``weight_grad(x_padded, g_nhwc, ...)`` from one im2col
    of each block of x_padded: y = col @ matrix and dL/dw = col^T @ g per group (a transposed
    convolution's backward, whose dL/dx is the convolution of dL/dy and whose dL/dw the weight gradient
    with dL/dy as the image: one im2col of dL/dy, not two). A depthwise weight gradient takes its own
    offsets (``weight_grad``), so there the two are computed apart."""
    if is_depthwise(x_padded.shape[3], g_nhwc.shape[3], groups, x_padded):
        return (correlate(x_padded, matrix, kernel, stride, dilation, groups),
                weight_grad(x_padded, g_nhwc, kernel, stride, dilation, groups))
    xp = backend.get_array_module(x_padded)
    n, out_channels, g_channels = x_padded.shape[0], matrix.shape[2] * groups, g_nhwc.shape[3]
    oh, ow = (output_size(x_padded.shape[1 + i], kernel[i], stride[i], dilation[i]) for i in range(2))
    y = xp.empty((n, oh, ow, out_channels), dtype=x_padded.dtype)

    def block_work(block):
        col = group_col(x_padded[block], kernel, stride, dilation, groups)
        _product_into(y[block], col, matrix, groups)
        return xp.matmul(col.transpose(0, 2, 1), by_group(g_nhwc[block].reshape(-1, g_channels), groups))

    partials = parallel.map_blocks(block_work, col_blocks(x_padded, kernel, (oh, ow)), on_cpu=xp is np)
    return y, _kernel_from_sums(partials, kernel, x_padded.shape[3] // groups, g_channels, groups)


def _kernel_from_sums(partials, kernel, group_channels, out_channels, groups):
    """The per-block matrices col^T @ g (G, KH*KW*Cg, O/G) added in block order (the same bits every
    run), as a weight (O, Cg, KH, KW)."""
    matrix = partials[0]
    for partial in partials[1:]:
        matrix += partial
    return (matrix.reshape(groups, kernel[0], kernel[1], group_channels, -1).transpose(0, 4, 3, 1, 2)
            .reshape(out_channels, group_channels, kernel[0], kernel[1]))


def input_grad(g_nhwc, weight, padded_hw, stride, dilation, groups, crop=((0, 0), (0, 0))):
    """dL/dx (N, H, W, C) of the convolution of x (padded: H, W = ``padded_hw``) with ``weight``,
    from g = dL/dy (N, OH, OW, O), channels-last: col2im(gY @ Wm^T), every patch entry's gradient
    added back to the input position it was copied from; without the ``crop`` rows and columns
    ((top, bottom), (left, right)) of its borders (the padding, whose gradient nobody needs).

    Two ways to the same sums (both tested against col2im): as one convolution (im2col and one
    matmul), or one kernel offset at a time (a matmul and a strided add each). With a stride, the
    convolution works through S*S times more values than there are, mostly zeros: on the CPU the
    offsets are then faster (2-2.5x for stride 2); on the GPU, where each operation is a kernel
    launch, the single convolution is. A depthwise convolution takes its own offsets (depthwise_conv.py)."""
    if is_depthwise(weight.shape[1] * groups, weight.shape[0], groups, weight):
        return unpad_nhwc(depthwise_input_grad(g_nhwc, weight, padded_hw, stride, dilation), crop)
    if stride == (1, 1) or backend.is_gpu_array(g_nhwc):
        return input_grad_as_convolution(g_nhwc, weight, padded_hw, stride, dilation, groups, crop)
    return unpad_nhwc(input_grad_by_offsets(g_nhwc, weight, padded_hw, stride, dilation, groups), crop)


def input_grad_as_convolution(g_nhwc, weight, padded_hw, stride, dilation, groups, crop=((0, 0), (0, 0))):
    """``input_grad`` as one convolution. Each g[n, i, j] came from the window at (i*S, j*S), so
    spread g out to those positions: g_up[n, i*S + D*(KH-1), j*S + D*(KW-1)] = g[n, i, j], zeros
    elsewhere (rows and columns of D*(K-1) zeros around it, S-1 between neighbours). Then

        dL/dx[n, h, w, c] = sum_{p, q, o} g_up[n, h + p*D, w + q*D, o] * w[o, c, KH-1-p, KW-1-q]

    a stride-1 correlation of g_up with the kernel turned by 180 degrees, input and output
    channels swapped: the same im2col and matmul as the forward pass (``spread_gradient`` builds g_up)."""
    g_up, left_over = spread_gradient(g_nhwc, weight.shape[2:], padded_hw, stride, dilation, crop)
    gx = correlate(g_up, weight_matrix(weight, groups, flipped=True), weight.shape[2:], (1, 1), dilation, groups)
    return unpad_nhwc(gx, left_over)


def spread_gradient(g_nhwc, kernel, padded_hw, stride, dilation, crop):
    """g_up of ``input_grad_as_convolution``, and the (top, bottom), (left, right) crop still to take
    off the correlation's result.

    Output row h reads g_up's rows h ... h + D*(KH-1), so the cropped rows are never computed:
    g_up starts ``crop`` rows later and is that much shorter (where the crop is no wider than
    D*(K-1), as a padding of a stride-1 convolution is). The result is then a whole channels-last
    array, not a view into a larger one, which the backward passes before it read faster."""
    xp = backend.get_array_module(g_nhwc)
    n, oh, ow, out_channels = g_nhwc.shape
    margin = [dilation[i] * (kernel[i] - 1) for i in range(2)]
    direct = [stride == (1, 1) and max(crop[i]) <= margin[i] for i in range(2)]  # per axis: crop never computed
    start = [margin[i] - (crop[i][0] if direct[i] else 0) for i in range(2)]
    size = [padded_hw[i] + margin[i] - (sum(crop[i]) if direct[i] else 0) for i in range(2)]
    left_over = tuple((0, 0) if direct[i] else crop[i] for i in range(2))
    if stride == (1, 1) and margin == [0, 0] and size == [oh, ow]:
        return g_nhwc, left_over  # a 1x1 kernel with stride 1 and no extra rows (output_padding): nothing to spread
    g_up = xp.zeros((n, size[0], size[1], out_channels), dtype=g_nhwc.dtype)
    g_up[:, start[0]:start[0] + (oh - 1) * stride[0] + 1:stride[0],
         start[1]:start[1] + (ow - 1) * stride[1] + 1:stride[1]] = g_nhwc
    return g_up, left_over


# The weight gradient from the input gradient's im2col (``input_and_weight_grads``) is a product with
# one column per input channel of a group: with fewer than 4 those run far below BLAS's speed, and
# im2col of the input is the cheaper way (measured: 3 channels 30% slower, 4 channels 8% faster).
MIN_SHARED_CHANNELS = 4


def shares_im2col(weight, stride, padding, dilation, groups):
    """Whether ``input_and_weight_grads`` serves a convolution's backward: stride 1, each side's
    padding within the kernel's reach (D*(K-1), so that the input gradient's im2col has one row per
    input position), not depthwise, and at least MIN_SHARED_CHANNELS input channels per group."""
    out_channels, group_channels, kh, kw = weight.shape
    reach = [dilation[i] * (k - 1) for i, k in enumerate((kh, kw))]
    return (stride == (1, 1) and all(max(padding[i]) <= reach[i] for i in range(2))
            and group_channels >= MIN_SHARED_CHANNELS
            and not is_depthwise(group_channels * groups, out_channels, groups, weight))


def input_and_weight_grads(g_nhwc, x_nhwc, weight, padding, dilation, groups):
    """dL/dx (N, H, W, C) and dL/dw (O, Cg, KH, KW) of a stride-1 convolution of x (unpadded,
    channels-last) for which ``shares_im2col`` holds, from one im2col: that of g_up, the spread
    dL/dy of ``input_grad_as_convolution``, whose row (n, h, w) is input position (n, h, w).

    dL/dx = col(g_up) @ Wflip, as there. For the weights, with x_pad the padded input,

        dL/dw[o, c, p, q] = sum_{n, i, j} g[n, i, j, o] * x_pad[n, i + p*D, j + q*D, c]
                          = sum_{n, h, w} x[n, h, w, c] * col(g_up)[(n, h, w), (KH-1-p, KW-1-q, o)]

    (h, w the unpadded position i + p*D - top, j + q*D - left; the padding adds nothing, being zeros):
    per group dL/dWflip = col(g_up)^T @ X, (KH*KW*Og, Cg), the kernel turned back afterwards. The
    im2col of x that ``weight_grad`` would build is never made: one copy of KH*KW values per position
    less, and x_pad need not be kept. Blocks of images as in ``correlate``; the weight gradient's
    partial sums are added in block order."""
    xp = backend.get_array_module(g_nhwc)
    n, h, w, channels = x_nhwc.shape
    out_channels, group_channels, kh, kw = weight.shape
    padded_hw = (h + sum(padding[0]), w + sum(padding[1]))
    g_up, _ = spread_gradient(g_nhwc, (kh, kw), padded_hw, (1, 1), dilation, padding)
    flipped = weight_matrix(weight, groups, flipped=True)
    gx = xp.empty((n, h, w, channels), dtype=g_nhwc.dtype)

    def block_grads(block):
        col = group_col(g_up[block], (kh, kw), (1, 1), dilation, groups)
        _product_into(gx[block], col, flipped, groups)
        return xp.matmul(col.transpose(0, 2, 1), by_group(x_nhwc[block].reshape(-1, channels), groups))

    partials = parallel.map_blocks(block_grads, col_blocks(g_up, (kh, kw), (h, w)), on_cpu=xp is np)
    turned = _kernel_from_sums(partials, (kh, kw), out_channels // groups, channels, groups)  # (C, Og, KH, KW)
    gw = turned.reshape(groups, group_channels, out_channels // groups, kh, kw).transpose(0, 2, 1, 3, 4)
    return gx, gw[..., ::-1, ::-1].reshape(out_channels, group_channels, kh, kw)


def input_grad_by_offsets(g_nhwc, weight, padded_hw, stride, dilation, groups):
    """``input_grad`` one kernel offset (p, q) at a time: that offset's (rows, Cg) block of dL/dcol
    is gY @ w[:, :, p, q] (per group), added onto the input positions it covers, the window
    shifted by (p*D, q*D): one strided add over whole blocks of images, never over pixels."""
    xp = backend.get_array_module(g_nhwc)
    n, oh, ow, out_channels = g_nhwc.shape
    _, group_channels, kh, kw = weight.shape
    gx = xp.zeros((n,) + tuple(padded_hw) + (group_channels * groups,), dtype=g_nhwc.dtype)
    weight_per_offset = weight_matrix(weight, groups).reshape(groups, kh, kw, group_channels, -1)

    def block_grad(block):
        g = by_group(g_nhwc[block].reshape(-1, out_channels), groups)
        gx_block = gx[block]
        for p, q, window in kernel_offsets((kh, kw), stride, (oh, ow), dilation):
            g_col = xp.matmul(g, weight_per_offset[:, p, q].transpose(0, 2, 1))  # (G, rows, Cg)
            gx_block[window] += g_col.transpose(1, 0, 2).reshape(gx_block.shape[0], oh, ow, -1)

    parallel.map_blocks(block_grad, col_blocks(g_nhwc, (kh, kw), (oh, ow)), on_cpu=xp is np)
    return gx


def weight_grad(x_padded, g_nhwc, kernel, stride, dilation, groups):
    """dL/dw (O, Cg, KH, KW) = per group im2col(x_padded)^T @ g, g = dL/dy (N, OH, OW, O)
    channels-last: a sum over images, so computed per block of images and added in block order
    (a depthwise convolution by its offsets: depthwise_conv.py)."""
    xp = backend.get_array_module(g_nhwc)
    out_channels = g_nhwc.shape[3]
    if is_depthwise(x_padded.shape[3], out_channels, groups, x_padded):
        return depthwise_weight_grad(x_padded, g_nhwc, kernel, stride, dilation)

    def block_grad(block):
        g = by_group(g_nhwc[block].reshape(-1, out_channels), groups)
        return xp.matmul(group_col(x_padded[block], kernel, stride, dilation, groups).transpose(0, 2, 1), g)

    partials = parallel.map_blocks(block_grad, col_blocks(x_padded, kernel, g_nhwc.shape[1:3]), on_cpu=xp is np)
    return _kernel_from_sums(partials, kernel, x_padded.shape[3] // groups, out_channels, groups)


class Conv2d(Function):
    """y[n, o, i, j] = b[o] + sum_{c, p, q} w[o, c, p, q] * x[n, g*Cg + c, i*S + p*D, j*S + q*D]

    Shapes: x (N, C, H, W), w (O, C/G, KH, KW), b (O,) -> y (N, O, OH, OW). With G groups the
    channels split into G independent convolutions: output channel o (in group g = o // (O/G))
    sees only the input channels g*Cg ... (g+1)*Cg - 1, Cg = C/G (G = C is a depthwise conv).
    D is the dilation (the spacing of the kernel taps).

    Forward as one matmul per group (``correlate``): with col = im2col(x), per group a
    (N*OH*OW, KH*KW*Cg) matrix, and Wm the group's weights rearranged to (KH*KW*Cg, O/G),
                                                   y (per group, as (N*OH*OW, O/G)) = col @ Wm + b.

    Backward, from dL/dy reshaped to gY (N*OH*OW, O/G) per group:
        dL/dWm = col^T @ gY                  (KH*KW*Cg, O/G), rearranged back to w's layout
        dL/db  = sum of gY over its rows     (O,)
        dL/dcol = gY @ Wm^T                  (N*OH*OW, KH*KW*Cg)
        dL/dx  = col2im(dL/dcol)             each patch entry flows back to the pixel it came from

    The last two lines together are again a convolution (``input_grad``): of dL/dy, spread out
    by the stride, with the kernel turned by 180 degrees; so both passes are im2col and a matmul
    (with a stride, on the CPU, one matmul per kernel offset is faster). With stride 1 and a padding
    within the kernel's reach, that convolution's im2col, of dL/dy, also gives dL/dw, by a product
    with x instead of with the im2col of x (``input_and_weight_grads``).

    All groups go through one batched matmul (a leading axis of G); with G = 1 that axis is free.
    The rows of col, gY and dL/dcol belong to single images, so every product above is a sum of
    the same products over blocks of images (``COL_BLOCK_BYTES``): the passes walk the batch in
    blocks, and the backward rebuilds each block's col instead of keeping the whole matrix (a
    cheap copy, against holding ~40 MB per layer until backward). Blocks are independent, so on
    the CPU they run on all cores at once (``tinynn.parallel``).
    """

    def __init__(self, stride, padding, dilation=(1, 1), groups=1):
        """``padding``: ((top, bottom), (left, right)) rows and columns of zeros."""
        self.stride, self.padding, self.dilation, self.groups = stride, padding, dilation, groups

    def forward(self, x, weight, bias=None):
        x_padded = pad_nhwc(to_nhwc(x), self.padding)
        if is_depthwise(weight.shape[1] * self.groups, weight.shape[0], self.groups, weight):  # by kernel offsets
            out_hw = [output_size(x_padded.shape[1 + i], weight.shape[2 + i], self.stride[i], self.dilation[i])
                      for i in range(2)]
            y = depthwise_correlate(x_padded, weight, out_hw, self.stride, self.dilation)
        else:
            y = correlate(x_padded, weight_matrix(weight, self.groups), weight.shape[2:], self.stride, self.dilation,
                          self.groups)
        if bias is not None and self.xp(y) is np:
            # Added to rows of OW*O values (bias tiled OW times): same sums, far fewer NumPy row steps.
            n, oh, ow, out_channels = y.shape
            y.reshape(n * oh, ow * out_channels)[...] += np.tile(bias, ow)
        elif bias is not None:
            y += bias  # on the GPU one broadcast kernel, without the tiled copy
        wanted = getattr(self, "needs_input_grad", ())  # (none when called as a step of another op's backward)
        self.shares_im2col = (len(wanted) > 1 and wanted[0] and wanted[1]
                              and shares_im2col(weight, self.stride, self.padding, self.dilation, self.groups))
        if self.shares_im2col:
            self.x_nhwc = to_nhwc(x)  # the input itself: its padded copy is not needed
        else:
            self.x_padded = x_padded
        self.weight, self.has_bias = weight, bias is not None
        return to_nchw(y)

    def backward(self, gy):
        g_nhwc = to_nhwc(gy)  # free when gy is channels-last in memory
        if is_depthwise(self.weight.shape[1] * self.groups, self.weight.shape[0], self.groups, self.weight):
            wanted = (self.needs_input_grad[0], self.needs_input_grad[1], self.has_bias and self.needs_input_grad[2])
            gx, gw, gb = depthwise_grads(g_nhwc, self.x_padded, self.weight, self.stride, self.dilation, wanted)
            return (None if gx is None else to_nchw(unpad_nhwc(gx, self.padding))), gw, gb
        gx = gw = gb = None
        if self.shares_im2col:
            gx, gw = input_and_weight_grads(g_nhwc, self.x_nhwc, self.weight, self.padding, self.dilation, self.groups)
            gx = to_nchw(gx)
        elif self.needs_input_grad[0]:
            gx = to_nchw(input_grad(g_nhwc, self.weight, self.x_padded.shape[1:3], self.stride, self.dilation,
                                    self.groups, self.padding))
        if self.needs_input_grad[1] and gw is None:
            gw = weight_grad(self.x_padded, g_nhwc, self.weight.shape[2:], self.stride, self.dilation, self.groups)
        if self.has_bias and self.needs_input_grad[2]:
            gb = sum_rows(g_nhwc.reshape(-1, g_nhwc.shape[3]))
        return gx, gw, gb

    def backward_graph(self, gy, output):
        """The backward as recorded ops, for gradients of gradients: dL/dx and dL/dw are each
        linear in dL/dy and in the other operand (``Conv2dInputGrad``, ``Conv2dWeightGrad``)."""
        x, weight, _ = self.inputs
        settings = (self.stride, self.padding, self.dilation, self.groups)
        gx = Conv2dInputGrad(settings, x.shape)(gy, weight) if self.needs_input_grad[0] else None
        gw = Conv2dWeightGrad(settings, weight.shape)(gy, x) if self.needs_input_grad[1] else None
        gb = gy.sum(axis=(0, 2, 3)) if self.has_bias and self.needs_input_grad[2] else None
        return gx, gw, gb


class Conv2dInputGrad(Function):
    """gx = dL/dx of a convolution y = conv(x, w) (``settings``: stride, padding, dilation, groups),
    as an op of dL/dy (N, O, OH, OW) and w, for create_graph. It is linear in each, and
    <u, gx(gy, w)> = <conv(u, w), gy> for any u shaped like x, so its backward, from u = dL/dgx, is
        dL/d(gy) = conv(u, w)                  (the convolution itself),
        dL/dw = the weight gradient of conv(u, w) for the output gradient gy."""

    def __init__(self, settings, input_shape):
        self.settings, self.input_shape = settings, input_shape

    def forward(self, gy, weight):
        stride, padding, dilation, groups = self.settings
        padded_hw = tuple(n + before + after for n, (before, after) in zip(self.input_shape[2:], padding))
        self.gy, self.weight = gy, weight
        return to_nchw(input_grad(to_nhwc(gy), weight, padded_hw, stride, dilation, groups, padding))

    def backward(self, gu):
        stride, padding, dilation, groups = self.settings
        g_gy = Conv2d(*self.settings).forward(gu, self.weight) if self.needs_input_grad[0] else None
        g_weight = None
        if self.needs_input_grad[1]:
            g_weight = weight_grad(pad_nhwc(to_nhwc(gu), padding), to_nhwc(self.gy), self.weight.shape[2:], stride,
                                   dilation, groups)
        return g_gy, g_weight

    def backward_graph(self, gu, output):
        gy, weight = self.inputs
        g_gy = Conv2d(*self.settings)(gu, weight) if self.needs_input_grad[0] else None
        g_weight = Conv2dWeightGrad(self.settings, weight.shape)(gy, gu) if self.needs_input_grad[1] else None
        return g_gy, g_weight


class Conv2dWeightGrad(Function):
    """gw = dL/dw of a convolution y = conv(x, w), as an op of dL/dy and x, for create_graph. It
    is linear in each, and <v, gw(gy, x)> = <conv(x, v), gy> for any v shaped like w, so its
    backward, from v = dL/dgw, is
        dL/d(gy) = conv(x, v),    dL/dx = the input gradient of conv(x, v) for the output gradient gy."""

    def __init__(self, settings, weight_shape):
        self.settings, self.weight_shape = settings, weight_shape

    def forward(self, gy, x):
        stride, padding, dilation, groups = self.settings
        self.gy, self.x, self.input_shape = gy, x, x.shape
        return weight_grad(pad_nhwc(to_nhwc(x), padding), to_nhwc(gy), self.weight_shape[2:], stride, dilation, groups)

    def backward(self, gv):
        g_gy = Conv2d(*self.settings).forward(self.x, gv) if self.needs_input_grad[0] else None
        g_x = None
        if self.needs_input_grad[1]:
            g_x = Conv2dInputGrad(self.settings, self.input_shape).forward(self.gy, gv)
        return g_gy, g_x

    def backward_graph(self, gv, output):
        gy, x = self.inputs
        g_gy = Conv2d(*self.settings)(x, gv) if self.needs_input_grad[0] else None
        g_x = Conv2dInputGrad(self.settings, x.shape)(gy, gv) if self.needs_input_grad[1] else None
        return g_gy, g_x


def conv_geometry(kernel, stride, padding, dilation, name):
    """(stride, padding ((before, after) per spatial axis), dilation) of a convolution with ``kernel``
    (its spatial sizes), from the arguments PyTorch takes (ints or one per axis; padding also "valid" or
    "same"), checked: conv2d's and conv3d's, and nn.grad's functions'."""
    stride, dilation = ntuple(stride, len(kernel), name, "stride"), ntuple(dilation, len(kernel), name, "dilation")
    check_positive(stride, name, "stride")
    check_positive(dilation, name, "dilation")
    return stride, conv_padding(padding, kernel, stride, dilation, name), dilation


def conv1d_as_2d(stride, padding, dilation, name):
    """A 1-D convolution's stride, padding and dilation as those of the 2-D convolution of height 1 it
    runs as (conv1d's, and nn.grad's 1-D functions')."""
    (stride,), (dilation,) = ntuple(stride, 1, name, "stride"), ntuple(dilation, 1, name, "dilation")
    padding = padding if isinstance(padding, str) else (0, ntuple(padding, 1, name, "padding")[0])
    return (1, stride), padding, (1, dilation)


def conv_padding(padding, kernel, stride, dilation, name):
    """An int, one int per spatial axis, "valid" (none) or "same" (output as large as the input,
    stride 1 only; an odd extra row or column goes to the bottom and right, as in PyTorch) ->
    ((before, after), ...) for each spatial axis."""
    if padding == "valid":
        return tuple((0, 0) for _ in kernel)
    if padding == "same":
        if any(s != 1 for s in stride):
            raise InputError(f"{name}: padding='same' needs stride 1 (the output keeps the input's size), got stride {stride}")
        totals = [d * (k - 1) for d, k in zip(dilation, kernel)]
        return tuple((total // 2, total - total // 2) for total in totals)
    if isinstance(padding, str):
        raise InputError(f"{name}: padding must be an int, a pair of ints, 'valid' or 'same', got {padding!r}")
    sides = ntuple(padding, len(kernel), name, "padding")
    check_non_negative(sides, name, "padding")
    return tuple((side, side) for side in sides)


@complex_by_parts
@mixed_precision.casts_inputs("lower")
@accepts_unbatched(2)
def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1, name="conv2d"):
    """2-D convolution of an NCHW ``input`` with ``weight`` (O, C/groups, KH, KW) and optional ``bias`` (O,).

    ``padding``: an int, a pair, "valid" or "same" (stride 1)."""
    check_nchw(input, name)
    check_float(weight, name, "weight")
    if weight.ndim != 4:
        raise InputError(f"{name}: expected a 4-D weight (out_channels, in_channels/groups, KH, KW), got shape {tuple(weight.shape)}")
    stride, padding, dilation = conv_geometry(weight.shape[2:], stride, padding, dilation, name)
    if not isinstance(groups, (int, np.integer)) or isinstance(groups, bool) or groups <= 0:
        raise InputError(f"{name}: groups must be a positive int, got {groups!r}")
    if weight.shape[0] % groups:
        raise InputError(f"{name}: out_channels ({weight.shape[0]}) must be divisible by groups ({groups})")
    if input.shape[1] != weight.shape[1] * groups:
        raise InputError(
            f"{name}: expected input with {weight.shape[1] * groups} channels (weight {tuple(weight.shape)}"
            + (f", groups={groups}" if groups > 1 else "") + f"), got {input.shape[1]} channels (input shape {tuple(input.shape)})"
        )
    if bias is not None and bias.shape != (weight.shape[0],):
        raise InputError(f"{name}: expected bias of shape ({weight.shape[0]},), got {tuple(bias.shape)}")
    span = tuple(d * (k - 1) + 1 for d, k in zip(dilation, weight.shape[2:]))
    check_window_fits(input, span, padding, name)
    if input.shape[0] == 0:
        out_hw = (output_size(input.shape[2 + i] + sum(padding[i]), weight.shape[2 + i], stride[i], dilation[i]) for i in range(2))
        return EmptyBatch((0, weight.shape[0], *out_hw))(input, weight, bias)
    return Conv2d(stride, padding, dilation, int(groups))(input, weight, bias)


@complex_by_parts
@mixed_precision.casts_inputs("lower")
@accepts_unbatched(1)
def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1, name="conv1d"):
    """1-D convolution of an (N, C, L) ``input`` with ``weight`` (O, C/groups, K): ``conv2d`` on the
    input seen as (N, C, 1, L) and the weight as (O, C/groups, 1, K), whose backward serves as is."""
    check_tensor(weight, name, "weight")
    check_ncl(input, name, weight, "(out_channels, in_channels/groups, K)")
    if input.shape[1] != weight.shape[1] * groups:
        raise InputError(f"{name}: expected input with {weight.shape[1] * groups} channels (weight {tuple(weight.shape)}"
                         + (f", groups={groups}" if groups != 1 else "") + f"), got {input.shape[1]} channels "
                         f"(input shape {tuple(input.shape)})")
    stride, padding, dilation = conv1d_as_2d(stride, padding, dilation, name)
    n, channels, length = input.shape
    out = conv2d(input.reshape(n, channels, 1, length), weight.reshape(weight.shape[0], weight.shape[1], 1, -1), bias,
                 stride, padding, dilation, groups, name)
    return out.reshape(n, out.shape[1], out.shape[3])


def conv_tbc(input, weight, bias, pad=0):
    """PyTorch's time-batch-channel 1-D convolution: input (T, B, C_in), weight (K, C_in, C_out),
    bias (C_out,), ``pad`` zeros at both ends of T -> (T + 2 pad - K + 1, B, C_out); conv1d with the
    axes moved."""
    name = "conv_tbc"
    check_float(input, name)
    if input.ndim != 3 or weight.ndim != 3 or weight.shape[1] != input.shape[2]:
        raise InputError(f"{name}: expected input (T, B, C_in) and weight (K, C_in, C_out), got {tuple(input.shape)} "
                         f"and {tuple(weight.shape)}")
    if bias is None or tuple(bias.shape) != (weight.shape[2],):
        raise InputError(f"{name}: expected bias of shape ({weight.shape[2]},), got "
                         f"{None if bias is None else tuple(bias.shape)}")
    out = conv1d(input.permute(1, 2, 0), weight.permute(2, 1, 0), bias, padding=pad, name=name)
    return out.permute(2, 0, 1)
