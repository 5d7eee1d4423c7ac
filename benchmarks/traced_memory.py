"""The NumPy memory a piece of work needs at its peak, for the benchmarks that report it."""
import gc
import tracemalloc


def traced_peak_mb(run, repeats=3):
    """The most memory NumPy held at once during ``run()``, beyond what it held before, in MB
    (``tracemalloc`` counts NumPy's allocations; PyTorch's CPU allocator has no such count). The least
    of ``repeats`` runs, each after a collection: a collection the interpreter happens to start inside
    one run, or a cache some call fills the first time, would count in that run's peak, and the small
    models of the tests measure differences of a few kilobytes."""
    peaks = []
    for _ in range(repeats):
        gc.collect()
        tracemalloc.start()
        try:
            run()
            peaks.append(tracemalloc.get_traced_memory()[1] / 2 ** 20)
        finally:
            tracemalloc.stop()
    return min(peaks)
