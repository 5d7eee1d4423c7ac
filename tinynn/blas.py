"""How many threads NumPy's BLAS (OpenBLAS) uses for matrix products: one, by default.

A tinynn training step interleaves BLAS matrix products with NumPy's elementwise passes, which
run on one thread. After each product, OpenBLAS's worker threads keep spinning for a while,
waiting for more work, and on a small machine they then compete with the main thread's
elementwise work. Measured here on 2 cores (seed model, batch 128): with OpenBLAS's 2 threads a
step took 96 ms or 230 ms depending on how the spinning threads were scheduled, changing at
random within a run; with 1 thread it took 103-104 ms every time. tinynn therefore sets OpenBLAS
to one thread at import.

This is process-wide. ``TINYNN_BLAS_THREADS=N`` chooses another count, ``TINYNN_BLAS_THREADS=keep``
leaves BLAS as it is; ``set_blas_threads(n)`` changes it at any time. Builds of NumPy on another
BLAS (MKL, Accelerate) are left alone.

OpenBLAS also lends tinynn its out-of-place transpose (``transposer``), which NumPy does not expose:
``parallel.copy_into`` reorders an NCHW batch channels-last, and back, with it. Where the library or
the function is not found, NumPy's copy does the same work more slowly.
"""
import ctypes
import functools
import os
import re
from .errors import InputError

import numpy as np

_SETTERS = ("scipy_openblas_set_num_threads64_", "scipy_openblas_set_num_threads", "openblas_set_num_threads64_",
            "openblas_set_num_threads")
# cblas_somatcopy and cblas_domatcopy, an out-of-place transpose in OpenBLAS's cache-blocked kernels, under the
# names of the builds NumPy ships with or links to, each with the width of its integers (ILP64 builds end in 64_).
_TRANSPOSERS = {
    np.dtype(np.float32): (("scipy_cblas_somatcopy64_", ctypes.c_int64), ("cblas_somatcopy64_", ctypes.c_int64),
                           ("scipy_cblas_somatcopy", ctypes.c_int), ("cblas_somatcopy", ctypes.c_int)),
    np.dtype(np.float64): (("scipy_cblas_domatcopy64_", ctypes.c_int64), ("cblas_domatcopy64_", ctypes.c_int64),
                           ("scipy_cblas_domatcopy", ctypes.c_int), ("cblas_domatcopy", ctypes.c_int)),
}
_ROW_MAJOR, _TRANSPOSED = 101, 112  # CBLAS_ORDER and CBLAS_TRANSPOSE values


@functools.cache
def _openblas_libraries():
    """The OpenBLAS libraries this process has loaded (NumPy's), opened with ctypes (Linux; none elsewhere)."""
    try:
        with open("/proc/self/maps") as maps:
            paths = sorted(set(re.findall(r"(/\S*openblas\S*\.so[\w.]*)", maps.read())))
    except OSError:
        return ()
    libraries = []
    for path in paths:
        try:
            libraries.append(ctypes.CDLL(path))
        except OSError:
            continue
    return tuple(libraries)


def _openblas_function(names):
    """The first of ``names`` that a loaded OpenBLAS library has, and its name; (None, None) if none has."""
    for library in _openblas_libraries():
        for name in names:
            if hasattr(library, name):
                return getattr(library, name), name
    return None, None


def _openblas_setter():
    """OpenBLAS's set_num_threads function, from the library NumPy loaded (Linux), or None."""
    setter, _ = _openblas_function(_SETTERS)
    if setter is not None:
        setter.argtypes = [ctypes.c_int]
    return setter


@functools.cache
def transposer(dtype):
    """OpenBLAS's out-of-place transpose for ``dtype`` (float32 or float64), or None where there is none:
    ``transpose(rows, cols, source, source_stride, out, out_stride)`` writes the transpose of the (rows, cols)
    matrix at address ``source`` (its rows ``source_stride`` elements apart) into the (cols, rows) one at
    ``out``. Its blocked kernels transpose a (64, 1024) float32 matrix in 0.39 ms where NumPy's copy of the
    transposed view, element by element along the source's long strides, takes 2.96 ms (one core here)."""
    names = dict(_TRANSPOSERS.get(np.dtype(dtype), ()))
    function, name = _openblas_function(tuple(names))
    if function is None:
        return None
    integer, scalar = names[name], ctypes.c_float if np.dtype(dtype) == np.float32 else ctypes.c_double
    function.argtypes = [ctypes.c_int, ctypes.c_int, integer, integer, scalar, ctypes.c_void_p, integer,
                         ctypes.c_void_p, integer]
    function.restype = None

    def transpose(rows, cols, source, source_stride, out, out_stride):
        function(_ROW_MAJOR, _TRANSPOSED, rows, cols, 1.0, source, source_stride, out, out_stride)

    return transpose


def set_blas_threads(count):
    """Use ``count`` threads in OpenBLAS matrix products; returns False where that cannot be set."""
    if not isinstance(count, int) or count < 1:
        raise InputError(f"set_blas_threads: expected a positive int, got {count!r}")
    setter = _openblas_setter()
    if setter is None:
        return False
    setter(count)
    return True


def configure_from_environment():
    choice = os.environ.get("TINYNN_BLAS_THREADS", "1").strip().lower()
    if choice == "keep":
        return False
    try:
        count = int(choice)
    except ValueError:
        raise InputError(f"TINYNN_BLAS_THREADS must be a positive int or 'keep', got {choice!r}") from None
    return set_blas_threads(count)
