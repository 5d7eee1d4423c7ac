"""Reverse-mode differentiation: walk the recorded graph backwards, applying the chain rule.

``backward(root, grad)`` sorts the tensors that led to ``root`` topologically (with an explicit
stack, so a chain of 10,000 ops needs no deep recursion), then visits them from ``root``
towards the leaves. Each tensor's gradient is complete when it is visited, because every op
that used it came later in the forward pass and so was visited earlier here: gradients from
several uses (a diamond) are summed first. A Function turns its output's gradient into its
inputs' gradients; a leaf that requires grad adds its gradient into ``.grad``.
"""
from . import anomaly, grad_mode


def _topological_order(root):
    """Tensors reachable from ``root`` through grad_fn, each after all tensors it was made from."""
    order, visited = [], set()
    stack = [(root, False)]
    while stack:
        tensor, children_done = stack.pop()
        if children_done:
            order.append(tensor)
            continue
        if id(tensor) in visited:
            continue
        visited.add(id(tensor))
        stack.append((tensor, True))
        function = tensor.grad_fn
        if function is not None:
            if getattr(function, "released", False):
                raise RuntimeError(
                    "backward: trying to backward through the graph a second time, but its saved "
                    "values were freed after the first backward; call .backward(retain_graph=True) "
                    "the first time if you need to go through it again"
                )
            for parent in function.inputs:
                if parent is not None and parent.requires_grad and id(parent) not in visited:
                    stack.append((parent, False))
    return order


def backward(root, grad, retain_graph=False):
    order = _topological_order(root)
    grads = {id(root): grad}
    with grad_mode.no_grad():
        for tensor in reversed(order):
            grad = grads.pop(id(tensor), None)
            if grad is None:
                continue
            for hook in tensor._grad_hooks.values():
                replaced = hook(tensor._wrap_grad(grad))
                if replaced is not None:
                    grad = replaced.data if hasattr(replaced, "data") else replaced
            function = tensor.grad_fn
            if function is None:
                tensor._accumulate_grad(grad)
                continue
            if tensor._retains_grad:
                tensor._accumulate_grad(grad)
            input_grads = function.backward(grad)
            if not isinstance(input_grads, tuple):
                input_grads = (input_grads,)
            for parent, parent_grad, needed in zip(function.inputs, input_grads, function.needs_input_grad):
                if not needed or parent_grad is None:
                    continue
                _check_grad_shape(function, parent, parent_grad)
                if anomaly.is_anomaly_enabled():
                    anomaly.check_finite(f"{function.name} backward", "the gradient it returned", parent_grad)
                key = id(parent)
                grads[key] = parent_grad if key not in grads else grads[key] + parent_grad
            if not retain_graph:
                function.release()


def _check_grad_shape(function, parent, parent_grad):
    if tuple(parent_grad.shape) != tuple(parent.shape):
        raise RuntimeError(
            f"{function.name}.backward returned a gradient of shape {tuple(parent_grad.shape)} "
            f"for an input of shape {tuple(parent.shape)}"
        )
