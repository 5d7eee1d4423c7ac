"""``torch.cuda.amp``: the names mixed precision had before ``torch.amp``, which older training scripts
import (``from torch.cuda.amp import GradScaler, autocast``, ``custom_fwd``, ``custom_bwd``). They are ``tinynn.amp``'s, for the GPU,
with PyTorch's FutureWarning saying so."""
import warnings

from .. import amp, mixed_precision


def _deprecated(name, replacement):
    warnings.warn(f"`tinynn.cuda.amp.{name}(args...)` is deprecated. Please use `{replacement}` instead.", FutureWarning,
                  stacklevel=3)


autocast, GradScaler = amp.device_amp_names("cuda")


def custom_fwd(fwd=None, *, cast_inputs=None):
    """``torch.cuda.amp.custom_fwd``: amp.custom_fwd(device_type="cuda")."""
    _deprecated("custom_fwd", "tinynn.amp.custom_fwd(args..., device_type='cuda')")
    return mixed_precision.custom_fwd(fwd, device_type="cuda", cast_inputs=cast_inputs)


def custom_bwd(bwd):
    """``torch.cuda.amp.custom_bwd``: amp.custom_bwd(device_type="cuda")."""
    _deprecated("custom_bwd", "tinynn.amp.custom_bwd(args..., device_type='cuda')")
    return mixed_precision.custom_bwd(bwd, device_type="cuda")

