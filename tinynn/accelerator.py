"""``torch.accelerator``: PyTorch's device-agnostic questions, which its tutorials now start with,

    device = tinynn.accelerator.current_accelerator().type if tinynn.accelerator.is_available() else "cpu"

answered for tinynn's one accelerator, the GPU (CuPy's device 0, named "cuda" as in PyTorch).
Where there is none, ``current_accelerator()`` is None, as PyTorch's CPU-only builds answer, and the
memory questions (``memory_allocated``, ``memory_reserved``, ``get_memory_info``... tinynn.cuda's answers)
are PyTorch's error.
"""
import contextlib

from . import backend, cuda


def is_available():
    """True where CuPy is installed and sees a CUDA device."""
    return cuda.is_available()


def current_accelerator(check_available=False):
    """``tinynn.device("cuda")`` where CuPy is installed (and, with ``check_available``, sees a GPU);
    None otherwise."""
    try:
        import cupy  # noqa: F401  (installed: the GPU path is there, as a CUDA build of PyTorch)
    except ImportError:
        return None
    if check_available and not is_available():
        return None
    return backend.device("cuda", 0)


def device_count():
    """1 where there is a GPU (tinynn works on device 0), else 0."""
    return cuda.device_count()


def current_device_index():
    """0: the GPU tinynn works on (a DeviceError where there is none)."""
    return cuda.current_device()


def set_device_index(device, /):
    """Accepted for device 0 (``"cuda"``, ``"cuda:0"``, 0, None): tinynn's one GPU; another is an error."""
    if device is not None:
        backend.gpu_device(device)


def synchronize(device=None, /):
    """Wait until the GPU has finished its queued work (for timing)."""
    cuda.synchronize(device)


@contextlib.contextmanager
def device_index(device, /):
    """``with tinynn.accelerator.device_index(0):``: device 0 (or None) is the GPU tinynn works on already."""
    set_device_index(device)
    yield


current_device_idx, set_device_idx = current_device_index, set_device_index  # PyTorch's older names


def _gpu():
    """The memory questions below need the accelerator, as PyTorch's: an error where there is none."""
    if not is_available():
        raise RuntimeError("Cannot access accelerator device when none is available.")


def memory_allocated(device_index=None, /):
    """Bytes of the accelerator's memory that arrays hold now (``tinynn.cuda.memory_allocated``)."""
    _gpu()
    return cuda.memory_allocated(device_index)


def memory_reserved(device_index=None, /):
    """Bytes the memory pool holds: the arrays' and freed blocks kept for reuse."""
    _gpu()
    return cuda.memory_reserved(device_index)


def max_memory_reserved(device_index=None, /):
    _gpu()
    return cuda.max_memory_reserved(device_index)


def reset_peak_memory_stats(device_index=None, /):
    _gpu()
    cuda.reset_peak_memory_stats(device_index)


def empty_cache():
    """Give the pool's freed blocks back to the driver."""
    _gpu()
    cuda.empty_cache()


def get_memory_info(device_index=None, /):
    """(free, total) bytes of the accelerator's memory, as its driver reports them."""
    _gpu()
    return cuda.mem_get_info(device_index)


def current_stream(device=None, /):
    """The stream accelerator work goes to now."""
    _gpu()
    return cuda.current_stream(device)
