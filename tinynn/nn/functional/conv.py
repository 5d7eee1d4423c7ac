"""2-D convolution (cross-correlation, as every framework computes it) via im2col."""
import numpy as np

from ... import backend, parallel
from ...autograd import Function
from ...ops.reduction import sum_rows
from .im2col import im2col, kernel_offsets, output_size, pad_nhwc, to_nchw, to_nhwc, unpad_nhwc
from .validation import check_float, check_ncl, check_nchw, check_non_negative, check_positive, check_window_fits, ntuple, pair

# im2col matrices are built for a block of images at a time, sized to stay in the CPU's cache
# (the matmul then reads them from cache, not from memory, and a batch of 1,000 needs no
# gigabyte-sized temporary). A GPU prefers few large launches, so its blocks are far larger.
# Any block size gives the same result.
COL_BLOCK_BYTES = {"cpu": 2 << 20, "gpu": 512 << 20}


def by_group(rows_by_channels, groups):
    """(rows, G*k) -> (G, rows, k), the channels of each group together: a view."""
    return rows_by_channels.reshape(rows_by_channels.shape[0], groups, -1).transpose(1, 0, 2)


class Conv2d(Function):
    """y[n, o, i, j] = b[o] + sum_{c, p, q} w[o, c, p, q] * x[n, g*Cg + c, i*S + p*D, j*S + q*D]

    Shapes: x (N, C, H, W), w (O, C/G, KH, KW), b (O,) -> y (N, O, OH, OW). With G groups the
    channels split into G independent convolutions: output channel o (in group g = o // (O/G))
    sees only the input channels g*Cg ... (g+1)*Cg - 1, Cg = C/G (G = C is a depthwise conv).
    D is the dilation (the spacing of the kernel taps).

    Forward as one matmul per group: with col = im2col(x), per group a (N*OH*OW, KH*KW*Cg)
    matrix, and Wm the group's weights rearranged to (KH*KW*Cg, O/G),
                                                   y (per group, as (N*OH*OW, O/G)) = col @ Wm + b.

    Backward, from dL/dy reshaped to gY (N*OH*OW, O/G) per group:
        dL/dWm = col^T @ gY                  (KH*KW*Cg, O/G), rearranged back to w's layout
        dL/db  = sum of gY over its rows     (O,)
        dL/dcol = gY @ Wm^T                  (N*OH*OW, KH*KW*Cg)
        dL/dx  = col2im(dL/dcol)             each patch entry flows back to the pixel it came from

    All groups go through one batched matmul (a leading axis of G); with G = 1 that axis is free.
    The rows of col, gY and dL/dcol belong to single images, so every product above is a sum of
    the same products over blocks of images (``COL_BLOCK_BYTES``): both passes walk the batch in
    blocks, and the backward rebuilds each block's col instead of keeping the whole matrix (a
    cheap copy, against holding ~40 MB per layer until backward). Blocks are independent, so on
    the CPU they run on all cores at once (``tinynn.parallel``).

    The last two lines are computed one kernel offset (p, q) at a time: the (rows, C) block of
    dL/dcol for that offset is gY @ w[:, :, p, q], and col2im adds it onto the input window
    shifted by (p*D, q*D). Same sums, but each product lands contiguous in memory, so the adds run
    over long rows instead of C-element fragments (about 3x faster than a full col2im here).
    """

    def __init__(self, stride, padding, dilation=(1, 1), groups=1):
        """``padding``: ((top, bottom), (left, right)) rows and columns of zeros."""
        self.stride, self.padding, self.dilation, self.groups = stride, padding, dilation, groups

    def _blocks(self, x, kernel, out_hw):
        """Slices of the batch whose im2col block fits in COL_BLOCK_BYTES (at least one image each)."""
        n, channels = x.shape[0], x.shape[1]
        per_image = out_hw[0] * out_hw[1] * kernel[0] * kernel[1] * channels * x.dtype.itemsize
        size = max(1, COL_BLOCK_BYTES[backend.device_of(x)] // per_image)
        return [slice(start, min(start + size, n)) for start in range(0, n, size)]

    def _col(self, x_padded, kernel):
        """im2col of some images as G matrices (G, rows, KH*KW*Cg): the one copy im2col makes, and
        for G > 1 a second one that puts each group's channels together."""
        patches = im2col(x_padded, kernel, self.stride, self.dilation)
        n, oh, ow, kh, kw, channels = patches.shape
        col = patches.reshape(n * oh * ow, kh * kw, self.groups, channels // self.groups)
        return col.transpose(2, 0, 1, 3).reshape(self.groups, n * oh * ow, -1)

    def forward(self, x, weight, bias=None):
        xp = self.xp(x)
        n, groups = x.shape[0], self.groups
        out_channels, group_channels, kh, kw = weight.shape
        x_padded = pad_nhwc(to_nhwc(x), self.padding)
        oh, ow = (output_size(x_padded.shape[1 + i], (kh, kw)[i], self.stride[i], self.dilation[i]) for i in range(2))
        weight_matrix = (weight.reshape(groups, out_channels // groups, group_channels, kh, kw)
                         .transpose(0, 3, 4, 2, 1).reshape(groups, kh * kw * group_channels, -1))
        y = xp.empty((n, oh, ow, out_channels), dtype=x.dtype)
        self.blocks = self._blocks(x, (kh, kw), (oh, ow))

        def forward_block(block):
            out = by_group(y[block].reshape(-1, out_channels), self.groups)
            product = self._col(x_padded[block], (kh, kw))
            if out.flags.c_contiguous:  # always with one group: the matmul writes straight into y
                xp.matmul(product, weight_matrix, out=out)
            else:
                out[...] = xp.matmul(product, weight_matrix)

        parallel.map_blocks(forward_block, self.blocks, on_cpu=xp is np)
        if bias is not None:
            # Added to rows of OW*O values (bias tiled OW times): same sums, far fewer NumPy row steps.
            y.reshape(n * oh, ow * out_channels)[...] += xp.tile(bias, ow)
        self.x_padded, self.weight_matrix, self.weight_shape = x_padded, weight_matrix, weight.shape
        self.has_bias = bias is not None
        return to_nchw(y)

    def backward(self, gy):
        xp = self.xp(gy)
        out_channels, group_channels, kh, kw = self.weight_shape
        g_nhwc = to_nhwc(gy)  # free when gy is channels-last in memory
        gx = gw = gb = None
        if self.needs_input_grad[0]:
            gx = xp.zeros(self.x_padded.shape, dtype=gy.dtype)

        def backward_block(block):
            """This block's share of dL/dWm, after adding its (disjoint) part of dL/dx."""
            g = by_group(g_nhwc[block].reshape(-1, out_channels), self.groups)
            if gx is not None:
                self._add_input_grad(gx[block], g, g_nhwc[block].shape)
            if self.needs_input_grad[1]:
                return xp.matmul(self._col(self.x_padded[block], (kh, kw)).transpose(0, 2, 1), g)
            return None

        partial_weight_grads = parallel.map_blocks(backward_block, self.blocks, on_cpu=xp is np)
        if self.needs_input_grad[1]:
            gw_matrix = partial_weight_grads[0]
            for partial in partial_weight_grads[1:]:  # summed in block order: the same bits every run
                gw_matrix += partial
            gw = (gw_matrix.reshape(self.groups, kh, kw, group_channels, -1).transpose(0, 4, 3, 1, 2)
                  .reshape(self.weight_shape))
        if self.has_bias and self.needs_input_grad[2]:
            gb = sum_rows(g_nhwc.reshape(-1, out_channels))
        if gx is not None:
            gx = to_nchw(unpad_nhwc(gx, self.padding))
        return gx, gw, gb

    def _add_input_grad(self, gx, g, output_shape):
        """gx += col2im(gY @ Wm^T) for a block of images, one kernel offset at a time."""
        n, oh, ow, _ = output_shape
        _, group_channels, kh, kw = self.weight_shape
        weight_per_offset = self.weight_matrix.reshape(self.groups, kh, kw, group_channels, -1)
        for p, q, window in kernel_offsets((kh, kw), self.stride, (oh, ow), self.dilation):
            g_col = self.xp(g).matmul(g, weight_per_offset[:, p, q].transpose(0, 2, 1))  # (G, rows, Cg)
            gx[window] += g_col.transpose(1, 0, 2).reshape(n, oh, ow, -1)


def conv_padding(padding, kernel, stride, dilation, name):
    """An int, one int per spatial axis, "valid" (none) or "same" (output as large as the input,
    stride 1 only; an odd extra row or column goes to the bottom and right, as in PyTorch) ->
    ((before, after), ...) for each spatial axis."""
    if padding == "valid":
        return tuple((0, 0) for _ in kernel)
    if padding == "same":
        if any(s != 1 for s in stride):
            raise ValueError(f"{name}: padding='same' needs stride 1 (the output keeps the input's size), got stride {stride}")
        totals = [d * (k - 1) for d, k in zip(dilation, kernel)]
        return tuple((total // 2, total - total // 2) for total in totals)
    if isinstance(padding, str):
        raise ValueError(f"{name}: padding must be an int, a pair of ints, 'valid' or 'same', got {padding!r}")
    sides = ntuple(padding, len(kernel), name, "padding")
    check_non_negative(sides, name, "padding")
    return tuple((side, side) for side in sides)


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1, name="conv2d"):
    """2-D convolution of an NCHW ``input`` with ``weight`` (O, C/groups, KH, KW) and optional ``bias`` (O,).

    ``padding``: an int, a pair, "valid" or "same" (stride 1)."""
    check_nchw(input, name)
    check_float(weight, name, "weight")
    if weight.ndim != 4:
        raise ValueError(f"{name}: expected a 4-D weight (out_channels, in_channels/groups, KH, KW), got shape {weight.shape}")
    stride, dilation = pair(stride, name, "stride"), pair(dilation, name, "dilation")
    check_positive(stride, name, "stride")
    check_positive(dilation, name, "dilation")
    padding = conv_padding(padding, weight.shape[2:], stride, dilation, name)
    if not isinstance(groups, (int, np.integer)) or isinstance(groups, bool) or groups <= 0:
        raise ValueError(f"{name}: groups must be a positive int, got {groups!r}")
    if weight.shape[0] % groups:
        raise ValueError(f"{name}: out_channels ({weight.shape[0]}) must be divisible by groups ({groups})")
    if input.shape[1] != weight.shape[1] * groups:
        raise ValueError(
            f"{name}: expected input with {weight.shape[1] * groups} channels (weight {weight.shape}"
            + (f", groups={groups}" if groups > 1 else "") + f"), got {input.shape[1]} channels (input shape {input.shape})"
        )
    if bias is not None and bias.shape != (weight.shape[0],):
        raise ValueError(f"{name}: expected bias of shape ({weight.shape[0]},), got {bias.shape}")
    span = tuple(d * (k - 1) + 1 for d, k in zip(dilation, weight.shape[2:]))
    check_window_fits(input, span, padding, name)
    return Conv2d(stride, padding, dilation, int(groups))(input, weight, bias)


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1, name="conv1d"):
    """1-D convolution of an (N, C, L) ``input`` with ``weight`` (O, C/groups, K): ``conv2d`` on the
    input seen as (N, C, 1, L) and the weight as (O, C/groups, 1, K), whose backward serves as is."""
    check_ncl(input, name, weight, "(out_channels, in_channels/groups, K)")
    if input.shape[1] != weight.shape[1] * groups:
        raise ValueError(f"{name}: expected input with {weight.shape[1] * groups} channels (weight {weight.shape}"
                         + (f", groups={groups}" if groups != 1 else "") + f"), got {input.shape[1]} channels "
                         f"(input shape {input.shape})")
    (stride,), (dilation,) = ntuple(stride, 1, name, "stride"), ntuple(dilation, 1, name, "dilation")
    padding = padding if isinstance(padding, str) else (0, ntuple(padding, 1, name, "padding")[0])
    n, channels, length = input.shape
    out = conv2d(input.reshape(n, channels, 1, length), weight.reshape(weight.shape[0], weight.shape[1], 1, -1), bias,
                 (1, stride), padding, (1, dilation), groups, name)
    return out.reshape(n, out.shape[1], out.shape[3])
