"""PyTorch's ``nn.utils.parametrizations``: weight and spectral normalization as parametrizations
(the current API; ``nn.utils.weight_norm``/``spectral_norm`` are the older, hook-based one). The
math is that of ``weight_norm.py`` and ``spectral_norm.py``; the state-dict keys are PyTorch's:
``parametrizations.weight.original0`` (g) and ``original1`` (v), or ``parametrizations.weight.original``
with ``parametrizations.weight.0._u`` and ``._v``."""
from ... import backend, random
from ...tensor import Tensor
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
            xp = backend.get_array_module(weight.data)
            rows, columns = self.shape_of.matrix(weight.data).shape
            u, v = (_normalized(xp, xp.asarray(random.cpu_generator().standard_normal(size)).astype(weight.dtype), eps)
                    for size in (rows, columns))
            self.register_buffer("_u", Tensor(u))
            self.register_buffer("_v", Tensor(v))
            self._power_method(self.shape_of.matrix(weight.data), 15)

    def _power_method(self, matrix, steps):
        xp = backend.get_array_module(matrix)
        for _ in range(steps):
            self._u.data[...] = _normalized(xp, matrix @ self._v.data, self.eps)
            self._v.data[...] = _normalized(xp, matrix.T @ self._u.data, self.eps)

    def forward(self, weight):
        if weight.ndim == 1:
            return weight / weight.norm().clip(min=self.eps)
        matrix = self.shape_of.matrix(weight)
        if self.training:
            self._power_method(matrix.data, self.n_power_iterations)
        sigma = (self._u * (matrix @ self._v)).sum()
        return weight / sigma

    def right_inverse(self, value):
        return value


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


__all__ = ["weight_norm", "spectral_norm"]
