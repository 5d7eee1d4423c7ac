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
    with pytest.raises(ValueError, match="integers to negative integer powers are not allowed"):
        tinynn.tensor(a) ** -1  # a Python exponent: PyTorch refuses it too
    with pytest.raises(ValueError, match="not allowed"):
        tinynn.tensor(a).pow(-2)
    assert (tinynn.tensor(a) ** 2).tolist() == (a ** 2).tolist()


def test_an_explicit_reduction_dtype_is_the_results(torch):
    values = np.array([[1, 2, 3], [4, 5, 6]], dtype=np.int32)
    for dtype in ("int32", "int16", "float64"):
        ours = tinynn.tensor(values).sum(1, dtype=getattr(tinynn, dtype))
        theirs = torch.tensor(values).sum(1, dtype=getattr(torch, dtype))
        assert str(ours.dtype) == str(theirs.dtype).replace("torch.", "") == dtype
        assert ours.tolist() == theirs.tolist()
    assert tinynn.tensor(values).sum().dtype == np.int64  # without one, integers sum in int64


def test_relu_takes_integers_as_pytorch_and_other_activations_ask_for_floats():
    """relu is max(x, 0), whole numbers in, whole numbers out, as PyTorch's (tests/nn/test_activation.py);
    the other activations ask for floats, saying how to convert."""
    assert tinynn.relu(tinynn.tensor([1, -2])).tolist() == [1, 0]
    with pytest.raises(TypeError, match="sigmoid: expected a floating-point or complex input, got dtype int64; convert it with .float()"):
        tinynn.nn.functional.sigmoid(tinynn.tensor([1, -2]))


# Shape, index, sort and in-place ops on every dtype: name -> f(module, x) for x of shape (3, 4)
INDEXING = {
    "sort": lambda m, x: m.sort(x, 1), "sort descending": lambda m, x: m.sort(x, 1, descending=True),
    "argsort": lambda m, x: m.argsort(x, 1), "topk": lambda m, x: m.topk(x, 2, 1), "unique": lambda m, x: m.unique(x),
    "cummax": lambda m, x: m.cummax(x, 1), "cummin": lambda m, x: m.cummin(x, 1), "kthvalue": lambda m, x: m.kthvalue(x, 2, 1),
    "median dim": lambda m, x: m.median(x, 1), "mode": lambda m, x: m.mode(x, 1), "mode dim 0": lambda m, x: m.mode(x, 0),
    "flip": lambda m, x: m.flip(x, [0]), "roll": lambda m, x: m.roll(x, 1, 1), "tril": lambda m, x: m.tril(x),
    "diag": lambda m, x: m.diag(x), "trace": lambda m, x: m.trace(x), "cat": lambda m, x: m.cat([x, x], 1),
    "gather": lambda m, x: m.gather(x, 1, m.tensor([[0, 1], [2, 3], [1, 1]])), "nonzero": lambda m, x: m.nonzero(x),
    "masked_select": lambda m, x: m.masked_select(x, m.tensor([[True, False, True, False]] * 3)),
    "clamp by ints": lambda m, x: m.clamp(x, -1, 2), "clamp by floats": lambda m, x: m.clamp(x, -1.5, 2.5),
    "where with a number": lambda m, x: m.where(x > 0, x, 0), "masked_fill": lambda m, x: x.masked_fill(x > 1, 7),
    "masked_fill with a float": lambda m, x: x.masked_fill(x > 1, 0.5), "diff": lambda m, x: m.diff(x, dim=1),
    "dot": lambda m, x: m.dot(x[0], x[1]), "outer": lambda m, x: m.outer(x[0], x[1]), "matmul": lambda m, x: m.matmul(x, x.T),
    "scatter_add": lambda m, x: m.zeros(3, 4, dtype=x.dtype).scatter_add(1, m.tensor([[0, 1, 2, 3]] * 3), x),
    "sum over a tuple": lambda m, x: m.sum(x, (0, 1), keepdim=True), "prod dim": lambda m, x: m.prod(x, 1),
    "aminmax": lambda m, x: m.aminmax(x), "max dim": lambda m, x: m.max(x, 1), "min dim": lambda m, x: m.min(x, 1),
    "clamp_": lambda m, x: x.clone().clamp_(-1, 2), "cumsum_": lambda m, x: x.clone().cumsum_(1),
    "floor_divide_": lambda m, x: x.clone().floor_divide_(2), "remainder_": lambda m, x: x.clone().remainder_(3),
    "pow_": lambda m, x: x.clone().pow_(2), "square_": lambda m, x: x.clone().square_(), "sign_": lambda m, x: x.clone().sign_(),
    "setitem a float": lambda m, x: (lambda y: (y.__setitem__((0, slice(None)), 1.7), y)[1])(x.clone()),
    "new_full": lambda m, x: x.new_full((2,), 3), "full_like": lambda m, x: m.full_like(x, 2.5),
    "sum with dtype": lambda m, x: m.sum(x, dtype=m.float64), "cumsum with dtype": lambda m, x: m.cumsum(x, 1, dtype=m.float32),
}
TIES_MAY_DIFFER = {"topk", "kthvalue", "median dim", "max dim", "min dim"}  # which of equal elements PyTorch names


@pytest.mark.parametrize("op", sorted(INDEXING))
def test_shape_index_sort_and_in_place_ops_of_every_dtype(op, torch):
    rng = np.random.default_rng(sorted(INDEXING).index(op))
    checked = 0
    for dtype in DTYPES:
        values = _sample(rng, dtype, (3, 4))
        if op in TIES_MAY_DIFFER:
            checked += _check(f"{op}({dtype})", lambda: INDEXING[op](tinynn, tinynn.tensor(values))[0],
                              lambda: INDEXING[op](torch, torch.tensor(values))[0])
            continue
        try:
            theirs = INDEXING[op](torch, torch.tensor(values))
        except (RuntimeError, TypeError, ValueError, NotImplementedError):
            continue  # PyTorch refuses it (writing int64 into bools, ...)
        ours = INDEXING[op](tinynn, tinynn.tensor(values))
        for position, (mine, expected) in enumerate(zip(*(item if isinstance(item, tuple) else (item,)
                                                          for item in (ours, theirs)))):
            checked += _check(f"{op}({dtype}) output {position}", lambda: mine, lambda: expected)
    assert checked >= 3, f"PyTorch computed {op} for {checked} dtypes only"


def test_descending_sorts_keep_ties_in_order_and_put_nan_first(torch):
    values = np.array([3.0, np.nan, 1.0, 3.0, 0.0], dtype=np.float32)
    result = tinynn.tensor(values).sort(descending=True)
    expected = torch.tensor(values).sort(descending=True, stable=True)
    assert result.indices.tolist() == expected.indices.tolist() == [1, 0, 3, 2, 4]
    unsigned = tinynn.tensor(np.array([0, 255, 7], dtype=np.uint8)).sort(descending=True)
    assert unsigned.values.tolist() == [255, 7, 0]  # once sorted by -x, which wraps around

