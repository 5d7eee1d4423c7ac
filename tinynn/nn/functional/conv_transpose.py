"""2-D transposed convolution ("deconvolution"): the adjoint of conv2d, used to upsample."""
from ...autograd import Function
from ...ops.reduction import sum_rows
from .conv import by_group
from .im2col import kernel_offsets, pad_nhwc, to_nchw, to_nhwc, unpad_nhwc
from .validation import check_float, check_ncl, check_nchw, check_non_negative, check_positive, ntuple, pair


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

    Both passes loop over the KH*KW kernel offsets (p, q), each one (batched over the G groups)
    matmul of all N*H*W pixels, as col2im does; never over pixels.
    """

    def __init__(self, stride, padding, output_padding, dilation, groups):
        self.stride, self.padding, self.output_padding = stride, padding, output_padding
        self.dilation, self.groups = dilation, groups

    def _crop(self):
        """((top, bottom), (left, right)): the padding P cut from each border of the full output."""
        return tuple((pad, pad) for pad in self.padding)

    def forward(self, x, weight, bias=None):
        xp = self.xp(x)
        n, in_channels, h, w = x.shape
        _, group_out, kh, kw = weight.shape
        groups = self.groups
        out_channels = group_out * groups
        full_hw = tuple((size - 1) * self.stride[i] + self.dilation[i] * (k - 1) + 1 + self.output_padding[i]
                        for i, (size, k) in enumerate(((h, kh), (w, kw))))
        # ``full`` ends with output_padding rows and columns that no window reaches (zeros).
        full = xp.zeros((n,) + full_hw + (out_channels,), dtype=x.dtype)
        x_groups = by_group(to_nhwc(x).reshape(-1, in_channels), groups)  # (G, rows, Cg)
        weight_per_offset = weight.reshape(groups, in_channels // groups, group_out, kh, kw)
        for p, q, window in kernel_offsets((kh, kw), self.stride, (h, w), self.dilation):
            spread = xp.matmul(x_groups, weight_per_offset[:, :, :, p, q])  # (G, rows, O/G)
            full[window] += spread.transpose(1, 0, 2).reshape(n, h, w, out_channels)
        y = unpad_nhwc(full, self._crop())
        if bias is not None:
            y = y + bias
        self.x_groups, self.weight, self.has_bias = x_groups, weight, bias is not None
        self.input_shape = x.shape
        return to_nchw(y)

    def backward(self, gy):
        xp = self.xp(gy)
        n, in_channels, h, w = self.input_shape
        _, group_out, kh, kw = self.weight.shape
        g = to_nhwc(gy)
        g_full = pad_nhwc(g, self._crop())
        weight_per_offset = self.weight.reshape(self.groups, in_channels // self.groups, group_out, kh, kw)
        gx = xp.zeros((self.groups, n * h * w, in_channels // self.groups), dtype=gy.dtype) if self.needs_input_grad[0] else None
        gw = xp.zeros(weight_per_offset.shape, dtype=gy.dtype) if self.needs_input_grad[1] else None
        for p, q, window in kernel_offsets((kh, kw), self.stride, (h, w), self.dilation):
            g_window = by_group(g_full[window].reshape(-1, group_out * self.groups), self.groups)  # (G, rows, O/G)
            if gx is not None:
                gx += xp.matmul(g_window, weight_per_offset[:, :, :, p, q].transpose(0, 2, 1))
            if gw is not None:
                gw[:, :, :, p, q] = xp.matmul(self.x_groups.transpose(0, 2, 1), g_window)
        if gx is not None:
            gx = to_nchw(gx.transpose(1, 0, 2).reshape(n, h, w, in_channels))
        if gw is not None:
            gw = gw.reshape(self.weight.shape)
        gb = sum_rows(g.reshape(-1, g.shape[3])) if self.has_bias and self.needs_input_grad[2] else None
        return gx, gw, gb


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1,
                     name="conv_transpose2d"):
    """Transposed 2-D convolution of NCHW ``input`` with ``weight`` (C, O/groups, KH, KW), PyTorch's
    argument order; OH = (H - 1) * stride - 2 * padding + dilation * (KH - 1) + output_padding + 1."""
    check_nchw(input, name)
    check_float(weight, name, "weight")
    if weight.ndim != 4:
        raise ValueError(f"{name}: expected a 4-D weight (in_channels, out_channels/groups, KH, KW), got shape {weight.shape}")
    stride, padding = pair(stride, name, "stride"), pair(padding, name, "padding")
    output_padding, dilation = pair(output_padding, name, "output_padding"), pair(dilation, name, "dilation")
    check_positive(stride, name, "stride")
    check_positive(dilation, name, "dilation")
    check_non_negative(padding + output_padding, name, "padding and output_padding")
    if any(op >= max(s, d) for op, s, d in zip(output_padding, stride, dilation)):
        raise ValueError(f"{name}: output_padding {output_padding} must be smaller than stride {stride} or dilation {dilation}")
    groups = ntuple(groups, 1, name, "groups")[0]
    if groups <= 0 or weight.shape[0] % groups:
        raise ValueError(f"{name}: groups must be a positive divisor of in_channels ({weight.shape[0]}), got {groups}")
    if input.shape[1] != weight.shape[0]:
        raise ValueError(f"{name}: expected input with {weight.shape[0]} channels (weight {weight.shape}), "
                         f"got {input.shape[1]} channels (input shape {input.shape})")
    out_channels = weight.shape[1] * groups
    if bias is not None and bias.shape != (out_channels,):
        raise ValueError(f"{name}: expected bias of shape ({out_channels},), got {bias.shape}")
    out_hw = [(size - 1) * s - 2 * p + d * (k - 1) + op + 1 for size, s, p, d, k, op in
              zip(input.shape[2:], stride, padding, dilation, weight.shape[2:], output_padding)]
    if min(out_hw) <= 0:
        raise ValueError(f"{name}: the output would be {tuple(out_hw)} for input {input.shape}: padding {padding} is too large")
    return ConvTranspose2d(stride, padding, output_padding, dilation, groups)(input, weight, bias)


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
