"""Lazy layers: the first input (or a loaded state) decides their size; they become the ordinary
layer, initialised as it would have been, in the same Parameter objects an optimizer may hold."""
import numpy as np
import pytest

import tinynn
from tinynn import nn

CASES = {
    "LazyLinear": (lambda: nn.LazyLinear(3), lambda: nn.Linear(5, 3), (2, 5)),
    "LazyConv1d": (lambda: nn.LazyConv1d(4, 3, 2, 1, 1, 1, False), lambda: nn.Conv1d(2, 4, 3, 2, 1, 1, 1, False), (2, 2, 9)),
    "LazyConv2d": (lambda: nn.LazyConv2d(4, 3, padding=1, groups=2), lambda: nn.Conv2d(2, 4, 3, padding=1, groups=2), (2, 2, 5, 5)),
    "LazyConv3d": (lambda: nn.LazyConv3d(2, 2), lambda: nn.Conv3d(3, 2, 2), (1, 3, 3, 4, 4)),
    "LazyConvTranspose2d": (lambda: nn.LazyConvTranspose2d(4, 3, stride=2), lambda: nn.ConvTranspose2d(2, 4, 3, stride=2),
                            (1, 2, 3, 3)),
    "LazyBatchNorm2d": (lambda: nn.LazyBatchNorm2d(), lambda: nn.BatchNorm2d(3), (4, 3, 2, 2)),
    "LazyBatchNorm1d no affine": (lambda: nn.LazyBatchNorm1d(affine=False), lambda: nn.BatchNorm1d(5, affine=False), (4, 5)),
    "LazyInstanceNorm2d": (lambda: nn.LazyInstanceNorm2d(), lambda: nn.InstanceNorm2d(3, affine=True,
                                                                                     track_running_stats=True),
                           (3, 4, 4)),
}


@pytest.mark.parametrize("name", list(CASES))
def test_becomes_the_ordinary_layer_initialised_alike(name, device):
    make_lazy, make_ordinary, shape = CASES[name]
    tinynn.manual_seed(4)
    lazy = make_lazy()
    assert all(p.shape == (0,) for p in lazy.parameters())
    tinynn.manual_seed(4)
    x = tinynn.randn(*shape, device=device)
    tinynn.manual_seed(4)
    ordinary = make_ordinary().to(device)
    tinynn.manual_seed(4)
    out = lazy(x)
    assert type(lazy) is type(ordinary) and repr(lazy) == repr(ordinary)
    np.testing.assert_allclose(out.numpy(), ordinary(x).numpy(), rtol=1e-6)
    for (key, value), (other_key, other) in zip(lazy.state_dict().items(), ordinary.state_dict().items()):
        assert key == other_key and value.shape == other.shape and value.device == x.device


def test_an_optimizer_made_before_the_first_forward_trains_the_real_weights():
    tinynn.manual_seed(0)
    model = nn.Sequential(nn.LazyConv2d(4, 3), nn.ReLU(), nn.Flatten(), nn.LazyLinear(2))
    optimizer = tinynn.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    x, target = tinynn.randn(8, 1, 5, 5), tinynn.tensor([0, 1] * 4)
    losses = []
    for _ in range(20):
        loss = tinynn.nn.functional.cross_entropy(model(x), target)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0]
    assert model[3].weight is optimizer.param_groups[0]["params"][2]


def test_loading_a_state_dict_decides_the_sizes():
    tinynn.manual_seed(1)
    trained = nn.Sequential(nn.Conv2d(1, 4, 3), nn.BatchNorm2d(4), nn.Flatten(), nn.Linear(36, 2))
    lazy = nn.Sequential(nn.LazyConv2d(4, 3), nn.LazyBatchNorm2d(), nn.Flatten(), nn.LazyLinear(2))
    lazy.load_state_dict(trained.state_dict())
    assert isinstance(lazy[3], nn.Linear) and lazy[3].in_features == 36
    x = tinynn.randn(2, 1, 5, 5)
    trained.eval(), lazy.eval()
    np.testing.assert_array_equal(lazy(x).numpy(), trained(x).numpy())
    with pytest.raises(tinynn.nn.StateDictError, match="missing keys: 0.bias"):
        nn.Sequential(nn.LazyConv2d(4, 3)).load_state_dict({"0.weight": trained[0].weight})


def test_a_lazy_layer_needs_a_tensor():
    with pytest.raises(TypeError, match="LazyLinear: expected a tinynn.Tensor as the first input, got list"):
        nn.LazyLinear(2)([1.0, 2.0])


def test_lazy_layers_print_and_default_as_pytorchs(torch):
    for name, args in [("LazyLinear", (4,)), ("LazyConv2d", (4, 3)), ("LazyConvTranspose1d", (3, 2)),
                       ("LazyBatchNorm1d", ()), ("LazyInstanceNorm2d", ())]:
        assert repr(getattr(nn, name)(*args)) == repr(getattr(torch.nn, name)(*args))
    ours, theirs = nn.LazyInstanceNorm2d(), torch.nn.LazyInstanceNorm2d()  # affine and tracking, unlike InstanceNorm
    ours(tinynn.ones(1, 3, 4, 4))
    theirs(torch.ones(1, 3, 4, 4))
    assert list(ours.state_dict()) == list(theirs.state_dict())


def test_uninitialized_parameters_are_pytorchs_until_materialized(torch):
    """nn.parameter.UninitializedParameter and is_lazy as PyTorch's: a lazy layer's weight is one until its first
    input, then a plain Parameter, the same object an optimizer made before holds."""
    for library in (tinynn, torch):
        layer = library.nn.LazyLinear(3)
        assert type(layer.weight).__name__ == "UninitializedParameter" and library.nn.parameter.is_lazy(layer.weight)
        optimizer = library.optim.SGD(layer.parameters(), lr=0.1)
        layer(library.ones(2, 4))
        assert type(layer.weight) is library.nn.Parameter and not library.nn.parameter.is_lazy(layer.weight)
        assert optimizer.param_groups[0]["params"][0] is layer.weight and tuple(layer.weight.shape) == (3, 4)
        made = library.nn.parameter.UninitializedParameter()
        made.materialize((2, 3))
        assert type(made) is library.nn.Parameter and tuple(made.shape) == (2, 3) and made.requires_grad
    assert tinynn.nn.modules.module._addindent("a\nb", 2) == torch.nn.modules.module._addindent("a\nb", 2) == "a\n  b"
