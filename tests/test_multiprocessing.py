"""tinynn.multiprocessing: spawn runs fn(rank, *args) in fresh processes and raises the first
failure here (its traceback, or the signal or exit code it died of); shared tensors reach spawned
processes and travel through queues as the same memory (writes seen on both sides), plain tensors as
copies; without memfd_create, sending a shared tensor is a clear error, not a silent copy."""
import os
import signal
import sys
from multiprocessing import reduction

import numpy as np
import pytest

import tinynn
import tinynn.multiprocessing as mp
from tinynn import shared_memory

pytestmark = pytest.mark.skipif(not hasattr(os, "memfd_create"), reason="shared memory files need Linux's memfd_create")


def _fill_row(rank, model, counts):
    with tinynn.no_grad():
        model.weight[rank] -= 1.0  # Hogwild: each process steps its own row of the one shared model
    counts._array[rank] += rank + 1


def test_spawned_processes_train_one_shared_model():
    model = tinynn.nn.Linear(2, 3).share_memory()
    counts = tinynn.zeros(3, dtype=tinynn.int64).share_memory_()
    before = model.weight.detach().numpy().copy()
    assert mp.spawn(_fill_row, args=(model, counts), nprocs=3) is None
    np.testing.assert_array_equal(model.weight.detach().numpy(), before - 1.0)
    assert counts.tolist() == [1, 2, 3]
    assert shared_memory.block_of(model.weight._array) is shared_memory.block_of(model.bias._array)  # one block


def _fail(rank, how):
    if rank != 1:
        return
    if how == "raise":
        raise ValueError("rank 1 cannot go on")
    if how == "exit":
        sys.exit(3)
    os.kill(os.getpid(), signal.SIGKILL)


@pytest.mark.parametrize("how, error, message", [
    ("raise", mp.ProcessRaisedException, r"-- Process 1 terminated with the following error:\n(.|\n)*ValueError: rank 1 cannot go on"),
    ("exit", mp.ProcessExitedException, "process 1 terminated with exit code 3"),
    ("kill", mp.ProcessExitedException, "process 1 terminated with signal SIGKILL"),
])
def test_a_failing_process_is_raised_here_with_its_cause(how, error, message):
    with pytest.raises(error, match=message) as raised:
        mp.spawn(_fail, args=(how,), nprocs=2)
    assert raised.value.error_index == 1
    if how != "raise":
        assert raised.value.exit_code == (3 if how == "exit" else -signal.SIGKILL)


def _echo(rank, inbox, outbox):
    shared, plain = inbox.get(), inbox.get()
    shared._array[:] = 5.0
    plain._array[:] = 5.0
    made = tinynn.full((2,), 9.0).share_memory_()
    outbox.put((shared.is_shared(), plain.is_shared(), made))
    inbox.get()  # keeps ``made``'s process alive until the parent has mapped it


def test_shared_tensors_cross_queues_as_the_same_memory_and_plain_ones_as_copies():
    context = mp.get_context("spawn")
    inbox, outbox = context.Queue(), context.Queue()
    processes = mp.start_processes(_echo, args=(inbox, outbox), nprocs=1, join=False)
    shared, plain = tinynn.zeros(3).share_memory_(), tinynn.zeros(3)
    inbox.put(shared)
    inbox.put(plain)
    shared_there, plain_there, made = outbox.get(timeout=60)
    inbox.put("done")
    assert processes.join(timeout=60)
    assert shared_there and not plain_there
    assert shared.tolist() == [5.0] * 3 and plain.tolist() == [0.0] * 3
    assert made.is_shared() and made.tolist() == [9.0, 9.0]
    assert len(processes.pids()) == 1


def test_a_tensor_sent_back_maps_the_block_this_process_has():
    tensor = tinynn.arange(6.0).share_memory_()
    view = tensor[2:5]
    again = reduction.ForkingPickler.loads(reduction.ForkingPickler.dumps(view))
    assert again.tolist() == [2.0, 3.0, 4.0] and np.shares_memory(again._array, tensor._array)
    assert reduction.ForkingPickler.loads(reduction.ForkingPickler.dumps(tinynn.ones(2))).tolist() == [1.0, 1.0]


def test_without_memfd_a_shared_tensor_reaches_forked_processes_only(monkeypatch):
    monkeypatch.delattr(os, "memfd_create")
    tensor = tinynn.zeros(2).share_memory_()
    assert tensor.is_shared() and shared_memory.block_of(tensor._array).fd is None
    with pytest.raises(RuntimeError, match="can only reach processes forked after share_memory_"):
        reduction.ForkingPickler.dumps(tensor)


def test_multiprocessing_is_pythons_with_pytorchs_additions():
    assert mp.Process is __import__("multiprocessing").Process and mp.get_context("spawn").Queue
    assert mp.get_sharing_strategy() == "file_descriptor"
    assert mp.get_all_sharing_strategies() == {"file_descriptor", "file_system"}
    try:
        mp.set_sharing_strategy("file_system")
        assert mp.get_sharing_strategy() == "file_system"
    finally:
        mp.set_sharing_strategy("file_descriptor")
    with pytest.raises(ValueError, match="expected one of .* got 'shm'"):
        mp.set_sharing_strategy("shm")
    with pytest.raises(ValueError, match="nprocs must be a positive int, got 0"):
        mp.spawn(_fail, nprocs=0)
    with pytest.raises(TypeError, match="args must be a tuple"):
        mp.spawn(_fail, args=["raise"])
