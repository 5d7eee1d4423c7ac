"""Tensor functions built from other differentiable ops, so their gradients (and second
derivatives) are those ops' and they have no backward of their own; and the index and counting
functions, whose results are constants. Each is also a Tensor method and a ``tinynn.<name>``
function, with PyTorch's arguments.

Cumulative products and log-sum-exps are Hillis-Steele scans: log2(n) rounds of one whole-array
op, round r combining every element with the one 2^r before it, so nothing loops over the
elements and a zero in a product needs no special case (the gradient of a product has none).
"""
import builtins
import itertools
import math
import numbers

import numpy as np

from .errors import DtypeError, IndexRangeError, InputError
from . import backend, broadcasting, mixed_precision, return_types, value_ranges
from .half_precision import computed_in_float32
from .dims import dim_tuple, wrap_dim
from .ops import arithmetic, elementwise, promotion, views
from .ops import complex as complex_ops
from .ops import scatter as scatter_ops
from .ops.reduction import normalize_axes
from .ops.shape import index_positions, indices_from_either_end, indices_in_range
from .scalar_dims import accepting_scalar_dims
from .size import Size, as_int, from_arguments as size_arguments
from .tensor import (Tensor, check_factor, check_integer_divisor, concatenate, expect_tensor, stack, unbiased_in_dims_place, where,
                     with_index_rank)



def _xp(x):
    return backend.get_array_module(x._array)


def _constant(array):
    """An array as a Tensor that autograd treats as a constant."""
    return Tensor._from_op(array, False)


def _operand(x, value):
    """``value`` as a Tensor on x's device (numbers in x's dtype)."""
    return x._operand(value) if not isinstance(value, Tensor) else value


def _check_a_tensor_among(a, b, name):
    """Binary ops take a number for either operand, not for both (nor a list)."""
    if not isinstance(a, Tensor) and not isinstance(b, Tensor):
        raise TypeError(f"{name}: expected a Tensor among the operands, got {type(a).__name__} and {type(b).__name__}")


def _promoted(name, a, b, float_result=False, complex_ok=False):
    """``a`` and ``b`` (tensors or numbers) as Tensors of the dtype they compute in together
    (ops/promotion.py), for the op ``name``; their shapes must broadcast. ``float_result``: the
    default float dtype where that is an integer or bool one, and complex inputs refused unless
    ``complex_ok`` (the cast to a real dtype would drop their imaginary parts)."""
    _check_a_tensor_among(a, b, name)
    like = a if isinstance(a, Tensor) else b
    a, b = _operand(like, a), _operand(like, b)
    arithmetic.broadcast_shapes(name, a._array, b._array)
    dtype = promotion.result_type([a, b])
    if float_result and dtype.kind == "c" and not complex_ok:
        raise DtypeError(f"{name}: complex tensors are not supported (as in PyTorch), got dtypes {a.dtype} and "
                         f"{b.dtype}")
    if float_result and dtype.kind not in "fc":
        dtype = promotion.default_float()
    return tuple(t if t.dtype == dtype else t.to(dtype=dtype) for t in (a, b))


# ----- cumulative ------------------------------------------------------------------------------
def _scan(x, dim, combine):
    """y_i = x_0 (+) x_1 (+) ... (+) x_i along ``dim`` for an associative (+), in log2(n) rounds:
    after the round with shift s, y_i combines x_(i-2s+1) .. x_i."""
    n, y, shift = x.shape[dim], x, 1
    while shift < n:
        y = concatenate([y.narrow(dim, 0, shift), combine(y.narrow(dim, shift, n - shift), y.narrow(dim, 0, n - shift))],
                        dim)
        shift *= 2
    return y


def cumprod(x, dim, *, dtype=None):
    """y_i = x_0 x_1 ... x_i along ``dim`` (``dtype``: x converted to it first)."""
    x = x._in_dtype(dtype if dtype is not None or x.dtype.kind not in "bui" else np.int64)  # as sums: int64
    return _scan(x, wrap_dim(dim, x.ndim), lambda later, earlier: later * earlier) if x.ndim else x * 1


def logcumsumexp(x, dim):
    """y_i = log(e^x_0 + ... + e^x_i) along ``dim``, with no overflow (a scan of logaddexp)."""
    return _scan(x, wrap_dim(dim, x.ndim), logaddexp) if x.ndim else x * 1


def _array_scan(xp, array, axis, combine):
    """``_scan`` on a raw array (CuPy's ufuncs have no general ``accumulate``)."""
    n, shift = array.shape[axis], 1
    while shift < n:
        later = [slice(None)] * array.ndim
        earlier = list(later)
        later[axis], earlier[axis] = slice(shift, None), slice(0, n - shift)
        array = array.copy()
        array[tuple(later)] = combine(array[tuple(later)], array[tuple(earlier)])
        shift *= 2
    return array


def _cumulative_extreme(x, dim, largest):
    dim = wrap_dim(dim, x.ndim)
    xp = _xp(x)
    extreme = xp.fmax if largest else xp.fmin
    running = _array_scan(xp, x._array, dim, extreme)
    # the last position so far holding the running extreme (PyTorch's choice on ties); a NaN is
    # the extreme from where it appears on
    nan_seen = _array_scan(xp, xp.isnan(x._array), dim, xp.logical_or)
    holds = xp.where(nan_seen, xp.isnan(x._array), x._array == running)
    positions = xp.arange(x.shape[dim]).reshape((-1,) + (1,) * (x.ndim - dim - 1))
    indices = _array_scan(xp, xp.where(holds, positions, -1), dim, xp.maximum).astype(np.int64)
    return (return_types.cummax if largest else return_types.cummin)(x.gather(dim, _constant(indices)), _constant(indices))


def cummax(x, dim):
    """(values, indices): the running maximum along ``dim`` and where it was found (the latest on a
    tie); the gradient goes to that element."""
    return _cumulative_extreme(x, dim, largest=True)


def cummin(x, dim):
    """(values, indices) of the running minimum along ``dim``."""
    return _cumulative_extreme(x, dim, largest=False)


def diff(x, n=1, dim=-1, prepend=None, append=None):
    """The n-th forward difference along ``dim`` (x[i+1] - x[i], n times), after joining ``prepend``
    and ``append`` to x there."""
    if x.ndim == 0:
        raise InputError("diff: expects an input of at least one dimension, got a 0-d tensor")
    if not isinstance(n, (int, np.integer)) or n < 0:
        raise InputError(f"diff: the order n must be an int >= 0, got {n!r}")
    dim = wrap_dim(dim, x.ndim)
    pieces = [piece for piece in (prepend, x, append) if piece is not None]
    y = concatenate([_operand(x, p) for p in pieces], dim) if len(pieces) > 1 else x
    for _ in range(n):
        later, earlier = y.narrow(dim, 1, y.shape[dim] - 1), y.narrow(dim, 0, y.shape[dim] - 1)
        y = later.logical_xor(earlier) if y.dtype == np.bool_ else later - earlier  # bools differ or not, as PyTorch
    return y


def gradient(input, *, spacing=1, dim=None, edge_order=1):
    """The derivative estimated from samples, one tensor per axis of ``dim`` (every axis by
    default), as torch.gradient / numpy.gradient: second-order central differences inside; at the
    ends one-sided differences of order ``edge_order`` (1 or 2). ``spacing``: one number for every
    axis, one per axis, or the sample coordinates per axis (tensors, any spacing):
        inside, with h1 = x_i - x_(i-1), h2 = x_(i+1) - x_i:
        f'_i = (-h2/(h1 (h1+h2))) f_(i-1) + ((h2-h1)/(h1 h2)) f_i + (h1/(h2 (h1+h2))) f_(i+1)."""
    if edge_order not in (1, 2):
        raise InputError(f"gradient: edge_order must be 1 or 2, got {edge_order!r}")
    dims = list(range(input.ndim)) if dim is None else list(dim_tuple(dim))
    dims = [wrap_dim(d, input.ndim) for d in dims]
    spacings = list(spacing) if isinstance(spacing, (list, tuple)) else [spacing] * len(dims)
    if len(spacings) != len(dims):
        raise InputError(f"gradient: {len(spacings)} spacings for {len(dims)} dimensions")
    return tuple(_axis_gradient(input, d, h, edge_order) for d, h in zip(dims, spacings))


def _axis_gradient(f, dim, spacing, edge_order):
    n = f.shape[dim]
    if n < edge_order + 1:
        raise InputError(f"gradient: dimension {dim} has {n} samples; edge_order {edge_order} needs at least "
                         f"{edge_order + 1}")
    xp = _xp(f)
    if isinstance(spacing, Tensor):  # coordinates: steps h_i = x_(i+1) - x_i
        steps = spacing._array.astype(np.float64)
        if steps.shape != (n,):
            raise InputError(f"gradient: coordinates for dimension {dim} must have shape ({n},), got {tuple(steps.shape)}")
        steps = steps[1:] - steps[:-1]
    else:
        steps = xp.full(n - 1, float(spacing))
    shape = [1] * f.ndim

    def along(array):  # a constant that broadcasts along dim
        shape[dim] = array.shape[0]
        return _constant(array.reshape(shape).astype(f.dtype))

    def take(start, stop):
        return f.narrow(dim, start, stop - start)

    h1, h2 = steps[:-1], steps[1:]
    inside = (along(-h2 / (h1 * (h1 + h2))) * take(0, n - 2) + along((h2 - h1) / (h1 * h2)) * take(1, n - 1)
              + along(h1 / (h2 * (h1 + h2))) * take(2, n))
    if edge_order == 1:
        first = (take(1, 2) - take(0, 1)) / float(steps[0])
        last = (take(n - 1, n) - take(n - 2, n - 1)) / float(steps[-1])
    else:
        a1, a2, b1, b2 = float(steps[0]), float(steps[1]), float(steps[-2]), float(steps[-1])
        first = (-(2 * a1 + a2) / (a1 * (a1 + a2)) * take(0, 1) + (a1 + a2) / (a1 * a2) * take(1, 2)
                 - a1 / (a2 * (a1 + a2)) * take(2, 3))
        last = (b2 / (b1 * (b1 + b2)) * take(n - 3, n - 2) - (b1 + b2) / (b1 * b2) * take(n - 2, n - 1)
                + (2 * b2 + b1) / (b2 * (b1 + b2)) * take(n - 1, n))
    return concatenate([first, inside, last], dim)


def trapezoid(y, x=None, *, dx=None, dim=-1):
    """The integral of y along ``dim`` by the trapezoid rule, at sample points ``x`` or spacing ``dx`` (1)."""
    return _trapezoids(y, x, dx, dim).sum(dim)


def cumulative_trapezoid(y, x=None, *, dx=None, dim=-1):
    """The running integral of y along ``dim`` by the trapezoid rule (one element fewer)."""
    return _trapezoids(y, x, dx, dim).cumsum(dim)


def _trapezoids(y, x, dx, dim):
    if y.ndim == 0:
        raise InputError("trapezoid: expected samples y of at least one dimension, got a 0-d tensor")
    dim = wrap_dim(dim, y.ndim)
    means = (y.narrow(dim, 1, y.shape[dim] - 1) + y.narrow(dim, 0, y.shape[dim] - 1)) * 0.5
    if x is None:
        return means * (1.0 if dx is None else dx)
    spacing = diff(_operand(y, x), dim=-1 if x.ndim == 1 else dim)
    if x.ndim == 1:
        spacing = spacing.reshape((-1,) + (1,) * (y.ndim - dim - 1))
    return means * spacing


# ----- elementwise -----------------------------------------------------------------------------
def logaddexp(input, other):
    """log(e^input + e^other), with no overflow."""
    input = _operand(other, input) if not isinstance(input, Tensor) else input
    return elementwise.LogAddExp()(input, _operand(input, other))


def logaddexp2(input, other):
    """log2(2^input + 2^other)."""
    input, other = _promoted("logaddexp2", input, other, float_result=True)
    return logaddexp(input * math.log(2), other * math.log(2)) * (1 / math.log(2))


def lerp(input, end, weight):
    """start + weight (end - start), taken from the nearer end as PyTorch does (end - (end - start)
    (1 - weight) for weight >= 1/2): exact at weight 1, and -inf, not NaN, between -inf and a number."""
    end, weight = _operand(input, end), _operand(input, weight)
    span = end - input
    return where(weight._array < 0.5, input + weight * span, end - span * (1 - weight))


def hypot(input, other):
    """sqrt(input^2 + other^2), without overflow in the squares (ops/elementwise.Hypot)."""
    input, other = _promoted("hypot", input, other, float_result=True)
    return elementwise.Hypot()(input, other)


def xlogy(input, other):
    """x log(y) for x = input, y = other, and 0 where x = 0 (even where y is 0 or inf; NaN where y is NaN),
    as PyTorch. d/dx = log(y) (0 where x = 0 and y <= 0), d/dy = x / y (0, not PyTorch's NaN, at x = y = 0)."""
    return _x_times_log("xlogy", input, other, of_one_plus=False)


def xlog1py(input, other):
    """x log(1 + y) for x = input, y = other, by log1p (exact for tiny y, where 1 + y rounds to 1), and 0
    where x = 0 (even where y is -1 or inf; NaN where y is NaN), as PyTorch. d/dx = log1p(y),
    d/dy = x / (1 + y), 0 where x = 0 and the log is not a number."""
    return _x_times_log("xlog1py", input, other, of_one_plus=True)


def _x_times_log(name, input, other, of_one_plus):
    """x log(y) (or x log1p(y)) with 0 where x = 0: only where the log is not a number (y <= 0, or
    y <= -1) or x times it is not (y = inf) need x = 0 be special."""
    _check_a_tensor_among(input, other, name)
    input, other = _promoted(name, input, other, float_result=True)
    xp = _xp(input)
    masked = (input._array == 0) & ((other._array <= (-1 if of_one_plus else 0)) | (other._array == xp.inf))
    safe_y = where(masked, _constant(xp.ones((), dtype=other.dtype)), other)
    logs = safe_y.log1p() if of_one_plus else safe_y.log()
    return where(masked, _constant(xp.zeros((), dtype=input.dtype)), input * logs)


def logit(x, eps=None):
    """log(p / (1 - p)), with p = x clamped to [eps, 1 - eps] when ``eps`` is given."""
    return elementwise.Logit(eps)(x._as_float())


@computed_in_float32("x")
def sinc(x):
    """sin(pi x) / (pi x); for |pi x| < 0.01 its Taylor series 1 - t^2/6 + t^4/120 - t^6/5040
    (t = pi x, the rest below 1e-22), whose derivative stays accurate where that of the quotient
    would cancel (sinc'(1e-8) to 7 digits, not 1)."""
    x = x._as_float()
    xp = _xp(x)
    small = xp.abs(x._array) * math.pi < 0.01
    t = x * math.pi
    # each branch sees only its own elements: the series' powers of a large t would overflow, and the
    # zero gradient where() sends them times an infinite slope is NaN
    near_zero = where(small, t, _constant(xp.zeros((), dtype=x.dtype)))
    square = near_zero * near_zero
    series = 1 - square / 6 * (1 - square / 20 * (1 - square / 42))
    away = where(small, _constant(xp.ones((), dtype=x.dtype)), t)
    return where(small, series, away.sin() / away)


def fmod(input, other):
    """a - b trunc(a / b) for a = input, b = other: the remainder with a's sign (C's fmod), exact
    (ops/arithmetic.Modulo)."""
    return _modulo("fmod", input, other, floor=False)


def remainder(input, other):
    """a - b floor(a / b) for a = input, b = other: the remainder with b's sign (Python's %), exact
    (ops/arithmetic.Modulo)."""
    return _modulo("remainder", input, other, floor=True)


def _modulo(name, input, other, floor):
    """fmod or remainder (NumPy's function of that name for integers, a constant; Modulo for floats)."""
    input, other = _promoted(name, input, other)
    if input.dtype.kind in "biu":
        check_integer_divisor(other._array)
        return _constant(getattr(_xp(input), name)(input._array, other._array))
    return arithmetic.Modulo(floor=floor)(input, other)


def frac(x):
    """x - trunc(x), the fractional part (derivative 1)."""
    return x - _constant(_xp(x).trunc(x._array))


def float_power(x, exponent):
    """x^exponent in float64 (complex128 where either is complex)."""
    exponent_complex = exponent.dtype.kind == "c" if isinstance(exponent, Tensor) else isinstance(exponent, complex)
    dtype = np.complex128 if x.dtype.kind == "c" or exponent_complex else np.float64
    return x.to(dtype=dtype) ** (exponent.to(dtype=dtype) if isinstance(exponent, Tensor) else exponent)


def deg2rad(x):
    return x * (math.pi / 180)


def rad2deg(x):
    return x * (180 / math.pi)


def heaviside(x, values):
    """0 where x < 0, 1 where x > 0, ``values`` where x = 0 (a constant)."""
    xp = _xp(x)
    values = values._array if isinstance(values, Tensor) else values
    broadcasting.broadcast_shape("heaviside", x.shape, getattr(values, "shape", ()))
    return _constant(xp.where(x._array == 0, values, (x._array > 0).astype(x.dtype)).astype(x.dtype))


def clamp_min(x, min):
    return x.clip(min, None)


def clamp_max(x, max):
    return x.clip(None, max)


# ----- reductions and statistics ---------------------------------------------------------------
def aminmax(x, *, dim=None, keepdim=False):
    """(min, max) over ``dim`` (every element by default)."""
    return return_types.aminmax(x.amin(dim, keepdim), x.amax(dim, keepdim))


def var_mean(x, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """(var, mean) over ``dim``; a bool in dim's place is PyTorch's older ``var_mean(x, unbiased)``."""
    dim, unbiased = unbiased_in_dims_place(dim, unbiased)
    return x.var(dim, unbiased, keepdim, correction=correction), x.mean(dim, keepdim)


def std_mean(x, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """(std, mean) over ``dim``; a bool in dim's place is PyTorch's older ``std_mean(x, unbiased)``."""
    dim, unbiased = unbiased_in_dims_place(dim, unbiased)
    return x.std(dim, unbiased, keepdim, correction=correction), x.mean(dim, keepdim)


def nansum(x, dim=None, keepdim=False, *, dtype=None):
    """The sum with NaNs counted as 0 (``dtype``: x converted to it first)."""
    x = x._in_dtype(dtype)
    if x.dtype.kind in "biu":  # no NaN to skip
        return x.sum(dim, keepdim)
    return x.masked_fill(_constant(_xp(x).isnan(x._array)), 0.0).sum(dim, keepdim)


@computed_in_float32("x")
def nanmean(x, dim=None, keepdim=False, *, dtype=None):
    """The mean of the elements that are not NaN (``dtype``: x converted to it first)."""
    if dtype is not None and np.dtype(dtype).kind not in "fc":
        raise DtypeError(f"nanmean: dtype must be a floating-point or complex dtype, got {np.dtype(dtype)}")
    x = x._in_dtype(dtype)
    total = nansum(x, dim, keepdim)  # (first: it checks the dims)
    axes = normalize_axes(dim, x.ndim, "nanmean") if x.ndim else None
    counts = (~_xp(x).isnan(x._array)).sum(axis=axes, keepdims=keepdim).astype(x.dtype)
    return total / _constant(counts)


def mode(x, dim=-1, keepdim=False):
    """(values, indices): the most frequent value along ``dim`` (the smallest of equally frequent
    ones) and the last position where it occurs, as PyTorch's; the gradient goes to that element.

    Found without a loop: the sorted values fall into runs of equal ones; every position learns
    where its run starts and ends (running maxima of the run boundaries, from either side), so each
    run's length is known everywhere, and the first longest run holds the mode."""
    if x.ndim == 0:
        return return_types.mode(x * 1, _constant(_xp(x).zeros((), dtype=np.int64)))
    xp, dim = _xp(x), wrap_dim(dim, x.ndim)
    x._check_selects_from("mode", dim)
    values = xp.moveaxis(x._array, dim, -1)
    n = values.shape[-1]
    order = xp.argsort(values, axis=-1, **({"kind": "stable"} if xp is np else {}))  # equal values by position
    ordered = xp.take_along_axis(values, order, axis=-1)
    boundary = ordered[..., 1:] != ordered[..., :-1]
    edge = xp.ones(boundary.shape[:-1] + (1,), dtype=bool)
    starts, ends = xp.concatenate([edge, boundary], axis=-1), xp.concatenate([boundary, edge], axis=-1)
    positions = xp.arange(n)
    run_start = _array_scan(xp, xp.where(starts, positions, 0), -1, xp.maximum)
    run_end = n - 1 - xp.flip(_array_scan(xp, xp.flip(xp.where(ends, n - 1 - positions, 0), -1), -1, xp.maximum), -1)
    longest = xp.argmax(run_end - run_start, axis=-1)[..., None]  # the first longest run: the smallest value
    last = xp.take_along_axis(order, xp.take_along_axis(run_end, longest, axis=-1), axis=-1)
    indices = _constant(xp.moveaxis(last, -1, dim).astype(np.int64))
    result = x.gather(dim, indices)
    if not keepdim:
        result, indices = result.squeeze(dim), _constant(indices._array.squeeze(dim))
    return return_types.mode(result, indices)


def kthvalue(x, k, dim=-1, keepdim=False):
    """(values, indices) of the k-th smallest element along ``dim`` (k from 1)."""
    size, k = x.shape[dim] if x.ndim else 1, as_int(k)
    if x.ndim:
        x._check_selects_from("kthvalue", wrap_dim(dim, x.ndim))
    if not isinstance(k, (int, np.integer)) or not 1 <= k <= size:
        raise InputError(f"kthvalue: k must be an int in [1, {size}] (the size of dim {dim}), got {k!r}")
    values, indices = x.sort(dim)
    values, indices = values.narrow(dim, k - 1, 1), indices.narrow(dim, k - 1, 1)
    if not keepdim:
        values, indices = values.squeeze(dim), indices.squeeze(dim)
    return return_types.kthvalue(values, indices)


def quantile(x, q, dim=None, keepdim=False, *, interpolation="linear", ignore_nan=False):
    """The q-quantiles (q a number or a 1-D tensor in [0, 1]) along ``dim`` (of every element by
    default), between the sorted values at rank q (n - 1): "linear", "lower", "higher", "nearest"
    (half to even) or "midpoint"; q's axis comes first in the result when q is a tensor. The
    gradient goes to the one or two order statistics used, as PyTorch's."""
    if interpolation not in ("linear", "lower", "higher", "nearest", "midpoint"):
        raise InputError(f"quantile: interpolation must be 'linear', 'lower', 'higher', 'nearest' or 'midpoint', "
                         f"got {interpolation!r}")
    if x.numel() == 0:  # (no order statistics to pick, as PyTorch refuses)
        raise InputError(f"{'nanquantile' if ignore_nan else 'quantile'}: the input tensor must be non-empty, got "
                         f"shape {tuple(x.shape)}")
    xp = _xp(x)
    scalar_q = not isinstance(q, Tensor) and np.ndim(q) == 0
    qs = xp.asarray(q._array if isinstance(q, Tensor) else q, dtype=np.float64).reshape(-1)
    if qs.size and (bool((qs < 0).any()) or bool((qs > 1).any())):
        raise InputError(f"quantile: q must lie in [0, 1], got {q}")
    dim = None if dim is None else wrap_dim(dim, x.ndim)
    source = x.reshape(-1) if dim is None else x.movedim(dim, -1)
    values = source.sort(-1).values
    n = source.shape[-1]
    counts = (~xp.isnan(source._array)).sum(-1, keepdims=True) if ignore_nan else xp.full(source.shape[:-1] + (1,), n)
    # rank per q and per slice: (q, ..., 1)
    rank = qs.reshape((-1,) + (1,) * values.ndim) * (counts - 1)
    below, above = xp.floor(rank), xp.ceil(rank)
    if interpolation == "lower":
        above = below
    elif interpolation == "higher":
        below = above
    elif interpolation == "nearest":
        below = above = xp.round(rank)  # half to even, as PyTorch
    weight = (rank - below).astype(x.dtype) if interpolation == "linear" else \
        xp.full(rank.shape, 0.5 if interpolation == "midpoint" else 0.0, dtype=x.dtype)
    if interpolation == "midpoint":
        weight = xp.where(above > below, weight, 0).astype(x.dtype)
    expanded = values.unsqueeze(0).expand((len(qs),) + values.shape)
    clipped = [xp.clip(r, 0, n - 1).astype(np.int64) for r in (below, above)]
    low, high = (expanded.gather(-1, _constant(r)) for r in clipped)
    result = lerp(low, high, _constant(weight)).squeeze(-1)
    if not ignore_nan and bool(xp.isnan(x._array).any()):
        nan_rows = xp.isnan(source._array).any(-1)
        result = where(xp.broadcast_to(nan_rows, result.shape), float("nan"), result)
    if ignore_nan:
        result = where(xp.broadcast_to(counts[..., 0] == 0, result.shape), float("nan"), result)
    if keepdim:
        kept = (1,) * x.ndim if dim is None else x.shape[:dim] + (1,) + x.shape[dim + 1:]
        result = result.reshape(result.shape[:1] + kept)
    return result[0] if scalar_q else result


def nanquantile(x, q, dim=None, keepdim=False, *, interpolation="linear"):
    """``quantile`` over the values that are not NaN (NaN for a slice of only NaNs)."""
    return quantile(x, q, dim, keepdim, interpolation=interpolation, ignore_nan=True)


@computed_in_float32("x", "fweights", "aweights")
def cov(x, *, correction=1, fweights=None, aweights=None):
    """The covariance matrix of the variables in x's rows (observations in its columns), with
    integer frequency weights and/or observation weights (differentiable), as torch.cov:
    with w = fweights * aweights, mean = sum(w x) / sum(w) and
    C = (x - mean) diag(w) (x - mean)^H / (sum(w) - correction * sum(w * aweights) / sum(w))
    (the last term is ``correction`` itself without aweights; H the conjugate transpose)."""
    if x.ndim > 2:
        raise InputError(f"cov: expected a 1-D or 2-D tensor (variables x observations), got shape {tuple(x.shape)}")
    rows = x.reshape(1, -1) if x.ndim < 2 else x
    weights = _constant(_xp(x).ones(rows.shape[1], dtype=x._array.real.dtype))  # real, also for complex x
    if fweights is not None:
        weights = weights * _operand(x, fweights).to(dtype=weights.dtype)
    if aweights is not None:
        weights = weights * _operand(x, aweights)
    total = weights.sum()
    mean = (rows * weights).sum(1, keepdim=True) / total
    norm = total - correction if aweights is None else total - correction * (weights * aweights).sum() / total
    centered = rows - mean
    result = (centered * weights) @ centered.mH / norm.clip(0.0, None)
    return result.squeeze() if x.ndim < 2 else result


def corrcoef(x):
    """Pearson's correlation coefficients of x's rows, clipped to [-1, 1] (complex ones: their
    real and imaginary parts clipped, as PyTorch's)."""
    c = cov(x)
    if c.ndim == 0:
        return c / c
    variances = c.diagonal(0, -2, -1)
    std = (variances.real if variances.dtype.kind == "c" else variances).sqrt()
    coefficients = c / std.unsqueeze(-1) / std.unsqueeze(-2)
    if coefficients.dtype.kind == "c":
        from .ops.complex import MakeComplex

        return MakeComplex()(coefficients.real.clip(-1, 1), coefficients.imag.clip(-1, 1))
    return coefficients.clip(-1, 1)


def renorm(x, p, dim, maxnorm):
    """x with every slice along ``dim`` whose p-norm exceeds ``maxnorm`` scaled down to it (the
    scale maxnorm / (norm + 1e-7) differentiated too, as PyTorch)."""
    if x.ndim < 2:
        raise InputError(f"renorm: expected a tensor of at least 2 dimensions, got shape {tuple(x.shape)}")
    dim = wrap_dim(dim, x.ndim)
    others = tuple(axis for axis in range(x.ndim) if axis != dim)
    norms = x.norm(p, others, keepdim=True)
    return x * where(norms._array > maxnorm, maxnorm / (norms + 1e-7), 1.0)


# ----- building matrices -----------------------------------------------------------------------
def kron(input, other):
    """The Kronecker product: blocks input_ij other (leading dimensions padded to the same count)."""
    expect_tensor(other, "kron", "other")
    ndim = max(input.ndim, other.ndim)
    input = input.reshape((1,) * (ndim - input.ndim) + input.shape)
    other = other.reshape((1,) * (ndim - other.ndim) + other.shape)
    interleaved_a = input.reshape(tuple(itertools.chain.from_iterable((n, 1) for n in input.shape)))
    interleaved_b = other.reshape(tuple(itertools.chain.from_iterable((1, n) for n in other.shape)))
    return (interleaved_a * interleaved_b).reshape(tuple(m * n for m, n in zip(input.shape, other.shape)))


def tensordot(a, b, dims=2):
    """Sum over the last ``dims`` axes of a and the first ``dims`` of b (or the listed axes)."""
    if isinstance(dims, (int, np.integer)):
        a_axes, b_axes = list(range(a.ndim - dims, a.ndim)), list(range(dims))
    else:
        a_axes, b_axes = ([d] if isinstance(d, int) else list(d) for d in dims)
    a_axes, b_axes = [wrap_dim(d, a.ndim) for d in a_axes], [wrap_dim(d, b.ndim) for d in b_axes]
    if [a.shape[d] for d in a_axes] != [b.shape[d] for d in b_axes]:
        raise InputError(f"tensordot: the contracted axes differ in size: {tuple(a.shape[d] for d in a_axes)} of a "
                         f"and {tuple(b.shape[d] for d in b_axes)} of b")
    a_free = [d for d in range(a.ndim) if d not in a_axes]
    b_free = [d for d in range(b.ndim) if d not in b_axes]
    size = math.prod(a.shape[d] for d in a_axes)
    left = a.permute(*(a_free + a_axes)).reshape(math.prod(a.shape[d] for d in a_free), size)
    right = b.permute(*(b_axes + b_free)).reshape(size, math.prod(b.shape[d] for d in b_free))
    return (left @ right).reshape(tuple(a.shape[d] for d in a_free) + tuple(b.shape[d] for d in b_free))


def block_diag(*tensors):
    """The matrices (scalars, vectors as rows) on the diagonal of one block matrix."""
    for position, t in enumerate(tensors):
        expect_tensor(t, "block_diag", f"tensors[{position}]")
    blocks = [t.reshape(1, 1) if t.ndim == 0 else t.reshape(1, -1) if t.ndim == 1 else t for t in tensors]
    for position, block in enumerate(blocks):
        if block.ndim != 2:
            raise InputError(f"block_diag: expected tensors of at most 2 dimensions, got shape "
                             f"{tuple(tensors[position].shape)} at position {position}")
    width = sum(block.shape[1] for block in blocks)
    rows, start = [], 0
    for block in blocks:
        rows.append(block.pad(((0, 0), (start, width - start - block.shape[1]))))
        start += block.shape[1]
    return concatenate(rows, 0)


def rot90(x, k=1, dims=(0, 1)):
    """x rotated by 90 degrees k times in the plane ``dims``, from the first axis towards the second."""
    if x.ndim < 2:
        raise InputError(f"rot90: expected a tensor of at least 2 dimensions, got shape {tuple(x.shape)}")
    first, second = (wrap_dim(d, x.ndim) for d in dims)
    if first == second or len(dims) != 2:
        raise InputError(f"rot90: dims must be two different axes, got {dims}")
    k %= 4
    if k == 1:
        return x.flip(second).transpose(first, second)
    if k == 2:
        return x.flip((first, second))
    if k == 3:
        return x.transpose(first, second).flip(second)
    return x * 1


def diag_embed(x, offset=0, dim1=-2, dim2=-1):
    """Matrices whose ``offset`` diagonal holds x's last axis, placed as axes dim1 and dim2."""
    n = x.shape[-1] + abs(offset)
    xp = _xp(x)
    row, column = xp.arange(n)[:, None], xp.arange(n)[None, :]
    entry = row - max(-offset, 0)  # the entry of x that row i holds, if any
    on_diagonal = (column - row == offset) & (entry >= 0) & (entry < x.shape[-1])
    # each row's entry selected where it belongs (not multiplied by a 0/1 pattern: inf * 0 is NaN)
    row_entries = x[..., xp.clip(entry[:, 0], 0, x.shape[-1] - 1)].unsqueeze(-1)
    matrices = where(on_diagonal, row_entries, _constant(xp.zeros((), dtype=x.dtype)))
    dim1, dim2 = wrap_dim(dim1, x.ndim + 1), wrap_dim(dim2, x.ndim + 1)
    if dim1 == dim2:
        raise RuntimeError(f"diag_embed: diagonal dimensions cannot be identical {dim1}, {dim2}")
    return matrices.movedim((-2, -1), (dim1, dim2))


def diagflat(x, offset=0):
    """A matrix with the flattened x on its ``offset`` diagonal."""
    return diag_embed(x.reshape(-1), offset)


def vander(x, N=None, increasing=False):
    """The Vandermonde matrix of the vector x: columns x^(N-1) .. x^0 (x^0 .. x^(N-1) if ``increasing``)."""
    N = x.shape[0] if N is None else N
    powers = cumprod(x.unsqueeze(-1).expand((x.shape[0], max(N - 1, 0))), 1) if N > 1 else None
    ones = _constant(_xp(x).ones((x.shape[0], 1), dtype=x.dtype))
    columns = concatenate([ones, powers], 1) if powers is not None else ones[:, :N]
    return columns if increasing else columns.flip(1)


def cartesian_prod(*tensors):
    """Every combination of one element from each vector, one per row (a vector for one input)."""
    if len(tensors) == 1:
        return tensors[0]
    xp = _xp(tensors[0])
    grids = xp.meshgrid(*(xp.arange(t.shape[0]) for t in tensors), indexing="ij")
    return stack([t[grid.reshape(-1)] for t, grid in zip(tensors, grids)], 1)


def combinations(x, r=2, with_replacement=False):
    """The r-element combinations of the vector x's elements, one per row, in lexicographic order."""
    pick = itertools.combinations_with_replacement if with_replacement else itertools.combinations
    chosen = np.array(list(pick(range(x.shape[0]), r)), dtype=np.int64).reshape(-1, r)
    return x[backend.to_device(chosen, x.device)]


def triu_indices(row, col, offset=0, *, dtype=np.int64, device=None):
    """(2, n): the row and column indices of the upper triangle (from diagonal ``offset``)."""
    return Tensor(backend.to_device(np.stack(np.triu_indices(row, offset, col)).astype(dtype), device))


def tril_indices(row, col, offset=0, *, dtype=np.int64, device=None):
    """(2, n): the row and column indices of the lower triangle (to diagonal ``offset``)."""
    return Tensor(backend.to_device(np.stack(np.tril_indices(row, offset, col)).astype(dtype), device))


# ----- writing at positions --------------------------------------------------------------------
def _checked_index(name, index, src=None, target=None, dim=None):
    """The src values the index uses: all of them, or (as PyTorch allows) its leading block of the
    index's shape when src is larger. With ``target``, the tensor written into, the index must be no
    larger than it either, but along ``dim``, where it gives the positions."""
    if not isinstance(index, Tensor) or index.dtype.kind not in "iu":
        raise DtypeError(f"{name}: expected a tensor of integer indices, got "
                         f"{type(index).__name__ if not isinstance(index, Tensor) else index.dtype}")
    if target is not None and any(i > n for axis, (i, n) in enumerate(zip(index.shape, target.shape)) if axis != dim):
        raise InputError(f"{name}: index of shape {tuple(index.shape)} must be no larger than the tensor of shape "
                         f"{tuple(target.shape)} in every dimension but dim {dim}")
    if src is None or tuple(index.shape) == tuple(src.shape):
        return src
    if index.ndim != src.ndim or any(i > s for i, s in zip(index.shape, src.shape)):
        raise InputError(f"{name}: index of shape {tuple(index.shape)} must be no larger than src of shape {tuple(src.shape)} "
                         "in every dimension")
    return src[tuple(slice(0, n) for n in index.shape)]


def scatter(x, dim, index, src=None, value=None, *, reduce=None):
    """A copy of x with ``src[i][j]`` (or the number ``value``) written at ``[index[i][j]][j]``
    along ``dim``; ``reduce="add"``/``"multiply"`` combine instead, as PyTorch's legacy form."""
    if src is None and value is None:
        raise TypeError("scatter: give src (a tensor) or value (a number)")
    if not isinstance(src, Tensor):
        value, src = (src if value is None else value), None
    if x.ndim == 0:
        return scatter(x.reshape(1), dim, index, src, value, reduce=reduce).reshape(())
    index, src = with_index_rank("scatter", x, index, src)
    dim = wrap_dim(dim, x.ndim)
    src = _checked_index("scatter", index, src, x, dim)
    xp = _xp(x)
    if src is None:
        value_ranges.check_fits(value, x.dtype)
        src = _constant(xp.full(index.shape, value_ranges.wrapped(value, x.dtype), dtype=x.dtype))
    if reduce is not None:
        if reduce not in ("add", "multiply"):
            raise InputError(f"scatter: reduce must be 'add' or 'multiply', got {reduce!r}")
        return scatter_reduce(x, dim, index, src, "sum" if reduce == "add" else "prod")
    return scatter_ops.Scatter(dim, indices_in_range("scatter", index._array, x.shape[dim], dim))(x, src)


def scatter_reduce(x, dim, index, src, reduce, *, include_self=True):
    """A copy of x where each position ``[index[i][j]][j]`` (along ``dim``) becomes the "sum",
    "prod", "mean", "amax" or "amin" of the src values written there (and of x's value, with
    ``include_self``); positions nothing is written to keep x's value. "max" and "min" are amax and
    amin, as PyTorch reads them (its older names, which it takes without listing them)."""
    reduce = {"max": "amax", "min": "amin"}.get(reduce, reduce)
    if x.ndim == 0:
        return scatter_reduce(x.reshape(1), dim, index, src, reduce, include_self=include_self).reshape(())
    index, src = with_index_rank("scatter_reduce", x, index, src)
    dim = wrap_dim(dim, x.ndim)
    src = _checked_index("scatter_reduce", index, src, x, dim)
    if reduce not in ("sum", "prod", "mean", "amax", "amin"):
        raise InputError(f"scatter_reduce: reduce must be 'sum', 'prod', 'mean', 'amax' or 'amin', got {reduce!r}")
    index = _constant(indices_in_range("scatter_reduce", index._array, x.shape[dim], dim))
    if reduce in ("amax", "amin"):
        return scatter_ops.ScatterExtreme(dim, index._array, reduce == "amax", include_self)(x, src)
    xp = _xp(x)
    positions = index_positions(xp, index._array, dim)
    written = xp.zeros(x.shape, dtype=bool)
    written[positions] = True
    kept = x if include_self else x.masked_fill(_constant(written), 0.0 if reduce != "prod" else 1.0)
    if reduce == "sum":
        return kept.scatter_add(dim, index, src)
    if reduce == "mean":
        counts = xp.zeros(x.shape, dtype=x.dtype)
        backend.scatter_add(counts, positions, xp.ones(index.shape, dtype=x.dtype))
        counts += 1 if include_self else 0
        return kept.scatter_add(dim, index, src) / _constant(xp.maximum(counts, 1))
    # prod: exp(sum of logs) would break at zeros and signs; a product scanned per position does not
    return kept * _scatter_product(x, dim, index, src)


def _scatter_product(x, dim, index, src):
    """The product of the src values written to each position (1 where none are), differentiable:
    the src values sorted by their target position, multiplied by a segmented scan."""
    xp = _xp(x)
    positions = index_positions(xp, index._array, dim)
    flat_target = xp.ravel_multi_index(tuple(xp.broadcast_to(p, index.shape) for p in positions), x.shape).reshape(-1)
    order = xp.argsort(flat_target, kind="stable") if xp is np else xp.argsort(flat_target)
    targets = flat_target[order]
    values = src.reshape(-1)[_constant(order)]
    n, shift, y = values.shape[0], 1, values
    while shift < n:  # segmented scan: combine only within one target's run
        same = _constant((targets[shift:] == targets[:-shift]))
        y = concatenate([y[:shift], where(same, y[shift:] * y[:-shift], y[shift:])], 0)
        shift *= 2
    last = xp.ones(n, dtype=bool)
    last[:-1] = targets[1:] != targets[:-1]
    products = _constant(xp.ones(math.prod(x.shape), dtype=x.dtype)) \
        .index_add(0, _constant(targets[last]), y[_constant(xp.flatnonzero(last))] - 1)
    return products.reshape(x.shape)


def index_reduce(x, dim, index, source, reduce, *, include_self=True):
    """A copy of x where each slice ``index[i]`` along ``dim`` becomes the "prod", "mean", "amax"
    or "amin" of the source slices ``i`` sent there (and of x's slice, with ``include_self``):
    ``scatter_reduce`` with the index spread over the other axes, as ``index_add`` is ``scatter_add``."""
    if reduce not in ("prod", "mean", "amax", "amin"):
        raise InputError(f"index_reduce: reduce must be 'prod', 'mean', 'amax' or 'amin', got {reduce!r}")
    dim = wrap_dim(dim, x.ndim)
    xp = _xp(x)
    index = index._array if isinstance(index, Tensor) else xp.asarray(index)
    if index.ndim != 1 or source.ndim != x.ndim or len(index) != source.shape[dim] or \
            source.shape[:dim] + source.shape[dim + 1:] != x.shape[:dim] + x.shape[dim + 1:]:
        raise InputError(f"index_reduce: expected a 1-D index of source.shape[{dim}] entries and source of x's shape "
                         f"{tuple(x.shape)} but along dim {dim}, got index of shape {tuple(index.shape)} and source {tuple(source.shape)}")
    positions = xp.broadcast_to(index.reshape((-1,) + (1,) * (x.ndim - dim - 1)), source.shape).astype(np.int64)
    return scatter_reduce(x, dim, _constant(positions), source, reduce, include_self=include_self)


def index_fill(x, dim, index, value):
    """A copy of x with the slices at ``index`` along ``dim`` set to ``value`` (a number or a 0-d tensor,
    converted to x's dtype)."""
    value = x._fill_value(value, "index_fill")
    dim = wrap_dim(dim, x.ndim)
    xp = _xp(x)
    selected = xp.zeros(x.shape[dim], dtype=bool)
    selected[index._array if isinstance(index, Tensor) else xp.asarray(index)] = True
    mask = xp.broadcast_to(selected.reshape((-1,) + (1,) * (x.ndim - dim - 1)), x.shape)
    return where(mask, value, x)


def index_copy(x, dim, index, source):
    """A copy of x with ``source``'s slices along ``dim`` written at positions ``index`` (a 0-d index is one
    position, and beside a vector a 0-d source its one value, as PyTorch's)."""
    dim = wrap_dim(dim, x.ndim)
    index = _constant(index._array if isinstance(index, Tensor) else _xp(x).asarray(index))
    if index.ndim > 1:
        raise IndexError(f"index_copy: index should have dimension 1 or 0, got shape {tuple(index.shape)}")
    index = index.reshape(-1)
    if x.ndim == 1 and isinstance(source, Tensor) and source.ndim == 0:
        source = source.reshape(1)
    cleared = index_fill(x, dim, index, 0.0)
    return cleared.index_add(dim, index, source)


def masked_scatter(x, mask, source):
    """A copy of x with the positions where ``mask`` (broadcast to x) is True filled with
    ``source``'s elements in order."""
    expect_tensor(source, "masked_scatter", "source")
    xp = _xp(x)
    mask = mask._array if isinstance(mask, Tensor) else xp.asarray(mask)
    broadcasting.check_expands("masked_scatter", mask.shape, x.shape)
    mask = xp.broadcast_to(mask, x.shape)
    count = int(mask.sum())
    if count > source.numel():
        raise InputError(f"masked_scatter: the mask selects {count} positions, but source has only "
                         f"{source.numel()} elements")
    order = xp.clip(xp.cumsum(mask.reshape(-1)) - 1, 0, None).reshape(x.shape)
    return where(mask, source.reshape(-1)[_constant(order)], x)


# ----- indices and counts (constants) ----------------------------------------------------------
def searchsorted(sorted_sequence, values, *, out_int32=False, right=False, side=None, sorter=None):
    """For each value, the index where it would be inserted into ``sorted_sequence`` (along its
    last axis, row by row for several rows) to keep it sorted; ``right``/``side="right"`` after
    equal elements."""
    side = side or ("right" if right else "left")
    xp = _xp(sorted_sequence)
    sequence = sorted_sequence._array
    if sorter is not None:
        sequence = xp.take_along_axis(sequence, sorter._array, axis=-1)
    query = values._array if isinstance(values, Tensor) else xp.asarray(values)
    if sequence.ndim == 1:
        found = xp.searchsorted(sequence, query, side=side)
    else:
        if sequence.shape[:-1] != query.shape[:-1]:
            raise InputError(f"searchsorted: sorted_sequence {tuple(sequence.shape)} and values {tuple(query.shape)} must match "
                             "in all but the last dimension")
        # row by row at once: the count of the row's elements before the value
        before = sequence[..., None, :] <= query[..., :, None] if side == "right" else \
            sequence[..., None, :] < query[..., :, None]
        found = before.sum(-1)
    return Tensor._from_op(found.astype(np.int32 if out_int32 else np.int64), False)


def bucketize(input, boundaries, *, out_int32=False, right=False):
    """For each element, the index of the bucket of the 1-D sorted ``boundaries`` it falls in
    (``right``: boundaries[i-1] <= x < boundaries[i]; else boundaries[i-1] < x <= boundaries[i])."""
    expect_tensor(boundaries, "bucketize", "boundaries")
    return searchsorted(boundaries, input, out_int32=out_int32, right=right)


def histc(input, bins=100, min=0, max=0):
    """Counts of the elements in ``bins`` equal-width bins over [min, max] (the data's range when
    both are 0); elements outside are ignored. A float tensor, as PyTorch's."""
    bins = as_int(bins)
    if not isinstance(bins, int) or bins <= 0:
        raise RuntimeError(f"histc: bins must be a positive int, got {bins!r}")
    xp = _xp(input)
    low, high = float(min), float(max)
    if not low <= high or not math.isfinite(low) or not math.isfinite(high):
        raise InputError(f"histc: the range [min, max] must be finite with max >= min, got min={min}, max={max}")
    if low == high == 0 and input.numel():
        low, high = float(input._array.min()), float(input._array.max())
    if low == high:
        low, high = low - 1, high + 1
    counts, _ = xp.histogram(input._array, bins=bins, range=(low, high))
    return Tensor._from_op(counts.astype(input.dtype), False)


def histogram(input, bins, *, range=None, weight=None, density=False):
    """(hist, bin_edges): a histogram over ``bins`` (a count or the edges), weighted and/or
    normalised to a density as numpy.histogram."""
    xp = _xp(input)
    _check_bin_counts("histogram", [bins])
    edges = bins._array if isinstance(bins, Tensor) else bins
    counts, bin_edges = xp.histogram(input._array, bins=edges, range=range,
                                     weights=None if weight is None else weight._array, density=density)
    return return_types.histogram(Tensor._from_op(counts.astype(input.dtype), False),
                     Tensor._from_op(bin_edges.astype(input.dtype), False))


def _check_bin_counts(name, bins):
    """PyTorch's error for a bin count that is not positive (NumPy's names ``bins``, not the op)."""
    for dimension, count in enumerate(bins):
        if isinstance(count, (int, np.integer)) and count <= 0:
            raise InputError(f"{name}(): bins must be > 0, but got {count} for dimension {dimension}")


def histogramdd(input, bins=10, *, range=None, weight=None, density=False):
    """(hist, bin_edges) of the points ``input`` (..., D), as PyTorch's: ``bins`` a count for every
    dimension, D counts, or D tensors of edges; ``range`` the flat [min_0, max_0, min_1, max_1, ...];
    hist (bins_0, ..., bins_D-1) and one tensor of edges per dimension (the last bin of each closed)."""
    xp = _xp(input)
    if input.ndim < 1 or input.dtype.kind != "f":
        raise DtypeError(f"histogramdd: expected a floating-point input of shape (..., D), got {input.dtype} "
                         f"of shape {tuple(input.shape)}")
    dimensions = input.shape[-1]
    if isinstance(bins, (list, tuple)):
        if len(bins) != dimensions:
            raise InputError(f"histogramdd: {len(bins)} bin specifications for points of {dimensions} dimensions")
        bins = [b._array if isinstance(b, Tensor) else int(b) for b in bins]
    _check_bin_counts("histogramdd", bins if isinstance(bins, list) else [bins])
    if range is not None:
        if len(range) != 2 * dimensions:
            raise InputError(f"histogramdd: range must hold 2 D = {2 * dimensions} numbers (min and max of each "
                             f"dimension), got {len(range)}")
        range = [(float(range[2 * d]), float(range[2 * d + 1])) for d in builtins.range(dimensions)]
    counts, edges = xp.histogramdd(input._array.reshape(-1, dimensions), bins=bins, range=range, density=density,
                                   weights=None if weight is None else weight._array.reshape(-1))
    return return_types.histogramdd(Tensor._from_op(counts.astype(input.dtype), False),
                                    [Tensor._from_op(e.astype(input.dtype), False) for e in edges])


# ----- products with an added term -------------------------------------------------------------
@mixed_precision.casts_inputs("lower")
def addmm(input, mat1, mat2, *, beta=1, alpha=1):
    """beta input + alpha (mat1 @ mat2)."""
    return _scaled(input, beta) + _scaled(mat1 @ mat2, alpha)


@mixed_precision.casts_inputs("lower")
def addmv(input, mat, vec, *, beta=1, alpha=1):
    """beta input + alpha (mat @ vec)."""
    return _scaled(input, beta) + _scaled(mat @ vec, alpha)


@mixed_precision.casts_inputs("lower")
def addr(input, vec1, vec2, *, beta=1, alpha=1):
    """beta input + alpha outer(vec1, vec2)."""
    expect_tensor(vec1, "addr", "vec1")
    expect_tensor(vec2, "addr", "vec2")
    return _scaled(input, beta) + _scaled(vec1.unsqueeze(1) * vec2.unsqueeze(0), alpha)


@mixed_precision.casts_inputs("lower")
def baddbmm(input, batch1, batch2, *, beta=1, alpha=1):
    """beta input + alpha (batch1 @ batch2), matrix by matrix."""
    return _scaled(input, beta) + _scaled(batch1 @ batch2, alpha)


@mixed_precision.casts_inputs("lower")
def addbmm(input, batch1, batch2, *, beta=1, alpha=1):
    """beta input + alpha sum over the batch of batch1[i] @ batch2[i]."""
    return _scaled(input, beta) + _scaled((batch1 @ batch2).sum(0), alpha)


@computed_in_float32("input", "tensor1", "tensor2")
def addcmul(input, tensor1, tensor2, *, value=1):
    """input + value tensor1 tensor2."""
    expect_tensor(tensor1, "addcmul", "tensor1")
    expect_tensor(tensor2, "addcmul", "tensor2")
    check_factor("addcmul", "value", value, promotion.result_type([input, tensor1, tensor2]))
    return input + _scaled(tensor1 * tensor2, value)


@computed_in_float32("input", "tensor1", "tensor2")
def addcdiv(input, tensor1, tensor2, *, value=1):
    """input + value tensor1 / tensor2 (a true division, integers too)."""
    expect_tensor(tensor1, "addcdiv", "tensor1")
    expect_tensor(tensor2, "addcdiv", "tensor2")
    dtype = promotion.result_type([input, tensor1, tensor2])
    check_factor("addcdiv", "value", value, dtype if dtype.kind in "fc" else promotion.default_float())
    return input + _scaled(tensor1 / tensor2, value)


def _scaled(x, factor):
    """factor * x; a factor of 0 ignores x altogether (NaN and inf included; gradient 0), as PyTorch's beta."""
    if factor == 1:
        return x
    if factor == 0:
        return where(_xp(x).ones(x.shape, dtype=bool), 0.0, x)
    return x * factor


# ----- stacking, splitting and broadcasting ----------------------------------------------------
def atleast_1d(*tensors):
    return _each(tensors, lambda t: t.reshape(1) if t.ndim == 0 else t, "atleast_1d")


def atleast_2d(*tensors):
    return _each(tensors, lambda t: t.reshape(1, -1) if t.ndim < 2 else t, "atleast_2d")


def atleast_3d(*tensors):
    """(1, 1, 1) for a scalar, (1, n, 1) for a vector, (m, n, 1) for a matrix, as numpy."""
    def lift(t):
        if t.ndim == 0:
            return t.reshape(1, 1, 1)
        if t.ndim == 1:
            return t.reshape(1, -1, 1)
        return t.unsqueeze(-1) if t.ndim == 2 else t
    return _each(tensors, lift, "atleast_3d")


def _each(tensors, function, name):
    tensors = tuple(tensors[0]) if len(tensors) == 1 and isinstance(tensors[0], (tuple, list)) else tensors
    for position, t in enumerate(tensors):
        expect_tensor(t, name, f"tensors[{position}]")
    results = tuple(function(t) for t in tensors)
    return results[0] if len(results) == 1 else results


def hstack(tensors):
    """Joined along the first axis for vectors, else the second."""
    tensors = [atleast_1d(t) for t in tensors]
    return concatenate(tensors, 0 if tensors[0].ndim == 1 else 1)


def vstack(tensors):
    return concatenate([atleast_2d(t) for t in tensors], 0)


row_stack = vstack


def dstack(tensors):
    return concatenate([atleast_3d(t) for t in tensors], 2)


def column_stack(tensors):
    """Vectors as columns (and matrices as they are), joined side by side."""
    return concatenate([t.reshape(-1, 1) if t.ndim < 2 else t for t in tensors], 1)


def tensor_split(x, indices_or_sections=None, dim=0, *, indices=None, sections=None):
    """numpy.array_split: n nearly equal pieces along ``dim`` (the first ones one longer), or the
    pieces between the given indices (also by PyTorch's keywords, ``sections=n`` or ``indices=[...]``)."""
    given = [value for value in (indices_or_sections, indices, sections) if value is not None]
    if len(given) != 1:
        raise TypeError("tensor_split: give one of indices_or_sections, indices= or sections=")
    indices_or_sections = as_int(given[0])
    if x.ndim == 0:
        raise InputError("tensor_split: expects at least a 1-dimensional tensor, got a 0-d one")
    length = x.shape[dim]
    if isinstance(indices_or_sections, (int, np.integer)):
        sections = int(indices_or_sections)
        if sections <= 0:
            raise InputError(f"tensor_split: the number of sections must be positive, got {sections}")
        base, extra = divmod(length, sections)
        sizes = [base + 1] * extra + [base] * (sections - extra)
        bounds = np.concatenate([[0], np.cumsum(sizes)])
    else:
        bounds = np.concatenate([[0], np.clip(np.asarray(list(indices_or_sections), dtype=np.int64), 0, length),
                                 [length]])
    before = (slice(None),) * wrap_dim(dim, x.ndim)
    return tuple(x[before + (slice(int(start), max(int(start), int(end))),)] for start, end in zip(bounds[:-1],
                                                                                                  bounds[1:]))


def hsplit(x, indices_or_sections):
    return _split_evenly(x, indices_or_sections, 0 if x.ndim == 1 else 1, "hsplit")


def vsplit(x, indices_or_sections):
    return _split_evenly(x, indices_or_sections, 0, "vsplit")


def dsplit(x, indices_or_sections):
    return _split_evenly(x, indices_or_sections, 2, "dsplit")


def _split_evenly(x, indices_or_sections, dim, name):
    if isinstance(indices_or_sections, (int, np.integer)) and indices_or_sections <= 0:
        raise InputError(f"{name}: expected a positive number of sections, got {indices_or_sections}")
    if isinstance(indices_or_sections, (int, np.integer)) and x.shape[dim] % indices_or_sections:
        raise InputError(f"{name}: dimension {dim} of size {x.shape[dim]} does not split into {indices_or_sections} "
                         "equal pieces")
    return tensor_split(x, indices_or_sections, dim)


def broadcast_shapes(*shapes):
    return Size(broadcasting.broadcast_shape("broadcast_shapes", *((s,) if isinstance(s, int) else s for s in shapes)))


def broadcast_to(x, *sizes, size=None):
    """x expanded to ``size`` (a tuple, or the sizes one by one as Tensor.broadcast_to also takes them)."""
    return x.expand(size_arguments(sizes, size, "broadcast_to"))


def broadcast_tensors(*tensors):
    shape = broadcast_shapes(*(t.shape for t in tensors))
    return tuple(t.expand(shape) for t in tensors)


def unflatten(x, dim, sizes):
    """Axis ``dim`` split into ``sizes`` (one of them may be -1)."""
    if x.ndim == 0:
        raise InputError("unflatten: a 0-d tensor has no dimension to unflatten")
    dim = wrap_dim(dim, x.ndim)
    sizes = tuple(sizes)
    if sizes.count(-1) == 1:  # inferred from the dim's size (the whole tensor's cannot tell it where another dim is 0)
        known = math.prod(s for s in sizes if s != -1)
        if known == 0 or x.shape[dim] % known:
            raise InputError(f"unflatten: sizes {sizes} cannot be inferred for dim {dim} of size {x.shape[dim]}")
        sizes = tuple(x.shape[dim] // known if s == -1 else s for s in sizes)
    if math.prod(sizes) != x.shape[dim]:
        raise InputError(f"unflatten: provided sizes {sizes} don't multiply up to the size of dim {dim} ({x.shape[dim]}) "
                         f"in the input tensor")
    return x.reshape(x.shape[:dim] + sizes + x.shape[dim + 1:])


def unfold(x, dimension, size, step):
    """Every window of ``size`` elements along ``dimension``, ``step`` apart, as a new last axis
    (Tensor.unfold): shape (..., (n - size) // step + 1, ..., size); a view of x, as PyTorch's
    (ops/views.py), differentiable."""
    dimension = wrap_dim(dimension, x.ndim)
    n = x.shape[dimension] if x.ndim else 1
    if size > n or step <= 0:
        raise InputError(f"unfold: size {size} must be at most {n} (the size of dimension {dimension}) and step {step} "
                         "positive")
    if x.ndim == 0:  # its one element, as one window of it (size 1) or none (size 0), as PyTorch's
        return x.reshape(1)[:size]
    return views.Windows(dimension, size, step)(x)


def sum_to_size(x, *sizes, size=None):
    """x summed over the axes that broadcasting to x's shape would have stretched from ``size``."""
    size = size_arguments(sizes, size, "sum_to_size")
    from .ops.arithmetic import sum_to_shape

    if broadcast_shapes(size, x.shape) != tuple(x.shape):
        raise InputError(f"sum_to_size: size {size} does not broadcast to the tensor's shape {tuple(x.shape)}")
    return sum_to_shape(x, size)


def take(x, index):
    """The elements of the flattened x at ``index`` (any shape)."""
    return x.reshape(-1)[index._array if isinstance(index, Tensor) else index]


def ravel(x):
    return x.reshape(-1)


# ----- signs and classes of values -------------------------------------------------------------
def angle(x):
    """The argument of x as a complex number: for a complex tensor arg z in (-pi, pi] with its
    gradient (ops/complex.py); for a real one pi where x < 0, else 0 (NaN stays NaN), piecewise
    constant: gradient 0, as in PyTorch; -0.0 counts as 0, as there."""
    if x.dtype.kind == "c":
        return complex_ops.Angle()(x)
    x = x._as_float()
    xp = _xp(x)
    return x._stepwise(xp.where(x._array < 0, math.pi, xp.where(xp.isnan(x._array), np.nan, 0.0)).astype(x.dtype))


def copysign(input, other):
    """|input| with the sign of other (-0.0 counts as negative), a float, as in PyTorch: differentiable in
    input (the sign of input times other's), and other, whose sign alone counts, gets a zero gradient."""
    input, other = _promoted("copysign", input, other, float_result=True)
    signs = _xp(input).where(_xp(input).signbit(other._array), -1.0, 1.0).astype(input.dtype)
    return input.abs() * other._stepwise(signs)


def ldexp(input, other):
    """input * 2^other, a float of the dtype the two promote to; as in PyTorch, 2^other is computed
    in a float exponent's own precision."""
    dtype = _promoted("ldexp", input, other, float_result=True, complex_ok=True)[0].dtype
    power = 2.0 ** _operand(input, other)
    # (both in the result's dtype first: a 0-d float64 input times a float32 power of a dimensioned integer
    # exponent computes in float32 by the promotion rules, rounding the input)
    return ((input if input.dtype == dtype else input.to(dtype=dtype))
            * (power if power.dtype == dtype else power.to(dtype=dtype)))


def frexp(x):
    """(mantissa, exponent) with x = mantissa * 2^exponent and 0.5 <= |mantissa| < 1; the mantissa
    differentiable (``FrexpMantissa``), the int32 exponents constants."""
    if x.dtype.kind != "f":
        raise DtypeError(f"frexp: expected a floating-point tensor, got dtype {x.dtype}")
    mantissa_op = elementwise.FrexpMantissa()
    mantissa = mantissa_op(x)
    return return_types.frexp(mantissa, _constant(mantissa_op.exponent.astype(np.int32)))


def _predicate(function, binary=False, kinds="biufc"):
    """numpy.``function`` of one tensor's values, or of two (``binary``: input and other, PyTorch's names),
    where they compute in a dtype of ``kinds`` (NumPy's letters)."""
    def apply(*args):
        tensors = [a for a in args if isinstance(a, Tensor)]
        if not tensors:
            raise TypeError(f"{function}(): argument 'input' (position 1) must be Tensor, not {type(args[0]).__name__}")
        dtype = promotion.result_type(tensors)
        if dtype.kind not in kinds:
            raise DtypeError(f"{function}: not implemented for {dtype} tensors")
        xp = _xp(tensors[0])
        return _constant(broadcasting.checked(function, getattr(xp, function),
                                              *(a._array if isinstance(a, Tensor) else a for a in args)))

    if binary:
        def named(input, other):
            return apply(input, other)
    else:
        def named(input):
            return apply(input)
    named.__name__ = function
    named.__doc__ = f"numpy.{function} of the values (a constant)."
    return named


signbit, isneginf, isposinf = (_predicate(name, kinds="biuf") for name in ("signbit", "isneginf", "isposinf"))


def nextafter(input, other):
    """The next float after input towards other, in the dtype they promote to; see ``NextAfter``."""
    return elementwise.NextAfter()(*_promoted("nextafter", input, other, float_result=True))
logical_and, logical_or, logical_xor = (_predicate(name, binary=True) for name in
                                        ("logical_and", "logical_or", "logical_xor"))
logical_not = _predicate("logical_not")
gcd, lcm = _predicate("gcd", binary=True, kinds="iu"), _predicate("lcm", binary=True, kinds="iu")


# The bitwise functions are the operators, which compute in PyTorch's dtype (Tensor._bitwise).
def bitwise_and(input, other):
    return input & other


def bitwise_or(input, other):
    return input | other


def bitwise_xor(input, other):
    return input ^ other


def bitwise_not(input):
    return ~input


def isin(elements, test_elements, *, assume_unique=False, invert=False):
    """True where an element of ``elements`` is among ``test_elements`` (``assume_unique``: PyTorch's hint
    that neither repeats an element, which the answer does not need)."""
    xp = _xp(elements)
    tests = test_elements._array if isinstance(test_elements, Tensor) else xp.asarray(test_elements)
    return _constant(xp.isin(elements._array, tests, invert=invert))


def isreal(x):
    return _constant(_xp(x).isreal(x._array))


def nonzero(input, *, as_tuple=False):
    """The indices of the non-zero elements: (n, ndim) int64, or one index tensor per axis. A 0-d x is
    one element (n is 1 or 0, each row empty; as a tuple, index 0 of a one-element axis), as PyTorch's."""
    found = _xp(input).nonzero(input._array.reshape(1) if input.ndim == 0 else input._array)
    if input.ndim == 0 and not as_tuple:
        return _constant(_xp(input).zeros((found[0].size, 0), dtype=np.int64))
    if as_tuple:
        return tuple(_constant(axis.astype(np.int64)) for axis in found)
    return _constant(_xp(input).stack(found, axis=1).astype(np.int64))


def nonzero_static(x, *, size, fill_value=-1):
    """``nonzero`` cut or padded to exactly ``size`` rows (padding rows all ``fill_value``), so the
    result's shape does not depend on the values."""
    found = nonzero(x)._array
    xp = _xp(x)
    padded = xp.full((size, x.ndim), fill_value, dtype=np.int64)
    count = min(size, found.shape[0])
    padded[:count] = found[:count]
    return _constant(padded)


def argwhere(x):
    return nonzero(x)


def index_put(x, indices, values, accumulate=False):
    """A copy of x with ``x[indices] = values`` (``+=`` with ``accumulate``, repeated positions adding
    up): ``indices`` a tuple of integer index tensors for the leading axes, or one boolean mask;
    differentiable in x and values."""
    xp = _xp(x)
    index = tuple(i._array if isinstance(i, Tensor) else xp.asarray(i) for i in indices)
    if len(index) == 1 and index[0].dtype == bool:
        if index[0].shape != x.shape[:index[0].ndim]:
            raise IndexRangeError(f"index_put: a mask of shape {tuple(index[0].shape)} does not match the leading "
                                  f"dimensions of the tensor of shape {tuple(x.shape)}")
        index = tuple(xp.nonzero(index[0]))
    if len(index) > x.ndim:
        raise IndexRangeError(f"index_put: {len(index)} index tensors for a tensor of {x.ndim} dimensions")
    leading = x.shape[:len(index)]
    for axis, positions in enumerate(index):
        if positions.dtype.kind not in "iu":
            raise DtypeError(f"index_put: indices must be integer tensors (or one boolean mask), got dtype "
                             f"{positions.dtype} for dimension {axis}")
    index = tuple(indices_from_either_end("index_put", positions, size, axis)
                  for axis, (positions, size) in enumerate(zip(index, leading)))
    shape = np.broadcast_shapes(*(i.shape for i in index))
    rows = xp.ravel_multi_index(tuple(xp.broadcast_to(i, shape) for i in index), leading)
    rest = x.shape[len(index):]
    values = _operand(x, values).expand(shape + rest).reshape(-1, math.prod(rest))
    table = x.reshape(-1, math.prod(rest))
    rows = _constant(rows.reshape(-1).astype(np.int64))
    result = table.index_add(0, rows, values) if accumulate else index_copy(table, 0, rows, values)
    return result.reshape(x.shape)


# ----- more of PyTorch's tensor functions ------------------------------------------------------
def placed(x, positions, values):
    """A copy of x whose elements at the flat ``positions`` (an integer array of any shape) are
    ``values`` broadcast to the positions' shape, by recorded ops (the values' gradient is the
    gradient at their positions, summed where broadcast; x's is zero there). A position given
    twice takes its last value, as NumPy's assignment does."""
    xp = _xp(x)
    flat_positions = positions.reshape(-1)
    values = _operand(x, values).to(dtype=x.dtype).expand(*positions.shape).reshape(-1)
    last = flat_positions.size - 1 - xp.unique(flat_positions[::-1], return_index=True)[1]
    if last.size != flat_positions.size:
        flat_positions, values = flat_positions[last], values[_constant(last)]
    return index_copy(x.reshape(-1), 0, _constant(flat_positions.astype(np.int64)), values).reshape(x.shape)


def _positions(x):
    """Every element's flat position, shaped as x: index it to find where a view lies."""
    return _xp(x).arange(x.numel(), dtype=np.int64).reshape(x.shape)


def slice_scatter(x, src, dim=0, start=None, end=None, step=1):
    """A copy of x with ``x[..., start:end:step, ...]`` (along ``dim``) = src."""
    if x.ndim == 0:
        raise IndexError("slice_scatter: a 0-d tensor cannot be sliced")
    index = (slice(None),) * wrap_dim(dim, x.ndim) + (slice(start, end, step),)
    return placed(x, _positions(x)[index], src)


def select_scatter(x, src, dim, index):
    """A copy of x with ``x.select(dim, index)`` = src."""
    return placed(x, _positions(x)[(slice(None),) * wrap_dim(dim, x.ndim) + (index,)], src)


def diagonal_scatter(x, src, offset=0, dim1=0, dim2=1):
    """A copy of x with ``x.diagonal(offset, dim1, dim2)`` = src."""
    dim1, dim2 = wrap_dim(dim1, x.ndim), wrap_dim(dim2, x.ndim)
    return placed(x, _xp(x).diagonal(_positions(x), offset, dim1, dim2), src)


def put(x, index, source, accumulate=False):
    """A copy of x with the elements at flat positions ``index`` (of x as if 1-D; negative from the
    end) set to ``source``'s (added to them with ``accumulate``, repeats adding up)."""
    _checked_index("put", index)
    count, flat_index = x.numel(), index._array.reshape(-1)
    outside = (flat_index < -count) | (flat_index >= count)
    backend.check_soon(outside.any(), lambda: IndexRangeError(
        f"put: index {int(flat_index[outside][0])} is out of range for a tensor of {count} elements (expected "
        f"{-count} <= index < {count})"))
    positions = flat_index % max(count, 1)  # (in range even before a GPU's deferred check raises)
    values = _operand(x, source).reshape(-1)
    if accumulate:
        return x.reshape(-1).index_add(0, _constant(positions), values).reshape(x.shape)
    return placed(x, positions, values)


def fill_diagonal(x, fill_value, wrap=False):
    """x with its main diagonal (x[i, i, ...]; all sizes equal beyond 2-D) set to ``fill_value``; a tall
    matrix with ``wrap`` restarts the diagonal every N+1 rows, as NumPy's fill_diagonal."""
    if x.ndim < 2 or (x.ndim > 2 and len(set(x.shape)) != 1):
        raise InputError(f"fill_diagonal_: expected a matrix, or all dimensions of one length, got shape {tuple(x.shape)}")
    if isinstance(fill_value, numbers.Number):
        value_ranges.check_fits(fill_value, x.dtype)
    xp = _xp(x)
    rows, columns = x.shape[0], x.shape[1]
    if x.ndim > 2:
        positions = xp.arange(rows, dtype=np.int64) * sum(x.shape[0] ** k for k in range(x.ndim))
    else:
        stop = x.numel() if wrap else min(rows, columns) * columns
        positions = xp.arange(0, stop, columns + 1, dtype=np.int64)
    return placed(x, positions, fill_value)


@computed_in_float32("x")
def exp2(x):
    """2^x = e^(x ln 2)."""
    return (x * math.log(2)).exp()


def fmax(input, other):
    """The larger of input and other elementwise, ignoring NaN (NaN only where both are); the gradient
    goes to input where input >= other or other is NaN, else to other (all of it at a tie, as PyTorch's)."""
    input, other = _promoted("fmax", input, other)
    return where((input._array >= other._array) | _xp(input).isnan(other._array), input, other)


def fmin(input, other):
    """The smaller of input and other elementwise, ignoring NaN; the gradient to input where input <= other
    or other is NaN."""
    input, other = _promoted("fmin", input, other)
    return where((input._array <= other._array) | _xp(input).isnan(other._array), input, other)


def inner(input, other):
    """Sum over the last axes: input (..., k), other (..., k) -> input's leading axes then other's (a
    product for a scalar)."""
    expect_tensor(other, "inner", "other")
    if input.ndim == 0 or other.ndim == 0:
        return input * other
    return tensordot(input, other, dims=([-1], [-1]))


def vdot(input, other):
    """sum(conj(input) * other) of two 1-D tensors (the plain dot product for real ones)."""
    expect_tensor(other, "vdot", "other")
    if input.ndim != 1 or other.ndim != 1:
        raise InputError(f"vdot: expected two 1-D tensors, got shapes {tuple(input.shape)} and {tuple(other.shape)}")
    return input.conj().dot(other)


def dist(input, other, p=2):
    """The p-norm of input - other (broadcast)."""
    return (input - _operand(input, other)).norm(p)


def cross(input, other, dim=None):
    """The cross product along ``dim``; without it, along the first axis of size 3 (as torch.cross)."""
    expect_tensor(other, "cross", "other")
    from .linalg import cross as linalg_cross

    if dim is None:
        dim = next((axis for axis, size in enumerate(broadcasting.broadcast_shape("cross", input.shape, other.shape))
                    if size == 3), None)
        if dim is None:
            raise InputError(f"cross: no axis of size 3 in shapes {tuple(input.shape)} and {tuple(other.shape)}")
    return linalg_cross(input, other, dim=dim)


def fliplr(x):
    if x.ndim < 2:
        raise InputError(f"fliplr: expected at least 2 dimensions, got shape {tuple(x.shape)}")
    return x.flip(1)


def flipud(x):
    if x.ndim < 1:
        raise InputError("flipud: expected at least 1 dimension, got a scalar")
    return x.flip(0)


def msort(x):
    """x sorted along its first axis (the values)."""
    return x.sort(0)[0]


def nanmedian(x, dim=None, keepdim=False):
    """The lower median ignoring NaN (NaN where all are): a value, or (values, indices) along ``dim``,
    as ``median``. NaN sorts last, so the median of each row's c numbers sits at (c - 1) // 2."""
    xp = _xp(x)
    if dim is None:
        return x.median() if x.numel() == 0 else nanmedian(x.reshape(-1), 0).values  # (NaN of nothing, as median's)
    dim = wrap_dim(dim, x.ndim)
    if x.ndim:
        x._check_selects_from("nanmedian", dim)
    values, order = x.sort(dim)
    count = (~xp.isnan(x._array)).sum(axis=dim, keepdims=True)
    middle = _constant(xp.maximum(count - 1, 0) // 2)
    picked, indices = values.take_along_dim(middle, dim), order.take_along_dim(middle, dim)
    if not keepdim:
        picked, indices = picked.squeeze(dim), indices.squeeze(dim)
    return return_types.nanmedian(picked, indices)


def unique_consecutive(x, return_inverse=False, return_counts=False, dim=None):
    """The elements (or slices along ``dim``) with each run of equal neighbours kept once, in order;
    with ``return_inverse`` each one's run number, with ``return_counts`` the runs' lengths (constants)."""
    xp = _xp(x)
    dim = None if dim is None else wrap_dim(dim, x.ndim)
    data = x._array.reshape(-1) if dim is None else xp.moveaxis(x._array, dim, 0)
    if data.shape[0] == 0:
        starts = xp.zeros(0, dtype=bool)
    else:
        # (the row length spelled out: -1 cannot be inferred when there are no rows, a length-1 dim)
        differs = (data[1:] != data[:-1]).reshape(data.shape[0] - 1, math.prod(data.shape[1:])).any(axis=1)
        starts = xp.concatenate([xp.ones(1, dtype=bool), differs])
    kept = data[starts] if dim is None else xp.moveaxis(data[starts], 0, dim)
    results = [_constant(kept)]
    if return_inverse:
        inverse = xp.cumsum(starts) - 1
        results.append(_constant(inverse.reshape(x.shape) if dim is None else inverse).to(dtype=np.int64))
    if return_counts:
        edges = xp.concatenate([xp.nonzero(starts)[0], xp.asarray([data.shape[0]])])
        results.append(_constant(xp.diff(edges).astype(np.int64)))
    return results[0] if len(results) == 1 else tuple(results)


def split_with_sizes(x, split_sizes, dim=0):
    """Pieces of the given sizes along ``dim`` (which must add up to its length)."""
    if sum(split_sizes) != x.shape[dim]:
        raise InputError(f"split_with_sizes: sizes {list(split_sizes)} add up to {sum(split_sizes)}, but dim {dim} "
                         f"has length {x.shape[dim]}")
    return x.split(list(split_sizes), dim)


def narrow_copy(x, dim, start, length):
    return x.narrow(dim, start, length).clone()


# A 0-d tensor takes dim 0 or -1 in these, as in PyTorch (tinynn/scalar_dims.py).
scatter = accepting_scalar_dims(scatter, ("dim",), indices=("index", "src"))
index_fill = accepting_scalar_dims(index_fill, ("dim",), indices=("index",))
index_copy = accepting_scalar_dims(index_copy, ("dim",), indices=("index", "source"))
cummax, cummin, kthvalue, nanmedian, quantile, nanquantile = (
    accepting_scalar_dims(function, ("dim",)) for function in (cummax, cummin, kthvalue, nanmedian, quantile, nanquantile))
