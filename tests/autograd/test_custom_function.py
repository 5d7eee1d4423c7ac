"""PyTorch-style custom ops: a Function subclass with static ``forward(ctx, ...)`` and
``backward(ctx, grad)`` on Tensors, called with ``.apply``, behaves as torch.autograd.Function:
values, gradients, ctx.needs_input_grad, non-tensor arguments, and gradients of gradients
through the saved tensors; misuse is a clear error."""
import numpy as np
import pytest

import tinynn
from tinynn import autograd
from helpers import assert_close


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
    class TwoOutputs(autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x, x

        @staticmethod
        def backward(ctx, grad):
            return grad

    with pytest.raises(TypeError, match="TwoOutputs.forward must return one Tensor, got tuple"):
        TwoOutputs.apply(tinynn.ones(2, requires_grad=True))

    class TooMany(autograd.Function):
        forward = staticmethod(exp_forward)

        @staticmethod
        def backward(ctx, grad):
            return grad, grad

    with pytest.raises(ValueError, match="TooMany.backward returned 2 gradients for 1 forward arguments"):
        TooMany.apply(tinynn.ones(2, requires_grad=True)).sum().backward()
