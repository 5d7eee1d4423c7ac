"""MNIST: the 70,000 handwritten digits, read from the four original idx .gz files."""
import os

import numpy as np

from .. import backend
from ..tensor import Tensor
from .dataset import Dataset
from .download import DownloadError, download_file, md5sum
from .idx import DataFileError, read_idx

MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
    "http://yann.lecun.com/exdb/mnist/",
)
FILES = {
    "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
    "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
    "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
    "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
}
MEAN, STD = (0.1307,), (0.3081,)


def default_data_dir():
    """``$TINYNN_DATA`` if set, else ``~/.cache/tinynn``."""
    return os.environ.get("TINYNN_DATA") or os.path.join(os.path.expanduser("~"), ".cache", "tinynn")


class MNIST(Dataset):
    """MNIST digits: images (N, 1, 28, 28) as float32 in [0, 1] (then ``transform``), labels int64.

    ``root`` holds the four .gz files (default: ``default_data_dir()``). With ``download=True``
    missing files are fetched from ``mirrors`` in turn and checked against their MD5. Images are
    kept as uint8 and converted per batch; ``to("gpu")`` uploads them once so batches are sliced
    and transformed on the device.
    """

    def __init__(self, root=None, train=True, download=True, transform=None, mirrors=MIRRORS, limit=None):
        self.root = os.fspath(root) if root is not None else default_data_dir()
        self.train, self.transform = train, transform
        prefix = "train" if train else "t10k"
        image_file, label_file = f"{prefix}-images-idx3-ubyte.gz", f"{prefix}-labels-idx1-ubyte.gz"
        for filename in (image_file, label_file):
            self._ensure(filename, download, mirrors)
        image_path, label_path = os.path.join(self.root, image_file), os.path.join(self.root, label_file)
        images = read_idx(image_path, expected_dims=3)
        labels = read_idx(label_path, expected_dims=1)
        if len(images) != len(labels):
            raise DataFileError(f"{label_path} holds {len(labels)} labels but {image_path} holds {len(images)} "
                                f"images; one of the files is from another set or damaged")
        if limit is not None:
            images, labels = images[:limit], labels[:limit]
        self.images = images[:, None, :, :]
        self.labels = labels.astype(np.int64)

    def _ensure(self, filename, download, mirrors):
        path = os.path.join(self.root, filename)
        if os.path.exists(path):
            return
        if not download:
            raise FileNotFoundError(f"MNIST: {path} not found; put the four MNIST .gz files in {self.root} "
                                    f"(or pass download=True)")
        try:
            download_file(filename, self.root, mirrors, FILES[filename])
        except DownloadError as error:
            raise DownloadError(
                f"MNIST: {error}\nWithout network access, copy the four files ({', '.join(FILES)}) into "
                f"{self.root}, or point --data-dir / the TINYNN_DATA environment variable at a folder holding them"
            ) from None

    @staticmethod
    def verify(root):
        """{filename: True/False} whether each file in ``root`` has its published MD5."""
        return {name: os.path.exists(os.path.join(root, name)) and md5sum(os.path.join(root, name)) == md5
                for name, md5 in FILES.items()}

    @property
    def device(self):
        return backend.device_of(self.images)

    def to(self, device):
        """Keep the images and labels on ``device`` (uploaded once)."""
        self.images = backend.to_device(self.images, device)
        self.labels = backend.to_device(self.labels, device)
        return self

    def __len__(self):
        return len(self.labels)

    def get_batch(self, indices):
        xp = backend.get_array_module(self.images)
        if xp is not np:
            indices = xp.asarray(indices)
        images = self.images[indices].astype(np.float32) * np.float32(1 / 255)
        if self.transform is not None:
            images = self.transform(images)
        return [Tensor(images), Tensor(self.labels[indices])]  # a list of fields, as PyTorch's DataLoader gives

    def __getitem__(self, index):
        images, labels = self.get_batch(np.array([index]))
        return Tensor(images._array[0]), Tensor(labels._array[0])
