"""Hooks on what the backward pass keeps (tinynn/autograd/saved_tensors.py, PyTorch's
torch.autograd.graph.saved_tensors_hooks, save_on_cpu, disable_saved_tensors_hooks)."""
import numpy as np
import pytest

import tinynn
from tinynn import nn
from tinynn.autograd.graph import disable_saved_tensors_hooks, save_on_cpu, saved_tensors_hooks
from tinynn.utils.checkpoint import checkpoint


def _models():
    tinynn.manual_seed(0)
    convnet = nn.Sequential(nn.Conv2d(2, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2),
                            nn.Flatten(), nn.Dropout(0.3), nn.Linear(4 * 3 * 3, 5))
    return {
        "convnet": (convnet, lambda: tinynn.randn(3, 2, 6, 6)),
        "lstm": (nn.LSTM(3, 4, num_layers=2), lambda: tinynn.randn(5, 2, 3)),
        "attention": (nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0), lambda: tinynn.randn(4, 3, 8)),
    }


def _gradients(model, make_input, context):
    tinynn.manual_seed(1)
    x = make_input().requires_grad_()
    with context:
        out = model(x)
    loss = (out[0] if isinstance(out, tuple) else out).square().sum()
    loss.backward()
    grads = [x.grad.numpy()] + [p.grad.numpy() for p in model.parameters()]
    model.zero_grad()
    return grads


@pytest.mark.parametrize("name", ["convnet", "lstm", "attention"])
def test_hooks_that_return_what_they_are_given_change_no_gradient(name):
    """Every op's kept arrays go out through pack_hook and back through unpack_hook, once each: the
    gradients are the plain run's, bit for bit."""
    model, make_input = _models()[name]
    plain = _gradients(model, make_input, tinynn.enable_grad())
    log = {"packed": 0, "unpacked": 0}

    def pack(tensor):
        log["packed"] += 1
        return tensor.numpy().copy()  # (anything may be kept: an array, a file name, a compressed form)

    def unpack(packed):
        log["unpacked"] += 1
        return tinynn.tensor(packed)

    hooked = _gradients(model, make_input, saved_tensors_hooks(pack, unpack))
    for a, b in zip(plain, hooked):
        np.testing.assert_array_equal(a, b)
    assert log["packed"] > 2 and log["unpacked"] == log["packed"]


def test_the_unpacked_values_are_what_the_backward_reads_as_in_pytorch(torch):
    """Doubling what is kept doubles each gradient that reads it: mul keeps both factors, exp its
    result, matmul both matrices, as PyTorch's (the same gradients with the same hooks)."""
    results = []
    for library in (tinynn, torch):
        x = library.tensor([[1.0, 2.0], [0.5, -1.0]], dtype=library.float64, requires_grad=True)
        w = library.tensor([[3.0, -4.0], [2.0, 1.0]], dtype=library.float64, requires_grad=True)
        with library.autograd.graph.saved_tensors_hooks(lambda t: t * 2, lambda t: t):
            y = (x * w).sum() + x.exp().sum() + (x @ w).sum()
        y.backward()
        results.append((x.grad.numpy(), w.grad.numpy()))
    for ours, theirs in zip(*results):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12)
    x = np.array([[1.0, 2.0], [0.5, -1.0]])
    np.testing.assert_allclose(results[0][0], 2 * (np.array([[3.0, -4.0], [2.0, 1.0]]) + np.exp(x)
                                                   + np.array([[3.0, -4.0], [2.0, 1.0]]).sum(1)))


def test_only_ops_recorded_inside_are_packed_and_the_innermost_hooks_apply():
    x = tinynn.randn(4, requires_grad=True)
    outer, inner = [], []
    with saved_tensors_hooks(lambda t: outer.append(t.shape) or t, lambda t: t):
        a = x.exp()
        with saved_tensors_hooks(lambda t: inner.append(t.shape) or t, lambda t: t):
            b = a.sin()
        with tinynn.no_grad():
            c = x.cos()  # (not recorded: nothing kept)
    d = x.tanh()  # (outside: not packed)
    (a + b + c + d).sum().backward()
    assert outer == [(4,)] and inner == [(4,)]


def test_gradients_of_gradients_pass_through_packed_ops():
    """create_graph: the backward formula is recorded from the unpacked values (a gradient penalty)."""
    tinynn.manual_seed(2)
    layer = nn.Sequential(nn.Linear(3, 5), nn.Tanh(), nn.Linear(5, 1))
    x = tinynn.randn(4, 3, dtype=tinynn.float64, requires_grad=True)
    layer.double()

    def penalty(context):
        with context:
            y = layer(x).sum()
        grad, = tinynn.autograd.grad(y, x, create_graph=True)
        penalty = grad.square().sum()
        weights = tinynn.autograd.grad(penalty, list(layer.parameters())[:-1])  # (the last bias: unused)
        return [w.numpy() for w in weights]

    plain = penalty(tinynn.enable_grad())
    hooked = penalty(saved_tensors_hooks(lambda t: t.numpy().copy(), lambda a: tinynn.tensor(a)))
    for a, b in zip(plain, hooked):
        np.testing.assert_array_equal(a, b)


def test_save_on_cpu_keeps_a_gpu_graphs_arrays_in_host_memory(device):
    """On the (simulated) GPU, what the ops keep lies in NumPy arrays between the passes, and comes back
    to the GPU for the backward; the gradients are those of the plain run. On the CPU, nothing moves."""
    tinynn.manual_seed(3)
    model = nn.Sequential(nn.Linear(6, 8), nn.ReLU(), nn.Linear(8, 2)).to(device)
    x = tinynn.randn(5, 6, device=device)
    plain = _gradients(model, lambda: x.detach(), tinynn.enable_grad())
    with save_on_cpu(pin_memory=True):
        y = model(x.requires_grad_())
    packed, nodes = [], [y.grad_fn]
    while nodes:  # every op of the graph: what it keeps, packed
        node = nodes.pop()
        packed += [value for value in vars(node).values() if type(value).__name__ == "_Packed"]
        assert not tinynn.autograd.in_place.arrays_kept(node)
        nodes.extend(t.grad_fn for t in node.inputs if t is not None and t.grad_fn is not None)
    assert len(packed) >= 3
    for value in packed:
        kept_device, kept = value.packed
        assert isinstance(kept._array, np.ndarray) and kept_device == x.device  # in host memory, and from where
    y.square().sum().backward()
    hooked = [x.grad.numpy()] + [p.grad.numpy() for p in model.parameters()]
    for a, b in zip(plain, hooked):
        np.testing.assert_allclose(a, b, rtol=1e-6)


def test_a_non_reentrant_checkpoint_inside_hooks_keeps_its_ops_to_itself():
    tinynn.manual_seed(4)
    layer = nn.Sequential(nn.Linear(4, 4), nn.GELU(), nn.Linear(4, 2))
    x = tinynn.randn(3, 4, requires_grad=True)
    layer(x).exp().square().sum().backward()
    expected = x.grad.numpy().copy()
    x.grad = None
    packed = []
    with saved_tensors_hooks(lambda t: packed.append(t.shape) or t, lambda t: t):
        y = checkpoint(layer, x, use_reentrant=False).exp()
    assert packed == [(3, 2)]  # exp's, outside the checkpoint; the layer's ops are the checkpoint's
    y.square().sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), expected)


def test_bad_hooks_and_disabled_regions_are_clear_errors():
    x = tinynn.randn(3, requires_grad=True)
    with pytest.raises(TypeError, match="expected two callables"):
        saved_tensors_hooks(lambda t: t, None)
    with saved_tensors_hooks(lambda t: t, lambda t: t.numpy()):
        y = x.exp().sum()
    with pytest.raises(TypeError, match="unpack_hook gave a ndarray for what Exp kept; it must give back a tinynn"):
        y.backward()
    with saved_tensors_hooks(lambda t: t, lambda t: t[:2]):
        y = x.exp().sum()
    with pytest.raises(ValueError, match=r"shape \(2,\) for what Exp kept, a float32 array of shape \(3,\)"):
        y.backward()
    with disable_saved_tensors_hooks("this feature keeps its own copies"):
        with pytest.raises(RuntimeError, match="this feature keeps its own copies"):
            with saved_tensors_hooks(lambda t: t, lambda t: t):
                pass
    with saved_tensors_hooks(lambda t: t, lambda t: t):  # (usable again outside)
        x.exp().sum().backward()
