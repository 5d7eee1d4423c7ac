"""Classification losses: negative log-likelihood and the fused, stable cross-entropy.

Shapes: scores (N, C) with class-index targets (N,), or (N, C, d1, ...) with targets (N, d1, ...)
(each position a row); cross-entropy also takes class-probability targets of the input's shape.
Options as PyTorch's: ``weight`` (one per class: a row with target t counts w[t] times),
``ignore_index`` (rows with that target count for nothing), ``label_smoothing`` eps (the target
becomes (1 - eps) onehot(t) + eps / C), and the reduction: "none" (a loss per row), "sum", or
"mean" = sum / D, where D is the summed weight w[t_i] of the rows not ignored (their count when
unweighted; 0 gives NaN, as in PyTorch), or the number of rows for probability targets.
An ignored row is left out, not multiplied by 0: a row of padding whose scores are all -inf (NaN
log-probabilities) neither makes the loss NaN, as in PyTorch, nor its gradient NaN (PyTorch's is).
"""

from ...errors import DtypeError, IndexRangeError, InputError
from ... import backend, mixed_precision
from ...autograd import Function
from ...half_precision import computed_in_float32
from ...ops.gradient_mask import passed_where
from ...tensor import Tensor, where
from .legacy_reduction import legacy_reduction
from .validation import check_constant, check_float

REDUCTIONS = ("mean", "sum", "none")


def _mean(total, divisor):
    """total / divisor, NaN where the divisor is 0 (every row ignored), without NumPy's warning."""
    xp = Function.xp(total)
    nonzero = divisor != 0
    return xp.where(nonzero, total / xp.where(nonzero, divisor, 1), xp.nan).astype(total.dtype)


def _log_softmax_rows(logits):
    """log softmax of each row, computed stably: z - max(z) - log sum exp(z - max(z))."""
    xp = Function.xp(logits)
    shifted = logits - logits.max(axis=1, keepdims=True)
    return shifted - xp.log(xp.exp(shifted).sum(axis=1, keepdims=True))


class _RowLoss(Function):
    """What every classification loss shares: the reduction of per-row losses and, in backward,
    dL/dloss_i for every row (gy itself for "none", shared for "sum", divided by D for "mean")."""

    def __init__(self, reduction):
        self.reduction = reduction

    def _reduce(self, losses, divisor):
        self.divisor = divisor
        if self.reduction == "none":
            return losses
        total = losses.sum()
        return _mean(total, divisor) if self.reduction == "mean" else total

    def _row_grads(self, gy, rows):
        xp = self.xp(gy)
        if self.reduction == "none":
            return gy
        if self.reduction == "mean":  # D = 0 only when every row weighs 0: their gradients stay 0
            gy = gy / xp.where(self.divisor != 0, self.divisor, 1).astype(gy.dtype)
        return xp.broadcast_to(gy, (rows,))


class _ClassIndexLoss(_RowLoss):
    """Class-index targets: each row's target column, weighted by w[t_i] and zeroed where the
    target is ``ignore_index``."""

    def __init__(self, targets, reduction, ignore_index, weight):
        super().__init__(reduction)
        self.targets, self.ignore_index, self.weight = targets, ignore_index, weight

    def _pick_targets(self, scores):
        """w[t_i] * scores[i, t_i] for every row (0 where ignored); remembers what backward needs."""
        xp = self.xp(scores)
        self.kept_rows = valid = self.targets != self.ignore_index
        # Clipped because on the GPU an out-of-range target is reported later (backend.check_soon),
        # and until then must not index outside the row.
        self.safe_targets = xp.clip(xp.where(valid, self.targets, 0), 0, scores.shape[1] - 1)
        self.rows = xp.arange(scores.shape[0])
        self.target_weights = valid.astype(scores.dtype) if self.weight is None else \
            xp.where(valid, self.weight[self.safe_targets], 0)
        return xp.where(valid, scores[self.rows, self.safe_targets] * self.target_weights, 0)


class NLLLoss(_ClassIndexLoss):
    """loss_i = -w[t_i] * logp[i, t_i] for rows whose target is not ``ignore_index``.

    Shapes: logp (N, C), targets (N,) ints -> (N,) for reduction "none", else a scalar.
    dL/dlogp[i, t_i] = -w[t_i] * dL/dloss_i; every other entry gets 0.
    """

    linear_map = True  # in logp: the weights and the divisor depend on the targets only

    def forward(self, logp):
        self.input_shape = logp.shape
        losses = -self._pick_targets(logp)
        return self.xp(logp).asarray(self._reduce(losses, self.target_weights.sum()), dtype=logp.dtype)

    def backward(self, gy):
        gx = self.xp(gy).zeros(self.input_shape, dtype=gy.dtype)
        gx[self.rows, self.safe_targets] = passed_where(-self.target_weights * self._row_grads(gy, len(self.rows)),
                                                        self.kept_rows)
        return (gx,)


class CrossEntropy(_ClassIndexLoss):
    """loss_i = (1 - eps) w[t_i] (-logp[i, t_i]) + (eps / C) sum_c w[c] (-logp[i, c]), with
    logp = log_softmax(z) computed stably (z - max - log sum exp), fused with the loss.

    Shapes: logits z (N, C), targets (N,) -> (N,) or a scalar, as ``NLLLoss``.
    It is -sum_c q_ic logp_ic for the target distribution q_i = (1 - eps) w[t_i] onehot(t_i) +
    (eps / C) w, so dL/dz_i = (sum_c q_ic * softmax(z_i) - q_i) * dL/dloss_i: "prediction minus
    truth" (softmax(z_i) - onehot(t_i) without weights and smoothing).
    """

    def __init__(self, targets, reduction, ignore_index, weight, label_smoothing):
        super().__init__(targets, reduction, ignore_index, weight)
        self.smoothing = label_smoothing

    def forward(self, logits):
        xp = self.xp(logits)
        self.log_probs = _log_softmax_rows(logits)
        losses = -self._pick_targets(self.log_probs)
        if self.smoothing:
            classes = logits.shape[1]
            weighted = self.log_probs if self.weight is None else self.log_probs * self.weight
            losses = (1 - self.smoothing) * losses - xp.where(self.kept_rows, (self.smoothing / classes) * weighted.sum(axis=1), 0)
        return xp.asarray(self._reduce(losses, self.target_weights.sum()), dtype=logits.dtype)

    def backward(self, gy):
        xp = self.xp(gy)
        row_grads = self._row_grads(gy, len(self.rows))
        eps, classes = self.smoothing, self.log_probs.shape[1]
        picked = (1 - eps) * self.target_weights * row_grads  # the one-hot part of q, times dL/dloss_i
        q_sums = picked
        if eps:
            class_weights = xp.ones(classes, dtype=gy.dtype) if self.weight is None else self.weight
            spread = (eps / classes) * self.kept_rows * row_grads  # the uniform part of q, per unit weight
            q_sums = picked + spread * class_weights.sum()
        grad = xp.exp(self.log_probs) * q_sums[:, None]
        grad[self.rows, self.safe_targets] -= picked
        if eps:
            grad -= spread[:, None] * class_weights
        if not self.kept_rows.all():  # an ignored row's log-probabilities may be NaN: its gradient is 0 all the same
            grad = xp.where(self.kept_rows[:, None], grad, 0)
        return (grad,)

    def backward_graph(self, gy, output):
        """The same gradient as recorded ops, for gradients of gradients (also for the GPU's
        ``FusedCrossEntropy``): with the target distribution q written out as a constant (N, C)
        matrix, dL/dz_i = (sum_c q_ic * softmax(z_i) - q_i) * dL/dloss_i."""
        logits = self.inputs[0]
        xp = backend.get_array_module(logits._array)
        rows, classes = logits.shape
        valid = self.targets != self.ignore_index
        # in range: an out-of-range target was reported (or is queued on the GPU) by the forward pass
        picked = xp.clip(xp.where(valid, self.targets, 0), 0, classes - 1)
        class_weights = xp.ones(classes, dtype=logits.dtype) if self.weight is None else self.weight
        q = xp.zeros((rows, classes), dtype=logits.dtype)
        q[xp.arange(rows), picked] = (1 - self.smoothing) * class_weights[picked]
        q = (q + (self.smoothing / classes) * class_weights) * valid[:, None]
        row_grads = self._row_grads(gy, rows)
        probabilities = logits.softmax(1)
        grad = (probabilities * q.sum(axis=1, keepdims=True) - q) * row_grads.reshape(rows, 1)
        return (where(Tensor._from_op(valid[:, None], False), grad, 0.0),)


class SoftTargetCrossEntropy(_RowLoss):
    """Cross-entropy against class probabilities p (N, C): s_i = (1 - eps) p_i + eps / C, q_i = w * s_i,
    loss_i = -sum_c q_ic logp_ic with logp = log_softmax(z); "mean" divides by N. Inputs: the
    logits z, the probabilities p and the class weights w (C,) or None, all of which may require grad
    (p a teacher's output in distillation, w learned).

    dL/dz_i  = (sum_c q_ic * softmax(z_i) - q_i) * dL/dloss_i
    dL/dp_ic = -(1 - eps) w_c logp_ic * dL/dloss_i
    dL/dw_c  = -sum_i s_ic logp_ic * dL/dloss_i
    """

    graph_saved = {"log_probs": lambda op, y: op.inputs[0].log_softmax(1), "weight": 2,
                   "smoothed": lambda op, y: op.recorded_smoothed(), "q": lambda op, y: op.recorded_q()}

    def __init__(self, reduction, label_smoothing):
        super().__init__(reduction)
        self.smoothing = label_smoothing

    def _smoothed(self, probabilities, classes):
        """s = (1 - eps) p + eps / C, of arrays or (for create_graph) Tensors."""
        return (1 - self.smoothing) * probabilities + self.smoothing / classes if self.smoothing else probabilities

    def recorded_smoothed(self):
        logits, probabilities, _ = self.inputs
        return self._smoothed(probabilities.astype(logits.dtype), logits.shape[1])

    def recorded_q(self):
        weight = self.inputs[2]
        return self.recorded_smoothed() if weight is None else self.recorded_smoothed() * weight

    def forward(self, logits, probabilities, weight=None):
        xp = self.xp(logits)
        self.log_probs = _log_softmax_rows(logits)
        self.smoothed = self._smoothed(probabilities.astype(logits.dtype, copy=False), logits.shape[1])
        self.weight = weight
        self.q = self.smoothed if weight is None else self.smoothed * weight
        self.probabilities_dtype = probabilities.dtype
        losses = -(self.q * self.log_probs).sum(axis=1)
        return xp.asarray(self._reduce(losses, xp.full((), logits.shape[0], dtype=logits.dtype)), dtype=logits.dtype)

    def backward(self, gy):
        row_grads = self._row_grads(gy, self.q.shape[0])[:, None]
        g_logits = g_probabilities = g_weight = None
        if self.needs_input_grad[0]:
            g_logits = (self.xp(gy).exp(self.log_probs) * self.q.sum(axis=1, keepdims=True) - self.q) * row_grads
        if self.needs_input_grad[1]:
            factor = -(1 - self.smoothing) if self.weight is None else -(1 - self.smoothing) * self.weight
            g_probabilities = (self.log_probs * factor * row_grads).astype(self.probabilities_dtype)
        if self.needs_input_grad[2]:
            g_weight = -(self.smoothed * self.log_probs * row_grads).sum(axis=0)
        return g_logits, g_probabilities, g_weight


def _check_options(input, weight, label_smoothing, reduction, name):
    """The reduction and label smoothing checked; the weight (C,) checked and returned as an array of the
    input's dtype."""
    if reduction not in REDUCTIONS:
        raise InputError(f"{name}: reduction must be one of {REDUCTIONS}, got {reduction!r}")
    if not 0.0 <= label_smoothing <= 1.0:
        raise InputError(f"{name}: label_smoothing must be between 0.0 and 1.0, got {label_smoothing}")
    if weight is None:
        return None
    check_float(weight, name, "weight")
    classes = input.shape[1]
    if weight.shape != (classes,):
        raise InputError(f"{name}: weight must hold one value per class, shape ({classes},), got {tuple(weight.shape)}")
    if weight.device != input.device:
        raise RuntimeError(f"{name}: input is on {input.device} but weight is on {weight.device}")
    return weight._array.astype(input.dtype, copy=False)


def _rows(input, target):
    """(N, C, d1, ...) -> (N*d1*..., C) rows, and targets alike (a class axis stays last)."""
    classes = input.shape[1]
    rows = input.permute(0, *range(2, input.ndim), 1).reshape(-1, classes)
    if target.ndim == input.ndim:  # probabilities were (N, C, d1, ...) too
        return rows, target.permute(0, *range(2, target.ndim), 1).reshape(-1, classes)
    return rows, target.reshape(-1)


def _prepare(input, target, weight, reduction, label_smoothing, name, probabilities_allowed):
    """Validate; 1-D input becomes a batch of one; returns rows, targets, weight array, spatial shape."""
    check_float(input, name)
    if not isinstance(target, Tensor):
        raise TypeError(f"{name}: expected target to be a tinynn.Tensor, got {type(target).__name__}")
    if target.device != input.device:
        raise RuntimeError(f"{name}: input is on {input.device} but target is on {target.device}")
    if input.ndim == 1:  # unbatched (C,), as PyTorch allows
        input, target = input.reshape(1, -1), target.reshape(1, *target.shape)
    if input.ndim < 2:
        raise InputError(f"{name}: expected input of shape (N, C) or (N, C, d1, ...), got {tuple(input.shape)}")
    weight = _check_options(input, weight, label_smoothing, reduction, name)
    spatial = input.shape[2:]
    if target.dtype.kind == "f":
        if not probabilities_allowed:
            raise DtypeError(f"{name}: expected integer class indices as target, got dtype {target.dtype}")
        if target.shape != input.shape:
            raise InputError(f"{name}: class-probability targets must have the input's shape {tuple(input.shape)}, "
                             f"got {tuple(target.shape)} (or give integer class indices of shape {tuple(input.shape[:1] + spatial)})")
    else:
        if target.dtype.kind not in "iu":
            raise DtypeError(f"{name}: expected integer class indices (or, for cross_entropy, float class "
                             f"probabilities) as target, got dtype {target.dtype}")
        if target.shape != input.shape[:1] + spatial:
            raise InputError(f"{name}: expected target of shape {tuple(input.shape[:1] + spatial)} for input of shape "
                             f"{tuple(input.shape)}, got {tuple(target.shape)}")
    if spatial:
        input, target = _rows(input, target)
    return input, target if target.dtype.kind == "f" else target._array, weight, spatial


def _check_class_indices(labels, classes, ignore_index, device, name):
    report_out_of_range(labels, ((labels < 0) | (labels >= classes)) & (labels != ignore_index), classes, device, name)


def report_out_of_range(labels, out_of_range, classes, device, name):
    """A clear error if any label is flagged in ``out_of_range`` (on the GPU, at the next read)."""
    def out_of_range_error():
        bad = int(labels[out_of_range].reshape(-1)[0])
        where = " (found on the GPU at the next read of a result)" if device == "gpu" else ""
        return IndexRangeError(f"{name}: target {bad} is out of range: expected class indices in [0, {classes - 1}]{where}")

    backend.check_soon(out_of_range.any(), out_of_range_error)


def _restore(loss, input, reduction, spatial):
    """Per-row losses of "none" back to the target's shape ((N, d1, ...), or () when unbatched)."""
    if reduction != "none":
        return loss
    if input.ndim == 1:
        return loss.reshape(())
    return loss.reshape(input.shape[:1] + spatial) if spatial else loss


@mixed_precision.casts_inputs("float32")
@computed_in_float32("input", "weight")
def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean"):
    """Negative log-likelihood of ``target`` classes under log-probabilities ``input`` (N, C)."""
    reduction = legacy_reduction(size_average, reduce, reduction, "nll_loss")
    rows, labels, weight_array, spatial = _prepare(input, target, weight, reduction, 0.0, "nll_loss", False)
    check_constant(weight, "nll_loss", "weight")
    _check_class_indices(labels, rows.shape[1], ignore_index, input.device, "nll_loss")
    return _restore(NLLLoss(labels, reduction, ignore_index, weight_array)(rows), input, reduction, spatial)


@mixed_precision.casts_inputs("float32")
@computed_in_float32("input", "target", "weight")
def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean",
                  label_smoothing=0.0):
    """``nll_loss(log_softmax(input), target)`` in one stable step; ``input`` holds raw logits (N, C).

    ``target``: class indices (N,) (or (N, d1, ...)), or class probabilities of the input's shape."""
    reduction = legacy_reduction(size_average, reduce, reduction, "cross_entropy")
    rows, targets, weight_array, spatial = _prepare(input, target, weight, reduction, label_smoothing,
                                                    "cross_entropy", True)
    if targets.dtype.kind == "f":  # (the weight a tensor of the input's dtype: it may require grad)
        weight = None if weight is None else weight.to(dtype=rows.dtype)
        loss = SoftTargetCrossEntropy(reduction, label_smoothing)(rows, targets, weight)
        return _restore(loss, input, reduction, spatial)
    check_constant(weight, "cross_entropy", "weight")
    if backend.is_gpu_array(rows._array):
        from .fused_cross_entropy import FusedCrossEntropy  # here, as it builds on CrossEntropy

        loss = FusedCrossEntropy(targets, reduction, ignore_index, weight_array, label_smoothing)(rows)
    else:
        _check_class_indices(targets, rows.shape[1], ignore_index, input.device, "cross_entropy")
        loss = CrossEntropy(targets, reduction, ignore_index, weight_array, label_smoothing)(rows)
    return _restore(loss, input, reduction, spatial)
