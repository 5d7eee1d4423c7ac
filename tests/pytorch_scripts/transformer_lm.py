"""A script as written for PyTorch (run with argument "torch"), run with ``import tinynn as torch`` (argument
"tinynn") by tests/test_pytorch_scripts.py: the same lines, only the imports chosen by the argument."""
import sys, math
if sys.argv[1] == "tinynn":
    import tinynn as torch
    import tinynn.nn as nn
    import tinynn.nn.functional as F
    from tinynn.nn.utils.rnn import pad_sequence, pack_padded_sequence, pad_packed_sequence
else:
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
    from torch.nn.utils.rnn import pad_sequence, pack_padded_sequence, pad_packed_sequence
torch.manual_seed(0)
V, D, T = 20, 16, 10
class PositionalEncoding(nn.Module):
    def __init__(self, d, max_len=64):
        super().__init__()
        pe = torch.zeros(max_len, d)
        position = torch.arange(0, max_len, dtype=torch.float).unsqueeze(1)
        div_term = torch.exp(torch.arange(0, d, 2).float() * (-math.log(10000.0) / d))
        pe[:, 0::2] = torch.sin(position * div_term)
        pe[:, 1::2] = torch.cos(position * div_term)
        self.register_buffer("pe", pe.unsqueeze(0))
    def forward(self, x):
        return x + self.pe[:, : x.size(1)]
class LM(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(V, D)
        self.pos = PositionalEncoding(D)
        layer = nn.TransformerEncoderLayer(D, nhead=4, dim_feedforward=32, dropout=0.0, batch_first=True, norm_first=True)
        self.enc = nn.TransformerEncoder(layer, num_layers=2)
        self.head = nn.Linear(D, V, bias=False)
        self.head.weight = self.emb.weight  # tied
    def forward(self, idx):
        t = idx.size(1)
        mask = torch.triu(torch.ones(t, t), diagonal=1).bool()
        h = self.enc(self.pos(self.emb(idx)), mask=mask, is_causal=True)
        return self.head(h)
model = LM()
opt = torch.optim.Adam(model.parameters(), lr=1e-2)
data = torch.randint(0, V, (8, T + 1))
for step in range(5):
    logits = model(data[:, :-1])
    loss = F.cross_entropy(logits.reshape(-1, V), data[:, 1:].reshape(-1))
    opt.zero_grad(); loss.backward(); opt.step()
print("loss", round(loss.item(), 2) > 0, sum(p.numel() for p in model.parameters()), list(model.state_dict().keys())[:3])
@torch.no_grad()
def generate(idx, n):
    for _ in range(n):
        logits = model(idx)[:, -1, :] / 0.8
        v, _ = torch.topk(logits, 5)
        logits[logits < v[:, [-1]]] = -float("inf")
        probs = F.softmax(logits, dim=-1)
        nxt = torch.multinomial(probs, num_samples=1)
        idx = torch.cat((idx, nxt), dim=1)
    return idx
print(generate(data[:2, :3], 4).shape)
seqs = [torch.randint(0, V, (n,)) for n in (5, 3, 4)]
padded = pad_sequence(seqs, batch_first=True, padding_value=0)
lstm = nn.LSTM(D, 8, batch_first=True, bidirectional=True)
packed = pack_padded_sequence(nn.Embedding(V, D)(padded), torch.tensor([5, 3, 4]), batch_first=True, enforce_sorted=False)
out, (h, c) = lstm(packed)
unpacked, lengths = pad_packed_sequence(out, batch_first=True)
print(padded.shape, unpacked.shape, lengths.tolist(), h.shape)
masked = torch.zeros(2, 3).masked_fill(torch.tensor([[True, False, True], [False, False, True]]), float("-inf"))
print(masked.isinf().sum().item(), torch.where(masked == 0, 1.0, 0.0).sum().item())
