"""``linear_cross_entropy``: cross_entropy(linear(input, W, b), target) in one step, PyTorch's
(2.13) API, and its chunked form, which never holds the (N, C) logits: for a language model's
vocabulary head (C = 50,000 classes and more) those logits, and their gradient, are what fills the
memory.

With ``options`` (a ``LinearCrossEntropyOptions``) the batch is taken in chunks of B rows. For each,
z = x_c W^T + b (B, C) is made, used and dropped:

    loss_i = w[t_i] (logsumexp(z_i) - z_i,t_i)             (0 for t_i = ignore_index)
    dL/dz_i = s_i w[t_i] (softmax(z_i) - onehot(t_i))      s_i = dL/dloss_i
    dL/dx_c = dL/dz W,   dL/dW += dL/dz^T x_c,   dL/db += sum_i dL/dz_i

For "mean" and "sum" (s_i one number over the batch) the gradients are made in the forward pass,
chunk by chunk, and the backward only scales them; for "none" the backward makes the chunks again.
The chunk size: ``batch_chunk_size``; or ``chunking_method`` "auto", about 4 million logits a chunk
(16 MB in float32), or "aspect_ratio[:f]" (PyTorch's rule: the next power of two from
N / ceil(C / D), divided by f, so a chunk's logits are about the input's size). Without ``options`` (or for what the chunks do not cover: label smoothing,
probability targets, K-dimensional outputs) it is the plain composition.
"""
import dataclasses
import math
import warnings

import numpy as np

from ...errors import InputError
from ...autograd import Function
from ...tensor import Tensor
from .linear import linear
from .loss import _log_softmax_rows, cross_entropy, report_out_of_range
from .validation import check_float

ACC_POLICIES = ("accurate", "balanced", "compact", "auto")
# "auto" chunks hold about this many logits (16 MB in float32): with NumPy each chunk costs a fixed
# overhead (and an update of the whole dL/dW), so PyTorch's auto pick of input-sized chunks (8 rows
# for 2048 x 128 inputs and 32,000 classes) took 4.1x the plain pass's time where this takes 1.1x
# (benchmarks/bench_linear_cross_entropy.py)
AUTO_CHUNK_LOGITS = 2 ** 22


@dataclasses.dataclass(frozen=True)
class LinearCrossEntropyOptions:
    """How ``linear_cross_entropy`` chunks the batch (see the module docstring).

    ``batch_chunk_size``: rows per chunk; ``chunking_method``: "auto" (chunks of about
    AUTO_CHUNK_LOGITS logits, unless a batch_chunk_size is given), "aspect_ratio[:f]" (PyTorch's
    rule) or None (one chunk, or batch_chunk_size);
    ``acc_policy``: "accurate" or "balanced" accumulate the weight and bias gradients in float32 at
    least (for float16 inputs), "compact" in the input's dtype, "auto" as "accurate";
    ``acc_dtype``: that accumulation dtype, given outright; ``allow_retain_graph``: PyTorch's, for
    a second backward, which tinynn's chunks always allow (their gradients are not consumed)."""

    allow_retain_graph: bool = False
    batch_chunk_size: int = None
    chunking_method: str = "auto"
    acc_policy: str = "auto"
    acc_dtype: object = None

    def __post_init__(self):
        if self.acc_policy not in ACC_POLICIES:
            raise InputError(f"LinearCrossEntropyOptions: acc_policy must be one of {ACC_POLICIES}, got "
                             f"{self.acc_policy!r}")
        method = self.chunking_method
        if method not in (None, "auto") and not (isinstance(method, str) and method.startswith("aspect_ratio")
                                                 and _aspect_factor(method) > 0):
            raise InputError("LinearCrossEntropyOptions: chunking_method must be 'auto', None or 'aspect_ratio[:f]' "
                             f"with a positive integer f, got {method!r}")
        if self.batch_chunk_size is not None and (not isinstance(self.batch_chunk_size, int) or
                                                  self.batch_chunk_size < 1):
            raise InputError(f"LinearCrossEntropyOptions: batch_chunk_size must be a positive int, got "
                             f"{self.batch_chunk_size!r}")

    def chunk_rows(self, rows, in_features, classes):
        """The rows per chunk for a batch of ``rows`` (see the module docstring)."""
        method = self.chunking_method
        if method == "auto" and self.batch_chunk_size is None:
            return max(1, min(rows, AUTO_CHUNK_LOGITS // classes))
        if method in ("auto", None):
            return max(1, min(self.batch_chunk_size or rows, rows))
        growth = -(-classes // in_features)
        target = -(-rows // growth)
        power = 1 << max(target - 1, 0).bit_length()
        chosen = max(1, min(power // _aspect_factor(method), rows))
        if self.batch_chunk_size is not None and self.batch_chunk_size != chosen:
            raise InputError(f"LinearCrossEntropyOptions: batch_chunk_size {self.batch_chunk_size} and chunking_method "
                             f"{method!r} ({chosen} rows) disagree; give only one")
        return chosen

    def accumulation_dtype(self, dtype):
        if self.acc_dtype is not None:
            return np.dtype(self.acc_dtype)
        if self.acc_policy != "compact" and np.dtype(dtype).itemsize < 4:
            return np.dtype(np.float32)
        return np.dtype(dtype)


def _aspect_factor(method):
    try:
        return int(method.split(":", 1)[1]) if ":" in method else 1
    except ValueError:
        return 0


class ChunkedLinearCrossEntropy(Function):
    """loss = cross_entropy(x W^T + b, targets) over chunks of rows (module docstring).
    Shapes: x (N, D), W (C, D), b (C,) or none, targets (N,) ints -> (N,) or a scalar.
    With G = dL/dz = s w[t] (softmax(z) - onehot(t)) per chunk: dL/dx = G W, dL/dW = sum G^T x,
    dL/db = sum of G's rows."""

    def __init__(self, targets, class_weight, ignore_index, reduction, chunk, acc_dtype):
        self.targets, self.class_weight, self.ignore_index = targets, class_weight, ignore_index
        self.reduction, self.chunk, self.acc_dtype = reduction, chunk, acc_dtype

    def _row_weights(self, xp, targets, dtype):
        """w[t_i], 0 for ignored rows; and the safe targets to index with."""
        valid = targets != self.ignore_index
        safe = xp.where(valid, targets, 0)
        weights = valid.astype(dtype) if self.class_weight is None else xp.where(valid, self.class_weight[safe], 0)
        return weights.astype(dtype, copy=False), safe

    def _chunk(self, xp, x, weight, bias, start, row_scale=None):
        """(loss per row, dL/dz) of the rows from ``start``; dL/dz only with ``row_scale`` (B,)."""
        stop = min(start + self.chunk, x.shape[0])
        logits = x[start:stop] @ weight.T
        if bias is not None:
            logits += bias
        log_probs = _log_softmax_rows(logits)
        row_weights, safe = self._row_weights(xp, self.targets[start:stop], x.dtype)
        rows = xp.arange(stop - start)
        losses = -row_weights * log_probs[rows, safe]
        if row_scale is None:
            return losses, None
        grad = xp.exp(log_probs, out=log_probs)  # softmax, in the logits' memory
        grad[rows, safe] -= 1
        grad *= (row_weights * row_scale)[:, None]
        return losses, grad

    def _gradients(self, xp, x, weight, bias, scale):
        """Every chunk's gradients, accumulated: dL/dx (N, D), dL/dW (C, D), dL/db (C,)."""
        want_x, want_w, want_b = self.needs_input_grad[0], self.needs_input_grad[1], \
            bias is not None and self.needs_input_grad[2]
        gx = xp.empty_like(x) if want_x else None
        gw = xp.zeros(weight.shape, dtype=self.acc_dtype) if want_w else None
        gb = xp.zeros(weight.shape[0], dtype=self.acc_dtype) if want_b else None
        losses = []
        for start in range(0, x.shape[0], self.chunk):
            stop = min(start + self.chunk, x.shape[0])
            row_scale = scale[start:stop] if np.ndim(scale) else xp.full(stop - start, scale, dtype=x.dtype)
            loss, grad = self._chunk(xp, x, weight, bias, start, row_scale)
            losses.append(loss)
            if want_x:
                gx[start:stop] = grad @ weight
            if want_w:
                gw += (grad.T @ x[start:stop]).astype(self.acc_dtype, copy=False)
            if want_b:
                gb += grad.sum(0).astype(self.acc_dtype, copy=False)
        cast = [g.astype(x.dtype, copy=False) if g is not None else None for g in (gx, gw, gb)]
        return xp.concatenate(losses), cast

    def forward(self, x, weight, bias=None):
        xp = self.xp(x)
        self.x, self.weight, self.bias = x, weight, bias
        row_weights, _ = self._row_weights(xp, self.targets, x.dtype)
        self.denominator = row_weights.sum()
        if self.reduction == "none" or not any(self.needs_input_grad):
            losses = xp.concatenate([self._chunk(xp, x, weight, bias, start)[0]
                                     for start in range(0, x.shape[0], self.chunk)])
        else:  # the gradient of the reduced loss, one number per row, is known now: make it chunk by chunk
            scale = 1 / self.denominator if self.reduction == "mean" else 1.0
            losses, self.grads = self._gradients(xp, x, weight, bias, scale)
        if self.reduction == "none":
            return losses
        total = losses.sum()
        return xp.asarray(total / self.denominator if self.reduction == "mean" else total, dtype=x.dtype)

    def backward(self, gy):
        xp = self.xp(gy)
        if self.reduction == "none":
            _, grads = self._gradients(xp, self.x, self.weight, self.bias, gy)
        else:
            grads = [g * gy if g is not None else None for g in self.grads]
        return tuple(grads[:3 if self.bias is not None else 2])


def linear_cross_entropy(input, linear_weight, target, *, linear_bias=None, weight=None, reduction="mean",
                         ignore_index=None, label_smoothing=0.0, options=None):
    """cross_entropy(linear(input, linear_weight, linear_bias), target, ...) for input (N, D) or
    (D,), linear_weight (C, *out, D) and targets as cross_entropy takes them (``ignore_index``
    defaults to -100); chunked with ``options`` (module docstring)."""
    name = "linear_cross_entropy"
    check_float(input, name)
    if input.ndim not in (1, 2):
        raise InputError(f"{name}: expected input of shape (N, in_features) or (in_features,), got {tuple(input.shape)}")
    if linear_weight.ndim < 2 or linear_weight.shape[-1] != input.shape[-1]:
        raise InputError(f"{name}: expected linear_weight (num_classes, ..., {input.shape[-1]}), got "
                         f"{tuple(linear_weight.shape)}")
    classes, out_features, in_features = linear_weight.shape[0], tuple(linear_weight.shape[1:-1]), input.shape[-1]
    if linear_bias is not None and tuple(linear_bias.shape) != (classes,) + out_features:
        raise InputError(f"{name}: expected linear_bias of shape {(classes,) + out_features}, got {tuple(linear_bias.shape)}")
    if out_features and input.ndim == 1:
        raise InputError(f"{name}: K-dimensional outputs {out_features} need batched input (N, {in_features})")
    logits_shape = input.shape[:-1] + (classes,) + out_features
    probabilities = tuple(target.shape) == logits_shape and target.dtype.kind == "f"
    if probabilities and ignore_index is not None:
        raise InputError(f"{name}: ignore_index cannot be given with class-probability targets")
    ignore_index = -100 if ignore_index is None else ignore_index
    if reduction not in ("mean", "sum", "none"):
        raise InputError(f"{name}: reduction must be 'mean', 'sum' or 'none', got {reduction!r}")
    if options is not None:
        if out_features or label_smoothing or probabilities:
            warnings.warn(f"{name}: options ignored: the chunks take class-index targets, no label smoothing and no "
                          f"K-dimensional outputs (got out_features={out_features}, label_smoothing={label_smoothing}, "
                          f"probability targets: {probabilities})", stacklevel=2)
        else:
            return _chunked(input, linear_weight, target, linear_bias, weight, reduction, ignore_index, options)
    flat_weight = linear_weight.reshape(math.prod(out_features, start=classes), in_features)
    flat_bias = None if linear_bias is None else linear_bias.reshape(-1)
    logits = linear(input, flat_weight, flat_bias).reshape(logits_shape)
    return cross_entropy(logits, target, weight=weight, reduction=reduction, ignore_index=ignore_index,
                         label_smoothing=label_smoothing)


def _chunked(input, linear_weight, target, linear_bias, weight, reduction, ignore_index, options):
    name = "linear_cross_entropy"
    unbatched = input.ndim == 1
    rows = input.reshape(1, -1) if unbatched else input
    targets = target.reshape(1) if unbatched else target
    if not isinstance(target, Tensor) or targets.dtype.kind not in "iu" or tuple(targets.shape) != (rows.shape[0],):
        raise InputError(f"{name}: expected integer class indices of shape {(rows.shape[0],)[unbatched:]} as target, "
                         f"got {getattr(target, 'dtype', type(target).__name__)} {tuple(getattr(target, 'shape', ()))}")
    classes = linear_weight.shape[0]
    labels = targets._array
    report_out_of_range(labels, ((labels < 0) | (labels >= classes)) & (labels != ignore_index), classes,
                        input.device, name)
    if weight is not None and tuple(weight.shape) != (classes,):
        raise InputError(f"{name}: expected weight of shape ({classes},), got {tuple(weight.shape)}")
    class_weight = None if weight is None else weight._array.astype(rows.dtype, copy=False)
    chunk = options.chunk_rows(rows.shape[0], rows.shape[1], classes)
    op = ChunkedLinearCrossEntropy(labels, class_weight, ignore_index, reduction, chunk,
                                   options.accumulation_dtype(rows.dtype))
    inputs = (rows, linear_weight) + ((linear_bias,) if linear_bias is not None else ())
    loss = op(*inputs)
    return loss.reshape(()) if unbatched and reduction == "none" else loss
