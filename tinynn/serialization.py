"""``tinynn.save`` / ``tinynn.load``: state dicts and checkpoints in a NumPy ``.npz`` file.

The file is a zip holding one ``.npy`` entry per array (always stored from the CPU, so a
checkpoint written on a GPU loads on a CPU-only machine) and ``__structure__``: JSON describing
the nested dicts/lists and where each array goes. Nothing is unpickled on load, so loading a
file cannot run code.

Saving is atomic: the data goes to a temporary file in the same folder, is flushed and fsynced,
then renamed over the target (and the folder fsynced). A crash at any moment leaves either the
old file or the new one, never a half-written one.
"""
import io
import json
import os
import tempfile
import zipfile

import numpy as np

from . import backend
from .tensor import Tensor

FORMAT = "tinynn-checkpoint"
VERSION = 1


class CheckpointError(ValueError):
    """A file is not a readable tinynn checkpoint (missing, truncated, corrupt or foreign)."""


def _encode(value, arrays):
    if isinstance(value, Tensor):
        arrays.append(backend.to_device(value.data, "cpu"))
        return {"__tensor__": len(arrays) - 1}
    if isinstance(value, np.ndarray) or backend.is_gpu_array(value):
        arrays.append(backend.to_device(value, "cpu"))
        return {"__ndarray__": len(arrays) - 1}
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, dict):
        items = []
        for key, item in value.items():
            if not isinstance(key, (str, int)) or isinstance(key, bool):
                raise TypeError(f"save: dict keys must be str or int, got {type(key).__name__}")
            items.append([key, _encode(item, arrays)])
        return {"__dict__": items}
    if isinstance(value, (list, tuple)):
        return {"__tuple__" if isinstance(value, tuple) else "__list__": [_encode(v, arrays) for v in value]}
    if value is None or isinstance(value, (bool, int, float, str)):
        if isinstance(value, float) and not np.isfinite(value):
            return {"__float__": repr(value)}
        return value
    raise TypeError(f"save: cannot save a value of type {type(value).__name__}; use tensors, arrays, numbers, "
                    f"strings, lists, tuples and dicts")


def _decode(node, arrays):
    if isinstance(node, dict):
        if "__tensor__" in node:
            return Tensor(arrays[node["__tensor__"]])
        if "__ndarray__" in node:
            return arrays[node["__ndarray__"]]
        if "__dict__" in node:
            return {key: _decode(item, arrays) for key, item in node["__dict__"]}
        if "__tuple__" in node:
            return tuple(_decode(v, arrays) for v in node["__tuple__"])
        if "__list__" in node:
            return [_decode(v, arrays) for v in node["__list__"]]
        if "__float__" in node:
            return float(node["__float__"])
    return node


def save(obj, path):
    """Write ``obj`` (a state dict, or nested dicts/lists of tensors, arrays and plain values) to ``path``."""
    path = os.fspath(path)
    arrays = []
    structure = {"format": FORMAT, "version": VERSION, "root": _encode(obj, arrays)}
    entries = {f"a{i}": array for i, array in enumerate(arrays)}
    entries["__structure__"] = np.frombuffer(json.dumps(structure).encode(), dtype=np.uint8)
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=os.path.basename(path) + ".", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(handle, "wb") as file:
            np.savez(file, **entries)
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


def load(path, map_location=None):
    """Read what ``save`` wrote; tensors come back on the CPU (or on ``map_location``)."""
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"load: no such file: {path}")
    try:
        with open(path, "rb") as file:
            content = file.read()
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
    if map_location is not None:
        arrays = [backend.to_device(a, map_location) for a in arrays]
    return _decode(structure["root"], arrays)
