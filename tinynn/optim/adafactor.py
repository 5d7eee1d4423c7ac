"""Adafactor (Shazeer and Stern, 2018), PyTorch's rule: Adam-like steps whose second moment of a
matrix is kept as one row and one column factor (m + n numbers instead of m n)."""
import math

import numpy as np

from .. import backend
from .hyperparameters import AT_LEAST_0, Interval, optional, pair
from .optimizer import Optimizer


class Adafactor(Optimizer):
    """For each parameter p with gradient g, at step t:

        beta2_t = 1 - t^beta2_decay,  rho_t = min(lr, 1 / sqrt(t)),  alpha = max(eps2, RMS(p)) rho_t
        p <- p (1 - lr weight_decay)
        a matrix (the last two axes): R <- lerp(R, mean of g^2 over columns, 1 - beta2_t),
                                      C <- lerp(C, mean of g^2 over rows, 1 - beta2_t),
                                      V = R C / mean(R)   (the rank-1 estimate of E[g^2])
        a vector:                     V <- lerp(V, g^2, 1 - beta2_t)
        u = g / sqrt(max(V, eps1^2)),   p <- p - alpha / max(1, RMS(u) / d) u
    (RMS(x) = |x| / sqrt(x.size); eps1 defaults to the dtype's epsilon.) Matrices and vectors are
    not elementwise alike, so there is no ``foreach`` path.
    """

    HYPERPARAMETER_RANGES = dict(lr=AT_LEAST_0, beta2_decay=Interval(-math.inf, 0), eps=pair(optional(AT_LEAST_0), AT_LEAST_0),
                                 d=Interval(1, math.inf), weight_decay=AT_LEAST_0)
    supports_complex = elementwise = False  # (its rule looks at whole rows and columns)

    def __init__(self, params, lr=1e-2, beta2_decay=-0.8, eps=(None, 1e-3), d=1.0, weight_decay=0.0, *,
                 foreach=None, maximize=False):
        if foreach:
            raise ValueError("Adafactor: there is no foreach path (its update is not elementwise)")
        super().__init__(params, dict(lr=lr, beta2_decay=beta2_decay, eps=eps, d=d, weight_decay=weight_decay,
                                      foreach=False, maximize=maximize))

    def _update(self, param, grad, state, group):
        xp = backend.get_array_module(param._array)
        eps1, eps2 = group["eps"]
        eps1 = float(np.finfo(param.dtype).eps) if eps1 is None else eps1
        if not state:
            state["step"] = 0
            if grad.ndim > 1:
                state["row_var"] = xp.zeros(grad.shape[:-1] + (1,), dtype=param.dtype)
                state["col_var"] = xp.zeros(grad.shape[:-2] + (1, grad.shape[-1]), dtype=param.dtype)
            else:
                state["variance"] = xp.zeros_like(param._array)
        state["step"] += 1
        step = state["step"]
        share = step ** group["beta2_decay"]  # 1 - beta2_t
        rho = min(group["lr"], 1 / math.sqrt(step))
        alpha = max(eps2, float(xp.linalg.norm(param._array)) / math.sqrt(param._array.size)) * rho
        if group["weight_decay"]:
            param._array *= 1 - group["lr"] * group["weight_decay"]
        squared = grad * grad
        if grad.ndim > 1:
            row_var, col_var = state["row_var"], state["col_var"]
            row_var += share * (squared.mean(-1, keepdims=True) - row_var)
            col_var += share * (squared.mean(-2, keepdims=True) - col_var)
            estimate = (row_var @ col_var) / xp.maximum(row_var.mean(-2, keepdims=True), eps1)
        else:
            variance = state["variance"]
            variance += share * (squared - variance)
            estimate = variance
        update = grad / xp.sqrt(xp.maximum(estimate, eps1 * eps1))
        denominator = max(1.0, float(xp.linalg.norm(update)) / (math.sqrt(update.size) * group["d"]))
        param._array -= (alpha / denominator) * update

    def _state_shape(self, key, param):
        """The row factor drops the last axis to 1, the column factor the one before it."""
        shape = tuple(param.shape)
        if key == "row_var":
            return shape[:-1] + (1,)
        if key == "col_var":
            return shape[:-2] + (1, shape[-1])
        return shape
