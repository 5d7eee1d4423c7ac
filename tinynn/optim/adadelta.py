"""Adadelta (PyTorch's rule)."""
from .. import backend
from .hyperparameters import AT_LEAST_0, IN_0_1
from .optimizer import Optimizer, weight_decayed, torch_only_options


class Adadelta(Optimizer):
    """For each parameter p with gradient g (Zeiler's Adadelta: step sizes in the parameters' own units):

        g <- g + weight_decay * p
        s <- rho * s + (1 - rho) * g^2                     (running mean of g^2)
        d <- sqrt(u + eps) / sqrt(s + eps) * g             (u: running mean of the squared updates)
        u <- rho * u + (1 - rho) * d^2
        p <- p - lr * d
    """

    HYPERPARAMETER_RANGES = dict(lr=AT_LEAST_0, rho=IN_0_1, eps=AT_LEAST_0, weight_decay=AT_LEAST_0)

    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0.0, *, foreach=None, maximize=False,
                 capturable=False, differentiable=False, fused=None):
        foreach = torch_only_options(type(self).__name__, foreach, capturable, differentiable, fused)
        super().__init__(params, dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, foreach=foreach, maximize=maximize))

    def _update(self, param, grad, state, group):
        xp = backend.get_array_module(param._array)
        rho, eps = group["rho"], group["eps"]
        grad = weight_decayed(param, grad, group)
        if not state:
            state["step"] = 0
            state["square_avg"] = xp.zeros_like(param._array)
            state["acc_delta"] = xp.zeros_like(param._array)
        state["step"] += 1
        square_avg, acc_delta = state["square_avg"], state["acc_delta"]
        square_avg *= rho
        square_avg += (1 - rho) * grad * grad
        delta = xp.sqrt(acc_delta + eps) / xp.sqrt(square_avg + eps) * grad
        acc_delta *= rho
        acc_delta += (1 - rho) * delta * delta
        param._array -= group["lr"] * delta
