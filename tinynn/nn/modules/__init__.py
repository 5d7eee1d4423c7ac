__all__ = ["BatchNorm1d", "SyncBatchNorm", "BatchNorm2d", "InstanceNorm1d", "InstanceNorm2d", "ModuleDict", "ModuleList", "ParameterDict", "ParameterList", "Sequential", "Conv1d", "Conv2d", "ConvTranspose1d", "ConvTranspose2d", "AdaptiveAvgPool2d", "AdaptiveMaxPool2d", "MaxUnpool2d", "MaxUnpool3d", "LPPool3d", "FractionalMaxPool2d", "FractionalMaxPool3d", "AdaptiveLogSoftmaxWithLoss", "AvgPool2d", "Dropout", "Dropout1d", "Dropout2d", "Flatten", "Unflatten", "Unfold", "Fold", "PixelShuffle", "PixelUnshuffle", "ZeroPad2d", "ConstantPad1d", "ConstantPad2d", "ReflectionPad1d", "ReflectionPad2d", "ReplicationPad1d", "ReplicationPad2d", "CircularPad1d", "CircularPad2d", "Upsample", "Identity", "LeakyReLU", "Linear", "Bilinear", "LogSoftmax", "Softmin", "SELU", "CELU", "GLU", "Tanhshrink", "Threshold", "Hardshrink", "Softshrink", "MaxPool1d", "MaxPool2d", "AvgPool1d", "ReLU", "Softmax", "Sigmoid", "Tanh", "SiLU", "GELU", "ELU", "Hardtanh", "ReLU6", "Hardsigmoid", "Hardswish", "Mish", "LogSigmoid", "Softsign", "PReLU", "Softplus", "LayerNorm", "GroupNorm", "RNN", "LSTM", "GRU", "RNNBase", "RNNCellBase", "DataParallel", "NLLLoss2d", "LinearCrossEntropyLoss", "LinearCrossEntropyOptions", "MultiheadAttention", "TransformerEncoderLayer", "TransformerEncoder", "TransformerDecoderLayer", "TransformerDecoder", "Transformer", "RNNCell", "LSTMCell", "GRUCell", "Embedding", "EmbeddingBag", "CrossEntropyLoss", "CTCLoss", "NLLLoss", "MSELoss", "L1Loss", "HuberLoss", "SmoothL1Loss", "BCELoss", "BCEWithLogitsLoss", "KLDivLoss", "CosineSimilarity", "MarginRankingLoss", "HingeEmbeddingLoss", "SoftMarginLoss", "MultiLabelSoftMarginLoss", "MultiMarginLoss", "CosineEmbeddingLoss", "TripletMarginLoss", "GaussianNLLLoss", "PoissonNLLLoss", "PairwiseDistance", "Module", "StateDictError",
           "Dropout3d", "AlphaDropout", "FeatureAlphaDropout", "RReLU", "Softmax2d", "ChannelShuffle", "LocalResponseNorm", "CrossMapLRN2d",
           "LPPool1d", "LPPool2d", "AdaptiveAvgPool1d", "AdaptiveMaxPool1d", "MaxUnpool1d", "UpsamplingNearest2d",
           "UpsamplingBilinear2d", "RMSNorm", "ZeroPad1d", "TripletMarginWithDistanceLoss", "MultiLabelMarginLoss",
           "Conv3d", "ConvTranspose3d", "MaxPool3d", "AvgPool3d", "AdaptiveAvgPool3d", "AdaptiveMaxPool3d", "BatchNorm3d", "InstanceNorm3d",
           "ConstantPad3d", "ZeroPad3d", "ReflectionPad3d", "ReplicationPad3d", "CircularPad3d"]
from .batchnorm import BatchNorm1d, BatchNorm2d, BatchNorm3d, InstanceNorm1d, InstanceNorm2d, InstanceNorm3d
from .sync_batchnorm import SyncBatchNorm
from .container import ModuleDict, ModuleList, ParameterDict, ParameterList, Sequential
from .conv import Conv1d, Conv2d, Conv3d, ConvTranspose1d, ConvTranspose2d, ConvTranspose3d
from .embedding import Embedding, EmbeddingBag
from . import lazy, utils  # noqa: F401  (utils: torch.nn.modules.utils, _pair and its kin)
from .lazy import *  # noqa: F401,F403
from .adaptive import AdaptiveLogSoftmaxWithLoss
from .layers import (ELU, PReLU, ReLU6, AdaptiveAvgPool2d, AdaptiveMaxPool2d, MaxUnpool2d, MaxUnpool3d, LPPool3d, FractionalMaxPool2d, FractionalMaxPool3d, Hardsigmoid, Hardswish, Hardtanh, LogSigmoid, Mish, Softsign, AvgPool1d, AvgPool2d, Dropout, Dropout1d, Dropout2d, Flatten, GELU, Identity, LeakyReLU, Linear, LogSoftmax,
                     MaxPool1d, MaxPool2d, ReLU, SiLU, PixelShuffle, PixelUnshuffle, Sigmoid, Softmax, Softplus, Tanh, Unflatten, Unfold, Fold, Upsample, Softmin, SELU, CELU, GLU,
                     Tanhshrink, Threshold, Hardshrink, Softshrink, Bilinear, Dropout3d, AlphaDropout, FeatureAlphaDropout,
                     RReLU, Softmax2d, ChannelShuffle, LocalResponseNorm, CrossMapLRN2d, LPPool1d, LPPool2d, AdaptiveAvgPool1d,
                     AdaptiveMaxPool1d, MaxUnpool1d, UpsamplingNearest2d, UpsamplingBilinear2d, MaxPool3d, AvgPool3d,
                     AdaptiveAvgPool3d, AdaptiveMaxPool3d)
from .loss import (BCELoss, BCEWithLogitsLoss, CosineEmbeddingLoss, CosineSimilarity, CrossEntropyLoss, CTCLoss,
                   GaussianNLLLoss, HingeEmbeddingLoss, HuberLoss, KLDivLoss, L1Loss, MarginRankingLoss, MSELoss, MultiLabelSoftMarginLoss,
                   LinearCrossEntropyLoss, MultiMarginLoss, NLLLoss, NLLLoss2d, PairwiseDistance, PoissonNLLLoss, SmoothL1Loss, SoftMarginLoss,
                   TripletMarginLoss, TripletMarginWithDistanceLoss, MultiLabelMarginLoss)
from .normalization import GroupNorm, LayerNorm, RMSNorm
from .padding import (CircularPad1d, CircularPad2d, ConstantPad1d, ConstantPad2d, ReflectionPad1d, ReflectionPad2d,
                      ReplicationPad1d, ReplicationPad2d, ZeroPad1d, ZeroPad2d, ConstantPad3d, ZeroPad3d,
                      ReflectionPad3d, ReplicationPad3d, CircularPad3d)
from .rnn import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNBase, RNNCell, RNNCellBase
from .data_parallel import DataParallel
from ..functional.linear_cross_entropy import LinearCrossEntropyOptions
from .transformer import (MultiheadAttention, Transformer, TransformerDecoder, TransformerDecoderLayer,
                          TransformerEncoder, TransformerEncoderLayer)
from .module import Module, StateDictError

__all__ += lazy.__all__
