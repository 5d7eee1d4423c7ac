"""The Bessel functions J0, J1, Y0, Y1, K0, K1 (and scaled), the spherical j0, the regularized
incomplete gamma functions and Hurwitz's zeta (tinynn.special, torch.igamma/igammac): values
equal independent high-precision ones (mpmath, 25 digits, written out below) to float64's
accuracy, and PyTorch's to the accuracy PyTorch has (its J and Y are good to ~1e-7 only); the
edges (NaN, inf, 0) as PyTorch's; gradients (which PyTorch lacks for most of these) checked
against finite differences; float32 stays float32; every device."""
import numpy as np
import pytest

import tinynn
from tinynn.autograd import gradcheck, gradgradcheck
from tinynn.ops import bessel_jy, bessel_k, bessel_reference

POINTS = [0.5, 2.5, 7.9, 8.1, 30.5, 1000.0]  # both sides of each fit's seams (2, 8, 30)
# mpmath.besselj/bessely/besselk at POINTS, 17 digits
REFERENCE = {
    "bessel_j0": [0.9384698072408129, -0.048383776468197996, 0.19436184484127824, 0.14751745404437767,
                  -0.019389754517762152, 0.024786686152420175],
    "bessel_j1": [0.24226845767487389, 0.49709410246427404, 0.2191793999217512, 0.24760776698159288,
                  -0.14349430015097094, 0.0047283119070895239],
    "bessel_y0": [-0.44451873350670656, 0.49807035961523189, 0.20652094814437577, 0.23809132870223481,
                  -0.14315731617410765, 0.0047159179776228134],
    "bessel_y1": [-1.4714723926702431, 0.1459181379667858, -0.18172107728057313, -0.13314879595249593,
                  0.017046142883876454, -0.024784331292351779],
    "modified_bessel_k0": [0.92441907122766586, 0.062347553200366186, 0.00016286766768765322,
                           0.00013173427864935837, 1.2828522943058176e-14, 0.0],  # 2.0e-436 underflows
    "modified_bessel_k1": [1.6564411200033009, 0.073890816347747064, 0.00017288430649238984,
                           0.00013964122894503081, 1.3037156602334754e-14, 0.0],
}
BESSEL = ["bessel_j0", "bessel_j1", "bessel_y0", "bessel_y1", "modified_bessel_k0", "modified_bessel_k1",
          "scaled_modified_bessel_k0", "scaled_modified_bessel_k1", "spherical_bessel_j0", "modified_bessel_i0",
          "modified_bessel_i1"]


@pytest.mark.parametrize("name", list(REFERENCE))
def test_bessel_functions_equal_high_precision_values(name):
    ours = getattr(tinynn.special, name)(tinynn.tensor(POINTS, dtype=tinynn.float64)).numpy()
    np.testing.assert_allclose(ours, REFERENCE[name], rtol=4e-15, atol=4e-16)  # absolute near J and Y's zeros


def test_the_scaled_k_functions_are_e_to_the_x_times_k():
    x = tinynn.tensor(POINTS, dtype=tinynn.float64)
    for n in (0, 1):
        scaled = getattr(tinynn.special, f"scaled_modified_bessel_k{n}")(x).numpy()
        np.testing.assert_allclose(scaled[:5], np.exp(POINTS[:5]) * REFERENCE[f"modified_bessel_k{n}"][:5], rtol=4e-15)
        assert scaled[5] == pytest.approx(np.sqrt(np.pi / 2000) * (1 + (4 * n * n - 1) / 8000), rel=1e-6)


@pytest.mark.parametrize("kind, n", [("J", 0), ("J", 1), ("Y", 0), ("Y", 1), ("K", 0), ("K", 1)])
def test_the_fitted_series_reproduce_the_decimal_reference_between_their_nodes(kind, n):
    x = np.linspace(0.05, 29.95, 97)
    exact = np.array([float(bessel_reference.bessel(kind, n, v)) for v in x])
    ours = bessel_k.values(x, n, False) if kind == "K" else (bessel_jy.first_kind(x, n) if kind == "J"
                                                              else bessel_jy.second_kind(x, n))
    np.testing.assert_allclose(ours, exact, rtol=1e-14, atol=1e-15)


@pytest.mark.parametrize("name", BESSEL)
def test_bessel_functions_match_torch_and_its_edges(name, torch, device, rng):
    x = np.concatenate([np.linspace(0.01, 40, 200), -np.linspace(0.01, 10, 20),
                        [0.0, np.inf, -np.inf, np.nan, 1e-300, 700.0]])
    ours = getattr(tinynn.special, name)(tinynn.tensor(x, device=device)).numpy()
    theirs = getattr(torch.special, name)(torch.tensor(x)).numpy()
    # PyTorch gives NaN for J and Y at +-infinity, where they tend to 0 (tinynn gives the limit)
    limit = np.isinf(x) & name.startswith("bessel_")
    np.testing.assert_array_equal(ours[limit & ((x > 0) | name.startswith("bessel_j"))], 0.0)
    assert name.startswith("bessel_j") or not limit.any() or np.isnan(ours[limit & (x < 0)]).all()
    first_kind = name.startswith("bessel_")  # PyTorch's J and Y are good to ~1e-7
    np.testing.assert_allclose(ours[~limit], theirs[~limit], rtol=1e-6 if first_kind else 1e-13,
                               atol=1e-6 if first_kind else 1e-300)


@pytest.mark.parametrize("name", BESSEL)
def test_bessel_gradients_match_finite_differences(name):
    x = tinynn.tensor([0.3, 1.7, 2.5, 7.99, 8.2, 15.0, 31.0], dtype=tinynn.float64, requires_grad=True)
    if not name.startswith(("bessel_y", "modified_bessel_k", "scaled")):  # defined below 0 too
        x = tinynn.tensor([-3.0, 0.0, 0.3, 1.7, 8.2, 31.0], dtype=tinynn.float64, requires_grad=True)
    if name.startswith("modified_bessel_i"):  # e^x-sized: finite differences of I(31) are too coarse
        x = tinynn.tensor([-3.0, 0.0, 0.3, 1.7, 8.2], dtype=tinynn.float64, requires_grad=True)
    function = getattr(tinynn.special, name)
    assert gradcheck(function, [x])


def test_bessel_float32_stays_float32_and_matches_float64(device):
    x = np.linspace(0.05, 40, 50)
    for name in BESSEL:
        function = getattr(tinynn.special, name)
        single = function(tinynn.tensor(x.astype(np.float32), device=device, requires_grad=True))
        assert single.dtype == np.float32
        single.sum().backward()
        double = function(tinynn.tensor(x.astype(np.float32).astype(np.float64))).numpy()
        np.testing.assert_allclose(single.numpy(), double, rtol=2e-6, atol=2e-7, err_msg=name)


# (a, x, P, Q) from mpmath.gammainc(regularized=True), 17 digits
INCOMPLETE_GAMMA = [(0.5, 0.3, 0.56142197391900014, 0.43857802608099986),
                    (3.0, 2.0, 0.32332358381693654, 0.67667641618306346),
                    (1e-8, 0.5, 0.99999999440226402, 5.5977359770995871e-9),
                    (50.0, 60.0, 0.91559331890630817, 0.08440668109369183),
                    (500.0, 480.0, 0.1862819731903246, 0.8137180268096754)]


def test_incomplete_gamma_equals_high_precision_values():
    a, x, p, q = (np.array(column) for column in zip(*INCOMPLETE_GAMMA))
    np.testing.assert_allclose(tinynn.special.gammainc(tinynn.tensor(a), tinynn.tensor(x)).numpy(), p, rtol=1e-14)
    np.testing.assert_allclose(tinynn.special.gammaincc(tinynn.tensor(a), tinynn.tensor(x)).numpy(), q, rtol=1e-14)


def test_incomplete_gamma_matches_torch_and_its_edges(torch, device, rng):
    a = np.concatenate([10 ** rng.uniform(-3, 3, 200), [0, 0, 1, 1, -1, 1, np.inf, 2, 0.5, np.nan, 3]])
    x = np.concatenate([a[:200] * rng.uniform(0.2, 2, 200), [0, 1, 0, np.inf, 1, -1, 1, np.inf, 1e-300, 1, np.nan]])
    for ours, theirs in ((tinynn.special.gammainc, torch.special.gammainc), (tinynn.igammac, torch.igammac)):
        result = ours(tinynn.tensor(a, device=device), tinynn.tensor(x, device=device)).numpy()
        np.testing.assert_allclose(result, theirs(torch.tensor(a), torch.tensor(x)).numpy(), rtol=1e-8, atol=1e-300)
    ones = tinynn.ones(3, dtype=tinynn.float64, device=device)
    np.testing.assert_allclose((ones * 2).igamma(ones).numpy(), torch.ones(3, dtype=torch.float64).mul(2)
                               .igamma(torch.ones(3, dtype=torch.float64)).numpy(), rtol=1e-15)
    in_place = ones * 2
    in_place.igammac_(ones)
    np.testing.assert_allclose(in_place.numpy(), np.full(3, 2 / np.e), rtol=1e-15)  # Q(2, 1) = 2/e


def test_incomplete_gamma_gradient_in_x_and_none_in_a():
    a = tinynn.tensor([0.5, 2.0, 30.0, 1e-3], dtype=tinynn.float64)
    x = tinynn.tensor([0.3, 2.5, 28.0, 2.0], dtype=tinynn.float64, requires_grad=True)
    assert gradcheck(lambda x: tinynn.special.gammainc(a, x) + tinynn.special.gammaincc(a * 2, x) ** 2, [x])
    x = tinynn.tensor([0.0, 0.0, 0.0, 1.0], dtype=tinynn.float64, requires_grad=True)
    tinynn.special.gammainc(tinynn.tensor([0.5, 1.0, 2.0, 1.0], dtype=tinynn.float64), x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [np.inf, 1.0, 0.0, np.exp(-1.0)])  # x^(a-1) e^-x / Gamma(a)
    a = tinynn.tensor([2.0], dtype=tinynn.float64, requires_grad=True)
    with pytest.raises(NotImplementedError, match="gammainc: the derivative with respect to a .* not implemented"):
        tinynn.special.gammainc(a, tinynn.tensor([1.0], dtype=tinynn.float64)).backward()


def test_incomplete_gamma_of_a_huge_a_is_a_clear_error():
    with pytest.raises(ValueError, match="incomplete gamma: did not converge"):
        tinynn.special.gammainc(tinynn.tensor([1e12], dtype=tinynn.float64), tinynn.tensor([1e12], dtype=tinynn.float64))


# (s, q, zeta) from mpmath.zeta, 17 digits
ZETA = [(2.0, 0.5, 4.9348022005446793), (3.5, 2.0, 0.12673386731705665), (30.0, 0.9, 23.589824880264748),
        (1.01, 1.0, 100.57794333849678)]


def test_zeta_equals_high_precision_values_and_matches_torch(torch, device):
    s, q, expected = (np.array(column) for column in zip(*ZETA))
    np.testing.assert_allclose(tinynn.special.zeta(tinynn.tensor(s, device=device), tinynn.tensor(q, device=device))
                               .numpy(), expected, rtol=1e-14)
    s = np.array([2, 2, 2, 1, 0.5, 3, 3, -1, 50, 3, 5.5, 7, 2.5, 2])
    q = np.array([1, 0, -1, 1, 1, -0.5, -1.5, 1, 0.5, 1e-10, 1e4, -20.25, -0.5, np.nan])
    ours = tinynn.special.zeta(tinynn.tensor(s, device=device), tinynn.tensor(q, device=device)).numpy()
    np.testing.assert_allclose(ours, torch.special.zeta(torch.tensor(s), torch.tensor(q)).numpy(), rtol=1e-14)
    assert tinynn.special.zeta(2, tinynn.tensor([1.0])).item() == pytest.approx(np.pi ** 2 / 6, rel=1e-7)
    assert tinynn.special.zeta(tinynn.tensor([2.0]), 1.0).item() == pytest.approx(np.pi ** 2 / 6, rel=1e-7)


def test_zeta_gradient_in_q_to_second_order():
    s = tinynn.tensor([2.0, 3.5, 6.0], dtype=tinynn.float64)
    q = tinynn.tensor([0.7, 2.0, 3.3], dtype=tinynn.float64, requires_grad=True)
    assert gradcheck(lambda q: tinynn.special.zeta(s, q), [q])
    assert gradgradcheck(lambda q: tinynn.special.zeta(s, q), [q])
    with pytest.raises(NotImplementedError, match="zeta: the derivative with respect to s"):
        tinynn.special.zeta(s.requires_grad_(), q).sum().backward()


POLYNOMIALS = ["chebyshev_polynomial_t", "chebyshev_polynomial_u", "chebyshev_polynomial_v", "chebyshev_polynomial_w",
               "shifted_chebyshev_polynomial_t", "shifted_chebyshev_polynomial_u", "shifted_chebyshev_polynomial_v",
               "shifted_chebyshev_polynomial_w", "hermite_polynomial_h", "hermite_polynomial_he",
               "laguerre_polynomial_l", "legendre_polynomial_p"]


@pytest.mark.parametrize("name", POLYNOMIALS)
def test_orthogonal_polynomials_match_torch(name, torch, device, rng):
    x = np.concatenate([rng.uniform(-1.5, 1.5, 60), [1.0, -1.0, 0.0, 0.5, 2.0, 1.0, -1.0]])
    n = np.concatenate([rng.integers(-2, 25, 60), [7, 8, 9, 10, 11, 0, 1]])
    ours = getattr(tinynn.special, name)(tinynn.tensor(x, device=device), tinynn.tensor(n, device=device)).numpy()
    theirs = getattr(torch.special, name)(torch.tensor(x), torch.tensor(n)).numpy()
    # PyTorch takes cos(n acos x) and the like for |x| < 1 and n > 6: the same values to rounding
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-12)
    real_degrees = getattr(tinynn.special, name)(tinynn.tensor([0.3, 0.3, 0.3]), tinynn.tensor([2.7, -0.5, 3.0]))
    np.testing.assert_allclose(real_degrees.numpy(), getattr(torch.special, name)(
        torch.tensor([0.3, 0.3, 0.3]), torch.tensor([2.7, -0.5, 3.0])).numpy(), rtol=1e-6)  # truncated, as PyTorch


def test_orthogonal_polynomials_take_numbers_and_integers_as_torch(torch):
    special = tinynn.special
    assert special.chebyshev_polynomial_t(tinynn.tensor([1, 2]), tinynn.tensor([3, 2])).dtype == np.float32
    np.testing.assert_allclose(special.hermite_polynomial_h(tinynn.tensor([0.3, 0.3]), 3).numpy(),
                               torch.special.hermite_polynomial_h(torch.tensor([0.3, 0.3]), 3).numpy(), rtol=1e-6)
    np.testing.assert_allclose(special.legendre_polynomial_p(0.3, tinynn.tensor([3, 2])).numpy(), [-0.3825, -0.365],
                               rtol=1e-6)


@pytest.mark.parametrize("name", POLYNOMIALS)
def test_orthogonal_polynomial_derivatives_of_every_order(name, rng):
    low = 0.0 if name.startswith("shifted") else -1.0  # where the values stay small enough for finite differences
    x = tinynn.tensor(rng.uniform(low, 1.0, 6), requires_grad=True)
    degrees = tinynn.tensor([0, 1, 2, 3, 5, 9])
    polynomial = getattr(tinynn.special, name)
    assert gradcheck(lambda x: polynomial(x, degrees), [x])
    assert gradgradcheck(lambda x: polynomial(x, degrees), [x])


def test_chebyshev_derivative_is_n_times_u():
    x = tinynn.tensor(np.linspace(-0.9, 0.9, 7), requires_grad=True)
    tinynn.special.chebyshev_polynomial_t(x, 6).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 6 * tinynn.special.chebyshev_polynomial_u(x.detach(), 5).numpy(),
                               rtol=1e-12)


# (x, Ai(x), Ai'(x)) from mpmath.airyai, 17 digits: each region and both sides of each seam (-8, 2, 16)
AIRY = [(-30.5, -0.0043336372887428654, -1.3256903303662555), (-8.5, -0.33029023763020888, -0.032313348284639136),
        (-7.5, 0.32177571638064788, 0.3188095066985546), (-1.0, 0.53556088329235212, -0.010160567116645209),
        (0.0, 0.35502805388781724, -0.2588194037928068), (1.5, 0.07174949700810541, -0.097382012842301319),
        (2.5, 0.01572592338047049, -0.02625088103590323), (15.9, 6.2070990076353175e-20, -2.4847341459447623e-19),
        (16.1, 2.7804136961807143e-20, -1.1199121614129427e-19), (50.0, 4.5849417240748285e-104, -3.2443318198287993e-103)]


def test_airy_ai_and_its_gradient_equal_high_precision_values(device):
    x, values, slopes = (np.array(column) for column in zip(*AIRY))
    points = tinynn.tensor(x, device=device, requires_grad=True)
    result = tinynn.special.airy_ai(points)
    # absolute where Ai oscillates: its phase 2/3 |x|^(3/2) is rounded to float64 there
    np.testing.assert_allclose(result.numpy(), values, rtol=2e-14, atol=5e-15)
    result.sum().backward()
    np.testing.assert_allclose(points.grad.numpy(), slopes, rtol=2e-14, atol=3e-14)
    assert gradcheck(tinynn.special.airy_ai, [tinynn.tensor([-9.0, -3.0, 0.5, 2.1, 5.0], dtype=tinynn.float64,
                                                            requires_grad=True)])


def test_airy_ai_matches_torch_and_its_edges(torch):
    x = np.concatenate([np.linspace(-60, 110, 400), [-1e5, np.nan, 104.0]])
    ours = tinynn.special.airy_ai(tinynn.tensor(x)).numpy()
    # PyTorch's Ai is good to ~3e-6 where it oscillates (x < 0), ~1e-9 relative where it decays
    np.testing.assert_allclose(ours, torch.special.airy_ai(torch.tensor(x)).numpy(), rtol=1e-8, atol=1e-5)
    np.testing.assert_array_equal(tinynn.special.airy_ai(tinynn.tensor([np.inf, -np.inf])).numpy(), [0.0, 0.0])
    assert tinynn.special.airy_ai(tinynn.tensor([1.0, -2.0])).dtype == np.float32
