"""TensorBoard's Summary messages (tensorflow/core/framework/summary.proto), encoded by hand: one
value with a tag and a scalar (simple_value, or a tensor for ``new_style``), a histogram, a PNG
image, or text (a string tensor for the text plugin); values as PyTorch's SummaryWriter makes them.

    Summary        value = 1 (repeated Value)
    Value          tag = 1, simple_value = 2 (float), image = 4, histo = 5, tensor = 8, metadata = 9
    Image          height = 1, width = 2, colorspace = 3 (channels), encoded_image_string = 4
    HistogramProto min = 1, max = 2, num = 3, sum = 4, sum_squares = 5, bucket_limit = 6, bucket = 7
    TensorProto    dtype = 1, tensor_shape = 2, float_val = 5, double_val = 6, string_val = 8
    SummaryMetadata plugin_data = 1 (PluginData: plugin_name = 1, content = 2)
"""
import numpy as np

from . import protobuf as pb
from .png import encode_png

DT_FLOAT, DT_DOUBLE, DT_STRING = 1, 2, 7


def _value(tag, payload, plugin=None):
    """A Summary of one Value: the tag, the payload (an encoded field), the plugin that shows it."""
    metadata = pb.bytes_field(9, pb.bytes_field(1, pb.bytes_field(1, plugin))) if plugin else b""
    return pb.bytes_field(1, pb.bytes_field(1, tag) + payload + metadata)


def scalar(tag, value, new_style=False, double_precision=False):
    if not new_style:
        return _value(tag, pb.float_field(2, value))
    numbers = (pb.int_field(1, DT_DOUBLE) + pb.bytes_field(6, np.float64(value).tobytes()) if double_precision
               else pb.int_field(1, DT_FLOAT) + pb.bytes_field(5, np.float32(value).tobytes()))
    return _value(tag, pb.bytes_field(8, numbers), plugin="scalars")


def default_bins():
    """TensorBoard's default histogram buckets: +-1e-12 growing by 10% to 1e20, and 0."""
    positive, v = [], 1e-12
    while v < 1e20:
        positive.append(v)
        v *= 1.1
    return [-b for b in reversed(positive)] + [0] + positive


def histogram(tag, values, bins, max_bins=None):
    """The histogram of ``values`` over ``bins`` (anything numpy.histogram takes), cut to the buckets
    from just left of the first non-empty one to the last, as TensorBoard's histogram.cc."""
    values = np.asarray(values, dtype=np.float64).reshape(-1)
    if values.size == 0:
        raise ValueError(f"add_histogram: '{tag}' has no values")
    if not np.isfinite(values).all():
        raise ValueError(f"add_histogram: '{tag}' holds NaN or infinite values, which a histogram cannot place")
    counts, limits = np.histogram(values, bins=bins)
    if max_bins is not None and len(counts) > max_bins:
        step = len(counts) // max_bins
        counts = np.pad(counts, (0, (-len(counts)) % step)).reshape(-1, step).sum(axis=-1)
        limits = np.concatenate([limits[:-1:step], limits[-1:]])
    occupied = np.cumsum(counts > 0)
    start, end = np.searchsorted(occupied, [0, occupied[-1] - 1], side="right")
    end += 1
    # TensorBoard keeps only right limits: an empty bucket on the left holds the leftmost limit
    counts = counts[start - 1:end] if start > 0 else np.concatenate([[0], counts[:end]])
    limits = limits[start:end + 1]
    payload = (pb.double_field(1, values.min()) + pb.double_field(2, values.max()) + pb.double_field(3, values.size)
               + pb.double_field(4, values.sum()) + pb.double_field(5, values.dot(values))
               + pb.packed_doubles_field(6, [float(v) for v in limits])
               + pb.packed_doubles_field(7, [float(c) for c in counts]))
    return _value(tag, pb.bytes_field(5, payload))


def to_hwc(image, dataformats):
    """An image array in ``dataformats`` ("CHW", "HWC", "HW"; "NCHW"/"NHWC" tiled into a grid of up
    to 8 columns) as (H, W, C), gray made RGB, as PyTorch's."""
    dataformats = dataformats.upper()
    if len(set(dataformats)) != len(dataformats) or set(dataformats) - set("NCHW") or image.ndim != len(dataformats):
        raise ValueError(f"add_image: dataformats {dataformats!r} does not describe an image of shape {tuple(image.shape)}")
    if len(dataformats) == 4:
        images = image.transpose([dataformats.index(c) for c in "NCHW"])
        if images.shape[1] == 1:
            images = np.concatenate([images] * 3, axis=1)
        count, _, height, width = images.shape
        columns = min(count, 8)
        rows = -(-count // columns)
        grid = np.zeros((3, height * rows, width * columns), dtype=images.dtype)
        for i in range(count):
            grid[:, i // columns * height:(i // columns + 1) * height, i % columns * width:(i % columns + 1) * width] = images[i]
        return grid.transpose(1, 2, 0)
    if len(dataformats) == 3:
        image = image.transpose([dataformats.index(c) for c in "HWC"])
        return np.concatenate([image] * 3, axis=2) if image.shape[2] == 1 else image
    return np.stack([image.transpose([dataformats.index(c) for c in "HW"])] * 3, axis=2)


def image(tag, array, dataformats="CHW"):
    """A PNG of the image: uint8 values as they are, any other dtype taken as [0, 1] and scaled by 255
    (clipped), as PyTorch's."""
    hwc = to_hwc(np.asarray(array), dataformats)
    if hwc.shape[2] not in (3, 4):
        raise ValueError(f"add_image: expected 1, 3 or 4 channels, got {hwc.shape[2]}")
    scale = 1 if hwc.dtype == np.uint8 else 255
    pixels = (hwc.astype(np.float32) * scale).clip(0, 255).astype(np.uint8)
    height, width, channels = pixels.shape
    payload = (pb.int_field(1, height) + pb.int_field(2, width) + pb.int_field(3, channels)
               + pb.bytes_field(4, encode_png(pixels)))
    return _value(tag, pb.bytes_field(4, payload))


def text(tag, string):
    shape = pb.bytes_field(2, pb.int_field(1, 1))  # one dim of size 1
    tensor = pb.int_field(1, DT_STRING) + pb.bytes_field(2, shape) + pb.bytes_field(8, string.encode("utf-8"))
    return _value(tag + "/text_summary", pb.bytes_field(8, tensor), plugin="text")
