"""DataLoader throughput, tinynn beside PyTorch, with 0, 1, 2 ... worker processes.

    python benchmarks/bench_dataloader.py [--samples 20000] [--batch-size 128] [--workers 0 1 2]
                                          [--rounds 3] [--json PATH]

The dataset is one both frameworks read alike: MNIST-sized uint8 images made up in memory, each
sample converted to float, shifted by a random offset (NumPy's global generator, which both
loaders seed per worker) and normalised in ``__getitem__``, as a per-sample Python pipeline does.
Each figure is the median over ``--rounds`` of the seconds one shuffled epoch takes (workers
started, every batch collated and handed to the main process); the rounds alternate between the
frameworks. PyTorch batches are torch tensors, tinynn's tinynn tensors.
"""
import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

import tinynn  # noqa: E402


class ShiftedDigits:
    """``count`` random 28x28 uint8 images with labels; sample i is image i as float32 in [0, 1],
    rolled by up to 2 pixels each way and normalised, with its label."""

    def __init__(self, count):
        generator = np.random.default_rng(0)
        self.images = generator.integers(0, 256, (count, 1, 28, 28), dtype=np.uint8)
        self.labels = generator.integers(0, 10, count)

    def __len__(self):
        return len(self.images)

    def __getitem__(self, index):
        image = self.images[index].astype(np.float32) / 255.0
        shift = np.random.randint(-2, 3, size=2)
        image = np.roll(image, (int(shift[0]), int(shift[1])), axis=(1, 2))
        return (image - 0.1307) / 0.3081, int(self.labels[index])


def epoch_seconds(make_loader):
    start = time.perf_counter()
    batches = sum(1 for _ in make_loader())
    return time.perf_counter() - start, batches


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=20000)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--workers", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    try:
        import torch
        import torch.utils.data
    except ImportError:
        print("error: PyTorch is not installed; this side-by-side benchmark needs it", file=sys.stderr)
        return 2
    dataset = ShiftedDigits(args.samples)
    results = {}
    for workers in args.workers:
        loaders = {
            "tinynn": lambda: tinynn.data.DataLoader(dataset, args.batch_size, shuffle=True, num_workers=workers),
            "pytorch": lambda: torch.utils.data.DataLoader(dataset, args.batch_size, shuffle=True,
                                                           num_workers=workers),
        }
        rounds = {name: [] for name in loaders}
        for _ in range(args.rounds):
            for name, make_loader in loaders.items():
                seconds, batches = epoch_seconds(make_loader)
                assert batches == -(-args.samples // args.batch_size)
                rounds[name].append(seconds)
        medians = {name: statistics.median(times) for name, times in rounds.items()}
        results[workers] = dict(medians, ratio=medians["tinynn"] / medians["pytorch"])
    print(f"one shuffled epoch of {args.samples} samples, batch {args.batch_size}, per-sample shift and normalise")
    print(f"{'workers':>8}{'tinynn s':>10}{'PyTorch s':>11}{'ratio':>8}")
    for workers, figures in results.items():
        print(f"{workers:8}{figures['tinynn']:10.2f}{figures['pytorch']:11.2f}{figures['ratio']:8.2f}")
    if args.json:
        args.json.write_text(json.dumps({"samples": args.samples, "batch_size": args.batch_size,
                                         "workers": results}, indent=1))


if __name__ == "__main__":
    sys.exit(main())
