"""``Tensor``: an array (NumPy or CuPy) plus what autograd needs to differentiate through it.

A Tensor made by an op remembers that op in ``grad_fn`` (define-by-run, as in PyTorch);
``backward()`` walks those links from the result back to the leaves (see autograd/engine.py).
The operator methods below are thin: each hands its arrays to one Function in ``tinynn.ops``,
where the forward and backward math live side by side.
"""
import functools
import math
import numbers
import operator

import numpy as np

from .errors import DtypeError, InputError
from . import backend, broadcasting, draw_checks, dtypes, memory_layout, mixed_precision, printing, return_types, value_ranges
from .autograd import engine, in_place
from .dims import dim_tuple, wrap_dim
from .scalar_dims import accepting_scalar_dims
from .dtype_shorthands import DtypeShorthands
from .size import as_int, check_creatable, from_arguments as size_arguments, of as size_of
from .user_warnings import warn, warn_once
from .ops import arithmetic, bessel, complex as complex_ops, elementwise, erf, gamma, incomplete_gamma, promotion, reduction, shape as shape_ops, views

def _is_float(dtype):
    return np.dtype(dtype).kind == "f"


def set_printoptions(precision=None, threshold=None, edgeitems=None, linewidth=None, profile=None, sci_mode=None):
    """Set how tensors print (tinynn/printing.py), as ``torch.set_printoptions``: a ``profile``
    ("default", "short", "full") first, then each option given; ``sci_mode`` True/False forces
    scientific or fixed notation, None chooses as PyTorch does."""
    if profile is not None:
        if profile not in printing.PROFILES:
            raise InputError(f"set_printoptions: profile must be one of {sorted(printing.PROFILES)}, got {profile!r}")
        printing.OPTIONS.update(printing.PROFILES[profile])
    given = {"precision": precision, "threshold": threshold, "edgeitems": edgeitems, "linewidth": linewidth}
    printing.OPTIONS.update({name: value for name, value in given.items() if value is not None})
    printing.OPTIONS["sci_mode"] = sci_mode


def legacy_shape(args):
    """The shape PyTorch's legacy constructors (``Tensor(2, 3)``, ``FloatTensor(2, 3)``) read from
    their arguments when every one is a Python int, (0,) when there are none; None when the
    arguments are data (a NumPy scalar is a value here, so arrays and their elements wrap as they are)."""
    if all(type(size) is int for size in args):
        return args or (0,)
    return None


# dtype name -> PyTorch's name for its tensor type (FloatTensor, LongTensor, ...), as Tensor.type() gives it
TYPE_NAMES = {"float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long", "int32": "Int",
              "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool"}
TYPE_DTYPES = {f"{name}Tensor": np.dtype(dtype_name) for dtype_name, name in TYPE_NAMES.items()}  # and back


class Tensor(DtypeShorthands):
    __array_priority__ = 1000  # so ndarray + Tensor calls Tensor.__radd__
    _users = ()  # weak references to the recorded ops that used this tensor (see autograd/in_place.py)
    _post_accumulate_grad_hooks = None  # {handle id: hook(tensor)}, made on the first registration
    _wrapped_number = False  # a Python number an operator turned into a tensor (see ops/promotion.py)
    _wrapped_value = None  # that number itself, kept where the tensor is float16 (see ops/promotion.py)

    def __init__(self, *data, requires_grad=False):
        """A tensor over ``data``: an array as it is (shared, its dtype kept), a tensor's array, or
        numbers and lists of them in the default float dtype (as ``torch.Tensor([1, 2])``; for other
        dtypes use ``tinynn.tensor``). As ``torch.Tensor``, sizes make a tensor of that shape
        (``Tensor(2, 3)``; zeros, where PyTorch's memory is uninitialised) and no argument an empty one."""
        shape = legacy_shape(data)
        if shape is not None:
            check_creatable(shape)
            data = (np.zeros(shape, dtype=promotion.default_float()),)
        if len(data) != 1:
            raise TypeError(f"Tensor: expected sizes (ints) or one array-like of values, got {len(data)} arguments "
                            f"({', '.join(type(d).__name__ for d in data)})")
        data = data[0]
        if isinstance(data, Tensor):
            data = data._array
        if not (isinstance(data, np.ndarray) or backend.is_gpu_array(data)):
            data = np.asarray(data, dtype=None if isinstance(data, np.generic) else promotion.default_float())
        _check_holdable(data.dtype)
        self._array = _in_native_order(data)
        self._grad = None
        self.grad_fn = None
        self.name = None
        self._grad_hooks = {}
        self._retains_grad = False
        self._requires_grad = False
        self.requires_grad = requires_grad

    @classmethod
    def _from_op(cls, data, requires_grad):
        if isinstance(data, np.generic):  # a NumPy reduction's scalar: a 0-d array can be written in place
            data = np.asarray(data)
        tensor = cls.__new__(cls)
        tensor._array, tensor._grad, tensor.grad_fn, tensor.name = data, None, None, None
        tensor._grad_hooks, tensor._retains_grad, tensor._requires_grad = {}, False, requires_grad
        return tensor

    def __getstate__(self):
        """What pickle and ``copy.deepcopy`` keep: the values, requires_grad, ``.grad`` and attributes set
        on the tensor; not its place in a recorded graph (``grad_fn`` and the weak references to the ops
        that used it: the copy is a leaf, as a tensor pickled in PyTorch comes back) nor its hooks
        (functions of the running program, which PyTorch's pickles leave out too), nor the mark of a
        tensor made by ``.data`` (the copy's writes are seen as any tensor's)."""
        state = dict(self.__dict__)
        for transient in ("_users", "_grad_hooks", "_post_accumulate_grad_hooks", "_writes_unseen"):
            state.pop(transient, None)
        state.update(grad_fn=None, _retains_grad=False)
        return state

    def __setstate__(self, state):
        if "grad" in state:  # (pickled before .grad was checked on assignment)
            state["_grad"] = state.pop("grad")
        self.__dict__.update(state)
        self._grad_hooks = {}

    # ----- properties -------------------------------------------------------------------
    @property
    def data(self):
        """The values as a new tensor sharing them, outside autograd: PyTorch's ``.data``
        (``m.weight.data.normal_(0, 0.02)``, ``target.data.copy_(tau * p.data + (1 - tau) * target.data)``,
        ``w.data.clamp_(-c, c)``). It never requires grad, and a write through it is not seen by the
        checks that catch values overwritten under a recorded op that kept this tensor, as PyTorch's
        ``.data`` has a version counter of its own (``detach()`` under ``no_grad()`` is the checked way):
        its array is a view object of its own, and a write through it stops only the ops that kept that
        object. The NumPy (CPU) or CuPy (GPU) array itself, what every op computes with, is ``_array``
        (``numpy()`` outside tinynn)."""
        values = Tensor._from_op(self._array.view(), False)
        values._writes_unseen = True
        return values

    @data.setter
    def data(self, values):
        """Swap in new values, as PyTorch's ``param.data = ...``: an array, or a tensor's (shared)."""
        if isinstance(values, Tensor):
            values = values._array
        elif isinstance(values, np.generic):  # what NumPy's arithmetic on 0-d arrays gives
            values = np.asarray(values)
        if not (isinstance(values, np.ndarray) or backend.is_gpu_array(values)):
            raise TypeError(f"data: expected a tinynn.Tensor, a NumPy array or a CuPy array, got {type(values).__name__}")
        self._array = values

    @property
    def requires_grad(self):
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value):
        if value and self._array.dtype.kind not in "fc":
            raise DtypeError(f"only floating-point and complex tensors can require gradients, got dtype {self._array.dtype}")
        if not value and self.grad_fn is not None:
            raise RuntimeError("requires_grad can only be turned off on leaf tensors; use .detach()")
        self._requires_grad = bool(value)

    @property
    def is_leaf(self):
        return self.grad_fn is None

    @property
    def grad(self):
        """The gradient backward accumulated here: on leaves, and on non-leaves that ``retain_grad()`` or
        were named in backward's ``inputs`` (elsewhere None, with PyTorch's warning: the question is
        usually a mistake)."""
        if self.grad_fn is not None and not self._retains_grad and self._grad is None:
            warn("The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its .grad attribute "
                 "won't be populated during autograd.backward(). If you indeed want the .grad field to be populated "
                 "for a non-leaf Tensor, use .retain_grad() on the non-leaf Tensor. If you access the non-leaf Tensor "
                 "by mistake, make sure you access the leaf Tensor instead.")
        return self._grad

    @grad.setter
    def grad(self, value):
        """A gradient assigned by hand must fit: a tensor of this shape, dtype (or grad_dtype) and device."""
        if value is not None:
            if not (isinstance(value, Tensor) or getattr(value, "is_sparse", False)
                    or getattr(value, "is_sparse_csr", False)):
                raise TypeError(f"assigned grad expected to be a Tensor or None but got grad of type "
                                f"{type(value).__name__}")
            if tuple(value.shape) != tuple(self.shape):
                raise RuntimeError(f"attempting to assign a gradient of shape {tuple(value.shape)} to a tensor of "
                                   f"shape {tuple(self.shape)}: they must be the same")
            expected = self._kept_grad_dtype()
            if expected is not None and value.dtype != expected:
                raise RuntimeError(f"attempting to assign a gradient of dtype {value.dtype} to a tensor whose "
                                   f"gradients are {expected}; convert it with .to({expected})")
            if value.device != self.device:
                raise RuntimeError(f"attempting to assign a gradient on {value.device} to a tensor on {self.device}")
        self._grad = value

    @property
    def _version(self):
        """How many times this tensor's memory was written in place (shared by its views), as PyTorch's
        version counter: code compares it to tell whether a tensor changed since it last looked."""
        return in_place.version(self._array)

    @property
    def shape(self):
        return size_of(self._array.shape)

    @property
    def dtype(self):
        return self._array.dtype

    @property
    def device(self):
        return backend.device_of(self._array)

    @property
    def ndim(self):
        return self._array.ndim

    def dim(self):
        return self._array.ndim

    def size(self, dim=None, *, axis=None):
        """The shape, or its size along ``dim`` (or NumPy's ``axis=``, which PyTorch takes too)."""
        dim = axis if dim is None else dim
        return self.shape if dim is None else self.shape[dim]

    def numel(self):
        return int(self._array.size)

    def __len__(self):
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.shape[0]

    def __iter__(self):
        """The slices along the first axis (views, x[0], x[1], ...); a 0-d tensor has none to give, an
        error as in PyTorch (Python's fallback through x[0] made it an empty sequence)."""
        if self.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self.shape[0]))

    def __repr__(self):
        suffixes = []
        if self.device != backend.CPU:
            suffixes.append(f"device='{self.device}'")
        if self.numel() == 0 and self.ndim != 1:
            suffixes.append(f"size={tuple(self.shape)}")
        return printing.tensor_repr(self.numpy(), suffixes + self._dtype_repr() + self._grad_repr())

    def _dtype_repr(self):
        """["dtype=tinynn.float64"] where PyTorch's repr names the dtype, else [] (also a sparse tensor's,
        of its values)."""
        # the dtypes PyTorch's repr leaves unsaid (an empty tensor shows any but the default float)
        unsaid = (promotion.default_float(),) if self.numel() == 0 else \
            (promotion.default_float(), promotion.default_complex(), np.int64, np.bool_)
        return [] if self.dtype in unsaid else [f"dtype=tinynn.{self.dtype}"]  # (as PyTorch's torch.float64)

    def _grad_repr(self):
        """["grad_fn=<...>"] or ["requires_grad=True"] where the repr says so, else []."""
        if self.grad_fn is not None:
            return [f"grad_fn=<{self.grad_fn.name}Backward>"]
        return ["requires_grad=True"] if self.requires_grad else []

    # ----- autograd -------------------------------------------------------------------
    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        """Compute d(self)/d(leaf) for every leaf that requires grad, adding it into ``leaf.grad``.

        ``gradient`` is dL/d(self); it may be left out only when self holds a single value (then 1).
        ``create_graph``: record the backward pass too, so each ``leaf.grad`` is a Tensor with a graph
        that can be differentiated again (see tinynn.autograd.engine); the graph is then kept
        unless ``retain_graph=False``. ``inputs``: only these tensors receive a ``.grad``.
        """
        outputs, root_grads = engine.root_gradients("backward", self, gradient, "gradient", create_graph)
        engine.accumulate(outputs, root_grads, retain_graph, create_graph, inputs)

    _SAME_DTYPE = object()  # grad_dtype's default: the tensor's own dtype, whatever it becomes

    @property
    def grad_dtype(self):
        """The dtype this leaf's ``.grad`` is kept in (PyTorch's): its own dtype by default; another one
        set here (float32 gradients for float16 parameters, say), or None for whatever dtype arrives."""
        if self.grad_fn is not None:
            raise RuntimeError("grad_dtype can only be accessed on leaf tensors")
        return self._kept_grad_dtype()

    def _kept_grad_dtype(self):
        """The dtype ``.grad`` is kept in: this tensor's own (the default, whatever it becomes), the one
        grad_dtype set, or None for whatever dtype arrives (also a retained non-leaf's, its own)."""
        chosen = self.__dict__.get("_grad_dtype", Tensor._SAME_DTYPE)
        return self.dtype if chosen is Tensor._SAME_DTYPE else chosen

    @grad_dtype.setter
    def grad_dtype(self, dtype):
        if self.grad_fn is not None:
            raise RuntimeError("grad_dtype can only be set on leaf tensors")
        self.__dict__["_grad_dtype"] = None if dtype is None else np.dtype(dtype)

    def _accumulate_grad(self, grad):
        """Add ``grad`` (an array, a sparse tensor, or under create_graph a recorded Tensor) into
        ``.grad``, in ``grad_dtype``. Sparse and sparse stay sparse (entries side by side); with a dense
        one, dense."""
        kept = self._kept_grad_dtype()
        dtype = grad.dtype if kept is None else kept
        if isinstance(grad, Tensor) or getattr(grad, "is_sparse", False):
            grad = grad if grad.dtype == dtype else grad.to(dtype=dtype)
            self._grad = grad if self._grad is None else self._grad + grad
            return
        if grad.dtype != dtype:
            grad = grad.astype(dtype)
        self._grad = Tensor._from_op(grad if self._grad is None else self._grad.to_dense()._array + grad, False)

    def _wrap_grad(self, grad):
        return grad if getattr(grad, "is_sparse", False) else Tensor._from_op(grad, False)

    def register_hook(self, hook):
        """Call ``hook(grad)`` when this tensor's gradient is computed; a non-None return value
        replaces the gradient. Returns a handle whose ``.remove()`` unregisters it."""
        if not self.requires_grad:
            raise RuntimeError("register_hook: cannot register a hook on a tensor that does not require grad")
        from .hooks import RemovableHandle

        handle = RemovableHandle(self._grad_hooks)
        self._grad_hooks[handle.id] = hook
        return handle

    def register_post_accumulate_grad_hook(self, hook):
        """Call ``hook(tensor)`` after each backward has added into this leaf's ``.grad`` (PyTorch's way
        to update a parameter as soon as its gradient is complete). Returns a removable handle."""
        if not self.requires_grad or self.grad_fn is not None:
            raise RuntimeError("register_post_accumulate_grad_hook: only leaf tensors that require grad have "
                               "their gradient accumulated")
        from .hooks import RemovableHandle

        if self._post_accumulate_grad_hooks is None:
            self._post_accumulate_grad_hooks = {}
        handle = RemovableHandle(self._post_accumulate_grad_hooks)
        self._post_accumulate_grad_hooks[handle.id] = hook
        return handle

    def retain_grad(self):
        """Keep ``.grad`` on this non-leaf tensor after backward (leaves always keep it)."""
        self._retains_grad = True

    def detach(self):
        """The same data, cut from the graph (no grad_fn, requires_grad False)."""
        return Tensor._from_op(self._array, False)

    def requires_grad_(self, requires_grad=True):
        self.requires_grad = requires_grad
        return self

    def fill_(self, value):
        """Set every element to ``value`` in place (a 0-d tensor ``value`` gets its gradient)."""
        fill = self._fill_value(value, "fill_")

        def write_directly():
            self._array[...] = fill._array
        return in_place.write(self, "fill_", lambda x: x._replaced_by(fill), (value,), write_directly, uniform=True)

    def _fill_value(self, value, name):
        """What a fill (fill_, masked_fill, index_fill) writes: a number or a 0-d tensor, in this tensor's
        dtype whatever its own (as PyTorch's fills; an arithmetic op would promote instead)."""
        if isinstance(value, Tensor) and value.ndim:
            raise RuntimeError(f"{name} only supports a 0-dimensional value tensor, but got tensor with "
                               f"{value.ndim} dimension(s).")
        if not isinstance(value, Tensor):
            value_ranges.check_fits(value, self.dtype)
        value = self._operand(value)
        return value if value.dtype == self.dtype else value.to(dtype=self.dtype)

    def zero_(self):
        return self.fill_(0)

    def apply_(self, callable):
        """Each element replaced by ``callable(element)``, a Python call per element (as PyTorch's,
        for the CPU and for tensors outside autograd: slow, for what no array op can say)."""
        return self._mapped("apply_", callable)

    def map_(self, tensor, callable):
        """Each element replaced by ``callable(element, other)``, ``tensor`` broadcast to this shape."""
        return self._mapped("map_", callable, tensor)

    def map2_(self, x, y, callable):
        """Each element replaced by ``callable(element, x_element, y_element)``."""
        return self._mapped("map2_", callable, x, y)

    def _mapped(self, name, callable, *others):
        if self.requires_grad:
            raise RuntimeError(f"{name}: cannot call it on a tensor that requires grad; use .detach().{name}()")
        if self.device != backend.CPU:
            raise RuntimeError(f"{name}: runs a Python function per element, on CPU tensors only; this one is on "
                               f"{self.device}")
        arrays = [np.broadcast_to(other.numpy() if isinstance(other, Tensor) else np.asarray(other), self.shape)
                  for other in others]
        values = [callable(*(array[index] for array in [self._array] + arrays)) for index in np.ndindex(*self.shape)]
        return self._filled(name, np.asarray(values, dtype=self.dtype).reshape(self.shape))

    def _filled(self, name, array):
        """This tensor's memory filled with the constant ``array`` (drawn values), its history cut."""
        return self._in_place(name, lambda x: x._constant(array))

    # ----- conversion -------------------------------------------------------------------
    def numpy(self, force=False):
        """A NumPy array of the values: this tensor's memory on the CPU, a copy from the GPU.
        (``force``: PyTorch's leave to convert a tensor that requires grad, which tinynn gives always.)"""
        return backend.to_device(self._array, backend.CPU)

    def __array__(self, dtype=None, copy=None):
        array = self.numpy()
        return array.astype(dtype) if dtype is not None else array

    def tolist(self):
        return self.numpy().tolist()

    def __dlpack__(self, *, stream=None, max_version=None, dl_device=None, copy=None):
        """The DLPack protocol (as an array's), for ``torch.from_dlpack(t)``, ``np.from_dlpack(t)``,
        ``cupy.from_dlpack(t)``: the same memory, no copy. As PyTorch's, not for a tensor that requires
        grad (the other library could not carry its history): export ``t.detach()``."""
        if self.requires_grad:
            raise RuntimeError("__dlpack__: can't export a tensor that requires grad; export tensor.detach()")
        asked = {"stream": stream, "max_version": max_version, "dl_device": dl_device, "copy": copy}
        return self._array.__dlpack__(**{name: value for name, value in asked.items() if value is not None})

    def __dlpack_device__(self):
        return self._array.__dlpack_device__()

    def item(self):
        if self._array.size != 1:
            raise InputError(f"item: only a tensor with one element can be converted to a Python scalar, got shape {tuple(self.shape)}")
        return backend.read_scalar(self._array)

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def __complex__(self):
        return complex(self.item())

    def __index__(self):
        """A one-element integer tensor as an index (``items[t]``, ``range(t)``), as PyTorch's."""
        if self._array.size != 1 or self.dtype.kind not in "iu":
            raise TypeError(f"only integer tensors of a single element can be converted to an index, got dtype "
                            f"{self.dtype} and shape {tuple(self.shape)}")
        return int(self.item())

    def __bool__(self):
        if self._array.size != 1:
            raise RuntimeError(f"the truth value of a tensor with shape {tuple(self.shape)} is ambiguous")
        return bool(self.item())

    def to(self, device=None, dtype=None, non_blocking=False, copy=False, memory_format=None):
        """A tensor on ``device`` and/or of ``dtype`` (``device`` may be a dtype, or a tensor whose
        device and dtype to take, as in PyTorch) and/or laid out in ``memory_format`` (``tinynn.channels_last``:
        see tinynn/memory_layout.py); differentiable (the gradient moves back). Itself
        when nothing changes, unless ``copy``. ``non_blocking`` is PyTorch's hint to overlap a copy
        with other work; tinynn's copies between devices complete before ``to`` returns."""
        from .ops.conversion import AsType, ToDevice

        if isinstance(device, Tensor):
            device, dtype = device.device, device.dtype
        elif device is not None and not isinstance(device, str) and dtype is None:
            device, dtype = None, device  # x.to(np.float64)
        out = self
        if device is not None and backend.canonical_device(device) != self.device:
            out = ToDevice(backend.canonical_device(device))(out)
        if dtype is not None and np.dtype(dtype) != out.dtype:
            out = AsType(np.dtype(dtype))(out)
        if memory_format not in (None, memory_layout.preserve_format):
            out = out._laid_out(memory_layout.check(memory_format, "to"), "to")
        return out.clone() if copy and out is self else out

    def cpu(self):
        return self.to("cpu")

    def gpu(self):
        return self.to("gpu")

    def cuda(self, device=None, non_blocking=False):
        """This tensor on the GPU (``device``: None, 0, ``"cuda:0"``: tinynn uses one GPU)."""
        return self.to(backend.gpu_device(device), non_blocking=non_blocking)

    def cfloat(self):
        return self.to(dtype=np.complex64)

    def cdouble(self):
        return self.to(dtype=np.complex128)

    def astype(self, dtype):
        return self.to(dtype=dtype)

    # ----- arithmetic -------------------------------------------------------------------
    def _operand(self, other):
        """``other`` as a Tensor. A Python number becomes a "wrapped number" (ops/promotion.py) of this
        tensor's dtype where that is its kind or a higher one (so float32 stays float32), else of the
        default float dtype."""
        if isinstance(other, Tensor):
            return other
        kind = type(other)
        if kind is not float and kind is not int and (getattr(other, "is_sparse", False)
                                                      or getattr(other, "is_sparse_csr", False)):
            return other.to_dense()  # (its dense form takes part)
        xp = backend.get_array_module(self._array)
        # (type() first: the ABC checks below take a microsecond, and Python numbers come with most ops)
        if kind is float or kind is int or (isinstance(other, numbers.Number) and not isinstance(other, bool)):
            if kind is int or (kind is not float and isinstance(other, numbers.Integral)):
                dtype = self.dtype if self.dtype.kind in "iuf" else np.dtype(np.int64)
                if dtype.kind in "iu" and not np.iinfo(dtype).min <= other <= np.iinfo(dtype).max:
                    dtype = np.dtype(np.int64)  # computed in the tensor's dtype all the same (ops/promotion.py)
            else:
                real = kind is float or isinstance(other, numbers.Real)
                dtype = _python_number_dtype("f" if real else "c", self.dtype)
            if dtype != np.float16:
                number = Tensor._from_op(xp.asarray(other, dtype=dtype), False)
            else:  # computed in float32 where it meets the tensor (ops/promotion.py), so kept as it is too
                with np.errstate(over="ignore"):  # (1e5 is inf as a float16, and NumPy would warn)
                    number = Tensor._from_op(xp.asarray(other, dtype=dtype), False)
                number._wrapped_value = other
            number._wrapped_number = True
            return number
        return Tensor._from_op(_operand_array(xp, other, self.dtype), False)

    def __add__(self, other):
        return arithmetic.Add()(self, self._operand(other))

    def __radd__(self, other):
        return arithmetic.Add()(self._operand(other), self)

    def __sub__(self, other):
        return arithmetic.Sub()(self, self._operand(other))

    def __rsub__(self, other):
        return arithmetic.Sub()(self._operand(other), self)

    def __mul__(self, other):
        return arithmetic.Mul()(self, self._operand(other))

    def __rmul__(self, other):
        return arithmetic.Mul()(self._operand(other), self)

    def __truediv__(self, other):
        return arithmetic.Div()(self, self._operand(other))

    def __rtruediv__(self, other):
        return arithmetic.Div()(self._operand(other), self)

    def __pow__(self, other):
        if self.dtype.kind in "iub" and isinstance(other, (int, np.integer)) and not isinstance(other, bool) and other < 0:
            # as PyTorch: a negative power of integers is a fraction; a tensor exponent truncates it (Pow)
            raise InputError(f"pow: integers to negative integer powers are not allowed ({self.dtype} tensor ** "
                             f"{other}); convert the tensor with .float() first")
        return arithmetic.Pow()(self, self._operand(other))

    def __rpow__(self, other):
        return arithmetic.Pow()(self._operand(other), self)

    def __neg__(self):
        return arithmetic.Neg()(self)

    def __matmul__(self, other):
        return matmul(self, self._operand(other))

    def __rmatmul__(self, other):
        return matmul(self._operand(other), self)

    # ----- comparisons (no gradient) ------------------------------------------------------
    def _compare(self, other, name, ordering=False):
        """``operator.<name>`` (eq, lt, ... PyTorch's names too) of this tensor and ``other``, elementwise."""
        array = self._array
        if isinstance(other, Tensor):
            other = other._array
        elif array.dtype == np.float16 and type(other) in (float, int):
            array = array.astype(np.float32)  # the number keeps its value, as in arithmetic (ops/promotion.py)
        elif type(other) not in (float, int, bool) and not isinstance(other, numbers.Number) and (
                other is not None or ordering):  # (x == None is False everywhere, as NumPy's)
            other = _operand_array(backend.get_array_module(array), other, array.dtype)
        if ordering:
            self._real_only("comparison (< <= > >=)", other)
        return Tensor._from_op(broadcasting.checked(name, getattr(operator, name), array, other), False)

    def _real_only(self, name, *others):
        """Refuse complex values where only real numbers have an order (sorting, <, floor, sign, ...)."""
        if self.dtype.kind == "c" or any(getattr(o, "dtype", None) is not None and o.dtype.kind == "c"
                                         or isinstance(o, complex) for o in others):
            raise DtypeError(f"{name}: complex numbers have no order, so this is not defined for complex tensors; "
                             f"compare .abs() or .real instead")

    def __eq__(self, other):
        return self._compare(other, "eq")

    def __ne__(self, other):
        return self._compare(other, "ne")

    def __lt__(self, other):
        return self._compare(other, "lt", ordering=True)

    def __le__(self, other):
        return self._compare(other, "le", ordering=True)

    def __gt__(self, other):
        return self._compare(other, "gt", ordering=True)

    def __ge__(self, other):
        return self._compare(other, "ge", ordering=True)

    __hash__ = object.__hash__

    # ----- bitwise operators on boolean (or integer) tensors: constants ---------------------
    def _bitwise(self, other, function, kinds="biu", reflected=False):
        """``function`` (NumPy's name) of self and other, in the dtype PyTorch computes them in (a 0-d
        tensor or a Python number only lifts the kind; ops/promotion.py), for dtypes of ``kinds``."""
        operand = self._operand(other)
        dtype = promotion.result_type([self, operand])
        if dtype.kind not in kinds:
            wanted = "integer or bool" if "b" in kinds else "integer"
            raise DtypeError(f"{function}: expected {wanted} tensors, got {self.dtype} and {operand.dtype}")
        left, right = (operand, self) if reflected else (self, operand)
        xp = backend.get_array_module(self._array)
        return Tensor._from_op(broadcasting.checked(function, getattr(xp, function), left._array.astype(dtype, copy=False),
                                                    right._array.astype(dtype, copy=False)), False)

    def __and__(self, other):
        return self._bitwise(other, "bitwise_and")

    def __or__(self, other):
        return self._bitwise(other, "bitwise_or")

    def __xor__(self, other):
        return self._bitwise(other, "bitwise_xor")

    __rand__, __ror__, __rxor__ = __and__, __or__, __xor__

    def __lshift__(self, other):
        """Integer bit shifts (``bitwise_left_shift``), constants as the other bitwise operators."""
        return self._bitwise(other, "left_shift", "iu")

    def __rshift__(self, other):
        return self._bitwise(other, "right_shift", "iu")

    def __rlshift__(self, other):
        return self._bitwise(other, "left_shift", "iu", reflected=True)

    def __rrshift__(self, other):
        return self._bitwise(other, "right_shift", "iu", reflected=True)

    bitwise_left_shift, bitwise_right_shift = __lshift__, __rshift__

    def __invert__(self):
        if self.dtype.kind not in "biu":
            raise DtypeError(f"bitwise_not: expected an integer or bool tensor, got {self.dtype}")
        return Tensor._from_op(backend.get_array_module(self._array).invert(self._array), False)

    # x += y and kin write into x's memory, as PyTorch's (so an alias of x sees the change)
    def __iadd__(self, other):
        return self.add_(other)

    def __isub__(self, other):
        return self.sub_(other)

    def __imul__(self, other):
        return self.mul_(other)

    def __itruediv__(self, other):
        return self.div_(other)

    def __ipow__(self, other):
        return self.pow_(other)

    def __ifloordiv__(self, other):
        return self.floor_divide_(other)

    def __imod__(self, other):
        return self.remainder_(other)

    def __iand__(self, other):
        return self.bitwise_and_(other)

    def __ior__(self, other):
        return self.bitwise_or_(other)

    def __ixor__(self, other):
        return self.bitwise_xor_(other)

    def __floordiv__(self, other):
        """floor(a / b) (``torch.floor_divide``), a constant, in the promoted dtype (ops/promotion.py)."""
        return _floor_divide(self, self._operand(other))

    def __rfloordiv__(self, other):
        return _floor_divide(self._operand(other), self)

    def floor_divide(self, other):
        return self // other

    def __abs__(self):
        return self.abs()

    def __contains__(self, value):
        return bool((self._array == _data(value)).any())

    def __format__(self, spec):
        """f"{loss:.4f}" formats a one-element tensor's number; f"{x}" is the number of a 0-d tensor
        (as PyTorch), the repr of others."""
        if self._array.size == 1 and spec or self.ndim == 0:
            return format(self.item(), spec)
        return format(str(self), spec)

    def __setitem__(self, index, value):
        """``x[index] = value`` written into this tensor's memory; recorded by autograd where x or the
        value requires grad (the gradient of the overwritten elements is zero, the value's is the
        gradient of its positions, summed where it was broadcast)."""
        if isinstance(value, Tensor) and value.device != self.device:
            raise RuntimeError(f"x[index] = value: the value is on {value.device}, the tensor on {self.device}")
        if isinstance(value, numbers.Number):
            value_ranges.check_scalar_fits(value, self.dtype)
            value = value_ranges.wrapped(value, self.dtype)
        elif not isinstance(value, Tensor):  # (None was written as NaN, a string failed inside NumPy)
            value = _operand_array(backend.get_array_module(self._array), value, self.dtype)
        steps = shape_ops.pytorch_index_steps(_index_arrays(index), self.ndim)

        def selected(array, steps=steps):
            """``array[index]`` as PyTorch reads the index, step by step."""
            for step in steps:
                array = array[step]
            return array

        def write_directly():  # (the steps but the last are integers and slices: a view, so the write reaches self)
            selected(self._array, steps[:-1])[steps[-1]] = _data(value)
        try:
            in_place.write(self, "x[index] = value", lambda x: _assigned(x, steps, value), (value,), write_directly,
                           written=selected)
        except ValueError:
            broadcasting.check_expands("x[index] = value", getattr(value, "shape", ()), selected(self._array).shape)
            raise

    def ndimension(self):
        return self.ndim

    def type(self, dtype=None, non_blocking=False):
        """Without an argument, the type's name (``"tinynn.FloatTensor"`` for float32, as PyTorch's
        names go); with a dtype, a legacy type (``tinynn.IntTensor``) or such a name (PyTorch's
        ``"torch.IntTensor"`` and ``"torch.cuda.IntTensor"`` too, the latter on the GPU), the tensor
        converted to it. (``non_blocking``: as in ``to``.)"""
        if isinstance(dtype, str):
            kind = dtype.split(".")[-1]
            if kind not in TYPE_DTYPES or dtype.split(".")[0] not in ("torch", "tinynn"):
                raise InputError(f"type: invalid type {dtype!r}; expected a dtype or a name such as 'tinynn.FloatTensor'")
            return self.to(backend.GPU if ".cuda." in dtype else self.device, TYPE_DTYPES[kind])
        if isinstance(dtype, type) and isinstance(getattr(dtype, "dtype", None), np.dtype):
            dtype = dtype.dtype  # a legacy type, tinynn.IntTensor (legacy_tensors.py)
        if dtype is not None:
            return self.to(dtype=dtype)
        return f"tinynn.{TYPE_NAMES.get(self.dtype.name, self.dtype.name)}Tensor"

    @property
    def is_cuda(self):
        return self.device == backend.GPU

    @property
    def itemsize(self):
        return self._array.itemsize

    @property
    def nbytes(self):
        return self._array.nbytes

    @property
    def mH(self):
        """The conjugate transpose of the last two axes (the transpose, for a real tensor)."""
        return self.mT.conj()

    @property
    def H(self):
        """The conjugate transpose of a matrix."""
        return self.t().conj()

    # ----- elementwise functions ------------------------------------------------------------
    def exp(self):
        return elementwise.Exp()(self)

    def log(self):
        return elementwise.Log()(self)

    def log1p(self):
        return elementwise.Log1p()(self)

    def sqrt(self):
        return elementwise.Sqrt()(self)

    def tanh(self):
        return elementwise.Tanh()(self)

    def sigmoid(self):
        return elementwise.Sigmoid()(self)

    def erf(self):
        return erf.Erf()(self)

    def erfc(self):
        return erf.Erfc()(self)

    def erfinv(self):
        return erf.Erfinv()(self)

    def lgamma(self):
        """log |Gamma(x)|."""
        return gamma.Lgamma()(self)

    def i0(self):
        """The modified Bessel function I0 (``tinynn.special.i0``)."""
        return bessel.I0()(self)

    def igamma(self, other):
        """The regularized lower incomplete gamma function P(self, other) (``tinynn.special.gammainc``)."""
        return incomplete_gamma.RegularizedGamma(upper=False)(self, self._operand(other))

    def igammac(self, other):
        """The regularized upper incomplete gamma function Q(self, other) = 1 - P(self, other)."""
        return incomplete_gamma.RegularizedGamma(upper=True)(self, self._operand(other))

    def digamma(self):
        """d/dx lgamma(x)."""
        return gamma.Polygamma(0)(self)

    def polygamma(self, n):
        """The n-th derivative of digamma."""
        return gamma.Polygamma(n)(self)

    def mvlgamma(self, p):
        """The multivariate log-gamma: p(p-1)/4 log(pi) + sum over i < p of lgamma(x - i/2)."""
        offsets = Tensor._from_op(backend.get_array_module(self._array).arange(p, dtype=self.dtype) / 2, False)
        return (self.unsqueeze(-1) - offsets).lgamma().sum(-1) + p * (p - 1) / 4 * math.log(math.pi)

    def abs(self):
        """|x|; for a complex tensor the modulus sqrt(Re^2 + Im^2), a real tensor."""
        return complex_ops.ComplexAbs()(self) if self.dtype.kind == "c" else elementwise.Abs()(self)

    def clip(self, min=None, max=None):
        """min(max(self, min), max); the bounds (numbers or tensors, broadcast; tensors get their
        gradients where they bind) take part in type promotion, as in PyTorch
        (``int_tensor.clip(0.5)`` is float32)."""
        if min is None and max is None:
            raise InputError("clip: at least one of min and max must be given")
        given = {name: self._operand(bound) for name, bound in (("low", min), ("high", max)) if bound is not None}
        dtype = promotion.result_type([self, *given.values()])
        for bound in (min, max):
            if isinstance(bound, numbers.Number):
                value_ranges.check_fits(bound, dtype)
        x, *bounds = (t if t.dtype == dtype else t.to(dtype=dtype) for t in (self, *given.values()))
        return elementwise.Clip(tuple(given))(x, *bounds)

    clamp = clip

    def maximum(self, other):
        return elementwise.Maximum()(self, self._operand(other))

    def minimum(self, other):
        return elementwise.Minimum()(self, self._operand(other))

    def pow(self, exponent):
        return self ** exponent

    def matmul(self, other):
        return self @ other

    def masked_fill(self, mask, value):
        """``value`` where the boolean ``mask`` (broadcast to this shape) is True; gradient flows elsewhere.
        The result keeps this tensor's dtype, as in PyTorch (``value``, a number or a 0-d tensor, is
        converted to it)."""
        return where(mask, self._fill_value(value, "masked_fill"), self)

    def softmax(self, dim, dtype=None):
        from .nn import functional

        return functional.softmax(self, dim, dtype=dtype)

    def log_softmax(self, dim, dtype=None):
        from .nn import functional

        return functional.log_softmax(self, dim, dtype=dtype)

    def relu(self):
        from .nn import functional

        return functional.relu(self)

    # ----- reductions -------------------------------------------------------------------
    def sum(self, dim=None, keepdim=False, *, dtype=None, axis=None, keepdims=None):
        """The sum over ``dim`` (an int, a tuple or every axis); NumPy's ``axis``/``keepdims`` also work.
        ``dtype``: the values are converted to it first (as PyTorch's, e.g. to sum float16 in float32),
        and the sum is of that dtype (an int32 sum stays int32, where an integer sum is int64 by default)."""
        total = reduction.Sum(dim if dim is not None else axis, keepdim if keepdims is None else keepdims)(
            self._in_dtype(dtype))
        return total if dtype is None or total.dtype == np.dtype(dtype) else total.to(dtype=dtype)

    def mean(self, dim=None, keepdim=False, *, dtype=None, axis=None, keepdims=None):
        if dtype is not None and np.dtype(dtype).kind not in "fc":  # (an integer mean would truncate the input first)
            raise DtypeError(f"mean: dtype must be a floating-point or complex dtype, got {np.dtype(dtype)}")
        return reduction.Mean(dim if dim is not None else axis, keepdim if keepdims is None else keepdims)(
            self._in_dtype(dtype))

    def _in_dtype(self, dtype):
        """This tensor converted to ``dtype`` (differentiably), or itself for None: what the ``dtype=``
        argument of PyTorch's reductions, scans and softmax does to the input before the op."""
        return self if dtype is None else self.to(dtype=dtype)

    def amax(self, dim=None, keepdim=False):
        """The maximum over ``dim`` (an int, a tuple, or every axis); elements tied for it share the
        gradient equally (``torch.amax``)."""
        return reduction.Max(dim, keepdim)(self)

    def amin(self, dim=None, keepdim=False):
        """The minimum over ``dim``, as ``amax`` (``torch.amin``)."""
        return reduction.Max(dim, keepdim, smallest=True)(self)

    def max(self, dim_or_other=None, /, keepdim=False, *, dim=None, other=None):
        """PyTorch's three forms: ``x.max()`` the largest value (as ``amax``); ``x.max(dim)`` the
        (values, indices) of each slice's maximum along the int ``dim``, the first one on a tie, whose
        gradient goes to that index; ``x.max(other)`` the elementwise maximum. A tensor given by position
        is ``other``, by the keyword ``dim`` a dim (a 0-d integer tensor), as PyTorch reads them."""
        dim, other = self._dim_or_other("max", dim_or_other, dim, other, keepdim)
        if other is not None:
            return self.maximum(other)
        return self.amax() if dim is None else self._extreme(dim, keepdim, "argmax")

    def min(self, dim_or_other=None, /, keepdim=False, *, dim=None, other=None):
        """``x.min()``, ``x.min(dim)`` -> (values, indices), ``x.min(other)``: as ``max``."""
        dim, other = self._dim_or_other("min", dim_or_other, dim, other, keepdim)
        if other is not None:
            return self.minimum(other)
        return self.amin() if dim is None else self._extreme(dim, keepdim, "argmin")

    @staticmethod
    def _dim_or_other(name, given, dim, other, keepdim):
        """(dim, other) of max's or min's arguments: one given by position is ``other`` if a tensor."""
        if given is not None:
            if dim is not None or other is not None:
                raise TypeError(f"{name}: give dim or other once, by position or by keyword")
            dim, other = (None, given) if isinstance(given, Tensor) else (given, None)
        if keepdim and dim is None:  # (PyTorch's refusal: the max of everything keeps no dim)
            raise TypeError(f"{name}: keepdim=True needs a dim; a{name}(keepdim=True) keeps every dim of the whole "
                            f"tensor's {name}imum")
        return as_int(dim), other

    def _extreme(self, dim, keepdim, which):
        if not isinstance(dim, (int, np.integer)):
            raise TypeError(f"{which[3:]}: dim must be an int (for several dims use a{which[3:]}), got {dim!r}")
        dim = wrap_dim(dim, self.ndim)
        self._check_selects_from(which[3:], dim)
        xp = backend.get_array_module(self._array)
        indices = Tensor._from_op(xp.expand_dims(getattr(self._array, which)(axis=dim), dim), False)
        values = self.gather(dim, indices)
        if not keepdim:
            values, indices = values.squeeze(dim), Tensor._from_op(indices._array.squeeze(dim), False)
        return getattr(return_types, which[3:])(values, indices)

    def _check_selects_from(self, name, dim):
        """PyTorch's IndexError where a reduction that picks one element (max, argmin, mode, ...) has
        none to pick: along ``dim`` (a wrapped axis), or in the whole tensor when ``dim`` is None."""
        if dim is None and self._array.size == 0:
            raise IndexError(f"{name}(): Expected reduction dim to be specified for input.numel() == 0.")
        if dim is not None and self.ndim and self.shape[dim] == 0:
            raise IndexError(f"{name}(): Expected reduction dim {dim} to have non-zero size.")

    def logsumexp(self, dim=None, keepdim=False):
        """log(sum(exp(x))) over ``dim``, without overflow."""
        return reduction.LogSumExp(dim, keepdim)(self)

    def prod(self, dim=None, keepdim=False, *, dtype=None):
        return reduction.Prod(dim, keepdim)(self._in_dtype(dtype))

    def cumsum(self, dim, *, dtype=None):
        return reduction.CumSum(dim)(self._in_dtype(dtype))

    def norm(self, p="fro", dim=None, keepdim=False, dtype=None):
        """The p-norm over ``dim`` (all elements by default): p = 2 or "fro" (Euclidean), 1, inf, or
        any p > 0 as (sum |x|^p)^(1/p); p = 0, negative or -inf as ``linalg.vector_norm``; "nuc": the
        nuclear norm (the sum of the singular values) of the matrices over two dims (the last two by
        default), as PyTorch's; with ``dtype``, computed in that dtype (the input cast first). p None is
        the default, as PyTorch's."""
        p = "fro" if p is None else p
        if dtype is not None:
            return self.to(dtype=dtype).norm(p, dim, keepdim)
        if self.dtype == np.float16:  # summed in float32, as PyTorch's kernels (half_precision.py)
            return self.float().norm(p, dim, keepdim).half()
        if p == "nuc":
            from .linalg import matrix_norm

            if (dim is None and self.ndim != 2) or (dim is not None and len(dim) != 2):
                raise InputError(f"norm: the nuclear norm is of matrices: give a 2-D tensor or two dims, got shape "
                                 f"{tuple(self.shape)} and dim {dim}")
            return matrix_norm(self, "nuc", (-2, -1) if dim is None else tuple(dim), keepdim)
        if isinstance(p, (int, float)) and not isinstance(p, bool) and p <= 0:
            from .linalg import vector_norm

            return vector_norm(self, p, dim, keepdim)
        if self.dtype.kind == "c":  # the norm of the moduli
            return self.abs().norm(p, dim, keepdim)
        if p in ("fro", 2):
            return reduction.Norm2(dim, keepdim)(self)
        if p == 1:
            return self.abs().sum(dim, keepdim)
        if p == float("inf"):
            return self.abs().amax(dim, keepdim)
        if not isinstance(p, (int, float)) or p <= 0:
            raise InputError(f"norm: p must be a number, inf, -inf, 'fro' or 'nuc', got {p!r}")
        return _root_at_zero_flat((self.abs() ** p).sum(dim, keepdim), 1 / p)

    def sort(self, dim=-1, descending=False, *, stable=False):
        """(values, indices) sorted along ``dim``; ties keep their order (a stable sort, whether
        ``stable`` asks for one or not). The values are differentiable (a gather of the input); the
        indices are int64."""
        self._real_only("sort")
        dim = wrap_dim(dim, self.ndim)
        xp = backend.get_array_module(self._array)
        # NumPy's default sort is not stable; CuPy's always is and takes no ``kind``
        options = {"kind": "stable"} if xp is np else {}
        if descending and self.ndim:
            # The ascending order of the values reversed, read backwards: ties keep their order, NaN
            # comes first as in PyTorch (negating the values would wrap unsigned integers around)
            order = xp.argsort(xp.flip(self._array, axis=dim), axis=dim, **options)
            indices = Tensor._from_op(xp.flip(self.shape[dim] - 1 - order, axis=dim), False)
        else:
            indices = Tensor._from_op(xp.argsort(self._array, axis=dim, **options), False)
        return return_types.sort(self.gather(dim, indices), indices)

    def topk(self, k, dim=-1, largest=True, sorted=True):
        """The ``k`` largest (or smallest) values along ``dim`` and their indices, always in sorted order
        (``sorted=False`` allows any order in PyTorch; this order is one of them)."""
        size, k = self.shape[wrap_dim(dim, self.ndim)] if self.ndim else 1, as_int(k)
        if not isinstance(k, (int, np.integer)) or not 0 <= k <= size:
            raise InputError(f"topk: k must be an int in [0, {size}] (the size of dim {dim}), got {k!r}")
        values, indices = self.sort(dim, descending=largest)
        cut = (slice(None),) * wrap_dim(dim, self.ndim) + (slice(0, int(k)),)
        return return_types.topk(values[cut], Tensor._from_op(indices._array[cut], False))

    def flip(self, *dims_given, dims=None):
        """The elements in reverse order along each of ``dims`` (one by one, as a tuple or list, or by
        keyword): a copy, as PyTorch's (writing into it leaves this tensor as it is)."""
        if not dims_given and dims is None:
            raise TypeError('flip() missing 1 required positional arguments: "dims"')
        dims = size_arguments(dims_given, dims, "flip")
        flipped = {wrap_dim(d, self.ndim) for d in dims}
        if len(flipped) != len(dims):
            raise InputError(f"flip: a dim appears multiple times in the list of dims {dims}")
        return self[tuple(slice(None, None, -1) if axis in flipped else slice(None) for axis in range(self.ndim))].clone()

    def sin(self):
        return elementwise.Sin()(self)

    def cos(self):
        return elementwise.Cos()(self)

    def argmax(self, dim=None, keepdim=False, *, axis=None):
        axis = dim if dim is not None else axis
        axis = None if axis is None else wrap_dim(axis, self.ndim)
        self._real_only("argmax")
        self._check_selects_from("argmax", axis)
        return Tensor._from_op(self._array.argmax(axis=axis, keepdims=keepdim), False)

    def argmin(self, dim=None, keepdim=False, *, axis=None):
        axis = dim if dim is not None else axis
        axis = None if axis is None else wrap_dim(axis, self.ndim)
        self._real_only("argmin")
        self._check_selects_from("argmin", axis)
        return Tensor._from_op(self._array.argmin(axis=axis, keepdims=keepdim), False)

    def var(self, dim=None, unbiased=None, keepdim=False, *, correction=None):
        """sum(|x - mean|^2) / (N - correction) over ``dim`` (all axes by default); correction 1
        (Bessel's, PyTorch's default) unless ``unbiased=False`` or ``correction`` says otherwise.
        Real also for a complex tensor, as PyTorch's. A bool in dim's place is PyTorch's older
        ``var(unbiased)``."""
        dim, unbiased = unbiased_in_dims_place(dim, unbiased)
        if correction is None:
            correction = 0 if unbiased is False else 1
        if self.dtype == np.float16:  # in float32, as PyTorch's: a count above 65504 is inf in float16
            return self.float().var(dim, keepdim=keepdim, correction=correction).half()
        centered = self - self.mean(dim, keepdims=True)
        axes = reduction.normalize_axes(dim, self.ndim, "var")
        count = int(np.prod([self.shape[a] for a in axes])) if self.ndim else 1
        squares = (centered * centered.conj()).real if centered.dtype.kind == "c" else centered * centered
        return squares.sum(dim, keepdims=keepdim) / max(count - correction, 0)

    def std(self, dim=None, unbiased=None, keepdim=False, *, correction=None):
        """sqrt(var); where the variance is 0 the gradient is 0, as PyTorch's (not 0 * inf)."""
        return _root_at_zero_flat(self.var(dim, unbiased, keepdim, correction=correction), 0.5)

    # ----- shape ------------------------------------------------------------------------
    def reshape(self, *sizes, shape=None):
        return shape_ops.Reshape(size_arguments(sizes, shape, "reshape"))(self)

    def view(self, *shape, size=None):
        """``reshape`` where the memory allows a view (an error otherwise, as PyTorch's, except for a tensor
        channels-last in memory, such as a convolution's output (unit axes inserted or not), which C order
        would allow: that copies, see tinynn/memory_layout.py); or, given a dtype,
        the same memory read as that dtype (bits reinterpreted, a view, outside autograd, as PyTorch's):
        the last dimension scales by the ratio of the item sizes, and must be contiguous where they differ."""
        if len(shape) == 1 and isinstance(shape[0], Tensor):  # a size, as PyTorch reads a one-element int tensor
            if shape[0].dtype.kind not in "iu" or shape[0].numel() != 1:
                raise TypeError(f"view: expected sizes or a dtype, got a {shape[0].dtype} tensor of shape "
                                f"{tuple(shape[0].shape)}")
            shape = (int(shape[0].item()),)
        elif len(shape) == 1 and not isinstance(shape[0], (int, np.integer, tuple, list)):
            return self._bits_as(np.dtype(shape[0]))
        result = self.reshape(size_arguments(shape, size, "view"))
        copied = result.numel() and in_place.memory_block(result._array) is not in_place.memory_block(self._array)
        if copied and not memory_layout.lies_channels_last(self._array):
            # a copy would break what a view promises (writes reaching this tensor): PyTorch refuses it too
            strides = tuple(stride // self.dtype.itemsize for stride in self._array.strides)
            raise RuntimeError(f"view: a tensor of shape {tuple(self.shape)} with strides {strides} (in elements) cannot be "
                               f"seen as shape {tuple(result.shape)} without copying; use .reshape(...) (which copies where "
                               f"it must) or .contiguous().view(...)")
        return result

    def _bits_as(self, dtype):
        if dtype.itemsize != self.dtype.itemsize:
            if self.ndim == 0:
                raise RuntimeError(f"view: a 0-d {self.dtype} tensor cannot be viewed as {dtype}, whose items have "
                                   f"another size")
            if self.shape[-1] != 1 and self._array.strides[-1] != self.dtype.itemsize:
                raise RuntimeError(f"view: the last dimension must be contiguous (stride 1) to view {self.dtype} as "
                                   f"{dtype} (items of other sizes), got strides (in elements) "
                                   f"{tuple(s // self.dtype.itemsize for s in self._array.strides)}")
            if (self.shape[-1] * self.dtype.itemsize) % dtype.itemsize:
                raise RuntimeError(f"view: the last dimension ({self.shape[-1]} items of {self.dtype}) does not hold a "
                                   f"whole number of {dtype} items")
        return Tensor._from_op(self._array.view(dtype), False)

    def flatten(self, start_dim=0, end_dim=-1):
        if self.ndim == 0:  # (its one dimension as PyTorch counts it: 0 or -1)
            wrap_dim(start_dim, 1), wrap_dim(end_dim, 1)
            return self.reshape(1)
        start, end = wrap_dim(start_dim, self.ndim), wrap_dim(end_dim, self.ndim)
        if start > end:
            raise InputError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim} for shape {tuple(self.shape)}")
        merged = int(np.prod(self.shape[start:end + 1]))
        return self.reshape(self.shape[:start] + (merged,) + self.shape[end + 1:])

    def permute(self, *axes, dims=None):
        """The axes in the order ``axes`` (or ``dims=``, PyTorch's keyword) gives."""
        return shape_ops.Transpose(size_arguments(axes, dims, "permute"))(self)

    def transpose(self, *axes, dim0=None, dim1=None):
        """With two axes (or PyTorch's ``dim0=``, ``dim1=``), swap them; with none, reverse all (NumPy);
        else permute."""
        if dim0 is not None or dim1 is not None:
            if dim0 is None or dim1 is None or axes:
                raise TypeError("transpose: give both dim0 and dim1, by position or by name")
            axes = (dim0, dim1)
        if len(axes) == 2:
            order = list(range(self.ndim))
            first, second = wrap_dim(axes[0], self.ndim), wrap_dim(axes[1], self.ndim)
            order[first], order[second] = order[second], order[first]
            return self.permute(order)
        if not axes:
            return self.permute(tuple(reversed(range(self.ndim))))
        return self.permute(*axes)

    def swapaxes(self, axis0, axis1):
        return self.transpose(axis0, axis1)

    @property
    def T(self):
        """All axes reversed; deprecated by PyTorch for other than 0 or 2 axes (mT transposes a batch of matrices)."""
        if self.ndim not in (0, 2):
            warn_once("The use of `x.T` on tensors of dimension other than 2 to reverse their shape is deprecated and "
                      "it will throw an error in a future release. Consider `x.mT` to transpose batches of matrices "
                      "or `x.permute(*arange(x.ndim - 1, -1, -1))` to reverse the dimensions of a tensor.")
        return self.transpose()

    @property
    def mT(self):
        """The last two axes swapped (a batch of matrices transposed)."""
        if self.ndim < 2:
            raise InputError(f"mT: expected at least 2 dimensions, got shape {tuple(self.shape)}")
        return self.transpose(-2, -1)

    def t(self):
        if self.ndim > 2:
            raise InputError(f"t: expected a tensor with at most 2 dimensions, got shape {tuple(self.shape)}; use .mT or .transpose")
        return self.transpose()

    def unsqueeze(self, dim):
        dim = wrap_dim(dim, self.ndim + 1)
        return self.reshape(self.shape[:dim] + (1,) + self.shape[dim:])

    def squeeze(self, dim=None):
        """Drop axes of size 1: all of them, or ``dim`` (an int or a tuple) where its size is 1."""
        dims = range(self.ndim) if dim is None else [wrap_dim(d, self.ndim) for d in dim_tuple(dim)]
        drop = {d for d in dims if self.shape[d] == 1}
        return self.reshape(tuple(n for i, n in enumerate(self.shape) if i not in drop))

    def expand(self, *sizes, size=None):
        """A broadcast view to ``sizes``; -1 keeps a size; new axes go in front (as PyTorch)."""
        sizes = size_arguments(sizes, size, "expand")
        lead = len(sizes) - self.ndim
        shape = tuple(self.shape[i - lead] if n == -1 and i >= lead else n for i, n in enumerate(sizes))
        return shape_ops.BroadcastTo(shape)(self)

    def repeat(self, *counts, repeats=None):
        """Tile the tensor ``repeats[i]`` times along each axis (PyTorch's ``repeat``)."""
        counts = size_arguments(counts, repeats, "repeat")
        if any(count < 0 for count in counts):
            raise RuntimeError(f"repeat: the number of repetitions cannot be negative, got {tuple(counts)}")
        return shape_ops.Tile(counts)(self)

    def split(self, split_size, dim=0):
        """Pieces along ``dim``: of ``split_size`` each (the last may be smaller), or of the given sizes
        (a list), as PyTorch's."""
        if self.ndim == 0:
            raise InputError("split: expects at least a 1-dimensional tensor, got a 0-d one")
        length, split_size = self.shape[wrap_dim(dim, self.ndim)], as_int(split_size)
        if isinstance(split_size, int):
            if split_size <= 0:
                raise InputError(f"split: split_size must be positive, got {split_size}")
            # (an empty dim is one empty piece, as PyTorch's)
            sizes = [min(split_size, length - start) for start in range(0, length, split_size)] or [0]
        else:
            sizes = list(split_size)
            if sum(sizes) != length:
                raise InputError(f"split: sizes {sizes} do not add up to {length}, the size of dim {dim}")
        pieces, start, before = [], 0, (slice(None),) * wrap_dim(dim, self.ndim)
        for size in sizes:
            pieces.append(self[before + (slice(start, start + size),)])
            start += size
        return tuple(pieces)

    def unsafe_split(self, split_size, dim=0):
        return self.split(split_size, dim)

    def unsafe_chunk(self, chunks, dim=0):
        return self.chunk(chunks, dim)

    def unsafe_split_with_sizes(self, split_sizes, dim=0):
        return self.split(list(split_sizes), dim)

    def chunk(self, chunks, dim=0):
        """At most ``chunks`` pieces of equal size along ``dim`` (the last may be smaller), as PyTorch."""
        chunks = as_int(chunks)
        if not isinstance(chunks, int) or chunks <= 0:
            raise InputError(f"chunk: expected chunks to be a positive int, got {chunks!r}")
        if self.ndim == 0:
            raise InputError("chunk: expects at least a 1-dimensional tensor, got a 0-d one")
        size = self.shape[wrap_dim(dim, self.ndim)]
        if size == 0:  # ``chunks`` empty pieces, as PyTorch's (pieces of size 0 would be endless)
            return tuple(self.narrow(dim, 0, 0) for _ in range(chunks))
        return self.split(-(-size // chunks), dim)

    def gather(self, dim, index):
        """out[i][j] = self[index[i][j]][j] along ``dim`` (PyTorch's ``gather``)."""
        return gather(self, dim, index)

    def clone(self, *, memory_format=memory_layout.preserve_format):
        """A copy (recorded: the gradient flows back), laid out as this tensor is, or in ``memory_format``."""
        return shape_ops.Clone(memory_layout.check(memory_format, "clone"))(self)

    def contiguous(self, memory_format=memory_layout.contiguous_format):
        """The tensor itself where its memory is in C order (or ``memory_format``'s order), else such a copy
        (as PyTorch's; tinynn's ops accept any layout, but views such as ``view_as_complex`` read the memory
        as it lies)."""
        if memory_layout.check(memory_format, "contiguous") is memory_layout.contiguous_format:
            return self if self._array.flags.c_contiguous else shape_ops.Clone(memory_format)(self)
        if memory_format is memory_layout.preserve_format:
            raise RuntimeError("contiguous: preserve memory format is unsupported by the contiguous operator")
        return self._laid_out(memory_format, "contiguous")

    def _laid_out(self, memory_format, name):
        """This tensor where it lies densely in ``memory_format``'s order, else a recorded copy that does
        (a format of another rank is PyTorch's error, named after ``name``)."""
        if memory_layout.is_dense_in_order(self._array, memory_format.axis_order(self._array, name)):
            return self
        return shape_ops.Clone(memory_format)(self)

    # ----- more elementwise functions ---------------------------------------------------------
    def expm1(self):
        return elementwise.Expm1()(self)

    def _rounded_once(self, formula):
        """``formula(self)``; for a float16 tensor computed in float32 and rounded to float16 once, as
        PyTorch's kernels compute half precision (each step of the formula rounded compounds the error).
        ``half_precision.computed_in_float32`` for the methods here, which cannot import it (it imports Tensor)."""
        return formula(self.float()).half() if self.dtype == np.float16 else formula(self)

    def log2(self):
        return elementwise.Log(2)(self)

    def log10(self):
        return elementwise.Log(10)(self)

    def square(self):
        x = self.long() if self.dtype == np.bool_ else self  # bools square to int64, as in PyTorch
        return x * x

    def reciprocal(self):
        return 1 / self

    def rsqrt(self):
        return self._rounded_once(lambda x: 1 / x.sqrt())

    def tan(self):
        return elementwise.Tan()(self)

    def sinh(self):
        return elementwise.Sinh()(self)

    def cosh(self):
        return elementwise.Cosh()(self)

    def _as_float(self):
        """This tensor, or for bools and integers its values in the default float dtype (what float
        functions of them compute in, and what keeps -x from wrapping around for unsigned ones)."""
        return self if self.dtype.kind in "fc" else self.to(dtype=promotion.default_float())

    def asin(self):
        return elementwise.Asin()(self)

    def acos(self):
        return elementwise.Acos()(self)

    def atan(self):
        return elementwise.Atan()(self)

    def asinh(self):
        return elementwise.Asinh()(self)

    def acosh(self):
        return elementwise.Acosh()(self)

    def atanh(self):
        return elementwise.Atanh()(self)

    arcsin, arccos, arctan, arcsinh, arccosh, arctanh = asin, acos, atan, asinh, acosh, atanh

    def atan2(self, other):
        return elementwise.Atan2()(self, self._operand(other))

    def _constant(self, array):
        """A result that autograd treats as constant (its derivative is zero wherever it is defined)."""
        return Tensor._from_op(array, False)

    def _stepwise(self, array, *others):
        """The result of a piecewise-constant function (round, floor, sign, ...) of this tensor (and
        ``others``): a zero gradient, but in the graph where an operand requires grad, as PyTorch's
        (so ``x.round().sum().backward()`` runs and leaves x.grad zeros). Each such operand is joined
        by a where() that never picks it."""
        from .autograd.grad_mode import is_grad_enabled

        self._real_only("round, floor, ceil, trunc, sign (for complex numbers: sgn)")
        result = self._constant(array)
        operands = [t for t in (self,) + others if isinstance(t, Tensor) and t.requires_grad]
        if not operands or not is_grad_enabled() or array.dtype.kind != "f":
            return result
        never = self._constant(backend.get_array_module(array).zeros(array.shape, dtype=bool))
        for operand in operands:
            result = where(never, operand, result)
        return result

    def sign(self):
        if self.dtype == np.bool_:  # NumPy has no sign of bools; PyTorch's is the bools themselves
            return self._constant(self._array.copy())
        xp = backend.get_array_module(self._array)
        signs = xp.sign(self._array)
        if self.dtype.kind == "f":  # PyTorch's sign of NaN is 0, (0 < x) - (x < 0); NumPy's is NaN
            signs = xp.where(xp.isnan(signs), signs.dtype.type(0), signs)
        return self._stepwise(signs)

    def round(self, decimals=0):
        if self.dtype == np.bool_:  # (NumPy would give float16) whole already
            return self._constant(self._array.copy())
        return self._stepwise(backend.get_array_module(self._array).round(self._array, decimals))

    def floor(self):
        self._real_only("floor")
        return self._stepwise(backend.get_array_module(self._array).floor(self._array))

    def ceil(self):
        self._real_only("ceil")
        return self._stepwise(backend.get_array_module(self._array).ceil(self._array))

    def trunc(self):
        self._real_only("trunc")
        return self._stepwise(backend.get_array_module(self._array).trunc(self._array))

    def isnan(self):
        return self._constant(backend.get_array_module(self._array).isnan(self._array))

    def isinf(self):
        return self._constant(backend.get_array_module(self._array).isinf(self._array))

    def isfinite(self):
        return self._constant(backend.get_array_module(self._array).isfinite(self._array))

    def nan_to_num(self, nan=0.0, posinf=None, neginf=None):
        """NaN, +inf and -inf replaced (by 0 and the dtype's largest and smallest values by default);
        the gradient passes where the value was finite."""
        xp = backend.get_array_module(self._array)
        replaced = xp.nan_to_num(self._array, nan=nan, posinf=posinf, neginf=neginf)
        return where(xp.isfinite(self._array), self, self._constant(replaced))

    # ----- method forms of the operators ------------------------------------------------------
    def add(self, other, alpha=1):
        return self + (other if type(alpha) is int and alpha == 1 else self._alpha_times("add", other, alpha))

    def sub(self, other, alpha=1):
        return self - (other if type(alpha) is int and alpha == 1 else self._alpha_times("sub", other, alpha))

    def _alpha_times(self, name, other, alpha):
        """alpha * other for add/sub/rsub, alpha checked against the result's dtype (``check_factor``; a bool
        alpha only for bool results, as PyTorch's)."""
        other = self._operand(other)
        dtype = promotion.result_type([self, other])
        if isinstance(alpha, (bool, np.bool_)) and dtype != np.bool_:
            raise RuntimeError(f"{name}: a bool alpha is only supported for bool results, this result is {dtype}")
        check_factor(name, "alpha", alpha, dtype)
        if dtype == np.bool_:
            return other & bool(alpha)  # bool arithmetic: alpha 0 drops other, any other alpha keeps it
        return other if alpha == 1 else other * alpha

    def mul(self, other):
        return self * other

    def div(self, other, rounding_mode=None):
        """self / other; with ``rounding_mode`` "trunc" or "floor" the rounded quotient (a constant)."""
        if rounding_mode is None:
            return self / other
        if rounding_mode not in ("trunc", "floor"):
            raise InputError(f"div: rounding_mode must be None, 'trunc' or 'floor', got {rounding_mode!r}")
        other = self._operand(other)
        xp = backend.get_array_module(self._array)
        a, b = _promoted_arrays(self, other)
        if a.dtype.kind in "iu":  # integers stay integers, as in PyTorch: exact, where a float quotient would round
            check_integer_divisor(b)
            floored = xp.floor_divide(a, b)
            if rounding_mode == "trunc":  # towards zero: one less step down where the signs differ and b does not divide a
                floored = floored + ((floored < 0) & (floored * b != a))
            return self._constant(floored)
        if rounding_mode == "floor":  # Python's a // b: the floor of the exact quotient (1.0 // 0.1 is 9), as PyTorch's
            return _floor_divide(self, other)
        return self._stepwise(xp.trunc((self / other)._array), other)

    def neg(self):
        return -self

    subtract, multiply, true_divide, divide, negative = sub, mul, div, div, neg

    # ----- in place ------------------------------------------------------------------------
    def _in_place(self, name, out_of_place, *operands):
        """This tensor <- ``out_of_place(self)`` (a function of a Tensor, made of recorded ops), written
        into its memory; recorded by autograd where the tensor or an operand requires grad (see
        autograd/in_place.py, which also catches values an op kept for its backward being overwritten)."""
        return in_place.write(self, name, out_of_place, operands)

    def add_(self, other, alpha=1):
        return self._in_place("add_", lambda x: x.add(other, alpha=alpha), other)

    def sub_(self, other, alpha=1):
        return self._in_place("sub_", lambda x: x.sub(other, alpha=alpha), other)

    def mul_(self, other):
        return self._in_place("mul_", lambda x: x * other, other)

    def div_(self, other, rounding_mode=None):
        return self._in_place("div_", lambda x: x.div(other, rounding_mode=rounding_mode), other)

    def clamp_(self, min=None, max=None):
        return self._in_place("clamp_", lambda x: x.clamp(min, max), min, max)

    clip_ = clamp_

    def copy_(self, source, non_blocking=False):
        """Copy ``source``'s values (broadcast to this shape, converted to this dtype and device);
        the gradient flows to ``source`` (summed over the broadcast), none to the old values.
        (``non_blocking``: as in ``to``.)"""
        def copied(x):
            values = source if isinstance(source, Tensor) else tensor(source)  # (Tensor(2) would be two zeros)
            return x._replaced_by(values.to(x.device, x.dtype))
        return self._in_place("copy_", copied, source)

    def _replaced_by(self, values):
        """``values`` broadcast to this shape, with this tensor still an input (its gradient zero, as
        PyTorch's copy_ and fill_ give the tensor they overwrite)."""
        everywhere = backend.get_array_module(self._array).ones(self.shape, dtype=bool)
        return where(everywhere, values, self)

    def masked_fill_(self, mask, value):
        return self._in_place("masked_fill_", lambda x: x.masked_fill(mask, value), value)

    def normal_(self, mean=0.0, std=1.0, *, generator=None):
        """Fill with normal draws from tinynn's generator (or ``generator``; in place, outside autograd), as
        ``nn.init``."""
        from .nn import init

        return init.normal_(self, mean, std, generator)

    def uniform_(self, from_=0.0, to=1.0, *, generator=None):
        """Fill with U(from_, to) draws (PyTorch's ``from``, a Python keyword, is ``from_``), as ``nn.init``."""
        from .nn import init

        return init.uniform_(self, from_, to, generator)

    def _draws(self, kind, *args, generator=None):
        """Draws of this tensor's shape on its device, from tinynn's seeded generator for that device, or
        from ``generator`` (a ``tinynn.Generator``, which draws on the CPU) moved there."""
        from . import random

        source = (random.generator_for(backend.get_array_module(self._array)) if generator is None
                  else random.numpy_generator(generator))
        if kind == "integers":
            draws = source.integers(*args, size=self.shape)
        else:
            draws = getattr(source, kind)(self.shape, dtype=np.float64 if self.dtype == np.float64 else np.float32)
        return draws if generator is None else backend.to_device(draws, self.device)

    def bernoulli_(self, p=0.5, *, generator=None):
        """1 with probability ``p`` (a number or a tensor), else 0."""
        draw_checks.check_dtype("bernoulli_", self.dtype, draw_checks.NOT_COMPLEX)
        if isinstance(p, Tensor):
            draw_checks.check_probabilities("bernoulli_", p._array)
        else:
            draw_checks.check_probability("bernoulli_", p)
        return self._filled("bernoulli_", (self._draws("random", generator=generator) < _data(p)).astype(self.dtype))

    def exponential_(self, lambd=1.0, *, generator=None):
        draw_checks.check_dtype("exponential_", self.dtype, draw_checks.FLOATS)
        draw_checks.check_positive("exponential_", "lambda", lambd)
        return self._filled("exponential_", self._draws("standard_exponential", generator=generator) / lambd)

    def geometric_(self, p, *, generator=None):
        """The number of trials up to the first success, P(k) = (1 - p)^(k-1) p."""
        draw_checks.check_dtype("geometric_", self.dtype, draw_checks.NUMBERS)
        draw_checks.check_probability("geometric_", p, open_interval=True)
        xp = backend.get_array_module(self._array)
        trials = xp.floor(xp.log1p(-self._draws("random", generator=generator)) / math.log1p(-p)) + 1
        return self._filled("geometric_", trials.astype(self.dtype, copy=False))

    def cauchy_(self, median=0.0, sigma=1.0, *, generator=None):
        draw_checks.check_dtype("cauchy_", self.dtype, draw_checks.FLOATS)
        draw_checks.check_positive("cauchy_", "sigma", sigma)
        xp = backend.get_array_module(self._array)
        uniform = self._draws("random", generator=generator)
        return self._filled("cauchy_", median + sigma * xp.tan(math.pi * (uniform - 0.5)))

    def log_normal_(self, mean=1.0, std=2.0, *, generator=None):
        draw_checks.check_dtype("log_normal_", self.dtype, draw_checks.FLOATS)
        draw_checks.check_positive("log_normal_", "std", std)
        xp = backend.get_array_module(self._array)
        return self._filled("log_normal_", xp.exp(mean + std * self._draws("standard_normal", generator=generator)))

    def random_(self, from_=None, to=None, *, generator=None):
        """Integers drawn uniformly from [from_, to) (one argument: [0, from_)); without either, up to
        the largest integer the dtype holds exactly (2^24 for float32; True and False for bool)."""
        draw_checks.check_dtype("random_", self.dtype, draw_checks.NOT_COMPLEX)
        if to is None and from_ is not None:
            from_, to = 0, from_
        from_ = from_ or 0
        if to is None:
            to = (2 ** (np.finfo(self.dtype).nmant + 1) if _is_float(self.dtype) else 2 if self.dtype == np.bool_
                  else int(np.iinfo(self.dtype).max))
        draw_checks.check_integer_range("random_", int(from_), int(to), self.dtype)
        draws = self._draws("integers", int(from_), int(to), generator=generator)
        return self._filled("random_", draws.astype(self.dtype))

    def squeeze_(self, dim=None):
        return self._reshaped_in_place("squeeze_", lambda x: x.squeeze(dim))

    def unsqueeze_(self, dim):
        return self._reshaped_in_place("unsqueeze_", lambda x: x.unsqueeze(dim))

    def t_(self):
        return self._reshaped_in_place("t_", lambda x: x.t())

    def detach_(self):
        """Cut this tensor from the graph, in place."""
        self.grad_fn, self.requires_grad = None, False
        return self

    def _reshaped_in_place(self, name, reshaped):
        """This tensor becomes ``reshaped(self)``, a view of the same memory (recorded where needed)."""
        return in_place.write(self, name, reshaped, rebind=True)

    def transpose_(self, dim0, dim1):
        return self._reshaped_in_place("transpose_", lambda x: x.transpose(dim0, dim1))

    swapdims_ = transpose_

    def swapaxes_(self, axis0, axis1):
        return self.transpose_(axis0, axis1)

    def fill_diagonal_(self, fill_value, wrap=False):
        from .tensor_functions import fill_diagonal

        return self._in_place("fill_diagonal_", lambda x: fill_diagonal(x, fill_value, wrap), fill_value)

    # ----- PyTorch's names for what is above, and questions about the tensor -------------------
    def eq(self, other):
        return self == other

    def ne(self, other):
        return self != other

    def lt(self, other):
        return self < other

    def le(self, other):
        return self <= other

    def gt(self, other):
        return self > other

    def ge(self, other):
        return self >= other

    greater, greater_equal, less, less_equal, not_equal = gt, ge, lt, le, ne
    fix = trunc
    arctan2 = atan2

    def adjoint(self):
        return self.mH

    def inverse(self):
        from .linalg import inv

        return inv(self)

    def det(self):
        from .linalg import det

        return det(self)

    def logdet(self):
        from .functions import logdet

        return logdet(self)

    def slogdet(self):
        from .functions import slogdet

        return slogdet(self)

    def pinverse(self, rcond=1e-15):
        from .functions import pinverse

        return pinverse(self, rcond)

    def geqrf(self):
        from .functions import geqrf

        return geqrf(self)

    def orgqr(self, input2):
        from .functions import orgqr

        return orgqr(self, input2)

    def ormqr(self, input2, input3, left=True, transpose=False):
        from .functions import ormqr

        return ormqr(self, input2, input3, left, transpose)

    def cholesky_solve(self, input2, upper=False):
        from .functions import cholesky_solve

        return cholesky_solve(self, input2, upper)

    def cholesky_inverse(self, upper=False):
        from .functions import cholesky_inverse

        return cholesky_inverse(self, upper)

    def triangular_solve(self, A, upper=True, transpose=False, unitriangular=False):
        from .functions import triangular_solve

        return triangular_solve(self, A, upper, transpose, unitriangular)

    def lu(self, pivot=True, get_infos=False):
        from .functions import lu

        return lu(self, pivot, get_infos)

    def lu_solve(self, LU_data, LU_pivots):
        from .functions import lu_solve

        return lu_solve(self, LU_data, LU_pivots)

    def matrix_exp(self):
        from .linalg import matrix_exp

        return matrix_exp(self)

    def matrix_power(self, n):
        from .linalg import matrix_power

        return matrix_power(self, n)

    def cholesky(self, upper=False):
        from .linalg import cholesky

        return cholesky(self, upper=upper)

    def qr(self, some=True):
        from .linalg import qr

        return return_types.qr(*qr(self, mode="reduced" if some else "complete"))

    def svd(self, some=True, compute_uv=True):
        """(U, S, V) with self = U diag(S) V^T: PyTorch's older form, V where linalg.svd gives V^T;
        without ``compute_uv``, S only (not differentiable) and zeros for U and V."""
        from .linalg import svd

        u, s, vh = svd(self, full_matrices=not some)
        if not compute_uv:  # PyTorch's zeros, (..., m, m) and (..., n, n)
            *batch, m, n = self.shape
            zeros_of = backend.get_array_module(self._array).zeros
            return return_types.svd(self._constant(zeros_of((*batch, m, m), self.dtype)), s.detach(),
                       self._constant(zeros_of((*batch, n, n), self.dtype)))
        return return_types.svd(u, s, vh.mH)

    def bmm(self, mat2):
        from .functions import bmm

        return bmm(self, mat2)

    def unique(self, sorted=True, return_inverse=False, return_counts=False, dim=None):
        from .functions import unique

        return unique(self, sorted, return_inverse, return_counts, dim)

    def bincount(self, weights=None, minlength=0):
        from .functions import bincount

        return bincount(self, weights, minlength)

    def bernoulli(self, p=None, *, generator=None):
        from .functions import bernoulli

        return bernoulli(self, p, generator=generator)

    def multinomial(self, num_samples, replacement=False, generator=None):
        from .functions import multinomial

        return multinomial(self, num_samples, replacement, generator=generator)

    def prelu(self, weight):
        from .nn import functional

        return functional.prelu(self, weight)

    def hardshrink(self, lambd=0.5):
        from .nn import functional

        return functional.hardshrink(self, lambd)

    def is_same_size(self, other):
        expect_tensor(other, "is_same_size", "other")
        return self.shape == other.shape

    def is_signed(self):
        return self.dtype.kind in "fic"

    def is_complex(self):
        return self.dtype.kind == "c"

    # Conjugation is eager (PyTorch's lazy conjugate bit is a memory saving tinynn does not make),
    # so no tensor is ever a conjugate or negative view
    def conj(self):
        """The complex conjugate (ops/complex.py); a real tensor itself, as PyTorch."""
        return complex_ops.Conj()(self) if self.dtype.kind == "c" else self

    conj_physical = conj

    def resolve_conj(self):
        return self

    resolve_neg = resolve_conj

    def is_conj(self):
        return False

    is_neg = is_conj

    @property
    def real(self):
        """Re of a complex tensor (a real tensor: a view of its memory, as PyTorch's); a real tensor itself."""
        return complex_ops.Real()(self) if self.dtype.kind == "c" else self

    @property
    def imag(self):
        """Im of a complex tensor (a real tensor: a view of its memory, as PyTorch's)."""
        if self.dtype.kind != "c":
            raise DtypeError(f"imag: only complex tensors have an imaginary part, this one is {self.dtype}")
        return complex_ops.Imag()(self)

    def angle(self):
        """arg z in (-pi, pi] (ops/complex.py); for a real tensor pi where x < 0, else 0."""
        from .tensor_functions import angle

        return angle(self)

    def is_nonzero(self):
        if self.numel() != 1:
            raise RuntimeError(f"is_nonzero: a tensor of {self.numel()} elements is ambiguous; expected one element")
        return bool(self.item() != 0)

    def pin_memory(self):
        """A copy in page-locked host memory, from which ``.to("gpu")`` copies by DMA (needs CuPy and a
        GPU, as PyTorch's needs CUDA); a tensor already pinned itself. Host tensors only."""
        if self.device != backend.CPU:
            raise RuntimeError(f"pin_memory: only host tensors can be pinned, this one is on {self.device}")
        if self.is_pinned():
            return self
        from .ops.conversion import PinMemory

        return PinMemory()(self)

    def is_pinned(self):
        return backend.is_pinned(self._array)

    @property
    def is_cpu(self):
        return self.device == backend.CPU

    # PyTorch's other backends, which tinynn never uses: scripts that ask (``x.is_mps``) get False, as there.
    is_mps = is_xpu = is_ipu = is_xla = is_mtia = is_maia = is_vulkan = property(lambda self: False)

    @property
    def output_nr(self):
        """Which output of its grad_fn this tensor is: 0, as every tinynn op has one output."""
        return 0

    def record_stream(self, stream):
        """PyTorch's promise that ``stream`` uses this GPU tensor's memory, so the caching allocator waits
        for it before reusing the memory. CuPy's memory pool keeps a free list per stream, so a block is
        not handed to another stream's allocation anyway: nothing to record. GPU tensors only, as PyTorch."""
        if self.device != backend.GPU:
            raise RuntimeError(f"record_stream: only GPU tensors are used by streams, this one is on {self.device}")

    def set_(self, source=None, storage_offset=0, size=None, stride=None):
        """This tensor made a view of ``source``'s memory, in place (PyTorch's ``set_``): of a Tensor (the same
        view: shape, strides, dtype), of a storage (``size`` elements of this tensor's dtype from element
        ``storage_offset``, with ``stride``, C-ordered by default), or of nothing (an empty tensor). Writes
        through either reach the other. As PyTorch, a leaf that requires grad (a parameter) only under
        no_grad, and never a result of recorded ops."""
        from .autograd.grad_mode import is_grad_enabled

        if self.requires_grad and (self.grad_fn is not None or is_grad_enabled()):
            raise RuntimeError("set_: cannot set the memory of a tensor that requires grad (a leaf may be set under "
                               "tinynn.no_grad(), as a parameter's memory)")
        xp = backend.get_array_module(self._array)
        if source is None:
            self.data = xp.empty((0,), dtype=self.dtype)
            return self
        if isinstance(source, Tensor):
            self.data = source._array
            return self
        from .storage import is_storage

        if not is_storage(source):
            raise TypeError(f"set_: expected a Tensor, a storage or nothing, got {type(source).__name__}")
        untyped = source.untyped()
        if untyped.nbytes() % self._array.itemsize:
            raise InputError(f"set_: a storage of {untyped.nbytes()} bytes does not hold whole {self.dtype} elements")
        elements = untyped._bytes.view(self.dtype)
        size = (len(elements) - storage_offset,) if size is None else tuple(size)
        if stride is None:
            stride = tuple(int(np.prod(size[i + 1:])) for i in range(len(size)))
        reach = storage_offset + sum((n - 1) * s for n, s in zip(size, stride)) + 1 if all(size) else storage_offset
        if storage_offset < 0 or reach > len(elements):
            raise InputError(f"set_: size {size} with stride {tuple(stride)} from offset {storage_offset} reaches "
                             f"past the storage's {len(elements)} elements")
        self.data = xp.lib.stride_tricks.as_strided(elements[storage_offset:], size,
                                                   tuple(s * self._array.itemsize for s in stride))
        return self

    def as_subclass(self, cls):
        """The same tensor (the same memory, the same place in the graph) as an instance of ``cls``, a
        subclass of Tensor, as PyTorch's."""
        if not (isinstance(cls, type) and issubclass(cls, Tensor)):
            raise TypeError(f"as_subclass: expected a subclass of tinynn.Tensor, got {cls!r}")
        made = cls.__new__(cls)
        made.__dict__.update(self.__dict__)
        return made

    def get_device(self):
        """-1 on the CPU, the device number (0) on the GPU, as PyTorch."""
        return -1 if self.device == backend.CPU else 0

    def untyped_storage(self):
        """The bytes of the memory block this tensor's values lie in, shared by all its views (tinynn/storage.py)."""
        from .storage import UntypedStorage

        return UntypedStorage.of(self._array)

    def storage(self):
        """``untyped_storage`` as elements of this tensor's dtype (PyTorch's deprecated TypedStorage, warning)."""
        from .storage import typed_storage_of

        return typed_storage_of(self._array)

    def is_set_to(self, other):
        """Whether both tensors are the same view of the same memory: storage, offset, shape and strides."""
        expect_tensor(other, "is_set_to", "other")
        return (in_place.memory_block(self._array) is in_place.memory_block(other._array) and self.data_ptr() == other.data_ptr()
                and self.shape == other.shape and self._array.strides == other._array.strides)

    def storage_offset(self):
        """Elements between the start of the memory block and this tensor's first element."""
        from .autograd.in_place import memory_block

        block = memory_block(self._array)
        start = backend.address(block) if hasattr(block, "strides") else backend.address(self._array)
        return (backend.address(self._array) - start) // self._array.itemsize

    def where(self, condition, other):
        """``tinynn.where(condition, self, other)``."""
        return where(condition, self, other)

    def resize_(self, *sizes):
        """This tensor given the shape ``sizes``, in place: its values in C order kept as far as they go,
        new places zero (PyTorch leaves them uninitialised). Not for tensors that require grad."""
        sizes = tuple(sizes[0]) if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)) else tuple(sizes)
        if not all(isinstance(n, (int, np.integer)) and n >= 0 for n in sizes):
            raise InputError(f"resize_: expected non-negative integer sizes, got {sizes}")
        if self.requires_grad:
            raise RuntimeError("resize_: cannot resize a tensor that requires grad (its graph needs its shape)")
        xp = backend.get_array_module(self._array)
        resized = xp.zeros(int(np.prod(sizes)), dtype=self.dtype)
        kept = min(resized.size, self._array.size)
        resized[:kept] = self._array.reshape(-1)[:kept]
        self.data = resized.reshape(sizes)
        return self

    def resize_as_(self, other):
        expect_tensor(other, "resize_as_", "other")
        return self.resize_(other.shape)

    def share_memory_(self):
        """Move the values into memory shared between processes (tinynn/shared_memory.py): processes
        forked from now on, and those this tensor is sent to (``tinynn.multiprocessing.spawn``'s
        arguments, a multiprocessing queue), see the same memory, so their writes reach it and its
        writes reach them: PyTorch's way to train one model from several processes at once
        (Hogwild). Host tensors only; returns itself."""
        from . import shared_memory

        if self.device != backend.CPU:
            raise RuntimeError(f"share_memory_: only host tensors are shared this way, this one is on {self.device}")
        shared_memory.share([self])
        return self

    def is_shared(self):
        """Whether the values lie in memory shared between processes (``share_memory_``)."""
        from . import shared_memory

        return self.device == backend.CPU and shared_memory.block_of(self._array) is not None

    def to_sparse(self, sparse_dim=None):
        """The nonzero entries as a sparse COO tensor (tinynn/sparse.py); differentiable. ``sparse_dim``:
        how many leading dimensions to make sparse (the rest are stored whole: a hybrid tensor)."""
        from .sparse import to_sparse

        return to_sparse(self, sparse_dim)

    def to_sparse_csr(self, dense_dim=None):
        """The nonzero entries of a matrix as a sparse CSR matrix (tinynn/csr.py); with
        ``dense_dim``, of the nonzero slices of the trailing dimensions. Differentiable."""
        from .csr import to_sparse_csr

        return to_sparse_csr(self, dense_dim)

    def to_sparse_coo(self):
        """``to_sparse()``: PyTorch's name for the COO layout, the one tinynn has."""
        return self.to_sparse()

    def sparse_mask(self, mask):
        """This tensor's values at the coordinates a sparse ``mask`` stores, as a sparse tensor of those
        coordinates (PyTorch's; SparseAdam reads its moments so); differentiable in this tensor."""
        from .sparse import sparse_mask

        return sparse_mask(self, mask)

    def as_strided(self, size, stride, storage_offset=None):
        """``tinynn.as_strided(self, ...)``: a view of this tensor's memory, as PyTorch's."""
        from .functions import as_strided

        return as_strided(self, size, stride, storage_offset)

    def as_strided_scatter(self, src, size, stride, storage_offset=None):
        from .functions import as_strided_scatter

        return as_strided_scatter(self, src, size, stride, storage_offset)

    def stft(self, *args, **kwargs):
        """``tinynn.stft(self, ...)``: the short-time Fourier transform (tinynn/short_time_fft.py)."""
        from .short_time_fft import stft

        return stft(self, *args, **kwargs)

    def istft(self, *args, **kwargs):
        """``tinynn.istft(self, ...)``: the inverse short-time Fourier transform."""
        from .short_time_fft import istft

        return istft(self, *args, **kwargs)

    def sgn(self):
        """sign(x) for a real tensor; z / |z| (0 at 0) for a complex one, with its gradient."""
        if self.dtype.kind != "c":
            return self.sign()
        magnitude = self.abs()
        zero = Tensor._from_op((magnitude._array == 0), False)
        return where(zero, 0.0, self / where(zero, 1.0, magnitude))

    def positive(self):
        return self

    def absolute(self):
        return self.abs()

    @property
    def retains_grad(self):
        return bool(getattr(self, "_retains_grad", False))

    def stride(self, dim=None):
        """Steps in elements between neighbours along each axis (of the underlying array)."""
        steps = tuple(step // self._array.itemsize for step in self._array.strides)
        return steps if dim is None else steps[dim]

    def is_contiguous(self, memory_format=memory_layout.contiguous_format):
        """Whether the memory holds the elements in C order without gaps (or in ``memory_format``'s order)."""
        if memory_layout.check(memory_format, "is_contiguous") is memory_layout.contiguous_format:
            return bool(self._array.flags.c_contiguous)
        return memory_layout.is_in_format(self._array, memory_format)

    @property
    def layout(self):
        """``tinynn.strided``: a dense array (a sparse tensor's is ``tinynn.sparse_coo``)."""
        return memory_layout.strided

    def data_ptr(self):
        """The address of the first element (NumPy's or CuPy's)."""
        return backend.address(self._array)

    const_data_ptr = data_ptr

    def dim_order(self, *, ambiguity_check=False):
        """The dimensions from the outermost in memory to the innermost, by PyTorch's rule
        (``memory_layout.dim_order``): (0, 1, 2, 3) in C order, (0, 2, 3, 1) channels-last."""
        if ambiguity_check:
            raise NotImplementedError("dim_order: ambiguity_check is not supported in tinynn")
        return memory_layout.dim_order(self._array)

    def sparse_dim(self):
        """0: a dense tensor has no sparse dimensions (as PyTorch's; see tinynn/sparse.py)."""
        return 0

    def dense_dim(self):
        """A dense tensor's dimensions are all dense: ``ndim``."""
        return self.ndim

    # ----- more reductions ---------------------------------------------------------------------
    def any(self, dim=None, keepdim=False):
        """Whether any element (along ``dim``) is nonzero: bool, or uint8 for uint8 input, as in PyTorch."""
        axes = None if dim is None else reduction.normalize_axes(dim, self.ndim, "any", empty_is_all=False)
        return self._constant(self._array.any(axis=axes, keepdims=keepdim).astype(self._truth_dtype(), copy=False))

    def all(self, dim=None, keepdim=False):
        axes = None if dim is None else reduction.normalize_axes(dim, self.ndim, "all", empty_is_all=False)
        return self._constant(self._array.all(axis=axes, keepdims=keepdim).astype(self._truth_dtype(), copy=False))

    def _truth_dtype(self):
        return np.uint8 if self.dtype == np.uint8 else np.bool_

    def count_nonzero(self, dim=None):
        xp = backend.get_array_module(self._array)
        axes = None if dim is None else reduction.normalize_axes(dim, self.ndim, "count_nonzero")
        # (NumPy 2.2 counts over all axes as a Python int)
        return self._constant(xp.asarray(xp.count_nonzero(self._array, axis=axes), dtype=np.int64))

    def argsort(self, dim=-1, descending=False, *, stable=False):
        """The indices that sort along ``dim`` (ties in their order: the sort is always stable)."""
        return self.sort(dim, descending, stable=stable).indices

    def median(self, dim=None, keepdim=False):
        """The lower median (the smaller middle value for an even count, as PyTorch): of every element,
        or (values, indices) along ``dim``; the gradient goes to the median element."""
        if dim is None:
            if self.numel() == 0:  # as PyTorch's: NaN for a float tensor, no answer for integers
                if not _is_float(self.dtype):
                    raise InputError(f"median: an empty {self.dtype} tensor has no median (shape {tuple(self.shape)})")
                return self.sum() * math.nan  # (recorded, as PyTorch's: its gradient is the empty one)
            middle = self.reshape(-1).sort().values[(self.numel() - 1) // 2].detach()
            if not _is_float(self.dtype):
                return middle
            # NaN anywhere makes the median NaN, as PyTorch's (the sort puts NaN last); every element
            # equal to the median shares its gradient, as PyTorch's
            xp = backend.get_array_module(self._array)
            nan = xp.isnan(self._array)
            middle = self._constant(xp.where(nan.any(), xp.asarray(np.nan, dtype=self.dtype), middle._array))
            ties = self._constant((self._array == middle._array) | nan & xp.isnan(middle._array))
            return where(ties, self, 0).sum() / ties.sum()
        dim = wrap_dim(dim, self.ndim)
        self._check_selects_from("median", dim)
        values, indices = self.sort(dim)
        xp, size = backend.get_array_module(self._array), self.shape[dim]
        position = xp.full(values.shape[:dim] + (1,) + values.shape[dim + 1:], (size - 1) // 2)
        if _is_float(self.dtype):  # a slice with NaN has median NaN, its first NaN (the sort puts them last)
            numbers = (~xp.isnan(self._array)).sum(axis=dim, keepdims=True)
            position = xp.where(numbers < size, numbers, position)
        values = values.gather(dim, self._constant(position))
        indices = Tensor._from_op(xp.take_along_axis(indices._array, position, axis=dim), False)
        if not keepdim:
            values, indices = values.squeeze(dim), Tensor._from_op(indices._array.squeeze(dim), False)
        return return_types.median(values, indices)

    # ----- more shape functions ----------------------------------------------------------------
    def view_as(self, other):
        expect_tensor(other, "view_as", "other")
        return self.reshape(other.shape)

    reshape_as = view_as

    def expand_as(self, other):
        expect_tensor(other, "expand_as", "other")
        return self.expand(other.shape)

    def type_as(self, other):
        expect_tensor(other, "type_as", "other")
        return self.to(dtype=other.dtype)

    def new_full(self, size, fill_value, dtype=None, device=None, requires_grad=False):
        return full(size, fill_value, dtype=dtype or self.dtype, device=device or self.device, requires_grad=requires_grad)

    def new_zeros(self, *sizes, size=None, dtype=None, device=None, requires_grad=False):
        return self.new_full(size_arguments(sizes, size, "new_zeros"), 0, dtype, device, requires_grad)

    def new_ones(self, *sizes, size=None, dtype=None, device=None, requires_grad=False):
        return self.new_full(size_arguments(sizes, size, "new_ones"), 1, dtype, device, requires_grad)

    new_empty = new_zeros

    def new_empty_strided(self, size, stride, dtype=None, device=None, requires_grad=False):
        """``new_empty(size)`` (zeros): tinynn lays new tensors out in C order, whatever ``stride`` asks."""
        return self.new_zeros(tuple(size), dtype=dtype, device=device, requires_grad=requires_grad)

    def to_dense(self, dtype=None, *, masked_grad=None):
        """A dense tensor is its own dense form (``SparseTensor.to_dense`` makes one from sparse)."""
        return self if dtype is None else self.to(dtype=dtype)

    def is_inference(self):
        """False: tinynn marks no tensor as made in inference mode (they are ordinary tensors without history)."""
        return False

    def new(self, *args):
        """PyTorch's legacy constructor, in this tensor's dtype and device: ``t.new()`` empty (0,),
        ``t.new(2, 3)`` zeros of that shape (PyTorch's are uninitialised), ``t.new([1, 2])`` (a list,
        tuple or array) that data."""
        if not args:
            return self.new_zeros(0)
        if all(isinstance(arg, (int, np.integer)) and not isinstance(arg, bool) for arg in args):
            return self.new_zeros(*args)
        if len(args) == 1:
            return self.new_tensor(args[0])
        raise TypeError(f"new: expected sizes (ints) or one sequence of data, got {args!r}")

    def new_tensor(self, data, dtype=None, device=None, requires_grad=False):
        return tensor(data, dtype=dtype or self.dtype, device=device or self.device, requires_grad=requires_grad)

    def select(self, dim, index):
        if self.ndim == 0:
            raise IndexError("select: cannot be applied to a 0-d tensor (it has no dimension to pick from)")
        return self[(slice(None),) * wrap_dim(dim, self.ndim) + (index,)]

    def unbind(self, dim=0):
        if self.ndim == 0:
            raise IndexError("unbind: a 0-d tensor has no dimension to unbind")
        return tuple(self.select(dim, i) for i in range(self.shape[wrap_dim(dim, self.ndim)]))

    def narrow(self, dim, start, length):
        """The ``length`` entries along ``dim`` from ``start`` (negative: counted from the end): a view.
        A range past the end is PyTorch's error (a slice would have cut it short without a word)."""
        if self.ndim == 0:
            raise InputError("narrow() cannot be applied to a 0-dim tensor.")
        axis = wrap_dim(dim, self.ndim)
        size = self.shape[axis]
        start = int(start.item()) if isinstance(start, Tensor) else start
        if not -size <= start <= size:
            raise IndexError(f"narrow: start out of range (expected to be in range of [{-size}, {size}], but got {start})")
        start = start + size if start < 0 else start
        if length < 0:
            raise RuntimeError(f"narrow: length must be non-negative, got {length}")
        if start + length > size:
            raise RuntimeError(f"narrow: start ({start}) + length ({length}) exceeds dimension size ({size}).")
        return self[(slice(None),) * axis + (slice(start, start + length),)]

    def movedim(self, source, destination):
        sources = [wrap_dim(a, self.ndim) for a in dim_tuple(source)]
        destinations = [wrap_dim(a, self.ndim) for a in dim_tuple(destination)]
        if len(sources) != len(destinations):
            raise RuntimeError(f"movedim: Invalid source or destination dims: source ({list(sources)} dims) should "
                               f"contain the same number of dims as destination ({list(destinations)} dims)")
        for what, dims in (("source", sources), ("destination", destinations)):
            if len(set(dims)) != len(dims):
                raise RuntimeError(f"movedim: repeated dim in `{what}` ({list(dims)})")
        order = [axis for axis in range(self.ndim) if axis not in sources]
        for place, axis in sorted(zip(destinations, sources)):
            order.insert(place, axis)
        return self.permute(order)

    moveaxis = movedim

    def swapdims(self, dim0, dim1):
        return self.transpose(dim0, dim1)

    def tile(self, dims):
        """Repeated ``dims[i]`` times along each axis; fewer dims than axes repeat the last ones."""
        dims = dim_tuple(dims)
        return self.repeat(*((1,) * (self.ndim - len(dims)) + dims))

    def repeat_interleave(self, repeats, dim=None, *, output_size=None):
        """Each element repeated ``repeats`` times (an int or one count per element) along ``dim``
        (of the flattened tensor without one); ``output_size``, where given, must be the result's length
        there (PyTorch's hint that saves its GPU a read of the counts)."""
        if dim is not None and self.ndim == 0:
            raise IndexError(f"repeat_interleave: Dimension out of range (a 0-d tensor has none; give dim=None), got {dim}")
        source = self.reshape(-1) if dim is None else self
        axis = 0 if dim is None else wrap_dim(dim, self.ndim)
        counts = repeats.numpy() if isinstance(repeats, Tensor) else np.asarray(repeats)
        if counts.dtype.kind not in "iu":
            raise DtypeError(f"repeat_interleave: repeats must be integers, got {counts.dtype}")
        if counts.ndim > 1 or (counts.ndim == 1 and counts.size not in (1, source.shape[axis])):
            raise InputError(f"repeat_interleave: repeats must be one int or one per element along the dim, got "
                             f"repeats of shape {counts.shape} for size {source.shape[axis]}")
        if (counts < 0).any():
            raise InputError("repeat_interleave: repeats can not be negative")
        order = np.repeat(np.arange(source.shape[axis]), counts.reshape(()) if counts.size == 1 else counts.reshape(-1))
        if output_size is not None and output_size != order.size:
            raise InputError(f"repeat_interleave: Invalid output_size, expected {order.size} but got {output_size}")
        return source.index_select(axis, order)

    def roll(self, shifts, dims=None):
        """Elements shifted cyclically by ``shifts`` along ``dims`` (of the flattened tensor without)."""
        if dims is None:
            return self.reshape(-1).roll(shifts, 0).reshape(self.shape)
        shifts, dims = dim_tuple(shifts), dim_tuple(dims)
        if len(shifts) != len(dims):
            raise InputError(f"roll: shifts and dimensions must align, got {len(shifts)} shifts and {len(dims)} dims")
        out = self
        for shift, dim in zip(shifts, dims):
            size = self.shape[wrap_dim(dim, self.ndim)]
            out = out.index_select(dim, (np.arange(size) - shift) % size)
        return out

    def _triangle(self, diagonal, lower):
        if self.ndim < 2:
            raise InputError(f"{'tril' if lower else 'triu'}: expected at least 2 dimensions, got shape {tuple(self.shape)}")
        xp = backend.get_array_module(self._array)
        rows, columns = self.shape[-2:]
        below = xp.tri(rows, columns, diagonal if lower else diagonal - 1, dtype=bool)
        return where(below if lower else ~below, self, self._constant(xp.zeros((), dtype=self.dtype)))

    def tril(self, diagonal=0):
        return self._triangle(diagonal, lower=True)

    def triu(self, diagonal=0):
        return self._triangle(diagonal, lower=False)

    def diagonal(self, offset=0, dim1=0, dim2=1):
        """The entries (i, i + offset) of the (dim1, dim2) planes, as a last axis: a view, as PyTorch's
        (``x.diagonal().add_(1)`` adds to x's diagonal; ops/views.py)."""
        if self.ndim < 2:
            raise InputError(f"diagonal: expected a tensor of at least 2 dimensions, got shape {tuple(self.shape)}")
        dim1, dim2 = wrap_dim(dim1, self.ndim), wrap_dim(dim2, self.ndim)
        if dim1 == dim2:
            raise InputError(f"diagonal: dim1 and dim2 must differ, got {dim1} and {dim2}")
        return views.Diagonal(int(offset), dim1, dim2)(self)

    def diag(self, diagonal=0):
        """A vector -> the square matrix with it on the ``diagonal``; a matrix -> that diagonal."""
        if self.ndim == 2:
            return self.diagonal(diagonal)
        if self.ndim != 1:
            raise InputError(f"diag: expected a 1-D or 2-D tensor, got shape {tuple(self.shape)}")
        xp = backend.get_array_module(self._array)
        # selected, not multiplied by the identity: inf * 0 would put NaNs beside an infinite entry
        on_diagonal = xp.eye(self.shape[0], dtype=bool)
        matrix = where(on_diagonal, self[:, None], self._constant(xp.zeros((), dtype=self.dtype)))
        k = abs(diagonal)
        return pad(matrix, ((0, k), (k, 0)) if diagonal >= 0 else ((k, 0), (0, k)))

    def trace(self):
        if self.ndim != 2:
            raise InputError(f"trace: expected a matrix, got shape {tuple(self.shape)}")
        return self.diagonal().sum()

    def outer(self, vec2):
        expect_tensor(vec2, "outer", "vec2")
        if self.ndim != 1 or vec2.ndim != 1:
            raise InputError(f"outer: expected two vectors, got shapes {tuple(self.shape)} and {tuple(vec2.shape)}")
        return self[:, None] * vec2[None, :]

    ger = outer

    def dot(self, tensor):
        expect_tensor(tensor, "dot", "tensor")
        if self.ndim != 1 or tensor.ndim != 1 or self.shape != tensor.shape:
            raise InputError(f"dot: expected two vectors of one length, got shapes {tuple(self.shape)} and {tuple(tensor.shape)}")
        product = (self * tensor).sum()
        return product if product.dtype == self.dtype or self.dtype != tensor.dtype else product.to(dtype=self.dtype)

    def mm(self, mat2):
        expect_tensor(mat2, "mm", "mat2")
        if self.ndim != 2 or mat2.ndim != 2:
            raise InputError(f"mm: expected two matrices, got shapes {tuple(self.shape)} and {tuple(mat2.shape)}")
        return self @ mat2

    def mv(self, vec):
        expect_tensor(vec, "mv", "vec")
        if self.ndim != 2 or vec.ndim != 1:
            raise InputError(f"mv: expected a matrix and a vector, got shapes {tuple(self.shape)} and {tuple(vec.shape)}")
        return self @ vec

    # ----- indexing by tensors ------------------------------------------------------------------
    def index_select(self, dim, index):
        """The entries ``index`` (ints; a 0-d one is one entry, as PyTorch's) along ``dim``, in that order
        (repeats allowed)."""
        index = index._array if isinstance(index, Tensor) else np.asarray(index)
        index = index.reshape(1) if index.ndim == 0 else index
        if index.dtype.kind not in "iu":
            raise DtypeError(f"index_select: expected an index of int32 or int64, got {index.dtype}")
        if index.ndim != 1:
            raise InputError(f"index_select: expected a 1-D index, got shape {tuple(index.shape)}")
        dim = wrap_dim(dim, self.ndim)
        return self[(slice(None),) * dim + (shape_ops.indices_in_range("index_select", index, self.shape[dim], dim),)]

    def masked_select(self, mask):
        """The entries where the boolean ``mask`` (broadcast with this tensor) holds, as a 1-D tensor."""
        if not hasattr(mask, "shape"):  # (a Tensor, or an array as it is)
            raise TypeError(f"masked_select(): argument 'mask' must be Tensor, not {type(mask).__name__}")
        mask = _data(mask)
        if mask.dtype != np.bool_:
            raise DtypeError(f"masked_select: expected a bool mask, got {mask.dtype}")
        shape = broadcasting.broadcast_shape("masked_select", self.shape, mask.shape)
        return self.expand(shape)[backend.get_array_module(mask).broadcast_to(mask, shape)]

    def take_along_dim(self, indices, dim=None):
        """``gather`` with broadcasting, as NumPy's take_along_axis; without ``dim``, of the flattened tensor."""
        expect_tensor(indices, "take_along_dim", "indices")
        if dim is None:
            return self.reshape(-1).take_along_dim(indices.reshape(-1), 0)
        if self.ndim == 0:
            raise IndexError(f"take_along_dim: a 0-d tensor has no dimension {dim}; give dim=None")
        dim = wrap_dim(dim, self.ndim)
        shape = list(broadcasting.broadcast_shape("take_along_dim", (n for a, n in enumerate(self.shape) if a != dim),
                                                  (n for a, n in enumerate(indices.shape) if a != dim)))
        source = self.expand(shape[:dim] + [self.shape[dim]] + shape[dim:])
        xp = backend.get_array_module(indices._array)
        positions = shape_ops.indices_from_either_end("take_along_dim", indices._array, self.shape[dim], dim)
        index = Tensor._from_op(xp.broadcast_to(positions, tuple(shape[:dim] + [indices.shape[dim]] + shape[dim:])), False)
        return source.gather(dim, index)

    def scatter_add(self, dim, index, src):
        """A copy of this tensor with ``src[i][j]`` added at ``[index[i][j]][j]`` (along ``dim``;
        repeated positions add up); differentiable in both."""
        if not isinstance(index, Tensor) or index.dtype.kind not in "iu":
            raise DtypeError(f"scatter_add: expected a tensor of integer indices, got {type(index).__name__}")
        if self.ndim == 0:
            return self.reshape(1).scatter_add(dim, index, src).reshape(())
        from .tensor_functions import _checked_index

        index, src = with_index_rank("scatter_add", self, index, src)
        dim = wrap_dim(dim, self.ndim)
        src = _checked_index("scatter_add", index, src, self, dim)  # (src's leading block if larger, as PyTorch's)
        index = shape_ops.indices_in_range("scatter_add", index._array, self.shape[dim], dim)
        return self + shape_ops.ScatterAdd(dim, index, self.shape)(src)

    def index_add(self, dim, index, source, alpha=1):
        """A copy of this tensor with ``source``'s slices along ``dim`` added at positions ``index``."""
        dim = wrap_dim(dim, self.ndim)
        index = index._array if isinstance(index, Tensor) else np.asarray(index)
        expect_tensor(source, "index_add", "source")
        fitting = self.shape[:dim] + (index.size,) + self.shape[dim + 1:] if self.ndim else ()
        if index.ndim > 1 or source.shape != fitting:
            raise InputError(f"index_add: source of shape {tuple(source.shape)} does not fit {index.size} indices along "
                             f"dim {dim} of a tensor of shape {tuple(self.shape)}: expected a 0-d or 1-d index and a "
                             f"source of shape {fitting} (the tensor's shape with one slice per index)")
        spread = index.reshape((-1,) + (1,) * (self.ndim - dim - 1))
        xp = backend.get_array_module(spread)
        positions = Tensor._from_op(xp.broadcast_to(spread, source.shape).astype(np.int64), False)
        return self.scatter_add(dim, positions, source * alpha if alpha != 1 else source)

    # ----- questions -------------------------------------------------------------------------------
    def is_floating_point(self):
        return _is_float(self.dtype)

    # Layouts and kinds tinynn does not have: every tensor is dense, strided memory of plain numbers
    is_sparse = is_sparse_csr = is_quantized = is_meta = is_nested = is_mkldnn = False

    nelement = numel

    def element_size(self):
        return self._array.itemsize

    def equal(self, other):
        expect_tensor(other, "equal", "other")
        return self.shape == other.shape and bool((self._array == _data(other)).all())

    def allclose(self, other, rtol=1e-05, atol=1e-08, equal_nan=False):
        xp = backend.get_array_module(self._array)
        return bool(broadcasting.checked("allclose", xp.allclose, self._array, _data(other), rtol=rtol, atol=atol,
                                         equal_nan=equal_nan))

    def isclose(self, other, rtol=1e-05, atol=1e-08, equal_nan=False):
        xp = backend.get_array_module(self._array)
        return self._constant(broadcasting.checked("isclose", xp.isclose, self._array, _data(other), rtol=rtol,
                                                   atol=atol, equal_nan=equal_nan))

    def bfloat16(self, memory_format=None):
        """PyTorch's bfloat16 conversion: tinynn has no such dtype (NumPy and CuPy have none), so a clear error."""
        raise TypeError(dtypes.absent("bfloat16", "bfloat16", ".half() (float16) or .float()"))

    def chalf(self, memory_format=None):
        """PyTorch's complex32 conversion: absent as bfloat16 is."""
        raise TypeError(dtypes.absent("complex32", "chalf", ".cfloat() (complex64)"))

    def bool(self):
        return self.to(dtype=bool)

    def __getitem__(self, index):
        result = self
        for step in shape_ops.pytorch_index_steps(_index_arrays(index), self.ndim):
            result = shape_ops.GetItem(step)(result)
        return result

    def pad(self, pad_width, value=0.0):
        return pad(self, pad_width, value)


def _data(value):
    """A Tensor's array, or the value itself (a number or an array)."""
    return value._array if isinstance(value, Tensor) else value


def _index_arrays(index):
    """Tensors inside an index become their arrays (so ``x[t]`` works with a Tensor of indices); a
    0-d integer tensor is an integer, so ``x[t]`` is a view as ``x[0]`` is (as PyTorch's).

    Lists are read as PyTorch reads them: one holding a sequence, a tensor, a slice, None or Ellipsis
    (and fewer than 32 entries) is a tuple of indices, so ``x[[rows, cols]]`` is ``x[rows, cols]``
    (NumPy 2 would take it for one 2-D index array); ``x[[]]`` selects nothing. A uint8 tensor is a
    mask, as in PyTorch, which warns that this is deprecated (NumPy would read it as indices 0 and 1)."""
    def part(i):
        if not isinstance(i, Tensor):
            return i
        if i.dtype == np.uint8:
            warn("indexing with dtype tinynn.uint8 is now deprecated, please use a dtype tinynn.bool instead.")
            return i._array.astype(bool)
        return int(i._array) if i.ndim == 0 and i.dtype.kind in "iu" else i._array

    if isinstance(index, Tensor):
        return part(index)
    if isinstance(index, list):
        if len(index) < 32 and any(i is None or i is Ellipsis or isinstance(i, (Tensor, list, tuple, slice, np.ndarray))
                                   for i in index):
            index = tuple(index)
        else:
            return np.asarray(index, dtype=np.int64 if not index else None)
    if isinstance(index, tuple):
        return tuple(part(i) for i in index)
    return index


def _assigned(x, steps, value):
    """A copy of ``x`` with ``x[index] = value`` (the index as ``pytorch_index_steps`` of it), by
    recorded ops (see ``placed``)."""
    from .tensor_functions import placed

    positions = backend.get_array_module(x._array).arange(x.numel(), dtype=np.int64).reshape(x.shape)
    for step in steps:
        positions = positions[step]
    return placed(x, positions, value)


def _root_at_zero_flat(total, power):
    """total ** power (power < 1: a root), with gradient 0 where total is 0, as PyTorch's norm and std
    backward mask it, where the chain rule would give 0 * inf (a NaN total stays NaN, with its gradient)."""
    xp = backend.get_array_module(total._array)
    positive, zero = total._constant(total._array > 0), total._constant(total._array == 0)
    safe = where(positive, total, total._constant(xp.ones((), dtype=total.dtype)))
    return where(positive, safe ** power, where(zero, total._constant(xp.zeros((), dtype=total.dtype)), total))


def _promoted_arrays(a, b):
    """The arrays of the tensors ``a`` and ``b`` in the dtype they compute in together (ops/promotion.py)."""
    dtype = promotion.result_type([a, b])
    return a._array.astype(dtype, copy=False), b._array.astype(dtype, copy=False)


def unbiased_in_dims_place(dim, unbiased):
    """(dim, unbiased), where PyTorch's older ``var(x, unbiased)``, ``std_mean(x, unbiased)``... put a bool in
    dim's place (Python reads a bool as the int 0 or 1: it would be taken for a dim)."""
    return (None, bool(dim)) if isinstance(dim, (bool, np.bool_)) else (dim, unbiased)


def check_factor(name, argument, factor, dtype):
    """Refuse a scaling number (add's alpha, addcmul's value) that does not suit the result's ``dtype``,
    as PyTorch checks it: a whole number for integers, no complex number for real results, and in
    range (alpha=1e5 for a float16 result would make every element inf)."""
    if dtype.kind in "biu" and not isinstance(factor, (numbers.Integral, np.integer)):
        raise RuntimeError(f"{name}: for integer input tensors {argument} must be a whole number, got {factor!r}")
    if dtype.kind != "c" and isinstance(factor, numbers.Complex) and not isinstance(factor, numbers.Real):
        raise RuntimeError(f"{name}: for real input tensors {argument} must not be a complex number, got {factor!r}")
    value_ranges.check_fits(factor, dtype)


def check_integer_divisor(divisor):
    """PyTorch's error for an integer division or remainder by zero, which NumPy answers with 0 (and a
    warning scripts do not see): raised at once on the CPU, at the next read on the GPU."""
    if divisor.dtype.kind in "biu":
        backend.check_soon((divisor == 0).any(), lambda: RuntimeError("ZeroDivisionError"))


def _floor_divide(a, b):
    """a // b as Python's (floor of the exact quotient; inf // 2 is NaN), a zero gradient."""
    numerator, divisor = _promoted_arrays(a, b)
    check_integer_divisor(divisor)
    with np.errstate(invalid="ignore", divide="ignore"):
        return a._stepwise(broadcasting.checked("floor_divide", backend.get_array_module(a._array).floor_divide,
                                                numerator, divisor), b)


def _as_tensor(value, like=None):
    """A Tensor as it is; a number or array as an operand of ``like``, or as ``tensor`` makes it (never
    Tensor(value): Tensor(2) is PyTorch's legacy constructor of a tensor of two values)."""
    if isinstance(value, Tensor):
        return value
    if like is not None:
        return like._operand(value)
    return tensor(value)


def bmm(input, mat2):
    """Batched matrix product: (B, N, M) @ (B, M, P) -> (B, N, P)."""
    expect_tensor(mat2, "bmm", "mat2")
    if input.ndim != 3 or mat2.ndim != 3 or input.shape[0] != mat2.shape[0] or input.shape[2] != mat2.shape[1]:
        raise InputError(f"bmm: expected (B, N, M) and (B, M, P) tensors, got {tuple(input.shape)} and {tuple(mat2.shape)}")
    return input @ mat2


@mixed_precision.casts_inputs("lower")
def matmul(input, other):
    """Matrix product with NumPy's rules: 1-D operands are promoted to matrices, then squeezed. A sparse
    first operand (tinynn/sparse.py) takes the sparse product."""
    if getattr(input, "is_sparse", False) or getattr(input, "is_sparse_csr", False):
        return input.mm(other)
    input, other = _as_tensor(input), _as_tensor(other)
    if input.ndim == 0 or other.ndim == 0:
        raise InputError(f"matmul: both operands need at least one dimension, got shapes {tuple(input.shape)} and {tuple(other.shape)}")
    a2 = input.reshape(1, input.shape[0]) if input.ndim == 1 else input
    b2 = other.reshape(other.shape[0], 1) if other.ndim == 1 else other
    out = arithmetic.MatMul()(a2, b2)
    if input.ndim == 1 and other.ndim == 1:
        return out.reshape(())
    if input.ndim == 1:
        return out.reshape(out.shape[:-2] + out.shape[-1:])
    if other.ndim == 1:
        return out.reshape(out.shape[:-1])
    return out


def pad(x, pad_width, value=0.0):
    """Constant padding; ``pad_width`` is one (before, after) pair per axis, as ``numpy.pad``."""
    pad_width = tuple((int(before), int(after)) for before, after in pad_width)
    return shape_ops.Pad(pad_width, value)(x)


def concatenate(tensors, dim=0, *, axis=None):
    """The tensors joined along the existing axis ``dim`` (NumPy's name ``axis`` also works).

    As in PyTorch, a 1-D empty tensor joins tensors of any shape by leaving no trace but its dtype
    (``out = tinynn.tensor([])`` then ``out = tinynn.cat([out, batch])`` in a loop)."""
    tensors = [_as_tensor(t) for t in tensors]
    if not tensors:
        raise InputError("cat: expected a non-empty list of tensors")
    kept = [t for t in tensors if t.shape != (0,)]
    if kept and len(kept) < len(tensors):
        joined = shape_ops.Concatenate(dim if axis is None else axis)(*kept)
        dtype = promotion.result_type(tensors)
        return joined if joined.dtype == dtype else joined.to(dtype=dtype)
    return shape_ops.Concatenate(dim if axis is None else axis)(*tensors)


def stack(tensors, dim=0, *, axis=None):
    """The tensors (of one shape) joined along a new axis ``dim`` (NumPy's name ``axis`` also works)."""
    tensors = [_as_tensor(t) for t in tensors]
    if not tensors:
        raise InputError("stack: expected a non-empty list of tensors")
    return shape_ops.Stack(dim if axis is None else axis)(*tensors)


def maximum(input, other):
    input = _as_tensor(input, other if isinstance(other, Tensor) else None)
    return input.maximum(other)


def minimum(input, other):
    input = _as_tensor(input, other if isinstance(other, Tensor) else None)
    return input.minimum(other)


def where(condition, input=None, other=None):
    """a where the boolean ``condition`` holds, else b (broadcast together); differentiable in a and b.
    ``where(condition)`` alone: the indices where it holds, one tensor per axis (``nonzero(as_tuple=True)``)."""
    if input is None and other is None:
        from .tensor_functions import nonzero

        return nonzero(condition if isinstance(condition, Tensor) else Tensor(np.asarray(condition)), as_tuple=True)
    if isinstance(condition, Tensor):
        condition = condition._array
    elif not backend.is_gpu_array(condition):
        condition = np.asarray(condition)
    if condition.dtype != bool:
        raise DtypeError(f"where: expected a boolean condition, got dtype {condition.dtype}")
    like = input if isinstance(input, Tensor) else other if isinstance(other, Tensor) else None
    if like is None:  # two numbers, on the condition's device: the default float dtype, int64 or bool, as PyTorch
        dtype = promotion.promote(promotion.number_dtype(input), promotion.number_dtype(other))
        like = Tensor._from_op(backend.to_device(np.zeros((), dtype=dtype), backend.device_of(condition)), False)
    numbers_given = [value for value in (input, other) if isinstance(value, numbers.Number)]
    input, other = _as_tensor(input, like), _as_tensor(other, like)
    if numbers_given:
        dtype = promotion.result_type([input, other])
        for value in numbers_given:
            value_ranges.check_scalar_fits(value, dtype)
    if backend.device_of(condition) != input.device or input.device != other.device:
        raise RuntimeError(f"where: the condition and values must be on one device, got {backend.device_of(condition)}, "
                           f"{input.device} and {other.device}")
    broadcasting.broadcast_shape("where", condition.shape, input.shape, other.shape)
    return elementwise.Where(condition)(input, other)


def with_index_rank(name, input, index, *sources):
    """(index, *sources) as gather and the scatters take them, by PyTorch's rule: the index (and a src
    tensor) has the input's rank, where a 0-d one counts as one element (``x.scatter_(0, torch.tensor(3),
    value=1)``, the tutorials' one-hot): beside an input of at most one dimension, 0-d tensors are taken
    as shape (1,); any other rank is PyTorch's error (it was a write to every position, NumPy reading an
    empty index as all of them)."""
    if input.ndim <= 1:
        index, *sources = (t.reshape(1) if isinstance(t, Tensor) and t.ndim == 0 else t for t in (index,) + sources)
    if isinstance(index, Tensor) and index.ndim != max(input.ndim, 1):
        raise RuntimeError(f"{name}: Index tensor must have the same number of dimensions as self tensor (index of "
                           f"shape {tuple(index.shape)}, self of shape {tuple(input.shape)})")
    return (index, *sources)


def gather(input, dim, index):
    """out[i][j] = input[index[i][j]][j] along ``dim`` (PyTorch's ``gather``); ``index`` has the
    input's rank and, on the other axes, at most its sizes."""
    if not isinstance(index, Tensor) or index.dtype.kind not in "iu":
        raise DtypeError(f"gather: expected a tensor of integer indices, got {getattr(index, 'dtype', type(index).__name__)}")
    if input.ndim <= 1 and index.ndim == 0:  # one element, given back 0-d as PyTorch's
        return gather(input.reshape(-1), dim, index.reshape(1)).reshape(())
    axis = wrap_dim(dim, input.ndim)
    if index.ndim != input.ndim or any(i > n for a, (i, n) in enumerate(zip(index.shape, input.shape)) if a != axis):
        raise InputError(f"gather: index of shape {tuple(index.shape)} does not fit input of shape {tuple(input.shape)} along dim {dim}")
    if index.device != input.device:
        raise RuntimeError(f"gather: the input is on {input.device} but the index is on {index.device}")
    return shape_ops.Gather(axis, shape_ops.indices_in_range("gather", index._array, input.shape[axis], axis))(input)


def tensor(data, dtype=None, device=None, requires_grad=False):
    """A new leaf tensor holding a copy of ``data`` (list, scalar, NumPy/CuPy array or Tensor).

    Python floats take the default dtype (float32 unless ``set_default_dtype`` says otherwise), Python
    ints int64 and bools bool, as in PyTorch; a NumPy array keeps its dtype unless ``dtype`` is given.
    ``device`` None: a Tensor's own device, for anything else the default device (the CPU unless
    ``set_default_device`` says otherwise).
    """
    if isinstance(data, Tensor):
        warn("To copy construct from a tensor, it is recommended to use sourceTensor.detach().clone() or "
             "sourceTensor.detach().clone().requires_grad_(True), rather than tinynn.tensor(sourceTensor).")
        device = data.device if device is None else device
        data = data._array
    device = backend.canonical_device(device)
    if isinstance(data, (np.ndarray, np.generic)) or backend.is_gpu_array(data):
        array = np.array(data) if isinstance(data, np.generic) else data
        array = array.astype(dtype if dtype is not None else array.dtype, copy=True)
    else:
        try:
            array = np.array(data)
        except ValueError:  # (NumPy refuses ragged nesting itself)
            raise InputError(f"tensor: expected nested sequences of equal lengths (a rectangular array of numbers), "
                             f"got ragged {type(data).__name__} data") from None
        too_large = _int_beyond_int64(data, array)
        if too_large is not None and (dtype is None or array.dtype == object):
            raise InputError(f"tensor: the integer {too_large} does not fit int64, the dtype of Python ints; "
                             f"pass dtype=tinynn.uint64 for unsigned 64-bit integers, or give floats")
        if array.dtype == object or array.dtype.kind in "USV":
            raise TypeError(f"tensor: cannot build a tensor from {type(data).__name__} of {array.dtype.name} values "
                            f"(ragged or non-numeric data); expected numbers")
        if dtype is None:
            dtype = {"f": promotion.default_float(), "c": promotion.default_complex()}.get(array.dtype.kind, array.dtype)
        else:  # (300 into uint8 would wrap)
            value_ranges.check_fits(array, dtype, type_name=np.dtype(dtype).name, floats=False)
        array = array.astype(dtype)
    return Tensor(backend.to_device(array, device), requires_grad=requires_grad)


def _int_beyond_int64(data, array):
    """A Python int in ``data`` that int64 cannot hold, where no float beside it makes the tensor a float
    one (as PyTorch's), or None. NumPy makes such lists uint64, float64 ([1, 2**63]) or object arrays;
    only then are the values looked through, one by one."""
    if array.dtype.kind not in "fuO" or (array.dtype.kind == "f" and not (abs(array) >= 2.0 ** 63).any()):
        return None
    pending, too_large = [data], None
    while pending:
        value = pending.pop()
        if isinstance(value, (list, tuple)):
            pending.extend(value)
        elif isinstance(value, (float, complex, np.inexact)):
            return None
        elif type(value) is int and not -(1 << 63) <= value < (1 << 63):
            too_large = value
    return too_large


def expect_tensor(value, name, what):
    """PyTorch's TypeError where an op's argument ``what`` must be a Tensor and is not (rather than an
    AttributeError from inside the op)."""
    if not isinstance(value, Tensor):
        raise TypeError(f"{name}(): argument '{what}' must be Tensor, not {type(value).__name__}")


def requiring_tensor(function, name):
    """``function`` whose first argument must be a Tensor (``expect_tensor``'s TypeError otherwise)."""
    @functools.wraps(function)
    def checked(input, *args, **kwargs):
        expect_tensor(input, name, "input")
        return function(input, *args, **kwargs)
    return checked


def _factory(fill, shape, dtype, device, requires_grad):
    check_creatable(shape)
    xp = backend.array_module_for(device)
    array = backend.to_device(fill(xp, shape, np.dtype(dtype or promotion.default_float())), device)
    return Tensor(array, requires_grad=requires_grad)


def full(size, fill_value, dtype=None, device=None, requires_grad=False):
    if isinstance(fill_value, Tensor) and fill_value.ndim == 0:
        fill_value = fill_value.item()  # (a 0-d tensor is a number here, as PyTorch's Scalar)
    if not isinstance(fill_value, (numbers.Number, np.generic)):
        raise TypeError(f"full: fill_value must be a number, got {type(fill_value).__name__}")
    dtype = dtype or promotion.number_dtype(fill_value)
    value_ranges.check_fits(fill_value, dtype or promotion.default_float())
    fill_value = value_ranges.wrapped(fill_value, dtype or promotion.default_float())
    return _factory(lambda xp, s, d: xp.full(s, fill_value, dtype=d), size_arguments((size,)), dtype, device,
                    requires_grad)


def made_like(make, t, dtype, device, requires_grad, memory_format, name):
    """``make(shape, dtype=, device=, requires_grad=)`` with ``t``'s shape, and its dtype and device unless
    given, laid out in ``memory_format`` (preserve_format: as ``t`` is): the ``*_like`` factories."""
    made = make(t.shape, dtype=dtype or t.dtype, device=device or t.device, requires_grad=requires_grad)
    return memory_layout.laid_out_like(made, t, memory_format, name)


def zeros_like(input, dtype=None, device=None, requires_grad=False, memory_format=memory_layout.preserve_format):
    return made_like(zeros, input, dtype, device, requires_grad, memory_format, "zeros_like")


def ones_like(input, dtype=None, device=None, requires_grad=False, memory_format=memory_layout.preserve_format):
    return made_like(ones, input, dtype, device, requires_grad, memory_format, "ones_like")


def eye(n, m=None, dtype=None, device=None, requires_grad=False):
    for name, size in (("n", n), ("m", m)):
        if size is not None and size < 0:
            raise InputError(f"eye: {name} must be greater or equal to 0, got {size}")
    return _factory(lambda xp, s, d: xp.eye(n, m, dtype=d), (), dtype, device, requires_grad)


def linspace(start, end, steps, dtype=None, device=None, requires_grad=False):
    steps = as_int(steps)
    if not isinstance(steps, (int, np.integer)) or steps < 0:
        raise InputError(f"linspace: the number of steps must be a non-negative int, got {steps!r}")
    return _factory(lambda xp, s, d: xp.linspace(start, end, steps, dtype=d), (), dtype, device, requires_grad)


def randint(low, high=None, size=(), dtype=None, device=None, generator=None, requires_grad=False):
    """Uniform integers in [low, high) (or [0, low)) from tinynn's seeded generator (or
    ``generator``); int64 by default."""
    from . import random

    if isinstance(high, (tuple, list)):  # randint(high, size), PyTorch's other form
        low, high, size = 0, low, high
    low, high = (0, low) if high is None else (low, high)
    if not low < high:
        raise InputError(f"randint: expected low < high (draws from [low, high)), got low={low}, high={high}")
    draw_checks.check_integer_range("randint", low, high, dtype or np.int64)
    check_creatable((size,) if isinstance(size, numbers.Integral) else size)
    values = random.numpy_generator(generator).integers(low, high, size)
    return tensor(values, dtype=dtype or np.int64, device=device, requires_grad=requires_grad)


def zeros(*sizes, size=None, dtype=None, device=None, requires_grad=False):
    return _factory(lambda xp, s, d: xp.zeros(s, dtype=d), size_arguments(sizes, size, "zeros"), dtype, device,
                    requires_grad)


def ones(*sizes, size=None, dtype=None, device=None, requires_grad=False):
    return _factory(lambda xp, s, d: xp.ones(s, dtype=d), size_arguments(sizes, size, "ones"), dtype, device,
                    requires_grad)


def randn(*sizes, size=None, dtype=None, device=None, requires_grad=False, generator=None):
    """Standard normal samples from tinynn's seeded generator (``tinynn.manual_seed``), or from
    ``generator``."""
    from . import random

    def fill(xp, s, d):
        draw_checks.check_dtype("randn", d, draw_checks.FLOATS_OR_COMPLEX)
        draws = random.numpy_generator(generator).standard_normal(s)
        if np.dtype(d).kind == "c":  # as PyTorch: real and imaginary parts N(0, 1/2), so E|z|^2 = 1
            draws = (draws + 1j * random.numpy_generator(generator).standard_normal(s)) / np.sqrt(2)
        return draws.astype(d)

    return _factory(fill, size_arguments(sizes, size, "randn"), dtype, device, requires_grad)


def rand(*sizes, size=None, dtype=None, device=None, requires_grad=False, generator=None):
    """Uniform [0, 1) samples from tinynn's seeded generator (or ``generator``)."""
    from . import random

    def fill(xp, s, d):
        draw_checks.check_dtype("rand", d, draw_checks.FLOATS_OR_COMPLEX)
        return random.numpy_generator(generator).random(s).astype(d)

    return _factory(fill, size_arguments(sizes, size, "rand"), dtype, device, requires_grad)


def arange(start=0, end=None, step=1, *, dtype=None, device=None, requires_grad=False):
    """start, start + step, ... up to (not including) ``end``; ``arange(n)`` is 0 .. n-1. Whole
    numbers give int64, a float anywhere the default float dtype (unless ``dtype`` says otherwise), as in PyTorch."""
    if end is None:
        start, end = 0, start
    if step == 0 or step != step:
        raise InputError("arange: step must be nonzero")
    for bound in (start, end):
        if not math.isfinite(bound):
            raise RuntimeError(f"arange: unsupported range: {start} -> {end}")
    if (end - start) * step < 0:  # (NumPy would give an empty range)
        raise RuntimeError(f"arange: upper bound and lower bound inconsistent with step sign (from {start} to {end} "
                           f"by {step})")
    array = np.arange(start, end, step)
    if dtype is None and array.dtype.kind == "f":
        dtype = promotion.default_float()
    return tensor(array, dtype=dtype, device=device, requires_grad=requires_grad)


def from_numpy(array):
    """A tensor sharing memory with a NumPy array (no copy), like ``torch.from_numpy``."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy: expected a numpy.ndarray, got {type(array).__name__}")
    _check_holdable(array.dtype)
    if not array.dtype.isnative:
        raise TypeError(f"from_numpy: the array's values are in the other byte order ({array.dtype.str}), which "
                        f"tinynn does not compute in, so its memory cannot be shared; tinynn.tensor(array) copies it "
                        f"into the machine's order")
    return Tensor(array)


def _operand_array(xp, other, like):
    """A tensor op's operand that is neither a Tensor nor a number (an array, a list of numbers) as an
    array of ``xp``, beside a tensor of dtype ``like``; anything else named, where NumPy would have made
    None a NaN and '1' a 1."""
    try:
        array = xp.asarray(other)
    except (TypeError, ValueError):  # (lists of uneven lengths, objects NumPy cannot convert)
        array = None
    if array is None or array.dtype.kind not in "biufc":
        described = type(other).__name__ if array is None or array.dtype == object else f"an array of {array.dtype}"
        raise TypeError(f"a tensor op's operand must be a Tensor, a number, or an array or list of numbers; got "
                        f"{described}")
    _check_holdable(array.dtype)
    if not (isinstance(other, np.ndarray) or backend.is_gpu_array(other)) and array.dtype.kind in "fc":
        # Python floats in a list are taken as the numbers alone are (a float64 tensor keeps their every digit,
        # a float32 one stays float32)
        array = array.astype(_python_number_dtype(array.dtype.kind, like))
    return _in_native_order(array)


def _python_number_dtype(kind, like):
    """The dtype Python floats (``kind`` "f") or complex numbers ("c") take beside a tensor of dtype ``like``:
    its own where it is a float or complex dtype (its complex one for complex numbers), else the default."""
    if kind == "f":
        return like if like.kind in "fc" else promotion.default_float()
    return promotion.complex_of(like) if like.kind in "fc" else promotion.default_complex()


def _in_native_order(array):
    """``array``, or where its values are in the other byte order (read from a big-endian file, say) a copy in
    the machine's: every op computes in that order."""
    return array if array.dtype.isnative else array.astype(array.dtype.newbyteorder("="))


def _check_holdable(dtype):
    """Refuse a dtype no tensor holds: strings, objects, dates, records (no arithmetic, no gradient), and
    floats wider than 64 bits (NumPy's longdouble: neither PyTorch nor CuPy has it)."""
    if dtype.kind not in "biufc":
        raise TypeError(f"tensor: cannot hold an array of dtype {dtype}; a tensor holds bools, integers, floats "
                        f"or complex numbers")
    if dtype.kind in "fc" and dtype.itemsize > (16 if dtype.kind == "c" else 8):
        widest = "complex128" if dtype.kind == "c" else "float64"
        raise TypeError(f"tensor: cannot hold an array of dtype {dtype.name} (NumPy's long double); tinynn's widest "
                        f"{'complex numbers' if dtype.kind == 'c' else 'floats'} are {widest}: convert it with "
                        f".astype(numpy.{widest})")


# Methods whose math is in tinynn/tensor_functions.py: built from the ops above (so they have no
# backward of their own), or index and counting functions.
BUILT_FROM_OPS = ("cumprod cummax cummin logcumsumexp diff lerp hypot logaddexp logaddexp2 xlogy xlog1py logit sinc "
                  "fmod remainder frac float_power deg2rad rad2deg heaviside clamp_min clamp_max aminmax nansum "
                  "nanmean kthvalue quantile nanquantile cov corrcoef renorm kron rot90 diag_embed diagflat scatter "
                  "scatter_reduce index_reduce index_fill index_copy masked_scatter histc histogram addmm addmv addr baddbmm addbmm "
                  "addcmul addcdiv unflatten unfold sum_to_size take ravel copysign ldexp frexp signbit isneginf "
                  "isposinf nextafter logical_and logical_or logical_xor logical_not bitwise_and bitwise_or "
                  "bitwise_xor bitwise_not gcd lcm isreal nonzero nonzero_static argwhere index_put tensor_split hsplit vsplit dsplit "
                  "broadcast_to slice_scatter select_scatter diagonal_scatter put exp2 fmax fmin inner vdot dist "
                  "cross fliplr flipud msort nanmedian unique_consecutive split_with_sizes narrow_copy angle "
                  "mode").split()

# In-place forms (x.exp_() and the like): the out-of-place result written into the tensor's memory,
# outside autograd (see Tensor._in_place).
IN_PLACE = ("abs exp expm1 log log1p log2 log10 sqrt rsqrt square reciprocal neg sin cos tan asin acos atan sinh cosh "
            "tanh sigmoid relu erf erfc erfinv lgamma digamma i0 igamma igammac floor ceil round trunc frac sign nan_to_num clamp_min "
            "clamp_max lerp pow fmod remainder hypot xlogy logit sinc copysign ldexp addcmul addcdiv addmm addmv addr "
            "baddbmm addbmm index_fill index_copy index_add index_reduce index_put masked_scatter scatter scatter_add "
            "scatter_reduce logical_and logical_or logical_xor logical_not bitwise_and bitwise_or bitwise_xor "
            "bitwise_not gcd lcm float_power deg2rad rad2deg logaddexp atan2 polygamma mvlgamma asinh acosh atanh "
            "arcsin arccos arctan arcsinh arccosh arctanh arctan2 absolute negative multiply divide subtract "
            "true_divide sgn exp2 fix floor_divide heaviside renorm cumsum cumprod tril triu put eq ne lt le gt ge "
            "greater greater_equal less less_equal not_equal conj_physical nextafter bitwise_left_shift "
            "bitwise_right_shift").split()


def _built_from_ops(name):
    def method(self, *args, **kwargs):
        from . import tensor_functions

        return getattr(tensor_functions, name)(self, *args, **kwargs)
    method.__name__ = method.__qualname__ = name
    method.__doc__ = f"``tinynn.tensor_functions.{name}(self, ...)``."
    return method


def _in_place_form(name):
    def method(self, *args, **kwargs):
        return self._in_place(f"{name}_", lambda x: getattr(x, name)(*args, **kwargs), *args, *kwargs.values())
    method.__name__ = method.__qualname__ = f"{name}_"
    method.__doc__ = f"``{name}`` written into this tensor's memory (recorded by autograd where needed)."
    return method


for _name in BUILT_FROM_OPS:
    setattr(Tensor, _name, _built_from_ops(_name))
# A 0-d tensor takes dim 0 or -1 in these, as in PyTorch (tinynn/scalar_dims.py); the ones built from ops
# are wrapped in tinynn/tensor_functions.py, softmax and log_softmax in nn/functional/activation.py.
for _name, _dims in (("sum", ("dim", "axis")), ("mean", ("dim", "axis")), ("prod", ("dim",)), ("amax", ("dim",)),
                     ("amin", ("dim",)), ("max", ("dim", "dim_or_other")), ("min", ("dim", "dim_or_other")),
                     ("median", ("dim",)),
                     ("argmax", ("dim", "axis")), ("argmin", ("dim", "axis")), ("logsumexp", ("dim",)), ("norm", ("dim",)),
                     ("var", ("dim",)), ("std", ("dim",)), ("all", ("dim",)), ("any", ("dim",)),
                     ("count_nonzero", ("dim",)), ("cumsum", ("dim",)), ("sort", ("dim",)), ("argsort", ("dim",)),
                     ("topk", ("dim",)), ("flip", ("dims",)), ("squeeze", ("dim",)), ("movedim", ("source", "destination")),
                     ("moveaxis", ("source", "destination")), ("swapaxes", ("axis0", "axis1")),
                     ("swapdims", ("dim0", "dim1")), ("transpose", ("axes",)), ("index_select", ("dim",))):
    setattr(Tensor, _name, accepting_scalar_dims(getattr(Tensor, _name), _dims))
gather = accepting_scalar_dims(gather, ("dim",), indices=("index",))  # (Tensor.gather calls it)
Tensor.scatter_add = accepting_scalar_dims(Tensor.scatter_add, ("dim",), indices=("index", "src"))
Tensor.index_add = accepting_scalar_dims(Tensor.index_add, ("dim",), indices=("index", "source"))
for _name in IN_PLACE:
    if not hasattr(Tensor, f"{_name}_"):
        setattr(Tensor, f"{_name}_", _in_place_form(_name))
Tensor.__mod__ = Tensor.remainder
Tensor.__rmod__ = lambda self, other: _built_from_ops("remainder")(self._operand(other), self)
