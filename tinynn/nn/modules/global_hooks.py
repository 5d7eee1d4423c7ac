"""Hooks on every module at once (PyTorch's ``nn.modules.module.register_module_*``), for debugging
and profiling: print every layer's output shape, count operations, check for NaN after each layer,
without touching the model. They run before each module's own hooks of the same kind; each
``register_*`` returns a handle whose ``remove()`` takes the hook away.

    forward pre-hook     hook(module, args) -> None or new args
    forward hook         hook(module, args, output) -> None or new output   (with_kwargs: (module, args, kwargs, output);
                                                                              always_call: also when forward raises)
    full backward hooks  as Module.register_full_backward_hook / _pre_hook, for every module
    registration hooks   hook(module, name, value) -> None or the value to register instead, when a
                         parameter, buffer or submodule is registered (assigned as an attribute or by
                         register_parameter / register_buffer / add_module)
"""
from collections import OrderedDict

from ...hooks import RemovableHandle

forward_pre_hooks = OrderedDict()
forward_hooks = OrderedDict()
forward_hooks_with_kwargs = set()
forward_hooks_always_called = set()
backward_pre_hooks = OrderedDict()
backward_hooks = OrderedDict()
registration_hooks = {"parameter": OrderedDict(), "buffer": OrderedDict(), "module": OrderedDict()}


def _register(registry, hook):
    handle = RemovableHandle(registry)
    registry[handle.id] = hook
    return handle


def register_module_forward_pre_hook(hook):
    return _register(forward_pre_hooks, hook)


def register_module_forward_hook(hook, *, with_kwargs=False, always_call=False):
    handle = _register(forward_hooks, hook)
    if with_kwargs:
        forward_hooks_with_kwargs.add(handle.id)
    if always_call:
        forward_hooks_always_called.add(handle.id)
    return handle


def register_module_full_backward_pre_hook(hook):
    return _register(backward_pre_hooks, hook)


def register_module_full_backward_hook(hook):
    return _register(backward_hooks, hook)


def register_module_parameter_registration_hook(hook):
    return _register(registration_hooks["parameter"], hook)


def register_module_buffer_registration_hook(hook):
    return _register(registration_hooks["buffer"], hook)


def register_module_module_registration_hook(hook):
    return _register(registration_hooks["module"], hook)


def registered(kind, module, name, value):
    """``value`` after the registration hooks of ``kind`` (each may replace it)."""
    for hook in list(registration_hooks[kind].values()):
        result = hook(module, name, value)
        if result is not None:
            value = result
    return value
