"""tinynn.distributed: real processes (forked) joined over TCP on 127.0.0.1. Collectives give every
rank the same, rank-ordered results; DistributedDataParallel's averaged gradients equal the
gradients of the whole batch on one process, and its ranks stay equal through training."""
import datetime
import multiprocessing
import os
import sys
import traceback

import numpy as np
import pytest

import tinynn
from tinynn import distributed
from tinynn.distributed import transport

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="forked worker processes")
TIMEOUT = datetime.timedelta(seconds=60)


def _worker(scenario, rank, world_size, port, results):
    try:
        distributed.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank,
                                       world_size=world_size, timeout=TIMEOUT)
        try:
            results.put((rank, scenario(rank, world_size)))
        finally:
            distributed.destroy_process_group()
    except BaseException:
        results.put((rank, traceback.format_exc()))
        raise


def run_job(scenario, world_size=2):
    """{rank: scenario(rank, world_size)} from ``world_size`` forked processes."""
    context = multiprocessing.get_context("fork")
    results, port = context.Queue(), transport.free_port()
    workers = [context.Process(target=_worker, args=(scenario, rank, world_size, port, results))
               for rank in range(world_size)]
    for worker in workers:
        worker.start()
    outcome = dict(results.get(timeout=120) for _ in workers)
    for worker in workers:
        worker.join(30)
    for rank, value in outcome.items():
        assert not isinstance(value, str), f"rank {rank} failed:\n{value}"
    assert all(worker.exitcode == 0 for worker in workers)
    return outcome


def _collectives(rank, world_size):
    found = {}
    x = tinynn.tensor([1.0, 2.0]) * (rank + 1)
    distributed.all_reduce(x)
    found["sum"] = x.tolist()
    y = tinynn.tensor([float(rank + 2)])
    distributed.all_reduce(y, op=distributed.ReduceOp.PRODUCT)
    found["product"] = y.tolist()
    z = tinynn.tensor([float(rank)])
    distributed.all_reduce(z, op=distributed.ReduceOp.MAX)
    found["max"] = z.tolist()
    a = tinynn.tensor([float(rank)])
    distributed.all_reduce(a, op=distributed.ReduceOp.AVG)
    found["avg"] = a.tolist()
    b = tinynn.full((3,), float(rank * 10))
    distributed.broadcast(b, src=world_size - 1)
    found["broadcast"] = b.tolist()
    gathered = [tinynn.zeros(2, dtype=tinynn.int64) for _ in range(world_size)]
    distributed.all_gather(gathered, tinynn.tensor([rank, rank * rank]))
    found["all_gather"] = [t.tolist() for t in gathered]
    reduced = tinynn.tensor([1.0 + rank])
    distributed.reduce(reduced, dst=1)
    found["reduce"] = reduced.tolist()
    objects = [None] * world_size
    distributed.all_gather_object(objects, {"rank": rank})
    found["objects"] = objects
    listed = [rank, "x"] if rank == 0 else [None, None]
    distributed.broadcast_object_list(listed, src=0)
    found["object_list"] = listed
    piece = tinynn.zeros(2)
    distributed.scatter(piece, [tinynn.full((2,), float(r)) for r in range(world_size)] if rank == 0 else None, src=0)
    found["scatter"] = piece.tolist()
    assert distributed.barrier() is None and distributed.barrier(async_op=True).wait()
    found["rank"], found["world_size"] = distributed.get_rank(), distributed.get_world_size()
    return found


def test_collectives_give_every_rank_the_combined_values():
    outcome = run_job(_collectives, world_size=3)
    for rank, found in outcome.items():
        assert found["rank"] == rank and found["world_size"] == 3
        assert found["sum"] == [6.0, 12.0] and found["product"] == [24.0] and found["max"] == [2.0]
        assert found["avg"] == [1.0] and found["broadcast"] == [20.0, 20.0, 20.0]
        assert found["all_gather"] == [[0, 0], [1, 1], [2, 4]]
        assert found["reduce"] == ([6.0] if rank == 1 else [1.0 + rank])
        assert found["objects"] == [{"rank": 0}, {"rank": 1}, {"rank": 2}]
        assert found["object_list"] == [0, "x"] and found["scatter"] == [float(rank)] * 2


def _model():
    """(Batch normalisation would use each rank's own batch statistics: that needs SyncBatchNorm.)"""
    model = tinynn.nn.Sequential(tinynn.nn.Conv2d(1, 4, 3), tinynn.nn.ReLU(), tinynn.nn.Flatten(),
                                 tinynn.nn.Linear(4 * 6 * 6, 3), tinynn.nn.Dropout(0.0), tinynn.nn.Linear(3, 3))
    model.register_buffer("step", tinynn.zeros(1))
    return model


def _batch():
    rng = np.random.default_rng(0)
    return (tinynn.tensor(rng.standard_normal((8, 1, 8, 8)).astype(np.float32)),
            tinynn.tensor(rng.integers(0, 3, 8)))


def _ddp_training(rank, world_size):
    tinynn.manual_seed(rank)  # different initial weights: DDP must start every rank from rank 0's
    module = _model()
    module.step.fill_(float(rank + 5))
    model = tinynn.nn.parallel.DistributedDataParallel(module)
    buffer_at_start = module.step.tolist()
    model.module[5].weight.requires_grad_(False)  # a frozen layer
    optimizer = tinynn.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=0.1, momentum=0.9)
    images, labels = _batch()
    share = slice(rank * 8 // world_size, (rank + 1) * 8 // world_size)
    loss = tinynn.nn.functional.cross_entropy(model(images[share]), labels[share])
    loss.backward()
    gradients = {name: p.grad.numpy().copy() for name, p in model.named_parameters() if p.grad is not None}
    optimizer.step()
    with model.no_sync():  # accumulated, not averaged
        optimizer.zero_grad()
        tinynn.nn.functional.cross_entropy(model(images[share]), labels[share]).backward()
    local = model.module[3].weight.grad.numpy().copy()
    for _ in range(3):
        optimizer.zero_grad()
        tinynn.nn.functional.cross_entropy(model(images[share]), labels[share]).backward()
        optimizer.step()
    return {"gradients": gradients, "local": local, "buffer": buffer_at_start,
            "state": {key: value.numpy().copy() for key, value in model.state_dict().items()}}


def test_ddp_averages_gradients_to_the_whole_batchs():
    outcome = run_job(_ddp_training)
    # one process on the whole batch, from rank 0's initial weights (seed 0), in training mode
    tinynn.manual_seed(0)
    model = _model()
    model[5].weight.requires_grad_(False)
    images, labels = _batch()
    tinynn.nn.functional.cross_entropy(model(images), labels).backward()
    for name, parameter in model.named_parameters():
        if not parameter.requires_grad:
            assert f"module.{name}" not in outcome[0]["gradients"]
            continue
        for rank in (0, 1):
            np.testing.assert_allclose(outcome[rank]["gradients"][f"module.{name}"], parameter.grad.numpy(),
                                       rtol=1e-4, atol=1e-6, err_msg=f"rank {rank}: {name}")
    assert not np.allclose(outcome[0]["local"], outcome[1]["local"])  # no_sync kept each rank's own
    for key, value in outcome[0]["state"].items():  # the ranks stayed equal through training
        assert key.startswith("module.")
        np.testing.assert_allclose(outcome[1]["state"][key], value, rtol=1e-6, atol=1e-7, err_msg=key)
    assert outcome[0]["buffer"] == outcome[1]["buffer"] == [5.0]  # rank 0's buffer everywhere


SENTENCES = np.array([[1, 2, 2], [3, 1, 0], [5, 5, 5], [2, 6, 1]])  # rank 0 never sees 5, rank 1 never sees 3


def _sparse_model():
    tinynn.manual_seed(0)
    return tinynn.nn.Sequential(tinynn.nn.EmbeddingBag(8, 4, mode="mean", sparse=True), tinynn.nn.Linear(4, 1))


def _ddp_sparse_training(rank, world_size):
    model = tinynn.nn.parallel.DistributedDataParallel(_sparse_model())
    table = model.module[0].weight
    sparse_optimizer = tinynn.optim.SparseAdam([table], lr=0.1)
    dense_optimizer = tinynn.optim.SGD(model.module[1].parameters(), lr=0.1)
    share = tinynn.tensor(SENTENCES[rank * 2:(rank + 1) * 2])
    model(share).pow(2).mean().backward()
    found = {"sparse": table.grad.is_sparse, "rows": table.grad.coalesce().indices().tolist(),
             "gradient": table.grad.to_dense().numpy().copy()}
    sparse_optimizer.step()
    dense_optimizer.step()
    found["table"] = table.detach().numpy().copy()
    return found


def test_ddp_averages_sparse_gradients_and_hands_them_back_sparse():
    outcome = run_job(_ddp_sparse_training)
    model = _sparse_model()
    model(tinynn.tensor(SENTENCES)).pow(2).mean().backward()  # the whole batch on one process
    for rank in (0, 1):
        assert outcome[rank]["sparse"] and outcome[rank]["rows"] == [[0, 1, 2, 3, 5, 6]]  # both ranks' rows
        np.testing.assert_allclose(outcome[rank]["gradient"], model[0].weight.grad.to_dense().numpy(), rtol=1e-5,
                                   atol=1e-7)
    np.testing.assert_array_equal(outcome[0]["table"], outcome[1]["table"])


def _complex_model():
    tinynn.manual_seed(0)
    return tinynn.nn.Linear(3, 2, dtype=tinynn.cfloat)


def _complex_inputs():
    rng = np.random.default_rng(4)
    return tinynn.tensor((rng.standard_normal((4, 3)) + 1j * rng.standard_normal((4, 3))).astype(np.complex64))


def _ddp_complex(rank, world_size):
    model = tinynn.nn.parallel.DistributedDataParallel(_complex_model())
    model(_complex_inputs()[rank * 2:(rank + 1) * 2]).abs().pow(2).mean().backward()
    return {name: p.grad.numpy().copy() for name, p in model.module.named_parameters()}


def test_ddp_averages_complex_gradients_whole():
    """A complex gradient crosses as its (Re, Im) pairs: the imaginary parts are averaged too."""
    outcome = run_job(_ddp_complex)
    model = _complex_model()
    model(_complex_inputs()).abs().pow(2).mean().backward()
    for name, parameter in model.named_parameters():
        assert np.abs(parameter.grad.numpy().imag).max() > 0.1
        for rank in (0, 1):
            np.testing.assert_allclose(outcome[rank][name], parameter.grad.numpy(), rtol=1e-5, atol=1e-6,
                                       err_msg=f"rank {rank}: {name}")


def test_the_sampler_asks_the_process_group():
    outcome = run_job(lambda rank, world_size: list(tinynn.data.DistributedSampler(range(10), shuffle=False)))
    assert outcome == {0: [0, 2, 4, 6, 8], 1: [1, 3, 5, 7, 9]}


def test_misuse_is_named(monkeypatch):
    with pytest.raises(RuntimeError, match="has not been initialised"):
        distributed.get_rank()
    with pytest.raises(RuntimeError, match="init_process_group"):
        tinynn.nn.parallel.DistributedDataParallel(tinynn.nn.Linear(2, 2))
    with pytest.raises(ValueError, match="'gloo' backend"):
        distributed.init_process_group("nccl", init_method="tcp://127.0.0.1:1", world_size=1, rank=0)
    for variable in ("MASTER_ADDR", "MASTER_PORT", "WORLD_SIZE", "RANK"):
        monkeypatch.delenv(variable, raising=False)
    with pytest.raises(ValueError, match="needs MASTER_ADDR"):
        distributed.init_process_group()
    with pytest.raises(ValueError, match="0 <= rank < world_size"):
        distributed.init_process_group(init_method="tcp://127.0.0.1:1", world_size=2, rank=2)
    with pytest.raises(RuntimeError, match="queue_callback: no backward pass is running"):
        tinynn.autograd.engine.queue_callback(lambda: None)


def test_a_job_of_one_and_the_environment_rendezvous(monkeypatch):
    monkeypatch.setenv("MASTER_ADDR", "127.0.0.1")
    monkeypatch.setenv("MASTER_PORT", str(transport.free_port()))
    monkeypatch.setenv("WORLD_SIZE", "1")
    monkeypatch.setenv("RANK", "0")
    distributed.init_process_group()
    try:
        x = tinynn.tensor([1.0, 2.0])
        distributed.all_reduce(x)
        assert x.tolist() == [1.0, 2.0] and distributed.get_world_size() == 1
        with pytest.raises(RuntimeError, match="already joined"):
            distributed.init_process_group()
    finally:
        distributed.destroy_process_group()
    assert not distributed.is_initialized()
    assert os.environ["RANK"] == "0"


def _normalised_model():
    return tinynn.nn.Sequential(tinynn.nn.Conv2d(1, 4, 3), tinynn.nn.BatchNorm2d(4), tinynn.nn.ReLU(),
                                tinynn.nn.Flatten(), tinynn.nn.Linear(4 * 6 * 6, 3), tinynn.nn.BatchNorm1d(3))


def _sync_batchnorm_training(rank, world_size):
    tinynn.manual_seed(0)
    model = tinynn.nn.parallel.DistributedDataParallel(
        tinynn.nn.SyncBatchNorm.convert_sync_batchnorm(_normalised_model()))
    images, labels = _batch()
    share = slice(rank * 8 // world_size, (rank + 1) * 8 // world_size)
    tinynn.nn.functional.cross_entropy(model(images[share]), labels[share]).backward()
    return {"gradients": {name: p.grad.numpy().copy() for name, p in model.named_parameters()},
            "state": {key: value.numpy().copy() for key, value in model.state_dict().items()}}


def test_sync_batchnorm_makes_the_ranks_one_batch():
    """With SyncBatchNorm the statistics are the whole batch's, so the averaged gradients and the
    running statistics equal those of BatchNorm on the whole batch in one process."""
    outcome = run_job(_sync_batchnorm_training)
    tinynn.manual_seed(0)
    model = _normalised_model()
    images, labels = _batch()
    tinynn.nn.functional.cross_entropy(model(images), labels).backward()
    for name, parameter in model.named_parameters():
        for rank in (0, 1):
            np.testing.assert_allclose(outcome[rank]["gradients"][f"module.{name}"], parameter.grad.numpy(),
                                       rtol=1e-4, atol=1e-6, err_msg=f"rank {rank}: {name}")
    for key, value in model.state_dict().items():
        for rank in (0, 1):
            np.testing.assert_allclose(outcome[rank]["state"][f"module.{key}"], value.numpy(), rtol=1e-5, atol=1e-6,
                                       err_msg=f"rank {rank}: {key}")


def test_the_launcher_starts_a_job(tmp_path):
    import subprocess

    script = tmp_path / "job.py"
    script.write_text(
        "import os, tinynn\n"
        "from tinynn import distributed\n"
        "distributed.init_process_group()\n"
        "x = tinynn.tensor([float(distributed.get_rank() + 1)])\n"
        "distributed.all_reduce(x)\n"
        "import sys\n"  # one write per line: the two processes share the pipe, and print writes the newline apart
        "sys.stdout.write(f\"rank {os.environ['RANK']} of {os.environ['WORLD_SIZE']} (local {os.environ['LOCAL_RANK']}): \""
        "                 f\"{x.item():g}\\n\")\n"
        "sys.stdout.flush()\n"
        "distributed.destroy_process_group()\n")
    done = subprocess.run([sys.executable, "-m", "tinynn.distributed.run", "--nproc-per-node", "2", str(script)],
                          capture_output=True, text=True, timeout=120,
                          env=dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path)))
    assert done.returncode == 0, done.stderr
    assert sorted(done.stdout.splitlines()) == ["rank 0 of 2 (local 0): 3", "rank 1 of 2 (local 1): 3"]
    failing = tmp_path / "fails.py"
    failing.write_text("import os, sys, time\nif os.environ['RANK'] == '1':\n    sys.exit(3)\ntime.sleep(60)\n")
    done = subprocess.run([sys.executable, "-m", "tinynn.distributed.run", "--nproc-per-node", "2", str(failing)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 3 and "the others were stopped" in done.stderr
