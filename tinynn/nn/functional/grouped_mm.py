"""``grouped_mm``: PyTorch's grouped matrix product for mixture-of-experts layers, where each expert
(group) multiplies its own slice of the tokens by its own weight matrix, the slices of different
lengths ("jagged") and marked by ``offs``: group g covers [offs[g-1], offs[g]) of the jagged
dimension (offs[-1] = 0 before the first). Four layouts, as PyTorch's:

    a (T, K)      b (G, K, N)   offs (G,)  ->  (T, N)      rows of group g: a[rows] @ b[g]     (the forward)
    a (G, M, K)   b (G, K, N)   no offs    ->  (G, M, N)   a[g] @ b[g]                        (a batch)
    a (M, Kt)     b (Kt, N)     offs (G,)  ->  (G, M, N)   a[:, ks] @ b[ks] for group g's ks   (weight gradients)
    a (G, M, K)   b (K, Nt)     offs (G,)  ->  (M, Nt)     columns of group g: a[g] @ b[:, cols]

Rows (columns) past offs[-1] belong to no group and come out 0 (PyTorch leaves them unset). Built from
slices, matrix products and concatenation, so its gradients are theirs; the groups are walked in a
loop (one matrix product each), as a grouped GEMM kernel walks them.
"""
import numpy as np

from ...errors import InputError
from ...tensor import Tensor, concatenate, zeros


def grouped_mm(mat_a, mat_b, *, offs=None, bias=None, out_dtype=None):
    name = "grouped_mm"
    for what, value in (("mat_a", mat_a), ("mat_b", mat_b)):
        if not isinstance(value, Tensor) or value.ndim not in (2, 3):
            raise InputError(f"{name}: {what} must be a 2-D or 3-D tensor, got "
                             f"{tuple(value.shape) if isinstance(value, Tensor) else type(value).__name__}")
    layout = (mat_a.ndim, mat_b.ndim)
    if (offs is None) != (layout == (3, 3)):
        raise InputError(f"{name}: offs is needed exactly when an operand is 2-D (got {mat_a.ndim}-D and "
                         f"{mat_b.ndim}-D operands {'without' if offs is None else 'with'} offs)")
    ends = _group_ends(name, offs, layout, mat_a, mat_b) if offs is not None else None
    if bias is not None and layout not in ((2, 3), (3, 3)):
        raise InputError(f"{name}: bias is added per group to a (T, N) or (G, M, N) result, not for "
                         f"{mat_a.ndim}-D and {mat_b.ndim}-D operands")
    if layout == (3, 3):
        _check_inner(name, mat_a.shape[2], mat_b.shape[1], mat_a.shape[0], mat_b.shape[0])
        result = mat_a @ mat_b + (bias[:, None, :] if bias is not None else 0)
    elif layout == (2, 3):
        _check_inner(name, mat_a.shape[1], mat_b.shape[1], len(ends), mat_b.shape[0])
        pieces = [mat_a[start:end] @ mat_b[g] + (bias[g] if bias is not None else 0)
                  for g, (start, end) in enumerate(_spans(ends))]
        result = _with_zeros(pieces, mat_a.shape[0] - ends[-1], (mat_b.shape[2],), 0, mat_a, mat_b)
    elif layout == (2, 2):
        _check_inner(name, mat_a.shape[1], mat_b.shape[0], 1, 1)
        from ...tensor import stack

        result = stack([mat_a[:, start:end] @ mat_b[start:end] for start, end in _spans(ends)])
    else:
        _check_inner(name, mat_a.shape[2], mat_b.shape[0], mat_a.shape[0], len(ends))
        pieces = [mat_a[g] @ mat_b[:, start:end] for g, (start, end) in enumerate(_spans(ends))]
        result = _with_zeros(pieces, mat_b.shape[1] - ends[-1], (mat_a.shape[1],), 1, mat_a, mat_b)
    return result if out_dtype is None else result.to(dtype=out_dtype)


def _group_ends(name, offs, layout, mat_a, mat_b):
    if not isinstance(offs, Tensor) or offs.ndim != 1 or offs.dtype.kind not in "iu":
        raise InputError(f"{name}: offs must be a 1-D integer tensor of the groups' ends")
    ends = [int(v) for v in offs.tolist()]
    jagged = {(2, 3): mat_a.shape[0], (2, 2): mat_a.shape[1], (3, 2): mat_b.shape[1]}[layout]
    if any(later < earlier for earlier, later in zip([0] + ends, ends)) or (ends and ends[-1] > jagged):
        raise InputError(f"{name}: offs {ends} must rise from 0 to at most the jagged dimension's {jagged}")
    if not ends:
        raise InputError(f"{name}: offs names no group")
    return ends


def _spans(ends):
    return list(zip([0] + ends[:-1], ends))


def _check_inner(name, inner_a, inner_b, groups_a, groups_b):
    if inner_a != inner_b or groups_a != groups_b:
        raise InputError(f"{name}: the operands do not fit: inner sizes {inner_a} and {inner_b}, group counts "
                         f"{groups_a} and {groups_b}")


def _with_zeros(pieces, leftover, other_shape, axis, mat_a, mat_b):
    """The groups' results laid along ``axis``, then zeros for what no group covers."""
    dtype = np.result_type(mat_a.dtype, mat_b.dtype)
    if leftover:
        shape = (leftover,) + other_shape if axis == 0 else other_shape + (leftover,)
        pieces = pieces + [zeros(*shape, dtype=dtype, device=mat_a.device)]
    return concatenate(pieces, axis)
