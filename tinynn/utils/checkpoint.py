"""Activation checkpointing (PyTorch's ``torch.utils.checkpoint``): trade compute for memory.

Normally every op keeps what its backward needs (inputs, masks, im2col blocks) from the forward
pass until the backward pass, so a deep network's memory grows with its depth. ``checkpoint(fn,
*args)`` keeps only fn's inputs and outputs; when the backward pass reaches fn, fn runs again and
what its ops need comes from that second run: one more forward pass of ``fn``, and its
activations live only during its own backward. Two ways, as PyTorch's:

* ``use_reentrant=False`` (PyTorch's recommended one): fn runs recorded, as without a checkpoint,
  and then its ops let go of what they kept (``Recomputation``): the arrays each op kept, and
  the intermediate tensors of fn, whose places in the graph take stand-ins of the same shape
  without values (a tensor you still hold stays in the graph itself, values and all, as it would
  in PyTorch: reference counts tell). The first
  backward that reaches one of fn's ops runs fn again, recorded, and gives each op the arrays its
  twin of the second run kept. The graph is fn's own, so anything works through it: tuples and
  other outputs, keyword arguments, ``autograd.grad``, ``create_graph``, hooks, nested checkpoints.
  The second run must record the same ops (a ``CheckpointError`` says where it did not).
* ``use_reentrant=True`` (or left out, PyTorch's default): fn runs without recording anything, as
  one op (``Checkpoint``) whose backward replays fn recorded and back-propagates through the
  replay. Parameters used inside fn receive their gradients when the replay is back-propagated, so
  it works with ``.backward()``; ``autograd.grad`` (which must not touch ``.grad``), ``create_graph``
  through it and outputs other than one Tensor are errors, as in PyTorch's reentrant checkpoint.

Both replays draw the same random numbers as the first run (dropout masks, augmentation): the
draws inside a checkpointed call come from generators seeded for that call, with a seed drawn
once from tinynn's generator (``tinynn.random.seeded_for``). The second run repeats fn's side
effects, as PyTorch's does (a batch norm in training updates its running statistics twice).
"""
import contextlib
import functools
import sys
import weakref

from .. import backend, random
from ..autograd import Function, enable_grad, engine, in_place, is_grad_enabled, no_grad
from ..tensor import Tensor


class CheckpointError(RuntimeError):
    """The second run of a non-reentrant checkpoint's function did not record what the first did."""


def noop_context_fn():
    """The default ``context_fn``: no context around either run."""
    return contextlib.nullcontext(), contextlib.nullcontext()


_early_stop = [None]  # set_checkpoint_early_stop's setting while inside it (None: each call's own)
_debug = [None]       # set_checkpoint_debug_enabled's likewise
_recomputing = [0]    # > 0 while a non-reentrant checkpoint runs its function again
# op -> {name: shapes} of the attributes a checkpoint took from it: an outer checkpoint, which takes the
# ops of the inner ones as its own, must also give back what an inner one took (its second run comes first)
_taken = weakref.WeakKeyDictionary()


@contextlib.contextmanager
def set_checkpoint_early_stop(enable):
    """Inside, every non-reentrant checkpoint stops its second run as soon as it has recorded all the
    ops of the first (``enable=True``, the default of ``checkpoint(early_stop=...)``) or runs the
    function to its end (False), whatever the calls say."""
    previous, _early_stop[0] = _early_stop[0], bool(enable)
    try:
        yield
    finally:
        _early_stop[0] = previous


@contextlib.contextmanager
def set_checkpoint_debug_enabled(enabled):
    """Inside, every non-reentrant checkpoint's errors list both runs' ops (``enabled=True``) or do not
    (False), whatever the calls' ``debug`` says; None: each call's own."""
    previous, _debug[0] = _debug[0], enabled
    try:
        yield
    finally:
        _debug[0] = previous


class Checkpoint(Function):
    """The reentrant checkpoint: y = fn(*args) with nothing recorded inside; backward replays fn,
    recorded, and back-propagates dL/dy through the replay (see the module docstring). Inputs:
    the Tensors among ``args`` (the other arguments are passed to fn as they are)."""

    supports_complex = True  # it runs other ops, which check for themselves

    def __init__(self, function, args, seed):
        self.function, self.args, self.seed = function, args, seed

    def _run(self, tensors):
        tensors = iter(tensors)
        args = [next(tensors) if isinstance(arg, Tensor) else arg for arg in self.args]
        with random.seeded_for(self.seed):
            output = self.function(*args)
        if not isinstance(output, Tensor):
            raise TypeError(f"checkpoint: the function must return one Tensor, got {type(output).__name__} "
                            f"(use_reentrant=False takes any outputs)")
        return output

    def forward(self, *arrays):
        with no_grad():
            return self._run([Tensor._from_op(array, False) for array in arrays])._array

    def backward(self, gy):
        if not engine.accumulates_into_leaves():
            raise RuntimeError("checkpoint: autograd.grad() cannot pass through a reentrant checkpoint: the replayed "
                               "function's parameters receive their gradients in .grad, which grad() must not touch; "
                               "use .backward(), or checkpoint(..., use_reentrant=False)")
        replayed = [Tensor._from_op(x._array, needed) for x, needed in zip(self.inputs, self.needs_input_grad)]
        with enable_grad():
            output = self._run(replayed)
        if output.requires_grad:
            output.backward(gy)
        return tuple(None if not needed or x.grad is None else x.grad if x.grad.is_sparse else x.grad._array
                     for x, needed in zip(replayed, self.needs_input_grad))


class _StopRecomputation(Exception):
    """Raised inside the second run once it has recorded as many ops as the first (early stop)."""


class _SecondRun(list):
    """The ops the second run records, in order; with ``stop_at``, it ends the run at that many."""

    def __init__(self, stop_at):
        super().__init__()
        self.stop_at = stop_at

    def append(self, function):
        super().append(function)
        if self.stop_at is not None and len(self) >= self.stop_at:
            raise _StopRecomputation


def _tensors_in(value):
    """The Tensors in ``value``: itself, or those in its tuples, lists and dict values (nested)."""
    if isinstance(value, Tensor):
        yield value
    elif isinstance(value, (tuple, list)):
        for item in value:
            yield from _tensors_in(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _tensors_in(item)


def _shapes(arrays):
    """The (shape, dtype) of each of the arrays an op's attribute holds: what the second run must give again."""
    return [(tuple(array.shape), array.dtype) for array in arrays]


def _intermediates(functions, outputs):
    """The tensors fn made and its ops took as inputs, ({id: Tensor}, {id: how many places of the ops'
    inputs hold it}): those not returned (``outputs``: ids), dense, and not retaining their .grad.
    (A function of its own, so that no loop variable of the caller holds a tensor: see _held_elsewhere.)"""
    recorded = {id(function) for function in functions}
    intermediates, edges = {}, {}
    for function in functions:
        for tensor in function.inputs:
            if (tensor is not None and id(tensor.grad_fn) in recorded and id(tensor) not in outputs
                    and not tensor._retains_grad and hasattr(tensor._array, "strides")):
                intermediates[id(tensor)] = tensor
                edges[id(tensor)] = edges.get(id(tensor), 0) + 1
    return intermediates, edges


def _held_elsewhere(intermediates, edges):
    """The keys of the ``intermediates`` ({id: Tensor}) that something besides the graph's ``edges``
    ({id: how many places of fn's ops hold it}) refers to: a tensor you kept (in a module, a list),
    which may take part in more of the graph later, so it must stay in the graph as itself (and keeps
    its values, as in PyTorch). Counted by reference counts, against a probe held here exactly as
    each tensor is (so the count does not depend on how this Python counts a call's arguments)."""
    probes = {0: object()}
    for _, probe in probes.items():
        baseline = sys.getrefcount(probe)
    return {key for key, tensor in intermediates.items() if sys.getrefcount(tensor) - edges[key] > baseline}


def _placeholder(tensor):
    """A stand-in for an intermediate tensor in the graph: its shape, dtype, device, gradient
    settings and hooks, and no values (one zero seen through zero strides) until the second run."""
    xp = backend.get_array_module(tensor._array)
    stand_in = Tensor._from_op(xp.broadcast_to(xp.zeros((), dtype=tensor.dtype), tensor._array.shape), tensor.requires_grad)
    stand_in.grad_fn, stand_in._grad_hooks, stand_in.name = tensor.grad_fn, tensor._grad_hooks, tensor.name
    return stand_in


class Recomputation:
    """What one non-reentrant checkpoint call dropped, and its second run.

    ``functions``: the ops fn recorded, in order. ``dropped``: for each, the names of the attributes
    holding arrays it kept, with their shapes and dtypes. ``dropped_inputs``: the (op, position)
    places of the graph whose intermediate tensor became a stand-in. Each op's ``backward`` and
    ``backward_graph`` are wrapped: the first one called runs fn again (``recompute``), gives every
    op its twin's arrays and every stand-in its values, and takes the wrappers off."""

    def __init__(self, function, args, kwargs, seed, recompute_context, determinism_check, debug, early_stop):
        self.function, self.args, self.kwargs, self.seed = function, args, kwargs, seed
        self.recompute_context, self.determinism_check, self.debug = recompute_context, determinism_check, debug
        self.early_stop = early_stop
        self.functions, self.dropped, self.dropped_inputs, self.done = [], [], [], False

    def drop(self, functions, output):
        """After the first run: let ``functions`` (fn's recorded ops) go of what they kept, except
        what ``output`` holds, and wrap their backward passes."""
        self.functions = functions
        outputs = {id(tensor) for tensor in _tensors_in(output)}
        for function in functions:
            held = {name: in_place.arrays_in(value) for name, value in vars(function).items() if name not in in_place.EDGES}
            kept = {name: _shapes(arrays) for name, arrays in held.items() if arrays}
            for name in kept:
                delattr(function, name)
            kept.update(_taken.get(function, {}))
            _taken[function] = kept
            self.dropped.append(kept)
        intermediates, edges = _intermediates(functions, outputs)
        held = _held_elsewhere(intermediates, edges)
        stand_ins = {key: _placeholder(tensor) for key, tensor in intermediates.items() if key not in held}
        for index, function in enumerate(functions):
            for position, tensor in enumerate(function.inputs):
                if tensor is not None and id(tensor) in stand_ins:
                    function.inputs[position] = stand_ins[id(tensor)]
                    self.dropped_inputs.append((index, position))
        for function in functions:
            function.backward = functools.partial(self._backward, function, "backward")
            function.backward_graph = functools.partial(self._backward, function, "backward_graph")

    def _backward(self, function, method, *args):
        self.recompute()
        return getattr(type(function), method)(function, *args)

    def recompute(self):
        """The second run of fn, recorded, and its ops' arrays handed to the first run's ops."""
        if self.done:
            return
        self.done = True
        early_stop = self.early_stop if _early_stop[0] is None else _early_stop[0]
        again = _SecondRun(len(self.functions) if early_stop else None)
        in_place.checkpoint_regions.append(again)
        _recomputing[0] += 1
        try:
            with enable_grad(), self.recompute_context, random.seeded_for(self.seed):
                self.function(*self.args, **self.kwargs)
        except _StopRecomputation:
            pass
        finally:
            _recomputing[0] -= 1
            _leave(again)
        self._check_ops(again)
        for original, twin, kept in zip(self.functions, again, self.dropped):
            for name, shapes in kept.items():
                if name not in vars(twin):
                    raise CheckpointError(f"checkpoint: in the second run, {twin.name} kept no {name!r} "
                                          f"(the first run's {original.name} did)")
                value = getattr(twin, name)
                again_shapes = _shapes(in_place.arrays_in(value)) if self.determinism_check == "default" else shapes
                if again_shapes != shapes:
                    raise CheckpointError(f"checkpoint: in the second run, {twin.name} kept {name!r} as "
                                          f"{_describe(again_shapes)}, the first run as {_describe(shapes)}: the "
                                          f"function must compute the same shapes and dtypes each time")
                setattr(original, name, value)
            del original.backward, original.backward_graph
            _taken.pop(original, None)
            in_place.register_kept(original)
        for index, position in self.dropped_inputs:
            self.functions[index].inputs[position].data = again[index].inputs[position]._array

    def _check_ops(self, again):
        """The second run must record the first run's ops, in order (a CheckpointError otherwise)."""
        first = [function.name for function in self.functions]
        second = [function.name for function in again]
        if second[:len(first)] == first and len(second) == len(first):
            return
        at = next((i for i, (a, b) in enumerate(zip(first, second)) if a != b), min(len(first), len(second)))
        debug = self.debug if _debug[0] is None else _debug[0]
        listing = f" First run: {', '.join(first)}. Second run: {', '.join(second)}." if debug else \
            " (checkpoint(..., debug=True) lists both runs' ops.)"
        raise CheckpointError(
            f"checkpoint: the function's second run recorded other ops than its first ({len(first)} ops, then "
            f"{len(second)}), first at op {at}: {first[at] if at < len(first) else 'nothing'} in the first run, "
            f"{second[at] if at < len(second) else 'nothing'} in the second; it must record the same ops each time "
            f"(a branch on values or on global state?).{listing}")


def _leave(region):
    """Take ``region`` off in_place's list of the regions recording (by identity: lists compare by content)."""
    regions = in_place.checkpoint_regions
    del regions[max(i for i, other in enumerate(regions) if other is region)]


def _describe(shapes):
    return ", ".join(f"{dtype} {shape}" for shape, dtype in shapes) or "nothing"


def checkpoint(function, *args, use_reentrant=None, context_fn=noop_context_fn, determinism_check="default",
               debug=False, early_stop=True, preserve_rng_state=True, **kwargs):
    """``function(*args, **kwargs)``, its activations recomputed in the backward pass instead of kept
    (see the module docstring for the two ways). ``use_reentrant=False`` takes keyword arguments for
    the function, ``context_fn`` (a callable giving two context managers: around the first run and
    around the second), ``determinism_check`` ("default": the second run must keep arrays of the same
    shapes and dtypes; "none": only the same ops), ``debug`` (errors list both runs' ops) and
    ``early_stop`` (stop the second run once it has recorded the first run's ops). The replay always
    draws the same random numbers; ``preserve_rng_state`` is accepted for PyTorch's signature."""
    if not callable(function):
        raise TypeError(f"checkpoint: expected a callable, got {type(function).__name__}")
    if determinism_check not in ("default", "none"):
        raise ValueError(f"checkpoint: determinism_check must be 'default' or 'none', got {determinism_check!r}")
    seed = int(random.cpu_generator().integers(2 ** 63))
    if use_reentrant is False:
        return _non_reentrant(function, args, kwargs, seed, context_fn, determinism_check, debug, early_stop)
    if kwargs:
        raise ValueError(f"checkpoint: unexpected keyword arguments {', '.join(kwargs)} (the function gets keyword "
                         f"arguments with use_reentrant=False)")
    if context_fn is not noop_context_fn:
        raise ValueError("checkpoint: context_fn is taken only with use_reentrant=False")
    tensors = [arg for arg in args if isinstance(arg, Tensor)]
    return Checkpoint(function, args, seed)(*tensors)


def _non_reentrant(function, args, kwargs, seed, context_fn, determinism_check, debug, early_stop):
    forward_context, recompute_context = context_fn()
    if not is_grad_enabled() or _recomputing[0]:  # nothing recorded, or an outer checkpoint's second run
        with forward_context, random.seeded_for(seed):
            return function(*args, **kwargs)
    recorded = []
    in_place.checkpoint_regions.append(recorded)
    try:
        with forward_context, random.seeded_for(seed):
            output = function(*args, **kwargs)
    finally:
        _leave(recorded)
    if recorded:
        Recomputation(function, args, kwargs, seed, recompute_context, determinism_check, debug,
                      early_stop).drop(recorded, output)
    return output


def checkpoint_sequential(functions, segments, input, use_reentrant=None, **kwargs):
    """Run ``functions`` (a Sequential or a list of callables) one after another on ``input``, split
    as PyTorch does: ``segments - 1`` checkpointed pieces of len(functions) // segments functions,
    then the rest run normally. ``use_reentrant`` and the other keywords go to ``checkpoint``."""
    functions = list(functions.children()) if hasattr(functions, "children") else list(functions)
    if not isinstance(segments, int) or not 1 <= segments <= max(len(functions), 1):
        raise ValueError(f"checkpoint_sequential: segments must be an int from 1 to {len(functions)}, got {segments!r}")
    size = len(functions) // segments

    def run(piece):
        def forward(x):
            for function in piece:
                x = function(x)
            return x
        return forward

    end = 0
    for start in range(0, size * (segments - 1), size):
        end = start + size
        input = checkpoint(run(functions[start:end]), input, use_reentrant=use_reentrant, **kwargs)
    return run(functions[end:])(input)
