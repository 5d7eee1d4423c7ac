"""tinynn.save / tinynn.load: round trips, atomic writes, clear errors on bad files."""
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import tinynn
from tinynn import nn
from tinynn.serialization import CheckpointError


def test_model_and_optimizer_state_round_trip(tmp_path):
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4))
    optimizer = tinynn.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    model(tinynn.randn(5, 3)).sum().backward()
    optimizer.step()
    path = tmp_path / "checkpoint.npz"
    tinynn.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(), "epoch": 3,
                 "history": [1.5, float("nan")], "name": "run", "pair": (1, 2)}, path)
    loaded = tinynn.load(path)
    assert loaded["epoch"] == 3 and loaded["name"] == "run" and loaded["pair"] == (1, 2)
    assert np.isnan(loaded["history"][1])
    clone = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4))
    clone.load_state_dict(loaded["model"])
    for (name, a), (_, b) in zip(model.state_dict().items(), clone.state_dict().items()):
        np.testing.assert_array_equal(a.numpy(), b.numpy(), err_msg=name)
    other = tinynn.optim.SGD(clone.parameters(), lr=0.5, momentum=0.9)
    other.load_state_dict(loaded["optimizer"])
    assert other.param_groups[0]["lr"] == 0.1
    np.testing.assert_array_equal(other.state[clone[0].weight]["momentum_buffer"].numpy(),
                                  optimizer.state[model[0].weight]["momentum_buffer"].numpy())


def test_save_leaves_no_temporary_files_and_replaces_atomically(tmp_path):
    path = tmp_path / "model.npz"
    tinynn.save({"a": tinynn.ones(3)}, path)
    tinynn.save({"a": tinynn.zeros(3)}, path)
    assert os.listdir(tmp_path) == ["model.npz"]
    np.testing.assert_array_equal(tinynn.load(path)["a"].numpy(), 0)


def test_saving_to_a_folder_is_a_clear_error_that_writes_nothing(tmp_path):
    (tmp_path / "runs").mkdir()
    with pytest.raises(IsADirectoryError, match=r"save: .*runs is a folder; expected the path of a file to write, "
                                                r"such as .*runs/model\.pt"):
        tinynn.save({"a": tinynn.ones(3)}, tmp_path / "runs")
    assert os.listdir(tmp_path) == ["runs"] and os.listdir(tmp_path / "runs") == []


def test_a_process_killed_while_saving_leaves_the_previous_checkpoint_intact(tmp_path):
    path = tmp_path / "checkpoint.npz"
    tinynn.save({"generation": 0, "weights": tinynn.zeros(10)}, path)
    script = textwrap.dedent(f"""
        import os, sys
        sys.path.insert(0, {os.getcwd()!r})
        import numpy as np, tinynn
        original = np.savez
        def slow_savez(file, **arrays):
            file.write(b"PK partial bytes")
            file.flush()
            print("writing", flush=True)
            os.kill(os.getpid(), 9)  # die in the middle of the write
        np.savez = slow_savez
        tinynn.save({{"generation": 1, "weights": tinynn.ones(10)}}, {str(path)!r})
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert result.returncode == -9 and "writing" in result.stdout
    loaded = tinynn.load(path)
    assert loaded["generation"] == 0
    np.testing.assert_array_equal(loaded["weights"].numpy(), 0)


def test_truncated_and_foreign_files_give_clear_errors(tmp_path):
    path = tmp_path / "checkpoint.npz"
    tinynn.save({"w": tinynn.ones(1000)}, path)
    truncated = tmp_path / "truncated.npz"
    truncated.write_bytes(path.read_bytes()[:500])
    with pytest.raises(CheckpointError, match="truncated.npz is not a readable tinynn checkpoint"):
        tinynn.load(truncated)
    foreign = tmp_path / "foreign.npz"
    np.savez(foreign, x=np.zeros(2))
    with pytest.raises(CheckpointError, match="not a tinynn checkpoint"):
        tinynn.load(foreign)
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    with pytest.raises(CheckpointError, match=r"notes.txt is not a readable tinynn checkpoint: not a zip archive.*"
                                              r"it begins b'hello'") as info:
        tinynn.load(text)
    assert "allow_pickle" not in str(info.value)  # (NumPy's advice, for an argument tinynn's load has not)
    with pytest.raises(FileNotFoundError, match="no such file"):
        tinynn.load(tmp_path / "missing.npz")


def test_unsupported_values_are_refused(tmp_path):
    with pytest.raises(TypeError, match="tinynn's format cannot hold a value of type object .* save its state_dict\\(\\), "
                                        "or save the object itself with format='torch'"):
        tinynn.save({"x": object()}, tmp_path / "x.npz")
    assert not (tmp_path / "x.npz").exists()
