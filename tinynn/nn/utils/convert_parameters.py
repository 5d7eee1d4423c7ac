"""``parameters_to_vector`` and ``vector_to_parameters``: all parameters as one flat vector and
back, as in ``torch.nn.utils`` (for optimisers written by hand, line searches, or inspecting a model)."""
from ...errors import InputError
from ...tensor import Tensor, concatenate


def parameters_to_vector(parameters):
    """The parameters laid end to end as one 1-D tensor (differentiable: the chain rule reaches each
    parameter)."""
    parameters = list(parameters)
    if not parameters:
        raise InputError("parameters_to_vector: got no parameters")
    devices = {param.device for param in parameters}
    if len(devices) > 1:
        raise RuntimeError(f"parameters_to_vector: the parameters are on several devices ({', '.join(sorted(devices))})")
    return concatenate([param.reshape(-1) for param in parameters])


def vector_to_parameters(vec, parameters):
    """Copy consecutive pieces of the 1-D ``vec`` into the parameters, in place (no gradient is recorded)."""
    if not isinstance(vec, Tensor) or vec.ndim != 1:
        raise TypeError(f"vector_to_parameters: expected a 1-D Tensor, got {type(vec).__name__}"
                        + (f" of shape {tuple(vec.shape)}" if isinstance(vec, Tensor) else ""))
    parameters = list(parameters)
    total = sum(param.numel() for param in parameters)
    if vec.numel() != total:
        raise InputError(f"vector_to_parameters: the vector has {vec.numel()} values, the parameters {total}")
    start = 0
    for param in parameters:
        if param.device != vec.device:
            raise RuntimeError(f"vector_to_parameters: the vector is on {vec.device}, a parameter on {param.device}")
        param._array[...] = vec._array[start:start + param.numel()].reshape(param.shape)
        start += param.numel()
