"""PyTorch's process-wide switches that training scripts set at their top and tinynn has no lever
for: recorded, so that the script runs and reads back what it set, as PyTorch's CPU builds answer.

* ``set_float32_matmul_precision("high")`` lets PyTorch multiply float32 matrices in TensorFloat-32
  or bfloat16 on hardware that has them. tinynn multiplies float32 in float32 at every setting
  (NumPy's BLAS, and CuPy's cuBLAS, whose TensorFloat-32 mode stays off): "highest" in effect.
* ``set_num_interop_threads(n)``: PyTorch's pool for running independent ops at once (TorchScript's
  fork). tinynn runs ops one after another; its threads are ``set_num_threads``'s.
* ``set_default_tensor_type`` (deprecated in PyTorch 2.1) is ``set_default_dtype``, and for a
  ``torch.cuda.*`` type ``set_default_device("cuda")``, as PyTorch's, with its warning.
"""
import warnings

from . import backend, parallel
from .ops import promotion
from .tensor import TYPE_DTYPES

_settings = {"matmul_precision": "highest", "interop_threads": None}
_MATMUL_PRECISIONS = ("highest", "high", "medium")


def set_float32_matmul_precision(precision):
    """Record ``precision`` ("highest", "high" or "medium"); see the module for what tinynn computes."""
    if precision not in _MATMUL_PRECISIONS:
        raise ValueError(f"set_float32_matmul_precision: expected one of {_MATMUL_PRECISIONS}, got {precision!r}")
    _settings["matmul_precision"] = precision


def get_float32_matmul_precision():
    return _settings["matmul_precision"]


def set_num_interop_threads(count):
    if not isinstance(count, int) or isinstance(count, bool) or count < 1:
        raise ValueError(f"set_num_interop_threads: expected a positive int, got {count!r}")
    _settings["interop_threads"] = count


def get_num_interop_threads():
    """What ``set_num_interop_threads`` recorded, else the CPU cores (PyTorch's default)."""
    return _settings["interop_threads"] or parallel.get_num_threads()


_TENSOR_TYPES = {name: dtype for name, dtype in TYPE_DTYPES.items() if dtype.kind == "f"}  # Float, Double, Half


def set_default_tensor_type(t):
    """``t`` a float type class (``tinynn.FloatTensor``, ``DoubleTensor``, ``HalfTensor``) or its name
    ("torch.FloatTensor", "tinynn.DoubleTensor", "torch.cuda.FloatTensor" for the GPU)."""
    warnings.warn("torch.set_default_tensor_type() is deprecated as of PyTorch 2.1, please use "
                  "torch.set_default_dtype() and torch.set_default_device() as alternatives.", UserWarning, stacklevel=2)
    name = t if isinstance(t, str) else getattr(t, "__name__", repr(t))
    *prefix, base = name.split(".")
    if base not in _TENSOR_TYPES or prefix[:1] not in ([], ["torch"], ["tinynn"]) or prefix[1:] not in ([], ["cuda"]):
        raise TypeError(f"set_default_tensor_type: expected a floating-point tensor type (FloatTensor, DoubleTensor, "
                        f"HalfTensor, or its name such as 'torch.cuda.FloatTensor'), got {name!r}")
    promotion.set_default_float(_TENSOR_TYPES[base])
    backend.set_default_device("cuda" if prefix[1:] == ["cuda"] else "cpu")
