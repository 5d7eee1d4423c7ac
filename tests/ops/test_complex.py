"""Complex tensors (tinynn/ops/complex.py): type promotion, the ops that take them, PyTorch's gradient
convention (z.grad = dL/dx + i dL/dy) checked by finite differences and against PyTorch, and the
refusal of ops that have no complex meaning."""
import numpy as np
import pytest

import tinynn
from tinynn.autograd import gradcheck, gradgradcheck

RNG = np.random.default_rng(7)


def complex_leaf(*shape, dtype=np.complex128):
    values = RNG.standard_normal(shape) + 1j * RNG.standard_normal(shape)
    return tinynn.tensor(values.astype(dtype), requires_grad=True)


def real_leaf(*shape, dtype=np.float64):
    return tinynn.tensor(RNG.standard_normal(shape).astype(dtype), requires_grad=True)


# name -> (function of tinynn or torch tensors, input makers); the same function runs on both
CASES = {
    "mul broadcast": (lambda a, b: a * b, [lambda: complex_leaf(3, 4), lambda: complex_leaf(4)]),
    "real times complex": (lambda a, b: a * b, [lambda: real_leaf(3, 4), lambda: complex_leaf(4)]),
    "add sub neg": (lambda a, b: -(a + b) - b * 2j, [lambda: complex_leaf(3), lambda: complex_leaf(3)]),
    "div": (lambda a, b: a / b, [lambda: complex_leaf(3), lambda: complex_leaf(3)]),
    "pow number": (lambda a: a ** 2.5, [lambda: complex_leaf(4)]),
    "pow complex": (lambda a, b: a ** b, [lambda: complex_leaf(3), lambda: complex_leaf(3)]),
    "matmul": (lambda a, b: a @ b, [lambda: complex_leaf(2, 3), lambda: complex_leaf(3, 2)]),
    "exp log sqrt": (lambda a: a.exp().log().sqrt(), [lambda: complex_leaf(4)]),
    "sin cos tanh sigmoid": (lambda a: a.sin().cos().tanh().sigmoid(), [lambda: complex_leaf(4)]),
    "log1p expm1": (lambda a: (a * 0.3).expm1().log1p(), [lambda: complex_leaf(4)]),
    "abs": (lambda a: a.abs(), [lambda: complex_leaf(5)]),
    "angle": (lambda a: a.angle(), [lambda: complex_leaf(5)]),
    "real imag": (lambda a: a.real * a.imag, [lambda: complex_leaf(5)]),
    "conj": (lambda a: a.conj() * a.sin(), [lambda: complex_leaf(5)]),
    "sum mean cumsum": (lambda a: (a.sum(0) * a.mean(1)[0]).cumsum(0), [lambda: complex_leaf(3, 4)]),
    "shape ops": (lambda a: a.reshape(2, 6).T[1:].flip(0).roll(1, 0), [lambda: complex_leaf(3, 4)]),
    "where": (lambda a, b: a.where(a.real > 0, b), [lambda: complex_leaf(6), lambda: complex_leaf(6)]),
    "scatter": (lambda a, b: a.scatter(1, a.real.argsort(1)[:, :2].detach(), b), [lambda: complex_leaf(3, 4),
                                                                                lambda: complex_leaf(3, 2)]),
    "inverse trigonometric": (lambda a: a.asin() + a.acos() * a.atan(), [lambda: complex_leaf(6)]),
    "inverse hyperbolic": (lambda a: a.asinh() * a.acosh() + a.atanh(), [lambda: complex_leaf(6)]),
    # -2 +- 0.1j: where sqrt((z - 1)(z + 1)) and sqrt(z - 1) sqrt(z + 1) differ in sign
    "acosh left of the cut": (lambda a: a.acosh(), [lambda: tinynn.tensor([-2 + 0.1j, -2 - 0.1j, -0.5 + 2j],
                                                                         dtype=tinynn.complex128, requires_grad=True)]),
    "prod": (lambda a: a.prod(1) * a.prod(), [lambda: complex_leaf(3, 4)]),
    "logsumexp logaddexp": (lambda a, b: a.logsumexp(1).logaddexp(b), [lambda: complex_leaf(3, 4),
                                                                       lambda: complex_leaf(3)]),
}


def _torch_inputs(torch, inputs):
    return [torch.tensor(x.detach().numpy(), requires_grad=True) for x in inputs]


@pytest.mark.parametrize("name", sorted(CASES))
def test_gradients_match_finite_differences(name):
    function, makers = CASES[name]
    inputs = [make() for make in makers]
    assert gradcheck(function, inputs)
    assert gradcheck(function, inputs, fast_mode=True)


@pytest.mark.parametrize("name", ["mul broadcast", "div", "exp log sqrt", "abs", "angle", "real imag", "conj",
                                  "shape ops", "matmul", "pow number", "inverse trigonometric", "inverse hyperbolic",
                                  "prod", "logsumexp logaddexp"])
def test_second_derivatives_match_finite_differences(name):
    function, makers = CASES[name]
    assert gradgradcheck(function, [make() for make in makers])


@pytest.mark.parametrize("name", sorted(CASES))
def test_values_and_gradients_equal_pytorchs(torch, name):
    function, makers = CASES[name]
    inputs = [make() for make in makers]
    theirs = _torch_inputs(torch, inputs)
    y, ty = function(*inputs), function(*theirs)
    np.testing.assert_allclose(y.detach().numpy(), ty.detach().resolve_conj().numpy(), rtol=1e-10, atol=1e-12)
    assert y.dtype == np.dtype(str(ty.dtype).replace("torch.", ""))
    weights = RNG.standard_normal(y.shape) + (1j * RNG.standard_normal(y.shape) if y.dtype.kind == "c" else 0)
    y.backward(tinynn.tensor(weights.astype(y.dtype)))
    ty.backward(torch.tensor(weights.astype(y.dtype)))
    for x, tx in zip(inputs, theirs):
        assert x.grad.dtype == x.dtype  # a real input gets a real gradient
        np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-9, atol=1e-12)


def test_gradient_descends_on_a_complex_parameter():
    """z.grad = dL/dx + i dL/dy is the direction of steepest ascent: SGD on |z - c|^2 reaches c."""
    target = tinynn.tensor(np.array([1.5 - 2j, -0.5 + 0.25j], dtype=np.complex64))
    z = tinynn.zeros(2, dtype=tinynn.complex64, requires_grad=True)
    optimizer = tinynn.optim.SGD([z], lr=0.1)
    for _ in range(100):
        optimizer.zero_grad()
        ((z - target).abs() ** 2).sum().backward()
        optimizer.step()
    np.testing.assert_allclose(z.detach().numpy(), target.numpy(), atol=1e-5)
    assert z.dtype == np.complex64


def test_modulus_squared_has_gradient_two_z():
    z = tinynn.tensor(np.array([1 + 2j, -3 + 0.5j]), requires_grad=True)
    (z * z.conj()).real.sum().backward()
    np.testing.assert_allclose(z.grad.numpy(), 2 * z.detach().numpy())


@pytest.mark.parametrize("dimensioned, other", [
    ("float32", "complex128 0-d"), ("float64", "complex64 0-d"), ("float64", "complex64"), ("int64", "complex"),
    ("float32", "complex"), ("float64", "complex"), ("complex64", "float64 0-d"), ("int64", "complex128 0-d"),
    ("float16", "complex64"), ("complex64", "complex128"), ("bool", "complex"), ("int32", "float"),
    ("complex64", "float"), ("complex128", "int"),
])
def test_promotion_equals_pytorchs(torch, dimensioned, other):
    def make(framework, spec):
        if spec in ("complex", "float", "int"):
            return {"complex": 1 + 2j, "float": 1.5, "int": 3}[spec]
        name, _, zero_dim = spec.partition(" ")
        values = np.ones(() if zero_dim else (2,), dtype=name)
        return tinynn.tensor(values) if framework is tinynn else torch.tensor(values)

    ours = make(tinynn, dimensioned) + make(tinynn, other)
    theirs = make(torch, dimensioned) + make(torch, other)
    expected = str(theirs.dtype).replace("torch.", "").replace("complex32", "complex64")  # no complex32 here
    assert ours.dtype == np.dtype(expected)
    assert tinynn.result_type(make(tinynn, dimensioned), make(tinynn, other)) == np.dtype(expected)


def test_default_complex_dtype_follows_the_default_float():
    assert tinynn.tensor([1j]).dtype == np.complex64
    assert (tinynn.ones(2) * 1j).dtype == np.complex64
    tinynn.set_default_dtype(tinynn.float64)
    try:
        assert tinynn.tensor([1j]).dtype == np.complex128
        assert (tinynn.arange(2) * 1j).dtype == np.complex128
    finally:
        tinynn.set_default_dtype(tinynn.float32)


def test_dtype_names_and_repr():
    assert tinynn.cfloat is tinynn.complex64 is np.complex64
    assert tinynn.cdouble is tinynn.complex128 is np.complex128
    assert repr(tinynn.tensor([1 + 2j])) == "tensor([1.+2.j])"
    assert "dtype=tinynn.complex128" in repr(tinynn.tensor(np.array([1j])))
    assert tinynn.tensor([1j]).is_complex() and not tinynn.ones(1).is_complex()


@pytest.mark.parametrize("operation", [
    lambda z: z.relu(), lambda z: z.max(), lambda z: z.clip(0, 1), lambda z: tinynn.nn.functional.softmax(z, 0),
    lambda z: z.erf(), lambda z: z.lgamma(), lambda z: tinynn.nn.Linear(2, 2)(z),
    lambda z: tinynn.nn.functional.mse_loss(z, z), lambda z: tinynn.nn.functional.dropout(z),
    # these once cast complex inputs to a real dtype, dropping the imaginary part
    lambda z: tinynn.xlogy(z, z), lambda z: tinynn.hypot(z, 1.0), lambda z: tinynn.logaddexp2(z, z),
    lambda z: tinynn.copysign(z, z), lambda z: tinynn.nextafter(z, z),
])
def test_ops_without_a_complex_meaning_refuse_complex_inputs(operation):
    z = tinynn.tensor(np.array([1 + 1j, 2 - 1j], dtype=np.complex64))
    with pytest.raises(TypeError, match="complex|floating-point"):
        operation(z)


def test_backward_from_a_complex_output_needs_its_gradient():
    z = complex_leaf(1)
    with pytest.raises(RuntimeError, match="implicitly created only for real outputs"):
        (z * 2).sum().backward()


def test_only_float_and_complex_tensors_require_grad():
    tinynn.tensor([1j]).requires_grad_()
    with pytest.raises(TypeError, match="floating-point and complex"):
        tinynn.tensor([1]).requires_grad_()


def test_complex_and_polar_and_views(torch):
    real, imag = real_leaf(3, 1), real_leaf(4)
    z = tinynn.complex(real, imag)
    tz = torch.complex(torch.tensor(real.detach().numpy()), torch.tensor(imag.detach().numpy()))
    np.testing.assert_array_equal(z.detach().numpy(), tz.numpy())
    np.testing.assert_array_equal(tinynn.view_as_real(z).detach().numpy(), torch.view_as_real(tz).numpy())
    pairs = real_leaf(5, 2)
    np.testing.assert_array_equal(tinynn.view_as_complex(pairs).detach().numpy(),
                                  torch.view_as_complex(torch.tensor(pairs.detach().numpy())).numpy())
    radius, theta = real_leaf(4).abs().detach(), real_leaf(4).detach()
    np.testing.assert_allclose(tinynn.polar(radius, theta).numpy(),
                               torch.polar(torch.tensor(radius.numpy()), torch.tensor(theta.numpy())).numpy(), rtol=1e-15)
    for function, inputs in [(tinynn.complex, [real_leaf(3, 1), real_leaf(4)]),
                             (tinynn.polar, [real_leaf(3), real_leaf(3)]),
                             (tinynn.view_as_complex, [real_leaf(4, 2)]), (tinynn.view_as_real, [complex_leaf(4)])]:
        assert gradcheck(function, inputs)


def test_complex_construction_errors_name_the_problem():
    with pytest.raises(TypeError, match="one dtype"):
        tinynn.complex(tinynn.ones(2), tinynn.ones(2, dtype=tinynn.float64))
    with pytest.raises(ValueError, match="last dimension of size 2"):
        tinynn.view_as_complex(tinynn.ones(3))
    with pytest.raises(TypeError, match="expected a complex tensor"):
        tinynn.view_as_real(tinynn.ones(3))
    with pytest.raises(TypeError, match="only complex tensors have an imaginary part"):
        tinynn.ones(3).imag


def test_real_input_promoted_to_complex_gets_the_real_part_of_its_gradient():
    x = real_leaf(3)
    y = (x * (1 + 2j)).exp()
    (y.real + y.imag).sum().backward()
    xv = x.detach().numpy()
    # d/dx [Re + Im] of e^{(1+2i)x} = e^x [cos 2x - 2 sin 2x] + e^x [sin 2x + 2 cos 2x]
    expected = np.exp(xv) * (np.cos(2 * xv) - 2 * np.sin(2 * xv) + np.sin(2 * xv) + 2 * np.cos(2 * xv))
    np.testing.assert_allclose(x.grad.numpy(), expected, rtol=1e-12)
    assert x.grad.dtype == np.float64


def test_complex_ops_on_every_device(device):
    values = (RNG.standard_normal((3, 4)) + 1j * RNG.standard_normal((3, 4))).astype(np.complex64)
    results = {}
    for where in ("cpu", device):
        z = tinynn.tensor(values, device=where, requires_grad=True)
        loss = ((z * z.conj().exp()).abs() + z.angle()).sum() + tinynn.view_as_real(z @ z.T).sum()
        loss.backward()
        results[where] = (loss.item(), z.grad.to("cpu").numpy())
    np.testing.assert_allclose(results[device][0], results["cpu"][0], rtol=1e-5)
    np.testing.assert_allclose(results[device][1], results["cpu"][1], rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("name", ["sinh cosh", "var std", "sgn", "norms", "vdot dot", "cov corrcoef", "normalize",
                                  "l1_loss", "functional tanh sigmoid", "float_power ldexp", "pairwise_distance"])
def test_composed_functions_equal_pytorchs(torch, name):
    functions = {
        "cov corrcoef": lambda m, z: m.cov(z) * m.corrcoef(z) + m.cov(z.T, fweights=m.tensor([1, 2, 1]),
                                                                  aweights=m.tensor([0.5, 1.0, 2.0], dtype=m.float64)).sum(),
        "normalize": lambda m, z: m.nn.functional.normalize(z, dim=0) + m.nn.functional.normalize(z, p=1, dim=1),
        "l1_loss": lambda m, z: m.nn.functional.l1_loss(z, z.flip(0) * 2) + m.nn.functional.l1_loss(
            z, z.real, reduction="sum", weight=z.real.abs()),
        "functional tanh sigmoid": lambda m, z: m.nn.functional.tanh(z) * m.nn.functional.sigmoid(z),
        # non-negative exponents: PyTorch's ldexp backward computes 2^e in integers, so 2^-2 is 0 there
        "float_power ldexp": lambda m, z: m.float_power(z, 2.5) + m.float_power(z.real.abs(), z) * m.ldexp(
            z, m.tensor([[1, 3]])),
        "pairwise_distance": lambda m, z: m.nn.functional.pairwise_distance(z, z.flip(0) * 1j),
        "sinh cosh": lambda m, z: z.sinh() * z.cosh(),
        "var std": lambda m, z: z.var() + z.std(0, correction=0).sum(),
        "sgn": lambda m, z: z.sgn(),
        "norms": lambda m, z: z.norm() + m.linalg.vector_norm(z, 3) + m.linalg.vector_norm(z, 1),
        "vdot dot": lambda m, z: m.vdot(z.reshape(-1), (2 * z).reshape(-1)) * m.dot(z.reshape(-1), z.reshape(-1)),
    }
    values = RNG.standard_normal((3, 2)) + 1j * RNG.standard_normal((3, 2))
    ours, theirs = tinynn.tensor(values, requires_grad=True), torch.tensor(values, requires_grad=True)
    y, ty = functions[name](tinynn, ours), functions[name](torch, theirs)
    assert y.dtype == np.dtype(str(ty.dtype).replace("torch.", ""))
    np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy(), rtol=1e-12)
    weights = np.ones(y.shape, dtype=y.dtype)
    y.backward(tinynn.tensor(weights))
    ty.backward(torch.tensor(weights))
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_ldexp_gradient_is_two_to_the_exponent_also_for_negative_exponents():
    z = complex_leaf(2, 2)
    tinynn.ldexp(z, tinynn.tensor([1, -2])).backward(tinynn.ones(2, 2, dtype=tinynn.complex128))
    np.testing.assert_array_equal(z.grad.numpy(), np.broadcast_to([2.0, 0.25], (2, 2)))
    assert gradcheck(lambda x: tinynn.ldexp(x, tinynn.tensor([1, -2])), [complex_leaf(2, 2)])


def test_unfold_and_fold_of_complex_images_equal_pytorchs(torch):
    values = RNG.standard_normal((2, 3, 5, 5)) + 1j * RNG.standard_normal((2, 3, 5, 5))
    ours, theirs = tinynn.tensor(values, requires_grad=True), torch.tensor(values, requires_grad=True)
    columns = tinynn.nn.functional.unfold(ours, 2, padding=1, stride=2)
    reference = torch.nn.functional.unfold(theirs, 2, padding=1, stride=2)
    y = tinynn.nn.functional.fold(columns * columns, (5, 5), 2, padding=1, stride=2)
    ty = torch.nn.functional.fold(reference * reference, (5, 5), 2, padding=1, stride=2)
    np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy(), rtol=1e-12)
    weights = RNG.standard_normal(y.shape) + 1j * RNG.standard_normal(y.shape)
    y.backward(tinynn.tensor(weights))
    ty.backward(torch.tensor(weights))
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-12)


@pytest.mark.parametrize("operation", [
    lambda z: z < z, lambda z: z >= 1, lambda z: z.sort(), lambda z: z.topk(1), lambda z: z.argmax(),
    lambda z: z.floor(), lambda z: z.round(), lambda z: z.sign(), lambda z: z.median(),
])
def test_orderings_refuse_complex_numbers(operation):
    with pytest.raises(TypeError, match="no order"):
        operation(tinynn.tensor(np.array([1 + 1j, 2 - 1j])))


def test_complex_factories():
    assert tinynn.full((2,), 1j).dtype == np.complex64
    draws = tinynn.randn(200_000, dtype=tinynn.complex64)
    assert draws.dtype == np.complex64
    # as PyTorch: E|z|^2 = 1, each part of variance 1/2
    assert abs((draws.abs() ** 2).mean().item() - 1) < 0.01
    assert abs(draws.real.numpy().var() - 0.5) < 0.01 and abs(draws.imag.numpy().var() - 0.5) < 0.01


def test_complex_tensors_move_between_pytorch_checkpoints_and_tinynn(torch, tmp_path):
    z = tinynn.tensor(np.array([1 + 2j, 3 - 1j], dtype=np.complex64))
    tinynn.save({"z": z}, tmp_path / "ours.pt")
    loaded = torch.load(tmp_path / "ours.pt")["z"]
    assert loaded.dtype == torch.complex64
    np.testing.assert_array_equal(loaded.numpy(), z.numpy())
    torch.save({"w": torch.tensor([1 + 1j, 2j], dtype=torch.complex128)}, tmp_path / "theirs.pt")
    w = tinynn.load(tmp_path / "theirs.pt")["w"]
    assert w.dtype == np.complex128
    np.testing.assert_array_equal(w.numpy(), [1 + 1j, 2j])


def test_conversions_and_in_place_forms(torch):
    assert tinynn.ones(2).cfloat().dtype == np.complex64 and tinynn.ones(2).cdouble().dtype == np.complex128
    z = tinynn.tensor([1 + 2j, -1j])
    assert z.conj_physical_() is z and z.tolist() == [1 - 2j, 1j]
    with pytest.raises(RuntimeError, match="complex64, which cannot be written into a tensor of dtype float32"):
        tinynn.ones(2).mul_(1j)
    shifted, reference = tinynn.tensor([1, 2]), torch.tensor([1, 2])
    shifted.bitwise_left_shift_(3)
    reference.bitwise_left_shift_(3)
    assert shifted.tolist() == reference.tolist()
    stepped = tinynn.tensor([1.0, 2.0])
    stepped.nextafter_(tinynn.tensor([2.0, 1.0]))
    assert stepped.tolist() == torch.tensor([1.0, 2.0]).nextafter_(torch.tensor([2.0, 1.0])).tolist()
    assert not (tinynn.ones(1).is_sparse or tinynn.ones(1).is_quantized or tinynn.ones(1).is_meta)


def test_repeated_index_gradients_add_up_on_every_device(device):
    """Scatter-adds of complex gradients (indexing, as_strided, istft) on the GPU go by real and
    imaginary part, as CUDA's atomic adds are for real numbers."""
    z = tinynn.tensor(np.array([1 + 1j, 2 - 1j, 3j], dtype=np.complex64), device=device, requires_grad=True)
    picked = z[tinynn.tensor([0, 0, 1, 0], device=device)]
    (picked * tinynn.tensor(np.array([1j, 2, 3, -1j], dtype=np.complex64), device=device)).sum().real.backward()
    # dL/dz for L = Re sum(w * z[i]) is conj(w) summed per index: conj(1j) + 2 + conj(-1j) at 0, 3 at 1
    np.testing.assert_allclose(z.grad.to("cpu").numpy(), [2, 3, 0])
    windows = z.as_strided((2, 2), (1, 1))
    (windows * 1j).sum().imag.backward()
    np.testing.assert_allclose(z.grad.to("cpu").numpy(), [3, 5, 1])


def test_python_numbers_from_one_element_tensors():
    assert complex(tinynn.tensor(1 + 2j)) == 1 + 2j and complex(tinynn.tensor(1.5)) == 1.5 + 0j
    assert tinynn.tensor([3j]).item() == 3j
    with pytest.raises(TypeError, match="complex"):
        float(tinynn.tensor(1 + 2j))
