"""``torch.jit``'s entry points, which scripts call on a model before training or serving it:
``script`` and ``trace`` return the model or function as it is, since tinynn runs every op eagerly
and has no graph compiler (as ``tinynn.compile``); the decorators leave what they mark unchanged,
and ``is_scripting``/``is_tracing`` are False, so code that branches on them takes its eager path.
TorchScript archives (``torch.jit.save``/``load``) are PyTorch's own format: tinynn reads and writes
state dicts instead (``tinynn.save``, ``tinynn.load``)."""


def script(obj, optimize=None, example_inputs=None, **compiler_options):
    """``obj`` (a module, a function or a class) as it is: tinynn runs it eagerly (the options are
    TorchScript's compiler's)."""
    return obj


def trace(func, example_inputs=None, **tracer_options):
    """``func`` (a module or a function) as it is, not run on ``example_inputs``: tinynn runs it eagerly
    (the options are PyTorch's tracer's: check_trace, strict, ...)."""
    return func


def ignore(drop=False, **kwargs):
    """A decorator (bare or called) that leaves the function as it is."""
    if callable(drop):
        return drop
    return lambda function: function


def unused(function):
    return function


def export(function):
    return function


def is_scripting():
    """False: tinynn code always runs eagerly (PyTorch's answer outside TorchScript)."""
    return False


def is_tracing():
    """False: tinynn never traces."""
    return False


def annotate(the_type, the_value):
    """``the_value``: the type is only for the TorchScript compiler."""
    return the_value
