"""Forward-mode AD with dual tensors (tinynn.autograd.forward_ad, as torch.autograd.forward_ad):
tangents of elementwise ops, linear algebra and layers, with several duals, equal PyTorch's; a
tensor that does not depend on a dual has none; levels open and close; bad use is a clear error."""
import numpy as np
import pytest

import tinynn
from tinynn.autograd import forward_ad
from helpers import assert_close

CASES = {
    "elementwise": (lambda L, x, y: (x ** 2).sin() * y.exp(), [(3, 4), (3, 4)]),
    "matmul and softmax": (lambda L, x, y: L.softmax(x @ y.mT, -1), [(3, 4), (2, 4)]),
    "inverse": (lambda L, x, y: L.linalg.inv(x + 4 * L.eye(3, dtype=x.dtype)) @ y, [(3, 3), (3, 2)]),
    "conv2d": (lambda L, x, y: L.nn.functional.conv2d(x, y, padding=1).tanh(), [(1, 2, 5, 5), (3, 2, 3, 3)]),
    "reductions": (lambda L, x, y: (x.logsumexp(1) * y.norm(dim=1)).sum(), [(3, 4), (3, 4)]),
}


@pytest.mark.parametrize("name", list(CASES))
def test_tangents_match_torch(name, torch, rng):
    function, shapes = CASES[name]
    primals = [rng.standard_normal(shape) for shape in shapes]
    tangents = [rng.standard_normal(shape) for shape in shapes]
    with forward_ad.dual_level():
        duals = [forward_ad.make_dual(tinynn.tensor(p), tinynn.tensor(t)) for p, t in zip(primals, tangents)]
        value, tangent = forward_ad.unpack_dual(function(tinynn, *duals))
    with torch.autograd.forward_ad.dual_level():
        duals = [torch.autograd.forward_ad.make_dual(torch.tensor(p), torch.tensor(t)) for p, t in zip(primals, tangents)]
        t_value, t_tangent = torch.autograd.forward_ad.unpack_dual(function(torch, *duals))
    assert_close(value, t_value, rtol=1e-12, atol=1e-12)
    assert_close(tangent, t_tangent, rtol=1e-10, atol=1e-12)


def test_what_depends_on_no_dual_has_no_tangent_and_levels_close():
    with forward_ad.dual_level():
        dual = forward_ad.make_dual(tinynn.tensor([1.0, 2.0]), tinynn.tensor([1.0, 0.0]))
        assert forward_ad.unpack_dual(tinynn.tensor([3.0])).tangent is None
        np.testing.assert_array_equal(forward_ad.unpack_dual(dual).tangent.numpy(), [1.0, 0.0])
        y = dual * 3
        with forward_ad.dual_level():  # an inner level does not see the outer one's duals
            assert forward_ad.unpack_dual(y).tangent is None
        np.testing.assert_array_equal(forward_ad.unpack_dual(y).tangent.numpy(), [3.0, 0.0])
    assert forward_ad.unpack_dual(y).tangent is None
    with pytest.raises(RuntimeError, match="make_dual: no dual level is open"):
        forward_ad.make_dual(tinynn.ones(2), tinynn.ones(2))
    with forward_ad.dual_level():
        with pytest.raises(ValueError, match=r"make_dual: the tangent must be a Tensor of the primal's shape \(2,\)"):
            forward_ad.make_dual(tinynn.ones(2), tinynn.ones(3))
    with pytest.raises(RuntimeError, match="exit_dual_level: no dual level is open"):
        forward_ad.exit_dual_level()


def test_a_tangent_laid_out_as_its_primal_is_kept_itself_else_copied_so_as_pytorchs(torch):
    """PyTorch's forward-mode tutorial asserts both: ``unpack_dual(make_dual(p, t)).tangent is t``, and a
    tangent laid out otherwise (``t.T`` for a square p) comes back a copy with the primal's strides."""
    for library in (tinynn, torch):
        fwAD = library.autograd.forward_ad
        primal, tangent = library.randn(3, 3), library.randn(3, 3)
        with fwAD.dual_level():
            assert fwAD.unpack_dual(fwAD.make_dual(primal, tangent)).tangent is tangent
            copied = fwAD.unpack_dual(fwAD.make_dual(primal, tangent.T)).tangent
            assert copied is not tangent and tuple(copied.stride()) == tuple(primal.stride())
            assert copied.tolist() == tangent.T.tolist()
