"""Fused GPU kernels: several elementwise steps compiled by CuPy into one kernel launch.

On a GPU every array operation is a kernel launch with a fixed cost of several microseconds of
CPU time, and for a network as small as the MNIST model the launches, not the arithmetic, set
the speed. Batch normalization written as array operations takes about 25 launches per pass
(each small per-channel step is one); written as the kernels below it takes four.

Each kernel is declared once, like CuPy's ``ElementwiseKernel``/``ReductionKernel`` (the same
arguments), and compiled the first time it runs (CuPy caches the binary on disk). Its body is
written in the subset that C and Python share: statements ``[type] name = expression;`` over
arithmetic, comparisons, ``&``/``|`` of parenthesised comparisons, the C functions ``sqrt``,
``exp``, ``log``, ``tanh``, ``floor``, ``cos``, ``sin``, the cast ``ptrdiff_t(x)``, and ``where(condition, a, b)``
(``condition ? a : b``) and ``clip(a, low, high)``, which ``PREAMBLE`` defines for CUDA; a
``raw`` array is indexed by a computed position. CuPy compiles it as C; the simulated CuPy of the
tests evaluates the same text with NumPy arrays (dropping the declarations' types, and with
NumPy's ``where`` and ``clip``), so the kernels are checked against the CPU code on every machine.
Divisions have a floating-point operand (C would divide integers without the remainder).
"""
from . import backend

PREAMBLE = """
template <typename C, typename A, typename B>
__device__ A where(const C condition, const A a, const B b) { return condition ? a : A(b); }
template <typename A, typename L, typename H>
__device__ A clip(const A a, const L low, const H high) { return a < low ? A(low) : (a > high ? A(high) : a); }
"""


KERNELS = []  # every kernel declared, for the tests that compile them


class _Kernel:
    """A CuPy kernel declared at import time (CuPy itself is imported only when the GPU is used)."""

    cupy_class = None

    def __init__(self, *definition):
        self.definition = definition
        self._built = (None, None)  # (the CuPy module, the kernel made by it)
        KERNELS.append(self)

    def _kernel(self):
        cupy = backend.cupy_module()
        if self._built[0] is not cupy:
            self._built = (cupy, getattr(cupy, self.cupy_class)(*self.definition, preamble=PREAMBLE))
        return self._built[1]


class ElementwiseKernel(_Kernel):
    """``cupy.ElementwiseKernel(in_params, out_params, operation, name)``.

    Called with the inputs (arrays broadcast together, or numbers) and, optionally, every output
    array (written in place, as CuPy does); returns the output arrays."""

    cupy_class = "ElementwiseKernel"

    def __call__(self, *args):
        return self._kernel()(*args)


class SumKernel(_Kernel):
    """The sum over ``axis`` of ``map_expr`` evaluated elementwise on the (broadcast) inputs: one
    ``cupy.ReductionKernel`` launch, with nothing stored in between."""

    cupy_class = "ReductionKernel"

    def __init__(self, in_params, map_expr, name):
        super().__init__(in_params, "T total", map_expr, "a + b", "total = a", "0", name)

    def __call__(self, *args, axis):
        return self._kernel()(*args, axis=axis)


def channels_last(array):
    """An (N, C, H, W) array seen as (N, H, W, C), other ranks as they are: for tinynn's
    channels-last activations, the order of the values in memory, in which a kernel reads and
    writes contiguously and allocates its outputs."""
    return array.transpose(0, 2, 3, 1) if array.ndim == 4 else array


def channels_first(array):
    """The inverse of ``channels_last``: the NCHW-shaped view."""
    return array.transpose(0, 3, 1, 2) if array.ndim == 4 else array
