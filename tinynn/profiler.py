"""``tinynn.profiler`` (PyTorch's ``torch.profiler``): where the time of a forward and backward pass
goes, op by op.

    with tinynn.profiler.profile(record_shapes=True) as prof:
        with tinynn.profiler.record_function("model"):
            loss = F.cross_entropy(model(x), y)
        loss.backward()
    print(prof.key_averages().table(sort_by="cpu_time_total", row_limit=10))
    prof.export_chrome_trace("trace.json")     # chrome://tracing or ui.perfetto.dev

Every op's forward is an event named by its Function (``Conv2d``, ``MatMul``), its backward
``Conv2dBackward``; ``record_function`` adds your own ranges around them. An event's total time
holds the events inside it, its self time does not. On the GPU each op is waited for before its
event ends (``ProfilerActivity.CUDA``), so the times are the kernels', not their queueing; the run is
slower for it. ``schedule`` with ``prof.step()`` records only some steps of a training loop
(wait, warm up, record, repeat), calling ``on_trace_ready(prof)`` after each recorded cycle
(``tensorboard_trace_handler(dir)`` writes each cycle's trace where TensorBoard's profiler looks).

PyTorch's options, each recorded per event and summed by ``key_averages``:

- ``profile_memory``: the memory an op allocated for its results (not a view of an input), on the
  CPU and on the GPU, with what the events inside it allocated (a ``record_function`` range holds
  its ops'); its self memory leaves those out. (PyTorch also subtracts what an op frees; tinynn
  counts what it makes.)
- ``with_flops``: the floating-point operations of the products, counted as PyTorch counts them
  (2 per multiply-add: matmul, linear, convolution; 1 per element for Mul and Add); a backward
  event is estimated as the forward's product once per operand gradient it computes.
- ``with_stack``: the Python frames (outside tinynn) each op was called from, innermost first:
  ``key_averages(group_by_stack_n=N)`` tells apart the places in your code, and
  ``export_stacks(path)`` writes them for a flame graph.
- ``with_modules``, ``experimental_config``, ``execution_trace_observer``, ``acc_events``,
  ``custom_trace_id_callback``, ``post_processing_timeout_s`` are taken for PyTorch's signature:
  the first records TorchScript's module hierarchy there, and the others tune its Kineto tracer.
"""
import enum
import gzip
import json
import math
import os
import socket
import sys
import threading
import time
from collections import OrderedDict

from . import backend
from .autograd import in_place, profiling


class ProfilerActivity(enum.Enum):
    CPU = "cpu"
    CUDA = "cuda"


class ProfilerAction(enum.Enum):
    NONE = 0
    WARMUP = 1
    RECORD = 2
    RECORD_AND_SAVE = 3


def schedule(*, wait, warmup, active, repeat=0, skip_first=0, skip_first_wait=0):
    """step -> ProfilerAction: after ``skip_first`` steps, cycles of ``wait`` idle, ``warmup`` and
    ``active`` recorded steps (the last of which saves), ``repeat`` times (0: forever); with
    ``skip_first_wait``, the first cycle starts at its warm-up (as PyTorch's)."""
    cycle = wait + warmup + active
    if active < 1 or min(wait, warmup, repeat, skip_first) < 0:
        raise ValueError(f"schedule: expected active >= 1 and the others >= 0, got wait={wait}, warmup={warmup}, "
                         f"active={active}, repeat={repeat}, skip_first={skip_first}")

    def action(step):
        if step < skip_first:
            return ProfilerAction.NONE
        step -= skip_first
        if skip_first_wait:
            step += wait  # (as if the first wait had passed: the first cycle is shorter, and counts)
        if repeat and step >= cycle * repeat:
            return ProfilerAction.NONE
        place = step % cycle
        if place < wait:
            return ProfilerAction.NONE
        if place < wait + warmup:
            return ProfilerAction.WARMUP
        return ProfilerAction.RECORD_AND_SAVE if place == cycle - 1 else ProfilerAction.RECORD
    return action


class FunctionEvent:
    """One timed range: ``name``, start and end (ns), ``input_shapes``, and the events inside it; with
    the options that record them, the memory its results took (bytes), its ``flops`` and its ``stack``."""

    def __init__(self, name, start, input_shapes, parent, kind="op"):
        self.name, self.start, self.end, self.input_shapes = name, start, None, input_shapes
        self.parent, self.children, self.kind, self.thread = parent, [], kind, threading.get_ident()
        self.cpu_memory_usage = self.device_memory_usage = 0
        self.flops, self.stack = 0, []

    @property
    def self_cpu_memory_usage(self):
        """What it allocated itself: its memory less that of the events inside it."""
        return self.cpu_memory_usage - sum(child.cpu_memory_usage for child in self.children)

    @property
    def self_device_memory_usage(self):
        return self.device_memory_usage - sum(child.device_memory_usage for child in self.children)

    @property
    def cpu_time_total(self):
        """Microseconds, children included (PyTorch's unit)."""
        return (self.end - self.start) / 1000

    @property
    def self_cpu_time_total(self):
        return self.cpu_time_total - sum(child.cpu_time_total for child in self.children)


class FunctionEventAvg:
    """The events of one name (and input shapes, when grouped by them) summed."""

    SUMMED = ("cpu_time_total", "self_cpu_time_total", "cpu_memory_usage", "self_cpu_memory_usage",
              "device_memory_usage", "self_device_memory_usage", "flops")

    def __init__(self, key, input_shapes=None, stack=()):
        self.key, self.input_shapes, self.stack = key, input_shapes, list(stack)
        self.count, self.is_top_level = 0, True
        for name in self.SUMMED:
            setattr(self, name, 0)

    def add(self, event):
        self.count += 1
        self.is_top_level = self.is_top_level and event.parent is None
        for name in self.SUMMED:
            setattr(self, name, getattr(self, name) + getattr(event, name))

    @property
    def cpu_time(self):
        return self.cpu_time_total / self.count if self.count else 0.0


_TIME_UNITS = {"s": 1e6, "ms": 1e3, "us": 1.0}


def _format_us(value, unit=None):
    """Microseconds in ``unit`` ("s", "ms", "us"), or the largest that keeps the number at 1 or more."""
    unit = unit or next((name for name, size in _TIME_UNITS.items() if value >= size), "us")
    return f"{value / _TIME_UNITS[unit]:.3f}{unit}"


def _format_memory(nbytes):
    """Bytes as PyTorch's tables write them."""
    for unit, size in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if abs(nbytes) >= size:
            return f"{nbytes / size:.2f} {unit}"
    return f"{nbytes} B"


def _truncated(text, width):
    return text if width is None or len(text) <= width else text[:width - 3] + "..."


class EventList(list):
    """Averages per op, with PyTorch's ``table``."""

    SORT_KEYS = ("cpu_time_total", "self_cpu_time_total", "cpu_time", "count", "cpu_memory_usage",
                 "self_cpu_memory_usage", "device_memory_usage", "self_device_memory_usage", "flops")

    def table(self, sort_by=None, row_limit=100, max_src_column_width=75, max_name_column_width=55,
              max_shapes_column_width=80, header=None, top_level_events_only=False, time_unit=None):
        """PyTorch's table of the averages: times (in ``time_unit``, else each in the unit that suits it),
        and where recorded the memory, the FLOPs, the input shapes and the source location."""
        if sort_by is not None and sort_by not in self.SORT_KEYS:
            raise ValueError(f"table: sort_by must be one of {sorted(self.SORT_KEYS)}, got {sort_by!r}")
        if time_unit is not None and time_unit not in _TIME_UNITS:
            raise ValueError(f"table: time_unit must be one of {list(_TIME_UNITS)}, got {time_unit!r}")
        rows = [e for e in self if e.is_top_level] if top_level_events_only else list(self)
        rows = sorted(rows, key=lambda e: getattr(e, sort_by), reverse=True) if sort_by else rows
        if row_limit is not None and row_limit >= 0:
            rows = rows[:row_limit]
        self_total = sum(e.self_cpu_time_total for e in self) or 1.0
        memory = {name: any(getattr(e, name) for e in self) for name in ("cpu_memory_usage", "device_memory_usage")}
        most_flops = max((e.flops for e in self), default=0)
        flops_unit = next(((name, size) for name, size in (("GFLOPs", 1e9), ("MFLOPs", 1e6), ("KFLOPs", 1e3))
                           if most_flops >= size), ("FLOPs", 1.0))
        columns = [("Name", lambda e: _truncated(e.key, max_name_column_width)),
                   ("Self CPU %", lambda e: f"{100 * e.self_cpu_time_total / self_total:.2f}%"),
                   ("Self CPU", lambda e: _format_us(e.self_cpu_time_total, time_unit)),
                   ("CPU total %", lambda e: f"{100 * e.cpu_time_total / self_total:.2f}%"),
                   ("CPU total", lambda e: _format_us(e.cpu_time_total, time_unit)),
                   ("CPU time avg", lambda e: _format_us(e.cpu_time, time_unit))]
        if memory["cpu_memory_usage"]:
            columns += [("CPU Mem", lambda e: _format_memory(e.cpu_memory_usage)),
                        ("Self CPU Mem", lambda e: _format_memory(e.self_cpu_memory_usage))]
        if memory["device_memory_usage"]:
            columns += [("GPU Mem", lambda e: _format_memory(e.device_memory_usage)),
                        ("Self GPU Mem", lambda e: _format_memory(e.self_device_memory_usage))]
        columns += [("# of Calls", lambda e: str(e.count))]
        if any(e.input_shapes is not None for e in self):
            columns += [("Input Shapes", lambda e: _truncated(str(e.input_shapes), max_shapes_column_width))]
        if most_flops:
            columns += [(f"Total {flops_unit[0]}", lambda e: f"{e.flops / flops_unit[1]:.3f}" if e.flops else "--")]
        stacks = any(e.stack for e in self)
        if stacks:
            columns += [("Source Location", lambda e: _truncated(e.stack[0], max_src_column_width) if e.stack else "")]
        cells = [[cell(e) for _, cell in columns] for e in rows]
        widths = [max([len(title)] + [len(row[k]) for row in cells]) + 2 for k, (title, _) in enumerate(columns)]
        rule = "  ".join("-" * w for w in widths)
        lines = ([header] if header else []) + [rule, "  ".join(t.rjust(w) for (t, _), w in zip(columns, widths)), rule]
        for e, row in zip(rows, cells):
            lines.append("  ".join(c.rjust(w) for c, w in zip(row, widths)))
            for frame in e.stack[1:] if stacks else ():  # the rest of the grouped stack, a line each
                lines.append(" " * (sum(widths[:-1]) + 2 * (len(widths) - 1)) + "  "
                             + _truncated(frame, max_src_column_width).rjust(widths[-1]))
        lines += [rule, f"Self CPU time total: {_format_us(sum(e.self_cpu_time_total for e in self), time_unit)}"]
        return "\n".join(lines)


_PACKAGE = os.path.dirname(os.path.abspath(__file__)) + os.sep


def _product_flops(name, input_shapes, output_shape):
    """The floating-point operations of one forward op, counted as PyTorch counts them (2 per
    multiply-add of a product, 1 per element of Mul and Add); 0 for the ops it does not count."""
    outputs = math.prod(output_shape)
    if name == "MatMul" and input_shapes and input_shapes[0]:
        return 2 * outputs * input_shapes[0][-1]  # (..., M, K) @ (..., K, N)
    if name == "Linear" and len(input_shapes) > 1:
        return 2 * outputs * input_shapes[1][-1]  # x (..., in) by weight (out, in)
    if name in ("Conv1d", "Conv2d", "Conv3d") and len(input_shapes) > 1:
        return 2 * outputs * math.prod(input_shapes[1][1:])  # each output: in / groups * kernel multiply-adds
    if name.startswith("ConvTranspose") and len(input_shapes) > 1:
        return 2 * math.prod(input_shapes[0]) * math.prod(input_shapes[1][1:])  # each input: out / groups * kernel
    if name in ("Mul", "Add"):
        return outputs
    return 0


def _blocks(arrays):
    """{id: block} of the memory blocks ``arrays`` (arrays or Tensors, None skipped) lie in."""
    from .tensor import Tensor  # (this module loads with autograd, before Tensor)

    blocks = {}
    for array in arrays:
        array = array._array if isinstance(array, Tensor) else array  # (a CuPy array's .data is its pointer)
        if array is not None and hasattr(array, "nbytes"):
            block = in_place.memory_block(array)
            blocks[id(block)] = block
    return blocks


def _count_memory(event, outputs):
    """An event's memory: the blocks its results lie in that neither an input nor an event inside it
    (whose own it holds too) made: what the op allocated for them (a view of an input, as a reshape's,
    takes none). ``made_blocks`` says which, until the event around it has counted."""
    inner = set()
    for child in event.children:
        inner |= child.made_blocks
        del child.made_blocks
        event.cpu_memory_usage += child.cpu_memory_usage
        event.device_memory_usage += child.device_memory_usage
    event.made_blocks = inner
    results = () if outputs is None else outputs if isinstance(outputs, (tuple, list)) else (outputs,)
    for key, block in _blocks(results).items():
        if key not in event.input_blocks and key not in inner:
            event.made_blocks.add(key)
            if backend.is_gpu_array(block):
                event.device_memory_usage += block.nbytes
            else:
                event.cpu_memory_usage += block.nbytes
    del event.input_blocks


def _python_stack():
    """The frames that called into tinynn, innermost first, as PyTorch writes them: "file(line): function"."""
    frame, entries = sys._getframe(2), []
    while frame is not None:
        code = frame.f_code
        if not code.co_filename.startswith(_PACKAGE):
            entries.append(f"{code.co_filename}({frame.f_lineno}): {code.co_name}")
        frame = frame.f_back
    return entries


class _Recorder:
    """Collects events; ``begin``/``end`` around each op (and each record_function). ``op``: the
    Function, for an op's FLOPs (its forward's, or for its backward those of the products it redoes)."""

    def __init__(self, record_shapes, wait_for_gpu, profile_memory=False, with_flops=False, with_stack=False):
        self.record_shapes, self.wait_for_gpu = record_shapes, wait_for_gpu
        self.profile_memory, self.with_flops, self.with_stack = profile_memory, with_flops, with_stack
        self.events, self.stack = [], []

    def begin(self, name, arrays, kind="op", op=None):
        shapes = [list(a.shape) if a is not None and hasattr(a, "shape") else [] for a in arrays] \
            if self.record_shapes or self.with_flops else None
        event = FunctionEvent(name, 0, shapes if self.record_shapes else None, self.stack[-1] if self.stack else None,
                              kind)
        if self.with_flops and op is not None:
            event.op, event.operand_shapes = op, shapes
        if self.with_stack:
            event.stack = _python_stack()
        if self.profile_memory:
            event.input_blocks = _blocks(arrays)
        if event.parent is not None:
            event.parent.children.append(event)
        self.stack.append(event)
        self.events.append(event)
        event.start = time.perf_counter_ns()
        return event

    def end(self, event, outputs=None):
        if self.wait_for_gpu and backend._cupy_module is not None:
            backend.synchronize(backend.GPU)
        finished = time.perf_counter_ns()
        while self.stack and self.stack[-1] is not event:  # a range left open inside (an exception): ends here
            self._finish(self.stack.pop(), finished, None)
        if self.stack:
            self.stack.pop()
        self._finish(event, finished, outputs)

    def _finish(self, event, finished, outputs):
        """The event's end, and what its results took (with ``outputs``: none for a range left open)."""
        event.end = finished
        if self.profile_memory:
            _count_memory(event, outputs)
        op, shapes = event.__dict__.pop("op", None), event.__dict__.pop("operand_shapes", None)
        if op is not None and outputs is not None:
            event.flops = self._flops(op, event.name, shapes, outputs)

    @staticmethod
    def _flops(op, name, shapes, outputs):
        if not name.endswith("Backward"):
            return _product_flops(op.name, shapes, getattr(outputs, "shape", ()))
        inputs = [list(t.shape) if t is not None else [] for t in op.inputs]
        forward = _product_flops(op.name, inputs, shapes[0])
        grads = outputs if isinstance(outputs, (tuple, list)) else (outputs,)
        return forward * sum(grad is not None for grad in grads[:2])  # (a bias's gradient is a sum, not counted)


def supported_activities():
    """The activities this machine can profile: the CPU, and the GPU where there is one."""
    return {ProfilerActivity.CPU} | ({ProfilerActivity.CUDA} if backend.gpu_available() else set())


def kineto_available():
    """PyTorch's question of whether its Kineto tracer is built in; tinynn times ops itself, without it."""
    return False


def tensorboard_trace_handler(dir_name, worker_name=None, use_gzip=False, use_python_export=False):
    """An ``on_trace_ready`` that writes each recorded cycle's trace into ``dir_name`` as
    ``<worker>.<time in ns>.pt.trace.json[.gz]``, the files TensorBoard's profiler plugin reads
    (``worker_name``: default the host's name and the process id)."""
    def handler(prof):
        os.makedirs(dir_name, exist_ok=True)
        worker = worker_name or f"{socket.gethostname()}_{os.getpid()}"
        prof.export_chrome_trace(os.path.join(dir_name, f"{worker}.{time.time_ns()}.pt.trace.json"
                                              + (".gz" if use_gzip else "")))
    return handler


class profile:
    """Records the ops run inside it (see the module). ``activities``: ProfilerActivity.CPU (always
    timed) and CUDA (wait for each GPU op; also ``use_cuda``); ``record_shapes``: keep each op's input
    shapes; ``profile_memory``, ``with_flops``, ``with_stack``: see the module."""

    def __init__(self, *, activities=None, schedule=None, on_trace_ready=None, record_shapes=False,
                 profile_memory=False, with_stack=False, with_flops=False, with_modules=False, experimental_config=None,
                 execution_trace_observer=None, acc_events=False, use_cuda=None, custom_trace_id_callback=None,
                 post_processing_timeout_s=None):
        self.activities = set(activities) if activities is not None else {ProfilerActivity.CPU}
        if use_cuda:
            self.activities.add(ProfilerActivity.CUDA)
        self.schedule, self.on_trace_ready, self.record_shapes = schedule, on_trace_ready, record_shapes
        self.profile_memory, self.with_stack, self.with_flops = profile_memory, with_stack, with_flops
        self.with_modules = with_modules
        self.step_num = 0
        self._recorder = None
        self._finished = []

    def _action(self):
        return self.schedule(self.step_num) if self.schedule is not None else ProfilerAction.RECORD

    def _start_recording(self):
        if profiling.recorder is not None and profiling.recorder is not self._recorder:
            raise RuntimeError("profile: another profiler is already running")
        self._recorder = _Recorder(self.record_shapes, ProfilerActivity.CUDA in self.activities, self.profile_memory,
                                   self.with_flops, self.with_stack)
        profiling.recorder = self._recorder

    def _stop_recording(self):
        if self._recorder is not None:
            profiling.recorder = None
            self._finished = self._recorder.events
            self._recorder = None

    def start(self):
        if self._action() in (ProfilerAction.RECORD, ProfilerAction.RECORD_AND_SAVE, ProfilerAction.WARMUP):
            self._start_recording()
        return self

    def stop(self):
        saving = self._recorder is not None and self._action() != ProfilerAction.WARMUP
        self._stop_recording()
        if saving and self.on_trace_ready is not None and self.schedule is not None:
            self.on_trace_ready(self)

    def step(self):
        """The end of one step of a scheduled run: start, keep or stop recording for the next."""
        before = self._action()
        self.step_num += 1
        after = self._action()
        if before == ProfilerAction.RECORD_AND_SAVE:
            self._stop_recording()
            if self.on_trace_ready is not None:
                self.on_trace_ready(self)
        elif before == ProfilerAction.WARMUP and after in (ProfilerAction.RECORD, ProfilerAction.RECORD_AND_SAVE):
            self._stop_recording()  # the warm-up's events are dropped
        if after != ProfilerAction.NONE and self._recorder is None:
            self._start_recording()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exception):
        self.stop()

    def events(self):
        """Every recorded event, in the order they began."""
        return list(self._recorder.events if self._recorder is not None else self._finished)

    def key_averages(self, group_by_input_shape=False, group_by_stack_n=0, group_by_overload_name=False):
        """Events of one name (and input shapes, and the innermost ``group_by_stack_n`` frames of their
        stacks) summed, in order of first appearance (tinynn's ops have no overloads to group by)."""
        if group_by_stack_n and not self.with_stack:
            raise ValueError("key_averages: group_by_stack_n needs the stacks, recorded by profile(with_stack=True)")
        groups = OrderedDict()
        for event in self.events():
            shapes = event.input_shapes if group_by_input_shape else None
            stack = tuple(event.stack[:group_by_stack_n]) if group_by_stack_n else ()
            key = (event.name, str(shapes) if group_by_input_shape else None, stack)
            groups.setdefault(key, FunctionEventAvg(event.name, shapes, stack)).add(event)
        return EventList(groups.values())

    def export_stacks(self, path, metric="self_cpu_time_total"):
        """Each event's stack with its ``metric`` (microseconds), a line each ("outer;...;inner value"),
        the input of flamegraph.pl and speedscope."""
        if not self.with_stack:
            raise ValueError("export_stacks: the stacks are recorded by profile(with_stack=True)")
        if metric != "self_cpu_time_total":
            raise ValueError(f"export_stacks: tinynn times every op on the CPU (waiting for the GPU with "
                             f"ProfilerActivity.CUDA), so the metric is 'self_cpu_time_total', got {metric!r}")
        with open(path, "w") as file:
            for event in self.events():
                value = int(event.self_cpu_time_total)
                if event.stack and value > 0:
                    frames = (frame.replace(";", "|").replace(" ", "_").replace("\t", "_")
                              for frame in reversed(event.stack))
                    file.write(";".join(frames) + f" {value}\n")

    def export_chrome_trace(self, path, use_python_export=False):
        """The events as Chrome's trace format (a JSON list of complete events, microseconds); gzipped
        where ``path`` ends in ".gz"."""
        origin = min((e.start for e in self.events()), default=0)
        trace = []
        for e in self.events():
            if e.end is None:
                continue
            args = {"Input Dims": e.input_shapes} if e.input_shapes is not None else {}
            if e.flops:
                args["flops"] = e.flops
            trace.append({"name": e.name, "ph": "X", "cat": e.kind, "ts": (e.start - origin) / 1000,
                          "dur": (e.end - e.start) / 1000, "pid": os.getpid(), "tid": e.thread, "args": args})
        with (gzip.open(path, "wt") if str(path).endswith(".gz") else open(path, "w")) as file:
            json.dump({"traceEvents": trace}, file)


class record_function:
    """A named range in the profile (a context manager, or a decorator); nothing when no profiler runs."""

    def __init__(self, name):
        self.name, self._event = name, None

    def __enter__(self):
        if profiling.recorder is not None:
            self._event = profiling.recorder.begin(self.name, (), kind="user")
        return self

    def __exit__(self, *exception):
        if self._event is not None and profiling.recorder is not None:
            profiling.recorder.end(self._event)
        self._event = None

    def __call__(self, function):
        import functools

        @functools.wraps(function)
        def recorded(*args, **kwargs):
            with record_function(self.name):
                return function(*args, **kwargs)
        return recorded


__all__ = ["profile", "record_function", "ProfilerActivity", "ProfilerAction", "schedule", "EventList",
           "FunctionEvent", "FunctionEventAvg", "tensorboard_trace_handler", "supported_activities", "kineto_available"]
