"""In-place activations, tinynn beside PyTorch: what ``nn.ReLU(inplace=True)`` saves and costs.

    python benchmarks/bench_inplace.py [--blocks 6] [--channels 16] [--size 32] [--batch-size 64]
                                       [--rounds 5] [--json PATH]

The network is ``--blocks`` times (Conv2d 3x3, BatchNorm2d, ReLU), then a linear layer, run once
with plain ReLUs and once with ``inplace=True`` (the same weights). Each figure is the median over
``--rounds`` of one training step (forward, backward), the rounds alternating between the
frameworks and the two variants. tinynn's peak memory is what NumPy allocated during a step, traced
by ``tracemalloc`` (PyTorch's CPU allocator has no such count, so only its times are shown): an
in-place ReLU writes into the batch norm's output instead of allocating its own, one activation
per block.
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


def network(library, blocks, channels, size, inplace):
    nn = library.nn
    layers = []
    for block in range(blocks):
        layers += [nn.Conv2d(3 if block == 0 else channels, channels, 3, padding=1), nn.BatchNorm2d(channels),
                   nn.ReLU(inplace=inplace)]
    return nn.Sequential(*layers, nn.Flatten(), nn.Linear(channels * size * size, 10))


def step(model, images):
    model.zero_grad()
    model(images).sum().backward()


def timed(model, images):
    start = time.perf_counter()
    step(model, images)
    return (time.perf_counter() - start) * 1000


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--blocks", type=int, default=6)
    parser.add_argument("--channels", type=int, default=16)
    parser.add_argument("--size", type=int, default=32)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    try:
        import torch
    except ImportError:
        torch = None
    shape = (args.batch_size, 3, args.size, args.size)
    values = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    runs = {}
    for inplace in (False, True):
        tinynn.manual_seed(0)
        ours = network(tinynn, args.blocks, args.channels, args.size, inplace)
        runs[("tinynn", inplace)] = (ours, tinynn.tensor(values))
        if torch is not None:
            theirs = network(torch, args.blocks, args.channels, args.size, inplace)
            theirs.load_state_dict({k: torch.tensor(v.numpy()) for k, v in ours.state_dict().items()})
            runs[("pytorch", inplace)] = (theirs, torch.tensor(values))
    for model, images in runs.values():  # warm-up
        step(model, images)
    times = {key: [] for key in runs}
    for _ in range(args.rounds):
        for key, (model, images) in runs.items():
            times[key].append(timed(model, images))
    figures = {f"{framework} {'inplace' if inplace else 'plain'}": {"step_ms": statistics.median(times[(framework, inplace)])}
               for framework, inplace in runs}
    for inplace in (False, True):
        peak = traced_peak_mb(lambda: step(*runs[("tinynn", inplace)]))
        figures[f"tinynn {'inplace' if inplace else 'plain'}"]["peak_mb"] = peak
    print(f"{args.blocks} x (Conv2d {args.channels}, BatchNorm2d, ReLU), batch {args.batch_size}, {args.size}x{args.size}, "
          "one training step")
    print(f"{'':18}{'step ms':>10}{'peak MB':>10}")
    for name, figure in figures.items():
        peak = f"{figure['peak_mb']:10.1f}" if "peak_mb" in figure else f"{'-':>10}"
        print(f"{name:18}{figure['step_ms']:10.1f}{peak}")
    saved = figures["tinynn plain"]["peak_mb"] - figures["tinynn inplace"]["peak_mb"]
    print(f"tinynn: inplace ReLUs save {saved:.1f} MB of {figures['tinynn plain']['peak_mb']:.1f} "
          f"(one activation is {np.prod(shape[:1]) * args.channels * args.size ** 2 * 4 / 2 ** 20:.1f} MB)")
    for framework in ("tinynn", "pytorch"):
        if f"{framework} plain" in figures:
            ratio = figures[f"{framework} inplace"]["step_ms"] / figures[f"{framework} plain"]["step_ms"]
            print(f"{framework}: step time inplace/plain {ratio:.2f}")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1))


if __name__ == "__main__":
    main()
