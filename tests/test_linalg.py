"""tinynn.linalg (inv, det, slogdet, solve, the norms) and torch.inverse/det/logdet/slogdet: values
and gradients equal PyTorch's on every device, second derivatives checked; singular matrices and
bad shapes are clear errors."""
import numpy as np
import pytest

import tinynn
from tinynn.autograd import gradcheck, gradgradcheck
from helpers import assert_close

CASES = {
    "inv": lambda L, a, b: L.linalg.inv(a),
    "inverse": lambda L, a, b: L.inverse(a),
    "det": lambda L, a, b: L.linalg.det(a),
    "slogdet": lambda L, a, b: L.linalg.slogdet(a)[1] * L.linalg.slogdet(a).sign,
    "logdet": lambda L, a, b: L.logdet(a @ a.mT),
    "solve": lambda L, a, b: L.linalg.solve(a, b),
    "solve a vector": lambda L, a, b: L.linalg.solve(a[0], b[0, :, 0]),
    "vector_norm": lambda L, a, b: L.linalg.vector_norm(a, 3, dim=-1) + L.linalg.vector_norm(b, float("inf")),
    "matrix_norm": lambda L, a, b: L.linalg.matrix_norm(a, 1) + L.linalg.matrix_norm(a, float("-inf"))
    + L.linalg.matrix_norm(a),
    "norm": lambda L, a, b: L.linalg.norm(a) + L.linalg.norm(b, 1, dim=(1, 2)).sum(),
}


@pytest.mark.parametrize("name", list(CASES))
def test_matches_torch(name, torch, rng, device):
    matrices, rhs = rng.standard_normal((2, 3, 3)) + 3 * np.eye(3), rng.standard_normal((2, 3, 2))
    a, b = (tinynn.tensor(v, device=device, requires_grad=True) for v in (matrices, rhs))
    ta, tb = (torch.tensor(v, requires_grad=True) for v in (matrices, rhs))
    out, t_out = CASES[name](tinynn, a, b), CASES[name](torch, ta, tb)
    assert_close(out, t_out.detach(), rtol=1e-10, atol=1e-12, what=name)
    weights = rng.standard_normal(out.shape)
    (out * tinynn.tensor(weights, device=device)).sum().backward()
    (t_out * torch.tensor(weights)).sum().backward()
    for ours, theirs in ((a, ta), (b, tb)):
        if theirs.grad is not None:
            assert_close(ours.grad, theirs.grad, rtol=1e-9, atol=1e-12, what=f"{name} gradient")
    if device == "cpu":
        assert gradgradcheck(lambda a, b: CASES[name](tinynn, a, b), [tinynn.tensor(matrices, requires_grad=True),
                                                                        tinynn.tensor(rhs, requires_grad=True)],
                             fast_mode=True)


def test_bad_matrices_are_clear_errors():
    singular = tinynn.tensor([[1.0, 2.0], [2.0, 4.0]])
    with pytest.raises(ValueError, match="inv: Singular matrix"):
        tinynn.linalg.inv(singular)
    with pytest.raises(ValueError, match="solve: "):
        tinynn.linalg.solve(singular, tinynn.ones(2))
    with pytest.raises(ValueError, match=r"det: expected square matrices \(\.\.\., n, n\), got shape \(2, 3\)"):
        tinynn.linalg.det(tinynn.zeros(2, 3))
    with pytest.raises(ValueError, match="solve: A of shape \\(2, 2\\) and B of shape \\(3,\\) do not fit"):
        tinynn.linalg.solve(tinynn.eye(2), tinynn.ones(3))
    with pytest.raises(ValueError, match="matrix_norm: ord must be 'fro', 'nuc', 1, -1, 2, -2, inf or -inf, got 3"):
        tinynn.linalg.matrix_norm(tinynn.eye(2), 3)
    assert tinynn.linalg.det(singular).item() == 0.0  # the value is fine; only its gradient needs the inverse


@pytest.mark.parametrize("ord", [-1, -2, -0.5])
@pytest.mark.parametrize("dim", [None, -1])
def test_vector_norm_of_negative_order_matches_torch_zeros_included(torch, ord, dim):
    values = np.array([[1.0, -2.0, 4.0], [0.0, 2.0, 3.0]])  # the second row holds a zero: norm 0, gradient 0
    x, tx = tinynn.tensor(values, requires_grad=True), torch.tensor(values, requires_grad=True)
    y, ty = tinynn.linalg.vector_norm(x, ord, dim), torch.linalg.vector_norm(tx, ord, dim)
    assert_close(y, ty.detach(), rtol=1e-12, atol=1e-14, what="norm")
    y.sum().backward()
    ty.sum().backward()
    assert_close(x.grad, tx.grad, rtol=1e-10, atol=1e-12, what="gradient")


def test_zero_order_norm_and_zeroth_power_stay_in_the_graph_with_zero_gradients(torch):
    x = tinynn.tensor([[1.0, 0.0], [np.inf, 2.0]], requires_grad=True)
    count = tinynn.linalg.vector_norm(x, 0)
    power = tinynn.linalg.matrix_power(x, 0)
    assert count.item() == 3 and count.requires_grad and power.requires_grad
    np.testing.assert_array_equal(power.numpy(), np.eye(2))
    (count + power.sum()).backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.zeros((2, 2)))  # no NaN from the inf
    a = tinynn.randn(3, 3)
    assert tinynn.linalg.matrix_power(a, 1) is not a  # a new tensor, as PyTorch's
    np.testing.assert_array_equal(tinynn.linalg.matrix_power(a, 1).numpy(), a.numpy())


@pytest.mark.parametrize("complex_values", [False, True])
@pytest.mark.parametrize("args", [("nuc",), ("nuc", (1, 0), True), (0,), (0, 1), (-1,), (float("-inf"), 0),
                                  (-2, 1, True)], ids=str)
def test_tensor_norm_takes_pytorchs_nuclear_zero_and_negative_orders(torch, args, complex_values):
    rng = np.random.default_rng(15)
    values = rng.standard_normal((3, 4)) + (1j * rng.standard_normal((3, 4)) if complex_values else 0)
    values[0, 1] = 0
    x, tx = tinynn.tensor(values, requires_grad=True), torch.tensor(values, requires_grad=True)
    y, ty = x.norm(*args), tx.norm(*args)
    assert y.dtype == np.float64  # real, also for complex x
    assert_close(y, ty.detach(), rtol=1e-12, atol=1e-14, what="norm")
    weights = rng.standard_normal(y.shape)
    y.backward(tinynn.tensor(weights))
    ty.backward(torch.tensor(weights))
    if tx.grad is None:  # PyTorch leaves the count's gradient out; it is zero
        np.testing.assert_array_equal(x.grad.numpy(), 0)
    else:
        assert_close(x.grad, tx.grad, rtol=1e-10, atol=1e-12, what="gradient")
    with pytest.raises(ValueError, match="the nuclear norm is of matrices"):
        tinynn.ones(2, 3, 4).norm("nuc")


@pytest.mark.parametrize("complex_values", [False, True])
@pytest.mark.parametrize("shape", [(2, 5, 3), (4, 4), (3, 5)], ids=["tall batch", "square", "wide"])
def test_geqrf_orgqr_and_ormqr_equal_pytorchs(torch, shape, complex_values):
    rng = np.random.default_rng(17)
    values = rng.standard_normal(shape) + (1j * rng.standard_normal(shape) if complex_values else 0)
    ours, theirs = tinynn.geqrf(tinynn.tensor(values)), torch.geqrf(torch.tensor(values))
    for mine, reference in zip(ours, theirs):
        assert_close(mine, reference.numpy(), rtol=1e-12, atol=1e-13, what="geqrf")
    if shape[-2] >= shape[-1]:
        assert_close(tinynn.orgqr(*ours), torch.orgqr(*theirs).numpy(), rtol=1e-12, atol=1e-13, what="orgqr")
    m = shape[-2]
    for left in (True, False):
        for transpose in (False, True):
            size = shape[:-2] + ((m, 2) if left else (2, m))
            other = rng.standard_normal(size) + (1j * rng.standard_normal(size) if complex_values else 0)
            assert_close(ours.a.ormqr(ours.tau, tinynn.tensor(other), left=left, transpose=transpose),
                         torch.ormqr(*theirs, torch.tensor(other), left=left, transpose=transpose).numpy(),
                         rtol=1e-12, atol=1e-13, what=f"ormqr left={left} transpose={transpose}")


def test_ormqr_is_differentiable_as_pytorchs_and_geqrf_is_not(torch):
    rng = np.random.default_rng(18)
    a, tau = tinynn.geqrf(tinynn.tensor(rng.standard_normal((4, 3))))
    other, weights = rng.standard_normal((4, 2)), rng.standard_normal((4, 2))
    ours = [tinynn.tensor(v.numpy(), requires_grad=True) for v in (a, tau)] + [tinynn.tensor(other, requires_grad=True)]
    theirs = [torch.tensor(t.numpy(), requires_grad=True) for t in ours]
    tinynn.ormqr(*ours).backward(tinynn.tensor(weights))
    torch.ormqr(*theirs).backward(torch.tensor(weights))
    for mine, reference in zip(ours, theirs):
        assert_close(mine.grad, reference.grad.numpy(), rtol=1e-10, atol=1e-12, what="ormqr gradient")
    assert gradcheck(lambda x, t, c: tinynn.ormqr(x, t, c, left=False, transpose=True),
                     [tinynn.tensor(v.numpy(), requires_grad=True) for v in (a, tau)]
                     + [tinynn.tensor(rng.standard_normal((2, 4)), requires_grad=True)])
    with pytest.raises(RuntimeError, match="geqrf: not differentiable"):
        tinynn.geqrf(tinynn.ones(3, 2, requires_grad=True))


def test_geqrf_and_ormqr_on_every_device(device):
    values = np.random.default_rng(19).standard_normal((2, 4, 3))
    a, tau = tinynn.geqrf(tinynn.tensor(values, device=device))
    reference_a, reference_tau = tinynn.geqrf(tinynn.tensor(values))
    assert a.device == device
    assert_close(a.to("cpu"), reference_a, rtol=1e-10, atol=1e-12, what="a")
    assert_close(tau.to("cpu"), reference_tau, rtol=1e-10, atol=1e-12, what="tau")
    product = tinynn.ormqr(a, tau, tinynn.eye(4, dtype=tinynn.float64, device=device))  # Q itself
    assert_close(product.to("cpu") @ product.to("cpu").mT, np.broadcast_to(np.eye(4), (2, 4, 4)), rtol=1e-10,
                 atol=1e-12, what="Q Q^T")


def test_matrix_exp_scales_each_matrix_of_a_batch_for_itself(torch, device):
    """Each matrix is scaled by its own norm: one with an inf or NaN is NaN, as PyTorch's (its
    infinite norm raised OverflowError; a NaN norm left every matrix of the batch unscaled, so a
    large one beside it came out wrong), and a large one does not square a small one needlessly."""
    rng = np.random.default_rng(0)
    matrices = rng.standard_normal((4, 3, 3))
    matrices[0, 1, 1], matrices[1, 0, 2] = np.nan, np.inf
    matrices[2] *= 40
    matrices[3] *= 1e-3
    ours = tinynn.matrix_exp(tinynn.tensor(matrices, device=device)).numpy()
    theirs = torch.matrix_exp(torch.tensor(matrices)).numpy()
    assert np.isnan(ours[:2]).all() and np.isnan(theirs[:2]).all()
    np.testing.assert_allclose(ours[2:], theirs[2:], rtol=1e-12)
    alone = [tinynn.matrix_exp(tinynn.tensor(m, device=device)).numpy() for m in matrices[2:]]
    np.testing.assert_array_equal(ours[2:], alone)


SINGULAR = {
    "rank n-1": [[1.0, 0.0], [0.0, 0.0]],
    "two equal rows": [[1.0, 2.0, 3.0], [1.0, 2.0, 3.0], [0.5, -1.0, 2.0]],
    "rank 1": [[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [3.0, 6.0, 9.0]],
    "zero": [[0.0, 0.0], [0.0, 0.0]],
    "a batch of both": [[[1.0, 2.0], [2.0, 4.0]], [[1.0, 0.5], [0.0, 1.0]]],
    "complex rank n-1": [[1.0 + 1.0j, 2.0], [0.5 + 0.5j, 1.0]],
}


@pytest.mark.parametrize("name", list(SINGULAR))
def test_det_of_a_singular_matrix_has_its_cofactors_as_gradient(name, device):
    """d det A / dA is the cofactor matrix, which a singular A has too (diag(1, 0): [[0, 0], [0, 1]]);
    the backward was det A * A^-T and raised LinAlgError ("Singular matrix"). Checked against central
    differences (PyTorch gives zeros for diag(1, 0), which its own gradcheck refuses)."""
    x = tinynn.tensor(np.array(SINGULAR[name]), requires_grad=True, device=device)
    assert gradcheck(lambda a: a.det(), [x])
    if name == "rank n-1":
        x.det().backward()
        assert x.grad.tolist() == [[0.0, 0.0], [0.0, 1.0]]


def test_angle_of_a_real_tensor_has_gradient_zero_as_pytorchs(torch):
    """(It was a constant, so backward through it alone raised 'does not require grad'.)"""
    for library in (tinynn, torch):
        x = library.tensor([0.0, 1.0, -1.0], requires_grad=True)
        x.angle().sum().backward()
        assert x.grad.tolist() == [0.0, 0.0, 0.0]


@pytest.mark.parametrize("name", ["eigh", "eigvalsh", "svd", "svdvals", "qr", "eig", "eigvals", "pinv"])
def test_a_batch_of_no_matrices_gives_empty_factors_and_gradients_as_torchs(torch, name):
    """(The factorizations laid out as one array failed reshaping a batch of no matrices to (0, -1).)"""
    for shape in ((0, 3, 3), (2, 0, 3, 3)):
        shapes = []
        for library in (tinynn, torch):
            a = library.zeros(*shape, dtype=library.float64, requires_grad=True)
            out = getattr(library.linalg, name)(a)
            outs = out if isinstance(out, tuple) else (out,)
            sum(o.abs().sum() for o in outs).backward()
            shapes.append(([tuple(o.shape) for o in outs], tuple(a.grad.shape)))
        assert shapes[0] == shapes[1]


def test_matrix_norms_of_empty_matrices_as_torchs(torch):
    """The largest column or row sum or singular value of an empty matrix is 0, as PyTorch's; the smallest
    of none is an error (ord -2 failed indexing no singular values, ord 2 too; ord 1 and inf failed taking
    the largest of no sums)."""
    for shape in ((0, 0), (0, 3), (3, 0), (2, 0, 3)):
        for ord in ("fro", "nuc", 1, -1, 2, -2, float("inf"), float("-inf")):
            results = []
            for library in (tinynn, torch):
                try:
                    results.append(library.linalg.matrix_norm(library.zeros(*shape), ord).tolist())
                except (IndexError, RuntimeError, ValueError):
                    results.append("refused")
            assert results[0] == results[1], (shape, ord)
    with pytest.raises(ValueError, match=r"ord -2, the smallest singular value, is not defined for an empty matrix"):
        tinynn.linalg.matrix_norm(tinynn.zeros(3, 0), -2)
    assert tinynn.linalg.cond(tinynn.zeros(0, 3, 3)).shape == torch.linalg.cond(torch.zeros(0, 3, 3)).shape == (0,)
