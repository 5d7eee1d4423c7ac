"""Anomaly detection: find the first op that produced or received NaN/inf.

By default tinynn, like PyTorch, lets inf and NaN flow silently: NaN in, NaN out (training code
is stopped by ``tinynn.guard``). NumPy's floating-point RuntimeWarnings ("overflow encountered in
exp") are filtered out where tinynn's own code raises them (``quiet_float_warnings``): they
would point at a line inside tinynn, not at the user's op, the GPU raises none, and PyTorch none
either. ``np.errstate(over="raise")`` and ``-W error`` still apply, as the user asked for them.
The filter is added when tinynn is imported; code that resets the warnings filters afterwards
(pytest does, for each test) shows the warnings again.

Inside ``detect_anomaly()`` every op checks its inputs and output in the forward pass and the
gradients it returns in the backward pass, and raises AnomalyError naming the op and the
offending value. Each check is a pass over the data, so it is a debugging
tool, off by default.
"""
import contextlib
import warnings

from .. import backend

_enabled = False


def quiet_float_warnings():
    """Ignore NumPy's floating-point warnings raised from tinynn's modules (a filter, no cost per op).
    Appended, so any filter the user sets (``-W error``, ``warnings.simplefilter``) comes first."""
    warnings.filterwarnings("ignore", r"(overflow|underflow|divide by zero|invalid value) encountered",
                            RuntimeWarning, r"tinynn\.", append=True)


class AnomalyError(ValueError):
    """An op met or produced a non-finite value while anomaly detection was on."""


def is_anomaly_enabled():
    return _enabled


def is_anomaly_check_nan_enabled():
    """Whether the checks look for NaN: whenever they are on (tinynn's always include NaN)."""
    return _enabled


def set_anomaly_enabled(enabled, check_nan=True):
    """``torch.set_anomaly_enabled``: anomaly detection on or off from here on (``check_nan`` as in
    ``set_detect_anomaly``)."""
    global _enabled
    _enabled = bool(enabled)


@contextlib.contextmanager
def detect_anomaly():
    global _enabled
    previous, _enabled = _enabled, True
    try:
        yield
    finally:
        _enabled = previous


class set_detect_anomaly:
    """Anomaly detection on (``mode`` True) or off from here on, or for a ``with`` block (the
    previous setting comes back at its end), as PyTorch's; ``check_nan`` is accepted for
    compatibility (tinynn's checks always include NaN)."""

    def __init__(self, mode, check_nan=True):
        global _enabled
        self.previous, _enabled = _enabled, bool(mode)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        global _enabled
        _enabled = self.previous


def check_finite(op_name, what, array):
    if array is None or array.dtype.kind != "f":
        return
    xp = backend.get_array_module(array)
    if not bool(xp.isfinite(array).all()):
        kind = "NaN" if bool(xp.isnan(array).any()) else "infinity"
        raise AnomalyError(f"{op_name}: {what} of shape {tuple(array.shape)} contains {kind}; expected finite values")
