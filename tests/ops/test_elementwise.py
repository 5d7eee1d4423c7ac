"""exp log sqrt tanh sigmoid sin cos tan sinh cosh erf abs clip maximum: gradchecks and PyTorch parity."""
import math

import numpy as np
import pytest
from hypothesis import given, strategies as st

import tinynn
from tinynn.autograd import gradcheck
from helpers import assert_close, away_from, leaf, to_torch
from strategies import broadcastable_pairs, shapes

UNARY = {
    "exp": (lambda x: x.exp(), lambda t: t.exp(), lambda r, s: r.standard_normal(s)),
    "log": (lambda x: x.log(), lambda t: t.log(), lambda r, s: r.uniform(0.2, 3, s)),
    "sqrt": (lambda x: x.sqrt(), lambda t: t.sqrt(), lambda r, s: r.uniform(0.2, 3, s)),
    "tanh": (lambda x: x.tanh(), lambda t: t.tanh(), lambda r, s: r.standard_normal(s)),
    "sigmoid": (lambda x: x.sigmoid(), lambda t: t.sigmoid(), lambda r, s: r.standard_normal(s) * 3),
    "sin": (lambda x: x.sin(), lambda t: t.sin(), lambda r, s: r.standard_normal(s) * 3),
    "cos": (lambda x: x.cos(), lambda t: t.cos(), lambda r, s: r.standard_normal(s) * 3),
    "tan": (lambda x: x.tan(), lambda t: t.tan(), lambda r, s: r.uniform(-1.4, 1.4, s)),
    "sinh": (lambda x: x.sinh(), lambda t: t.sinh(), lambda r, s: r.standard_normal(s) * 3),
    "cosh": (lambda x: x.cosh(), lambda t: t.cosh(), lambda r, s: r.standard_normal(s) * 3),
    "erf": (lambda x: x.erf(), lambda t: t.erf(), lambda r, s: r.standard_normal(s) * 3),
    "abs": (lambda x: x.abs(), lambda t: t.abs(), lambda r, s: away_from(r.standard_normal(s), [0.0])),
    "clip": (lambda x: x.clip(-0.5, 0.7), lambda t: t.clamp(-0.5, 0.7),
             lambda r, s: away_from(r.standard_normal(s), [-0.5, 0.7])),
}


@pytest.mark.parametrize("name", UNARY)
@given(shape=shapes(max_dims=3), seed=st.integers(0, 2 ** 16))
def test_unary_gradcheck(name, shape, seed, device):
    ours, _, sample = UNARY[name]
    assert gradcheck(ours, [leaf(sample(np.random.default_rng(seed), shape), device=device)])


@pytest.mark.parametrize("name", UNARY)
def test_unary_matches_torch(name, torch, rng, device):
    ours, theirs, sample = UNARY[name]
    x = leaf(sample(rng, (3, 4)), device=device)
    tx = to_torch(torch, x, True)
    out, tout = ours(x), theirs(tx)
    assert_close(out, tout, what=f"{name} forward")
    out.sum().backward()
    tout.sum().backward()
    assert_close(x.grad, tx.grad, what=f"{name} grad")


@given(pair=broadcastable_pairs(), seed=st.integers(0, 2 ** 16))
def test_maximum_gradcheck_with_broadcasting(pair, seed, device):
    rng = np.random.default_rng(seed)
    a = leaf(rng.standard_normal(pair[0]), device=device)
    b = leaf(rng.standard_normal(pair[1]) + 0.05, device=device)  # ties have measure zero
    assert gradcheck(tinynn.maximum, [a, b])


def test_maximum_tie_splits_gradient_like_torch(torch, device):
    a, b = leaf([1.0, 2.0, 3.0], device=device), leaf([1.0, 5.0, 0.0], device=device)
    ta, tb = to_torch(torch, a, True), to_torch(torch, b, True)
    tinynn.maximum(a, b).sum().backward()
    torch.maximum(ta, tb).sum().backward()
    assert_close(a.grad, ta.grad)
    assert_close(b.grad, tb.grad)


def test_sigmoid_is_stable_for_large_inputs():
    x = tinynn.tensor([-1000.0, 0.0, 1000.0])
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        np.testing.assert_allclose(x.sigmoid().numpy(), [0.0, 0.5, 1.0])


def test_sinh_is_exact_near_zero_and_up_to_overflow(torch):
    """sinh as (e^x - e^-x) / 2 cancels near 0 (float32: 0 at 1e-8, 2e-4 off at 1e-4) and
    overflows where e^x does (89: sinh is 2.2e38, within float32)."""
    values = [1e-30, -1e-8, 1e-4, 0.1, -3.0, 89.0]
    for dtype in (np.float32, np.float64):
        x = tinynn.tensor(np.array(values, dtype=dtype))
        rtol = 2e-7 if dtype == np.float32 else 1e-15  # a unit or two in the last place
        for expected in ([math.sinh(v) for v in values], torch.sinh(torch.tensor(x.numpy())).numpy()):
            np.testing.assert_allclose(x.sinh().numpy(), expected, rtol=rtol)
        np.testing.assert_allclose(x.cosh().numpy(), [math.cosh(v) for v in values], rtol=rtol)


def test_comparisons_return_tensors_without_grad():
    x = tinynn.tensor([1.0, 2.0, 3.0], requires_grad=True)
    for result in (x > 1.5, x >= 2, x < 2, x <= 2, x == 2, x != 2):
        assert isinstance(result, tinynn.Tensor)
        assert result.dtype == bool and not result.requires_grad and result.grad_fn is None
    np.testing.assert_array_equal((x > 1.5).numpy(), [False, True, True])


def test_where_masked_fill_and_minimum_gradcheck_and_match_torch(rng, torch, device):
    a, b = leaf(rng.standard_normal((3, 4)), device=device), leaf(rng.standard_normal((1, 4)) + 0.05, device=device)
    condition = tinynn.tensor(rng.random((3, 4)) > 0.5, device=device)
    cases = [
        (lambda a, b: tinynn.where(condition, a, b), lambda a, b: torch.where(torch.tensor(condition.numpy()), a, b)),
        (lambda a, b: a.masked_fill(condition, -1.5) * b, lambda a, b: a.masked_fill(torch.tensor(condition.numpy()), -1.5) * b),
        (lambda a, b: tinynn.minimum(a, b), lambda a, b: torch.minimum(a, b)),
    ]
    for ours, theirs in cases:
        assert gradcheck(ours, [a, b])
        a.grad = b.grad = None
        ta, tb = to_torch(torch, a, True), to_torch(torch, b, True)
        out, tout = ours(a, b), theirs(ta, tb)
        assert_close(out, tout)
        out.sum().backward()
        tout.sum().backward()
        assert_close(a.grad, ta.grad)
        assert_close(b.grad, tb.grad)
    with pytest.raises(TypeError, match="where: expected a boolean condition, got dtype float32"):
        tinynn.where(tinynn.zeros(2), a, b)


@pytest.mark.parametrize("name", ["round", "floor", "ceil", "trunc", "sign", "floor division"])
def test_piecewise_constant_ops_stay_in_the_graph_with_zero_gradients_as_torchs(torch, name):
    values = np.array([1.5, -2.5, 0.3, np.inf])
    x, tx = tinynn.tensor(values, requires_grad=True), torch.tensor(values, requires_grad=True)
    if name == "floor division":
        y, ty = x.div(2.0, rounding_mode="floor"), tx.div(2.0, rounding_mode="floor")
    else:
        y, ty = getattr(x, name)(), getattr(tx, name)()
    np.testing.assert_array_equal(y.numpy(), ty.detach().numpy())
    assert y.requires_grad == ty.requires_grad is True
    y.sum().backward()
    ty.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), tx.grad.numpy())  # zeros
    with tinynn.no_grad():
        assert not getattr(x, "round")().requires_grad
    assert tinynn.tensor([1, -2]).sign().dtype == np.int64  # integers stay integers, outside any graph


# float16 computed in float32 and rounded once (Function.float16_in_float32, Tensor._rounded_once): name ->
# (the op on a tinynn or torch module's tensor, the float16 inputs it is checked on)
HALF = {name: (lambda library, x, name=name: (getattr(library, name, None) or getattr(library.nn.functional, name))(x),
               inputs)
        for name, inputs in {
            "gelu": np.linspace(-4, 8, 2001),  # (below -4, 1 + erf(x / sqrt 2) cancels in float32, PyTorch's formula too)
            **{name: np.linspace(-8, 8, 2001) for name in (
                "sigmoid", "tanh", "erf", "erfc", "exp2", "silu", "softplus", "mish", "selu", "elu", "celu",
                "hardswish", "hardsigmoid", "logsigmoid", "softsign", "sinc", "i0", "atan", "sin", "exp")},
            **{name: np.linspace(0.01, 60, 2001) for name in ("rsqrt", "log2", "log10", "log", "sqrt", "digamma")},
            "logit": np.linspace(0.001, 0.999, 2001)}.items()}


def _ulps(a, b):
    """How many float16 steps apart the float16 arrays a and b are (0 where both are NaN; -0 and +0 are one)."""
    def ordered(values):  # the float16 numbers counted in order, from -inf up to inf
        bits = values.view(np.int16).astype(np.int32)
        return np.where(bits < 0, -(bits & 0x7FFF), bits)
    return np.where(np.isnan(a) & np.isnan(b), 0, np.abs(ordered(a) - ordered(b)))


@pytest.mark.parametrize("name", sorted(HALF))
def test_float16_values_are_the_exact_ones_rounded(name, device):
    """Each step of a formula rounded to float16 compounded: sinc was thousands of steps off near its
    zeros, gelu near 0, exp2 4 steps at 256, sigmoid, erf and silu 2."""
    op, inputs = HALF[name]
    x = inputs.astype(np.float16)
    ours = op(tinynn, tinynn.tensor(x, device=device))
    exact = op(tinynn, tinynn.tensor(x.astype(np.float64), device=device)).numpy().astype(np.float16)
    assert ours.dtype == np.float16 and _ulps(ours.numpy(), exact).max() <= 1


@pytest.mark.parametrize("name", ["sigmoid", "tanh", "erf", "exp2", "silu", "softplus", "selu", "elu", "hardswish",
                                  "logsigmoid", "sinc", "i0", "log2", "atan"])
def test_float16_values_equal_pytorchs(name, torch):
    """PyTorch's CPU kernels compute half in float32 and round once: the same bits (where its formula and
    tinynn's differ, as for gelu and logit, tinynn's are the closer to the exact values; log10 differs where
    float32's value lies on a float16 midpoint, each library's float32 log10 rounding it its own way)."""
    op, inputs = HALF[name]
    x = inputs.astype(np.float16)
    np.testing.assert_array_equal(op(tinynn, tinynn.tensor(x)).numpy(), op(torch, torch.tensor(x)).numpy())


@pytest.mark.parametrize("name", ["sigmoid", "tanh", "erf", "exp", "rsqrt", "sinc", "exp2", "log2", "gelu", "mish"])
def test_float16_gradients_are_the_exact_ones_rounded(name, device):
    """The backward formulas read the float32 values the forward computed and the gradient is rounded to
    float16 once (tanh's was thousands of steps off where 1 - y^2 rounded to 0, sigmoid's 100s)."""
    op, inputs = HALF[name]
    x = inputs[::4].astype(np.float16)
    if name == "tanh":  # (beyond, 1 - y^2 cancels in float32 too: its gradient rounds to float16's subnormals)
        x = x[np.abs(x) <= 4]
    upstream = np.random.default_rng(0).standard_normal(x.shape).astype(np.float16)
    grads = []
    for dtype in (np.float16, np.float64):
        leaf = tinynn.tensor(x.astype(dtype), requires_grad=True, device=device)
        op(tinynn, leaf).backward(tinynn.tensor(upstream.astype(dtype), device=device))
        grads.append(leaf.grad.numpy())
    assert grads[0].dtype == np.float16 and _ulps(grads[0], grads[1].astype(np.float16)).max() <= 1
