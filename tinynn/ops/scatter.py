"""Writing values at indexed positions: ``scatter`` (overwrite) and ``scatter_reduce``'s amax/amin
(``scatter_add``, the sum, is in shape.py, as the transpose of gather).

Positions come as PyTorch's: along ``axis``, ``out[index[i][j]][j] = src[i][j]`` (for axis 0 of a
2-D tensor; every other axis is its own position), ``index`` and ``src`` of one shape.
"""
from .. import backend
from ..autograd import Function
from .shape import index_positions


class Scatter(Function):
    """y = x with y[positions] = src (PyTorch's ``scatter``; with repeated positions one of the
    values is kept, as PyTorch leaves unspecified).

    dL/dx = dL/dy where nothing was written (0 at the written positions);
    dL/dsrc = dL/dy read at the positions (a gather, as PyTorch's, repeated positions included).
    Both are linear in dL/dy with constant masks and indices, so they are recorded as they stand.
    """

    supports_complex = True
    graph_saved = {}

    def __init__(self, axis, index):
        self.axis, self.index = axis, index

    def forward(self, x, src):
        xp = self.xp(x)
        self.positions = index_positions(xp, self.index, self.axis)
        y = x.copy()
        y[self.positions] = src
        self.kept = xp.ones(x.shape, dtype=x.dtype)
        self.kept[self.positions] = 0
        return y

    def backward(self, gy):
        return (gy * self.kept if self.needs_input_grad[0] else None,
                gy[self.positions] if self.needs_input_grad[1] else None)


class ScatterExtreme(Function):
    """y = x with y[p] = max (``largest``) or min of x[p] (if ``include_self``) and every src value
    written to p (PyTorch's ``scatter_reduce`` with "amax"/"amin"); positions nothing is written to
    keep x.

    The gradient goes to the values equal to the result, split evenly among ties, as PyTorch:
    with c_p the number of them at p, dL/dx_p = dL/dy_p [x_p is one] / c_p and
    dL/dsrc_i = dL/dy_p(i) [src_i is one] / c_p(i).
    """

    graph_saved = {}

    def __init__(self, axis, index, largest, include_self):
        self.axis, self.index, self.largest, self.include_self = axis, index, largest, include_self

    def forward(self, x, src):
        xp = self.xp(x)
        self.positions = index_positions(xp, self.index, self.axis)
        written = xp.zeros(x.shape, dtype=bool)
        written[self.positions] = True
        fill = -xp.inf if self.largest else xp.inf
        y = x.copy() if self.include_self else xp.where(written, xp.asarray(fill, dtype=x.dtype), x)
        (backend.scatter_max if self.largest else backend.scatter_min)(y, self.positions, src)
        self.self_share = ((y == x) & (~written | self.include_self)).astype(x.dtype)
        self.src_share = (src == y[self.positions]).astype(x.dtype)
        counts = self.self_share.copy()
        backend.scatter_add(counts, self.positions, self.src_share)
        self.self_share /= counts
        self.src_share /= counts[self.positions]
        return y

    def backward(self, gy):
        return (gy * self.self_share if self.needs_input_grad[0] else None,
                gy[self.positions] * self.src_share if self.needs_input_grad[1] else None)
