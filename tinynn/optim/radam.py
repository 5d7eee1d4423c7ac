"""RAdam (PyTorch's rule): Adam whose adaptive step is switched on gradually, as its variance estimate settles."""
import math

from .. import backend
from .hyperparameters import AT_LEAST_0, IN_0_1_OPEN, pair
from .optimizer import Optimizer, adam_moments, weight_decayed, torch_only_options


class RAdam(Optimizer):
    """For each parameter p with gradient g, at step t (Liu et al., rectified Adam):

        g <- g + weight_decay * p                (or, decoupled, p <- p * (1 - lr * weight_decay))
        m <- beta1 * m + (1 - beta1) * g          v <- beta2 * v + (1 - beta2) * g^2
        rho_inf = 2 / (1 - beta2) - 1,   rho_t = rho_inf - 2 t beta2^t / (1 - beta2^t)
        while rho_t <= 5:  p <- p - lr * m / (1 - beta1^t)                      (momentum SGD)
        afterwards:        p <- p - lr * m / (1 - beta1^t) * r_t * sqrt(1 - beta2^t) / (sqrt(v) + eps)
        with the rectification r_t = sqrt((rho_t - 4)(rho_t - 2) rho_inf / ((rho_inf - 4)(rho_inf - 2) rho_t)).
    """

    HYPERPARAMETER_RANGES = dict(lr=AT_LEAST_0, betas=pair(IN_0_1_OPEN, IN_0_1_OPEN), eps=AT_LEAST_0, weight_decay=AT_LEAST_0)

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, decoupled_weight_decay=False, *,
                 foreach=None, maximize=False,
                 capturable=False, differentiable=False, fused=None):
        foreach = torch_only_options(type(self).__name__, foreach, capturable, differentiable, fused)
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                                      decoupled_weight_decay=decoupled_weight_decay, foreach=foreach, maximize=maximize))

    def _update(self, param, grad, state, group):
        xp = backend.get_array_module(param._array)
        beta1, beta2 = group["betas"]
        lr = group["lr"]
        grad = weight_decayed(param, grad, group, group["decoupled_weight_decay"])
        exp_avg, exp_avg_sq = adam_moments(param, grad, state, group["betas"])
        step = state["step"]
        bias_correction2 = 1 - beta2 ** step
        corrected_exp_avg = exp_avg / (1 - beta1 ** step)
        rho_inf = 2 / (1 - beta2) - 1
        rho_t = rho_inf - 2 * step * beta2 ** step / bias_correction2
        if rho_t > 5.0:
            rectification = math.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t))
            adaptive = math.sqrt(bias_correction2) / (xp.sqrt(exp_avg_sq) + group["eps"])
            param._array -= corrected_exp_avg * lr * adaptive * rectification
        else:
            param._array -= corrected_exp_avg * lr
