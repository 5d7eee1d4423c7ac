"""Utilities with PyTorch's ``torch.utils`` names: ``checkpoint`` (recomputing activations in the
backward pass instead of keeping them), ``data`` (tinynn.data, as ``torch.utils.data``) and
``dlpack`` (tensors shared with other libraries without a copy)."""
from . import checkpoint, data, dlpack

__all__ = ["checkpoint", "data", "dlpack"]
