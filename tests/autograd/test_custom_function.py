"""PyTorch-style custom ops: a Function subclass with static ``forward(ctx, ...)`` and
``backward(ctx, grad)`` on Tensors, called with ``.apply``, behaves as torch.autograd.Function:
values, gradients, ctx.needs_input_grad, non-tensor arguments, and gradients of gradients
through the saved tensors; several outputs (integer, non-differentiable and non-tensor ones among
them), PyTorch 2's setup_context, set_materialize_grads and mark_dirty; misuse is a clear error."""
import numpy as np
import pytest

import tinynn
from tinynn import autograd
from helpers import assert_close, leaf


def exp_forward(ctx, x):
    y = x.exp()
    ctx.save_for_backward(y)
    return y


def exp_backward(ctx, grad):
    (y,) = ctx.saved_tensors
    return grad * y


def scale_forward(ctx, x, factor, w):
    ctx.factor = factor
    ctx.save_for_backward(x, w)
    return x * w * factor


def scale_backward(ctx, grad):
    x, w = ctx.saved_tensors
    gx = grad * w * ctx.factor if ctx.needs_input_grad[0] else None
    gw = (grad * x * ctx.factor).sum(0) if ctx.needs_input_grad[2] else None
    return gx, None, gw


def define(base, forward, backward):
    return type(f"Custom{forward.__name__}", (base,), {"forward": staticmethod(forward),
                                                      "backward": staticmethod(backward)})


@pytest.mark.parametrize("pair", [(exp_forward, exp_backward), (scale_forward, scale_backward)], ids=["exp", "scale"])
def test_matches_torch_with_second_derivatives(pair, torch, rng, device):
    ours, theirs = define(autograd.Function, *pair), define(torch.autograd.Function, *pair)
    values, weights = rng.standard_normal((3, 2)), rng.standard_normal(2)
    x, w = tinynn.tensor(values, device=device, requires_grad=True), tinynn.tensor(weights, device=device, requires_grad=True)
    tx, tw = torch.tensor(values, requires_grad=True), torch.tensor(weights, requires_grad=True)
    run = (lambda f, a, b: f.apply(a)) if pair[0] is exp_forward else (lambda f, a, b: f.apply(a, 3.0, b))
    out, t_out = run(ours, x, w), run(theirs, tx, tw)
    assert_close(out, t_out.detach(), rtol=1e-12)
    first = autograd.grad((out ** 2).sum(), [x, w] if pair[0] is scale_forward else [x], create_graph=True)
    t_first = torch.autograd.grad((t_out ** 2).sum(), [tx, tw] if pair[0] is scale_forward else [tx], create_graph=True)
    for mine, reference in zip(first, t_first):
        assert_close(mine, reference.detach(), rtol=1e-12)
    sum((g * g).sum() for g in first).backward()
    sum((g * g).sum() for g in t_first).backward()
    assert_close(x.grad, tx.grad, rtol=1e-10, what="second derivative through the saved tensors")


def test_gradchecks_and_needs_input_grad():
    Scale = define(autograd.Function, scale_forward, scale_backward)
    x = tinynn.tensor(np.arange(6.0).reshape(3, 2), requires_grad=True)
    w = tinynn.tensor([2.0, -1.0], dtype=np.float64)  # no gradient wanted: backward is told so
    seen = []

    class Spy(autograd.Function):
        @staticmethod
        def forward(ctx, a, factor, b):
            seen.append(ctx.needs_input_grad)
            return scale_forward(ctx, a, factor, b)

        backward = staticmethod(scale_backward)

    Spy.apply(x, 3.0, w).sum().backward()
    assert seen == [(True, False, False)]
    assert autograd.gradcheck(lambda a: Scale.apply(a, 3.0, w), [x])
    assert autograd.gradgradcheck(lambda a: Scale.apply(a, 3.0, w) ** 2, [x])


def test_misuse_is_a_clear_error():
    class DirtyOther(autograd.Function):
        @staticmethod
        def forward(ctx, x):
            made = x * 2
            ctx.mark_dirty(made)
            return made

        @staticmethod
        def backward(ctx, grad):
            return grad

    with pytest.raises(ValueError, match="DirtyOther: mark_dirty takes inputs of the forward"):
        DirtyOther.apply(tinynn.ones(2, requires_grad=True))

    class TooMany(autograd.Function):
        forward = staticmethod(exp_forward)

        @staticmethod
        def backward(ctx, grad):
            return grad, grad

    with pytest.raises(ValueError, match="TooMany.backward returned 2 gradients for 1 forward arguments"):
        TooMany.apply(tinynn.ones(2, requires_grad=True)).sum().backward()


def _functions(library):
    """PyTorch-style Functions beyond one output (the same source for both libraries)."""
    class SortWithIndices(library.autograd.Function):
        """Two outputs, one of them integer; PyTorch 2's forward without ctx and setup_context."""

        @staticmethod
        def forward(x):
            values, indices = x.sort(dim=-1)
            return values, indices

        @staticmethod
        def setup_context(ctx, inputs, output):
            ctx.save_for_backward(output[1])
            ctx.mark_non_differentiable(output[1])

        @staticmethod
        def backward(ctx, grad_values, grad_indices):
            (indices,) = ctx.saved_tensors
            return library.zeros_like(grad_values).scatter(-1, indices, grad_values)

    class ExpAndSquare(library.autograd.Function):
        """Two differentiable outputs and a number; the outputs saved; None for an unused one."""

        @staticmethod
        def forward(ctx, x, power):
            exp, square = x.exp(), x ** power
            ctx.save_for_backward(x, exp)
            ctx.power = power
            ctx.set_materialize_grads(False)
            return exp, square, power + 1

        @staticmethod
        def backward(ctx, grad_exp, grad_square, grad_number):
            x, exp = ctx.saved_tensors
            ctx.seen = (grad_exp is None, grad_square is None, grad_number is None)
            total = library.zeros_like(x)
            if grad_exp is not None:
                total = total + grad_exp * exp
            if grad_square is not None:
                total = total + grad_square * ctx.power * x ** (ctx.power - 1)
            return total, None

    class DoubleInPlace(library.autograd.Function):
        """Writes into its input and returns it (mark_dirty): the input itself comes back."""

        @staticmethod
        def forward(ctx, x):
            x.mul_(2)
            ctx.mark_dirty(x)
            return x

        @staticmethod
        def backward(ctx, grad):
            return grad * 2
    return SortWithIndices, ExpAndSquare, DoubleInPlace


def test_several_outputs_setup_context_and_ctx_marks_as_pytorch(torch, rng, device):
    values = rng.standard_normal((2, 4))
    results = []
    for library, where in ((tinynn, dict(device=device)), (torch, {})):
        sort_with_indices, exp_and_square, double_in_place = _functions(library)
        x = library.tensor(values, requires_grad=True, **where)
        sorted_values, indices = sort_with_indices.apply(x)
        (sorted_values * library.arange(4.0, **where)).sum().backward()
        row = [type(sorted_values.grad_fn).__name__, indices.requires_grad, indices.tolist(), x.grad.tolist()]
        x.grad = None
        exp, square, number = exp_and_square.apply(x, 3)
        square.sum().backward(retain_graph=True)  # exp unused: None for it (materialize off); the number's is None
        row += [number, exp.grad_fn.name(), x.grad.tolist(), type(square.grad_fn).__name__]
        first, = library.autograd.grad((exp * square).sum(), x, create_graph=True)
        second, = library.autograd.grad(first.sum(), x)  # through the saved output and the unpacking
        row += [first.tolist(), second.tolist()]
        leaf = library.tensor(values, requires_grad=True, **where)
        held = leaf * 1
        returned = double_in_place.apply(held)
        (returned * returned).sum().backward()
        row += [returned is held, type(held.grad_fn).__name__, leaf.grad.tolist()]
        results.append(row)
    ours, theirs = results
    assert ours[0] == theirs[0] == "SortWithIndicesBackward" and ours[1] is theirs[1] is False
    assert ours[2] == theirs[2] and ours[4] == theirs[4] == 4
    assert ours[5] == theirs[5] == "ExpAndSquareBackward" and ours[7] == theirs[7] == "ExpAndSquareBackward"
    assert ours[10] is theirs[10] is True and ours[11] == theirs[11] == "DoubleInPlaceBackward"
    for position in (3, 6, 8, 9, 12):
        assert_close(np.array(ours[position]), np.array(theirs[position]), rtol=1e-12, what=f"row entry {position}")


def test_materialized_gradients_are_zeros_and_unmaterialized_none():
    seen = []

    class Pair(autograd.Function):
        @staticmethod
        def forward(ctx, x, materialize):
            ctx.set_materialize_grads(materialize)
            return x * 2, x * 3

        @staticmethod
        def backward(ctx, grad_first, grad_second):
            seen.append(grad_second if grad_second is None else grad_second.tolist())
            return grad_first * 2 + (0 if grad_second is None else grad_second * 3), None

    for materialize in (True, False):
        x = tinynn.ones(2, requires_grad=True)
        Pair.apply(x, materialize)[0].sum().backward()
        assert x.grad.tolist() == [2.0, 2.0]
    assert seen == [[0.0, 0.0], None]
    seen.clear()
    x = tinynn.tensor([0.5, -1.0], dtype=np.float64, requires_grad=True)
    assert autograd.gradcheck(lambda a: Pair.apply(a, True), [x])


def _forward_mode_functions(library):
    """PyTorch's forward-mode AD tutorial's Function (jvp only; it deletes what it kept once used), and one
    with both a backward and a jvp reading ``save_for_forward``'s tensors."""
    class Exp(library.autograd.Function):
        @staticmethod
        def forward(ctx, foo):
            result = library.exp(foo)
            ctx.result = result
            return result

        @staticmethod
        def jvp(ctx, gI):
            gO = gI * ctx.result
            del ctx.result
            return gO

    class Mul(library.autograd.Function):
        @staticmethod
        def forward(ctx, a, b):
            ctx.save_for_backward(a, b)
            ctx.save_for_forward(a, b)
            return a * b

        @staticmethod
        def backward(ctx, g):
            a, b = ctx.saved_tensors
            return g * b, g * a

        @staticmethod
        def jvp(ctx, ta, tb):
            a, b = ctx.saved_tensors
            return ta * b + a * tb

    return Exp, Mul


def test_forward_mode_through_functions_with_jvp_as_pytorchs(torch, rng):
    """The tangents forward_ad and gradcheck's check_forward_ad find through a Function with a jvp equal
    PyTorch's: one with a jvp only (tinynn's forward mode runs through its transpose, recorded once), and
    one with a backward whose jvp reads save_for_forward's tensors."""
    primal, tangent = rng.standard_normal((4, 3)), rng.standard_normal((4, 3))
    a, b, ta, tb = (rng.standard_normal(3) for _ in range(4))
    found = []
    for library in (tinynn, torch):
        fwAD = library.autograd.forward_ad
        Exp, Mul = _forward_mode_functions(library)
        with fwAD.dual_level():
            exp_tangent = fwAD.unpack_dual(Exp.apply(fwAD.make_dual(library.tensor(primal), library.tensor(tangent)))).tangent
            duals = [fwAD.make_dual(library.tensor(v), library.tensor(t)) for v, t in ((a, ta), (b, tb))]
            mul_tangent = fwAD.unpack_dual(Mul.apply(*duals)).tangent
        found.append((exp_tangent.numpy(), mul_tangent.numpy()))
        x = library.tensor(primal, requires_grad=True)
        assert library.autograd.gradcheck(Exp.apply, (x,), check_forward_ad=True, check_backward_ad=False,
                                          check_undefined_grad=False, check_batched_grad=False)
        operands = (library.tensor(a, requires_grad=True), library.tensor(b, requires_grad=True))
        assert library.autograd.gradcheck(Mul.apply, operands, check_forward_ad=True)
    for ours, theirs in zip(*found):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(found[0][0], tangent * np.exp(primal), rtol=1e-12)
    # tinynn: the jvp-only Function's backward is its jvp's transpose (PyTorch's needs a backward for that)
    Exp, _ = _forward_mode_functions(tinynn)
    x = leaf(primal)
    Exp.apply(x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.exp(primal), rtol=1e-12)


def test_a_function_without_backward_or_jvp_is_pytorchs_error():
    class Neither(autograd.Function):
        forward = staticmethod(exp_forward)

    with pytest.raises(NotImplementedError, match="Neither: You must implement either the backward or vjp method"):
        Neither.apply(tinynn.ones(2, requires_grad=True)).sum().backward()
