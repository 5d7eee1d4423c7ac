"""``Function``: one differentiable operation, its forward and its backward side by side.

Subclasses implement

* ``forward(self, *arrays) -> array``: the math on raw NumPy/CuPy arrays; it may keep on
  ``self`` whatever the backward needs (inputs, masks, statistics).
* ``backward(self, grad_output) -> tuple``: given dL/dy, the gradients dL/dx_i for each input,
  in order, each the shape of its input (or ``None`` where the input needs no gradient).
  ``self.needs_input_grad[i]`` (set before forward runs) says which ones are wanted, so costly
  ones can be skipped, and a forward whose gradients are all unwanted need keep nothing.

Calling a Function on Tensors runs forward and, when grad is enabled and any input requires
grad, links the output to this Function so ``Tensor.backward`` can find it.

PyTorch's way of writing an op also works: a subclass with static ``forward(ctx, *args)`` and
``backward(ctx, grad_output)`` on Tensors, called as ``MyOp.apply(...)`` (``_StaticFunction`` runs it).

Gradients of gradients (``backward(create_graph=True)``, ``autograd.grad(..., create_graph=True)``)
need a backward that is itself recorded: the engine then calls ``backward_graph(gy, output)``
with dL/dy as a Tensor, and it must return the gradients as Tensors made by recorded ops. Most
ops get it without a second formula:

* their ``backward`` is written with operators, ``reshape``, ``sum`` and ``xp`` functions that
  NumPy, CuPy and Tensors all have, and ``graph_saved`` names the attributes through which that
  formula reads something that depends on the inputs: an input (its position), the output
  (``"output"``, reshaped to the attribute's shape), or a function of the op and its output
  that recomputes the value from the recorded inputs. The default ``backward_graph`` runs the
  very same ``backward`` with those attributes holding Tensors and ``xp`` being ``TensorMath``,
  so every product in the formula is recorded and can be differentiated again. Values the
  formula takes as constants (masks, counts, shapes) stay arrays: their derivative is zero
  wherever they are defined;
* an op whose forward is a linear map of its one input (shape ops, sums, pooling, resampling)
  sets ``linear_map``: its backward is the transposed map, whose gradient is the map itself, so
  both are recorded by ``LinearMap`` for gradients of any order.

Other ops (in-place formulas, bilinear ones like convolution) override ``backward_graph``.
"""
import copy
import functools
import weakref

import numpy as np

from ..errors import DtypeError, InputError
from .. import backend, broadcasting
from ..ops import promotion
from . import anomaly, grad_mode, in_place, profiling, saved_tensors
from .graph import Node, NodeName
from .tensor_math import TensorMath


_tensor_type = None  # tinynn.Tensor, imported on first use (tensor.py imports this module)


def _load_tensor_type():
    global _tensor_type
    from ..tensor import Tensor

    _tensor_type = Tensor
    return Tensor


class Function(Node):
    # For the default backward_graph: {attribute backward reads: input position, "output" or
    # function(op, output)}; None (and not linear_map): this op's backward cannot be differentiated
    graph_saved = None
    linear_map = False
    # Type promotion (ops/promotion.py): the positions of the inputs computed in one dtype, and
    # whether the result is a float even from integer inputs (true division, exp, ...)
    promotes = ()
    float_output = False
    rounds_to = None  # float16, where a float16 op was computed in float32 (a Python number took part, or the below)
    # Whether float16 inputs are computed in float32 and the result rounded to float16 once, as PyTorch's
    # kernels compute half precision ("opmath"): for the elementwise ops whose formulas take several
    # steps (sigmoid, erf, gelu), each step rounded to float16 compounds the error (and their backward
    # formulas too: the gradients, computed from float32 values, are rounded to float16 once)
    float16_in_float32 = False
    # Whether forward and backward are written for complex inputs too (ops/complex.py says how);
    # other ops refuse complex tensors rather than give an answer that means nothing (a ReLU of 1j)
    supports_complex = False
    _overwritten_by = None  # set when a value this op kept was written in place (see in_place.py)
    _anomaly_trace = None   # where the forward pass created this op, kept under detect_anomaly()

    def __call__(self, *inputs):
        tensors = inputs  # optional inputs (a missing bias) are None
        tensor_type = _tensor_type or _load_tensor_type()
        # Every op is called through here, so its checks of the inputs are one loop over them.
        present, arrays = [], []
        on_cpu, any_requires_grad, any_complex = True, False, False
        for x in tensors:
            if x is None:
                arrays.append(None)
                continue
            if not isinstance(x, tensor_type):
                raise TypeError(f"{self.name}: expected Tensor inputs, got {type(x).__name__}")
            data = x._array
            present.append(x)
            arrays.append(data)
            on_cpu = on_cpu and type(data) is np.ndarray
            any_requires_grad = any_requires_grad or x.requires_grad
            any_complex = any_complex or x.dtype.kind == "c"
        devices = () if on_cpu else {t.device for t in present}
        if len(devices) > 1:
            listing = ", ".join(f"{t.device} {tuple(t.shape)}" for t in present)
            raise RuntimeError(
                f"{self.name}: all inputs must be on the same device, got tensors on "
                f"{' and '.join(sorted(devices))} ({listing}); move them with .to(device)"
            )
        if any_complex and not self.supports_complex:
            raise DtypeError(f"{self.name}: complex tensors are not supported by this op, got dtypes "
                             f"{', '.join(str(t.dtype) for t in present)}; tinynn's complex ops are listed in "
                             f"tinynn/ops/complex.py")
        recording = any_requires_grad and grad_mode.is_grad_enabled()
        # Known before forward, so a forward can skip keeping what no backward will need.
        self.needs_input_grad = (tuple(x is not None and x.requires_grad for x in tensors) if recording
                                 else (False,) * len(tensors))
        if anomaly.is_anomaly_enabled():
            for position, t in enumerate(tensors):
                anomaly.check_finite(self.name, f"input {position}", t._array if t is not None else None)
        if self.promotes:
            arrays = promotion.promoted_arrays(self, tensors, arrays)
        if self.float16_in_float32 and self.rounds_to is None and arrays[0].dtype == np.float16:
            arrays = [a.astype(np.float32) if a is not None and a.dtype == np.float16 else a for a in arrays]
            self.rounds_to = np.dtype(np.float16)
        try:
            if profiling.recorder is None:
                output_data = self.forward(*arrays)
            else:
                event = profiling.recorder.begin(self.name, arrays, op=self)
                output_data = self.forward(*arrays)
                profiling.recorder.end(event, output_data)
        except ValueError as error:
            if type(error) is ValueError and "broadcast" in str(error):  # NumPy's words, naming no op
                broadcasting.broadcast_shape(self.name, *(x.shape for x in present))
            raise
        if self.rounds_to is not None and output_data.dtype.kind == "f":
            with np.errstate(over="ignore"):  # (beyond float16's range is inf, as in PyTorch)
                output_data = output_data.astype(self.rounds_to)
        if anomaly.is_anomaly_enabled():
            anomaly.check_finite(self.name, "output", output_data)
        requires_grad = recording and output_data.dtype.kind in "fc"
        output = tensor_type._from_op(output_data, requires_grad)
        if requires_grad:
            self.inputs = list(tensors)
            output.grad_fn = self
            in_place.track(self, output)
            if saved_tensors.active_hooks:
                saved_tensors.pack(self)
            if anomaly.is_anomaly_enabled():
                self._anomaly_trace = anomaly.forward_trace()
        return output

    @property
    def name(self):
        """The op's name ("MatMul"); ``name()`` gives PyTorch's node name ("MatMulBackward")."""
        return NodeName(type(self).__name__)

    def forward(self, *arrays):
        raise NotImplementedError(f"{self.name} must implement forward")

    def backward(self, grad_output):
        raise NotImplementedError(f"{self.name} must implement backward")

    def backward_graph(self, gy, output):
        """``backward`` on Tensors, recorded (see the module docstring): ``gy`` is dL/dy and
        ``output`` y, both Tensors; returns the input gradients as Tensors (or None)."""
        if self.linear_map:
            return (LinearMap(self, transposed=True)(gy),)
        if self.graph_saved is None:
            raise NotImplementedError(
                f"create_graph: the backward of {self.name} is not differentiable in tinynn, so gradients "
                f"of gradients cannot pass through it; see tinynn.autograd.engine for the ops that support it"
            )
        arrays = {name: getattr(self, name) for name in self.graph_saved}
        for name, source in self.graph_saved.items():
            if source == "output":
                value = output if output.shape == tuple(arrays[name].shape) else output.reshape(arrays[name].shape)
            else:
                value = source(self, output) if callable(source) else self.inputs[source]
            setattr(self, name, value)
        try:
            return self.backward(gy)
        finally:
            self.__dict__.update(arrays)

    def release(self):
        """Drop everything held for backward; a later backward through here is an error."""
        self.__dict__.clear()
        self.released = True

    @staticmethod
    def xp(array):
        """The array module of ``array`` (NumPy or CuPy), or, for a Tensor (a backward running
        under create_graph), the Tensor functions over it."""
        module = backend.get_array_module(array)
        if module is np and not isinstance(array, np.ndarray) and isinstance(array, TensorMath.tensor_type()):
            return TensorMath(backend.get_array_module(array._array))
        return module

    def __repr__(self):
        return f"<{self.name}>"

    @classmethod
    def apply(cls, *args):
        """PyTorch's way of defining an op: a subclass with ``forward(ctx, *args)`` (or ``forward(*args)``
        and ``setup_context(ctx, inputs, output)``) and ``backward(ctx, *grad_outputs)`` static methods on
        Tensors, called as ``MyOp.apply(x, ...)``; one output or a tuple of them (see ``FunctionCtx`` for
        what ctx offers). tinynn's own ops are instances with forward and backward on arrays, called
        directly (see above)."""
        from ..tensor import Tensor

        node = node_type(cls)(cls, args)
        return node.results(node(*(a for a in args if isinstance(a, Tensor))))

    @staticmethod
    def setup_context(ctx, inputs, output):
        """PyTorch 2's way: a Function whose ``forward(*args)`` takes no ctx defines this, to save on ctx
        what its backward needs from the forward's ``inputs`` (a tuple) and ``output``."""
        raise NotImplementedError("setup_context is defined by a Function whose forward takes no ctx")


class LinearMap(Function):
    """y = M x, where M is the linear map a ``linear_map`` op applies to its input (its forward), or
    y = M^T x with ``transposed`` (the op's backward), as a recorded op of its own. The gradient
    of a linear map is its transpose: dL/dx = M^T dL/dy, and for M^T it is M. So each direction's
    backward is the other one, and gradients of any order pass through. The op is copied, so its
    forward, run again on other values of the same shape, leaves the original untouched (and a
    linear op's forward keeps only what its shapes and settings determine). A piecewise linear op
    (max pooling) gives the map of its current piece as ``linear_part``, used instead of forward."""

    supports_complex = True  # as far as the op it applies does

    def __init__(self, op, transposed):
        self.op = copy.copy(op)
        self.transposed = transposed

    def _apply(self, x, transposed):
        if transposed:
            return self.op.backward(x)[0]
        return self.op.linear_part(x) if hasattr(self.op, "linear_part") else self.op.forward(x)

    def forward(self, x):
        return self._apply(x, self.transposed)

    def backward(self, gy):
        return (self._apply(gy, not self.transposed),)

    def backward_graph(self, gy, output):
        return (LinearMap(self.op, not self.transposed)(gy),)


class FunctionCtx:
    """``ctx`` of a PyTorch-style Function: ``save_for_backward(*tensors)`` / ``saved_tensors``,
    ``save_for_forward(*tensors)`` (what ``jvp`` reads as ``saved_tensors``), ``needs_input_grad``,
    ``mark_non_differentiable(*outputs)`` (outputs without a gradient), ``mark_dirty(*inputs)`` (inputs
    the forward wrote into and returns), ``set_materialize_grads(False)`` (None instead of zeros for the
    outputs that got no gradient), and any attribute the forward keeps."""

    materialize_grads = True

    def save_for_backward(self, *tensors):
        self.to_save = tensors

    def save_for_forward(self, *tensors):
        self.to_save_for_forward = tensors

    @property
    def saved_tensors(self):
        return getattr(self, "to_save", ())

    def mark_non_differentiable(self, *tensors):
        self.non_differentiable = getattr(self, "non_differentiable", ()) + tensors

    def mark_dirty(self, *tensors):
        self.dirty = getattr(self, "dirty", ()) + tensors

    def set_materialize_grads(self, value):
        self.materialize_grads = bool(value)


def once_differentiable(backward):
    """Decorates a PyTorch-style Function's ``backward(ctx, *grads)`` that is not itself differentiable
    (it works on arrays, say), as PyTorch's: it runs without recording, and where a gradient of its
    gradients is asked for (``create_graph=True``), the gradients it returns carry an op whose own
    backward is the error, raised only if that second differentiation reaches them."""
    @functools.wraps(backward)
    def wrapper(ctx, *grad_outputs):
        from ..tensor import Tensor

        with grad_mode.no_grad():
            grads = backward(ctx, *grad_outputs)
        if not grad_mode.is_grad_enabled() or not any(isinstance(g, Tensor) and g.requires_grad for g in grad_outputs):
            return grads
        marked = tuple(_DelayedError()(g.detach().requires_grad_()) if isinstance(g, Tensor) else g
                       for g in (grads if isinstance(grads, tuple) else (grads,)))  # (a leaf, so the op is recorded)
        return marked if isinstance(grads, tuple) else marked[0]
    return wrapper


class _DelayedError(Function):
    """The identity on a once_differentiable backward's gradient; differentiating through it is the error."""

    def forward(self, x):
        return x.copy()

    def backward(self, gy):
        raise RuntimeError("trying to differentiate twice a function that was marked with @once_differentiable")


_node_types = weakref.WeakKeyDictionary()  # a PyTorch-style Function class -> its node class "<Name>Backward"


def node_type(definition):
    """The class of the graph nodes a PyTorch-style Function records: ``type(y.grad_fn).__name__`` is
    "<Name>Backward", as PyTorch's."""
    node = _node_types.get(definition)
    if node is None:
        name = f"{definition.__name__}Backward"
        node = _node_types[definition] = type(name, (_StaticFunction,), {"unpack_type": type(name, (_Unpack,), {})})
    return node


def _uses_setup_context(definition):
    """Whether ``definition`` is written PyTorch 2's way: ``forward(*args)`` without ctx, and
    ``setup_context(ctx, inputs, output)`` to save what backward needs."""
    return definition.setup_context is not Function.setup_context


def _piece(values, start, shape, dtype):
    """Output values of ``shape`` and ``dtype`` cut from the flat ``values`` at ``start`` (an array, or a
    Tensor under create_graph: then by recorded ops); a real output's piece of complex values is its real part."""
    count = int(np.prod(shape, dtype=np.int64))
    piece = values[start:start + count].reshape(shape)
    if piece.dtype.kind == "c" and np.dtype(dtype).kind != "c":
        piece = piece.real
    return piece.astype(dtype) if piece.dtype != dtype else piece


class _StaticFunction(Function):
    """Runs a PyTorch-style Function class (``forward(ctx, ...)``, or ``forward(...)`` with
    ``setup_context(ctx, inputs, output)``, and ``backward(ctx, *grads)``, static methods on Tensors) as a
    tinynn op: the forward unrecorded; the backward on Tensors, so under create_graph its ops are recorded
    and the saved input and output tensors are the graph's own.

    A forward returning one differentiable Tensor is this op's output. Any other (a tuple of outputs,
    some of them not differentiable: integers, ``mark_non_differentiable``'s, numbers) is "packed": the
    op's one output is its differentiable outputs laid end to end, and each comes out of it by an
    ``_Unpack`` op (a linear map), so the engine's one-output ops carry the gradient of each, and the
    backward gets them all at once, as PyTorch calls it: zeros for those that got none, or None after
    ``ctx.set_materialize_grads(False)`` (``received`` says which did)."""

    supports_complex = True  # it runs other ops, which check for themselves

    def __init__(self, definition, arguments):
        self.definition, self.arguments = definition, arguments
        self.received = set()

    @property
    def name(self):
        return NodeName(self.definition.__name__)

    def forward(self, *arrays):
        from ..tensor import Tensor

        arrays = iter(arrays)
        wrappers = {}  # id(the Tensor the forward sees for an input) -> its argument position
        args = []
        for position, argument in enumerate(self.arguments):
            if isinstance(argument, Tensor):
                wrapper = Tensor._from_op(next(arrays), False)
                wrappers[id(wrapper)] = position
                args.append(wrapper)
            else:
                args.append(argument)
        ctx = self.ctx = FunctionCtx()
        ctx.needs_input_grad = tuple(self.needs_input_grad[self._tensor_index(i)] if isinstance(a, Tensor) else False
                                     for i, a in enumerate(self.arguments))
        with grad_mode.no_grad():
            if _uses_setup_context(self.definition):
                output = self.definition.forward(*args)
                self.definition.setup_context(ctx, tuple(args), output)
            else:
                output = self.definition.forward(ctx, *args)
        self.returned_tuple = isinstance(output, tuple)
        outputs = output if self.returned_tuple else (output,)
        output_positions = {id(value): position for position, value in enumerate(outputs)}
        # what each saved tensor is, for the recorded backward: an input, an output, or a tensor of its own
        self.saved_sources = [("input", self._tensor_index(wrappers[id(t)])) if id(t) in wrappers
                              else ("output", output_positions[id(t)]) if id(t) in output_positions else None
                              for t in ctx.saved_tensors]
        self.dirty = {}  # output position -> the argument position of the input it is (written in place)
        for tensor in getattr(ctx, "dirty", ()):
            if id(tensor) not in wrappers:
                raise InputError(f"{self.definition.__name__}: mark_dirty takes inputs of the forward, got another tensor")
            original = self.arguments[wrappers[id(tensor)]]
            in_place.overwritten(original._array, f"{self.definition.__name__}.forward wrote into an input (mark_dirty)")
            if id(tensor) in output_positions:
                self.dirty[output_positions[id(tensor)]] = wrappers[id(tensor)]
        excluded = {id(t) for t in getattr(ctx, "non_differentiable", ())}
        differentiable = [(position, value) for position, value in enumerate(outputs)
                          if isinstance(value, Tensor) and value.dtype.kind in "fc" and id(value) not in excluded]
        self.output_kinds = [(tuple(value.shape), value.dtype) if isinstance(value, Tensor) else None for value in outputs]
        self.packed = self.returned_tuple or not differentiable
        if not self.packed:
            return output._array
        self.outputs = outputs  # (until ``results`` has handed them out)
        self.pieces, start = {}, 0
        for position, value in differentiable:
            self.pieces[position] = start
            start += value.numel()
        xp = backend.get_array_module(next((value._array for value in outputs if isinstance(value, Tensor)), np.empty(0)))
        dtype = np.result_type(*(value.dtype for _, value in differentiable)) if differentiable else np.float32
        return xp.concatenate([value._array.reshape(-1).astype(dtype) for _, value in differentiable]) if differentiable \
            else xp.zeros(0, dtype=dtype)

    def results(self, output):
        """What ``apply`` returns, from this op's ``output``: as the forward returned it, each
        differentiable output unpacked from ``output`` (recorded), the others as constants and values."""
        from ..tensor import Tensor

        if not self.packed:
            outputs = [output]
        else:
            outputs = []
            for position, value in enumerate(self.outputs):
                if position in self.pieces and output.requires_grad:
                    outputs.append(self._unpacked(position, output))
                elif isinstance(value, Tensor):
                    outputs.append(Tensor._from_op(value._array, False))
                else:
                    outputs.append(value)
            del self.outputs
        for position, argument in self.dirty.items():  # the input itself comes back, with its new history
            original = self.arguments[argument]
            if outputs[position].requires_grad:
                in_place.adopt(original, outputs[position], f"{self.definition.__name__}.apply")
            outputs[position] = original
        return tuple(outputs) if self.returned_tuple else outputs[0]

    def _unpacked(self, position, packed):
        shape, dtype = self.output_kinds[position]
        return self.unpack_type(self, position, self.pieces[position], shape, dtype)(packed)

    def _tensor_index(self, position):
        """The Function input number of argument ``position`` (only Tensors are inputs)."""
        from ..tensor import Tensor

        return sum(isinstance(a, Tensor) for a in self.arguments[:position])

    def _output_grads(self, gy):
        """The gradient of each output the forward returned, as the backward is given it: cut from ``gy``
        (an array, made a constant Tensor; or a Tensor under create_graph, cut by recorded ops)."""
        from ..tensor import Tensor

        def constant(array):
            return Tensor._from_op(array, False)

        if not self.packed:
            return (constant(gy) if not hasattr(gy, "grad_fn") else gy,)
        received, self.received = self.received, set()
        materialize = self.ctx.materialize_grads
        xp = backend.get_array_module(gy._array if hasattr(gy, "grad_fn") else gy)
        grads = []
        for position, kind in enumerate(self.output_kinds):
            if position in self.pieces and (materialize or position in received):
                piece = _piece(gy, self.pieces[position], *kind)
                grads.append(piece if hasattr(piece, "grad_fn") else constant(piece))
            elif kind is not None and materialize:
                grads.append(constant(xp.zeros(kind[0], dtype=kind[1])))
            else:
                grads.append(None)
        return tuple(grads)

    def _input_grads(self, grads):
        from ..tensor import Tensor

        grads = grads if isinstance(grads, tuple) else (grads,)
        extra = grads[len(self.arguments):]
        if len(grads) < len(self.arguments) or any(g is not None for g in extra):  # (trailing Nones pass, as in PyTorch)
            raise InputError(f"{self.definition.__name__}.backward returned {len(grads)} gradients for "
                             f"{len(self.arguments)} forward arguments (more only as trailing Nones)")
        return tuple(g for g, a in zip(grads, self.arguments) if isinstance(a, Tensor))

    def _defined_backward(self):
        """The Function's own ``backward`` static method; for one that defines only ``jvp`` (PyTorch's
        forward-mode tutorial's), the transpose of its jvp (``_transposed_jvp``: tinynn's forward mode runs
        through backward passes, forward_ad.py); else PyTorch's error."""
        backward = self.definition.backward
        if getattr(backward, "__func__", backward) is not Function.backward:
            return backward
        if "jvp" in vars(self.definition):
            return self._transposed_jvp
        raise NotImplementedError(f"{self.definition.__name__}: You must implement either the backward or vjp "
                                  "method for your custom autograd.Function to use it with backward mode AD")

    def _transposed_jvp(self, ctx, *output_grads):
        """dL/dx of a Function that defines ``jvp`` but no ``backward``. Its jvp is linear in the input
        tangents u, jvp(u) = J u, so the backward is J^T g = d<jvp(u), g>/du: autograd through the jvp's own
        ops, recorded once at u = 0 (a linear map's derivative is the same anywhere) and kept for the node's
        later backward passes (a jvp may use up what it finds on ctx, as the tutorial's deletes it)."""
        from ..tensor import Tensor, zeros_like
        from .engine import grad

        if "_jvp_map" not in self.__dict__:
            tangents = [zeros_like(a).requires_grad_() if isinstance(a, Tensor) and a.dtype.kind in "fc" else None
                        for a in self.arguments]
            saved = ctx.__dict__.get("to_save", ())
            ctx.to_save = ctx.__dict__.get("to_save_for_forward", saved)  # (jvp reads save_for_forward's)
            try:
                with grad_mode.enable_grad():
                    result = self.definition.jvp(ctx, *tangents)
            finally:
                ctx.to_save = saved
            self._jvp_map = tangents, result if isinstance(result, tuple) else (result,)
        tangents, results = self._jvp_map
        pairs = [(out, g) for out, g in zip(results, output_grads)
                 if isinstance(out, Tensor) and out.requires_grad and g is not None]
        asked = [t for t in tangents if t is not None]
        if not pairs or not asked:
            return tuple(None for _ in self.arguments)
        with grad_mode.enable_grad():
            found = iter(grad([out for out, _ in pairs], asked, [g for _, g in pairs], retain_graph=True,
                              allow_unused=True, create_graph=any(g.requires_grad for _, g in pairs)))
        return tuple(None if t is None else next(found) for t in tangents)

    def backward(self, gy):
        from ..tensor import Tensor

        with grad_mode.no_grad():
            grads = self._input_grads(self._defined_backward()(self.ctx, *self._output_grads(gy)))
        return tuple(g._array if isinstance(g, Tensor) else g for g in grads)

    def backward_graph(self, gy, output):
        saved = self.ctx.saved_tensors
        recorded = []
        for tensor, source in zip(saved, self.saved_sources):  # the forward's stand-ins as the graph's own tensors
            if source is None:
                recorded.append(tensor)
            elif source[0] == "input":
                recorded.append(self.inputs[source[1]])
            elif not self.packed:
                recorded.append(output)
            else:
                recorded.append(self._unpacked(source[1], output) if source[1] in self.pieces else tensor)
        self.ctx.to_save = tuple(recorded)
        try:
            return self._input_grads(self._defined_backward()(self.ctx, *self._output_grads(gy)))
        finally:
            self.ctx.to_save = saved


class _Unpack(Function):
    """Output ``position`` of a PyTorch-style Function with several outputs: its piece of the op's packed
    output (see ``_StaticFunction``), cut out (a linear map: its gradient, the piece's gradient put in
    place in zeros, passes gradients of any order); it notes for the Function which outputs got a gradient.
    Each Function's are of a class of its own named "<Name>Backward", as the grad_fn of PyTorch's outputs."""

    linear_map = True
    supports_complex = True

    @property
    def name(self):  # (each output's grad_fn named after the Function, as PyTorch's)
        return self.node.name

    def __init__(self, node, position, start, shape, dtype):
        self.node, self.position, self.start, self.shape, self.dtype = node, position, start, shape, dtype

    def forward(self, packed):
        self.packed_shape, self.packed_dtype = packed.shape, packed.dtype
        return _piece(packed, self.start, self.shape, self.dtype)

    def backward(self, gy):
        self.node.received.add(self.position)
        g = backend.get_array_module(gy).zeros(self.packed_shape, dtype=self.packed_dtype)
        g[self.start:self.start + gy.size] = gy.reshape(-1)
        return (g,)
