"""Losses computed element by element, then reduced: regression (MSE, L1, Huber, smooth L1),
binary classification (binary cross-entropy on probabilities, or fused with the sigmoid on logits)
and the Kullback-Leibler divergence between distributions.

Each loss is l_i = f(x_i, y_i) for an input x and a target y of the same shape; the reduction is
"mean" (sum / number of elements, PyTorch's default), "sum", "none" (l itself), or for the KL
divergence "batchmean" (sum / batch size, the divergence per sample). Backward is
dL/dx_i = df/dx(x_i, y_i) * dL/dl_i, and likewise for y when the target needs a gradient.
"""
import numpy as np

from ...errors import DtypeError, InputError
from ... import backend, mixed_precision
from ...autograd import Function
from ...half_precision import computed_in_float32
from ...ops.reduction import mean_of
from ...tensor import Tensor
from .legacy_reduction import legacy_reduction
from .validation import check_constant, check_float, in_common_dtype

REDUCTIONS = ("mean", "sum", "none")


class _PointwiseLoss(Function):
    """The reduction and the chain rule shared by every pointwise loss; a subclass gives the
    elementwise loss f (``losses``) and its partial derivatives (``partials``)."""

    graph_saved = {"x": 0, "y": 1}

    def __init__(self, reduction):
        self.reduction = reduction

    def forward(self, x, y):
        self.x, self.y, self.count = x, y, x.size
        losses = self.losses(x, y)
        if self.reduction == "none":
            return losses
        total = losses.sum() if self.reduction in ("sum", "batchmean") else mean_of(losses)
        if self.reduction == "batchmean" and x.ndim:
            with np.errstate(invalid="ignore"):  # (of an empty batch NaN, as PyTorch's)
                total = total / x.shape[0]
        return self.xp(x).asarray(total, dtype=x.dtype)

    def backward(self, gy):  # (the divisions by max(..., 1): of no values the gradient is empty)
        if self.reduction == "mean":
            gy = gy / max(self.count, 1)
        elif self.reduction == "batchmean" and self.x.ndim:
            gy = gy / max(self.x.shape[0], 1)
        dx, dy = self.partials(self.x, self.y)
        return (gy * dx if self.needs_input_grad[0] else None, gy * dy if self.needs_input_grad[1] else None)


class MSELoss(_PointwiseLoss):
    """l = (x - y)^2.  dl/dx = 2 (x - y) = -dl/dy."""

    def losses(self, x, y):
        return (x - y) * (x - y)

    def partials(self, x, y):
        d = 2 * (x - y)
        return d, -d


class L1Loss(_PointwiseLoss):
    """l = |x - y|.  dl/dx = sign(x - y) (0 where they are equal, as PyTorch) = -dl/dy."""

    def losses(self, x, y):
        return self.xp(x).abs(x - y)

    def partials(self, x, y):
        d = self.xp(x).sign(x - y)
        return d, -d


class HuberLoss(_PointwiseLoss):
    """l = (x - y)^2 / 2 where |x - y| < delta, else delta * (|x - y| - delta / 2): quadratic near
    0, linear (so robust to outliers) beyond.  dl/dx = clip(x - y, -delta, delta) = -dl/dy."""

    def __init__(self, reduction, delta):
        super().__init__(reduction)
        self.delta = delta

    def losses(self, x, y):
        xp = self.xp(x)
        d = xp.abs(x - y)
        return xp.where(d < self.delta, 0.5 * d * d, self.delta * (d - 0.5 * self.delta))

    def partials(self, x, y):
        d = self.xp(x).clip(x - y, -self.delta, self.delta)
        return d, -d


class SmoothL1Loss(HuberLoss):
    """l = (x - y)^2 / (2 beta) where |x - y| < beta, else |x - y| - beta / 2: Huber with delta =
    beta, divided by beta (beta > 0; ``smooth_l1_loss`` with beta = 0 is L1).
    dl/dx = clip(x - y, -beta, beta) / beta = -dl/dy."""

    def losses(self, x, y):
        return super().losses(x, y) / self.delta

    def partials(self, x, y):
        dx, dy = super().partials(x, y)
        return dx / self.delta, dy / self.delta


class BinaryCrossEntropy(_PointwiseLoss):
    """l = -w (y log p + (1 - y) log(1 - p)) for probabilities p = x in [0, 1]; each log is clamped
    at -100, as PyTorch, so p = 0 or 1 gives a large finite loss, not inf.
    dl/dp = w (p - y) / max(p (1 - p), 1e-12),  dl/dy = -w (log p - log(1 - p))."""

    def __init__(self, reduction, weight):
        super().__init__(reduction)
        self.weight = weight

    def _logs(self, p):
        """log p and log(1 - p), each clamped at -100 (the log of 0 is never taken: no warning)."""
        xp = self.xp(p)
        positive, below_one = p > 0, p < 1
        log_p = xp.where(positive, xp.log(xp.where(positive, p, 1)), -100)
        log_not_p = xp.where(below_one, xp.log1p(-xp.where(below_one, p, 0)), -100)
        return xp.maximum(log_p, -100), xp.maximum(log_not_p, -100)

    def losses(self, p, y):
        log_p, log_not_p = self._logs(p)
        losses = -(y * log_p + (1 - y) * log_not_p)
        return losses if self.weight is None else losses * self.weight

    def partials(self, p, y):
        log_p, log_not_p = self._logs(p)
        dp = (p - y) / self.xp(p).maximum(p * (1 - p), 1e-12)
        dy = log_not_p - log_p
        return (dp, dy) if self.weight is None else (dp * self.weight, dy * self.weight)


class BinaryCrossEntropyWithLogits(_PointwiseLoss):
    """Binary cross-entropy of sigmoid(z) for logits z, fused and stable:

        l = w ((1 - y) z + q (log(1 + e^-|z|) + max(-z, 0))),   q = 1 + (pos_weight - 1) y

    (pos_weight > 1 counts the positive examples more).  dl/dz = w ((1 - y) - q sigmoid(-z)), which
    is w (sigmoid(z) - y) without pos_weight;  dl/dy = w (-z + (pos_weight - 1) softplus(-z))."""

    def __init__(self, reduction, weight, pos_weight):
        super().__init__(reduction)
        self.weight, self.pos_weight = weight, pos_weight

    def _softplus_neg(self, z):
        """log(1 + e^-z), computed without overflow."""
        xp = self.xp(z)
        return xp.log1p(xp.exp(-xp.abs(z))) + xp.maximum(-z, 0)

    def losses(self, z, y):
        q = 1 if self.pos_weight is None else 1 + (self.pos_weight - 1) * y
        losses = (1 - y) * z + q * self._softplus_neg(z)
        return losses if self.weight is None else losses * self.weight

    def partials(self, z, y):
        xp = self.xp(z)
        q = 1 if self.pos_weight is None else 1 + (self.pos_weight - 1) * y
        sigmoid_neg = (1 - xp.tanh(z * 0.5)) * 0.5
        dz = (1 - y) - q * sigmoid_neg
        dy = -z if self.pos_weight is None else -z + (self.pos_weight - 1) * self._softplus_neg(z)
        return (dz, dy) if self.weight is None else (dz * self.weight, dy * self.weight)


class KLDivergence(_PointwiseLoss):
    """The input x is log q (log-probabilities of the model), the target y is p, or log p with
    ``log_target``:   l = p (log p - x), and 0 where p = 0 (the limit of p log p); NaN where
    p < 0, which is no probability (as PyTorch's xlogy gives).
    dl/dx = -p;  dl/dy = log p + 1 - x where p != 0 (for a log target y: p (y - x + 1))."""

    def __init__(self, reduction, log_target):
        super().__init__(reduction)
        self.log_target = log_target

    def losses(self, x, y):
        xp = self.xp(x)
        if self.log_target:
            return xp.exp(y) * (y - x)
        nonzero = y != 0
        return xp.where(nonzero, y * (xp.log(xp.where(nonzero, y, 1)) - x), 0)

    def partials(self, x, y):
        xp = self.xp(x)
        if self.log_target:
            p = xp.exp(y)
            return -p, p * (y - x + 1)
        nonzero = y != 0
        return -y, xp.where(nonzero, xp.log(xp.where(nonzero, y, 1)) + 1 - x, 0)


def _check(input, target, reduction, name, reductions=REDUCTIONS, complex_ok=False, dtype_rule="promote"):
    check_float(input, name, complex_ok=complex_ok)
    check_float(target, name, "target", complex_ok=complex_ok)
    if target.shape != input.shape:
        raise InputError(f"{name}: target of shape {tuple(target.shape)} does not match input of shape {tuple(input.shape)}")
    if target.device != input.device:
        raise RuntimeError(f"{name}: input is on {input.device} but target is on {target.device}")
    if reduction not in reductions:
        raise InputError(f"{name}: reduction must be one of {reductions}, got {reduction!r}")
    if target.dtype.kind == "c" and input.dtype.kind != "c":
        raise DtypeError(f"{name}: the target is complex ({target.dtype}) but the input is {input.dtype}; make the "
                         f"input complex too")
    return in_common_dtype(input, target, dtype_rule)


def _array(value, input, name, what):
    """An optional weight tensor, broadcastable to the input, as an array of the input's dtype."""
    if value is None:
        return None
    if not isinstance(value, Tensor):
        raise TypeError(f"{name}: expected {what} to be a tinynn.Tensor or None, got {type(value).__name__}")
    if value.device != input.device:
        raise RuntimeError(f"{name}: input is on {input.device} but {what} is on {value.device}")
    check_constant(value, name, what)
    try:
        np.broadcast_shapes(value.shape, input.shape)
    except ValueError:
        raise InputError(f"{name}: {what} of shape {tuple(value.shape)} cannot be broadcast to the input's {tuple(input.shape)}") from None
    return value._array.astype(input.dtype, copy=False)


@mixed_precision.casts_inputs("float32")
def mse_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """Mean squared error (x - y)^2 (``weight``: see ``_regression_loss``)."""
    reduction = legacy_reduction(size_average, reduce, reduction, "mse_loss")
    return _regression_loss(MSELoss, input, target, reduction, weight, "mse_loss", mean_over_weights=True)


@mixed_precision.casts_inputs("float32")
def l1_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """Mean absolute error |x - y| (``weight``: see ``_regression_loss``); of complex x and y the
    modulus |x - y|, a real loss whose gradient is sgn(x - y)."""
    reduction = legacy_reduction(size_average, reduce, reduction, "l1_loss")
    if isinstance(input, Tensor) and isinstance(target, Tensor) and "c" in (input.dtype.kind, target.dtype.kind):
        return _regression_loss(_ComplexL1Loss, input, target, reduction, weight, "l1_loss", mean_over_weights=True,
                                complex_ok=True)
    return _regression_loss(L1Loss, input, target, reduction, weight, "l1_loss", mean_over_weights=True)


class _ComplexL1Loss:
    """|x - y| of complex tensors, reduced, as recorded tensor ops (the modulus's gradient is
    sgn(x - y)); the real path, ``L1Loss``, is one fused op."""

    def __init__(self, reduction):
        self.reduction = reduction

    def __call__(self, input, target):
        losses = (input - target).abs()
        return losses if self.reduction == "none" else losses.sum() if self.reduction == "sum" else losses.mean()


@mixed_precision.casts_inputs("float32")
def huber_loss(input, target, reduction="mean", delta=1.0, weight=None):
    if delta <= 0:
        raise InputError(f"huber_loss: delta must be positive, got {delta}")
    return _regression_loss(lambda reduction: HuberLoss(reduction, float(delta)), input, target, reduction, weight,
                            "huber_loss", mean_over_weights=False, dtype_rule="input")


def _regression_loss(make, input, target, reduction, weight, name, mean_over_weights, complex_ok=False,
                     dtype_rule="promote"):
    """The loss ``make(reduction)`` of input and target; with ``weight`` (a tensor of the input's
    shape), PyTorch's weighted form: each loss times its weight, "mean" dividing their sum by the
    sum of the weights for mse and l1, by their count for huber, as PyTorch's do (recorded ops, so
    the weights get a gradient too)."""
    input, target = _check(input, target, reduction, name, complex_ok=complex_ok, dtype_rule=dtype_rule)
    if weight is None:
        return make(reduction)(input, target)
    if not isinstance(weight, Tensor) or tuple(weight.shape) != tuple(input.shape):
        raise InputError(f"{name}: weight must be a tensor of the input's shape {tuple(input.shape)}, got "
                         f"{tuple(weight.shape) if isinstance(weight, Tensor) else type(weight).__name__}")
    weighted = make("none")(input, target) * weight
    if reduction == "none":
        return weighted
    if reduction == "sum":
        return weighted.sum()
    return weighted.sum() / weight.sum() if mean_over_weights else weighted.mean()


@mixed_precision.casts_inputs("float32")
def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean", beta=1.0):
    reduction = legacy_reduction(size_average, reduce, reduction, "smooth_l1_loss")
    if beta < 0:
        raise InputError(f"smooth_l1_loss: beta must be non-negative, got {beta}")
    input, target = _check(input, target, reduction, "smooth_l1_loss")
    return (SmoothL1Loss(reduction, float(beta)) if beta > 0 else L1Loss(reduction))(input, target)


@mixed_precision.casts_inputs("float32")
def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None, reduction="mean"):
    """Binary cross-entropy of probabilities ``input`` in [0, 1] against targets in [0, 1]."""
    reduction = legacy_reduction(size_average, reduce, reduction, "binary_cross_entropy")
    input, target = _check(input, target, reduction, "binary_cross_entropy")
    weight = _array(weight, input, "binary_cross_entropy", "weight")
    p = input._array
    outside = (p < 0) | (p > 1) | (p != p)

    def outside_error():
        bad = float(p[outside].reshape(-1)[0])
        where = " (found on the GPU at the next read of a result)" if input.device == "gpu" else ""
        return InputError(f"binary_cross_entropy: expected probabilities in [0, 1] as input, got {bad}{where}; "
                          f"for logits use binary_cross_entropy_with_logits")

    backend.check_soon(outside.any(), outside_error)
    t = target._array
    backend.check_soon(~((t >= 0) & (t <= 1)).all(), lambda: InputError(
        "binary_cross_entropy: all elements of target should be between 0 and 1 (none NaN)"))
    return BinaryCrossEntropy(reduction, weight)(input, target)


@mixed_precision.casts_inputs("float32")
def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None, reduce=None, reduction="mean",
                                     pos_weight=None):
    """Binary cross-entropy of sigmoid(``input``), fused with the sigmoid for stability."""
    name = "binary_cross_entropy_with_logits"
    reduction = legacy_reduction(size_average, reduce, reduction, name)
    input, target = _check(input, target, reduction, name, dtype_rule="target")
    weight, pos_weight = _array(weight, input, name, "weight"), _array(pos_weight, input, name, "pos_weight")
    return BinaryCrossEntropyWithLogits(reduction, weight, pos_weight)(input, target)


@mixed_precision.casts_inputs("float32")
@computed_in_float32("input", "target")
def kl_div(input, target, size_average=None, reduce=None, reduction="mean", log_target=False):
    """KL(p || q) pointwise, with ``input`` = log q and ``target`` = p (or log p with ``log_target``).
    "batchmean" gives the divergence per sample; "mean" (PyTorch's default) divides by every element."""
    reduction = legacy_reduction(size_average, reduce, reduction, "kl_div")
    input, target = _check(input, target, reduction, "kl_div", REDUCTIONS + ("batchmean",))
    return KLDivergence(reduction, bool(log_target))(input, target)
