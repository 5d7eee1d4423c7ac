"""The out= argument of module-level functions (tinynn.<op>, tinynn.linalg.<op>, tinynn.special.<op>),
as PyTorch's: the result written into out (resized, with PyTorch's warning, when its shape differs),
out returned, tuples for several results, dtype conversion where PyTorch allows it, and no history:
refused where a result would require grad."""
import warnings

import numpy as np
import pytest

import tinynn
from helpers import assert_close, use_device

CASES = {
    "add": (lambda lib, a, b: dict(args=(a, b)), (3, 4)),
    "matmul": (lambda lib, a, b: dict(args=(a, b.mT)), (3, 3)),
    "cat": (lambda lib, a, b: dict(args=([a, b],), kwargs=dict(dim=1)), (3, 8)),
    "sum": (lambda lib, a, b: dict(args=(a,), kwargs=dict(dim=1)), (3,)),
    "exp": (lambda lib, a, b: dict(args=(a,)), (3, 4)),
    "where": (lambda lib, a, b: dict(args=(a > b, a, b)), (3, 4)),
    "clamp": (lambda lib, a, b: dict(args=(a,), kwargs=dict(min=-0.5, max=0.5)), (3, 4)),
}


@pytest.mark.parametrize("name", CASES)
def test_results_are_written_into_out_as_torchs(torch, rng, name):
    a, b = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    make, shape = CASES[name]
    ours, theirs = tinynn.zeros(*shape, dtype=tinynn.float64), torch.zeros(shape, dtype=torch.float64)
    call = make(tinynn, tinynn.tensor(a), tinynn.tensor(b))
    returned = getattr(tinynn, name)(*call["args"], **call.get("kwargs", {}), out=ours)
    call = make(torch, torch.tensor(a), torch.tensor(b))
    getattr(torch, name)(*call["args"], **call.get("kwargs", {}), out=theirs)
    assert returned is ours
    assert_close(ours, theirs, rtol=1e-12, atol=1e-12, what=name)


def test_several_results_go_into_a_tuple_and_linalg_and_special_take_out(torch, rng):
    values = rng.standard_normal((3, 5))
    outs = (tinynn.zeros(3, 5, dtype=tinynn.float64), tinynn.zeros(3, 5, dtype=tinynn.int64))
    returned = tinynn.sort(tinynn.tensor(values), dim=1, out=outs)
    expected = torch.sort(torch.tensor(values), dim=1)
    assert returned is outs
    np.testing.assert_array_equal(outs[0].numpy(), expected.values.numpy())
    np.testing.assert_array_equal(outs[1].numpy(), expected.indices.numpy())
    matrix = values[:, :3] + 3 * np.eye(3)
    inverse = tinynn.zeros(3, 3, dtype=tinynn.float64)
    tinynn.linalg.inv(tinynn.tensor(matrix), out=inverse)
    assert_close(inverse, np.linalg.inv(matrix), rtol=1e-12, atol=1e-12)
    erf = tinynn.zeros(3, 5, dtype=tinynn.float64)
    tinynn.special.erf(tinynn.tensor(values), out=erf)
    assert_close(erf, torch.special.erf(torch.tensor(values)), rtol=1e-12, atol=1e-14)


def test_out_is_resized_converted_or_refused_as_torchs():
    x = tinynn.tensor([1.5, 2.5])
    empty = tinynn.zeros(0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an empty out is resized silently
        tinynn.mul(x, 2, out=empty)
    assert empty.shape == (2,) and empty.numpy().tolist() == [3.0, 5.0]
    full = tinynn.zeros(5)
    with pytest.warns(UserWarning, match=r"mul\(\): an output with one or more elements was resized since it had "
                                         r"shape \(5,\)"):
        tinynn.mul(x, 2, out=full)
    assert full.shape == (2,)
    wider = tinynn.zeros(2, dtype=tinynn.float64)
    tinynn.mul(x, 2, out=wider)
    assert wider.dtype == np.float64 and wider.numpy().tolist() == [3.0, 5.0]
    with pytest.raises(RuntimeError, match="result type float32 can't be cast to the desired output type int64"):
        tinynn.mul(x, 2, out=tinynn.zeros(2, dtype=tinynn.int64))
    with pytest.raises(TypeError, match=r"sort\(\): out= must be a tuple of 2 Tensors \(one per result\), got Tensor"):
        tinynn.sort(x, out=tinynn.zeros(2))


def test_out_records_no_history():
    leaf = tinynn.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="don't support automatic differentiation, but one of the arguments "
                                           "requires grad"):
        tinynn.mul(leaf, 2, out=tinynn.zeros(2))
    with pytest.raises(RuntimeError, match="out= tensors cannot require grad"):
        tinynn.mul(tinynn.ones(2), 2, out=tinynn.zeros(2, requires_grad=True))
    target = tinynn.zeros(2)
    with tinynn.no_grad():
        tinynn.mul(leaf, 3, out=target)
    assert target.numpy().tolist() == [3.0, 3.0] and not target.requires_grad
    assert tinynn.sum(tinynn.ones(3)).item() == 3  # without out=, as before


@pytest.mark.parametrize("kind", [pytest.param("cuda", marks=pytest.mark.gpu), "simulated-gpu"])
def test_out_on_another_device_is_named(kind, monkeypatch):
    device = use_device(kind, monkeypatch)
    with pytest.raises(RuntimeError, match="out= tensor 0 is on cpu, the result on gpu"):
        tinynn.add(tinynn.ones(2, device=device), 1, out=tinynn.zeros(2))
    on_device = tinynn.zeros(2, device=device)
    assert tinynn.add(tinynn.ones(2, device=device), 1, out=on_device).numpy().tolist() == [2.0, 2.0]
