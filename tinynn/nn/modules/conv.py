"""``Conv1d/2d/3d``, ``ConvTranspose1d/2d/3d``: learned convolutions (math and backward in
nn/functional/conv.py and conv_transpose.py; the 3-D ones built on them in conv3d.py)."""
import math

from ...errors import InputError
from ... import backend
from ...size import as_int
from .. import functional as F, init
from ..functional.conv import conv_padding
from ..functional.im2col import transposed_output_size
from ..functional.validation import ntuple
from ..parameter import Parameter
from .module import Module
from ...tensor import zeros


PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


class _ConvNd(Module):
    """The arguments, parameters and initialisation that Conv1d and Conv2d share, as in PyTorch.

    Initialised like PyTorch: weight and bias ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)),
    fan_in = in_channels / groups * (kernel size).
    """

    spatial_dims = None

    def __init__(self, in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias, device, dtype,
                 transposed=False, padding_mode="zeros", output_padding=0):
        super().__init__()
        name, n = type(self).__name__, self.spatial_dims
        if padding_mode not in PADDING_MODES:
            raise InputError(f"{name}: padding_mode must be one of {PADDING_MODES}, got {padding_mode!r}")
        if transposed and padding_mode != "zeros":
            raise InputError(f"{name}: only padding_mode 'zeros' is supported for transposed convolutions, as in PyTorch")
        self.padding_mode, self.transposed = padding_mode, transposed
        self.output_padding = ntuple(output_padding, n, name, "output_padding")  # (zeros but for a transposed one)
        in_channels, out_channels, groups = as_int(in_channels), as_int(out_channels), as_int(groups)
        for what, value in (("in_channels", in_channels), ("out_channels", out_channels), ("groups", groups)):
            if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
                raise InputError(f"{name}: {what} must be a positive int, got {value!r}")
        if in_channels % groups or out_channels % groups:
            raise InputError(f"{name}: in_channels ({in_channels}) and out_channels ({out_channels}) must both be "
                             f"divisible by groups ({groups})")
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self.kernel_size = ntuple(kernel_size, n, name, "kernel_size")
        self.stride = ntuple(stride, n, name, "stride")
        self.padding = padding if isinstance(padding, str) else ntuple(padding, n, name, "padding")
        self.dilation = ntuple(dilation, n, name, "dilation")
        if min(self.kernel_size + self.stride + self.dilation) <= 0:
            raise InputError(f"{name}: kernel_size, stride and dilation must be positive, got kernel_size="
                             f"{self.kernel_size}, stride={self.stride}, dilation={self.dilation}")
        if transposed and isinstance(padding, str):
            raise InputError(f"{name}: padding must be an int or {n} ints (not {padding!r}), as in PyTorch")
        conv_padding(self.padding, self.kernel_size, self.stride, self.dilation, name)  # rejects bad padding now
        weight_shape = (in_channels, out_channels // groups) if transposed else (out_channels, in_channels // groups)
        self.weight = Parameter(zeros(*weight_shape, *self.kernel_size, dtype=dtype))
        self.register_parameter("bias", Parameter(zeros(out_channels, dtype=dtype)) if bias else None)
        self.reset_parameters()
        self.to(backend.canonical_device(device))  # (None: the default device)

    def reset_parameters(self):
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init.calculate_fan_in_and_fan_out(self.weight)
            bound = 1 / math.sqrt(fan_in)
            init.uniform_(self.bias, -bound, bound)

    def _name(self):
        return f"{type(self).__name__}({self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size})"

    def _pad_input(self, x):
        """With a padding_mode other than zeros: (x padded by it, padding 0 for the convolution itself)."""
        if self.padding_mode == "zeros":
            return x, self.padding
        sides = conv_padding(self.padding, self.kernel_size, self.stride, self.dilation, self._name())
        amounts = [amount for before_after in reversed(sides) for amount in before_after]
        return F.pad(x, amounts, mode=self.padding_mode), 0

    def extra_repr(self):
        text = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        if isinstance(self.padding, str) or any(self.padding):
            text += f", padding={self.padding}"  # "same"/"valid" unquoted, as PyTorch prints them
        if any(d != 1 for d in self.dilation):
            text += f", dilation={self.dilation}"
        if any(self.output_padding):
            text += f", output_padding={self.output_padding}"
        if self.groups != 1:
            text += f", groups={self.groups}"
        if self.bias is None:
            text += ", bias=False"
        if self.padding_mode != "zeros":
            text += f", padding_mode={self.padding_mode}"  # unquoted, as PyTorch prints it
        return text


class _ConvolutionNd(_ConvNd):
    """The convolutions' arguments, in PyTorch's order, and their forward (after padding the input
    itself for a padding_mode other than zeros)."""

    function = None

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1, bias=True,
                 padding_mode="zeros", device=None, dtype=None):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias, device, dtype,
                         padding_mode=padding_mode)

    def forward(self, input):
        input, padding = self._pad_input(input)
        if self.spatial_dims == 1:  # conv1d takes single ints
            padding = padding[0] if isinstance(padding, tuple) else padding
            return self.function(input, self.weight, self.bias, self.stride[0], padding, self.dilation[0], self.groups,
                                 name=self._name())
        return self.function(input, self.weight, self.bias, self.stride, padding, self.dilation, self.groups,
                             name=self._name())


class Conv1d(_ConvolutionNd):
    """Conv1d(in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1,
    bias=True, padding_mode="zeros") as in PyTorch: input (N, in_channels, L) -> output
    (N, out_channels, OL); weight (out_channels, in_channels / groups, K)."""

    spatial_dims = 1
    function = staticmethod(F.conv1d)


class Conv2d(_ConvolutionNd):
    """Conv2d(in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1,
    bias=True, padding_mode="zeros") as in PyTorch: input (N, in_channels, H, W) -> output
    (N, out_channels, OH, OW); weight (out_channels, in_channels / groups, KH, KW)."""

    spatial_dims = 2
    function = staticmethod(F.conv2d)


class Conv3d(_ConvolutionNd):
    """Conv3d(in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1,
    bias=True, padding_mode="zeros") as in PyTorch: input (N, in_channels, D, H, W) -> output
    (N, out_channels, OD, OH, OW); weight (out_channels, in_channels / groups, KD, KH, KW)."""

    spatial_dims = 3
    function = staticmethod(F.conv3d)


class _ConvTransposeNd(_ConvNd):
    """The transposed convolutions' arguments, in PyTorch's order (output_padding before groups,
    dilation last); the weight is (in_channels, out_channels / groups, *kernel)."""

    function = None

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, output_padding=0, groups=1,
                 bias=True, dilation=1, padding_mode="zeros", device=None, dtype=None):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias, device, dtype,
                         transposed=True, padding_mode=padding_mode, output_padding=output_padding)

    def forward(self, input, output_size=None):
        """``output_size`` (the spatial sizes, or with the batch and channel sizes in front): the output
        padding that gives it, as PyTorch's (a decoder matching its encoder's odd sizes, say)."""
        def arguments(values):  # one int for the 1-D function, the tuple for the 2-D one
            return values[0] if self.spatial_dims == 1 else tuple(values)

        output_padding = self._output_padding(input, output_size, self.stride, self.padding, self.kernel_size,
                                              self.spatial_dims, self.dilation)
        return self.function(input, self.weight, self.bias, arguments(self.stride), arguments(self.padding),
                             arguments(output_padding), self.groups, arguments(self.dilation), name=self._name())

    def _output_padding(self, input, output_size, stride, padding, kernel_size, num_spatial_dims, dilation=None):
        """The output padding per spatial axis: the layer's own, or what makes the output ``output_size``:
        each size must lie between the smallest output, (L - 1) stride - 2 padding + dilation (K - 1) + 1,
        and that plus stride - 1 (as PyTorch's)."""
        if output_size is None:
            return tuple(self.output_padding)
        leading = input.ndim - num_spatial_dims
        output_size = tuple(int(size) for size in output_size)
        if len(output_size) == leading + num_spatial_dims:
            output_size = output_size[leading:]
        if len(output_size) != num_spatial_dims:
            raise InputError(f"{self._name()}: for {input.ndim}-D input, output_size must have {num_spatial_dims} or "
                             f"{leading + num_spatial_dims} elements, got {len(output_size)}")
        dilation = dilation if dilation is not None else (1,) * num_spatial_dims
        smallest = [transposed_output_size(input.shape[leading + axis], kernel_size[axis], stride[axis], padding[axis],
                                           dilation[axis]) for axis in range(num_spatial_dims)]
        largest = [size + stride[axis] - 1 for axis, size in enumerate(smallest)]
        if any(not low <= size <= high for size, low, high in zip(output_size, smallest, largest)):
            raise InputError(f"{self._name()}: requested an output size of {list(output_size)}, but valid sizes range "
                             f"from {smallest} to {largest} (for an input of {list(input.shape[leading:])})")
        return tuple(size - low for size, low in zip(output_size, smallest))


class ConvTranspose1d(_ConvTransposeNd):
    """ConvTranspose1d(in_channels, out_channels, kernel_size, stride=1, padding=0, output_padding=0,
    groups=1, bias=True, dilation=1) as in PyTorch: input (N, in_channels, L) -> output
    (N, out_channels, OL), OL = (L - 1) * stride - 2 * padding + dilation * (K - 1) + output_padding + 1."""

    spatial_dims = 1
    function = staticmethod(F.conv_transpose1d)


class ConvTranspose2d(_ConvTransposeNd):
    """ConvTranspose2d(in_channels, out_channels, kernel_size, stride=1, padding=0, output_padding=0,
    groups=1, bias=True, dilation=1) as in PyTorch: input (N, in_channels, H, W) -> output
    (N, out_channels, OH, OW), OH = (H - 1) * stride - 2 * padding + dilation * (KH - 1) + output_padding + 1."""

    spatial_dims = 2
    function = staticmethod(F.conv_transpose2d)


class ConvTranspose3d(_ConvTransposeNd):
    """ConvTranspose3d(in_channels, out_channels, kernel_size, stride=1, padding=0, output_padding=0,
    groups=1, bias=True, dilation=1) as in PyTorch: input (N, in_channels, D, H, W) -> output
    (N, out_channels, OD, OH, OW)."""

    spatial_dims = 3
    function = staticmethod(F.conv_transpose3d)
