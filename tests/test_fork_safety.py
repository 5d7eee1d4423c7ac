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


def _hogwild_worker(model, rank, done):
    """Each process takes SGD steps on its own data, writing into the shared weights."""
    tinynn.manual_seed(rank)
    optimizer = tinynn.optim.SGD(model.parameters(), lr=0.05)
    rng = np.random.default_rng(rank)
    for _ in range(200):
        x = tinynn.tensor(rng.standard_normal((16, 3)).astype(np.float32))
        y = x @ tinynn.tensor(np.array([[1.0], [-2.0], [0.5]], dtype=np.float32)) + 0.25
        optimizer.zero_grad()
        ((model(x) - y) ** 2).mean().backward()
        optimizer.step()
    done.put(rank)


@pytest.mark.skipif(sys.platform != "linux", reason="fork start method")
def test_share_memory_lets_forked_processes_train_one_model():
    """PyTorch's Hogwild: the parent sees the weights its children learned in shared memory."""
    tinynn.manual_seed(0)
    model = tinynn.nn.Linear(3, 1)
    assert not model.weight.is_shared()
    assert model.share_memory() is model and model.weight.is_shared() and model.bias.is_shared()
    context = multiprocessing.get_context("fork")
    done = context.Queue()
    workers = [context.Process(target=_hogwild_worker, args=(model, rank, done)) for rank in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
    assert sorted(done.get(timeout=5) for _ in workers) == [0, 1]
    np.testing.assert_allclose(model.weight.detach().numpy(), [[1.0, -2.0, 0.5]], atol=0.02)
    np.testing.assert_allclose(model.bias.detach().numpy(), [0.25], atol=0.02)


def test_only_host_tensors_are_shared(monkeypatch):
    from helpers import use_device

    use_device("simulated-gpu", monkeypatch)
    with pytest.raises(RuntimeError, match="only host tensors are shared this way, this one is on gpu"):
        tinynn.ones(1, device="gpu").share_memory_()
