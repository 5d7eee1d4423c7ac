"""sum, mean, max, logsumexp, prod, norm over axes with keepdims, cumsum, sort and topk: gradchecks and
PyTorch parity."""
import numpy as np
import pytest
from hypothesis import given, strategies as st

import tinynn
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


@pytest.mark.parametrize("op", ["sum", "mean", "amax"])
@given(case=shape_and_axis(), seed=st.integers(0, 2 ** 16))
def test_reductions_gradcheck(op, case, seed, device):
    shape, axis, keepdims = case
    x = leaf(distinct(shape, np.random.default_rng(seed)), device=device)  # distinct values: max has no ties
    assert gradcheck(lambda t: getattr(t, op)(axis, keepdims), [x])


@pytest.mark.parametrize("op", ["sum", "mean", "amax"])
def test_reductions_match_torch(op, torch, rng, device):
    x = leaf(rng.standard_normal((3, 4, 5)), device=device)
    tx = to_torch(torch, x, True)
    ours = getattr(x, op)((0, 2), True)
    theirs = getattr(torch, op)(tx, dim=(0, 2), keepdim=True)
    assert_close(ours, theirs)
    ours.sum().backward()
    theirs.sum().backward()
    assert_close(x.grad, tx.grad)


def test_max_shares_gradient_between_ties_like_amax(torch, device):
    x = leaf([[1.0, 3.0, 3.0], [2.0, 0.0, 2.0]], device=device)
    tx = to_torch(torch, x, True)
    x.amax(1).sum().backward()
    torch.amax(tx, dim=1).sum().backward()
    assert_close(x.grad, tx.grad)


@pytest.mark.parametrize("name", ["max", "min"])
def test_max_and_min_have_pytorchs_three_forms(name, torch, rng, device):
    """x.max() a value; x.max(dim) (values, indices), the gradient to that index (the first of
    ties); x.max(other) elementwise."""
    array = np.array([[1.0, 3.0, 3.0, -2.0], [2.0, 0.0, 2.0, 5.0], [-1.0, -1.0, 4.0, 0.5]])
    x, tx = leaf(array, device=device), torch.tensor(array, requires_grad=True)
    assert_close(getattr(x, name)(), getattr(tx, name)().detach())
    for keepdim in (False, True):
        values, indices = getattr(x, name)(1, keepdim=keepdim)
        t_values, t_indices = getattr(tx, name)(1, keepdim=keepdim)
        assert_close(values, t_values.detach())
        np.testing.assert_array_equal(indices.numpy(), t_indices.numpy())
        assert getattr(x, name)(1).indices.dtype == np.int64
        x.grad, tx.grad = None, None
        weights = rng.standard_normal(values.shape)
        (values * tinynn.tensor(weights, device=device)).sum().backward()
        (t_values * torch.tensor(weights)).sum().backward()
        assert_close(x.grad, tx.grad, what="the gradient goes to the index (the first of a tie)")
    other = leaf(array[::-1].copy(), device=device)
    assert_close(getattr(x, name)(other), getattr(torch, "maximum" if name == "max" else "minimum")(tx, torch.tensor(array[::-1].copy())).detach())
    with pytest.raises(TypeError, match=f"{name}: dim must be an int \\(for several dims use a{name}\\)"):
        getattr(x, name)((0, 1))


def test_axis_out_of_range_is_a_clear_error():
    with pytest.raises(IndexError, match=r"Dimension out of range \(expected to be in range of \[-2, 1\], but got 3\)"):
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
    assert_close(x.amin(dims, keepdim=case.get("keepdim", False)),
                 torch.amin(tx, dim=dims if dims is not None else tuple(range(3)), keepdim=case.get("keepdim", False)))
    assert gradcheck(lambda t: t.amin(dims), [x])
    assert (x.argmin(dim=1).numpy() == tx.argmin(dim=1).numpy()).all()


@pytest.mark.parametrize("op", ["logsumexp", "prod", "norm"])
@given(case=shape_and_axis(), seed=st.integers(0, 2 ** 16))
def test_more_reductions_gradcheck(op, case, seed, device):
    shape, axis, keepdims = case
    x = leaf(np.random.default_rng(seed).uniform(0.5, 1.5, shape) * np.random.default_rng(seed + 1).choice([-1, 1], shape),
             device=device)
    reduce = {"logsumexp": lambda t: t.logsumexp(axis, keepdims), "prod": lambda t: t.prod(axis, keepdims),
              "norm": lambda t: t.norm(dim=axis, keepdim=keepdims)}[op]
    assert gradcheck(reduce, [x])


@pytest.mark.parametrize("op, kwargs", [("logsumexp", dict(dim=1)), ("logsumexp", dict(dim=(0, 2), keepdim=True)),
                                        ("prod", dict(dim=1)), ("prod", dict()), ("norm", dict()),
                                        ("norm", dict(dim=2, keepdim=True)), ("norm", dict(p=1, dim=0)),
                                        ("norm", dict(p=float("inf"), dim=1)), ("norm", dict(p=3, dim=(0, 1))),
                                        ("cumsum", dict(dim=1)), ("cumsum", dict(dim=-1))], ids=str)
def test_more_reductions_match_torch(op, kwargs, torch, rng, device):
    values = rng.standard_normal((3, 4, 5))
    values[1, 2, 3] = 0.0  # a zero in the product: its gradient is the product of the others
    x = leaf(values, device=device)
    tx = to_torch(torch, x, True)
    ours, theirs = getattr(x, op)(**kwargs), getattr(tx, op)(**kwargs)
    assert_close(ours, theirs, rtol=1e-10, atol=1e-12)
    grad = rng.standard_normal(ours.shape)
    ours.backward(tinynn.tensor(grad, device=device))
    theirs.backward(torch.tensor(grad))
    assert_close(x.grad, tx.grad, rtol=1e-10, atol=1e-12)


def test_logsumexp_is_stable_and_the_norm_of_zero_has_a_zero_gradient(device):
    x = leaf([[1000.0, 1000.0], [-np.inf, -np.inf]], device=device)
    np.testing.assert_allclose(x.logsumexp(1).numpy(), [1000 + np.log(2), -np.inf])
    zero = leaf(np.zeros(3), device=device)
    zero.norm().backward()
    np.testing.assert_array_equal(zero.grad.numpy(), np.zeros(3))


@pytest.mark.parametrize("descending", [False, True])
def test_sort_and_topk_match_torch(torch, rng, device, descending):
    values = np.round(rng.standard_normal((4, 6)), 1)
    values[0, :3] = 0.5  # ties keep their order (a stable sort), as torch's stable=True
    x = leaf(values, device=device)
    tx = to_torch(torch, x, True)
    ours = x.sort(dim=1, descending=descending)
    theirs = torch.sort(tx, dim=1, descending=descending, stable=True)
    np.testing.assert_array_equal(ours.indices.numpy(), theirs.indices.numpy())
    assert_close(ours.values, theirs.values)
    top, torch_top = x.topk(3, dim=0, largest=not descending), torch.topk(tx, 3, dim=0, largest=not descending)
    assert_close(top.values, torch_top.values)
    (ours.values * tinynn.tensor(np.arange(6.0), device=device)).sum().backward()
    (theirs.values * torch.arange(6.0, dtype=torch.float64)).sum().backward()
    assert_close(x.grad, tx.grad)
    values_out, indices_out = x.topk(2)
    assert values_out.shape == indices_out.shape == (4, 2) and indices_out.dtype == np.int64
    with pytest.raises(ValueError, match=r"topk: k must be an int in \[0, 6\]"):
        x.topk(7)


@pytest.mark.parametrize("shape, dim", [((0, 3), -1), ((3, 0), 0), ((2, 0, 4), 2), ((2, 0, 4), (0, 2))])
def test_reductions_over_full_dimensions_of_an_empty_tensor_give_empty_results_as_torchs(torch, shape, dim):
    """A zero-length dimension that is kept makes an empty result, not an error (as PyTorch's)."""
    values = np.ones(shape, dtype=np.float32)
    ours, theirs = tinynn.tensor(values, requires_grad=True), torch.tensor(values, requires_grad=True)
    for name in ("amax", "amin", "logsumexp"):
        mine, its = getattr(ours, name)(dim), getattr(theirs, name)(dim)
        assert mine.shape == tuple(its.shape), name
        mine.sum().backward()
        assert ours.grad.shape == shape


def test_reductions_over_an_empty_dimension(torch):
    """logsumexp of nothing is log 0 = -inf; a maximum of nothing has no value and says so."""
    values = np.ones((3, 0), dtype=np.float32)
    np.testing.assert_array_equal(tinynn.tensor(values).logsumexp(1).numpy(),
                                  torch.tensor(values).logsumexp(1).numpy())
    assert tinynn.tensor(values).logsumexp(1).numpy().tolist() == [-np.inf] * 3
    with pytest.raises(ValueError, match=r"max: cannot take the maximum over dimension 1, of length 0 in the input of "
                                         r"shape \(3, 0\)"):
        tinynn.tensor(values).amax(1)
    with pytest.raises(ValueError, match=r"min: cannot take the minimum of an empty tensor \(shape \(3, 0\)\)"):
        tinynn.tensor(values).amin()
    assert np.isnan(tinynn.tensor(values).median().item()) and np.isnan(torch.tensor(values).median().item())
    with pytest.raises(ValueError, match="median: an empty int64 tensor has no median"):
        tinynn.tensor(np.zeros(0, dtype=np.int64)).median()


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax_over_an_empty_dimension_is_empty(torch, name):
    values = np.ones((3, 0), dtype=np.float32)
    x = tinynn.tensor(values, requires_grad=True)
    y = getattr(tinynn.nn.functional, name)(x, dim=-1)
    assert y.shape == tuple(getattr(torch.nn.functional, name)(torch.tensor(values), dim=-1).shape) == (3, 0)
    y.sum().backward()
    assert x.grad.shape == (3, 0)


@pytest.mark.parametrize("shape, dim", [((0,), None), ((2, 0), 1), ((2, 0), None), ((0, 3), 0), ((0, 3), 1)])
def test_the_product_of_no_elements_is_1_with_an_empty_gradient(shape, dim):
    """(The backward built its cumulative products for a row of one element: a reshape error.)"""
    x = tinynn.zeros(shape, dtype=tinynn.float64, requires_grad=True)
    product = x.prod() if dim is None else x.prod(dim)
    assert (product.numpy() == 1).all()
    product.sum().backward()
    assert x.grad.shape == shape


def test_medians_of_nothing_are_nan_and_refuse_an_empty_dim_as_pytorchs():
    """(median of no elements was a constant, cut from the graph; nanmedian of no elements indexed past
    the end; nanmedian along an empty dim gave a value.)"""
    x = tinynn.zeros(2, 0, requires_grad=True)
    median = x.median()
    assert np.isnan(median.item()) and median.requires_grad
    median.backward()
    assert x.grad.shape == (2, 0)
    assert np.isnan(x.nanmedian().item())
    with pytest.raises(IndexError, match=r"nanmedian\(\): Expected reduction dim 1 to have non-zero size"):
        x.nanmedian(1)
