"""Keeping freed memory for reuse, so big temporaries do not page-fault on every training step.

A training step allocates and frees the same large arrays (im2col matrices, activations,
gradients) again and again. With glibc's defaults, blocks above a few MB are returned to the
operating system when freed (``munmap`` or heap trimming) and the next allocation has to
fault every 4 KB page back in: measured here, ~16,000 page faults and ~30% of a step's time
for the seed model on the CPU. Serving every block from the heap (no ``mmap``, whatever its
size) and never trimming the heap makes glibc hand the same blocks out again instead. Raising
the mmap threshold to its maximum (32 MB, all glibc allows) is not enough: evaluating a batch
of 1,000 images makes 43 MB activations, which then faulted ~4,400 pages per batch (a quarter
of the evaluation's time). The price, measured on the example (2 epochs of 12,000 images): peak
RSS 282 MB against 260 MB with the 32 MB threshold and 229 MB untuned (which ran 37% slower).

This changes the malloc settings of the whole process (the memory a process has used stays
reserved for it, which a training process wants anyway). It is applied once, at import, on
Linux with glibc only; set ``TINYNN_MALLOC_TUNING=0`` to leave malloc alone.
"""
import ctypes
import ctypes.util
import os
import sys

M_TRIM_THRESHOLD = -1
M_MMAP_MAX = -4
TRIM_THRESHOLD = 2 ** 31 - 1

applied = False


def keep_freed_memory():
    """Tune glibc malloc as described above; returns True if it was applied."""
    global applied
    if applied or not sys.platform.startswith("linux") or os.environ.get("TINYNN_MALLOC_TUNING", "1") == "0":
        return applied
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # not glibc (e.g. musl): nothing to tune
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    applied = bool(mallopt(M_MMAP_MAX, 0)) and bool(mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD))
    return applied
