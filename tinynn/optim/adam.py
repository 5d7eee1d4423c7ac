"""Adam and AdamW (PyTorch's update rules, including amsgrad)."""
import math

from .. import backend
from .hyperparameters import AT_LEAST_0, IN_0_1_OPEN, pair
from .optimizer import Optimizer, adam_moments, weight_decayed, torch_only_options


class Adam(Optimizer):
    """For each parameter p with gradient g, at step t:

        g <- g + weight_decay * p                (Adam's L2 penalty; AdamW decays p directly instead)
        m <- beta1 * m + (1 - beta1) * g         v <- beta2 * v + (1 - beta2) * g^2
        p <- p - lr / (1 - beta1^t) * m / (sqrt(v / (1 - beta2^t)) + eps)
    With amsgrad, v in the denominator is replaced by the running maximum of v. With
    ``decoupled_weight_decay`` (PyTorch's option), the decay is AdamW's: p <- p (1 - lr weight_decay).
    """

    HYPERPARAMETER_RANGES = dict(lr=AT_LEAST_0, betas=pair(IN_0_1_OPEN, IN_0_1_OPEN), eps=AT_LEAST_0, weight_decay=AT_LEAST_0)
    decoupled_weight_decay = False  # the default of a parameter group saved before the option existed

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, amsgrad=False, *,
                 foreach=None, maximize=False, decoupled_weight_decay=False,
                 capturable=False, differentiable=False, fused=None):
        foreach = torch_only_options(type(self).__name__, foreach, capturable, differentiable, fused)
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad,
                                      foreach=foreach, maximize=maximize,
                                      decoupled_weight_decay=bool(decoupled_weight_decay)))

    def _update(self, param, grad, state, group):
        xp = backend.get_array_module(param._array)
        beta1, beta2 = group["betas"]
        lr = group["lr"]
        grad = weight_decayed(param, grad, group, group.get("decoupled_weight_decay", self.decoupled_weight_decay))
        if group["amsgrad"] and "max_exp_avg_sq" not in state:
            state["max_exp_avg_sq"] = xp.zeros_like(param._array)
        exp_avg, exp_avg_sq = adam_moments(param, grad, state, group["betas"])
        step = state["step"]
        if group["amsgrad"]:
            xp.maximum(state["max_exp_avg_sq"], exp_avg_sq, out=state["max_exp_avg_sq"])
            second_moment = state["max_exp_avg_sq"]
        else:
            second_moment = exp_avg_sq
        step_size = lr / (1 - beta1 ** step)
        denominator = xp.sqrt(second_moment) / math.sqrt(1 - beta2 ** step) + group["eps"]
        param._array -= step_size * exp_avg / denominator


class AdamW(Adam):
    """Adam with decoupled weight decay: p <- p * (1 - lr * weight_decay) before the Adam step."""

    decoupled_weight_decay = True

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False, *,
                 foreach=None, maximize=False,
                 capturable=False, differentiable=False, fused=None):
        foreach = torch_only_options(type(self).__name__, foreach, capturable, differentiable, fused)
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, foreach=foreach, maximize=maximize,
                         decoupled_weight_decay=True)
