"""Depthwise convolution (groups = C input channels = C output channels) by kernel offsets.

Output channel c sees input channel c alone:

    y[n, i, k, c] = sum_{p, q} x[n, i*S + p*D, k*S + q*D, c] * w[c, 0, p, q]

As a grouped matrix product (conv.py) that is C products of (rows, KH*KW) by (KH*KW, 1) matrices:
far too thin for BLAS, after im2col has copied every input value KH*KW times to build them. One
kernel offset (p, q) at a time instead, it is KH*KW multiply-adds over whole channels-last blocks
of images, the offset's window X_pq = x[:, p*D::S, q*D::S, :] (N, OH, OW, C) a strided view:

    forward   y              = sum_pq X_pq * w_pq           (w_pq = w[:, 0, p, q], per channel)
    dL/dx     dL/dX_pq      += dL/dy * w_pq                  (added onto the window's positions)
    dL/dw     dL/dw[:, 0, p, q] = sum over n, i, k of X_pq * dL/dy

With stride 1 along the width a window's image rows lie contiguous, OW*C values each, and the
passes run along such rows with w_pq tiled OW times (as BatchNorm's ChannelRows): NumPy's cost per
row, not per value, dominates rows of C values. The batch goes in the blocks of the matrix
products (``col_blocks``), side by side on the CPU's cores; the weight gradient's blocks are added
in block order, so the bits never depend on the number of threads.
"""
import numpy as np

from ... import backend, parallel
from ...memory_layout import in_order
from ...ops.reduction import sum_rows
from .im2col import kernel_offsets


def is_depthwise(in_channels, out_channels, groups, array):
    """Whether a convolution of ``groups`` groups from ``in_channels`` to ``out_channels``, of
    ``array`` (its weight or data), is depthwise with one output channel per input channel, on the
    CPU (a single group of one channel is an ordinary product). On a GPU, where every pass is a
    kernel launch, the grouped product's few launches stay (not measured against these offsets there)."""
    return groups > 1 and in_channels == out_channels == groups and not backend.is_gpu_array(array)


def contiguous_nhwc(array):
    """An (N, H, W, C) array itself where it lies densely in C order (channels-last, for the NCHW tensor it
    stands for), else such a copy, made on the threads (``parallel.copy_into``): an NCHW gradient (a
    flatten's, or ``sum().backward()``'s) reordered so takes half the time of NumPy's one-core transposing
    copy. The backward makes it once for all three gradients. (Not ``fused.channels_last``, a view.)"""
    return in_order(array, (0, 1, 2, 3))


def _as_rows(array, whole_rows):
    """(n, h, w, C) as (n, h, w*C) where its image rows lie contiguous (``whole_rows``), else as it is."""
    return array.reshape(array.shape[0], array.shape[1], -1) if whole_rows else array


def _weights_per_offset(xp, weight, width, whole_rows):
    """w (C, 1, KH, KW) as (KH, KW, C), or tiled along rows of ``width`` pixels (KH, KW, width*C)."""
    per_offset = weight[:, 0].transpose(1, 2, 0)
    return xp.tile(per_offset, (1, 1, width)) if whole_rows else per_offset


def depthwise_correlate(x_padded, weight, out_hw, stride, dilation, blocks):
    """y (N, OH, OW, C) of channels-last padded x (N, H, W, C), block by block of images."""
    xp = backend.get_array_module(x_padded)
    x_padded = contiguous_nhwc(x_padded)
    whole_rows = stride[1] == 1
    per_offset = _weights_per_offset(xp, weight, out_hw[1], whole_rows)
    y = xp.empty((x_padded.shape[0],) + tuple(out_hw) + (x_padded.shape[3],), dtype=x_padded.dtype)

    def block_work(block):
        x_block, out = x_padded[block], _as_rows(y[block], whole_rows)
        term = xp.empty_like(out)
        for k, (p, q, window) in enumerate(kernel_offsets(weight.shape[2:], stride, out_hw, dilation)):
            xp.multiply(_as_rows(x_block[window], whole_rows), per_offset[p, q], out=term if k else out)
            if k:
                out += term

    parallel.map_blocks(block_work, blocks, on_cpu=xp is np)
    return y


def depthwise_input_grad(g_nhwc, weight, padded_hw, stride, dilation, blocks):
    """dL/dx (N, H, W, C) (H, W = ``padded_hw``) from dL/dy (N, OH, OW, C), channels-last."""
    xp = backend.get_array_module(g_nhwc)
    g_nhwc = contiguous_nhwc(g_nhwc)
    n, oh, ow, channels = g_nhwc.shape
    whole_rows = stride[1] == 1
    per_offset = _weights_per_offset(xp, weight, ow, whole_rows)
    gx = xp.zeros((n,) + tuple(padded_hw) + (channels,), dtype=g_nhwc.dtype)

    def block_work(block):
        g, gx_block = _as_rows(g_nhwc[block], whole_rows), gx[block]
        for p, q, window in kernel_offsets(weight.shape[2:], stride, (oh, ow), dilation):
            _as_rows(gx_block[window], whole_rows)[...] += g * per_offset[p, q]

    parallel.map_blocks(block_work, blocks, on_cpu=xp is np)
    return gx


def depthwise_weight_grad(x_padded, g_nhwc, kernel, stride, dilation, blocks):
    """dL/dw (C, 1, KH, KW) from channels-last padded x (N, H, W, C) and dL/dy (N, OH, OW, C):
    each block's sums over its rows, added in block order."""
    xp = backend.get_array_module(g_nhwc)
    x_padded, g_nhwc = contiguous_nhwc(x_padded), contiguous_nhwc(g_nhwc)
    _, oh, ow, channels = g_nhwc.shape

    def block_work(block):
        g, x_block = g_nhwc[block], x_padded[block]
        sums = xp.empty(tuple(kernel) + (channels,), dtype=g_nhwc.dtype)
        for p, q, window in kernel_offsets(kernel, stride, (oh, ow), dilation):
            sums[p, q] = sum_rows((x_block[window] * g).reshape(-1, channels))
        return sums

    partials = parallel.map_blocks(block_work, blocks, on_cpu=xp is np)
    total = partials[0]
    for partial in partials[1:]:  # in block order: the same bits every run
        total += partial
    return total.transpose(2, 0, 1)[:, None]
