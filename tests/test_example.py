"""examples/mnist_tiny.py end to end on small slices of real MNIST: accuracy, determinism, exact
resume (at epoch boundaries and mid-epoch), Ctrl-C, guarded training, and the GPU error path."""
import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import tinynn
from helpers import load_script

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "mnist_tiny.py"


example = load_script("examples/mnist_tiny.py")
SMALL = ["--limit", "256", "--test-limit", "200", "--batch-size", "64", "--no-progress"]


def _run(mnist_dir, *flags):
    args = example.parse_args(["--data-dir", str(mnist_dir), *SMALL, *flags])
    run = example.Run(args)
    return run


def _weights(run):
    return {k: v.numpy().copy() for k, v in run.model.state_dict().items()}


def test_one_epoch_on_2000_images_reaches_over_90_percent(mnist_dir, capsys):
    """Small batches give enough steps in one short epoch; seeds 1-3 reach 92.6-93.1% here."""
    args = example.parse_args(["--data-dir", str(mnist_dir), "--epochs", "1", "--limit", "2000", "--test-limit", "1000",
                               "--batch-size", "8", "--lr", "0.03", "--dropout", "0", "--no-augment", "--no-progress"])
    run = example.Run(args)
    run.fit()
    accuracy = run.history[-1]["test_accuracy"]
    assert accuracy > 90.0, f"accuracy after one epoch on 2,000 images: {accuracy:.2f}%"
    out = capsys.readouterr().out
    assert "Test set: Average loss: " in out and "Accuracy: " in out and "/1000 (" in out


def test_same_seed_gives_bit_identical_losses_and_weights(mnist_dir):
    first = _run(mnist_dir, "--epochs", "1", "--seed", "1")
    first.fit()
    second = _run(mnist_dir, "--epochs", "1", "--seed", "1")
    second.fit()
    assert first.history[0]["train_loss"] == second.history[0]["train_loss"]
    assert first.history[0]["test_loss"] == second.history[0]["test_loss"]
    for key, value in _weights(first).items():
        np.testing.assert_array_equal(value, _weights(second)[key], err_msg=key)
    third = _run(mnist_dir, "--epochs", "1", "--seed", "2")
    third.fit()
    assert third.history[0]["train_loss"] != first.history[0]["train_loss"]


def test_the_best_model_is_a_copy_of_the_best_epochs_weights(mnist_dir, tmp_path, monkeypatch):
    """The checkpoint's best model holds the weights of the best epoch, not the live parameters
    that later epochs go on updating (on the CPU the state dict shares their memory)."""
    checkpoint = tmp_path / "run.npz"
    run = _run(mnist_dir, "--epochs", "2", "--checkpoint", str(checkpoint))
    evaluate, accuracies, after_epoch = run.evaluate, iter([(0.5, 180, 200), (0.6, 170, 200)]), []

    def evaluate_as_if_the_first_epoch_were_best():
        evaluate()
        after_epoch.append(_weights(run))
        return next(accuracies)

    monkeypatch.setattr(run, "evaluate", evaluate_as_if_the_first_epoch_were_best)
    run.fit()
    best = tinynn.load(checkpoint)["best_model"]
    assert run.best["epoch"] == 1
    for key, value in after_epoch[0].items():
        np.testing.assert_array_equal(best[key].numpy(), value, err_msg=key)
    assert not np.array_equal(after_epoch[0]["features.0.weight"], after_epoch[1]["features.0.weight"])


def test_resuming_after_two_epochs_equals_four_uninterrupted_epochs(mnist_dir, tmp_path):
    straight = _run(mnist_dir, "--epochs", "4")
    straight.fit()
    checkpoint = tmp_path / "run.npz"
    first = _run(mnist_dir, "--epochs", "4", "--checkpoint", str(checkpoint))
    first.args.epochs = 2  # stop after two of the four scheduled epochs
    first.fit()
    tinynn.manual_seed(12345)  # the resumed run must not depend on the global state it starts in
    resumed = _run(mnist_dir, "--epochs", "4")
    resumed.load_state_dict(tinynn.load(checkpoint))
    resumed.fit()
    assert [h["train_loss"] for h in resumed.history] == [h["train_loss"] for h in straight.history]
    for key, value in _weights(straight).items():
        np.testing.assert_array_equal(value, _weights(resumed)[key], err_msg=key)


@pytest.mark.parametrize("name", ["run.npz", "run.pt"])  # tinynn's format, and PyTorch's
def test_resuming_mid_epoch_equals_an_uninterrupted_run(mnist_dir, tmp_path, name):
    straight = _run(mnist_dir, "--epochs", "2")
    straight.fit()
    checkpoint = tmp_path / name
    interrupted = _run(mnist_dir, "--epochs", "2", "--checkpoint", str(checkpoint))
    original_step = interrupted.scheduler.step
    calls = []

    def step_then_stop():
        original_step()
        calls.append(1)
        if len(calls) == 6:  # mid-way through the second epoch (4 steps per epoch)
            interrupted.request_stop()

    interrupted.scheduler.step = step_then_stop
    previous = signal.getsignal(signal.SIGINT)
    try:
        with pytest.raises(KeyboardInterrupt):
            interrupted.fit()
    finally:
        signal.signal(signal.SIGINT, previous)
    interrupted.save()
    resumed = _run(mnist_dir, "--epochs", "2")
    resumed.load_state_dict(tinynn.load(checkpoint))
    assert (resumed.epoch, resumed.step) == (2, 2)
    resumed.fit()
    for key, value in _weights(straight).items():
        np.testing.assert_array_equal(value, _weights(resumed)[key], err_msg=key)
    assert resumed.history == [{**h, "seconds": r["seconds"]} for h, r in zip(straight.history, resumed.history)]


def test_ctrl_c_saves_a_resumable_checkpoint_and_exits_cleanly(mnist_dir, tmp_path):
    checkpoint = tmp_path / "interrupted.npz"
    process = subprocess.Popen(
        [sys.executable, "-u", str(EXAMPLE), "--data-dir", str(mnist_dir), "--epochs", "50", "--limit", "512",
         "--test-limit", "100", "--batch-size", "32", "--no-progress", "--checkpoint", str(checkpoint)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    for line in process.stdout:
        if line.startswith("Test set"):
            break
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=120)
    assert process.returncode == 130, err
    assert "Traceback" not in err
    assert "saved a resumable checkpoint" in out
    state = tinynn.load(checkpoint)
    assert state["epoch"] >= 1 and 0 <= state["step"] < 16


def test_non_finite_loss_stops_training_with_a_clear_message(mnist_dir):
    run = _run(mnist_dir, "--epochs", "1")
    run.model.features[0].weight.data[0, 0, 0, 0] = np.nan
    with pytest.raises(tinynn.guard.NonFiniteError, match="non-finite loss nan at epoch 1 and step 0"):
        run.fit()


def test_guard_names_the_parameter_with_a_non_finite_gradient():
    layer = tinynn.nn.Linear(2, 1)
    loss = layer(tinynn.ones(1, 2)).sum()
    loss.backward()
    layer.bias.grad.data[0] = np.inf
    with pytest.raises(tinynn.guard.NonFiniteError, match=r"gradient in parameter 'bias' \(1,\) at epoch 3 and step 7"):
        tinynn.guard.check_finite(loss, layer.named_parameters(), epoch=3, step=7)


def test_gpu_without_a_gpu_is_one_clear_line_and_exit_code_2(mnist_dir):
    if tinynn.gpu_available():
        pytest.skip("a GPU is available here")
    result = subprocess.run([sys.executable, str(EXAMPLE), "--device", "gpu", "--data-dir", str(mnist_dir)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "GPU" in lines[0] and 'pip install "tinynn[gpu]"' in lines[0]


@pytest.mark.parametrize("flag, value, expected", [
    ("--epochs", "0", "expected a value >= 1, got 0"), ("--epochs", "-1", "expected a value >= 1, got -1"),
    ("--batch-size", "0", "expected a value >= 1"), ("--limit", "0", "expected a value >= 1"),
    ("--test-limit", "-5", "expected a value >= 1, got -5"), ("--lr", "-1", "expected a value >= 0, got -1"),
    ("--lr", "nan", "expected a value >= 0, got nan"), ("--momentum", "1.5", "expected a value >= 0 and <= 1"),
    ("--dropout", "1", "expected a value >= 0 and < 1, got 1"), ("--log-every", "0", "expected a value >= 1"),
    ("--epochs", "abc", "expected an integer, got 'abc'")])
def test_a_bad_option_is_a_usage_error_naming_it(capsys, flag, value, expected):
    """(--epochs 0 and --limit 0 failed in the learning-rate schedule, --batch-size 0 in the DataLoader, each
    with a traceback; --test-limit -5 evaluated on all but the last five test images.)"""
    with pytest.raises(SystemExit) as exit_:
        example.parse_args([flag, value])
    assert exit_.value.code == 2
    assert f"argument {flag}: {expected}" in capsys.readouterr().err


def test_missing_data_without_network_is_a_clear_error(tmp_path):
    env = dict(os.environ, TINYNN_DATA=str(tmp_path))
    code = ("import sys; sys.argv=['x', '--epochs', '1']; sys.path.insert(0, %r); "
            "import tinynn.data.mnist as m; m.MIRRORS = ('http://127.0.0.1:9/',); "
            "import runpy; runpy.run_path(%r, run_name='__main__')") % (str(ROOT), str(EXAMPLE))
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=env)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert str(tmp_path) in result.stderr and "TINYNN_DATA" in result.stderr


def test_resume_with_another_schedule_is_a_clear_error(mnist_dir, tmp_path, capsys):
    checkpoint = tmp_path / "run.npz"
    assert example.main(["--data-dir", str(mnist_dir), *SMALL, "--epochs", "1", "--checkpoint", str(checkpoint)]) == 0
    assert example.main(["--data-dir", str(mnist_dir), *SMALL, "--epochs", "3", "--lr", "0.1",
                         "--resume", str(checkpoint)]) == 2
    error = capsys.readouterr().err
    assert f"cannot resume from {checkpoint}: it was made with --epochs 1 (now 3), --lr 0.05 (now 0.1)" in error
    assert "resume with the values it was made with" in error


def test_resume_from_a_damaged_checkpoint_is_a_clear_error(mnist_dir, tmp_path):
    damaged = tmp_path / "damaged.npz"
    damaged.write_bytes(b"PK\x03\x04 not really a checkpoint")
    result = subprocess.run([sys.executable, str(EXAMPLE), "--data-dir", str(mnist_dir), "--limit", "64",
                             "--test-limit", "64", "--epochs", "1", "--resume", str(damaged)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert f"cannot resume from {damaged}" in result.stderr and "not a readable tinynn checkpoint" in result.stderr


def test_plot_writes_a_png_or_explains_what_is_missing(tmp_path, capsys):
    history = [{"epoch": 1, "train_loss": 0.5, "test_loss": 0.2, "test_accuracy": 97.0},
               {"epoch": 2, "train_loss": 0.1, "test_loss": 0.05, "test_accuracy": 99.0}]
    path = tmp_path / "curves.png"
    example.plot_history(history, path)
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        assert not path.exists()
        assert "--plot needs matplotlib" in capsys.readouterr().err
    else:
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_tensorboard_logs_the_curves_per_epoch_and_step(mnist_dir, tmp_path):
    from tinynn.utils.tensorboard import read_events

    logs = tmp_path / "logs"
    run = _run(mnist_dir, "--epochs", "2", "--tensorboard", str(logs), "--log-every", "2")
    run.fit()
    (path,) = logs.glob("events.out.tfevents.*")
    logged = {}
    for event in read_events(str(path)):
        for value in event.get("summary", []):
            logged.setdefault(value["tag"], []).append((event["step"], value["simple_value"]))
    assert [step for step, _ in logged["accuracy/test"]] == [1, 2]
    assert [value for _, value in logged["accuracy/test"]] == pytest.approx([h["test_accuracy"] for h in run.history])
    assert [value for _, value in logged["loss/train"]] == pytest.approx([h["train_loss"] for h in run.history])
    steps = [step for step, _ in logged["loss/train_step"]]
    assert steps[:3] == [0, 2, 3] and steps[-1] == 2 * 4 - 1  # every 2nd step and each epoch's last (4 a epoch)
    assert len(logged["learning_rate"]) == len(steps) and run.writer is None
