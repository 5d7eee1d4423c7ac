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


def _flops_by_op(events, names):
    return {name: sum(e.flops for e in events if e.name == name) for name in names}


def test_flops_are_pytorchs_for_products_forward_and_backward(torch):
    """with_flops: convolution, linear and matmul count 2 per multiply-add, as PyTorch's (its aten ops:
    conv2d, addmm, mm); a backward counts the forward's product once per operand gradient it makes."""
    theirs = {}
    for library in (tinynn, torch):
        library.manual_seed(0)
        conv, linear = library.nn.Conv2d(3, 8, 3), library.nn.Linear(8 * 14 * 14, 10)
        x, w = library.randn(4, 3, 16, 16, requires_grad=True), library.randn(10, 6)
        with library.profiler.profile(with_flops=True) as prof:
            (linear(conv(x).relu().flatten(1)) @ w).sum().backward()
        if library is torch:
            theirs = {e.key: e.flops for e in prof.key_averages()}
        else:
            ours, our_profile = {e.key: e.flops for e in prof.key_averages()}, prof
    assert ours["Conv2d"] == theirs["aten::conv2d"] == 2 * (4 * 8 * 14 * 14) * (3 * 3 * 3)
    assert ours["Linear"] == theirs["aten::addmm"] == 2 * 4 * 10 * (8 * 14 * 14)
    assert ours["MatMul"] == 2 * 4 * 6 * 10
    assert ours["LinearBackward"] == 2 * ours["Linear"]  # dL/dx and dL/dW, PyTorch's two mm
    assert ours["MatMulBackward"] == ours["MatMul"]  # (w needs no gradient)
    assert ours["Conv2dBackward"] == 2 * ours["Conv2d"]  # dL/dx and dL/dW
    assert ours["ReLU"] == 0
    table = our_profile.key_averages().table(sort_by="flops", row_limit=3)
    assert "Total KFLOPs" in table and table.splitlines()[3].split()[0] == "Conv2dBackward"


def test_profile_memory_counts_what_each_op_allocated_and_ranges_hold_their_ops(device):
    """On the CPU in the CPU columns, on the GPU in the GPU ones."""
    layer = nn.Linear(64, 32).to(device)
    x = tinynn.randn(16, 64, requires_grad=True, device=device)
    with profile(profile_memory=True) as prof:
        with record_function("forward"):
            h = layer(x)
            flat = h.reshape(-1)  # a view: nothing allocated
        flat.sum().backward()
    kind, other = ("cpu", "device") if device == "cpu" else ("device", "cpu")
    events = {e.name: e for e in prof.events()}
    assert getattr(events["Linear"], f"{kind}_memory_usage") == 16 * 32 * 4 == getattr(
        events["Linear"], f"self_{kind}_memory_usage")
    assert events["Reshape"].cpu_memory_usage == events["Reshape"].device_memory_usage == 0
    assert getattr(events["forward"], f"{kind}_memory_usage") == 16 * 32 * 4
    assert getattr(events["forward"], f"self_{kind}_memory_usage") == 0
    linear_grads = (16 * 64 + 32 * 64 + 32) * 4  # dL/dx, dL/dW, dL/db
    assert getattr(events["LinearBackward"], f"{kind}_memory_usage") == linear_grads
    assert getattr(events["LinearBackward"], f"{other}_memory_usage") == 0
    table = prof.key_averages().table(sort_by=f"{kind}_memory_usage", row_limit=2)
    title = "CPU Mem" if kind == "cpu" else "GPU Mem"
    assert title in table and f"Self {title}" in table and "2.00 KB" in table
    assert "CPU Mem" not in profile().key_averages().table()


def test_stacks_tell_the_calling_lines_apart_and_export_for_flame_graphs(tmp_path):
    x = tinynn.randn(30, 30)
    with profile(with_stack=True) as prof:
        a = x.exp()  # line A
        b = x.exp()  # line B
    exps = [e for e in prof.events() if e.name == "Exp"]
    assert len(exps) == 2 and all(e.stack[0].split(": ")[0].endswith(f"({line})")
                                  for e, line in zip(exps, _lines("line A", "line B")))
    assert all(__file__ in e.stack[0] for e in exps) and all("tinynn" + "/" not in e.stack[0] for e in exps)
    grouped = prof.key_averages(group_by_stack_n=1)
    assert [e.count for e in grouped if e.key == "Exp"] == [1, 1]
    assert [e.count for e in prof.key_averages() if e.key == "Exp"] == [2]
    assert "Source Location" in grouped.table() and "test_profiler.py" in grouped.table()
    path = tmp_path / "stacks.txt"
    prof.export_stacks(str(path))
    lines = path.read_text().splitlines()
    assert lines and all(line.rsplit(" ", 1)[1].isdigit() and "test_profiler.py" in line for line in lines)
    with pytest.raises(ValueError, match="with_stack=True"):
        profile().key_averages(group_by_stack_n=1)
    with pytest.raises(ValueError, match="metric is 'self_cpu_time_total'"):
        prof.export_stacks(str(path), metric="self_cuda_time_total")
    del a, b


def _lines(*markers):
    source = open(__file__).read().splitlines()
    return [next(n for n, line in enumerate(source, 1) if f"# {marker}" in line) for marker in markers]


def test_tensorboard_trace_handler_writes_each_recorded_cycle(tmp_path):
    x = tinynn.randn(10, 10, requires_grad=True)
    for use_gzip in (False, True):
        folder = tmp_path / f"gzip_{use_gzip}"
        handler = tinynn.profiler.tensorboard_trace_handler(str(folder), worker_name="worker", use_gzip=use_gzip)
        with profile(schedule=schedule(wait=1, warmup=0, active=1, repeat=2), on_trace_ready=handler) as prof:
            for _ in range(5):
                (x @ x).sum().backward()
                prof.step()
        files = sorted(folder.iterdir())
        assert len(files) == 2 and all(f.name.startswith("worker.") for f in files)
        assert all(f.name.endswith(".pt.trace.json.gz" if use_gzip else ".pt.trace.json") for f in files)
        opener = __import__("gzip").open if use_gzip else open
        with opener(files[0], "rt") as file:
            assert "MatMul" in {event["name"] for event in json.load(file)["traceEvents"]}


def test_table_options_and_signatures_as_pytorchs(torch):
    import inspect

    x = tinynn.randn(20, 20, requires_grad=True)
    with profile() as prof:
        with record_function("a_rather_long_range_name_for_the_step"):
            (x @ x).sum().backward()
    averages = prof.key_averages()
    table = averages.table(time_unit="ms", max_name_column_width=12, top_level_events_only=True)
    rows = table.splitlines()[3:-2]
    assert [row.split()[0] for row in rows] == ["a_rather_..."]  # (PyTorch's cut: the width, "..." included)
    cells = rows[0].split()
    assert all(cells[k].endswith("ms") for k in (2, 4, 5))  # self, total, average
    with pytest.raises(ValueError, match="time_unit must be one of"):
        averages.table(time_unit="ns")
    for ours, theirs in [(tinynn.profiler.profile.__init__, torch.profiler.profile.__init__),
                         (tinynn.profiler.profile.key_averages, torch.profiler.profile.key_averages),
                         (tinynn.profiler.profile.export_stacks, torch.profiler.profile.export_stacks),
                         (tinynn.profiler.profile.export_chrome_trace, torch.profiler.profile.export_chrome_trace),
                         (tinynn.profiler.EventList.table, torch.autograd.profiler_util.EventList.table),
                         (tinynn.profiler.tensorboard_trace_handler, torch.profiler.tensorboard_trace_handler),
                         (tinynn.autograd.profiler.profile.__init__, torch.autograd.profiler.profile.__init__)]:
        # every argument PyTorch's of this version takes, in its order (older versions take fewer)
        mine, its = inspect.signature(ours).parameters, inspect.signature(theirs).parameters
        assert [name for name in mine if name in its] == list(its), ours
    assert tinynn.profiler.supported_activities() >= {ProfilerActivity.CPU}


def test_an_op_that_raises_inside_a_range_leaves_its_error_and_a_whole_profile():
    """With every option on, an op that raises inside a record_function range: the op's own error comes
    out (the range's end once tripped over the op's unfinished memory count), and both events end."""
    with pytest.raises(ValueError, match="matmul: shapes \\(2, 3\\) and \\(2, 3\\) are not aligned"):
        with profile(profile_memory=True, with_flops=True, with_stack=True) as prof:
            with record_function("range"):
                tinynn.ones(2, 3) @ tinynn.ones(2, 3)
    assert [(e.name, e.end is not None) for e in prof.events()] == [("range", True), ("MatMul", True)]
    assert "MatMul" in prof.key_averages().table()
