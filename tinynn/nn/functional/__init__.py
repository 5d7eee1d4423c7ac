"""``tinynn.nn.functional`` (imported as ``F``): the neural-network ops, each a Function with its
forward and backward side by side."""
from .activation import (_in_place, celu, elu, gelu, glu, gumbel_softmax, hardshrink, hardsigmoid, hardswish, hardtanh,
                         leaky_relu, log_softmax, logsigmoid, mish, prelu, relu, relu6, rrelu, selu, sigmoid, silu,
                         softmax, softmin, softplus, softshrink, softsign, tanh, tanhshrink, threshold)
from .attention import multi_head_attention_forward, scaled_dot_product_attention
from .conv import conv1d, conv2d, conv_tbc
from .conv_transpose import conv_transpose1d, conv_transpose2d
from .fractional_pooling import fractional_max_pool2d, fractional_max_pool3d
from .conv3d import (adaptive_avg_pool3d, adaptive_max_pool3d, avg_pool3d, conv3d, conv_transpose3d, lp_pool3d,
                     max_pool3d, max_unpool3d)
from .ctc_loss import ctc_loss
from .distance import cdist, cosine_similarity, normalize, pdist
from .dropout import alpha_dropout, dropout, dropout1d, dropout2d, dropout3d, feature_alpha_dropout
from .embedding import embedding, embedding_bag, one_hot
from .fold import fold, unfold
from .grid_sample import affine_grid, grid_sample
from .grouped_mm import grouped_mm
from .layer_norm import group_norm, layer_norm, local_response_norm, rms_norm
from .linear import bilinear, linear
from .linear_cross_entropy import linear_cross_entropy
from .loss import cross_entropy, nll_loss
from .margin_loss import (cosine_embedding_loss, gaussian_nll_loss, hinge_embedding_loss, margin_ranking_loss,
                          multi_margin_loss, multilabel_margin_loss, multilabel_soft_margin_loss, pairwise_distance,
                          poisson_nll_loss, soft_margin_loss, triplet_margin_loss, triplet_margin_with_distance_loss)
from .normalization import batch_norm, instance_norm
from .pointwise_loss import (binary_cross_entropy, binary_cross_entropy_with_logits, huber_loss, kl_div, l1_loss,
                             mse_loss, smooth_l1_loss)
from .padding import channel_shuffle, pad, pixel_shuffle, pixel_unshuffle

native_channel_shuffle = channel_shuffle  # PyTorch's name of the same op
from .pooling import (adaptive_avg_pool1d, adaptive_avg_pool2d, adaptive_max_pool1d, adaptive_max_pool2d, avg_pool1d,
                      avg_pool2d, lp_pool1d, lp_pool2d, max_pool1d, max_pool2d, max_unpool1d, max_unpool2d)
from .resampling import interpolate
from ...user_warnings import warn


# PyTorch's in-place activations (``F.relu_``...)
relu_, elu_, selu_, celu_, leaky_relu_, hardtanh_, threshold_, rrelu_ = (
    _in_place(f) for f in (relu, elu, selu, celu, leaky_relu, hardtanh, threshold, rrelu))


def flatten(input, start_dim=1, end_dim=-1):
    """Merge axes ``start_dim..end_dim`` into one (by default all but the batch axis)."""
    return input.flatten(start_dim, end_dim)


__all__ = ["grouped_mm", "conv1d", "conv2d", "conv_transpose1d", "conv_transpose2d", "max_pool1d", "max_pool2d", "avg_pool1d", "avg_pool2d", "adaptive_avg_pool2d", "adaptive_max_pool2d", "max_unpool2d", "interpolate", "batch_norm", "instance_norm", "layer_norm", "group_norm", "dropout", "dropout1d", "dropout2d", "embedding", "embedding_bag", "one_hot", "linear", "bilinear", "linear_cross_entropy", "scaled_dot_product_attention", "multi_head_attention_forward", "conv_tbc", "native_channel_shuffle",
           "relu", "leaky_relu", "sigmoid", "tanh", "silu", "gelu", "elu", "softplus", "hardtanh", "relu6", "hardsigmoid", "hardswish", "mish", "logsigmoid", "softsign", "prelu", "selu", "celu", "glu", "softmin", "threshold", "tanhshrink", "hardshrink", "softshrink", "log_softmax", "softmax", "nll_loss", "cross_entropy", "ctc_loss", "mse_loss", "l1_loss", "huber_loss", "smooth_l1_loss", "kl_div", "margin_ranking_loss", "hinge_embedding_loss", "soft_margin_loss", "multilabel_soft_margin_loss", "multi_margin_loss", "cosine_embedding_loss", "pairwise_distance", "triplet_margin_loss", "gaussian_nll_loss", "poisson_nll_loss", "normalize", "cosine_similarity", "pdist", "cdist",
           "binary_cross_entropy", "binary_cross_entropy_with_logits", "flatten", "pad", "grid_sample", "affine_grid", "pixel_shuffle", "pixel_unshuffle", "unfold", "fold",
           "adaptive_avg_pool1d", "adaptive_max_pool1d", "max_unpool1d", "lp_pool1d", "lp_pool2d", "rms_norm", "local_response_norm",
           "dropout3d", "alpha_dropout", "feature_alpha_dropout", "rrelu", "gumbel_softmax", "channel_shuffle",
           "triplet_margin_with_distance_loss", "multilabel_margin_loss", "relu_", "elu_", "selu_", "celu_", "leaky_relu_",
           "hardtanh_", "threshold_", "rrelu_", "conv3d", "conv_transpose3d", "max_pool3d", "avg_pool3d", "adaptive_avg_pool3d", "adaptive_max_pool3d",
           "max_unpool3d", "lp_pool3d", "fractional_max_pool2d", "fractional_max_pool3d", "upsample", "upsample_nearest", "upsample_bilinear", "max_pool1d_with_indices",
           "max_pool2d_with_indices", "max_pool3d_with_indices", "adaptive_max_pool1d_with_indices",
           "adaptive_max_pool2d_with_indices", "adaptive_max_pool3d_with_indices",
           "fractional_max_pool2d_with_indices", "fractional_max_pool3d_with_indices"]


def upsample(input, size=None, scale_factor=None, mode="nearest", align_corners=None):
    """The old name of ``interpolate`` (deprecated, with PyTorch's warning)."""
    warn("`nn.functional.upsample` is deprecated. Use `nn.functional.interpolate` instead.")
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input, size=None, scale_factor=None):
    warn("`nn.functional.upsample_nearest` is deprecated. Use `nn.functional.interpolate` instead.")
    return interpolate(input, size, scale_factor, "nearest")


def upsample_bilinear(input, size=None, scale_factor=None):
    """Bilinear resizing with align_corners=True (what this old name always did)."""
    warn("`nn.functional.upsample_bilinear` is deprecated. Use `nn.functional.interpolate` instead.")
    return interpolate(input, size, scale_factor, "bilinear", align_corners=True)


def _with_indices(pool):
    def pool_with_indices(input, *args, **kwargs):
        kwargs["return_indices"] = True
        return pool(input, *args, **kwargs)
    pool_with_indices.__name__ = f"{pool.__name__}_with_indices"
    pool_with_indices.__doc__ = f"``{pool.__name__}(..., return_indices=True)``: (values, indices)."
    return pool_with_indices


max_pool1d_with_indices, max_pool2d_with_indices, max_pool3d_with_indices = (
    _with_indices(pool) for pool in (max_pool1d, max_pool2d, max_pool3d))
fractional_max_pool2d_with_indices, fractional_max_pool3d_with_indices = (
    _with_indices(pool) for pool in (fractional_max_pool2d, fractional_max_pool3d))
adaptive_max_pool1d_with_indices, adaptive_max_pool2d_with_indices, adaptive_max_pool3d_with_indices = (
    _with_indices(pool) for pool in (adaptive_max_pool1d, adaptive_max_pool2d, adaptive_max_pool3d))
