"""DataLoader worker processes (num_workers > 0): the same batches as one process, in order, made in
other processes; per-batch seeding; streams split by get_worker_info; errors, dead and slow workers;
persistent workers; start methods; clean shutdown."""
import itertools
import multiprocessing
import os
import time

import numpy as np
import pytest

import tinynn
from tinynn.data import (BatchSampler, DataLoader, Dataset, IterableDataset, SequentialSampler, TensorDataset,
                         WeightedRandomSampler, get_worker_info)


class Noisy(Dataset):
    """Sample i: (i, a draw from NumPy's global generator, one from tinynn's, the process id)."""

    def __len__(self):
        return 23

    def __getitem__(self, index):
        return (index, float(np.random.rand()), float(tinynn.rand(1).item()), os.getpid())


class Failing(Dataset):
    def __len__(self):
        return 12

    def __getitem__(self, index):
        if index == 7:
            raise KeyError(f"sample {index} is missing")
        return index


class Counting(IterableDataset):
    """0 .. count-1, each worker taking every num_workers-th one when split."""

    def __init__(self, count, split=True):
        self.count, self.split = count, split

    def __iter__(self):
        info = get_worker_info()
        if info is None or not self.split:
            return iter(range(self.count))
        return itertools.islice(range(self.count), info.id, None, info.num_workers)


def values(loader, field=0):
    return [batch[field].numpy().tolist() for batch in loader]


def no_children_left():
    deadline = time.monotonic() + 5
    while multiprocessing.active_children() and time.monotonic() < deadline:
        time.sleep(0.05)
    return not multiprocessing.active_children()


@pytest.mark.parametrize("options", [
    dict(batch_size=4, shuffle=True),
    dict(batch_size=5, drop_last=True),
    dict(batch_size=3, sampler=WeightedRandomSampler(np.linspace(1, 2, 23), 30)),
    dict(batch_sampler=BatchSampler(SequentialSampler(range(23)), 6, drop_last=False)),
    dict(batch_size=4, collate_fn=lambda samples: tinynn.tensor([sample[0] * 10 for sample in samples])),
])
def test_workers_give_the_batches_one_process_gives_in_the_same_order(options):
    in_process = DataLoader(Noisy(), seed=4, **options)
    expected = [batch.numpy().tolist() if "collate_fn" in options else batch[0].numpy().tolist()
                for batch in in_process]
    for workers in (1, 3):
        loader = DataLoader(Noisy(), seed=4, num_workers=workers, **options)
        got = [batch.numpy().tolist() if "collate_fn" in options else batch[0].numpy().tolist() for batch in loader]
        assert got == expected
        assert len(got) == len(loader)
    assert no_children_left()


def test_batches_are_made_in_other_processes_each_knowing_its_worker_info():
    class WhoAmI(Dataset):
        def __len__(self):
            return 16

        def __getitem__(self, index):
            info = get_worker_info()
            time.sleep(0.02 if info.id == 0 else 0)  # so batches arrive out of order
            return (os.getpid(), info.id, info.num_workers)

    assert get_worker_info() is None
    batches = list(DataLoader(WhoAmI(), 2, num_workers=3))
    pids = {pid for batch in batches for pid in batch[0].numpy().tolist()}
    assert os.getpid() not in pids and len(pids) == 3
    # round-robin: batch k is made by worker k % 3
    assert [set(batch[1].numpy().tolist()) for batch in batches] == [{k % 3} for k in range(8)]
    assert {n for batch in batches for n in batch[2].numpy().tolist()} == {3}


def test_random_draws_depend_on_the_batch_not_the_worker_count_and_resume_exactly():
    runs = [values(DataLoader(Noisy(), 4, shuffle=True, seed=8, num_workers=workers), field)
            for workers in (1, 2, 4) for field in (1, 2)]
    assert runs[0] == runs[2] == runs[4] and runs[1] == runs[3] == runs[5]
    draws = np.array(list(itertools.chain(*runs[0])))
    assert len(np.unique(draws)) == len(draws)  # batches are not seeded alike

    loader = DataLoader(Noisy(), 4, shuffle=True, seed=8, num_workers=2)
    iterator = iter(loader)
    seen = [next(iterator)[2].numpy().tolist() for _ in range(2)]
    state = loader.state_dict()
    iterator.close()
    resumed = DataLoader(Noisy(), 4, shuffle=True, seed=0, num_workers=3)
    resumed.load_state_dict(state)
    assert seen + values(resumed, 2) == runs[1]


def test_epochs_draw_new_orders_and_new_augmentation():
    loader = DataLoader(Noisy(), 23, shuffle=True, seed=1, num_workers=2)
    first, second = next(iter(loader)), next(iter(loader))
    assert first[0].numpy().tolist() != second[0].numpy().tolist()
    assert set(first[1].numpy().tolist()).isdisjoint(second[1].numpy().tolist())


@pytest.mark.parametrize("workers", [1, 2, 3])
def test_a_stream_split_by_worker_info_is_read_once(workers):
    batches = values(DataLoader(Counting(20), 3, num_workers=workers), field=slice(None))
    samples = sorted(sample for batch in batches for sample in batch)
    assert samples == list(range(20))
    assert all(len(batch) <= 3 for batch in batches)


def test_a_stream_not_split_is_read_by_every_worker_and_drop_last_applies_per_worker():
    batches = [batch.numpy().tolist() for batch in DataLoader(Counting(7, split=False), 3, num_workers=2)]
    # worker 0 and worker 1 alternate: [0,1,2] [0,1,2] [3,4,5] [3,4,5] [6] [6]
    assert batches == [[0, 1, 2], [0, 1, 2], [3, 4, 5], [3, 4, 5], [6], [6]]
    dropped = [batch.numpy().tolist() for batch in DataLoader(Counting(7), 2, num_workers=2, drop_last=True)]
    assert dropped == [[0, 2], [1, 3], [4, 6]]


def test_stream_batches_are_placed_on_the_device():
    batch = next(iter(DataLoader(Counting(4), 2, num_workers=1, device="cpu")))
    assert isinstance(batch, tinynn.Tensor) and batch.device == "cpu"


def test_an_error_in_a_worker_is_raised_with_its_type_worker_and_traceback():
    loader = DataLoader(Failing(), 2, num_workers=2)
    with pytest.raises(KeyError, match=r"(?s)DataLoader worker 1 \(batch 3\).*sample 7 is missing"):
        list(loader)
    assert no_children_left()
    with pytest.raises(KeyError, match="sample 7 is missing"):  # the loader works again, and fails again
        list(loader)


def test_worker_init_fn_runs_in_every_worker_and_its_errors_surface():
    def init(worker_id):
        np.random.seed(1000 + worker_id)

    class Marked(Dataset):
        def __len__(self):
            return 4

        def __getitem__(self, index):
            return get_worker_info().seed

    seeds = [batch.numpy().tolist() for batch in DataLoader(Marked(), 1, num_workers=2, worker_init_fn=init)]
    assert seeds[0] != seeds[1] and seeds[0] == seeds[2]  # worker 0 made batches 0 and 2

    def broken(worker_id):
        raise ValueError("no config for this worker")

    with pytest.raises(ValueError, match="(?s)worker_init_fn.*no config for this worker"):
        list(DataLoader(Marked(), 1, num_workers=2, worker_init_fn=broken))


def test_a_worker_that_dies_is_named():
    class Crashing(Dataset):
        def __len__(self):
            return 4

        def __getitem__(self, index):
            os._exit(3)

    with pytest.raises(RuntimeError, match=r"DataLoader worker 0 \(pid \d+\) exited unexpectedly with exit code 3"):
        list(DataLoader(Crashing(), 2, num_workers=1))
    assert no_children_left()


def test_timeout_bounds_the_wait_for_a_batch():
    class Slow(Dataset):
        def __len__(self):
            return 6

        def __getitem__(self, index):
            time.sleep(1.0)
            return index

    with pytest.raises(RuntimeError, match="timed out after 0.3 s waiting for batch 0"):
        list(DataLoader(Slow(), 1, num_workers=1, timeout=0.3))
    assert no_children_left()


def test_persistent_workers_outlive_an_epoch_and_an_epoch_left_early():
    def pids(loader, limit=None):
        return {pid for batch in itertools.islice(loader, limit) for pid in batch[3].numpy().tolist()}

    kept = DataLoader(Noisy(), 2, shuffle=True, seed=3, num_workers=2, persistent_workers=True)
    first = pids(kept, limit=1)  # leaves the epoch after one batch, with batches still being made
    second = [(batch[0].numpy().tolist(), batch[1].numpy().tolist(), batch[3].numpy().tolist()) for batch in kept]
    reference = DataLoader(Noisy(), 2, shuffle=True, seed=3, num_workers=1)
    list(reference)
    expected = [(batch[0].numpy().tolist(), batch[1].numpy().tolist()) for batch in reference]
    assert [(order, draws) for order, draws, _ in second] == expected  # nothing of the first epoch leaks in
    assert {pid for _, _, batch_pids in second for pid in batch_pids} == first | pids(kept, limit=2)
    assert len(multiprocessing.active_children()) == 2
    del kept
    assert no_children_left()

    fresh = DataLoader(Noisy(), 2, num_workers=2)
    assert pids(fresh).isdisjoint(pids(fresh))  # new workers each epoch


def test_spawned_workers_need_picklable_arguments():
    data = TensorDataset(np.arange(10, dtype=np.float32))
    loader = DataLoader(data, 4, num_workers=2, multiprocessing_context="spawn")
    assert [batch[0].numpy().tolist() for batch in loader] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    with pytest.raises(TypeError, match="'spawn' start method sends the dataset, collate_fn and worker_init_fn"):
        list(DataLoader(data, 4, num_workers=1, multiprocessing_context="spawn", collate_fn=lambda s: s))
    assert no_children_left()


def test_bad_worker_options_are_errors():
    data = TensorDataset(np.zeros(3))
    with pytest.raises(ValueError, match="num_workers must be a non-negative int, got -1"):
        DataLoader(data, num_workers=-1)
    with pytest.raises(ValueError, match="need num_workers > 0"):
        DataLoader(data, prefetch_factor=2)
    with pytest.raises(ValueError, match="need num_workers > 0"):
        DataLoader(data, persistent_workers=True)
    with pytest.raises(ValueError, match="prefetch_factor must be a positive int, got 0"):
        DataLoader(data, num_workers=1, prefetch_factor=0)
    with pytest.raises(TypeError, match="worker_init_fn must be callable"):
        DataLoader(data, num_workers=1, worker_init_fn=3)
    with pytest.raises(ValueError, match="timeout must be a non-negative number"):
        DataLoader(data, num_workers=1, timeout=-1)

    class OnGpu(Dataset):
        device = "gpu"

    with pytest.raises(ValueError, match="needs a dataset on the CPU, and this one is on 'gpu'"):
        DataLoader(OnGpu(), num_workers=2)
