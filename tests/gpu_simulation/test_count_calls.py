"""The GPU step's kernel launches, counted on the simulated CuPy (tests/gpu_simulation/count_calls.py).

On a GPU each launch costs microseconds of CPU time, which for the seed model sets the step time;
these bounds (about 1.2x the counts when they were set) catch a change that quietly brings back
per-parameter copies, per-offset matmuls or unfused batch norm."""
import sys

from gpu_simulation import count_calls, simulated_cupy

KERNEL_BUDGET = {"data": 27, "forward": 150, "backward": 130, "optimizer": 22}


def test_a_training_step_stays_within_its_kernel_budget(mnist_dir):
    counts = count_calls.main(["--data-dir", str(mnist_dir)])
    assert counts.keys() == KERNEL_BUDGET.keys()
    for phase, (_, kernels) in counts.items():
        assert 0 < kernels <= KERNEL_BUDGET[phase], f"{phase}: {kernels} kernel launches (budget {KERNEL_BUDGET[phase]})"


def test_counting_leaves_the_simulation_as_it_was(mnist_dir):
    before = (simulated_cupy._wrap, simulated_cupy.ElementwiseKernel.__call__, vars(simulated_cupy.MODULE).get("empty"),
              simulated_cupy.ndarray.__iadd__, sys.modules.get("cupy"))
    count_calls.main(["--data-dir", str(mnist_dir)])
    after = (simulated_cupy._wrap, simulated_cupy.ElementwiseKernel.__call__, vars(simulated_cupy.MODULE).get("empty"),
             simulated_cupy.ndarray.__iadd__, sys.modules.get("cupy"))
    assert all(a is b for a, b in zip(before, after))
