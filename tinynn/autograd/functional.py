"""Derivatives of a whole function, PyTorch's ``torch.autograd.functional``: ``vjp``, ``jvp``,
``jacobian``, ``hessian``, ``vhp`` and ``hvp``, each built from ``grad`` (and ``create_graph``).

``func`` takes the ``inputs`` (a Tensor or a tuple of Tensors) and returns a Tensor or a tuple of
Tensors. Results have the structure of what they are taken of: a single Tensor for a single
input, a tuple for a tuple. They are cut from the graph unless ``create_graph=True``, which keeps
them differentiable. Without ``strict``, an output that does not depend on an input gives zeros
for it; with ``strict`` it is an error, as in PyTorch.

With J the Jacobian of func at the inputs and H the Hessian of a scalar func:

* ``vjp``: v^T J (reverse mode: one backward pass), v shaped like the output;
* ``jvp``: J v (forward mode, here by the "double vjp" trick: u -> J^T u is linear in u, and its
  own vjp with v is (J^T)^T v = J v), v shaped like the inputs;
* ``jacobian``: J, one vjp per output element (PyTorch's default strategy) or one jvp per input
  element (``strategy="forward-mode"``), shaped output.shape + input.shape;
* ``hessian``: the Jacobian of the gradient, input.shape + input.shape;
* ``vhp``: v^T H, a vjp of the gradient; ``hvp``: H v, a jvp of the gradient (equal to vhp when H
  is symmetric, as it is for twice continuously differentiable functions).
"""
from .. import backend
from . import grad_mode
from .engine import grad


def _as_tuple(value, what, name):
    from ..tensor import Tensor

    values, is_tuple = (tuple(value), True) if isinstance(value, (tuple, list)) else ((value,), False)
    for position, item in enumerate(values):
        if not isinstance(item, Tensor):
            raise TypeError(f"{name}: {what} must be a Tensor or a tuple of Tensors, got {type(item).__name__} at {position}")
    return values, is_tuple


def _result(values, is_tuple):
    return tuple(values) if is_tuple else values[0]


def _differentiable_inputs(inputs, create_graph, name):
    """Inputs to differentiate with respect to: tensors of their own, or, with create_graph, still
    linked to the inputs' graph (so the results can be differentiated through them too)."""
    prepared = []
    for position, x in enumerate(inputs):
        if x.dtype.kind != "f":
            raise TypeError(f"{name}: input {position} has dtype {x.dtype}; derivatives need floating-point inputs")
        prepared.append(x.reshape(x.shape) if create_graph and x.requires_grad else x.detach().requires_grad_())
    return tuple(prepared)


def _grads(outputs, inputs, grad_outputs, create_graph, strict, name, what="input", **options):
    """d<grad_outputs, outputs>/d(inputs), zeros (or an error with ``strict``) where independent, the
    graph kept; ``options`` go to ``grad`` (``is_grads_batched``)."""
    from ..tensor import zeros_like

    live = [(output, given) for output, given in zip(outputs, grad_outputs) if output.requires_grad]
    found = [None] * len(inputs)
    if live:
        found = list(grad([o for o, _ in live], list(inputs), [g for _, g in live], retain_graph=True,
                          create_graph=create_graph, allow_unused=True, **options))
    results = []
    for position, (value, x) in enumerate(zip(found, inputs)):
        if value is None:
            if strict:
                raise RuntimeError(f"{name}: the output does not depend on {what} {position} (strict=True)")
            value = zeros_like(x)
        results.append(value)
    return tuple(results)


def _checked_vectors(v, like, name, what):
    vectors, _ = _as_tuple(v, what, name)
    if len(vectors) != len(like):
        raise ValueError(f"{name}: expected {len(like)} {what} (one per {'output' if what == 'v' else 'input'}), "
                         f"got {len(vectors)}")
    for position, (vector, target) in enumerate(zip(vectors, like)):
        if vector.shape != target.shape:
            raise ValueError(f"{name}: {what}[{position}] has shape {tuple(vector.shape)}, expected {tuple(target.shape)}")
    return vectors


def _call(func, inputs, name):
    with grad_mode.enable_grad():
        outputs = func(*inputs)
    return _as_tuple(outputs, "the output of func", name)


def _detached(values, create_graph):
    return values if create_graph else tuple(value.detach() for value in values)


def vjp(func, inputs, v=None, create_graph=False, strict=False):
    """(func(inputs), v^T J): the gradient of <v, func(inputs)>; v may be left out for a
    single-value output (then 1)."""
    from ..tensor import ones_like

    inputs, inputs_tuple = _as_tuple(inputs, "inputs", "vjp")
    inputs = _differentiable_inputs(inputs, create_graph, "vjp")
    outputs, outputs_tuple = _call(func, inputs, "vjp")
    if v is None:
        if any(output.numel() != 1 for output in outputs):
            raise ValueError("vjp: v is needed when the output has more than one value")
        v = tuple(ones_like(output) for output in outputs)
    vectors = _checked_vectors(v, outputs, "vjp", "v")
    products = _grads(outputs, inputs, vectors, create_graph, strict, "vjp")
    return (_result(_detached(outputs, create_graph), outputs_tuple),
            _result(_detached(products, create_graph), inputs_tuple))


def jvp(func, inputs, v=None, create_graph=False, strict=False):
    """(func(inputs), J v); v may be left out for a single-value input (then 1)."""
    from ..tensor import ones_like

    inputs, inputs_tuple = _as_tuple(inputs, "inputs", "jvp")
    inputs = _differentiable_inputs(inputs, create_graph, "jvp")
    if v is None:
        if any(x.numel() != 1 for x in inputs):
            raise ValueError("jvp: v is needed when the input has more than one value")
        v = tuple(ones_like(x) for x in inputs)
    vectors = _checked_vectors(v, inputs, "jvp", "v")
    outputs, outputs_tuple = _call(func, inputs, "jvp")
    products = _forward_mode(outputs, inputs, vectors, create_graph, strict, "jvp")
    return (_result(_detached(outputs, create_graph), outputs_tuple),
            _result(_detached(products, create_graph), outputs_tuple))


STRATEGIES = ("forward-mode", "reverse-mode")


def _checked_strategy(strategy, name, argument):
    if strategy not in STRATEGIES:
        raise ValueError(f'{name}: expected {argument} to be either "forward-mode" or "reverse-mode", got {strategy!r}')


def jacobian(func, inputs, create_graph=False, strict=False, vectorize=False, strategy="reverse-mode"):
    """J: for each output and input, a Tensor of shape output.shape + input.shape (a tuple over
    the inputs for tuple inputs, and a tuple over the outputs for tuple outputs).

    ``strategy``: "reverse-mode" takes J a row at a time (a vjp per output element), "forward-mode" a
    column at a time (a jvp per input element, for all outputs at once): the cheaper one has fewer
    passes, forward mode where the inputs have fewer elements than the outputs. ``vectorize``
    (PyTorch's batching of those passes through vmap) is accepted and changes nothing here: the
    passes run one after another, with the same results (tinynn's vmap has no batching rules)."""
    _checked_strategy(strategy, "jacobian", "strategy")
    inputs, inputs_tuple = _as_tuple(inputs, "inputs", "jacobian")
    inputs = _differentiable_inputs(inputs, create_graph, "jacobian")
    outputs, outputs_tuple = _call(func, inputs, "jacobian")
    if strategy == "forward-mode":
        by_output = jacobian_by_columns(outputs, inputs, create_graph, strict, "jacobian")
    else:
        by_output = [jacobian_blocks(output, inputs, create_graph, strict, "jacobian") for output in outputs]
    return _result([_result(_detached(blocks, create_graph), inputs_tuple) for blocks in by_output], outputs_tuple)


def unit_vectors(like):
    """The one-hot Tensors e_0, e_1, ... shaped like ``like`` (its dtype, its device), in C order."""
    from ..tensor import Tensor

    xp = backend.get_array_module(like._array)
    for k in range(like.numel()):
        one_hot = xp.zeros(like.numel(), dtype=like.dtype)
        one_hot[k] = 1
        yield Tensor._from_op(one_hot.reshape(like.shape), False)


def _block(parts, axis, shape, like):
    """A Jacobian block of ``shape`` from its rows (``axis`` 0) or columns (-1); zeros in ``like``'s dtype
    and device where there are none (an output or input of no elements)."""
    from ..tensor import Tensor, stack

    if parts:
        return stack(parts, axis=axis).reshape(shape)
    return Tensor._from_op(backend.get_array_module(like._array).zeros(shape, dtype=like.dtype), False)


def jacobian_by_columns(outputs, inputs, create_graph, strict, name):
    """[[d output / d x for each x of ``inputs``] for each output], shaped output.shape + x.shape: one
    jvp per input element, column k of every output's J from the one-hot vector at k (zeros for the
    other inputs)."""
    from ..tensor import zeros_like

    columns = [[[] for _ in inputs] for _ in outputs]
    for i, x in enumerate(inputs):
        for unit in unit_vectors(x):
            vectors = tuple(unit if j == i else zeros_like(other) for j, other in enumerate(inputs))
            for o, column in enumerate(_forward_mode(outputs, inputs, vectors, create_graph, strict, name)):
                columns[o][i].append(column)
    return [[_block(columns[o][i], -1, tuple(output.shape) + tuple(x.shape), output) for i, x in enumerate(inputs)]
            for o, output in enumerate(outputs)]


def jacobian_blocks(output, inputs, create_graph, strict, name):
    """d output / d x for each x of ``inputs``, shaped output.shape + x.shape: one vjp per output
    element, row k of J from the one-hot vector at k (an output of no elements: empty blocks)."""
    rows = [[] for _ in inputs]
    for unit in unit_vectors(output):
        for i, part in enumerate(_grads((output,), inputs, (unit,), create_graph, strict, name)):
            rows[i].append(part)
    return [_block(rows[i], 0, tuple(output.shape) + tuple(x.shape), x) for i, x in enumerate(inputs)]


def _scalar_gradient(output, inputs, strict, name):
    """d output/d inputs, recorded, for an output holding a single value."""
    from ..tensor import Tensor, ones_like

    if not isinstance(output, Tensor) or output.numel() != 1:
        raise ValueError(f"{name}: func must return a Tensor holding a single value, got "
                         f"{tuple(output.shape) if isinstance(output, Tensor) else type(output).__name__}")
    return _grads((output,), inputs, (ones_like(output),), True, strict, name)


def hessian(func, inputs, create_graph=False, strict=False, vectorize=False, outer_jacobian_strategy="reverse-mode"):
    """H of a single-value func: for inputs x_i, x_j the block of shape x_i.shape + x_j.shape
    (a tuple of tuples for tuple inputs): the Jacobian of the gradient, taken by
    ``outer_jacobian_strategy`` ("reverse-mode": a vjp of the gradient per element, "forward-mode":
    a jvp; the same numbers). ``vectorize`` as in ``jacobian``."""
    _checked_strategy(outer_jacobian_strategy, "hessian", "outer_jacobian_strategy")
    inputs, inputs_tuple = _as_tuple(inputs, "inputs", "hessian")
    blocks = jacobian(lambda *x: _scalar_gradient(func(*x), x, strict, "hessian"), inputs, create_graph, strict,
                      vectorize, outer_jacobian_strategy)
    return blocks if inputs_tuple else blocks[0][0]


def _value_and_gradient(func, inputs, create_graph, strict, name):
    """Prepared inputs, whether they were a tuple, func's single value and its recorded gradient."""
    inputs, inputs_tuple = _as_tuple(inputs, "inputs", name)
    inputs = _differentiable_inputs(inputs, create_graph, name)
    with grad_mode.enable_grad():
        output = func(*inputs)
        return inputs, inputs_tuple, output, _scalar_gradient(output, inputs, strict, name)


def _forward_mode(outputs, inputs, vectors, create_graph, strict, name):
    """J v for the outputs' Jacobian J with respect to the inputs, by the double vjp: u -> J^T u is
    linear in u, so its vjp with v, taken at any u (zeros), is J v."""
    from ..tensor import zeros_like

    dummies = tuple(zeros_like(output).requires_grad_() for output in outputs)
    transposed = _grads(outputs, inputs, dummies, True, strict, name)
    return _grads(transposed, dummies, vectors, create_graph, strict, name, what="output")


def vhp(func, inputs, v=None, create_graph=False, strict=False):
    """(func(inputs), v^T H) for a single-value func: a vjp of the gradient."""
    inputs, inputs_tuple, output, gradients = _value_and_gradient(func, inputs, create_graph, strict, "vhp")
    products = _grads(gradients, inputs, _checked_vectors(v, inputs, "vhp", "v"), create_graph, strict, "vhp")
    return _detached((output,), create_graph)[0], _result(_detached(products, create_graph), inputs_tuple)


def hvp(func, inputs, v=None, create_graph=False, strict=False):
    """(func(inputs), H v) for a single-value func: a jvp of the gradient."""
    inputs, inputs_tuple, output, gradients = _value_and_gradient(func, inputs, create_graph, strict, "hvp")
    products = _forward_mode(gradients, inputs, _checked_vectors(v, inputs, "hvp", "v"), create_graph, strict, "hvp")
    return _detached((output,), create_graph)[0], _result(_detached(products, create_graph), inputs_tuple)
