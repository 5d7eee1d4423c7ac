"""``tinynn.func``: PyTorch's ``torch.func`` function transforms: ``grad``, ``grad_and_value``,
``vjp``, ``jvp``, ``jacrev``, ``jacfwd``, ``hessian``, ``linearize``, ``vmap``, and
``functional_call``, which runs a module with other parameters, for meta-learning and
per-example tricks.

Each transform returns a function of tensors, or of dicts, lists and tuples of them (PyTorch's
pytrees: a module's parameters by name, say), with its results in their structure. The tensors
need not require grad (the transform differentiates with respect to copies of them), and the
transforms nest: ``grad(grad(f))`` is the second derivative, because a transform called on
tensors that are already part of a graph keeps its result in that graph (``create_graph``).
"""
import contextlib

from . import backend, random
from .autograd import enable_grad, functional
from .autograd.engine import grad as autograd_grad
from .tensor import Tensor, stack


def _positions(argnums, count, name):
    positions = (argnums,) if isinstance(argnums, int) else tuple(argnums)
    if not positions or not all(isinstance(p, int) and -count <= p < count for p in positions):
        raise ValueError(f"{name}: argnums must be an int or a tuple of ints below the {count} arguments, got {argnums!r}")
    return tuple(p % count for p in positions)


def _differentiable(value):
    """``value`` itself when it is already in a graph (a transform nested in another), else a
    fresh leaf with its values that requires grad."""
    if not isinstance(value, Tensor):
        raise TypeError(f"tinynn.func: expected Tensor arguments to differentiate, got {type(value).__name__}")
    return value if value.requires_grad else Tensor(value._array, requires_grad=True)


def _gradients(output, targets, name):
    if not isinstance(output, Tensor) or output.numel() != 1:
        raise ValueError(f"{name}: the function must return one number (a tensor of one element), got "
                         f"{type(output).__name__ if not isinstance(output, Tensor) else tuple(output.shape)}")
    # recorded, so that a transform around this one can differentiate the result again
    return _zeros_where_unused(autograd_grad(output, targets, create_graph=True, allow_unused=True), targets)


def _zeros_where_unused(found, targets):
    """The gradients, zeros for the targets the output does not depend on (as torch.func gives)."""
    return tuple(g if g is not None else
                 Tensor._from_op(backend.get_array_module(t._array).zeros(t.shape, dtype=t.dtype), False)
                 for g, t in zip(found, targets))


def _flatten(value):
    """(the tensors of ``value``, a function putting others in their places): ``value`` a tensor, or
    dicts, lists and tuples of them (a module's parameters by name, say: PyTorch's pytrees)."""
    if isinstance(value, Tensor):
        return [value], lambda leaves: leaves[0]
    if isinstance(value, dict):
        parts = [_flatten(part) for part in value.values()]
        keys = list(value)
    elif isinstance(value, (list, tuple)):
        parts = [_flatten(part) for part in value]
        keys = None
    else:
        raise TypeError(f"tinynn.func: expected Tensor arguments (or dicts, lists, tuples of them) to differentiate, "
                        f"got {type(value).__name__}")
    sizes = [len(leaves) for leaves, _ in parts]

    def rebuild(leaves):
        pieces, start = [], 0
        for (_, build), size in zip(parts, sizes):
            pieces.append(build(leaves[start:start + size]))
            start += size
        if keys is not None:
            return type(value)(zip(keys, pieces)) if type(value) is not dict else dict(zip(keys, pieces))
        return type(value)(pieces)
    return [leaf for leaves, _ in parts for leaf in leaves], rebuild


def _differentiable_arguments(args, positions):
    """``args`` with the arguments at ``positions`` (tensors, or dicts, lists and tuples of them)
    made of differentiable leaves; returns (args, the leaves, a function that puts one result per
    leaf back into each chosen argument's structure, as a list over the positions)."""
    args = list(args)
    rebuilds, targets, counts = [], [], []
    for p in positions:
        leaves, rebuild = _flatten(args[p])
        leaves = [_differentiable(leaf) for leaf in leaves]
        args[p] = rebuild(leaves)
        rebuilds.append(rebuild)
        targets.extend(leaves)
        counts.append(len(leaves))

    def per_argument(flat):
        results, start = [], 0
        for rebuild, count in zip(rebuilds, counts):
            results.append(rebuild(list(flat[start:start + count])))
            start += count
        return results
    return args, targets, per_argument


def _split_aux(result, has_aux, name):
    if not has_aux:
        return result, None
    if not isinstance(result, tuple) or len(result) != 2:
        raise ValueError(f"{name}: with has_aux=True the function must return a pair (output, aux), got "
                         f"{type(result).__name__}")
    return result


def grad_and_value(func, argnums=0, has_aux=False):
    """A function returning (gradient, value) of ``func`` (which returns one number, or (number,
    aux) with ``has_aux``) with respect to the argument(s) ``argnums``: tensors, or dicts, lists and
    tuples of them (a module's parameters for ``functional_call``), each gradient in its argument's
    structure."""
    def transformed(*args, **kwargs):
        args, targets, per_argument = _differentiable_arguments(args, _positions(argnums, len(args), "grad"))
        with enable_grad():
            result = func(*args, **kwargs)
        output, aux = _split_aux(result, has_aux, "grad")
        gradients = per_argument(_gradients(output, targets, "grad"))
        gradients = gradients[0] if isinstance(argnums, int) else tuple(gradients)
        return (gradients, (output, aux)) if has_aux else (gradients, output)
    return transformed


def grad(func, argnums=0, has_aux=False):
    """The gradient of ``func`` (returning one number) with respect to argument(s) ``argnums``, as
    a function: ``grad(f)(x)``; with ``has_aux``, (gradient, aux)."""
    both = grad_and_value(func, argnums, has_aux)

    def transformed(*args, **kwargs):
        gradients, value = both(*args, **kwargs)
        return (gradients, value[1]) if has_aux else gradients
    return transformed


def vjp(func, *primals, has_aux=False):
    """(func(*primals), vjp_fn) with vjp_fn(cotangent) the tuple of cotangent^T J, one per primal
    (callable more than once). Primals, outputs and cotangents may be tensors or dicts, lists and
    tuples of them, as torch.func's; each result has its primal's structure."""
    primals, targets, per_argument = _differentiable_arguments(primals, range(len(primals)))
    with enable_grad():
        result = func(*primals)
    output, aux = _split_aux(result, has_aux, "vjp")
    outputs = _flatten(output)[0]

    def vjp_fn(cotangent):
        cotangents = _flatten(cotangent)[0]
        if len(cotangents) != len(outputs):
            raise ValueError(f"vjp: the cotangent has {len(cotangents)} tensors for the output's {len(outputs)}")
        flat = _zeros_where_unused(autograd_grad(outputs, targets, grad_outputs=cotangents, retain_graph=True,
                                                 create_graph=True, allow_unused=True), targets)
        return tuple(per_argument(flat))
    return (output, vjp_fn, aux) if has_aux else (output, vjp_fn)


def jvp(func, primals, tangents, *, strict=False, has_aux=False):
    """(func(*primals), J tangents): the forward-mode derivative along ``tangents``. ``primals`` is
    a tuple of arguments (tensors, or dicts, lists and tuples of them), ``tangents`` a tuple of the
    same structure and shapes; the derivative has the output's structure. With ``has_aux`` func
    returns (output, aux) and the result is (output, derivative, aux). ``strict`` is accepted for
    PyTorch's signature (torch.func itself raises NotImplementedError for strict=True)."""
    if strict:
        raise NotImplementedError("jvp: strict=True is not implemented (nor is it in torch.func)")
    if not isinstance(primals, tuple) or not isinstance(tangents, tuple):
        raise TypeError(f"jvp: expected primals and tangents to be tuples, got {type(primals).__name__} and "
                        f"{type(tangents).__name__}")
    primal_leaves, rebuild = _flatten(primals)
    tangent_leaves, _ = _flatten(tangents)
    if len(tangent_leaves) != len(primal_leaves):
        raise ValueError(f"jvp: the tangents hold {len(tangent_leaves)} tensors for the primals' {len(primal_leaves)}")
    for position, (primal, tangent) in enumerate(zip(primal_leaves, tangent_leaves)):
        if tuple(primal.shape) != tuple(tangent.shape):
            raise ValueError(f"jvp: tangent {position} has shape {tuple(tangent.shape)}, expected its primal's "
                             f"{tuple(primal.shape)}")
    found = {}

    def of_leaves(*leaves):
        output, found["aux"] = _split_aux(func(*rebuild(list(leaves))), has_aux, "jvp")
        outputs, found["rebuild"] = _flatten(output)
        return tuple(outputs)

    outputs, derivatives = functional.jvp(of_leaves, tuple(primal_leaves), tuple(tangent_leaves), create_graph=True)
    output, derivative = found["rebuild"](list(outputs)), found["rebuild"](list(derivatives))
    return (output, derivative, found["aux"]) if has_aux else (output, derivative)


def linearize(func, *primals):
    """(func(*primals), jvp_fn) with jvp_fn(*tangents) = J tangents at the primals: the
    derivative as a linear map, to apply to many tangents. Primals, tangents and the output may be
    tensors or dicts, lists and tuples of them."""
    outputs, rebuild = _flatten(func(*primals))

    def jvp_fn(*tangents):
        if len(tangents) != len(primals):
            raise ValueError(f"linearize: jvp_fn expected {len(primals)} tangents, one per primal, got {len(tangents)}")
        return jvp(func, primals, tangents)[1]
    return rebuild([output.detach() for output in outputs]), jvp_fn


def stack_module_state(models):
    """(parameters, buffers) of same-shaped ``models`` stacked along a new first axis, keyed by
    name, as PyTorch's (for functional_call over an ensemble): the parameters are new leaves."""
    models = list(models)
    if not models:
        raise ValueError("stack_module_state: expected at least one model")
    names = [name for name, _ in models[0].named_parameters()]
    if any([name for name, _ in model.named_parameters()] != names for model in models[1:]):
        raise ValueError("stack_module_state: the models must have the same parameters (names and order)")
    parameters = {name: stack([dict(model.named_parameters())[name].detach() for model in models]).requires_grad_()
                  for name in names}
    buffers = {name: stack([dict(model.named_buffers())[name] for model in models])
               for name, _ in models[0].named_buffers()}
    return parameters, buffers


def replace_all_batch_norm_modules_(root):
    """Every batch norm in ``root`` (itself included) made to use batch statistics always, keeping
    none: running_mean, running_var and num_batches_tracked set to None and track_running_stats to
    False, as PyTorch's (for vmap over models, where a running update would mix the samples).
    Returns ``root``, changed in place."""
    from .nn.modules.batchnorm import _BatchNorm

    for module in root.modules():
        if isinstance(module, _BatchNorm) and module.track_running_stats:
            module.running_mean = module.running_var = module.num_batches_tracked = None
            module.track_running_stats = False
    return root


def vmap(func, in_dims=0, out_dims=0, randomness="error", *, chunk_size=None):
    """``func`` mapped over a dimension of its inputs, as PyTorch's vmap: ``in_dims`` says which
    dimension of each argument (an int, None for an argument passed whole, or a structure like the
    argument's tuples, lists and dicts), ``out_dims`` where the mapped dimension goes in each output.

    tinynn has no batching rules: the mapped function runs once per index of the mapped dimension
    and the results are stacked (PyTorch's own fallback for ops without a rule). The result is the
    same, gradients flow through it, and it nests; the cost is a Python call per index, so a
    function that is already written for a batch is faster called on the batch. ``randomness``:
    "error" (a random draw inside is an error, found by the generator's state moving), "different"
    (each index draws its own) or "same" (each index gets the same draws). ``chunk_size`` is
    accepted for PyTorch's signature: the indices run one at a time anyway."""
    if randomness not in ("error", "different", "same"):
        raise ValueError(f"vmap: randomness must be 'error', 'different' or 'same', got {randomness!r}")
    if chunk_size is not None and (not isinstance(chunk_size, int) or chunk_size < 1):
        raise ValueError(f"vmap: chunk_size must be a positive int or None, got {chunk_size!r}")

    def mapped(*args, **kwargs):
        dims = in_dims if isinstance(in_dims, tuple) else (in_dims,) * len(args)
        if len(dims) != len(args):
            raise ValueError(f"vmap: in_dims has {len(dims)} entries for {len(args)} arguments")
        sizes = {size for arg, dim in zip(args, dims) for size in _mapped_sizes(arg, dim)}
        if not sizes:
            raise ValueError("vmap: no argument is mapped (every in_dim is None, or no tensor is given a dimension)")
        if len(sizes) > 1:
            raise ValueError(f"vmap: the mapped dimensions have different sizes {sorted(sizes)}")
        count = sizes.pop()
        start_state = random.get_rng_state()
        if count == 0:  # no index to run: the output for a sample of zeros gives the results' structure and shapes
            example = func(*(_sliced(arg, dim, None) for arg, dim in zip(args, dims)), **kwargs)
            random.set_rng_state(start_state)
            return _stacked([example], out_dims, empty=True)
        results = []
        for index in range(count):
            if randomness == "same":
                random.set_rng_state(start_state)
            before = random.get_rng_state() if randomness == "error" else None
            results.append(func(*(_sliced(arg, dim, index) for arg, dim in zip(args, dims)), **kwargs))
            if before is not None and _moved(before, random.get_rng_state()):
                raise RuntimeError("vmap: the function draws random numbers; pass randomness='different' (each index "
                                   "its own draws) or 'same' (the same draws for every index)")
        return _stacked(results, out_dims)
    return mapped



def _mapped_sizes(value, dim):
    if dim is None:
        return []
    if isinstance(value, Tensor):
        if not isinstance(dim, int):
            raise ValueError(f"vmap: a tensor's in_dim must be an int or None, got {dim!r}")
        if not -value.ndim <= dim < value.ndim:
            raise ValueError(f"vmap: in_dim {dim} is out of range for a tensor of shape {tuple(value.shape)}")
        return [value.shape[dim]]
    if isinstance(value, (tuple, list)):
        parts = dim if isinstance(dim, (tuple, list)) else [dim] * len(value)
        return [size for part, part_dim in zip(value, parts) for size in _mapped_sizes(part, part_dim)]
    if isinstance(value, dict):
        parts = dim if isinstance(dim, dict) else {key: dim for key in value}
        return [size for key in value for size in _mapped_sizes(value[key], parts[key])]
    raise ValueError(f"vmap: in_dim {dim!r} given for a {type(value).__name__}, which has no dimension to map")


def _sliced(value, dim, index):
    """The argument at ``index`` of its mapped dimension ``dim``; for ``index`` None, zeros of that shape."""
    if dim is None:
        return value
    if isinstance(value, Tensor):
        if index is None:
            return value.new_zeros(value.shape[:dim % value.ndim] + value.shape[dim % value.ndim + 1:])
        return value.select(dim, index)
    if isinstance(value, (tuple, list)):
        parts = dim if isinstance(dim, (tuple, list)) else [dim] * len(value)
        return type(value)(_sliced(part, part_dim, index) for part, part_dim in zip(value, parts))
    parts = dim if isinstance(dim, dict) else {key: dim for key in value}
    return {key: _sliced(part, parts[key], index) for key, part in value.items()}


def _moved(before, after):
    return before["cpu"] != after["cpu"] or len(before["gpu_draws"]) != len(after["gpu_draws"])


def _stacked(results, out_dims, empty=False):
    """The results stacked along ``out_dims``; with ``empty``, of none of them (length 0 there)."""
    first = results[0]
    if isinstance(first, Tensor):
        if not isinstance(out_dims, int):
            raise ValueError(f"vmap: one output, so out_dims must be an int, got {out_dims!r}")
        stacked = stack(results, out_dims)
        return stacked.narrow(out_dims, 0, 0) if empty else stacked
    if isinstance(first, (tuple, list)):
        dims = out_dims if isinstance(out_dims, (tuple, list)) else [out_dims] * len(first)
        return type(first)(_stacked([result[i] for result in results], dims[i], empty) for i in range(len(first)))
    if isinstance(first, dict):
        return {key: _stacked([result[key] for result in results], out_dims, empty) for key in first}
    raise ValueError(f"vmap: the function must return tensors (or tuples, lists, dicts of them), got "
                     f"{type(first).__name__}")


def _jacobian_transform(func, argnums, has_aux, name):
    """torch.func's Jacobian: for each tensor of the output (a tensor, or dicts, lists and tuples
    of them), its Jacobian with respect to the argument ``argnums`` in that argument's structure
    (for a tuple of argnums, a tuple of those); the output's structure around them."""
    def transformed(*args, **kwargs):
        args, targets, per_argument = _differentiable_arguments(args, _positions(argnums, len(args), name))
        with enable_grad():
            result = func(*args, **kwargs)
        output, aux = _split_aux(result, has_aux, name)
        outputs, rebuild_output = _flatten(output)
        jacobians = []
        for out in outputs:
            per_arg = per_argument(functional.jacobian_blocks(out, targets, True, False, name))
            jacobians.append(per_arg[0] if isinstance(argnums, int) else tuple(per_arg))
        jacobian = rebuild_output(jacobians)
        return (jacobian, aux) if has_aux else jacobian
    return transformed


def _check_chunk_size(chunk_size, name):
    if chunk_size is not None and (not isinstance(chunk_size, int) or isinstance(chunk_size, bool) or chunk_size < 1):
        raise ValueError(f"{name}: chunk_size must be None or a positive int, got {chunk_size!r}")


def jacrev(func, argnums=0, *, has_aux=False, chunk_size=None):
    """The Jacobian of ``func`` (output.shape + input.shape for each output and input tensor) with
    respect to argument(s) ``argnums``, row by row in reverse mode. Arguments and outputs may be
    tensors or dicts, lists and tuples of them, as torch.func's. ``chunk_size`` (rows per batch of
    reverse passes in PyTorch) is accepted: tinynn runs one pass per row, so it changes nothing."""
    _check_chunk_size(chunk_size, "jacrev")
    return _jacobian_transform(func, argnums, has_aux, "jacrev")


def jacfwd(func, argnums=0, has_aux=False, *, randomness="error"):
    """The same Jacobian as ``jacrev`` (the values do not depend on the mode; tinynn computes it in
    reverse mode, so ``randomness`` has nothing to batch and only its value is checked)."""
    if randomness not in ("error", "different", "same"):
        raise ValueError(f"jacfwd: randomness must be 'error', 'different' or 'same', got {randomness!r}")
    return _jacobian_transform(func, argnums, has_aux, "jacfwd")


def hessian(func, argnums=0):
    """The matrix of second derivatives of ``func`` (returning one number): the Jacobian of its
    gradient, for a dict argument a dict (by output key) of dicts (by input key), as torch.func's."""
    return jacfwd(jacrev(func, argnums), argnums)


@contextlib.contextmanager
def _swapped(module, tensors):
    """Inside, the module's parameters and buffers named in ``tensors`` are those tensors."""
    saved = []
    try:
        for name, value in tensors.items():
            owner_path, _, leaf = name.rpartition(".")
            owner = module.get_submodule(owner_path)
            registry = owner._parameters if leaf in owner._parameters else owner._buffers if leaf in owner._buffers \
                else None
            if registry is None:
                raise KeyError(f"functional_call: {type(module).__name__} has no parameter or buffer {name!r}")
            saved.append((registry, leaf, registry[leaf]))
            registry[leaf] = value
        yield
    finally:
        for registry, leaf, original in reversed(saved):
            registry[leaf] = original


def _with_tied_names(module, tensors):
    """``tensors`` (name -> value) with each value also under the other names of the tensor it replaces."""
    names_of = {}
    for name, tensor in (*module.named_parameters(remove_duplicate=False), *module.named_buffers(remove_duplicate=False)):
        names_of.setdefault(id(tensor), []).append(name)
    tensors = dict(tensors)
    for names in names_of.values():
        given = [name for name in names if name in tensors]
        if len(names) < 2 or not given:
            continue
        if len({id(tensors[name]) for name in given}) > 1:
            raise ValueError(f"functional_call got multiple values for keys {sorted(given)}, which are tied (one "
                             "tensor of the module); give one of them, or pass tie_weights=False")
        tensors.update((name, tensors[given[0]]) for name in names)
    return tensors


def functional_call(module, parameter_and_buffer_dicts, args=(), kwargs=None, *, tie_weights=True, strict=False):
    """``module(*args, **kwargs)`` with the parameters and buffers named in the dict (or dicts)
    replaced by the given tensors for this call only (any tensors: the results of an inner
    optimisation step, say, so that a gradient can flow through them). ``tie_weights``: a tensor
    the module holds under several names (an embedding's weight given to the output layer too)
    is replaced under all of them when one is given, as PyTorch's (two different values for one
    tied tensor are an error); with False, only under the names given. ``strict``: every
    parameter and buffer must be given."""
    dicts = [parameter_and_buffer_dicts] if isinstance(parameter_and_buffer_dicts, dict) else \
        list(parameter_and_buffer_dicts)
    tensors = {}
    for mapping in dicts:
        for name, value in mapping.items():
            if name in tensors:
                raise ValueError(f"functional_call: {name!r} appears in more than one of the dicts")
            tensors[name] = value
    if tie_weights:
        tensors = _with_tied_names(module, tensors)
    if strict:
        expected = ({name for name, _ in module.named_parameters(remove_duplicate=False)}
                    | {name for name, _ in module.named_buffers(remove_duplicate=False)})
        missing, unexpected = sorted(expected - set(tensors)), sorted(set(tensors) - expected)
        if missing or unexpected:
            raise KeyError(f"functional_call (strict): missing {missing}, unexpected {unexpected}")
    args = args if isinstance(args, tuple) else (args,)
    with _swapped(module, tensors):
        return module(*args, **(kwargs or {}))


__all__ = ["grad", "grad_and_value", "vjp", "jvp", "linearize", "vmap", "jacrev", "jacfwd", "hessian", "functional_call",
           "stack_module_state", "replace_all_batch_norm_modules_"]
