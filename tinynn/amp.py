"""``tinynn.amp.GradScaler``: dynamic loss scaling for training in float16, as PyTorch's.

Gradients of float16 networks underflow: many are smaller than float16's smallest normal number
(6e-5). Scaling the loss by S before ``backward`` scales every gradient by S, out of the underflow;
the optimizer step then divides by S again (``unscale_``). S is found on the way: a step whose
gradients hold inf or NaN (S too large) is skipped and S halved (``backoff_factor``); after
``growth_interval`` steps in a row without one, S doubles (``growth_factor``).

    scaler = GradScaler()
    scaler.scale(loss).backward()
    scaler.step(optimizer)        # unscales (if not done already), skips the step on inf/NaN
    scaler.update()               # adjusts the scale for the next step

The checks read one number per optimizer back from the device per step, as PyTorch's do.
"""
import warnings

import numpy as np

from . import backend
from .mixed_precision import autocast, custom_bwd, custom_fwd  # noqa: F401  (torch.amp's names)
from .sparse import stored_numbers
from .tensor import Tensor

_READY, _UNSCALED, _STEPPED = "ready", "unscaled", "stepped"


class GradScaler:
    def __init__(self, device="cuda", init_scale=2.0 ** 16, growth_factor=2.0, backoff_factor=0.5, growth_interval=2000,
                 enabled=True):
        if growth_factor <= 1.0 or not 0.0 < backoff_factor < 1.0 or growth_interval <= 0:
            raise ValueError(f"GradScaler: expected growth_factor > 1, 0 < backoff_factor < 1 and growth_interval > 0, "
                             f"got {growth_factor}, {backoff_factor}, {growth_interval}")
        self.device, self._enabled = device, bool(enabled)
        self._scale, self._growth_factor, self._backoff_factor = float(init_scale), growth_factor, backoff_factor
        self._growth_interval, self._growth_tracker = int(growth_interval), 0
        self._per_optimizer = {}  # id(optimizer) -> {"stage": ..., "found_inf": bool}

    def is_enabled(self):
        return self._enabled

    def get_scale(self):
        return self._scale if self._enabled else 1.0

    def get_growth_factor(self):
        return self._growth_factor

    def get_backoff_factor(self):
        return self._backoff_factor

    def get_growth_interval(self):
        return self._growth_interval

    def set_growth_factor(self, new_factor):
        self._growth_factor = new_factor

    def set_backoff_factor(self, new_factor):
        self._backoff_factor = new_factor

    def set_growth_interval(self, new_interval):
        self._growth_interval = int(new_interval)

    def scale(self, outputs):
        """``outputs`` (a tensor, or tensors in a list or tuple) times the current scale."""
        if not self._enabled:
            return outputs
        if isinstance(outputs, Tensor):
            return outputs * self._scale
        if isinstance(outputs, (list, tuple)):
            return type(outputs)(self.scale(output) for output in outputs)
        raise TypeError(f"GradScaler.scale: expected a tensor or a list/tuple of them, got {type(outputs).__name__}")

    def _state(self, optimizer):
        return self._per_optimizer.setdefault(id(optimizer), {"stage": _READY, "found_inf": False})

    def unscale_(self, optimizer):
        """Divide the gradients of ``optimizer``'s parameters by the scale, in place (before
        clipping them, say), and note whether any is inf or NaN. Once per step."""
        if not self._enabled:
            return
        state = self._state(optimizer)
        if state["stage"] == _UNSCALED:
            raise RuntimeError("GradScaler.unscale_ has already been called on this optimizer since the last update()")
        if state["stage"] == _STEPPED:
            raise RuntimeError("GradScaler.unscale_ is being called after step()")
        inverse = 1.0 / self._scale
        found_inf = False
        for group in optimizer.param_groups:
            for param in group["params"]:
                if param.grad is None:
                    continue
                grad = stored_numbers(param.grad)
                grad *= grad.dtype.type(inverse)
                found_inf = found_inf or not bool(backend.get_array_module(grad).isfinite(grad).all())
        state.update(stage=_UNSCALED, found_inf=found_inf)

    def step(self, optimizer, *args, **kwargs):
        """``optimizer.step(*args, **kwargs)`` on unscaled gradients, or nothing (None) when they hold
        inf or NaN."""
        if not self._enabled:
            return optimizer.step(*args, **kwargs)
        state = self._state(optimizer)
        if state["stage"] == _STEPPED:
            raise RuntimeError("GradScaler.step has already been called on this optimizer since the last update()")
        if state["stage"] == _READY:
            self.unscale_(optimizer)
        result = None if state["found_inf"] else optimizer.step(*args, **kwargs)
        state["stage"] = _STEPPED
        return result

    def update(self, new_scale=None):
        """Set the scale for the next step: ``new_scale`` if given, else backed off after a skipped
        step or grown after ``growth_interval`` good ones in a row."""
        if not self._enabled:
            return
        if new_scale is not None:
            self._scale = float(new_scale.item() if isinstance(new_scale, Tensor) else new_scale)
        elif not self._per_optimizer:
            raise RuntimeError("GradScaler.update: no inf checks were recorded; call step() (or unscale_()) first")
        elif any(state["found_inf"] for state in self._per_optimizer.values()):
            self._scale *= self._backoff_factor
            self._growth_tracker = 0
        else:
            self._growth_tracker += 1
            if self._growth_tracker == self._growth_interval:
                self._scale *= self._growth_factor
                self._growth_tracker = 0
        self._scale = float(np.float32(self._scale))  # PyTorch keeps it in float32
        self._per_optimizer = {}

    def state_dict(self):
        if not self._enabled:
            return {}
        return {"scale": self._scale, "growth_factor": self._growth_factor, "backoff_factor": self._backoff_factor,
                "growth_interval": self._growth_interval, "_growth_tracker": self._growth_tracker}

    def load_state_dict(self, state_dict):
        if not self._enabled:
            return
        if not state_dict:
            raise RuntimeError("GradScaler.load_state_dict: the state dict is empty (saved from a disabled scaler?)")
        self._scale = float(state_dict["scale"])
        self._growth_factor, self._backoff_factor = state_dict["growth_factor"], state_dict["backoff_factor"]
        self._growth_interval, self._growth_tracker = state_dict["growth_interval"], state_dict["_growth_tracker"]


def device_amp_names(device_type):
    """``autocast`` and ``GradScaler`` as ``torch.<device_type>.amp`` had them before ``torch.amp``: this
    module's, for that one device, with PyTorch's FutureWarning (``tinynn.cuda.amp``, ``tinynn.cpu.amp``)."""

    def deprecated(name):
        warnings.warn(f"`tinynn.{device_type}.amp.{name}(args...)` is deprecated. Please use "
                      f"`tinynn.amp.{name}('{device_type}', args...)` instead.", FutureWarning, stacklevel=3)

    class DeviceAutocast(autocast):
        __doc__ = f"``torch.{device_type}.amp.autocast(enabled, dtype, cache_enabled)``: autocast('{device_type}', ...)."

        def __init__(self, enabled=True, dtype=None, cache_enabled=True):
            deprecated("autocast")
            super().__init__(device_type, dtype=dtype, enabled=enabled, cache_enabled=cache_enabled)

    class DeviceGradScaler(GradScaler):
        __doc__ = (f"``torch.{device_type}.amp.GradScaler(init_scale, growth_factor, backoff_factor, growth_interval, "
                   f"enabled)``: GradScaler('{device_type}', ...).")

        def __init__(self, init_scale=2.0 ** 16, growth_factor=2.0, backoff_factor=0.5, growth_interval=2000,
                     enabled=True):
            deprecated("GradScaler")
            super().__init__(device_type, init_scale, growth_factor, backoff_factor, growth_interval, enabled)

    DeviceAutocast.__name__ = DeviceAutocast.__qualname__ = "autocast"
    DeviceGradScaler.__name__ = DeviceGradScaler.__qualname__ = "GradScaler"
    return DeviceAutocast, DeviceGradScaler


__all__ = ["GradScaler"]
