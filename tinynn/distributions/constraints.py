"""What values a parameter or a sample may take (PyTorch's ``torch.distributions.constraints``,
with its names, classes and reprs): ``constraint.check(value)`` is True where a value satisfies it,
one answer per event for an event constraint (``event_dim`` > 0). A constraint keeps what defines it
(``positive.lower_bound``, ``interval(a, b).upper_bound``, ``independent(c, 1).base_constraint``),
which is what ``biject_to`` and ``transform_to`` read to build a map onto it.

``greater_than``, ``interval``, ``independent`` and the like are the classes themselves, called with
their parameters; bounds may be numbers or Tensors (a parameter of the distribution, broadcast with
the value). A distribution whose support depends on its parameters declares it with
``dependent_property``: on the class it is the placeholder ``dependent``, on an instance the
constraint itself. Write a new constraint by subclassing ``Constraint`` and overriding ``check``."""
import numpy as np

from .. import backend
from ..dims import wrap_dim
from ..tensor import Tensor


def _raw(value):
    """A bound as the array (or number) that compares with the value's array."""
    return value._array if isinstance(value, Tensor) else value


def _whole(xp, x):
    """True where x is a finite integer (x % 1 == 0, as PyTorch's, without NumPy's warning at inf)."""
    return xp.isfinite(x) & (x == xp.floor(x))


class Constraint:
    """A region of values. Subclasses give ``_satisfied(xp, x)`` on the value's array (xp is NumPy or
    CuPy), or override ``check`` outright (as a PyTorch constraint, on Tensors)."""

    is_discrete = False
    event_dim = 0

    def check(self, value):
        """A boolean of the value's batch shape: a Tensor for a Tensor, an array for an array."""
        if isinstance(value, Tensor):
            return Tensor._from_op(self._satisfied(backend.get_array_module(value._array), value._array), False)
        return self._satisfied(backend.get_array_module(value), value)

    def _satisfied(self, xp, x):
        raise NotImplementedError(f"{type(self).__name__} does not say which values satisfy it: override check")

    def __repr__(self):
        return type(self).__name__.lstrip("_") + "()"


class _Dependent(Constraint):
    """The placeholder for a constraint that depends on a distribution's parameters: it cannot be
    checked itself, only its instance's value of the ``dependent_property`` can."""

    def __init__(self, *, is_discrete=NotImplemented, event_dim=NotImplemented):
        self._is_discrete, self._event_dim = is_discrete, event_dim

    @property
    def is_discrete(self):
        if self._is_discrete is NotImplemented:
            raise NotImplementedError(".is_discrete cannot be determined statically for this dependent constraint")
        return self._is_discrete

    @property
    def event_dim(self):
        if self._event_dim is NotImplemented:
            raise NotImplementedError(".event_dim cannot be determined statically for this dependent constraint")
        return self._event_dim

    def __call__(self, *, is_discrete=NotImplemented, event_dim=NotImplemented):
        """A placeholder that knows ``is_discrete`` and ``event_dim`` (those not given stay unknown)."""
        return _Dependent(is_discrete=self._is_discrete if is_discrete is NotImplemented else is_discrete,
                          event_dim=self._event_dim if event_dim is NotImplemented else event_dim)

    def check(self, value):
        raise ValueError("Cannot determine validity of dependent constraint: check the constraint an instance of the "
                         "distribution gives (distribution.support), not its class's placeholder")


def is_dependent(constraint):
    """Whether ``constraint`` is the placeholder of a parameter-dependent constraint."""
    return isinstance(constraint, _Dependent)


class _DependentProperty(property, _Dependent):
    """``@constraints.dependent_property(is_discrete=..., event_dim=...)`` above a method: the
    placeholder on the class, the method's constraint on an instance."""

    def __init__(self, fn=None, *, is_discrete=NotImplemented, event_dim=NotImplemented):
        property.__init__(self, fn)
        _Dependent.__init__(self, is_discrete=is_discrete, event_dim=event_dim)

    def __call__(self, fn):
        return _DependentProperty(fn, is_discrete=self._is_discrete, event_dim=self._event_dim)


dependent_property = _DependentProperty


class _IndependentConstraint(Constraint):
    """``base_constraint`` over events of ``reinterpreted_batch_ndims`` more dimensions: an event
    satisfies it when all its values do."""

    def __init__(self, base_constraint, reinterpreted_batch_ndims):
        if not isinstance(base_constraint, Constraint):
            raise TypeError(f"independent: expected a Constraint to reinterpret, got {type(base_constraint).__name__}")
        if not isinstance(reinterpreted_batch_ndims, int) or reinterpreted_batch_ndims < 0:
            raise ValueError(f"independent: reinterpreted_batch_ndims must be an integer >= 0, "
                             f"got {reinterpreted_batch_ndims!r}")
        self.base_constraint, self.reinterpreted_batch_ndims = base_constraint, reinterpreted_batch_ndims

    @property
    def is_discrete(self):
        return self.base_constraint.is_discrete

    @property
    def event_dim(self):
        return self.base_constraint.event_dim + self.reinterpreted_batch_ndims

    def _satisfied(self, xp, x):
        if x.ndim < self.event_dim:
            raise ValueError(f"{self!r}: expected a value of at least {self.event_dim} dimensions, got shape {tuple(x.shape)}")
        satisfied = self.base_constraint.check(x)
        if self.reinterpreted_batch_ndims:
            satisfied = satisfied.all(tuple(range(-self.reinterpreted_batch_ndims, 0)))
        return satisfied

    def __repr__(self):
        return f"IndependentConstraint({self.base_constraint!r}, {self.reinterpreted_batch_ndims})"


class MixtureSameFamilyConstraint(Constraint):
    """A mixture's support: its components' support, checked for the component dimension too."""

    def __init__(self, base_constraint):
        self.base_constraint = base_constraint

    @property
    def is_discrete(self):
        return self.base_constraint.is_discrete

    @property
    def event_dim(self):
        return self.base_constraint.event_dim

    def _satisfied(self, xp, x):
        if x.ndim < self.event_dim:
            raise ValueError(f"{self!r}: expected a value of at least {self.event_dim} dimensions, got shape {tuple(x.shape)}")
        return self.base_constraint.check(x[(Ellipsis, None) + (slice(None),) * self.event_dim]).all(-1)

    def __repr__(self):
        return f"MixtureSameFamilyConstraint({self.base_constraint!r})"


class _Boolean(Constraint):
    is_discrete = True

    def _satisfied(self, xp, x):
        return (x == 0) | (x == 1)


class _OneHot(Constraint):
    is_discrete = True
    event_dim = 1

    def _satisfied(self, xp, x):
        return ((x == 0) | (x == 1)).all(-1) & (x.sum(-1) == 1)


class _IntegerInterval(Constraint):
    """Integers in [lower_bound, upper_bound]."""

    is_discrete = True

    def __init__(self, lower_bound, upper_bound):
        self.lower_bound, self.upper_bound = lower_bound, upper_bound

    def _satisfied(self, xp, x):
        return _whole(xp, x) & (x >= _raw(self.lower_bound)) & (x <= _raw(self.upper_bound))

    def __repr__(self):
        return f"IntegerInterval(lower_bound={self.lower_bound}, upper_bound={self.upper_bound})"


class _IntegerLessThan(Constraint):
    is_discrete = True

    def __init__(self, upper_bound):
        self.upper_bound = upper_bound

    def _satisfied(self, xp, x):
        return _whole(xp, x) & (x <= _raw(self.upper_bound))

    def __repr__(self):
        return f"IntegerLessThan(upper_bound={self.upper_bound})"


class _IntegerGreaterThan(Constraint):
    is_discrete = True

    def __init__(self, lower_bound):
        self.lower_bound = lower_bound

    def _satisfied(self, xp, x):
        return _whole(xp, x) & (x >= _raw(self.lower_bound))

    def __repr__(self):
        return f"IntegerGreaterThan(lower_bound={self.lower_bound})"


class _Real(Constraint):
    def _satisfied(self, xp, x):
        return x == x  # NaN is not a real number


class _GreaterThan(Constraint):
    def __init__(self, lower_bound):
        self.lower_bound = lower_bound

    def _satisfied(self, xp, x):
        return x > _raw(self.lower_bound)

    def __repr__(self):
        return f"GreaterThan(lower_bound={self.lower_bound})"


class _GreaterThanEq(Constraint):
    def __init__(self, lower_bound):
        self.lower_bound = lower_bound

    def _satisfied(self, xp, x):
        return x >= _raw(self.lower_bound)

    def __repr__(self):
        return f"GreaterThanEq(lower_bound={self.lower_bound})"


class _LessThan(Constraint):
    def __init__(self, upper_bound):
        self.upper_bound = upper_bound

    def _satisfied(self, xp, x):
        return x < _raw(self.upper_bound)

    def __repr__(self):
        return f"LessThan(upper_bound={self.upper_bound})"


class _Interval(Constraint):
    """The closed interval [lower_bound, upper_bound]."""

    def __init__(self, lower_bound, upper_bound):
        self.lower_bound, self.upper_bound = lower_bound, upper_bound

    def _satisfied(self, xp, x):
        return (x >= _raw(self.lower_bound)) & (x <= _raw(self.upper_bound))

    def __repr__(self):
        return f"Interval(lower_bound={self.lower_bound}, upper_bound={self.upper_bound})"


class _HalfOpenInterval(Constraint):
    """[lower_bound, upper_bound)."""

    def __init__(self, lower_bound, upper_bound):
        self.lower_bound, self.upper_bound = lower_bound, upper_bound

    def _satisfied(self, xp, x):
        return (x >= _raw(self.lower_bound)) & (x < _raw(self.upper_bound))

    def __repr__(self):
        return f"HalfOpenInterval(lower_bound={self.lower_bound}, upper_bound={self.upper_bound})"


class _Simplex(Constraint):
    """Non-negative vectors summing to 1 (within 1e-6, as PyTorch's)."""

    event_dim = 1

    def _satisfied(self, xp, x):
        return (x >= 0).all(-1) & (xp.abs(x.sum(-1) - 1) < 1e-6)


class _Multinomial(Constraint):
    """Non-negative counts summing to at most ``upper_bound`` (PyTorch's weaker check)."""

    is_discrete = True
    event_dim = 1

    def __init__(self, upper_bound):
        self.upper_bound = upper_bound

    def _satisfied(self, xp, x):
        return (x >= 0).all(-1) & (x.sum(-1) <= _raw(self.upper_bound))

    def __repr__(self):
        return f"Multinomial(upper_bound={self.upper_bound})"


class _LowerTriangular(Constraint):
    event_dim = 2

    def _satisfied(self, xp, x):
        return (xp.triu(x, 1) == 0).all((-2, -1))


class _LowerCholesky(Constraint):
    """Lower-triangular with a positive diagonal."""

    event_dim = 2

    def _satisfied(self, xp, x):
        return (xp.triu(x, 1) == 0).all((-2, -1)) & (xp.diagonal(x, 0, -2, -1) > 0).all(-1)


class _CorrCholesky(Constraint):
    """A lower Cholesky factor with rows of unit norm (of a correlation matrix)."""

    event_dim = 2

    def _satisfied(self, xp, x):
        tolerance = float(np.finfo(x.dtype).eps) * x.shape[-1] * 10
        unit_rows = (xp.abs(xp.sqrt((x * x).sum(-1)) - 1) <= tolerance).all(-1)
        return lower_cholesky.check(x) & unit_rows


class _Square(Constraint):
    event_dim = 2

    def _satisfied(self, xp, x):
        return xp.full(x.shape[:-2], x.shape[-1] == x.shape[-2], dtype=bool)


class _Symmetric(_Square):
    def _satisfied(self, xp, x):
        square = super()._satisfied(xp, x)
        if not square.all():
            return square
        return xp.isclose(x, x.swapaxes(-1, -2), atol=1e-6).all((-2, -1))


class _PositiveSemidefinite(_Symmetric):
    def _satisfied(self, xp, x):
        symmetric = super()._satisfied(xp, x)
        if not symmetric.all():
            return symmetric
        return (xp.linalg.eigvalsh(x) >= 0).all(-1)


class _PositiveDefinite(_Symmetric):
    def _satisfied(self, xp, x):
        symmetric = super()._satisfied(xp, x)
        if not symmetric.all():
            return symmetric
        return (xp.linalg.eigvalsh(x) > 0).all(-1)


class _Cat(Constraint):
    """Each of ``cseq`` on its slice (of ``lengths``, 1 each by default) along ``dim``."""

    def __init__(self, cseq, dim=0, lengths=None):
        self.cseq = list(cseq)
        self.lengths = list(lengths) if lengths is not None else [1] * len(self.cseq)
        if len(self.lengths) != len(self.cseq):
            raise ValueError(f"cat: {len(self.cseq)} constraints but {len(self.lengths)} lengths")
        self.dim = dim

    @property
    def is_discrete(self):
        return any(c.is_discrete for c in self.cseq)

    @property
    def event_dim(self):
        return max(c.event_dim for c in self.cseq)

    def _satisfied(self, xp, x):
        axis, start, parts = wrap_dim(self.dim, x.ndim), 0, []
        for constraint, length in zip(self.cseq, self.lengths):
            parts.append(constraint.check(xp.take(x, xp.arange(start, start + length), axis=axis)))
            start += length
        return xp.concatenate(parts, axis=axis)


class _Stack(Constraint):
    """Each of ``cseq`` on its slice (one index) along ``dim``."""

    def __init__(self, cseq, dim=0):
        self.cseq, self.dim = list(cseq), dim

    @property
    def is_discrete(self):
        return any(c.is_discrete for c in self.cseq)

    @property
    def event_dim(self):
        event_dim = max(c.event_dim for c in self.cseq)
        return event_dim + 1 if self.dim + event_dim < 0 else event_dim

    def _satisfied(self, xp, x):
        axis = wrap_dim(self.dim, x.ndim)
        if x.shape[axis] != len(self.cseq):
            raise ValueError(f"stack: the value has {x.shape[axis]} entries along dim {self.dim}, the constraint "
                             f"{len(self.cseq)}")
        return xp.stack([c.check(xp.take(x, i, axis=axis)) for i, c in enumerate(self.cseq)], axis=axis)


dependent = _Dependent()
boolean = _Boolean()
one_hot = _OneHot()
nonnegative_integer = _IntegerGreaterThan(0)
positive_integer = _IntegerGreaterThan(1)
integer_interval = _IntegerInterval
real = _Real()
real_vector = _IndependentConstraint(real, 1)
positive = _GreaterThan(0.0)
nonnegative = _GreaterThanEq(0.0)
greater_than = _GreaterThan
greater_than_eq = _GreaterThanEq
less_than = _LessThan
multinomial = _Multinomial
unit_interval = _Interval(0.0, 1.0)
interval = _Interval
half_open_interval = _HalfOpenInterval
simplex = _Simplex()
lower_triangular = _LowerTriangular()
lower_cholesky = _LowerCholesky()
corr_cholesky = _CorrCholesky()
square = _Square()
symmetric = _Symmetric()
positive_semidefinite = _PositiveSemidefinite()
positive_definite = _PositiveDefinite()
independent = _IndependentConstraint
cat = _Cat
stack = _Stack


def check(constraint, value, what, owner):
    """Raise a ValueError naming ``what`` of ``owner`` where ``value`` breaks ``constraint``."""
    tensor = value if isinstance(value, Tensor) else Tensor._from_op(np.asarray(value), False)
    satisfied = _raw(constraint.check(tensor))
    if not bool(satisfied.all()):
        raise ValueError(f"{owner}: expected {what} of shape {tuple(tensor.shape)} to satisfy the constraint "
                         f"{constraint!r}, but found invalid values:\n{tensor._array}")
