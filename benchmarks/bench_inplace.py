"""In-place activations, tinynn beside PyTorch: what ``nn.ReLU(inplace=True)`` saves and costs.

    python benchmarks/bench_inplace.py [--blocks 6] [--channels 16] [--size 32] [--batch-size 64]
                                       [--rounds 5] [--steps 5] [--same-process] [--json PATH]

The network is ``--blocks`` times (Conv2d 3x3, BatchNorm2d, ReLU), then a linear layer, run once
with plain ReLUs and once with ``inplace=True`` (the same weights). Each figure is the median time
of a training step (forward, backward) over ``--rounds`` rounds of ``--steps`` steps each, the
rounds alternating between the frameworks and the two variants (a round's first step, after
another framework's, is the slowest: 103, 94, 82, then 77 ms here). Each framework runs in a worker process of its own (this script
with ``--worker``), as in bench_train.py: in one process PyTorch's OpenMP threads, spinning after
its operations, take cores from tinynn's threads, and tinynn's malloc setting speeds PyTorch up
(measured on this network, each framework alone: tinynn 76-81 ms and PyTorch 48-52 ms; in one process
88-111 and 44-51 ms); ``--same-process`` runs both here, to see that. tinynn's peak memory is what NumPy
allocated during a step, traced by ``tracemalloc`` (PyTorch's CPU allocator has no such count, so
only its times are shown): an in-place ReLU writes into the batch norm's output instead of
allocating its own, one activation per block.
"""
import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

from traced_memory import traced_peak_mb  # noqa: E402

SIZES = ("blocks", "channels", "size", "batch_size")


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


class Runner:
    """One framework's two networks (plain and in-place ReLUs) on the saved weights and images."""

    def __init__(self, framework, data_path, sizes):
        data = np.load(data_path)
        if framework == "tinynn":
            import tinynn as library
        else:
            import torch as library
        self.framework, self.runs = framework, {}
        for inplace in (False, True):
            model = network(library, *(sizes[name] for name in SIZES[:3]), inplace)
            model.load_state_dict({key[len("weights."):]: library.tensor(data[key]) for key in data.files
                                   if key.startswith("weights.")})
            self.runs[inplace] = (model, library.tensor(data["images"]))
            step(*self.runs[inplace])  # warm-up

    def time(self, inplace, steps):
        return [timed(*self.runs[inplace]) for _ in range(steps)]

    def peak_mb(self, inplace):
        return traced_peak_mb(lambda: step(*self.runs[inplace])) if self.framework == "tinynn" else None


class ProcessWorker:
    def __init__(self, framework, data_path, args):
        command = [sys.executable, __file__, "--worker", framework, "--data", str(data_path)]
        for name in SIZES:
            command += [f"--{name.replace('_', '-')}", str(getattr(args, name))]
        self.process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self._read()  # ready

    def _read(self):
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"a worker stopped (exit code {self.process.wait()}); its error is printed above")
        return json.loads(line)

    def _ask(self, what, *arguments):
        self.process.stdin.write(json.dumps({"what": what, "arguments": arguments}) + "\n")
        self.process.stdin.flush()
        return self._read()["value"]

    def time(self, inplace, steps):
        return self._ask("time", inplace, steps)

    def peak_mb(self, inplace):
        return self._ask("peak_mb", inplace)

    def close(self):
        self.process.stdin.close()
        self.process.wait(timeout=60)


def serve(framework, data_path, sizes):
    replies, sys.stdout = sys.stdout, sys.stderr  # whatever the frameworks print must not mix with the replies
    runner = Runner(framework, data_path, sizes)
    print(json.dumps({"ready": True}), file=replies, flush=True)
    for line in sys.stdin:
        command = json.loads(line)
        value = getattr(runner, command["what"])(*command["arguments"])
        print(json.dumps({"value": value}), file=replies, flush=True)


def save_data(path, args):
    """tinynn's initial weights and the images, for both frameworks."""
    import tinynn

    tinynn.manual_seed(0)
    model = network(tinynn, args.blocks, args.channels, args.size, False)
    arrays = {f"weights.{key}": value.numpy() for key, value in model.state_dict().items()}
    shape = (args.batch_size, 3, args.size, args.size)
    arrays["images"] = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    np.savez(path, **arrays)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--blocks", type=int, default=6)
    parser.add_argument("--channels", type=int, default=16)
    parser.add_argument("--size", type=int, default=32)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--steps", type=int, default=5, help="training steps per framework and variant per round")
    parser.add_argument("--same-process", action="store_true", help="run both frameworks in this process")
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--worker", choices=["tinynn", "torch"], help=argparse.SUPPRESS)
    parser.add_argument("--data", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        return serve(args.worker, args.data, {name: getattr(args, name) for name in SIZES})
    frameworks = ["tinynn"]
    try:
        import torch  # noqa: F401
        frameworks.append("torch")
    except ImportError:
        pass
    with tempfile.TemporaryDirectory() as folder:
        data_path = Path(folder) / "data.npz"
        save_data(data_path, args)
        sizes = {name: getattr(args, name) for name in SIZES}
        runners = {framework: Runner(framework, data_path, sizes) if args.same_process
                   else ProcessWorker(framework, data_path, args) for framework in frameworks}
        try:
            times = {(framework, inplace): [] for framework in frameworks for inplace in (False, True)}
            for _ in range(args.rounds):
                for (framework, inplace), samples in times.items():
                    samples.extend(runners[framework].time(inplace, args.steps))
            peaks = {inplace: runners["tinynn"].peak_mb(inplace) for inplace in (False, True)}
        finally:
            for runner in runners.values():
                if isinstance(runner, ProcessWorker):
                    runner.close()
    names = {"tinynn": "tinynn", "torch": "pytorch"}
    figures = {f"{names[framework]} {'inplace' if inplace else 'plain'}": {"step_ms": statistics.median(samples)}
               for (framework, inplace), samples in times.items()}
    for inplace in (False, True):
        figures[f"tinynn {'inplace' if inplace else 'plain'}"]["peak_mb"] = peaks[inplace]
    placement = "both in this process" if args.same_process else "a process each"
    print(f"{args.blocks} x (Conv2d {args.channels}, BatchNorm2d, ReLU), batch {args.batch_size}, {args.size}x{args.size}, "
          f"one training step; {placement}")
    print(f"{'':18}{'step ms':>10}{'peak MB':>10}")
    for name, figure in figures.items():
        peak = f"{figure['peak_mb']:10.1f}" if "peak_mb" in figure else f"{'-':>10}"
        print(f"{name:18}{figure['step_ms']:10.1f}{peak}")
    saved = figures["tinynn plain"]["peak_mb"] - figures["tinynn inplace"]["peak_mb"]
    activation_mb = args.batch_size * args.channels * args.size ** 2 * 4 / 2 ** 20
    print(f"tinynn: inplace ReLUs save {saved:.1f} MB of {figures['tinynn plain']['peak_mb']:.1f} "
          f"(one activation is {activation_mb:.1f} MB)")
    for framework in ("tinynn", "pytorch"):
        if f"{framework} plain" in figures:
            ratio = figures[f"{framework} inplace"]["step_ms"] / figures[f"{framework} plain"]["step_ms"]
            print(f"{framework}: step time inplace/plain {ratio:.2f}")
    if "pytorch plain" in figures:
        print(f"tinynn/PyTorch, plain step: {figures['tinynn plain']['step_ms'] / figures['pytorch plain']['step_ms']:.2f}")
    if args.json:
        args.json.write_text(json.dumps({"same_process": args.same_process, "steps": figures}, indent=1))


if __name__ == "__main__":
    main()
