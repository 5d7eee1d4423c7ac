"""Scaled dot-product attention and multi-head attention, built from tensor ops (matrix products,
softmax, masking); their backward is the chain rule through those ops.

Shapes: N batch, L target (query) positions, S source (key/value) positions, E embedding size,
h heads of d = E / h features each.

    attention(Q, K, V) = softmax(Q K^T / sqrt(d) + mask) V        Q (..., L, d), K, V (..., S, d)

A boolean mask is True where attention is *allowed* in ``scaled_dot_product_attention`` (PyTorch's
convention there) and True where it is *blocked* in ``multi_head_attention`` (``attn_mask`` and
``key_padding_mask`` of ``nn.MultiheadAttention``); a float mask is added to the scores.
"""
import math

import numpy as np

from ...errors import InputError
from ... import backend, mixed_precision
from ...tensor import Tensor, concatenate, where, zeros
from ..attention import check_kernel_allowed
from .activation import softmax
from .dropout import dropout
from .linear import linear
from .validation import check_bool, check_float


def _scores_mask(mask, blocked_when_true, like, what="attn_mask"):
    """A mask as an additive float tensor (0 or -inf for a boolean one) in the scores' dtype."""
    if not isinstance(mask, Tensor):
        raise TypeError(f"attention: expected {what} to be a tinynn.Tensor, got {type(mask).__name__}")
    if mask.device != like.device:
        raise RuntimeError(f"attention: {what} is on {mask.device} but the inputs are on {like.device}")
    if mask.dtype == np.bool_:
        blocked = mask._array if blocked_when_true else ~mask._array
        return Tensor(backend.get_array_module(blocked).where(blocked, -np.inf, 0.0).astype(like.dtype))
    return mask.astype(like.dtype)


def attention_weights(query, key, attn_mask=None, scale=None, blocked_when_true=False, empty_rows_attend_nothing=True):
    """softmax(Q K^T * scale + mask) over the source positions: (..., L, S).

    A query the mask lets attend to no position at all (a row of -inf scores: a sequence that is all
    padding) gets weights 0, so its output is 0, as PyTorch's ``scaled_dot_product_attention``
    (its "safe softmax"); ``empty_rows_attend_nothing=False`` leaves softmax's NaN there, as
    PyTorch's multi-head attention when it returns the weights."""
    scale = 1 / math.sqrt(query.shape[-1]) if scale is None else scale
    scores = (query * scale) @ key.transpose(-2, -1)
    if attn_mask is None:
        return softmax(scores, dim=-1)
    scores = scores + _scores_mask(attn_mask, blocked_when_true, scores)
    if not empty_rows_attend_nothing:
        return softmax(scores, dim=-1)
    xp = backend.get_array_module(scores._array)
    empty = xp.isneginf(scores._array).all(axis=-1, keepdims=True)
    if xp is np and not empty.any():  # (asking the GPU would wait for it: there the wheres below serve every case)
        return softmax(scores, dim=-1)
    empty = Tensor._from_op(empty, False)
    # the empty rows' scores are 0 inside, so that neither the softmax nor its backward makes NaN there
    return where(empty, 0.0, softmax(where(empty, 0.0, scores), dim=-1))


@mixed_precision.casts_inputs("lower")
def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0, is_causal=False, scale=None,
                                 enable_gqa=False):
    """softmax(Q K^T * scale + mask) V, scale = 1 / sqrt(d) by default (PyTorch's function of that
    name): Q (..., L, d), K (..., S, d), V (..., S, dv) -> (..., L, dv). ``attn_mask``: boolean (True
    = may attend) or float (added), broadcast to (..., L, S); ``is_causal``: position i attends to
    positions <= i only. Dropout (``dropout_p``) acts on the attention weights.

    ``enable_gqa``: grouped-query attention, Q (..., Hq, L, d) with K and V of fewer heads H
    (Hq a multiple of H): each key/value head serves Hq/H query heads in a row, as if K and V were
    repeated that often along the head axis (their gradients then sum over the group)."""
    for what, tensor in (("query", query), ("key", key), ("value", value)):
        check_float(tensor, "scaled_dot_product_attention", what)
        if tensor.ndim < 2:
            raise InputError(f"scaled_dot_product_attention: expected {what} of at least 2 dimensions (..., L, d), got "
                             f"shape {tuple(tensor.shape)}")
    check_kernel_allowed(query.device)
    check_bool(is_causal, "scaled_dot_product_attention", "is_causal")
    if enable_gqa and query.ndim >= 3 and key.ndim >= 3 and query.shape[-3] != key.shape[-3]:
        heads, kv_heads = query.shape[-3], key.shape[-3]
        if value.ndim < 3 or value.shape[-3] != kv_heads or heads % kv_heads:
            raise InputError(f"scaled_dot_product_attention: with enable_gqa, the number of heads in key and value "
                             f"({kv_heads}, {value.shape[-3] if value.ndim >= 3 else None}) must be equal and divide "
                             f"the number of heads in query ({heads})")
        key, value = (tensor.repeat_interleave(heads // kv_heads, dim=-3) for tensor in (key, value))
    if query.shape[-1] != key.shape[-1] or key.shape[-2] != value.shape[-2]:
        raise InputError(f"scaled_dot_product_attention: query {tuple(query.shape)}, key {tuple(key.shape)} and value {tuple(value.shape)} "
                         "must agree: (..., L, d), (..., S, d), (..., S, dv)")
    if is_causal:
        if attn_mask is not None:
            raise InputError("scaled_dot_product_attention: give attn_mask or is_causal, not both")
        attn_mask = causal_mask(query.shape[-2], key.shape[-2], query.device)
    weights = attention_weights(query, key, attn_mask, scale)
    if dropout_p:
        weights = dropout(weights, dropout_p)
    return weights @ value


def causal_mask(target_length, source_length, device=None):
    """Boolean (L, S) mask, True where position i may attend to position j (j <= i); made on the device."""
    xp = backend.array_module_for(backend.canonical_device(device))
    return Tensor(xp.arange(source_length)[None, :] <= xp.arange(target_length)[:, None])


def multi_head_attention_forward(query, key, value, embed_dim_to_check, num_heads, in_proj_weight, in_proj_bias, bias_k,
                                 bias_v, add_zero_attn, dropout_p, out_proj_weight, out_proj_bias, training=True,
                                 key_padding_mask=None, need_weights=True, attn_mask=None,
                                 use_separate_proj_weight=False, q_proj_weight=None, k_proj_weight=None,
                                 v_proj_weight=None, static_k=None, static_v=None, average_attn_weights=True,
                                 is_causal=False):
    """PyTorch's functional multi-head attention, with its arguments: ``multi_head_attention`` on
    (L, N, E) or unbatched (L, E) inputs, dropout only when ``training``; ``is_causal`` is a hint that
    ``attn_mask`` is the causal mask (which must be given, as PyTorch requires)."""
    name = "multi_head_attention_forward"
    for what, tensor in (("query", query), ("key", key), ("value", value)):
        check_float(tensor, name, what)
        if tensor.ndim not in (2, 3):
            raise InputError(f"{name}: expected {what} of shape (L, N, E) or (L, E), got shape {tuple(tensor.shape)}")
    if query.shape[-1] != embed_dim_to_check:
        raise InputError(f"{name}: expected query of embed dim {embed_dim_to_check}, got shape {tuple(query.shape)}")
    if is_causal and attn_mask is None:
        raise InputError(f"{name}: is_causal is a hint that attn_mask is the causal mask; give attn_mask too")
    unbatched = query.ndim == 2
    if unbatched:
        query, key, value = query.unsqueeze(1), key.unsqueeze(1), value.unsqueeze(1)
        key_padding_mask = key_padding_mask.unsqueeze(0) if key_padding_mask is not None else None
    separate = (q_proj_weight, k_proj_weight, v_proj_weight) if use_separate_proj_weight else None
    output, weights = multi_head_attention(query, key, value, num_heads, in_proj_weight, in_proj_bias, out_proj_weight,
                                           out_proj_bias, key_padding_mask, attn_mask,
                                           dropout_p if training else 0.0, need_weights, average_attn_weights, name,
                                           separate, bias_k, bias_v, add_zero_attn, static_k, static_v)
    if unbatched:
        output = output.squeeze(1)
        weights = weights.squeeze(0) if weights is not None else None
    return output, weights


@mixed_precision.casts_inputs("lower")
def multi_head_attention(query, key, value, num_heads, in_proj_weight, in_proj_bias, out_proj_weight, out_proj_bias,
                         key_padding_mask=None, attn_mask=None, dropout_p=0.0, need_weights=True,
                         average_attn_weights=True, name="multi_head_attention", separate_proj_weights=None,
                         bias_k=None, bias_v=None, add_zero_attn=False, static_k=None, static_v=None):
    """PyTorch's multi-head attention on (L, N, E) query and (S, N, E) key and value:

        Q = query W_q^T + b_q, K = key W_k^T + b_k, V = value W_v^T + b_v   (W_q, W_k, W_v: the
        three (E, E) blocks of in_proj_weight), each split into h heads of d = E/h features;
        head_i = attention(Q_i, K_i, V_i);  output = concat(heads) W_o^T + b_o.

    ``key_padding_mask`` (N, S): True (or -inf) where a source position is padding; ``attn_mask``
    (L, S) or (N*h, L, S): True where attention is blocked, or added. Keys and values of other sizes
    than E come with ``separate_proj_weights`` (W_q (E, E), W_k (E, kdim), W_v (E, vdim)) in place of
    in_proj_weight. ``bias_k`` and ``bias_v`` (1, 1, E) are appended to the projected keys and values
    as one more source position, and ``add_zero_attn`` appends one of zeros after that, both never
    masked (PyTorch's ``add_bias_kv`` and ``add_zero_attn``: positions every query may attend to).
    ``static_k``/``static_v`` (N*h, S, d): keys or values already projected and split into heads
    (cached ones, say), used as they are.
    Returns (output (L, N, E), attention weights (N, L, S') averaged over the heads, or (N, h, L, S'),
    or None), S' counting the appended positions."""
    target_length, batch, embed = query.shape
    source_length = key.shape[0]
    head_dim = embed // num_heads

    def heads(x, weight, bias, length):  # (length, N, E) -> (N*h, length, d)
        return linear(x, weight, bias).reshape(length, batch * num_heads, head_dim).transpose(0, 1)

    packed = (separate_proj_weights is None and static_k is None and static_v is None and query is key
              and key is value)
    if packed:  # self-attention: Q, K and V as one product with in_proj_weight (one wide product beats three)
        projected = linear(query, in_proj_weight, in_proj_bias).reshape(target_length, batch, 3, embed)
        q, k, v = (projected[:, :, i].reshape(target_length, batch * num_heads, head_dim).transpose(0, 1)
                   for i in range(3))
    else:
        if separate_proj_weights is not None:
            w_q, w_k, w_v = separate_proj_weights
        else:
            w_q, w_k, w_v = (in_proj_weight[i * embed:(i + 1) * embed] for i in range(3))
        b_q, b_k, b_v = ((in_proj_bias[i * embed:(i + 1) * embed] for i in range(3)) if in_proj_bias is not None
                         else (None, None, None))
        q = heads(query, w_q, b_q, target_length)
    for static, what in ((static_k, "static_k"), (static_v, "static_v")):
        if static is not None and (static.ndim != 3 or static.shape[0] != batch * num_heads or static.shape[2] != head_dim):
            raise InputError(f"{name}: expected {what} of shape ({batch * num_heads}, S, {head_dim}) (N*heads, source "
                             f"length, head dim), got {tuple(static.shape)}")
        if static is not None and bias_k is not None:
            raise InputError(f"{name}: bias_k and bias_v cannot be added to a {what}")
    if not packed:
        k = heads(key, w_k, b_k, source_length) if static_k is None else static_k
        v = heads(value, w_v, b_v, source_length) if static_v is None else static_v
    source_length = k.shape[1]
    appended = []  # (k, v) of the extra source positions, (N*h, 1, d) each
    if bias_k is not None:
        appended.append(tuple(bias.reshape(1, num_heads, head_dim).expand(batch, num_heads, head_dim)
                              .reshape(batch * num_heads, 1, head_dim) for bias in (bias_k, bias_v)))
    if add_zero_attn:
        appended.append((zeros(batch * num_heads, 1, head_dim, dtype=q.dtype, device=q.device),) * 2)
    if appended:
        k = concatenate([k] + [extra_k for extra_k, _ in appended], axis=1)
        v = concatenate([v] + [extra_v for _, extra_v in appended], axis=1)
    mask = None
    if attn_mask is not None:
        mask = _scores_mask(attn_mask, True, q)
        if mask.shape not in ((target_length, source_length), (batch * num_heads, target_length, source_length)):
            raise InputError(f"{name}: expected attn_mask of shape {(target_length, source_length)} or "
                             f"{(batch * num_heads, target_length, source_length)}, got {tuple(mask.shape)}")
        if mask.ndim == 2:
            mask = mask.reshape(1, target_length, source_length)
    if key_padding_mask is not None:
        if tuple(key_padding_mask.shape) != (batch, source_length):
            raise InputError(f"{name}: expected key_padding_mask of shape {(batch, source_length)}, "
                             f"got {tuple(key_padding_mask.shape)}")
        padding = _scores_mask(key_padding_mask, True, q, "key_padding_mask").reshape(batch, 1, 1, source_length)
        padding = padding.expand(batch, num_heads, 1, source_length).reshape(batch * num_heads, 1, source_length)
        mask = padding if mask is None else mask + padding
    if mask is not None and appended:  # the appended positions are never blocked
        mask = concatenate([mask, zeros(*mask.shape[:-1], len(appended), dtype=mask.dtype, device=mask.device)], axis=-1)
    weights = attention_weights(q, k, mask, empty_rows_attend_nothing=not need_weights)
    attended = (dropout(weights, dropout_p) if dropout_p else weights) @ v  # (N*h, L, d)
    output = linear(attended.transpose(0, 1).reshape(target_length, batch, embed), out_proj_weight, out_proj_bias)
    if not need_weights:
        return output, None
    weights = weights.reshape(batch, num_heads, target_length, k.shape[1])
    return output, (weights.mean(dim=1) if average_attn_weights else weights)
