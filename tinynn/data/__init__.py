"""Datasets, the DataLoader, MNIST and batch transforms."""
from . import transforms
from .dataloader import DataLoader
from .dataset import Dataset, Subset, TensorDataset, random_split
from .download import DownloadError
from .idx import DataFileError, read_idx
from .mnist import MNIST, default_data_dir

__all__ = ["Dataset", "TensorDataset", "Subset", "random_split", "DataLoader", "MNIST", "default_data_dir", "transforms",
           "DataFileError", "DownloadError", "read_idx"]
