"""Tensor.pin_memory / is_pinned: page-locked host copies through CuPy, refused clearly without CUDA."""
import numpy as np
import pytest

import tinynn
from helpers import use_device


def test_pinned_copy_on_the_gpu_path(monkeypatch):
    from gpu_simulation import simulated_cupy

    use_device("simulated-gpu", monkeypatch)
    x = tinynn.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    assert not x.is_pinned()
    pinned = x.pin_memory()
    assert pinned.is_pinned() and pinned.device == "cpu" and pinned.pin_memory() is pinned
    assert simulated_cupy.PINNED[-1] == (2, 2)
    np.testing.assert_array_equal(pinned.detach().numpy(), x.detach().numpy())
    (pinned.to("gpu") * 3).sum().backward()  # differentiable, as a copy
    np.testing.assert_array_equal(x.grad.numpy(), 3)
    assert not tinynn.ones(2, device="gpu").is_pinned()
    with pytest.raises(RuntimeError, match="only host tensors can be pinned"):
        tinynn.ones(2, device="gpu").pin_memory()


def test_pinning_needs_cuda():
    if tinynn.gpu_available():
        pytest.skip("this machine has a GPU, so pinning works here")
    with pytest.raises(RuntimeError, match="page-locked host memory is allocated through CUDA"):
        tinynn.ones(2).pin_memory()
    assert not tinynn.ones(2).is_pinned()
