"""PyTorch's ``torch.cuda`` questions, answered for tinynn's GPU (CuPy's device 0), so a script's
``device = "cuda" if torch.cuda.is_available() else "cpu"`` reads the same with tinynn.

Only what has a meaning here: whether there is a GPU, its name and properties, waiting for it, timing
it (events) and queueing work on it (streams), its memory (CuPy's memory pool, which holds every GPU
array tinynn makes, and the driver's free and total), and its random generator's seed. Asking
about the GPU where there is none is a ``DeviceError`` saying why, as PyTorch raises; ``empty_cache``
and the memory counts are no-ops or 0 where the GPU was never used. ``tinynn.cuda.amp`` holds the
old names of mixed precision (``torch.cuda.amp.autocast``, ``GradScaler``). ``OutOfMemoryError`` is the
class a GPU allocation that does not fit raises (CuPy's), so ``except torch.cuda.OutOfMemoryError`` catches
it, and names a class nothing raises before tinynn has used a GPU (an except clause naming it must not be
an AttributeError that hides the error it was looking at).
"""

from .. import backend, random


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
    """CuPy's memory pool where the GPU has been used in this process, else None. (CuPy imported is
    not enough: installed where the driver sees no GPU, its pool's counts ask the driver and fail.)"""
    cupy = backend.loaded_cupy()
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
        _remember_peak_before_emptying()
        pool.free_all_blocks()


def manual_seed(seed):
    """Seed the GPU's random generator (dropout masks and ``randn`` on the GPU); the CPU's goes on."""
    random.manual_seed_gpu(seed)


manual_seed_all = manual_seed  # (one GPU)


def max_memory_reserved(device=None):
    """The most bytes CuPy's pool has held since the start, or since ``reset_peak_memory_stats``. The
    pool gives memory back only in ``empty_cache``, so what it holds now is its peak since then."""
    pool = _memory_pool()
    return max(_peak_reserved[0], int(pool.total_bytes())) if pool is not None else 0


def reset_peak_memory_stats(device=None):
    """Start ``max_memory_reserved`` afresh from what the pool holds now. (tinynn does not count the peak of
    ``memory_allocated``: that would cost a Python call on every GPU allocation.)"""
    _peak_reserved[0] = 0


_peak_reserved = [0]  # the pool's size before the last empty_cache, where that was its peak


def _remember_peak_before_emptying():
    pool = _memory_pool()
    if pool is not None:
        _peak_reserved[0] = max(_peak_reserved[0], int(pool.total_bytes()))


def mem_get_info(device=None):
    """(free, total) bytes of the GPU's memory, as its driver reports them (other processes' use included)."""
    backend.gpu_device(device)
    free, total = backend.cupy_module().cuda.runtime.memGetInfo()
    return int(free), int(total)


class _DeviceProperties:
    def __init__(self, properties):
        name = properties["name"]
        self.name = name.decode() if isinstance(name, bytes) else str(name)
        self.total_memory = int(properties["totalGlobalMem"])
        self.major, self.minor = int(properties["major"]), int(properties["minor"])
        self.multi_processor_count = int(properties["multiProcessorCount"])

    def __repr__(self):
        return (f"_CudaDeviceProperties(name='{self.name}', major={self.major}, minor={self.minor}, "
                f"total_memory={self.total_memory // 2 ** 20}MB, multi_processor_count={self.multi_processor_count})")


def get_device_properties(device=None):
    """The GPU's name, ``total_memory`` (bytes), compute capability ``major``.``minor`` and
    ``multi_processor_count``."""
    backend.gpu_device(device)
    return _DeviceProperties(backend.cupy_module().cuda.runtime.getDeviceProperties(0))


def set_device(device):
    """Accepted for device 0 (``"cuda"``, ``"cuda:0"``, 0): the GPU tinynn works on; another is an error."""
    backend.gpu_device(device)


class device:
    """``with tinynn.cuda.device(0):``, PyTorch's context for choosing the GPU: tinynn's is device 0."""

    def __init__(self, device):
        backend.gpu_device(device)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        return False


def is_bf16_supported(including_emulation=True):
    """False: tinynn has no bfloat16 (NumPy has none), whatever the GPU can do."""
    return False


class Event:
    """A marker in the GPU's queue of work (CuPy's event), as ``torch.cuda.Event``: ``record()`` puts it
    in the queue, ``synchronize()`` waits for the GPU to reach it, and ``start.elapsed_time(end)`` is the
    GPU time between two recorded events in milliseconds (both made with ``enable_timing=True``): how
    to time GPU work, which the CPU's clock cannot see."""

    def __init__(self, enable_timing=False, blocking=False, interprocess=False):
        self.enable_timing = enable_timing
        self._event = backend.cupy_module().cuda.Event(block=blocking, disable_timing=not enable_timing,
                                                       interprocess=interprocess)

    def record(self, stream=None):
        self._event.record(None if stream is None else stream._stream)

    def synchronize(self):
        self._event.synchronize()

    def query(self):
        """Whether the GPU has reached this event."""
        return bool(self._event.done)

    def wait(self, stream=None):
        """Make ``stream`` (the current one by default) wait for this event before its later work."""
        (stream or current_stream())._stream.wait_event(self._event)

    def elapsed_time(self, end_event):
        if not (self.enable_timing and end_event.enable_timing):
            raise RuntimeError("Event.elapsed_time: both events must be made with enable_timing=True")
        return float(backend.cupy_module().cuda.get_elapsed_time(self._event, end_event._event))


class Stream:
    """A queue of GPU work (CuPy's stream), as ``torch.cuda.Stream``: work issued inside
    ``with tinynn.cuda.stream(s):`` goes to ``s`` and may overlap work on other streams."""

    def __init__(self, device=None, priority=0, _stream=None):
        backend.gpu_device(device)
        self._stream = _stream if _stream is not None else backend.cupy_module().cuda.Stream(non_blocking=True)

    def synchronize(self):
        self._stream.synchronize()

    def query(self):
        """Whether all the work queued on this stream has finished."""
        return bool(self._stream.done)

    def wait_event(self, event):
        self._stream.wait_event(event._event)

    def wait_stream(self, stream):
        """Later work on this stream waits for the work queued on ``stream`` so far."""
        self.wait_event(stream.record_event())

    def record_event(self, event=None):
        event = event if event is not None else Event()
        event.record(self)
        return event

    def __eq__(self, other):
        return isinstance(other, Stream) and self._stream == other._stream

    def __hash__(self):
        return hash(self._stream)


def current_stream(device=None):
    """The stream GPU work goes to now."""
    backend.gpu_device(device)
    return Stream(_stream=backend.cupy_module().cuda.get_current_stream())


class stream:
    """``with tinynn.cuda.stream(s):`` sends the GPU work inside to ``s`` (None: no change)."""

    def __init__(self, stream):
        self.stream = stream

    def __enter__(self):
        if self.stream is not None:
            self.stream._stream.__enter__()
        return self.stream

    def __exit__(self, *exc_info):
        if self.stream is not None:
            self.stream._stream.__exit__(*exc_info)
        return False


from . import amp  # noqa: E402,F401  (torch.cuda.amp's old names, after the functions above)


class _OutOfMemoryErrorWithoutGpu(RuntimeError):
    """``OutOfMemoryError`` before tinynn has loaded CuPy: a class for except clauses, never raised."""


def __getattr__(name):
    if name == "OutOfMemoryError":
        cupy = backend.loaded_cupy()
        memory = getattr(getattr(cupy, "cuda", None), "memory", None)
        return getattr(memory, "OutOfMemoryError", _OutOfMemoryErrorWithoutGpu)
    raise AttributeError(f"module 'tinynn.cuda' has no attribute {name!r}")
