"""``torch.nn.grad``: a convolution's gradients with respect to its input and to its weight, as functions
of the output's gradient, for custom autograd Functions whose backward needs them (PyTorch's tutorial that
fuses a convolution with batch norm writes its backward with ``conv2d_input`` and ``conv2d_weight``).

A convolution y = conv(x, w) is linear in x and in w, so

    conv2d_input  = dL/dx = conv^T(dL/dy, w)      (the convolution's own input gradient, for an x of ``input_size``)
    conv2d_weight = dL/dw = the correlation of x with dL/dy   (for a w of ``weight_size``)

The 2-D and 1-D ones are the recorded ops the convolution's own backward uses under create_graph
(``Conv2dInputGrad``, ``Conv2dWeightGrad``: a 1-D convolution is a 2-D one of height 1), so their results
can be differentiated again; the 3-D ones are the vector-Jacobian products of ``conv3d`` (built from 2-D
convolutions), taken at zeros for the input or weight they do not need: the map is linear, so any point
gives the same product. ``input_size`` and ``weight_size`` are PyTorch's: the full shape, which fixes the
sizes a stride leaves ambiguous.
"""
from ..errors import InputError
from .. import autograd
from ..autograd.grad_mode import enable_grad
from ..functions import zeros
from .functional.conv import Conv2dInputGrad, Conv2dWeightGrad, conv1d_as_2d, conv_geometry
from .functional.conv3d import conv3d

__all__ = ["conv1d_input", "conv1d_weight", "conv2d_input", "conv2d_weight", "conv3d_input", "conv3d_weight"]


def _settings_2d(kernel, stride, padding, dilation, groups, name):
    """(stride, padding ((top, bottom), (left, right)), dilation, groups) as the recorded ops take them."""
    return (*conv_geometry(kernel, stride, padding, dilation, name), int(groups))


def conv2d_input(input_size, weight, grad_output, stride=1, padding=0, dilation=1, groups=1):
    """dL/dx (``input_size``) of ``conv2d(x, weight, ...)`` for dL/dy = ``grad_output``."""
    settings = _settings_2d(weight.shape[2:], stride, padding, dilation, groups, "conv2d_input")
    return Conv2dInputGrad(settings, tuple(input_size))(grad_output, weight)


def conv2d_weight(input, weight_size, grad_output, stride=1, padding=0, dilation=1, groups=1):
    """dL/dw (``weight_size``) of ``conv2d(input, w, ...)`` for dL/dy = ``grad_output``."""
    settings = _settings_2d(tuple(weight_size)[2:], stride, padding, dilation, groups, "conv2d_weight")
    return Conv2dWeightGrad(settings, tuple(weight_size))(grad_output, input)


def _as_2d(tensor):
    """(N, C, L) -> (N, C, 1, L): a 1-D convolution's operand as a 2-D one's."""
    return tensor.reshape(tensor.shape[0], tensor.shape[1], 1, tensor.shape[2])


def conv1d_input(input_size, weight, grad_output, stride=1, padding=0, dilation=1, groups=1):
    """dL/dx (``input_size``, (N, C, L)) of ``conv1d(x, weight, ...)`` for dL/dy = ``grad_output``."""
    n, channels, length = tuple(input_size)
    stride, padding, dilation = conv1d_as_2d(stride, padding, dilation, "conv1d_input")
    gx = conv2d_input((n, channels, 1, length), _as_2d(weight), _as_2d(grad_output), stride, padding, dilation, groups)
    return gx.reshape(n, channels, length)


def conv1d_weight(input, weight_size, grad_output, stride=1, padding=0, dilation=1, groups=1):
    """dL/dw (``weight_size``, (O, C/groups, K)) of ``conv1d(input, w, ...)`` for dL/dy = ``grad_output``."""
    out_channels, group_channels, kernel = tuple(weight_size)
    stride, padding, dilation = conv1d_as_2d(stride, padding, dilation, "conv1d_weight")
    gw = conv2d_weight(_as_2d(input), (out_channels, group_channels, 1, kernel), _as_2d(grad_output), stride,
                       padding, dilation, groups)
    return gw.reshape(out_channels, group_channels, kernel)


def _vector_jacobian(convolve, at, grad_output, other):
    """dL/d``at`` of the linear map ``convolve(at)`` for dL/dy = ``grad_output``, recorded where ``other``
    (the convolution's other operand) or grad_output requires grad (for gradients of gradients)."""
    with enable_grad():
        y = convolve(at)
        if tuple(y.shape) != tuple(grad_output.shape):
            raise InputError(f"{convolve.__name__}: grad_output has shape {tuple(grad_output.shape)}, the "
                             f"convolution's output {tuple(y.shape)}")
        return autograd.grad(y, at, grad_output, create_graph=other.requires_grad or grad_output.requires_grad)[0]


def conv3d_input(input_size, weight, grad_output, stride=1, padding=0, dilation=1, groups=1):
    """dL/dx (``input_size``, (N, C, D, H, W)) of ``conv3d(x, weight, ...)`` for dL/dy = ``grad_output``."""
    def conv3d_input(x):
        return conv3d(x, weight, None, stride, padding, dilation, groups, name="conv3d_input")

    at = zeros(tuple(input_size), dtype=grad_output.dtype, device=grad_output.device, requires_grad=True)
    return _vector_jacobian(conv3d_input, at, grad_output, weight)


def conv3d_weight(input, weight_size, grad_output, stride=1, padding=0, dilation=1, groups=1):
    """dL/dw (``weight_size``) of ``conv3d(input, w, ...)`` for dL/dy = ``grad_output``."""
    def conv3d_weight(w):
        return conv3d(input, w, None, stride, padding, dilation, groups, name="conv3d_weight")

    at = zeros(tuple(weight_size), dtype=grad_output.dtype, device=grad_output.device, requires_grad=True)
    return _vector_jacobian(conv3d_weight, at, grad_output, input)
