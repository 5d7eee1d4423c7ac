"""Parameter-free layers and ``Linear``: thin Modules over nn.functional."""
import math
import warnings

from ...errors import InputError
from ... import backend
from ...size import as_int
from .. import functional as F, init
from ..functional.layer_norm import channel_window_sums
from ..functional.validation import check_tensor, ntuple
from ..parameter import Parameter
from .module import Module
from ...tensor import full, zeros


class _WeightAndBias(Module):
    """A layer with a ``weight`` of ``weight_shape`` and, with ``bias``, a bias of its first size,
    sized by int ``features`` of at least ``SMALLEST`` (kept as attributes under their names)."""

    SMALLEST = 1

    def __init__(self, features, weight_shape, bias, device, dtype):
        super().__init__()
        for what, value in features.items():
            value = as_int(value)
            if not isinstance(value, int) or value < self.SMALLEST:
                kind = "positive" if self.SMALLEST else "non-negative"
                raise InputError(f"{type(self).__name__}: {what} must be a {kind} int, got {value!r}")
            setattr(self, what, value)
        self.weight = Parameter(zeros(*weight_shape, dtype=dtype))
        if bias:
            self.bias = Parameter(zeros(weight_shape[0], dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()
        self.to(backend.canonical_device(device))  # (None: the default device)

    def extra_repr(self):
        sizes = ", ".join(f"{name}={getattr(self, name)}" for name in self.FEATURES)
        return f"{sizes}, bias={self.bias is not None}"


class Linear(_WeightAndBias):
    """y = x @ W^T + b, W (out_features, in_features); PyTorch's initialisation (U(+-1/sqrt(in))).
    Either size may be 0, as PyTorch's (a layer of no inputs gives its bias, which is then 0)."""

    FEATURES = ("in_features", "out_features")
    SMALLEST = 0

    def __init__(self, in_features, out_features, bias=True, device=None, dtype=None):
        super().__init__(dict(in_features=in_features, out_features=out_features), (out_features, in_features), bias,
                         device, dtype)

    def reset_parameters(self):
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            bound = 1 / math.sqrt(self.in_features) if self.in_features else 0.0
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input):
        return F.linear(input, self.weight, self.bias, name=f"Linear({self.in_features}, {self.out_features})")


class NonDynamicallyQuantizableLinear(Linear):
    """``Linear`` under the name PyTorch gives attention's output projection (its quantization tools leave
    layers of this type alone): the same layer, so a printed transformer reads as PyTorch's."""


class Bilinear(_WeightAndBias):
    """y = x1^T W x2 + b, W (out_features, in1_features, in2_features); PyTorch's initialisation
    (weight and bias from U(+-1/sqrt(in1_features)))."""

    FEATURES = ("in1_features", "in2_features", "out_features")

    def __init__(self, in1_features, in2_features, out_features, bias=True, device=None, dtype=None):
        super().__init__(dict(in1_features=in1_features, in2_features=in2_features, out_features=out_features),
                         (out_features, in1_features, in2_features), bias, device, dtype)

    def reset_parameters(self):
        bound = 1 / math.sqrt(self.in1_features)
        init.uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input1, input2):
        return F.bilinear(input1, input2, self.weight, self.bias,
                          name=f"Bilinear({self.in1_features}, {self.in2_features}, {self.out_features})")


class _InPlaceActivation(Module):
    """An activation that, with ``inplace=True``, writes its result into its input's memory (saving
    the memory of one activation; recorded by autograd, see tinynn/autograd/in_place.py)."""

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace

    def _inplace_repr(self, leading=""):
        """PyTorch's repr: the settings, then ", inplace=True" only when set."""
        if not self.inplace:
            return leading
        return f"{leading}, inplace=True" if leading else "inplace=True"

    def extra_repr(self):
        return self._inplace_repr()


class ReLU(_InPlaceActivation):
    def forward(self, input):
        return F.relu(input, self.inplace)


class LeakyReLU(_InPlaceActivation):
    def __init__(self, negative_slope=0.01, inplace=False):
        super().__init__(inplace)
        self.negative_slope = negative_slope

    def forward(self, input):
        return F.leaky_relu(input, self.negative_slope, self.inplace)

    def extra_repr(self):
        return self._inplace_repr(f"negative_slope={self.negative_slope}")


class Sigmoid(Module):
    def forward(self, input):
        return F.sigmoid(input)


class Tanh(Module):
    def forward(self, input):
        return F.tanh(input)


class SiLU(_InPlaceActivation):
    def forward(self, input):
        return F.silu(input, self.inplace)


class GELU(Module):
    """x * Phi(x), Phi the standard normal CDF; approximate="tanh" uses the tanh approximation."""

    def __init__(self, approximate="none"):
        super().__init__()
        if approximate not in ("none", "tanh"):
            raise InputError(f"GELU: approximate must be 'none' or 'tanh', got {approximate!r}")
        self.approximate = approximate

    def forward(self, input):
        return F.gelu(input, self.approximate)

    def extra_repr(self):
        return f"approximate={self.approximate!r}"


class Hardtanh(_InPlaceActivation):
    def __init__(self, min_val=-1.0, max_val=1.0, inplace=False, min_value=None, max_value=None):
        super().__init__(inplace)
        if min_value is not None or max_value is not None:  # PyTorch's old names, with its warning
            warnings.warn("Hardtanh: min_value and max_value are deprecated; use min_val and max_val",
                          DeprecationWarning, stacklevel=2)
            min_val = min_val if min_value is None else min_value
            max_val = max_val if max_value is None else max_value
        if min_val > max_val:
            raise InputError(f"Hardtanh: min_val ({min_val}) must not exceed max_val ({max_val})")
        self.min_val, self.max_val = min_val, max_val

    def forward(self, input):
        return F.hardtanh(input, self.min_val, self.max_val, self.inplace)

    def extra_repr(self):
        return self._inplace_repr(f"min_val={self.min_val}, max_val={self.max_val}")


class ReLU6(Hardtanh):
    """Hardtanh from 0 to 6 (a subclass of it, as in PyTorch)."""

    def __init__(self, inplace=False):
        super().__init__(0.0, 6.0, inplace)

    def forward(self, input):
        return F.relu6(input, self.inplace)

    def extra_repr(self):
        return self._inplace_repr()


class Hardsigmoid(_InPlaceActivation):
    def forward(self, input):
        return F.hardsigmoid(input, self.inplace)

    def extra_repr(self):
        return ""  # PyTorch's repr leaves inplace out for these two


class Hardswish(_InPlaceActivation):
    def forward(self, input):
        return F.hardswish(input, self.inplace)

    extra_repr = Hardsigmoid.extra_repr


class Mish(_InPlaceActivation):
    def forward(self, input):
        return F.mish(input, self.inplace)


class LogSigmoid(Module):
    def forward(self, input):
        return F.logsigmoid(input)


class Softsign(Module):
    def forward(self, input):
        return F.softsign(input)


class PReLU(Module):
    """Leaky ReLU with a learned negative slope: one shared, or one per channel (``num_parameters=C``)."""

    def __init__(self, num_parameters=1, init=0.25, device=None, dtype=None):
        super().__init__()
        if not isinstance(num_parameters, int) or num_parameters <= 0:
            raise InputError(f"PReLU: num_parameters must be a positive int, got {num_parameters!r}")
        self.num_parameters, self.init = num_parameters, init
        self.weight = Parameter(full((num_parameters,), float(init), dtype=dtype))
        self.to(backend.canonical_device(device))  # (None: the default device)

    def reset_parameters(self):
        init.constant_(self.weight, self.init)

    def forward(self, input):
        return F.prelu(input, self.weight)

    def extra_repr(self):
        return f"num_parameters={self.num_parameters}"


class _ScaledExponential(_InPlaceActivation):
    """ELU and CELU: an ``alpha`` (siblings, neither a subclass of the other, as in PyTorch)."""

    def __init__(self, alpha=1.0, inplace=False):
        super().__init__(inplace)
        self.alpha = alpha

    def extra_repr(self):
        return self._inplace_repr(f"alpha={self.alpha}")


class ELU(_ScaledExponential):
    def forward(self, input):
        return F.elu(input, self.alpha, self.inplace)


class Softplus(Module):
    def __init__(self, beta=1.0, threshold=20.0):
        super().__init__()
        self.beta, self.threshold = beta, threshold

    def forward(self, input):
        return F.softplus(input, self.beta, self.threshold)

    def extra_repr(self):
        return f"beta={self.beta}, threshold={self.threshold}"


class SELU(_InPlaceActivation):
    def forward(self, input):
        return F.selu(input, self.inplace)


class CELU(_ScaledExponential):
    def forward(self, input):
        return F.celu(input, self.alpha, self.inplace)


class _AlongDim(Module):
    """A layer acting along one axis, ``dim``."""

    def __init__(self, dim=-1):
        super().__init__()
        self.dim = dim

    def extra_repr(self):
        return f"dim={self.dim}"


class GLU(_AlongDim):
    def forward(self, input):
        return F.glu(input, self.dim)


class Tanhshrink(Module):
    def forward(self, input):
        return F.tanhshrink(input)


class Threshold(_InPlaceActivation):
    def __init__(self, threshold, value, inplace=False):
        super().__init__(inplace)
        self.threshold, self.value = threshold, value

    def forward(self, input):
        return F.threshold(input, self.threshold, self.value, self.inplace)

    def extra_repr(self):
        return self._inplace_repr(f"threshold={self.threshold}, value={self.value}")


class _Shrink(Module):
    """Hardshrink and Softshrink: a threshold ``lambd`` (siblings, as in PyTorch)."""

    def __init__(self, lambd=0.5):
        super().__init__()
        self.lambd = lambd

    def extra_repr(self):
        return f"{self.lambd}"


class Hardshrink(_Shrink):
    def forward(self, input):
        return F.hardshrink(input, self.lambd)


class Softshrink(_Shrink):
    def forward(self, input):
        return F.softshrink(input, self.lambd)


class _AlongImplicitDim(_AlongDim):
    """The softmax family's ``dim=None``: PyTorch's old implicit choice, with its warning (F.softmax)."""

    def __init__(self, dim=None):
        super().__init__(dim)


class LogSoftmax(_AlongImplicitDim):
    def forward(self, input):
        return F.log_softmax(input, self.dim)


class Softmax(_AlongImplicitDim):
    def forward(self, input):
        return F.softmax(input, self.dim)


class Softmin(_AlongImplicitDim):
    def forward(self, input):
        return F.softmin(input, self.dim)


class _DropoutNd(Module):
    """The dropouts: a probability ``p`` and ``inplace``; ``function`` is the functional form."""

    function = None

    def __init__(self, p=0.5, inplace=False):
        super().__init__()
        if not 0 <= p <= 1:
            raise InputError(f"{type(self).__name__}: probability p must be in [0, 1], got {p}")
        self.p, self.inplace = p, inplace

    def forward(self, input):
        return self.function(input, self.p, self.training, self.inplace, name=f"{type(self).__name__}(p={self.p})")

    def extra_repr(self):
        return f"p={self.p}, inplace={self.inplace}"


class Dropout(_DropoutNd):
    """Zeroes each element with probability p in training mode (scaling the rest by 1/(1-p))."""

    function = staticmethod(F.dropout)


class Dropout1d(_DropoutNd):
    """Zeroes whole channels of (N, C, L) input, each with probability p, in training mode."""

    function = staticmethod(F.dropout1d)


class Dropout2d(_DropoutNd):
    """Zeroes whole channels of (N, C, H, W) input, each with probability p, in training mode."""

    function = staticmethod(F.dropout2d)


class Dropout3d(_DropoutNd):
    """Zeroes whole channels of (N, C, D, H, W) input, each with probability p, in training mode."""

    function = staticmethod(F.dropout3d)


class AlphaDropout(_DropoutNd):
    """Dropout that keeps a SELU network's activations at mean 0, variance 1 (see ``F.alpha_dropout``)."""

    function = staticmethod(F.alpha_dropout)


class FeatureAlphaDropout(_DropoutNd):
    """``AlphaDropout`` of whole channels."""

    function = staticmethod(F.feature_alpha_dropout)


class RReLU(_InPlaceActivation):
    """Leaky ReLU with a random slope in [lower, upper] per element in training, their mean in evaluation."""

    def __init__(self, lower=1.0 / 8, upper=1.0 / 3, inplace=False):
        super().__init__(inplace)
        self.lower, self.upper = lower, upper

    def forward(self, input):
        return F.rrelu(input, self.lower, self.upper, self.training, self.inplace)

    def extra_repr(self):
        return self._inplace_repr(f"lower={self.lower}, upper={self.upper}")


class Softmax2d(Module):
    """Softmax over the channels of (N, C, H, W) or (C, H, W) input, at every position."""

    def forward(self, input):
        if input.ndim not in (3, 4):
            raise InputError(f"Softmax2d: expected (N, C, H, W) or (C, H, W) input, got shape {tuple(input.shape)}")
        return F.softmax(input, -3)


class ChannelShuffle(Module):
    def __init__(self, groups):
        super().__init__()
        self.groups = groups

    def forward(self, input):
        return F.channel_shuffle(input, self.groups)

    def extra_repr(self):
        return f"groups={self.groups}"


class LocalResponseNorm(Module):
    def __init__(self, size, alpha=1e-4, beta=0.75, k=1.0):
        super().__init__()
        self.size, self.alpha, self.beta, self.k = size, alpha, beta, k

    def forward(self, input):
        return F.local_response_norm(input, self.size, self.alpha, self.beta, self.k)

    def extra_repr(self):
        return f"{self.size}, alpha={self.alpha}, beta={self.beta}, k={self.k}"


class CrossMapLRN2d(Module):
    """PyTorch's legacy cross-channel normalization (Lua Torch's SpatialCrossMapLRN) for (N, C, H, W) input:
    y = x / (k + alpha/size * S)^beta, S for channel c the sum of x^2 over channels c - h ... c + h
    (h = (size - 1) // 2 rounded as PyTorch's ``int((size - 1) / 2 + 1) - 1``, zeros beyond the ends) and,
    from channel h + 1 on, channel 0's x^2 as well: PyTorch's running window adds each next channel but
    never removes channel 0, and these are the values it computes. (``LocalResponseNorm`` is the
    normalization without that extra term.) The gradient is this forward's exact one, by autograd;
    PyTorch's hand-written backward is not (it fails gradcheck), so gradients differ from its own."""

    def __init__(self, size, alpha=1e-4, beta=0.75, k=1):
        super().__init__()
        self.size, self.alpha, self.beta, self.k = size, alpha, beta, k

    def forward(self, input):
        check_tensor(input, "CrossMapLRN2d")
        if input.ndim != 4:
            raise InputError(f"CrossMapLRN2d: expected a 4-D input (N, C, H, W), got shape {tuple(input.shape)}")
        channels, half = input.shape[1], int((self.size - 1) / 2 + 1) - 1
        squares = input * input
        window_sum = channel_window_sums(squares, half, half)
        keeps_channel_0 = (backend.array_module_for(input.device).arange(channels) > half).astype(input.dtype)
        window_sum = window_sum + squares[:, :1] * keeps_channel_0.reshape(1, channels, 1, 1)
        return input / (window_sum * (self.alpha / self.size) + self.k) ** self.beta

    def extra_repr(self):
        return f"{self.size}, alpha={self.alpha}, beta={self.beta}, k={self.k}"


class _LPPoolNd(Module):
    """LPPool1d/2d/3d(norm_type, kernel_size, stride=None, ceil_mode=False), as PyTorch's."""

    function = None

    def __init__(self, norm_type, kernel_size, stride=None, ceil_mode=False):
        super().__init__()
        self.norm_type, self.kernel_size, self.stride, self.ceil_mode = norm_type, kernel_size, stride, ceil_mode

    def forward(self, input):
        return type(self).function(input, self.norm_type, self.kernel_size, self.stride, self.ceil_mode)

    def extra_repr(self):
        return f"norm_type={self.norm_type}, kernel_size={self.kernel_size}, stride={self.stride}, ceil_mode={self.ceil_mode}"


class LPPool1d(_LPPoolNd):
    function = staticmethod(F.lp_pool1d)


class LPPool2d(_LPPoolNd):
    function = staticmethod(F.lp_pool2d)


class LPPool3d(_LPPoolNd):
    function = staticmethod(F.lp_pool3d)


def _checked_sizes(module, dims, **sizes):
    """Each size an int or ``dims`` ints, else an error naming the module and the argument."""
    for what, value in sizes.items():
        ntuple(value, dims, type(module).__name__, what)


class _MaxPoolNd(Module):
    """MaxPool1d/2d/3d(kernel_size, stride=None, padding=0, dilation=1, return_indices=False,
    ceil_mode=False) as PyTorch's: the sizes checked now and kept as given (an int stays an int), the
    stride the kernel's where not given; with return_indices the output is (values, indices), for
    MaxUnpool."""

    function, dims = None, None

    def __init__(self, kernel_size, stride=None, padding=0, dilation=1, return_indices=False, ceil_mode=False):
        super().__init__()
        stride = kernel_size if stride is None else stride
        _checked_sizes(self, self.dims, kernel_size=kernel_size, stride=stride, padding=padding, dilation=dilation)
        self.kernel_size, self.stride, self.padding, self.dilation = kernel_size, stride, padding, dilation
        self.return_indices, self.ceil_mode = bool(return_indices), bool(ceil_mode)

    def forward(self, input):
        return type(self).function(input, self.kernel_size, self.stride, self.padding, self.dilation, self.ceil_mode,
                                   self.return_indices, name=f"{type(self).__name__}({self.extra_repr()})")

    def extra_repr(self):
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                f"dilation={self.dilation}, ceil_mode={self.ceil_mode}")


class MaxPool1d(_MaxPoolNd):
    function, dims = staticmethod(F.max_pool1d), 1


class MaxPool2d(_MaxPoolNd):
    function, dims = staticmethod(F.max_pool2d), 2


class MaxPool3d(_MaxPoolNd):
    function, dims = staticmethod(F.max_pool3d), 3


class _AvgPoolNd(Module):
    """AvgPool2d/3d(kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
    divisor_override=None) as PyTorch's: the sizes checked now and kept as given, the stride the
    kernel's where not given."""

    function, dims = None, None

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
                 divisor_override=None):
        super().__init__()
        stride = kernel_size if stride is None else stride
        _checked_sizes(self, self.dims, kernel_size=kernel_size, stride=stride, padding=padding)
        self.kernel_size, self.stride, self.padding = kernel_size, stride, padding
        self.ceil_mode, self.count_include_pad = bool(ceil_mode), bool(count_include_pad)
        self.divisor_override = divisor_override

    def forward(self, input):
        return type(self).function(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                                   self.count_include_pad, self.divisor_override,
                                   name=f"{type(self).__name__}({self.extra_repr()})")

    def extra_repr(self):
        """PyTorch's (the sizes), and the options set otherwise than by default, which PyTorch leaves out."""
        text = f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"
        if self.ceil_mode:
            text += ", ceil_mode=True"
        if not self.count_include_pad:
            text += ", count_include_pad=False"
        if getattr(self, "divisor_override", None) is not None:
            text += f", divisor_override={self.divisor_override}"
        return text


class AvgPool1d(_AvgPoolNd):
    """AvgPool1d(kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True): PyTorch keeps
    its sizes as 1-tuples, and it has no divisor_override."""

    function, dims = staticmethod(F.avg_pool1d), 1

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
        super().__init__(kernel_size, stride, padding, ceil_mode, count_include_pad)
        del self.divisor_override
        self.kernel_size, self.stride, self.padding = (ntuple(value, 1, "AvgPool1d", what) for what, value in (
            ("kernel_size", self.kernel_size), ("stride", self.stride), ("padding", self.padding)))

    def forward(self, input):
        return F.avg_pool1d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode, self.count_include_pad,
                            name=f"AvgPool1d({self.extra_repr()})")


class AvgPool2d(_AvgPoolNd):
    function, dims = staticmethod(F.avg_pool2d), 2


class AvgPool3d(_AvgPoolNd):
    function, dims = staticmethod(F.avg_pool3d), 3


class _AdaptiveAvgPoolNd(Module):
    """AdaptiveAvgPool1d/2d/3d(output_size): ``output_size`` kept as given (None keeps the input's size
    there), as PyTorch keeps it."""

    function = None

    def __init__(self, output_size):
        super().__init__()
        self.output_size = output_size

    def forward(self, input):
        return type(self).function(input, self.output_size, name=f"{type(self).__name__}({self.output_size})")

    def extra_repr(self):
        return f"output_size={self.output_size}"


class AdaptiveAvgPool1d(_AdaptiveAvgPoolNd):
    function = staticmethod(F.adaptive_avg_pool1d)


class AdaptiveAvgPool2d(_AdaptiveAvgPoolNd):
    function = staticmethod(F.adaptive_avg_pool2d)


class AdaptiveAvgPool3d(_AdaptiveAvgPoolNd):
    function = staticmethod(F.adaptive_avg_pool3d)


class _AdaptiveMaxPoolNd(Module):
    """AdaptiveMaxPool1d/2d/3d(output_size, return_indices=False), ``output_size`` kept as given."""

    function = None

    def __init__(self, output_size, return_indices=False):
        super().__init__()
        self.output_size, self.return_indices = output_size, return_indices

    def forward(self, input):
        return type(self).function(input, self.output_size, self.return_indices,
                                   name=f"{type(self).__name__}({self.output_size})")

    def extra_repr(self):
        return f"output_size={self.output_size}"


class AdaptiveMaxPool1d(_AdaptiveMaxPoolNd):
    function = staticmethod(F.adaptive_max_pool1d)


class AdaptiveMaxPool2d(_AdaptiveMaxPoolNd):
    function = staticmethod(F.adaptive_max_pool2d)


class AdaptiveMaxPool3d(_AdaptiveMaxPoolNd):
    function = staticmethod(F.adaptive_max_pool3d)


class _MaxUnpoolNd(Module):
    """MaxUnpool1d/2d/3d(kernel_size, stride=None, padding=0): the partial inverse of the max pooling of
    that dimension, forward(input, indices, output_size=None); the sizes kept as tuples, as PyTorch's."""

    function, dims = None, None

    def __init__(self, kernel_size, stride=None, padding=0):
        super().__init__()
        name = type(self).__name__
        self.kernel_size = ntuple(kernel_size, self.dims, name, "kernel_size")
        self.stride = self.kernel_size if stride is None else ntuple(stride, self.dims, name, "stride")
        self.padding = ntuple(padding, self.dims, name, "padding")

    def forward(self, input, indices, output_size=None):
        return type(self).function(input, indices, self.kernel_size, self.stride, self.padding, output_size,
                                   name=f"{type(self).__name__}({self.extra_repr()})")

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class MaxUnpool1d(_MaxUnpoolNd):
    function, dims = staticmethod(F.max_unpool1d), 1


class MaxUnpool2d(_MaxUnpoolNd):
    function, dims = staticmethod(F.max_unpool2d), 2


class MaxUnpool3d(_MaxUnpoolNd):
    function, dims = staticmethod(F.max_unpool3d), 3


class _FractionalMaxPool(Module):
    """FractionalMaxPool2d / 3d: PyTorch's arguments, forwarded to the functional form (new random
    windows every call unless ``_random_samples`` fixes them)."""

    function, dims = None, None

    def __init__(self, kernel_size, output_size=None, output_ratio=None, return_indices=False, _random_samples=None):
        super().__init__()
        name = type(self).__name__
        if (output_size is None) == (output_ratio is None):
            raise InputError(f"{name}: give exactly one of output_size and output_ratio")
        # kept as tuples, as PyTorch keeps them
        self.kernel_size = ntuple(kernel_size, self.dims, name, "kernel_size")
        self.output_size = None if output_size is None else ntuple(output_size, self.dims, name, "output_size")
        self.output_ratio = None if output_ratio is None else (
            tuple(float(r) for r in output_ratio) if isinstance(output_ratio, (tuple, list))
            else (float(output_ratio),) * self.dims)
        self.return_indices = return_indices
        self.register_buffer("_random_samples", _random_samples)

    def forward(self, input):
        return type(self).function(input, self.kernel_size, self.output_size, self.output_ratio, self.return_indices,
                                   self._random_samples, name=f"{type(self).__name__}({self._settings()})")

    def _settings(self):
        """For error messages (PyTorch prints the layer as ``FractionalMaxPool2d()``, and so does tinynn)."""
        size = f"output_size={self.output_size}" if self.output_size is not None else f"output_ratio={self.output_ratio}"
        return f"kernel_size={self.kernel_size}, {size}"


class FractionalMaxPool2d(_FractionalMaxPool):
    function, dims = staticmethod(F.fractional_max_pool2d), 2


class FractionalMaxPool3d(_FractionalMaxPool):
    function, dims = staticmethod(F.fractional_max_pool3d), 3



class Upsample(Module):
    """Resize to ``size`` or by ``scale_factor`` with ``F.interpolate`` (nearest, linear/bilinear)."""

    def __init__(self, size=None, scale_factor=None, mode="nearest", align_corners=None, recompute_scale_factor=None):
        super().__init__()
        if isinstance(scale_factor, (int, float)):
            scale_factor = float(scale_factor)
        elif scale_factor is not None:
            scale_factor = tuple(float(factor) for factor in scale_factor)
        self.name, self.size, self.scale_factor, self.mode = type(self).__name__, size, scale_factor, mode
        self.align_corners, self.recompute_scale_factor = align_corners, recompute_scale_factor

    def forward(self, input):
        return F.interpolate(input, self.size, self.scale_factor, self.mode, self.align_corners,
                             self.recompute_scale_factor)

    def extra_repr(self):
        described = f"scale_factor={self.scale_factor}" if self.scale_factor is not None else f"size={self.size}"
        return described + f", mode={self.mode!r}"


class UpsamplingNearest2d(Upsample):
    def __init__(self, size=None, scale_factor=None):
        super().__init__(size, scale_factor, mode="nearest")


class UpsamplingBilinear2d(Upsample):
    """Bilinear upsampling with align_corners=True (the old PyTorch layer's convention)."""

    def __init__(self, size=None, scale_factor=None):
        super().__init__(size, scale_factor, mode="bilinear", align_corners=True)


class Flatten(Module):
    def __init__(self, start_dim=1, end_dim=-1):
        super().__init__()
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, input):
        check_tensor(input, "Flatten")
        return input.flatten(self.start_dim, self.end_dim)

    def extra_repr(self):
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Unflatten(Module):
    """Split axis ``dim`` into ``unflattened_size`` (the inverse of Flatten)."""

    def __init__(self, dim, unflattened_size):
        super().__init__()
        self.dim, self.unflattened_size = dim, tuple(unflattened_size)

    def forward(self, input):
        check_tensor(input, "Unflatten")
        return input.unflatten(self.dim, self.unflattened_size)

    def extra_repr(self):
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"


class Unfold(Module):
    """Sliding windows as columns, (N, C, H, W) -> (N, C*KH*KW, L): im2col (F.unfold)."""

    def __init__(self, kernel_size, dilation=1, padding=0, stride=1):
        super().__init__()
        self.kernel_size, self.dilation, self.padding, self.stride = kernel_size, dilation, padding, stride

    def forward(self, input):
        return F.unfold(input, self.kernel_size, self.dilation, self.padding, self.stride, name="Unfold")

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, dilation={self.dilation}, padding={self.padding}, stride={self.stride}"


class Fold(Module):
    """Columns summed back into an image, (N, C*KH*KW, L) -> (N, C, H, W): col2im (F.fold)."""

    def __init__(self, output_size, kernel_size, dilation=1, padding=0, stride=1):
        super().__init__()
        self.output_size, self.kernel_size = output_size, kernel_size
        self.dilation, self.padding, self.stride = dilation, padding, stride

    def forward(self, input):
        return F.fold(input, self.output_size, self.kernel_size, self.dilation, self.padding, self.stride, name="Fold")

    def extra_repr(self):
        return (f"output_size={self.output_size}, kernel_size={self.kernel_size}, dilation={self.dilation}, "
                f"padding={self.padding}, stride={self.stride}")


class PixelShuffle(Module):
    """(N, C r^2, H, W) -> (N, C, H r, W r): each group of r^2 channels becomes an r x r block of
    pixels (sub-pixel convolution upsampling); a reshape and a transpose, so backward is their inverse."""

    def __init__(self, upscale_factor):
        super().__init__()
        self.upscale_factor = upscale_factor

    def forward(self, input):
        return F.pixel_shuffle(input, self.upscale_factor)

    def extra_repr(self):
        return f"upscale_factor={self.upscale_factor}"


class PixelUnshuffle(Module):
    """(N, C, H r, W r) -> (N, C r^2, H, W), the inverse of PixelShuffle."""

    def __init__(self, downscale_factor):
        super().__init__()
        self.downscale_factor = downscale_factor

    def forward(self, input):
        return F.pixel_unshuffle(input, self.downscale_factor)

    def extra_repr(self):
        return f"downscale_factor={self.downscale_factor}"


class Identity(Module):
    """y = x. Any arguments are taken and ignored, as PyTorch's (so it can stand in for a layer)."""

    def __init__(self, *args, **kwargs):
        super().__init__()

    def forward(self, input):
        return input
