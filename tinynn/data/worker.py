"""Worker processes for the ``DataLoader`` (``num_workers > 0``): batches are made in other
processes while the main one trains, and handed back in the order one process would make them.

The main process keeps up to ``prefetch_factor`` tasks per worker outstanding, handing them out
round-robin. Each worker reads tasks from a queue of its own and puts what it made on one shared
result queue; the main process puts results back in task order. A task is one batch: its indices,
for an indexable dataset, or "the next batch of your stream", for an ``IterableDataset``, which
every worker iterates in full unless it splits the work itself by ``get_worker_info()`` (as in
PyTorch). A worker that raises hands its exception and traceback to the main process, which raises
it there; a worker that dies is noticed while the main process waits, and named.

Random draws: before each batch of an indexable dataset, a worker seeds tinynn's generators,
NumPy's global one and Python's ``random`` from the epoch's seed and the batch's number, so a
batch's random augmentation is the same for any number of workers, and a resumed epoch
(``DataLoader.state_dict``) continues with the batches it would have had. A stream is seeded once
per epoch per worker.
"""
import collections
import multiprocessing
import pickle
import queue
import random as python_random
import time
import traceback

import numpy as np

from .. import random
from .collate import default_collate
from .dataset import batch_of, samples_of

_POLL_SECONDS = 0.1  # how often a waiting main process looks whether its workers are alive
_JOIN_SECONDS = 5.0


class WorkerInfo:
    """What ``get_worker_info()`` returns in a worker: ``id`` (0 to num_workers - 1),
    ``num_workers``, ``seed`` (this worker's seed when it started) and ``dataset`` (its copy)."""

    def __init__(self, id, num_workers, seed, dataset):
        self.id, self.num_workers, self.seed, self.dataset = id, num_workers, seed, dataset

    def __repr__(self):
        return f"WorkerInfo(id={self.id}, num_workers={self.num_workers}, seed={self.seed})"


_worker_info = None


def get_worker_info():
    """Inside a DataLoader worker, its ``WorkerInfo``; in the main process, None.

    An ``IterableDataset`` uses it to give each worker a different part of the stream, for example
    ``itertools.islice(samples, info.id, None, info.num_workers)``.
    """
    return _worker_info


def seed_everything(seed):
    """Seed tinynn's generators, NumPy's global generator and Python's ``random`` from ``seed``."""
    random.manual_seed(seed)
    np.random.seed(seed % 2 ** 32)
    python_random.seed(seed)


class Exhausted:
    """A stream worker's answer once its stream has ended this epoch."""


class _Failure:
    """An exception raised in a worker, carried to the main process (exception types pickle by
    name; the exception itself might not pickle)."""

    def __init__(self, worker_id, where, error):
        self.worker_id, self.where = worker_id, where
        self.trace = traceback.format_exc()
        try:
            self.error_type = pickle.loads(pickle.dumps(type(error)))
        except Exception:
            self.error_type = RuntimeError

    def reraise(self):
        message = f"Caught {self.error_type.__name__} in DataLoader worker {self.worker_id} ({self.where}).\n" \
                  f"Original traceback:\n{self.trace}"
        try:
            error = self.error_type(message)
        except Exception:
            error = RuntimeError(message)
        raise error


def next_stream_batch(stream, batch_size, drop_last, collate_fn):
    """The next ``batch_size`` samples of the iterator ``stream``, collated (fewer at its end unless
    ``drop_last``), or ``Exhausted()``."""
    samples = []
    for sample in stream:
        samples.append(sample)
        if len(samples) == batch_size:
            break
    if not samples or (drop_last and len(samples) < batch_size):
        return Exhausted()
    return (collate_fn or default_collate)(samples)


def fetch_batch(dataset, indices, collate_fn):
    """The batch of the samples at ``indices`` (a NumPy array): by ``collate_fn`` over the samples
    (``samples_of``) where one is given, else ``batch_of`` (``get_batch`` or ``default_collate``)."""
    if collate_fn is not None:
        return collate_fn(samples_of(dataset, indices))
    return batch_of(dataset, indices)


def _worker_loop(worker_id, num_workers, seed, dataset, collate_fn, batch_size, drop_last, init_fn, tasks, results,
                 done):
    """A worker's life: seed, run ``init_fn``, then answer tasks ``(epoch, number, indices, seed)``
    with ``(epoch, number, batch)`` until it gets None or the ``done`` event is set (then the
    tasks still queued are left undone)."""
    global _worker_info
    _worker_info = WorkerInfo(worker_id, num_workers, seed, dataset)
    seed_everything(seed)
    if init_fn is not None:
        try:
            init_fn(worker_id)
        except Exception as error:
            results.put((None, None, _Failure(worker_id, "worker_init_fn", error)))
            return
    stream, stream_epoch = None, None
    while True:
        task = tasks.get()
        if task is None or done.is_set():
            return
        epoch, number, indices, task_seed = task
        try:
            if indices is None:
                if stream_epoch != epoch:
                    seed_everything(task_seed + worker_id)
                    stream, stream_epoch = iter(dataset), epoch
                batch = next_stream_batch(stream, batch_size, drop_last, collate_fn)
            else:
                seed_everything(task_seed + number)
                batch = fetch_batch(dataset, indices, collate_fn)
        except Exception as error:
            batch = _Failure(worker_id, f"batch {number}", error)
        results.put((epoch, number, batch))


class WorkerPool:
    """``num_workers`` processes making batches of ``dataset``; ``batches`` runs one epoch."""

    def __init__(self, dataset, num_workers, collate_fn=None, batch_size=1, drop_last=False, init_fn=None,
                 context=None, seed=0):
        context = multiprocessing.get_context(context) if context is None or isinstance(context, str) else context
        self.num_workers, self._epoch = num_workers, 0
        self._results, self._done = context.Queue(), context.Event()
        self._tasks = [context.Queue() for _ in range(num_workers)]
        self._processes = []
        try:
            for worker_id in range(num_workers):
                process = context.Process(
                    target=_worker_loop, daemon=True,
                    args=(worker_id, num_workers, seed + worker_id, dataset, collate_fn, batch_size, drop_last,
                          init_fn, self._tasks[worker_id], self._results, self._done))
                process.start()
                self._processes.append(process)
        except (pickle.PicklingError, AttributeError, TypeError) as error:
            self.shutdown()
            raise TypeError(f"DataLoader: the {context.get_start_method()!r} start method sends the dataset, "
                            f"collate_fn and worker_init_fn to the workers by pickle, and one of them does not "
                            f"pickle ({error}); define them at module level, or use the 'fork' start method") \
                from error

    def batches(self, tasks, seed, prefetch, timeout):
        """The results of ``tasks`` in order: an iterable of ``(number, indices)`` (an indexable
        dataset) or None (a stream: "next batch" until every worker's stream has ended)."""
        self._epoch += 1
        epoch, active = self._epoch, list(range(self.num_workers))
        pending = iter(tasks) if tasks is not None else None
        owners, ready, order = {}, {}, collections.deque()  # task -> worker; results waiting; tasks sent, in order
        turn, sent = 0, 0
        while True:
            while active and len(order) < prefetch * self.num_workers:
                if pending is None:
                    number, indices = sent, None
                else:
                    task = next(pending, None)
                    if task is None:
                        break
                    number, indices = task
                worker = active[turn % len(active)]
                turn, sent = turn + 1, sent + 1
                self._tasks[worker].put((epoch, number, indices, seed))
                owners[number] = worker
                order.append(number)
            if not order:
                return
            number = order.popleft()
            while number not in ready:
                ready.update(self._receive(epoch, timeout, number))
            batch = ready.pop(number)
            if isinstance(batch, _Failure):
                batch.reraise()
            if isinstance(batch, Exhausted):
                if owners[number] in active:
                    active.remove(owners[number])
                continue
            yield batch

    def _receive(self, epoch, timeout, number):
        """{number: batch} for the next result of this epoch (older epochs' results, from an epoch
        left early, are dropped)."""
        started = time.monotonic()
        while True:
            try:
                result_epoch, result_number, batch = self._results.get(timeout=_POLL_SECONDS)
            except queue.Empty:
                for worker_id, process in enumerate(self._processes):
                    if not process.is_alive():
                        raise RuntimeError(f"DataLoader worker {worker_id} (pid {process.pid}) exited unexpectedly "
                                           f"with exit code {process.exitcode}") from None
                if timeout and time.monotonic() - started > timeout:
                    raise RuntimeError(f"DataLoader timed out after {timeout} s waiting for batch {number} from "
                                       f"its workers") from None
                continue
            if result_epoch is None and isinstance(batch, _Failure):
                batch.reraise()
            if result_epoch == epoch:
                return {result_number: batch}

    def shutdown(self):
        """Ask the workers to finish, and end those that do not. Results nobody will read are
        drained meanwhile: a worker cannot exit while its last results are stuck in the pipe."""
        self._done.set()
        for tasks, process in zip(self._tasks, self._processes):
            if process.is_alive():
                tasks.put(None)
        deadline = time.monotonic() + _JOIN_SECONDS
        while any(process.is_alive() for process in self._processes) and time.monotonic() < deadline:
            try:
                self._results.get(timeout=_POLL_SECONDS)
            except (queue.Empty, OSError, EOFError):
                pass
        for process in self._processes:
            if process.is_alive():
                process.terminate()
            process.join()
        for channel in self._tasks + [self._results]:
            channel.cancel_join_thread()
            channel.close()
        self._processes = []
