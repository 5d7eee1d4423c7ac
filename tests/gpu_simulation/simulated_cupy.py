"""A strict stand-in for CuPy, computed by NumPy, so the GPU code path runs where there is no GPU.

The real GPU tests (tests/test_gpu.py with CuPy and a CUDA device) are the proof that tinynn works
on a GPU. This simulation catches, on any machine, the mistakes that make GPU code fail there:

* calling a CuPy function, method or keyword that CuPy does not have: every name and keyword is
  checked against ``cupy_api.json``, recorded from real CuPy by ``record_cupy_api.py`` (what each
  version recorded there has in common);
* mixing host (NumPy) and device arrays in one operation, and implicit conversion of a device
  array to NumPy (``np.asarray(gpu_array)``): both raise TypeError, as CuPy does;
* hidden transfers: every device-to-host read (``.get()``, ``.item()``, ``float()``, ``bool()``...)
  and host-to-device copy (``cupy.asarray(numpy_array)``, NumPy index arrays, assignment from host)
  is counted in ``TRANSFERS``, and ``cupyx.allow_synchronize(False)`` makes a device-to-host read
  raise ``cupyx.DeviceSynchronized``, as it does in CuPy.

Like CuPy, reductions return 0-d device arrays rather than scalars, sorting is stable, sums are
as accurate as a tree reduction, arithmetic gives IEEE results (0/0 is NaN) without warnings, and
``ElementwiseKernel``/``ReductionKernel`` run their bodies (see ``tinynn.fused``). What it cannot
catch: numerical differences of CUDA kernels, and functions that CuPy has but implements with
other semantics.
"""
import contextlib
import functools
import json
import operator
import re
import sys
import textwrap
import time
import types
import weakref
from collections import Counter
from pathlib import Path

import numpy as np

API = json.loads(Path(__file__).with_name("cupy_api.json").read_text())
NAMES = API["namespaces"]
VERSIONS = " and ".join(API["cupy_versions"])  # the CuPy versions whose common API the record holds
TRANSFERS = Counter()  # "device_to_host" and "host_to_device" copies since the last reset
_synchronize_allowed = [True]
STABLE_SORTS = ("sort", "argsort")  # CuPy's sorts are always stable (NumPy's default is not)


TREE_REDUCTIONS = ("sum", "mean")  # CuPy adds in a tree: for float32, nearer float64 sums than NumPy's row by row


def _tree_sum(values, axis=None, keepdims=False):
    """A sum as accurate as CuPy's tree reduction: NumPy adds float32 along a non-contiguous axis
    one value after another (error growing with the count), so add in float64, return the input's type."""
    return values.sum(axis=axis, keepdims=keepdims, dtype=np.float64).astype(values.dtype, copy=False)


_tree_sum.sum = _tree_sum
_tree_sum.mean = lambda values, axis=None, keepdims=False: (
    values.mean(axis=axis, keepdims=keepdims, dtype=np.float64).astype(values.dtype, copy=False))


class DeviceSynchronized(RuntimeError):
    """cupyx.DeviceSynchronized: a synchronising read happened inside allow_synchronize(False)."""


def _host_read(what):
    if not _synchronize_allowed[0]:
        raise DeviceSynchronized(f"device synchronization was detected ({what}) while it was disallowed")
    TRANSFERS["device_to_host"] += 1


def _check_call(namespace, name, args, kwargs):
    signature = NAMES[namespace].get(name)
    if signature is None:
        return
    unknown = set(kwargs) - set(signature["params"])
    if unknown and not signature["var_keyword"]:
        raise TypeError(f"{namespace}.{name}() got keyword argument(s) {sorted(unknown)} that CuPy "
                        f"{VERSIONS} does not accept (it takes {signature['params']})")
    if len(args) > len(signature["params"]) and not signature["var_positional"]:
        raise TypeError(f"{namespace}.{name}() takes {len(signature['params'])} arguments in CuPy, got {len(args)}")


def _device_operand(value, where):
    """The NumPy array behind a device operand; host arrays are refused, as CuPy refuses them."""
    if isinstance(value, ndarray):
        return value._host
    if isinstance(value, np.ndarray):
        raise TypeError(f"{where}: Unsupported type <class 'numpy.ndarray'> (a host array mixed with GPU "
                        f"arrays; CuPy refuses this: move it to the device first)")
    if isinstance(value, (list, tuple)):
        return type(value)(_device_operand(item, where) for item in value)
    if isinstance(value, dict):  # keyword arguments
        return {key: _device_operand(item, where) for key, item in value.items()}
    return value


def _index_operand(key):
    """An index; CuPy uploads NumPy arrays and lists used as indices (a host-to-device copy)."""
    if isinstance(key, tuple):
        return tuple(_index_operand(part) for part in key)
    if isinstance(key, ndarray):
        return key._host
    if isinstance(key, (np.ndarray, list)):
        TRANSFERS["host_to_device"] += 1
        return np.asarray(key)
    return key


def _wrap(value):
    """NumPy results -> device arrays (scalars become 0-d arrays, as CuPy returns them)."""
    if isinstance(value, np.ndarray):
        existing = _OWNERS.get(id(value)) if value.base is None else None
        return existing if existing is not None and existing._host is value else ndarray(value)
    if isinstance(value, np.generic):
        return ndarray(np.asarray(value))
    if isinstance(value, tuple):
        return tuple(_wrap(item) for item in value)
    if isinstance(value, list):
        return [_wrap(item) for item in value]
    return value


def _check_ufunc_keywords(kwargs):
    if set(kwargs) - set(API["ufunc_keywords"]):
        raise TypeError(f"CuPy's ufuncs accept only {API['ufunc_keywords']}, got {sorted(kwargs)}")


def _quietly(compute):
    """CuPy computes IEEE results (0/0 -> NaN, overflow -> inf) without NumPy's warnings or errors."""
    @functools.wraps(compute)
    def quiet(*args, **kwargs):
        with np.errstate(all="ignore"):
            return compute(*args, **kwargs)
    return quiet


@_quietly
def _apply_ufunc(ufunc_method, where, inputs, kwargs):
    """Run a NumPy ufunc on device operands; with ``out=``, the device outputs are returned."""
    outputs = kwargs.get("out")
    if outputs is not None:
        outputs = outputs if isinstance(outputs, tuple) else (outputs,)
        kwargs = dict(kwargs, out=tuple(_device_operand(out, where) for out in outputs))
    result = ufunc_method(*_device_operand(inputs, where), **kwargs)
    if outputs is None:
        return _wrap(result)
    return outputs[0] if len(outputs) == 1 else outputs


def _binary(op):
    @_quietly
    def method(self, other):
        return _wrap(op(self._host, _device_operand(other, f"cupy.ndarray {op.__name__}")))
    return method


def _reflected(op):
    @_quietly
    def method(self, other):
        return _wrap(op(_device_operand(other, f"cupy.ndarray {op.__name__}"), self._host))
    return method


def _inplace(op):
    @_quietly
    def method(self, other):
        self._host = op(self._host, _device_operand(other, f"cupy.ndarray {op.__name__}"))
        return self
    return method


def _host_scalar(convert):
    def method(self):
        _host_read(f"{convert.__name__}() of a device array")
        return convert(self._host)
    return method


_OWNERS = weakref.WeakValueDictionary()  # id(host array owning its memory) -> its device array


class ndarray:
    """cupy.ndarray: device memory, simulated by the NumPy array ``_host``."""

    __slots__ = ("_host", "_base", "__weakref__")
    __hash__ = None

    def __init__(self, host):
        self._host = host
        if host.base is None:
            _OWNERS[id(host)] = self
            _POOL.hold(host.nbytes)
            weakref.finalize(self, _POOL.release, host.nbytes)

    @property
    def data(self):
        """The device pointer (CuPy's MemoryPointer): here the host array's address."""
        return types.SimpleNamespace(ptr=self._host.__array_interface__["data"][0])

    @property
    def base(self):
        """The device array owning this view's memory, one object for all its views (as CuPy's), kept
        alive by them: that of the host's owner, wrapped once."""
        owner = self._host.base
        if owner is None:
            return None
        if not hasattr(self, "_base"):
            while isinstance(owner, np.ndarray) and owner.base is not None:
                owner = owner.base
            self._base = _wrap(owner) if isinstance(owner, np.ndarray) else owner
        return self._base

    # Properties CuPy lets one assign to (z.real = x), which __getattr__ cannot provide
    @property
    def real(self):
        return _wrap(self._host.real)

    @real.setter
    def real(self, value):
        self._host.real = _device_operand(value, "ndarray.real")

    @property
    def imag(self):
        return _wrap(self._host.imag)

    @imag.setter
    def imag(self, value):
        self._host.imag = _device_operand(value, "ndarray.imag")

    def __getattr__(self, name):
        if name not in NAMES["cupy.ndarray"]:
            raise AttributeError(f"'cupy.ndarray' object has no attribute {name!r} (CuPy {VERSIONS})")
        if name in ("item", "tolist", "tobytes"):
            _host_read(f"ndarray.{name}()")
            return getattr(self._host, name)
        value = getattr(self._host, name)
        if not callable(value):
            return _wrap(value) if name in ("T", "mT") else value

        def method(*args, **kwargs):
            _check_call("cupy.ndarray", name, args, kwargs)
            if name in STABLE_SORTS:
                kwargs = dict(kwargs, kind="stable")
            if name in TREE_REDUCTIONS and "dtype" not in kwargs and self._host.dtype in (np.float16, np.float32):
                return _wrap(getattr(_tree_sum, name)(self._host, *args, **kwargs))
            return _wrap(value(*_device_operand(args, f"ndarray.{name}"), **_device_operand(kwargs, f"ndarray.{name}")))
        return method

    def get(self, stream=None, order="C", out=None, blocking=True):
        _host_read("ndarray.get()")
        return self._host.copy(order=order)

    def set(self, array, stream=None):
        TRANSFERS["host_to_device"] += 1
        self._host[...] = array

    def __array__(self, *args, **kwargs):
        raise TypeError("Implicit conversion to a NumPy array is not allowed. "
                        "Please use `.get()` to construct a NumPy array explicitly.")

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        if ufunc.__name__ not in API["ufuncs"]:
            raise TypeError(f"CuPy has no ufunc {ufunc.__name__!r}")
        if method != "__call__" and method not in API["ufunc_methods"]:
            raise TypeError(f"CuPy's ufuncs have no method {method!r}")
        if method == "__call__":
            _check_ufunc_keywords(kwargs)
        return _apply_ufunc(getattr(ufunc, method), f"numpy.{ufunc.__name__}", inputs, kwargs)

    def __array_function__(self, func, types_, args, kwargs):
        namespace = "cupy" if func.__module__ == "numpy" else None
        if func.__name__ == "as_strided":
            namespace = "cupy.lib.stride_tricks"
        if namespace is None or func.__name__ not in NAMES[namespace]:
            raise TypeError(f"no implementation of numpy.{func.__name__} for CuPy arrays")
        _check_call(namespace, func.__name__, args, kwargs)
        if func.__name__ in STABLE_SORTS:
            kwargs = dict(kwargs, kind="stable")
        where = f"numpy.{func.__name__}"
        return _wrap(func(*_device_operand(args, where), **_device_operand(kwargs, where)))

    def __getitem__(self, key):
        return _wrap(self._host[_index_operand(key)])

    def __setitem__(self, key, value):
        if isinstance(value, np.ndarray):
            TRANSFERS["host_to_device"] += 1
        elif isinstance(value, ndarray):
            value = value._host
        self._host[_index_operand(key)] = value

    def __len__(self):
        return len(self._host)

    def __iter__(self):
        return (_wrap(row) for row in self._host)

    def __repr__(self):
        return f"array({np.array2string(self._host)}, device='simulated')"

    __bool__ = _host_scalar(bool)
    __float__ = _host_scalar(float)
    __int__ = _host_scalar(int)
    __index__ = _host_scalar(operator.index)
    __complex__ = _host_scalar(complex)

    def __neg__(self):
        return _wrap(-self._host)

    def __pos__(self):
        return _wrap(+self._host)

    def __abs__(self):
        return _wrap(abs(self._host))

    def __invert__(self):
        return _wrap(~self._host)


for _name, _op, _iop in [("add", operator.add, operator.iadd), ("sub", operator.sub, operator.isub),
                         ("mul", operator.mul, operator.imul), ("truediv", operator.truediv, operator.itruediv),
                         ("floordiv", operator.floordiv, operator.ifloordiv), ("mod", operator.mod, operator.imod),
                         ("pow", operator.pow, operator.ipow), ("matmul", operator.matmul, operator.imatmul),
                         ("and", operator.and_, operator.iand), ("or", operator.or_, operator.ior),
                         ("xor", operator.xor, operator.ixor)]:
    setattr(ndarray, f"__{_name}__", _binary(_op))
    setattr(ndarray, f"__r{_name}__", _reflected(_op))
    setattr(ndarray, f"__i{_name}__", _inplace(_iop))
for _name in ("lt", "le", "gt", "ge", "eq", "ne"):
    setattr(ndarray, f"__{_name}__", _binary(getattr(operator, _name)))


def _transfer_in(convert):
    """asarray/array: host data is copied to the device (never shared with the host array)."""
    @functools.wraps(convert)
    def upload(a, dtype=None, *args, **kwargs):
        if isinstance(a, ndarray):
            converted = convert(a._host, dtype, *args, **kwargs)
            return a if converted is a._host else ndarray(converted)
        TRANSFERS["host_to_device"] += 1
        return _wrap(np.array(a, dtype=dtype, copy=True))
    return upload


def asnumpy(a, stream=None, order="C", out=None, blocking=True):
    if isinstance(a, ndarray):
        return a.get(order=order)
    return np.asarray(a, order=order)


def get_array_module(*args):
    return sys.modules[__name__].MODULE if any(isinstance(a, ndarray) for a in args) else np


class _Namespace(types.SimpleNamespace):
    """A CuPy namespace: only the recorded names exist."""

    def __init__(self, recorded, **members):
        super().__init__(**members)
        self.__dict__["_recorded"] = recorded

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        if name in NAMES[self._recorded]:
            raise NotImplementedError(f"{self._recorded}.{name} exists in CuPy but not in this simulation")
        raise AttributeError(f"{self._recorded} has no attribute {name!r} (CuPy {VERSIONS})")


class _Generator:
    """cupy.random.Generator (its draws come from a NumPy generator)."""

    def __init__(self, seed):
        self._numpy = np.random.default_rng(seed)

    def __getattr__(self, name):
        if name not in NAMES["cupy.random.Generator"]:
            raise AttributeError(f"cupy.random.Generator has no method {name!r}")
        draw = getattr(self._numpy, name)

        def method(*args, **kwargs):
            _check_call("cupy.random.Generator", name, args, kwargs)
            if name == "uniform":  # CuPy's uniform() uploads low and high with cupy.asarray
                bounds = list(args[:2]) + [kwargs[key] for key in ("low", "high") if key in kwargs]
                TRANSFERS["host_to_device"] += sum(not isinstance(bound, ndarray) for bound in bounds)
            return _wrap(np.asarray(draw(*_device_operand(args, name), **kwargs)))
        return method


class _Device:
    def __init__(self, device=None):
        self.id = 0

    def synchronize(self):
        _host_read("Device.synchronize()")

    def use(self):
        return self


class _Event:
    """cupy.cuda.Event: the host's clock at ``record`` stands for the GPU's (the simulated GPU works at once)."""

    def __init__(self, block=False, disable_timing=False, interprocess=False):
        self.disable_timing, self.time = disable_timing, None

    def record(self, stream=None):
        self.time = time.perf_counter()

    def synchronize(self):
        _host_read("Event.synchronize()")

    @property
    def done(self):
        return True


def _elapsed_time(start, end):
    """cupy.cuda.get_elapsed_time: milliseconds between two recorded timing events."""
    if start.disable_timing or end.disable_timing or start.time is None or end.time is None:
        raise RuntimeError("cudaErrorInvalidResourceHandle: events without timing, or not recorded")
    return (end.time - start.time) * 1000.0


class _Stream:
    """cupy.cuda.Stream; ``with stream:`` makes it the current one."""
    _current = []

    def __init__(self, null=False, non_blocking=False, ptds=False):
        self.waited = []

    def __enter__(self):
        _Stream._current.append(self)
        return self

    def __exit__(self, *exc_info):
        _Stream._current.pop()
        return False

    def synchronize(self):
        _host_read("Stream.synchronize()")

    @property
    def done(self):
        return True

    def wait_event(self, event):
        self.waited.append(event)

    def record(self, event=None):
        event = event or _Event()
        event.record(self)
        return event


_NULL_STREAM = _Stream(null=True)


class _MemoryPool:
    """CuPy's memory pool: device memory an array owns is "used" while the array lives, and stays held
    by the pool (for reuse) after it dies, until ``free_all_blocks``."""

    def __init__(self):
        self.used, self.total = 0, 0

    def hold(self, nbytes):
        self.used += nbytes
        self.total = max(self.total, self.used)

    def release(self, nbytes):
        self.used -= nbytes

    def used_bytes(self):
        return self.used

    def total_bytes(self):
        return self.total

    def free_all_blocks(self, stream=None):
        self.total = self.used


_POOL = _MemoryPool()


@contextlib.contextmanager
def allow_synchronize(allow):
    previous, _synchronize_allowed[0] = _synchronize_allowed[0], allow
    try:
        yield
    finally:
        _synchronize_allowed[0] = previous


PINNED = []  # the shapes of the pinned host buffers made (cupyx.empty_pinned)


class PinnedMemoryPointer(bytearray):
    """cupy.cuda.PinnedMemoryPointer: the page-locked buffer that owns a pinned array's memory."""


def _empty_pinned(shape, dtype=np.float64, order="C"):
    """cupyx.empty_pinned: a NumPy array whose memory a PinnedMemoryPointer owns, as CuPy's."""
    PINNED.append(shape)
    dtype = np.dtype(dtype)
    size = int(np.prod(shape)) * dtype.itemsize
    return np.ndarray(shape, dtype, buffer=PinnedMemoryPointer(max(size, 1)), order=order)


def scatter_add(a, slices, value):
    np.add.at(a._host, _index_operand(slices), _device_operand(value, "cupyx.scatter_add"))


def scatter_max(a, slices, value):
    np.maximum.at(a._host, _index_operand(slices), _device_operand(value, "cupyx.scatter_max"))


def scatter_min(a, slices, value):
    np.minimum.at(a._host, _index_operand(slices), _device_operand(value, "cupyx.scatter_min"))


def _kernel_params(spec):
    """CuPy's parameter list "T x, raw T y, float64 eps" -> ([("T", "x"), ("T", "y"), ("float64", "eps")],
    {"y"}): the parameters and the names of the raw ones (whole arrays the body indexes itself)."""
    params, raw = [], set()
    for part in spec.split(","):
        words = part.split()
        if len(words) == 3 and words[0] == "raw":
            raw.add(words[2])
            words = words[1:]
        if len(words) != 2:
            raise NotImplementedError(f"kernel parameter {part.strip()!r}: only '[raw] type name' is simulated")
        _is_placeholder(words[0])  # refuses what is neither, as CuPy does
        params.append(tuple(words))
    return params, raw


def _is_placeholder(type_name):
    """CuPy's rule: a one-letter type (T, S...) takes the dtype of its arguments; any other must be
    a dtype's name."""
    if len(type_name) == 1:
        return True
    if np.dtype(type_name).name != type_name:
        raise ValueError(f"Wrong type {type_name}")
    return False


def _kernel_types(params, args, types, kernel):
    """Resolve placeholder types from the array arguments into ``types``: two arrays of one
    placeholder must agree, and a typed array must have its type, as CuPy demands."""
    for (type_name, name), arg in zip(params, args):
        if isinstance(arg, np.ndarray):
            raise TypeError(f"{kernel}: Unsupported type <class 'numpy.ndarray'> for {name!r} (a host array)")
        if isinstance(arg, ndarray):
            dtype = arg._host.dtype
            if not _is_placeholder(type_name) and dtype != np.dtype(type_name):
                raise TypeError(f"{kernel}: Type is mismatched. {name} {dtype} {type_name}")
            if types.setdefault(type_name, dtype) != dtype:
                raise TypeError(f"{kernel}: Type is mismatched. {name} {dtype} {type_name} {types[type_name]}")


def _kernel_values(params, args, types, kernel):
    """{name: NumPy value}: arrays as they are, numbers cast to their parameter's type."""
    values = {}
    for (type_name, name), arg in zip(params, args):
        if isinstance(arg, ndarray):
            values[name] = arg._host
            continue
        dtype = types.get(type_name) if _is_placeholder(type_name) else np.dtype(type_name)
        if dtype is None:
            raise TypeError(f"{kernel}: the type {type_name} of {name!r} is decided by no array argument")
        values[name] = np.asarray(arg, dtype=dtype)
    return values


_DECLARATION = re.compile(r"^(\s*)(?:const\s+)?[A-Za-z_]\w*\s+(?=[A-Za-z_]\w*\s*=[^=])", re.MULTILINE)


def _compile_kernel_text(text, kernel, mode):
    """A kernel body: C that is also Python (``[type] name = expression;`` lines over arithmetic,
    comparisons and the functions below; ``raw`` arrays indexed by computed positions), so that
    NumPy can evaluate what CUDA would compile. A declaration's type is dropped (NumPy keeps
    its own)."""
    try:
        return compile(_DECLARATION.sub(r"\1", textwrap.dedent(text).strip()), f"<CuPy kernel {kernel}>", mode)
    except SyntaxError as error:
        raise NotImplementedError(f"{kernel}: the simulation runs only the C that is also Python ({error})") from None


# Nothing of Python's own (C has none of it): the C math functions and what tinynn.fused.PREAMBLE
# defines for CUDA (``where``, ``clip``), and the functional cast ``ptrdiff_t(x)``.
_KERNEL_FUNCTIONS = {"__builtins__": {}, "sqrt": np.sqrt, "exp": np.exp, "log": np.log, "tanh": np.tanh,
                     "floor": np.floor, "cos": np.cos, "sin": np.sin, "where": np.where, "clip": np.clip, "ptrdiff_t": lambda value: np.asarray(value).astype(np.int64)}


class ElementwiseKernel:
    """cupy.ElementwiseKernel: the body runs once over whole NumPy arrays broadcast together."""

    def __init__(self, in_params, out_params, operation, name="kernel", **kwargs):
        (self.inputs, self.raw), (self.outputs, _) = _kernel_params(in_params), _kernel_params(out_params)
        if any(param_name in ("i", "n") or param_name.startswith("_") for _, param_name in self.inputs + self.outputs):
            raise ValueError(f"{name}: n, i and names starting with _ are reserved in CuPy's kernels")
        self.name = name
        self.code = _compile_kernel_text(operation, name, "exec")

    def __call__(self, *args, size=None):
        if len(args) not in (len(self.inputs), len(self.inputs) + len(self.outputs)):
            raise TypeError(f"Wrong number of arguments for {self.name!r}")
        types = {}
        inputs, outputs = args[:len(self.inputs)], args[len(self.inputs):]
        _kernel_types(self.outputs, outputs, types, self.name)  # outputs first, as CuPy decides types
        _kernel_types(self.inputs, inputs, types, self.name)
        values = _kernel_values(self.inputs, inputs, types, self.name)
        shape = np.broadcast_shapes(*(np.shape(values[name]) for _, name in self.inputs if name not in self.raw))
        if outputs:
            values.update(_kernel_values(self.outputs, outputs, types, self.name))
            if any(out._host.shape != shape for out in outputs):
                raise ValueError("Out shape is mismatched")
        else:
            outputs = [ndarray(np.empty(shape, dtype=types[type_name] if _is_placeholder(type_name) else type_name))
                       for type_name, _ in self.outputs]
        with np.errstate(all="ignore"):
            exec(self.code, dict(_KERNEL_FUNCTIONS), values)
        for out, (_, name) in zip(outputs, self.outputs):
            out._host[...] = values[name]
        return outputs[0] if len(outputs) == 1 else tuple(outputs)


class ReductionKernel:
    """cupy.ReductionKernel, for sums (reduce_expr "a + b", identity "0")."""

    def __init__(self, in_params, out_params, map_expr, reduce_expr, post_map_expr, identity, name="reduce_kernel",
                 **kwargs):
        if reduce_expr.replace(" ", "") != "a+b" or identity != "0":
            raise NotImplementedError(f"{name}: the simulation only sums (reduce_expr 'a + b', identity '0')")
        (self.inputs, raw), ((self.output,), _) = _kernel_params(in_params), _kernel_params(out_params)
        if raw:
            raise NotImplementedError(f"{name}: raw arguments of reduction kernels are not simulated")
        self.name = name
        self.map, self.post_map = (_compile_kernel_text(text, name, mode)
                                   for text, mode in ((map_expr, "eval"), (post_map_expr, "exec")))

    def __call__(self, *args, axis=None, keepdims=False):
        if len(args) != len(self.inputs):
            raise TypeError(f"Wrong number of arguments for {self.name!r}")
        types = {}
        _kernel_types(self.inputs, args, types, self.name)
        values = _kernel_values(self.inputs, args, types, self.name)
        shape = np.broadcast_shapes(*(np.shape(values[name]) for _, name in self.inputs))
        with np.errstate(all="ignore"):
            mapped = np.broadcast_to(eval(self.map, dict(_KERNEL_FUNCTIONS), values), shape)
        out_type, out_name = self.output
        dtype = types[out_type] if _is_placeholder(out_type) else np.dtype(out_type)
        reduced = {"a": _tree_sum(mapped, axis=axis, keepdims=keepdims).astype(dtype)}
        exec(self.post_map, dict(_KERNEL_FUNCTIONS), reduced)
        return ndarray(np.asarray(reduced[out_name], dtype=dtype))


def _ufunc(numpy_ufunc):
    def call(*args, **kwargs):
        _check_ufunc_keywords(kwargs)
        return _apply_ufunc(numpy_ufunc, f"cupy.{numpy_ufunc.__name__}", args, kwargs)
    return call


def _function(name):
    numpy_function = getattr(np, name)
    if isinstance(numpy_function, np.ufunc):
        return _ufunc(numpy_function)
    if isinstance(numpy_function, type) or not callable(numpy_function):
        return numpy_function  # dtypes (cupy.float32 is numpy.float32) and constants

    def call(*args, **kwargs):
        _check_call("cupy", name, args, kwargs)
        if name == "repeat" and isinstance(args[1] if len(args) > 1 else kwargs.get("repeats"), ndarray):
            raise ValueError("cupy.ndarray cannot be specified as `repeats` argument.")  # (CuPy's: int, list or tuple)
        if name in STABLE_SORTS:
            kwargs = dict(kwargs, kind="stable")
        where = f"cupy.{name}"
        return _wrap(numpy_function(*_device_operand(args, where), **_device_operand(kwargs, where)))
    return call


def _submodule_function(namespace, numpy_module, name):
    """cupy.<namespace>.<name> (linalg, fft), computed by NumPy's on the device arrays' host copies."""
    numpy_function = getattr(numpy_module, name)

    def call(*args, **kwargs):
        _check_call(f"cupy.{namespace}", name, args, kwargs)
        where = f"cupy.{namespace}.{name}"
        return _wrap(numpy_function(*_device_operand(args, where), **_device_operand(kwargs, where)))
    return call


class _CupyModule(types.ModuleType):
    def __getattr__(self, name):
        if name.startswith("__") or name not in NAMES["cupy"]:
            raise AttributeError(f"module 'cupy' has no attribute {name!r} (CuPy {VERSIONS})")
        if not hasattr(np, name):
            raise NotImplementedError(f"cupy.{name} exists in CuPy but not in this simulation")
        member = _function(name)
        setattr(self, name, member)
        return member


def _build():
    cupy = _CupyModule("cupy", __doc__)
    cupy.__version__ = f"{API['cupy_versions'][0]}+simulated"  # the oldest whose API it allows
    cupy.ndarray = ndarray
    cupy.asarray = _transfer_in(np.asarray)
    cupy.array = _transfer_in(np.array)
    cupy.ascontiguousarray = _transfer_in(np.ascontiguousarray)
    cupy.asnumpy = asnumpy
    cupy.get_array_module = get_array_module
    cupy.ElementwiseKernel = ElementwiseKernel
    cupy.ReductionKernel = ReductionKernel
    cupy.get_default_memory_pool = lambda: _POOL
    cupy.random = _Namespace("cupy.random", default_rng=_Generator, Generator=_Generator)
    cupy.linalg = _Namespace("cupy.linalg", LinAlgError=np.linalg.LinAlgError,
                             **{name: _submodule_function("linalg", np.linalg, name)
                                for name in ("cholesky", "cond", "det", "eig", "eigh", "eigvals", "eigvalsh", "inv", "norm", "qr", "slogdet",
                                             "solve", "svd")})
    cupy.fft = _Namespace("cupy.fft", **{name: _submodule_function("fft", np.fft, name)
                                         for name in NAMES["cupy.fft"] if name != "config"})
    cupy.lib = types.SimpleNamespace(stride_tricks=_Namespace(
        "cupy.lib.stride_tricks",
        as_strided=lambda x, shape=None, strides=None: _wrap(np.lib.stride_tricks.as_strided(x._host, shape, strides))))
    runtime = _Namespace("cupy.cuda.runtime", getDeviceCount=lambda: 1, runtimeGetVersion=lambda: 12040,
                         deviceSynchronize=lambda: _host_read("runtime.deviceSynchronize()"),
                         getDeviceProperties=lambda device: {"name": b"simulated GPU", "totalGlobalMem": 2 ** 34,
                                                             "major": 9, "minor": 0, "multiProcessorCount": 132},
                         memGetInfo=lambda: (2 ** 33, 2 ** 34))
    cupy.cuda = _Namespace("cupy.cuda", runtime=runtime, Device=_Device, MemoryPool=_MemoryPool, Event=_Event,
                           Stream=_Stream, get_elapsed_time=_elapsed_time,
                           get_current_stream=lambda: _Stream._current[-1] if _Stream._current else _NULL_STREAM)
    cupyx = types.ModuleType("cupyx")
    cupyx.scatter_add, cupyx.scatter_max, cupyx.scatter_min = scatter_add, scatter_max, scatter_min
    cupyx.empty_pinned = _empty_pinned
    cupyx.allow_synchronize = allow_synchronize
    cupyx.DeviceSynchronized = DeviceSynchronized
    return cupy, cupyx


MODULE, CUPYX = _build()


def install(monkeypatch):
    """Make ``import cupy``/``import cupyx`` give the simulation for one test (undone afterwards)."""
    import tinynn

    monkeypatch.setitem(sys.modules, "cupy", MODULE)
    monkeypatch.setitem(sys.modules, "cupyx", CUPYX)
    monkeypatch.setattr(tinynn.backend, "_cupy_module", None)
    monkeypatch.setattr(tinynn.backend, "_deferred_checks", [])  # simulated arrays never reach real CuPy
    monkeypatch.setattr(tinynn.random, "_gpu_generator", None)
    TRANSFERS.clear()
    return MODULE
