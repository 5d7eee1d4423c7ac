"""Batch normalisation over the batches of every process of a job (``nn.SyncBatchNorm`` under
``tinynn.distributed``): each channel is normalised with the mean and variance of all ranks' batches
together, so R ranks with batches of n behave as one process with a batch of R n.

Forward, per channel, with N the element count over all ranks:
    S = sum x, Q = sum x^2 (each rank's, all-reduced with its count),  mean = S / N,
    var = Q / N - mean^2,  x^ = (x - mean) / sqrt(var + eps),  y = w x^ + b.
Backward (x of every rank moves the shared statistics): with the all-reduced sums
    G = sum dL/dy and H = sum dL/dy x^,
    dL/dx = (w / sqrt(var + eps)) (dL/dy - G / N - x^ H / N),
while dL/dw = sum dL/dy x^ and dL/db = sum dL/dy stay this rank's own: DistributedDataParallel
averages them with every other parameter's gradient.
"""
import numpy as np

from ...errors import InputError
from ... import backend
from ...autograd import Function


def _all_reduced(array):
    from ... import distributed
    from ...tensor import Tensor

    total = Tensor._from_op(backend.to_device(array, backend.CPU).astype(np.float64), False)
    distributed.all_reduce(total)
    return total._array


class SyncBatchNormFunction(Function):
    """y = w x^ + b, x^ = (x - mean) / sqrt(var + eps), with the job's statistics over N values a channel.
    dL/dx = (w / sqrt(var + eps)) (dL/dy - G / N - x^ H / N) with G = sum dL/dy and H = sum dL/dy x^
    all-reduced over the ranks; dL/dw = sum dL/dy x^ and dL/db = sum dL/dy, this rank's own."""

    def __init__(self, eps):
        self.eps = eps

    def forward(self, x, weight, bias=None):
        xp = self.xp(x)
        channels = x.shape[1]
        self.axes = (0,) + tuple(range(2, x.ndim))
        self.shape = (1, channels) + (1,) * (x.ndim - 2)
        wide = x.astype(np.float64)
        local = xp.concatenate([wide.sum(self.axes), (wide * wide).sum(self.axes), xp.full(1, x.size // channels)])
        totals = _all_reduced(local)
        self.count = float(totals[-1])
        if self.count <= 1:
            raise InputError(f"SyncBatchNorm: expected more than 1 value per channel over all ranks, got "
                             f"{self.count:g} (input shape {tuple(x.shape)} here)")
        mean = totals[:channels] / self.count
        variance = np.maximum(totals[channels:2 * channels] / self.count - mean * mean, 0)
        self.mean, self.unbiased_variance = mean, variance * self.count / (self.count - 1)
        invstd = 1 / np.sqrt(variance + self.eps)
        self.invstd = backend.to_device(invstd.astype(x.dtype), backend.device_of(x)).reshape(self.shape)
        self.xhat = (x - backend.to_device(mean.astype(x.dtype), backend.device_of(x)).reshape(self.shape)) * self.invstd
        self.weight, self.has_bias = weight, bias is not None
        y = self.xhat if weight is None else self.xhat * weight.reshape(self.shape)
        return y + bias.reshape(self.shape) if bias is not None else y

    def backward(self, gy):
        channels = gy.shape[1]
        local_gy, local_gy_xhat = gy.sum(self.axes), (gy * self.xhat).sum(self.axes)
        totals = _all_reduced(self.xp(gy).concatenate([local_gy, local_gy_xhat]))
        device = backend.device_of(gy)
        mean_gy = backend.to_device((totals[:channels] / self.count).astype(gy.dtype), device).reshape(self.shape)
        mean_gy_xhat = backend.to_device((totals[channels:] / self.count).astype(gy.dtype), device).reshape(self.shape)
        scale = self.invstd if self.weight is None else self.invstd * self.weight.reshape(self.shape)
        gx = scale * (gy - mean_gy - self.xhat * mean_gy_xhat) if self.needs_input_grad[0] else None
        gw = local_gy_xhat if self.weight is not None and self.needs_input_grad[1] else None
        gb = local_gy if self.has_bias and self.needs_input_grad[2] else None
        return gx, gw, gb
