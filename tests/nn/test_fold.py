"""unfold/fold (Unfold/Fold): PyTorch's layout and values, gradients compared with PyTorch and
gradchecked, each the other's adjoint, a convolution as unfold and a matrix product, errors."""
import numpy as np
import pytest

import tinynn
from tinynn import nn
from tinynn.autograd import gradcheck
from tinynn.nn import functional as F
from helpers import assert_close, leaf, to_torch

CASES = [dict(kernel_size=3), dict(kernel_size=(2, 3), stride=2), dict(kernel_size=2, padding=1, dilation=2),
         dict(kernel_size=(3, 2), padding=(1, 0), stride=(1, 2), dilation=(1, 2))]


@pytest.mark.parametrize("options", CASES, ids=str)
def test_unfold_and_fold_match_torch(torch, rng, device, options):
    x = leaf(rng.standard_normal((2, 3, 7, 8)), device=device)
    tx = to_torch(torch, x, True)
    columns, t_columns = F.unfold(x, **options), torch.nn.functional.unfold(tx, **options)
    assert_close(columns, t_columns, rtol=1e-12, atol=1e-12, what="unfold")
    grad = rng.standard_normal(columns.shape)
    columns.backward(tinynn.tensor(grad, device=device))
    t_columns.backward(torch.tensor(grad))
    assert_close(x.grad, tx.grad, rtol=1e-12, atol=1e-12, what="unfold backward")
    source = leaf(rng.standard_normal(columns.shape), device=device)
    t_source = to_torch(torch, source, True)
    image, t_image = F.fold(source, (7, 8), **options), torch.nn.functional.fold(t_source, (7, 8), **options)
    assert_close(image, t_image, rtol=1e-12, atol=1e-12, what="fold")
    grad = rng.standard_normal(image.shape)
    image.backward(tinynn.tensor(grad, device=device))
    t_image.backward(torch.tensor(grad))
    assert_close(source.grad, t_source.grad, rtol=1e-12, atol=1e-12, what="fold backward")
    assert gradcheck(lambda x: F.unfold(x, **options), [leaf(rng.standard_normal((1, 2, 7, 8)), device=device)])
    assert gradcheck(lambda c: F.fold(c, (7, 8), **options), [leaf(rng.standard_normal((1,) + columns.shape[1:]),
                                                                   device=device)])


def test_fold_is_the_adjoint_of_unfold(rng):
    """<unfold(x), c> = <x, fold(c)> for every x and c: the two are transposes of one linear map."""
    x, c = rng.standard_normal((2, 3, 6, 6)), rng.standard_normal((2, 3 * 9, 4))
    unfolded = F.unfold(tinynn.tensor(x), 3, padding=1, stride=2, dilation=2).numpy()
    folded = F.fold(tinynn.tensor(c), 6, 3, padding=1, stride=2, dilation=2).numpy()
    assert unfolded.shape == c.shape
    np.testing.assert_allclose((unfolded * c).sum(), (x * folded).sum(), rtol=1e-12)


def test_a_convolution_is_unfold_and_a_matrix_product(rng):
    x, w = tinynn.tensor(rng.standard_normal((2, 3, 9, 9))), tinynn.tensor(rng.standard_normal((4, 3, 3, 3)))
    by_columns = (w.reshape(4, -1) @ F.unfold(x, 3, padding=1, stride=2)).reshape(2, 4, 5, 5)
    assert_close(by_columns, F.conv2d(x, w, padding=1, stride=2), rtol=1e-12, atol=1e-12)


def test_modules_and_errors():
    x = tinynn.zeros(1, 2, 5, 5)
    assert nn.Unfold(2, stride=2)(x).shape == (1, 8, 4)
    assert nn.Fold((5, 5), 2, stride=2)(nn.Unfold(2, stride=2)(x)).shape == (1, 2, 5, 5)
    assert nn.Unfold(2)(tinynn.zeros(2, 5, 5)).shape == (8, 16)  # one unbatched sample, as PyTorch takes
    with pytest.raises(ValueError, match=r"Unfold: expected a 4-D input \(N, C, H, W\) or one unbatched"):
        nn.Unfold(2)(tinynn.zeros(5, 5))
    with pytest.raises(ValueError, match="does not fit input"):
        F.unfold(x, 7)
    with pytest.raises(ValueError, match=r"fold: expected 16 columns \(the windows of an output of size \(5, 5\)\), got 3"):
        F.fold(tinynn.zeros(1, 8, 3), 5, 2)
    with pytest.raises(ValueError, match=r"divisible by the kernel's 4 positions"):
        F.fold(tinynn.zeros(1, 6, 16), 5, 2)
