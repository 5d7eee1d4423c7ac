"""Containers: ``Sequential`` (run children in order) and ``ModuleList`` (hold children)."""
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
