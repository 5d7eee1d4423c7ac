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
    # each framework ran in its own process: tinynn's malloc tuning did not reach PyTorch's
    assert figures["separate_processes"] and not figures["frameworks"]["pytorch"]["malloc_tuned"]
    assert figures["frameworks"]["tinynn"]["malloc_tuned"] == tinynn.memory.applied


def test_same_process_mode_shares_tinynns_malloc_tuning_with_pytorch(tmp_path):
    pytest.importorskip("torch", reason="PyTorch is not installed; the side-by-side run needs it")
    report = tmp_path / "bench.json"
    bench.main(["--batch-size", "4", "--rounds", "1", "--steps", "1", "--warmup", "1", "--eval-repeats", "1",
                "--no-memory", "--same-process", "--json", str(report)])
    figures = json.loads(report.read_text())
    assert not figures["separate_processes"]
    assert figures["frameworks"]["pytorch"]["malloc_tuned"] == tinynn.memory.applied


def test_the_memory_figures_come_from_fresh_workers(tmp_path):
    pytest.importorskip("torch", reason="PyTorch is not installed; the side-by-side run needs it")
    report = tmp_path / "bench.json"
    bench.main(["--batch-size", "4", "--rounds", "1", "--steps", "1", "--warmup", "1", "--eval-repeats", "1",
                "--json", str(report)])
    for figures in json.loads(report.read_text())["frameworks"].values():
        memory = figures["memory"]
        assert 0 < memory["rss_at_start_mb"] <= memory["rss_before_training_mb"] <= memory["peak_rss_mb"]


def test_gpu_benchmark_without_a_gpu_is_one_clear_line(capsys):
    if tinynn.gpu_available():
        pytest.skip("a GPU is available here")
    assert bench.main(["--device", "gpu"]) == 2
    error = capsys.readouterr().err.strip()
    assert error.startswith("error: the GPU was requested") and "\n" not in error


def test_recurrent_benchmark_reports_each_layer(tmp_path, capsys):
    pytest.importorskip("torch", reason="PyTorch is not installed; the side-by-side run needs it")
    report = tmp_path / "rnn.json"
    load_script("benchmarks/bench_rnn.py").main(["--seq-len", "3", "--batch-size", "2", "--hidden-size", "4",
                                                  "--rounds", "1", "--repeats", "1", "--json", str(report)])
    assert "LSTM" in capsys.readouterr().out
    figures = json.loads(report.read_text())["layers"]
    assert set(figures) == {"LSTM", "GRU", "RNN"} and all(f["ratio"] > 0 for f in figures.values())


def test_dataloader_benchmark_reports_each_worker_count(tmp_path, capsys):
    pytest.importorskip("torch", reason="PyTorch is not installed; the side-by-side run needs it")
    report = tmp_path / "loader.json"
    load_script("benchmarks/bench_dataloader.py").main(["--samples", "40", "--batch-size", "16", "--workers", "0", "2",
                                                         "--rounds", "1", "--json", str(report)])
    assert "workers  tinynn s" in capsys.readouterr().out
    figures = json.loads(report.read_text())["workers"]
    assert set(figures) == {"0", "2"} and all(entry["ratio"] > 0 for entry in figures.values())


def test_inplace_benchmark_reports_times_and_the_memory_inplace_relus_save(tmp_path, capsys):
    report = tmp_path / "inplace.json"
    load_script("benchmarks/bench_inplace.py").main(["--blocks", "2", "--channels", "4", "--size", "8",
                                                     "--batch-size", "8", "--rounds", "1", "--json", str(report)])
    assert "inplace ReLUs save" in capsys.readouterr().out
    figures = json.loads(report.read_text())
    assert all(entry["step_ms"] > 0 for entry in figures.values())
    # each inplace ReLU writes into the batch norm's output instead of a new (8, 4, 8, 8) float32 array
    one_activation = 8 * 4 * 8 * 8 * 4 / 2 ** 20
    saved = figures["tinynn plain"]["peak_mb"] - figures["tinynn inplace"]["peak_mb"]
    assert saved >= 1.5 * one_activation
