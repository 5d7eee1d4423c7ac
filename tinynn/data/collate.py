"""``default_collate``: a batch from a list of samples, as PyTorch's DataLoader makes it by default.

Each kind of field is combined the way PyTorch combines it: Tensors and NumPy arrays are stacked
along a new first axis (on the device they are on), NumPy scalars become a tensor of their dtype,
Python numbers one of float64 for floats, int64 for ints, bool for bools (where the first is an
int or a bool, the dtype ``tinynn.tensor`` gives them all: [1, 2.5] is float32, as PyTorch's), strings
stay a list, and containers are collated field by field: a dict gives a dict of batches, a tuple
or a list a list (a namedtuple keeps its type), as PyTorch's. So ``x, y = batch`` works for
samples ``(x, y)``, and ``batch["image"]`` for dict samples.
"""
import numbers

import numpy as np

from .. import backend
from ..tensor import Tensor, tensor


def default_collate(batch):
    """The samples of ``batch`` (a list) combined into one batch (see the module docstring)."""
    if not batch:
        raise ValueError("default_collate: got an empty list of samples")
    first = batch[0]
    if isinstance(first, Tensor) or isinstance(first, np.ndarray) or backend.is_gpu_array(first):
        arrays = [sample._array if isinstance(sample, Tensor) else sample for sample in batch]
        kind = arrays[0].dtype.kind
        if kind not in "biufc":  # (a tensor holds numbers alone: the Tensor constructor's rule)
            what = "strings or objects" if kind in "OUSV" else "not numbers"
            raise TypeError(f"default_collate: cannot batch NumPy arrays of dtype {arrays[0].dtype} ({what}) into a "
                            "tensor; pass a collate_fn")
        shapes = {tuple(array.shape) for array in arrays}
        if len(shapes) > 1:
            raise ValueError(f"default_collate: samples of different shapes {sorted(shapes)} cannot be stacked; "
                             "pad them or pass a collate_fn")
        return Tensor._from_op(backend.get_array_module(arrays[0]).stack(arrays), False)
    if isinstance(first, (str, bytes)):  # as they came: a list, or a tuple where fields were transposed (PyTorch's)
        return batch
    if isinstance(first, np.generic):  # NumPy scalars keep their dtype (np.float32 gives float32)
        return Tensor._from_op(np.asarray(batch), False)
    if isinstance(first, numbers.Integral):  # (bools too: ints or floats among them give ints or floats, as PyTorch's)
        return _numbers(batch, None)
    if isinstance(first, numbers.Real):
        return _numbers(batch, np.float64)
    if isinstance(first, dict):
        return {key: default_collate([sample[key] for sample in batch]) for key in first}
    if isinstance(first, tuple) and hasattr(first, "_fields"):  # a namedtuple
        return type(first)(*(default_collate(list(field)) for field in zip(*batch)))
    if isinstance(first, (tuple, list)):
        if any(len(sample) != len(first) for sample in batch):
            raise ValueError("default_collate: every sample must have the same number of fields")
        return [default_collate(field) for field in zip(*batch)]
    raise TypeError(f"default_collate: cannot batch samples of type {type(first).__name__}; pass a collate_fn")


def _numbers(batch, dtype):
    """Python numbers as one tensor: of ``dtype``, or (None) the dtype ``tinynn.tensor`` gives them."""
    if not all(isinstance(value, numbers.Number) for value in batch):
        kinds = sorted({type(value).__name__ for value in batch})
        raise TypeError(f"default_collate: a field holds numbers in some samples and not in others ({', '.join(kinds)}); "
                        f"pass a collate_fn")
    return tensor(batch) if dtype is None else Tensor._from_op(np.asarray(batch, dtype=dtype), False)


def default_convert(data):
    """Each NumPy array (or number array) in ``data`` as a Tensor, nothing stacked: what the
    DataLoader does with samples when batching is off, as PyTorch (whose tuples come back lists)."""
    if isinstance(data, (np.ndarray, np.generic)) and data.dtype.kind not in "OUS":
        return Tensor(np.asarray(data))  # (a NumPy scalar too, as PyTorch's)
    if isinstance(data, dict):
        return type(data)({key: default_convert(value) for key, value in data.items()})
    if isinstance(data, tuple) and hasattr(data, "_fields"):
        return type(data)(*(default_convert(value) for value in data))
    if isinstance(data, (tuple, list)):
        return [default_convert(value) for value in data]
    return data
