"""tinynn.autocast (tinynn/mixed_precision.py): each op runs in the dtype PyTorch's autocast gives it,
with values and float32 gradients as PyTorch's to float16 precision; regions nest, float64 stays,
the GPU's list differs from the CPU's as in PyTorch, and a GradScaler loop trains in it."""
import numpy as np
import pytest

import tinynn
from tinynn import nn
from tinynn.nn import functional as F

from helpers import assert_close, use_device

RNG = np.random.default_rng(0)
X = RNG.standard_normal((6, 8)).astype(np.float32)
W = (RNG.standard_normal((5, 8)) / 3).astype(np.float32)
IMAGES = RNG.standard_normal((2, 3, 6, 6)).astype(np.float32)
KERNEL = (RNG.standard_normal((4, 3, 3, 3)) / 5).astype(np.float32)
TARGETS = np.array([0, 1, 2, 3, 4, 0])

# name: a function of (library, functional module, x, w, images, kernel, targets)
OPS = {
    "linear": lambda L, F, x, w, i, k, t: F.linear(x, w),
    "matmul": lambda L, F, x, w, i, k, t: x @ w.T,
    "mm": lambda L, F, x, w, i, k, t: x.mm(w.T),
    "bmm": lambda L, F, x, w, i, k, t: L.bmm(x.reshape(2, 3, 8), w.T.expand(2, 8, 5)),
    "addmm": lambda L, F, x, w, i, k, t: L.addmm(x[:, :5], x, w.T),
    "conv2d": lambda L, F, x, w, i, k, t: F.conv2d(i, k, padding=1),
    "conv1d": lambda L, F, x, w, i, k, t: F.conv1d(i[:, :, 0], k[:, :, 0]),
    "relu of linear": lambda L, F, x, w, i, k, t: F.relu(F.linear(x, w)),
    "softmax": lambda L, F, x, w, i, k, t: F.softmax(F.linear(x, w), dim=1),
    "log_softmax": lambda L, F, x, w, i, k, t: F.log_softmax(F.linear(x, w), dim=1),
    "cross_entropy": lambda L, F, x, w, i, k, t: F.cross_entropy(F.linear(x, w), t),
    "nll_loss": lambda L, F, x, w, i, k, t: F.nll_loss(F.log_softmax(F.linear(x, w), dim=1), t),
    "mse_loss": lambda L, F, x, w, i, k, t: F.mse_loss(F.linear(x, w), x[:, :5]),
    "sum of linear and x": lambda L, F, x, w, i, k, t: F.linear(x, w) + x[:, :5],
}


@pytest.mark.parametrize("name", list(OPS))
def test_each_op_runs_in_pytorchs_dtype_with_its_values_and_gradients(name, torch):
    import torch.nn.functional as torch_F

    ours = [tinynn.tensor(a, requires_grad=True) for a in (X, W, IMAGES, KERNEL)]
    theirs = [torch.tensor(a, requires_grad=True) for a in (X, W, IMAGES, KERNEL)]
    with tinynn.autocast("cpu"):
        out = OPS[name](tinynn, F, *ours, tinynn.tensor(TARGETS))
    with torch.autocast("cpu", dtype=torch.float16):
        t_out = OPS[name](torch, torch_F, *theirs, torch.tensor(TARGETS))
    assert str(out.dtype) == str(t_out.dtype).replace("torch.", ""), f"{name}: {out.dtype} against {t_out.dtype}"
    scale = float(t_out.detach().float().abs().max()) + 1
    assert_close(out.to(dtype=np.float32), t_out.detach().float(), rtol=0, atol=2e-3 * scale, what=name)
    out.float().sum().backward()
    t_out.float().sum().backward()
    for position, (a, b) in enumerate(zip(ours, theirs)):
        if b.grad is None:
            assert a.grad is None
            continue
        assert a.grad.dtype == np.float32, f"{name}: the gradient of input {position} is {a.grad.dtype}"
        grad_scale = float(b.grad.abs().max()) + 1
        assert_close(a.grad, b.grad, rtol=0, atol=4e-3 * grad_scale, what=f"{name} gradient of input {position}")


def test_regions_nest_switch_off_and_leave_float64_alone():
    x, w = tinynn.tensor(X), tinynn.tensor(W)
    assert not tinynn.is_autocast_enabled("cpu") and F.linear(x, w).dtype == np.float32
    with tinynn.autocast("cpu"):
        assert tinynn.is_autocast_enabled("cpu") and tinynn.get_autocast_dtype("cpu") == np.float16
        assert F.linear(x, w).dtype == np.float16
        assert F.linear(x.double(), w.double()).dtype == np.float64  # never cast, as PyTorch
        with tinynn.autocast("cpu", enabled=False):
            assert F.linear(x, w).dtype == np.float32 and not tinynn.is_autocast_enabled("cpu")
        assert F.linear(x, w).dtype == np.float16
    assert not tinynn.is_autocast_enabled("cpu") and (x @ w.T).dtype == np.float32

    @tinynn.autocast("cpu")
    def forward(a, b):
        return a @ b.T

    assert forward(x, w).dtype == np.float16 and (x @ w.T).dtype == np.float32
    with pytest.raises(ValueError, match="autocast: tinynn runs lower-precision ops in float16"):
        tinynn.autocast("cpu", dtype="float32")


@pytest.mark.parametrize("kind", [pytest.param("cuda", marks=pytest.mark.gpu), "simulated-gpu"])
def test_the_gpu_list_casts_softmax_and_normalisation_to_float32_and_regions_are_per_device(kind, monkeypatch):
    device = use_device(kind, monkeypatch)
    x, w = tinynn.tensor(X, device=device), tinynn.tensor(W, device=device)
    with tinynn.autocast("cuda"):
        logits = F.linear(x, w)
        assert logits.dtype == np.float16 and logits.device == "gpu"
        assert F.softmax(logits, 1).dtype == np.float32 and F.layer_norm(logits, (5,)).dtype == np.float32
        assert F.linear(tinynn.tensor(X), tinynn.tensor(W)).dtype == np.float32  # a CPU op, outside a CPU region
    with tinynn.autocast("cpu"):
        assert F.linear(x, w).dtype == np.float32  # a GPU op, outside a GPU region


def test_a_gradscaler_loop_trains_in_autocast_with_float32_master_weights(device):
    tinynn.manual_seed(0)
    model = nn.Sequential(nn.Linear(8, 32), nn.ReLU(), nn.Linear(32, 5)).to(device)
    optimizer = tinynn.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    scaler = tinynn.amp.GradScaler(device)
    x, targets = tinynn.tensor(X, device=device), tinynn.tensor(TARGETS, device=device)
    losses = []
    for _ in range(30):
        optimizer.zero_grad()
        with tinynn.autocast(device):
            loss = F.cross_entropy(model(x), targets)
        assert loss.dtype == np.float32
        scaler.scale(loss).backward()
        scaler.step(optimizer)
        scaler.update()
        losses.append(loss.item())
    assert all(p.dtype == np.float32 and p.grad.dtype == np.float32 for p in model.parameters())
    assert losses[-1] < 0.1 * losses[0]


HALF_REDUCTIONS = {  # name -> function(tensor of 100,000 values in [0, 1))
    "var": lambda t: t.var(), "std": lambda t: t.std(), "var unbiased=False": lambda t: t.var(unbiased=False),
    "cumsum": lambda t: t.cumsum(0)[-1], "sum": lambda t: t.sum(), "mean": lambda t: t.mean(),
}


@pytest.mark.parametrize("name", sorted(HALF_REDUCTIONS))
def test_float16_reductions_accumulate_as_pytorchs(name, torch):
    """Reductions of float16 tensors add up in float32, as PyTorch's do: the variance of 100,000
    values was 0 (their count, 99,999, is inf in float16) and a float16 running sum stopped at 2048."""
    values = np.random.default_rng(0).uniform(0, 1, 100_000).astype(np.float16)
    ours = HALF_REDUCTIONS[name](tinynn.tensor(values))
    theirs = HALF_REDUCTIONS[name](torch.tensor(values))
    exact = HALF_REDUCTIONS[name](torch.tensor(values.astype(np.float64))).item()
    assert ours.dtype == np.float16
    assert abs(ours.item() - exact) <= 2e-3 * abs(exact)
    assert ours.item() == pytest.approx(theirs.item(), rel=2e-3)


HALF_NORMALIZATIONS = {  # name -> function(functional module, images (80, 2, 32, 32), weight (2,)); 81,920 values per channel
    "batch_norm": lambda F, x, w: F.batch_norm(x, None, None, w, None, training=True),
    "instance_norm": lambda F, x, w: F.instance_norm(x[:1].reshape(1, 2, 1024), weight=w),
    "group_norm": lambda F, x, w: F.group_norm(x, 1, w),
    "layer_norm": lambda F, x, w: F.layer_norm(x, (32,)),
    "layer_norm of long rows": lambda F, x, w: F.layer_norm(x.reshape(2, -1), (81920,)),
    "rms_norm": lambda F, x, w: F.rms_norm(x.reshape(2, -1), (81920,)),
}


@pytest.mark.parametrize("name", sorted(HALF_NORMALIZATIONS))
def test_float16_normalisations_compute_in_float32_as_pytorchs(name, torch):
    """A float16 normalisation computes in float32 and rounds its output to float16, as PyTorch's: in
    float16 a batch norm over 81,920 values per channel divided by inf (its output was NaN) and a
    layer norm over a long row summed squares past float16's range."""
    rng = np.random.default_rng(0)
    images = (rng.standard_normal((80, 2, 32, 32)) + 3).astype(np.float16)
    gradient_weights = rng.standard_normal(images.shape).astype(np.float16)
    results = []
    for library in (tinynn, torch):
        x = library.tensor(images, requires_grad=True)
        w = library.tensor(np.array([0.5, 2.0], dtype=np.float16), requires_grad=True)
        y = HALF_NORMALIZATIONS[name](library.nn.functional, x, w)
        weights = gradient_weights.reshape(-1)[:y.numel()].reshape(tuple(y.shape))
        (y.float() * library.tensor(weights).float()).sum().backward()
        results.append([y.dtype, x.grad.dtype] + [t.detach().float().numpy() for t in (y, x.grad)])
    (y_dtype, grad_dtype, y, grad), (_, _, expected_y, expected_grad) = results
    assert str(y_dtype) == str(grad_dtype) == "float16"
    np.testing.assert_allclose(y, expected_y, rtol=2e-3, atol=2e-3)
    np.testing.assert_allclose(grad, expected_grad, rtol=2e-2, atol=2e-3)


def test_float16_batch_norm_keeps_float16_running_statistics_as_pytorchs(torch):
    images = (np.random.default_rng(0).standard_normal((80, 2, 32, 32)) + 3).astype(np.float16)
    statistics = []
    for library in (tinynn, torch):
        layer = library.nn.BatchNorm2d(2).half()
        layer(library.tensor(images))
        statistics.append([(str(t.dtype).split(".")[-1], t.float().numpy()) for t in (layer.running_mean, layer.running_var)])
    for (dtype, ours), (torch_dtype, theirs) in zip(*statistics):
        assert dtype == torch_dtype == "float16"
        np.testing.assert_allclose(ours, theirs, rtol=1e-3)


HALF_AVERAGES = {  # name -> function(library, images (1, 2, 256, 256), rows (70000, 3), targets (70000,), long row (1, 100000))
    "avg_pool2d over 256 x 256": lambda m, images, rows, targets, row: m.nn.functional.avg_pool2d(images, 256),
    "cross_entropy over 70,000 rows": lambda m, images, rows, targets, row: m.nn.functional.cross_entropy(rows, targets),
    "label-smoothed cross_entropy": lambda m, images, rows, targets, row: m.nn.functional.cross_entropy(
        rows, targets, label_smoothing=0.1),
    "nll_loss": lambda m, images, rows, targets, row: m.nn.functional.nll_loss(rows.log_softmax(1), targets),
    "kl_div batchmean": lambda m, images, rows, targets, row: m.nn.functional.kl_div(
        rows.log_softmax(1), rows.flip(1).softmax(1), reduction="batchmean"),
    "softmax of a long row": lambda m, images, rows, targets, row: m.nn.functional.softmax(row, 1)[:, :5],
    "log_softmax of a long row": lambda m, images, rows, targets, row: m.nn.functional.log_softmax(row, 1)[:, :5],
    "nanmean": lambda m, images, rows, targets, row: row.nanmean(),
    "cov": lambda m, images, rows, targets, row: m.cov(m.cat([row, row.flip(1)])),
    "norm": lambda m, images, rows, targets, row: (2 * row).norm(),
    "norm along a dim": lambda m, images, rows, targets, row: rows.norm(dim=0),
    "linalg.vector_norm": lambda m, images, rows, targets, row: m.linalg.vector_norm(4 * row, 3),
    "linalg.matrix_norm": lambda m, images, rows, targets, row: m.linalg.matrix_norm(rows),
    "dist": lambda m, images, rows, targets, row: m.dist(2 * row, -row.flip(1)),
    "normalize": lambda m, images, rows, targets, row: m.nn.functional.normalize(2 * row, dim=1)[:, :5],
    "cosine_similarity": lambda m, images, rows, targets, row: m.nn.functional.cosine_similarity(2 * row, 2 * row.flip(1)),
    "pairwise_distance": lambda m, images, rows, targets, row: m.nn.functional.pairwise_distance(2 * row, -row.flip(1)),
}


def test_float16_embedding_bag_averages_a_long_bag_in_float32(torch):
    """A bag of 70,000 rows counted inf in float16 (its mean 0; PyTorch's own is NaN), and a float16 sum of
    35,000 halves stalled where adding 0.5 no longer changes it; the weight's
    gradient comes back float16, and max_norm renormalises the float16 table itself."""
    weight = tinynn.tensor(np.full((3, 2), 0.5, dtype=np.float16), requires_grad=True)
    indices = tinynn.zeros(70000, dtype=tinynn.int64)
    for mode, expected in (("mean", 0.5), ("sum", 17504.0)):  # (35,000 x 0.5 in float16)
        bags = F.embedding_bag(indices, weight, tinynn.tensor([0, 35000]), mode=mode)
        assert bags.dtype == np.float16 and bags.tolist() == [[expected] * 2] * 2
    F.embedding_bag(indices, weight, tinynn.tensor([0, 35000]), mode="mean").sum().backward()
    assert weight.grad.dtype == np.float16 and weight.grad.tolist() == [[2.0, 2.0], [0.0, 0.0], [0.0, 0.0]]
    table = tinynn.tensor(np.full((3, 2), 3.0, dtype=np.float16))
    F.embedding_bag(tinynn.tensor([[0, 1]]), table, mode="mean", max_norm=1.0)
    assert table.dtype == np.float16 and table[0].norm().item() == pytest.approx(1.0, rel=1e-3)


@pytest.mark.parametrize("name", sorted(HALF_AVERAGES))
def test_float16_averages_over_more_than_65504_values_compute_in_float32(name, torch):
    """Averages over more values than float16 can count (65,504): computed in float32 and rounded
    to float16 as PyTorch's kernels do. (In float16 the count was inf: avg_pool2d over a 256 x 256
    window and the mean cross-entropy gave NaN, kl_div and nanmean 0, a long softmax 0s, the norm of
    100,000 values below 1 inf, normalize 0s, cosine_similarity NaN.) Compared
    with the float64 result; PyTorch's own float16 cross-entropy mean over 70,000 rows is NaN."""
    rng = np.random.default_rng(0)
    arrays = ((rng.standard_normal((1, 2, 256, 256)) + 1).astype(np.float16),
              rng.standard_normal((70000, 3)).astype(np.float16), rng.integers(0, 3, 70000),
              rng.uniform(0, 1, (1, 100000)).astype(np.float16))
    ours = HALF_AVERAGES[name](tinynn, *(tinynn.tensor(a) for a in arrays))
    exact = HALF_AVERAGES[name](torch, *(torch.tensor(a.astype(np.float64) if a.dtype == np.float16 else a)
                                         for a in arrays))
    assert ours.dtype == np.float16
    np.testing.assert_allclose(ours.float().numpy(), exact.numpy(), rtol=3e-3, atol=1e-7)
