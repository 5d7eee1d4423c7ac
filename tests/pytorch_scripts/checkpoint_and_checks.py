"""A script as written for PyTorch (run with argument "torch"), run with ``import tinynn as torch`` (argument
"tinynn") by tests/test_pytorch_scripts.py: the same lines, only the imports chosen by the argument. Activation
checkpointing the recommended way, a distillation loss with soft targets from a teacher being trained, forked
random streams, forward-mode Jacobians, gradcheck's options, left padding and set_."""
import sys
if sys.argv[1] == "tinynn":
    import tinynn as torch
    import tinynn.nn as nn
    import tinynn.nn.functional as F
    from tinynn.nn.utils.rnn import pad_sequence
    from tinynn.utils.checkpoint import checkpoint
else:
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
    from torch.nn.utils.rnn import pad_sequence
    from torch.utils.checkpoint import checkpoint

torch.set_default_dtype(torch.float64)


def fill(module):
    """The same weights in both frameworks: a ramp over each parameter."""
    with torch.no_grad():
        for parameter in module.parameters():
            parameter.copy_(torch.linspace(-0.5, 0.5, parameter.numel()).reshape(parameter.shape))
    return module


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.first, self.second = nn.Linear(6, 12), nn.Linear(12, 6)

    def forward(self, x, *, scale):
        hidden = F.gelu(self.first(x)) * scale
        return self.second(hidden).tanh() + x, hidden.pow(2).mean()


block = fill(Block())
x = torch.linspace(-1, 1, 24).reshape(4, 6).requires_grad_(True)
out, penalty = checkpoint(block, x, use_reentrant=False, scale=1.5)
(out.square().sum() + penalty).backward()
print("checkpoint", round(out.sum().item(), 8), [round(p.grad.abs().sum().item(), 8) for p in block.parameters()],
      round(x.grad.abs().sum().item(), 8))
(gradient,) = torch.autograd.grad(checkpoint(block, x, use_reentrant=False, scale=1.5)[0].sum(), [x], create_graph=True)
print("gradient penalty through it", round(gradient.square().sum().item(), 8))

student, teacher = fill(nn.Linear(6, 5)), fill(nn.Linear(6, 5))
with torch.no_grad():
    teacher.weight.mul_(-2.0)
soft = F.softmax(teacher(x.detach()) / 2.0, dim=1)
loss = F.cross_entropy(student(x.detach()), soft, label_smoothing=0.1)
loss.backward()
print("distillation", round(loss.item(), 8), round(teacher.weight.grad.abs().sum().item(), 8),
      round(student.weight.grad.abs().sum().item(), 8))

torch.manual_seed(3)
before = torch.rand(3)
torch.manual_seed(3)
with torch.random.fork_rng():
    torch.rand(100)
    torch.manual_seed(9)
print("fork_rng", torch.equal(torch.rand(3), before), torch.initial_seed())


def mapping(v):
    return torch.stack([v.sin().sum(), (v * v).prod(), v[0] * v[1]])


point = torch.tensor([0.3, -0.7])
for strategy in ("reverse-mode", "forward-mode"):
    jacobian = torch.autograd.functional.jacobian(mapping, point, vectorize=True, strategy=strategy)
    print(strategy, [round(value, 8) for value in jacobian.reshape(-1).tolist()])
print("gradcheck", torch.autograd.gradcheck(lambda v: (v.sin() * v, v.exp()), (point.clone().requires_grad_(),),
                                            check_forward_ad=True, check_batched_grad=True, check_grad_dtypes=True))
print("gradgradcheck", torch.autograd.gradgradcheck(lambda v: (v ** 3).sum(), (point.clone().requires_grad_(),),
                                                    check_fwd_over_rev=True))

prompts = [torch.tensor([5.0, 6.0, 7.0]), torch.tensor([8.0])]
print("left padded", pad_sequence(prompts, batch_first=True, padding_value=0.0, padding_side="left").tolist())
view = torch.zeros(1)
source = torch.arange(6.0).reshape(2, 3)
view.set_(source)
view[0, 0] = 42.0
print("set_", source.tolist(), tuple(view.shape))
