"""Sparse COO tensors: coalescing, densifying, the sparse-dense product and sums against PyTorch's
torch.sparse, gradients in the values and the dense operand, a graph convolution that trains, errors."""
import functools
import itertools
import warnings

import numpy as np
import pytest

import tinynn
from tinynn.autograd import gradcheck

RNG = np.random.default_rng(13)
INDICES = np.array([[0, 1, 1, 0, 3], [2, 0, 2, 2, 1]])
VALUES = np.array([3.0, 4.0, 5.0, 1.0, -2.0])


@pytest.fixture
def quiet_torch(torch):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PyTorch's note about its sparse invariant checks
        yield torch


def test_coalesce_and_to_dense_equal_pytorchs(quiet_torch):
    torch = quiet_torch
    ours = tinynn.sparse_coo_tensor(INDICES, VALUES, (4, 3))
    theirs = torch.sparse_coo_tensor(torch.tensor(INDICES), torch.tensor(VALUES), (4, 3))
    assert ours.shape == tuple(theirs.shape) and ours._nnz() == 5 and not ours.is_coalesced()
    coalesced, reference = ours.coalesce(), theirs.coalesce()
    assert coalesced.is_coalesced() and coalesced.indices().tolist() == reference.indices().tolist()
    assert coalesced.values().tolist() == reference.values().tolist()
    np.testing.assert_array_equal(ours.to_dense().numpy(), theirs.to_dense().numpy())
    np.testing.assert_array_equal(ours.t().to_dense().numpy(), theirs.t().to_dense().numpy())
    assert tinynn.sparse_coo_tensor(INDICES, VALUES).shape == (4, 3)  # the smallest size holding them
    dense = RNG.standard_normal((3, 4)) * (RNG.random((3, 4)) < 0.5)
    assert tinynn.tensor(dense).to_sparse().indices().tolist() == torch.tensor(dense).to_sparse().indices().tolist()
    np.testing.assert_array_equal(tinynn.tensor(dense).to_sparse().to_dense().numpy(), dense)


def test_sparse_dense_product_and_its_gradients_equal_pytorchs(quiet_torch):
    torch = quiet_torch
    dense = RNG.standard_normal((3, 2))
    values, tvalues = tinynn.tensor(VALUES, requires_grad=True), torch.tensor(VALUES, requires_grad=True)
    d, td = tinynn.tensor(dense, requires_grad=True), torch.tensor(dense, requires_grad=True)
    y = tinynn.sparse.mm(tinynn.sparse_coo_tensor(INDICES, values, (4, 3)), d)
    ty = torch.sparse.mm(torch.sparse_coo_tensor(torch.tensor(INDICES), tvalues, (4, 3)), td)
    np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy(), rtol=1e-14)
    weights = RNG.standard_normal(y.shape)
    y.backward(tinynn.tensor(weights))
    ty.backward(torch.tensor(weights))
    np.testing.assert_allclose(values.grad.numpy(), tvalues.grad.numpy(), rtol=1e-13)
    np.testing.assert_allclose(d.grad.numpy(), td.grad.numpy(), rtol=1e-13)
    sparse = tinynn.sparse_coo_tensor(INDICES, VALUES, (4, 3))
    for product in (sparse @ tinynn.tensor(dense), tinynn.mm(sparse, tinynn.tensor(dense)),
                    tinynn.matmul(sparse, tinynn.tensor(dense))):
        np.testing.assert_allclose(product.numpy(), ty.detach().numpy(), rtol=1e-14)
    np.testing.assert_allclose(tinynn.sparse.mm(sparse, tinynn.tensor(dense[:, 0])).numpy(), ty.detach().numpy()[:, 0])


def test_gradients_match_finite_differences():
    dense = tinynn.tensor(RNG.standard_normal((3, 2)), requires_grad=True)
    values = tinynn.tensor(VALUES, requires_grad=True)
    assert gradcheck(lambda v, d: tinynn.sparse.mm(tinynn.sparse_coo_tensor(INDICES, v, (4, 3)), d), [values, dense])
    assert gradcheck(lambda v: tinynn.sparse_coo_tensor(INDICES, v, (4, 3)).coalesce().to_dense() ** 2, [values])
    assert gradcheck(lambda v: tinynn.sparse.sum(tinynn.sparse_coo_tensor(INDICES, v, (4, 3)), 0).to_dense(), [values])
    assert gradcheck(lambda x: x.to_sparse().to_dense() * 3, [tinynn.tensor(RNG.standard_normal((2, 3)), requires_grad=True)])


def test_sums_equal_pytorchs(quiet_torch):
    torch = quiet_torch
    ours = tinynn.sparse_coo_tensor(INDICES, VALUES, (4, 3))
    theirs = torch.sparse_coo_tensor(torch.tensor(INDICES), torch.tensor(VALUES), (4, 3))
    assert tinynn.sparse.sum(ours).item() == torch.sparse.sum(theirs).item()
    for dim in (0, 1, (0, 1)):
        mine, reference = tinynn.sparse.sum(ours, dim), torch.sparse.sum(theirs, dim)
        mine = mine.to_dense() if isinstance(mine, tinynn.sparse.SparseTensor) else mine
        reference = reference.to_dense() if reference.is_sparse else reference
        np.testing.assert_array_equal(mine.numpy(), reference.numpy())


HYBRID_INDICES = np.array([[0, 3, 0, 2]])
HYBRID_VALUES = RNG.standard_normal((4, 2, 3))


def test_hybrid_tensors_equal_pytorchs(quiet_torch):
    """Values of shape (nnz, 2, 3): a (5, 2, 3) tensor whose slices 0, 2 and 3 are stored."""
    torch = quiet_torch
    ours = tinynn.sparse_coo_tensor(HYBRID_INDICES, HYBRID_VALUES, (5, 2, 3))
    theirs = torch.sparse_coo_tensor(torch.tensor(HYBRID_INDICES), torch.tensor(HYBRID_VALUES), (5, 2, 3))
    assert (ours.sparse_dim(), ours.dense_dim()) == (theirs.sparse_dim(), theirs.dense_dim()) == (1, 2)
    assert tinynn.sparse_coo_tensor(HYBRID_INDICES, HYBRID_VALUES).shape == (4, 2, 3)  # smallest, dense sizes kept
    np.testing.assert_array_equal(ours.to_dense().numpy(), theirs.to_dense().numpy())
    coalesced, reference = ours.coalesce(), theirs.coalesce()
    assert coalesced.indices().tolist() == reference.indices().tolist()
    np.testing.assert_array_equal(coalesced.values().numpy(), reference.values().numpy())
    for dim in (0, 1, 2, (0, 2), (1, 2), (0, 1, 2)):
        mine, expected = tinynn.sparse.sum(ours, dim), torch.sparse.sum(theirs, dim)
        mine = mine.to_dense() if isinstance(mine, tinynn.sparse.SparseTensor) else mine
        expected = expected.to_dense() if expected.is_sparse else expected
        np.testing.assert_allclose(mine.numpy(), expected.numpy(), rtol=1e-13, err_msg=str(dim))  # (summation order)
    dense = RNG.standard_normal((4, 3)) * (RNG.random((4, 1)) < 0.5)
    for sparse_dim in (1, 2):
        mine, expected = tinynn.tensor(dense).to_sparse(sparse_dim), torch.tensor(dense).to_sparse(sparse_dim)
        assert mine.indices().tolist() == expected.indices().tolist() and mine.dense_dim() == expected.dense_dim()
        np.testing.assert_array_equal(mine.values().numpy(), expected.values().numpy())
    table = RNG.standard_normal((5, 2, 3))
    masked, expected = tinynn.tensor(table).sparse_mask(ours), torch.tensor(table).sparse_mask(theirs)
    assert masked.indices().tolist() == expected._indices().tolist()  # (the mask's duplicate kept, as PyTorch's)
    np.testing.assert_array_equal(masked.values().numpy(), expected._values().numpy())


def test_sparse_arithmetic_equals_pytorchs(quiet_torch):
    torch = quiet_torch
    first = tinynn.sparse_coo_tensor(HYBRID_INDICES, HYBRID_VALUES, (5, 2, 3))
    second = tinynn.sparse_coo_tensor([[4, 0]], HYBRID_VALUES[:2], (5, 2, 3))
    tfirst = torch.sparse_coo_tensor(torch.tensor(HYBRID_INDICES), torch.tensor(HYBRID_VALUES), (5, 2, 3))
    tsecond = torch.sparse_coo_tensor(torch.tensor([[4, 0]]), torch.tensor(HYBRID_VALUES[:2]), (5, 2, 3))
    total, expected = first + second, tfirst + tsecond
    assert total.is_sparse and total._nnz() == expected._nnz() == 6
    close = functools.partial(np.testing.assert_allclose, rtol=1e-14, atol=1e-15)  # (the order of summation)
    close(total.to_dense().numpy(), expected.to_dense().numpy())
    close((first - second * 2).to_dense().numpy(), (tfirst - tsecond * 2).to_dense().numpy())
    close((first / 4).to_dense().numpy(), (tfirst / 4).to_dense().numpy())
    dense = RNG.standard_normal((5, 2, 3))
    for mine, theirs in ((tinynn.tensor(dense) + first, torch.tensor(dense) + tfirst),
                         (first + tinynn.tensor(dense), tfirst.to_dense() + torch.tensor(dense)),  # (PyTorch refuses)
                         (tinynn.tensor(dense) - first, torch.tensor(dense) - tfirst)):
        assert not mine.is_sparse
        close(mine.numpy(), theirs.numpy())
    parameter = tinynn.tensor(dense)
    parameter -= 0.5 * first  # a hand-written SGD step with a sparse gradient
    close(parameter.numpy(), (torch.tensor(dense) - 0.5 * tfirst).numpy())
    copy = first.clone()
    first.zero_()
    assert first._nnz() == 0 and first.shape == (5, 2, 3) and not first.to_dense().numpy().any()
    assert copy._nnz() == 4 and copy._indices().tolist() == HYBRID_INDICES.tolist()


def test_elementwise_products_equal_pytorchs_and_differentiate(quiet_torch):
    """sparse * dense (broadcast to the sparse size) and sparse * sparse (where both store), as PyTorch's."""
    torch = quiet_torch
    ours = tinynn.sparse_coo_tensor(HYBRID_INDICES, HYBRID_VALUES, (5, 2, 3))
    theirs = torch.sparse_coo_tensor(torch.tensor(HYBRID_INDICES), torch.tensor(HYBRID_VALUES), (5, 2, 3))
    other_indices, other_values = np.array([[3, 1, 0]]), RNG.standard_normal((3, 2, 3))
    other = tinynn.sparse_coo_tensor(other_indices, other_values, (5, 2, 3))
    their_other = torch.sparse_coo_tensor(torch.tensor(other_indices), torch.tensor(other_values), (5, 2, 3))
    for shape in ((5, 2, 3), (2, 3), (3,), (5, 1, 1)):
        dense = RNG.standard_normal(shape)
        np.testing.assert_allclose((ours * tinynn.tensor(dense)).to_dense().numpy(),
                                   (theirs * torch.tensor(dense)).to_dense().numpy(), rtol=1e-14)
    product = ours * other
    assert product.is_sparse and product.indices().tolist() == [[0, 3]]  # the rows both store
    np.testing.assert_allclose(product.to_dense().numpy(), (theirs * their_other).to_dense().numpy(), rtol=1e-14)
    np.testing.assert_allclose((other * ours).to_dense().numpy(), product.to_dense().numpy(), rtol=1e-14)
    values, dense = tinynn.tensor(HYBRID_VALUES, requires_grad=True), tinynn.tensor(RNG.standard_normal((2, 3)),
                                                                                      requires_grad=True)
    assert gradcheck(lambda v, d: (tinynn.sparse_coo_tensor(HYBRID_INDICES, v, (5, 2, 3)) * d).to_dense(), [values, dense])
    assert gradcheck(lambda v: (tinynn.sparse_coo_tensor(HYBRID_INDICES, v, (5, 2, 3)) * other).to_dense(), [values])
    with pytest.raises(ValueError, match="does not broadcast to the sparse size"):
        ours * tinynn.ones(4, 3)
    with pytest.raises(ValueError, match="do not match"):
        ours * tinynn.sparse_coo_tensor([[0]], [1.0], (5,))


def test_sparse_sparse_products_equal_pytorchs_and_differentiate(quiet_torch):
    """30 random pairs of sparse matrices (duplicates, empty ones, rows and columns met by nothing):
    the product's entries and both values' gradients as PyTorch's; gradchecked."""
    torch, rng = quiet_torch, np.random.default_rng(11)

    def random_matrix(rows, columns):
        count = int(rng.integers(0, 7))
        return np.stack([rng.integers(0, rows, count), rng.integers(0, columns, count)]), rng.standard_normal(count)

    for _ in range(30):
        m, n, p = (int(s) for s in rng.integers(1, 5, 3))
        (first_indices, first_values), (second_indices, second_values) = random_matrix(m, n), random_matrix(n, p)
        ours = [tinynn.tensor(v, requires_grad=True) for v in (first_values, second_values)]
        theirs = [torch.tensor(v, requires_grad=True) for v in (first_values, second_values)]
        product = tinynn.sparse.mm(tinynn.sparse_coo_tensor(first_indices, ours[0], (m, n)),
                                   tinynn.sparse_coo_tensor(second_indices, ours[1], (n, p)))
        expected = torch.sparse.mm(torch.sparse_coo_tensor(torch.tensor(first_indices), theirs[0], (m, n)),
                                   torch.sparse_coo_tensor(torch.tensor(second_indices), theirs[1], (n, p)))
        assert product.is_sparse and product.is_coalesced() and product.shape == (m, p)
        np.testing.assert_allclose(product.to_dense().detach().numpy(), expected.to_dense().detach().numpy(), rtol=1e-14)
        weights = rng.standard_normal((m, p))
        (product.to_dense() * tinynn.tensor(weights)).sum().backward()
        (expected.to_dense() * torch.tensor(weights)).sum().backward()
        for mine, reference in zip(ours, theirs):
            np.testing.assert_allclose(mine.grad.numpy() if mine.grad is not None else 0,
                                       reference.grad.numpy() if reference.grad is not None else 0, rtol=1e-13)
    first = tinynn.tensor(VALUES, requires_grad=True)
    second = tinynn.tensor(RNG.standard_normal(4), requires_grad=True)
    assert gradcheck(lambda a, b: (tinynn.sparse_coo_tensor(INDICES, a, (4, 3))
                                   @ tinynn.sparse_coo_tensor([[0, 2, 2, 1], [1, 0, 1, 1]], b, (3, 2))).to_dense(),
                     [first, second])
    with pytest.raises(ValueError, match="do not fit"):
        tinynn.sparse.mm(tinynn.sparse_coo_tensor(INDICES, VALUES), tinynn.sparse_coo_tensor([[0], [0]], [1.0], (2, 2)))


def test_hybrid_gradients_match_finite_differences():
    values = tinynn.tensor(HYBRID_VALUES, requires_grad=True)
    assert gradcheck(lambda v: tinynn.sparse_coo_tensor(HYBRID_INDICES, v, (5, 2, 3)).coalesce().to_dense() ** 2,
                     [values])
    assert gradcheck(lambda v: tinynn.sparse.sum(tinynn.sparse_coo_tensor(HYBRID_INDICES, v, (5, 2, 3)), 2).to_dense(),
                     [values])
    table = tinynn.tensor(RNG.standard_normal((5, 2, 3)), requires_grad=True)
    mask = tinynn.sparse_coo_tensor(HYBRID_INDICES, HYBRID_VALUES, (5, 2, 3))
    assert gradcheck(lambda t: t.sparse_mask(mask).values() * 3, [table])


@pytest.mark.parametrize("function", ["softmax", "log_softmax"])
def test_sparse_softmax_equals_pytorchs_and_is_differentiable(quiet_torch, function):
    torch = quiet_torch
    cases = [(INDICES, VALUES, (4, 3), (0, 1, -1)), (HYBRID_INDICES, HYBRID_VALUES, (5, 2, 3), (0, 1, 2))]
    for indices, values, size, dims in cases:
        ours = tinynn.sparse_coo_tensor(indices, values, size)
        theirs = torch.sparse_coo_tensor(torch.tensor(indices), torch.tensor(values), size)
        for dim in dims:
            mine, expected = getattr(tinynn.sparse, function)(ours, dim), getattr(torch.sparse, function)(theirs, dim)
            expected = expected.coalesce()
            assert mine.is_coalesced() and mine.indices().tolist() == expected.indices().tolist()
            np.testing.assert_allclose(mine.values().numpy(), expected.values().numpy(), rtol=1e-13, atol=1e-15)
            leaf = tinynn.tensor(values, requires_grad=True)  # (duplicates included: summed, then the softmax)
            assert gradcheck(lambda v: getattr(tinynn.sparse, function)(
                tinynn.sparse_coo_tensor(indices, v, size), dim).values(), [leaf])


def test_addmm_and_spdiags_equal_pytorchs(quiet_torch):
    torch = quiet_torch
    dense, added = RNG.standard_normal((3, 2)), RNG.standard_normal((4, 2))
    values, d, m = (tinynn.tensor(a, requires_grad=True) for a in (VALUES, dense, added))
    tvalues, td, tm = (torch.tensor(a, requires_grad=True) for a in (VALUES, dense, added))
    ours = tinynn.sparse.addmm(m, tinynn.sparse_coo_tensor(INDICES, values, (4, 3)), d, beta=0.5, alpha=2.0)
    theirs = torch.sparse.addmm(tm, torch.sparse_coo_tensor(torch.tensor(INDICES), tvalues, (4, 3)), td, beta=0.5,
                                alpha=2.0)
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-14)
    weights = RNG.standard_normal((4, 2))
    ours.backward(tinynn.tensor(weights))
    theirs.backward(torch.tensor(weights))
    for mine, expected in ((values, tvalues), (d, td), (m, tm)):
        np.testing.assert_allclose(mine.grad.numpy(), expected.grad.numpy(), rtol=1e-13)
    # SciPy's rule: diagonals[k, j] at (j - offsets[k], j), what falls outside left out
    diagonals = np.arange(1.0, 13.0).reshape(3, 4)
    for offsets, shape in (([0, 1, -2], (4, 5)), ([0, -1, 2], (4, 4))):
        rows = diagonals[:len(offsets)]
        mine = tinynn.sparse.spdiags(tinynn.tensor(rows), tinynn.tensor(offsets), shape)
        expected = torch.sparse.spdiags(torch.tensor(rows), torch.tensor(offsets), shape)
        np.testing.assert_array_equal(mine.to_dense().numpy(), expected.to_dense().numpy())
    outside = tinynn.sparse.spdiags(tinynn.tensor(diagonals[:2]), [3, -4], (3, 3))  # (PyTorch 2.13 raises)
    assert outside._nnz() == 0 and outside.shape == (3, 3)
    # diagonals longer than the matrix is wide: PyTorch 2.13 writes outside its arrays here, so by hand
    np.testing.assert_array_equal(tinynn.sparse.spdiags(tinynn.tensor(diagonals), [0, 2, -1], (5, 3)).to_dense().numpy(),
                                  [[1, 0, 7], [9, 2, 0], [0, 10, 3], [0, 0, 11], [0, 0, 0]])
    leaf = tinynn.tensor(diagonals, requires_grad=True)
    assert gradcheck(lambda v: tinynn.sparse.spdiags(v, [0, 1, -2], (4, 5)).to_dense(), [leaf])
    with tinynn.sparse.check_sparse_tensor_invariants(enable=False):
        assert tinynn.sparse.check_sparse_tensor_invariants.is_enabled()  # tinynn always checks
        with pytest.raises(ValueError, match="non-negative"):
            tinynn.sparse_coo_tensor([[-1]], [1.0], (2,))


def test_a_graph_convolution_trains():
    """Two-layer GCN (H' = relu(A H W)) on a ring of 12 nodes labelled by their half: it fits."""
    nodes = 12
    rows = np.concatenate([np.arange(nodes)] * 3)
    cols = np.concatenate([np.arange(nodes), (np.arange(nodes) + 1) % nodes, (np.arange(nodes) - 1) % nodes])
    adjacency = tinynn.sparse_coo_tensor(np.stack([rows, cols]), np.full(3 * nodes, 1 / 3, dtype=np.float32))
    features = tinynn.tensor(np.eye(nodes, dtype=np.float32))
    labels = tinynn.tensor((np.arange(nodes) >= nodes // 2).astype(np.int64))
    tinynn.manual_seed(0)
    first, second = tinynn.nn.Linear(nodes, 8), tinynn.nn.Linear(8, 2)
    optimizer = tinynn.optim.Adam(list(first.parameters()) + list(second.parameters()), lr=0.05)
    for _ in range(150):
        optimizer.zero_grad()
        hidden = (adjacency @ first(features)).relu()
        loss = tinynn.nn.functional.cross_entropy(adjacency @ second(hidden), labels)
        loss.backward()
        optimizer.step()
    assert loss.item() < 0.1


@pytest.mark.parametrize("call, error, message", [
    (lambda: tinynn.sparse_coo_tensor([[0, 1]], [1.0]), ValueError, "expected values of shape \\(2, \\*dense sizes\\)"),
    (lambda: tinynn.sparse_coo_tensor([[0, 1]], np.ones((2, 3)), (2, 4)), ValueError, "size of at least \\(2, 3\\)"),
    (lambda: tinynn.sparse_coo_tensor(HYBRID_INDICES, HYBRID_VALUES).t(), ValueError, "2 sparse dimensions"),
    (lambda: tinynn.sparse_coo_tensor([[0, 1]], np.ones((2, 3))).mm(tinynn.ones(3, 2, dtype=tinynn.float64)),
     ValueError, "a sparse matrix of scalars"),
    (lambda: tinynn.ones(2, 3).to_sparse(3), ValueError, "sparse_dim must lie in \\[1, 2\\]"),
    (lambda: tinynn.ones(2, 3).to_sparse(0), ValueError, "sparse_dim must lie in \\[1, 2\\]"),
    (lambda: tinynn.sparse.softmax(tinynn.ones(2, 3), 0), TypeError, "expected a sparse tensor"),
    (lambda: tinynn.sparse.softmax(tinynn.sparse_coo_tensor([[0]], [1], (2,)), 0), TypeError, "floating-point values"),
    (lambda: tinynn.sparse.softmax(tinynn.sparse_coo_tensor([[0]], [1.0], (2,)), 1), IndexError, "Dimension out of range"),
    (lambda: tinynn.sparse.spdiags(tinynn.ones(2, 3), [0, 0], (3, 3)), ValueError, "2 distinct offsets"),
    (lambda: tinynn.sparse.spdiags(tinynn.ones(3), [0], (3, 3)), ValueError, "one row per diagonal"),
    (lambda: tinynn.ones(2, 3).sparse_mask(tinynn.ones(2, 3)), TypeError, "expected a sparse mask"),
    (lambda: tinynn.ones(2, 3).sparse_mask(tinynn.sparse_coo_tensor([[0]], [1.0], (4,))), ValueError, "size \\(4,\\)"),
    (lambda: tinynn.sparse_coo_tensor([[0]], [1.0], (4,)) + tinynn.sparse_coo_tensor([[0]], [1.0], (5,)), ValueError,
     "sizes \\(4,\\) and \\(5,\\)"),
    (lambda: tinynn.sparse_coo_tensor([[0, 5]], [1.0, 2.0], (3,)), ValueError, "size of at least \\(6,\\)"),
    (lambda: tinynn.sparse_coo_tensor([[0, -1]], [1.0, 2.0]), ValueError, "non-negative"),
    (lambda: tinynn.sparse_coo_tensor([0, 1], [1.0, 2.0]), ValueError, "shape \\(sparse_dim, nnz\\)"),
    (lambda: tinynn.sparse.mm(tinynn.sparse_coo_tensor(INDICES, VALUES), tinynn.ones(2, 2, dtype=tinynn.float64)),
     ValueError, "do not fit"),
    (lambda: tinynn.sparse.mm(tinynn.ones(2, 2), tinynn.ones(2, 2)), TypeError, "expected a sparse matrix first"),
    (lambda: tinynn.sparse.mm(tinynn.sparse_coo_tensor(INDICES, VALUES), tinynn.ones(3, 2)), TypeError,
     "dtypes differ"),
])
def test_bad_input_is_named(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_every_device_agrees_with_the_cpu(device):
    dense = RNG.standard_normal((3, 2)).astype(np.float32)
    results = {}
    for where in ("cpu", device):
        values = tinynn.tensor(VALUES.astype(np.float32), device=where, requires_grad=True)
        d = tinynn.tensor(dense, device=where, requires_grad=True)
        sparse = tinynn.sparse_coo_tensor(INDICES, values, (4, 3))
        (tinynn.sparse.mm(sparse.coalesce(), d) ** 2).sum().backward()
        results[where] = (values.grad.to("cpu").numpy(), d.grad.to("cpu").numpy())
    for mine, reference in zip(results[device], results["cpu"]):
        np.testing.assert_allclose(mine, reference, rtol=1e-5)
    hybrid = {where: tinynn.sparse_coo_tensor(HYBRID_INDICES, HYBRID_VALUES, (5, 2, 3), device=where)
              for where in ("cpu", device)}
    for combined in (lambda s: (s + s).coalesce().to_dense(), lambda s: tinynn.sparse.sum(s, (0, 2)).to_dense(),
                     lambda s: tinynn.ones(5, 2, 3, dtype=tinynn.float64, device=s.device).sparse_mask(s).to_dense(),
                     lambda s: tinynn.sparse.log_softmax(s, 0).to_dense(), lambda s: tinynn.sparse.softmax(s, 2).to_dense(),
                     lambda s: (s * s).to_dense(), lambda s: (s * tinynn.full((2, 3), 2.0, dtype=tinynn.float64,
                                                                              device=s.device)).to_dense()):
        np.testing.assert_allclose(combined(hybrid[device]).to("cpu").numpy(), combined(hybrid["cpu"]).numpy(),
                                   rtol=1e-14)
    if device != "cpu":
        with pytest.raises(RuntimeError, match=f"the operands are on cpu and {device}"):
            hybrid["cpu"] + hybrid[device]


def _random_sparse(rng, torch):
    """A random COO tensor (1 to 3 sparse dimensions, up to 2 dense ones, duplicates likely) in both libraries."""
    sparse_dim = int(rng.integers(1, 4))
    dense_dim = min(int(rng.integers(0, 3)), 4 - sparse_dim)
    sizes = tuple(int(s) for s in rng.integers(1, 5, sparse_dim + dense_dim))
    nnz = int(rng.integers(0, 8))
    indices = np.stack([rng.integers(0, sizes[d], nnz) for d in range(sparse_dim)]).reshape(sparse_dim, nnz)
    values = rng.standard_normal((nnz,) + sizes[sparse_dim:])
    return (tinynn.sparse_coo_tensor(indices, values, sizes),
            torch.sparse_coo_tensor(torch.tensor(indices, dtype=torch.int64), torch.tensor(values), sizes))


def test_random_sparse_tensors_agree_with_pytorchs_everywhere(quiet_torch):
    """60 random hybrid tensors: dense forms, coalescing, sums over every set of dimensions, softmax and
    log_softmax along each, to_sparse of every sparse_dim, sparse_mask, CSR and the product."""
    torch, rng = quiet_torch, np.random.default_rng(7)

    def same(ours, theirs):
        np.testing.assert_allclose(np.asarray(ours), np.asarray(theirs), rtol=1e-12, atol=1e-12)

    def dense(value):
        return value.to_dense() if getattr(value, "is_sparse", False) else value

    for _ in range(60):
        ours, theirs = _random_sparse(rng, torch)
        same(ours.to_dense().numpy(), theirs.to_dense().numpy())
        coalesced, expected = ours.coalesce(), theirs.coalesce()
        assert coalesced.indices().tolist() == expected.indices().tolist()
        same(coalesced.values().numpy(), expected.values().numpy())
        for count in range(1, ours.ndim):
            for dims in itertools.combinations(range(ours.ndim), count):
                same(dense(tinynn.sparse.sum(ours, dims)).numpy(), dense(torch.sparse.sum(theirs, dims)).numpy())
        for dim in range(ours.ndim if ours._nnz() else 0):
            for name in ("softmax", "log_softmax"):
                same(getattr(tinynn.sparse, name)(ours, dim).to_dense().numpy(),
                     getattr(torch.sparse, name)(theirs, dim).to_dense().numpy())
        table = rng.standard_normal(ours.shape) * (rng.random(ours.shape) < 0.5)
        for sparse_dim in range(1, ours.ndim + 1):
            mine, reference = tinynn.tensor(table).to_sparse(sparse_dim), torch.tensor(table).to_sparse(sparse_dim)
            assert mine.indices().tolist() == reference.indices().tolist()
            same(mine.values().numpy(), reference.values().numpy())
        same(tinynn.tensor(table).sparse_mask(coalesced).to_dense().numpy(),
             torch.tensor(table).sparse_mask(expected).to_dense().numpy())
        if ours.sparse_dim() == 2:
            csr, their_csr = ours.to_sparse_csr(), theirs.to_sparse_csr()
            assert csr.crow_indices().tolist() == their_csr.crow_indices().tolist()
            assert csr.col_indices().tolist() == their_csr.col_indices().tolist()
            if ours.dense_dim() == 0:
                right = rng.standard_normal((ours.shape[1], 3))
                same((csr @ tinynn.tensor(right)).numpy(), (their_csr @ torch.tensor(right)).numpy())
                same((ours @ tinynn.tensor(right)).numpy(), (theirs @ torch.tensor(right)).numpy())


def test_sparse_sparse_products_on_every_device(device):
    results = {}
    for where in ("cpu", device):
        values = tinynn.tensor(VALUES, device=where, requires_grad=True)
        first = tinynn.sparse_coo_tensor(INDICES, values, (4, 3))
        second = tinynn.sparse_coo_tensor([[0, 2, 2, 1], [1, 0, 1, 1]], [1.0, 2.0, 3.0, 4.0], (3, 2),
                                          dtype=tinynn.float64, device=where)
        product = first @ second
        (product.to_dense() ** 2).sum().backward()
        results[where] = (product.to_dense().to("cpu").numpy(), values.grad.to("cpu").numpy())
    for mine, reference in zip(results[device], results["cpu"]):
        np.testing.assert_allclose(mine, reference, rtol=1e-14)
