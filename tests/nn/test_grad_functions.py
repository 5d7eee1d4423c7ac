"""tinynn.nn.grad (torch.nn.grad): a convolution's input and weight gradients as functions, equal to PyTorch's
for 1-D, 2-D and 3-D convolutions with strides, padding, dilation and groups, differentiable again, and the
custom Function of PyTorch's tutorial that fuses a convolution with batch norm, written with them."""
import numpy as np
import pytest

import tinynn
from tinynn.autograd import gradcheck, gradgradcheck
from helpers import leaf

CASES = [  # (spatial size, kernel, stride, padding, dilation, groups)
    ((7,), (3,), 1, 1, 1, 1), ((9,), (2,), 2, 0, 2, 2), ((8, 7), (3, 2), 2, 1, 1, 2), ((6, 6), (3, 3), 1, 2, 2, 1),
    ((5, 6, 4), (2, 3, 2), (1, 2, 1), 1, 1, 1), ((6, 5, 5), (3, 2, 2), 2, (1, 0, 1), (1, 2, 1), 2),
]


@pytest.mark.parametrize("spatial, kernel, stride, padding, dilation, groups", CASES)
def test_input_and_weight_gradients_equal_pytorchs(torch, rng, spatial, kernel, stride, padding, dilation, groups):
    dims = len(spatial)
    x, w = rng.standard_normal((2, 4) + spatial), rng.standard_normal((6, 4 // groups) + kernel)
    options = (stride, padding, dilation, groups)
    y_shape = tuple(getattr(torch.nn.functional, f"conv{dims}d")(torch.tensor(x), torch.tensor(w), None, *options).shape)
    g = rng.standard_normal(y_shape)
    results = []
    for library in (tinynn, torch):
        grad = library.nn.grad
        gx = getattr(grad, f"conv{dims}d_input")(x.shape, library.tensor(w), library.tensor(g), *options)
        gw = getattr(grad, f"conv{dims}d_weight")(library.tensor(x), w.shape, library.tensor(g), *options)
        results.append((gx.detach().numpy(), gw.detach().numpy()))
    for ours, theirs in zip(*results):
        np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-10)


def test_an_input_size_a_stride_leaves_open_is_the_one_asked_for(torch, rng):
    """With stride 2, inputs of 7 and 8 columns give the same output size: ``input_size`` decides, as PyTorch's."""
    w, g = rng.standard_normal((3, 2, 3, 3)), rng.standard_normal((1, 3, 3, 3))
    for width in (7, 8):
        ours = tinynn.nn.grad.conv2d_input((1, 2, 7, width), tinynn.tensor(w), tinynn.tensor(g), 2)
        theirs = torch.nn.grad.conv2d_input((1, 2, 7, width), torch.tensor(w), torch.tensor(g), 2)
        assert ours.shape == (1, 2, 7, width)
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("dims", [1, 2, 3])
def test_the_gradients_are_differentiable_again(rng, dims):
    spatial, kernel = ((5, 4, 4)[:dims]), ((2, 3, 2)[:dims])
    x, w = leaf(rng.standard_normal((1, 2) + spatial)), leaf(rng.standard_normal((2, 2) + kernel))
    y_shape = tuple(getattr(tinynn.nn.functional, f"conv{dims}d")(x, w, None, 1, 1).shape)
    g = leaf(rng.standard_normal(y_shape))
    grad = tinynn.nn.grad
    assert gradcheck(lambda w, g: getattr(grad, f"conv{dims}d_input")(x.shape, w, g, 1, 1), [w, g])
    assert gradcheck(lambda x, g: getattr(grad, f"conv{dims}d_weight")(x, w.shape, g, 1, 1), [x, g])
    if dims == 2:
        assert gradgradcheck(lambda w, g: grad.conv2d_input(x.shape, w, g, 1, 1), [w, g])


def fused_conv_bn_class(library):
    """PyTorch's tutorial "Fusing Convolution and Batch Norm using Custom Function", its Function as written there."""
    F = library.nn.functional

    def convolution_backward(grad_out, X, weight):
        grad_input = F.conv2d(X.transpose(0, 1), grad_out.transpose(0, 1)).transpose(0, 1)
        grad_X = library.nn.grad.conv2d_input(X.shape, weight, grad_out)
        assert library.allclose(grad_input, library.nn.grad.conv2d_weight(X, weight.shape, grad_out))
        return grad_X, grad_input

    def unsqueeze_all(t):
        return t[None, :, None, None]

    def batch_norm_backward(grad_out, X, sum, sqrt_var, N, eps):
        tmp = ((X - unsqueeze_all(sum) / N) * grad_out).sum(dim=(0, 2, 3))
        tmp *= -1
        d_denom = tmp / (sqrt_var + eps) ** 2
        d_var = d_denom / (2 * sqrt_var)
        d_mean_dx = grad_out / unsqueeze_all(sqrt_var + eps)
        d_mean_dx = unsqueeze_all(-d_mean_dx.sum(dim=(0, 2, 3)) / N)
        grad_input = X * unsqueeze_all(d_var * N)
        grad_input += unsqueeze_all(-d_var * sum)
        grad_input *= 2 / ((N - 1) * N)
        grad_input += d_mean_dx
        grad_input *= unsqueeze_all(sqrt_var + eps)
        grad_input += grad_out
        grad_input /= unsqueeze_all(sqrt_var + eps)
        return grad_input

    class FusedConvBN2DFunction(library.autograd.Function):
        @staticmethod
        def forward(ctx, X, conv_weight, eps=1e-3):
            assert X.ndim == 4
            ctx.save_for_backward(X, conv_weight)
            X = F.conv2d(X, conv_weight)
            sum = X.sum(dim=(0, 2, 3))
            var = X.var(dim=(0, 2, 3))
            N = X.numel() / X.size(1)
            sqrt_var = library.sqrt(var)
            ctx.eps = eps
            ctx.sum = sum
            ctx.N = N
            ctx.sqrt_var = sqrt_var
            mean = sum / N
            denom = sqrt_var + eps
            out = X - unsqueeze_all(mean)
            out /= unsqueeze_all(denom)
            return out

        @staticmethod
        def backward(ctx, grad_out):
            X, conv_weight, = ctx.saved_tensors
            X_conv_out = F.conv2d(X, conv_weight)
            grad_out = batch_norm_backward(grad_out, X_conv_out, ctx.sum, ctx.sqrt_var, ctx.N, ctx.eps)
            grad_X, grad_input = convolution_backward(grad_out, X, conv_weight)
            return grad_X, grad_input, None, None, None, None, None

    return FusedConvBN2DFunction


def test_pytorchs_fused_convolution_and_batch_norm_tutorial_runs_and_agrees(torch, rng):
    x, w = rng.standard_normal((2, 3, 4, 5)), rng.standard_normal((5, 3, 3, 3))
    grads = []
    for library in (tinynn, torch):
        function = fused_conv_bn_class(library)
        X, weight = library.tensor(x, requires_grad=True), library.tensor(w, requires_grad=True)
        assert library.autograd.gradcheck(function.apply, (X, weight))
        function.apply(X, weight).pow(2).sum().backward()
        grads.append((X.grad.numpy(), weight.grad.numpy()))
    for ours, theirs in zip(*grads):
        np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-10)
