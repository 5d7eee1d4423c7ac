"""``Optimizer.state``: each parameter's optimizer state, keyed by the parameter itself, as PyTorch's
(a ``defaultdict(dict)`` there): ``optimizer.state[p]["exp_avg"]`` reads Adam's first moment of ``p``,
and an optimizer of one's own written PyTorch's way keeps its buffers in ``self.state[p]``.

The update rules keep their state as raw arrays, one plain dict per parameter (``of(param)``: no
Tensor is made on the way of a step). What code outside reads through ``state[p]`` is a view of that
dict whose arrays come out as Tensors sharing their memory, as ``state_dict`` shows them, so an in-place
change (``state[p]["exp_avg"].zero_()``) reaches the optimizer. A value stored through the view is kept as
it is (an optimizer of one's own gets back the Tensor it stored); a built-in rule turns a Tensor found
there back into its array at its next step (``Optimizer._state_of``). Keys that are not Tensors (some
optimizers of one's own keep a global counter under a name) hold whatever is stored under them, and
``state_dict`` keeps them as they are, as PyTorch's does.
"""
from collections.abc import Mapping, MutableMapping

from .. import backend
from ..tensor import Tensor


def public_value(value, param):
    """A raw state entry as PyTorch's state holds it: an array as a Tensor sharing its memory (a complex
    parameter's real pairs as complex values of the parameter's shape, PyTorch's layout), a list of
    arrays (L-BFGS's history) as a list of Tensors, anything else as it is."""
    if isinstance(value, list):
        return [public_value(item, param) for item in value]
    if not hasattr(value, "shape") or isinstance(value, Tensor):
        return value
    if param.dtype.kind == "c" and value.dtype.kind == "f" and tuple(value.shape) == tuple(param.shape) + (2,):
        value = backend.get_array_module(value).ascontiguousarray(value).view(param.dtype).reshape(param.shape)
    return Tensor._from_op(value, False)


class ParameterState(MutableMapping):
    """``optimizer.state[p]``: the state dict of one parameter, its arrays shown as Tensors."""

    def __init__(self, raw, param, states):
        self.raw, self.param, self.states = raw, param, states

    def __getitem__(self, key):
        return public_value(self.raw[key], self.param)

    def __setitem__(self, key, value):
        self.raw[key] = value
        self.states.touched.add(id(self.param))

    def __delitem__(self, key):
        del self.raw[key]

    def __iter__(self):
        return iter(self.raw)

    def __len__(self):
        return len(self.raw)

    def __repr__(self):
        return repr(dict(self.items()))


class ParameterStates(MutableMapping):
    """``optimizer.state``: parameter -> its ``ParameterState`` (made empty at its first use, as a
    defaultdict's entry). Parameters are told apart by identity (``id``), never by their values."""

    def __init__(self, entries=()):
        # id(param), or ("name", key) for a key that is not a Tensor -> (the parameter or key, its raw dict)
        self._entries = {}
        self.touched = set()  # ids of the parameters whose state was set from outside since a step last took it
        for key, state in (entries.items() if isinstance(entries, Mapping) else entries):
            self[key] = state

    @staticmethod
    def _identity(key):
        # a name is kept apart from every id: state[id(p)] is a name like any other, never p's entry
        return id(key) if isinstance(key, Tensor) else ("name", key)

    def of(self, param):
        """The raw state dict of ``param`` as the update rules use it (arrays as arrays)."""
        identity = self._identity(param)
        entry = self._entries.get(identity)
        if entry is None:
            entry = self._entries[identity] = (param, {})
        return entry[1]

    def for_update(self, param):
        """The raw state dict of ``param``, and whether it was set from outside (``state[p] = ...``,
        ``state[p][key] = ...``) since the last call, so may hold Tensors to take back as arrays."""
        entry = self._entries.get(id(param))
        if entry is None:
            return self.of(param), False
        if id(param) in self.touched:
            self.touched.discard(id(param))
            return entry[1], True
        return entry[1], False

    def __getitem__(self, param):
        raw = self.of(param)
        return ParameterState(raw, param, self) if isinstance(param, Tensor) else raw

    def __setitem__(self, param, state):
        identity = self._identity(param)
        if isinstance(state, ParameterState):
            state = state.raw
        elif isinstance(param, Tensor) and not isinstance(state, dict):
            state = dict(state)
        self._entries[identity] = (param, state)
        if isinstance(param, Tensor):
            self.touched.add(identity)

    def __delitem__(self, param):
        del self._entries[self._identity(param)]

    def __contains__(self, param):
        return self._identity(param) in self._entries

    # a defaultdict makes a missing entry only when indexed: get, setdefault and pop leave it missing
    def get(self, param, default=None):
        return self[param] if param in self else default

    def setdefault(self, param, default=None):
        if param not in self:
            self[param] = {} if default is None else default
        return self[param]

    _missing = object()

    def pop(self, param, default=_missing):
        if param not in self:
            if default is ParameterStates._missing:
                raise KeyError(param)
            return default
        value = self[param]
        del self[param]
        return value

    def __iter__(self):
        return iter([key for key, _ in self._entries.values()])

    def __len__(self):
        return len(self._entries)

    def __repr__(self):
        return f"{type(self).__name__}({dict(self.items())!r})"

    def __reduce__(self):
        """Copies (deepcopy, pickle, a whole optimizer saved) key their entries by the copied parameters
        (other objects, other ids) and hold the states as ``state[p]`` shows them, Tensors: a file holds
        PyTorch's layout, a load's map_location places them, and the next step takes them back as arrays."""
        return type(self), ([(key, dict(self[key].items()) if isinstance(key, Tensor) else self[key]) for key in self],)
