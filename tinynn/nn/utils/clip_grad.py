"""Gradient clipping, applied to the ``.grad`` of parameters in place between ``backward()`` and
``optimizer.step()``, and the total norm it starts from. Nothing is read back from a GPU (no
synchronisation), unless ``error_if_nonfinite`` asks for the check.

Sparse gradients (Embedding(sparse=True)) take part as their coalesced values, the gradient's
nonzero entries (PyTorch's clipping refuses them): ``clip_grad_value_`` and ``clip_grad_norm_``
leave them coalesced."""
import math

import numpy as np

from ...errors import InputError
from ... import backend, parallel
from ...ops.promotion import default_float
from ...sparse import SparseTensor, stored_numbers
from ...tensor import Tensor


def _arrays(tensors):
    """The arrays of the gradients' entries (a sparse gradient's coalesced values), on one device."""
    tensors = [tensors] if isinstance(tensors, (Tensor, SparseTensor)) else list(tensors)
    arrays = [stored_numbers(t.coalesce() if isinstance(t, SparseTensor) else t) for t in tensors if t is not None]
    if len({backend.device_of(a) for a in arrays}) > 1:
        raise RuntimeError("clip_grad: the gradients are on different devices; move the model to one device")
    return arrays


def _parameters(parameters):
    parameters = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    for p in parameters:
        if not isinstance(p, Tensor):
            raise TypeError(f"expected parameters as tinynn Tensors, got {type(p).__name__}")
    return parameters


def _coalesced_grads(parameters):
    """The gradients of the parameters that have one, a sparse one coalesced in its parameter's .grad
    (so that its values array is the gradient's entries, each once)."""
    parameters = _parameters(parameters)
    for p in parameters:
        if isinstance(p.grad, SparseTensor):
            p.grad = p.grad.coalesce()
    return [p.grad for p in parameters if p.grad is not None]


def _grads(parameters):
    """The arrays the parameters' gradients hold (all on one device): writing into them changes the gradients."""
    return _arrays(_coalesced_grads(parameters))


def _moduli(xp, values):
    """|values| in float64 (a complex gradient's moduli, not its real parts)."""
    return xp.abs(values.astype(np.complex128 if values.dtype.kind == "c" else np.float64))


def _powered_sum(xp, gradient, norm_type):
    """The sum of |g|^q over the entries, in float64, a 0-d array. On the CPU a block at a time
    (``parallel.cache_blocks``), each block's float64 copy staying in the caches, and q = 2 as a dot
    product (``x ** 2.0`` takes NumPy's general power): for a 200,000 x 64 float32 gradient, 126 ms
    whole, 7-9 ms so, PyTorch's 4."""
    if xp is not np:
        return (_moduli(xp, gradient) ** norm_type).sum()
    flat, total = gradient.reshape(-1), np.float64(0.0)
    for piece in parallel.cache_blocks(flat.size):
        block = _moduli(np, flat[piece])
        if norm_type == 2:
            total += block @ block
        elif norm_type == 1:
            total += block.sum()
        else:
            total += (block ** norm_type).sum()
    return np.asarray(total)


def get_total_norm(tensors, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """(sum over the tensors of ||t||^q)^(1/q) over every entry (q = ``norm_type``; ``inf``: the
    largest |entry|), a 0-d tensor; float32 entries are accumulated in float64. ``tensors``: the
    gradients themselves (``[p.grad for p in params]``), as PyTorch."""
    norm_type = float(norm_type)
    if not norm_type > 0:
        raise InputError(f"get_total_norm: norm_type must be positive (or inf), got {norm_type}")
    arrays = _arrays(tensors)
    if not arrays:
        return Tensor(np.zeros((), dtype=default_float()))
    xp = backend.get_array_module(arrays[0])
    if math.isinf(norm_type):
        total = xp.stack([xp.abs(g).max().astype(np.float64) for g in arrays]).max()
    else:
        total = xp.stack([_powered_sum(xp, g, norm_type) for g in arrays]).sum() ** (1.0 / norm_type)
    if error_if_nonfinite and not bool(xp.isfinite(total)):
        raise RuntimeError(f"clip_grad_norm_: the total norm of order {norm_type} of the gradients is {float(total)}; "
                           f"set error_if_nonfinite=False to clip anyway")
    return Tensor(total.astype(np.finfo(arrays[0].dtype).dtype))  # (real: a complex gradient's norm is a float)


def clip_grads_with_norm_(parameters, max_norm, total_norm, foreach=None):
    """Scale every gradient by min(1, max_norm / (total_norm + 1e-6)), in place."""
    grads = _grads(parameters)
    if not grads:
        return
    xp = backend.get_array_module(grads[0])
    scale = xp.minimum(max_norm / (total_norm._array.astype(np.float64) + 1e-6), 1.0)
    for g in grads:
        g *= scale.astype(g.dtype)


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """Scale all gradients together so that their joint norm is at most ``max_norm``:
    ``get_total_norm`` of the gradients, then ``clip_grads_with_norm_``, as PyTorch. Returns the
    total norm before clipping, as a 0-d tensor."""
    parameters = _parameters(parameters)
    total = get_total_norm(_coalesced_grads(parameters), norm_type, error_if_nonfinite)
    clip_grads_with_norm_(parameters, max_norm, total)
    return total


def clip_grad_value_(parameters, clip_value, foreach=None):
    """Clamp every gradient entry to [-clip_value, clip_value], in place (``foreach``: PyTorch's switch,
    taken and without effect: each gradient is one array operation already)."""
    clip_value = float(clip_value)
    if clip_value < 0:
        raise InputError(f"clip_grad_value_: clip_value must be non-negative, got {clip_value}")
    grads = _grads(parameters)
    if any(g.dtype.kind == "c" for g in grads):  # (NumPy would clamp real and imaginary parts by its own order)
        raise TypeError("clip_grad_value_: complex gradients have no order to clamp them by; clip their norm with "
                        "clip_grad_norm_")
    for g in grads:
        backend.get_array_module(g).clip(g, -clip_value, clip_value, out=g)
