"""The LU factorization (linalg.lu_factor, lu_factor_ex, lu, lu_solve; torch.lu, lu_unpack,
lu_solve), the _ex forms that report failures instead of raising (inv_ex, solve_ex, cholesky_ex),
the solves from factors (cholesky_solve, cholesky_inverse, triangular_solve) and vander,
tensorinv, tensorsolve: factors, pivots and info equal LAPACK's (through PyTorch), values and
gradients equal PyTorch's on every device, gradients and second derivatives match finite
differences."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import tinynn
from tinynn.autograd import gradcheck, gradgradcheck
from helpers import assert_close, assert_function_matches_torch

# torch.triangular_solve, the oracle of its namesake, warns that it is deprecated
pytestmark = pytest.mark.filterwarnings("ignore:torch.linalg.solve_triangular has its arguments reversed")


def eye(L, n, like):
    return L.eye(n, dtype=like.dtype) if L is not tinynn else tinynn.eye(n, dtype=like.dtype, device=like.device)


def spd(L, a):
    return a @ a.mT + eye(L, a.shape[-1], a)


# Each case: (function of the library L and the inputs, the inputs' shapes)
CASES = {
    "lu_factor square": (lambda L, a: L.linalg.lu_factor(a).LU, [(2, 4, 4)]),
    "lu_factor tall": (lambda L, a: L.linalg.lu_factor(a).LU, [(2, 5, 3)]),
    "lu_factor wide": (lambda L, a: L.linalg.lu_factor(a).LU, [(2, 3, 5)]),
    "lu square": (lambda L, a: (lambda p, lower, upper: lower.sum(-1, keepdim=True) + (upper * upper)[..., :1, :] + p)(
        *L.linalg.lu(a)), [(2, 4, 4)]),
    "lu tall": (lambda L, a: (lambda p, lower, upper: lower * 3 + (upper * upper).sum())(*L.linalg.lu(a)), [(2, 5, 3)]),
    "lu wide": (lambda L, a: (lambda p, lower, upper: lower.sum() + upper * 2)(*L.linalg.lu(a)), [(2, 3, 5)]),
    "lu_solve": (lambda L, a, b: L.linalg.lu_solve(*L.linalg.lu_factor(a), b), [(2, 4, 4), (2, 4, 3)]),
    "lu_solve adjoint": (lambda L, a, b: L.linalg.lu_solve(*L.linalg.lu_factor(a), b, adjoint=True),
                         [(2, 4, 4), (4, 3)]),
    "lu_solve right": (lambda L, a, b: L.linalg.lu_solve(*L.linalg.lu_factor(a), b, left=False), [(2, 4, 4), (3, 4)]),
    "lu_solve right adjoint": (lambda L, a, b: L.linalg.lu_solve(*L.linalg.lu_factor(a), b, left=False, adjoint=True),
                               [(2, 4, 4), (2, 3, 4)]),
    "torch.lu, lu_unpack, lu_solve": (lambda L, a, b: L.lu_solve(b, *L.lu(a)) + L.lu_unpack(*L.lu(a))[2].sum(-1, keepdim=True),
                                      [(2, 4, 4), (2, 4, 2)]),
    "inv_ex": (lambda L, a: L.linalg.inv_ex(a).inverse, [(2, 3, 3)]),
    "solve_ex of batched vectors": (lambda L, a, b: L.linalg.solve_ex(a, b).result, [(2, 3, 3), (2, 3)]),
    "solve right": (lambda L, a, b: L.linalg.solve(a, b, left=False), [(2, 3, 3), (2, 4, 3)]),
    "cholesky_ex": (lambda L, a: L.linalg.cholesky_ex(spd(L, a), upper=True).L, [(2, 3, 3)]),
    "cholesky_solve": (lambda L, a, b: L.cholesky_solve(b, L.linalg.cholesky(spd(L, a))), [(2, 3, 3), (2, 3, 2)]),
    "cholesky_solve upper": (lambda L, a, b: b.cholesky_solve(L.linalg.cholesky(spd(L, a), upper=True), upper=True),
                             [(3, 3), (3, 2)]),
    "cholesky_inverse": (lambda L, a: L.cholesky_inverse(L.linalg.cholesky(spd(L, a))), [(2, 3, 3)]),
    "triangular_solve": (lambda L, a, b: L.triangular_solve(b, a + 3 * eye(L, 3, a)).solution
                         + b.triangular_solve(a + 3 * eye(L, 3, a), upper=False, transpose=True).solution
                         + L.triangular_solve(b, a, unitriangular=True)[0], [(2, 3, 3), (2, 3, 2)]),
    "vander": (lambda L, a: L.linalg.vander(a) + L.linalg.vander(a, N=2).sum(-1, keepdim=True), [(2, 4)]),
    "tensorinv": (lambda L, a: L.linalg.tensorinv(a, ind=1), [(6, 2, 3)]),
    "tensorsolve": (lambda L, a, b: L.linalg.tensorsolve(a, b) + L.linalg.tensorsolve(a.permute(2, 0, 1), b, dims=(0,)),
                    [(2, 3, 6), (2, 3)]),
}


def values(name, rng):
    return [rng.standard_normal(shape) for shape in CASES[name][1]]


@pytest.mark.parametrize("name", list(CASES))
def test_matches_torch(name, torch, rng, device):
    assert_function_matches_torch(CASES[name][0], values(name, rng), torch, rng, device, what=name)


@pytest.mark.parametrize("name", list(CASES))
def test_gradients_and_second_derivatives_match_finite_differences(name, rng):
    function = CASES[name][0]
    arrays = values(name, rng)
    assert gradcheck(lambda *xs: function(tinynn, *xs), [tinynn.tensor(v, requires_grad=True) for v in arrays])
    assert gradgradcheck(lambda *xs: function(tinynn, *xs), [tinynn.tensor(v, requires_grad=True) for v in arrays],
                         fast_mode=True)


@settings(deadline=None, max_examples=40)
@given(rows=st.integers(0, 9), columns=st.integers(0, 9), batch=st.integers(0, 3), seed=st.integers(0, 2 ** 32 - 1),
       repeats=st.booleans())
def test_factors_and_pivots_equal_lapacks_and_rebuild_the_matrix(rows, columns, batch, seed, repeats):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(seed)
    a = rng.standard_normal((batch, rows, columns))
    if repeats:  # ties for the pivot and exact zero columns: the first largest is taken, zeros are skipped
        a = np.round(a) * (rng.random((batch, 1, columns)) < 0.7)
    ours, theirs = tinynn.linalg.lu_factor_ex(tinynn.tensor(a)), torch.linalg.lu_factor_ex(torch.tensor(a))
    assert_close(ours.LU, theirs.LU, rtol=1e-12, atol=1e-12, what="LU")
    assert ours.pivots.dtype == np.int32 and ours.info.dtype == np.int32
    np.testing.assert_array_equal(ours.pivots.numpy(), theirs.pivots.numpy())
    np.testing.assert_array_equal(ours.info.numpy(), theirs.info.numpy())
    p, lower, upper = tinynn.linalg.lu(tinynn.tensor(a))
    np.testing.assert_allclose((p @ lower @ upper).numpy(), a, atol=1e-12)
    np.testing.assert_array_equal(p.numpy(), torch.linalg.lu(torch.tensor(a)).P.numpy())


def test_without_pivoting_the_rows_stay_in_place(rng):
    a = rng.standard_normal((2, 4, 4)) + 4 * np.eye(4)
    packed, pivots = tinynn.linalg.lu_factor(tinynn.tensor(a), pivot=False)
    np.testing.assert_array_equal(pivots.numpy(), np.tile(np.arange(1, 5, dtype=np.int32), (2, 1)))
    p, lower, upper = tinynn.linalg.lu(tinynn.tensor(a), pivot=False)
    np.testing.assert_array_equal(p.numpy(), np.broadcast_to(np.eye(4), (2, 4, 4)))
    np.testing.assert_allclose((lower @ upper).numpy(), a, atol=1e-12)


def test_float32_stays_float32(device, rng):
    a = tinynn.tensor(rng.standard_normal((3, 3)).astype(np.float32), device=device, requires_grad=True)
    outputs = [*tinynn.linalg.lu(a), tinynn.linalg.lu_factor(a).LU, tinynn.linalg.inv_ex(a).inverse,
               tinynn.linalg.lu_solve(*tinynn.linalg.lu_factor(a), a), tinynn.linalg.vander(a[0])]
    assert {t.dtype for t in outputs} == {np.dtype(np.float32)}
    sum(t.sum() for t in outputs).backward()
    assert a.grad.dtype == np.float32


def test_the_ex_forms_report_failures_as_torch_does_and_keep_the_rest(torch):
    square = np.stack([np.eye(3) * 2, [[1.0, 2, 3], [2, 4, 6], [0, 0, 1]], np.zeros((3, 3))])
    ours, theirs = tinynn.linalg.inv_ex(tinynn.tensor(square)), torch.linalg.inv_ex(torch.tensor(square))
    np.testing.assert_array_equal(ours.info.numpy(), theirs.info.numpy())  # [0, 2, 1]
    np.testing.assert_allclose(ours.inverse.numpy()[0], np.eye(3) / 2)
    assert np.isnan(ours.inverse.numpy()[1:]).all()
    solved = tinynn.linalg.solve_ex(tinynn.tensor(square), tinynn.ones(3, dtype=tinynn.float64))
    np.testing.assert_array_equal(solved.info.numpy(), theirs.info.numpy())
    np.testing.assert_allclose(solved.result.numpy()[0], np.full(3, 0.5))
    assert np.isnan(solved.result.numpy()[1:]).all()

    symmetric = np.stack([np.eye(3), [[1.0, 2, 0], [2, 1, 0], [0, 0, 1]], np.diag([1.0, 1, -1]), np.diag([1.0, 0, 1])])
    ours, theirs = tinynn.linalg.cholesky_ex(tinynn.tensor(symmetric)), torch.linalg.cholesky_ex(torch.tensor(symmetric))
    np.testing.assert_array_equal(ours.info.numpy(), theirs.info.numpy())  # [0, 2, 3, 2]
    np.testing.assert_array_equal(ours.L.numpy()[0], np.eye(3))
    assert np.isnan(ours.L.numpy()[1:]).all()

    with pytest.raises(ValueError, match="inv"):
        tinynn.linalg.inv_ex(tinynn.tensor(square), check_errors=True)
    with pytest.raises(ValueError, match="cholesky"):
        tinynn.linalg.cholesky_ex(tinynn.tensor(symmetric), check_errors=True)
    with pytest.raises(ValueError, match="lu_factor_ex: U has a zero on its diagonal"):
        tinynn.linalg.lu_factor_ex(tinynn.tensor(square), check_errors=True)


def test_the_ex_forms_of_good_matrices_report_zeros_in_the_batch_shape(rng):
    a = tinynn.tensor(rng.standard_normal((2, 5, 3, 3)) + 3 * np.eye(3))
    for info in (tinynn.linalg.inv_ex(a).info, tinynn.linalg.cholesky_ex(a @ a.mT).info,
                 tinynn.linalg.solve_ex(a, a).info, tinynn.linalg.lu_factor_ex(a).info):
        assert info.shape == (2, 5) and info.dtype == np.int32 and not info.numpy().any()


def test_bad_input_is_a_clear_error():
    singular = tinynn.tensor([[1.0, 2.0], [2.0, 4.0]])
    with pytest.raises(ValueError, match=r"lu_factor: U\[1,1\] is zero, so the matrix is singular"):
        tinynn.linalg.lu_factor(singular)
    assert tinynn.linalg.lu_factor_ex(singular).info.item() == 2  # factored all the same
    for failing in (lambda: tinynn.linalg.inv(singular), lambda: tinynn.linalg.cholesky(-tinynn.eye(2)),
                    lambda: tinynn.linalg.lu_factor(singular)):
        with pytest.raises(tinynn.linalg.LinAlgError):  # as torch.linalg.LinAlgError; also a ValueError
            failing()
    assert issubclass(tinynn.linalg.LinAlgError, ValueError)
    with pytest.raises(ValueError, match=r"lu_factor: expected matrices \(\.\.\., m, n\), got shape \(3,\)"):
        tinynn.linalg.lu_factor(tinynn.ones(3))
    with pytest.raises(TypeError, match="lu: expected floating-point or complex matrices, got dtype int64"):
        tinynn.linalg.lu(tinynn.tensor([[1, 2], [3, 4]]))
    packed, pivots = tinynn.linalg.lu_factor(tinynn.eye(3))
    with pytest.raises(ValueError, match=r"lu_solve: LU of shape \(3, 3\) and B of shape \(2, 1\) do not fit "
                                         r"\(B needs 3 rows\)"):
        tinynn.linalg.lu_solve(packed, pivots, tinynn.ones(2, 1))
    with pytest.raises(ValueError, match="lu_solve: pivots must be integers of shape \\(3,\\), got float32"):
        tinynn.linalg.lu_solve(packed, pivots.float(), tinynn.ones(3, 1))
    with pytest.raises(ValueError, match=r"solve: A of shape \(3, 3\) and B of shape \(3, 2\) do not fit for "
                                         r"left=False \(B needs 3 columns\)"):
        tinynn.linalg.solve(tinynn.eye(3), tinynn.ones(3, 2), left=False)
    with pytest.raises(ValueError, match=r"tensorinv: A of shape \(2, 3\) with ind=1 is not 'square'"):
        tinynn.linalg.tensorinv(tinynn.ones(2, 3), ind=1)
    with pytest.raises(ValueError, match=r"tensorsolve: A of shape \(2, 3, 5\) and B of shape \(2, 3\) do not fit"):
        tinynn.linalg.tensorsolve(tinynn.ones(2, 3, 5), tinynn.ones(2, 3))
    with pytest.raises(ValueError, match="vander: N must be at least 1, got 0"):
        tinynn.linalg.vander(tinynn.ones(3), N=0)


def test_vander_of_integers_and_the_aliases(torch):
    x = tinynn.tensor([1, 2, 3])
    np.testing.assert_array_equal(tinynn.linalg.vander(x).numpy(), torch.linalg.vander(torch.tensor([1, 2, 3])).numpy())
    assert tinynn.linalg.vander(x).dtype == np.int64
    a = tinynn.tensor(np.arange(12.0).reshape(2, 2, 3))
    np.testing.assert_array_equal(tinynn.linalg.diagonal(a, offset=1).numpy(),
                                  torch.linalg.diagonal(torch.tensor(a.numpy()), offset=1).numpy())
    np.testing.assert_array_equal(tinynn.linalg.matmul(a, a.mT).numpy(), (a @ a.mT).numpy())
