"""dropout: inverted scaling, identity in eval, gradcheck with a fixed mask, p validation, seeding."""
import warnings

import numpy as np
import pytest

import tinynn
from tinynn import nn
from tinynn.autograd import gradcheck
from tinynn.nn import functional as F
from tinynn.nn.functional.dropout import Dropout
from helpers import leaf


def test_dropout_gradcheck_with_a_fixed_mask(rng, device):
    x = leaf(rng.standard_normal((3, 4)), device=device)
    mask = tinynn.backend.to_device((rng.random((3, 4)) > 0.3) / 0.7, device)
    assert gradcheck(lambda t: Dropout(0.3, mask=mask)(t), [x])


def test_dropout_zeroes_about_p_and_scales_the_rest():
    x = tinynn.ones(200, 500)
    y = F.dropout(x, 0.3, training=True).numpy()
    kept = y != 0
    assert abs(kept.mean() - 0.7) < 0.01
    # p is applied as round(65536 p) / 65536 = 0.3000030..., and the scale matches it exactly
    np.testing.assert_array_equal(y[kept], np.float32(65536 / (65536 - 19661)))
    np.testing.assert_allclose(y[kept], 1 / 0.7, rtol=1e-5)
    assert y.dtype == np.float32


def test_dropout_backward_uses_the_same_mask():
    x = tinynn.ones(50, 50, requires_grad=True)
    y = F.dropout(x, 0.5)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), y.numpy())


def test_dropout_is_identity_in_eval_mode():
    layer = nn.Dropout(0.5).eval()
    x = tinynn.randn(4, 4)
    assert layer(x) is x


@pytest.mark.parametrize("p", [-0.1, 1.5])
def test_dropout_probability_out_of_range_is_an_error(p):
    with pytest.raises(ValueError, match=r"probability p must be in \[0, 1\]"):
        nn.Dropout(p)
    with pytest.raises(ValueError, match="dropout: probability"):
        F.dropout(tinynn.zeros(2), p)


def test_dropout_masks_follow_the_seed():
    tinynn.manual_seed(7)
    a = F.dropout(tinynn.ones(10, 10), 0.5).numpy()
    tinynn.manual_seed(7)
    np.testing.assert_array_equal(a, F.dropout(tinynn.ones(10, 10), 0.5).numpy())


@pytest.mark.parametrize("layer, shape", [(nn.Dropout2d, (40, 50, 3, 4)), (nn.Dropout1d, (40, 50, 6))])
def test_channel_dropout_keeps_or_drops_whole_channels(device, layer, shape):
    x = tinynn.ones(*shape, device=device, requires_grad=True)
    y = layer(0.3)(x)
    values = y.numpy().reshape(shape[0], shape[1], -1)
    per_channel = values[:, :, :1]
    assert np.all(values == per_channel), "every position of a channel shares its fate"
    kept = per_channel != 0
    assert abs(kept.mean() - 0.7) < 0.05
    np.testing.assert_allclose(per_channel[kept], 1 / 0.7, rtol=1e-5)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), y.numpy())  # the same mask scales the gradient


def test_channel_dropout_gradcheck_with_a_fixed_mask(rng, device):
    x = leaf(rng.standard_normal((2, 3, 4, 5)), device=device)
    mask = tinynn.backend.to_device((rng.random((2, 3, 1, 1)) > 0.3) / 0.7, device)
    assert gradcheck(lambda t: Dropout(0.3, mask=mask, per_channel=True)(t), [x])


def test_channel_dropout_is_identity_in_eval_and_checks_its_input():
    x = tinynn.randn(2, 3, 4, 4)
    assert nn.Dropout2d(0.5).eval()(x) is x
    with pytest.raises(ValueError, match=r"dropout1d: expected 2-D \(C, L\) or 3-D \(N, C, L\) input .* got a 4-D"):
        F.dropout1d(tinynn.randn(2, 3, 4, 4))
    with pytest.raises(ValueError, match=r"dropout2d: expected \(N, C, H, W\) input .* got a 1-D tensor"):
        F.dropout2d(tinynn.randn(3))
    with pytest.raises(ValueError, match=r"Dropout1d: probability p must be in \[0, 1\], got 1.5"):
        nn.Dropout1d(1.5)
    tinynn.manual_seed(5)
    a = F.dropout2d(tinynn.ones(6, 6, 2, 2)).numpy()
    tinynn.manual_seed(5)
    np.testing.assert_array_equal(a, F.dropout2d(tinynn.ones(6, 6, 2, 2)).numpy())


@pytest.mark.parametrize("function, shape, together, warning", [
    ("dropout1d", (5, 40), (1,), None),                  # one unbatched sample (C, L)
    ("dropout2d", (6, 40, 8), (2,), "Received a 3D input to dropout2d and assuming that channel-wise 1D dropout"),
    ("dropout2d", (60, 40), (), "Received a 2-D input to dropout2d, which is deprecated"),  # each value by itself
    ("dropout2d", (6, 40, 2, 2, 2), (2, 3, 4), "Received a 5-D input to dropout2d, which is deprecated"),
    ("dropout3d", (40, 2, 3, 4), (1, 2, 3), None),       # one unbatched sample (C, D, H, W)
    ("dropout3d", (40, 6, 5), (1, 2), "Received a 3-D input to dropout3d, which is deprecated"),  # as unbatched
])
def test_channel_dropout_takes_the_ranks_pytorchs_takes(torch, function, shape, together, warning):
    """Unbatched samples, dropout2d's 3-D input read as (N, C, L), and the deprecated ranks with PyTorch's
    warnings: values are kept or dropped together along the axes ``together`` in both frameworks (their
    draws differ), and both kept and dropped values occur."""
    for library in (tinynn, torch):
        library.manual_seed(3)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            y = getattr(library.nn.functional, function)(library.ones(*shape), 0.5, True).numpy()
        messages = [str(caught_warning.message) for caught_warning in caught]
        assert (any(warning in message for message in messages) if warning else not messages), (library, messages)
        first = y[tuple(slice(0, 1) if axis in together else slice(None) for axis in range(len(shape)))]
        assert np.array_equal(y, np.broadcast_to(first, shape)) and set(np.unique(y)) == {0.0, 2.0}, library


def test_an_unbatched_sample_in_evaluation_is_the_input_itself():
    x = tinynn.randn(3, 5)
    assert F.dropout1d(x, 0.5, training=False) is x and nn.Dropout3d(0.5).eval()(tinynn.randn(2, 2, 2, 2)).shape == (2, 2, 2, 2)
    assert nn.Dropout1d(0.5).eval()(x) is x


def test_dropout_of_probability_one_drops_everything_as_pytorchs(torch):
    for library in (tinynn, torch):
        x = library.tensor([[1.0, float("nan")], [2.0, 3.0]], requires_grad=True)
        for function in (library.nn.Dropout(1.0), library.nn.Dropout2d(1.0), lambda t: library.nn.functional.dropout(t, 1.0)):
            y = function(x.view(1, 2, 2, 1) if isinstance(function, library.nn.Dropout2d) else x).reshape(2, 2)
            assert y[0, 0].item() == 0.0 and y[1].tolist() == [0.0, 0.0] and y[0, 1].item() != y[0, 1].item()  # NaN stays
        y.sum().backward()
        assert x.grad.tolist() == [[0.0, 0.0], [0.0, 0.0]]


@pytest.mark.parametrize("call", [lambda x, flag: F.dropout(x, 0.5, training=flag),
                                  lambda x, flag: F.dropout2d(x, 0.5, training=flag),
                                  lambda x, flag: F.alpha_dropout(x, 0.5, training=flag),
                                  lambda x, flag: F.scaled_dot_product_attention(x, x, x, is_causal=flag)],
                         ids=["dropout", "dropout2d", "alpha_dropout", "sdpa is_causal"])
def test_a_switch_that_is_not_a_bool_is_torch_s_type_error(call):
    """("False" read as a bool is True: dropout in evaluation, a causal mask nobody asked for.)"""
    x = tinynn.ones(2, 3, 4, 4)
    with pytest.raises(TypeError, match=r"argument '(training|is_causal)' must be bool, not str"):
        call(x, "False")
    call(x, False)
