"""Every elementwise op, reduction and binary function on every dtype (bool, unsigned and signed
integers, float16/32/64) and every pair of dtypes and Python numbers, against PyTorch: the same
dtype and the same values wherever PyTorch computes a result. This found, among others, minimum
and amin of unsigned integers computed through a negation that wraps around, sinh/cosh/logit of
uint8 likewise, and integer remainders coming back as floats."""
import itertools
import warnings

import numpy as np
import pytest

import tinynn

DTYPES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64"]
UNARY = ("abs neg sign sgn exp exp2 expm1 log log2 log10 log1p sqrt rsqrt square reciprocal sin cos tan asin acos atan "
         "sinh cosh tanh asinh acosh atanh sigmoid erf erfc erfinv lgamma digamma floor ceil round trunc frac logit sinc "
         "isnan isinf isfinite signbit nan_to_num clone logical_not bitwise_not positive deg2rad rad2deg angle").split()
REDUCTIONS = ("sum mean prod amax amin max min argmax argmin all any std var median nanmean nansum logsumexp "
              "count_nonzero norm cumsum cumprod").split()
BINARY = ("add sub mul div true_divide floor_divide remainder fmod pow atan2 hypot maximum minimum fmax fmin eq ne lt "
          "le gt ge logical_and logical_or logical_xor bitwise_and bitwise_or bitwise_xor copysign xlogy logaddexp "
          "logaddexp2 nextafter heaviside ldexp float_power gcd lcm").split()
WITH_NUMBERS = ["add", "mul", "sub", "div", "pow", "remainder", "fmod", "eq"]


def _sample(rng, dtype, shape=(2, 3)):
    if dtype == "bool":
        return rng.random(shape) > 0.5
    if dtype == "uint8":
        return rng.integers(0, 6, shape).astype(dtype)
    if dtype.startswith("int"):
        return rng.integers(-5, 6, shape).astype(dtype)
    return (rng.standard_normal(shape) * 3).astype(dtype)


def _check(what, ours, theirs):
    """ours() against theirs() (PyTorch): skipped where PyTorch refuses the call."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            expected = theirs()
    except (RuntimeError, TypeError, ValueError, NotImplementedError):
        return False
    with np.errstate(all="ignore"):  # inf and NaN, as PyTorch's (pytest shows NumPy's warnings: see anomaly.py)
        result = ours()
    if isinstance(expected, tuple):  # (values, indices)
        expected, result = expected[0], result[0]
    assert str(result.dtype) == str(expected.dtype).replace("torch.", ""), what
    tolerance = 2e-3 if "16" in str(expected.dtype) else 1e-5
    np.testing.assert_allclose(result.numpy().astype(np.float64), expected.detach().numpy().astype(np.float64),
                               rtol=tolerance, atol=tolerance, equal_nan=True, err_msg=what)
    return True


@pytest.mark.parametrize("op", UNARY + REDUCTIONS)
def test_unary_ops_and_reductions_of_every_dtype(op, torch):
    rng = np.random.default_rng(sorted(UNARY + REDUCTIONS).index(op))
    checked = 0
    for dtype in DTYPES:
        values = _sample(rng, dtype)
        checked += _check(f"{op}({dtype})", lambda: getattr(tinynn, op)(tinynn.tensor(values)),
                          lambda: getattr(torch, op)(torch.tensor(values)))
        if op in REDUCTIONS:
            checked += _check(f"{op}({dtype}, dim=1)", lambda: getattr(tinynn, op)(tinynn.tensor(values), 1),
                              lambda: getattr(torch, op)(torch.tensor(values), 1))
    assert checked >= 3, f"PyTorch computed {op} for {checked} dtypes only"


@pytest.mark.parametrize("op", BINARY)
def test_binary_ops_of_every_pair_of_dtypes(op, torch):
    rng = np.random.default_rng(BINARY.index(op))
    checked = 0
    for dtype_a, dtype_b in itertools.product(DTYPES, repeat=2):
        a, b = _sample(rng, dtype_a), _sample(rng, dtype_b)
        checked += _check(f"{op}({dtype_a}, {dtype_b})", lambda: getattr(tinynn, op)(tinynn.tensor(a), tinynn.tensor(b)),
                          lambda: getattr(torch, op)(torch.tensor(a), torch.tensor(b)))
        if op in WITH_NUMBERS and dtype_b == dtype_a:
            for number in (2, 2.5, True):
                checked += _check(f"{op}({dtype_a}, {number!r})", lambda: getattr(tinynn, op)(tinynn.tensor(a), number),
                                  lambda: getattr(torch, op)(torch.tensor(a), number))
    assert checked >= 9, f"PyTorch computed {op} for {checked} pairs only"


def test_integer_powers_with_negative_exponents_as_pytorch(torch):
    """NumPy refuses them; PyTorch gives 1 / a^|b| truncated towards zero."""
    a, b = np.array([2, 1, -1, 0, 3, -2, -1]), np.array([-1, -1, -1, -1, -2, -3, -2])
    assert (tinynn.tensor(a) ** tinynn.tensor(b)).tolist() == (torch.tensor(a) ** torch.tensor(b)).tolist()


def test_relu_of_integers_is_a_clear_error():
    """PyTorch's relu takes integers; tinynn's activations ask for floats, saying how to convert."""
    with pytest.raises(TypeError, match="relu: expected a floating-point input, got dtype int64; convert it with .float()"):
        tinynn.relu(tinynn.tensor([1, -2]))
