"""tinynn/draw_checks.py: a random draw with a parameter outside its distribution's domain, or into a
dtype that cannot hold it, is refused where PyTorch refuses it (NumPy drew zeros, mirror images and
infs, or raised its own errors); valid draws still draw."""
import pytest

import tinynn
from tinynn.nn import functional as F

# name: function of a library; each either draws or raises, in PyTorch as in tinynn
CALLS = {
    "rand into int64": lambda L: L.rand(3, dtype=L.int64),
    "rand into bool": lambda L: L.rand(3, dtype=L.bool),
    "randn into int32": lambda L: L.randn(3, dtype=L.int32),
    "randn complex": lambda L: L.randn(3, dtype=L.complex64),
    "rand_like of int64": lambda L: L.rand_like(L.zeros(3, dtype=L.int64)),
    "randn_like of int64": lambda L: L.randn_like(L.zeros(3, dtype=L.int64)),
    "randint into uint8 past 255": lambda L: L.randint(0, 300, (3,), dtype=L.uint8),
    "randint into uint8 below 0": lambda L: L.randint(-1, 3, (3,), dtype=L.uint8),
    "randint into uint8": lambda L: L.randint(0, 256, (3,), dtype=L.uint8),
    "randint into float32": lambda L: L.randint(0, 5, (3,), dtype=L.float32),
    "normal of a negative std": lambda L: L.normal(0.0, -1.0, size=(3,)),
    "normal of a NaN std": lambda L: L.normal(0.0, float("nan"), size=(3,)),
    "normal of a std tensor with a negative": lambda L: L.normal(L.zeros(2), L.tensor([1.0, -1.0])),
    "normal of stds": lambda L: L.normal(L.zeros(2), L.tensor([1.0, 0.0])),
    "normal_ of a negative std": lambda L: L.zeros(3).normal_(0, -1),
    "normal_ into int64": lambda L: L.zeros(3, dtype=L.int64).normal_(),
    "uniform_ with from > to": lambda L: L.zeros(3).uniform_(2, 1),
    "uniform_ with from == to": lambda L: L.zeros(3).uniform_(1, 1),
    "uniform_ to inf": lambda L: L.zeros(3).uniform_(0, float("inf")),
    "uniform_ into int64": lambda L: L.zeros(3, dtype=L.int64).uniform_(),
    "exponential_ of lambda 0": lambda L: L.zeros(3).exponential_(0),
    "exponential_ of a negative lambda": lambda L: L.zeros(3).exponential_(-1),
    "exponential_ into int64": lambda L: L.zeros(3, dtype=L.int64).exponential_(),
    "geometric_ of p 0": lambda L: L.zeros(3).geometric_(0),
    "geometric_ of p 1": lambda L: L.zeros(3).geometric_(1),
    "geometric_ of p 1.5": lambda L: L.zeros(3).geometric_(1.5),
    "geometric_ into int64": lambda L: L.zeros(3, dtype=L.int64).geometric_(0.5),
    "cauchy_ of sigma 0": lambda L: L.zeros(3).cauchy_(0, 0),
    "log_normal_ of a negative std": lambda L: L.zeros(3).log_normal_(0, -1),
    "log_normal_ into int64": lambda L: L.zeros(3, dtype=L.int64).log_normal_(),
    "random_ of an empty range": lambda L: L.zeros(3).random_(3, 3),
    "random_ into uint8 past 255": lambda L: L.zeros(3, dtype=L.uint8).random_(0, 300),
    "random_ into uint8 below 0": lambda L: L.zeros(3, dtype=L.uint8).random_(-1, 3),
    "random_ into int64": lambda L: L.zeros(3, dtype=L.int64).random_(0, 7),
    "bernoulli of 1.5": lambda L: L.bernoulli(L.tensor([0.5, 1.5])),
    "bernoulli of -0.5": lambda L: L.bernoulli(L.tensor([-0.5])),
    "bernoulli of NaN": lambda L: L.bernoulli(L.tensor([float("nan")])),
    "bernoulli of int64": lambda L: L.bernoulli(L.tensor([1, 0])),
    "bernoulli_ of p 1.5": lambda L: L.zeros(3).bernoulli_(1.5),
    "bernoulli_ of a p tensor past 1": lambda L: L.zeros(3).bernoulli_(L.tensor([0.5, 2.0, 0.1])),
    "bernoulli_ into int64": lambda L: L.zeros(3, dtype=L.int64).bernoulli_(0.5),
    "multinomial of 0 samples": lambda L: L.multinomial(L.tensor([1.0, 1.0]), 0),
    "multinomial of int64 weights": lambda L: L.multinomial(L.tensor([1, 1]), 1),
    "randperm of -1": lambda L: L.randperm(-1),
    "rrelu with lower > upper": lambda L: L.nn.functional.rrelu(L.zeros(3), 0.5, 0.1, True),
    "rrelu evaluating with lower > upper": lambda L: L.nn.functional.rrelu(L.zeros(3), 0.5, 0.1, False),
}


@pytest.mark.parametrize("name", sorted(CALLS))
def test_draws_are_refused_where_pytorch_refuses_them(name, torch):
    def outcome(library):
        try:
            CALLS[name](library)
        except (RuntimeError, TypeError, ValueError):
            return "refused"
        return "drawn"

    assert outcome(tinynn) == outcome(torch)


def test_the_errors_name_the_function_and_the_value():
    with pytest.raises(TypeError, match="rand: its draws need a floating-point or complex dtype, got int64"):
        tinynn.rand(2, dtype=tinynn.int64)
    with pytest.raises(RuntimeError, match=r"normal expects std >= 0.0, but found std -2"):
        tinynn.normal(0.0, -2.0, size=(3,))
    with pytest.raises(RuntimeError, match=r"uniform_ expects to return a \[from, to\) range, but found from=2 > to=1"):
        tinynn.zeros(3).uniform_(2, 1)  # (NumPy's "high - low < 0" came out)
    with pytest.raises(RuntimeError, match=r"geometric_ expects p to be in \(0, 1\), but got p=1.5"):
        tinynn.zeros(3).geometric_(1.5)  # (Python's "math domain error" came out)
    with pytest.raises(RuntimeError, match=r"randint: the integers of \[0, 300\) do not all fit uint8"):
        tinynn.randint(0, 300, (2,), dtype=tinynn.uint8)
    with pytest.raises(RuntimeError, match=r"bernoulli: expected every probability in \[0, 1\]"):
        tinynn.bernoulli(tinynn.tensor([0.2, float("nan")]))


def test_checks_of_gpu_tensors_wait_for_the_next_read(device):
    """Checking a probability tensor on the GPU would read it back; the check is queued instead and
    raised at the next read, as other data checks are (tinynn.backend.check_soon)."""
    probabilities = tinynn.tensor([0.5, 1.5], device=device)
    with pytest.raises(RuntimeError, match="expected every probability"):
        tinynn.bernoulli(probabilities).sum().item()
    stds = tinynn.tensor([1.0, -1.0], device=device)
    with pytest.raises(RuntimeError, match="expects all elements of std >= 0.0"):
        tinynn.normal(tinynn.zeros(2, device=device), stds).sum().item()


def test_valid_draws_still_follow_their_distribution():
    tinynn.manual_seed(0)
    assert set(tinynn.zeros(2000).geometric_(0.999).tolist()) <= {1.0, 2.0}
    assert 0.3 < tinynn.zeros(4000).bernoulli_(0.4).mean().item() < 0.5
    assert set(tinynn.randint(0, 256, (4000,), dtype=tinynn.uint8).unique().tolist()) == set(range(256))
    assert (tinynn.zeros(1000).uniform_(1.0, 1.0) == 1.0).all()
    assert 0.9 < tinynn.zeros(4000).exponential_(1.0).mean().item() < 1.1
    assert F.rrelu(-tinynn.ones(100), 0.2, 0.2, training=True).tolist() == pytest.approx([-0.2] * 100)
