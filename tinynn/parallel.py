"""Running independent blocks of work on all CPU cores.

The convolution works on blocks of images (see nn/functional/conv.py), the recurrent layers on
blocks of sequences (nn/functional/recurrent.py); the blocks are independent, and NumPy releases
the GIL inside copies, elementwise passes and matrix products, so the calling thread and a few
helper threads run them side by side. Results come back in block order and are combined in that order,
so the outcome is the same, bit for bit, whatever the number of threads or their timing.

``TINYNN_NUM_THREADS`` sets the number of threads (default: the CPU cores this process may use), as
does ``tinynn.set_num_threads(n)`` at any time.
GPU work is not split: it runs as one call.
"""
import itertools
import math
import os
import queue
import threading

import numpy as np

from .errors import InputError
from . import blas


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


class _Blocks:
    """One ``map_blocks`` call: its blocks, each taken by whichever thread is free next (the caller's
    own or a helper), its results kept in block order."""

    def __init__(self, work, blocks):
        self.work, self.blocks = work, blocks
        self.results, self.errors = [None] * len(blocks), {}
        self._next = itertools.count()  # next() on it is one step under the GIL: no block is taken twice
        self._unfinished, self._lock, self.finished = len(blocks), threading.Lock(), threading.Event()

    def handed_back(self):
        """The results, all blocks done; the call lets go of them and of its work and blocks (a helper may
        still hold it, queued, until it wakes and finds nothing left to take)."""
        results, self.results, self.work, self.blocks = self.results, None, None, ()
        return results

    def run(self):
        """Work through blocks until none is left to take."""
        while (index := next(self._next)) < len(self.blocks):
            if not self.errors:  # after an error the blocks left are only counted off
                try:
                    self.results[index] = self.work(self.blocks[index])
                except BaseException as error:  # raised again in the caller's thread
                    self.errors[index] = error
            with self._lock:
                self._unfinished -= 1
                if not self._unfinished:
                    self.finished.set()


class _Pool:
    """THREADS - 1 helper threads that take blocks beside the thread that hands them over. Lighter
    than concurrent.futures (which took 35 us a call and 7.5 us a block here, a tenth of a small
    layer's time): one queue entry per helper and call, no future per block."""

    def __init__(self, helpers):
        self.tasks = queue.SimpleQueue()
        self.threads = [threading.Thread(target=self._serve, name=f"{_THREAD_PREFIX}-{k}", daemon=True)
                        for k in range(helpers)]
        for thread in self.threads:
            thread.start()

    def _serve(self):
        while (job := self.tasks.get()) is not None:
            job.run()
            del job  # a finished call's arrays must not stay alive while this thread waits

    def run(self, job):
        """Run a ``_Blocks`` on the helpers and this thread; back when all its blocks are done."""
        for _ in range(min(len(self.threads), len(job.blocks) - 1)):
            self.tasks.put(job)
        job.run()
        job.finished.wait()  # for the blocks helpers took and still work on

    def shutdown(self):
        for _ in self.threads:
            self.tasks.put(None)
        for thread in self.threads:
            thread.join()


def set_num_threads(count):
    """Run tinynn's blocks of CPU work on ``count`` threads (``torch.set_num_threads``'s place)."""
    global THREADS, _pool
    if not isinstance(count, int) or isinstance(count, bool) or count < 1:
        raise InputError(f"set_num_threads: expected a positive int, got {count!r}")
    if _pool is not None:
        _pool.shutdown()
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
    """[work(block) for block in blocks], computed by THREADS threads when on the CPU: the caller's
    and THREADS - 1 helpers. Called from work that already runs on a helper (a block that splits its
    own work), it runs the blocks in that thread: waiting there for the other helpers could wait
    forever, all of them busy. (A block on the caller's thread may split its work: the caller takes
    those blocks itself while the helpers are busy, and waits only for blocks a helper has taken.)"""
    global _pool
    if THREADS == 1 or len(blocks) < 2 or not on_cpu or threading.current_thread().name.startswith(_THREAD_PREFIX):
        return [work(block) for block in blocks]
    if _pool is None:
        _pool = _Pool(THREADS - 1)
    job = _Blocks(work, blocks)
    _pool.run(job)
    if job.errors:
        raise job.errors[min(job.errors)]
    return job.handed_back()


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


# A copy that reorders a large array's axes (a channels-last tensor into C order, for a flatten before a
# linear layer, and its gradient back; a C-ordered image batch into a padded channels-last one) runs on
# one core at about half the speed of memory; in blocks of its first axis on the threads about 1.6x
# faster (measured: (64, 16, 32, 32) float32, 0.75 -> 0.47 ms). A copy in memory order runs at memory
# speed already, and threads only add their cost (0.17 -> 0.26 ms for a padded copy of the same size).
# A copy gives the same values however it is cut, so here the cut may follow THREADS.
COPY_MIN_BYTES = 1 << 20


def copy_into(out, source):
    """out[...] = source, for arrays of one shape. A NumPy array of COPY_MIN_BYTES or more that does not lie
    in C order (a copy that reorders its axes) is copied by OpenBLAS's transpose where it is a batch of
    transposed matrices (``copy_by_transposes``), else in blocks of its first axis side by side."""
    reorders = (isinstance(source, np.ndarray) and source.nbytes >= COPY_MIN_BYTES and not source.flags.c_contiguous
                and source.ndim > 0)
    if reorders and copy_by_transposes(out, source):
        return out
    if not reorders or THREADS == 1 or source.shape[0] < 2:
        out[...] = source
        return out
    count = min(THREADS, source.shape[0])

    def copy_block(block):
        out[block] = source[block]

    map_blocks(copy_block, [slice(source.shape[0] * k // count, source.shape[0] * (k + 1) // count)
                            for k in range(count)])
    return out


# OpenBLAS's transpose pays where each matrix is this large or more; a smaller one NumPy copies as fast
# from the cache, without a call per matrix (measured on two cores, float32: (64, 32, 256) matrices of
# 32 KB 195 us by NumPy against 276 by OpenBLAS, (128, 16, 784) of 50 KB 643 against 561, (8, 256, 256)
# of 256 KB 516 against 131, (16, 64, 1024) of 256 KB 2,974 against 193).
TRANSPOSED_MATRIX_MIN_BYTES = 1 << 17


def copy_by_transposes(out, source):
    """Whether ``out[...] = source`` was done here, by OpenBLAS's transpose (``blas.transposer``): where
    ``source`` read in C order is a batch of transposed C-ordered matrices (``as_transposes``), and
    OpenBLAS has a transpose for their dtype. NumPy copies such a view element by element along the long
    strides (1.7 ms for a (16, 64, 32, 32) float32 batch reordered channels-last on two threads, against
    0.2 ms so). The matrices' rows are cut so that every thread has a share; an ``out`` not in C order
    gets the result through a C-ordered copy (a copy in memory order, fast)."""
    transpose = blas.transposer(source.dtype) if isinstance(out, np.ndarray) and out.dtype == source.dtype else None
    shape = as_transposes(source) if transpose is not None else None
    if (shape is None or shape[1] * shape[2] * source.itemsize < TRANSPOSED_MATRIX_MIN_BYTES
            or not out.flags.writeable or np.may_share_memory(out, source)):
        return False  # (NumPy's copy then refuses a read-only out, or copies overlapping memory right)
    items, rows, cols = shape
    target = out if out.flags.c_contiguous else np.empty(out.shape, dtype=out.dtype)
    cuts = max(1, -(-THREADS // items))
    pieces = [(item, rows * k // cuts, rows * (k + 1) // cuts) for item in range(items) for k in range(cuts)]
    size, source_at, target_at = source.itemsize, source.ctypes.data, target.ctypes.data

    def transpose_pieces(block):
        for item, first, last in pieces[block]:
            start = item * rows * cols
            transpose(last - first, cols, source_at + (start + first * cols) * size, cols,
                      target_at + (start + first) * size, rows)

    count = min(THREADS, len(pieces))
    map_blocks(transpose_pieces, [slice(len(pieces) * k // count, len(pieces) * (k + 1) // count) for k in range(count)])
    if target is not out:
        out[...] = target
    return True


def as_transposes(source):
    """(items, rows, cols) where reading ``source`` in C order reads one after another the transposes of
    ``items`` C-ordered (rows, cols) matrices lying one after another from its first element: a
    channels-last batch seen as NCHW (N matrices (H*W, C)) or a C-ordered one seen channels-last
    (N matrices (C, H*W)); None for any other layout. Axes of length 1 are left out."""
    if any(stride <= 0 or stride % source.itemsize for stride in source.strides):
        return None
    axes = [(size, stride // source.itemsize) for size, stride in zip(source.shape, source.strides) if size != 1]
    items = 1
    if len(axes) >= 3 and axes[0][1] == math.prod(size for size, _ in axes[1:]):
        items, axes = axes[0][0], axes[1:]
    for split in range(1, len(axes)):
        cols = math.prod(size for size, _ in axes[:split])
        if _dense(axes[:split], 1) and _dense(axes[split:], cols):
            return items, math.prod(size for size, _ in axes[split:]), cols
    return None


def _dense(axes, inner):
    """Whether ``axes`` ((size, stride) pairs, strides in elements) lie densely in C order, the innermost
    ``inner`` elements apart."""
    for size, stride in reversed(axes):
        if stride != inner:
            return False
        inner *= size
    return True


# A block of a split matrix product has at least this many rows (thinner ones run far below the
# BLAS kernels' speed) and this many multiply-adds (enough to pay for handing it to a helper thread,
# which takes some 30 us to wake here; measured with two blocks of rows: 8.4M multiply-adds in all
# 166 -> 150 us, 16.8M 324 -> 236 us); a product split along its inner axis has at most SUMMED_BLOCKS
# blocks (each a whole result to add up).
BLOCK_MIN_ROWS, BLOCK_MULTIPLY_ADDS, SUMMED_BLOCKS = 128, 1 << 23, 8
# A product with too few rows and too short an inner axis to cut (a classifier head's gradients on a
# small batch) may be cut by its columns, into two blocks at the most: each block reads all of the
# first matrix again (measured on two cores: (64, 128) @ (128, 4096) 0.88 -> 0.55 ms in two blocks,
# 0.65 in four). Where the inner axis is short such a product streams more through memory than it
# computes, so a block's work counts each element of the second matrix and of the result as
# COLUMN_ELEMENT_COST multiply-adds: (64, 10) @ (10, 16384) 0.73 -> 0.46 ms, (10, 64) @ (64, 16384)
# 0.61 -> 0.43 ms, while (128, 256) @ (256, 256) stays whole (two blocks: 169 -> 200 us).
COLUMN_BLOCKS, COLUMN_ELEMENT_COST = 2, 16


def matmul(a, b):
    """a @ b, with NumPy arrays of two dimensions or more (batch axes broadcast as in np.matmul)
    cut into blocks whose products run side by side, each on one BLAS thread (see tinynn.blas):

    - a matrix times a matrix, or a stack of matrices times one (a layer's input times its
      weight), by the rows of a (``row_blocks``), each block written into one result;
    - where a has too few rows to cut, a long inner axis (a weight's gradient, dL/dY^T X, a sum
      over every row of the batch) by that axis: a[:, span] @ b[span] for each span, added up in
      span order;
    - where neither is long enough, the columns of b, each block written into its columns of the result;
    - a batch of products (attention's) by the first batch axis.

    Products too small to pay for the threads run as one, as do GPU arrays and Tensors. The cut
    depends on the sizes alone, never on THREADS: the same bits on any number of threads."""
    if not (isinstance(a, np.ndarray) and isinstance(b, np.ndarray)) or a.ndim < 2 or b.ndim < 2:
        return a @ b
    if b.ndim == 2:
        rows = a.reshape(math.prod(a.shape[:-1]), a.shape[-1])  # a view wherever a's memory allows one
        return _matrix_product(rows, b).reshape(a.shape[:-1] + (b.shape[1],))
    return _batched_product(a, b)


def _matrix_product(a, b):
    """a @ b for 2-D arrays, cut by a's rows or else by the inner axis (see ``matmul``)."""
    rows, inner, columns = a.shape[0], a.shape[1], b.shape[1]
    blocks = row_blocks(rows, max(BLOCK_MIN_ROWS, BLOCK_MULTIPLY_ADDS // max(1, inner * columns)))
    if len(blocks) > 1:
        out = np.empty((rows, columns), dtype=np.result_type(a, b))

        def product(block):
            np.matmul(a[block], b, out=out[block])

        map_blocks(product, blocks)
        return out
    spans = row_blocks(inner, max(BLOCK_MIN_ROWS, BLOCK_MULTIPLY_ADDS // max(1, rows * columns)), SUMMED_BLOCKS)
    if len(spans) > 1:
        partials = map_blocks(lambda span: a[:, span] @ b[span], spans)
        total = partials[0]
        for partial in partials[1:]:
            total += partial
        return total
    work_per_column = max(rows * inner, COLUMN_ELEMENT_COST * (inner + rows))
    cuts = row_blocks(columns, max(BLOCK_MIN_ROWS, BLOCK_MULTIPLY_ADDS // max(1, work_per_column)), COLUMN_BLOCKS)
    if len(cuts) > 1:
        out = np.empty((rows, columns), dtype=np.result_type(a, b))

        def columns_product(cut):
            out[:, cut] = a @ b[:, cut]

        map_blocks(columns_product, cuts)
        return out
    return a @ b


def _batched_product(a, b):
    """a @ b with batch axes, cut along the first of them (see ``matmul``)."""
    batch = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    per_item = math.prod(batch[1:]) * a.shape[-2] * a.shape[-1] * b.shape[-1]
    blocks = row_blocks(batch[0], max(1, BLOCK_MULTIPLY_ADDS // max(1, per_item)))
    if len(blocks) == 1:
        return a @ b
    out = np.empty(batch + (a.shape[-2], b.shape[-1]), dtype=np.result_type(a, b))

    def part(array, block):
        """array's share of the block: its slice where it has the first batch axis at full length,
        all of it where it is broadcast along that axis."""
        return array[block] if array.ndim - 2 == len(batch) and array.shape[0] != 1 else array

    def product(block):
        np.matmul(part(a, block), part(b, block), out=out[block])

    map_blocks(product, blocks)
    return out
