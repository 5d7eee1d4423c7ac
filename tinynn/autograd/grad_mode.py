"""Whether operations record the graph that backward() walks (``no_grad`` turns it off)."""
import contextlib

_enabled = True


def is_grad_enabled():
    return _enabled


class _GradMode(contextlib.ContextDecorator):
    """Sets grad recording for the duration of a ``with`` block or a decorated function."""

    mode = True

    def __enter__(self):
        global _enabled
        self._previous = _enabled
        _enabled = self.mode

    def __exit__(self, *exc_info):
        global _enabled
        _enabled = self._previous
        return False


class no_grad(_GradMode):
    """Nothing inside is recorded: no graph, no memory held for backward (evaluation, updates)."""

    mode = False


class enable_grad(_GradMode):
    mode = True


class set_grad_enabled(_GradMode):
    """Grad recording on or off for a ``with`` block (or a decorated function), as PyTorch's."""

    def __init__(self, mode):
        self.mode = bool(mode)


inference_mode = no_grad
