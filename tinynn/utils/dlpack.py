"""DLPack: tensors shared with other libraries without a copy (PyTorch's ``torch.from_dlpack`` and
``torch.utils.dlpack``). ``tinynn.from_dlpack(x)`` takes anything that speaks the protocol (a
PyTorch or JAX tensor, a NumPy or CuPy array, on the CPU or the GPU) and gives a Tensor over the same
memory; ``torch.from_dlpack(t)`` (or ``np.from_dlpack``) takes a tinynn Tensor the same way, through
``Tensor.__dlpack__``. Writes through either side show in the other.

``to_dlpack(t)`` gives the older form, a one-use PyCapsule, which ``from_dlpack`` also takes."""
import ctypes

import numpy as np

from .. import backend

CPU_DEVICE, CUDA_DEVICE, CUDA_HOST_DEVICE = 1, 2, 3  # DLPack's DLDeviceType codes tinynn can read


class _DLDevice(ctypes.Structure):
    _fields_ = [("device_type", ctypes.c_int32), ("device_id", ctypes.c_int32)]


class _DLTensorHead(ctypes.Structure):
    """The start of DLPack's DLTensor: the data pointer, then the device."""
    _fields_ = [("data", ctypes.c_void_p), ("device", _DLDevice)]


# DLManagedTensor starts with its DLTensor; DLManagedTensorVersioned puts the version (2 x uint32),
# the manager context, the deleter and the flags (8 bytes each) first
_DL_TENSOR_OFFSET = {b"dltensor": 0, b"dltensor_versioned": 32}


class _Capsule:
    """A PyCapsule dressed in the ``__dlpack__`` protocol, so NumPy and CuPy take it."""

    def __init__(self, capsule):
        self.capsule = capsule
        get_name = ctypes.pythonapi.PyCapsule_GetName
        get_name.restype, get_name.argtypes = ctypes.c_char_p, [ctypes.py_object]
        name = get_name(capsule)
        if name not in _DL_TENSOR_OFFSET:
            raise ValueError(f"from_dlpack: this capsule is named {name!r}, not 'dltensor': it has been used already "
                             "(a DLPack capsule is consumed once) or is not a DLPack tensor")
        get_pointer = ctypes.pythonapi.PyCapsule_GetPointer
        get_pointer.restype, get_pointer.argtypes = ctypes.c_void_p, [ctypes.py_object, ctypes.c_char_p]
        head = _DLTensorHead.from_address(get_pointer(capsule, name) + _DL_TENSOR_OFFSET[name])
        self.device = (head.device.device_type, head.device.device_id)

    def __dlpack__(self, **ignored):
        return self.capsule

    def __dlpack_device__(self):
        return self.device


def from_dlpack(ext_tensor, *, device=None, copy=None):
    """A Tensor sharing the memory of ``ext_tensor`` (an object with ``__dlpack__``, or a capsule
    from ``to_dlpack``): on the CPU for CPU memory, on the GPU for CUDA memory. As PyTorch's:
    ``device`` moves it there (a copy where it lies elsewhere); ``copy=True`` always copies, and
    ``copy=False`` refuses where sharing is impossible (another device)."""
    from ..tensor import Tensor

    shared = _shared(ext_tensor)
    target = shared.device if device is None else backend.canonical_device(device)
    if target != shared.device:
        if copy is False:
            raise ValueError(f"from_dlpack: copy=False, but the tensor lies on {shared.device} and device={device!r} "
                             f"needs a copy")
        return shared.to(target)
    return Tensor._from_op(shared._array.copy(), False) if copy else shared


def _shared(ext_tensor):
    """A Tensor on ``ext_tensor``'s own memory (see ``from_dlpack``)."""
    from ..tensor import Tensor

    if isinstance(ext_tensor, Tensor):
        return ext_tensor
    if type(ext_tensor).__name__ == "PyCapsule":
        ext_tensor = _Capsule(ext_tensor)
    elif not (hasattr(ext_tensor, "__dlpack__") and hasattr(ext_tensor, "__dlpack_device__")):
        raise TypeError(f"from_dlpack: expected an object with __dlpack__ and __dlpack_device__ (a PyTorch, JAX or "
                        f"CuPy tensor, a NumPy array) or a DLPack capsule, got {type(ext_tensor).__name__}")
    device_type, device_id = ext_tensor.__dlpack_device__()
    if device_type in (CPU_DEVICE, CUDA_HOST_DEVICE):
        array = np.from_dlpack(ext_tensor)
    elif device_type == CUDA_DEVICE:
        if device_id != 0:
            raise ValueError(f"from_dlpack: the tensor is on CUDA device {device_id}; tinynn uses one GPU, device 0")
        array = backend.cupy_module().from_dlpack(ext_tensor)
    else:
        raise ValueError(f"from_dlpack: the tensor's memory is on DLPack device type {device_type}; tinynn reads "
                         f"CPU ({CPU_DEVICE}) and CUDA ({CUDA_DEVICE}) memory")
    return Tensor._from_op(array, False)


def to_dlpack(tensor):
    """A one-use DLPack capsule over ``tensor``'s memory (the older exchange form; newer consumers
    take the Tensor itself)."""
    return tensor.__dlpack__()
