"""``Conv2d``: learned 2-D convolution (math and backward in nn/functional/conv.py)."""
import math

from ... import backend
from .. import functional as F, init
from ..functional.validation import pair
from ..parameter import Parameter
from .module import Module
from ...tensor import zeros


class Conv2d(Module):
    """Conv2d(in_channels, out_channels, kernel_size, stride=1, padding=0, bias=True) as in PyTorch.

    Input (N, in_channels, H, W) -> output (N, out_channels, OH, OW). Initialised like PyTorch:
    weight and bias ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)), fan_in = in_channels * KH * KW.
    """

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, bias=True, device="cpu",
                 dtype=None):
        super().__init__()
        for what, value in (("in_channels", in_channels), ("out_channels", out_channels)):
            if not isinstance(value, int) or value <= 0:
                raise ValueError(f"Conv2d: {what} must be a positive int, got {value!r}")
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size = pair(kernel_size, "Conv2d", "kernel_size")
        self.stride = pair(stride, "Conv2d", "stride")
        self.padding = pair(padding, "Conv2d", "padding")
        if min(self.kernel_size) <= 0 or min(self.stride) <= 0 or min(self.padding) < 0:
            raise ValueError(f"Conv2d: kernel_size and stride must be positive and padding non-negative, "
                             f"got kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}")
        self.weight = Parameter(zeros(out_channels, in_channels, *self.kernel_size, dtype=dtype))
        self.bias = Parameter(zeros(out_channels, dtype=dtype)) if bias else None
        if not bias:
            self.register_parameter("bias", None)
        self.reset_parameters()
        if backend.canonical_device(device) != backend.CPU:
            self.to(device)

    def reset_parameters(self):
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init.calculate_fan_in_and_fan_out(self.weight)
            bound = 1 / math.sqrt(fan_in)
            init.uniform_(self.bias, -bound, bound)

    def forward(self, x):
        return F.conv2d(x, self.weight, self.bias, self.stride, self.padding, name=self._name())

    def _name(self):
        return f"Conv2d({self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size})"

    def extra_repr(self):
        text = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        if self.padding != (0, 0):
            text += f", padding={self.padding}"
        if self.bias is None:
            text += ", bias=False"
        return text
