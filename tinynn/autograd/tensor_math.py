"""``TensorMath``: what ``xp`` stands for in a backward formula that runs on Tensors.

An op's backward computes with ``xp = self.xp(gy)``: NumPy or CuPy on arrays. Under
``create_graph`` the engine passes dL/dy as a Tensor, and then ``xp`` is a ``TensorMath``, whose
functions record Tensor ops when they are given a Tensor, so the gradient the formula builds is
itself differentiable. Given only arrays (a mask, a constant) they compute on arrays as before.
Any other NumPy/CuPy name (``zeros``, ``float32``, ``isfinite``...) is the array module's own, and
refuses Tensors: a computation that would leave the graph is an error, not a silently constant
second derivative.
"""
from ..dims import wrap_dim


def _tensor_type():
    from ..tensor import Tensor

    return Tensor


def _any_tensor(values):
    tensor = _tensor_type()
    return any(isinstance(value, tensor) for value in values)


class TensorMath:
    def __init__(self, array_module):
        self.array_module = array_module

    @staticmethod
    def tensor_type():
        return _tensor_type()

    def _unary(self, name, x):
        return getattr(x, name)() if isinstance(x, _tensor_type()) else getattr(self.array_module, name)(x)

    def exp(self, x):
        return self._unary("exp", x)

    def log(self, x):
        return self._unary("log", x)

    def expm1(self, x):
        return self._unary("expm1", x)

    def log1p(self, x):
        return self._unary("log1p", x)

    def sqrt(self, x):
        return self._unary("sqrt", x)

    def tanh(self, x):
        return self._unary("tanh", x)

    def sin(self, x):
        return self._unary("sin", x)

    def cos(self, x):
        return self._unary("cos", x)

    def sinh(self, x):
        return self._unary("sinh", x)

    def cosh(self, x):
        return self._unary("cosh", x)

    def abs(self, x):
        return self._unary("abs", x)

    def sign(self, x):
        """sign(x), a constant (its derivative is 0 wherever it is defined)."""
        return self.array_module.sign(x._array if isinstance(x, _tensor_type()) else x)

    def where(self, condition, a, b):
        from ..tensor import where

        condition = condition._array if isinstance(condition, _tensor_type()) else condition
        return where(condition, a, b) if _any_tensor((a, b)) else self.array_module.where(condition, a, b)

    def logaddexp(self, a, b):
        from ..tensor_functions import logaddexp

        return logaddexp(a, b) if _any_tensor((a, b)) else self.array_module.logaddexp(a, b)

    def stack(self, arrays, axis=0):
        if not _any_tensor(arrays):
            return self.array_module.stack(arrays, axis=axis)
        from ..tensor import Tensor, stack

        return stack([x if isinstance(x, Tensor) else Tensor._from_op(x, False) for x in arrays], axis)

    def maximum(self, a, b):
        from ..tensor import maximum

        return maximum(a, b) if _any_tensor((a, b)) else self.array_module.maximum(a, b)

    def minimum(self, a, b):
        from ..tensor import minimum

        return minimum(a, b) if _any_tensor((a, b)) else self.array_module.minimum(a, b)

    def clip(self, x, low, high):
        return x.clip(low, high) if isinstance(x, _tensor_type()) else self.array_module.clip(x, low, high)

    def broadcast_to(self, x, shape):
        return x.expand(tuple(shape)) if isinstance(x, _tensor_type()) else self.array_module.broadcast_to(x, shape)

    def cumsum(self, x, axis):
        return x.cumsum(axis) if isinstance(x, _tensor_type()) else self.array_module.cumsum(x, axis=axis)

    def split(self, x, boundaries, axis):
        if not isinstance(x, _tensor_type()):
            return self.array_module.split(x, boundaries, axis=axis)
        before, edges = (slice(None),) * wrap_dim(axis, x.ndim), [0] + list(boundaries) + [x.shape[axis]]
        return [x[before + (slice(start, end),)] for start, end in zip(edges[:-1], edges[1:])]

    def take(self, x, index, axis):
        """x's entry ``index`` along ``axis`` (an int), as ``numpy.take``: a new array, not a view."""
        if not isinstance(x, _tensor_type()):
            return self.array_module.take(x, index, axis=axis)
        return x[(slice(None),) * wrap_dim(axis, x.ndim) + (index,)]

    def cumprod(self, x, axis):
        if not isinstance(x, _tensor_type()):
            return self.array_module.cumprod(x, axis=axis)
        from ..tensor_functions import cumprod

        return cumprod(x, axis)

    def tril(self, x, k=0):
        return x.tril(k) if isinstance(x, _tensor_type()) else self.array_module.tril(x, k)

    def triu(self, x, k=0):
        return x.triu(k) if isinstance(x, _tensor_type()) else self.array_module.triu(x, k)

    def concatenate(self, arrays, axis=0):
        if not _any_tensor(arrays):
            return self.array_module.concatenate(arrays, axis=axis)
        from ..tensor import Tensor, concatenate

        return concatenate([x if isinstance(x, Tensor) else Tensor._from_op(x, False) for x in arrays], axis)

    def einsum(self, equation, *operands):
        if not _any_tensor(operands):
            return self.array_module.einsum(equation, *operands)
        from ..ops.einsum import einsum
        from ..tensor import Tensor

        return einsum(equation, *(x if isinstance(x, Tensor) else Tensor._from_op(x, False) for x in operands))

    def __getattr__(self, name):
        attribute = getattr(self.array_module, name)
        if not callable(attribute) or isinstance(attribute, type):
            return attribute

        def on_arrays(*args, **kwargs):
            if _any_tensor(args) or _any_tensor(kwargs.values()):
                raise TypeError(f"create_graph: xp.{name} has no recorded Tensor version, so this backward "
                                "formula cannot be differentiated")
            return attribute(*args, **kwargs)

        return on_arrays
