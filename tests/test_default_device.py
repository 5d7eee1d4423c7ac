"""set_default_device and ``with tinynn.device(...)``: factories and layers create on the default
device when not told one (as PyTorch's), an explicit device still wins, a Tensor copied keeps its
own device, and the default comes back after a block, even one that raised."""
import numpy as np
import pytest

import tinynn
from tinynn import nn
from helpers import use_device


@pytest.fixture(params=[pytest.param("cuda", marks=pytest.mark.gpu), "simulated-gpu"])
def gpu(request, monkeypatch):
    use_device(request.param, monkeypatch)
    yield "gpu"
    tinynn.set_default_device(None)


FACTORIES = {
    "zeros": lambda: tinynn.zeros(2, 3), "ones": lambda: tinynn.ones(2), "empty": lambda: tinynn.empty(4),
    "full": lambda: tinynn.full((2,), 1.5), "eye": lambda: tinynn.eye(3), "arange": lambda: tinynn.arange(5),
    "linspace": lambda: tinynn.linspace(0, 1, 4), "logspace": lambda: tinynn.logspace(0, 1, 4),
    "randn": lambda: tinynn.randn(3), "rand": lambda: tinynn.rand(3), "randint": lambda: tinynn.randint(0, 5, (3,)),
    "randperm": lambda: tinynn.randperm(4), "normal": lambda: tinynn.normal(0.0, 1.0, size=(3,)),
    "tensor": lambda: tinynn.tensor([1.0, 2.0]), "as_tensor": lambda: tinynn.as_tensor([1, 2]),
    "scalar_tensor": lambda: tinynn.scalar_tensor(3.0), "hann_window": lambda: tinynn.hann_window(8),
    "tril_indices": lambda: tinynn.tril_indices(3, 3), "range": lambda: tinynn.range(0, 3),
    "causal mask": lambda: nn.Transformer.generate_square_subsequent_mask(3),
}


@pytest.mark.parametrize("name", FACTORIES)
def test_factories_create_on_the_default_device(gpu, name):
    assert FACTORIES[name]().device == "cpu"
    tinynn.set_default_device(gpu)
    assert tinynn.get_default_device() == "gpu"
    assert FACTORIES[name]().device == "gpu"
    tinynn.set_default_device("cpu")
    assert FACTORIES[name]().device == "cpu"


def test_layers_and_parameters_are_made_on_the_default_device(gpu):
    with tinynn.device(gpu):
        model = nn.Sequential(nn.Conv2d(1, 4, 3), nn.BatchNorm2d(4), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 4 * 4, 3))
        extra = nn.Parameter(tinynn.randn(3))
        assert {p.device for p in model.parameters()} == {"gpu"} and extra.device == "gpu"
        assert {b.device for b in model.buffers()} == {"gpu"}
        output = model(tinynn.randn(2, 1, 6, 6))
        assert output.device == "gpu"
        output.sum().backward()
        assert model[0].weight.grad.device == "gpu"
        on_the_cpu = nn.Linear(2, 2, device="cpu")  # an explicit device still wins
        assert on_the_cpu.weight.device == "cpu"
    assert nn.Linear(2, 2).weight.device == "cpu"


def test_copies_keep_their_devices_and_numpy_stays_on_the_cpu(gpu):
    on_cpu = tinynn.tensor([1.0, 2.0])
    tinynn.set_default_device(gpu)
    assert tinynn.tensor(on_cpu).device == "cpu"  # a Tensor's own device, as PyTorch's
    assert tinynn.from_numpy(np.zeros(2)).device == "cpu"
    assert tinynn.zeros_like(on_cpu).device == "cpu"
    assert tinynn.as_tensor(np.zeros(2)).device == "gpu"  # an array goes to the default device, as PyTorch's
    assert tinynn.zeros(2, device="cpu").device == "cpu"
    on_gpu = tinynn.ones(2)
    assert tinynn.tensor(on_gpu).device == "gpu"
    tinynn.set_default_device("cpu")
    assert tinynn.tensor(on_gpu).device == "gpu"


def test_blocks_nest_and_restore_the_default_even_after_an_error(gpu):
    tinynn.set_default_device("cpu")
    with tinynn.device("cuda") as inside:
        assert inside == "gpu" and tinynn.zeros(1).device == "gpu"
        with tinynn.device("cpu"):
            assert tinynn.zeros(1).device == "cpu"
        assert tinynn.get_default_device() == "gpu"
    assert tinynn.get_default_device() == "cpu"
    with pytest.raises(KeyError):
        with tinynn.device("gpu"):
            raise KeyError("inside")
    assert tinynn.get_default_device() == "cpu"
    assert repr(tinynn.get_default_device()) == "device(type='cpu')"


def test_an_unknown_default_device_is_named():
    with pytest.raises(ValueError, match="unknown device 'tpu': expected 'cpu' or 'gpu'"):
        tinynn.set_default_device("tpu")
    assert tinynn.get_default_device() == "cpu"
