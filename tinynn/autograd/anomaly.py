"""Anomaly detection: find the first op that produced or received NaN/inf.

By default tinynn, like NumPy and PyTorch, lets NaN flow: NaN in, NaN out (training code is
stopped by ``tinynn.guard``). Inside ``detect_anomaly()`` every op checks its inputs and output in
the forward pass and the gradients it returns in the backward pass, and raises AnomalyError
naming the op and the offending value. Each check is a pass over the data, so it is a debugging
tool, off by default.
"""
import contextlib

from .. import backend

_enabled = False


class AnomalyError(ValueError):
    """An op met or produced a non-finite value while anomaly detection was on."""


def is_anomaly_enabled():
    return _enabled


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
