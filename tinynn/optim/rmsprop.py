"""RMSprop (PyTorch's rule, with momentum and the centered variant)."""
from .. import backend
from .hyperparameters import AT_LEAST_0, IN_0_1
from .optimizer import Optimizer, weight_decayed, torch_only_options


class RMSprop(Optimizer):
    """For each parameter p with gradient g:

        g <- g + weight_decay * p
        s <- alpha * s + (1 - alpha) * g^2                 (running mean of g^2)
        d <- sqrt(s) + eps,  or, centered:  a <- alpha * a + (1 - alpha) * g;  d <- sqrt(s - a^2) + eps
        b <- momentum * b + g / d;  p <- p - lr * b        (momentum > 0)
        p <- p - lr * g / d                                (otherwise)
    """

    HYPERPARAMETER_RANGES = dict(lr=AT_LEAST_0, alpha=IN_0_1, eps=AT_LEAST_0, weight_decay=AT_LEAST_0, momentum=AT_LEAST_0)

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0, centered=False, *, foreach=None, maximize=False,
                 capturable=False, differentiable=False, fused=None):
        foreach = torch_only_options(type(self).__name__, foreach, capturable, differentiable, fused)
        super().__init__(params, dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay, momentum=momentum,
                                      centered=centered, foreach=foreach, maximize=maximize))

    def _update(self, param, grad, state, group):
        xp = backend.get_array_module(param._array)
        alpha = group["alpha"]
        grad = weight_decayed(param, grad, group)
        if not state:
            state["step"] = 0
            state["square_avg"] = xp.zeros_like(param._array)
            if group["momentum"] > 0:
                state["momentum_buffer"] = xp.zeros_like(param._array)
            if group["centered"]:
                state["grad_avg"] = xp.zeros_like(param._array)
        state["step"] += 1
        square_avg = state["square_avg"]
        square_avg *= alpha
        square_avg += (1 - alpha) * grad * grad
        if group["centered"]:
            grad_avg = state["grad_avg"]
            grad_avg *= alpha
            grad_avg += (1 - alpha) * grad
            denominator = xp.sqrt(square_avg - grad_avg * grad_avg) + group["eps"]
        else:
            denominator = xp.sqrt(square_avg) + group["eps"]
        if group["momentum"] > 0:
            buffer = state["momentum_buffer"]
            buffer *= group["momentum"]
            buffer += grad / denominator
            param._array -= group["lr"] * buffer
        else:
            param._array -= group["lr"] * grad / denominator
