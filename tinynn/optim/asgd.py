"""ASGD (PyTorch's rule): SGD with a decaying step and a running average of the iterates
(Polyak-Ruppert averaging), kept in the state as ``ax``."""
from .. import backend
from .hyperparameters import ANY_NUMBER, AT_LEAST_0
from .optimizer import Optimizer, weight_decayed, torch_only_options


class ASGD(Optimizer):
    """For each parameter p with gradient g, at step t (eta starts at lr, mu at 1):

        g <- g + weight_decay * p
        p <- p * (1 - lambd * eta) - eta * g
        ax <- ax + mu * (p - ax)           (ax = p while mu is 1, before step t0)
        eta <- lr / (1 + lambd * lr * t)^alpha,   mu <- 1 / max(1, t - t0)
    """

    HYPERPARAMETER_RANGES = dict(lr=AT_LEAST_0, lambd=AT_LEAST_0, alpha=ANY_NUMBER, t0=AT_LEAST_0, weight_decay=AT_LEAST_0)
    SCALAR_STATE = ("step", "eta", "mu")

    def __init__(self, params, lr=1e-2, lambd=1e-4, alpha=0.75, t0=1e6, weight_decay=0.0, *, foreach=None, maximize=False,
                 capturable=False, differentiable=False, fused=None):
        foreach = torch_only_options(type(self).__name__, foreach, capturable, differentiable, fused)
        super().__init__(params, dict(lr=lr, lambd=lambd, alpha=alpha, t0=t0, weight_decay=weight_decay,
                                      foreach=foreach, maximize=maximize))

    def _update(self, param, grad, state, group):
        xp = backend.get_array_module(param._array)
        grad = weight_decayed(param, grad, group)
        if not state:
            state["step"], state["eta"], state["mu"] = 0, group["lr"], 1.0
            state["ax"] = xp.zeros_like(param._array)
        state["step"] += 1
        param._array *= 1 - group["lambd"] * state["eta"]
        param._array -= state["eta"] * grad
        if state["mu"] != 1:
            state["ax"] += (param._array - state["ax"]) * state["mu"]
        else:
            state["ax"][...] = param._array
        state["eta"] = group["lr"] / (1 + group["lambd"] * group["lr"] * state["step"]) ** group["alpha"]
        state["mu"] = 1 / max(1, state["step"] - group["t0"])
