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
"""
import ctypes
import os
import re

_SETTERS = ("scipy_openblas_set_num_threads64_", "scipy_openblas_set_num_threads", "openblas_set_num_threads64_",
            "openblas_set_num_threads")


def _openblas_setter():
    """OpenBLAS's set_num_threads function, from the library NumPy loaded (Linux), or None."""
    try:
        with open("/proc/self/maps") as maps:
            paths = sorted(set(re.findall(r"(/\S*openblas\S*\.so[\w.]*)", maps.read())))
    except OSError:
        return None
    for path in paths:
        try:
            library = ctypes.CDLL(path)
        except OSError:
            continue
        for name in _SETTERS:
            if hasattr(library, name):
                setter = getattr(library, name)
                setter.argtypes = [ctypes.c_int]
                return setter
    return None


def set_blas_threads(count):
    """Use ``count`` threads in OpenBLAS matrix products; returns False where that cannot be set."""
    if not isinstance(count, int) or count < 1:
        raise ValueError(f"set_blas_threads: expected a positive int, got {count!r}")
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
        raise ValueError(f"TINYNN_BLAS_THREADS must be a positive int or 'keep', got {choice!r}") from None
    return set_blas_threads(count)
