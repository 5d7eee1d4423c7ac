"""Moving a tensor between devices or dtypes, differentiably."""
from .. import backend
from ..autograd import Function


class ToDevice(Function):
    """y = x copied to ``device``.  dL/dx = dL/dy copied back to x's device."""

    supports_complex = True
    linear_map = True

    def __init__(self, device):
        self.device = device

    def forward(self, x):
        self.source = backend.device_of(x)
        return backend.to_device(x, self.device)

    def backward(self, gy):
        return (backend.to_device(gy, self.source),)


class AsType(Function):
    """y = x converted to ``dtype``.  dL/dx = dL/dy converted back to x's dtype."""

    supports_complex = True
    graph_saved = {}

    def __init__(self, dtype):
        self.dtype = dtype

    def forward(self, x):
        self.source = x.dtype
        return x.astype(self.dtype)

    def backward(self, gy):
        if gy.dtype.kind == "c" and self.source.kind != "c":
            gy = gy.real  # a real tensor made complex gets the real part (ops/complex.py)
        return (gy.astype(self.source),)


class PinMemory(Function):
    """y = x copied into page-locked host memory (``Tensor.pin_memory``).  dL/dx = dL/dy."""

    supports_complex, linear_map = True, True

    def forward(self, x):
        return backend.pinned_copy(x)

    def backward(self, gy):
        return (gy,)
