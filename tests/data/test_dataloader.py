"""DataLoader batching, shuffling, samplers, collate_fn, seeding and mid-epoch state; TensorDataset,
ConcatDataset; random_split; transforms."""
import numpy as np
import pytest

import tinynn
from tinynn.data import (ConcatDataset, DataLoader, Dataset, RandomSampler, SequentialSampler, TensorDataset,
                         WeightedRandomSampler, random_split, transforms)


def test_batches_cover_the_dataset_once(rng):
    data = TensorDataset(np.arange(10, dtype=np.float32)[:, None], np.arange(10))
    batches = list(DataLoader(data, batch_size=4, shuffle=True, seed=1))
    assert [len(b[1]) for b in batches] == [4, 4, 2]
    assert sorted(np.concatenate([b[1].numpy() for b in batches])) == list(range(10))
    assert len(DataLoader(data, 4, drop_last=True)) == 2
    assert [len(b[1]) for b in DataLoader(data, 4, drop_last=True)] == [4, 4]


def test_shuffle_is_reproducible_and_differs_between_epochs():
    data = TensorDataset(np.arange(100))
    first = DataLoader(data, 100, shuffle=True, seed=5)
    order1, order2 = next(iter(first))[0].numpy(), next(iter(first))[0].numpy()
    assert not np.array_equal(order1, order2)
    np.testing.assert_array_equal(next(iter(DataLoader(data, 100, shuffle=True, seed=5)))[0].numpy(), order1)


def test_mid_epoch_state_resumes_with_the_next_batch():
    data = TensorDataset(np.arange(20))
    loader = DataLoader(data, 3, shuffle=True, seed=2)
    straight = [b[0].numpy() for b in loader]
    resumed_loader = DataLoader(data, 3, shuffle=True, seed=2)
    iterator = iter(resumed_loader)
    seen = [next(iterator)[0].numpy() for _ in range(4)]
    state = resumed_loader.state_dict()
    fresh = DataLoader(data, 3, shuffle=True, seed=99)
    fresh.load_state_dict(state)
    rest = [b[0].numpy() for b in fresh]
    for a, b in zip(seen + rest, straight):
        np.testing.assert_array_equal(a, b)
    assert len(seen + rest) == len(straight)


def test_generic_dataset_without_get_batch_is_stacked():
    class Squares(Dataset):
        def __len__(self):
            return 5

        def __getitem__(self, i):
            return tinynn.tensor([float(i * i)]), i

    x, y = next(iter(DataLoader(Squares(), 5)))
    np.testing.assert_array_equal(x.numpy().ravel(), [0, 1, 4, 9, 16])
    np.testing.assert_array_equal(y.numpy(), range(5))


def test_bad_batch_size_and_mismatched_tensors_are_errors():
    with pytest.raises(ValueError, match="batch_size must be a positive int"):
        DataLoader(TensorDataset(np.zeros(3)), 0)
    with pytest.raises(ValueError, match="same first dimension"):
        TensorDataset(np.zeros(3), np.zeros(4))


def test_normalize_and_affine_transforms(rng):
    images = rng.random((4, 1, 28, 28)).astype(np.float32)
    normalized = transforms.Normalize((0.5,), (0.25,))(images)
    np.testing.assert_allclose(normalized, (images - 0.5) / 0.25, rtol=1e-6)
    identity = transforms.RandomAffine(degrees=0)(images)
    np.testing.assert_allclose(identity, images, atol=1e-6)
    shifted = transforms.RandomAffine(degrees=0, translate=(0.2, 0.2))(images)
    assert shifted.shape == images.shape and shifted.dtype == np.float32
    assert not np.allclose(shifted, images)


@pytest.mark.parametrize("angle,expected", [(90.0, (2, 0)), (-90.0, (2, 4)), (180.0, (4, 2))])
def test_rotation_is_counter_clockwise_like_torchvision(angle, expected):
    image = np.zeros((1, 1, 5, 5), dtype=np.float32)
    image[0, 0, 0, 2] = 1.0  # top centre
    rotated = transforms.RandomAffine.apply(image, np.array([angle]), np.zeros((1, 2)), np.ones(1))
    assert np.unravel_index(rotated[0, 0].argmax(), (5, 5)) == expected
    np.testing.assert_allclose(rotated.sum(), 1.0, atol=1e-5)


def test_translation_moves_pixels_right_and_down():
    image = np.zeros((1, 1, 5, 5), dtype=np.float32)
    image[0, 0, 1, 1] = 1.0
    moved = transforms.RandomAffine.apply(image, np.zeros(1), np.array([[2.0, 1.0]]), np.ones(1))
    assert np.unravel_index(moved[0, 0].argmax(), (5, 5)) == (2, 3)


@pytest.mark.parametrize("size, lengths", [(10, [7, 3]), (10, [0.5, 0.5]), (11, [0.3, 0.3, 0.4]), (7, [0.1, 0.9]),
                                           (5, [1.0]), (9, [0.25, 0.25, 0.25, 0.25])])
def test_random_split_sizes_match_pytorch_and_cover_the_dataset_once(torch, size, lengths):
    dataset = TensorDataset(np.arange(size, dtype=np.float32))
    tinynn.manual_seed(3)
    parts = random_split(dataset, lengths)
    assert [len(part) for part in parts] == [len(part) for part in torch.utils.data.random_split(range(size), lengths)]
    values = np.concatenate([part.get_batch(np.arange(len(part)))[0].numpy() for part in parts])
    assert sorted(values.tolist()) == list(range(size))
    tinynn.manual_seed(3)
    again = random_split(dataset, lengths)
    assert all(np.array_equal(a.indices, b.indices) for a, b in zip(parts, again))
    assert len(DataLoader(parts[0], batch_size=2)) == -(-len(parts[0]) // 2)


def test_random_split_takes_a_generator_and_rejects_bad_lengths():
    dataset = TensorDataset(np.arange(10, dtype=np.float32))
    first, _ = random_split(dataset, [5, 5], generator=np.random.default_rng(1))
    assert np.array_equal(first.indices, np.random.default_rng(1).permutation(10)[:5])
    with pytest.raises(ValueError, match=r"sum to 9, but the dataset has 10 samples"):
        random_split(dataset, [4, 5])
    with pytest.raises(ValueError, match=r"fractions must sum to 1"):
        random_split(dataset, [0.5, 0.4])
    with pytest.raises(ValueError, match=r"non-negative counts or fractions"):
        random_split(dataset, [11, -1])


def test_weighted_sampler_balances_an_imbalanced_dataset():
    labels = np.array([0] * 900 + [1] * 100)
    weights = 1.0 / np.bincount(labels)[labels]  # each class gets half of the draws
    loader = DataLoader(TensorDataset(np.arange(1000), labels), batch_size=100,
                        sampler=WeightedRandomSampler(weights, num_samples=4000), seed=1)
    drawn = np.concatenate([batch[1].numpy() for batch in loader])
    assert len(drawn) == 4000 and len(loader) == 40
    assert abs(drawn.mean() - 0.5) < 0.03
    again = np.concatenate([batch[1].numpy() for batch in DataLoader(
        TensorDataset(np.arange(1000), labels), batch_size=100, sampler=WeightedRandomSampler(weights, 4000), seed=1)])
    np.testing.assert_array_equal(drawn, again)


def test_sampler_epochs_resume_mid_epoch():
    data = TensorDataset(np.arange(50, dtype=np.float32))
    straight = DataLoader(data, batch_size=5, sampler=RandomSampler(data, replacement=True, num_samples=30), seed=4)
    expected = [batch[0].numpy() for batch in straight]
    first = DataLoader(data, batch_size=5, sampler=RandomSampler(data, replacement=True, num_samples=30), seed=4)
    iterator = iter(first)
    taken = [next(iterator)[0].numpy() for _ in range(2)]
    resumed = DataLoader(data, batch_size=5, sampler=RandomSampler(data, replacement=True, num_samples=30), seed=99)
    resumed.load_state_dict(first.state_dict())
    taken += [batch[0].numpy() for batch in resumed]
    assert len(taken) == len(expected) == 6
    for a, b in zip(taken, expected):
        np.testing.assert_array_equal(a, b)


def test_plain_iterable_samplers_collate_fn_and_errors():
    data = TensorDataset(np.arange(10, dtype=np.float32))
    loader = DataLoader(data, batch_size=3, sampler=[9, 7, 5, 3, 1])
    assert [batch[0].numpy().tolist() for batch in loader] == [[9.0, 7.0, 5.0], [3.0, 1.0]]
    assert list(SequentialSampler(data)) == list(range(10))
    total = DataLoader(data, batch_size=4, collate_fn=lambda samples: sum(float(s[0].item()) for s in samples))
    assert list(total) == [6.0, 22.0, 17.0]
    with pytest.raises(ValueError, match="sampler and shuffle exclude each other"):
        DataLoader(data, sampler=[0], shuffle=True)
    with pytest.raises(ValueError, match="non-negative, finite weights"):
        WeightedRandomSampler([1.0, -1.0], 2)
    with pytest.raises(ValueError, match="cannot draw 3 samples without replacement from 2"):
        WeightedRandomSampler([1.0, 0.0, 2.0], 3, replacement=False)


class Squares(Dataset):  # no get_batch: samples are stacked one by one
    def __len__(self):
        return 4

    def __getitem__(self, index):
        return (tinynn.tensor(float(index * index)), tinynn.tensor(index))


def test_concat_dataset_keeps_the_order_asked_for():
    first = TensorDataset(np.arange(5, dtype=np.float32) + 100, np.arange(5))
    both = ConcatDataset([first, Squares()])
    assert len(both) == 9
    assert both[6][0].item() == 1.0 and both[-1][0].item() == 9.0 and both[2][0].item() == 102.0
    values, labels = both.get_batch(np.array([8, 0, 5, 4, 7]))
    np.testing.assert_array_equal(values.numpy(), [9.0, 100.0, 0.0, 104.0, 4.0])
    np.testing.assert_array_equal(labels.numpy(), [3, 0, 0, 4, 2])
    batches = list(DataLoader(both, batch_size=4, shuffle=True, seed=0))
    assert sorted(np.concatenate([b[0].numpy() for b in batches]).tolist()) == sorted(
        [100.0, 101.0, 102.0, 103.0, 104.0, 0.0, 1.0, 4.0, 9.0])
    with pytest.raises(IndexError, match="index 9 is out of range for 9 samples"):
        both[9]


def test_affine_transform_on_a_device_equals_the_numpy_one(rng, device):
    """Rotation, scaling and shifts, including samples outside the image (zero fill), on several
    channels: the GPU's fused kernel against the NumPy code."""
    images = rng.random((5, 2, 9, 7)).astype(np.float32)
    angles, scales = rng.uniform(-40, 40, 5), rng.uniform(0.7, 1.3, 5)
    shifts = np.round(rng.uniform(-3, 3, (5, 2)))
    expected = transforms.RandomAffine.apply(images, angles, shifts, scales)
    on_device = tinynn.tensor(images, device=device)._array
    got = transforms.RandomAffine.apply(on_device, angles.astype(np.float32), shifts, scales)
    assert tinynn.backend.device_of(got) == tinynn.backend.canonical_device(device)
    np.testing.assert_allclose(tinynn.backend.to_device(got, "cpu"), expected, rtol=1e-5, atol=1e-5)
    assert (expected == 0).any() and (expected > 0).mean() > 0.5, "some samples fall outside the image"


def test_pin_memory_stages_host_batches_in_pinned_memory_on_their_way_to_the_gpu(monkeypatch):
    from gpu_simulation import simulated_cupy
    from helpers import use_device

    use_device("simulated-gpu", monkeypatch)
    simulated_cupy.PINNED.clear()
    data = TensorDataset(np.arange(12, dtype=np.float32).reshape(6, 2), np.arange(6))
    batches = list(DataLoader(data, 4, device="gpu", pin_memory=True))
    assert [batch[0].device for batch in batches] == ["gpu", "gpu"]
    np.testing.assert_array_equal(np.concatenate([batch[0].numpy() for batch in batches]), data.arrays[0])
    assert simulated_cupy.PINNED == [(4, 2), (4,), (2, 2), (2,)]  # every field of every batch, once
    simulated_cupy.PINNED.clear()
    list(DataLoader(data, 4, pin_memory=True))  # kept on the host: nothing to pin
    list(DataLoader(data, 4, device="gpu"))
    assert simulated_cupy.PINNED == []
