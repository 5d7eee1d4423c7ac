"""``SyncBatchNorm``: batch norm whose statistics are those of the batches of every process of a
distributed job (``tinynn.distributed``), so ranks with batches of n train as one process with a batch
of R n (nn/functional/sync_batch_norm.py has the math). In one process, or outside a process group,
it normalises (N, C, *) input exactly as BatchNorm1d/2d/3d do, as PyTorch's. Scripts written for
several processes (``SyncBatchNorm.convert_sync_batchnorm(model)``) run unchanged, and their
checkpoints load either way (the same parameters and buffers)."""
from ...errors import InputError
from ... import backend
from ..functional.sync_batch_norm import SyncBatchNormFunction
from .batchnorm import _BatchNorm


class SyncBatchNorm(_BatchNorm):
    """Normalises (N, C, *) input per channel, over N and every dimension after C."""

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True,
                 process_group=None, device=None, dtype=None, *, bias=True):
        _one_process(process_group)
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device, dtype, bias=bias)
        self.process_group = None

    def forward(self, input):
        from ... import distributed

        spans_processes = distributed.is_initialized() and distributed.get_world_size() > 1
        if not (spans_processes and (self.training or not self.track_running_stats)):
            return super().forward(input)
        name = f"{type(self).__name__}({self.num_features})"
        self._check_input_dim(input, name)
        if input.shape[1] != self.num_features:
            raise InputError(f"{name}: expected input with {self.num_features} channels, got {input.shape[1]} "
                             f"(input shape {tuple(input.shape)})")
        op = SyncBatchNormFunction(self.eps)
        y = op(input, self.weight, self.bias)
        if self.training and self.track_running_stats:
            self._update_running_statistics(op.mean, op.unbiased_variance)
        return y

    def _update_running_statistics(self, mean, unbiased_variance):
        """running <- (1 - m) running + m batch, m = momentum (or 1 / batches seen for momentum=None)."""
        from ...autograd import in_place

        self.num_batches_tracked._array[...] += 1
        factor = 1.0 / float(self.num_batches_tracked.item()) if self.momentum is None else self.momentum
        for buffer, batch in ((self.running_mean, mean), (self.running_var, unbiased_variance)):
            update = (1 - factor) * backend.to_device(buffer._array, backend.CPU) + factor * batch
            buffer._array[...] = backend.to_device(update.astype(buffer.dtype), buffer.device)
            in_place.overwritten(buffer._array, f"{type(self).__name__} updated its running statistics")

    def _check_input_dim(self, x, name):
        if x.ndim < 2:
            raise InputError(f"{name}: expected at least 2D input (N, C, *), got shape {tuple(x.shape)}")

    @classmethod
    def convert_sync_batchnorm(cls, module, process_group=None):
        """``module`` with every BatchNorm1d/2d/3d in it (itself included) replaced by a SyncBatchNorm
        holding the same Parameter objects, running statistics and training mode, as PyTorch's."""
        _one_process(process_group)
        converted = module
        if isinstance(module, _BatchNorm) and not isinstance(module, SyncBatchNorm):
            converted = cls(module.num_features, module.eps, module.momentum, module.affine,
                            module.track_running_stats, device=_device_of(module))
            converted.weight, converted.bias = module.weight, module.bias
            for name in ("running_mean", "running_var", "num_batches_tracked"):
                setattr(converted, name, getattr(module, name))
            converted.training = module.training
        for name, child in module.named_children():
            converted.add_module(name, cls.convert_sync_batchnorm(child, process_group))
        return converted


def _one_process(process_group):
    if process_group is not None:
        raise InputError("SyncBatchNorm: tinynn's process group is the whole job (tinynn.distributed); pass "
                         f"process_group=None to synchronise over it, got {process_group!r}")


def _device_of(module):
    tensors = [t for t in list(module.parameters(recurse=False)) + list(module.buffers(recurse=False)) if t is not None]
    return tensors[0].device if tensors else None
