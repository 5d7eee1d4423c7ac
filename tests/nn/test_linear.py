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


@pytest.mark.parametrize("in_features, out_features, batch", [(4, 0, 3), (0, 4, 3), (0, 0, 3), (4, 0, 0)])
def test_a_linear_layer_of_no_inputs_or_outputs_works_as_pytorchs(torch, in_features, out_features, batch, device):
    """PyTorch's Linear takes 0 features (an adaptive softmax's smallest cluster gets one): its weight is
    left empty with PyTorch's warning, no inputs give the bias, which is 0 then; the gradients and
    gradients of gradients have their shapes (a -1 reshape of an empty gradient failed)."""
    def run(library, device=None):
        with pytest.warns(UserWarning, match="Initializing zero-element tensors is a no-op"):
            layer = library.nn.Linear(in_features, out_features)
        if device is not None:
            layer.to(device)
        x = library.ones(batch, 2, in_features, requires_grad=True, **({} if device is None else {"device": device}))
        y = layer(x)
        (y * 2).sum().backward()
        (second,) = library.autograd.grad((layer(x) ** 2).sum(), x, create_graph=True)
        return [tuple(y.shape), y.tolist(), layer.bias.tolist(), tuple(x.grad.shape), tuple(layer.weight.grad.shape),
                layer.bias.grad.tolist(), tuple(second.shape)]

    assert run(tinynn, device) == run(torch)


def test_linear_feature_mismatch_names_the_layer():
    with pytest.raises(ValueError, match=r"Linear\(16, 10\): expected input with 16 features"):
        nn.Linear(16, 10)(tinynn.zeros(2, 15))


@pytest.mark.parametrize("bias", [True, False])
def test_bilinear_matches_torch_and_gradchecks(torch, rng, device, bias):
    ours = nn.Bilinear(3, 4, 5, bias=bias)
    theirs = torch.nn.Bilinear(3, 4, 5, bias=bias)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    theirs.load_state_dict({k: torch.tensor(v.numpy()) for k, v in ours.state_dict().items()})
    ours.to(device)
    x1 = leaf(rng.standard_normal((2, 6, 3)), dtype=np.float32, device=device)
    x2 = leaf(rng.standard_normal((2, 6, 4)), dtype=np.float32, device=device)
    t1, t2 = to_torch(torch, x1, True), to_torch(torch, x2, True)
    y, ty = ours(x1, x2), theirs(t1, t2)
    assert_close(y, ty, rtol=1e-5, atol=1e-6)
    grad = rng.standard_normal(y.shape).astype(np.float32)
    y.backward(tinynn.tensor(grad, device=device))
    ty.backward(torch.tensor(grad))
    for ours_t, theirs_t, what in ((x1, t1, "x1"), (x2, t2, "x2"), (ours.weight, theirs.weight, "weight")):
        assert_close(ours_t.grad, theirs_t.grad, rtol=1e-4, atol=1e-5, what=what)
    if bias:
        assert_close(ours.bias.grad, theirs.bias.grad, rtol=1e-4, atol=1e-5)
    weight, b = leaf(rng.standard_normal((2, 3, 4)), device=device), leaf(rng.standard_normal(2), device=device)
    a1, a2 = leaf(rng.standard_normal((5, 3)), device=device), leaf(rng.standard_normal((5, 4)), device=device)
    assert gradcheck(lambda p, q, w, c: F.bilinear(p, q, w, c if bias else None), [a1, a2, weight, b])
    with pytest.raises(ValueError, match=r"expected inputs \(\.\.\., 3\) and \(\.\.\., 4\)"):
        F.bilinear(a2, a1, weight)
