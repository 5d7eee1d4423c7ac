"""``torch.autograd.profiler``: the profiler's older names, which scripts written before
``torch.profiler`` use (``with torch.autograd.profiler.profile() as prof: ...``, then
``prof.key_averages().table()``): ``tinynn.profiler``'s profile and record_function."""
from .. import profiler
from ..profiler import record_function  # noqa: F401  (the same named range)


class profile(profiler.profile):
    """``profile(enabled=True, *, use_cuda=False, use_device=None, record_shapes=False, with_flops=False,
    profile_memory=False, with_stack=False, ...)``: records the ops inside it unless ``enabled`` is
    False; ``use_cuda`` (or ``use_device="cuda"``) waits for each GPU op, as ProfilerActivity.CUDA; the
    options as tinynn.profiler.profile's (``use_kineto``, ``use_cpu`` and the rest are taken for
    PyTorch's signature: tinynn always times the CPU, without Kineto)."""

    def __init__(self, enabled=True, *, use_cuda=False, use_device=None, record_shapes=False, with_flops=False,
                 profile_memory=False, with_stack=False, with_modules=False, use_kineto=False, use_cpu=True,
                 experimental_config=None, acc_events=False, custom_trace_id_callback=None,
                 post_processing_timeout_s=None, activity_filters=None):
        on_gpu = use_cuda or (use_device is not None and str(use_device).split(":")[0] in ("cuda", "gpu"))
        activities = [profiler.ProfilerActivity.CPU] + ([profiler.ProfilerActivity.CUDA] if on_gpu else [])
        super().__init__(activities=activities, record_shapes=record_shapes, profile_memory=profile_memory,
                         with_stack=with_stack, with_flops=with_flops, with_modules=with_modules)
        self.enabled = enabled

    def start(self):
        return super().start() if self.enabled else self
