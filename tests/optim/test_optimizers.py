"""SGD, Adam, AdamW, Adamax, NAdam, RAdam, RMSprop, Rprop, ASGD, Adagrad, Adadelta, Adafactor, Muon: 20-step
trajectories equal PyTorch's; state dicts resume the same trajectory; the foreach path (all parameters updated as one
flat array) gives the same bits as the loop."""
import importlib
import inspect

import numpy as np
import pytest

import tinynn
from helpers import assert_close

CONFIGS = [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.1, momentum=0.9)),
    ("SGD", dict(lr=0.05, momentum=0.9, dampening=0.3, weight_decay=0.01)),
    ("SGD", dict(lr=0.05, momentum=0.8, nesterov=True, weight_decay=0.001)),
    ("Adam", dict(lr=0.01)),
    ("Adam", dict(lr=0.01, betas=(0.8, 0.99), weight_decay=0.1, amsgrad=True)),
    ("AdamW", dict(lr=0.01)),
    ("AdamW", dict(lr=0.02, weight_decay=0.1, amsgrad=True)),
    ("RMSprop", dict(lr=0.01)),
    ("RMSprop", dict(lr=0.01, alpha=0.9, weight_decay=0.05, momentum=0.8, centered=True)),
    ("RMSprop", dict(lr=0.005, momentum=0.5)),
    ("Adagrad", dict(lr=0.1)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.05, weight_decay=0.02, initial_accumulator_value=0.3)),
    ("Adadelta", dict()),
    ("Adadelta", dict(lr=0.5, rho=0.8, eps=1e-4, weight_decay=0.05)),
    ("Adamax", dict(lr=0.02)),
    ("Adamax", dict(lr=0.02, betas=(0.8, 0.99), weight_decay=0.1)),
    ("NAdam", dict(lr=0.01)),
    ("NAdam", dict(lr=0.01, betas=(0.8, 0.99), weight_decay=0.1, momentum_decay=0.01)),
    ("NAdam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True)),
    ("RAdam", dict(lr=0.01)),  # rho_t passes 5 after a few steps: both branches are compared
    ("RAdam", dict(lr=0.01, betas=(0.8, 0.9), weight_decay=0.1, decoupled_weight_decay=True)),
    ("Rprop", dict()),
    ("Rprop", dict(lr=0.05, etas=(0.3, 1.5), step_sizes=(1e-3, 0.2))),
    ("ASGD", dict(lr=0.02)),
    ("ASGD", dict(lr=0.05, lambd=0.01, alpha=0.5, t0=5, weight_decay=0.05)),  # averaging starts at step 6
]
# maximize=True on every optimizer that takes it in PyTorch: the rule run on the negated gradient (these
# configurations are given the gradient of -loss, so they climb to the same place the others descend to)
CONFIGS += [(name, dict(kwargs, maximize=True)) for name, kwargs in
            [("SGD", dict(lr=0.05, momentum=0.9, weight_decay=0.01)), ("Adam", dict(lr=0.01, amsgrad=True, weight_decay=0.1)),
             ("AdamW", dict(lr=0.01)), ("RMSprop", dict(lr=0.01, centered=True, momentum=0.5)), ("Adagrad", dict(lr=0.1)),
             ("Adadelta", dict(weight_decay=0.05)), ("Adamax", dict(lr=0.02)), ("NAdam", dict(lr=0.01)),
             ("RAdam", dict(lr=0.01, weight_decay=0.1)), ("Rprop", dict()), ("ASGD", dict(lr=0.02))]]
CONFIGS += [("Adam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True))]  # AdamW's decay, PyTorch's option


def _loss_grad(w, target):
    """Gradient of sum((w - target)^2 + 0.1 w^4): not quadratic, so a wrong rule shows up quickly."""
    return 2 * (w - target) + 0.4 * w ** 3


@pytest.fixture
def torch64(torch):
    """PyTorch with float64 as its default dtype, which it also gives its optimizers' scalar state
    (NAdam's momentum product is float32 otherwise); ours is Python floats."""
    torch.set_default_dtype(torch.float64)
    yield torch
    torch.set_default_dtype(torch.float32)


@pytest.mark.parametrize("name,kwargs", CONFIGS)
def test_twenty_steps_match_torch(name, kwargs, torch64, rng):
    torch = torch64
    start, target = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    ours = tinynn.tensor(start, requires_grad=True)
    theirs = torch.tensor(start, requires_grad=True)
    opt = getattr(tinynn.optim, name)([ours], **kwargs)
    topt = getattr(torch.optim, name)([theirs], **kwargs)
    sign = -1 if kwargs.get("maximize") else 1
    for _ in range(20):
        ours.grad = tinynn.tensor(sign * _loss_grad(ours.numpy(), target))
        theirs.grad = torch.tensor(sign * _loss_grad(theirs.detach().numpy(), target))
        opt.step()
        topt.step()
    assert np.isfinite(ours.numpy()).all() and not np.allclose(ours.numpy(), start)
    assert_close(ours, theirs, rtol=1e-10, atol=1e-12, what=f"{name} {kwargs}")


@pytest.mark.parametrize("name,kwargs", CONFIGS[1:2] + CONFIGS[5:6] + CONFIGS[9:10] + CONFIGS[12:13])
def test_state_dict_resumes_the_same_trajectory(name, kwargs, rng):
    start = rng.standard_normal(5)
    target = rng.standard_normal(5)

    def run(steps, param, opt):
        for _ in range(steps):
            param.grad = tinynn.tensor(_loss_grad(param.numpy(), target))
            opt.step()

    straight = tinynn.tensor(start, requires_grad=True)
    opt = getattr(tinynn.optim, name)([straight], **kwargs)
    run(10, straight, opt)

    first = tinynn.tensor(start, requires_grad=True)
    opt1 = getattr(tinynn.optim, name)([first], **kwargs)
    run(5, first, opt1)
    second = tinynn.tensor(first.numpy(), requires_grad=True)
    opt2 = getattr(tinynn.optim, name)([second], **kwargs)
    opt2.load_state_dict(opt1.state_dict())
    run(5, second, opt2)
    np.testing.assert_array_equal(second.numpy(), straight.numpy())


@pytest.mark.parametrize("name,kwargs", CONFIGS)
@pytest.mark.parametrize("shape", [(3, 4), ()])
def test_a_state_dict_moves_between_pytorch_and_tinynn_mid_run(name, kwargs, shape, torch64, rng):
    """A run begun in PyTorch goes on in tinynn from its state dict (written by torch.save, read by
    tinynn.load), and back, on the same trajectory as PyTorch's own: PyTorch keeps its step (and ASGD's
    eta and mu, NAdam's momentum product) as 0-d tensors, which tinynn refused as misshapen state; a 0-d
    parameter's moments are 0-d arrays still."""
    import io

    torch = torch64
    start, target = rng.standard_normal(shape), rng.standard_normal(shape)
    sign = -1 if kwargs.get("maximize") else 1
    theirs = torch.tensor(start, requires_grad=True)
    their_optimizer = getattr(torch.optim, name)([theirs], **kwargs)

    def torch_steps(param, optimizer, count):
        for _ in range(count):
            param.grad = torch.tensor(sign * _loss_grad(param.detach().numpy(), target))
            optimizer.step()

    torch_steps(theirs, their_optimizer, 4)
    saved = io.BytesIO()
    torch.save(their_optimizer.state_dict(), saved)
    ours = tinynn.tensor(theirs.detach().numpy(), requires_grad=True)
    our_optimizer = getattr(tinynn.optim, name)([ours], **kwargs)
    our_optimizer.load_state_dict(tinynn.load(io.BytesIO(saved.getvalue())))
    for _ in range(4):
        ours.grad = tinynn.tensor(sign * _loss_grad(ours.numpy(), target))
        our_optimizer.step()
    torch_steps(theirs, their_optimizer, 4)
    assert_close(ours, theirs, rtol=1e-10, atol=1e-12, what=f"{name} {kwargs}, tinynn from PyTorch's state")
    back = io.BytesIO()
    tinynn.save(our_optimizer.state_dict(), back, format="torch")
    again = torch.tensor(ours.numpy(), requires_grad=True)
    again_optimizer = getattr(torch.optim, name)([again], **kwargs)
    again_optimizer.load_state_dict(torch.load(io.BytesIO(back.getvalue())))
    torch_steps(again, again_optimizer, 4)
    torch_steps(theirs, their_optimizer, 4)
    assert_close(again.detach().numpy(), theirs.detach().numpy(), rtol=1e-10, atol=1e-12,
                 what=f"{name} {kwargs}, PyTorch from tinynn's state")


def test_parameter_groups_have_their_own_hyperparameters():
    a, b = tinynn.tensor([1.0], requires_grad=True), tinynn.tensor([1.0], requires_grad=True)
    opt = tinynn.optim.SGD([{"params": [a]}, {"params": [b], "lr": 0.5}], lr=0.1)
    a.grad, b.grad = tinynn.tensor([1.0]), tinynn.tensor([1.0])
    opt.step()
    np.testing.assert_allclose([a.item(), b.item()], [0.9, 0.5])


def test_invalid_hyperparameters_are_errors():
    p = tinynn.tensor([1.0], requires_grad=True)
    with pytest.raises(ValueError, match="Nesterov"):
        tinynn.optim.SGD([p], lr=0.1, nesterov=True)
    with pytest.raises(ValueError, match="empty parameter list"):
        tinynn.optim.Adam([])
    with pytest.raises(TypeError, match="params must be an iterable of Tensors .* got a Tensor of shape"):
        tinynn.optim.SGD(tinynn.ones(2, 2, requires_grad=True), lr=0.1)  # its rows are not parameters
    for optimizer in (tinynn.optim.SGD, tinynn.optim.Adam, tinynn.optim.LBFGS):  # a .grad that never fills
        with pytest.raises(ValueError, match=r"can't optimize a non-leaf Tensor \(shape \(2,\), made by Mul\)"):
            optimizer([tinynn.zeros(2, requires_grad=True) * 0.01], lr=0.1)


@pytest.mark.parametrize("name, options", [("SGD", dict(lr=0.1, momentum=0.9)), ("SGD", dict(lr=0.1, foreach=True)),
                                           ("Adam", dict(lr=0.1)), ("AdamW", dict(lr=0.1, foreach=True)),
                                           ("RMSprop", dict(lr=0.1)), ("LBFGS", dict(max_iter=4))])
def test_frozen_parameters_may_be_given_and_are_left_alone_as_in_torch(torch, name, options):
    """Fine-tuning freezes some layers (requires_grad False) and passes model.parameters() whole: PyTorch
    takes them and skips them while their grad is None (tinynn refused them)."""
    rng = np.random.default_rng(0)
    values = [rng.standard_normal(shape) for shape in ((4, 3), (4,), (2, 4), (2,))]
    x = rng.standard_normal((5, 3))
    results = []
    for library in (tinynn, torch):
        model = library.nn.Sequential(library.nn.Linear(3, 4), library.nn.Tanh(), library.nn.Linear(4, 2)).double()
        with library.no_grad():
            for parameter, value in zip(model.parameters(), values):
                parameter.copy_(library.tensor(value))
        model[0].requires_grad_(False)
        optimizer = getattr(library.optim, name)(model.parameters(), **options)

        def closure():
            optimizer.zero_grad()
            loss = model(library.tensor(x)).pow(2).sum()
            loss.backward()
            return loss

        for _ in range(2):  # (a third LBFGS step moves PyTorch's own result 4e-9 for a start 1e-15 away)
            optimizer.step(closure)
        results.append([parameter.detach().numpy().copy() for parameter in model.parameters()])
    for ours, theirs in zip(*results):
        np.testing.assert_allclose(ours, theirs, rtol=1e-9, atol=1e-12)
    assert np.array_equal(results[0][0], values[0]) and not np.array_equal(results[0][2], values[2])


SHAPES = [(3, 4), (5,), (2, 2, 3), (1,)]


def _state_values(optimizer):
    """{parameter index: {key: NumPy array or number}} from the optimizer's state dict."""
    return {index: {key: value.numpy() if isinstance(value, tinynn.Tensor) else value for key, value in values.items()}
            for index, values in optimizer.state_dict()["state"].items()}


def _assert_same_states(first, second):
    """The two optimizers' states hold the same keys, and the same bits under each."""
    ours, theirs = _state_values(first), _state_values(second)
    assert ours.keys() == theirs.keys()
    for index in ours:
        assert ours[index].keys() == theirs[index].keys()
        for key in ours[index]:
            np.testing.assert_array_equal(ours[index][key], theirs[index][key])


def _run(name, kwargs, foreach, device, steps, skip=None, params=None, optimizer=None):
    """Steps on four parameters in two groups; ``skip`` = (step, parameter index) leaves one
    parameter without a gradient at that step (so its state falls behind the others')."""
    rng = np.random.default_rng(1)
    targets = [rng.standard_normal(shape) for shape in SHAPES]
    if params is None:
        params = [tinynn.tensor(rng.standard_normal(shape), requires_grad=True, device=device) for shape in SHAPES]
        optimizer_type = getattr(tinynn.optim, name)
        lr = kwargs.get("lr", inspect.signature(optimizer_type).parameters["lr"].default)
        optimizer = optimizer_type([{"params": params[:3]}, {"params": params[3:], "lr": lr / 2}], foreach=foreach, **kwargs)
    for step in range(steps):
        for index, (param, target) in enumerate(zip(params, targets)):
            skipped = skip is not None and (step, index) == skip
            param.grad = None if skipped else tinynn.tensor(_loss_grad(param.numpy(), target), device=device)
        optimizer.step()
    return params, optimizer


@pytest.mark.parametrize("name,kwargs", CONFIGS)
def test_foreach_gives_the_same_bits_as_the_loop(name, kwargs, device):
    looped, loop_optimizer = _run(name, kwargs, False, device, steps=6, skip=(2, 1))
    together, foreach_optimizer = _run(name, kwargs, True, device, steps=6, skip=(2, 1))
    for a, b in zip(looped, together):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    _assert_same_states(loop_optimizer, foreach_optimizer)


@pytest.mark.parametrize("foreach", [False, True])
@pytest.mark.parametrize("name,kwargs", CONFIGS)
def test_large_parameters_updated_in_blocks_give_the_same_bits(name, kwargs, foreach, monkeypatch):
    """With blocks of 2 elements every parameter of more than 4 runs in pieces (a (5,) one: 2, 2, 1),
    on the pool's threads; states made at the first step, replaced arrays and numbers all come back whole."""
    whole, whole_optimizer = _run(name, kwargs, foreach, "cpu", steps=6, skip=(2, 1))
    monkeypatch.setattr(tinynn.parallel, "CACHE_BLOCK", 2)
    blocked, blocked_optimizer = _run(name, kwargs, foreach, "cpu", steps=6, skip=(2, 1))
    for a, b in zip(whole, blocked):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    _assert_same_states(whole_optimizer, blocked_optimizer)


def test_blocks_leave_optimizers_whose_rule_is_not_elementwise_whole(monkeypatch):
    monkeypatch.setattr(tinynn.parallel, "CACHE_BLOCK", 2)
    calls = []
    optimizer = tinynn.optim.Adafactor([tinynn.ones(4, 5, requires_grad=True)])
    monkeypatch.setattr(optimizer, "_update", lambda param, *rest: calls.append(tuple(param.shape)))
    optimizer.param_groups[0]["params"][0].grad = tinynn.ones(4, 5)
    optimizer.step()
    assert calls == [(4, 5)]


@pytest.mark.parametrize("name,kwargs", CONFIGS[1:2] + CONFIGS[5:6] + CONFIGS[9:10] + CONFIGS[12:13])
def test_foreach_state_dict_resumes_the_same_trajectory(name, kwargs, device):
    straight, _ = _run(name, kwargs, True, device, steps=8)
    first, first_optimizer = _run(name, kwargs, True, device, steps=4)
    resumed = [tinynn.tensor(p.numpy(), requires_grad=True, device=device) for p in first]
    optimizer = getattr(tinynn.optim, name)([{"params": resumed[:3]}, {"params": resumed[3:]}], foreach=True, **kwargs)
    optimizer.load_state_dict(first_optimizer.state_dict())
    _run(name, kwargs, True, device, steps=4, params=resumed, optimizer=optimizer)
    for a, b in zip(straight, resumed):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_foreach_defaults_to_the_gpu_only(device):
    param = tinynn.zeros(3, requires_grad=True, device=device)
    optimizer = tinynn.optim.SGD([param], lr=0.1, momentum=0.9)
    param.grad = tinynn.ones(3, device=device)
    optimizer.step()
    assert optimizer.param_groups[0]["foreach"] is None
    assert bool(optimizer._flat_states) == (device == "gpu")


def test_foreach_keeps_the_parameters_in_one_flat_array_and_follows_replaced_data(device):
    """After the first foreach step every parameter's data is a view of one flat array (no copies
    back per step); a parameter whose data is replaced (``module.to``, an assignment) is gathered
    again, and its new values are the ones updated."""
    looped, _ = _run("SGD", dict(lr=0.1, momentum=0.9), False, device, steps=4)
    params, optimizer = _run("SGD", dict(lr=0.1, momentum=0.9), True, device, steps=2)
    flat = optimizer._flat_states[(0, params[0].device, params[0].dtype)]
    flat.values[...] = 0
    assert all(not np.any(param.numpy()) for param in params[:3]), "the parameters are views of the flat values"
    for param, value in zip(params[:3], _run("SGD", dict(lr=0.1, momentum=0.9), True, device, steps=2)[0]):
        param.data = value._array.copy()  # replaced, not written in place
    _run("SGD", dict(lr=0.1, momentum=0.9), True, device, steps=2, params=params, optimizer=optimizer)
    for a, b in zip(looped, params):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_asgd_keeps_the_average_of_the_iterates_like_torch(torch64, rng):
    torch = torch64
    start, target = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    ours, theirs = tinynn.tensor(start, requires_grad=True), torch.tensor(start, requires_grad=True)
    opt = tinynn.optim.ASGD([ours], lr=0.05, t0=5)
    topt = torch.optim.ASGD([theirs], lr=0.05, t0=5)
    for _ in range(12):
        ours.grad = tinynn.tensor(_loss_grad(ours.numpy(), target))
        theirs.grad = torch.tensor(_loss_grad(theirs.detach().numpy(), target))
        opt.step()
        topt.step()
    ax = opt.state_dict()["state"][0]["ax"].numpy()
    assert_close(ax, topt.state[theirs]["ax"], rtol=1e-10, atol=1e-12)
    assert not np.allclose(ax, ours.numpy()), "an average of several iterates, not the last one"


NON_ELEMENTWISE = [
    ("Adafactor", dict()),
    ("Adafactor", dict(lr=0.05, beta2_decay=-0.5, eps=(1e-20, 1e-2), d=2.0, weight_decay=0.1, maximize=True)),
    ("Muon", dict(lr=0.02)),
    ("Muon", dict(lr=0.05, weight_decay=0.01, momentum=0.8, nesterov=False, adjust_lr_fn="match_rms_adamw",
                  ns_steps=3)),
]


def _newton_schulz_in_float64(torch):
    """PyTorch's Muon orthogonalizes in bfloat16; the same iteration in float64, to compare the
    algorithm itself with ours (which runs in the parameter's dtype)."""
    def iterate(grad, coefficients, steps, eps):
        a, b, c = coefficients
        tall = grad.size(0) > grad.size(1)
        x = grad.T if tall else grad
        x = x / x.norm().clamp(min=eps)
        for _ in range(steps):
            gram = x @ x.T
            x = torch.addmm(x, torch.addmm(gram, gram, gram, beta=b, alpha=c), x, beta=a)
        return x.T if tall else x
    return iterate


@pytest.mark.parametrize("name,kwargs", NON_ELEMENTWISE)
def test_adafactor_and_muon_match_torch(name, kwargs, torch64, rng, monkeypatch):
    torch = torch64
    muon_module = importlib.import_module("torch.optim._muon")
    monkeypatch.setattr(muon_module, "_zeropower_via_newtonschulz", _newton_schulz_in_float64(torch))
    shapes = [(3, 4), (5, 2)] + ([(4,), (2, 3, 2)] if name == "Adafactor" else [])
    starts = [rng.standard_normal(shape) for shape in shapes]
    targets = [rng.standard_normal(shape) for shape in shapes]
    ours = [tinynn.tensor(start, requires_grad=True) for start in starts]
    theirs = [torch.tensor(start, requires_grad=True) for start in starts]
    optimizer, t_optimizer = getattr(tinynn.optim, name)(ours, **kwargs), getattr(torch.optim, name)(theirs, **kwargs)
    for _ in range(20):
        for mine, other, target in zip(ours, theirs, targets):
            mine.grad = tinynn.tensor(_loss_grad(mine.numpy(), target))
            other.grad = torch.tensor(_loss_grad(other.detach().numpy(), target))
        optimizer.step()
        t_optimizer.step()
    for mine, other, start in zip(ours, theirs, starts):
        assert not np.allclose(mine.numpy(), start)
        assert_close(mine, other, rtol=1e-10, atol=1e-12, what=f"{name} {kwargs}")
    resumed = [tinynn.tensor(p.numpy(), requires_grad=True) for p in ours]
    again = getattr(tinynn.optim, name)(resumed, **kwargs)
    again.load_state_dict(optimizer.state_dict())
    for optim, params in ((optimizer, ours), (again, resumed)):
        for param, target in zip(params, targets):
            param.grad = tinynn.tensor(_loss_grad(param.numpy(), target))
        optim.step()
    for a, b in zip(ours, resumed):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_muon_orthogonalizes_its_step():
    """The singular values of one step end near 1 (between about 0.5 and 1.5), from a gradient's
    spread over a factor of 10 (five quintic steps lift a relative singular value of 0.03 to about 1)."""
    rng = np.random.default_rng(0)
    gradient = np.linalg.qr(rng.standard_normal((8, 5)))[0] @ np.diag([10.0, 5.0, 2.0, 1.0, 1.0])
    param = tinynn.tensor(np.zeros((8, 5)), requires_grad=True)
    optimizer = tinynn.optim.Muon([param], lr=1.0, weight_decay=0.0, momentum=0.0, nesterov=False)
    param.grad = tinynn.tensor(gradient)
    optimizer.step()
    singular_values = np.linalg.svd(-param.numpy() / np.sqrt(8 / 5), compute_uv=False)
    assert 0.5 < singular_values.min() and singular_values.max() < 1.5


def test_adafactor_and_muon_refuse_what_they_cannot_do():
    with pytest.raises(ValueError, match=r"Muon only supports 2-D parameters, got one of shape \(3,\)"):
        tinynn.optim.Muon([tinynn.zeros(3, requires_grad=True)])
    with pytest.raises(ValueError, match="Muon: adjust_lr_fn must be"):
        tinynn.optim.Muon([tinynn.zeros(2, 2, requires_grad=True)], adjust_lr_fn="sqrt")
    with pytest.raises(ValueError, match="Adafactor: there is no foreach path"):
        tinynn.optim.Adafactor([tinynn.zeros(2, requires_grad=True)], foreach=True)
    with pytest.raises(ValueError, match="Adafactor: beta2_decay must be a number <= 0, got 0.5"):
        tinynn.optim.Adafactor([tinynn.zeros(2, requires_grad=True)], beta2_decay=0.5)


@pytest.mark.parametrize("name", ["SGD", "Adam", "LBFGS"])
def test_optimizer_hooks_run_as_torchs(torch, name):
    def record(library):
        param = library.nn.Parameter(library.ones(3))
        optimizer = getattr(library.optim, name)([param], lr=0.1)
        log = []

        def closure():
            optimizer.zero_grad()
            loss = (param * param).sum()
            loss.backward()
            return loss
        pre = optimizer.register_step_pre_hook(lambda o, args, kwargs: log.append(("pre", len(args), args[0] is o)))
        optimizer.register_step_post_hook(lambda o, args, kwargs: log.append(("post", len(args))))
        optimizer.register_state_dict_pre_hook(lambda o: log.append(("state_dict pre",)))
        optimizer.register_state_dict_post_hook(lambda o, state: log.append(("state_dict post", sorted(state))))
        optimizer.register_load_state_dict_pre_hook(lambda o, state: log.append(("load pre", sorted(state))))
        optimizer.register_load_state_dict_post_hook(lambda o: log.append(("load post",)), prepend=True)
        optimizer.step(closure)
        pre.remove()
        optimizer.step(closure)
        optimizer.load_state_dict(optimizer.state_dict())
        return log
    assert record(tinynn) == record(torch)


def test_a_step_pre_hook_may_replace_the_arguments():
    param = tinynn.nn.Parameter(tinynn.ones(2))
    optimizer = tinynn.optim.SGD([param], lr=0.5)
    param.grad = tinynn.ones(2)
    calls = []

    def replacement_closure():
        calls.append(True)
        return tinynn.tensor(3.0)
    optimizer.register_step_pre_hook(lambda o, args, kwargs: ((o,), {"closure": replacement_closure}))
    assert optimizer.step().item() == 3.0 and calls == [True]
    np.testing.assert_allclose(param.detach().numpy(), [0.5, 0.5])
    optimizer.register_state_dict_post_hook(lambda o, state: {**state, "note": "kept"})
    assert optimizer.state_dict()["note"] == "kept"


def test_global_step_hooks_run_for_every_optimizer_before_its_own(torch):
    def record(library):
        log = []
        module = importlib.import_module(f"{library.__name__}.optim.optimizer")
        handles = [module.register_optimizer_step_pre_hook(lambda o, a, k: log.append("global pre")),
                   module.register_optimizer_step_post_hook(lambda o, a, k: log.append("global post"))]
        try:
            for make in (library.optim.SGD, library.optim.Adam):
                param = library.nn.Parameter(library.ones(2))
                optimizer = make([param], lr=0.1)
                optimizer.register_step_pre_hook(lambda o, a, k: log.append("own pre"))
                param.grad = library.ones(2)
                optimizer.step()
        finally:
            for handle in handles:
                handle.remove()
        return log
    assert record(tinynn) == record(torch) == ["global pre", "own pre", "global post"] * 2
