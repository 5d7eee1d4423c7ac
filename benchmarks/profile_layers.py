"""Where does a training step of the seed model spend its time? Forward and backward per layer.

    python benchmarks/profile_layers.py [--device cpu|gpu] [--batch-size 128] [--steps 10]

Each tinynn Function created while a leaf module runs is attributed to that module; its forward
is timed at creation and its backward when the engine calls it. The table lists layers in
forward order with median milliseconds per step, so the next optimisation is picked from data.
"""
import argparse
import collections
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

import tinynn  # noqa: E402
from tinynn import backend  # noqa: E402
from tinynn.autograd.function import Function  # noqa: E402
from tinynn.models import MnistTiny  # noqa: E402
from tinynn.nn import functional as F  # noqa: E402


def profile(model, optimizer, images, labels, steps, device):
    current_layer = ["(outside layers)"]
    forward_ms = collections.defaultdict(list)
    backward_ms = collections.defaultdict(list)
    step_fwd, step_bwd = collections.Counter(), collections.Counter()
    original_call = Function.__call__

    def timed_call(function, *inputs):
        layer = current_layer[0]
        backend.synchronize(device)
        start = time.perf_counter()
        output = original_call(function, *inputs)
        backend.synchronize(device)
        step_fwd[layer] += (time.perf_counter() - start) * 1e3
        original_backward = function.backward

        def timed_backward(grad):
            backend.synchronize(device)
            begin = time.perf_counter()
            result = original_backward(grad)
            backend.synchronize(device)
            step_bwd[layer] += (time.perf_counter() - begin) * 1e3
            return result

        function.backward = timed_backward
        return output

    order = []
    for name, module in model.named_modules():
        if next(module.children(), None) is None:
            order.append(f"{name} {type(module).__name__}")
            label = order[-1]

            def forward(*args, _forward=module.forward, _label=label):
                current_layer[0] = _label
                try:
                    return _forward(*args)
                finally:
                    current_layer[0] = "(outside layers)"

            module.forward = forward
    order.append("(outside layers)")
    Function.__call__ = timed_call
    try:
        for _ in range(steps):
            step_fwd.clear()
            step_bwd.clear()
            optimizer.zero_grad()
            loss = F.cross_entropy(model(images), labels)
            loss.backward()
            optimizer.step()
            for layer in order:
                forward_ms[layer].append(step_fwd[layer])
                backward_ms[layer].append(step_bwd[layer])
    finally:
        Function.__call__ = original_call
    return order, forward_ms, backward_ms


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--steps", type=int, default=10)
    args = parser.parse_args(argv)
    tinynn.manual_seed(0)
    model = MnistTiny().to(args.device)
    optimizer = tinynn.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    rng = np.random.default_rng(0)
    images = tinynn.tensor(rng.standard_normal((args.batch_size, 1, 28, 28)).astype(np.float32), device=args.device)
    labels = tinynn.tensor(rng.integers(0, 10, args.batch_size), device=args.device)
    order, forward_ms, backward_ms = profile(model, optimizer, images, labels, args.steps + 2, args.device)
    print(f"{'layer':<28}{'forward ms':>12}{'backward ms':>13}{'total ms':>10}")
    total_f = total_b = 0.0
    for layer in order:
        f = statistics.median(forward_ms[layer][2:])
        b = statistics.median(backward_ms[layer][2:])
        total_f, total_b = total_f + f, total_b + b
        print(f"{layer:<28}{f:>12.2f}{b:>13.2f}{f + b:>10.2f}")
    print(f"{'sum':<28}{total_f:>12.2f}{total_b:>13.2f}{total_f + total_b:>10.2f}")


if __name__ == "__main__":
    main()
