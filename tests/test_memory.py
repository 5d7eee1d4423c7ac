"""tinynn.memory: freed blocks are reused instead of being faulted back in from the OS."""
import subprocess
import sys

import pytest

import tinynn

# Allocates and frees a 64 MB array (above glibc's largest mmap threshold) four times and prints
# the page faults of the last three.
FAULTS_OF_REPEATED_ALLOCATION = """
import resource, numpy as np, tinynn
a = np.ones(16 << 20, np.float32); del a
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(3):
    a = np.ones(16 << 20, np.float32); del a
print(tinynn.memory.applied, resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


def page_faults(tuning):
    env = {"TINYNN_MALLOC_TUNING": tuning, "PATH": ""}
    result = subprocess.run([sys.executable, "-c", FAULTS_OF_REPEATED_ALLOCATION], capture_output=True, text=True,
                            env=env, check=True, cwd=tinynn.__path__[0] + "/..")
    applied, faults = result.stdout.split()
    return applied == "True", int(faults)


def test_large_arrays_are_reused_without_page_faults():
    if not tinynn.memory.applied:
        pytest.skip("the malloc tuning applies to glibc on Linux only")
    untuned_applied, untuned = page_faults("0")
    tuned_applied, tuned = page_faults("1")
    assert tuned_applied and not untuned_applied
    if untuned < 100:
        pytest.skip(f"this kernel faults only {untuned} pages for 192 MB of fresh memory: nothing to compare")
    assert tuned * 10 < untuned, f"{tuned} page faults with the tuning, {untuned} without"
