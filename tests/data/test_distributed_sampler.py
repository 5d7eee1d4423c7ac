"""DistributedSampler: the processes' shares of an epoch together cover the data set (padded by
repeating the order's start, or cut with drop_last), the same order in every process for one epoch,
a new one after set_epoch, PyTorch's sizes and interleaving, and the job's size from the launcher's
environment when not given."""
import numpy as np
import pytest

import tinynn
from tinynn.data import DataLoader, DistributedSampler, TensorDataset


def shares(length, replicas, **options):
    dataset = TensorDataset(tinynn.arange(length))
    return [DistributedSampler(dataset, replicas, rank, **options) for rank in range(replicas)]


@pytest.mark.parametrize("length, replicas", [(10, 3), (12, 4), (5, 8), (7, 1)])
@pytest.mark.parametrize("drop_last", [False, True])
@pytest.mark.parametrize("shuffle", [False, True])
def test_shares_cover_the_data_set_as_torchs(torch, length, replicas, drop_last, shuffle):
    ours = shares(length, replicas, drop_last=drop_last, shuffle=shuffle, seed=3)
    theirs = [torch.utils.data.DistributedSampler(range(length), replicas, rank, shuffle=shuffle, seed=3,
                                                  drop_last=drop_last) for rank in range(replicas)]
    assert [len(s) for s in ours] == [len(s) for s in theirs]
    assert ours[0].total_size == theirs[0].total_size
    drawn = [list(s) for s in ours]
    assert all(len(d) == len(s) for d, s in zip(drawn, ours))
    everything = sorted(sum(drawn, []))
    if drop_last:
        assert len(set(everything)) == len(everything)  # no index twice
    else:
        assert set(everything) == set(range(length))  # every index, some twice as padding
    if not shuffle:
        assert drawn == [list(s) for s in theirs]  # the same interleaving and padding


def test_every_process_draws_the_same_order_per_epoch():
    first, second = shares(20, 2), shares(20, 2)
    assert [list(s) for s in first] == [list(s) for s in second]
    before = list(first[0])
    for sampler in first:
        sampler.set_epoch(1)
    assert list(first[0]) != before
    assert sorted(list(first[0]) + list(first[1])) == list(range(20))
    assert list(first[0]) == list(first[0])  # the same epoch, the same order


def test_it_drives_a_data_loader():
    dataset = TensorDataset(tinynn.arange(9).float())
    seen = [np.concatenate([batch[0].numpy() for batch in DataLoader(dataset, batch_size=2, sampler=sampler)])
            for sampler in shares(9, 3, shuffle=False)]
    assert [part.tolist() for part in seen] == [[0, 3, 6], [1, 4, 7], [2, 5, 8]]


def test_the_job_comes_from_the_launchers_environment(monkeypatch):
    dataset = TensorDataset(tinynn.arange(8))
    monkeypatch.delenv("WORLD_SIZE", raising=False)
    monkeypatch.delenv("RANK", raising=False)
    with pytest.raises(ValueError, match=r"give num_replicas, join a process group \(tinynn.distributed.init_process_group\), or set WORLD_SIZE"):
        DistributedSampler(dataset)
    monkeypatch.setenv("WORLD_SIZE", "4")
    monkeypatch.setenv("RANK", "2")
    sampler = DistributedSampler(dataset, shuffle=False)
    assert (sampler.num_replicas, sampler.rank, list(sampler)) == (4, 2, [2, 6])
    monkeypatch.setenv("RANK", "two")
    with pytest.raises(ValueError, match="RANK='two' is not an integer"):
        DistributedSampler(dataset)
    with pytest.raises(ValueError, match=r"invalid rank 4, rank should be in the interval \[0, 3\]"):
        DistributedSampler(dataset, 4, 4)
