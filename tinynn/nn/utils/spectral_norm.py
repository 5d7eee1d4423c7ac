"""Spectral normalization (Miyato et al., 2018), PyTorch's ``nn.utils.spectral_norm``: a weight is
divided by its largest singular value, so the layer is 1-Lipschitz (GAN discriminators):

    W_mat = the weight as a matrix, the ``dim`` axis as rows (the output channels: dim 0, or 1
            for transposed convolutions, whose weight is (in, out, ...)), the rest flattened
    sigma = u^T W_mat v,   W = W_orig / sigma

u and v estimate the top singular vectors by power iteration, ``n_power_iterations`` steps per
training forward, from where the last one left them:
    v <- normalize(W_mat^T u),  u <- normalize(W_mat v)    (normalize(x) = x / max(||x||, eps)).
They are buffers (``weight_u``, ``weight_v``: PyTorch's state-dict keys, with ``weight_orig``),
updated in place without recording; sigma is recorded, so the gradient reaches ``weight_orig``
through both W_orig and sigma (u and v held constant), as in PyTorch. In eval mode u and v stay.
"""
from ...errors import InputError
from ... import backend, random
from ...autograd import no_grad
from ...tensor import Tensor
from ..parameter import Parameter


def _normalized(xp, vector, eps):
    """vector / max(||vector||, eps), on the vector's device."""
    return vector / xp.maximum(xp.sqrt((vector * vector).sum()), eps)


class SpectralNorm:
    def __init__(self, name, n_power_iterations, dim, eps):
        self.name, self.n_power_iterations, self.dim, self.eps = name, n_power_iterations, dim, eps

    def matrix(self, weight):
        """The weight (Tensor or array) as (weight.shape[dim], everything else)."""
        if self.dim != 0:
            order = (self.dim,) + tuple(axis for axis in range(weight.ndim) if axis != self.dim)
            weight = weight.permute(order) if isinstance(weight, Tensor) else weight.transpose(order)
        return weight.reshape(weight.shape[0], -1)

    def power_iteration(self, matrix, u, v):
        """v <- normalize(W^T u), u <- normalize(W v), n times, in place on the arrays u and v."""
        xp = backend.get_array_module(matrix)
        for _ in range(self.n_power_iterations):
            v[...] = _normalized(xp, matrix.T @ u, self.eps)
            u[...] = _normalized(xp, matrix @ v, self.eps)

    def compute_weight(self, module, do_power_iteration):
        weight, u, v = (getattr(module, self.name + suffix) for suffix in ("_orig", "_u", "_v"))
        matrix = self.matrix(weight)
        if do_power_iteration:
            self.power_iteration(matrix._array, u._array, v._array)
        sigma = (u * (matrix @ v)).sum()  # u^T W_mat v, u and v constants
        return weight / sigma

    def __call__(self, module, inputs):
        setattr(module, self.name, self.compute_weight(module, do_power_iteration=module.training))


def spectral_norm(module, name="weight", n_power_iterations=1, eps=1e-12, dim=None):
    """Divide ``module.<name>`` by its spectral norm before every forward (see above); u and v start
    as normalised draws from tinynn's generator. ``dim`` defaults to 1 for transposed convolutions,
    else 0. Returns the module."""
    from ..modules.conv import ConvTranspose1d, ConvTranspose2d

    if not isinstance(n_power_iterations, int) or n_power_iterations <= 0:
        raise InputError(f"spectral_norm: n_power_iterations must be a positive int, got {n_power_iterations!r}")
    if any(isinstance(hook, SpectralNorm) and hook.name == name for hook in module._forward_pre_hooks.values()):
        raise RuntimeError(f"spectral_norm: '{name}' of this module is already spectrally normalised")
    weight = module._parameters.get(name)
    if weight is None:
        raise InputError(f"spectral_norm: the module has no parameter '{name}'")
    if dim is None:
        dim = 1 if isinstance(module, (ConvTranspose1d, ConvTranspose2d)) else 0
    fn = SpectralNorm(name, n_power_iterations, dim, eps)
    xp = backend.get_array_module(weight._array)
    rows, columns = fn.matrix(weight._array).shape
    u, v = (_normalized(xp, xp.asarray(random.cpu_generator().standard_normal(size)).astype(weight.dtype), eps)
            for size in (rows, columns))
    del module._parameters[name]
    module.register_parameter(name + "_orig", weight)
    module.register_buffer(name + "_u", Tensor(u))
    module.register_buffer(name + "_v", Tensor(v))
    with no_grad():
        setattr(module, name, fn.compute_weight(module, do_power_iteration=False))
    module.register_forward_pre_hook(fn)
    return module


def remove_spectral_norm(module, name="weight"):
    """Fold the normalisation back: one parameter ``<name>`` holding W_orig / sigma."""
    for key, hook in list(module._forward_pre_hooks.items()):
        if isinstance(hook, SpectralNorm) and hook.name == name:
            with no_grad():
                weight = hook.compute_weight(module, do_power_iteration=False)
            for suffix in ("", "_u", "_v", "_orig"):
                delattr(module, name + suffix)
            module.register_parameter(name, Parameter(weight._array))
            del module._forward_pre_hooks[key]
            return module
    raise InputError(f"remove_spectral_norm: '{name}' of {type(module).__name__} is not spectrally normalised")
