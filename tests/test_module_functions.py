"""PyTorch's remaining module-level functions: the window functions, torch.range, unravel_index,
gradient, rsub/fill/scalar_tensor, the old names (trapz, chain_matmul, frobenius/nuclear norms),
nn.functional's functions under their torch.<name> (embedding with its own argument order), the
in-place torch.<name>_ functions, and set_printoptions: each compared with PyTorch."""
import warnings

import numpy as np
import pytest

import tinynn
from helpers import assert_close

# PyTorch warns that some of its old names (the oracles here) are deprecated
pytestmark = pytest.mark.filterwarnings("ignore:.*deprecated:UserWarning")


@pytest.mark.parametrize("name", ["hann_window", "hamming_window", "blackman_window", "bartlett_window",
                                  "kaiser_window"])
@pytest.mark.parametrize("length", [0, 1, 2, 7])
@pytest.mark.parametrize("periodic", [True, False])
def test_windows_match_torch(torch, name, length, periodic):
    ours, theirs = getattr(tinynn, name)(length, periodic), getattr(torch, name)(length, periodic)
    assert ours.dtype == np.float32
    assert_close(ours, theirs, rtol=1e-5, atol=1e-6)
    assert_close(tinynn.hamming_window(6, True, 0.5, 0.3, dtype=tinynn.float64),
                 torch.hamming_window(6, True, 0.5, 0.3, dtype=torch.float64), rtol=1e-12)


def test_range_unravel_index_and_small_functions_match_torch(torch):
    assert_close(tinynn.range(0, 1, 0.25), torch.range(0, 1, 0.25))
    assert tinynn.range(1, 4, dtype=tinynn.int64).tolist() == [1, 2, 3, 4]
    for ours, theirs in zip(tinynn.unravel_index(tinynn.tensor([5, 7, -1]), (3, 4)),
                            torch.unravel_index(torch.tensor([5, 7, -1]), (3, 4))):
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    with pytest.raises(ValueError, match=r"unravel_index: indices must lie in \[-12, 12\)"):
        tinynn.unravel_index(tinynn.tensor([12]), (3, 4))
    x = np.array([1.0, 2.0, 4.0])
    assert_close(tinynn.rsub(tinynn.tensor(x), 5, alpha=2), torch.rsub(torch.tensor(x), 5, alpha=2))
    assert_close(tinynn.fill(tinynn.tensor(x), 7.0), torch.fill(torch.tensor(x), 7.0))
    leaf = tinynn.tensor(x, requires_grad=True)
    tinynn.fill(leaf, 7.0).sum().backward()  # in the graph with a zero gradient, as PyTorch's
    assert_close(leaf.grad, np.zeros(3))
    assert tinynn.scalar_tensor(3).dtype == np.float32 and tinynn.scalar_tensor(3).item() == 3.0
    assert_close(tinynn.trapz(tinynn.tensor(x)), torch.trapz(torch.tensor(x)))
    matrices = [np.arange(6.0).reshape(2, 3), np.ones((3, 4)), np.eye(4)]
    assert_close(tinynn.chain_matmul(*map(tinynn.tensor, matrices)), torch.chain_matmul(*map(torch.tensor, matrices)))
    single = tinynn.tensor(matrices[0], requires_grad=True)
    copy = tinynn.chain_matmul(single)  # one matrix: a copy, in the graph
    assert copy is not single and copy.requires_grad
    assert_close(copy, matrices[0])
    with pytest.raises(ValueError, match="chain_matmul: expected one or more matrices"):
        tinynn.chain_matmul()
    cube = np.arange(24.0).reshape(2, 3, 4)
    assert_close(tinynn.frobenius_norm(tinynn.tensor(cube), dim=(1, 2)),
                 torch.frobenius_norm(torch.tensor(cube), dim=(1, 2)), rtol=1e-12)
    assert_close(tinynn.nuclear_norm(tinynn.tensor(cube[0])), torch.nuclear_norm(torch.tensor(cube[0])), rtol=1e-10)
    assert not tinynn.is_signed(tinynn.tensor([1], dtype=tinynn.uint8)) and tinynn.is_same_size(tinynn.ones(2), tinynn.ones(2))
    draws = tinynn.binomial(tinynn.full((4000,), 10.0), tinynn.full((4000,), 0.3)).numpy()
    assert draws.dtype == np.float32 and abs(draws.mean() - 3.0) < 5 * np.sqrt(2.1 / 4000)


@pytest.mark.parametrize("spacing, edge_order", [(1, 1), (2.0, 2), ("coordinates", 1), ("coordinates", 2)])
def test_gradient_matches_torch(torch, rng, spacing, edge_order):
    values = rng.standard_normal((5, 6))
    if spacing == "coordinates":
        coordinates = [np.cumsum(rng.random(5) + 0.5), np.cumsum(rng.random(6) + 0.5)]
        ours_spacing, their_spacing = [tinynn.tensor(c) for c in coordinates], [torch.tensor(c) for c in coordinates]
    else:
        ours_spacing = their_spacing = spacing
    x = tinynn.tensor(values, requires_grad=True)
    ours = tinynn.gradient(x, spacing=ours_spacing, edge_order=edge_order)
    theirs = torch.gradient(torch.tensor(values), spacing=their_spacing, edge_order=edge_order)
    for mine, its in zip(ours, theirs):
        assert_close(mine, its, rtol=1e-10, atol=1e-12)
    (ours[0].sum() + ours[1].sum()).backward()  # a linear map of the input: its gradient exists
    assert x.grad.shape == values.shape
    assert_close(tinynn.gradient(x, dim=1)[0], torch.gradient(torch.tensor(values), dim=1)[0], rtol=1e-12)


def test_functional_names_and_in_place_functions_match_torch(torch, rng):
    image, kernel = rng.standard_normal((1, 2, 5, 5)), rng.standard_normal((3, 2, 3, 3))
    assert_close(tinynn.conv2d(tinynn.tensor(image), tinynn.tensor(kernel), padding=1),
                 torch.conv2d(torch.tensor(image), torch.tensor(kernel), padding=1), rtol=1e-10)
    assert_close(tinynn.max_pool2d(tinynn.tensor(image), 2), torch.max_pool2d(torch.tensor(image), 2))
    assert_close(tinynn.layer_norm(tinynn.tensor(image), (5, 5)), torch.layer_norm(torch.tensor(image), (5, 5)),
                 rtol=1e-10, atol=1e-12)
    assert_close(tinynn.constant_pad_nd(tinynn.tensor(image), (1, 2), 0.5),
                 torch.constant_pad_nd(torch.tensor(image), (1, 2), 0.5))
    weight, indices = rng.standard_normal((4, 3)), np.array([[3, 0], [1, 1]])
    assert_close(tinynn.embedding(tinynn.tensor(weight), tinynn.tensor(indices)),
                 torch.embedding(torch.tensor(weight), torch.tensor(indices)))
    for name in ("relu_", "sqrt_", "exp_", "selu_", "clamp_"):
        values = rng.random(5) + 0.1
        ours, theirs = tinynn.tensor(values), torch.tensor(values)
        args = (0.2, 0.7) if name == "clamp_" else ()
        returned = getattr(tinynn, name)(ours, *args)
        getattr(torch, name)(theirs, *args)
        assert returned is ours
        assert_close(ours, theirs, rtol=1e-12)


def test_set_printoptions_changes_how_tensors_print():
    x = tinynn.tensor([0.123456, 1234.5])
    try:
        tinynn.set_printoptions(precision=2)
        assert repr(x) == "tensor([1.23e-01, 1.23e+03])"
        tinynn.set_printoptions(sci_mode=False)
        assert repr(x) == "tensor([   0.12, 1234.50])"  # PyTorch's layout (tinynn/printing.py)
        tinynn.set_printoptions(profile="full")
        assert "..." not in repr(tinynn.arange(2000))
        with pytest.raises(ValueError, match="set_printoptions: profile must be one of"):
            tinynn.set_printoptions(profile="long")
    finally:
        tinynn.set_printoptions(profile="default")
    assert "..." in repr(tinynn.arange(2000))


def test_apply_and_map_call_python_per_element_as_torch(torch):
    ours, theirs = tinynn.tensor([1.0, 2.0, 3.0]), torch.tensor([1.0, 2.0, 3.0])
    assert ours.apply_(lambda v: v * v + 1) is ours
    theirs.apply_(lambda v: v * v + 1)
    assert_close(ours, theirs)
    ours.map_(tinynn.tensor([10.0, 20.0, 30.0]), lambda a, b: a - b)
    theirs.map_(torch.tensor([10.0, 20.0, 30.0]), lambda a, b: a - b)
    ours.map2_(tinynn.tensor([2.0]), tinynn.tensor([1.0, 0.0, 1.0]), lambda a, b, c: a * b + c)
    theirs.map2_(torch.tensor([2.0]), torch.tensor([1.0, 0.0, 1.0]), lambda a, b, c: a * b + c)
    assert_close(ours, theirs)
    rows = tinynn.zeros(2, 3)
    rows[0].apply_(lambda v: v + 1)  # a view: the base sees it
    np.testing.assert_array_equal(rows.numpy(), [[1, 1, 1], [0, 0, 0]])
    with pytest.raises(RuntimeError, match="apply_: cannot call it on a tensor that requires grad"):
        tinynn.ones(2, requires_grad=True).apply_(float)


VIEW_COPIES = [("view_copy", ((6, 4),)), ("expand_copy", ((3, 2, 3, 4),)), ("permute_copy", ((2, 0, 1),)),
               ("transpose_copy", (0, 2)), ("diagonal_copy", (0, 1, 2)), ("unsqueeze_copy", (1,)), ("squeeze_copy", ()),
               ("select_copy", (1, 2)), ("unfold_copy", (2, 2, 1)), ("detach_copy", ()), ("alias_copy", ()),
               ("split_copy", (2, 2)), ("split_with_sizes_copy", ([1, 3], 2)), ("unbind_copy", (1,)),
               ("slice_copy", (2, 1, 4, 2))]


@pytest.mark.parametrize("name, args", VIEW_COPIES, ids=[case[0] for case in VIEW_COPIES])
def test_view_copies_equal_torchs_in_memory_of_their_own(torch, name, args):
    values = np.arange(24.0).reshape(2, 3, 4)
    ours = tinynn.tensor(values, requires_grad=True)
    result = getattr(tinynn, name)(ours, *args)
    theirs = getattr(torch, name)(torch.tensor(values), *args)
    results = result if isinstance(result, (list, tuple)) else [result]
    expected = theirs if isinstance(theirs, (list, tuple)) else [theirs]
    assert len(results) == len(expected)
    for mine, its in zip(results, expected):
        assert_close(mine, its, rtol=0, atol=0, what=name)
        assert not np.shares_memory(mine.data, ours.data)
    if name != "detach_copy":
        sum(part.sum() for part in results).backward()
        assert ours.grad is not None and ours.grad.shape == ours.shape
    else:
        assert not result.requires_grad


def test_histogramdd_equals_torchs(torch, rng):
    points = rng.standard_normal((60, 3)).astype(np.float32)
    weights = rng.random(60).astype(np.float32)
    edges = [np.array(e, dtype=np.float32) for e in ([-3.0, 0.0, 3.0], [-1.0, 1.0], [-5.0, -1.0, 0.0, 5.0])]
    cases = [dict(bins=4), dict(bins=[2, 3, 4]), dict(bins=3, range=[-1.0, 1.0, -2.0, 2.0, 0.0, 1.0]),
             dict(bins=3, weight=weights, density=True), dict(bins=edges)]
    for case in cases:
        def converted(library):
            return {key: ([library.tensor(e) for e in value] if key == "bins" and isinstance(value, list)
                          and isinstance(value[0], np.ndarray) else library.tensor(value) if key == "weight" else value)
                    for key, value in case.items()}
        ours = tinynn.histogramdd(tinynn.tensor(points), **converted(tinynn))
        theirs = torch.histogramdd(torch.tensor(points), **converted(torch))
        assert_close(ours.hist, theirs.hist, rtol=1e-6, atol=1e-7, what=f"hist {case}")
        assert type(ours).__name__ == type(theirs).__name__ == "histogramdd"
        assert len(ours.bin_edges) == 3
        for mine, its in zip(ours.bin_edges, theirs.bin_edges):
            assert_close(mine, its, rtol=1e-6, atol=1e-6, what=f"edges {case}")
    with pytest.raises(ValueError, match=r"histogramdd: range must hold 2 D = 6 numbers"):
        tinynn.histogramdd(tinynn.tensor(points), range=[0.0, 1.0])
    with pytest.raises(ValueError, match="histogramdd: 2 bin specifications for points of 3 dimensions"):
        tinynn.histogramdd(tinynn.tensor(points), bins=[2, 2])
    with pytest.raises(TypeError, match="histogramdd: expected a floating-point input"):
        tinynn.histogramdd(tinynn.tensor([[1, 2]]))


def test_bincount_weights_dtype_and_stable_argsort_as_pytorchs(torch):
    values = np.array([0, 1, 1, 3])
    for weights in (np.ones(4, np.float32), np.ones(4, np.float64), np.ones(4, np.int32)):
        ours = tinynn.bincount(tinynn.tensor(values), tinynn.tensor(weights), minlength=5)
        theirs = torch.bincount(torch.tensor(values), torch.tensor(weights), minlength=5)
        assert str(ours.dtype) == str(theirs.dtype).replace("torch.", "")
        assert ours.tolist() == theirs.tolist()
    ties = np.array([[2, 1, 2, 1], [0, 0, 0, 0]])
    assert (tinynn.tensor(ties).argsort(dim=1, descending=True, stable=True).tolist()
            == torch.tensor(ties).argsort(dim=1, descending=True, stable=True).tolist())


def test_tensors_print_as_pytorchs(torch):
    rng = np.random.default_rng(5)
    cases = [np.array([1.5, 2.25, -3.0]), np.arange(6).reshape(2, 3), np.array([1e-8, 1.0, 1e8]), np.array([True, False]),
             np.array(3.5), np.zeros((0, 3)), np.zeros(0, np.int64), np.array([1.123456789, 2.0], dtype=np.float32),
             np.array([1 + 2j, -0.5j]), np.array([np.nan, np.inf, 1.0]), np.arange(2000.0), np.arange(24).reshape(2, 3, 4),
             rng.standard_normal((2, 3, 4)).astype(np.float32), rng.standard_normal((50, 60)).astype(np.float32),
             np.array([1e-5, 2.0]), np.array([0.0, -0.0]), np.array([1.0, 2.0], np.float16), np.array(7),
             (rng.standard_normal(5) + 1j * rng.standard_normal(5)).astype(np.complex64), np.ones((2, 0, 3))]
    for values in cases:
        assert repr(tinynn.tensor(values)) == repr(torch.tensor(values)).replace("torch.", "tinynn.")
    assert repr(tinynn.tensor([1.0, 2.0], requires_grad=True)) == "tensor([1., 2.], requires_grad=True)"

    def sparse(library):  # PyTorch's layout of the parts, the dtype and the grad at the end
        coo = library.sparse_coo_tensor([[0, 1, 1], [1, 0, 2]], [[1.0, 2.0], [3, 4], [5, 6]], (2, 3, 2),
                                        requires_grad=True)
        return [repr(tensor).replace("torch.", "tinynn.") for tensor in (
            coo, library.sparse_coo_tensor([[0], [1]], [1], (2, 2)),
            library.sparse_coo_tensor([[0], [1]], [1.0], (2, 2), dtype=library.float64),
            library.tensor([[1.0, 0.0], [0.0, 2.0]], dtype=library.float64).to_sparse_csr())]

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # (PyTorch's about its sparse invariant checks)
        assert sparse(tinynn) == sparse(torch)
