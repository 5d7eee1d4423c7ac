"""Weight normalization (Salimans and Kingma, 2016), PyTorch's ``nn.utils.weight_norm``: a weight
w is replaced by a magnitude g and a direction v,

    w = g * v / ||v||,   the norm over every axis but ``dim`` (one norm per output row or
                         channel for dim = 0; the whole tensor for dim = None),

two parameters ``weight_g`` and ``weight_v`` (PyTorch's state-dict keys); w is recomputed from them
before every forward, by recorded ops, so the gradients reach g and v through autograd:
    dL/dg = <dL/dw, v> / ||v||,   dL/dv = (g / ||v||) (dL/dw - w_hat <dL/dw, w_hat>),  w_hat = v / ||v||.
"""
from ...errors import InputError
from ...dims import wrap_dim
from ...user_warnings import warn
from ..parameter import Parameter


class WeightNorm:
    def __init__(self, name, dim):
        self.name, self.dim = name, -1 if dim is None else dim

    def norm(self, v):
        """||v|| over every axis but ``dim`` (kept, size 1), or over all of v for dim -1."""
        if self.dim == -1:
            return v.norm()
        kept = wrap_dim(self.dim, v.ndim)  # (checked: taken modulo the axes, dim=4 would name another)
        return v.norm(dim=tuple(axis for axis in range(v.ndim) if axis != kept), keepdim=True)

    def compute_weight(self, module):
        g, v = getattr(module, self.name + "_g"), getattr(module, self.name + "_v")
        return v * (g / self.norm(v))

    def __call__(self, module, inputs):
        setattr(module, self.name, self.compute_weight(module))


def weight_norm(module, name="weight", dim=0):
    """Reparameterise ``module.<name>`` as ``<name>_g`` * ``<name>_v`` / ||``<name>_v``|| (see above);
    returns the module. Deprecated in PyTorch for ``parametrizations.weight_norm`` (which tinynn also
    has), with this warning."""
    warn("`nn.utils.weight_norm` is deprecated in favor of `nn.utils.parametrizations.weight_norm`.", FutureWarning)
    if any(isinstance(hook, WeightNorm) and hook.name == name for hook in module._forward_pre_hooks.values()):
        raise RuntimeError(f"weight_norm: '{name}' of this module is already weight-normalised")
    weight = module._parameters.get(name)
    if weight is None:
        raise InputError(f"weight_norm: the module has no parameter '{name}'")
    fn = WeightNorm(name, dim)
    del module._parameters[name]
    module.register_parameter(name + "_g", Parameter(fn.norm(weight)._array))
    module.register_parameter(name + "_v", Parameter(weight._array))
    fn(module, None)
    module.register_forward_pre_hook(fn)
    return module


def remove_weight_norm(module, name="weight"):
    """Fold g and v back into one parameter ``<name>`` holding the current weight."""
    for key, hook in list(module._forward_pre_hooks.items()):
        if isinstance(hook, WeightNorm) and hook.name == name:
            weight = hook.compute_weight(module)
            delattr(module, name)
            del module._parameters[name + "_g"], module._parameters[name + "_v"]
            module.register_parameter(name, Parameter(weight._array))
            del module._forward_pre_hooks[key]
            return module
    raise InputError(f"remove_weight_norm: '{name}' of {type(module).__name__} is not weight-normalised")
