"""tinynn.testing.assert_close and make_tensor, as torch.testing's: the same verdicts and messages
(mismatched elements, greatest differences and where, tolerances by dtype), across nested lists and
dicts, and random test tensors of the asked shape, dtype, range and layout."""
import numpy as np
import pytest

import tinynn
from tinynn.testing import assert_close, make_tensor

PAIRS = [
    ([1.0, 2.0, 3.0], [1.0, 2.5, 3.0], {}),
    ([1.0, 2.0], [1.0, 2.0 + 1e-6], {}),  # within float32's defaults
    ([1.0, 2.0], [1.0, 2.0 + 1e-4], {}),
    ([1.0, 2.0], [1.0, 2.1], dict(rtol=0.1, atol=0.0)),
    ([float("nan"), 1.0], [float("nan"), 1.0], {}),
    ([float("nan"), 1.0], [float("nan"), 1.0], dict(equal_nan=True)),
    ([[1, 2], [3, 4]], [[1, 2], [3, 5]], {}),
    ([True, False], [True, True], {}),
    ([1 + 1j, 2j], [1 + 1j, 2.000001j], {}),  # complex64's defaults (complex values compared exactly before)
    ([1 + 1j, 2j], [1 + 1.01j, 2j], {}),
    ([1 + 1j], [1.1 + 1j], dict(rtol=0.0, atol=0.2)),
]


def outcome(function, *args, **kwargs):
    try:
        function(*args, **kwargs)
    except AssertionError as error:
        return str(error)
    return None


@pytest.mark.parametrize("actual, expected, options", PAIRS)
def test_verdicts_and_messages_equal_torchs(torch, actual, expected, options):
    first = np.asarray(actual).flat[0]
    dtype = np.float32 if isinstance(first, float) else np.complex64 if isinstance(first, complex) else None
    ours = outcome(assert_close, tinynn.tensor(np.asarray(actual, dtype=dtype)),
                   tinynn.tensor(np.asarray(expected, dtype=dtype)), **options)
    theirs = outcome(torch.testing.assert_close, torch.tensor(np.asarray(actual, dtype=dtype)),
                     torch.tensor(np.asarray(expected, dtype=dtype)), **options)
    assert ours == theirs


def test_attributes_are_checked_before_values(torch):
    assert outcome(assert_close, tinynn.ones(2, 3), tinynn.ones(3, 2)) == \
        "The values for attribute 'shape' do not match: (2, 3) != (3, 2)."
    assert outcome(assert_close, tinynn.ones(2), tinynn.ones(2, dtype=tinynn.float64)) == \
        "The values for attribute 'dtype' do not match: float32 != float64."
    assert outcome(assert_close, tinynn.ones(2), tinynn.ones(2, dtype=tinynn.float64), check_dtype=False) is None
    assert outcome(assert_close, tinynn.ones(2), np.ones(2, dtype=np.float32)) is None  # arrays compare as tensors


def test_check_stride_compares_the_strides_as_torchs(torch):
    """(It was accepted and ignored.)"""
    pairs = {"transposed": lambda L: (L.ones(2, 3).t(), L.ones(3, 2)), "same": lambda L: (L.ones(3, 2), L.zeros(3, 2) + 1),
             "sliced": lambda L: (L.ones(4, 2)[::2], L.ones(2, 2))}
    for name, make in pairs.items():
        for check_stride in (False, True):
            ours = outcome(assert_close, *make(tinynn), check_stride=check_stride)
            theirs = outcome(torch.testing.assert_close, *make(torch), check_stride=check_stride)
            assert ours == theirs, (name, check_stride)
    assert outcome(assert_close, np.ones((2, 3)).T, tinynn.ones(3, 2, dtype=tinynn.float64), check_stride=True) == \
        "The values for attribute 'stride()' do not match: (1, 3) != (2, 1)."  # (an array's in elements, not bytes)
    assert outcome(assert_close, [tinynn.ones(2, 2).t()], [tinynn.ones(2, 2)], check_stride=True) == \
        "The values for attribute 'stride()' do not match: (1, 2) != (2, 1).\n\nThe failure occurred for item [0]"


def test_nested_structures_name_the_failing_item(torch):
    ours = outcome(assert_close, {"a": [tinynn.ones(2), 1.0]}, {"a": [tinynn.ones(2), 1.5]})
    theirs = outcome(torch.testing.assert_close, {"a": [torch.ones(2), 1.0]}, {"a": [torch.ones(2), 1.5]})
    assert ours == theirs and ours.endswith("The failure occurred for item ['a'][1]")
    assert outcome(assert_close, [1, 2], [1, 2, 3]) == "The length of the sequences mismatch: 2 != 3"
    assert "Missing keys in the actual mapping: [\"'b'\"]" in outcome(assert_close, {"a": 1}, {"a": 1, "b": 2})
    assert outcome(assert_close, tinynn.ones(2), tinynn.zeros(2), msg="custom") == "custom"
    assert outcome(assert_close, tinynn.ones(2), tinynn.zeros(2), msg=lambda m: m.upper()).startswith("TENSOR-LIKES")
    with pytest.raises(ValueError, match="Both 'rtol' and 'atol' must be either specified or omitted"):
        assert_close(tinynn.ones(1), tinynn.ones(1), rtol=1e-3)
    with pytest.raises(TypeError, match="cannot compare str and Tensor"):
        assert_close("a", tinynn.ones(1))


@pytest.mark.filterwarnings("ignore:Sparse invariant checks")  # (PyTorch's note on making sparse tensors)
def test_sparse_tensors_compare_coalesced(torch):
    coalesced = tinynn.sparse_coo_tensor([[0, 2]], [[1.0, 2.0], [3.0, 4.0]], (3, 2))
    shuffled = tinynn.sparse_coo_tensor([[2, 0, 2]], [[3.0, 4.0], [1.0, 2.0], [0.0, 0.0]], (3, 2))
    assert outcome(assert_close, coalesced, shuffled) is None  # the same entries: equal
    their_coalesced = torch.sparse_coo_tensor([[0, 2]], [[1.0, 2.0], [3.0, 4.0]], (3, 2))
    other_rows = [[0, 1]], [[1.0, 2.0], [3.0, 4.0]], (3, 2)
    assert (outcome(assert_close, coalesced, tinynn.sparse_coo_tensor(*other_rows))
            == outcome(torch.testing.assert_close, their_coalesced, torch.sparse_coo_tensor(*other_rows)))
    other_values = [[0, 2]], [[1.0, 2.0], [3.0, 4.5]], (3, 2)
    ours = outcome(assert_close, coalesced, tinynn.sparse_coo_tensor(*other_values))
    assert ours == outcome(torch.testing.assert_close, their_coalesced, torch.sparse_coo_tensor(*other_values))
    assert ours.startswith("Sparse COO values are not close!")
    assert outcome(assert_close, coalesced, coalesced.to_dense()) == \
        "The values for attribute 'layout' do not match: tinynn.sparse_coo != tinynn.strided."
    assert outcome(assert_close, coalesced, coalesced.to_dense(), check_layout=False) is None
    assert outcome(assert_close, coalesced.to_dense().numpy(), coalesced, check_layout=False) is None
    assert "number of specified values" in outcome(assert_close, coalesced, tinynn.sparse_coo_tensor([[0]], [[1.0, 2.0]],
                                                                                                    (3, 2)))


def test_make_tensor_draws_what_is_asked(device):
    floats = make_tensor(200, 3, dtype=tinynn.float64, device=device, low=-2, high=3)
    assert floats.shape == (200, 3) and floats.dtype == np.float64 and floats.device == device
    assert floats.numpy().min() >= -2 and floats.numpy().max() < 3
    integers = make_tensor((50,), dtype=tinynn.uint8, exclude_zero=True)
    assert integers.dtype == np.uint8 and 1 <= integers.numpy().min() and integers.numpy().max() <= 9
    strided = make_tensor(4, 5, dtype=tinynn.float32, noncontiguous=True, requires_grad=True)
    assert strided.shape == (4, 5) and not strided._array.flags.c_contiguous and strided.requires_grad
    assert make_tensor(3, dtype=tinynn.bool).dtype == np.bool_


@pytest.mark.parametrize("dtype", ["float32", "int64"])
def test_make_tensor_refuses_an_empty_range_as_torchs(torch, dtype):
    """(A float range of low > high drew from [high, low) without a word.)"""
    for library, make in ((tinynn, make_tensor), (torch, torch.testing.make_tensor)):
        with pytest.raises(ValueError, match="`low` must be less than `high`, but got 2 >= 1"):
            make(3, dtype=getattr(library, dtype), device="cpu", low=2, high=1)
