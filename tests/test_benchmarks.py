"""The benchmark scripts run, report what they promise, and fail cleanly without a GPU."""
import json

import pytest

import tinynn
from helpers import load_script

bench = load_script("benchmarks/bench_train.py")


def test_cpu_benchmark_reports_both_frameworks_and_writes_json(tmp_path, capsys):
    pytest.importorskip("torch", reason="PyTorch is not installed; the side-by-side run needs it")
    report = tmp_path / "bench.json"
    assert bench.main(["--batch-size", "8", "--rounds", "2", "--steps", "2", "--warmup", "1", "--eval-repeats", "1",
                       "--no-memory", "--json", str(report)]) is None
    out = capsys.readouterr().out
    assert "ratio tinynn/PyTorch, median training step:" in out
    figures = json.loads(report.read_text())
    assert set(figures["frameworks"]) == {"tinynn", "pytorch"} and figures["step_ratio"] > 0
    assert figures["frameworks"]["tinynn"]["steps"] == 4


def test_gpu_benchmark_without_a_gpu_is_one_clear_line(capsys):
    if tinynn.gpu_available():
        pytest.skip("a GPU is available here")
    assert bench.main(["--device", "gpu"]) == 2
    error = capsys.readouterr().err.strip()
    assert error.startswith("error: the GPU was requested") and "\n" not in error
