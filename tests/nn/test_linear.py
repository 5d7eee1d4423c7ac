"""linear and Linear: gradcheck, PyTorch parity, initialisation, errors."""
import numpy as np
import pytest

import tinynn
from tinynn import nn
from tinynn.autograd import gradcheck
from tinynn.nn import functional as F
from helpers import assert_close, leaf, to_torch


@pytest.mark.parametrize("shape", [(4, 3), (2, 5, 3), (3,)])
def test_linear_gradcheck(shape, rng, device):
    x, w, b = leaf(rng.standard_normal(shape), device=device), leaf(rng.standard_normal((2, 3)), device=device), leaf(rng.standard_normal(2), device=device)
    assert gradcheck(F.linear, [x, w, b])
    assert gradcheck(lambda x, w: F.linear(x, w), [x, w])


def test_linear_layer_matches_torch(torch, rng, device):
    ours, theirs = nn.Linear(16, 10), torch.nn.Linear(16, 10)
    theirs.load_state_dict({k: torch.tensor(v.numpy()) for k, v in ours.state_dict().items()})
    ours.to(device)
    x = leaf(rng.standard_normal((8, 16)), dtype=np.float32, device=device)
    tx = to_torch(torch, x, True)
    y, ty = ours(x), theirs(tx)
    assert_close(y, ty)
    y.sum().backward()
    ty.sum().backward()
    assert_close(x.grad, tx.grad)
    assert_close(ours.weight.grad, theirs.weight.grad)
    assert_close(ours.bias.grad, theirs.bias.grad)
    assert np.abs(ours.weight.numpy()).max() <= 1 / 4


def test_linear_feature_mismatch_names_the_layer():
    with pytest.raises(ValueError, match=r"Linear\(16, 10\): expected input with 16 features"):
        nn.Linear(16, 10)(tinynn.zeros(2, 15))
