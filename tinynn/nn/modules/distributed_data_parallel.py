"""``DistributedDataParallel``: one model trained by several processes, each on its own share of
the batch (``data.DistributedSampler``), as PyTorch's.

At construction every rank takes rank 0's parameters and buffers, so all start equal. Each rank then
runs forward and backward on its own batch; when its backward pass has finished, the gradients are
averaged over the ranks (one all-reduce of all of them laid end to end), so every rank holds

    g = (1/R) sum_r dL_r/dθ,

the gradient of the mean of the ranks' losses: for equal shares of a batch whose loss is a mean,
exactly the gradient the whole batch would give on one process. The same optimizer step on the same
parameters then keeps the ranks equal. ``no_sync()`` skips the averaging (gradient accumulation:
average on the last micro-batch only). A parameter no rank used keeps ``grad`` None; one some ranks
used is averaged with zeros for the others. Buffers (batch-norm statistics) are broadcast from rank 0
before each forward pass (``broadcast_buffers``), as PyTorch's. State dicts have PyTorch's layout,
keys prefixed ``module.``. A sparse gradient (Embedding(sparse=True)) is averaged in its dense form and
handed back sparse, the rows that any rank's gradient reached (zero rows left out), so SparseAdam
still applies.
"""
import contextlib

import numpy as np

from ... import backend
from ...autograd import engine, no_grad
from .module import Module


class DistributedDataParallel(Module):
    def __init__(self, module, device_ids=None, output_device=None, dim=0, broadcast_buffers=True,
                 process_group=None, bucket_cap_mb=None, find_unused_parameters=False, check_reduction=False,
                 gradient_as_bucket_view=False, static_graph=False):
        from ... import distributed

        super().__init__()
        if not isinstance(module, Module):
            raise TypeError(f"DistributedDataParallel: expected a tinynn.nn.Module to wrap, got {type(module).__name__}")
        if not distributed.is_initialized():
            raise RuntimeError("DistributedDataParallel: call tinynn.distributed.init_process_group(...) first")
        self.module = module
        self.broadcast_buffers, self.require_backward_grad_sync = broadcast_buffers, True
        self._reduction_queued = False
        with no_grad():
            for tensor in list(module.parameters()) + list(module.buffers()):
                distributed.broadcast(tensor, src=0)
        self._synced = [p for p in module.parameters() if p.requires_grad]
        for parameter in self._synced:
            parameter.register_post_accumulate_grad_hook(self._gradient_ready)

    def forward(self, *inputs, **kwargs):
        if self.broadcast_buffers and self.training:
            from ... import distributed

            for buffer in self.module.buffers():
                distributed.broadcast(buffer, src=0)
        return self.module(*inputs, **kwargs)

    @contextlib.contextmanager
    def no_sync(self):
        """Backward passes inside leave each rank's gradients its own (to be accumulated)."""
        previous, self.require_backward_grad_sync = self.require_backward_grad_sync, False
        try:
            yield
        finally:
            self.require_backward_grad_sync = previous

    def _gradient_ready(self, parameter):
        if self.require_backward_grad_sync and not self._reduction_queued:
            self._reduction_queued = True
            engine.queue_callback(self._average_gradients)

    def _average_gradients(self):
        """All gradients at once: values laid end to end in float64 (a complex gradient as its (Re, Im)
        pairs), then one flag per parameter saying whether this rank has a gradient for it, all-reduced
        together; divided by the world size."""
        from ... import distributed
        from ...tensor import Tensor

        self._reduction_queued = False
        if not self._synced:
            return
        pieces = [_as_float64s(p.grad.to_dense()._array) if p.grad is not None else np.zeros(_float64s_in(p))
                  for p in self._synced]
        flags = np.array([p.grad is not None for p in self._synced], dtype=np.float64)
        sparse_flags = np.array([getattr(p.grad, "is_sparse", False) for p in self._synced], dtype=np.float64)
        bundle = Tensor._from_op(np.concatenate(pieces + [flags, sparse_flags]), False)
        distributed.all_reduce(bundle)
        world_size, count_of = distributed.get_world_size(), len(flags)
        values = bundle._array[:-2 * count_of] / world_size
        used, sparse = bundle._array[-2 * count_of:-count_of] > 0, bundle._array[-count_of:] > 0
        start = 0
        for parameter, was_used, was_sparse in zip(self._synced, used, sparse):
            count = _float64s_in(parameter)
            if was_used:
                piece = values[start:start + count]
                if parameter.dtype.kind == "c":
                    piece = piece.view(np.complex128)
                average = backend.to_device(piece.reshape(parameter.shape).astype(parameter.dtype), parameter.device)
                sparse_dim = parameter.grad.sparse_dim() if getattr(parameter.grad, "is_sparse", False) else 1
                parameter.grad = Tensor._from_op(average, False)
                if was_sparse:
                    parameter.grad = parameter.grad.to_sparse(sparse_dim)
            start += count


def _float64s_in(parameter):
    """How many float64 numbers a parameter's gradient takes in the all-reduced bundle."""
    return parameter.numel() * (2 if parameter.dtype.kind == "c" else 1)


def _as_float64s(gradient):
    """A gradient array as the flat float64 numbers the bundle carries: its values, or for a complex
    one the (Re, Im) pairs of each (whose averages are the average's parts)."""
    values = backend.to_device(gradient, backend.CPU)
    if values.dtype.kind == "c":
        return np.ascontiguousarray(values, dtype=np.complex128).view(np.float64).reshape(-1)
    return values.astype(np.float64).reshape(-1)
