"""Warnings that point at the user's line: the first frame outside tinynn, however deep inside
tinynn (decorators, modules, wrappers) they are raised, so Python shows the line that needs the
change and its filters match the user's module."""
import sys
import warnings


def _is_tinynn(frame):
    name = frame.f_globals.get("__name__", "")
    return name == "tinynn" or name.startswith("tinynn.")


def _user_stacklevel():
    """For the warnings.warn in ``warn`` or ``warn_once``: the stacklevel of the first frame outside tinynn."""
    frame, level = sys._getframe(2), 2  # 0: this function; 1: warn or warn_once, stacklevel 1; 2: its caller
    while frame is not None and _is_tinynn(frame):
        frame, level = frame.f_back, level + 1
    return level


def warn(message, category=UserWarning):
    """warnings.warn, shown at the first caller outside tinynn."""
    warnings.warn(message, category, stacklevel=_user_stacklevel())


_warned_once = set()


def warn_once(message, category=UserWarning):
    """``warn``, the first time only in this process (as PyTorch's TORCH_WARN_ONCE warnings)."""
    if message not in _warned_once:
        _warned_once.add(message)
        warnings.warn(message, category, stacklevel=_user_stacklevel())
