"""``as_strided``: a tensor read from its memory with sizes and strides of one's choosing, as PyTorch's
(strides in elements; the storage is the tensor's whole memory block, so a slice's storage_offset
counts from the start of the array it was cut from). The result is a view of that memory, as
PyTorch's (writing into a view whose elements overlap is refused). The classic use is a sliding window:
as_strided(x, (n - k + 1, k), (1, 1)) holds every window of k consecutive elements without copying.

Forward and backward in terms of storage positions: the output's element at index (i_1, ..., i_d)
reads position p = storage_offset + sum i_j stride_j, and the input's element k sits at position
q_k. Each output element passes its gradient back to the position it reads (several, with
overlapping windows), so

    dL/dx_k = sum of dL/dy_j over the output elements j with p_j = q_k

a scatter-add into a buffer the size of the storage, read back at the input's positions. Reading
memory of the block outside the tensor (before a slice's start) is allowed without gradients and
refused with them: that memory belongs to another tensor, which this op's gradient cannot reach.
"""

from ..errors import InputError
from .. import backend
from ..autograd import Function
from ..autograd.in_place import memory_block


def storage_of(x):
    """(the array whose memory x lies in, x's storage offset, the storage's length), in x's elements."""
    block = memory_block(x)
    if not (hasattr(block, "strides") and hasattr(block, "nbytes")):
        block = x  # memory owned by some other object (a buffer): x's own elements are the storage
    offset = (backend.address(x) - backend.address(block)) // x.itemsize
    return block, offset, block.nbytes // x.itemsize


class AsStrided(Function):
    """y = the ``size`` elements at positions storage_offset + sum i_j stride_j of x's storage (see the
    module docstring for the math of the backward)."""

    supports_complex = True

    def __init__(self, size, stride, storage_offset):
        self.size, self.stride, self.storage_offset = tuple(size), tuple(stride), storage_offset

    def forward(self, x):
        xp = self.xp(x)
        block, x_offset, length = storage_of(x)
        offset = x_offset if self.storage_offset is None else self.storage_offset
        if all(self.size):  # strides are non-negative: the last element reaches furthest
            last = offset + sum((size - 1) * stride for size, stride in zip(self.size, self.stride))
            if offset < 0 or last >= length:
                raise InputError(f"as_strided: sizes {self.size} with strides {self.stride} from storage offset "
                                 f"{offset} reach positions {offset}..{last}, outside the storage of {length} "
                                 f"elements this tensor lies in")
        self.x_positions = backend.positions(xp, x_offset, x.shape, [stride // x.itemsize for stride in x.strides])
        self.y_positions = backend.positions(xp, offset, self.size, self.stride)
        self.length = length
        if self.needs_input_grad[0] and self.y_positions.size:
            covered = xp.zeros(length, dtype=bool)
            covered[self.x_positions] = True
            if not bool(covered[self.y_positions].all()):
                raise InputError(f"as_strided: sizes {self.size} with strides {self.stride} from storage offset {offset} "
                                 f"read memory outside this tensor (of the array it is a view of), which would get no "
                                 f"gradient; take as_strided of that array itself (PyTorch follows views to their base)")
        # the whole storage as one flat array of x's dtype, from its first element
        raw = backend.as_strided(block, (block.nbytes // block.itemsize,), (block.itemsize,), writeable=True)
        flat = raw if raw.dtype == x.dtype else raw.view(x.dtype)
        return backend.as_strided(flat[offset:], self.size, tuple(stride * x.itemsize for stride in self.stride),
                                  writeable=True)

    def backward(self, gy):
        xp = self.xp(gy)
        storage = xp.zeros(self.length, dtype=gy.dtype)
        backend.scatter_add(storage, self.y_positions.reshape(-1), gy.reshape(-1))
        return (storage[self.x_positions],)

    def backward_graph(self, gy, output):
        from ..tensor import Tensor, zeros

        storage = zeros(self.length, dtype=gy.dtype, device=gy.device)
        storage = storage.index_add(0, Tensor._from_op(self.y_positions.reshape(-1), False), gy.reshape(-1))
        return (storage[Tensor._from_op(self.x_positions, False)],)

