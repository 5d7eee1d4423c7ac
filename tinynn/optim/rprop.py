"""Rprop (PyTorch's rule): each weight moves by its own step size in the direction against its
gradient's sign; the step grows while the sign holds and shrinks when it flips."""
import math

from .. import backend
from .hyperparameters import AT_LEAST_0, Interval, pair
from .optimizer import Optimizer, torch_only_options


class Rprop(Optimizer):
    """For each parameter p with gradient g and per-element step sizes s (starting at lr):

        agree = sign(g * g_previous)
        s <- clip(s * (eta_plus where agree > 0, eta_minus where agree < 0, 1 elsewhere), step_min, step_max)
        g <- 0 where the sign flipped (this step is skipped there, and g_previous becomes 0)
        p <- p - sign(g) * s,   g_previous <- g
    """

    HYPERPARAMETER_RANGES = dict(lr=AT_LEAST_0, etas=pair(Interval(0, 1, False, False), Interval(1, math.inf, False)),
                                 step_sizes=pair(AT_LEAST_0, AT_LEAST_0))

    def __init__(self, params, lr=1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50), *, foreach=None, maximize=False,
                 capturable=False, differentiable=False, fused=None):
        foreach = torch_only_options(type(self).__name__, foreach, capturable, differentiable, fused)
        super().__init__(params, dict(lr=lr, etas=etas, step_sizes=step_sizes, foreach=foreach, maximize=maximize))

    def _update(self, param, grad, state, group):
        xp = backend.get_array_module(param._array)
        eta_minus, eta_plus = group["etas"]
        if not state:
            state["step"] = 0
            state["prev"] = xp.zeros_like(param._array)
            state["step_size"] = xp.full_like(param._array, group["lr"])
        state["step"] += 1
        agree = xp.sign(grad * state["prev"])
        factor = xp.where(agree > 0, eta_plus, xp.where(agree < 0, eta_minus, 1)).astype(param._array.dtype)
        step_size = state["step_size"]
        step_size *= factor
        xp.clip(step_size, *group["step_sizes"], out=step_size)
        grad = xp.where(factor == eta_minus, 0, grad)  # PyTorch's test: the factor, not the sign
        param._array -= xp.sign(grad) * step_size
        state["prev"][...] = grad
