"""2-D convolution (cross-correlation, as every framework computes it) via im2col."""
import numpy as np

from ... import backend, parallel
from ...autograd import Function
from ...ops.reduction import sum_rows
from .im2col import im2col, kernel_offsets, output_size, pad_nhwc, to_nchw, to_nhwc, unpad_nhwc
from .validation import check_float, check_nchw, check_non_negative, check_positive, check_window_fits, pair

# im2col matrices are built for a block of images at a time, sized to stay in the CPU's cache
# (the matmul then reads them from cache, not from memory, and a batch of 1,000 needs no
# gigabyte-sized temporary). A GPU prefers few large launches, so its blocks are far larger.
# Any block size gives the same result.
COL_BLOCK_BYTES = {"cpu": 2 << 20, "gpu": 512 << 20}


class Conv2d(Function):
    """y[n, o, i, j] = b[o] + sum_{c, p, q} w[o, c, p, q] * x[n, c, i*S + p, j*S + q]

    Shapes: x (N, C, H, W), w (O, C, KH, KW), b (O,) -> y (N, O, OH, OW).

    Forward as one matmul: with col = im2col(x) reshaped to (N*OH*OW, KH*KW*C) and
    Wm = w rearranged to (KH*KW*C, O),            y (as (N*OH*OW, O)) = col @ Wm + b.

    Backward, from dL/dy reshaped to gY (N*OH*OW, O):
        dL/dWm = col^T @ gY                  (KH*KW*C, O), rearranged back to (O, C, KH, KW)
        dL/db  = sum of gY over its rows     (O,)
        dL/dcol = gY @ Wm^T                  (N*OH*OW, KH*KW*C)
        dL/dx  = col2im(dL/dcol)             each patch entry flows back to the pixel it came from

    The rows of col, gY and dL/dcol belong to single images, so every product above is a sum of
    the same products over blocks of images (``COL_BLOCK_BYTES``): both passes walk the batch in
    blocks, and the backward rebuilds each block's col instead of keeping the whole matrix (a
    cheap copy, against holding ~40 MB per layer until backward). Blocks are independent, so on
    the CPU they run on all cores at once (``tinynn.parallel``).

    The last two lines are computed one kernel offset (p, q) at a time: the (rows, C) block of
    dL/dcol for that offset is gY @ w[:, :, p, q], and col2im adds it onto the input window
    shifted by (p, q). Same sums, but each product lands contiguous in memory, so the adds run
    over long rows instead of C-element fragments (about 3x faster than a full col2im here).
    """

    def __init__(self, stride, padding):
        self.stride, self.padding = stride, padding

    @staticmethod
    def _blocks(x, kernel, out_hw):
        """Slices of the batch whose im2col block fits in COL_BLOCK_BYTES (at least one image each)."""
        n, channels = x.shape[0], x.shape[1]
        per_image = out_hw[0] * out_hw[1] * kernel[0] * kernel[1] * channels * x.dtype.itemsize
        size = max(1, COL_BLOCK_BYTES[backend.device_of(x)] // per_image)
        return [slice(start, min(start + size, n)) for start in range(0, n, size)]

    def _col(self, x_padded, kernel):
        """im2col of some images as a (rows, KH*KW*C) matrix (the one copy im2col makes)."""
        patches = im2col(x_padded, kernel, self.stride)
        return patches.reshape(-1, patches.shape[3] * patches.shape[4] * patches.shape[5])

    def forward(self, x, weight, bias=None):
        xp = self.xp(x)
        n = x.shape[0]
        out_channels, _, kh, kw = weight.shape
        x_padded = pad_nhwc(to_nhwc(x), self.padding)
        oh, ow = output_size(x_padded.shape[1], kh, self.stride[0]), output_size(x_padded.shape[2], kw, self.stride[1])
        weight_matrix = weight.transpose(2, 3, 1, 0).reshape(-1, out_channels)
        y = xp.empty((n, oh, ow, out_channels), dtype=x.dtype)
        self.blocks = self._blocks(x, (kh, kw), (oh, ow))

        def forward_block(block):
            xp.matmul(self._col(x_padded[block], (kh, kw)), weight_matrix, out=y[block].reshape(-1, out_channels))

        parallel.map_blocks(forward_block, self.blocks, on_cpu=xp is np)
        if bias is not None:
            # Added to rows of OW*O values (bias tiled OW times): same sums, far fewer NumPy row steps.
            y.reshape(n * oh, ow * out_channels)[...] += xp.tile(bias, ow)
        self.x_padded, self.weight_matrix, self.weight_shape = x_padded, weight_matrix, weight.shape
        self.has_bias = bias is not None
        return to_nchw(y)

    def backward(self, gy):
        xp = self.xp(gy)
        out_channels, in_channels, kh, kw = self.weight_shape
        g_nhwc = to_nhwc(gy)  # free when gy is channels-last in memory
        gx = gw = gb = None
        if self.needs_input_grad[0]:
            gx = xp.zeros(self.x_padded.shape, dtype=gy.dtype)

        def backward_block(block):
            """This block's share of dL/dWm, after adding its (disjoint) part of dL/dx."""
            g = g_nhwc[block].reshape(-1, out_channels)
            if gx is not None:
                self._add_input_grad(gx[block], g, g_nhwc[block].shape)
            if self.needs_input_grad[1]:
                return self._col(self.x_padded[block], (kh, kw)).T @ g
            return None

        partial_weight_grads = parallel.map_blocks(backward_block, self.blocks, on_cpu=xp is np)
        if self.needs_input_grad[1]:
            gw_matrix = partial_weight_grads[0]
            for partial in partial_weight_grads[1:]:  # summed in block order: the same bits every run
                gw_matrix += partial
            gw = gw_matrix.reshape(kh, kw, in_channels, out_channels).transpose(3, 2, 0, 1)
        if self.has_bias and self.needs_input_grad[2]:
            gb = sum_rows(g_nhwc.reshape(-1, out_channels))
        if gx is not None:
            gx = to_nchw(unpad_nhwc(gx, self.padding))
        return gx, gw, gb

    def _add_input_grad(self, gx, g, output_shape):
        """gx += col2im(gY @ Wm^T) for a block of images, one kernel offset at a time."""
        n, oh, ow, _ = output_shape
        out_channels, in_channels, kh, kw = self.weight_shape
        weight_per_offset = self.weight_matrix.reshape(kh, kw, in_channels, out_channels)
        for p, q, window in kernel_offsets((kh, kw), self.stride, (oh, ow)):
            gx[window] += (g @ weight_per_offset[p, q].T).reshape(n, oh, ow, in_channels)


def conv2d(input, weight, bias=None, stride=1, padding=0, name="conv2d"):
    """2-D convolution of an NCHW ``input`` with ``weight`` (O, C, KH, KW) and optional ``bias`` (O,)."""
    check_nchw(input, name)
    check_float(weight, name, "weight")
    if weight.ndim != 4:
        raise ValueError(f"{name}: expected a 4-D weight (out_channels, in_channels, KH, KW), got shape {weight.shape}")
    stride, padding = pair(stride, name, "stride"), pair(padding, name, "padding")
    check_positive(stride, name, "stride")
    check_non_negative(padding, name, "padding")
    if input.shape[1] != weight.shape[1]:
        raise ValueError(
            f"{name}: expected input with {weight.shape[1]} channels (weight {weight.shape}), "
            f"got {input.shape[1]} channels (input shape {input.shape})"
        )
    if bias is not None and bias.shape != (weight.shape[0],):
        raise ValueError(f"{name}: expected bias of shape ({weight.shape[0]},), got {bias.shape}")
    check_window_fits(input, weight.shape[2:], padding, name)
    return Conv2d(stride, padding)(input, weight, bias)
