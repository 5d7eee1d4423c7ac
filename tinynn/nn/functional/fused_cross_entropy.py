"""Cross-entropy with class-index targets on the GPU in a few kernels: ``CrossEntropy``'s math, fused."""
import functools

import numpy as np

from ...fused import ElementwiseKernel, SumKernel
from .loss import CrossEntropy, report_out_of_range

EXP_SUMS = SumKernel("T z, T row_max", "exp(z - row_max)", "tinynn_ce_exp_sums")
WEIGHTED_LOGIT_SUMS = SumKernel("T z, T class_weight", "class_weight * z", "tinynn_ce_weighted_logit_sums")
# Per row i, with lse_i = max_i + log sum_c exp(z_ic - max_i) (so log p_ic = z_ic - lse_i) and
# tw_i = w[t_i] (0 for an ignored row), eps the smoothing, W = sum_c w_c:
#   loss_i = (1 - eps) tw_i (lse_i - z_i,t_i) + (eps / C) (W lse_i - sum_c w_c z_ic), 0 for an ignored row
ROW_LOSSES = ElementwiseKernel(
    "raw T logits, raw T class_weights, T row_max, T exp_sum, T weighted_logit_sum, T weight_total, I target, "
    "int64 row, int64 classes, int64 ignore_index, float64 smoothing", "T loss, T target_weight, bool out_of_range", """
bool valid = target != ignore_index;
out_of_range = ((target < 0) | (target >= classes)) & valid;
ptrdiff_t safe_target = clip(where(valid, target, 0), 0, classes - 1);
T log_normalizer = row_max + log(exp_sum);
target_weight = where(valid, class_weights[safe_target], 0);
loss = where(valid, (1 - smoothing) * target_weight * (log_normalizer - logits[row * classes + safe_target])
                    + smoothing / classes * (weight_total * log_normalizer - weighted_logit_sum), 0);
""", "tinynn_ce_row_losses")
# dL/dz_ic = dL/dloss_i * (softmax_ic * sum_c' q_ic' - q_ic), q_ic = (1 - eps) tw_i [c = t_i] + (eps / C) w_c,
# 0 for an ignored row;
# dL/dloss_i is dL/dy divided by D = sum_i tw_i for the mean (by 1 where D = 0: those rows' gradients stay 0).
INPUT_GRAD = ElementwiseKernel(
    "T logits, T row_max, T exp_sum, I target, int64 column, T class_weight, T target_weight, T weight_total, T gy, "
    "T divisor, int64 classes, int64 ignore_index, float64 smoothing", "T grad", """
T row_grad = gy / where(divisor != 0, divisor, 1);
T spread = smoothing / classes;
T picked = (1 - smoothing) * target_weight;
grad = where(target != ignore_index, row_grad * (exp(logits - row_max) / exp_sum * (picked + spread * weight_total)
                                                 - where(column == target, picked, 0) - spread * class_weight), 0);
""", "tinynn_ce_input_grad")


@functools.lru_cache(maxsize=16)
def _aranges(xp, count):
    """0, 1, ..., count - 1 as int64 on the device (made once per count)."""
    return xp.arange(count, dtype=np.int64)


@functools.lru_cache(maxsize=16)
def _ones(xp, count, dtype):
    return xp.ones(count, dtype=dtype)


class FusedCrossEntropy(CrossEntropy):
    """``CrossEntropy`` on the GPU: the same math and results (see its docstring), in five to seven
    kernels forward (the row maxima, the sums of exponentials, one kernel for every row's loss,
    target weight and range check, the reduction) and one backward, instead of about 40 array
    operations. Nothing of size (N, C) is stored: backward recomputes softmax from the logits."""

    def forward(self, logits):
        xp = self.xp(logits)
        rows, classes = logits.shape
        self.logits, self.row_max = logits, logits.max(axis=1)
        self.exp_sum = EXP_SUMS(logits, self.row_max[:, None], axis=1)
        weighted_logit_sum = 0.0
        if self.weight is None:
            class_weights, self.weight_total = _ones(xp, classes, logits.dtype), classes
            if self.smoothing:
                weighted_logit_sum = logits.sum(axis=1)
        else:
            class_weights, self.weight_total = self.weight, self.weight.sum()
            if self.smoothing:
                weighted_logit_sum = WEIGHTED_LOGIT_SUMS(logits, self.weight, axis=1)
        losses, self.target_weights, out_of_range = ROW_LOSSES(
            xp.ascontiguousarray(logits).reshape(-1), class_weights, self.row_max, self.exp_sum, weighted_logit_sum,
            self.weight_total, self.targets, _aranges(xp, rows), classes, self.ignore_index, self.smoothing)
        report_out_of_range(self.targets, out_of_range, classes, "gpu", "cross_entropy")
        if self.reduction == "none":
            return losses
        if self.reduction == "sum":
            return losses.sum()
        self.divisor = self.target_weights.sum()
        return losses.sum() / self.divisor  # NaN when every row is ignored (0 / 0), as in PyTorch

    def backward(self, gy):
        xp = self.xp(gy)
        classes = self.logits.shape[1]
        row_gy = gy[:, None] if self.reduction == "none" else gy
        divisor = self.divisor if self.reduction == "mean" else 1
        class_weight = 1.0 if self.weight is None else self.weight[None, :]
        return (INPUT_GRAD(self.logits, self.row_max[:, None], self.exp_sum[:, None], self.targets[:, None],
                           _aranges(xp, classes)[None, :], class_weight, self.target_weights[:, None], self.weight_total,
                           row_gy, divisor, classes, self.ignore_index, self.smoothing),)
