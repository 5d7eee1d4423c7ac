"""Learning-rate schedules give PyTorch's exact sequences."""
import numpy as np
import pytest

import tinynn


def _sequences(torch, make_ours, make_theirs, steps, optimizer="SGD", metrics=None):
    ours_param = tinynn.tensor([1.0], requires_grad=True)
    theirs_param = torch.tensor([1.0], requires_grad=True)
    kwargs = dict(lr=0.1, momentum=0.9) if optimizer == "SGD" else dict(lr=0.1)
    opt = getattr(tinynn.optim, optimizer)([ours_param], **kwargs)
    topt = getattr(torch.optim, optimizer)([theirs_param], **kwargs)
    ours, theirs = make_ours(opt), make_theirs(topt)
    lrs, tlrs, momenta, tmomenta = [], [], [], []
    for step in range(steps):
        opt.step()
        topt.step()
        if metrics is None:
            ours.step(), theirs.step()
        else:
            ours.step(metrics[step]), theirs.step(metrics[step])
        lrs.append(opt.param_groups[0]["lr"])
        tlrs.append(topt.param_groups[0]["lr"])
        key = "momentum" if optimizer == "SGD" else "betas"
        momenta.append(opt.param_groups[0][key])
        tmomenta.append(topt.param_groups[0][key])
    return lrs, tlrs, momenta, tmomenta


SCHEDULES = {
    "StepLR": (dict(step_size=3, gamma=0.5), 12),
    "MultiStepLR": (dict(milestones=[2, 5, 5, 9], gamma=0.3), 12),
    "CosineAnnealingLR": (dict(T_max=7, eta_min=0.001), 30),
    "OneCycleLR": (dict(max_lr=0.5, total_steps=25), 25),
    "ExponentialLR": (dict(gamma=0.8), 12),
    "LinearLR": (dict(start_factor=0.25, end_factor=0.9, total_iters=6), 12),
    "LambdaLR": (dict(lr_lambda=lambda epoch: 0.95 ** epoch / (1 + epoch % 3)), 12),
    "CosineAnnealingWarmRestarts": (dict(T_0=3, T_mult=2, eta_min=0.01), 30),
    "ConstantLR": (dict(factor=0.4, total_iters=4), 10),
    "PolynomialLR": (dict(total_iters=6, power=1.7), 10),
    "MultiplicativeLR": (dict(lr_lambda=lambda epoch: 0.9 if epoch % 2 else 1.05), 10),
    "CyclicLR": (dict(base_lr=0.01, max_lr=0.1, step_size_up=4, step_size_down=3, base_momentum=0.85,
                      max_momentum=0.95), 30),
}


MOVABLE = dict(SCHEDULES, OneCycleLR_three_phase=(dict(max_lr=0.5, total_steps=25, three_phase=True,
                                                         anneal_strategy="linear"), 25),
               CyclicLR_exp_range=(dict(base_lr=0.01, max_lr=0.1, step_size_up=2, mode="exp_range", gamma=0.9), 20),
               ReduceLROnPlateau=(dict(patience=1, factor=0.5, cooldown=1), 14))


@pytest.mark.parametrize("name", MOVABLE)
def test_a_schedules_state_dict_moves_between_pytorch_and_tinynn_mid_run(name, torch):
    """A schedule begun in PyTorch goes on in tinynn from the state torch.save wrote (read by
    tinynn.load, with the optimizer's), and back, giving PyTorch's own lrs: OneCycleLR's phases are
    PyTorch's dicts, CyclicLR saves PyTorch's _scale_fn_custom, MultiStepLR's milestones come back a
    Counter (tinynn.load made a Counter of the pairs)."""
    import io

    kwargs, steps = MOVABLE[name]
    kind = name.split("_")[0]
    metrics = [1.0, 0.9, 0.95, 0.97, 0.99, 1.0, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.1, 1.2]

    def step(schedule, k):
        schedule.step(metrics[k % len(metrics)]) if kind == "ReduceLROnPlateau" else schedule.step()

    def make(library, param):
        optimizer = library.optim.SGD([param], lr=0.1, momentum=0.9)
        return optimizer, getattr(library.optim.lr_scheduler, kind)(optimizer, **kwargs)

    theirs = torch.nn.Parameter(torch.ones(1))
    their_optimizer, their_schedule = make(torch, theirs)
    half = steps // 2
    for k in range(half - 2):
        their_optimizer.step()
        step(their_schedule, k)
    saved = io.BytesIO()
    torch.save({"optimizer": their_optimizer.state_dict(), "schedule": their_schedule.state_dict()}, saved)
    checkpoint = tinynn.load(io.BytesIO(saved.getvalue()), weights_only=False)  # (a Counter, for MultiStepLR)
    our_optimizer, our_schedule = make(tinynn, tinynn.nn.Parameter(tinynn.ones(1)))
    our_optimizer.load_state_dict(checkpoint["optimizer"])
    our_schedule.load_state_dict(checkpoint["schedule"])
    for k in range(half - 2, half + 2):
        for optimizer, schedule in ((their_optimizer, their_schedule), (our_optimizer, our_schedule)):
            optimizer.step()
            step(schedule, k)
        assert our_optimizer.param_groups[0]["lr"] == pytest.approx(their_optimizer.param_groups[0]["lr"], rel=1e-12)
    back = io.BytesIO()
    tinynn.save({"optimizer": our_optimizer.state_dict(), "schedule": our_schedule.state_dict()}, back, format="torch")
    checkpoint = torch.load(io.BytesIO(back.getvalue()))
    again_optimizer, again_schedule = make(torch, torch.nn.Parameter(torch.ones(1)))
    again_optimizer.load_state_dict(checkpoint["optimizer"])
    again_schedule.load_state_dict(checkpoint["schedule"])
    for k in range(half + 2, steps - 1):
        for optimizer, schedule in ((their_optimizer, their_schedule), (again_optimizer, again_schedule)):
            optimizer.step()
            step(schedule, k)
        assert again_optimizer.param_groups[0]["lr"] == pytest.approx(their_optimizer.param_groups[0]["lr"], rel=1e-12)


@pytest.mark.parametrize("name", SCHEDULES)
@pytest.mark.parametrize("optimizer", ["SGD", "Adam"])
def test_schedule_matches_torch(name, optimizer, torch):
    kwargs, steps = SCHEDULES[name]
    lrs, tlrs, momenta, tmomenta = _sequences(
        torch, lambda o: getattr(tinynn.optim.lr_scheduler, name)(o, **kwargs),
        lambda o: getattr(torch.optim.lr_scheduler, name)(o, **kwargs), steps - 1, optimizer)
    assert lrs == pytest.approx(tlrs, rel=1e-12, abs=1e-15)
    if name in ("OneCycleLR", "CyclicLR"):
        assert [m[0] if isinstance(m, tuple) else m for m in momenta] == pytest.approx(
            [m[0] if isinstance(m, tuple) else m for m in tmomenta], rel=1e-12)


def test_one_cycle_linear_and_three_phase_match_torch(torch):
    kwargs = dict(max_lr=1.0, epochs=3, steps_per_epoch=7, anneal_strategy="linear", three_phase=True)
    lrs, tlrs, _, _ = _sequences(torch, lambda o: tinynn.optim.lr_scheduler.OneCycleLR(o, **kwargs),
                                 lambda o: torch.optim.lr_scheduler.OneCycleLR(o, **kwargs), 20)
    assert lrs == pytest.approx(tlrs, rel=1e-12)


@pytest.mark.parametrize("options", [dict(mode="triangular2"), dict(mode="exp_range", gamma=0.97),
                                     dict(scale_fn=lambda x: 1 / x, scale_mode="cycle"),
                                     dict(scale_fn=lambda x: 0.99 ** x, scale_mode="iterations", cycle_momentum=False)],
                         ids=["triangular2", "exp_range", "cycle_fn", "iterations_fn"])
def test_cyclic_lr_modes_match_torch(torch, options):
    kwargs = dict(base_lr=0.02, max_lr=0.2, step_size_up=3, **options)
    lrs, tlrs, momenta, tmomenta = _sequences(torch, lambda o: tinynn.optim.lr_scheduler.CyclicLR(o, **kwargs),
                                              lambda o: torch.optim.lr_scheduler.CyclicLR(o, **kwargs), 25)
    assert lrs == pytest.approx(tlrs, rel=1e-12)
    assert momenta == pytest.approx(tmomenta, rel=1e-12)
    assert len(set(round(lr, 9) for lr in lrs)) > 5


def test_reduce_on_plateau_matches_torch(torch):
    metrics = [1.0, 0.9, 0.95, 0.95, 0.95, 0.95, 0.8, 0.85, 0.85, 0.85, 0.85, 0.85, 0.85]
    kwargs = dict(factor=0.5, patience=2, cooldown=1, min_lr=0.01)
    lrs, tlrs, _, _ = _sequences(torch, lambda o: tinynn.optim.lr_scheduler.ReduceLROnPlateau(o, **kwargs),
                                 lambda o: torch.optim.lr_scheduler.ReduceLROnPlateau(o, **kwargs),
                                 len(metrics), metrics=metrics)
    assert lrs == pytest.approx(tlrs, rel=1e-12)
    assert min(lrs) < 0.1
    for library in (tinynn, torch):  # in_cooldown right after a reduction, and mode_worse as best's start
        optimizer = library.optim.SGD([library.zeros(1, requires_grad=True)], lr=1.0)
        plateau = library.optim.lr_scheduler.ReduceLROnPlateau(optimizer, mode="max", patience=0, cooldown=2)
        cooling = [(plateau.step(metric), plateau.in_cooldown)[1] for metric in (1.0, 0.5, 0.5, 0.5)]
        assert cooling == [False, True, True, False] and plateau.mode_worse == -float("inf")


def test_scheduler_state_dict_resumes_the_sequence():
    def make():
        p = tinynn.tensor([1.0], requires_grad=True)
        opt = tinynn.optim.SGD([p], lr=0.1, momentum=0.9)
        return opt, tinynn.optim.lr_scheduler.OneCycleLR(opt, max_lr=1.0, total_steps=20)

    opt, sched = make()
    for _ in range(8):
        opt.step()
        sched.step()
    opt2, sched2 = make()
    opt2.load_state_dict(opt.state_dict())
    sched2.load_state_dict(sched.state_dict())
    for _ in range(5):
        opt.step(), opt2.step()
        sched.step(), sched2.step()
    assert opt.param_groups[0]["lr"] == opt2.param_groups[0]["lr"]


def test_warm_restarts_with_fractional_epochs_and_state_dicts_match_torch(torch):
    ours_param, theirs_param = tinynn.tensor([1.0], requires_grad=True), torch.tensor([1.0], requires_grad=True)
    opt, topt = tinynn.optim.SGD([ours_param], lr=0.1), torch.optim.SGD([theirs_param], lr=0.1)
    ours = tinynn.optim.lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=2, T_mult=3)
    theirs = torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(topt, T_0=2, T_mult=3)
    for epoch in range(6):
        for batch in range(4):
            ours.step(epoch + batch / 4), theirs.step(epoch + batch / 4)
            assert opt.param_groups[0]["lr"] == pytest.approx(topt.param_groups[0]["lr"], rel=1e-12)
    lambda_state = tinynn.optim.lr_scheduler.LambdaLR(opt, lambda epoch: 0.5).state_dict()
    their_state = torch.optim.lr_scheduler.LambdaLR(topt, lambda epoch: 0.5).state_dict()
    assert lambda_state["lr_lambdas"] == their_state["lr_lambdas"] == [None] and lambda_state["last_epoch"] == 0

    class Decay:  # a callable object's attributes are state, as in PyTorch
        def __init__(self, factor):
            self.factor = factor

        def __call__(self, epoch):
            return self.factor ** epoch

    saved = tinynn.optim.lr_scheduler.LambdaLR(opt, Decay(0.7)).state_dict()
    assert saved["lr_lambdas"] == [{"factor": 0.7}]
    restored = tinynn.optim.lr_scheduler.LambdaLR(opt, Decay(0.1))
    restored.load_state_dict(saved)
    assert restored.lr_lambdas[0].factor == 0.7


def _sequential(module, optimizer):
    warmup = module.LinearLR(optimizer, start_factor=0.1, total_iters=3)
    middle = module.ConstantLR(optimizer, factor=0.5, total_iters=2)
    decay = module.CosineAnnealingLR(optimizer, T_max=8, eta_min=0.001)
    return module.SequentialLR(optimizer, [warmup, middle, decay], milestones=[3, 6])


def _chained(module, optimizer):
    return module.ChainedScheduler([module.ExponentialLR(optimizer, 0.9),
                                    module.StepLR(optimizer, step_size=3, gamma=0.5)])


@pytest.mark.parametrize("make", [_sequential, _chained], ids=["SequentialLR", "ChainedScheduler"])
def test_composed_schedules_match_torch(torch, make):
    lrs, tlrs, _, _ = _sequences(torch, lambda o: make(tinynn.optim.lr_scheduler, o),
                                 lambda o: make(torch.optim.lr_scheduler, o), 16)
    assert lrs == pytest.approx(tlrs, rel=1e-12, abs=1e-15)


@pytest.mark.parametrize("make", [_sequential, _chained], ids=["SequentialLR", "ChainedScheduler"])
def test_composed_schedule_state_dicts_resume_the_sequence(make):
    def run(steps, scheduler, optimizer):
        values = []
        for _ in range(steps):
            optimizer.step()
            scheduler.step()
            values.append(optimizer.param_groups[0]["lr"])
        return values

    param = tinynn.tensor([1.0], requires_grad=True)
    optimizer = tinynn.optim.SGD([param], lr=0.1)
    straight = run(14, make(tinynn.optim.lr_scheduler, optimizer), optimizer)
    first_optimizer = tinynn.optim.SGD([tinynn.tensor([1.0], requires_grad=True)], lr=0.1)
    first = make(tinynn.optim.lr_scheduler, first_optimizer)
    values = run(5, first, first_optimizer)
    second_optimizer = tinynn.optim.SGD([tinynn.tensor([1.0], requires_grad=True)], lr=0.1)
    second = make(tinynn.optim.lr_scheduler, second_optimizer)
    second_optimizer.load_state_dict(first_optimizer.state_dict())
    second.load_state_dict(first.state_dict())
    values += run(9, second, second_optimizer)
    assert values == straight


def test_sequence_errors_are_clear():
    optimizer = tinynn.optim.SGD([tinynn.tensor([1.0], requires_grad=True)], lr=0.1)
    other = tinynn.optim.SGD([tinynn.tensor([1.0], requires_grad=True)], lr=0.1)
    module = tinynn.optim.lr_scheduler
    with pytest.raises(ValueError, match="expected 1 milestones for 2 schedulers, got 2"):
        module.SequentialLR(optimizer, [module.ConstantLR(optimizer), module.ConstantLR(optimizer)], [2, 3])
    with pytest.raises(ValueError, match="belongs to another optimizer"):
        module.SequentialLR(optimizer, [module.ConstantLR(optimizer), module.ConstantLR(other)], [2])
    with pytest.raises(ValueError, match="ReduceLROnPlateau .* cannot be part of a sequence"):
        module.ChainedScheduler([module.ReduceLROnPlateau(optimizer)])


def test_one_cycle_with_too_few_steps_for_a_phase_is_a_clear_error():
    optimizer = tinynn.optim.SGD([tinynn.tensor([1.0], requires_grad=True)], lr=0.1, momentum=0.9)
    with pytest.raises(ValueError, match=r"5 total steps with pct_start=0.2 make the warm-up a single point"):
        tinynn.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=0.1, total_steps=5, pct_start=0.2)
    for total in (3, 4, 6):  # shorter and longer warm-ups work, as in PyTorch
        tinynn.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=0.1, total_steps=total, pct_start=0.2)


def test_settings_that_would_divide_by_zero_or_iterate_a_number_are_named():
    optimizer = tinynn.optim.SGD([tinynn.zeros(1, requires_grad=True)], lr=0.1)
    schedulers = tinynn.optim.lr_scheduler
    for call, error, message in ((lambda: schedulers.StepLR(optimizer, 0), ValueError, "StepLR: step_size must be a positive int"),
                                 (lambda: schedulers.CosineAnnealingLR(optimizer, 0), ValueError,
                                  "CosineAnnealingLR: T_max must be a positive number"),
                                 (lambda: schedulers.MultiStepLR(optimizer, 3), TypeError, "MultiStepLR: milestones must be a list"),
                                 (lambda: schedulers.SequentialLR(optimizer, [1], []), TypeError,
                                  "SequentialLR: expected schedulers, got int at index 0")):
        with pytest.raises(error, match=message):
            call()
    assert sorted(schedulers.MultiStepLR(optimizer, np.array([2, 4])).milestones) == [2, 4]  # NumPy ints are epochs too


def test_a_schedule_stepped_before_the_optimizer_warns_as_pytorchs(torch):
    """PyTorch's warning for the order that skips a schedule's first value, and none for the right order (plain,
    sequential, chained and one-cycle schedules)."""
    import warnings

    for library in (tinynn, torch):
        schedules = library.optim.lr_scheduler
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            parameter = library.nn.Parameter(library.ones(1))
            first = library.optim.SGD([parameter], lr=1.0, momentum=0.9)
            second = library.optim.SGD([parameter], lr=1.0, momentum=0.9)
            third = library.optim.SGD([parameter], lr=1.0, momentum=0.9)
            runs = [(first, schedules.SequentialLR(first, [schedules.LinearLR(first, 0.1, total_iters=2),
                                                           schedules.CosineAnnealingLR(first, T_max=3)], milestones=[2])),
                    (second, schedules.ChainedScheduler([schedules.ConstantLR(second, factor=0.5, total_iters=2),
                                                         schedules.ExponentialLR(second, gamma=0.9)])),
                    (third, schedules.OneCycleLR(third, 1.0, total_steps=5))]
            for optimizer, schedule in runs:
                for _ in range(3):
                    optimizer.step()
                    schedule.step()
            assert caught == []
            early = schedules.StepLR(library.optim.SGD([parameter], lr=1.0), 1)
            early.step()
            early.step()
        assert len(caught) == 1 and "before" in str(caught[0].message) and "optimizer.step()" in str(caught[0].message)


FIRST_ARGUMENTS = {"StepLR": (1,), "MultiStepLR": ([1],), "ExponentialLR": (0.9,), "LambdaLR": (lambda epoch: 1.0,),
                   "MultiplicativeLR": (lambda epoch: 1.0,), "CosineAnnealingWarmRestarts": (2,),
                   "CosineAnnealingLR": (3,), "CyclicLR": (0.1, 1.0), "OneCycleLR": (0.5, 10), "ConstantLR": (),
                   "LinearLR": (), "PolynomialLR": (), "ReduceLROnPlateau": ()}


@pytest.mark.parametrize("name", FIRST_ARGUMENTS)
def test_a_schedule_of_something_other_than_an_optimizer_is_torch_s_type_error(name):
    """(It was an AttributeError on 'param_groups' from inside.)"""
    with pytest.raises(TypeError, match=f"{name}: dict is not an Optimizer"):
        getattr(tinynn.optim.lr_scheduler, name)({"lr": 0.1}, *FIRST_ARGUMENTS[name])
    with pytest.raises(TypeError, match="SWALR: dict is not an Optimizer"):
        tinynn.optim.swa_utils.SWALR({"lr": 0.1}, 0.05)
