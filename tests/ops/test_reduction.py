"""sum, mean, max over axes with keepdims: gradchecks and PyTorch parity."""
import numpy as np
import pytest
from hypothesis import given, strategies as st

from tinynn.autograd import gradcheck
from helpers import assert_close, distinct, leaf, to_torch
from strategies import shapes


@st.composite
def shape_and_axis(draw):
    shape = draw(shapes(min_dims=1, max_dims=3))
    axis = draw(st.one_of(st.none(), st.integers(-len(shape), len(shape) - 1),
                          st.lists(st.integers(0, len(shape) - 1), min_size=1, max_size=len(shape), unique=True)
                          .map(tuple)))
    return shape, axis, draw(st.booleans())


@pytest.mark.parametrize("op", ["sum", "mean", "max"])
@given(case=shape_and_axis(), seed=st.integers(0, 2 ** 16))
def test_reductions_gradcheck(op, case, seed, device):
    shape, axis, keepdims = case
    x = leaf(distinct(shape, np.random.default_rng(seed)), device=device)  # distinct values: max has no ties
    assert gradcheck(lambda t: getattr(t, op)(axis=axis, keepdims=keepdims), [x])


@pytest.mark.parametrize("op", ["sum", "mean", "amax"])
def test_reductions_match_torch(op, torch, rng, device):
    x = leaf(rng.standard_normal((3, 4, 5)), device=device)
    tx = to_torch(torch, x, True)
    ours = getattr(x, "max" if op == "amax" else op)(axis=(0, 2), keepdims=True)
    theirs = getattr(torch, op)(tx, dim=(0, 2), keepdim=True)
    assert_close(ours, theirs)
    ours.sum().backward()
    theirs.sum().backward()
    assert_close(x.grad, tx.grad)


def test_max_shares_gradient_between_ties_like_amax(torch, device):
    x = leaf([[1.0, 3.0, 3.0], [2.0, 0.0, 2.0]], device=device)
    tx = to_torch(torch, x, True)
    x.max(axis=1).sum().backward()
    torch.amax(tx, dim=1).sum().backward()
    assert_close(x.grad, tx.grad)


def test_axis_out_of_range_is_a_clear_error():
    with pytest.raises(ValueError, match="sum: axis 3 is out of range for a tensor with 2 dimensions"):
        leaf(np.zeros((2, 2))).sum(axis=3)


@pytest.mark.parametrize("case", [dict(), dict(dim=1), dict(dim=(0, 2), keepdim=True), dict(dim=1, unbiased=False),
                                  dict(dim=0, correction=0)], ids=str)
def test_var_std_and_min_gradcheck_and_match_torch(case, rng, torch, device):
    x = leaf(distinct((3, 4, 2), rng), device=device)
    tx = to_torch(torch, x, True)
    for name in ("var", "std"):
        assert gradcheck(lambda t: getattr(t, name)(**case), [x])
        assert_close(getattr(x, name)(**case), getattr(tx, name)(**case), rtol=1e-10)
    dims = case.get("dim")
    assert_close(x.min(dims, keepdims=case.get("keepdim", False)),
                 torch.amin(tx, dim=dims if dims is not None else tuple(range(3)), keepdim=case.get("keepdim", False)))
    assert gradcheck(lambda t: t.min(dims), [x])
    assert (x.argmin(dim=1).numpy() == tx.argmin(dim=1).numpy()).all()
