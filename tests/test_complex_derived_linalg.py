"""Complex matrices in the linear algebra built on the factorizations: pinv (also Hermitian),
lstsq, matrix_rank, cond, matrix_power, solve_triangular, householder_product, the LU family
(lu_factor, lu, lu_solve with every left/adjoint combination) and the *_ex functions. Values,
pivots, info codes and gradients against PyTorch, gradients against finite differences."""
import numpy as np
import pytest

import tinynn
from tinynn.autograd import gradcheck, gradgradcheck

RNG = np.random.default_rng(34)


def complex_matrices(*shape):
    return RNG.standard_normal(shape) + 1j * RNG.standard_normal(shape)


def hermitian(module, x):
    return x + x.mT.conj()


def cond(module, a, p):
    """PyTorch's cond(p=1, 'fro') cannot be differentiated (its backward finds inv_ex's output
    written in place), so its reference is the definition ||A|| ||A^-1||."""
    if module is tinynn:
        return tinynn.linalg.cond(a, p)
    return module.linalg.matrix_norm(a, p) * module.linalg.matrix_norm(module.linalg.inv(a), p)


def lu_solve(module, a, b, left, adjoint):
    factors, pivots = module.linalg.lu_factor(a)
    return module.linalg.lu_solve(factors, pivots, b if left else b.mT, left=left, adjoint=adjoint)


# name: (function of (module, a, b), shape of a, shape of b)
CASES = {
    "pinv tall": (lambda m, a, b: m.linalg.pinv(a), (2, 5, 3), None),
    "pinv wide": (lambda m, a, b: m.linalg.pinv(a), (3, 4), None),
    "pinv hermitian": (lambda m, a, b: m.linalg.pinv(hermitian(m, a), hermitian=True), (2, 4, 4), None),
    "lstsq tall": (lambda m, a, b: m.linalg.lstsq(a, b).solution, (2, 5, 3), (2, 5, 2)),
    "lstsq wide": (lambda m, a, b: m.linalg.lstsq(a, b).solution, (3, 5), (3, 2)),
    "lstsq residuals": (lambda m, a, b: m.linalg.lstsq(a, b, driver="gelsd").residuals, (5, 3), (5, 2)),
    "cond": (lambda m, a, b: m.linalg.cond(a), (2, 4, 4), None),
    "cond rectangular": (lambda m, a, b: m.linalg.cond(a), (5, 3), None),
    "cond 1": (lambda m, a, b: cond(m, a, 1), (3, 3), None),
    "cond fro": (lambda m, a, b: cond(m, a, "fro"), (3, 3), None),
    "cond nuc": (lambda m, a, b: m.linalg.cond(a, "nuc"), (3, 3), None),
    "matrix_norm 2": (lambda m, a, b: m.linalg.matrix_norm(a, 2), (4, 3), None),
    "matrix_norm inf": (lambda m, a, b: m.linalg.matrix_norm(a, float("inf")), (4, 3), None),
    "matrix_power 3": (lambda m, a, b: m.linalg.matrix_power(a, 3), (2, 3, 3), None),
    "matrix_power -2": (lambda m, a, b: m.linalg.matrix_power(a, -2), (3, 3), None),
    "solve_triangular upper": (lambda m, a, b: m.linalg.solve_triangular(a + 3 * m.eye(3), b, upper=True),
                               (2, 3, 3), (2, 3, 2)),
    "solve_triangular lower right unit": (
        lambda m, a, b: m.linalg.solve_triangular(a, b.mT, upper=False, left=False, unitriangular=True),
        (3, 3), (3, 2)),
    "householder_product": (lambda m, a, b: m.linalg.householder_product(a, b[..., 0, :]), (2, 5, 3), (2, 1, 2)),
    "lu_factor": (lambda m, a, b: m.linalg.lu_factor(a).LU, (2, 4, 4), None),
    "lu tall": (lambda m, a, b: m.linalg.lu(a).L, (5, 3), None),
    "lu wide": (lambda m, a, b: m.linalg.lu(a).U, (3, 5), None),
    "lu_solve": (lambda m, a, b: lu_solve(m, a, b, True, False), (2, 3, 3), (2, 3, 2)),
    "lu_solve adjoint": (lambda m, a, b: lu_solve(m, a, b, True, True), (3, 3), (3, 2)),
    "lu_solve right": (lambda m, a, b: lu_solve(m, a, b, False, False), (3, 3), (3, 2)),
    "lu_solve right adjoint": (lambda m, a, b: lu_solve(m, a, b, False, True), (2, 3, 3), (2, 3, 2)),
    "inv_ex": (lambda m, a, b: m.linalg.inv_ex(a).inverse, (2, 3, 3), None),
    "solve_ex": (lambda m, a, b: m.linalg.solve_ex(a, b).result, (3, 3), (3, 2)),
    "cholesky_ex": (lambda m, a, b: m.linalg.cholesky_ex(a @ a.mT.conj() + m.eye(3)).L, (3, 3), None),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_values_and_gradients_equal_pytorchs(torch, name):
    function, a_shape, b_shape = CASES[name]
    values = [complex_matrices(*a_shape)] + ([complex_matrices(*b_shape)] if b_shape else [])
    ours = [tinynn.tensor(v, requires_grad=True) for v in values]
    theirs = [torch.tensor(v, requires_grad=True) for v in values]
    y = function(tinynn, *ours, *([None] * (2 - len(ours))))
    ty = function(torch, *theirs, *([None] * (2 - len(theirs))))
    assert str(y.dtype) == str(ty.dtype).replace("torch.", "")
    np.testing.assert_allclose(y.detach().numpy(), ty.detach().resolve_conj().numpy(), rtol=1e-10, atol=1e-11)
    weights = complex_matrices(*y.shape) if y.dtype.kind == "c" else RNG.standard_normal(y.shape)
    y.backward(tinynn.tensor(weights))
    ty.backward(torch.tensor(weights))
    for mine, reference in zip(ours, theirs):
        np.testing.assert_allclose(mine.grad.numpy(), reference.grad.numpy(), rtol=1e-9, atol=1e-10)


@pytest.mark.parametrize("name", sorted(CASES))
def test_gradients_match_finite_differences(name):
    function, a_shape, b_shape = CASES[name]
    values = [complex_matrices(*a_shape)] + ([complex_matrices(*b_shape)] if b_shape else [])
    tensors = [tinynn.tensor(v, requires_grad=True) for v in values]
    assert gradcheck(lambda *args: function(tinynn, *args, *([None] * (2 - len(args)))), tensors)


@pytest.mark.parametrize("name", ["pinv tall", "pinv hermitian", "lu_factor", "lu_solve right adjoint"])
def test_second_derivatives_match_finite_differences(name):
    function, a_shape, b_shape = CASES[name]
    values = [complex_matrices(*a_shape[-2:])] + ([complex_matrices(*b_shape[-2:])] if b_shape else [])
    tensors = [tinynn.tensor(v, requires_grad=True) for v in values]
    assert gradgradcheck(lambda *args: function(tinynn, *args, *([None] * (2 - len(args)))), tensors)


def test_lu_pivots_are_lapacks_which_measure_complex_entries_by_re_plus_im(torch):
    # |3| = 3 > |2 + 2j| = 2.83, but LAPACK's izamax measures |Re| + |Im|: 3 < 4, so row 1 is the pivot
    values = np.array([[3.0, 1.0, 0.5j], [2 + 2j, -1.0, 1.0], [1j, 2.0, 4.0]])
    factors, pivots = tinynn.linalg.lu_factor(tinynn.tensor(values))
    reference, reference_pivots = torch.linalg.lu_factor(torch.tensor(values))
    np.testing.assert_array_equal(pivots.numpy(), reference_pivots.numpy())
    assert pivots.numpy()[0] == 2
    np.testing.assert_allclose(factors.numpy(), reference.numpy(), rtol=1e-12)
    batch = complex_matrices(6, 5, 5)
    np.testing.assert_array_equal(tinynn.linalg.lu_factor(tinynn.tensor(batch)).pivots.numpy(),
                                  torch.linalg.lu_factor(torch.tensor(batch)).pivots.numpy())


def test_failures_of_the_ex_functions_are_reported_as_pytorchs(torch):
    singular = complex_matrices(3, 3, 3)
    singular[1, :, 1] = 0  # column 1 zero: U's second pivot is 0
    ours, theirs = tinynn.linalg.inv_ex(tinynn.tensor(singular)), torch.linalg.inv_ex(torch.tensor(singular))
    np.testing.assert_array_equal(ours.info.numpy(), theirs.info.numpy())
    assert ours.info.numpy().tolist() == [0, 2, 0]
    assert np.isnan(ours.inverse.numpy()[1]).all()
    np.testing.assert_allclose(ours.inverse.numpy()[[0, 2]], theirs.inverse.numpy()[[0, 2]], rtol=1e-10)

    values = complex_matrices(2, 3, 3)
    positive = values @ values.conj().swapaxes(-1, -2) + np.eye(3)
    positive[1, 2, 2] = -5.0  # the third leading minor of matrix 1 is negative
    ours, theirs = tinynn.linalg.cholesky_ex(tinynn.tensor(positive)), torch.linalg.cholesky_ex(torch.tensor(positive))
    np.testing.assert_array_equal(ours.info.numpy(), theirs.info.numpy())
    assert ours.info.numpy().tolist() == [0, 3]
    np.testing.assert_allclose(ours.L.numpy()[0], theirs.L.numpy()[0], rtol=1e-12)


@pytest.mark.parametrize("driver", ["gelsy", "gels", "gelsd", "gelss"])
@pytest.mark.parametrize("shape", [(5, 3), (3, 5)], ids=["tall", "wide"])
def test_lstsq_fills_the_outputs_pytorchs_drivers_fill(torch, driver, shape):
    a, b = complex_matrices(*shape).astype(np.complex64), complex_matrices(shape[0], 2).astype(np.complex64)
    ours = tinynn.linalg.lstsq(tinynn.tensor(a), tinynn.tensor(b), driver=driver)
    theirs = torch.linalg.lstsq(torch.tensor(a), torch.tensor(b), driver=driver)
    for mine, reference in zip(ours, theirs):
        assert mine.shape == tuple(reference.shape)
        assert str(mine.dtype) == str(reference.dtype).replace("torch.", "")
        np.testing.assert_allclose(mine.numpy(), reference.numpy(), rtol=2e-4, atol=2e-5)


def test_matrix_rank_of_complex_matrices_equals_pytorchs(torch):
    low_rank = complex_matrices(4, 5, 2) @ complex_matrices(4, 2, 6)
    low_rank[1] = complex_matrices(5, 6)
    for hermitian_too in (False, True):
        values = low_rank if not hermitian_too else low_rank[..., :5] @ low_rank[..., :5].conj().swapaxes(-1, -2)
        ours = tinynn.linalg.matrix_rank(tinynn.tensor(values), hermitian=hermitian_too)
        theirs = torch.linalg.matrix_rank(torch.tensor(values), hermitian=hermitian_too)
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    assert ours.numpy().tolist() == [2, 5, 2, 2]


def test_every_device_agrees_with_the_cpu(device):
    values = complex_matrices(2, 4, 3).astype(np.complex64)
    results = {}
    for where in ("cpu", device):
        a = tinynn.tensor(values, device=where, requires_grad=True)
        loss = (tinynn.linalg.pinv(a).abs() ** 2).sum() + (tinynn.linalg.lu(a).U.abs() ** 2).sum()
        loss.backward()
        results[where] = (loss.item(), a.grad.to("cpu").numpy())
    np.testing.assert_allclose(results[device][0], results["cpu"][0], rtol=1e-4)
    np.testing.assert_allclose(results[device][1], results["cpu"][1], rtol=1e-3, atol=1e-3)
