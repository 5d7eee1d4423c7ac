"""``torch.cuda.amp``: the names mixed precision had before ``torch.amp``, which older training scripts
import (``from torch.cuda.amp import GradScaler, autocast``, ``custom_fwd``, ``custom_bwd``). They are ``tinynn.amp``'s, for the GPU,
with PyTorch's FutureWarning saying so."""
import warnings

from .. import amp, mixed_precision


def _deprecated(name, replacement=None):
    replacement = replacement or f"tinynn.amp.{name}('cuda', args...)"
    warnings.warn(f"`tinynn.cuda.amp.{name}(args...)` is deprecated. Please use `{replacement}` instead.", FutureWarning,
                  stacklevel=3)


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


def custom_fwd(fwd=None, *, cast_inputs=None):
    """``torch.cuda.amp.custom_fwd``: amp.custom_fwd(device_type="cuda")."""
    _deprecated("custom_fwd", "tinynn.amp.custom_fwd(args..., device_type='cuda')")
    return mixed_precision.custom_fwd(fwd, device_type="cuda", cast_inputs=cast_inputs)


def custom_bwd(bwd):
    """``torch.cuda.amp.custom_bwd``: amp.custom_bwd(device_type="cuda")."""
    _deprecated("custom_bwd", "tinynn.amp.custom_bwd(args..., device_type='cuda')")
    return mixed_precision.custom_bwd(bwd, device_type="cuda")

