"""Elementwise functions y = f(x); each backward is dL/dx = dL/dy * f'(x)."""
import math

import numpy as np

from .. import backend
from ..autograd import Function
from .arithmetic import broadcast_shapes, sum_to_shape
from .complex import conj
from .gradient_mask import passed_where


class Exp(Function):
    """y = e^x.  f'(x) = e^x = y, so the output is kept rather than the input."""

    float16_in_float32 = True
    supports_complex = True
    promotes, float_output = (0,), True
    graph_saved = {"y": "output"}

    def forward(self, x):
        self.y = self.xp(x).exp(x)
        return self.y

    def backward(self, gy):
        return (gy * conj(self.y),)


class Log(Function):
    """y = log_b x: ln x, or with ``base`` 2 or 10 log2 and log10 (NumPy's own, each rounded once;
    ln x / ln b would round twice).  f'(x) = 1 / (x ln b)."""

    float16_in_float32 = True
    supports_complex = True
    promotes, float_output = (0,), True
    graph_saved = {"x": 0}

    def __init__(self, base=None):
        self.base, self.function = base, {None: "log", 2: "log2", 10: "log10"}[base]

    def forward(self, x):
        self.x = x
        return getattr(self.xp(x), self.function)(x)

    def backward(self, gy):
        if self.base is None:
            return (gy / conj(self.x),)
        return (gy / (conj(self.x) * math.log(self.base)),)


class Log1p(Function):
    """y = ln(1 + x), accurate for tiny x (where 1 + x would round to 1).  f'(x) = 1 / (1 + x)."""

    float16_in_float32 = True
    supports_complex = True
    promotes, float_output = (0,), True
    graph_saved = {"x": 0}

    def forward(self, x):
        self.x = x
        return self.xp(x).log1p(x)

    def backward(self, gy):
        return (gy / conj(1 + self.x),)


class Expm1(Function):
    """y = e^x - 1, accurate for tiny x (where e^x would round to 1).  f'(x) = e^x = y + 1."""

    float16_in_float32 = True
    supports_complex = True
    promotes, float_output = (0,), True
    graph_saved = {"y": "output"}

    def forward(self, x):
        self.y = self.xp(x).expm1(x)
        return self.y

    def backward(self, gy):
        return (gy * conj(self.y + 1),)


class Sqrt(Function):
    """y = sqrt(x).  f'(x) = 1 / (2 sqrt(x)) = 1 / (2y)."""

    float16_in_float32 = True
    supports_complex = True
    promotes, float_output = (0,), True
    graph_saved = {"y": "output"}

    def forward(self, x):
        self.y = self.xp(x).sqrt(x)
        return self.y

    def backward(self, gy):
        return (gy / conj(2 * self.y),)


class Tanh(Function):
    """y = tanh x.  f'(x) = 1 - y^2."""

    float16_in_float32 = True
    supports_complex = True
    promotes, float_output = (0,), True
    graph_saved = {"y": "output"}

    def forward(self, x):
        self.y = self.xp(x).tanh(x)
        return self.y

    def backward(self, gy):
        return (gy * conj(1 - self.y * self.y),)


class Tan(Function):
    """y = tan x.  f'(x) = 1 + y^2."""

    float16_in_float32 = True
    supports_complex = True
    promotes, float_output = (0,), True
    graph_saved = {"y": "output"}

    def forward(self, x):
        self.y = self.xp(x).tan(x)
        return self.y

    def backward(self, gy):
        return (gy * conj(1 + self.y * self.y),)


class Sinh(Function):
    """y = sinh x.  f'(x) = cosh x. (NumPy's sinh is exact near 0, where (e^x - e^-x) / 2 cancels:
    in float32 it gives 0 for x = 1e-8 and is 2e-4 off at x = 1e-4.)"""

    float16_in_float32 = True
    supports_complex = True
    promotes, float_output = (0,), True
    graph_saved = {"x": 0}

    def forward(self, x):
        self.x = x
        return self.xp(x).sinh(x)

    def backward(self, gy):
        return (gy * conj(self.xp(gy).cosh(self.x)),)


class Cosh(Function):
    """y = cosh x.  f'(x) = sinh x."""

    float16_in_float32 = True
    supports_complex = True
    promotes, float_output = (0,), True
    graph_saved = {"x": 0}

    def forward(self, x):
        self.x = x
        return self.xp(x).cosh(x)

    def backward(self, gy):
        return (gy * conj(self.xp(gy).sinh(self.x)),)


class Sin(Function):
    """y = sin x.  f'(x) = cos x."""

    float16_in_float32 = True
    supports_complex = True
    promotes, float_output = (0,), True
    graph_saved = {"x": 0}

    def forward(self, x):
        self.x = x
        return self.xp(x).sin(x)

    def backward(self, gy):
        return (gy * conj(self.xp(gy).cos(self.x)),)


class Cos(Function):
    """y = cos x.  f'(x) = -sin x."""

    float16_in_float32 = True
    supports_complex = True
    promotes, float_output = (0,), True
    graph_saved = {"x": 0}

    def forward(self, x):
        self.x = x
        return self.xp(x).cos(x)

    def backward(self, gy):
        return (-gy * conj(self.xp(gy).sin(self.x)),)


def sigmoid_values(xp, x):
    """1 / (1 + e^-x) of a real array (or, in a recorded backward, a Tensor). The activations that need a
    sigmoid (SiLU, Softplus, Mish, LogSigmoid's slope) take it from here.

    Of an array, as written, in four passes: e^-x overflows to inf far out on the left (x < -88 in
    float32), where 1 / (1 + inf) is the limit 0, as PyTorch's; the overflow is expected, so it raises
    nothing even under ``np.errstate(over="raise")``. No cancellation anywhere: 1.25e-9 at -20.5 in float32
    keeps its relative accuracy (where (1 + tanh(x/2)) / 2 cancels to 0). Of a Tensor (a recorded
    backward) as 1 / (1 + e^-x) for x >= 0 and e^x / (1 + e^x) for x < 0, each branch fed only its own
    elements: the same values to an ulp, no inf inside the graph (it would make second derivatives
    NaN), and the slope 1/4 at 0 (from e^-|x| it would take |x|'s subgradient 0 there)."""
    if isinstance(x, np.ndarray) or backend.is_gpu_array(x):
        with np.errstate(over="ignore"):
            return 1 / (xp.exp(-x) + 1)
    positive = x >= 0
    right, left = xp.exp(-xp.where(positive, x, 0.0)), xp.exp(xp.where(positive, 0.0, x))
    return xp.where(positive, 1 / (1 + right), left / (1 + left))


class Sigmoid(Function):
    """y = 1 / (1 + e^-x) (``sigmoid_values``; complex x as (1 + tanh(x/2)) / 2).  f'(x) = y (1 - y)."""

    float16_in_float32 = True
    supports_complex = True
    promotes, float_output = (0,), True
    graph_saved = {"y": "output"}

    def forward(self, x):
        xp = self.xp(x)
        self.y = (xp.tanh(x * 0.5) + 1) * 0.5 if x.dtype.kind == "c" else sigmoid_values(xp, x)
        return self.y

    def backward(self, gy):
        return (gy * conj(self.y * (1 - self.y)),)


class Abs(Function):
    """y = |x|.  f'(x) = sign(x) = [x > 0] - [x < 0] (0 at x = 0, and at NaN, as PyTorch's)."""

    graph_saved = {}

    def forward(self, x):
        self.x = x
        return self.xp(x).abs(x)

    def backward(self, gy):
        return (gy * ((self.x > 0).astype(gy.dtype) - (self.x < 0)),)


class Clip(Function):
    """y = min(max(x, low), high), with ``bounds`` naming which of "low" and "high" follow x as
    inputs (numbers or tensors, broadcast with x).
    dL/dx = dL/dy where low <= x <= high, dL/dlow = dL/dy where x < low, dL/dhigh = dL/dy where
    x > high (each summed over what it was broadcast to), as PyTorch's clamp."""

    graph_saved = {}

    def __init__(self, bounds):
        self.bounds = bounds

    def forward(self, x, *bounds):
        given = dict(zip(self.bounds, bounds))
        self.x, self.low, self.high = x, given.get("low"), given.get("high")
        self.shapes = [x.shape] + [bound.shape for bound in bounds]
        return self.xp(x).clip(x, self.low, self.high)

    def backward(self, gy):
        from .arithmetic import sum_to_shape

        inside = self.xp(gy).ones(gy.shape, dtype=bool)
        wanted = dict(zip(self.bounds, self.needs_input_grad[1:]))  # a number's bound needs none
        grads = {}
        if self.low is not None:
            above_low = self.x >= self.low
            inside = inside & above_low
            grads["low"] = sum_to_shape(passed_where(gy, ~above_low), self.shapes[1]) if wanted["low"] else None
        if self.high is not None:
            below_high = self.x <= self.high
            inside = inside & below_high
            grads["high"] = sum_to_shape(passed_where(gy, ~below_high), self.shapes[-1]) if wanted["high"] else None
        return (sum_to_shape(passed_where(gy, inside), self.shapes[0]),) + tuple(grads[name] for name in self.bounds)


class Maximum(Function):
    """y = max(a, b) elementwise.  dL/da = dL/dy unless a < b, dL/db unless b < a; a tie splits
    the gradient half and half, as PyTorch does (and where either is NaN, so is y, and both get
    dL/dy, as there)."""

    promotes = (0, 1)
    graph_saved = {}

    def forward(self, a, b):
        broadcast_shapes("maximum", a, b)
        self.a, self.b = a, b
        return self.xp(a).maximum(a, b)

    def losers(self):
        """Where a loses, where b loses."""
        return self.a < self.b, self.b < self.a

    def backward(self, gy):
        a_loses, b_loses = self.losers()
        tie_halves = (self.a == self.b) * 0.5
        ga = (sum_to_shape(passed_where(gy * (1 - a_loses - tie_halves).astype(gy.dtype), ~a_loses), self.a.shape)
              if self.needs_input_grad[0] else None)
        gb = (sum_to_shape(passed_where(gy * (1 - b_loses - tie_halves).astype(gy.dtype), ~b_loses), self.b.shape)
              if self.needs_input_grad[1] else None)
        return ga, gb


class Minimum(Maximum):
    """y = min(a, b) elementwise.  dL/da = dL/dy unless a > b, dL/db unless b > a; a tie splits the
    gradient half and half (``Maximum``'s backward, with a > b for a < b)."""

    def forward(self, a, b):
        broadcast_shapes("minimum", a, b)
        self.a, self.b = a, b
        return self.xp(a).minimum(a, b)

    def losers(self):
        return self.a > self.b, self.b > self.a


class Where(Function):
    """y = a where ``condition`` else b (all three broadcast together).
    dL/da = dL/dy where the condition holds, dL/db where it does not (each summed to its shape)."""

    supports_complex = True
    promotes = (0, 1)
    graph_saved = {}

    def __init__(self, condition):
        self.condition = condition

    def forward(self, a, b):
        self.a_shape, self.b_shape = a.shape, b.shape
        return self.xp(a).where(self.condition, a, b)

    def backward(self, gy):
        ga = sum_to_shape(passed_where(gy, self.condition), self.a_shape) if self.needs_input_grad[0] else None
        gb = sum_to_shape(passed_where(gy, ~self.condition), self.b_shape) if self.needs_input_grad[1] else None
        return ga, gb


class Asin(Function):
    """y = arcsin x on [-1, 1] (complex x: the principal branch).  f'(x) = 1 / sqrt(1 - x^2)."""

    float16_in_float32 = True
    supports_complex = True
    promotes, float_output = (0,), True
    graph_saved = {"x": 0}

    def forward(self, x):
        self.x = x
        return self.xp(x).arcsin(x)

    def backward(self, gy):
        return (gy / conj(self.xp(gy).sqrt(1 - self.x * self.x)),)


class Acos(Function):
    """y = arccos x on [-1, 1] (complex x: the principal branch).  f'(x) = -1 / sqrt(1 - x^2)."""

    float16_in_float32 = True
    supports_complex = True
    promotes, float_output = (0,), True
    graph_saved = {"x": 0}

    def forward(self, x):
        self.x = x
        return self.xp(x).arccos(x)

    def backward(self, gy):
        return (-gy / conj(self.xp(gy).sqrt(1 - self.x * self.x)),)


class Atan(Function):
    """y = arctan x.  f'(x) = 1 / (1 + x^2)."""

    float16_in_float32 = True
    supports_complex = True
    promotes, float_output = (0,), True
    graph_saved = {"x": 0}

    def forward(self, x):
        self.x = x
        return self.xp(x).arctan(x)

    def backward(self, gy):
        return (gy / conj(1 + self.x * self.x),)


class Asinh(Function):
    """y = arsinh x = log(x + sqrt(x^2 + 1)).  f'(x) = 1 / sqrt(x^2 + 1)."""

    float16_in_float32 = True
    supports_complex = True
    promotes, float_output = (0,), True
    graph_saved = {"x": 0}

    def forward(self, x):
        self.x = x
        return self.xp(x).arcsinh(x)

    def backward(self, gy):
        return (gy / conj(self.xp(gy).sqrt(self.x * self.x + 1)),)


class Acosh(Function):
    """y = arcosh x on [1, inf).  f'(x) = 1 / sqrt(x^2 - 1), as 1 / (sqrt(x - 1) sqrt(x + 1)): exact
    near x = 1, where x^2 would round, and for complex x the derivative of the principal branch
    (sqrt((x - 1)(x + 1)) has the opposite sign where Re x < 0)."""

    float16_in_float32 = True
    supports_complex = True
    promotes, float_output = (0,), True
    graph_saved = {"x": 0}

    def forward(self, x):
        self.x = x
        return self.xp(x).arccosh(x)

    def backward(self, gy):
        xp = self.xp(gy)
        return (gy / conj(xp.sqrt(self.x - 1) * xp.sqrt(self.x + 1)),)


class Atanh(Function):
    """y = artanh x on (-1, 1).  f'(x) = 1 / (1 - x^2), as 1 / ((1 - x)(1 + x))."""

    float16_in_float32 = True
    supports_complex = True
    promotes, float_output = (0,), True
    graph_saved = {"x": 0}

    def forward(self, x):
        self.x = x
        return self.xp(x).arctanh(x)

    def backward(self, gy):
        return (gy / conj((1 - self.x) * (1 + self.x)),)


class Atan2(Function):
    """y = atan2(a, b), the angle of the point (b, a) in (-pi, pi].
    dL/da = dL/dy * b / (a^2 + b^2),  dL/db = -dL/dy * a / (a^2 + b^2)  (each summed to its shape;
    0 at the origin, where the angle has no derivative, as PyTorch's)."""

    float16_in_float32 = True
    promotes, float_output = (0, 1), True
    graph_saved = {"a": 0, "b": 1}

    def forward(self, a, b):
        broadcast_shapes("atan2", a, b)
        self.a, self.b = a, b
        return self.xp(a).arctan2(a, b)

    def backward(self, gy):
        xp, squared_radius = self.xp(gy), self.a * self.a + self.b * self.b
        scale = xp.where(squared_radius == 0, 0, gy / xp.where(squared_radius == 0, 1, squared_radius))
        ga = sum_to_shape(scale * self.b, self.a.shape) if self.needs_input_grad[0] else None
        gb = sum_to_shape(-scale * self.a, self.b.shape) if self.needs_input_grad[1] else None
        return ga, gb


class Entropy(Function):
    """y = -x log x (``special.entr``): 0 at 0, -inf for x < 0.  f'(x) = -(log x + 1): +inf at 0,
    -inf at +inf and NaN for x < 0, as PyTorch's."""

    float16_in_float32 = True
    promotes, float_output = (0,), True
    graph_saved = {"x": 0}

    def forward(self, x):
        self.x = x
        xp = self.xp(x)
        with np.errstate(divide="ignore", invalid="ignore"):
            inside = -x * xp.log(xp.where(x > 0, x, 1))
        return xp.where(x < 0, -xp.inf, xp.where(x == 0, 0, inside)).astype(x.dtype, copy=False)

    def backward(self, gy):
        with np.errstate(divide="ignore", invalid="ignore"):
            return (-gy * (self.xp(gy).log(self.x) + 1),)


class Logit(Function):
    """y = log(p / (1 - p)), as log p - log1p(-p), for p = x, or x clamped to [eps, 1 - eps] when eps
    is given: -inf at 0, inf at 1, NaN outside [0, 1].
    f'(x) = 1 / (x (1 - x)): inf at 0 and 1, NaN outside [0, 1] (where the value is); with eps, 0
    where x is clamped (NaN passes on), as PyTorch's."""

    float16_in_float32 = True
    promotes, float_output = (0,), True
    graph_saved = {"x": 0}

    def __init__(self, eps=None):
        self.eps = eps

    def forward(self, x):
        self.x = x
        xp = self.xp(x)
        p = x if self.eps is None else xp.clip(x, self.eps, 1 - self.eps)
        with np.errstate(divide="ignore", invalid="ignore"):
            return xp.log(p) - xp.log1p(-p)

    def backward(self, gy):
        xp, x = self.xp(gy), self.x
        values = x._array if hasattr(x, "grad_fn") else x
        with np.errstate(divide="ignore"):
            slope = 1 / (x * (1 - x))
        if self.eps is not None:
            return (passed_where(gy * slope, ~((values < self.eps) | (values > 1 - self.eps))),)
        return (gy * xp.where((values < 0) | (values > 1), np.nan, slope),)


class Hypot(Function):
    """y = sqrt(a^2 + b^2), without overflow or underflow in the squares (IEEE hypot: inf if
    either is infinite, even NaN).  dL/da = dL/dy * a / y, dL/db = dL/dy * b / y (0 at the origin,
    a subgradient, as for norms)."""

    float16_in_float32 = True
    promotes, float_output = (0, 1), True
    graph_saved = {"a": 0, "b": 1, "y": "output"}

    def forward(self, a, b):
        broadcast_shapes("hypot", a, b)
        self.a, self.b = a, b
        self.y = self.xp(a).hypot(a, b)
        return self.y

    def backward(self, gy):
        xp = self.xp(gy)
        origin = (self.y._array if hasattr(self.y, "grad_fn") else self.y) == 0
        safe = xp.where(origin, 1, self.y)
        ga = sum_to_shape(gy * xp.where(origin, 0, self.a / safe), self.a.shape) if self.needs_input_grad[0] else None
        gb = sum_to_shape(gy * xp.where(origin, 0, self.b / safe), self.b.shape) if self.needs_input_grad[1] else None
        return ga, gb


class FrexpMantissa(Function):
    """y = m, the mantissa of x = m 2^e (0.5 <= |m| < 1, e an integer; m = x and e = 0 at 0, inf and
    NaN). y = x 2^-e with e constant between powers of two, so dL/dx = dL/dy * 2^-e, as PyTorch's.
    The exponents are kept as ``exponent``."""

    graph_saved = {}

    def forward(self, x):
        xp = self.xp(x)
        mantissa, self.exponent = xp.frexp(x)
        self.scale = xp.ldexp(xp.ones_like(x), -self.exponent)
        return mantissa

    def backward(self, gy):
        return (gy * self.scale,)


class NextAfter(Function):
    """y = the next float after a in the direction of b (a itself where a = b), in a's dtype.
    A step of one unit in the last place, so y moves with a: dL/da = dL/dy, and dL/db = 0 (b only
    picks the direction), as PyTorch defines them (each summed to its shape)."""

    graph_saved = {}

    def forward(self, a, b):
        broadcast_shapes("nextafter", a, b)
        self.shapes = a.shape, b.shape
        return self.xp(a).nextafter(a, b)

    def backward(self, gy):
        ga = sum_to_shape(gy, self.shapes[0]) if self.needs_input_grad[0] else None
        gb = sum_to_shape(gy * 0, self.shapes[1]) if self.needs_input_grad[1] else None
        return ga, gb


class LogAddExp(Function):
    """y = log(e^a + e^b), computed as max(a, b) + log1p(e^-|a - b|) so nothing overflows (complex:
    m + log(e^(a - m) + e^(b - m)), m the larger real part).
    dL/da = dL/dy * e^(a - y) = dL/dy * sigmoid(a - b), dL/db = dL/dy * sigmoid(b - a) (the softmax
    of the pair: half each at a tie; conjugated for complex a, b). From the difference of the inputs,
    not from y: where a = b = 1e30, y rounds to a and e^(a - y) would be 1 for each."""

    float16_in_float32 = True
    supports_complex = True
    promotes, float_output = (0, 1), True
    graph_saved = {"a": 0, "b": 1, "y": "output"}

    def forward(self, a, b):
        broadcast_shapes("logaddexp", a, b)
        self.a, self.b = a, b
        xp = self.xp(a)
        if a.dtype.kind == "c":
            larger = xp.maximum(a.real, b.real)
            larger = xp.where(xp.isfinite(larger), larger, 0)
            self.y = larger + xp.log(xp.exp(a - larger) + xp.exp(b - larger))
        else:
            self.y = xp.logaddexp(a, b)
        return self.y

    def backward(self, gy):
        xp = self.xp(gy)
        if self.y.dtype.kind == "c":
            ga = sum_to_shape(gy * conj(xp.exp(self.a - self.y)), self.a.shape) if self.needs_input_grad[0] else None
            gb = sum_to_shape(gy * conj(xp.exp(self.b - self.y)), self.b.shape) if self.needs_input_grad[1] else None
            return ga, gb
        values = [v._array if hasattr(v, "grad_fn") else v for v in (self.a, self.b, self.y)]
        # where both are -inf (log 0 + log 0, as in CTC's recursion) y is -inf too: no share, not NaN;
        # where y = +inf the infinite inputs share it (one takes all, two take half each)
        nothing, infinite = values[2] == -np.inf, values[2] == np.inf
        infinities = (values[0] == np.inf).astype(values[2].dtype) + (values[1] == np.inf)
        ga = sum_to_shape(gy * self._share(xp, self.a, self.b, values[0], nothing, infinite, infinities),
                          self.a.shape) if self.needs_input_grad[0] else None
        gb = sum_to_shape(gy * self._share(xp, self.b, self.a, values[1], nothing, infinite, infinities),
                          self.b.shape) if self.needs_input_grad[1] else None
        return ga, gb

    def _share(self, xp, x, other, x_values, nothing, infinite, infinities):
        """sigmoid(x - other), computed only where y is finite; 0 where y = -inf; 1 / (how many inputs
        are +inf) for an infinite x where y = +inf, 0 for a finite one."""
        special = nothing | infinite
        with np.errstate(invalid="ignore"):
            difference = x - other
        at_infinity = xp.where(x_values == np.inf, 1 / xp.where(infinities > 0, infinities, 1), 0.0)
        finite_share = sigmoid_values(xp, xp.where(special, 0.0, difference))
        return xp.where(special, xp.where(infinite, at_infinity, 0.0), finite_share)
