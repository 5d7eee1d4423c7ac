"""Adamax (PyTorch's rule): Adam with the infinity norm in place of the second moment."""
from .. import backend
from .hyperparameters import AT_LEAST_0, IN_0_1_OPEN, pair
from .optimizer import Optimizer, weight_decayed, torch_only_options


class Adamax(Optimizer):
    """For each parameter p with gradient g, at step t:

        g <- g + weight_decay * p
        m <- beta1 * m + (1 - beta1) * g
        u <- max(beta2 * u, |g| + eps)                      (exponentially weighted infinity norm)
        p <- p - lr / (1 - beta1^t) * m / u
    """

    HYPERPARAMETER_RANGES = dict(lr=AT_LEAST_0, betas=pair(IN_0_1_OPEN, IN_0_1_OPEN), eps=AT_LEAST_0, weight_decay=AT_LEAST_0)

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, *, foreach=None, maximize=False,
                 capturable=False, differentiable=False, fused=None):
        foreach = torch_only_options(type(self).__name__, foreach, capturable, differentiable, fused)
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, foreach=foreach, maximize=maximize))

    def _update(self, param, grad, state, group):
        xp = backend.get_array_module(param._array)
        beta1, beta2 = group["betas"]
        grad = weight_decayed(param, grad, group)
        if not state:
            state["step"] = 0
            state["exp_avg"] = xp.zeros_like(param._array)
            state["exp_inf"] = xp.zeros_like(param._array)
        state["step"] += 1
        exp_avg, exp_inf = state["exp_avg"], state["exp_inf"]
        exp_avg += (1 - beta1) * (grad - exp_avg)
        exp_inf *= beta2
        xp.maximum(exp_inf, xp.abs(grad) + group["eps"], out=exp_inf)
        param._array -= group["lr"] / (1 - beta1 ** state["step"]) * exp_avg / exp_inf
