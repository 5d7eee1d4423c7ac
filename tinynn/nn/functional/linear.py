"""The fully connected layer, and the bilinear one."""
import math

from ...errors import DtypeError, InputError
from ... import mixed_precision, parallel
from ...autograd import Function
from ...ops.complex import conj
from ...ops.reduction import sum_rows
from .validation import check_float, check_tensor


class Linear(Function):
    """y = x @ W^T + b.   Shapes: x (..., in), W (out, in), b (out,) -> y (..., out).

    With x flattened to X (M, in) and gY = dL/dy flattened to (M, out):
        dL/dX = gY @ W   (M, in),   dL/dW = gY^T @ X   (out, in),   dL/db = sum of gY's rows.
    """

    supports_complex = True  # complex x and W: conj(W) and conj(X) in the gradients (ops/complex.py)
    graph_saved = {"x": 0, "weight": 1}

    def forward(self, x, weight, bias=None):
        # x is kept for W's gradient only, W for x's: a first layer keeps no weight, and an
        # optimizer's step before its backward is no conflict (as in PyTorch; see autograd/in_place.py)
        self.x = x if self.needs_input_grad[1] else None
        self.weight = weight if self.needs_input_grad[0] else None
        self.has_bias = bias is not None
        y = parallel.matmul(x, weight.T)  # on the CPU, cut into blocks for tinynn's threads
        if bias is not None:
            y += bias
        return y

    def backward(self, gy):
        rows = as_rows(gy)
        gx = parallel.matmul(gy, conj(self.weight)) if self.needs_input_grad[0] else None
        gw = parallel.matmul(rows.T, conj(as_rows(self.x))) if self.needs_input_grad[1] else None
        gb = sum_rows(rows) if self.has_bias and self.needs_input_grad[2] else None
        return gx, gw, gb


def as_rows(array):
    """(..., features) as a matrix of its rows (an array's, or a recorded Tensor's under create_graph);
    the row count spelled out, as -1 cannot be inferred beside a zero size (a layer of no outputs)."""
    return array.reshape(math.prod(array.shape[:-1]), array.shape[-1])


@mixed_precision.casts_inputs("lower")
def linear(input, weight, bias=None, name="linear"):
    check_float(input, name, complex_ok=True)
    check_tensor(weight, name, "weight")
    if input.dtype.kind == "c" or weight.dtype.kind == "c":
        biased = (weight,) if bias is None else (weight, bias)
        if any(t.dtype != input.dtype for t in biased):
            raise DtypeError(f"{name}: a complex input and the weight (and bias) must share one dtype, got "
                             f"{input.dtype} and {', '.join(str(t.dtype) for t in biased)}")
    if input.ndim == 0:
        raise InputError(f"{name}: expected input of shape (..., in_features), got a scalar")
    if weight.ndim != 2:
        raise InputError(f"{name}: expected a 2-D weight (out_features, in_features), got {tuple(weight.shape)}")
    if input.shape[-1] != weight.shape[1]:
        raise InputError(
            f"{name}: expected input with {weight.shape[1]} features in its last axis, got input of shape {tuple(input.shape)}"
        )
    return Linear()(input, weight, bias)


class Bilinear(Function):
    """y[n, o] = sum_{i, j} x1[n, i] W[o, i, j] x2[n, j] + b[o].
    Shapes: x1 (..., in1), x2 (..., in2), W (out, in1, in2), b (out,) -> y (..., out).

    Backward, with g = dL/dy (rows n):
        dL/dx1[n, i] = sum_{o, j} g[n, o] W[o, i, j] x2[n, j],   dL/dx2[n, j] = sum_{o, i} g[n, o] W[o, i, j] x1[n, i]
        dL/dW[o, i, j] = sum_n g[n, o] x1[n, i] x2[n, j],          dL/db = sum of g's rows.
    Each is one ``einsum`` over the rows.
    """

    graph_saved = {"x1": lambda op, y: as_rows(op.inputs[0]), "x2": lambda op, y: as_rows(op.inputs[1]), "weight": 2}

    def forward(self, x1, x2, weight, bias=None):
        xp = self.xp(x1)
        self.shape = x1.shape[:-1]
        self.x1, self.x2 = as_rows(x1), as_rows(x2)
        self.weight, self.has_bias = weight, bias is not None
        y = xp.einsum("ni,oij,nj->no", self.x1, weight, self.x2)
        if bias is not None:
            y += bias
        return y.reshape(self.shape + (weight.shape[0],))

    def backward(self, gy):
        xp = self.xp(gy)
        g = as_rows(gy)
        g1 = g2 = gw = gb = None
        if self.needs_input_grad[0]:
            g1 = xp.einsum("no,oij,nj->ni", g, self.weight, self.x2).reshape(self.shape + (self.x1.shape[1],))
        if self.needs_input_grad[1]:
            g2 = xp.einsum("no,oij,ni->nj", g, self.weight, self.x1).reshape(self.shape + (self.x2.shape[1],))
        if self.needs_input_grad[2]:
            gw = xp.einsum("no,ni,nj->oij", g, self.x1, self.x2)
        if self.has_bias and self.needs_input_grad[3]:
            gb = sum_rows(g)
        return g1, g2, gw, gb


@mixed_precision.casts_inputs("lower")
def bilinear(input1, input2, weight, bias=None, name="bilinear"):
    """x1^T W x2 + b for each row of (..., in1) ``input1`` and (..., in2) ``input2``; see ``Bilinear``."""
    check_float(input1, name, "input1")
    check_float(input2, name, "input2")
    if weight.ndim != 3:
        raise InputError(f"{name}: expected a 3-D weight (out_features, in1_features, in2_features), got {tuple(weight.shape)}")
    if input1.shape[:-1] != input2.shape[:-1] or input1.shape[-1:] != weight.shape[1:2] or \
            input2.shape[-1:] != weight.shape[2:3]:
        raise InputError(f"{name}: expected inputs (..., {weight.shape[1]}) and (..., {weight.shape[2]}) with the same "
                         f"leading shape, got {tuple(input1.shape)} and {tuple(input2.shape)}")
    if bias is not None and bias.shape != weight.shape[:1]:
        raise InputError(f"{name}: expected bias of shape ({weight.shape[0]},), got {tuple(bias.shape)}")
    return Bilinear()(input1, input2, weight, bias)
