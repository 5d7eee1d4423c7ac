"""Convolutions of complex signals and kernels, from real ones.

With x = a + ib and w = c + id, convolution being bilinear,
    conv(x, w) = conv(a, c) - conv(b, d) + i (conv(a, d) + conv(b, c)),
and Gauss's trick gets the four real convolutions down to three (as PyTorch does):
    t1 = conv(a, c),  t2 = conv(b, d),  t3 = conv(a + b, c + d),
    conv(x, w) = (t1 - t2) + i (t3 - t1 - t2).
Each piece is a recorded real op (``.real``, ``.imag``, the real convolutions, ``tinynn.complex``),
so the gradients, dL/dx = conv_input_grad(dL/dy, conj(w)) and dL/dw = conv_weight_grad(conj(x), dL/dy)
in PyTorch's convention (ops/complex.py), and the gradients of gradients come from theirs.
"""
import functools

from ...errors import DtypeError
from ...tensor import Tensor


def complex_by_parts(convolution):
    """Wrap a real convolution ``convolution(input, weight, bias, ...)`` so complex operands are
    convolved by the three real convolutions of the module docstring."""
    @functools.wraps(convolution)
    def convolve(input, weight, bias=None, *args, **kwargs):
        operands = [t for t in (input, weight, bias) if isinstance(t, Tensor)]
        if not any(t.dtype.kind == "c" for t in operands):
            return convolution(input, weight, bias, *args, **kwargs)
        name = kwargs.get("name", convolution.__name__)
        if any(t.dtype != input.dtype for t in operands):
            raise DtypeError(f"{name}: a complex convolution needs input, weight and bias of one complex dtype, got "
                             f"{', '.join(str(t.dtype) for t in operands)}")
        from ...functions import complex as make_complex

        a, b, c, d = input.real, input.imag, weight.real, weight.imag
        t1 = convolution(a, c, None, *args, **kwargs)
        t2 = convolution(b, d, None, *args, **kwargs)
        t3 = convolution(a + b, c + d, None, *args, **kwargs)
        output = make_complex(t1 - t2, t3 - t1 - t2)
        if bias is not None:
            output = output + bias.reshape((1, -1) + (1,) * (output.ndim - 2))
        return output
    return convolve
