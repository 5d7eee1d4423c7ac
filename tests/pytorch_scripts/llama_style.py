"""A script as written for PyTorch (run with argument "torch"), run with ``import tinynn as torch`` (argument
"tinynn") by tests/test_pytorch_scripts.py: the same lines, only the imports chosen by the argument. A small
decoder-only language model as today's code writes it: RMSNorm, rotary position embeddings by complex
multiplication (polar, view_as_complex, view_as_real), grouped-query attention through
scaled_dot_product_attention(is_causal=True, enable_gqa=True), a SwiGLU feed-forward, tied embeddings, a
non-persistent buffer, AdamW with and without weight decay by parameter group and a warm-up cosine
schedule by LambdaLR, then greedy generation with a key-value cache that must agree with the full pass."""
import math
import sys

import numpy as np

if sys.argv[1] == "tinynn":
    import tinynn as torch
    import tinynn.nn as nn
    import tinynn.nn.functional as F
else:
    import torch
    import torch.nn as nn
    import torch.nn.functional as F

torch.set_default_dtype(torch.float64)
VOCABULARY, WIDTH, HEADS, KV_HEADS, LAYERS, CONTEXT = 32, 16, 4, 2, 2, 24


def rotary_table(head_width, length, base=10000.0):
    frequencies = 1.0 / (base ** (torch.arange(0, head_width, 2).double() / head_width))
    angles = torch.outer(torch.arange(length).double(), frequencies)
    return torch.polar(torch.ones_like(angles), angles)  # e^(i angle)


def rotate(x, table):
    """x (batch, heads, length, head_width) turned by the table's rows for its positions."""
    pairs = torch.view_as_complex(x.reshape(*x.shape[:-1], -1, 2).contiguous())
    return torch.view_as_real(pairs * table).flatten(-2)


class Attention(nn.Module):
    def __init__(self):
        super().__init__()
        self.head_width = WIDTH // HEADS
        self.query = nn.Linear(WIDTH, WIDTH, bias=False)
        self.key_value = nn.Linear(WIDTH, 2 * KV_HEADS * self.head_width, bias=False)
        self.out = nn.Linear(WIDTH, WIDTH, bias=False)

    def forward(self, x, table, cache=None):
        batch, length, _ = x.shape
        q = self.query(x).view(batch, length, HEADS, self.head_width).transpose(1, 2)
        k, v = self.key_value(x).view(batch, length, 2, KV_HEADS, self.head_width).permute(2, 0, 3, 1, 4)
        q, k = rotate(q, table), rotate(k, table)
        if cache is not None:
            if "k" in cache:
                k, v = torch.cat([cache["k"], k], dim=2), torch.cat([cache["v"], v], dim=2)
            cache["k"], cache["v"] = k, v
        out = F.scaled_dot_product_attention(q, k, v, is_causal=cache is None or length > 1, enable_gqa=True)
        return self.out(out.transpose(1, 2).reshape(batch, length, WIDTH))


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.attention_norm, self.mlp_norm = nn.RMSNorm(WIDTH, eps=1e-6), nn.RMSNorm(WIDTH, eps=1e-6)
        self.attention = Attention()
        self.gate, self.up, self.down = (nn.Linear(WIDTH, 2 * WIDTH, bias=False), nn.Linear(WIDTH, 2 * WIDTH, bias=False),
                                         nn.Linear(2 * WIDTH, WIDTH, bias=False))

    def forward(self, x, table, cache=None):
        x = x + self.attention(self.attention_norm(x), table, cache)
        hidden = self.mlp_norm(x)
        return x + self.down(F.silu(self.gate(hidden)) * self.up(hidden))


class Model(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(VOCABULARY, WIDTH)
        self.blocks = nn.ModuleList([Block() for _ in range(LAYERS)])
        self.norm = nn.RMSNorm(WIDTH, eps=1e-6)
        self.head = nn.Linear(WIDTH, VOCABULARY, bias=False)
        self.head.weight = self.embed.weight  # tied
        self.register_buffer("table", rotary_table(WIDTH // HEADS, CONTEXT), persistent=False)

    def forward(self, tokens, start=0, caches=None):
        x = self.embed(tokens)
        table = self.table[start:start + tokens.shape[1]]
        for index, block in enumerate(self.blocks):
            x = block(x, table, None if caches is None else caches[index])
        return self.head(self.norm(x))


model = Model()
with torch.no_grad():
    for name, parameter in model.named_parameters():
        parameter.copy_(torch.linspace(-0.2, 0.2, parameter.numel()).reshape(parameter.shape)
                        * (1.0 if "norm" not in name else -1.0) + (1.0 if "norm" in name else 0.0))
print("parameters", sum(p.numel() for p in model.parameters()), "state keys", len(model.state_dict()),
      "buffer in state", "table" in model.state_dict())
decay = [p for n, p in model.named_parameters() if p.ndim >= 2]
no_decay = [p for n, p in model.named_parameters() if p.ndim < 2]
optimizer = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1}, {"params": no_decay, "weight_decay": 0.0}],
                              lr=3e-3, betas=(0.9, 0.95))
warmup, total = 2, 6
schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: (step + 1) / warmup if step < warmup else
                                             0.5 * (1 + math.cos(math.pi * (step - warmup) / (total - warmup))))
data = torch.from_numpy(np.random.default_rng(3).integers(0, VOCABULARY, (4, 13)))
for step in range(total):
    logits = model(data[:, :-1])
    loss = F.cross_entropy(logits.reshape(-1, VOCABULARY), data[:, 1:].reshape(-1))
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    norm = torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    optimizer.step()
    schedule.step()
    print(f"step {step}: loss {loss.item():.9f} grad norm {norm.item():.6f} lr {schedule.get_last_lr()[0]:.6f}")

model.eval()
with torch.inference_mode():
    prompt = data[:2, :5]
    caches = [{} for _ in range(LAYERS)]
    logits = model(prompt, 0, caches)
    tokens = prompt
    for position in range(prompt.shape[1], prompt.shape[1] + 6):
        next_token = logits[:, -1].argmax(-1, keepdim=True)
        tokens = torch.cat([tokens, next_token], dim=1)
        logits = model(next_token, position, caches)
    full = model(tokens[:, :-1]).argmax(-1)[:, prompt.shape[1] - 1:]
print("generated", tokens[:, 5:].tolist(), "cache agrees with the full pass", full.tolist() == tokens[:, 5:].tolist())
