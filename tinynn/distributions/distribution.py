"""``Distribution``: the interface every distribution shares, with PyTorch's names and shapes.

Shapes: a distribution has a ``batch_shape`` (independent distributions side by side, from its
parameters' broadcast shape) and an ``event_shape`` (the shape of one draw: () for a scalar, (k,)
for a vector); ``sample(sample_shape)`` returns sample_shape + batch_shape + event_shape and
``log_prob(value)`` one number per event: sample_shape + batch_shape.

``rsample`` draws by reparameterisation, x = f(parameters, noise), so gradients flow from the
draws to the parameters (the VAE trick); ``sample`` draws without recording a graph.
"""
import copy
import math

import numpy as np

from .. import backend, random
from ..autograd import no_grad
from ..ops.promotion import default_float
from ..size import of as size_of
from ..tensor import Tensor
from . import constraints


def validating(validate_args):
    """Whether a distribution given ``validate_args`` checks: as given, or the default for None."""
    return Distribution._validate_args if validate_args is None else bool(validate_args)


class Distribution:
    has_rsample = False
    has_enumerate_support = False
    arg_constraints = {}
    support = None
    # Whether a distribution made with validate_args=None checks its parameters and the values given to
    # log_prob: on, as Python's asserts are (off under python -O); set_default_validate_args changes it.
    _validate_args = __debug__

    @staticmethod
    def set_default_validate_args(value):
        """Turns the checks of distributions made without ``validate_args`` on or off (they cost time
        once a model is known to be right), as PyTorch's."""
        if value not in (True, False):
            raise ValueError(f"set_default_validate_args: expected True or False, got {value!r}")
        Distribution._validate_args = value

    def __init__(self, batch_shape=(), event_shape=(), validate_args=None):
        self._batch_shape, self._event_shape = tuple(batch_shape), tuple(event_shape)
        self._validate_args = validating(validate_args)
        if self._validate_args:  # the parameters given (set as attributes before this runs)
            for name, constraint in self.arg_constraints.items():
                if isinstance(self.__dict__.get(name), Tensor) and not constraints.is_dependent(constraint):
                    constraints.check(constraint, self.__dict__[name], f"parameter {name}", type(self).__name__)

    @property
    def batch_shape(self):
        return size_of(self._batch_shape)

    @property
    def event_shape(self):
        return size_of(self._event_shape)

    def _extended_shape(self, sample_shape=()):
        return tuple(sample_shape) + self._batch_shape + self._event_shape

    def sample(self, sample_shape=()):
        """A draw of shape sample_shape + batch_shape + event_shape, with no graph."""
        with no_grad():
            return self.rsample(sample_shape)

    def sample_n(self, n):
        return self.sample((n,))

    def rsample(self, sample_shape=()):
        raise NotImplementedError(f"{type(self).__name__} has no reparameterized sample (rsample); use sample()")

    def log_prob(self, value):
        raise NotImplementedError(f"{type(self).__name__}.log_prob is not implemented")

    def cdf(self, value):
        raise NotImplementedError(f"{type(self).__name__}.cdf is not implemented")

    def icdf(self, value):
        raise NotImplementedError(f"{type(self).__name__}.icdf is not implemented")

    def entropy(self):
        raise NotImplementedError(f"{type(self).__name__}.entropy is not implemented")

    def enumerate_support(self, expand=True):
        raise NotImplementedError(f"{type(self).__name__} has no finite support to enumerate")

    @property
    def mean(self):
        raise NotImplementedError(f"{type(self).__name__}.mean is not implemented")

    @property
    def mode(self):
        raise NotImplementedError(f"{type(self).__name__}.mode is not implemented")

    @property
    def variance(self):
        raise NotImplementedError(f"{type(self).__name__}.variance is not implemented")

    @property
    def stddev(self):
        return self.variance.sqrt()

    def perplexity(self):
        return self.entropy().exp()

    def expand(self, batch_shape):
        """This distribution with its batch broadcast to ``batch_shape`` (new leading dimensions, or
        dimensions of size 1 widened), as PyTorch's ``expand``: no parameter is copied. Every
        parameter tensor and inner distribution whose shape starts with the batch shape is expanded;
        the rest (event-only constants, transforms) broadcasts as it is."""
        batch_shape, old = tuple(batch_shape), self._batch_shape
        try:
            if np.broadcast_shapes(old, batch_shape) != batch_shape:
                raise ValueError
        except ValueError:
            raise ValueError(f"{type(self).__name__}.expand: batch shape {old} does not expand to {batch_shape}") from None
        new = copy.copy(self)
        for name, value in self.__dict__.items():
            if isinstance(value, Tensor) and tuple(value.shape[:len(old)]) == old and value.ndim >= len(old):
                new.__dict__[name] = value.expand(batch_shape + tuple(value.shape[len(old):]))
            elif isinstance(value, Distribution) and tuple(value.batch_shape[:len(old)]) == old:
                new.__dict__[name] = value.expand(batch_shape + tuple(value.batch_shape[len(old):]))
        new._batch_shape = batch_shape
        return new

    def _validate_sample(self, value):
        """``value`` as a Tensor on the parameters' device; with validation, its shape must
        broadcast with batch_shape + event_shape and its values lie in the support."""
        value = value if isinstance(value, Tensor) else self._like().new_tensor(value)
        if not self._validate_args:
            return value
        event = len(self._event_shape)
        if event and tuple(value.shape[-event:]) != self._event_shape:
            raise ValueError(f"{type(self).__name__}.log_prob: the value's last dimensions {tuple(value.shape)} must "
                             f"be the event shape {self._event_shape}")
        try:
            np.broadcast_shapes(tuple(value.shape), self._batch_shape + self._event_shape)
        except ValueError:
            raise ValueError(f"{type(self).__name__}.log_prob: a value of shape {tuple(value.shape)} does not broadcast "
                             f"with batch_shape + event_shape {self._batch_shape + self._event_shape}") from None
        if self.support is not None:
            constraints.check(self.support, value, "value", type(self).__name__)
        return value

    def _like(self):
        """A parameter tensor, for the dtype and device of draws."""
        return next(value for value in self.__dict__.values() if isinstance(value, Tensor))

    def _noise(self, kind, shape):
        """Standard draws ("normal", "uniform" in [0, 1), "exponential") of ``shape`` on the
        parameters' device, from tinynn's seeded generators."""
        like = self._like()
        generator = random.generator_for(backend.get_array_module(like._array))
        draw = {"normal": generator.standard_normal, "uniform": generator.random,
                "exponential": generator.standard_exponential}[kind]
        return Tensor._from_op(draw(tuple(shape), dtype=self._draw_dtype()), False)

    def _draw_dtype(self):
        """The dtype draws are made in: the parameters' (NumPy's generators draw floats only, and
        PyTorch refuses integer parameters here too)."""
        dtype = self._like().dtype
        if dtype.kind != "f":
            raise TypeError(f"{type(self).__name__}: sampling a continuous distribution needs floating-point parameters, "
                            f"got {dtype}; give them as floats (e.g. tinynn.tensor([1.0, 2.0]))")
        return dtype

    def _host_draws(self, draw, *parameters):
        """Draws whose distribution depends on the parameters (Poisson, gamma): made by NumPy's
        generator from the parameters' values, then placed on their device."""
        like = self._like()
        values = draw(random.cpu_generator(), *(p.numpy().astype(np.float64) for p in parameters))
        return Tensor._from_op(backend.to_device(np.asarray(values).astype(like.dtype), like.device), False)

    def __repr__(self):
        """The parameters given, as PyTorch prints them: a one-element one by its value, others by size."""
        given = [(name, self.__dict__[name]) for name in self.arg_constraints
                 if isinstance(self.__dict__.get(name), Tensor)]
        shown = ", ".join(f"{name}: {value if value.numel() == 1 else value.size()}" for name, value in given)
        return f"{type(self).__name__}({shown})"


class LocationScale(Distribution):
    """The family x = loc + scale z of a standard distribution of z on the real line (normal,
    Laplace, Cauchy, Gumbel): its parameters, their constraints, and the mode at loc."""

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.real
    has_rsample = True

    def __init__(self, loc, scale, validate_args=None):
        self.loc, self.scale = broadcast_all(loc, scale)
        super().__init__(self.loc.shape, (), validate_args)

    @property
    def mode(self):
        return self.loc


def broadcast_all(*values):
    """The parameters as Tensors of one broadcast shape, on one device and dtype (numbers take the
    dtype and device of a Tensor among them, the default float dtype on the CPU if there is none)."""
    like = next((value for value in values if isinstance(value, Tensor)), None)
    tensors = [value if isinstance(value, Tensor) else
               (like._operand(float(value)) if like is not None else Tensor(np.asarray(value, dtype=default_float())))
               for value in values]
    shape = np.broadcast_shapes(*(tuple(t.shape) for t in tensors))
    return [t if tuple(t.shape) == shape else t.expand(shape) for t in tensors]


HALF_LOG_TWO_PI = 0.5 * math.log(2 * math.pi)
