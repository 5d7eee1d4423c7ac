"""tinynn.profiler: every op's forward and backward timed as an event, record_function ranges holding
them (total and self times), key averages and PyTorch's table, shapes, Chrome traces, schedules that
record only some steps, and nothing recorded (or slowed) outside a profile."""
import json

import numpy as np
import pytest

import tinynn
from tinynn import nn
from tinynn.autograd import profiling
from tinynn.nn import functional as F
from tinynn.profiler import ProfilerAction, ProfilerActivity, profile, record_function, schedule


def training_step(model, x, y):
    with record_function("forward"):
        loss = F.cross_entropy(model(x), y)
    with record_function("backward"):
        loss.backward()


def test_ops_and_their_backwards_are_events_inside_the_ranges():
    model = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 3))
    x, y = tinynn.randn(32, 8), tinynn.tensor(np.arange(32) % 3)
    with profile(record_shapes=True) as prof:
        training_step(model, x, y)
    names = [event.name for event in prof.events()]
    assert names[0] == "forward" and "backward" in names
    assert "ReLU" in names and "ReLUBackward" in names
    averages = {event.key: event for event in prof.key_averages()}
    assert averages["ReLU"].count == 1 and averages["ReLUBackward"].count == 1
    forward = next(event for event in prof.events() if event.name == "forward")
    assert forward.children and all(child.parent is forward for child in forward.children)
    assert forward.cpu_time_total >= sum(child.cpu_time_total for child in forward.children)
    assert forward.self_cpu_time_total == pytest.approx(
        forward.cpu_time_total - sum(child.cpu_time_total for child in forward.children))
    relu = next(event for event in prof.events() if event.name == "ReLU")
    assert relu.input_shapes == [[32, 16]] and relu.parent is forward
    table = prof.key_averages().table(sort_by="cpu_time_total", row_limit=5)
    lines = table.splitlines()
    assert "Self CPU %" in lines[1] and "# of Calls" in lines[1] and lines[-1].startswith("Self CPU time total: ")
    assert len(lines) == 3 + 5 + 2  # rule, header, rule, five rows, rule, total
    by_total = sorted(prof.key_averages(), key=lambda event: event.cpu_time_total, reverse=True)
    assert [line.split()[0] for line in lines[3:8]] == [event.key for event in by_total[:5]]
    grouped = prof.key_averages(group_by_input_shape=True).table(sort_by="count")
    assert "Input Shapes" in grouped and "[[32, 16]]" in grouped
    with pytest.raises(ValueError, match="table: sort_by must be one of"):
        prof.key_averages().table(sort_by="gpu_time")


def test_self_times_add_up_to_the_whole(tmp_path):
    x = tinynn.randn(50, 50, requires_grad=True)
    with profile() as prof:
        with record_function("outer"):
            (x @ x).tanh().sum().backward()
    top_level = [event for event in prof.events() if event.parent is None]
    assert sum(event.self_cpu_time_total for event in prof.events()) == pytest.approx(
        sum(event.cpu_time_total for event in top_level))
    path = tmp_path / "trace.json"
    prof.export_chrome_trace(str(path))
    trace = json.loads(path.read_text())["traceEvents"]
    assert {event["name"] for event in trace} == {event.name for event in prof.events()}
    assert all(event["ph"] == "X" and event["dur"] >= 0 for event in trace)


def test_a_schedule_records_only_its_active_steps():
    saved = []
    x = tinynn.randn(4, 4, requires_grad=True)
    plan = schedule(wait=1, warmup=1, active=2, repeat=1)
    assert [plan(step) for step in range(5)] == [ProfilerAction.NONE, ProfilerAction.WARMUP, ProfilerAction.RECORD,
                                                 ProfilerAction.RECORD_AND_SAVE, ProfilerAction.NONE]
    with profile(schedule=plan, on_trace_ready=lambda prof: saved.append(
            [event.name for event in prof.events() if event.kind == "user"])) as prof:
        for step in range(6):
            with record_function(f"step {step}"):
                x.exp().sum().backward()
            prof.step()
    assert saved == [["step 2", "step 3"]]


def test_nothing_is_recorded_outside_a_profile_and_profiles_do_not_nest():
    assert profiling.recorder is None
    with record_function("alone"):
        tinynn.ones(2).exp()
    with profile() as prof:
        with pytest.raises(RuntimeError, match="another profiler is already running"):
            profile().start()
    assert profiling.recorder is None and prof.events() == []

    @record_function("decorated")
    def work():
        return tinynn.ones(3).sum()

    with profile() as prof:
        work()
    assert [event.name for event in prof.events()] == ["decorated", "Sum"]


def test_gpu_ops_are_waited_for(device):
    x = tinynn.randn(16, 16, device=device, requires_grad=True)
    with profile(activities=[ProfilerActivity.CPU, ProfilerActivity.CUDA]) as prof:
        (x @ x).sum().backward()
    assert {"MatMul", "MatMulBackward"} <= {event.name for event in prof.events()}
