"""Tensor creation, properties, conversion and the import contract."""
import subprocess
import sys

import numpy as np
import pytest

import tinynn


def test_import_pulls_in_neither_cupy_nor_torch():
    code = "import tinynn, sys; assert 'cupy' not in sys.modules and 'torch' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_tensor_factory_defaults_like_pytorch():
    assert tinynn.tensor([1.0, 2.0]).dtype == np.float32
    assert tinynn.tensor([1, 2]).dtype == np.int64
    assert tinynn.tensor(np.zeros(2, dtype=np.float64)).dtype == np.float64
    assert tinynn.tensor([1, 2], dtype=np.float32).dtype == np.float32
    t = tinynn.tensor([[1.0, 2.0]], requires_grad=True)
    assert t.shape == (1, 2) and t.device == "cpu" and t.requires_grad and t.is_leaf and t.grad is None


def test_tensor_copies_its_data():
    data = np.zeros(3, dtype=np.float32)
    t = tinynn.tensor(data)
    data[0] = 5
    assert t.numpy()[0] == 0


def test_item_numpy_and_repr():
    t = tinynn.tensor([[1.5]])
    assert t.item() == 1.5 and isinstance(t.numpy(), np.ndarray)
    assert "tensor(" in repr(t)
    with pytest.raises(ValueError, match="one element"):
        tinynn.tensor([1.0, 2.0]).item()


def test_to_cpu_is_identity_and_dtype_conversion_is_differentiable():
    t = tinynn.tensor([1.0, 2.0], requires_grad=True)
    assert t.to("cpu") is t
    d = t.to(dtype=np.float64)
    assert d.dtype == np.float64
    (d * 2).sum().backward()
    assert t.grad.dtype == np.float32
    np.testing.assert_array_equal(t.grad.numpy(), [2, 2])


def test_unknown_device_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown device 'tpu'"):
        tinynn.tensor([1.0], device="tpu")


def test_gpu_request_without_cupy_or_device_says_which_and_how_to_fix():
    if tinynn.gpu_available():
        pytest.skip("a GPU is available here")
    with pytest.raises(tinynn.DeviceError, match=r'(not installed|no CUDA device).*tinynn\[gpu\]'):
        tinynn.tensor([1.0], device="gpu")


def test_randomness_is_seeded():
    tinynn.manual_seed(3)
    a = tinynn.randn(4).numpy()
    tinynn.manual_seed(3)
    np.testing.assert_array_equal(a, tinynn.randn(4).numpy())
