"""nn.utils.weight_norm and spectral_norm: PyTorch's state-dict keys, the same outputs and the same
three SGD steps as PyTorch (power-iteration buffers included), gradients checked, eval mode,
removal, device moves and clear errors."""
import warnings

import numpy as np
import pytest

import tinynn
from tinynn import autograd, nn
from tinynn.nn.utils import remove_spectral_norm, remove_weight_norm, spectral_norm, weight_norm
from helpers import assert_close

LAYERS = {
    "linear": (lambda m: m.Linear(4, 3), (5, 4)),
    "conv2d": (lambda m: m.Conv2d(2, 3, 3), (2, 2, 5, 5)),
    "conv_transpose2d": (lambda m: m.ConvTranspose2d(2, 3, 3), (2, 2, 4, 4)),
}
WRAPPERS = {
    "weight_norm": (weight_norm, "weight_norm", {}),
    "weight_norm dim=None": (weight_norm, "weight_norm", {"dim": None}),
    "weight_norm dim=1": (weight_norm, "weight_norm", {"dim": 1}),
    "spectral_norm": (spectral_norm, "spectral_norm", {}),
    "spectral_norm 3 iterations": (spectral_norm, "spectral_norm", {"n_power_iterations": 3}),
}


def pair(torch, layer, wrapper):
    make, shape = LAYERS[layer]
    ours_wrap, name, options = WRAPPERS[wrapper]
    ours = ours_wrap(make(nn).double(), **options)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # PyTorch deprecates the old weight_norm
        theirs = getattr(torch.nn.utils, name)(make(torch.nn).double(), **options)
    state = theirs.state_dict()  # keeps PyTorch's metadata, which its spectral_norm loading needs
    assert sorted(state) == sorted(ours.state_dict())
    for key, value in ours.state_dict().items():
        state[key].copy_(torch.tensor(value.numpy()))
    theirs.load_state_dict(state)
    return ours, theirs, shape


@pytest.mark.parametrize("wrapper", list(WRAPPERS))
@pytest.mark.parametrize("layer", list(LAYERS))
def test_three_training_steps_match_torch(layer, wrapper, torch, rng, device):
    ours, theirs, shape = pair(torch, layer, wrapper)
    ours.to(device)
    optimizer, t_optimizer = tinynn.optim.SGD(ours.parameters(), lr=0.1), torch.optim.SGD(theirs.parameters(), lr=0.1)
    for _ in range(3):
        x = rng.standard_normal(shape)
        out, t_out = ours(tinynn.tensor(x, device=device)), theirs(torch.tensor(x))
        assert_close(out, t_out.detach(), rtol=1e-10, atol=1e-12, what="output")
        (out ** 2).sum().backward()
        (t_out ** 2).sum().backward()
        for (name, p), t_p in zip(ours.named_parameters(), theirs.parameters()):
            assert_close(p.grad, t_p.grad, rtol=1e-9, atol=1e-12, what=f"{name} grad")
        optimizer.step()
        t_optimizer.step()
        optimizer.zero_grad()
        t_optimizer.zero_grad()
    for key, value in ours.state_dict().items():  # weight_u and weight_v too
        assert_close(value, theirs.state_dict()[key], rtol=1e-9, atol=1e-12, what=key)


def test_gradients_are_checked_in_float64(rng):
    for wrapper in (weight_norm, spectral_norm):
        layer = wrapper(nn.Linear(4, 3).double())
        x = tinynn.tensor(rng.standard_normal((2, 4)), requires_grad=True)
        original = layer.weight_v if wrapper is weight_norm else layer.weight_orig
        layer.eval()  # spectral_norm's u and v stay fixed, so the function is deterministic
        assert autograd.gradcheck(lambda x, w: layer(x), [x, original])


def test_spectral_norm_makes_the_largest_singular_value_one(rng):
    layer = spectral_norm(nn.Linear(20, 10).double(), n_power_iterations=1)
    for _ in range(30):  # the power iteration converges over the training forwards
        layer(tinynn.zeros(1, 20, dtype=np.float64))
    assert abs(np.linalg.svd(layer.weight.numpy(), compute_uv=False)[0] - 1) < 1e-6
    u = layer.weight_u.numpy().copy()
    layer.eval()
    layer(tinynn.zeros(1, 20, dtype=np.float64))
    np.testing.assert_array_equal(layer.weight_u.numpy(), u)  # eval mode leaves u alone


def test_removal_keeps_the_current_weight(rng, device):
    for wrapper, remove in ((weight_norm, remove_weight_norm), (spectral_norm, remove_spectral_norm)):
        layer = wrapper(nn.Conv2d(2, 3, 3)).to(device)
        x = tinynn.tensor(rng.standard_normal((1, 2, 5, 5)).astype(np.float32), device=device)
        layer.eval()
        before = layer(x).numpy()
        remove(layer)
        assert sorted(name for name, _ in layer.named_parameters()) == ["bias", "weight"]
        assert sorted(layer.state_dict()) == ["bias", "weight"]
        np.testing.assert_allclose(layer(x).numpy(), before, rtol=1e-6, atol=1e-6)
        with pytest.raises(ValueError, match="is not"):
            remove(layer)


def test_misuse_is_a_clear_error():
    layer = weight_norm(nn.Linear(3, 2))
    with pytest.raises(RuntimeError, match="weight_norm: 'weight' of this module is already weight-normalised"):
        weight_norm(layer)
    with pytest.raises(ValueError, match="spectral_norm: the module has no parameter 'kernel'"):
        spectral_norm(nn.Linear(3, 2), name="kernel")
    with pytest.raises(ValueError, match="n_power_iterations must be a positive int, got 0"):
        spectral_norm(nn.Linear(3, 2), n_power_iterations=0)
