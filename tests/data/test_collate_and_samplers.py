"""default_collate (each kind of field combined as PyTorch does), BatchSampler and
SubsetRandomSampler, DataLoader's batch_sampler, IterableDataset and ChainDataset."""
from collections import namedtuple

import numpy as np
import pytest

import tinynn
from tinynn.data import (BatchSampler, ChainDataset, ConcatDataset, DataLoader, Dataset, IterableDataset, RandomSampler,
                         SequentialSampler, SubsetRandomSampler, TensorDataset, default_collate, random_split)

Pair = namedtuple("Pair", "image label")


def as_plain(value):
    """A batch as nested Python lists and numbers (tensors of either library as lists)."""
    if hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, dict):
        return {key: as_plain(item) for key, item in value.items()}
    if isinstance(value, (tuple, list)):
        return [as_plain(item) for item in value]
    return value


def test_default_collate_combines_fields_as_torch_does(torch):
    from torch.utils.data import default_collate as torch_collate

    samples = [{"image": np.full((2, 2), float(i), dtype=np.float32), "label": i, "weight": 0.5 * i, "ok": i % 2 == 0,
                "name": f"s{i}", "pair": (np.arange(3) + i, [i, -i]), "score": np.float32(i) / 3,
                "count": np.int32(i)} for i in range(4)]
    ours, theirs = default_collate(samples), torch_collate(samples)
    assert as_plain(ours) == as_plain(theirs)
    assert ours["label"].dtype == np.int64 and ours["weight"].dtype == np.float64 and ours["ok"].dtype == np.bool_
    assert ours["score"].dtype == np.float32 and ours["count"].dtype == np.int32  # NumPy scalars keep their dtype
    assert type(ours["pair"]) is type(theirs["pair"]) is list  # a batch of tuples is a list of fields, as PyTorch's
    named = default_collate([Pair(tinynn.ones(2), 1), Pair(tinynn.zeros(2), 0)])
    assert isinstance(named, Pair) and named.image.shape == (2, 2) and named.label.tolist() == [1, 0]
    with pytest.raises(ValueError, match="samples of different shapes \\[\\(2,\\), \\(3,\\)\\] cannot be stacked"):
        default_collate([np.zeros(2), np.zeros(3)])
    with pytest.raises(TypeError, match="cannot batch samples of type object"):
        default_collate([object(), object()])
    for strings in ([np.array(["a"]), np.array(["b"])], [np.array([b"a"]), np.array([b"b"])], [np.array([None])] * 2):
        with pytest.raises(TypeError, match="cannot batch NumPy arrays of dtype .* \\(strings or objects\\)"):
            default_collate(strings)  # (a "tensor" of strings was made; PyTorch refuses them too)
    with pytest.raises(TypeError, match="cannot batch NumPy arrays of dtype datetime64\\[s\\] \\(not numbers\\)"):
        default_collate([np.zeros(2, dtype="datetime64[s]")] * 2)


class Squares(Dataset):
    """A dataset without get_batch: samples one at a time, of one field or a dict."""

    def __init__(self, count, as_dict=False):
        self.count, self.as_dict = count, as_dict

    def __len__(self):
        return self.count

    def __getitem__(self, index):
        value = tinynn.tensor([float(index) ** 2])
        return {"x": value, "index": index} if self.as_dict else value


def test_samples_of_one_field_or_dicts_batch_like_torch(device):
    batches = list(DataLoader(Squares(5), batch_size=2, device=device))
    assert isinstance(batches[0], tinynn.Tensor) and batches[0].device == tinynn.zeros(1, device=device).device
    assert [b.reshape(-1).tolist() for b in batches] == [[0.0, 1.0], [4.0, 9.0], [16.0]]
    first = next(iter(DataLoader(Squares(5, as_dict=True), batch_size=3, device=device)))
    assert first["index"].tolist() == [0, 1, 2] and first["x"].shape == (3, 1)
    joined = next(iter(DataLoader(ConcatDataset([Squares(2), Squares(2)]), batch_size=4)))
    assert joined.reshape(-1).tolist() == [0.0, 1.0, 0.0, 1.0]


def test_batch_sampler_and_subset_random_sampler(torch):
    sequential = list(BatchSampler(SequentialSampler(range(7)), 3, drop_last=False))
    assert sequential == list(torch.utils.data.BatchSampler(torch.utils.data.SequentialSampler(range(7)), 3, False))
    assert len(BatchSampler(range(7), 3, drop_last=True)) == 2
    data = tinynn.data.TensorDataset(tinynn.arange(10))
    loader = DataLoader(data, batch_sampler=BatchSampler(RandomSampler(data), 4, drop_last=False), seed=3)
    epoch = [batch[0].tolist() for batch in loader]
    assert [len(b) for b in epoch] == [4, 4, 2] and sorted(sum(epoch, [])) == list(range(10))
    again = [batch[0].tolist() for batch in DataLoader(data, batch_sampler=BatchSampler(RandomSampler(data), 4, False),
                                                       seed=3)]
    assert again == epoch  # seeded: reproducible
    resumed = DataLoader(data, batch_sampler=BatchSampler(RandomSampler(data), 4, False), seed=3)
    iterator = iter(resumed)
    next(iterator)
    state = resumed.state_dict()
    fresh = DataLoader(data, batch_sampler=BatchSampler(RandomSampler(data), 4, False), seed=99)
    fresh.load_state_dict(state)
    assert [batch[0].tolist() for batch in fresh] == epoch[1:]  # continues mid-epoch
    subset = [int(i) for batch in DataLoader(data, sampler=SubsetRandomSampler([1, 5, 7]), batch_size=2) for i in batch[0]]
    assert sorted(subset) == [1, 5, 7]
    with pytest.raises(ValueError, match="batch_sampler decides the batches"):
        DataLoader(data, batch_size=4, batch_sampler=BatchSampler(range(10), 4, False))


class Countdown(IterableDataset):
    def __init__(self, start):
        self.start = start

    def __iter__(self):
        return (tinynn.tensor([float(i)]) for i in range(self.start, 0, -1))

    def __len__(self):
        return self.start


def test_iterable_datasets_are_read_in_their_order():
    batches = [b.reshape(-1).tolist() for b in DataLoader(ChainDataset([Countdown(3), Countdown(2)]), batch_size=2)]
    assert batches == [[3.0, 2.0], [1.0, 2.0], [1.0]]
    dropped = list(DataLoader(Countdown(5), batch_size=2, drop_last=True))
    assert len(dropped) == 2
    with pytest.raises(ValueError, match="an IterableDataset is read in its own order"):
        DataLoader(Countdown(3), shuffle=True)
    with pytest.raises(TypeError, match="is an IterableDataset: it is iterated, not indexed"):
        Countdown(3)[0]


def test_stack_dataset_and_default_convert_match_torch(torch):
    from tinynn.data import StackDataset, TensorDataset, default_convert

    images, labels = np.arange(12.0).reshape(4, 3), np.arange(4)
    by_name = StackDataset(image=TensorDataset(images), label=TensorDataset(labels))
    by_position = StackDataset(TensorDataset(images), TensorDataset(labels))
    theirs = torch.utils.data.StackDataset(image=torch.utils.data.TensorDataset(torch.tensor(images)),
                                           label=torch.utils.data.TensorDataset(torch.tensor(labels)))
    assert len(by_name) == len(theirs) == 4
    assert by_name[2]["image"][0].numpy().tolist() == theirs[2]["image"][0].tolist()
    assert by_position[1][1][0].item() == 1
    with pytest.raises(ValueError, match="the datasets must have one length, got \\[3, 4\\]"):
        StackDataset(TensorDataset(images), TensorDataset(labels[:3]))
    sample = {"x": np.ones(2), "y": [np.zeros(1), 3, "name"]}
    converted, t_converted = default_convert(sample), torch.utils.data.default_convert(sample)
    assert isinstance(converted["x"], tinynn.Tensor) and converted["y"][1:] == t_converted["y"][1:] == [3, "name"]
    assert converted["y"][0].numpy().tolist() == t_converted["y"][0].tolist()


def test_a_generator_of_ones_own_drives_factories_splits_samplers_and_loaders():
    def draws(seed):
        generator = tinynn.Generator().manual_seed(seed)
        values = [tinynn.randn(3, generator=generator), tinynn.rand(2, generator=generator),
                  tinynn.randint(0, 10, (4,), generator=generator), tinynn.randperm(5, generator=generator),
                  tinynn.normal(0.0, 1.0, (2,), generator=generator),
                  tinynn.bernoulli(tinynn.full((3,), 0.5), generator=generator),
                  tinynn.multinomial(tinynn.tensor([0.2, 0.8]), 2, True, generator=generator)]
        split = random_split(TensorDataset(np.arange(6)), [4, 2], generator=generator)
        values.append(tinynn.tensor(split[0].indices))
        loader = DataLoader(TensorDataset(np.arange(8)), 8, shuffle=True, generator=generator)
        values.append(next(iter(loader))[0])
        sampled = DataLoader(TensorDataset(np.arange(8)), 8, sampler=RandomSampler(range(8), generator=generator))
        values.append(next(iter(sampled))[0])
        return [v.numpy().tolist() for v in values]

    tinynn.manual_seed(0)
    first = draws(11)
    tinynn.manual_seed(123)  # the global stream does not matter
    assert draws(11) == first
    assert draws(12) != first
    generator = tinynn.Generator().manual_seed(5)
    state = generator.get_state()
    a = tinynn.randn(4, generator=generator).numpy()
    generator.set_state(state)
    np.testing.assert_array_equal(tinynn.randn(4, generator=generator).numpy(), a)
    assert generator.initial_seed() == 5
    with pytest.raises(ValueError, match="give seed or generator, not both"):
        DataLoader(TensorDataset(np.arange(3)), seed=1, generator=generator)
    with pytest.raises(TypeError, match="expected a tinynn.Generator"):
        tinynn.randn(2, generator=42)


def _shaped(value):
    """A batch's structure and contents: container types, dtypes and values."""
    if hasattr(value, "tolist") and hasattr(value, "dtype"):
        return str(value.dtype).replace("torch.", ""), value.tolist()
    if isinstance(value, dict):
        return {key: _shaped(item) for key, item in value.items()}
    if isinstance(value, (tuple, list)):
        return type(value).__name__, [_shaped(item) for item in value]
    return value


class Records(Dataset):
    """Samples as a dict of a NumPy array and a number (no get_batch)."""

    def __len__(self):
        return 5

    def __getitem__(self, index):
        return {"values": np.full(2, index, dtype=np.float32), "index": index}


@pytest.mark.parametrize("options", [dict(batch_size=3), dict(batch_size=3, drop_last=True), dict(batch_size=None)])
def test_loaders_hand_out_what_pytorchs_hand_out(options, torch):
    """Batches of a TensorDataset are lists of tensors, as PyTorch's, whether the fast get_batch path
    makes them or default_collate; batch_size=None hands out the samples, NumPy arrays as tensors."""
    from torch.utils.data import DataLoader as TorchLoader, TensorDataset as TorchTensorDataset

    x, y = np.arange(7), np.arange(7) * 0.5
    ours = DataLoader(TensorDataset(tinynn.tensor(x), tinynn.tensor(y)), **options)
    theirs = TorchLoader(TorchTensorDataset(torch.tensor(x), torch.tensor(y)), **options)
    assert len(ours) == len(theirs) and [_shaped(b) for b in ours] == [_shaped(b) for b in theirs]
    records = {key: value for key, value in options.items() if key != "drop_last"}
    assert [_shaped(b) for b in DataLoader(Records(), **records)] == [_shaped(b) for b in TorchLoader(Records(), **records)]
    if options.get("batch_size") is None:
        in_workers = DataLoader(Records(), batch_size=None, num_workers=2)
        assert [_shaped(b) for b in in_workers] == [_shaped(b) for b in TorchLoader(Records(), batch_size=None)]
        with pytest.raises(ValueError, match="batch_size=None hands out single samples; drop_last and batch_sampler"):
            DataLoader(Records(), batch_size=None, drop_last=True)


def test_a_sampler_written_for_pytorch_drives_the_loader_as_pytorchs(torch):
    """A Sampler subclass that defines __iter__ and __len__ (PyTorch's way; it failed in tinynn's loader,
    which asked it for epoch_indices)."""
    def sampler_class(library):
        class Evens(library.utils.data.Sampler):
            def __init__(self, data_source):
                self.size = len(data_source)

            def __iter__(self):
                return iter(range(self.size - 1, -1, -2))

            def __len__(self):
                return (self.size + 1) // 2
        return Evens

    results = []
    for library in (tinynn, torch):
        data = library.utils.data.TensorDataset(library.arange(11))
        sampler = sampler_class(library)(data)
        loader = library.utils.data.DataLoader(data, batch_size=2, sampler=sampler)
        batches = library.utils.data.DataLoader(data, batch_sampler=library.utils.data.BatchSampler(sampler, 4, True))
        results.append(([batch[0].tolist() for batch in loader], [batch[0].tolist() for batch in batches]))
    assert results[0] == results[1] == ([[10, 8], [6, 4], [2, 0]], [[10, 8, 6, 4]])
    assert isinstance(BatchSampler(sampler, 4, True), tinynn.data.Sampler)

    class Bare(tinynn.data.Sampler):
        pass

    with pytest.raises(NotImplementedError, match="Bare: a Sampler defines __iter__"):
        list(DataLoader(tinynn.data.TensorDataset(tinynn.arange(3)), sampler=Bare()))
    # PyTorch's older samplers passed the dataset to Sampler.__init__ (2.13's refuses it): taken, with a warning
    with pytest.warns(UserWarning, match="data_source argument is not used"):
        tinynn.data.Sampler(tinynn.data.TensorDataset(tinynn.arange(3)))


def test_a_sampler_of_index_lists_with_batch_size_none_hands_each_list_to_the_dataset_as_pytorchs(torch):
    """DataLoader(dataset, sampler=BatchSampler(...), batch_size=None): each list of indices goes to
    dataset[...] whole (a dataset that fetches a batch at once), with or without workers; also from a
    sampler of one's own that yields lists."""
    class Blocks:
        def __init__(self, library):
            self.library = library

        def __iter__(self):
            return iter([[9, 8], [0, 1, 2], [5]])

        def __len__(self):
            return 3

    class Rows:
        def __init__(self, library):
            self.values = library.arange(20.0).reshape(10, 2)

        def __getitem__(self, index):
            return self.values[index] * 2

        def __len__(self):
            return 10

    results = []
    for library in (tinynn, torch):
        data = library.utils.data.TensorDataset(library.arange(10.0), library.arange(10))
        sampler = library.utils.data.BatchSampler(library.utils.data.SequentialSampler(data), 4, False)
        seen = []
        for workers in (0, 2):
            loader = library.utils.data.DataLoader(data, sampler=sampler, batch_size=None, num_workers=workers)
            seen.append([[part.tolist() for part in batch] for batch in loader])
        seen.append([batch.tolist() for batch in library.utils.data.DataLoader(Rows(library), sampler=Blocks(library),
                                                                                 batch_size=None)])
        seen.append(len(loader))
        results.append(seen)
    assert results[0] == results[1]
    assert results[0][0] == results[0][1] == [[[0.0, 1.0, 2.0, 3.0], [0, 1, 2, 3]], [[4.0, 5.0, 6.0, 7.0], [4, 5, 6, 7]],
                                              [[8.0, 9.0], [8, 9]]]


def test_a_loaders_sampler_is_pytorchs_and_follows_the_datasets_length(torch):
    """loader.sampler is a RandomSampler with shuffle, a SequentialSampler without (code reads len(loader.sampler));
    both take the dataset's length when an epoch starts."""
    class Growing(Dataset):
        def __init__(self):
            self.items = list(range(5))

        def __len__(self):
            return len(self.items)

        def __getitem__(self, index):
            return self.items[index]

    for library in (tinynn, torch):
        data = library.utils.data
        for shuffle, expected in ((True, "RandomSampler"), (False, "SequentialSampler")):
            growing = Growing()
            loader = data.DataLoader(growing, batch_size=2, shuffle=shuffle)
            assert type(loader.sampler).__name__ == expected and len(loader.sampler) == 5 and len(loader) == 3
            growing.items.extend([5, 6])
            assert len(loader.sampler) == 7 and len(loader) == 4
            assert sorted(value for batch in loader for value in batch.tolist()) == list(range(7))
        assert type(data.DataLoader(data.TensorDataset(library.zeros(3)), sampler=data.RandomSampler(range(3))).sampler
                    ).__name__ == "RandomSampler"


def test_a_loaders_batch_attributes_are_pytorchs(torch):
    """loader.batch_sampler groups loader.sampler's order by batch_size (code reads its batch_size and
    drop_last there); a batch sampler given decides the batches, so batch_size is None and drop_last
    False; an unbatched loader has none; ConcatDataset's cumulative sizes are a list of ints."""
    def attributes(library):
        data = library.utils.data
        described = []
        for options in (dict(batch_size=3, drop_last=True), dict(batch_size=3, shuffle=True), dict(batch_size=None),
                        dict(batch_sampler=data.BatchSampler(range(10), 4, True))):
            loader = data.DataLoader(list(range(10)), **options)
            batches = loader.batch_sampler
            described.append((loader.batch_size, loader.drop_last, type(loader.sampler).__name__, len(loader),
                              type(batches).__name__,
                              batches and (batches.batch_size, batches.drop_last, batches.sampler is loader.sampler)))
        cumulative = data.ConcatDataset([range(3), range(5)]).cumulative_sizes
        return described, cumulative, [type(size) for size in cumulative]

    assert attributes(tinynn) == attributes(torch)


def test_strings_and_subset_indices_come_back_as_pytorchs(torch):
    for library in (tinynn, torch):
        data = library.utils.data
        assert as_plain(data.default_collate([("x", 1), ("y", 2)])) == [["x", "y"], [1, 2]]
        assert type(data.default_collate([("x", 1), ("y", 2)])[0]) is tuple  # a field's strings, as transposed
        assert data.default_collate(["a", "b"]) == ["a", "b"]
        train, _ = data.random_split(range(10), [0.7, 0.3], generator=library.Generator().manual_seed(0))
        assert type(train.indices) is list and all(type(index) is int for index in train.indices)
        subset = data.Subset(list("abcdef"), [5, 1, 3])
        assert subset[1] == "b" and len(subset) == 3


def test_datasets_add_up_and_a_tensor_dataset_shows_its_tensors_as_pytorchs(torch):
    """``a + b`` concatenates datasets (chains iterable ones), TensorDataset.tensors holds the tensors
    given, and an iterable dataset has no length (len raises TypeError, so list() and a loader take it
    as a stream), as in PyTorch."""

    def built(library):
        data = library.utils.data

        class Counting(data.IterableDataset):
            def __iter__(self):
                return iter(range(3))

        tensors = data.TensorDataset(library.arange(4), library.arange(4) * 10)
        joined = tensors + tensors
        chained = Counting() + Counting()
        with pytest.raises(TypeError, match="has no len()"):
            len(chained)
        return (type(joined).__name__, len(joined), [t.tolist() for t in joined[5]],
                [t.tolist() for t in tensors.tensors], type(chained).__name__, list(chained),
                [batch.tolist() for batch in data.DataLoader(chained, batch_size=4)])

    assert built(tinynn) == built(torch)


def test_a_sample_of_none_is_refused_as_pytorch_refuses_it(torch):
    """A dataset that hands out None (a missing return, say) is an error, as in PyTorch, not a batch of None."""
    from torch.utils.data import default_collate as torch_collate

    with pytest.raises(TypeError):
        torch_collate([None, None])
    with pytest.raises(TypeError, match="default_collate: cannot batch samples of type NoneType; pass a collate_fn"):
        tinynn.utils.data.default_collate([None, None])


def test_a_split_of_a_per_sample_dataset_loads_and_batched_fetches_are_pytorchs(torch):
    """A Subset or random_split part of a dataset with __getitem__ only goes through the loader (it
    failed: the Subset asked its dataset for get_batch), in the main process and in workers, and so does a
    ConcatDataset of such datasets (it joined their batches as tensors); a dataset with PyTorch's
    __getitems__ gets each batch's indices at once, through Subsets too, with or without a collate_fn."""
    def loaded(library):
        data = library.utils.data

        class PerSample(data.Dataset):
            def __len__(self):
                return 6

            def __getitem__(self, index):
                return library.tensor([float(index)]), index % 2

        class Batched(PerSample):  # (its batches tell which method made them)
            def __getitems__(self, indices):
                return [(library.tensor([index * 10.0]), index % 2) for index in indices]

        train, _ = data.random_split(PerSample(), [4, 2], generator=library.Generator().manual_seed(0))
        stacked = lambda samples: library.stack([features for features, _ in samples])  # noqa: E731
        loaders = [data.DataLoader(data.Subset(PerSample(), [5, 1, 2]), batch_size=2),
                   data.DataLoader(data.Subset(PerSample(), [5, 1, 2]), batch_size=2, num_workers=2),
                   data.DataLoader(data.Subset(Batched(), [5, 1, 2]), batch_size=2),
                   data.DataLoader(data.Subset(data.Subset(Batched(), [5, 4, 3]), [2, 0]), batch_size=2),
                   data.DataLoader(data.Subset(Batched(), [5, 1]), batch_size=2, collate_fn=stacked),
                   data.DataLoader(Batched(), batch_size=4),
                   data.DataLoader(data.ConcatDataset([PerSample(), data.Subset(PerSample(), [0])]), batch_size=4),
                   data.DataLoader(PerSample() + PerSample(), batch_size=5, num_workers=2),
                   data.DataLoader(data.ConcatDataset([data.TensorDataset(library.arange(3.0)),
                                                       data.Subset(data.TensorDataset(library.arange(3.0)), [2])]),
                                   batch_size=3)]
        return [as_plain(list(loader)) for loader in loaders] + [[len(labels) for _, labels in data.DataLoader(train, batch_size=3)]]

    assert loaded(tinynn) == loaded(torch)


@pytest.mark.parametrize("field", [[1, 2.5], [2.5, 1], [1, True], [True, 1], [True, False], [1, 1 + 2j], [3, 4]],
                         ids=str)
def test_a_field_of_mixed_python_numbers_batches_as_pytorchs(torch, field):
    """(A field whose first value was an int was made int64 whatever followed: [1, 2.5] became [1, 2].)"""
    ours, theirs = default_collate(field), torch.utils.data.default_collate(field)
    assert (str(ours.dtype), ours.tolist()) == (str(theirs.dtype).replace("torch.", ""), theirs.tolist())


def test_a_field_of_numbers_and_other_values_is_refused_by_name():
    for field in ([1, "a"], [1.0, None]):
        with pytest.raises(TypeError, match="a field holds numbers in some samples and not in others"):
            default_collate(field)


def test_default_convert_makes_numpy_scalars_tensors_as_pytorchs(torch):
    from tinynn.data import default_convert

    sample = [np.int64(3), np.float32(2.5), (np.bool_(True), "s")]
    ours, theirs = default_convert(sample), torch.utils.data.default_convert(sample)
    assert as_plain(ours) == as_plain(theirs) and isinstance(ours[0], tinynn.Tensor)
    assert ours[1].dtype == np.float32 and ours[0].shape == ()
