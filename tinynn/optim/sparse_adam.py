"""SparseAdam (PyTorch's rule): Adam for parameters whose gradients are sparse, updating only the
rows a step's gradient holds."""
import math

from .. import backend
from .hyperparameters import ABOVE_0, IN_0_1_OPEN, pair
from .optimizer import Optimizer, rows_of


class SparseAdam(Optimizer):
    """For each parameter p whose sparse gradient holds rows R with values g, at step t:

        m[R] <- beta1 * m[R] + (1 - beta1) * g       v[R] <- beta2 * v[R] + (1 - beta2) * g^2
        p[R] <- p[R] - lr * sqrt(1 - beta2^t) / (1 - beta1^t) * m[R] / (sqrt(v[R]) + eps)

    Only the rows in this step's gradient change, moments included (the "lazy" Adam of large
    embedding tables): a row unused for many steps keeps its old moments, where Adam would have
    decayed them every step. t counts the parameter's steps. Dense gradients are refused (use Adam).
    """

    HYPERPARAMETER_RANGES = dict(lr=ABOVE_0, betas=pair(IN_0_1_OPEN, IN_0_1_OPEN), eps=ABOVE_0)
    supports_complex = False

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, maximize=False):
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, maximize=maximize))

    def _update(self, param, grad, state, group):
        raise RuntimeError(f"SparseAdam does not support dense gradients, please consider Adam instead (a parameter of "
                           f"shape {tuple(param.shape)} has one; SparseAdam is for Embedding(sparse=True) tables)")

    def _update_sparse(self, param, rows, values, state, group):
        xp = backend.get_array_module(param._array)
        beta1, beta2 = group["betas"]
        if not state:
            state["step"] = 0
            state["exp_avg"], state["exp_avg_sq"] = xp.zeros_like(param._array), xp.zeros_like(param._array)
        state["step"] += 1
        exp_avg, exp_avg_sq = rows_of(state["exp_avg"], rows), rows_of(state["exp_avg_sq"], rows)
        exp_avg += (1 - beta1) * (values - exp_avg)
        exp_avg_sq += (1 - beta2) * (values * values - exp_avg_sq)
        state["exp_avg"][rows], state["exp_avg_sq"][rows] = exp_avg, exp_avg_sq
        step = state["step"]
        step_size = group["lr"] * math.sqrt(1 - beta2 ** step) / (1 - beta1 ** step)
        param._array[rows] = rows_of(param._array, rows) - step_size * exp_avg / (xp.sqrt(exp_avg_sq) + group["eps"])
