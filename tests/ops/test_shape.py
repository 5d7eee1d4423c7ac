"""reshape, transpose/permute, flatten, indexing, pad, concatenate, stack, expand, repeat, split/chunk,
(un)squeeze, gather, clone, flip, bmm."""
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
    ours, theirs = x.transpose(0, 2).reshape(4, 6), tx.transpose(0, 2).reshape(4, 6)
    assert_close(ours, theirs)
    with pytest.raises(RuntimeError, match=r"view: a tensor of shape \(4, 3, 2\) with strides \(1, 4, 12\) .* cannot "
                                           r"be seen as shape \(4, 6\) without copying; use .reshape"):
        x.transpose(0, 2).view(4, 6)  # a copy is no view: PyTorch refuses it too
    assert x.transpose(0, 2).view(4, 3, 2).shape == (4, 3, 2)
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


SHAPE_METHODS = {
    "expand": (lambda t: t.expand(2, 3, -1), lambda t: t.expand(2, 3, -1), (3, 1)),
    "repeat": (lambda t: t.repeat(2, 1, 3), lambda t: t.repeat(2, 1, 3), (2, 3)),
    "unsqueeze+squeeze": (lambda t: t.unsqueeze(1).unsqueeze(-1).squeeze(0) * 2, lambda t: t.unsqueeze(1).unsqueeze(-1).squeeze(0) * 2, (1, 4)),
    "split": (lambda t: t.split([1, 3], dim=1)[1] * t.split(2, dim=1)[0].sum(), lambda t: t.split([1, 3], dim=1)[1] * t.split(2, dim=1)[0].sum(), (2, 4)),
    "chunk": (lambda t: t.chunk(3, dim=0)[-1], lambda t: t.chunk(3, dim=0)[-1], (5, 2)),
    "clone": (lambda t: t.clone() * t, lambda t: t.clone() * t, (3,)),
    "mT": (lambda t: t.mT, lambda t: t.mT, (2, 3, 4)),
    "flip": (lambda t: t.flip((0, 2)) * t, lambda t: t.flip((0, 2)) * t, (2, 3, 4)),
    "bmm": (lambda t: tinynn.bmm(t, t.mT), lambda t: t.bmm(t.mT), (2, 3, 4)),
}


@pytest.mark.parametrize("name", SHAPE_METHODS)
def test_more_shape_methods_gradcheck_and_match_torch(name, rng, torch, device):
    ours, theirs, shape = SHAPE_METHODS[name]
    x = leaf(rng.standard_normal(shape), device=device)
    assert gradcheck(ours, [x])
    tx = to_torch(torch, x, True)
    out, tout = ours(x), theirs(tx)
    assert_close(out, tout)
    grad = rng.standard_normal(out.shape)
    out.backward(tinynn.tensor(grad, device=device))
    tout.backward(torch.tensor(grad))
    assert_close(x.grad, tx.grad)


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_gather_gradcheck_and_matches_torch(dim, rng, torch, device):
    x = leaf(rng.standard_normal((3, 4)), device=device)
    index_shape = (2, 3)  # smaller than the input on the other axis, as PyTorch allows
    index = tinynn.tensor(rng.integers(0, x.shape[dim], index_shape), device=device)  # with repeats
    assert gradcheck(lambda t: t.gather(dim, index), [x])
    tx = to_torch(torch, x, True)
    out, tout = x.gather(dim, index), tx.gather(dim, torch.tensor(index.numpy()))
    assert_close(out, tout)
    out.sum().backward()
    tout.sum().backward()
    assert_close(x.grad, tx.grad)


def test_shape_method_errors_are_clear():
    x = tinynn.zeros(2, 3)
    with pytest.raises(ValueError, match=r"expand: a tensor of shape \(2, 3\) cannot be expanded to \(4, 3\)"):
        x.expand(4, 3)
    with pytest.raises(ValueError, match="repeat: 1 repeat counts for a tensor with 2 dimensions"):
        x.repeat(2)
    with pytest.raises(ValueError, match=r"split: sizes \[1, 1\] do not add up to 3"):
        x.split([1, 1], dim=1)
    with pytest.raises(IndexError, match="gather: index 3 is out of bounds for dimension 1 with size 3"):
        x.gather(1, tinynn.tensor([[0, 3]]))
    with pytest.raises(ValueError, match="t: expected a tensor with at most 2 dimensions"):
        tinynn.zeros(1, 2, 3).t()


NEGATIVE_INDEX_OPS = {  # name -> function(module, x (2, 3), index tensor of one -1 shaped as the op wants)
    "gather": lambda m, x: x.gather(1, m.tensor([[-1, 0]], device=x.device)),
    "scatter": lambda m, x: x.scatter(1, m.tensor([[-1]], device=x.device), 1.0),
    "scatter_add": lambda m, x: x.scatter_add(1, m.tensor([[-1]], device=x.device), m.ones(1, 1, dtype=x.dtype, device=x.device)),
    "scatter_reduce": lambda m, x: x.scatter_reduce(1, m.tensor([[-1]], device=x.device), m.ones(1, 1, dtype=x.dtype, device=x.device), "amax"),
    "index_select": lambda m, x: x.index_select(1, m.tensor([-1], device=x.device)),
    "index_add": lambda m, x: x.index_add(1, m.tensor([-1], device=x.device), m.ones(2, 1, dtype=x.dtype, device=x.device)),
}


@pytest.mark.parametrize("name", sorted(NEGATIVE_INDEX_OPS))
def test_negative_indices_are_refused_where_pytorch_refuses_them(name, torch, device):
    """gather, scatter, index_select and index_add take indices in [0, size), as PyTorch's: a -1
    (a padding label, say) read or wrote the last entry, as NumPy's indexing counts from the end."""
    with pytest.raises((RuntimeError, IndexError)):
        NEGATIVE_INDEX_OPS[name](torch, torch.zeros(2, 3))
    with pytest.raises(IndexError, match=r"index -1 is out of bounds for dimension 1 with size 3"):
        NEGATIVE_INDEX_OPS[name](tinynn, tinynn.zeros(2, 3, device=device))
        tinynn.backend.raise_deferred_errors()  # (on the GPU the check is read at the next transfer)


def test_take_along_dim_counts_negative_indices_from_the_end_as_pytorch(torch):
    values = np.arange(6.0).reshape(2, 3)
    ours = tinynn.take_along_dim(tinynn.tensor(values), tinynn.tensor([[-1, 0]]), 1)
    theirs = torch.take_along_dim(torch.tensor(values), torch.tensor([[-1, 0]]), 1)
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


NARROWS = [(1, 3, 2), (1, -2, 2), (1, -4, 4), (1, 4, 0), (1, 5, 0), (1, -5, 1), (0, 1, -1), (-1, 0, 4)]


@pytest.mark.parametrize("dim, start, length", NARROWS)
def test_narrow_counts_a_negative_start_from_the_end_and_refuses_a_range_past_it(dim, start, length, torch):
    """narrow(1, -2, 2) was empty (a slice from -2 to 0) and narrow(1, 3, 2) of 4 columns gave one
    column; PyTorch counts -2 from the end and refuses a range past the end."""
    values = np.arange(12.0).reshape(3, 4)

    def outcome(library):
        try:
            return library.tensor(values).narrow(dim, start, length).tolist()
        except (IndexError, RuntimeError):
            return "refused"

    assert outcome(tinynn) == outcome(torch)


def test_movedim_refuses_repeated_or_unpaired_dims(torch):
    """movedim((0, 1), (0, 0)) transposed and movedim((0, 1), (1,)) dropped a dim without a word."""
    for source, destination in (((0, 1), (0, 0)), ((0, 0), (0, 1)), ((0, 1), (1,))):
        for library in (tinynn, torch):
            with pytest.raises(RuntimeError, match="movedim"):
                library.zeros(2, 3, 4).movedim(source, destination)
    assert tinynn.zeros(2, 3, 4).movedim((0, 1), (2, 0)).shape == torch.zeros(2, 3, 4).movedim((0, 1), (2, 0)).shape


def test_cat_skips_1d_empty_tensors_and_refuses_0d_ones_as_pytorch(torch):
    """The loop idiom out = cat([out, batch]) from out = tensor([]) works; a 0-d tensor is PyTorch's
    error (a ZeroDivisionError came out of the axis arithmetic)."""
    batch = np.arange(6).reshape(2, 3)
    for dim in (0, 1):
        ours = tinynn.cat([tinynn.tensor([]), tinynn.tensor(batch)], dim)
        theirs = torch.cat([torch.tensor([]), torch.tensor(batch)], dim)
        assert ours.tolist() == theirs.tolist() and str(ours.dtype) == str(theirs.dtype).replace("torch.", "")
    grown = tinynn.tensor([])
    leaf = tinynn.ones(2, 3, requires_grad=True)
    for _ in range(2):
        grown = tinynn.cat([grown, leaf * 2])
    grown.sum().backward()
    assert grown.shape == (4, 3) and leaf.grad.tolist() == [[4.0] * 3] * 2
    assert tinynn.cat([tinynn.tensor([]), tinynn.tensor([])]).shape == (0,)
    with pytest.raises(RuntimeError, match=r"zero-dimensional tensor \(at position 0\) cannot be concatenated"):
        tinynn.cat([tinynn.tensor(1.0), tinynn.tensor(2.0)])


def test_chunks_of_an_empty_dim_are_that_many_empty_pieces_as_pytorchs():
    """(The piece size came out 0, which split refused.)"""
    pieces = tinynn.zeros(2, 0).chunk(3, 1)
    assert len(pieces) == 3 and all(piece.shape == (2, 0) for piece in pieces)
    assert [p.shape for p in tinynn.zeros(0).chunk(2)] == [(0,), (0,)]


def test_flip_refuses_a_dim_named_twice():
    """(flip((0, -1)) of a vector flipped it once; PyTorch refuses the list.)"""
    with pytest.raises(RuntimeError, match=r"flip: a dim appears multiple times in the list of dims \(0, -1\)"):
        tinynn.tensor([1.0, 2.0]).flip((0, -1))


def test_flip_takes_its_dims_one_by_one_and_view_a_size_in_a_tensor_as_pytorchs(torch):
    """x.flip(0, 1) as x.flip((0, 1)) (a TypeError); x.view(tinynn.tensor(6)) a size, as PyTorch reads a
    one-element integer tensor (it was read as a dtype: the memory reinterpreted as int64, garbage)."""
    def shaped(library):
        x = library.arange(6.0).reshape(2, 3)
        return [x.flip(0, 1).tolist(), x.flip((0, 1)).tolist(), x.flip(dims=[1]).tolist(), x.flip(()).tolist(),
                library.flip(x, (0,)).tolist(), x.view(library.tensor(6)).tolist(), x.view(library.tensor([6])).tolist(),
                x.view(library.tensor(3), 2).tolist()]

    assert shaped(tinynn) == shaped(torch)
    x = tinynn.arange(6.0).reshape(2, 3)
    with pytest.raises(TypeError, match='flip\\(\\) missing 1 required positional arguments: "dims"'):
        x.flip()
    with pytest.raises(TypeError, match=r"view: expected sizes or a dtype, got a float32 tensor of shape \(\)"):
        x.view(tinynn.tensor(6.0))


def test_shape_ops_of_0d_tensors_as_pytorchs():
    """(narrow of a 0-d tensor leaked Python's 'tuple index out of range'; unfold of one gave a matrix.)"""
    with pytest.raises(RuntimeError, match=r"narrow\(\) cannot be applied to a 0-dim tensor"):
        tinynn.tensor(2.0).narrow(0, 0, 0)
    assert tinynn.tensor(2.0).unfold(0, 1, 1).tolist() == [2.0] and tinynn.tensor(2.0).unfold(0, 0, 1).shape == (0,)


@pytest.mark.parametrize("shape, dim, sizes, expected", [((0, 3, 3), -1, (-1, 1), (0, 3, 3, 1)),
                                                         ((4, 0), 0, (2, -1), (2, 2, 0)),
                                                         ((2, 6), 1, (-1, 3), (2, 2, 3))])
def test_unflatten_infers_minus_one_from_the_dim_alone(shape, dim, sizes, expected):
    """(It reshaped the whole tensor, whose size cannot tell -1 where another dim is 0.)"""
    assert tinynn.zeros(shape).unflatten(dim, sizes).shape == expected


def test_unflatten_refuses_sizes_that_do_not_fit_the_dim():
    with pytest.raises(RuntimeError, match=r"unflatten: provided sizes \(2, 2\) don't multiply up to the size of dim 1 \(3\)"):
        tinynn.zeros(2, 3).unflatten(1, (2, 2))
    with pytest.raises(RuntimeError, match=r"unflatten: sizes \(-1, 0\) cannot be inferred for dim 1 of size 0"):
        tinynn.zeros(3, 0).unflatten(1, (-1, 0))
