"""The backward engine: accumulation, diamonds, deep chains, retain_graph, no_grad, detach, hooks,
autograd.grad."""
import numpy as np
import pytest

import tinynn
from tinynn.autograd import no_grad


def test_gradient_accumulates_across_backward_calls():
    x = tinynn.tensor([1.0, 2.0], requires_grad=True)
    (x * 3).sum().backward()
    (x * 4).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [7, 7])


def test_diamond_graph_sums_both_paths():
    x = tinynn.tensor(2.0, requires_grad=True)
    a = x * 3
    y = a * a + a.exp()  # a is used twice
    y.backward()
    expected = 2 * 6 * 3 + np.exp(6.0) * 3
    np.testing.assert_allclose(x.grad.item(), expected, rtol=1e-6)


def test_deep_chain_of_10000_ops_backprops_without_recursion():
    x = tinynn.tensor(1.0, requires_grad=True)
    y = x
    for _ in range(10_000):
        y = y * 1.0001
    y.backward()
    np.testing.assert_allclose(x.grad.item(), 1.0001 ** 10_000, rtol=1e-3)


def test_graph_is_freed_after_backward_and_second_backward_is_an_error():
    x = tinynn.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="second time"):
        y.backward()


def test_retain_graph_allows_a_second_backward():
    x = tinynn.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_array_equal(x.grad.numpy(), [4, 8])


def test_backward_on_non_scalar_needs_grad():
    x = tinynn.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"single-value output.*shape \(2,\)"):
        (x * 2).backward()
    (x * 2).backward(tinynn.tensor([1.0, 10.0]))
    np.testing.assert_array_equal(x.grad.numpy(), [2, 20])


def test_no_grad_records_nothing_as_context_and_decorator():
    x = tinynn.tensor([1.0], requires_grad=True)
    with no_grad():
        y = x * 2
    assert not y.requires_grad and y.grad_fn is None

    @no_grad()
    def double(t):
        return t * 2

    z = double(x)
    assert not z.requires_grad and z.grad_fn is None
    assert tinynn.is_grad_enabled()


def test_detach_cuts_the_graph():
    x = tinynn.tensor([3.0], requires_grad=True)
    y = x * x.detach()
    y.backward()
    np.testing.assert_array_equal(x.grad.numpy(), [3.0])
    assert x.detach().grad_fn is None and not x.detach().requires_grad


def test_tensor_hooks_see_and_replace_gradients():
    x = tinynn.tensor([1.0, 2.0], requires_grad=True)
    y = x * 3
    seen = []
    y.register_hook(lambda g: seen.append(g.numpy().copy()))
    handle = y.register_hook(lambda g: g * 10)
    y.sum().backward()
    np.testing.assert_array_equal(seen[0], [1, 1])
    np.testing.assert_array_equal(x.grad.numpy(), [30, 30])
    handle.remove()
    x.grad = None
    y = x * 3
    y.register_hook(lambda g: g * 0)
    handle.remove()  # removing twice is harmless
    (x * 3).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [3, 3])


def test_post_accumulate_grad_hooks_see_the_complete_gradient_and_can_step_there():
    """As PyTorch's optimizer-in-backward: each parameter updated as soon as its gradient is complete."""
    weight = tinynn.tensor([1.0, 2.0], requires_grad=True)
    seen = []

    def step(parameter):
        seen.append(parameter.grad.numpy().copy())
        with tinynn.no_grad():
            parameter.sub_(parameter.grad * 0.5)
        parameter.grad = None

    handle = weight.register_post_accumulate_grad_hook(step)
    (weight * weight * 3 + weight).sum().backward()  # two paths into the leaf: one call, with their sum
    np.testing.assert_array_equal(seen[0], [7.0, 13.0])
    assert len(seen) == 1 and weight.grad is None and weight.tolist() == [-2.5, -4.5]
    handle.remove()
    (weight * 2).sum().backward()
    assert len(seen) == 1 and weight.grad.tolist() == [2.0, 2.0]
    with pytest.raises(RuntimeError, match="only leaf tensors that require grad"):
        (weight * 2).register_post_accumulate_grad_hook(step)


def test_every_grad_owns_its_memory_so_in_place_changes_reach_it_alone(device):
    """Add hands both inputs the same dL/dy and a reshape a view of it: the leaves' .grad must still
    be arrays of their own (GradScaler.unscale_ and clipping scale them in place), as must a leaf's
    gradient that is the caller's own array or a retained non-leaf's."""
    a, b = (tinynn.ones(3, requires_grad=True, device=device) for _ in range(2))
    c = tinynn.ones(1, 3, requires_grad=True, device=device)
    middle = a * 1
    middle.retain_grad()
    (middle + b + c.reshape(3)).sum().backward()
    grads = [a.grad, b.grad, c.grad, middle.grad]
    for grad in grads:
        grad.mul_(2)
    assert [g.tolist() for g in grads] == [[2.0] * 3, [2.0] * 3, [[2.0] * 3], [2.0] * 3]  # each doubled once
    start = tinynn.ones(3, device=device)
    leaf = tinynn.zeros(3, requires_grad=True, device=device)
    leaf.backward(start)
    leaf.grad.zero_()
    assert start.tolist() == [1.0] * 3
    tables = [tinynn.nn.Embedding(4, 2, sparse=True).to(device) for _ in range(2)]
    words = tinynn.tensor([1, 3], device=device)
    (tables[0](words) + tables[1](words)).sum().backward()
    scaler = tinynn.amp.GradScaler(init_scale=4.0)
    scaler.unscale_(tinynn.optim.SGD([t.weight for t in tables], lr=0.1))
    assert all(t.weight.grad.values().tolist() == [[0.25] * 2] * 2 for t in tables)  # each divided once


def test_retain_grad_keeps_non_leaf_gradient():
    x = tinynn.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    y.retain_grad()
    (y * y).sum().backward()
    np.testing.assert_array_equal(y.grad.numpy(), [4, 8])


def test_a_non_leafs_grad_warns_and_an_assigned_grad_must_fit_as_in_pytorch(torch):
    """Reading .grad of a non-leaf that does not retain it gives None with PyTorch's warning (a common
    mistake: the leaf was meant); a gradient assigned by hand of another shape, dtype or kind is refused
    at once instead of breaking the next accumulation."""
    for library in (tinynn, torch):
        x = library.ones(2, requires_grad=True)
        y = x * 2
        (y * y).sum().backward()
        with pytest.warns(UserWarning, match="The .grad attribute of a Tensor that is not a leaf Tensor"):
            assert y.grad is None
        with pytest.raises(RuntimeError, match="attempting to assign a gradient of (shape|size)"):
            x.grad = library.ones(3)
        with pytest.raises(RuntimeError, match="attempting to assign a gradient (of|with) dtype"):
            x.grad = library.ones(2, dtype=library.float64)
        with pytest.raises(TypeError, match="assigned grad expected to be a Tensor or None"):
            x.grad = [1.0, 1.0]
        x.grad = library.full((2,), 3.0)
        (x * 1).sum().backward()
        assert x.grad.tolist() == [4.0, 4.0]
        x.grad = None
        assert x.grad is None


def test_only_float_tensors_can_require_grad():
    with pytest.raises(TypeError, match="floating-point"):
        tinynn.tensor([1, 2], requires_grad=True)


def test_mixing_devices_names_both():
    a = tinynn.zeros(2)
    b = tinynn.zeros(2)
    b.data = _FakeGpuArray(b.data)
    with pytest.raises(RuntimeError, match="same device.*cpu and gpu"):
        tinynn.autograd.Function.__call__(tinynn.ops.arithmetic.Add(), a, b)


class _FakeGpuArray(np.ndarray):
    """An array that tinynn's backend reports as living on the GPU (to test the device check without one)."""

    def __new__(cls, array):
        return np.asarray(array).view(cls)


@pytest.fixture(autouse=True)
def _fake_gpu(monkeypatch):
    original = tinynn.backend.device_of
    monkeypatch.setattr(tinynn.backend, "device_of",
                        lambda a: "gpu" if isinstance(a, _FakeGpuArray) else original(a))


def test_autograd_grad_returns_gradients_and_leaves_dot_grad_alone(torch, rng, device):
    values = rng.standard_normal((3, 4))
    x = tinynn.tensor(values, requires_grad=True, device=device)
    w = tinynn.tensor(values.T.copy(), requires_grad=True, device=device)
    hidden = (x @ w).tanh()
    loss = (hidden * hidden).sum()
    tx, tw = torch.tensor(values, requires_grad=True), torch.tensor(values.T.copy(), requires_grad=True)
    t_hidden = (tx @ tw).tanh()
    t_loss = (t_hidden * t_hidden).sum()
    ours = tinynn.autograd.grad(loss, [w, hidden, x])
    theirs = torch.autograd.grad(t_loss, [tw, t_hidden, tx])
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-12)
    assert x.grad is None and w.grad is None  # nothing accumulated


def test_autograd_grad_with_several_outputs_and_grad_outputs(torch):
    x = tinynn.tensor([1.0, 2.0, 3.0], requires_grad=True)
    tx = torch.tensor([1.0, 2.0, 3.0], requires_grad=True, dtype=torch.float64)
    weights = np.array([0.5, -1.0, 2.0])
    (ours,) = tinynn.autograd.grad([x * x, x.sum()], x, [tinynn.tensor(weights), None])
    (theirs,) = torch.autograd.grad([tx * tx, tx.sum()], tx, [torch.tensor(weights), None])
    np.testing.assert_allclose(ours.numpy(), theirs.numpy())


def test_autograd_grad_errors_are_clear():
    x, unused = tinynn.tensor([1.0, 2.0], requires_grad=True), tinynn.tensor([3.0], requires_grad=True)
    y = (x * 2).sum()
    with pytest.raises(RuntimeError, match=r"input 1 \(shape \(1,\)\) was not used to compute the outputs"):
        tinynn.autograd.grad(y, [x, unused], retain_graph=True)
    assert tinynn.autograd.grad(y, [x, unused], allow_unused=True, retain_graph=True)[1] is None
    with pytest.raises(RuntimeError, match="grad_outputs must be given for an output with more than one value"):
        tinynn.autograd.grad(x * 2, x)
    with pytest.raises(RuntimeError, match="input 0 does not require grad"):
        tinynn.autograd.grad(y, tinynn.tensor([1.0]))
    tinynn.autograd.grad(y, x)
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        tinynn.autograd.grad(y, x)


def test_backward_gradient_and_inputs_keywords_like_torch(torch, rng):
    """``gradient=`` (PyTorch's name), and ``inputs=``: only those tensors, leaves or not, get a .grad."""
    xs, ws, gs = rng.standard_normal(3), rng.standard_normal(3), rng.standard_normal(3)
    results = {}
    for library in (tinynn, torch):
        x, w = library.tensor(xs, requires_grad=True), library.tensor(ws, requires_grad=True)
        z = x * w
        (z * z).sum().backward(inputs=[w], retain_graph=True)
        assert x.grad is None
        (z * z).sum().backward(inputs=[z, z])
        assert x.grad is None
        (x * w).backward(gradient=library.tensor(gs))
        results[library.__name__] = (w.grad, z.grad, x.grad)
    for mine, theirs in zip(results["tinynn"], results["torch"]):
        np.testing.assert_allclose(mine.numpy(), theirs.numpy(), rtol=1e-12)


def test_autograd_backward_takes_several_outputs_like_torch(torch, rng):
    xs, gs = rng.standard_normal(3), rng.standard_normal(3)
    grads = []
    for library in (tinynn, torch):
        x = library.tensor(xs, requires_grad=True)
        library.autograd.backward([x.exp(), (x * x).sum()], [library.tensor(gs), None])
        grads.append(x.grad.numpy())
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-12)


def test_backward_inputs_runs_post_accumulate_hooks_and_refuses_misuse():
    x, w = tinynn.tensor([1.0, 2.0], requires_grad=True), tinynn.tensor([3.0, 4.0], requires_grad=True)
    seen = []
    w.register_post_accumulate_grad_hook(lambda tensor: seen.append(tensor.grad.numpy().copy()))
    (x * w).sum().backward(inputs=[w], retain_graph=True)
    np.testing.assert_array_equal(seen[0], [1.0, 2.0])
    with pytest.raises(RuntimeError, match=r"inputs\[0\] does not require grad"):
        (x * w).sum().backward(inputs=[tinynn.tensor([1.0])], retain_graph=True)
    with pytest.raises(ValueError, match="inputs is empty"):
        (x * w).sum().backward(inputs=[])
    with pytest.raises(ValueError, match=r"gradient\[0\] has shape \(3,\), output 0 has shape \(2,\)"):
        (x * w).backward(tinynn.ones(3))
    with pytest.raises(ValueError, match="2 outputs but 1 grad_tensors"):
        tinynn.autograd.backward([x * w, x * w], [tinynn.ones(2)])


def test_an_infinite_single_value_output_starts_from_one(torch):
    """The implied starting gradient is 1, also for an output that is inf (inf * 0 + 1 would be NaN)."""
    ours, theirs = tinynn.tensor([100.0], requires_grad=True), torch.tensor([100.0], requires_grad=True)
    with np.errstate(over="ignore"):  # exp(100) overflows float32, on purpose
        (gx,) = tinynn.autograd.grad(ours.exp().sum(), ours)
    theirs.exp().sum().backward()
    assert np.isinf(gx.numpy()[0]) and np.isinf(theirs.grad.numpy()[0])


def test_grad_modes_as_bare_decorators_and_inference_mode_as_torchs(torch):
    def record(library):
        x = library.ones(2, requires_grad=True)

        @library.no_grad
        def plain(a):
            return (a * 2).requires_grad

        @library.inference_mode
        def inference(a):
            return (a * 2).requires_grad, library.is_inference_mode_enabled()
        with library.no_grad():
            with library.inference_mode(False):  # leaves inference mode and records again
                inner = (x * 2).requires_grad, library.is_inference_mode_enabled()
        return plain(x), inference(x), inner, library.is_inference_mode_enabled()
    assert record(tinynn) == record(torch)


def test_batched_grad_outputs_give_the_rows_of_a_jacobian_as_pytorchs(torch):
    values = np.array([1.0, 2.0, 3.0])
    results = []
    for module in (tinynn, torch):
        x = module.tensor(values, requires_grad=True)
        w = module.tensor([1.0, -1.0], requires_grad=True)
        unused = module.tensor([1.0], requires_grad=True)
        outputs = [x ** 2, x.sum() * w]
        results.append(module.autograd.grad(outputs, [x, w, unused], [module.eye(3), module.ones(3, 2)],
                                            is_grads_batched=True, allow_unused=True))
    for ours, theirs in zip(*results):
        assert (ours is None) == (theirs is None)
        if ours is not None:
            np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    x = tinynn.tensor(values, requires_grad=True)
    jacobian, = tinynn.autograd.grad(x.sin(), x, tinynn.eye(3, dtype=tinynn.float64), is_grads_batched=True,
                                     create_graph=True)
    np.testing.assert_allclose(jacobian.numpy(), np.diag(np.cos(values)), rtol=1e-15)
    jacobian.sum().backward()  # recorded: differentiable again
    np.testing.assert_allclose(x.grad.numpy(), -np.sin(values), rtol=1e-15)
    with pytest.raises(ValueError, match="is_grads_batched=True needs grad_outputs"):
        tinynn.autograd.grad(x.sin().sum(), x, is_grads_batched=True)


@pytest.mark.parametrize("create_graph", [False, True])
def test_a_gradient_takes_its_tensor_s_dtype_on_the_way_back_as_in_torch(torch, create_graph, device):
    """A float16 tensor in a float64 product gets a float16 gradient, rounded before it goes on to the
    ops that made the tensor (it went on in float64, and the float64 leaf's gradient missed the rounding)."""
    values, weights = [0.1, 0.2, 0.3], [0.3, 0.7, 1.9]
    x = tinynn.tensor(values, dtype=np.float64, device=device, requires_grad=True)
    t = torch.tensor(values, dtype=torch.float64, requires_grad=True)
    y, ty = x.half(), t.half()
    y.retain_grad()
    ty.retain_grad()
    (y * tinynn.tensor(weights, dtype=np.float64, device=device)).sum().backward(create_graph=create_graph)
    (ty * torch.tensor(weights, dtype=torch.float64)).sum().backward()
    assert y.grad.dtype == np.float16 and x.grad.dtype == np.float64
    assert x.grad.tolist() == t.grad.tolist() == [np.float16(w).item() for w in weights]
