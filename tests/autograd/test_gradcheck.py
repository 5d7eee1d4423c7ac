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
