"""tinynn.autograd.functional (vjp, jvp, jacobian, hessian, vhp, hvp) against
torch.autograd.functional on the same functions and values, with tuple and single inputs and
outputs, on every device; create_graph keeps the results differentiable; strict and bad
arguments are clear errors."""
import numpy as np
import pytest

import tinynn
from tinynn.autograd import functional as AF
from helpers import assert_close


def pair_function(x, y):
    """Two outputs of two inputs, written once for both frameworks."""
    return (x @ y).tanh() * x.sum(1), (x * x).sum() * y


def scalar_function(x, y):
    return ((x @ y).sin() ** 2).sum() + (x * x).sum() * (y ** 3).sum()


def values(rng):
    return rng.standard_normal((3, 2)), rng.standard_normal(2)


def ours(arrays, device):
    return tuple(tinynn.tensor(a, device=device) for a in arrays)


def theirs(torch, arrays):
    return tuple(torch.tensor(a) for a in arrays)


def assert_nested_close(actual, expected, what):
    if isinstance(actual, tuple):
        assert isinstance(expected, tuple) and len(actual) == len(expected), what
        for a, e in zip(actual, expected):
            assert_nested_close(a, e, what)
    else:
        assert_close(actual, expected, rtol=1e-10, atol=1e-12, what=what)


def test_vjp_and_jvp_match_torch(torch, rng, device):
    inputs = values(rng)
    v_out, v_in = (rng.standard_normal(3), rng.standard_normal(2)), (rng.standard_normal((3, 2)), rng.standard_normal(2))
    for name, v in (("vjp", v_out), ("jvp", v_in)):
        out, product = getattr(AF, name)(pair_function, ours(inputs, device), ours(v, device))
        t_out, t_product = getattr(torch.autograd.functional, name)(pair_function, theirs(torch, inputs), theirs(torch, v))
        assert_nested_close(out, t_out, f"{name} output")
        assert_nested_close(product, t_product, name)


def test_jacobian_and_hessian_match_torch(torch, rng, device):
    inputs = values(rng)
    assert_nested_close(AF.jacobian(pair_function, ours(inputs, device)),
                        torch.autograd.functional.jacobian(pair_function, theirs(torch, inputs)), "jacobian")
    assert_nested_close(AF.hessian(scalar_function, ours(inputs, device)),
                        torch.autograd.functional.hessian(scalar_function, theirs(torch, inputs)), "hessian")
    single = rng.standard_normal(4)
    jac = AF.jacobian(lambda x: x.exp() * x[0], tinynn.tensor(single, device=device))
    assert isinstance(jac, tinynn.Tensor) and jac.shape == (4, 4)
    assert_close(jac, torch.autograd.functional.jacobian(lambda x: x.exp() * x[0], torch.tensor(single)), rtol=1e-12)
    hess = AF.hessian(lambda x: (x ** 3).sum(), tinynn.tensor(single, device=device))
    assert_close(hess, np.diag(6 * single), rtol=1e-12)


@pytest.mark.parametrize("strategy", ["forward-mode", "reverse-mode"])
def test_jacobian_and_hessian_strategies_match_torch(torch, rng, device, strategy):
    """A column per input element (forward mode) or a row per output element: PyTorch's numbers either way,
    vectorize=True accepted (PyTorch needs it for forward mode), and with create_graph still differentiable."""
    inputs = values(rng)

    def as_tuples(nested):  # (PyTorch's forward mode gives lists, and a Hessian still requiring grad)
        return tuple(tuple(block.detach() for block in row) for row in nested)

    assert_nested_close(AF.jacobian(pair_function, ours(inputs, device), vectorize=True, strategy=strategy),
                        as_tuples(torch.autograd.functional.jacobian(pair_function, theirs(torch, inputs), vectorize=True,
                                                                     strategy=strategy)), strategy)
    theirs_hessian = torch.autograd.functional.hessian(scalar_function, theirs(torch, inputs), vectorize=True,
                                                       outer_jacobian_strategy=strategy)
    assert_nested_close(AF.hessian(scalar_function, ours(inputs, device), vectorize=True, outer_jacobian_strategy=strategy),
                        as_tuples(theirs_hessian), f"hessian {strategy}")
    x = tinynn.tensor(rng.standard_normal(3), device=device, requires_grad=True)
    jac = AF.jacobian(lambda t: t.sin() * t.sum(), x, create_graph=True, strategy=strategy)
    (second,) = tinynn.autograd.grad(jac.sum(), [x])
    t_x = torch.tensor(x.numpy(), requires_grad=True)
    (t_second,) = torch.autograd.grad(torch.autograd.functional.jacobian(lambda t: t.sin() * t.sum(), t_x,
                                                                         create_graph=True).sum(), [t_x])
    assert_close(second, t_second, rtol=1e-10, atol=1e-12)
    with pytest.raises(ValueError, match='jacobian: expected strategy to be either "forward-mode" or "reverse-mode", got'):
        AF.jacobian(pair_function, ours(inputs, device), strategy="sideways")
    with pytest.raises(ValueError, match='hessian: expected outer_jacobian_strategy to be either "forward-mode"'):
        AF.hessian(scalar_function, ours(inputs, device), outer_jacobian_strategy="forward")


def test_hvp_and_vhp_match_torch(torch, rng, device):
    inputs, v = values(rng), (rng.standard_normal((3, 2)), rng.standard_normal(2))
    for name in ("hvp", "vhp"):
        out, product = getattr(AF, name)(scalar_function, ours(inputs, device), ours(v, device))
        t_out, t_product = getattr(torch.autograd.functional, name)(scalar_function, theirs(torch, inputs), theirs(torch, v))
        assert_close(out, t_out, rtol=1e-12, what=f"{name} output")
        assert_nested_close(product, t_product, name)


def test_results_are_detached_unless_create_graph(rng):
    x = tinynn.tensor(rng.standard_normal(3), requires_grad=True)
    _, plain = AF.vjp(lambda t: (t ** 3).sum(), x)
    assert not plain.requires_grad
    _, recorded = AF.vjp(lambda t: (t ** 3).sum(), x, create_graph=True)
    (second,) = tinynn.autograd.grad(recorded.sum(), x)  # d/dx sum 3x^2 = 6x
    assert_close(second, 6 * x.numpy(), rtol=1e-12)
    hess = AF.hessian(lambda t: (t ** 4).sum(), x, create_graph=True)  # diag 12 x^2
    (third,) = tinynn.autograd.grad(hess.sum(), x)
    assert_close(third, 24 * x.numpy(), rtol=1e-12)


def test_independent_outputs_give_zeros_or_a_strict_error():
    x, y = tinynn.tensor([1.0, 2.0]), tinynn.tensor([3.0])
    jac = AF.jacobian(lambda a, b: a * 2, (x, y))
    assert_close(jac[1], np.zeros((2, 1)))
    with pytest.raises(RuntimeError, match="jacobian: the output does not depend on input 1 \\(strict=True\\)"):
        AF.jacobian(lambda a, b: a * 2, (x, y), strict=True)


def test_bad_arguments_are_clear_errors():
    x = tinynn.tensor([1.0, 2.0])
    with pytest.raises(ValueError, match="vjp: v is needed when the output has more than one value"):
        AF.vjp(lambda t: t * 2, x)
    with pytest.raises(ValueError, match=r"jvp: v\[0\] has shape \(3,\), expected \(2,\)"):
        AF.jvp(lambda t: t * 2, x, tinynn.tensor([1.0, 2.0, 3.0]))
    with pytest.raises(ValueError, match="hessian: func must return a Tensor holding a single value"):
        AF.hessian(lambda t: t * 2, x)
    with pytest.raises(TypeError, match="jacobian: inputs must be a Tensor or a tuple of Tensors, got list"):
        AF.jacobian(lambda t: t, [[1.0, 2.0]])
    with pytest.raises(TypeError, match="derivatives need floating-point inputs"):
        AF.jacobian(lambda t: t, tinynn.tensor([1, 2]))
