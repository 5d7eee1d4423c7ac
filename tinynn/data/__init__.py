"""Datasets, the DataLoader, MNIST and batch transforms."""
from . import transforms
from .collate import default_collate, default_convert
from .dataloader import DataLoader
from .dataset import (ChainDataset, ConcatDataset, Dataset, IterableDataset, StackDataset, Subset, TensorDataset,
                      random_split)
from .download import DownloadError
from .idx import DataFileError, read_idx
from .mnist import MNIST, default_data_dir
from .distributed_sampler import DistributedSampler
from .sampler import (BatchSampler, RandomSampler, Sampler, SequentialSampler, SubsetRandomSampler,
                      WeightedRandomSampler)
from .worker import WorkerInfo, get_worker_info

__all__ = ["Dataset", "TensorDataset", "Subset", "ConcatDataset", "random_split", "DataLoader", "Sampler", "SequentialSampler", "RandomSampler", "WeightedRandomSampler", "MNIST", "default_data_dir", "transforms",
           "DataFileError", "DownloadError", "read_idx", "default_collate", "IterableDataset", "ChainDataset", "BatchSampler",
           "SubsetRandomSampler", "DistributedSampler", "get_worker_info", "WorkerInfo", "StackDataset", "default_convert"]
