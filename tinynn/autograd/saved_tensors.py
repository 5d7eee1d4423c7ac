"""Hooks on what the backward pass keeps: PyTorch's ``torch.autograd.graph.saved_tensors_hooks``,
``save_on_cpu`` and ``disable_saved_tensors_hooks``.

Each recorded op keeps, as attributes, the arrays its backward formula reads: inputs, its output,
masks, statistics (``in_place.arrays_kept`` finds them). Inside ``with saved_tensors_hooks(pack_hook,
unpack_hook):`` each array an op recorded there keeps is handed to ``pack_hook`` as a Tensor (no
gradient) as the op is recorded, and the op keeps whatever the hook returns instead; the first time
its backward runs, each is handed to ``unpack_hook``, which must give back a Tensor of the same shape
and dtype (on another device, it is moved back), and the backward reads that. A hook that returns
its argument changes nothing; one that moves it to host memory saves GPU memory between the passes
(``save_on_cpu``); one that logs ``t.shape`` shows what each op keeps, which is what the backward
formulas in tinynn/ops and tinynn/nn/functional read.

The arrays are packed where they sit in an attribute: alone, or in tuples, lists and dicts of them.
Tensors an op keeps stay as they are, whose identity its backward may need (a PyTorch-style
Function's ``ctx`` tells its saved tensors apart by it, to differentiate its backward again), as do
arrays in other objects. Ops a non-reentrant checkpoint records are left to it (it keeps nothing of
them between the passes).
As PyTorch's, the innermost hooks apply, and ``disable_saved_tensors_hooks(message)`` makes entering
hooks inside it an error with that message.
"""
import contextlib

import numpy as np

from ..errors import InputError
from .. import backend
from . import in_place

active_hooks = []  # (pack_hook, unpack_hook) of the saved_tensors_hooks regions entered, innermost last;
                   # a module list, so recording an op outside them costs one truth test
_disabled = []     # the messages of the disable_saved_tensors_hooks regions entered


class saved_tensors_hooks:  # noqa: N801 (PyTorch's name)
    """Within it, pack and unpack what recorded ops keep (see the module docstring)."""

    def __init__(self, pack_hook, unpack_hook):
        if not callable(pack_hook) or not callable(unpack_hook):
            raise TypeError("saved_tensors_hooks: expected two callables, pack_hook(tensor) -> packed and "
                            "unpack_hook(packed) -> tensor")
        self.pack_hook, self.unpack_hook = pack_hook, unpack_hook

    def __enter__(self):
        if _disabled:
            raise RuntimeError(_disabled[-1])
        active_hooks.append((self.pack_hook, self.unpack_hook))
        return self

    def __exit__(self, *exc_info):
        active_hooks.pop()


class save_on_cpu(saved_tensors_hooks):  # noqa: N801 (PyTorch's name)
    """What recorded ops keep goes to host memory as they are recorded, and back to its device when the
    backward needs it: GPU memory for a bigger batch, at the price of the copies. ``pin_memory``: in
    pinned (page-locked) memory, so the copies back overlap with computation. On the CPU it changes nothing."""

    def __init__(self, pin_memory=False, device_type="cuda"):
        def pack(tensor):
            if tensor.device == backend.CPU:
                return tensor.device, tensor
            on_host = tensor.to("cpu")
            return tensor.device, (on_host.pin_memory() if pin_memory else on_host)

        def unpack(packed):
            device, tensor = packed
            return tensor.to(device, non_blocking=pin_memory)

        super().__init__(pack, unpack)


@contextlib.contextmanager
def disable_saved_tensors_hooks(error_message):
    """Within it, entering saved_tensors_hooks raises RuntimeError(error_message) (for a feature that
    cannot work with them)."""
    _disabled.append(error_message)
    try:
        yield
    finally:
        _disabled.pop()


class _Packed:
    """What pack_hook made of one kept array, and what the array was (to check and place what unpack gives)."""

    def __init__(self, packed, array):
        self.packed, self.shape, self.dtype, self.device = packed, tuple(array.shape), array.dtype, backend.device_of(array)


def pack(function):
    """Called as ``function`` is recorded, inside saved_tensors_hooks: its kept arrays through pack_hook,
    and its backward wrapped to unpack them first."""
    if in_place.checkpoint_regions:
        return
    pack_hook, unpack_hook = active_hooks[-1]
    packed_names = []
    for name, value in list(vars(function).items()):
        if name in in_place.EDGES or not _has_arrays(value):
            continue
        setattr(function, name, _mapped(value, _is_array, lambda array: _Packed(pack_hook(_as_tensor(array)), array)))
        packed_names.append(name)
    if packed_names:
        function.backward = _unpacking(function, "backward", packed_names, unpack_hook)
        function.backward_graph = _unpacking(function, "backward_graph", packed_names, unpack_hook)


def _is_array(value):
    return type(value) is np.ndarray or backend.is_gpu_array(value)


def _has_arrays(value):
    found = []
    _mapped(value, _is_array, found.append)
    return bool(found)


def _as_tensor(array):
    from ..tensor import Tensor

    return Tensor._from_op(array, False)


def _mapped(value, is_item, change):
    """``value`` with each item in it (``is_item``: alone, or in tuples, lists and dicts) replaced by
    ``change(item)``."""
    if is_item(value):
        return change(value)
    if type(value) in (tuple, list):
        return type(value)(_mapped(item, is_item, change) for item in value)
    if type(value) is dict:
        return {key: _mapped(item, is_item, change) for key, item in value.items()}
    return value


def _unpacked(packed, unpack_hook, op_name):
    """The array unpack_hook gives back for ``packed`` (a _Packed), checked and on its device."""
    from ..tensor import Tensor

    unpacked = unpack_hook(packed.packed)
    if not isinstance(unpacked, Tensor):
        raise TypeError(f"saved_tensors_hooks: unpack_hook gave a {type(unpacked).__name__} for what {op_name} "
                        f"kept; it must give back a tinynn.Tensor")
    if tuple(unpacked.shape) != packed.shape or unpacked.dtype != packed.dtype:
        raise InputError(f"saved_tensors_hooks: unpack_hook gave a {unpacked.dtype} tensor of shape "
                         f"{tuple(unpacked.shape)} for what {op_name} kept, a {packed.dtype} array of shape "
                         f"{packed.shape}; it must give back what pack_hook was given")
    return backend.to_device(unpacked._array, packed.device)


def _unpacking(function, method, names, unpack_hook):
    """``function``'s ``method``, run after its packed attributes are unpacked (once: the wrappers go)."""
    def run(*args):
        for name in names:
            setattr(function, name, _mapped(getattr(function, name), lambda value: isinstance(value, _Packed),
                                            lambda packed: _unpacked(packed, unpack_hook, function.name)))
        del function.backward, function.backward_graph
        return getattr(function, method)(*args)
    return run


__all__ = ["disable_saved_tensors_hooks", "save_on_cpu", "saved_tensors_hooks"]
