"""3-D convolution and pooling of (N, C, D, H, W) volumes, built on their 2-D versions.

A 3-D kernel is a stack of KD 2-D kernels, one per depth offset kd. Output depth slice d sees the
input slices d*S + kd*Dil, so for each kd the input slices it reads form one strided slab
(N, C, OD, H, W); folding OD into the batch makes that slab a batch of images, and

    conv3d(x, w)[:, :, d] = sum over kd of conv2d(slab_kd, w[:, :, kd])[d-th image]

is KD 2-D convolutions over N*OD images, added up. Pooling is the same with max or sum in place
of the sum over kd. Every piece is a recorded op, so the gradients (and second derivatives) are
those of conv2d, the pooling ops and the slicing; no 3-D backward needs writing. The transposed
convolution runs the other way: each kd's 2-D transposed convolution of every input slice is
added into the output slices d*S + kd*Dil (``index_add``).
"""
import numpy as np

from ...errors import InputError
from ... import backend, mixed_precision
from ...half_precision import computed_in_float32
from ...memory_layout import in_usual_layout
from ...tensor import Tensor, where
from .conv import conv2d, conv_geometry
from .conv_transpose import conv_transpose2d
from .im2col import transposed_output_size
from .padding import pad
from .pooling import (_adaptive_windows, adaptive_avg_pool2d, adaptive_max_pool2d, avg_pool2d, check_unpool_indices,
                      max_pool2d, max_unpool2d, pool_output_size)
from .resampling import adaptive_average_taps, resample_depth
from .complex_conv import complex_by_parts
from .validation import accepts_unbatched, adaptive_output_size, check_float, check_non_negative, check_positive, ntuple


def _check_volume(input, name):
    check_float(input, name)
    if input.ndim != 5:
        raise InputError(f"{name}: expected a 5-D input (N, C, D, H, W), got shape {tuple(input.shape)}")


def _slab(x, start, count, step):
    """x[:, :, start::step] (``count`` slices) as a batch of images: (N * count, C, H, W)."""
    n, c = x.shape[:2]
    slab = x[:, :, start:start + (count - 1) * step + 1:step]
    return slab.permute(0, 2, 1, 3, 4).reshape(n * count, c, *x.shape[3:])


def _volume(images, n, depth):
    """(N * depth, C, H, W) images back to an (N, C, depth, H, W) volume."""
    return images.reshape(n, depth, *images.shape[1:]).permute(0, 2, 1, 3, 4)


@complex_by_parts
@mixed_precision.casts_inputs("lower")
@accepts_unbatched(3)
def conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1, name="conv3d"):
    """3-D convolution of (N, C, D, H, W) ``input`` with ``weight`` (O, C/groups, KD, KH, KW);
    ``padding``: an int, three, "valid" or "same"."""
    _check_volume(input, name)
    check_float(weight, name, "weight")
    if weight.ndim != 5:
        raise InputError(f"{name}: expected a 5-D weight (out_channels, in_channels/groups, KD, KH, KW), got shape "
                         f"{tuple(weight.shape)}")
    if input.shape[1] != weight.shape[1] * groups:
        raise InputError(f"{name}: expected input with {weight.shape[1] * groups} channels (weight {tuple(weight.shape)}"
                         + (f", groups={groups}" if groups != 1 else "") + f"), got {input.shape[1]} channels "
                         f"(input shape {tuple(input.shape)})")
    stride, sides, dilation = conv_geometry(weight.shape[2:], stride, padding, dilation, name)
    if any(before or after for before, after in sides):
        input = pad(input, [amount for before_after in reversed(sides) for amount in before_after])
    depth, kernel_depth = input.shape[2], weight.shape[2]
    out_depth = (depth - dilation[0] * (kernel_depth - 1) - 1) // stride[0] + 1
    if out_depth <= 0:
        raise InputError(f"{name}: the kernel's depth span {dilation[0] * (kernel_depth - 1) + 1} is larger than the "
                         f"padded input's depth {depth} (input shape {tuple(input.shape)})")
    out = None
    for kd in range(kernel_depth):
        images = conv2d(_slab(input, kd * dilation[0], out_depth, stride[0]), weight[:, :, kd], None, stride[1:], 0,
                        dilation[1:], groups, name=name)
        out = images if out is None else out + images
    out = _volume(out, input.shape[0], out_depth)
    return out if bias is None else out + bias.reshape(1, -1, 1, 1, 1)


@complex_by_parts
@mixed_precision.casts_inputs("lower")
@accepts_unbatched(3)
def conv_transpose3d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1,
                     name="conv_transpose3d"):
    """Transposed 3-D convolution of (N, C, D, H, W) ``input`` with ``weight`` (C, O/groups, KD, KH, KW);
    OD = (D - 1) * stride - 2 * padding + dilation * (KD - 1) + output_padding + 1 (likewise H, W)."""
    _check_volume(input, name)
    check_float(weight, name, "weight")
    if weight.ndim != 5 or weight.shape[0] != input.shape[1]:
        raise InputError(f"{name}: expected a 5-D weight ({input.shape[1]}, out_channels/groups, KD, KH, KW) for input "
                         f"of shape {tuple(input.shape)}, got {tuple(weight.shape)}")
    stride, padding = ntuple(stride, 3, name, "stride"), ntuple(padding, 3, name, "padding")
    output_padding, dilation = ntuple(output_padding, 3, name, "output_padding"), ntuple(dilation, 3, name, "dilation")
    check_positive(stride, name, "stride")
    check_positive(dilation, name, "dilation")
    check_non_negative(padding + output_padding, name, "padding and output_padding")
    if any(op >= max(s, d) for op, s, d in zip(output_padding, stride, dilation)):
        raise InputError(f"{name}: output_padding {output_padding} must be smaller than stride {stride} or dilation "
                         f"{dilation}")
    out_size = [transposed_output_size(size, k, s, p, d, op) for size, s, p, d, k, op in
                zip(input.shape[2:], stride, padding, dilation, weight.shape[2:], output_padding)]
    if min(out_size) <= 0:
        raise InputError(f"{name}: the output would be {tuple(out_size)} for input {tuple(input.shape)}: padding {padding} is "
                         "too large")
    n, depth, kernel_depth = input.shape[0], input.shape[2], weight.shape[2]
    full_depth = (depth - 1) * stride[0] + dilation[0] * (kernel_depth - 1) + 1 + output_padding[0]
    images = _slab(input, 0, depth, 1)
    full = None
    for kd in range(kernel_depth):
        planes = conv_transpose2d(images, weight[:, :, kd], None, stride[1:], padding[1:], output_padding[1:], groups,
                                  dilation[1:], name=name)
        planes = planes.reshape(n, depth, *planes.shape[1:])  # (N, D, O, OH, OW)
        if full is None:
            full = Tensor._from_op(planes._array[:, :1].repeat(full_depth, axis=1) * 0, False)
        full = full.index_add(1, np.arange(depth) * stride[0] + kd * dilation[0], planes)
    out = in_usual_layout(full[:, padding[0]:full_depth - padding[0]].permute(0, 2, 1, 3, 4))
    return out if bias is None else out + bias.reshape(1, -1, 1, 1, 1)


def _pool_geometry(input, kernel_size, stride, padding, dilation, ceil_mode, name):
    kernel = ntuple(kernel_size, 3, name, "kernel_size")
    stride = kernel if stride is None else ntuple(stride, 3, name, "stride")
    padding, dilation = ntuple(padding, 3, name, "padding"), ntuple(dilation, 3, name, "dilation")
    check_positive(kernel, name, "kernel_size")
    check_positive(stride, name, "stride")
    if any(2 * p > k for p, k in zip(padding, kernel)):
        raise InputError(f"{name}: padding should be at most half of kernel_size, got padding={padding}, "
                         f"kernel_size={kernel}")
    out_depth = pool_output_size(input.shape[2], kernel[0], stride[0], padding[0], dilation[0], ceil_mode)
    # the depth the windows reach: padding before, then up to the last window's end
    reach = (out_depth - 1) * stride[0] + dilation[0] * (kernel[0] - 1) + 1
    after = max(reach - padding[0] - input.shape[2], 0)
    return kernel, stride, padding, dilation, out_depth, after


@accepts_unbatched(3)
def max_pool3d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False,
               name="max_pool3d"):
    """The maximum over each KD x KH x KW window of (N, C, D, H, W) input (padding counts as -inf).
    Where each maximum is comes first (the first one in (depth, row, column) order, a NaN before
    any number, as PyTorch): every depth offset's 2-D pooling gives its best (row, column), the
    depth offsets are compared, and the output gathers the input there, so the gradient goes to
    that one element. With ``return_indices`` also those positions, d * H * W + h * W + w in each
    input volume (for ``max_unpool3d``). A window whose dilated taps all fall in the padding holds
    no element: -inf, index -1, no gradient (as max_pool2d's)."""
    _check_volume(input, name)
    kernel, stride, padding, dilation, out_depth, after = _pool_geometry(input, kernel_size, stride, padding, dilation,
                                                                         ceil_mode, name)
    xp = backend.get_array_module(input._array)
    n, _, depth, h, w = input.shape
    volume = Tensor._from_op(input._array, False)
    if padding[0] or after:
        volume = pad(volume, (0, 0, 0, 0, padding[0], after), value=-np.inf)
    best = indices = found = None
    for kd in range(kernel[0]):
        images, planes = max_pool2d(_slab(volume, kd * dilation[0], out_depth, stride[0]), kernel[1:], stride[1:],
                                    padding[1:], dilation[1:], ceil_mode, return_indices=True, name=name)
        images, planes = _volume(images, n, out_depth)._array, _volume(planes, n, out_depth)._array
        slices = xp.arange(out_depth)[:, None, None] * stride[0] - padding[0] + kd * dilation[0]  # in the input
        real = (slices >= 0) & (slices < depth) & (planes >= 0)  # a tap on an element, not on the padding
        best, indices, found = _first_maximum(xp, best, indices, found, images, slices * (h * w) + planes, real)
    return _gathered(input, indices, found, return_indices)


def _first_maximum(xp, best, indices, found, images, flat, real):
    """The running maximum over depth offsets, where it is, and whether any element was seen: a
    later offset wins with a larger value (or a NaN, which PyTorch's pooling propagates), or as the
    first element where the earlier offsets held only padding; never from the padding itself."""
    if best is None:
        return images, flat, real
    better = real & (~found | (images > best) | (xp.isnan(images) & ~xp.isnan(best)))
    return xp.where(better, images, best), xp.where(better, flat, indices), found | real


def _gathered(input, indices, found, return_indices):
    """The input's values at the flat positions ``indices`` of each volume (the gradient goes there);
    -inf with index -1 where a window held no element."""
    xp = backend.get_array_module(indices)
    safe = Tensor._from_op(xp.where(found, indices, 0).astype(np.int64), False)
    values = input.flatten(2).gather(2, safe.flatten(2)).reshape(safe.shape)
    values = where(Tensor._from_op(found, False), values, -np.inf)  # (no read of found: no wait on a GPU)
    indices = Tensor._from_op(xp.where(found, indices, -1).astype(np.int64), False)
    return (values, indices) if return_indices else values


@accepts_unbatched(3, batched_arguments=("input", "indices"))
def max_unpool3d(input, indices, kernel_size, stride=None, padding=0, output_size=None, name="max_unpool3d"):
    """Put the values of a 3-D max pooling back where they came from (zeros elsewhere): ``indices``
    from ``max_pool3d(..., return_indices=True)``; each output size (D - 1) * stride - 2 * padding +
    kernel_size unless ``output_size`` is given. (``max_unpool2d`` on the volumes laid flat.)"""
    _check_volume(input, name)
    kernel = ntuple(kernel_size, 3, name, "kernel_size")
    stride = kernel if stride is None else ntuple(stride, 3, name, "stride")
    padding = ntuple(padding, 3, name, "padding")
    default = tuple((size - 1) * s - 2 * p + k for size, s, p, k in zip(input.shape[2:], stride, padding, kernel))
    out_size = default if output_size is None else tuple(output_size)[-3:]
    if len(out_size) != 3 or any(not size - s < wanted < size + s for wanted, size, s in zip(out_size, default, stride)):
        raise InputError(f"{name}: output_size {output_size!r} is not one a max pooling of these settings makes from "
                         f"that size: each must lie strictly between size - stride and size + stride, around {default}")
    if not isinstance(indices, Tensor) or indices.shape != input.shape:
        raise InputError(f"{name}: expected integer indices of the input's shape {tuple(input.shape)}, got "
                         f"{indices.dtype} {tuple(indices.shape)}" if isinstance(indices, Tensor) else type(indices).__name__)
    check_unpool_indices(indices, out_size, "volume", name)
    n, c = input.shape[:2]
    flat = max_unpool2d(input.flatten(2).unsqueeze(2), indices.flatten(2).unsqueeze(2), 1, 1, 0,
                        (1, out_size[0] * out_size[1] * out_size[2]), name=name)
    return flat.reshape(n, c, *out_size)


def _window_sums(volume, kernel, stride, padding, out_depth, ceil_mode, name):
    """The sum over each window of a depth-padded volume (zeros beyond its height and width)."""
    out = None
    for kd in range(kernel[0]):
        images = avg_pool2d(_slab(volume, kd, out_depth, stride[0]), kernel[1:], stride[1:], padding[1:], ceil_mode,
                            divisor_override=1, name=name)
        out = images if out is None else out + images
    return _volume(out, volume.shape[0], out_depth)


@computed_in_float32("input")
@accepts_unbatched(3)
def avg_pool3d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None, name="avg_pool3d"):
    """The average over each KD x KH x KW window of (N, C, D, H, W) input, with PyTorch's divisor:
    the window's size within the padded input (``count_include_pad``), or within the input only,
    or ``divisor_override``."""
    _check_volume(input, name)
    kernel, stride, padding, _, out_depth, after = _pool_geometry(input, kernel_size, stride, padding, 1, ceil_mode, name)
    sums = _window_sums(pad(input, (0, 0, 0, 0, padding[0], after)), kernel, stride, padding, out_depth, ceil_mode, name)
    if divisor_override is not None:
        return in_usual_layout(sums / divisor_override)
    # the divisor of every window: the same sums over ones, the padding counted or not
    ones = Tensor._from_op(input._array[:1, :1] * 0 + 1, False)
    if count_include_pad:
        padded = pad(ones, (padding[2], padding[2], padding[1], padding[1], padding[0], padding[0]), value=1.0)
        counts = _window_sums(pad(padded, (0, 0, 0, 0, 0, after)), kernel, stride, (0, 0, 0), out_depth, ceil_mode, name)
        if ceil_mode:  # a window overhanging the padded input counts only what it covers, as PyTorch
            counts = counts[..., :sums.shape[3], :sums.shape[4]]
    else:
        counts = _window_sums(pad(ones, (0, 0, 0, 0, padding[0], after)), kernel, stride, padding, out_depth, ceil_mode,
                              name)
    return in_usual_layout(sums / counts)


@accepts_unbatched(3)
def lp_pool3d(input, norm_type, kernel_size, stride=None, ceil_mode=False, name="lp_pool3d"):
    """Power-average pooling of (N, C, D, H, W) input, (sum over each window of x^p)^(1/p), as
    ``lp_pool2d`` (p = inf: the largest |x|, -inf: the smallest)."""
    kernel = ntuple(kernel_size, 3, name, "kernel_size")
    if norm_type in (float("inf"), float("-inf")):
        sign = 1 if norm_type > 0 else -1
        return sign * max_pool3d(sign * input.abs(), kernel, stride, ceil_mode=ceil_mode, name=name)
    average = avg_pool3d(input ** norm_type, kernel, stride, 0, ceil_mode, name=name)
    return (average.sign() * average.abs().relu() * (kernel[0] * kernel[1] * kernel[2])) ** (1.0 / norm_type)


@accepts_unbatched(3)
def adaptive_avg_pool3d(input, output_size, name="adaptive_avg_pool3d"):
    """Average pooling to a fixed (OD, OH, OW) over PyTorch's adaptive windows: along depth by the
    windows' taps (``resampling.resample_depth``), then ``adaptive_avg_pool2d`` of every slice."""
    _check_volume(input, name)
    sizes = adaptive_output_size(input, output_size, 3, name)
    taps = adaptive_average_taps(backend.get_array_module(input._array), input.shape[2], sizes[0], input.dtype)
    depth_pooled = resample_depth(input, taps)
    images = adaptive_avg_pool2d(_slab(depth_pooled, 0, sizes[0], 1), sizes[1:], name=name)
    return in_usual_layout(_volume(images, input.shape[0], sizes[0]))


@accepts_unbatched(3)
def adaptive_max_pool3d(input, output_size, return_indices=False, name="adaptive_max_pool3d"):
    """Max pooling to a fixed (OD, OH, OW) over PyTorch's adaptive windows (along depth the windows of
    ``_adaptive_windows``, padded by repeating their last slice). As in ``max_pool3d``, each depth
    offset j of the windows has its 2-D adaptive pooling find the best (row, column), the offsets
    are compared (the first maximum in (depth, row, column) order wins), and the output gathers the
    input there, where the gradient goes; ``return_indices`` gives d * H * W + h * W + w."""
    _check_volume(input, name)
    sizes = adaptive_output_size(input, output_size, 3, name)
    xp = backend.get_array_module(input._array)
    n, _, depth, h, w = input.shape
    windows = _adaptive_windows(xp, depth, sizes[0])  # (OD, longest)
    best = indices = found = None
    for offset in range(windows.shape[1]):
        slab = Tensor._from_op(input._array[:, :, windows[:, offset]], False)  # (N, C, OD, H, W)
        images, planes = adaptive_max_pool2d(_slab(slab, 0, sizes[0], 1), sizes[1:], return_indices=True, name=name)
        images, planes = _volume(images, n, sizes[0])._array, _volume(planes, n, sizes[0])._array
        best, indices, found = _first_maximum(xp, best, indices, found, images,
                                              windows[:, offset][:, None, None] * (h * w) + planes, planes >= 0)
    return _gathered(input, indices, found, return_indices)
