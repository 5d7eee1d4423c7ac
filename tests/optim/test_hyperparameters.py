"""Optimizers' hyper-parameters (tinynn/optim/hyperparameters.py): a value out of range, NaN, a string, None, a pair
of the wrong length or a Tensor of several elements is refused with the optimizer's name, the hyper-parameter's name,
the range expected and the value given; every value PyTorch refuses is refused; edge values in range are taken."""
import math

import numpy as np
import pytest

import tinynn
from tinynn.optim.hyperparameters import pair

NAMES = ["SGD", "Adam", "AdamW", "Adamax", "NAdam", "RAdam", "RMSprop", "Rprop", "ASGD", "Adagrad", "Adadelta",
         "Adafactor", "SparseAdam", "LBFGS", "Muon"]
CANDIDATE_NUMBERS = [-1.0, math.nan, "0.1", None, 2.0, 0.0, math.inf, -math.inf]
CANDIDATE_PAIRS = [(0.9,), 0.9, "ab", (1.0, 0.9), (0.9, 1.0), (-0.1, 0.9), (math.nan, 0.9), (0.5, math.inf), (2.0, 0.5),
                   (0.5, 2.0), (None, 0.5), (0.5, None)]
# tinynn refuses these where PyTorch's constructors take them (and train on NaN, or fail at the first step)
STRICTER_THAN_TORCH = {("SGD", "lr", "nan"), ("SGD", "momentum", "nan"), ("SGD", "weight_decay", "nan"),
                       ("SGD", "dampening", "nan"), ("SGD", "dampening", "'0.1'"), ("SGD", "dampening", "None"),
                       ("RMSprop", "alpha", "2.0"), ("RMSprop", "alpha", "inf")} | {
    ("Rprop", "step_sizes", repr(v)) for v in [(0.9,), 0.9, "ab", (-0.1, 0.9), (math.nan, 0.9), (None, 0.5), (0.5, None)]} | {
    ("ASGD", name, v) for name in ("lambd", "t0") for v in ("-1.0", "nan", "'0.1'", "None", "-inf")} | {
    ("ASGD", "alpha", v) for v in ("nan", "'0.1'", "None")}


def parameter(library, name):
    return library.zeros(2, 2, requires_grad=True) if name == "Muon" else library.zeros(2, requires_grad=True)


def candidates():
    for name in NAMES:
        for hyperparameter, rule in getattr(tinynn.optim, name).HYPERPARAMETER_RANGES.items():
            for value in CANDIDATE_PAIRS if isinstance(rule, pair) else CANDIDATE_NUMBERS:
                yield name, hyperparameter, value


@pytest.mark.parametrize("name, hyperparameter, value", list(candidates()))
def test_what_torch_refuses_is_refused_by_name(torch, name, hyperparameter, value):
    try:
        getattr(torch.optim, name)([parameter(torch, name)], **{hyperparameter: value})
        torch_refuses = False
    except (ValueError, TypeError, IndexError):
        torch_refuses = True
    try:
        getattr(tinynn.optim, name)([parameter(tinynn, name)], **{hyperparameter: value})
    except ValueError as error:
        assert str(error).startswith(f"{name}: {hyperparameter}") and " must be " in str(error), str(error)
        if not isinstance(value, tuple):
            assert str(error).endswith(f"got {value!r}") or f"got {value!r} (a " in str(error), str(error)
        assert torch_refuses or (name, hyperparameter, repr(value)) in STRICTER_THAN_TORCH, str(error)
    else:
        assert not torch_refuses


@pytest.mark.parametrize("name, settings, message", [
    ("Adam", dict(lr=-1), "Adam: lr must be a number >= 0, got -1"),
    ("Adam", dict(lr=math.nan), "Adam: lr must be a number >= 0, got nan"),
    ("Adam", dict(lr="1e-3"), "Adam: lr must be a number >= 0, got '1e-3' (a str)"),
    ("AdamW", dict(betas=(0.9,)), "AdamW: betas must be a pair of two values, got (0.9,) (a tuple)"),
    ("Adam", dict(betas=(0.9, 1.0)), "Adam: betas[1] must be in [0, 1), got 1.0"),
    ("RMSprop", dict(alpha=1.5), "RMSprop: alpha must be in [0, 1], got 1.5"),
    ("Rprop", dict(etas=(0.5, 1.0)), "Rprop: etas[1] must be a number > 1, got 1.0"),
    ("Rprop", dict(etas=(0, 1.2)), "Rprop: etas[0] must be in (0, 1), got 0"),
    ("Adafactor", dict(d=0.5), "Adafactor: d must be a number >= 1, got 0.5"),
    ("Adafactor", dict(eps=(-1, 1e-3)), "Adafactor: eps[0] must be a number >= 0, got -1"),
    ("SparseAdam", dict(lr=0), "SparseAdam: lr must be a number > 0, got 0"),
    ("SGD", dict(lr=np.float32("nan")), "SGD: lr must be a number >= 0, got nan (a float32)"),
    ("Muon", dict(momentum=-0.5), "Muon: momentum must be a number >= 0, got -0.5"),
])
def test_messages_name_the_value_and_the_range(name, settings, message):
    with pytest.raises(ValueError) as error:
        getattr(tinynn.optim, name)([parameter(tinynn, name)], **settings)
    assert str(error.value) == message


def test_tensor_learning_rates_must_hold_one_number():
    optimizer = tinynn.optim.SGD([parameter(tinynn, "SGD")], lr=tinynn.tensor(0.5))
    assert float(optimizer.param_groups[0]["lr"]) == 0.5
    with pytest.raises(ValueError, match=r"SGD: lr must be a number >= 0, got a Tensor of shape \(2,\)"):
        tinynn.optim.SGD([parameter(tinynn, "SGD")], lr=tinynn.tensor([0.1, 0.2]))
    with pytest.raises(ValueError, match=r"SGD: lr must be a number >= 0, got -0.5 \(a one-element Tensor\)"):
        tinynn.optim.SGD([parameter(tinynn, "SGD")], lr=tinynn.tensor([-0.5]))


def test_each_parameter_groups_own_values_are_checked():
    first, second = tinynn.zeros(2, requires_grad=True), tinynn.zeros(3, requires_grad=True)
    with pytest.raises(ValueError, match=r"Adam: lr must be a number >= 0 in parameter group 1, got -0.1"):
        tinynn.optim.Adam([{"params": [first]}, {"params": [second], "lr": -0.1}])
    optimizer = tinynn.optim.Adam([first])
    with pytest.raises(ValueError, match=r"Adam: betas\[0\] must be in \[0, 1\) in parameter group 1, got nan"):
        optimizer.add_param_group({"params": [second], "betas": (math.nan, 0.9)})
    assert len(optimizer.param_groups) == 1


def test_edge_values_in_range_are_taken_and_pairs_kept_as_tuples():
    optimizer = tinynn.optim.Adam([parameter(tinynn, "Adam")], lr=0, betas=[0, 0.999], eps=0)
    assert optimizer.defaults["betas"] == (0, 0.999) and optimizer.param_groups[0]["betas"] == (0, 0.999)
    optimizer.add_param_group({"params": [tinynn.zeros(1, requires_grad=True)], "betas": [0.5, 0.5]})
    assert optimizer.param_groups[1]["betas"] == (0.5, 0.5)
    tinynn.optim.Adafactor([parameter(tinynn, "Adafactor")], eps=(None, 0), d=1, beta2_decay=0)
    tinynn.optim.Rprop([parameter(tinynn, "Rprop")], etas=(1e-9, 1 + 1e-9), step_sizes=(0, 0))
    tinynn.optim.SGD([parameter(tinynn, "SGD")], lr=np.float32(0.1), momentum=True, dampening=-1.0)
