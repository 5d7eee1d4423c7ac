"""Complex Linear layers (as PyTorch's nn.Linear(dtype=torch.cfloat)) and complex initialisation."""
import numpy as np
import pytest

import tinynn
from tinynn.autograd import gradcheck, gradgradcheck


def test_complex_linear_equals_pytorchs(torch):
    rng = np.random.default_rng(4)
    ours = tinynn.nn.Linear(3, 2, dtype=tinynn.complex128)
    theirs = torch.nn.Linear(3, 2, dtype=torch.complex128)
    theirs.load_state_dict({key: torch.tensor(value.numpy()) for key, value in ours.state_dict().items()})
    values = rng.standard_normal((4, 3)) + 1j * rng.standard_normal((4, 3))
    x, tx = tinynn.tensor(values, requires_grad=True), torch.tensor(values, requires_grad=True)
    y, ty = ours(x), theirs(tx)
    np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy(), rtol=1e-13)
    weights = rng.standard_normal(y.shape) + 1j * rng.standard_normal(y.shape)
    y.backward(tinynn.tensor(weights))
    ty.backward(torch.tensor(weights))
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-12, atol=1e-14)
    for (name, parameter), reference in zip(ours.named_parameters(), theirs.parameters()):
        np.testing.assert_allclose(parameter.grad.numpy(), reference.grad.numpy(), rtol=1e-12, atol=1e-14, err_msg=name)
    inputs = [x.detach().requires_grad_(), ours.weight, ours.bias]
    assert gradcheck(tinynn.nn.functional.linear, inputs)
    assert gradgradcheck(tinynn.nn.functional.linear, inputs)


def test_a_complex_input_needs_complex_weights():
    with pytest.raises(TypeError, match="must share one dtype, got complex64 and float32"):
        tinynn.nn.Linear(3, 2)(tinynn.ones(1, 3, dtype=tinynn.complex64))


def test_complex_initialisation_draws_both_parts():
    tinynn.manual_seed(0)
    uniform = tinynn.nn.init.uniform_(tinynn.empty(100_000, dtype=tinynn.complex64), -1.0, 3.0)
    for part in (uniform.real.numpy(), uniform.imag.numpy()):
        assert -1.0 <= part.min() and part.max() < 3.0 and abs(part.mean() - 1.0) < 0.02
    normal = tinynn.nn.init.normal_(tinynn.empty(100_000, dtype=tinynn.complex64), 2.0, 1.0)
    for part in (normal.real.numpy(), normal.imag.numpy()):  # as PyTorch: each part N(mean, std^2 / 2)
        assert abs(part.mean() - 2.0) < 0.01 and abs(part.std() - 2 ** -0.5) < 0.01
    layer = tinynn.nn.Linear(200, 300, dtype=tinynn.complex64)
    assert np.abs(layer.weight.imag.detach().numpy()).max() > 0  # not a real init cast to complex
