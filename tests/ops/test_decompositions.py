"""Cholesky, QR, eigh, SVD, pinv and what tinynn.linalg builds on them (matrix_rank, lstsq, cond,
the nuclear and spectral norms, solve_triangular, matrix_power, multi_dot, cross, vecdot): values
and gradients equal PyTorch's on every device, gradients and second derivatives checked against
finite differences; unused factors cost no 0 * inf; bad input and undefined gradients are clear
errors."""
import numpy as np
import pytest
from hypothesis import given, strategies as st

import tinynn
from tinynn.autograd import gradcheck, gradgradcheck
from helpers import assert_close, assert_function_matches_torch


def eye(L, n, like):
    return L.eye(n, dtype=like.dtype) if L is not tinynn else tinynn.eye(n, dtype=like.dtype, device=like.device)


# Functions of the factors that do not depend on the sign each singular vector or eigenvector
# happens to get (u and -u are both right), so that two libraries' answers compare.
CASES = {
    "cholesky": (lambda L, a: L.linalg.cholesky(a @ a.mT + 4 * eye(L, 4, a)), "square"),
    "cholesky upper": (lambda L, a: L.linalg.cholesky(a @ a.mT + 4 * eye(L, 4, a), upper=True), "square"),
    "qr tall": (lambda L, a: (lambda q, r: q * r.sum(-2).unsqueeze(-2) + (r * r).sum(-1).unsqueeze(-2))(
        *L.linalg.qr(a)), "tall"),
    "qr wide": (lambda L, a: (lambda q, r: q.sum(-1) + (r * r).sum(-1))(*L.linalg.qr(a)), "wide"),
    "qr complete square": (lambda L, a: (lambda q, r: q + r)(*L.linalg.qr(a, mode="complete")), "square"),
    "eigh": (lambda L, a: (lambda w, v: w.unsqueeze(-1) * v * v)(*L.linalg.eigh(a + a.mT)), "square"),
    "eigh upper triangle": (lambda L, a: (lambda w, v: w.unsqueeze(-2) * v * v)(*L.linalg.eigh(a, UPLO="U")),
                            "square"),
    "eigvalsh": (lambda L, a: L.linalg.eigvalsh(a + a.mT), "square"),
    "svd tall": (lambda L, a: (lambda u, s, vh: (u * u).sum(-1) + s.sum(-1, keepdim=True) + (vh * vh).sum(-2)[..., :1])(
        *L.linalg.svd(a, full_matrices=False)), "tall"),
    "svd wide": (lambda L, a: (lambda u, s, vh: 3 * (u @ (s.unsqueeze(-1) * vh)) + (u ** 2).sum() + (vh ** 2)[..., :1, :])(
        *L.linalg.svd(a, full_matrices=False)), "wide"),
    "svd full square": (lambda L, a: (lambda u, s, vh: (u * u)[..., :2] + vh[..., :1, :1] * vh[..., :1, :2])(
        *L.linalg.svd(a)), "square"),
    "svdvals": (lambda L, a: L.linalg.svdvals(a), "tall"),
    "pinv tall": (lambda L, a: L.linalg.pinv(a), "tall"),
    "pinv wide": (lambda L, a: L.linalg.pinv(a), "wide"),
    "pinv hermitian": (lambda L, a: L.linalg.pinv(a + a.mT, hermitian=True), "square"),
    "nuclear and spectral norms": (lambda L, a: L.linalg.matrix_norm(a, "nuc") + L.linalg.matrix_norm(a, 2)
                                   + L.linalg.matrix_norm(a, -2) + L.linalg.norm(a, "nuc", dim=(0, 2)).sum(), "tall"),
    "cond": (lambda L, a: L.linalg.cond(a) + L.linalg.cond(a, -2), "square"),
    "lstsq": (lambda L, a, b: L.linalg.lstsq(a, b).solution, "tall", (2, 5, 2)),
    "lstsq of a vector": (lambda L, a, b: L.linalg.lstsq(a[0], b[0, :, 0]).solution, "tall", (2, 5, 2)),
    "solve_triangular": (lambda L, a, b: L.linalg.solve_triangular(a + 3 * eye(L, 4, a), b, upper=True)
                         + L.linalg.solve_triangular(a + 3 * eye(L, 4, a), b.mT, upper=False, left=False,
                                                     unitriangular=True).mT, "square", (2, 4, 3)),
    "matrix_power": (lambda L, a: L.linalg.matrix_power(a, 5) + L.linalg.matrix_power(a + 3 * eye(L, 4, a), -2)
                     + L.linalg.matrix_power(a, 0), "square"),
    "torch.pinverse, torch.matrix_power": (lambda L, a: L.pinverse(a, rcond=0.1) @ L.matrix_power(a @ a.mT, 2),
                                            "wide"),
    "multi_dot": (lambda L, a, b: L.linalg.multi_dot([a[0], b[0], a[1], b[1].sum(-1)]), "square", (2, 4, 4)),
    "cross": (lambda L, a, b: L.linalg.cross(a, b, dim=1), "wide", (2, 3, 5)),
    "vecdot": (lambda L, a, b: L.linalg.vecdot(a, b, dim=1), "tall", (2, 5, 3)),
}
SHAPES = {"square": (2, 4, 4), "tall": (2, 5, 3), "wide": (2, 3, 5)}


def inputs(name, rng):
    function, kind, *others = CASES[name]
    return function, [rng.standard_normal(SHAPES[kind])] + [rng.standard_normal(shape) for shape in others]


@pytest.mark.parametrize("name", list(CASES))
def test_matches_torch(name, torch, rng, device):
    function, values = inputs(name, rng)
    assert_function_matches_torch(function, values, torch, rng, device, what=name)


# eigh(A, UPLO="U") reads one triangle, but its gradient is the symmetric one (PyTorch's), which
# finite differences of that triangle alone do not give; the torch comparison checks it.
@pytest.mark.parametrize("name", [name for name in CASES if name != "eigh upper triangle"])
def test_gradients_and_second_derivatives_match_finite_differences(name, rng):
    function, values = inputs(name, rng)
    assert gradcheck(lambda *xs: function(tinynn, *xs), [tinynn.tensor(v, requires_grad=True) for v in values])
    assert gradgradcheck(lambda *xs: function(tinynn, *xs), [tinynn.tensor(v, requires_grad=True) for v in values],
                         fast_mode=True)


def test_float32_stays_float32(device, rng):
    a = tinynn.tensor(rng.standard_normal((3, 3)).astype(np.float32), device=device, requires_grad=True)
    u, s, vh = tinynn.linalg.svd(a)
    w, v = tinynn.linalg.eigh(a @ a.mT)
    q, r = tinynn.linalg.qr(a)
    outputs = [u, s, vh, w, v, q, r, tinynn.linalg.cholesky(a @ a.mT + tinynn.eye(3, device=device)),
               tinynn.linalg.pinv(a)]
    assert {t.dtype for t in outputs} == {np.dtype(np.float32)}
    sum(t.sum() for t in outputs).backward()
    assert a.grad.dtype == np.float32


def test_an_unused_factor_with_repeated_values_gives_a_finite_gradient_as_in_torch(torch):
    """eigvalsh of a matrix with a repeated eigenvalue, svdvals with a repeated singular value: the
    vector terms (1 / 0 gaps) are skipped, as PyTorch skips an undefined gradient."""
    for case in (lambda L, a: L.linalg.eigvalsh(a), lambda L, a: L.linalg.svdvals(a), lambda L, a: L.linalg.svd(a).S):
        values = np.diag([2.0, 2.0, 5.0])
        a, ta = tinynn.tensor(values, requires_grad=True), torch.tensor(values, requires_grad=True)
        (case(tinynn, a) * tinynn.tensor([1.0, 2.0, 3.0])).sum().backward()
        (case(torch, ta) * torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64)).sum().backward()
        assert np.isfinite(a.grad.numpy()).all()
        assert_close(a.grad, ta.grad, rtol=1e-12, atol=1e-12, what="gradient")


def test_jvp_through_the_svd_equals_torch(torch, rng):
    """autograd.functional.jvp (the double-vjp trick, whose dummy gradient is zeros that require
    grad) must not take the singular vectors for unused."""
    values, tangent = rng.standard_normal((4, 3)), rng.standard_normal((4, 3))

    def first_vector(L):
        return lambda a: (lambda u, s, vh: u[:, 0] * u[:, 0] * s[0])(*L.linalg.svd(a, full_matrices=False))

    ours = tinynn.autograd.functional.jvp(first_vector(tinynn), tinynn.tensor(values), tinynn.tensor(tangent))[1]
    theirs = torch.autograd.functional.jvp(first_vector(torch), torch.tensor(values), torch.tensor(tangent))[1]
    assert_close(ours, theirs, rtol=1e-10, atol=1e-12, what="jvp")


def test_pinv_matrix_rank_and_lstsq_of_rank_deficient_matrices_match_torch(torch, rng):
    deficient = rng.standard_normal((2, 6, 2)) @ rng.standard_normal((2, 2, 4))  # rank 2 of 4
    rhs = rng.standard_normal((2, 6, 3))
    a, ta = tinynn.tensor(deficient), torch.tensor(deficient)
    for options in ({}, {"rtol": 0.5}, {"atol": 1e-3}, {"atol": 1.0, "rtol": 0.1}):
        assert_close(tinynn.linalg.pinv(a, **options), torch.linalg.pinv(ta, **options), rtol=1e-9, atol=1e-11,
                     what=f"pinv {options}")
        assert tinynn.linalg.matrix_rank(a, **options).numpy().tolist() == \
            torch.linalg.matrix_rank(ta, **options).tolist()
    symmetric = deficient @ deficient.swapaxes(-1, -2)
    assert tinynn.linalg.matrix_rank(tinynn.tensor(symmetric), hermitian=True).numpy().tolist() == [2, 2]
    ours = tinynn.linalg.lstsq(a, tinynn.tensor(rhs), driver="gelsd")
    theirs = torch.linalg.lstsq(ta, torch.tensor(rhs), driver="gelsd")
    assert_close(ours.solution, theirs.solution, rtol=1e-8, atol=1e-10, what="minimum-norm solution")
    assert ours.rank.numpy().tolist() == theirs.rank.tolist() == [2, 2]
    assert ours.residuals.shape == theirs.residuals.shape == (0,)  # not full rank: no residuals


@pytest.mark.parametrize("driver", [None, "gelsy", "gels", "gelsd", "gelss"])
def test_lstsq_fills_what_each_torch_driver_fills(driver, torch, rng):
    values, rhs = rng.standard_normal((3, 6, 4)), rng.standard_normal((3, 6, 2))
    ours = tinynn.linalg.lstsq(tinynn.tensor(values), tinynn.tensor(rhs), driver=driver)
    theirs = torch.linalg.lstsq(torch.tensor(values), torch.tensor(rhs), driver=driver)
    for field in ours._fields:
        assert_close(getattr(ours, field), getattr(theirs, field), rtol=1e-9, atol=1e-10, what=f"{driver} {field}")


def test_undefined_gradients_and_bad_input_are_clear_errors():
    with pytest.raises(ValueError, match="cholesky: .*not positive definite"):
        tinynn.linalg.cholesky(tinynn.tensor([[1.0, 2.0], [2.0, 1.0]]))
    with pytest.raises(ValueError, match=r"qr: mode must be 'reduced', 'complete' or 'r', got 'full'"):
        tinynn.linalg.qr(tinynn.eye(2), mode="full")
    with pytest.raises(ValueError, match=r"eigh: expected square matrices \(\.\.\., n, n\), got shape \(2, 3\)"):
        tinynn.linalg.eigh(tinynn.zeros(2, 3))
    with pytest.raises(ValueError, match="eigh: UPLO must be 'L' or 'U'"):
        tinynn.linalg.eigh(tinynn.eye(2), UPLO="lower")
    with pytest.raises(ValueError, match=r"svd: expected matrices \(\.\.\., m, n\), got shape \(3,\)"):
        tinynn.linalg.svd(tinynn.ones(3))
    with pytest.raises(TypeError, match="svd: expected floating-point or complex matrices, got dtype int64"):
        tinynn.linalg.svd(tinynn.tensor([[1, 2], [3, 4]]))
    with pytest.raises(ValueError, match=r"lstsq: A of shape \(4, 2\) and B of shape \(3,\) do not fit"):
        tinynn.linalg.lstsq(tinynn.ones(4, 2), tinynn.ones(3))
    with pytest.raises(ValueError, match="lstsq: driver must be"):
        tinynn.linalg.lstsq(tinynn.ones(4, 2), tinynn.ones(4), driver="gelsx")
    with pytest.raises(ValueError, match="cross: expected size 3 along dim -1"):
        tinynn.linalg.cross(tinynn.ones(2), tinynn.ones(2))
    with pytest.raises(ValueError, match="multi_dot: tensor 1 must be a matrix"):
        tinynn.linalg.multi_dot([tinynn.ones(2, 2), tinynn.ones(2, 2, 2), tinynn.ones(2)])
    with pytest.raises(TypeError, match="matrix_power: n must be an int"):
        tinynn.linalg.matrix_power(tinynn.eye(2), 1.5)

    tall = tinynn.tensor(np.random.default_rng(0).standard_normal((4, 2)), requires_grad=True)
    with pytest.raises(NotImplementedError, match="extra singular vectors of full_matrices=True"):
        tinynn.linalg.svd(tall).U.sum().backward()
    tinynn.linalg.svd(tall).S.sum().backward()  # the singular values alone are fine
    with pytest.raises(NotImplementedError, match="complete QR factorization of a matrix with more rows"):
        tinynn.linalg.qr(tall, mode="complete").Q.sum().backward()


def test_cond_by_the_other_norms_matches_torch_and_is_inf_for_a_singular_matrix(torch, rng):
    """(PyTorch 2.13 cannot differentiate these: its backward reports an in-place change; ours is
    checked against finite differences.)"""
    values = rng.standard_normal((2, 4, 4))
    batch = np.array([[[1.0, 2.0], [2.0, 4.0]], [[1.0, 0.0], [0.0, 2.0]]])  # float64: an exactly zero pivot
    for p in ("fro", "nuc", 1, -1, float("inf"), float("-inf")):
        assert_close(tinynn.linalg.cond(tinynn.tensor(values), p), torch.linalg.cond(torch.tensor(values), p),
                     rtol=1e-10, atol=1e-12, what=f"cond {p}")
        assert gradcheck(lambda a: tinynn.linalg.cond(a, p), [tinynn.tensor(values, requires_grad=True)])
        ours, theirs = tinynn.linalg.cond(tinynn.tensor(batch), p), torch.linalg.cond(torch.tensor(batch), p)
        if p == "nuc":  # both from the singular values, the smallest of which is rounding noise
            assert ours[0].item() > 1e15 and theirs[0].item() > 1e15
            ours, theirs = ours[1:], theirs[1:]
        assert_close(ours, theirs, what=f"cond {p} of a singular matrix")


def test_multi_dot_picks_the_cheapest_order():
    """(10x1000)(1000x5)(5x1000): left to right costs 60,000 products, the other order 10,000,000."""
    rng = np.random.default_rng(0)
    chain = [tinynn.tensor(rng.standard_normal(shape), requires_grad=True) for shape in ((10, 1000), (1000, 5), (5, 1000))]
    product = tinynn.linalg.multi_dot(chain)
    assert product.grad_fn.inputs[0].shape == (10, 5)  # the last product took (A B) and C
    assert_close(product, chain[0].numpy() @ chain[1].numpy() @ chain[2].numpy(), rtol=1e-10, atol=1e-10)


@given(rows=st.integers(1, 6), columns=st.integers(1, 6), batch=st.lists(st.integers(1, 3), max_size=2),
       seed=st.integers(0, 2 ** 16))
def test_the_factors_rebuild_the_matrix_for_any_shape(rows, columns, batch, seed):
    """Q R = A (Q orthonormal, R upper), U diag(S) Vh = A, V diag(w) V^T = S, L L^T = S, and A^+ meets
    the four Moore-Penrose conditions, for tall, wide and square batches."""
    rng = np.random.default_rng(seed)
    values = rng.standard_normal(tuple(batch) + (rows, columns))
    a = tinynn.tensor(values)
    q, r = tinynn.linalg.qr(a)
    np.testing.assert_allclose((q @ r).numpy(), values, atol=1e-10)
    np.testing.assert_allclose(np.triu(r.numpy()), r.numpy(), atol=0)
    u, s, vh = tinynn.linalg.svd(a, full_matrices=False)
    np.testing.assert_allclose((u * s.unsqueeze(-2)) @ vh, values, atol=1e-10)
    k = min(rows, columns)
    np.testing.assert_allclose(q.mT.numpy() @ q.numpy(), np.broadcast_to(np.eye(k), tuple(batch) + (k, k)), atol=1e-10)
    symmetric = values @ values.swapaxes(-1, -2) + np.eye(rows)
    w, v = tinynn.linalg.eigh(tinynn.tensor(symmetric))
    np.testing.assert_allclose(((v * w.unsqueeze(-2)) @ v.mT).numpy(), symmetric, atol=1e-9)
    lower = tinynn.linalg.cholesky(tinynn.tensor(symmetric)).numpy()
    np.testing.assert_allclose(lower @ lower.swapaxes(-1, -2), symmetric, atol=1e-9)
    p = tinynn.linalg.pinv(a).numpy()
    np.testing.assert_allclose(values @ p @ values, values, atol=1e-8)
    np.testing.assert_allclose(p @ values @ p, p, atol=1e-8)
    np.testing.assert_allclose((values @ p).swapaxes(-1, -2), values @ p, atol=1e-8)
    np.testing.assert_allclose((p @ values).swapaxes(-1, -2), p @ values, atol=1e-8)
