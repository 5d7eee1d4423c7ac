"""``torch.cpu.amp``: the names CPU mixed precision had before ``torch.amp`` (``torch.cpu.amp.autocast``,
``GradScaler``), with PyTorch's FutureWarning. tinynn's CPU autocast computes in float16 (NumPy has no
bfloat16, PyTorch's CPU default): ``dtype`` says so explicitly where a script gives one."""
from .. import amp

autocast, GradScaler = amp.device_amp_names("cpu")
