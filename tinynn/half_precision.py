"""float16 ops that PyTorch computes in float32: normalisations, softmax, averages, norms and
distances, and the losses that average over rows.

PyTorch's kernels add up float16 values in float32 (its "opmath" type for half) and round the
result back to float16 once. Done in float16 itself, anything divided by a count above 65,504 is
divided by inf: a batch norm over more values per channel gave NaN, a cross-entropy averaged over
more rows NaN, a 256 x 256 average pooling NaN; a softmax over a row of 100,000 summed past
float16's range, and a layer norm over a long row its squares. The ops decorated here cast their float16 tensor
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
        input_name = next(iter(signature.parameters))

        @functools.wraps(function)
        def in_float32(*args, **kwargs):
            first = args[0] if args else kwargs.get(input_name)
            if not (isinstance(first, Tensor) and first.dtype == np.float16):
                return function(*args, **kwargs)
            bound = signature.bind(*args, **kwargs)
            if bound.arguments.get("dtype") is not None:  # the caller chose the dtype to compute in
                return function(*args, **kwargs)
            for name in names:
                value = bound.arguments.get(name)
                if isinstance(value, Tensor) and value.dtype == np.float16:
                    bound.arguments[name] = value.float()
            return function(*bound.args, **bound.kwargs).half()
        return in_float32
    return decorate
