"""``MultiheadAttention``, the transformer encoder and decoder layers and stacks, and ``Transformer``
as PyTorch has them (parameter names and layout, initialisation, masks, ``batch_first``,
``norm_first``), so state dicts move between the two. The math is in nn/functional/attention.py.
"""
import copy

from ...errors import InputError
from ... import backend
from ...tensor import Tensor, zeros
from .. import functional as F, init
from ..functional.attention import causal_mask, multi_head_attention
from ..functional.validation import check_float
from ..parameter import Parameter
from .container import ModuleList
from .layers import Dropout, Linear, NonDynamicallyQuantizableLinear
from .module import Module
from .normalization import LayerNorm


class MultiheadAttention(Module):
    """MultiheadAttention(embed_dim, num_heads, dropout=0.0, bias=True, add_bias_kv=False,
    add_zero_attn=False, kdim=None, vdim=None, batch_first=False) as in PyTorch: in_proj_weight (3E, E)
    holding W_q, W_k, W_v (Xavier-uniform), or, when keys or values have other sizes (kdim, vdim),
    q_proj_weight (E, E), k_proj_weight (E, kdim) and v_proj_weight (E, vdim); in_proj_bias (3E,)
    (zeros), out_proj a Linear(E, E) (its bias zeros); with add_bias_kv, bias_k and bias_v (1, 1, E)
    (Xavier-normal), a learned key and value every query may attend to. ``forward(query, key, value,
    key_padding_mask=None, need_weights=True, attn_mask=None, average_attn_weights=True)`` returns
    (output, attention weights or None)."""

    def __init__(self, embed_dim, num_heads, dropout=0.0, bias=True, add_bias_kv=False, add_zero_attn=False, kdim=None,
                 vdim=None, batch_first=False, device=None, dtype=None):
        super().__init__()
        for what, value in (("embed_dim", embed_dim), ("num_heads", num_heads)):
            if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
                raise InputError(f"MultiheadAttention: {what} must be a positive int, got {value!r}")
        if embed_dim % num_heads:
            raise InputError(f"MultiheadAttention: embed_dim ({embed_dim}) must be divisible by num_heads ({num_heads})")
        if not 0 <= dropout < 1:
            raise InputError(f"MultiheadAttention: dropout must be in [0, 1), got {dropout}")
        self.embed_dim, self.num_heads, self.dropout, self.batch_first = embed_dim, num_heads, dropout, batch_first
        self.head_dim = embed_dim // num_heads
        self.kdim = kdim if kdim is not None else embed_dim
        self.vdim = vdim if vdim is not None else embed_dim
        self._qkv_same_embed_dim = self.kdim == embed_dim and self.vdim == embed_dim  # (PyTorch's name)
        if self._qkv_same_embed_dim:
            self.in_proj_weight = Parameter(zeros(3 * embed_dim, embed_dim, dtype=dtype))
            for name in ("q_proj_weight", "k_proj_weight", "v_proj_weight"):
                self.register_parameter(name, None)
        else:  # W_q, W_k, W_v apart, as their input sizes differ
            self.register_parameter("in_proj_weight", None)
            self.q_proj_weight = Parameter(zeros(embed_dim, embed_dim, dtype=dtype))
            self.k_proj_weight = Parameter(zeros(embed_dim, self.kdim, dtype=dtype))
            self.v_proj_weight = Parameter(zeros(embed_dim, self.vdim, dtype=dtype))
        if bias:
            self.in_proj_bias = Parameter(zeros(3 * embed_dim, dtype=dtype))
        else:
            self.register_parameter("in_proj_bias", None)
        self.out_proj = NonDynamicallyQuantizableLinear(embed_dim, embed_dim, bias=bias, dtype=dtype)
        if add_bias_kv:
            self.bias_k = Parameter(zeros(1, 1, embed_dim, dtype=dtype))
            self.bias_v = Parameter(zeros(1, 1, embed_dim, dtype=dtype))
        else:
            self.register_parameter("bias_k", None)
            self.register_parameter("bias_v", None)
        self.add_zero_attn = add_zero_attn
        self.reset_parameters()
        self.to(backend.canonical_device(device))  # (None: the default device)

    def reset_parameters(self):
        for weight in ((self.in_proj_weight,) if self._qkv_same_embed_dim
                       else (self.q_proj_weight, self.k_proj_weight, self.v_proj_weight)):
            init.xavier_uniform_(weight)
        if self.in_proj_bias is not None:
            init.zeros_(self.in_proj_bias)
            init.zeros_(self.out_proj.bias)
        if self.bias_k is not None:
            init.xavier_normal_(self.bias_k)
            init.xavier_normal_(self.bias_v)

    def forward(self, query, key, value, key_padding_mask=None, need_weights=True, attn_mask=None,
                average_attn_weights=True, is_causal=False):
        name = f"MultiheadAttention({self.embed_dim}, {self.num_heads})"
        for what, tensor, size in (("query", query, self.embed_dim), ("key", key, self.kdim), ("value", value, self.vdim)):
            check_float(tensor, name, what)
            if tensor.ndim not in (2, 3) or tensor.shape[-1] != size:
                layout = "(N, L, E)" if self.batch_first else "(L, N, E)"
                raise InputError(f"{name}: expected {what} of shape {layout} or (L, E) with E = {size}, "
                                 f"got {tuple(tensor.shape)}")
        batched = query.ndim == 3
        self_attention = query is key and key is value  # kept one tensor below: its projections are one product
        if key.ndim != query.ndim or value.ndim != query.ndim or key.shape[:-1] != value.shape[:-1]:
            raise InputError(f"{name}: query {tuple(query.shape)}, key {tuple(key.shape)} and value {tuple(value.shape)} do not fit together")
        if not batched:
            query, key, value = query.unsqueeze(1), key.unsqueeze(1), value.unsqueeze(1)
            if key_padding_mask is not None:
                key_padding_mask = key_padding_mask.reshape(1, -1)
        elif self.batch_first:
            query, key, value = query.transpose(0, 1), key.transpose(0, 1), value.transpose(0, 1)
        if self_attention:
            key = value = query
        if is_causal and attn_mask is None:  # blocked: the positions after each query's own
            attn_mask = Tensor(~causal_mask(query.shape[0], key.shape[0], query.device)._array)
        output, weights = multi_head_attention(
            query, key, value, self.num_heads, self.in_proj_weight, self.in_proj_bias, self.out_proj.weight,
            self.out_proj.bias, key_padding_mask, attn_mask, self.dropout if self.training else 0.0, need_weights,
            average_attn_weights, name,
            None if self._qkv_same_embed_dim else (self.q_proj_weight, self.k_proj_weight, self.v_proj_weight),
            self.bias_k, self.bias_v, self.add_zero_attn)
        if not batched:
            output = output.squeeze(1)
            weights = weights.squeeze(0) if weights is not None else None
        elif self.batch_first:
            output = output.transpose(0, 1)
        return output, weights


class _TransformerLayer(Module):
    """The parts of an encoder or decoder layer, under PyTorch's names: self_attn (and, for a decoder,
    multihead_attn, attending to the encoder's output), linear1 -> activation -> dropout -> linear2,
    norm1, norm2 (norm3), and a dropout after each block (dropout1, dropout2, dropout3)."""

    attention_blocks = 1

    def __init__(self, d_model, nhead, dim_feedforward=2048, dropout=0.1, activation="relu", layer_norm_eps=1e-5,
                 batch_first=False, norm_first=False, bias=True, device=None, dtype=None):
        super().__init__()
        attention = dict(dropout=dropout, bias=bias, batch_first=batch_first, dtype=dtype)
        self.self_attn = MultiheadAttention(d_model, nhead, **attention)
        if self.attention_blocks == 2:
            self.multihead_attn = MultiheadAttention(d_model, nhead, **attention)
        self.linear1 = Linear(d_model, dim_feedforward, bias=bias, dtype=dtype)
        self.dropout = Dropout(dropout)
        self.linear2 = Linear(dim_feedforward, d_model, bias=bias, dtype=dtype)
        self.norm_first = norm_first
        for number in range(1, self.attention_blocks + 2):
            setattr(self, f"norm{number}", LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype))
        for number in range(1, self.attention_blocks + 2):
            setattr(self, f"dropout{number}", Dropout(dropout))
        self.activation = _activation(activation, type(self).__name__)
        self.to(backend.canonical_device(device))  # (None: the default device)

    def _feed_forward_block(self, x):
        last_dropout = getattr(self, f"dropout{self.attention_blocks + 1}")
        return last_dropout(self.linear2(self.dropout(self.activation(self.linear1(x)))))

    def _residual_blocks(self, x, blocks):
        """x through (norm, block) pairs: x + block(norm(x)) with norm_first, else norm(x + block(x))."""
        for norm, block in blocks:
            x = x + block(norm(x)) if self.norm_first else norm(x + block(x))
        return x

    @staticmethod
    def _attend(attention, dropout, x, source, attn_mask, key_padding_mask, is_causal):
        attended, _ = attention(x, source, source, key_padding_mask=key_padding_mask, need_weights=False,
                                attn_mask=attn_mask, is_causal=is_causal)
        return dropout(attended)


class TransformerEncoderLayer(_TransformerLayer):
    """TransformerEncoderLayer(d_model, nhead, dim_feedforward=2048, dropout=0.1, activation="relu",
    layer_norm_eps=1e-5, batch_first=False, norm_first=False) as in PyTorch:

        post-norm (default):  x = norm1(x + dropout1(self_attn(x)));  x = norm2(x + dropout2(ff(x)))
        norm_first:           x = x + dropout1(self_attn(norm1(x)));  x = x + dropout2(ff(norm2(x)))
        ff(x) = linear2(dropout(activation(linear1(x))))
    """

    def forward(self, src, src_mask=None, src_key_padding_mask=None, is_causal=False):
        return self._residual_blocks(src, [
            (self.norm1, lambda h: self._attend(self.self_attn, self.dropout1, h, h, src_mask, src_key_padding_mask,
                                                is_causal)),
            (self.norm2, self._feed_forward_block),
        ])


def _activation(activation, name):
    activations = {"relu": F.relu, "gelu": F.gelu}
    if isinstance(activation, str) and activation not in activations:
        raise InputError(f"{name}: activation must be 'relu', 'gelu' or a callable, got {activation!r}")
    return activations[activation] if isinstance(activation, str) else activation


class TransformerDecoderLayer(_TransformerLayer):
    """TransformerDecoderLayer(d_model, nhead, dim_feedforward=2048, dropout=0.1, activation="relu",
    layer_norm_eps=1e-5, batch_first=False, norm_first=False) as in PyTorch: self-attention over the
    target, attention from the target to the encoder's output (``memory``), then the feed-forward
    block, each with its residual connection and layer norm (after it, or before with norm_first)."""

    attention_blocks = 2

    def forward(self, tgt, memory, tgt_mask=None, memory_mask=None, tgt_key_padding_mask=None,
                memory_key_padding_mask=None, tgt_is_causal=False, memory_is_causal=False):
        return self._residual_blocks(tgt, [
            (self.norm1, lambda h: self._attend(self.self_attn, self.dropout1, h, h, tgt_mask, tgt_key_padding_mask,
                                                tgt_is_causal)),
            (self.norm2, lambda h: self._attend(self.multihead_attn, self.dropout2, h, memory, memory_mask,
                                                memory_key_padding_mask, memory_is_causal)),
            (self.norm3, self._feed_forward_block),
        ])


class TransformerEncoder(Module):
    """``num_layers`` copies of ``encoder_layer`` (each with its own weights, as PyTorch deep-copies
    it), then the optional final ``norm``."""

    def __init__(self, encoder_layer, num_layers, norm=None, enable_nested_tensor=True, mask_check=True):
        super().__init__()
        self.layers = _copies(encoder_layer, num_layers, "TransformerEncoder")
        self.num_layers = num_layers
        self.norm = norm

    def forward(self, src, mask=None, src_key_padding_mask=None, is_causal=False):
        x = src
        for layer in self.layers:
            x = layer(x, src_mask=mask, src_key_padding_mask=src_key_padding_mask, is_causal=is_causal)
        return self.norm(x) if self.norm is not None else x


class TransformerDecoder(Module):
    """``num_layers`` copies of ``decoder_layer``, then the optional final ``norm``."""

    def __init__(self, decoder_layer, num_layers, norm=None):
        super().__init__()
        self.layers = _copies(decoder_layer, num_layers, "TransformerDecoder")
        self.num_layers = num_layers
        self.norm = norm

    def forward(self, tgt, memory, tgt_mask=None, memory_mask=None, tgt_key_padding_mask=None,
                memory_key_padding_mask=None, tgt_is_causal=False, memory_is_causal=False):
        x = tgt
        for layer in self.layers:
            x = layer(x, memory, tgt_mask, memory_mask, tgt_key_padding_mask, memory_key_padding_mask, tgt_is_causal,
                      memory_is_causal)
        return self.norm(x) if self.norm is not None else x


class Transformer(Module):
    """Transformer(d_model=512, nhead=8, num_encoder_layers=6, num_decoder_layers=6, dim_feedforward=2048,
    dropout=0.1, activation="relu", layer_norm_eps=1e-5, batch_first=False, norm_first=False) as in
    PyTorch: an encoder stack and a decoder stack, each ending in a LayerNorm; every matrix is
    re-initialised Xavier-uniform, as PyTorch does. ``forward(src, tgt, ...)`` -> decoder output."""

    def __init__(self, d_model=512, nhead=8, num_encoder_layers=6, num_decoder_layers=6, dim_feedforward=2048,
                 dropout=0.1, activation="relu", custom_encoder=None, custom_decoder=None, layer_norm_eps=1e-5,
                 batch_first=False, norm_first=False, bias=True, device=None, dtype=None):
        super().__init__()
        options = dict(dim_feedforward=dim_feedforward, dropout=dropout, activation=activation,
                       layer_norm_eps=layer_norm_eps, batch_first=batch_first, norm_first=norm_first, bias=bias,
                       dtype=dtype)
        self.encoder = custom_encoder if custom_encoder is not None else TransformerEncoder(
            TransformerEncoderLayer(d_model, nhead, **options), num_encoder_layers,
            LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype))
        self.decoder = custom_decoder if custom_decoder is not None else TransformerDecoder(
            TransformerDecoderLayer(d_model, nhead, **options), num_decoder_layers,
            LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype))
        self.d_model, self.nhead, self.batch_first = d_model, nhead, batch_first
        for param in self.parameters():
            if param.ndim > 1:
                init.xavier_uniform_(param)
        self.to(backend.canonical_device(device))  # (None: the default device)

    def forward(self, src, tgt, src_mask=None, tgt_mask=None, memory_mask=None, src_key_padding_mask=None,
                tgt_key_padding_mask=None, memory_key_padding_mask=None, src_is_causal=False, tgt_is_causal=False,
                memory_is_causal=False):
        memory = self.encoder(src, mask=src_mask, src_key_padding_mask=src_key_padding_mask, is_causal=src_is_causal)
        return self.decoder(tgt, memory, tgt_mask, memory_mask, tgt_key_padding_mask, memory_key_padding_mask,
                            tgt_is_causal, memory_is_causal)

    @staticmethod
    def generate_square_subsequent_mask(size, device=None, dtype=None):
        """(size, size) float mask: 0 where position i may attend to j (j <= i), -inf above the diagonal."""
        allowed = causal_mask(size, size, device)._array
        xp = backend.get_array_module(allowed)
        return Tensor(xp.where(allowed, 0.0, -xp.inf).astype(dtype or "float32"))


def _copies(layer, num_layers, name):
    if not isinstance(num_layers, int) or num_layers <= 0:
        raise InputError(f"{name}: num_layers must be a positive int, got {num_layers!r}")
    return ModuleList([copy.deepcopy(layer) for _ in range(num_layers)])
