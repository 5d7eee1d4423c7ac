"""The benchmark scripts run, report what they promise, and fail cleanly without a GPU."""
import json
import os
import subprocess

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


def test_a_peer_that_cannot_be_imported_is_left_out_saying_why(tmp_path, capsys):
    for peer in ("chainer", "dezero"):
        try:
            __import__(peer)
        except Exception:
            continue
        pytest.skip(f"{peer} is importable here")
    report = tmp_path / "bench.json"
    bench.main(["--batch-size", "4", "--rounds", "1", "--steps", "1", "--warmup", "1", "--eval-repeats", "1",
                "--no-memory", "--peers", "chainer,dezero", "--json", str(report)])
    out = capsys.readouterr().out
    for name, label in (("chainer", "Chainer"), ("dezero", "DeZero")):
        assert f"{label} cannot be imported here" in out and f"see benchmarks/seed_peers.py: reporting without {name}." in out
    assert "peer_ratios" not in json.loads(report.read_text())


@pytest.mark.parametrize("arguments, message", [
    (["--peers", "torch"], "unknown peer 'torch'; the peers are chainer, dezero"),
    (["--python", "chainer"], "--python expects FRAMEWORK=PATH with FRAMEWORK one of tinynn, pytorch, chainer, dezero"),
])
def test_peer_options_are_checked(arguments, message, capsys):
    with pytest.raises(SystemExit) as exit:
        bench.main(arguments)
    assert exit.value.code == 2 and message in capsys.readouterr().err


PEERS_PYTHON = os.environ.get("TINYNN_PEERS_PYTHON")
needs_peers = pytest.mark.skipif(not PEERS_PYTHON, reason="set TINYNN_PEERS_PYTHON to a Python with Chainer and "
                                                         "DeZero (see benchmarks/seed_peers.py) to test the peers")


@needs_peers
def test_the_peer_models_compute_what_tinynn_computes_and_are_measured_beside_it(tmp_path, capsys):
    """Chainer's and DeZero's seed models, given tinynn's weights, give tinynn's outputs (eval mode;
    DeZero's fixed batch-norm eps of 2e-5 accounts for its difference), and their loss falls."""
    import numpy as np

    import tinynn
    from tinynn.models import MnistTiny

    weights = tmp_path / "weights.npz"
    bench.save_initial_weights(weights)
    images, labels = bench.make_batch(8)
    model = MnistTiny()
    model.load_state_dict({key: tinynn.tensor(value) for key, value in np.load(weights).items()})
    np.save(tmp_path / "tinynn.npy", model.eval()(tinynn.tensor(images)).numpy())
    script = f"""
import sys
sys.path.insert(0, {str(bench.ROOT / "benchmarks")!r})
import numpy as np
import bench_train
images, labels = bench_train.make_batch(8)
expected = np.load({str(tmp_path / "tinynn.npy")!r})
for name in ("chainer", "dezero"):
    runner = bench_train.RUNNERS[name](images, labels, "cpu", dict(np.load({str(weights)!r})))
    runner.eval_images = images
    output = runner.eval_batch()
    output = np.asarray(getattr(output, "array", None) if name == "chainer" else output.data)
    losses = [float(runner.step().data) for _ in range(6)]
    print(name, float(abs(output - expected).max()), losses[-1] < losses[0])
"""
    lines = subprocess.run([PEERS_PYTHON, "-c", script], capture_output=True, text=True, check=True).stdout.split("\n")
    differences = {line.split()[0]: (float(line.split()[1]), line.split()[2]) for line in lines if line}
    assert differences["chainer"][0] < 1e-6 and differences["dezero"][0] < 1e-5
    assert differences["chainer"][1] == differences["dezero"][1] == "True"
    report = tmp_path / "bench.json"
    bench.main(["--batch-size", "4", "--rounds", "1", "--steps", "1", "--warmup", "1", "--eval-repeats", "1",
                "--no-memory", "--peers", "chainer,dezero", "--python", f"chainer={PEERS_PYTHON}",
                "--python", f"dezero={PEERS_PYTHON}", "--json", str(report)])
    ratios = json.loads(report.read_text())["peer_ratios"]
    assert set(ratios) == {"chainer", "dezero"} and all(r["step"] > 0 and r["eval"] > 0 for r in ratios.values())


def test_gpu_benchmark_without_a_gpu_is_one_clear_line(capsys):
    if tinynn.gpu_available():
        pytest.skip("a GPU is available here")
    assert bench.main(["--device", "gpu"]) == 2
    error = capsys.readouterr().err.strip()
    assert error.startswith("error: the GPU was requested") and "\n" not in error


def test_layers_benchmark_reports_each_layer(tmp_path, capsys):
    pytest.importorskip("torch", reason="PyTorch is not installed; the side-by-side run needs it")
    report = tmp_path / "layers.json"
    sizes = ["--seq-len", "3", "--batch-size", "2", "--hidden-size", "4", "--model-size", "8", "--heads", "2",
             "--feedforward", "16", "--tokens", "3", "--sequences", "2", "--rounds", "1", "--repeats", "1"]
    # a worker process per framework (there PyTorch's oneDNN may be switched off), or both in this one
    every = ["LSTM", "GRU", "RNN", "Transformer", "Conv2d", "BatchNorm2d", "Depthwise", "GELU", "SiLU", "LeakyReLU",
             "LayerNorm", "Embedding"]
    for placement, onednn, layers in ((["--torch-onednn", "off"], False, every),
                                      (["--same-process", "--channels-last", "--layers", "LSTM", "Depthwise"], True,
                                       ["LSTM", "Depthwise"])):
        load_script("benchmarks/bench_layers.py").main(sizes + ["--json", str(report)] + placement)
        out = capsys.readouterr().out
        assert all(layer in out for layer in layers)
        assert ("(oneDNN)" in out) == onednn and ("(ATen, oneDNN off)" in out) == (not onednn)
        report_figures = json.loads(report.read_text())
        figures = report_figures["layers"]
        assert list(figures) == layers and all(f["ratio"] > 0 for f in figures.values())
        assert report_figures["same_process"] == ("--same-process" in placement)
        assert report_figures["torch_onednn"] == onednn
        assert report_figures["channels_last"] == ("--channels-last" in placement)


def test_sparse_embedding_benchmark_never_makes_the_dense_gradient(tmp_path, capsys):
    report = tmp_path / "sparse.json"
    load_script("benchmarks/bench_sparse_embedding.py").main(["--vocabulary", "20000", "--dim", "16", "--bags", "64",
                                                              "--bag-size", "5", "--rounds", "1", "--json", str(report)])
    assert "tinynn sparse/dense:" in capsys.readouterr().out
    figures = json.loads(report.read_text())
    assert all(entry["ms"] > 0 for entry in figures.values())
    table_mb = 20000 * 16 * 4 / 2 ** 20  # the dense gradient, and each of Adam's moments
    assert figures["tinynn sparse"]["peak_mb"] < table_mb / 4 and figures["tinynn dense"]["peak_mb"] > table_mb


def test_dataloader_benchmark_reports_each_worker_count(tmp_path, capsys):
    pytest.importorskip("torch", reason="PyTorch is not installed; the side-by-side run needs it")
    report = tmp_path / "loader.json"
    load_script("benchmarks/bench_dataloader.py").main(["--samples", "40", "--batch-size", "16", "--workers", "0", "2",
                                                         "--rounds", "1", "--json", str(report)])
    assert "workers  tinynn s" in capsys.readouterr().out
    figures = json.loads(report.read_text())["workers"]
    assert set(figures) == {"0", "2"} and all(entry["ratio"] > 0 for entry in figures.values())


@pytest.mark.parametrize("placement", [[], ["--same-process"]], ids=["a process each", "one process"])
def test_inplace_benchmark_reports_times_and_the_memory_inplace_relus_save(tmp_path, capsys, placement):
    report = tmp_path / "inplace.json"
    load_script("benchmarks/bench_inplace.py").main(["--blocks", "2", "--channels", "4", "--size", "8", "--batch-size",
                                                     "8", "--rounds", "1", "--json", str(report)] + placement)
    assert "inplace ReLUs save" in capsys.readouterr().out
    report_figures = json.loads(report.read_text())
    assert report_figures["same_process"] == bool(placement)
    figures = report_figures["steps"]
    assert all(entry["step_ms"] > 0 for entry in figures.values())
    # each inplace ReLU writes into the batch norm's output instead of a new (8, 4, 8, 8) float32 array
    one_activation = 8 * 4 * 8 * 8 * 4 / 2 ** 20
    saved = figures["tinynn plain"]["peak_mb"] - figures["tinynn inplace"]["peak_mb"]
    assert saved >= 1.5 * one_activation


def test_linear_cross_entropy_benchmark_reports_both_paths_and_the_memory_chunks_save(tmp_path, capsys):
    report = tmp_path / "lce.json"
    load_script("benchmarks/bench_linear_cross_entropy.py").main(["--batch", "1024", "--features", "8", "--classes",
                                                                  "20000", "--rounds", "1", "--json", str(report)])
    assert "tinynn chunked" in capsys.readouterr().out
    figures = json.loads(report.read_text())
    assert all(entry["ms"] > 0 for entry in figures.values())
    # the plain pass holds (1024, 20000) float32 logits and more; a chunk, about 2^22 logits
    logits_mb = 1024 * 20000 * 4 / 2 ** 20
    assert figures["tinynn plain"]["peak_mb"] > 2 * logits_mb > figures["tinynn chunked"]["peak_mb"]


def test_compare_commits_times_two_checkouts(capsys):
    compare = load_script("benchmarks/compare_commits.py")
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    figures = compare.main([root, root, "--rounds", "2", "--steps", "2", "--warmup", "1", "--batch-size", "4"])
    assert len(figures["before_ms"]) == len(figures["after_ms"]) == 2 and figures["ratio"] > 0
    assert "median ratio after/before" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        compare.main([root, "/nonexistent", "--rounds", "1"])
