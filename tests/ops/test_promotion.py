"""Type promotion (tinynn/ops/promotion.py) and the default float dtype, against PyTorch: the dtype
and values of ops whose operands differ in dtype, rank (0-d or not) or are Python numbers; float
results of integer inputs; gradients through a promotion; set_default_dtype and what it reaches."""
import itertools
import warnings

import numpy as np
import pytest

import tinynn
from tinynn.ops import promotion

DTYPES = ["bool", "uint8", "int8", "int32", "int64", "float16", "float32", "float64"]


def _operands(torch):
    """name: (tinynn operand, PyTorch operand): tensors of each dtype with and without dimensions,
    and Python numbers; values small and positive so that every dtype and op holds them."""
    values = np.array([1, 3, 2])
    operands = {}
    for dtype in DTYPES:
        array = values.astype(dtype)
        operands[f"{dtype}[3]"] = (tinynn.tensor(array), torch.tensor(array))
        operands[f"{dtype}[]"] = (tinynn.tensor(array[1]), torch.tensor(array[1]))
    for number in (True, 2, 2.5):
        operands[repr(number)] = (number, number)
    return operands


BINARY = {"add": lambda m, a, b: a + b, "sub": lambda m, a, b: a - b, "mul": lambda m, a, b: a * b,
          "div": lambda m, a, b: a / b, "maximum": lambda m, a, b: m.maximum(m.as_tensor(a), m.as_tensor(b)),
          "where": lambda m, a, b: m.where(m.tensor([True, False, True]), a, b),
          "atan2": lambda m, a, b: m.atan2(m.as_tensor(a), m.as_tensor(b)),
          "bitwise_and": lambda m, a, b: a & b, "bitwise_or": lambda m, a, b: a | b, "bitwise_xor": lambda m, a, b: a ^ b,
          "left_shift": lambda m, a, b: a << b, "right_shift": lambda m, a, b: a >> b,
          "bitwise_or function": lambda m, a, b: m.bitwise_or(m.as_tensor(a), b)}


@pytest.mark.parametrize("op", sorted(BINARY))
def test_mixed_operands_compute_in_pytorchs_dtype(op, torch):
    operands = _operands(torch)
    compared = 0
    for (name_a, (ours_a, theirs_a)), (name_b, (ours_b, theirs_b)) in itertools.product(operands.items(), repeat=2):
        if not (isinstance(ours_a, tinynn.Tensor) or isinstance(ours_b, tinynn.Tensor)):
            continue  # two Python numbers: Python's arithmetic
        if op in ("maximum", "atan2") and not (isinstance(ours_a, tinynn.Tensor) and isinstance(ours_b, tinynn.Tensor)):
            continue  # tensors only, in both
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                expected = BINARY[op](torch, theirs_a, theirs_b)
        except (RuntimeError, TypeError):  # PyTorch refuses it (a bool in a subtraction, floats in a bitwise op)
            with pytest.raises((RuntimeError, TypeError)):
                BINARY[op](tinynn, ours_a, ours_b)
            continue
        result = BINARY[op](tinynn, ours_a, ours_b)
        what = f"{name_a} {op} {name_b}"
        assert str(result.dtype) == str(expected.dtype).replace("torch.", ""), what
        tolerance = 1e-3 if "float16" in str(expected.dtype) else 1e-6
        np.testing.assert_allclose(result.numpy().astype(np.float64), expected.numpy().astype(np.float64),
                                   rtol=tolerance, err_msg=what)
        compared += 1
    assert compared > 100


UNARY = ["exp", "log", "sqrt", "sin", "cos", "tanh", "sigmoid", "erf", "mean", "log1p", "atan"]


@pytest.mark.parametrize("dtype", ["bool", "uint8", "int32", "int64"])
def test_float_ops_of_integers_give_the_default_float_dtype(dtype, torch):
    values = np.array([1, 0, 3]).astype(dtype)
    for name in UNARY:
        with np.errstate(divide="ignore"):  # log(0) = -inf, as in PyTorch (pytest shows NumPy's warnings: see anomaly.py)
            ours = getattr(tinynn.tensor(values), name)()
        if name == "mean":  # PyTorch asks for a dtype here; tinynn takes the default one, as for the others
            theirs = torch.tensor(values).mean(dtype=torch.float32)
        else:
            theirs = getattr(torch.tensor(values), name)()
        assert str(ours.dtype) == str(theirs.dtype).replace("torch.", "") == "float32", name
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6, err_msg=name)
    assert (tinynn.tensor(values) / 2).dtype == np.float32 and (tinynn.tensor(values) // 2).dtype.kind in "iub"


def test_gradients_through_a_promotion_are_pytorchs_in_each_inputs_dtype(torch):
    weight = tinynn.tensor([0.5, -1.5, 2.0], requires_grad=True)
    scale = tinynn.tensor(3.0, dtype=tinynn.float64, requires_grad=True)
    counts = tinynn.tensor([1, 2, 3])
    theirs_weight = torch.tensor([0.5, -1.5, 2.0], requires_grad=True)
    theirs_scale = torch.tensor(3.0, dtype=torch.float64, requires_grad=True)
    ours = (weight * counts * scale / 2).sum()
    theirs = (theirs_weight * torch.tensor([1, 2, 3]) * theirs_scale / 2).sum()
    assert ours.dtype == np.float32 and theirs.dtype == torch.float32
    ours.backward()
    theirs.backward()
    assert weight.grad.dtype == np.float32 and scale.grad.dtype == np.float64
    np.testing.assert_allclose(weight.grad.numpy(), theirs_weight.grad.numpy(), rtol=1e-6)
    np.testing.assert_allclose(scale.grad.numpy(), theirs_scale.grad.numpy(), rtol=1e-6)


def test_result_type_ranks_follow_pytorch(torch):
    """The three ranks directly: a 0-d tensor or number counts only where it lifts the kind."""
    cases = [("int64", [3], "float64", [], "float64"), ("float16", [3], "float64", [], "float16"),
             ("int8", [3], "int64", [], "int8"), ("bool", [3], "int32", [], "int32"), ("uint8", [3], "int8", [3], "int16"),
             ("int32", [], "float16", [], "float16"), ("bool", [], "bool", [], "bool")]
    for dtype_a, shape_a, dtype_b, shape_b, expected in cases:
        tensors = [tinynn.zeros(*shape_a, dtype=np.dtype(dtype_a)), tinynn.zeros(*shape_b, dtype=np.dtype(dtype_b))]
        theirs = torch.result_type(torch.zeros(tuple(shape_a), dtype=getattr(torch, dtype_a)),
                                   torch.zeros(tuple(shape_b), dtype=getattr(torch, dtype_b)))
        assert str(promotion.result_type(tensors)) == expected == str(theirs).replace("torch.", "")


@pytest.fixture
def default_dtype(torch):
    """Set both frameworks' default float dtype for a test, and put float32 back afterwards."""
    def use(name):
        tinynn.set_default_dtype(getattr(tinynn, name))
        torch.set_default_dtype(getattr(torch, name))
    yield use
    tinynn.set_default_dtype(tinynn.float32)
    torch.set_default_dtype(torch.float32)


MADE = {"tensor(1.5)": lambda m: m.tensor(1.5), "tensor([1, 2])": lambda m: m.tensor([1, 2]),
        "Tensor([1, 2])": lambda m: m.Tensor([1, 2]), "zeros": lambda m: m.zeros(2), "ones": lambda m: m.ones(2),
        "full": lambda m: m.full((2,), 1.5), "full int": lambda m: m.full((2,), 3), "randn": lambda m: m.randn(2),
        "rand": lambda m: m.rand(2), "arange float": lambda m: m.arange(0.5, 3), "arange int": lambda m: m.arange(3),
        "linspace": lambda m: m.linspace(0, 1, 3), "eye": lambda m: m.eye(2), "empty": lambda m: m.empty(2),
        "normal": lambda m: m.normal(0.0, 1.0, (2,)), "Linear weight": lambda m: m.nn.Linear(2, 3).weight,
        "Conv2d bias": lambda m: m.nn.Conv2d(1, 2, 3).bias, "BatchNorm running_var": lambda m: m.nn.BatchNorm2d(2).running_var,
        "int / int": lambda m: m.tensor([1, 2]) / m.tensor([2, 2]), "int * float": lambda m: m.tensor([1, 2]) * 1.5,
        "where of numbers": lambda m: m.where(m.tensor([True, False]), 1.0, 0),
        "float32 + number": lambda m: m.ones(2, dtype=m.float32) + 2.5, "int mean": lambda m: m.tensor([1, 2]).float().mean(),
        "exp of int": lambda m: m.tensor([1, 2]).exp()}


@pytest.mark.parametrize("name", ["float64", "float16", "float32"])
def test_set_default_dtype_reaches_what_it_does_in_pytorch(name, default_dtype, torch):
    default_dtype(name)
    assert tinynn.get_default_dtype() is getattr(np, name)
    for what, make in MADE.items():
        assert str(make(tinynn).dtype) == str(make(torch).dtype).replace("torch.", ""), what
    float32 = tinynn.ones(1, dtype=tinynn.float32)
    assert ("dtype=tinynn.float32" in repr(float32)) == (name != "float32")  # the repr names a dtype other than the default
    assert "dtype" not in repr(tinynn.ones(1))


def test_set_default_dtype_takes_float_types_only():
    for bad in (tinynn.int64, np.bool_, "complex64"):
        with pytest.raises(TypeError, match="only floating-point types are supported as the default type"):
            tinynn.set_default_dtype(bad)
    with pytest.raises(TypeError, match="expected a dtype such as tinynn.float64, got 'nonsense'"):
        tinynn.set_default_dtype("nonsense")
    assert tinynn.get_default_dtype() is np.float32


# ops of an int64 tensor a and a float32 tensor b, as PyTorch's functions take them
MIXED = {
    "hypot": lambda m, a, b: m.hypot(a, b), "fmod": lambda m, a, b: m.fmod(a, b),
    "remainder": lambda m, a, b: m.remainder(a, b), "copysign": lambda m, a, b: m.copysign(a, b),
    "xlogy": lambda m, a, b: m.xlogy(a, b), "logaddexp": lambda m, a, b: m.logaddexp(a, b),
    "minimum": lambda m, a, b: m.minimum(a, b), "fmax": lambda m, a, b: m.fmax(a, b),
    "clamp by a tensor": lambda m, a, b: m.clamp(a, min=b), "clamp by a float": lambda m, a, b: m.clamp(a, 1.5, 2.5),
    "lerp": lambda m, a, b: m.lerp(b, b * 2, 0.5), "addcmul": lambda m, a, b: m.addcmul(b, a, b),
    "floor_divide": lambda m, a, b: m.floor_divide(a, b), "int // number": lambda m, a, b: a // 2,
    "pow": lambda m, a, b: m.pow(a, b), "int ** number": lambda m, a, b: a ** 2,
    "times a float64 0-d tensor": lambda m, a, b: b * m.tensor(2.5, dtype=m.float64),
    "cat": lambda m, a, b: m.cat([a, b]), "stack": lambda m, a, b: m.stack([a, b]),
    "where": lambda m, a, b: m.where(a > 1, a, b),
    "number - int": lambda m, a, b: 1.5 - a, "sum": lambda m, a, b: a.sum(), "prod": lambda m, a, b: a.prod(),
    "cumsum": lambda m, a, b: a.cumsum(0), "reciprocal": lambda m, a, b: a.reciprocal(), "rsqrt": lambda m, a, b: a.rsqrt(),
    "log2": lambda m, a, b: a.log2(), "tan": lambda m, a, b: a.tan(), "exp2": lambda m, a, b: m.exp2(a),
    "expm1": lambda m, a, b: m.expm1(a), "sinc": lambda m, a, b: m.sinc(a), "trapezoid": lambda m, a, b: m.trapezoid(a),
    "outer": lambda m, a, b: m.outer(a, b), "kron": lambda m, a, b: m.kron(a, b),
    "float_power": lambda m, a, b: m.float_power(a, 2), "true_divide": lambda m, a, b: m.true_divide(a, 2),
    "lgamma": lambda m, a, b: a.lgamma(), "atan2": lambda m, a, b: m.atan2(a, a), "median": lambda m, a, b: a.median(),
}


@pytest.mark.parametrize("name", sorted(MIXED))
def test_functions_of_mixed_dtypes_give_pytorchs_dtype_and_values(name, torch):
    ints, floats = np.array([1, 2, 3]), np.array([0.5, 1.5, 2.5], dtype=np.float32)
    expected = MIXED[name](torch, torch.tensor(ints), torch.tensor(floats))
    result = MIXED[name](tinynn, tinynn.tensor(ints), tinynn.tensor(floats))
    assert str(result.dtype) == str(expected.dtype).replace("torch.", "")
    np.testing.assert_allclose(result.numpy(), expected.detach().numpy(), rtol=1e-6)


def test_matmul_of_an_int_and_a_float_tensor_is_float32():
    """PyTorch refuses it ("expected m1 and m2 to have the same dtype"); tinynn promotes, as for the other ops."""
    product = tinynn.tensor([[1, 2]]) @ tinynn.tensor([[0.5], [1.5]])
    assert product.dtype == np.float32 and product.tolist() == [[3.5]]


@pytest.mark.parametrize("dtype", ["bool", "uint8", "int8", "int64", "float32"])
def test_minimum_of_every_dtype(dtype, torch):
    """minimum was once -maximum(-a, -b), wrong for unsigned integers (wrapping) and bools."""
    a, b = np.array([1, 0, 3, 2]).astype(dtype), np.array([2, 2, 0, 2]).astype(dtype)
    result, expected = tinynn.minimum(tinynn.tensor(a), tinynn.tensor(b)), torch.minimum(torch.tensor(a), torch.tensor(b))
    assert result.tolist() == expected.tolist() and str(result.dtype) == str(expected.dtype).replace("torch.", "")


def test_rounded_division_of_integers_stays_exact_integers(torch):
    a = np.array([-7, 7, -6, 5, -5, 2 ** 53 + 1, 0])
    b = np.array([2, -2, 2, 3, 3, 1, 5])
    for mode in ("trunc", "floor"):
        result = tinynn.tensor(a).div(tinynn.tensor(b), rounding_mode=mode)
        expected = torch.tensor(a).div(torch.tensor(b), rounding_mode=mode)
        assert result.dtype == np.int64 and result.tolist() == expected.tolist(), mode
        assert tinynn.tensor(a).div(2.0, rounding_mode=mode).dtype == np.float32


def test_negating_a_bool_tensor_is_pytorchs_error(torch):
    """As PyTorch, ``-mask`` is refused with the advice to use ``~`` (NumPy's TypeError named NumPy)."""
    for negate in (lambda m, t: -t, lambda m, t: m.neg(t), lambda m, t: t.neg_(), lambda m, t: m.negative(t)):
        with pytest.raises(RuntimeError) as expected:
            negate(torch, torch.tensor([True, False]))
        with pytest.raises(RuntimeError) as raised:
            negate(tinynn, tinynn.tensor([True, False]))
        assert str(raised.value) == str(expected.value)


HALF_VALUES = [1.0, 4.0, 1000.0, -3.0, 0.5, 0.1, 60000.0, 65504.0, float("inf")]  # (0.1: float16 0.09998)
HALF_NUMBERS = [1e5, -1e5, 70000, 65510.0, 1e-8, 3e-6, 0.1, 1e-4]
HALF_OPS = {  # name: (function of a tensor and a number, the same on float32 NumPy arrays)
    "add": (lambda x, n: x + n, lambda x, n: x + n),
    "sub": (lambda x, n: x - n, lambda x, n: x - n),
    "rsub": (lambda x, n: n - x, lambda x, n: n - x),
    "mul": (lambda x, n: x * n, lambda x, n: x * n),
    "div": (lambda x, n: x / n, lambda x, n: x / n),
    "rdiv": (lambda x, n: n / x, lambda x, n: n / x),
    "pow": (lambda x, n: x.abs() ** (n / 1e5), lambda x, n: np.abs(x) ** (n / np.float32(1e5))),
    "fmod": (lambda x, n: tinynn.fmod(x, n), np.fmod),
    "less": (lambda x, n: x < n, lambda x, n: x < n),
    "greater_equal": (lambda x, n: x >= n, lambda x, n: x >= n),
    "mul_": (lambda x, n: x.clone().mul_(n), lambda x, n: x * n),
    "div_": (lambda x, n: x.clone().div_(n), lambda x, n: x / n),
}


@pytest.mark.parametrize("name", sorted(HALF_OPS))
def test_float16_with_a_python_number_computes_in_float32_and_rounds_once(name, device):
    """float16 and a Python number compute in float32 (PyTorch's "opmath" type for half) and round to
    float16 once: the number keeps its value. Cast to float16 first, 1e5 was inf (x / 1e5 gave 0,
    60000 - 1e5 gave -inf), 1e-8 was 0 (1000 * 1e-8 gave 0), 65510 was 65504 (65504 < 65510 was
    False) and 0.1 was 0.09998 (float16's 0.09998 >= 0.1 was True)."""
    ours, reference = HALF_OPS[name]
    x = np.array(HALF_VALUES, dtype=np.float16)
    with np.errstate(all="ignore"):
        for number in HALF_NUMBERS:
            result = ours(tinynn.tensor(x, device=device), number)
            expected = reference(x.astype(np.float32), np.float32(number))
            expected = expected.astype(np.float16) if expected.dtype.kind == "f" else expected
            assert result.dtype == expected.dtype, number
            np.testing.assert_array_equal(result.numpy(), expected, err_msg=f"{name} with {number}")


def test_float16_divided_by_a_large_number_is_not_zero_and_its_gradient_neither():
    x = tinynn.tensor([1.0, 4.0, 1000.0], dtype=tinynn.float16, requires_grad=True)
    y = x / 1e5
    subnormal_spacing = 2.0 ** -24  # float16 holds 1e-5 and 4e-5 to this
    np.testing.assert_allclose(y.detach().float().numpy(), [1e-5, 4e-5, 1e-2], rtol=1e-3, atol=subnormal_spacing)
    y.sum().backward()
    assert x.grad.dtype == np.float16
    np.testing.assert_allclose(x.grad.float().numpy(), [1e-5] * 3, rtol=0, atol=subnormal_spacing)
    assert (tinynn.tensor([60000.0], dtype=tinynn.float16) - 1e5).item() == -40000  # (was -inf)


@pytest.mark.parametrize("op", ["mul", "div"])
def test_float16_scaled_by_a_python_number_equals_pytorchs(op, torch):
    """PyTorch's CPU kernels for mul and div take the number in float32 (the others cast it to float16
    first, which the porting guide names as a difference): tinynn's results equal them bit for bit."""
    x = np.random.default_rng(0).standard_normal(4000).astype(np.float16) * 100
    for number in [1e5, 70000, 1e-8, 3e-6, 0.1, 1e-4, 1 / 3, 7.3]:
        ours = getattr(tinynn.tensor(x), op)(number)
        theirs = getattr(torch.tensor(x), op)(number)
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy(), err_msg=f"{op} by {number}")


def test_a_number_made_for_a_float16_tensor_keeps_its_value_against_float32():
    """lerp(float16, float32, 0.1): the weight was made a float16 0.09998 before meeting the float32 end."""
    start = tinynn.zeros(3, dtype=tinynn.float16)
    end = tinynn.full((3,), 1000.0)
    assert tinynn.lerp(start, end, 0.1).tolist() == pytest.approx([100.0] * 3, rel=1e-6)


ALPHA_CASES = [("int64", 1.5), ("int64", True), ("int64", 2), ("int64", -3), ("bool", 2), ("bool", True),
               ("bool", 0), ("float32", 1e39), ("float32", 2j), ("float32", 2), ("float32", 0.5),
               ("float16", 1e5), ("float16", 3), ("float16", 1e-8), ("uint8", -1), ("uint8", 300)]


@pytest.mark.parametrize("dtype, alpha", ALPHA_CASES)
@pytest.mark.parametrize("op", ["add", "sub", "rsub", "add_"])
def test_alpha_is_checked_against_the_result_dtype_as_pytorchs(op, dtype, alpha, torch):
    """add/sub/rsub's alpha: a float alpha for integers (which made the result float), a bool alpha for
    numbers, a complex alpha for real tensors, and an alpha out of the dtype's range (1e5 for float16,
    which made every element inf) are refused as PyTorch refuses them; bool tensors stay bool."""
    if op in ("sub", "rsub") and dtype == "bool":
        return  # PyTorch refuses subtracting bools whatever alpha is
    values = np.array([1, 0, 2]).astype(dtype)

    def run(library):
        x, y = library.tensor(values), library.tensor(values[::-1].copy())
        call = {"add": lambda: library.add(x, y, alpha=alpha), "sub": lambda: x.sub(y, alpha=alpha),
                "rsub": lambda: library.rsub(x, y, alpha=alpha), "add_": lambda: x.add_(y, alpha=alpha)}[op]
        try:
            return call().numpy()
        except RuntimeError:
            return "refused"

    theirs, ours = run(torch), run(tinynn)
    if isinstance(theirs, str):
        assert ours == "refused"
    else:
        assert ours.dtype == theirs.dtype
        np.testing.assert_array_equal(ours, theirs)


@pytest.mark.parametrize("op", ["addcmul", "addcdiv"])
def test_addcmul_and_addcdiv_of_float16_compute_in_float32_as_pytorchs(op, torch):
    """input + value t1 t2 in float32 and rounded once: in float16 the product 1000 * 1000 was inf
    before value=1e-8 scaled it (and 1e-8 itself was 0, which made that inf NaN)."""
    values = np.array([1.0, 1000.0, -3.0, 0.5, 60000.0], dtype=np.float16)
    for value in [1e-8, 1e-3, 0.1, 2.0]:
        ours = getattr(tinynn, op)(tinynn.tensor(values), tinynn.tensor(values), tinynn.tensor(values), value=value)
        theirs = getattr(torch, op)(torch.tensor(values), torch.tensor(values), torch.tensor(values), value=value)
        assert ours.dtype == np.float16
        np.testing.assert_allclose(ours.float().numpy(), theirs.float().numpy(), rtol=1e-3)


def test_addcmul_value_is_checked_against_the_result_dtype():
    whole = tinynn.tensor([1, 2])
    with pytest.raises(RuntimeError, match="value must be a whole number, got 1.5"):
        tinynn.addcmul(whole, whole, whole, value=1.5)  # (made the result float; PyTorch truncates 1.5 to 1)
    real = tinynn.tensor([1.0, 2.0])
    with pytest.raises(RuntimeError, match="without overflow"):
        tinynn.addcdiv(real, real, real, value=1e39)
    with pytest.raises(RuntimeError, match="must not be a complex number"):
        real.addcmul_(real, real, value=2j)
    assert tinynn.addcmul(whole, whole, whole, value=True).tolist() == [2, 6]


def test_integers_compared_with_numbers_they_cannot_hold_compare_the_numbers_themselves():
    """uint8 < 300 is True everywhere (PyTorch wraps 300 to 44 first, as the porting guide says)."""
    small = tinynn.tensor([1, 255], dtype=tinynn.uint8)
    assert (small < 300).tolist() == [True, True]
    assert (small == -1).tolist() == [False, False]
    assert (small > -1).tolist() == [True, True]
    assert (tinynn.tensor([1, 2], dtype=tinynn.int8) >= 1000).tolist() == [False, False]
