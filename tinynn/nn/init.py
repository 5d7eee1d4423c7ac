"""Weight initialisation, matching PyTorch's defaults so that models start from the same distribution.

All draws come from tinynn's seeded generator (``tinynn.manual_seed``), or from the ``generator``
given (a ``tinynn.Generator``), on the CPU, then move to the tensor's device, so a seed gives the
same initial weights on CPU and GPU.
"""
import functools
import math
import warnings

import numpy as np

from .. import backend, draw_checks, random
from ..autograd import in_place, no_grad
from ..tensor import expect_tensor


def calculate_fan_in_and_fan_out(tensor):
    """(fan_in, fan_out) of a weight (out, in, *kernel): in and out times the kernel's size."""
    expect_tensor(tensor, "calculate_fan_in_and_fan_out", "tensor")
    if tensor.ndim < 2:
        raise ValueError(f"fan in and fan out need a tensor with at least 2 dimensions, got shape {tuple(tensor.shape)}")
    receptive_field = int(np.prod(tensor.shape[2:])) if tensor.ndim > 2 else 1
    return tensor.shape[1] * receptive_field, tensor.shape[0] * receptive_field


def _is_empty(tensor):
    """True, with PyTorch's warning, for a weight with a zero size (a layer of no inputs or outputs),
    whose fan may be 0: there is nothing to draw."""
    if 0 in tensor.shape:
        warnings.warn("Initializing zero-element tensors is a no-op", UserWarning, stacklevel=4)
        return True
    return False


# PyTorch's private name, which code outside it calls (custom reset_parameters, bias bounds)
_calculate_fan_in_and_fan_out = calculate_fan_in_and_fan_out


def _calculate_correct_fan(tensor, mode):
    """fan_in or fan_out (``mode``), as PyTorch's helper of the same name."""
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"mode must be 'fan_in' or 'fan_out', got {mode!r}")
    return calculate_fan_in_and_fan_out(tensor)[0 if mode == "fan_in" else 1]


LINEAR_LIKE = ("linear", "identity", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
               "conv_transpose3d", "sigmoid")


def calculate_gain(nonlinearity, param=None):
    """PyTorch's recommended gains: the factor that keeps activations' variance through the layer."""
    if nonlinearity in LINEAR_LIKE:
        return 1.0
    if nonlinearity == "selu":
        return 3.0 / 4
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is not None and (isinstance(param, bool) or not isinstance(param, (int, float))):
            raise ValueError(f"calculate_gain: negative_slope {param!r} is not a valid number")
        slope = 0.01 if param is None else param
        return math.sqrt(2.0 / (1 + slope ** 2))
    raise ValueError(f"calculate_gain: unsupported nonlinearity {nonlinearity!r}")


def _takes_a_tensor(initialise):
    """``initialise``, refusing anything but a Tensor (its ``.data`` included, as PyTorch code passes
    ``nn.init.normal_(m.weight.data, 0.0, 0.02)``) with PyTorch's TypeError naming what it got."""
    @functools.wraps(initialise)
    def initialise_tensor(tensor, *args, **kwargs):
        expect_tensor(tensor, initialise.__name__, "tensor")
        return initialise(tensor, *args, **kwargs)
    return initialise_tensor


def _fill(tensor, values):
    with no_grad():
        tensor._array[...] = backend.to_device(values.astype(tensor.dtype), tensor.device)
    in_place.overwritten(tensor._array, f"nn.init filled a tensor of shape {tuple(tensor.shape)}")
    return tensor


@_takes_a_tensor
def uniform_(tensor, a=0.0, b=1.0, generator=None):
    """U(a, b) draws; for a complex tensor its real and imaginary parts each, as PyTorch's."""
    draw_checks.check_dtype("uniform_", tensor.dtype, draw_checks.FLOATS_OR_COMPLEX)
    draw_checks.check_interval("uniform_", a, b, tensor.dtype)
    draw = random.numpy_generator(generator).uniform
    if tensor.dtype.kind == "c":
        return _fill(tensor, draw(a, b, size=tensor.shape) + 1j * draw(a, b, size=tensor.shape))
    return _fill(tensor, draw(a, b, size=tensor.shape))


@_takes_a_tensor
def normal_(tensor, mean=0.0, std=1.0, generator=None):
    """N(mean, std^2) draws; for a complex tensor its real and imaginary parts each N(mean, std^2 / 2),
    so E|z - mean (1 + i)|^2 = std^2, as PyTorch's."""
    draw_checks.check_dtype("normal_", tensor.dtype, draw_checks.FLOATS_OR_COMPLEX)
    draw_checks.check_non_negative_std("normal", std)
    draw = random.numpy_generator(generator).normal
    if tensor.dtype.kind == "c":
        part = std / math.sqrt(2)
        return _fill(tensor, draw(mean, part, size=tensor.shape) + 1j * draw(mean, part, size=tensor.shape))
    return _fill(tensor, draw(mean, std, size=tensor.shape))


@_takes_a_tensor
def constant_(tensor, val):
    with no_grad():
        tensor._array[...] = val
    in_place.overwritten(tensor._array, f"nn.init filled a tensor of shape {tuple(tensor.shape)}")
    return tensor


@_takes_a_tensor
def zeros_(tensor):
    return constant_(tensor, 0.0)


@_takes_a_tensor
def ones_(tensor):
    return constant_(tensor, 1.0)


@_takes_a_tensor
def kaiming_uniform_(tensor, a=0.0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    """U(-bound, bound) with bound = gain * sqrt(3 / fan).  PyTorch's Conv2d and Linear use a=sqrt(5),
    which gives bound = 1 / sqrt(fan_in)."""
    if _is_empty(tensor):
        return tensor
    bound = calculate_gain(nonlinearity, a) * math.sqrt(3.0 / _calculate_correct_fan(tensor, mode))
    return uniform_(tensor, -bound, bound, generator)


@_takes_a_tensor
def kaiming_normal_(tensor, a=0.0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    if _is_empty(tensor):
        return tensor
    std = calculate_gain(nonlinearity, a) / math.sqrt(_calculate_correct_fan(tensor, mode))
    return normal_(tensor, 0.0, std, generator)


@_takes_a_tensor
def xavier_uniform_(tensor, gain=1.0, generator=None):
    fan_in, fan_out = calculate_fan_in_and_fan_out(tensor)
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform_(tensor, -bound, bound, generator)


@_takes_a_tensor
def xavier_normal_(tensor, gain=1.0, generator=None):
    """N(0, std^2) with std = gain * sqrt(2 / (fan_in + fan_out)) (Glorot and Bengio)."""
    fan_in, fan_out = calculate_fan_in_and_fan_out(tensor)
    return normal_(tensor, 0.0, gain * math.sqrt(2.0 / (fan_in + fan_out)), generator)


@_takes_a_tensor
def trunc_normal_(tensor, mean=0.0, std=1.0, a=-2.0, b=2.0, generator=None):
    """N(mean, std^2) restricted to [a, b] (absolute bounds, as PyTorch): values outside are drawn
    again until none is left, which is exactly the truncated distribution."""
    if not a < b:
        raise ValueError(f"trunc_normal_: expected a < b, got a={a}, b={b}")
    generator = random.numpy_generator(generator)
    values = generator.normal(mean, std, size=tensor.shape)
    outside = (values < a) | (values > b)
    while outside.any():
        values[outside] = generator.normal(mean, std, size=int(outside.sum()))
        outside = (values < a) | (values > b)
    return _fill(tensor, values)


@_takes_a_tensor
def orthogonal_(tensor, gain=1.0, generator=None):
    """A (semi-)orthogonal matrix (Saxe et al.): the tensor seen as (rows, everything else) gets
    orthonormal rows or columns, whichever are fewer, times ``gain``. From the QR decomposition of
    a Gaussian matrix, with R's diagonal signs moved into Q so the result is uniformly distributed."""
    if tensor.ndim < 2:
        raise ValueError(f"orthogonal_: expected a tensor with at least 2 dimensions, got shape {tuple(tensor.shape)}")
    if tensor.numel() == 0:  # nothing to make orthogonal (PyTorch's no-op, without its kaiming warning)
        return tensor
    rows = tensor.shape[0]
    columns = tensor.numel() // rows
    gaussian = random.numpy_generator(generator).normal(size=(rows, columns))
    tall = gaussian if rows >= columns else gaussian.T
    q, r = np.linalg.qr(tall)
    q *= np.sign(np.diag(r))
    matrix = q if rows >= columns else q.T
    return _fill(tensor, gain * matrix.reshape(tensor.shape))


@_takes_a_tensor
def eye_(tensor):
    """The identity matrix of a 2-D tensor (ones on the diagonal of a non-square one)."""
    if tensor.ndim != 2:
        raise ValueError(f"eye_: expected a 2-D tensor, got shape {tuple(tensor.shape)}")
    return _fill(tensor, np.eye(*tensor.shape))


@_takes_a_tensor
def dirac_(tensor, groups=1):
    """A convolution kernel (3-, 4- or 5-D) that passes its input through: a 1 at the centre of
    kernel [d, d] for the first min(out / groups, in) channels of each group, zeros elsewhere."""
    if tensor.ndim not in (3, 4, 5):
        raise ValueError(f"dirac_: expected a 3-, 4- or 5-D tensor (a convolution's weight), got shape {tuple(tensor.shape)}")
    out_per_group = tensor.shape[0] // groups
    if tensor.shape[0] % groups:
        raise ValueError(f"dirac_: {tensor.shape[0]} output channels do not split into {groups} groups")
    values = np.zeros(tensor.shape)
    channels = np.arange(min(out_per_group, tensor.shape[1]))
    outputs = (np.arange(groups)[:, None] * out_per_group + channels).reshape(-1)
    values[(outputs, np.tile(channels, groups)) + tuple(size // 2 for size in tensor.shape[2:])] = 1
    return _fill(tensor, values)


@_takes_a_tensor
def sparse_(tensor, sparsity, std=0.01, generator=None):
    """A 2-D tensor of N(0, std^2) draws with ceil(sparsity * rows) entries of every column zero,
    at rows chosen at random per column (Martens, 2010)."""
    if tensor.ndim != 2:
        raise ValueError(f"sparse_: expected a 2-D tensor, got shape {tuple(tensor.shape)}")
    rows, columns = tensor.shape
    generator = random.numpy_generator(generator)
    values = generator.standard_normal((rows, columns)) * std
    zeroed_rows = generator.random((rows, columns)).argsort(axis=0)[:int(math.ceil(sparsity * rows))]
    values[zeroed_rows, np.arange(columns)] = 0
    return _fill(tensor, values)


def _deprecated(initialiser):
    """PyTorch's old name (without the trailing underscore) of an initialiser: it warns, then initialises."""
    old_name = initialiser.__name__[:-1]

    def deprecated(*args, **kwargs):
        warnings.warn(f"nn.init.{old_name} is deprecated in favor of nn.init.{initialiser.__name__}", FutureWarning,
                      stacklevel=2)
        return initialiser(*args, **kwargs)
    deprecated.__name__ = deprecated.__qualname__ = old_name
    deprecated.__doc__ = f"The old name of ``{initialiser.__name__}``."
    return deprecated


uniform, normal, constant, xavier_uniform, xavier_normal, kaiming_uniform, kaiming_normal, orthogonal, sparse, dirac, \
    eye = (_deprecated(f) for f in (uniform_, normal_, constant_, xavier_uniform_, xavier_normal_, kaiming_uniform_,
                                    kaiming_normal_, orthogonal_, sparse_, dirac_, eye_))
