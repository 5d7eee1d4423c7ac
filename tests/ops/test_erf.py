"""erf from Chebyshev series: accuracy against Python's math.erf in float64 and float32, limits."""
import math

import numpy as np
import pytest

import tinynn
from tinynn.ops.erf import erf_values

# The documented accuracy: about 2e-15 in float64, float32's resolution at 1 in float32.
TOLERANCE = {np.float64: 5e-15, np.float32: 2 * np.finfo(np.float32).eps}


def reference(x):
    return np.array([math.erf(float(value)) for value in x.ravel()]).reshape(x.shape)


def test_float64_erf_is_within_a_few_ulps_over_the_real_line():
    x = np.concatenate([np.linspace(-9, 9, 180_001), np.geomspace(1e-300, 1, 1000)])
    error = np.abs(erf_values(x) - reference(x))
    assert error.max() < TOLERANCE[np.float64]
    tiny = np.geomspace(1e-300, 1e-3, 500)  # relative accuracy where erf(x) ~ 2x/sqrt(pi) is tiny
    np.testing.assert_allclose(erf_values(tiny), reference(tiny), rtol=TOLERANCE[np.float64], atol=0)


def test_float32_erf_is_within_float32_resolution():
    x = np.linspace(-7, 7, 100_001, dtype=np.float32)
    values = erf_values(x)
    assert values.dtype == np.float32
    assert np.abs(values.astype(np.float64) - reference(x)).max() < TOLERANCE[np.float32]


def test_erf_is_odd_and_saturates():
    x = np.array([0.0, 1.5, 2.0, 2.5, 5.9, 6.0, 30.0, np.inf])
    np.testing.assert_array_equal(erf_values(-x), -erf_values(x))
    np.testing.assert_array_equal(erf_values(x[-3:]), [1.0, 1.0, 1.0])
    assert np.isnan(erf_values(np.array([np.nan]))[0])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_erf_matches_torch_on_every_device(torch, rng, device, dtype):
    x = rng.standard_normal(1000).astype(dtype) * 3
    ours = tinynn.erf(tinynn.tensor(x, device=device)).numpy()
    np.testing.assert_allclose(ours, torch.erf(torch.tensor(x)).numpy(), rtol=0, atol=TOLERANCE[dtype])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_the_tail_on_its_values_alone_gives_the_bits_of_the_tail_everywhere(rng, dtype):
    """On the CPU few values beyond 2 take the tail's series alone (GELU's inputs); many take both
    series everywhere. The same values give the same bits either way."""
    edges = np.array([np.nan, np.inf, -np.inf, 2.0, -2.0, np.nextafter(2.0, 3.0), 6.0, -30.0, 0.0, -0.0])
    mostly_inner = np.concatenate([rng.standard_normal(4000) * 0.7, edges]).astype(dtype)
    assert 4 * np.count_nonzero(np.abs(mostly_inner) > 2) < mostly_inner.size
    mostly_tail = np.concatenate([mostly_inner, rng.uniform(2, 9, 20000).astype(dtype)])
    np.testing.assert_array_equal(erf_values(mostly_inner), erf_values(mostly_tail)[:mostly_inner.size])
    assert np.signbit(erf_values(mostly_inner)[-1])  # erf(-0) = -0
    np.testing.assert_allclose(erf_values(mostly_inner[:-10]), reference(mostly_inner[:-10]), rtol=0,
                               atol=TOLERANCE[dtype])


def test_the_tail_taken_apart_keeps_each_value_in_its_place_whatever_the_layout():
    """Where fewer than a quarter of the values lie beyond 2, the tail series runs on those alone (by
    their C-order positions): a transposed or strided input gives each value's own erf."""
    from tinynn.ops.erf import erf_values

    rng = np.random.default_rng(5)
    values = rng.standard_normal((64, 48)) * 1.2
    for array in (values, values.T, values[::2, 1::3], np.asfortranarray(values)):
        assert 0 < np.count_nonzero(np.abs(array) > 2) < array.size / 4
        expected = np.vectorize(math.erf)(array)
        np.testing.assert_allclose(erf_values(array), expected, rtol=0, atol=4e-15)
        np.testing.assert_allclose(erf_values(array.astype(np.float32)), expected, rtol=0, atol=4e-7)


def test_float32_series_by_horners_rule_stay_within_three_ulps():
    """In float32 the series run in their power form by Horner's rule (two passes a term instead of
    Clenshaw's three): erf within 3 ulps where |erf| is not tiny (2.4; 2.7 by Clenshaw's recurrence), and
    erfc and erfcx as close to the float64 values as they were by Clenshaw's (3.9e-6 and 1.0e-6 relative at
    the worst point of [-5, 25]: e^(-x^2) of a float32 x, whose x^2 carries float32's rounding into the
    exponent, sets that, not the series)."""
    from tinynn.ops.erf import erfc_values, erfcx_values

    x = np.linspace(-6, 6, 240_001, dtype=np.float32)
    x = x[np.abs(x) > 1e-3]
    values = erf_values(x).astype(np.float64)
    expected = reference(x)
    ulps = np.abs(values - expected) / np.spacing(np.abs(expected).astype(np.float32)).astype(np.float64)
    assert ulps.max() < 3
    wide = np.linspace(-5, 25, 30_001).astype(np.float32)
    for function, worst in ((erfc_values, 4e-6), (erfcx_values, 1.1e-6)):
        ours = function(wide).astype(np.float64)
        exact = function(wide.astype(np.float64))  # (at the same, float32, points)
        finite = np.isfinite(exact) & (np.abs(exact) > 1e-30)
        np.testing.assert_allclose(ours[finite], exact[finite], rtol=worst, atol=0)


def test_horners_rule_sums_the_series_clenshaws_recurrence_sums():
    from tinynn.ops import chebyshev

    coefficients = np.array([0.7, -0.2, 0.05, 0.01, -0.003])
    t = np.linspace(-1, 1, 101)
    np.testing.assert_allclose(chebyshev.horner(chebyshev.power_form(coefficients, np.float64), t),
                               chebyshev.series(coefficients, t), rtol=1e-14, atol=1e-15)
    assert chebyshev.horner(chebyshev.power_form([0.5], np.float64), t).tolist() == [0.5] * 101
