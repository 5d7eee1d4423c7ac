"""Memory shared between processes: ``Tensor.share_memory_`` and ``Module.share_memory`` (several
processes training one model at once, PyTorch's Hogwild), and shared tensors sent to other processes.

A block of shared memory is, where the system has ``memfd_create`` (Linux), an anonymous file in
memory mapped into this process. Processes forked afterwards inherit the mapping; processes started
any other way (``spawn``, ``forkserver``, ``tinynn.multiprocessing.spawn``) and the other end of a
multiprocessing queue get the file's descriptor when a shared tensor is pickled for them (the
reducer below, registered with multiprocessing's pickler), and map the same memory: their writes
reach this process and this process's reach them (PyTorch's "file_descriptor" strategy). Elsewhere
a block is an anonymous shared mapping, which only forked processes see, and sending it to another
process is an error rather than a silent copy.

A module's tensors share one block (one descriptor for the whole model). Tensors that are not
shared are pickled as before, by value: unlike PyTorch, tinynn does not move a tensor into shared
memory because it was put in a queue (the DataLoader's batches stay plain copies).
"""
import mmap
import multiprocessing.context
import os
import pickle
import weakref
from multiprocessing import reduction

import numpy as np

from .autograd import in_place

ALIGNMENT = 64  # each tensor of a block starts on a cache line


class SharedBlock(mmap.mmap):
    """A mapping of shared memory; ``fd`` is its file's descriptor (None for an anonymous mapping)."""

    fd = None


_mapped = weakref.WeakValueDictionary()  # (device, inode) of a memory file -> this process's mapping of it


def _create(nbytes):
    if not hasattr(os, "memfd_create"):
        return SharedBlock(-1, nbytes, flags=mmap.MAP_SHARED)
    fd = os.memfd_create("tinynn-shared", os.MFD_CLOEXEC)
    os.ftruncate(fd, nbytes)
    return _map(fd, nbytes)


def _map(fd, nbytes):
    """The mapping of memory file ``fd``: this process's existing one (closing ``fd``), or a new one
    that keeps ``fd`` open for sending on, closed when the mapping goes."""
    stat = os.fstat(fd)
    key = (stat.st_dev, stat.st_ino)
    block = _mapped.get(key)
    if block is not None:
        if fd != block.fd:  # (a process started by spawn inherits one descriptor per block, at one number)
            os.close(fd)
        return block
    block = SharedBlock(fd, nbytes, flags=mmap.MAP_SHARED)
    block.fd = fd
    weakref.finalize(block, os.close, fd)
    _mapped[key] = block
    return block


def block_of(array):
    """The SharedBlock holding ``array``'s memory, or None."""
    owner = in_place.memory_block(array)
    owner = owner.obj if isinstance(owner, memoryview) else owner
    return owner if isinstance(owner, SharedBlock) else None


def share(tensors):
    """Move the values of ``tensors`` (host tensors) that are not shared yet into one new block."""
    pending = list({id(tensor): tensor for tensor in tensors if block_of(tensor._array) is None}.values())
    if not pending:
        return
    offsets, end = [], 0
    for tensor in pending:
        offsets.append(end)
        end += -(-tensor._array.nbytes // ALIGNMENT) * ALIGNMENT
    block = _create(max(end, 1))
    for tensor, offset in zip(pending, offsets):
        shared = np.ndarray(tensor.shape, dtype=tensor.dtype, buffer=block, offset=offset)
        shared[...] = tensor._array
        tensor.data = shared


def _start_of(block):
    return np.frombuffer(block, dtype=np.uint8, count=1).__array_interface__["data"][0]


_handed_to_child = weakref.WeakKeyDictionary()  # a process being started -> the descriptors it inherits


def _handover(fd):
    """``fd`` wrapped for the receiving process: inherited by a process being started (``spawn``,
    ``forkserver``), once per block however many of its tensors go; else (a queue) sent through
    multiprocessing's resource sharer, a duplicate each time."""
    starting = multiprocessing.context.get_spawning_popen()
    if starting is None:
        return reduction.DupFd(fd)
    inherited = _handed_to_child.setdefault(starting, set())
    if fd not in inherited:
        starting.duplicate_for_child(fd)
        inherited.add(fd)
    return starting.DupFd(fd)


def reduce_tensor(tensor):
    """How multiprocessing pickles a Tensor: a shared one as its block's descriptor and its place in
    the block, so the receiver maps the same memory; any other by value, as plain pickling does."""
    block = block_of(tensor._array) if isinstance(tensor._array, np.ndarray) else None
    if block is None:
        return tensor.__reduce_ex__(pickle.DEFAULT_PROTOCOL)
    if block.fd is None:
        raise RuntimeError("a shared tensor can only reach processes forked after share_memory_ on this system "
                           "(it has no memfd_create to hand the memory to others): start them with the 'fork' method")
    array = tensor._array
    state = {key: value for key, value in tensor.__dict__.items() if key != "_array"}
    offset = array.__array_interface__["data"][0] - _start_of(block)
    return _rebuild, (type(tensor), _handover(block.fd), len(block), offset, array.dtype.str, array.shape,
                      array.strides, state)


def _rebuild(cls, descriptor, nbytes, offset, dtype, shape, strides, state):
    block = _map(descriptor.detach(), nbytes)
    tensor = cls.__new__(cls)
    tensor.__dict__.update(state)
    tensor.__dict__["_array"] = np.ndarray(shape, dtype=np.dtype(dtype), buffer=block, offset=offset, strides=strides)
    return tensor


def register(tensor_type):
    """Pickle ``tensor_type`` and its subclasses (multiprocessing's pickler picks a reducer by exact type)
    with ``reduce_tensor``."""
    reduction.ForkingPickler.register(tensor_type, reduce_tensor)
    for subclass in tensor_type.__subclasses__():
        register(subclass)
