"""Memory formats and layouts (tinynn/memory_layout.py): strides as PyTorch's, values never changed,
views of channels-last tensors, and the errors PyTorch gives."""
import pickle

import numpy as np
import pytest

import tinynn
from tinynn import nn
from tinynn.autograd import gradcheck
from helpers import leaf

FORMATS = ["contiguous_format", "channels_last", "channels_last_3d", "preserve_format"]


def strides(tensor):
    return tuple(tensor.stride())


def test_formats_and_layouts_are_named_objects_that_survive_pickling():
    for name in FORMATS + ["strided", "sparse_coo"]:
        value = getattr(tinynn, name)
        assert repr(value) == f"tinynn.{name}" and pickle.loads(pickle.dumps(value)) is value
    assert isinstance(tinynn.channels_last, tinynn.memory_format) and isinstance(tinynn.strided, tinynn.layout)
    assert tinynn.zeros(2).layout is tinynn.strided
    assert tinynn.sparse_coo_tensor([[0], [1]], [1.0], (2, 2)).layout is tinynn.sparse_coo


def test_dtypes_are_instances_of_tinynn_dtype():
    for value in (tinynn.float32, tinynn.int64, tinynn.bool, tinynn.zeros(2).dtype, np.dtype("complex64")):
        assert isinstance(value, tinynn.dtype)
    for value in ("float32", 3, None, tinynn.zeros(2), float):
        assert not isinstance(value, tinynn.dtype)
    with pytest.raises(TypeError, match="cannot be created directly"):
        tinynn.dtype()


def test_contiguous_clone_to_and_the_factories_lay_out_as_torch(torch, rng):
    array = rng.standard_normal((2, 3, 4, 5)).astype(np.float32)
    ours, theirs = tinynn.tensor(array), torch.tensor(array)
    ours_last = ours.contiguous(memory_format=tinynn.channels_last)
    theirs_last = theirs.contiguous(memory_format=torch.channels_last)
    pairs = [(ours_last, theirs_last), (ours_last.clone(), theirs_last.clone()),
             (ours_last.clone(memory_format=tinynn.contiguous_format), theirs_last.clone(memory_format=torch.contiguous_format)),
             (ours_last.contiguous(), theirs_last.contiguous()), (ours.to(memory_format=tinynn.channels_last),
                                                                 theirs.to(memory_format=torch.channels_last)),
             (ours_last.to(tinynn.float64), theirs_last.to(torch.float64)), (ours.transpose(1, 3).clone(), theirs.transpose(1, 3).clone()),
             (ours.transpose(1, 3)[:, ::2].clone(), theirs.transpose(1, 3)[:, ::2].clone()),
             (tinynn.empty(2, 3, 4, 5, memory_format=tinynn.channels_last), torch.empty(2, 3, 4, 5, memory_format=torch.channels_last)),
             (tinynn.empty_strided((2, 3, 4, 5), (60, 1, 15, 3)), torch.empty_strided((2, 3, 4, 5), (60, 1, 15, 3))),
             (tinynn.empty_permuted((2, 3, 4, 5), (0, 2, 3, 1)), torch.empty_permuted((2, 3, 4, 5), (0, 2, 3, 1)))]
    for like in ("zeros_like", "ones_like", "empty_like", "rand_like", "randn_like"):
        pairs.append((getattr(tinynn, like)(ours_last), getattr(torch, like)(theirs_last)))
        pairs.append((getattr(tinynn, like)(ours_last, memory_format=tinynn.contiguous_format),
                      getattr(torch, like)(theirs_last, memory_format=torch.contiguous_format)))
    pairs.append((tinynn.full_like(ours_last, 2.0), torch.full_like(theirs_last, 2.0)))
    pairs.append((tinynn.randint_like(ours_last, 5), torch.randint_like(theirs_last, 5)))
    for mine, reference in pairs:
        assert strides(mine) == reference.stride() and mine.shape == tuple(reference.shape)
    np.testing.assert_array_equal(ours_last.numpy(), array)
    for name in FORMATS[:3]:
        for shape in ((2, 3), (2, 3, 4, 5), (2, 3, 4, 5, 6)):
            for ours_x, theirs_x in ((tinynn.zeros(shape), torch.zeros(shape)),
                                     (tinynn.zeros(shape).transpose(0, 1), torch.zeros(shape).transpose(0, 1))):
                assert ours_x.is_contiguous(memory_format=getattr(tinynn, name)) == \
                    theirs_x.is_contiguous(memory_format=getattr(torch, name))
    assert ours_last.is_contiguous(memory_format=tinynn.channels_last) and not ours_last.is_contiguous()


def test_values_and_gradients_do_not_depend_on_the_format(device, rng):
    x = leaf(rng.standard_normal((2, 3, 4, 5)), device)
    for format in (tinynn.channels_last, tinynn.contiguous_format, tinynn.preserve_format):
        assert gradcheck(lambda t: t.to(memory_format=format) * t.clone(memory_format=format), [x])
        assert gradcheck(lambda t: t.contiguous(memory_format=tinynn.channels_last).sin().transpose(1, 2), [x])
    y = x.detach().to(memory_format=tinynn.channels_last)
    assert y.device == x.device and np.array_equal(y.numpy(), x.detach().numpy())
    assert x.to(memory_format=tinynn.preserve_format) is x and y.to(memory_format=tinynn.channels_last) is y
    assert y.contiguous(memory_format=tinynn.channels_last) is y


def test_a_model_in_channels_last_trains_to_the_same_numbers(device):
    def trained(memory_format):
        tinynn.manual_seed(0)
        model = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 36, 2))
        model.to(device)
        x = tinynn.randn(4, 3, 8, 8, device=device)
        if memory_format is not None:
            model.to(memory_format=memory_format)
            x = x.to(memory_format=memory_format)
        optimizer = tinynn.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        for _ in range(3):
            optimizer.zero_grad()
            nn.functional.cross_entropy(model(x), tinynn.tensor([0, 1, 1, 0], device=device)).backward()
            optimizer.step()
        return model

    plain, last = trained(None), trained(tinynn.channels_last)
    assert last[0].weight.is_contiguous(memory_format=tinynn.channels_last) or device == "gpu"
    assert last[4].weight.is_contiguous()  # 2-D parameters keep their layout, as in PyTorch
    for (name, a), (_, b) in zip(plain.state_dict().items(), last.state_dict().items()):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-5, atol=1e-6, err_msg=name)


def test_convert_conv_weight_memory_format():
    model = nn.Sequential(nn.Conv2d(3, 4, 3), nn.Sequential(nn.ConvTranspose2d(4, 2, 3)), nn.Conv3d(2, 2, 1),
                          nn.Linear(3, 3))
    before = {name: value.numpy().copy() for name, value in model.state_dict().items()}
    assert nn.utils.convert_conv2d_weight_memory_format(model, tinynn.channels_last) is model
    assert model[0].weight.is_contiguous(memory_format=tinynn.channels_last)
    assert model[1][0].weight.is_contiguous(memory_format=tinynn.channels_last) and model[2].weight.is_contiguous()
    nn.utils.convert_conv3d_weight_memory_format(model, tinynn.channels_last_3d)
    assert model[2].weight.is_contiguous(memory_format=tinynn.channels_last_3d)
    for name, value in model.state_dict().items():
        np.testing.assert_array_equal(value.numpy(), before[name])


def test_a_channels_last_tensor_is_viewed_as_a_c_ordered_one_would_be(torch, rng):
    conv = nn.Conv2d(3, 4, 3)
    x = tinynn.tensor(rng.standard_normal((2, 3, 8, 8)).astype(np.float32))
    y = conv(x)
    assert y.is_contiguous(memory_format=tinynn.channels_last)  # the layout tinynn's convolution writes
    flat = y.view(y.size(0), -1)
    np.testing.assert_array_equal(flat.numpy(), y.numpy().reshape(2, -1))
    flat.sum().backward()
    np.testing.assert_array_equal(conv.bias.grad.numpy(), np.full(4, 2 * 36, np.float32))
    assert y.view(2, 4, 36)._array.base is not None  # merging H and W keeps sharing memory
    # a layout made by hand still refuses, as PyTorch's does
    with pytest.raises(RuntimeError, match=r"view: a tensor of shape \(3, 2\) with strides \(1, 3\)"):
        tinynn.zeros(2, 3).t().view(6)
    with pytest.raises(RuntimeError):
        torch.zeros(2, 3).t().view(6)


@pytest.mark.parametrize("batch", [2, 1])
@pytest.mark.parametrize("axis", [0, 1, 2, -1])
def test_a_channels_last_tensor_with_an_axis_inserted_is_viewed_as_pytorchs(torch, rng, batch, axis):
    """conv(x).unsqueeze(axis).view(...): PyTorch's conv output lies in C order, so any such view works
    there; tinynn's lies channels-last with a unit axis inserted, and copies, a batch of one too."""
    x = rng.standard_normal((batch, 3, 7, 6)).astype(np.float32)
    ours, theirs = nn.Conv2d(3, 4, 3), torch.nn.Conv2d(3, 4, 3)
    theirs.load_state_dict({key: torch.tensor(value.numpy()) for key, value in ours.state_dict().items()})
    y, expected = ours(tinynn.tensor(x)).unsqueeze(axis), theirs(torch.tensor(x)).unsqueeze(axis)
    shape = (-1,) if axis == 0 else (batch, -1)
    np.testing.assert_allclose(y.view(*shape).numpy(), expected.view(*shape).detach().numpy(), rtol=1e-5, atol=1e-5)


IMAGE_LAYERS = {
    1: ["Conv1d(4, 4, 3)", "ConvTranspose1d(4, 4, 2, stride=2)", "MaxPool1d(2)", "AvgPool1d(2)", "BatchNorm1d(4)",
        "Upsample(scale_factor=2, mode='linear')", "AdaptiveAvgPool1d(3)", "AdaptiveMaxPool1d(3)", "LPPool1d(2, 2)"],
    2: ["Conv2d(4, 4, 3)", "Conv2d(4, 4, 3, groups=4)", "ConvTranspose2d(4, 4, 2, stride=2)", "MaxPool2d(2)",
        "AvgPool2d(2)", "BatchNorm2d(4)", "GroupNorm(2, 4)", "Upsample(scale_factor=2)", "AdaptiveAvgPool2d(1)",
        "AdaptiveMaxPool2d(2)", "PixelShuffle(2)", "LPPool2d(2, 2)", "FractionalMaxPool2d(2, output_size=4)"],
    3: ["Conv3d(4, 4, 3)", "ConvTranspose3d(4, 4, 2, stride=2)", "MaxPool3d(2)", "AvgPool3d(2)", "BatchNorm3d(4)",
        "Upsample(scale_factor=2, mode='trilinear')", "AdaptiveAvgPool3d(2)", "AdaptiveMaxPool3d(2)", "LPPool3d(2, 2)"],
}


@pytest.mark.parametrize("spatial", [1, 2, 3])
@pytest.mark.parametrize("channels_last", [False, True], ids=["C order", "channels-last"])
def test_every_image_layers_output_takes_view_as_pytorchs(torch, rng, spatial, channels_last):
    """``layer(x).view(N, -1)``, the flatten of PyTorch's scripts: every layer hands over C order or
    channels-last (which ``view`` copies), never a layout of its own making (a 3-D pooling's was
    depth-major, adaptive_max_pool1d's length-major: ``view`` raised on them)."""
    values = rng.standard_normal((2, 4) + (8,) * spatial).astype(np.float32)
    x = tinynn.tensor(values)
    if channels_last and spatial > 1:
        x = x.contiguous(memory_format=tinynn.channels_last if spatial == 2 else tinynn.channels_last_3d)
    for layer in IMAGE_LAYERS[spatial]:
        ours, theirs = eval("nn." + layer), eval("torch.nn." + layer)
        if "FractionalMaxPool" in layer:  # random windows: only the layout matters here
            y = ours(x)
            assert y.view(2, -1).shape == (2, y[0].numel())
            continue
        theirs.load_state_dict({key: torch.tensor(value.numpy()) for key, value in ours.state_dict().items()})
        flat, expected = ours(x).view(2, -1), theirs(torch.tensor(values)).view(2, -1)
        np.testing.assert_allclose(flat.numpy(), expected.detach().numpy(), rtol=1e-5, atol=1e-5, err_msg=layer)


@pytest.mark.parametrize("reduce", ["sum", "mean"])
@pytest.mark.parametrize("axis", [None, 1, (2, 3)])
def test_a_reductions_gradient_is_laid_out_as_its_input(rng, reduce, axis):
    """The gradient of a sum or mean over a channels-last tensor (a convolution's output, as tinynn's lie)
    is handed back channels-last, so the convolution's backward needs no reordering copy; over a C-ordered
    one, in C order. The values are the same either way (and gradcheck holds)."""
    values = rng.standard_normal((3, 4, 5, 6))
    channels_last = leaf(values).detach().contiguous(memory_format=tinynn.channels_last).requires_grad_()
    for layout, x in (("channels-last", channels_last), ("C order", leaf(values))):
        getattr(x, reduce)(axis=axis).sum().backward()
        in_c_order = layout == "C order"
        assert x.grad.is_contiguous() == in_c_order and x.grad.is_contiguous(memory_format=tinynn.channels_last) != in_c_order
        count = values.size // np.sum(values, axis=axis).size if reduce == "mean" else 1
        np.testing.assert_array_equal(x.grad.numpy(), np.full(values.shape, 1.0 / count))
        assert gradcheck(lambda t: getattr(t, reduce)(axis=axis), [x])


def test_misuse_is_a_clear_error():
    with pytest.raises(RuntimeError, match="contiguous: required rank 4 tensor to use channels_last format, got a 2-D"):
        tinynn.zeros(2, 3).contiguous(memory_format=tinynn.channels_last)
    with pytest.raises(RuntimeError, match="clone: required rank 5 tensor to use channels_last_3d format"):
        tinynn.zeros(2, 3, 4, 5).clone(memory_format=tinynn.channels_last_3d)
    with pytest.raises(RuntimeError, match="to: required rank 4 tensor to use channels_last format, got a 3-D"):
        tinynn.zeros(2, 3, 4).to(memory_format=tinynn.channels_last)
    with pytest.raises(RuntimeError, match="preserve memory format is unsupported by the contiguous operator"):
        tinynn.zeros(2).contiguous(memory_format=tinynn.preserve_format)
    with pytest.raises(TypeError, match="to: memory_format must be one of tinynn.contiguous_format, channels_last"):
        tinynn.zeros(2, 3, 4, 5).to(memory_format="channels_last")
    with pytest.raises(RuntimeError, match="Module.to: required rank 4 tensor"):
        nn.Conv3d(2, 2, 1).to(memory_format=tinynn.channels_last)
    with pytest.raises(ValueError, match=r"empty_permuted: physical_layout must be a permutation of the 2 dimensions"):
        tinynn.empty_permuted((2, 3), (0, 0))
    with pytest.raises(RuntimeError, match="empty: preserve_format needs a tensor"):
        tinynn.empty(2, memory_format=tinynn.preserve_format)


DIM_ORDER_CASES = [
    lambda L: L.ones(2, 1, 3, 3).to(memory_format=L.channels_last), lambda L: L.ones(2, 3).t(),
    lambda L: L.ones(1, 3).t(), lambda L: L.ones(2, 3)[:, ::2], lambda L: L.ones(2, 3).expand(4, 2, 3),
    lambda L: L.ones(2, 3, 4, 5).to(memory_format=L.channels_last), lambda L: L.ones(2, 3, 4, 5).permute(2, 0, 3, 1),
    lambda L: L.ones(4, 1, 1).permute(2, 1, 0), lambda L: L.ones(2, 3, 4, 5, 6).permute(4, 2, 0, 3, 1),
    lambda L: L.ones(3, 4)[::2, 1:], lambda L: L.ones(()), lambda L: L.ones(5), lambda L: L.ones(2, 3, 4).transpose(0, 2)[:, ::2],
    lambda L: L.ones(3, 3, 2)[:, :1].expand(3, 4, 2).transpose(0, 1),
]


@pytest.mark.parametrize("make", DIM_ORDER_CASES)
def test_dim_order_is_pytorchs_for_the_same_strides(torch, make):
    """PyTorch's rule on the very strides tinynn's tensor has (tinynn's layout of a view may differ
    in the strides of axes of size 1 or 0, which PyTorch's rule then reads differently)."""
    ours = make(tinynn)
    theirs = torch.empty_strided(tuple(ours.shape), ours.stride())
    assert ours.dim_order() == theirs.dim_order()
    if 1 not in ours.shape:  # there the two libraries' views have the same strides, so the same order
        assert ours.dim_order() == make(torch).dim_order()


def test_a_dense_tensor_is_all_dense_dimensions(torch):
    x, y = tinynn.ones(2, 3), torch.ones(2, 3)
    assert (x.sparse_dim(), x.dense_dim()) == (y.sparse_dim(), y.dense_dim()) == (0, 2)
    assert x.const_data_ptr() == x.data_ptr() and x.to_sparse_coo().indices().tolist() == [[0, 0, 0, 1, 1, 1],
                                                                                          [0, 1, 2, 0, 1, 2]]


@pytest.mark.parametrize("thread_count", [1, 2, 3])
def test_large_reordering_copies_on_the_threads_give_the_same_values(monkeypatch, rng, thread_count):
    """copy_in_order and reshape's copy (a channels-last tensor flattened, its gradient back) copy large
    arrays in blocks of the first axis on the threads: the same values as NumPy's copy, and reshape still
    a view wherever the memory allows one."""
    from tinynn import memory_layout, parallel

    monkeypatch.setattr(parallel, "COPY_MIN_BYTES", 64)
    before = tinynn.get_num_threads()
    tinynn.set_num_threads(thread_count)
    try:
        x = rng.standard_normal((5, 7, 6, 3)).astype(np.float32).transpose(0, 3, 1, 2)  # channels-last (5, 3, 7, 6)
        c_ordered = memory_layout.copy_in_order(x, (0, 1, 2, 3))
        assert c_ordered.flags.c_contiguous and np.array_equal(c_ordered, x)
        back = memory_layout.copy_in_order(c_ordered, (0, 2, 3, 1))
        assert memory_layout.is_channels_last_dense(back) and np.array_equal(back, x)
        flat = memory_layout.reshaped(x, (5, -1))
        assert flat.flags.c_contiguous and np.array_equal(flat, np.reshape(x, (5, -1)))
        per_channel = memory_layout.reshaped(x, (5, 3, 42))  # (H, W) merge without moving: a view
        assert np.shares_memory(per_channel, x) and np.array_equal(per_channel, np.reshape(x, (5, 3, 42)))
        with pytest.raises(ValueError):
            memory_layout.reshaped(x, (4, -1))
        tensor = leaf(x.astype(np.float64))
        assert gradcheck(lambda t: tinynn.flatten(t, 1) * tinynn.arange(126.0), [tensor])
    finally:
        tinynn.set_num_threads(before)
