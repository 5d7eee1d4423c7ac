"""In-place writes under autograd: recording ``x.relu_()``, and catching values overwritten after
an op kept them for its backward.

Two things go wrong when memory is written in place while a graph is alive; this module handles
both, as PyTorch does with its version counters and by "rebasing" a tensor's history.

**A backward would read overwritten values.** An op's forward keeps on itself the arrays its
backward reads (its input, its output, a weight). Were one of them written afterwards
(``x.mul_(2)``, ``x[0] = 1``, an optimizer's step between a forward and its backward), the backward
would compute the gradient at the new values: a silently wrong answer. So the arrays each
recorded op keeps are registered under the memory block they lie in (the array owning the
memory, ``base``, which all views of it share); a write into a block marks the live ops that kept
an array overlapping the written one, and the engine refuses to run a marked op's backward
(``check_backward``), naming the op and the write.

**The graph must describe the new value.** ``x.mul_(w)`` on a tensor of a graph (or with an
operand that requires grad) is recorded as x_new = x_old * w (``write``):

1. a stand-in ``x_old`` takes over x's place in the graph: its grad_fn, and every op that used x
   has x_old as its input instead (``Function.__call__`` keeps each tensor's users for this);
2. the op runs out of place on x_old and is recorded as any op is (or as the several ops it is
   made of);
3. the result is written into x's memory, and x becomes the op's output.

Memory is spared where it can be: the stand-in shares x's memory unless something will read the old
values after the write: an op that already used x (its backward, recorded for gradients of
gradients, may re-read x_old), or the new op itself (``x.mul_(w)`` keeps x_old for w's gradient,
as PyTorch's clones it), which then runs again on a copy; and an op that keeps its output
(``x.sigmoid_()``) keeps x's memory rather than a copy. ``x.relu_()``, ``x.add_(y)``, ``x.mul_(2)``
and in-place dropout take no extra memory.

Other tensors of a graph can share x's memory: a view of x (``x[0]``, ``x.view(-1)``) or the tensor
x is a view of, or another view of that one (every recorded tensor is registered under its memory
block, so they are found even when x is a view made under ``no_grad``). After the write their values are no longer what their
history computes, so each gets a new history as PyTorch's CopySlices gives it: its old value (a
stand-in, as above) with the elements it shares with x taken from x's new value. Which elements it
shares is found from every element's address (``_shared_elements``), so any two strided views of
one block work, and ``x[:, 0] += 1`` or a write through ``x.view(-1)`` is recorded whole. Writing
through a view into a leaf that requires grad is refused, as writing into the leaf itself is.
"""
import weakref

import numpy as np

from .. import backend
from ..ops import promotion
from ..size import Size
from . import grad_mode

_savers = {}   # id(memory block) -> weak references to the Functions that kept an array in it
_tensors = {}  # id(memory block) -> weak references to the recorded Tensors whose data lies in it
_registry_limit = [4096]  # entries in both registries above which dead references are swept out
_created = []  # while ``write`` runs an op out of place, a list collecting the Functions it records (nested)
checkpoint_regions = []  # while non-reentrant checkpoints run their functions, lists collecting every Function recorded

_TooHardError = np.exceptions.TooHardError
EDGES = frozenset(("inputs", "needs_input_grad"))  # a Function's links in the graph, not kept values


def memory_block(array):
    """The object owning ``array``'s memory (the array itself, or the end of its ``base`` chain):
    the same object for every view of one block, in NumPy and CuPy alike, and kept alive by them."""
    block = array
    while getattr(block, "base", None) is not None:
        block = block.base
    return block


def _overlap(a, b):
    """Whether arrays ``a`` and ``b`` share an element (exactly where NumPy can decide it quickly)."""
    xp = backend.get_array_module(a)
    if xp is not np:  # CuPy decides exactly by listing both arrays' addresses: only where the bounds overlap
        return bool(xp.may_share_memory(a, b)) and bool(xp.shares_memory(a, b))
    try:
        return bool(np.shares_memory(a, b, max_work=100_000))
    except _TooHardError:
        return True


# ----- what recorded ops keep ------------------------------------------------------------------
_SCALARS = (int, float, bool, str, type(None), np.dtype, slice, Size)
_containers = []  # (Tensor, Function, FunctionCtx), imported on first use (those modules import this one)


def _collect(value, found, depth):
    kind = type(value)
    if kind is np.ndarray:
        found.append(value)
    elif kind in _SCALARS:
        return
    elif kind is tuple or kind is list:
        if depth:
            for item in value:
                if type(item) not in _SCALARS:  # (shapes: skipped without a call per axis)
                    _collect(item, found, depth - 1)
    elif kind is dict:
        if depth:
            for item in value.values():
                _collect(item, found, depth - 1)
    elif backend.is_gpu_array(value):
        found.append(value)
    else:
        if not _containers:
            from ..tensor import Tensor
            from .function import Function, FunctionCtx
            _containers.extend((Tensor, (Function, FunctionCtx)))
        tensor_type, op_types = _containers
        if isinstance(value, tensor_type):
            found.append(value._array)
        elif depth and isinstance(value, op_types):
            for name, item in value.__dict__.items():
                if name not in EDGES:
                    _collect(item, found, depth - 1)


def arrays_kept(function):
    """The arrays ``function`` keeps for its backward: its attributes that are arrays or Tensors,
    also inside tuples, lists, dicts, a PyTorch-style ctx or a copied op (not its graph edges)."""
    found = []
    for name, value in function.__dict__.items():
        if type(value) is np.ndarray:  # (the common case, without a call: every recorded op comes here)
            found.append(value)
        elif name not in EDGES:
            _collect(value, found, 2)
    return found


def _register(registry, block, ref):
    registry.setdefault(id(block), []).append(ref)


def track(function, output):
    """Called when ``function`` is recorded with result ``output``: register the memory blocks of the
    arrays it keeps, the block of its output, and ``function`` as a user of each input needing grad."""
    ref = register_kept(function)
    _register(_tensors, memory_block(output._array), weakref.ref(output))
    for tensor in function.inputs:
        if tensor is not None and tensor._requires_grad:
            _add_user(tensor, ref)
    if _created:
        _created[-1].append(function)
    for region in checkpoint_regions:  # (every enclosing checkpoint's: an outer one recomputes the inner ones' ops too)
        region.append(function)
    if len(_savers) + len(_tensors) > _registry_limit[0]:
        _sweep()


def register_kept(function):
    """Register ``function`` as a saver of the memory blocks of the arrays it keeps (at its recording,
    and again when a checkpoint has recomputed them); returns the weak reference registered."""
    ref = weakref.ref(function)
    registered = set()
    for array in arrays_kept(function):
        block = memory_block(array)
        if id(block) not in registered:
            registered.add(id(block))
            _savers.setdefault(id(block), []).append(ref)
    return ref


def arrays_in(value):
    """The arrays that ``value`` (an attribute of a Function) is or holds, as ``arrays_kept`` finds them
    (a Tensor's array, those in tuples, lists, dicts, a ctx or a copied op)."""
    found = []
    _collect(value, found, 2)
    return found


def _add_user(tensor, ref):
    users = tensor._users
    if not users:
        tensor._users = [ref]
        return
    users.append(ref)
    if len(users) >= 16 and not len(users) & (len(users) - 1):  # at powers of two: amortised O(1)
        users[:] = [user for user in users if user() is not None]


def _sweep():
    for registry in (_savers, _tensors):
        for key in list(registry):
            alive = [ref for ref in registry[key] if ref() is not None]
            if alive:
                registry[key] = alive
            else:
                del registry[key]
    _registry_limit[0] = max(4096, 2 * (len(_savers) + len(_tensors)))


# ----- marking what a write makes stale ---------------------------------------------------------
_versions = {}  # id(memory block) -> how many in-place writes went into it (Tensor._version); gone with the block


def version(array):
    """How many in-place writes went into ``array``'s memory block: PyTorch's version counter, which
    every view of the block shares (0 for memory never written in place)."""
    return _versions.get(id(memory_block(array)), 0)


def _count_write(block):
    key = id(block)
    if key not in _versions:
        try:
            weakref.finalize(block, _versions.pop, key, None)  # (arrays are unhashable: keyed by id while alive)
        except TypeError:  # an object that takes no weak reference is not counted
            return
        _versions[key] = 0
    _versions[key] += 1


def overwritten(array, description, through_data=False):
    """``array``'s memory was just written in place (``description`` says how): the live recorded
    ops that kept an array overlapping it can no longer run their backward, and its version counter
    goes up. A write ``through_data`` (into a tensor made by ``.data``, PyTorch's way around these
    checks, whose version counter is its own) stops only the ops that kept ``array`` itself, and leaves
    the block's counter as it is."""
    block = memory_block(array)
    if not through_data:
        _count_write(block)
    refs = _savers.pop(id(block), None)
    untouched = []  # ops that kept other parts of the block
    for ref in refs or ():
        function = ref()
        if function is None:
            continue
        kept = [a for a in arrays_kept(function) if memory_block(a) is block]
        if any(a is array if through_data else _overlap(a, array) for a in kept):
            function._overwritten_by = description
        elif kept:
            untouched.append(ref)
    if untouched:
        _savers.setdefault(id(block), []).extend(untouched)


def check_backward(function):
    description = function._overwritten_by
    if description is not None:
        raise RuntimeError(
            f"backward through {function.name}: a value it kept for its gradient was overwritten in place after "
            f"the forward pass ({description}), so the gradient would be computed at the new values; write into a "
            "clone() instead, or run the backward before the write"
        )


# ----- the write itself -------------------------------------------------------------------------
def write(tensor, name, out_of_place, operands=(), write_directly=None, rebind=False, uniform=False, written=None):
    """``tensor`` <- ``out_of_place(tensor)``, in its memory, recorded when autograd needs it (see the
    module docstring). ``out_of_place`` maps a Tensor to the new value by recorded ops; where nothing
    is recorded ``write_directly()`` may write instead. With ``rebind`` (``squeeze_``, ``t_``) the
    values stay and ``tensor`` takes the result's array (a view of the same memory) instead.
    ``uniform``: every element gets one value (a fill), so elements sharing memory may be written.
    ``written``: maps an array of the tensor's shape to the part ``write_directly`` writes (``x[index] =``
    writes ``x[index]`` alone), so a write into elements of an overlapping view that do not share memory
    themselves (one window of an ``unfold``) is allowed where it is direct, as PyTorch allows it."""
    from ..tensor import Tensor

    recording = grad_mode.is_grad_enabled() and (
        tensor._requires_grad or any(isinstance(o, Tensor) and o._requires_grad for o in operands))
    # A recorded write stores the whole new value, whose elements at one address may differ.
    part = written if write_directly is not None and not recording else None
    if not uniform and _writes_an_address_twice(tensor._array, part):  # which of two values would stay?
        raise RuntimeError(f"{name}: more than one element of this tensor (shape {tuple(tensor.shape)}) refers to a single "
                           "memory location (an overlapping view: unfold with step < size, as_strided, expand); "
                           "write into a clone() instead")
    if not recording:
        if write_directly is not None:
            write_directly()
            _report_write(tensor, name)
            return tensor
        with grad_mode.no_grad():
            result = out_of_place(tensor)
        _store(tensor, name, result, rebind)
        return tensor
    _check_writable(tensor, name)
    previous = _stand_in(tensor, keep_values=not rebind)
    result, created = _recorded(out_of_place, previous)
    if previous._array is tensor._array and not rebind and _need_old_values(created, tensor._array):
        previous.data = tensor._array.copy()  # run again on a copy of the old values, for these ops to keep
        result, created = _recorded(out_of_place, previous)
    if result is previous:  # an identity: nothing to write
        return tensor
    if result.dtype != tensor.dtype:
        result = result.to(dtype=tensor.dtype)
    _take_place(previous, tensor)
    sharing = [] if rebind else [(other, _take_place(_stand_in(other, keep_values=True), other))
                                 for other in _sharing_tensors(tensor)]
    _store(tensor, name, result, rebind)
    tensor.grad_fn, tensor._requires_grad = result.grad_fn, result.requires_grad
    if result.grad_fn is not None:
        _register(_tensors, memory_block(tensor._array), weakref.ref(tensor))
        if not rebind:
            _keep_output_in_place(result.grad_fn, result._array, tensor._array)
    for other, other_previous in sharing:
        _rebase(other, other_previous, tensor)
    return tensor


def adopt(tensor, result, name):
    """``tensor`` becomes ``result``, the output of an op that wrote its values into ``tensor``'s memory
    itself (a PyTorch-style Function whose forward marked ``tensor`` dirty): ``tensor`` takes the op's
    history, and the ops that used it before, the op among them, keep its old one through a stand-in."""
    _check_writable(tensor, name)
    previous = _stand_in(tensor, keep_values=False)
    _take_place(previous, tensor)
    tensor.grad_fn, tensor._requires_grad = result.grad_fn, result.requires_grad
    _register(_tensors, memory_block(tensor._array), weakref.ref(tensor))


def _stand_in(tensor, keep_values):
    """A tensor with ``tensor``'s history, to take its place in the graph: its memory, or (with
    ``keep_values``, where ops already used ``tensor`` and their recorded backward may read it) a
    copy of the values about to be overwritten."""
    from ..tensor import Tensor

    used = keep_values and bool(_live_users(tensor))
    stand_in = Tensor._from_op(tensor._array.copy() if used else tensor._array, tensor._requires_grad)
    stand_in.grad_fn = tensor.grad_fn
    return stand_in


def _live_users(tensor):
    """The recorded ops that used ``tensor`` and still hold it as an input (not yet released)."""
    return [user for user in (ref() for ref in tensor._users) if user is not None and "inputs" in user.__dict__]


def _take_place(stand_in, tensor):
    """Every recorded op that used ``tensor`` uses ``stand_in`` instead; ``tensor`` is free to get a new history."""
    for user in _live_users(tensor):
        user.inputs = [stand_in if t is tensor else t for t in user.inputs]
    stand_in._users, tensor._users = [*tensor._users, *stand_in._users], ()
    return stand_in


def _sharing_tensors(tensor):
    """The other live recorded tensors that require grad and share elements with ``tensor``: views of
    it, the tensor it is a view of, other views of that one."""
    block = memory_block(tensor._array)
    found = []
    for ref in _tensors.get(id(block), ()):
        other = ref()
        if (other is not None and other is not tensor and other._requires_grad and other.grad_fn is not None
                and memory_block(other._array) is block and all(other is not seen for seen in found)
                and _overlap(other._array, tensor._array)):
            found.append(other)
    return found


def _rebase(other, other_previous, written):
    """``other`` shares elements with ``written``, just written in place: its new history is its old
    value (``other_previous``) with the shared elements taken from ``written`` (PyTorch's CopySlices,
    for any two strided views of one memory block)."""
    from ..functions import view_as_complex, view_as_real
    from ..tensor import Tensor
    from ..tensor_functions import index_copy

    # a complex tensor and a real view of it (.real, .imag, view_as_real) share memory part by part:
    # the complex side is taken as its (real, imaginary) pairs, so that elements match one to one
    other_pairs = other.dtype.kind == "c" and written.dtype.kind != "c"
    written_pairs = written.dtype.kind == "c" and other.dtype.kind != "c"
    other_positions, written_positions = _shared_elements(backend.complex_pairs(other._array) if other_pairs else other._array,
                                                          backend.complex_pairs(written._array) if written_pairs else written._array)
    source = view_as_real(written) if written_pairs else written
    target = view_as_real(other_previous) if other_pairs else other_previous
    values = source.reshape(-1)[Tensor._from_op(written_positions, False)]
    updated = index_copy(target.reshape(-1), 0, Tensor._from_op(other_positions, False), values).reshape(target.shape)
    updated = view_as_complex(updated) if other_pairs else updated
    other.grad_fn, other._requires_grad = updated.reshape(other.shape).grad_fn, True


def _addresses(xp, array):
    """The address of every element of ``array``, flat in its logical (C) order: base + sum_k i_k stride_k."""
    return backend.positions(xp, backend.address(array), array.shape, array.strides).reshape(-1)


def _shared_elements(a, b):
    """(positions in a, positions in b), flat in each array's logical (C) order, of the elements that
    lie at the same address. b's addresses are distinct (a write into an array whose elements overlap
    is refused); a's may repeat (sliding windows, ``unfold``), each of its elements matched on its own."""
    xp = backend.get_array_module(a)
    in_a_addresses, in_b_addresses = _addresses(xp, a), _addresses(xp, b)
    order = xp.argsort(in_b_addresses)
    sorted_b = in_b_addresses[order]
    if sorted_b.size == 0:
        return xp.zeros(0, dtype=np.int64), xp.zeros(0, dtype=np.int64)
    found = xp.minimum(xp.searchsorted(sorted_b, in_a_addresses), sorted_b.size - 1)
    matches = sorted_b[found] == in_a_addresses
    return xp.flatnonzero(matches).astype(np.int64), order[found[matches]].astype(np.int64)


def _writes_an_address_twice(array, written=None):
    """Whether writing all of ``array`` (or ``written(array)``, the part of it a write reaches) would
    write two elements to one address."""
    if not overlaps_itself(array):
        return False
    if written is None:
        return True
    xp = backend.get_array_module(array)
    reached = xp.asarray(written(_addresses(xp, array).reshape(array.shape))).reshape(-1)
    return int(xp.unique(reached).size) < reached.size


def overlaps_itself(array):
    """Whether two elements of ``array`` lie at one address (a broadcast array, or a strided view of
    overlapping windows): contiguous arrays and strides that each step past everything the smaller
    ones reach cannot; otherwise the addresses decide."""
    if array.size <= 1 or array.flags.c_contiguous or array.flags.f_contiguous:
        return False
    reach = array.itemsize
    for stride, size in sorted((abs(stride), size) for size, stride in zip(array.shape, array.strides) if size > 1):
        if stride < reach:
            xp = backend.get_array_module(array)
            return int(xp.unique(_addresses(xp, array)).size) < array.size
        reach = stride * (size - 1) + reach
    return False


def _check_writable(tensor, name):
    from ..tensor import Tensor

    if tensor._requires_grad and tensor.grad_fn is None:
        raise RuntimeError(f"{name}: a leaf tensor that requires grad (shape {tuple(tensor.shape)}) cannot be changed in place "
                           "while autograd records (its gradient would be lost); do it under tinynn.no_grad(), "
                           "or write into a clone()")
    block, stack, seen = memory_block(tensor._array), [tensor], {id(tensor)}
    while stack:  # back through the ops that made this tensor as a view of the same memory
        function = stack.pop().grad_fn
        for parent in (function.inputs if function is not None and "inputs" in function.__dict__ else ()):
            if isinstance(parent, Tensor) and id(parent) not in seen and memory_block(parent._array) is block:
                if parent._requires_grad and parent.grad_fn is None:
                    raise RuntimeError(f"{name}: this tensor (shape {tuple(tensor.shape)}) is a view of a leaf tensor that "
                                       f"requires grad (shape {tuple(parent.shape)}), which cannot be changed in place while "
                                       "autograd records; clone() the leaf first, or write under tinynn.no_grad()")
                seen.add(id(parent))
                stack.append(parent)


def _store(tensor, name, result, rebind):
    """Put ``result``'s values into ``tensor``: its memory (or its array, with ``rebind``)."""
    if rebind:
        tensor.data = result._array
        return
    array = result._array
    if tuple(array.shape) != tensor.shape:
        raise RuntimeError(f"{name}: the result has shape {tuple(array.shape)}, which cannot be written into a "
                           f"tensor of shape {tuple(tensor.shape)} (in-place ops keep the tensor's shape)")
    if not promotion.can_cast(array.dtype, tensor.dtype):
        raise RuntimeError(f"{name}: the result is {array.dtype}, which cannot be written into a tensor of dtype "
                           f"{tensor.dtype}; convert the tensor first (x = x.to(dtype))")
    if backend.device_of(array) != tensor.device:
        raise RuntimeError(f"{name}: the result is on {backend.device_of(array)}, the tensor on {tensor.device}")
    try:
        tensor._array[...] = array
    except ValueError as error:  # NumPy refuses read-only memory (a broadcast view, a loaded buffer)
        raise RuntimeError(f"{name}: this tensor's memory cannot be written ({error}); write into a clone()") from None
    _report_write(tensor, name)


def _report_write(tensor, name):
    """``overwritten`` for a write into ``tensor`` (one made by ``.data`` marked so: ``Tensor.data``)."""
    overwritten(tensor._array, f"{name} wrote into a tensor of shape {tuple(tensor.shape)}",
                through_data=tensor.__dict__.get("_writes_unseen", False))


def _recorded(out_of_place, previous):
    """``out_of_place(previous)`` and the Functions it recorded."""
    _created.append([])
    try:
        return out_of_place(previous), _created[-1]
    finally:
        _created.pop()


def _need_old_values(functions, array):
    """Whether any of ``functions`` will read values of ``array`` (about to be overwritten) in its
    backward: an array it kept overlaps it, or its recorded backward recomputes from an input that does."""
    from .function import Function

    for function in functions:
        if any(memory_block(kept) is memory_block(array) and _overlap(kept, array) for kept in arrays_kept(function)):
            return True
        recomputes = not function.linear_map and (
            type(function).backward_graph is not Function.backward_graph or function.graph_saved is None
            or any(callable(source) for source in function.graph_saved.values()))
        if recomputes and any(t is not None and memory_block(t._array) is memory_block(array) and _overlap(t._array, array)
                              for t in function.inputs):
            return True
    return False


def _keep_output_in_place(function, result_array, array):
    """``function`` kept its output ``result_array``, whose values ``array`` now holds: keep ``array``
    (freeing the copy) and register it, so a later write into ``array`` marks ``function``."""
    kept_output = False
    for key, value in list(function.__dict__.items()):
        if value is result_array:
            function.__dict__[key] = array
            kept_output = True
    if kept_output:
        _register(_savers, memory_block(array), weakref.ref(function))
