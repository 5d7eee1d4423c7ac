"""Linear algebra with complex numbers: inv, det, slogdet, solve, matrix_exp of complex matrices
(gradients with conjugate transposes), and eig / eigvals of general real or complex matrices: values
and gradients against finite differences and PyTorch, and the refusals."""
import numpy as np
import pytest

import tinynn
from tinynn.autograd import gradcheck, gradgradcheck

RNG = np.random.default_rng(21)


def matrices(shape, complex_values):
    values = RNG.standard_normal(shape)
    return values + 1j * RNG.standard_normal(shape) if complex_values else values


def invariant_loss(module, a):
    """Independent of the eigenvalues' order and of each eigenvector's phase."""
    eigenvalues, eigenvectors = module.linalg.eig(a)
    return ((eigenvalues * eigenvalues).real.sum(-1) + (eigenvalues.abs() ** 3).sum(-1)
            + ((eigenvectors.abs() ** 4) * eigenvalues.real[..., None, :]).sum((-1, -2)))


@pytest.mark.parametrize("complex_values", [False, True])
@pytest.mark.parametrize("shape", [(4, 4), (3, 5, 5), (1, 1)])
def test_factorization_reconstructs_the_matrix(shape, complex_values):
    a = tinynn.tensor(matrices(shape, complex_values))
    eigenvalues, eigenvectors = tinynn.linalg.eig(a)
    assert eigenvalues.dtype == eigenvectors.dtype == np.complex128
    v, w = eigenvectors.numpy(), eigenvalues.numpy()
    np.testing.assert_allclose(a.numpy() @ v, v * w[..., None, :], atol=1e-12)
    np.testing.assert_allclose(np.linalg.norm(v, axis=-2), 1, rtol=1e-12)
    np.testing.assert_array_equal(tinynn.linalg.eigvals(a).numpy(), w)
    single = a.to(tinynn.complex64) if complex_values else a.float()
    assert tinynn.linalg.eig(single).eigenvalues.dtype == np.complex64


@pytest.mark.parametrize("complex_values", [False, True])
def test_gradients_equal_pytorchs_and_finite_differences(torch, complex_values):
    values = matrices((2, 4, 4), complex_values)
    ours, theirs = tinynn.tensor(values, requires_grad=True), torch.tensor(values, requires_grad=True)
    y, ty = invariant_loss(tinynn, ours), invariant_loss(torch, theirs)
    np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy(), rtol=1e-10)
    y.sum().backward()
    ty.sum().backward()
    assert ours.grad.dtype == ours.dtype
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-9, atol=1e-10)
    assert gradcheck(lambda a: invariant_loss(tinynn, a), [tinynn.tensor(values, requires_grad=True)])
    assert gradcheck(lambda a: tinynn.linalg.eigvals(a).sum(-1), [tinynn.tensor(values, requires_grad=True)])


def test_a_loss_depending_on_the_eigenvectors_phase_is_refused():
    a = tinynn.tensor(np.array([[0.0, -1.0], [1.0, 0.0]]), requires_grad=True)  # eigenvalues +-i
    _, eigenvectors = tinynn.linalg.eig(a)
    with pytest.raises(RuntimeError, match="up to a phase"):
        eigenvectors.real.sum().backward()


@pytest.mark.parametrize("call, error, message", [
    (lambda: tinynn.linalg.eig(tinynn.ones(2, 3)), ValueError, "expected square matrices"),
    (lambda: tinynn.linalg.eig(tinynn.ones(3)), ValueError, "expected matrices"),
    (lambda: tinynn.linalg.eig(tinynn.ones(2, 2, dtype=tinynn.int64)), TypeError, "floating-point or complex"),
])
def test_bad_input_is_named(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_every_device_agrees_with_the_cpu(device):
    values = matrices((3, 3), False).astype(np.float32)
    results = {}
    for where in ("cpu", device):
        a = tinynn.tensor(values, device=where, requires_grad=True)
        loss = invariant_loss(tinynn, a)
        loss.backward()
        results[where] = (loss.item(), a.grad.to("cpu").numpy())
    np.testing.assert_allclose(results[device][0], results["cpu"][0], rtol=1e-4)
    np.testing.assert_allclose(results[device][1], results["cpu"][1], rtol=1e-3, atol=1e-3)


COMPLEX_CASES = {
    "inv": lambda m, a, b: m.linalg.inv(a),
    "det": lambda m, a, b: m.linalg.det(a),
    "slogdet": lambda m, a, b: m.linalg.slogdet(a)[1],
    "slogdet sign": lambda m, a, b: m.linalg.slogdet(a)[0],
    "logdet": lambda m, a, b: m.logdet(a),
    "solve": lambda m, a, b: m.linalg.solve(a, b),
    "solve on the right": lambda m, a, b: m.linalg.solve(a, b.mT.resolve_conj() if hasattr(b, "resolve_conj") else b.mT,
                                                         left=False),
    "matrix_exp": lambda m, a, b: m.linalg.matrix_exp(a * 0.5),
}


@pytest.mark.parametrize("name", sorted(COMPLEX_CASES))
def test_complex_matrices_equal_pytorchs_with_gradients(torch, name):
    function = COMPLEX_CASES[name]
    a_values, b_values = matrices((2, 3, 3), True), matrices((2, 3, 2), True)
    a, b = tinynn.tensor(a_values, requires_grad=True), tinynn.tensor(b_values, requires_grad=True)
    ta, tb = torch.tensor(a_values, requires_grad=True), torch.tensor(b_values, requires_grad=True)
    y, ty = function(tinynn, a, b), function(torch, ta, tb)
    np.testing.assert_allclose(y.detach().numpy(), ty.detach().resolve_conj().numpy(), rtol=1e-11, atol=1e-12)
    weights = matrices(y.shape, y.dtype.kind == "c")
    y.backward(tinynn.tensor(weights))
    ty.backward(torch.tensor(weights))
    np.testing.assert_allclose(a.grad.numpy(), ta.grad.numpy(), rtol=1e-10, atol=1e-12)
    if tb.grad is not None:
        np.testing.assert_allclose(b.grad.numpy(), tb.grad.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", sorted(COMPLEX_CASES))
def test_complex_matrix_gradients_match_finite_differences(name):
    function = COMPLEX_CASES[name]
    inputs = [tinynn.tensor(matrices((2, 3, 3), True), requires_grad=True),
              tinynn.tensor(matrices((2, 3, 2), True), requires_grad=True)]
    assert gradcheck(lambda a, b: function(tinynn, a, b), inputs)
    assert gradgradcheck(lambda a, b: function(tinynn, a, b), inputs)


def assert_loss_and_gradient_equal_pytorchs(torch, loss, values, atol):
    """loss(module, x) of the same complex values in tinynn and PyTorch: the values, and the gradients."""
    ours, theirs = tinynn.tensor(values, requires_grad=True), torch.tensor(values, requires_grad=True)
    y, ty = loss(tinynn, ours), loss(torch, theirs)
    np.testing.assert_allclose(y.item(), ty.item(), rtol=1e-12)
    y.backward()
    ty.backward()
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-10, atol=atol)


def _hermitian_cholesky_loss(module, x):
    a = x @ x.mT.conj() + 4 * module.eye(4)
    lower = module.linalg.cholesky(a)
    return (lower.abs() ** 2 * module.arange(16.0).reshape(4, 4)).sum() + lower.real.sum()


def _hermitian_eigh_loss(module, x):
    eigenvalues, eigenvectors = module.linalg.eigh(x + x.mT.conj())
    return (eigenvalues ** 3).sum() + ((eigenvectors.abs() ** 4) * eigenvalues[..., None, :]).sum()


@pytest.mark.parametrize("loss", [_hermitian_cholesky_loss, _hermitian_eigh_loss], ids=["cholesky", "eigh"])
def test_hermitian_factorizations_equal_pytorchs(torch, loss):
    values = matrices((2, 4, 4), True)
    assert_loss_and_gradient_equal_pytorchs(torch, loss, values, atol=1e-10)
    assert gradcheck(lambda x: loss(tinynn, x), [tinynn.tensor(values, requires_grad=True)])
    assert gradgradcheck(lambda x: loss(tinynn, x), [tinynn.tensor(values[0], requires_grad=True)])


def test_hermitian_eigh_gives_real_eigenvalues_and_refuses_phase_dependent_losses():
    values = matrices((3, 3), True)
    a = tinynn.tensor(values + values.conj().T, requires_grad=True)
    eigenvalues, eigenvectors = tinynn.linalg.eigh(a)
    assert eigenvalues.dtype == np.float64 and eigenvectors.dtype == np.complex128
    np.testing.assert_allclose(a.detach().numpy() @ eigenvectors.detach().numpy(),
                               eigenvectors.detach().numpy() * eigenvalues.detach().numpy(), atol=1e-12)
    with pytest.raises(RuntimeError, match="eigh backward: the eigenvectors are determined only up to a phase"):
        eigenvectors.imag.sum().backward()
    upper = tinynn.linalg.cholesky(tinynn.tensor(values @ values.conj().T + np.eye(3)), upper=True)
    np.testing.assert_allclose(upper.numpy().conj().T @ upper.numpy(), values @ values.conj().T + np.eye(3), atol=1e-12)


@pytest.mark.parametrize("shape", [(2, 5, 3), (3, 3), (3, 5)], ids=["tall", "square", "wide"])
def test_complex_qr_equals_pytorchs(torch, shape):
    def loss(module, x):
        q, r = module.linalg.qr(x)
        weights_q = module.arange(float(q.numel())).reshape(q.shape)
        weights_r = module.arange(float(r.numel())).reshape(r.shape)
        return (q.abs() ** 2 * weights_q).sum() + (r * weights_r).real.sum() + (r.abs() ** 3).sum()

    values = matrices(shape, True)
    assert_loss_and_gradient_equal_pytorchs(torch, loss, values, atol=1e-11)
    assert gradcheck(lambda x: loss(tinynn, x), [tinynn.tensor(values, requires_grad=True)])
    assert gradgradcheck(lambda x: tinynn.linalg.qr(x).R, [tinynn.tensor(values, requires_grad=True)])


def test_complex_svd_equals_pytorchs_and_refuses_phase_dependent_losses(torch):
    def loss(module, x):
        u, s, vh = module.linalg.svd(x, full_matrices=False)
        rebuilt = (u * s[..., None, :]) @ vh
        return ((u.abs() ** 2 * module.arange(float(u.numel())).reshape(u.shape)).sum() + (s ** 2).sum()
                + (vh.abs() ** 4).sum() + (rebuilt * rebuilt.conj()).real.sum())

    for shape in [(2, 5, 3), (3, 3), (3, 5)]:
        values = matrices(shape, True)
        assert_loss_and_gradient_equal_pytorchs(torch, loss, values, atol=1e-11)
        assert gradcheck(lambda x: loss(tinynn, x), [tinynn.tensor(values, requires_grad=True)])
    assert tinynn.linalg.svd(tinynn.tensor(values)).S.dtype == np.float64
    u, _, _ = tinynn.linalg.svd(tinynn.tensor(values, requires_grad=True), full_matrices=False)
    with pytest.raises(RuntimeError, match="svd backward: the singular vectors are determined only up to a phase"):
        u.real.sum().backward()


def test_conjugate_transposes_and_vecdot_equal_pytorchs(torch):
    values = matrices((2, 3), True)
    ours, theirs = tinynn.tensor(values), torch.tensor(values)
    for name in ("mH", "adjoint"):
        mine = getattr(ours, name)
        reference = getattr(theirs, name)
        mine = mine() if callable(mine) else mine
        reference = reference() if callable(reference) else reference
        np.testing.assert_array_equal(mine.numpy(), reference.resolve_conj().numpy())
    np.testing.assert_array_equal(ours[0:2, 0:2].H.numpy(), theirs[0:2, 0:2].H.resolve_conj().numpy())
    np.testing.assert_allclose(tinynn.linalg.vecdot(ours, ours * 2j).numpy(),
                               torch.linalg.vecdot(theirs, theirs * 2j).numpy(), rtol=1e-14)
    u, s, v = ours.svd()
    np.testing.assert_allclose(((u * s[None]) @ v.mH).numpy(), values, atol=1e-12)


def test_singular_complex_matrices_have_sign_zero_and_logdet_minus_infinity(torch):
    singular = np.array([[1 + 1j, 2 - 1j], [2 + 2j, 4 - 2j]])  # row 1 = 2 row 0
    sign, logabsdet = tinynn.linalg.slogdet(tinynn.tensor(singular))
    reference = torch.linalg.slogdet(torch.tensor(singular))
    assert sign.item() == reference.sign.item() == 0 and logabsdet.item() == reference.logabsdet.item() == -np.inf
    ours, theirs = tinynn.logdet(tinynn.tensor(singular)).item(), torch.logdet(torch.tensor(singular)).item()
    assert ours.real == theirs.real == -np.inf and np.isnan(ours.imag) and np.isnan(theirs.imag)
