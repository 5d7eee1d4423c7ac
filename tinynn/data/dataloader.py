"""``DataLoader``: batches from a dataset, optionally shuffled, made in worker processes or not,
placed on a device."""
import functools
import weakref

import numpy as np

from .. import backend, random
from ..tensor import Tensor
from .collate import default_convert
from .dataset import IterableDataset
from .sampler import BatchSampler, RandomSampler, Sampler, SequentialSampler
from .worker import Exhausted, WorkerPool, fetch_batch, next_stream_batch


class DataLoader:
    """Iterate over ``dataset`` in batches of ``batch_size``.

    * ``shuffle``: a new permutation each epoch, drawn from the loader's own generator, seeded
      with ``seed`` or (if None) from tinynn's global generator at construction, so
      ``tinynn.manual_seed`` makes the order reproducible; or from ``generator`` (a
      ``tinynn.Generator``), shared with whoever else holds it, as PyTorch's. ``state_dict()``
      captures the generator so a resumed run sees the same order as an uninterrupted one.
    * ``sampler``: which indices an epoch visits, in order (``WeightedRandomSampler`` for imbalanced
      data, or any iterable of indices); tinynn's samplers draw from the loader's generator, so
      they are reproducible and resumable as the shuffle is. Excludes ``shuffle``.
    * ``drop_last``: skip a final batch smaller than ``batch_size``.
    * ``batch_size=None``: no batching, as PyTorch's: each sample as the dataset gives it, its NumPy
      arrays made tensors (``default_convert``; ``collate_fn``, if given, is applied to each sample).
    * ``batch_sampler``: decides whole batches (lists of indices), in place of batch_size, shuffle,
      sampler and drop_last (``BatchSampler`` groups any sampler's indices).
    * An ``IterableDataset`` is read in the order it yields its samples, ``batch_size`` at a time.
    * ``collate_fn``: builds a batch from the list of samples (``dataset[i]`` each), replacing
      ``default_collate`` and the ``get_batch`` fast path.
    * ``device``: where batches are placed (``"cpu"``/``"gpu"``); None leaves them where the
      dataset keeps them. A dataset already moved to the GPU (its ``device`` is ``"gpu"``) gets
      its indices there too: the epoch's order is uploaded once, and every batch is sliced on the
      device with no host-device copy. ``pin_memory``: batches made on the host go to the GPU
      through a pinned staging copy (no effect for other placements, as PyTorch's without a GPU;
      ``pin_memory_device`` is taken for PyTorch's signature: there is one GPU).

    * ``num_workers``: how many worker processes make batches while the main process trains
      (0: the main process makes them itself). Each worker has its own copy of the dataset; the
      batches come back in the order one process would give them. ``prefetch_factor`` batches per
      worker are made ahead; ``persistent_workers`` keeps the workers from one epoch to the next;
      ``worker_init_fn(worker_id)`` runs in each worker as it starts; ``timeout`` (seconds, 0 for
      none) bounds the wait for a batch; ``multiprocessing_context`` picks the start method
      (``"fork"``, ``"spawn"``, ``"forkserver"``, or a context). In a worker, ``get_worker_info()``
      says which one it is. The batches come back in order whatever ``in_order`` says (PyTorch's
      ``in_order=False`` allows, and does not ask for, another order). Random draws in a worker (augmentation) are seeded per batch from the
      loader's generator, so they do not depend on the number of workers and a resumed epoch
      continues as it would have; they differ from those of ``num_workers=0``, which draws from
      tinynn's global generator. A dataset kept on the GPU needs no workers (its batches are sliced
      there) and cannot have them (a forked process cannot use the parent's CUDA context).

    Datasets with ``get_batch(indices)`` are batched by array slicing; others fall back to
    ``dataset[i]`` per sample, stacked.
    """

    def __init__(self, dataset, batch_size=1, shuffle=False, sampler=None, drop_last=False, collate_fn=None, seed=None,
                 device=None, batch_sampler=None, num_workers=0, prefetch_factor=None, persistent_workers=False,
                 worker_init_fn=None, timeout=0, multiprocessing_context=None, generator=None, pin_memory=False,
                 in_order=True, pin_memory_device=""):
        if batch_size is not None and (not isinstance(batch_size, int) or batch_size <= 0):
            raise ValueError(f"DataLoader: batch_size must be a positive int or None (no batching), got {batch_size!r}")
        if batch_size is None and (drop_last or batch_sampler is not None):
            raise ValueError("DataLoader: batch_size=None hands out single samples; drop_last and batch_sampler need "
                             "batches")
        self._check_workers(dataset, num_workers, prefetch_factor, persistent_workers, worker_init_fn, timeout)
        if sampler is not None and shuffle:
            raise ValueError("DataLoader: sampler and shuffle exclude each other (the sampler decides the order)")
        if batch_sampler is not None and (batch_size != 1 or shuffle or sampler is not None or drop_last):
            raise ValueError("DataLoader: batch_sampler decides the batches; it excludes batch_size, shuffle, sampler "
                             "and drop_last")
        if isinstance(dataset, IterableDataset) and (shuffle or sampler is not None or batch_sampler is not None):
            raise ValueError("DataLoader: an IterableDataset is read in its own order; shuffle, sampler and "
                             "batch_sampler do not apply")
        self.dataset, self.collate_fn = dataset, collate_fn
        # Without batching, batches of one sample each, collated by taking the sample out (picklable,
        # for worker processes); the indices and their order are the batched path's.
        self._step = 1 if batch_size is None else batch_size
        self._unbatched, self._batches_given = batch_size is None, batch_sampler is not None
        if sampler is None and not isinstance(dataset, IterableDataset):
            # as PyTorch's, the order is a sampler's, which code reads (len(loader.sampler), set_epoch);
            # drawing from the loader's generator, as the loader's own shuffle would
            sampler = RandomSampler(dataset) if shuffle else SequentialSampler(dataset)
        if self._batches_given:  # the batch sampler's batch size and drop_last rule, as PyTorch's attributes say
            batch_size, drop_last = None, False
        elif batch_size is not None and not isinstance(dataset, IterableDataset):
            # PyTorch's loader reads its batches from this; tinynn's slices the sampler's order itself, the
            # same batches (on the GPU from one upload), and keeps it for code that reads it
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)
        self.sampler, self.batch_sampler = sampler, batch_sampler
        self.batch_size, self.drop_last = batch_size, drop_last
        self._collate = functools.partial(unbatched, collate_fn or default_convert) if self._unbatched else collate_fn
        self.device = backend.canonical_device(device) if device is not None else None
        if generator is not None and seed is not None:
            raise ValueError("DataLoader: give seed or generator, not both")
        if generator is not None:  # draws from the caller's generator, which it shares, as PyTorch's
            self.generator = random.numpy_generator(generator)
        else:
            if seed is None:
                seed = int(random.cpu_generator().integers(0, 2 ** 63 - 1))
            self.generator = np.random.Generator(np.random.PCG64(seed))
        self._epoch_start_state = None  # generator state that produced the current epoch's order
        self._batches_done = 0
        self._skip_batches = 0
        self.num_workers, self.persistent_workers = num_workers, persistent_workers
        self.prefetch_factor = prefetch_factor if prefetch_factor is not None else 2
        self.worker_init_fn, self.timeout, self.multiprocessing_context = worker_init_fn, timeout, multiprocessing_context
        self.pin_memory, self.in_order = bool(pin_memory), bool(in_order)
        self._pool = None

    @staticmethod
    def _check_workers(dataset, num_workers, prefetch_factor, persistent_workers, worker_init_fn, timeout):
        if not isinstance(num_workers, int) or isinstance(num_workers, bool) or num_workers < 0:
            raise ValueError(f"DataLoader: num_workers must be a non-negative int, got {num_workers!r}")
        if num_workers == 0 and (prefetch_factor is not None or persistent_workers):
            raise ValueError("DataLoader: prefetch_factor and persistent_workers apply to worker processes; "
                             "they need num_workers > 0")
        if prefetch_factor is not None and (not isinstance(prefetch_factor, int) or prefetch_factor <= 0):
            raise ValueError(f"DataLoader: prefetch_factor must be a positive int, got {prefetch_factor!r}")
        if worker_init_fn is not None and not callable(worker_init_fn):
            raise TypeError(f"DataLoader: worker_init_fn must be callable, got {type(worker_init_fn).__name__}")
        if not isinstance(timeout, (int, float)) or timeout < 0:
            raise ValueError(f"DataLoader: timeout must be a non-negative number of seconds, got {timeout!r}")
        if num_workers and getattr(dataset, "device", backend.CPU) != backend.CPU:
            raise ValueError(f"DataLoader: num_workers={num_workers} needs a dataset on the CPU, and this one is on "
                             f"{dataset.device!r}; a dataset on the GPU is sliced there with no copy and needs no "
                             f"workers (use num_workers=0)")

    def __len__(self):
        if self._batches_given:
            return len(self.batch_sampler)
        full, rest = divmod(len(self.sampler) if self.sampler is not None else len(self.dataset), self._step)
        return full + (1 if rest and not self.drop_last else 0)

    def _epoch_order(self):
        """The epoch's indices as an int64 array, or, unbatched (``batch_size=None``), a list of the
        sampler's items where they are lists of indices (a BatchSampler handed over as the sampler: each
        list goes to ``dataset[...]`` whole, as PyTorch does)."""
        if isinstance(self.sampler, BatchSampler) and self._unbatched:
            return [batch.tolist() for batch in self.sampler.epoch_batches(self.generator)]
        if isinstance(self.sampler, Sampler) and type(self.sampler).epoch_indices is not Sampler.epoch_indices:
            return np.asarray(self.sampler.epoch_indices(self.generator), dtype=np.int64)
        items = list(iter(self.sampler))
        if self._unbatched and any(np.ndim(item) for item in items):
            return [list(item) for item in items]
        return np.asarray(items, dtype=np.int64).reshape(len(items))

    def _epoch_batches(self, device):
        """This epoch's batches of indices, on ``device``: without a batch_sampler, the epoch's order
        is uploaded once and every batch is a slice of it there."""
        if not self._batches_given:
            order = self._epoch_order()
            if isinstance(order, list):  # unbatched, lists of indices: each one "sample" of the dataset
                return [[key] for key in order]
            order = backend.to_device(order, device)
            return [order[batch * self._step:(batch + 1) * self._step] for batch in range(len(self))]
        if isinstance(self.batch_sampler, BatchSampler):
            batches = self.batch_sampler.epoch_batches(self.generator)
        else:
            batches = [np.asarray(batch, dtype=np.int64) for batch in self.batch_sampler]
        return [backend.to_device(batch, device) for batch in batches]

    def __iter__(self):
        if isinstance(self.dataset, IterableDataset):
            if self.num_workers:
                yield from (self._place(batch) for batch in self._iterate_with_workers(None))
            else:
                yield from self._iterate_stream()
            return
        self._epoch_start_state = self.generator.bit_generator.state
        batches = self._epoch_batches(getattr(self.dataset, "device", backend.CPU))
        start, self._skip_batches = self._skip_batches, 0
        if self.num_workers:
            numbered = ((number, batches[number]) for number in range(start, len(batches)))
            made = self._iterate_with_workers(numbered)
        else:
            made = (self._fetch(batches[number]) for number in range(start, len(batches)))
        for number, batch in enumerate(made, start):
            self._batches_done = number + 1  # counted as handed out once the caller holds it
            yield self._place(batch)
        self._epoch_start_state, self._batches_done = None, 0

    def _iterate_with_workers(self, numbered_batches):
        """The epoch's batches made by the worker pool (started now, or kept from the last epoch);
        a pool that is not persistent is shut down when the epoch ends or is left."""
        seed = int(self.generator.integers(0, 2 ** 62))
        if self._pool is None:
            self._pool = WorkerPool(self.dataset, self.num_workers, self._collate, self._step, self.drop_last,
                                    self.worker_init_fn, self.multiprocessing_context, seed)
            self._pool_finalizer = weakref.finalize(self, self._pool.shutdown)
        try:
            yield from self._pool.batches(numbered_batches, seed, self.prefetch_factor, self.timeout)
        finally:
            if not self.persistent_workers:
                self._shutdown_workers()

    def _shutdown_workers(self):
        if self._pool is not None:
            self._pool_finalizer()
            self._pool = None

    def _iterate_stream(self):
        stream = iter(self.dataset)
        while not isinstance(batch := next_stream_batch(stream, self._step, self.drop_last, self._collate),
                             Exhausted):
            yield self._place(batch)

    def _fetch(self, indices):
        if self._collate is not None and not isinstance(indices, list):
            indices = backend.to_device(indices, "cpu")
        return fetch_batch(self.dataset, indices, self._collate)

    def _place(self, batch):
        if self.device is None:
            return batch
        if isinstance(batch, Tensor):
            if self.pin_memory and self.device == backend.GPU and batch.device == backend.CPU:
                return Tensor._from_op(backend.to_gpu_pinned(batch._array), False)
            return batch.to(self.device)
        if isinstance(batch, dict):
            return {key: self._place(value) for key, value in batch.items()}
        if isinstance(batch, (tuple, list)):
            return type(batch)(self._place(value) for value in batch) if not hasattr(batch, "_fields") \
                else type(batch)(*(self._place(value) for value in batch))
        return batch

    def state_dict(self):
        """Where the iteration stands: mid-epoch, the generator state that drew this epoch's order and
        the number of batches already handed out, so a resumed loader continues with the next one."""
        if self._epoch_start_state is not None and self._batches_done < len(self):
            return {"generator": self._epoch_start_state, "batches_done": self._batches_done}
        return {"generator": self.generator.bit_generator.state, "batches_done": 0}

    def load_state_dict(self, state):
        self.generator.bit_generator.state = state["generator"]
        self._skip_batches = int(state.get("batches_done", 0))


def unbatched(convert, samples):
    """The one sample of a "batch" of the unbatched loader (``batch_size=None``), converted."""
    (sample,) = samples
    return convert(sample)
