"""A script as written for PyTorch (run with argument "torch"), run with ``import tinynn as torch`` (argument
"tinynn") by tests/test_pytorch_scripts.py: the same lines, only the imports chosen by the argument. A small
nn.Transformer translating padded batches (source and memory padding masks, a causal target mask, greedy decoding)
trained by an optimizer of one's own written PyTorch's way (Lion: its buffers in self.state[p]), the whole model
and optimizer saved by torch.save and loaded back with weights_only=False; nn.MultiheadAttention with separate key
and value sizes, a float mask and per-head weights; weight normalisation and pruning (local, structured, global,
then made permanent); skip-gram word vectors with sparse embeddings and SparseAdam; EmbeddingBag; metric learning
(triplet, cosine-embedding and margin-ranking losses, retrieval by cdist and topk); a distillation loss by KLDivLoss
with log targets; and the sorting and counting functions around them."""
import os
import sys

import numpy as np

if sys.argv[1] == "tinynn":
    import tinynn as torch
    import tinynn.nn as nn
    import tinynn.nn.functional as F
    import tinynn.nn.utils.prune as prune
else:
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
    import torch.nn.utils.prune as prune

torch.set_default_dtype(torch.float64)
rng = np.random.default_rng(17)
checkpoint_path = sys.argv[2]


def fill(module, scale=0.3):
    """The same weights in both frameworks: a ramp over each parameter."""
    with torch.no_grad():
        for parameter in module.parameters():
            parameter.copy_(torch.linspace(-scale, scale, parameter.numel()).reshape(parameter.shape))
    return module


def rounded(values, digits=7):
    return [round(value, digits) for value in values]


# ----- an optimizer of one's own --------------------------------------------------------------------
class Lion(torch.optim.Optimizer):
    """Lion (Chen et al., 2023): the sign of an interpolated momentum, with decoupled weight decay."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.99), weight_decay=0.0):
        if lr <= 0:
            raise ValueError(f"Invalid learning rate: {lr}")
        super().__init__(params, dict(lr=lr, betas=betas, weight_decay=weight_decay))

    @torch.no_grad()
    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if len(state) == 0:
                    state["exp_avg"] = torch.zeros_like(p, memory_format=torch.preserve_format)
                exp_avg = state["exp_avg"]
                p.mul_(1 - group["lr"] * group["weight_decay"])
                update = exp_avg * beta1 + p.grad * (1 - beta1)
                p.add_(update.sign(), alpha=-group["lr"])
                exp_avg.mul_(beta2).add_(p.grad, alpha=1 - beta2)
        return loss


# ----- translation by nn.Transformer ----------------------------------------------------------------
PAD, BOS, EOS, VOCABULARY, WIDTH = 0, 1, 2, 12, 16


class Translator(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(VOCABULARY, WIDTH, padding_idx=PAD)
        self.position = nn.Parameter(torch.zeros(1, 16, WIDTH))
        self.transformer = nn.Transformer(WIDTH, nhead=2, num_encoder_layers=1, num_decoder_layers=1,
                                          dim_feedforward=32, dropout=0.0, batch_first=True)
        self.out = nn.Linear(WIDTH, VOCABULARY)

    def embedded(self, tokens):
        return self.embed(tokens) * WIDTH ** 0.5 + self.position[:, :tokens.shape[1]]

    def forward(self, source, target):
        causal = nn.Transformer.generate_square_subsequent_mask(target.shape[1], dtype=torch.float64)
        hidden = self.transformer(self.embedded(source), self.embedded(target), tgt_mask=causal,
                                  src_key_padding_mask=source == PAD, tgt_key_padding_mask=target == PAD,
                                  memory_key_padding_mask=source == PAD)
        return self.out(hidden)

    @torch.no_grad()
    def translate(self, source, length):
        target = torch.full((source.shape[0], 1), BOS, dtype=torch.long)
        for _ in range(length):
            next_token = self(source, target)[:, -1].argmax(-1, keepdim=True)
            target = torch.cat([target, next_token], dim=1)
        return target[:, 1:]


source = torch.tensor([[5, 6, 7, 8, EOS], [9, 10, EOS, PAD, PAD], [4, 11, 3, EOS, PAD]])
target = torch.cat([torch.full((3, 1), BOS), torch.tensor([[8, 7, 6, 5, EOS], [10, 9, EOS, PAD, PAD],
                                                             [3, 11, 4, EOS, PAD]])], dim=1)
translator = fill(Translator())
with torch.no_grad():
    translator.embed.weight[PAD].zero_()
optimizer = Lion(translator.parameters(), lr=1e-3, weight_decay=0.1)
for step in range(4):
    logits = translator(source, target[:, :-1])
    loss = F.cross_entropy(logits.reshape(-1, VOCABULARY), target[:, 1:].reshape(-1), ignore_index=PAD,
                           label_smoothing=0.1)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    print(f"translation step {step}: loss {loss.item():.9f}")
first = translator.out.weight
print("lion state", sorted(optimizer.state[first]), tuple(optimizer.state[first]["exp_avg"].shape),
      len(optimizer.state) == len(list(translator.parameters())))
print("greedy", translator.translate(source, 5).tolist())

torch.save({"model": translator, "optimizer": optimizer, "step": 4}, checkpoint_path)
saved = torch.load(checkpoint_path, weights_only=False)
again, resumed = saved["model"], saved["optimizer"]
print("loaded", type(again).__name__, type(resumed).__name__, saved["step"],
      "same outputs", torch.equal(again(source, target[:, :-1]), translator(source, target[:, :-1])),
      "state keyed by the loaded parameters", resumed.state[again.out.weight]["exp_avg"].shape == first.shape)
for model, chosen in ((translator, optimizer), (again, resumed)):
    chosen.zero_grad()
    F.cross_entropy(model(source, target[:, :-1]).reshape(-1, VOCABULARY), target[:, 1:].reshape(-1),
                    ignore_index=PAD).backward()
    chosen.step()
print("resumed step agrees", torch.equal(again.out.weight, translator.out.weight))
os.remove(checkpoint_path)

# ----- multi-head attention on its own ---------------------------------------------------------------
attention = fill(nn.MultiheadAttention(8, 2, kdim=6, vdim=4, batch_first=True))
query = torch.from_numpy(rng.standard_normal((2, 3, 8)))
key, value = torch.from_numpy(rng.standard_normal((2, 5, 6))), torch.from_numpy(rng.standard_normal((2, 5, 4)))
bias = torch.from_numpy(rng.standard_normal((3, 5))) * 0.1
padding = torch.zeros(2, 5).masked_fill(torch.tensor([[False, False, False, True, True], [False] * 5]), float("-inf"))
output, weights = attention(query, key, value, key_padding_mask=padding, attn_mask=bias, need_weights=True,
                            average_attn_weights=False)
print("attention", tuple(output.shape), tuple(weights.shape), round(output.sum().item(), 9),
      "masked keys get no weight", weights[0, :, :, 3:].abs().max().item())

# ----- weight normalisation and pruning --------------------------------------------------------------
normalised = nn.utils.parametrizations.weight_norm(fill(nn.Linear(4, 3)))
print("weight norm", sorted(name for name, _ in normalised.named_parameters()),
      rounded(normalised.parametrizations.weight.original0.flatten().tolist()))
network = fill(nn.Sequential(nn.Linear(6, 5), nn.ReLU(), nn.Linear(5, 4), nn.ReLU(), nn.Linear(4, 2)))
with torch.no_grad():  # distinct magnitudes, so no ties decide what is pruned
    for parameter in network.parameters():
        parameter.mul_(torch.linspace(1.0, 1.9, parameter.numel()).reshape(parameter.shape))
prune.l1_unstructured(network[0], name="weight", amount=0.3)
prune.ln_structured(network[2], name="weight", amount=0.5, n=2, dim=0)
prune.global_unstructured([(network[0], "bias"), (network[4], "weight")], pruning_method=prune.L1Unstructured,
                          amount=4)
print("pruned buffers", sorted(name for name, _ in network.named_buffers()))
print("zeros", [int((module.weight == 0).sum()) for module in (network[0], network[2], network[4])],
      int((network[0].bias == 0).sum()), "is pruned", prune.is_pruned(network))
inputs = torch.from_numpy(rng.standard_normal((3, 6)))
before = network(inputs)
for module, name in ((network[0], "weight"), (network[0], "bias"), (network[2], "weight"), (network[4], "weight")):
    prune.remove(module, name)
print("after remove", sorted(network.state_dict()), torch.equal(network(inputs), before))

# ----- skip-gram word vectors with sparse gradients ---------------------------------------------------
WORDS = 20
centre_vectors = fill(nn.Embedding(WORDS, 6, sparse=True))
context_vectors = fill(nn.Embedding(WORDS, 6, sparse=True), scale=0.2)
word_optimizer = torch.optim.SparseAdam(list(centre_vectors.parameters()) + list(context_vectors.parameters()),
                                        lr=0.05)
corpus = rng.integers(0, WORDS, 40)
centres = torch.from_numpy(corpus[:-2])
contexts = torch.from_numpy(corpus[2:])
negatives = torch.from_numpy(rng.integers(0, WORDS, (len(corpus) - 2, 3)))
for step in range(3):
    centre = centre_vectors(centres)
    positive = (centre * context_vectors(contexts)).sum(-1)
    negative = torch.bmm(context_vectors(negatives), centre.unsqueeze(-1)).squeeze(-1)
    loss = -(F.logsigmoid(positive).mean() + F.logsigmoid(-negative).sum(-1).mean())
    word_optimizer.zero_grad()
    loss.backward()
    word_optimizer.step()
    print(f"skip-gram step {step}: loss {loss.item():.9f} sparse {centre_vectors.weight.grad.is_sparse}")
untouched = sorted(set(range(WORDS)) - set(corpus[:-2].tolist()))
print("rows never seen stay", torch.equal(centre_vectors.weight[untouched],
                                          fill(nn.Embedding(WORDS, 6)).weight[untouched]))
bags = fill(nn.EmbeddingBag(WORDS, 4, mode="sum"))
bag_output = bags(torch.tensor([1, 2, 4, 5, 4, 3, 2, 9]), torch.tensor([0, 2, 4]),
                  per_sample_weights=torch.linspace(0.5, 1.2, 8))
print("bags", rounded(bag_output.flatten().tolist()),
      rounded(fill(nn.EmbeddingBag(WORDS, 4, mode="max"))(torch.tensor([[1, 7], [3, 3]])).flatten().tolist()))

# ----- metric learning and retrieval -------------------------------------------------------------------
encoder = fill(nn.Sequential(nn.Linear(5, 8), nn.Tanh(), nn.Linear(8, 4)))
anchors, positives, negatives = (torch.from_numpy(rng.standard_normal((6, 5))) for _ in range(3))
positives = anchors + 0.1 * positives
metric_optimizer = torch.optim.AdamW(encoder.parameters(), lr=0.01)
triplet, cosine, ranking = nn.TripletMarginLoss(margin=1.0, p=2), nn.CosineEmbeddingLoss(margin=0.2), \
    nn.MarginRankingLoss(margin=0.5)
for step in range(3):
    a, p, n = encoder(anchors), encoder(positives), encoder(negatives)
    labels = torch.tensor([1, -1, 1, -1, 1, -1])
    losses = (triplet(a, p, n), cosine(a, torch.where(labels[:, None] > 0, p, n), labels),
              ranking((a - n).norm(dim=1), (a - p).norm(dim=1), torch.ones(6)))
    metric_optimizer.zero_grad()
    sum(losses).backward()
    metric_optimizer.step()
    print(f"metric step {step}: " + " ".join(f"{loss.item():.9f}" for loss in losses))
with torch.no_grad():
    distances = torch.cdist(encoder(anchors), encoder(positives))
    nearest = distances.topk(2, dim=1, largest=False)
print("retrieval", nearest.indices.tolist(), "recall@1",
      (nearest.indices[:, 0] == torch.arange(6)).double().mean().item())

student, teacher = torch.from_numpy(rng.standard_normal((4, 5))), torch.from_numpy(rng.standard_normal((4, 5)))
student.requires_grad_()
divergence = nn.KLDivLoss(reduction="batchmean", log_target=True)(F.log_softmax(student / 2, dim=1),
                                                                    F.log_softmax(teacher / 2, dim=1)) * 4
divergence.backward()
print(f"distillation {divergence.item():.9f} gradient {rounded(student.grad[0].tolist())}")

# ----- sorting and counting --------------------------------------------------------------------------
scores = torch.from_numpy(rng.standard_normal(12).round(1))
edges = torch.tensor([-1.0, 0.0, 0.5, 1.0])
print("bucketize", torch.bucketize(scores, edges).tolist(), torch.bucketize(scores, edges, right=True).tolist())
print("searchsorted", torch.searchsorted(edges, torch.tensor([[-2.0, 0.0], [0.7, 3.0]]), side="right").tolist())
values, inverse, counts = torch.unique(torch.tensor([3, 1, 3, 2, 1, 3]), return_inverse=True, return_counts=True)
print("unique", values.tolist(), inverse.tolist(), counts.tolist())
print("quantile", rounded(torch.quantile(scores, torch.tensor([0.1, 0.5, 0.9])).tolist()),
      rounded(torch.quantile(scores.reshape(3, 4), 0.25, dim=1, interpolation="midpoint").tolist()))
print("kthvalue", torch.kthvalue(scores, 3).values.item(), "mode", torch.mode(torch.tensor([2, 5, 5, 1, 2, 5])).values.item(),
      "histc", torch.histc(scores, bins=4, min=-2, max=2).tolist())
