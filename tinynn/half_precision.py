"""float16 ops that PyTorch computes in float32: the normalisations.

PyTorch's kernels add up float16 values in float32 (its "opmath" type for half) and round the
result back to float16 once. Done in float16 itself, a batch norm over more than 65,504 values per
channel divides by a count that is inf in float16 (its mean is 0, its output NaN), and a layer norm
over a long row sums squares past float16's range. The ops decorated here cast their float16 tensor
arguments to float32 (recorded casts: the gradients come back in float16) and their result to
float16; other dtypes pass untouched, for the price of one dtype check.
"""
import functools
import inspect

import numpy as np

from .tensor import Tensor


def computed_in_float32(*names):
    """Decorate a functional op whose first argument is its input: where that is float16, the float16
    tensors among the arguments ``names`` are cast to float32 for the computation, and the result back.
    (Arguments left out, such as running statistics updated in place, keep their dtype.)"""
    def decorate(function):
        signature = inspect.signature(function)

        @functools.wraps(function)
        def in_float32(*args, **kwargs):
            first = args[0] if args else next(iter(kwargs.values()), None)
            if not (isinstance(first, Tensor) and first.dtype == np.float16):
                return function(*args, **kwargs)
            bound = signature.bind(*args, **kwargs)
            for name in names:
                value = bound.arguments.get(name)
                if isinstance(value, Tensor) and value.dtype == np.float16:
                    bound.arguments[name] = value.float()
            return function(*bound.args, **bound.kwargs).half()
        return in_float32
    return decorate
