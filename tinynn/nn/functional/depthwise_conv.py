"""Depthwise convolution (groups = C input channels = C output channels), channels-last.

Output channel c sees input channel c alone:

    y[n, i, k, c] = sum_{p, q} x[n, i*S + p*D, k*S + q*D, c] * w[c, 0, p, q]

As a grouped matrix product (conv.py) that is C products of (rows, KH*KW) by (KH*KW, 1) matrices:
far too thin for BLAS, after im2col has copied every input value KH*KW times to build them. One
kernel offset (p, q) at a time instead, with the offset's window X_pq = x[:, p*D::S, q*D::S, :]
(N, OH, OW, C) and w_pq = w[:, 0, p, q] (one weight per channel):

    forward   y                 = sum_pq X_pq * w_pq
    dL/dx     dL/dX_pq         += dL/dy * w_pq                (added onto the window's positions)
    dL/dw     dL/dw[:, 0, p, q] = sum over n, i, k of X_pq * dL/dy

Stride 1, the usual depthwise layer: flat shifts. Laid end to end, the padded images are one
vector of N*H*W*C values, value f of channel f mod C, and each window X_pq is that vector shifted
by s_pq = (p*D*W + q*D)*C values. Computed at every padded position f (the rows and columns past
OH and OW are spare, computed and never read),

    y_wide[f]  = sum_pq x[f + s_pq] * w_pq[f mod C]
    dL/dx[f]   = sum_pq dL/dy_wide[f - s_pq] * w_pq[f mod C]

where dL/dy_wide is dL/dy laid out the same way, its spare places zero. Each offset is then one
multiply-add over a long contiguous stretch, images and rows included, with w_pq tiled along it:
NumPy's cost per call, not per image row (its loops over the rows of a strided window cost more
than the arithmetic in them). Other strides go offset by offset over the strided windows, block
by block of images.

The weight gradient, any stride: per block of images, one einsum over the sliding windows of x (a
view: im2col never copied), summed over the block's positions in one pass, no temporaries.

Blocks run side by side on the CPU's cores; their partial sums of dL/dw are added in block order,
and the blocks depend on the sizes alone, so the bits never depend on the number of threads.
"""
import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ... import backend, parallel
from ...memory_layout import in_order
from ...ops.reduction import sum_rows
from .im2col import kernel_offsets

# The flat shifts multiply by w_pq tiled to about TILE_VALUES values (a whole number of C): the
# stretch is cut into rows that long, the tile broadcast along them. Work blocks of BLOCK_TILES such
# rows (half a megabyte of float32) keep a block, its shifted source and its temporary in cache.
TILE_VALUES, BLOCK_TILES = 1 << 14, 8
# Blocks of images (strides other than 1, the weight gradient) hold at least this many output values.
BLOCK_VALUES = 1 << 16


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
    copy. (Not ``fused.channels_last``, a view.)"""
    return in_order(array, (0, 1, 2, 3))


def image_blocks(images, values_per_image):
    """Slices of the batch of at least BLOCK_VALUES output values each (one image at the least)."""
    return parallel.row_blocks(images, max(1, BLOCK_VALUES // values_per_image))


def depthwise_correlate(x_padded, weight, out_hw, stride, dilation):
    """y (N, OH, OW, C) of channels-last padded x (N, H, W, C)."""
    if tuple(stride) != (1, 1):
        return _correlate_by_offsets(x_padded, weight, out_hw, stride, dilation)
    x_padded = contiguous_nhwc(x_padded)
    flat = x_padded.reshape(-1)
    shifts = flat_shifts(weight.shape[2:], dilation, x_padded.shape[2], x_padded.shape[3])
    y_wide = np.empty_like(flat)
    _shifted_sums(flat, shifts, _tiled_weights(weight, x_padded.shape[3]), y_wide[:flat.shape[0] - shifts[-1]])
    return contiguous_nhwc(y_wide.reshape(x_padded.shape)[:, :out_hw[0], :out_hw[1]])


def depthwise_input_grad(g_nhwc, weight, padded_hw, stride, dilation):
    """dL/dx (N, H, W, C) (H, W = ``padded_hw``) from dL/dy (N, OH, OW, C), channels-last."""
    if tuple(stride) != (1, 1):
        return _input_grad_by_offsets(contiguous_nhwc(g_nhwc), weight, padded_hw, stride, dilation)
    padded_shape = (g_nhwc.shape[0],) + tuple(padded_hw) + (g_nhwc.shape[3],)
    shifts = flat_shifts(weight.shape[2:], dilation, padded_hw[1], g_nhwc.shape[3])
    return _input_grad_flat(widened_gradient(g_nhwc, padded_hw, shifts[-1]), weight, padded_shape, shifts)


def depthwise_weight_grad(x_padded, g_nhwc, kernel, stride, dilation):
    """dL/dw (C, 1, KH, KW) from channels-last padded x (N, H, W, C) and dL/dy (N, OH, OW, C), any
    layout of either: sum over n, i, k of X_pq * dL/dy, for every (p, q) at once from x's sliding
    windows (N, OH, OW, C, KH, KW), a view."""
    (kh, kw), (sh, sw), (dh, dw) = kernel, stride, dilation
    n, oh, ow, channels = g_nhwc.shape
    windows = sliding_window_view(x_padded, (dh * (kh - 1) + 1, dw * (kw - 1) + 1), axis=(1, 2))
    windows = windows[:, :sh * (oh - 1) + 1:sh, :sw * (ow - 1) + 1:sw, :, ::dh, ::dw]

    def block_work(block):
        return np.einsum("nijcpq,nijc->cpq", windows[block], g_nhwc[block])

    partials = parallel.map_blocks(block_work, image_blocks(n, oh * ow * channels))
    total = partials[0]
    for partial in partials[1:]:  # in block order: the same bits every run
        total += partial
    return total[:, None]


def depthwise_grads(g_nhwc, x_padded, weight, stride, dilation, wanted):
    """dL/dx (padded, as ``x_padded``), dL/dw and dL/db of a depthwise convolution from dL/dy (N, OH,
    OW, C), each None where ``wanted`` (input, weight, bias) says so: dL/dy laid out once for all three
    (widened for stride 1, else copied channels-last where it is not)."""
    channels = g_nhwc.shape[3]
    if tuple(stride) == (1, 1):
        shifts = flat_shifts(weight.shape[2:], dilation, x_padded.shape[2], channels)
        g_wide = widened_gradient(g_nhwc, x_padded.shape[1:3], shifts[-1])
        g_rows = g_wide[shifts[-1]:].reshape(-1, channels)  # every padded position; the spare ones add zeros
        gx = _input_grad_flat(g_wide, weight, x_padded.shape, shifts) if wanted[0] else None
        g_nhwc = g_rows.reshape(x_padded.shape)[:, :g_nhwc.shape[1], :g_nhwc.shape[2]]
    else:
        g_nhwc = contiguous_nhwc(g_nhwc)
        g_rows = g_nhwc.reshape(-1, channels)
        gx = _input_grad_by_offsets(g_nhwc, weight, x_padded.shape[1:3], stride, dilation) if wanted[0] else None
    gw = depthwise_weight_grad(x_padded, g_nhwc, weight.shape[2:], stride, dilation) if wanted[1] else None
    gb = sum_rows(g_rows) if wanted[2] else None
    return gx, gw, gb


# --- stride 1: flat shifts

def flat_shifts(kernel, dilation, padded_width, channels):
    """s_pq for every kernel offset, p-major: where window X_pq starts in the flattened padded images
    (the last, s for the bottom-right offset, is the farthest any output value reaches)."""
    return [(p * dilation[0] * padded_width + q * dilation[1]) * channels
            for p in range(kernel[0]) for q in range(kernel[1])]


def _tiled_weights(weight, channels):
    """w (C, 1, KH, KW) as (KH*KW, about TILE_VALUES): row pq is w_pq repeated, p-major."""
    per_offset = weight[:, 0].reshape(channels, -1).T
    return np.tile(per_offset, (1, max(1, TILE_VALUES // channels)))


def _multiply_tiled(values, tile, out):
    """out = values * (``tile`` repeated along them), for 1-D ``values`` and ``out`` of any length."""
    width, length = tile.shape[0], values.shape[0]
    whole = length - length % width
    np.multiply(values[:whole].reshape(-1, width), tile, out=out[:whole].reshape(-1, width))
    np.multiply(values[whole:], tile[:length - whole], out=out[whole:])


def _shifted_sums(source, shifts, tiles, out):
    """out[f] = sum_k source[f + shifts[k]] * tiles[k, f mod width] for every f of 1-D ``out``, in
    blocks of whole tile rows (so each block starts at a tile's start) side by side on the threads."""
    width, length = tiles.shape[1], out.shape[0]

    def block_work(rows):
        start, stop = rows.start * width, min(rows.stop * width, length)
        block = out[start:stop]
        term = np.empty_like(block)
        for k, shift in enumerate(shifts):
            _multiply_tiled(source[start + shift:stop + shift], tiles[k], term if k else block)
            if k:
                block += term

    parallel.map_blocks(block_work, parallel.row_blocks(-(-length // width), BLOCK_TILES))


def widened_gradient(g_nhwc, padded_hw, reach):
    """dL/dy (N, OH, OW, C) as the flat shifts read it, 1-D: ``reach`` zeros, then the padded images
    (N, H, W, C) (H, W = ``padded_hw``) holding dL/dy at [:, :OH, :OW] and zeros elsewhere; copied on
    the threads where dL/dy lies in another order (``parallel.copy_into``)."""
    n, oh, ow, channels = g_nhwc.shape
    g_wide = np.zeros(reach + n * padded_hw[0] * padded_hw[1] * channels, dtype=g_nhwc.dtype)
    parallel.copy_into(g_wide[reach:].reshape((n,) + tuple(padded_hw) + (channels,))[:, :oh, :ow], g_nhwc)
    return g_wide


def _input_grad_flat(g_wide, weight, padded_shape, shifts):
    """dL/dx (N, H, W, C) = sum_pq dL/dy_wide[f - s_pq] * w_pq: the shifted sums over ``g_wide``
    (``widened_gradient``), whose leading zeros make f - s_pq the place s - s_pq, s = shifts[-1]."""
    gx = np.empty(int(np.prod(padded_shape)), dtype=g_wide.dtype)
    _shifted_sums(g_wide, [shifts[-1] - shift for shift in shifts], _tiled_weights(weight, padded_shape[3]), gx)
    return gx.reshape(padded_shape)


# --- other strides: offset by offset over strided windows

def _as_rows(array, whole_rows):
    """(n, h, w, C) as (n, h, w*C) where its image rows lie contiguous (``whole_rows``), else as it is."""
    return array.reshape(array.shape[0], array.shape[1], -1) if whole_rows else array


def _weights_per_offset(weight, width, whole_rows):
    """w (C, 1, KH, KW) as (KH, KW, C), or tiled along rows of ``width`` pixels (KH, KW, width*C)."""
    per_offset = weight[:, 0].transpose(1, 2, 0)
    return np.tile(per_offset, (1, 1, width)) if whole_rows else per_offset


def _correlate_by_offsets(x_padded, weight, out_hw, stride, dilation):
    """y (N, OH, OW, C) block by block of images. With stride 1 along the width a window's image
    rows lie contiguous, OW*C values each, and the passes run along such rows, w_pq tiled OW times."""
    x_padded = contiguous_nhwc(x_padded)
    whole_rows = stride[1] == 1
    per_offset = _weights_per_offset(weight, out_hw[1], whole_rows)
    y = np.empty((x_padded.shape[0],) + tuple(out_hw) + (x_padded.shape[3],), dtype=x_padded.dtype)

    def block_work(block):
        x_block, out = x_padded[block], _as_rows(y[block], whole_rows)
        term = np.empty_like(out)
        for k, (p, q, window) in enumerate(kernel_offsets(weight.shape[2:], stride, out_hw, dilation)):
            np.multiply(_as_rows(x_block[window], whole_rows), per_offset[p, q], out=term if k else out)
            if k:
                out += term

    parallel.map_blocks(block_work, image_blocks(y.shape[0], y[0].size))
    return y


def _input_grad_by_offsets(g_nhwc, weight, padded_hw, stride, dilation):
    """dL/dx (N, H, W, C) from channels-last dL/dy (N, OH, OW, C), block by block of images."""
    n, oh, ow, channels = g_nhwc.shape
    whole_rows = stride[1] == 1
    per_offset = _weights_per_offset(weight, ow, whole_rows)
    gx = np.zeros((n,) + tuple(padded_hw) + (channels,), dtype=g_nhwc.dtype)

    def block_work(block):
        g, gx_block = _as_rows(g_nhwc[block], whole_rows), gx[block]
        for p, q, window in kernel_offsets(weight.shape[2:], stride, (oh, ow), dilation):
            _as_rows(gx_block[window], whole_rows)[...] += g * per_offset[p, q]

    parallel.map_blocks(block_work, image_blocks(n, g_nhwc[0].size))
    return gx
