"""The NumPy memory a piece of work needs at its peak, for the benchmarks that report it."""
import tracemalloc


def traced_peak_mb(run):
    """The most memory NumPy held at once during ``run()``, beyond what it held before, in MB
    (``tracemalloc`` counts NumPy's allocations; PyTorch's CPU allocator has no such count)."""
    tracemalloc.start()
    try:
        run()
        return tracemalloc.get_traced_memory()[1] / 2 ** 20
    finally:
        tracemalloc.stop()
