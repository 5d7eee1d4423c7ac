"""Binary arithmetic with broadcasting: + - * / ** @, and unary minus.

Broadcasting rule for every backward here: if x was broadcast to the output's shape in the
forward pass, each element of x fed several outputs, so dL/dx sums the incoming gradient
over the broadcast axes (``sum_to_shape``).
"""
import numpy as np

from ..errors import InputError
from .. import parallel
from ..broadcasting import broadcast_shape
from ..autograd import Function
from .complex import conj


def sum_to_shape(grad, shape):
    """Sum ``grad`` over the axes that broadcasting added or stretched to reach ``shape``."""
    if tuple(grad.shape) == tuple(shape):
        return grad
    leading = grad.ndim - len(shape)
    axes = tuple(range(leading)) + tuple(
        leading + i for i, size in enumerate(shape) if size == 1 and grad.shape[leading + i] != 1
    )
    return grad.sum(axis=axes, keepdims=True).reshape(shape) if axes else grad.reshape(shape)


def broadcast_shapes(name, a, b):
    """The shape arrays ``a`` and ``b`` broadcast to, or PyTorch's error naming the op ``name``."""
    if a.shape == b.shape or not b.ndim:  # (no broadcasting to check: the common case, taken at once)
        return a.shape
    return broadcast_shape(name, a.shape, b.shape)


class Add(Function):
    """y = a + b.  dL/da = dL/dy, dL/db = dL/dy (each summed back to its own shape)."""

    supports_complex = True
    promotes = (0, 1)
    graph_saved = {}

    def forward(self, a, b):
        broadcast_shapes("add", a, b)
        self.a_shape, self.b_shape = a.shape, b.shape
        return a + b

    def backward(self, gy):
        return sum_to_shape(gy, self.a_shape), sum_to_shape(gy, self.b_shape)


class Sub(Function):
    """y = a - b.  dL/da = dL/dy, dL/db = -dL/dy."""

    supports_complex = True
    promotes = (0, 1)
    graph_saved = {}

    def __call__(self, a, b):
        # PyTorch refuses bools here (before promotion would turn one into integers): a mask's "1 - m"
        # is better said as ~m, and NumPy refuses two bools with an error of its own
        bools = (a.dtype == np.bool_) + (b.dtype == np.bool_)
        if bools == 2:
            raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not supported. Use the `^` "
                               "or `logical_xor()` operator instead.")
        if bools:
            raise RuntimeError("Subtraction, the `-` operator, with a bool tensor is not supported. If you are trying "
                               "to invert a mask, use the `~` or `logical_not()` operator instead.")
        return super().__call__(a, b)

    def forward(self, a, b):
        broadcast_shapes("sub", a, b)
        self.a_shape, self.b_shape = a.shape, b.shape
        return a - b

    def backward(self, gy):
        gb = sum_to_shape(-gy, self.b_shape) if self.needs_input_grad[1] else None
        return sum_to_shape(gy, self.a_shape), gb


class Mul(Function):
    """y = a * b.  dL/da = dL/dy * b, dL/db = dL/dy * a."""

    supports_complex = True
    promotes = (0, 1)
    graph_saved = {"a": 0, "b": 1}

    def forward(self, a, b):
        broadcast_shapes("mul", a, b)
        # Each input is kept only for the other's gradient, so ``y = x * 2`` keeps nothing of x and a
        # later in-place write into x (tinynn/autograd/in_place.py) leaves this backward valid.
        self.a = a if self.needs_input_grad[1] else None
        self.b = b if self.needs_input_grad[0] else None
        self.a_shape, self.b_shape = a.shape, b.shape
        return a * b

    def backward(self, gy):
        ga = sum_to_shape(gy * conj(self.b), self.a_shape) if self.needs_input_grad[0] else None
        gb = sum_to_shape(gy * conj(self.a), self.b_shape) if self.needs_input_grad[1] else None
        return ga, gb


class Div(Function):
    """y = a / b.  dL/da = dL/dy / b, dL/db = -dL/dy * a / b^2, computed as (a / b) / b: b^2 would
    underflow to 0 or overflow for |b| beyond 1e+-19 in float32 (0 / 0 = NaN at a = 0, b = 1e-30)."""

    supports_complex = True
    promotes, float_output = (0, 1), True
    graph_saved = {"a": 0, "b": 1}

    def forward(self, a, b):
        broadcast_shapes("div", a, b)
        self.a = a if self.needs_input_grad[1] else None  # only b's gradient reads a (as in Mul)
        self.b = b
        self.a_shape = a.shape
        return a / b

    def backward(self, gy):
        ga = sum_to_shape(gy / conj(self.b), self.a_shape) if self.needs_input_grad[0] else None
        gb = (sum_to_shape(-gy * conj(self.a / self.b / self.b), self.b.shape)
              if self.needs_input_grad[1] else None)
        return ga, gb


def integer_power(xp, a, b):
    """a ** b for integers where some b < 0 (NumPy refuses those): 1 / a^|b| truncated towards zero,
    as PyTorch computes it, so 1 for a = 1, +-1 for a = -1 and 0 otherwise (0 too for a = 0)."""
    y = a ** xp.where(b < 0, 0, b)
    reciprocal = xp.where(a == 1, 1, xp.where(a == -1, 1 - 2 * (xp.abs(b) % 2), 0))
    return xp.where(b < 0, reciprocal, y).astype(y.dtype, copy=False)


class Pow(Function):
    """y = a ** b.  dL/da = dL/dy * b * a^(b-1) (0 where b = 0), dL/db = dL/dy * a^b * log(a) (for a > 0)."""

    supports_complex = True
    promotes = (0, 1)
    graph_saved = {"a": 0, "b": 1, "y": "output"}

    def forward(self, a, b):
        broadcast_shapes("pow", a, b)
        self.a, self.b = a, b
        if a.dtype == b.dtype == np.bool_:  # bools stay bools, as in PyTorch (NumPy gives int8): 1 unless a = 0 < b
            self.y = a | ~b
        elif a.dtype.kind in "iu" and (b < 0).any():
            self.y = integer_power(self.xp(a), a, b)
        else:
            self.y = a ** b
        return self.y

    def backward(self, gy):
        xp = self.xp(gy)
        ga = gb = None
        if self.needs_input_grad[0]:
            # b a^(b-1), and 0 where b = 0 (x^0 is constant; PyTorch masks it so a = 0 gives 0, not 0 * inf)
            slope = xp.where(self.b == 0, 0, self.b * self.a ** (self.b - 1))
            ga = sum_to_shape(gy * conj(slope), self.a.shape)
        if self.needs_input_grad[1]:
            # a^b log a: 0 where a = 0 and b >= 0 (a^b is 0 or 1 there), as PyTorch; -inf for a = 0 > b,
            # NaN for a < 0 (no real derivative)
            constant = (self.a == 0) & (self.b >= 0)
            with np.errstate(divide="ignore", invalid="ignore"):
                slope = self.y * xp.log(xp.where(constant, 1, self.a))
            gb = sum_to_shape(gy * conj(xp.where(constant, 0, slope)), self.b.shape)
        return ga, gb


class Modulo(Function):
    """The floating-point remainder r of a / b, exact (IEEE): with ``floor``, r = a - b floor(a/b)
    with b's sign (Python's %, torch.remainder), else r = a - b trunc(a/b) with a's sign (C's fmod).
    dL/da = dL/dy, dL/db = -dL/dy * q with q the quotient rounded the same way (for the floor,
    Python's exact floor division, so q is right even where a / b rounds to the next integer)."""

    promotes = (0, 1)
    graph_saved = {}

    def __init__(self, floor):
        self.floor = floor

    def forward(self, a, b):
        broadcast_shapes("remainder" if self.floor else "fmod", a, b)
        xp = self.xp(a)
        self.a_shape, self.b_shape = a.shape, b.shape
        if self.needs_input_grad[1]:
            self.quotient = xp.floor_divide(a, b) if self.floor else xp.trunc(a / b)
        return xp.remainder(a, b) if self.floor else xp.fmod(a, b)

    def backward(self, gy):
        ga = sum_to_shape(gy, self.a_shape) if self.needs_input_grad[0] else None
        gb = sum_to_shape(-gy * self.quotient, self.b_shape) if self.needs_input_grad[1] else None
        return ga, gb


class Neg(Function):
    """y = -x.  dL/dx = -dL/dy."""

    supports_complex = True
    graph_saved = {}

    def forward(self, x):
        if x.dtype == np.bool_:  # (NumPy's own error would name NumPy and its operator)
            raise RuntimeError("Negation, the `-` operator, on a bool tensor is not supported. If you are trying to "
                               "invert a mask, use the `~` or `logical_not()` operator instead.")
        return -x

    def backward(self, gy):
        return (-gy,)


class MatMul(Function):
    """Y = A @ B for A (..., n, k), B (..., k, m) -> Y (..., n, m); batch axes broadcast.

    dL/dA = dL/dY @ B^T  (..., n, k),   dL/dB = A^T @ dL/dY  (..., k, m),
    each summed over batch axes that were broadcast. 1-D operands are handled by the
    Tensor-level ``matmul`` (reshaped to matrices around this op), as NumPy defines them.
    """

    supports_complex = True
    promotes = (0, 1)
    graph_saved = {"a": 0, "b": 1}

    def forward(self, a, b):
        if a.shape[-1] != b.shape[-2]:
            raise InputError(
                f"matmul: shapes {tuple(a.shape)} and {tuple(b.shape)} are not aligned: "
                f"{a.shape[-1]} (last axis of the first) != {b.shape[-2]} (second-to-last of the second)"
            )
        try:
            np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
        except ValueError:
            raise InputError(
                f"matmul: batch shapes of {tuple(a.shape)} and {tuple(b.shape)} cannot be broadcast"
            ) from None
        self.a, self.b = a, b
        return parallel.matmul(a, b)  # on the CPU, cut into blocks for tinynn's threads

    def backward(self, gy):
        ga = gb = None
        if self.needs_input_grad[0]:
            ga = sum_to_shape(parallel.matmul(gy, conj(self.b.swapaxes(-1, -2))), self.a.shape)
        if self.needs_input_grad[1]:
            gb = sum_to_shape(parallel.matmul(conj(self.a.swapaxes(-1, -2)), gy), self.b.shape)
        return ga, gb
