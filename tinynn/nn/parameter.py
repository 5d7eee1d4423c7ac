"""``Parameter``: a Tensor that a Module registers as learnable (requires_grad=True by default);
``Buffer``: one it registers as state that is not learned (PyTorch's ``nn.Buffer``)."""
from ..tensor import Tensor


class Parameter(Tensor):
    def __init__(self, data, requires_grad=True):
        super().__init__(data.data if isinstance(data, Tensor) else data, requires_grad=requires_grad)

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()


class Buffer(Tensor):
    """Assigned as a Module attribute, registered as a buffer (``persistent``: kept in the state
    dict), as ``register_buffer`` does; the module keeps a plain Tensor sharing its memory."""

    def __init__(self, data, *, persistent=True):
        super().__init__(data.data if isinstance(data, Tensor) else data, requires_grad=False)
        self.persistent = persistent
