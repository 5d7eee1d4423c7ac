"""A script as written for PyTorch (run with argument "torch"), run with ``import tinynn as torch`` (argument
"tinynn") by tests/test_pytorch_scripts.py: the same lines, only the imports chosen by the argument. Names
imported from the modules that define them (a custom loss on _Loss, a schedule on _LRScheduler, a Sampler
and a Dataset of their own, _pair, once_differentiable, saved-tensor hooks, cudnn's switch), an init loop
over isinstance(m, _BatchNorm), a run saved through DataParallel's state dict with the optimizer's and the
schedules' and resumed, and a model from a repository's hubconf.py on disk."""
import os
import sys
import tempfile

if sys.argv[1] == "tinynn":
    import tinynn as torch
    import tinynn.backends.cudnn as cudnn
    import tinynn.hub as hub
    import tinynn.nn as nn
    from tinynn.autograd.function import once_differentiable
    from tinynn.autograd.graph import saved_tensors_hooks
    from tinynn.nn.modules.batchnorm import _BatchNorm
    from tinynn.nn.modules.loss import _Loss
    from tinynn.nn.modules.utils import _pair, consume_prefix_in_state_dict_if_present
    from tinynn.optim.lr_scheduler import ReduceLROnPlateau, _LRScheduler
    from tinynn.utils.data.dataloader import DataLoader
    from tinynn.utils.data.dataset import Dataset
    from tinynn.utils.data.sampler import Sampler
else:
    import torch
    import torch.backends.cudnn as cudnn
    import torch.hub as hub
    import torch.nn as nn
    from torch.autograd.function import once_differentiable
    from torch.autograd.graph import saved_tensors_hooks
    from torch.nn.modules.batchnorm import _BatchNorm
    from torch.nn.modules.loss import _Loss
    from torch.nn.modules.utils import _pair, consume_prefix_in_state_dict_if_present
    from torch.optim.lr_scheduler import ReduceLROnPlateau, _LRScheduler
    from torch.utils.data.dataloader import DataLoader
    from torch.utils.data.dataset import Dataset
    from torch.utils.data.sampler import Sampler

torch.set_default_dtype(torch.float64)
cudnn.benchmark = True


def fill(module):
    """The same weights in both frameworks: a ramp over each parameter."""
    with torch.no_grad():
        for parameter in module.parameters():
            parameter.copy_(torch.linspace(-0.4, 0.4, parameter.numel()).reshape(parameter.shape))
    return module


class ClippedSquare(torch.autograd.Function):
    """x^2, its backward written for one use only."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    @once_differentiable
    def backward(ctx, grad):
        x, = ctx.saved_tensors
        return grad * 2 * x.clamp(-1.0, 1.0)


class Net(nn.Module):
    def __init__(self, kernel=3):
        super().__init__()
        self.kernel = _pair(kernel)
        self.conv = nn.Conv2d(1, 4, self.kernel, padding=1)
        self.batch_norm = nn.BatchNorm2d(4)
        self.instance_norm = nn.InstanceNorm2d(4, affine=True)
        self.head = nn.Linear(4 * 6 * 6, 3)

    def forward(self, x):
        x = self.instance_norm(self.batch_norm(self.conv(x)).relu())
        return self.head(ClippedSquare.apply(x).flatten(1))


class SmoothAbsolute(_Loss):
    def forward(self, input, target):
        loss = ((input - target) ** 2 + 0.01).sqrt()
        return loss.mean() if self.reduction == "mean" else loss.sum()


class Squares(Dataset):
    def __init__(self, count):
        self.count = count

    def __len__(self):
        return self.count

    def __getitem__(self, index):
        image = torch.linspace(-1.0, 1.0, 36).reshape(1, 6, 6) * (index + 1) / self.count
        return image, torch.tensor([index % 3, (index * 2) % 5, 1.0 / (index + 1)])


class EveryOther(Sampler):
    def __init__(self, data_source):
        self.size = len(data_source)

    def __iter__(self):
        return iter(list(range(0, self.size, 2)) + list(range(1, self.size, 2)))

    def __len__(self):
        return self.size


class Halving(_LRScheduler):
    def get_lr(self):
        return [base * 0.5 ** (self.last_epoch // 2) for base in self.base_lrs]


def init(model):
    for module in model.modules():
        if isinstance(module, _BatchNorm):  # the batch norms only, not the instance norm
            nn.init.constant_(module.weight, 1.5)
            nn.init.constant_(module.bias, 0.25)
    return model


def train(model, optimizer, schedule, plateau, loader, loss_fn, steps):
    for step, (images, targets) in zip(range(steps), loader):
        optimizer.zero_grad()
        loss = loss_fn(model(images), targets)
        loss.backward()
        optimizer.step()
        schedule.step()
        plateau.step(loss.item())
        print(f"step {step}: loss {loss.item():.9f} lr {optimizer.param_groups[0]['lr']:.6f}")


data = Squares(12)
loader = DataLoader(data, batch_size=4, sampler=EveryOther(data))
print("batches", [batch[1][:, 0].tolist() for batch in loader])
model = init(fill(Net()))
print("instance norm weight kept", round(model.instance_norm.weight.sum().item(), 9),
      "batch norm weight", model.batch_norm.weight.tolist())
optimizer = torch.optim.Adam(model.parameters(), lr=0.05)
schedule, plateau = Halving(optimizer), ReduceLROnPlateau(optimizer, patience=0, factor=0.9)
loss_fn = SmoothAbsolute(reduction="sum")
train(model, optimizer, schedule, plateau, loader, loss_fn, 3)

wrapped = nn.DataParallel(model)
path = sys.argv[2]
torch.save({"model": wrapped.state_dict(), "optimizer": optimizer.state_dict(), "schedule": schedule.state_dict(),
            "plateau": plateau.state_dict()}, path)
checkpoint = torch.load(path)
consume_prefix_in_state_dict_if_present(checkpoint["model"], "module.")
resumed = Net()
resumed.load_state_dict(checkpoint["model"])
resumed_optimizer = torch.optim.Adam(resumed.parameters(), lr=0.05)
resumed_optimizer.load_state_dict(checkpoint["optimizer"])
resumed_schedule, resumed_plateau = Halving(resumed_optimizer), ReduceLROnPlateau(resumed_optimizer)
resumed_schedule.load_state_dict(checkpoint["schedule"])
resumed_plateau.load_state_dict(checkpoint["plateau"])
train(resumed, resumed_optimizer, resumed_schedule, resumed_plateau, loader, loss_fn, 3)

images, targets = next(iter(loader))
with saved_tensors_hooks(lambda t: t, lambda t: t):
    loss = loss_fn(resumed(images), targets)
loss.backward()
print("gradient through saved-tensor hooks", round(resumed.head.weight.grad.abs().sum().item(), 9))
x = torch.tensor([0.5, 2.0], requires_grad=True)
grad, = torch.autograd.grad((ClippedSquare.apply(x) * x).sum(), x, create_graph=True)
try:
    grad.sum().backward()
except RuntimeError as error:
    print("second derivative refused:", "once_differentiable" in str(error))

with tempfile.TemporaryDirectory() as repository:
    with open(os.path.join(repository, "hubconf.py"), "w") as file:
        file.write("dependencies = []\n\n\ndef tiny(width=3):\n    \"\"\"A small layer.\"\"\"\n"
                   f"    import {sys.argv[1]} as torch\n    torch.manual_seed(0)\n"
                   "    return torch.nn.Linear(width, 2)\n")
    layer = fill(hub.load(repository, "tiny", 5, source="local"))
    print("hub model", layer, round(layer(torch.ones(1, 5)).sum().item(), 9))
