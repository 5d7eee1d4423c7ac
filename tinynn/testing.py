"""``tinynn.testing`` (PyTorch's ``torch.testing``): ``assert_close`` for your own tests, and
``make_tensor`` for test inputs.

``assert_close(actual, expected)`` passes where |actual - expected| <= atol + rtol * |expected|
elementwise, with default tolerances by dtype (float16 1e-3 / 1e-5, float32 1.3e-6 / 1e-5, float64 and
Python floats 1e-7 / 1e-7, integers and bools exact), after checking shape, dtype and device. It
walks lists, tuples and dicts, naming the item that failed, and says how many elements differ and
where the greatest differences are, as PyTorch's does. NumPy arrays are compared as tensors; sparse
COO tensors (tinynn/sparse.py) coalesced, their indices exactly and their values within the
tolerances, CSR matrices by their crow and col indices and values, and either with another layout
only under ``check_layout=False`` (by their dense forms), as PyTorch's."""
import math
from collections.abc import Mapping, Sequence

import numpy as np

from . import backend
from .tensor import Tensor

_TOLERANCES = {np.dtype(np.float16): (1e-3, 1e-5), np.dtype(np.float32): (1.3e-6, 1e-5),
               np.dtype(np.float64): (1e-7, 1e-7), np.dtype(np.complex64): (1.3e-6, 1e-5),
               np.dtype(np.complex128): (1e-7, 1e-7)}


def _tolerances(*dtypes):
    """(rtol, atol): the loosest of the dtypes' defaults (0 for integers and bools)."""
    pairs = [_TOLERANCES.get(np.dtype(d), (0.0, 0.0)) for d in dtypes]
    return max(p[0] for p in pairs), max(p[1] for p in pairs)


def _tensor_like(value):
    return isinstance(value, (Tensor, np.ndarray)) or backend.is_gpu_array(value)


def _array(value):
    return value.numpy() if isinstance(value, Tensor) else backend.to_device(value, backend.CPU)


def _describe(value):
    if isinstance(value, Tensor):
        return value.dtype, value.device
    return value.dtype, backend.device_of(value)


def _fail(message, path, msg):
    if path:
        message += f"\n\nThe failure occurred for item {''.join(f'[{key!r}]' for key in path)}"
    if callable(msg):
        message = msg(message)
    elif msg is not None:
        message = msg
    raise AssertionError(message)


def _strides(value):
    """The steps between neighbours along each dimension, in elements (an array's are in bytes)."""
    if isinstance(value, Tensor):
        return tuple(value.stride())
    return tuple(step // value.itemsize for step in value.strides)


def _compare_tensors(actual, expected, rtol, atol, equal_nan, check_device, check_dtype, path, msg,
                     what="Tensor-likes", check_stride=False):
    (actual_dtype, actual_device), (expected_dtype, expected_device) = _describe(actual), _describe(expected)
    if tuple(actual.shape) != tuple(expected.shape):
        _fail(f"The values for attribute 'shape' do not match: {tuple(actual.shape)} != {tuple(expected.shape)}.",
              path, msg)
    if check_device and actual_device != expected_device:
        _fail(f"The values for attribute 'device' do not match: {actual_device} != {expected_device}.", path, msg)
    if check_dtype and actual_dtype != expected_dtype:
        _fail(f"The values for attribute 'dtype' do not match: {actual_dtype} != {expected_dtype}.", path, msg)
    if check_stride and _strides(actual) != _strides(expected):
        _fail(f"The values for attribute 'stride()' do not match: {_strides(actual)} != {_strides(expected)}.",
              path, msg)
    if rtol is None:
        rtol, atol = _tolerances(actual_dtype, expected_dtype)
    a, e = _array(actual), _array(expected)
    exact = rtol == 0 and atol == 0
    # compared, and the differences reported, in the promoted dtype (integers' ratios in float32), as PyTorch's
    if a.dtype == np.bool_ or e.dtype == np.bool_:
        a, e = a.astype(np.int64), e.astype(np.int64)
    common = np.result_type(a.dtype, e.dtype)
    a, e = a.astype(common), e.astype(common)
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
        close = np.isclose(a, e, rtol=rtol, atol=atol, equal_nan=equal_nan) if common.kind in "fc" else a == e
        if close.all():
            return
        absolute = np.abs(a - e)  # (of complex values, the modulus: a real dtype)
        ratio_type = absolute.dtype if absolute.dtype.kind == "f" else np.float32
        relative = absolute.astype(ratio_type) / np.abs(e).astype(ratio_type)
    mismatched = int((~close).sum())
    lines = [f"{what} are not {'equal' if exact else 'close'}!", "",
             f"Mismatched elements: {mismatched} / {a.size} ({100 * mismatched / a.size:.1f}%)"]
    for name, differences, allowed in (("absolute", absolute, atol), ("relative", relative, rtol)):
        shown = np.where(close, -np.inf, np.nan_to_num(differences, nan=np.inf))
        index = np.unravel_index(int(np.argmax(shown)), a.shape) if a.ndim else ()
        value = differences[index]
        value = int(value) if differences.dtype.kind in "iu" else float(value)
        lines.append(f"Greatest {name} difference: {value} at index {tuple(int(i) for i in index)}"
                     + ("" if exact else f" (up to {allowed} allowed)"))
    _fail("\n".join(lines), path, msg)


def _compare_numbers(actual, expected, rtol, atol, equal_nan, path, msg):
    if rtol is None:
        rtol, atol = (1e-7, 1e-7) if isinstance(actual, float) or isinstance(expected, float) else (0.0, 0.0)
    if actual == expected or (equal_nan and math.isnan(actual) and math.isnan(expected)):
        return
    difference = abs(actual - expected)
    if difference <= atol + rtol * abs(expected):
        return
    relative = difference / abs(expected) if expected else math.inf
    _fail(f"Scalars are not {'equal' if rtol == atol == 0 else 'close'}!\n\nExpected {expected} but got {actual}.\n"
          f"Absolute difference: {difference}" + ("" if rtol == atol == 0 else f" (up to {atol} allowed)")
          + f"\nRelative difference: {relative}" + ("" if rtol == atol == 0 else f" (up to {rtol} allowed)"), path, msg)


def _is_sparse(value):
    return getattr(value, "is_sparse", False) or getattr(value, "is_sparse_csr", False)


def _compare_sparse(actual, expected, rtol, atol, equal_nan, check_device, check_dtype, check_layout, path, msg):
    """At least one of them sparse. Two COO tensors: coalesced, indices equal and values close; two
    CSR matrices: crow and col indices equal, values close; else (check_layout=False) dense forms."""
    if actual.layout is not expected.layout:
        if check_layout:
            _fail(f"The values for attribute 'layout' do not match: {actual.layout} != {expected.layout}.", path, msg)
        return _compare_tensors(actual.to_dense(), expected.to_dense(), rtol, atol, equal_nan, check_device,
                                check_dtype, path, msg)
    if tuple(actual.shape) != tuple(expected.shape):
        _fail(f"The values for attribute 'shape' do not match: {tuple(actual.shape)} != {tuple(expected.shape)}.",
              path, msg)
    if getattr(actual, "is_sparse_csr", False):
        kind, index_parts = "CSR", ("crow_indices", "col_indices")
    else:
        actual, expected = actual.coalesce(), expected.coalesce()
        kind, index_parts = "COO", ("indices",)
    if actual._nnz() != expected._nnz():
        _fail(f"The number of specified values in sparse {kind} tensors does not match: {actual._nnz()} != "
              f"{expected._nnz()}", path, msg)
    for name in index_parts:
        _compare_tensors(getattr(actual, name)(), getattr(expected, name)(), 0.0, 0.0, False, check_device, True,
                         path, msg, f"Sparse {kind} {name}")
    _compare_tensors(actual.values(), expected.values(), rtol, atol, equal_nan, check_device, check_dtype, path, msg,
                     f"Sparse {kind} values")


def _compare(actual, expected, rtol, atol, equal_nan, check_device, check_dtype, path, msg, check_layout=True,
             check_stride=False):
    sparse = _is_sparse(actual), _is_sparse(expected)
    if any(sparse) and all(s or _tensor_like(v) for s, v in zip(sparse, (actual, expected))):
        actual, expected = (v if s or isinstance(v, Tensor) else Tensor(v) for s, v in zip(sparse, (actual, expected)))
        return _compare_sparse(actual, expected, rtol, atol, equal_nan, check_device, check_dtype, check_layout,
                               path, msg)
    if _tensor_like(actual) and _tensor_like(expected):
        return _compare_tensors(actual, expected, rtol, atol, equal_nan, check_device, check_dtype, path, msg,
                                check_stride=check_stride)
    numbers = (int, float, bool, np.number, np.bool_)
    if isinstance(actual, numbers) and isinstance(expected, numbers):
        return _compare_numbers(actual.item() if hasattr(actual, "item") else actual,
                                expected.item() if hasattr(expected, "item") else expected, rtol, atol, equal_nan,
                                path, msg)
    if isinstance(actual, Mapping) and isinstance(expected, Mapping):
        if set(actual) != set(expected):
            _fail(f"The keys of the mappings do not match:\nMissing keys in the actual mapping: "
                  f"{sorted(map(repr, set(expected) - set(actual)))}\nExtra keys in the actual mapping: "
                  f"{sorted(map(repr, set(actual) - set(expected)))}", path, msg)
        for key in expected:
            _compare(actual[key], expected[key], rtol, atol, equal_nan, check_device, check_dtype, path + [key], msg,
                     check_layout, check_stride)
        return
    if (isinstance(actual, Sequence) and isinstance(expected, Sequence)
            and not isinstance(actual, str) and not isinstance(expected, str)):
        if len(actual) != len(expected):
            _fail(f"The length of the sequences mismatch: {len(actual)} != {len(expected)}", path, msg)
        for index, (a, e) in enumerate(zip(actual, expected)):
            _compare(a, e, rtol, atol, equal_nan, check_device, check_dtype, path + [index], msg, check_layout,
                     check_stride)
        return
    if actual is None and expected is None:
        return
    raise TypeError(f"assert_close: cannot compare {type(actual).__name__} and {type(expected).__name__}: expected "
                    "tensors, arrays, numbers, or sequences or mappings of them")


def assert_close(actual, expected, *, allow_subclasses=True, rtol=None, atol=None, equal_nan=False, check_device=True,
                 check_dtype=True, check_layout=True, check_stride=False, msg=None):
    """Raise an AssertionError unless ``actual`` and ``expected`` are close (see the module); ``msg``
    replaces the message (or, a callable, edits it). ``allow_subclasses``, ``check_layout`` and
    ``check_stride`` are PyTorch's: ``check_layout=False`` lets a sparse tensor equal a dense one of the
    same values, ``check_stride=True`` compares the strides too (in elements; tinynn's convolutions
    give channels-last outputs, whose strides are not PyTorch's)."""
    if (rtol is None) != (atol is None):
        raise ValueError(f"Both 'rtol' and 'atol' must be either specified or omitted, but got no "
                         f"{'atol' if atol is None else 'rtol'}.")
    _compare(actual, expected, rtol, atol, equal_nan, check_device, check_dtype, [], msg, check_layout, check_stride)


def make_tensor(*shape, dtype, device="cpu", low=None, high=None, requires_grad=False, noncontiguous=False,
                exclude_zero=False, memory_format=None):
    """A tensor of random values for tests: floats uniform in [low, high) (default [-9, 9)), integers
    in [low, high) (default [-9, 10), [0, 10) unsigned), bools at random; ``noncontiguous`` a strided
    view of a larger array; ``exclude_zero`` replaces zeros (by the dtype's tiny, or 1);
    ``memory_format`` (``tinynn.channels_last``...) lays the values out so (not with noncontiguous)."""
    if noncontiguous and memory_format is not None:
        raise ValueError("make_tensor: noncontiguous and memory_format cannot both be given")
    from . import random as tinynn_random

    shape = tuple(shape[0]) if len(shape) == 1 and isinstance(shape[0], (tuple, list)) else shape
    dtype, generator = np.dtype(dtype), tinynn_random.numpy_generator(None)
    wide = shape[:-1] + (shape[-1] * 2,) if shape and noncontiguous else shape
    if dtype == np.bool_:
        values = generator.random(wide) < 0.5
    elif dtype.kind in "iu":
        low = (0 if dtype.kind == "u" else -9) if low is None else int(math.ceil(low))
        high = 10 if high is None else int(math.ceil(high))
        _check_range(low, high)
        values = generator.integers(low, high, wide).astype(dtype)
    else:
        low, high = (-9.0 if low is None else low), (9.0 if high is None else high)
        _check_range(low, high)
        values = (low + (high - low) * generator.random(wide)).astype(dtype)
    if exclude_zero:
        values[values == 0] = np.finfo(dtype).tiny if dtype.kind == "f" else 1
    if shape and noncontiguous:
        values = values[..., ::2]
    result = Tensor(backend.to_device(values, backend.canonical_device(device)))
    if memory_format is not None:
        result = result.contiguous(memory_format=memory_format)
    return result.requires_grad_() if requires_grad else result


def _check_range(low, high):
    if not low < high:  # (NaN too)
        raise ValueError(f"make_tensor: `low` must be less than `high`, but got {low} >= {high}")


__all__ = ["assert_close", "make_tensor"]
