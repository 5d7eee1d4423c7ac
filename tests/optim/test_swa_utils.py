"""optim.swa_utils: AveragedModel (SWA and EMA, with and without buffers), update_bn and SWALR
against PyTorch's on the same weights, data and steps."""
import warnings

import numpy as np
import pytest

import tinynn
from tinynn import nn
from tinynn.optim import swa_utils
from helpers import assert_close


def twins(torch):
    ours = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.ReLU(), nn.Linear(4, 2)).double()
    theirs = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4), torch.nn.ReLU(),
                                 torch.nn.Linear(4, 2)).double()
    theirs.load_state_dict({k: torch.tensor(v.numpy()) for k, v in ours.state_dict().items()})
    return ours, theirs


@pytest.mark.parametrize("kind", ["swa", "ema multi_avg_fn", "ema avg_fn with buffers"])
def test_averaged_model_and_update_bn_match_torch(kind, torch, rng):
    torch_swa = torch.optim.swa_utils
    options = {"swa": ({}, {}),
               "ema multi_avg_fn": ({"multi_avg_fn": swa_utils.get_ema_multi_avg_fn(0.9)},
                                    {"multi_avg_fn": torch_swa.get_ema_multi_avg_fn(0.9)}),
               "ema avg_fn with buffers": ({"avg_fn": swa_utils.get_ema_avg_fn(0.8), "use_buffers": True},
                                           {"avg_fn": torch_swa.get_ema_avg_fn(0.8), "use_buffers": True})}[kind]
    model, t_model = twins(torch)
    averaged, t_averaged = swa_utils.AveragedModel(model, **options[0]), torch_swa.AveragedModel(t_model, **options[1])
    optimizer, t_optimizer = tinynn.optim.SGD(model.parameters(), lr=0.1), torch.optim.SGD(t_model.parameters(), lr=0.1)
    for _ in range(4):
        x = rng.standard_normal((8, 3))
        (model(tinynn.tensor(x)) ** 2).sum().backward()
        (t_model(torch.tensor(x)) ** 2).sum().backward()
        optimizer.step()
        t_optimizer.step()
        optimizer.zero_grad()
        t_optimizer.zero_grad()
        averaged.update_parameters(model)
        t_averaged.update_parameters(t_model)

    def compare(what):
        state, t_state = averaged.state_dict(), t_averaged.state_dict()
        assert sorted(state) == sorted(t_state)
        for key, value in state.items():
            if not key.endswith("num_batches_tracked"):  # an integer count: tinynn keeps the model's
                assert_close(value, t_state[key], rtol=1e-10, atol=1e-12, what=f"{what} {key}")

    compare("averaged")
    assert int(averaged.n_averaged.item()) == 4
    batches = [rng.standard_normal((8, 3)) for _ in range(3)]
    swa_utils.update_bn([(tinynn.tensor(b), 0) for b in batches], averaged)
    torch_swa.update_bn([(torch.tensor(b), 0) for b in batches], t_averaged)
    compare("after update_bn")
    x = rng.standard_normal((5, 3))
    averaged.eval(), t_averaged.eval()
    assert_close(averaged(tinynn.tensor(x)), t_averaged(torch.tensor(x)).detach(), rtol=1e-10)


@pytest.mark.parametrize("strategy", ["cos", "linear"])
@pytest.mark.parametrize("anneal_epochs", [0, 1, 3])
def test_swalr_matches_torch(strategy, anneal_epochs, torch):
    weight, t_weight = tinynn.zeros(2, requires_grad=True), torch.zeros(2, requires_grad=True)
    optimizer, t_optimizer = tinynn.optim.SGD([weight], lr=0.5), torch.optim.SGD([t_weight], lr=0.5)
    schedule = swa_utils.SWALR(optimizer, 0.05, anneal_epochs=anneal_epochs, anneal_strategy=strategy)
    t_schedule = torch.optim.swa_utils.SWALR(t_optimizer, 0.05, anneal_epochs=anneal_epochs, anneal_strategy=strategy)
    ours, theirs = [], []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PyTorch's advice about calling optimizer.step() first
        for _ in range(6):
            ours.append(optimizer.param_groups[0]["lr"])
            theirs.append(t_optimizer.param_groups[0]["lr"])
            schedule.step()
            t_schedule.step()
    np.testing.assert_allclose(ours, theirs, rtol=1e-15)


def test_bad_arguments_are_clear_errors():
    with pytest.raises(ValueError, match="decay must be in \\[0, 1\\], got 1.5"):
        swa_utils.get_ema_avg_fn(1.5)
    optimizer = tinynn.optim.SGD([tinynn.zeros(1, requires_grad=True)], lr=0.1)
    with pytest.raises(ValueError, match="anneal_strategy must be 'cos' or 'linear', got 'step'"):
        swa_utils.SWALR(optimizer, 0.01, anneal_strategy="step")
