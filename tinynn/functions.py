"""PyTorch's module-level tensor functions (``torch.sum(x, 1)``, ``torch.einsum(...)``, ``torch.randperm``),
so code written against ``torch`` reads the same with ``tinynn``. Most are the Tensor method of the
same name (where the math and its gradient are); the rest make tensors or answer questions.
"""
import builtins
import functools
import inspect

import numpy as np

from .errors import DtypeError, InputError
from . import backend, draw_checks, memory_layout, random, return_types
from .autograd import grad_mode, no_grad
from . import tensor_functions
from .ops import complex as complex_ops, promotion
from .dims import wrap_dim
from .ops import strided as strided_ops
from .ops.einsum import einsum
from .broadcasting import broadcast_shape
from .size import as_int, check_creatable, from_arguments as size_arguments
from .user_warnings import warn
from .tensor import BUILT_FROM_OPS, Tensor, _is_float, expect_tensor, full, made_like, tensor, where, zeros, zeros_like


def _method(name, doc=None):
    def function(input, *args, **kwargs):
        if not (isinstance(input, Tensor) or getattr(input, "is_sparse", False)
                or getattr(input, "is_sparse_csr", False)):  # (PyTorch's words, not an AttributeError)
            raise TypeError(f"{name}(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}")
        return getattr(input, name)(*args, **kwargs)
    function.__name__ = function.__qualname__ = name
    function.__doc__ = doc or f"``input.{name}(...)``: see ``Tensor.{name}``."
    return function


# One per Tensor method, with PyTorch's argument order (the tensor first).
_METHODS = ("exp log log1p expm1 log2 log10 sqrt rsqrt square reciprocal abs sign round floor ceil trunc tanh sigmoid "
            "erf sin cos tan asin acos atan sinh cosh atan2 isnan isinf isfinite nan_to_num logsumexp cumsum prod norm "
            "sort argsort topk flip roll sum mean amax amin max min argmax argmin any all count_nonzero median var std "
            "reshape transpose permute squeeze unsqueeze flatten chunk unbind narrow movedim moveaxis swapaxes "
            "swapdims tile repeat_interleave tril triu diag diagonal trace outer dot mm mv index_select masked_select "
            "take_along_dim gather scatter_add index_add masked_fill softmax log_softmax relu numel clone detach "
            "allclose isclose equal add sub mul div neg asinh acosh atanh arcsinh arccosh arctanh arctan2 eq ne lt le gt "
            "ge greater greater_equal less less_equal not_equal fix svd qr adjoint is_nonzero is_complex cholesky "
            "hardshrink floor_divide remainder fmod select bitwise_left_shift bitwise_right_shift i0 igamma igammac conj conj_physical resolve_conj resolve_neg is_conj is_neg "
            "unsafe_chunk unsafe_split unsafe_split_with_sizes").split()
globals().update({name: _method(name) for name in _METHODS})
# the functions of tinynn/tensor_functions.py, as torch.<name>(input, ...)
_COMPOSED = BUILT_FROM_OPS + ["histogramdd", "var_mean", "std_mean", "block_diag", "vander", "cartesian_prod", "combinations",
                              "triu_indices", "tril_indices", "searchsorted", "bucketize", "trapezoid",
                              "cumulative_trapezoid", "tensordot", "atleast_1d", "atleast_2d", "atleast_3d", "hstack",
                              "vstack", "row_stack", "dstack", "column_stack", "broadcast_shapes", "broadcast_tensors",
                              "isin", "gradient"]


def _taking_input_by_name(function):
    """``function``, whose formulas call the tensor ``x``, also given it as PyTorch's ``input=``
    (``torch.cumprod(input=x, dim=1)``)."""
    if next(iter(inspect.signature(function).parameters)) != "x":
        return function

    @functools.wraps(function)
    def called(*args, **kwargs):
        if "input" in kwargs:
            args = (kwargs.pop("input"),) + args
        return function(*args, **kwargs)
    return called


globals().update({name: _taking_input_by_name(getattr(tensor_functions, name)) for name in _COMPOSED})
erfc, erfinv, lgamma, digamma, mvlgamma, sgn, positive, absolute, t = (
    _method(name) for name in ("erfc", "erfinv", "lgamma", "digamma", "mvlgamma", "sgn", "positive", "absolute", "t"))


def split(tensor, split_size_or_sections, dim=0):
    """``tensor.split(...)`` (see ``Tensor.split``), the function's arguments by PyTorch's names."""
    return tensor.split(split_size_or_sections, dim)


def pow(input, exponent):
    """input ** exponent, elementwise; either may be a number (``torch.pow(2, x)``)."""
    return input.pow(exponent) if isinstance(input, Tensor) else exponent.__rpow__(input)


def polygamma(n, input):
    """The n-th derivative of digamma (PyTorch's argument order: n first)."""
    if not isinstance(n, (int, np.integer)):
        raise TypeError(f"polygamma(): argument 'n' (position 1) must be int, not {type(n).__name__}")
    expect_tensor(input, "polygamma", "input")
    return input.polygamma(n)
arcsin, arccos, arctan, clamp, clip, ger = asin, acos, atan, _method("clip"), _method("clip"), outer  # noqa: F821
subtract, multiply, divide, true_divide, negative = sub, mul, div, div, neg  # noqa: F821


def is_tensor(obj):
    return isinstance(obj, Tensor)


def is_inference(input):
    """``input.is_inference()``: False, as tinynn marks no tensor as made in inference mode."""
    return input.is_inference()


def typename(obj):
    """PyTorch's name of ``obj``'s type: "tinynn.FloatTensor" (its legacy type) for a tensor, else the
    class's module and name ("tinynn.nn.modules.layers.Linear", "int")."""
    if isinstance(obj, Tensor):
        return obj.type()
    module = type(obj).__module__
    return type(obj).__qualname__ if module in ("builtins", "__builtin__") else f"{module}.{type(obj).__qualname__}"


def is_floating_point(input):
    return _is_float(input.dtype)


def get_default_dtype():
    """What Python floats, the factories and float results of integer inputs make: float32 unless
    ``set_default_dtype`` says otherwise."""
    return promotion.default_float().type


def set_default_dtype(d):
    """Make ``d`` (float16, float32 or float64) the default float dtype from here on, as PyTorch's:
    Python floats, ``tensor([1.5])``, the factories (``zeros``, ``randn``, ...), new layers' parameters
    and float results of integer inputs (``int_tensor / 2``) take it. Arrays keep their own dtype."""
    promotion.set_default_float(d)


def as_tensor(data, dtype=None, device=None):
    """``data`` as a Tensor, sharing its memory where it already is an array of that dtype and device
    (``device`` None: a Tensor's own, for an array or a list the default device)."""
    if isinstance(data, Tensor) and (dtype is None or data.dtype == dtype) and (device is None or data.device == device):
        return data
    if (isinstance(data, np.ndarray) or backend.is_gpu_array(data)) and (dtype is None or data.dtype == dtype) \
            and backend.device_of(data) == backend.canonical_device(device):
        return Tensor(data)
    return tensor(data, dtype=dtype, device=device)


def asarray(obj, *, dtype=None, device=None, copy=None, requires_grad=False):
    """``obj`` as a Tensor, as PyTorch's: sharing memory with an array or tensor of that dtype and
    device unless ``copy=True``; ``copy=False`` refuses where a copy would be needed."""
    shared = as_tensor(obj, dtype=dtype, device=device)
    shares = (isinstance(obj, Tensor) and shared is obj) or (not isinstance(obj, Tensor) and shared._array is obj)
    if copy is False and not shares:
        raise InputError(f"asarray: copy=False, but a {type(obj).__name__} of "
                         f"{getattr(obj, 'dtype', 'its')} values cannot be used as it is"
                         f"{f' as {np.dtype(dtype)}' if dtype is not None else ''} without a copy")
    result = shared.clone().detach() if copy else shared
    if requires_grad:
        result = result.detach() if result is obj else result
        result.requires_grad = True
    return result


def result_type(tensor1, tensor2):
    """The dtype an op of these two (tensors or numbers) computes in: PyTorch's type promotion."""
    like = tensor1 if isinstance(tensor1, Tensor) else tensor2 if isinstance(tensor2, Tensor) else Tensor(np.zeros(()))
    return promotion.result_type([value if isinstance(value, Tensor) else like._operand(value)
                                  for value in (tensor1, tensor2)]).type


def promote_types(type1, type2):
    """The dtype two dtypes promote to (a float type wins whole over integers, as PyTorch)."""
    return promotion.promote(np.dtype(type1), np.dtype(type2)).type


def can_cast(from_, to):
    """Whether an in-place op may write a ``from_`` result into a ``to`` tensor (PyTorch's rule: not
    a float into integers, nor anything but bools into bools)."""
    return promotion.can_cast(np.dtype(from_), np.dtype(to))


def logspace(start, end, steps, base=10.0, *, dtype=None, device=None, requires_grad=False):
    """base^s for ``steps`` values s evenly spaced from start to end (the default float dtype)."""
    from .tensor import linspace

    exponents = linspace(start, end, steps, dtype=np.float64)._array
    values = np.power(float(base), exponents).astype(dtype or promotion.default_float())
    return tensor(values, device=device, requires_grad=requires_grad)


def randint_like(input, low=0, high=None, *, dtype=None, device=None, generator=None,
                 memory_format=memory_layout.preserve_format):
    """Uniform integers in [low, high) (``randint_like(x, high)`` or ``(x, low, high)``) of ``input``'s shape."""
    from .tensor import randint

    low, high = (0, low) if high is None else (low, high)
    return made_like(lambda shape, requires_grad, **options: randint(low, high, shape, generator=generator, **options),
                     input, dtype, device, False, memory_format, "randint_like")  # (integers never require grad)


def poisson(input, generator=None):
    """Poisson draws with the rates ``input`` (a float tensor), of its dtype and device (a constant)."""
    rates = input.detach().numpy().astype(np.float64)
    if not (rates >= 0).all():
        raise RuntimeError("poisson: invalid Poisson rate, expected rate to be non-negative (and not NaN)")
    draws = np.asarray(random.numpy_generator(generator).poisson(rates))  # (a 0-d rate draws a Python int)
    return Tensor._from_op(backend.to_device(draws.astype(input.dtype), input.device), False)


def empty(*sizes, size=None, dtype=None, device=None, requires_grad=False,
          memory_format=memory_layout.contiguous_format):
    """A new tensor of ``size`` (zero-filled: NumPy's uninitialised memory would make runs differ), laid out
    in ``memory_format`` (``tinynn.channels_last`` for a 4-D one whose channels lie side by side)."""
    size = size_arguments(sizes, size, "empty")
    result = zeros(*size, dtype=dtype, device=device, requires_grad=requires_grad)
    if memory_layout.check(memory_format, "empty") is memory_layout.preserve_format:
        raise RuntimeError("empty: preserve_format needs a tensor to preserve the layout of (use empty_like)")
    result.data = memory_layout.arranged(result._array, memory_format, "empty")
    return result


def empty_permuted(size, physical_layout, *, dtype=None, layout=None, device=None, requires_grad=False,
                   pin_memory=False):
    """A new tensor of ``size`` (zeros) whose axes lie in memory in the order ``physical_layout``,
    outermost first: ``empty_permuted((N, C, H, W), (0, 2, 3, 1))`` is channels-last."""
    size, physical_layout = tuple(size), tuple(physical_layout)
    if sorted(physical_layout) != list(builtins.range(len(size))):
        raise InputError(f"empty_permuted: physical_layout must be a permutation of the {len(size)} dimensions, got "
                         f"{physical_layout}")
    result = zeros(*size, dtype=dtype, device=device, requires_grad=requires_grad)
    result.data = memory_layout.in_order(result._array, physical_layout)
    return result


def empty_strided(size, stride, *, dtype=None, layout=None, device=None, requires_grad=False, pin_memory=False):
    """``empty(size)`` (zeros) with its axes in memory in the order of ``stride``, largest first: exactly
    those strides where they fill the memory without gaps (C order, channels-last, any permutation), and
    that order without the gaps otherwise (``as_strided`` makes a view with any strides)."""
    size, stride = tuple(size), tuple(stride)
    if len(stride) != len(size):
        raise InputError(f"empty_strided: expected one stride per dimension of size {size}, got {stride}")
    result = zeros(*size, dtype=dtype, device=device, requires_grad=requires_grad)
    result.data = memory_layout.in_order(result._array, memory_layout.order_of_strides(stride))
    return result


def frombuffer(buffer, *, dtype, count=-1, offset=0, requires_grad=False):
    """A 1-D tensor of ``count`` ``dtype`` values (all that follow, for -1) read from a Python buffer
    (bytearray, array.array, memoryview, mmap, bytes) from byte ``offset`` on. As PyTorch's, the tensor
    shares the buffer's memory where the buffer is writable, so writes reach it; a read-only buffer
    (bytes) is copied, where PyTorch would hand out writes into memory it was told not to touch."""
    view = memoryview(buffer)
    try:
        values = np.frombuffer(view, dtype=np.dtype(dtype), count=count, offset=offset)
    except ValueError as error:
        raise InputError(f"frombuffer: cannot read {count if count >= 0 else 'all'} {np.dtype(dtype)} values from byte "
                         f"{offset} of a buffer of {view.nbytes} bytes ({error})") from None
    return tensor(values, requires_grad=requires_grad) if view.readonly else Tensor(values, requires_grad=requires_grad)


def get_device(input):
    """-1 for a tensor on the CPU, 0 (the device number) on the GPU, as ``torch.get_device``."""
    return input.get_device()


def get_device_module(device=None):
    """``tinynn.cpu`` or ``tinynn.cuda`` for ``device`` ("cpu", "cuda", "gpu", "cuda:0" or a ``tinynn.device``);
    without one, the GPU's where there is one, else the CPU's (PyTorch's current accelerator, or the CPU)."""
    from . import cpu, cuda

    if device is None:
        return cuda if backend.gpu_available() else cpu
    return cpu if backend.canonical_device(device) == backend.CPU else cuda


def empty_like(input, dtype=None, device=None, requires_grad=False, memory_format=memory_layout.preserve_format):
    return full_like(input, 0, dtype=dtype, device=device, requires_grad=requires_grad, memory_format=memory_format)


def full_like(input, fill_value, dtype=None, device=None, requires_grad=False,
              memory_format=memory_layout.preserve_format):
    return made_like(lambda shape, **options: full(shape, fill_value, **options), input, dtype, device,
                     requires_grad, memory_format, "full_like")


def rand_like(input, dtype=None, device=None, requires_grad=False, memory_format=memory_layout.preserve_format):
    from .tensor import rand

    return made_like(rand, input, dtype, device, requires_grad, memory_format, "rand_like")


def randn_like(input, dtype=None, device=None, requires_grad=False, memory_format=memory_layout.preserve_format):
    from .tensor import randn

    return made_like(randn, input, dtype, device, requires_grad, memory_format, "randn_like")


def randperm(n, dtype=np.int64, device=None, generator=None):
    """0 .. n-1 in a random order from tinynn's generator (or ``generator``)."""
    n = as_int(n)
    draw_checks.check_count("randperm", "n", n)
    order = random.numpy_generator(generator).permutation(int(n)).astype(dtype)
    return Tensor._from_op(backend.to_device(order, backend.canonical_device(device)), False)


def normal(mean, std, size=None, device=None, generator=None):
    """Draws from N(mean, std^2): tensors of means and deviations (broadcast together), or numbers
    with a ``size``."""
    shape = size if size is not None else broadcast_shape("normal", *(np.shape(v._array if isinstance(v, Tensor) else v)
                                                                      for v in (mean, std)))
    like = mean if isinstance(mean, Tensor) else std if isinstance(std, Tensor) else None
    dtype = like.dtype if like is not None else promotion.default_float()
    draw_checks.check_dtype("normal", dtype, draw_checks.FLOATS_OR_COMPLEX)
    if isinstance(std, Tensor):
        draw_checks.check_non_negative_stds("normal", std._array)
    else:
        draw_checks.check_non_negative_std("normal", std)
    check_creatable(shape)
    draws = random.numpy_generator(generator).standard_normal(tuple(shape)).astype(dtype)
    device = like.device if like is not None else backend.canonical_device(device)
    noise = Tensor._from_op(backend.to_device(draws, device), False)
    with no_grad():
        return noise * std + mean


def bernoulli(input, p=None, *, generator=None):
    """1 with probability ``input`` (elementwise), else 0, in ``input``'s dtype; with ``p``, 1 with
    probability ``p`` in every element of a tensor like ``input``."""
    if p is not None:
        return zeros_like(input).bernoulli_(p, generator=generator)
    draw_checks.check_dtype("bernoulli", input.dtype, draw_checks.FLOATS, "its probabilities")
    draw_checks.check_probabilities("bernoulli", input._array)
    draws = random.numpy_generator(generator).random(input.shape)
    return Tensor._from_op(backend.to_device((draws < input.numpy()).astype(input.dtype), input.device), False)


def multinomial(input, num_samples, replacement=False, generator=None):
    """``num_samples`` category indices per row of the weights ``input`` ((C,) or (N, C)), all rows at
    once: with ``replacement`` by inverting each row's cumulative distribution at uniform draws; without,
    by the Gumbel-top-k trick (the ``num_samples`` largest of log w + Gumbel noise are distributed as
    categories drawn one after another, each in proportion to the weights still left)."""
    if input.ndim not in (1, 2) or input.shape[-1] == 0:
        raise InputError(f"multinomial: expected a 1-D or 2-D tensor of category weights, got shape {tuple(input.shape)}")
    draw_checks.check_dtype("multinomial", input.dtype, draw_checks.FLOATS, "its category weights")
    num_samples = as_int(num_samples)
    if not isinstance(num_samples, (int, np.integer)) or num_samples <= 0:
        raise RuntimeError(f"multinomial: cannot sample n_sample <= 0 samples (num_samples={num_samples!r})")
    weights = input.numpy().astype(np.float64)
    rows = weights.reshape(-1, weights.shape[-1])
    count, categories = rows.shape
    if not np.isfinite(rows).all() or (rows < 0).any():
        raise RuntimeError("multinomial: probability tensor contains either `inf`, `nan` or element < 0")
    if (rows.sum(axis=1) <= 0).any():
        raise RuntimeError("multinomial: invalid multinomial distribution (sum of probabilities <= 0)")
    if not replacement and num_samples > categories:
        raise InputError(f"multinomial: cannot draw {num_samples} of {categories} categories without replacement")
    if not replacement and num_samples > np.count_nonzero(rows, axis=1).min():
        raise RuntimeError(f"multinomial: invalid multinomial distribution (with replacement=False, fewer than "
                           f"{num_samples} categories of positive weight to draw)")
    draw = random.numpy_generator(generator)
    if replacement:
        cumulative = np.cumsum(rows, axis=1)
        cumulative /= cumulative[:, -1:]
        # every row's search in one: row r's values shifted into [r, r + 1]
        shifts = np.arange(count)[:, None]
        found = np.searchsorted((cumulative + shifts).ravel(), (draw.random((count, num_samples)) + shifts).ravel(),
                                side="right")
        draws = np.minimum(found.reshape(count, num_samples) - shifts * categories, categories - 1)
    else:
        with np.errstate(divide="ignore"):  # (log 0 = -inf: a weightless category comes last)
            keys = np.log(rows) + draw.gumbel(size=rows.shape)
        draws = np.argsort(-keys, axis=1, kind="stable")[:, :num_samples]
    return Tensor._from_op(backend.to_device(draws.astype(np.int64).reshape(weights.shape[:-1] + (num_samples,)),
                                             input.device), False)


def meshgrid(*tensors, indexing="ij"):
    """Coordinate grids of 1-D tensors (``indexing`` "ij" as PyTorch's default, or "xy"); differentiable."""
    tensors = tuple(tensors[0]) if len(tensors) == 1 and isinstance(tensors[0], (tuple, list)) else tensors
    for position, t in enumerate(tensors):
        expect_tensor(t, "meshgrid", f"tensors[{position}]")
        if t.ndim > 1:
            raise InputError(f"meshgrid: expected 0-D or 1-D tensors, got tensors[{position}] of shape {tuple(t.shape)}")
    if indexing not in ("ij", "xy"):
        raise InputError(f"meshgrid: indexing must be 'ij' or 'xy', got {indexing!r}")
    shape = [t.numel() for t in tensors]
    if indexing == "xy" and len(shape) > 1:
        shape[0], shape[1] = shape[1], shape[0]
    grids = []
    for axis, t in enumerate(tensors):
        position = {0: 1, 1: 0}.get(axis, axis) if indexing == "xy" and len(shape) > 1 else axis
        view = [1] * len(shape)
        view[position] = t.numel()
        grids.append(t.reshape(view).expand(tuple(shape)))
    return tuple(grids)


def unique(input, sorted=True, return_inverse=False, return_counts=False, dim=None):
    """The distinct values (sorted), and optionally where each input element's value is among them
    and how often each occurs."""
    xp = backend.get_array_module(input._array)
    dim = None if dim is None else wrap_dim(dim, input.ndim)
    results = xp.unique(input._array, return_inverse=return_inverse, return_counts=return_counts, axis=dim)
    if not (return_inverse or return_counts):
        return Tensor._from_op(results, False)
    values, *extras = results
    if return_inverse:
        extras[0] = extras[0].reshape(input.shape if dim is None else -1)
    return tuple(Tensor._from_op(array, False) for array in (values, *extras))


def bincount(input, weights=None, minlength=0):
    """How often each value 0, 1, ... occurs in the 1-D non-negative int ``input`` (summed ``weights``:
    float32 for float32 weights, float64 for any others, as PyTorch)."""
    if weights is not None:
        expect_tensor(weights, "bincount", "weights")
    xp = backend.get_array_module(input._array)
    if input.ndim != 1 or input.dtype.kind not in "iub" or (input.numel() and bool((input._array < 0).any())):
        raise RuntimeError(f"bincount only supports 1-d non-negative integral inputs (got a {input.ndim}-d "
                           f"{input.dtype} tensor{' with negative values' if input.ndim == 1 and input.dtype.kind == 'i' else ''})")
    counts = xp.bincount(input._array, weights=None if weights is None else weights._array, minlength=minlength)
    if weights is not None and weights.dtype == np.float32:
        counts = counts.astype(np.float32)
    return Tensor._from_op(counts, False)


def inverse(input):
    from .linalg import inv

    return inv(input)


def det(input):
    from .linalg import det as determinant

    return determinant(input)


def logdet(input):
    """log det A: NaN for a negative determinant, -inf for a zero one, as PyTorch; complex A: the
    principal branch."""
    from .linalg import log_determinant

    return log_determinant(input)


def slogdet(input):
    from .linalg import slogdet as signed_log_determinant

    return return_types.slogdet(*signed_log_determinant(input))


def pinverse(input, rcond=1e-15):
    """The pseudo-inverse, singular values below ``rcond`` times the largest dropped (torch.pinverse)."""
    from .linalg import pinv

    return pinv(input, rtol=rcond)


def matrix_exp(input):
    from .linalg import matrix_exp as exponential

    return exponential(input)


def matrix_power(input, n):
    from .linalg import matrix_power as power

    return power(input, n)


def cholesky_solve(B, L, upper=False):
    """X with A X = B for A = L L^H given by its Cholesky factor L (..., n, n) (A = U^H U with
    ``upper``; H the conjugate transpose, the transpose for real L); differentiable in B and L."""
    expect_tensor(L, "cholesky_solve", "L")
    from .linalg import solve_triangular

    lower = L.mH if upper else L
    return solve_triangular(lower.mH, solve_triangular(lower, B, upper=False), upper=True)


def cholesky_inverse(L, upper=False):
    """A^-1 for A = L L^H given by its Cholesky factor L (A = U^H U with ``upper``)."""
    xp = backend.get_array_module(L._array)
    return cholesky_solve(Tensor._from_op(xp.eye(L.shape[-1], dtype=L.dtype), False), L, upper)


def triangular_solve(b, A, upper=True, transpose=False, unitriangular=False):
    """(X, a copy of A) with A X = b (A^T X = b with ``transpose``) for triangular A (PyTorch's
    older form of linalg.solve_triangular, its arguments the other way round)."""
    from .linalg import solve_triangular

    coefficient = A.mT if transpose else A
    solution = solve_triangular(coefficient, b, upper=upper != transpose, unitriangular=unitriangular)
    return return_types.triangular_solve(solution, A.clone())




def compile(model=None, *, fullgraph=False, dynamic=None, backend="inductor", mode=None, options=None, name=None,
            disable=False, recompile_limit=None, isolate_recompiles=False, shapes_spec=None):
    """``torch.compile``'s place: ``model`` (a module or a function) as it is, since tinynn runs every op
    eagerly (a graph compiler is beyond it); written bare as a decorator or with options, as PyTorch's,
    so scripts that compile run unchanged."""
    if model is None:
        return lambda function: function
    return model


def geqrf(input):
    """(a, tau): the QR factorization A = QR in LAPACK's compact form (geqrf), as PyTorch's: R on and
    above a's diagonal, below it the Householder vectors v_i (their leading 1 implied), and their
    scales tau, so that Q = H_1 ... H_k with H_i = I - tau_i v_i v_i^H (``orgqr`` forms it,
    ``ormqr`` applies it). Not differentiable, as PyTorch's; ``linalg.qr`` is."""
    from .linalg import _matrices

    _matrices(input, "geqrf")
    if input.requires_grad and grad_mode.is_grad_enabled():
        raise RuntimeError("geqrf: not differentiable (as PyTorch's); use linalg.qr, or geqrf of A.detach()")
    xp = backend.get_array_module(input._array)
    if xp is np:
        reflectors, tau = np.linalg.qr(input._array, mode="raw")  # the reflectors transposed (Fortran order)
    else:  # CuPy's raw mode takes one matrix at a time
        flat = input._array.reshape((-1,) + input.shape[-2:])
        parts = [xp.linalg.qr(matrix, mode="raw") for matrix in flat]
        reflectors = xp.stack([part[0] for part in parts]).reshape(input.shape[:-2] + input.shape[-2:][::-1])
        tau = xp.stack([part[1] for part in parts]).reshape(input.shape[:-2] + (builtins.min(input.shape[-2:]),))
    return return_types.geqrf(Tensor._from_op(xp.ascontiguousarray(reflectors.swapaxes(-1, -2)).astype(input.dtype), False),
                       Tensor._from_op(tau.astype(input.dtype, copy=False), False))


def orgqr(input, tau):
    """Q's first n columns from ``geqrf``'s (a, tau): ``linalg.householder_product``."""
    from .linalg import householder_product

    return householder_product(input, tau)


def ormqr(input, tau, other, left=True, transpose=False):
    """Q C, C Q, Q^H C or C Q^H (``left``, ``transpose``) for the Q of ``geqrf``'s (input, tau), applied
    reflector by reflector without forming Q: H_i C = C - tau_i v_i (v_i^H C). Differentiable in all
    three (recorded tensor ops)."""
    expect_tensor(tau, "ormqr", "tau")
    expect_tensor(other, "ormqr", "other")
    from .linalg import _matrices

    _matrices(input, "ormqr")
    m, k = input.shape[-2], tau.shape[-1]
    if other.ndim < 2 or other.shape[-2 if left else -1] != m:
        raise InputError(f"ormqr: other of shape {tuple(other.shape)} does not fit Q ({m} x {m}) on the "
                         f"{'left' if left else 'right'}")
    xp = backend.get_array_module(input._array)
    below = Tensor._from_op(xp.tril(xp.ones((m, k), dtype=bool), -1), False)
    vectors = where(below, input[..., :, :k], 0.0) + Tensor._from_op(xp.eye(m, k, dtype=input.dtype), False)
    # Q = H_1 ... H_k; each H_i is Hermitian up to its tau: H_i^H = I - conj(tau_i) v_i v_i^H
    reversed_order = left != transpose
    result = other
    for i in (builtins.range(k - 1, -1, -1) if reversed_order else builtins.range(k)):  # (range is torch.range here)
        v = vectors[..., :, i:i + 1]
        scale = tau[..., i:i + 1].unsqueeze(-1)
        scale = scale.conj() if transpose else scale
        if left:
            result = result - (v * scale) @ (v.mH @ result)
        else:
            result = result - ((result @ v) * scale) @ v.mH
    return result


def lu(A, pivot=True, get_infos=False):
    """(LU, pivots) or, with ``get_infos``, (LU, pivots, infos): linalg.lu_factor_ex's factors."""
    from .linalg import lu_factor_ex

    packed, pivots, info = lu_factor_ex(A, pivot=pivot)
    return (packed, pivots, info) if get_infos else (packed, pivots)


def lu_unpack(LU_data, LU_pivots, unpack_data=True, unpack_pivots=True):
    """(P, L, U) from the packed factors of ``lu``/``linalg.lu_factor``; what is not unpacked is empty."""
    from .linalg import _unpacked

    permutation, lower, upper = _unpacked(LU_data, LU_pivots)
    empty = Tensor._from_op(backend.get_array_module(LU_data._array).zeros(0, LU_data.dtype), False)
    return return_types.lu_unpack(permutation if unpack_pivots else empty, lower if unpack_data else empty,
                    upper if unpack_data else empty)


def lu_solve(b, LU_data, LU_pivots):
    """X with A X = b from A's packed LU factors (PyTorch's older form of linalg.lu_solve)."""
    from .linalg import lu_solve as solve_from_factors

    return solve_from_factors(LU_data, LU_pivots, b)


def rsub(input, other, alpha=1):
    """other - alpha * input."""
    return input._operand(other) - (input if type(alpha) is int and alpha == 1 else input._alpha_times("rsub", input, alpha))


def scalar_tensor(s, dtype=None, device=None, requires_grad=False):
    """A 0-d tensor of the number s (the default float dtype unless given)."""
    return tensor(float(s), dtype=dtype or promotion.default_float(), device=device, requires_grad=requires_grad)


def fill(input, value):
    """A tensor of input's shape, dtype and device holding value (a number or a 0-d tensor, whose
    gradient is the sum of the result's)."""
    if isinstance(value, Tensor):
        return (value.to(dtype=input.dtype) + input.detach() * 0).expand(input.shape)
    filled = full(input.shape, value, dtype=input.dtype, device=input.device)
    if not input.requires_grad:
        return filled
    # in the graph with a zero gradient, as PyTorch's: a where() that never picks the input
    never = Tensor._from_op(backend.get_array_module(input._array).zeros(input.shape, dtype=bool), False)
    return where(never, input, filled)


def zero_(input):
    return input.zero_()


def _inclusive_range(start, end, step=1, dtype=None, device=None, requires_grad=False):
    """start, start + step, ... up to and including end (PyTorch's old ``torch.range``; ``arange``
    stops before end); the default float dtype unless given. Deprecated, with PyTorch's warning."""
    from .tensor import arange

    warn("range is deprecated and will be removed in a future release because its behavior is inconsistent with "
         "Python's range builtin. Instead, use arange, which produces values in [start, end).")

    count = int(builtins.abs(end - start) // builtins.abs(step)) + 1 if step else 0
    if not step or (end - start) * step < 0:
        raise InputError(f"range: step {step} cannot go from {start} to {end}")
    values = arange(count, dtype=np.float64, device=device) * step + start
    return values.to(dtype=dtype or promotion.default_float()).requires_grad_(requires_grad)


globals()["range"] = _inclusive_range  # torch.range; bound so, this module's own code keeps builtins.range
_inclusive_range.__name__ = _inclusive_range.__qualname__ = "range"


def trapz(y, x=None, *, dx=None, dim=-1):
    """The old name of ``trapezoid``."""
    return tensor_functions.trapezoid(y, x, dx=dx, dim=dim)


def chain_matmul(*matrices):
    """The product of the matrices, in the cheapest order (PyTorch's old name of linalg.multi_dot,
    which also takes a single matrix: a copy of it)."""
    from .linalg import multi_dot

    if not matrices:
        raise InputError("chain_matmul: expected one or more matrices, got none")
    if len(matrices) == 1:
        if matrices[0].ndim != 2:
            raise InputError(f"chain_matmul: expected matrices, got a tensor of shape {tuple(matrices[0].shape)}")
        return matrices[0].clone()
    return multi_dot(list(matrices))


def frobenius_norm(input, dim=(-2, -1), keepdim=False):
    return input.norm("fro", dim, keepdim)


def nuclear_norm(input, dim=(-2, -1), keepdim=False):
    from .linalg import matrix_norm

    return matrix_norm(input, "nuc", dim, keepdim)


def is_same_size(input, other):
    return input.shape == other.shape


def is_signed(input):
    return input.is_signed()


def unravel_index(indices, shape):
    """The coordinates in ``shape`` of flat ``indices``: a tuple of int64 tensors, one per axis."""
    shape = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
    flat = indices._array if isinstance(indices, Tensor) else np.asarray(indices)
    if flat.dtype.kind not in "iu":
        raise DtypeError(f"unravel_index: expected integer indices, got {flat.dtype}")
    size = int(np.prod(shape))
    if flat.size and (int(flat.min()) < -size or int(flat.max()) >= size):
        raise InputError(f"unravel_index: indices must lie in [-{size}, {size}) for shape {shape}")
    xp = backend.get_array_module(flat)
    return tuple(Tensor._from_op(axis.astype(np.int64), False) for axis in xp.unravel_index(flat % size, shape))


def binomial(count, prob, generator=None):
    """Draws of Binomial(count, prob), elementwise, in prob's dtype (tinynn's generator, or ``generator``)."""
    expect_tensor(count, "binomial", "count")
    expect_tensor(prob, "binomial", "prob")
    draws = random.numpy_generator(generator).binomial(count.numpy().astype(np.int64), prob.numpy())
    return Tensor._from_op(backend.to_device(draws.astype(prob.dtype), prob.device), False)


def real(input):
    return input.real


def imag(input):
    return input.imag


def view_as_real(input):
    """A complex tensor (...) as a real one (..., 2) holding (Re, Im): a view of its memory, as PyTorch's."""
    _check_tensor("view_as_real", input)
    return complex_ops.ViewAsReal()(input)


def view_as_complex(input):
    """A real tensor (..., 2) of (Re, Im) pairs as a complex one (...): a view of its memory, as PyTorch's
    (the pairs must lie side by side: last stride 1)."""
    _check_tensor("view_as_complex", input)
    return complex_ops.ViewAsComplex()(input)


def complex(real, imag):
    """real + i imag, from two float32 (-> complex64) or float64 (-> complex128) tensors, broadcast."""
    _check_tensor("complex", real, imag)
    return complex_ops.MakeComplex()(real, imag)


def polar(abs, angle):
    """abs * (cos angle + i sin angle), from two float32 or float64 tensors, broadcast."""
    _check_tensor("polar", abs, angle)
    return complex_ops.Polar()(abs, angle)


def as_strided(input, size, stride, storage_offset=None):
    """The ``size`` elements of input's storage at positions storage_offset + sum i_j stride_j (strides in
    elements, non-negative; storage_offset defaults to input's own): sliding windows, diagonals, ...
    Differentiable (tinynn/ops/strided.py); a view of input's memory, as PyTorch's."""
    _check_tensor("as_strided", input)
    size, stride = _layout("as_strided", size, stride, storage_offset)
    return strided_ops.AsStrided(size, stride, storage_offset)(input)


def as_strided_scatter(input, src, size, stride, storage_offset=None):
    """A copy of ``input`` (laid out contiguously, as PyTorch's clone) with ``src`` written at the
    positions ``as_strided(size, stride, storage_offset)`` would read; differentiable in both."""
    _check_tensor("as_strided_scatter", input, src)
    size, stride = _layout("as_strided_scatter", size, stride, storage_offset)
    if tuple(src.shape) != size:
        raise InputError(f"as_strided_scatter: src has shape {tuple(src.shape)}, the strided view has {size}")
    xp = backend.get_array_module(input._array)
    where = backend.positions(xp, storage_offset or 0, size, stride).reshape(-1)
    if where.size and int(where.max()) >= input.numel():
        raise InputError(f"as_strided_scatter: sizes {size} with strides {stride} reach position {int(where.max())}, "
                         f"outside input's {input.numel()} elements")
    flat = input.reshape(-1)
    return flat.scatter(0, Tensor._from_op(where, False), src.reshape(-1).to(dtype=input.dtype)).reshape(input.shape)


def _layout(name, size, stride, storage_offset):
    size, stride = tuple(size), tuple(stride)
    if len(size) != len(stride):
        raise InputError(f"{name}: {len(size)} sizes but {len(stride)} strides")
    integers = builtins.all(isinstance(n, (int, np.integer)) and not isinstance(n, bool) for n in size + stride)
    if not integers or builtins.any(n < 0 for n in size + stride):
        raise InputError(f"{name}: sizes and strides must be non-negative integers, got {size} and {stride}")
    if storage_offset is not None and (not isinstance(storage_offset, (int, np.integer)) or storage_offset < 0):
        raise InputError(f"{name}: storage_offset must be a non-negative integer, got {storage_offset!r}")
    return tuple(int(n) for n in size), tuple(int(n) for n in stride)


def _check_tensor(name, *values):
    for value in values:
        if not isinstance(value, Tensor):
            raise TypeError(f"{name}: expected Tensors, got {type(value).__name__}")


def _functional(name):
    def function(*args, **kwargs):
        from .nn import functional

        return getattr(functional, name)(*args, **kwargs)
    function.__name__ = function.__qualname__ = name
    function.__doc__ = f"``tinynn.nn.functional.{name}``, as ``torch.{name}``."
    return function


# torch.<name> for these is nn.functional's (the same arguments in the same order)
_FUNCTIONAL = ("conv1d conv2d conv3d conv_transpose1d conv_transpose2d conv_transpose3d max_pool1d max_pool2d max_pool3d "
               "avg_pool1d adaptive_avg_pool1d adaptive_max_pool1d pixel_shuffle pixel_unshuffle channel_shuffle "
               "cosine_similarity pairwise_distance pdist prelu selu celu rrelu threshold dropout alpha_dropout "
               "feature_alpha_dropout layer_norm group_norm rms_norm bilinear").split()
globals().update({name: _functional(name) for name in _FUNCTIONAL})


def constant_pad_nd(input, pad, value=0):
    from .nn import functional

    return functional.pad(input, pad, "constant", value)


def embedding(weight, indices, padding_idx=-1, scale_grad_by_freq=False, sparse=False):
    """torch.embedding's argument order (weight first; padding_idx -1 for none)."""
    from .nn import functional

    return functional.embedding(indices, weight, None if padding_idx == -1 else padding_idx,
                                scale_grad_by_freq=scale_grad_by_freq, sparse=sparse)


# torch.<name>_(input, ...) writes input.<name>(...) into input, as the Tensor method of that name
_IN_PLACE_FUNCTIONS = [name for name in ("abs_ acos_ acosh_ addmv_ arccos_ arccosh_ arcsin_ arcsinh_ arctan_ arctanh_ asin_ "
                                         "asinh_ atan_ atanh_ ceil_ clamp_ clamp_max_ clamp_min_ clip_ cos_ cosh_ deg2rad_ "
                                         "detach_ erf_ erfc_ exp2_ exp_ expm1_ fill_ fix_ floor_ frac_ gcd_ i0_ index_put_ "
                                         "lcm_ ldexp_ log10_ log1p_ log2_ log_ logit_ nan_to_num_ neg_ negative_ "
                                         "rad2deg_ reciprocal_ relu_ round_ rsqrt_ sigmoid_ sin_ sinc_ sinh_ sqrt_ square_ "
                                         "tan_ tanh_ trunc_ xlogy_ selu_ celu_ rrelu_ threshold_ dropout_ "
                                         "alpha_dropout_ feature_alpha_dropout_ conj_physical_").split()]
_FUNCTIONAL_IN_PLACE = {"selu_", "celu_", "rrelu_", "threshold_", "dropout_", "alpha_dropout_", "feature_alpha_dropout_"}


def _in_place_function(name):
    if name in _FUNCTIONAL_IN_PLACE:  # nn.functional's with inplace=True
        def function(input, *args, **kwargs):
            from .nn import functional

            return getattr(functional, name[:-1])(input, *args, **kwargs, inplace=True)
    else:
        def function(input, *args, **kwargs):
            return getattr(input, name)(*args, **kwargs)
    function.__name__ = function.__qualname__ = name
    function.__doc__ = f"``input.{name[:-1]}(...)`` written into input."
    return function


globals().update({name: _in_place_function(name) for name in _IN_PLACE_FUNCTIONS})

# torch.<view>_copy(input, ...): the view's values in memory of their own (PyTorch's functionalised forms)
_VIEW_COPIES = {"view_copy": "view", "expand_copy": "expand", "permute_copy": "permute", "t_copy": "t",
                "transpose_copy": "transpose", "diagonal_copy": "diagonal", "unsqueeze_copy": "unsqueeze",
                "squeeze_copy": "squeeze", "select_copy": "select", "unfold_copy": "unfold", "detach_copy": "detach",
                "alias_copy": "view_as", "split_copy": "split", "split_with_sizes_copy": "split_with_sizes",
                "unbind_copy": "unbind", "slice_copy": None}


def _view_copy(name, view):
    def function(input, *args, **kwargs):
        if name == "expand_copy":
            kwargs.pop("implicit", None)  # (a tracing detail of PyTorch's, without effect on the values)
        if view == "view_as":
            return input.clone()
        result = getattr(input, view)(*args, **kwargs)
        return [part.clone() for part in result] if isinstance(result, (tuple, list)) else result.clone()
    function.__name__ = function.__qualname__ = name
    function.__doc__ = f"``input.{view}(...)``, copied out of input's memory (a list of copies for a split)."
    return function


def slice_copy(input, dim=0, start=None, end=None, step=1):
    """input[start:end:step] along ``dim``, copied out of input's memory."""
    return input[(slice(None),) * wrap_dim(dim, input.ndim) + (slice(start, end, step),)].clone()


globals().update({name: _view_copy(name, view) for name, view in _VIEW_COPIES.items() if view is not None})


def as_strided_copy(input, size, stride, storage_offset=None):
    """``as_strided(...)``, copied out of input's memory."""
    return as_strided(input, size, stride, storage_offset).clone()


def view_as_real_copy(input):
    """``view_as_real(input)``, copied out of input's memory."""
    return view_as_real(input).clone()


def view_as_complex_copy(input):
    """``view_as_complex(input)``, copied out of input's memory."""
    return view_as_complex(input).clone()


set_grad_enabled, inference_mode = grad_mode.set_grad_enabled, grad_mode.inference_mode
is_inference_mode_enabled = grad_mode.is_inference_mode_enabled

__all__ = _METHODS + ["split", "compile", "is_inference", "typename", "geqrf", "orgqr", "ormqr", "arcsin", "arccos", "arctan", "clamp", "clip", "ger", "subtract", "multiply", "divide",
                      "true_divide", "negative", "is_tensor", "is_floating_point", "get_default_dtype", "set_default_dtype", "as_tensor",
                      "asarray", "result_type", "promote_types", "can_cast", "logspace", "randint_like", "poisson",
                      "empty", "empty_strided", "empty_permuted", "frombuffer", "get_device", "get_device_module", "empty_like", "full_like", "rand_like", "randn_like", "randperm", "normal", "bernoulli",
                      "multinomial", "meshgrid", "unique", "bincount", "set_grad_enabled", "inference_mode", "is_inference_mode_enabled", "einsum",
                      "inverse", "det", "logdet", "slogdet", "pinverse", "cholesky_solve", "cholesky_inverse",
                      "triangular_solve", "lu", "lu_unpack", "lu_solve", "real", "imag", "view_as_real", "view_as_complex", "complex",
                      "as_strided", "as_strided_copy", "as_strided_scatter", "view_as_real_copy", "view_as_complex_copy",
                      "polar", "rsub", "scalar_tensor", "fill", "zero_",
                      "range", "trapz", "chain_matmul", "frobenius_norm", "nuclear_norm", "is_same_size", "is_signed",
                      "unravel_index", "binomial", "constant_pad_nd", "embedding"] + _FUNCTIONAL + _IN_PLACE_FUNCTIONS + [ "matrix_power", "matrix_exp", "erfc", "erfinv", "lgamma", "digamma",
                      "polygamma", "mvlgamma", "sgn", "positive", "absolute", "t", "pow"] + _COMPOSED + list(_VIEW_COPIES)
