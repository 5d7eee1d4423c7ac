"""gradcheck itself: passes on correct backward passes, fails loudly on wrong ones."""
import numpy as np
import pytest

import tinynn
from tinynn.autograd import Function, GradcheckError, gradcheck
from helpers import leaf


class WrongSquare(Function):
    """y = x^2 with a planted bug: the backward forgets the factor 2."""

    def forward(self, x):
        self.x = x
        return x * x

    def backward(self, gy):
        return (gy * self.x,)


def test_gradcheck_fails_on_a_planted_wrong_backward():
    x = leaf([[1.0, -2.0], [3.0, 0.5]])
    with pytest.raises(GradcheckError) as info:
        gradcheck(lambda t: WrongSquare()(t), [x])
    message = str(info.value)
    assert "input 0" in message and "index" in message
    assert "analytic" in message and "numerical" in message and "difference" in message


def test_gradcheck_fast_mode_fails_on_a_planted_wrong_backward():
    x = leaf(np.linspace(-2, 2, 50))
    with pytest.raises(GradcheckError, match="fast mode"):
        gradcheck(lambda t: WrongSquare()(t), [x], fast_mode=True)


def test_gradcheck_passes_and_returns_true(rng):
    x = leaf(rng.standard_normal((3, 4)))
    assert gradcheck(lambda t: (t * t).tanh(), [x]) is True
    assert gradcheck(lambda t: (t * t).tanh(), [x], fast_mode=True) is True


def test_gradcheck_upcasts_float32_inputs_and_restores_them(rng):
    x = tinynn.tensor(rng.standard_normal(5).astype(np.float32), requires_grad=True)
    assert gradcheck(lambda t: t.exp(), [x])
    assert x.dtype == np.float32


def test_gradcheck_needs_an_input_that_requires_grad():
    with pytest.raises(ValueError, match="no input requires grad"):
        gradcheck(lambda t: t * 2, [tinynn.tensor([1.0])])


def test_a_transposed_float64_input_is_perturbed_in_its_own_memory():
    """A float64 input laid out as a transpose: the perturbations must reach it (they went to a
    copy, so every numerical derivative read 0 and a right gradient failed)."""
    x = tinynn.tensor(np.arange(6.0).reshape(2, 3)).T.detach().requires_grad_()
    assert not x.data.flags.c_contiguous
    assert gradcheck(lambda t: (t * t).sum(0), [x])


def test_complex_inputs_are_checked_through_both_parts():
    z = tinynn.tensor(np.array([1 + 2j, -0.5 + 1j]), requires_grad=True)
    assert gradcheck(lambda t: (t * t.conj()).real * t.angle(), [z])

    class WrongImaginaryPart(tinynn.autograd.Function):
        """y = z * i with the backward of y = z: right in the real part only."""

        supports_complex = True

        def forward(self, z):
            return z * 1j

        def backward(self, gy):
            return (gy,)

    with pytest.raises(GradcheckError, match="input 0"):
        gradcheck(lambda t: WrongImaginaryPart()(t), [z])
