"""tinynn.utils.benchmark: Timer and Measurement as PyTorch's (blocks of runs, times per run, median
and IQR), the timer's overhead kept negligible, the GPU synchronised before each reading, and
Compare's table."""
import numpy as np
import pytest

import tinynn
from tinynn.utils import benchmark


def test_timeit_times_per_run_from_one_block():
    timer = benchmark.Timer("time.sleep(0.002)", setup="import time", label="sleep")
    measurement = timer.timeit(5)
    assert measurement.number_per_run == 5 and len(measurement.times) == 1
    assert 0.0018 < measurement.median < 0.02 and measurement.mean == measurement.median
    assert "sleep\n  " in repr(measurement) and "1 measurement, 5 runs, 1 thread" in repr(measurement)


def test_blocked_autorange_measures_blocks_until_the_minimum_run_time():
    x = tinynn.randn(50, 50)
    seen = []
    measurement = benchmark.Timer("x @ x", globals={"x": x}).blocked_autorange(
        callback=lambda number, taken: seen.append((number, taken)), min_run_time=0.05)
    assert sum(measurement.raw_times) >= 0.05 and len(seen) == len(measurement.raw_times) >= 1
    assert all(number == measurement.number_per_run for number, _ in seen)
    assert measurement.times == [t / measurement.number_per_run for t in measurement.raw_times]
    assert measurement.number_per_run >= 10  # a block long enough that the clock's overhead vanishes
    low, high = np.percentile(measurement.times, [25, 75])
    assert measurement.iqr == pytest.approx(high - low) and 1 <= measurement.significant_figures <= 4
    assert "Median:" in repr(measurement) and "IQR:" in repr(measurement)


def test_a_callable_statement_and_the_thread_count_restored():
    before = tinynn.get_num_threads()
    calls = []
    measurement = benchmark.Timer(lambda: calls.append(tinynn.get_num_threads()), num_threads=1).timeit(3)
    assert calls == [1, 1, 1, 1] and tinynn.get_num_threads() == before  # a warm-up run, then three
    assert "<lambda>" in repr(measurement)


def test_gpu_work_is_waited_for(device):
    x = tinynn.randn(64, 64, device=device)
    measurement = benchmark.Timer("(x @ x).sum()", globals={"x": x}).timeit(3)
    assert measurement.median > 0


def test_compare_tabulates_medians_by_sub_label_and_description(capsys):
    def measured(sub_label, description, seconds):
        return benchmark.Measurement(1, [seconds, seconds], "stmt", "ops", sub_label, description)
    table = benchmark.Compare([measured("small", "tinynn", 2e-6), measured("small", "torch", 3e-6),
                               measured("large", "tinynn", 40e-6)])
    table.print()
    printed = capsys.readouterr().out
    assert "[ ops ]" in printed and "Times are in microseconds (us)." in printed
    rows = {line.split("|")[0].strip(): [cell.strip() for cell in line.split("|")[1:]] for line in printed.splitlines()
            if "|" in line}
    assert rows["small"] == ["2.0", "3.0"] and rows["large"] == ["40.0", ""] and rows[""] == ["tinynn", "torch"]
