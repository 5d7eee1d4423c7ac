"""Activation checkpointing: the same outputs and gradients as the plain run (bit for bit), the same
dropout masks in the replay, far less memory held between the passes, and clear errors where
PyTorch's reentrant checkpoint has its limits."""
import tracemalloc

import numpy as np
import pytest

import tinynn
from tinynn import autograd, nn
from tinynn.nn import functional as F
from tinynn.utils.checkpoint import checkpoint, checkpoint_sequential


def deep_mlp(width=64, depth=6):
    layers = []
    for _ in range(depth):
        layers += [nn.Linear(width, width), nn.Tanh()]
    return nn.Sequential(*layers, nn.Linear(width, 3))


def gradients(model, x, run):
    model.zero_grad()
    x.grad = None
    out = run(x)
    F.cross_entropy(out, tinynn.tensor([0, 1, 2, 0], device=x.device)).backward()
    return out.numpy(), x.grad.numpy(), [p.grad.numpy() for p in model.parameters()]


def test_outputs_and_gradients_equal_the_plain_run(rng, device):
    tinynn.manual_seed(0)
    model = deep_mlp(16, 4).to(device)
    x = tinynn.tensor(rng.standard_normal((4, 16)).astype(np.float32), device=device, requires_grad=True)
    plain = gradients(model, x, model)
    whole = gradients(model, x, lambda t: checkpoint(model, t))
    pieces = gradients(model, x, lambda t: checkpoint_sequential(model, 3, t))
    for other in (whole, pieces):
        np.testing.assert_array_equal(other[0], plain[0])
        np.testing.assert_array_equal(other[1], plain[1])
        for ours, reference in zip(other[2], plain[2]):
            np.testing.assert_array_equal(ours, reference)


def test_the_replay_draws_the_same_dropout_mask(device):
    x = tinynn.ones(64, 64, device=device, requires_grad=True)
    out = checkpoint(lambda t: F.dropout(t, 0.5) * 3, x)
    out.sum().backward()
    kept = out.numpy() != 0
    assert 0.3 < kept.mean() < 0.7
    np.testing.assert_array_equal(x.grad.numpy() != 0, kept)  # the replay dropped the same elements
    np.testing.assert_allclose(x.grad.numpy()[kept], 6.0)     # 3 / (1 - p)
    again = checkpoint(lambda t: F.dropout(t, 0.5), x)        # a new call draws a new mask
    assert (again.numpy() != 0).tolist() != kept.tolist()


def test_memory_held_between_the_passes_shrinks():
    tinynn.manual_seed(0)
    model = deep_mlp(256, 8)
    x = tinynn.randn(512, 256, requires_grad=True)

    def held(run):
        tracemalloc.start()
        before = tracemalloc.get_traced_memory()[0]
        out = run(x)
        after = tracemalloc.get_traced_memory()[0]
        tracemalloc.stop()
        out.sum().backward()
        return after - before

    plain = held(model)  # every layer's input and tanh output, about 8 MB
    assert held(lambda t: checkpoint(model, t)) < plain / 10  # the output only
    assert held(lambda t: checkpoint_sequential(model, 4, t)) < plain / 2  # pieces' inputs, the last piece


def test_limits_are_clear_errors(rng):
    model = deep_mlp(8, 2).double()
    x = tinynn.tensor(rng.standard_normal((2, 8)), requires_grad=True)
    with pytest.raises(RuntimeError, match="checkpoint: autograd.grad\\(\\) cannot pass through a checkpoint"):
        autograd.grad(checkpoint(model, x).sum(), x)
    with pytest.raises(NotImplementedError, match="the backward of Checkpoint is not differentiable"):
        checkpoint(model, x).sum().backward(create_graph=True)
    with pytest.raises(ValueError, match="segments must be an int from 1 to 5, got 9"):
        checkpoint_sequential(model, 9, x)
    with pytest.raises(TypeError, match="checkpoint: the function must return one Tensor, got tuple"):
        checkpoint(lambda t: (t, t), x)
