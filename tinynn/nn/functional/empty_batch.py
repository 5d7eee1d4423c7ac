"""A batch of no samples (N = 0) through a layer whose kernels work image by image.

PyTorch gives such a batch an empty output of the layer's output shape, and every parameter a zero
gradient (a sum over no samples). The convolution kernels cut the batch into blocks of images and
size their scratch arrays from the first one, and batch norm's statistics of no values would be NaN;
rather than teach each of them the empty case, their functionals (conv2d, conv_transpose2d and those
built on them, batch_norm) hand an empty batch to ``EmptyBatch``; batch_norm and group_norm hand it
any input of no values (an image of width 0 too, whose statistics are as undefined). The other layers' array code
gives empty results of empty input as it is.
"""
from ... import backend
from ...autograd import Function


class EmptyBatch(Function):
    """y = an empty array of ``output_shape`` (one of its axes 0), in the first input's dtype.

    No input value reaches y, so for every input x_i: dL/dx_i = 0, of x_i's shape (None inputs,
    a missing bias, stay None)."""

    def __init__(self, output_shape):
        self.output_shape = tuple(output_shape)

    def forward(self, *arrays):
        self.input_layouts = [None if a is None else (a.shape, a.dtype) for a in arrays]
        first = next(a for a in arrays if a is not None)
        return backend.get_array_module(first).empty(self.output_shape, dtype=first.dtype)

    def backward(self, gy):
        xp = backend.get_array_module(gy)
        return tuple(None if layout is None or not wanted else xp.zeros(*layout)
                     for layout, wanted in zip(self.input_layouts, self.needs_input_grad))

    def backward_graph(self, gy, output):
        """The zeros recorded as sums over no values (those of dL/dy and of the empty batch, the first
        input), so that a gradient of them reaches both, as PyTorch's does (an empty one)."""
        nothing = gy.sum() + self.inputs[0].sum()
        return tuple(None if layout is None or not wanted else nothing.to(dtype=layout[1]).expand(layout[0])
                     for layout, wanted in zip(self.input_layouts, self.needs_input_grad))
