"""PyTorch's ``torch.cuda`` questions, answered for tinynn's GPU (CuPy's device 0), so a script's
``device = "cuda" if torch.cuda.is_available() else "cpu"`` reads the same with tinynn.

Only what has a meaning here: whether there is a GPU, its name, waiting for it, its memory (CuPy's
memory pool, which holds every GPU array tinynn makes), and its random generator's seed. Asking
about the GPU where there is none is a ``DeviceError`` saying why, as PyTorch raises; ``empty_cache``
and the memory counts are no-ops or 0 where the GPU was never used.
"""
import sys

from . import backend, random


def is_available():
    """True where CuPy is installed and sees a CUDA device."""
    return backend.gpu_available()


def device_count():
    """The GPUs tinynn can use: 1 where there is one (tinynn works on device 0), else 0."""
    return 1 if is_available() else 0


def current_device():
    """0: the GPU tinynn works on (a DeviceError where there is none)."""
    backend.cupy_module()
    return 0


def get_device_name(device=None):
    """The GPU's name, as its driver reports it."""
    backend.gpu_device(device)
    name = backend.cupy_module().cuda.runtime.getDeviceProperties(0)["name"]
    return name.decode() if isinstance(name, bytes) else str(name)


def synchronize(device=None):
    """Wait until the GPU has finished every queued kernel (they run asynchronously): for timing."""
    backend.gpu_device(device)
    backend.synchronize(backend.GPU)


def _memory_pool():
    """CuPy's memory pool where the GPU has been used in this process, else None."""
    cupy = sys.modules.get("cupy")
    return cupy.get_default_memory_pool() if cupy is not None else None


def memory_allocated(device=None):
    """Bytes of GPU memory that arrays hold now."""
    pool = _memory_pool()
    return int(pool.used_bytes()) if pool is not None else 0


def memory_reserved(device=None):
    """Bytes of GPU memory CuPy's pool holds: the arrays' and freed blocks kept for reuse."""
    pool = _memory_pool()
    return int(pool.total_bytes()) if pool is not None else 0


def empty_cache():
    """Give the freed blocks CuPy's pool keeps back to the driver (arrays in use stay)."""
    pool = _memory_pool()
    if pool is not None:
        pool.free_all_blocks()


def manual_seed(seed):
    """Seed the GPU's random generator (dropout masks and ``randn`` on the GPU); the CPU's goes on."""
    random.manual_seed_gpu(seed)


manual_seed_all = manual_seed  # (one GPU)
