"""A script as written for PyTorch (run with argument "torch"), run with ``import tinynn as torch`` (argument
"tinynn") by tests/test_pytorch_scripts.py: the same lines, only the imports chosen by the argument. A speech
model trained by connectionist temporal classification (a two-layer bidirectional LSTM over padded frames, CTCLoss
with per-sequence lengths, targets both concatenated and padded, a greedy decode by unique_consecutive); a spatial
transformer (a localisation network starting at the identity transform, affine_grid and grid_sample in their modes);
a sub-pixel super-resolution network (PixelShuffle and PixelUnshuffle) fitted by L-BFGS with a strong Wolfe line
search; patches by unfold folded back by nn.Fold; a Hessian and its vector products by autograd.functional."""
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
rng = np.random.default_rng(11)


def fill(module, scale=0.3):
    """The same weights in both frameworks: a ramp over each parameter."""
    with torch.no_grad():
        for parameter in module.parameters():
            parameter.copy_(torch.linspace(-scale, scale, parameter.numel()).reshape(parameter.shape))
    return module


# ----- speech: a bidirectional LSTM trained by CTC ---------------------------------------------------
FEATURES, SYMBOLS, FRAMES, BATCH = 6, 5, 12, 3  # symbol 0 is CTC's blank


class Recogniser(nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(FEATURES, 8, num_layers=2, bidirectional=True, dropout=0.0)
        self.classify = nn.Linear(16, SYMBOLS)

    def forward(self, frames, lengths):
        packed = nn.utils.rnn.pack_padded_sequence(frames, lengths, enforce_sorted=False)
        output, _ = self.lstm(packed)
        output, _ = nn.utils.rnn.pad_packed_sequence(output, total_length=frames.shape[0])
        return self.classify(output).log_softmax(2)  # (time, batch, symbols), as CTCLoss takes them


def greedy_decode(log_probabilities, lengths):
    best = log_probabilities.argmax(2).t()  # (batch, time)
    words = []
    for path, length in zip(best, lengths.tolist()):
        collapsed = torch.unique_consecutive(path[:length])
        words.append(collapsed[collapsed != 0].tolist())
    return words


frames = torch.from_numpy(rng.standard_normal((FRAMES, BATCH, FEATURES)))
frame_lengths = torch.tensor([12, 9, 7])
targets = [torch.tensor([1, 2, 2, 3]), torch.tensor([4, 1]), torch.tensor([3, 3, 1])]
target_lengths = torch.tensor([len(target) for target in targets])
padded_targets = nn.utils.rnn.pad_sequence(targets, batch_first=True)
recogniser = fill(Recogniser())
optimizer = torch.optim.Adam(recogniser.parameters(), lr=1e-2)
ctc = nn.CTCLoss(blank=0, zero_infinity=True)
for step in range(4):
    log_probabilities = recogniser(frames, frame_lengths)
    loss = ctc(log_probabilities, padded_targets, frame_lengths, target_lengths)
    concatenated = F.ctc_loss(log_probabilities, torch.cat(targets), frame_lengths, target_lengths,
                              reduction="none")
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    print(f"ctc step {step}: loss {loss.item():.9f} per sequence "
          f"{[round(value, 7) for value in concatenated.tolist()]}")
print("greedy decode", greedy_decode(log_probabilities.detach(), frame_lengths))
# a target longer than its input cannot be aligned: infinite, or zero (and no gradient) with zero_infinity
short = log_probabilities.detach()[:3].requires_grad_()
impossible = F.ctc_loss(short, padded_targets, torch.tensor([3, 3, 3]), target_lengths, reduction="sum")
zeroed = F.ctc_loss(short, padded_targets, torch.tensor([3, 3, 3]), target_lengths, reduction="sum",
                    zero_infinity=True)
zeroed.backward()
print("unalignable", impossible.item(), round(zeroed.item(), 9), "gradient of the infinite ones",
      short.grad[:, 0].abs().sum().item())


# ----- a spatial transformer ------------------------------------------------------------------------
class SpatialTransformer(nn.Module):
    def __init__(self):
        super().__init__()
        self.locate = nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.AdaptiveAvgPool2d(2), nn.Flatten(),
                                    nn.Linear(16, 6))
        self.classify = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.AdaptiveMaxPool2d(1),
                                      nn.Flatten(), nn.Linear(4, 3))

    def forward(self, x):
        theta = self.locate(x).view(-1, 2, 3)
        grid = F.affine_grid(theta, x.size(), align_corners=False)
        return self.classify(F.grid_sample(x, grid, align_corners=False)), theta


transformer = fill(SpatialTransformer())
with torch.no_grad():  # the localisation starts at (nearly) the identity transform, as the tutorial's does
    transformer.locate[-1].weight.zero_()
    # a little off it: the identity's positions fall on the pixels' centres, the kinks of bilinear
    # interpolation, where a rounding either way (the frameworks' differ) picks the other one-sided slope
    transformer.locate[-1].bias.copy_(torch.tensor([1, 0, 0.013, 0, 1, -0.021], dtype=torch.float64))
images = torch.from_numpy(rng.standard_normal((4, 1, 10, 10)))
labels = torch.tensor([0, 2, 1, 2])
optimizer = torch.optim.SGD(transformer.parameters(), lr=0.1, momentum=0.9)
for step in range(3):
    logits, theta = transformer(images)
    loss = F.cross_entropy(logits, labels)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    print(f"stn step {step}: loss {loss.item():.9f} theta[0] {[round(v, 7) for v in theta[0].flatten().tolist()]}")
identity = F.affine_grid(torch.tensor([[[1.0, 0, 0], [0, 1.0, 0]]]), (1, 1, 10, 10), align_corners=False)
print("identity grid reproduces the image", torch.allclose(F.grid_sample(images[:1], identity, align_corners=False),
                                                         images[:1]))
turn = torch.tensor([[[0.8, -0.5, 0.1], [0.5, 0.8, -0.2]]], requires_grad=True)
for mode, padding, corners in [("bilinear", "zeros", False), ("bilinear", "border", True),
                               ("bilinear", "reflection", False), ("nearest", "zeros", True),
                               ("bicubic", "border", False)]:
    grid = F.affine_grid(turn * 1.3, (1, 1, 7, 9), align_corners=corners)
    warped = F.grid_sample(images[:1], grid, mode=mode, padding_mode=padding, align_corners=corners)
    (gradient,) = torch.autograd.grad((warped * warped).sum(), turn)
    print(f"grid_sample {mode} {padding} {corners}: sum {warped.sum().item():.9f} "
          f"gradient {[round(v, 6) for v in gradient.flatten().tolist()]}")

# ----- sub-pixel super-resolution fitted by L-BFGS --------------------------------------------------
upscale = fill(nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.Tanh(), nn.Conv2d(8, 4, 3, padding=1),
                             nn.PixelShuffle(2)), scale=0.2)
high = torch.from_numpy(rng.standard_normal((2, 1, 8, 8)))
low = F.avg_pool2d(high, 2)
print("unshuffle inverts shuffle", torch.equal(nn.PixelUnshuffle(2)(nn.PixelShuffle(2)(high.repeat(1, 4, 1, 1))),
                                               high.repeat(1, 4, 1, 1)))
optimizer = torch.optim.LBFGS(upscale.parameters(), lr=1, max_iter=8, history_size=5,
                              line_search_fn="strong_wolfe")
evaluations = []


def closure():
    optimizer.zero_grad()
    loss = F.l1_loss(upscale(low), high) + 0.5 * F.mse_loss(upscale(low), high)
    loss.backward()
    evaluations.append(loss.item())
    return loss


for step in range(3):
    loss = optimizer.step(closure)
    print(f"lbfgs step {step}: loss {loss.item():.9f} evaluations {len(evaluations)} "
          f"last {evaluations[-1]:.9f}")
state = optimizer.state[optimizer._params[0]]
print("lbfgs state", sorted(state), state["func_evals"], state["n_iter"])

# ----- patches: unfold and fold ---------------------------------------------------------------------
patches = F.unfold(high, kernel_size=3, padding=1, stride=2)
print("unfold", tuple(patches.shape))
fold = nn.Fold(output_size=(8, 8), kernel_size=3, padding=1, stride=2)
counts = fold(F.unfold(torch.ones_like(high), kernel_size=3, padding=1, stride=2))
print("fold of unfold over the overlap counts gives the image back", torch.allclose(fold(patches) / counts, high),
      "counts", sorted(set(counts.flatten().tolist())))

# ----- second derivatives by autograd.functional ----------------------------------------------------
def energy(x):
    return (x.sin() * x.roll(1)).sum() + (x ** 4).sum() / 4


point = torch.linspace(-1, 1, 5)
hessian = torch.autograd.functional.hessian(energy, point)
direction = torch.linspace(0.5, -0.5, 5)
_, product = torch.autograd.functional.hvp(energy, point, direction)
_, vector_product = torch.autograd.functional.vhp(energy, point, direction)
print("hessian diagonal", [round(v, 9) for v in hessian.diagonal().tolist()],
      "hvp", torch.allclose(product, hessian @ direction), "vhp", torch.allclose(vector_product, direction @ hessian))
jacobian = torch.autograd.functional.jacobian(lambda a, b: (a * b.exp(), a.sum() * b), (point, direction))
print("jacobian shapes", [[tuple(block.shape) for block in row] for row in jacobian])
