"""Fractional max pooling (Graham, "Fractional max-pooling", 2014): max pooling whose windows
start at pseudo-random, increasing positions, so the output may be any size between the input's
and the input's over two (an output_ratio of 0.7, say), as PyTorch's.

Along an axis of input size n, with pooling size k, output size m and a random sample u in
[0, 1) (one per sample and channel and axis), the windows start at

    s_i = trunc((i + u) alpha) - trunc(u alpha),   alpha = (n - k) / (m - 1),   for i < m - 1,
    s_(m-1) = n - k,

computed in the input's dtype, as PyTorch does, so the same samples give the same windows. Each
output is the maximum of its window (the first one in scan order; a NaN wins); it gathers the input
there, so the gradient goes to that element (a gather's backward) and ``return_indices`` gives its
flat position in the input plane or volume.
"""
import numpy as np

from ...errors import InputError
from ... import backend, random
from ...tensor import Tensor
from .validation import check_float, ntuple


def _window_starts(xp, samples, size, pool, out, dtype):
    """(N, C, out) window starts along one axis from the samples (N, C)."""
    starts = xp.zeros(samples.shape + (out,), dtype=np.int64)
    if out > 1:
        alpha = dtype.type(size - pool) / dtype.type(out - 1)
        steps = xp.arange(out - 1, dtype=dtype)
        starts[..., :-1] = (xp.trunc((steps + samples[..., None]) * alpha).astype(np.int64)
                            - xp.trunc(samples * alpha).astype(np.int64)[..., None])
    starts[..., -1] = size - pool
    return starts


def fractional_max_pool(input, kernel_size, output_size, output_ratio, return_indices, random_samples, spatial,
                        sample_order, name):
    """Fractional max pooling over the last ``spatial`` axes; ``sample_order[a]`` says which of a
    sample's numbers sets the windows along spatial axis a (PyTorch's 2-D pooling takes the width's
    first, its 3-D pooling the depth's)."""
    check_float(input, name)
    if input.ndim not in (spatial + 1, spatial + 2):
        raise InputError(f"{name}: expected a {spatial + 2}-D input (or {spatial + 1}-D unbatched), got shape "
                         f"{tuple(input.shape)}")
    unbatched = input.ndim == spatial + 1
    x = input.unsqueeze(0) if unbatched else input
    n, c, sizes = x.shape[0], x.shape[1], x.shape[2:]
    kernel = ntuple(kernel_size, spatial, name, "kernel_size")
    if (output_size is None) == (output_ratio is None):
        raise InputError(f"{name}: give exactly one of output_size and output_ratio")
    if output_size is not None:
        outs = ntuple(output_size, spatial, name, "output_size")
    else:
        ratios = (output_ratio,) * spatial if isinstance(output_ratio, (int, float)) else tuple(output_ratio)
        if len(ratios) != spatial or not all(0 < r < 1 for r in ratios):
            raise InputError(f"{name}: output_ratio must be in (0, 1), got {output_ratio}")
        outs = tuple(int(size * ratio) for size, ratio in zip(sizes, ratios))
    for size, pool, out in zip(sizes, kernel, outs):
        if out + pool - 1 > size or out <= 0:
            raise InputError(f"{name}: an output of size {out} with pool size {pool} needs an input of at least "
                             f"{out + pool - 1}, got {size} (input {tuple(input.shape)})")
    xp = backend.get_array_module(x._array)
    if random_samples is None:
        samples = random.generator_for(xp).random((n, c, spatial), dtype=np.float64).astype(x.dtype)
    else:
        samples = random_samples._array if isinstance(random_samples, Tensor) else xp.asarray(random_samples)
        if tuple(samples.shape) != (n, c, spatial):
            raise InputError(f"{name}: expected _random_samples of shape {(n, c, spatial)}, got {tuple(samples.shape)}")
        samples = samples.astype(x.dtype)
    # per axis, the input position of every (output, offset in the window): (N, C, out, pool)
    positions = [_window_starts(xp, samples[..., sample_order[a]], sizes[a], kernel[a], outs[a], x.dtype)[..., None]
                 + xp.arange(kernel[a]) for a in range(spatial)]
    # the flat index into the plane (or volume) of every window element: (N, C, out..., pool...)
    flat = 0
    for a in range(spatial):
        shape = [n, c] + [1] * (2 * spatial)
        shape[2 + a], shape[2 + spatial + a] = outs[a], kernel[a]
        flat = flat * sizes[a] + positions[a].reshape(shape)
    window_size = int(np.prod(kernel))  # (sizes spelled out: -1 is ambiguous for an empty batch)
    flat = flat.reshape(n, c, *outs, window_size)
    planes = x._array.reshape(n, c, int(np.prod(sizes)))
    windows = xp.take_along_axis(planes, flat.reshape(n, c, int(np.prod(outs)) * window_size), axis=2).reshape(flat.shape)
    nan = xp.isnan(windows)
    last_nan = flat.shape[-1] - 1 - xp.argmax(nan[..., ::-1], axis=-1)
    best = xp.where(nan.any(-1), last_nan, xp.argmax(windows, axis=-1))
    indices = xp.take_along_axis(flat, best[..., None], axis=-1)[..., 0]
    index_tensor = Tensor._from_op(indices.astype(np.int64), False)
    values = x.flatten(2).gather(2, index_tensor.flatten(2)).reshape(index_tensor.shape)
    if unbatched:
        values, index_tensor = values.squeeze(0), Tensor._from_op(index_tensor._array[0], False)
    return (values, index_tensor) if return_indices else values


def fractional_max_pool2d(input, kernel_size, output_size=None, output_ratio=None, return_indices=False,
                          _random_samples=None, name="fractional_max_pool2d"):
    """Fractional max pooling of (N, C, H, W) input (see the module docstring); ``_random_samples``
    (N, C, 2) in [0, 1), the width's first, as PyTorch's."""
    return fractional_max_pool(input, kernel_size, output_size, output_ratio, return_indices, _random_samples, 2,
                               (1, 0), name)


def fractional_max_pool3d(input, kernel_size, output_size=None, output_ratio=None, return_indices=False,
                          _random_samples=None, name="fractional_max_pool3d"):
    """Fractional max pooling of (N, C, D, H, W) input; ``_random_samples`` (N, C, 3), the depth's first."""
    return fractional_max_pool(input, kernel_size, output_size, output_ratio, return_indices, _random_samples, 3,
                               (0, 1, 2), name)
