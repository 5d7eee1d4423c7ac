"""Storages: the memory block a tensor's values live in, as PyTorch's ``x.untyped_storage()`` (bytes) and
``x.storage()`` (elements of the tensor's dtype; deprecated there, and warning here as there).

A tinynn tensor is a NumPy (or CuPy) array, and its views are arrays whose ``base`` chain ends at the
array that owns the memory: that owner is the storage. Every view of one block therefore has the same
storage (``a.untyped_storage().data_ptr() == b.untyped_storage().data_ptr()``), and ``storage_offset()``
says where in it a tensor starts. Writing through a storage writes into every tensor on it, as in
PyTorch (outside autograd's records, as there).
"""
import warnings

import numpy as np

from . import backend


def owner_bytes(array):
    """The bytes of the array owning ``array``'s memory: the last array in its chain of bases (a buffer
    such as ``frombuffer``'s bytes may stand behind that array)."""
    owner = link = array
    while getattr(link, "base", None) is not None:  # (as_strided's views pass through a non-array link)
        link = link.base
        if isinstance(link, np.ndarray) or backend.is_gpu_array(link):
            owner = link
    if not owner.flags.c_contiguous:
        raise RuntimeError(f"untyped_storage: the array owning this tensor's memory is not one contiguous block "
                           f"(strides {owner.strides}); copy the tensor with .clone(memory_format=tinynn.contiguous_format)")
    return owner.reshape(-1).view(np.uint8)


class UntypedStorage:
    """The bytes of a memory block: ``x.untyped_storage()``, or ``UntypedStorage(n)`` (n zero bytes; PyTorch's
    are uninitialised) or ``UntypedStorage([byte, ...])``."""

    def __init__(self, size_or_bytes=0, *, device=None):
        device = backend.canonical_device(device)
        xp = backend.array_module_for(device)
        if isinstance(size_or_bytes, (int, np.integer)):
            self._bytes = xp.zeros(int(size_or_bytes), dtype=np.uint8)
        else:
            self._bytes = xp.asarray(np.asarray(list(size_or_bytes), dtype=np.uint8))

    @classmethod
    def of(cls, array):
        storage = cls.__new__(cls)
        storage._bytes = owner_bytes(array)
        return storage

    @property
    def device(self):
        return backend.device(backend.device_of(self._bytes))

    def data_ptr(self):
        return backend.address(self._bytes)

    def nbytes(self):
        return int(self._bytes.size)

    size = nbytes

    def __len__(self):
        return self.nbytes()

    def element_size(self):
        return 1

    def __getitem__(self, index):
        """A byte (an int), or for a slice a storage on those bytes (the same memory, as PyTorch's)."""
        values = self._bytes[index]
        if np.ndim(values) == 0:
            return int(values)
        storage = UntypedStorage.__new__(UntypedStorage)
        storage._bytes = values
        return storage

    def __setitem__(self, index, value):
        self._bytes[index] = value

    def fill_(self, value):
        self._bytes[...] = value
        return self

    def copy_(self, source):
        self._bytes[...] = source._bytes
        return self

    def tolist(self):
        return backend.to_device(self._bytes, "cpu").tolist()

    def clone(self):
        storage = UntypedStorage.__new__(UntypedStorage)
        storage._bytes = self._bytes.copy()
        return storage

    def cpu(self):
        if backend.device_of(self._bytes) == backend.CPU:
            return self
        storage = UntypedStorage.__new__(UntypedStorage)
        storage._bytes = backend.to_device(self._bytes, "cpu")
        return storage

    def is_shared(self):
        from . import shared_memory

        return backend.device_of(self._bytes) == backend.CPU and shared_memory.block_of(self._bytes) is not None

    def untyped(self):
        return self

    def __repr__(self):
        values = "\n".join(f" {value}" for value in self.tolist())
        return f"{values}\n[tinynn.storage.UntypedStorage(device={backend.device_of(self._bytes)}) of size {self.nbytes()}]"


class TypedStorage:
    """The same block as elements of one dtype (``x.storage()``): ``size()`` in elements, indexing by element."""

    def __init__(self, untyped, dtype):
        self._untyped, self.dtype = untyped, np.dtype(dtype)
        self._values = untyped._bytes[:untyped.nbytes() - untyped.nbytes() % self.dtype.itemsize].view(self.dtype)

    @property
    def device(self):
        return self._untyped.device

    def data_ptr(self):
        return self._untyped.data_ptr()

    def size(self):
        return int(self._values.size)

    def __len__(self):
        return self.size()

    def nbytes(self):
        return self._untyped.nbytes()

    def element_size(self):
        return self.dtype.itemsize

    def __getitem__(self, index):
        values = self._values[index]
        return values.item() if np.ndim(values) == 0 else backend.to_device(values, "cpu").tolist()

    def __setitem__(self, index, value):
        self._values[index] = value

    def tolist(self):
        return backend.to_device(self._values, "cpu").tolist()

    def untyped(self):
        return self._untyped

    def __repr__(self):
        values = "\n".join(f" {value}" for value in self.tolist())
        return (f"{values}\n[tinynn.storage.TypedStorage(dtype={self.dtype}, device={backend.device_of(self._values)}) "
                f"of size {self.size()}]")


def typed_storage_of(array):
    """``x.storage()``: PyTorch's deprecated TypedStorage, with its warning."""
    warnings.warn("TypedStorage is deprecated. It will be removed in the future and UntypedStorage will be the only "
                  "storage class. This should only matter to you if you are using storages directly.  To access "
                  "UntypedStorage directly, use tensor.untyped_storage() instead of tensor.storage()", UserWarning,
                  stacklevel=3)
    return TypedStorage(UntypedStorage.of(array), array.dtype)


def is_storage(obj):
    return isinstance(obj, (UntypedStorage, TypedStorage))
