"""``DataParallel``: PyTorch's wrapper that splits a batch over several GPUs. tinynn runs on one
device (the CPU, or one GPU), where PyTorch's DataParallel itself just calls the module: so does
this one. Code written for it runs unchanged, and checkpoints keep PyTorch's layout, every key
prefixed with ``module.``, so a DataParallel checkpoint loads into it (and its ``.module`` saves
one without the prefix)."""
from .module import Module


class DataParallel(Module):
    def __init__(self, module, device_ids=None, output_device=None, dim=0):
        super().__init__()
        if not isinstance(module, Module):
            raise TypeError(f"DataParallel: expected a tinynn.nn.Module to wrap, got {type(module).__name__}")
        self.module = module
        self.device_ids, self.output_device, self.dim = device_ids, output_device, dim

    def forward(self, *inputs, **kwargs):
        return self.module(*inputs, **kwargs)
