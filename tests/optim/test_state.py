"""``Optimizer.state`` keyed by the parameters, as PyTorch's: an optimizer of one's own written PyTorch's way
(its own step over ``self.state[p]``) trains, saves and resumes as under PyTorch; a built-in optimizer's state
reads, changes in place, moves and resets as PyTorch code does it; copies and pickles keep it with their own
parameters."""
import collections
import copy
import pickle

import numpy as np
import pytest

import tinynn
from helpers import assert_close


def lion_like(library):
    """An optimizer of one's own, as a PyTorch user writes one (the same source for both libraries): a
    momentum buffer created on the first step, a step count, a global counter under a name."""
    class SignMomentum(library.optim.Optimizer):
        def __init__(self, params, lr=0.05, beta=0.9):
            super().__init__(params, dict(lr=lr, beta=beta))

        @library.no_grad()
        def step(self, closure=None):
            self.state["calls"] = self.state.get("calls", {"count": 0})
            self.state["calls"]["count"] += 1
            for group in self.param_groups:
                for p in group["params"]:
                    if p.grad is None:
                        continue
                    state = self.state[p]
                    if len(state) == 0:
                        state["step"] = 0
                        state["momentum"] = library.zeros_like(p)
                    state["step"] += 1
                    momentum = state["momentum"]
                    update = (momentum * group["beta"] + p.grad * (1 - group["beta"])).sign()
                    p.add_(update, alpha=-group["lr"] / state["step"] ** 0.5)
                    momentum.mul_(group["beta"]).add_(p.grad, alpha=1 - group["beta"])
    return SignMomentum


def problem(library, start):
    weight = library.nn.Parameter(library.tensor(start))
    bias = library.nn.Parameter(library.tensor(start[0] * 0.5))
    return weight, bias


def train(library, optimizer, weight, bias, target, steps):
    for _ in range(steps):
        optimizer.zero_grad()
        loss = ((weight * bias - library.tensor(target)) ** 2).sum() + (weight ** 4).sum()
        loss.backward()
        optimizer.step()


@pytest.fixture
def start(rng):
    return rng.standard_normal((3, 4)), rng.standard_normal((3, 4))


def test_an_optimizer_of_ones_own_trains_saves_and_resumes_as_pytorchs(torch, start, tmp_path):
    values, target = start
    ours, theirs = problem(tinynn, values), problem(torch, values)
    optimizer, reference = lion_like(tinynn)(ours), lion_like(torch)(theirs)
    train(tinynn, optimizer, *ours, target, 4)
    train(torch, reference, *theirs, target, 4)
    for mine, expected in zip(ours, theirs):
        assert_close(mine, expected.detach(), rtol=1e-12, what="parameters after 4 steps")
    saved, expected = optimizer.state_dict(), reference.state_dict()
    assert saved["state"].keys() == expected["state"].keys() == {0, 1, "calls"}
    assert saved["state"]["calls"] == expected["state"]["calls"] == {"count": 4}
    for index in (0, 1):
        assert saved["state"][index]["step"] == expected["state"][index]["step"] == 4
        assert_close(saved["state"][index]["momentum"], expected["state"][index]["momentum"], rtol=1e-12)
    # resumed from each other's files: tinynn from PyTorch's, PyTorch from tinynn's
    torch.save(reference.state_dict(), tmp_path / "theirs.pt")
    tinynn.save(optimizer.state_dict(), tmp_path / "ours.pt", format="torch")
    resumed, resumed_reference = lion_like(tinynn)(ours), lion_like(torch)(theirs)
    resumed.load_state_dict(tinynn.load(tmp_path / "theirs.pt"))
    resumed_reference.load_state_dict(torch.load(tmp_path / "ours.pt"))
    train(tinynn, resumed, *ours, target, 3)
    train(torch, resumed_reference, *theirs, target, 3)
    for mine, expected in zip(ours, theirs):
        assert_close(mine, expected.detach(), rtol=1e-12, what="parameters after 3 resumed steps")
    assert resumed.state["calls"] == {"count": 7} and resumed.state[ours[0]]["step"] == 7


def test_a_built_in_optimizers_state_reads_as_pytorchs(torch, start):
    values, target = start
    ours, theirs = problem(tinynn, values), problem(torch, values)
    optimizer, reference = tinynn.optim.Adam(ours, lr=0.1), torch.optim.Adam(theirs, lr=0.1)
    assert len(optimizer.state) == 0 and ours[0] not in optimizer.state
    assert optimizer.state.get(ours[0]) is None and len(optimizer.state) == 0  # get leaves a missing entry missing
    train(tinynn, optimizer, *ours, target, 3)
    train(torch, reference, *theirs, target, 3)
    assert list(optimizer.state) == [ours[0], ours[1]] and all(a is b for a, b in zip(optimizer.state, ours))
    assert ours[0] in optimizer.state and id(ours[0]) not in optimizer.state  # keyed by identity, never by id()
    for mine, expected in zip(ours, theirs):
        state, reference_state = optimizer.state[mine], reference.state[expected]
        assert sorted(state) == sorted(reference_state) == ["exp_avg", "exp_avg_sq", "step"]
        assert isinstance(state["exp_avg"], tinynn.Tensor) and state["step"] == reference_state["step"].item() == 3
        for key in ("exp_avg", "exp_avg_sq"):
            assert_close(state[key], reference_state[key], rtol=1e-12, what=key)


@pytest.mark.parametrize("foreach", [False, True])
def test_changes_made_through_the_state_reach_the_next_step_as_in_pytorch(torch, start, foreach):
    """In place (the first moment zeroed) and by assignment (the second moment replaced by a new tensor, as the
    idiom that moves an optimizer's state to another device does), on the loop and on the flat foreach path."""
    values, target = start
    ours, theirs = problem(tinynn, values), problem(torch, values)
    optimizer = tinynn.optim.Adam(ours, lr=0.1, foreach=foreach)
    reference = torch.optim.Adam(theirs, lr=0.1, foreach=foreach)
    train(tinynn, optimizer, *ours, target, 2)
    train(torch, reference, *theirs, target, 2)
    for library, chosen in ((tinynn, optimizer), (torch, reference)):
        for state in chosen.state.values():
            state["exp_avg"].zero_()
            for key, value in state.items():
                if key == "exp_avg_sq" and isinstance(value, library.Tensor):
                    state[key] = value * 4
    train(tinynn, optimizer, *ours, target, 2)
    train(torch, reference, *theirs, target, 2)
    for mine, expected in zip(ours, theirs):
        assert_close(mine, expected.detach(), rtol=1e-12, what="parameters after the changed state")
    assert isinstance(optimizer.state.of(ours[0])["exp_avg_sq"], np.ndarray)  # the rule took the array back


def test_a_reset_state_makes_the_next_step_a_first_one_as_in_pytorch(torch, start):
    values, target = start
    ours, theirs = problem(tinynn, values), problem(torch, values)
    optimizer, reference = tinynn.optim.RMSprop(ours, lr=0.01, momentum=0.5), torch.optim.RMSprop(theirs, lr=0.01, momentum=0.5)
    train(tinynn, optimizer, *ours, target, 3)
    train(torch, reference, *theirs, target, 3)
    optimizer.state, reference.state = collections.defaultdict(dict), collections.defaultdict(dict)
    assert len(optimizer.state) == 0
    train(tinynn, optimizer, *ours, target, 2)
    train(torch, reference, *theirs, target, 2)
    for mine, expected in zip(ours, theirs):
        assert_close(mine, expected.detach(), rtol=1e-12, what="parameters after the reset")
    assert optimizer.state[ours[0]]["step"] == 2


def test_a_state_of_the_wrong_shape_is_refused_at_the_next_step(start):
    weight, bias = problem(tinynn, start[0])
    optimizer = tinynn.optim.Adam([weight, bias])
    train(tinynn, optimizer, weight, bias, start[1], 1)
    optimizer.state[weight]["exp_avg"] = tinynn.zeros(4, 3)
    with pytest.raises(ValueError, match=r"Adam\.step: state 'exp_avg' set through optimizer.state\[param\] has "
                                         r"shape \(4, 3\), expected \(3, 4\)"):
        train(tinynn, optimizer, weight, bias, start[1], 1)


@pytest.mark.parametrize("duplicate", [copy.deepcopy, lambda value: pickle.loads(pickle.dumps(value))],
                         ids=["deepcopy", "pickle"])
def test_a_copied_optimizer_keeps_its_state_with_its_own_parameters(start, duplicate):
    values, target = start
    weight, bias = problem(tinynn, values)
    optimizer = tinynn.optim.Adam([weight, bias], lr=0.1)
    train(tinynn, optimizer, weight, bias, target, 2)
    twin = duplicate(optimizer)
    twin_weight, twin_bias = twin.param_groups[0]["params"]
    assert twin_weight is not weight and list(twin.state) == [twin_weight, twin_bias] and weight not in twin.state
    np.testing.assert_array_equal(twin.state[twin_weight]["exp_avg"].numpy(), optimizer.state[weight]["exp_avg"].numpy())
    train(tinynn, optimizer, weight, bias, target, 2)
    train(tinynn, twin, twin_weight, twin_bias, target, 2)
    np.testing.assert_array_equal(twin_weight.numpy(), weight.numpy())


def test_complex_parameters_state_reads_in_pytorchs_layout(torch, rng):
    values = rng.standard_normal((2, 3)) + 1j * rng.standard_normal((2, 3))
    ours, theirs = tinynn.nn.Parameter(tinynn.tensor(values)), torch.nn.Parameter(torch.tensor(values))
    optimizer, reference = tinynn.optim.Adam([ours], lr=0.1), torch.optim.Adam([theirs], lr=0.1)
    for parameter, chosen in ((ours, optimizer), (theirs, reference)):
        (parameter.abs() ** 2).sum().backward()
        chosen.step()
    assert optimizer.state[ours]["exp_avg"].shape == (2, 3) and optimizer.state[ours]["exp_avg"].dtype == np.complex128
    assert_close(optimizer.state[ours]["exp_avg_sq"], reference.state[theirs]["exp_avg_sq"], rtol=1e-12)
