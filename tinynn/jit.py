"""``torch.jit``'s entry points, which scripts call on a model before training or serving it:
``script`` and ``trace`` return the model or function as it is, since tinynn runs every op eagerly
and has no graph compiler (as ``tinynn.compile``); the decorators leave what they mark unchanged,
and ``is_scripting``/``is_tracing`` are False, so code that branches on them takes its eager path.
TorchScript archives (``torch.jit.save``/``load``) are PyTorch's own format: tinynn reads and writes
state dicts instead (``tinynn.save``, ``tinynn.load``), and says so. ``freeze`` and
``optimize_for_inference`` give back the model, in eval mode as PyTorch asks; ``fork`` runs its function
at once (as PyTorch's does outside TorchScript) and ``wait`` takes the result from its Future; ``isinstance``
checks containers against typing's ``List[int]``, ``Dict[str, Tensor]``, ``Optional``, ``Tuple``."""
import typing


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


def script_if_tracing(function):
    return function


def interface(obj):
    """A decorator that leaves the class or module as it is (TorchScript's interface types)."""
    return obj


def freeze(mod, preserved_attrs=None, optimize_numerics=True):
    """``mod`` itself (TorchScript would inline its parameters as constants); in eval mode, as PyTorch
    requires of a module it freezes."""
    if getattr(mod, "training", False):
        raise RuntimeError("Freezing is currently only implemented for modules in eval mode. Please call .eval() on "
                           "your module before freezing.")
    return mod


def optimize_for_inference(mod, other_methods=None):
    """``mod`` put in eval mode (PyTorch's also freezes and fuses it for inference)."""
    return mod.eval()


class Future:
    """The result of ``fork``: ready at once, since the function ran when forked."""

    def __init__(self, value):
        self._value = value

    def wait(self):
        return self._value

    def value(self):
        return self._value

    def done(self):
        return True


def fork(func, *args, **kwargs):
    """``func(*args, **kwargs)`` run now, its result in a Future (``wait`` gives it)."""
    return Future(func(*args, **kwargs))


def wait(future):
    return future.wait()


def isinstance(obj, target_type):
    """Whether ``obj`` is of ``target_type``, which may be one of typing's containers, checked element by
    element: ``List[int]``, ``Dict[str, Tensor]``, ``Tuple[int, str]``, ``Optional[T]``/``Union``."""
    import builtins

    origin, arguments = typing.get_origin(target_type), typing.get_args(target_type)
    if origin is None:
        return builtins.isinstance(obj, target_type)
    if origin is typing.Union:
        return any(isinstance(obj, argument) for argument in arguments)
    if origin is list:
        return builtins.isinstance(obj, list) and all(isinstance(item, arguments[0]) for item in obj)
    if origin is dict:
        return builtins.isinstance(obj, dict) and all(isinstance(key, arguments[0]) and isinstance(value, arguments[1])
                                                      for key, value in obj.items())
    if origin is tuple:
        return (builtins.isinstance(obj, tuple) and len(obj) == len(arguments)
                and all(isinstance(item, argument) for item, argument in zip(obj, arguments)))
    return builtins.isinstance(obj, origin)


def save(m, f, _extra_files=None):
    raise NotImplementedError("jit.save writes TorchScript, PyTorch's compiled format, which tinynn cannot make; "
                              "save the model's state dict with tinynn.save(model.state_dict(), path)")


def load(f, map_location=None, _extra_files=None, _restore_shapes=False):
    raise NotImplementedError("jit.load reads TorchScript, PyTorch's compiled format, which tinynn cannot run; load "
                              "the model's state dict with tinynn.load and model.load_state_dict")
