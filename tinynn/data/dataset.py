"""Datasets: indexable collections of samples.

Besides PyTorch's per-sample ``__getitem__``, tinynn datasets offer ``get_batch(indices)``, which
returns a whole batch by array slicing. ``DataLoader`` uses it when present, so the hot path has
no Python loop over samples.
"""
import itertools
import math

import numpy as np

from .. import backend, random
from ..tensor import Tensor


class Dataset:
    """Subclass and implement ``__len__`` and ``__getitem__`` (and, for speed, ``get_batch``)."""

    def __len__(self):
        # a TypeError, as len() of an object without __len__ raises: list() and len hints take it as "no length"
        raise TypeError(f"object of type '{type(self).__name__}' has no len(): a Dataset subclass defines __len__")

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__}: a Dataset subclass defines __getitem__")

    def __add__(self, other):
        """``a + b``: the samples of a, then those of b (a ConcatDataset, as PyTorch's)."""
        return ConcatDataset([self, other])


class TensorDataset(Dataset):
    """Samples are the i-th rows of the given tensors/arrays (all with the same first dimension)."""

    def __init__(self, *tensors):
        if not tensors:
            raise ValueError("TensorDataset: expected at least one tensor")
        arrays = [t._array if isinstance(t, Tensor) else np.asarray(t) if not backend.is_gpu_array(t) else t
                  for t in tensors]
        lengths = {len(a) for a in arrays}
        if len(lengths) != 1:
            raise ValueError(f"TensorDataset: all tensors need the same first dimension, got {[a.shape for a in arrays]}")
        self.arrays = arrays

    def __len__(self):
        return len(self.arrays[0])

    @property
    def tensors(self):
        """The stored tensors, as PyTorch's TensorDataset holds them (sharing memory with the dataset)."""
        return tuple(Tensor(a) for a in self.arrays)

    def __getitem__(self, index):
        return tuple(Tensor(a[index]) for a in self.arrays)

    def get_batch(self, indices):
        """The batch of the samples at ``indices``: a list of one tensor per field, as a DataLoader
        over PyTorch's TensorDataset gives."""
        return [Tensor(a[indices]) for a in self.arrays]

    @property
    def device(self):
        return backend.device_of(self.arrays[0])

    def to(self, device):
        """Move the stored arrays to ``device`` once, so batches are sliced there."""
        self.arrays = [backend.to_device(a, device) for a in self.arrays]
        return self


class Subset(Dataset):
    """The samples of ``dataset`` at ``indices`` (kept as given, as PyTorch's; also as an array, which
    batches index with at once)."""

    def __init__(self, dataset, indices):
        self.dataset, self.indices = dataset, indices

    @property
    def indices(self):
        return self._indices

    @indices.setter
    def indices(self, indices):
        self._indices, self._positions = indices, np.asarray(indices, dtype=np.int64).reshape(-1)

    def __len__(self):
        return len(self._positions)

    def __getitem__(self, index):
        if isinstance(index, list):
            return self.dataset[[int(self._positions[i]) for i in index]]
        return self.dataset[int(self._positions[index])]

    def get_batch(self, indices):
        """The batch of the dataset's samples at these positions, by ``batch_of`` (its ``get_batch`` where
        it has one: a Subset of a plain per-sample dataset failed here, asking it for one)."""
        return batch_of(self.dataset, self._positions[np.asarray(indices)])

    def __getitems__(self, indices):
        """The dataset's samples at these positions, several at once where it fetches so (as PyTorch's)."""
        return samples_of(self.dataset, self._positions[np.asarray(indices, dtype=np.int64)])


def random_split(dataset, lengths, generator=None):
    """Split ``dataset`` into non-overlapping random ``Subset``s of the given lengths, as PyTorch.

    ``lengths`` are sample counts summing to ``len(dataset)``, or fractions summing to 1: each split
    then gets floor(fraction * len) samples and the leftover samples go one each to the splits in
    turn, from the first. The order comes from tinynn's seeded generator (``tinynn.manual_seed``)
    unless a ``tinynn.Generator`` (or a ``numpy.random.Generator``) is given. Typical use: a
    validation set held out of the training set, ``train, val = random_split(full, [0.9, 0.1])``.
    """
    total = len(dataset)
    lengths = list(lengths)
    if not lengths or not all(isinstance(n, (int, float, np.integer, np.floating)) and n >= 0 for n in lengths):
        raise ValueError(f"random_split: lengths must be non-negative counts or fractions, got {lengths}")
    if all(isinstance(n, (int, np.integer)) for n in lengths):
        counts = [int(n) for n in lengths]
    elif math.isclose(sum(lengths), 1) and all(n <= 1 for n in lengths):
        counts = [math.floor(total * fraction) for fraction in lengths]
        for i in range(total - sum(counts)):
            counts[i % len(counts)] += 1
    else:
        raise ValueError(f"random_split: fractions must sum to 1, got {lengths} (sum {sum(lengths)})")
    if sum(counts) != total:
        raise ValueError(f"random_split: the lengths {counts} sum to {sum(counts)}, but the dataset has {total} samples")
    order = random.numpy_generator(generator).permutation(total)
    ends = np.cumsum(counts)
    return [Subset(dataset, order[end - count:end].tolist()) for count, end in zip(counts, ends)]


def batch_of(dataset, indices):
    """``dataset.get_batch(indices)`` where it has one, else its samples by ``default_collate``."""
    if hasattr(dataset, "get_batch"):
        return dataset.get_batch(indices)
    from .collate import default_collate

    return default_collate(samples_of(dataset, backend.to_device(indices, "cpu")))


def samples_of(dataset, indices):
    """The samples at ``indices``: ``dataset.__getitems__(indices)`` where the dataset fetches several at
    once (PyTorch's batched fetch: a database query, a tokenizer run on a whole batch), else ``dataset[i]``
    each (an index may be a list a BatchSampler made, which the dataset is given whole)."""
    keys = [int(i) if np.ndim(i) == 0 else i for i in indices]
    fetch_several = getattr(dataset, "__getitems__", None)
    if fetch_several and all(isinstance(key, int) for key in keys):
        return fetch_several(keys)
    return [dataset[key] for key in keys]


class ConcatDataset(Dataset):
    """The samples of several datasets, one dataset after another (PyTorch's ``ConcatDataset``)."""

    def __init__(self, datasets):
        self.datasets = list(datasets)
        if not self.datasets:
            raise ValueError("ConcatDataset: expected at least one dataset")
        # ints, as PyTorch's
        self.cumulative_sizes = list(itertools.accumulate(len(dataset) for dataset in self.datasets))

    def __len__(self):
        return self.cumulative_sizes[-1]

    def _locate(self, indices):
        """(which dataset, index within it) for global indices."""
        which = np.searchsorted(self.cumulative_sizes, indices, side="right")
        starts = np.concatenate([[0], self.cumulative_sizes[:-1]])
        return which, indices - starts[which]

    def __getitem__(self, index):
        if not -len(self) <= index < len(self):
            raise IndexError(f"ConcatDataset: index {index} is out of range for {len(self)} samples")
        which, local = self._locate(np.array([index % len(self)]))
        return self.datasets[int(which[0])][int(local[0])]

    def get_batch(self, indices):
        """Each dataset's part of the batch fetched at once, then the samples put back in the
        order asked for; where a dataset's batches are not tensors to join (a per-sample dataset's
        dicts, strings), the samples one by one, collated as PyTorch's."""
        indices = np.asarray(backend.to_device(indices, "cpu"))
        if not all(_batches_as_tensors(dataset) for dataset in self.datasets):
            from .collate import default_collate

            return default_collate(samples_of(self, indices))
        which, local = self._locate(indices)
        parts, positions = [], []
        for dataset in np.unique(which):
            chosen = which == dataset
            parts.append(batch_of(self.datasets[int(dataset)], local[chosen]))
            positions.append(np.flatnonzero(chosen))
        inverse = np.argsort(np.concatenate(positions))
        single = isinstance(parts[0], Tensor)  # samples of one field: a batch is a tensor, not a list
        fields = zip(*([part] for part in parts)) if single else zip(*parts)
        joined = [Tensor(backend.get_array_module(field[0]._array).concatenate([t._array for t in field])[inverse])
                  for field in fields]
        return joined[0] if single else joined


def _batches_as_tensors(dataset):
    """Whether the dataset's batches are a tensor or a sequence of tensors, which a ConcatDataset joins:
    those of its own ``get_batch`` (TensorDataset's, MNIST's), through Subsets and ConcatDatasets."""
    if isinstance(dataset, Subset):
        return _batches_as_tensors(dataset.dataset)
    if isinstance(dataset, ConcatDataset):
        return all(_batches_as_tensors(inner) for inner in dataset.datasets)
    return hasattr(dataset, "get_batch")


class StackDataset(Dataset):
    """Samples made of the same index of several datasets of one length: positional datasets give
    tuples, keyword ones dicts (``StackDataset(image=images, label=labels)[i]`` is
    ``{"image": images[i], "label": labels[i]}``), as PyTorch's."""

    def __init__(self, *args, **kwargs):
        if args and kwargs:
            raise ValueError("StackDataset: give the datasets positionally or by keyword, not both")
        self.datasets = args or kwargs
        sizes = {len(dataset) for dataset in (args or kwargs.values())}
        if len(sizes) != 1:
            raise ValueError(f"StackDataset: the datasets must have one length, got {sorted(sizes)}")
        self._length = sizes.pop()

    def __len__(self):
        return self._length

    def __getitem__(self, index):
        if isinstance(self.datasets, dict):
            return {key: dataset[index] for key, dataset in self.datasets.items()}
        return tuple(dataset[index] for dataset in self.datasets)


class IterableDataset(Dataset):
    """A stream of samples (``__iter__``) instead of an indexable collection: the DataLoader takes
    ``batch_size`` samples at a time from it, in the order it yields them."""

    def __iter__(self):
        raise NotImplementedError(f"{type(self).__name__} must implement __iter__")

    def __getitem__(self, index):
        raise TypeError(f"{type(self).__name__} is an IterableDataset: it is iterated, not indexed")

    def __add__(self, other):
        """``a + b``: the samples a yields, then those b yields (a ChainDataset, as PyTorch's)."""
        return ChainDataset([self, other])


class ChainDataset(IterableDataset):
    """The samples of several iterable datasets, one after another."""

    def __init__(self, datasets):
        self.datasets = list(datasets)

    def __iter__(self):
        for dataset in self.datasets:
            yield from dataset

    def __len__(self):
        return sum(len(dataset) for dataset in self.datasets)
