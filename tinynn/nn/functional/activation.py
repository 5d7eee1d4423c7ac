"""Activations and the (log-)softmax."""
import math

import numpy as np

from ...errors import InputError
from ... import backend, mixed_precision
from ...autograd import Function
from ...dims import wrap_dim
from ...half_precision import computed_in_float32
from ...fused import ElementwiseKernel, channels_first, channels_last
from ...ops.erf import erf_values
from ...ops.reduction import row_sums
from ...ops.elementwise import sigmoid_values
from ...ops.gradient_mask import passed_where
from ...scalar_dims import accepting_scalar_dims
from ...user_warnings import warn
from .validation import check_float, check_tensor


# ReLU's backward in one GPU kernel instead of a comparison and a product (see tinynn.fused).
RELU_GRAD = ElementwiseKernel("T g, T y", "T gx", "gx = where(y != 0, g, 0);", "tinynn_relu_grad")


class ReLU(Function):
    """y = max(x, 0).  dL/dx = dL/dy where y != 0, else 0: where x > 0, and where x is NaN (so is y), as
    PyTorch's (the gradient at 0 is taken as 0)."""

    graph_saved = {}

    def forward(self, x):
        self.y = self.xp(x).maximum(x, 0)
        return self.y

    def backward(self, gy):
        if backend.is_gpu_array(gy):
            return (channels_first(RELU_GRAD(channels_last(gy), channels_last(self.y))),)
        return (passed_where(gy, self.y != 0),)


class LeakyReLU(Function):
    """y = x for x > 0, slope * x otherwise.  dL/dx = dL/dy * (1 or slope).

    For the usual slopes, 0 < slope <= 1, both are maxima instead of selections (the same values:
    y = max(x, slope x), and the factor max([x > 0], slope) is exactly 1 or slope; slope 0 would
    make inf * 0 a NaN): NumPy's where() over a mask of mixed signs takes 4 ns a value, five times
    a maximum."""

    graph_saved = {}

    def __init__(self, negative_slope):
        self.negative_slope = negative_slope
        self.by_maxima = 0 < negative_slope <= 1

    def forward(self, x):
        xp = self.xp(x)
        self.positive = x > 0
        if self.by_maxima:
            return xp.maximum(x, x * self.negative_slope)
        return xp.where(self.positive, x, x * self.negative_slope)

    def backward(self, gy):
        xp = self.xp(gy)
        if self.by_maxima:
            return (gy * xp.maximum(self.positive.astype(gy.dtype), gy.dtype.type(self.negative_slope)),)
        return (xp.where(self.positive, gy, gy * self.negative_slope),)


class SiLU(Function):
    """y = x * sigmoid(x) (also called swish).  dL/dx = dL/dy * (s + x * s * (1 - s)), s = sigmoid(x)."""

    float16_in_float32 = True
    graph_saved = {"x": 0, "s": lambda op, y: op.inputs[0].sigmoid()}

    def forward(self, x):
        self.x = x
        self.s = sigmoid_values(self.xp(x), x)
        return x * self.s

    def backward(self, gy):
        return (gy * self.s * (1 + self.x * (1 - self.s)),)


class GELU(Function):
    """y = x * Phi(x), Phi the standard normal CDF: Phi(x) = (1 + erf(x / sqrt 2)) / 2.
    dL/dx = dL/dy * (Phi(x) + x * phi(x)), phi(x) = e^(-x^2/2) / sqrt(2 pi) the normal density.

    approximate="tanh" (PyTorch's option, from the GELU paper) replaces Phi by
    P(x) = (1 + tanh(k (x + 0.044715 x^3))) / 2, k = sqrt(2/pi), and differentiates that:
    dL/dx = dL/dy * (P(x) + x * k (1 + 3 * 0.044715 x^2) * (1 - tanh^2) / 2).
    """

    float16_in_float32 = True
    CUBIC = 0.044715

    def __init__(self, approximate):
        self.approximate = approximate
        self.graph_saved = {"x": 0, "cdf": lambda op, y: op.recorded_cdf()}
        if approximate == "tanh":
            self.graph_saved["tanh"] = lambda op, y: op.recorded_tanh()

    def recorded_tanh(self):
        x = self.inputs[0]
        return ((x + self.CUBIC * x * x * x) * math.sqrt(2 / math.pi)).tanh()

    def recorded_cdf(self):
        """Phi(x) (or its tanh approximation) recomputed from the recorded input, for create_graph."""
        x = self.inputs[0]
        if self.approximate == "tanh":
            return (self.recorded_tanh() + 1) * 0.5
        return ((x * (1 / math.sqrt(2))).erf() + 1) * 0.5

    def forward(self, x):
        xp = self.xp(x)
        self.x = x
        if self.approximate == "tanh":
            k = x.dtype.type(math.sqrt(2 / math.pi))
            self.tanh = xp.tanh(k * (x + self.CUBIC * x * x * x))
            self.cdf = (self.tanh + 1) * 0.5
        else:
            self.cdf = (erf_values(x * x.dtype.type(1 / math.sqrt(2))) + 1) * 0.5
        return x * self.cdf

    def backward(self, gy):
        xp, x = self.xp(gy), self.x
        if self.approximate == "tanh":
            k = x.dtype.type(math.sqrt(2 / math.pi))
            slope = self.cdf + x * (k * 0.5) * (1 + 3 * self.CUBIC * x * x) * (1 - self.tanh * self.tanh)
        else:
            slope = self.cdf + x * xp.exp(x * x * -0.5) * x.dtype.type(1 / math.sqrt(2 * math.pi))
        return (gy * slope,)


class ELU(Function):
    """y = x for x > 0, alpha * (e^x - 1) otherwise.  dL/dx = dL/dy * (1, or alpha e^x where x <= 0).

    The slope alpha e^x is taken from x, as PyTorch's: from the output, as y + alpha, it would cancel
    where y nears -alpha (off by 4e-4 at x = -10 in float32, 0 below -17). For 0 < alpha <= 1
    (ELU's default, CELU's) without selections, the same values: with b = alpha (e^min(x, 0) - 1),
    y = max(x, b) (b is 0 above 0, and at least x below, as e^x - 1 >= x), and the factor
    max([x > 0], alpha e^min(x, 0)), exactly 1 above 0 (where alpha e^min(x, 0) <= 1): NumPy's
    where() over a mask of mixed signs takes 4 ns a value."""

    float16_in_float32 = True
    graph_saved = {"x": 0}

    def __init__(self, alpha):
        self.alpha = alpha
        self.arithmetic = 0 < alpha <= 1

    def forward(self, x):
        xp = self.xp(x)
        self.x, self.positive = x, x > 0
        below = self.alpha * xp.expm1(xp.minimum(x, 0))
        return xp.maximum(x, below) if self.arithmetic else xp.where(self.positive, x, below)

    def backward(self, gy):
        xp = self.xp(gy)
        slope_below = xp.exp(xp.minimum(self.x, 0)) * self.alpha
        if self.arithmetic and (isinstance(gy, np.ndarray) or backend.is_gpu_array(gy)):  # (recorded: the where)
            return (gy * xp.maximum(self.positive.astype(gy.dtype), slope_below),)
        return (xp.where(self.positive, gy, gy * slope_below),)


class Softplus(Function):
    """y = log(1 + e^(beta x)) / beta, and y = x where beta * x > threshold (as PyTorch, where the two
    agree to float precision).  dL/dx = dL/dy * sigmoid(beta x) (1 above the threshold)."""

    float16_in_float32 = True
    graph_saved = {"slope": lambda op, y: (op.inputs[0] * op.beta).sigmoid()}

    def __init__(self, beta, threshold):
        self.beta, self.threshold = beta, threshold

    def forward(self, x):
        xp = self.xp(x)
        scaled = x * self.beta
        self.linear = scaled > self.threshold
        # log(1 + e^z) = max(z, 0) + log1p(e^-|z|): never overflows
        smooth = (xp.maximum(scaled, 0) + xp.log1p(xp.exp(-xp.abs(scaled)))) / self.beta
        self.slope = sigmoid_values(xp, scaled)
        return xp.where(self.linear, x, smooth)

    def backward(self, gy):
        return (self.xp(gy).where(self.linear, gy, gy * self.slope),)


class Hardtanh(Function):
    """y = clip(x, low, high) (ReLU6 is low = 0, high = 6).  dL/dx = dL/dy where low < x < high, else 0."""

    graph_saved = {}

    def __init__(self, low, high):
        self.low, self.high = low, high

    def forward(self, x):
        self.inside = (x > self.low) & (x < self.high)
        return self.xp(x).clip(x, self.low, self.high)

    def backward(self, gy):
        return (passed_where(gy, self.inside),)


class Hardsigmoid(Function):
    """y = clip(x / 6 + 1/2, 0, 1), a piecewise-linear sigmoid.  dL/dx = dL/dy / 6 where -3 < x < 3, else 0."""

    float16_in_float32 = True
    graph_saved = {}

    def forward(self, x):
        self.inside = (x > -3) & (x < 3)
        return self.xp(x).clip(x * (1 / 6) + 0.5, 0, 1)

    def backward(self, gy):
        return (passed_where(gy * (1 / 6), self.inside),)


class Hardswish(Function):
    """y = x * hardsigmoid(x): 0 for x <= -3, x for x >= 3, x (x + 3) / 6 between (MobileNetV3).
    dL/dx = dL/dy * (0 for x <= -3; (2x + 3) / 6 for -3 < x < 3; 1 for x >= 3), as PyTorch."""

    float16_in_float32 = True
    graph_saved = {"x": 0}

    def forward(self, x):
        xp = self.xp(x)
        self.x = x
        return x * xp.clip(x * (1 / 6) + 0.5, 0, 1)

    def backward(self, gy):
        xp, x = self.xp(gy), self.x
        slope = xp.where(x < 3, x * (1 / 3) + 0.5, x.dtype.type(1))  # (typed, so the slope keeps x's dtype)
        return (passed_where(gy * slope, ~(x <= -3)),)


class Mish(Function):
    """y = x * tanh(softplus(x)).  dL/dx = dL/dy * (t + x * sigmoid(x) * (1 - t^2)), t = tanh(softplus(x))."""

    float16_in_float32 = True
    graph_saved = {"x": 0, "t": lambda op, y: softplus(op.inputs[0]).tanh()}

    def forward(self, x):
        xp = self.xp(x)
        softplus = xp.maximum(x, 0) + xp.log1p(xp.exp(-xp.abs(x)))  # never overflows
        self.x, self.t = x, xp.tanh(softplus)
        return x * self.t

    def backward(self, gy):
        xp, x, t = self.xp(gy), self.x, self.t
        return (gy * (t + x * sigmoid_values(xp, x) * (1 - t * t)),)


class LogSigmoid(Function):
    """y = log(sigmoid(x)) = min(x, 0) - log(1 + e^-|x|), finite for any x.
    dL/dx = dL/dy * (1 - sigmoid(x)) = dL/dy * sigmoid(-x)."""

    float16_in_float32 = True
    graph_saved = {"x": 0}

    def forward(self, x):
        xp = self.xp(x)
        self.x = x
        return xp.minimum(x, 0) - xp.log1p(xp.exp(-xp.abs(x)))

    def backward(self, gy):
        return (gy * sigmoid_values(self.xp(gy), -self.x),)


class Softsign(Function):
    """y = x / (1 + |x|).  dL/dx = dL/dy / (1 + |x|)^2."""

    float16_in_float32 = True
    graph_saved = {"denominator": lambda op, y: op.inputs[0].abs() + 1}

    def forward(self, x):
        self.denominator = 1 + self.xp(x).abs(x)
        return x / self.denominator

    def backward(self, gy):
        return (gy / (self.denominator * self.denominator),)


class Threshold(Function):
    """y = ``value`` where x <= threshold, else x.  dL/dx = 0 where x <= threshold, else dL/dy.
    (Written as PyTorch's "not x <= threshold" rather than "x > threshold", so a NaN passes through,
    with its gradient, as in PyTorch.)"""

    graph_saved = {}

    def __init__(self, threshold, value):
        self.threshold, self.value = threshold, value

    def forward(self, x):
        self.kept = ~(x <= self.threshold)
        return self.xp(x).where(self.kept, x, x.dtype.type(self.value))

    def backward(self, gy):
        return (passed_where(gy, self.kept),)


class Shrink(Function):
    """Hardshrink: y = x where |x| > lambda, else 0; softshrink: y = x - lambda * sign(x) there.
    dL/dx = dL/dy where |x| > lambda, else 0 (both)."""

    graph_saved = {}

    def __init__(self, lambd, soft):
        self.lambd, self.soft = lambd, soft

    def forward(self, x):
        xp = self.xp(x)
        self.kept = xp.abs(x) > self.lambd
        # NaN is passed on, as PyTorch does (its gradient is 0, as the mask's)
        return xp.where(self.kept | xp.isnan(x), x - xp.sign(x) * x.dtype.type(self.lambd) if self.soft else x,
                        x.dtype.type(0))

    def backward(self, gy):
        return (passed_where(gy, self.kept),)


class PReLU(Function):
    """y = x for x > 0, a * x otherwise, with a learned slope a: one value, or one per channel
    (axis 1 of (N, C, ...)).  Shapes: x any, a (1,) or (C,).
    dL/dx = dL/dy * (1 or a);  dL/da = sum of dL/dy * x over the x <= 0 of its channel (or of all)."""

    graph_saved = {"x": 0, "slope": lambda op, y: op.inputs[1].reshape(op.broadcast_shape)}

    def forward(self, x, weight):
        xp = self.xp(x)
        self.channel_axis = 1
        shape = [1] * x.ndim
        if weight.size > 1:
            shape[self.channel_axis] = weight.size
        self.x, self.slope_shape, self.broadcast_shape = x, weight.shape, shape if x.ndim else ()
        self.per_channel = weight.size > 1
        self.slope = weight.reshape(self.broadcast_shape)
        self.negative = x <= 0
        return xp.where(self.negative, x * self.slope, x)

    def backward(self, gy):
        xp = self.xp(gy)
        gx = xp.where(self.negative, gy * self.slope, gy) if self.needs_input_grad[0] else None
        gw = None
        if self.needs_input_grad[1]:
            contribution = gy * self.x * self.negative
            if self.per_channel:
                axes = tuple(axis for axis in range(gy.ndim) if axis != self.channel_axis)
                gw = contribution.sum(axis=axes).reshape(self.slope_shape)
            else:
                gw = contribution.sum().reshape(self.slope_shape)
        return gx, gw


class LogSoftmax(Function):
    """y = x - logsumexp(x) along ``axis``, computed as (x - max) - log(sum(exp(x - max))) so large
    logits never overflow.  dL/dx = dL/dy - softmax(x) * sum(dL/dy) (sums along ``axis``)."""

    graph_saved = {"y": "output"}

    def __init__(self, axis):
        self.axis = axis

    def forward(self, x):
        xp = self.xp(x)
        if x.size == 0:  # nothing to normalise (an empty axis, or empty rows): an empty result
            self.y = x.copy()
            return self.y
        shifted = x - x.max(axis=self.axis, keepdims=True)
        self.y = shifted - xp.log(row_sums(xp.exp(shifted), self.axis))
        return self.y

    def backward(self, gy):
        return (gy - self.xp(gy).exp(self.y) * row_sums(gy, self.axis),)


class Softmax(Function):
    """y = exp(x - max) / sum(exp(x - max)) along ``axis``.  dL/dx = y * (dL/dy - sum(dL/dy * y))."""

    graph_saved = {"y": "output"}

    def __init__(self, axis):
        self.axis = axis

    def forward(self, x):
        if x.size == 0:  # nothing to normalise (an empty axis, or empty rows): an empty result
            self.y = x.copy()
            return self.y
        e = self.xp(x).exp(x - x.max(axis=self.axis, keepdims=True))
        self.y = e / row_sums(e, self.axis)
        return self.y

    def backward(self, gy):
        return (self.y * (gy - row_sums(gy * self.y, self.axis)),)


def relu(input, inplace=False):
    if input.dtype.kind not in "iu":  # (integers too, as PyTorch's: max(x, 0) keeps them whole)
        check_float(input, "relu")
    return maybe_in_place(input, inplace, "relu_", lambda x: ReLU()(x))


def leaky_relu(input, negative_slope=0.01, inplace=False):
    check_float(input, "leaky_relu")
    return maybe_in_place(input, inplace, "leaky_relu_", lambda x: LeakyReLU(negative_slope)(x))


def _elementwise(input, name, complex_ok=False):
    check_float(input, name, complex_ok=complex_ok)
    return input


def sigmoid(input):
    return _elementwise(input, "sigmoid", complex_ok=True).sigmoid()


def tanh(input):
    return _elementwise(input, "tanh", complex_ok=True).tanh()


def silu(input, inplace=False):
    return maybe_in_place(_elementwise(input, "silu"), inplace, "silu_", lambda x: SiLU()(x))


def gelu(input, approximate="none"):
    """x * Phi(x), Phi the standard normal CDF (exact, via erf), or its tanh approximation; see ``GELU``.

    The exact form evaluates erf's two Chebyshev series (tinynn/ops/erf.py) everywhere, some 70
    passes over the data: measured ten times slower than approximate="tanh" on the CPU (26 ms
    against 2.5 ms for 1.4 million float32 values), which agrees with it to within 5e-4."""
    if approximate not in ("none", "tanh"):
        raise InputError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
    return GELU(approximate)(_elementwise(input, "gelu"))


def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    if min_val > max_val:
        raise InputError(f"hardtanh: min_val ({min_val}) must not exceed max_val ({max_val})")
    return maybe_in_place(_elementwise(input, "hardtanh"), inplace, "hardtanh_",
                    lambda x: Hardtanh(float(min_val), float(max_val))(x))


def relu6(input, inplace=False):
    return maybe_in_place(_elementwise(input, "relu6"), inplace, "relu6_", lambda x: Hardtanh(0.0, 6.0)(x))


def hardsigmoid(input, inplace=False):
    return maybe_in_place(_elementwise(input, "hardsigmoid"), inplace, "hardsigmoid_", lambda x: Hardsigmoid()(x))


def hardswish(input, inplace=False):
    return maybe_in_place(_elementwise(input, "hardswish"), inplace, "hardswish_", lambda x: Hardswish()(x))


def mish(input, inplace=False):
    return maybe_in_place(_elementwise(input, "mish"), inplace, "mish_", lambda x: Mish()(x))


def logsigmoid(input):
    return LogSigmoid()(_elementwise(input, "logsigmoid"))


def softsign(input):
    return Softsign()(_elementwise(input, "softsign"))


@mixed_precision.casts_inputs("lower")
def prelu(input, weight):
    """x for x > 0, weight * x otherwise; ``weight`` has 1 value or one per channel (axis 1)."""
    _elementwise(input, "prelu")
    check_float(weight, "prelu", "weight")
    channels = input.shape[1] if input.ndim >= 2 else 1  # as PyTorch: a 1-D input is one channel
    if weight.ndim != 1 or weight.shape[0] not in (1, channels):
        options = f"(1,) or ({channels},) (the input's channels)" if channels > 1 else "(1,) (one channel in this input)"
        raise InputError(f"prelu: expected a weight of shape {options}, got {tuple(weight.shape)} for input of shape {tuple(input.shape)}")
    return PReLU()(input, weight)


def elu(input, alpha=1.0, inplace=False):
    return maybe_in_place(_elementwise(input, "elu"), inplace, "elu_", lambda x: ELU(float(alpha))(x))


def softplus(input, beta=1.0, threshold=20.0):
    if beta == 0:
        raise InputError("softplus: beta must not be 0")
    return Softplus(float(beta), float(threshold))(_elementwise(input, "softplus"))


SELU_ALPHA, SELU_SCALE = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946


def selu(input, inplace=False):
    """scale * elu(x, alpha) with the self-normalising constants (Klambauer et al.); its gradient
    is the chain rule through ``ELU``."""
    return maybe_in_place(_elementwise(input, "selu"), inplace, "selu_",
                          lambda x: x._rounded_once(lambda x: ELU(SELU_ALPHA)(x) * SELU_SCALE))


def celu(input, alpha=1.0, inplace=False):
    """max(0, x) + min(0, alpha (e^(x/alpha) - 1)) = alpha * elu(x / alpha): continuously
    differentiable for every alpha; the chain rule through ``ELU``."""
    if alpha == 0:
        raise InputError("celu: alpha must not be 0")
    return maybe_in_place(_elementwise(input, "celu"), inplace, "celu_", lambda x: ELU(1.0)(x / alpha) * alpha)


def glu(input, dim=-1):
    """Gated linear unit: the input's two halves a, b along ``dim`` give a * sigmoid(b)."""
    _elementwise(input, "glu")
    if input.ndim == 0:
        raise InputError("glu: a 0-d input cannot be halved; expected at least one dimension of even size")
    size = input.shape[dim]
    if size % 2:
        raise InputError(f"glu: the size of dim {dim} must be even (it is halved), got {size} in shape {tuple(input.shape)}")
    a, b = input.chunk(2, dim)
    return a * b.sigmoid()


def tanhshrink(input):
    """x - tanh(x)."""
    return _elementwise(input, "tanhshrink") - input.tanh()


def threshold(input, threshold, value, inplace=False):
    """``value`` where x <= threshold, else x; see ``Threshold``."""
    return maybe_in_place(_elementwise(input, "threshold"), inplace, "threshold_",
                    lambda x: Threshold(float(threshold), float(value))(x))


def hardshrink(input, lambd=0.5):
    """x where |x| > lambd, else 0; see ``Shrink``."""
    return Shrink(float(lambd), soft=False)(_elementwise(input, "hardshrink"))


def softshrink(input, lambd=0.5):
    """x - lambd * sign(x) where |x| > lambd, else 0; see ``Shrink``."""
    if lambd < 0:
        raise InputError(f"softshrink: lambd must not be negative, got {lambd}")
    return Shrink(float(lambd), soft=True)(_elementwise(input, "softshrink"))


@mixed_precision.casts_inputs("float32", devices=(backend.GPU,))  # (on the CPU, as PyTorch: in the input's dtype)
@computed_in_float32("input")
def softmin(input, dim=None, _stacklevel=3, dtype=None):
    """softmax(-x) along ``dim`` (``dtype``: x converted to it first). ``_stacklevel`` holds PyTorch's
    place in the arguments; tinynn's warnings find the caller's line themselves."""
    input = _converted(input, dtype, "softmin")
    return softmax(-input, _implicit_dim(input, dim, "softmin"))


def _converted(input, dtype, name):
    """The input, converted to ``dtype`` first where one is given (PyTorch's ``dtype=`` of the
    softmax family, e.g. float16 logits in float32), checked to be floating-point and not empty."""
    if dtype is not None:
        check_tensor(input, name)
        input = input._in_dtype(dtype)
    return _elementwise(input, name)


def _implicit_dim(input, dim, name):
    """``dim``, or where it is left out PyTorch's old choice, with its deprecation warning: the first
    axis of a 0-, 1- or 3-D input, else the second (the channels of (N, C, ...))."""
    if dim is not None:
        return dim
    warn(f"Implicit dimension choice for {name} has been deprecated. Change the call to include dim=X as an argument.")
    return 0 if input.ndim in (0, 1, 3) else 1


def _softmax_axis(input, dim, name):
    dim = _implicit_dim(input, dim, name)
    check_float(input, name)
    return wrap_dim(dim, input.ndim)


@mixed_precision.casts_inputs("float32", devices=(backend.GPU,))  # (on the CPU, as PyTorch: in the input's dtype)
@computed_in_float32("input")
def log_softmax(input, dim=None, _stacklevel=3, dtype=None):
    """log softmax(x) along ``dim`` (``dtype``: x converted to it first); see ``LogSoftmax``. ``_stacklevel``
    as softmin's."""
    input = _converted(input, dtype, "log_softmax")
    return LogSoftmax(_softmax_axis(input, dim, "log_softmax"))(input)


@mixed_precision.casts_inputs("float32", devices=(backend.GPU,))  # (on the CPU, as PyTorch: in the input's dtype)
@computed_in_float32("input")
def softmax(input, dim=None, _stacklevel=3, dtype=None):
    """softmax(x) along ``dim`` (``dtype``: x converted to it first); see ``Softmax``. ``_stacklevel`` as
    softmin's."""
    input = _converted(input, dtype, "softmax")
    return Softmax(_softmax_axis(input, dim, "softmax"))(input)


# A 0-d input is a vector of one element to these, as in PyTorch (tinynn/scalar_dims.py).
softmin, log_softmax, softmax = (accepting_scalar_dims(function, ("dim",), implicit=True)
                                 for function in (softmin, log_softmax, softmax))


def rrelu(input, lower=1.0 / 8, upper=1.0 / 3, training=False, inplace=False):
    """Randomised leaky ReLU: in training each negative value is scaled by its own slope drawn
    uniformly from [lower, upper] (a constant of the step); in evaluation by (lower + upper) / 2."""
    _elementwise(input, "rrelu")
    if not lower <= upper:
        raise RuntimeError(f"rrelu: the lower bound must be at most the upper bound, got lower={lower}, upper={upper}")
    if not training:
        return leaky_relu(input, (lower + upper) / 2, inplace)
    from ... import random
    from ...tensor import Tensor, where

    xp = backend.get_array_module(input._array)
    slopes = xp.asarray(random.cpu_generator().uniform(lower, upper, input.shape).astype(input.dtype))
    return maybe_in_place(input, inplace, "rrelu_", lambda x: where(x._array >= 0, x, x * Tensor._from_op(slopes, False)))


def gumbel_softmax(logits, tau=1.0, hard=False, eps=1e-10, dim=-1):
    """A differentiable sample from the categorical distribution softmax(logits): softmax((logits + g)
    / tau) with g = -log(E), E ~ Exp(1) (Gumbel noise). With ``hard`` the result is one-hot at the
    sample, its gradient that of the soft sample (the straight-through estimator). ``eps`` is taken
    and unused, as PyTorch's (deprecated there)."""
    from ... import random
    from ...tensor import Tensor

    check_float(logits, "gumbel_softmax", "logits")
    xp = backend.get_array_module(logits._array)
    gumbels = -xp.log(xp.asarray(random.cpu_generator().exponential(1.0, logits.shape).astype(logits.dtype)))
    soft = softmax((logits + Tensor._from_op(gumbels, False)) / tau, dim)
    if not hard:
        return soft
    axis = dim % soft.ndim
    positions = xp.arange(soft.shape[axis]).reshape((-1,) + (1,) * (soft.ndim - axis - 1))
    one_hot = (positions == xp.expand_dims(soft._array.argmax(axis=axis), axis)).astype(soft.dtype)
    return Tensor._from_op(one_hot, False) - soft.detach() + soft


def maybe_in_place(input, inplace, name, function):
    """``function(input)``; with ``inplace``, written into the input's memory instead (and returned),
    recorded by autograd as any in-place op (see tinynn/autograd/in_place.py)."""
    return input._in_place(name, function) if inplace else function(input)


def _in_place(function):
    """``function_``: ``function(..., inplace=True)``, PyTorch's in-place activations (``F.relu_``)."""
    def in_place(input, *args, **kwargs):
        return function(input, *args, inplace=True, **kwargs)
    in_place.__name__ = function.__name__ + "_"
    in_place.__doc__ = f"``{function.__name__}`` written into the input's memory (recorded by autograd where needed)."
    return in_place
