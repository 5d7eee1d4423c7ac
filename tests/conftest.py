"""Shared test fixtures: devices, the optional PyTorch oracle, and hypothesis settings."""
import os
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))  # seed_torch: the PyTorch twin

import tinynn  # noqa: E402
from helpers import use_device  # noqa: E402

settings.register_profile(
    "tinynn", deadline=None, max_examples=int(os.environ.get("TINYNN_HYPOTHESIS_EXAMPLES", "12")),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture], derandomize=True,
)
settings.load_profile("tinynn")

GPU_REASON = "needs CuPy and a CUDA device"
# Every device-parametrised test runs on the CPU, on a real GPU where there is one, and on the
# simulated CuPy (tests/gpu_simulation), which runs the GPU code path everywhere.
DEVICES = ["cpu", pytest.param("cuda", marks=pytest.mark.gpu), "simulated-gpu"]


def pytest_collection_modifyitems(config, items):
    if tinynn.gpu_available():
        return
    try:
        tinynn.backend.cupy_module()
    except tinynn.DeviceError as error:
        reason = f"{GPU_REASON}: {error}"
    skip = pytest.mark.skip(reason=reason)
    for item in items:
        if "gpu" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(params=DEVICES)
def device(request, monkeypatch):
    return use_device(request.param, monkeypatch)


@pytest.fixture
def rng():
    return np.random.default_rng(0)


@pytest.fixture(autouse=True)
def _seed():
    tinynn.manual_seed(0)


@pytest.fixture
def torch():
    """PyTorch as a test oracle; tests that use it skip where it is not installed."""
    return pytest.importorskip("torch", reason="PyTorch is not installed; comparisons against it are skipped")


MNIST_DIR = Path(os.environ.get("TINYNN_DATA") or Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist")


@pytest.fixture
def mnist_dir():
    if not (MNIST_DIR / "train-images-idx3-ubyte.gz").exists():
        pytest.skip(f"MNIST files not found in {MNIST_DIR} (set TINYNN_DATA)")
    return MNIST_DIR
