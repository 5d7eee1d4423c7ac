"""Folding a batch norm in evaluation mode into the convolution or linear layer before it, as
``torch.nn.utils.fusion``: one layer does the work of two at inference.

In evaluation the batch norm is an affine map per channel, y = gamma (x - mean) / sqrt(var + eps)
+ beta = s x + (beta - s mean) with s = gamma / sqrt(var + eps). Applied to a layer's output
x = W u + b, it gives y = (s W) u + s (b - mean) + beta: the layer with weight s W (each output
channel's weights scaled by its s) and bias s (b - mean) + beta.
"""
import copy

from ...errors import InputError
from ...autograd import no_grad
from ..parameter import Parameter


def fuse_conv_bn_weights(conv_w, conv_b, bn_rm, bn_rv, bn_eps, bn_w, bn_b, transpose=False):
    """(weight, bias) of the convolution that equals conv then batch norm (evaluation mode):
    output channels are axis 0 of the weight, or axis 1 for a transposed convolution."""
    with no_grad():
        scale = (bn_rv + bn_eps).rsqrt() * (bn_w if bn_w is not None else 1.0)
        shape = [1] * conv_w.ndim
        shape[1 if transpose else 0] = -1
        weight = conv_w * scale.reshape(shape).to(dtype=conv_w.dtype)
        bias = ((conv_b if conv_b is not None else bn_rm * 0) - bn_rm) * scale + (bn_b if bn_b is not None else 0.0)
    return Parameter(weight, conv_w.requires_grad), Parameter(bias.to(dtype=conv_w.dtype), conv_w.requires_grad)


def fuse_conv_bn_eval(conv, bn, transpose=False):
    """A copy of ``conv`` (evaluation mode, as is ``bn``) with ``bn`` folded in."""
    if conv.training or bn.training:
        raise InputError("fuse_conv_bn_eval: both modules must be in evaluation mode (.eval()): in training the batch "
                         "norm uses each batch's statistics, which no fixed weights can fold in")
    fused = copy.deepcopy(conv)
    fused.weight, fused.bias = fuse_conv_bn_weights(fused.weight, fused.bias, bn.running_mean, bn.running_var, bn.eps,
                                                    bn.weight, bn.bias, transpose)
    return fused


def fuse_linear_bn_weights(linear_w, linear_b, bn_rm, bn_rv, bn_eps, bn_w, bn_b):
    """(weight, bias) of the linear layer that equals linear then batch norm (evaluation mode)."""
    return fuse_conv_bn_weights(linear_w, linear_b, bn_rm, bn_rv, bn_eps, bn_w, bn_b)


def fuse_linear_bn_eval(linear, bn):
    """A copy of ``linear`` (evaluation mode, as is ``bn``) with ``bn`` folded in."""
    if linear.training or bn.training:
        raise InputError("fuse_linear_bn_eval: both modules must be in evaluation mode (.eval())")
    if linear.out_features != bn.num_features:
        raise InputError(f"fuse_linear_bn_eval: the linear layer's {linear.out_features} outputs must be the batch "
                         f"norm's {bn.num_features} features")
    fused = copy.deepcopy(linear)
    fused.weight, fused.bias = fuse_linear_bn_weights(fused.weight, fused.bias, bn.running_mean, bn.running_var, bn.eps,
                                                      bn.weight, bn.bias)
    return fused
