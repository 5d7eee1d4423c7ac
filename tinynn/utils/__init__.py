"""Utilities with PyTorch's ``torch.utils`` names: ``checkpoint`` (recomputing activations in the
backward pass instead of keeping them), ``data`` (tinynn.data, as ``torch.utils.data``),
``dlpack`` (tensors shared with other libraries without a copy) and ``tensorboard`` (SummaryWriter)."""
from . import checkpoint, data, dlpack, tensorboard

__all__ = ["checkpoint", "data", "dlpack", "tensorboard"]
