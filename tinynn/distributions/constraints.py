"""What values a parameter or a sample may take, checked with a clear error naming the parameter
(PyTorch's ``torch.distributions.constraints``, the ones tinynn's distributions use)."""
import numpy as np

from .. import backend


class Constraint:
    """``check(array)`` -> a boolean array, True where a value satisfies the constraint; for an
    event constraint (``event_dim`` > 0) one value per event."""

    event_dim = 0
    is_discrete = False

    def __init__(self, name, check, event_dim=0, is_discrete=False):
        self.name, self._check, self.event_dim, self.is_discrete = name, check, event_dim, is_discrete

    def check(self, array):
        return self._check(backend.get_array_module(array), array)

    def __repr__(self):
        return self.name


def _interval(xp, x, low, high, closed_high):
    return (x >= low) & ((x <= high) if closed_high else (x < high))


real = Constraint("Real()", lambda xp, x: x == x)  # NaN is not a real number
positive = Constraint("GreaterThan(lower_bound=0.0)", lambda xp, x: x > 0)
nonnegative = Constraint("GreaterThanEq(lower_bound=0.0)", lambda xp, x: x >= 0)
unit_interval = Constraint("Interval(lower_bound=0.0, upper_bound=1.0)",
                           lambda xp, x: _interval(xp, x, 0, 1, closed_high=True))
boolean = Constraint("Boolean()", lambda xp, x: (x == 0) | (x == 1), is_discrete=True)
nonnegative_integer = Constraint("IntegerGreaterThan(lower_bound=0)", lambda xp, x: (x >= 0) & (x == xp.floor(x)),
                                 is_discrete=True)
real_vector = Constraint("IndependentConstraint(Real(), 1)", lambda xp, x: (x == x).all(-1), event_dim=1)
simplex = Constraint("Simplex()", lambda xp, x: (x >= 0).all(-1) & (xp.abs(x.sum(-1) - 1) < 1e-6), event_dim=1)
one_hot = Constraint("OneHot()", lambda xp, x: ((x == 0) | (x == 1)).all(-1) & (x.sum(-1) == 1), event_dim=1,
                     is_discrete=True)
lower_cholesky = Constraint(
    "LowerCholesky()", lambda xp, x: (xp.triu(x, 1) == 0).all((-2, -1)) & (xp.diagonal(x, 0, -2, -1) > 0).all(-1),
    event_dim=2)
positive_definite = Constraint(
    "PositiveDefinite()",
    lambda xp, x: (x == x.swapaxes(-1, -2)).all((-2, -1)) & (xp.linalg.eigvalsh(x) > 0).all(-1), event_dim=2)


lower_triangular = Constraint("LowerTriangular()", lambda xp, x: (xp.triu(x, 1) == 0).all((-2, -1)), event_dim=2)
square = Constraint("Square()", lambda xp, x: xp.full(x.shape[:-2], x.shape[-1] == x.shape[-2], dtype=bool), event_dim=2)
symmetric = Constraint("Symmetric()", lambda xp, x: xp.isclose(x, x.swapaxes(-1, -2), atol=1e-6).all((-2, -1)),
                       event_dim=2)
positive_semidefinite = Constraint(
    "PositiveSemidefinite()",
    lambda xp, x: xp.isclose(x, x.swapaxes(-1, -2), atol=1e-6).all((-2, -1)) & (xp.linalg.eigvalsh(x) >= 0).all(-1),
    event_dim=2)
positive_integer = Constraint("IntegerGreaterThan(lower_bound=1)", lambda xp, x: (x >= 1) & (x == xp.floor(x)),
                              is_discrete=True)


def _unit_rows(xp, x):
    tolerance = float(np.finfo(x.dtype).eps) * x.shape[-1] * 10
    return (xp.abs(xp.sqrt((x * x).sum(-1)) - 1) <= tolerance).all(-1)


corr_cholesky = Constraint("CorrCholesky()", lambda xp, x: lower_cholesky.check(x) & _unit_rows(xp, x), event_dim=2)


def greater_than(lower_bound):
    return Constraint(f"GreaterThan(lower_bound={lower_bound})", lambda xp, x: x > lower_bound)


def greater_than_eq(lower_bound):
    return Constraint(f"GreaterThanEq(lower_bound={lower_bound})", lambda xp, x: x >= lower_bound)


def less_than(upper_bound):
    return Constraint(f"LessThan(upper_bound={upper_bound})", lambda xp, x: x < upper_bound)


def half_open_interval(lower_bound, upper_bound):
    return Constraint(f"HalfOpenInterval(lower_bound={lower_bound}, upper_bound={upper_bound})",
                      lambda xp, x: (x >= lower_bound) & (x < upper_bound))


def multinomial(upper_bound):
    """Non-negative counts summing to at most ``upper_bound`` (PyTorch's weaker check)."""
    return Constraint(f"Multinomial(upper_bound={upper_bound})",
                      lambda xp, x: (x >= 0).all(-1) & (x.sum(-1) <= upper_bound), event_dim=1, is_discrete=True)


def independent(base_constraint, reinterpreted_batch_ndims):
    """``base_constraint`` over events of ``reinterpreted_batch_ndims`` more dimensions: all of an
    event's values must satisfy it."""
    axes = tuple(range(-reinterpreted_batch_ndims, 0))

    def check(xp, x):
        satisfied = base_constraint.check(x)
        return satisfied.all(axes) if reinterpreted_batch_ndims else satisfied
    return Constraint(f"IndependentConstraint({base_constraint!r}, {reinterpreted_batch_ndims})", check,
                      base_constraint.event_dim + reinterpreted_batch_ndims, base_constraint.is_discrete)


def cat(constraints, dim=0, lengths=None):
    """Each of ``constraints`` on its slice (of ``lengths``, 1 each by default) along ``dim``."""
    lengths = list(lengths) if lengths is not None else [1] * len(constraints)

    def check(xp, x):
        axis, start, parts = dim % x.ndim, 0, []
        for constraint, length in zip(constraints, lengths):
            parts.append(constraint.check(xp.take(x, xp.arange(start, start + length), axis=axis)))
            start += length
        return xp.concatenate(parts, axis=axis)
    return Constraint("_Cat()", check, max(c.event_dim for c in constraints))


def stack(constraints, dim=0):
    """Each of ``constraints`` on its slice (one index) along ``dim``."""
    def check(xp, x):
        axis = dim % x.ndim
        return xp.stack([constraint.check(xp.take(x, i, axis=axis)) for i, constraint in enumerate(constraints)],
                        axis=axis)
    return Constraint("_Stack()", check, max(c.event_dim for c in constraints))


def integer_interval(low, high):
    return Constraint(f"IntegerInterval(lower_bound={low}, upper_bound={high})",
                      lambda xp, x: (x >= low) & (x <= high) & (x == xp.floor(x)), is_discrete=True)


def interval(low, high):
    """[low, high) with array bounds (broadcast with the value)."""
    return Constraint("Interval(lower_bound=low, upper_bound=high)",
                      lambda xp, x: _interval(xp, x, low, high, closed_high=False))


def check(constraint, value, what, owner):
    """Raise a ValueError naming ``what`` of ``owner`` where ``value`` breaks ``constraint``."""
    data = value.data if hasattr(value, "data") else np.asarray(value)
    satisfied = constraint.check(data)
    if not bool(satisfied.all()):
        raise ValueError(f"{owner}: expected {what} of shape {tuple(data.shape)} to satisfy the constraint "
                         f"{constraint!r}, but found invalid values:\n{data}")
