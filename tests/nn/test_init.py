"""nn.init: each initialiser's distribution (bounds, spread, orthogonality) as PyTorch defines it,
reproducible from the seed, the same on every device; gains; errors."""
import math

import numpy as np
import pytest

import tinynn
from tinynn import nn
from tinynn.nn import init


def weight(*shape, device="cpu"):
    return tinynn.zeros(*shape, device=device, requires_grad=True)


def test_uniform_and_normal_families_have_pytorchs_spread(torch):
    w = weight(400, 300)
    fan_in, fan_out = 300, 400
    checks = [  # (ours, PyTorch's, whether the draws are uniform: their largest is then the bound)
        (lambda t: init.kaiming_uniform_(t, a=math.sqrt(5)), lambda t: torch.nn.init.kaiming_uniform_(t, a=math.sqrt(5)),
         True),
        (lambda t: init.kaiming_normal_(t, nonlinearity="relu"), lambda t: torch.nn.init.kaiming_normal_(t, nonlinearity="relu"),
         False),
        (lambda t: init.xavier_uniform_(t, gain=2.0), lambda t: torch.nn.init.xavier_uniform_(t, gain=2.0), True),
        (lambda t: init.xavier_normal_(t, gain=0.5), lambda t: torch.nn.init.xavier_normal_(t, gain=0.5), False),
        (lambda t: init.trunc_normal_(t, std=0.02), lambda t: torch.nn.init.trunc_normal_(t, std=0.02), False),
    ]
    assert fan_in != fan_out  # so a mode or fan mix-up shows
    for ours, theirs, uniform in checks:
        values = ours(w).numpy()
        reference = theirs(torch.empty(400, 300)).numpy()
        assert abs(values.std() / reference.std() - 1) < 0.02
        assert abs(values.mean()) < 0.05 * reference.std()
        if uniform:  # 120,000 draws come within 0.1% of the bound (the largest of normal draws varies by ~10%)
            assert abs(np.abs(values).max() / np.abs(reference).max() - 1) < 0.002


def test_trunc_normal_stays_within_its_absolute_bounds():
    values = init.trunc_normal_(weight(200, 100), mean=1.0, std=2.0, a=0.5, b=2.0).numpy()
    assert values.min() >= 0.5 and values.max() <= 2.0
    density = [math.exp(-z * z / 2) / math.sqrt(2 * math.pi) for z in (-0.25, 0.5)]  # at the bounds, standardised
    mass = (math.erf(0.5 / math.sqrt(2)) - math.erf(-0.25 / math.sqrt(2))) / 2
    assert abs(values.mean() - (1 + 2 * (density[0] - density[1]) / mass)) < 0.01  # the truncated normal's mean
    with pytest.raises(ValueError, match="expected a < b"):
        init.trunc_normal_(weight(2, 2), a=1, b=1)


@pytest.mark.parametrize("shape", [(6, 4), (4, 6), (5, 2, 3, 3)])
def test_orthogonal_rows_or_columns_are_orthonormal(shape, device):
    values = init.orthogonal_(weight(*shape, device=device), gain=2.0).numpy().reshape(shape[0], -1)
    gram = values @ values.T if values.shape[0] <= values.shape[1] else values.T @ values
    np.testing.assert_allclose(gram, 4 * np.eye(len(gram)), atol=1e-5)


def test_initialisers_follow_the_seed_on_every_device(device):
    tinynn.manual_seed(3)
    first = init.xavier_normal_(weight(5, 4, device=device)).numpy()
    tinynn.manual_seed(3)
    np.testing.assert_array_equal(first, init.xavier_normal_(weight(5, 4)).numpy())


def test_eye_gains_and_errors(torch):
    np.testing.assert_array_equal(init.eye_(weight(2, 3)).numpy(), np.eye(2, 3))
    for name in ("linear", "conv1d", "conv_transpose2d", "sigmoid", "tanh", "relu", "selu"):
        assert init.calculate_gain(name) == pytest.approx(torch.nn.init.calculate_gain(name))
    assert init.calculate_gain("leaky_relu", 0.2) == pytest.approx(torch.nn.init.calculate_gain("leaky_relu", 0.2))
    with pytest.raises(ValueError, match="unsupported nonlinearity 'swish'"):
        init.calculate_gain("swish")
    for slope in (True, "0.2"):  # (True was read as the slope 1)
        with pytest.raises(ValueError, match="negative_slope .* is not a valid number"):
            init.calculate_gain("leaky_relu", slope)
        with pytest.raises(ValueError):
            torch.nn.init.calculate_gain("leaky_relu", slope)
    with pytest.raises(ValueError, match="eye_: expected a 2-D tensor"):
        init.eye_(weight(2, 2, 2))
    with pytest.raises(ValueError, match="orthogonal_: expected a tensor with at least 2 dimensions"):
        init.orthogonal_(weight(4))
    for kaiming in (init.kaiming_uniform_, init.kaiming_normal_):  # ("fan-in" was taken for fan_out)
        with pytest.raises(ValueError, match="mode must be 'fan_in' or 'fan_out', got 'fan-in'"):
            kaiming(weight(3, 4), mode="fan-in")


@pytest.mark.parametrize("shape,groups", [((4, 2, 3, 3), 1), ((6, 2, 3), 2), ((4, 4, 3, 3, 3), 2), ((2, 5, 2, 2), 1)])
def test_dirac_equals_torchs_and_passes_the_input_through(shape, groups, torch):
    ours = init.dirac_(tinynn.zeros(*shape), groups)
    assert ours.numpy().tolist() == torch.nn.init.dirac_(torch.zeros(*shape), groups).tolist()
    if shape == (4, 2, 3, 3):
        x = tinynn.randn(1, 2, 5, 5)
        out = tinynn.nn.functional.conv2d(x, ours, padding=1)
        np.testing.assert_allclose(out.numpy()[:, :2], x.numpy(), rtol=1e-6)


def test_sparse_zeroes_the_share_of_every_column_asked_for():
    weights = init.sparse_(tinynn.zeros(10, 6), 0.3, std=0.5).numpy()
    assert ((weights == 0).sum(0) == 3).all()
    assert 0.2 < weights[weights != 0].std() < 1.0
    with pytest.raises(ValueError, match="sparse_: expected a 2-D tensor"):
        init.sparse_(tinynn.zeros(3), 0.5)


def test_initialisers_fill_a_parameter_through_its_data_as_pytorch_code_passes_it(torch, device):
    """DCGAN's ``weights_init``: ``nn.init.normal_(m.weight.data, 0.0, 0.02)`` and ``m.weight.data.normal_(...)``
    write into the parameter, through a tensor sharing its values, as PyTorch's."""
    for library in (tinynn, torch):
        conv, norm = library.nn.Conv2d(3, 8, 3), library.nn.BatchNorm2d(8)
        if library is tinynn:
            conv, norm = conv.to(device), norm.to(device)
        library.manual_seed(4)
        returned = library.nn.init.normal_(conv.weight.data, 0.0, 0.02)
        assert type(returned) is library.Tensor and not returned.requires_grad and returned.shape == conv.weight.shape
        norm.weight.data.normal_(1.0, 0.02)
        library.nn.init.constant_(norm.bias.data, 0)
        assert float(conv.weight.std()) < 0.03 and abs(float(norm.weight.mean()) - 1) < 0.05
        assert float(norm.bias.abs().sum()) == 0 and conv.weight.requires_grad and norm.weight.requires_grad
    tinynn.manual_seed(4)
    conv = nn.Conv2d(3, 8, 3).to(device)
    tinynn.manual_seed(4)
    nn.init.normal_(conv.weight.data, 0.0, 0.02)
    tinynn.manual_seed(4)
    np.testing.assert_array_equal(conv.weight.numpy(), nn.init.normal_(tinynn.zeros(8, 3, 3, 3), 0.0, 0.02).numpy())
    with pytest.raises(TypeError, match=r"xavier_uniform_\(\): argument 'tensor' must be Tensor, not list"):
        nn.init.xavier_uniform_([[1.0, 2.0]])


def test_initialisers_take_pytorchs_arguments_and_a_generator_of_their_own(torch):
    """The same parameter names as torch.nn.init (``generator=``, ``constant_(val=)``); a generator's
    draws repeat with its seed and leave tinynn's global stream where it was."""
    import inspect

    names = ["uniform_", "normal_", "trunc_normal_", "constant_", "xavier_uniform_", "xavier_normal_", "kaiming_uniform_",
             "kaiming_normal_", "orthogonal_", "sparse_", "eye_", "dirac_", "zeros_", "ones_"]
    for name in names:
        assert (list(inspect.signature(getattr(tinynn.nn.init, name)).parameters)
                == list(inspect.signature(getattr(torch.nn.init, name)).parameters)), name
    for name, args in [("uniform_", ()), ("normal_", ()), ("trunc_normal_", ()), ("xavier_uniform_", ()),
                       ("xavier_normal_", ()), ("kaiming_uniform_", ()), ("kaiming_normal_", ()), ("orthogonal_", ()),
                       ("sparse_", (0.5,))]:
        tinynn.manual_seed(0)
        before = tinynn.rand(1).item()
        tinynn.manual_seed(0)
        first = getattr(tinynn.nn.init, name)(tinynn.empty(4, 6), *args, generator=tinynn.Generator().manual_seed(7))
        assert tinynn.rand(1).item() == before, f"{name} drew from the global generator"
        again = getattr(tinynn.nn.init, name)(tinynn.empty(4, 6), *args, generator=tinynn.Generator().manual_seed(7))
        np.testing.assert_array_equal(first.numpy(), again.numpy(), err_msg=name)
    assert tinynn.nn.init.constant_(tinynn.empty(2), val=0.25).tolist() == [0.25, 0.25]


def test_the_old_initialiser_names_warn_and_initialise():
    weight = tinynn.zeros(4, 6)
    with pytest.warns(FutureWarning, match="nn.init.kaiming_uniform is deprecated in favor of nn.init.kaiming_uniform_"):
        nn.init.kaiming_uniform(weight)
    assert weight.abs().max().item() > 0
    with pytest.warns(FutureWarning, match="nn.utils.clip_grad_norm is deprecated"):
        parameter = nn.Parameter(tinynn.ones(3))
        parameter.grad = tinynn.ones(3) * 4
        nn.utils.clip_grad_norm([parameter], 1.0)
    np.testing.assert_allclose(np.linalg.norm(parameter.grad.numpy()), 1.0, rtol=1e-5)
    assert isinstance(nn.utils.skip_init(nn.Linear, 3, 4), nn.Linear)


def test_pytorchs_private_fan_helpers_which_user_code_calls(torch):
    for shape in [(3, 4), (8, 3, 3, 3), (5, 2, 3), (4, 2, 1, 1, 2)]:
        ours = tinynn.nn.init._calculate_fan_in_and_fan_out(tinynn.empty(*shape))
        assert ours == torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(shape))
        for mode in ("fan_in", "fan_out"):
            assert (tinynn.nn.init._calculate_correct_fan(tinynn.empty(*shape), mode)
                    == torch.nn.init._calculate_correct_fan(torch.empty(shape), mode))


@pytest.mark.parametrize("shape", [(4, 0), (0, 4), (0, 3, 3, 3)])
def test_an_empty_weight_is_left_as_it_is_as_pytorchs(torch, shape):
    """The kaiming initialisers warn and return a weight with a zero size untouched (its fan can be 0:
    they divided by it), orthogonal_ returns it silently, as PyTorch's do."""
    for library in (tinynn, torch):
        for initialiser in ("kaiming_uniform_", "kaiming_normal_"):
            empty = library.empty(*shape)
            with pytest.warns(UserWarning, match="Initializing zero-element tensors is a no-op"):
                assert getattr(library.nn.init, initialiser)(empty) is empty
        empty = library.empty(*shape)
        assert library.nn.init.orthogonal_(empty) is empty and tuple(empty.shape) == shape
