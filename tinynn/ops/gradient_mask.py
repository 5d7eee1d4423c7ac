"""``passed_where``: a gradient let through where a mask holds and 0 elsewhere, the backward of every op
whose slope is 1 in some places and 0 in others (relu, clamp, where, maximum, max pooling, ...).

It must select, not multiply: an inf or NaN gradient arriving where the slope is 0 gives 0 there, as
in PyTorch, whose backwards select. ``dL/dy * mask`` would make inf * 0 = NaN, and the classic
``sqrt(clamp(d, min=0))`` (a distance whose square rounded below 0) would send NaN through the
whole model instead of 0.

NumPy's ``where`` selects, but over a mask of mixed signs it takes 6 ns a value against a
multiplication's 0.5 (a branch mispredicted per value). So on the CPU it selects by the bits: each
float's bits ANDed with all ones (kept) or all zeros (+0.0), 0.65 ns a value. CuPy's ``where`` is
one elementwise kernel, as fast as a multiplication; a Tensor (a backward recorded for
create_graph) takes tinynn's where.
"""
import numpy as np

from ..autograd import Function

_SAME_SIZE_INTEGER = {2: np.int16, 4: np.int32, 8: np.int64}


def passed_where(gy, mask, out=None):
    """``gy`` where the boolean ``mask`` holds, else 0 (the two broadcast together); written into ``out``
    (an array of that shape and gy's dtype) when it is given."""
    if isinstance(gy, np.ndarray) and gy.dtype.kind == "f" and gy.dtype.itemsize in _SAME_SIZE_INTEGER:
        integer = _SAME_SIZE_INTEGER[gy.dtype.itemsize]
        bits = np.broadcast_to(mask, np.broadcast_shapes(gy.shape, mask.shape)).astype(integer)
        np.negative(bits, out=bits)  # True: -1, every bit set
        np.bitwise_and(gy.view(integer), bits, out=bits if out is None else out.view(integer))
        return bits.view(gy.dtype) if out is None else out
    xp = Function.xp(gy)
    passed = xp.where(mask, gy, 0.0 if hasattr(gy, "grad_fn") else xp.zeros((), dtype=gy.dtype))
    if out is None:
        return passed
    out[...] = passed
    return out
