"""A process forked after tinynn has used its thread pool (DataLoader workers, multiprocessing) must
not inherit the pool's object without its threads: its first threaded convolution used to wait forever."""
import multiprocessing
import sys

import numpy as np
import pytest

import tinynn


def _convolve(results):
    x = tinynn.tensor(np.ones((64, 3, 28, 28), dtype=np.float32))  # several blocks of images: threads
    w = tinynn.tensor(np.ones((8, 3, 3, 3), dtype=np.float32))
    results.put(float(tinynn.nn.functional.conv2d(x, w).sum().item()))


@pytest.mark.skipif(sys.platform != "linux", reason="fork start method")
def test_a_forked_child_gets_a_thread_pool_of_its_own():
    tinynn.set_num_threads(2)
    try:
        _convolve(multiprocessing.get_context("fork").Queue())
        assert tinynn.parallel._pool is not None  # the parent's pool exists, with its threads
        context = multiprocessing.get_context("fork")
        results = context.Queue()
        child = context.Process(target=_convolve, args=(results,))
        child.start()
        child.join(30)
        if child.is_alive():
            child.kill()
            pytest.fail("the forked child hung on its first threaded convolution")
        assert child.exitcode == 0
        assert results.get(timeout=5) == 64 * 8 * 26 * 26 * 27.0
    finally:
        tinynn.set_num_threads(tinynn.parallel._thread_count())
