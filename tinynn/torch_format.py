"""PyTorch's checkpoint format (``torch.save``'s ``.pt`` files), read and written without PyTorch.

Since PyTorch 1.6 such a file is a zip archive under one folder ``<name>/``:

* ``data.pkl``: the saved object, pickled (protocol 2). A tensor appears as a call
  ``torch._utils._rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, hooks)``,
  its storage as a *persistent id* ``("storage", torch.FloatStorage, key, location, numel)`` (so the
  pickle itself holds no tensor data). A tensor of a dtype without a typed storage (uint16, uint32,
  uint64) is ``_rebuild_tensor_v3(...same..., dtype)`` over a ``torch.storage.UntypedStorage`` of bytes;
  A sparse COO tensor is ``torch._utils._rebuild_sparse_tensor(layout, (indices, values, size,
  is_coalesced))``, its two tensors as above; a CSR matrix the same with ``(crow_indices,
  col_indices, values, size)``;
* ``data/<key>``: each storage's bytes, raw and little-endian (``byteorder`` says so);
* ``version`` (3), ``.format_version``, ``.storage_alignment``: bookkeeping.

Reading runs a restricted unpickler: the only globals it resolves are those a file of tensors and
plain data needs (the rebuild functions, the storage types, ``OrderedDict``, ``torch.Size``, dtypes,
NumPy arrays and scalars), each mapped to tinynn's own code, so loading a file cannot run anything else (as
``torch.load(weights_only=True)``); any other global is refused with its name. Writing emits the
same opcodes PyTorch does for dicts, lists, tuples, numbers, strings and tensors, and the result
loads with ``torch.load(..., weights_only=True)``.
"""
import _compat_pickle
import codecs
import collections
import io
import pickle
import struct
import zipfile

import numpy as np

from . import backend
from .autograd import in_place
from .serialization import CheckpointError
from .size import Size
from .tensor import Tensor

# torch storage type -> (NumPy dtype of the bytes, dtype of the tensor tinynn makes from them)
STORAGES = {"DoubleStorage": "float64", "FloatStorage": "float32", "HalfStorage": "float16",
            "BFloat16Storage": "bfloat16", "LongStorage": "int64", "IntStorage": "int32", "ShortStorage": "int16",
            "CharStorage": "int8", "ByteStorage": "uint8", "BoolStorage": "bool", "ComplexFloatStorage": "complex64",
            "ComplexDoubleStorage": "complex128", "UntypedStorage": "uint8"}
STORAGE_OF = {np.dtype(dtype): name for name, dtype in STORAGES.items() if dtype != "bfloat16" and name != "UntypedStorage"}
UNTYPED = (np.dtype(np.uint16), np.dtype(np.uint32), np.dtype(np.uint64))  # saved as bytes (_rebuild_tensor_v3)
DTYPES = {"float64": "float64", "double": "float64", "float32": "float32", "float": "float32", "float16": "float16",
          "half": "float16", "int64": "int64", "long": "int64", "int32": "int32", "int": "int32", "int16": "int16",
          "int8": "int8", "uint8": "uint8", "uint16": "uint16", "uint32": "uint32", "uint64": "uint64", "bool": "bool", "bfloat16": "float32", "complex64": "complex64",
          "complex128": "complex128"}
DTYPE_NAMES = {np.dtype(dtype): name for name, dtype in DTYPES.items() if name == dtype}  # torch.float32's "float32"
LEGACY_MAGIC = 0x1950A86A20F9469CFC6C  # what pre-1.6 torch.save wrote after its first pickle


def is_torch_archive(content):
    """Whether ``content`` (bytes, or a file's path) is a zip archive as torch.save writes it."""
    def source():
        return io.BytesIO(content) if isinstance(content, bytes) else content

    if not zipfile.is_zipfile(source()):
        return False
    with zipfile.ZipFile(source()) as archive:
        return any(name.endswith("/data.pkl") or name == "data.pkl" for name in archive.namelist())


def is_legacy_torch_file(content):
    """Whether ``content`` is PyTorch's format from before 1.6 (pickles one after another, no zip): it
    starts with the pickled magic number (compared as bytes: nothing is unpickled to find out)."""
    return content.startswith(pickle.dumps(LEGACY_MAGIC, protocol=2)[:-1])


# ----- reading -----------------------------------------------------------------------------------
class _StorageType:
    def __init__(self, name):
        self.name = name


class _TorchClass:
    """A PyTorch class a file names only as a marker (torch.Tensor, nn.Parameter)."""

    def __init__(self, name):
        self.name = name


def _rebuild_tensor(storage, storage_offset, size, stride, requires_grad=False, backward_hooks=None, metadata=None):
    """The tensor viewing ``storage`` (a 1-D array) from ``storage_offset`` with ``size`` and ``stride``
    (in elements): a view, so tensors that shared memory when PyTorch saved them (a tensor and its
    slice, tied weights) share it again, as PyTorch's load gives them."""
    size, stride = tuple(int(n) for n in size), tuple(int(n) for n in stride)
    last = storage_offset + sum((n - 1) * step for n, step in zip(size, stride)) if all(size) else storage_offset - 1
    if (len(size) != len(stride) or min(size + stride + (storage_offset,), default=0) < 0
            or last >= storage.size):  # as_strided would read outside the storage
        raise CheckpointError(f"load: a tensor of size {tuple(size)}, stride {stride} and offset {storage_offset} does not "
                              f"fit its storage of {storage.size} elements")
    itemsize = storage.itemsize
    view = np.lib.stride_tricks.as_strided(storage[storage_offset:], shape=tuple(size),
                                           strides=tuple(step * itemsize for step in stride))
    # (a storage read into memory is a writable copy of its bytes; a mapped one stays the file's pages,
    # copied only where written: load(mmap=True))
    tensor = Tensor(view)
    if requires_grad and tensor.dtype.kind == "f":
        tensor.requires_grad = True
    return tensor


def _rebuild_tensor_from_bytes(storage, storage_offset, size, stride, requires_grad=False, backward_hooks=None,
                               dtype=None, metadata=None):
    """``_rebuild_tensor_v3``: ``_rebuild_tensor`` over the bytes of an untyped storage read as ``dtype``."""
    if not isinstance(dtype, np.dtype) or storage.dtype != np.uint8 or storage.size % dtype.itemsize:
        raise CheckpointError(f"load: a tensor of dtype {dtype} does not fit its storage of {storage.size} "
                              f"{storage.dtype} values")
    return _rebuild_tensor(storage.view(dtype.newbyteorder("<")).astype(dtype, copy=False), storage_offset, size,
                           stride, requires_grad, backward_hooks, metadata)


def _rebuild_parameter(data, requires_grad, backward_hooks, state=None):
    from .nn.parameter import Parameter

    return Parameter(data, requires_grad=requires_grad) if data.dtype.kind == "f" else data


def _rebuild_from_type(function, new_type, args, state):
    """A tensor subclass (nn.Parameter saved through ``_rebuild_from_type_v2``): the tensor itself."""
    tensor = function(*args)
    if isinstance(new_type, _TorchClass) and new_type.name == "Parameter":
        return _rebuild_parameter(tensor, tensor.requires_grad, None)
    return tensor


def _device(kind, index=None):
    return kind


def _layout(name):
    """``torch.serialization._get_layout``: the layout a file names (sparse COO and CSR are rebuilt)."""
    return name


def _rebuild_sparse(layout, data):
    """A sparse COO tensor (tinynn/sparse.py) from its saved indices, values, size and is_coalesced, or
    a CSR matrix (tinynn/csr.py) from its crow and col indices, values and size."""
    from .sparse import sparse_coo_tensor
    from .csr import sparse_csr_tensor

    if layout == "torch.sparse_csr":
        return sparse_csr_tensor(*data[:4])
    if layout != "torch.sparse_coo":
        raise CheckpointError(f"load: the file holds a sparse tensor of layout {layout}; tinynn reads sparse COO "
                              "tensors and CSR matrices only (save to_sparse_coo() or to_dense() of it)")
    indices, values, size = data[:3]
    return sparse_coo_tensor(indices, values, size, is_coalesced=bool(data[3]) if len(data) > 3 else None)


_numpy_multiarray = np._core.multiarray

SAFE_GLOBALS = {
    ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor,
    ("torch._utils", "_rebuild_tensor_v3"): _rebuild_tensor_from_bytes,
    ("torch.storage", "UntypedStorage"): _StorageType("UntypedStorage"),
    ("torch._utils", "_rebuild_parameter"): _rebuild_parameter,
    ("torch._utils", "_rebuild_parameter_with_state"): _rebuild_parameter,
    ("torch._tensor", "_rebuild_from_type_v2"): _rebuild_from_type,
    ("torch", "Tensor"): _TorchClass("Tensor"),
    ("torch.nn.parameter", "Parameter"): _TorchClass("Parameter"),
    ("collections", "OrderedDict"): collections.OrderedDict,
    ("torch", "Size"): Size,
    ("torch", "device"): _device,
    ("torch._utils", "_rebuild_sparse_tensor"): _rebuild_sparse,
    ("torch.serialization", "_get_layout"): _layout,
    ("builtins", "set"): set, ("builtins", "frozenset"): frozenset, ("builtins", "slice"): slice,
    ("numpy", "dtype"): np.dtype,
    ("numpy", "ndarray"): np.ndarray,
    ("_codecs", "encode"): codecs.encode,  # how protocol 2 spells a bytes object (an array's data)
}
for _module in ("numpy.core.multiarray", "numpy._core.multiarray"):  # NumPy arrays and scalars saved beside tensors
    SAFE_GLOBALS[(_module, "scalar")] = _numpy_multiarray.scalar
    SAFE_GLOBALS[(_module, "_reconstruct")] = _numpy_multiarray._reconstruct
SAFE_GLOBALS.update({("torch", name): _StorageType(name) for name in STORAGES})
SAFE_GLOBALS.update({("torch", name): np.dtype(dtype) for name, dtype in DTYPES.items()})


class PlacementFailed(Exception):
    """map_location failed on a storage (its error is the ``__cause__``)."""


class _Unpickler(pickle.Unpickler):
    """Resolves the names of SAFE_GLOBALS only; ``trusted`` (``load(weights_only=False)``) also the
    names of other Python modules, which may run their code, as PyTorch's full unpickling does."""

    def __init__(self, file, archive, prefix, path, device_for, trusted=False, mapped=False, **load_args):
        super().__init__(file, **load_args)
        self.archive, self.prefix, self.path, self.storages, self.trusted = archive, prefix, path, {}, trusted
        self.mapped, self.device_for = mapped, device_for
        self.devices = {}  # storage key -> the device its tensors load on (map_location is asked once per storage)

    def find_class(self, module, name):
        # protocol 2 spells Python 3's names as Python 2's (__builtin__.set), as Python's pickler writes them
        module, name = _compat_pickle.NAME_MAPPING.get((module, name), (module, name))
        module = _compat_pickle.IMPORT_MAPPING.get(module, module)
        found = SAFE_GLOBALS.get((module, name))
        if found is _rebuild_tensor:
            return self._rebuild_tensor
        if found is _rebuild_tensor_from_bytes:
            return self._rebuild_tensor_from_bytes
        if found is not None:
            return found
        if module.split(".")[0] == "torch":
            raise CheckpointError(f"load: {self.path} names {module}.{name}, a PyTorch object other than tensors and "
                                  "plain data (a whole pickled module?), which needs PyTorch itself; save its "
                                  "state_dict() instead")
        if self.trusted:
            return super().find_class(module, name)
        raise CheckpointError(f"load: {self.path} names {module}.{name}, which tinynn does not load (it reads tensors, "
                              "numbers, strings, lists, tuples and dicts from PyTorch files, nothing that could run "
                              "code); if you trust the file, load(..., weights_only=False) loads its other objects")

    def persistent_load(self, pid):
        if not (isinstance(pid, tuple) and len(pid) == 5 and pid[0] == "storage"):
            raise CheckpointError(f"load: {self.path} refers to {pid!r}, not a storage")
        _, storage_type, key, location, numel = pid
        if key not in self.storages:
            self.storages[key] = self._storage(storage_type, key, numel)
            try:
                self.devices[id(self.storages[key])] = self.device_for(self.storages[key], str(location))
            except Exception as error:  # map_location's own error, not the file's: load raises it as it is
                raise PlacementFailed() from error
        return self.storages[key]

    def _rebuild_tensor(self, storage, *args, rebuild=_rebuild_tensor):
        """``_rebuild_tensor`` on the device map_location gives its storage: every tensor the file holds is
        placed as it is made, wherever it sits (in a container, a module, an optimizer), as PyTorch places
        storages; what is built on it (a Parameter, a sparse tensor) is built there."""
        tensor = rebuild(storage, *args)
        device = self.devices.get(id(storage), backend.CPU)
        if device != backend.CPU:
            tensor.data = backend.to_device(tensor._array, device)
        return tensor

    def _rebuild_tensor_from_bytes(self, storage, *args):
        return self._rebuild_tensor(storage, *args, rebuild=_rebuild_tensor_from_bytes)

    def _storage(self, storage_type, key, numel):
        if not isinstance(storage_type, _StorageType):
            raise CheckpointError(f"load: {self.path}: storage {key} has no storage type")
        member = f"{self.prefix}data/{key}"
        dtype = STORAGES[storage_type.name]
        if self.mapped and dtype != "bfloat16":
            offset = member_offset(self.archive, member, self.path)
            return np.memmap(self.path, dtype=np.dtype(dtype).newbyteorder("<"), mode="c", offset=offset,
                             shape=(numel,)).view(np.dtype(dtype).newbyteorder("="))
        raw = self.archive.read(member)
        if dtype == "bfloat16":  # the high half of a float32: shift it back into place
            values = np.frombuffer(raw, dtype="<u2").astype(np.uint32) << 16
            return values.view(np.float32)
        array = np.frombuffer(raw, dtype=np.dtype(dtype).newbyteorder("<"))
        if array.size != numel:
            raise CheckpointError(f"load: {self.path}: storage {key} holds {array.size} values, the file says {numel}")
        return array.astype(np.dtype(dtype).newbyteorder("="))  # (a copy: the bytes read are read-only)


def member_offset(archive, name, path):
    """Where the bytes of the zip member ``name`` start in the file, for mapping them: the member must be
    stored, not compressed (torch.save and numpy.savez store theirs)."""
    info = archive.getinfo(name)
    if info.compress_type != zipfile.ZIP_STORED:
        raise CheckpointError(f"load: {path}: {name} is compressed, so it cannot be memory-mapped; load it "
                              f"without mmap=True")
    with open(path, "rb") as file:
        file.seek(info.header_offset)
        header = file.read(30)  # the local header: its name and extra field lengths at bytes 26-29
    name_length, extra_length = struct.unpack("<HH", header[26:30])
    return info.header_offset + 30 + name_length + extra_length


def read(content, path, device_for, weights_only=True, mapped=False, **load_args):
    """The object a torch.save archive (``content``, bytes; with ``mapped``, the file at ``path``) holds,
    with tinynn Tensors for its tensors, each on ``device_for(its storage, the storage's saved location)``
    (``serialization.placement``) (``weights_only=False``: with the other Python objects it holds, see
    ``_Unpickler``; ``mapped``: its storages the file's pages, mapped copy-on-write). ``load_args`` go to
    the unpickler (PyTorch's pickle_load_args: ``encoding``, ``errors``)."""
    with zipfile.ZipFile(path if mapped else io.BytesIO(content)) as archive:
        pickled = [name for name in archive.namelist() if name.endswith("data.pkl") and name.count("/") <= 1]
        if len(pickled) != 1:
            raise CheckpointError(f"load: {path} is a zip archive, but not one torch.save wrote (no single data.pkl)")
        prefix = pickled[0][:-len("data.pkl")]
        byteorder = f"{prefix}byteorder"
        if byteorder in archive.namelist() and archive.read(byteorder).strip() != b"little":
            raise CheckpointError(f"load: {path} was written on a big-endian machine, which tinynn does not read")
        unpickler = _Unpickler(io.BytesIO(archive.read(pickled[0])), archive, prefix, path, device_for,
                               not weights_only, mapped, **load_args)
        return unpickler.load()


# ----- writing -----------------------------------------------------------------------------------
class _Writer:
    """Protocol-2 pickle opcodes for plain data and tensors, as torch.save emits them.

    Tensors that share memory (a tensor and its row or transpose, a weight tied to two layers) share one
    storage in the file, as in PyTorch's, so they load as views of one array again. Which do is known
    only once every tensor has been met, so a file is pickled twice: first a survey (``spans`` None),
    which writes nothing but notes each host array met; then for real, with ``spans``: for each memory
    block (and dtype), the bytes from the first of its tensors to the end of the last, written once,
    each tensor an offset and strides into it. A block's tensors share a storage only where that span
    is no larger than writing each alone (two parameters far apart in one buffer are written apart)."""

    def __init__(self, spans=None):
        self.out, self.storages = io.BytesIO(), []
        self.spans, self.met, self.storage_keys = spans, [], {}

    def emit(self, data):
        self.out.write(data)

    def global_(self, module, name):
        self.emit(b"c" + f"{module}\n{name}\n".encode())

    def string(self, text):
        encoded = text.encode("utf-8")
        self.emit(b"X" + struct.pack("<I", len(encoded)) + encoded)

    def value(self, value):
        from .nn.parameter import Parameter

        if isinstance(value, Parameter):
            self.parameter(value)
        elif isinstance(value, Tensor):
            self.tensor(value._array, value.requires_grad)
        elif isinstance(value, np.ndarray) or backend.is_gpu_array(value):
            self.tensor(value)
        elif getattr(value, "is_sparse", False):
            self.sparse("torch.sparse_coo", (value.indices(), value.values()), value.shape, (value.is_coalesced(),))
        elif getattr(value, "is_sparse_csr", False):
            self.sparse("torch.sparse_csr", (value.crow_indices(), value.col_indices(), value.values()), value.shape)
        elif value is None:
            self.emit(b"N")
        elif isinstance(value, (bool, np.bool_)):
            self.emit(b"\x88" if value else b"\x89")
        elif isinstance(value, (int, np.integer)):
            self.integer(int(value))
        elif isinstance(value, (float, np.floating)):
            self.emit(b"G" + struct.pack(">d", float(value)))
        elif isinstance(value, str):
            self.string(value)
        elif isinstance(value, dict):
            self.dictionary(value)
        elif isinstance(value, list):
            self.emit(b"]")
            if value:
                self.emit(b"(")
                for item in value:
                    self.value(item)
                self.emit(b"e")
        elif isinstance(value, Size):  # torch.Size((sizes,)), as torch.save writes a shape
            self.global_("torch", "Size")
            self.emit(b"(")
            self.value(tuple(value))
            self.emit(b"tR")
        elif isinstance(value, tuple):
            self.emit(b"(")
            for item in value:
                self.value(item)
            self.emit(b"t")
        elif (dtype_name := _dtype_name(value)) is not None:  # a dtype (tinynn.float32, x.dtype): torch.float32
            self.global_("torch", dtype_name)
        else:
            raise _NotPlainData(type(value).__name__)

    def integer(self, number):
        if 0 <= number < 256:
            self.emit(b"K" + bytes([number]))
        elif -2 ** 31 <= number < 2 ** 31:
            self.emit(b"J" + struct.pack("<i", number))
        else:
            encoded = number.to_bytes((number.bit_length() + 8) // 8, "little", signed=True)
            self.emit(b"\x8a" + bytes([len(encoded)]) + encoded)

    def dictionary(self, mapping):
        if isinstance(mapping, collections.OrderedDict):
            self.global_("collections", "OrderedDict")
            self.emit(b")R")
        else:
            self.emit(b"}")
        if mapping:
            self.emit(b"(")
            for key, item in mapping.items():
                if not isinstance(key, (str, int)) or isinstance(key, bool):
                    raise _NotPlainData(f"a dict key of type {type(key).__name__}")
                self.value(key)
                self.value(item)
            self.emit(b"u")

    def tensor(self, array, requires_grad=False):
        if self.spans is None:  # the survey: where the tensor lies is all it asks
            if _shareable(array):
                self.met.append(array)
            return
        shared = self.spans.get(_block_key(array)) if _shareable(array) else None
        if shared is not None:
            storage, start = shared
            key = self.storage_keys.get(id(storage))
            if key is None:  # (the first of its tensors met: the span is written once, for all of them)
                key = self.storage_keys[id(storage)] = str(len(self.storages))
                self.storages.append(storage)
            offset, strides = (_address(array) - start) // array.itemsize, array.strides
        else:
            array = np.asarray(backend.to_device(array, backend.CPU), order="C")  # (0-d stays 0-d)
            storage, key, offset, strides = array, str(len(self.storages)), 0, array.strides
            self.storages.append(array)
        untyped = array.dtype in UNTYPED
        if array.dtype not in STORAGE_OF and not untyped:
            raise TypeError(f"save: PyTorch has no tensors of dtype {array.dtype}")
        self.global_("torch._utils", "_rebuild_tensor_v3" if untyped else "_rebuild_tensor_v2")
        self.emit(b"((")
        self.string("storage")
        if untyped:
            self.global_("torch.storage", "UntypedStorage")
        else:
            self.global_("torch", STORAGE_OF[array.dtype])
        self.string(key)
        self.string("cpu")
        self.integer(storage.nbytes if untyped else storage.size)
        self.emit(b"tQ")  # the persistent id: a reference to data/<key>
        self.integer(offset)
        self.value(tuple(array.shape))
        self.value(tuple(step // array.itemsize for step in strides))
        self.emit(b"\x88" if requires_grad else b"\x89")  # (False for a state dict's tensors)
        self.global_("collections", "OrderedDict")
        self.emit(b")R")
        if untyped:
            self.global_("torch", array.dtype.name)
        self.emit(b"tR")

    def parameter(self, tensor):
        """``_rebuild_parameter(data, requires_grad, OrderedDict())``, as PyTorch pickles an nn.Parameter."""
        self.global_("torch._utils", "_rebuild_parameter")
        self.emit(b"(")
        self.tensor(tensor._array)
        self.value(tensor.requires_grad)
        self.global_("collections", "OrderedDict")
        self.emit(b")RtR")

    def sparse(self, layout, tensors, size, flags=()):
        """``_rebuild_sparse_tensor(_get_layout(layout), (*tensors, size, *flags))``: a COO tensor's
        indices, values, size and is_coalesced, or a CSR matrix's crow and col indices, values and size."""
        self.global_("torch._utils", "_rebuild_sparse_tensor")
        self.emit(b"(")
        self.global_("torch.serialization", "_get_layout")
        self.emit(b"(")
        self.string(layout)
        self.emit(b"tR(")
        for part in tensors:
            self.tensor(part._array)
        self.value(Size(size))
        for flag in flags:
            self.value(flag)
        self.emit(b"ttR")


def _dtype_name(value):
    """PyTorch's name of the dtype ``value`` (a NumPy dtype, or a scalar type such as tinynn.float32), or None."""
    if isinstance(value, np.dtype) or isinstance(value, type) and issubclass(value, np.generic):
        return DTYPE_NAMES.get(np.dtype(value))
    return None


class _NotPlainData(TypeError):
    """``obj`` holds more than tensors and plain data (what ``_Writer`` writes by itself)."""


class _ObjectPickler(pickle._Pickler):
    """``torch.save`` of any other object (a whole module, a run's objects together): Python's own
    pickling (protocol 2, the pure-Python pickler, whose ``save`` can be extended), with each tensor
    written as PyTorch writes one (``_Writer``: a rebuild call over a storage in data/) and an
    ``nn.Parameter`` as ``_rebuild_parameter`` of it. A tensor met twice is one tensor in the file (the
    pickle's memo), so tied weights come back tied. Reading it back needs ``load(weights_only=False)``
    (the file names tinynn's classes), as reading PyTorch's pickled modules needs PyTorch's."""

    def __init__(self, writer):
        super().__init__(writer.out, protocol=2)
        self.writer = writer

    def save(self, obj, save_persistent_id=True):
        from .nn.parameter import Parameter

        if isinstance(obj, Size) or _dtype_name(obj) is not None:  # as torch.Size, torch.float32
            self.writer.value(obj)
            return
        sparse = getattr(obj, "is_sparse", False) or getattr(obj, "is_sparse_csr", False)
        if not (isinstance(obj, Tensor) or sparse):
            super().save(obj, save_persistent_id)
            return
        if id(obj) in self.memo:
            self.write(self.get(self.memo[id(obj)][0]))
            return
        if isinstance(obj, Parameter):
            self.writer.parameter(obj)
        elif isinstance(obj, Tensor):
            self.writer.tensor(obj._array, obj.requires_grad)
        else:
            self.writer.value(obj)
        self.memoize(obj)


def _shareable(array):
    """Whether a tensor's memory can be a slice of a storage written for several: a host array whose
    strides step forward by whole items (a reversed view, ``x[::-1]``, is written on its own)."""
    return (isinstance(array, np.ndarray) and array.dtype in STORAGE_OF and array.size > 0
            and all(step >= 0 and step % array.itemsize == 0 for step in array.strides))


def _address(array):
    return array.__array_interface__["data"][0]


def _end(array):
    """One past the last byte of ``array``'s elements."""
    return _address(array) + sum((size - 1) * step for size, step in zip(array.shape, array.strides)) + array.itemsize


def _block_key(array):
    return id(in_place.memory_block(array)), array.dtype


def _shared_spans(met):
    """For each memory block (and dtype) whose tensors, met in the survey, can share one storage: that
    storage (their span of memory, as an array) and its start address."""
    groups = {}
    for array in met:
        groups.setdefault(_block_key(array), {})[(_address(array), array.shape, array.strides)] = array
    spans = {}
    for key, distinct in groups.items():
        arrays = list(distinct.values())
        first = min(arrays, key=_address)
        start, end = _address(first), max(_end(a) for a in arrays)
        if len(arrays) > 1 and end - start <= sum(a.nbytes for a in arrays):
            storage = np.lib.stride_tricks.as_strided(first, shape=((end - start) // first.itemsize,),
                                                      strides=(first.itemsize,), writeable=False)
            spans[key] = (storage, start)
    return spans


def _pickled(obj, spans):
    """``obj`` pickled by a ``_Writer`` of these ``spans`` (None: the survey)."""
    writer = _Writer(spans)
    writer.emit(b"\x80\x02")
    try:
        writer.value(obj)
        writer.emit(b".")
    except _NotPlainData:
        writer = _Writer(spans)
        try:
            _ObjectPickler(writer).dump(obj)
        except (pickle.PicklingError, TypeError, AttributeError) as error:
            raise TypeError(f"save: cannot pickle {type(obj).__name__} ({error}); save its state_dict() instead, "
                            f"or make what it holds picklable") from error
    return writer


def write(obj, file, name="archive"):
    """Write ``obj`` to the binary ``file`` as torch.save does (a zip of data.pkl and the storages):
    tensors and plain data by ``_Writer``'s opcodes, anything else by ``_ObjectPickler``; tensors
    sharing memory share a storage (``_Writer``)."""
    writer = _pickled(obj, _shared_spans(_pickled(obj, None).met))
    with zipfile.ZipFile(file, "w", compression=zipfile.ZIP_STORED) as archive:
        archive.writestr(f"{name}/data.pkl", writer.out.getvalue())
        archive.writestr(f"{name}/.format_version", "1")
        archive.writestr(f"{name}/.storage_alignment", "64")
        archive.writestr(f"{name}/byteorder", "little")
        for key, array in enumerate(writer.storages):
            archive.writestr(f"{name}/data/{key}", array.astype(array.dtype.newbyteorder("<"), copy=False).tobytes())
        archive.writestr(f"{name}/version", "3\n")
