"""``torch.autograd.profiler``: the profiler's older names, which scripts written before
``torch.profiler`` use (``with torch.autograd.profiler.profile() as prof: ...``, then
``prof.key_averages().table()``): ``tinynn.profiler``'s profile and record_function."""
from .. import profiler
from ..profiler import record_function  # noqa: F401  (the same named range)


class profile(profiler.profile):
    """``profile(enabled=True, *, use_cuda=False, use_device=None, record_shapes=False, ...)``:
    records the ops inside it unless ``enabled`` is False; ``use_cuda`` (or ``use_device="cuda"``)
    waits for each GPU op, as ProfilerActivity.CUDA. PyTorch's other options (with_flops,
    profile_memory, with_stack, with_modules, use_kineto, ...) are taken and change nothing:
    tinynn records times and, with ``record_shapes``, input shapes."""

    def __init__(self, enabled=True, *, use_cuda=False, use_device=None, record_shapes=False, **other_options):
        on_gpu = use_cuda or (use_device is not None and str(use_device).split(":")[0] in ("cuda", "gpu"))
        activities = [profiler.ProfilerActivity.CPU] + ([profiler.ProfilerActivity.CUDA] if on_gpu else [])
        super().__init__(activities=activities, record_shapes=record_shapes)
        self.enabled = enabled

    def start(self):
        return super().start() if self.enabled else self
