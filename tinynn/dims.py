"""A ``dim`` argument checked against the tensor it names an axis of, as PyTorch checks it.

Negative dims count from the end (-1 the last axis). A dim beyond the tensor's axes is PyTorch's
IndexError "Dimension out of range (expected to be in range of [-2, 1], but got 5)", never a dim taken
modulo the number of axes, which would name another axis without a word. A 0-d tensor takes 0 and -1
(see scalar_dims.py).
"""
import operator

import numpy as np


def wrap_dim(dim, ndim):
    """``dim`` (an int: a Python or NumPy one, or a 0-d integer tensor, as PyTorch takes them) as an axis
    in [0, ndim), or the IndexError where a tensor of ``ndim`` axes has no such axis."""
    size = max(ndim, 1)
    if not isinstance(dim, (int, np.integer, bool, np.bool_)) and hasattr(type(dim), "__index__"):
        try:
            dim = operator.index(dim)
        except TypeError:
            pass
    if isinstance(dim, (bool, np.bool_)) or not isinstance(dim, (int, np.integer)) or not -size <= dim < size:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-size}, {size - 1}], but got {dim})")
    return int(dim) % size


def dim_tuple(dims):
    """``dims`` as a tuple: several dims (a list or tuple) as they are, one dim (of any int type) alone."""
    return tuple(dims) if isinstance(dims, (list, tuple, range)) else (dims,)
