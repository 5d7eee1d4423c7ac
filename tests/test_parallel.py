"""tinynn.parallel: blocks of rows that depend on the sizes alone, and matrix products split into
them that give the bits of one product on any number of threads."""
import threading

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinynn
from tinynn import blas, parallel


@pytest.mark.parametrize("rows, block_rows, most, sizes", [
    (0, 64, None, [0]), (5, 64, None, [5]), (127, 64, None, [127]), (128, 64, None, [64, 64]),
    (200, 64, None, [100, 100]), (255, 64, None, [127, 128]), (256, 64, None, [64, 64, 64, 64]),
    (1000, 64, None, [125] * 8), (3, 1, None, [1, 2]), (4, 1, None, [1, 1, 1, 1]),
    (1000, 64, 4, [250] * 4), (1000, 64, 7, [250] * 4), (1000, 64, 1, [1000]), (100, 64, 4, [100]),
])
def test_row_blocks_are_a_power_of_two_of_nearly_equal_blocks(rows, block_rows, most, sizes):
    blocks = parallel.row_blocks(rows, block_rows, most)
    assert [block.stop - block.start for block in blocks] == sizes
    assert blocks[0].start == 0 and blocks[-1].stop == rows
    assert all(before.stop == after.start for before, after in zip(blocks, blocks[1:]))


@pytest.fixture
def threads():
    before = tinynn.get_num_threads()
    yield tinynn.set_num_threads
    tinynn.set_num_threads(before)


@pytest.mark.parametrize("shape_a, shape_b, transposed", [
    ((3584, 512), (512, 28), False), ((512, 3584), (3584, 128), True), ((1000, 3), (3, 7), False), ((0, 4), (4, 5), False),
])
def test_split_matmul_equals_one_product_on_any_thread_count(threads, shape_a, shape_b, transposed):
    rng = np.random.default_rng(0)
    a = rng.standard_normal(shape_a[::-1] if transposed else shape_a).astype(np.float32)
    a = a.T if transposed else a  # a transposed view, as the recurrent layers' weight gradients pass
    b = rng.standard_normal(shape_b).astype(np.float32)
    threads(1)
    one_thread = parallel.matmul(a, b)
    np.testing.assert_allclose(one_thread, a.astype(np.float64) @ b, rtol=1e-4, atol=1e-4)
    for count in (2, 3):
        threads(count)
        np.testing.assert_array_equal(parallel.matmul(a, b), one_thread)
    assert one_thread.shape == (shape_a[0], shape_b[1]) and one_thread.dtype == np.float32


@pytest.mark.parametrize("shape_a, shape_b, cut", [
    ((128, 4096), (4096, 96), True),          # few rows, a long inner axis (a weight's gradient): cut by that axis
    ((32, 64, 128), (128, 512), True),        # a stack of rows times one matrix (a layer's input and its weight)
    ((64, 96, 64), (64, 64, 96), True),       # a batch of products (attention's), cut by the batch axis
    ((2, 32, 96, 64), (1, 64, 96), True),     # the second broadcast along the first batch axis
    ((96, 64), (128, 64, 96), True),          # the first broadcast: a matrix times a batch
    ((64, 10), (10, 16384), True),            # few rows, a short inner axis (a classifier head's dL/dX): by columns
    ((3, 5), (5, 2), False), ((0, 64, 8), (8, 3), False), ((4, 0, 6), (4, 6, 2), False),  # small or empty
    ((5, 0), (0, 3), False),
])
def test_products_cut_any_way_equal_one_product_on_any_thread_count(threads, monkeypatch, shape_a, shape_b, cut):
    rng = np.random.default_rng(1)
    a, b = (rng.standard_normal(shape).astype(np.float32) for shape in (shape_a, shape_b))
    block_counts = []
    real_map = parallel.map_blocks
    monkeypatch.setattr(parallel, "map_blocks", lambda work, blocks, on_cpu=True: block_counts.append(len(blocks))
                        or real_map(work, blocks, on_cpu))
    threads(1)
    one_thread = parallel.matmul(a, b)
    assert bool(block_counts) == cut and all(count > 1 for count in block_counts)
    assert one_thread.shape == np.matmul(a, b).shape and one_thread.dtype == np.float32
    np.testing.assert_allclose(one_thread, a.astype(np.float64) @ b, rtol=1e-4, atol=1e-3)
    for count in (2, 3):
        threads(count)
        np.testing.assert_array_equal(parallel.matmul(a, b), one_thread)


def test_a_long_inner_axis_is_cut_and_the_pieces_added_in_order(monkeypatch):
    """The cut by the inner axis really happens for a weight's gradient (the pieces' products are
    added in span order), into SUMMED_BLOCKS pieces at the most."""
    monkeypatch.setattr(parallel, "BLOCK_MULTIPLY_ADDS", 1024)
    a, b = np.ones((4, 4096), dtype=np.float32), np.ones((4096, 2), dtype=np.float32)
    spans = []
    real_map = parallel.map_blocks
    monkeypatch.setattr(parallel, "map_blocks", lambda work, blocks, on_cpu=True: spans.extend(blocks)
                        or real_map(work, blocks, on_cpu))
    np.testing.assert_array_equal(parallel.matmul(a, b), np.full((4, 2), 4096, dtype=np.float32))
    assert len(spans) == parallel.SUMMED_BLOCKS and spans[0].start == 0 and spans[-1].stop == 4096


def test_few_rows_and_a_short_inner_axis_are_cut_by_columns_into_at_most_column_blocks(monkeypatch):
    monkeypatch.setattr(parallel, "BLOCK_MULTIPLY_ADDS", 1024)
    a, b = np.arange(12, dtype=np.float32).reshape(4, 3), np.ones((3, 1000), dtype=np.float32)
    cuts = []
    real_map = parallel.map_blocks
    monkeypatch.setattr(parallel, "map_blocks", lambda work, blocks, on_cpu=True: cuts.extend(blocks)
                        or real_map(work, blocks, on_cpu))
    np.testing.assert_array_equal(parallel.matmul(a, b), a @ b)
    assert len(cuts) == parallel.COLUMN_BLOCKS and cuts[0].start == 0 and cuts[-1].stop == 1000


def test_vectors_and_other_arrays_are_multiplied_as_they_are():
    a = np.arange(6.0).reshape(2, 3)
    np.testing.assert_array_equal(parallel.matmul(a, np.ones(3)), a @ np.ones(3))
    np.testing.assert_array_equal(parallel.matmul(np.ones(2), a), np.ones(2) @ a)
    product = parallel.matmul(tinynn.tensor(a), tinynn.tensor(a.T))  # Tensors (as under create_graph): their @
    assert isinstance(product, tinynn.Tensor)
    np.testing.assert_array_equal(product.numpy(), a @ a.T)


def test_blocks_that_split_their_own_work_run_it_in_their_thread(threads):
    """map_blocks inside a block (a matrix product split again, say) must not wait on a pool whose
    threads are all busy with the outer blocks: it runs the inner blocks where it is."""
    threads(2)
    a = np.arange(512 * 300, dtype=np.float64).reshape(512, 300) % 7
    b = np.ones((300, 600))
    results = []
    nested = threading.Thread(target=lambda: results.extend(
        parallel.map_blocks(lambda rows: parallel.matmul(a[rows], b), [slice(0, 256), slice(256, 512)])), daemon=True)
    nested.start()
    nested.join(timeout=60)
    assert not nested.is_alive(), "the nested blocks never finished: the pool waited on itself"
    np.testing.assert_array_equal(np.concatenate(results), a @ b)


def test_blocks_run_on_the_callers_thread_and_the_helpers_in_block_order(threads):
    import time

    threads(3)
    names = []

    def work(block):
        time.sleep(0.01)  # (releases the GIL, as NumPy's loops do)
        names.append(threading.current_thread().name)
        return block * block

    assert parallel.map_blocks(work, list(range(12))) == [block * block for block in range(12)]
    assert threading.current_thread().name in names and len(set(names)) == 3


def test_an_error_in_a_block_reaches_the_caller_and_the_pool_keeps_working(threads):
    import time

    threads(2)
    ran = []

    def work(block):
        ran.append(block)
        if block == 1:
            raise ValueError("block 1 failed")
        time.sleep(0.001)
        return block

    with pytest.raises(ValueError, match="block 1 failed"):
        parallel.map_blocks(work, list(range(200)))
    assert len(ran) < 200  # the blocks left once it failed are not run
    assert parallel.map_blocks(lambda block: -block, [1, 2, 3]) == [-1, -2, -3]


def test_callers_on_several_threads_share_the_helpers(threads):
    """Two user threads splitting their own products at once (two models served side by side): each
    caller works through its own blocks and gets its own results, whichever helper takes which."""
    threads(2)
    rng = np.random.default_rng(5)
    pairs = [(rng.standard_normal((1024, 256)).astype(np.float32), rng.standard_normal((256, 128)).astype(np.float32))
             for _ in range(2)]
    expected = [parallel.matmul(a, b) for a, b in pairs]
    failures = []

    def serve(k):
        for _ in range(40):
            if not np.array_equal(parallel.matmul(*pairs[k]), expected[k]):
                failures.append(k)

    callers = [threading.Thread(target=serve, args=(k,)) for k in range(2)]
    for caller in callers:
        caller.start()
    for caller in callers:
        caller.join(timeout=120)
    assert not any(caller.is_alive() for caller in callers) and not failures


@st.composite
def reordering_copy(draw):
    """A source array seen through a permutation of its axes (sizes 1 to 5, some of length 1), maybe a
    strided slice of a larger one, of a dtype OpenBLAS transposes or not, and a destination: C-ordered,
    or the interior of a padded array (as pad_nhwc's)."""
    shape = draw(st.lists(st.integers(1, 5), min_size=2, max_size=5))
    order = draw(st.permutations(range(len(shape))))
    dtype = draw(st.sampled_from([np.float32, np.float64, np.int32, np.complex64]))
    step = draw(st.sampled_from([1, 1, 2]))
    base = np.arange(np.prod(shape) * step, dtype=dtype).reshape(shape[:-1] + [shape[-1] * step])
    source = base[..., ::step].transpose(order)
    padded = draw(st.booleans())
    return source, padded


@given(case=reordering_copy(), thread_count=st.integers(1, 3))
@settings(max_examples=150, deadline=None)
def test_copy_into_equals_numpys_copy_for_any_reordering(monkeypatch, threads, case, thread_count):
    """copy_into gives NumPy's values for every permutation of axes, strided source and padded destination,
    on any number of threads; OpenBLAS's transposes do the copy exactly where the source is a batch of
    transposed matrices (as_transposes) of float32 or float64 (the rest: NumPy's copy)."""
    source, padded = case
    monkeypatch.setattr(parallel, "COPY_MIN_BYTES", 0)
    monkeypatch.setattr(parallel, "TRANSPOSED_MATRIX_MIN_BYTES", 0)
    threads(thread_count)
    transposed = []
    by_transposes = parallel.copy_by_transposes
    monkeypatch.setattr(parallel, "copy_by_transposes",
                        lambda out, source: transposed.append(by_transposes(out, source)) or transposed[-1])
    whole = np.full(tuple(size + 2 for size in source.shape) if padded else source.shape, -1, dtype=source.dtype)
    out = whole[tuple(slice(1, -1) for _ in source.shape)] if padded else whole
    parallel.copy_into(out, source)
    np.testing.assert_array_equal(out, source)
    if padded:
        assert (whole == -1).sum() == whole.size - source.size  # the border untouched
    if not source.flags.c_contiguous:
        expected = source.dtype in (np.float32, np.float64) and parallel.as_transposes(source) is not None
        assert transposed == [expected]


@pytest.mark.parametrize("shape, order, expected", [
    ((16, 64, 32, 32), (0, 2, 3, 1), (16, 64, 1024)),   # an NCHW batch read channels-last
    ((16, 32, 32, 64), (0, 3, 1, 2), (16, 1024, 64)),   # a channels-last batch read in NCHW order
    ((1, 64, 32, 32), (0, 2, 3, 1), (1, 64, 1024)),     # a batch of one: its length-1 axis left out
    ((8, 3, 5), (0, 2, 1), (8, 3, 5)), ((6, 7), (1, 0), (1, 6, 7)),
    ((4, 5, 6, 7), (0, 3, 2, 1), None),                 # not a swap of two blocks of axes
    ((4, 5, 6, 7), (1, 0, 2, 3), None),                 # the batch axis moved
])
def test_as_transposes_recognises_batches_of_transposed_matrices(shape, order, expected):
    source = np.zeros(shape, dtype=np.float32).transpose(order)
    assert parallel.as_transposes(source) == expected


def test_copy_into_without_openblas_transposes_copies_as_numpy(monkeypatch, threads):
    """Where NumPy's BLAS has no transpose (another BLAS, another platform), the copy is NumPy's."""
    from tinynn import blas

    monkeypatch.setattr(blas, "transposer", lambda dtype: None)
    monkeypatch.setattr(parallel, "COPY_MIN_BYTES", 0)
    monkeypatch.setattr(parallel, "TRANSPOSED_MATRIX_MIN_BYTES", 0)
    threads(2)
    source = np.random.default_rng(0).standard_normal((4, 3, 5, 6)).astype(np.float32).transpose(0, 2, 3, 1)
    assert not parallel.copy_by_transposes(np.empty(source.shape, np.float32), source)
    np.testing.assert_array_equal(parallel.copy_into(np.empty(source.shape, np.float32), source), source)


def test_copy_into_a_read_only_array_is_numpys_error(monkeypatch):
    """OpenBLAS's transpose writes through a raw address, so a read-only out is left to NumPy, which refuses it."""
    monkeypatch.setattr(parallel, "COPY_MIN_BYTES", 0)
    monkeypatch.setattr(parallel, "TRANSPOSED_MATRIX_MIN_BYTES", 0)
    source = np.ones((2, 3, 4), np.float32).transpose(0, 2, 1)
    out = np.zeros(source.shape, np.float32)
    out.flags.writeable = False
    assert parallel.as_transposes(source) is not None and not parallel.copy_by_transposes(out, source)
    with pytest.raises(ValueError, match="read-only"):
        parallel.copy_into(out, source)
    assert not out.any()


def test_small_transposed_matrices_are_left_to_numpys_copy():
    """OpenBLAS's transpose is called once per matrix: for matrices below TRANSPOSED_MATRIX_MIN_BYTES
    NumPy's copy from the cache is as fast or faster, so it does them."""
    small = np.zeros((64, 32, 256), np.float32).transpose(0, 2, 1)  # 32 KB matrices (a batch norm's NCHW input)
    large = np.zeros((8, 256, 256), np.float32).transpose(0, 2, 1)  # 256 KB ones
    assert not parallel.copy_by_transposes(np.empty(small.shape, np.float32), small)
    assert parallel.copy_by_transposes(np.empty(large.shape, np.float32), large) == (blas.transposer(np.float32) is not None)
