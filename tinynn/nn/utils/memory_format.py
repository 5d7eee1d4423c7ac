"""``convert_conv2d_weight_memory_format`` / ``convert_conv3d_weight_memory_format``: the weights of every
2-D (3-D) convolution and transposed convolution in a module laid out in a memory format, as PyTorch's
(see tinynn/memory_layout.py; the values, and so the results, stay the same)."""
from ... import memory_layout


def convert_conv2d_weight_memory_format(module, memory_format):
    """Every ``Conv2d``/``ConvTranspose2d`` weight in ``module`` (itself or a container) laid out in
    ``memory_format`` (``tinynn.channels_last``, ``contiguous_format``); returns ``module``."""
    from ..modules.conv import Conv2d, ConvTranspose2d

    return _convert(module, memory_format, (Conv2d, ConvTranspose2d), "convert_conv2d_weight_memory_format")


def convert_conv3d_weight_memory_format(module, memory_format):
    """Every ``Conv3d``/``ConvTranspose3d`` weight in ``module`` laid out in ``memory_format``
    (``tinynn.channels_last_3d``, ``contiguous_format``); returns ``module``."""
    from ..modules.conv import Conv3d, ConvTranspose3d

    return _convert(module, memory_format, (Conv3d, ConvTranspose3d), "convert_conv3d_weight_memory_format")


def _convert(module, memory_format, kinds, name):
    memory_layout.check(memory_format, name)
    for layer in module.modules():
        if isinstance(layer, kinds):
            layer.weight.data = memory_layout.copy_in(layer.weight._array, memory_format, name)
    return module
