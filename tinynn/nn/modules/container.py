"""Containers: ``Sequential`` (run children in order), ``ModuleList`` and ``ModuleDict`` (hold children)."""
from collections import OrderedDict

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
