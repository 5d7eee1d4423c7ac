"""Storages (tinynn/storage.py): the memory block behind a tensor and its views, as PyTorch's."""
import warnings

import numpy as np
import pytest

import tinynn


def test_views_share_one_storage_whose_bytes_and_elements_match_torchs(torch, rng):
    values = rng.standard_normal(12).astype(np.float32)
    ours, theirs = tinynn.tensor(values), torch.tensor(values)
    for view, reference in ((ours[3:], theirs[3:]), (ours.view(3, 4).t(), theirs.view(3, 4).t()),
                            (ours.view(3, 4)[1], theirs.view(3, 4)[1])):
        storage, expected = view.untyped_storage(), reference.untyped_storage()
        assert storage.data_ptr() == ours.untyped_storage().data_ptr() and view.storage_offset() == reference.storage_offset()
        assert storage.nbytes() == expected.nbytes() == len(storage) and storage.tolist() == expected.tolist()
        assert storage[5] == expected[5] and storage.element_size() == 1 and storage.device == tinynn.device("cpu")
        with pytest.warns(UserWarning, match="TypedStorage is deprecated"):
            typed = view.storage()
        with warnings.catch_warnings():  # (PyTorch warns once per process)
            warnings.simplefilter("ignore")
            expected_typed = reference.storage()
        assert typed.size() == expected_typed.size() == len(typed) and typed.dtype == np.float32
        assert typed.tolist() == expected_typed.tolist() and typed[2] == expected_typed[2] and typed.nbytes() == 48
    assert ours.view(3, 4).is_set_to(ours.view(3, 4)) and ours[:].is_set_to(ours)
    assert not ours[1:].is_set_to(ours) and not ours.view(3, 4).is_set_to(ours)
    assert theirs[:].is_set_to(theirs) and not theirs[1:].is_set_to(theirs)
    assert ours.clone().untyped_storage().data_ptr() != ours.untyped_storage().data_ptr()


def test_writing_through_a_storage_reaches_every_tensor_on_it(device):
    x = tinynn.zeros(4, device=device)
    view = x[2:]
    x.untyped_storage().fill_(0)
    with pytest.warns(UserWarning):
        typed = view.storage()
    typed[3] = 5.0
    assert x.tolist() == [0.0, 0.0, 0.0, 5.0] and view.tolist() == [0.0, 5.0]
    storage = x.untyped_storage()
    copy = storage.clone()
    storage[12:16] = 0  # the bytes of the 5.0
    last = storage[12:16]  # a storage on those same bytes
    last[3] = 64
    assert x.tolist() == [0.0, 0.0, 0.0, 2.0] and last.nbytes() == 4 and last.data_ptr() == storage.data_ptr() + 12
    last.fill_(0)
    assert x.tolist() == [0.0] * 4 and copy.tolist() != storage.tolist() and copy.cpu().nbytes() == 16
    assert x.untyped_storage().device == x.device


def test_new_storages_and_is_storage():
    assert tinynn.UntypedStorage(3).tolist() == [0, 0, 0] and tinynn.UntypedStorage([1, 2, 255]).tolist() == [1, 2, 255]
    assert repr(tinynn.UntypedStorage([7, 8])) == " 7\n 8\n[tinynn.storage.UntypedStorage(device=cpu) of size 2]"
    assert tinynn.is_storage(tinynn.UntypedStorage(1)) and not tinynn.is_storage(tinynn.zeros(1))
    buffer = bytearray(8)
    shared = tinynn.frombuffer(buffer, dtype=tinynn.float32)
    assert shared.untyped_storage().nbytes() == 8 and shared[1:].untyped_storage().data_ptr() == shared.data_ptr()
    strided = tinynn.as_strided(tinynn.arange(10.0), (3, 3), (1, 1))
    assert strided.untyped_storage().nbytes() == 40  # ten float32 values


def test_set_makes_a_view_of_a_tensor_or_a_storage_as_pytorchs(torch):
    values = np.arange(6.0, dtype=np.float32).reshape(2, 3)
    ours, theirs = tinynn.tensor(values), torch.tensor(values)
    ours_view, theirs_view = tinynn.zeros(4), torch.zeros(4)
    ours_view.set_(ours)
    theirs_view.set_(theirs)
    ours_view[1, 2], theirs_view[1, 2] = 60.0, 60.0  # writes reach the source
    assert ours.tolist() == theirs.tolist() and ours_view.shape == tuple(theirs_view.shape)
    for offset, size, stride in ((1, (2, 2), (2, 1)), (0, (3,), (2,)), (4, None, None)):
        ours_part, theirs_part = tinynn.zeros(1).set_(ours.untyped_storage(), offset, size, stride), torch.zeros(1)
        if size is None:
            theirs_part.set_(theirs.untyped_storage(), offset, (2,), (1,))
        else:
            theirs_part.set_(theirs.untyped_storage(), offset, size, stride)
        assert ours_part.tolist() == theirs_part.tolist()
    assert tinynn.zeros(3).set_().shape == (0,)
    with pytest.raises(ValueError, match=r"set_: size \(4,\) with stride \(2,\) from offset 0 reaches past the storage's 6"):
        tinynn.zeros(1).set_(ours.untyped_storage(), 0, (4,), (2,))
    with pytest.raises(RuntimeError, match="set_: cannot set the memory of a tensor that requires grad"):
        tinynn.zeros(2, requires_grad=True).set_(ours)
    leaf = tinynn.zeros(2, requires_grad=True)
    with tinynn.no_grad():  # (a parameter's memory may be set there, as in PyTorch)
        assert leaf.set_(tinynn.ones(2)).tolist() == [1.0, 1.0] and leaf.requires_grad
    computed = tinynn.zeros(2, requires_grad=True) * 1
    with pytest.raises(RuntimeError, match="set_: cannot set the memory"), tinynn.no_grad():
        computed.set_(ours)  # (a result of recorded ops: never)
    with pytest.raises(TypeError, match="set_: expected a Tensor, a storage or nothing, got list"):
        tinynn.zeros(2).set_([1.0])
