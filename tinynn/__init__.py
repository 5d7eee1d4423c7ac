"""tinynn: a small deep-learning framework on NumPy (CPU) and CuPy (GPU), written to be read.

The pieces, from the bottom up: ``backend`` (where arrays live), ``autograd`` (the graph and
backward engine), ``ops`` (each op's forward beside its backward), ``nn`` (layers built on
``nn.functional``), ``optim`` (optimizers and schedules), ``data`` (datasets and loading).
"""
import builtins

import numpy as np

# The oldest NumPy the test suite passes on, as pyproject.toml asks: earlier ones differ where tinynn's
# ops rely on them (an integer array's floor keeps its dtype from 2.1, arrays from a DLPack capsule are
# writable from 2.2, NumPy 1 lays out its modules otherwise), so they are refused here by name.
MIN_NUMPY = "2.2.0"
if np.lib.NumpyVersion(np.__version__) < MIN_NUMPY:
    raise ImportError(f"tinynn needs NumPy {MIN_NUMPY} or later, found NumPy {np.__version__} at {np.__file__}: "
                      f'pip install --upgrade "numpy>={MIN_NUMPY}"')

from . import autograd, backend, blas, memory
from .autograd import detect_anomaly, enable_grad, is_grad_enabled, no_grad
from .backend import DeviceError, device, get_default_device, gpu_available, set_default_device
from .mixed_precision import autocast, get_autocast_dtype, is_autocast_enabled
from .blas import set_blas_threads
from .parallel import get_num_threads, set_num_threads
from .size import Size
from .storage import TypedStorage, UntypedStorage, is_storage
from .memory_layout import (channels_last, channels_last_3d, contiguous_format, layout, memory_format,
                            preserve_format, sparse_coo, sparse_csr, strided)
from . import dtypes
from .dtypes import dtype
from .random import Generator, default_generator, get_rng_state, initial_seed, manual_seed, seed, set_rng_state
from .tensor import (Tensor, arange, bmm, concatenate, eye, from_numpy, full, gather, linspace, matmul, maximum, minimum,
                     ones, ones_like, pad, rand, randint, randn, set_printoptions, stack, tensor, where, zeros, zeros_like)

cat = concat = concatenate
memory.keep_freed_memory()
autograd.anomaly.quiet_float_warnings()
blas.configure_from_environment()


from . import functions  # noqa: E402
from .functions import *  # noqa: E402,F401,F403  (torch.sum, torch.einsum, ...: PyTorch's module-level functions)
from . import amp, cuda, data, distributed, distributions, fft, func, guard, linalg, nn, optim, profiler, signal, special, testing, utils, viz  # noqa: E402  (they build on the Tensor defined above)
from .nn.functional import cdist  # noqa: E402  (torch.cdist's place)
from .serialization import load, save  # noqa: E402
from .summary import summary  # noqa: E402
from .utils.dlpack import from_dlpack, to_dlpack  # noqa: E402
from .lowrank import pca_lowrank, svd_lowrank  # noqa: E402
from .short_time_fft import istft, stft  # noqa: E402
from . import sparse  # noqa: E402
from .sparse import sparse_coo_tensor  # noqa: E402
from .csr import sparse_csr_tensor  # noqa: E402
from .out_argument import with_out  # noqa: E402
from .windows import bartlett_window, blackman_window, hamming_window, hann_window, kaiser_window  # noqa: E402
from . import accelerator, backends, compiler, cpu, hub, jit, multiprocessing, shared_memory  # noqa: E402
from . import torch_paths  # noqa: E402,F401  (PyTorch's module paths: from tinynn.nn.modules.loss import _Loss)
from .control_flow import cond, while_loop  # noqa: E402
from .autograd.anomaly import is_anomaly_check_nan_enabled, is_anomaly_enabled, set_anomaly_enabled  # noqa: E402
from .process_settings import (get_float32_matmul_precision, get_num_interop_threads,  # noqa: E402
                               set_default_tensor_type, set_float32_matmul_precision, set_num_interop_threads)
from .backends import (are_deterministic_algorithms_enabled, get_deterministic_debug_mode,  # noqa: E402
                       is_deterministic_algorithms_warn_only_enabled, set_deterministic_debug_mode,
                       use_deterministic_algorithms)
from .legacy_tensors import (BoolTensor, ByteTensor, CharTensor, DoubleTensor, FloatTensor, HalfTensor,  # noqa: E402
                             IntTensor, LongTensor, ShortTensor)

vmap = func.vmap  # torch.vmap is torch.func.vmap
GradScaler = amp.GradScaler  # torch.GradScaler is torch.amp.GradScaler
shared_memory.register(Tensor)  # shared tensors travel to other processes as shared memory (after every subclass)


__all__ = [
    "Tensor", "Size", "Generator", "default_generator", "tensor", "zeros", "ones", "zeros_like", "ones_like", "full", "eye", "linspace", "randn", "rand",
    "randint", "arange", "from_numpy", "matmul", "bmm", "maximum", "minimum", "where", "gather", "pad", "concatenate",
    "cat", "concat", "stack", "cdist", "no_grad", "enable_grad", "is_grad_enabled", "detect_anomaly", "manual_seed",
    "initial_seed", "seed", "device", "cuda", "get_rng_state", "set_rng_state", "gpu_available", "DeviceError", "set_blas_threads", "set_num_threads",
    "get_num_threads", "save",
    "load", "summary", "autograd", "backend", "linalg", "nn", "optim", "data", "guard", "utils", "viz", "functions", "testing", "profiler", "signal",
    "special", "distributed", "distributions", "fft", "func", "amp", "GradScaler", "autocast", "is_autocast_enabled", "get_autocast_dtype",
    "float16", "float32", "float64", "half", "float", "double", "int8", "int16", "short", "int32", "int", "int64",
    "long", "uint8", "uint16", "uint32", "uint64", "version", "bool", "complex64", "cfloat", "complex128", "cdouble", "finfo", "iinfo", "pi", "e", "inf", "nan", "newaxis", "bartlett_window",
    "blackman_window", "hamming_window", "hann_window", "kaiser_window", "set_printoptions", "vmap", "from_dlpack", "to_dlpack", "svd_lowrank", "pca_lowrank", "stft", "istft", "sparse", "sparse_coo_tensor", "sparse_csr_tensor", "get_default_device",
    "set_default_device", "backends", "use_deterministic_algorithms", "are_deterministic_algorithms_enabled",
    "is_deterministic_algorithms_warn_only_enabled", "get_deterministic_debug_mode", "set_deterministic_debug_mode",
    "FloatTensor", "DoubleTensor", "HalfTensor", "LongTensor",
    "IntTensor", "ShortTensor", "CharTensor", "ByteTensor", "BoolTensor", "accelerator", "compiler", "hub", "jit", "multiprocessing",
    "is_anomaly_enabled", "is_anomaly_check_nan_enabled", "set_anomaly_enabled", "get_float32_matmul_precision",
    "set_float32_matmul_precision", "get_num_interop_threads", "set_num_interop_threads", "set_default_tensor_type",
    "cond", "while_loop", "memory_format", "contiguous_format", "channels_last", "channels_last_3d", "preserve_format",
    "layout", "strided", "sparse_coo", "sparse_csr", "dtype", "UntypedStorage", "TypedStorage", "is_storage", "cpu",
] + [name for name in functions.__all__ if name not in dir(builtins)]  # ``import *`` leaves sum, max... alone

# dtypes by PyTorch's names (NumPy's types: tinynn tensors are NumPy/CuPy arrays)
float16 = half = np.float16
float32 = float = np.float32
float64 = double = np.float64
int8, uint8 = np.int8, np.uint8
uint16, uint32, uint64 = np.uint16, np.uint32, np.uint64  # (PyTorch's are for storage; tinynn computes with them)
int16 = short = np.int16
int32 = int = np.int32
int64 = long = np.int64
bool = np.bool_
complex64 = cfloat = np.complex64
complex128 = cdouble = np.complex128
from .dtypes import finfo, iinfo  # noqa: E402  (Python numbers, as PyTorch's)
pi, e, inf, nan, newaxis = np.pi, np.e, np.inf, np.nan, None
from .version import __version__  # noqa: E402, F401  (tinynn.__version__, as torch.__version__)
from . import version  # noqa: E402

# PyTorch's out= argument on the module-level ops (not on the utilities, which return no tensors)
_NO_OUT = {"save", "load", "summary", "manual_seed", "seed", "initial_seed", "get_rng_state", "set_rng_state",
           "set_printoptions", "set_blas_threads", "set_num_threads", "get_num_threads", "set_default_dtype",
           "get_default_dtype", "set_default_device", "get_default_device", "from_numpy", "from_dlpack", "to_dlpack",
           "vmap", "is_tensor", "is_floating_point", "is_grad_enabled", "is_inference_mode_enabled", "result_type",
           "promote_types", "can_cast", "broadcast_shapes", "is_same_size", "is_signed", "is_nonzero", "is_complex",
           "numel", "gpu_available", "is_autocast_enabled", "get_autocast_dtype", "set_grad_enabled",
           "inference_mode", "autocast", "no_grad", "enable_grad", "detect_anomaly", "device", "finfo", "iinfo",
           "compile", "use_deterministic_algorithms", "are_deterministic_algorithms_enabled",
           "is_deterministic_algorithms_warn_only_enabled", "get_deterministic_debug_mode",
           "set_deterministic_debug_mode", "typename", "is_inference"}
for _namespace, _names in ((globals(), set(__all__) | set(functions.__all__)), (vars(linalg), linalg.__all__),
                           (vars(special), special.__all__),
                           (vars(fft), set(fft.__all__) - {"fftshift", "ifftshift"})):
    for _name in _names:
        _value = _namespace.get(_name)
        if (_name not in _NO_OUT and callable(_value) and not isinstance(_value, type)
                and not isinstance(_value, type(np))):
            _namespace[_name] = with_out(_value)
del _namespace, _names, _name, _value

def __getattr__(name):
    """PyTorch's dtypes NumPy has none of, asked for by name: a clear error, not Python's bare one."""
    if name in dtypes.ABSENT:
        raise AttributeError(dtypes.absent(name, f"tinynn.{name}"))
    if name == "OutOfMemoryError":  # torch.OutOfMemoryError is torch.cuda.OutOfMemoryError
        return cuda.OutOfMemoryError
    raise AttributeError(f"module 'tinynn' has no attribute {name!r}")
