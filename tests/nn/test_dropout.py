"""dropout: inverted scaling, identity in eval, gradcheck with a fixed mask, p validation, seeding."""
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


@pytest.mark.parametrize("p", [-0.1, 1.0, 1.5])
def test_dropout_probability_out_of_range_is_an_error(p):
    with pytest.raises(ValueError, match=r"probability p must be in \[0, 1\)"):
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
    with pytest.raises(ValueError, match=r"dropout2d: expected 4-D input \(N, C, H, W\) .* got a 2-D tensor"):
        F.dropout2d(tinynn.randn(3, 4))
    with pytest.raises(ValueError, match=r"Dropout1d: probability p must be in \[0, 1\)"):
        nn.Dropout1d(1.0)
    tinynn.manual_seed(5)
    a = F.dropout2d(tinynn.ones(6, 6, 2, 2)).numpy()
    tinynn.manual_seed(5)
    np.testing.assert_array_equal(a, F.dropout2d(tinynn.ones(6, 6, 2, 2)).numpy())
