"""The fully connected layer."""
from ...autograd import Function
from ...ops.reduction import sum_rows
from .validation import check_float, check_not_empty


class Linear(Function):
    """y = x @ W^T + b.   Shapes: x (..., in), W (out, in), b (out,) -> y (..., out).

    With x flattened to X (M, in) and gY = dL/dy flattened to (M, out):
        dL/dX = gY @ W   (M, in),   dL/dW = gY^T @ X   (out, in),   dL/db = sum of gY's rows.
    """

    def forward(self, x, weight, bias=None):
        self.x, self.weight, self.has_bias = x, weight, bias is not None
        y = x @ weight.T
        if bias is not None:
            y += bias
        return y

    def backward(self, gy):
        rows = gy.reshape(-1, gy.shape[-1])
        gx = (gy @ self.weight) if self.needs_input_grad[0] else None
        gw = rows.T @ self.x.reshape(-1, self.x.shape[-1]) if self.needs_input_grad[1] else None
        gb = sum_rows(rows) if self.has_bias and self.needs_input_grad[2] else None
        return gx, gw, gb


def linear(input, weight, bias=None, name="linear"):
    check_float(input, name)
    if input.ndim == 0:
        raise ValueError(f"{name}: expected input of shape (..., in_features), got a scalar")
    if input.ndim > 1:  # a 1-D input is one sample, not a batch
        check_not_empty(input, name)
    if weight.ndim != 2:
        raise ValueError(f"{name}: expected a 2-D weight (out_features, in_features), got {weight.shape}")
    if input.shape[-1] != weight.shape[1]:
        raise ValueError(
            f"{name}: expected input with {weight.shape[1]} features in its last axis, got input of shape {input.shape}"
        )
    return Linear()(input, weight, bias)
