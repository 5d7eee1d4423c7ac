"""nn's classes as PyTorch's: which layer is a subclass of which (``isinstance`` answers, the private
bases code subclasses or tests for: ``_Loss``, ``_BatchNorm``, ``_ConvNd``...), and the settings a layer
keeps as attributes, with PyTorch's names and values."""
import inspect
import warnings

import numpy as np
import pytest

import tinynn
from tinynn.nn.modules import batchnorm, conv, layers, lazy, loss, padding

# the arguments to build each layer that needs some (the rest build with none)
ARGUMENTS = {
    "Linear": (3, 4), "Bilinear": (3, 4, 5), "Conv1d": (2, 4, 3), "Conv2d": (2, 4, 3), "Conv3d": (2, 4, 3),
    "ConvTranspose1d": (2, 4, 3), "ConvTranspose2d": (2, 4, 3), "ConvTranspose3d": (2, 4, 3),
    "LazyLinear": (4,), "LazyConv1d": (4, 3), "LazyConv2d": (4, 3), "LazyConv3d": (4, 3),
    "LazyConvTranspose1d": (4, 3), "LazyConvTranspose2d": (4, 3), "LazyConvTranspose3d": (4, 3),
    "BatchNorm1d": (3,), "BatchNorm2d": (3,), "BatchNorm3d": (3,), "InstanceNorm1d": (3,), "InstanceNorm2d": (3,),
    "InstanceNorm3d": (3,), "SyncBatchNorm": (3,), "LayerNorm": (3,), "GroupNorm": (1, 3), "RMSNorm": (3,),
    "LocalResponseNorm": (2,), "CrossMapLRN2d": (2,), "Embedding": (5, 3), "EmbeddingBag": (5, 3),
    "RNN": (3, 4), "LSTM": (3, 4), "GRU": (3, 4), "RNNCell": (3, 4), "LSTMCell": (3, 4), "GRUCell": (3, 4),
    "MultiheadAttention": (4, 2), "TransformerEncoderLayer": (4, 2), "TransformerDecoderLayer": (4, 2),
    "Transformer": (4, 2, 1, 1, 8), "MaxPool1d": (2,), "MaxPool2d": (2,), "MaxPool3d": (2,), "AvgPool1d": (2,),
    "AvgPool2d": (2,), "AvgPool3d": (2,), "MaxUnpool1d": (2,), "MaxUnpool2d": (2,), "MaxUnpool3d": (2,),
    "LPPool1d": (2, 2), "LPPool2d": (2, 2), "LPPool3d": (2, 2), "AdaptiveAvgPool1d": (2,), "AdaptiveAvgPool2d": (2,),
    "AdaptiveAvgPool3d": (2,), "AdaptiveMaxPool1d": (2,), "AdaptiveMaxPool2d": (2,), "AdaptiveMaxPool3d": (2,),
    "FractionalMaxPool2d": (2, 3), "FractionalMaxPool3d": (2, 3), "ConstantPad1d": (1, 0.5), "ConstantPad2d": (1, 0.5),
    "ConstantPad3d": (1, 0.5), "ZeroPad1d": (1,), "ZeroPad2d": (1,), "ZeroPad3d": (1,), "ReflectionPad1d": (1,),
    "ReflectionPad2d": (1,), "ReflectionPad3d": (1,), "ReplicationPad1d": (1,), "ReplicationPad2d": (1,),
    "ReplicationPad3d": (1,), "CircularPad1d": (1,), "CircularPad2d": (1,), "CircularPad3d": (1,),
    "PixelShuffle": (2,), "PixelUnshuffle": (2,), "ChannelShuffle": (2,), "Threshold": (0.1, 0.0),
    "Unflatten": (1, (2, 2)), "Fold": ((4, 4), 2), "Unfold": (2,), "AdaptiveLogSoftmaxWithLoss": (8, 10, [4]),
    "LinearCrossEntropyLoss": (4, 5), "Upsample": (None, 2), "UpsamplingNearest2d": (None, 2),
    "UpsamplingBilinear2d": (None, 2), "TransformerEncoder": None, "TransformerDecoder": None, "DataParallel": None,
    "RNNBase": None, "RNNCellBase": None, "Module": None,
}
# attributes of PyTorch's that are its implementation's, not a setting
PYTORCH_INTERNALS = {"training", "activation_relu_or_gelu"}


def _torch_layer_classes(torch):
    return {name: cls for name, cls in vars(torch.nn).items()
            if inspect.isclass(cls) and issubclass(cls, torch.nn.Module) and hasattr(tinynn.nn, name)}


def test_every_layer_is_a_subclass_of_the_layers_pytorchs_is(torch):
    """isinstance(m, nn.X) answers as in PyTorch for every pair of nn's classes: ReLU6 is a Hardtanh,
    LazyLinear a Linear, ZeroPad2d a ConstantPad2d; Dropout2d is no Dropout, L1Loss no MSELoss,
    CrossEntropyLoss no NLLLoss, EmbeddingBag no Embedding, CELU no ELU (they were, in tinynn)."""
    classes = _torch_layer_classes(torch)
    assert len(classes) > 150
    differences = {}
    for name, torch_class in classes.items():
        def bases(library, cls):
            return {other for other in classes if other != name and issubclass(cls, getattr(library.nn, other))}
        theirs, ours = bases(torch, torch_class), bases(tinynn, getattr(tinynn.nn, name))
        if theirs != ours:
            differences[name] = (sorted(theirs), sorted(ours))
    assert not differences


PRIVATE_BASES = {  # (tinynn's module, PyTorch's module path below torch.nn.modules): the bases code tests for
    (loss, "loss"): ("_Loss", "_WeightedLoss"),
    (batchnorm, "batchnorm"): ("_NormBase", "_BatchNorm"),
    (batchnorm, "instancenorm"): ("_InstanceNorm",),
    (conv, "conv"): ("_ConvNd", "_ConvTransposeNd"),
    (layers, "dropout"): ("_DropoutNd",),
    (layers, "pooling"): ("_MaxPoolNd", "_AvgPoolNd", "_AdaptiveAvgPoolNd", "_AdaptiveMaxPoolNd", "_LPPoolNd",
                          "_MaxUnpoolNd"),
    (padding, "padding"): ("_ConstantPadNd", "_ReflectionPadNd", "_ReplicationPadNd", "_CircularPadNd"),
    (lazy, "lazy"): ("LazyModuleMixin",),
}


@pytest.mark.parametrize("module, path", list(PRIVATE_BASES), ids=[path for _, path in PRIVATE_BASES])
def test_the_private_bases_have_the_subclasses_pytorchs_have(torch, module, path):
    """``isinstance(m, _BatchNorm)`` (SWA's update_bn, weight-init loops), ``_Loss`` (custom losses)...:
    each of PyTorch's private bases has the same public layers below it in tinynn."""
    torch_module = __import__(f"torch.nn.modules.{path}", fromlist=["_"])
    classes = _torch_layer_classes(torch)
    for base in PRIVATE_BASES[module, path]:
        theirs = {name for name, cls in classes.items() if issubclass(cls, getattr(torch_module, base))}
        ours = {name for name in classes if issubclass(getattr(tinynn.nn, name), getattr(module, base))}
        assert theirs and ours == theirs, base


def _settings(layer):
    return {name: value for name, value in vars(layer).items()
            if not name.startswith("_") and name not in PYTORCH_INTERNALS}


def test_every_layer_keeps_pytorchs_settings_as_attributes(torch):
    """What PyTorch's layer keeps as an attribute (``loss.margin``, ``conv.transposed``,
    ``pool.ceil_mode``, ``lazy.out_features`` before the first input, ``PairwiseDistance.norm``), tinynn's
    has, by the same name; the plain values (numbers, strings, tuples) are equal."""
    built = 0
    for name, torch_class in _torch_layer_classes(torch).items():
        if name in ARGUMENTS and ARGUMENTS[name] is None:
            continue
        arguments = ARGUMENTS.get(name, ())
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            theirs, ours = torch_class(*arguments), getattr(tinynn.nn, name)(*arguments)
        built += 1
        for attribute, value in _settings(theirs).items():
            assert hasattr(ours, attribute), f"{name}.{attribute}"
            if isinstance(value, (bool, int, float, str, tuple, type(None))) and not isinstance(value, torch.Size):
                assert getattr(ours, attribute) == value, f"{name}.{attribute}"
    assert built > 140


PRINTED_AS_WELL = [  # (layer, arguments): more settings whose printing differed
    ("Upsample", ()), ("Upsample", ((4, 4),)), ("UpsamplingNearest2d", ((4, 4),)),
    ("TripletMarginWithDistanceLoss", ()), ("AdaptiveLogSoftmaxWithLoss", (4, 10, [3, 6])),
    ("Linear", (4, 0)), ("Linear", (0, 4)),
]


def test_every_layer_prints_as_pytorchs(torch):
    """print(model) shows the same lines in either library: the settings, the children (attention's
    output projection a NonDynamicallyQuantizableLinear, a distance loss's default PairwiseDistance
    module), a layer of zero outputs where PyTorch's makes one (a small adaptive softmax's last cluster)."""
    layers_built = [(name, ARGUMENTS.get(name, ())) for name in _torch_layer_classes(torch)
                    if not (name in ARGUMENTS and ARGUMENTS[name] is None)] + PRINTED_AS_WELL
    differences = {}
    for name, arguments in layers_built:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            theirs, ours = repr(getattr(torch.nn, name)(*arguments)), repr(getattr(tinynn.nn, name)(*arguments))
        if theirs != ours:
            differences[name, arguments] = (theirs, ours)
    assert not differences
    assert len(layers_built) > 150


@pytest.mark.parametrize("name, arguments, attribute, changed", [
    ("MarginRankingLoss", (0.5,), "margin", 2.0),
    ("HingeEmbeddingLoss", (), "margin", 0.2),
    ("TripletMarginLoss", (), "p", 1.0),
    ("MultiMarginLoss", (1, 0.5), "margin", 1.5),
    ("PoissonNLLLoss", (), "log_input", False),
])
def test_a_losss_option_set_after_construction_takes_effect(torch, name, arguments, attribute, changed):
    """The options are attributes read at each call, as PyTorch's (they were kept aside in a dict)."""
    rng = np.random.default_rng(3)
    inputs = {"MarginRankingLoss": [(4,), (4,), "signs"], "HingeEmbeddingLoss": [(4, 3), "signs"],
              "TripletMarginLoss": [(4, 3), (4, 3), (4, 3)], "MultiMarginLoss": [(4, 5), "classes"],
              "PoissonNLLLoss": [(4, 3), "counts"]}[name]
    shapes = [shape for shape in inputs if isinstance(shape, tuple)]
    values = [rng.uniform(0.2, 1.5, shape) for shape in shapes]
    target = {"signs": np.sign(rng.uniform(-1, 1, shapes[0])), "classes": rng.integers(0, 5, 4),
              "counts": rng.poisson(2.0, shapes[0]).astype(float)}.get(inputs[-1])
    results = []
    for library in (tinynn, torch):
        layer = getattr(library.nn, name)(*arguments)
        setattr(layer, attribute, changed)
        fresh = getattr(library.nn, name)(*arguments)
        args = [library.tensor(v) for v in values] + ([] if target is None else [library.tensor(target)])
        results.append((float(layer(*args)), float(fresh(*args))))
    assert results[0][0] != results[0][1]  # the change took effect
    np.testing.assert_allclose(results[0], results[1], rtol=1e-12)


def test_update_bn_recomputes_the_batch_norms_statistics_and_only_theirs(torch):
    """swa_utils.update_bn resets the batch norms' running statistics and averages them over the data; an
    InstanceNorm that tracks statistics is not a _BatchNorm (it was, in tinynn), so, as in PyTorch, it
    keeps its own and its momentum, updated as the data passes."""
    torch.manual_seed(0)
    theirs = torch.nn.Sequential(torch.nn.Conv2d(2, 3, 1), torch.nn.InstanceNorm2d(3, track_running_stats=True),
                                 torch.nn.BatchNorm2d(3)).double()
    ours = tinynn.nn.Sequential(tinynn.nn.Conv2d(2, 3, 1), tinynn.nn.InstanceNorm2d(3, track_running_stats=True),
                                tinynn.nn.BatchNorm2d(3)).double()
    ours.load_state_dict({key: tinynn.tensor(value.numpy()) for key, value in theirs.state_dict().items()})
    for model in (theirs, ours):
        model[1].running_mean.data[...] = 7.0
    batches = [np.random.default_rng(k).standard_normal((4, 2, 5, 5)) for k in range(2)]
    torch.optim.swa_utils.update_bn([torch.tensor(b) for b in batches], theirs)
    tinynn.optim.swa_utils.update_bn([tinynn.tensor(b) for b in batches], ours)
    for index in (1, 2):
        for name in ("running_mean", "running_var"):
            np.testing.assert_allclose(getattr(ours[index], name).numpy(), getattr(theirs[index], name).numpy(),
                                       rtol=1e-12, atol=1e-12)  # (means of normalised values: ~1e-17)
    assert ours[1].momentum == theirs[1].momentum == 0.1 and ours[2].momentum == theirs[2].momentum == 0.1


def test_a_lazy_layer_is_the_ordinary_layer_with_size_0_until_its_first_input():
    layer = tinynn.nn.LazyConv2d(4, 3, groups=2)
    assert isinstance(layer, tinynn.nn.Conv2d) and isinstance(layer, tinynn.nn.modules.lazy.LazyModuleMixin)
    assert (layer.in_channels, layer.out_channels, layer.kernel_size, layer.groups) == (0, 4, (3, 3), 2)
    assert repr(layer) == "LazyConv2d(0, 4, kernel_size=(3, 3), stride=(1, 1), groups=2)"
    layer.reset_parameters()  # nothing to initialise yet, as PyTorch's
    assert layer.has_uninitialized_params()
    layer(tinynn.randn(1, 6, 5, 5))
    assert type(layer) is tinynn.nn.Conv2d and layer.in_channels == 6 and layer.weight.shape == (4, 3, 3, 3)
    assert not hasattr(layer, "_arguments")
    norm = tinynn.nn.LazyBatchNorm1d(affine=False, track_running_stats=False)
    assert not norm.has_uninitialized_params()  # nothing to size; the first input still makes it a BatchNorm1d
    norm(tinynn.randn(4, 3))
    assert type(norm) is tinynn.nn.BatchNorm1d and norm.num_features == 3
