"""Activation checkpointing, both ways: the same outputs and gradients as the plain run (bit for bit),
the same dropout masks in the replay, far less memory held between the passes; the non-reentrant
one through everything a graph takes (autograd.grad, create_graph, tuples, keywords, hooks, nested
calls, in-place ops) and equal to PyTorch's; clear errors where the reentrant one has its limits and
where a second run differs from the first."""
import contextlib
import tracemalloc

import numpy as np
import pytest

import tinynn
from tinynn import autograd, nn
from tinynn.nn import functional as F
from tinynn.utils.checkpoint import (CheckpointError, checkpoint, checkpoint_sequential, set_checkpoint_debug_enabled,
                                     set_checkpoint_early_stop)


def deep_mlp(width=64, depth=6):
    layers = []
    for _ in range(depth):
        layers += [nn.Linear(width, width), nn.Tanh()]
    return nn.Sequential(*layers, nn.Linear(width, 3))


def gradients(model, x, run):
    model.zero_grad()
    x.grad = None
    out = run(x)
    F.cross_entropy(out, tinynn.tensor([0, 1, 2, 0], device=x.device)).backward()
    return out.numpy(), x.grad.numpy(), [p.grad.numpy() for p in model.parameters()]


def test_outputs_and_gradients_equal_the_plain_run(rng, device):
    tinynn.manual_seed(0)
    model = deep_mlp(16, 4).to(device)
    x = tinynn.tensor(rng.standard_normal((4, 16)).astype(np.float32), device=device, requires_grad=True)
    plain = gradients(model, x, model)
    runs = [gradients(model, x, lambda t: checkpoint(model, t, use_reentrant=reentrant)) for reentrant in (True, False)]
    runs += [gradients(model, x, lambda t: checkpoint_sequential(model, 3, t, use_reentrant=reentrant))
             for reentrant in (True, False)]
    for other in runs:
        np.testing.assert_array_equal(other[0], plain[0])
        np.testing.assert_array_equal(other[1], plain[1])
        for ours, reference in zip(other[2], plain[2]):
            np.testing.assert_array_equal(ours, reference)


@pytest.mark.parametrize("reentrant", [True, False], ids=["reentrant", "non-reentrant"])
def test_the_replay_draws_the_same_dropout_mask(device, reentrant):
    x = tinynn.ones(64, 64, device=device, requires_grad=True)
    out = checkpoint(lambda t: F.dropout(t, 0.5) * 3, x, use_reentrant=reentrant)
    out.sum().backward()
    kept = out.numpy() != 0
    assert 0.3 < kept.mean() < 0.7
    np.testing.assert_array_equal(x.grad.numpy() != 0, kept)  # the replay dropped the same elements
    np.testing.assert_allclose(x.grad.numpy()[kept], 6.0)     # 3 / (1 - p)
    again = checkpoint(lambda t: F.dropout(t, 0.5), x, use_reentrant=reentrant)  # a new call draws a new mask
    assert (again.numpy() != 0).tolist() != kept.tolist()


def test_memory_held_between_the_passes_shrinks():
    tinynn.manual_seed(0)
    model = deep_mlp(256, 8)
    x = tinynn.randn(512, 256, requires_grad=True)

    def held(run):
        tracemalloc.start()
        before = tracemalloc.get_traced_memory()[0]
        out = run(x)
        after = tracemalloc.get_traced_memory()[0]
        tracemalloc.stop()
        out.sum().backward()
        return after - before

    plain = held(model)  # every layer's input and tanh output, about 8 MB
    for reentrant in (True, False):
        assert held(lambda t: checkpoint(model, t, use_reentrant=reentrant)) < plain / 10  # the output only
        assert held(lambda t: checkpoint_sequential(model, 4, t, use_reentrant=reentrant)) < plain / 2  # pieces' inputs, the last piece

    def holding_one(t):  # an intermediate you hold keeps its values (and its memory), as in PyTorch
        holding_one.hidden = model[:8](t)
        return model[8:](holding_one.hidden)

    expected = model[:8](x).numpy()
    assert 0.9 * expected.nbytes < held(lambda t: checkpoint(holding_one, t, use_reentrant=False)) < plain / 4
    np.testing.assert_array_equal(holding_one.hidden.numpy(), expected)


def test_limits_are_clear_errors(rng):
    model = deep_mlp(8, 2).double()
    x = tinynn.tensor(rng.standard_normal((2, 8)), requires_grad=True)
    with pytest.raises(RuntimeError, match="checkpoint: autograd.grad\\(\\) cannot pass through a reentrant checkpoint"):
        autograd.grad(checkpoint(model, x).sum(), x)
    with pytest.raises(NotImplementedError, match="the backward of Checkpoint is not differentiable"):
        checkpoint(model, x).sum().backward(create_graph=True)
    with pytest.raises(ValueError, match="segments must be an int from 1 to 5, got 9"):
        checkpoint_sequential(model, 9, x)
    with pytest.raises(TypeError, match="checkpoint: the function must return one Tensor, got tuple"):
        checkpoint(lambda t: (t, t), x)
    with pytest.raises(ValueError, match="checkpoint: unexpected keyword arguments scale \\(the function gets keyword"):
        checkpoint(lambda t, scale: t * scale, x, scale=2.0)
    with pytest.raises(ValueError, match="checkpoint: context_fn is taken only with use_reentrant=False"):
        checkpoint(model, x, context_fn=lambda: (contextlib.nullcontext(), contextlib.nullcontext()))
    with pytest.raises(ValueError, match="determinism_check must be 'default' or 'none', got 'strict'"):
        checkpoint(model, x, use_reentrant=False, determinism_check="strict")


def non_reentrant(function):
    return lambda *args, **kwargs: checkpoint(function, *args, use_reentrant=False, **kwargs)


def test_non_reentrant_gradients_pass_through_grad_and_create_graph(rng, device):
    """autograd.grad (which the reentrant way refuses) and gradients of gradients, bit for bit as
    without the checkpoint: a gradient penalty through a checkpointed block."""
    model = deep_mlp(8, 3).double().to(device)
    x = tinynn.tensor(rng.standard_normal((4, 8)), device=device, requires_grad=True)
    parameters = list(model.parameters())

    def penalty(run):
        out = run(x)
        loss = F.cross_entropy(out, tinynn.tensor([0, 1, 2, 0], device=device))
        first = autograd.grad(loss, [x] + parameters, create_graph=True)
        second = autograd.grad(sum((g * g).sum() for g in first), [x] + parameters)
        return [g.numpy() for g in first + second]

    for ours, plain in zip(penalty(non_reentrant(model)), penalty(model)):
        np.testing.assert_array_equal(ours, plain)
    assert autograd.gradcheck(non_reentrant(model), [x]) and autograd.gradgradcheck(non_reentrant(model), [x])


def test_non_reentrant_takes_tuples_dicts_keywords_hooks_and_in_place_ops(rng, device):
    layer, other = nn.Linear(6, 6).double().to(device), nn.Linear(6, 2).double().to(device)
    seen, made = [], []

    def block(t, *, scale, shift=None):
        hidden = layer(t).relu_()  # in place, inside the checkpoint
        hidden.register_hook(lambda g: seen.append(g.numpy().copy()))
        kept = (hidden * scale).tanh()
        kept.retain_grad()
        made.append(kept)  # (the second run's twin too: the first is the graph's)
        return {"out": other(kept) + shift, "pair": (hidden.sum(), tinynn.argmax(kept, dim=1))}

    def run(function):
        layer.zero_grad(), other.zero_grad()
        seen.clear(), made.clear()
        x = tinynn.tensor(np.linspace(-1, 1, 18).reshape(3, 6), device=device, requires_grad=True)
        result = function(x, scale=1.5, shift=tinynn.ones(2, dtype=tinynn.float64, device=device))
        (result["out"].square().sum() + result["pair"][0]).backward()
        assert result["pair"][1].dtype == np.int64
        return [result["out"].numpy(), result["pair"][1].numpy(), x.grad.numpy(), made[0].grad.numpy(), *seen,
                *(p.grad.numpy() for p in (*layer.parameters(), *other.parameters()))]

    plain, ours = run(block), run(non_reentrant(block))
    assert len(ours) == len(plain) == 9  # the hook ran once
    for a, b in zip(ours, plain):
        np.testing.assert_array_equal(a, b)


def test_an_intermediate_you_hold_stays_itself_in_the_graph(rng):
    """Kept by you and used again after the checkpoint: one tensor, one node, one gradient (a stand-in
    beside it would take the node's backward twice). Graph-only intermediates become stand-ins."""
    layer = nn.Linear(4, 4).double()
    x = tinynn.tensor(rng.standard_normal((2, 4)), requires_grad=True)
    kept = []

    def block(t):
        hidden = layer(t).tanh()
        if not kept:  # (the first run's: the second run makes a twin)
            kept.append(hidden)
        return (hidden * hidden).sum(dim=1) + layer(t).exp().sum(dim=1)

    def run(function):
        layer.zero_grad(), kept.clear()
        x.grad = None
        out = function(x)
        held_by_the_last_op = [t for t in out.grad_fn.inputs if t is not None]
        without_values = [t._array.ndim and not any(t._array.strides) for t in held_by_the_last_op]
        (out.sum() + (kept[0] ** 3).sum()).backward()
        return x.grad.numpy(), layer.weight.grad.numpy(), without_values

    plain, ours = run(block), run(non_reentrant(block))
    for a, b in zip(plain[:2], ours[:2]):
        np.testing.assert_array_equal(a, b)
    assert plain[2] == [False, False] and ours[2] == [True, True]  # the two sums, held by the graph alone, went


def test_nested_non_reentrant_checkpoints_and_a_second_backward(rng):
    model = deep_mlp(8, 4).double()
    x = tinynn.tensor(rng.standard_normal((4, 8)), requires_grad=True)
    inner = non_reentrant(lambda t: model[2:6](t))
    outer = non_reentrant(lambda t: model[6:](inner(model[:2](t))))
    plain = model(x).square().sum()
    ours = outer(x).square().sum()
    np.testing.assert_array_equal(ours.numpy(), plain.numpy())
    expected = autograd.grad(plain, [x] + list(model.parameters()))
    for _ in range(2):  # the graph is kept: the second backward needs no third run
        got = autograd.grad(ours, [x] + list(model.parameters()), retain_graph=True)
        for a, b in zip(got, expected):
            np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_non_reentrant_under_no_grad_runs_the_function_as_it_is():
    model = deep_mlp(4, 1)
    with tinynn.no_grad():
        out = checkpoint(model, tinynn.ones(2, 4), use_reentrant=False)
    assert not out.requires_grad and out.grad_fn is None


def test_early_stop_ends_the_second_run_after_the_first_runs_ops():
    ends = []

    def block(t):
        out = (t * 2).sin()
        ends.append("end")  # after the last recorded op: the second run stops before it
        return out

    x = tinynn.ones(3, requires_grad=True)
    checkpoint(block, x, use_reentrant=False).sum().backward()
    assert ends == ["end"]
    checkpoint(block, x, use_reentrant=False, early_stop=False).sum().backward()
    assert ends == ["end"] * 3
    with set_checkpoint_early_stop(False):
        checkpoint(block, x, use_reentrant=False).sum().backward()
    assert ends == ["end"] * 5
    np.testing.assert_allclose(x.grad.numpy(), 3 * 2 * np.cos(2.0))


def test_context_fn_wraps_each_run():
    entered = []

    @contextlib.contextmanager
    def note(what):
        entered.append(what)
        yield

    x = tinynn.ones(3, requires_grad=True)
    out = checkpoint(lambda t: t.exp(), x, use_reentrant=False, context_fn=lambda: (note("first"), note("second")))
    assert entered == ["first"]
    out.sum().backward()
    assert entered == ["first", "second"]


def test_a_second_run_that_differs_is_a_checkpoint_error():
    state = {"calls": 0}

    def branching(t):
        state["calls"] += 1
        return t.exp() if state["calls"] == 1 else t.sin()

    x = tinynn.ones(3, requires_grad=True)
    with pytest.raises(CheckpointError, match=r"second run recorded other ops than its first \(1 ops, then 1\), first "
                                              r"at op 0: Exp in the first run, Sin in the second; .*debug=True"):
        checkpoint(branching, x, use_reentrant=False).sum().backward()
    state["calls"] = 0
    with pytest.raises(CheckpointError, match=r"Sin in the second; .* First run: Exp\. Second run: Sin\.$"):
        checkpoint(branching, x, use_reentrant=False, debug=True).sum().backward()
    state["calls"] = 0
    with set_checkpoint_debug_enabled(True), pytest.raises(CheckpointError, match=r"First run: Exp\. Second run: Sin\.$"):
        checkpoint(branching, x, use_reentrant=False).sum().backward()
    sizes = iter([3, 2])

    def resizing(t):
        return t[:next(sizes)].exp()

    with pytest.raises(CheckpointError, match=r"kept .* as float32 \(2,\), the first run as float32 \(3,\)"):
        checkpoint(resizing, x, use_reentrant=False).sum().backward()


def test_non_reentrant_checkpoint_equals_pytorchs(torch, rng):
    ours_first, ours_second = nn.Linear(5, 7), nn.Linear(7, 3)
    theirs_first, theirs_second = torch.nn.Linear(5, 7), torch.nn.Linear(7, 3)
    for ours, theirs in ((ours_first, theirs_first), (ours_second, theirs_second)):
        theirs.load_state_dict({k: torch.tensor(v.numpy()) for k, v in ours.state_dict().items()})
    values = rng.standard_normal((4, 5)).astype(np.float32)

    def block(library, first, second):
        def run(t, *, gate):
            hidden = library.nn.functional.gelu(first(t)) * gate
            return second(hidden), hidden.sum()
        return run

    results = []
    for library, first, second in ((tinynn, ours_first, ours_second), (torch, theirs_first, theirs_second)):
        x = library.tensor(values, requires_grad=True)
        gate = library.tensor(np.full(7, 0.5, dtype=np.float32), requires_grad=True)
        out, total = library.utils.checkpoint.checkpoint(block(library, first, second), x, use_reentrant=False, gate=gate)
        parameters = [*first.parameters(), *second.parameters()]
        grads = library.autograd.grad(out.square().sum() + total, [x, gate, *parameters])
        results.append([out.detach().numpy(), *(g.numpy() for g in grads)])
    for ours, theirs in zip(*results):
        np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-6)
