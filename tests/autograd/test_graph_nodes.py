"""The graph as nodes (PyTorch's torch.autograd.graph): next_functions leading to each input's node,
AccumulateGrad for leaves (one per leaf), None for constants; node hooks before and after a node's
backward, changing the gradients as PyTorch's do; name() and metadata."""
import numpy as np
import pytest

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


def test_a_multi_grad_hook_sees_the_tensors_gradients_together_as_pytorchs(torch):
    """mode="all": once per pass that reaches any of them, all their gradients in order (None for one it
    does not reach), also through autograd.grad; mode="any": once per pass, with the first one computed."""
    results = []
    for library in (tinynn, torch):
        a = library.tensor([1.0, 2.0], requires_grad=True)
        b = library.tensor([3.0], requires_grad=True)
        c = library.tensor([5.0], requires_grad=True)
        seen, first = [], []
        handle = library.autograd.graph.register_multi_grad_hook(
            (a, b, c), lambda grads: seen.append([None if g is None else g.tolist() for g in grads]))
        ((a * 2).sum() + (b * 3).sum()).backward()
        (c * 4).sum().backward()
        if library is tinynn:  # (PyTorch's refuses hooks on leaves inside autograd.grad)
            library.autograd.grad((a * b).sum(), (a, b))
        handle.remove()
        a.sum().backward()  # (removed: not seen)
        with library.autograd.graph.register_multi_grad_hook((a, b), lambda g: first.append(g.tolist()), mode="any"):
            ((a * 2).sum() + (b * 3).sum()).backward()
            (b * 5).sum().backward()
        results.append((seen, first))
    assert results[1][0] == [[[2.0, 2.0], [3.0], None], [None, None, [4.0]]]
    assert results[0][0] == results[1][0] + [[[3.0, 3.0], [3.0], None]]
    assert len(results[0][1]) == 2 and results[0][1][0] in ([2.0, 2.0], [3.0]) and results[0][1][1] == [5.0]
    with pytest.raises(ValueError, match="mode must be 'all' or 'any'"):
        tinynn.autograd.graph.register_multi_grad_hook((tinynn.ones(1, requires_grad=True),), print, mode="some")
    with pytest.raises(RuntimeError, match="none of the tensors requires grad"):
        tinynn.autograd.graph.register_multi_grad_hook((tinynn.ones(1),), print)


def test_increment_version_makes_a_backward_that_read_the_old_values_refuse(torch):
    for library in (tinynn, torch):
        x = library.tensor([1.0, 2.0], requires_grad=True)
        y = (x * x).sum()
        z = x.exp().sum()
        x.data[...] = x.data * 2  # (behind autograd's back)
        library.autograd.graph.increment_version(x)
        with pytest.raises(RuntimeError, match="increment_version|modified by an inplace operation"):
            y.backward()
        del z
    w = tinynn.tensor([1.0], requires_grad=True)
    kept = (w * 3).sum()
    tinynn.autograd.graph.increment_version([tinynn.zeros(1)])  # another tensor's: no effect
    kept.backward()
    assert w.grad.tolist() == [3.0]


BAD_REPLACEMENTS = {  # what a hook returns in place of a float32 gradient of shape (3,) -> what is said
    "shape": (lambda library, g: library.ones(4), RuntimeError, r"changed the gradient's shape from \(3,\) to \(4,\)"),
    "dtype": (lambda library, g: g.double(), RuntimeError, "changed the gradient's dtype from float32 to float64"),
    "list": (lambda library, g: [1.0, 2.0, 3.0], TypeError, "returned a list as a gradient; expected a Tensor"),
    "number": (lambda library, g: 3.0, TypeError, "returned a float as a gradient; expected a Tensor"),
}


@pytest.mark.parametrize("where", ["leaf", "non-leaf", "node pre-hook", "create_graph"])
@pytest.mark.parametrize("bad", sorted(BAD_REPLACEMENTS))
def test_a_hook_that_reshapes_retypes_or_replaces_a_gradient_by_no_tensor_is_refused_as_by_torch(torch, where, bad):
    """A hook may scale or mask the gradient it is given, not change its shape or dtype (PyTorch: "hook
    'name' has changed the size of value"); before, a wrong shape failed in a NumPy reshape, a float64
    one was rounded, a list failed reading its dtype."""
    make, error, message = BAD_REPLACEMENTS[bad]
    for library in (tinynn, torch):
        x = library.tensor([1.0, 2.0, 3.0], requires_grad=True)
        y = x * 2

        def hook(g, library=library):
            return make(library, g)

        if where == "leaf":
            x.register_hook(hook)
        elif where == "node pre-hook":
            y.grad_fn.register_prehook(lambda grads: (hook(grads[0]),))
        else:
            y.register_hook(hook)
        with pytest.raises((RuntimeError, TypeError)) as raised:
            if where == "create_graph":
                library.autograd.grad(y.sum(), x, create_graph=True)
            else:
                y.sum().backward()
        if library is tinynn:
            assert raised.type is error and raised.match(message)


def test_node_hooks_must_return_one_gradient_for_each_they_were_given(torch):
    for library in (tinynn, torch):
        x = library.tensor([1.0, 2.0, 3.0], requires_grad=True)
        y = x * 2
        y.grad_fn.register_prehook(lambda grads: (grads[0], grads[0]))
        with pytest.raises(RuntimeError, match="returned 2 values; expected None or a tuple of 1 grad_outputs"
                           if library is tinynn else "incorrect number of values"):
            y.sum().backward()
    x = tinynn.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x * tinynn.tensor([1.0, 1.0, 1.0])
    y.grad_fn.register_hook(lambda grad_inputs, grad_outputs: (grad_inputs[0],))
    with pytest.raises(RuntimeError, match="returned 1 value; expected None or a tuple of 2 grad_inputs"):
        y.sum().backward()
    y = x * tinynn.tensor([1.0, 1.0, 1.0])
    y.grad_fn.register_hook(lambda grad_inputs, grad_outputs: (grad_inputs[0], grad_inputs[0]))
    with pytest.raises(RuntimeError, match="returned a gradient where it was given None"):
        y.sum().backward()  # (the constant needs none)
