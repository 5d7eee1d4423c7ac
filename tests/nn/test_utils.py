"""clip_grad_norm_ and clip_grad_value_ against PyTorch's, on every device."""
import numpy as np
import pytest

import tinynn
from tinynn import nn
from helpers import assert_close


def _twin_grads(torch, rng, device):
    """The same three gradients (one parameter without) in tinynn and in PyTorch."""
    shapes = [(4, 3), (3,), (2, 2, 3, 3)]
    ours, theirs = [], []
    for shape in shapes:
        values, grad = rng.standard_normal(shape), rng.standard_normal(shape) * 3
        p = nn.Parameter(tinynn.tensor(values, dtype=np.float32, device=device))
        p.grad = tinynn.tensor(grad, dtype=np.float32, device=device)
        t = torch.nn.Parameter(torch.tensor(values, dtype=torch.float32))
        t.grad = torch.tensor(grad, dtype=torch.float32)
        ours.append(p), theirs.append(t)
    ours.append(nn.Parameter(tinynn.zeros(2, device=device)))  # no gradient: left out, as in PyTorch
    theirs.append(torch.nn.Parameter(torch.zeros(2)))
    return ours, theirs


@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.0, float("inf")])
@pytest.mark.parametrize("max_norm", [0.5, 1e6])
def test_clip_grad_norm_matches_torch(torch, rng, norm_type, max_norm, device):
    ours, theirs = _twin_grads(torch, rng, device)
    total = nn.utils.clip_grad_norm_(ours, max_norm, norm_type)
    expected = torch.nn.utils.clip_grad_norm_(theirs, max_norm, norm_type)
    assert_close(total, expected, rtol=1e-6)
    for p, t in zip(ours[:3], theirs[:3]):
        assert_close(p.grad, t.grad, rtol=1e-6, atol=1e-7)
    assert ours[3].grad is None


def test_clip_grad_value_matches_torch(torch, rng, device):
    ours, theirs = _twin_grads(torch, rng, device)
    nn.utils.clip_grad_value_(ours, 1.5)
    torch.nn.utils.clip_grad_value_(theirs, 1.5)
    for p, t in zip(ours[:3], theirs[:3]):
        assert_close(p.grad, t.grad)


def test_clipping_a_model_and_errors():
    model = nn.Linear(3, 2)
    tinynn.nn.functional.cross_entropy(model(tinynn.randn(4, 3) * 100), tinynn.tensor([0, 1, 1, 0])).backward()
    before = np.sqrt(sum((p.grad.numpy().astype(np.float64) ** 2).sum() for p in model.parameters()))
    total = nn.utils.clip_grad_norm_(model.parameters(), 0.1)
    after = np.sqrt(sum((p.grad.numpy().astype(np.float64) ** 2).sum() for p in model.parameters()))
    np.testing.assert_allclose(total.item(), before, rtol=1e-6)
    np.testing.assert_allclose(after, 0.1, rtol=1e-4)
    model.weight.grad.data[0, 0] = np.nan
    with pytest.raises(RuntimeError, match="total norm of order 2.0 of the gradients is nan"):
        nn.utils.clip_grad_norm_(model.parameters(), 1.0, error_if_nonfinite=True)
    with pytest.raises(ValueError, match="clip_value must be non-negative"):
        nn.utils.clip_grad_value_(model.parameters(), -1)
    assert nn.utils.clip_grad_norm_([], 1.0).item() == 0.0


def test_parameters_to_vector_and_back_match_torch(torch, rng, device):
    ours = tinynn.nn.Sequential(tinynn.nn.Linear(3, 4), tinynn.nn.ReLU(), tinynn.nn.Linear(4, 2)).to(device)
    theirs = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2))
    theirs.load_state_dict({k: torch.tensor(v.numpy()) for k, v in ours.state_dict().items()})
    vector = tinynn.nn.utils.parameters_to_vector(ours.parameters())
    assert_close(vector, torch.nn.utils.parameters_to_vector(theirs.parameters()).detach())
    (vector * vector).sum().backward()  # differentiable: each parameter gets 2 p
    assert_close(ours[0].weight.grad, 2 * ours[0].weight.numpy())
    replacement = rng.standard_normal(vector.shape[0]).astype(np.float32)
    tinynn.nn.utils.vector_to_parameters(tinynn.tensor(replacement, device=device), ours.parameters())
    torch.nn.utils.vector_to_parameters(torch.tensor(replacement), theirs.parameters())
    for (name, ours_param), theirs_param in zip(ours.named_parameters(), theirs.parameters()):
        assert_close(ours_param, theirs_param.detach(), what=name)
    with pytest.raises(ValueError, match="the vector has 3 values, the parameters 26"):
        tinynn.nn.utils.vector_to_parameters(tinynn.zeros(3, device=device), ours.parameters())


def test_total_norm_and_clipping_with_it_match_torch(torch, rng, device):
    shapes = [(3, 4), (5,)]
    grads = [rng.standard_normal(shape) for shape in shapes]
    ours = [tinynn.tensor(np.zeros(shape), device=device, requires_grad=True) for shape in shapes]
    theirs = [torch.zeros(shape, dtype=torch.float64, requires_grad=True) for shape in shapes]
    for mine, other, grad in zip(ours, theirs, grads):
        mine.grad, other.grad = tinynn.tensor(grad, device=device), torch.tensor(grad)
    for norm_type in (2.0, 1.0, float("inf")):
        assert_close(nn.utils.get_total_norm([p.grad for p in ours], norm_type),
                     torch.nn.utils.get_total_norm([p.grad for p in theirs], norm_type), rtol=1e-12, what="norm")
    total = nn.utils.get_total_norm([p.grad for p in ours])
    nn.utils.clip_grads_with_norm_(ours, 0.5, total)
    torch.nn.utils.clip_grads_with_norm_(theirs, 0.5, torch.nn.utils.get_total_norm([p.grad for p in theirs]))
    for mine, other in zip(ours, theirs):
        assert_close(mine.grad, other.grad, rtol=1e-12, what="clipped")


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.complex128])
def test_large_gradients_are_summed_in_blocks_to_the_same_norms(torch, rng, dtype, monkeypatch):
    """Blocks of 5 entries (the CPU's path for large gradients), against PyTorch's norms of the same
    gradients; a (7, 3) gradient spans five blocks, the last one short. Complex gradients count their
    moduli (tinynn used to drop their imaginary parts)."""
    monkeypatch.setattr(tinynn.parallel, "CACHE_BLOCK", 5)
    grads = [rng.standard_normal(shape).astype(dtype) for shape in [(7, 3), (4,), (2,)]]
    if dtype == np.complex128:
        grads = [g + 1j * rng.standard_normal(g.shape) for g in grads]
    for norm_type in (2.0, 1.0, 3.0, float("inf")):
        ours = nn.utils.get_total_norm([tinynn.tensor(g) for g in grads], norm_type)
        theirs = torch.nn.utils.get_total_norm([torch.tensor(g) for g in grads], norm_type)
        assert_close(ours, theirs, rtol=1e-6 if dtype == np.float32 else 1e-13, what=f"norm {norm_type}")
        assert ours.dtype == np.dtype(str(theirs.dtype).replace("torch.", ""))  # (a real norm for complex ones too)
    if dtype == np.complex128:
        parameter = tinynn.zeros(2, dtype=tinynn.complex128, requires_grad=True)
        parameter.grad = tinynn.tensor(grads[2])
        with pytest.raises(TypeError, match="complex gradients have no order"):  # PyTorch: clamp is not supported
            nn.utils.clip_grad_value_([parameter], 0.5)
        assert parameter.grad.tolist() == grads[2].tolist()


@pytest.mark.parametrize("kind", ["conv2d", "conv_transpose2d", "conv1d", "linear"])
def test_folding_a_batch_norm_into_the_layer_before_matches_torch(kind, torch, rng):
    """The fused layer computes what layer-then-batch-norm computes in evaluation, with PyTorch's weights."""
    layers = {"conv2d": (lambda L: L.nn.Conv2d(3, 4, 3), lambda L: L.nn.BatchNorm2d(4), (2, 3, 6, 6)),
              "conv_transpose2d": (lambda L: L.nn.ConvTranspose2d(3, 4, 3), lambda L: L.nn.BatchNorm2d(4), (2, 3, 5, 5)),
              "conv1d": (lambda L: L.nn.Conv1d(3, 4, 3, bias=False), lambda L: L.nn.BatchNorm1d(4), (2, 3, 7)),
              "linear": (lambda L: L.nn.Linear(5, 4), lambda L: L.nn.BatchNorm1d(4), (3, 5))}
    make_layer, make_norm, shape = layers[kind]
    layer, norm = make_layer(tinynn).double(), make_norm(tinynn).double()
    t_layer, t_norm = make_layer(torch).double(), make_norm(torch).double()
    with tinynn.no_grad():
        for param in list(layer.parameters()) + list(norm.parameters()):
            param.data[...] = rng.standard_normal(param.shape)
        norm.running_mean.data[...], norm.running_var.data[...] = rng.standard_normal(4), rng.random(4) + 0.5
    for mine, other in ((layer, t_layer), (norm, t_norm)):
        other.load_state_dict({key: torch.tensor(value.numpy()) for key, value in mine.state_dict().items()})
        mine.eval()
        other.eval()
    if kind == "linear":
        fused, t_fused = nn.utils.fuse_linear_bn_eval(layer, norm), torch.nn.utils.fuse_linear_bn_eval(t_layer, t_norm)
    else:
        transpose = kind == "conv_transpose2d"
        fused = nn.utils.fuse_conv_bn_eval(layer, norm, transpose)
        t_fused = torch.nn.utils.fuse_conv_bn_eval(t_layer, t_norm, transpose)
    x = tinynn.tensor(rng.standard_normal(shape))
    assert_close(fused(x), norm(layer(x)), rtol=1e-12, atol=1e-12, what="fused output")
    for (name, mine), (_, other) in zip(fused.named_parameters(), t_fused.named_parameters()):
        assert_close(mine, other.detach(), rtol=1e-12, atol=1e-12, what=name)
    with pytest.raises(ValueError, match="both modules must be in evaluation mode"):
        nn.utils.fuse_linear_bn_eval(nn.Linear(2, 2), nn.BatchNorm1d(2))


def test_sequence_helpers_match_torch(torch, rng):
    lengths = [4, 2, 3]
    sequences = [rng.standard_normal((n, 2)) for n in lengths]
    padded = nn.utils.rnn.pad_sequence([tinynn.tensor(s) for s in sequences], batch_first=True)
    for ours, original in zip(nn.utils.rnn.unpad_sequence(padded, lengths, batch_first=True), sequences):
        assert_close(ours, original)
    packed = nn.utils.rnn.pack_sequence([tinynn.tensor(s) for s in sequences], enforce_sorted=False)
    for ours, original in zip(nn.utils.rnn.unpack_sequence(packed), sequences):
        assert_close(ours, original)
    permutation = tinynn.tensor([2, 0, 3, 1])
    assert nn.utils.rnn.invert_permutation(permutation).numpy().tolist() == \
        torch.nn.utils.rnn.invert_permutation(torch.tensor([2, 0, 3, 1])).tolist()
    assert nn.utils.rnn.invert_permutation(None) is None
