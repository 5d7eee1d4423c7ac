"""Batch normalization, with the full backward through the batch statistics; instance normalization."""
import numpy as np

from ...errors import InputError
from ... import backend, memory_layout
from ...autograd import Function
from ...half_precision import computed_in_float32
from ...ops.reduction import sum_rows
from .empty_batch import EmptyBatch
from .layer_norm import group_norm
from .validation import check_constant, check_float


class ChannelRows:
    """A view of (N, C) or (N, C, H, W) data as a 2-D matrix whose columns cycle through the channels.

    For 4-D input the matrix is the channels-last memory seen as (N*H, W*C): row (n, h) holds the
    pixels of one image row, channel fastest. Per-channel sums are column sums folded over the W
    repeats, and per-channel constants are tiled W times. The result is the same as working on an
    (N*H*W, C) matrix, but every elementwise pass runs along rows of W*C values instead of C: with
    C around 20 that is several times faster in NumPy, whose cost per row dominates short rows.
    The reshape is free when the memory is channels-last, as tinynn's conv outputs are.
    """

    def __init__(self, shape):
        self.shape = shape
        self.channels = shape[1]
        self.repeats = 1 if len(shape) == 2 else shape[3]

    def rows(self, x):
        """The (N*H, W*C) matrix: a view of channels-last memory; of NCHW-ordered memory (a network's input,
        a flatten's gradient) a copy, reordered by ``memory_layout.reshaped`` (on the threads, by
        OpenBLAS's transposes where it can: NumPy's own reshape copies element by element)."""
        if len(self.shape) == 2:
            return x
        n, c, h, w = self.shape
        return memory_layout.reshaped(x.transpose(0, 2, 3, 1), (n * h, w * c))

    def unrows(self, rows):
        if len(self.shape) == 2:
            return rows
        n, c, h, w = self.shape
        return rows.reshape(n, h, w, c).transpose(0, 3, 1, 2)

    def sums(self, rows):
        """Per-channel sums (C,) of a rows matrix (BLAS matrix-vector product, see ``sum_rows``)."""
        return sum_rows(rows).reshape(self.repeats, self.channels).sum(axis=0)

    def tile(self, vector):
        """A per-channel vector (C,) repeated to match one row of the matrix."""
        return Function.xp(vector).tile(vector, self.repeats)


class BatchNorm(Function):
    """Per channel c, over the M = N*H*W values of that channel in the batch:

        mean = (1/M) sum x,  var = (1/M) sum (x - mean)^2,  xhat = (x - mean) / sqrt(var + eps)
        y = gamma * xhat + beta

    Shapes: x (N, C) or (N, C, H, W), gamma and beta (C,), y like x.

    Backward (training; all sums over the M values of a channel):
        dL/dbeta  = sum gy
        dL/dgamma = sum gy * xhat
        dL/dx     = gamma / sqrt(var + eps) * (gy - dL/dbeta / M - xhat * dL/dgamma / M)

    In eval mode mean and var are the running estimates, constants for backward, so
    dL/dx = gamma / sqrt(var + eps) * gy.  Both are computed as per-channel affine maps
    (y = x * scale + shift, dL/dx = gy * a + x * b + c) so that no xhat array is stored; the
    data is traversed as ``ChannelRows``. On the GPU, ``FusedBatchNorm`` (fused_batch_norm.py)
    computes the same in four kernels per pass.
    """

    def __init__(self, running_mean, running_var, training, momentum, eps, num_batches_tracked=None):
        self.running_mean, self.running_var = running_mean, running_var
        self.training, self.momentum, self.eps = training, momentum, eps
        self.num_batches_tracked = num_batches_tracked

    def forward(self, x, weight=None, bias=None):
        xp = self.xp(x)
        layout = ChannelRows(x.shape)
        rows = layout.rows(x)
        count = x.size // layout.channels
        if self.training:
            mean = layout.sums(rows) / count
            centered = rows - layout.tile(mean)
            centered *= centered
            var = layout.sums(centered) / count
            self._update_running_stats(mean, var, count)
        else:
            mean, var = self.running_mean.astype(x.dtype), self.running_var.astype(x.dtype)
        inv_std = 1 / xp.sqrt(var + self.eps)
        scale = weight * inv_std if weight is not None else inv_std
        shift = (bias - mean * scale) if bias is not None else -mean * scale
        self.layout, self.rows, self.mean, self.inv_std, self.scale = layout, rows, mean, inv_std, scale
        y = rows * layout.tile(scale)
        y += layout.tile(shift)
        return layout.unrows(y)

    def _momentum(self):
        """Counts this batch; the weight of its statistics in the running ones (None: a plain average)."""
        if self.num_batches_tracked is not None:
            self.num_batches_tracked += 1
        return self.momentum if self.momentum is not None else 1.0 / float(self.num_batches_tracked)

    def _update_running_stats(self, mean, var, count):
        if self.running_mean is None:
            return
        momentum = self._momentum()
        unbiased_var = var * (count / (count - 1))  # PyTorch tracks the unbiased variance
        self.running_mean *= 1 - momentum
        self.running_mean += momentum * mean
        self.running_var *= 1 - momentum
        self.running_var += momentum * unbiased_var

    def backward(self, gy):
        layout = self.layout
        g = layout.rows(gy)
        count = gy.size // layout.channels
        sum_g = layout.sums(g)
        gx = ggamma = None
        if self.training or self.needs_input_grad[1]:
            ggamma = (layout.sums(g * self.rows) - self.mean * sum_g) * self.inv_std  # = sum gy * xhat
        if self.needs_input_grad[0]:
            rows_gx = g * layout.tile(self.scale)
            if self.training:  # the batch statistics depend on x too
                b = -self.scale * self.inv_std * ggamma / count
                c = -self.scale * sum_g / count - b * self.mean
                rows_gx += self.rows * layout.tile(b)
                rows_gx += layout.tile(c)
            gx = layout.unrows(rows_gx)
        gbeta = sum_g if self.needs_input_grad[2] else None
        return gx, ggamma, gbeta

    def backward_graph(self, gy, output):
        """The backward of the docstring as recorded Tensor ops, for gradients of gradients (the
        ``ChannelRows`` passes above write in place). In training the statistics are recomputed
        from the recorded input, as they depend on it; in eval mode they are constants."""
        x, weight, _ = self.inputs
        axes, shape = (0,) + tuple(range(2, x.ndim)), (1, -1) + (1,) * (x.ndim - 2)
        count = x.numel() // x.shape[1]
        if self.training:
            centered = x - x.mean(axis=axes, keepdims=True)
            inv_std = ((centered * centered).mean(axis=axes, keepdims=True) + self.eps) ** -0.5
        else:
            centered, inv_std = x - self.mean.reshape(shape), self.inv_std.reshape(shape)
        xhat = centered * inv_std
        sum_g, sum_g_xhat = gy.sum(axis=axes, keepdims=True), (gy * xhat).sum(axis=axes, keepdims=True)
        scale = inv_std if weight is None else weight.reshape(shape) * inv_std
        gx = None
        if self.needs_input_grad[0]:
            gx = scale * (gy - sum_g / count - xhat * sum_g_xhat / count) if self.training else gy * scale
        ggamma = sum_g_xhat.reshape(-1) if self.needs_input_grad[1] else None
        gbeta = sum_g.reshape(-1) if self.needs_input_grad[2] else None
        return gx, ggamma, gbeta


@computed_in_float32("input", "weight", "bias")  # (the running statistics keep their dtype)
def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1,
               eps=1e-5, num_batches_tracked=None, name="batch_norm"):
    """Batch normalization of (N, C), (N, C, L), (N, C, H, W) or (N, C, D, H, W) input; see ``BatchNorm``.

    ``running_mean``/``running_var`` (Tensors or None) are updated in place in training mode, as in
    PyTorch: new = (1 - momentum) * old + momentum * batch statistic, with the unbiased variance.
    """
    check_float(input, name)
    if input.ndim not in (2, 3, 4, 5):
        raise InputError(f"{name}: expected 2-D (N, C), 3-D (N, C, L), 4-D (N, C, H, W) or 5-D (N, C, D, H, W) input, "
                         f"got shape {tuple(input.shape)}")
    channels = input.shape[1]
    for what, t in (("weight", weight), ("bias", bias), ("running_mean", running_mean), ("running_var", running_var)):
        if t is not None and t.shape != (channels,):
            raise InputError(f"{name}: expected {channels} channels (the {what} has shape {tuple(t.shape)}), got input of shape {tuple(input.shape)}")
    if not training and (running_mean is None or running_var is None):
        raise InputError(f"{name}: eval mode needs running_mean and running_var")
    check_constant(running_mean, name, "running_mean")
    check_constant(running_var, name, "running_var")
    if input.numel() == 0:  # as PyTorch: the batch is counted, the running statistics stay as they were
        if training and num_batches_tracked is not None:
            num_batches_tracked._array += 1
        return EmptyBatch(input.shape)(input, weight, bias)
    values_per_channel = int(np.prod(input.shape)) // channels
    if training and values_per_channel <= 1:
        raise InputError(
            f"{name}: expected more than 1 value per channel when training, got input of shape {tuple(input.shape)}"
        )
    if input.ndim in (3, 5):  # the same statistics per channel, over an (N, C, L, 1) or (N, C, D*H, W) view
        n, c = input.shape[:2]
        view = (n, c, input.shape[2], 1) if input.ndim == 3 else (n, c, input.shape[2] * input.shape[3], input.shape[4])
        out = batch_norm(input.reshape(view), running_mean, running_var, weight, bias, training,
                         momentum, eps, num_batches_tracked, name)
        return out.reshape(input.shape)
    from .fused_batch_norm import FusedBatchNorm  # here, as it builds on BatchNorm

    function = (FusedBatchNorm if backend.is_gpu_array(input._array) else BatchNorm)(
        running_mean._array if running_mean is not None else None,
        running_var._array if running_var is not None else None,
        training, momentum, eps,
        num_batches_tracked._array if num_batches_tracked is not None else None,
    )
    return function(input, weight, bias)


@computed_in_float32("input", "weight", "bias")
def instance_norm(input, running_mean=None, running_var=None, weight=None, bias=None, use_input_stats=True,
                  momentum=0.1, eps=1e-5, name="instance_norm"):
    """Normalise each channel of each sample of (N, C, ...) input over its positions, then scale and
    shift per channel: ``group_norm`` with one group per channel (whose backward serves as is).

    With running statistics, ``use_input_stats`` also updates them, as PyTorch does, with the
    instances' means and unbiased variances averaged over the batch; without ``use_input_stats``
    (evaluation of a layer that tracks them) every instance is normalised with the running ones.
    """
    check_float(input, name)
    for what, value in (("running_mean", running_mean), ("running_var", running_var), ("weight", weight), ("bias", bias)):
        if value is not None:
            check_float(value, name, what)
    if input.ndim < 3:
        raise InputError(f"{name}: expected input of shape (N, C, L) or (N, C, H, W), got shape {tuple(input.shape)}")
    if not use_input_stats:
        if running_mean is None or running_var is None:
            raise InputError(f"{name}: normalising with running statistics needs running_mean and running_var")
        return batch_norm(input, running_mean, running_var, weight, bias, False, momentum, eps, name=name)
    n, channels = input.shape[:2]
    positions = int(np.prod(input.shape[2:]))
    if running_mean is not None:
        if not isinstance(momentum, (int, float)):
            raise InputError(f"{name}: momentum must be a number to track statistics, got {momentum!r} (the cumulative "
                             "average that None means for batch norm is not defined for instance norm)")
        if positions <= 1:
            raise InputError(f"{name}: expected more than 1 position per channel to track statistics, got shape {tuple(input.shape)}")
    if running_mean is not None and n:  # (an empty batch leaves them as they were, as in batch_norm)
        values = input._array.reshape(n, channels, positions)
        running_mean._array *= 1 - momentum
        running_mean._array += momentum * values.mean(axis=(0, 2))
        running_var._array *= 1 - momentum
        running_var._array += momentum * values.var(axis=2, ddof=1).mean(axis=0)
    return group_norm(input, channels, weight, bias, eps, name=name)
