"""The recorded graph seen from Python, as PyTorch's ``torch.autograd.graph`` shows it: every op
that recorded a result is a node (``tensor.grad_fn``); ``node.next_functions`` are the nodes its
backward passes gradients to, one per input: the input's own ``grad_fn``, an ``AccumulateGrad`` for a
leaf that requires grad (it adds into ``leaf.grad``), or None. Walking them from a loss draws the
whole backward graph:

    def walk(node, depth=0):
        print("  " * depth + node.name())
        for parent, _ in node.next_functions:
            if parent is not None:
                walk(parent, depth + 1)
    walk(loss.grad_fn)

``node.register_prehook(hook)`` runs ``hook(grad_outputs)`` before the node's backward (it may return
new grad_outputs), ``node.register_hook(hook)`` runs ``hook(grad_inputs, grad_outputs)`` after it (it
may return new grad_inputs); ``node.metadata`` is a dict for your notes.

``register_multi_grad_hook(tensors, fn)`` runs ``fn`` on the gradients of several tensors at once in each
backward pass; ``increment_version(tensor)`` tells autograd that a tensor's values were changed behind
its back (through ``.data``), so a backward that would read the old ones refuses, as after an in-place op."""
from ..errors import InputError
from ..hooks import RemovableHandle


class NodeName(str):
    """A node's op name ("MatMul", as errors print it) that also answers PyTorch's ``node.name()``
    ("MatMulBackward")."""

    def __call__(self):
        return f"{self}Backward"


class AccumulateGrad:
    """The end of a path: the gradient reaching it is added into ``variable.grad`` (a leaf)."""

    next_functions = ()

    def __init__(self, variable):
        self.variable = variable
        self.metadata = {}

    def name(self):
        return "AccumulateGrad"

    def __repr__(self):
        return "<AccumulateGrad>"


def accumulate_grad_of(leaf):
    """The leaf's one AccumulateGrad node (made at first use, then the same object)."""
    node = leaf.__dict__.get("_accumulate_grad_node")
    if node is None:
        node = leaf.__dict__["_accumulate_grad_node"] = AccumulateGrad(leaf)
    return node


class Node:
    """The graph side of Function (its base): next_functions, hooks and metadata."""

    _node_prehooks = None
    _node_hooks = None

    @property
    def next_functions(self):
        parents = []
        for tensor in getattr(self, "inputs", None) or ():
            if tensor is None or not tensor.requires_grad:
                parents.append((None, 0))
            elif tensor.grad_fn is not None:
                parents.append((tensor.grad_fn, 0))
            else:
                parents.append((accumulate_grad_of(tensor), 0))
        return tuple(parents)

    @property
    def metadata(self):
        if "_metadata" not in self.__dict__:
            self.__dict__["_metadata"] = {}
        return self.__dict__["_metadata"]

    def register_prehook(self, hook):
        """``hook(grad_outputs)`` before this node's backward; a returned tuple replaces grad_outputs."""
        if self._node_prehooks is None:
            self._node_prehooks = {}
        handle = RemovableHandle(self._node_prehooks)
        self._node_prehooks[handle.id] = hook
        return handle

    def register_hook(self, hook):
        """``hook(grad_inputs, grad_outputs)`` after this node's backward; a returned tuple replaces
        grad_inputs (one per input, None where an input gets no gradient)."""
        if self._node_hooks is None:
            self._node_hooks = {}
        handle = RemovableHandle(self._node_hooks)
        self._node_hooks[handle.id] = hook
        return handle


class _Handles:
    """One handle for several hooks: ``remove()`` removes them all."""

    def __init__(self, handles):
        self.handles = handles

    def remove(self):
        for handle in self.handles:
            handle.remove()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.remove()


def register_multi_grad_hook(tensors, fn, *, mode="all"):
    """Hooks on ``tensors`` together, once per backward pass (or ``autograd.grad``) that reaches any of
    them, as PyTorch's. ``mode="all"``: ``fn(grads)`` with the gradients of all of them, in order (None for
    one the pass gave no gradient), once the pass has computed them (tinynn calls it as the pass ends;
    PyTorch as soon as the last one is ready). ``mode="any"``: ``fn(grad)`` with the first of them the pass
    computes. ``fn`` returns nothing (the gradients are as they were); the handle's ``remove()`` removes it."""
    from . import engine

    if mode not in ("all", "any"):
        raise InputError(f"register_multi_grad_hook: mode must be 'all' or 'any', got {mode!r}")
    tensors = tuple(tensors)
    if not any(tensor.requires_grad for tensor in tensors):
        raise RuntimeError("register_multi_grad_hook: none of the tensors requires grad, so no gradient would reach "
                           "the hook")
    pass_state = {"grads": None}  # while a pass under way has reached the tensors: their gradients so far

    def finish():
        grads, pass_state["grads"] = pass_state["grads"], None
        if mode == "all":
            fn(tuple(grads))

    def hook_of(index):
        def hook(grad):
            if pass_state["grads"] is None:  # the first of them this pass reaches
                pass_state["grads"] = [None] * len(tensors)
                engine.queue_callback(finish)
                if mode == "any":
                    fn(grad)
            pass_state["grads"][index] = grad
        return hook

    return _Handles([tensor.register_hook(hook_of(index)) for index, tensor in enumerate(tensors)
                     if tensor.requires_grad])


def increment_version(tensor):
    """Mark ``tensor`` (or each of an iterable of tensors) as changed in place without autograd seeing it
    (a write through ``.data``): the recorded ops that kept its values refuse their backward, naming this,
    as PyTorch's version counters make them."""
    from . import in_place

    for each in ([tensor] if hasattr(tensor, "data") else tensor):
        in_place.overwritten(each._array, "increment_version")
