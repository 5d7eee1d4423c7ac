"""``Variable``: PyTorch's old wrapper around a tensor, merged into Tensor since PyTorch 0.4, kept so
old scripts run: ``Variable(t)`` is a new leaf over t's memory (cut from t's history, requiring grad
only if asked), and every Tensor counts as a Variable (``isinstance(t, Variable)``)."""


from ..user_warnings import warn


class _VariableMeta(type):
    def __instancecheck__(cls, other):
        from ..tensor import Tensor

        return isinstance(other, Tensor)


class Variable(metaclass=_VariableMeta):
    def __new__(cls, data, requires_grad=False, volatile=False):
        from ..tensor import Tensor

        if not isinstance(data, Tensor):
            raise TypeError(f"Variable data has to be a tensor, but got {type(data).__name__}")
        if volatile:
            warn("volatile was removed and now has no effect. Use `with no_grad():` instead.")
        return data.detach().requires_grad_(requires_grad)
