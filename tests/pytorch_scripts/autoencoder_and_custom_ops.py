"""A script as written for PyTorch (run with argument "torch"), run with ``import tinynn as torch`` (argument
"tinynn") by tests/test_pytorch_scripts.py: the same lines, only the imports chosen by the argument. A convolutional
autoencoder on odd-sized images whose decoder matches its encoder's sizes by ConvTranspose2d(output_size=...), with a
custom autograd.Function of two outputs written PyTorch 2's way (forward without ctx, setup_context, an integer
output marked non-differentiable) and a straight-through estimator for its codes; a module at its second version
loading a checkpoint its first version saved (_load_from_state_dict reading the _metadata version); a training loop
that reads len(loader.sampler), a Subset's indices and the optimizer's state by parameter; the whole run saved by
torch.save and resumed."""
import sys

import numpy as np

if sys.argv[1] == "tinynn":
    import tinynn as torch
    import tinynn.nn as nn
    import tinynn.nn.functional as F
    from tinynn.utils.data import DataLoader, Subset, TensorDataset
else:
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
    from torch.utils.data import DataLoader, Subset, TensorDataset

torch.set_default_dtype(torch.float64)
rng = np.random.default_rng(23)
checkpoint_path = sys.argv[2]


def fill(module, scale=0.3):
    """The same weights in both frameworks: a ramp over each parameter."""
    with torch.no_grad():
        for parameter in module.parameters():
            parameter.copy_(torch.linspace(-scale, scale, parameter.numel()).reshape(parameter.shape))
    return module


class Quantize(torch.autograd.Function):
    """Rounds codes to a grid (returned with their integer bins), passing the gradient straight through."""

    @staticmethod
    def forward(codes, step):
        bins = torch.round(codes / step).long()
        return bins.to(codes.dtype) * step, bins

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.mark_non_differentiable(output[1])

    @staticmethod
    def backward(ctx, grad_codes, grad_bins):
        return grad_codes, None


class Autoencoder(nn.Module):
    _version = 2  # version 1 called the bottleneck "middle"

    def __init__(self):
        super().__init__()
        self.down1 = nn.Conv2d(1, 4, 3, stride=2, padding=1)
        self.down2 = nn.Conv2d(4, 8, 3, stride=2, padding=1)
        self.bottleneck = nn.Conv2d(8, 8, 1)
        self.up2 = nn.ConvTranspose2d(8, 4, 3, stride=2, padding=1)
        self.up1 = nn.ConvTranspose2d(4, 1, 3, stride=2, padding=1)

    def forward(self, images):
        first = F.relu(self.down1(images))
        second = F.relu(self.down2(first))
        codes, bins = Quantize.apply(torch.tanh(self.bottleneck(second)), 0.25)
        up = F.relu(self.up2(codes, output_size=first.shape))
        return self.up1(up, output_size=images.shape), bins

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
                              error_msgs):
        if local_metadata.get("version", 1) < 2:
            for name in ("weight", "bias"):
                if prefix + "middle." + name in state_dict:
                    state_dict[prefix + "bottleneck." + name] = state_dict.pop(prefix + "middle." + name)
        super()._load_from_state_dict(state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
                                      error_msgs)


images = torch.from_numpy(rng.standard_normal((10, 1, 11, 13)))
dataset = TensorDataset(images)
training = Subset(dataset, [0, 2, 3, 5, 7, 8, 9])
loader = DataLoader(training, batch_size=3, shuffle=False)
print("loader", type(loader.sampler).__name__, len(loader.sampler), len(loader), "indices", training.indices)

model = fill(Autoencoder())
optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
for epoch in range(2):
    total = 0.0
    for (batch,) in loader:
        reconstruction, bins = model(batch)
        loss = F.mse_loss(reconstruction, batch)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        total += loss.item() * len(batch)
    print(f"epoch {epoch}: loss {total / len(loader.sampler):.9f} shapes {tuple(reconstruction.shape)} "
          f"bins {bins.dtype == torch.long} {bins.requires_grad} {sorted(set(bins.flatten().tolist()))}")
state = optimizer.state[model.bottleneck.weight]
print("adam state of the bottleneck", sorted(state), int(state["step"]),
      f"{state['exp_avg'].abs().sum().item():.9f}")
codes, bins = Quantize.apply(torch.linspace(-1, 1, 5, requires_grad=True), 0.5)
print("custom op", type(codes.grad_fn).__name__, codes.tolist(), bins.tolist())

# a checkpoint of version 1 (the bottleneck saved as "middle"): the version-2 module reads it
old = type(model.state_dict())()
for key, value in model.state_dict().items():
    old[key.replace("bottleneck", "middle")] = value * 0.5
old._metadata = type(model.state_dict()._metadata)()
old._metadata[""] = {"version": 1}
again = Autoencoder()
print("old checkpoint", again.load_state_dict(old), f"{again.bottleneck.weight.sum().item():.9f}")

torch.save({"model": model, "optimizer": optimizer, "epoch": 2}, checkpoint_path)
run = torch.load(checkpoint_path, weights_only=False)
resumed, resumed_optimizer = run["model"], run["optimizer"]
for chosen_model, chosen_optimizer in ((model, optimizer), (resumed, resumed_optimizer)):
    chosen_optimizer.zero_grad()
    F.mse_loss(chosen_model(images)[0], images).backward()
    chosen_optimizer.step()
print("resumed", run["epoch"], "agrees", torch.equal(resumed.up1.weight, model.up1.weight),
      torch.equal(resumed(images)[0], model(images)[0]))
