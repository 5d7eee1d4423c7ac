"""Datasets, the DataLoader, MNIST and batch transforms."""
from . import transforms
from .dataloader import DataLoader
from .dataset import ConcatDataset, Dataset, Subset, TensorDataset, random_split
from .download import DownloadError
from .idx import DataFileError, read_idx
from .mnist import MNIST, default_data_dir
from .sampler import RandomSampler, Sampler, SequentialSampler, WeightedRandomSampler

__all__ = ["Dataset", "TensorDataset", "Subset", "ConcatDataset", "random_split", "DataLoader", "Sampler", "SequentialSampler", "RandomSampler", "WeightedRandomSampler", "MNIST", "default_data_dir", "transforms",
           "DataFileError", "DownloadError", "read_idx"]
