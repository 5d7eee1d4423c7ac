"""Utilities with PyTorch's ``torch.utils`` names: ``checkpoint`` (recomputing activations in the
backward pass instead of keeping them) and ``data`` (tinynn.data, as ``torch.utils.data``)."""
from . import checkpoint, data

__all__ = ["checkpoint", "data"]
