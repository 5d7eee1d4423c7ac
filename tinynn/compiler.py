"""``torch.compiler``'s questions and markers, which model and library code calls around
``torch.compile``: tinynn compiles nothing (``tinynn.compile`` returns what it is given and every op
runs eagerly), so ``is_compiling``, ``is_dynamo_compiling`` and ``is_exporting`` are False and code
that branches on them takes its eager path; the markers (``disable``, ``allow_in_graph``,
``assume_constant_result``, ``substitute_in_graph``, ``nested_compile_region``, ``wrap_numpy``) leave
what they mark unchanged; ``reset``, ``cudagraph_mark_step_begin`` and ``set_stance`` have nothing to
change."""
import contextlib

from .functions import compile  # noqa: F401  (torch.compiler.compile is torch.compile)


def is_compiling():
    return False


def is_dynamo_compiling():
    return False


def is_exporting():
    return False


def _marker(fn):
    """A decorator used bare or called with options: the function as it is."""
    return fn if callable(fn) else (lambda function: function)


def disable(fn=None, recursive=True, *, reason=None):
    return _marker(fn)


def allow_in_graph(fn):
    return fn


def assume_constant_result(fn):
    return fn


def wrap_numpy(fn):
    return fn


def nested_compile_region(fn=None, **options):
    return _marker(fn)


def substitute_in_graph(original_fn, *, can_constant_fold_through=False, skip_signature_check=False):
    """PyTorch's decorator that gives the compiler a traceable stand-in for ``original_fn``: eager code
    keeps calling ``original_fn``, so the stand-in is returned as it is and never used."""
    return lambda function: function


def reset():
    """PyTorch's: drop the compiled code it cached; tinynn caches none."""


def cudagraph_mark_step_begin():
    """PyTorch's: mark the start of a step for CUDA graphs, which tinynn does not record."""


class _Stance(contextlib.ContextDecorator):
    def __enter__(self):
        return self

    def __exit__(self, *exception):
        return False


def set_stance(stance="default", *, skip_guard_eval_unsafe=False, force_backend=None):
    """PyTorch's: how compiled code runs; tinynn's always runs eagerly. Called, or used as a context
    manager or a decorator, as PyTorch's (which checks the stance only when it compiles)."""
    return _Stance()


def list_backends(exclude_tags=("debug", "experimental")):
    """The backends ``tinynn.compile`` takes: none compiles, so none is listed."""
    return []
