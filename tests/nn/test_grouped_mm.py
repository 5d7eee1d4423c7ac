"""F.grouped_mm, the mixture-of-experts grouped product: its four layouts against PyTorch's (where its
CPU kernel runs) and against per-group products, gradients, the uncovered tail, and errors."""
import numpy as np
import pytest

import tinynn
from tinynn.autograd import gradcheck

F = tinynn.nn.functional
RNG = np.random.default_rng(17)


def values(*shape, dtype=np.float32):
    return RNG.standard_normal(shape).astype(dtype)


def test_layouts_equal_pytorchs(torch):
    tokens, experts = values(10, 8), values(3, 8, 8)
    ends = np.array([3, 7, 9], dtype=np.int32)
    ours = F.grouped_mm(tinynn.tensor(tokens), tinynn.tensor(experts), offs=tinynn.tensor(ends))
    theirs = torch.nn.functional.grouped_mm(torch.tensor(tokens), torch.tensor(experts), offs=torch.tensor(ends))
    np.testing.assert_allclose(ours.numpy()[:9], theirs.numpy()[:9], rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(ours.numpy()[9], 0)  # no group's row (PyTorch leaves it unset)
    batched = values(3, 4, 8)
    np.testing.assert_allclose(F.grouped_mm(tinynn.tensor(batched), tinynn.tensor(experts)).numpy(),
                               torch.nn.functional.grouped_mm(torch.tensor(batched), torch.tensor(experts)).numpy(),
                               rtol=1e-5, atol=1e-5)
    wide, column_ends = values(8, 16), np.array([8, 16, 16], dtype=np.int32)
    np.testing.assert_allclose(
        F.grouped_mm(tinynn.tensor(batched), tinynn.tensor(wide), offs=tinynn.tensor(column_ends)).numpy(),
        torch.nn.functional.grouped_mm(torch.tensor(batched), torch.tensor(wide), offs=torch.tensor(column_ends)).numpy(),
        rtol=1e-5, atol=1e-5)


def test_the_weight_gradient_layout_is_per_group_products():
    a, b = values(4, 10, dtype=np.float64), values(10, 5, dtype=np.float64)
    ends = [3, 7, 10]
    out = F.grouped_mm(tinynn.tensor(a), tinynn.tensor(b), offs=tinynn.tensor(np.array(ends, dtype=np.int32)))
    assert out.shape == (3, 4, 5)
    for g, (start, end) in enumerate(zip([0] + ends[:-1], ends)):
        np.testing.assert_allclose(out.numpy()[g], a[:, start:end] @ b[start:end], rtol=1e-12)


def test_gradients_and_bias():
    ends = tinynn.tensor(np.array([2, 5], dtype=np.int32))
    inputs = [tinynn.tensor(values(6, 3, dtype=np.float64), requires_grad=True),
              tinynn.tensor(values(2, 3, 4, dtype=np.float64), requires_grad=True),
              tinynn.tensor(values(2, 4, dtype=np.float64), requires_grad=True)]
    assert gradcheck(lambda a, b, bias: F.grouped_mm(a, b, offs=ends, bias=bias), inputs)
    out = F.grouped_mm(*inputs[:2], offs=ends, bias=inputs[2])
    np.testing.assert_allclose(out.detach().numpy()[2:5], inputs[0].detach().numpy()[2:5] @
                               inputs[1].detach().numpy()[1] + inputs[2].detach().numpy()[1], rtol=1e-12)
    assert F.grouped_mm(*inputs[:2], offs=ends, out_dtype=tinynn.float32).dtype == np.float32


@pytest.mark.parametrize("call, message", [
    (lambda: F.grouped_mm(tinynn.ones(4, 3), tinynn.ones(2, 3, 5)), "offs is needed exactly when"),
    (lambda: F.grouped_mm(tinynn.ones(2, 4, 3), tinynn.ones(2, 3, 5), offs=tinynn.tensor([1, 2])),
     "offs is needed exactly when"),
    (lambda: F.grouped_mm(tinynn.ones(4, 3), tinynn.ones(2, 3, 5), offs=tinynn.tensor([3, 1])), "must rise"),
    (lambda: F.grouped_mm(tinynn.ones(4, 3), tinynn.ones(2, 3, 5), offs=tinynn.tensor([1, 9])), "at most"),
    (lambda: F.grouped_mm(tinynn.ones(4, 3), tinynn.ones(3, 3, 5), offs=tinynn.tensor([1, 4])), "group counts"),
    (lambda: F.grouped_mm(tinynn.ones(4), tinynn.ones(3, 3, 5)), "2-D or 3-D"),
])
def test_bad_input_is_named(call, message):
    with pytest.raises(ValueError, match=message):
        call()
