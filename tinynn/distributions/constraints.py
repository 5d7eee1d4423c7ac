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
