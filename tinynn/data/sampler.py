"""Samplers: which dataset indices an epoch visits, and in which order (PyTorch's names).

A tinynn sampler draws from the generator the ``DataLoader`` hands it (``epoch_indices``), so the
loader's ``state_dict`` covers the sampler's randomness too and a resumed run sees the same epochs.
Any other iterable of indices also works as a sampler (iterated once per epoch).
"""
import warnings

import numpy as np


def _own(sampler, generator):
    """The sampler's own generator (``generator=`` when it was made), else the loader's."""
    from ..random import numpy_generator

    return numpy_generator(sampler.own_generator) if getattr(sampler, "own_generator", None) is not None else generator


class Sampler:
    """The base of the samplers. A sampler written for PyTorch defines ``__iter__`` (the indices of an
    epoch, in order); tinynn's own define ``epoch_indices(generator)``, and each way gives the other."""

    def __init__(self, data_source=None):
        if data_source is not None:  # (PyTorch's old argument, which it no longer uses)
            warnings.warn("Sampler: the data_source argument is not used (as in PyTorch, which will remove it)",
                          UserWarning, stacklevel=2)

    def epoch_indices(self, generator):
        """The indices of one epoch, as an int64 array: those ``__iter__`` gives, for a sampler written
        for PyTorch."""
        if type(self).__iter__ is Sampler.__iter__:
            raise NotImplementedError(f"{type(self).__name__}: a Sampler defines __iter__ (the indices of an epoch) "
                                      "or epoch_indices(generator)")
        return np.fromiter(iter(self), dtype=np.int64)

    def __iter__(self):
        return iter(self.epoch_indices(np.random.default_rng()).tolist())


class SequentialSampler(Sampler):
    """0, 1, ..., len(data_source) - 1 (the dataset's length when the epoch starts, as PyTorch's)."""

    def __init__(self, data_source):
        self.data_source = data_source

    def epoch_indices(self, generator):
        return np.arange(len(self.data_source))

    def __len__(self):
        return len(self.data_source)


class RandomSampler(Sampler):
    """A random permutation each epoch, or with ``replacement`` ``num_samples`` independent draws (by
    default as many as the dataset holds when the epoch starts, as PyTorch's)."""

    def __init__(self, data_source, replacement=False, num_samples=None, generator=None):
        self.data_source, self.own_generator = data_source, generator
        self.replacement, self._num_samples = replacement, num_samples
        if num_samples is not None and (not isinstance(num_samples, int) or isinstance(num_samples, bool)
                                        or num_samples <= 0):
            raise ValueError(f"RandomSampler: num_samples must be a positive int, got {num_samples!r}")

    @property
    def num_samples(self):
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def epoch_indices(self, generator):
        generator, length, count = _own(self, generator), len(self.data_source), self.num_samples
        if self.replacement:
            return generator.integers(0, length, count)
        return np.concatenate([generator.permutation(length) for _ in range(-(-count // length))])[:count]

    def __len__(self):
        return self.num_samples


class WeightedRandomSampler(Sampler):
    """``num_samples`` indices drawn with probabilities proportional to ``weights`` (one per sample):
    the usual cure for an imbalanced dataset is a weight of 1 / (its class's frequency) per sample."""

    def __init__(self, weights, num_samples, replacement=True, generator=None):
        weights = np.asarray(weights.numpy() if hasattr(weights, "numpy") else weights, dtype=np.float64)
        if weights.ndim != 1 or weights.size == 0 or (weights < 0).any() or not np.isfinite(weights).all() \
                or weights.sum() <= 0:
            raise ValueError("WeightedRandomSampler: expected a 1-D sequence of non-negative, finite weights with a "
                             "positive sum")
        if not replacement and num_samples > np.count_nonzero(weights):
            raise ValueError(f"WeightedRandomSampler: cannot draw {num_samples} samples without replacement from "
                             f"{np.count_nonzero(weights)} with a non-zero weight")
        self.probabilities = weights / weights.sum()
        self.num_samples, self.replacement, self.own_generator = int(num_samples), replacement, generator

    def epoch_indices(self, generator):
        return _own(self, generator).choice(len(self.probabilities), self.num_samples, replace=self.replacement,
                                p=self.probabilities)

    def __len__(self):
        return self.num_samples


class SubsetRandomSampler(Sampler):
    """The given ``indices`` in a new random order each epoch (a validation split of one dataset)."""

    def __init__(self, indices, generator=None):
        self.indices = np.asarray(indices.numpy() if hasattr(indices, "numpy") else indices, dtype=np.int64)
        self.own_generator = generator

    def epoch_indices(self, generator):
        return self.indices[_own(self, generator).permutation(len(self.indices))]

    def __len__(self):
        return len(self.indices)


class BatchSampler(Sampler):
    """Groups ``sampler``'s indices into lists of ``batch_size`` (the last smaller unless ``drop_last``);
    as the DataLoader's ``batch_sampler`` it decides every batch."""

    def __init__(self, sampler, batch_size, drop_last):
        if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size <= 0:
            raise ValueError(f"BatchSampler: batch_size must be a positive int, got {batch_size!r}")
        self.sampler, self.batch_size, self.drop_last = sampler, batch_size, bool(drop_last)

    def epoch_batches(self, generator):
        """The epoch's batches of indices, the sampler drawing from ``generator`` where it can."""
        indices = (self.sampler.epoch_indices(generator) if isinstance(self.sampler, Sampler)
                   else np.fromiter(iter(self.sampler), dtype=np.int64))
        ends = range(self.batch_size, len(indices) + (0 if self.drop_last else self.batch_size), self.batch_size)
        return [np.asarray(indices[end - self.batch_size:end], dtype=np.int64) for end in ends]

    def __iter__(self):
        return iter([batch.tolist() for batch in self.epoch_batches(np.random.default_rng())])

    def __len__(self):
        full, rest = divmod(len(self.sampler), self.batch_size)
        return full + (1 if rest and not self.drop_last else 0)
