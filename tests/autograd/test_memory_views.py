"""Views that share memory with their input, as PyTorch's: diagonal, unfold, as_strided, .real,
.imag, view_as_real and view_as_complex. Writing into them writes into the input (they were copies,
so ``K.diagonal().add_(eps)`` silently did nothing), with and without autograd, the gradients of
such writes equal PyTorch's; writing into a view whose elements overlap is refused; the *_copy
functions are copies."""
import numpy as np
import pytest

import tinynn
from tinynn.autograd import gradcheck, gradgradcheck

RNG = np.random.default_rng(41)
COMPLEX = RNG.standard_normal((2, 3)) + 1j * RNG.standard_normal((2, 3))

# name -> function(module, tensor) writing through a view; run on tinynn and PyTorch alike
WRITES = {
    "diagonal": lambda m, x: x.diagonal().add_(10.0),
    "diagonal offset dims": lambda m, x: x.reshape(2, 2, 3).diagonal(1, 1, 2).fill_(-1.0),
    "unfold": lambda m, x: x.unfold(1, 2, 2).mul_(3.0),
    "as_strided": lambda m, x: x.as_strided((2, 2), (3, 2), 1).zero_(),
    # one element is a 0-d view too (NumPy's x[1, 2] is a copy, as a scalar, which refused writes)
    "element": lambda m, x: x[1, 2].add_(10.0),
    "element of a row": lambda m, x: x[1][3].fill_(-1.0),
    "element by select": lambda m, x: x.select(0, 2).select(0, 1).mul_(3.0),
}


@pytest.mark.parametrize("name", sorted(WRITES))
def test_writes_through_views_reach_the_input(torch, name):
    values = np.arange(12.0).reshape(3, 4)
    ours, theirs = tinynn.tensor(values), torch.tensor(values)
    WRITES[name](tinynn, ours)
    WRITES[name](torch, theirs)
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    assert not np.array_equal(ours.numpy(), values)


@pytest.mark.parametrize("name", sorted(WRITES))
def test_gradients_of_writes_through_views_equal_pytorchs(torch, name):
    values = RNG.standard_normal((3, 4))
    gradients = []
    for module in (tinynn, torch):
        x = module.tensor(values, requires_grad=True)
        y = x * x
        WRITES[name](module, y)
        (y ** 3).sum().backward()
        gradients.append(x.grad.numpy())
    np.testing.assert_allclose(gradients[0], gradients[1], rtol=1e-12)


def test_diagonal_and_unfold_are_differentiable_views_to_second_order():
    x = tinynn.tensor(RNG.standard_normal((3, 5)), requires_grad=True)
    assert gradcheck(lambda a: a.diagonal(1) * a.diagonal(-1)[:2].sum(), [x])
    assert gradgradcheck(lambda a: (a.unfold(1, 3, 1) ** 2).sum(-1), [x])  # overlapping windows add up
    assert gradgradcheck(lambda a: a.diagonal(0, 1, 0) ** 3, [x])
    windows = x.detach().unfold(1, 2, 2)
    assert windows.shape == (3, 2, 2)
    assert tinynn.tensor(7.0).unfold(0, 1, 1).shape == (1,)  # (PyTorch 2.13's: one window of its one element)


def test_writing_into_overlapping_elements_is_refused():
    x = tinynn.arange(8.0)
    with pytest.raises(RuntimeError, match="more than one element of this tensor .* refers to a single memory"):
        x.unfold(0, 3, 1).add_(1.0)
    with pytest.raises(RuntimeError, match="single memory location"):
        x.as_strided((3, 3), (1, 1)).mul_(2.0)
    with pytest.raises(RuntimeError, match="single memory location"):
        x[:2].expand(3, 2).add_(1.0)
    np.testing.assert_array_equal(x.numpy(), np.arange(8.0))  # nothing was written
    x.unfold(0, 2, 2).add_(1.0)  # windows that do not overlap may be written
    np.testing.assert_array_equal(x.numpy(), np.arange(8.0) + 1)
    x[:2].expand(3, 2).fill_(-1.0)  # one value for every element: allowed, as PyTorch's
    assert x.numpy()[:3].tolist() == [-1.0, -1.0, 3.0]


def test_assigning_into_elements_of_an_overlapping_view_that_do_not_overlap_is_pytorchs(torch, device):
    """x[index] = value writes x[index] alone: into one window of an unfold, a column of distinct
    addresses, a pair of distinct elements, it is allowed and lands as in PyTorch (tinynn refused any
    write into a view that overlaps itself); where two written elements share memory it is refused,
    where PyTorch refuses (a column of an expand) and where it lets one value win (an unfold's rows);
    and while autograd records, whose new value is stored whole."""
    def assigned(library, options):
        results = []
        for write in (lambda u, e: u.__setitem__((0, 1), 100.0),
                      lambda u, e: u.__setitem__(0, library.tensor([7.0, 8.0], **options)),
                      lambda u, e: u.__setitem__((slice(None), 0), library.arange(5.0, **options) * 10),
                      lambda u, e: u.__setitem__(([0, 1], [1, 1]), library.tensor([7.0, 8.0], **options)),
                      lambda u, e: u.__setitem__(slice(None, None, 2), library.zeros(3, 2, **options)),
                      lambda u, e: e.__setitem__(0, library.tensor([5.0, 6.0], **options))):
            x = library.arange(6.0, **options)
            write(x.unfold(0, 2, 1), x[:2].expand(3, 2))
            results.append(x.tolist())
        return results

    assert assigned(tinynn, {"device": device}) == assigned(torch, {})
    x = tinynn.arange(6.0, device=device)
    for write in (lambda: x[:2].expand(3, 2).__setitem__((slice(None), 0), tinynn.tensor([1.0, 2.0, 3.0], device=device)),
                  lambda: x.unfold(0, 2, 1).__setitem__(slice(0, 2), tinynn.tensor([[1.0, 2.0], [3.0, 4.0]], device=device)),
                  lambda: x.unfold(0, 2, 1).__setitem__((0, 1), tinynn.tensor(3.0, requires_grad=True, device=device))):
        with pytest.raises(RuntimeError, match="refers to a single memory location"):
            write()
    assert x.tolist() == list(range(6))  # nothing was written


def test_which_results_are_views_and_which_copies_is_pytorchs(torch):
    """flip (and rot90, fliplr, flipud) copy; expand, broadcast_to and indexing by a 0-d tensor are views."""
    cases = {"flip": lambda m, x: x.flip(0), "rot90": lambda m, x: x.rot90(), "fliplr": lambda m, x: x.fliplr(),
             "expand_as": lambda m, x: x.expand_as(x), "broadcast_to": lambda m, x: x.broadcast_to(2, 3),
             "0-d index": lambda m, x: x[m.tensor(1)], "index list": lambda m, x: x[[0]]}
    for name, view in cases.items():
        shared = []
        for module in (tinynn, torch):
            x = module.tensor(np.arange(6.0).reshape(2, 3))
            view(module, x).fill_(-1.0)
            shared.append(bool((x == -1).any()))
        assert shared[0] == shared[1], name


COMPLEX_WRITES = {
    "real": lambda m, y: y.real.mul_(2.0),
    "imag": lambda m, y: y.imag.add_(y.real.clone()),
    "view_as_real": lambda m, y: m.view_as_real(y)[..., 1].mul_(3.0),
    "view_as_complex": lambda m, y: m.view_as_complex(m.view_as_real(y)).mul_(2j),
}


@pytest.mark.parametrize("name", sorted(COMPLEX_WRITES))
def test_complex_parts_are_views_whose_writes_equal_pytorchs(torch, name):
    values, gradients = [], []
    for module in (tinynn, torch):
        z = module.tensor(COMPLEX, requires_grad=True)
        y = z * (1 + 1j)
        COMPLEX_WRITES[name](module, y)
        values.append(y.detach().resolve_conj().numpy() if module is torch else y.detach().numpy())
        (y.abs() ** 2).sum().backward()
        gradients.append(z.grad.numpy())
    np.testing.assert_allclose(values[0], values[1], rtol=1e-12)
    np.testing.assert_allclose(gradients[0], gradients[1], rtol=1e-12)


def test_a_write_into_a_complex_tensor_reaches_its_real_views(torch):
    gradients = []
    for module in (tinynn, torch):
        z = module.tensor(COMPLEX, requires_grad=True)
        y = z * (1 + 1j)
        real, pairs = y.real, module.view_as_real(y)
        y.mul_(2j)
        ((real ** 3).sum() + (pairs ** 2).sum() + (y.abs() ** 2).sum()).backward()
        gradients.append(z.grad.numpy())
    np.testing.assert_allclose(gradients[0], gradients[1], rtol=1e-12)


def test_view_as_complex_needs_side_by_side_pairs_and_the_copies_are_copies():
    pairs = tinynn.zeros(4, 2)
    z = tinynn.view_as_complex(pairs)
    z.add_(1 + 2j)
    np.testing.assert_array_equal(pairs.numpy(), np.tile([1.0, 2.0], (4, 1)))
    with pytest.raises(ValueError, match="must lie side by side in memory"):
        tinynn.view_as_complex(tinynn.zeros(2, 4).T)
    x = tinynn.arange(6.0)
    tinynn.as_strided_copy(x, (2,), (2,)).fill_(-1.0)
    tinynn.view_as_real_copy(z).fill_(0.0)
    tinynn.diagonal_copy(tinynn.eye(2)).fill_(5.0)
    np.testing.assert_array_equal(x.numpy(), np.arange(6.0))
    assert z.numpy().tolist() == [1 + 2j] * 4


def test_view_as_another_dtype_reinterprets_the_bits_as_pytorchs(torch):
    values = np.array([[1.0, -2.5], [0.5, 3.0]], dtype=np.float32)
    for name in ("int32", "float16", "float64", "uint8", "float32"):
        ours, theirs = tinynn.tensor(values).view(getattr(tinynn, name)), torch.tensor(values).view(getattr(torch, name))
        assert ours.shape == tuple(theirs.shape) and str(ours.dtype) == name
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    x = tinynn.tensor(values, requires_grad=True)
    bits = x.view(tinynn.int32)
    assert not bits.requires_grad  # outside autograd, as PyTorch's
    with tinynn.no_grad():
        bits[0, 0] = 0  # the same memory
    assert x.detach().numpy()[0, 0] == 0.0
    with pytest.raises(RuntimeError, match="the last dimension must be contiguous"):
        tinynn.tensor(values).T.view(tinynn.float16)
    assert tinynn.tensor(values).view(4).shape == (4,) and tinynn.tensor(values).view(-1, 1).shape == (4, 1)


def test_zero_dimensional_results_are_written_in_place_as_pytorchs(torch):
    """A reduction's 0-d result is a tensor like any other: ``correct += (pred == y).sum()`` and
    ``loss.add_(penalty)`` work (NumPy's scalar result refused writes with a TypeError)."""
    results = []
    for module in (tinynn, torch):
        x = module.tensor(np.arange(6.0).reshape(2, 3))
        total = x.sum()
        total += 1
        correct = (x > 2).sum()
        correct += (x > 4).sum()
        results.append([total.add_(1).item(), x.mean().zero_().item(), x.max().clamp_(0, 4).item(),
                        x.argmax().add_(1).item(), correct.item(), module.dot(x[0], x[1]).mul_(2).item()])
    assert results[0] == results[1]
