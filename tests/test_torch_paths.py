"""PyTorch's module paths under tinynn (tinynn/torch_paths.py): what PyTorch code imports from the module
that defines it (``from torch.nn.modules.loss import _Loss``, ``from torch.utils.data.sampler import
Sampler``, ``import torch.backends.cudnn as cudnn``) imports from tinynn's module of the same path, and
is the same object tinynn's package has; and the helpers of those modules (``_pair``,
``consume_prefix_in_state_dict_if_present``, ``once_differentiable``, the type aliases) do what PyTorch's do."""
import importlib
import subprocess
import sys
import typing

import numpy as np
import pytest

import tinynn
from tinynn import torch_paths

# PyTorch's modules below torch whose names code imports, with the tinynn package holding those names
PACKAGES = {"nn.modules.": "nn", "nn.parallel.": "nn.parallel", "nn.utils.": "nn.utils", "optim.": "optim",
            "utils.data.": "data", "distributions.": "distributions", "amp.": "amp", "cuda.amp.": "cuda.amp",
            "autograd.": "autograd", "utils.hooks": "hooks"}
MIRRORED = sorted(set(torch_paths.PATHS) - {"utils.data._utils"}) + [
    f"nn.modules.{name}" for name in ("loss", "container", "module", "normalization", "padding", "rnn",
                                      "transformer", "lazy", "adaptive")] + [
    f"optim.{name}" for name in ("sgd", "adam", "adagrad", "adadelta", "adamax", "asgd", "lbfgs", "nadam", "radam",
                                 "rmsprop", "rprop", "sparse_adam", "optimizer", "swa_utils")] + [
    f"autograd.{name}" for name in ("function", "variable", "grad_mode", "gradcheck")] + [
    f"nn.utils.{name}" for name in ("rnn", "clip_grad", "parametrize", "parametrizations", "prune", "stateless",
                                    "fusion", "convert_parameters", "weight_norm", "spectral_norm")]


def _public_names(module):
    """PyTorch's names of ``module``: its __all__, or the public names it defines."""
    if hasattr(module, "__all__"):
        return list(module.__all__)
    return [name for name, value in vars(module).items()
            if not name.startswith("_") and getattr(value, "__module__", None) == module.__name__]


@pytest.mark.parametrize("path", MIRRORED)
def test_each_name_pytorchs_module_has_imports_from_tinynns_module_of_that_path(torch, path):
    theirs = importlib.import_module(f"torch.{path}")
    ours = importlib.import_module(f"tinynn.{path}")
    package_path = next(p for prefix, p in PACKAGES.items() if path.startswith(prefix))
    package = importlib.import_module(f"tinynn.{package_path}")
    torch_package = importlib.import_module(f"torch.{dict(data='utils.data', hooks='utils.hooks').get(package_path, package_path)}")
    def has(module, name):  # (a submodule of the same name, as tinynn.optim.sgd beside torch's function sgd, is not it)
        return hasattr(module, name) and not isinstance(getattr(module, name), type(sys))

    names = [name for name in _public_names(theirs) if has(package, name) or has(ours, name)]
    assert names, path  # (every module listed has names tinynn has)
    for name in names:
        assert hasattr(ours, name), f"tinynn.{path}.{name}"
        if has(package, name) and getattr(theirs, name) is getattr(torch_package, name, None):
            assert getattr(ours, name) is getattr(package, name), f"tinynn.{path}.{name}"


PRIVATE = {  # PyTorch's private names that code written for it imports from these paths
    "nn.modules.loss": "_Loss _WeightedLoss", "nn.modules.batchnorm": "_NormBase _BatchNorm _LazyNormBase",
    "nn.modules.instancenorm": "_InstanceNorm", "nn.modules.conv": "_ConvNd _ConvTransposeNd _LazyConvXdMixin",
    "nn.modules.dropout": "_DropoutNd",
    "nn.modules.pooling": "_MaxPoolNd _AvgPoolNd _AdaptiveAvgPoolNd _AdaptiveMaxPoolNd _LPPoolNd _MaxUnpoolNd",
    "nn.modules.padding": "_ConstantPadNd _ReflectionPadNd _ReplicationPadNd _CircularPadNd",
    "nn.modules.utils": "_single _pair _triple _quadruple _ntuple _reverse_repeat_tuple",
    "optim.lr_scheduler": "_LRScheduler", "utils.data._utils.collate": "default_collate default_convert",
    "nn.common_types": "_size_1_t _size_2_t _size_3_t _size_any_t _ratio_2_t _size_2_opt_t _maybe_indices_t",
    "autograd.function": "once_differentiable FunctionCtx",
}


@pytest.mark.parametrize("path", sorted(PRIVATE))
def test_the_private_names_code_imports_are_there(torch, path):
    theirs = importlib.import_module(f"torch.{path}")
    ours = importlib.import_module(f"tinynn.{path}")
    for name in PRIVATE[path].split():
        assert hasattr(theirs, name), f"torch.{path}.{name}"  # (the list is PyTorch's)
        assert hasattr(ours, name), f"tinynn.{path}.{name}"


def test_a_custom_loss_and_scheduler_written_against_the_private_bases_work():
    from tinynn.nn.modules.loss import _Loss
    from tinynn.optim.lr_scheduler import _LRScheduler

    class Absolute(_Loss):
        def forward(self, input, target):
            loss = (input - target).abs()
            return loss.mean() if self.reduction == "mean" else loss.sum()

    with pytest.warns(UserWarning, match="size_average and reduce are deprecated"):
        summed = Absolute(size_average=False)
    assert summed.reduction == "sum" and Absolute().reduction == "mean"
    assert float(summed(tinynn.tensor([1.0, -2.0]), tinynn.zeros(2))) == 3.0

    class Halving(_LRScheduler):
        def get_lr(self):
            return [group["lr"] * 0.5 for group in self.optimizer.param_groups]

    optimizer = tinynn.optim.SGD([tinynn.nn.Parameter(tinynn.zeros(1))], lr=1.0)
    scheduler = Halving(optimizer)
    assert optimizer.param_groups[0]["lr"] == 0.5  # (the first get_lr runs at construction, as in PyTorch)
    optimizer.step()
    scheduler.step()
    assert optimizer.param_groups[0]["lr"] == 0.25 and isinstance(scheduler, tinynn.optim.lr_scheduler.LRScheduler)


def test_modules_made_for_a_path_import_in_every_form():
    """``import a.b.c as m``, ``from a.b.c import X``, ``importlib.import_module`` and attribute access all
    find the same module, in a fresh interpreter (nothing imported before but tinynn itself)."""
    script = """
import tinynn
import tinynn.nn.modules.activation as activation
import tinynn.utils.data.sampler
from tinynn.distributions.beta import Beta
from tinynn.amp.grad_scaler import GradScaler
import importlib
assert activation is tinynn.nn.modules.activation is importlib.import_module("tinynn.nn.modules.activation")
assert activation.ReLU is tinynn.nn.ReLU and "ReLU" in activation.__all__
assert tinynn.utils.data.sampler.Sampler is tinynn.data.Sampler
assert Beta is tinynn.distributions.Beta and GradScaler is tinynn.amp.GradScaler
import tinynn.nn.parallel.data_parallel
from tinynn.nn.parallel.data_parallel import DataParallel
assert callable(tinynn.nn.parallel.data_parallel) and DataParallel is tinynn.nn.DataParallel  # (the function, as PyTorch's)
print("ok")
"""
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert result.stdout.strip() == "ok", result.stderr


def test_backends_switches_are_modules_scripts_import(torch):
    """``import torch.backends.cudnn as cudnn; cudnn.benchmark = True`` ported as is."""
    import tinynn.backends.cudnn as cudnn

    before = cudnn.benchmark
    try:
        cudnn.benchmark = True
        assert tinynn.backends.cudnn.benchmark is True
    finally:
        cudnn.benchmark = before
    for name in ("cudnn", "cuda", "mkldnn", "mkl", "openmp", "mps"):
        ours = importlib.import_module(f"tinynn.backends.{name}")
        assert ours is getattr(tinynn.backends, name)
        assert hasattr(importlib.import_module(f"torch.backends.{name}"), "is_available") == hasattr(ours, "is_available")
    assert not tinynn.backends.mkl.is_available() and not tinynn.backends.openmp.is_available()


def test_ntuple_helpers_equal_pytorchs(torch):
    from torch.nn.modules import utils as theirs

    from tinynn.nn.modules import utils as ours
    for name in ("_single", "_pair", "_triple", "_quadruple"):
        for value in (3, (1, 2), [4, 5, 6], "ab"):
            assert getattr(ours, name)(value) == getattr(theirs, name)(value)
    assert ours._ntuple(5)(2) == theirs._ntuple(5)(2) and ours._pair.__name__ == "_pair"
    assert ours._reverse_repeat_tuple((1, 2, 3), 2) == theirs._reverse_repeat_tuple((1, 2, 3), 2)


def test_a_dataparallel_state_dict_loads_into_the_bare_model_after_consuming_its_prefix(torch):
    from tinynn.nn.modules.utils import consume_prefix_in_state_dict_if_present

    model = tinynn.nn.Sequential(tinynn.nn.Linear(3, 2), tinynn.nn.ReLU(), tinynn.nn.Linear(2, 1))
    state = tinynn.nn.DataParallel(model).state_dict()
    assert all(key.startswith("module.") for key in state)
    keys = list(state) + ["other.weight"]
    state["other.weight"] = tinynn.zeros(1)
    consume_prefix_in_state_dict_if_present(state, "module.")
    reference = {key: torch.zeros(1) for key in keys}
    torch.nn.modules.utils.consume_prefix_in_state_dict_if_present(reference, "module.")
    assert list(state) == list(reference)
    del state["other.weight"]
    fresh = tinynn.nn.Sequential(tinynn.nn.Linear(3, 2), tinynn.nn.ReLU(), tinynn.nn.Linear(2, 1))
    fresh.load_state_dict(state)
    np.testing.assert_array_equal(fresh[2].weight.numpy(), model[2].weight.numpy())


def _shape_of_type(alias):
    """A type alias as a comparable structure: unions as sets (``Optional[int]`` and ``int | None`` alike),
    containers with their arguments, classes by name (tinynn's Tensor for torch's)."""
    import types

    origin, arguments = typing.get_origin(alias), typing.get_args(alias)
    if origin in (typing.Union, types.UnionType):
        return ("union", frozenset(_shape_of_type(argument) for argument in arguments))
    if origin is not None:
        return (origin, tuple(_shape_of_type(argument) for argument in arguments))
    return getattr(alias, "__name__", str(alias))


def test_common_types_are_pytorchs_aliases(torch):
    from torch.nn import common_types as theirs

    from tinynn.nn import common_types as ours
    names = [name for name in dir(theirs) if name.startswith(("_size", "_ratio", "_scalar_or_tuple", "_maybe", "_tensor"))]
    assert len(names) > 15
    for name in names:
        assert _shape_of_type(getattr(ours, name)) == _shape_of_type(getattr(theirs, name)), name


def _cube(library, decorate):
    class Cube(library.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 3

        @staticmethod
        def backward(ctx, grad):
            x, = ctx.saved_tensors
            return grad * 3 * x ** 2

    if decorate:
        Cube.backward = staticmethod(library.autograd.function.once_differentiable(Cube.__dict__["backward"].__func__))
    return Cube


def test_once_differentiable_gives_first_gradients_and_refuses_a_second_as_pytorch(torch):
    for library in (tinynn, torch):
        x = library.tensor([1.0, 2.0], dtype=library.float64, requires_grad=True)
        y = _cube(library, True).apply(x)
        grad, = library.autograd.grad((y * y).sum(), x, create_graph=True)
        np.testing.assert_allclose(grad.detach().numpy(), 6 * np.array([1.0, 2.0]) ** 5)
        assert grad.requires_grad
        with pytest.raises(RuntimeError, match="marked with @once_differentiable"):
            grad.sum().backward()
        undecorated = _cube(library, False).apply(x)
        second, = library.autograd.grad((undecorated * undecorated).sum(), x, create_graph=True)
        second.sum().backward()  # (without the mark the backward's ops are recorded)
        np.testing.assert_allclose(x.grad.numpy(), 30 * np.array([1.0, 2.0]) ** 4)
        z = library.tensor([3.0], dtype=library.float64, requires_grad=True)
        _cube(library, True).apply(z).sum().backward()  # plain backward: no mark, no error
        np.testing.assert_allclose(z.grad.numpy(), [27.0])


@pytest.mark.parametrize("path, ours", [("optim", "optim"), ("optim.lr_scheduler", "optim.lr_scheduler"),
                                        ("utils.data", "data"), ("autograd", "autograd"),
                                        ("distributions", "distributions"),
                                        ("distributions.transforms", "distributions.transforms")])
def test_classes_subclass_what_pytorchs_do(torch, path, ours):
    """isinstance answers as PyTorch's among each package's classes: ReduceLROnPlateau, SequentialLR and
    ChainedScheduler are LRSchedulers (Lightning checks it), BatchSampler is a Sampler, MultiplicativeLR no
    LambdaLR, and _LRScheduler a subclass of LRScheduler, not every schedule's base; LogNormal, HalfNormal,
    HalfCauchy, Pareto, Weibull and Gumbel are TransformedDistributions, the Wishart an ExponentialFamily."""
    theirs, mine = importlib.import_module(f"torch.{path}"), importlib.import_module(f"tinynn.{ours}")
    names = [name for name in dir(theirs) if not name.startswith("__") and isinstance(getattr(theirs, name), type)
             and isinstance(getattr(mine, name, None), type)]
    assert len(names) >= 6
    differences = {}
    for name in names:
        bases = [{other for other in names if other != name and issubclass(getattr(module, name), getattr(module, other))}
                 for module in (theirs, mine)]
        if bases[0] != bases[1]:
            differences[name] = [sorted(b) for b in bases]
    assert not differences
