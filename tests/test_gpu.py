"""The GPU path (CuPy): every op, layer, loss, optimizer and the data pipeline on "gpu", agreeing with
the CPU on the same weights and inputs (float32, ~1e-4 relative).

Each test runs twice: on a real GPU ("cuda", skipped without CuPy and a CUDA device; the reason is
printed with -rs) and on the simulated CuPy of tests/gpu_simulation ("simulated-gpu", everywhere), which
refuses what real CuPy refuses and counts host-device transfers."""
import numpy as np
import pytest

import tinynn
from tinynn.autograd import gradcheck
from tinynn.models import MnistTiny
from tinynn.nn import functional as F
from gpu_simulation import simulated_cupy
from helpers import away_from, distinct, load_script, use_device



@pytest.fixture(autouse=True, params=[pytest.param("cuda", marks=pytest.mark.gpu), "simulated-gpu"])
def gpu(request, monkeypatch):
    use_device(request.param, monkeypatch)
    return request.param

RTOL, ATOL = 1e-4, 1e-5


def both(array, requires_grad=True):
    cpu = tinynn.tensor(np.asarray(array, dtype=np.float32), requires_grad=requires_grad)
    gpu = tinynn.tensor(np.asarray(array, dtype=np.float32), device="gpu", requires_grad=requires_grad)
    return cpu, gpu


OPS = {
    "arithmetic": lambda a, b: (a * 2 + b) / (b * b + 1) - a ** 2,
    "matmul": lambda a, b: a @ b.T,
    "elementwise": lambda a, b: a.exp().tanh() + b.sigmoid() + (b * b + 1).log() + (a * a + 1).sqrt() + a.abs(),
    "reductions": lambda a, b: a.sum(axis=1) + b.mean(axis=1) + (a + b).amax(1),
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
                                         ("Adam", dict(lr=0.01, amsgrad=True)), ("AdamW", dict(lr=0.01)),
                                         ("RMSprop", dict(lr=0.01, momentum=0.5, centered=True)),
                                         ("Adagrad", dict(lr=0.1, lr_decay=0.01, initial_accumulator_value=0.1))])
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
    assert gpu_optimizer.state[back.features[0].weight]["momentum_buffer"].device == "gpu"


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


def _cupyx():
    import cupyx

    return cupyx


def _host_to_device_copies(gpu):
    """Host-to-device copies counted by the simulation (real CuPy does not count them)."""
    return simulated_cupy.TRANSFERS["host_to_device"] if gpu == "simulated-gpu" else 0


@pytest.mark.parametrize("targets", ["class indices", "weighted, smoothed probabilities"])
def test_a_training_step_on_device_data_never_waits_for_the_gpu(gpu, targets, rng):
    """The issue's rule: no host-device copy or synchronisation per step. Under CuPy's
    allow_synchronize(False) any device-to-host read raises DeviceSynchronized."""
    model = MnistTiny().to("gpu")
    optimizer = tinynn.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, nesterov=True, weight_decay=5e-5)
    scheduler = tinynn.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=0.05, total_steps=10)
    images = tinynn.tensor(rng.standard_normal((16, 1, 28, 28)), dtype=np.float32, device="gpu")
    if targets == "class indices":
        labels, options = tinynn.tensor(rng.integers(0, 10, 16), device="gpu"), {}
    else:
        labels = tinynn.tensor(rng.dirichlet(np.ones(10), 16), dtype=np.float32, device="gpu")
        options = dict(weight=tinynn.tensor(rng.uniform(0.5, 2, 10), dtype=np.float32, device="gpu"), label_smoothing=0.1)

    def step():
        optimizer.zero_grad()
        loss = F.cross_entropy(model(images), labels, **options)
        loss.backward()
        tinynn.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        optimizer.step()
        scheduler.step()
        return loss

    first = step().item()
    copies_before = _host_to_device_copies(gpu)
    with _cupyx().allow_synchronize(False):
        for _ in range(3):
            loss = step()
    assert _host_to_device_copies(gpu) == copies_before
    assert loss.item() < first + 1.0 and np.isfinite(loss.item())


def test_an_out_of_range_target_on_the_gpu_is_reported_at_the_next_read():
    logits = tinynn.randn(4, 10, device="gpu", requires_grad=True)
    with _cupyx().allow_synchronize(False):  # checking the targets does not stop the GPU
        loss = F.cross_entropy(logits, tinynn.tensor([1, 12, 3, 4], device="gpu"))
        loss.backward()
    with pytest.raises(IndexError, match=r"cross_entropy: target 12 is out of range: expected class indices in "
                                         r"\[0, 9\] \(found on the GPU at the next read of a result\)"):
        loss.item()
    good = F.nll_loss(F.log_softmax(logits, 1), tinynn.tensor([1, 2, 3, 4], device="gpu"))
    assert np.isfinite(good.item()), "a reported error is not raised again"


def test_data_pipeline_on_the_gpu_slices_and_augments_without_copies(gpu, mnist_dir):
    from tinynn.data import MNIST, DataLoader, transforms

    augment = transforms.Compose([transforms.RandomAffine(7, (0.08, 0.08)), transforms.Normalize((0.1307,), (0.3081,))])
    dataset = MNIST(mnist_dir, train=False, limit=512, transform=augment).to("gpu")
    loader = DataLoader(dataset, 64, shuffle=True, seed=0)
    with _cupyx().allow_synchronize(False):
        list(loader)  # the first epoch also uploads Normalize's mean and std
        copies_before = _host_to_device_copies(gpu)
        batches = list(loader)
    if gpu == "simulated-gpu":
        assert _host_to_device_copies(gpu) - copies_before == 1, "one copy per epoch: the shuffled order"
    assert len(batches) == 8 and all(images.device == "gpu" for images, _ in batches)
    images = batches[0][0].numpy()
    assert images.shape == (64, 1, 28, 28) and images.dtype == np.float32
    assert -0.5 < images.min() < -0.4 and images.max() > 2.5, "normalised MNIST values"


def test_the_example_trains_on_the_gpu_as_on_the_cpu_and_reads_back_only_to_log(gpu, mnist_dir, tmp_path, capsys):
    """examples/mnist_tiny.py --device gpu: without augmentation and dropout (whose GPU random streams
    differ from the CPU's) it follows the CPU run; it saves and resumes; reads from the device do
    not grow with the number of steps (they happen every --log-every steps and once per epoch)."""
    example = load_script("examples/mnist_tiny.py")
    flags = ["--data-dir", str(mnist_dir), "--epochs", "1", "--test-limit", "500", "--batch-size", "32",
             "--lr", "0.03", "--no-progress", "--log-every", "1000", "--no-augment", "--dropout", "0"]
    reads = []
    for limit in (320, 960):
        run = example.Run(example.parse_args(flags + ["--device", "gpu", "--limit", str(limit)]))
        simulated_cupy.TRANSFERS.clear()
        run.fit()
        reads.append(simulated_cupy.TRANSFERS["device_to_host"])
    if gpu == "simulated-gpu":
        assert reads[0] == reads[1], f"device-to-host reads for 10 and 30 steps: {reads}"
    assert run.history[-1]["test_accuracy"] > 40.0, "30 steps from chance (10%); 48% in the simulation"
    # Rounding differences between devices grow over many steps, so the runs are compared over three.
    short = {}
    for device in ("cpu", "gpu"):
        short[device] = example.Run(example.parse_args(flags + ["--device", device, "--limit", "96"]))
        short[device].fit()
    np.testing.assert_allclose(short["gpu"].history[-1]["train_loss"], short["cpu"].history[-1]["train_loss"], rtol=1e-4)
    np.testing.assert_allclose(short["gpu"].history[-1]["test_loss"], short["cpu"].history[-1]["test_loss"], rtol=1e-3)
    # Stopped after its first step (as by Ctrl-C), saved, resumed: the same weights as the run above.
    checkpoint = tmp_path / "gpu.npz"
    gpu_flags = flags + ["--device", "gpu", "--limit", "960", "--checkpoint", str(checkpoint)]
    stopped = example.Run(example.parse_args(gpu_flags))
    stopped.stop_requested = True
    with pytest.raises(KeyboardInterrupt):
        stopped.fit()
    stopped.save()
    resumed = example.Run(example.parse_args(gpu_flags))
    resumed.load_state_dict(tinynn.load(checkpoint))
    assert (resumed.epoch, resumed.step) == (1, 1)
    resumed.fit()
    for (name, value), (_, expected) in zip(resumed.model.state_dict().items(), run.model.state_dict().items()):
        np.testing.assert_allclose(value.numpy(), expected.numpy(), rtol=1e-5, atol=1e-6, err_msg=name)


def test_the_gpu_random_stream_is_saved_and_resumed(gpu, tmp_path):
    """The GPU generator's state is its log of draws: saved (through a checkpoint file) and
    restored, it continues the stream exactly, and saving it reads nothing back from the GPU."""
    x = tinynn.ones(6, 7, device="gpu")
    tinynn.manual_seed(5)
    straight = [F.dropout(x, 0.5).numpy() for _ in range(4)]
    tinynn.manual_seed(5)
    F.dropout(x, 0.5)
    F.dropout(x[:3], 0.3)  # a draw of another kind, logged as such
    tinynn.manual_seed(5)
    F.dropout(x, 0.5)
    reads = simulated_cupy.TRANSFERS["device_to_host"]
    tinynn.save({"rng": tinynn.get_rng_state()}, tmp_path / "rng.npz")
    if gpu == "simulated-gpu":
        assert simulated_cupy.TRANSFERS["device_to_host"] == reads
    tinynn.manual_seed(123)  # another stream in between
    F.dropout(x, 0.5)
    tinynn.set_rng_state(tinynn.load(tmp_path / "rng.npz")["rng"])
    for expected in straight[1:]:
        np.testing.assert_array_equal(F.dropout(x, 0.5).numpy(), expected)


def test_the_example_resumes_on_the_gpu_with_dropout_and_augmentation_as_if_never_stopped(mnist_dir, tmp_path):
    example = load_script("examples/mnist_tiny.py")
    flags = ["--data-dir", str(mnist_dir), "--epochs", "1", "--test-limit", "200", "--batch-size", "32",
             "--no-progress", "--device", "gpu", "--limit", "320"]
    straight = example.Run(example.parse_args(flags))
    straight.fit()
    checkpoint = tmp_path / "gpu.npz"
    stopped = example.Run(example.parse_args(flags + ["--checkpoint", str(checkpoint)]))
    stopped.stop_requested = True
    with pytest.raises(KeyboardInterrupt):
        stopped.fit()
    stopped.save()
    resumed = example.Run(example.parse_args(flags + ["--checkpoint", str(checkpoint)]))
    resumed.load_state_dict(tinynn.load(checkpoint))
    resumed.fit()
    for (name, value), (_, expected) in zip(resumed.model.state_dict().items(), straight.model.state_dict().items()):
        np.testing.assert_allclose(value.numpy(), expected.numpy(), rtol=1e-5, atol=1e-6, err_msg=name)


def test_the_benchmarks_run_on_the_gpu(capsys):
    bench = load_script("benchmarks/bench_train.py")
    bench.main(["--device", "gpu", "--batch-size", "16", "--rounds", "2", "--steps", "2", "--warmup", "1",
                "--eval-repeats", "1", "--no-memory", "--same-process"])  # the simulation lives in this process
    out = capsys.readouterr().out
    assert "device gpu" in out and "\ntinynn" in out
    load_script("benchmarks/profile_layers.py").main(["--device", "gpu", "--batch-size", "16", "--steps", "3"])
    out = capsys.readouterr().out
    assert "features.0 Conv2d" in out and out.strip().splitlines()[-1].startswith("sum")


def test_pytorch_device_idioms_reach_the_gpu():
    """``device = torch.device("cuda" if torch.cuda.is_available() else "cpu")`` and what follows it."""
    assert tinynn.cuda.is_available() and tinynn.cuda.device_count() == 1 and tinynn.cuda.current_device() == 0
    device = tinynn.device("cuda" if tinynn.cuda.is_available() else "cpu")
    model = MnistTiny().to(device, non_blocking=True)
    x = tinynn.randn(2, 1, 28, 28).to(device, non_blocking=True)
    assert x.device == "gpu" and x.device.type == "cuda" and x.device.index == 0 and x.is_cuda
    assert model(x).device == device and repr(model(x).device) == "device(type='cuda', index=0)"
    assert tinynn.zeros(2).cuda(0).device == tinynn.zeros(2).cuda("cuda:0").device == tinynn.zeros(2).cuda().device == "gpu"
    assert MnistTiny().cuda(0).device == "gpu"
    with pytest.raises(ValueError, match="one GPU"):
        tinynn.zeros(2).cuda(1)
    name = tinynn.cuda.get_device_name()
    assert isinstance(name, str) and name
    tinynn.cuda.synchronize()
    assert tinynn.cuda.memory_reserved() >= tinynn.cuda.memory_allocated() >= 0
    tinynn.cuda.empty_cache()
    np.testing.assert_array_equal(x.cpu().numpy(), x.numpy(force=True))


def test_cuda_manual_seed_reseeds_the_gpu_stream_only():
    x = tinynn.ones(64, 64, device="gpu")
    tinynn.manual_seed(1)
    cpu_first = tinynn.rand(3).numpy()
    tinynn.cuda.manual_seed(7)
    gpu_first = F.dropout(x, 0.5).numpy()
    cpu_second = tinynn.rand(3).numpy()
    tinynn.manual_seed(1)  # seeds both streams with 1
    np.testing.assert_array_equal(tinynn.rand(3).numpy(), cpu_first)
    assert not np.array_equal(F.dropout(x, 0.5).numpy(), gpu_first)
    state = tinynn.get_rng_state()
    tinynn.cuda.manual_seed_all(7)
    np.testing.assert_array_equal(F.dropout(x, 0.5).numpy(), gpu_first)
    np.testing.assert_array_equal(tinynn.rand(3).numpy(), cpu_second)  # the CPU stream went on
    tinynn.manual_seed(7)
    np.testing.assert_array_equal(F.dropout(x, 0.5).numpy(), gpu_first)
    tinynn.set_rng_state(state)  # the GPU stream of seed 1, one draw in
    tinynn.manual_seed(1)
    F.dropout(x, 0.5)
    expected = F.dropout(x, 0.5).numpy()
    tinynn.set_rng_state(state)
    np.testing.assert_array_equal(F.dropout(x, 0.5).numpy(), expected)
