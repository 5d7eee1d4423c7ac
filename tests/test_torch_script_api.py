"""The process-wide and device-agnostic calls PyTorch scripts make at their top, answered as
PyTorch answers them: torch.accelerator (the tutorials' device line), torch.jit's script/trace,
torch.cuda.amp's old names, the float32 matmul precision, inter-op threads, the deprecated
set_default_tensor_type, anomaly switches, empty_strided, frombuffer and get_device."""
import array
import sys
import warnings

import numpy as np
import pytest

import tinynn
from helpers import install_cupy_without_gpu, use_device


@pytest.mark.parametrize("kind", ["cpu", "simulated-gpu"])
def test_the_tutorials_device_line_picks_the_gpu_where_there_is_one(monkeypatch, kind):
    if kind == "cpu":
        monkeypatch.setitem(sys.modules, "cupy", None)  # CuPy not installed
    else:
        use_device(kind, monkeypatch)
    acc = tinynn.accelerator
    device = acc.current_accelerator().type if acc.is_available() else "cpu"
    assert device == ("cpu" if kind == "cpu" else "cuda")
    model = tinynn.nn.Linear(3, 2).to(device)
    x = tinynn.ones(4, 3).to(device)
    assert model(x).device == tinynn.device(device) and acc.device_count() == (0 if kind == "cpu" else 1)
    if kind == "cpu":
        assert acc.current_accelerator() is None
        with pytest.raises(tinynn.DeviceError, match="CuPy is not installed"):
            acc.current_device_index()
    else:
        assert acc.current_device_index() == acc.current_device_idx() == 0
        with acc.device_index(0):
            acc.synchronize()
        with pytest.raises(ValueError, match="no GPU 1"):
            acc.set_device_index(1)


@pytest.mark.parametrize("build", ["cpu-only", "for-the-gpu"])
def test_where_there_is_no_gpu_the_answers_equal_pytorchs(torch, monkeypatch, build):
    """tinynn without CuPy answers as a CPU-only PyTorch build; with CuPy installed and no GPU, as a
    CUDA build on a machine without one (its accelerator is named, but not available)."""
    if torch.accelerator.is_available():
        pytest.skip("this PyTorch sees an accelerator")
    torch_build = "cpu-only" if torch.accelerator.current_accelerator() is None else "for-the-gpu"
    if build != torch_build:
        pytest.skip(f"the installed PyTorch is a {torch_build} build")
    if build == "cpu-only":
        monkeypatch.setitem(sys.modules, "cupy", None)
    else:
        install_cupy_without_gpu(monkeypatch)
    acc = tinynn.accelerator
    assert acc.is_available() is torch.accelerator.is_available() is False
    theirs = torch.accelerator.current_accelerator()
    assert (acc.current_accelerator() is None) if theirs is None else (acc.current_accelerator().type == theirs.type)
    assert acc.current_accelerator(check_available=True) is torch.accelerator.current_accelerator(True) is None
    assert acc.device_count() == torch.accelerator.device_count() == 0


def test_jit_script_and_trace_give_the_model_back_and_decorators_change_nothing():
    model = tinynn.nn.Sequential(tinynn.nn.Linear(3, 2), tinynn.nn.ReLU())
    x = tinynn.ones(1, 3)
    assert tinynn.jit.script(model) is model and tinynn.jit.trace(model, (x,), check_trace=False) is model

    @tinynn.jit.ignore
    def helper(value):
        return value * 2

    @tinynn.jit.ignore(drop=True)
    def dropped(value):
        return value + 1

    assert helper(3) == 6 and dropped(3) == 4 and tinynn.jit.unused(helper) is helper
    assert not tinynn.jit.is_scripting() and not tinynn.jit.is_tracing() and tinynn.jit.annotate(list, [1]) == [1]


def test_cuda_amp_old_names_warn_and_act_as_amps(monkeypatch):
    use_device("simulated-gpu", monkeypatch)
    from tinynn.cuda.amp import GradScaler, autocast

    with pytest.warns(FutureWarning, match=r"tinynn.cuda.amp.GradScaler\(args...\)` is deprecated. Please use "
                                           r"`tinynn.amp.GradScaler\('cuda', args...\)"):
        scaler = GradScaler(init_scale=8.0)
    assert scaler.get_scale() == 8.0 and isinstance(scaler, tinynn.amp.GradScaler)
    layer = tinynn.nn.Linear(4, 2).to("cuda")
    with pytest.warns(FutureWarning, match="cuda.amp.autocast"), autocast():
        assert layer(tinynn.ones(3, 4, device="cuda")).dtype == tinynn.float16
    assert layer(tinynn.ones(3, 4, device="cuda")).dtype == tinynn.float32  # off again after the block


def test_matmul_precision_interop_threads_and_anomaly_switches_as_torchs(torch):
    assert tinynn.get_float32_matmul_precision() == torch.get_float32_matmul_precision() == "highest"
    try:
        for precision in ("high", "medium", "highest"):
            tinynn.set_float32_matmul_precision(precision)
            assert tinynn.get_float32_matmul_precision() == precision
        a = np.random.default_rng(0).standard_normal((8, 8)).astype(np.float32)
        tinynn.set_float32_matmul_precision("medium")  # float32 products stay float32 products
        np.testing.assert_array_equal((tinynn.tensor(a) @ tinynn.tensor(a)).numpy(), a @ a)
    finally:
        tinynn.set_float32_matmul_precision("highest")
    with pytest.raises(ValueError, match=r"expected one of \('highest', 'high', 'medium'\), got 'low'"):
        tinynn.set_float32_matmul_precision("low")
    assert tinynn.get_num_interop_threads() >= 1
    with pytest.raises(ValueError, match="set_num_interop_threads: expected a positive int, got 0"):
        tinynn.set_num_interop_threads(0)
    assert not tinynn.is_anomaly_enabled()
    try:
        tinynn.set_anomaly_enabled(True)
        assert tinynn.is_anomaly_enabled() and tinynn.is_anomaly_check_nan_enabled()
        with pytest.raises(tinynn.autograd.AnomalyError, match="Log: output of shape \\(1,\\) contains infinity"):
            tinynn.tensor([0.0], requires_grad=True).log()
    finally:
        tinynn.set_anomaly_enabled(False)
    assert not tinynn.is_anomaly_enabled()


def test_set_default_tensor_type_sets_the_default_dtype_and_device_with_pytorchs_warning(monkeypatch):
    try:
        with pytest.warns(UserWarning, match=r"set_default_tensor_type\(\) is deprecated as of PyTorch 2.1"):
            tinynn.set_default_tensor_type("torch.DoubleTensor")
        assert tinynn.tensor([1.5]).dtype == tinynn.float64 and tinynn.zeros(2).dtype == tinynn.float64
        use_device("simulated-gpu", monkeypatch)
        with pytest.warns(UserWarning):
            tinynn.set_default_tensor_type("torch.cuda.FloatTensor")
        assert tinynn.zeros(2).device == tinynn.device("cuda") and tinynn.zeros(2).dtype == tinynn.float32
        with pytest.raises(TypeError, match="expected a floating-point tensor type .* got 'torch.LongTensor'"), \
                warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tinynn.set_default_tensor_type("torch.LongTensor")
    finally:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tinynn.set_default_tensor_type(tinynn.FloatTensor)
    assert tinynn.zeros(2).device == tinynn.device("cpu") and tinynn.zeros(2).dtype == tinynn.float32


def test_frombuffer_shares_a_writable_buffer_as_torchs(torch):
    values = array.array("f", [1.0, 2.0, 3.0, 4.0])
    ours = tinynn.frombuffer(values, dtype=tinynn.float32, count=2, offset=4)
    theirs = torch.frombuffer(array.array("f", [1.0, 2.0, 3.0, 4.0]), dtype=torch.float32, count=2, offset=4)
    assert ours.tolist() == theirs.tolist() == [2.0, 3.0]
    ours.data[0] = 9.0  # the same memory
    assert values[1] == 9.0
    copied = tinynn.frombuffer(bytes(values), dtype=tinynn.float32)  # read-only: a copy
    assert copied.tolist() == [1.0, 9.0, 3.0, 4.0]
    with pytest.raises(ValueError, match="frombuffer: cannot read 5 float32 values from byte 0 of a buffer of 16 bytes"):
        tinynn.frombuffer(values, dtype=tinynn.float32, count=5)


def test_empty_strided_and_get_device_as_torchs(torch):
    ours, theirs = tinynn.empty_strided((2, 3), (1, 2)), torch.empty_strided((2, 3), (1, 2))
    assert ours.shape == tuple(theirs.shape) and ours.dtype == tinynn.float32
    assert tinynn.get_device(ours) == torch.get_device(theirs) == -1
    with pytest.raises(ValueError, match="one stride per dimension"):
        tinynn.empty_strided((2, 3), (1,))


def test_grouped_query_attention_as_torchs(torch, rng):
    """enable_gqa: 8 query heads over 2 key/value heads, each serving 4 in a row; values and gradients."""
    arrays = [rng.standard_normal(shape) for shape in [(2, 8, 5, 4), (2, 2, 6, 4), (2, 2, 6, 3)]]
    ours = [tinynn.tensor(a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    out = tinynn.nn.functional.scaled_dot_product_attention(*ours, is_causal=True, enable_gqa=True)
    t_out = torch.nn.functional.scaled_dot_product_attention(*theirs, is_causal=True, enable_gqa=True)
    np.testing.assert_allclose(out.numpy(), t_out.detach().numpy(), rtol=1e-12, atol=1e-14)
    weights = rng.standard_normal(out.shape)
    (out * tinynn.tensor(weights)).sum().backward()
    (t_out * torch.tensor(weights)).sum().backward()
    for mine, reference in zip(ours, theirs):
        np.testing.assert_allclose(mine.grad.numpy(), reference.grad.numpy(), rtol=1e-10, atol=1e-12)
    with pytest.raises(ValueError, match=r"heads in key and value \(3, 3\) must be equal and divide the number of "
                                         r"heads in query \(8\)"):
        tinynn.nn.functional.scaled_dot_product_attention(ours[0], tinynn.zeros(2, 3, 6, 4, dtype=tinynn.float64),
                                                          tinynn.zeros(2, 3, 6, 3, dtype=tinynn.float64), enable_gqa=True)


def test_attention_kernel_switches_as_torchs_cpu(torch):
    from tinynn.nn.attention import SDPBackend, sdpa_kernel

    q = tinynn.ones(1, 2, 3, 4)
    with sdpa_kernel([SDPBackend.FLASH_ATTENTION]), torch.nn.attention.sdpa_kernel(
            [torch.nn.attention.SDPBackend.FLASH_ATTENTION]):
        assert tinynn.backends.cuda.flash_sdp_enabled() is torch.backends.cuda.flash_sdp_enabled() is True
        assert tinynn.backends.cuda.math_sdp_enabled() is torch.backends.cuda.math_sdp_enabled() is False
        assert tinynn.nn.functional.scaled_dot_product_attention(q, q, q).shape == (1, 2, 3, 4)  # the CPU has it
    with sdpa_kernel(SDPBackend.EFFICIENT_ATTENTION), pytest.raises(RuntimeError, match="No viable backend"):
        tinynn.nn.functional.scaled_dot_product_attention(q, q, q)  # a GPU kernel only, as PyTorch's CPU says
    assert all(getattr(tinynn.backends.cuda, f"{name}_sdp_enabled")() for name in ("flash", "math", "mem_efficient",
                                                                                   "cudnn"))  # restored
    try:
        tinynn.backends.cuda.enable_math_sdp(False)
        tinynn.backends.cuda.enable_flash_sdp(False)
        with pytest.raises(RuntimeError, match="No viable backend"):
            tinynn.nn.functional.scaled_dot_product_attention(q, q, q)
    finally:
        tinynn.backends.cuda.enable_math_sdp(True)
        tinynn.backends.cuda.enable_flash_sdp(True)
    with pytest.warns(FutureWarning, match=r"sdp_kernel\(\)` is deprecated"), \
            tinynn.backends.cuda.sdp_kernel(enable_flash=False, enable_mem_efficient=False):
        assert tinynn.backends.cuda.math_sdp_enabled() and not tinynn.backends.cuda.flash_sdp_enabled()
    assert tinynn.backends.cuda.flash_sdp_enabled()
    with pytest.raises(ValueError, match="expected SDPBackend kernels"):
        with sdpa_kernel(["MATH"]):
            pass


def test_autograd_profiler_is_the_profilers_older_name():
    x = tinynn.ones(3, requires_grad=True)
    with tinynn.autograd.profiler.profile(record_shapes=True) as prof:
        with tinynn.autograd.profiler.record_function("my step"):
            (x * 2).sum().backward()
    names = [event.key for event in prof.key_averages()]
    assert "my step" in names and any("Mul" in name for name in names)
    with tinynn.autograd.profiler.profile(enabled=False) as idle:
        (x * 2).sum()
    assert idle.events() == []


def _custom_function_dtypes(L):
    """A custom matrix product with amp.custom_fwd/custom_bwd, with and without cast_inputs, in a CPU
    autocast region: the dtypes of its outputs and gradients."""
    def matmul_function(**options):
        class MatMul(L.autograd.Function):
            @staticmethod
            @L.amp.custom_fwd(device_type="cpu", **options)
            def forward(ctx, a, b):
                ctx.save_for_backward(a, b)
                return a @ b

            @staticmethod
            @L.amp.custom_bwd(device_type="cpu")
            def backward(ctx, g):
                a, b = ctx.saved_tensors
                return g @ b.T, a.T @ g
        return MatMul

    a = L.tensor(np.arange(6.0).reshape(2, 3).astype(np.float32), requires_grad=True)
    b = L.tensor(np.ones((3, 2), np.float32), requires_grad=True)
    found = []
    with L.autocast("cpu", dtype=L.float16):
        cast, uncast = matmul_function(cast_inputs=L.float32).apply(a.half(), b), matmul_function().apply(a, b)
    outside = matmul_function(cast_inputs=L.float32).apply(a.half(), b.half())  # no region: nothing cast
    for out in (cast, uncast):
        a.grad = b.grad = None
        out.float().sum().backward()
        found.append((str(out.dtype), str(a.grad.dtype), str(b.grad.dtype), a.grad.tolist()))
    return found + [str(outside.dtype)]


def test_custom_fwd_and_custom_bwd_give_custom_functions_pytorchs_autocast_behaviour(torch):
    ours, theirs = _custom_function_dtypes(tinynn), _custom_function_dtypes(torch)
    normalise = (lambda item: item.replace("torch.", "") if isinstance(item, str) else
                 tuple(part.replace("torch.", "") if isinstance(part, str) else part for part in item))
    assert [normalise(item) for item in theirs] == ours
    assert ours[0][0] == "float32" and ours[1][0] == "float16" and ours[2] == "float16"  # cast, in the region, outside
    with pytest.warns(FutureWarning, match=r"Please use `tinynn.amp.custom_fwd\(args..., device_type='cuda'\)`"):
        tinynn.cuda.amp.custom_fwd(lambda ctx, x: x)


def test_cond_and_while_loop_run_eagerly_as_torchs(torch):
    def run(L):
        x = L.tensor([1.0, 2.0], requires_grad=True)
        branch = L.cond(x.sum() > 0, lambda t: t * 2, lambda t: t - 1, (x,))
        branch.sum().backward()
        other = L.cond(False, lambda t: t * 2, lambda t: t - 1, [x])
        count, value = L.while_loop(lambda i, s: i < 3, lambda i, s: (i + 1, s * 2), (L.tensor(0), L.tensor(1.0)))
        return branch.tolist(), x.grad.tolist(), other.tolist(), count.item(), value.item()
    assert run(tinynn) == run(torch)
    with pytest.raises(RuntimeError, match="expected pred to be bool or single-element tensor"):
        tinynn.cond(tinynn.tensor([True, False]), lambda: 1, lambda: 2)
    with pytest.raises(RuntimeError, match="body_fn returned 1 values for 2 carried inputs"):
        tinynn.while_loop(lambda i, s: i < 3, lambda i, s: (i + 1,), (tinynn.tensor(0), tinynn.tensor(1.0)))


def test_jit_freeze_fork_and_isinstance_as_pytorchs_eager_answers(torch, tmp_path):
    from typing import Dict, List, Optional, Tuple, Union

    cases = [([1, 2], List[int]), ([1, "a"], List[int]), ({"a": 1.0}, Dict[str, float]), ({"a": 1}, Dict[str, str]),
             (None, Optional[int]), (3, Optional[int]), ((1, "a"), Tuple[int, str]), ((1, 2), Tuple[int, str]),
             ("x", Union[int, str]), ([[1], [2, 3]], List[List[int]])]
    assert [tinynn.jit.isinstance(obj, kind) for obj, kind in cases] == [torch.jit.isinstance(obj, kind)
                                                                         for obj, kind in cases]
    future = tinynn.jit.fork(lambda x, scale=1: x * scale, tinynn.ones(2), scale=3)
    assert future.done() and tinynn.jit.wait(future).tolist() == [3.0, 3.0] == future.value().tolist()
    model = tinynn.nn.Linear(2, 2)
    with pytest.raises(RuntimeError, match="only implemented for modules in eval mode"):
        tinynn.jit.freeze(tinynn.jit.script(model))
    assert tinynn.jit.freeze(tinynn.jit.script(model.eval())) is model
    assert tinynn.jit.optimize_for_inference(model.train()) is model and not model.training
    with pytest.raises(NotImplementedError, match="TorchScript, PyTorch's compiled format.*tinynn.save"):
        tinynn.jit.save(model, tmp_path / "model.pt")
    with pytest.raises(NotImplementedError, match="tinynn.load and model.load_state_dict"):
        tinynn.jit.load(tmp_path / "model.pt")
