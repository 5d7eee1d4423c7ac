"""``tinynn.save`` / ``tinynn.load``: state dicts and checkpoints in a NumPy ``.npz`` file.

The file is a zip holding one ``.npy`` entry per array (always stored from the CPU, so a
checkpoint written on a GPU loads on a CPU-only machine) and ``__structure__``: JSON describing
the nested dicts/lists and where each array goes (a sparse tensor: its indices and values). Nothing
is unpickled on load, so loading a file cannot run code.

``save(..., format="torch")`` (the default for a path ending in .pt or .pth) writes PyTorch's
format instead, and ``load`` reads it too (tinynn/torch_format.py).

Saving is atomic: the data goes to a temporary file in the same folder, is flushed and fsynced,
then renamed over the target (and the folder fsynced). A crash at any moment leaves either the
old file or the new one, never a half-written one.
"""
import io
import json
import os
import pickle
import tempfile
import zipfile

import numpy as np

from . import backend
from .size import Size
from .tensor import Tensor

FORMAT = "tinynn-checkpoint"
VERSION = 1


class CheckpointError(ValueError):
    """A file is not a readable tinynn checkpoint (missing, truncated, corrupt or foreign)."""


def _encode(value, arrays):
    if isinstance(value, Tensor):
        arrays.append(backend.to_device(value._array, "cpu"))
        return {"__tensor__": len(arrays) - 1}
    if isinstance(value, np.ndarray) or backend.is_gpu_array(value):
        arrays.append(backend.to_device(value, "cpu"))
        return {"__ndarray__": len(arrays) - 1}
    if getattr(value, "is_sparse", False):  # a sparse COO tensor: its indices and values
        return {"__sparse_coo__": [_encode(value.indices(), arrays), _encode(value.values(), arrays),
                                   list(value.shape), value.is_coalesced()]}
    if getattr(value, "is_sparse_csr", False):
        return {"__sparse_csr__": [_encode(part, arrays) for part in (value.crow_indices(), value.col_indices(),
                                                                          value.values())] + [list(value.shape)]}
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, dict):
        items = []
        for key, item in value.items():
            if not isinstance(key, (str, int)) or isinstance(key, bool):
                raise TypeError(f"save: dict keys must be str or int, got {type(key).__name__}")
            items.append([key, _encode(item, arrays)])
        return {"__dict__": items}
    if isinstance(value, Size):
        return {"__size__": list(value)}
    if isinstance(value, (list, tuple)):
        return {"__tuple__" if isinstance(value, tuple) else "__list__": [_encode(v, arrays) for v in value]}
    if value is None or isinstance(value, (bool, int, float, str)):
        if isinstance(value, float) and not np.isfinite(value):
            return {"__float__": repr(value)}
        return value
    raise TypeError(f"save: tinynn's format cannot hold a value of type {type(value).__name__} (it holds tensors, dense "
                    f"or sparse, arrays, numbers, strings, lists, tuples and dicts, so that loading runs no code); "
                    f"save its state_dict(), or save the object itself with format='torch' (a .pt file, which "
                    f"load(..., weights_only=False) reads back)")


def _decode(node, arrays):
    if isinstance(node, dict):
        if "__tensor__" in node:
            return Tensor(arrays[node["__tensor__"]])
        if "__ndarray__" in node:
            return arrays[node["__ndarray__"]]
        if "__dict__" in node:
            return {key: _decode(item, arrays) for key, item in node["__dict__"]}
        if "__size__" in node:
            return Size(node["__size__"])
        if "__sparse_coo__" in node:
            from .sparse import sparse_coo_tensor

            indices, values, size, coalesced = node["__sparse_coo__"]
            return sparse_coo_tensor(_decode(indices, arrays), _decode(values, arrays), size, is_coalesced=coalesced)
        if "__sparse_csr__" in node:
            from .csr import sparse_csr_tensor

            *parts, size = node["__sparse_csr__"]
            return sparse_csr_tensor(*(_decode(part, arrays) for part in parts), size)
        if "__tuple__" in node:
            return tuple(_decode(v, arrays) for v in node["__tuple__"])
        if "__list__" in node:
            return [_decode(v, arrays) for v in node["__list__"]]
        if "__float__" in node:
            return float(node["__float__"])
    return node


def save(obj, f, pickle_module=None, pickle_protocol=2, *, format=None):
    """Write ``obj`` (a state dict, or nested dicts/lists of tensors, arrays and plain values) to ``f``,
    a path (written atomically: the old file stays whole until the new one is) or a binary file
    object such as ``io.BytesIO``: in tinynn's ``.npz`` format, or with ``format="torch"`` (the
    default for a name ending in ``.pt`` or ``.pth``) as ``torch.save`` writes it, for ``torch.load``
    (see tinynn/torch_format.py). PyTorch's ``pickle_module`` may only be the standard pickle, and
    ``pickle_protocol`` 2 or later: tinynn writes protocol 2's opcodes itself, which every later
    protocol's reader reads (a higher protocol changes how compactly, never what, is written).
    In PyTorch's format any picklable object may be saved, as ``torch.save(model, path)`` does: a whole
    module, an optimizer, several together (tensors shared between them stay shared); loading it back
    takes ``load(path, weights_only=False)``, for a file one trusts."""
    if pickle_module is not None and pickle_module is not pickle:
        raise ValueError(f"save: tinynn writes its pickles itself; pickle_module must be the standard pickle (or "
                         f"None), got {getattr(pickle_module, '__name__', pickle_module)!r}")
    if not isinstance(pickle_protocol, int) or not 2 <= pickle_protocol <= pickle.HIGHEST_PROTOCOL:
        raise ValueError(f"save: pickle_protocol must be an int from 2 to {pickle.HIGHEST_PROTOCOL}, got "
                         f"{pickle_protocol!r}")
    to_file = hasattr(f, "write")
    name = str(getattr(f, "name", "")) if to_file else os.fspath(f)
    if format is None:
        format = "torch" if name.endswith((".pt", ".pth")) else "tinynn"
    if format == "torch":
        from . import torch_format

        def write(file):
            torch_format.write(obj, file, _archive_name(name))
    elif format == "tinynn":
        arrays = []
        structure = {"format": FORMAT, "version": VERSION, "root": _encode(obj, arrays)}
        entries = {f"a{i}": array for i, array in enumerate(arrays)}
        entries["__structure__"] = np.frombuffer(json.dumps(structure).encode(), dtype=np.uint8)

        def write(file):
            np.savez(file, **entries)
    else:
        raise ValueError(f"save: format must be 'tinynn' or 'torch', got {format!r}")
    if to_file:
        write(f)
    else:
        _write_atomically(name, write)


def _archive_name(path):
    """The folder torch.save puts its entries in: the file's name without its suffix."""
    stem = os.path.splitext(os.path.basename(path))[0]
    return "".join(c if c.isalnum() or c in "_-" else "_" for c in stem) or "archive"


def _write_atomically(path, write):
    """``write(file)`` into a temporary file beside ``path``, flushed and fsynced, then renamed over it."""
    if os.path.isdir(path):  # (found before the whole file is written beside it, to be refused by the rename)
        raise IsADirectoryError(f"save: {path} is a folder; expected the path of a file to write, such as "
                                f"{os.path.join(path, 'model.pt')}")
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=os.path.basename(path) + ".", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(handle, "wb") as file:
            write(file)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.remove(temporary)
        raise
    _fsync_folder(folder)


def _fsync_folder(folder):
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:  # some platforms cannot open folders; the rename is still atomic there
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)


_NPY_HEADER_READERS = {(1, 0): np.lib.format.read_array_header_1_0, (2, 0): np.lib.format.read_array_header_2_0}


def _load_mapped(path, device_for):
    """A tinynn checkpoint whose arrays are the file's pages, mapped copy-on-write (``load(mmap=True)``):
    each .npy member of the (stored, uncompressed) archive mapped after its header."""
    from .torch_format import member_offset

    try:
        with zipfile.ZipFile(path) as archive:
            if "__structure__.npy" not in archive.namelist():
                raise CheckpointError(f"load: {path} is neither a tinynn checkpoint nor a PyTorch one")
            structure = json.loads(bytes(np.load(io.BytesIO(archive.read("__structure__.npy")))).decode())
            arrays = []
            for index in range(len(archive.namelist()) - 1):
                offset = member_offset(archive, f"a{index}.npy", path)
                with open(path, "rb") as file:
                    file.seek(offset)
                    version = np.lib.format.read_magic(file)
                    shape, fortran_order, dtype = _NPY_HEADER_READERS[version](file)
                    arrays.append(np.memmap(path, dtype=dtype, mode="c", offset=file.tell(), shape=shape,
                                            order="F" if fortran_order else "C"))
    except CheckpointError:
        raise
    except (zipfile.BadZipFile, ValueError, OSError, KeyError, json.JSONDecodeError, UnicodeDecodeError) as error:
        raise CheckpointError(f"load: {path} is not a tinynn checkpoint that can be memory-mapped: {error}") from None
    if not isinstance(structure, dict) or structure.get("format") != FORMAT:
        raise CheckpointError(f"load: {path} is not a tinynn checkpoint")
    return _decode(structure["root"], [backend.to_device(array, device_for(array, "cpu")) for array in arrays])


def placement(map_location):
    """``map_location`` as a function (storage, location) -> the device that stored array loads on,
    asked once per array the file stores (a PyTorch storage, which tensors may share) with where
    the file says it was saved: "cpu" or "cuda:0" (tinynn's own files are written from the CPU: "cpu").

    map_location may be, as in PyTorch:
      None                  the CPU (tinynn's default; PyTorch would go back to the saved device)
      a device              "cpu", "gpu", "cuda", "cuda:0" or a ``tinynn.device``: everything there
      a dict                {saved location: device}, say {"cuda:0": "cpu"}; locations it does not
                            name load on the CPU, as without map_location
      a function            (storage, location) -> storage or None, called with the stored values as
                            a 1-D CPU tensor: they load where the storage it returns is
                            (``lambda storage, loc: storage.cuda()``); None: the CPU
    """
    if map_location is None:
        return lambda storage, location: backend.CPU
    if isinstance(map_location, str):
        device = backend.canonical_device(map_location)
        return lambda storage, location: device
    if isinstance(map_location, dict):
        devices = {str(saved): backend.canonical_device(device) for saved, device in map_location.items()}
        return lambda storage, location: devices.get(location, backend.CPU)
    if callable(map_location):
        def device_of_result(storage, location):
            placed = map_location(Tensor(storage.reshape(-1)), location)
            if placed is None:
                return backend.CPU
            if not isinstance(placed, Tensor):
                raise TypeError(f"load: the map_location function returned {type(placed).__name__}; expected the "
                                "storage it was given (a tensor), on the device to load it on, or None")
            return placed.device
        return device_of_result
    raise TypeError(f"load: map_location must be a device name, a tinynn.device, a dict of them or a function "
                    f"(storage, location) -> storage, got {type(map_location).__name__}")


def load(f, map_location=None, pickle_module=None, *, weights_only=None, mmap=None, **pickle_load_args):
    """Read what ``save`` wrote, or a file ``torch.save`` wrote, from ``f`` (a path or a binary file
    object); tensors come back on the CPU, or where ``map_location`` says (see ``placement``). From
    PyTorch files tinynn reads tensors, numbers, strings and containers, nothing that could run code;
    where the file is trusted, ``weights_only=False`` (as PyTorch's) also loads the other Python
    objects it holds (an ``argparse.Namespace`` saved beside the weights, say). tinynn's own files hold
    nothing else.

    ``mmap=True`` (a path, either format): the tensors on the CPU are the file's own pages, mapped
    copy-on-write instead of read, so a checkpoint loads at once whatever its size, its pages are read
    as they are touched, and writing to a tensor changes this process's copy, never the file.
    ``pickle_load_args`` go to the unpickler (``encoding``, ``errors``); ``pickle_module`` (PyTorch's)
    may only be the standard pickle, as tinynn unpickles with its own restricted unpickler."""
    if pickle_module is not None and pickle_module is not pickle:
        raise ValueError(f"load: tinynn reads pickles with its own restricted unpickler; pickle_module must be the "
                         f"standard pickle (or None), got {getattr(pickle_module, '__name__', pickle_module)!r}")
    device_for = placement(map_location)
    if hasattr(f, "read"):
        if mmap:
            raise ValueError("load: mmap=True maps a file on disk into memory; give its path, not a file object")
        path, content = str(getattr(f, "name", "the file object")), f.read()
    else:
        path = os.fspath(f)
        if not os.path.exists(path):
            raise FileNotFoundError(f"load: no such file: {path}")
        if mmap:
            content = None  # (the archive is read from the file: only the pickle, not the tensors)
        else:
            with open(path, "rb") as file:
                content = file.read()
    from . import torch_format

    if torch_format.is_torch_archive(path if mmap else content):
        try:
            return torch_format.read(content, path, device_for, weights_only=weights_only is not False,
                                     mapped=bool(mmap), **pickle_load_args)
        except torch_format.PlacementFailed as failed:
            raise failed.__cause__ from None
        except CheckpointError:
            raise
        except (zipfile.BadZipFile, KeyError, EOFError, ValueError, TypeError, pickle.UnpicklingError) as error:
            raise CheckpointError(f"load: {path} is a PyTorch checkpoint tinynn cannot read (truncated or corrupt): "
                                  f"{error!r}") from None
    if mmap:
        return _load_mapped(path, device_for)
    if torch_format.is_legacy_torch_file(content):
        raise CheckpointError(f"load: {path} is in PyTorch's format from before 1.6 (or saved with "
                              "_use_new_zipfile_serialization=False); load it in PyTorch and save it again with "
                              "torch.save's default")
    if not zipfile.is_zipfile(io.BytesIO(content)):  # (else NumPy's answer would suggest its allow_pickle)
        raise CheckpointError(f"load: {path} is not a readable tinynn checkpoint: not a zip archive, as tinynn's .npz "
                              f"and PyTorch's .pt files are (truncated, corrupt or another format; it begins "
                              f"{content[:12]!r})")
    try:
        with np.load(io.BytesIO(content), allow_pickle=False) as archive:
            if "__structure__" not in archive.files:
                raise CheckpointError(f"load: {path} is an .npz file but not a tinynn checkpoint (no __structure__)")
            structure = json.loads(bytes(archive["__structure__"]).decode())
            arrays = [archive[f"a{i}"] for i in range(len(archive.files) - 1)]
    except CheckpointError:
        raise
    except (zipfile.BadZipFile, ValueError, OSError, KeyError, EOFError, json.JSONDecodeError, UnicodeDecodeError) as error:
        raise CheckpointError(
            f"load: {path} is not a readable tinynn checkpoint (truncated, corrupt or another format): {error}"
        ) from None
    if not isinstance(structure, dict) or structure.get("format") != FORMAT:
        raise CheckpointError(f"load: {path} is not a tinynn checkpoint")
    if structure.get("version", 0) > VERSION:
        raise CheckpointError(f"load: {path} was written by a newer tinynn (format version {structure['version']})")
    return _decode(structure["root"], [backend.to_device(array, device_for(array, "cpu")) for array in arrays])
