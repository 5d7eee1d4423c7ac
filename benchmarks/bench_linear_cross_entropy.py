"""A classifier head with many classes, tinynn beside PyTorch: ``F.linear_cross_entropy`` plain
(the (N, C) logits and their gradient made whole) and chunked (``options=LinearCrossEntropyOptions()``,
the logits made a chunk of rows at a time).

    python benchmarks/bench_linear_cross_entropy.py [--batch 2048] [--features 128] [--classes 32000]
                                                     [--rounds 5] [--json PATH]

Each figure is the median over ``--rounds`` of one forward and backward pass (loss "mean"), the
rounds alternating between the frameworks and the two paths. tinynn's peak memory is what NumPy
allocated during a pass, traced by ``tracemalloc`` (PyTorch's CPU allocator has no such count, so
only its times are shown).
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


def make(library, values, chunked):
    tensor = library.tensor
    x, weight, target = values
    inputs = (tensor(x, requires_grad=True), tensor(weight, requires_grad=True), tensor(target))
    options = (library.nn.LinearCrossEntropyOptions() if chunked else None)
    return inputs, options


def one_pass(library, inputs, options):
    x, weight, target = inputs
    x.grad = weight.grad = None
    library.nn.functional.linear_cross_entropy(x, weight, target, options=options).backward()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=2048)
    parser.add_argument("--features", type=int, default=128)
    parser.add_argument("--classes", type=int, default=32000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    rng = np.random.default_rng(0)
    values = (rng.standard_normal((args.batch, args.features)).astype(np.float32),
              (rng.standard_normal((args.classes, args.features)) / np.sqrt(args.features)).astype(np.float32),
              rng.integers(0, args.classes, args.batch))
    libraries = {"tinynn": tinynn}
    try:
        import torch

        torch.set_num_threads(max(1, torch.get_num_threads()))
        libraries["PyTorch"] = torch
    except ImportError:
        print("PyTorch is not installed: tinynn alone")
    runs = {(name, chunked): make(library, values, chunked) for name, library in libraries.items()
            for chunked in (False, True)}
    times = {key: [] for key in runs}
    for key, (inputs, options) in runs.items():  # warm-up
        one_pass(libraries[key[0]], inputs, options)
    for _ in range(args.rounds):
        for key, (inputs, options) in runs.items():
            start = time.perf_counter()
            one_pass(libraries[key[0]], inputs, options)
            times[key].append(time.perf_counter() - start)
    figures = {f"{name} {'chunked' if chunked else 'plain'}": {"ms": statistics.median(times[(name, chunked)]) * 1e3}
               for name, chunked in runs}
    for chunked in (False, True):
        peak = traced_peak_mb(lambda: one_pass(tinynn, *runs[("tinynn", chunked)]))
        figures[f"tinynn {'chunked' if chunked else 'plain'}"]["peak_mb"] = peak
    logits_mb = args.batch * args.classes * 4 / 2 ** 20
    print(f"batch {args.batch}, {args.features} features, {args.classes} classes (the float32 logits: "
          f"{logits_mb:.0f} MB), forward + backward")
    print(f"{'':18}{'ms':>10}{'peak MB':>10}")
    for name, figure in figures.items():
        peak = f"{figure['peak_mb']:10.1f}" if "peak_mb" in figure else f"{'-':>10}"
        print(f"{name:18}{figure['ms']:10.1f}{peak}")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))
    return figures


if __name__ == "__main__":
    main()
