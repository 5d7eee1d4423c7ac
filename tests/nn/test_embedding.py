"""embedding and nn.Embedding: gradcheck with repeated indices, padding_idx, PyTorch parity, errors; one_hot."""
import numpy as np
import pytest

import tinynn
from tinynn import nn
from tinynn.autograd import gradcheck
from tinynn.nn import functional as F
from helpers import assert_close, distinct, leaf


@pytest.mark.parametrize("padding_idx", [None, 2, -1])
def test_embedding_gradcheck_and_matches_torch(torch, rng, padding_idx, device):
    weight = leaf(rng.standard_normal((6, 4)), device=device)
    indices = tinynn.tensor(np.array([[1, 2, 2], [5, 0, 1]]), device=device)  # repeats and the padding row
    if padding_idx is None:  # with one, its row is held constant on purpose (PyTorch's rule): not a derivative
        assert gradcheck(lambda w: F.embedding(indices, w), [weight])
    t_weight = torch.tensor(weight.numpy(), requires_grad=True)
    ours = F.embedding(indices, weight, padding_idx)
    theirs = torch.nn.functional.embedding(torch.tensor(indices.numpy()), t_weight, padding_idx)
    assert_close(ours, theirs)
    grad = rng.standard_normal(ours.shape)
    ours.backward(tinynn.tensor(grad, device=device))
    theirs.backward(torch.tensor(grad))
    assert_close(weight.grad, t_weight.grad)
    if padding_idx is not None:
        assert not weight.grad.numpy()[padding_idx].any() and weight.grad.numpy()[1].any()


def test_embedding_layer_like_torch(torch):
    ours = nn.Embedding(1000, 8, padding_idx=3)
    assert list(ours.state_dict()) == list(torch.nn.Embedding(1000, 8).state_dict()) == ["weight"]
    values = ours.weight.numpy()
    assert np.all(values[3] == 0) and abs(values.std() - 1) < 0.05, "N(0, 1), padding row zero"
    assert repr(ours) == repr(torch.nn.Embedding(1000, 8, padding_idx=3))


def test_embedding_errors_are_clear(device):
    layer = nn.Embedding(5, 2).to(device)
    with pytest.raises(TypeError, match=r"Embedding\(5, 2\): expected a tensor of integer indices, got float32"):
        layer(tinynn.zeros(3, device=device))
    with pytest.raises(IndexError, match="Embedding\\(5, 2\\): index 7 is out of range for a table of 5 rows"):
        layer(tinynn.tensor([1, 7], device=device)).sum().item()
    with pytest.raises(ValueError, match="padding_idx 5 is outside the table of 5 rows"):
        nn.Embedding(5, 2, padding_idx=5)


@pytest.mark.parametrize("shape, num_classes", [((5,), -1), ((2, 3), 7), ((), 4), ((0,), 3)])
def test_one_hot_matches_torch(torch, rng, device, shape, num_classes):
    values = rng.integers(0, 4, shape)
    ours = F.one_hot(tinynn.tensor(values, device=device), num_classes)
    theirs = torch.nn.functional.one_hot(torch.tensor(values), num_classes)
    assert ours.dtype == np.int64 and ours.device == device and ours.shape == tuple(theirs.shape)
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_one_hot_times_the_table_is_the_embedding(rng, device):
    weight = tinynn.tensor(rng.standard_normal((6, 3)), device=device)
    indices = tinynn.tensor(np.array([4, 0, 4, 5]), device=device)
    np.testing.assert_allclose((F.one_hot(indices, 6).double() @ weight).numpy(), F.embedding(indices, weight).numpy())


def test_one_hot_errors_are_clear(device):
    with pytest.raises(TypeError, match="one_hot: expected a tensor of integer class indices, got dtype float32"):
        F.one_hot(tinynn.zeros(3, device=device))
    with pytest.raises(IndexError, match="one_hot: index 3 is out of range for 3 classes"):
        F.one_hot(tinynn.tensor([0, 3], device=device), 3).numpy()
    with pytest.raises(IndexError, match="one_hot: index -1 is out of range"):
        F.one_hot(tinynn.tensor([-1, 2], device=device)).numpy()
    with pytest.raises(ValueError, match="cannot infer num_classes from an empty tensor"):
        F.one_hot(tinynn.tensor(np.zeros(0, np.int64), device=device))
    with pytest.raises(ValueError, match="num_classes must be a positive int or -1, got 0"):
        F.one_hot(tinynn.tensor([1], device=device), 0)


@pytest.mark.parametrize("options", [dict(max_norm=1.0), dict(max_norm=0.5, norm_type=1.0), dict(scale_grad_by_freq=True),
                                     dict(max_norm=1.2, scale_grad_by_freq=True, padding_idx=1)], ids=str)
def test_embedding_options_match_torch(torch, rng, device, options):
    ours, theirs = nn.Embedding(6, 4, **options), torch.nn.Embedding(6, 4, **options)
    assert repr(ours) == repr(theirs)
    theirs.load_state_dict({"weight": torch.tensor(ours.weight.numpy())})
    ours.to(device)
    indices = np.array([[1, 2, 2], [5, 0, 1], [2, 2, 3]])
    y = ours(tinynn.tensor(indices, device=device))
    ty = theirs(torch.tensor(indices))
    assert_close(y, ty, rtol=1e-6, atol=1e-6)
    assert_close(ours.weight, theirs.weight.detach(), rtol=1e-6, atol=1e-6, what="renormalised table")
    grad = rng.standard_normal(y.shape).astype(np.float32)
    y.backward(tinynn.tensor(grad, device=device))
    ty.backward(torch.tensor(grad))
    assert_close(ours.weight.grad, theirs.weight.grad, rtol=1e-5, atol=1e-6)
    if "max_norm" in options:
        used = np.unique(indices)
        norms = (np.abs(ours.weight.numpy()[used]) ** options.get("norm_type", 2.0)).sum(1) ** (1 / options.get("norm_type", 2.0))
        assert norms.max() <= options["max_norm"] + 1e-5


def test_scale_grad_by_freq_divides_by_the_count_in_the_batch(device):
    """Not the derivative of the lookup (on purpose, as PyTorch): a row used k times gets the mean
    of its k gradients instead of their sum."""
    weight = tinynn.zeros(5, 3, device=device, requires_grad=True)
    indices = tinynn.tensor(np.array([0, 3, 3, 3, 1]), device=device)
    F.embedding(indices, weight, scale_grad_by_freq=True).sum().backward()
    np.testing.assert_allclose(weight.grad.numpy(), np.array([[1.0] * 3, [1.0] * 3, [0.0] * 3, [1.0] * 3, [0.0] * 3]))


BAG_INPUT = np.array([1, 2, 4, 5, 4, 3, 2, 9, 0, 7])
BAG_OFFSETS = np.array([0, 4, 4, 7])  # the second bag is empty


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
@pytest.mark.parametrize("padding_idx", [None, 4])
@pytest.mark.parametrize("layout", ["offsets", "last_offset", "2d"])
def test_embedding_bag_matches_torch(torch, rng, device, mode, padding_idx, layout):
    table = rng.standard_normal((10, 3))
    ours_w, theirs_w = leaf(table, device=device), torch.tensor(table, requires_grad=True)
    kwargs = dict(mode=mode, padding_idx=padding_idx)
    if layout == "2d":
        indices, offsets = BAG_INPUT.reshape(2, 5), None
    elif layout == "last_offset":
        indices, offsets = BAG_INPUT, np.append(BAG_OFFSETS, len(BAG_INPUT))
        kwargs["include_last_offset"] = True
    else:
        indices, offsets = BAG_INPUT, BAG_OFFSETS
    weights = rng.standard_normal(indices.shape) if mode == "sum" else None
    ours_p = leaf(weights, device=device) if weights is not None else None
    theirs_p = torch.tensor(weights, requires_grad=True) if weights is not None else None
    ours = F.embedding_bag(tinynn.tensor(indices, device=device), ours_w,
                           None if offsets is None else tinynn.tensor(offsets, device=device),
                           per_sample_weights=ours_p, **kwargs)
    theirs = torch.nn.functional.embedding_bag(torch.tensor(indices), theirs_w,
                                               None if offsets is None else torch.tensor(offsets),
                                               per_sample_weights=theirs_p, **kwargs)
    assert_close(ours, theirs.detach(), rtol=1e-12, atol=1e-12)
    grad = rng.standard_normal(ours.shape)
    ours.backward(tinynn.tensor(grad, device=device))
    theirs.backward(torch.tensor(grad))
    assert_close(ours_w.grad, theirs_w.grad, rtol=1e-12, atol=1e-12, what="table grad")
    if weights is not None:
        assert_close(ours_p.grad, theirs_p.grad, rtol=1e-12, atol=1e-12, what="per-sample weights grad")


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
def test_embedding_bag_gradcheck_and_module(torch, rng, mode, device):
    table = leaf(distinct((10, 3), rng), device=device)  # distinct values: no ties for max
    indices = tinynn.tensor(BAG_INPUT, device=device)
    assert gradcheck(lambda w: F.embedding_bag(indices, w, BAG_OFFSETS, mode=mode), [table])
    ours = nn.EmbeddingBag(10, 3, mode=mode)
    theirs = torch.nn.EmbeddingBag(10, 3, mode=mode)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    theirs.load_state_dict({k: torch.tensor(v.numpy()) for k, v in ours.state_dict().items()})
    assert_close(ours.to(device)(indices, tinynn.tensor(BAG_OFFSETS, device=device)),
                 theirs(torch.tensor(BAG_INPUT), torch.tensor(BAG_OFFSETS)).detach(), rtol=1e-6, atol=1e-7)


def test_embedding_bag_errors():
    table = tinynn.zeros(10, 3)
    with pytest.raises(ValueError, match="per_sample_weights are only supported with mode='sum'"):
        F.embedding_bag(tinynn.tensor(BAG_INPUT), table, BAG_OFFSETS, mode="mean", per_sample_weights=tinynn.ones(10))
    with pytest.raises(ValueError, match="a 1-D input needs offsets"):
        F.embedding_bag(tinynn.tensor(BAG_INPUT), table)
    with pytest.raises(ValueError, match="offsets must be None for a 2-D input"):
        F.embedding_bag(tinynn.tensor(BAG_INPUT.reshape(2, 5)), table, BAG_OFFSETS)
    with pytest.raises(ValueError, match="offsets must start at 0"):
        F.embedding_bag(tinynn.tensor(BAG_INPUT), table, [1, 4])
    with pytest.raises(ValueError, match="mode must be 'sum', 'mean' or 'max', got 'median'"):
        nn.EmbeddingBag(10, 3, mode="median")
    with pytest.raises(IndexError, match="index 12 is out of range"):
        F.embedding_bag(tinynn.tensor([1, 12]), table, [0])


def test_from_pretrained_and_initial_weights_as_pytorchs(torch):
    table = np.random.default_rng(8).standard_normal((5, 3)).astype(np.float32)
    for frozen in (True, False):
        ours = nn.Embedding.from_pretrained(tinynn.tensor(table), freeze=frozen, padding_idx=1)
        theirs = torch.nn.Embedding.from_pretrained(torch.tensor(table), freeze=frozen, padding_idx=1)
        assert ours.weight.requires_grad == theirs.weight.requires_grad == (not frozen) and repr(ours) == repr(theirs)
        np.testing.assert_array_equal(ours(tinynn.tensor([[0, 1, 4]])).numpy(),
                                      theirs(torch.tensor([[0, 1, 4]])).detach().numpy())  # the padding row kept
    bag = nn.EmbeddingBag.from_pretrained(tinynn.tensor(table), mode="sum")
    reference = torch.nn.EmbeddingBag.from_pretrained(torch.tensor(table), mode="sum")
    np.testing.assert_allclose(bag(tinynn.tensor([[0, 2]])).numpy(), reference(torch.tensor([[0, 2]])).numpy(), rtol=1e-6)
    shared = tinynn.tensor(table)
    layer = nn.Embedding(5, 3, _weight=shared)
    assert layer.weight.requires_grad
    with tinynn.no_grad():
        shared[0, 0] = 100.0  # the same memory, as PyTorch's Parameter(_weight)
    assert layer.weight[0, 0].item() == 100.0
    with pytest.raises(ValueError, match=r"_weight of shape \(5, 3\) does not match \(4, 3\)"):
        nn.Embedding(4, 3, _weight=tinynn.tensor(table))
    with pytest.raises(ValueError, match="from_pretrained: expected a 2-D tensor"):
        nn.Embedding.from_pretrained(tinynn.ones(3))
