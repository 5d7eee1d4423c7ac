"""``tinynn.backends``: PyTorch's switches for its kernel libraries, which training scripts set for
speed or reproducibility (``torch.backends.cudnn.benchmark = True``). tinynn calls no cuDNN and no
MKL-DNN, so they are kept, as PyTorch keeps them, and change nothing: its CPU results are the same
from run to run, and its GPU reductions sum in a fixed order except the scatter-adds of indexing
backward passes, whose atomic additions may round differently from run to run (as PyTorch's)."""
import types

cudnn = types.SimpleNamespace(enabled=True, benchmark=False, deterministic=False, allow_tf32=True,
                              is_available=lambda: False, version=lambda: None)
mkldnn = types.SimpleNamespace(enabled=True, is_available=lambda: False)
cuda = types.SimpleNamespace(matmul=types.SimpleNamespace(allow_tf32=False, allow_fp16_reduced_precision_reduction=True),
                             is_built=lambda: True)
mps = types.SimpleNamespace(is_available=lambda: False, is_built=lambda: False)

_deterministic = {"mode": False, "warn_only": False}


def use_deterministic_algorithms(mode, *, warn_only=False):
    """Recorded, as PyTorch's switch (``torch.use_deterministic_algorithms``); tinynn has no
    nondeterministic algorithm to swap out on the CPU (see the module docstring for the GPU)."""
    _deterministic.update(mode=bool(mode), warn_only=bool(warn_only))


def are_deterministic_algorithms_enabled():
    return _deterministic["mode"]


def is_deterministic_algorithms_warn_only_enabled():
    return _deterministic["warn_only"]
