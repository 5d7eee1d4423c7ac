"""The job's process group: which process this is (its rank) among how many (the world size), and
the connections between them (distributed/transport.py), as ``torch.distributed``'s default group.

``init_process_group`` reads the rendezvous PyTorch's way: ``init_method="env://"`` (the default)
takes MASTER_ADDR, MASTER_PORT, WORLD_SIZE and RANK from the environment, as ``torchrun`` sets them;
``"tcp://host:port"`` names rank 0's address, with ``world_size`` and ``rank`` given. The backend is
"gloo" (CPU tensors; GPU tensors go through host copies); "nccl" is refused (no NCCL here).
"""
import datetime
import os

from . import transport

_group = None  # the one process group of this process, once initialised


class _ProcessGroup:
    def __init__(self, backend, rank, world_size, peers):
        self.backend, self.rank, self.world_size, self.peers = backend, rank, world_size, peers


def init_process_group(backend=None, init_method=None, timeout=None, world_size=-1, rank=-1, store=None,
                       group_name="", pg_options=None, device_id=None):
    """Join this process to the job: returns once every rank has connected (or raises after ``timeout``,
    a ``datetime.timedelta``, 30 minutes by default, as PyTorch's)."""
    global _group
    if _group is not None:
        raise RuntimeError("init_process_group: this process has already joined a process group; call "
                           "destroy_process_group() first")
    backend = "gloo" if backend is None else str(backend).lower()
    if backend not in ("gloo", "cpu:gloo"):
        raise ValueError(f"init_process_group: tinynn has the 'gloo' backend (processes talking over TCP), not "
                         f"{backend!r}; GPU tensors are exchanged through host copies")
    if store is not None:
        raise ValueError("init_process_group: give init_method (env:// or tcp://host:port), not a store")
    seconds = (timeout or datetime.timedelta(minutes=30)).total_seconds()
    host, port, world_size, rank = _rendezvous_settings(init_method or "env://", world_size, rank)
    peers = transport.rendezvous(host, port, rank, world_size, seconds) if world_size > 1 else {}
    _group = _ProcessGroup("gloo", rank, world_size, peers)


def _rendezvous_settings(init_method, world_size, rank):
    if init_method.startswith("env://"):
        values = {}
        for variable in ("MASTER_ADDR", "MASTER_PORT", "WORLD_SIZE", "RANK"):
            if variable not in os.environ and not (variable == "WORLD_SIZE" and world_size > 0
                                                   or variable == "RANK" and rank >= 0):
                raise ValueError(f"init_process_group: init_method env:// needs {variable} in the environment "
                                 f"(torchrun sets MASTER_ADDR, MASTER_PORT, WORLD_SIZE and RANK)")
            values[variable] = os.environ.get(variable)
        host, port = values["MASTER_ADDR"], int(values["MASTER_PORT"])
        world_size = world_size if world_size > 0 else int(values["WORLD_SIZE"])
        rank = rank if rank >= 0 else int(values["RANK"])
    elif init_method.startswith("tcp://"):
        address = init_method[len("tcp://"):].split("?")[0]
        host, _, port = address.rpartition(":")
        if not host or not port.isdigit():
            raise ValueError(f"init_process_group: expected init_method tcp://host:port, got {init_method!r}")
        port = int(port)
    else:
        raise ValueError(f"init_process_group: init_method must be env:// or tcp://host:port, got {init_method!r}")
    if world_size < 1 or not 0 <= rank < world_size:
        raise ValueError(f"init_process_group: expected world_size >= 1 and 0 <= rank < world_size, got world_size="
                         f"{world_size}, rank={rank}")
    return host, port, world_size, rank


def destroy_process_group(group=None):
    """Leave the job: close this process's connections."""
    global _group
    if _group is None:
        raise RuntimeError("destroy_process_group: no process group has been initialised")
    for connection in _group.peers.values():
        connection.close()
    _group = None


def is_initialized():
    return _group is not None


def is_available():
    return True


def current_group():
    """The process group, or a clear error where there is none."""
    if _group is None:
        raise RuntimeError("distributed: the default process group has not been initialised; call "
                           "tinynn.distributed.init_process_group(...) first")
    return _group


def get_rank(group=None):
    return current_group().rank


def get_world_size(group=None):
    return current_group().world_size


def get_backend(group=None):
    return current_group().backend
