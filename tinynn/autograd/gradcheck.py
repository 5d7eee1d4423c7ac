"""Checking analytic gradients against finite differences.

Why float64: a central difference ``(f(x+eps) - f(x-eps)) / (2 eps)`` has a truncation error
of order eps^2 and a rounding error of order ``u * |f| / eps``, where u is the unit roundoff.
With float64 (u ~ 1e-16) and eps = 1e-6 both are ~1e-10, far below any real bug. With
float32 (u ~ 6e-8) the rounding term alone is ~0.06 * |f| at eps = 1e-6, and no eps makes
both terms small, so a float32 gradient cannot be told apart from a wrong one this way.
``gradcheck`` therefore runs the function in float64: inputs that are not float64 are
upcast for the check (in place, so module parameters passed as inputs are seen by the
module) and restored afterwards; complex inputs run in complex128.

Complex inputs and outputs (tinynn/ops/complex.py): a complex output y is projected as
L = Re sum(conj(w) y) with a complex w, and a complex input's numerical gradient is
dL/dx + i dL/dy, its real and imaginary parts perturbed in turn: PyTorch's convention.
"""
import numpy as np

from .. import backend
from . import grad_mode


class GradcheckError(AssertionError):
    """An analytic gradient disagrees with its finite-difference estimate."""


def _scalar_objective(fn, inputs, projection):
    """``L = Re sum(conj(w) * fn(*inputs))`` for a fixed random w (complex for a complex output); its
    gradient is J^H w."""
    output = fn(*inputs)
    if projection[0] is None:
        xp = backend.get_array_module(output.data)
        rng = np.random.default_rng(1234)
        seeded = rng.standard_normal(output.shape)
        if output.dtype.kind == "c":
            seeded = seeded + 1j * rng.standard_normal(output.shape)
        projection[0] = xp.asarray(seeded)
    return output, float((output.data.astype(projection[0].dtype) * projection[0].conj()).real.sum())


def gradcheck(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, fast_mode=False, seed=0):
    """Compare the gradients autograd computes for ``fn`` with central finite differences.

    ``fn(*inputs)`` returns a Tensor of any shape. Its output is projected on a fixed random
    direction w, L = <w, fn(x)>, so one backward gives J^T w for every input; a wrong entry of
    the Jacobian J changes J^T w unless it is cancelled exactly, which a random w makes
    vanishingly unlikely. For each input that requires grad:

    * default: every element x_k is perturbed, and dL/dx_k is compared with
      ``(L(x + eps e_k) - L(x - eps e_k)) / (2 eps)``: 2 evaluations per element;
    * ``fast_mode=True``: one random unit direction u per input, comparing the directional
      derivative ``<dL/dx, u>`` with ``(L(x + eps u) - L(x - eps u)) / (2 eps)``
      (v^T J u with v = w): 2 evaluations per input, for large inputs.

    An entry passes when ``|analytic - numerical| <= atol + rtol * |numerical|``. Returns True;
    raises GradcheckError naming the input, the worst element, both values and the difference.
    """
    from ..tensor import Tensor

    checked = [(i, x) for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    if not checked:
        raise ValueError("gradcheck: no input requires grad, so there is nothing to check")
    original = {i: x.data for i, x in checked}
    try:
        for _, x in checked:
            # C order, so the flat view _check_elementwise perturbs is x's memory (by default astype keeps a
            # transpose's layout, and reshape(-1) would then copy)
            x.data = x.data.astype(np.complex128 if x.dtype.kind == "c" else np.float64, order="C")
            x.grad = None
        projection = [None]
        with grad_mode.enable_grad():
            output, _ = _scalar_objective(fn, inputs, projection)
            output.backward(Tensor._from_op(projection[0].astype(output.dtype), False))
        analytic = {i: (x.grad.to_dense().data if x.grad is not None else x.data * 0) for i, x in checked}

        def objective():
            with grad_mode.no_grad():
                return _scalar_objective(fn, inputs, projection)[1]

        for i, x in checked:
            if fast_mode:
                _check_direction(i, x, analytic[i], objective, eps, atol, rtol, seed)
            else:
                _check_elementwise(i, x, analytic[i], objective, eps, atol, rtol)
    finally:
        for i, x in checked:
            x.data = original[i]
            x.grad = None
    return True


def _check_elementwise(index, x, analytic, objective, eps, atol, rtol):
    flat = x.data.reshape(-1)  # a view: perturbing it perturbs x
    steps = (1, 1j) if x.dtype.kind == "c" else (1,)  # dL/dx + i dL/dy for a complex input
    numerical = np.zeros(flat.size, dtype=x.dtype)
    for k in range(flat.size):
        saved = flat[k].item()
        for step in steps:
            flat[k] = saved + eps * step
            plus = objective()
            flat[k] = saved - eps * step
            minus = objective()
            flat[k] = saved
            numerical[k] += step * (plus - minus) / (2 * eps)
    analytic = backend.to_device(analytic, "cpu").reshape(-1).astype(x.dtype)
    excess = np.abs(analytic - numerical) - (atol + rtol * np.abs(numerical))
    worst = int(np.argmax(excess))
    if excess[worst] > 0 or not np.all(np.isfinite(analytic)):
        if not np.all(np.isfinite(analytic)):
            worst = int(np.argmin(np.isfinite(analytic)))
        position = np.unravel_index(worst, x.shape) if x.ndim else ()
        raise GradcheckError(
            f"gradcheck failed for input {index} (shape {tuple(x.shape)}) at index "
            f"{tuple(int(p) for p in position)}: analytic {analytic[worst]:.6g}, numerical "
            f"{numerical[worst]:.6g}, difference {abs(analytic[worst] - numerical[worst]):.3g} "
            f"(atol={atol}, rtol={rtol})"
        )


def _check_direction(index, x, analytic, objective, eps, atol, rtol, seed):
    xp = backend.get_array_module(x.data)
    rng = np.random.default_rng(seed + index)
    direction = rng.standard_normal(x.shape)
    if x.dtype.kind == "c":
        direction = direction + 1j * rng.standard_normal(x.shape)
    direction = xp.asarray(direction / max(np.linalg.norm(direction), 1e-12))
    saved = x.data.copy()
    x.data = saved + eps * direction
    plus = objective()
    x.data = saved - eps * direction
    minus = objective()
    x.data = saved
    numerical = (plus - minus) / (2 * eps)
    predicted = float((analytic.conj() * direction).real.sum())  # d/dt L(x + t u) = Re <grad, u>
    if not abs(predicted - numerical) <= atol + rtol * abs(numerical):
        raise GradcheckError(
            f"gradcheck (fast mode) failed for input {index} (shape {tuple(x.shape)}): directional "
            f"derivative along a random direction: analytic {predicted:.6g}, numerical "
            f"{numerical:.6g}, difference {abs(predicted - numerical):.3g} (atol={atol}, rtol={rtol})"
        )


def gradgradcheck(fn, inputs, grad_outputs=None, eps=1e-6, atol=1e-5, rtol=1e-3, fast_mode=False, seed=0):
    """Check second derivatives (PyTorch's ``gradgradcheck``): ``gradcheck`` of the map

        (inputs, v) -> J(inputs)^T v,   the gradients of <v, fn(inputs)> with respect to the inputs,

    computed with ``create_graph=True``. Its derivative in the inputs is v-weighted second
    derivatives (for a scalar fn, the Hessian); in v it is J itself, so the recorded backward is
    checked both ways. ``grad_outputs`` is v (random, float64, fixed by ``seed``, if not given).
    Returns True; raises GradcheckError as ``gradcheck`` does (v is the last input)."""
    from ..tensor import Tensor, concatenate
    from .engine import grad

    wanted = [x for x in inputs if isinstance(x, Tensor) and x.requires_grad]
    if not wanted:
        raise ValueError("gradgradcheck: no input requires grad, so there is nothing to check")
    if grad_outputs is None:
        with grad_mode.enable_grad():  # for the output's shape (fn may take gradients itself)
            output = fn(*inputs)
        xp = backend.get_array_module(wanted[0].data)
        rng = np.random.default_rng(seed + 4321)
        draw = rng.standard_normal(output.shape)
        if output.dtype.kind == "c":
            draw = draw + 1j * rng.standard_normal(output.shape)
        grad_outputs = Tensor._from_op(xp.asarray(draw), False).requires_grad_()

    def first_derivatives(*inputs_and_v):
        *given, v = inputs_and_v
        with grad_mode.enable_grad():
            grads = grad(fn(*given), [x for x in given if isinstance(x, Tensor) and x.requires_grad], v,
                         create_graph=True, allow_unused=True)
        present = [g.reshape(-1) for g in grads if g is not None]
        if not present:
            raise ValueError("gradgradcheck: the output does not depend on any input that requires grad")
        return concatenate(present)

    _check_recorded_equals_plain(fn, inputs, wanted, grad_outputs, atol, rtol)
    return gradcheck(first_derivatives, list(inputs) + [grad_outputs], eps, atol, rtol, fast_mode, seed)


def _check_recorded_equals_plain(fn, inputs, wanted, grad_outputs, atol, rtol):
    """The gradients create_graph records must be the ones the plain backward computes (which
    ``gradcheck`` checks against finite differences): a recorded formula that is wrong but
    differentiated consistently would pass the second-derivative check alone."""
    from .engine import grad

    with grad_mode.enable_grad():
        plain = grad(fn(*inputs), wanted, grad_outputs.detach(), allow_unused=True)
        recorded = grad(fn(*inputs), wanted, grad_outputs.detach(), create_graph=True, allow_unused=True)
    positions = [i for i, x in enumerate(inputs) if any(x is w for w in wanted)]
    for position, p, r in zip(positions, plain, recorded):
        if (p is None) != (r is None):
            raise GradcheckError(f"gradgradcheck: input {position} has a gradient in only one of the plain and "
                                 "recorded backward passes")
        if p is None:
            continue
        p, r = backend.to_device(p.data, "cpu"), backend.to_device(r.data, "cpu")
        if not np.allclose(r, p, rtol=rtol, atol=atol):
            worst = int(np.argmax(np.abs(r - p)))
            raise GradcheckError(f"gradgradcheck: the recorded gradient of input {position} differs from the plain one: "
                                 f"{r.reshape(-1)[worst]:.6g} against {p.reshape(-1)[worst]:.6g} at flat index {worst}")
