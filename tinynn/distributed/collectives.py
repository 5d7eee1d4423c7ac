"""Collective operations over the process group, as ``torch.distributed``'s: every rank calls the same
one in the same order. Rank 0 is the hub (distributed/transport.py): the others send it their values,
it combines them in rank order (so every run adds in the same order, and every rank gets the same
bits) and sends each rank its share. Tensors are changed in place, outside autograd, as PyTorch's;
GPU tensors travel as host copies.
"""
import pickle

import numpy as np

from .. import backend
from ..autograd import in_place
from ..tensor import Tensor
from . import transport
from .process_group import current_group


class ReduceOp:
    """How ``all_reduce`` and ``reduce`` combine the ranks' values."""
    SUM, PRODUCT, MIN, MAX, AVG, BAND, BOR, BXOR = "sum", "product", "min", "max", "avg", "band", "bor", "bxor"


_COMBINE = {ReduceOp.SUM: np.add, ReduceOp.AVG: np.add, ReduceOp.PRODUCT: np.multiply, ReduceOp.MIN: np.minimum,
            ReduceOp.MAX: np.maximum, ReduceOp.BAND: np.bitwise_and, ReduceOp.BOR: np.bitwise_or,
            ReduceOp.BXOR: np.bitwise_xor}


class Work:
    """What a collective called with ``async_op=True`` returns, as PyTorch's: tinynn's collectives finish
    before they return, so ``wait()`` has nothing left to wait for."""

    def wait(self, timeout=None):
        return True

    def is_completed(self):
        return True


def _done(async_op):
    return Work() if async_op else None


def _host(name, tensor):
    if not isinstance(tensor, Tensor):
        raise TypeError(f"{name}: expected a tinynn.Tensor, got {type(tensor).__name__}")
    return backend.to_device(tensor._array, backend.CPU)


def _write(name, tensor, array):
    """Put ``array`` into ``tensor``'s memory, as PyTorch's collectives do."""
    if tuple(array.shape) != tensor.shape:
        raise ValueError(f"{name}: the ranks' tensors differ in shape: {tuple(array.shape)} here against {tuple(tensor.shape)}")
    tensor._array[...] = backend.to_device(array.astype(tensor.dtype, copy=False), tensor.device)
    in_place.overwritten(tensor._array, f"distributed.{name} wrote a tensor of shape {tuple(tensor.shape)}")


def _gather_at_hub(value):
    """Every rank's ``value`` at rank 0, as a list in rank order (None on the other ranks)."""
    group = current_group()
    if group.rank != 0:
        transport.send(group.peers[0], value)
        return None
    return [value] + [transport.receive(group.peers[rank]) for rank in range(1, group.world_size)]


def _from_hub(values_by_rank):
    """Rank r's entry of rank 0's ``values_by_rank`` (a list, or None where rank r gets nothing)."""
    group = current_group()
    if group.rank != 0:
        return transport.receive(group.peers[0])
    for rank in range(1, group.world_size):
        transport.send(group.peers[rank], values_by_rank[rank])
    return values_by_rank[0]


def _combined(name, arrays, op):
    if op not in _COMBINE:
        raise ValueError(f"{name}: op must be a ReduceOp (SUM, PRODUCT, MIN, MAX, AVG, BAND, BOR, BXOR), got {op!r}")
    shapes = {tuple(a.shape) for a in arrays}
    if len(shapes) > 1:
        raise ValueError(f"{name}: the ranks' tensors differ in shape: {sorted(shapes)}")
    result = arrays[0].copy()
    for array in arrays[1:]:
        _COMBINE[op](result, array, out=result, casting="unsafe")
    if op == ReduceOp.AVG:
        result = result / len(arrays) if result.dtype.kind in "fc" else result // len(arrays)
    return result


def all_reduce(tensor, op=ReduceOp.SUM, group=None, async_op=False):
    """Every rank's ``tensor`` becomes the combination (``op``) of all ranks' tensors."""
    arrays = _gather_at_hub(_host("all_reduce", tensor))
    result = None if arrays is None else _combined("all_reduce", arrays, op)
    _write("all_reduce", tensor, _from_hub(None if result is None else [result] * len(arrays)))
    return _done(async_op)


def reduce(tensor, dst, op=ReduceOp.SUM, group=None, async_op=False):
    """Rank ``dst``'s ``tensor`` becomes the combination of all ranks' tensors (the others keep theirs)."""
    _check_rank("reduce", dst)
    arrays = _gather_at_hub(_host("reduce", tensor))
    result = None if arrays is None else _combined("reduce", arrays, op)
    received = _from_hub(None if result is None else [result if rank == dst else None for rank in range(len(arrays))])
    if received is not None:
        _write("reduce", tensor, received)
    return _done(async_op)


def broadcast(tensor, src, group=None, async_op=False):
    """Every rank's ``tensor`` becomes rank ``src``'s."""
    _check_rank("broadcast", src)
    values = _gather_at_hub(_host("broadcast", tensor) if current_group().rank == src else None)
    _write("broadcast", tensor, _from_hub(None if values is None else [values[src]] * len(values)))
    return _done(async_op)


def all_gather(tensor_list, tensor, group=None, async_op=False):
    """``tensor_list[r]`` becomes rank r's ``tensor``, on every rank."""
    world_size = current_group().world_size
    if not isinstance(tensor_list, list) or len(tensor_list) != world_size:
        raise ValueError(f"all_gather: expected a list of {world_size} tensors (one per rank) to fill")
    values = _gather_at_hub(_host("all_gather", tensor))
    for target, array in zip(tensor_list, _from_hub(None if values is None else [values] * len(values))):
        _write("all_gather", target, array)
    return _done(async_op)


def gather(tensor, gather_list=None, dst=0, group=None, async_op=False):
    """On rank ``dst``, ``gather_list[r]`` becomes rank r's ``tensor``."""
    _check_rank("gather", dst)
    values = _gather_at_hub(_host("gather", tensor))
    received = _from_hub(None if values is None else [values if rank == dst else None for rank in range(len(values))])
    if received is not None:
        if not isinstance(gather_list, list) or len(gather_list) != len(received):
            raise ValueError(f"gather: rank {dst} needs a gather_list of {len(received)} tensors")
        for target, array in zip(gather_list, received):
            _write("gather", target, array)
    return _done(async_op)


def scatter(tensor, scatter_list=None, src=0, group=None, async_op=False):
    """Rank r's ``tensor`` becomes rank ``src``'s ``scatter_list[r]``."""
    _check_rank("scatter", src)
    group_ = current_group()
    pieces = None
    if group_.rank == src:
        if not isinstance(scatter_list, list) or len(scatter_list) != group_.world_size:
            raise ValueError(f"scatter: rank {src} needs a scatter_list of {group_.world_size} tensors")
        pieces = [_host("scatter", piece) for piece in scatter_list]
    values = _gather_at_hub(pieces)
    _write("scatter", tensor, _from_hub(None if values is None else values[src]))
    return _done(async_op)


def barrier(group=None, async_op=False, device_ids=None):
    """Return once every rank has called barrier."""
    _from_hub(_gather_at_hub(None))
    return _done(async_op)


def all_gather_object(object_list, obj, group=None):
    """``object_list[r]`` becomes rank r's ``obj`` (any picklable object), on every rank."""
    world_size = current_group().world_size
    if not isinstance(object_list, list) or len(object_list) != world_size:
        raise ValueError(f"all_gather_object: expected a list of {world_size} places (one per rank) to fill")
    values = _gather_at_hub(pickle.dumps(obj))
    object_list[:] = [pickle.loads(value) for value in _from_hub(None if values is None else [values] * len(values))]


def broadcast_object_list(object_list, src=0, group=None, device=None):
    """Every rank's ``object_list`` becomes rank ``src``'s (its entries, in place)."""
    _check_rank("broadcast_object_list", src)
    values = _gather_at_hub(pickle.dumps(object_list) if current_group().rank == src else None)
    object_list[:] = pickle.loads(_from_hub(None if values is None else [values[src]] * len(values)))


def _check_rank(name, rank):
    world_size = current_group().world_size
    if not isinstance(rank, int) or not 0 <= rank < world_size:
        raise ValueError(f"{name}: rank {rank!r} is outside 0..{world_size - 1}")
