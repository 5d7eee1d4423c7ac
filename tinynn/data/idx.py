"""Reading the idx format of the original MNIST files (optionally gzipped), with validation.

Layout: a 4-byte magic number 0x0000TTDD (TT = element type, 0x08 = unsigned byte; DD = number
of dimensions), then DD big-endian uint32 sizes, then the elements in row-major order.
"""
import gzip
import zlib

import numpy as np


class DataFileError(ValueError):
    """A data file is truncated, corrupt or not what was expected; the message names the file."""


def read_idx(path, expected_dims=None):
    """The array stored in an idx(.gz) file at ``path``; raises DataFileError naming the file."""
    path = str(path)
    try:
        opener = gzip.open if path.endswith(".gz") else open
        with opener(path, "rb") as file:
            content = file.read()
    except FileNotFoundError:
        raise
    except (EOFError, gzip.BadGzipFile, zlib.error, OSError) as error:
        raise DataFileError(f"{path}: cannot decompress ({error}); the file is truncated or corrupt, "
                            f"delete it and download it again") from None
    if len(content) < 4:
        raise DataFileError(f"{path}: only {len(content)} bytes, too short for an idx header")
    zero, zero2, element_type, dims = content[0], content[1], content[2], content[3]
    if zero != 0 or zero2 != 0 or element_type != 0x08:
        raise DataFileError(f"{path}: wrong magic number 0x{content[:4].hex()}; expected 0x000008xx "
                            f"(an idx file of unsigned bytes)")
    if expected_dims is not None and dims != expected_dims:
        magic = 0x800 + expected_dims
        raise DataFileError(f"{path}: magic number {0x800 + dims} says {dims} dimensions; expected {magic} "
                            f"({expected_dims} dimensions)")
    header = 4 + 4 * dims
    if len(content) < header:
        raise DataFileError(f"{path}: truncated header ({len(content)} bytes, expected at least {header})")
    shape = tuple(int.from_bytes(content[4 + 4 * i:8 + 4 * i], "big") for i in range(dims))
    expected = header + int(np.prod(shape))
    if len(content) != expected:
        raise DataFileError(f"{path}: holds {len(content)} bytes but its header {shape} needs {expected}; "
                            f"the file is {'truncated' if len(content) < expected else 'corrupt'}")
    return np.frombuffer(content, dtype=np.uint8, offset=header).reshape(shape)
