"""``tinynn.autocast``: mixed precision chosen op by op, as PyTorch's ``torch.autocast``.

Inside ``with tinynn.autocast("gpu"):`` (float16) the ops that gain most from half precision and
lose least, the matrix products (linear layers, convolutions, attention, recurrent layers,
``@``), cast their floating-point inputs to float16, so they run on the GPU's half-precision
units; the ops whose results need float32's range or precision (the losses, distances; on the GPU
also softmax and normalisation) cast theirs to float32; every other op runs in the dtype of its
inputs (which NumPy's and CuPy's promotion widens where float16 meets float32). The casts are
recorded ops, so gradients flow back to float32 weights in float32. With ``amp.GradScaler``
against underflow this is PyTorch's mixed-precision recipe: float32 master weights, float16
activations, float32 losses.

As in PyTorch, float64 tensors are never cast, and ``autocast(enabled=False)`` inside a region
turns it off for a block. Each op casts its inputs anew: a weight used twice is converted twice
(PyTorch keeps a cache of converted weights for the region; converting again is always right, also
when a training step updates the weights inside one region). CPU regions run in float16 too
(PyTorch's CPU default is bfloat16, which NumPy has no dtype for); NumPy computes float16 matrix
products without a BLAS, so on the CPU autocast is for checking a model's behaviour, not for speed.
"""
import contextlib
import functools

import numpy as np

from . import backend

_regions = {}  # device -> the dtype its lower-precision ops use, for the devices with an open region


def is_autocast_enabled(device_type="cuda"):
    return backend.canonical_device(device_type) in _regions


def get_autocast_dtype(device_type="cuda"):
    return _regions.get(backend.canonical_device(device_type), np.dtype(np.float16))


class autocast(contextlib.ContextDecorator):
    """``with autocast(device_type, dtype=float16, enabled=True):`` or as a decorator; see the module."""

    def __init__(self, device_type, dtype=None, enabled=True, cache_enabled=None):
        self.device = backend.canonical_device(device_type)
        dtype = np.dtype(np.float16 if dtype is None else dtype)
        if dtype != np.float16:
            raise ValueError(f"autocast: tinynn runs lower-precision ops in float16 (NumPy and CuPy have no bfloat16), "
                             f"got dtype {dtype}")
        self.dtype, self.enabled = dtype, bool(enabled)

    def __enter__(self):
        self._previous = _regions.get(self.device)
        if self.enabled:
            _regions[self.device] = self.dtype
        else:
            _regions.pop(self.device, None)
        return self

    def __exit__(self, *exc_info):
        if self._previous is None:
            _regions.pop(self.device, None)
        else:
            _regions[self.device] = self._previous
        return False


def _eligible(value):
    """Autocast converts floating-point tensors of 16 or 32 bits, never float64 (as PyTorch)."""
    from .tensor import Tensor

    return isinstance(value, Tensor) and value.dtype in (np.float16, np.float32)


def casts_inputs(policy, devices=(backend.CPU, backend.GPU)):
    """Decorate an op's entry point: inside an autocast region on one of ``devices``, its floating-point
    Tensor arguments are first cast to the region's dtype (``policy="lower"``) or to float32
    (``policy="float32"``). Outside any region the call costs one dictionary check."""
    def decorate(function):
        @functools.wraps(function)
        def cast_then_call(*args, **kwargs):
            if _regions:
                args, kwargs = _cast(policy, devices, args, kwargs)
            return function(*args, **kwargs)
        return cast_then_call
    return decorate


def _cast(policy, devices, args, kwargs):
    first = next((value for value in (*args, *kwargs.values()) if _eligible(value)), None)
    if first is None or first.device not in _regions or first.device not in devices:
        return args, kwargs
    target = _regions[first.device] if policy == "lower" else np.dtype(np.float32)
    return _cast_to(args, first.device, target), _cast_to(kwargs, first.device, target)


def custom_fwd(fwd=None, *, device_type, cast_inputs=None):
    """For the ``forward(ctx, ...)`` of a custom ``autograd.Function`` (PyTorch's ``torch.amp.custom_fwd``):
    with ``cast_inputs`` a dtype, inside an autocast region on ``device_type`` the float16/float32
    tensor arguments on that device (also inside lists, tuples and dicts) are cast to it and forward
    runs with autocast off; without, forward runs in the region as it is. Either way ``custom_bwd``
    gives backward the autocast state forward ran under. Outside a region it changes nothing."""
    if fwd is None:
        return functools.partial(custom_fwd, device_type=device_type, cast_inputs=cast_inputs)
    device = backend.canonical_device(device_type)

    @functools.wraps(fwd)
    def decorate_fwd(ctx, *args, **kwargs):
        ctx._autocast_dtype = get_autocast_dtype(device)
        inside = is_autocast_enabled(device)
        if cast_inputs is None or not inside:
            ctx._fwd_used_autocast = inside and cast_inputs is None
            return fwd(ctx, *args, **kwargs)
        ctx._fwd_used_autocast = False
        target = np.dtype(cast_inputs)
        with autocast(device, enabled=False):
            return fwd(ctx, *_cast_to(args, device, target), **_cast_to(kwargs, device, target))
    return decorate_fwd


def custom_bwd(bwd=None, *, device_type):
    """For the ``backward(ctx, ...)`` of a custom ``autograd.Function`` whose forward has ``custom_fwd``:
    backward runs under the autocast state forward ran under (PyTorch's ``torch.amp.custom_bwd``)."""
    if bwd is None:
        return functools.partial(custom_bwd, device_type=device_type)
    device = backend.canonical_device(device_type)

    @functools.wraps(bwd)
    def decorate_bwd(ctx, *args, **kwargs):
        with autocast(device, enabled=ctx._fwd_used_autocast, dtype=ctx._autocast_dtype):
            return bwd(ctx, *args, **kwargs)
    return decorate_bwd


def _cast_to(value, device, dtype):
    """``value`` with its float16/float32 tensors on ``device`` cast to ``dtype``, through lists, tuples
    and dicts (a list or tuple with nothing to cast is given back as it is)."""
    if _eligible(value):
        return value.to(dtype=dtype) if value.device == device and value.dtype != dtype else value
    if isinstance(value, dict):
        return {key: _cast_to(item, device, dtype) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        items = [_cast_to(item, device, dtype) for item in value]
        return type(value)(items) if any(new is not old for new, old in zip(items, value)) else value
    return value

