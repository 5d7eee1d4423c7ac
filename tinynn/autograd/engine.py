"""Reverse-mode differentiation: walk the recorded graph backwards, applying the chain rule.

``backward(root, grad)`` sorts the tensors that led to ``root`` topologically (with an explicit
stack, so a chain of 10,000 ops needs no deep recursion), then visits them from ``root``
towards the leaves. Each tensor's gradient is complete when it is visited, because every op
that used it came later in the forward pass and so was visited earlier here: gradients from
several uses (a diamond) are summed first. A Function turns its output's gradient into its
inputs' gradients; a leaf that requires grad adds its gradient into ``.grad``.

``grad(outputs, inputs)`` walks the same way but returns the gradients of the given tensors
(leaves or not) instead of adding anything into ``.grad``.

With ``create_graph=True`` the walk itself is recorded: gradients are Tensors and every op's
backward runs as recorded Tensor ops (``Function.backward_graph``), so a gradient has a graph
of its own and can be differentiated again: Hessian-vector products, gradient penalties,
d/dx of a network's output inside a loss. Every op of tinynn supports it (a user's op whose
backward runs on arrays raises ``NotImplementedError`` naming it when a gradient of a gradient
would pass through it). (The recurrent layers, grid_sample and CTC replay
their forward as recorded ops.) (Attention, the transformer layers and the
other composite layers are made of supported ops.) An op whose gradient is on purpose not its
derivative (``scale_grad_by_freq``) differentiates that gradient.

``grad`` runs the backward passes of the ops that lie between its outputs and its inputs only
(and not those that made the inputs).

A gradient may also be a sparse tensor (tinynn/sparse.py): an embedding looked up with
``sparse=True`` returns its table's gradient as the rows it used. It reaches the table's ``.grad``
(or ``grad``'s result, or a hook) as it is; two sparse gradients of one tensor add up sparse, a
sparse and a dense one dense, and an op's backward always receives the dense form.
"""
import warnings

import numpy as np

from ..errors import InputError
from .. import backend
from . import anomaly, grad_mode, in_place, profiling


def _topological_order(roots):
    """Tensors reachable from ``roots`` through grad_fn, each after all tensors it was made from."""
    order, visited = [], set()
    stack = [(root, False) for root in reversed(roots)]
    while stack:
        tensor, children_done = stack.pop()
        if children_done:
            order.append(tensor)
            continue
        if id(tensor) in visited:
            continue
        visited.add(id(tensor))
        stack.append((tensor, True))
        function = tensor.grad_fn
        if function is not None:
            if getattr(function, "released", False):
                raise RuntimeError(
                    "backward: trying to backward through the graph a second time, but its saved "
                    "values were freed after the first backward; call .backward(retain_graph=True) "
                    "the first time if you need to go through it again"
                )
            for parent in function.inputs:
                if parent is not None and parent.requires_grad and id(parent) not in visited:
                    stack.append((parent, False))
    return order


def _leading_to(order, wanted):
    """The tensors of ``order`` (a topological order) from which a tensor in ``wanted`` (ids) can
    be reached: ``grad`` needs only their backward passes, not those of branches leading elsewhere."""
    leads = set(wanted)
    for tensor in order:  # every tensor comes after the tensors it was made from
        function = tensor.grad_fn
        if function is not None and any(parent is not None and id(parent) in leads for parent in function.inputs):
            leads.add(id(tensor))
    return [tensor for tensor in order if id(tensor) in leads]


_walks = []  # for each walk under way (they nest: a Function's backward may walk a graph of its own), whether
              # it adds into the leaves' .grad (backward) or only returns gradients (grad)


_callbacks = []  # queue_callback's functions, run when the outermost walk has finished


def queue_callback(callback):
    """Run ``callback()`` once the backward pass under way has finished, every gradient accumulated
    (PyTorch's ``Variable._execution_engine.queue_callback``; DistributedDataParallel reduces the
    gradients there). Only during a backward pass (from a hook)."""
    if not _walks:
        raise RuntimeError("queue_callback: no backward pass is running; call it from a hook during one")
    _callbacks.append(callback)


def accumulates_into_leaves():
    """True inside ``backward()``'s walk, False inside ``grad()``'s (see tinynn.utils.checkpoint)."""
    return _walks[-1] if _walks else True


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, grad_variables=None, inputs=None):
    """Add d(tensors)/d(leaf), weighted by ``grad_tensors``, into ``leaf.grad`` for every leaf that
    requires grad (PyTorch's ``torch.autograd.backward``; ``tensor.backward()`` calls it).

    ``grad_tensors``: one gradient per tensor (None, or left out, for a single-value tensor: then 1);
    ``grad_variables`` is its old name, taken with PyTorch's warning.
    ``inputs``: only these tensors (leaves, or any tensors of the graph) receive a ``.grad``; the walk
    then stops at them, as ``grad`` does. ``create_graph`` and ``retain_graph``: as in ``grad``."""
    if grad_variables is not None:
        if grad_tensors is not None:
            raise RuntimeError("backward: 'grad_tensors' and 'grad_variables' (deprecated) were both given; "
                               "give 'grad_tensors' only")
        warnings.warn("backward: 'grad_variables' is deprecated; use 'grad_tensors'", FutureWarning, stacklevel=2)
        grad_tensors = grad_variables
    outputs, root_grads = root_gradients("backward", tensors, grad_tensors, "grad_tensors", create_graph)
    accumulate(outputs, root_grads, retain_graph, create_graph, inputs)


def accumulate(outputs, root_grads, retain_graph=None, create_graph=False, inputs=None):
    """``backward`` from checked starting gradients (see ``root_gradients``)."""
    from ..tensor import Tensor

    retain_graph = create_graph if retain_graph is None else retain_graph
    if inputs is None:
        _walk(outputs, root_grads, retain_graph, create_graph=create_graph)
        return
    inputs = [inputs] if isinstance(inputs, Tensor) else list(inputs)
    if not inputs:
        raise InputError("backward: inputs is empty; leave it out to reach every leaf")
    for position, tensor in enumerate(inputs):
        if not isinstance(tensor, Tensor) or not tensor.requires_grad:
            raise RuntimeError(f"backward: inputs[{position}] does not require grad")
    captured = {id(tensor): None for tensor in inputs}
    _walk(outputs, root_grads, retain_graph, captured, create_graph)
    kept = {id(_memory_of(g)): g for g in root_grads if not isinstance(g, Tensor)}
    for tensor in {id(tensor): tensor for tensor in inputs}.values():
        gradient = captured[id(tensor)]
        if gradient is not None:
            tensor._accumulate_grad(_owned(gradient, tensor, kept))
            for hook in (tensor._post_accumulate_grad_hooks or {}).values():
                hook(tensor)


def root_gradients(caller, outputs, given_grads, argument, create_graph):
    """The outputs as a list, and the gradient each starts from: the given one (an array, or a
    Tensor kept as is under create_graph), checked against the output's shape and device, or 1
    for a single-value output."""
    from ..tensor import Tensor

    outputs = [outputs] if isinstance(outputs, Tensor) else list(outputs)
    if given_grads is None or not isinstance(given_grads, (list, tuple)):
        given_grads = [given_grads] * len(outputs) if given_grads is None else [given_grads]
    if len(given_grads) != len(outputs):
        raise InputError(f"{caller}: {len(outputs)} outputs but {len(given_grads)} {argument}")
    root_grads = []
    for position, (output, given) in enumerate(zip(outputs, given_grads)):
        if not isinstance(output, Tensor) or not output.requires_grad:
            raise RuntimeError(f"{caller}: output {position} does not require grad and has no grad_fn")
        if given is None:
            if output.dtype.kind == "c":
                raise RuntimeError(f"{caller}: a gradient can be implicitly created only for real outputs, but "
                                   f"output {position} is {output.dtype}; take .real, .abs() or pass {argument}")
            if output._array.size != 1:
                raise RuntimeError(f"{caller}: {argument} must be given for an output with more than one value (a "
                                   f"single-value output's is 1), but output {position} has shape {tuple(output.shape)}; "
                                   "pass one of that shape (or call .sum() first)")
            root_grads.append(backend.get_array_module(output._array).ones(output.shape, dtype=output.dtype))
            continue
        array = given._array if isinstance(given, Tensor) else given
        if tuple(array.shape) != output.shape:
            raise InputError(f"{caller}: {argument}[{position}] has shape {tuple(array.shape)}, "
                             f"output {position} has shape {tuple(output.shape)}")
        if backend.device_of(array) != output.device:
            raise RuntimeError(f"{caller}: {argument}[{position}] is on {backend.device_of(array)}, "
                               f"output {position} is on {output.device}")
        root_grads.append(given if create_graph and isinstance(given, Tensor) else array)
    return outputs, root_grads


def _walk(roots, root_grads, retain_graph, captured=None, create_graph=False):
    """Back-propagate ``root_grads`` from ``roots``. Without ``captured`` leaves accumulate into
    ``.grad``; with it (a dict keyed by the ids of the wanted tensors) nothing is accumulated and
    each wanted tensor's complete gradient is stored there instead. Gradients are arrays, or
    Tensors recorded in a graph of their own with ``create_graph``."""
    _walks.append(captured is None)
    try:
        _walk_graph(roots, root_grads, retain_graph, captured, create_graph)
    except BaseException:
        if len(_walks) == 1:
            _callbacks.clear()  # a failed backward pass runs no callbacks
        raise
    finally:
        _walks.pop()
    while not _walks and _callbacks:
        _callbacks.pop(0)()


def _walk_graph(roots, root_grads, retain_graph, captured, create_graph):
    from ..tensor import Tensor

    order = _topological_order(roots)
    included = None
    if captured is not None:
        order = _leading_to(order, captured)
        included = {id(tensor) for tensor in order}
    for tensor in order:  # before any gradient is added anywhere
        if tensor.grad_fn is not None and tensor.grad_fn._overwritten_by is not None:
            in_place.check_backward(tensor.grad_fn)
    grads = {}
    kept = {id(_memory_of(g)): g for g in root_grads if not isinstance(g, Tensor)}  # (the caller's arrays)
    for root, root_grad in zip(roots, root_grads):
        if create_graph and not isinstance(root_grad, Tensor):
            root_grad = Tensor._from_op(root_grad, False)
        grads[id(root)] = root_grad if id(root) not in grads else _summed(grads[id(root)], root_grad, create_graph)
    with grad_mode.enable_grad() if create_graph else grad_mode.no_grad():
        for tensor in reversed(order):
            grad = grads.pop(id(tensor), None)
            if grad is None:
                continue
            for hook in tensor._grad_hooks.values():
                replaced = hook(grad if create_graph else tensor._wrap_grad(grad))
                if replaced is not None:
                    grad = hook_replacement(hook, replaced, grad, create_graph)
            function = tensor.grad_fn
            if captured is not None:
                if id(tensor) in captured:
                    captured[id(tensor)] = grad
                if function is None:
                    continue
            elif function is None:
                tensor._accumulate_grad(_owned(grad, tensor, kept))
                for hook in (tensor._post_accumulate_grad_hooks or {}).values():
                    hook(tensor)
                continue
            elif tensor._retains_grad:
                tensor._accumulate_grad(_owned(grad, tensor, kept))
            if included is not None and not any(p is not None and id(p) in included for p in function.inputs):
                continue  # a wanted tensor made from nothing wanted: its own inputs' gradients are not needed
            grad = _dense(grad, create_graph)
            if function._node_prehooks:
                grad = _node_prehooks(function, grad, create_graph)
            event = None if profiling.recorder is None else profiling.recorder.begin(function.name + "Backward", (grad,),
                                                                                    op=function)
            try:
                input_grads = function.backward_graph(grad, tensor) if create_graph else function.backward(grad)
                if event is not None:
                    profiling.recorder.end(event, input_grads)
                if not isinstance(input_grads, tuple):
                    input_grads = (input_grads,)
                if function._node_hooks:
                    input_grads = _node_hooks(function, input_grads, grad, create_graph)
                received = []
                for parent, parent_grad, needed in zip(function.inputs, input_grads, function.needs_input_grad):
                    if not needed or parent_grad is None:
                        continue
                    _check_grad_shape(function, parent, parent_grad)
                    if parent_grad.dtype != parent.dtype and not _is_sparse(parent_grad):
                        if parent_grad.dtype.kind == "c" and parent.dtype.kind != "c":
                            parent_grad = parent_grad.real  # a real input promoted to complex (ops/complex.py)
                        if parent_grad.dtype != parent.dtype:  # as PyTorch's: a gradient in its tensor's dtype (that
                            # of a float16 input to a float64 product, or of float16 computed in float32, rounded)
                            parent_grad = (parent_grad.to(dtype=parent.dtype) if create_graph
                                           else parent_grad.astype(parent.dtype))
                    if anomaly.is_anomaly_enabled():
                        from ..sparse import stored_numbers

                        anomaly.check_finite(f"{function.name} backward", "the gradient it returned",
                                             stored_numbers(parent_grad))
                    received.append((parent, parent_grad))
            except Exception as error:  # (under detect_anomaly, it says where the forward pass made this op)
                anomaly.report_backward_error(function.name, function._anomaly_trace, error)
                raise
            for parent, parent_grad in received:
                key = id(parent)
                grads[key] = parent_grad if key not in grads else _summed(grads[key], parent_grad, create_graph)
            if not retain_graph:
                function.release()


def _is_sparse(gradient):
    return getattr(gradient, "is_sparse", False)


def _dense(gradient, create_graph):
    """A sparse gradient's dense form (a recorded Tensor with create_graph, else an array); any
    other gradient as it is."""
    if not _is_sparse(gradient):
        return gradient
    dense = gradient.to_dense()
    return dense if create_graph else dense._array


def _summed(first, second, create_graph):
    """The sum of two gradients of one tensor: sparse if both are, else dense."""
    if _is_sparse(first) != _is_sparse(second):
        first, second = _dense(first, create_graph), _dense(second, create_graph)
    return first + second


def _memory_of(array):
    """The array that owns ``array``'s memory (itself, or the base its view was cut from)."""
    while getattr(array, "base", None) is not None and hasattr(array.base, "base"):
        array = array.base
    return array


def _owned(gradient, tensor, kept):
    """``gradient`` for ``tensor`` to keep as its ``.grad``, copied where a ``.grad`` set earlier in
    this pass, or the caller's starting gradient, holds its memory: an op may hand one array to
    several inputs (Add gives both the same dL/dy, a reshape a view of it), and each ``.grad`` must
    be its own, so that an in-place change to one (GradScaler.unscale_, clipping, ``grad.mul_``)
    reaches that one alone, as PyTorch's AccumulateGrad copies a gradient still in use elsewhere.
    Only the first gradient is kept as it is (later ones are added into a new array); a recorded
    one (create_graph) is a Tensor of the new graph, left as it is. ``kept``: {id: memory owner}."""
    from ..sparse import stored_numbers
    from ..tensor import Tensor

    if tensor._grad is not None or isinstance(gradient, Tensor) or (_is_sparse(gradient) and gradient.requires_grad):
        return gradient
    owner = _memory_of(stored_numbers(gradient))
    if id(owner) in kept:
        gradient = gradient.clone() if _is_sparse(gradient) else gradient.copy()
        owner = _memory_of(stored_numbers(gradient))
    kept[id(owner)] = owner
    return gradient


def _wrapped(array):
    from ..tensor import Tensor

    return array if array is None or isinstance(array, Tensor) or _is_sparse(array) else Tensor._from_op(array, False)


def _node_prehooks(function, grad, create_graph):
    """grad_output after the node's pre-hooks (each sees a tuple of Tensors, may return a new one)."""
    for hook in list(function._node_prehooks.values()):
        replaced = hook((_wrapped(grad),))
        if replaced is not None:
            grad = hook_replacement(hook, hook_results(hook, replaced, 1, "grad_outputs")[0], grad, create_graph)
    return grad


def _node_hooks(function, input_grads, grad, create_graph):
    """grad_inputs after the node's hooks (each sees them and grad_outputs, may return new ones)."""
    for hook in list(function._node_hooks.values()):
        replaced = hook(tuple(_wrapped(g) for g in input_grads), (_wrapped(grad),))
        if replaced is not None:
            replaced = hook_results(hook, replaced, len(input_grads), "grad_inputs")
            input_grads = tuple(hook_replacement(hook, value, given, create_graph)
                                for given, value in zip(input_grads, replaced))
    return input_grads


def hook_name(hook):
    return getattr(hook, "__name__", type(hook).__name__)


def hook_results(hook, replaced, count, what):
    """A hook's returned gradients (in place of the ``count`` it was given, named ``what``), checked to be
    a tuple or list of as many."""
    if not isinstance(replaced, (tuple, list)) or len(replaced) != count:
        got = (f"{len(replaced)} value{'' if len(replaced) == 1 else 's'}" if isinstance(replaced, (tuple, list))
               else f"a {type(replaced).__name__}")
        raise RuntimeError(f"hook {hook_name(hook)!r} returned {got}; expected None or a tuple of {count} "
                           f"{what}, one for each it was given")
    return replaced


def hook_replacement(hook, value, grad, create_graph):
    """A hook's replacement ``value`` for the gradient ``grad``, checked as PyTorch checks it: None where
    ``grad`` is None (an input that got no gradient), else a Tensor of the gradient's shape, dtype and
    device (a hook may scale or mask a gradient, not reshape or retype it). As the walk carries it: a
    Tensor with create_graph, else an array."""
    from ..tensor import Tensor

    if value is None or grad is None:
        if value is not None:
            raise RuntimeError(f"hook {hook_name(hook)!r} returned a gradient where it was given None (a tensor "
                               "that got no gradient); return None there")
        return None
    if not (isinstance(value, Tensor) or _is_sparse(value)):
        raise TypeError(f"hook {hook_name(hook)!r} returned a {type(value).__name__} as a gradient; expected a "
                        f"Tensor (or None to keep the gradient)")
    expected = [("shape", tuple(grad.shape), tuple(value.shape)), ("dtype", np.dtype(grad.dtype), np.dtype(value.dtype))]
    if not _is_sparse(value) and not _is_sparse(grad):
        given = grad._array if isinstance(grad, Tensor) else grad
        expected.append(("device", backend.device_of(given), backend.device_of(value._array)))
    for what, wanted, got in expected:
        if wanted != got:
            raise RuntimeError(f"hook {hook_name(hook)!r} changed the gradient's {what} from {wanted} to {got}; a "
                               f"hook's replacement must have the {what} of the gradient it was given")
    if _is_sparse(value):
        return value
    return value if create_graph else value._array


def _check_grad_shape(function, parent, parent_grad):
    if parent_grad.shape != parent._array.shape:  # (a Size or a tuple either side: tuples compare equal)
        raise RuntimeError(
            f"{function.name}.backward returned a gradient of shape {tuple(parent_grad.shape)} "
            f"for an input of shape {tuple(parent.shape)}"
        )


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False, only_inputs=True,
         allow_unused=None, is_grads_batched=False, materialize_grads=False):
    """The gradients of ``outputs`` with respect to ``inputs`` (PyTorch's ``torch.autograd.grad``):
    sum_k d(outputs[k])/d(inputs[i]) weighted by ``grad_outputs[k]`` (ones for single-value outputs),
    as a tuple of Tensors, one per input, which may be any tensors of the graph, not only leaves.
    Nothing is added into any ``.grad``. An input the outputs do not depend on is an error, or None
    with ``allow_unused`` (zeros with ``materialize_grads``, as PyTorch's). With ``create_graph`` the
    gradients are recorded, functions of the inputs (and of ``grad_outputs`` given as Tensors that
    require grad) that can be differentiated again; the graph is then kept unless ``retain_graph=False``.
    ``is_grads_batched``: each grad_outputs tensor has a leading batch dimension, one vector-Jacobian
    product per row, stacked (rows of a Jacobian at once; tinynn runs one backward pass per row,
    where PyTorch vectorizes them with vmap). ``only_inputs`` is PyTorch's old argument, ignored as there
    (with its warning when False): ``grad`` never adds into any ``.grad``."""
    if not only_inputs:
        warnings.warn("grad: only_inputs is deprecated and ignored (it is always True); to accumulate gradients "
                      "into other parts of the graph use tinynn.autograd.backward", UserWarning, stacklevel=2)
    from ..tensor import Tensor, zeros_like

    if is_grads_batched:
        return _batched_grad(outputs, inputs, grad_outputs, retain_graph, create_graph, allow_unused, materialize_grads)

    if materialize_grads and allow_unused is False:
        raise InputError("grad: materialize_grads=True gives zeros for unused inputs; it needs allow_unused True or "
                         "left out, got allow_unused=False")
    allow_unused = bool(allow_unused) or materialize_grads

    outputs, root_grads = root_gradients("grad", outputs, grad_outputs, "grad_outputs", create_graph)
    inputs = [inputs] if isinstance(inputs, Tensor) else list(inputs)
    for position, tensor in enumerate(inputs):
        if not isinstance(tensor, Tensor) or not tensor.requires_grad:
            raise RuntimeError(f"grad: input {position} does not require grad")
    captured = {id(tensor): None for tensor in inputs}
    _walk(outputs, root_grads, create_graph if retain_graph is None else retain_graph, captured, create_graph)
    results = []
    for position, tensor in enumerate(inputs):
        value = captured[id(tensor)]
        if value is None and not allow_unused:
            raise RuntimeError(f"grad: input {position} (shape {tuple(tensor.shape)}) was not used to compute the outputs; "
                               "pass allow_unused=True to get None for it")
        if value is None and materialize_grads:
            value = zeros_like(tensor)
        if value is None or isinstance(value, Tensor) or _is_sparse(value):
            results.append(value if value is None or value.dtype == tensor.dtype else value.to(dtype=tensor.dtype))
        else:
            results.append(Tensor._from_op(value.astype(tensor.dtype, copy=False), False))
    return tuple(results)


def _batched_grad(outputs, inputs, grad_outputs, retain_graph, create_graph, allow_unused, materialize_grads):
    """``grad`` with ``is_grads_batched``: one backward pass per row of the grad_outputs, stacked."""
    from ..tensor import Tensor, stack

    batched = [grad_outputs] if isinstance(grad_outputs, Tensor) else list(grad_outputs or ())
    if not batched or not all(isinstance(g, Tensor) and g.ndim >= 1 for g in batched):
        raise InputError("grad: is_grads_batched=True needs grad_outputs, Tensors with a leading batch dimension")
    rows = {g.shape[0] for g in batched}
    if len(rows) != 1:
        raise InputError(f"grad: the batched grad_outputs have different batch sizes {sorted(rows)}")
    count = rows.pop()
    single = isinstance(grad_outputs, Tensor)
    per_row = []
    for row in range(count):
        keep = True if row < count - 1 else retain_graph
        per_row.append(grad(outputs, inputs, batched[0][row] if single else [g[row] for g in batched], keep,
                            create_graph, allow_unused=allow_unused, materialize_grads=materialize_grads))
    # an input the outputs do not use is None in every row (allow_unused) or in none
    return tuple(None if per_row[0][i] is None else stack([r[i] for r in per_row]) for i in range(len(per_row[0])))
