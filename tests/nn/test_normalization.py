"""batch_norm, BatchNorm1d/2d, instance_norm, InstanceNorm1d/2d: gradchecks in training and eval mode,
running stats as PyTorch."""
import numpy as np
import pytest
from hypothesis import given, strategies as st

import tinynn
from tinynn import nn
from tinynn.autograd import gradcheck
from tinynn.nn import functional as F
from helpers import assert_close, leaf, to_torch


@given(shape=st.sampled_from([(4, 3), (2, 3, 2, 2), (3, 2, 4, 1), (5, 1)]), training=st.booleans(),
       affine=st.booleans(), seed=st.integers(0, 2 ** 16))
def test_batch_norm_gradcheck(shape, training, affine, seed, device):
    rng = np.random.default_rng(seed)
    c = shape[1]
    x = leaf(rng.standard_normal(shape) * 2 + 1, device=device)
    mean, var = tinynn.tensor(rng.standard_normal(c), device=device), tinynn.tensor(rng.uniform(0.5, 2, c), device=device)
    weight = leaf(rng.uniform(0.5, 1.5, c), device=device) if affine else None
    bias = leaf(rng.standard_normal(c), device=device) if affine else None
    inputs = [x] + ([weight, bias] if affine else [])

    def fn(x, *wb):
        w, b = (wb[0], wb[1]) if wb else (None, None)
        return F.batch_norm(x, mean, var, w, b, training=training)

    assert gradcheck(fn, inputs)


@pytest.mark.parametrize("layer,shape", [("BatchNorm2d", (4, 3, 5, 5)), ("BatchNorm1d", (6, 3)),
                                         ("BatchNorm1d", (4, 3, 5))])
@pytest.mark.parametrize("affine,track", [(True, True), (False, True), (True, False), (False, False)])
def test_batch_norm_layer_matches_torch_over_several_steps(torch, rng, layer, shape, affine, track, device):
    options = dict(momentum=0.2, affine=affine, track_running_stats=track)
    ours, theirs = getattr(nn, layer)(3, **options), getattr(torch.nn, layer)(3, **options)
    if affine:
        with torch.no_grad():
            theirs.weight.copy_(torch.tensor(rng.uniform(0.5, 1.5, 3), dtype=torch.float32))
            theirs.bias.copy_(torch.tensor(rng.standard_normal(3), dtype=torch.float32))
    train_then_evaluate_against_torch(torch, rng, ours, theirs, shape, device, steps=3)
    for key in ("running_mean", "running_var", "num_batches_tracked") if track else ():
        assert_close(ours.state_dict()[key], theirs.state_dict()[key], what=key)


@pytest.mark.parametrize("wanted", [(True, False, False), (False, True, False), (False, False, True)])
@pytest.mark.parametrize("training", [True, False])
def test_batch_norm_computes_each_gradient_alone(rng, wanted, training, device):
    """Only the gradients asked for are computed (needs_input_grad), each equal to the one computed
    with all three."""
    values = rng.standard_normal((5, 3, 2, 2)) * 2 + 1
    weight_values, bias_values = rng.uniform(0.5, 1.5, 3), rng.standard_normal(3)
    upstream = tinynn.tensor(rng.standard_normal((5, 3, 2, 2)), device=device)

    def gradients(requires):
        inputs = [tinynn.tensor(v, device=device, requires_grad=r) for v, r in zip((values, weight_values, bias_values),
                                                                                  requires)]
        mean, var = tinynn.zeros(3, dtype=np.float64, device=device), tinynn.ones(3, dtype=np.float64, device=device)
        (F.batch_norm(inputs[0], mean, var, inputs[1], inputs[2], training=training) * upstream).sum().backward()
        return [t.grad for t in inputs]

    everything = gradients((True, True, True))
    alone = gradients(wanted)
    for want, full, single in zip(wanted, everything, alone):
        if want:
            assert_close(single, full, rtol=1e-12, atol=1e-12)
        else:
            assert single is None


def train_then_evaluate_against_torch(torch, rng, ours, theirs, shape, device, steps):
    """Give ours PyTorch's state, run ``steps`` training steps of both on the same input and output
    gradients (comparing outputs and input gradients), compare the parameters' gradients, then one
    forward in eval mode."""
    ours.to(device).load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    for step in range(steps):
        x = leaf(rng.standard_normal(shape) * 3 + 2, dtype=np.float32, device=device)
        tx = to_torch(torch, x, True)
        y, ty = ours(x), theirs(tx)
        assert_close(y, ty, rtol=1e-5, atol=1e-5, what=f"step {step} forward")
        grad = rng.standard_normal(shape).astype(np.float32)
        y.backward(tinynn.tensor(grad, device=device))
        ty.backward(torch.tensor(grad))
        assert_close(x.grad, tx.grad, rtol=1e-4, atol=1e-5, what=f"step {step} input grad")
    for (name, param), torch_param in zip(ours.named_parameters(), theirs.parameters()):
        assert_close(param.grad, torch_param.grad, rtol=1e-4, atol=1e-4, what=f"{name} grad")
    ours.eval(), theirs.eval()
    x = leaf(rng.standard_normal(shape), dtype=np.float32, device=device)
    assert_close(ours(x), theirs(to_torch(torch, x)), rtol=1e-5, atol=1e-5, what="eval forward")


def test_batch_norm_with_cumulative_average_momentum_none(torch, rng, device):
    ours, theirs = nn.BatchNorm1d(2, momentum=None).to(device), torch.nn.BatchNorm1d(2, momentum=None)
    for _ in range(3):
        x = rng.standard_normal((5, 2)).astype(np.float32)
        ours(tinynn.tensor(x, device=device)), theirs(torch.tensor(x))
    assert_close(ours.running_var, theirs.running_var)


def test_training_on_one_value_per_channel_is_an_error_like_torch():
    with pytest.raises(ValueError, match=r"BatchNorm2d\(3\): expected more than 1 value per channel when training"):
        nn.BatchNorm2d(3)(tinynn.zeros(1, 3, 1, 1))
    layer = nn.BatchNorm2d(3).eval()
    assert layer(tinynn.zeros(1, 3, 1, 1)).shape == (1, 3, 1, 1)


@pytest.mark.parametrize("training", [True, False])
def test_running_statistics_that_require_grad_are_refused_as_in_torch(training):
    """(They are constants of the formula: their gradient was silently never computed.)"""
    mean, var = tinynn.zeros(3, requires_grad=True), tinynn.ones(3)
    with pytest.raises(ValueError, match=r"batch_norm: running_mean is not differentiable here"):
        F.batch_norm(tinynn.zeros(2, 3), mean, var, training=training)
    F.batch_norm(tinynn.zeros(2, 3), mean.detach(), var, training=training)


def test_wrong_channel_count_names_the_layer():
    with pytest.raises(ValueError, match=r"BatchNorm2d\(4\): expected input with 4 channels, got 3"):
        nn.BatchNorm2d(4)(tinynn.zeros(2, 3, 2, 2))


@pytest.mark.parametrize("layer,shape", [("InstanceNorm2d", (4, 3, 5, 5)), ("InstanceNorm2d", (3, 5, 4)),
                                         ("InstanceNorm1d", (4, 3, 6)), ("InstanceNorm1d", (3, 6))])
@pytest.mark.parametrize("affine,track", [(False, False), (True, False), (True, True), (False, True)])
def test_instance_norm_matches_torch(torch, rng, layer, shape, affine, track, device):
    ours = getattr(nn, layer)(3, momentum=0.2, affine=affine, track_running_stats=track)
    theirs = getattr(torch.nn, layer)(3, momentum=0.2, affine=affine, track_running_stats=track)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    if affine:
        with torch.no_grad():
            theirs.weight.copy_(torch.tensor(rng.uniform(0.5, 1.5, 3), dtype=torch.float32))
            theirs.bias.copy_(torch.tensor(rng.standard_normal(3), dtype=torch.float32))
    train_then_evaluate_against_torch(torch, rng, ours, theirs, shape, device, steps=2)
    if track:  # updated by the training steps only
        for key in ("running_mean", "running_var"):
            assert_close(ours.state_dict()[key], theirs.state_dict()[key], rtol=1e-5, what=key)


def test_instance_norm_gradcheck_and_errors(rng, device):
    x = leaf(rng.standard_normal((2, 3, 4)), device=device)
    weight, bias = leaf(rng.uniform(0.5, 1.5, 3), device=device), leaf(rng.standard_normal(3), device=device)
    assert gradcheck(lambda x, w, b: F.instance_norm(x, weight=w, bias=b), [x, weight, bias])
    with pytest.raises(ValueError, match=r"InstanceNorm2d\(3\): expected a 3-D or 4-D input, got shape \(2, 3\)"):
        nn.InstanceNorm2d(3)(tinynn.zeros(2, 3))
    with pytest.raises(ValueError, match=r"InstanceNorm1d\(3\): expected input with 3 channels, got 4"):
        nn.InstanceNorm1d(3)(tinynn.zeros(2, 4, 5))
    with pytest.raises(ValueError, match="momentum must be a number to track statistics, got None"):
        nn.InstanceNorm1d(3, momentum=None, track_running_stats=True)(tinynn.zeros(2, 3, 5))


def test_batch_norm_runs_as_fused_kernels_on_the_gpu(rng, device):
    x = leaf(rng.standard_normal((4, 3, 2, 2)), device=device)
    y = F.batch_norm(x, None, None, training=True)
    assert type(y.grad_fn).__name__ == ("BatchNorm" if device == "cpu" else "FusedBatchNorm")


def test_float32_layer_on_float64_input_as_on_the_cpu(rng, device):
    """Parameters and running statistics in float32, the data in float64: the same on every device."""
    values = rng.standard_normal((4, 3, 5, 5)) * 2 + 1
    results = []
    for where in ("cpu", device):
        layer = nn.BatchNorm2d(3).to(where)
        x = leaf(values, device=where)
        y = layer(x)
        (y * y).sum().backward()
        layer.eval()
        results.append([y.numpy(), x.grad.numpy(), layer.weight.grad.numpy(), layer.running_var.numpy(),
                        layer(x).numpy()])
    assert results[1][0].dtype == np.float64
    for ours, cpu in zip(results[1], results[0]):
        np.testing.assert_allclose(ours, cpu, rtol=1e-6, atol=1e-7)


def test_every_normalization_resets_its_parameters_as_pytorchs(torch):
    """``for m in model.modules(): m.reset_parameters()`` reaches the normalizations too: weight 1,
    bias 0 and the running statistics as new, as PyTorch's."""

    def reset(library):
        nn = library.nn
        found = []
        for layer in (nn.BatchNorm1d(2), nn.BatchNorm2d(3), nn.InstanceNorm1d(2, affine=True, track_running_stats=True),
                      nn.LayerNorm(2), nn.GroupNorm(1, 2), nn.RMSNorm(2), nn.LayerNorm(2, bias=False)):
            with library.no_grad():
                for tensor in list(layer.parameters()) + list(layer.buffers()):
                    tensor.fill_(5)
            layer.reset_parameters()
            found.append([t.tolist() for t in list(layer.parameters()) + list(layer.buffers())])
        return found

    assert reset(tinynn) == reset(torch)
