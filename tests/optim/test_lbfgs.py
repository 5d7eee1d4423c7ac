"""L-BFGS: trajectories equal PyTorch's (with and without the strong-Wolfe line search), the
history survives a checkpoint, it minimises the Rosenbrock function, and it trains a network
whose loss contains the network's own derivative (a physics-informed fit, with create_graph)."""
import numpy as np
import pytest

import tinynn
from tinynn import autograd, nn
from tinynn.nn import functional as F
from helpers import assert_close


def regression_pair(torch, rng):
    ours = nn.Sequential(nn.Linear(3, 8), nn.Tanh(), nn.Linear(8, 1)).double()
    theirs = torch.nn.Sequential(torch.nn.Linear(3, 8), torch.nn.Tanh(), torch.nn.Linear(8, 1)).double()
    theirs.load_state_dict({k: torch.tensor(v.numpy()) for k, v in ours.state_dict().items()})
    return ours, theirs


def closure_for(model, optimizer, inputs, targets, mse):
    def closure():
        optimizer.zero_grad()
        loss = mse(model(inputs), targets)
        loss.backward()
        return loss
    return closure


@pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"])
def test_steps_match_torch(line_search_fn, torch, rng):
    x, y = rng.standard_normal((40, 3)), rng.standard_normal((40, 1))
    ours, theirs = regression_pair(torch, rng)
    options = dict(lr=0.8, history_size=5, max_iter=10, line_search_fn=line_search_fn)
    optimizer, t_optimizer = tinynn.optim.LBFGS(ours.parameters(), **options), torch.optim.LBFGS(theirs.parameters(), **options)
    closure = closure_for(ours, optimizer, tinynn.tensor(x), tinynn.tensor(y), F.mse_loss)
    t_closure = closure_for(theirs, t_optimizer, torch.tensor(x), torch.tensor(y), torch.nn.functional.mse_loss)
    for _ in range(5):
        assert_close(optimizer.step(closure), t_optimizer.step(t_closure).detach(), rtol=1e-8, what="loss")
    for p, t_p in zip(ours.parameters(), theirs.parameters()):
        assert_close(p, t_p.detach(), rtol=1e-7, atol=1e-9, what="parameters after 5 steps")
    first = list(ours.parameters())[0]
    assert optimizer.state[first]["func_evals"] == t_optimizer.state[list(theirs.parameters())[0]]["func_evals"]


def test_the_history_survives_a_checkpoint(rng, tmp_path):
    x, y = tinynn.tensor(rng.standard_normal((30, 3))), tinynn.tensor(rng.standard_normal((30, 1)))

    def run(model, optimizer, steps):
        closure = closure_for(model, optimizer, x, y, F.mse_loss)
        return [optimizer.step(closure).item() for _ in range(steps)]

    tinynn.manual_seed(3)
    model = nn.Sequential(nn.Linear(3, 6), nn.Tanh(), nn.Linear(6, 1)).double()
    optimizer = tinynn.optim.LBFGS(model.parameters(), history_size=4, max_iter=5, line_search_fn="strong_wolfe")
    straight = run(model, optimizer, 4)

    tinynn.manual_seed(3)
    model = nn.Sequential(nn.Linear(3, 6), nn.Tanh(), nn.Linear(6, 1)).double()
    optimizer = tinynn.optim.LBFGS(model.parameters(), history_size=4, max_iter=5, line_search_fn="strong_wolfe")
    first_half = run(model, optimizer, 2)
    tinynn.save({"model": model.state_dict(), "optimizer": optimizer.state_dict()}, tmp_path / "lbfgs.npz")
    checkpoint = tinynn.load(tmp_path / "lbfgs.npz")
    model = nn.Sequential(nn.Linear(3, 6), nn.Tanh(), nn.Linear(6, 1)).double()
    model.load_state_dict(checkpoint["model"])
    optimizer = tinynn.optim.LBFGS(model.parameters(), history_size=4, max_iter=5, line_search_fn="strong_wolfe")
    optimizer.load_state_dict(checkpoint["optimizer"])
    np.testing.assert_allclose(first_half + run(model, optimizer, 2), straight, rtol=1e-12)


def test_minimises_the_rosenbrock_function(device):
    point = tinynn.tensor([-1.5, 2.0], dtype=np.float64, device=device, requires_grad=True)
    optimizer = tinynn.optim.LBFGS([point], max_iter=200, line_search_fn="strong_wolfe")

    def closure():
        optimizer.zero_grad()
        loss = (1 - point[0]) ** 2 + 100 * (point[1] - point[0] ** 2) ** 2
        loss.backward()
        return loss

    optimizer.step(closure)
    np.testing.assert_allclose(point.numpy(), [1.0, 1.0], atol=1e-5)


def test_fits_a_function_from_its_derivative(rng):
    """u(x) with u' = cos x on [0, 3] and u(0) = 0: the loss holds du/dx, recorded with
    create_graph so that L-BFGS's gradients flow through it; the solution is sin x."""
    tinynn.manual_seed(0)
    net = nn.Sequential(nn.Linear(1, 16), nn.Tanh(), nn.Linear(16, 1)).double()
    x = tinynn.tensor(np.linspace(0, 3, 40).reshape(-1, 1), requires_grad=True)
    origin = tinynn.zeros(1, 1, dtype=np.float64)
    optimizer = tinynn.optim.LBFGS(net.parameters(), max_iter=300, line_search_fn="strong_wolfe")

    def closure():
        optimizer.zero_grad()
        du_dx, = autograd.grad(net(x).sum(), x, create_graph=True)
        loss = ((du_dx - x.cos()) ** 2).mean() + (net(origin) ** 2).sum()
        loss.backward()
        return loss

    for _ in range(3):
        optimizer.step(closure)
    grid = np.linspace(0, 3, 13).reshape(-1, 1)
    np.testing.assert_allclose(net(tinynn.tensor(grid)).numpy(), np.sin(grid), atol=1e-3)


def test_bad_use_is_a_clear_error():
    weight = tinynn.zeros(2, requires_grad=True)
    with pytest.raises(ValueError, match="line_search_fn must be None or 'strong_wolfe', got 'armijo'"):
        tinynn.optim.LBFGS([weight], line_search_fn="armijo")
    with pytest.raises(ValueError, match="several parameter groups"):
        tinynn.optim.LBFGS([{"params": [weight]}, {"params": [tinynn.zeros(1, requires_grad=True)]}])
    with pytest.raises(TypeError, match="LBFGS.step needs a closure"):
        tinynn.optim.LBFGS([weight]).step()
