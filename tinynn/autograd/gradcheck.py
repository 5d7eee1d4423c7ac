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
import functools

import numpy as np

from .. import backend
from . import grad_mode
from .functional import _grads


class GradcheckError(AssertionError):
    """An analytic gradient disagrees with its finite-difference estimate."""


def _as_inputs(inputs):
    """``inputs`` as a tuple: a Tensor alone (PyTorch takes one as well as a sequence), or a sequence."""
    from ..tensor import Tensor

    return (inputs,) if isinstance(inputs, Tensor) else tuple(inputs)


def _differentiable_outputs(output):
    """The outputs of ``func`` that have a derivative: a Tensor, or those of a tuple or list of
    outputs that are float or complex Tensors (integer outputs, indices, are left out, as PyTorch)."""
    from ..tensor import Tensor

    outputs = output if isinstance(output, (tuple, list)) else (output,)
    if not all(isinstance(o, Tensor) or o is None for o in outputs):
        kinds = ", ".join(type(o).__name__ for o in outputs)
        raise TypeError(f"gradcheck: func must return a Tensor or a sequence of Tensors, got {kinds}")
    return tuple(o for o in outputs if o is not None and o.dtype.kind in "fc")


def _scalar_objective(fn, inputs, projection):
    """``L = sum over outputs y of Re sum(conj(w) * y)`` for fixed random w (complex for a complex
    output), with the outputs; L's gradient is J^H w."""
    outputs = _differentiable_outputs(fn(*inputs))
    if not projection:
        rng = np.random.default_rng(1234)
        for output in outputs:
            xp = backend.get_array_module(output._array)
            seeded = rng.standard_normal(output.shape)
            if output.dtype.kind == "c":
                seeded = seeded + 1j * rng.standard_normal(output.shape)
            projection.append(xp.asarray(seeded))
    total = sum(float((o._array.astype(w.dtype) * w.conj()).real.sum()) for o, w in zip(outputs, projection))
    return outputs, total


def gradcheck(func, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, fast_mode=False, seed=0, *, raise_exception=True,
              nondet_tol=0.0, check_undefined_grad=True, check_grad_dtypes=False, check_batched_grad=False,
              check_batched_forward_grad=False, check_forward_ad=False, check_backward_ad=True, masked=None):
    """Compare the gradients autograd computes for ``func`` with central finite differences.

    ``func(*inputs)`` returns a Tensor or a sequence of them (integer ones are left out); ``inputs``
    is a Tensor or a sequence. The outputs are projected on fixed random directions w,
    L = sum <w, func(x)>, so one backward gives J^T w for every input; a wrong entry of the
    Jacobian J changes J^T w unless it is cancelled exactly, which a random w makes vanishingly
    unlikely. For each input that requires grad:

    * default: every element x_k is perturbed, and dL/dx_k is compared with
      ``(L(x + eps e_k) - L(x - eps e_k)) / (2 eps)``: 2 evaluations per element;
    * ``fast_mode=True``: one random unit direction u per input, comparing the directional
      derivative ``<dL/dx, u>`` with ``(L(x + eps u) - L(x - eps u)) / (2 eps)``
      (v^T J u with v = w): 2 evaluations per input, for large inputs.

    An entry passes when ``|analytic - numerical| <= atol + rtol * |numerical|``. PyTorch's further
    checks: the backward run twice on one graph must agree to ``nondet_tol`` (reentrancy);
    ``check_undefined_grad``: zero output gradients give zero input gradients; ``check_grad_dtypes``:
    each gradient has its input's dtype; ``check_batched_grad``: a batch of output gradients
    (``is_grads_batched``) gives each one's gradients; ``check_forward_ad``: forward mode (J u, by
    ``autograd.functional.jvp``, the double vjp, so through ops whose backward can be recorded, as
    every built-in one's) against finite differences of every output, per element or along a
    random direction with ``fast_mode``; ``check_batched_forward_grad``: J u for a batch of tangents
    through ``func.vmap`` against each one's; ``check_backward_ad=False`` leaves out the backward
    checks. ``masked=True`` (gradients of sparse inputs at their stored entries only) is not
    supported: sparse gradients are compared in their dense form.

    Returns True; on a failure raises GradcheckError naming the input, the worst element, both
    values and the difference, or with ``raise_exception=False`` returns False.
    """
    if masked:
        raise NotImplementedError("gradcheck: masked=True is not supported: tinynn compares the gradients of sparse "
                                  "inputs in their dense form (masked=False)")
    if not (check_forward_ad or check_backward_ad):
        raise ValueError("gradcheck: expected at least one of check_forward_ad or check_backward_ad to be True")
    try:
        _gradcheck(func, _as_inputs(inputs), eps, atol, rtol, fast_mode, seed, nondet_tol, check_undefined_grad,
                   check_grad_dtypes, check_batched_grad, check_batched_forward_grad, check_forward_ad,
                   check_backward_ad)
    except GradcheckError:
        if raise_exception:
            raise
        return False
    return True


def _gradcheck(fn, inputs, eps, atol, rtol, fast_mode, seed, nondet_tol, check_undefined_grad, check_grad_dtypes,
               check_batched_grad, check_batched_forward_grad, check_forward_ad, check_backward_ad):
    from ..tensor import Tensor

    checked = [(i, x) for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    if not checked:
        raise ValueError("gradcheck: no input requires grad, so there is nothing to check")
    original = {i: x._array for i, x in checked}
    try:
        for _, x in checked:
            # C order, so the flat view _check_elementwise perturbs is x's memory (by default astype keeps a
            # transpose's layout, and reshape(-1) would then copy)
            x.data = x._array.astype(np.complex128 if x.dtype.kind == "c" else np.float64, order="C")
            x.grad = None
        projection = []

        def objective():
            with grad_mode.no_grad():
                return _scalar_objective(fn, inputs, projection)[1]

        if check_backward_ad:
            analytic = _backward_checks(fn, inputs, checked, projection, nondet_tol, check_undefined_grad,
                                        check_grad_dtypes, check_batched_grad)
            for i, x in checked:
                if fast_mode:
                    _check_direction(i, x, analytic[i], objective, eps, atol, rtol, seed)
                else:
                    _check_elementwise(i, x, analytic[i], objective, eps, atol, rtol)
        if check_forward_ad or check_batched_forward_grad:
            _forward_checks(fn, inputs, checked, eps, atol, rtol, fast_mode, seed, check_forward_ad,
                            check_batched_forward_grad)
    finally:
        for i, x in checked:
            x.data = original[i]
            x.grad = None


def _gradients(outputs, wanted, grad_outputs, **options):
    """d<grad_outputs, outputs>/d(wanted), the graph kept (zeros where an input is not reached)."""
    return _grads(outputs, wanted, grad_outputs, False, False, "gradcheck", **options)


def _dense_data(gradient):
    return gradient.to_dense()._array if gradient.is_sparse else gradient._array


def _backward_checks(fn, inputs, checked, projection, nondet_tol, check_undefined_grad, check_grad_dtypes,
                     check_batched_grad):
    """J^T w for every checked input (as arrays), after the checks of the backward pass itself."""
    from ..tensor import Tensor

    wanted = [x for _, x in checked]
    with grad_mode.enable_grad():
        outputs, _ = _scalar_objective(fn, inputs, projection)
        vectors = [Tensor._from_op(w.astype(o.dtype), False) for o, w in zip(outputs, projection)]
        first = _gradients(outputs, wanted, vectors)
        second = _gradients(outputs, wanted, vectors)
        for (i, x), a, b in zip(checked, first, second):
            a, b = _dense_data(a), _dense_data(b)
            difference = float(np.max(np.abs(backend.to_device(a - b, "cpu")), initial=0.0))
            if not difference <= nondet_tol:
                raise GradcheckError(f"gradcheck: backward is not reentrant: run twice on one graph with the same output "
                                     f"gradient it gave input {i} gradients {difference:.3g} apart (nondet_tol={nondet_tol})")
        if check_grad_dtypes:
            _check_gradient_dtypes(outputs, wanted, vectors)
        if check_undefined_grad:
            zeros = [Tensor._from_op(v._array * 0, False) for v in vectors]
            for (i, x), g in zip(checked, _gradients(outputs, wanted, zeros)):
                values = backend.to_device(_dense_data(g), "cpu")
                if np.any(values != 0):
                    raise GradcheckError(f"gradcheck: zero output gradients gave input {i} a nonzero gradient "
                                         f"(largest {np.max(np.abs(values)):.3g}): an undefined output gradient must "
                                         f"count as zeros")
        if check_batched_grad:
            _check_batched_backward(outputs, checked, vectors)
    return {i: _dense_data(g) for (i, _), g in zip(checked, first)}


def _check_gradient_dtypes(outputs, wanted, vectors):
    """Every op of the graph hands back gradients in its inputs' dtypes (the engine would cast a
    leaf's gradient back to the leaf's dtype at the end, hiding a lower precision on the way):
    each op's backward is checked as it runs."""
    functions, seen, stack = [], set(), [o.grad_fn for o in outputs if o.grad_fn is not None]
    while stack:
        function = stack.pop()
        if id(function) in seen:
            continue
        seen.add(id(function))
        functions.append(function)
        stack.extend(t.grad_fn for t in function.inputs if t is not None and t.grad_fn is not None)

    def checked_backward(function, backward, gy):
        grads = backward(gy)
        for k, (x, g) in enumerate(zip(function.inputs, grads if isinstance(grads, tuple) else (grads,))):
            if g is not None and x is not None and g.dtype != x.dtype and not (g.dtype.kind == "c" and x.dtype.kind != "c"):
                raise GradcheckError(f"gradcheck: {function.name}'s backward gave its input {k} a {g.dtype} gradient, "
                                     f"the input being {x.dtype}")
        return grads

    # (an op may have a backward of its own already, a non-reentrant checkpoint's, which takes itself off
    # once it has run: put back whatever was there, and only where the checking one is still in place)
    previous = {id(function): function.__dict__.get("backward") for function in functions}
    checking = {id(function): functools.partial(checked_backward, function, function.backward) for function in functions}
    for function in functions:
        function.backward = checking[id(function)]
    try:
        _gradients(outputs, wanted, vectors)
    finally:
        for function in functions:
            if function.__dict__.get("backward") is checking[id(function)]:
                if previous[id(function)] is None:
                    del function.backward
                else:
                    function.backward = previous[id(function)]


def _check_batched_backward(outputs, checked, vectors):
    """``grad(..., is_grads_batched=True)`` with the rows (w, -2 w) equals the two gradients taken apart."""
    from ..tensor import Tensor, stack

    rows = [[v, Tensor._from_op(v._array * -2, False)] for v in vectors]
    wanted = [x for _, x in checked]
    batched = _gradients(outputs, wanted, [stack(r) for r in rows], is_grads_batched=True)
    for k in range(2):
        single = _gradients(outputs, wanted, [r[k] for r in rows])
        for (i, x), b, s in zip(checked, batched, single):
            b_row = _dense_data(b)[k] if b.ndim > x.ndim else _dense_data(b)  # (zeros of x's shape: not reached)
            if not np.allclose(backend.to_device(b_row, "cpu"), backend.to_device(_dense_data(s), "cpu"),
                               rtol=1e-10, atol=1e-12):
                raise GradcheckError(f"gradcheck: the batched backward (is_grads_batched) gave input {i} other gradients "
                                     f"for row {k} than that row's backward alone")


def _numerical_columns(fn, inputs, x, direction, eps):
    """(f(x + eps u) - f(x - eps u)) / (2 eps) for every differentiable output (arrays)."""
    saved = x._array.copy()
    with grad_mode.no_grad():
        x.data = saved + eps * direction
        plus = [o._array.copy() for o in _differentiable_outputs(fn(*inputs))]
        x.data = saved - eps * direction
        minus = [o._array for o in _differentiable_outputs(fn(*inputs))]
    x.data = saved
    return [(p - m) / (2 * eps) for p, m in zip(plus, minus)]


def _forward_checks(fn, inputs, checked, eps, atol, rtol, fast_mode, seed, check_forward_ad, check_batched_forward_grad):
    """Forward mode: J u from ``jvp`` against finite differences along u (every unit vector, or one
    random direction per input with ``fast_mode``), and a batch of tangents through vmap. Every J u
    is taken on the graph of one recorded run of func, at the inputs themselves (func may reach them
    through a closure, as a layer its parameters)."""
    from ..tensor import Tensor
    from .functional import unit_vectors

    if any(x.dtype.kind == "c" for _, x in checked):
        raise NotImplementedError("gradcheck: check_forward_ad with complex inputs is not supported")
    with grad_mode.enable_grad():
        outputs = _differentiable_outputs(fn(*inputs))
    for index, (i, x) in enumerate(checked):
        if fast_mode or not check_forward_ad:
            rng = np.random.default_rng(seed + 99 + index)
            direction = rng.standard_normal(x.shape)
            direction = backend.get_array_module(x._array).asarray(direction / max(np.linalg.norm(direction), 1e-12))
            tangents = [Tensor._from_op(direction.astype(x.dtype), False)]
        else:
            tangents = unit_vectors(x)
        for tangent in tangents:
            predicted = _pushed(outputs, x, [tangent])[0]
            if check_forward_ad:
                numerical = _numerical_columns(fn, inputs, x, tangent._array, eps)
                for o, (p, n) in enumerate(zip(predicted, numerical)):
                    p, n = backend.to_device(p, "cpu"), backend.to_device(n, "cpu")
                    worst = _worst_failure(p, n, atol, rtol)
                    if worst is not None:
                        raise GradcheckError(
                            f"gradcheck: forward mode (jvp) failed for input {i} (shape {tuple(x.shape)}), output {o}: "
                            f"along {'a random direction' if fast_mode else 'a unit vector'} J u is "
                            f"{p.reshape(-1)[worst]:.6g} at flat index {worst}, numerical {n.reshape(-1)[worst]:.6g} "
                            f"(atol={atol}, rtol={rtol})")
            if check_batched_forward_grad:
                doubled = Tensor._from_op(tangent._array * -2, False)
                batch = _pushed(outputs, x, [tangent, doubled], batched=True)
                single = _pushed(outputs, x, [doubled])[0]
                for row, expected in ((0, predicted), (1, single)):
                    for o, (b, e) in enumerate(zip(batch[row], expected)):
                        if not np.allclose(backend.to_device(b, "cpu"), backend.to_device(e, "cpu"), rtol=1e-10, atol=1e-12):
                            raise GradcheckError(f"gradcheck: the batched forward mode (vmap of jvp) gave output {o} "
                                                 f"another J u for tangent {row} of input {i} than that tangent alone")


def _pushed(outputs, x, tangents, batched=False):
    """[J u for each of ``outputs``] for each tangent u of input ``x`` (the others held still), by the
    double vjp of ``autograd.functional`` on the outputs' graph; with ``batched``, the tangents
    stacked and mapped by ``func.vmap``."""
    from ..func import vmap
    from ..tensor import stack
    from .functional import _forward_mode

    def pushed(tangent):
        return _forward_mode(outputs, (x,), (tangent,), False, False, "gradcheck")

    if batched:
        mapped = vmap(pushed)(stack(tangents))
        return [[column._array[row] for column in mapped] for row in range(len(tangents))]
    return [[column._array for column in pushed(tangent)] for tangent in tangents]


def _worst_failure(analytic, numerical, atol, rtol):
    """The flat index of the worst entry outside ``atol + rtol * |numerical|`` (a non-finite analytic
    one first), or None where every entry passes."""
    analytic, numerical = analytic.reshape(-1), numerical.reshape(-1)
    if not np.all(np.isfinite(analytic)):
        return int(np.argmin(np.isfinite(analytic)))
    excess = np.abs(analytic - numerical) - (atol + rtol * np.abs(numerical))
    worst = int(np.argmax(excess)) if excess.size else None
    return worst if worst is not None and excess[worst] > 0 else None


def _check_elementwise(index, x, analytic, objective, eps, atol, rtol):
    flat = x._array.reshape(-1)  # a view: perturbing it perturbs x
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
    worst = _worst_failure(analytic, numerical, atol, rtol)
    if worst is not None:
        position = np.unravel_index(worst, x.shape) if x.ndim else ()
        raise GradcheckError(
            f"gradcheck failed for input {index} (shape {tuple(x.shape)}) at index "
            f"{tuple(int(p) for p in position)}: analytic {analytic[worst]:.6g}, numerical "
            f"{numerical[worst]:.6g}, difference {abs(analytic[worst] - numerical[worst]):.3g} "
            f"(atol={atol}, rtol={rtol})"
        )


def _check_direction(index, x, analytic, objective, eps, atol, rtol, seed):
    xp = backend.get_array_module(x._array)
    rng = np.random.default_rng(seed + index)
    direction = rng.standard_normal(x.shape)
    if x.dtype.kind == "c":
        direction = direction + 1j * rng.standard_normal(x.shape)
    direction = xp.asarray(direction / max(np.linalg.norm(direction), 1e-12))
    saved = x._array.copy()
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


def gradgradcheck(func, inputs, grad_outputs=None, eps=1e-6, atol=1e-5, rtol=1e-3, fast_mode=False, seed=0, *,
                  gen_non_contig_grad_outputs=False, raise_exception=True, nondet_tol=0.0, check_undefined_grad=True,
                  check_grad_dtypes=False, check_batched_grad=False, check_fwd_over_rev=False, check_rev_over_rev=True,
                  masked=False):
    """Check second derivatives (PyTorch's ``gradgradcheck``): ``gradcheck`` of the map

        (inputs, v) -> J(inputs)^T v,   the gradients of <v, func(inputs)> with respect to the inputs,

    computed with ``create_graph=True``. Its derivative in the inputs is v-weighted second
    derivatives (for a scalar func, the Hessian); in v it is J itself, so the recorded backward is
    checked both ways: by reverse mode (``check_rev_over_rev``, the default) and by forward mode
    over it (``check_fwd_over_rev``). ``grad_outputs`` is v, one per differentiable output (random,
    float64, fixed by ``seed``, if not given; laid out with gaps in memory with
    ``gen_non_contig_grad_outputs``). The other options are ``gradcheck``'s. Returns True; raises
    GradcheckError as ``gradcheck`` does (the v are the last inputs), or returns False with
    ``raise_exception=False``."""
    from ..tensor import Tensor, concatenate
    from .engine import grad

    if masked:
        raise NotImplementedError("gradgradcheck: masked=True is not supported: sparse gradients are compared densely")
    if not (check_fwd_over_rev or check_rev_over_rev):
        raise ValueError("gradgradcheck: expected at least one of check_fwd_over_rev or check_rev_over_rev to be True")
    inputs = _as_inputs(inputs)
    wanted = [x for x in inputs if isinstance(x, Tensor) and x.requires_grad]
    if not wanted:
        raise ValueError("gradgradcheck: no input requires grad, so there is nothing to check")
    if grad_outputs is None:
        with grad_mode.enable_grad():  # for the outputs' shapes (func may take gradients itself)
            outputs = _differentiable_outputs(func(*inputs))
        xp = backend.get_array_module(wanted[0]._array)
        rng = np.random.default_rng(seed + 4321)
        grad_outputs = []
        for output in outputs:
            draw = rng.standard_normal(output.shape)
            if output.dtype.kind == "c":
                draw = draw + 1j * rng.standard_normal(output.shape)
            if gen_non_contig_grad_outputs and draw.ndim:  # every other element of an array twice as long
                spread = np.zeros(draw.shape[:-1] + (2 * draw.shape[-1],), dtype=draw.dtype)
                spread[..., ::2] = draw
                array = xp.asarray(spread)[..., ::2]
            else:
                array = xp.asarray(draw)
            grad_outputs.append(Tensor._from_op(array, False).requires_grad_())
    grad_outputs = list(_as_inputs(grad_outputs))
    count = len(inputs)

    def first_derivatives(*inputs_and_v):
        given, vectors = inputs_and_v[:count], inputs_and_v[count:]
        with grad_mode.enable_grad():
            outputs = _differentiable_outputs(func(*given))
            grads = grad(list(outputs), [x for x in given if isinstance(x, Tensor) and x.requires_grad], list(vectors),
                         create_graph=True, allow_unused=True)
        present = [g.reshape(-1) for g in grads if g is not None]
        if not present:
            raise ValueError("gradgradcheck: the output does not depend on any input that requires grad")
        return concatenate(present)

    try:
        _check_recorded_equals_plain(func, inputs, wanted, grad_outputs, atol, rtol)
    except GradcheckError:
        if raise_exception:
            raise
        return False
    return gradcheck(first_derivatives, list(inputs) + grad_outputs, eps, atol, rtol, fast_mode, seed,
                     raise_exception=raise_exception, nondet_tol=nondet_tol, check_undefined_grad=check_undefined_grad,
                     check_grad_dtypes=check_grad_dtypes, check_batched_grad=check_batched_grad,
                     check_forward_ad=check_fwd_over_rev, check_backward_ad=check_rev_over_rev)


def _check_recorded_equals_plain(fn, inputs, wanted, grad_outputs, atol, rtol):
    """The gradients create_graph records must be the ones the plain backward computes (which
    ``gradcheck`` checks against finite differences): a recorded formula that is wrong but
    differentiated consistently would pass the second-derivative check alone."""
    from .engine import grad

    vectors = [v.detach() for v in grad_outputs]
    with grad_mode.enable_grad():
        plain = grad(list(_differentiable_outputs(fn(*inputs))), wanted, vectors, allow_unused=True)
        recorded = grad(list(_differentiable_outputs(fn(*inputs))), wanted, vectors, create_graph=True,
                        allow_unused=True)
    positions = [i for i, x in enumerate(inputs) if any(x is w for w in wanted)]
    for position, p, r in zip(positions, plain, recorded):
        if (p is None) != (r is None):
            raise GradcheckError(f"gradgradcheck: input {position} has a gradient in only one of the plain and "
                                 "recorded backward passes")
        if p is None:
            continue
        p, r = backend.to_device(p._array, "cpu"), backend.to_device(r._array, "cpu")
        if not np.allclose(r, p, rtol=rtol, atol=atol):
            worst = int(np.argmax(np.abs(r - p)))
            raise GradcheckError(f"gradgradcheck: the recorded gradient of input {position} differs from the plain one: "
                                 f"{r.reshape(-1)[worst]:.6g} against {p.reshape(-1)[worst]:.6g} at flat index {worst}")
