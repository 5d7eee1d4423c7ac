"""linalg.ldl_factor / ldl_factor_ex / ldl_solve: Bunch-Kaufman LDL^T as LAPACK's sytrf (and hetrf
for Hermitian matrices), compared with PyTorch's (MKL's LAPACK) on random, indefinite, zero-diagonal
and tied matrices, real, complex symmetric and Hermitian; the solve and its gradient in B; refusals."""
import numpy as np
import pytest

import tinynn
from tinynn.autograd import gradcheck


def symmetric(rng, shape, kind, values="real"):
    """A symmetric matrix; ``values`` "complex": complex symmetric, "hermitian": Hermitian."""
    a = rng.standard_normal(shape) + (1j * rng.standard_normal(shape) if values != "real" else 0)
    a = a + (a.swapaxes(-1, -2).conj() if values == "hermitian" else a.swapaxes(-1, -2))
    if kind == "zero diagonal":  # forces 2x2 pivots
        a[..., np.arange(shape[-1]), np.arange(shape[-1])] = 0
    elif kind == "integers":  # ties between candidate pivots
        a = np.round(a.real * 2) + 1j * np.round(a.imag * 2) if values != "real" else np.round(a * 2)
    return a


@pytest.mark.parametrize("values", ["complex", "hermitian"])
@pytest.mark.parametrize("kind", ["random", "zero diagonal", "integers"])
def test_complex_factors_and_pivots_equal_lapacks(torch, kind, values):
    rng = np.random.default_rng({"random": 11, "zero diagonal": 12, "integers": 13}[kind])
    for n in range(1, 9):
        a = symmetric(rng, (6, n, n), kind, values)
        ours = tinynn.linalg.ldl_factor_ex(tinynn.tensor(a), hermitian=values == "hermitian")
        theirs = torch.linalg.ldl_factor_ex(torch.tensor(a), hermitian=values == "hermitian")
        np.testing.assert_array_equal(ours.pivots.numpy(), theirs.pivots.numpy())
        np.testing.assert_array_equal(ours.info.numpy(), theirs.info.numpy())
        np.testing.assert_allclose(ours.LD.numpy(), theirs.LD.numpy(), rtol=1e-10, atol=1e-10)
        assert ours.LD.dtype == np.complex128


@pytest.mark.parametrize("values", ["complex", "hermitian"])
def test_complex_solve_equals_pytorchs_and_its_gradient_is_the_adjoint(torch, values):
    rng = np.random.default_rng(14)
    hermitian = values == "hermitian"
    a = symmetric(rng, (3, 6, 6), "zero diagonal", values)
    b = rng.standard_normal((3, 6, 2)) + 1j * rng.standard_normal((3, 6, 2))
    ld, pivots = tinynn.linalg.ldl_factor(tinynn.tensor(a), hermitian=hermitian)
    rhs = tinynn.tensor(b, requires_grad=True)
    x = tinynn.linalg.ldl_solve(ld, pivots, rhs, hermitian=hermitian)
    np.testing.assert_allclose(a @ x.detach().numpy(), b, atol=1e-10)
    tld, tpivots = torch.linalg.ldl_factor(torch.tensor(a), hermitian=hermitian)
    np.testing.assert_allclose(x.detach().numpy(), torch.linalg.ldl_solve(tld, tpivots, torch.tensor(b),
                                                                          hermitian=hermitian).numpy(), atol=1e-10)
    # PyTorch's ldl_solve has no gradient; its solve does, and is the same map
    weights = rng.standard_normal(b.shape) + 1j * rng.standard_normal(b.shape)
    x.backward(tinynn.tensor(weights))
    reference = torch.tensor(b, requires_grad=True)
    torch.linalg.solve(torch.tensor(a), reference).backward(torch.tensor(weights))
    np.testing.assert_allclose(rhs.grad.numpy(), reference.grad.numpy(), rtol=1e-9, atol=1e-10)
    assert gradcheck(lambda right: tinynn.linalg.ldl_solve(ld, pivots, right, hermitian=hermitian),
                     [tinynn.tensor(b, requires_grad=True)])
    # a real right-hand side is taken as complex
    real = tinynn.linalg.ldl_solve(ld, pivots, tinynn.tensor(b.real), hermitian=hermitian)
    np.testing.assert_allclose(a @ real.numpy(), b.real, atol=1e-10)


@pytest.mark.parametrize("kind", ["random", "zero diagonal", "integers"])
def test_factors_and_pivots_equal_lapacks(torch, kind):
    rng = np.random.default_rng({"random": 1, "zero diagonal": 2, "integers": 3}[kind])
    for n in range(1, 9):
        a = symmetric(rng, (6, n, n), kind)
        ours = tinynn.linalg.ldl_factor_ex(tinynn.tensor(a))
        theirs = torch.linalg.ldl_factor_ex(torch.tensor(a))
        np.testing.assert_array_equal(ours.pivots.numpy(), theirs.pivots.numpy())
        np.testing.assert_array_equal(ours.info.numpy(), theirs.info.numpy())
        np.testing.assert_allclose(ours.LD.numpy(), theirs.LD.numpy(), rtol=1e-10, atol=1e-10)
        assert ours.LD.dtype == np.float64 and ours.pivots.dtype == np.int32


def test_only_the_lower_triangle_is_read(torch):
    a = symmetric(np.random.default_rng(4), (5, 5), "random")
    scrambled = np.tril(a) + np.triu(np.full((5, 5), 7.0), 1)
    np.testing.assert_array_equal(tinynn.linalg.ldl_factor(tinynn.tensor(scrambled)).LD.numpy(),
                                  tinynn.linalg.ldl_factor(tinynn.tensor(a)).LD.numpy())


def test_solve_equals_pytorchs_and_is_differentiable_in_b(torch):
    rng = np.random.default_rng(5)
    a = symmetric(rng, (3, 6, 6), "zero diagonal")
    b = rng.standard_normal((3, 6, 2))
    ld, pivots = tinynn.linalg.ldl_factor(tinynn.tensor(a))
    x = tinynn.linalg.ldl_solve(ld, pivots, tinynn.tensor(b))
    np.testing.assert_allclose(a @ x.numpy(), b, atol=1e-10)
    tld, tpivots = torch.linalg.ldl_factor(torch.tensor(a))
    np.testing.assert_allclose(x.numpy(), torch.linalg.ldl_solve(tld, tpivots, torch.tensor(b)).numpy(), rtol=1e-10,
                               atol=1e-12)
    assert gradcheck(lambda rhs: tinynn.linalg.ldl_solve(ld, pivots, rhs), [tinynn.tensor(b, requires_grad=True)])
    # one factorization, a batch of right-hand sides broadcast against it
    broadcast = tinynn.linalg.ldl_solve(ld[0], pivots[0], tinynn.tensor(rng.standard_normal((4, 6, 1))))
    assert broadcast.shape == (4, 6, 1)
    single = tinynn.linalg.ldl_factor(tinynn.tensor(a[0], dtype=tinynn.float32))
    assert tinynn.linalg.ldl_solve(*single, tinynn.tensor(b[0], dtype=tinynn.float32)).dtype == np.float32


def test_singular_matrices_and_misuse_are_named():
    info = tinynn.linalg.ldl_factor_ex(tinynn.zeros(2, 3, 3, dtype=tinynn.float64)).info
    assert info.tolist() == [1, 1]
    with pytest.raises(tinynn.linalg.LinAlgError, match="D has a zero pivot"):
        tinynn.linalg.ldl_factor(tinynn.zeros(3, 3))
    with pytest.raises(tinynn.linalg.LinAlgError, match="singular"):
        tinynn.linalg.ldl_factor_ex(tinynn.zeros(3, 3), check_errors=True)
    with pytest.raises(RuntimeError, match="has no gradient"):
        tinynn.linalg.ldl_factor(tinynn.eye(3, requires_grad=True))
    ld, pivots = tinynn.linalg.ldl_factor(tinynn.eye(3))
    with pytest.raises(ValueError, match="does not fit"):
        tinynn.linalg.ldl_solve(ld, pivots, tinynn.ones(4, 1))
    with pytest.raises(ValueError, match="expected square matrices"):
        tinynn.linalg.ldl_factor(tinynn.ones(2, 3))


def test_every_device_agrees_with_the_cpu(device):
    a = symmetric(np.random.default_rng(6), (4, 4), "zero diagonal").astype(np.float32)
    b = np.ones((4, 1), dtype=np.float32)
    ld, pivots = tinynn.linalg.ldl_factor(tinynn.tensor(a, device=device))
    assert ld.device == pivots.device == device
    x = tinynn.linalg.ldl_solve(ld, pivots, tinynn.tensor(b, device=device))
    np.testing.assert_allclose(a @ x.to("cpu").numpy(), b, atol=1e-4)
