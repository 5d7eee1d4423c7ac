"""NAdam (PyTorch's rule): Adam with Nesterov momentum and a warming-up momentum schedule."""
from .. import backend
from .hyperparameters import AT_LEAST_0, IN_0_1_OPEN, pair
from .optimizer import Optimizer, adam_moments, weight_decayed, torch_only_options


class NAdam(Optimizer):
    """For each parameter p with gradient g, at step t (Dozat's NAdam):

        g <- g + weight_decay * p                (or, decoupled, p <- p * (1 - lr * weight_decay))
        mu_t = beta1 * (1 - 0.96^(t * momentum_decay) / 2)      (momentum, warming up to beta1)
        P_t = mu_1 * ... * mu_t
        m <- beta1 * m + (1 - beta1) * g          v <- beta2 * v + (1 - beta2) * g^2
        d = sqrt(v / (1 - beta2^t)) + eps
        p <- p - lr * (1 - mu_t) / (1 - P_t) * g / d - lr * mu_(t+1) / (1 - P_t mu_(t+1)) * m / d
    """

    HYPERPARAMETER_RANGES = dict(lr=AT_LEAST_0, betas=pair(IN_0_1_OPEN, IN_0_1_OPEN), eps=AT_LEAST_0, weight_decay=AT_LEAST_0,
                                 momentum_decay=AT_LEAST_0)
    SCALAR_STATE = ("step", "mu_product")

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, momentum_decay=4e-3,
                 decoupled_weight_decay=False, *, foreach=None, maximize=False,
                 capturable=False, differentiable=False, fused=None):
        foreach = torch_only_options(type(self).__name__, foreach, capturable, differentiable, fused)
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                                      momentum_decay=momentum_decay, decoupled_weight_decay=decoupled_weight_decay,
                                      foreach=foreach, maximize=maximize))

    def _update(self, param, grad, state, group):
        xp = backend.get_array_module(param._array)
        beta1, beta2 = group["betas"]
        lr = group["lr"]
        grad = weight_decayed(param, grad, group, group["decoupled_weight_decay"])
        state.setdefault("mu_product", 1.0)
        exp_avg, exp_avg_sq = adam_moments(param, grad, state, group["betas"])
        step = state["step"]
        mu = beta1 * (1.0 - 0.5 * 0.96 ** (step * group["momentum_decay"]))
        mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((step + 1) * group["momentum_decay"]))
        state["mu_product"] *= mu
        denominator = xp.sqrt(exp_avg_sq / (1 - beta2 ** step)) + group["eps"]
        param._array -= lr * (1.0 - mu) / (1.0 - state["mu_product"]) * grad / denominator
        param._array -= lr * mu_next / (1.0 - state["mu_product"] * mu_next) * exp_avg / denominator
