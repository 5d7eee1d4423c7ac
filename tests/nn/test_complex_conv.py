"""Complex convolutions (three real ones, Gauss's trick, as PyTorch): every convolution's values and
gradients against PyTorch's and finite differences, complex Conv layers with every padding mode."""
import numpy as np
import pytest

import tinynn
from tinynn.autograd import gradcheck, gradgradcheck

RNG = np.random.default_rng(8)


def complex_values(*shape):
    return RNG.standard_normal(shape) + 1j * RNG.standard_normal(shape)


# (function, input shape, weight shape, keyword arguments)
CASES = [
    ("conv2d", (2, 4, 6, 6), (4, 2, 3, 3), {"stride": 2, "padding": 1, "groups": 2}),
    ("conv1d", (2, 3, 9), (4, 3, 3), {"dilation": 2}),
    ("conv3d", (1, 2, 4, 4, 4), (2, 2, 2, 2, 2), {}),
    ("conv_transpose2d", (1, 2, 4, 4), (2, 3, 3, 3), {"stride": 2, "output_padding": 1}),
    ("conv_transpose1d", (1, 2, 5), (2, 3, 3), {}),
    ("conv_transpose3d", (1, 2, 3, 3, 3), (2, 2, 2, 2, 2), {}),
]


@pytest.mark.parametrize("name, input_shape, weight_shape, kwargs", CASES, ids=[case[0] for case in CASES])
def test_complex_convolutions_equal_pytorchs(torch, name, input_shape, weight_shape, kwargs):
    out_channels = weight_shape[1] * kwargs.get("groups", 1) if "transpose" in name else weight_shape[0]
    values = [complex_values(*input_shape), complex_values(*weight_shape), complex_values(out_channels)]
    ours = [tinynn.tensor(v, requires_grad=True) for v in values]
    theirs = [torch.tensor(v, requires_grad=True) for v in values]
    y = getattr(tinynn.nn.functional, name)(*ours, **kwargs)
    ty = getattr(torch.nn.functional, name)(*theirs, **kwargs)
    np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy(), rtol=1e-12, atol=1e-12)
    weights = complex_values(*y.shape)
    y.backward(tinynn.tensor(weights))
    ty.backward(torch.tensor(weights))
    for mine, reference in zip(ours, theirs):
        np.testing.assert_allclose(mine.grad.numpy(), reference.grad.numpy(), rtol=1e-11, atol=1e-12)


def test_complex_convolution_gradients_of_every_order():
    inputs = [tinynn.tensor(complex_values(1, 2, 4, 4), requires_grad=True),
              tinynn.tensor(complex_values(2, 2, 3, 3), requires_grad=True)]
    assert gradcheck(lambda x, w: tinynn.nn.functional.conv2d(x, w, padding=1), inputs)
    assert gradgradcheck(lambda x, w: tinynn.nn.functional.conv2d(x, w, padding=1), inputs)


@pytest.mark.parametrize("padding_mode", ["zeros", "reflect", "replicate", "circular"])
def test_complex_conv_layers_with_every_padding_mode(torch, padding_mode):
    ours = tinynn.nn.Conv2d(2, 3, 3, padding=1, padding_mode=padding_mode, dtype=tinynn.complex128)
    theirs = torch.nn.Conv2d(2, 3, 3, padding=1, padding_mode=padding_mode, dtype=torch.complex128)
    theirs.load_state_dict({key: torch.tensor(value.numpy()) for key, value in ours.state_dict().items()})
    values = complex_values(1, 2, 5, 5)
    x, tx = tinynn.tensor(values, requires_grad=True), torch.tensor(values, requires_grad=True)
    y, ty = ours(x), theirs(tx)
    np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy(), rtol=1e-12, atol=1e-12)
    (y.abs() ** 2).sum().backward()
    (ty.abs() ** 2).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(ours.weight.grad.numpy(), theirs.weight.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_mixed_dtypes_are_refused_by_name():
    with pytest.raises(TypeError, match=r"Conv2d\(1, 1, kernel_size=\(3, 3\)\): a complex convolution needs input, weight "
                                        r"and bias of one complex dtype, got complex64, float32, float32"):
        tinynn.nn.Conv2d(1, 1, 3)(tinynn.ones(1, 1, 4, 4, dtype=tinynn.complex64))


def test_every_device_agrees_with_the_cpu(device):
    values = complex_values(1, 2, 5, 5).astype(np.complex64)
    kernel = complex_values(3, 2, 3, 3).astype(np.complex64)
    results = {}
    for where in ("cpu", device):
        x = tinynn.tensor(values, device=where, requires_grad=True)
        w = tinynn.tensor(kernel, device=where, requires_grad=True)
        (tinynn.nn.functional.conv2d(x, w, padding=1).abs() ** 2).sum().backward()
        results[where] = (x.grad.to("cpu").numpy(), w.grad.to("cpu").numpy())
    for mine, reference in zip(results[device], results["cpu"]):
        np.testing.assert_allclose(mine, reference, rtol=1e-4, atol=1e-3)
