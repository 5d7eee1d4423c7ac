"""Containers: ``Sequential`` (run children in order), ``ModuleList`` and ``ModuleDict`` (hold children),
``ParameterList`` and ``ParameterDict`` (hold parameters)."""
from collections import OrderedDict

from ...functions import typename
from ...tensor import Tensor
from ..parameter import Parameter
from .module import Module, _addindent


class _ModuleSequence(Module):
    """Children numbered "0", "1", ... in order, with list-like access: indexing and slicing,
    assignment, ``del`` (the rest renumbered, as PyTorch's), ``insert``, ``pop``, ``extend``, ``+``."""

    def append(self, module):
        if not isinstance(module, Module):
            raise TypeError(f"{type(self).__name__}.append: expected an nn.Module, got {type(module).__name__}")
        self.add_module(str(len(self._modules)), module)
        return self

    def extend(self, modules):
        for module in modules:
            self.append(module)
        return self

    def _key(self, index):
        """The name of the child at the int ``index`` (negative from the end)."""
        count = len(self._modules)
        if not isinstance(index, int) or not -count <= index < count:
            raise IndexError(f"{type(self).__name__}: index {index!r} is out of range for {count} modules")
        return list(self._modules)[index % count]

    def __getitem__(self, index):
        if isinstance(index, slice):
            return self._sliced(index)
        return self._modules[self._key(index)]

    def __setitem__(self, index, module):
        setattr(self, self._key(index), module)

    def __delitem__(self, index):
        for key in (list(self._modules)[index] if isinstance(index, slice) else [self._key(index)]):
            del self._modules[key]
        self._renumber(list(self._modules.values()))

    def _renumber(self, modules):
        object.__setattr__(self, "_modules", OrderedDict((str(i), module) for i, module in enumerate(modules)))

    def insert(self, index, module):
        """``module`` put before the child at ``index`` (the end for len(self))."""
        if not isinstance(module, Module):
            raise TypeError(f"{type(self).__name__}.insert: expected an nn.Module, got {type(module).__name__}")
        modules = list(self._modules.values())
        if not -len(modules) <= index <= len(modules):
            raise IndexError(f"{type(self).__name__}.insert: index {index} is out of range for {len(modules)} modules")
        modules.insert(index, module)  # before the child at index, as list.insert
        self._renumber(modules)
        return self

    def pop(self, index=-1):
        module = self[index]
        del self[index]
        return module

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def __iadd__(self, modules):
        return self.extend(modules)


class Sequential(_ModuleSequence):
    def __init__(self, *modules):
        super().__init__()
        if len(modules) == 1 and isinstance(modules[0], OrderedDict):
            for name, module in modules[0].items():
                self.add_module(name, module)
        else:
            for module in modules:
                self.append(module)

    def _sliced(self, index):
        """A Sequential of the children in ``index``, under their names (as PyTorch's)."""
        return Sequential(OrderedDict(list(self._modules.items())[index]))

    def __add__(self, other):
        if not isinstance(other, Sequential):
            raise TypeError(f"Sequential + {type(other).__name__}: only a Sequential can be added to a Sequential")
        return Sequential(*self, *other)

    def __mul__(self, times):
        """The children repeated ``times`` times (the same module objects, as PyTorch's)."""
        if not isinstance(times, int) or times < 1:
            raise ValueError(f"Sequential * {times!r}: expected a positive int")
        return Sequential(*(list(self) * times))

    __rmul__ = __mul__

    def __imul__(self, times):
        repeated = self * times
        self._renumber(list(repeated))
        return self

    def forward(self, input):
        for module in self._modules.values():
            input = module(input)
        return input


class ModuleList(_ModuleSequence):
    def __init__(self, modules=()):
        super().__init__()
        for module in modules:
            self.append(module)

    def _sliced(self, index):
        return ModuleList(list(self._modules.values())[index])

    def insert(self, index, module):
        """As Sequential's, but returning None, as PyTorch's ModuleList.insert does."""
        super().insert(index, module)

    def __add__(self, other):
        return ModuleList([*self, *other])

    def forward(self, *inputs):
        raise NotImplementedError("ModuleList holds modules but has no forward(); iterate over it instead")

    def __repr__(self):
        """As PyTorch's: a run of children printing alike is one line, "(2-5): 4 x Block(...)"."""
        if not self._modules:
            return self._get_name() + "()"
        runs = []  # [first index, last index, repr]
        for index, module in enumerate(self._modules.values()):
            text = repr(module)
            if runs and runs[-1][2] == text:
                runs[-1][1] = index
            else:
                runs.append([index, index, text])
        lines = [f"({first}): {text}" if first == last else f"({first}-{last}): {last - first + 1} x {text}"
                 for first, last, text in runs]
        return self._get_name() + "(\n  " + "\n  ".join(_addindent(line, 2) for line in lines) + "\n)"


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

    def extra_repr(self):
        return _parameter_lines(enumerate(self), lambda value: value.dtype)


class _NamedContainer(Module):
    """Dict-like access, in insertion order, to the entries of one of the module's registries
    (``_modules`` or ``_parameters``), which are registered as any child or parameter is."""

    registry, kind = None, None

    def __init__(self, entries=None):
        super().__init__()
        if entries is not None:
            self.update(entries)

    def _entries(self):
        return getattr(self, self.registry)

    def __getitem__(self, key):
        if key not in self._entries():
            raise KeyError(f"{type(self).__name__} has no {self.kind} {key!r}; it has {list(self._entries())}")
        return self._entries()[key]

    def __setitem__(self, key, value):
        if not isinstance(key, str):
            raise TypeError(f"{type(self).__name__} keys must be strings (they become state_dict names), "
                            f"got {type(key).__name__}")
        self._register(key, value)

    def __delitem__(self, key):
        del self._entries()[key]

    def __len__(self):
        return len(self._entries())

    def __iter__(self):
        return iter(self._entries())

    def __contains__(self, key):
        return key in self._entries()

    def keys(self):
        return self._entries().keys()

    def values(self):
        return self._entries().values()

    def items(self):
        return self._entries().items()

    def pop(self, key):
        value = self[key]
        del self._entries()[key]
        return value

    def clear(self):
        self._entries().clear()

    def update(self, entries):
        """Add (or replace) entries from a mapping or an iterable of (name, value) pairs."""
        for key, value in (entries.items() if hasattr(entries, "items") else entries):
            self[key] = value

    def forward(self, *inputs):
        raise NotImplementedError(f"{type(self).__name__} holds {self.kind}s but has no forward(); index it by name")


class ModuleDict(_NamedContainer):
    """Children held by name, in insertion order; they are registered, so their parameters belong
    to the parent (``parameters()``, ``state_dict()`` keys "name.weight")."""

    registry, kind = "_modules", "module"

    def __init__(self, modules=None):
        super().__init__(modules)

    def _register(self, key, module):
        self.add_module(key, module)


class ParameterDict(_NamedContainer):
    """Parameters held by name, in insertion order (Tensors are wrapped into Parameters)."""

    registry, kind = "_parameters", "parameter"

    def __init__(self, parameters=None):
        super().__init__(parameters)

    def _register(self, key, value):
        self.register_parameter(key, _as_parameter(value, "ParameterDict"))

    def get(self, key, default=None):
        return self._parameters.get(key, default)

    def setdefault(self, key, default=None):
        """The parameter ``key``, added from ``default`` first where it is missing."""
        if key not in self:
            self[key] = default
        return self[key]

    def popitem(self):
        """The last (name, parameter) added, removed."""
        if not self._parameters:
            raise KeyError("popitem(): ParameterDict is empty")
        key = next(reversed(self._parameters))
        return key, self.pop(key)

    def copy(self):
        """A new ParameterDict holding the same parameters (not copies of them), as PyTorch's."""
        return ParameterDict(self.items())

    def fromkeys(self, keys, default=None):
        """A new ParameterDict with ``keys``, each holding ``default``."""
        return ParameterDict((key, default) for key in keys)

    def extra_repr(self):
        return _parameter_lines(self.items(), typename)


def _as_parameter(value, name):
    """A Parameter as it is; a Tensor wrapped in one, as PyTorch's containers do."""
    if isinstance(value, Parameter):
        return value
    if isinstance(value, Tensor):
        return Parameter(value)
    raise TypeError(f"{name}: expected a Parameter or a Tensor, got {type(value).__name__}")


def _parameter_lines(entries, describe_type):
    """PyTorch's lines for a parameter container's entries: "  (key): Parameter containing: [<type> of
    size 2x3]", the device added where it is not the CPU (the type a dtype for ParameterList, a tensor type
    name for ParameterDict, as PyTorch prints them)."""
    lines = []
    for key, value in entries:
        device = f" ({value.device})" if value.device.type != "cpu" else ""
        size = "x".join(str(size) for size in value.shape)
        lines.append(f"  ({key}): {type(value).__name__} containing: [{describe_type(value)} of size {size}{device}]")
    return "\n".join(lines)
