"""Bad input to every layer and functional op gets a clear error naming the op, what it expected and
what it got; never a crash, a NumPy traceback from deep inside, or a silent wrong answer."""
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, strategies as st

import tinynn
from tinynn import nn
from tinynn.nn import functional as F

# (name in messages, callable on an NCHW-ish input, a valid input shape)
LAYERS_4D = {
    "Conv2d(3, 4": (lambda: nn.Conv2d(3, 4, 3), (2, 3, 8, 8)),
    "BatchNorm2d(3)": (lambda: nn.BatchNorm2d(3), (2, 3, 8, 8)),
    "MaxPool2d": (lambda: nn.MaxPool2d(2), (2, 3, 8, 8)),
    "AvgPool2d": (lambda: nn.AvgPool2d(2), (2, 3, 8, 8)),
    "AdaptiveAvgPool2d": (lambda: nn.AdaptiveAvgPool2d(1), (2, 3, 8, 8)),
    "ConvTranspose2d(3, 4": (lambda: nn.ConvTranspose2d(3, 4, 3), (2, 3, 8, 8)),
    "Dropout2d(p=0.5)": (lambda: nn.Dropout2d(0.5), (2, 3, 8, 8)),
}
ANY_RANK = {
    "Linear(3, 4)": (lambda: nn.Linear(3, 4), (2, 3)),
    "BatchNorm1d(3)": (lambda: nn.BatchNorm1d(3), (4, 3)),
    "relu": (lambda: nn.ReLU(), (2, 3)),
    "leaky_relu": (lambda: nn.LeakyReLU(), (2, 3)),
    "log_softmax": (lambda: nn.LogSoftmax(dim=1), (2, 3)),
    "Dropout(p=0.5)": (lambda: nn.Dropout(0.5), (2, 3)),
    "Conv1d(3, 4": (lambda: nn.Conv1d(3, 4, 3), (2, 3, 8)),
    "MaxPool1d": (lambda: nn.MaxPool1d(2), (2, 3, 8)),
    "AvgPool1d": (lambda: nn.AvgPool1d(2), (2, 3, 8)),
    "LayerNorm((3,)": (lambda: nn.LayerNorm(3), (2, 3)),
    "GroupNorm(1, 3": (lambda: nn.GroupNorm(1, 3), (2, 3, 4)),
    "sigmoid": (lambda: nn.Sigmoid(), (2, 3)),
    "tanh": (lambda: nn.Tanh(), (2, 3)),
    "silu": (lambda: nn.SiLU(), (2, 3)),
    "gelu": (lambda: nn.GELU(), (2, 3)),
    "hardtanh": (lambda: nn.Hardtanh(), (2, 3)),
    "relu6": (lambda: nn.ReLU6(), (2, 3)),
    "hardswish": (lambda: nn.Hardswish(), (2, 3)),
    "mish": (lambda: nn.Mish(), (2, 3)),
    "prelu": (lambda: nn.PReLU(3), (2, 3)),
    "elu": (lambda: nn.ELU(), (2, 3)),
    "softplus": (lambda: nn.Softplus(), (2, 3)),
    "RMSNorm((3,)": (lambda: nn.RMSNorm(3), (2, 3)),
    "local_response_norm": (lambda: nn.LocalResponseNorm(2), (2, 3, 4)),
    "lp_pool1d": (lambda: nn.LPPool1d(2, 2), (2, 3, 8)),
    "AdaptiveAvgPool1d(2)": (lambda: nn.AdaptiveAvgPool1d(2), (2, 3, 8)),
    "AdaptiveMaxPool1d(2)": (lambda: nn.AdaptiveMaxPool1d(2), (2, 3, 8)),
    "rrelu": (lambda: nn.RReLU(), (2, 3)),
    "AlphaDropout(p=0.5)": (lambda: nn.AlphaDropout(0.5), (2, 3)),
}
ALL = {**LAYERS_4D, **ANY_RANK}


UNBATCHED = {"Conv2d(3, 4", "MaxPool2d", "AvgPool2d", "AdaptiveAvgPool2d", "ConvTranspose2d(3, 4"}  # (C, H, W) too


# 3-D input is one unbatched sample for those layers, as in PyTorch (tests/nn/test_unbatched_inputs.py); Dropout2d
# takes any rank from 2 on, as PyTorch's (tests/nn/test_dropout.py)
WRONG_RANKS = [(name, rank) for name in LAYERS_4D for rank in (0, 1, 2, 3, 5)
               if not (rank == 3 and name in UNBATCHED) and not (rank >= 2 and name.startswith("Dropout2d"))]


@pytest.mark.parametrize("name, rank", WRONG_RANKS)
def test_wrong_rank_names_the_layer_and_the_expected_layout(name, rank):
    make, shape = LAYERS_4D[name]
    bad = tinynn.zeros(*((2,) * rank))
    with pytest.raises(ValueError) as info:
        make()(bad)
    message = str(info.value)
    assert name in message and ("4-D" in message or "N, C, H, W" in message) and str(tuple(bad.shape)) in message


@pytest.mark.parametrize("name", ["Conv2d(3, 4", "BatchNorm2d(3)", "BatchNorm1d(3)", "Linear(3, 4)"])
def test_wrong_channel_count_names_expected_and_actual(name):
    make, shape = ALL[name]
    bad_shape = (shape[0], 5) + shape[2:]
    with pytest.raises(ValueError, match=r"expected .*3 (channels|features)") as info:
        make()(tinynn.zeros(*bad_shape))
    assert name in str(info.value) and "5" in str(info.value)


# (an empty batch is not bad input: tests/nn/test_empty_batch.py)


# (relu takes integers, as PyTorch's: tests/nn/test_activation.py)
@pytest.mark.parametrize("name, dtype", [(name, dtype) for name in ALL for dtype in (np.int64, np.int32, np.bool_, np.uint8)
                                         if not (name == "relu" and dtype != np.bool_)])
def test_non_float_input_is_a_type_error(name, dtype):
    make, shape = ALL[name]
    with pytest.raises(TypeError, match=f"floating-point.*{np.dtype(dtype).name}") as info:
        make()(tinynn.tensor(np.zeros(shape, dtype=dtype)))
    assert name.split("(")[0].lower() in str(info.value).lower()


@pytest.mark.parametrize("name", ALL)
def test_non_tensor_input_is_a_type_error(name):
    make, shape = ALL[name]
    with pytest.raises(TypeError, match="tinynn.Tensor"):
        make()(np.zeros(shape, dtype=np.float32))


@pytest.mark.parametrize("loss", [F.cross_entropy, F.nll_loss])
@given(bad=st.one_of(st.integers(-99, -1), st.integers(4, 1000)))
def test_targets_out_of_range(loss, bad):
    target = tinynn.tensor(np.array([0, bad, 1]))
    with pytest.raises(IndexError, match=f"target {bad} is out of range: expected class indices in \\[0, 3\\]"):
        loss(tinynn.zeros(3, 4), target)


def test_targets_of_the_wrong_shape_or_device():
    with pytest.raises(ValueError, match=r"cross_entropy: expected target of shape \(3,\).*got \(4,\)"):
        F.cross_entropy(tinynn.zeros(3, 4), tinynn.tensor([0, 1, 2, 3]))


@pytest.mark.parametrize("name", ALL)
def test_nan_input_propagates_and_anomaly_mode_names_the_op(name):
    make, shape = ALL[name]
    layer = make()
    x = np.ones(shape, dtype=np.float32)
    x.flat[1] = np.nan
    out = layer(tinynn.tensor(x))
    assert np.isnan(out.numpy()).any(), "NaN in must give NaN out, not a made-up number"
    with tinynn.detect_anomaly():
        with pytest.raises(tinynn.autograd.AnomalyError, match="input 0 of shape .* contains NaN; expected finite"):
            layer(tinynn.tensor(x))


def test_anomaly_mode_catches_a_non_finite_gradient():
    x = tinynn.tensor([0.0, 1.0], requires_grad=True)
    with tinynn.detect_anomaly(), np.errstate(divide="ignore"):
        y = x.sqrt()
        with pytest.raises(tinynn.autograd.AnomalyError, match="Sqrt backward: the gradient it returned .* infinity"):
            y.sum().backward()


def test_anomaly_mode_tells_where_the_forward_pass_made_an_op_whose_backward_failed():
    """PyTorch's "Traceback of forward call that caused the error": a warning, and a note on the error
    (Python 3.11+); check_nan=False keeps the tracebacks and leaves the checks of the values out."""
    import sys

    from tinynn.autograd import Function
    from tinynn.autograd.anomaly import is_anomaly_check_nan_enabled, is_anomaly_enabled

    class Failing(Function):
        def forward(self, x):
            return x * 2

        def backward(self, gy):
            raise RuntimeError("this backward fails")

    def made_here(x):
        return Failing()(x.exp()).sum()

    x = tinynn.tensor([1.0, 2.0], requires_grad=True)
    with tinynn.detect_anomaly(check_nan=False):
        assert is_anomaly_enabled() and not is_anomaly_check_nan_enabled()
        loss = made_here(x)
        assert tinynn.tensor([0.0]).log().item() == -np.inf  # not checked
        with pytest.warns(RuntimeWarning, match=r"(?s)Error detected in FailingBackward\. Traceback of forward call "
                                                r"that caused the error:.*in made_here\n    return Failing\(\)"):
            with pytest.raises(RuntimeError, match="this backward fails") as raised:
                loss.backward()
    if sys.version_info >= (3, 11):
        assert "in made_here" in raised.value.__notes__[0]
    assert not is_anomaly_enabled()
    with tinynn.autograd.set_detect_anomaly(True, check_nan=False):
        assert is_anomaly_enabled() and not is_anomaly_check_nan_enabled()
    assert not is_anomaly_enabled()
    without = made_here(x)  # made outside anomaly mode: no traceback kept, nothing to add
    with pytest.raises(RuntimeError, match="this backward fails") as raised:
        without.backward()
    assert not getattr(raised.value, "__notes__", None)


def test_inf_and_nan_flow_without_numpy_warnings_as_in_pytorch():
    """Ops, their backward passes and optimizer steps make inf and NaN silently (NumPy's
    RuntimeWarnings would name a line inside tinynn); the user's own NumPy code still warns, and
    an error state or warnings filter the user asks for still applies. In a fresh interpreter,
    so that the warnings filters are Python's defaults and tinynn's."""
    script = """
import warnings
import numpy as np
import tinynn
x = tinynn.tensor([1000.0, 0.0, -1.0], requires_grad=True)
with warnings.catch_warnings(record=True) as caught:
    values = [x.exp(), x.log(), x.sqrt(), 1 / x, tinynn.tensor([0.0]) / tinynn.tensor([0.0])]
    x.log().sum().backward()
    param = tinynn.nn.Parameter(tinynn.tensor([1.0]))
    param.grad = tinynn.tensor([float("inf")])
    tinynn.optim.Adam([param]).step()
    print("tinynn warned:", [str(w.message) for w in caught])
    np.log(np.zeros(1))
    print("numpy warned:", [str(w.message) for w in caught])
print(np.isposinf(values[0][0].item()), np.isnan(values[1][2].item()), np.isnan(param.item()))
with np.errstate(divide="raise"):
    try:
        x.log()
    except FloatingPointError as error:
        print("raised:", error)
"""
    completed = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert completed.stderr == ""
    assert completed.stdout.splitlines() == ["tinynn warned: []", "numpy warned: ['divide by zero encountered in log']",
                                             "True True True", "raised: divide by zero encountered in log"]
    strict = subprocess.run([sys.executable, "-W", "error", "-c", "import tinynn; tinynn.tensor([0.0]).log()"],
                            capture_output=True, text=True)
    assert strict.returncode != 0 and "RuntimeWarning: divide by zero encountered in log" in strict.stderr


def test_a_numpy_older_than_tinynn_needs_is_refused_at_import_by_name():
    root = Path(tinynn.__file__).resolve().parents[1]
    script = "import numpy; numpy.__version__ = '2.1.3'; import tinynn"
    older = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=root)
    assert older.returncode != 0
    assert (f"ImportError: tinynn needs NumPy {tinynn.MIN_NUMPY} or later, found NumPy 2.1.3 at {np.__file__}: "
            f'pip install --upgrade "numpy>={tinynn.MIN_NUMPY}"') in older.stderr
    # pip asks for the same (pyproject.toml's numpy>= is MIN_NUMPY without its .0)
    assert f'"numpy>={tinynn.MIN_NUMPY.removesuffix(".0")}"' in (root / "pyproject.toml").read_text()


def test_mismatched_devices_name_both(monkeypatch):
    class OnGpu(np.ndarray):
        pass

    original = tinynn.backend.device_of
    monkeypatch.setattr(tinynn.backend, "device_of", lambda a: "gpu" if isinstance(a, OnGpu) else original(a))
    layer = nn.Conv2d(3, 4, 3)
    layer.weight.data = layer.weight._array.view(OnGpu)
    with pytest.raises(RuntimeError, match=r"Conv2d: all inputs must be on the same device, got tensors on cpu and gpu"):
        layer(tinynn.zeros(1, 3, 8, 8))


@pytest.mark.parametrize("op", [
    lambda: F.conv2d(tinynn.zeros(1, 1, 4, 4), tinynn.zeros(1, 1, 5, 5)),
    lambda: F.conv2d(tinynn.zeros(1, 1, 4, 4), tinynn.zeros(1, 1, 7, 7), padding=1),
    lambda: F.max_pool2d(tinynn.zeros(1, 1, 2, 2), 3),
    lambda: F.avg_pool2d(tinynn.zeros(1, 1, 2, 5), (3, 1)),
])
def test_kernel_larger_than_padded_input(op):
    with pytest.raises(ValueError, match=r"kernel.* is larger than the padded input"):
        op()


@given(stride=st.integers(-3, 0))
def test_zero_or_negative_stride(stride):
    with pytest.raises(ValueError, match=f"stride must be positive, got \\({stride}, {stride}\\)"):
        F.conv2d(tinynn.zeros(1, 1, 4, 4), tinynn.zeros(1, 1, 3, 3), stride=stride)
    with pytest.raises(ValueError, match="stride must be positive"):
        F.max_pool2d(tinynn.zeros(1, 1, 4, 4), 2, stride=stride)
    with pytest.raises(ValueError, match="Conv2d: kernel_size, stride and dilation must be positive"):
        nn.Conv2d(1, 1, 3, stride=stride)


@given(p=st.one_of(st.floats(-10, -1e-6), st.floats(1.0, 10, exclude_min=True)))
def test_dropout_probability_out_of_range(p):
    with pytest.raises(ValueError, match=f"Dropout: probability p must be in \\[0, 1\\], got {p}"):
        nn.Dropout(p)
    with pytest.raises(ValueError, match="dropout: probability p must be in"):
        F.dropout(tinynn.zeros(2, 2), p)


@pytest.mark.parametrize("bad", [2.5, "3", (1, 2, 3), None])
def test_malformed_kernel_sizes(bad):
    with pytest.raises(TypeError, match="kernel_size must be an int or a pair of ints"):
        nn.Conv2d(1, 1, bad)
    with pytest.raises(TypeError, match="kernel_size must be an int or a pair of ints"):
        nn.MaxPool2d(bad)


def test_flatten_out_of_range_is_pytorchs_index_error(torch):
    for library in (tinynn, torch):
        with pytest.raises(IndexError, match=r"Dimension out of range \(expected to be in range of \[-2, 1\], but got 2\)"):
            library.nn.Flatten(2)(library.zeros(2, 3))


def test_set_detect_anomaly_switches_it_on_globally_or_for_a_block():
    from tinynn.autograd.anomaly import is_anomaly_enabled

    with tinynn.autograd.set_detect_anomaly(True):
        assert is_anomaly_enabled()
        with pytest.raises(tinynn.autograd.AnomalyError, match="Log: output .* contains"), np.errstate(invalid="ignore"):
            tinynn.tensor([-1.0]).log()
    assert not is_anomaly_enabled()
    tinynn.autograd.set_detect_anomaly(True)
    try:
        assert is_anomaly_enabled()
    finally:
        tinynn.autograd.set_detect_anomaly(False)
    assert not is_anomaly_enabled()


def test_scalars_and_non_tensors_get_a_clear_error_from_the_functions():
    scalar = tinynn.tensor(1.0)
    cases = [
        (lambda: F.channel_shuffle(scalar, 1), ValueError, r"channel_shuffle: expected \(N, C, \.\.\.\) input .* got shape \(\)"),
        (lambda: F.glu(scalar), ValueError, "glu: a 0-d input cannot be halved"),
        (lambda: F.scaled_dot_product_attention(tinynn.ones(3), tinynn.ones(3), tinynn.ones(3)), ValueError,
         r"scaled_dot_product_attention: expected query of at least 2 dimensions \(\.\.\., L, d\), got shape \(3,\)"),
        (lambda: F.multi_head_attention_forward(scalar, scalar, scalar, 1, 1, None, None, None, None, False, 0.0, None,
                                                None), ValueError, r"expected query of shape \(L, N, E\) or \(L, E\)"),
        (lambda: F.gumbel_softmax([1.0, 2.0]), TypeError, "gumbel_softmax: expected logits to be a tinynn.Tensor, got list"),
        (lambda: tinynn.flatten([1.0]), TypeError, r"flatten\(\): argument 'input' \(position 1\) must be Tensor, not list"),
        (lambda: tinynn.exp(2.0), TypeError, r"exp\(\): argument 'input' \(position 1\) must be Tensor, not float"),
    ]
    for call, error, message in cases:
        with pytest.raises(error, match=message):
            call()


def test_zero_pieces_are_a_clear_error():
    x = tinynn.ones(4)
    with pytest.raises(ValueError, match="chunk: expected chunks to be a positive int, got 0"):
        x.chunk(0)
    with pytest.raises(ValueError, match="hsplit: expected a positive number of sections, got 0"):
        x.hsplit(0)
    with pytest.raises(ValueError, match="vsplit: expected a positive number of sections, got 0"):
        tinynn.ones(2, 2).vsplit(0)


@pytest.mark.parametrize("call, name, what", [
    (lambda x: x.dot(0), "dot", "tensor"), (lambda x: x.mm(1.5), "mm", "mat2"), (lambda x: x.mv([1, 2]), "mv", "vec"),
    (lambda x: x.outer(2), "outer", "vec2"), (lambda x: x.equal(3), "equal", "other"), (lambda x: x.view_as((2,)), "view_as", "other"),
    (lambda x: x.expand_as(1), "expand_as", "other"), (lambda x: x.type_as(1), "type_as", "other"),
    (lambda x: x.is_same_size(1), "is_same_size", "other"), (lambda x: x.take_along_dim(0), "take_along_dim", "indices"),
    (lambda x: x.kron(2), "kron", "other"), (lambda x: x.inner(2), "inner", "other"), (lambda x: x.vdot(2), "vdot", "other"),
    (lambda x: x.cross(2), "cross", "other"), (lambda x: x.addr(1, x), "addr", "vec1"),
    (lambda x: tinynn.cholesky_solve(x, 1), "cholesky_solve", "L"),
    (lambda x: tinynn.linalg.householder_product(x, 1), "householder_product", "tau"),
    (lambda x: tinynn.tensor([0, 1]).bincount(1), "bincount", "weights"), (lambda x: x.masked_select(1), "masked_select", "mask"),
])
def test_an_argument_that_must_be_a_tensor_is_named(call, name, what):
    with pytest.raises(TypeError, match=rf"{name}\(\): argument '{what}' must be Tensor, not"):
        call(tinynn.ones(3))


def test_flatten_unflatten_and_cross_map_lrn_name_a_non_tensor_input():
    for layer, name in ((nn.Flatten(), "Flatten"), (nn.Unflatten(1, (2, 2)), "Unflatten"), (nn.CrossMapLRN2d(3), "CrossMapLRN2d")):
        with pytest.raises(TypeError, match=f"{name}: expected input to be a tinynn.Tensor, got list"):
            layer([[1.0, 2.0, 3.0, 4.0]])
    with pytest.raises(ValueError, match="unflatten: a 0-d tensor has no dimension"):
        nn.Unflatten(0, (1,))(tinynn.tensor(1.0))


def test_linalg_fft_and_special_functions_name_a_non_tensor_input():
    cases = [(lambda: tinynn.linalg.vector_norm([1.0, 2.0]), r"linalg.vector_norm\(\): argument 'input'"),
             (lambda: tinynn.linalg.cross([1.0], [2.0]), r"linalg.cross\(\): argument 'input'"),
             (lambda: tinynn.linalg.multi_dot([tinynn.ones(2, 2), 2.0]), r"linalg.multi_dot\(\): argument 'tensors\[1\]'"),
             (lambda: tinynn.fft.fftshift([1.0, 2.0]), r"fft.fftshift\(\): argument 'input'"),
             (lambda: tinynn.special.erf([1.0]), r"special.erf\(\): argument 'input'"),
             (lambda: tinynn.special.polygamma(1, [1.0]), r"special.polygamma\(\): argument 'input'"),
             (lambda: tinynn.special.xlogy([1.0], [2.0]), "xlogy: expected a Tensor among the operands, got list and list"),
             (lambda: tinynn.special.xlog1py([1.0], [2.0]), "xlog1py: expected a Tensor among the operands")]
    for call, message in cases:
        with pytest.raises(TypeError, match=message):
            call()
    assert tinynn.special.xlog1py(2.0, tinynn.tensor(3.0)).item() == pytest.approx(2 * np.log(4.0))  # a number is fine


def test_the_condition_number_of_an_empty_matrix_is_zero_as_in_torch(torch):
    for p in (None, 2, -2, "fro", "nuc", 1):
        for shape in ((0, 0), (2, 0, 0)) + (((0, 2), (3, 0)) if p in (None, 2, -2) else ()):
            ours, theirs = tinynn.linalg.cond(tinynn.ones(shape), p), torch.linalg.cond(torch.ones(shape), p)
            assert ours.shape == tuple(theirs.shape) and ours.tolist() == theirs.tolist()
    with pytest.raises(ValueError, match=r"cond: expected square matrices \(\.\.\., n, n\), got shape \(0, 2\)"):
        tinynn.linalg.cond(tinynn.ones(0, 2), "fro")


def test_distributions_and_init_name_what_they_cannot_use():
    for distribution in (tinynn.distributions.Normal(tinynn.tensor([1, 2]), tinynn.tensor([1, 2])),
                         tinynn.distributions.Laplace(tinynn.tensor([1, 2]), tinynn.tensor([1, 2])),
                         tinynn.distributions.Gumbel(tinynn.tensor([1, 2]), tinynn.tensor([1, 2])),
                         tinynn.distributions.Exponential(tinynn.tensor([1, 2]))):
        with pytest.raises(TypeError, match=f"{type(distribution).__name__}: sampling a continuous distribution needs "
                                            "floating-point parameters, got int64"):
            distribution.sample()
    assert tinynn.distributions.Normal(tinynn.tensor([1.0]), tinynn.tensor([2.0])).sample().dtype == np.float32
    with pytest.raises(TypeError, match=r"LowRankMultivariateNormal\(\): argument 'cov_diag' must be Tensor, not float"):
        tinynn.distributions.LowRankMultivariateNormal(tinynn.zeros(2), tinynn.ones(2, 1), 0.5)
    with pytest.raises(TypeError, match=r"calculate_fan_in_and_fan_out\(\): argument 'tensor' must be Tensor, not list"):
        nn.init.calculate_fan_in_and_fan_out([[1.0, 2.0]])


DIM_OPS = {  # name -> a call of PyTorch's on the (2, 3) tensor x naming the dim d
    "squeeze": lambda x, d: x.squeeze(d), "transpose": lambda x, d: x.transpose(0, d), "movedim": lambda x, d: x.movedim(0, d),
    "narrow": lambda x, d: x.narrow(d, 0, 1), "select": lambda x, d: x.select(d, 0), "flip": lambda x, d: x.flip(d),
    "roll": lambda x, d: x.roll(1, d), "unbind": lambda x, d: x.unbind(d), "chunk": lambda x, d: x.chunk(2, d),
    "split": lambda x, d: x.split(1, d), "argmax": lambda x, d: x.argmax(d), "max": lambda x, d: x.max(d),
    "unflatten": lambda x, d: x.unflatten(d, (1, 3)), "diagonal": lambda x, d: x.diagonal(0, 0, d),
    "swapaxes": lambda x, d: x.swapaxes(0, d), "sort": lambda x, d: x.sort(d), "topk": lambda x, d: x.topk(1, d),
    "index_select": lambda x, d: x.index_select(d, x.new_zeros(1).long()), "gather": lambda x, d: x.gather(d, x.long()),
    # (these took a dim modulo the axes, or leaked NumPy's AxisError or a ValueError of their own)
    "cat": lambda x, d: _library(x).cat([x, x], d), "cumprod": lambda x, d: x.cumprod(d),
    "logcumsumexp": lambda x, d: x.logcumsumexp(d), "cummax": lambda x, d: x.cummax(d), "cummin": lambda x, d: x.cummin(d),
    "nanmedian": lambda x, d: x.nanmedian(d), "unfold": lambda x, d: x.unfold(d, 1, 1),
    "tensordot": lambda x, d: _library(x).tensordot(x, x, dims=([d], [1])),
    "trapezoid": lambda x, d: _library(x).trapezoid(x, dim=d), "softmax": lambda x, d: x.softmax(d),
    "log_softmax": lambda x, d: x.log_softmax(d), "all": lambda x, d: x.all(d), "any": lambda x, d: x.any(d),
    "count_nonzero": lambda x, d: x.count_nonzero(d), "unique": lambda x, d: _library(x).unique(x, dim=d),
    "unique_consecutive": lambda x, d: _library(x).unique_consecutive(x, dim=d), "flatten": lambda x, d: x.flatten(d),
    "permute": lambda x, d: x.permute(0, d), "nanmean": lambda x, d: x.nanmean(d),
    "weight_norm": lambda x, d: _library(x).nn.utils.parametrizations.weight_norm(_library(x).nn.Linear(3, 2), dim=d),
}
NEW_AXIS_DIM_OPS = {  # the same, for a dim of the result, which has one axis more: in [-3, 2]
    "stack": lambda x, d: _library(x).stack([x, x], d), "unsqueeze": lambda x, d: x.unsqueeze(d),
    "diag_embed": lambda x, d: _library(x).diag_embed(x, dim1=d, dim2=0),
}


def _library(x):
    return tinynn if isinstance(x, tinynn.Tensor) else sys.modules["torch"]


@pytest.mark.parametrize("name, axes", [(name, 2) for name in DIM_OPS] + [(name, 3) for name in NEW_AXIS_DIM_OPS])
def test_a_dim_beyond_the_axes_is_pytorchs_index_error(name, axes, torch):
    """Out of range, a dim is an error as in PyTorch; it was taken modulo the number of axes, naming another
    axis without a word (x.transpose(0, 2) of a matrix did nothing, tinynn.stack([x, x], 3) of matrices
    stacked along axis 0), or failed inside NumPy. ``axes``: those of the tensor or result the dim names."""
    call = DIM_OPS.get(name) or NEW_AXIS_DIM_OPS[name]
    for d in (axes, -axes - 1):
        for library in (tinynn, torch):
            with pytest.raises(IndexError, match=rf"Dimension out of range \(expected to be in range of "
                                                 rf"\[{-axes}, {axes - 1}\], but got {d}"):
                call(library.zeros(2, 3), d)
    assert call(tinynn.zeros(2, 3), -1) is not None


def test_factories_name_what_was_wrong_with_their_arguments(torch):
    """arange, linspace, eye, full and tensor refuse bad arguments with errors of their own (NumPy's
    said "division by zero", "negative dimensions are not allowed" or, for ragged lists, a paragraph
    about inhomogeneous shapes; a list of strings made a string tensor)."""
    for call, error, message in (
            (lambda: tinynn.arange(0, 10, 0), ValueError, "arange: step must be nonzero"),
            (lambda: tinynn.arange(0, 5, -1), RuntimeError, "arange: upper bound and lower bound inconsistent with step "
                                                            "sign"),  # (NumPy's range was empty)
            (lambda: tinynn.arange(5, 0), RuntimeError, "inconsistent with step sign"),
            (lambda: tinynn.arange(0, float("inf")), RuntimeError, "arange: unsupported range: 0 -> inf"),
            (lambda: tinynn.linspace(0, 1, -1), ValueError, "linspace: the number of steps must be a non-negative int"),
            (lambda: tinynn.eye(-1), ValueError, "eye: n must be greater or equal to 0, got -1"),
            (lambda: tinynn.full((2,), "a"), TypeError, "full: fill_value must be a number, got str"),
            (lambda: tinynn.tensor([[1, 2], [3]]), ValueError, "tensor: expected nested sequences of equal lengths"),
            (lambda: tinynn.tensor(["a"]), TypeError, "tensor: cannot build a tensor from list of str32 values")):
        with pytest.raises(error, match=message):
            call()
    for library in (tinynn, torch):  # a 0-d tensor fills as its number does
        assert library.full((2,), library.tensor(3.0)).tolist() == [3.0, 3.0]
        assert str(library.full((2,), library.tensor(3)).dtype).endswith("int64")


def test_python_ints_beyond_int64_are_refused_as_pytorch_refuses_them(torch):
    """NumPy made [2**63] a uint64 tensor and [1, 2**63] a float one without a word; PyTorch refuses both.
    A float beside the large int makes a float tensor in both, and an asked-for dtype is honoured."""
    for data in ([2 ** 63], [[1], [2 ** 63]], [1, -2 ** 63 - 1], [2 ** 64]):
        with pytest.raises(ValueError, match="does not fit int64, the dtype of Python ints"):
            tinynn.tensor(data)
        with pytest.raises(ValueError):
            torch.tensor(data)
    for data, dtype in (([1.5, 2 ** 63], None), ([2 ** 63], "uint64"), ([2 ** 63], "float32"), ([1e19, 2], None)):
        ours = tinynn.tensor(data, dtype=getattr(tinynn, dtype) if dtype else None)
        theirs = torch.tensor(data, dtype=getattr(torch, dtype) if dtype else None)
        assert str(ours.dtype) == str(theirs.dtype).replace("torch.", "")
        assert ours.tolist() == theirs.tolist()


def test_bincount_of_negative_or_multidimensional_input_is_pytorchs_error():
    """(NumPy's own error spoke of a 'list' argument.)"""
    for values in ([-1, 0], [[1]], [1.5]):
        with pytest.raises(RuntimeError, match="bincount only supports 1-d non-negative integral inputs"):
            tinynn.bincount(tinynn.tensor(values))
    assert tinynn.bincount(tinynn.tensor([1, 2, 2])).tolist() == [0, 1, 2]


@pytest.mark.parametrize("call, error, message", [
    (lambda: tinynn.zeros(2, 3).repeat(-1, 1), RuntimeError, r"repeat: the number of repetitions cannot be negative"),
    (lambda: tinynn.poisson(tinynn.tensor([-1.0])), RuntimeError, "invalid Poisson rate, expected rate to be non-negative"),
    (lambda: tinynn.histc(tinynn.zeros(3), bins=0), RuntimeError, "histc: bins must be a positive int, got 0"),
    (lambda: tinynn.block_diag(tinynn.zeros(2, 2), "a"), TypeError, r"block_diag\(\): argument 'tensors\[1\]' must be Tensor, not str"),
    (lambda: tinynn.zeros(2, 3).masked_select(tinynn.ones(4, dtype=tinynn.bool)), RuntimeError,
     r"masked_select: the size of tensor a \(3\) must match the size of tensor b \(4\) at non-singleton dimension 1 "
     r"\(shapes \(2, 3\), \(4,\)\)"),
    (lambda: tinynn.zeros(-1), RuntimeError, r"Trying to create tensor with negative dimension -1: \[-1\]"),
    (lambda: tinynn.empty(2, -3), RuntimeError, r"Trying to create tensor with negative dimension -3: \[2, -3\]"),
    (lambda: tinynn.randint(0, 5, (-1,)), RuntimeError, r"negative dimension -1: \[-1\]"),
    (lambda: tinynn.normal(0.0, 1.0, size=(2, -1)), RuntimeError, r"negative dimension -1: \[2, -1\]"),
    (lambda: tinynn.ones(2).new_zeros(-1), RuntimeError, r"negative dimension -1: \[-1\]"),
    (lambda: tinynn.Tensor(-1), RuntimeError, r"negative dimension -1: \[-1\]"),
    (lambda: tinynn.zeros(2 ** 62, 2 ** 62), RuntimeError, r"Storage size calculation overflowed"),
    (lambda: tinynn.zeros("3"), TypeError, r"Size\(\) takes an iterable of 'int' \(item 0 is 'str'\)"),
    (lambda: tinynn.zeros(2, 3).reshape(-2, 3), RuntimeError, r"reshape: invalid shape dimension -2 in shape \(-2, 3\)"),
    (lambda: tinynn.zeros(2, 3).roll((1, 2), (0,)), RuntimeError, r"roll: shifts and dimensions must align, got 2 shifts and 1"),
    (lambda: tinynn.zeros(0).argmax(), IndexError, r"argmax\(\): Expected reduction dim to be specified for input.numel"),
    (lambda: tinynn.zeros(2, 0).argmin(1), IndexError, r"argmin\(\): Expected reduction dim 1 to have non-zero size"),
    (lambda: tinynn.zeros(2, 0).max(1), IndexError, r"max\(\): Expected reduction dim 1 to have non-zero size"),
    (lambda: tinynn.zeros(0, 2).min(0), IndexError, r"min\(\): Expected reduction dim 0 to have non-zero size"),
    (lambda: tinynn.zeros(0).mode(), IndexError, r"mode\(\): Expected reduction dim 0 to have non-zero size"),
    (lambda: tinynn.zeros(3, 0).kthvalue(1), IndexError, r"kthvalue\(\): Expected reduction dim 1 to have non-zero"),
    (lambda: tinynn.zeros(2, 3).index_add(0, tinynn.tensor([0]), tinynn.ones(1, 2)), RuntimeError,
     r"index_add: source of shape \(1, 2\) does not fit 1 indices along dim 0 of a tensor of shape \(2, 3\)"),
    (lambda: tinynn.zeros(2, 3).index_add(0, tinynn.tensor([0, 1]), tinynn.ones(1, 3)), RuntimeError,
     r"index_add: source of shape \(1, 3\) does not fit 2 indices"),
    (lambda: tinynn.zeros(2, 3).index_select(0, tinynn.tensor([0.0])), RuntimeError,
     r"index_select: expected an index of int32 or int64, got float32"),
    (lambda: tinynn.zeros(2, 3).masked_select(tinynn.zeros(2, 3)), RuntimeError, r"masked_select: expected a bool mask"),
    (lambda: tinynn.logical_not("a"), TypeError, r"logical_not\(\): argument 'input' \(position 1\) must be Tensor"),
    (lambda: tinynn.gcd(tinynn.ones(2), tinynn.ones(2)), RuntimeError, r"gcd: not implemented for float32 tensors"),
    (lambda: tinynn.ones(2).lcm(tinynn.ones(2)), RuntimeError, r"lcm: not implemented for float32 tensors"),
    (lambda: tinynn.isposinf(tinynn.ones(2, dtype=tinynn.complex64)), RuntimeError, r"isposinf: not implemented for complex64"),
    (lambda: tinynn.ones(2, 3).repeat_interleave(tinynn.ones(3), dim=1), RuntimeError,
     r"repeat_interleave: repeats must be integers, got float32"),
    (lambda: tinynn.ones(2, 3).repeat_interleave(-1), RuntimeError, r"repeat_interleave: repeats can not be negative"),
    (lambda: tinynn.ones(2, 3).repeat_interleave(tinynn.tensor([1, 2]), dim=1), RuntimeError,
     r"repeat_interleave: repeats must be one int or one per element along the dim, got repeats of shape \(2,\) for size 3"),
    (lambda: tinynn.ones(3, dtype=tinynn.bool).random_(0), RuntimeError, r"random_ expects 'from' to be less than 'to'"),
    (lambda: tinynn.histogram(tinynn.ones(3), 0), RuntimeError, r"histogram\(\): bins must be > 0, but got 0 for dimension 0"),
    (lambda: tinynn.histogramdd(tinynn.ones(4, 2), [3, -1]), RuntimeError, r"histogramdd\(\): bins must be > 0, but got -1 for "
                                                                          r"dimension 1"),
    (lambda: tinynn.diagonal_scatter(tinynn.ones(3), tinynn.ones(3)), IndexError, r"Dimension out of range"),
    (lambda: tinynn.bmm(tinynn.ones(2, 2, 2), 0), TypeError, r"bmm\(\): argument 'mat2' must be Tensor, not int"),
    (lambda: tinynn.conv1d(tinynn.ones(1, 1, 4), None), TypeError, r"conv1d: expected weight to be a tinynn.Tensor, got NoneType"),
    (lambda: tinynn.bucketize(tinynn.ones(3), 0), TypeError, r"bucketize\(\): argument 'boundaries' must be Tensor, not int"),
    (lambda: tinynn.addcmul(tinynn.ones(3), 0, tinynn.ones(3)), TypeError, r"addcmul\(\): argument 'tensor1' must be Tensor"),
    (lambda: tinynn.addcdiv(tinynn.ones(3), tinynn.ones(3), 2), TypeError, r"addcdiv\(\): argument 'tensor2' must be Tensor"),
    (lambda: tinynn.atleast_1d(tinynn.ones(3), 0), TypeError, r"atleast_1d\(\): argument 'tensors\[1\]' must be Tensor, not int"),
    (lambda: tinynn.meshgrid(tinynn.ones(3), 0), TypeError, r"meshgrid\(\): argument 'tensors\[1\]' must be Tensor, not int"),
    (lambda: tinynn.binomial(tinynn.ones(3), 0.5), TypeError, r"binomial\(\): argument 'prob' must be Tensor, not float"),
    (lambda: tinynn.polygamma(tinynn.ones(3), 1), TypeError, r"polygamma\(\): argument 'n' \(position 1\) must be int, not Tensor"),
    (lambda: tinynn.summary(tinynn.ones(3)), TypeError, r"summary: expected an nn.Module \(the model\), got Tensor"),
    (lambda: F.linear(tinynn.ones(2, 3), 0), TypeError, r"linear: expected weight to be a tinynn.Tensor, got int"),
    (lambda: F.multi_margin_loss(tinynn.ones(2, 3), 0), TypeError, r"multi_margin_loss: expected target to be a tinynn.Tensor"),
    (lambda: F.multilabel_margin_loss(tinynn.ones(2, 3), (1, 2)), TypeError, r"multilabel_margin_loss: expected target to be a"),
    (lambda: F.instance_norm(tinynn.ones(2, 3, 6), 0), TypeError, r"instance_norm: expected running_mean to be a tinynn.Tensor"),
    (lambda: F.group_norm(tinynn.ones(2, 4, 3), 0), RuntimeError, r"group_norm: num_groups must be a positive int, got 0"),
    (lambda: F.channel_shuffle(tinynn.ones(2, 4, 3), 0), RuntimeError, r"channel_shuffle: groups must be a positive int, got 0"),
    (lambda: F.adaptive_avg_pool3d(tinynn.ones(1, 2, 4, 4, 4), 0), RuntimeError,
     r"adaptive_avg_pool3d: output_size must be positive, got \(0, 0, 0\)"),
    (lambda: F.adaptive_max_pool3d(tinynn.ones(1, 2, 4, 4, 4), (2, 0, 2)), RuntimeError,
     r"adaptive_max_pool3d: output_size must be positive, got \(2, 0, 2\)"),
])
def test_misuses_numpy_reported_in_its_own_words_are_named(call, error, message):
    """(NumPy said "negative dimensions are not allowed", "lam < 0 or lam contains NaNs", "`bins`
    must be positive", "array is too big", "attempt to get argmax of an empty sequence", "input operand
    has more dimensions than allowed", a block had "no attribute 'ndim'", broadcasting a "shape
    mismatch", and next() a StopIteration. reshape read -2 as -1, roll dropped the unpaired shift,
    index_add added a source of the wrong shape by broadcasting it.)"""
    with pytest.raises(error, match=message):
        call()
