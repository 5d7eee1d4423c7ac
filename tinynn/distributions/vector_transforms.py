"""Transforms of whole vectors and matrices (events of one or two dimensions), and ones that
reshape, combine or lift other transforms, as ``torch.distributions.transforms``:

    SoftmaxTransform      x -> softmax(x)                   (onto the simplex; not invertible)
    StickBreakingTransform x (K) -> y (K + 1) on the simplex, a bijection: z_k = sigmoid(x_k - log(K - k)),
                          y_k = z_k prod_(j<k) (1 - z_j), y_K = prod_j (1 - z_j)
    LowerCholeskyTransform x -> its strict lower triangle plus exp of its diagonal
    PositiveDefiniteTransform x -> L L^T with L = LowerCholesky(x)
    CorrCholeskyTransform x (D(D-1)/2) -> the Cholesky factor of a D x D correlation matrix: tanh
                          of x below the diagonal, each row then rescaled onto the unit sphere
    ReshapeTransform, IndependentTransform, CatTransform, StackTransform
"""
import math

import numpy as np

from ..nn import functional as F
from ..tensor import concatenate, stack
from . import constraints
from .transforms import Transform, sum_rightmost


def _clipped_sigmoid(x):
    info = np.finfo(x.dtype)
    return x.sigmoid().clip(float(info.tiny), 1 - float(info.eps))


def _stick_offsets(x, count):
    """log(K - k) for k = 0 .. count - 1 (K = count), as a constant of x's dtype and device."""
    return x.new_tensor(np.log(np.arange(count, 0, -1, dtype=np.float64)))


class SoftmaxTransform(Transform):
    """y = softmax(x) over the last axis; the inverse gives log y (one of the x that map to y)."""

    domain = constraints.real_vector
    codomain = constraints.simplex
    bijective = False

    def _call(self, x):
        return F.softmax(x, -1)

    def _inverse(self, y):
        return y.log()


class StickBreakingTransform(Transform):
    """x (..., K) -> y (..., K + 1) on the simplex (see the module docstring), shifted by log(K - k)
    so that x = 0 gives the uniform point. log |det dy/dx| = sum_k (-x'_k + logsigmoid(x'_k) + log y_k),
    x'_k = x_k - log(K - k)."""

    domain = constraints.real_vector
    codomain = constraints.simplex

    def _call(self, x):
        z = _clipped_sigmoid(x - _stick_offsets(x, x.shape[-1]))
        remaining = (1 - z).cumprod(-1)
        ones = z[..., :1] * 0 + 1
        return concatenate([z, ones], -1) * concatenate([ones, remaining], -1)

    def _inverse(self, y):
        kept = y[..., :-1]
        left = (1 - kept.cumsum(-1)).clip(float(np.finfo(y.dtype).tiny), None)
        return kept.log() - left.log() + _stick_offsets(y, kept.shape[-1])

    def log_abs_det_jacobian(self, x, y):
        shifted = x - _stick_offsets(x, x.shape[-1])
        return (-shifted + F.logsigmoid(shifted) + y[..., :-1].log()).sum(-1)

    def forward_shape(self, shape):
        return tuple(shape[:-1]) + (shape[-1] + 1,)

    def inverse_shape(self, shape):
        return tuple(shape[:-1]) + (shape[-1] - 1,)


class LowerCholeskyTransform(Transform):
    """y = tril(x, -1) + diag(exp(diag x)): any square matrix onto a Cholesky factor (not a
    bijection: the upper triangle is dropped). On the lower triangle's free entries it is one, with
    log |det dy/dx| = sum_i x_ii."""

    domain = constraints.independent(constraints.real, 2)
    codomain = constraints.lower_cholesky
    bijective = False

    def _call(self, x):
        return x.tril(-1) + x.diagonal(0, -2, -1).exp().diag_embed()

    def _inverse(self, y):
        return y.tril(-1) + y.diagonal(0, -2, -1).log().diag_embed()

    def log_abs_det_jacobian(self, x, y):
        return x.diagonal(0, -2, -1).sum(-1)


class PositiveDefiniteTransform(Transform):
    """y = L L^T with L = LowerCholeskyTransform()(x); the inverse takes the Cholesky factor."""

    domain = constraints.independent(constraints.real, 2)
    codomain = constraints.positive_definite
    bijective = False

    def _call(self, x):
        lower = LowerCholeskyTransform()(x)
        return lower @ lower.mT

    def _inverse(self, y):
        from .. import linalg

        return LowerCholeskyTransform().inv(linalg.cholesky(y))


def _vector_to_tril(vectors, size):
    """(..., D(D-1)/2) -> (..., D, D) with the vector below the diagonal, row by row, 0 elsewhere."""
    rows, columns = np.tril_indices(size, -1)
    slot = np.full(size * size, len(rows))  # the appended zero
    slot[rows * size + columns] = np.arange(len(rows))
    padded = concatenate([vectors, vectors[..., :1] * 0], -1)
    return padded[..., slot].reshape(vectors.shape[:-1] + (size, size))


def _tril_to_vector(matrices, offset):
    rows, columns = np.tril_indices(matrices.shape[-1], offset)
    return matrices[..., rows, columns]


class CorrCholeskyTransform(Transform):
    """x (..., D(D-1)/2) -> the Cholesky factor (..., D, D) of a correlation matrix (unit rows,
    positive diagonal): r = tanh(x) below the diagonal (clamped inside (-1, 1)); row i becomes
    (r_i1, r_i2 sqrt(1 - r_i1^2), ..., prod_j sqrt(1 - r_ij^2)), stick breaking on the sphere.
    log |det| = 1/2 sum log(1 - cumulative sum of y_ij^2) below the first subdiagonal
    + sum log(1 - tanh(x)^2)."""

    domain = constraints.real_vector
    codomain = constraints.corr_cholesky

    @staticmethod
    def _size(count):
        size = round((0.25 + 2 * count) ** 0.5 + 0.5)
        if size * (size - 1) // 2 != count:
            raise ValueError(f"CorrCholeskyTransform: {count} is not D(D-1)/2 for any D (the entries below a D x D "
                             "matrix's diagonal)")
        return size

    def _call(self, x):
        eps = float(np.finfo(x.dtype).eps)
        size = self._size(x.shape[-1])
        r = _vector_to_tril(x.tanh().clip(-1 + eps, 1 - eps), size)
        remaining = (1 - r * r).sqrt().cumprod(-1)
        ones = remaining[..., :1] * 0 + 1
        eye = x.new_tensor(np.eye(size))
        return (r + eye) * concatenate([ones, remaining[..., :-1]], -1)

    def _inverse(self, y):
        left = 1 - (y * y).cumsum(-1)
        ones = left[..., :1] * 0 + 1
        shifted = concatenate([ones, left[..., :-1]], -1)
        t = _tril_to_vector(y, -1) / _tril_to_vector(shifted, -1).sqrt()
        return ((t).log1p() - (-t).log1p()) / 2

    def log_abs_det_jacobian(self, x, y):
        left = 1 - (y * y).cumsum(-1)
        stick_breaking = 0.5 * _tril_to_vector(left, -2).log().sum(-1)
        tanh = -2 * (x + F.softplus(-2 * x) - math.log(2.0)).sum(-1)
        return stick_breaking + tanh

    def forward_shape(self, shape):
        size = self._size(shape[-1])
        return tuple(shape[:-1]) + (size, size)

    def inverse_shape(self, shape):
        return tuple(shape[:-2]) + (shape[-1] * (shape[-1] - 1) // 2,)


class ReshapeTransform(Transform):
    """Events of ``in_shape`` reshaped to ``out_shape`` (as many elements); log |det| = 0."""

    def __init__(self, in_shape, out_shape, cache_size=0):
        super().__init__(cache_size)
        self.in_shape, self.out_shape = tuple(in_shape), tuple(out_shape)
        if math.prod(self.in_shape) != math.prod(self.out_shape):
            raise ValueError(f"ReshapeTransform: in_shape {self.in_shape} and out_shape {self.out_shape} have "
                             "different numbers of elements")
        self.domain = constraints.independent(constraints.real, len(self.in_shape))
        self.codomain = constraints.independent(constraints.real, len(self.out_shape))

    def _call(self, x):
        return x.reshape(x.shape[:x.ndim - len(self.in_shape)] + self.out_shape)

    def _inverse(self, y):
        return y.reshape(y.shape[:y.ndim - len(self.out_shape)] + self.in_shape)

    def log_abs_det_jacobian(self, x, y):
        return x.reshape(x.shape[:x.ndim - len(self.in_shape)] + (-1,)).sum(-1) * 0

    def forward_shape(self, shape):
        cut = len(shape) - len(self.in_shape)
        if cut < 0 or tuple(shape[cut:]) != self.in_shape:
            raise ValueError(f"ReshapeTransform: expected a shape ending in {self.in_shape}, got {tuple(shape)}")
        return tuple(shape[:cut]) + self.out_shape

    def inverse_shape(self, shape):
        cut = len(shape) - len(self.out_shape)
        if cut < 0 or tuple(shape[cut:]) != self.out_shape:
            raise ValueError(f"ReshapeTransform: expected a shape ending in {self.out_shape}, got {tuple(shape)}")
        return tuple(shape[:cut]) + self.in_shape


class IndependentTransform(Transform):
    """``base_transform`` over events of ``reinterpreted_batch_ndims`` more dimensions: its
    log-determinants summed over them."""

    def __init__(self, base_transform, reinterpreted_batch_ndims, cache_size=0):
        super().__init__(cache_size)
        self.base_transform, self.reinterpreted_batch_ndims = base_transform, reinterpreted_batch_ndims
        self.domain = constraints.independent(base_transform.domain, reinterpreted_batch_ndims)
        self.codomain = constraints.independent(base_transform.codomain, reinterpreted_batch_ndims)
        self.bijective = base_transform.bijective

    @property
    def sign(self):
        return self.base_transform.sign

    def _call(self, x):
        return self.base_transform(x)

    def _inverse(self, y):
        return self.base_transform.inv(y)

    def log_abs_det_jacobian(self, x, y):
        return sum_rightmost(self.base_transform.log_abs_det_jacobian(x, y), self.reinterpreted_batch_ndims)

    def forward_shape(self, shape):
        return self.base_transform.forward_shape(shape)

    def inverse_shape(self, shape):
        return self.base_transform.inverse_shape(shape)

    def __repr__(self):
        return f"IndependentTransform({self.base_transform!r}, {self.reinterpreted_batch_ndims})"


class CatTransform(Transform):
    """Each of the transforms ``tseq`` on its slice of ``lengths`` (1 each by default) along ``dim``."""

    def __init__(self, tseq, dim=0, lengths=None, cache_size=0):
        super().__init__(cache_size)
        self.transforms, self.dim = list(tseq), dim
        self.lengths = list(lengths) if lengths is not None else [1] * len(self.transforms)
        if len(self.lengths) != len(self.transforms):
            raise ValueError(f"CatTransform: {len(self.lengths)} lengths for {len(self.transforms)} transforms")
        self.domain = constraints.cat([t.domain for t in self.transforms], dim, self.lengths)
        self.codomain = constraints.cat([t.codomain for t in self.transforms], dim, self.lengths)
        self.bijective = all(t.bijective for t in self.transforms)

    def _pieces(self, value):
        if value.shape[self.dim] != sum(self.lengths):
            raise ValueError(f"CatTransform: expected {sum(self.lengths)} entries along dim {self.dim}, got shape "
                             f"{tuple(value.shape)}")
        starts = np.cumsum([0] + self.lengths[:-1])
        return [value.narrow(self.dim, int(start), length) for start, length in zip(starts, self.lengths)]

    def _call(self, x):
        return concatenate([t(piece) for t, piece in zip(self.transforms, self._pieces(x))], self.dim)

    def _inverse(self, y):
        return concatenate([t.inv(piece) for t, piece in zip(self.transforms, self._pieces(y))], self.dim)

    def log_abs_det_jacobian(self, x, y):
        event_dim = max(t.domain.event_dim for t in self.transforms)
        parts = []
        for t, x_piece, y_piece in zip(self.transforms, self._pieces(x), self._pieces(y)):
            parts.append(sum_rightmost(t.log_abs_det_jacobian(x_piece, y_piece), event_dim - t.domain.event_dim))
        # dim counted from the end, then past the event axes the log-determinants no longer have
        dim = (self.dim - x.ndim if self.dim >= 0 else self.dim) + event_dim
        return concatenate(parts, dim) if dim < 0 else sum(parts)


class StackTransform(Transform):
    """The i-th of the transforms ``tseq`` on the i-th slice along ``dim``."""

    def __init__(self, tseq, dim=0, cache_size=0):
        super().__init__(cache_size)
        self.transforms, self.dim = list(tseq), dim
        self.domain = constraints.stack([t.domain for t in self.transforms], dim)
        self.codomain = constraints.stack([t.codomain for t in self.transforms], dim)
        self.bijective = all(t.bijective for t in self.transforms)

    def _slices(self, value):
        if value.shape[self.dim] != len(self.transforms):
            raise ValueError(f"StackTransform: expected {len(self.transforms)} entries along dim {self.dim}, got shape "
                             f"{tuple(value.shape)}")
        return [value.select(self.dim, i) for i in range(len(self.transforms))]

    def _call(self, x):
        return stack([t(piece) for t, piece in zip(self.transforms, self._slices(x))], self.dim)

    def _inverse(self, y):
        return stack([t.inv(piece) for t, piece in zip(self.transforms, self._slices(y))], self.dim)

    def log_abs_det_jacobian(self, x, y):
        return stack([t.log_abs_det_jacobian(a, b) for t, a, b in zip(self.transforms, self._slices(x), self._slices(y))],
                     self.dim)
