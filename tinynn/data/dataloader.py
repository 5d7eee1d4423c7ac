"""``DataLoader``: batches from a dataset, optionally shuffled, placed on a device."""
import numpy as np

from .. import backend, random
from ..tensor import Tensor


class DataLoader:
    """Iterate over ``dataset`` in batches of ``batch_size``.

    * ``shuffle``: a new permutation each epoch, drawn from the loader's own generator, seeded
      with ``seed`` or (if None) from tinynn's global generator at construction, so
      ``tinynn.manual_seed`` makes the order reproducible. ``state_dict()`` captures the
      generator so a resumed run sees the same order as an uninterrupted one.
    * ``drop_last``: skip a final batch smaller than ``batch_size``.
    * ``device``: where batches are placed (``"cpu"``/``"gpu"``); None leaves them where the
      dataset keeps them. A dataset already moved to the GPU (its ``device`` is ``"gpu"``) gets
      its indices there too: the epoch's order is uploaded once, and every batch is sliced on the
      device with no host-device copy.

    Datasets with ``get_batch(indices)`` are batched by array slicing; others fall back to
    ``dataset[i]`` per sample, stacked.
    """

    def __init__(self, dataset, batch_size=1, shuffle=False, drop_last=False, seed=None, device=None):
        if not isinstance(batch_size, int) or batch_size <= 0:
            raise ValueError(f"DataLoader: batch_size must be a positive int, got {batch_size!r}")
        self.dataset, self.batch_size, self.shuffle, self.drop_last = dataset, batch_size, shuffle, drop_last
        self.device = backend.canonical_device(device) if device is not None else None
        if seed is None:
            seed = int(random.cpu_generator().integers(0, 2 ** 63 - 1))
        self.generator = np.random.Generator(np.random.PCG64(seed))
        self._epoch_start_state = None  # generator state that produced the current epoch's order
        self._batches_done = 0
        self._skip_batches = 0

    def __len__(self):
        full, rest = divmod(len(self.dataset), self.batch_size)
        return full + (1 if rest and not self.drop_last else 0)

    def __iter__(self):
        count = len(self.dataset)
        self._epoch_start_state = self.generator.bit_generator.state
        order = self.generator.permutation(count) if self.shuffle else np.arange(count)
        order = backend.to_device(order, getattr(self.dataset, "device", backend.CPU))
        start, self._skip_batches = self._skip_batches, 0
        for batch in range(start, len(self)):
            indices = order[batch * self.batch_size:(batch + 1) * self.batch_size]
            self._batches_done = batch + 1  # counted as handed out once the caller holds it
            yield self._place(self._fetch(indices))
        self._epoch_start_state, self._batches_done = None, 0

    def _fetch(self, indices):
        if hasattr(self.dataset, "get_batch"):
            return self.dataset.get_batch(indices)
        samples = [self.dataset[int(i)] for i in indices]
        fields = samples[0] if isinstance(samples[0], tuple) else (samples[0],)
        stacked = []
        for position in range(len(fields)):
            values = [s[position] if isinstance(s, tuple) else s for s in samples]
            arrays = [v.data if isinstance(v, Tensor) else np.asarray(v) for v in values]
            xp = backend.get_array_module(arrays[0])
            stacked.append(Tensor(xp.stack(arrays)))
        return tuple(stacked)

    def _place(self, batch):
        if self.device is None:
            return batch
        return tuple(t.to(self.device) for t in batch)

    def state_dict(self):
        """Where the iteration stands: mid-epoch, the generator state that drew this epoch's order and
        the number of batches already handed out, so a resumed loader continues with the next one."""
        if self._epoch_start_state is not None and self._batches_done < len(self):
            return {"generator": self._epoch_start_state, "batches_done": self._batches_done}
        return {"generator": self.generator.bit_generator.state, "batches_done": 0}

    def load_state_dict(self, state):
        self.generator.bit_generator.state = state["generator"]
        self._skip_batches = int(state.get("batches_done", 0))
