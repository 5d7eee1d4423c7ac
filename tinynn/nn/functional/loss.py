"""Classification losses: negative log-likelihood and the fused, stable cross-entropy."""

from ... import backend
from ...autograd import Function
from ...tensor import Tensor
from .validation import check_float, check_not_empty

REDUCTIONS = ("mean", "sum", "none")


def _mean_weight(valid, dtype):
    """1 / (number of non-ignored rows), kept on the device (no GPU->CPU sync per step)."""
    xp = Function.xp(valid)
    return 1 / xp.maximum(valid.sum(), 1).astype(dtype)


class _ClassIndexLoss(Function):
    """What NLL and cross-entropy share: picking each row's target column, ignoring rows whose
    target is ``ignore_index``, and the reduction."""

    def __init__(self, targets, reduction, ignore_index):
        self.targets, self.reduction, self.ignore_index = targets, reduction, ignore_index

    def _pick_targets(self, scores):
        """scores[i, t_i] for every row (0 where ignored); remembers the rows for backward."""
        xp = self.xp(scores)
        self.valid = self.targets != self.ignore_index
        # Clipped because on the GPU an out-of-range target is reported later (backend.check_soon),
        # and until then must not index outside the row.
        self.safe_targets = xp.clip(xp.where(self.valid, self.targets, 0), 0, scores.shape[1] - 1)
        self.rows = xp.arange(scores.shape[0])
        return scores[self.rows, self.safe_targets] * self.valid

    def _reduce(self, losses):
        if self.reduction == "none":
            return losses
        total = losses.sum()
        return total * _mean_weight(self.valid, losses.dtype) if self.reduction == "mean" else total

    def _row_weights(self, gy):
        """dL/dloss_i for every row: gy per row ("none") or shared, zero where ignored, /count for "mean"."""
        weight = self.valid.astype(gy.dtype)
        if self.reduction == "mean":
            weight = weight * _mean_weight(self.valid, gy.dtype)
        return weight * gy


class NLLLoss(_ClassIndexLoss):
    """loss_i = -logp[i, t_i] for rows whose target is not ``ignore_index``.

    Shapes: logp (N, C), targets (N,) ints -> (N,) for reduction "none", else a scalar
    (mean over the non-ignored rows, or sum).  dL/dlogp[i, t_i] = -dL/dloss_i (scaled by 1/count
    for "mean"); every other entry gets 0.
    """

    def forward(self, logp):
        self.input_shape = logp.shape
        return self.xp(logp).asarray(self._reduce(-self._pick_targets(logp)), dtype=logp.dtype)

    def backward(self, gy):
        gx = self.xp(gy).zeros(self.input_shape, dtype=gy.dtype)
        gx[self.rows, self.safe_targets] = -self._row_weights(gy)
        return (gx,)


class CrossEntropy(_ClassIndexLoss):
    """loss_i = logsumexp(z_i) - z[i, t_i]  (= -log softmax(z_i)[t_i]), fused for stability.

    Shapes: logits z (N, C), targets (N,) -> (N,) or a scalar, as ``NLLLoss``.
    dL/dz_i = (softmax(z_i) - onehot(t_i)) * dL/dloss_i: the classic "prediction minus truth".
    """

    def forward(self, logits):
        xp = self.xp(logits)
        shifted = logits - logits.max(axis=1, keepdims=True)
        self.log_probs = shifted - xp.log(xp.exp(shifted).sum(axis=1, keepdims=True))
        return xp.asarray(self._reduce(-self._pick_targets(self.log_probs)), dtype=logits.dtype)

    def backward(self, gy):
        grad = self.xp(gy).exp(self.log_probs)
        grad[self.rows, self.safe_targets] -= 1
        return (grad * self._row_weights(gy)[:, None],)


def _prepare(input, target, reduction, ignore_index, name):
    """Validate, and flatten (N, C, d1, ...) inputs with (N, d1, ...) targets to (N*d1*..., C) rows."""
    check_float(input, name)
    if reduction not in REDUCTIONS:
        raise ValueError(f"{name}: reduction must be one of {REDUCTIONS}, got {reduction!r}")
    if not isinstance(target, Tensor):
        raise TypeError(f"{name}: expected target to be a tinynn.Tensor of class indices, got {type(target).__name__}")
    if target.dtype.kind not in "iu":
        raise TypeError(f"{name}: expected integer class indices as target, got dtype {target.dtype}")
    if target.device != input.device:
        raise RuntimeError(f"{name}: input is on {input.device} but target is on {target.device}")
    if input.ndim < 2:
        raise ValueError(f"{name}: expected input of shape (N, C) or (N, C, d1, ...), got {input.shape}")
    if target.shape != input.shape[:1] + input.shape[2:]:
        raise ValueError(
            f"{name}: expected target of shape {input.shape[:1] + input.shape[2:]} for input of shape "
            f"{input.shape}, got {target.shape}"
        )
    check_not_empty(input, name)
    classes = input.shape[1]
    labels = target.data
    xp = Function.xp(labels)
    out_of_range = ((labels < 0) | (labels >= classes)) & (labels != ignore_index)

    def out_of_range_error():
        bad = int(labels[out_of_range].reshape(-1)[0])
        where = " (found on the GPU at the next read of a result)" if target.device == "gpu" else ""
        return ValueError(f"{name}: target {bad} is out of range: expected class indices in [0, {classes - 1}]{where}")

    backend.check_soon(out_of_range.any(), out_of_range_error)
    spatial = input.shape[2:]
    if spatial:
        input = input.permute(0, *range(2, input.ndim), 1).reshape(-1, classes)
        labels = labels.reshape(-1)
    return input, xp.asarray(labels), spatial


def _restore(loss, reduction, batch, spatial):
    return loss.reshape((batch,) + spatial) if reduction == "none" and spatial else loss


def nll_loss(input, target, reduction="mean", ignore_index=-100):
    """Negative log-likelihood of ``target`` classes under log-probabilities ``input`` (N, C)."""
    rows, labels, spatial = _prepare(input, target, reduction, ignore_index, "nll_loss")
    return _restore(NLLLoss(labels, reduction, ignore_index)(rows), reduction, input.shape[0], spatial)


def cross_entropy(input, target, reduction="mean", ignore_index=-100):
    """``nll_loss(log_softmax(input), target)`` in one stable step; ``input`` holds raw logits (N, C)."""
    rows, labels, spatial = _prepare(input, target, reduction, ignore_index, "cross_entropy")
    return _restore(CrossEntropy(labels, reduction, ignore_index)(rows), reduction, input.shape[0], spatial)
