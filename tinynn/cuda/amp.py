"""``torch.cuda.amp``: the names mixed precision had before ``torch.amp``, which older training scripts
import (``from torch.cuda.amp import GradScaler, autocast``). They are ``tinynn.amp``'s, for the GPU,
with PyTorch's FutureWarning saying so."""
import warnings

from .. import amp, mixed_precision


def _deprecated(name):
    warnings.warn(f"`tinynn.cuda.amp.{name}(args...)` is deprecated. Please use `tinynn.amp.{name}('cuda', args...)` "
                  "instead.", FutureWarning, stacklevel=3)


class autocast(mixed_precision.autocast):
    """``torch.cuda.amp.autocast(enabled=True, dtype=float16, cache_enabled=True)``: autocast("cuda", ...)."""

    def __init__(self, enabled=True, dtype=None, cache_enabled=True):
        _deprecated("autocast")
        super().__init__("cuda", dtype=dtype, enabled=enabled, cache_enabled=cache_enabled)


class GradScaler(amp.GradScaler):
    """``torch.cuda.amp.GradScaler(init_scale, growth_factor, backoff_factor, growth_interval, enabled)``:
    amp.GradScaler("cuda", ...)."""

    def __init__(self, init_scale=2.0 ** 16, growth_factor=2.0, backoff_factor=0.5, growth_interval=2000, enabled=True):
        _deprecated("GradScaler")
        super().__init__("cuda", init_scale, growth_factor, backoff_factor, growth_interval, enabled)
