"""Running independent blocks of work on all CPU cores.

The convolution works on blocks of images (see nn/functional/conv.py); the blocks are
independent, and NumPy releases the GIL inside copies and matrix products, so a small thread
pool runs them side by side. Results come back in block order and are combined in that order,
so the outcome is the same, bit for bit, whatever the number of threads or their timing.

``TINYNN_NUM_THREADS`` sets the number of threads (default: the CPU cores this process may use), as
does ``tinynn.set_num_threads(n)`` at any time.
GPU work is not split: it runs as one call.
"""
import os
from concurrent.futures import ThreadPoolExecutor


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
    """[work(block) for block in blocks], computed by THREADS threads when on the CPU."""
    global _pool
    if THREADS == 1 or len(blocks) < 2 or not on_cpu:
        return [work(block) for block in blocks]
    if _pool is None:
        _pool = ThreadPoolExecutor(THREADS, thread_name_prefix="tinynn")
    return list(_pool.map(work, blocks))
