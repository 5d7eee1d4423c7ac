"""Muon (Jordan et al., 2024), PyTorch's rule: momentum SGD for weight matrices whose update is
first orthogonalized, every singular value of the step pushed towards 1, by a few Newton-Schulz
iterations."""
import math

from .. import backend
from .hyperparameters import AT_LEAST_0
from .optimizer import Optimizer


def orthogonalized(xp, matrix, coefficients, steps, eps):
    """About U V^T of the matrix's SVD U S V^T, by the quintic Newton-Schulz iteration
    X <- a X + (b A + c A^2) X, A = X X^T, from X = M / |M|_F (so every singular value is at most
    1); the coefficients make the small singular values grow fast rather than converge exactly
    (they end near 1, between about 0.5 and 1.5). Run on the wide orientation (fewer rows).
    PyTorch computes it in bfloat16; here it is in the parameter's dtype."""
    a, b, c = coefficients
    tall = matrix.shape[0] > matrix.shape[1]
    x = matrix.T if tall else matrix
    x = x / max(float(xp.linalg.norm(x)), eps)
    for _ in range(steps):
        gram = x @ x.T
        x = a * x + (b * gram + c * (gram @ gram)) @ x
    return x.T if tall else x


class Muon(Optimizer):
    """For each weight matrix W (m x n) with gradient g:

        B <- momentum B + (1 - momentum) g                (the momentum buffer)
        u = g + momentum (B - g) if nesterov else B
        W <- W (1 - lr weight_decay) - lr' orthogonalized(u)
    with lr' = lr sqrt(max(1, m / n)) ("original"), or lr 0.2 sqrt(max(m, n)) ("match_rms_adamw",
    the step's RMS then about AdamW's). Only for 2-D parameters (PyTorch's restriction: give the
    others, biases and norms, to another optimizer).
    """

    supports_complex = elementwise = False  # (its rule orthogonalizes whole matrices)
    HYPERPARAMETER_RANGES = dict(lr=AT_LEAST_0, weight_decay=AT_LEAST_0, momentum=AT_LEAST_0)

    def __init__(self, params, lr=1e-3, weight_decay=0.1, momentum=0.95, nesterov=True,
                 ns_coefficients=(3.4445, -4.775, 2.0315), eps=1e-7, ns_steps=5, adjust_lr_fn=None):
        if adjust_lr_fn not in (None, "original", "match_rms_adamw"):
            raise ValueError(f"Muon: adjust_lr_fn must be None, 'original' or 'match_rms_adamw', got {adjust_lr_fn!r}")
        if len(ns_coefficients) != 3 or not 0 < ns_steps < 100:
            raise ValueError(f"Muon: expected three ns_coefficients and 0 < ns_steps < 100, got {ns_coefficients} and "
                             f"{ns_steps}")
        super().__init__(params, dict(lr=lr, weight_decay=weight_decay, momentum=momentum, nesterov=nesterov,
                                      ns_coefficients=tuple(ns_coefficients), eps=eps, ns_steps=ns_steps,
                                      adjust_lr_fn=adjust_lr_fn))
        for group in self.param_groups:
            for param in group["params"]:
                if param.ndim != 2:
                    raise ValueError(f"Muon only supports 2-D parameters, got one of shape {tuple(param.shape)}")

    def _update(self, param, grad, state, group):
        xp = backend.get_array_module(param._array)
        if not state:
            state["momentum_buffer"] = xp.zeros_like(param._array)
        buffer, momentum = state["momentum_buffer"], group["momentum"]
        buffer += (1 - momentum) * (grad - buffer)
        update = grad + momentum * (buffer - grad) if group["nesterov"] else buffer
        update = orthogonalized(xp, update, group["ns_coefficients"], group["ns_steps"], group["eps"])
        rows, columns = param.shape
        ratio = 0.2 * math.sqrt(max(rows, columns)) if group["adjust_lr_fn"] == "match_rms_adamw" else \
            math.sqrt(max(1, rows / columns))
        param._array *= 1 - group["lr"] * group["weight_decay"]
        param._array -= (group["lr"] * ratio) * update.astype(param.dtype, copy=False)
