"""``BatchNorm1d``, ``BatchNorm2d``, ``InstanceNorm1d``, ``InstanceNorm2d`` (math and backward in
nn/functional/normalization.py)."""
import numpy as np

from ...errors import InputError
from ... import backend
from ...size import as_int
from .. import functional as F
from ..parameter import Parameter
from .module import Module
from .normalization import reset_scale_and_shift
from ...tensor import Tensor, ones, zeros


class _NormBase(Module):
    """What batch and instance norm share (PyTorch's ``_NormBase``): the per-channel weight and bias, the
    running statistics, the checks of the input's rank."""

    expected_ranks = ()

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True, device=None,
                 dtype=None, *, bias=True):
        """``bias=False`` (with ``affine``): a learned scale per channel and no shift, as PyTorch's."""
        super().__init__()
        num_features = as_int(num_features)
        if not isinstance(num_features, int) or num_features <= 0:
            raise InputError(f"{type(self).__name__}: num_features must be a positive int, got {num_features!r}")
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        self.register_parameter("weight", Parameter(ones(num_features, dtype=dtype)) if affine else None)
        self.register_parameter("bias", Parameter(zeros(num_features, dtype=dtype)) if affine and bias else None)
        if track_running_stats:
            self.register_buffer("running_mean", zeros(num_features, dtype=dtype))
            self.register_buffer("running_var", ones(num_features, dtype=dtype))
            self.register_buffer("num_batches_tracked", Tensor(np.array(0, dtype=np.int64)))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)
        self.to(backend.canonical_device(device))  # (None: the default device)

    _version = 2  # version 2 saves num_batches_tracked

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
                              error_msgs):
        """As PyTorch's: a state saved before version 2 (or one that says no version, a dict made by hand)
        has no num_batches_tracked; the module's own count (or 0) stands in for it."""
        version = local_metadata.get("version")
        key = prefix + "num_batches_tracked"
        if (version is None or version < 2) and self.track_running_stats and key not in state_dict:
            state_dict[key] = self.num_batches_tracked if self.num_batches_tracked is not None \
                else Tensor(np.array(0, dtype=np.int64))
        super()._load_from_state_dict(state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
                                      error_msgs)

    def reset_running_stats(self):
        if self.track_running_stats:
            self.running_mean._array[...] = 0
            self.running_var._array[...] = 1
            self.num_batches_tracked._array[...] = 0

    def reset_parameters(self):
        """The running statistics, the weight (1) and the bias (0) as at construction."""
        self.reset_running_stats()
        reset_scale_and_shift(self)

    def _check_input_dim(self, x, name):
        if x.ndim not in self.expected_ranks:
            raise InputError(f"{name}: expected a {' or '.join(f'{r}-D' for r in self.expected_ranks)} input, "
                             f"got shape {tuple(x.shape)}")

    def extra_repr(self):
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
                f"bias={self.bias is not None}, track_running_stats={self.track_running_stats}")


class _BatchNorm(_NormBase):
    """The batch norms (``isinstance(m, _BatchNorm)`` tells them from the instance norms, as in PyTorch)."""

    def forward(self, input):
        name = f"{type(self).__name__}({self.num_features})"
        if not isinstance(input, Tensor):
            raise TypeError(f"{name}: expected a tinynn.Tensor, got {type(input).__name__}")
        self._check_input_dim(input, name)
        if input.shape[1] != self.num_features:
            raise InputError(f"{name}: expected input with {self.num_features} channels, got {input.shape[1]} "
                             f"(input shape {tuple(input.shape)})")
        use_batch_stats = self.training or not self.track_running_stats
        track = self.training and self.track_running_stats
        return F.batch_norm(
            input, self.running_mean if track or not use_batch_stats else None,
            self.running_var if track or not use_batch_stats else None,
            self.weight, self.bias, use_batch_stats, self.momentum, self.eps,
            num_batches_tracked=self.num_batches_tracked if track else None, name=name,
        )


class BatchNorm1d(_BatchNorm):
    """Normalises (N, C) or (N, C, L) input per channel."""

    expected_ranks = (2, 3)


class BatchNorm2d(_BatchNorm):
    """Normalises (N, C, H, W) input per channel, over N, H and W."""

    expected_ranks = (4,)


class BatchNorm3d(_BatchNorm):
    """Normalises (N, C, D, H, W) input per channel, over N, D, H and W."""

    expected_ranks = (5,)


class _InstanceNorm(_NormBase):
    """The parameters and buffers of batch norm, but PyTorch's defaults differ: affine=False,
    track_running_stats=False. Unbatched input (without N) is one sample."""

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=False, track_running_stats=False, device=None,
                 dtype=None, *, bias=True):
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device, dtype, bias=bias)

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
                              error_msgs):
        """As PyTorch's: a state that says no version (saved before 0.4, when instance norms kept running
        statistics by default) with running statistics for a module that keeps none is an error naming
        them; they are dropped from the state."""
        if local_metadata.get("version") is None and not self.track_running_stats:
            found = [prefix + name for name in ("running_mean", "running_var") if prefix + name in state_dict]
            if found:
                error_msgs.append(f"unexpected running stats buffer(s) {' and '.join(found)} for "
                                  f"{type(self).__name__} with track_running_stats=False: remove them from the state "
                                  f"dict, or set track_running_stats=True if they are needed")
                for key in found:
                    state_dict.pop(key)
        super()._load_from_state_dict(state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
                                      error_msgs)

    def forward(self, input):
        name = f"{type(self).__name__}({self.num_features})"
        if not isinstance(input, Tensor):
            raise TypeError(f"{name}: expected a tinynn.Tensor, got {type(input).__name__}")
        batched_rank = self.expected_ranks[-1]
        if input.ndim not in self.expected_ranks:
            raise InputError(f"{name}: expected a {' or '.join(f'{r}-D' for r in self.expected_ranks)} input, "
                             f"got shape {tuple(input.shape)}")
        batch = input if input.ndim == batched_rank else input.unsqueeze(0)
        if batch.shape[1] != self.num_features:
            raise InputError(f"{name}: expected input with {self.num_features} channels, got {batch.shape[1]} "
                             f"(input shape {tuple(input.shape)})")
        use_input_stats = self.training or not self.track_running_stats
        track = self.track_running_stats and (self.training or not use_input_stats)
        out = F.instance_norm(batch, self.running_mean if track else None, self.running_var if track else None,
                              self.weight, self.bias, use_input_stats, self.momentum, self.eps, name=name)
        return out if input.ndim == batched_rank else out.squeeze(0)


class InstanceNorm1d(_InstanceNorm):
    """Normalises each channel of each (N, C, L) sample over L; (C, L) is one sample."""

    expected_ranks = (2, 3)


class InstanceNorm2d(_InstanceNorm):
    """Normalises each channel of each (N, C, H, W) sample over H and W; (C, H, W) is one sample."""

    expected_ranks = (3, 4)


class InstanceNorm3d(_InstanceNorm):
    """Normalises each channel of each (N, C, D, H, W) sample over D, H and W; (C, D, H, W) is one sample."""

    expected_ranks = (4, 5)
