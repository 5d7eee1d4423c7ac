"""In-place ops under autograd (tinynn/autograd/in_place.py): recorded writes give PyTorch's values and
gradients (first and second order, finite differences), a backward that would read an overwritten value
refuses to run as PyTorch's does, tensors changed through a shared view are refused when used, and
nothing is refused that PyTorch runs in the common patterns (inplace activations, chunks, residual adds)."""
import gc
import re

import numpy as np
import pytest
from hypothesis import assume, given, settings, strategies as st

import tinynn
from tinynn import nn
from tinynn.autograd import gradcheck, gradgradcheck, in_place
from tinynn.nn import functional as F

from helpers import assert_close, leaf

VALUES = np.array([[0.7, -1.3, 2.1, 0.4], [-0.6, 1.7, -2.4, 0.9], [1.2, -0.2, 0.5, -1.8]])
POSITIVE = np.abs(VALUES) + 0.3
OTHER = np.array([[0.3, 1.1, -0.7, 2.0], [1.4, -0.5, 0.8, -1.2], [-0.9, 0.6, 1.3, 0.2]])

# (method, arguments): "w" is an operand tensor that requires grad, "mask"/"index" constants
FORMS = [
    ("add_", ("w",)), ("add_", ("w",), {"alpha": -2.5}), ("sub_", ("w",)), ("mul_", ("w",)), ("div_", ("w+",)),
    ("mul_", (3.0,)), ("clamp_", (-0.5, 1.0)), ("masked_fill_", ("mask", -4.0)), ("copy_", ("w",)),
    ("copy_", ("row",)), ("fill_", ("scalar",)), ("exp_", ()), ("sigmoid_", ()), ("tanh_", ()), ("relu_", ()),
    ("sqrt_", ()), ("log_", ()), ("reciprocal_", ()), ("pow_", (3,)), ("pow_", ("w",)), ("abs_", ()),
    ("lerp_", ("w", 0.3)), ("addcmul_", ("w", "w"), {"value": 0.5}), ("addcdiv_", ("w", "w+")),
    ("clamp_min_", (0.2,)), ("hypot_", ("w",)), ("atan2_", ("w",)), ("index_fill_", (1, "index", -1.0)),
    ("index_add_", (1, "index", "columns")), ("index_copy_", (1, "index", "columns")),
    ("masked_scatter_", ("mask", "w")), ("scatter_add_", (1, "index2d", "columns")),
]


def _argument(library, arg, device, torch_module=None):
    """(tinynn value, torch value) of a form's argument; tensors that require grad are returned too."""
    arrays = {"w": OTHER, "w+": np.abs(OTHER) + 0.5, "row": OTHER[1], "scalar": np.array(1.75),
              "columns": OTHER[:, :2]}
    if arg in arrays:
        return leaf(arrays[arg], device) if library == "tinynn" else torch_module.tensor(arrays[arg], requires_grad=True)
    constants = {"mask": VALUES > 0.5, "index": np.array([2, 0]), "index2d": np.array([[0, 1], [2, 3], [1, 0]])}
    if isinstance(arg, str) and arg in constants:
        return (tinynn.tensor(constants[arg], device=device) if library == "tinynn"
                else torch_module.tensor(constants[arg]))
    return arg


@pytest.mark.parametrize("form", FORMS, ids=lambda form: form[0] + "".join(map(str, form[1])))
def test_recorded_in_place_forms_give_pytorchs_values_and_gradients(form, torch, device):
    name, args = form[0], form[1]
    kwargs = form[2] if len(form) > 2 else {}
    base = POSITIVE if name in ("sqrt_", "log_", "pow_") else VALUES
    ours_leaf, theirs_leaf = leaf(base, device), torch.tensor(base, requires_grad=True)
    ours_args = [_argument("tinynn", a, device) for a in args]
    theirs_args = [_argument("torch", a, device, torch) for a in args]
    ours, theirs = ours_leaf * 1.5, theirs_leaf * 1.5
    before = ours._array
    assert getattr(ours, name)(*ours_args, **kwargs) is ours and ours._array is before  # the same memory
    getattr(theirs, name)(*theirs_args, **kwargs)
    assert_close(ours, theirs.detach(), rtol=1e-12, atol=1e-12, what=name)
    weights = np.arange(12.0).reshape(3, 4) / 7 - 0.8
    (ours * tinynn.tensor(weights, device=device)).sum().backward()
    (theirs * torch.tensor(weights)).sum().backward()
    assert_close(ours_leaf.grad, theirs_leaf.grad, rtol=1e-10, atol=1e-12, what=f"{name} input gradient")
    for ours_arg, theirs_arg in zip(ours_args, theirs_args):
        if isinstance(ours_arg, tinynn.Tensor) and ours_arg.requires_grad:
            assert_close(ours_arg.grad, theirs_arg.grad, rtol=1e-10, atol=1e-12, what=f"{name} operand gradient")


INDICES = {"int pair": (1, 2), "column": (slice(None), 1), "block": (slice(0, 2), slice(1, None)),
           "mask": VALUES > 0.5, "rows": np.array([2, 0]), "ellipsis and list": (Ellipsis, [0, 3]), "new axis": (None, 1)}


@pytest.mark.parametrize("kind", list(INDICES))
def test_item_assignment_is_recorded_as_pytorchs(kind, torch, device):
    index = INDICES[kind]
    tensor_index = isinstance(index, np.ndarray)
    ours_index = tinynn.tensor(index, device=device) if tensor_index else index
    theirs_index = torch.tensor(index) if tensor_index else index
    shape = np.empty((3, 4))[index].shape
    value = np.linspace(-1, 1, shape[-1] if shape else 1).reshape(shape[-1:])  # broadcast over the leading axes
    ours_leaf, theirs_leaf = leaf(VALUES, device), torch.tensor(VALUES, requires_grad=True)
    ours_value, theirs_value = leaf(value, device), torch.tensor(value, requires_grad=True)
    ours, theirs = ours_leaf * 1.5, theirs_leaf * 1.5
    ours[ours_index] = ours_value * 2
    theirs[theirs_index] = theirs_value * 2
    assert_close(ours, theirs.detach(), rtol=1e-12, what="values")
    (ours * ours).sum().backward()
    (theirs * theirs).sum().backward()
    assert_close(ours_leaf.grad, theirs_leaf.grad, rtol=1e-10, what="the tensor's gradient")
    assert_close(ours_value.grad, theirs_value.grad, rtol=1e-10, what="the value's gradient")


def test_in_place_chains_pass_gradcheck_and_gradgradcheck(device):
    def chain(a, w):  # (no write after sigmoid_ or tanh_: their backward reads their output, as PyTorch's)
        x = a * 1.0
        x.mul_(w)
        x[0] = w[1] ** 2
        x.add_(a.exp(), alpha=0.5).tanh_()
        return x * w

    inputs = (leaf(VALUES / 2, device), leaf(OTHER / 2, device))
    assert gradcheck(chain, inputs)
    assert gradgradcheck(chain, inputs)


def test_ops_that_used_the_old_value_keep_their_gradient(torch):
    """y = 2x, then x *= 3: y's gradient still flows through the old x (the stand-in), and x's through *3."""
    ours_leaf, theirs_leaf = leaf(VALUES), torch.tensor(VALUES, requires_grad=True)
    results = []
    for library_leaf in (ours_leaf, theirs_leaf):
        x = library_leaf * 1.0
        y = x * 2 + x.sigmoid()
        x.mul_(3)
        results.append((y * x).sum())
    results[0].backward()
    results[1].backward()
    assert_close(ours_leaf.grad, theirs_leaf.grad, rtol=1e-12)


def test_a_backward_that_would_read_an_overwritten_value_refuses_as_pytorch_does(torch):
    cases = {
        "an input kept by mul": lambda lib, a: _kept_input(a),
        "an output kept by sigmoid": lambda lib, a: _kept_output(a),
        "a write through a view": lambda lib, a: _kept_then_view_written(a),
    }
    for what, case in cases.items():
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            case(torch, torch.tensor(VALUES, requires_grad=True)).backward()
        with pytest.raises(RuntimeError, match=r"backward through (Mul|Sigmoid): a value it kept for its gradient was "
                                               r"overwritten in place after the forward pass \((add_|mul_) wrote"):
            case(tinynn, leaf(VALUES)).backward()


def _kept_input(a):
    x = a * 1.0
    y = (x * x).sum()
    x.add_(1)
    return y


def _kept_output(a):
    y = a.sigmoid()
    y.mul_(2)
    return y.sum()


def _kept_then_view_written(a):
    x = a * 1.0
    y = (x * a).sum()
    x[0].mul_(2)
    return y


def test_the_refusal_comes_before_any_gradient_is_added():
    a, b = leaf(VALUES), leaf(OTHER)
    x = a * 1.0
    loss = (x * x).sum() + (b * 2).sum()
    x.add_(1)
    with pytest.raises(RuntimeError, match="backward through Mul"):
        loss.backward()
    assert a.grad is None and b.grad is None


def test_an_optimizer_step_between_forward_and_backward_is_caught(torch):
    """The classic mistake (two losses through one graph, a step between): PyTorch refuses it, so do we."""
    for library in (tinynn, torch):
        model = library.nn.Linear(4, 3).double()
        optimizer = library.optim.SGD(model.parameters(), lr=0.1)
        hidden = model(library.tensor(VALUES, requires_grad=True))  # so the backward needs the weight
        first, second = hidden.sum(), (hidden * hidden).sum()
        first.backward(retain_graph=True)
        optimizer.step()
        with pytest.raises(RuntimeError, match="modified by an inplace operation|SGD.step updated a parameter"):
            second.backward()


def test_loading_weights_into_a_model_whose_graph_is_alive_is_caught():
    model = nn.Linear(4, 3).to(dtype=np.float64)
    loss = (model(leaf(VALUES)) ** 2).sum()  # the input's gradient needs the weight
    model.load_state_dict({k: v * 2 for k, v in model.state_dict().items()})
    with pytest.raises(RuntimeError, match="load_state_dict wrote 'weight'"):
        loss.backward()


def test_writes_that_touch_no_kept_value_are_not_refused(torch):
    """Chunks written one by one (an LSTM's gates), a residual add into a batch norm's output, a ReLU in
    place after a convolution: PyTorch runs all of these, and so must we, with its gradients."""
    def gates(a, in_place_writes):  # (PyTorch refuses both: writes into chunk's outputs, or into slices of one
        x = a * 1.0                  # tensor whose other slices a backward kept, since its versions are per tensor)
        i, f, g, o = (x[:, k:k + 1] for k in range(4))
        if in_place_writes:
            i.sigmoid_(), f.sigmoid_(), g.tanh_(), o.sigmoid_()
        else:
            i, f, g, o = i.sigmoid(), f.sigmoid(), g.tanh(), o.sigmoid()
        return (f * i + i * g * o).sum()

    written, plain = leaf(VALUES), leaf(VALUES)
    gates(written, True).backward()
    gates(plain, False).backward()
    assert_close(written.grad, plain.grad, rtol=1e-12)

    images = np.linspace(-2, 2, 2 * 3 * 5 * 5).reshape(2, 3, 5, 5)
    tinynn.manual_seed(0)
    ours = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(inplace=True),
                         nn.Conv2d(4, 4, 3, padding=1), nn.ReLU(inplace=True)).to(dtype=np.float64)
    theirs = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3, padding=1), torch.nn.BatchNorm2d(4),
                                 torch.nn.ReLU(inplace=True), torch.nn.Conv2d(4, 4, 3, padding=1),
                                 torch.nn.ReLU(inplace=True)).double()
    theirs.load_state_dict({k: torch.tensor(v.numpy()) for k, v in ours.state_dict().items()})
    x, tx = leaf(images), torch.tensor(images, requires_grad=True)
    out, t_out = ours[:2](x), theirs[:2](tx)
    out += x.sum(1, keepdim=True)  # a residual connection written into the batch norm's output
    t_out += tx.sum(1, keepdim=True)
    out, t_out = ours[2:](out), theirs[2:](t_out)
    (out * out).sum().backward()
    (t_out * t_out).sum().backward()
    assert_close(out, t_out.detach(), rtol=1e-10)
    assert_close(x.grad, tx.grad, rtol=1e-9, atol=1e-12)
    for (name, p), t_p in zip(ours.named_parameters(), theirs.parameters()):
        assert_close(p.grad, t_p.grad, rtol=1e-9, atol=1e-11, what=name)


def test_writes_through_views_rewrite_the_history_of_every_tensor_sharing_the_memory_as_pytorch(torch, device):
    """A row, a column and a slice of the flattened tensor, written one after another and overlapping:
    the base, and each view, end with PyTorch's values and gradients (its CopySlices)."""
    def program(a, w):
        b = a * 2
        row, column = b[0], b[:, 1]
        row.mul_(w[0])
        column.add_(3)
        b.view(-1)[5:8].sigmoid_()
        return (b * b).sum() + (column * 2).sum() + row.exp().sum()

    ours_a, ours_w = leaf(VALUES, device), leaf(OTHER, device)
    theirs_a, theirs_w = torch.tensor(VALUES, requires_grad=True), torch.tensor(OTHER, requires_grad=True)
    ours, theirs = program(ours_a, ours_w), program(theirs_a, theirs_w)
    ours.backward()
    theirs.backward()
    assert_close(ours, theirs.detach(), rtol=1e-12)
    assert_close(ours_a.grad, theirs_a.grad, rtol=1e-11, atol=1e-12)
    assert_close(ours_w.grad, theirs_w.grad, rtol=1e-11, atol=1e-12)


def test_a_write_through_a_view_made_without_grad_rewrites_the_base_too():
    """(PyTorch refuses this one; tinynn gives the base a history in which the view's old values are
    constants, as they were made under no_grad.)"""
    a, w = leaf(VALUES[:2, :3]), leaf([2.0, 3.0, 4.0])
    b = a * 2
    with tinynn.no_grad():
        row = b[0]
    row.mul_(w)
    (b * b).sum().backward()
    np.testing.assert_allclose(b.numpy()[0], 2 * VALUES[0, :3] * [2.0, 3.0, 4.0])
    np.testing.assert_allclose(a.grad.numpy(), [[0.0] * 3, 8 * VALUES[1, :3]])  # row 0 is now a constant times w
    np.testing.assert_allclose(w.grad.numpy(), 2 * (2 * VALUES[0, :3] * [2.0, 3.0, 4.0]) * (2 * VALUES[0, :3]))


def test_augmented_assignment_into_an_index_is_recorded(torch):
    """``x[:, 0] += v`` is x.__setitem__(i, x.__getitem__(i).__iadd__(v)): a write through a view, then
    the same memory written again."""
    ours_a, theirs_a = leaf(VALUES), torch.tensor(VALUES, requires_grad=True)
    for a in (ours_a, theirs_a):
        x = a.exp()
        x = x * 1.0
        x[:, 0] += a[:, 1] * 3
        x[1] *= 2
        alias = x
        x += 1  # in place: the alias sees it
        assert alias is x
        (x * x).sum().backward()
    assert_close(ours_a.grad, theirs_a.grad, rtol=1e-12)


def test_leaves_that_require_grad_are_protected_directly_and_through_views():
    weight = leaf(VALUES)
    with pytest.raises(RuntimeError, match=r"add_: a leaf tensor that requires grad \(shape \(3, 4\)\) cannot be changed"):
        weight.add_(1)
    with pytest.raises(RuntimeError, match=r"mul_: this tensor \(shape \(4,\)\) is a view of a leaf tensor that "
                                           r"requires grad \(shape \(3, 4\)\)"):
        weight[1].mul_(2)
    with pytest.raises(RuntimeError, match=r"x\[index\] = value: a leaf tensor that requires grad"):
        weight[0, 0] = 1.0
    with tinynn.no_grad():
        weight[1].mul_(2)
        weight.add_(1)
    np.testing.assert_allclose(weight.numpy()[1], VALUES[1] * 2 + 1)


def test_bad_in_place_writes_are_clear_errors():
    with pytest.raises(RuntimeError, match=r"add_: the result has shape \(2, 3\), which cannot be written into a "
                                           r"tensor of shape \(3,\)"):
        tinynn.zeros(3).add_(tinynn.zeros(2, 3))
    with pytest.raises(RuntimeError, match="sqrt_: the result is float32, which cannot be written into a tensor of "
                                           "dtype int64"):
        tinynn.tensor([4, 9]).sqrt_()
    with pytest.raises(RuntimeError, match=r"add_: more than one element of this tensor \(shape \(2, 3\)\) refers to "
                                           "a single memory location"):
        tinynn.zeros(3).expand(2, 3).add_(1)
    integers = tinynn.tensor([4, 9])
    integers.add_(3)  # int into int is fine
    assert integers.tolist() == [7, 12]


@pytest.mark.parametrize("layer", ["ReLU", "ReLU6", "LeakyReLU", "ELU", "SELU", "CELU", "Hardtanh", "Hardsigmoid",
                                   "Hardswish", "SiLU", "Mish", "Threshold", "RReLU", "Dropout", "AlphaDropout"])
def test_inplace_layers_write_into_their_input_exactly_as_the_plain_ones_compute(layer, torch, device):
    """(The plain layers are compared with PyTorch's in tests/nn; their reprs are PyTorch's here.)"""
    args = {"Threshold": (0.1, -2.0), "Dropout": (0.0,), "AlphaDropout": (0.0,)}.get(layer, ())
    assert repr(getattr(nn, layer)(*args, inplace=True)) == repr(getattr(torch.nn, layer)(*args, inplace=True))
    results = []
    for inplace in (True, False):
        module = getattr(nn, layer)(*args, inplace=inplace).eval()  # (RReLU's mean slope: deterministic)
        x = leaf(VALUES, device)
        hidden = x * 2
        out = module(hidden)
        assert out is hidden or not inplace
        (out * out.exp()).sum().backward()
        results.append((out.numpy(), x.grad.numpy()))
    for written, plain in zip(*results):
        np.testing.assert_array_equal(written, plain)


def test_inplace_dropout_in_training_writes_the_mask_into_the_input(device):
    x = leaf(np.ones((50, 40)), device) * 1.0
    data = x._array
    out = F.dropout(x, 0.25, training=True, inplace=True)
    assert out is x and out._array is data
    kept = out.numpy() != 0
    np.testing.assert_allclose(out.numpy()[kept], 1 / 0.75, rtol=1e-6)
    out.sum().backward()


def test_a_model_with_inplace_layers_trains_exactly_as_without(device):
    def model(inplace):
        tinynn.manual_seed(3)
        return nn.Sequential(nn.Linear(6, 8), nn.ReLU(inplace), nn.Linear(8, 8), nn.Hardtanh(inplace=inplace),
                             nn.Linear(8, 2)).to(device)

    batches = [tinynn.randn(5, 6, device=device) for _ in range(3)]
    trained = []
    for inplace in (False, True):
        net = model(inplace)
        optimizer = tinynn.optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
        for batch in batches:
            optimizer.zero_grad()
            (net(batch) ** 2).mean().backward()
            optimizer.step()
        trained.append([p.numpy() for p in net.parameters()])
    for without, with_inplace in zip(*trained):
        np.testing.assert_array_equal(without, with_inplace)


def test_the_bookkeeping_stays_bounded_over_many_steps():
    gc.collect()
    in_place._sweep()  # from whatever earlier tests left: the limit follows what is alive
    net = nn.Sequential(nn.Linear(4, 4), nn.ReLU(inplace=True), nn.Linear(4, 1)).to(dtype=np.float64)
    optimizer = tinynn.optim.SGD(net.parameters(), lr=0.01)
    x = tinynn.tensor(VALUES)
    for step in range(3000):
        optimizer.zero_grad()
        net(x).sum().backward()
        optimizer.step()
    gc.collect()
    assert len(in_place._savers) + len(in_place._tensors) <= in_place._registry_limit[0] <= 8192
    assert all(len(p._users) < 64 for p in net.parameters())


def test_squeeze_unsqueeze_and_t_in_place_are_recorded(torch):
    ours_leaf, theirs_leaf = leaf(VALUES), torch.tensor(VALUES, requires_grad=True)
    for library_leaf in (ours_leaf, theirs_leaf):
        x = library_leaf * 1.0
        x.t_()
        x.unsqueeze_(0)
        (x * library_leaf.t().unsqueeze(0).exp()).sum().backward()
    assert_close(ours_leaf.grad, theirs_leaf.grad, rtol=1e-12)


# ----- any program of writes and uses: never a silently wrong gradient -----------------------------
FIRST_ROW, ROW, COLUMNS = np.array([[True], [False], [False]]), np.array([[False], [True], [False]]), \
    np.array([False, True, True, False])
WRITES = {  # name: (the write in place, in tinynn or PyTorch; the same value computed out of place)
    "add_": (lambda lib, x, a, w: x.add_(w), lambda x, a, w: x + w),
    "mul_ number": (lambda lib, x, a, w: x.mul_(1.3), lambda x, a, w: x * 1.3),
    "mul_ tensor": (lambda lib, x, a, w: x.mul_(w), lambda x, a, w: x * w),
    "sub_ exp": (lambda lib, x, a, w: x.sub_(a.exp(), alpha=0.5), lambda x, a, w: x - a.exp() * 0.5),
    "relu_": (lambda lib, x, a, w: x.relu_(), lambda x, a, w: x.relu()),
    "sigmoid_": (lambda lib, x, a, w: x.sigmoid_(), lambda x, a, w: x.sigmoid()),
    "tanh_": (lambda lib, x, a, w: x.tanh_(), lambda x, a, w: x.tanh()),
    "clamp_": (lambda lib, x, a, w: x.clamp_(-0.5, 0.8), lambda x, a, w: x.clamp(-0.5, 0.8)),
    "masked_fill_": (lambda lib, x, a, w: x.masked_fill_(lib.tensor(VALUES > 0), 0.25),
                     lambda x, a, w: tinynn.where(tinynn.tensor(VALUES > 0), 0.25, x)),
    "row = value": (lambda lib, x, a, w: x.__setitem__(1, w[0] * 2),
                    lambda x, a, w: tinynn.where(tinynn.tensor(ROW), (w[0] * 2).expand(3, 4), x)),
    "columns = number": (lambda lib, x, a, w: x.__setitem__((slice(None), slice(1, 3)), 0.5),
                         lambda x, a, w: tinynn.where(tinynn.tensor(COLUMNS), 0.5, x)),
    "row view *= 2": (lambda lib, x, a, w: x[0].mul_(2), lambda x, a, w: tinynn.where(tinynn.tensor(FIRST_ROW), x * 2, x)),
    "x += x[1]": (lambda lib, x, a, w: x.__iadd__(x[1]), lambda x, a, w: x + x[1]),
}
USES = {"x * w": lambda x, w: x * w, "sigmoid": lambda x, w: x.sigmoid(), "x * x": lambda x, w: x * x,
        "row sum": lambda x, w: x.sum(1, keepdim=True) * w, "exp": lambda x, w: x.exp(), "row 2": lambda x, w: x[2] * 3}
PROGRAMS = st.lists(st.one_of(st.tuples(st.just("write"), st.sampled_from(sorted(WRITES))),
                              st.tuples(st.just("use"), st.sampled_from(sorted(USES)))), min_size=1, max_size=8)


def _run(program, lib, in_place=True):
    """The program's loss and the gradients of its two leaves; ``in_place=False``: in tinynn, every
    write computed out of place instead."""
    a, w = lib.tensor(VALUES, requires_grad=True), lib.tensor(OTHER, requires_grad=True)
    x = a * 1.0
    uses = []
    for kind, name in program:
        if kind == "use":
            uses.append(USES[name](x, w))
        elif in_place:
            WRITES[name][0](lib, x, a, w)
        else:
            x = WRITES[name][1](x, a, w)
    loss = (x * lib.tensor(OTHER[::-1].copy())).sum()
    for use in uses:
        loss = loss + use.sum()
    loss.backward()
    return (loss.item(), *(np.zeros((3, 4)) if leaf_.grad is None else leaf_.grad.numpy() for leaf_ in (a, w)))


@given(program=PROGRAMS)
@settings(max_examples=60)
def test_any_program_of_writes_and_uses_gives_the_out_of_place_gradients_or_refuses(program):
    expected = _run(program, tinynn, in_place=False)
    try:
        result = _run(program, tinynn)
    except RuntimeError as error:
        assert re.match(r"backward through \w+: a value it kept for its gradient was overwritten in place", str(error))
        return
    assert result[0] == pytest.approx(expected[0], rel=1e-12)
    np.testing.assert_allclose(result[1], expected[1], rtol=1e-11, atol=1e-12)
    np.testing.assert_allclose(result[2], expected[2], rtol=1e-11, atol=1e-12)


@given(program=PROGRAMS)
@settings(max_examples=60)
def test_a_program_is_refused_exactly_when_pytorch_refuses_it(program, torch):
    # PyTorch refuses x += x[1] in the forward pass (the operand overlaps the memory written); tinynn
    # computes it out of place first, so it is right (the test above)
    assume(("write", "x += x[1]") not in program)
    outcomes = []
    for lib in (tinynn, torch):
        try:
            outcomes.append(_run(program, lib))
        except RuntimeError:
            outcomes.append(None)
    assert (outcomes[0] is None) == (outcomes[1] is None), f"tinynn {'refused' if outcomes[0] is None else 'ran'}"
    if outcomes[0] is not None:
        np.testing.assert_allclose(outcomes[0][1], outcomes[1][1], rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(outcomes[0][2], outcomes[1][2], rtol=1e-10, atol=1e-12)


def test_a_hand_written_sgd_step_updates_the_parameters_themselves(torch):
    """PyTorch's tutorial loop, ``with no_grad(): p -= lr * p.grad``: the module's parameters change
    (before ``-=`` was in place, it rebound the loop variable and the model never learned)."""
    ours, theirs = nn.Linear(4, 3).to(dtype=np.float64), torch.nn.Linear(4, 3).double()
    theirs.load_state_dict({k: torch.tensor(v.numpy()) for k, v in ours.state_dict().items()})
    for library, model in ((tinynn, ours), (torch, theirs)):
        for _ in range(3):
            loss = (model(library.tensor(VALUES)) ** 2).mean()
            model.zero_grad()
            loss.backward()
            with library.no_grad():
                for parameter in model.parameters():
                    parameter -= 0.1 * parameter.grad
    for (name, p), t_p in zip(ours.named_parameters(), theirs.parameters()):
        assert_close(p, t_p.detach(), rtol=1e-12, what=name)


@pytest.mark.parametrize("operator", ["+=", "-=", "*=", "/=", "**=", "//=", "%=", "&=", "|=", "^="])
def test_every_augmented_assignment_writes_in_place_as_pytorchs(operator, torch, device):
    logical = operator in ("&=", "|=", "^=")
    start, operand = ([True, False, True, False], [True, True, False, False]) if logical else ([5.0, -7.5, 3.0, 0.5], 2.0)
    ours, theirs = tinynn.tensor(start, device=device), torch.tensor(start)
    alias = ours
    namespace = {"ours": ours, "theirs": theirs, "ours_operand": tinynn.tensor(operand, device=device) if logical
                 else operand, "theirs_operand": torch.tensor(operand) if logical else operand}
    exec(f"ours {operator} ours_operand\ntheirs {operator} theirs_operand", namespace)
    assert namespace["ours"] is alias  # the same tensor, written in place
    assert namespace["ours"].tolist() == pytest.approx(namespace["theirs"].tolist(), rel=1e-6)


def test_version_counters_count_in_place_writes_as_pytorchs(torch):
    """Tensor._version: shared by views, 0 for a new result, up by one per in-place write (under no_grad,
    by indexing, by an optimizer's step, by load_state_dict), as PyTorch's."""
    counts = []
    for library in (tinynn, torch):
        x = library.ones(4)
        seen = [x._version]
        x.add_(1)
        seen.append(x._version)
        view = x[1:3]
        view.mul_(2)
        seen += [x._version, view._version, (x * 2)._version]
        with library.no_grad():
            x.zero_()
        x[0] = 5
        seen.append(x._version)
        parameter = library.nn.Parameter(library.ones(3))
        optimizer = library.optim.SGD([parameter], lr=0.1)
        (parameter * 2).sum().backward()
        before = parameter._version
        optimizer.step()
        layer = library.nn.Linear(2, 2)
        loaded = layer.weight._version
        layer.load_state_dict(layer.state_dict())
        counts.append((seen, parameter._version > before, layer.weight._version > loaded))
    assert counts[0] == counts[1] == ([0, 1, 2, 2, 0, 4], True, True)
