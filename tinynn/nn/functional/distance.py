"""Vector normalisation and cosine similarity, built from tensor ops (their backward is the chain
rule through ``norm``, ``clip`` and the products; ``Norm2`` gives the zero vector a zero gradient);
distances between sets of vectors, ``cdist`` and ``pdist``."""
import numpy as np

from ...errors import InputError
from ... import backend, mixed_precision
from ...autograd import Function
from ...half_precision import computed_in_float32
from ...tensor import Tensor
from .validation import check_float


@computed_in_float32("input")
def normalize(input, p=2.0, dim=1, eps=1e-12, out=None):
    """x / max(||x||_p, eps) along ``dim``: unit vectors (the zero vector stays zero); complex x
    divided by its real norm. ``out``: written there (PyTorch's out= rules, ``tinynn/out_argument.py``)."""
    check_float(input, "normalize", complex_ok=True)
    result = input / input.norm(p, dim, keepdim=True).clip(min=eps)
    if out is None:
        return result
    from ...out_argument import write_out

    return write_out("normalize", result, out)


@computed_in_float32("x1", "x2")
def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    """x1 . x2 / (max(||x1||, eps) * max(||x2||, eps)) along ``dim`` (which is removed), for inputs
    that broadcast to a common shape (the norms are those of the broadcast inputs, as PyTorch's)."""
    check_float(x1, "cosine_similarity", "x1")
    check_float(x2, "cosine_similarity", "x2")
    if x1.device != x2.device:
        raise RuntimeError(f"cosine_similarity: x1 is on {x1.device} but x2 is on {x2.device}")
    try:
        shape = np.broadcast_shapes(x1.shape, x2.shape)
    except ValueError:
        raise InputError(f"cosine_similarity: x1 of shape {tuple(x1.shape)} and x2 of shape {tuple(x2.shape)} do not broadcast") from None
    x1, x2 = x1.expand(shape), x2.expand(shape)
    return (x1 * x2).sum(dim) / (x1.norm(dim=dim).clip(min=eps) * x2.norm(dim=dim).clip(min=eps))


class CDist(Function):
    """d[..., i, j] = ||x1[..., i, :] - x2[..., j, :]||_p.  Shapes: x1 (..., P, M), x2 (..., R, M) -> (..., P, R).

    Backward, with diff = x1_i - x2_j and g = dL/dd:
        dd/ddiff = sign(diff) |diff|^(p-1) / d^(p-1)   (diff / d for p = 2, sign(diff) for p = 1, and for
                   p = inf sign(diff) where |diff| = d), 0 where d = 0 or diff = 0 (as PyTorch: a subgradient);
        dL/dx1_i = sum_j g_ij dd/ddiff,   dL/dx2_j = -sum_i g_ij dd/ddiff.   p = 0 (a count) has none.
    The (..., P, R, M) differences are formed whole: for the small sets this library is for.
    """

    graph_saved = {"diff": lambda op, y: op.inputs[0][..., :, None, :] - op.inputs[1][..., None, :, :],
                   "distance": "output"}

    def __init__(self, p):
        self.p = p

    def forward(self, x1, x2):
        xp = self.xp(x1)
        self.diff = x1[..., :, None, :] - x2[..., None, :, :]
        size = xp.abs(self.diff)
        if self.p == 0:
            self.distance = (size != 0).sum(axis=-1).astype(x1.dtype)
        elif self.p == float("inf"):
            self.distance = size.max(axis=-1)
        elif self.p == 1:
            self.distance = size.sum(axis=-1)
        elif self.p == 2:
            self.distance = xp.sqrt((self.diff * self.diff).sum(axis=-1))
        else:
            self.distance = (size ** self.p).sum(axis=-1) ** (1 / self.p)
        return self.distance

    def backward(self, gy):
        xp = self.xp(gy)
        diff, distance = self.diff, self.distance[..., None]
        positive = distance > 0
        safe = xp.where(positive, distance, 1)
        if self.p == 0:
            slope = diff * 0
        elif self.p == float("inf"):
            slope = xp.sign(diff) * (xp.abs(diff) == distance)
        elif self.p == 1:
            slope = xp.sign(diff)
        elif self.p == 2:
            slope = diff / safe
        else:  # a zero component contributes 0 (for p < 1 its power is infinite), as PyTorch
            size = xp.abs(diff)
            slope = xp.sign(diff) * xp.where(size > 0, size, 1) ** (self.p - 1) / safe ** (self.p - 1)
        slope = xp.where(positive, slope, 0) * gy[..., None]
        return (slope.sum(axis=-2) if self.needs_input_grad[0] else None,
                -slope.sum(axis=-3) if self.needs_input_grad[1] else None)


COMPUTE_MODES = ("use_mm_for_euclid_dist_if_necessary", "use_mm_for_euclid_dist", "donot_use_mm_for_euclid_dist")


@mixed_precision.casts_inputs("float32")
@computed_in_float32("x1", "x2")
def cdist(x1, x2, p=2.0, compute_mode="use_mm_for_euclid_dist_if_necessary"):
    """The p-norm distance between every row of x1 (..., P, M) and every row of x2 (..., R, M):
    (..., P, R), as ``torch.cdist``. Always computed from the differences: PyTorch's
    ``compute_mode`` chooses whether its Euclidean distances may come from a matrix product instead
    (faster, less accurate for near points); any of its three modes is taken, and gives these."""
    if compute_mode not in COMPUTE_MODES:
        raise InputError(f"cdist: compute_mode must be one of {COMPUTE_MODES}, got {compute_mode!r}")
    for what, t in (("x1", x1), ("x2", x2)):
        check_float(t, "cdist", what)
    if x1.ndim < 2 or x2.ndim < 2 or x1.shape[-1] != x2.shape[-1] or x1.shape[:-2] != x2.shape[:-2]:
        raise InputError(f"cdist: expected x1 (..., P, M) and x2 (..., R, M) with the same batch shape and M, "
                         f"got {tuple(x1.shape)} and {tuple(x2.shape)}")
    if not isinstance(p, (int, float)) or p < 0:
        raise InputError(f"cdist: p must be a non-negative number (or inf), got {p!r}")
    if x1.device != x2.device:
        raise RuntimeError(f"cdist: x1 is on {x1.device} but x2 is on {x2.device}")
    return CDist(float(p))(x1, x2)


def pdist(input, p=2.0):
    """The p-norm distance of every pair of rows i < j of (N, M) ``input``, in row-major order of the
    upper triangle: (N (N-1) / 2,), as ``F.pdist``."""
    check_float(input, "pdist")
    if input.ndim != 2:
        raise InputError(f"pdist: expected a 2-D input (N, M), got shape {tuple(input.shape)}")
    rows, columns = (Tensor(backend.to_device(index, input.device)) for index in np.triu_indices(input.shape[0], k=1))
    return cdist(input, input, p)[rows, columns]
