"""examples/inspect_mnist.py: per-layer statistics and gradient norms for a few real training steps."""
import numpy as np

from helpers import load_script


def test_inspection_records_every_layer_every_step(mnist_dir, capsys):
    module = load_script("examples/inspect_mnist.py")
    history = module.main(["--steps", "3", "--every", "2", "--batch-size", "32", "--data-dir", str(mnist_dir)])
    assert len(history) == 3
    stats = history[-1]["stats"]
    assert len(stats) == 31 and "features.0 Conv2d" in stats and "classifier Linear" in stats
    assert all(np.isfinite(row["grad_norm"]) and row["grad_norm"] > 0 for row in stats.values())
    assert 0.3 < stats["features.1 ReLU"]["zeros"] < 0.8, "about half of the ReLU outputs are zero"
    assert set(history[-1]["grads"]) >= {"features.0.weight", "classifier.bias"}
    out = capsys.readouterr().out
    assert "step 0, loss" in out and "step 2, loss" in out and "|dL/dout|" in out
