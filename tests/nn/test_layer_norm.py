"""layer_norm, group_norm, LayerNorm, GroupNorm: gradchecks and PyTorch parity on every device."""
import numpy as np
import pytest
from hypothesis import given, strategies as st

import tinynn
from tinynn import nn
from tinynn.autograd import gradcheck, gradgradcheck
from tinynn.nn import functional as F
from helpers import assert_close, leaf, to_torch


@given(shape=st.sampled_from([(3, 5), (2, 3, 4), (2, 2, 3, 3)]), trailing=st.integers(1, 2), affine=st.booleans(),
       seed=st.integers(0, 2 ** 16))
def test_layer_norm_gradcheck(shape, trailing, affine, seed, device):
    rng = np.random.default_rng(seed)
    normalized = shape[len(shape) - trailing:]
    x = leaf(rng.standard_normal(shape) * 2 + 1, device=device)
    params = [leaf(rng.uniform(0.5, 1.5, normalized), device=device), leaf(rng.standard_normal(normalized), device=device)]
    inputs = [x] + (params if affine else [])
    assert gradcheck(lambda x, *wb: F.layer_norm(x, normalized, *wb), inputs)


@given(shape=st.sampled_from([(2, 4), (2, 6, 3), (3, 4, 2, 2)]), groups=st.sampled_from([1, 2]), seed=st.integers(0, 2 ** 16))
def test_group_norm_gradcheck(shape, groups, seed, device):
    rng = np.random.default_rng(seed)
    x = leaf(rng.standard_normal(shape) * 2 - 1, device=device)
    weight, bias = leaf(rng.uniform(0.5, 1.5, shape[1]), device=device), leaf(rng.standard_normal(shape[1]), device=device)
    assert gradcheck(lambda x, w, b: F.group_norm(x, groups, w, b), [x, weight, bias])


@pytest.mark.parametrize("make", [lambda m: m.LayerNorm((4, 5)), lambda m: m.LayerNorm(5, bias=False),
                                  lambda m: m.GroupNorm(2, 6), lambda m: m.GroupNorm(3, 6, affine=False)],
                         ids=["LayerNorm", "LayerNorm no bias", "GroupNorm", "GroupNorm no affine"])
def test_normalization_layers_match_torch(torch, rng, make, device):
    ours, theirs = make(nn), make(torch.nn)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    with torch.no_grad():
        for p in theirs.parameters():
            p.copy_(torch.tensor(rng.uniform(0.5, 1.5, tuple(p.shape)), dtype=torch.float32))
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    ours.to(device)
    shape = (3, 4, 5) if isinstance(ours, nn.LayerNorm) else (2, 6, 3, 4)
    x = leaf(rng.standard_normal(shape) * 3 + 2, dtype=np.float32, device=device)
    tx = to_torch(torch, x, True)
    y, ty = ours(x), theirs(tx)
    assert_close(y, ty, rtol=1e-5, atol=1e-5, what="forward")
    grad = rng.standard_normal(shape).astype(np.float32)
    y.backward(tinynn.tensor(grad, device=device))
    ty.backward(torch.tensor(grad))
    assert_close(x.grad, tx.grad, rtol=1e-4, atol=1e-5, what="input grad")
    for (name, p), t in zip(ours.named_parameters(), theirs.parameters()):
        assert_close(p.grad, t.grad, rtol=1e-4, atol=1e-5, what=f"{name} grad")


def test_normalization_errors_are_clear():
    with pytest.raises(ValueError, match=r"LayerNorm\(\(4,\).*expected input whose last dimensions are \(4,\), got shape \(2, 5\)"):
        nn.LayerNorm(4)(tinynn.zeros(2, 5))
    with pytest.raises(ValueError, match="GroupNorm: num_channels \\(6\\) must be divisible by num_groups \\(4\\)"):
        nn.GroupNorm(4, 6)
    with pytest.raises(ValueError, match="group_norm: 6 channels cannot be split into 4 groups"):
        F.group_norm(tinynn.zeros(2, 6, 3), 4)
    with pytest.raises(ValueError, match=r"layer_norm: expected weight of shape \(3,\), got \(4,\)"):
        F.layer_norm(tinynn.zeros(2, 3), 3, tinynn.ones(4))


@pytest.fixture
def blocked_rows(monkeypatch):
    """RowNormalize's blocks of rows on the threads taken at any size: blocks of at least 8 values."""
    from tinynn.nn.functional.layer_norm import RowNormalize

    monkeypatch.setattr(RowNormalize, "MIN_BLOCKED_ELEMENTS", 1)
    monkeypatch.setattr(RowNormalize, "BLOCK_ELEMENTS", 8)
    return RowNormalize


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(37, 5), (6, 40), (2, 5), (1, 9), (16, 1)])
@pytest.mark.parametrize("affine", [False, True], ids=["plain", "affine"])
def test_rows_in_blocks_on_the_threads_give_the_same_bits_on_any_threads(blocked_rows, monkeypatch, dtype, shape, affine):
    """The cut depends on the shape alone, and the blocks' sums for dL/dw and dL/db are added in block
    order, so the bits do not depend on the threads; against one pass over all rows, a row's sums may
    differ in the last place (BLAS sums rows in groups)."""
    rng = np.random.default_rng(shape[0] * 100 + shape[1])
    x, g = (rng.standard_normal(shape).astype(dtype) * 3 + 1 for _ in range(2))
    parameters = [rng.uniform(0.5, 1.5, shape[1]).astype(dtype), rng.standard_normal(shape[1]).astype(dtype)] if affine else []

    def run(op):
        op.needs_input_grad = (True,) * (1 + len(parameters))
        y = op.forward(x, *parameters).copy()
        return (y, op.xhat.copy(), op.inv_std) + tuple(op.backward(g))

    results = []
    for threads in (1, 2, 3):
        monkeypatch.setattr(tinynn.parallel, "THREADS", threads)
        blocked = blocked_rows(1e-5, affine, affine)
        assert len(blocked._row_blocks(x)) > 1 or shape[0] == 1
        results.append(run(blocked))
    for other in results[1:]:
        for ours, theirs in zip(results[0], other):
            np.testing.assert_array_equal(ours, theirs)
    monkeypatch.setattr(blocked_rows, "MIN_BLOCKED_ELEMENTS", 1 << 40)
    whole = run(blocked_rows(1e-5, affine, affine))
    assert len(whole) == len(results[0]) == 4 + 2 * affine
    eps = np.finfo(dtype).eps
    for ours, theirs in zip(results[0], whole):
        np.testing.assert_allclose(ours, theirs, rtol=0, atol=8 * eps * max(1.0, np.abs(theirs).max()))


def test_layer_norm_in_blocks_has_pytorchs_values_and_gradients_of_every_order(blocked_rows, torch, rng):
    ours, theirs = nn.LayerNorm(6), torch.nn.LayerNorm(6)
    with torch.no_grad():
        for p in theirs.parameters():
            p.copy_(torch.tensor(rng.uniform(0.5, 1.5, 6), dtype=torch.float32))
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    x = leaf(rng.standard_normal((5, 7, 6)) * 3 + 2, dtype=np.float32)
    tx = to_torch(torch, x, True)
    y, ty = ours(x), theirs(tx)
    assert_close(y, ty, rtol=1e-5, atol=1e-5, what="forward")
    grad = rng.standard_normal((5, 7, 6)).astype(np.float32)
    y.backward(tinynn.tensor(grad))
    ty.backward(torch.tensor(grad))
    assert_close(x.grad, tx.grad, rtol=1e-4, atol=1e-5, what="input grad")
    for (name, p), t in zip(ours.named_parameters(), theirs.parameters()):
        assert_close(p.grad, t.grad, rtol=1e-4, atol=1e-5, what=f"{name} grad")
    x64 = leaf(rng.standard_normal((9, 4)) * 2 + 1)
    weight, bias = leaf(rng.uniform(0.5, 1.5, 4)), leaf(rng.standard_normal(4))
    assert gradcheck(lambda x, w, b: F.layer_norm(x, (4,), w, b), [x64, weight, bias])
    assert gradgradcheck(lambda x, w, b: F.layer_norm(x, (4,), w, b), [x64, weight, bias])
    groups = leaf(rng.standard_normal((3, 4, 2, 2)))
    assert gradcheck(lambda x: F.group_norm(x, 2), [groups])


def test_a_million_values_are_normalized_in_blocks_as_pytorch(torch, rng):
    from tinynn.nn.functional.layer_norm import RowNormalize

    shape = (4, 256, 1024)
    assert int(np.prod(shape)) >= RowNormalize.MIN_BLOCKED_ELEMENTS
    x = leaf(rng.standard_normal(shape) * 2 + 1, dtype=np.float32)
    tx = to_torch(torch, x, True)
    y, ty = F.layer_norm(x, (1024,)), torch.nn.functional.layer_norm(tx, (1024,))
    assert_close(y, ty, rtol=1e-5, atol=1e-5, what="forward")
    grad = rng.standard_normal(shape).astype(np.float32)
    y.backward(tinynn.tensor(grad))
    ty.backward(torch.tensor(grad))
    assert_close(x.grad, tx.grad, rtol=1e-4, atol=1e-5, what="input grad")


@pytest.mark.parametrize("shape,groups", [((5, 6, 3, 2), 2), ((4, 6), 3), ((3, 4, 5), 4)])
def test_group_norms_affine_step_in_blocks_of_samples_as_pytorch(blocked_rows, monkeypatch, torch, shape, groups):
    """Group norm's per-channel weight and bias applied in the normalisation's own passes, the blocks cut at whole
    samples: PyTorch's values and gradients, the same bits on 1-3 threads, gradients of every order."""
    rng = np.random.default_rng(sum(shape))
    channels = shape[1]
    values, grad = rng.standard_normal(shape) * 2 + 1, rng.standard_normal(shape)
    weight_values, bias_values = rng.uniform(0.5, 1.5, channels), rng.standard_normal(channels)
    results = []
    for threads in (1, 2, 3):
        monkeypatch.setattr(tinynn.parallel, "THREADS", threads)
        x, weight, bias = leaf(values), leaf(weight_values), leaf(bias_values)
        y = F.group_norm(x, groups, weight, bias)
        y.backward(tinynn.tensor(grad))
        results.append([y.numpy(), x.grad.numpy(), weight.grad.numpy(), bias.grad.numpy()])
    for other in results[1:]:
        for ours, theirs in zip(results[0], other):
            np.testing.assert_array_equal(ours, theirs)
    tx, tw, tb = (torch.tensor(v, requires_grad=True) for v in (values, weight_values, bias_values))
    ty = torch.nn.functional.group_norm(tx, groups, tw, tb)
    ty.backward(torch.tensor(grad))
    for ours, theirs in zip(results[0], (ty.detach().numpy(), tx.grad.numpy(), tw.grad.numpy(), tb.grad.numpy())):
        np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-12)
    x, weight, bias = leaf(values[:2]), leaf(weight_values), leaf(bias_values)
    assert gradcheck(lambda *t: F.group_norm(t[0], groups, t[1], t[2]), [x, weight, bias])
    assert gradgradcheck(lambda *t: F.group_norm(t[0], groups, t[1], t[2]), [x, weight, bias])
    assert gradcheck(lambda t, w: F.group_norm(t, groups, w), [x, weight])  # weight alone
    assert gradcheck(lambda t, b: F.group_norm(t, groups, None, b), [x, bias])  # bias alone


def test_a_million_values_of_group_norm_in_blocks_of_samples_as_pytorch(torch, rng):
    from tinynn.nn.functional.layer_norm import RowNormalize

    ours, theirs = nn.GroupNorm(8, 64), torch.nn.GroupNorm(8, 64)
    with torch.no_grad():
        theirs.weight.copy_(torch.tensor(rng.uniform(0.5, 1.5, 64), dtype=torch.float32))
        theirs.bias.copy_(torch.tensor(rng.standard_normal(64), dtype=torch.float32))
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    shape = (16, 64, 32, 32)
    assert int(np.prod(shape)) >= RowNormalize.MIN_BLOCKED_ELEMENTS
    x = leaf(rng.standard_normal(shape) * 2 + 1, dtype=np.float32)
    tx = to_torch(torch, x, True)
    y, ty = ours(x), theirs(tx)
    assert_close(y, ty, rtol=1e-5, atol=1e-5, what="forward")
    grad = rng.standard_normal(shape).astype(np.float32)
    y.backward(tinynn.tensor(grad))
    ty.backward(torch.tensor(grad))
    assert_close(x.grad, tx.grad, rtol=1e-4, atol=1e-5, what="input grad")
    for (name, p), t in zip(ours.named_parameters(), theirs.parameters()):
        assert_close(p.grad, t.grad, rtol=1e-4, atol=1e-5, what=f"{name} grad")


@pytest.mark.parametrize("affine", [True, False], ids=["weight", "no weight"])
def test_rms_norm_in_blocks_as_pytorch_on_any_threads(blocked_rows, monkeypatch, torch, affine):
    """RMS norm is RowNormalize without centring, its weight in the same passes: PyTorch's values and
    gradients, the same bits on 1-3 threads, gradients of every order."""
    rng = np.random.default_rng(7)
    values, grad, weight_values = rng.standard_normal((6, 5, 8)) * 2 + 1, rng.standard_normal((6, 5, 8)), rng.uniform(0.5, 1.5, 8)
    results = []
    for threads in (1, 2, 3):
        monkeypatch.setattr(tinynn.parallel, "THREADS", threads)
        x, weight = leaf(values), leaf(weight_values) if affine else None
        y = F.rms_norm(x, (8,), weight, eps=1e-6)
        y.backward(tinynn.tensor(grad))
        results.append([y.numpy(), x.grad.numpy()] + ([weight.grad.numpy()] if affine else []))
    for other in results[1:]:
        for ours, theirs in zip(results[0], other):
            np.testing.assert_array_equal(ours, theirs)
    tx = torch.tensor(values, requires_grad=True)
    tw = torch.tensor(weight_values, requires_grad=True) if affine else None
    ty = torch.nn.functional.rms_norm(tx, (8,), tw, eps=1e-6)
    ty.backward(torch.tensor(grad))
    expected = [ty.detach().numpy(), tx.grad.numpy()] + ([tw.grad.numpy()] if affine else [])
    for ours, theirs in zip(results[0], expected):
        np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-12)
    x = leaf(values[:2, :2])
    inputs = [x, leaf(weight_values)] if affine else [x]
    assert gradcheck(lambda t, *w: F.rms_norm(t, (8,), *w), inputs)
    assert gradgradcheck(lambda t, *w: F.rms_norm(t, (8,), *w), inputs)
