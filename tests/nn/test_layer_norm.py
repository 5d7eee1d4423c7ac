"""layer_norm, group_norm, LayerNorm, GroupNorm: gradchecks and PyTorch parity on every device."""
import numpy as np
import pytest
from hypothesis import given, strategies as st

import tinynn
from tinynn import nn
from tinynn.autograd import gradcheck
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
