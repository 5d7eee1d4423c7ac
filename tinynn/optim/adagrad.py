"""Adagrad (PyTorch's rule, with learning-rate decay)."""
from .. import backend
from .hyperparameters import AT_LEAST_0
from .optimizer import Optimizer, rows_of, weight_decayed, torch_only_options


class Adagrad(Optimizer):
    """For each parameter p with gradient g, at step t:

        g <- g + weight_decay * p
        s <- s + g^2                                         (s starts at initial_accumulator_value)
        p <- p - lr / (1 + (t - 1) * lr_decay) * g / (sqrt(s) + eps)

    A sparse gradient (Embedding(sparse=True)) updates only its rows of s and p; weight decay,
    which would touch every row, is refused with it, as PyTorch does.
    """

    HYPERPARAMETER_RANGES = dict(lr=AT_LEAST_0, lr_decay=AT_LEAST_0, weight_decay=AT_LEAST_0,
                                 initial_accumulator_value=AT_LEAST_0, eps=AT_LEAST_0)

    def __init__(self, params, lr=1e-2, lr_decay=0.0, weight_decay=0.0, initial_accumulator_value=0.0, eps=1e-10, *, foreach=None, maximize=False,
                 capturable=False, differentiable=False, fused=None):
        foreach = torch_only_options(type(self).__name__, foreach, capturable, differentiable, fused)
        super().__init__(params, dict(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                                      initial_accumulator_value=initial_accumulator_value, eps=eps, foreach=foreach, maximize=maximize))

    def _update(self, param, grad, state, group):
        xp = backend.get_array_module(param._array)
        grad = weight_decayed(param, grad, group)
        step_size = self._next_step_size(param, state, group)
        state["sum"] += grad * grad
        param._array -= step_size * grad / (xp.sqrt(state["sum"]) + group["eps"])

    def _update_sparse(self, param, rows, values, state, group):
        self._refuse_sparse_weight_decay(group)
        xp = backend.get_array_module(param._array)
        step_size = self._next_step_size(param, state, group)
        total = rows_of(state["sum"], rows) + values * values
        state["sum"][rows] = total
        param._array[rows] = rows_of(param._array, rows) - step_size * values / (xp.sqrt(total) + group["eps"])

    @staticmethod
    def _next_step_size(param, state, group):
        """Advance the step count (making the state at the first) and return lr / (1 + (t - 1) lr_decay)."""
        if not state:
            state["step"] = 0
            state["sum"] = backend.get_array_module(param._array).full_like(param._array, group["initial_accumulator_value"])
        state["step"] += 1
        return group["lr"] / (1 + (state["step"] - 1) * group["lr_decay"])
