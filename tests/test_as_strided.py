"""as_strided and as_strided_scatter: PyTorch's storage semantics (strides in elements over the
tensor's memory block, a slice's storage offset), gradients summed over overlapping reads, and errors."""
import numpy as np
import pytest

import tinynn
from tinynn.autograd import gradcheck, gradgradcheck

LAYOUTS = [((5, 3), (1, 1), None), ((3, 3), (4, 1), None), ((2, 2), (1, 4), 1), ((4,), (3,), None),
           ((2, 3, 2), (0, 2, 1), None), ((0, 3), (1, 1), None), ((), (), 7)]


@pytest.mark.parametrize("size, stride, offset", LAYOUTS, ids=[str(layout) for layout in LAYOUTS])
def test_values_and_gradients_equal_pytorchs(torch, size, stride, offset):
    values = np.arange(12.0)
    ours, theirs = tinynn.tensor(values, requires_grad=True), torch.tensor(values, requires_grad=True)
    y, ty = ours.as_strided(size, stride, offset), theirs.as_strided(size, stride, offset)
    np.testing.assert_array_equal(y.detach().numpy(), ty.detach().numpy())
    weights = np.random.default_rng(0).standard_normal(y.shape)
    y.backward(tinynn.tensor(weights))
    ty.backward(torch.tensor(weights))
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-15)


def test_views_read_from_their_storage_as_pytorchs(torch):
    """A slice starts at its storage offset; a transpose's strides do not change the storage."""
    values = np.arange(12.0)
    chains = [lambda x: x[3:].as_strided((3,), (2,)), lambda x: x.reshape(3, 4).T.as_strided((2, 2), (1, 4)),
              lambda x: x[2:].reshape(2, 5).T.as_strided((3, 2), (2, 1))]
    for chain in chains:
        np.testing.assert_array_equal(chain(tinynn.tensor(values)).numpy(), chain(torch.tensor(values)).numpy())
        assert gradcheck(lambda x: chain(x) ** 2, [tinynn.tensor(values, requires_grad=True)])
    # memory before a slice's start: its values without gradients, refused with them
    before = lambda x: x[3:].as_strided((3,), (2,), 0)  # noqa: E731
    np.testing.assert_array_equal(before(tinynn.tensor(values)).numpy(), before(torch.tensor(values)).numpy())
    with pytest.raises(ValueError, match="outside this tensor"):
        before(tinynn.tensor(values, requires_grad=True))


def test_sliding_windows_and_second_derivatives():
    x = tinynn.tensor(np.arange(8.0), requires_grad=True)
    windows = tinynn.as_strided(x, (6, 3), (1, 1))
    np.testing.assert_array_equal(windows.detach().numpy(), [[i, i + 1, i + 2] for i in range(6)])
    windows.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [1, 2, 3, 3, 3, 3, 2, 1])  # how many windows hold each
    assert gradgradcheck(lambda v: v.as_strided((6, 3), (1, 1)) ** 3, [tinynn.tensor(np.arange(8.0), requires_grad=True)])
    assert tinynn.as_strided_copy(x, (2,), (3,)).tolist() == [0.0, 3.0]


def test_as_strided_scatter_equals_pytorchs(torch):
    values, src = np.arange(12.0).reshape(3, 4), np.random.default_rng(1).standard_normal((2, 2))
    ours = tinynn.as_strided_scatter(tinynn.tensor(values), tinynn.tensor(src), (2, 2), (1, 4), 1)
    theirs = torch.as_strided_scatter(torch.tensor(values), torch.tensor(src), (2, 2), (1, 4), 1)
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    assert gradcheck(lambda i, s: i.as_strided_scatter(s, (2, 2), (1, 4), 1),
                     [tinynn.tensor(values, requires_grad=True), tinynn.tensor(src, requires_grad=True)])


def test_every_device_agrees_with_the_cpu(device):
    values = np.arange(10.0, dtype=np.float32)
    x = tinynn.tensor(values, device=device, requires_grad=True)
    (x.as_strided((4, 3), (2, 1)) ** 2).sum().backward()
    reference = tinynn.tensor(values, requires_grad=True)
    (reference.as_strided((4, 3), (2, 1)) ** 2).sum().backward()
    np.testing.assert_array_equal(x.grad.to("cpu").numpy(), reference.grad.numpy())


@pytest.mark.parametrize("call, message", [
    (lambda x: x.as_strided((6, 3), (2, 1)), "outside the storage of 12 elements"),
    (lambda x: x.as_strided((2,), (1,), 11), "outside the storage"),
    (lambda x: x.as_strided((2, 2), (1,)), "2 sizes but 1 strides"),
    (lambda x: x.as_strided((2,), (-1,)), "non-negative integers"),
    (lambda x: x.as_strided((2,), (1,), -1), "storage_offset must be a non-negative integer"),
    (lambda x: x.as_strided_scatter(tinynn.ones(3), (2,), (1,)), "src has shape"),
    (lambda x: x.as_strided_scatter(tinynn.ones(2), (2,), (12,)), "outside input's 12 elements"),
])
def test_bad_layouts_are_named(call, message):
    with pytest.raises(ValueError, match=message):
        call(tinynn.arange(12.0))
