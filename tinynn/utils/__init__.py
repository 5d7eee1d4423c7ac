"""Utilities with PyTorch's ``torch.utils`` names: ``checkpoint`` (recomputing activations in the
backward pass instead of keeping them)."""
from . import checkpoint

__all__ = ["checkpoint"]
