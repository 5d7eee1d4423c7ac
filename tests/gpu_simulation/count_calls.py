"""How many CuPy calls (kernels and views) one training step of the seed model makes on the GPU.

    python tests/gpu_simulation/count_calls.py [--batch-size 128] [--data-dir ../shared/data/mnist]

Counted on the simulated CuPy: every CuPy call that returns an array, and among them an estimate
of the kernel launches: calls returning new memory (an array that is not a view of memory seen
before, so copies made by ``reshape`` count) plus in-place writes (``a += b``, ``a[...] = b``),
which return no new array but launch a kernel, and fused kernels (``tinynn.fused``); ``empty``
allocates without a kernel.
On a real GPU each call costs CuPy's per-call overhead (microseconds of CPU time, a few more for a
kernel launch than for a view), which for a network this small, rather than the arithmetic,
sets the step time.
"""
import argparse
import itertools
import sys
import weakref
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import tinynn  # noqa: E402
from gpu_simulation import simulated_cupy  # noqa: E402
from tinynn.data import MNIST, DataLoader, transforms  # noqa: E402
from tinynn.models import MnistTiny  # noqa: E402
from tinynn.nn import functional as F  # noqa: E402


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--data-dir", default=None, help="the MNIST files (default: tinynn's data folder)")
    args = parser.parse_args(argv)
    with pytest.MonkeyPatch.context() as patch:  # everything patched here is undone on return
        return count_step(args, patch)


def count_step(args, patch):
    """Counts per phase of the second training step, printed and returned as {phase: (calls, kernels)}."""
    simulated_cupy.install(patch)
    calls = Counter()
    wrap = simulated_cupy._wrap

    seen_memory = weakref.WeakValueDictionary()  # id -> the arrays owning the memory of every array returned so far

    def is_new_memory(value):
        """Whether ``value`` (NumPy, behind a device array) owns memory no earlier call returned."""
        owner = value
        while getattr(owner, "base", None) is not None:
            owner = owner.base
        if not isinstance(owner, np.ndarray):  # a scalar, as a reduction returns
            return True
        new = seen_memory.get(id(owner)) is not owner
        seen_memory[id(owner)] = owner
        return new

    def counting_wrap(value):
        if isinstance(value, (np.ndarray, np.generic)):
            calls["arrays"] += 1
            calls["kernels"] += is_new_memory(value)
        return wrap(value)

    def counting_write(write):
        def method(self, *args):
            calls["kernels"] += 1
            return write(self, *args)
        return method

    def counting_kernel(launch):
        def method(self, *args, **kwargs):
            outputs = launch(self, *args, **kwargs)
            calls["arrays"] += 1
            calls["kernels"] += 1
            for out in outputs if isinstance(outputs, tuple) else (outputs,):
                is_new_memory(out._host)
            return outputs
        return method

    def allocation(make):  # memory without a kernel launch
        def function(*args, **kwargs):
            array = make(*args, **kwargs)
            is_new_memory(array._host)
            return array
        return function

    patch.setattr(simulated_cupy, "_wrap", counting_wrap)
    ndarray = simulated_cupy.ndarray
    for name in ["__setitem__"] + [f"__i{op}__" for op in ("add", "sub", "mul", "truediv")]:
        patch.setattr(ndarray, name, counting_write(getattr(ndarray, name)))
    for kernel_class in (simulated_cupy.ElementwiseKernel, simulated_cupy.ReductionKernel):
        patch.setattr(kernel_class, "__call__", counting_kernel(kernel_class.__call__))
    for name in ("empty", "empty_like"):
        patch.setattr(simulated_cupy.MODULE, name, allocation(getattr(simulated_cupy.MODULE, name)), raising=False)
    model = MnistTiny().to("gpu")
    optimizer = tinynn.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, nesterov=True, weight_decay=5e-5)
    batches = example_batches(args)
    counts = {}

    def counted(phase, work):
        calls.clear()
        result = work()
        counts[phase] = calls["arrays"], calls["kernels"]
        return result

    for _ in range(2):  # the second step is counted: the first creates the optimizer's state
        images, labels = counted("data", lambda: next(batches))
        optimizer.zero_grad()
        loss = counted("forward", lambda: F.cross_entropy(model(images), labels))
        counted("backward", loss.backward)
        counted("optimizer", optimizer.step)
    for phase, (arrays, kernels) in counts.items():
        print(f"{phase:10} {arrays:5} calls, about {kernels:4} kernels")
    print(f"{'total':10} {sum(a for a, _ in counts.values()):5} calls, about {sum(k for _, k in counts.values()):4} kernels")
    return counts


def example_batches(args):
    """Batches as the example makes them on the GPU (MNIST sliced on the device, augmented and
    normalised there), or, without the MNIST files, random images (the data phase then counts none)."""
    try:
        dataset = MNIST(args.data_dir, train=True, download=False, limit=4 * args.batch_size, transform=transforms.Compose(
            [transforms.RandomAffine(degrees=7, translate=(0.08, 0.08)), transforms.Normalize((0.1307,), (0.3081,))]))
    except FileNotFoundError as error:
        print(f"(no data phase: {error})")
        images = tinynn.randn(args.batch_size, 1, 28, 28, device="gpu")
        labels = tinynn.tensor(np.arange(args.batch_size) % 10, device="gpu")
        return itertools.repeat((images, labels))
    return iter(DataLoader(dataset.to("gpu"), args.batch_size, shuffle=True, seed=0))


if __name__ == "__main__":
    main()
