"""``tinynn.version`` (PyTorch's ``torch.version``), which environment reports and version checks read:
``__version__``, and ``cuda``, the version of the CUDA runtime the GPU path runs on (CuPy's, as
"12.4"), or None where CuPy or a GPU is missing (PyTorch's CPU builds say None too); asking for it
imports CuPy. tinynn has no ROCm or XPU path (``hip``, ``xpu``: None) and no debug build."""
from . import backend

__version__ = "0.1.0"
debug = False
hip = rocm = xpu = None
git_version = "unknown"  # (an installed package carries no git checkout to ask)


def __getattr__(name):
    if name == "cuda":
        if not backend.gpu_available():
            return None
        release = int(backend.cupy_module().cuda.runtime.runtimeGetVersion())  # e.g. 12040
        return f"{release // 1000}.{release % 1000 // 10}"
    raise AttributeError(f"module 'tinynn.version' has no attribute {name!r}")
