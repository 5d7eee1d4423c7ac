"""A script as written for PyTorch (run with argument "torch"), run with ``import tinynn as torch`` (argument
"tinynn") by tests/test_pytorch_scripts.py: the same lines, only the imports chosen by the argument. PyTorch's
tutorials on autograd and its extensions, their code as written there: "Learning PyTorch with Examples" (a cubic fitted
to sin(x) with gradients by hand, then by autograd, by a custom Function (LegendrePolynomial3), by nn with
Flatten(0, 1), by RMSprop, and a dynamic network reusing a parameter a random number of times) and "Extending
torch.func with autograd.Function" (a sort done in NumPy with its own backward and vmap staticmethods, under grad,
vmap, vmap of grad and jacrev; a cube returning its derivative as a second output, differentiated twice)."""
import math
import random
import sys

import numpy as np

if sys.argv[1] == "tinynn":
    import tinynn as torch
    from tinynn.func import grad, jacrev, vmap
else:
    import torch
    from torch.func import grad, jacrev, vmap
dtype = torch.float
device = torch.device("cpu")
x = torch.linspace(-math.pi, math.pi, 2000, device=device, dtype=dtype)
y = torch.sin(x)
# 1. tensors with manual gradients
a, b, c, d = (torch.full((), v, device=device, dtype=dtype) for v in (0.1, -0.2, 0.3, -0.05))
learning_rate = 1e-6
for t in range(500):
    y_pred = a + b * x + c * x ** 2 + d * x ** 3
    loss = (y_pred - y).pow(2).sum().item()
    grad_y_pred = 2.0 * (y_pred - y)
    grad_a = grad_y_pred.sum(); grad_b = (grad_y_pred * x).sum(); grad_c = (grad_y_pred * x ** 2).sum(); grad_d = (grad_y_pred * x ** 3).sum()
    a -= learning_rate * grad_a; b -= learning_rate * grad_b; c -= learning_rate * grad_c; d -= learning_rate * grad_d
print(f"manual {loss:.3f} y = {a.item():.5f} + {b.item():.5f} x + {c.item():.5f} x^2 + {d.item():.5f} x^3")
# 2. autograd
a, b, c, d = (torch.full((), v, dtype=dtype, requires_grad=True) for v in (0.1, -0.2, 0.3, -0.05))
for t in range(500):
    y_pred = a + b * x + c * x ** 2 + d * x ** 3
    loss = (y_pred - y).pow(2).sum()
    loss.backward()
    with torch.no_grad():
        a -= learning_rate * a.grad; b -= learning_rate * b.grad; c -= learning_rate * c.grad; d -= learning_rate * d.grad
        a.grad = None; b.grad = None; c.grad = None; d.grad = None
print(f"autograd {loss.item():.3f} {a.item():.5f} {b.item():.5f} {c.item():.5f} {d.item():.5f}")
# 3. custom function
class LegendrePolynomial3(torch.autograd.Function):
    @staticmethod
    def forward(ctx, input):
        ctx.save_for_backward(input)
        return 0.5 * (5 * input ** 3 - 3 * input)
    @staticmethod
    def backward(ctx, grad_output):
        input, = ctx.saved_tensors
        return grad_output * 1.5 * (5 * input ** 2 - 1)
a, b, c, d = (torch.full((), v, dtype=dtype, requires_grad=True) for v in (0.0, -1.0, 0.0, 0.3))
learning_rate = 5e-6
for t in range(500):
    P3 = LegendrePolynomial3.apply
    y_pred = a + b * P3(c + d * x)
    loss = (y_pred - y).pow(2).sum()
    loss.backward()
    with torch.no_grad():
        a -= learning_rate * a.grad; b -= learning_rate * b.grad; c -= learning_rate * c.grad; d -= learning_rate * d.grad
        a.grad = None; b.grad = None; c.grad = None; d.grad = None
print("legendre", f"{loss.item():.3f}", *(f"{round(p.item(), 5) + 0.0:.5f}" for p in (a, b, c, d)))  # (-0.0 as 0.0)
# 4. nn
p = torch.tensor([1, 2, 3])
xx = x.unsqueeze(-1).pow(p)
model = torch.nn.Sequential(torch.nn.Linear(3, 1), torch.nn.Flatten(0, 1))
with torch.no_grad():
    model[0].weight.copy_(torch.tensor([[0.1, -0.2, 0.05]])); model[0].bias.fill_(0.01)
loss_fn = torch.nn.MSELoss(reduction='sum')
for t in range(500):
    y_pred = model(xx)
    loss = loss_fn(y_pred, y)
    model.zero_grad()
    loss.backward()
    with torch.no_grad():
        for param in model.parameters():
            param -= 1e-6 * param.grad
linear_layer = model[0]
print(f"nn {loss.item():.3f} y = {linear_layer.bias.item():.5f} + {linear_layer.weight[:, 0].item():.5f} x + {linear_layer.weight[:, 1].item():.5f} x^2 + {linear_layer.weight[:, 2].item():.5f} x^3")
# 5. optim RMSprop
model = torch.nn.Sequential(torch.nn.Linear(3, 1), torch.nn.Flatten(0, 1))
with torch.no_grad():
    model[0].weight.copy_(torch.tensor([[0.1, -0.2, 0.05]])); model[0].bias.fill_(0.01)
optimizer = torch.optim.RMSprop(model.parameters(), lr=1e-3)
for t in range(500):
    loss = loss_fn(model(xx), y)
    optimizer.zero_grad(); loss.backward(); optimizer.step()
print(f"rmsprop {loss.item():.3f}")
# 6. custom nn modules + dynamic
class DynamicNet(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.a = torch.nn.Parameter(torch.tensor(0.1)); self.b = torch.nn.Parameter(torch.tensor(-0.2))
        self.c = torch.nn.Parameter(torch.tensor(0.3)); self.d = torch.nn.Parameter(torch.tensor(-0.05)); self.e = torch.nn.Parameter(torch.tensor(0.01))
    def forward(self, x):
        y = self.a + self.b * x + self.c * x ** 2 + self.d * x ** 3
        for exp in range(4, random.randint(4, 6)):
            y = y + self.e * x ** exp
        return y
    def string(self):
        return f'y = {self.a.item():.4f} + {self.b.item():.4f} x + {self.c.item():.4f} x^2 + {self.d.item():.4f} x^3 + {self.e.item():.4f} x^4 ? + {self.e.item():.4f} x^5 ?'
random.seed(0)
model = DynamicNet()
criterion = torch.nn.MSELoss(reduction='sum')
optimizer = torch.optim.SGD(model.parameters(), lr=1e-8, momentum=0.9)
for t in range(300):
    loss = criterion(model(x), y)
    optimizer.zero_grad(); loss.backward(); optimizer.step()
print(f"dynamic {loss.item():.2f}", model.string())


# --- Extending torch.func with autograd.Function (float64 from here) ---
torch.set_default_dtype(torch.float64)

class NumpySort(torch.autograd.Function):
    generate_vmap_rule = False
    @staticmethod
    def forward(x, dim):
        device = x.device
        x = x.cpu().numpy()
        ind = np.argsort(x, axis=dim)
        ind_inv = np.argsort(ind, axis=dim)
        result = np.take_along_axis(x, ind, axis=dim)
        return (torch.tensor(result, device=device), torch.tensor(ind, device=device), torch.tensor(ind_inv, device=device))
    @staticmethod
    def setup_context(ctx, inputs, output):
        x, dim = inputs
        _, ind, ind_inv = output
        ctx.mark_non_differentiable(ind, ind_inv)
        ctx.save_for_backward(ind, ind_inv)
        ctx.dim = dim
    @staticmethod
    def backward(ctx, grad_output, _0, _1):
        ind, ind_inv = ctx.saved_tensors
        return NumpyTake.apply(grad_output, ind_inv, ind, ctx.dim), None
    @staticmethod
    def vmap(info, in_dims, x, dim):
        x_bdim, _ = in_dims
        x = x.movedim(x_bdim, 0)
        dim = dim if dim >= 0 else dim + x.dim() - 1
        result = NumpySort.apply(x, dim + 1)
        return result, (0, 0, 0)

class NumpyTake(torch.autograd.Function):
    generate_vmap_rule = False
    @staticmethod
    def forward(x, ind, ind_inv, dim):
        device = x.device
        x = x.cpu().numpy(); ind = ind.cpu().numpy()
        return torch.tensor(np.take_along_axis(x, ind, dim), device=device)
    @staticmethod
    def setup_context(ctx, inputs, output):
        x, ind, ind_inv, dim = inputs
        ctx.save_for_backward(ind, ind_inv)
        ctx.dim = dim
    @staticmethod
    def backward(ctx, grad_output):
        ind, ind_inv = ctx.saved_tensors
        result = NumpyTake.apply(grad_output, ind_inv, ind, ctx.dim)
        return result, None, None, None
    @staticmethod
    def vmap(info, in_dims, x, ind, ind_inv, dim):
        x_bdim, ind_bdim, ind_inv_bdim, _ = in_dims
        logical_dim = x.dim() if x_bdim is None else x_bdim - 1
        dim = dim if dim >= 0 else dim + logical_dim
        def maybe_expand_bdim_at_front(x, x_bdim):
            if x_bdim is None:
                return x.expand(info.batch_size, *x.shape)
            return x.movedim(x_bdim, 0)
        x = maybe_expand_bdim_at_front(x, x_bdim)
        ind = maybe_expand_bdim_at_front(ind, ind_bdim)
        ind_inv = maybe_expand_bdim_at_front(ind_inv, ind_inv_bdim)
        return NumpyTake.apply(x, ind, ind_inv, dim + 1), 0

def numpy_sort(x, dim=-1):
    result, _, _ = NumpySort.apply(x, dim)
    return result

x = torch.tensor([[3.0, 1.0, 2.0], [0.5, -1.0, 4.0]], requires_grad=True)
y = numpy_sort(x)
print("sorted", y.tolist())
gx = grad(lambda x: numpy_sort(x).pow(2).mul(torch.tensor([1.0, 2.0, 3.0])).sum())(x)
print("grad", gx.tolist())
print("vmap", vmap(numpy_sort)(x).tolist())
print("vmap grad", vmap(grad(lambda r: numpy_sort(r).mul(torch.tensor([1.0, 2.0, 3.0])).sum()))(x).tolist())
print("jacrev", jacrev(numpy_sort)(x[0]).tolist())

class MyCube(torch.autograd.Function):
    @staticmethod
    def forward(x):
        result = x ** 3
        dx = 3 * x ** 2
        return result, dx
    @staticmethod
    def setup_context(ctx, inputs, output):
        x, = inputs
        result, dx = output
        ctx.save_for_backward(x, dx)
    @staticmethod
    def backward(ctx, grad_output, grad_dx):
        x, dx = ctx.saved_tensors
        result = grad_output * dx + grad_dx * 6 * x
        return result
    @staticmethod
    def jvp(ctx, x_t):
        pass

def my_cube(x):
    result, _ = MyCube.apply(x)
    return result
xs = torch.tensor([1.0, 2.0, -3.0])
print("cube'", grad(lambda t: my_cube(t).sum())(xs).tolist(), "cube''", grad(lambda t: grad(lambda u: my_cube(u).sum())(t).sum())(xs).tolist())
x2 = torch.tensor([1.0, 2.0], requires_grad=True)
print("gradgradcheck", torch.autograd.gradgradcheck(lambda t: MyCube.apply(t)[0], (x2,)))
