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
(wait, warm up, record, repeat), calling ``on_trace_ready(prof)`` after each recorded cycle.
"""
import enum
import json
import os
import threading
import time
from collections import OrderedDict

from . import backend
from .autograd import profiling


class ProfilerActivity(enum.Enum):
    CPU = "cpu"
    CUDA = "cuda"


class ProfilerAction(enum.Enum):
    NONE = 0
    WARMUP = 1
    RECORD = 2
    RECORD_AND_SAVE = 3


def schedule(*, wait, warmup, active, repeat=0, skip_first=0):
    """step -> ProfilerAction: after ``skip_first`` steps, cycles of ``wait`` idle, ``warmup`` and
    ``active`` recorded steps (the last of which saves), ``repeat`` times (0: forever)."""
    cycle = wait + warmup + active
    if active < 1 or min(wait, warmup, repeat, skip_first) < 0:
        raise ValueError(f"schedule: expected active >= 1 and the others >= 0, got wait={wait}, warmup={warmup}, "
                         f"active={active}, repeat={repeat}, skip_first={skip_first}")

    def action(step):
        if step < skip_first:
            return ProfilerAction.NONE
        step -= skip_first
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
    """One timed range: ``name``, start and end (ns), ``input_shapes``, and the events inside it."""

    def __init__(self, name, start, input_shapes, parent, kind="op"):
        self.name, self.start, self.end, self.input_shapes = name, start, None, input_shapes
        self.parent, self.children, self.kind, self.thread = parent, [], kind, threading.get_ident()

    @property
    def cpu_time_total(self):
        """Microseconds, children included (PyTorch's unit)."""
        return (self.end - self.start) / 1000

    @property
    def self_cpu_time_total(self):
        return self.cpu_time_total - sum(child.cpu_time_total for child in self.children)


class FunctionEventAvg:
    """The events of one name (and input shapes, when grouped by them) summed."""

    def __init__(self, key, input_shapes=None):
        self.key, self.input_shapes = key, input_shapes
        self.count = 0
        self.cpu_time_total = self.self_cpu_time_total = 0.0

    def add(self, event):
        self.count += 1
        self.cpu_time_total += event.cpu_time_total
        self.self_cpu_time_total += event.self_cpu_time_total

    @property
    def cpu_time(self):
        return self.cpu_time_total / self.count if self.count else 0.0


def _format_us(value):
    if value >= 1e6:
        return f"{value / 1e6:.3f}s"
    if value >= 1e3:
        return f"{value / 1e3:.3f}ms"
    return f"{value:.3f}us"


class EventList(list):
    """Averages per op, with PyTorch's ``table``."""

    def table(self, sort_by=None, row_limit=100, header=None):
        keys = {"cpu_time_total": "cpu_time_total", "self_cpu_time_total": "self_cpu_time_total",
                "cpu_time": "cpu_time", "count": "count", None: None}
        if sort_by not in keys:
            raise ValueError(f"table: sort_by must be one of {sorted(k for k in keys if k)}, got {sort_by!r}")
        rows = sorted(self, key=lambda e: getattr(e, sort_by), reverse=True) if sort_by else list(self)
        if row_limit is not None and row_limit >= 0:
            rows = rows[:row_limit]
        self_total = sum(e.self_cpu_time_total for e in self) or 1.0
        shapes = any(e.input_shapes is not None for e in self)
        columns = ["Name", "Self CPU %", "Self CPU", "CPU total %", "CPU total", "CPU time avg", "# of Calls"]
        columns += ["Input Shapes"] if shapes else []
        width = max([len(columns[0])] + [len(e.key) for e in rows]) + 2
        widths = [width] + [14] * 6 + ([max([12] + [len(str(e.input_shapes)) for e in rows]) + 2] if shapes else [])
        rule = "  ".join("-" * w for w in widths)
        lines = ([header] if header else []) + [rule, "  ".join(c.rjust(w) for c, w in zip(columns, widths)), rule]
        for e in rows:
            cells = [e.key, f"{100 * e.self_cpu_time_total / self_total:.2f}%", _format_us(e.self_cpu_time_total),
                     f"{100 * e.cpu_time_total / self_total:.2f}%", _format_us(e.cpu_time_total),
                     _format_us(e.cpu_time), str(e.count)] + ([str(e.input_shapes)] if shapes else [])
            lines.append("  ".join(c.rjust(w) for c, w in zip(cells, widths)))
        lines += [rule, f"Self CPU time total: {_format_us(sum(e.self_cpu_time_total for e in self))}"]
        return "\n".join(lines)


class _Recorder:
    """Collects events; ``begin``/``end`` around each op (and each record_function)."""

    def __init__(self, record_shapes, wait_for_gpu):
        self.record_shapes, self.wait_for_gpu = record_shapes, wait_for_gpu
        self.events, self.stack = [], []

    def begin(self, name, arrays, kind="op"):
        shapes = [list(a.shape) if a is not None and hasattr(a, "shape") else [] for a in arrays] \
            if self.record_shapes else None
        event = FunctionEvent(name, 0, shapes, self.stack[-1] if self.stack else None, kind)
        if event.parent is not None:
            event.parent.children.append(event)
        self.stack.append(event)
        self.events.append(event)
        event.start = time.perf_counter_ns()
        return event

    def end(self, event, outputs=None):
        if self.wait_for_gpu and backend._cupy_module is not None:
            backend.synchronize(backend.GPU)
        event.end = time.perf_counter_ns()
        while self.stack and self.stack[-1] is not event:  # a range left open inside (an exception)
            self.stack.pop().end = event.end
        if self.stack:
            self.stack.pop()


class profile:
    """Records the ops run inside it (see the module). ``activities``: ProfilerActivity.CPU (always
    timed) and CUDA (wait for each GPU op); ``record_shapes``: keep each op's input shapes."""

    def __init__(self, *, activities=None, schedule=None, on_trace_ready=None, record_shapes=False):
        self.activities = set(activities) if activities is not None else {ProfilerActivity.CPU}
        self.schedule, self.on_trace_ready, self.record_shapes = schedule, on_trace_ready, record_shapes
        self.step_num = 0
        self._recorder = None
        self._finished = []

    def _action(self):
        return self.schedule(self.step_num) if self.schedule is not None else ProfilerAction.RECORD

    def _start_recording(self):
        if profiling.recorder is not None and profiling.recorder is not self._recorder:
            raise RuntimeError("profile: another profiler is already running")
        self._recorder = _Recorder(self.record_shapes, ProfilerActivity.CUDA in self.activities)
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

    def key_averages(self, group_by_input_shape=False):
        """Events of one name (and input shapes) summed, in order of first appearance."""
        groups = OrderedDict()
        for event in self.events():
            shapes = event.input_shapes if group_by_input_shape else None
            key = (event.name, str(shapes) if group_by_input_shape else None)
            groups.setdefault(key, FunctionEventAvg(event.name, shapes)).add(event)
        return EventList(groups.values())

    def export_chrome_trace(self, path):
        """The events as Chrome's trace format (a JSON list of complete events, microseconds)."""
        origin = min((e.start for e in self.events()), default=0)
        trace = [{"name": e.name, "ph": "X", "cat": e.kind, "ts": (e.start - origin) / 1000,
                  "dur": (e.end - e.start) / 1000, "pid": os.getpid(), "tid": e.thread,
                  "args": {"Input Dims": e.input_shapes} if e.input_shapes is not None else {}}
                 for e in self.events() if e.end is not None]
        with open(path, "w") as file:
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
           "FunctionEvent", "FunctionEventAvg"]
