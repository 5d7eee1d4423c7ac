"""Sparse CSR matrices (tinynn/csr.py) against PyTorch's: the layout of the same entries, the
product, conversions both ways and to hybrid values, gradients in the values, checkpoints both ways,
assert_close, bad input named, every device."""
import warnings

import numpy as np
import pytest

import tinynn
from tinynn.autograd import gradcheck
from tinynn.testing import assert_close

RNG = np.random.default_rng(5)
MATRIX = np.array([[0.0, 1.5, 0.0], [2.0, 0.0, -3.0], [0.0, 0.0, 0.0], [4.0, 5.0, 0.0]])


@pytest.fixture
def quiet_torch(torch):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PyTorch's notes on its sparse invariant checks and beta CSR support
        yield torch


def test_the_layout_and_the_product_are_pytorchs(quiet_torch):
    torch = quiet_torch
    ours, theirs = tinynn.tensor(MATRIX).to_sparse_csr(), torch.tensor(MATRIX).to_sparse_csr()
    assert ours.layout is tinynn.sparse_csr and ours.is_sparse_csr and not ours.is_sparse
    assert ours.shape == tuple(theirs.shape) and ours._nnz() == theirs._nnz() == 5
    assert ours.crow_indices().tolist() == theirs.crow_indices().tolist() == [0, 1, 3, 3, 5]
    assert ours.col_indices().tolist() == theirs.col_indices().tolist()
    np.testing.assert_array_equal(ours.values().numpy(), theirs.values().numpy())
    dense = RNG.standard_normal((3, 2))
    for product in (ours @ tinynn.tensor(dense), tinynn.mm(ours, tinynn.tensor(dense)),
                    tinynn.sparse.mm(ours, tinynn.tensor(dense)), tinynn.matmul(ours, tinynn.tensor(dense))):
        np.testing.assert_allclose(product.numpy(), (theirs @ torch.tensor(dense)).numpy(), rtol=1e-14)
    coo, their_coo = ours.to_sparse_coo(), theirs.to_sparse_coo()
    assert coo.is_coalesced() and coo.indices().tolist() == their_coo.indices().tolist()
    back = coo.to_sparse_csr()
    assert back.crow_indices().tolist() == ours.crow_indices().tolist()
    np.testing.assert_array_equal(ours.to_dense().numpy(), MATRIX)
    assert ours.sum().item() == theirs.sum().item() and (ours * 2).values().tolist() == (theirs * 2).values().tolist()
    np.testing.assert_array_equal((tinynn.tensor(MATRIX) + ours).numpy(), 2 * MATRIX)  # with a dense one: dense
    # hybrid: whole (2,) slices stored per entry
    block = np.stack([MATRIX, -MATRIX], axis=-1)
    mine, expected = tinynn.tensor(block).to_sparse_csr(dense_dim=1), torch.tensor(block).to_sparse_csr(dense_dim=1)
    assert mine.dense_dim() == expected.dense_dim() == 1 and mine.values().shape == tuple(expected.values().shape)
    assert mine.crow_indices().tolist() == expected.crow_indices().tolist()
    np.testing.assert_array_equal(mine.to_dense().numpy(), block)


def test_a_matrix_built_from_its_indices_is_pytorchs_and_differentiable(quiet_torch):
    torch = quiet_torch
    crow, col, values = [0, 2, 2, 4], [0, 2, 1, 2], RNG.standard_normal(4)
    leaf, their_leaf = tinynn.tensor(values, requires_grad=True), torch.tensor(values, requires_grad=True)
    ours = tinynn.sparse_csr_tensor(crow, col, leaf, (3, 3))
    theirs = torch.sparse_csr_tensor(torch.tensor(crow), torch.tensor(col), their_leaf, (3, 3))
    np.testing.assert_array_equal(ours.to_dense().detach().numpy(), theirs.to_dense().detach().numpy())
    assert tinynn.sparse_csr_tensor(crow, col, values).shape == (3, 3)  # the smallest size holding the entries
    dense, weights = RNG.standard_normal((3, 2)), RNG.standard_normal((3, 2))
    (ours @ tinynn.tensor(dense)).backward(tinynn.tensor(weights))
    (theirs @ torch.tensor(dense)).backward(torch.tensor(weights))
    np.testing.assert_allclose(leaf.grad.numpy(), their_leaf.grad.numpy(), rtol=1e-14)
    assert gradcheck(lambda v: tinynn.sparse_csr_tensor(crow, col, v, (3, 3)).to_dense() ** 2, [leaf])
    # (no zeros: an entry that is not stored gets no gradient, PyTorch's masked rule, where the
    # finite difference of a zero would see it become stored)
    assert gradcheck(lambda m: m.to_sparse_csr().to_dense() * 3, [tinynn.tensor(RNG.standard_normal((4, 3)),
                                                                                 requires_grad=True)])
    matrix, their_matrix = tinynn.tensor(MATRIX, requires_grad=True), torch.tensor(MATRIX, requires_grad=True)
    scale = RNG.standard_normal((4, 3))
    (matrix.to_sparse_csr().to_dense() * tinynn.tensor(scale)).sum().backward()
    (their_matrix.to_sparse_csr().to_dense() * torch.tensor(scale)).sum().backward()
    np.testing.assert_array_equal(matrix.grad.numpy(), their_matrix.grad.numpy())


@pytest.mark.filterwarnings("ignore")  # (PyTorch's notes on sparse invariant checks)
def test_checkpoints_and_assert_close_take_csr_matrices(torch, tmp_path, device):
    ours = tinynn.tensor(MATRIX, device=device).to_sparse_csr()
    tinynn.save({"adjacency": ours}, tmp_path / "ours.pt")
    theirs = torch.load(tmp_path / "ours.pt", weights_only=True)["adjacency"]
    assert theirs.layout == torch.sparse_csr and theirs.to_dense().tolist() == MATRIX.tolist()
    torch.save({"adjacency": theirs}, tmp_path / "theirs.pt")
    back = tinynn.load(tmp_path / "theirs.pt", map_location=device)["adjacency"]
    assert back.device == tinynn.device(device)
    assert_close(back, ours)
    tinynn.save([ours], tmp_path / "own.npz")
    assert_close(tinynn.load(tmp_path / "own.npz", map_location=device)[0], ours)
    other = MATRIX.copy()
    other[1, 2] = 3.5
    with pytest.raises(AssertionError, match="Sparse CSR values are not close"):
        assert_close(ours, tinynn.tensor(other, device=device).to_sparse_csr())
    with pytest.raises(AssertionError, match="'layout' do not match: tinynn.sparse_csr != tinynn.sparse_coo"):
        assert_close(ours, ours.to_sparse_coo())
    assert_close(ours, tinynn.tensor(MATRIX, device=device), check_layout=False)


def test_every_device_agrees_with_the_cpu(device):
    dense = RNG.standard_normal((3, 2))
    results = {}
    for where in ("cpu", device):
        matrix = tinynn.tensor(MATRIX, device=where, requires_grad=True)
        d = tinynn.tensor(dense, device=where, requires_grad=True)
        (matrix.to_sparse_csr() @ d).pow(2).sum().backward()
        results[where] = (matrix.grad.to("cpu").numpy(), d.grad.to("cpu").numpy())
    for mine, reference in zip(results[device], results["cpu"]):
        np.testing.assert_allclose(mine, reference, rtol=1e-13)


@pytest.mark.parametrize("call, error, message", [
    (lambda: tinynn.sparse_csr_tensor([0, 2, 1], [0, 1], [1.0, 2.0]), ValueError, "must start at 0, not decrease"),
    (lambda: tinynn.sparse_csr_tensor([0, 1, 3], [0, 1], [1.0, 2.0]), ValueError, "end at nnz = 2"),
    (lambda: tinynn.sparse_csr_tensor([0, 1, 2], [0, 1], [1.0]), ValueError, "expected values of shape \\(2,"),
    (lambda: tinynn.sparse_csr_tensor([0, 1, 2], [0, -1], [1.0, 2.0]), ValueError, "non-negative"),
    (lambda: tinynn.sparse_csr_tensor([0, 1, 2], [0, 4], [1.0, 2.0], (2, 3)), ValueError, "do not fit size \\(2, 3\\)"),
    (lambda: tinynn.sparse_csr_tensor([[0, 1]], [0], [1.0]), ValueError, "no batch dimensions"),
    (lambda: tinynn.ones(2, 3, 4).to_sparse_csr(), ValueError, "expected a matrix"),
    (lambda: tinynn.sparse_coo_tensor([[0, 1]], [1.0, 2.0], (3,)).to_sparse_csr(), ValueError, "two sparse dimensions"),
    (lambda: tinynn.tensor(MATRIX).to_sparse_csr().t(), ValueError, "CSC"),
    (lambda: tinynn.tensor(MATRIX).to_sparse_csr() * tinynn.ones(4, 3), TypeError, "by a number"),
])
def test_bad_input_is_named(call, error, message):
    with pytest.raises(error, match=message):
        call()
