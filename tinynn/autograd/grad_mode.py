"""Whether operations record the graph that backward() walks (``no_grad`` turns it off)."""
import contextlib

_enabled = True


def is_grad_enabled():
    return _enabled


class _GradMode(contextlib.ContextDecorator):
    """Sets grad recording for the duration of a ``with`` block or a decorated function (also
    written bare, ``@no_grad``, as PyTorch allows)."""

    mode = True

    def __new__(cls, *args, **kwargs):
        if len(args) == 1 and not kwargs and callable(args[0]) and cls is not set_grad_enabled:
            return cls()(args[0])
        return super().__new__(cls)

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


_inference = False


def is_inference_mode_enabled():
    return _inference


class inference_mode(_GradMode):
    """``no_grad`` for inference, as PyTorch's ``inference_mode(mode=True)``: nothing is recorded;
    ``mode=False`` leaves inference mode and records again (as PyTorch's, even inside no_grad)."""

    def __init__(self, mode=True):
        self.inference = bool(mode)
        self.mode = not self.inference

    def __enter__(self):
        global _inference
        self._previous_inference = _inference
        _inference = self.inference
        super().__enter__()

    def __exit__(self, *exc_info):
        global _inference
        _inference = self._previous_inference
        return super().__exit__(*exc_info)
