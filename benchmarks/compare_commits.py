"""Has a change made tinynn's training step slower? Time the seed model's CPU training step for two
checkouts of tinynn, alternating between them, each run in a fresh process:

    git worktree add /tmp/before <commit>
    python benchmarks/compare_commits.py /tmp/before . --rounds 3

Each round runs one process per checkout (the order alternates), which builds the MNIST model with
seed 0, takes ``--warmup`` steps and then times ``--steps`` training steps (forward, cross-entropy,
backward, SGD with momentum) on one random batch; a round reports each checkout's median step. The
machine's speed drifts, so compare the rounds side by side rather than across runs.
"""
import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

WORKER = """
import json, sys, time
sys.path.insert(0, {tree!r})
import numpy as np, tinynn
from tinynn.models import MnistTiny
from tinynn.nn import functional
tinynn.manual_seed(0)
model = MnistTiny()
optimizer = tinynn.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
rng = np.random.default_rng(0)
images = tinynn.tensor(rng.standard_normal(({batch}, 1, 28, 28)).astype(np.float32))
labels = tinynn.tensor(rng.integers(0, 10, {batch}))
def step():
    optimizer.zero_grad()
    functional.cross_entropy(model(images), labels).backward()
    optimizer.step()
for _ in range({warmup}):
    step()
times = []
for _ in range({steps}):
    start = time.perf_counter()
    step()
    times.append(time.perf_counter() - start)
print(json.dumps({{"median_ms": 1000 * sorted(times)[len(times) // 2], "tinynn": tinynn.__file__}}))
"""


def time_tree(tree, args):
    code = WORKER.format(tree=str(Path(tree).resolve()), batch=args.batch_size, warmup=args.warmup, steps=args.steps)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("before", help="a checkout of tinynn (its root folder)")
    parser.add_argument("after", help="another checkout of tinynn")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=128)
    args = parser.parse_args(argv)
    for tree in (args.before, args.after):
        if not (Path(tree) / "tinynn" / "__init__.py").exists():
            parser.error(f"{tree} is not a checkout of tinynn (no tinynn/__init__.py in it)")
    medians = {"before": [], "after": []}
    for round_number in range(args.rounds):
        order = ("before", "after") if round_number % 2 == 0 else ("after", "before")
        figures = {name: time_tree(getattr(args, name), args) for name in order}
        for name in medians:
            medians[name].append(figures[name]["median_ms"])
        print(f"round {round_number + 1}: before {figures['before']['median_ms']:.1f} ms, after "
              f"{figures['after']['median_ms']:.1f} ms (ratio {figures['after']['median_ms'] / figures['before']['median_ms']:.2f})")
    ratio = statistics.median(a / b for a, b in zip(medians["after"], medians["before"]))
    print(f"median ratio after/before: {ratio:.2f} (lower is faster)")
    return {"before_ms": medians["before"], "after_ms": medians["after"], "ratio": ratio}


if __name__ == "__main__":
    main()
