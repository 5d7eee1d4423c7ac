"""``Module``: the base class of every layer and model, with PyTorch's API.

A Module owns Parameters (learned), buffers (state that is saved but not learned, such as
BatchNorm's running statistics) and child Modules, all registered by plain attribute
assignment. Names follow the attribute path (``features.0.weight``), which makes
``state_dict`` keys identical to PyTorch's for the same structure.
"""
import warnings
from collections import OrderedDict, namedtuple

import numpy as np

from ... import backend, dtypes, memory_layout
from ...autograd import in_place, is_grad_enabled
from ...hooks import RemovableHandle
from ...sparse import zero_gradient
from ...tensor import Tensor
from ..parameter import Buffer, Parameter
from . import global_hooks
from .backward_hooks import ModuleBackwardHooks
from .global_hooks import (register_module_buffer_registration_hook, register_module_forward_hook,  # noqa: F401
                           register_module_forward_pre_hook, register_module_full_backward_hook,
                           register_module_full_backward_pre_hook, register_module_module_registration_hook,
                           register_module_parameter_registration_hook)


def _holds_numbers(value):
    """Whether a state dict's ``value`` can be copied into a tensor: a Tensor, an array, or numbers
    (nested lists of them, as a hand-written state may hold)."""
    if isinstance(value, Tensor) or backend.is_gpu_array(value):
        return True
    try:
        return np.asarray(value).dtype.kind in "biufc"
    except (TypeError, ValueError):  # (lists of uneven lengths)
        return False


def _described(value):
    return f"a {type(value).__name__}" + (f" of dtype {value.dtype}" if hasattr(value, "dtype") else "")


class _IncompatibleKeys(namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])):
    """What ``load_state_dict`` returns, printed as PyTorch's."""
    __slots__ = ()

    def __repr__(self):
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return super().__repr__()


_pending_writes = []  # the writes of the load_state_dict running (a list each; nested loads are their own)


def _write(write):
    """A write of ``_load_from_state_dict``: noted, to be made once the whole state is known to fit, within
    ``load_state_dict``; made at once where a loader is called by itself."""
    if _pending_writes:
        _pending_writes[-1].append(write)
    else:
        write()


def _addindent(text, spaces):
    """``text`` with every line after the first indented by ``spaces``: a child's repr inside its parent's
    (PyTorch's helper of that name, which modules' own ``__repr__`` methods import)."""
    return text.replace("\n", "\n" + " " * spaces)


class StateDictError(KeyError, RuntimeError):
    """A state dict does not fit the model: lists the missing, unexpected and mis-shaped entries (a
    RuntimeError, as PyTorch raises, and a KeyError)."""

    def __str__(self):
        return self.args[0]


class Module:
    def __init__(self):
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_non_persistent_buffers", set())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "_forward_pre_hooks", OrderedDict())
        object.__setattr__(self, "_forward_hooks", OrderedDict())
        object.__setattr__(self, "_backward_hooks", OrderedDict())
        object.__setattr__(self, "_backward_pre_hooks", OrderedDict())
        object.__setattr__(self, "_state_dict_pre_hooks", OrderedDict())
        object.__setattr__(self, "_state_dict_hooks", OrderedDict())
        object.__setattr__(self, "_load_state_dict_pre_hooks", OrderedDict())
        object.__setattr__(self, "_load_state_dict_post_hooks", OrderedDict())
        # handle ids of the forward (pre) hooks registered with_kwargs, and the always_call ones
        object.__setattr__(self, "_hooks_with_kwargs", set())
        object.__setattr__(self, "_hooks_always_called", set())
        object.__setattr__(self, "training", True)

    def forward(self, *inputs):
        raise NotImplementedError(f"{type(self).__name__} must implement forward()")

    # ----- registration ----------------------------------------------------------------
    def __setattr__(self, name, value):
        if "_parameters" not in self.__dict__:
            raise AttributeError(f"{type(self).__name__}: call super().__init__() before assigning attributes")
        parametrizations = self._modules.get("parametrizations")
        if parametrizations is not None and name in parametrizations._modules:
            parametrizations._modules[name].right_inverse(value)  # stored through the parametrization
            return
        if name in self._parameters and value is not None and not isinstance(value, Parameter):
            raise TypeError(f"{type(self).__name__}: cannot assign a {type(value).__name__} to the parameter '{name}' "
                            "(a Parameter or None expected); assign the values through .data, or delete it first")
        if isinstance(value, Buffer):
            self.register_buffer(name, Tensor(value._array), persistent=value.persistent)
        elif isinstance(value, Parameter) or (value is None and name in self._parameters):
            self._forget(name, keep=self._parameters)
            self._parameters[name] = global_hooks.registered("parameter", self, name, value)
        elif isinstance(value, Module) or (value is None and name in self._modules):
            self._forget(name, keep=self._modules)
            self._modules[name] = global_hooks.registered("module", self, name, value)
        elif name in self._buffers and (value is None or isinstance(value, Tensor)):
            self._buffers[name] = global_hooks.registered("buffer", self, name, value)
        else:
            self._forget(name)
            object.__setattr__(self, name, value)

    def _forget(self, name, keep=None):
        """Drop ``name`` from the plain attributes and from every registry but ``keep`` (where it is
        about to be replaced in place, keeping its position, as PyTorch's order of entries does)."""
        for registry in (self._parameters, self._buffers, self._modules):
            if registry is not keep:
                registry.pop(name, None)
        self.__dict__.pop(name, None)

    def __getattr__(self, name):
        for registry in ("_parameters", "_buffers", "_modules"):
            values = self.__dict__.get(registry)
            if values is not None and name in values:
                return values[name]
        parametrizations = self.__dict__.get("_modules", {}).get("parametrizations")
        if parametrizations is not None and name in parametrizations._modules:
            return parametrizations._modules[name].value()  # computed at each access, or cached (nn.utils.parametrize)
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name):
        for registry in (self._parameters, self._buffers, self._modules):
            if name in registry:
                del registry[name]
                return
        object.__delattr__(self, name)

    def __dir__(self):
        """The attributes, parameters, buffers and submodules (for tab completion, as PyTorch's)."""
        return sorted(set(super().__dir__()) | set(self._parameters) | set(self._buffers) | set(self._modules))

    def register_parameter(self, name, param):
        self._check_new_name("parameter", name, self._parameters)
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"register_parameter: '{name}' must be a Parameter or None, got {type(param).__name__}")
        param = global_hooks.registered("parameter", self, name, param)
        self._forget(name, keep=self._parameters)
        self._parameters[name] = param

    def register_buffer(self, name, tensor, persistent=True):
        self._check_new_name("buffer", name, self._buffers)
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"register_buffer: '{name}' must be a Tensor or None, got {type(tensor).__name__}")
        tensor = global_hooks.registered("buffer", self, name, tensor)
        self._forget(name, keep=self._buffers)
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent_buffers.discard(name)
        else:
            self._non_persistent_buffers.add(name)

    def add_module(self, name, module):
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"add_module: '{name}' must be a Module, got {type(module).__name__}")
        self._check_new_name("module", name, self._modules)
        module = global_hooks.registered("module", self, name, module)
        self._forget(name, keep=self._modules)
        self._modules[name] = module

    register_module = add_module

    def _check_new_name(self, kind, name, registry):
        """PyTorch's checks of the name a parameter, buffer or submodule is registered under: a string,
        without a dot (state_dict keys join names with dots, so "a.b" could not be loaded back), not
        empty, and not already another attribute (which the registered one would hide)."""
        if not isinstance(name, str):
            raise TypeError(f"{kind} name should be a string. Got {type(name).__name__}")
        if "." in name:
            raise KeyError(f"module name can't contain \".\", got: {name}" if kind == "module"
                           else f"{kind} name can't contain \".\"")
        if not name:
            raise KeyError(f"{kind} name can't be empty string \"\"")
        if name not in registry and hasattr(self, name):
            raise KeyError(f"attribute '{name}' already exists")

    # ----- traversal -----------------------------------------------------------------
    def named_modules(self, memo=None, prefix="", remove_duplicate=True):
        """(dotted name, module) for this module and every submodule, depth first; a module
        registered twice is listed once unless ``remove_duplicate=False``. ``memo``: a set of
        modules to skip (and add to), as PyTorch's."""
        seen, stack = (memo if memo is not None else set()), [(prefix, self)]
        while stack:
            name, module = stack.pop()
            if remove_duplicate:
                if module in seen:
                    continue
                seen.add(module)
            yield name, module
            children = [(f"{name}.{child_name}" if name else child_name, child)
                        for child_name, child in module._modules.items() if child is not None]
            stack.extend(reversed(children))

    def get_submodule(self, target):
        """The module at dotted path ``target`` ("features.3"); "" is the module itself."""
        module = self
        for part in target.split(".") if target else []:
            if part not in module._modules or module._modules[part] is None:
                raise AttributeError(f"{type(module).__name__} has no submodule {part!r} (looking for {target!r})")
            module = module._modules[part]
        return module

    def set_submodule(self, target, module, strict=False):
        """Put ``module`` at dotted path ``target`` ("features.3"), replacing what is there (with
        ``strict``, only replacing: the target must already be a submodule)."""
        if not isinstance(module, Module):
            raise TypeError(f"set_submodule: expected a Module, got {type(module).__name__}")
        parent_path, _, name = target.rpartition(".")
        if not name:
            raise ValueError("set_submodule: the target cannot be empty (the module itself)")
        parent = self.get_submodule(parent_path)
        if strict and not isinstance(parent._modules.get(name), Module):
            raise AttributeError(f"set_submodule: {type(parent).__name__} has no submodule {name!r} to replace "
                                 f"(strict=True; looking for {target!r})")
        setattr(parent, name, module)

    def _member(self, target, registry, what):
        module_path, _, name = target.rpartition(".")
        module = self.get_submodule(module_path)
        if name not in getattr(module, registry):
            raise AttributeError(f"{type(module).__name__} has no {what} {name!r} (looking for {target!r})")
        return getattr(module, registry)[name]

    def get_parameter(self, target):
        """The parameter at dotted path ``target`` ("features.0.weight")."""
        return self._member(target, "_parameters", "parameter")

    def get_buffer(self, target):
        """The buffer at dotted path ``target`` ("features.2.running_mean")."""
        return self._member(target, "_buffers", "buffer")

    def modules(self, remove_duplicate=True):
        for _, module in self.named_modules(remove_duplicate=remove_duplicate):
            yield module

    def named_children(self):
        """(name, child) pairs; a child registered under several names is listed once, as PyTorch."""
        seen = set()
        for name, module in self._modules.items():
            if module is not None and id(module) not in seen:
                seen.add(id(module))
                yield name, module

    def children(self):
        for _, module in self.named_children():
            yield module

    def _named_members(self, registry, prefix, recurse, remove_duplicate):
        seen = set()
        modules = self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate) if recurse else [(prefix, self)]
        for module_name, module in modules:
            for name, value in getattr(module, registry).items():
                if value is None or remove_duplicate and id(value) in seen:
                    continue
                seen.add(id(value))
                yield (f"{module_name}.{name}" if module_name else name), value

    def named_parameters(self, prefix="", recurse=True, remove_duplicate=True):
        """(name, Parameter) pairs, names after ``prefix``; a parameter shared by several modules is
        listed once unless ``remove_duplicate=False``."""
        return self._named_members("_parameters", prefix, recurse, remove_duplicate)

    def parameters(self, recurse=True):
        for _, param in self.named_parameters(recurse=recurse):
            yield param

    def named_buffers(self, prefix="", recurse=True, remove_duplicate=True):
        return self._named_members("_buffers", prefix, recurse, remove_duplicate)

    def buffers(self, recurse=True):
        for _, buffer in self.named_buffers(recurse=recurse):
            yield buffer

    def apply(self, fn):
        """Call ``fn(module)`` on every submodule (children before parents) and on this module, as
        PyTorch does; returns self. The usual use is custom initialisation: ``model.apply(init_weights)``."""
        for child in self.children():
            child.apply(fn)
        fn(self)
        return self

    # ----- modes and devices ------------------------------------------------------------
    def train(self, mode=True):
        """Training mode on (``mode`` True) or off, for this module and, through each child's own ``train``
        (so that a module overriding it is obeyed, as in PyTorch), every module inside."""
        if not isinstance(mode, bool):  # ("False" and 0.0 read as a bool would switch it the wrong way)
            raise ValueError(f"{type(self).__name__}.train: training mode is expected to be boolean, got {mode!r}")
        object.__setattr__(self, "training", mode)
        for module in self.children():
            module.train(mode)
        return self

    def eval(self):
        return self.train(False)

    def requires_grad_(self, requires_grad=True):
        """Switch gradient tracking of every parameter on or off (freezing a part of a model)."""
        for param in self.parameters():
            param.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none=True):
        for param in self.parameters():
            if set_to_none:
                param.grad = None
            elif param.grad is not None:
                zero_gradient(param.grad)

    def _apply(self, convert):
        """Replace the data of every parameter, gradient and buffer in place (same Tensor objects,
        so optimizers that hold the parameters keep working)."""
        for tensor in list(self.parameters()) + list(self.buffers()):
            tensor.data = convert(tensor._array)
            if getattr(tensor.grad, "is_sparse", False):  # (its values follow the parameter's device and dtype)
                tensor.grad = tensor.grad.to(device=tensor.device, dtype=tensor.dtype)
            elif tensor.grad is not None:
                tensor.grad.data = convert(tensor.grad._array)
        return self

    def to(self, device=None, dtype=None, non_blocking=False, memory_format=None):
        """Move parameters and buffers to ``device`` and/or cast floating ones to ``dtype``
        (``device`` may be a dtype, or a tensor whose device and dtype to take, as in PyTorch;
        ``non_blocking``: as in ``Tensor.to``); ``memory_format`` (``tinynn.channels_last``) lays out
        the 4-D and 5-D ones in that order, as PyTorch's does (see tinynn/memory_layout.py)."""
        if isinstance(device, Tensor):
            device, dtype = device.device, device.dtype
        elif device is not None and not isinstance(device, str) and dtype is None:
            device, dtype = None, device
        if dtype is not None and np.dtype(dtype).kind not in "fc":
            raise TypeError(f"Module.to only accepts floating-point or complex dtypes (the parameters' and float "
                            f"buffers'), got {np.dtype(dtype)}")
        if device is not None:
            device = backend.canonical_device(device)
            self._apply(lambda array: backend.to_device(array, device))
        if dtype is not None:  # floating and complex tensors take the dtype, integer ones (counters) stay
            self._apply(lambda array: array.astype(dtype) if array.dtype.kind in "fc" else array)
        if memory_format not in (None, memory_layout.preserve_format):
            memory_layout.check(memory_format, "Module.to")
            self._apply(lambda array: memory_layout.arranged(array, memory_format, "Module.to")
                        if array.ndim in (4, 5) else array)
        return self

    def to_empty(self, *, device, recurse=True):
        """Parameters and buffers of the same shapes and dtypes on ``device``, their values not
        copied (zeros here; PyTorch's are uninitialised): for a model built on one device and then
        filled from a checkpoint on another. ``recurse=False``: this module's own tensors only."""
        device = backend.canonical_device(device)
        xp = backend.array_module_for(device)
        tensors = (list(self.parameters(recurse=recurse)) + list(self.buffers(recurse=recurse)))
        for tensor in tensors:
            if tensor is not None:
                tensor.data = xp.zeros(tensor.shape, dtype=tensor.dtype)
                tensor.grad = None
        return self

    def share_memory(self):
        """Every parameter and buffer moved into memory shared between processes, one block for them
        all (``Tensor.share_memory_``): several processes then train this one model (Hogwild)."""
        from ... import shared_memory

        named = list(self.named_parameters()) + list(self.named_buffers())
        for name, tensor in named:
            if tensor.device != backend.CPU:
                raise RuntimeError(f"share_memory: only host tensors are shared this way; {name} is on {tensor.device}")
        shared_memory.share([tensor for _, tensor in named])
        return self

    def cpu(self):
        return self.to("cpu")

    def gpu(self):
        return self.to("gpu")

    def cuda(self, device=None):
        """Every parameter and buffer on the GPU (``device``: None, 0, ``"cuda:0"``: tinynn uses one GPU)."""
        return self.to(backend.gpu_device(device))

    def float(self):
        return self.to(dtype=np.float32)

    def double(self):
        return self.to(dtype=np.float64)

    def type(self, dst_type):
        """Every floating parameter and buffer converted to ``dst_type``."""
        return self.to(dtype=dst_type)

    def half(self):
        return self.to(dtype=np.float16)

    def bfloat16(self):
        """PyTorch's bfloat16 conversion: tinynn has no such dtype, so a clear error (``half`` is float16)."""
        raise TypeError(dtypes.absent("bfloat16", "bfloat16", ".half() (float16) or .float()"))

    @property
    def device(self):
        """The device of the first parameter or buffer (``"cpu"`` for a module with neither)."""
        for tensor in list(self.parameters()) + list(self.buffers()):
            return tensor.device
        return backend.CPU

    # ----- state dicts ------------------------------------------------------------------
    # As PyTorch's: state_dict() and load_state_dict() walk the tree of modules, each module saving
    # (``_save_to_state_dict``) and loading (``_load_from_state_dict``) its own entries under its prefix, so
    # a module may override either to change how it is saved or to read what an older version of it saved.
    # Each module's class ``_version`` goes into the state dict's ``_metadata`` and back to its loader.
    _version = 1

    def get_extra_state(self):
        """Override to save more than tensors: what it returns goes into the state dict under
        "_extra_state" (and comes back through ``set_extra_state`` on loading), as in PyTorch."""
        raise RuntimeError(f"{type(self).__name__}.get_extra_state: not defined; override it to save extra state")

    def set_extra_state(self, state):
        raise RuntimeError(f"{type(self).__name__}.set_extra_state: not defined, but the state dict has extra state for "
                           "it; override it together with get_extra_state")

    def _own_state(self):
        """name -> tensor of this module's parameters and persistent buffers (not its children's)."""
        own = OrderedDict((name, param) for name, param in self._parameters.items() if param is not None)
        own.update((name, buffer) for name, buffer in self._buffers.items()
                   if buffer is not None and name not in self._non_persistent_buffers)
        return own

    def _save_to_state_dict(self, destination, prefix, keep_vars):
        """This module's own entries into ``destination``, each name after ``prefix`` (detached tensors
        sharing memory with the module, or with ``keep_vars`` the parameters themselves), and its extra
        state under "<prefix>_extra_state"."""
        for name, value in self._own_state().items():
            destination[prefix + name] = value if keep_vars else value.detach()
        if type(self).get_extra_state is not Module.get_extra_state:
            destination[prefix + "_extra_state"] = self.get_extra_state()

    def state_dict(self, *, destination=None, prefix="", keep_vars=False):
        """name -> Tensor for every parameter and persistent buffer, in PyTorch's order and names
        (and each module's extra state). The tensors share memory with the module (detached, or with
        ``keep_vars`` the parameters themselves), as in PyTorch; ``prefix`` goes before every name,
        and ``destination`` (a dict) receives the entries instead of a new OrderedDict. A module that
        appears twice (shared) has its entries under both names. ``state._metadata`` holds each module's
        ``{"version": _version}`` by its name. Hooks: ``register_state_dict_pre_hook`` (before a
        module's entries) and ``register_state_dict_post_hook`` (after, may edit the dict in place)."""
        if destination is None:
            destination = OrderedDict()
        if not hasattr(destination, "_metadata"):
            destination._metadata = OrderedDict()
        local_metadata = {"version": self._version}
        destination._metadata[prefix[:-1]] = local_metadata
        for hook in list(self._state_dict_pre_hooks.values()):
            hook(self, prefix, keep_vars)
        self._save_to_state_dict(destination, prefix, keep_vars)
        for name, module in self._modules.items():
            if module is not None:
                module.state_dict(destination=destination, prefix=f"{prefix}{name}.", keep_vars=keep_vars)
        for hook in list(self._state_dict_hooks.values()):
            hook(self, destination, prefix, local_metadata)
        return destination

    def register_state_dict_pre_hook(self, hook):
        """``hook(module, prefix, keep_vars)`` runs before the state dict is made."""
        return self._add_hook(self._state_dict_pre_hooks, hook)

    def register_state_dict_post_hook(self, hook):
        """``hook(module, state_dict, prefix, local_metadata)`` runs after, and may edit the dict in
        place (this module's entries are those starting with ``prefix``)."""
        return self._add_hook(self._state_dict_hooks, hook)

    _register_state_dict_hook = register_state_dict_post_hook  # (PyTorch's older, private name, which code still calls)

    def register_load_state_dict_pre_hook(self, hook):
        """``hook(module, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
        error_msgs)`` runs before the module loads its entries, and may edit (a copy of) the state dict in
        place: rename the keys an older version saved, say."""
        return self._add_hook(self._load_state_dict_pre_hooks, hook)

    @staticmethod
    def _add_hook(registry, hook, prepend=False):
        """Register ``hook``, after the others (or, with ``prepend``, before them); returns its handle."""
        handle = RemovableHandle(registry)
        registry[handle.id] = hook
        if prepend:
            registry.move_to_end(handle.id, last=False)
        return handle

    def load_state_dict(self, state_dict, strict=True, assign=False):
        """Copy values into the parameters and buffers (keeping their device and dtype), or with
        ``assign`` make the state's tensors the module's (their dtype and device kept; a parameter
        keeps the module's requires_grad), as PyTorch's.

        As PyTorch, each module's ``_load_from_state_dict`` takes its entries from the state (a copy: the
        caller's dict is never edited), told its saved ``_metadata`` ({"version": ...}), and every problem
        is collected: keys the model has but the state lacks (missing), keys the model does not have
        (unexpected), shape mismatches. Shape mismatches are always an error, missing and unexpected keys
        with ``strict=True``: a StateDictError (a RuntimeError, as PyTorch raises) names them all.
        Unlike PyTorch, nothing is modified unless the whole state fits: the modules' loaders check and
        note what to write, and the writes are made at the end. Where a module has a load post hook
        (``register_load_state_dict_post_hook``: ``hook(module, incompatible_keys)``, which may empty the
        lists), the entries that fit are written before the hooks run and the strict check comes after
        them, as in PyTorch."""
        metadata = getattr(state_dict, "_metadata", None)
        state_dict = OrderedDict(state_dict)
        missing, unexpected, errors, pending = [], [], [], []
        post_hooks = []

        def load(module, local_state, prefix):
            local_metadata = {} if metadata is None else dict(metadata.get(prefix[:-1], {}))
            if assign:
                local_metadata["assign_to_params_buffers"] = True
            module._load_from_state_dict(local_state, prefix, local_metadata, True, missing, unexpected, errors)
            for name, child in module._modules.items():
                if child is not None:
                    child_prefix = f"{prefix}{name}."
                    load(child, OrderedDict((key, value) for key, value in local_state.items()
                                            if key.startswith(child_prefix)), child_prefix)
            post_hooks.extend((module, hook) for hook in module._load_state_dict_post_hooks.values())

        _pending_writes.append(pending)
        try:
            load(self, state_dict, "")
        finally:
            _pending_writes.pop()
        if errors or not post_hooks:
            self._raise_problems(missing if strict else [], unexpected if strict else [], errors)
        for write in pending:
            write()
        incompatible = _IncompatibleKeys(missing, unexpected)
        for module, hook in post_hooks:
            hook(module, incompatible)
        if strict:
            self._raise_problems(incompatible.missing_keys, incompatible.unexpected_keys, [])
        return incompatible

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
                              error_msgs):
        """Load this module's own entries (those named ``prefix`` + a parameter's or persistent buffer's
        name) from ``state_dict``, as PyTorch's: the load pre hooks first, then each entry checked
        (missing keys and shape mismatches noted in the lists), its write made (within
        ``load_state_dict``, at its end, once everything fits), and with ``strict`` the keys under
        ``prefix`` that name nothing here or in a child noted as unexpected. Override it to read what an
        older ``_version`` of the module saved (``local_metadata.get("version")``), editing
        ``state_dict`` before calling this."""
        for hook in list(self._load_state_dict_pre_hooks.values()):
            hook(self, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys, error_msgs)
        if getattr(self, "has_uninitialized_params", lambda: False)():  # a lazy layer takes its sizes from the state
            self.materialize_from_state(state_dict, prefix)
        own = self._own_state()
        assign = local_metadata.get("assign_to_params_buffers", False)
        for name, current in own.items():
            key = prefix + name
            if key not in state_dict:
                if strict:
                    missing_keys.append(key)
                continue
            value = state_dict[key]
            if not _holds_numbers(value):
                error_msgs.append(f"{key!r} from the checkpoint is {_described(value)}; expected a tensor (or an "
                                  f"array of numbers)")
                continue
            shape = tuple(value.shape) if hasattr(value, "shape") else np.shape(value)
            if shape != current.shape:
                error_msgs.append(f"size mismatch for {key}: copying a param with shape {shape} from checkpoint, the "
                                  f"shape in current model is {tuple(current.shape)}")  # (PyTorch's words)
                continue
            _write(lambda name=name, current=current, value=value, key=key:
                   self._assign_entry(name, current, value) if assign else self._copy_entry(current, value, key))
        extra_key = prefix + "_extra_state"
        if type(self).set_extra_state is not Module.set_extra_state:
            if extra_key in state_dict:
                _write(lambda: self.set_extra_state(state_dict[extra_key]))
            elif strict:
                missing_keys.append(extra_key)
        elif strict and extra_key in state_dict:
            unexpected_keys.append(extra_key)
        if strict:
            for key in state_dict:
                if key.startswith(prefix) and key != extra_key:
                    head, dot, _ = key[len(prefix):].partition(".")
                    if (head not in self._modules) if dot else (head not in own):
                        unexpected_keys.append(key)

    def _raise_problems(self, missing, unexpected, errors):
        problems = []
        if missing:
            problems.append("missing keys: " + ", ".join(missing))
        if unexpected:
            problems.append("unexpected keys: " + ", ".join(unexpected))
        problems.extend(errors)  # (shape mismatches, and what a module's own loader found)
        if problems:
            raise StateDictError(f"error loading state dict into {type(self).__name__}: " + " | ".join(problems))

    def _assign_entry(self, name, current, value):
        """The state's tensor put in place of the module's (``load_state_dict(assign=True)``)."""
        tensor = value if isinstance(value, Tensor) else Tensor(value if backend.is_gpu_array(value) else np.asarray(value))
        if name in self._parameters:
            self._parameters[name] = Parameter(tensor._array, requires_grad=current.requires_grad)
        else:
            self._buffers[name] = tensor.detach()

    @staticmethod
    def _copy_entry(target, value, key):
        """The state's values into the tensor (its device and dtype kept)."""
        array = value._array if isinstance(value, Tensor) else value
        target._array[...] = backend.to_device(backend.to_device(array, "cpu").astype(target.dtype), target.device)
        in_place.overwritten(target._array, f"load_state_dict wrote {key!r}")

    def register_load_state_dict_post_hook(self, hook):
        """``hook(module, incompatible_keys)`` runs after loading; it may edit the missing_keys and
        unexpected_keys lists in place (before the strict check)."""
        return self._add_hook(self._load_state_dict_post_hooks, hook)

    # ----- calling and hooks --------------------------------------------------------------
    def __call__(self, *args, **kwargs):
        with_kwargs = self.__dict__.get("_hooks_with_kwargs", ())
        for hook in list(global_hooks.forward_pre_hooks.values()):  # every module's, before its own
            result = hook(self, args)
            if result is not None:
                args = result if isinstance(result, tuple) else (result,)
        for key, hook in list(self._forward_pre_hooks.items()):
            if key in with_kwargs:
                result = hook(self, args, kwargs)
                if result is not None:
                    if not (isinstance(result, tuple) and len(result) == 2):
                        raise RuntimeError(f"a forward pre-hook registered with_kwargs must return None or a tuple "
                                           f"(args, kwargs), got {type(result).__name__}")
                    args, kwargs = result
                continue
            result = hook(self, args)
            if result is not None:
                args = result if isinstance(result, tuple) else (result,)
        hook_state = None
        if (self._backward_hooks or self._backward_pre_hooks or global_hooks.backward_hooks
                or global_hooks.backward_pre_hooks) and is_grad_enabled():
            hook_state = ModuleBackwardHooks(self)
            args = hook_state.wrap_inputs(args)
        try:
            output = self.forward(*args, **kwargs)
        except Exception:
            for key, hook in list(global_hooks.forward_hooks.items()):  # always_call hooks see the failed call
                if key in global_hooks.forward_hooks_always_called and key in global_hooks.forward_hooks_with_kwargs:
                    hook(self, args, kwargs, None)
                elif key in global_hooks.forward_hooks_always_called:
                    hook(self, args, None)
            always = self.__dict__.get("_hooks_always_called", ())
            for key, hook in list(self._forward_hooks.items()):  # always_call hooks see the failed call
                if key in always and key in with_kwargs:
                    hook(self, args, kwargs, None)
                elif key in always:
                    hook(self, args, None)
            raise
        for key, hook in list(global_hooks.forward_hooks.items()):
            result = (hook(self, args, kwargs, output) if key in global_hooks.forward_hooks_with_kwargs
                      else hook(self, args, output))
            if result is not None:
                output = result
        for key, hook in list(self._forward_hooks.items()):
            result = hook(self, args, kwargs, output) if key in with_kwargs else hook(self, args, output)
            if result is not None:
                output = result
        if hook_state is not None:
            output = hook_state.wrap_output(output)
        return output

    def register_forward_pre_hook(self, hook, *, prepend=False, with_kwargs=False):
        """``hook(module, inputs)`` runs before every forward; a non-None return replaces the inputs
        (a tuple, or a single value for one input). With ``with_kwargs``, ``hook(module, args,
        kwargs)``, returning None or (args, kwargs). ``prepend``: before the hooks already there.
        Returns a handle with ``.remove()``."""
        handle = self._add_hook(self._forward_pre_hooks, hook, prepend)
        if with_kwargs:
            self._hook_flags("_hooks_with_kwargs").add(handle.id)
        return handle

    def register_forward_hook(self, hook, *, prepend=False, with_kwargs=False, always_call=False):
        """``hook(module, inputs, output)`` runs after every forward; a non-None return replaces the
        output. With ``with_kwargs``, ``hook(module, args, kwargs, output)``; with ``always_call`` it
        also runs (output None) when forward raises, before the error goes on. ``prepend``: before
        the hooks already there. Returns a handle with ``.remove()``."""
        handle = self._add_hook(self._forward_hooks, hook, prepend)
        if with_kwargs:
            self._hook_flags("_hooks_with_kwargs").add(handle.id)
        if always_call:
            self._hook_flags("_hooks_always_called").add(handle.id)
        return handle

    def _hook_flags(self, name):
        """The set of hook ids ``name`` (made here for a module unpickled from before it existed)."""
        if name not in self.__dict__:
            object.__setattr__(self, name, set())
        return self.__dict__[name]

    def register_full_backward_pre_hook(self, hook, prepend=False):
        """``hook(module, grad_output)`` runs when dL/d(output) reaches the module, before the
        gradients with respect to its inputs are computed; a returned tuple replaces grad_output
        (backward_hooks.py says how)."""
        return self._add_hook(self._backward_pre_hooks, hook, prepend)

    def register_full_backward_hook(self, hook, prepend=False):
        """``hook(module, grad_input, grad_output)`` runs when the gradients with respect to the
        module's inputs have been computed. ``grad_input`` holds dL/d(input) per positional argument
        (None for those that are not Tensors or need no gradient), ``grad_output`` dL/d(output) per
        output; a returned tuple of as many replaces grad_input (backward_hooks.py says how). Returns
        a handle."""
        return self._add_hook(self._backward_hooks, hook, prepend)

    def register_backward_hook(self, hook):
        """PyTorch's deprecated form: the same as ``register_full_backward_hook`` here (PyTorch's old hook
        saw only the last op's gradients), with PyTorch's deprecation warning."""
        warnings.warn("register_backward_hook is deprecated (as in PyTorch); tinynn runs it as "
                      "register_full_backward_hook, which you can call instead", FutureWarning, stacklevel=2)
        return self.register_full_backward_hook(hook)

    def compile(self, *args, **kwargs):
        """As ``tinynn.compile``: tinynn runs eagerly, so the module stays as it is (PyTorch's compiles it in place)."""

    # ----- printing ---------------------------------------------------------------------
    def extra_repr(self):
        return ""

    def _get_name(self):
        return type(self).__name__

    def __repr__(self):
        """PyTorch's layout: ``Name(extra)`` where extra_repr is one line and there are no children,
        else the extra_repr's lines and then each child's "(name): repr" on lines of their own."""
        extra = self.extra_repr()
        extra_lines = extra.split("\n") if extra else []
        child_lines = [f"({name}): {_addindent(repr(module), 2)}" for name, module in self._modules.items()]
        if len(extra_lines) == 1 and not child_lines:
            return f"{self._get_name()}({extra_lines[0]})"
        lines = extra_lines + child_lines
        return self._get_name() + ("(\n  " + "\n  ".join(lines) + "\n)" if lines else "()")
