"""A ``dim`` argument checked against the tensor it names an axis of, as PyTorch checks it.

Negative dims count from the end (-1 the last axis). A dim beyond the tensor's axes is PyTorch's
IndexError "Dimension out of range (expected to be in range of [-2, 1], but got 5)", never a dim taken
modulo the number of axes, which would name another axis without a word. A 0-d tensor takes 0 and -1
(see scalar_dims.py).
"""
import numpy as np


def wrap_dim(dim, ndim):
    """``dim`` as an axis in [0, ndim), or the IndexError where a tensor of ``ndim`` axes has no such axis."""
    size = max(ndim, 1)
    if isinstance(dim, (bool, np.bool_)) or not isinstance(dim, (int, np.integer)) or not -size <= dim < size:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-size}, {size - 1}], but got {dim})")
    return int(dim) % size
