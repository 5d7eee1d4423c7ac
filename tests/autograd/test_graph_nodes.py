"""The graph as nodes (PyTorch's torch.autograd.graph): next_functions leading to each input's node,
AccumulateGrad for leaves (one per leaf), None for constants; node hooks before and after a node's
backward, changing the gradients as PyTorch's do; name() and metadata."""
import numpy as np

import tinynn
from tinynn.autograd.graph import AccumulateGrad


def build(library):
    x = library.tensor(np.array([1.0, -2.0, 3.0]), requires_grad=True)
    w = library.tensor(np.array([0.5, 0.25, -1.0]), requires_grad=True)
    c = library.tensor(np.array([2.0, 2.0, 2.0]))  # a constant
    y = ((x * w).exp() * c).sum()
    return x, w, y


def shape_of(node, depth=0):
    """The graph below a node as nested tuples of (arity, None positions), leaves as 'leaf'."""
    if node is None:
        return None
    if not node.next_functions:
        return "leaf"
    return tuple(shape_of(parent) for parent, _ in node.next_functions)


def test_next_functions_walk_the_graph_as_torchs(torch):
    x, w, y = build(tinynn)
    tx, tw, ty = build(torch)
    assert shape_of(y.grad_fn) == shape_of(ty.grad_fn)
    exp_node = y.grad_fn.next_functions[0][0].next_functions[0][0]
    (mul_node, _), = exp_node.next_functions
    leaves = [parent for parent, _ in mul_node.next_functions]
    assert all(isinstance(leaf, AccumulateGrad) for leaf in leaves)
    assert leaves[0].variable is x and leaves[1].variable is w
    assert mul_node.next_functions[0][0] is leaves[0]  # one AccumulateGrad per leaf
    assert y.grad_fn.name() == "SumBackward" and y.grad_fn.name == "Sum" and leaves[0].name() == "AccumulateGrad"
    y.grad_fn.metadata["note"] = "the loss"
    assert y.grad_fn.metadata == {"note": "the loss"}


def test_node_hooks_see_and_change_gradients_as_torchs(torch):
    results = []
    for library in (tinynn, torch):
        x, w, y = build(library)
        exp_node = y.grad_fn.next_functions[0][0].next_functions[0][0]
        seen = []
        exp_node.register_prehook(lambda grad_outputs: (grad_outputs[0] * 10,))
        handle = exp_node.register_hook(lambda grad_inputs, grad_outputs: seen.append(
            (len(grad_inputs), np.asarray(grad_outputs[0].detach().numpy()).copy())))
        mul_node = exp_node.next_functions[0][0]
        mul_node.register_hook(lambda grad_inputs, grad_outputs: (grad_inputs[0] * 0, grad_inputs[1]))
        y.backward()
        handle.remove()
        results.append((x.grad.numpy().copy(), w.grad.numpy().copy(), seen))
    (x_ours, w_ours, seen_ours), (x_theirs, w_theirs, seen_theirs) = results
    np.testing.assert_allclose(w_ours, w_theirs, rtol=1e-12)
    np.testing.assert_array_equal(x_ours, x_theirs)  # zeroed by the hook, in both
    assert len(seen_ours) == len(seen_theirs) == 1 and seen_ours[0][0] == seen_theirs[0][0]
    np.testing.assert_allclose(seen_ours[0][1], seen_theirs[0][1], rtol=1e-12)  # after the pre-hook's x10
