"""``torch.multiprocessing``: Python's ``multiprocessing`` (everything it has, under the same names)
and ``spawn``, which PyTorch's distributed-training scripts start their processes with:

    def train(rank, world_size):
        tinynn.distributed.init_process_group("gloo", rank=rank, world_size=world_size)
        ...
    tinynn.multiprocessing.spawn(train, args=(world_size,), nprocs=world_size)

``spawn`` runs ``fn(i, *args)`` in ``nprocs`` new processes and waits for them. When one fails,
the others are ended and its error is raised here, its traceback in the message
(``ProcessRaisedException``), or how it died (``ProcessExitedException``: an exit code or a signal).
Tensors passed in ``args`` or through queues arrive as copies, except those in shared memory
(``share_memory_``, ``Module.share_memory``), which every process then reads and writes together
(tinynn/shared_memory.py). GPU tensors arrive as copies too (PyTorch shares them through CUDA's
interprocess handles; tinynn does not).
"""
import multiprocessing
import multiprocessing.connection
import signal
import sys
import traceback
from multiprocessing import *  # noqa: F401,F403  (torch.multiprocessing is multiprocessing, extended)

__all__ = list(multiprocessing.__all__) + ["spawn", "start_processes", "ProcessContext", "ProcessException",
                                           "ProcessRaisedException", "ProcessExitedException", "get_sharing_strategy",
                                           "set_sharing_strategy", "get_all_sharing_strategies"]

# PyTorch's two ways of handing shared tensors to other processes. tinynn always hands over a file
# descriptor, one per shared block (a whole model's), so the descriptor limits that make PyTorch users
# switch to "file_system" are not met; the choice is recorded for scripts that make it.
_SHARING_STRATEGIES = ("file_descriptor", "file_system")
_sharing_strategy = ["file_descriptor"]


def get_all_sharing_strategies():
    return set(_SHARING_STRATEGIES)


def get_sharing_strategy():
    return _sharing_strategy[0]


def set_sharing_strategy(new_strategy):
    if new_strategy not in _SHARING_STRATEGIES:
        raise ValueError(f"set_sharing_strategy: expected one of {_SHARING_STRATEGIES}, got {new_strategy!r}")
    _sharing_strategy[0] = new_strategy


class ProcessException(Exception):
    def __init__(self, msg, error_index, pid):
        super().__init__(msg)
        self.msg, self.error_index, self.pid = msg, error_index, pid

    def __reduce__(self):
        return type(self), (self.msg, self.error_index, self.pid)


class ProcessRaisedException(ProcessException):
    """A spawned process raised an exception; the message holds its traceback."""


class ProcessExitedException(ProcessException):
    """A spawned process ended with a nonzero exit code or by a signal without raising."""

    def __init__(self, msg, error_index, error_pid, exit_code, signal_name=None):
        super().__init__(msg, error_index, error_pid)
        self.exit_code, self.signal_name = exit_code, signal_name

    def __reduce__(self):
        return type(self), (self.msg, self.error_index, self.pid, self.exit_code, self.signal_name)


def _run(fn, index, args, error_queue):
    """The body of process ``index``: fn(index, *args); an exception's traceback goes to the parent."""
    try:
        fn(index, *args)
    except KeyboardInterrupt:
        pass  # the parent was interrupted too and ends the others
    except Exception:
        error_queue.put(traceback.format_exc())
        sys.exit(1)


class ProcessContext:
    """The processes ``start_processes`` started; ``join`` waits for them and raises the first failure."""

    def __init__(self, processes, error_queues):
        self.processes, self.error_queues = processes, error_queues
        self.sentinels = {process.sentinel: index for index, process in enumerate(processes)}

    def pids(self):
        return [process.pid for process in self.processes]

    def join(self, timeout=None):
        """True once every process has ended well; False if ``timeout`` seconds pass first. The first
        process to fail ends the others and its error is raised (see the module)."""
        if not self.sentinels:
            return True
        ready = multiprocessing.connection.wait(list(self.sentinels), timeout=timeout)
        failed = None
        for sentinel in ready:
            index = self.sentinels.pop(sentinel)
            process = self.processes[index]
            process.join()
            if process.exitcode != 0 and failed is None:
                failed = index
        if failed is None:
            return not self.sentinels
        for process in self.processes:
            if process.is_alive():
                process.terminate()
            process.join()
        process = self.processes[failed]
        if not self.error_queues[failed].empty():
            trace = self.error_queues[failed].get()
            raise ProcessRaisedException(f"\n\n-- Process {failed} terminated with the following error:\n{trace}", failed,
                                         process.pid)
        if process.exitcode < 0:
            name = signal.Signals(-process.exitcode).name
            raise ProcessExitedException(f"process {failed} terminated with signal {name}", failed, process.pid,
                                         process.exitcode, name)
        raise ProcessExitedException(f"process {failed} terminated with exit code {process.exitcode}", failed,
                                     process.pid, process.exitcode)


def start_processes(fn, args=(), nprocs=1, join=True, daemon=False, start_method="spawn"):
    """``fn(i, *args)`` in ``nprocs`` processes started by ``start_method``; with ``join``, waits for
    them all (raising the first failure), else returns their ProcessContext."""
    if not isinstance(nprocs, int) or isinstance(nprocs, bool) or nprocs < 1:
        raise ValueError(f"start_processes: nprocs must be a positive int, got {nprocs!r}")
    if not isinstance(args, tuple):
        raise TypeError(f"start_processes: args must be a tuple (of the arguments after the process index), got "
                        f"{type(args).__name__}")
    context = multiprocessing.get_context(start_method)
    processes, error_queues = [], []
    for index in range(nprocs):
        error_queue = context.SimpleQueue()
        process = context.Process(target=_run, args=(fn, index, args, error_queue), daemon=daemon)
        process.start()
        processes.append(process)
        error_queues.append(error_queue)
    processes_context = ProcessContext(processes, error_queues)
    if not join:
        return processes_context
    while not processes_context.join():
        pass
    return None


def spawn(fn, args=(), nprocs=1, join=True, daemon=False, start_method="spawn"):
    """``start_processes`` with the ``spawn`` start method by default: fresh interpreters, so ``fn``
    must be importable (defined at a module's top level, the script guarded by
    ``if __name__ == "__main__":``), as with PyTorch's."""
    return start_processes(fn, args, nprocs, join, daemon, start_method)
