"""PyTorch's tensor API, function by function: each case is one expression written once and run
with ``torch`` and with ``tinynn`` on the same values; outputs must agree (values, dtypes of
indices, tuple structure) and so must the gradients of float outputs, on every device."""
import pickle
import re
from pathlib import Path

import numpy as np
import pytest

import tinynn
from helpers import assert_close

REPEATS = [1, 2, 0]

# name -> expression of (library, x, y): x (3, 4) and y (3, 4) float64 leaves, values in (0.2, 0.9)
CASES = {
    "expm1 log2 log10": lambda L, x, y: L.expm1(x) + L.log2(x) + x.log10(),
    "square rsqrt reciprocal": lambda L, x, y: L.square(x) + L.rsqrt(x) + x.reciprocal(),
    "tan sinh cosh": lambda L, x, y: L.tan(x) + L.sinh(x) * x.cosh(),
    "asin acos atan atan2": lambda L, x, y: L.asin(x) + L.acos(y) + x.atan() + L.atan2(x - 0.5, y - 0.5),
    "sign round floor ceil trunc": lambda L, x, y: (L.sign(x - 0.5) + L.round(x * 10) + L.floor(x * 7) + x.ceil()
                                                    + (x * 9).trunc()) * x,
    "nan_to_num": lambda L, x, y: L.nan_to_num(L.log(x - 0.5)) * x,
    "isnan isinf isfinite": lambda L, x, y: (L.isnan(L.log(x - 0.5)), L.isinf(x / (y - y)), (x / (y - y)).isfinite()),
    "add sub alpha, mul div neg": lambda L, x, y: L.add(x, y, alpha=3) * L.sub(x, y, alpha=0.5) + L.mul(x, y) / y.div(x)
    - L.neg(x),
    "div rounding": lambda L, x, y: (L.div(x * 10, y, rounding_mode="floor"), (x * -10).div(y, rounding_mode="trunc")),
    "amax amin": lambda L, x, y: L.amax(x, 1) + L.amin(x, dim=(0, 1)) + x.amax(dim=0, keepdim=True).sum(),
    "max min forms": lambda L, x, y: (L.max(x), x.min(), L.max(x, 1)[0], L.max(x, 1)[1], x.min(0, keepdim=True).values,
                                      x.min(0, keepdim=True).indices, L.max(x, y), x.min(y)),
    "argmax argmin": lambda L, x, y: (L.argmax(x), L.argmax(x, 1), x.argmin(dim=0, keepdim=True)),
    "sum mean keepdim": lambda L, x, y: L.sum(x, dim=1, keepdim=True) * L.mean(x, (0, 1)) + x.sum(0).mean(),
    "any all count_nonzero": lambda L, x, y: (L.any(x > 0.8), (x > 0.8).any(1), L.all(x > 0.25, dim=0),
                                              L.count_nonzero(x > 0.5, dim=1)),
    "argsort median": lambda L, x, y: (L.argsort(x, 1, descending=True), L.median(x), x.median(1)[0], x.median(1)[1],
                                       L.median(x, 0, keepdim=True).values),
    "var std": lambda L, x, y: L.var(x, 1) + L.std(x, dim=1, keepdim=True).sum() + x.var(unbiased=False),
    "shape functions": lambda L, x, y: (L.reshape(x, (4, 3)), L.transpose(x, 0, 1), L.permute(x, (1, 0)),
                                        L.flatten(x), L.unsqueeze(x, 1), L.squeeze(x[:1]), x.view_as(y.T.T),
                                        x.reshape_as(y), x[:1].expand_as(y), L.narrow(x, 1, 1, 2),
                                        L.movedim(x[None], 0, 2), L.swapaxes(x, 0, 1), x.swapdims(0, 1)),
    "unbind split chunk select": lambda L, x, y: L.unbind(x, 1) + L.split(x, 2, 1) + L.chunk(x, 2, 0) + (x.select(1, 2),),
    "tile repeat_interleave": lambda L, x, y: (L.tile(x, (2,)), x.tile((2, 1, 1)), L.repeat_interleave(x, 2, dim=0),
                                               x.repeat_interleave(L.tensor(REPEATS, device=x.device), dim=0), x.repeat_interleave(2)),
    "keyword forms of transpose permute tensor_split": lambda L, x, y: (
        x.transpose(dim0=0, dim1=1), x.permute(dims=(1, 0)), L.transpose(x, dim0=1, dim1=0), L.permute(x, dims=(1, 0)),
        *x.tensor_split(indices=[1, 3], dim=1), *L.tensor_split(x, sections=2, dim=0)),
    "functions' arguments by PyTorch's names": lambda L, x, y: (
        L.matmul(input=x, other=y.T), L.where(condition=x > 0.5, input=x, other=y), L.maximum(input=x, other=y),
        L.minimum(input=x, other=y), L.lerp(input=x, end=y, weight=0.3), L.bmm(input=x[None], mat2=y.T[None]),
        L.mm(input=x, mat2=y.T), L.mv(input=x, vec=y[0]), L.dot(input=x[0], tensor=y[0]), L.outer(input=x[0], vec2=y[0]),
        L.cross(input=x[:, :3], other=y[:, :3], dim=1), L.linalg.cross(x[:, :3], y[:, :3]), L.zeros_like(input=x),
        *L.split(tensor=x, split_size_or_sections=2, dim=1), L.nonzero(input=x > 0.5)),
    "roll": lambda L, x, y: (L.roll(x, 1, 1), x.roll((1, -2), (0, 1)), L.roll(x, 3)),
    "tril triu": lambda L, x, y: (L.tril(x), x.tril(1), L.triu(x, -1), x.triu(2)),
    "diag diagonal trace": lambda L, x, y: (L.diag(x[0]), L.diag(x[0], 1), x[1].diag(-2), L.diag(x), x.diag(1),
                                            L.diagonal(x, 1), x.diagonal(-1), L.trace(x[:, :3])),
    "outer dot mm mv": lambda L, x, y: (L.outer(x[0], y[1]), x[0].dot(y[0]), L.mm(x, y.T), L.mv(x, y[0]), x[0].ger(y[0])),
    "index_select masked_select take_along_dim": lambda L, x, y: (
        L.index_select(x, 1, L.tensor([3, 0, 3], device=x.device)), L.masked_select(x, x > 0.5), x.masked_select(L.tensor([True, False, True, True], device=x.device)),
        L.take_along_dim(x, L.argsort(x, 1), 1), L.take_along_dim(x, L.tensor([[0], [2], [1]], device=x.device), dim=1),
        L.take_along_dim(x, L.tensor([5, 0], device=x.device))),
    "scatter_add index_add": lambda L, x, y: (L.scatter_add(x, 1, L.tensor([[0, 0, 3], [1, 2, 1], [3, 3, 3]], device=x.device), y[:, :3]),
                                              x.index_add(0, L.tensor([2, 0], device=x.device), y[:2], alpha=2)),
    "einsum": lambda L, x, y: (L.einsum("ij,kj->ik", x, y), L.einsum("ii->i", x[:, :3]), L.einsum("ij->", x),
                               L.einsum("bi,bj->bij", x, y), L.einsum("...j,j", x, y[0]), L.einsum("ij", [x])),
    "meshgrid": lambda L, x, y: L.meshgrid(x[0], y[:, 0], indexing="ij") + L.meshgrid(x[0], y[:, 0], indexing="xy"),
    "type_as new_* shapes": lambda L, x, y: (x.detach().float().type_as(y), x.type_as(y), x.new_zeros(2, 3), x.new_ones((3,)), x.new_full((2,), 7.0),
                                             L.zeros_like(x), L.full_like(x, 3.0), L.empty_like(x).fill_(0.0)),  # (empty * 0 is NaN where the memory held NaN)
    "cumsum logsumexp prod norm": lambda L, x, y: (L.cumsum(x, 1), L.logsumexp(x, 0), L.prod(x, 1), L.norm(x, dim=1)),
    "softmax log_softmax relu clamp": lambda L, x, y: (L.softmax(x, 1), L.log_softmax(x, 0), L.relu(x - 0.5),
                                                       L.clamp(x, 0.3, 0.7), L.clip(x, max=0.6)),
    "cat concat stack dim=": lambda L, x, y: (L.cat([x, y], dim=1), L.concat((x, y), dim=-1), L.stack([x, y], dim=2),
                                              L.cat([x, y]), L.stack((x, y), 1)),
    "allclose isclose equal": lambda L, x, y: (L.allclose(x, x + 1e-9), L.isclose(x, y, atol=0.3), L.equal(x, x * 1),
                                               x.equal(y)),
}


def as_list(result):
    return list(result) if isinstance(result, (tuple, list)) else [result]


@pytest.mark.parametrize("name", list(CASES))
def test_matches_torch(name, torch, rng, device):
    xs, ys = rng.uniform(0.2, 0.9, (3, 4)), rng.uniform(0.2, 0.9, (3, 4))
    x, y = (tinynn.tensor(a, device=device, requires_grad=True) for a in (xs, ys))
    tx, ty = (torch.tensor(a, requires_grad=True) for a in (xs, ys))
    with np.errstate(divide="ignore", invalid="ignore"):  # log(-0.1), 1/0: NaN and inf, as in PyTorch
        ours, theirs = as_list(CASES[name](tinynn, x, y)), as_list(CASES[name](torch, tx, ty))
    assert len(ours) == len(theirs), f"{name}: {len(ours)} results, PyTorch {len(theirs)}"
    weighted, t_weighted = [], []
    for position, (mine, reference) in enumerate(zip(ours, theirs)):
        what = f"{name} result {position}"
        if isinstance(reference, bool):
            assert mine is reference or mine == reference, what
            continue
        assert mine.shape == tuple(reference.shape), f"{what}: shape {mine.shape} != {tuple(reference.shape)}"
        if reference.dtype.is_floating_point:
            assert_close(mine, reference.detach(), rtol=1e-10, atol=1e-12, what=what)
            if mine.requires_grad:  # PyTorch records a zero gradient for floor etc.; tinynn makes those constants
                weights = rng.standard_normal(mine.shape)
                weighted.append((mine * tinynn.tensor(weights, device=device)).sum())
                t_weighted.append((reference * torch.tensor(weights)).sum())
        else:
            assert mine.dtype == np.dtype(str(reference.dtype).replace("torch.", "")), f"{what}: dtype {mine.dtype}"
            np.testing.assert_array_equal(mine.numpy(), reference.numpy(), err_msg=what)
    if weighted:
        sum(weighted).backward()
        sum(t_weighted).backward()
        for ours_leaf, theirs_leaf in ((x, tx), (y, ty)):
            if theirs_leaf.grad is not None:
                assert_close(ours_leaf.grad, theirs_leaf.grad, rtol=1e-9, atol=1e-12, what=f"{name} gradient")


def test_factories_and_random_functions(device):
    tinynn.manual_seed(0)
    order = tinynn.randperm(10, device=device)
    assert order.dtype == np.int64 and sorted(order.tolist()) == list(range(10))
    draws = tinynn.normal(tinynn.zeros(2000, device=device), 2.0)
    assert draws.device == tinynn.zeros(1, device=device).device and abs(float(draws.std()) - 2) < 0.15
    assert tinynn.normal(3.0, 1.0, size=(4, 5)).shape == (4, 5)
    coins = tinynn.bernoulli(tinynn.full((4000,), 0.25, device=device))
    assert set(np.unique(coins.numpy())) <= {0.0, 1.0} and abs(float(coins.mean()) - 0.25) < 0.03
    picks = tinynn.multinomial(tinynn.tensor([[0.0, 1.0, 0.0], [0.5, 0.0, 0.5]]), 2, replacement=True)
    assert picks.shape == (2, 2) and (picks.numpy()[0] == 1).all() and set(picks.numpy()[1]) <= {0, 2}
    with pytest.raises(ValueError, match="cannot draw 4 of 3 categories without replacement"):
        tinynn.multinomial(tinynn.ones(3), 4)
    assert tinynn.empty(2, 3).shape == (2, 3) and tinynn.rand_like(order.float()).shape == (10,)
    assert tinynn.randn_like(tinynn.zeros(2, 2, dtype=tinynn.float64)).dtype == np.float64
    shared = np.arange(3.0)
    assert tinynn.as_tensor(shared)._array is shared and tinynn.is_tensor(order) and not tinynn.is_tensor(shared)
    values, inverse, counts = tinynn.unique(tinynn.tensor([3, 1, 3, 2]), return_inverse=True, return_counts=True)
    assert values.tolist() == [1, 2, 3] and inverse.tolist() == [2, 0, 2, 1] and counts.tolist() == [1, 1, 2]
    assert tinynn.bincount(tinynn.tensor([0, 2, 2]), minlength=4).tolist() == [1, 0, 2, 0]
    assert tinynn.get_default_dtype() is np.float32 and tinynn.long is np.int64 and tinynn.float is np.float32


def test_grad_mode_helpers():
    x = tinynn.ones(2, requires_grad=True)
    with tinynn.set_grad_enabled(False):
        assert not (x * 2).requires_grad
    with tinynn.inference_mode():
        assert not (x * 2).requires_grad
    assert (x * 2).requires_grad


def test_in_place_operations(device):
    x = tinynn.zeros(2, 3, device=device)
    x.add_(1).mul_(tinynn.full((3,), 2.0, device=device)).sub_(0.5, alpha=2).div_(4)
    np.testing.assert_allclose(x.numpy(), 0.25)
    x.clamp_(max=0.1).masked_fill_(tinynn.tensor([[True, False, False], [False, False, True]], device=device), -1)
    np.testing.assert_allclose(x.numpy(), [[-1, 0.1, 0.1], [0.1, 0.1, -1]])
    x.copy_(tinynn.arange(3, device=device))
    np.testing.assert_allclose(x.numpy(), [[0, 1, 2], [0, 1, 2]])
    weight = tinynn.zeros(1000, requires_grad=True, device=device)
    with tinynn.no_grad():
        weight.normal_(0, 0.02).add_(1)
    assert abs(float(weight.mean()) - 1) < 0.01 and 0.015 < float(weight.std()) < 0.025
    with pytest.raises(RuntimeError, match="add_: a leaf tensor that requires grad \\(shape \\(1000,\\)\\)"):
        weight.add_(1)
    recorded = tinynn.ones(3, device=device).mul_(weight[:3])  # an operand requiring grad: recorded
    assert recorded.requires_grad and recorded.grad_fn is not None


def test_misuse_is_a_clear_error():
    x = tinynn.zeros(2, 3)
    with pytest.raises(ValueError, match="dot: expected two vectors of one length"):
        tinynn.dot(x, x)
    with pytest.raises(ValueError, match="index_select: expected a 1-D index"):
        x.index_select(0, tinynn.tensor([[0]]))
    with pytest.raises(ValueError, match="scatter_add: index of shape \\(2,\\) must be no larger than src of shape \\(1,\\)"):
        tinynn.zeros(3).scatter_add(0, tinynn.tensor([0, 1]), tinynn.ones(1))
    with pytest.raises(ValueError, match="einsum: the equation 'ij,jk' names 2 operands, got 1 tensors"):
        tinynn.einsum("ij,jk", x)
    with pytest.raises(ValueError, match="div: rounding_mode must be None, 'trunc' or 'floor'"):
        x.div(2, rounding_mode="round")
    for join in (tinynn.cat, tinynn.stack):
        with pytest.raises(ValueError, match=f"{join.__name__.replace('concatenate', 'cat')}: expected a non-empty list"):
            join([])
    with pytest.raises(ValueError, match=r"randint: expected low < high \(draws from \[low, high\)\), got low=5, high=2"):
        tinynn.randint(5, 2, (3,))


# name -> expression of (library, x): x a (3, 4) float32 leaf; every ``dtype=`` converts x first
DTYPE_CASES = {
    "sum mean prod": lambda L, x: (L.sum(x, dim=1, dtype=L.float64), x.mean(dtype=L.float64), x.prod(1, dtype=L.float64)),
    "cumsum cumprod": lambda L, x: (x.cumsum(0, dtype=L.float64), L.cumprod(x, 1, dtype=L.float64)),
    "nansum nanmean": lambda L, x: (L.nansum(x, dtype=L.float64), L.nanmean(x, 0, dtype=L.float64)),
    "softmax family": lambda L, x: (L.softmax(x, 1, dtype=L.float64), x.log_softmax(0, dtype=L.float64),
                                    L.nn.functional.softmin(x, 1, dtype=L.float64),
                                    L.nn.functional.log_softmax(x, dim=-1, dtype=L.float64)),
}


@pytest.mark.parametrize("name", list(DTYPE_CASES))
def test_dtype_argument_converts_the_input_first_like_torch(name, torch, rng, device):
    values = rng.uniform(0.2, 0.9, (3, 4)).astype(np.float32)
    x, tx = tinynn.tensor(values, device=device, requires_grad=True), torch.tensor(values, requires_grad=True)
    ours, theirs = DTYPE_CASES[name](tinynn, x), DTYPE_CASES[name](torch, tx)
    weights = [rng.standard_normal(tuple(reference.shape)) for reference in theirs]
    for position, (mine, reference) in enumerate(zip(ours, theirs)):
        assert mine.dtype == np.float64 and reference.dtype == torch.float64, f"{name} result {position}: {mine.dtype}"
        assert_close(mine, reference.detach(), rtol=1e-12, atol=1e-12, what=f"{name} result {position}")
    sum((mine * tinynn.tensor(w, device=device)).sum() for mine, w in zip(ours, weights)).backward()
    sum((reference * torch.tensor(w)).sum() for reference, w in zip(theirs, weights)).backward()
    assert x.grad.dtype == np.float32
    assert_close(x.grad, tx.grad, rtol=1e-5, atol=1e-6, what=f"{name} gradient")


def test_softmax_dtype_takes_integer_input_as_torch(torch):
    ours = tinynn.softmax(tinynn.tensor([1, 2, 3]), 0, dtype=tinynn.float32)
    theirs = torch.softmax(torch.tensor([1, 2, 3]), 0, dtype=torch.float32)
    assert ours.dtype == np.float32
    assert_close(ours, theirs, rtol=1e-6, atol=1e-7)
    with pytest.raises(TypeError, match="floating-point"):
        tinynn.softmax(tinynn.tensor([1, 2, 3]), 0)


def test_devices_by_pytorch_names():
    cpu, gpu = tinynn.device("cpu"), tinynn.device("cuda:0")
    assert cpu == "cpu" and cpu.type == "cpu" and cpu.index is None and repr(cpu) == "device(type='cpu')"
    assert gpu == tinynn.device("gpu") == tinynn.device("cuda", 0) == tinynn.device("cuda") == "gpu"
    assert gpu.type == "cuda" and gpu.index == 0 and repr(gpu) == "device(type='cuda', index=0)" and str(gpu) == "gpu"
    x = tinynn.zeros(2)
    assert isinstance(x.device, tinynn.device) and x.device == cpu and x.device.type == "cpu"
    assert isinstance(tinynn.nn.Linear(2, 2).device, tinynn.device)
    restored = pickle.loads(pickle.dumps(gpu))
    assert isinstance(restored, tinynn.device) and restored.type == "cuda"
    for name, index in (("cuda:1", None), ("cuda", 1), ("cpu", 3)):
        with pytest.raises(ValueError, match="one GPU"):
            tinynn.device(name, index)
    with pytest.raises(ValueError, match="unknown device 'tpu'"):
        tinynn.device("tpu")
    assert x.to(cpu) is x and x.to("cpu", non_blocking=True) is x and x.to(tinynn.float32) is x
    copied = x.to(cpu, copy=True)
    assert copied is not x and not np.shares_memory(copied._array, x._array)
    np.testing.assert_array_equal(x.numpy(force=True), [0, 0])
    leaf = tinynn.ones(2, requires_grad=True)
    (leaf.to(tinynn.float64, copy=True) * 3).sum().backward()
    np.testing.assert_array_equal(leaf.grad.numpy(), [3, 3])


def test_cuda_questions_are_answered_where_there_is_no_gpu():
    available = tinynn.gpu_available()
    assert tinynn.cuda.is_available() is available and tinynn.cuda.device_count() == int(available)
    if available:
        assert tinynn.cuda.current_device() == 0
        return
    for question in (tinynn.cuda.current_device, tinynn.cuda.get_device_name, tinynn.cuda.synchronize):
        with pytest.raises(tinynn.DeviceError, match="GPU was requested"):
            question()
    with pytest.raises(tinynn.DeviceError):
        tinynn.zeros(2).cuda()
    assert tinynn.cuda.memory_allocated() == tinynn.cuda.memory_reserved() == 0
    tinynn.cuda.empty_cache()


def test_seed_draws_a_fresh_seed_and_seeds_with_it():
    first = tinynn.seed()
    assert tinynn.initial_seed() == first
    values = tinynn.rand(3).numpy()
    tinynn.manual_seed(first)
    np.testing.assert_array_equal(tinynn.rand(3).numpy(), values)
    assert tinynn.seed() != first


def test_module_level_names_pytorch_scripts_use(torch):
    assert tinynn.pi == torch.pi and tinynn.e == torch.e and tinynn.inf == torch.inf and np.isnan(tinynn.nan)
    assert tinynn.zeros(2, 3)[:, tinynn.newaxis].shape == torch.zeros(2, 3)[:, torch.newaxis].shape == (2, 1, 3)
    assert tinynn.int is np.int32 and tinynn.short is np.int16
    assert tinynn.finfo(tinynn.float32).eps == torch.finfo(torch.float32).eps
    assert tinynn.finfo(tinynn.float16).max == torch.finfo(torch.float16).max
    assert tinynn.iinfo(tinynn.int64).max == torch.iinfo(torch.int64).max
    for ours, theirs in ((tinynn.finfo(tinynn.float32), torch.finfo(torch.float32)), (tinynn.finfo(), torch.finfo()),
                         (tinynn.finfo(tinynn.float64), torch.finfo(torch.float64)),
                         (tinynn.iinfo(tinynn.uint8), torch.iinfo(torch.uint8))):
        assert repr(ours) == repr(theirs) and f"{ours.min} {ours.max} {ours.bits} {ours.dtype}" == \
            f"{theirs.min} {theirs.max} {theirs.bits} {theirs.dtype}"  # Python numbers, printed as PyTorch's
    x = tinynn.tensor([1.5, 2.0, -3.0], requires_grad=True)
    y = tinynn.pow(x, 2) + tinynn.pow(2.0, x).sum() * 0
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 4.0, -6.0])
    for name, dtype in (("short", np.int16), ("char", np.int8), ("byte", np.uint8), ("int", np.int32)):
        assert getattr(tinynn.tensor([1.0, 2.0]), name)().dtype == dtype == np.dtype(str(getattr(torch.tensor([1.0]), name)().dtype)[6:])


def test_set_num_threads_sets_the_threads_of_blocked_cpu_work():
    before = tinynn.get_num_threads()
    x = tinynn.tensor(np.random.default_rng(0).standard_normal((64, 8, 20, 20)).astype(np.float32))
    conv = tinynn.nn.Conv2d(8, 8, 3)
    expected = conv(x).numpy()
    try:
        tinynn.set_num_threads(1)
        assert tinynn.get_num_threads() == 1
        np.testing.assert_array_equal(conv(x).numpy(), expected)  # the same bits on any thread count
        tinynn.set_num_threads(3)
        np.testing.assert_array_equal(conv(x).numpy(), expected)
        with pytest.raises(ValueError, match="set_num_threads: expected a positive int, got 0"):
            tinynn.set_num_threads(0)
    finally:
        tinynn.set_num_threads(before)


@pytest.mark.parametrize("args, kwargs", [((5,), {}), ((1, 7, 2), {}), ((0, 1, 0.25), {}), ((), {"end": 4}),
                                          ((2,), {"end": 8, "step": 3}), ((-1.5, 2), {"step": 0.5}),
                                          ((0, 3), {"dtype": "float64", "requires_grad": True})])
def test_arange_takes_pytorchs_arguments(torch, args, kwargs):
    theirs_kwargs = {key: getattr(torch, value) if key == "dtype" else value for key, value in kwargs.items()}
    ours, theirs = tinynn.arange(*args, **{key: getattr(tinynn, value) if key == "dtype" else value
                                           for key, value in kwargs.items()}), torch.arange(*args, **theirs_kwargs)
    assert ours.tolist() == theirs.tolist() and ours.dtype == np.dtype(str(theirs.dtype)[6:])
    assert ours.requires_grad == theirs.requires_grad


def test_dtype_questions_logspace_randint_like_select_poisson_and_asarray_as_pytorch(torch):
    for a, b in [(tinynn.tensor([1, 2]), 1.5), (tinynn.tensor([1.0, 2.0]), tinynn.tensor(1.0, dtype=tinynn.float64)),
                 (tinynn.tensor([1], dtype=tinynn.uint8), tinynn.tensor([1], dtype=tinynn.int8)), (tinynn.tensor([True]), 3)]:
        theirs = torch.result_type(*(torch.tensor(v.numpy()) if isinstance(v, tinynn.Tensor) else v for v in (a, b)))
        assert np.dtype(tinynn.result_type(a, b)).name == str(theirs).replace("torch.", "")
    assert tinynn.promote_types(tinynn.int64, tinynn.float16) is np.float16
    assert [tinynn.can_cast(*pair) for pair in [(np.float32, np.int32), (np.int64, np.uint8), (np.int32, np.bool_)]] == [
        torch.can_cast(*pair) for pair in [(torch.float32, torch.int32), (torch.int64, torch.uint8), (torch.int32, torch.bool)]]
    assert_close(tinynn.logspace(0, 2, 5), torch.logspace(0, 2, 5))
    assert_close(tinynn.logspace(1, 3, 3, base=2, dtype=tinynn.float64), torch.logspace(1, 3, 3, base=2, dtype=torch.float64))
    like = tinynn.randint_like(tinynn.zeros(3, 4), 2, 5)
    assert like.shape == (3, 4) and like.dtype == np.float32 and set(like.numpy().ravel()) <= {2, 3, 4}
    values = np.arange(6).reshape(2, 3)
    assert tinynn.select(tinynn.tensor(values), 1, 2).tolist() == torch.select(torch.tensor(values), 1, 2).tolist()
    tinynn.manual_seed(0)
    counts = tinynn.poisson(tinynn.full((20000,), 3.0))
    assert counts.dtype == np.float32 and abs(counts.mean().item() - 3) < 5 * np.sqrt(3 / 20000)
    array = np.arange(3.0)
    assert tinynn.asarray(array)._array is array and tinynn.asarray(array, copy=True)._array is not array
    with pytest.raises(ValueError, match="copy=False, but a ndarray of float64 values cannot be used as it is as float32"):
        tinynn.asarray(array, dtype=tinynn.float32, copy=False)
    assert tinynn.asarray([1.5, 2]).dtype == np.float32 and tinynn.asarray(array, requires_grad=True).requires_grad


def test_python_protocols_of_tensors_as_pytorchs(torch):
    """f-strings, indices, ranges and bit shifts behave as with PyTorch tensors."""
    for make in (lambda m: f"{m.tensor(2.5)}", lambda m: f"{m.tensor(1.23456):.3f}", lambda m: [10, 20, 30][m.tensor(1)],
                 lambda m: list(range(m.tensor(3))), lambda m: (m.tensor([1, 2]) << 2).tolist(),
                 lambda m: (m.tensor([8, 16]) >> 2).tolist(), lambda m: (1 << m.tensor([1, 2])).tolist(),
                 lambda m: m.bitwise_right_shift(m.tensor([8]), 1).tolist()):
        assert make(tinynn) == make(torch)
    with pytest.raises(TypeError, match="only integer tensors of a single element can be converted to an index"):
        [1, 2][tinynn.tensor(1.0)]


def test_variable_and_tensor_new_as_old_pytorch_scripts_use_them(torch):
    from tinynn.autograd import Variable

    x = tinynn.ones(2, requires_grad=True)
    y = x * 2
    alias = Variable(y)
    assert not alias.requires_grad and alias.is_leaf and alias.grad_fn is None
    assert np.shares_memory(alias._array, y._array)
    leaf = Variable(tinynn.ones(3), requires_grad=True)
    assert leaf.requires_grad and leaf.is_leaf
    assert isinstance(tinynn.zeros(1), Variable) and not isinstance(np.zeros(1), Variable)
    with pytest.raises(TypeError, match="Variable data has to be a tensor, but got list"):
        Variable([1.0, 2.0])
    ours, theirs = tinynn.ones(2, 3, dtype=tinynn.float64), torch.ones(2, 3, dtype=torch.float64)
    for args in [(), (2, 2), ([1, 2],), ((2, 3),)]:
        made, expected = ours.new(*args), theirs.new(*args)
        assert made.shape == tuple(expected.shape) and made.dtype == np.float64, args
        if args and not isinstance(args[0], int):
            np.testing.assert_array_equal(made.numpy(), expected.numpy())
    with pytest.raises(TypeError, match="new: expected sizes"):
        ours.new([1], 2)


def test_older_pytorch_idioms_work_as_in_pytorch(torch):
    """torch.Tensor(sizes), the typed constructors, set_grad_enabled as a call, the backends' switches,
    randint(high, size): what scripts written for PyTorch write."""
    for args in [(2, 3), (5,), (), ([1, 2],)]:
        ours, theirs = tinynn.Tensor(*args), torch.Tensor(*args)
        assert ours.shape == tuple(theirs.shape) and ours.dtype == np.float32
    assert tinynn.Tensor(np.int64(3)).shape == ()  # a NumPy scalar is a value, not a size
    for name in ("FloatTensor", "DoubleTensor", "LongTensor", "IntTensor", "ByteTensor", "BoolTensor"):
        ours, theirs = getattr(tinynn, name)([1, 0, 2]), getattr(torch, name)([1, 0, 2])
        assert str(ours.dtype) == str(theirs.dtype).replace("torch.", "") and ours.tolist() == theirs.tolist()
        assert getattr(tinynn, name)(2, 3).shape == (2, 3)
        assert getattr(tinynn, name)().shape == tuple(getattr(torch, name)().shape) == (0,)
        assert isinstance(ours, getattr(tinynn, name)) and ours.type() == f"tinynn.{name}"
    assert not isinstance(tinynn.ones(2), tinynn.LongTensor)
    try:
        tinynn.set_grad_enabled(False)  # a call: from here on, as PyTorch's
        assert not tinynn.is_grad_enabled() and not (tinynn.ones(1, requires_grad=True) * 2).requires_grad
    finally:
        tinynn.set_grad_enabled(True)
    assert tinynn.is_grad_enabled()

    @tinynn.set_grad_enabled(False)
    def evaluate():
        return tinynn.is_grad_enabled()
    assert tinynn.is_grad_enabled() and not evaluate() and tinynn.is_grad_enabled()
    tinynn.backends.cudnn.benchmark = True
    tinynn.backends.cudnn.deterministic = True
    try:
        tinynn.use_deterministic_algorithms(True, warn_only=True)
        assert tinynn.are_deterministic_algorithms_enabled() and tinynn.is_deterministic_algorithms_warn_only_enabled()
    finally:
        tinynn.use_deterministic_algorithms(False)
    draws = tinynn.randint(5, (3, 2))
    assert draws.shape == (3, 2) and draws.dtype == np.int64 and int(draws.max()) < 5
    assert tinynn.randint(2, 5, (4,)).min().item() >= 2


def test_pytorchs_optional_switches_are_taken(torch):
    """fused, capturable and differentiable on the optimizers, pin_memory_device, clip_grad_value_'s
    foreach, gumbel_softmax's eps, and the softmax family's implicit dim with PyTorch's warning."""
    param = tinynn.ones(3, requires_grad=True)
    for name in ("SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta", "Adamax", "NAdam", "RAdam", "Rprop", "ASGD"):
        optimizer = getattr(tinynn.optim, name)([param], lr=0.1, fused=True, capturable=False)
        assert optimizer.param_groups[0]["foreach"] is True  # fused: one update over all parameters
    with pytest.raises(NotImplementedError, match="differentiable=True .* is not supported"):
        tinynn.optim.Adam([param], differentiable=True)
    loader = tinynn.utils.data.DataLoader(tinynn.utils.data.TensorDataset(tinynn.ones(4, 2)), batch_size=2,
                                          pin_memory_device="")
    assert len(list(loader)) == 2
    param.grad = tinynn.tensor([5.0, -5.0, 0.5])
    tinynn.nn.utils.clip_grad_value_([param], 1.0, foreach=True)
    assert param.grad.tolist() == [1.0, -1.0, 0.5]
    assert tinynn.nn.functional.gumbel_softmax(tinynn.zeros(2, 3), 1.0, False, 1e-10, -1).shape == (2, 3)
    values = np.random.default_rng(3).standard_normal((2, 3, 4)).astype(np.float32)
    for data in (values, values[0], values[None]):
        with pytest.warns(UserWarning, match="Implicit dimension choice for softmax"):
            ours = tinynn.nn.functional.softmax(tinynn.tensor(data))
        with pytest.warns(UserWarning):
            theirs = torch.nn.functional.softmax(torch.tensor(data))
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6)
        with pytest.warns(UserWarning):
            np.testing.assert_allclose(tinynn.nn.LogSoftmax()(tinynn.tensor(data)).numpy(),
                                       torch.nn.LogSoftmax()(torch.tensor(data)).numpy(), rtol=1e-5, atol=1e-6)


def test_compile_leaves_models_and_functions_as_they_are_and_old_hooks_still_register():
    model = tinynn.nn.Linear(2, 2)
    assert tinynn.compile(model) is model and model.compile() is None  # tinynn runs eagerly

    @tinynn.compile
    def double(x):
        return x * 2

    @tinynn.compile(mode="max-autotune", fullgraph=True)
    def triple(x):
        return x * 3
    assert double(tinynn.ones(2)).tolist() == [2.0, 2.0] and triple(tinynn.ones(1)).tolist() == [3.0]
    seen = []
    with pytest.warns(FutureWarning, match="register_backward_hook is deprecated"):
        model.register_backward_hook(lambda module, grad_input, grad_output: seen.append(grad_output[0].shape))
    model(tinynn.ones(3, 2, requires_grad=True)).sum().backward()
    assert seen == [(3, 2)]


def test_small_tensor_methods_of_pytorchs(torch):
    ours, theirs = tinynn.ones(2, 3), torch.ones(2, 3)
    assert ours.new_empty_strided((2, 2), (2, 1)).shape == tuple(theirs.new_empty_strided((2, 2), (2, 1)).shape)
    assert ours.to_dense() is ours and theirs.to_dense() is theirs
    assert ours.to_dense(tinynn.float64).dtype == np.float64
    assert ours.is_inference() == theirs.is_inference() is False


def test_version_and_the_unsigned_dtypes_pytorch_names(torch, device):
    assert tinynn.version.__version__ == tinynn.__version__ and tinynn.version.hip is None
    project = (Path(__file__).resolve().parents[1] / "pyproject.toml").read_text()
    # the one version, said twice ([project]'s version line; tomllib is Python 3.11's)
    assert re.search(r'^version = "([^"]+)"$', project, re.MULTILINE).group(1) == tinynn.__version__
    cuda = tinynn.version.cuda
    if device == "cpu" and not tinynn.gpu_available():
        assert cuda is None  # as a CPU build of PyTorch says
    else:
        major, minor = cuda.split(".")
        assert int(major) >= 11 and minor.isdigit()
    with pytest.raises(AttributeError, match="has no attribute 'nope'"):
        tinynn.version.nope
    for name in ("uint16", "uint32", "uint64"):  # PyTorch stores them; tinynn also computes with them
        ours = tinynn.tensor([1, 2, 3], dtype=getattr(tinynn, name), device=device)
        assert ours.dtype == np.dtype(name) and isinstance(ours.dtype, tinynn.dtype)
        assert (ours * 2 + 1).tolist() == [3, 5, 7] and (ours * 2).dtype == np.dtype(name)
        theirs = torch.tensor([1, 2, 3]).to(getattr(torch, name))
        assert ours.tolist() == theirs.tolist()


# Modules whose public functions and classes should take every argument PyTorch's do (by name), so a
# call written for PyTorch is never a TypeError here; torch.X -> tinynn.Y.
SIGNATURE_MODULES = {"nn.functional": "nn.functional", "nn": "nn", "optim": "optim", "optim.lr_scheduler": "optim.lr_scheduler",
                     "utils.data": "data", "autograd": "autograd", "autograd.functional": "autograd.functional",
                     "func": "func", "nn.utils": "nn.utils", "nn.utils.rnn": "nn.utils.rnn", "nn.init": "nn.init",
                     "linalg": "linalg", "fft": "fft", "special": "special", "distributions": "distributions", "amp": "amp",
                     "utils.checkpoint": "utils.checkpoint", "testing": "testing", "random": "random",
                     "nn.utils.parametrize": "nn.utils.parametrize", "nn.utils.prune": "nn.utils.prune",
                     "optim.swa_utils": "optim.swa_utils", "profiler": "profiler", "hub": "hub",
                     "autograd.graph": "autograd.graph", "autograd.forward_ad": "autograd.forward_ad",
                     "autograd.profiler": "autograd.profiler", "distributions.transforms": "distributions.transforms",
                     "distributions.constraints": "distributions.constraints",
                     "nn.utils.parametrizations": "nn.utils.parametrizations", "nn.attention": "nn.attention",
                     "signal.windows": "signal.windows", "nn.utils.stateless": "nn.utils.stateless",
                     "backends.cuda": "backends.cuda", "utils.dlpack": "utils.dlpack", "utils.hooks": "utils.hooks",
                     "nn.modules.utils": "nn.modules.utils", "compiler": "compiler", "nn.grad": "nn.grad"}  # (not utils.tensorboard: PyTorch's needs the tensorboard package)
# Base classes PyTorch's layers are built on, which its users do not construct (their first arguments differ).
NOT_CONSTRUCTED = {"nn.RNNBase", "nn.RNNCellBase"}


def test_compiler_questions_and_markers_leave_eager_code_as_pytorchs_outside_compile(torch):
    """Model code that asks torch.compiler whether it is being compiled, or marks functions for it, runs
    the same eagerly in both frameworks."""
    for library in (tinynn, torch):
        compiler = library.compiler
        assert (compiler.is_compiling(), compiler.is_dynamo_compiling(), compiler.is_exporting()) == (False, False, False)

        @compiler.disable
        def double(x):
            return x * 2

        @compiler.disable(recursive=False)
        def triple(x):
            return x * 3

        @compiler.set_stance("force_eager")
        def quadruple(x):
            return x * 4

        halve = compiler.allow_in_graph(compiler.assume_constant_result(lambda x: x / 2))
        with compiler.set_stance("force_eager"):
            values = [f(library.tensor([2.0])).item() for f in (double, triple, quadruple, halve)]
        assert values == [4.0, 6.0, 8.0, 1.0] and compiler.reset() is None and compiler.cudagraph_mark_step_begin() is None
    assert tinynn.compiler.compile is tinynn.compile and tinynn.compiler.list_backends() == []


def test_functions_and_classes_take_every_argument_pytorchs_take(torch):
    import importlib
    import inspect

    missing = []
    for theirs_name, ours_name in SIGNATURE_MODULES.items():
        theirs_module = importlib.import_module("torch." + theirs_name)
        ours_module = importlib.import_module("tinynn." + ours_name)
        for name in dir(theirs_module):
            if name.startswith("_") or not hasattr(ours_module, name) or f"{theirs_name}.{name}" in NOT_CONSTRUCTED:
                continue
            theirs, ours = getattr(theirs_module, name), getattr(ours_module, name)
            try:
                theirs_signature = inspect.signature(theirs.__init__ if inspect.isclass(theirs) else theirs)
                ours_signature = inspect.signature(ours.__init__ if inspect.isclass(ours) else ours)
            except (TypeError, ValueError):  # a builtin without a signature
                continue
            if any(p.kind == p.VAR_KEYWORD for p in ours_signature.parameters.values()):
                continue
            absent = [p for p in theirs_signature.parameters if not p.startswith("_")
                      and p not in ("self", "args", "kwargs") and p not in ours_signature.parameters]
            if absent:
                missing.append(f"{theirs_name}.{name}: {absent}")
    assert not missing, "\n".join(missing)


def test_every_modules_forward_names_its_inputs_as_pytorchs(torch):
    """A script may call a module with its inputs by name (``criterion(input=logits, target=labels)``,
    ``functional_call(model, params, kwargs={"input": x})``): each module's forward takes PyTorch's
    names in PyTorch's order."""
    import inspect

    differing, compared = [], 0
    for name in dir(torch.nn):
        theirs, ours = getattr(torch.nn, name), getattr(tinynn.nn, name, None)
        if not (inspect.isclass(theirs) and issubclass(theirs, torch.nn.Module)) or ours is None:
            continue
        if theirs.forward is torch.nn.Module.forward or name in ("RNNBase", "RNNCellBase"):
            continue  # containers and bases without a forward of their own (PyTorch's raises)
        theirs_names = list(inspect.signature(theirs.forward).parameters)[1:]
        ours_names = list(inspect.signature(ours.forward).parameters)[1:]
        compared += 1
        if ours_names[:len(theirs_names)] != theirs_names:
            differing.append(f"{name}: PyTorch's {theirs_names}, ours {ours_names}")
    assert compared > 100 and not differing, "\n".join(differing)
    loss = tinynn.nn.PoissonNLLLoss()(log_input=tinynn.zeros(3), target=tinynn.ones(3))
    assert loss.item() == torch.nn.PoissonNLLLoss()(log_input=torch.zeros(3), target=torch.ones(3)).item() == 1.0
    assert tinynn.nn.Linear(2, 3)(input=tinynn.ones(1, 2)).shape == (1, 3)


DEPRECATED_CALLS = {  # name -> a call of PyTorch's deprecated API, written once for (library, x)
    "upsample": lambda L, x: L.nn.functional.upsample(x[None, None], scale_factor=2),
    "upsample_nearest": lambda L, x: L.nn.functional.upsample_nearest(x[None, None], scale_factor=2),
    "upsample_bilinear": lambda L, x: L.nn.functional.upsample_bilinear(x[None, None], scale_factor=2),
    "tensor of a tensor": lambda L, x: L.tensor(x),
    "range": lambda L, x: L.range(0, 3),
    "volatile Variable": lambda L, x: L.autograd.Variable(x, volatile=True),
    "T of 3-D": lambda L, x: x[None].T,
    "weight_norm": lambda L, x: L.nn.utils.weight_norm(L.nn.Linear(2, 2)),
    "implicit softmax dim": lambda L, x: L.nn.functional.softmax(x),
    "implicit log_softmax dim, in a module": lambda L, x: L.nn.LogSoftmax()(x),
    "size_average": lambda L, x: L.nn.functional.mse_loss(x, x, size_average=False),
}


@pytest.mark.parametrize("name", list(DEPRECATED_CALLS))
def test_deprecated_calls_warn_as_pytorchs_at_the_callers_line(name, torch, monkeypatch):
    """PyTorch's deprecation warnings, of its categories, shown at the user's line however deep in
    tinynn they are raised (tinynn.user_warnings)."""
    import warnings

    from tinynn import user_warnings

    monkeypatch.setattr(user_warnings, "_warned_once", set())  # x.T warns once a process, as PyTorch's

    def caught(library):
        with warnings.catch_warnings(record=True) as seen:
            warnings.simplefilter("always")
            DEPRECATED_CALLS[name](library, library.ones(2, 2))
        return seen

    ours, theirs = caught(tinynn), caught(torch)
    assert [w.category for w in ours] == [w.category for w in theirs], [str(w.message) for w in ours]
    for our, their in zip(ours, theirs):
        assert our.filename == __file__, f"shown at {our.filename}:{our.lineno}, not the caller's line"
        if name != "size_average":  # (tinynn's names the loss and the reduction to write)
            their_text = re.sub(r" \(Triggered internally at .*\)$", "", str(their.message))
            assert str(our.message).replace("tinynn.", "") == their_text.replace("torch.", "")


def test_the_arguments_added_for_pytorchs_signatures_do_what_pytorchs_do(torch):
    sequences = [np.array([1.0, 2.0, 3.0]), np.array([4.0])]
    for side in ("left", "right"):
        ours = tinynn.nn.utils.rnn.pad_sequence([tinynn.tensor(s) for s in sequences], True, -1.0, padding_side=side)
        theirs = torch.nn.utils.rnn.pad_sequence([torch.tensor(s) for s in sequences], True, -1.0, padding_side=side)
        assert ours.tolist() == theirs.tolist()
    with pytest.raises(ValueError, match="padding_side must be 'left' or 'right', got 'up'"):
        tinynn.nn.utils.rnn.pad_sequence([tinynn.tensor(s) for s in sequences], padding_side="up")
    made = tinynn.testing.make_tensor(2, 3, 4, 5, dtype=tinynn.float32, memory_format=tinynn.channels_last)
    assert made.is_contiguous(memory_format=tinynn.channels_last) and not made.is_contiguous()
    out = tinynn.empty(2, 3)
    values = np.arange(6.0, dtype=np.float32).reshape(2, 3)
    assert tinynn.nn.functional.normalize(tinynn.tensor(values), out=out) is out
    assert_close(out, torch.nn.functional.normalize(torch.tensor(values)), rtol=1e-6)
    x = tinynn.tensor([1.0, 2.0], requires_grad=True)
    with pytest.warns(FutureWarning, match="'grad_variables' is deprecated; use 'grad_tensors'"):
        tinynn.autograd.backward([x * x], grad_variables=[tinynn.tensor([1.0, 10.0])])
    assert x.grad.tolist() == [2.0, 40.0]
    with pytest.raises(RuntimeError, match="'grad_tensors' and 'grad_variables' \\(deprecated\\) were both given"):
        tinynn.autograd.backward([x * x], [tinynn.ones(2)], grad_variables=[tinynn.ones(2)])
    with pytest.warns(UserWarning, match="only_inputs is deprecated and ignored"):
        (gradient,) = tinynn.autograd.grad((x * x).sum(), [x], only_inputs=False)
    assert gradient.tolist() == [2.0, 4.0] and x.grad.tolist() == [2.0, 40.0]
    with pytest.warns(DeprecationWarning, match="min_value and max_value are deprecated"):
        clamp = tinynn.nn.Hardtanh(min_value=-2.0, max_value=3.0)
    assert (clamp.min_val, clamp.max_val) == (-2.0, 3.0)
    head = tinynn.nn.AdaptiveLogSoftmaxWithLoss(8, 10, [4], dtype=tinynn.float64)
    assert {p.dtype for p in head.parameters()} == {np.dtype(np.float64)}
    exp = tinynn.distributions.transforms.ExpTransform()
    joined = tinynn.distributions.transforms.CatTransform(tseq=[exp, exp], dim=0, lengths=[1, 2])
    assert joined(tinynn.zeros(3)).tolist() == [1.0, 1.0, 1.0]


def test_dtypes_numpy_lacks_are_clear_errors():
    with pytest.raises(AttributeError, match="tinynn.bfloat16: tinynn has no bfloat16 dtype .* use float16"):
        tinynn.autocast("cpu", dtype=tinynn.bfloat16)
    with pytest.raises(AttributeError, match="tinynn.complex32: tinynn has no complex32 dtype"):
        tinynn.complex32
    with pytest.raises(AttributeError, match="module 'tinynn' has no attribute 'no_such_name'"):
        tinynn.no_such_name
    with pytest.raises(TypeError, match="bfloat16: tinynn has no bfloat16 dtype .* use .half\\(\\)"):
        tinynn.ones(2).bfloat16()
    with pytest.raises(TypeError, match="chalf: tinynn has no complex32 dtype"):
        tinynn.ones(2).chalf()
    with pytest.raises(TypeError, match="bfloat16: tinynn has no bfloat16 dtype"):
        tinynn.nn.Linear(2, 2).bfloat16()


def test_more_of_pytorchs_arguments_do_what_pytorchs_do(torch, tmp_path, device):
    """The arguments the signature comparison found missing in its second round (profiler, hub, windows,
    dlpack, hooks, stateless, backends), each doing what PyTorch's does."""
    import inspect
    import warnings

    ours = tinynn.profiler.schedule(wait=2, warmup=1, active=1, repeat=2, skip_first=1, skip_first_wait=1)
    expected = ["NONE", "WARMUP", "RECORD_AND_SAVE", "NONE", "NONE", "WARMUP", "RECORD_AND_SAVE"] + ["NONE"] * 5
    assert [ours(k).name for k in range(12)] == expected  # (PyTorch 2.13's; older versions lack skip_first_wait)
    if "skip_first_wait" in inspect.signature(torch.profiler.schedule).parameters:
        theirs = torch.profiler.schedule(wait=2, warmup=1, active=1, repeat=2, skip_first=1, skip_first_wait=1)
        assert [theirs(k).name for k in range(12)] == expected
    window = tinynn.signal.windows.hann(6, layout=tinynn.strided, device=device)
    assert_close(window, torch.signal.windows.hann(6, layout=torch.strided), rtol=1e-6)
    with pytest.raises(ValueError, match="layout must be tinynn.strided"):
        tinynn.signal.windows.kaiser(4, layout=tinynn.sparse_coo)
    source = np.arange(6.0).reshape(2, 3)
    shared = tinynn.from_dlpack(source)
    shared._array[0, 0] = -1.0
    assert source[0, 0] == -1.0  # shared memory, as before
    copied = tinynn.from_dlpack(source, copy=True)
    copied._array[0, 1] = -2.0
    assert source[0, 1] == 1.0
    moved = tinynn.from_dlpack(source, device=device)
    assert moved.device == tinynn.device(device) and moved.tolist() == source.tolist()
    if device != "cpu":
        with pytest.raises(ValueError, match="copy=False, but the tensor lies on cpu"):
            tinynn.from_dlpack(source, device=device, copy=False)
    registry, extra = {}, {}
    handle = tinynn.utils.hooks.RemovableHandle(registry, extra_dict=[extra])
    registry[handle.id], extra[handle.id] = "hook", "its settings"
    handle.remove()
    assert registry == extra == {}
    layer = tinynn.nn.Linear(2, 1)
    with pytest.warns(FutureWarning, match="Please use torch.func.functional_call"):
        out = tinynn.nn.utils.stateless.functional_call(layer, parameters_and_buffers={
            "weight": tinynn.ones(1, 2), "bias": tinynn.zeros(1)}, args=(tinynn.ones(3, 2),))
    assert out.tolist() == [[2.0]] * 3
    before = tinynn.backends.cuda.flash_sdp_enabled()
    tinynn.backends.cuda.enable_flash_sdp(enabled=not before)
    assert tinynn.backends.cuda.flash_sdp_enabled() is (not before)
    tinynn.backends.cuda.enable_flash_sdp(enabled=before)
    x = tinynn.arange(7.0)
    assert [piece.tolist() for piece in x.split(split_size=3)] == [[0, 1, 2], [3, 4, 5], [6]]
    assert x.norm(dtype=tinynn.float64).dtype == np.float64
    tinynn.set_default_device(device=device)
    try:
        assert tinynn.zeros(1).device == tinynn.device(device)
    finally:
        tinynn.set_default_device(device=None)
    state = {"weight": tinynn.ones(2)}
    tinynn.save(state, tmp_path / "state.pt", pickle_protocol=4)
    assert torch.load(tmp_path / "state.pt")["weight"].tolist() == [1.0, 1.0]
    with pytest.raises(ValueError, match="pickle_module must be the standard pickle"):
        tinynn.save(state, tmp_path / "other.pt", pickle_module=warnings)
    with pytest.raises(ValueError, match="pickle_protocol must be an int from 2"):
        tinynn.save(state, tmp_path / "other.pt", pickle_protocol=1)
    with pytest.raises(ValueError, match="pickle_module must be the standard pickle"):
        tinynn.load(tmp_path / "state.pt", pickle_module=warnings)


@pytest.mark.parametrize("kind", ["torch.save", "tinynn.save torch format", "tinynn.save npz"])
def test_load_with_mmap_maps_the_file_copy_on_write(torch, tmp_path, kind):
    """mmap=True: every tensor is the file's pages (no copy at load), equal to a plain load; writing to one
    changes this process's copy only, never the file; a file object cannot be mapped."""
    path = tmp_path / ("model.npz" if kind.endswith("npz") else "model.pt")
    torch.manual_seed(0)
    reference = torch.nn.Sequential(torch.nn.Linear(40, 30), torch.nn.BatchNorm1d(30)).state_dict()
    if kind == "torch.save":
        torch.save(reference, path)
    else:
        tinynn.save({key: tinynn.tensor(value.numpy()) for key, value in reference.items()}, path)
    plain, mapped = tinynn.load(path), tinynn.load(path, mmap=True)
    assert list(plain) == list(mapped)
    for key in plain:
        np.testing.assert_array_equal(mapped[key].numpy(), plain[key].numpy())
        base = mapped[key]._array
        while not isinstance(base, np.memmap):
            base = base.base
        assert base.filename == str(path) and base.mode == "c"
    before = path.read_bytes()
    mapped["0.weight"]._array[...] = 7.0
    assert path.read_bytes() == before and tinynn.load(path)["0.weight"].numpy().max() < 1
    with pytest.raises(ValueError, match="mmap=True maps a file on disk"):
        with open(path, "rb") as file:
            tinynn.load(file, mmap=True)


def test_a_mapped_checkpoint_loads_onto_the_gpu(torch, tmp_path, device):
    path = tmp_path / "model.pt"
    torch.save({"weight": torch.arange(6.0).reshape(2, 3)}, path)
    placed = tinynn.load(path, mmap=True, map_location=device)["weight"]
    assert placed.device == tinynn.device(device) and placed.tolist() == [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]


def test_typename_is_inference_and_the_deterministic_debug_mode_as_pytorchs(torch):
    for ours, theirs in ((tinynn.ones(2), torch.ones(2)), (tinynn.ones(2, dtype=tinynn.float64), torch.ones(2).double()),
                         (tinynn.ones(2, dtype=tinynn.int64), torch.ones(2).long())):
        assert tinynn.typename(ours).replace("tinynn.", "torch.") == torch.typename(theirs)
    assert tinynn.typename(3) == torch.typename(3) == "int"
    assert tinynn.typename(tinynn.nn.Linear(2, 2)).endswith(".Linear")
    assert tinynn.is_inference(tinynn.ones(1)) is torch.is_inference(torch.ones(1)) is False
    try:
        for mode in ("warn", 2, "default", 1, 0):
            tinynn.set_deterministic_debug_mode(mode)
            torch.set_deterministic_debug_mode(mode)
            assert tinynn.get_deterministic_debug_mode() == torch.get_deterministic_debug_mode()
            assert tinynn.are_deterministic_algorithms_enabled() == torch.are_deterministic_algorithms_enabled()
            assert (tinynn.is_deterministic_algorithms_warn_only_enabled()
                    == torch.is_deterministic_algorithms_warn_only_enabled())
        with pytest.raises(RuntimeError, match="expected one of `default`, `warn`, `error`, but got loud"):
            tinynn.set_deterministic_debug_mode("loud")
    finally:
        tinynn.set_deterministic_debug_mode(0)
        torch.set_deterministic_debug_mode(0)


def test_fills_write_a_number_or_0d_tensor_in_the_tensors_dtype_as_pytorchs(torch):
    """fill_, masked_fill(_) and index_fill(_) cast their value to the tensor's dtype (no promotion) and
    take numbers or 0-d tensors only; copy_ of a Python number writes that number (not the two values
    of Tensor(2)); maximum and stack of numbers compute with those numbers."""

    def filled(library):
        uint8 = library.tensor([3, 2], dtype=library.uint8)
        mask, rows = library.tensor([True, False]), library.tensor([0])
        cases = {
            "index_fill float into uint8": lambda: uint8.clone().index_fill_(0, rows, library.tensor(1.5)),
            "index_fill int into bool": lambda: library.tensor([False, False]).index_fill_(0, rows, 2),
            "masked_fill float into int": lambda: library.tensor([5, 6]).masked_fill(mask, 2.7),
            "fill_ a 0-d tensor": lambda: library.zeros(2).fill_(library.tensor(3.0)),
            "fill_ float into int": lambda: library.zeros(2, dtype=library.int64).fill_(2.7),
            "copy_ a number": lambda: library.tensor([3, 2]).copy_(2),
            "fill_ a vector": lambda: library.zeros(2).fill_(library.tensor([1.0, 2.0])),
            "masked_fill_ a vector": lambda: library.zeros(2).masked_fill_(mask, library.tensor([1.0, 2.0])),
            "index_fill_ a vector": lambda: uint8.clone().index_fill_(0, rows, library.tensor([7, 7])),
        }
        results = {}
        for name, case in cases.items():
            try:
                value = case()
                results[name] = (str(value.dtype).replace("torch.", ""), value.tolist())
            except RuntimeError as error:
                results[name] = str(error).split(" only supports")[0].rstrip("_")  # (ours names the out-of-place op)
        return results

    assert filled(tinynn) == filled(torch)
    assert tinynn.maximum(2, 3).item() == 3 and tinynn.stack([2, 3]).tolist() == [2, 3]


def test_sizes_by_keyword_as_pytorchs(torch):
    """size= (shape= for reshape, repeats= for repeat) where PyTorch takes the sizes by keyword too."""

    def made(library):
        x = library.arange(12.0).reshape(3, 4)
        results = [library.zeros(size=(2, 3)), library.ones(size=[2]), x.view(size=(4, 3)),
                   library.reshape(x, shape=(2, 6)), x[:1].expand(size=(2, 4)), x.repeat(repeats=(2, 1)),
                   x.new_zeros(size=(2,)), x.new_ones(size=(1, 2)), x.broadcast_to(size=(2, 3, 4)),
                   x.sum_to_size(size=(1, 4)), library.full(size=(2,), fill_value=3.0)]
        shapes = [tuple(library.randn(size=(2, 5)).shape), tuple(library.rand(size=(3,)).shape),
                  tuple(library.empty(size=(1, 2)).shape)]  # (PyTorch's empty is uninitialised)
        return [result.tolist() for result in results] + shapes

    assert made(tinynn) == made(torch)
    with pytest.raises(TypeError, match="zeros: give the sizes by position or by keyword, not both"):
        tinynn.zeros(2, size=(2,))


def test_arguments_by_pytorchs_keywords(torch):
    """The names PyTorch's functions and methods take their arguments by: ``other=`` for the binary
    functions whose formulas named them a and b, ``size(dim=)``, ``swapdims(dim0=, dim1=)``,
    ``bernoulli(p=)``, ``repeat_interleave(output_size=)``, ``uniform_(to=)``, ``type(non_blocking=)``,
    ``randint(requires_grad=)``, ``isin(assume_unique=)``, ``input=`` for the functions whose formulas
    call it x (each was a TypeError)."""
    def called(library):
        x, y = library.tensor([1.0, -2.0, 3.0]), library.tensor([0.5, 2.0, -1.0])
        binary = [getattr(library, name)(x, other=y) for name in (
            "copysign", "fmax", "fmin", "fmod", "hypot", "kron", "ldexp", "logaddexp", "logaddexp2", "nextafter",
            "remainder", "xlogy")]
        binary += [library.dist(x, other=y, p=1), library.inner(x, other=y), library.vdot(x, other=y),
                   x.fmod(other=2.0), x.hypot(other=y), x.copysign(other=y)]
        matrix = library.arange(6.0).reshape(2, 3)
        rest = [matrix.swapdims(dim0=0, dim1=1), matrix.clone().swapaxes_(axis0=0, axis1=1),
                matrix.clone().swapdims_(dim0=0, dim1=1), x.repeat_interleave(2, dim=0, output_size=6),
                x.bernoulli(p=0.0), library.bernoulli(x, p=1.0), x.type(dtype=library.float64, non_blocking=True),
                library.randint(0, 3, (2,), requires_grad=False) * 0, library.isin(x, y, assume_unique=True),
                library.zeros(3).uniform_(to=0.0), library.cumprod(input=x, dim=0), library.angle(input=x),
                library.rot90(input=matrix, k=1, dims=[0, 1]), library.index_copy(input=x, dim=0, index=library.tensor([0]),
                                                                              source=y[:1])]
        return [np.asarray(t.tolist(), dtype=np.float64) for t in binary + rest] + [(matrix.size(dim=1),
                                                                                        matrix.size(axis=0))]

    ours, theirs = called(tinynn), called(torch)
    assert ours[-1] == theirs[-1]
    for our_values, their_values in zip(ours[:-1], theirs[:-1]):  # (float32 formulas may round differently)
        np.testing.assert_allclose(our_values, their_values, rtol=1e-6, equal_nan=True)
    with pytest.raises(ValueError, match="repeat_interleave: Invalid output_size, expected 6 but got 5"):
        tinynn.tensor([1, 2, 3]).repeat_interleave(2, output_size=5)


def test_max_and_min_read_a_tensor_by_keyword_dim_as_a_dim_and_by_position_as_other(torch):
    """x.max(dim=tinynn.tensor(0)) reduces along dim 0 (it was taken for the elementwise maximum with the
    tensor 0, a silent wrong answer); a tensor by position, or by other=, is the elementwise form."""
    def reduced(library):
        x = library.tensor([[3.0, 1.0, 2.0], [-1.0, 5.0, 0.0]])
        results = [x.max(dim=library.tensor(0)), x.min(dim=library.tensor(1), keepdim=True), x.max(library.tensor(2.0)),
                   x.min(other=x * 0), library.max(x, 1), library.min(x, dim=0), library.tensor(4.0).max(0),
                   x.max(1, True)]
        return [[t.tolist() for t in (result if isinstance(result, tuple) else (result,))] for result in results]

    assert reduced(tinynn) == reduced(torch)
    with pytest.raises(TypeError, match="max: give dim or other once, by position or by keyword"):
        tinynn.ones(2).max(0, dim=0)
    for library in (tinynn, torch):  # (tinynn gave the maximum of all, ignoring keepdim)
        with pytest.raises(TypeError):
            library.ones(2, 3).max(keepdim=True)


def test_random_fills_draw_from_a_generator_of_ones_own(device):
    """Every in-place random fill takes ``generator=``, as PyTorch's: the same seed gives the same
    values, on either device, and tinynn's global generator is left alone."""
    fills = {"normal_": (), "uniform_": (-1.0, 1.0), "bernoulli_": (0.3,), "exponential_": (), "geometric_": (0.4,),
             "cauchy_": (), "log_normal_": (), "random_": (0, 10)}
    state = tinynn.random.get_rng_state()["cpu"]
    for name, arguments in fills.items():
        drawn = [getattr(tinynn.zeros(1000, device=device), name)(*arguments,
                                                                  generator=tinynn.Generator().manual_seed(seed)).tolist()
                 for seed in (7, 7, 8)]
        assert drawn[0] == drawn[1] and drawn[0] != drawn[2], name
    assert tinynn.random.get_rng_state()["cpu"] == state


def test_diagonal_matrices_hold_non_finite_entries_as_pytorchs(torch, device):
    """diag, diag_embed and diagflat select the entries onto the diagonal (multiplying by the identity
    put inf * 0 = NaN beside an infinite entry, and diag_embed's sum spread it over the matrix)."""
    values = [float("inf"), -2.0, float("nan")]

    def built(library, **where):
        v = library.tensor(values, **where)
        return [t.tolist() for t in (library.diag(v), library.diag(v, -1), library.diag_embed(v[None], offset=1),
                                     library.diagflat(v), library.diag_embed(v, dim1=0, dim2=1))]

    assert repr(built(tinynn, device=device)) == repr(built(torch))  # (repr: NaN equal to NaN)
    x = tinynn.tensor([1.0, -2.0], requires_grad=True, device=device)
    (tinynn.diag_embed(x) * tinynn.tensor([[3.0, 5.0], [7.0, 11.0]], device=device)).sum().backward()
    assert x.grad.tolist() == [3.0, 11.0]


def test_multinomial_draws_every_row_at_once_with_the_right_frequencies(device):
    """With replacement each category comes up in proportion to its weight; without, the first draw
    does and the second is drawn from the weights left, P(second = j) = sum_i w_i w_j / (1 - w_i);
    frequencies within five standard deviations over 20,000 rows. Bad weights are PyTorch's errors."""
    tinynn.manual_seed(3)
    weights = np.array([0.1, 0.2, 0.0, 0.7])
    rows = 20000
    spread = 5 * np.sqrt(0.25 / rows)
    table = tinynn.tensor(np.tile(weights * 3, (rows, 1)), device=device)  # (unnormalised, as PyTorch takes them)
    picks = tinynn.multinomial(table, 3, replacement=True).numpy()
    assert picks.shape == (rows, 3) and np.abs(np.bincount(picks.ravel(), minlength=4) / picks.size - weights).max() < spread
    pairs = tinynn.multinomial(table, 2).numpy()
    second = sum(weights[i] * weights / (1 - weights[i]) * (np.arange(4) != i) for i in range(4))
    assert (pairs[:, 0] != pairs[:, 1]).all() and not (pairs == 2).any()
    assert np.abs(np.bincount(pairs[:, 0], minlength=4) / rows - weights).max() < spread
    assert np.abs(np.bincount(pairs[:, 1], minlength=4) / rows - second).max() < spread
    for bad, message in ((tinynn.tensor([0.5, -0.1]), "contains either `inf`, `nan` or element < 0"),
                         (tinynn.tensor([0.0, 0.0]), r"sum of probabilities <= 0"),
                         (tinynn.tensor([1.0, 0.0, 0.0]), "fewer than 2 categories of positive weight")):
        with pytest.raises(RuntimeError, match=message):
            tinynn.multinomial(bad, 2)
