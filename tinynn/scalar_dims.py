"""The one dimension of a 0-d tensor, as PyTorch has it.

PyTorch lets an op that takes ``dim`` work on a 0-d tensor with ``dim`` 0 or -1, as if the scalar were a
vector of one element, and returns a 0-d result: ``loss.sum(0)``, ``x.softmax(-1)``, ``x.max(0)``,
``x.sort(0)``, ``x.flip(0)``, ``x.transpose(0, -1)``. Any other ``dim`` is its IndexError "Dimension out of
range (expected to be in range of [-1, 0], ...)". NumPy has no such dimension (``axis=0`` of a 0-d array
is an error), so ``accepting_scalar_dims`` wraps those ops once: a 0-d input runs as its one-element
reshape with the dims set to 0, and each one-element result is reshaped back to 0-d. Every other input
goes straight to the op.
"""
import functools
import inspect


def accepting_scalar_dims(function, dim_parameters, implicit=False, indices=()):
    """``function(input, ...)`` that also takes dim 0 or -1 (in any of ``dim_parameters``) for a 0-d
    ``input``; ``implicit``: a dim left as None also runs on the one-element reshape (softmax's implicit dim);
    ``indices``: parameters holding index tensors of the input's rank (gather's), reshaped with it."""
    signature = inspect.signature(function)
    first = next(iter(signature.parameters))
    name = function.__name__

    @functools.wraps(function)
    def wrapper(input, *args, **kwargs):
        if getattr(input, "ndim", 1) != 0:
            return function(input, *args, **kwargs)
        bound = signature.bind(input, *args, **kwargs)
        bound.apply_defaults()  # (sort's and topk's dim is -1 when not given)
        given = {parameter: bound.arguments[parameter] for parameter in dim_parameters
                 if _is_dims(bound.arguments.get(parameter))}
        if not given and not implicit:
            return function(input, *args, **kwargs)
        for parameter, dims in given.items():
            many = isinstance(dims, (tuple, list))
            for dim in dims if many else (dims,):
                if dim not in (0, -1):
                    raise IndexError(f"{name}: Dimension out of range (expected to be in range of [-1, 0], but got {dim})")
            bound.arguments[parameter] = tuple(0 for _ in dims) if many else 0
        bound.arguments[first] = input.reshape(1)
        for parameter in indices:
            if getattr(bound.arguments.get(parameter), "ndim", None) == 0:
                bound.arguments[parameter] = bound.arguments[parameter].reshape(1)
        return _as_scalars(function(*bound.args, **bound.kwargs))
    return wrapper


def _is_dims(value):
    """An int or a non-empty tuple/list of ints (not None, nor a tensor: ``x.max(other)``)."""
    if isinstance(value, (tuple, list)):
        return bool(value) and all(_is_dims(item) for item in value)
    return hasattr(type(value), "__index__") and not hasattr(value, "shape")


def _as_scalars(result):
    """One-element tensors (alone, or in a tuple such as (values, indices)) reshaped to 0-d."""
    if isinstance(result, tuple):  # a plain tuple, or a named result such as (values, indices)
        parts = [_as_scalars(part) for part in result]
        return tuple(parts) if type(result) is tuple else type(result)(*parts)
    if hasattr(result, "reshape") and getattr(result, "ndim", 0) == 1 and result.shape[0] == 1:
        return result.reshape(())
    return result
