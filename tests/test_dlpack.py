"""DLPack: tinynn tensors and other libraries' tensors share memory without a copy, both ways,
through the protocol (__dlpack__) and through the older capsules; a tensor with history is not
exported, and what cannot be read is named."""
import numpy as np
import pytest

import tinynn


def test_a_torch_tensor_becomes_a_tinynn_tensor_over_the_same_memory(torch):
    theirs = torch.arange(6, dtype=torch.float32).reshape(2, 3)
    ours = tinynn.from_dlpack(theirs)
    assert ours.shape == (2, 3) and ours.dtype == np.float32 and ours.device == "cpu"
    assert not ours.requires_grad
    theirs[0, 0] = 100.0
    ours.data[1, 2] = -7.0
    assert ours[0, 0].item() == 100.0 and theirs[1, 2].item() == -7.0


def test_a_tinynn_tensor_becomes_a_torch_tensor_and_a_numpy_array_over_the_same_memory(torch):
    ours = tinynn.tensor([1.0, 2.0, 3.0])
    theirs = torch.from_dlpack(ours)
    theirs.mul_(2)
    np.testing.assert_array_equal(ours.numpy(), [2.0, 4.0, 6.0])
    assert np.shares_memory(np.from_dlpack(ours), ours.data)
    assert tinynn.from_dlpack(ours) is ours


@pytest.mark.parametrize("dtype", ["float16", "float64", "int32", "int64", "uint8", "bool"])
def test_dtypes_and_strides_survive_the_exchange(torch, dtype):
    values = (np.arange(12) % 2 == 0) if dtype == "bool" else np.arange(12).astype(dtype)
    transposed = torch.from_numpy(values.reshape(3, 4)).t()  # not contiguous: strides travel with it
    ours = tinynn.from_dlpack(transposed)
    assert ours.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(ours.numpy(), values.reshape(3, 4).T)
    np.testing.assert_array_equal(torch.from_dlpack(ours).numpy(), values.reshape(3, 4).T)


def test_capsules_go_both_ways_once(torch):
    capsule = torch.utils.dlpack.to_dlpack(torch.tensor([1, 2, 3], dtype=torch.int64))
    ours = tinynn.from_dlpack(capsule)
    np.testing.assert_array_equal(ours.numpy(), [1, 2, 3])
    with pytest.raises(ValueError, match="capsule is named b'used_dltensor'.*consumed once"):
        tinynn.from_dlpack(capsule)
    theirs = torch.utils.dlpack.from_dlpack(tinynn.utils.dlpack.to_dlpack(tinynn.tensor([5.0, 6.0])))
    assert theirs.tolist() == [5.0, 6.0]


def test_numpy_arrays_and_capsules_without_torch():
    array = np.linspace(0, 1, 5)
    ours = tinynn.from_dlpack(array)
    assert np.shares_memory(ours.data, array)
    back = tinynn.from_dlpack(tinynn.to_dlpack(ours))
    assert np.shares_memory(back.data, array)


def test_what_cannot_be_exchanged_is_named():
    with pytest.raises(RuntimeError, match="can't export a tensor that requires grad; export tensor.detach"):
        tinynn.ones(2, requires_grad=True).__dlpack__()
    with pytest.raises(TypeError, match="from_dlpack: expected an object with __dlpack__.* got list"):
        tinynn.from_dlpack([1.0, 2.0])

    class OnAnAccelerator:
        def __dlpack__(self, **kwargs):
            raise AssertionError("not asked for")

        def __dlpack_device__(self):
            return (14, 0)  # DLPack's Metal
    with pytest.raises(ValueError, match="DLPack device type 14; tinynn reads CPU"):
        tinynn.from_dlpack(OnAnAccelerator())


@pytest.mark.gpu
def test_gpu_memory_is_shared_with_cupy_and_torch(torch):
    import cupy

    ours = tinynn.tensor([1.0, 2.0], device="gpu")
    theirs = cupy.from_dlpack(ours)
    theirs *= 3
    np.testing.assert_array_equal(ours.numpy(), [3.0, 6.0])
    on_cuda = torch.arange(4.0, device="cuda")
    shared = tinynn.from_dlpack(on_cuda)
    assert shared.device == "gpu"
    on_cuda.add_(1)
    np.testing.assert_array_equal(shared.numpy(), [1.0, 2.0, 3.0, 4.0])
