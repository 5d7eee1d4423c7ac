"""F.linear_cross_entropy and nn.LinearCrossEntropyLoss (PyTorch 2.13's fused classifier head and
loss): plain and chunked, every reduction, class weights, ignored targets and biases, values and
gradients equal PyTorch's on every device; the module's layout loads PyTorch's state dict; the
chunk sizes follow the options; bad input is a clear error."""
import numpy as np
import pytest

import tinynn
from tinynn import nn
from tinynn.nn import functional as F
from helpers import assert_close


@pytest.mark.parametrize("options", [None, {"batch_chunk_size": 8}, {}, {"chunking_method": "aspect_ratio:1"}])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("weighted", [False, True])
def test_matches_torch(torch, rng, device, options, reduction, weighted):
    rows, features, classes = 37, 5, 23
    values = [rng.standard_normal((rows, features)), rng.standard_normal((classes, features)), rng.standard_normal(classes)]
    target = rng.integers(0, classes, rows)
    target[[3, 11]] = -100  # ignored
    class_weight = rng.random(classes) + 0.5 if weighted else None
    ours = [tinynn.tensor(v, device=device, requires_grad=True) for v in values]
    theirs = [torch.tensor(v, requires_grad=True) for v in values]
    out = F.linear_cross_entropy(
        ours[0], ours[1], tinynn.tensor(target, device=device), linear_bias=ours[2], reduction=reduction,
        weight=None if class_weight is None else tinynn.tensor(class_weight, device=device),
        options=None if options is None else nn.LinearCrossEntropyOptions(**options))
    t_out = torch.nn.functional.linear_cross_entropy(
        theirs[0], theirs[1], torch.tensor(target), linear_bias=theirs[2], reduction=reduction,
        weight=None if class_weight is None else torch.tensor(class_weight))
    assert_close(out, t_out.detach(), rtol=1e-10, atol=1e-12)
    weights = rng.standard_normal(out.shape)
    (out * tinynn.tensor(weights, device=device)).sum().backward()
    (t_out * torch.tensor(weights)).sum().backward()
    for mine, its, what in zip(ours, theirs, ("input", "weight", "bias")):
        assert_close(mine.grad, its.grad, rtol=1e-9, atol=1e-11, what=f"d/d{what}")


def test_the_module_loads_torchs_state_and_takes_k_dimensional_outputs(torch, rng):
    theirs = torch.nn.LinearCrossEntropyLoss(5, 4, out_features=(3,), bias=True, label_smoothing=0.1)
    ours = nn.LinearCrossEntropyLoss(5, 4, out_features=(3,), bias=True, label_smoothing=0.1)
    assert list(ours.state_dict()) == list(theirs.state_dict()) == ["linear.weight", "linear.bias"]
    ours.load_state_dict({key: tinynn.tensor(value.detach().numpy()) for key, value in theirs.state_dict().items()})
    x, target = rng.standard_normal((6, 5)).astype(np.float32), rng.integers(0, 4, (6, 3))
    assert_close(ours(tinynn.tensor(x), tinynn.tensor(target)), theirs(torch.tensor(x), torch.tensor(target)).detach(),
                 rtol=1e-6, atol=1e-7)
    with pytest.warns(UserWarning, match="linear_cross_entropy: options ignored"):  # label smoothing: plain
        nn.LinearCrossEntropyLoss(5, 4, label_smoothing=0.1, options=nn.LinearCrossEntropyOptions())(
            tinynn.tensor(x), tinynn.tensor(target[:, 0]))


def test_chunk_sizes_follow_the_options():
    options = nn.LinearCrossEntropyOptions
    assert options().chunk_rows(2048, 128, 32000) == 2 ** 22 // 32000  # about 4M logits a chunk
    assert options(chunking_method="aspect_ratio:2").chunk_rows(2048, 128, 32000) == 8  # PyTorch's rule
    assert options(batch_chunk_size=100).chunk_rows(50, 8, 10) == 50
    with pytest.raises(ValueError, match="batch_chunk_size 7 and chunking_method 'aspect_ratio:2' .* disagree"):
        options(batch_chunk_size=7, chunking_method="aspect_ratio:2").chunk_rows(2048, 128, 32000)
    with pytest.raises(ValueError, match="acc_policy must be one of"):
        options(acc_policy="fast")
    with pytest.raises(ValueError, match="chunking_method must be 'auto', None or 'aspect_ratio"):
        options(chunking_method="rows:3")


def test_bad_input_is_a_clear_error():
    x, w = tinynn.ones(4, 3), tinynn.ones(5, 3)
    with pytest.raises(ValueError, match=r"expected linear_weight \(num_classes, \.\.\., 3\), got \(5, 2\)"):
        F.linear_cross_entropy(x, tinynn.ones(5, 2), tinynn.tensor([0, 1, 2, 3]))
    with pytest.raises(IndexError, match=r"linear_cross_entropy: target 9 is out of range: expected class indices in \[0, 4\]"):
        F.linear_cross_entropy(x, w, tinynn.tensor([0, 1, 2, 9]), options=nn.LinearCrossEntropyOptions())
    with pytest.raises(ValueError, match=r"expected integer class indices of shape \(4,\)"):
        F.linear_cross_entropy(x, w, tinynn.tensor([0.0, 1, 2, 3]), options=nn.LinearCrossEntropyOptions())
