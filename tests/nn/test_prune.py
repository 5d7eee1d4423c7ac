"""nn.utils.prune: masks equal PyTorch's for the deterministic methods (L1 and Ln, custom masks,
global pruning, repeated pruning through a container), the reparametrization (weight_orig, weight_mask,
the forward pre-hook, gradients only where the mask keeps), remove(), state dicts that move between
the two, the random methods' counts, and clear errors."""
import numpy as np
import pytest

import tinynn
from tinynn import nn
from tinynn.nn.utils import prune


def pytorch_prune(torch):
    """PyTorch's prune module (a submodule torch.nn.utils does not import itself)."""
    import importlib

    return importlib.import_module("torch.nn.utils.prune")


def twin_layers(torch, rng, kind="linear"):
    ours = nn.Linear(6, 4) if kind == "linear" else nn.Conv2d(3, 5, 3)
    theirs = torch.nn.Linear(6, 4) if kind == "linear" else torch.nn.Conv2d(3, 5, 3)
    for name, value in theirs.named_parameters():
        distinct = rng.standard_normal(tuple(value.shape)).astype(np.float32)  # no ties in magnitudes or norms
        value.data = torch.tensor(distinct)
        getattr(ours, name).data = distinct.copy()
    return ours, theirs


STEPS = {
    "l1 share": lambda p, m: p.l1_unstructured(m, "weight", amount=0.3),
    "l1 count": lambda p, m: p.l1_unstructured(m, "weight", amount=5),
    "ln rows": lambda p, m: p.ln_structured(m, "weight", amount=1, n=2, dim=0),
    "ln columns l1": lambda p, m: p.ln_structured(m, "weight", amount=0.5, n=1, dim=-1),
    "ln inf": lambda p, m: p.ln_structured(m, "weight", amount=2, n=float("inf"), dim=0),
    "identity": lambda p, m: p.identity(m, "weight"),
}


@pytest.mark.parametrize("kind", ["linear", "conv"])
@pytest.mark.parametrize("first, second", [("l1 share", None), ("l1 count", "ln rows"), ("ln rows", "l1 share"),
                                           ("ln columns l1", "ln inf"), ("identity", "l1 count")])
def test_masks_outputs_and_gradients_equal_torchs(torch, rng, kind, first, second):
    ours, theirs = twin_layers(torch, rng, kind)
    for step in (first, second):
        if step is not None:
            STEPS[step](prune, ours)
            STEPS[step](pytorch_prune(torch), theirs)
    np.testing.assert_array_equal(ours.weight_mask.numpy(), theirs.weight_mask.numpy())
    assert list(ours.state_dict()) == list(theirs.state_dict()) == ["bias", "weight_orig", "weight_mask"]
    assert not isinstance(ours.weight, nn.Parameter) and ours.weight_orig.requires_grad
    x = rng.standard_normal((2, 6) if kind == "linear" else (2, 3, 5, 5)).astype(np.float32)
    y, ty = ours(tinynn.tensor(x)), theirs(torch.tensor(x))
    np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy(), rtol=1e-5, atol=1e-6)
    y.sum().backward()
    ty.sum().backward()
    np.testing.assert_allclose(ours.weight_orig.grad.numpy(), theirs.weight_orig.grad.numpy(), rtol=1e-5, atol=1e-6)
    assert (ours.weight_orig.grad.numpy()[ours.weight_mask.numpy() == 0] == 0).all()  # pruned weights stay pruned
    prune.remove(ours, "weight")
    pytorch_prune(torch).remove(theirs, "weight")
    assert isinstance(ours.weight, nn.Parameter) and list(ours.state_dict()) == list(theirs.state_dict())
    np.testing.assert_array_equal(ours.weight.detach().numpy(), theirs.weight.detach().numpy())
    assert not prune.is_pruned(ours)


def test_global_and_custom_masks_equal_torchs(torch, rng):
    (a, ta), (b, tb) = twin_layers(torch, rng), twin_layers(torch, rng, "conv")
    prune.l1_unstructured(a, "weight", amount=0.2)  # an earlier mask, which global pruning respects
    pytorch_prune(torch).l1_unstructured(ta, "weight", amount=0.2)
    prune.global_unstructured([(a, "weight"), (b, "weight"), (b, "bias")], pruning_method=prune.L1Unstructured,
                              amount=0.4)
    pytorch_prune(torch).global_unstructured([(ta, "weight"), (tb, "weight"), (tb, "bias")],
                                             pruning_method=pytorch_prune(torch).L1Unstructured, amount=0.4)
    for ours, theirs, name in ((a, ta, "weight"), (b, tb, "weight"), (b, tb, "bias")):
        np.testing.assert_array_equal(getattr(ours, name + "_mask").numpy(), getattr(theirs, name + "_mask").numpy())
    mask = (rng.random((4, 6)) < 0.5).astype(np.float32)
    c, tc = twin_layers(torch, rng)
    prune.custom_from_mask(c, "weight", tinynn.tensor(mask))
    np.testing.assert_array_equal(c.weight.detach().numpy(), tc.weight.detach().numpy() * mask)
    scores = rng.standard_normal((4, 6)).astype(np.float32)
    d, td = twin_layers(torch, rng)
    prune.l1_unstructured(d, "weight", amount=0.5, importance_scores=tinynn.tensor(scores))
    pytorch_prune(torch).l1_unstructured(td, "weight", amount=0.5, importance_scores=torch.tensor(scores))
    np.testing.assert_array_equal(d.weight_mask.numpy(), td.weight_mask.numpy())


def test_pruned_checkpoints_move_between_torch_and_tinynn(torch, rng, tmp_path):
    ours, theirs = twin_layers(torch, rng)
    pytorch_prune(torch).ln_structured(theirs, "weight", amount=2, n=1, dim=0)
    torch.save(theirs.state_dict(), tmp_path / "pruned.pt")
    prune.identity(ours, "weight")  # the same keys, then the saved values
    ours.load_state_dict(tinynn.load(tmp_path / "pruned.pt"))
    x = rng.standard_normal((3, 6)).astype(np.float32)
    np.testing.assert_allclose(ours(tinynn.tensor(x)).detach().numpy(), theirs(torch.tensor(x)).detach().numpy(),
                               rtol=1e-6, atol=1e-6)


def test_random_pruning_counts_and_repeats_on_what_is_left(rng):
    layer = nn.Linear(10, 8)
    prune.random_unstructured(layer, "weight", amount=0.25)
    assert int((layer.weight_mask.numpy() == 0).sum()) == 20
    prune.random_unstructured(layer, "weight", amount=0.5)  # half of the 60 left
    assert int((layer.weight_mask.numpy() == 0).sum()) == 50
    assert (layer.weight.detach().numpy()[layer.weight_mask.numpy() == 0] == 0).all()
    conv = nn.Conv2d(2, 6, 3)
    prune.random_structured(conv, "weight", amount=2, dim=0)
    channels = conv.weight_mask.numpy().reshape(6, -1)
    assert sorted(channels.max(axis=1).tolist()) == [0, 0, 1, 1, 1, 1] and (channels.min(axis=1) == channels.max(axis=1)).all()
    prune.random_structured(conv, "weight", amount=0.5, dim=0)  # half of the 4 channels left
    assert int((conv.weight_mask.numpy().reshape(6, -1).max(axis=1) == 0).sum()) == 4
    assert prune.is_pruned(nn.Sequential(conv))


def test_misuse_is_named():
    layer = nn.Linear(3, 2)
    with pytest.raises(ValueError, match=r"amount=1.5 should be a float in \[0, 1\]"):
        prune.l1_unstructured(layer, "weight", amount=1.5)
    with pytest.raises(ValueError, match="amount=7 should be smaller than the number of parameters to prune=6"):
        prune.l1_unstructured(layer, "weight", amount=7)
    assert isinstance(layer.weight, nn.Parameter) and "weight_orig" not in dict(layer.named_parameters())  # undone
    with pytest.raises(ValueError, match="structured pruning needs a tensor of at least 2 dimensions"):
        prune.ln_structured(layer, "bias", amount=1, n=2, dim=0)
    with pytest.raises(ValueError, match="parameter 'weight' of module Linear has to be pruned before pruning can "
                                         "be removed"):
        prune.remove(layer, "weight")
    with pytest.raises(TypeError, match="only unstructured pruning methods apply across tensors"):
        prune.global_unstructured([(layer, "weight")], pruning_method=prune.RandomStructured, amount=1)
