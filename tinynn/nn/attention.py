"""``torch.nn.attention``: choosing the kernel of ``F.scaled_dot_product_attention``.

tinynn has one implementation of scaled dot-product attention, the math in its docstring, and it
serves for each kernel PyTorch has on the device: ``MATH`` and ``FLASH_ATTENTION`` on the CPU (as
PyTorch's CPU build has them), also ``EFFICIENT_ATTENTION`` and ``CUDNN_ATTENTION`` on the GPU. The
switches are PyTorch's: ``sdpa_kernel([...])`` allows only the kernels listed inside its block, and
``tinynn.backends.cuda.enable_flash_sdp(False)`` and its siblings set the same flags. A call on a
device none of whose kernels is allowed is an error, as in PyTorch.
"""
import contextlib
import enum

from .. import backend


class SDPBackend(enum.IntEnum):
    ERROR = -1
    MATH = 0
    FLASH_ATTENTION = 1
    EFFICIENT_ATTENTION = 2
    CUDNN_ATTENTION = 3
    OVERRIDEABLE = 4


enabled = {kernel: True for kernel in SDPBackend if kernel is not SDPBackend.ERROR}
_ON_DEVICE = {backend.CPU: (SDPBackend.MATH, SDPBackend.FLASH_ATTENTION),
              backend.GPU: (SDPBackend.MATH, SDPBackend.FLASH_ATTENTION, SDPBackend.EFFICIENT_ATTENTION,
                            SDPBackend.CUDNN_ATTENTION)}


def check_kernel_allowed(device):
    """Raises where no kernel that ``device`` has is enabled (PyTorch's message)."""
    if not any(enabled[kernel] for kernel in _ON_DEVICE[device]):
        allowed = [kernel.name for kernel, on in enabled.items() if on]
        raise RuntimeError(f"No viable backend for scaled_dot_product_attention was found. This is likely due to turning "
                           f"off both the math kernel and the fused kernels (enabled: {allowed or 'none'}; on "
                           f"{backend.device(device).type} tinynn has {[kernel.name for kernel in _ON_DEVICE[device]]})")


@contextlib.contextmanager
def sdpa_kernel(backends, set_priority=False):
    """Within the block only the kernels in ``backends`` (one SDPBackend or a list of them) are
    enabled; the previous flags come back at its end. ``set_priority`` (PyTorch's order of
    preference) changes nothing here: there is one implementation."""
    chosen = [backends] if isinstance(backends, SDPBackend) else list(backends)
    for kernel in chosen:
        if not isinstance(kernel, SDPBackend) or kernel is SDPBackend.ERROR:
            raise ValueError(f"sdpa_kernel: expected SDPBackend kernels (MATH, FLASH_ATTENTION, ...), got {kernel!r}")
    previous = dict(enabled)
    for kernel in enabled:
        enabled[kernel] = kernel in chosen
    try:
        yield
    finally:
        enabled.update(previous)
