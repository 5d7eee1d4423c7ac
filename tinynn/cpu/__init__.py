"""PyTorch's ``torch.cpu``: the CPU as a device module, for device-agnostic code that asks
``getattr(torch, device.type)`` (or ``tinynn.get_device_module(device)``) to ``synchronize()``, count devices
or open a stream, whichever device it runs on. The CPU runs tinynn's work as it is issued, so waiting,
streams and events have nothing to wait for: they exist so that such code runs unchanged, as PyTorch's do.
``tinynn.cpu.amp`` holds the old names of CPU mixed precision (``torch.cpu.amp.autocast``, ``GradScaler``).
"""
from .. import backend


def is_available():
    """True: there is always a CPU."""
    return True


def device_count():
    return 1


def current_device():
    return "cpu"


def set_device(device):
    """Accepted, as PyTorch's: there is one CPU device."""
    backend.canonical_device(device)


def synchronize(device=None):
    """Nothing to wait for: CPU work is done when the call that issued it returns."""


def is_initialized():
    return True


class Event:
    """``torch.cpu.Event``: recorded, queried and waited on without effect (see the module's docstring)."""

    def record(self, stream=None):
        pass

    def synchronize(self):
        pass

    def query(self):
        return True

    def wait(self, stream=None):
        pass


class Stream:
    """``torch.cpu.Stream``: one queue, the calling thread's (see the module's docstring)."""

    def __init__(self, priority=-1):
        self.priority = priority

    def synchronize(self):
        pass

    def query(self):
        return True

    def wait_stream(self, stream):
        pass

    def wait_event(self, event):
        pass

    def record_event(self, event=None):
        return event if event is not None else Event()


_STREAM = Stream()


def current_stream(device=None):
    return _STREAM


class stream:
    """``with tinynn.cpu.stream(s):``: the work inside runs as anywhere else on the CPU."""

    def __init__(self, stream):
        self.stream = stream

    def __enter__(self):
        return self.stream

    def __exit__(self, *exc_info):
        return False


StreamContext = stream

from . import amp  # noqa: E402,F401  (torch.cpu.amp's old names)
