"""The GPU path (CuPy): every op, layer, loss, optimizer and the data pipeline on "gpu", agreeing with
the CPU on the same weights and inputs (float32, ~1e-4 relative). Skipped without CuPy and a CUDA
device (the reason is printed with -rs)."""
import numpy as np
import pytest

import tinynn
from tinynn.autograd import gradcheck
from tinynn.models import MnistTiny
from tinynn.nn import functional as F
from helpers import away_from, distinct

pytestmark = pytest.mark.gpu

RTOL, ATOL = 1e-4, 1e-5


def both(array, requires_grad=True):
    cpu = tinynn.tensor(np.asarray(array, dtype=np.float32), requires_grad=requires_grad)
    gpu = tinynn.tensor(np.asarray(array, dtype=np.float32), device="gpu", requires_grad=requires_grad)
    return cpu, gpu


OPS = {
    "arithmetic": lambda a, b: (a * 2 + b) / (b * b + 1) - a ** 2,
    "matmul": lambda a, b: a @ b.T,
    "elementwise": lambda a, b: a.exp().tanh() + b.sigmoid() + (b * b + 1).log() + (a * a + 1).sqrt() + a.abs(),
    "reductions": lambda a, b: a.sum(axis=1) + b.mean(axis=1) + (a + b).max(axis=1),
    "shape": lambda a, b: tinynn.concatenate([a.T.reshape(-1), b[1:, ::2].flatten(), tinynn.pad(a, ((1, 0), (0, 2))).flatten()]),
    "indexing": lambda a, b: a[np.array([0, 2, 2])] * b[1],
    "softmax": lambda a, b: F.log_softmax(a, 1) + F.softmax(b, 0),
    "maximum_clip": lambda a, b: tinynn.maximum(a, b).clip(-0.5, 0.5),
}


@pytest.mark.parametrize("name", OPS)
def test_ops_agree_with_the_cpu(name, rng):
    values_a = away_from(rng.standard_normal((3, 4)), [0.0, -0.5, 0.5])
    values_b = away_from(rng.standard_normal((3, 4)), [0.0, -0.5, 0.5]) + 0.05
    (a_cpu, a_gpu), (b_cpu, b_gpu) = both(values_a), both(values_b)
    out_cpu, out_gpu = OPS[name](a_cpu, b_cpu), OPS[name](a_gpu, b_gpu)
    assert out_gpu.device == "gpu"
    np.testing.assert_allclose(out_gpu.numpy(), out_cpu.numpy(), rtol=RTOL, atol=ATOL)
    out_cpu.sum().backward()
    out_gpu.sum().backward()
    np.testing.assert_allclose(a_gpu.grad.numpy(), a_cpu.grad.numpy(), rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(b_gpu.grad.numpy(), b_cpu.grad.numpy(), rtol=RTOL, atol=ATOL)


def test_gradcheck_runs_on_the_gpu(rng):
    x = tinynn.tensor(rng.standard_normal((2, 2, 5, 5)), device="gpu", requires_grad=True)
    w = tinynn.tensor(rng.standard_normal((3, 2, 3, 3)), device="gpu", requires_grad=True)
    assert gradcheck(lambda x, w: F.max_pool2d(F.relu(F.conv2d(x, w, padding=1)), 2, stride=1), [x, w],
                     fast_mode=True)


@pytest.mark.parametrize("training", [True, False])
def test_seed_model_agrees_with_the_cpu(training, rng):
    cpu_model = MnistTiny(dropout=0.0)
    gpu_model = MnistTiny(dropout=0.0).to("gpu")
    gpu_model.load_state_dict(cpu_model.state_dict())
    cpu_model.train(training), gpu_model.train(training)
    images = rng.standard_normal((8, 1, 28, 28))
    (x_cpu, x_gpu) = both(images, requires_grad=False)
    labels = rng.integers(0, 10, 8)
    loss_cpu = F.cross_entropy(cpu_model(x_cpu), tinynn.tensor(labels))
    loss_gpu = F.cross_entropy(gpu_model(x_gpu), tinynn.tensor(labels, device="gpu"))
    np.testing.assert_allclose(loss_gpu.item(), loss_cpu.item(), rtol=RTOL)
    loss_cpu.backward(), loss_gpu.backward()
    for (name, p_cpu), (_, p_gpu) in zip(cpu_model.named_parameters(), gpu_model.named_parameters()):
        scale = np.abs(p_cpu.grad.numpy()).max() + 1e-12
        np.testing.assert_allclose(p_gpu.grad.numpy() / scale, p_cpu.grad.numpy() / scale, atol=1e-4, err_msg=name)


def test_max_pool_ties_and_padding_on_the_gpu(rng):
    values = distinct((2, 3, 7, 7), rng)
    (x_cpu, x_gpu) = both(values)
    F.max_pool2d(x_cpu, 3, 2, 1).sum().backward()
    F.max_pool2d(x_gpu, 3, 2, 1).sum().backward()
    np.testing.assert_array_equal(x_gpu.grad.numpy(), x_cpu.grad.numpy())


@pytest.mark.parametrize("name,kwargs", [("SGD", dict(lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01)),
                                         ("Adam", dict(lr=0.01, amsgrad=True)), ("AdamW", dict(lr=0.01))])
def test_optimizers_agree_with_the_cpu(name, kwargs, rng):
    start = rng.standard_normal((4, 3))
    (p_cpu, p_gpu) = both(start)
    opt_cpu, opt_gpu = getattr(tinynn.optim, name)([p_cpu], **kwargs), getattr(tinynn.optim, name)([p_gpu], **kwargs)
    for _ in range(5):
        grad = rng.standard_normal((4, 3)).astype(np.float32)
        p_cpu.grad, p_gpu.grad = tinynn.tensor(grad), tinynn.tensor(grad, device="gpu")
        opt_cpu.step(), opt_gpu.step()
    np.testing.assert_allclose(p_gpu.numpy(), p_cpu.numpy(), rtol=RTOL, atol=ATOL)


def test_state_dict_saved_from_the_gpu_loads_on_the_cpu_and_back(tmp_path, rng):
    model = MnistTiny().to("gpu")
    optimizer = tinynn.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    F.cross_entropy(model(tinynn.randn(4, 1, 28, 28, device="gpu")), tinynn.tensor([1, 2, 3, 4], device="gpu")).backward()
    optimizer.step()
    tinynn.save({"model": model.state_dict(), "optimizer": optimizer.state_dict()}, tmp_path / "gpu.npz")
    state = tinynn.load(tmp_path / "gpu.npz")
    cpu_model = MnistTiny()
    cpu_model.load_state_dict(state["model"])
    for (name, a), (_, b) in zip(model.state_dict().items(), cpu_model.state_dict().items()):
        np.testing.assert_array_equal(a.numpy(), b.numpy(), err_msg=name)
    back = MnistTiny().to("gpu")
    back.load_state_dict(cpu_model.state_dict())
    assert back.device == "gpu" and back.features[0].weight.device == "gpu"
    gpu_optimizer = tinynn.optim.SGD(back.parameters(), lr=0.1, momentum=0.9)
    gpu_optimizer.load_state_dict(state["optimizer"])
    buffer = gpu_optimizer.state[id(back.features[0].weight)]["momentum_buffer"]
    assert tinynn.backend.device_of(buffer) == "gpu"


def test_mnist_batches_are_sliced_on_the_gpu(mnist_dir):
    from tinynn.data import MNIST, DataLoader, transforms

    dataset = MNIST(mnist_dir, train=False, limit=256,
                    transform=transforms.Compose([transforms.RandomAffine(7, (0.1, 0.1)),
                                                  transforms.Normalize((0.1307,), (0.3081,))])).to("gpu")
    images, labels = next(iter(DataLoader(dataset, 64, shuffle=True, seed=0)))
    assert images.device == "gpu" and labels.device == "gpu"
    assert images.shape == (64, 1, 28, 28) and images.dtype == np.float32


def test_dropout_on_the_gpu_follows_the_seed():
    tinynn.manual_seed(3)
    a = F.dropout(tinynn.ones(64, 64, device="gpu"), 0.5).numpy()
    tinynn.manual_seed(3)
    b = F.dropout(tinynn.ones(64, 64, device="gpu"), 0.5).numpy()
    np.testing.assert_array_equal(a, b)
    assert 0.4 < (a == 0).mean() < 0.6


def test_guard_and_summary_run_on_the_gpu():
    model = MnistTiny().to("gpu")
    text = tinynn.summary(model, (1, 28, 28), print_fn=None)
    assert "Total params: 17,216" in text
    loss = F.cross_entropy(model(tinynn.randn(2, 1, 28, 28, device="gpu")), tinynn.tensor([0, 1], device="gpu"))
    loss.backward()
    tinynn.guard.check_finite(loss, model.named_parameters())
