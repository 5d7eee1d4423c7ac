"""tinynn.cuda's events, streams, device properties and memory figures (PyTorch's torch.cuda), on the
simulated GPU here and on a real one where there is one."""
import time

import pytest

import tinynn
from helpers import install_cupy_without_gpu, use_device

DEVICES = [pytest.param("cuda", marks=pytest.mark.gpu), "simulated-gpu"]


@pytest.fixture(params=DEVICES)
def gpu(request, monkeypatch):
    return use_device(request.param, monkeypatch)


def test_events_time_gpu_work(gpu):
    start, end = tinynn.cuda.Event(enable_timing=True), tinynn.cuda.Event(enable_timing=True)
    x = tinynn.randn(256, 256, device=gpu)
    start.record()
    for _ in range(3):
        x = x @ x * 1e-2
    time.sleep(0.002)
    end.record()
    end.synchronize()
    assert end.query()
    elapsed = start.elapsed_time(end)
    assert isinstance(elapsed, float) and elapsed > 0
    with pytest.raises(RuntimeError, match="enable_timing=True"):
        tinynn.cuda.Event().elapsed_time(end)


def test_streams_take_the_work_issued_inside(gpu):
    side = tinynn.cuda.Stream()
    assert tinynn.cuda.current_stream() != side
    with tinynn.cuda.stream(side) as chosen:
        assert chosen is side and tinynn.cuda.current_stream() == side
        y = tinynn.ones(4, device=gpu) * 2
    assert tinynn.cuda.current_stream() != side
    tinynn.cuda.current_stream().wait_stream(side)
    event = side.record_event()
    event.wait()
    side.synchronize()
    assert side.query() and y.to("cpu").tolist() == [2.0] * 4
    with tinynn.cuda.stream(None):
        pass


def test_device_questions(gpu):
    properties = tinynn.cuda.get_device_properties(0)
    assert properties.name == tinynn.cuda.get_device_name() and properties.total_memory > 0
    assert properties.major >= 1 and properties.multi_processor_count >= 1 and "total_memory" in repr(properties)
    free, total = tinynn.cuda.mem_get_info()
    assert 0 < free <= total
    tinynn.cuda.set_device("cuda:0")
    with tinynn.cuda.device(0):
        pass
    with pytest.raises(ValueError, match="tinynn uses one GPU"):
        tinynn.cuda.set_device(1)
    assert tinynn.cuda.is_bf16_supported() is False


def test_the_reserved_peak_outlives_empty_cache(gpu):
    tinynn.cuda.reset_peak_memory_stats()
    block = tinynn.zeros(1 << 20, device=gpu)
    held = tinynn.cuda.memory_reserved()
    assert tinynn.cuda.memory_allocated() >= block.numel() * 4 and held >= block.numel() * 4
    assert tinynn.cuda.max_memory_reserved() == held
    del block
    tinynn.cuda.empty_cache()
    assert tinynn.cuda.max_memory_reserved() >= held
    tinynn.cuda.reset_peak_memory_stats()
    assert tinynn.cuda.max_memory_reserved() == tinynn.cuda.memory_reserved() < held + 1


def test_memory_figures_where_cupy_is_installed_but_sees_no_gpu(monkeypatch):
    """CuPy imported is not a GPU: without a driver its pool's counts raise (CUDARuntimeError), so
    tinynn must not ask them before it has found a device, and answers 0 as PyTorch does."""
    install_cupy_without_gpu(monkeypatch)
    assert not tinynn.cuda.is_available()
    assert tinynn.cuda.memory_allocated() == tinynn.cuda.memory_reserved() == tinynn.cuda.max_memory_reserved() == 0
    tinynn.cuda.empty_cache()
    with pytest.raises(tinynn.DeviceError, match="found no CUDA device.*insufficient"):
        tinynn.zeros(2).cuda()


def test_the_accelerators_memory_questions_are_the_gpus(gpu):
    block = tinynn.zeros(1 << 18, device=gpu)
    assert tinynn.accelerator.memory_allocated() == tinynn.cuda.memory_allocated() >= block.numel() * 4
    assert tinynn.accelerator.memory_reserved() == tinynn.cuda.memory_reserved()
    assert tinynn.accelerator.max_memory_reserved() == tinynn.cuda.max_memory_reserved()
    free, total = tinynn.accelerator.get_memory_info()
    assert 0 < free <= total and tinynn.accelerator.current_stream() is not None
    del block
    tinynn.accelerator.empty_cache()
    tinynn.accelerator.reset_peak_memory_stats()
    assert tinynn.accelerator.max_memory_reserved() == tinynn.accelerator.memory_reserved()


def test_without_an_accelerator_its_memory_questions_are_pytorchs_error(torch):
    if tinynn.accelerator.is_available():
        pytest.skip("this machine has an accelerator")
    # (PyTorch's CPU-only builds answer so; a CUDA build on a machine without a GPU answers otherwise)
    libraries = (tinynn, torch) if torch.accelerator.current_accelerator() is None else (tinynn,)
    for name in ("memory_allocated", "memory_reserved", "max_memory_reserved", "reset_peak_memory_stats",
                 "empty_cache", "get_memory_info", "current_stream"):
        for library in libraries:
            with pytest.raises(RuntimeError, match="Cannot access accelerator device when none is available"):
                getattr(library.accelerator, name)()


def test_out_of_memory_error_names_a_class_for_except_clauses_on_any_machine(torch):
    """``except torch.cuda.OutOfMemoryError`` in a script is evaluated whenever an error passes it: without a
    GPU it names a class nothing raises (not an AttributeError hiding the error), as PyTorch's does."""
    for library in (tinynn, torch):
        with pytest.raises(ValueError, match="the error being handled"):
            try:
                raise ValueError("the error being handled")
            except library.cuda.OutOfMemoryError:
                pytest.fail("an out-of-memory class caught a ValueError")
        assert issubclass(library.cuda.OutOfMemoryError, Exception)
        assert library.OutOfMemoryError is library.cuda.OutOfMemoryError


@pytest.mark.gpu
def test_a_gpu_allocation_that_does_not_fit_is_caught_as_pytorchs_out_of_memory_error():
    _, total = tinynn.cuda.mem_get_info()
    with pytest.raises(tinynn.cuda.OutOfMemoryError):
        tinynn.empty(int(total) * 2, dtype=tinynn.uint8, device="cuda")
