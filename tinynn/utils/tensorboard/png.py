"""PNG encoding of 8-bit images, with the standard library's zlib: the signature, an IHDR chunk
(width, height, bit depth 8, colour type 0 gray / 2 RGB / 6 RGBA), one IDAT chunk of the
zlib-compressed rows (each row prefixed by filter type 0, no filter) and IEND. Each chunk is
length | type | data | CRC-32 of type and data."""
import struct
import zlib

import numpy as np

_COLOR_TYPES = {1: 0, 3: 2, 4: 6}


def _chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def encode_png(image):
    """``image``: uint8 (H, W, C) with C = 1, 3 or 4 -> the bytes of a PNG file."""
    height, width, channels = image.shape
    if image.dtype != np.uint8 or channels not in _COLOR_TYPES:
        raise ValueError(f"encode_png: expected uint8 (H, W, 1, 3 or 4), got {image.dtype} {tuple(image.shape)}")
    rows = np.concatenate([np.zeros((height, 1), dtype=np.uint8), image.reshape(height, width * channels)], axis=1)
    header = struct.pack(">IIBBBBB", width, height, 8, _COLOR_TYPES[channels], 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", zlib.compress(rows.tobytes(), 6))
            + _chunk(b"IEND", b""))
