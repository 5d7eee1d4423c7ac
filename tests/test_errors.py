"""tinynn/errors.py: a bad input is caught by the ``except`` clause PyTorch code writes for it
(RuntimeError for most op checks, IndexError, ValueError, TypeError for the others) and by the one
Python's convention writes (ValueError for a bad value, TypeError for a bad dtype)."""
import pytest

import tinynn
from tinynn.errors import DtypeError, IndexRangeError, InputError
from tinynn.linalg import LinAlgError


def test_each_error_is_both_conventions():
    assert issubclass(InputError, ValueError) and issubclass(InputError, RuntimeError)
    assert issubclass(DtypeError, TypeError) and issubclass(DtypeError, RuntimeError)
    assert issubclass(IndexRangeError, IndexError) and issubclass(IndexRangeError, RuntimeError)
    assert issubclass(LinAlgError, InputError)  # torch.linalg.LinAlgError is a RuntimeError too


def _bad_calls(T):
    """(name, bad call, the class PyTorch raises): ``T`` is torch or tinynn."""
    F, nn = T.nn.functional, T.nn
    a, b, v, img = T.ones(2, 3), T.ones(4, 5), T.ones(3), T.ones(1, 3, 8, 8)
    i, c = T.ones(2, 3, dtype=T.long), T.ones(2, dtype=T.complex64)
    return [
        ("add", lambda: a + b, RuntimeError),
        ("mul", lambda: a * T.ones(3, 3), RuntimeError),
        ("matmul", lambda: a @ b, RuntimeError),
        ("bmm of matrices", lambda: T.bmm(a, a), RuntimeError),
        ("view", lambda: a.view(7), RuntimeError),
        ("reshape", lambda: a.reshape(4, 2), RuntimeError),
        ("reshape -2", lambda: a.reshape(-2, 3), RuntimeError),
        ("expand", lambda: a.expand(3, 3), RuntimeError),
        ("cat", lambda: T.cat([a, b]), RuntimeError),
        ("stack", lambda: T.stack([a, b]), RuntimeError),
        ("Linear", lambda: nn.Linear(4, 2)(a), RuntimeError),
        ("Conv2d channels", lambda: nn.Conv2d(4, 2, 3)(img), RuntimeError),
        ("Conv2d kernel too big", lambda: nn.Conv2d(3, 2, 9)(img), RuntimeError),
        ("max_pool2d too big", lambda: F.max_pool2d(img, 9), RuntimeError),
        ("BatchNorm2d channels", lambda: nn.BatchNorm2d(4)(img), RuntimeError),
        ("LayerNorm", lambda: nn.LayerNorm(5)(a), RuntimeError),
        ("LSTM input size", lambda: nn.LSTM(4, 2)(T.ones(3, 1, 5)), RuntimeError),
        ("mse_loss shapes", lambda: F.mse_loss(a, b), RuntimeError),
        ("cross_entropy batch", lambda: F.cross_entropy(a, T.zeros(3, dtype=T.long)), ValueError),
        ("cross_entropy class", lambda: F.cross_entropy(a, T.tensor([0, 7])), IndexError),
        ("embedding index", lambda: nn.Embedding(3, 2)(T.tensor([5])), IndexError),
        ("gather index", lambda: a.gather(1, T.tensor([[9]])), RuntimeError),
        ("scatter index", lambda: T.zeros(3).scatter_(0, T.tensor([5]), 1.0), RuntimeError),
        ("one_hot class", lambda: F.one_hot(T.tensor([5]), 3), RuntimeError),
        ("index_select index", lambda: a.index_select(0, T.tensor([5])), IndexError),
        ("gather shape", lambda: a.gather(1, T.zeros(3, 5, dtype=T.long)), RuntimeError),
        ("split sizes", lambda: a.split([1, 1], dim=1), RuntimeError),
        ("chunk 0", lambda: a.chunk(0), RuntimeError),
        ("inv of a singular matrix", lambda: T.linalg.inv(T.zeros(2, 2)), RuntimeError),
        ("inv of a non-square matrix", lambda: T.linalg.inv(a), RuntimeError),
        ("cholesky of a matrix not positive definite", lambda: T.linalg.cholesky(-T.eye(2)), RuntimeError),
        ("dot of matrices", lambda: T.dot(a, a), RuntimeError),
        ("where shapes", lambda: T.where(a > 0, a, b), RuntimeError),
        ("masked_fill shape", lambda: a.masked_fill(T.ones(4, dtype=T.bool), 0), RuntimeError),
        ("eq shapes", lambda: a == T.ones(4), RuntimeError),
        ("logical_and shapes", lambda: T.logical_and(a, T.ones(4)), RuntimeError),
        ("zeros(-1)", lambda: T.zeros(-1), RuntimeError),
        ("randn(3, -1)", lambda: T.randn(3, -1), RuntimeError),
        ("full((2, -1))", lambda: T.full((2, -1), 1.0), RuntimeError),
        ("item of many", lambda: a.item(), RuntimeError),
        ("topk k", lambda: v.topk(5), RuntimeError),
        ("roll shifts and dims", lambda: a.roll((1, 2), (0,)), RuntimeError),
        ("argmax of nothing", lambda: T.ones(0).argmax(), IndexError),
        ("max along an empty dim", lambda: T.ones(2, 0).max(1), IndexError),
        ("device", lambda: T.ones(1, device="tpu"), RuntimeError),
        ("interpolate without a size", lambda: F.interpolate(img), ValueError),
        ("dropout p", lambda: F.dropout(a, 1.5), ValueError),
        ("SGD lr", lambda: T.optim.SGD([T.ones(1, requires_grad=True)], lr=-1), ValueError),
        ("Normal scale", lambda: T.distributions.Normal(0.0, -1.0), ValueError),
        ("DataLoader batch_size", lambda: T.utils.data.DataLoader([1, 2], batch_size=0), ValueError),
        ("requires_grad of integers", lambda: i.requires_grad_(), RuntimeError),
        ("& of floats", lambda: a & a, RuntimeError),
        ("where of a float condition", lambda: T.where(a, a, a), RuntimeError),
        ("gather of float indices", lambda: a.gather(1, a), RuntimeError),
        ("index_select of float indices", lambda: a.index_select(0, T.tensor([0.0])), RuntimeError),
        ("masked_select of a float mask", lambda: a.masked_select(a), RuntimeError),
        ("view_as_real of reals", lambda: T.view_as_real(a), RuntimeError),
        ("conv2d of integers", lambda: F.conv2d(T.ones(1, 1, 3, 3, dtype=T.long), T.ones(1, 1, 2, 2)), RuntimeError),
        ("embedding of float indices", lambda: F.embedding(a, T.ones(3, 2)), RuntimeError),
        ("nll_loss of float targets", lambda: F.nll_loss(a, T.ones(2)), RuntimeError),
        ("sort of complex", lambda: c.sort(), RuntimeError),
        ("rfft of complex", lambda: T.fft.rfft(c), RuntimeError),
        ("logical_not of a str", lambda: T.logical_not("a"), TypeError),
    ]


NAMES = [name for name, _, _ in _bad_calls(tinynn)]


def _bad_call(T, name):
    return next((call, expected) for named, call, expected in _bad_calls(T) if named == name)


@pytest.mark.parametrize("name", NAMES)
def test_bad_input_is_caught_by_pytorchs_except_clause(name):
    call, expected = _bad_call(tinynn, name)
    with pytest.raises(expected):
        call()


@pytest.mark.filterwarnings("ignore:Using a target size")
@pytest.mark.parametrize("name", NAMES)
def test_the_table_is_what_pytorch_raises(torch, name):
    """The expected classes above are PyTorch's own (its NotImplementedError for a dtype counts as the
    RuntimeError it derives from)."""
    call, expected = _bad_call(torch, name)
    with pytest.raises(expected):
        call()


@pytest.mark.parametrize("call", [
    lambda: tinynn.ones(2, 3) + tinynn.ones(4),
    lambda: tinynn.ones(2, 3).reshape(5),
    lambda: tinynn.nn.Linear(4, 2)(tinynn.ones(2, 3)),
    lambda: tinynn.linalg.inv(tinynn.zeros(2, 2)),
])
def test_python_code_catching_valueerror_still_catches_a_bad_shape(call):
    with pytest.raises(ValueError):
        call()


@pytest.mark.parametrize("call", [
    lambda: tinynn.ones(2, dtype=tinynn.long).requires_grad_(),
    lambda: tinynn.ones(2) & tinynn.ones(2),
    lambda: tinynn.where(tinynn.ones(2), tinynn.ones(2), tinynn.ones(2)),
])
def test_python_code_catching_typeerror_still_catches_a_bad_dtype(call):
    with pytest.raises(TypeError):
        call()
