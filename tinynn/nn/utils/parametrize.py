"""Parametrizations (PyTorch's ``nn.utils.parametrize``): a tensor of a module computed, at every
access, from unconstrained ones by a module of your own (``parametrization(original)``): a
symmetric matrix from any matrix, a positive weight from its logarithm, a weight of norm one...

``register_parametrization(module, "weight", P)`` moves ``module.weight`` into
``module.parametrizations.weight.original`` (the learned one; or ``original0``, ``original1``...
when ``P.right_inverse`` splits it, as weight normalization does) and from then on
``module.weight`` is ``P(original)``: recorded ops, so the gradient reaches the original through
autograd. Several parametrizations of one tensor apply in the order they were registered.
Assigning ``module.weight = value`` stores ``right_inverse(value)`` in the original. The state-dict
keys are PyTorch's (``parametrizations.weight.original``, ``parametrizations.weight.0._u``...).
Inside ``with cached():`` each parametrized tensor is computed once, at its first access, and that
value serves every later access until the block ends (a weight used at every step of a loop).
"""
import contextlib

from ...autograd import no_grad
from ...tensor import Tensor
from ..modules.container import ModuleDict, ModuleList
from ..parameter import Parameter


class ParametrizationList(ModuleList):
    """The parametrizations of one tensor and its originals; calling it computes the tensor."""

    def __init__(self, modules, original, unsafe=False):
        super().__init__(modules)
        self.unsafe = unsafe
        with no_grad():
            new = original
            for module in reversed(list(self)):
                if hasattr(module, "right_inverse"):
                    try:
                        new = module.right_inverse(new)
                    except NotImplementedError:  # as PyTorch: a right inverse that cannot be is the identity here
                        pass
        self.is_tensor = isinstance(new, Tensor)
        originals = [new] if self.is_tensor else list(new)
        if self.is_tensor and new is not original:
            original.data = new._array  # the same object stays the original (an optimizer may hold it)
            originals = [original]
        for position, value in enumerate(originals):
            name = "original" if self.is_tensor else f"original{position}"
            if isinstance(original, Parameter):
                value = value if isinstance(value, Parameter) else Parameter(value.detach(), original.requires_grad)
                self.register_parameter(name, value)
            else:
                self.register_buffer(name, value if value is original else value.detach())
        self.ntensors = len(originals)
        if not unsafe:
            computed = self()
            if tuple(computed.shape) != tuple(original.shape) or computed.dtype != original.dtype:
                raise ValueError(f"register_parametrization: the parametrization changes the tensor from {tuple(original.shape)} "
                                 f"{original.dtype} to {tuple(computed.shape)} {computed.dtype}; pass unsafe=True to allow it")

    def _originals(self):
        return [getattr(self, "original" if self.is_tensor else f"original{i}") for i in range(self.ntensors)]

    def value(self):
        """The tensor: ``self()``, or inside ``cached()`` the value its first access there computed."""
        if not _cache_depth[0]:
            return self()
        if id(self) not in _cache:
            _cache[id(self)] = self()
        return _cache[id(self)]

    def forward(self):
        modules = list(self)
        value = modules[0](*self._originals())
        for module in modules[1:]:
            value = module(value)
        return value

    def right_inverse(self, value):
        """Store ``value`` as the tensor: the originals become the right inverses' results."""
        with no_grad():
            for module in reversed(list(self)):
                if not hasattr(module, "right_inverse"):
                    raise RuntimeError(f"parametrization {type(module).__name__} does not implement right_inverse")
                value = module.right_inverse(value)
            values = [value] if self.is_tensor else list(value)
            for original, new in zip(self._originals(), values):
                original._array[...] = new._array


_cache, _cache_depth = {}, [0]  # id(ParametrizationList) -> its value, while cached() blocks are open


@contextlib.contextmanager
def cached():
    """Within the block, each parametrized tensor is computed once and reused (nestable; the values are
    dropped when the outermost block ends). The reused value is one tensor of the graph, so the gradient
    of every use reaches the original, summed."""
    _cache_depth[0] += 1
    try:
        yield
    finally:
        _cache_depth[0] -= 1
        if not _cache_depth[0]:
            _cache.clear()


def register_parametrization(module, tensor_name, parametrization, *, unsafe=False):
    """``module.<tensor_name>`` becomes ``parametrization(original)`` (see the module docstring);
    returns the module."""
    if is_parametrized(module, tensor_name):
        parametrizations = module.parametrizations[tensor_name]
        parametrizations.append(parametrization)
        return module
    original = module._parameters.get(tensor_name)
    if original is None:
        original = module._buffers.get(tensor_name)
    if original is None:
        raise ValueError(f"register_parametrization: {type(module).__name__} has no parameter or buffer '{tensor_name}'")
    parametrizations = ParametrizationList([parametrization], original, unsafe)
    delattr(module, tensor_name)
    if "parametrizations" not in module._modules:
        module.parametrizations = ModuleDict()
    module.parametrizations[tensor_name] = parametrizations
    return module


def is_parametrized(module, tensor_name=None):
    parametrizations = module._modules.get("parametrizations")
    if parametrizations is None:
        return False
    return tensor_name is None or tensor_name in parametrizations._modules


def remove_parametrizations(module, tensor_name, leave_parametrized=True):
    """Make ``module.<tensor_name>`` an ordinary parameter again: its current value, or with
    ``leave_parametrized=False`` the original (which must then be one tensor)."""
    if not is_parametrized(module, tensor_name):
        raise ValueError(f"remove_parametrizations: {type(module).__name__} has no parametrization on '{tensor_name}'")
    parametrizations = module.parametrizations[tensor_name]
    if leave_parametrized:
        with no_grad():
            value = parametrizations()
    elif parametrizations.is_tensor:
        value = parametrizations.original
    else:
        raise ValueError("remove_parametrizations: leave_parametrized=False needs a parametrization with one original tensor")
    del module.parametrizations._modules[tensor_name]
    if not module.parametrizations._modules:
        del module._modules["parametrizations"]
    module.register_parameter(tensor_name, value if isinstance(value, Parameter) else Parameter(value.detach()))
    return module


def type_before_parametrizations(module):
    """The module's class as it was before any parametrization: its own class, since tinynn parametrizes
    a module without changing its class (PyTorch makes a subclass, ParametrizedLinear, and this undoes it)."""
    return type(module)


def transfer_parametrizations_and_params(from_module, to_module, tensor_name=None):
    """Give ``to_module`` the parametrizations of ``from_module`` (of ``tensor_name``, else of all its
    parametrized tensors), the very same parametrization modules, and originals that are views of
    ``from_module``'s (``set_``: they share memory), as PyTorch's; a tensor ``to_module`` lacks is made
    first. Returns ``to_module``; nothing happens when ``from_module`` has no parametrizations."""
    if not is_parametrized(from_module):
        return to_module
    names = list(from_module.parametrizations._modules) if tensor_name is None else [tensor_name]
    for name in names:
        source = from_module.parametrizations[name]
        if not hasattr(to_module, name):
            with no_grad():
                setattr(to_module, name, Parameter(getattr(from_module, name).detach().clone()))
        for parametrization in source:
            register_parametrization(to_module, name, parametrization)
        with no_grad():
            for original, given in zip(to_module.parametrizations[name]._originals(), source._originals()):
                original.set_(given)
    return to_module
