"""Every op states its math where its code is: each Function has a docstring with its derivative,
so a reader finds any backward, and why it is right, next to the forward (STYLE.md)."""
import importlib
import inspect
import pkgutil
import re

import tinynn
from tinynn.autograd import Function

DERIVATIVE = re.compile(r"d[lL]/d|f'\(|[Bb]ackward|gradient")


def functions():
    for module_info in pkgutil.walk_packages(tinynn.__path__, "tinynn."):
        module = importlib.import_module(module_info.name)
        for name, value in inspect.getmembers(module, inspect.isclass):
            if issubclass(value, Function) and value is not Function and value.__module__ == module.__name__:
                yield f"{module.__name__}.{name}", value


def test_every_function_documents_its_derivative():
    found = dict(functions())
    assert len(found) > 60, "the ops were found"
    undocumented = [name for name, function in found.items()
                    if not name.rsplit(".", 1)[1].startswith("_") and not DERIVATIVE.search(function.__doc__ or "")]
    assert not undocumented, f"Functions without the math of their backward in the docstring: {undocumented}"


def test_every_function_defines_forward_and_backward_side_by_side():
    for name, function in functions():
        if name.rsplit(".", 1)[1].startswith("_"):
            continue
        assert "forward" in vars(function) or any("forward" in vars(base) for base in function.__mro__[1:-2]), name
        assert "backward" in vars(function) or any("backward" in vars(base) for base in function.__mro__[1:-2]), name
