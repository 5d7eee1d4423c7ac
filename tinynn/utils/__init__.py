"""Utilities with PyTorch's ``torch.utils`` names: ``checkpoint`` (recomputing activations in the
backward pass instead of keeping them), ``data`` (tinynn.data, as ``torch.utils.data``),
``dlpack`` (tensors shared with other libraries without a copy), ``tensorboard`` (SummaryWriter) and
``benchmark`` (Timer, Compare)."""
from . import benchmark, checkpoint, data, dlpack, tensorboard

__all__ = ["benchmark", "checkpoint", "data", "dlpack", "tensorboard"]
