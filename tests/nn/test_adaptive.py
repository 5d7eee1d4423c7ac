"""AdaptiveLogSoftmaxWithLoss: PyTorch's state-dict keys; per-sample log-probabilities, loss, every
gradient, log_prob and predict equal PyTorch's on identical weights, on every device; clear errors."""
import numpy as np
import pytest

import tinynn
from helpers import assert_close


@pytest.mark.parametrize("head_bias", [False, True])
def test_matches_torch(head_bias, torch, rng, device):
    ours = tinynn.nn.AdaptiveLogSoftmaxWithLoss(8, 20, [4, 9, 15], div_value=2.0, head_bias=head_bias).double()
    theirs = torch.nn.AdaptiveLogSoftmaxWithLoss(8, 20, [4, 9, 15], div_value=2.0, head_bias=head_bias).double()
    assert list(ours.state_dict()) == list(theirs.state_dict())
    theirs.load_state_dict({key: torch.tensor(value.numpy()) for key, value in ours.state_dict().items()})
    ours.to(device)
    values, targets = rng.standard_normal((7, 8)), np.array([0, 5, 19, 3, 10, 16, 4])  # every cluster, and a gap
    x, tx = tinynn.tensor(values, device=device, requires_grad=True), torch.tensor(values, requires_grad=True)
    out, t_out = ours(x, tinynn.tensor(targets, device=device)), theirs(tx, torch.tensor(targets))
    assert_close(out.output, t_out.output.detach(), rtol=1e-12, atol=1e-12, what="log p(target)")
    assert_close(out.loss, t_out.loss.detach(), rtol=1e-12, atol=1e-12, what="loss")
    out.loss.backward()
    t_out.loss.backward()
    assert_close(x.grad, tx.grad, rtol=1e-10, atol=1e-12, what="input gradient")
    for (name, param), (_, t_param) in zip(ours.named_parameters(), theirs.named_parameters()):
        assert_close(param.grad, t_param.grad, rtol=1e-10, atol=1e-12, what=f"{name} gradient")
    assert_close(ours.log_prob(tinynn.tensor(values, device=device)), theirs.log_prob(torch.tensor(values)).detach(),
                 rtol=1e-12, atol=1e-12, what="log_prob")
    assert ours.predict(tinynn.tensor(values, device=device)).numpy().tolist() == \
        theirs.predict(torch.tensor(values)).tolist()
    one = ours(tinynn.tensor(values[2], device=device), tinynn.tensor(targets[2], device=device))
    assert one.output.shape == () and abs(one.output.item() - t_out.output[2].item()) < 1e-12


def test_bad_arguments_are_clear_errors():
    with pytest.raises(ValueError, match="cutoffs must be a sorted sequence of unique positive integers"):
        tinynn.nn.AdaptiveLogSoftmaxWithLoss(8, 10, [5, 3])
    module = tinynn.nn.AdaptiveLogSoftmaxWithLoss(8, 10, [4])
    with pytest.raises(ValueError, match=r"expected input of shape \(N, 8\) or \(8,\), got \(3, 5\)"):
        module(tinynn.zeros(3, 5), tinynn.tensor([0, 1, 2]))
    with pytest.raises(ValueError, match="the same size in the batch dimension, got 3 and 2"):
        module(tinynn.zeros(3, 8), tinynn.tensor([0, 1]))
    with pytest.raises(IndexError, match=r"targets must lie in \[0, 9\], got values from 0 to 10"):
        module(tinynn.zeros(2, 8), tinynn.tensor([0, 10]))
