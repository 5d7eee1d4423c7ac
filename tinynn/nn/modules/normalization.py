"""``LayerNorm``, ``GroupNorm`` and ``RMSNorm`` (their math in nn/functional/layer_norm.py)."""
import numpy as np

from ...errors import InputError
from ... import backend
from .. import functional as F
from .. import init
from ..parameter import Parameter
from .module import Module
from ...tensor import ones, zeros


def reset_scale_and_shift(module):
    """A normalization's learned scale back to 1 and shift to 0 (those it has): its reset_parameters."""
    if module.weight is not None:
        init.ones_(module.weight)
    if getattr(module, "bias", None) is not None:
        init.zeros_(module.bias)


class LayerNorm(Module):
    """LayerNorm(normalized_shape, eps=1e-5, elementwise_affine=True, bias=True) as in PyTorch."""

    def __init__(self, normalized_shape, eps=1e-5, elementwise_affine=True, bias=True, device=None, dtype=None):
        super().__init__()
        self.normalized_shape = ((normalized_shape,) if isinstance(normalized_shape, (int, np.integer))
                                 else tuple(normalized_shape))
        self.eps, self.elementwise_affine = eps, elementwise_affine
        self.register_parameter("weight", Parameter(ones(*self.normalized_shape, dtype=dtype)) if elementwise_affine
                                else None)
        self.register_parameter("bias", Parameter(zeros(*self.normalized_shape, dtype=dtype))
                                if elementwise_affine and bias else None)
        self.to(backend.canonical_device(device))  # (None: the default device)

    def reset_parameters(self):
        reset_scale_and_shift(self)

    def forward(self, input):
        return F.layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps,
                            name=f"LayerNorm({self.extra_repr()})")

    def extra_repr(self):
        return (f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}, "
                f"bias={self.bias is not None}")


class GroupNorm(Module):
    """GroupNorm(num_groups, num_channels, eps=1e-5, affine=True, *, bias=True) as in PyTorch
    (``bias=False``: a learned scale and no shift)."""

    def __init__(self, num_groups, num_channels, eps=1e-5, affine=True, device=None, dtype=None, *, bias=True):
        super().__init__()
        if num_channels % num_groups:
            raise InputError(f"GroupNorm: num_channels ({num_channels}) must be divisible by num_groups ({num_groups})")
        self.num_groups, self.num_channels, self.eps, self.affine = num_groups, num_channels, eps, affine
        self.register_parameter("weight", Parameter(ones(num_channels, dtype=dtype)) if affine else None)
        self.register_parameter("bias", Parameter(zeros(num_channels, dtype=dtype)) if affine and bias else None)
        self.to(backend.canonical_device(device))  # (None: the default device)

    def reset_parameters(self):
        reset_scale_and_shift(self)

    def forward(self, input):
        return F.group_norm(input, self.num_groups, self.weight, self.bias, self.eps,
                            name=f"GroupNorm({self.extra_repr()})")

    def extra_repr(self):
        return f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}, bias={self.bias is not None}"


class RMSNorm(Module):
    """RMSNorm(normalized_shape, eps=None, elementwise_affine=True) as in PyTorch (``F.rms_norm``)."""

    def __init__(self, normalized_shape, eps=None, elementwise_affine=True, device=None, dtype=None):
        super().__init__()
        self.normalized_shape = ((normalized_shape,) if isinstance(normalized_shape, (int, np.integer))
                                 else tuple(normalized_shape))
        self.eps, self.elementwise_affine = eps, elementwise_affine
        self.register_parameter("weight", Parameter(ones(*self.normalized_shape, dtype=dtype)) if elementwise_affine
                                else None)
        self.to(backend.canonical_device(device))  # (None: the default device)

    def reset_parameters(self):
        reset_scale_and_shift(self)

    def forward(self, x):
        return F.rms_norm(x, self.normalized_shape, self.weight, self.eps, name=f"RMSNorm({self.extra_repr()})")

    def extra_repr(self):
        return f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}"
