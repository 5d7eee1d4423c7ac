"""``tinynn.nn.parallel`` (PyTorch's ``torch.nn.parallel``): ``DataParallel`` and its function form
``data_parallel``, and ``DistributedDataParallel`` (several processes, tinynn.distributed). tinynn
runs on one device per process, where DataParallel just runs the module (see
``nn.modules.data_parallel``), so scripts written for several GPUs run unchanged."""
from .modules.data_parallel import DataParallel
from .modules.distributed_data_parallel import DistributedDataParallel


def data_parallel(module, inputs, device_ids=None, output_device=None, dim=0, module_kwargs=None):
    """``module(*inputs, **module_kwargs)`` on the one device (PyTorch's would scatter the batch over
    ``device_ids`` and gather the outputs on ``output_device``)."""
    inputs = inputs if isinstance(inputs, tuple) else (inputs,)
    return module(*inputs, **(module_kwargs or {}))


__all__ = ["DataParallel", "DistributedDataParallel", "data_parallel"]
