"""GradScaler against torch.amp.GradScaler: the same scales, skipped steps and parameters over a
run with gradients that overflow now and then; unscale_ before clipping; state dicts; misuse."""
import numpy as np
import pytest

import tinynn
from tinynn.amp import GradScaler
from helpers import assert_close


def test_a_run_with_overflowing_gradients_matches_torch(torch, rng):
    start = rng.standard_normal((3, 4)).astype(np.float32)  # float16-like overflow needs a narrow type
    ours, theirs = tinynn.tensor(start, requires_grad=True), torch.tensor(start, requires_grad=True)
    optimizer, t_optimizer = tinynn.optim.SGD([ours], lr=0.1), torch.optim.SGD([theirs], lr=0.1)
    scaler = GradScaler(init_scale=2.0 ** 10, growth_interval=3)
    t_scaler = torch.amp.GradScaler("cpu", init_scale=2.0 ** 10, growth_interval=3)
    scales, skipped = [], []
    for step in range(12):
        target = rng.standard_normal((3, 4)).astype(np.float32)
        overflow = step in (2, 3, 8)
        for param, library, sc in ((ours, tinynn, scaler), (theirs, torch, t_scaler)):
            with np.errstate(over="ignore", invalid="ignore"):  # the overflow is the point
                loss = ((param - library.tensor(target)) ** 2).sum() * (1e38 if overflow else 1.0)
                sc.scale(loss).backward()
        scaler.unscale_(optimizer)  # (where gradient clipping would go)
        t_scaler.unscale_(t_optimizer)
        before = ours.numpy().copy()
        scaler.step(optimizer)
        t_scaler.step(t_optimizer)
        skipped.append(np.array_equal(before, ours.numpy()))
        scaler.update()
        t_scaler.update()
        scales.append((scaler.get_scale(), t_scaler.get_scale()))
        optimizer.zero_grad()
        t_optimizer.zero_grad()
        assert_close(ours, theirs.detach(), rtol=1e-6, atol=1e-7, what=f"parameters after step {step}")
    assert [a for a, _ in scales] == [b for _, b in scales]
    assert skipped == [step in (2, 3, 8) for step in range(12)]
    assert scaler.state_dict() == {key: (value.item() if hasattr(value, "item") else value)
                                   for key, value in t_scaler.state_dict().items()}


def test_state_dicts_disabled_scalers_and_misuse():
    scaler = GradScaler(init_scale=8.0, growth_interval=1)
    other = GradScaler()
    other.load_state_dict(scaler.state_dict())
    assert other.get_scale() == 8.0 and other.get_growth_interval() == 1
    off = GradScaler(enabled=False)
    loss = tinynn.tensor(2.0, requires_grad=True)
    assert off.scale(loss) is loss and off.get_scale() == 1.0 and off.state_dict() == {}
    param = tinynn.tensor([1.0], requires_grad=True)
    optimizer = tinynn.optim.SGD([param], lr=1.0)
    param.grad = tinynn.tensor([8.0])
    scaler.unscale_(optimizer)
    with pytest.raises(RuntimeError, match="unscale_ has already been called"):
        scaler.unscale_(optimizer)
    scaler.step(optimizer)
    assert param.item() == 0.0  # stepped with the unscaled gradient 1
    with pytest.raises(RuntimeError, match="step has already been called"):
        scaler.step(optimizer)
    with pytest.raises(RuntimeError, match="no inf checks were recorded"):
        GradScaler().update()
    with pytest.raises(ValueError, match="growth_factor > 1"):
        GradScaler(growth_factor=0.5)
    tuned = GradScaler(init_scale=4.0, growth_interval=1)
    tuned.set_growth_factor(4.0), tuned.set_backoff_factor(0.25), tuned.set_growth_interval(3)
    assert (tuned.get_growth_factor(), tuned.get_backoff_factor(), tuned.get_growth_interval()) == (4.0, 0.25, 3)
    param.grad = tinynn.tensor([float("inf")])
    tuned.scale(loss), tuned.step(optimizer), tuned.update()
    assert tuned.get_scale() == 1.0  # backed off by the new factor
