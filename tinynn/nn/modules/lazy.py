"""Lazy layers (PyTorch's ``LazyLinear``, ``LazyConv2d``, ``LazyBatchNorm2d``...): the input size is
read from the first input instead of being given, so a model can be written without working out
every layer's input size.

Until then the parameters are ``UninitializedParameter``s (empty arrays). The first forward (or
loading a state dict, whose shapes tell the size) builds the ordinary layer for that size, with
its usual initialisation, moves its values into the very same Parameter objects (so an optimizer
made before the first forward updates the real weights) and turns the module into that layer
(``LazyLinear`` becomes ``Linear``).
"""
import warnings


from ..parameter import UninitializedBuffer, UninitializedParameter, is_lazy
from .batchnorm import (BatchNorm1d, BatchNorm2d, BatchNorm3d, InstanceNorm1d, InstanceNorm2d, InstanceNorm3d,
                        _BatchNorm, _InstanceNorm)
from .conv import Conv1d, Conv2d, Conv3d, ConvTranspose1d, ConvTranspose2d, ConvTranspose3d, _ConvTransposeNd
from .layers import Linear
from .module import Module
from ...tensor import Tensor

# What a module keeps of its own when it becomes the ordinary layer: its hooks and mode.
_KEPT = {"_forward_pre_hooks", "_forward_hooks", "_backward_hooks", "training"}


class LazyModuleMixin:
    """What the lazy layers add to the ordinary one they subclass (PyTorch's mixin of that name; ``LazyLinear``
    is a ``Linear``): ``cls_to_become``, the ordinary layer; ``size_attribute``, its setting that the first
    input tells (0 until then, as in PyTorch); ``_build(size)`` makes that layer for an input size;
    ``_size_of_input(x)`` and ``_size_in_state(state, prefix)`` read the size."""

    cls_to_become, size_attribute = None, None

    def __init__(self, arguments, parameters, buffers=(), dtype=None):
        Module.__init__(self)  # (the ordinary layer's __init__ needs the size)
        self._arguments, self._dtype = arguments, dtype
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            settings = vars(self._build(self._smallest_size()))  # the layers refuse 0; its place says 0
        self.__dict__.update({key: value for key, value in settings.items()
                              if not key.startswith("_") and key != "training"})
        setattr(self, self.size_attribute, 0)
        for name, present in parameters:
            self.register_parameter(name, UninitializedParameter(dtype=dtype) if present else None)
        for name, present in buffers:
            self.register_buffer(name, UninitializedBuffer(dtype=dtype) if present else None)

    def has_uninitialized_params(self):
        return any(is_lazy(t) for t in list(self._parameters.values()) + list(self._buffers.values()))

    def reset_parameters(self):
        """Nothing to initialise before the size is known: the first forward builds the initialised layer."""

    def _smallest_size(self):
        return 1

    def _size_of_input(self, x):
        return x.shape[1] if x.ndim > 1 else x.shape[0]

    def _build(self, size):
        return self.cls_to_become(size, **self._arguments)

    def __call__(self, *args, **kwargs):
        if not args or not isinstance(args[0], Tensor):
            raise TypeError(f"{type(self).__name__}: expected a tinynn.Tensor as the first input, "
                            f"got {type(args[0]).__name__ if args else 'nothing'}")
        self.materialize(self._size_of_input(args[0]), args[0].device)
        return Module.__call__(self, *args, **kwargs)  # self is the ordinary layer by now

    def materialize(self, size, device=None):
        """Become ``cls_to_become`` for an input of ``size`` features or channels, on ``device``."""
        ordinary = self._build(size)
        if self._dtype is not None:
            ordinary = ordinary.to(dtype=self._dtype)
        ordinary = ordinary.to(device)
        for registry in ("_parameters", "_buffers"):
            own, built = getattr(self, registry), getattr(ordinary, registry)
            for name, value in built.items():
                if own.get(name) is not None and value is not None:
                    own[name].data = value._array  # the same object: optimizers already hold it
                    if is_lazy(own[name]):
                        own[name].__class__ = own[name].cls_to_become
                    built[name] = own[name]
        self.__dict__.update({key: value for key, value in ordinary.__dict__.items() if key not in _KEPT})
        del self._arguments, self._dtype
        self.__class__ = self.cls_to_become

    def materialize_from_state(self, state, prefix):
        """Called by ``load_state_dict`` before loading: the sizes in the state decide the layer's."""
        size = self._size_in_state(state, prefix)
        if size is not None:
            self.materialize(size)


class LazyLinear(LazyModuleMixin, Linear):
    """Linear(in_features read from the input's last axis, out_features, bias)."""

    cls_to_become, size_attribute = Linear, "in_features"

    def __init__(self, out_features, bias=True, device=None, dtype=None):
        super().__init__(dict(out_features=out_features, bias=bias), [("weight", True), ("bias", bias)], dtype=dtype)

    def _size_of_input(self, x):
        return x.shape[-1]

    def _size_in_state(self, state, prefix):
        weight = state.get(prefix + "weight")
        return None if weight is None else weight.shape[1]


class _LazyConvXdMixin(LazyModuleMixin):
    size_attribute = "in_channels"

    def _smallest_size(self):
        return self._arguments.get("groups", 1)  # (channels divide into the groups)

    def __init__(self, out_channels, kernel_size, stride=1, padding=0, *options, bias=True, device=None, dtype=None,
                 **settings):
        transposed = issubclass(self.cls_to_become, _ConvTransposeNd)
        names = ("output_padding", "groups", "bias", "dilation") if transposed else ("dilation", "groups", "bias",
                                                                                           "padding_mode")
        settings.update(zip(names, options))
        settings.setdefault("bias", bias)
        super().__init__(dict(out_channels=out_channels, kernel_size=kernel_size, stride=stride, padding=padding,
                              **settings), [("weight", True), ("bias", settings["bias"])], dtype=dtype)

    def _size_in_state(self, state, prefix):
        weight = state.get(prefix + "weight")
        if weight is None:
            return None
        transposed = issubclass(self.cls_to_become, _ConvTransposeNd)
        return weight.shape[0] if transposed else weight.shape[1] * self._arguments.get("groups", 1)


class LazyConv1d(_LazyConvXdMixin, Conv1d):
    cls_to_become = Conv1d


class LazyConv2d(_LazyConvXdMixin, Conv2d):
    cls_to_become = Conv2d


class LazyConv3d(_LazyConvXdMixin, Conv3d):
    cls_to_become = Conv3d


class LazyConvTranspose1d(_LazyConvXdMixin, ConvTranspose1d):
    cls_to_become = ConvTranspose1d


class LazyConvTranspose2d(_LazyConvXdMixin, ConvTranspose2d):
    cls_to_become = ConvTranspose2d


class LazyConvTranspose3d(_LazyConvXdMixin, ConvTranspose3d):
    cls_to_become = ConvTranspose3d


class _LazyNormBase(LazyModuleMixin):
    size_attribute, default_affine, default_tracking = "num_features", True, True

    def __init__(self, eps=1e-5, momentum=0.1, affine=None, track_running_stats=None, device=None, dtype=None, *,
                 bias=True):
        affine = self.default_affine if affine is None else affine
        tracking = self.default_tracking if track_running_stats is None else track_running_stats
        super().__init__(dict(eps=eps, momentum=momentum, affine=affine, track_running_stats=tracking, bias=bias),
                         [("weight", affine), ("bias", affine and bias)],
                         [("running_mean", tracking), ("running_var", tracking)], dtype=dtype)

    def _size_in_state(self, state, prefix):
        for name in ("weight", "running_mean"):
            if prefix + name in state:
                return state[prefix + name].shape[0]
        return None


class LazyBatchNorm1d(_LazyNormBase, _BatchNorm):
    cls_to_become = BatchNorm1d


class LazyBatchNorm2d(_LazyNormBase, _BatchNorm):
    cls_to_become = BatchNorm2d


class LazyBatchNorm3d(_LazyNormBase, _BatchNorm):
    cls_to_become = BatchNorm3d


class _LazyInstanceNorm(_LazyNormBase):
    # affine and tracking by default, as PyTorch's lazy classes (unlike InstanceNorm's own defaults)

    def _size_of_input(self, x):
        unbatched = x.ndim == self.cls_to_become.expected_ranks[0]
        return x.shape[0] if unbatched else x.shape[1]


class LazyInstanceNorm1d(_LazyInstanceNorm, _InstanceNorm):
    cls_to_become = InstanceNorm1d


class LazyInstanceNorm2d(_LazyInstanceNorm, _InstanceNorm):
    cls_to_become = InstanceNorm2d


class LazyInstanceNorm3d(_LazyInstanceNorm, _InstanceNorm):
    cls_to_become = InstanceNorm3d


__all__ = ["LazyModuleMixin", "UninitializedParameter", "UninitializedBuffer", "LazyLinear", "LazyConv1d", "LazyConv2d", "LazyConv3d",
           "LazyConvTranspose1d", "LazyConvTranspose2d", "LazyConvTranspose3d", "LazyBatchNorm1d", "LazyBatchNorm2d",
           "LazyBatchNorm3d", "LazyInstanceNorm1d", "LazyInstanceNorm2d", "LazyInstanceNorm3d"]
