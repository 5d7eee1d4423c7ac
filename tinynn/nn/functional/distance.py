"""Vector normalisation and cosine similarity, built from tensor ops (their backward is the chain
rule through ``norm``, ``clip`` and the products; ``Norm2`` gives the zero vector a zero gradient)."""
import numpy as np

from .validation import check_float


def normalize(input, p=2.0, dim=1, eps=1e-12):
    """x / max(||x||_p, eps) along ``dim``: unit vectors (the zero vector stays zero)."""
    check_float(input, "normalize")
    return input / input.norm(p, dim, keepdim=True).clip(min=eps)


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
        raise ValueError(f"cosine_similarity: x1 of shape {x1.shape} and x2 of shape {x2.shape} do not broadcast") from None
    x1, x2 = x1.expand(shape), x2.expand(shape)
    return (x1 * x2).sum(dim) / (x1.norm(dim=dim).clip(min=eps) * x2.norm(dim=dim).clip(min=eps))
