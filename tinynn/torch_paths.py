"""PyTorch's module paths, under tinynn's name.

PyTorch code often imports a name from the module that defines it rather than from the package
(``from torch.nn.modules.loss import _Loss``, ``from torch.utils.data.sampler import Sampler``,
``from torch.distributions.normal import Normal``). tinynn lays its code out by its own concepts
(nn/modules/layers.py holds the activations, dropouts and pooling layers), so this table gives each
such path of PyTorch's the names PyTorch's module has there, as the same objects tinynn defines
elsewhere: ``tinynn.nn.modules.activation.ReLU is tinynn.nn.ReLU``. Where tinynn has a module of
that path already, the names it lacks are added to it; where not, a module of that name is made
(and registered, so ``import tinynn.nn.modules.pooling as pooling`` works too). Read the other
way, the table is a map of where tinynn keeps what PyTorch keeps in each of its modules.

Each entry: the path below ``tinynn``, then for each tinynn module the names come from (a package,
or the defining module for the private bases), the names.
"""
import importlib
import importlib.util
import sys
import types

_DISTRIBUTION_MODULES = {
    "beta": "Beta", "cauchy": "Cauchy", "chi2": "Chi2", "dirichlet": "Dirichlet", "exp_family": "ExponentialFamily",
    "fishersnedecor": "FisherSnedecor", "generalized_pareto": "GeneralizedPareto", "gumbel": "Gumbel",
    "half_cauchy": "HalfCauchy", "half_normal": "HalfNormal", "inverse_gamma": "InverseGamma",
    "kumaraswamy": "Kumaraswamy", "lkj_cholesky": "LKJCholesky", "log_normal": "LogNormal",
    "logistic_normal": "LogisticNormal", "lowrank_multivariate_normal": "LowRankMultivariateNormal",
    "mixture_same_family": "MixtureSameFamily", "multinomial": "Multinomial", "negative_binomial": "NegativeBinomial",
    "one_hot_categorical": "OneHotCategorical OneHotCategoricalStraightThrough", "pareto": "Pareto",
    "relaxed_bernoulli": "LogitRelaxedBernoulli RelaxedBernoulli",
    "relaxed_categorical": "ExpRelaxedCategorical RelaxedOneHotCategorical", "studentT": "StudentT",
    "transformed_distribution": "TransformedDistribution", "weibull": "Weibull", "wishart": "Wishart",
}

PATHS = {
    "nn.modules.activation": {"nn": "Threshold ReLU RReLU Hardtanh ReLU6 Sigmoid Hardsigmoid Tanh SiLU Mish Hardswish "
                                    "ELU CELU SELU GLU GELU Hardshrink LeakyReLU LogSigmoid Softplus Softshrink "
                                    "MultiheadAttention PReLU Softsign Tanhshrink Softmin Softmax Softmax2d LogSoftmax"},
    "nn.modules.linear": {"nn": "Bilinear Identity LazyLinear Linear",
                          "nn.modules.layers": "NonDynamicallyQuantizableLinear"},
    "nn.modules.dropout": {"nn": "Dropout Dropout1d Dropout2d Dropout3d AlphaDropout FeatureAlphaDropout",
                           "nn.modules.layers": "_DropoutNd"},
    "nn.modules.pooling": {"nn": "MaxPool1d MaxPool2d MaxPool3d MaxUnpool1d MaxUnpool2d MaxUnpool3d AvgPool1d AvgPool2d "
                                 "AvgPool3d FractionalMaxPool2d FractionalMaxPool3d LPPool1d LPPool2d LPPool3d "
                                 "AdaptiveMaxPool1d AdaptiveMaxPool2d AdaptiveMaxPool3d AdaptiveAvgPool1d "
                                 "AdaptiveAvgPool2d AdaptiveAvgPool3d",
                           "nn.modules.layers": "_MaxPoolNd _AvgPoolNd _AdaptiveAvgPoolNd _AdaptiveMaxPoolNd _LPPoolNd "
                                                "_MaxUnpoolNd"},
    "nn.modules.instancenorm": {"nn": "InstanceNorm1d InstanceNorm2d InstanceNorm3d LazyInstanceNorm1d "
                                      "LazyInstanceNorm2d LazyInstanceNorm3d",
                                "nn.modules.batchnorm": "_InstanceNorm"},
    "nn.modules.batchnorm": {"nn": "LazyBatchNorm1d LazyBatchNorm2d LazyBatchNorm3d SyncBatchNorm",
                             "nn.modules.lazy": "_LazyNormBase"},
    "nn.modules.conv": {"nn": "LazyConv1d LazyConv2d LazyConv3d LazyConvTranspose1d LazyConvTranspose2d "
                              "LazyConvTranspose3d",
                        "nn.modules.lazy": "_LazyConvXdMixin"},
    "nn.modules.normalization": {"nn": "LocalResponseNorm CrossMapLRN2d"},
    "nn.modules.sparse": {"nn": "Embedding EmbeddingBag"},
    "nn.modules.distance": {"nn": "PairwiseDistance CosineSimilarity"},
    "nn.modules.flatten": {"nn": "Flatten Unflatten"},
    "nn.modules.fold": {"nn": "Fold Unfold"},
    "nn.modules.pixelshuffle": {"nn": "PixelShuffle PixelUnshuffle"},
    "nn.modules.channelshuffle": {"nn": "ChannelShuffle"},
    "nn.modules.upsampling": {"nn": "Upsample UpsamplingNearest2d UpsamplingBilinear2d"},
    "nn.parallel.data_parallel": {"nn.parallel": "DataParallel data_parallel"},
    "nn.parallel.distributed": {"nn.parallel": "DistributedDataParallel"},
    "nn.utils.clip_grad": {"nn.utils": "clip_grad_norm"},
    "optim.adamw": {"optim": "AdamW"},
    "utils.data.dataset": {"data": "Dataset IterableDataset TensorDataset StackDataset ConcatDataset ChainDataset "
                                   "Subset random_split"},
    "utils.data.sampler": {"data": "BatchSampler RandomSampler Sampler SequentialSampler SubsetRandomSampler "
                                   "WeightedRandomSampler"},
    "utils.data.dataloader": {"data": "DataLoader get_worker_info default_collate default_convert"},
    "utils.data.distributed": {"data": "DistributedSampler"},
    "utils.data._utils": {},
    "utils.data._utils.collate": {"data": "default_collate default_convert"},
    "utils.hooks": {"hooks": "RemovableHandle"},
    "autograd.anomaly_mode": {"autograd": "detect_anomaly set_detect_anomaly"},
    "autograd.graph": {"autograd.saved_tensors": "saved_tensors_hooks save_on_cpu disable_saved_tensors_hooks"},
    "amp.autocast_mode": {"amp": "autocast custom_fwd custom_bwd"},
    "amp.grad_scaler": {"amp": "GradScaler"},
    "cuda.amp.autocast_mode": {"cuda.amp": "autocast custom_fwd custom_bwd"},
    "cuda.amp.grad_scaler": {"cuda.amp": "GradScaler"},
    **{f"distributions.{path}": {"distributions": names} for path, names in _DISTRIBUTION_MODULES.items()},
}


def _names(source, names):
    """(name in the module made, object) for each "name" or "defined_name:name" of ``source``."""
    module = importlib.import_module(f"tinynn.{source}")
    for entry in names.split():
        defined, _, name = entry.partition(":")
        yield name or defined, getattr(module, defined)


def _module_at(path):
    """tinynn's module at ``path`` (below tinynn): its own where it has one, else a new one, registered."""
    full_name = f"tinynn.{path}" if path else "tinynn"
    if full_name in sys.modules:
        return sys.modules[full_name]
    parent_name, _, child = full_name.rpartition(".")
    parent = _module_at(parent_name.partition(".")[2])
    own = getattr(parent, child, None)
    if isinstance(own, types.ModuleType):
        return own
    if getattr(parent, "__path__", None) is not None and importlib.util.find_spec(full_name) is not None:
        return importlib.import_module(full_name)
    module = types.ModuleType(full_name, f"PyTorch's torch.{path}: its names, as tinynn defines them (see "
                                         "tinynn/torch_paths.py).")
    module.__all__ = []
    sys.modules[full_name] = module
    if not hasattr(parent, child):  # (as in PyTorch, nn.parallel.data_parallel stays the function of that name)
        setattr(parent, child, module)
    return module


def install():
    for path, sources in PATHS.items():
        module = _module_at(path)
        for source, names in sources.items():
            for name, value in _names(source, names):
                if not hasattr(module, name):
                    setattr(module, name, value)
                    if hasattr(module, "__all__") and not name.startswith("_"):
                        module.__all__.append(name)


install()
