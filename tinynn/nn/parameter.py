"""``Parameter``: a Tensor that a Module registers as learnable (requires_grad=True by default);
``Buffer``: one it registers as state that is not learned (PyTorch's ``nn.Buffer``); their uninitialized
forms, a lazy layer's until its first input tells their shapes."""
import numpy as np

from .. import backend
from ..ops.promotion import default_float
from ..tensor import Tensor


class Parameter(Tensor):
    def __init__(self, data, requires_grad=True):
        super().__init__(data._array if isinstance(data, Tensor) else data, requires_grad=requires_grad)

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()


class Buffer(Tensor):
    """Assigned as a Module attribute, registered as a buffer (``persistent``: kept in the state
    dict), as ``register_buffer`` does; the module keeps a plain Tensor sharing its memory."""

    def __init__(self, data, *, persistent=True):
        super().__init__(data._array if isinstance(data, Tensor) else data, requires_grad=False)
        self.persistent = persistent


class UninitializedParameter(Parameter):
    """A parameter whose shape is not known yet (a lazy layer's): an empty array until ``materialize``
    gives it one, when it becomes a plain Parameter, the same object (an optimizer may hold it already),
    as PyTorch's."""

    cls_to_become = Parameter

    def __init__(self, requires_grad=True, device=None, dtype=None):
        super().__init__(backend.to_device(np.zeros(0, dtype=dtype or default_float()), backend.canonical_device(device)),
                         requires_grad=requires_grad)

    def materialize(self, shape, device=None, dtype=None):
        """Zeros of ``shape`` (on ``device``, in ``dtype``: by default its own), and a plain Parameter from now on."""
        self.data = backend.to_device(np.zeros(shape, dtype=dtype or self.dtype),
                                      backend.canonical_device(device) if device is not None else self.device)
        self.__class__ = self.cls_to_become


class UninitializedBuffer(Tensor):
    """A buffer whose shape is not known yet (a lazy batch norm's running statistics), as PyTorch's."""

    cls_to_become = Tensor

    def __init__(self, requires_grad=False, device=None, dtype=None, persistent=True):
        super().__init__(backend.to_device(np.zeros(0, dtype=dtype or default_float()), backend.canonical_device(device)),
                         requires_grad=requires_grad)
        self.persistent = persistent

    materialize = UninitializedParameter.materialize


def is_lazy(param):
    """Whether ``param`` is a parameter or buffer whose shape is not known yet."""
    return isinstance(param, (UninitializedParameter, UninitializedBuffer))
