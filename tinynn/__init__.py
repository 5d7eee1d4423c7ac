"""tinynn: a small deep-learning framework on NumPy (CPU) and CuPy (GPU), written to be read.

The pieces, from the bottom up: ``backend`` (where arrays live), ``autograd`` (the graph and
backward engine), ``ops`` (each op's forward beside its backward), ``nn`` (layers built on
``nn.functional``), ``optim`` (optimizers and schedules), ``data`` (datasets and loading).
"""
import numpy as np

from . import autograd, backend, blas, memory
from .autograd import detect_anomaly, enable_grad, is_grad_enabled, no_grad
from .backend import DeviceError, gpu_available
from .blas import set_blas_threads
from .random import get_rng_state, initial_seed, manual_seed, set_rng_state
from .tensor import (Tensor, arange, bmm, concatenate, eye, from_numpy, full, gather, linspace, matmul, maximum, minimum,
                     ones, ones_like, pad, rand, randint, randn, stack, tensor, where, zeros, zeros_like)

cat = concatenate
memory.keep_freed_memory()
blas.configure_from_environment()


def exp(x):
    return x.exp()


def log(x):
    return x.log()


def log1p(x):
    return x.log1p()


def sqrt(x):
    return x.sqrt()


def tanh(x):
    return x.tanh()


def sigmoid(x):
    return x.sigmoid()


def erf(x):
    return x.erf()


def sin(x):
    return x.sin()


def cos(x):
    return x.cos()


def logsumexp(x, dim, keepdim=False):
    return x.logsumexp(dim, keepdim)


def cumsum(x, dim):
    return x.cumsum(dim)


def prod(x, dim=None, keepdim=False):
    return x.prod(dim, keepdim)


def norm(x, p="fro", dim=None, keepdim=False):
    return x.norm(p, dim, keepdim)


def sort(x, dim=-1, descending=False):
    return x.sort(dim, descending)


def topk(x, k, dim=-1, largest=True, sorted=True):
    return x.topk(k, dim, largest, sorted)


def flip(x, dims):
    return x.flip(dims)


def clip(x, min=None, max=None):
    return x.clip(min, max)


clamp = clip


def sum(x, dim=None, keepdim=False):
    return x.sum(dim, keepdim)


def mean(x, dim=None, keepdim=False):
    return x.mean(dim, keepdim)

from . import data, guard, nn, optim, utils, viz  # noqa: E402  (they build on the Tensor defined above)
from .nn.functional import cdist  # noqa: E402  (torch.cdist's place)
from .serialization import load, save  # noqa: E402
from .summary import summary  # noqa: E402

__all__ = [
    "Tensor", "tensor", "zeros", "ones", "zeros_like", "ones_like", "full", "eye", "linspace", "randn", "rand",
    "randint", "arange", "from_numpy", "matmul", "maximum", "minimum", "where", "gather", "pad", "concatenate",
    "cat", "stack", "cdist", "exp", "log", "sqrt", "tanh", "sigmoid", "erf", "sin", "cos", "logsumexp", "cumsum", "prod", "norm", "sort", "topk", "flip", "bmm", "clip", "clamp", "sum", "mean", "no_grad",
    "enable_grad", "is_grad_enabled", "detect_anomaly", "manual_seed", "initial_seed", "get_rng_state",
    "set_rng_state", "gpu_available", "DeviceError", "set_blas_threads", "save", "load", "summary",
    "autograd", "backend", "nn", "optim", "data", "guard", "utils", "viz", "float32", "float64", "int64",
]

float32 = np.float32
float64 = np.float64
int64 = np.int64
__version__ = "0.1.0"
