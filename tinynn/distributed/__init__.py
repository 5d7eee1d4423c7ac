"""``tinynn.distributed``: several processes training one model, as ``torch.distributed`` with its
"gloo" backend: a process group (distributed/process_group.py), collective operations on tensors
(distributed/collectives.py) over TCP (distributed/transport.py), and
``nn.parallel.DistributedDataParallel``, which averages the gradients of the ranks' batches.

A job is started once per process, by ``torchrun`` (which sets MASTER_ADDR, MASTER_PORT, WORLD_SIZE
and RANK) or by hand; each process calls ``init_process_group()`` and then the same collectives in
the same order.
"""
from .collectives import (ReduceOp, Work, all_gather, all_gather_object, all_reduce, barrier, broadcast,
                          broadcast_object_list, gather, reduce, scatter)
from .process_group import (destroy_process_group, get_backend, get_rank, get_world_size, init_process_group,
                            is_available, is_initialized)

__all__ = ["ReduceOp", "Work", "all_gather", "all_gather_object", "all_reduce", "barrier", "broadcast", "broadcast_object_list",
           "gather", "reduce", "scatter", "destroy_process_group", "get_backend", "get_rank", "get_world_size",
           "init_process_group", "is_available", "is_initialized"]
