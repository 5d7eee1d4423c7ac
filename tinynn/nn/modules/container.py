"""Containers: ``Sequential`` (run children in order), ``ModuleList`` and ``ModuleDict`` (hold children),
``ParameterList`` and ``ParameterDict`` (hold parameters)."""
from collections import OrderedDict

from ..parameter import Parameter
from .module import Module


class _ModuleSequence(Module):
    """Children numbered "0", "1", ... in order, with list-like access."""

    def append(self, module):
        self.add_module(str(len(self._modules)), module)
        return self

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())


class Sequential(_ModuleSequence):
    def __init__(self, *modules):
        super().__init__()
        if len(modules) == 1 and isinstance(modules[0], OrderedDict):
            for name, module in modules[0].items():
                self.add_module(name, module)
        else:
            for module in modules:
                self.append(module)

    def __getitem__(self, index):
        modules = list(self._modules.values())
        return Sequential(*modules[index]) if isinstance(index, slice) else modules[index]

    def forward(self, x):
        for module in self._modules.values():
            x = module(x)
        return x


class ModuleList(_ModuleSequence):
    def __init__(self, modules=()):
        super().__init__()
        for module in modules:
            self.append(module)

    def __getitem__(self, index):
        modules = list(self._modules.values())
        return ModuleList(modules[index]) if isinstance(index, slice) else modules[index]

    def extend(self, modules):
        for module in modules:
            self.append(module)
        return self

    def forward(self, *inputs):
        raise NotImplementedError("ModuleList holds modules but has no forward(); iterate over it instead")


class ModuleDict(Module):
    """Children held by name, in insertion order, with dict-like access; they are registered, so
    their parameters belong to the parent (``parameters()``, ``state_dict()`` keys "name.weight")."""

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self.update(modules)

    def __getitem__(self, key):
        if key not in self._modules:
            raise KeyError(f"ModuleDict has no module {key!r}; it has {list(self._modules)}")
        return self._modules[key]

    def __setitem__(self, key, module):
        if not isinstance(key, str):
            raise TypeError(f"ModuleDict keys must be strings (they become state_dict names), got {type(key).__name__}")
        self.add_module(key, module)

    def __delitem__(self, key):
        del self._modules[key]

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules)

    def __contains__(self, key):
        return key in self._modules

    def keys(self):
        return self._modules.keys()

    def values(self):
        return self._modules.values()

    def items(self):
        return self._modules.items()

    def pop(self, key):
        module = self[key]
        del self._modules[key]
        return module

    def update(self, modules):
        """Add (or replace) modules from a mapping or an iterable of (name, module) pairs."""
        for key, module in (modules.items() if hasattr(modules, "items") else modules):
            self[key] = module

    def forward(self, *inputs):
        raise NotImplementedError("ModuleDict holds modules but has no forward(); index it by name instead")


class ParameterList(Module):
    """Parameters held in order under the names "0", "1", ... (so they are the module's parameters
    and state_dict entries), with list-like access."""

    def __init__(self, values=None):
        super().__init__()
        for value in values or ():
            self.append(value)

    def append(self, value):
        self.register_parameter(str(len(self._parameters)), _as_parameter(value, "ParameterList"))
        return self

    def extend(self, values):
        for value in values:
            self.append(value)
        return self

    def __getitem__(self, index):
        return list(self._parameters.values())[index]

    def __setitem__(self, index, value):
        key = list(self._parameters)[index]
        self.register_parameter(key, _as_parameter(value, "ParameterList"))

    def __len__(self):
        return len(self._parameters)

    def __iter__(self):
        return iter(self._parameters.values())

    def forward(self, *inputs):
        raise NotImplementedError("ParameterList holds parameters but has no forward(); index it instead")


class ParameterDict(Module):
    """Parameters held by name, in insertion order, with dict-like access."""

    def __init__(self, parameters=None):
        super().__init__()
        if parameters is not None:
            self.update(parameters)

    def __getitem__(self, key):
        if key not in self._parameters:
            raise KeyError(f"ParameterDict has no parameter {key!r}; it has {list(self._parameters)}")
        return self._parameters[key]

    def __setitem__(self, key, value):
        if not isinstance(key, str):
            raise TypeError(f"ParameterDict keys must be strings (they become state_dict names), got {type(key).__name__}")
        self.register_parameter(key, _as_parameter(value, "ParameterDict"))

    def __delitem__(self, key):
        del self._parameters[key]

    def __len__(self):
        return len(self._parameters)

    def __iter__(self):
        return iter(self._parameters)

    def __contains__(self, key):
        return key in self._parameters

    def keys(self):
        return self._parameters.keys()

    def values(self):
        return self._parameters.values()

    def items(self):
        return self._parameters.items()

    def update(self, parameters):
        for key, value in (parameters.items() if hasattr(parameters, "items") else parameters):
            self[key] = value

    def forward(self, *inputs):
        raise NotImplementedError("ParameterDict holds parameters but has no forward(); index it by name instead")


def _as_parameter(value, name):
    """A Parameter as it is; a Tensor wrapped in one, as PyTorch's containers do."""
    from ...tensor import Tensor

    if isinstance(value, Parameter):
        return value
    if isinstance(value, Tensor):
        return Parameter(value)
    raise TypeError(f"{name}: expected a Parameter or a Tensor, got {type(value).__name__}")
