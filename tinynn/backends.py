"""``tinynn.backends``: PyTorch's switches for its kernel libraries, which training scripts set for
speed or reproducibility (``torch.backends.cudnn.benchmark = True``). tinynn calls no cuDNN and no
MKL-DNN, so they are kept, as PyTorch keeps them, and change nothing: its CPU results are the same
from run to run, and its GPU reductions sum in a fixed order except the scatter-adds of indexing
backward passes, whose atomic additions may round differently from run to run (as PyTorch's). The
attention-kernel switches (``cuda.enable_flash_sdp`` and its siblings, ``cuda.sdp_kernel``) are the
flags of ``tinynn.nn.attention``: turning off every kernel a device has is an error there, as in PyTorch."""
import contextlib
import sys
import types
import warnings

from .nn import attention



def _switches(name, **settings):
    """The module ``tinynn.backends.<name>`` holding ``settings``, registered, so that ``import
    tinynn.backends.cudnn as cudnn`` works as PyTorch's does."""
    module = types.ModuleType(f"{__name__}.{name}", f"PyTorch's torch.backends.{name} switches (see tinynn.backends).")
    module.__dict__.update(settings)
    sys.modules[module.__name__] = module
    return module


cudnn = _switches("cudnn", enabled=True, benchmark=False, deterministic=False, allow_tf32=True,
                  is_available=lambda: False, version=lambda: None)
mkldnn = _switches("mkldnn", enabled=True, is_available=lambda: False)
mkl = _switches("mkl", is_available=lambda: False)
openmp = _switches("openmp", is_available=lambda: False)
cuda = _switches("cuda", matmul=types.SimpleNamespace(allow_tf32=False, allow_fp16_reduced_precision_reduction=True),
                 is_built=lambda: True)


def _sdp_switches(kernel, name):
    """torch.backends.cuda's enable_<name>_sdp(on) and <name>_sdp_enabled(): the flags of nn.attention."""
    def enable(enabled):
        attention.enabled[kernel] = bool(enabled)

    def is_enabled():
        return attention.enabled[kernel]
    setattr(cuda, f"enable_{name}_sdp", enable)
    setattr(cuda, f"{name}_sdp_enabled", is_enabled)


for _kernel, _name in ((attention.SDPBackend.FLASH_ATTENTION, "flash"), (attention.SDPBackend.MATH, "math"),
                       (attention.SDPBackend.EFFICIENT_ATTENTION, "mem_efficient"),
                       (attention.SDPBackend.CUDNN_ATTENTION, "cudnn")):
    _sdp_switches(_kernel, _name)


@contextlib.contextmanager
def _sdp_kernel(enable_flash=True, enable_math=True, enable_mem_efficient=True, enable_cudnn=True):
    """PyTorch's older context manager for the attention kernels (deprecated, with its warning)."""
    warnings.warn("`torch.backends.cuda.sdp_kernel()` is deprecated. In the future, this context manager will be "
                  "removed. Please see `torch.nn.attention.sdpa_kernel()` for the new context manager, with updated "
                  "signature.", FutureWarning, stacklevel=3)
    flags = {attention.SDPBackend.FLASH_ATTENTION: enable_flash, attention.SDPBackend.MATH: enable_math,
             attention.SDPBackend.EFFICIENT_ATTENTION: enable_mem_efficient,
             attention.SDPBackend.CUDNN_ATTENTION: enable_cudnn}
    with attention.sdpa_kernel([kernel for kernel, on in flags.items() if on] + [attention.SDPBackend.OVERRIDEABLE]):
        yield


cuda.sdp_kernel = _sdp_kernel
mps = _switches("mps", is_available=lambda: False, is_built=lambda: False)

_deterministic = {"mode": False, "warn_only": False}


def use_deterministic_algorithms(mode, *, warn_only=False):
    """Recorded, as PyTorch's switch (``torch.use_deterministic_algorithms``); tinynn has no
    nondeterministic algorithm to swap out on the CPU (see the module docstring for the GPU)."""
    _deterministic.update(mode=bool(mode), warn_only=bool(warn_only))


def are_deterministic_algorithms_enabled():
    return _deterministic["mode"]


def is_deterministic_algorithms_warn_only_enabled():
    return _deterministic["warn_only"]


_DEBUG_MODES = {"default": 0, "warn": 1, "error": 2}


def set_deterministic_debug_mode(debug_mode):
    """PyTorch's other spelling of the switch above: "default" (0) off, "warn" (1) on with warn_only,
    "error" (2) on."""
    if isinstance(debug_mode, str):
        if debug_mode not in _DEBUG_MODES:
            raise RuntimeError(f"invalid value of debug_mode, expected one of `default`, `warn`, `error`, but got "
                               f"{debug_mode}")
        debug_mode = _DEBUG_MODES[debug_mode]
    if debug_mode not in (0, 1, 2):
        raise RuntimeError(f"invalid value of debug_mode, expected 0, 1, or 2, but got {debug_mode}")
    use_deterministic_algorithms(debug_mode > 0, warn_only=debug_mode == 1)


def get_deterministic_debug_mode():
    """0, 1 or 2: the switch's state in set_deterministic_debug_mode's terms."""
    if not _deterministic["mode"]:
        return 0
    return 1 if _deterministic["warn_only"] else 2
