"""Connectionist temporal classification (CTC): the loss of a label sequence over all its alignments.

A network emits, at each of T time steps, log-probabilities over C classes, one of them the
``blank``. An alignment of a target label sequence l (length S) is a path of T classes that reads
l once repeated classes are merged and blanks dropped ("-aa-b" and "ab---" both read "ab"; a
repeated label needs a blank between its copies). The loss is -log p(l | x), p summed over every
alignment, computed by the forward-backward algorithm on the extended sequence l' = (blank, l_1,
blank, l_2, ..., l_S, blank) of length L' = 2S + 1 (Graves et al., 2006).
"""
import numpy as np

from ...errors import DtypeError, InputError
from ... import backend
from ...autograd import Function
from ...tensor import Tensor
from .validation import check_float


class CTCLoss(Function):
    """Per sample, with y_t(k) = exp(log_probs[t, k]) and T its input length:

        alpha_0(0) = y_0(blank), alpha_0(1) = y_0(l'_1), alpha_0(s) = 0 otherwise;
        alpha_t(s) = y_t(l'_s) (alpha_(t-1)(s) + alpha_(t-1)(s-1) + [skip s] alpha_(t-1)(s-2)),
        where a path may skip the blank before l'_s when l'_s is a label unlike l'_(s-2);
        p = alpha_(T-1)(L'-1) + alpha_(T-1)(L'-2),   loss = -log p.
    beta is the same recursion run from the end (beta_(T-1) = y at the last two positions), so
    alpha_t(s) beta_t(s) / y_t(l'_s) sums the probabilities of the alignments through (t, s).

    Backward: dloss/dlog_probs[t, k] = -(1/p) sum over s with l'_s = k of alpha_t(s) beta_t(s) / y_t(k),
    minus the posterior probability that step t emits class k (0 from the sample's input length on).
    Every recursion runs in log space (log-sum-exp), vectorised over the batch and the L' positions;
    only the T steps are a loop, as in a recurrent layer.

    PyTorch's ``ctc_loss`` returns exp(log_probs) minus that posterior as the gradient: the
    gradient with respect to the logits when ``log_probs = log_softmax(logits)``, not with respect
    to ``log_probs`` themselves. The two agree once back-propagated through ``log_softmax`` (what
    every network does; the tests compare there), and this one is the derivative of the forward
    pass (the tests check it against finite differences).

    Shapes: log_probs (T, N, C) -> losses (N,) for "none", else a scalar.
    """

    def __init__(self, extended, extended_lengths, input_lengths, target_lengths, blank, reduction, zero_infinity):
        self.extended, self.extended_lengths = extended, extended_lengths  # (N, L') and (N,), host
        self.input_lengths, self.target_lengths = input_lengths, target_lengths  # (N,) host ints
        self.blank, self.reduction, self.zero_infinity = blank, reduction, zero_infinity

    def forward(self, log_probs):
        xp = self.xp(log_probs)
        steps, batch, _ = log_probs.shape
        width = self.extended.shape[1]
        positions = np.arange(width)
        self.valid = xp.asarray(positions[None, :] < self.extended_lengths[:, None])  # (N, L')
        self.starts = self.valid & xp.asarray(positions[None, :] < 2)
        skip = np.zeros(self.extended.shape, dtype=bool)
        skip[:, 2:] = (self.extended[:, 2:] != self.blank) & (self.extended[:, 2:] != self.extended[:, :-2])
        self.skip = xp.asarray(skip)
        self.emitted = self._emitted(xp, log_probs)
        self.alpha = self._forward_variables(xp, self.emitted)
        self.nll = -self._log_likelihoods(xp, self.alpha)
        self.impossible = xp.isinf(self.nll)
        self.log_probs_shape = log_probs.shape
        return xp.asarray(self._reduce(xp, self._losses(xp, self.nll)), dtype=log_probs.dtype)

    def _emitted(self, xp, log_probs):
        """log y_t(l'_s): (T, N, L')."""
        return log_probs[:, xp.arange(log_probs.shape[1])[:, None], xp.asarray(self.extended)]

    def _forward_variables(self, xp, emitted):
        """log alpha for every step (T, N, L'): on arrays, or recorded on Tensors (``xp`` a TensorMath)."""
        alpha = xp.where(self.starts, emitted[0], -np.inf)
        alphas = [alpha]
        for t in range(1, emitted.shape[0]):
            paths = xp.logaddexp(alpha, _shift(xp, alpha, 1))
            paths = xp.logaddexp(paths, xp.where(self.skip, _shift(xp, alpha, 2), -np.inf))
            alpha = xp.where(self.valid, paths + emitted[t], -np.inf)
            alphas.append(alpha)
        return xp.stack(alphas)

    def _log_likelihoods(self, xp, alpha):
        """log p per sample: alpha at its last step, at the last two positions of its l'."""
        rows = xp.arange(alpha.shape[1])
        final = alpha[xp.asarray(self.input_lengths - 1), rows]  # (N, L')
        end = xp.asarray(self.extended_lengths - 1)
        return xp.logaddexp(final[rows, end], xp.where(end >= 1, final[rows, xp.maximum(end - 1, 0)], -np.inf))

    def _losses(self, xp, nll):
        return xp.where(self.impossible, 0.0, nll) if self.zero_infinity else nll

    def backward_graph(self, gy, output):
        """For gradients of gradients: the alpha recursion replayed as recorded logaddexp ops, and
        autograd differentiates the replay."""
        from ...autograd.engine import grad

        log_probs = self.inputs[0]
        xp = self.xp(log_probs)
        nll = -self._log_likelihoods(xp, self._forward_variables(xp, self._emitted(xp, log_probs)))
        return grad(self._reduce(xp, self._losses(xp, nll)), [log_probs], gy, create_graph=True)

    def _backward_variables(self, xp, steps, batch, width):
        """log beta for every step (T, N, L'), each sample's recursion starting at its last step."""
        beta = xp.full((steps, batch, width), -np.inf, dtype=self.emitted.dtype)
        end = self.extended_lengths[:, None]
        at_end = xp.asarray((np.arange(width)[None, :] >= end - 2) & (np.arange(width)[None, :] < end))
        last_step = xp.asarray(self.input_lengths - 1)[:, None]
        for t in range(steps - 1, -1, -1):
            if t + 1 < steps:
                following = beta[t + 1]
                paths = xp.logaddexp(following, _shift(xp, following, -1))
                paths = xp.logaddexp(paths, xp.where(_shift(xp, self.skip, -2, False), _shift(xp, following, -2), -np.inf))
            else:
                paths = xp.full((batch, width), -np.inf, dtype=beta.dtype)
            start = xp.where(at_end, self.emitted[t], -np.inf)
            beta[t] = xp.where(t == last_step, start, xp.where((t < last_step) & self.valid, paths + self.emitted[t], -np.inf))
        return beta

    def _reduce(self, xp, losses):
        if self.reduction == "none":
            return losses
        if self.reduction == "sum":
            return losses.sum()
        return (losses / xp.asarray(np.maximum(self.target_lengths, 1), dtype=losses.dtype)).mean()

    def backward(self, gy):
        xp = self.xp(gy)
        steps, batch, classes = self.log_probs_shape
        beta = self._backward_variables(xp, steps, batch, self.extended.shape[1])
        log_through = xp.where(xp.isneginf(self.alpha) | xp.isneginf(beta), -np.inf, self.alpha + beta - self.emitted)
        occupancy = xp.exp(log_through + xp.where(self.impossible, 0, self.nll)[None, :, None])  # (T, N, L')
        occupancy = xp.where(self.impossible[None, :, None], 0, occupancy)
        one_hot = (xp.asarray(self.extended)[:, :, None] == xp.arange(classes)[None, None, :]).astype(gy.dtype)
        posterior = xp.einsum("tns,nsc->tnc", occupancy.astype(gy.dtype, copy=False), one_hot)
        if self.reduction == "none":
            per_sample = gy
        elif self.reduction == "sum":
            per_sample = xp.broadcast_to(gy, (batch,))
        else:
            per_sample = gy / (batch * xp.asarray(np.maximum(self.target_lengths, 1), dtype=gy.dtype))
        if not self.zero_infinity:  # an impossible target's loss is inf, its gradient NaN, as in PyTorch
            per_sample = xp.where(self.impossible, np.nan, per_sample)
        return (-posterior * per_sample[None, :, None],)


def _shift(xp, values, by, fill=-np.inf):
    """values moved ``by`` positions along the last axis (right for by > 0), the gap filled."""
    gap = xp.full(tuple(values.shape[:-1]) + (abs(by),), fill, dtype=values.dtype)
    if by > 0:
        return xp.concatenate([gap, values[..., :-by]], axis=-1)
    return xp.concatenate([values[..., -by:], gap], axis=-1)


def _host_lengths(lengths, batch, name, what):
    """Lengths as a host int64 array (N,), from a Tensor, an array, a list or an int."""
    if isinstance(lengths, Tensor):
        lengths = lengths.numpy()
    lengths = np.asarray(backend.to_device(lengths, "cpu") if backend.is_gpu_array(lengths) else lengths)
    if lengths.ndim == 0:
        lengths = np.full(batch, int(lengths))
    if lengths.shape != (batch,) or lengths.dtype.kind not in "iu":
        raise InputError(f"{name}: {what} must hold one integer per sample ({batch}), got {lengths!r}")
    return lengths.astype(np.int64)


def ctc_loss(log_probs, targets, input_lengths, target_lengths, blank=0, reduction="mean", zero_infinity=False,
             name="ctc_loss"):
    """CTC loss of ``log_probs`` (T, N, C) (log-softmax outputs; (T, C) for one sample) against
    ``targets``: (N, S) padded label sequences, or all of them concatenated (sum of
    ``target_lengths``,). ``input_lengths`` and ``target_lengths``: one int per sample. "mean"
    divides each loss by its target length, then averages over the batch, as PyTorch does;
    ``zero_infinity`` turns the infinite loss of an impossible alignment (and its gradient) into 0.
    """
    check_float(log_probs, name, "log_probs")
    if reduction not in ("mean", "sum", "none"):
        raise InputError(f"{name}: reduction must be one of ('mean', 'sum', 'none'), got {reduction!r}")
    unbatched = log_probs.ndim == 2
    if unbatched:
        log_probs = log_probs.reshape(log_probs.shape[0], 1, log_probs.shape[1])
    if log_probs.ndim != 3:
        raise InputError(f"{name}: expected log_probs of shape (T, N, C) or (T, C), got {tuple(log_probs.shape)}")
    if log_probs.numel() == 0:
        raise InputError(f"{name}: log_probs must not be empty, got shape {tuple(log_probs.shape)}")
    steps, batch, classes = log_probs.shape
    if not 0 <= blank < classes:
        raise InputError(f"{name}: blank must be a class index in [0, {classes - 1}], got {blank}")
    labels = targets.numpy() if isinstance(targets, Tensor) else np.asarray(targets)
    if unbatched:
        labels = labels.reshape(1, -1)
    input_lengths = _host_lengths(input_lengths, batch, name, "input_lengths")
    target_lengths = _host_lengths(target_lengths, batch, name, "target_lengths")
    if labels.dtype.kind not in "iu":
        raise DtypeError(f"{name}: targets must be integer class indices, got dtype {labels.dtype}")
    if (input_lengths < 1).any() or (input_lengths > steps).any():
        raise InputError(f"{name}: input_lengths must be in [1, {steps}] (the time steps of log_probs), "
                         f"got {input_lengths.tolist()}")
    if (target_lengths < 0).any():
        raise InputError(f"{name}: target_lengths must not be negative, got {target_lengths.tolist()}")
    if labels.ndim == 1:  # concatenated
        if labels.shape[0] != target_lengths.sum():
            raise InputError(f"{name}: concatenated targets hold {labels.shape[0]} labels, but target_lengths "
                             f"sum to {target_lengths.sum()}")
        starts = np.concatenate([[0], np.cumsum(target_lengths)[:-1]])
        sequences = [labels[start:start + length] for start, length in zip(starts, target_lengths)]
    elif labels.ndim == 2 and labels.shape[0] == batch:
        if (target_lengths > labels.shape[1]).any():
            raise InputError(f"{name}: target_lengths {target_lengths.tolist()} exceed the targets' {labels.shape[1]} "
                             "columns")
        sequences = [row[:length] for row, length in zip(labels, target_lengths)]
    else:
        raise InputError(f"{name}: expected targets of shape ({batch}, S) or concatenated (sum of target_lengths,), "
                         f"got {tuple(labels.shape)}")
    used = np.concatenate(sequences) if sequences else np.zeros(0, dtype=np.int64)
    if ((used < 0) | (used >= classes) | (used == blank)).any():
        raise InputError(f"{name}: target labels must be classes in [0, {classes - 1}] other than the blank ({blank})")
    width = 2 * int(target_lengths.max(initial=0)) + 1
    extended = np.full((batch, width), blank, dtype=np.int64)
    for row, sequence in zip(extended, sequences):
        row[1:2 * len(sequence):2] = sequence
    loss = CTCLoss(extended, 2 * target_lengths + 1, input_lengths, target_lengths, blank, reduction,
                   zero_infinity)(log_probs)
    return loss.reshape(()) if unbatched and reduction == "none" else loss
