"""tinynn.fused: every fused GPU kernel is C that CUDA compiles and Python that the simulated CuPy runs.

What each kernel computes is tested where it is used (batch norm on the simulated and the real GPU,
against the CPU code and PyTorch); here, that its text is well-formed for both readers."""
import importlib
import pkgutil
import re

import pytest

import tinynn
from gpu_simulation import simulated_cupy
from tinynn import fused

for _module in pkgutil.walk_packages(tinynn.__path__, "tinynn."):  # every kernel is declared at import
    importlib.import_module(_module.name)

C_TYPES = {"float16": "__half", "float32": "float", "float64": "double", "int32": "int", "int64": "long long", "bool": "bool"}


def kernel_id(kernel):
    return kernel.definition[-1]


def parameters(spec):
    """[(type, name, raw?)] of a CuPy parameter list."""
    return [(words[-2], words[-1], words[0] == "raw") for words in (part.split() for part in spec.split(","))]


# The types that placeholders other than T (the data's float type) take where tinynn calls the kernel.
OTHER_PLACEHOLDERS = {
    "tinynn_bn_affine_coefficients_and_running_stats": {"S": "float"},  # running statistics: float32 buffers
    "tinynn_max_pool_running_max": {"I": "unsigned char"},  # argmax of windows under 256 values
    "tinynn_max_pool_route_to_argmax": {"I": "unsigned char"},
    "tinynn_dropout": {"D": "unsigned short"},  # 16-bit draws
}


def placeholders(kernel):
    """The one-letter types of a kernel's parameters (its first two definition entries)."""
    return sorted({t for spec in kernel.definition[:2] for t, _, _ in parameters(spec) if t not in C_TYPES})


def cuda_source(kernel, placeholder_type):
    """The kernel as CuPy lays it out: each argument bound by reference to its element (inputs const),
    the body (or map, reduce and post-map expressions) after them; T set to ``placeholder_type``,
    other placeholders to ``OTHER_PLACEHOLDERS``."""
    def c_type(type_name):
        return C_TYPES.get(type_name, type_name)

    if isinstance(kernel, fused.SumKernel):
        in_params, out_params, map_expr, reduce_expr, post_map_expr, _, name = kernel.definition
        (out_type, out_name, _), = parameters(out_params)
        body = (f"{c_type(out_type)} a = ({map_expr}); {c_type(out_type)} b = a; a = ({reduce_expr});\n"
                f"{c_type(out_type)} &{out_name} = _raw_{out_name}[i]; {post_map_expr};")
        outputs = [(out_type, out_name, False)]
    else:
        in_params, out_params, body, name = kernel.definition
        outputs = parameters(out_params)
    inputs = parameters(in_params)
    # A raw argument is the whole array, indexed by the body; the others are bound to one element.
    arguments = ([f"const {c_type(t)}* {n}" if raw else f"const {c_type(t)}* _raw_{n}" for t, n, raw in inputs]
                 + [f"{c_type(t)}* _raw_{n}" for t, n, _ in outputs])
    bindings = [f"const {c_type(t)} &{n} = _raw_{n}[i];" for t, n, raw in inputs if not raw]
    if not isinstance(kernel, fused.SumKernel):
        bindings += [f"{c_type(t)} &{n} = _raw_{n}[i];" for t, n, _ in outputs]
    others = OTHER_PLACEHOLDERS.get(name, {})
    typedefs = "".join(f"typedef {others.get(t, placeholder_type)} {t};\n"  # as CuPy's type map does
                       for t in placeholders(kernel))
    return (fused.PREAMBLE + typedefs + f'extern "C" __global__ void {name}({", ".join(arguments)}) {{\n'
            f"ptrdiff_t i = blockIdx.x * blockDim.x + threadIdx.x;\n" + "\n".join(bindings) + f"\n{body}\n}}\n")


def test_every_kernel_is_declared_and_named_once():
    names = [kernel_id(kernel) for kernel in fused.KERNELS]
    assert names and len(names) == len(set(names))
    assert all(re.fullmatch(r"tinynn_\w+", name) for name in names)


@pytest.mark.parametrize("kernel", fused.KERNELS, ids=kernel_id)
def test_every_placeholder_but_t_has_the_type_it_is_compiled_with(kernel):
    assert set(placeholders(kernel)) - {"T"} == set(OTHER_PLACEHOLDERS.get(kernel_id(kernel), {}))


@pytest.mark.parametrize("kernel", fused.KERNELS, ids=kernel_id)
def test_kernel_text_is_also_python(kernel):
    """The simulated CuPy reads every kernel (it refuses C that is not also Python), and no body
    uses an operator that only Python has."""
    getattr(simulated_cupy.MODULE, kernel.cupy_class)(*kernel.definition)
    texts = kernel.definition[2:5:2] if isinstance(kernel, fused.SumKernel) else kernel.definition[2:3]
    for text in texts:
        assert "**" not in text and "//" not in text, "Python's power and floor division (C has neither)"


@pytest.mark.parametrize("placeholder_type", ["float", "double"])
@pytest.mark.parametrize("kernel", fused.KERNELS, ids=kernel_id)
def test_kernel_compiles_with_nvrtc(kernel, placeholder_type):
    nvrtc = pytest.importorskip("cupy_backends.cuda.libs.nvrtc", reason="CuPy (with NVRTC) is not installed")
    source = cuda_source(kernel, placeholder_type)
    try:
        program = nvrtc.createProgram(source, "kernel.cu", [], [])
    except Exception as error:  # no libnvrtc on this machine
        pytest.skip(f"NVRTC cannot be loaded: {error}")
    try:
        nvrtc.compileProgram(program, ["--gpu-architecture=compute_80"])
    except nvrtc.NVRTCError as error:
        pytest.fail(f"{kernel_id(kernel)} does not compile ({error}):\n{nvrtc.getProgramLog(program)}\n{source}")
