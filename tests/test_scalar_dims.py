"""A 0-d tensor's one dimension (tinynn/scalar_dims.py): ops that take ``dim`` accept 0 or -1 on a 0-d
tensor and give PyTorch's 0-d results and gradients; any other dim is PyTorch's IndexError."""
import numpy as np
import pytest

import tinynn

# name -> call(library, x) for a 0-d x; each result is a tensor or a tuple of them
CASES = {
    "sum": lambda L, x: x.sum(0), "sum keepdim": lambda L, x: x.sum(-1, keepdim=True), "mean": lambda L, x: x.mean(-1),
    "prod": lambda L, x: x.prod(0), "amax": lambda L, x: x.amax(0), "amin": lambda L, x: x.amin(-1),
    "max": lambda L, x: tuple(x.max(0)), "min": lambda L, x: tuple(x.min(-1)), "median": lambda L, x: tuple(x.median(0)),
    "nanmedian": lambda L, x: tuple(x.nanmedian(0)), "mode": lambda L, x: tuple(x.mode(0)),
    "argmax": lambda L, x: x.argmax(0), "argmin": lambda L, x: x.argmin(-1), "logsumexp": lambda L, x: x.logsumexp(0),
    "norm": lambda L, x: x.norm(dim=-1), "var": lambda L, x: x.var(0, correction=0), "std": lambda L, x: x.std(0, correction=0),
    "all": lambda L, x: x.all(0), "any": lambda L, x: x.any(-1), "count_nonzero": lambda L, x: x.count_nonzero(0),
    "nansum": lambda L, x: x.nansum(0), "nanmean": lambda L, x: x.nanmean(0),
    "aminmax": lambda L, x: tuple(L.aminmax(x, dim=0)), "quantile": lambda L, x: x.quantile(0.3, dim=0),
    "softmax": lambda L, x: x.softmax(0), "log_softmax": lambda L, x: L.nn.functional.log_softmax(x, -1),
    "softmin": lambda L, x: L.nn.functional.softmin(x, 0), "cumsum": lambda L, x: x.cumsum(0),
    "cumprod": lambda L, x: x.cumprod(-1), "cummax": lambda L, x: tuple(x.cummax(0)), "cummin": lambda L, x: tuple(x.cummin(0)),
    "logcumsumexp": lambda L, x: x.logcumsumexp(0), "sort": lambda L, x: tuple(x.sort(0)), "argsort": lambda L, x: x.argsort(0),
    "topk": lambda L, x: tuple(x.topk(1)), "kthvalue": lambda L, x: tuple(x.kthvalue(1, 0)), "flip": lambda L, x: x.flip(0),
    "squeeze": lambda L, x: x.squeeze(-1), "movedim": lambda L, x: x.movedim(0, -1), "transpose": lambda L, x: x.transpose(0, -1),
    "swapaxes": lambda L, x: x.swapaxes(-1, 0), "gather": lambda L, x: x.gather(0, L.tensor(0, device=x.device)),
    "index_select": lambda L, x: x.index_select(0, L.tensor([0], device=x.device)), "torch.sum": lambda L, x: L.sum(x, 0),
    "torch.max": lambda L, x: tuple(L.max(x, 0)), "var_mean": lambda L, x: L.var_mean(x, 0, correction=0),
    "scatter": lambda L, x: x.scatter(0, L.tensor(0, device=x.device), x * 3),
    "scatter value": lambda L, x: x.scatter(0, L.tensor(0, device=x.device), 4.0),
    "scatter_add": lambda L, x: x.scatter_add(0, L.tensor(0, device=x.device), x * 3),
    "index_add": lambda L, x: x.index_add(0, L.tensor([0], device=x.device), x * 3, alpha=2),
    "index_fill": lambda L, x: x.index_fill(0, L.tensor([0], device=x.device), 7.0),
    "index_copy": lambda L, x: x.index_copy(0, L.tensor([0], device=x.device), x * 3),
}


@pytest.mark.parametrize("name", list(CASES))
def test_dim_0_and_minus_1_of_a_0_d_tensor_work_as_in_torch(name, torch, device):
    ours = tinynn.tensor(1.5, dtype=tinynn.float64, requires_grad=True, device=device)
    theirs = torch.tensor(1.5, dtype=torch.float64, requires_grad=True)
    mine, reference = CASES[name](tinynn, ours), CASES[name](torch, theirs)
    mine, reference = (mine, reference) if isinstance(mine, tuple) else ((mine,), (reference,))
    assert len(mine) == len(reference)
    for value, expected in zip(mine, reference):
        assert value.shape == () == tuple(expected.shape) and value.dtype == np.dtype(str(expected.dtype).split(".")[-1])
        np.testing.assert_allclose(value.numpy(), expected.detach().numpy(), rtol=1e-12)
    if mine[0].requires_grad:
        mine[0].backward()
        reference[0].backward()
        np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-12, atol=1e-15)


def test_other_dims_of_a_0_d_tensor_are_pytorchs_index_error():
    x = tinynn.tensor(2.0)
    for call in (lambda: x.sum(1), lambda: x.softmax(-2), lambda: x.sort(1), lambda: x.transpose(0, 1),
                 lambda: tinynn.nn.functional.log_softmax(x, 2)):
        with pytest.raises(IndexError, match=r"Dimension out of range \(expected to be in range of \[-1, 0\], but got"):
            call()


def test_tensors_with_dimensions_and_dim_none_are_untouched():
    x = tinynn.tensor(2.0)
    assert x.sum().shape == () and x.max(tinynn.tensor(3.0)).item() == 3.0  # the binary max, not a dim
    y = tinynn.arange(6.0).reshape(2, 3)
    assert y.sum(0).shape == (3,) and y.softmax(-1).shape == (2, 3) and y.sort(0).values.shape == (2, 3)


def test_nonzero_argwhere_and_to_sparse_of_a_0_d_tensor_as_torch(torch):
    for value in (2.0, 0.0):
        ours, theirs = tinynn.tensor(value), torch.tensor(value)
        assert ours.nonzero().shape == tuple(theirs.nonzero().shape) and ours.argwhere().shape == tuple(theirs.argwhere().shape)
        assert [t.tolist() for t in ours.nonzero(as_tuple=True)] == [t.tolist() for t in theirs.nonzero(as_tuple=True)]
        sparse, expected = ours.to_sparse(), theirs.to_sparse()
        assert sparse._nnz() == expected._nnz() and sparse.indices().shape == tuple(expected.indices().shape)
        assert sparse.to_dense().item() == value


def test_ops_a_0_d_tensor_cannot_take_say_so():
    x = tinynn.tensor(2.0)
    for call, error, message in ((lambda: x.select(0, 0), IndexError, "select: cannot be applied to a 0-d tensor"),
                                 (lambda: x.unflatten(0, (1,)), ValueError, "unflatten: a 0-d tensor has no dimension"),
                                 (lambda: x.take_along_dim(tinynn.tensor(0), 0), IndexError, "take_along_dim: a 0-d tensor"),
                                 (lambda: x.slice_scatter(x, 0), IndexError, "slice_scatter: a 0-d tensor cannot be sliced"),
                                 (lambda: x.rot90(), ValueError, r"rot90: expected a tensor of at least 2 dimensions, got shape \(\)"),
                                 (lambda: x.diff(), ValueError, "diff: expects an input of at least one dimension"),
                                 (lambda: x.chunk(1), ValueError, "chunk: expects at least a 1-dimensional tensor"),
                                 (lambda: x.repeat_interleave(2, dim=0), IndexError, "repeat_interleave: Dimension out of range"),
                                 (lambda: x.split(1), ValueError, "split: expects at least a 1-dimensional tensor"),
                                 (lambda: x.tensor_split(1), ValueError, "tensor_split: expects at least a 1-dimensional"),
                                 (lambda: x.unbind(), IndexError, "unbind: a 0-d tensor has no dimension"),
                                 (lambda: tinynn.trapezoid(x), ValueError, "trapezoid: expected samples y of at least one"),
                                 (lambda: x.renorm(2, 0, 1.0), ValueError, r"renorm: expected a tensor of at least 2 dimensions")):
        with pytest.raises(error, match=message):
            call()


def test_iterating_a_0d_tensor_is_pytorchs_type_error(torch):
    """(Python's fallback through x[0] made it an empty sequence: for v in loss: ... ran no time.)"""
    for library in (tinynn, torch):
        with pytest.raises(TypeError, match="iteration over a 0-d tensor"):
            list(library.tensor(1.0))
    matrix = tinynn.arange(6.0).reshape(3, 2)
    rows = list(matrix)
    assert [row.tolist() for row in rows] == [[0.0, 1.0], [2.0, 3.0], [4.0, 5.0]]
    rows[1][0] = 9.0  # (views, as PyTorch's)
    assert matrix[1, 0].item() == 9.0
