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
offending value (``check_nan=False`` leaves these checks out). Each op also keeps where the
forward pass created it, and an error in its backward (an anomaly, or any exception) comes with
that traceback, as PyTorch's "Traceback of forward call that caused the error" (a warning, and a
note on the exception). Each check is a pass over the data, so it is a debugging tool, off by
default.
"""
import contextlib
import sys
import traceback
import warnings

from .. import backend

_enabled = False
_check_nan = True


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
    """Whether anomaly detection checks values for NaN and infinity (on, with ``check_nan``)."""
    return _enabled and _check_nan


def set_anomaly_enabled(enabled, check_nan=True):
    """``torch.set_anomaly_enabled``: anomaly detection on or off from here on (``check_nan`` as in
    ``set_detect_anomaly``)."""
    global _enabled, _check_nan
    _enabled, _check_nan = bool(enabled), bool(check_nan)


@contextlib.contextmanager
def detect_anomaly(check_nan=True):
    """Anomaly detection for a ``with`` block (see the module docstring); ``check_nan=False``: only the
    forward tracebacks, without the checks of the values."""
    global _enabled, _check_nan
    previous, (_enabled, _check_nan) = (_enabled, _check_nan), (True, bool(check_nan))
    try:
        yield
    finally:
        _enabled, _check_nan = previous


class set_detect_anomaly:
    """Anomaly detection on (``mode`` True) or off from here on, or for a ``with`` block (the
    previous setting comes back at its end), as PyTorch's; ``check_nan`` as in ``detect_anomaly``."""

    def __init__(self, mode, check_nan=True):
        global _enabled, _check_nan
        self.previous = (_enabled, _check_nan)
        _enabled, _check_nan = bool(mode), bool(check_nan)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        global _enabled, _check_nan
        _enabled, _check_nan = self.previous


def forward_trace():
    """Where the op being recorded was created: the stack without tinynn's own frames at its top."""
    frames = traceback.extract_stack()[:-1]
    while frames and "tinynn" in frames[-1].filename.replace("\\", "/").split("/"):
        frames.pop()
    return frames


def report_backward_error(op_name, trace, error):
    """A backward that failed under anomaly detection: the forward traceback of its op, as a warning
    (PyTorch's) and, where Python has them, a note on the error."""
    if trace is None:
        return
    text = (f"Error detected in {op_name}Backward. Traceback of forward call that caused the error:\n"
            + "".join(traceback.format_list(trace)))
    warnings.warn(text, RuntimeWarning, stacklevel=3)
    if sys.version_info >= (3, 11):
        error.add_note(text)


def check_finite(op_name, what, array):
    if array is None or array.dtype.kind != "f" or not _check_nan:
        return
    xp = backend.get_array_module(array)
    if not bool(xp.isfinite(array).all()):
        kind = "NaN" if bool(xp.isnan(array).any()) else "infinity"
        raise AnomalyError(f"{op_name}: {what} of shape {tuple(array.shape)} contains {kind}; expected finite values")
