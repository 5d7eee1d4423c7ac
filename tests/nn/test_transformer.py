"""Attention and transformer layers: scaled_dot_product_attention, MultiheadAttention (masks,
batch_first, unbatched, per-head weights), the encoder and decoder layers and stacks and Transformer
(post-norm and norm_first, gelu, causal masks) compared with PyTorch on identical weights (outputs,
attention weights, every gradient), gradchecked in float64, dropout only in training, a small task
learned, clear errors."""
import numpy as np
import pytest

import tinynn
from tinynn import nn
from tinynn.autograd import gradcheck
from tinynn.nn import functional as F
from helpers import assert_close, leaf, to_torch


def copy_weights(torch, ours, theirs):
    assert list(ours.state_dict()) == list(theirs.state_dict())
    theirs.load_state_dict({k: torch.tensor(v.numpy()) for k, v in ours.state_dict().items()})


@pytest.mark.parametrize("case", ["plain", "bool_mask", "float_mask", "causal", "scale"])
def test_scaled_dot_product_attention_matches_torch(torch, rng, device, case):
    q, k, v = (leaf(rng.standard_normal(shape), device=device) for shape in ((2, 3, 5, 4), (2, 3, 6, 4), (2, 3, 6, 7)))
    options, torch_options = {}, {}
    if case == "bool_mask":
        allowed = rng.random((5, 6)) > 0.3
        allowed[:, 0] = True  # every query may attend somewhere
        options["attn_mask"], torch_options["attn_mask"] = tinynn.tensor(allowed, device=device), torch.tensor(allowed)
    elif case == "float_mask":
        bias = rng.standard_normal((1, 3, 5, 6))
        options["attn_mask"], torch_options["attn_mask"] = tinynn.tensor(bias, device=device), torch.tensor(bias)
    elif case == "causal":
        options["is_causal"] = torch_options["is_causal"] = True
        q, k, v = (leaf(rng.standard_normal((2, 3, 5, 4)), device=device) for _ in range(3))
    elif case == "scale":
        options["scale"] = torch_options["scale"] = 0.3
    assert gradcheck(lambda q, k, v: F.scaled_dot_product_attention(q, k, v, **options), [q, k, v])
    tq, tk, tv = (to_torch(torch, t, True) for t in (q, k, v))
    ours = F.scaled_dot_product_attention(q, k, v, **options)
    theirs = torch.nn.functional.scaled_dot_product_attention(tq, tk, tv, **torch_options)
    assert_close(ours, theirs, rtol=1e-10, atol=1e-12)


MHA_CASES = [
    dict(), dict(batch_first=True), dict(bias=False), dict(key_padding_mask=True), dict(attn_mask="bool"),
    dict(attn_mask="float"), dict(attn_mask="per_head"), dict(average_attn_weights=False), dict(unbatched=True),
    dict(is_causal=True), dict(add_bias_kv=True), dict(add_zero_attn=True, average_attn_weights=False),
    dict(add_bias_kv=True, add_zero_attn=True, key_padding_mask=True, attn_mask="bool"),
    dict(add_bias_kv=True, attn_mask="per_head", batch_first=True),
]


@pytest.mark.parametrize("case", MHA_CASES, ids=str)
def test_multihead_attention_matches_torch(torch, rng, device, case):
    case = dict(case)
    layer_options = {key: case.pop(key) for key in ("batch_first", "bias", "add_bias_kv", "add_zero_attn") if key in case}
    ours, theirs = nn.MultiheadAttention(8, 2, **layer_options), torch.nn.MultiheadAttention(8, 2, **layer_options)
    copy_weights(torch, ours, theirs)
    ours.to(device)
    unbatched = case.pop("unbatched", False)
    length = 5
    source_length = length if case.get("is_causal") else 4

    def shaped(positions):  # (positions, N, E), batch_first (N, positions, E), or unbatched (positions, E)
        return (positions, 8) if unbatched else (3, positions, 8) if layer_options.get("batch_first") else (positions, 3, 8)

    query = leaf(rng.standard_normal(shaped(length)), dtype=np.float32, device=device)
    key = leaf(rng.standard_normal(shaped(source_length)), dtype=np.float32, device=device)
    value = leaf(rng.standard_normal(shaped(source_length)), dtype=np.float32, device=device)
    kwargs, torch_kwargs = {}, {}
    if case.pop("key_padding_mask", False):
        padding = np.zeros((3, source_length), bool)
        padding[0, -1] = padding[2, 0] = True
        kwargs["key_padding_mask"], torch_kwargs["key_padding_mask"] = tinynn.tensor(padding, device=device), torch.tensor(padding)
    mask_kind = case.pop("attn_mask", None)
    if mask_kind:
        shape = (6, length, source_length) if mask_kind == "per_head" else (length, source_length)
        mask = rng.random(shape) > 0.7 if mask_kind != "float" else rng.standard_normal(shape).astype(np.float32)
        if mask_kind != "float":
            mask[..., 0] = False  # never every key blocked
        kwargs["attn_mask"], torch_kwargs["attn_mask"] = tinynn.tensor(mask, device=device), torch.tensor(mask)
    if case.pop("is_causal", False):
        causal = ~np.tril(np.ones((length, length), bool))
        kwargs["is_causal"] = True
        torch_kwargs["attn_mask"] = torch.tensor(causal)
    kwargs.update(case)
    torch_kwargs.update(case)
    tq, tk, tv = (to_torch(torch, t, True) for t in (query, key, value))
    output, weights = ours(query, key, value, **kwargs)
    t_output, t_weights = theirs(tq, tk, tv, **torch_kwargs)
    assert_close(output, t_output, rtol=1e-5, atol=1e-5, what="output")
    assert_close(weights, t_weights, rtol=1e-5, atol=1e-6, what="weights")
    grad = rng.standard_normal(output.shape).astype(np.float32)
    (output * tinynn.tensor(grad, device=device)).sum().backward()
    (t_output * torch.tensor(grad)).sum().backward()
    for ours_t, theirs_t, what in ((query, tq, "query"), (key, tk, "key"), (value, tv, "value")):
        assert_close(ours_t.grad, theirs_t.grad, rtol=1e-4, atol=1e-5, what=f"{what} grad")
    for (name, param), torch_param in zip(ours.named_parameters(), theirs.parameters()):
        assert_close(param.grad, torch_param.grad, rtol=1e-4, atol=1e-5, what=f"{name} grad")


def test_multihead_attention_with_other_key_and_value_sizes_matches_torch(torch, rng, device):
    ours, theirs = nn.MultiheadAttention(8, 2, kdim=5, vdim=3), torch.nn.MultiheadAttention(8, 2, kdim=5, vdim=3)
    copy_weights(torch, ours, theirs)
    ours.to(device)
    query = leaf(rng.standard_normal((4, 2, 8)), dtype=np.float32, device=device)
    key = leaf(rng.standard_normal((6, 2, 5)), dtype=np.float32, device=device)
    value = leaf(rng.standard_normal((6, 2, 3)), dtype=np.float32, device=device)
    tensors = [to_torch(torch, t, True) for t in (query, key, value)]
    output, weights = ours(query, key, value)
    t_output, t_weights = theirs(*tensors)
    assert_close(output, t_output, rtol=1e-5, atol=1e-5)
    assert_close(weights, t_weights, rtol=1e-5, atol=1e-6)
    output.sum().backward()
    t_output.sum().backward()
    for ours_t, theirs_t in zip((query, key, value), tensors):
        assert_close(ours_t.grad, theirs_t.grad, rtol=1e-4, atol=1e-5)
    for (name, param), torch_param in zip(ours.named_parameters(), theirs.parameters()):
        assert_close(param.grad, torch_param.grad, rtol=1e-4, atol=1e-5, what=f"{name} grad")
    with pytest.raises(ValueError, match=r"expected key of shape \(L, N, E\) or \(L, E\) with E = 5"):
        ours(query, value, value)
    for layer in (ours, theirs, nn.MultiheadAttention(8, 2), torch.nn.MultiheadAttention(8, 2)):
        separate = layer.kdim != layer.embed_dim  # the weights PyTorch's has, or None, by name
        assert layer._qkv_same_embed_dim is not separate and (layer.in_proj_weight is None) is separate
        assert all((getattr(layer, name) is None) is not separate for name in ("q_proj_weight", "k_proj_weight"))


@pytest.mark.parametrize("layout", ["(L, N, E)", "batch_first", "unbatched"])
def test_self_attention_projects_once_and_matches_torch(torch, rng, monkeypatch, device, layout):
    """One tensor as query, key and value: Q, K and V come from one product with in_proj_weight
    (PyTorch's packed path too); outputs and every gradient as PyTorch's, and finite differences."""
    from tinynn.nn.functional import attention

    ours = nn.MultiheadAttention(8, 2, batch_first=layout == "batch_first")
    theirs = torch.nn.MultiheadAttention(8, 2, batch_first=layout == "batch_first")
    copy_weights(torch, ours, theirs)
    ours.to(device)
    shape = {"(L, N, E)": (5, 3, 8), "batch_first": (3, 5, 8), "unbatched": (5, 8)}[layout]
    x = leaf(rng.standard_normal(shape), dtype=np.float32, device=device)
    tx = to_torch(torch, x, True)
    products = []
    real_linear = attention.linear
    monkeypatch.setattr(attention, "linear", lambda input, weight, *rest, **options: products.append(weight.shape[0])
                        or real_linear(input, weight, *rest, **options))
    output, weights = ours(x, x, x)
    assert products == [24, 8]  # Q, K, V together, then the output projection
    t_output, t_weights = theirs(tx, tx, tx)
    assert_close(output, t_output, rtol=1e-5, atol=1e-5, what="output")
    assert_close(weights, t_weights, rtol=1e-5, atol=1e-6, what="weights")
    grad = rng.standard_normal(output.shape).astype(np.float32)
    (output * tinynn.tensor(grad, device=device)).sum().backward()
    (t_output * torch.tensor(grad)).sum().backward()
    assert_close(x.grad, tx.grad, rtol=1e-4, atol=1e-5, what="input grad")
    for (name, param), torch_param in zip(ours.named_parameters(), theirs.parameters()):
        assert_close(param.grad, torch_param.grad, rtol=1e-4, atol=1e-5, what=f"{name} grad")
    layer = nn.MultiheadAttention(4, 2).double().to(device)
    x64 = leaf(rng.standard_normal((3, 2, 4)), device=device)
    assert gradcheck(lambda x, *_: layer(x, x, x)[0], [x64] + list(layer.parameters()))


def test_multihead_attention_gradcheck(rng, device):
    layer = nn.MultiheadAttention(4, 2).double().to(device)
    query, key = leaf(rng.standard_normal((3, 2, 4)), device=device), leaf(rng.standard_normal((2, 2, 4)), device=device)
    params = list(layer.parameters())
    assert gradcheck(lambda q, k, *_: layer(q, k, k)[0], [query, key] + params)


@pytest.mark.parametrize("options", [dict(), dict(norm_first=True), dict(activation="gelu", batch_first=True)], ids=str)
def test_transformer_encoder_matches_torch(torch, rng, device, options):
    layer = nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, **options)
    ours = nn.TransformerEncoder(layer, 2, norm=nn.LayerNorm(8)).eval()
    theirs = torch.nn.TransformerEncoder(torch.nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, **options), 2,
                                         norm=torch.nn.LayerNorm(8), enable_nested_tensor=False).eval()
    copy_weights(torch, ours, theirs)
    ours.to(device)
    shape = (3, 5, 8) if options.get("batch_first") else (5, 3, 8)
    x = leaf(rng.standard_normal(shape), dtype=np.float32, device=device)
    padding = np.zeros((3, 5), bool)
    padding[1, 3:] = True
    tx = to_torch(torch, x, True)
    y = ours(x, src_key_padding_mask=tinynn.tensor(padding, device=device))
    ty = theirs(tx, src_key_padding_mask=torch.tensor(padding))
    assert_close(y, ty, rtol=1e-5, atol=1e-5)
    grad = rng.standard_normal(y.shape).astype(np.float32)
    (y * tinynn.tensor(grad, device=device)).sum().backward()
    (ty * torch.tensor(grad)).sum().backward()
    assert_close(x.grad, tx.grad, rtol=1e-4, atol=1e-4)
    for (name, param), torch_param in zip(ours.named_parameters(), theirs.parameters()):
        assert_close(param.grad, torch_param.grad, rtol=1e-4, atol=1e-4, what=f"{name} grad")
    assert ours.layers[0].linear1.weight is not ours.layers[1].linear1.weight  # deep copies, as PyTorch


@pytest.mark.filterwarnings("ignore:enable_nested_tensor is True")  # PyTorch's note about its fast path
@pytest.mark.parametrize("options", [dict(), dict(norm_first=True, activation="gelu"), dict(batch_first=True)], ids=str)
def test_transformer_matches_torch(torch, rng, device, options):
    ours = nn.Transformer(8, 2, num_encoder_layers=2, num_decoder_layers=2, dim_feedforward=16, **options).eval()
    theirs = torch.nn.Transformer(8, 2, num_encoder_layers=2, num_decoder_layers=2, dim_feedforward=16,
                                  **options).eval()
    copy_weights(torch, ours, theirs)
    ours.to(device)
    batch_first = options.get("batch_first", False)
    src = leaf(rng.standard_normal((3, 6, 8) if batch_first else (6, 3, 8)), dtype=np.float32, device=device)
    tgt = leaf(rng.standard_normal((3, 4, 8) if batch_first else (4, 3, 8)), dtype=np.float32, device=device)
    padding = np.zeros((3, 6), bool)
    padding[2, 4:] = True
    mask = nn.Transformer.generate_square_subsequent_mask(4, device=device)
    t_mask = torch.nn.Transformer.generate_square_subsequent_mask(4)
    np.testing.assert_array_equal(mask.numpy(), t_mask.numpy())
    t_src, t_tgt = to_torch(torch, src, True), to_torch(torch, tgt, True)
    y = ours(src, tgt, tgt_mask=mask, src_key_padding_mask=tinynn.tensor(padding, device=device),
             memory_key_padding_mask=tinynn.tensor(padding, device=device))
    ty = theirs(t_src, t_tgt, tgt_mask=t_mask, src_key_padding_mask=torch.tensor(padding),
                memory_key_padding_mask=torch.tensor(padding))
    assert_close(y, ty, rtol=1e-5, atol=1e-5)
    grad = rng.standard_normal(y.shape).astype(np.float32)
    (y * tinynn.tensor(grad, device=device)).sum().backward()
    (ty * torch.tensor(grad)).sum().backward()
    assert_close(src.grad, t_src.grad, rtol=1e-4, atol=1e-4, what="src grad")
    assert_close(tgt.grad, t_tgt.grad, rtol=1e-4, atol=1e-4, what="tgt grad")
    for (name, param), torch_param in zip(ours.named_parameters(), theirs.parameters()):
        assert_close(param.grad, torch_param.grad, rtol=1e-4, atol=1e-4, what=f"{name} grad")


def test_transformer_initialises_every_matrix_xavier_uniform():
    model = nn.Transformer(16, 2, 1, 1, 32)
    for name, param in model.named_parameters():
        if param.ndim > 1:
            bound = np.sqrt(6 / sum(param.shape))
            assert np.abs(param.numpy()).max() <= bound, name
            assert np.abs(param.numpy()).max() > 0.9 * bound, name  # the whole range is used


def test_dropout_acts_in_training_only(rng):
    layer = nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, dropout=0.5)
    x = tinynn.tensor(rng.standard_normal((4, 2, 8)).astype(np.float32))
    layer.eval()
    np.testing.assert_array_equal(layer(x).numpy(), layer(x).numpy())
    layer.train()
    assert not np.allclose(layer(x).numpy(), layer.eval()(x).numpy())


def test_a_transformer_learns_which_token_came_first(rng):
    """The label is whether token 1 appears before token 2 in a sequence that holds each once:
    it needs attention across positions (and a positional signal, given here as an embedding)."""
    tinynn.manual_seed(0)
    length, width = 6, 16
    tokens, positions = nn.Embedding(4, width), nn.Embedding(length, width)
    encoder = nn.TransformerEncoder(nn.TransformerEncoderLayer(width, 2, 32, dropout=0.0, batch_first=True), 1)
    head = nn.Linear(width, 2)
    params = [p for m in (tokens, positions, encoder, head) for p in m.parameters()]
    optimizer = tinynn.optim.Adam(params, lr=0.01)

    def batch(size):
        sequences = rng.integers(0, 1, (size, length)) + np.where(rng.random((size, length)) < 0.5, 0, 3)
        order = np.argsort(rng.random((size, length)), axis=1)
        sequences[np.arange(size), order[:, 0]], sequences[np.arange(size), order[:, 1]] = 1, 2
        return sequences, (order[:, 0] < order[:, 1]).astype(np.int64)

    def logits(sequences):
        x = tokens(tinynn.tensor(sequences)) + positions(tinynn.tensor(np.arange(length)))
        return head(encoder(x).mean(dim=1))

    for _ in range(150):
        sequences, labels = batch(64)
        optimizer.zero_grad()
        F.cross_entropy(logits(sequences), tinynn.tensor(labels)).backward()
        optimizer.step()
    sequences, labels = batch(500)
    with tinynn.no_grad():
        accuracy = (logits(sequences).numpy().argmax(1) == labels).mean()
    assert accuracy > 0.9, accuracy


def test_errors_are_clear():
    with pytest.raises(ValueError, match=r"embed_dim \(10\) must be divisible by num_heads \(3\)"):
        nn.MultiheadAttention(10, 3)
    layer = nn.MultiheadAttention(8, 2)
    x = tinynn.zeros(5, 3, 8)
    with pytest.raises(ValueError, match=r"expected query of shape \(L, N, E\) or \(L, E\) with E = 8, got \(5, 3, 7\)"):
        layer(tinynn.zeros(5, 3, 7), x, x)
    with pytest.raises(ValueError, match=r"expected attn_mask of shape \(5, 5\) or \(6, 5, 5\), got \(4, 5\)"):
        layer(x, x, x, attn_mask=tinynn.zeros(4, 5))
    with pytest.raises(ValueError, match=r"expected key_padding_mask of shape \(3, 5\), got \(5, 3\)"):
        layer(x, x, x, key_padding_mask=tinynn.tensor(np.zeros((5, 3), bool)))
    with pytest.raises(ValueError, match="activation must be 'relu', 'gelu' or a callable, got 'tanh'"):
        nn.TransformerEncoderLayer(8, 2, activation="tanh")


@pytest.mark.parametrize("case", ["packed", "separate", "static", "unbatched", "bias_kv", "masks"])
def test_functional_multi_head_attention_forward_matches_torch(torch, rng, case):
    E, heads, L, S, N = 6, 2, 3, 4, 2
    d = E // heads
    arrays = {"q": rng.standard_normal((L, N, E)), "k": rng.standard_normal((S, N, E)), "v": rng.standard_normal((S, N, E)),
              "in_w": rng.standard_normal((3 * E, E)), "in_b": rng.standard_normal(3 * E),
              "out_w": rng.standard_normal((E, E)), "out_b": rng.standard_normal(E),
              "qw": rng.standard_normal((E, E)), "kw": rng.standard_normal((E, E)), "vw": rng.standard_normal((E, E)),
              "bk": rng.standard_normal((1, 1, E)), "bv": rng.standard_normal((1, 1, E)),
              "sk": rng.standard_normal((N * heads, 5, d)), "sv": rng.standard_normal((N * heads, 5, d))}
    if case == "unbatched":
        for key in ("q", "k", "v"):
            arrays[key] = arrays[key][:, 0]

    def run(library):
        t = {key: library.tensor(value, requires_grad=True) for key, value in arrays.items()}
        options = dict(training=False, need_weights=True)
        if case == "separate":
            options.update(use_separate_proj_weight=True, q_proj_weight=t["qw"], k_proj_weight=t["kw"],
                           v_proj_weight=t["vw"])
        if case == "static":
            options.update(static_k=t["sk"], static_v=t["sv"], average_attn_weights=False)
        if case == "masks":
            causal = np.triu(np.ones((L, S), dtype=bool), 1)
            padding = np.zeros((N, S), dtype=bool)
            padding[1, -1] = True
            options.update(attn_mask=library.tensor(causal), key_padding_mask=library.tensor(padding), is_causal=True)
        bias = (t["bk"], t["bv"]) if case == "bias_kv" else (None, None)
        output, weights = library.nn.functional.multi_head_attention_forward(
            t["q"], t["k"], t["v"], E, heads, t["in_w"], t["in_b"], *bias, case == "bias_kv", 0.5, t["out_w"], t["out_b"],
            **options)
        (output.sum() + (weights * weights).sum()).backward()
        return output, weights, t

    (ours, our_weights, our_inputs), (theirs, their_weights, their_inputs) = run(tinynn), run(torch)
    assert_close(ours, theirs.detach(), rtol=1e-9, atol=1e-10, what="output")
    assert_close(our_weights, their_weights.detach(), rtol=1e-9, atol=1e-10, what="weights")
    for key, tensor in our_inputs.items():
        if their_inputs[key].grad is not None:
            assert_close(tensor.grad, their_inputs[key].grad, rtol=1e-8, atol=1e-9, what=f"d/d{key}")


def test_functional_multi_head_attention_forward_names_its_misuse():
    q = tinynn.ones(3, 2, 4)
    weights = (tinynn.ones(12, 4), tinynn.zeros(12), None, None, False, 0.0, tinynn.ones(4, 4), tinynn.zeros(4))
    with pytest.raises(ValueError, match="expected query of embed dim 6"):
        F.multi_head_attention_forward(q, q, q, 6, 2, *weights)
    with pytest.raises(ValueError, match="is_causal is a hint that attn_mask is the causal mask; give attn_mask too"):
        F.multi_head_attention_forward(q, q, q, 4, 2, *weights, is_causal=True)
    with pytest.raises(ValueError, match=r"expected static_k of shape \(4, S, 2\)"):
        F.multi_head_attention_forward(q, q, q, 4, 2, *weights, static_k=tinynn.ones(2, 3, 2))


def test_conv_tbc_and_native_channel_shuffle_match_torch(torch, rng):
    x, w, b = rng.standard_normal((7, 2, 3)), rng.standard_normal((3, 3, 4)), rng.standard_normal(4)
    for pad in (0, 2):
        ours = [tinynn.tensor(a, requires_grad=True) for a in (x, w, b)]
        theirs = [torch.tensor(a, requires_grad=True) for a in (x, w, b)]
        y, ty = F.conv_tbc(*ours, pad), torch.conv_tbc(*theirs, pad)
        assert_close(y, ty.detach(), rtol=1e-10, atol=1e-12, what="conv_tbc")
        (y * y).sum().backward()
        (ty * ty).sum().backward()
        for mine, its in zip(ours, theirs):
            assert_close(mine.grad, its.grad, rtol=1e-9, atol=1e-10, what="conv_tbc gradient")
    with pytest.raises(ValueError, match=r"conv_tbc: expected bias of shape \(4,\), got None"):
        F.conv_tbc(tinynn.tensor(x), tinynn.tensor(w), None)
    values = rng.standard_normal((2, 6, 3, 3))
    assert_close(F.native_channel_shuffle(tinynn.tensor(values), 3),
                 torch.nn.functional.native_channel_shuffle(torch.tensor(values), 3), rtol=0, atol=0)


@pytest.mark.parametrize("mask_kind", ["bool", "float"])
def test_a_query_with_nothing_to_attend_to_gets_zeros_as_in_pytorch(torch, rng, device, mask_kind):
    """A mask row that blocks every key (softmax of all -inf: NaN) gives output 0 and gradients 0,
    as PyTorch's scaled_dot_product_attention ("safe softmax"), so the NaN reaches nothing else."""
    q, k, v = (leaf(rng.standard_normal(shape), device=device) for shape in ((2, 5, 4), (2, 6, 4), (2, 6, 3)))
    allowed = rng.random((5, 6)) > 0.3
    allowed[:, 0], allowed[2] = True, False
    mask = allowed if mask_kind == "bool" else np.where(allowed, 0.0, -np.inf)
    ours = F.scaled_dot_product_attention(q, k, v, attn_mask=tinynn.tensor(mask, device=device))
    tq, tk, tv = (to_torch(torch, t, True) for t in (q, k, v))
    theirs = torch.nn.functional.scaled_dot_product_attention(tq, tk, tv, attn_mask=torch.tensor(mask))
    assert_close(ours, theirs, rtol=1e-10, atol=1e-12)
    assert not ours.numpy()[:, 2].any()
    grad = rng.standard_normal(ours.shape)
    ours.backward(tinynn.tensor(grad, device=device))
    theirs.backward(torch.tensor(grad))
    for mine, torchs in ((q, tq), (k, tk), (v, tv)):
        assert np.isfinite(mine.grad.numpy()).all()
        assert_close(mine.grad, torchs.grad, rtol=1e-10, atol=1e-12)


def test_a_sequence_that_is_all_padding_trains_as_in_pytorch(torch, rng, device):
    """An all-padding sequence in the batch: every query of it has nothing to attend to. PyTorch's
    layers (attention without the weights returned) give those positions finite outputs and the
    parameters finite gradients; so do tinynn's. Returning the weights, PyTorch's multi-head
    attention gives NaN there (its plain softmax), and so does tinynn's."""
    ours = nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, dropout=0.0, batch_first=True)
    theirs = torch.nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, dropout=0.0, batch_first=True)
    copy_weights(torch, ours, theirs)
    ours.to(device)
    x = leaf(rng.standard_normal((3, 5, 8)), dtype=np.float32, device=device)
    padding = np.zeros((3, 5), bool)
    padding[1] = True
    padding[2, 3:] = True
    tx = to_torch(torch, x, True)
    y = ours(x, src_key_padding_mask=tinynn.tensor(padding, device=device))
    ty = theirs(tx, src_key_padding_mask=torch.tensor(padding))
    assert np.isfinite(y.numpy()).all()
    assert_close(y, ty, rtol=1e-5, atol=1e-5)
    y.sum().backward()
    ty.sum().backward()
    assert_close(x.grad, tx.grad, rtol=1e-4, atol=1e-4)
    for (name, param), torch_param in zip(ours.named_parameters(), theirs.parameters()):
        assert np.isfinite(param.grad.numpy()).all(), name
        assert_close(param.grad, torch_param.grad, rtol=1e-4, atol=1e-4, what=f"{name} grad")
    output, weights = ours.self_attn(x, x, x, key_padding_mask=tinynn.tensor(padding, device=device))
    t_output, t_weights = theirs.self_attn(tx, tx, tx, key_padding_mask=torch.tensor(padding))
    assert np.isnan(weights.numpy()[1]).all() and np.isnan(t_weights.detach().numpy()[1]).all()
    assert_close(output, t_output, rtol=1e-5, atol=1e-5)  # NaN where PyTorch's is NaN
