"""reshape, transpose/permute, flatten, indexing, pad, concatenate, stack."""
import numpy as np
import pytest
from hypothesis import given, strategies as st

import tinynn
from tinynn.autograd import gradcheck
from helpers import assert_close, leaf, to_torch
from strategies import shapes


@given(shape=shapes(min_dims=1, max_dims=4), seed=st.integers(0, 2 ** 16))
def test_reshape_flatten_permute_gradcheck(shape, seed, device):
    rng = np.random.default_rng(seed)
    x = leaf(rng.standard_normal(shape), device=device)
    order = tuple(rng.permutation(len(shape)))
    assert gradcheck(lambda t: t.reshape(-1) * 2, [x])
    assert gradcheck(lambda t: t.flatten(), [x])
    assert gradcheck(lambda t: t.permute(order), [x])
    assert gradcheck(lambda t: t.transpose(), [x])


def test_view_transpose_two_axes_matches_torch(torch, rng, device):
    x = leaf(rng.standard_normal((2, 3, 4)), device=device)
    tx = to_torch(torch, x, True)
    ours, theirs = x.transpose(0, 2).view(4, 6), tx.transpose(0, 2).reshape(4, 6)
    assert_close(ours, theirs)
    weights = rng.standard_normal((4, 6))
    (ours * weights).sum().backward()
    (theirs * torch.tensor(weights)).sum().backward()
    assert_close(x.grad, tx.grad)


@pytest.mark.parametrize("index", [
    1, -1, slice(1, 3), (slice(None), 2), (0, slice(None, None, 2)), np.array([0, 2, 2, 1]),
    (np.array([0, 0, 2]), np.array([1, 1, 3])), (Ellipsis, None, 1),
])
def test_indexing_gradcheck_and_torch(index, rng, torch, device):
    x = leaf(rng.standard_normal((3, 4)), device=device)
    assert gradcheck(lambda t: t[index], [x])
    tx = to_torch(torch, x, True)
    torch_index = tuple(torch.tensor(i) if isinstance(i, np.ndarray) else i for i in index) \
        if isinstance(index, tuple) else (torch.tensor(index) if isinstance(index, np.ndarray) else index)
    ours, theirs = x[index], tx[torch_index]
    assert_close(ours, theirs)
    ours.sum().backward()
    theirs.sum().backward()
    assert_close(x.grad, tx.grad, what="repeated indices scatter-add")


def test_indexing_with_a_tensor_of_indices(device):
    x = tinynn.tensor([10.0, 20.0, 30.0], requires_grad=True, device=device)
    y = x[tinynn.tensor([2, 0, 2], device=device)]
    np.testing.assert_array_equal(y.numpy(), [30, 10, 30])
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [1, 0, 2])


def test_pad_gradcheck_and_values(rng, device):
    x = leaf(rng.standard_normal((2, 3)), device=device)
    assert gradcheck(lambda t: tinynn.pad(t, ((1, 0), (2, 1)), value=0.5), [x])
    padded = tinynn.pad(x, ((1, 0), (2, 1)), value=0.5)
    assert padded.shape == (3, 6) and padded.numpy()[0, 0] == 0.5


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_concatenate_and_stack_gradcheck(axis, rng, device):
    a, b = leaf(rng.standard_normal((2, 3)), device=device), leaf(rng.standard_normal((2, 3)), device=device)
    assert gradcheck(lambda x, y: tinynn.concatenate([x, y * 2], axis=axis), [a, b])
    assert gradcheck(lambda x, y: tinynn.stack([x, y * 2], axis=axis), [a, b])


def test_shape_errors_are_clear():
    x = tinynn.zeros(2, 3)
    with pytest.raises(ValueError, match=r"reshape: cannot reshape a tensor of shape \(2, 3\)"):
        x.reshape(4, 2)
    with pytest.raises(ValueError, match="concatenate: shapes"):
        tinynn.concatenate([x, tinynn.zeros(3, 2)], axis=0)
    with pytest.raises(ValueError, match="stack: all tensors must have the same shape"):
        tinynn.stack([x, tinynn.zeros(3, 2)])
    with pytest.raises(IndexError, match=r"shape \(2, 3\)"):
        x[5]
