"""PyTorch's ``nn.utils.parametrizations``: weight and spectral normalization as parametrizations
(the current API; ``nn.utils.weight_norm``/``spectral_norm`` are the older, hook-based one), and
orthogonal weights. The math of the first two is that of ``weight_norm.py`` and ``spectral_norm.py``;
the state-dict keys are PyTorch's: ``parametrizations.weight.original0`` (g) and ``original1`` (v),
``parametrizations.weight.original`` with ``parametrizations.weight.0._u`` and ``._v``, or with
``parametrizations.weight.0.base`` (orthogonal)."""
import numpy as np

from ... import backend, linalg, random
from ...tensor import Tensor, concatenate
from ..modules.module import Module
from . import parametrize
from .spectral_norm import SpectralNorm, _normalized
from .weight_norm import WeightNorm


class _WeightNorm(Module):
    """w = g * v / ||v|| from (g, v); its right inverse splits a w into (||w||, w)."""

    def __init__(self, dim):
        super().__init__()
        self.norm_of = WeightNorm("weight", dim)

    def forward(self, weight_g, weight_v):
        return weight_v * (weight_g / self.norm_of.norm(weight_v))

    def right_inverse(self, weight):
        return self.norm_of.norm(weight).detach(), weight


class _SpectralNorm(Module):
    """W / sigma, sigma = u^T W_mat v from the buffers u and v (power iteration: u first, then v, as
    PyTorch's parametrization; 15 steps when created, ``n_power_iterations`` per training forward).
    A 1-D weight is divided by its norm."""

    def __init__(self, weight, n_power_iterations=1, dim=0, eps=1e-12):
        super().__init__()
        self.dim, self.eps, self.n_power_iterations = dim % max(weight.ndim, 1), eps, n_power_iterations
        self.shape_of = SpectralNorm("weight", n_power_iterations, self.dim, eps)
        if weight.ndim > 1:
            xp = backend.get_array_module(weight._array)
            rows, columns = self.shape_of.matrix(weight._array).shape
            u, v = (_normalized(xp, xp.asarray(random.cpu_generator().standard_normal(size)).astype(weight.dtype), eps)
                    for size in (rows, columns))
            self.register_buffer("_u", Tensor(u))
            self.register_buffer("_v", Tensor(v))
            self._power_method(self.shape_of.matrix(weight._array), 15)

    def _power_method(self, matrix, steps):
        xp = backend.get_array_module(matrix)
        for _ in range(steps):
            self._u._array[...] = _normalized(xp, matrix @ self._v._array, self.eps)
            self._v._array[...] = _normalized(xp, matrix.T @ self._u._array, self.eps)

    def forward(self, weight):
        if weight.ndim == 1:
            return weight / weight.norm().clip(min=self.eps)
        matrix = self.shape_of.matrix(weight)
        if self.training:
            self._power_method(matrix._array, self.n_power_iterations)
        sigma = (self._u * (matrix @ self._v)).sum()
        return weight / sigma

    def right_inverse(self, value):
        return value


class _Orthogonal(Module):
    """An orthogonal (or, for a wide/tall matrix, semi-orthogonal) Q made from an unconstrained X,
    as PyTorch's: for a tall X (n > k; a wide one is transposed first)

    * "matrix_exp": Q = first k columns of e^A, A = L - L^T skew-symmetric from L = tril(X)
      (padded to n x n), and e^A of a skew-symmetric A is orthogonal;
    * "cayley": the same A, Q from (I - A/2)^-1 (I + A/2);
    * "householder": Q = H_1 ... H_k from the reflectors below X's diagonal, tau_i = 2 / (1 + |v_i|^2),
      each column's sign taken from X's diagonal (+-1).

    With ``use_trivialization`` (the default) Q is multiplied onto a buffer ``base``, set (and
    orthogonalised by QR if it is not orthogonal) by assigning a weight; the parameter then starts
    from the value that gives the identity, so training moves Q from the assigned one.
    """

    def __init__(self, weight, orthogonal_map, use_trivialization=True):
        super().__init__()
        self.shape, self.orthogonal_map = tuple(weight.shape), orthogonal_map
        if use_trivialization:
            self.register_buffer("base", None)

    def forward(self, x):
        n, k = x.shape[-2:]
        transposed = n < k
        if transposed:
            x, (n, k) = x.mT, (k, n)
        xp = backend.get_array_module(x._array)
        if self.orthogonal_map in ("matrix_exp", "cayley"):
            lower = x.tril()
            if n != k:
                lower = concatenate([lower, Tensor._from_op(xp.zeros(x.shape[:-2] + (n, n - k), dtype=x.dtype), False)],
                                    -1)
            skew = lower - lower.mT
            if self.orthogonal_map == "matrix_exp":
                q = linalg.matrix_exp(skew)
            else:
                identity = Tensor._from_op(xp.eye(n, dtype=x.dtype), False)
                q = linalg.solve(identity - 0.5 * skew, identity + 0.5 * skew)
            q = q[..., :k]
        else:
            reflectors = x.tril(-1)
            tau = 2.0 / (1.0 + (reflectors * reflectors).sum(-2))
            signs = Tensor._from_op(xp.diagonal(x._array, 0, -2, -1).astype(np.int64).astype(x.dtype), False)
            q = linalg.householder_product(reflectors, tau) * signs.unsqueeze(-2)
        if "base" in self._buffers:
            q = self.base @ q
        return q.mT if transposed else q

    def right_inverse(self, q):
        if tuple(q.shape) != self.shape:
            raise ValueError(f"orthogonal: expected a matrix of shape {tuple(self.shape)}, got {tuple(q.shape)}")
        original = q
        n, k = q.shape[-2:]
        transposed = n < k
        if transposed:
            q, (n, k) = q.mT, (k, n)
        xp = backend.get_array_module(q._array)
        if "base" not in self._buffers:
            if self.orthogonal_map != "householder":
                raise NotImplementedError("orthogonal: assigning to the matrix_exp or cayley parametrization needs "
                                          "use_trivialization=True")
            packed, tau = xp.linalg.qr(q._array, mode="raw")  # LAPACK's geqrf: reflectors below R's diagonal
            packed = xp.ascontiguousarray(packed.swapaxes(-1, -2))
            diagonal = xp.sign(xp.diagonal(packed, 0, -2, -1)) * xp.where(tau == 0, -1, 1)
            rows = xp.arange(k)
            packed[..., rows, rows] = diagonal
            result = Tensor(packed.astype(q.dtype))
            return result.mT if transposed else result
        values = q._array
        if n == k and xp.allclose(values.swapaxes(-1, -2) @ values, xp.eye(k), atol=10 * n * np.finfo(q.dtype).eps):
            base = values.copy()
        else:
            if n != k:
                completion = random.generator_for(xp).standard_normal(values.shape[:-2] + (n, n - k)).astype(q.dtype)
                values = xp.concatenate([values, completion], -1)
            orthogonal, upper = xp.linalg.qr(values)
            base = orthogonal * xp.sign(xp.diagonal(upper, 0, -2, -1))[..., None, :]
        self.base = Tensor(base.astype(q.dtype))
        start = xp.zeros(original.shape, dtype=original.dtype)
        diagonal = xp.arange(min(original.shape[-2:]))
        start[..., diagonal, diagonal] = -1.0  # gives Q = I, so the weight is base (Householder: each H_i = I)
        return Tensor(start)


def orthogonal(module, name="weight", orthogonal_map=None, *, use_trivialization=True):
    """``module.<name>`` (at least 2-D) kept orthogonal: Q^T Q = I (or Q Q^T = I for a wide one),
    as PyTorch's; ``orthogonal_map`` "matrix_exp" (the default for square weights), "cayley" or
    "householder" (the default otherwise)."""
    weight = getattr(module, name, None)
    if not isinstance(weight, Tensor):
        raise ValueError(f"orthogonal: {type(module).__name__} has no tensor '{name}'")
    if weight.ndim < 2:
        raise ValueError(f"orthogonal: expected a matrix or a batch of matrices, got a tensor of {weight.ndim} dimension")
    if orthogonal_map is None:
        orthogonal_map = "matrix_exp" if weight.shape[-2] == weight.shape[-1] else "householder"
    if orthogonal_map not in ("matrix_exp", "cayley", "householder"):
        raise ValueError(f"orthogonal: orthogonal_map must be 'matrix_exp', 'cayley' or 'householder', got "
                         f"{orthogonal_map!r}")
    parametrization = _Orthogonal(weight, orthogonal_map, use_trivialization)
    return parametrize.register_parametrization(module, name, parametrization, unsafe=True)


def weight_norm(module, name="weight", dim=0):
    """``module.<name>`` as g * v / ||v|| (norm over every axis but ``dim``; dim=None: all of it)."""
    weight = getattr(module, name)
    if not isinstance(weight, Tensor):
        raise ValueError(f"weight_norm: {type(module).__name__} has no tensor '{name}'")
    return parametrize.register_parametrization(module, name, _WeightNorm(dim), unsafe=True)


def spectral_norm(module, name="weight", n_power_iterations=1, eps=1e-12, dim=None):
    """``module.<name>`` divided by its spectral norm; ``dim`` defaults to 1 for transposed
    convolutions, else 0."""
    from ..modules.conv import ConvTranspose1d, ConvTranspose2d, ConvTranspose3d

    weight = getattr(module, name, None)
    if not isinstance(weight, Tensor):
        raise ValueError(f"spectral_norm: {type(module).__name__} has no tensor '{name}'")
    if not isinstance(n_power_iterations, int) or n_power_iterations <= 0:
        raise ValueError(f"spectral_norm: n_power_iterations must be a positive int, got {n_power_iterations!r}")
    if dim is None:
        dim = 1 if isinstance(module, (ConvTranspose1d, ConvTranspose2d, ConvTranspose3d)) else 0
    return parametrize.register_parametrization(module, name, _SpectralNorm(weight, n_power_iterations, dim, eps))


__all__ = ["weight_norm", "spectral_norm", "orthogonal"]
