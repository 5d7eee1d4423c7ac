"""A script as written for PyTorch (run with argument "torch"), run with ``import tinynn as torch`` (argument
"tinynn") by tests/test_pytorch_scripts.py: the same lines, only the imports chosen by the argument. Three
small programs as their communities write them: a graph network by message passing (index_add_,
scatter_reduce, a sparse normalised adjacency and sparse.mm), a contrastive NT-Xent loss (normalised
embeddings, a similarity matrix with its diagonal masked to -inf, cross_entropy against the positives), and a
GRU encoder-decoder with additive attention, teacher forcing and NLLLoss ignoring padding."""
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
rng = np.random.default_rng(1)


def fill(module):
    """The same weights in both frameworks: a ramp over each parameter."""
    with torch.no_grad():
        for parameter in module.parameters():
            parameter.copy_(torch.linspace(-0.3, 0.3, parameter.numel()).reshape(parameter.shape))
    return module


# ----- a graph network --------------------------------------------------------------------------
nodes = 7
edges = torch.tensor([[0, 1, 1, 2, 3, 4, 5, 6, 6, 2], [1, 0, 2, 1, 4, 3, 6, 5, 2, 6]])
features = torch.from_numpy(rng.standard_normal((nodes, 5)))
labels = torch.tensor([0, 1, 1, 0, 2, 2, 1])


class MessagePassing(nn.Module):
    def __init__(self, size_in, size_out):
        super().__init__()
        self.message, self.update = nn.Linear(size_in, size_out), nn.Linear(size_in + size_out, size_out)

    def forward(self, x, edge_index):
        source, target = edge_index
        messages = self.message(x)[source]
        summed = torch.zeros(x.shape[0], messages.shape[1]).index_add_(0, target, messages)
        counts = torch.zeros(x.shape[0]).index_add_(0, target, torch.ones(target.shape[0])).clamp(min=1)
        largest = torch.full((x.shape[0], messages.shape[1]), -1e9).scatter_reduce(
            0, target.unsqueeze(1).expand_as(messages), messages, reduce="amax", include_self=True)
        return F.relu(self.update(torch.cat([x, summed / counts.unsqueeze(1)], dim=1))) + 0.1 * largest.clamp(min=0)


degree = torch.zeros(nodes).index_add_(0, edges[0], torch.ones(edges.shape[1])) + 1
with_loops = torch.cat([edges, torch.arange(nodes).repeat(2, 1)], dim=1)
weights = (degree[with_loops[0]] * degree[with_loops[1]]).rsqrt()
adjacency = torch.sparse_coo_tensor(with_loops, weights, (nodes, nodes)).coalesce()
layer, head = fill(MessagePassing(5, 8)), fill(nn.Linear(8, 3))
optimizer = torch.optim.SGD(list(layer.parameters()) + list(head.parameters()), lr=0.1, momentum=0.9)
for step in range(4):
    hidden = torch.sparse.mm(adjacency, layer(features, edges))
    loss = F.cross_entropy(head(hidden), labels)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    print(f"graph step {step}: loss {loss.item():.9f}")
print("adjacency nnz", adjacency._nnz(), "row sums", [round(v, 6) for v in torch.sparse.sum(adjacency, 1).to_dense().tolist()])

# ----- contrastive NT-Xent --------------------------------------------------------------------
encoder = fill(nn.Sequential(nn.Linear(6, 16), nn.ReLU(), nn.Linear(16, 8)))
views = torch.from_numpy(rng.standard_normal((2, 5, 6)))


def nt_xent(z1, z2, temperature=0.5):
    z = F.normalize(torch.cat([z1, z2], dim=0), dim=1)
    similarity = z @ z.T / temperature
    similarity = similarity.masked_fill(torch.eye(z.shape[0], dtype=torch.bool), float("-inf"))
    count = z1.shape[0]
    positives = torch.cat([torch.arange(count, 2 * count), torch.arange(0, count)])
    return F.cross_entropy(similarity, positives)


optimizer = torch.optim.AdamW(encoder.parameters(), lr=0.01, weight_decay=0.05)
for step in range(3):
    loss = nt_xent(encoder(views[0]), encoder(views[1]))
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    print(f"contrastive step {step}: loss {loss.item():.9f}")

# ----- a GRU encoder-decoder with attention -------------------------------------------------------
PAD, START, vocabulary, hidden_size = 0, 1, 12, 10
sources = torch.from_numpy(rng.integers(2, vocabulary, (3, 6)))
targets = torch.from_numpy(rng.integers(2, vocabulary, (3, 5)))
targets[0, 3:] = PAD


class Seq2Seq(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(vocabulary, hidden_size, padding_idx=PAD)
        self.encoder = nn.GRU(hidden_size, hidden_size, batch_first=True, bidirectional=True)
        self.bridge = nn.Linear(2 * hidden_size, hidden_size)
        self.decoder = nn.GRUCell(hidden_size + 2 * hidden_size, hidden_size)
        self.attend_query, self.attend_keys = nn.Linear(hidden_size, hidden_size), nn.Linear(2 * hidden_size, hidden_size)
        self.score = nn.Linear(hidden_size, 1, bias=False)
        self.out = nn.Linear(hidden_size, vocabulary)

    def forward(self, source, target):
        encoded, last = self.encoder(self.embed(source))
        state = torch.tanh(self.bridge(torch.cat([last[0], last[1]], dim=1)))
        keys = self.attend_keys(encoded)
        token, log_probs = torch.full((source.shape[0],), START, dtype=torch.long), []
        for t in range(target.shape[1]):
            scores = self.score(torch.tanh(keys + self.attend_query(state).unsqueeze(1))).squeeze(-1)
            weights = F.softmax(scores, dim=1)
            context = torch.bmm(weights.unsqueeze(1), encoded).squeeze(1)
            state = self.decoder(torch.cat([self.embed(token), context], dim=1), state)
            log_probs.append(F.log_softmax(self.out(state), dim=-1))
            token = target[:, t]  # teacher forcing
        return torch.stack(log_probs, dim=1)


model = fill(Seq2Seq())
optimizer = torch.optim.Adam(model.parameters(), lr=0.02)
criterion = nn.NLLLoss(ignore_index=PAD)
for step in range(3):
    log_probs = model(sources, targets)
    loss = criterion(log_probs.reshape(-1, vocabulary), targets.reshape(-1))
    optimizer.zero_grad()
    loss.backward()
    nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    optimizer.step()
    print(f"seq2seq step {step}: loss {loss.item():.9f}")
print("greedy tokens", model(sources, targets).argmax(-1).tolist())
