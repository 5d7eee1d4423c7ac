"""The errors tinynn's operations raise for input they cannot take.

Python's convention for a wrong argument is a ValueError (a wrong shape, size or value) or a
TypeError (a wrong kind of value: here a dtype), and an IndexError for an index out of range;
PyTorch's operator checks raise RuntimeError for most of them. Each error below is both, so an
``except`` written for either convention catches it: ``except RuntimeError`` in code ported from
PyTorch, ``except ValueError`` in Python code.
(NumPy's AxisError, both a ValueError and an IndexError, is the same idea.)

Where PyTorch itself raises a plain ValueError (an optimizer's learning rate, a distribution's
parameters, a DataLoader's batch size), tinynn raises a plain ValueError too.
"""


class InputError(ValueError, RuntimeError):
    """An operation's input has a shape, size or value it does not accept."""


class DtypeError(TypeError, RuntimeError):
    """An operation's input has a dtype it does not accept (an integer tensor where floats are
    needed, two operands of dtypes that must match)."""


class IndexRangeError(IndexError, RuntimeError):
    """An index (a gather's, an embedding's, a class label) outside the range it indexes. Python's
    convention and PyTorch's on the CPU for most ops is IndexError, PyTorch's gather, scatter and
    one_hot raise RuntimeError (and every op on the GPU, where the check is a device assert)."""
