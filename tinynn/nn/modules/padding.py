"""Padding layers (PyTorch's ``ZeroPad1d/2d``, ``ConstantPad1d/2d``, ``ReflectionPad1d/2d``,
``ReplicationPad1d/2d``, ``CircularPad1d/2d``): ``F.pad`` with a fixed mode and amounts."""
from .. import functional as F
from ..functional.validation import ntuple
from .module import Module


class _PadNd(Module):
    """``padding``: one int for every side, or (left, right[, top, bottom]) as F.pad takes them."""

    mode, spatial_dims = "constant", None
    value = None  # (the constant pads' fill; the other modes take none, as PyTorch's)

    def __init__(self, padding):
        super().__init__()
        sides = 2 * self.spatial_dims
        self.padding = ntuple(padding, sides, type(self).__name__, "padding")

    def forward(self, input):
        return F.pad(input, self.padding, self.mode, self.value)

    def extra_repr(self):
        return f"{self.padding}"


class _ConstantPadNd(_PadNd):
    def __init__(self, padding, value):
        super().__init__(padding)
        self.value = float(value)

    def extra_repr(self):
        return f"padding={self.padding}, value={self.value}"


class ConstantPad1d(_ConstantPadNd):
    spatial_dims = 1


class ConstantPad2d(_ConstantPadNd):
    spatial_dims = 2


class ConstantPad3d(_ConstantPadNd):
    spatial_dims = 3


class _ZeroFill:
    """Constant padding with zeros: the padding is the only argument (ZeroPad1d/2d/3d, each a subclass of
    the ConstantPad of its dimension, as in PyTorch)."""

    def __init__(self, padding):
        super().__init__(padding, 0.0)

    def extra_repr(self):
        return f"{self.padding}"


class ZeroPad1d(_ZeroFill, ConstantPad1d):
    pass


class ZeroPad2d(_ZeroFill, ConstantPad2d):
    pass


class ZeroPad3d(_ZeroFill, ConstantPad3d):
    pass


class _ReflectionPadNd(_PadNd):
    mode = "reflect"


class ReflectionPad1d(_ReflectionPadNd):
    spatial_dims = 1


class ReflectionPad2d(_ReflectionPadNd):
    spatial_dims = 2


class ReflectionPad3d(_ReflectionPadNd):
    spatial_dims = 3


class _ReplicationPadNd(_PadNd):
    mode = "replicate"


class ReplicationPad1d(_ReplicationPadNd):
    spatial_dims = 1


class ReplicationPad2d(_ReplicationPadNd):
    spatial_dims = 2


class ReplicationPad3d(_ReplicationPadNd):
    spatial_dims = 3


class _CircularPadNd(_PadNd):
    mode = "circular"


class CircularPad1d(_CircularPadNd):
    spatial_dims = 1


class CircularPad2d(_CircularPadNd):
    spatial_dims = 2


class CircularPad3d(_CircularPadNd):
    spatial_dims = 3
