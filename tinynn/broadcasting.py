"""Broadcasting's shape rule, with PyTorch's error where shapes do not broadcast.

The rule (NumPy's and PyTorch's): align the shapes at their last axis; along each axis the sizes
must be equal, or one of them 1 (stretched), or missing (a new leading axis). (2, 3) and (3,)
broadcast to (2, 3); (2, 3) and (4,) do not, and the error says which sizes clash where:
``the size of tensor a (3) must match the size of tensor b (4) at non-singleton dimension 1``.

Most ops check nothing before NumPy computes; ``checked`` turns NumPy's ValueError (which names
neither the op nor the tensors) into that error after the fact, so the check costs nothing on the
way through.
"""
from .errors import InputError


def broadcast_shape(name, *shapes):
    """The shape ``shapes`` broadcast to; where they do not, an InputError naming ``name`` and the
    clash nearest the last axis (PyTorch's)."""
    result = ()
    for position, shape in enumerate(shapes):
        shape = tuple(shape)
        if shape == result or not shape:
            continue
        ndim = max(len(result), len(shape))
        sizes_a = (1,) * (ndim - len(result)) + result
        sizes_b = (1,) * (ndim - len(shape)) + shape
        for axis in reversed(range(ndim)):  # (from the last axis, as PyTorch reports the clash)
            a, b = sizes_a[axis], sizes_b[axis]
            if a != b and a != 1 and b != 1:
                raise InputError(
                    f"{name}: the size of tensor a ({a}) must match the size of tensor b ({b}) at non-singleton "
                    f"dimension {axis} (shapes {', '.join(str(tuple(s)) for s in shapes[:position + 1])})")
        result = tuple(b if a == 1 else a for a, b in zip(sizes_a, sizes_b))
    return result


def check_expands(name, shape, target):
    """An InputError unless a tensor of ``shape`` broadcasts to exactly ``target`` (as a value written
    into a tensor of that shape must: ``x[0] = values``, ``x.copy_(values)``)."""
    shape, target = tuple(shape), tuple(target)
    if len(shape) > len(target) and any(size != 1 for size in shape[:len(shape) - len(target)]):
        raise InputError(f"{name}: a tensor of shape {shape} cannot be written into one of shape {target} "
                         f"(it has more non-singleton dimensions)")
    for axis in range(1, min(len(shape), len(target)) + 1):
        if shape[-axis] not in (1, target[-axis]):
            raise InputError(
                f"{name}: the expanded size of the tensor ({target[-axis]}) must match the existing size "
                f"({shape[-axis]}) at non-singleton dimension {len(target) - axis}. Target sizes: {list(target)}. "
                f"Tensor sizes: {list(shape)}")


def checked(name, function, *operands, **options):
    """``function(*operands, **options)`` (a NumPy or CuPy function of arrays); where it refuses the
    operands' shapes, ``broadcast_shape``'s error naming ``name`` instead of NumPy's."""
    try:
        return function(*operands, **options)
    except ValueError:
        broadcast_shape(name, *(getattr(operand, "shape", ()) for operand in operands))
        raise
