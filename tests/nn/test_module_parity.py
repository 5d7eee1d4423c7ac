"""Layers as PyTorch prints and stores them: reprs equal PyTorch's, a normalisation layer's ``bias=False``
(a learned scale, no shift), ``state_dict(prefix=, keep_vars=, destination=)``, adaptive pooling to
``(None, k)`` (the input's size kept where None)."""
import collections

import numpy as np
import pytest

import tinynn
from helpers import assert_close

SAME_REPR = ["Conv2d(3, 8, 3)", "Conv2d(3, 8, (3, 5), stride=2, padding=1, bias=False)", "Conv1d(3, 8, 3, dilation=2)",
             "ConvTranspose2d(3, 8, 3, stride=2, output_padding=1)", "Linear(3, 4, bias=False)", "Bilinear(2, 3, 4)",
             "MaxPool2d(2)", "MaxPool2d(3, 2, 1)", "AvgPool2d(2)", "MaxPool1d(3)", "AdaptiveAvgPool2d(1)",
             "AdaptiveAvgPool2d((None, 3))", "AdaptiveMaxPool2d(2)", "LPPool2d(2, 3)", "Dropout(0.3)", "LeakyReLU(0.2)",
             "GELU(approximate='tanh')", "Softmax(dim=1)", "Hardtanh(-2, 2)", "Softplus(beta=2)", "PReLU(3)",
             "BatchNorm1d(5)", "BatchNorm2d(5, bias=False)", "BatchNorm2d(5, affine=False)", "InstanceNorm1d(3, affine=True)",
             "LayerNorm(4)", "LayerNorm((2, 3), elementwise_affine=False)", "LayerNorm(4, bias=False)", "GroupNorm(2, 4)",
             "GroupNorm(2, 4, bias=False)", "Embedding(10, 3, padding_idx=0)", "EmbeddingBag(10, 3, mode='sum')",
             "Unflatten(1, (2, 2))", "Upsample(scale_factor=2)", "PixelShuffle(2)", "ReflectionPad2d((1, 2, 0, 1))",
             "LSTM(4, 8, num_layers=2, batch_first=True, bidirectional=True)", "GRUCell(3, 4)", "Fold((4, 4), 2)"]


@pytest.mark.parametrize("spec", SAME_REPR)
def test_layers_print_as_in_pytorch(spec, torch):
    assert repr(eval("tinynn.nn." + spec)) == repr(eval("torch.nn." + spec))


@pytest.mark.parametrize("spec, shape", [("BatchNorm2d(3, bias=False)", (4, 3, 5, 5)), ("GroupNorm(2, 4, bias=False)", (2, 4, 3, 3)),
                                         ("LayerNorm(6, bias=False)", (3, 6)), ("LazyBatchNorm2d(bias=False)", (4, 3, 5, 5))])
def test_a_normalisation_without_bias_scales_and_does_not_shift(spec, shape, torch):
    ours, theirs = eval("tinynn.nn." + spec), eval("torch.nn." + spec)
    x = np.random.default_rng(0).standard_normal(shape)
    if "Lazy" in spec:
        ours(tinynn.tensor(x, dtype=tinynn.float32))
        theirs(torch.tensor(x, dtype=torch.float32))
    assert list(ours.state_dict()) == list(theirs.state_dict()) and ours.bias is None
    ours.double()
    theirs.double()
    with torch.no_grad():
        theirs.weight.uniform_(0.5, 2)
    ours.load_state_dict({key: tinynn.tensor(value.numpy()) for key, value in theirs.state_dict().items()})
    mine, other = tinynn.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    (ours(mine) ** 2).sum().backward()
    (theirs(other) ** 2).sum().backward()
    assert_close(ours(mine), theirs(other), rtol=1e-10, atol=1e-12)
    assert_close(mine.grad, other.grad, rtol=1e-9, atol=1e-12, what="input grad")
    assert_close(ours.weight.grad, theirs.weight.grad, rtol=1e-9, atol=1e-12, what="weight grad")


def test_state_dict_takes_a_prefix_keep_vars_and_a_destination(torch):
    ours, theirs = tinynn.nn.Sequential(tinynn.nn.Linear(2, 3), tinynn.nn.BatchNorm1d(3)), \
        torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.BatchNorm1d(3))
    assert list(ours.state_dict(prefix="model.")) == list(theirs.state_dict(prefix="model."))
    kept = ours.state_dict(keep_vars=True)
    assert kept["0.weight"] is ours[0].weight and kept["0.weight"].requires_grad
    assert not ours.state_dict()["0.weight"].requires_grad  # detached, sharing memory
    destination = collections.OrderedDict(step=3)
    assert ours.state_dict(destination=destination) is destination and list(destination)[:2] == ["step", "0.weight"]


@pytest.mark.parametrize("output_size", [(None, 4), (3, None), 1, (2, 3)])
def test_adaptive_pooling_keeps_the_input_size_where_none(output_size, torch):
    x = np.random.default_rng(1).standard_normal((2, 3, 6, 8))
    for name in ("AdaptiveAvgPool2d", "AdaptiveMaxPool2d"):
        assert_close(getattr(tinynn.nn, name)(output_size)(tinynn.tensor(x)),
                     getattr(torch.nn, name)(output_size)(torch.tensor(x)), rtol=1e-12, what=name)


def test_traversal_takes_prefix_and_remove_duplicate_as_pytorch(torch):
    shared, their_shared = tinynn.nn.Linear(2, 2), torch.nn.Linear(2, 2)
    ours, theirs = tinynn.nn.Sequential(shared, tinynn.nn.ReLU(), shared), torch.nn.Sequential(their_shared, torch.nn.ReLU(),
                                                                                               their_shared)
    for remove_duplicate in (True, False):
        for method in ("named_parameters", "named_modules", "named_buffers"):
            assert ([name for name, _ in getattr(ours, method)(prefix="net", remove_duplicate=remove_duplicate)]
                    == [name for name, _ in getattr(theirs, method)(prefix="net", remove_duplicate=remove_duplicate)])
        assert len(list(ours.modules(remove_duplicate=remove_duplicate))) == len(list(theirs.modules(
            remove_duplicate=remove_duplicate)))
    memo = {shared}
    assert [name for name, _ in ours.named_modules(memo)] == ["", "1"]


def test_forward_hooks_take_prepend_with_kwargs_and_always_call():
    calls = []
    layer = tinynn.nn.Linear(2, 2)
    layer.register_forward_hook(lambda module, args, output: calls.append("registered first"))
    layer.register_forward_hook(lambda module, args, output: calls.append("prepended"), prepend=True)

    def scale_input(module, args, kwargs):
        calls.append(("pre-hook with kwargs", sorted(kwargs)))
        return (args[0] * 2,), kwargs
    layer.register_forward_pre_hook(scale_input, with_kwargs=True)
    layer.register_forward_hook(lambda module, args, kwargs, output: calls.append(("kwargs", kwargs)), with_kwargs=True)
    x = tinynn.ones(1, 2)
    assert_close(layer(x), tinynn.nn.functional.linear(x * 2, layer.weight, layer.bias))
    assert calls == [("pre-hook with kwargs", []), "prepended", "registered first", ("kwargs", {})]

    class Failing(tinynn.nn.Module):
        def forward(self, x):
            raise ValueError("no output")
    seen = []
    failing = Failing()
    failing.register_forward_hook(lambda module, args, output: seen.append(output), always_call=True)
    failing.register_forward_hook(lambda module, args, output: seen.append("not always"))
    with pytest.raises(ValueError, match="no output"):
        failing(x)
    assert seen == [None]


def test_set_submodule_strict_load_state_dict_assign_and_materialized_grads(torch):
    model = tinynn.nn.Sequential(tinynn.nn.Linear(2, 2))
    with pytest.raises(AttributeError, match="has no submodule '1' to replace"):
        model.set_submodule("1", tinynn.nn.ReLU(), strict=True)
    model.set_submodule("1", tinynn.nn.ReLU())  # without strict: added
    assert len(model) == 2
    state = {"0.weight": tinynn.ones(2, 2, dtype=tinynn.float64), "0.bias": tinynn.zeros(2, dtype=tinynn.float64)}
    model.load_state_dict(state, assign=True)  # the state's tensors become the module's, as PyTorch's
    assert model[0].weight._array is state["0.weight"]._array and isinstance(model[0].weight, tinynn.nn.Parameter)
    assert model[0].weight.dtype == np.float64 and model[0].weight.requires_grad
    used, unused = tinynn.tensor([1.0, 2.0], requires_grad=True), tinynn.tensor([3.0], requires_grad=True)
    grads = tinynn.autograd.grad((used * 2).sum(), [used, unused], materialize_grads=True)
    assert grads[0].tolist() == [2.0, 2.0] and grads[1].tolist() == [0.0]
    with pytest.raises(ValueError, match="materialize_grads=True gives zeros for unused inputs"):
        tinynn.autograd.grad((used * 2).sum(), [used, unused], allow_unused=False, materialize_grads=True)
    assert list(tinynn.nn.ModuleDict(modules={"act": tinynn.nn.ReLU()})) == ["act"]
    assert list(tinynn.nn.ParameterDict(parameters={"w": tinynn.ones(1)})) == ["w"]
    optimizer = tinynn.optim.SGD(model[0].parameters(), lr=0.1)
    optimizer.add_param_group(param_group={"params": [tinynn.nn.Parameter(tinynn.ones(1))], "lr": 0.5})
    assert [group["lr"] for group in optimizer.param_groups] == [0.1, 0.5]
