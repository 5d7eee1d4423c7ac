"""tinynn.cpu (PyTorch's torch.cpu) and get_device_module: device-agnostic code runs unchanged on the CPU."""
import warnings

import pytest

import tinynn


def run_device_agnostic(library, device):
    """What such code does: its device's module by name, then waiting, streams, events and a seed."""
    module = getattr(library, library.device(device).type)
    assert module is library.get_device_module(device)
    event = module.Event()
    with module.stream(module.Stream()):
        event.record()
        x = library.ones(3, device=device) * 2
    module.current_stream().wait_event(event)
    event.synchronize()
    module.synchronize()
    return module.is_available(), module.device_count(), module.current_device(), event.query(), x.sum().item()


def test_device_agnostic_code_reads_the_same_as_with_torch(torch):
    assert run_device_agnostic(tinynn, "cpu") == run_device_agnostic(torch, "cpu")
    assert tinynn.get_device_module("cuda") is tinynn.cuda and tinynn.get_device_module("gpu") is tinynn.cuda
    assert tinynn.get_device_module() is (tinynn.cuda if tinynn.gpu_available() else tinynn.cpu)
    assert tinynn.cpu.is_initialized() and tinynn.cpu.set_device("cpu") is None


def test_the_old_cpu_amp_names_warn_and_cast_as_autocast_does():
    with pytest.warns(FutureWarning, match=r"tinynn.cpu.amp.autocast\(args...\)` is deprecated"):
        context = tinynn.cpu.amp.autocast(dtype=tinynn.float16)
    with context:
        assert (tinynn.ones(2, 2) @ tinynn.ones(2, 2)).dtype == tinynn.float16
    with pytest.warns(FutureWarning, match=r"tinynn.cpu.amp.GradScaler\(args...\)` is deprecated"):
        scaler = tinynn.cpu.amp.GradScaler(init_scale=8.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert scaler.get_scale() == 8.0
