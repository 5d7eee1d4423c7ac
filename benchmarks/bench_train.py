"""Side-by-side training-step benchmark: tinynn vs PyTorch on the seed MNIST model.

    python benchmarks/bench_train.py                  # CPU, batch 128
    python benchmarks/bench_train.py --device gpu     # CuPy vs PyTorch CUDA
    python benchmarks/bench_train.py --json out.json

Both models start from the same weights and train on the same random MNIST-shaped batches
(forward, cross-entropy, backward, SGD with momentum). After a warm-up, rounds alternate
between the two frameworks (which one goes first alternates too), so drifts in machine speed hit
both alike. Reported: median step time with its interquartile range and min, the ratio
tinynn/PyTorch, eval throughput (images/s, no grad, batch 1000), and peak memory of a training
run of each measured in a separate child process (peak RSS on the CPU, peak device memory
reserved by each framework's caching allocator on the GPU). Without PyTorch it prints tinynn's figures alone.
"""
import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import numpy as np  # noqa: E402

import tinynn  # noqa: E402
from tinynn.models import MnistTiny  # noqa: E402
from tinynn.nn import functional as F  # noqa: E402

STEPS_PER_EPOCH = 469  # MNIST's 60,000 training images at batch 128


def import_torch(device):
    try:
        import torch
    except ImportError:
        return None
    if device == "gpu" and not torch.cuda.is_available():
        return None
    torch.set_num_threads(os.cpu_count() or 1)
    return torch


class TinynnRunner:
    name = "tinynn"

    def __init__(self, images, labels, device, state=None):
        tinynn.manual_seed(0)
        self.device = device
        self.model = MnistTiny().to(device)
        if state is not None:
            self.model.load_state_dict(state)
        self.optimizer = tinynn.optim.SGD(self.model.parameters(), lr=0.01, momentum=0.9)
        self.images = tinynn.tensor(images, device=device)
        self.labels = tinynn.tensor(labels, device=device)
        self.eval_images = tinynn.tensor(np.resize(images, (1000,) + images.shape[1:]), device=device)

    def step(self):
        self.model.train()
        self.optimizer.zero_grad()
        loss = F.cross_entropy(self.model(self.images), self.labels)
        loss.backward()
        self.optimizer.step()
        return loss

    def eval_batch(self):
        self.model.eval()
        with tinynn.no_grad():
            return self.model(self.eval_images)

    def sync(self):
        tinynn.backend.synchronize(self.device)


class TorchRunner:
    name = "pytorch"

    def __init__(self, torch, images, labels, device, state):
        from seed_torch import torch_mnist_tiny

        self.torch = torch
        self.device = "cuda" if device == "gpu" else "cpu"
        self.model = torch_mnist_tiny(torch).to(self.device)
        self.model.load_state_dict({k: torch.tensor(v.numpy()) for k, v in state.items()})
        self.optimizer = torch.optim.SGD(self.model.parameters(), lr=0.01, momentum=0.9)
        self.images = torch.tensor(images, device=self.device)
        self.labels = torch.tensor(labels, device=self.device)
        self.eval_images = torch.tensor(np.resize(images, (1000,) + images.shape[1:]), device=self.device)

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
    return 1000 * repeats / (time.perf_counter() - start)


def describe(times):
    ordered = sorted(times)
    quartiles = statistics.quantiles(ordered, n=4)
    return {"median_ms": statistics.median(ordered) * 1e3, "q1_ms": quartiles[0] * 1e3, "q3_ms": quartiles[2] * 1e3,
            "min_ms": ordered[0] * 1e3, "steps": len(ordered)}


def peak_memory(framework, device, batch_size, steps):
    """Peak memory of `steps` training steps of one framework alone, measured in a child process."""
    command = [sys.executable, __file__, "--memory-child", framework, "--device", device,
               "--batch-size", str(batch_size), "--steps", str(steps)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=900)
    if result.returncode != 0:
        raise RuntimeError(f"memory measurement of {framework} failed:\n{result.stderr}")
    return json.loads(result.stdout.strip().splitlines()[-1])


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


def memory_child(args):
    images, labels = make_batch(args.batch_size)
    baseline = peak_rss_mb()
    if args.memory_child == "tinynn":
        runner = TinynnRunner(images, labels, args.device)
    else:
        torch = import_torch(args.device)
        state = MnistTiny().state_dict()
        runner = TorchRunner(torch, images, labels, args.device, state)
    after_import = peak_rss_mb()
    for _ in range(args.steps):
        runner.step()
    runner.sync()
    peak = peak_rss_mb()
    figures = {"peak_rss_mb": peak, "rss_before_training_mb": after_import, "rss_at_start_mb": baseline}
    if args.device == "gpu":
        if args.memory_child == "tinynn":
            pool = tinynn.backend.cupy_module().get_default_memory_pool()
            # Both figures are memory reserved by the framework's caching allocator: CuPy's pool never
            # hands blocks back unasked, so what it holds at the end is its peak.
            figures["device_peak_mb"] = pool.total_bytes() / 2 ** 20
        else:
            figures["device_peak_mb"] = runner.torch.cuda.max_memory_reserved() / 2 ** 20
    print(json.dumps(figures))


def make_batch(batch_size):
    rng = np.random.default_rng(0)
    return rng.standard_normal((batch_size, 1, 28, 28)).astype(np.float32), rng.integers(0, 10, batch_size)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--rounds", type=int, default=8, help="alternating rounds after warm-up")
    parser.add_argument("--steps", type=int, default=5, help="training steps per framework per round")
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--eval-repeats", type=int, default=3)
    parser.add_argument("--no-memory", action="store_true", help="skip the peak-memory child processes")
    parser.add_argument("--json", default=None, help="also write the figures to this file")
    parser.add_argument("--memory-child", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.device = tinynn.backend.canonical_device(args.device)
    if args.memory_child:
        memory_child(args)
        return
    if args.device == "gpu":
        try:
            tinynn.backend.cupy_module()
        except tinynn.DeviceError as error:
            print(f"error: {error}", file=sys.stderr)
            return 2

    images, labels = make_batch(args.batch_size)
    ours = TinynnRunner(images, labels, args.device)
    torch = import_torch(args.device)
    runners = [ours]
    if torch is not None:
        runners.append(TorchRunner(torch, images, labels, args.device,
                                   {k: v.detach().to("cpu") for k, v in ours.model.state_dict().items()}))
    else:
        print("PyTorch is not installed (or has no CUDA here): reporting tinynn alone.")
    for runner in runners:
        time_steps(runner, args.warmup)
    times = {runner.name: [] for runner in runners}
    for round_number in range(args.rounds):
        order = runners if round_number % 2 == 0 else runners[::-1]
        for runner in order:
            times[runner.name] += time_steps(runner, args.steps)

    results = {"device": args.device, "batch_size": args.batch_size, "machine": platform.processor() or platform.machine(),
               "cpu_count": os.cpu_count(), "numpy": np.__version__,
               "torch": torch.__version__ if torch is not None else None, "frameworks": {}}
    for runner in runners:
        figures = describe(times[runner.name])
        figures["epoch_s_estimate"] = figures["median_ms"] * STEPS_PER_EPOCH / 1e3
        figures["eval_images_per_s"] = eval_throughput(runner, args.eval_repeats)
        if not args.no_memory:
            figures["memory"] = peak_memory(runner.name, args.device, args.batch_size, args.steps * 2)
        results["frameworks"][runner.name] = figures

    print(f"Seed MNIST model, batch {args.batch_size}, device {args.device}, {os.cpu_count()} CPU cores")
    print(f"{'':10}{'median ms':>11}{'IQR ms':>17}{'min ms':>9}{'s/epoch*':>10}{'eval img/s':>12}{'peak MB':>10}")
    for name, f in results["frameworks"].items():
        memory = f.get("memory", {})
        peak = memory.get("device_peak_mb", memory.get("peak_rss_mb", float("nan")))
        print(f"{name:10}{f['median_ms']:>11.1f}{f['q1_ms']:>8.1f} - {f['q3_ms']:<6.1f}{f['min_ms']:>9.1f}"
              f"{f['epoch_s_estimate']:>10.1f}{f['eval_images_per_s']:>12.0f}{peak:>10.0f}")
    print("* training steps only: median step time x 469 steps")
    if torch is not None:
        ours_f, theirs_f = results["frameworks"]["tinynn"], results["frameworks"]["pytorch"]
        results["step_ratio"] = ours_f["median_ms"] / theirs_f["median_ms"]
        results["eval_ratio"] = ours_f["eval_images_per_s"] / theirs_f["eval_images_per_s"]
        print(f"ratio tinynn/PyTorch, median training step: {results['step_ratio']:.2f} (lower is better)")
        print(f"ratio tinynn/PyTorch, eval throughput: {results['eval_ratio']:.2f} (higher is better)")
        if not args.no_memory:
            key = "device_peak_mb" if args.device == "gpu" else "peak_rss_mb"
            results["memory_ratio"] = ours_f["memory"][key] / theirs_f["memory"][key]
            print(f"ratio tinynn/PyTorch, peak memory ({key}): {results['memory_ratio']:.2f} (lower is better)")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))
        print(f"wrote {args.json}")


if __name__ == "__main__":
    sys.exit(main())
