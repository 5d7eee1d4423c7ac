"""Running independent blocks of work on all CPU cores.

The convolution works on blocks of images (see nn/functional/conv.py), the recurrent layers on
blocks of sequences (nn/functional/recurrent.py); the blocks are independent, and NumPy releases
the GIL inside copies, elementwise passes and matrix products, so a small thread pool runs them
side by side. Results come back in block order and are combined in that order,
so the outcome is the same, bit for bit, whatever the number of threads or their timing.

``TINYNN_NUM_THREADS`` sets the number of threads (default: the CPU cores this process may use), as
does ``tinynn.set_num_threads(n)`` at any time.
GPU work is not split: it runs as one call.
"""
import os
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np


def _thread_count():
    configured = os.environ.get("TINYNN_NUM_THREADS")
    if configured:
        return max(1, int(configured))
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


THREADS = _thread_count()
_pool = None
_THREAD_PREFIX = "tinynn-parallel"


def set_num_threads(count):
    """Run tinynn's blocks of CPU work on ``count`` threads (``torch.set_num_threads``'s place)."""
    global THREADS, _pool
    if not isinstance(count, int) or isinstance(count, bool) or count < 1:
        raise ValueError(f"set_num_threads: expected a positive int, got {count!r}")
    if _pool is not None:
        _pool.shutdown(wait=True)
    THREADS, _pool = count, None


def get_num_threads():
    """The threads tinynn's blocks of CPU work run on."""
    return THREADS


def _forget_pool_in_child():
    """A forked process inherits the pool object but none of its threads: work handed to it would wait
    forever. The child starts a pool of its own when it first needs one."""
    global _pool
    _pool = None


os.register_at_fork(after_in_child=_forget_pool_in_child)


def map_blocks(work, blocks, on_cpu=True):
    """[work(block) for block in blocks], computed by THREADS threads when on the CPU. Called from
    work that already runs on the pool (a block that splits its own work), it runs the blocks in
    that thread: waiting there for the pool's other threads could wait forever, all of them busy."""
    global _pool
    if THREADS == 1 or len(blocks) < 2 or not on_cpu or threading.current_thread().name.startswith(_THREAD_PREFIX):
        return [work(block) for block in blocks]
    if _pool is None:
        _pool = ThreadPoolExecutor(THREADS, thread_name_prefix=_THREAD_PREFIX)
    return list(_pool.map(work, blocks))



def row_blocks(rows, block_rows, most=None):
    """``rows`` rows cut into 1, 2, 4, 8, ... equal blocks (a power of two, so that they share out
    evenly over the cores) of at least ``block_rows`` rows each (one block if there are fewer), and
    ``most`` blocks at the most. The cut depends on the sizes alone, never on THREADS: the same
    blocks, so the same bits, on any number of threads."""
    count = 1 << max(0, (rows // block_rows).bit_length() - 1)
    count = min(count, 1 << max(0, most.bit_length() - 1)) if most else count
    return [slice(rows * k // count, rows * (k + 1) // count) for k in range(count)]


# Elements a pass over a large CPU array takes at a time where each step of it makes temporaries the
# array's size (an optimizer's update, clip_grad_norm_'s sums): a block of 2^18 float32 or float64 values
# and the temporaries made from it stay in the CPU's caches, where a 50 MB array's stream through memory.
CACHE_BLOCK = 2 ** 18


def cache_blocks(count):
    """``count`` elements cut into slices of ``CACHE_BLOCK`` (the last one shorter)."""
    return [slice(start, start + CACHE_BLOCK) for start in range(0, count, CACHE_BLOCK)]


# A block of a split matrix product has at least this many rows (thinner ones run far below the
# BLAS kernels' speed) and this many multiply-adds (enough to pay for handing it to a thread).
BLOCK_MIN_ROWS, BLOCK_MULTIPLY_ADDS = 128, 1 << 24


def matmul(a, b):
    """a @ b for 2-D NumPy arrays, a's rows in blocks (``row_blocks``) whose products run side by
    side, each on one BLAS thread (see tinynn.blas), written into one result."""
    blocks = row_blocks(a.shape[0], max(BLOCK_MIN_ROWS, BLOCK_MULTIPLY_ADDS // max(1, a.shape[1] * b.shape[1])))
    if len(blocks) == 1:
        return a @ b
    out = np.empty((a.shape[0], b.shape[1]), dtype=np.result_type(a, b))

    def product(rows):
        np.matmul(a[rows], b, out=out[rows])

    map_blocks(product, blocks)
    return out
