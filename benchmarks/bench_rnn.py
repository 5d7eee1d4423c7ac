"""Recurrent layers, tinynn beside PyTorch: one forward and backward of LSTM, GRU and RNN layers.

    python benchmarks/bench_rnn.py [--seq-len 28] [--batch-size 128] [--input-size 28] [--hidden-size 128]
                                   [--rounds 8] [--repeats 8] [--torch-threads N] [--json PATH]

Both frameworks run in this process, alternating rounds on the same weights and inputs; each
figure is the median time of a forward pass plus ``sum().backward()``. PyTorch uses
``--torch-threads`` threads (default: its own choice); tinynn's matrix products run on one BLAS
thread (see tinynn.blas). The ratio tinynn/PyTorch is what the side-by-side rounds make reliable.
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


def timed(run, repeats):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1e3


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seq-len", type=int, default=28)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--input-size", type=int, default=28)
    parser.add_argument("--hidden-size", type=int, default=128)
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--repeats", type=int, default=8)
    parser.add_argument("--torch-threads", type=int, default=None)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    try:
        import torch
    except ImportError:
        print("error: PyTorch is not installed; this side-by-side benchmark needs it", file=sys.stderr)
        return 2
    if args.torch_threads:
        torch.set_num_threads(args.torch_threads)
    values = np.random.default_rng(0).standard_normal((args.seq_len, args.batch_size, args.input_size)).astype(np.float32)
    results = {}
    for kind in ("LSTM", "GRU", "RNN"):
        ours = getattr(tinynn.nn, kind)(args.input_size, args.hidden_size)
        theirs = getattr(torch.nn, kind)(args.input_size, args.hidden_size)
        theirs.load_state_dict({k: torch.tensor(v.numpy()) for k, v in ours.state_dict().items()})
        x, tx = tinynn.tensor(values, requires_grad=True), torch.tensor(values, requires_grad=True)

        def run_ours():
            ours(x)[0].sum().backward()

        def run_theirs():
            theirs(tx)[0].sum().backward()

        for run in (run_ours, run_theirs):  # warm-up
            run()
        rounds = {"tinynn": [], "pytorch": []}
        for _ in range(args.rounds):
            rounds["tinynn"].append(timed(run_ours, args.repeats))
            rounds["pytorch"].append(timed(run_theirs, args.repeats))
        medians = {name: statistics.median(times) for name, times in rounds.items()}
        results[kind] = dict(medians, ratio=medians["tinynn"] / medians["pytorch"])
    print(f"{args.seq_len} steps, batch {args.batch_size}, {args.input_size} -> {args.hidden_size}, forward + backward, "
          f"PyTorch on {torch.get_num_threads()} thread(s)")
    print(f"{'':6}{'tinynn ms':>12}{'PyTorch ms':>12}{'ratio':>8}")
    for kind, figures in results.items():
        print(f"{kind:6}{figures['tinynn']:12.1f}{figures['pytorch']:12.1f}{figures['ratio']:8.2f}")
    if args.json:
        args.json.write_text(json.dumps({"torch_threads": torch.get_num_threads(), "layers": results}, indent=1))


if __name__ == "__main__":
    sys.exit(main())
