__all__ = ["BatchNorm1d", "BatchNorm2d", "ModuleList", "Sequential", "Conv2d", "AdaptiveAvgPool2d", "AvgPool2d", "Dropout", "Flatten", "Identity", "LeakyReLU", "Linear", "LogSoftmax", "MaxPool2d", "ReLU", "Softmax", "CrossEntropyLoss", "NLLLoss", "Module", "StateDictError"]
from .batchnorm import BatchNorm1d, BatchNorm2d
from .container import ModuleList, Sequential
from .conv import Conv2d
from .layers import (AdaptiveAvgPool2d, AvgPool2d, Dropout, Flatten, Identity, LeakyReLU, Linear, LogSoftmax,
                     MaxPool2d, ReLU, Softmax)
from .loss import CrossEntropyLoss, NLLLoss
from .module import Module, StateDictError
