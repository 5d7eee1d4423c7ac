"""gradcheck itself: passes on correct backward passes, fails loudly on wrong ones."""
import numpy as np
import pytest

import tinynn
from tinynn.autograd import Function, GradcheckError, gradcheck, gradgradcheck
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
    assert not x._array.flags.c_contiguous
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


class RecordedWrongSquare(WrongSquare):
    """The same bug, with a backward that can be recorded (forward mode is a double vjp here)."""

    graph_saved = {"x": 0}


class NoisyBackward(Function):
    """y = 2x with a backward that adds noise: right on average, different each run."""

    def forward(self, x):
        return 2 * x

    def backward(self, gy):
        return (2 * gy + np.random.default_rng().standard_normal(gy.shape) * 1e-9,)


class LoudBackward(Function):
    """y = 2x with a backward that gives 1 more whatever the output's gradient: zero gy, nonzero dx."""

    def forward(self, x):
        return 2 * x

    def backward(self, gy):
        return (2 * gy + 1.0,)


class Float32Backward(Function):
    """y = 2x, its gradient handed back in float32 whatever the input's dtype."""

    def forward(self, x):
        return 2 * x

    def backward(self, gy):
        return ((2 * gy).astype(np.float32),)


def test_pytorchs_options_each_catch_what_they_check():
    x = leaf(np.array([0.5, -1.0, 2.0]))
    assert gradcheck(lambda t: t.sin(), x)  # a Tensor alone, as PyTorch takes it
    assert gradcheck(lambda t: (t.sin(), t.exp() * 2, t.argmax()), (x,), check_forward_ad=True, check_batched_grad=True,
                     check_batched_forward_grad=True, check_grad_dtypes=True)  # outputs in a tuple, the index left out
    assert gradcheck(lambda t: t.sin(), (x,), check_forward_ad=True, check_backward_ad=False, fast_mode=True)
    with pytest.raises(GradcheckError, match="backward is not reentrant: run twice .* \\(nondet_tol=0.0\\)"):
        gradcheck(lambda t: NoisyBackward()(t), (x,))
    assert gradcheck(lambda t: NoisyBackward()(t), (x,), nondet_tol=1e-6, check_undefined_grad=False)
    with pytest.raises(GradcheckError, match="zero output gradients gave input 0 a nonzero gradient"):
        gradcheck(lambda t: LoudBackward()(t), (x,))
    with pytest.raises(GradcheckError, match="Float32Backward's backward gave its input 0 a float32 gradient, the input being float64"):
        gradcheck(lambda t: Float32Backward()(t), (x,), check_grad_dtypes=True)
    assert gradcheck(lambda t: WrongSquare()(t), (x,), raise_exception=False) is False
    with pytest.raises(GradcheckError, match="forward mode \\(jvp\\) failed for input 0 .* output 0"):
        gradcheck(lambda t: RecordedWrongSquare()(t), (x,), check_forward_ad=True, check_backward_ad=False)
    with pytest.raises(ValueError, match="at least one of check_forward_ad or check_backward_ad"):
        gradcheck(lambda t: t, (x,), check_backward_ad=False)
    with pytest.raises(NotImplementedError, match="masked=True is not supported"):
        gradcheck(lambda t: t, (x,), masked=True)


def test_gradgradcheck_takes_tuples_non_contiguous_vectors_and_forward_over_reverse():
    x = leaf(np.array([0.5, -1.0, 2.0]))
    assert gradgradcheck(lambda t: (t * t * t, t.sin()), x, gen_non_contig_grad_outputs=True, check_fwd_over_rev=True)
    assert gradgradcheck(lambda t: (t.exp() * t).sum(), x, check_fwd_over_rev=True, check_rev_over_rev=False)
    wrong_twice = lambda t: RecordedWrongSquare()(t) * t  # noqa: E731
    assert gradgradcheck(wrong_twice, x, raise_exception=False) is False


def test_every_check_passes_through_a_non_reentrant_checkpoint():
    """The checks wrap each op's backward while they run; a checkpointed op's own wrapper (which runs the
    function again, then takes itself off) is kept in its place."""
    from tinynn.utils.checkpoint import checkpoint

    layer = tinynn.nn.Linear(3, 3).double()
    x = leaf(np.linspace(-1, 1, 6).reshape(2, 3))
    checkpointed = lambda t: checkpoint(lambda u: layer(u).tanh(), t, use_reentrant=False)  # noqa: E731
    assert gradcheck(checkpointed, (x,), check_grad_dtypes=True, check_batched_grad=True, check_forward_ad=True,
                     check_batched_forward_grad=True)
    assert gradgradcheck(checkpointed, (x,), check_grad_dtypes=True, check_fwd_over_rev=True)
