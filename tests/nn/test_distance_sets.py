"""cdist and pdist: distances between sets of vectors for every p, equal to PyTorch's with their
gradients (including coinciding points and zero components), gradchecked, errors."""
import pytest

import tinynn
from tinynn.autograd import gradcheck
from tinynn.nn import functional as F
from helpers import assert_close, leaf, to_torch


@pytest.mark.parametrize("p", [2.0, 1.0, 3.0, 0.5, float("inf"), 0.0])
def test_cdist_matches_torch(torch, rng, device, p):
    a, b = rng.standard_normal((2, 4, 3)), rng.standard_normal((2, 5, 3))
    b[0, 1] = a[0, 2]  # a zero distance
    b[1, 0, 1] = a[1, 3, 1]  # a zero component of a non-zero difference
    x1, x2 = leaf(a, device=device), leaf(b, device=device)
    t1, t2 = to_torch(torch, x1, True), to_torch(torch, x2, True)
    ours, theirs = tinynn.cdist(x1, x2, p), torch.cdist(t1, t2, p)
    assert_close(ours, theirs, rtol=1e-12, atol=1e-12)
    grad = rng.standard_normal(ours.shape)
    ours.backward(tinynn.tensor(grad, device=device))
    theirs.backward(torch.tensor(grad))
    assert_close(x1.grad, t1.grad, rtol=1e-10, atol=1e-12, what="x1 grad")
    assert_close(x2.grad, t2.grad, rtol=1e-10, atol=1e-12, what="x2 grad")
    if p not in (0.0, float("inf")):  # differentiable away from coinciding points
        assert gradcheck(lambda u, v: tinynn.cdist(u, v, p), [leaf(rng.standard_normal((3, 2)), device=device),
                                                              leaf(rng.standard_normal((4, 2)), device=device)])


def test_pdist_matches_torch_and_errors(torch, rng, device):
    x = leaf(rng.standard_normal((5, 3)), device=device)
    tx = to_torch(torch, x, True)
    ours, theirs = F.pdist(x, 1.5), torch.nn.functional.pdist(tx, 1.5)
    assert ours.shape == (10,)
    assert_close(ours, theirs, rtol=1e-12)
    ours.sum().backward()
    theirs.sum().backward()
    assert_close(x.grad, tx.grad, rtol=1e-10, atol=1e-12)
    with pytest.raises(ValueError, match=r"cdist: expected x1 \(\.\.\., P, M\) and x2 \(\.\.\., R, M\)"):
        tinynn.cdist(tinynn.zeros(3, 2), tinynn.zeros(3, 4))
    with pytest.raises(ValueError, match="pdist: expected a 2-D input"):
        F.pdist(tinynn.zeros(2, 3, 4))


def test_cdist_takes_pytorchs_compute_modes(torch, rng):
    """Every mode gives the distances from the differences (PyTorch's matrix-product mode agrees to rounding)."""
    a, b = rng.standard_normal((4, 3)), rng.standard_normal((5, 3))
    for mode in ("use_mm_for_euclid_dist_if_necessary", "use_mm_for_euclid_dist", "donot_use_mm_for_euclid_dist"):
        assert_close(tinynn.cdist(tinynn.tensor(a), tinynn.tensor(b), compute_mode=mode),
                     torch.cdist(torch.tensor(a), torch.tensor(b), compute_mode=mode), rtol=1e-12, atol=1e-12)
    with pytest.raises(ValueError, match="compute_mode must be one of"):
        tinynn.cdist(tinynn.tensor(a), tinynn.tensor(b), compute_mode="fast")
