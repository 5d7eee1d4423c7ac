"""nn.utils.parametrize and nn.utils.parametrizations: PyTorch's state-dict keys, the same training
steps as PyTorch for weight and spectral normalization, custom parametrizations with their
gradients, assignment through right_inverse, stacking, removal, and clear errors; orthogonal
weights (matrix_exp, Cayley, Householder) as PyTorch's, orthogonal before and after training."""
import numpy as np
import pytest

import tinynn
from tinynn import autograd, nn
from tinynn.nn.utils import parametrizations, parametrize
from helpers import assert_close

LAYERS = {"linear": (lambda m: m.Linear(4, 3), (5, 4)), "conv2d": (lambda m: m.Conv2d(2, 3, 3), (2, 2, 5, 5)),
          "conv_transpose2d": (lambda m: m.ConvTranspose2d(2, 3, 3), (2, 2, 4, 4))}
WRAPPERS = {"weight_norm": {}, "weight_norm dim=None": {"dim": None}, "spectral_norm": {"n_power_iterations": 2},
            "orthogonal": {}, "orthogonal cayley": {"orthogonal_map": "cayley"},
            "orthogonal householder": {"orthogonal_map": "householder"},
            "orthogonal without trivialization": {"orthogonal_map": "householder", "use_trivialization": False}}


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


@pytest.mark.parametrize("shape", [(4, 4), (5, 3), (3, 5), (2, 3, 3)])
@pytest.mark.parametrize("orthogonal_map", ["matrix_exp", "cayley", "householder"])
def test_orthogonal_weights_stay_orthogonal_and_take_assignments(shape, orthogonal_map, torch, rng):
    module = nn.Module()
    module.weight = nn.Parameter(tinynn.tensor(rng.standard_normal(shape)))
    parametrizations.orthogonal(module, orthogonal_map=orthogonal_map)
    optimizer = tinynn.optim.SGD(module.parameters(), lr=0.5)
    for _ in range(3):
        (module.weight * tinynn.tensor(rng.standard_normal(shape))).sum().backward()
        optimizer.step()
        optimizer.zero_grad()
    weight = module.weight.detach().numpy()
    gram = weight.swapaxes(-1, -2) @ weight if shape[-2] >= shape[-1] else weight @ weight.swapaxes(-1, -2)
    assert_close(gram, np.broadcast_to(np.eye(min(shape[-2:])), gram.shape), atol=1e-12, what="Q^T Q")
    target = np.linalg.qr(rng.standard_normal(shape[:-2] + (max(shape[-2:]), min(shape[-2:]))))[0]
    target = target if shape[-2] >= shape[-1] else target.swapaxes(-1, -2)
    module.weight = tinynn.tensor(target)  # an orthogonal matrix assigned is the weight from then on
    assert_close(module.weight, target, atol=1e-12, what="assigned")
    theirs = torch.nn.Module()
    theirs.weight = torch.nn.Parameter(torch.tensor(rng.standard_normal(shape)))
    torch.nn.utils.parametrizations.orthogonal(theirs, orthogonal_map=orthogonal_map)
    assert sorted(theirs.state_dict()) == sorted(module.state_dict())


def test_matrix_exp_and_householder_product_match_torch(torch, rng, device):
    for scale in (0.1, 3.0, 30.0):  # no scaling, and several squarings
        values = rng.standard_normal((2, 4, 4)) * scale
        ours = tinynn.linalg.matrix_exp(tinynn.tensor(values, device=device))
        assert_close(ours, torch.linalg.matrix_exp(torch.tensor(values)), rtol=1e-12 * scale * 10, atol=1e-12,
                     what="matrix_exp")
    values, tau = rng.standard_normal((2, 5, 3)), rng.random((2, 3))
    a, t = tinynn.tensor(values, device=device, requires_grad=True), tinynn.tensor(tau, device=device, requires_grad=True)
    ta, tt = torch.tensor(values, requires_grad=True), torch.tensor(tau, requires_grad=True)
    weights = rng.standard_normal((2, 5, 3))
    (tinynn.linalg.householder_product(a, t) * tinynn.tensor(weights, device=device)).sum().backward()
    (torch.linalg.householder_product(ta, tt) * torch.tensor(weights)).sum().backward()
    assert_close(a.grad, ta.grad, rtol=1e-10, atol=1e-12, what="d/dA") and assert_close(t.grad, tt.grad, rtol=1e-10,
                                                                                          atol=1e-12, what="d/dtau")
    x, tx = tinynn.tensor(values[:, :3], device=device, requires_grad=True), torch.tensor(values[:, :3], requires_grad=True)
    (tinynn.matrix_exp(x) * tinynn.tensor(weights[:, :3], device=device)).sum().backward()
    (torch.matrix_exp(tx) * torch.tensor(weights[:, :3])).sum().backward()
    assert_close(x.grad, tx.grad, rtol=1e-10, atol=1e-12, what="matrix_exp gradient")
    assert autograd.gradgradcheck(tinynn.linalg.matrix_exp, [tinynn.tensor(values[0, :3], requires_grad=True)])


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
    with pytest.raises(ValueError, match="orthogonal: expected a matrix or a batch of matrices, got a tensor of 1"):
        parametrizations.orthogonal(nn.Linear(3, 2), "bias")
    with pytest.raises(ValueError, match="orthogonal_map must be 'matrix_exp', 'cayley' or 'householder'"):
        parametrizations.orthogonal(nn.Linear(3, 2), orthogonal_map="qr")
    fixed = parametrizations.orthogonal(nn.Linear(3, 3), orthogonal_map="cayley", use_trivialization=False)
    with pytest.raises(NotImplementedError, match="assigning to the matrix_exp or cayley parametrization needs"):
        fixed.weight = tinynn.eye(3)
    with pytest.raises(ValueError, match=r"orthogonal: expected a matrix of shape \(3, 3\), got \(2, 2\)"):
        parametrizations.orthogonal(nn.Linear(3, 3)).weight = tinynn.eye(2)


def test_cached_computes_each_parametrized_tensor_once_per_block_as_torch(torch):
    """An RNN-style loop using a parametrized weight at every step: inside cached() the
    parametrization runs once; outputs and the original's gradient equal PyTorch's."""
    def run(L):
        calls = []

        class Symmetric(L.nn.Module):
            def forward(self, X):
                calls.append(1)
                return X.triu() + X.triu(1).mT

        cell = L.nn.Linear(3, 3, bias=False)
        with L.no_grad():
            cell.weight.copy_(L.tensor(np.arange(9.0).reshape(3, 3) / 10))
        L.nn.utils.parametrize.register_parametrization(cell, "weight", Symmetric())
        calls.clear()
        h = L.ones(1, 3)
        with L.nn.utils.parametrize.cached():
            with L.nn.utils.parametrize.cached():  # nested: still one computation
                for _ in range(4):
                    h = L.tanh(cell(h))
        h.sum().backward()
        outside = (cell.weight, cell.weight)  # after the block: computed at each access again
        return len(calls), h.detach().numpy(), cell.parametrizations.weight.original.grad.numpy(), \
            outside[0] is not outside[1]

    ours, theirs = run(tinynn), run(torch)
    assert ours[0] == theirs[0] == 3  # once in the block, then twice outside it
    np.testing.assert_allclose(ours[1], theirs[1], rtol=1e-6)
    np.testing.assert_allclose(ours[2], theirs[2], rtol=1e-5)
    assert ours[3] and theirs[3]


def test_parametrizations_transfer_to_another_module_as_pytorchs(torch):
    """transfer_parametrizations_and_params: the same parametrization modules, originals sharing memory,
    the state-dict keys PyTorch gives; a tensor the target lacks is made. type_before_parametrizations is
    the class itself (tinynn does not subclass a parametrized module)."""
    results = []
    for library in (tinynn, torch):
        library.manual_seed(0)
        source = library.nn.Linear(3, 3)
        library.nn.utils.parametrizations.orthogonal(source)
        target, bare = library.nn.Linear(3, 3), library.nn.Module()
        library.nn.utils.parametrize.transfer_parametrizations_and_params(source, target)
        library.nn.utils.parametrize.transfer_parametrizations_and_params(source, bare, "weight")
        assert target.parametrizations.weight[0] is source.parametrizations.weight[0]
        np.testing.assert_allclose(target.weight.detach().numpy(), source.weight.detach().numpy(), rtol=1e-6)
        with library.no_grad():
            source.parametrizations.weight.original.add_(0.5)
        np.testing.assert_array_equal(target.parametrizations.weight.original.detach().numpy(),
                                      source.parametrizations.weight.original.detach().numpy())
        results.append((list(target.state_dict()), list(bare.state_dict()),
                        library.nn.utils.parametrize.type_before_parametrizations(target).__name__))
        assert library.nn.utils.parametrize.transfer_parametrizations_and_params(library.nn.Linear(2, 2), bare) is bare
    assert results[0] == results[1]
