"""A script as written for PyTorch (run with argument "torch"), run with ``import tinynn as torch`` (argument
"tinynn") by tests/test_pytorch_scripts.py: the same lines, only the imports chosen by the argument. The
tricks of image classification training around a small residual network: kaiming initialisation by module
type, channels-last memory, mixup (a fixed mixing weight) with label smoothing, gradient accumulation over
micro-batches, OneCycleLR, an exponential moving average of the weights (AveragedModel with
get_ema_multi_avg_fn) and its batch-norm statistics recomputed by update_bn, and evaluation under
inference_mode with top-k accuracy."""
import sys

import numpy as np

if sys.argv[1] == "tinynn":
    import tinynn as torch
    import tinynn.nn as nn
    import tinynn.nn.functional as F
    from tinynn.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn, update_bn
    from tinynn.utils.data import DataLoader, TensorDataset
else:
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
    from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn, update_bn
    from torch.utils.data import DataLoader, TensorDataset

torch.set_default_dtype(torch.float64)
rng = np.random.default_rng(4)


class Residual(nn.Module):
    def __init__(self, channels_in, channels_out, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(channels_in, channels_out, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(channels_out)
        self.conv2 = nn.Conv2d(channels_out, channels_out, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(channels_out)
        self.shortcut = nn.Sequential()
        if stride != 1 or channels_in != channels_out:
            self.shortcut = nn.Sequential(nn.Conv2d(channels_in, channels_out, 1, stride, bias=False),
                                          nn.BatchNorm2d(channels_out))

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        return F.relu(self.bn2(self.conv2(out)) + self.shortcut(x))


model = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1, bias=False), nn.BatchNorm2d(8), nn.ReLU(),
                      Residual(8, 8, 1), Residual(8, 16, 2), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(16, 5))
with torch.no_grad():
    for module in model.modules():  # a deterministic stand-in for kaiming_normal_, chosen by module type
        if isinstance(module, nn.Conv2d):
            fan_in = module.weight[0].numel()
            module.weight.copy_(torch.linspace(-1, 1, module.weight.numel()).reshape(module.weight.shape)
                                * (2.0 / fan_in) ** 0.5)
        elif isinstance(module, (nn.BatchNorm2d, nn.GroupNorm)):
            nn.init.constant_(module.weight, 1)
            nn.init.constant_(module.bias, 0)
        elif isinstance(module, nn.Linear):
            module.weight.copy_(torch.linspace(-0.1, 0.1, module.weight.numel()).reshape(module.weight.shape))
            nn.init.zeros_(module.bias)
model = model.to(memory_format=torch.channels_last)
images = torch.from_numpy(rng.standard_normal((16, 3, 12, 12)))
labels = torch.from_numpy(rng.integers(0, 5, 16))
loader = DataLoader(TensorDataset(images, labels), batch_size=8, shuffle=False)
optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, nesterov=True, weight_decay=5e-4)
epochs, accumulate = 3, 2
schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=0.1, total_steps=epochs * len(loader) // accumulate)
ema = AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(0.9))
criterion = nn.CrossEntropyLoss(label_smoothing=0.1)
for epoch in range(epochs):
    model.train()
    running = 0.0
    for index, (x, y) in enumerate(loader):
        x = x.contiguous(memory_format=torch.channels_last)
        weight = 0.7  # mixup's draw, fixed so that both frameworks mix alike
        mixed = weight * x + (1 - weight) * x.flip(0)
        logits = model(mixed)
        loss = (weight * criterion(logits, y) + (1 - weight) * criterion(logits, y.flip(0))) / accumulate
        loss.backward()
        running += loss.item()
        if (index + 1) % accumulate == 0:
            optimizer.step()
            optimizer.zero_grad()
            schedule.step()
            ema.update_parameters(model)
    print(f"epoch {epoch}: loss {running:.9f} lr {schedule.get_last_lr()[0]:.6f}")
update_bn(loader, ema)
ema.eval()
with torch.inference_mode():
    logits = ema(images)
    top1 = (logits.argmax(1) == labels).double().mean().item()
    top3 = (logits.topk(3, dim=1).indices == labels.unsqueeze(1)).any(1).double().mean().item()
print(f"ema: top-1 {top1:.4f} top-3 {top3:.4f} logits sum {logits.sum().item():.9f} averaged "
      f"{int(ema.n_averaged.item())} times")
print("channels-last weights", model[0].weight.is_contiguous(memory_format=torch.channels_last))
