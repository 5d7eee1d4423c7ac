"""backend.scatter_add of whole rows (an embedding's backward, index_add, coalescing a sparse
tensor): the rows sorted by index and summed, each index's rows in their order, then added once."""
import numpy as np
import pytest

from tinynn import backend


def sequential_sums(target, index, values):
    """target[i] + (v_1 + v_2 + ...) over the rows v of index i, in their order: what the sorted
    scatter computes, written as a loop."""
    expected = target.copy()
    for row in np.unique(index % len(target)):
        picked = values[index % len(target) == row]
        total = picked[0].copy()
        for value in picked[1:]:
            total += value
        expected[row] += total
    return expected


@pytest.mark.parametrize("case", range(40))
def test_rows_add_up_in_order_for_any_mix_of_repeats(case):
    rng = np.random.default_rng(case)
    rows, count, width = int(rng.integers(1, 40)), int(rng.integers(1, 200)), int(rng.integers(1, 5))
    index = rng.integers(-rows if case % 2 else 0, rows, count)  # negative indices count from the end
    if case % 5 == 0:
        index[:count // 2] = min(3, rows - 1)  # one index far more often than SCATTER_LEVELS: runs by reduceat
    values = rng.standard_normal((count, width))
    target = rng.standard_normal((rows, width))
    scattered = target.copy()
    backend.scatter_add(scattered, index, values)
    expected = sequential_sums(target, index, values)
    np.testing.assert_allclose(scattered, expected, rtol=1e-13, atol=1e-13)
    if np.bincount(index % rows).max() <= backend.SCATTER_LEVELS:  # by levels: each index's rows in order
        np.testing.assert_array_equal(scattered, expected)
    reference = target.copy()
    np.add.at(reference, index, values)
    np.testing.assert_allclose(scattered, reference, rtol=1e-12, atol=1e-12)


def test_negative_indices_are_the_rows_they_name():
    """-1 and 4 are one row of five: sorted apart they would be added as two."""
    target = np.zeros((5, 2))
    backend.scatter_add(target, np.array([-1, 4, 0, -1]), np.array([[1.0, 2], [10, 20], [5, 5], [100, 200]]))
    np.testing.assert_array_equal(target, [[5, 5], [0, 0], [0, 0], [0, 0], [111, 222]])


@pytest.mark.parametrize("rows", [65535, 65536, 65537, 70000])
def test_row_counts_either_side_of_the_uint16_sort_add_every_row_where_it_belongs(rows):
    """Below 2^16 rows the indices sort as uint16 keys; the rows at the top of that range and beyond it
    (where the keys would wrap) are added where they belong, repeats and negatives included."""
    rng = np.random.default_rng(rows)
    index = np.concatenate([rng.integers(-rows, rows, 300), [rows - 1, -1, 0, rows - 1, 65535 % rows]])
    values = rng.standard_normal((index.size, 2))
    target = np.zeros((rows, 2))
    backend.scatter_add(target, index, values)
    np.testing.assert_allclose(target, sequential_sums(np.zeros((rows, 2)), index, values), rtol=1e-13, atol=1e-13)


@pytest.mark.parametrize("case", range(12))
def test_scattered_writes_the_sums_into_zeros_as_scatter_add_adds_them(case):
    """``scattered`` (an embedding's weight gradient) equals scatter_add into zeros, bit for bit."""
    rng = np.random.default_rng(100 + case)
    rows, count, width = int(rng.integers(1, 30)), int(rng.integers(1, 150)), int(rng.integers(1, 4))
    index = rng.integers(-rows if case % 2 else 0, rows, count)
    if case % 4 == 0:
        index[:count // 2] = 0  # a padding index, far more often than SCATTER_LEVELS
    values = rng.standard_normal((count, width)).astype(np.float32)
    expected = np.zeros((rows, width), np.float32)
    backend.scatter_add(expected, index, values)
    got = backend.scattered((rows, width), index, values)
    assert got.dtype == np.float32
    np.testing.assert_array_equal(got, expected)
