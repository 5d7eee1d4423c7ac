"""tinynn.Size: what tensors' shapes are, compared with torch.Size where PyTorch is installed."""
import copy
import io
import pickle

import hypothesis.strategies as st
import numpy as np
import pytest
from hypothesis import given

import tinynn

shapes = st.lists(st.integers(0, 5), max_size=4)


@given(sizes=shapes)
def test_a_size_is_the_tuple_of_its_sizes_and_prints_as_a_size(sizes):
    size = tinynn.Size(sizes)
    assert isinstance(size, tuple) and size == tuple(sizes) and hash(size) == hash(tuple(sizes))
    assert repr(size) == str(size) == f"{size}" == f"tinynn.Size({sizes})"
    assert size.numel() == int(np.prod(sizes, dtype=np.int64)) and type(size.numel()) is int
    assert np.zeros(size).shape == tuple(sizes)


@given(sizes=shapes, start=st.integers(-5, 5), stop=st.integers(-5, 5), times=st.integers(0, 3))
def test_slicing_adding_and_repeating_keep_a_size_as_torch_size_does(sizes, start, stop, times):
    size = tinynn.Size(sizes)
    for result, expected in ((size[start:stop], tuple(sizes)[start:stop]), (size + (7,), tuple(sizes) + (7,)),
                             ((7,) + size, (7,) + tuple(sizes)), (size + size, tuple(sizes) * 2),
                             (size * times, tuple(sizes) * times), (times * size, tuple(sizes) * times)):
        assert type(result) is tinynn.Size and result == expected
    if sizes:
        assert type(size[0]) is int and size[-1] == sizes[-1]


def test_shapes_of_tensors_and_what_reports_them_are_sizes():
    x = tinynn.zeros(2, 3, 4)
    for shape in (x.shape, x.size(), x.T.shape, x[0].shape, tinynn.nn.Parameter(x).shape,
                  tinynn.broadcast_shapes((2, 1), (3,)), tinynn.sparse_coo_tensor([[0], [1]], [1.0], (2, 2)).shape,
                  tinynn.distributions.Normal(tinynn.zeros(3), 1.0).batch_shape,
                  tinynn.distributions.Normal(tinynn.zeros(3), 1.0).event_shape):
        assert type(shape) is tinynn.Size
    assert x.size(1) == 3 and type(x.size(1)) is int
    assert tinynn.zeros(x.shape).shape == (2, 3, 4) and x.reshape(x.shape[1:] + (2,)).shape == (3, 4, 2)


def test_entries_must_be_integers():
    assert tinynn.Size([np.int64(3), tinynn.tensor(2), True]) == (3, 2, 1)
    assert tinynn.Size(n for n in (4, 5)) == (4, 5) and tinynn.Size() == ()
    with pytest.raises(TypeError, match=r"Size\(\) takes an iterable of 'int' \(item 1 is 'float'\)"):
        tinynn.Size([2, 3.0])
    with pytest.raises(TypeError, match=r"item 0 is 'str'"):
        tinynn.Size("ab")
    with pytest.raises(TypeError, match="not iterable"):
        tinynn.Size(3)
    with pytest.raises(TypeError):
        tinynn.Size([tinynn.tensor(2.5)])
    with pytest.raises(TypeError, match="can only concatenate|unsupported operand"):
        tinynn.Size([2]) + [3]


def test_a_size_survives_pickling_copying_and_both_checkpoint_formats(tmp_path):
    size = tinynn.Size([2, 3])
    for copied in (pickle.loads(pickle.dumps(size)), copy.deepcopy(size), copy.copy(size)):
        assert type(copied) is tinynn.Size and copied == size
    for name in ("state.tinynn", "state.pt"):
        tinynn.save({"shape": size, "pair": (2, 3)}, tmp_path / name)
        loaded = tinynn.load(tmp_path / name)
        assert type(loaded["shape"]) is tinynn.Size and loaded["shape"] == size
        assert type(loaded["pair"]) is tuple and loaded["pair"] == (2, 3)


def test_matches_torch_size(torch):
    for sizes in ([], [5], [2, 3, 4], [0, 7]):
        ours, theirs = tinynn.Size(sizes), torch.Size(sizes)
        assert repr(ours) == repr(theirs).replace("torch.", "tinynn.")
        assert ours.numel() == theirs.numel() and ours[1:] == theirs[1:] and ours * 2 == theirs * 2
        assert tinynn.zeros(sizes).shape == torch.zeros(sizes).shape


def test_shapes_cross_to_and_from_torch_checkpoints(torch):
    buffer = io.BytesIO()
    tinynn.save({"shape": tinynn.zeros(2, 3).shape}, buffer, format="torch")
    buffer.seek(0)
    theirs = torch.load(buffer, weights_only=True)["shape"]
    assert type(theirs) is torch.Size and theirs == (2, 3)
    buffer = io.BytesIO()
    torch.save({"shape": torch.zeros(4, 5).shape}, buffer)
    buffer.seek(0)
    ours = tinynn.load(buffer)["shape"]
    assert type(ours) is tinynn.Size and ours == (4, 5)
