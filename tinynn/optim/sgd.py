"""Stochastic gradient descent with momentum, dampening, Nesterov and weight decay (PyTorch's rule)."""
from .. import backend
from .hyperparameters import ANY_NUMBER, AT_LEAST_0
from .optimizer import Optimizer, rows_of, weight_decayed, torch_only_options


class SGD(Optimizer):
    """For each parameter p with gradient g:

        g <- g + weight_decay * p
        b <- g                                  (first step)
        b <- momentum * b + (1 - dampening) * g (later steps)
        g <- g + momentum * b  (nesterov)   or   g <- b  (otherwise; when momentum > 0)
        p <- p - lr * g

    A sparse gradient (Embedding(sparse=True)) takes the same rule, weight decay excepted (it would
    touch every row; refused, as PyTorch does): without momentum only its rows move; the momentum
    buffer is dense (PyTorch keeps it sparse, with the same values), so then every row with momentum
    left moves, as in PyTorch.
    """

    HYPERPARAMETER_RANGES = dict(lr=AT_LEAST_0, momentum=AT_LEAST_0, dampening=ANY_NUMBER, weight_decay=AT_LEAST_0)

    def __init__(self, params, lr=1e-3, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False, *, foreach=None, maximize=False,
                 capturable=False, differentiable=False, fused=None):
        foreach = torch_only_options(type(self).__name__, foreach, capturable, differentiable, fused)
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
                                      nesterov=nesterov, foreach=foreach, maximize=maximize))
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError(f"SGD: Nesterov momentum requires a momentum and zero dampening, got momentum={momentum}, "
                             f"dampening={dampening}")

    def _update(self, param, grad, state, group):
        grad = weight_decayed(param, grad, group)
        momentum = group["momentum"]
        if momentum:
            buffer = state.get("momentum_buffer")
            if buffer is None:
                buffer = state["momentum_buffer"] = grad.copy()
            else:
                buffer *= momentum
                buffer += (1 - group["dampening"]) * grad
            grad = grad + momentum * buffer if group["nesterov"] else buffer
        param._array -= group["lr"] * grad

    def _update_sparse(self, param, rows, values, state, group):
        self._refuse_sparse_weight_decay(group)
        momentum = group["momentum"]
        if not momentum:
            param._array[rows] = rows_of(param._array, rows) - group["lr"] * values
            return
        buffer = state.get("momentum_buffer")
        if buffer is None:
            buffer = state["momentum_buffer"] = backend.get_array_module(param._array).zeros_like(param._array)
            buffer[rows] = values
        else:
            buffer *= momentum
            buffer[rows] += (1 - group["dampening"]) * values
        if group["nesterov"]:
            direction = momentum * buffer
            direction[rows] += values
        else:
            direction = buffer
        param._array -= group["lr"] * direction
