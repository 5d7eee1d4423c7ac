"""2-D transposed convolution ("deconvolution"): the adjoint of conv2d, used to upsample."""
from ...errors import InputError
from ... import mixed_precision
from ...autograd import Function
from ...ops.reduction import sum_rows
from .conv import (Conv2d, Conv2dWeightGrad, correlate, correlate_and_weight_grad, input_grad, weight_grad,
                   weight_matrix)
from .im2col import pad_nhwc, to_nchw, to_nhwc, transposed_output_size
from .complex_conv import complex_by_parts
from .empty_batch import EmptyBatch
from .validation import accepts_unbatched, check_float, check_ncl, check_nchw, check_non_negative, check_positive, ntuple, pair


class ConvTranspose2d(Function):
    """Every input pixel spreads its values over a KH x KW patch of the output, weighted by w:

        full[n, i*S + p*D, j*S + q*D, g*Og + o] += sum_c x[n, g*Cg + c, i, j] * w[g*Cg + c, o, p, q]
        y = full without its first and last P rows and columns, + b (full has ``output_padding``
            extra rows and columns at the bottom and right, which no window reaches)

    Shapes: x (N, C, H, W), w (C, O/G, KH, KW), b (O,) -> y (N, O, OH, OW) with
    OH = (H - 1) * S - 2P + D * (KH - 1) + output_padding + 1. This is exactly the backward of
    conv2d with respect to its input (col2im of x @ w), so its backward is conv2d's forward:

        dL/dx[n, c, i, j] = sum_{o, p, q} dL/dfull[n, i*S + p*D, j*S + q*D, o] * w[c, o, p, q]
        dL/dw[c, o, p, q] = sum_{n, i, j} x[n, c, i, j] * dL/dfull[n, i*S + p*D, j*S + q*D, o]
        dL/db = sum of dL/dy over N, OH, OW

    So the three are conv2d's own passes (``tinynn.nn.functional.conv``), the roles swapped: y is
    ``input_grad`` of x, dL/dx is ``correlate`` (conv2d's forward) of dL/dfull, and dL/dw is
    ``weight_grad`` with dL/dfull as the image and x as the output gradient; each an im2col and
    one matmul per group.
    """

    def __init__(self, stride, padding, output_padding, dilation, groups):
        self.stride, self.padding, self.output_padding = stride, padding, output_padding
        self.dilation, self.groups = dilation, groups

    def _crop(self):
        """((top, bottom), (left, right)): the padding P cut from each border of the full output."""
        return tuple((pad, pad) for pad in self.padding)

    def forward(self, x, weight, bias=None):
        n, in_channels, h, w = x.shape
        kernel = weight.shape[2:]
        full_hw = tuple((size - 1) * self.stride[i] + self.dilation[i] * (kernel[i] - 1) + 1 + self.output_padding[i]
                        for i, size in enumerate((h, w)))
        x_nhwc = to_nhwc(x)
        y = input_grad(x_nhwc, weight, full_hw, self.stride, self.dilation, self.groups, self._crop())
        if bias is not None:
            y = y + bias
        self.x_nhwc, self.weight, self.has_bias = x_nhwc, weight, bias is not None
        return to_nchw(y)

    def backward(self, gy):
        n, h, w, _ = self.x_nhwc.shape
        kernel = self.weight.shape[2:]
        g = to_nhwc(gy)
        # full's output_padding rows and columns, which no window reaches, are left out (with
        # output_padding >= stride, allowed when the dilation is larger, they would add windows).
        reach = [(size - 1) * self.stride[i] + self.dilation[i] * (kernel[i] - 1) + 1 for i, size in enumerate((h, w))]
        g_full = pad_nhwc(g, self._crop())[:, :reach[0], :reach[1]]
        gx = gw = gb = None
        matrix = weight_matrix(self.weight, self.groups)
        if self.needs_input_grad[0] and self.needs_input_grad[1]:
            gx, gw = correlate_and_weight_grad(g_full, matrix, self.x_nhwc, kernel, self.stride, self.dilation,
                                               self.groups)  # one im2col of dL/dy for both
            gx = to_nchw(gx)
        elif self.needs_input_grad[0]:
            gx = to_nchw(correlate(g_full, matrix, kernel, self.stride, self.dilation, self.groups))
        elif self.needs_input_grad[1]:
            gw = weight_grad(g_full, self.x_nhwc, kernel, self.stride, self.dilation, self.groups)
        if self.has_bias and self.needs_input_grad[2]:
            gb = sum_rows(g.reshape(-1, g.shape[3]))
        return gx, gw, gb

    def backward_graph(self, gy, output):
        """For gradients of gradients: y is conv2d's input gradient of x (``Conv2dInputGrad``, with
        this op's stride, dilation, groups and P as the conv's padding), whose recorded backward
        passes are conv2d and its weight gradient."""
        x, weight, _ = self.inputs
        settings = (self.stride, self._crop(), self.dilation, self.groups)
        if any(extra >= step for extra, step in zip(self.output_padding, self.stride)):
            raise NotImplementedError("create_graph: conv_transpose2d with output_padding >= stride is not supported")
        gx = Conv2d(*settings)(gy, weight) if self.needs_input_grad[0] else None
        gw = Conv2dWeightGrad(settings, weight.shape)(x, gy) if self.needs_input_grad[1] else None
        gb = gy.sum(axis=(0, 2, 3)) if self.has_bias and self.needs_input_grad[2] else None
        return gx, gw, gb


@complex_by_parts
@mixed_precision.casts_inputs("lower")
@accepts_unbatched(2)
def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1,
                     name="conv_transpose2d"):
    """Transposed 2-D convolution of NCHW ``input`` with ``weight`` (C, O/groups, KH, KW), PyTorch's
    argument order; OH = (H - 1) * stride - 2 * padding + dilation * (KH - 1) + output_padding + 1."""
    check_nchw(input, name)
    check_float(weight, name, "weight")
    if weight.ndim != 4:
        raise InputError(f"{name}: expected a 4-D weight (in_channels, out_channels/groups, KH, KW), got shape {tuple(weight.shape)}")
    stride, padding = pair(stride, name, "stride"), pair(padding, name, "padding")
    output_padding, dilation = pair(output_padding, name, "output_padding"), pair(dilation, name, "dilation")
    check_positive(stride, name, "stride")
    check_positive(dilation, name, "dilation")
    check_non_negative(padding + output_padding, name, "padding and output_padding")
    if any(op >= max(s, d) for op, s, d in zip(output_padding, stride, dilation)):
        raise InputError(f"{name}: output_padding {output_padding} must be smaller than stride {stride} or dilation {dilation}")
    groups = ntuple(groups, 1, name, "groups")[0]
    if groups <= 0 or weight.shape[0] % groups:
        raise InputError(f"{name}: groups must be a positive divisor of in_channels ({weight.shape[0]}), got {groups}")
    if input.shape[1] != weight.shape[0]:
        raise InputError(f"{name}: expected input with {weight.shape[0]} channels (weight {tuple(weight.shape)}), "
                         f"got {input.shape[1]} channels (input shape {tuple(input.shape)})")
    out_channels = weight.shape[1] * groups
    if bias is not None and bias.shape != (out_channels,):
        raise InputError(f"{name}: expected bias of shape ({out_channels},), got {tuple(bias.shape)}")
    out_hw = [transposed_output_size(size, k, s, p, d, op) for size, s, p, d, k, op in
              zip(input.shape[2:], stride, padding, dilation, weight.shape[2:], output_padding)]
    if min(out_hw) <= 0:
        raise InputError(f"{name}: the output would be {tuple(out_hw)} for input {tuple(input.shape)}: padding {padding} is too large")
    if input.shape[0] == 0:
        return EmptyBatch((0, out_channels, *out_hw))(input, weight, bias)
    return ConvTranspose2d(stride, padding, output_padding, dilation, groups)(input, weight, bias)


@complex_by_parts
@mixed_precision.casts_inputs("lower")
@accepts_unbatched(1)
def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1,
                     name="conv_transpose1d"):
    """Transposed 1-D convolution of (N, C, L) ``input`` with ``weight`` (C, O/groups, K):
    ``conv_transpose2d`` on the input seen as (N, C, 1, L) and the weight as (C, O/groups, 1, K)."""
    check_ncl(input, name, weight, "(in_channels, out_channels/groups, K)")
    one = {what: ntuple(value, 1, name, what)[0] for what, value in
           (("stride", stride), ("padding", padding), ("output_padding", output_padding), ("dilation", dilation))}
    n, channels, length = input.shape
    out = conv_transpose2d(input.reshape(n, channels, 1, length), weight.reshape(weight.shape[0], weight.shape[1], 1, -1),
                           bias, (1, one["stride"]), (0, one["padding"]), (0, one["output_padding"]), groups,
                           (1, one["dilation"]), name)
    return out.reshape(n, out.shape[1], out.shape[3])
