"""``DistributedSampler``: each of ``num_replicas`` processes (say, one per GPU of a job) sees its
own share of the data set each epoch, as PyTorch's. The epoch's order (a permutation seeded by
``seed + epoch``, so every process draws the same one without talking to the others) is padded by
repeating its start until it divides evenly, or cut with ``drop_last``; process ``rank`` takes every
``num_replicas``-th index from position ``rank``. Call ``set_epoch(epoch)`` before each epoch, or
every epoch repeats the first one's order.

The job's size and this process's place in it come from ``num_replicas`` and ``rank``, else from the
process group (``tinynn.distributed.init_process_group``), else from the WORLD_SIZE and RANK
variables that launchers such as ``torchrun`` set."""
import math
import os

import numpy as np

from .sampler import Sampler


class DistributedSampler(Sampler):
    def __init__(self, dataset, num_replicas=None, rank=None, shuffle=True, seed=0, drop_last=False):
        num_replicas = _from_environment(num_replicas, "num_replicas", "WORLD_SIZE")
        rank = _from_environment(rank, "rank", "RANK")
        if num_replicas < 1:
            raise ValueError(f"DistributedSampler: num_replicas must be at least 1, got {num_replicas}")
        if not 0 <= rank < num_replicas:
            raise ValueError(f"DistributedSampler: invalid rank {rank}, rank should be in the interval "
                             f"[0, {num_replicas - 1}]")
        self.dataset, self.num_replicas, self.rank = dataset, num_replicas, rank
        self.shuffle, self.seed, self.drop_last, self.epoch = shuffle, seed, drop_last, 0
        length = len(dataset)
        if drop_last and length % num_replicas:
            self.num_samples = math.ceil((length - num_replicas) / num_replicas)
        else:
            self.num_samples = math.ceil(length / num_replicas)
        self.total_size = self.num_samples * num_replicas

    def epoch_indices(self, generator=None):
        """This process's indices for the current epoch (the loader's generator is not used: every
        process must draw the same order)."""
        length = len(self.dataset)
        order = np.random.default_rng(self.seed + self.epoch).permutation(length) if self.shuffle else np.arange(length)
        if self.drop_last:
            order = order[:self.total_size]
        elif self.total_size > length:
            order = np.resize(order, self.total_size)  # the order repeated from its start, as padding
        return order[self.rank:self.total_size:self.num_replicas]

    def __iter__(self):
        return iter(self.epoch_indices().tolist())

    def __len__(self):
        return self.num_samples

    def set_epoch(self, epoch):
        """Make the next epoch's order the one for ``epoch`` (the same in every process)."""
        self.epoch = epoch


def _from_environment(value, name, variable):
    from .. import distributed

    if value is not None:
        return int(value)
    if distributed.is_initialized():
        return distributed.get_world_size() if name == "num_replicas" else distributed.get_rank()
    if variable not in os.environ:
        raise ValueError(f"DistributedSampler: give {name}, join a process group (tinynn.distributed."
                         f"init_process_group), or set {variable}")
    try:
        return int(os.environ[variable])
    except ValueError:
        raise ValueError(f"DistributedSampler: {variable}={os.environ[variable]!r} is not an integer") from None
