"""Loss modules over nn/functional/loss.py, pointwise_loss.py and margin_loss.py. A ``weight`` (or ``pos_weight``) is a
buffer: it moves with ``.to(device)`` and is part of the ``state_dict``, as in PyTorch."""
import inspect
import math

from ...errors import InputError
from .. import functional as F
from ..functional.legacy_reduction import legacy_reduction
from .layers import Linear
from .module import Module


class _Loss(Module):
    """The base of every loss module, as PyTorch's (``torch.nn.modules.loss._Loss``, which custom losses
    subclass): ``reduction``, or the one PyTorch's older size_average and reduce flags mean where given."""

    def __init__(self, size_average=None, reduce=None, reduction="mean"):
        super().__init__()
        self.reduction = legacy_reduction(size_average, reduce, reduction, type(self).__name__)


class _WeightedLoss(_Loss):
    """A loss with a per-class ``weight``: a buffer, so it moves with the module and is in its state dict."""

    def __init__(self, weight=None, size_average=None, reduce=None, reduction="mean"):
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", weight)


class NLLLoss(_WeightedLoss):
    def __init__(self, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean"):
        super().__init__(weight, size_average, reduce, reduction)
        self.ignore_index = ignore_index

    def forward(self, input, target):
        return F.nll_loss(input, target, self.weight, ignore_index=self.ignore_index, reduction=self.reduction)


class NLLLoss2d(NLLLoss):
    """PyTorch's old name for ``NLLLoss`` on (N, C, H, W) log-probabilities (which NLLLoss takes)."""


class CrossEntropyLoss(_WeightedLoss):
    def __init__(self, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean",
                 label_smoothing=0.0):
        super().__init__(weight, size_average, reduce, reduction)
        self.ignore_index, self.label_smoothing = ignore_index, label_smoothing

    def forward(self, input, target):
        return F.cross_entropy(input, target, self.weight, ignore_index=self.ignore_index,
                               reduction=self.reduction, label_smoothing=self.label_smoothing)


class MSELoss(_Loss):
    def forward(self, input, target):
        return F.mse_loss(input, target, reduction=self.reduction)


class L1Loss(_Loss):
    def forward(self, input, target):
        return F.l1_loss(input, target, reduction=self.reduction)


class HuberLoss(_Loss):
    def __init__(self, reduction="mean", delta=1.0):
        super().__init__(reduction=reduction)
        self.delta = delta

    def forward(self, input, target):
        return F.huber_loss(input, target, self.reduction, self.delta)


class SmoothL1Loss(_Loss):
    def __init__(self, size_average=None, reduce=None, reduction="mean", beta=1.0):
        super().__init__(size_average, reduce, reduction)
        self.beta = beta

    def forward(self, input, target):
        return F.smooth_l1_loss(input, target, reduction=self.reduction, beta=self.beta)


class BCELoss(_WeightedLoss):
    def forward(self, input, target):
        return F.binary_cross_entropy(input, target, self.weight, reduction=self.reduction)


class BCEWithLogitsLoss(_Loss):
    def __init__(self, weight=None, size_average=None, reduce=None, reduction="mean", pos_weight=None):
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", weight)
        self.register_buffer("pos_weight", pos_weight)

    def forward(self, input, target):
        return F.binary_cross_entropy_with_logits(input, target, self.weight, reduction=self.reduction,
                                                  pos_weight=self.pos_weight)


class CTCLoss(_Loss):
    """Connectionist temporal classification: ``forward(log_probs, targets, input_lengths, target_lengths)``
    (see ``tinynn.nn.functional.ctc_loss``)."""

    def __init__(self, blank=0, reduction="mean", zero_infinity=False):
        super().__init__(reduction=reduction)
        self.blank, self.zero_infinity = blank, zero_infinity

    def forward(self, log_probs, targets, input_lengths, target_lengths):
        return F.ctc_loss(log_probs, targets, input_lengths, target_lengths, self.blank, self.reduction,
                          self.zero_infinity, name="CTCLoss")


class KLDivLoss(_Loss):
    """KL divergence with log-probabilities as input; ``reduction="batchmean"`` is the true divergence."""

    def __init__(self, size_average=None, reduce=None, reduction="mean", log_target=False):
        super().__init__(size_average, reduce, reduction)
        self.log_target = log_target

    def forward(self, input, target):
        return F.kl_div(input, target, reduction=self.reduction, log_target=self.log_target)


class PairwiseDistance(Module):
    """The p-norm of x1 - x2 (+ eps) along the last axis (see ``F.pairwise_distance``); the order is
    ``norm``, as PyTorch names it."""

    def __init__(self, p=2.0, eps=1e-6, keepdim=False):
        super().__init__()
        self.norm, self.eps, self.keepdim = p, eps, keepdim

    def forward(self, x1, x2):
        return F.pairwise_distance(x1, x2, self.norm, self.eps, self.keepdim)


class CosineSimilarity(Module):
    def __init__(self, dim=1, eps=1e-8):
        super().__init__()
        self.dim, self.eps = dim, eps

    def forward(self, x1, x2):
        return F.cosine_similarity(x1, x2, self.dim, self.eps)


class _FunctionalLoss(_Loss):
    """A loss of nn.functional.margin_loss with PyTorch's options, in PyTorch's order, positionally or by
    name; an option not given takes the function's default. Each option is an attribute, read at every
    call as PyTorch's are (so ``loss.margin = 2.0`` later takes effect), and ``weight`` a buffer, so it
    moves with the module; ``reduction`` also from PyTorch's older size_average and reduce where it took
    them (see legacy_reduction.py)."""

    function, options = None, ("size_average", "reduce", "reduction")
    REDUCTION_OPTIONS = ("size_average", "reduce", "reduction")

    def __init__(self, *args, **kwargs):
        if len(args) > len(self.options) or set(kwargs) - set(self.options):
            raise TypeError(f"{type(self).__name__}: takes the options {list(self.options)}, "
                            f"got {len(args)} positional and {sorted(kwargs)}")
        given = dict(zip(self.options, args), **kwargs)
        super().__init__(size_average=given.pop("size_average", None), reduce=given.pop("reduce", None),
                         reduction=given.pop("reduction", "mean"))
        defaults = inspect.signature(type(self).function).parameters
        for name in self._own_options():
            value = given.get(name, defaults[name].default)
            if name == "weight":
                self.register_buffer(name, value)
            else:
                setattr(self, name, value)

    @classmethod
    def _own_options(cls):
        return [name for name in cls.options if name not in cls.REDUCTION_OPTIONS]

    def _loss(self, *inputs):
        """The function on ``inputs`` (each subclass's forward names them as PyTorch's does) and the options."""
        options = {name: getattr(self, name) for name in self._own_options()}
        return type(self).function(*inputs, **options, reduction=self.reduction)


class MarginRankingLoss(_FunctionalLoss):
    function, options = staticmethod(F.margin_ranking_loss), ("margin", "size_average", "reduce", "reduction")

    def forward(self, input1, input2, target):
        return self._loss(input1, input2, target)


class HingeEmbeddingLoss(_FunctionalLoss):
    function, options = staticmethod(F.hinge_embedding_loss), ("margin", "size_average", "reduce", "reduction")

    def forward(self, input, target):
        return self._loss(input, target)


class SoftMarginLoss(_FunctionalLoss):
    function = staticmethod(F.soft_margin_loss)

    def forward(self, input, target):
        return self._loss(input, target)


class MultiLabelSoftMarginLoss(_FunctionalLoss, _WeightedLoss):
    function, options = staticmethod(F.multilabel_soft_margin_loss), ("weight", "size_average", "reduce", "reduction")

    def forward(self, input, target):
        return self._loss(input, target)


class MultiMarginLoss(_FunctionalLoss, _WeightedLoss):
    function = staticmethod(F.multi_margin_loss)
    options = ("p", "margin", "weight", "size_average", "reduce", "reduction")

    def forward(self, input, target):
        return self._loss(input, target)


class CosineEmbeddingLoss(_FunctionalLoss):
    function, options = staticmethod(F.cosine_embedding_loss), ("margin", "size_average", "reduce", "reduction")

    def forward(self, input1, input2, target):
        return self._loss(input1, input2, target)


class TripletMarginLoss(_FunctionalLoss):
    function = staticmethod(F.triplet_margin_loss)
    options = ("margin", "p", "eps", "swap", "size_average", "reduce", "reduction")

    def forward(self, anchor, positive, negative):
        return self._loss(anchor, positive, negative)


class GaussianNLLLoss(_FunctionalLoss):
    function, options = staticmethod(F.gaussian_nll_loss), ("full", "eps", "reduction")

    def forward(self, input, target, var):
        return self._loss(input, target, var)


class PoissonNLLLoss(_FunctionalLoss):
    function = staticmethod(F.poisson_nll_loss)
    options = ("log_input", "full", "size_average", "eps", "reduce", "reduction")

    def forward(self, log_input, target):
        return self._loss(log_input, target)


class TripletMarginWithDistanceLoss(_FunctionalLoss):
    function = staticmethod(F.triplet_margin_with_distance_loss)
    options = ("distance_function", "margin", "swap", "reduction")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.distance_function is None:  # PyTorch's default, a module: it shows among the children
            self.distance_function = PairwiseDistance()

    def forward(self, anchor, positive, negative):
        return self._loss(anchor, positive, negative)


class MultiLabelMarginLoss(_FunctionalLoss):
    function = staticmethod(F.multilabel_margin_loss)

    def forward(self, input, target):
        return self._loss(input, target)


class LinearCrossEntropyLoss(_WeightedLoss):
    """cross_entropy(Linear(in_features, num_classes * prod(out_features))(input), target): the
    classifier layer and its loss as one module, so ``options`` (a LinearCrossEntropyOptions) can
    chunk the batch and never hold the logits (F.linear_cross_entropy). The layer is ``.linear``."""

    def __init__(self, in_features, num_classes, *, out_features=(), bias=False, device=None, dtype=None,
                 reduction="mean", weight=None, ignore_index=None, label_smoothing=0.0, options=None):
        if weight is not None and tuple(weight.shape) != (num_classes,):
            raise InputError(f"LinearCrossEntropyLoss: expected weight of shape ({num_classes},), got "
                             f"{tuple(weight.shape)}")
        if not 0.0 <= label_smoothing <= 1.0:
            raise InputError(f"LinearCrossEntropyLoss: label_smoothing must be in [0, 1], got {label_smoothing}")
        super().__init__(weight, reduction=reduction)
        self.num_classes, self.out_features = num_classes, tuple(out_features)
        self.ignore_index, self.label_smoothing, self.options = ignore_index, label_smoothing, options
        self.linear = Linear(in_features, math.prod(self.out_features, start=num_classes), bias=bias, device=device,
                             dtype=dtype)

    def forward(self, input, target):
        shape = (self.num_classes,) + self.out_features
        return F.linear_cross_entropy(
            input, self.linear.weight.reshape(shape + (self.linear.in_features,)), target,
            linear_bias=None if self.linear.bias is None else self.linear.bias.reshape(shape), weight=self.weight,
            reduction=self.reduction, ignore_index=self.ignore_index, label_smoothing=self.label_smoothing,
            options=self.options)

    def extra_repr(self):
        return (f"in_features={self.linear.in_features}, num_classes={self.num_classes}, "
                f"out_features={self.out_features}, bias={self.linear.bias is not None}, reduction={self.reduction}, "
                f"ignore_index={self.ignore_index}, label_smoothing={self.label_smoothing}, options={self.options}")
