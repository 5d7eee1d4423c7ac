"""A Python number written into a tensor (fills, assignments, factories, clamp bounds, where, pad,
scatter, tensor(data, dtype=)) fits its dtype or is refused with PyTorch's error, as PyTorch decides:
NumPy wrapped 300 into uint8 as 44, truncated -1.5 to 255 and made inf of 1e39 in float32, silently."""
import itertools

import numpy as np
import pytest

import tinynn


def _assigned(module, dtype, value):
    x = module.zeros(2, dtype=dtype)
    x[0] = value
    return x


WRITES = {  # name -> function(module, dtype, value)
    "fill_": lambda m, d, v: m.zeros(2, dtype=d).fill_(v),
    "x[i] = v": _assigned,
    "masked_fill": lambda m, d, v: m.zeros(2, dtype=d).masked_fill(m.tensor([True, False]), v),
    "index_fill": lambda m, d, v: m.zeros(2, dtype=d).index_fill(0, m.tensor([0]), v),
    "fill_diagonal_": lambda m, d, v: m.zeros(2, 2, dtype=d).fill_diagonal_(v),
    "full": lambda m, d, v: m.full((2,), v, dtype=d),
    "new_full": lambda m, d, v: m.zeros(2, dtype=d).new_full((2,), v),
    "full_like": lambda m, d, v: m.full_like(m.zeros(2, dtype=d), v),
    "tensor": lambda m, d, v: m.tensor([v, 1], dtype=d),
    "clamp": lambda m, d, v: m.zeros(2, dtype=d).clamp(max=v),
    "where": lambda m, d, v: m.where(m.tensor([True, False]), m.zeros(2, dtype=d), v),
    "pad": lambda m, d, v: m.nn.functional.pad(m.zeros(2, dtype=d), (1, 0), value=v),
    "scatter": lambda m, d, v: m.zeros(2, dtype=d).scatter(0, m.tensor([0]), v),
}
DTYPES = ["uint8", "int8", "int16", "int32", "int64", "float16", "float32", "bool"]
VALUES = [300, -1, -255, -256, 200, 40000, 2 ** 40, 2.7, -1.5, 255.5, 1e6, 1e39, float("inf"), float("nan"), True]


@pytest.mark.parametrize("write", sorted(WRITES))
def test_numbers_that_do_not_fit_the_dtype_are_refused_as_in_pytorch(write, torch):
    compared = refused = 0
    for dtype, value in itertools.product(DTYPES, VALUES):
        if write == "clamp" and dtype == "bool":
            continue  # PyTorch has no clamp of bools
        what = f"{write} of {value!r} into {dtype}"
        try:
            expected = WRITES[write](torch, getattr(torch, dtype), value)
        except RuntimeError as error:
            with pytest.raises(RuntimeError) as raised:
                WRITES[write](tinynn, getattr(tinynn, dtype), value)
            assert str(raised.value) == str(error), what
            refused += 1
            continue
        result = WRITES[write](tinynn, getattr(tinynn, dtype), value)
        assert str(result.dtype).split(".")[-1] == str(expected.dtype).split(".")[-1], what
        np.testing.assert_array_equal(result.numpy(), expected.numpy(), err_msg=what)
        compared += 1
    assert compared and refused
