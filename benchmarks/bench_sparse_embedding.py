"""A large embedding table trained a step at a time, tinynn beside PyTorch: sparse gradients
(``EmbeddingBag(sparse=True)`` with ``SparseAdam``) against dense ones (``sparse=False`` with ``Adam``).

    python benchmarks/bench_sparse_embedding.py [--vocabulary 200000] [--dim 64] [--bags 512]
                                                [--bag-size 20] [--rounds 7] [--json PATH]

A step: the bags' summed rows, a loss of them, backward, the optimizer's step. With a dense
gradient the backward makes a (vocabulary, dim) array of mostly zeros and Adam updates every row;
with a sparse one both touch only the bags' rows. Each figure is the median over ``--rounds`` of
one step, the rounds alternating between the frameworks and the two paths on the same table and
bags, in this process. tinynn's peak memory is what NumPy allocated during a step, traced by
``tracemalloc`` (PyTorch's CPU allocator has no such count).
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
from traced_memory import traced_peak_mb  # noqa: E402


class TableTraining:
    """One framework's table (its own copy of the same values), bags and optimizer for one path."""

    def __init__(self, library, table, bags, sparse):
        self.library = library
        self.layer = library.nn.EmbeddingBag(*table.shape, mode="sum", sparse=sparse)
        with library.no_grad():
            self.layer.weight.copy_(library.tensor(table))
        self.bags = library.tensor(bags)
        optimizer = library.optim.SparseAdam if sparse else library.optim.Adam
        self.optimizer = optimizer(self.layer.parameters(), lr=1e-3)
        self.step()  # warm-up: the optimizer's state is made

    def step(self):
        self.optimizer.zero_grad()
        self.layer(self.bags).pow(2).mean().backward()
        self.optimizer.step()

    def timed_ms(self):
        start = time.perf_counter()
        self.step()
        return (time.perf_counter() - start) * 1e3


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vocabulary", type=int, default=200_000)
    parser.add_argument("--dim", type=int, default=64)
    parser.add_argument("--bags", type=int, default=512)
    parser.add_argument("--bag-size", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    rng = np.random.default_rng(0)
    table = (rng.standard_normal((args.vocabulary, args.dim)) * 0.1).astype(np.float32)
    bags = rng.integers(0, args.vocabulary, (args.bags, args.bag_size))
    libraries = {"tinynn": tinynn}
    try:
        import torch
        libraries["PyTorch"] = torch
    except ImportError:
        print("PyTorch is not installed: tinynn's figures only", file=sys.stderr)
    runs = {f"{name} {path}": TableTraining(library, table, bags, path == "sparse")
            for name, library in libraries.items() for path in ("sparse", "dense")}
    times = {name: [] for name in runs}
    for _ in range(args.rounds):
        for name, run in runs.items():
            times[name].append(run.timed_ms())
    figures = {name: {"ms": statistics.median(values)} for name, values in times.items()}
    for path in ("sparse", "dense"):
        figures[f"tinynn {path}"]["peak_mb"] = traced_peak_mb(runs[f"tinynn {path}"].step)
    print(f"table {args.vocabulary} x {args.dim} (float32, {table.nbytes / 2 ** 20:.1f} MB), {args.bags} bags of "
          f"{args.bag_size}; one training step, median of {args.rounds}")
    print(f"{'':16}{'ms':>9}{'peak MB':>10}")
    for name, entry in figures.items():
        peak = f"{entry['peak_mb']:10.1f}" if "peak_mb" in entry else f"{'':>10}"
        print(f"{name:16}{entry['ms']:9.2f}{peak}")
    print(f"tinynn sparse/dense: {figures['tinynn sparse']['ms'] / figures['tinynn dense']['ms']:.3f}")
    if "PyTorch sparse" in figures:
        for path in ("sparse", "dense"):
            ratio = figures[f"tinynn {path}"]["ms"] / figures[f"PyTorch {path}"]["ms"]
            print(f"tinynn/PyTorch, {path}: {ratio:.2f}")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1))


if __name__ == "__main__":
    sys.exit(main())
