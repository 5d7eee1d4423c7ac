"""Where arrays live: the one place that knows about NumPy (``"cpu"``) and CuPy (``"gpu"``).

Every op asks ``get_array_module(array)`` for ``xp`` (``numpy`` or ``cupy``) and writes its
math once against ``xp``, so the CPU and GPU run the same code. CuPy is imported lazily, the
first time a GPU is asked for, so ``import tinynn`` never pulls it in.
"""
import sys
from .errors import InputError

import numpy as np


class device(str):
    """A device, as PyTorch's ``torch.device``: ``device("cpu")``, ``device("gpu")`` or by PyTorch's
    name ``device("cuda")`` (also ``"cuda:0"``, ``device("cuda", 0)``: tinynn uses one GPU, CuPy's
    device 0). It *is* the string ``"cpu"`` or ``"gpu"``, so it compares equal to those names and
    goes wherever a device name does; ``.type`` is PyTorch's name (``"cpu"`` or ``"cuda"``) and
    ``.index`` None on the CPU, 0 on the GPU. Every tensor's ``.device`` is one."""

    def __new__(cls, type, index=None):
        name = str(type).lower()
        if index is not None:
            if name not in ("cpu", "gpu", "cuda") or int(index) != 0:
                raise InputError(f"device: there is no device {type!r} with index {index!r}: tinynn uses 'cpu' "
                                 "and one GPU, 'cuda:0' (alias 'gpu')")
            name = f"{name}:0" if name != "cpu" else name
        if name not in _DEVICE_NAMES:
            raise InputError(f"unknown device {type!r}: expected 'cpu' or 'gpu' (alias 'cuda', 'cuda:0'; tinynn uses "
                             "one GPU)")
        return str.__new__(cls, _DEVICE_NAMES[name])

    @property
    def type(self):
        return "cuda" if self == "gpu" else "cpu"

    @property
    def index(self):
        return 0 if self == "gpu" else None

    def __repr__(self):
        return f"device(type={self.type!r}" + (f", index={self.index})" if self.index is not None else ")")

    def __reduce__(self):
        return device, (str(self),)

    def __enter__(self):
        """``with tinynn.device("gpu"):``: the default device inside the block, as PyTorch's."""
        _default_device.append(self)
        return self

    def __exit__(self, *exception):
        _default_device.pop()
        return False


_DEVICE_NAMES = {"cpu": "cpu", "gpu": "gpu", "cuda": "gpu", "cuda:0": "gpu", "gpu:0": "gpu"}
CPU = device("cpu")
GPU = device("gpu")
_INSTALL_HINT = 'pip install "tinynn[gpu]"'


class DeviceError(RuntimeError):
    """The requested device cannot be used on this machine (no CuPy, or no CUDA device)."""


_default_device = [CPU]  # what None means; a stack, for nested ``with tinynn.device(...)``


def canonical_device(name):
    """``"cpu"``, ``"gpu"``/``"cuda"`` (or a Tensor's device) -> ``"cpu"`` or ``"gpu"``, as a ``device``;
    None: the default device (the CPU unless ``set_default_device`` or ``with tinynn.device(...)`` says
    otherwise)."""
    return _default_device[-1] if name is None else device(name)


def get_default_device():
    """The device factories (``tinynn.zeros``, ``tensor``, ``randn``, ...) and layers create on when
    not told one."""
    return _default_device[-1]


def set_default_device(device):
    """Make ``device`` ("cpu", "gpu"/"cuda"; None: the CPU) the device factories and layers create
    on, as PyTorch's ``torch.set_default_device``. Tensors made already stay where they are."""
    _default_device[-1] = CPU if device is None else canonical_device(device)


def gpu_device(index=None):
    """The GPU, named as ``Tensor.cuda(device)`` and ``Module.cuda(device)`` may name it: None, 0,
    ``"cuda"``, ``"cuda:0"``, ``"gpu"`` (tinynn uses one GPU)."""
    if index is None or (isinstance(index, int) and not isinstance(index, bool) and index == 0):
        return GPU
    if isinstance(index, str) and canonical_device(index) == GPU:
        return GPU
    raise InputError(f"cuda: no GPU {index!r}: tinynn uses one GPU, device 0 ('cuda:0', alias 'gpu')")


def _import_cupy():
    try:
        import cupy
    except ImportError as error:
        raise DeviceError(
            f"the GPU was requested but CuPy is not installed ({error}); install it with {_INSTALL_HINT}"
        ) from None
    try:
        count = cupy.cuda.runtime.getDeviceCount()
    except Exception as error:  # CuPy raises CUDARuntimeError or driver errors here
        count, reason = 0, f" ({error})"
    else:
        reason = ""
    if count == 0:
        raise DeviceError(
            f"the GPU was requested and CuPy is installed, but it found no CUDA device{reason}; "
            f"check the NVIDIA driver (nvidia-smi) and that {_INSTALL_HINT} matches your CUDA version"
        )
    return cupy


_cupy_module = None


def cupy_module():
    """CuPy, imported on first use; raises DeviceError saying why the GPU cannot be used."""
    global _cupy_module
    if _cupy_module is None:
        _cupy_module = _import_cupy()
    return _cupy_module


def loaded_cupy():
    """CuPy where tinynn has already found it and a GPU, else None (imports nothing, asks no driver)."""
    return _cupy_module


def gpu_available():
    """True where CuPy is installed and sees a CUDA device."""
    try:
        cupy_module()
    except DeviceError:
        return False
    return True


def is_gpu_array(array):
    cupy = sys.modules.get("cupy")
    return cupy is not None and isinstance(array, cupy.ndarray)


def address(array):
    """The memory address of ``array``'s first element (NumPy's interface, or CuPy's device pointer)."""
    return int(array.data.ptr if is_gpu_array(array) else array.__array_interface__["data"][0])


def get_array_module(array):
    """``cupy`` for a CuPy array, else ``numpy``; the ``xp`` every op computes with."""
    return _cupy_module if is_gpu_array(array) else np


def device_of(array):
    return GPU if is_gpu_array(array) else CPU


def array_module_for(device):
    return cupy_module() if canonical_device(device) == GPU else np


def to_device(array, device):
    """The array on ``device``; the same object when it is already there."""
    device = canonical_device(device)
    if device == GPU:
        cupy = cupy_module()
        return array if isinstance(array, cupy.ndarray) else cupy.asarray(array)
    if is_gpu_array(array):
        raise_deferred_errors()
        return array.get()
    return np.asarray(array)


def to_gpu_pinned(array):
    """A host array on the GPU through a page-locked (pinned) staging copy: the device reads pinned
    memory by DMA directly, where pageable memory is first copied once more by the driver (what
    ``pin_memory`` asks for in a DataLoader)."""
    import cupyx

    staging = cupyx.empty_pinned(array.shape, dtype=array.dtype)
    staging[...] = array
    return cupy_module().asarray(staging)


def pinned_copy(array):
    """A copy of a host array in page-locked (pinned) memory, which the GPU reads by DMA; needs CuPy
    and a CUDA device (what PyTorch's ``pin_memory`` needs too)."""
    try:
        cupy_module()
    except DeviceError as error:
        raise RuntimeError(f"pin_memory: page-locked host memory is allocated through CUDA, and there is none "
                           f"here ({error})") from None
    import cupyx

    pinned = cupyx.empty_pinned(array.shape, dtype=array.dtype)
    pinned[...] = array
    return pinned


def is_pinned(array):
    """Whether a host array lies in page-locked memory (CuPy's pinned allocations own it)."""
    from .autograd.in_place import memory_block

    return not is_gpu_array(array) and type(memory_block(array)).__name__ == "PinnedMemoryPointer"


def read_scalar(array):
    """The Python number in a one-element array (a device-to-host read on the GPU)."""
    if is_gpu_array(array):
        raise_deferred_errors()
    return array.reshape(()).item()


# Checks of GPU data (targets in range, say) would cost a synchronisation per step if read at once.
# Like CUDA's own asynchronous errors, they are queued and raised at the next read of device data
# to the host (``.item()``, ``.numpy()``, saving), all pending flags read in one transfer.
_deferred_checks = []
_MAX_DEFERRED_CHECKS = 256  # bounds the queue when nothing is read for a long time


def check_soon(failed, make_error):
    """Raise ``make_error()`` if the boolean 0-d array ``failed`` is true: at once on the CPU, at the
    next device-to-host read on the GPU."""
    if not is_gpu_array(failed):
        if failed:
            raise make_error()
        return
    _deferred_checks.append((failed, make_error))
    if len(_deferred_checks) >= _MAX_DEFERRED_CHECKS:
        raise_deferred_errors()


def raise_deferred_errors():
    """Read every queued GPU check (one transfer) and raise the first that failed."""
    if not _deferred_checks:
        return
    checks = list(_deferred_checks)
    _deferred_checks.clear()
    failed = _cupy_module.stack([flag for flag, _ in checks]).get()
    for flag, (_, make_error) in zip(failed, checks):
        if flag:
            raise make_error()


def synchronize(device):
    """Wait until the GPU has finished all queued work (kernels run asynchronously); for timing."""
    if canonical_device(device) == GPU:
        cupy_module().cuda.Device().synchronize()


def as_strided(array, shape, strides, writeable=False):
    """A strided view (no copy) for NumPy and CuPy alike (strides in bytes); read-only on the CPU
    unless ``writeable`` (CuPy's arrays are always writeable)."""
    if is_gpu_array(array):
        return _cupy_module.lib.stride_tricks.as_strided(array, shape=shape, strides=strides)
    return np.lib.stride_tricks.as_strided(array, shape=shape, strides=strides, writeable=writeable)


def complex_pairs(array, writeable=False):
    """A complex array's memory as real (..., 2) (real, imaginary) pairs: a view (``array.real`` has
    the complex strides, and each imaginary part lies one real further on)."""
    parts = array.real
    return as_strided(parts, array.shape + (2,), array.strides + (parts.itemsize,), writeable)


def positions(xp, offset, sizes, strides):
    """The storage position of every element of a (sizes, strides) layout starting at ``offset``, in
    the unit offset and strides share (elements for a tensor's storage, bytes for memory addresses)."""
    result = xp.full(tuple(sizes), offset, dtype=np.int64)
    for axis, (size, stride) in enumerate(zip(sizes, strides)):
        shape = [1] * len(sizes)
        shape[axis] = size
        result = result + (xp.arange(size, dtype=np.int64) * stride).reshape(shape)
    return result


def scatter_add(target, index, values):
    """``target[index] += values`` with repeated indices summed (NumPy's ``add.at``)."""
    if is_gpu_array(target):
        import cupyx

        if target.dtype.kind == "c":  # by parts: CUDA's atomicAdd, which CuPy's scatter uses, is for real numbers
            values = cupy_module().asarray(values, dtype=target.dtype)
            cupyx.scatter_add(target.real, index, values.real)
            cupyx.scatter_add(target.imag, index, values.imag)
            return
        cupyx.scatter_add(target, index, values)
    elif _adds_rows(target, index, values):
        _scatter_add_rows(target, index, values)
    else:
        np.add.at(target, index, values)


def _adds_rows(target, index, values):
    """Whether ``target[index] += values`` adds whole rows of several numbers each: a 1-D integer
    index and one row of values per index."""
    return (isinstance(index, np.ndarray) and index.ndim == 1 and index.dtype.kind in "iu" and target.ndim >= 2
            and index.size > 0 and isinstance(values, np.ndarray) and values.shape == index.shape + target.shape[1:])


# Above this many occurrences of one index, ``_scatter_add_rows`` sums runs by reduceat instead of by levels.
SCATTER_LEVELS = 16


def _scatter_add_rows(target, index, values):
    """``add.at`` of rows, sorted instead (``sums_by_row``): each target row gets one add."""
    rows, sums = sums_by_row(index, values, target.shape[0])
    target[rows] += sums


def sums_by_row(index, values, row_count):
    """The distinct rows that ``index`` (a 1-D integer array) names among ``row_count``, ascending, and for
    each the sum of its rows of ``values`` (one per index), added in their order as ``add.at`` would.

    The rows ordered by their index (stably), the rows of each index summed, each sum once: NumPy's
    add.at takes one row at a time through a slow generic loop (about 0.6 us a row of 64). The sums
    start from each index's first row and add the second rows of every index at once, then the third
    rows, ...: each such level names every row once, so a plain indexed += adds it. Where one index
    occurs more than ``SCATTER_LEVELS`` times (a padding index, say), ``reduceat`` sums the runs instead
    (about 0.3 us per index)."""
    if index.min() < 0:  # (-1 and n - 1 are one row: sorted apart, they would be added as two)
        index = index % row_count
    # (below 2^16 rows the keys sort as uint16, by NumPy's radix sort: 8,192 keys 0.30 -> 0.03 ms)
    order = np.argsort(index.astype(np.uint16) if row_count <= 1 << 16 else index, kind="stable")
    sorted_index = index[order]
    first = np.concatenate([[True], sorted_index[1:] != sorted_index[:-1]])
    starts = np.flatnonzero(first)
    run = np.cumsum(first) - 1  # the run (target row) of each sorted row
    occurrence = np.arange(index.size) - starts[run]  # 0 for an index's first row, 1 for its second, ...
    if occurrence.max() < SCATTER_LEVELS:
        sums = np.take(values, order[starts], axis=0)
        repeats = np.flatnonzero(~first)
        by_level = repeats[np.argsort(occurrence[repeats], kind="stable")]
        level_ends = np.cumsum(np.bincount(occurrence[repeats])[1:])
        for level in np.split(by_level, level_ends[:-1]):
            sums[run[level]] += np.take(values, order[level], axis=0)
    else:
        sums = np.add.reduceat(np.take(values, order, axis=0), starts, axis=0)
    return sorted_index[starts], sums


def scattered(shape, index, values):
    """A new array of ``shape`` holding zeros and, at each row ``index`` names, the sum of its rows of
    ``values``: ``scatter_add`` into zeros, where on the CPU the sums are written, not added (an
    embedding's weight gradient: a read and an add of every row it touches spared)."""
    xp = get_array_module(values)
    out = xp.zeros(shape, dtype=values.dtype)
    if xp is np and _adds_rows(out, index, values):
        rows, sums = sums_by_row(index, values, shape[0])
        out[rows] = sums
    else:
        scatter_add(out, index, values)
    return out


def scatter_max(target, index, values):
    """``target[index] = max(target[index], values)``, repeated indices included (``maximum.at``)."""
    if is_gpu_array(target):
        import cupyx

        cupyx.scatter_max(target, index, values)
    else:
        np.maximum.at(target, index, values)


def scatter_min(target, index, values):
    """``target[index] = min(target[index], values)``, repeated indices included (``minimum.at``)."""
    if is_gpu_array(target):
        import cupyx

        cupyx.scatter_min(target, index, values)
    else:
        np.minimum.at(target, index, values)
