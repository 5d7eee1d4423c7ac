"""nn.utils.parametrize and nn.utils.parametrizations: PyTorch's state-dict keys, the same training
steps as PyTorch for weight and spectral normalization, custom parametrizations with their
gradients, assignment through right_inverse, stacking, removal, and clear errors."""
import numpy as np
import pytest

import tinynn
from tinynn import autograd, nn
from tinynn.nn.utils import parametrizations, parametrize
from helpers import assert_close

LAYERS = {"linear": (lambda m: m.Linear(4, 3), (5, 4)), "conv2d": (lambda m: m.Conv2d(2, 3, 3), (2, 2, 5, 5)),
          "conv_transpose2d": (lambda m: m.ConvTranspose2d(2, 3, 3), (2, 2, 4, 4))}
WRAPPERS = {"weight_norm": {}, "weight_norm dim=None": {"dim": None}, "spectral_norm": {"n_power_iterations": 2}}


@pytest.mark.parametrize("wrapper", list(WRAPPERS))
@pytest.mark.parametrize("layer", list(LAYERS))
def test_three_training_steps_match_torch(layer, wrapper, torch, rng, device):
    make, shape = LAYERS[layer]
    name = wrapper.split()[0]
    ours = getattr(parametrizations, name)(make(nn).double(), **WRAPPERS[wrapper])
    theirs = getattr(torch.nn.utils.parametrizations, name)(make(torch.nn).double(), **WRAPPERS[wrapper])
    state = theirs.state_dict()
    assert sorted(state) == sorted(ours.state_dict())
    for key, value in ours.state_dict().items():
        state[key].copy_(torch.tensor(value.numpy()))
    theirs.load_state_dict(state)
    ours.to(device)
    optimizer, t_optimizer = tinynn.optim.SGD(ours.parameters(), lr=0.1), torch.optim.SGD(theirs.parameters(), lr=0.1)
    for _ in range(3):
        x = rng.standard_normal(shape)
        out, t_out = ours(tinynn.tensor(x, device=device)), theirs(torch.tensor(x))
        assert_close(out, t_out.detach(), rtol=1e-10, atol=1e-12)
        (out ** 2).sum().backward()
        (t_out ** 2).sum().backward()
        optimizer.step()
        t_optimizer.step()
        optimizer.zero_grad()
        t_optimizer.zero_grad()
    for key, value in ours.state_dict().items():
        assert_close(value, theirs.state_dict()[key], rtol=1e-9, atol=1e-11, what=key)


class Symmetric(nn.Module):
    """X -> its upper triangle mirrored; right_inverse keeps a symmetric matrix's upper triangle."""

    def forward(self, X):
        return X.triu() + X.triu(1).mT

    def right_inverse(self, A):
        return A.triu()


def test_a_custom_parametrization_and_its_gradient(torch, rng):
    layer = nn.Linear(3, 3).double()
    parametrize.register_parametrization(layer, "weight", Symmetric())
    assert parametrize.is_parametrized(layer, "weight") and not parametrize.is_parametrized(layer, "bias")
    assert sorted(layer.state_dict()) == ["bias", "parametrizations.weight.original"]
    np.testing.assert_allclose(layer.weight.numpy(), layer.weight.numpy().T)
    t_layer = torch.nn.Linear(3, 3).double()
    torch.nn.utils.parametrize.register_parametrization(t_layer, "weight", type("TorchSymmetric", (torch.nn.Module,), {
        "forward": lambda self, X: X.triu() + X.triu(1).mT, "right_inverse": lambda self, A: A.triu()})())
    t_layer.load_state_dict({k: torch.tensor(v.numpy()) for k, v in layer.state_dict().items()})
    x = rng.standard_normal((4, 3))
    (layer(tinynn.tensor(x)) ** 2).sum().backward()
    (t_layer(torch.tensor(x)) ** 2).sum().backward()
    original = layer.parametrizations.weight.original
    assert_close(original.grad, t_layer.parametrizations.weight.original.grad, rtol=1e-10)
    assert autograd.gradcheck(lambda w: Symmetric()(w), [tinynn.tensor(rng.standard_normal((3, 3)), requires_grad=True)])
    symmetric = rng.standard_normal((3, 3))
    layer.weight = tinynn.tensor(symmetric + symmetric.T)  # stored through right_inverse
    assert_close(layer.weight, symmetric + symmetric.T, rtol=1e-12)
    assert layer.parametrizations.weight.original is original  # the same parameter object


def test_stacking_and_removing(rng):
    layer = nn.Linear(3, 3).double()
    parametrize.register_parametrization(layer, "weight", Symmetric())
    parametrizations.spectral_norm(layer)  # a second parametrization applies after the first
    assert len(layer.parametrizations.weight) == 2
    layer.eval()
    value = layer.weight.numpy()
    assert abs(np.linalg.svd(value, compute_uv=False)[0] - 1) < 0.05 and np.allclose(value, value.T)
    parametrize.remove_parametrizations(layer, "weight")
    np.testing.assert_allclose(layer.weight.numpy(), value)
    assert sorted(name for name, _ in layer.named_parameters()) == ["bias", "weight"] and "parametrizations" not in layer._modules
    kept = nn.Linear(2, 2)
    parametrize.register_parametrization(kept, "weight", Symmetric())
    original = kept.parametrizations.weight.original
    parametrize.remove_parametrizations(kept, "weight", leave_parametrized=False)
    assert kept.weight is original


def test_misuse_is_a_clear_error():
    class Shrink(nn.Module):
        def forward(self, X):
            return X[:1]

    with pytest.raises(ValueError, match="changes the tensor from \\(2, 3\\)"):
        parametrize.register_parametrization(nn.Linear(3, 2), "weight", Shrink())
    with pytest.raises(ValueError, match="has no parameter or buffer 'kernel'"):
        parametrize.register_parametrization(nn.Linear(3, 2), "kernel", Symmetric())
    with pytest.raises(ValueError, match="has no parametrization on 'weight'"):
        parametrize.remove_parametrizations(nn.Linear(3, 2), "weight")
