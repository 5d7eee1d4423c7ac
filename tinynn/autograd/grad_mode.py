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
    """Grad recording on or off, as PyTorch's: from the call on (``tinynn.set_grad_enabled(False)`` at
    the top of an inference script), and back to what it was after a ``with`` block or a decorated
    function."""

    def __init__(self, mode):
        global _enabled
        self.mode, self._previous = bool(mode), _enabled
        _enabled = self.mode

    def __enter__(self):
        global _enabled
        _enabled = self.mode  # already set by the call; again, for a decorated function's each call

    def __call__(self, function):
        """As a decorator: the mode goes back to what it was before (as PyTorch's), and each call of
        ``function`` runs with it set, restoring its caller's mode afterwards."""
        global _enabled
        _enabled = self._previous
        return super().__call__(function)

    def _recreate_cm(self):
        return _Reentered(self.mode)


class _Reentered(_GradMode):
    def __init__(self, mode):
        self.mode = mode


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
