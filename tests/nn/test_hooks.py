"""Module forward hooks and full backward hooks: order, shapes, replacement and removal."""
import numpy as np
import pytest

import tinynn
from tinynn import nn
from tinynn.models import MnistTiny
from tinynn.nn import functional as F


def test_forward_hooks_fire_in_call_order_with_output_shapes():
    model = MnistTiny()
    seen = []
    handles = [layer.register_forward_hook(lambda m, inputs, out, name=name: seen.append((name, out.shape)))
               for name, layer in model.named_modules() if not list(layer.children())]
    model(tinynn.randn(2, 1, 28, 28))
    assert [name for name, _ in seen][:5] == ["features.0", "features.1", "features.2", "features.3", "features.4"]
    assert seen[0][1] == (2, 16, 26, 26) and seen[11][1] == (2, 24, 11, 11) and seen[-1] == ("classifier", (2, 10))
    for handle in handles:
        handle.remove()
    seen.clear()
    model(tinynn.randn(2, 1, 28, 28))
    assert seen == []


def test_forward_hook_can_replace_the_output():
    layer = nn.Linear(3, 2)
    handle = layer.register_forward_hook(lambda m, inputs, out: out * 0)
    assert (layer(tinynn.ones(1, 3)).numpy() == 0).all()
    handle.remove()
    assert (layer(tinynn.ones(1, 3)).numpy() != 0).any()


def test_backward_hooks_fire_from_the_output_towards_the_input_with_the_right_shapes():
    model = nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 4 * 4, 3))
    calls = []

    def record(module, grad_input, grad_output):
        calls.append((type(module).__name__, [None if g is None else g.shape for g in grad_input],
                      [g.shape for g in grad_output]))

    handles = [layer.register_full_backward_hook(record) for layer in model]
    loss = F.cross_entropy(model(tinynn.randn(2, 1, 6, 6)), tinynn.tensor([0, 2]))
    loss.backward()
    assert [name for name, _, _ in calls] == ["Linear", "Flatten", "ReLU", "Conv2d"]
    assert calls[0][1:] == ([(2, 64)], [(2, 3)])
    assert calls[2][1:] == ([(2, 4, 4, 4)], [(2, 4, 4, 4)])
    assert calls[3][1:] == ([None], [(2, 4, 4, 4)]), "the image needs no gradient, as in PyTorch"
    for handle in handles:
        handle.remove()
    calls.clear()
    F.cross_entropy(model(tinynn.randn(2, 1, 6, 6)), tinynn.tensor([0, 2])).backward()
    assert calls == []


def test_backward_hook_grads_match_torch(torch, rng):
    ours = nn.Linear(4, 3)
    theirs = torch.nn.Linear(4, 3)
    theirs.load_state_dict({k: torch.tensor(v.numpy()) for k, v in ours.state_dict().items()})
    got = {}
    ours.register_full_backward_hook(lambda m, gi, go: got.update(ours=(gi[0].numpy(), go[0].numpy())))
    theirs.register_full_backward_hook(lambda m, gi, go: got.update(theirs=(gi[0].numpy(), go[0].numpy())))
    x = rng.standard_normal((5, 4)).astype(np.float32)
    weights = rng.standard_normal((5, 3)).astype(np.float32)
    (ours(tinynn.tensor(x, requires_grad=True)) * tinynn.tensor(weights)).sum().backward()
    (theirs(torch.tensor(x, requires_grad=True)) * torch.tensor(weights)).sum().backward()
    np.testing.assert_allclose(got["ours"][0], got["theirs"][0], rtol=1e-5)
    np.testing.assert_allclose(got["ours"][1], got["theirs"][1], rtol=1e-5)


def test_backward_hook_can_replace_grad_input():
    layer = nn.ReLU()
    layer.register_full_backward_hook(lambda m, grad_input, grad_output: (grad_input[0] * 0 + 7,))
    x = tinynn.tensor([1.0, -1.0], requires_grad=True)
    layer(x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [7, 7])


def test_hook_handles_work_as_context_managers():
    layer = nn.Linear(2, 2)
    seen = []
    with layer.register_forward_hook(lambda *args: seen.append(1)):
        layer(tinynn.ones(1, 2))
    layer(tinynn.ones(1, 2))
    assert seen == [1]


@pytest.mark.parametrize("order", [[0, 1], [1, 0]])
def test_several_forward_hooks_run_in_registration_order(order):
    layer = nn.ReLU()
    seen = []
    for tag in order:
        layer.register_forward_hook(lambda m, i, o, tag=tag: seen.append(tag))
    layer(tinynn.ones(1))
    assert seen == order


def test_forward_pre_hooks_see_and_replace_the_inputs():
    layer = nn.Linear(3, 2)
    seen = []
    handle = layer.register_forward_pre_hook(lambda module, inputs: seen.append(inputs[0].shape))
    doubler = layer.register_forward_pre_hook(lambda module, inputs: inputs[0] * 2)
    x = tinynn.ones(4, 3)
    np.testing.assert_allclose(layer(x).numpy(), F.linear(x * 2, layer.weight, layer.bias).numpy())
    assert seen == [(4, 3)]
    handle.remove()
    doubler.remove()
    np.testing.assert_allclose(layer(x).numpy(), F.linear(x, layer.weight, layer.bias).numpy())
    assert seen == [(4, 3)]


def test_get_submodule_follows_dotted_paths():
    model = MnistTiny()
    assert model.get_submodule("features.4") is model.features[4] and model.get_submodule("") is model
    with pytest.raises(AttributeError, match="has no submodule 'nine'"):
        model.get_submodule("features.nine")


def test_backward_pre_hooks_see_and_replace_grad_output_as_torch_does(torch, rng):
    values, weights = rng.standard_normal((3, 4)), rng.standard_normal((2, 4))
    seen = {}

    def doubling(library):
        def hook(module, grad_output):
            seen.setdefault(library.__name__, []).append(np.asarray(grad_output[0].tolist()))
            return (grad_output[0] * 2,)
        return hook

    grads = {}
    for library in (tinynn, torch):
        layer = (nn.Linear(4, 2) if library is tinynn else torch.nn.Linear(4, 2)).double()
        with (tinynn.no_grad() if library is tinynn else torch.no_grad()):
            layer.weight.data[...] = library.tensor(weights)
            layer.bias.data[...] = 0
        handle = layer.register_full_backward_pre_hook(doubling(library))
        x = library.tensor(values, requires_grad=True)
        (layer(x) ** 2).sum().backward()
        grads[library.__name__] = np.asarray(x.grad.tolist())
        handle.remove()
        x.grad = None
        (layer(x) ** 2).sum().backward()
        assert np.allclose(np.asarray(x.grad.tolist()) * 2, grads[library.__name__])  # removed: not doubled
    np.testing.assert_allclose(grads["tinynn"], grads["torch"], rtol=1e-12)
    np.testing.assert_allclose(seen["tinynn"][0], seen["torch"][0], rtol=1e-12)


def test_state_dict_hooks_run_as_torchs_do(torch):
    """A post hook edits the dict a module saves; a load pre hook renames keys an older version
    saved, before the keys are checked; the caller's dict is left as it was."""
    for library in (tinynn, torch):
        model = library.nn.Sequential(library.nn.Linear(2, 3), library.nn.ReLU())
        calls = []
        model[0].register_state_dict_pre_hook(lambda module, prefix, keep_vars: calls.append(("pre", prefix)))

        def drop_bias(module, state, prefix, local_metadata):
            calls.append(("post", prefix))
            del state[prefix + "bias"]
        model[0].register_state_dict_post_hook(drop_bias)
        state = model.state_dict()
        assert list(state) == ["0.weight"] and calls == [("pre", "0."), ("post", "0.")]

        def renamed(module, state_dict, prefix, local_metadata, strict, missing, unexpected, errors):
            if prefix + "kernel" in state_dict:
                state_dict[prefix + "weight"] = state_dict.pop(prefix + "kernel")
        fresh = library.nn.Sequential(library.nn.Linear(2, 3, bias=False))
        fresh[0].register_load_state_dict_pre_hook(renamed)
        old = {"0.kernel": state["0.weight"] * 2}
        fresh.load_state_dict(old)
        assert np.allclose(np.asarray(fresh[0].weight.tolist()), 2 * np.asarray(state["0.weight"].tolist()))
        assert list(old) == ["0.kernel"]


def test_a_load_post_hook_sees_and_may_forgive_incompatible_keys(torch):
    for library in (tinynn, torch):
        model = library.nn.Sequential(library.nn.Linear(2, 3))
        seen = []

        def forgive_bias(module, incompatible):
            seen.append((list(incompatible.missing_keys), list(incompatible.unexpected_keys)))
            if "0.bias" in incompatible.missing_keys:
                incompatible.missing_keys.remove("0.bias")
        model.register_load_state_dict_post_hook(forgive_bias)
        weights = library.ones(3, 2)
        model.load_state_dict({"0.weight": weights})  # strict, but the hook cleared the only problem
        assert seen == [(["0.bias"], [])]
        assert np.allclose(np.asarray(model[0].weight.tolist()), 1.0)
        with pytest.raises((tinynn.nn.StateDictError, RuntimeError), match="(?i)unexpected"):
            model.load_state_dict({"0.weight": weights, "0.bias": library.zeros(3), "extra": weights})


def _logged_run(library, module_hooks, seed_values):
    """A small model run forward and backward with global hooks of ``library`` that log each call."""
    nn_module = library.nn.modules.module
    log = []

    def name(module):
        return type(module).__name__

    handles = [
        nn_module.register_module_forward_pre_hook(lambda m, args: log.append(("pre", name(m)))),
        nn_module.register_module_forward_hook(lambda m, args, out: log.append(("forward", name(m), tuple(out.shape)))),
        nn_module.register_module_full_backward_pre_hook(lambda m, go: log.append(("backward pre", name(m)))),
        nn_module.register_module_full_backward_hook(
            lambda m, gi, go: log.append(("backward", name(m), tuple(g.shape if g is not None else () for g in gi)))),
    ]
    try:
        model = library.nn.Sequential(library.nn.Linear(3, 4), library.nn.Tanh(), library.nn.Linear(4, 2))
        for hook in module_hooks:
            model[2].register_forward_hook(lambda m, args, out: log.append(("own forward", name(m))))
        x = library.tensor(seed_values, requires_grad=True)
        model(x).sum().backward()
    finally:
        for handle in handles:
            handle.remove()
    model(library.tensor(seed_values))  # removed: nothing more is logged
    return log


def test_global_module_hooks_run_for_every_module_before_its_own_as_torchs(torch, rng):
    values = rng.standard_normal((5, 3)).astype(np.float32)
    ours, theirs = _logged_run(tinynn, [1], values), _logged_run(torch, [1], values)
    assert ours == theirs
    assert ours.index(("forward", "Linear", (5, 2))) < ours.index(("own forward", "Linear"))


def test_global_forward_hooks_replace_inputs_and_outputs_and_see_failures():
    from tinynn.nn.modules import module as nn_module

    layer = nn.Linear(2, 2)
    seen = []
    with nn_module.register_module_forward_pre_hook(lambda m, args: (args[0] * 0,)), \
            nn_module.register_module_forward_hook(lambda m, args, kwargs, out: out + 1, with_kwargs=True):
        np.testing.assert_allclose(layer(tinynn.ones(1, 2)).numpy(), (layer.bias + 1).detach().numpy()[None])
    failing = nn.Linear(2, 2)
    with nn_module.register_module_forward_hook(lambda m, args, out: seen.append(out), always_call=True):
        with pytest.raises(ValueError):
            failing(tinynn.ones(1, 3))
    assert seen == [None]


def test_registration_hooks_see_and_replace_what_is_registered(torch):
    from tinynn.nn.modules import module as nn_module

    log = []

    replacements = []

    def parameters(module, name, value):
        log.append(("parameter", type(module).__name__, name))
        if name == "weight":
            replacements.append(nn.Parameter(value.detach().clone()))
            return replacements[-1]
        return None

    with nn_module.register_module_parameter_registration_hook(parameters), \
            nn_module.register_module_buffer_registration_hook(lambda m, n, v: log.append(("buffer", n))), \
            nn_module.register_module_module_registration_hook(lambda m, n, v: log.append(("module", n))):
        model = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3))
        model.extra = nn.Identity()
    assert ("parameter", "Linear", "weight") in log and ("parameter", "Linear", "bias") in log
    assert [entry for entry in log if entry[0] == "buffer"] == [("buffer", "running_mean"), ("buffer", "running_var"),
                                                               ("buffer", "num_batches_tracked")]
    assert ("module", "0") in log and ("module", "1") in log and ("module", "extra") in log
    assert model[0].weight is replacements[0] and model[1].weight is replacements[1]  # what the hook returned
    torch_log = []
    handle = torch.nn.modules.module.register_module_buffer_registration_hook(lambda m, n, v: torch_log.append(n))
    torch.nn.BatchNorm1d(3)
    handle.remove()
    assert torch_log == ["running_mean", "running_var", "num_batches_tracked"]


def _two_in_two_out(library):
    class TwoInTwoOut(library.nn.Module):
        """forward(a, scale, b) -> (a * b * scale, "a note", a + b): Tensors and other values either side."""
        def forward(self, a, scale, b):
            return a * b * scale, "a note", a + b
    return TwoInTwoOut()


@pytest.mark.parametrize("used", ["both outputs", "first output"])
def test_backward_hooks_of_a_module_of_several_inputs_and_outputs_see_and_replace_them_all_as_torchs(torch, used):
    """grad_input: one entry per positional argument, grad_output one per output (None for what is no
    Tensor or got no gradient); a pre-hook's tuple replaces grad_output, a hook's replaces grad_input,
    for every input (before, only a module of one Tensor input had its grad_input replaced, and a tuple
    output left the hooks a grad_output of (None,))."""
    results = []
    for library in (tinynn, torch):
        a = library.tensor([1.0, 2.0, 3.0], requires_grad=True)
        b = library.tensor([4.0, 5.0, 6.0], requires_grad=True)
        module, seen = _two_in_two_out(library), []
        module.register_full_backward_pre_hook(lambda m, go: (go[0] * 2, None, go[2]))
        module.register_full_backward_hook(lambda m, gi, go: seen.append(
            [None if g is None else g.tolist() for g in gi + go]) or (gi[0] * 10, None, gi[2] + 1))
        product, note, total = module(a, 3.0, b)
        loss = (product * library.tensor([1.0, -1.0, 2.0])).sum() + (total.sum() if used == "both outputs" else 0)
        loss.backward()
        results.append((note, seen, a.grad.tolist(), b.grad.tolist()))
    assert results[0] == results[1]
    # grad_input (a, the number, b), then grad_output (the product, the note, the sum: None where unused)
    assert [entry is None for entry in results[0][1][0]] == [False, True, False, False, True, used == "first output"]


def test_backward_hooks_of_a_module_refuse_a_replacement_that_does_not_fit(torch):
    bad_hooks = {  # (pre-hook or hook, its result) -> what tinynn says
        ("pre", lambda gi, go: (go[0], go[0])): "returned 2 values; expected None or a tuple of 1 grad_output",
        ("hook", lambda gi, go: (gi[0], gi[0])): "returned 2 values; expected None or a tuple of 1 grad_input",
        ("pre", lambda gi, go: (go[0][:, :1],)): r"changed the gradient's shape from \(1, 2\) to \(1, 1\)",
        ("hook", lambda gi, go: (gi[0].double(),)): "changed the gradient's dtype from float32 to float64",
        ("hook", lambda gi, go: gi[0]): "returned a Tensor; expected None or a tuple of 1 grad_input",
    }
    for (kind, result), message in bad_hooks.items():
        for library in (tinynn, torch):
            layer = library.nn.Linear(2, 2)
            if kind == "pre":
                layer.register_full_backward_pre_hook(lambda m, go, result=result: result(None, go))
            else:
                layer.register_full_backward_hook(lambda m, gi, go, result=result: result(gi, go))
            x = library.ones(1, 2, requires_grad=True)
            with pytest.raises((RuntimeError, TypeError)) as raised:
                layer(x).sum().backward()
            if library is tinynn:
                assert raised.match(message), message


def test_backward_hooks_of_a_module_whose_inputs_need_no_gradient_run_from_its_output_and_may_not_return_any(torch):
    for library in (tinynn, torch):
        layer, seen = library.nn.Linear(2, 2), []
        layer.register_full_backward_hook(lambda m, gi, go: seen.append((gi, go[0].shape)))
        layer(library.ones(1, 2)).sum().backward()
        assert seen == [((None,), (1, 2))]
        layer.register_full_backward_hook(lambda m, gi, go: (library.ones(1, 2),))
        with pytest.raises(RuntimeError, match="no input of the module requires grad" if library is tinynn
                           else "no input requires gradient"):
            layer(library.ones(1, 2)).sum().backward()


def test_backward_hooks_of_several_inputs_and_outputs_run_on_every_device(device):
    """The hooks' identity nodes pack and cut the tensors with the array module of the device they are on."""
    results = {}
    for where in ("cpu", device):
        a = tinynn.tensor([1.0, 2.0, 3.0], device=where, requires_grad=True)
        b = tinynn.tensor([4.0, 5.0, 6.0], device=where, requires_grad=True)
        module, seen = _two_in_two_out(tinynn), []
        module.register_full_backward_pre_hook(lambda m, go: (go[0] * 2, None, go[2]))
        module.register_full_backward_hook(lambda m, gi, go: seen.append(
            [None if g is None else (g.device, g.tolist()) for g in gi]) or (gi[0] * 10, None, gi[2] + 1))
        product, _, total = module(a, 3.0, b)
        ((product * tinynn.tensor([1.0, -1.0, 2.0], device=where)).sum() + total.sum()).backward()
        results[where] = (a.grad.tolist(), b.grad.tolist(), [[None if g is None else g[1] for g in s] for s in seen])
        assert all(g is None or g[0] == a.device for s in seen for g in s) and a.grad.device == a.device
    assert results["cpu"] == results[device]
