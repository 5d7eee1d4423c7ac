"""Indexing against PyTorch: random indices mixing integers, slices with steps, None, Ellipsis, index
lists, integer tensors and boolean masks give PyTorch's values, shapes and gradients, and assigning
through them writes where PyTorch writes. NumPy's rules differ where integers meet array indices
(ops/shape.py: pytorch_index_steps)."""
import random

import numpy as np
import pytest

import tinynn


def _random_index(rng, shape):
    """A random index into ``shape``; integer tensors appear as ("tensor", values) until converted."""
    index, axis, ellipsis_used = [], 0, False
    while axis < len(shape):
        size, draw = shape[axis], rng.random()
        if draw < 0.2:
            index.append(rng.randint(-size, size - 1))
            axis += 1
        elif draw < 0.45:
            index.append(slice(rng.choice([None, rng.randint(-size, size)]), rng.choice([None, rng.randint(-size, size)]),
                               rng.choice([None, 1, 2, 3])))
            axis += 1
        elif draw < 0.55:
            index.append(None)
        elif draw < 0.65 and not ellipsis_used:
            index.append(Ellipsis)
            ellipsis_used, axis = True, len(shape) - rng.randint(0, len(shape) - axis)
        elif draw < 0.8:
            index.append([rng.randint(-size, size - 1) for _ in range(rng.randint(1, 3))])
            axis += 1
        elif draw < 0.9:
            index.append(np.array([rng.random() > 0.5 for _ in range(size)]))
            axis += 1
        else:
            index.append(("tensor", [rng.randint(0, size - 1) for _ in range(2)]))
            axis += 1
        if rng.random() < 0.3:
            break
    return index


def _in(module, index):
    return tuple(module.tensor(item[1]) if isinstance(item, tuple) else module.tensor(item)
                 if isinstance(item, np.ndarray) else item for item in index)


def test_random_indices_read_and_write_as_in_pytorch(torch):
    rng, arrays = random.Random(0), np.random.default_rng(0)
    compared = 0
    for _ in range(1500):
        shape = tuple(rng.randint(1, 4) for _ in range(rng.randint(1, 3)))
        values = arrays.standard_normal(shape)
        index = _random_index(rng, shape)
        theirs_input = torch.tensor(values, requires_grad=True)
        try:
            expected = theirs_input[_in(torch, index)]
        except IndexError:
            continue
        if expected.numel() == 0:
            continue
        ours_input = tinynn.tensor(values, requires_grad=True)
        result = ours_input[_in(tinynn, index)]
        assert tuple(result.shape) == tuple(expected.shape), index
        np.testing.assert_array_equal(result.numpy(), expected.detach().numpy(), err_msg=str(index))
        weights = arrays.standard_normal(expected.shape)
        expected.backward(torch.tensor(weights))
        result.backward(tinynn.tensor(weights))
        np.testing.assert_allclose(ours_input.grad.numpy(), theirs_input.grad.numpy(), err_msg=str(index))
        written = arrays.standard_normal(expected.shape)
        theirs_copy, ours_copy = torch.tensor(values), tinynn.tensor(values)
        theirs_copy[_in(torch, index)] = torch.tensor(written)
        ours_copy[_in(tinynn, index)] = tinynn.tensor(written)
        np.testing.assert_array_equal(ours_copy.numpy(), theirs_copy.numpy(), err_msg=f"assigning through {index}")
        compared += 1
    assert compared > 500


@pytest.mark.parametrize("base, index, numpy_shape", [
    ((3, 4), (2, None, [2, 3]), (2, 1)),
    ((3, 4, 4), (0, slice(None), [1, 2]), (2, 4)),
    ((4, 3), (None, [3, 1], Ellipsis, [0, 0]), (2, 1)),  # an Ellipsis of no axes parts nothing in PyTorch
])
def test_integers_beside_array_indices_select_first(base, index, numpy_shape, torch):
    values = np.arange(np.prod(base)).reshape(base)
    expected = torch.tensor(values)[index]
    assert values[index].shape == numpy_shape != tuple(expected.shape)
    x = tinynn.tensor(values)
    assert x[index].tolist() == expected.tolist()
    ours, theirs = x.clone(), torch.tensor(values)
    ours[index], theirs[index] = -1, -1
    assert ours.tolist() == theirs.tolist()


LIST_INDICES = {  # name: function of a library giving an index of the (3, 4) tensor
    "list of two lists (rows, cols)": lambda L: [[0, 1], [1, 2]],
    "list of an int and a list": lambda L: [0, [1, 3]],
    "list of a slice and an int": lambda L: [slice(None), 1],
    "list with None": lambda L: [None, 0],
    "list with Ellipsis": lambda L: [Ellipsis, 2],
    "list of two tensors": lambda L: [L.tensor([0, 2]), L.tensor([1, 3])],
    "list of ints": lambda L: [2, 0, 2],
    "list of bools": lambda L: [True, False, True],
    "empty list": lambda L: [],
    "uint8 mask": lambda L: L.tensor([1, 0, 1], dtype=L.uint8),
    "uint8 mask in a tuple": lambda L: (slice(None), L.tensor([0, 1, 1, 0], dtype=L.uint8)),
    "40 rows": lambda L: [[0], [1], [2]] * 13 + [[0]],
}


@pytest.mark.filterwarnings("ignore:indexing with dtype")
@pytest.mark.parametrize("name", list(LIST_INDICES))
def test_lists_and_uint8_masks_index_as_in_pytorch(name, torch):
    """A list holding sequences, tensors, slices, None or Ellipsis is a tuple of indices in PyTorch, so
    x[[rows, cols]] picks elements (NumPy 2's reading, one 2-D index array, picked whole rows); a uint8
    tensor is a mask (it picked rows 1, 0, 1); x[[]] selects no rows (it was an IndexError). Reads and writes."""
    values = np.arange(12.0).reshape(3, 4)
    ours, theirs = tinynn.tensor(values), torch.tensor(values)
    mine, its = LIST_INDICES[name](tinynn), LIST_INDICES[name](torch)
    assert ours[mine].tolist() == theirs[its].tolist()
    ours[mine] = -1.0
    if "uint8" in name:  # (PyTorch's write refuses a uint8 mask; tinynn's writes as through a bool mask)
        its = tuple(i.bool() if isinstance(i, torch.Tensor) else i for i in its) if isinstance(its, tuple) else its.bool()
    theirs[its] = -1.0
    assert ours.tolist() == theirs.tolist()


def test_indexing_with_uint8_warns_as_pytorch():
    with pytest.warns(UserWarning, match="indexing with dtype tinynn.uint8 is now deprecated"):
        tinynn.zeros(3)[tinynn.tensor([1, 0, 1], dtype=tinynn.uint8)]
