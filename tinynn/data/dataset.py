"""Datasets: indexable collections of samples.

Besides PyTorch's per-sample ``__getitem__``, tinynn datasets offer ``get_batch(indices)``, which
returns a whole batch by array slicing. ``DataLoader`` uses it when present, so the hot path has
no Python loop over samples.
"""
import numpy as np

from .. import backend
from ..tensor import Tensor


class Dataset:
    """Subclass and implement ``__len__`` and ``__getitem__`` (and, for speed, ``get_batch``)."""

    def __len__(self):
        raise NotImplementedError

    def __getitem__(self, index):
        raise NotImplementedError


class TensorDataset(Dataset):
    """Samples are the i-th rows of the given tensors/arrays (all with the same first dimension)."""

    def __init__(self, *tensors):
        if not tensors:
            raise ValueError("TensorDataset: expected at least one tensor")
        arrays = [t.data if isinstance(t, Tensor) else np.asarray(t) if not backend.is_gpu_array(t) else t
                  for t in tensors]
        lengths = {len(a) for a in arrays}
        if len(lengths) != 1:
            raise ValueError(f"TensorDataset: all tensors need the same first dimension, got {[a.shape for a in arrays]}")
        self.arrays = arrays

    def __len__(self):
        return len(self.arrays[0])

    def __getitem__(self, index):
        return tuple(Tensor(a[index]) for a in self.arrays)

    def get_batch(self, indices):
        return tuple(Tensor(a[indices]) for a in self.arrays)

    @property
    def device(self):
        return backend.device_of(self.arrays[0])

    def to(self, device):
        """Move the stored arrays to ``device`` once, so batches are sliced there."""
        self.arrays = [backend.to_device(a, device) for a in self.arrays]
        return self


class Subset(Dataset):
    """The samples of ``dataset`` at ``indices``."""

    def __init__(self, dataset, indices):
        self.dataset, self.indices = dataset, np.asarray(indices)

    def __len__(self):
        return len(self.indices)

    def __getitem__(self, index):
        return self.dataset[int(self.indices[index])]

    def get_batch(self, indices):
        return self.dataset.get_batch(self.indices[np.asarray(indices)])
