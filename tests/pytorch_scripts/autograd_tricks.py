"""A script as written for PyTorch (run with argument "torch"), run with ``import tinynn as torch`` (argument
"tinynn") by tests/test_pytorch_scripts.py: the same lines, only the imports chosen by the argument."""
import sys
if sys.argv[1] == "tinynn":
    import tinynn as torch
    import tinynn.nn as nn
    from tinynn.func import functional_call, grad, vmap
else:
    import torch
    import torch.nn as nn
    from torch.func import functional_call, grad, vmap


class Clamp01(torch.autograd.Function):
    """A straight-through clamp: the forward clamps, the backward passes the gradient where x was in range."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x.clamp(0, 1)

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return grad_output * ((x >= -0.5) & (x <= 1.5)).to(grad_output.dtype)


torch.manual_seed(0)
x = torch.tensor([-1.0, -0.25, 0.5, 1.25, 2.0], requires_grad=True)
Clamp01.apply(x).sum().backward()
print("custom", x.grad.tolist())
critic = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 1))
real, fake = torch.tensor([[0.5, 1.0], [1.0, -1.0]]), torch.tensor([[0.0, 0.0], [2.0, 1.0]])
alpha = torch.tensor([[0.25], [0.75]])
interpolates = (alpha * real + (1 - alpha) * fake).requires_grad_(True)
scores = critic(interpolates)
gradients = torch.autograd.grad(outputs=scores, inputs=interpolates, grad_outputs=torch.ones_like(scores),
                                create_graph=True, retain_graph=True)[0]
penalty = ((gradients.norm(2, dim=1) - 1) ** 2).mean()
penalty.backward()
print("penalty", penalty.item() >= 0, all(p.grad is not None for p in critic.parameters()))
seen = []
handle = critic[0].weight.register_hook(lambda g: seen.append(tuple(g.shape)))
critic(real).sum().backward()
handle.remove()
print("hook", seen)
model = nn.Linear(3, 1)
params = {k: v.detach() for k, v in model.named_parameters()}
def loss_one(p, xi, yi):
    out = functional_call(model, p, (xi.unsqueeze(0),))
    return ((out - yi) ** 2).mean()
xs, ys = torch.ones(4, 3), torch.zeros(4, 1)
per_sample = vmap(grad(loss_one), in_dims=(None, 0, 0))(params, xs, ys)
print("per-sample", sorted(per_sample.keys()), tuple(per_sample["weight"].shape))
with torch.no_grad():
    model.weight.copy_(torch.tensor([[0.5, -1.0, 2.0]])); model.bias.fill_(0.25)
params = {k: v.detach() for k, v in model.named_parameters()}
xs = torch.tensor([[1.0, 2.0, 3.0], [0.0, -1.0, 0.5]])
per_sample = vmap(grad(loss_one), in_dims=(None, 0, 0))(params, xs, torch.zeros(2, 1))
print("values", [round(v, 4) for v in per_sample["weight"].flatten().tolist()], [round(v, 4) for v in per_sample["bias"].flatten().tolist()])
(g_weight, g_bias), g_x = grad(lambda wb, x: ((x @ wb[0].T + wb[1]) ** 2).sum(), argnums=(0, 1))((params["weight"], params["bias"]), xs)
print("tuple", tuple(g_weight.shape), tuple(g_bias.shape), tuple(g_x.shape), round(g_bias.sum().item(), 4))
