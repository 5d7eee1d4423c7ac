"""Parsing idx files, and the errors for truncated, corrupt and mismatched files (naming the file)."""
import gzip

import numpy as np
import pytest

from tinynn.data import MNIST, DataFileError, read_idx


def write_idx(path, array, magic_dims=None, truncate=0, compress=True):
    dims = array.ndim if magic_dims is None else magic_dims
    header = bytes([0, 0, 8, dims]) + b"".join(int(n).to_bytes(4, "big") for n in array.shape)
    content = header + array.astype(np.uint8).tobytes()
    content = content[:len(content) - truncate]
    opener = gzip.open if compress else open
    with opener(path, "wb") as file:
        file.write(content)
    return path


def test_reads_images_and_labels(tmp_path, rng):
    images = rng.integers(0, 256, (5, 28, 28))
    np.testing.assert_array_equal(read_idx(write_idx(tmp_path / "i.gz", images), 3), images)
    np.testing.assert_array_equal(read_idx(write_idx(tmp_path / "l", np.arange(5), compress=False), 1), np.arange(5))


def test_truncated_payload_names_the_file(tmp_path, rng):
    path = write_idx(tmp_path / "short-images.gz", rng.integers(0, 256, (5, 4, 4)), truncate=7)
    with pytest.raises(DataFileError, match=r"short-images.gz: holds .* bytes but its header .* truncated"):
        read_idx(path, 3)


def test_truncated_gzip_stream_names_the_file(tmp_path, rng):
    path = write_idx(tmp_path / "cut.gz", rng.integers(0, 256, (50, 28, 28)))
    path.write_bytes(path.read_bytes()[:200])
    with pytest.raises(DataFileError, match="cut.gz: cannot decompress"):
        read_idx(path, 3)


def test_wrong_magic_number_names_the_file(tmp_path):
    path = tmp_path / "bad.gz"
    with gzip.open(path, "wb") as file:
        file.write(b"\x12\x34\x08\x01" + (3).to_bytes(4, "big") + b"abc")
    with pytest.raises(DataFileError, match="bad.gz: wrong magic number 0x12340801"):
        read_idx(path, 1)
    labels = write_idx(tmp_path / "labels.gz", np.arange(3))
    with pytest.raises(DataFileError, match="labels.gz: magic number 2049 says 1 dimensions; expected 2051"):
        read_idx(labels, 3)


def test_label_count_differing_from_image_count_names_both_files(tmp_path, rng):
    write_idx(tmp_path / "train-images-idx3-ubyte.gz", rng.integers(0, 256, (4, 28, 28)))
    write_idx(tmp_path / "train-labels-idx1-ubyte.gz", np.arange(3))
    with pytest.raises(DataFileError, match=r"train-labels-idx1-ubyte.gz holds 3 labels but .*train-images-idx3-ubyte.gz "
                                            r"holds 4 images"):
        MNIST(tmp_path, download=False)


def test_missing_files_without_download_say_where_to_put_them(tmp_path):
    with pytest.raises(FileNotFoundError, match=f"put the four MNIST .gz files in {tmp_path}"):
        MNIST(tmp_path, download=False)
