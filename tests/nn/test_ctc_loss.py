"""ctc_loss and CTCLoss: PyTorch parity of losses and of gradients through log_softmax, gradchecks
against log_probs themselves, impossible alignments, target layouts, errors."""
import numpy as np
import pytest

import tinynn
from tinynn import nn
from tinynn.autograd import gradcheck
from tinynn.nn import functional as F
from helpers import assert_close, leaf

T, N, C = 9, 3, 5
PADDED = np.array([[1, 2, 2, 4], [3, 1, 0, 0], [4, 4, 4, 0]])  # repeated labels need blanks between
TARGET_LENGTHS = np.array([4, 2, 3])
INPUT_LENGTHS = np.array([9, 6, 8])


def _torch_loss(torch, logits, targets, input_lengths, target_lengths, **options):
    log_probs = torch.tensor(logits, requires_grad=True)
    loss = torch.nn.functional.ctc_loss(log_probs.log_softmax(-1), torch.tensor(targets), torch.tensor(input_lengths),
                                        torch.tensor(target_lengths), **options)
    return log_probs, loss


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("layout", ["padded", "concatenated"])
def test_ctc_loss_and_its_gradient_through_log_softmax_match_torch(torch, rng, reduction, layout, device):
    logits = rng.standard_normal((T, N, C))
    targets = PADDED if layout == "padded" else np.concatenate([row[:n] for row, n in zip(PADDED, TARGET_LENGTHS)])
    ours_logits = leaf(logits, device=device)
    ours = F.ctc_loss(F.log_softmax(ours_logits, 2), tinynn.tensor(targets, device=device), INPUT_LENGTHS,
                      tinynn.tensor(TARGET_LENGTHS, device=device), reduction=reduction)
    theirs_logits, theirs = _torch_loss(torch, logits, targets, INPUT_LENGTHS, TARGET_LENGTHS, reduction=reduction)
    assert_close(ours, theirs, rtol=1e-10, atol=1e-12, what="loss")
    ours.sum().backward()
    theirs.sum().backward()
    assert_close(ours_logits.grad, theirs_logits.grad, rtol=1e-9, atol=1e-12, what="gradient")
    assert not ours_logits.grad.numpy()[INPUT_LENGTHS[1]:, 1].any(), "steps past an input's length get no gradient"


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_ctc_loss_gradient_is_the_derivative_with_respect_to_log_probs(rng, reduction, device):
    """Unlike PyTorch's (see CTCLoss), the gradient is that of the loss with respect to its input."""
    log_probs = leaf(np.log(rng.dirichlet(np.ones(C), (T, N))), device=device)
    targets = tinynn.tensor(PADDED, device=device)
    assert gradcheck(lambda lp: F.ctc_loss(lp, targets, INPUT_LENGTHS, TARGET_LENGTHS, blank=0, reduction=reduction),
                     [log_probs])


def test_another_blank_and_empty_targets_match_torch(torch, rng, device):
    logits = rng.standard_normal((T, N, C))
    targets = np.array([[0, 1, 3], [2, 2, 2], [1, 1, 1]])
    target_lengths = np.array([3, 0, 2])
    ours_logits = leaf(logits, device=device)
    ours = F.ctc_loss(F.log_softmax(ours_logits, 2), tinynn.tensor(targets, device=device), INPUT_LENGTHS,
                      target_lengths, blank=4, reduction="none")
    theirs_logits, theirs = _torch_loss(torch, logits, targets, INPUT_LENGTHS, target_lengths, blank=4, reduction="none")
    assert_close(ours, theirs, rtol=1e-10)
    ours.sum().backward()
    theirs.sum().backward()
    assert_close(ours_logits.grad, theirs_logits.grad, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("zero_infinity", [False, True])
def test_impossible_alignments_are_infinite_or_zeroed_like_torch(torch, rng, zero_infinity, device):
    logits = rng.standard_normal((3, 2, 4))
    targets, input_lengths, target_lengths = np.array([[1, 1, 2], [2, 3, 0]]), np.array([3, 3]), np.array([3, 2])
    ours_logits = leaf(logits, device=device)  # 1, blank, 1, 2 needs 4 steps; there are 3
    ours = F.ctc_loss(F.log_softmax(ours_logits, 2), tinynn.tensor(targets, device=device), input_lengths,
                      target_lengths, reduction="none", zero_infinity=zero_infinity)
    theirs_logits, theirs = _torch_loss(torch, logits, targets, input_lengths, target_lengths, reduction="none",
                                        zero_infinity=zero_infinity)
    np.testing.assert_array_equal(np.isinf(ours.numpy()), np.isinf(theirs.detach().numpy()))
    assert_close(ours, theirs, rtol=1e-10)
    ours.sum().backward()
    theirs.sum().backward()
    np.testing.assert_array_equal(np.isnan(ours_logits.grad.numpy()), np.isnan(theirs_logits.grad.numpy()))
    assert np.isnan(ours_logits.grad.numpy()[:, 0]).all() != zero_infinity
    assert_close(ours_logits.grad.numpy()[:, 1], theirs_logits.grad.numpy()[:, 1], rtol=1e-9, atol=1e-12)


def test_unbatched_input_and_the_module(torch, rng):
    logits = rng.standard_normal((6, 4))
    ours = F.ctc_loss(F.log_softmax(tinynn.tensor(logits), 1), tinynn.tensor([1, 3]), 6, 2, reduction="none")
    theirs = torch.nn.functional.ctc_loss(torch.tensor(logits).log_softmax(1), torch.tensor([1, 3]), torch.tensor(6),
                                          torch.tensor(2), reduction="none")
    assert ours.shape == tuple(theirs.shape) == ()
    assert_close(ours, theirs, rtol=1e-10)
    module = nn.CTCLoss(blank=0, reduction="sum")
    batch = F.log_softmax(tinynn.tensor(rng.standard_normal((T, N, C))), 2)
    assert_close(module(batch, tinynn.tensor(PADDED), INPUT_LENGTHS, TARGET_LENGTHS),
                 F.ctc_loss(batch, tinynn.tensor(PADDED), INPUT_LENGTHS, TARGET_LENGTHS, reduction="sum"), rtol=1e-12)


def test_a_small_recurrent_network_learns_to_read_sequences_with_ctc(rng):
    """Inputs are one-hot class codes held for a few steps each; a GRU trained with CTC learns to
    emit them as a label sequence (greedy decoding: best class per step, repeats merged, blanks dropped)."""
    tinynn.manual_seed(0)
    classes, steps, batch = 4, 12, 32  # class 0 is the blank

    def make_batch():
        labels = rng.integers(1, classes, (batch, 3))
        codes = np.zeros((steps, batch, classes), dtype=np.float32)
        for n, sequence in enumerate(labels):
            for k, label in enumerate(sequence):
                codes[4 * k:4 * k + 3, n, label] = 1.0
        return tinynn.tensor(codes), labels

    rnn, head = nn.GRU(classes, 24), nn.Linear(24, classes)
    optimizer = tinynn.optim.Adam(list(rnn.parameters()) + list(head.parameters()), lr=0.03)
    for _ in range(60):
        codes, labels = make_batch()
        loss = F.ctc_loss(F.log_softmax(head(rnn(codes)[0]), 2), tinynn.tensor(labels), steps, 3)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    codes, labels = make_batch()
    best = head(rnn(codes)[0]).numpy().argmax(axis=2).T
    decoded = [[k for i, k in enumerate(path) if k != 0 and (i == 0 or k != path[i - 1])] for path in best]
    accuracy = np.mean([d == list(l) for d, l in zip(decoded, labels)])
    assert accuracy > 0.9


def test_bad_arguments_are_clear_errors():
    log_probs = tinynn.zeros(T, N, C)
    with pytest.raises(ValueError, match=r"target labels must be classes in \[0, 4\] other than the blank \(0\)"):
        F.ctc_loss(log_probs, tinynn.tensor([[1, 0, 2, 0]] * N), INPUT_LENGTHS, [3, 3, 3])
    with pytest.raises(ValueError, match=r"input_lengths must be in \[1, 9\]"):
        F.ctc_loss(log_probs, tinynn.tensor(PADDED), [10, 6, 8], TARGET_LENGTHS)
    with pytest.raises(ValueError, match="concatenated targets hold 5 labels, but target_lengths sum to 9"):
        F.ctc_loss(log_probs, tinynn.tensor([1, 2, 3, 4, 1]), INPUT_LENGTHS, TARGET_LENGTHS)
    with pytest.raises(ValueError, match="target_lengths must hold one integer per sample"):
        F.ctc_loss(log_probs, tinynn.tensor(PADDED), INPUT_LENGTHS, [1, 2])
    with pytest.raises(ValueError, match=r"expected log_probs of shape \(T, N, C\)"):
        F.ctc_loss(tinynn.zeros(2, 3, 4, 5), tinynn.tensor(PADDED), INPUT_LENGTHS, TARGET_LENGTHS)
    with pytest.raises(ValueError, match=r"blank must be a class index in \[0, 4\]"):
        F.ctc_loss(log_probs, tinynn.tensor(PADDED), INPUT_LENGTHS, TARGET_LENGTHS, blank=5)
    with pytest.raises(TypeError, match="targets must be integer class indices"):
        F.ctc_loss(log_probs, tinynn.tensor(PADDED.astype(np.float32)), INPUT_LENGTHS, TARGET_LENGTHS)
