"""Tensor creation, properties, conversion and the import contract."""
import copy
import pickle
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


def test_pythons_operators_and_pytorchs_conveniences(torch):
    values = np.array([[1.0, -2.5], [3.0, 4.0]])
    x, t = tinynn.tensor(values), torch.tensor(values)
    assert (x // 2).numpy().tolist() == (t // 2).tolist() and (7 // x).numpy().tolist() == (7 // t).tolist()
    assert ((x > 1) & (x < 4)).numpy().tolist() == ((t > 1) & (t < 4)).tolist()
    assert ((x > 1) | (x < 0)).numpy().tolist() == ((t > 1) | (t < 0)).tolist()
    assert ((x > 1) ^ (x > 2)).numpy().tolist() == ((t > 1) ^ (t > 2)).tolist()
    assert (~(x > 1)).numpy().tolist() == (~(t > 1)).tolist()
    assert abs(x).numpy().tolist() == abs(t).tolist() and (3.0 in x) == (3.0 in t) and (5.0 in x) == (5.0 in t)
    assert f"{x[1, 1]:.3f}" == f"{t[1, 1]:.3f}" == "4.000"
    assert x.ndimension() == 2 and x.type() == "tinynn.DoubleTensor" and x.float().type() == "tinynn.FloatTensor"
    assert x.type(np.float32).dtype == np.float32 and x.to(np.float32).dtype == np.float32
    assert x.to(tinynn.zeros(1, dtype=np.float32)).dtype == np.float32 and not x.is_cuda
    assert (x.itemsize, x.nbytes) == (t.itemsize, t.nbytes) and x.mH.numpy().tolist() == t.mH.tolist()


def test_item_assignment_writes_in_place():
    x = tinynn.zeros(3, 2)
    x[0, 1] = 5.0
    x[1] = tinynn.tensor([1.0, 2.0])
    x[x > 1.5] = -1.0
    x[tinynn.tensor([2])] = 7.0
    assert x.numpy().tolist() == [[0.0, -1.0], [1.0, -1.0], [7.0, 7.0]]
    leaf = tinynn.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="x\\[index\\] = value: a leaf tensor that requires grad"):
        leaf[0] = 3.0
    with tinynn.no_grad():
        leaf[0] = 3.0
    assert leaf.numpy().tolist() == [3.0, 1.0]


def test_assigning_data_swaps_the_values_as_pytorch(device):
    """``layer.weight.data = tensor`` (PyTorch's way to load or tie weights) swaps in the tensor's
    values, shared; the parameter stays the module's and trains."""
    layer = tinynn.nn.Linear(3, 2).to(device)
    new = tinynn.tensor(np.arange(6.0).reshape(2, 3), device=device)
    layer.weight.data = new
    assert layer.weight._array is new._array and isinstance(layer.weight, tinynn.nn.Parameter)
    assert layer.weight is dict(layer.named_parameters())["weight"]
    layer(tinynn.ones(1, 3, device=device)).sum().backward()
    np.testing.assert_array_equal(layer.weight.grad.numpy(), np.ones((2, 3)))
    layer.weight.data = np.zeros((4, 3), np.float32) if device == "cpu" else tinynn.zeros(4, 3, device=device)._array
    assert layer.weight.shape == (4, 3)  # as in PyTorch, .data may change the shape
    scalar = tinynn.tensor(1.0, dtype=tinynn.float64)
    scalar.data = scalar._array * 3  # NumPy's arithmetic on a 0-d array gives a NumPy scalar
    assert float(scalar) == 3.0 and isinstance(scalar._array, np.ndarray)
    with pytest.raises(TypeError, match="data: expected a tinynn.Tensor, a NumPy array or a CuPy array, got list"):
        layer.weight.data = [1.0, 2.0]


def test_data_is_a_tensor_sharing_the_values_outside_autograd_as_pytorchs(torch, device):
    """PyTorch's ``.data`` idioms: a Tensor (not a Parameter) sharing the values, never requiring grad;
    writes through it reach the tensor (a soft target-network update, weight clipping, the old manual SGD
    step) and are not seen by autograd's checks, as PyTorch's version counter does not see them."""
    for library in (tinynn, torch):
        on = {"device": device} if library is tinynn else {}
        online, target = library.nn.Linear(3, 2), library.nn.Linear(3, 2)
        if library is tinynn:
            online, target = online.to(device), target.to(device)
        with library.no_grad():
            online.weight.copy_(library.arange(6.0, **on).reshape(2, 3) / 10)
            target.weight.zero_()
        data = online.weight.data
        assert type(data) is library.Tensor and not data.requires_grad and data.grad_fn is None
        assert data.data_ptr() == online.weight.data_ptr() and data.shape == online.weight.shape
        for online_parameter, target_parameter in zip(online.parameters(), target.parameters()):
            target_parameter.data.copy_(0.25 * online_parameter.data + 0.75 * target_parameter.data)
        np.testing.assert_allclose(target.weight.tolist(), [[0.0, 0.025, 0.05], [0.075, 0.1, 0.125]], rtol=1e-6)
        online.weight.data.clamp_(-0.2, 0.2)
        np.testing.assert_allclose(max(max(row) for row in online.weight.tolist()), 0.2, rtol=1e-6)
        x = library.ones(4, 3, **on)
        loss = online(x).pow(2).sum()
        loss.backward()
        online.weight.data -= 0.1 * online.weight.grad.data
        assert online.weight.requires_grad and type(online.weight) is library.nn.Parameter
        assert online.weight.grad.data.norm().item() > 0 and online.weight.data.size() == (2, 3)
        y = library.ones(2, requires_grad=True, **on)
        z = (y * y).sum()
        y.data.mul_(3)  # behind autograd's back: the backward runs, at the new values
        z.backward()
        assert y.grad.tolist() == [6.0, 6.0]
        data = y.data  # its own version counter: an op that kept it refuses after a write through it
        kept = (data * y).sum()
        data.add_(1)
        with pytest.raises(RuntimeError, match="modified by an inplace operation|overwritten in place"):
            kept.backward()
        assert loss.data.item() == loss.detach().item() and online.weight.data.cpu().numpy().shape == (2, 3)
    copied = copy.deepcopy(tinynn.ones(2).data)  # a copy of a .data tensor is an ordinary tensor
    assert "_writes_unseen" not in copied.__dict__
    assert "_writes_unseen" not in pickle.loads(pickle.dumps(tinynn.ones(2).data)).__dict__


def test_resize_in_place_keeps_the_leading_values(torch):
    ours, theirs = tinynn.arange(6.0).reshape(2, 3), torch.arange(6.0).reshape(2, 3)
    assert ours.resize_(4) is ours and ours.tolist() == theirs.resize_(4).tolist()
    ours.resize_((2, 4))
    assert ours.shape == (2, 4) and ours.tolist()[0] == [0.0, 1.0, 2.0, 3.0] and ours.tolist()[1] == [0.0] * 4
    assert tinynn.ones(3).resize_as_(tinynn.ones(1, 2)).shape == (1, 2)
    with pytest.raises(RuntimeError, match="requires grad"):
        tinynn.ones(2, requires_grad=True).resize_(3)
    with pytest.raises(ValueError, match="non-negative integer sizes"):
        tinynn.ones(2).resize_(-1)


def test_what_pytorch_scripts_ask_a_tensor_about_its_backends_and_graph(torch):
    x = tinynn.tensor([1.0, 2.0], requires_grad=True)
    theirs = torch.tensor([1.0, 2.0])
    for name in ("is_mps", "is_xpu", "is_ipu", "is_xla", "is_mtia", "is_maia", "is_vulkan"):
        assert getattr(x, name) is False and getattr(theirs, name) is False
    assert (x * 2).output_nr == (torch.tensor([1.0], requires_grad=True) * 2).output_nr == 0

    class Marked(tinynn.Tensor):
        pass

    doubled = (x * 2).as_subclass(Marked)
    assert type(doubled) is Marked and doubled.grad_fn is not None
    doubled.sum().backward()  # still in the graph
    assert x.grad.tolist() == [2.0, 2.0]
    with pytest.raises(TypeError, match="as_subclass: expected a subclass of tinynn.Tensor"):
        x.as_subclass(list)
    with pytest.raises(RuntimeError, match="record_stream: only GPU tensors are used by streams, this one is on cpu"):
        x.record_stream(None)


def test_record_stream_takes_gpu_tensors(device):
    x = tinynn.ones(2, device=device)
    if device == "cpu":
        with pytest.raises(RuntimeError, match="only GPU tensors"):
            x.record_stream(None)
    else:
        assert x.record_stream(tinynn.cuda.current_stream()) is None


def test_grad_dtype_keeps_a_leafs_gradient_in_the_dtype_asked_for_as_pytorchs(torch):
    """float32 gradients for a float16 parameter; None: whatever dtype arrives; leaves only (PyTorch 2.13's
    feature: compared with PyTorch where it has it)."""
    results = []
    for library in (tinynn, torch) if hasattr(torch.Tensor, "grad_dtype") else (tinynn,):
        x = library.tensor([1.0, 2.0], dtype=library.float16, requires_grad=True)
        default = x.grad_dtype
        x.grad_dtype = library.float32
        (x * 3).sum().backward()
        (x * 2).sum().backward()  # (accumulated in float32)
        accumulated = (str(x.grad.dtype).replace("torch.", ""), x.grad.tolist())
        x.grad, x.grad_dtype = None, None
        (x.float() * 3).sum().backward()
        results.append((str(default).replace("torch.", ""), accumulated, str(x.grad.dtype).replace("torch.", "")))
        with pytest.raises(RuntimeError, match="grad_dtype can only be set on leaf tensors"):
            (x * 2).grad_dtype = library.float32
    assert all(result == ("float16", ("float32", [5.0, 5.0]), "float16") for result in results)


def test_tensors_that_took_part_in_a_graph_pickle_as_pytorchs(torch):
    """pickle keeps the values, requires_grad and attributes; a non-leaf comes back a leaf and hooks are left
    out, as PyTorch's pickles do (a tensor used by a recorded op holds weak references, which cannot pickle).
    The gradient is kept, as deepcopy keeps it (PyTorch's pickle leaves it out)."""
    import copy
    import pickle

    model = tinynn.nn.Linear(3, 2)
    model.weight.note = "kept"
    model.weight.register_hook(lambda grad: grad * 2)
    output = model(tinynn.ones(4, 3))
    output.sum().backward()
    again = pickle.loads(pickle.dumps(model))
    assert isinstance(again.weight, tinynn.nn.Parameter) and again.weight.requires_grad and again.weight.note == "kept"
    np.testing.assert_array_equal(again(tinynn.ones(4, 3)).detach().numpy(), output.detach().numpy())
    np.testing.assert_array_equal(again.weight.grad.numpy(), np.full((2, 3), 8.0))  # 4 per weight, doubled by the hook
    again.weight.grad = None
    again(tinynn.ones(4, 3)).sum().backward()  # the hook (a lambda, which pickle cannot write) was left out
    np.testing.assert_array_equal(again.weight.grad.numpy(), np.full((2, 3), 4.0))
    theirs = torch.nn.Linear(3, 2)
    their_output = theirs(torch.ones(4, 3))
    for ours, reference in ((pickle.loads(pickle.dumps(output)), pickle.loads(pickle.dumps(their_output))),
                            (copy.deepcopy(output.detach()), copy.deepcopy(their_output.detach()))):
        assert (ours.is_leaf, ours.requires_grad, ours.grad_fn) == (reference.is_leaf, reference.requires_grad,
                                                                     reference.grad_fn)


def test_type_converts_to_a_type_given_by_name_or_legacy_class_as_pytorch(torch, device):
    """x.type("torch.IntTensor") and x.type(torch.IntTensor) convert in PyTorch; the name was refused
    ("data type 'tinynn.IntTensor' not understood")."""
    x = tinynn.tensor([1.5, -2.5], device=device)
    for target in ("torch.IntTensor", "tinynn.IntTensor", tinynn.IntTensor):
        converted = x.type(target)
        assert converted.dtype == np.int32 and converted.tolist() == torch.tensor([1.5, -2.5]).type(torch.IntTensor).tolist()
        assert converted.device == x.device
    assert x.type("torch.DoubleTensor").type() == "tinynn.DoubleTensor"
    with pytest.raises(ValueError, match="invalid type 'torch.FooTensor'"):
        x.type("torch.FooTensor")


@pytest.mark.parametrize("array", [np.array(["a", "b"]), np.array([b"a"]), np.array([1, 2], dtype=object),
                                   np.zeros(2, dtype="datetime64[s]"), np.zeros(2, dtype=[("a", "f4")])],
                         ids=["str", "bytes", "object", "datetime", "record"])
@pytest.mark.parametrize("make", ["tensor", "Tensor", "as_tensor", "from_numpy"])
def test_arrays_of_non_numbers_are_refused_as_in_torch(make, array):
    """(They made tensors of strings or objects, which failed later, far from the cause.)"""
    with pytest.raises(TypeError, match="tensor: cannot hold an array of dtype .*; a tensor holds bools, integers"):
        getattr(tinynn, make)(array)


@pytest.mark.parametrize("dtype", [">f4", ">f8", ">i8", ">c8", ">u2", ">f2"])
@pytest.mark.parametrize("make", ["tensor", "Tensor", "as_tensor"])
def test_an_array_in_the_other_byte_order_becomes_a_tensor_in_the_machines(make, dtype):
    """(A big-endian array, as a file written on another machine gives, made a tensor of dtype '>f4', which
    is not float32: dtype checks and comparisons failed. PyTorch refuses such arrays.)"""
    array = np.array([[1.5, -2.0], [3.0, 0.0]]).astype(dtype)
    made = getattr(tinynn, make)(array)
    native = np.dtype(dtype).newbyteorder("=")
    assert made.dtype == native and made.dtype.isnative
    np.testing.assert_array_equal(made.numpy(), array)
    np.testing.assert_array_equal((made * 2).numpy(), array.astype(native) * 2)


def test_from_numpy_refuses_what_it_cannot_share_and_no_tensor_holds_a_long_double():
    with pytest.raises(TypeError, match=r"from_numpy: the array's values are in the other byte order \(>f4\).*"
                                        r"tinynn.tensor\(array\) copies it"):
        tinynn.from_numpy(np.zeros(2, dtype=">f4"))
    for wide, widest in ((np.longdouble, "float64"), (np.clongdouble, "complex128")):
        if np.dtype(wide).itemsize <= np.dtype(widest).itemsize:
            continue  # (a platform whose long double is a double)
        for make in ("tensor", "Tensor", "as_tensor", "from_numpy"):
            with pytest.raises(TypeError, match=rf"cannot hold an array of dtype {np.dtype(wide).name} \(NumPy's long "
                                                rf"double\).*convert it with .astype\(numpy.{widest}\)"):
                getattr(tinynn, make)(np.ones(2, dtype=wide))


@pytest.mark.parametrize("operand, described", [
    (None, "NoneType"), ("a", "an array of <U1"), (np.array(["1", "2"]), "an array of <U1"), ({"a": 1}, "dict"),
    ([[1.0], [1.0, 2.0]], "list"), (np.zeros(2, dtype="datetime64[s]"), "an array of datetime64"), (object(), "object")],
    ids=["None", "str", "str-array", "dict", "ragged", "datetime", "object"])
@pytest.mark.parametrize("op", ["mul", "radd", "sub", "lt", "ge", "where", "maximum", "setitem", "masked setitem"])
def test_an_operand_that_is_no_number_is_named_not_made_a_nan(op, operand, described):
    """(x * None, x + None and x[0] = None gave NaN, x * np.array(["1", "2"]) multiplied by 1 and 2, x < "a"
    failed inside NumPy's ufunc machinery; x == None stays False everywhere, as NumPy's.)"""
    x = tinynn.tensor([1.0, 2.0])

    def written(index):
        x[index] = operand

    compute = {"mul": lambda: x * operand, "radd": lambda: operand + x, "sub": lambda: x - operand,
               "lt": lambda: x < operand, "ge": lambda: x >= operand, "where": lambda: tinynn.where(x > 1, x, operand),
               "maximum": lambda: tinynn.maximum(x, operand), "setitem": lambda: written(0),
               "masked setitem": lambda: written(x > 1)}[op]
    with pytest.raises(TypeError, match=f"operand must be a Tensor, a number, or an array or list of numbers; got "
                                        f"{described}"):
        compute()
    assert x.tolist() == [1.0, 2.0]


def test_a_list_of_floats_as_an_operand_is_taken_as_the_numbers_alone_are():
    """In the tensor's float dtype (a float64 tensor keeps their every digit; a float32 one stays float32),
    else the default float dtype; before, NumPy made them float64, so a float32 tensor times [0.5] was float64."""
    x64, x32, ints = tinynn.tensor([0.1], dtype=tinynn.float64), tinynn.tensor([0.1]), tinynn.tensor([3])
    assert (x64 == [0.1]).tolist() == [True] and (x64 * [0.1]).item() == 0.1 * 0.1
    assert (x32 * [0.5]).dtype == np.float32 and (x32 + (0.5,)).dtype == np.float32
    assert (ints * [0.5]).dtype == np.float32 and (ints * [0.5]).tolist() == [1.5]
    assert (x32 * [1j]).dtype == np.complex64 and (x64 * [1j]).dtype == np.complex128
    assert (x32 * np.array([0.5])).dtype == np.float64, "an array keeps its dtype, as a tensor of it would"
    assert (x32 * [2]).dtype == np.float32 and (ints * [2]).dtype == np.int64
