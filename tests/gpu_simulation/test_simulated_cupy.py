"""The simulated CuPy must refuse what real CuPy refuses, or the GPU tests run under it prove nothing."""
import numpy as np
import pytest

from gpu_simulation import simulated_cupy
from gpu_simulation.simulated_cupy import CUPYX as cupyx
from gpu_simulation.simulated_cupy import MODULE as cupy
from gpu_simulation.simulated_cupy import TRANSFERS


@pytest.fixture(autouse=True)
def _fresh_counts():
    TRANSFERS.clear()


def test_host_and_device_arrays_do_not_mix():
    device, host = cupy.ones(3), np.ones(3)
    for mix in (lambda: device + host, lambda: host * device, lambda: np.maximum(device, host),
                lambda: cupy.concatenate([device, host]), lambda: device.dot(host)):
        with pytest.raises(TypeError, match="Unsupported type <class 'numpy.ndarray'>"):
            mix()
    with pytest.raises(TypeError, match="Implicit conversion to a NumPy array is not allowed"):
        np.asarray(device)
    assert isinstance(device * np.float32(2) + 1, cupy.ndarray), "scalars mix, as in CuPy"


def test_only_what_cupy_has_exists():
    missing_in_cupy = sorted(name for name in dir(np) if not name.startswith("_") and name not in simulated_cupy.NAMES["cupy"]
                             and callable(getattr(np, name)) and not isinstance(getattr(np, name), type))
    assert missing_in_cupy, "NumPy has functions CuPy lacks"
    for name in missing_in_cupy[:20]:
        with pytest.raises(AttributeError, match=f"module 'cupy' has no attribute '{name}'"):
            getattr(cupy, name)
    with pytest.raises(AttributeError, match="'cupy.ndarray' object has no attribute 'resize'"):
        cupy.zeros(4).resize(2)
    with pytest.raises(TypeError, match=r"cupy.sum\(\) got keyword argument\(s\) \['where'\]"):
        cupy.sum(cupy.ones(3), where=cupy.ones(3, dtype=bool))
    with pytest.raises(TypeError, match="no implementation of numpy.nanpercentile"):
        np.nanpercentile(cupy.ones(3), 50)


def test_reductions_stay_on_the_device_and_reads_are_counted():
    total = cupy.arange(4.0).sum()
    assert isinstance(total, cupy.ndarray) and total.shape == ()
    assert TRANSFERS["device_to_host"] == 0
    assert float(total) == 6.0 and bool(total > 0) and total.item() == 6.0
    assert TRANSFERS["device_to_host"] == 3
    with cupyx.allow_synchronize(False):
        with pytest.raises(cupyx.DeviceSynchronized):
            total.get()
    assert total.get() == 6.0


def test_uploads_copy_and_are_counted():
    host = np.zeros(3, dtype=np.float32)
    device = cupy.asarray(host)
    host[0] = 5
    assert device.get()[0] == 0, "device memory is not the host array"
    device[cupy.asarray(np.array([1]))] = 2.0
    device[np.array([2])] = 3.0  # a NumPy index is uploaded
    assert TRANSFERS["host_to_device"] == 3
    np.testing.assert_array_equal(device.get(), [0, 2, 3])
    assert cupy.asarray(device) is device


def test_elementwise_kernels_run_their_body_with_broadcasting_and_typed_arguments():
    affine = cupy.ElementwiseKernel("T x, T scale, float64 shift", "T y", "y = x * scale + shift;", "affine")
    x, scale = cupy.asarray(np.arange(6, dtype=np.float32).reshape(2, 3)), cupy.asarray(np.float32([1, 2, 3]))
    y = affine(x, scale, 0.5)
    assert y.dtype == np.float32 and y.shape == (2, 3)
    np.testing.assert_array_equal(y.get(), np.arange(6).reshape(2, 3) * [1, 2, 3] + 0.5)
    with pytest.raises(TypeError, match="Type is mismatched"):
        affine(x, cupy.ones(3, dtype=np.float64), 0.5)
    with pytest.raises(TypeError, match="Unsupported type <class 'numpy.ndarray'>"):
        affine(x, np.ones(3, dtype=np.float32), 0.5)


def test_elementwise_kernels_write_given_outputs_in_place_and_read_them():
    update = cupy.ElementwiseKernel("T x, float64 rate", "T doubled, S running", """
        doubled = 2 * x;
        running = (1 - rate) * running + rate * x;
    """, "update")
    running, doubled = cupy.zeros(3, dtype=np.float64), cupy.empty(3, dtype=np.float32)
    out = update(cupy.ones(3, dtype=np.float32), 0.25, doubled, running)
    assert out[1] is running and out[0] is doubled
    np.testing.assert_array_equal(running.get(), [0.25] * 3)
    np.testing.assert_array_equal(doubled.get(), [2] * 3)
    with pytest.raises(ValueError, match="Out shape is mismatched"):
        update(cupy.ones(3, dtype=np.float32), 0.25, cupy.empty(2, dtype=np.float32), cupy.zeros(2))


def test_kernel_bodies_are_the_c_that_python_also_reads():
    with pytest.raises(NotImplementedError, match="the C that is also Python"):
        cupy.ElementwiseKernel("T x", "T y", "y = x > 0 ? x : 0;", "ternary")
    declares = cupy.ElementwiseKernel("T x", "T y", "T twice = 2 * x;\nconst T four = twice * 2;\ny = four + (x == x);",
                                      "declares")
    np.testing.assert_array_equal(declares(cupy.ones(2)).get(), [5, 5])
    uses_python = cupy.ElementwiseKernel("T x", "T y", "y = abs(x);", "python_builtin")  # CUDA's abs, not Python's
    with pytest.raises(NameError):
        uses_python(cupy.ones(2))


def test_reduction_kernels_sum_as_accurately_as_a_tree():
    squares = cupy.ReductionKernel("T x, T mean", "T total", "(x - mean) * (x - mean)", "a + b", "total = a", "0", "sq")
    values = np.float32(1000) + np.random.default_rng(0).standard_normal((200_000, 2)).astype(np.float32)
    device = cupy.asarray(values)
    mean = device.mean(axis=0)
    total = squares(device, mean, axis=0)
    exact = ((values.astype(np.float64) - values.astype(np.float64).mean(axis=0)) ** 2).sum(axis=0)
    assert total.dtype == np.float32 and mean.dtype == np.float32
    np.testing.assert_allclose(total.get(), exact, rtol=1e-5)
    with pytest.raises(NotImplementedError, match="only sums"):
        cupy.ReductionKernel("T x", "T m", "x", "max(a, b)", "m = a", "0", "max")


def test_kernel_types_are_one_letter_placeholders_or_dtype_names():
    with pytest.raises(ValueError, match="Wrong type float"):
        cupy.ElementwiseKernel("float x", "float y", "y = x;", "c_type_name")
    doubled = cupy.ElementwiseKernel("T x, float64 factor", "T y", "y = x * factor;", "typed")(cupy.ones(2, np.float32), 2)
    assert doubled.dtype == np.float32


def test_kernels_may_call_where_and_take_scalar_types_from_outputs():
    route = cupy.ElementwiseKernel("T g, I index, I wanted", "T gx", "gx = gx + where(index == wanted, g, 0);", "route")
    gx = cupy.ones(3, dtype=np.float32)
    route(cupy.asarray(np.float32([5, 6, 7])), cupy.asarray(np.uint8([0, 2, 2])), 2, gx)
    np.testing.assert_array_equal(gx.get(), [1, 7, 8])


def test_raw_kernel_arguments_are_whole_arrays_indexed_by_the_body():
    gather = cupy.ElementwiseKernel("raw T table, int64 index", "T out",
                                    "ptrdiff_t clipped = clip(index, 0, 3);\nout = table[clipped] * (index == clipped);",
                                    "gather")
    out = gather(cupy.asarray(np.float32([10, 11, 12, 13])), cupy.asarray(np.int64([[0, 2], [3, 9]])))
    assert out.shape == (2, 2) and out.dtype == np.float32
    np.testing.assert_array_equal(out.get(), [[10, 12], [13, 0]])


def test_kernel_parameters_may_not_take_cupys_reserved_names():
    for reserved in ("i", "n", "_raw"):
        with pytest.raises(ValueError, match="reserved"):
            cupy.ElementwiseKernel("T x", f"T {reserved}", f"{reserved} = x;", "reserved_name")


def test_the_record_keeps_what_every_cupy_version_has():
    """cupy_api.json holds what CuPy 13 and 14 have in common: a name where both have it, a keyword
    where both take it, so code the simulation passes runs on either."""
    from gpu_simulation.record_cupy_api import common_record

    def signature(*params, var_positional=False, var_keyword=False):
        return {"params": list(params), "var_positional": var_positional, "var_keyword": var_keyword}

    newer = {"cupy_versions": ["14.2.0"], "ufuncs": ["acos", "add"], "ufunc_methods": ["reduce"],
             "ufunc_keywords": ["dtype", "out"],
             "namespaces": {"cupy": {"asarray": signature("a", "dtype", "copy"), "mT": None, "newer_only": None,
                                     "matmul": signature("args", "out", var_positional=True),
                                     "take": None},
                            "cupy.linalg": {"eig": signature("a")}}}
    older = {"cupy_versions": ["13.6.0"], "ufuncs": ["add"], "ufunc_methods": ["reduce", "at"],
             "ufunc_keywords": ["out", "dtype"],
             "namespaces": {"cupy": {"asarray": signature("a", "dtype"), "mT": None,
                                     "matmul": signature("args", "kwargs", var_positional=True, var_keyword=True),
                                     "take": signature("a", "indices")}}}
    common = common_record(newer, older)
    assert common["cupy_versions"] == ["13.6.0", "14.2.0"]
    assert common["ufuncs"] == ["add"] and common["ufunc_methods"] == ["reduce"]
    assert common["ufunc_keywords"] == ["dtype", "out"]
    assert list(common["namespaces"]) == ["cupy"], "a namespace one version lacks is gone"
    names = common["namespaces"]["cupy"]
    assert set(names) == {"asarray", "mT", "matmul", "take"}
    assert names["asarray"] == signature("a", "dtype"), "copy= is CuPy 14's"
    assert names["matmul"] == signature("args", "out", var_positional=True), "**kwargs takes the other's keywords"
    assert names["take"] == signature("a", "indices"), "an unrecorded signature leaves the other's"
    assert common_record(older, newer) == common
    assert simulated_cupy.VERSIONS == " and ".join(simulated_cupy.API["cupy_versions"])
    assert "13.6.0" in simulated_cupy.VERSIONS, "the record holds CuPy 13's API (the gpu extra's oldest)"
