"""svd_lowrank and pca_lowrank: exact on matrices of rank at most q (both orientations, batched,
with M subtracted implicitly), the principal directions of centred data, gradients that equal the
exact SVD's, every device, and PyTorch's singular values where the answer does not depend on the
random draw."""
import numpy as np
import pytest

import tinynn
from tinynn.autograd import gradcheck
from helpers import assert_close


def low_rank(rng, shape, rank):
    return rng.standard_normal(shape[:-1] + (rank,)) @ rng.standard_normal(shape[:-2] + (rank, shape[-1]))


@pytest.mark.parametrize("shape", [(30, 20), (20, 30), (2, 3, 12, 9)], ids=["tall", "wide", "batched"])
def test_exact_for_a_matrix_of_rank_at_most_q(rng, device, shape):
    A = low_rank(rng, shape, 4)
    U, S, V = tinynn.svd_lowrank(tinynn.tensor(A, device=device), q=6)
    q = 6
    assert U.shape == shape[:-1] + (q,) and S.shape == shape[:-2] + (q,) and V.shape == shape[:-2] + (shape[-1], q)
    assert U.device == device
    reconstruction = (U * S.unsqueeze(-2)) @ V.mT
    assert_close(reconstruction, A, rtol=1e-10, atol=1e-10, what="U diag(S) V^T")
    assert_close(S[..., :4], np.linalg.svd(A, compute_uv=False)[..., :4], rtol=1e-10, atol=1e-10, what="S")
    assert_close(U.mT @ U, np.broadcast_to(np.eye(q), shape[:-2] + (q, q)), rtol=1e-10, atol=1e-10, what="U^T U")


def test_m_is_subtracted_without_forming_a_minus_m(rng):
    A = low_rank(rng, (15, 10), 3)
    mean = rng.standard_normal((1, 10))
    U, S, V = tinynn.svd_lowrank(tinynn.tensor(A + mean), q=5, M=tinynn.tensor(mean))
    assert_close((U * S) @ V.mT, A, rtol=1e-10, atol=1e-10, what="(A + mean) - mean")


def test_pca_finds_the_principal_directions_of_centred_data(rng):
    rotation = np.linalg.qr(rng.standard_normal((5, 5)))[0]
    data = (rng.standard_normal((200, 5)) * [100.0, 30.0, 10.0, 0.01, 0.001]) @ rotation.T + 7.0
    U, S, V = tinynn.pca_lowrank(tinynn.tensor(data), q=3, niter=3)
    centred = data - data.mean(0)
    _, exact_s, exact_vh = np.linalg.svd(centred, full_matrices=False)
    assert_close(S, exact_s[:3], rtol=1e-8, atol=1e-8, what="singular values")
    assert_close(np.abs(V.numpy()), np.abs(exact_vh[:3].T), rtol=1e-6, atol=1e-6, what="principal directions")
    assert_close(U * S, centred @ V.numpy(), rtol=1e-8, atol=1e-8, what="coordinates")
    uncentred = tinynn.pca_lowrank(tinynn.tensor(data), q=3, center=False)[1]
    assert uncentred[0].item() > S[0].item()  # the mean, 7 in every coordinate, is a direction of its own
    assert tinynn.pca_lowrank(tinynn.tensor(data[:4, :3]))[1].shape == (3,)  # q = min(6, m, n)


def test_gradient_equals_the_exact_svds(rng):
    """d(sum S)/dA = U V^T for a full-rank A, whatever the random basis."""
    A = tinynn.tensor(rng.standard_normal((7, 4)), requires_grad=True)
    tinynn.svd_lowrank(A, q=4)[1].sum().backward()
    u, _, vh = np.linalg.svd(A.numpy(), full_matrices=False)
    assert_close(A.grad, u @ vh, rtol=1e-8, atol=1e-10, what="d(sum S)/dA")

    def top_two(A):
        tinynn.manual_seed(0)  # the same random basis at every evaluation
        U, S, V = tinynn.svd_lowrank(A, q=4)
        return S[:2] * 2 + (U[:, :1] * V[:1, :1]).sum()
    gradcheck(top_two, (tinynn.tensor(rng.standard_normal((6, 4)), requires_grad=True),))


@pytest.mark.parametrize("shape", [(14, 9), (9, 14)], ids=["tall", "wide"])
def test_complex_matrices_with_conjugate_transposes(torch, rng, shape):
    A = low_rank(rng, shape, 3) + 1j * low_rank(rng, shape, 3)  # rank at most 6
    U, S, V = tinynn.svd_lowrank(tinynn.tensor(A), q=6)
    assert U.dtype == V.dtype == np.complex128 and S.dtype == np.float64
    assert_close((U * S.unsqueeze(-2)) @ V.mH, A, rtol=1e-10, atol=1e-10, what="U diag(S) V^H")
    assert_close(S, torch.linalg.svdvals(torch.tensor(A))[:6], rtol=1e-10, atol=1e-10, what="S")
    assert_close(tinynn.pca_lowrank(tinynn.tensor(A), q=6)[1], torch.pca_lowrank(torch.tensor(A), q=6)[1], rtol=1e-9,
                 atol=1e-9, what="PCA S")
    full_rank = tinynn.tensor(rng.standard_normal((6, 4)) + 1j * rng.standard_normal((6, 4)), requires_grad=True)
    tinynn.svd_lowrank(full_rank, q=4)[1].sum().backward()
    u, _, vh = np.linalg.svd(full_rank.detach().numpy(), full_matrices=False)
    assert_close(full_rank.grad, u @ vh, rtol=1e-8, atol=1e-10, what="d(sum S)/dA = U V^H")

    def singular_values(A):
        tinynn.manual_seed(0)
        return tinynn.svd_lowrank(A, q=4)[1]
    assert gradcheck(singular_values, (tinynn.tensor(full_rank.detach().numpy(), requires_grad=True),))


def test_singular_values_equal_torchs(torch, rng):
    A = low_rank(rng, (3, 16, 11), 5)
    ours = tinynn.svd_lowrank(tinynn.tensor(A), q=7, niter=1)[1]
    theirs = torch.svd_lowrank(torch.tensor(A), q=7, niter=1)[1]
    assert_close(ours[..., :5], theirs[..., :5], rtol=1e-10, atol=1e-10, what="S")
    ours = tinynn.pca_lowrank(tinynn.tensor(A[0]), q=5)[1]
    theirs = torch.pca_lowrank(torch.tensor(A[0]), q=5)[1]
    assert_close(ours, theirs, rtol=1e-9, atol=1e-9, what="PCA S")


def test_bad_arguments_are_named():
    A = tinynn.ones(5, 4)
    with pytest.raises(ValueError, match=r"svd_lowrank: q=5 is more than min\(m, n\) = 4"):
        tinynn.svd_lowrank(A, q=5)
    with pytest.raises(ValueError, match=r"svd_lowrank: expected A of shape \(..., m, n\), got shape \(4,\)"):
        tinynn.svd_lowrank(tinynn.ones(4))
    with pytest.raises(TypeError, match="svd_lowrank: expected a floating-point or complex A, got int64"):
        tinynn.svd_lowrank(tinynn.tensor([[1, 2], [3, 4]]), q=1)
    with pytest.raises(ValueError, match="pca_lowrank: niter must be a non-negative integer, got -1"):
        tinynn.pca_lowrank(A, niter=-1)
    with pytest.raises(ValueError, match=r"pca_lowrank: q must be in \[0, min\(m, n\)\] = \[0, 4\], got 9"):
        tinynn.pca_lowrank(A, q=9)
