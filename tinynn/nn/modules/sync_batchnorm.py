"""``SyncBatchNorm``: PyTorch's batch norm whose statistics are gathered across the processes of a
distributed job. tinynn trains in one process (on the CPU or one GPU), where the statistics of
"all processes" are this process's own, so it normalises (N, C, *) input exactly as BatchNorm1d/2d/3d
do, as PyTorch's SyncBatchNorm does when no process group spans more than one process. What it is for:
scripts written for several GPUs (``SyncBatchNorm.convert_sync_batchnorm(model)``) run unchanged,
and their checkpoints load either way (the same parameters and buffers)."""
from .batchnorm import _BatchNorm, _InstanceNorm


class SyncBatchNorm(_BatchNorm):
    """Normalises (N, C, *) input per channel, over N and every dimension after C."""

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True,
                 process_group=None, device=None, dtype=None):
        _one_process(process_group)
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device, dtype)
        self.process_group = None

    def _check_input_dim(self, x, name):
        if x.ndim < 2:
            raise ValueError(f"{name}: expected at least 2D input (N, C, *), got shape {x.shape}")

    @classmethod
    def convert_sync_batchnorm(cls, module, process_group=None):
        """``module`` with every BatchNorm1d/2d/3d in it (itself included) replaced by a SyncBatchNorm
        holding the same Parameter objects, running statistics and training mode, as PyTorch's."""
        _one_process(process_group)
        converted = module
        if isinstance(module, _BatchNorm) and not isinstance(module, (_InstanceNorm, SyncBatchNorm)):
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
        raise ValueError("SyncBatchNorm: tinynn trains in one process, so there is no process group to "
                         f"synchronise over; pass process_group=None, got {process_group!r}")


def _device_of(module):
    tensors = [t for t in list(module.parameters(recurse=False)) + list(module.buffers(recurse=False)) if t is not None]
    return tensors[0].device if tensors else None
