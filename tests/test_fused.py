"""tinynn.fused: every fused GPU kernel is C that CUDA compiles and Python that the simulated CuPy runs.

What each kernel computes is tested where it is used (batch norm on the simulated and the real GPU,
against the CPU code and PyTorch); here, that its text is well-formed for both readers."""
import importlib
import pkgutil
import re

import numpy as np
import pytest

import tinynn
from gpu_simulation import simulated_cupy
from tinynn import fused

for _module in pkgutil.walk_packages(tinynn.__path__, "tinynn."):  # every kernel is declared at import
    importlib.import_module(_module.name)

# The dtypes that placeholders other than T (the data's float type) take where tinynn calls the kernel.
OTHER_PLACEHOLDERS = {
    "tinynn_bn_affine_coefficients_and_running_stats": {"S": "float32"},  # running statistics: float32 buffers
    "tinynn_max_pool_running_max": {"I": "uint8"},  # argmax of windows under 256 values
    "tinynn_max_pool_route_to_argmax": {"I": "uint8"},
    "tinynn_dropout": {"D": "uint16"},  # 16-bit draws
    "tinynn_ce_row_losses": {"I": "int64"},  # class-index targets
    "tinynn_ce_input_grad": {"I": "int64"},
}
# The arguments tinynn passes as numbers (CuPy makes them kernel parameters, not arrays).
NUMBER_ARGUMENTS = {
    "tinynn_bn_affine_coefficients": {"count", "eps"},
    "tinynn_bn_affine_coefficients_and_running_stats": {"count", "eps", "momentum"},
    "tinynn_bn_input_grad_coefficients": {"count"},
    "tinynn_dropout": {"threshold", "scale"},
    "tinynn_max_pool_running_max": {"offset"},
    "tinynn_max_pool_route_to_argmax": {"offset"},
    "tinynn_affine_bilinear": {"h", "w"},
    "tinynn_ce_row_losses": {"classes", "ignore_index", "smoothing"},
    "tinynn_ce_input_grad": {"classes", "ignore_index", "smoothing"},
}


def kernel_id(kernel):
    return kernel.definition[-1]


def parameters(spec):
    """[(type, name, raw?)] of a CuPy parameter list."""
    return [(words[-2], words[-1], words[0] == "raw") for words in (part.split() for part in spec.split(","))]


def placeholders(kernel):
    """The one-letter types of a kernel's parameters (its first two definition entries)."""
    return sorted({t for spec in kernel.definition[:2] for t, _, _ in parameters(spec) if len(t) == 1})


def test_every_kernel_is_declared_and_named_once():
    names = [kernel_id(kernel) for kernel in fused.KERNELS]
    assert names and len(names) == len(set(names))
    assert all(re.fullmatch(r"tinynn_\w+", name) for name in names)


@pytest.mark.parametrize("kernel", fused.KERNELS, ids=kernel_id)
def test_every_placeholder_but_t_and_every_number_argument_is_listed(kernel):
    assert set(placeholders(kernel)) - {"T"} == set(OTHER_PLACEHOLDERS.get(kernel_id(kernel), {}))
    names = {name for _, name, _ in parameters(kernel.definition[0])}
    assert NUMBER_ARGUMENTS.get(kernel_id(kernel), set()) <= names


@pytest.mark.parametrize("kernel", fused.KERNELS, ids=kernel_id)
def test_kernel_text_is_also_python(kernel):
    """The simulated CuPy reads every kernel (it refuses C that is not also Python), and no body
    uses an operator that only Python has."""
    getattr(simulated_cupy.MODULE, kernel.cupy_class)(*kernel.definition)
    texts = kernel.definition[2:5:2] if isinstance(kernel, fused.SumKernel) else kernel.definition[2:3]
    for text in texts:
        assert "**" not in text and "//" not in text, "Python's power and floor division (C has neither)"


def cupy_code_generators():
    """CuPy's own (private) code generators, which need no GPU; the test skips where they are not
    what they were in CuPy 13.6 and 14.2."""
    try:
        from cupy._core import _kernel, _reduction, core
        from cupy._core._carray import Indexer
        from cupy._core._scalar import CScalar
        from cupy_backends.cuda.libs import nvrtc
        from cupy.cuda import compiler
        import cupy
    except ImportError as error:
        pytest.skip(f"CuPy (with NVRTC) is not installed: {error}")
    needed = [(_kernel, "_get_elementwise_kernel_code"), (_kernel, "_ArgInfo"), (_kernel, "_TypeMap"),
              (_kernel, "_get_param_info"), (_kernel, "_decide_params_type"),
              (_reduction, "_ReductionKernel_get_cached_function_code"), (core, "assemble_cupy_compiler_options")]
    missing = [name for module, name in needed if not hasattr(module, name)]
    if missing:
        pytest.skip(f"CuPy {cupy.__version__} has not the code generators this test uses: {missing}")
    return _kernel, _reduction, core, compiler, Indexer, CScalar, nvrtc, cupy.ndarray


def cupy_source(kernel, float_type):
    """The CUDA source CuPy generates for ``kernel`` when tinynn calls it on 2-D arrays of
    ``float_type``, headers included, and NVRTC's options as CuPy sets them."""
    _kernel, _reduction, core, compiler, Indexer, CScalar, nvrtc, ndarray = cupy_code_generators()
    name = kernel_id(kernel)
    dtypes = {"T": np.dtype(float_type).type, **{t: np.dtype(d).type for t, d in OTHER_PLACEHOLDERS.get(name, {}).items()}}
    numbers = NUMBER_ARGUMENTS.get(name, set())
    in_spec, out_spec = kernel.definition[:2]
    in_params, out_params = _kernel._get_param_info(in_spec, True), _kernel._get_param_info(out_spec, False)

    def dtype_of(type_name):
        return dtypes[type_name] if len(type_name) == 1 else np.dtype(type_name).type

    def array(type_name, ndim):
        return _kernel._ArgInfo(1, ndarray, dtype_of(type_name), ndim, True, True)

    def argument(type_name, arg_name, raw):
        if arg_name in numbers:
            return _kernel._ArgInfo(3, CScalar, dtype_of(type_name), 0, True, True)
        return array(type_name, 1 if raw else 2)

    ins = [argument(*param) for param in parameters(in_spec)]
    outs = [array(t, 1 if isinstance(kernel, fused.SumKernel) else 2) for t, _, _ in parameters(out_spec)]
    _, _, type_map = _kernel._decide_params_type(
        in_params, out_params, tuple(None if info.arg_kind == 3 else info.dtype for info in ins),
        tuple(info.dtype for info in outs))
    if isinstance(kernel, fused.SumKernel):
        _, _, map_expr, reduce_expr, post_map_expr, identity, _ = kernel.definition
        params = (in_params + out_params + _kernel._get_param_info("CIndexer _in_ind, CIndexer _out_ind", False)
                  + _kernel._get_param_info("int32 _block_stride", True))
        indexers = [_kernel._ArgInfo(2, Indexer, None, 2, True, True), _kernel._ArgInfo(2, Indexer, None, 1, True, True),
                    _kernel._ArgInfo(3, CScalar, np.int32, 0, True, True)]
        pairs = tuple(sorted([(t, dtypes[t]) for t in placeholders(kernel)] + [("IndexT", np.int32)]))
        code = _reduction._ReductionKernel_get_cached_function_code(
            len(ins), len(outs), params, tuple(ins + outs + indexers), _kernel._TypeMap(pairs), name, 256,
            out_params[0].ctype, identity, map_expr, reduce_expr, post_map_expr, fused.PREAMBLE, ())
    else:
        params = in_params + out_params + _kernel._get_param_info("CIndexer _ind", False)
        indexer = _kernel._ArgInfo(2, Indexer, None, 2, True, True)
        code = _kernel._get_elementwise_kernel_code(tuple(ins + outs + [indexer]), type_map, params,
                                                   kernel.definition[2], name, fused.PREAMBLE)
    try:
        options = list(core.assemble_cupy_compiler_options(()))  # (asks NVRTC its version)
        # CuPy 13 adds the include folders of the nvidia-* wheels' CUDA headers as it compiles
        options += getattr(compiler, "_get_extra_include_dir_opts", tuple)()
    except RuntimeError as error:  # CuPy installed, libnvrtc not found
        pytest.skip(f"NVRTC cannot be loaded: {error}")
    options.append("--gpu-architecture=compute_80")
    return "#include <cupy/carray.cuh>\n" + code, options, nvrtc


@pytest.mark.parametrize("float_type", ["float32", "float64"])
@pytest.mark.parametrize("kernel", fused.KERNELS, ids=kernel_id)
def test_kernel_compiles_as_cupy_generates_it(kernel, float_type):
    """NVRTC compiles the very source CuPy generates for the kernel (its code generators need no GPU)."""
    source, options, nvrtc = cupy_source(kernel, float_type)
    try:
        program = nvrtc.createProgram(source, "kernel.cu", [], [])
    except Exception as error:  # no libnvrtc on this machine
        pytest.skip(f"NVRTC cannot be loaded: {error}")
    try:
        nvrtc.compileProgram(program, options)
    except nvrtc.NVRTCError as error:
        pytest.fail(f"{kernel_id(kernel)} does not compile ({error}):\n{nvrtc.getProgramLog(program)}\n{source}")
