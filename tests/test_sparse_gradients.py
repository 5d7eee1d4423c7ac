"""Sparse gradients (Embedding(sparse=True)): the gradient PyTorch gives, entry for entry; how they
add up in .grad, reach hooks, grad() and double backward; SGD, Adagrad and SparseAdam against
PyTorch's; the optimizers that refuse them; clipping, GradScaler, zero_grad, LBFGS, checkpoint and
DistributedDataParallel with them; a bag-of-words model that trains with SparseAdam; the simulated GPU."""
import warnings

import numpy as np
import pytest

import tinynn
from tinynn import nn
from tinynn.autograd import gradcheck
from tinynn.nn import functional as F
from tinynn.sparse import SparseTensor

RNG = np.random.default_rng(21)
TABLE = RNG.standard_normal((7, 3))
INDICES = np.array([[1, 3, 1], [6, 2, 1]])  # index 1 three times


@pytest.fixture
def quiet_torch(torch):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PyTorch's note about its sparse invariant checks
        yield torch


def _lookup_gradient(sparse, padding_idx=None, scale_grad_by_freq=False, device="cpu"):
    weight = tinynn.tensor(TABLE, device=device, requires_grad=True)
    output = F.embedding(tinynn.tensor(INDICES, device=device), weight, padding_idx,
                         scale_grad_by_freq=scale_grad_by_freq, sparse=sparse)
    (output * tinynn.tensor(np.arange(1.0, 4.0), device=device)).sum().backward()
    return weight.grad


@pytest.mark.parametrize("padding_idx", [None, 1, -1])
def test_the_sparse_gradient_is_pytorchs_entry_for_entry(quiet_torch, padding_idx):
    torch = quiet_torch
    ours = _lookup_gradient(True, padding_idx)
    weight = torch.tensor(TABLE, requires_grad=True)
    output = torch.nn.functional.embedding(torch.tensor(INDICES), weight, padding_idx, sparse=True)
    (output * torch.arange(1.0, 4.0, dtype=torch.float64)).sum().backward()
    theirs = weight.grad
    assert isinstance(ours, SparseTensor) and ours.layout is tinynn.sparse_coo and theirs.is_sparse
    assert ours.shape == tuple(theirs.shape) and (ours.sparse_dim(), ours.dense_dim()) == (1, 1)
    assert not ours.is_coalesced() and ours._nnz() == theirs._nnz()  # uncoalesced, as PyTorch's
    assert ours.indices().tolist() == theirs._indices().tolist()
    np.testing.assert_array_equal(ours.values().numpy(), theirs._values().numpy())
    np.testing.assert_array_equal(ours.coalesce().indices().numpy(), theirs.coalesce().indices().numpy())
    np.testing.assert_array_equal(ours.to_dense().numpy(), theirs.to_dense().numpy())
    np.testing.assert_array_equal(ours.to_dense().numpy(), _lookup_gradient(False, padding_idx).numpy())


def test_scale_grad_by_freq_gives_the_dense_gradient_sparse():
    """PyTorch refuses this pair; tinynn's sparse gradient is its dense one's rows."""
    sparse = _lookup_gradient(True, scale_grad_by_freq=True)
    np.testing.assert_allclose(sparse.to_dense().numpy(), _lookup_gradient(False, scale_grad_by_freq=True).numpy(),
                               rtol=1e-15)
    assert sparse._nnz() == INDICES.size


def test_the_sparse_gradient_matches_finite_differences():
    indices = tinynn.tensor(INDICES)
    weight = tinynn.tensor(TABLE, requires_grad=True)
    assert gradcheck(lambda w: F.embedding(indices, w, sparse=True) ** 2, [weight])
    assert gradcheck(lambda w: F.embedding_bag(indices, w, mode="mean", sparse=True).tanh(), [weight])


def test_sparse_and_dense_gradients_add_up_as_in_pytorch():
    weight = tinynn.tensor(TABLE, requires_grad=True)
    first, second = tinynn.tensor([1]), tinynn.tensor([1, 2])
    F.embedding(first, weight, sparse=True).sum().backward()
    F.embedding(second, weight, sparse=True).sum().backward()
    assert weight.grad.is_sparse and weight.grad.indices().tolist() == [[1, 1, 2]]  # entries side by side
    (weight * 2).sum().backward()  # sparse + dense: dense
    expected = np.full_like(TABLE, 2.0)
    expected[1] += 2
    expected[2] += 1
    assert not weight.grad.is_sparse
    np.testing.assert_array_equal(weight.grad.numpy(), expected)
    F.embedding(first, weight, sparse=True).sum().backward()  # dense + sparse: dense
    expected[1] += 1
    np.testing.assert_array_equal(weight.grad.numpy(), expected)


def test_hooks_grad_and_non_leaf_tables_see_the_right_layout():
    weight = tinynn.tensor(TABLE, requires_grad=True)
    seen = []
    weight.register_hook(lambda grad: seen.append(grad.layout))
    (gradient,) = tinynn.autograd.grad(F.embedding(tinynn.tensor([4, 4]), weight, sparse=True).sum(), weight)
    assert seen == [tinynn.sparse_coo] and gradient.is_sparse and gradient.coalesce().values().tolist() == [[2.0] * 3]
    handle = weight.register_hook(lambda grad: grad.to_dense() * 3)  # a hook may hand back a dense gradient
    F.embedding(tinynn.tensor([4]), weight, sparse=True).sum().backward()
    handle.remove()
    assert not weight.grad.is_sparse and weight.grad.numpy()[4].tolist() == [3.0] * 3
    # an op between the table and its leaf receives the dense form; the leaf's gradient is dense
    leaf = tinynn.tensor(TABLE, requires_grad=True)
    F.embedding(tinynn.tensor([0, 0]), leaf * 5, sparse=True).sum().backward()
    assert not leaf.grad.is_sparse and leaf.grad.numpy()[0].tolist() == [10.0] * 3 and not leaf.grad.numpy()[1:].any()


def test_double_backward_through_a_sparse_gradient_equals_the_dense_ones():
    results = []
    for sparse in (True, False):
        weight = tinynn.tensor(TABLE, requires_grad=True)
        loss = (F.embedding(tinynn.tensor(INDICES), weight, sparse=sparse) ** 3).sum()
        (gradient,) = tinynn.autograd.grad(loss, weight, create_graph=True)
        assert gradient.requires_grad and gradient.is_sparse == sparse
        (gradient.to_dense() ** 2).sum().backward()
        results.append(weight.grad.to_dense().numpy())
    np.testing.assert_allclose(results[0], results[1], rtol=1e-14)


OPTIMIZERS = {
    "SGD": lambda o: o.SGD, "SGD momentum dampening": lambda o: (o.SGD, dict(momentum=0.9, dampening=0.3)),
    "SGD nesterov": lambda o: (o.SGD, dict(momentum=0.9, nesterov=True)),
    "SGD maximize": lambda o: (o.SGD, dict(maximize=True)),
    "Adagrad": lambda o: (o.Adagrad, dict(initial_accumulator_value=0.1)),
    "Adagrad lr_decay maximize": lambda o: (o.Adagrad, dict(lr_decay=0.1, maximize=True)),
    "SparseAdam": lambda o: o.SparseAdam,
    "SparseAdam betas maximize": lambda o: (o.SparseAdam, dict(betas=(0.5, 0.7), maximize=True)),
}
BATCHES = [[1, 3, 1], [0, 1, 0], [5, 5, 2], [3], [4, 1]]


def _chosen(library, choice):
    """(the optimizer class, its options) of OPTIMIZERS[choice] in ``library``."""
    chosen = OPTIMIZERS[choice](library.optim)
    return chosen if isinstance(chosen, tuple) else (chosen, {})


def _train_table(library, choice, device=None, steps=5, bag=False):
    kind, options = _chosen(library, choice)
    layer = (library.nn.EmbeddingBag(7, 3, mode="sum", sparse=True) if bag
             else library.nn.Embedding(7, 3, sparse=True))
    layer.weight.data = library.tensor(TABLE)
    if device is not None:
        layer.to(device)
    optimizer = kind(layer.parameters(), lr=0.1, **options)
    weights = library.tensor(np.arange(1.0, 4.0), **({"device": device} if device else {}))
    for step in range(steps):
        optimizer.zero_grad()
        indices = library.tensor(BATCHES[step % len(BATCHES)], **({"device": device} if device else {}))
        looked_up = layer(indices.reshape(1, -1)) if bag else layer(indices)
        (looked_up ** 2 * weights).sum().backward()
        optimizer.step()
    return layer.weight.detach().to("cpu").numpy(), optimizer


@pytest.mark.parametrize("choice", OPTIMIZERS)
def test_optimizers_with_sparse_gradients_follow_pytorchs(quiet_torch, choice):
    ours, optimizer = _train_table(tinynn, choice)
    theirs, _ = _train_table(quiet_torch, choice)
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-15)
    assert not np.allclose(ours, TABLE)
    if choice.startswith("SparseAdam"):
        state = optimizer.state_dict()["state"][0]
        assert state["step"] == 5 and state["exp_avg"].shape == (7, 3)


def test_sparse_adam_moves_only_the_rows_in_the_gradient_and_keeps_their_moments():
    weights, optimizer = _train_table(tinynn, "SparseAdam", steps=3)
    used = sorted({index for batch in BATCHES[:3] for index in batch})
    unused = [row for row in range(7) if row not in used]
    np.testing.assert_array_equal(weights[unused], TABLE[unused])
    assert (weights[used] != TABLE[used]).all()
    exp_avg = next(iter(optimizer.state.values()))["exp_avg"].numpy()
    assert not exp_avg[unused].any() and exp_avg[used].all()
    # row 3 was used at step 1 only: lazy Adam leaves its moments as step 1 made them
    assert np.allclose(exp_avg[3], 0.1 * 2 * TABLE[3] * np.arange(1.0, 4.0) * 1)


def test_embedding_bag_with_sparse_gradients_trains_as_pytorchs(quiet_torch):
    ours, _ = _train_table(tinynn, "SparseAdam", bag=True)
    theirs, _ = _train_table(quiet_torch, "SparseAdam", bag=True)
    np.testing.assert_allclose(ours, theirs, rtol=1e-12)


@pytest.mark.parametrize("mode", ["sum", "mean"])
def test_an_embedding_bags_sparse_gradient_is_pytorchs(quiet_torch, mode):
    """Offsets with an empty bag, the padding index, per-sample weights (sum): the same entries."""
    torch = quiet_torch
    entries, offsets = np.array([1, 2, 4, 1, 6, 2]), np.array([0, 2, 2, 5])
    weights = RNG.random(6) if mode == "sum" else None
    gradients = []
    for library in (tinynn, torch):
        bag = library.nn.EmbeddingBag(7, 3, mode=mode, sparse=True, padding_idx=2)
        bag.weight.data = library.tensor(TABLE)
        extra = {} if weights is None else {"per_sample_weights": library.tensor(weights)}
        bag(library.tensor(entries), library.tensor(offsets), **extra).pow(2).sum().backward()
        gradients.append(bag.weight.grad)
    ours, theirs = gradients
    assert ours.indices().tolist() == theirs._indices().tolist() == [[1, 4, 1, 6]]
    np.testing.assert_allclose(ours.values().numpy(), theirs._values().numpy(), rtol=1e-13)


@pytest.mark.parametrize("make, message", [
    (lambda p: tinynn.optim.Adam(p), "Adam does not support sparse gradients"),
    (lambda p: tinynn.optim.AdamW(p), "AdamW does not support sparse gradients"),
    (lambda p: tinynn.optim.RMSprop(p), "RMSprop does not support sparse gradients"),
    (lambda p: tinynn.optim.Adam(p, foreach=True), "use SparseAdam, SGD or Adagrad"),
    (lambda p: tinynn.optim.SGD(p, lr=0.1, weight_decay=0.1), "weight_decay is not compatible with sparse"),
    (lambda p: tinynn.optim.Adagrad(p, weight_decay=0.1), "weight_decay is not compatible with sparse"),
])
def test_optimizers_that_cannot_take_sparse_gradients_say_so(make, message):
    layer = nn.Embedding(7, 3, sparse=True)
    optimizer = make(layer.parameters())
    layer(tinynn.tensor([1, 2])).sum().backward()
    before = layer.weight.numpy().copy()
    with pytest.raises(RuntimeError, match=message):
        optimizer.step()
    np.testing.assert_array_equal(layer.weight.numpy(), before)


def test_sparse_adam_refuses_dense_gradients_and_bad_settings():
    layer = nn.Linear(2, 2)
    optimizer = tinynn.optim.SparseAdam(layer.parameters())
    layer(tinynn.ones(1, 2)).sum().backward()
    with pytest.raises(RuntimeError, match="SparseAdam does not support dense gradients, please consider Adam"):
        optimizer.step()
    for settings, message in ((dict(lr=0.0), r"lr must be a number > 0, got 0.0"), (dict(eps=-1.0), "eps must be a "
                              r"number > 0, got -1.0"), (dict(betas=(1.0, 0.9)), r"betas\[0\] must be in \[0, 1\), got 1.0")):
        with pytest.raises(ValueError, match="SparseAdam: " + message):
            tinynn.optim.SparseAdam(layer.parameters(), **settings)
    with pytest.raises(ValueError, match="mode='max' does not support sparse=True"):
        nn.EmbeddingBag(7, 3, mode="max", sparse=True)(tinynn.tensor([[1, 2]]))


def test_zero_grad_without_none_empties_a_sparse_gradient():
    layer = nn.Embedding(7, 3, sparse=True)
    optimizer = tinynn.optim.SGD(layer.parameters(), lr=0.1)
    for zero_grad in (lambda: optimizer.zero_grad(set_to_none=False), lambda: layer.zero_grad(set_to_none=False)):
        layer(tinynn.tensor([1, 2])).sum().backward()
        zero_grad()
        assert layer.weight.grad.is_sparse and layer.weight.grad._nnz() == 0 and layer.weight.grad.shape == (7, 3)
        layer(tinynn.tensor([5])).sum().backward()
        assert layer.weight.grad.indices().tolist() == [[5]]
        optimizer.zero_grad()


def _two_layers(sparse):
    tinynn.manual_seed(3)
    table, linear = nn.Embedding(7, 3, sparse=sparse), nn.Linear(3, 1)
    (linear(table(tinynn.tensor(INDICES))) ** 2).sum().backward()
    return table, linear


@pytest.mark.parametrize("norm_type", [2.0, 1.0, float("inf")])
def test_clipping_a_sparse_gradient_clips_its_entries(norm_type):
    (sparse_table, sparse_linear), (dense_table, dense_linear) = _two_layers(True), _two_layers(False)
    total = nn.utils.clip_grad_norm_([*sparse_table.parameters(), *sparse_linear.parameters()], 0.5, norm_type)
    expected = nn.utils.clip_grad_norm_([*dense_table.parameters(), *dense_linear.parameters()], 0.5, norm_type)
    np.testing.assert_allclose(total.item(), expected.item(), rtol=1e-6)
    assert sparse_table.weight.grad.is_sparse and sparse_table.weight.grad.is_coalesced()
    np.testing.assert_allclose(sparse_table.weight.grad.to_dense().numpy(), dense_table.weight.grad.numpy(), rtol=1e-6)
    nn.utils.clip_grad_value_(sparse_table.parameters(), 0.01)
    nn.utils.clip_grad_value_(dense_table.parameters(), 0.01)
    np.testing.assert_array_equal(sparse_table.weight.grad.to_dense().numpy(), dense_table.weight.grad.numpy())


def test_grad_scaler_and_the_guard_read_a_sparse_gradients_values():
    table, _ = _two_layers(True)
    reference = table.weight.grad.to_dense().numpy()
    scaler = tinynn.amp.GradScaler(init_scale=4.0)
    optimizer = tinynn.optim.SGD(table.parameters(), lr=0.0)
    scaler.unscale_(optimizer)
    np.testing.assert_allclose(table.weight.grad.to_dense().numpy(), reference / 4, rtol=1e-7)
    tinynn.guard.check_finite(tinynn.tensor(1.0), table.named_parameters())
    table.weight.grad.values()._array[0, 0] = np.nan
    with pytest.raises(tinynn.guard.NonFiniteError, match="non-finite gradient in parameter 'weight'"):
        tinynn.guard.check_finite(tinynn.tensor(1.0), table.named_parameters())


def test_lbfgs_and_checkpoint_take_sparse_gradients():
    results = {}
    for sparse in (True, False):
        table = nn.Embedding(7, 3, sparse=sparse)
        table.weight.data = tinynn.tensor(TABLE)._array.copy()
        indices, scale = tinynn.tensor(INDICES), tinynn.tensor(1.0, requires_grad=True)  # (a checkpoint replays
        optimizer = tinynn.optim.LBFGS(table.parameters(), lr=0.5, max_iter=5)        # for inputs needing grad)

        def closure():
            optimizer.zero_grad()
            loss = (tinynn.utils.checkpoint.checkpoint(lambda i, s: table(i) * s, indices, scale) - 1.0).pow(2).sum()
            loss.backward()
            return loss
        optimizer.step(closure)
        results[sparse] = table.weight.numpy()
    np.testing.assert_allclose(results[True], results[False], rtol=1e-12)
    assert not np.allclose(results[True], TABLE)


def test_module_to_carries_a_sparse_gradient_along():
    table = nn.Embedding(7, 3, sparse=True)
    table(tinynn.tensor([2])).sum().backward()
    table.to(tinynn.float64)
    assert table.weight.grad.is_sparse and table.weight.grad.dtype == np.float64


def test_a_bag_of_words_classifier_trains_with_sparse_adam():
    """Sentences of 6 words out of 500, labelled by whether they hold a word of the first 50."""
    rng = np.random.default_rng(0)
    words = rng.integers(0, 500, (256, 6))
    labels = tinynn.tensor((words < 50).any(axis=1).astype(np.int64))
    tinynn.manual_seed(0)
    bag, head = nn.EmbeddingBag(500, 8, mode="sum", sparse=True), nn.Linear(8, 2)
    sparse_optimizer = tinynn.optim.SparseAdam(bag.parameters(), lr=0.05)
    dense_optimizer = tinynn.optim.Adam(head.parameters(), lr=0.05)
    for _ in range(60):
        sparse_optimizer.zero_grad()
        dense_optimizer.zero_grad()
        loss = F.cross_entropy(head(bag(tinynn.tensor(words))), labels)
        loss.backward()
        assert bag.weight.grad.is_sparse
        sparse_optimizer.step()
        dense_optimizer.step()
    accuracy = (head(bag(tinynn.tensor(words))).argmax(1) == labels).float().mean().item()
    assert loss.item() < 0.1 and accuracy == 1.0


def test_every_device_trains_a_sparse_table_as_the_cpu(device):
    for choice in ("SparseAdam", "SGD momentum dampening", "Adagrad"):
        on_device, optimizer = _train_table(tinynn, choice, device=device)
        on_cpu, _ = _train_table(tinynn, choice, device="cpu")
        np.testing.assert_allclose(on_device, on_cpu, rtol=1e-12, err_msg=choice)
        assert next(iter(optimizer.state.values())) is not None


def test_random_tables_train_as_pytorchs(quiet_torch):
    """40 random tables, lookups (with and without a padding index, bags by offsets) and optimizers:
    four sparse steps each, the same weights as PyTorch's to 1e-10 in float64."""
    torch, rng = quiet_torch, np.random.default_rng(3)
    choices = list(OPTIMIZERS)
    for trial in range(40):
        rows, width = int(rng.integers(2, 9)), int(rng.integers(1, 4))
        table = rng.standard_normal((rows, width))
        padding = None if rng.random() < 0.5 else int(rng.integers(-rows, rows))
        bag, mode = rng.random() < 0.4, ("sum", "mean")[int(rng.integers(0, 2))]
        weights = []
        for library in (tinynn, torch):
            kind, options = _chosen(library, choices[trial % len(choices)])
            layer = (library.nn.EmbeddingBag(rows, width, mode=mode, sparse=True, padding_idx=padding, dtype=library.float64)
                     if bag else library.nn.Embedding(rows, width, padding_idx=padding, sparse=True, dtype=library.float64))
            with library.no_grad():
                layer.weight.copy_(library.tensor(table))
            optimizer = kind(layer.parameters(), lr=0.1, **options)
            draws = np.random.default_rng(trial)
            for _ in range(4):
                optimizer.zero_grad()
                count = int(draws.integers(1, 7))
                indices, scale = library.tensor(draws.integers(0, rows, count)), library.tensor(draws.standard_normal(width))
                offsets = sorted({0, *draws.integers(0, count + 1, 2).tolist()})
                looked_up = layer(indices, library.tensor(np.array(offsets))) if bag else layer(indices)
                (looked_up ** 2 * scale).sum().backward()
                optimizer.step()
            weights.append(layer.weight.detach().numpy())
        np.testing.assert_allclose(weights[0], weights[1], rtol=1e-10, atol=1e-12,
                                   err_msg=f"trial {trial}: {choices[trial % len(choices)]}, bag={bag}, padding={padding}")


def test_a_sparse_gradients_data_shares_its_values_as_pytorchs(torch):
    """``p.grad.data`` of an embedding's sparse gradient (a hand-written step reads it): a sparse tensor
    sharing the values, so writes to them reach the gradient, while zero_ on it empties only itself, as
    in PyTorch."""
    for library in (tinynn, torch):
        table = library.nn.Embedding(5, 2, sparse=True)
        table(library.tensor([1, 2])).sum().backward()
        grad = table.weight.grad
        assert grad.data.is_sparse and grad.data._nnz() == 2
        grad.data._values().mul_(3)
        grad.data.zero_()
        assert grad._nnz() == 2 and grad.to_dense().abs().sum().item() == 12.0
