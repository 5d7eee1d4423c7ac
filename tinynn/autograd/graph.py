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
may return new grad_inputs); ``node.metadata`` is a dict for your notes."""
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
