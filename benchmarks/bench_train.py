"""Side-by-side training-step benchmark: tinynn vs PyTorch on the seed MNIST model.

    python benchmarks/bench_train.py                  # CPU, batch 128
    python benchmarks/bench_train.py --device gpu     # CuPy vs PyTorch CUDA
    python benchmarks/bench_train.py --json out.json
    python benchmarks/bench_train.py --peers chainer,dezero --python chainer=peers/bin/python \
                                     --python dezero=peers/bin/python   # also the NumPy peers (seed_peers.py)

Each framework runs in a process of its own (a worker this script starts and drives), so neither
changes the other's conditions: importing tinynn tunes the process's malloc (see tinynn/memory.py),
which in a shared process would speed PyTorch up too (its batch-1000 evaluation about twofold),
and the two would share thread pools and GPU memory pools. PyTorch is thus measured as its users
run it. Both models start from the same weights and train on the same random MNIST-shaped batches
(forward, cross-entropy, backward, SGD with momentum). After a warm-up, rounds alternate between
the two workers (which one goes first alternates too), so drifts in machine speed hit both alike.
Reported: median step time with its interquartile range and min, the ratio tinynn/PyTorch, eval
throughput (images/s, no grad, batch 1000), and peak memory of a training run of each, measured
in a fresh worker (peak RSS on the CPU, peak device memory reserved by each framework's caching
allocator on the GPU). Without PyTorch it prints tinynn's figures alone. ``--same-process`` runs
both frameworks in this process instead (what the figures were before the workers existed).
"""
import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

STEPS_PER_EPOCH = 469  # MNIST's 60,000 training images at batch 128
EVAL_BATCH = 1000


class Unavailable(Exception):
    """The framework cannot run on the requested device here."""


class TinynnRunner:
    name = "tinynn"

    def __init__(self, images, labels, device, weights):
        import tinynn  # here, not at the top: a PyTorch worker must never import tinynn (see above)
        from tinynn.models import MnistTiny
        from tinynn.nn import functional

        self.tinynn, self.cross_entropy, self.device = tinynn, functional.cross_entropy, device
        self.version = tinynn.__version__
        self.model = MnistTiny().to(device)
        self.model.load_state_dict({key: tinynn.tensor(value) for key, value in weights.items()})
        self.optimizer = tinynn.optim.SGD(self.model.parameters(), lr=0.01, momentum=0.9)
        self.images = tinynn.tensor(images, device=device)
        self.labels = tinynn.tensor(labels, device=device)
        self.eval_images = tinynn.tensor(np.resize(images, (EVAL_BATCH,) + images.shape[1:]), device=device)

    def step(self):
        self.model.train()
        self.optimizer.zero_grad()
        loss = self.cross_entropy(self.model(self.images), self.labels)
        loss.backward()
        self.optimizer.step()
        return loss

    def eval_batch(self):
        self.model.eval()
        with self.tinynn.no_grad():
            return self.model(self.eval_images)

    def sync(self):
        self.tinynn.backend.synchronize(self.device)

    def device_memory_mb(self):
        # CuPy's pool never hands blocks back unasked, so what it holds at the end is its peak.
        return self.tinynn.backend.cupy_module().get_default_memory_pool().total_bytes() / 2 ** 20


class TorchRunner:
    name = "pytorch"

    def __init__(self, images, labels, device, weights):
        try:
            import torch
        except ImportError:
            raise Unavailable("PyTorch is not installed") from None
        if device == "gpu" and not torch.cuda.is_available():
            raise Unavailable("PyTorch has no CUDA device here")
        from seed_torch import torch_mnist_tiny

        torch.set_num_threads(os.cpu_count() or 1)
        self.torch, self.version = torch, torch.__version__
        self.device = "cuda" if device == "gpu" else "cpu"
        self.model = torch_mnist_tiny(torch).to(self.device)
        self.model.load_state_dict({key: torch.tensor(value) for key, value in weights.items()})
        self.optimizer = torch.optim.SGD(self.model.parameters(), lr=0.01, momentum=0.9)
        self.images = torch.tensor(images, device=self.device)
        self.labels = torch.tensor(labels, device=self.device)
        self.eval_images = torch.tensor(np.resize(images, (EVAL_BATCH,) + images.shape[1:]), device=self.device)

    def step(self):
        self.model.train()
        self.optimizer.zero_grad()
        loss = self.torch.nn.functional.cross_entropy(self.model(self.images), self.labels)
        loss.backward()
        self.optimizer.step()
        return loss

    def eval_batch(self):
        self.model.eval()
        with self.torch.no_grad():
            return self.model(self.eval_images)

    def sync(self):
        if self.device == "cuda":
            self.torch.cuda.synchronize()

    def device_memory_mb(self):
        return self.torch.cuda.max_memory_reserved() / 2 ** 20


class ChainerRunner:
    """Chainer on the CPU (its NumPy path; see seed_peers.py for installing it)."""

    name = "chainer"

    def __init__(self, images, labels, device, weights):
        if device != "cpu":
            raise Unavailable("the peers are measured on the CPU only")
        try:
            import chainer
        except Exception as error:  # not installed, or an import that fails on this NumPy
            raise Unavailable(f"Chainer cannot be imported here ({error!r}); see benchmarks/seed_peers.py") from None
        from seed_peers import chainer_mnist_tiny

        self.chainer, self.version = chainer, chainer.__version__
        self.model = chainer_mnist_tiny(weights)
        self.optimizer = chainer.optimizers.MomentumSGD(lr=0.01, momentum=0.9)
        self.optimizer.setup(self.model)
        self.images, self.labels = images, labels
        self.eval_images = np.resize(images, (EVAL_BATCH,) + images.shape[1:])

    def step(self):
        self.model.cleargrads()
        with self.chainer.using_config("train", True):
            loss = self.chainer.functions.softmax_cross_entropy(self.model(self.images), self.labels)
        loss.backward()
        self.optimizer.update()
        return loss

    def eval_batch(self):
        with self.chainer.using_config("train", False), self.chainer.no_backprop_mode():
            return self.model(self.eval_images)

    def sync(self):
        pass


class DezeroRunner:
    """DeZero, the framework of the book "Deep Learning from Scratch 3" (see seed_peers.py)."""

    name = "dezero"

    def __init__(self, images, labels, device, weights):
        if device != "cpu":
            raise Unavailable("the peers are measured on the CPU only")
        try:
            import dezero
        except Exception as error:
            raise Unavailable(f"DeZero cannot be imported here ({error!r}); see benchmarks/seed_peers.py") from None
        from importlib.metadata import version
        from seed_peers import dezero_mnist_tiny

        self.dezero, self.version = dezero, version("dezero")
        self.model = dezero_mnist_tiny(weights)
        self.optimizer = dezero.optimizers.MomentumSGD(lr=0.01, momentum=0.9).setup(self.model)
        self.images, self.labels = images, labels
        self.eval_images = np.resize(images, (EVAL_BATCH,) + images.shape[1:])

    def step(self):
        self.model.cleargrads()
        loss = self.dezero.functions.softmax_cross_entropy(self.model(self.images), self.labels)
        loss.backward()
        self.optimizer.update()
        return loss

    def eval_batch(self):
        with self.dezero.test_mode(), self.dezero.no_grad():
            return self.model(self.eval_images)

    def sync(self):
        pass


RUNNERS = {"tinynn": TinynnRunner, "pytorch": TorchRunner, "chainer": ChainerRunner, "dezero": DezeroRunner}
PEERS = ("chainer", "dezero")


def time_steps(runner, count):
    times = []
    for _ in range(count):
        runner.sync()
        start = time.perf_counter()
        runner.step()
        runner.sync()
        times.append(time.perf_counter() - start)
    return times


def eval_throughput(runner, repeats):
    runner.eval_batch()
    runner.sync()
    start = time.perf_counter()
    for _ in range(repeats):
        runner.eval_batch()
    runner.sync()
    return EVAL_BATCH * repeats / (time.perf_counter() - start)


def describe(times):
    ordered = sorted(times)
    quartiles = statistics.quantiles(ordered, n=4) if len(ordered) > 1 else ordered * 3
    return {"median_ms": statistics.median(ordered) * 1e3, "q1_ms": quartiles[0] * 1e3, "q3_ms": quartiles[2] * 1e3,
            "min_ms": ordered[0] * 1e3, "steps": len(ordered)}


def peak_rss_mb():
    """This process's peak resident memory. /proc's VmHWM starts afresh at exec; ru_maxrss does not
    (a child started by a large parent inherits the parent's peak), so it is only the fallback."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    scale = 1 if sys.platform == "darwin" else 1024  # ru_maxrss is in bytes on macOS, KiB on Linux
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale / 2 ** 20


class Worker:
    """One framework's runner and the commands the benchmark gives it: timed training steps, eval
    throughput, peak memory. ``LocalWorker`` runs it in this process, ``ProcessWorker`` in its own."""

    def __init__(self, framework, device, batch_size, weights_path):
        self.name, self.device = framework, device
        self.rss_at_start_mb = peak_rss_mb()
        self.runner = RUNNERS[framework](*make_batch(batch_size), device, dict(np.load(weights_path)))
        self.rss_before_training_mb = peak_rss_mb()
        self.malloc_tuned = getattr(sys.modules.get("tinynn.memory"), "applied", False)

    def answer(self, command):
        if "steps" in command:
            return {"times": time_steps(self.runner, command["steps"])}
        if "eval" in command:
            return {"images_per_s": eval_throughput(self.runner, command["eval"])}
        figures = {"peak_rss_mb": peak_rss_mb(), "rss_before_training_mb": self.rss_before_training_mb,
                   "rss_at_start_mb": self.rss_at_start_mb}
        if self.device == "gpu":
            figures["device_peak_mb"] = self.runner.device_memory_mb()
        return figures


class LocalWorker:
    def __init__(self, framework, device, batch_size, weights_path):
        self.name = framework
        self.worker = Worker(framework, device, batch_size, weights_path)
        self.version, self.malloc_tuned = self.worker.runner.version, self.worker.malloc_tuned

    def ask(self, **command):
        return self.worker.answer(command)

    def close(self):
        pass


class ProcessWorker:
    """A worker process (this script with --worker, run by ``python``) answering JSON commands, a line each."""

    def __init__(self, framework, device, batch_size, weights_path, python=sys.executable):
        self.name = framework
        command = [python, __file__, "--worker", framework, "--device", device,
                   "--batch-size", str(batch_size), "--weights", str(weights_path)]
        self.process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        hello = self._read()
        if "unavailable" in hello:
            self.close()
            raise Unavailable(hello["unavailable"])
        self.version, self.malloc_tuned = hello["version"], hello["malloc_tuned"]

    def _read(self):
        line = self.process.stdout.readline()
        if not line:
            code = self.process.wait()
            raise RuntimeError(f"the {self.name} worker stopped (exit code {code}); its error is printed above")
        return json.loads(line)

    def ask(self, **command):
        self.process.stdin.write(json.dumps(command) + "\n")
        self.process.stdin.flush()
        return self._read()

    def close(self):
        if self.process.poll() is None:
            self.process.stdin.close()
            self.process.wait(timeout=60)


def serve(args):
    """The worker process: build the runner, then answer commands from stdin until it closes."""
    replies = sys.stdout
    sys.stdout = sys.stderr  # anything the frameworks print must not mix with the replies
    try:
        worker = Worker(args.worker, args.device, args.batch_size, args.weights)
    except Unavailable as why:
        worker, hello = None, {"unavailable": str(why)}
    else:
        hello = {"version": worker.runner.version, "malloc_tuned": worker.malloc_tuned}
    print(json.dumps(hello), file=replies, flush=True)
    if worker is None:
        return
    for line in sys.stdin:
        print(json.dumps(worker.answer(json.loads(line))), file=replies, flush=True)


def make_batch(batch_size):
    rng = np.random.default_rng(0)
    return rng.standard_normal((batch_size, 1, 28, 28)).astype(np.float32), rng.integers(0, 10, batch_size)


def save_initial_weights(path):
    """The weights both frameworks start from: tinynn's initialisation with seed 0."""
    import tinynn
    from tinynn.models import MnistTiny

    tinynn.manual_seed(0)
    np.savez(path, **{key: value.numpy() for key, value in MnistTiny().state_dict().items()})


def start_workers(args, weights_path):
    workers = [start_worker("tinynn", args, weights_path)]
    for framework in ("pytorch",) + tuple(args.peers):
        try:
            workers.append(start_worker(framework, args, weights_path))
        except Unavailable as why:
            print(f"{why}: reporting without {framework}.")
    return workers


def start_worker(framework, args, weights_path):
    if args.same_process:
        return LocalWorker(framework, args.device, args.batch_size, weights_path)
    return ProcessWorker(framework, args.device, args.batch_size, weights_path, args.python.get(framework, sys.executable))


def peak_memory(framework, args, weights_path):
    """Peak memory of a training run of one framework alone, in a fresh worker process."""
    worker = ProcessWorker(framework, args.device, args.batch_size, weights_path,
                           args.python.get(framework, sys.executable))
    try:
        worker.ask(steps=args.steps * 2)
        return worker.ask(memory=True)
    finally:
        worker.close()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--rounds", type=int, default=8, help="alternating rounds after warm-up")
    parser.add_argument("--steps", type=int, default=5, help="training steps per framework per round")
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--eval-repeats", type=int, default=3)
    parser.add_argument("--no-memory", action="store_true", help="skip the peak-memory runs")
    parser.add_argument("--same-process", action="store_true",
                        help="run both frameworks in this process (tinynn's malloc tuning then applies to PyTorch too)")
    parser.add_argument("--json", default=None, help="also write the figures to this file")
    parser.add_argument("--peers", type=peer_list, default=(),
                        help="also measure these NumPy frameworks on the CPU: chainer, dezero (comma-separated)")
    parser.add_argument("--python", action="append", default=[], metavar="FRAMEWORK=PATH",
                        help="run that framework's worker with this Python (a virtual environment with the peers; "
                             "see seed_peers.py)")
    parser.add_argument("--worker", choices=sorted(RUNNERS), help=argparse.SUPPRESS)
    parser.add_argument("--weights", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.python = dict(python_option(option, parser) for option in args.python)
    if args.worker:
        serve(args)
        return None
    import tinynn

    args.device = tinynn.backend.canonical_device(args.device)
    if args.device == "gpu":
        try:
            tinynn.backend.cupy_module()
        except tinynn.DeviceError as error:
            print(f"error: {error}", file=sys.stderr)
            return 2
    with tempfile.TemporaryDirectory() as scratch:
        weights_path = Path(scratch) / "weights.npz"
        save_initial_weights(weights_path)
        results = measure(args, weights_path)
    report(results, args)
    return None


def peer_list(text):
    names = tuple(name.strip() for name in text.split(",") if name.strip())
    unknown = [name for name in names if name not in PEERS]
    if unknown:
        raise argparse.ArgumentTypeError(f"unknown peer {unknown[0]!r}; the peers are {', '.join(PEERS)}")
    return names


def python_option(option, parser):
    framework, separator, path = option.partition("=")
    if not separator or framework not in RUNNERS or not path:
        parser.error(f"--python expects FRAMEWORK=PATH with FRAMEWORK one of {', '.join(RUNNERS)}, got {option!r}")
    return framework, path


def measure(args, weights_path):
    workers = start_workers(args, weights_path)
    try:
        for worker in workers:
            worker.ask(steps=args.warmup)
        times = {worker.name: [] for worker in workers}
        for round_number in range(args.rounds):
            for worker in workers if round_number % 2 == 0 else workers[::-1]:
                times[worker.name] += worker.ask(steps=args.steps)["times"]
        eval_speed = {worker.name: worker.ask(eval=args.eval_repeats)["images_per_s"] for worker in workers}
    finally:
        for worker in workers:
            worker.close()
    results = {"device": args.device, "batch_size": args.batch_size, "machine": platform.processor() or platform.machine(),
               "cpu_count": os.cpu_count(), "numpy": np.__version__, "separate_processes": not args.same_process,
               "versions": {worker.name: worker.version for worker in workers}, "frameworks": {}}
    for worker in workers:
        figures = describe(times[worker.name])
        figures["epoch_s_estimate"] = figures["median_ms"] * STEPS_PER_EPOCH / 1e3
        figures["eval_images_per_s"] = eval_speed[worker.name]
        figures["malloc_tuned"] = worker.malloc_tuned  # tinynn's process-wide malloc settings in effect
        if not args.no_memory:
            figures["memory"] = peak_memory(worker.name, args, weights_path)
        results["frameworks"][worker.name] = figures
    return results


def report(results, args):
    frameworks = results["frameworks"]
    print(f"Seed MNIST model, batch {args.batch_size}, device {args.device}, {os.cpu_count()} CPU cores, "
          + ("all frameworks in one process" if args.same_process else "each framework in its own process"))
    print(f"{'':10}{'median ms':>11}{'IQR ms':>17}{'min ms':>9}{'s/epoch*':>10}{'eval img/s':>12}{'peak MB':>10}")
    for name, f in frameworks.items():
        memory = f.get("memory", {})
        peak = memory.get("device_peak_mb", memory.get("peak_rss_mb", float("nan")))
        print(f"{name:10}{f['median_ms']:>11.1f}{f['q1_ms']:>8.1f} - {f['q3_ms']:<6.1f}{f['min_ms']:>9.1f}"
              f"{f['epoch_s_estimate']:>10.1f}{f['eval_images_per_s']:>12.0f}{peak:>10.0f}")
    print("* training steps only: median step time x 469 steps")
    ours = frameworks["tinynn"]
    for other in frameworks:
        if other == "tinynn":
            continue
        ratios = compare(ours, frameworks[other], args)
        if other == "pytorch":  # the figures the README quotes, under the keys they always had
            results.update({f"{kind}_ratio": value for kind, value in ratios.items()})
        else:
            results.setdefault("peer_ratios", {})[other] = ratios
        label = "PyTorch" if other == "pytorch" else other
        print(f"ratio tinynn/{label}, median training step: {ratios['step']:.2f} (lower is better)")
        print(f"ratio tinynn/{label}, eval throughput: {ratios['eval']:.2f} (higher is better)")
        if "memory" in ratios:
            print(f"ratio tinynn/{label}, peak memory: {ratios['memory']:.2f} (lower is better)")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))
        print(f"wrote {args.json}")


def compare(ours, theirs, args):
    """tinynn's figures over another framework's: step time, eval throughput, peak memory."""
    ratios = {"step": ours["median_ms"] / theirs["median_ms"],
              "eval": ours["eval_images_per_s"] / theirs["eval_images_per_s"]}
    if not args.no_memory:
        key = "device_peak_mb" if args.device == "gpu" else "peak_rss_mb"
        ratios["memory"] = ours["memory"][key] / theirs["memory"][key]
    return ratios


if __name__ == "__main__":
    sys.exit(main())
