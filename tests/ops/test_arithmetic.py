"""+ - * / ** @ and unary minus: gradchecks over broadcasting shapes, PyTorch parity, errors."""
import numpy as np
import pytest
from hypothesis import given, strategies as st

import tinynn
from tinynn.autograd import gradcheck
from helpers import assert_close, leaf, to_torch
from strategies import broadcastable_pairs

BINARY = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b,
}


@pytest.mark.parametrize("name", BINARY)
@given(pair=broadcastable_pairs(), seed=st.integers(0, 2 ** 16))
def test_binary_ops_gradcheck_with_broadcasting(name, pair, seed, device):
    rng = np.random.default_rng(seed)
    a = leaf(rng.standard_normal(pair[0]), device=device)
    b = leaf(rng.uniform(0.5, 2.0, pair[1]) * rng.choice([-1, 1], pair[1]), device=device)  # keep divisors away from 0
    assert gradcheck(BINARY[name], [a, b])


@pytest.mark.parametrize("name", BINARY)
def test_binary_ops_match_torch(name, torch, rng, device):
    a_np, b_np = rng.standard_normal((3, 1, 4)), rng.uniform(0.5, 2, (5, 1))
    a, b = leaf(a_np, device=device), leaf(b_np, device=device)
    ta, tb = to_torch(torch, a, True), to_torch(torch, b, True)
    out, tout = BINARY[name](a, b), BINARY[name](ta, tb)
    assert_close(out, tout, what=f"{name} forward")
    grad = rng.standard_normal(out.shape)
    out.backward(tinynn.tensor(grad, device=device))
    tout.backward(torch.tensor(grad))
    assert_close(a.grad, ta.grad, what=f"{name} grad a")
    assert_close(b.grad, tb.grad, what=f"{name} grad b")


def test_reflected_operators_and_scalars():
    x = tinynn.tensor([1.0, 2.0, 4.0], requires_grad=True)
    y = 1 + x * 2 - 3 / x + 2 ** x - (5 - x) + (-x) ** 2
    expected = 1 + np.array([1, 2, 4]) * 2 - 3 / np.array([1, 2, 4]) + 2.0 ** np.array([1, 2, 4]) \
        - (5 - np.array([1, 2, 4])) + np.array([1, 2, 4]) ** 2
    np.testing.assert_allclose(y.numpy(), expected, rtol=1e-6)
    assert y.dtype == np.float32, "Python scalars must not promote float32 to float64"
    y.sum().backward()
    xs = np.array([1.0, 2.0, 4.0])
    np.testing.assert_allclose(x.grad.numpy(), 2 + 3 / xs ** 2 + 2 ** xs * np.log(2) + 1 + 2 * xs, rtol=1e-5)


@given(seed=st.integers(0, 2 ** 16))
def test_pow_gradcheck_both_operands(seed, device):
    rng = np.random.default_rng(seed)
    base = leaf(rng.uniform(0.5, 2.0, (3, 2)), device=device)
    exponent = leaf(rng.uniform(-2, 2, (2,)), device=device)
    assert gradcheck(lambda a, b: a ** b, [base, exponent])
    assert gradcheck(lambda a: a ** 3, [leaf(rng.standard_normal((4,)), device=device)])


def test_neg_gradcheck(rng):
    assert gradcheck(lambda a: -a, [leaf(rng.standard_normal((2, 3)))])


@pytest.mark.parametrize("shapes", [
    ((3, 4), (4, 5)), ((2, 3, 4), (4, 2)), ((2, 1, 3, 4), (5, 4, 2)), ((4,), (4, 3)), ((3, 4), (4,)), ((4,), (4,)),
])
def test_matmul_gradcheck_and_torch(shapes, rng, torch, device):
    a_np, b_np = rng.standard_normal(shapes[0]), rng.standard_normal(shapes[1])
    a, b = leaf(a_np, device=device), leaf(b_np, device=device)
    assert gradcheck(lambda x, y: x @ y, [a, b])
    ta, tb = to_torch(torch, a, True), to_torch(torch, b, True)
    out, tout = a @ b, ta @ tb
    assert_close(out, tout, what="matmul forward")
    out.sum().backward()
    tout.sum().backward()
    assert_close(a.grad, ta.grad, what="matmul grad a")
    assert_close(b.grad, tb.grad, what="matmul grad b")


def test_mismatched_shapes_name_both_shapes():
    a, b = tinynn.zeros(2, 3), tinynn.zeros(4, 5)
    with pytest.raises(ValueError, match=r"add: the size of tensor a \(3\) must match the size of tensor b \(5\) at "
                                         r"non-singleton dimension 1 \(shapes \(2, 3\), \(4, 5\)\)"):
        a + b
    with pytest.raises(ValueError, match=r"matmul: shapes \(2, 3\) and \(4, 5\) are not aligned"):
        a @ b
    with pytest.raises(ValueError, match=r"mul: the size of tensor a \(3\) must match the size of tensor b \(2\)"):
        a * tinynn.zeros(3, 2)
