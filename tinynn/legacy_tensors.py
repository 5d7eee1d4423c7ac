"""PyTorch's legacy typed constructors, which older code still writes: ``tinynn.FloatTensor([1, 2])``
(values), ``tinynn.LongTensor(3, 4)`` (sizes: zeros, where PyTorch's memory is uninitialised), and
``isinstance(x, tinynn.FloatTensor)`` (a CPU tensor of that dtype), with the names ``Tensor.type()`` gives."""
import numpy as np

from . import backend
from .tensor import Tensor, legacy_shape, tensor, zeros


class _TypedTensor(type):
    """The metaclass: calling one of these classes makes a Tensor of its dtype; isinstance checks the dtype."""

    def __call__(cls, *data, device=None):
        shape = legacy_shape(data)
        if shape is not None:
            return zeros(*shape, dtype=cls.dtype, device=device)
        if len(data) != 1:
            raise TypeError(f"{cls.__name__}: expected sizes (ints) or one array-like of values, got {len(data)} "
                            f"arguments")
        return tensor(data[0], dtype=cls.dtype, device=device)

    def __instancecheck__(cls, value):
        return isinstance(value, Tensor) and value.dtype == cls.dtype and value.device == backend.CPU


def _typed(name, dtype):
    return _TypedTensor(name, (), {"dtype": np.dtype(dtype), "__doc__": f"A {np.dtype(dtype)} tensor (legacy)."})


FloatTensor, DoubleTensor, HalfTensor = _typed("FloatTensor", np.float32), _typed("DoubleTensor", np.float64), \
    _typed("HalfTensor", np.float16)
LongTensor, IntTensor, ShortTensor = _typed("LongTensor", np.int64), _typed("IntTensor", np.int32), \
    _typed("ShortTensor", np.int16)
CharTensor, ByteTensor, BoolTensor = _typed("CharTensor", np.int8), _typed("ByteTensor", np.uint8), \
    _typed("BoolTensor", np.bool_)

__all__ = ["FloatTensor", "DoubleTensor", "HalfTensor", "LongTensor", "IntTensor", "ShortTensor", "CharTensor",
           "ByteTensor", "BoolTensor"]
