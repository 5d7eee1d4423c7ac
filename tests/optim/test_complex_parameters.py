"""Complex parameters are optimized as real (Re, Im) pairs, as PyTorch's optimizers view them: the
same trajectories and states as PyTorch's, state dicts in its (complex) layout."""
import numpy as np
import pytest

import tinynn

OPTIMIZERS = [
    ("SGD", {"lr": 0.1, "momentum": 0.9, "nesterov": True}), ("Adam", {"lr": 0.1, "amsgrad": True}),
    ("AdamW", {"lr": 0.1}), ("RMSprop", {"lr": 0.01, "centered": True, "momentum": 0.5}), ("Rprop", {}),
    ("Adagrad", {"lr": 0.1}), ("Adadelta", {}), ("Adamax", {}), ("NAdam", {}), ("RAdam", {}),
]


@pytest.mark.parametrize("blocked", [False, True], ids=["whole", "in blocks"])
@pytest.mark.parametrize("name, settings", OPTIMIZERS, ids=[name for name, _ in OPTIMIZERS])
def test_trajectories_and_states_equal_pytorchs(torch, name, settings, blocked, monkeypatch):
    if blocked:  # the (3, 4) parameter's 24 real coordinates updated 5 at a time (optimizer._update_in_blocks)
        monkeypatch.setattr(tinynn.parallel, "CACHE_BLOCK", 5)
    rng = np.random.default_rng(3)
    start = rng.standard_normal((3, 4)) + 1j * rng.standard_normal((3, 4))
    target = rng.standard_normal((3, 4)) + 1j * rng.standard_normal((3, 4))
    ours, theirs = tinynn.tensor(start, requires_grad=True), torch.tensor(start, requires_grad=True)
    optimizer = getattr(tinynn.optim, name)([ours], **settings)
    reference = getattr(torch.optim, name)([theirs], **settings)
    for _ in range(5):
        optimizer.zero_grad()
        ((ours - tinynn.tensor(target)).abs() ** 3).sum().backward()
        optimizer.step()
        reference.zero_grad()
        ((theirs - torch.tensor(target)).abs() ** 3).sum().backward()
        reference.step()
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-9, atol=1e-12)
    saved, expected = optimizer.state_dict()["state"][0], reference.state_dict()["state"][0]
    for key, value in expected.items():
        if value.ndim:
            assert saved[key].dtype == np.complex128 and saved[key].shape == (3, 4)
            np.testing.assert_allclose(saved[key].numpy(), value.numpy(), rtol=1e-8, atol=1e-12)
    # a saved complex state loads back into a fresh optimizer, which then takes the same step
    restored = getattr(tinynn.optim, name)([ours], **settings)
    restored.load_state_dict(optimizer.state_dict())
    copy = tinynn.tensor(ours.detach().numpy(), requires_grad=True)
    twin = getattr(tinynn.optim, name)([copy], **settings)
    twin.load_state_dict(optimizer.state_dict())
    for parameter, step in ((ours, optimizer), (copy, twin)):
        step.zero_grad()
        ((parameter - tinynn.tensor(target)).abs() ** 3).sum().backward()
        step.step()
    np.testing.assert_allclose(copy.detach().numpy(), ours.detach().numpy(), rtol=1e-12)


def test_foreach_leaves_complex_parameters_to_the_real_pair_path():
    real = tinynn.ones(3, requires_grad=True)
    z = tinynn.tensor(np.array([1 + 1j, 2 - 1j]), requires_grad=True)
    optimizer = tinynn.optim.Adam([real, z], lr=0.1, foreach=True)
    (real.sum() + z.abs().sum()).backward()
    optimizer.step()
    # Adam's first step moves each real coordinate by lr against its gradient's sign
    expected = np.array([1 + 1j, 2 - 1j]) - 0.1 * (np.sign([1, 2]) + 1j * np.sign([1, -1]))
    np.testing.assert_allclose(z.detach().numpy(), expected, rtol=1e-6)
    np.testing.assert_allclose(real.detach().numpy(), 0.9, rtol=1e-6)


@pytest.mark.parametrize("name", ["LBFGS", "Adafactor", "Muon"])
def test_optimizers_that_are_not_elementwise_refuse_complex_parameters(name):
    with pytest.raises(TypeError, match=f"{name} does not support complex parameters"):
        getattr(tinynn.optim, name)([tinynn.zeros(2, 2, dtype=tinynn.complex64, requires_grad=True)])
