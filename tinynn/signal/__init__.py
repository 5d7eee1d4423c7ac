"""``tinynn.signal`` (PyTorch's ``torch.signal``): ``windows``, the window functions."""
from . import windows

__all__ = ["windows"]
