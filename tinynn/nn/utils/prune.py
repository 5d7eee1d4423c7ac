"""Pruning (PyTorch's ``torch.nn.utils.prune``): zeroing a share of a layer's weights, by magnitude or
at random, element by element (unstructured) or whole channels at once (structured), through a mask.

Pruning ``module.weight`` reparametrizes it: the Parameter becomes ``weight_orig``, a buffer
``weight_mask`` of ones and zeros joins it, and ``weight`` becomes a plain tensor recomputed as
``weight_orig * weight_mask`` before every forward (a forward pre-hook, the pruning method itself).
Gradients reach ``weight_orig`` only where the mask is 1, so pruned weights stay pruned while training.
Pruning again combines the masks (a ``PruningContainer``): the new method chooses among the entries,
or channels, still unpruned. ``remove(module, "weight")`` makes the pruning permanent: ``weight`` is
a Parameter again, holding the masked values. State dicts carry ``weight_orig`` and ``weight_mask``,
as PyTorch's, so pruned checkpoints move between the two.

    prune.l1_unstructured(layer, "weight", amount=0.3)          # the 30% smallest |w| set to 0
    prune.ln_structured(conv, "weight", amount=2, n=2, dim=0)   # the 2 output channels of least L2 norm
    prune.global_unstructured([(l1, "weight"), (l2, "weight")], pruning_method=prune.L1Unstructured, amount=0.5)

``amount``: a share in [0, 1] (of the entries, or of the channels along ``dim``), or a count.
"""
import numbers

import numpy as np

from ... import backend
from ...autograd import no_grad
from ...tensor import Tensor, rand
from .convert_parameters import parameters_to_vector


class BasePruningMethod:
    """A way of choosing a mask; ``compute_mask(t, default_mask)`` is the choice (``t``: the importance
    scores, the weights themselves by default; ``default_mask``: what earlier pruning left)."""

    PRUNING_TYPE = None
    _tensor_name = None

    def __call__(self, module, inputs):
        setattr(module, self._tensor_name, self.apply_mask(module))

    def compute_mask(self, t, default_mask):
        raise NotImplementedError(f"{type(self).__name__} does not say which entries to prune (compute_mask)")

    def apply_mask(self, module):
        """weight_orig * weight_mask: the pruned tensor (differentiable in weight_orig)."""
        orig = getattr(module, self._tensor_name + "_orig")
        mask = getattr(module, self._tensor_name + "_mask")
        return mask.to(dtype=orig.dtype) * orig

    @classmethod
    def apply(cls, module, name, *args, importance_scores=None, **kwargs):
        """Prune ``module.<name>`` with a new method ``cls(*args, **kwargs)`` (combined with the
        pruning already there); returns the method, now the module's forward pre-hook."""
        method, previous = cls._composite(module, name, *args, **kwargs)
        orig = getattr(module, name)
        if importance_scores is not None and tuple(importance_scores.shape) != tuple(orig.shape):
            raise ValueError(f"prune: importance_scores of shape {tuple(importance_scores.shape)} should match the "
                             f"shape {tuple(orig.shape)} of {name}")
        scores = orig if importance_scores is None else importance_scores
        if previous is None:
            module.register_parameter(name + "_orig", orig)
            del module._parameters[name]
            default_mask = _ones_like(orig)
        else:
            default_mask = getattr(module, name + "_mask").detach().clone()
        try:
            with no_grad():
                mask = method.compute_mask(scores.detach(), default_mask=default_mask)
            module.register_buffer(name + "_mask", mask)
            setattr(module, name, method.apply_mask(module))
            module.register_forward_pre_hook(method)
        except Exception:
            if previous is None:  # put the Parameter back as it was
                module.register_parameter(name, module._parameters.pop(name + "_orig"))
            else:
                module.register_forward_pre_hook(previous)
            raise
        return method

    @classmethod
    def _composite(cls, module, name, *args, **kwargs):
        """The new method, in a PruningContainer with the module's earlier pruning of ``name`` (whose
        hook is taken off), and that earlier method (None if there was none)."""
        previous = [(key, hook) for key, hook in module._forward_pre_hooks.items()
                    if isinstance(hook, BasePruningMethod) and hook._tensor_name == name]
        if len(previous) > 1:
            raise RuntimeError(f"prune: {name} of {type(module).__name__} has {len(previous)} pruning hooks, expected one")
        method = cls(*args, **kwargs)
        method._tensor_name = name
        if not previous:
            return method, None
        key, old = previous[0]
        del module._forward_pre_hooks[key]
        container = old if isinstance(old, PruningContainer) else PruningContainer(old)
        container.add_pruning_method(method)
        return container, old

    def prune(self, t, default_mask=None, importance_scores=None):
        """``t`` with this method's mask applied (the tensor alone, no module)."""
        scores = t if importance_scores is None else importance_scores
        default_mask = _ones_like(t) if default_mask is None else default_mask
        with no_grad():
            mask = self.compute_mask(scores, default_mask=default_mask)
        return t * mask.to(dtype=t.dtype)

    def remove(self, module):
        """Make the pruning permanent: ``<name>`` a Parameter again (the masked values), no mask."""
        if self._tensor_name is None:
            raise ValueError("prune: this pruning method has not been applied to a tensor")
        weight = self.apply_mask(module)
        if self._tensor_name in module.__dict__:
            delattr(module, self._tensor_name)
        orig = module._parameters.pop(self._tensor_name + "_orig")
        orig.data = weight._array
        del module._buffers[self._tensor_name + "_mask"]
        setattr(module, self._tensor_name, orig)


class PruningContainer(BasePruningMethod):
    """Pruning methods applied one after the other to one tensor: each later one chooses among what
    the earlier ones left (entries, channels, or everything for a global mask)."""

    def __init__(self, *methods):
        self._pruning_methods = ()
        for method in methods:
            self.add_pruning_method(method)

    def add_pruning_method(self, method):
        if not isinstance(method, BasePruningMethod) and method is not None:
            raise TypeError(f"PruningContainer: {type(method).__name__} is not a pruning method")
        if method is not None and self._tensor_name is None:
            self._tensor_name = method._tensor_name
        elif method is not None and method._tensor_name != self._tensor_name:
            raise ValueError(f"PruningContainer: can only add methods that prune '{self._tensor_name}', "
                             f"got one for '{method._tensor_name}'")
        self._pruning_methods += (method,)

    def __len__(self):
        return len(self._pruning_methods)

    def __iter__(self):
        return iter(self._pruning_methods)

    def __getitem__(self, index):
        return self._pruning_methods[index]

    def compute_mask(self, t, default_mask):
        """The last method's choice, made on the part of ``t`` the mask so far keeps."""
        method = self._pruning_methods[-1]
        mask = default_mask._array.astype(t.dtype, copy=True)
        if method.PRUNING_TYPE == "unstructured":
            kept = mask == 1
        elif method.PRUNING_TYPE == "structured":
            dim = method.dim % t.ndim
            kept = (slice(None),) * dim + ((mask != 0).any(axis=tuple(d for d in range(t.ndim) if d != dim)),)
        elif method.PRUNING_TYPE == "global":
            kept = (slice(None),) * t.ndim
        else:
            raise ValueError(f"PruningContainer: unknown PRUNING_TYPE {method.PRUNING_TYPE!r} of {type(method).__name__}")
        partial = method.compute_mask(Tensor._from_op(t._array[kept], False),
                                      default_mask=Tensor._from_op(mask[kept], False))
        mask[kept] = partial._array
        return Tensor._from_op(mask, False)


class Identity(BasePruningMethod):
    """Prunes nothing (a mask of ones): the reparametrization alone."""

    PRUNING_TYPE = "unstructured"

    def compute_mask(self, t, default_mask):
        return default_mask

    @classmethod
    def apply(cls, module, name):
        return super().apply(module, name)


class RandomUnstructured(BasePruningMethod):
    """``amount`` of the entries, chosen at random (tinynn's generator)."""

    PRUNING_TYPE = "unstructured"

    def __init__(self, amount):
        _check_amount(amount)
        self.amount = amount

    def compute_mask(self, t, default_mask):
        count = _count_to_prune(self.amount, t.numel())
        return _zeroed(default_mask, rand(t.numel(), dtype=np.float64, device=t.device).topk(count)[1] if count else None)

    @classmethod
    def apply(cls, module, name, amount):
        return super().apply(module, name, amount=amount)


class L1Unstructured(BasePruningMethod):
    """The ``amount`` of entries of least absolute value (of the importance scores)."""

    PRUNING_TYPE = "unstructured"

    def __init__(self, amount):
        _check_amount(amount)
        self.amount = amount

    def compute_mask(self, t, default_mask):
        count = _count_to_prune(self.amount, t.numel())
        return _zeroed(default_mask, t.abs().reshape(-1).topk(count, largest=False)[1] if count else None)

    @classmethod
    def apply(cls, module, name, amount, importance_scores=None):
        return super().apply(module, name, amount=amount, importance_scores=importance_scores)


class RandomStructured(BasePruningMethod):
    """``amount`` of the channels along ``dim`` (whole slices), chosen at random."""

    PRUNING_TYPE = "structured"

    def __init__(self, amount, dim=-1):
        _check_amount(amount)
        self.amount, self.dim = amount, dim

    def compute_mask(self, t, default_mask):
        dim = _structured_dim(t, self.dim)
        count = _count_to_prune(self.amount, t.shape[dim])
        if not count:
            return default_mask
        scores = rand(t.shape[dim], dtype=np.float64, device=t.device)
        return _channel_mask(t, dim, scores.topk(t.shape[dim] - count)[1]) * default_mask.to(dtype=t.dtype)

    @classmethod
    def apply(cls, module, name, amount, dim=-1):
        return super().apply(module, name, amount=amount, dim=dim)


class LnStructured(BasePruningMethod):
    """The ``amount`` of channels along ``dim`` of least L``n`` norm (n: a number, inf, -inf, "fro", "nuc")."""

    PRUNING_TYPE = "structured"

    def __init__(self, amount, n, dim=-1):
        _check_amount(amount)
        self.amount, self.n, self.dim = amount, n, dim

    def compute_mask(self, t, default_mask):
        dim = _structured_dim(t, self.dim)
        count = _count_to_prune(self.amount, t.shape[dim])
        if not count:
            return default_mask
        others = tuple(d for d in range(t.ndim) if d != dim)
        order = 2 if self.n == "fro" else self.n
        magnitude = t.abs()
        if order == float("inf"):
            norms = magnitude.amax(others)
        elif order == float("-inf"):
            norms = magnitude.amin(others)
        else:
            norms = (magnitude ** order).sum(others) ** (1.0 / order)
        return _channel_mask(t, dim, norms.topk(t.shape[dim] - count)[1]) * default_mask.to(dtype=t.dtype)

    @classmethod
    def apply(cls, module, name, amount, n, dim, importance_scores=None):
        return super().apply(module, name, amount=amount, n=n, dim=dim, importance_scores=importance_scores)


class CustomFromMask(BasePruningMethod):
    """A mask of your own (ones to keep), combined with what earlier pruning left."""

    PRUNING_TYPE = "global"

    def __init__(self, mask):
        self.mask = mask

    def compute_mask(self, t, default_mask):
        if tuple(default_mask.shape) != tuple(self.mask.shape):
            raise ValueError(f"prune: the mask of shape {tuple(self.mask.shape)} should match the tensor's "
                             f"{tuple(default_mask.shape)}")
        return default_mask * self.mask.to(dtype=default_mask.dtype)

    @classmethod
    def apply(cls, module, name, mask):
        return super().apply(module, name, mask=mask)


def identity(module, name):
    Identity.apply(module, name)
    return module


def random_unstructured(module, name, amount):
    RandomUnstructured.apply(module, name, amount)
    return module


def l1_unstructured(module, name, amount, importance_scores=None):
    L1Unstructured.apply(module, name, amount=amount, importance_scores=importance_scores)
    return module


def random_structured(module, name, amount, dim):
    RandomStructured.apply(module, name, amount, dim)
    return module


def ln_structured(module, name, amount, n, dim, importance_scores=None):
    LnStructured.apply(module, name, amount, n, dim, importance_scores=importance_scores)
    return module


def custom_from_mask(module, name, mask):
    CustomFromMask.apply(module, name, mask)
    return module


def global_unstructured(parameters, pruning_method, importance_scores=None, **kwargs):
    """Prune several tensors as one: ``pruning_method(**kwargs)`` (unstructured) chooses among all
    their entries together (the 20% smallest weights of the whole network, say), each tensor then
    masked with its part."""
    parameters = list(parameters)
    importance_scores = importance_scores or {}
    scores = parameters_to_vector([importance_scores.get((module, name), getattr(module, name))
                                   for module, name in parameters]).detach()
    default_mask = parameters_to_vector([getattr(module, name + "_mask", None) if hasattr(module, name + "_mask")
                                         else _ones_like(getattr(module, name)) for module, name in parameters])
    method = pruning_method(**kwargs)
    method._tensor_name = "temp"
    if method.PRUNING_TYPE != "unstructured":
        raise TypeError(f"global_unstructured: only unstructured pruning methods apply across tensors, got "
                        f"{pruning_method.__name__} ({method.PRUNING_TYPE})")
    container = PruningContainer(method)
    with no_grad():
        final_mask = container.compute_mask(scores, default_mask.detach())
    start = 0
    for module, name in parameters:
        param = getattr(module, name)
        custom_from_mask(module, name, mask=final_mask[start:start + param.numel()].reshape(param.shape))
        start += param.numel()


def remove(module, name):
    """Make the pruning of ``module.<name>`` permanent (see the module docstring)."""
    for key, hook in list(module._forward_pre_hooks.items()):
        if isinstance(hook, BasePruningMethod) and hook._tensor_name == name:
            hook.remove(module)
            del module._forward_pre_hooks[key]
            return module
    raise ValueError(f"prune.remove: parameter '{name}' of module {type(module).__name__} has to be pruned before "
                     "pruning can be removed")


def is_pruned(module):
    """Whether any module in ``module`` carries a pruning hook."""
    return any(isinstance(hook, BasePruningMethod) for sub in module.modules() for hook in sub._forward_pre_hooks.values())


def _ones_like(t):
    return Tensor._from_op(backend.get_array_module(t._array).ones(t.shape, dtype=t.dtype), False)


def _zeroed(default_mask, flat_indices):
    """A copy of the mask with the entries at ``flat_indices`` (a Tensor, or None for none) set to 0."""
    mask = default_mask._array.copy()
    if flat_indices is not None:
        mask.reshape(-1)[flat_indices._array] = 0
    return Tensor._from_op(mask, False)


def _check_amount(amount):
    if isinstance(amount, bool) or not isinstance(amount, numbers.Real):
        raise TypeError(f"prune: invalid type for amount: {amount!r}; must be an int or a float")
    if (isinstance(amount, numbers.Integral) and amount < 0) or (not isinstance(amount, numbers.Integral)
                                                                 and not 0.0 <= amount <= 1.0):
        raise ValueError(f"prune: amount={amount} should be a float in [0, 1] (a share) or a non-negative int (a count)")


def _count_to_prune(amount, size):
    """How many of ``size`` to prune: the count itself, or the share rounded (as PyTorch)."""
    count = int(amount) if isinstance(amount, numbers.Integral) else round(amount * size)
    if count > size:
        raise ValueError(f"prune: amount={amount} should be smaller than the number of parameters to prune={size}")
    return count


def _structured_dim(t, dim):
    if t.ndim < 2:
        raise ValueError(f"prune: structured pruning needs a tensor of at least 2 dimensions, got shape {tuple(t.shape)}")
    if not -t.ndim <= dim < t.ndim:
        raise IndexError(f"prune: invalid dim {dim} for a tensor of {t.ndim} dimensions")
    return dim % t.ndim


def _channel_mask(t, dim, kept):
    """Ones on the channels ``kept`` along ``dim``, zeros elsewhere."""
    xp = backend.get_array_module(t._array)
    mask = xp.zeros(t.shape, dtype=t.dtype)
    mask[(slice(None),) * dim + (kept._array,)] = 1
    return Tensor._from_op(mask, False)
