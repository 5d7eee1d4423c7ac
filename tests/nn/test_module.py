"""Module system: registration, traversal, modes, state dicts (PyTorch keys, round trips), repr."""
import itertools

import numpy as np
import pytest

import tinynn
from tinynn import nn
from tinynn.models import MnistTiny
from seed_torch import torch_mnist_tiny


def test_seed_model_has_exactly_17216_trainable_parameters():
    model = MnistTiny()
    assert sum(p.numel() for p in model.parameters() if p.requires_grad) == 17_216


def test_state_dict_keys_are_pytorchs():
    keys = list(MnistTiny().state_dict())
    assert keys[:7] == ["features.0.weight", "features.0.bias", "features.2.weight", "features.2.bias",
                        "features.2.running_mean", "features.2.running_var", "features.2.num_batches_tracked"]
    assert keys[-2:] == ["classifier.weight", "classifier.bias"]


def test_state_dict_round_trip_through_pytorch_gives_identical_outputs(torch, rng):
    ours = MnistTiny()
    x = tinynn.tensor(rng.standard_normal((4, 1, 28, 28)).astype(np.float32))
    ours.train()
    ours(x)  # move the running statistics away from their initial values
    ours.eval()
    expected = ours(x).numpy()

    theirs = torch_mnist_tiny(torch).eval()
    theirs.load_state_dict({k: torch.tensor(v.numpy()) for k, v in ours.state_dict().items()})
    np.testing.assert_allclose(theirs(torch.tensor(x.numpy())).detach().numpy(), expected, rtol=1e-4, atol=1e-5)

    back = MnistTiny().eval()
    back.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    np.testing.assert_array_equal(back(x).numpy(), expected)


def test_load_state_dict_lists_missing_unexpected_and_mismatched_entries():
    model = nn.Sequential(nn.Linear(3, 2), nn.BatchNorm1d(2))
    state = model.state_dict()
    del state["0.bias"]
    state["extra.weight"] = np.zeros(1)
    state["0.weight"] = np.zeros((5, 5))
    before = model[0].weight.numpy().copy()
    with pytest.raises(nn.StateDictError) as info:
        model.load_state_dict(state)
    message = str(info.value)
    assert "missing keys: 0.bias" in message and "unexpected keys: extra.weight" in message
    # in PyTorch's words, which scripts look for
    assert ("size mismatch for 0.weight: copying a param with shape (5, 5) from checkpoint, the shape in current model "
            "is (2, 3)") in message
    assert isinstance(info.value, RuntimeError)  # (what PyTorch raises, and scripts catch)
    np.testing.assert_array_equal(model[0].weight.numpy(), before)


@pytest.mark.parametrize("value, described", [
    ("abc", "a str"), (None, "a NoneType"), ({"a": 1}, "a dict"), ([[1.0, 2.0], [1.0]], "a list"),
    (np.array(["a", "b"]), "a ndarray of dtype <U1")])
@pytest.mark.parametrize("key", ["0.bias", "1.num_batches_tracked"])
def test_load_state_dict_names_an_entry_that_holds_no_numbers_and_writes_nothing(torch, key, value, described):
    """Tensors, arrays and lists of numbers load (PyTorch takes only tensors); anything else is named, where
    a string failed inside NumPy's conversion (the 0-d ``num_batches_tracked`` took its shape for a fit)."""
    model = nn.Sequential(nn.Linear(3, 2), nn.BatchNorm1d(2))
    before = {name: array.numpy().copy() for name, array in model.state_dict().items()}
    state = model.state_dict()
    state[key] = value
    with pytest.raises(nn.StateDictError, match=f"'{key}' from the checkpoint is {described}; expected a tensor"):
        model.load_state_dict(state)
    for name, array in model.state_dict().items():
        np.testing.assert_array_equal(array.numpy(), before[name])
    theirs = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.BatchNorm1d(2))
    state = theirs.state_dict()
    state[key] = value
    with pytest.raises(RuntimeError):
        theirs.load_state_dict(state)
    model.load_state_dict({**model.state_dict(), "0.bias": [5.0, 6.0], "1.num_batches_tracked": 3})
    assert model[0].bias.tolist() == [5.0, 6.0] and model[1].num_batches_tracked.item() == 3


def test_non_strict_loading_reports_but_accepts_missing_keys():
    model = nn.Linear(3, 2)
    result = model.load_state_dict({"weight": np.ones((2, 3))}, strict=False)
    assert result.missing_keys == ["bias"] and result.unexpected_keys == []
    np.testing.assert_array_equal(model.weight.numpy(), 1)


def test_parameters_buffers_children_modules_and_modes():
    shared = nn.Linear(2, 2)
    model = nn.Sequential(shared, nn.ReLU(), shared, nn.BatchNorm1d(2))
    assert len(list(model.parameters())) == 4, "a shared layer's parameters are listed once"
    assert [name for name, _ in model.named_buffers()] == ["3.running_mean", "3.running_var",
                                                          "3.num_batches_tracked"]
    assert len(list(model.children())) == 3
    model.eval()
    assert not any(m.training for m in model.modules())
    model.train()
    assert all(m.training for m in model.modules())


def test_train_goes_through_each_child_s_own_train_as_torch_s(torch):
    """A module that overrides train (to keep its batch norms in eval mode while fine-tuning) is obeyed
    when its parent switches mode; a mode that is not a bool is refused ("False" read as a bool is True)."""
    results = []
    for library in (tinynn, torch):
        class FrozenStatistics(library.nn.Module):
            def __init__(self):
                super().__init__()
                self.norm = library.nn.BatchNorm1d(2)

            def train(self, mode=True):
                super().train(mode)
                self.norm.eval()
                return self

        model = library.nn.Sequential(library.nn.Linear(2, 2), FrozenStatistics())
        model.eval()
        model.train()
        results.append([module.training for module in model.modules()])
        with pytest.raises(ValueError, match="training mode is expected to be boolean"):
            model.train("False")
    assert results[0] == results[1] == [True, True, True, False]


def test_zero_grad_and_double():
    model = nn.Linear(3, 1)
    model(tinynn.ones(2, 3)).sum().backward()
    assert model.weight.grad is not None
    model.zero_grad()
    assert model.weight.grad is None
    model.double()
    assert model.weight.dtype == np.float64


def test_repr_is_readable():
    text = repr(nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU()))
    assert text == "Sequential(\n  (0): Conv2d(1, 2, kernel_size=(3, 3), stride=(1, 1))\n  (1): ReLU()\n)"


def test_container_and_extra_repr_layouts_are_pytorchs(torch):
    """Module.__repr__ lays out extra_repr's lines and the children as PyTorch's does, ModuleList folds
    runs of children that print alike ("(0-2): 3 x ..."), the parameter containers list their entries;
    only the names of dtypes and tensor types differ (float32 for torch.float32, tinynn.FloatTensor)."""

    def layouts(library):
        class Noted(library.nn.Module):
            def __init__(self, lines):
                super().__init__()
                self.lines = lines
                if lines == "hello=1":
                    self.lin = library.nn.Linear(1, 1)

            def extra_repr(self):
                return self.lines

        block = [library.nn.Sequential(library.nn.Linear(1, 1), library.nn.ReLU()) for _ in range(3)]
        modules = [library.nn.ModuleList([library.nn.ReLU(), library.nn.ReLU(), library.nn.Linear(1, 2),
                                          library.nn.Linear(1, 2), library.nn.Linear(1, 3)]),
                   library.nn.ModuleList(block), library.nn.ModuleList(), Noted("hello=1"), Noted("a=1\nb=2"),
                   Noted(""), library.nn.ParameterList([library.nn.Parameter(library.ones(2)),
                                                         library.nn.Parameter(library.ones(1, 3))]),
                   library.nn.ParameterDict({"a": library.nn.Parameter(library.ones(2)),
                                             "b": library.nn.Parameter(library.ones(2, 2, dtype=library.float64))}),
                   library.nn.LSTM(2, 3, num_layers=2)]
        return [repr(module).replace("torch.float", "float").replace("torch.", "tinynn.") for module in modules]

    for ours, theirs in zip(layouts(tinynn), layouts(torch)):
        assert ours == theirs
    assert "(0-1): 2 x ReLU()" in repr(nn.ModuleList([nn.ReLU(), nn.ReLU()]))


def test_module_list_and_custom_module_registration():
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)])
            self.register_buffer("scale", tinynn.tensor([2.0]))

        def forward(self, x):
            for layer in self.layers:
                x = layer(x)
            return x * self.scale

    net = Net()
    assert len(list(net.parameters())) == 6
    assert "scale" in net.state_dict() and "layers.2.bias" in net.state_dict()
    assert net(tinynn.ones(1, 2)).shape == (1, 2)


def test_module_dict_registers_its_modules_by_name(torch):
    heads = nn.ModuleDict({"digit": nn.Linear(4, 10)})
    heads["parity"] = nn.Linear(4, 2)
    assert list(heads) == ["digit", "parity"] and len(heads) == 2 and "parity" in heads
    assert list(heads.state_dict()) == ["digit.weight", "digit.bias", "parity.weight", "parity.bias"]
    reference = torch.nn.ModuleDict({"digit": torch.nn.Linear(4, 10), "parity": torch.nn.Linear(4, 2)})
    assert list(heads.state_dict()) == list(reference.state_dict())
    heads.update([("parity", nn.Linear(4, 3))])  # replaces, keeping the position
    assert heads["parity"].out_features == 3 and list(heads.keys()) == ["digit", "parity"]
    assert isinstance(heads.pop("digit"), nn.Linear) and list(heads) == ["parity"]
    with pytest.raises(KeyError, match="has no module 'colour'"):
        heads["colour"]
    with pytest.raises(TypeError, match="keys must be strings"):
        heads[0] = nn.ReLU()
    with pytest.raises(TypeError, match="must be a Module"):
        heads["bad"] = 3


def test_apply_visits_children_before_parents_as_pytorch(torch):
    def order(model):
        visited = []
        model.apply(lambda module: visited.append(type(module).__name__))
        return visited

    ours = nn.Sequential(nn.Linear(2, 3), nn.Sequential(nn.ReLU(), nn.Linear(3, 1)))
    theirs = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.Sequential(torch.nn.ReLU(), torch.nn.Linear(3, 1)))
    assert order(ours) == order(theirs) == [
        "Linear", "ReLU", "Linear", "Sequential", "Sequential"]

    def init_weights(module):
        if isinstance(module, nn.Linear):
            nn.init.constant_(module.weight, 0.5)

    assert ours.apply(init_weights) is ours
    assert all(np.all(layer.weight.numpy() == 0.5) for layer in ours.modules() if isinstance(layer, nn.Linear))


def test_requires_grad_freezes_a_part_of_a_model():
    model = nn.Sequential(nn.Linear(2, 3), nn.Linear(3, 1))
    assert model[0].requires_grad_(False) is model[0]
    model(tinynn.ones(4, 2)).sum().backward()
    assert model[0].weight.grad is None and model[0].bias.grad is None
    assert model[1].weight.grad is not None
    model.requires_grad_()
    assert all(param.requires_grad for param in model.parameters())


def test_parameter_list_and_dict_register_their_parameters(torch):
    weights = nn.ParameterList([tinynn.zeros(2, 3), nn.Parameter(tinynn.ones(4))])
    weights.append(tinynn.zeros(1))
    assert len(weights) == 3 and isinstance(weights[0], nn.Parameter) and weights[0].requires_grad
    assert list(weights.state_dict()) == ["0", "1", "2"] == list(torch.nn.ParameterList(
        [torch.nn.Parameter(torch.zeros(1)) for _ in range(3)]).state_dict())
    table = nn.ParameterDict({"scale": tinynn.ones(3)})
    table["shift"] = tinynn.zeros(3)
    assert list(table) == ["scale", "shift"] and "shift" in table and len(list(table.parameters())) == 2

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.extra = table

    assert list(Net().state_dict()) == ["extra.scale", "extra.shift"]
    with pytest.raises(TypeError, match="expected a Parameter or a Tensor, got int"):
        weights.append(3)
    with pytest.raises(KeyError, match="has no parameter 'bias'"):
        table["bias"]


def test_unflatten_inverts_flatten(torch):
    x = tinynn.randn(2, 12, 5)
    layer = nn.Unflatten(1, (3, 4))
    assert repr(layer) == repr(torch.nn.Unflatten(1, (3, 4)))
    assert layer(x).shape == (2, 3, 4, 5)
    np.testing.assert_array_equal(nn.Flatten(1, 2)(layer(x)).numpy(), x.numpy())


def test_an_assigned_buffer_is_registered_as_torch_does(torch):
    ours, theirs = nn.Module(), torch.nn.Module()
    ours.stats, theirs.stats = nn.Buffer(tinynn.zeros(3)), torch.nn.Buffer(torch.zeros(3))
    ours.scratch = nn.Buffer(tinynn.ones(2), persistent=False)
    theirs.scratch = torch.nn.Buffer(torch.ones(2), persistent=False)
    assert list(ours.state_dict()) == list(theirs.state_dict()) == ["stats"]
    assert [name for name, _ in ours.named_buffers()] == [name for name, _ in theirs.named_buffers()]
    assert type(ours.stats) is tinynn.Tensor and not list(ours.parameters())



def test_registered_names_are_checked_as_torch_does(torch):
    """A name with a dot (state_dict could not load it back: keys join names with dots), an empty
    name, a non-string or one already taken by another attribute is refused with PyTorch's errors."""
    registrations = {"register_buffer": lambda m, lib: lib.zeros(1), "register_parameter": lambda m, lib: None,
                     "add_module": lambda m, lib: m.nn.ReLU()}
    for (method, value), name in itertools.product(registrations.items(), ["a.b", "", 3, "training", "taken"]):
        errors = []
        for library in (tinynn, torch):
            module = library.nn.Module()
            module.taken = 5
            with pytest.raises((KeyError, TypeError)) as raised:
                getattr(module, method)(name, value(library, library))
            errors.append((type(raised.value), str(raised.value)))
        assert errors[0] == errors[1], (method, name)

def test_assignment_keeps_parameters_registered_as_torch_does(torch):
    layer = nn.Conv1d(3, 4, 3, bias=False)
    layer.bias = nn.Parameter(tinynn.zeros(4))  # a parameter where there was None: registered and used
    assert layer.bias is layer._parameters["bias"] and "bias" in layer.state_dict()
    layer.bias = None  # None keeps the name registered, as a missing parameter
    assert "bias" in layer._parameters and layer.bias is None and "bias" not in layer.state_dict()
    with pytest.raises(TypeError, match="cannot assign a Tensor to the parameter 'weight'"):
        layer.weight = tinynn.zeros(4, 3, 3)  # would silently drop it from the optimizer and the state dict
    with pytest.raises(TypeError):
        torch.nn.Conv1d(3, 4, 3).weight = torch.zeros(4, 3, 3)  # PyTorch refuses it too
    module = nn.Module()
    module.register_buffer("scratch", tinynn.zeros(2), persistent=False)
    module.register_buffer("scratch", tinynn.ones(2))  # registered again, now persistent
    assert list(module.state_dict()) == ["scratch"]


class Counted(nn.Module):
    """A layer that keeps a Python counter in its state dict (get_extra_state / set_extra_state)."""

    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(2, 2)
        self.steps = 0

    def get_extra_state(self):
        return {"steps": self.steps}

    def set_extra_state(self, state):
        self.steps = int(state["steps"])


def test_extra_state_is_saved_and_loaded_where_torch_puts_it(torch, tmp_path):
    model = nn.Sequential(Counted(), nn.ReLU())
    model[0].steps = 7

    class TorchCounted(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.linear = torch.nn.Linear(2, 2)

        def get_extra_state(self):
            return {"steps": 0}

        def set_extra_state(self, state):
            pass

    assert list(model.state_dict()) == list(torch.nn.Sequential(TorchCounted(), torch.nn.ReLU()).state_dict())
    tinynn.save(model.state_dict(), tmp_path / "counted.npz")
    restored = nn.Sequential(Counted(), nn.ReLU())
    assert restored.load_state_dict(tinynn.load(tmp_path / "counted.npz")) == ([], [])
    assert restored[0].steps == 7
    with pytest.raises(tinynn.nn.StateDictError, match="missing keys: 0._extra_state"):
        restored.load_state_dict({key: value for key, value in model.state_dict().items() if key != "0._extra_state"})


def test_set_submodule_type_and_to_a_dtype():
    model = nn.Sequential(nn.Linear(2, 3), nn.Sequential(nn.ReLU(), nn.Linear(3, 1)))
    model.set_submodule("1.0", nn.Tanh())
    assert isinstance(model[1][0], nn.Tanh)
    with pytest.raises(AttributeError, match="has no submodule '7'"):
        model.set_submodule("7.0", nn.Tanh())
    assert model.type(np.float64)[0].weight.dtype == np.float64
    assert model.to(np.float32)[0].weight.dtype == np.float32
    assert model.to(tinynn.zeros(1, dtype=np.float64))[1][1].weight.dtype == np.float64


def test_data_parallel_runs_its_module_and_keeps_torchs_checkpoint_layout(torch, rng):
    theirs = torch.nn.DataParallel(torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.Tanh()))
    ours = nn.DataParallel(nn.Sequential(nn.Linear(3, 2), nn.Tanh()))
    assert list(ours.state_dict()) == list(theirs.state_dict()) == ["module.0.weight", "module.0.bias"]
    ours.load_state_dict({key: tinynn.tensor(value.numpy()) for key, value in theirs.state_dict().items()})
    x = rng.standard_normal((4, 3)).astype(np.float32)
    # float32 sums of products of size ~1 round at ~1e-7 absolute, which near an output of 0 is large relatively
    np.testing.assert_allclose(ours(tinynn.tensor(x)).numpy(), theirs(torch.tensor(x)).detach().numpy(), rtol=1e-6,
                               atol=1e-6)
    assert list(ours.module.state_dict()) == ["0.weight", "0.bias"]
    with pytest.raises(TypeError, match="DataParallel: expected a tinynn.nn.Module to wrap, got function"):
        nn.DataParallel(lambda x: x)
    assert isinstance(nn.LSTM(2, 3), nn.RNNBase) and isinstance(nn.GRUCell(2, 3), nn.RNNCellBase)
    assert isinstance(nn.NLLLoss2d(), nn.NLLLoss)


def test_to_empty_makes_tensors_of_the_same_shapes_on_the_device_without_copying(device):
    model = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3))
    model[0].weight.grad = tinynn.ones(3, 2)
    shapes = {name: (tuple(t.shape), t.dtype) for name, t in model.state_dict().items()}
    weight = model[0].weight
    assert model.to_empty(device=device) is model
    assert model[0].weight is weight and weight.grad is None  # the same Parameter objects, for optimizers
    assert {name: (tuple(t.shape), t.dtype) for name, t in model.state_dict().items()} == shapes
    assert {t.device for t in model.state_dict().values()} == {device}
    assert all((t.numpy() == 0).all() for t in model.state_dict().values())
    model.load_state_dict({name: tinynn.ones(*shape, dtype=dtype) for name, (shape, dtype) in shapes.items()})
    assert (model[0].weight.numpy() == 1).all() and model[0].weight.device == device
    outer = nn.Sequential(nn.Linear(2, 2))
    outer.register_parameter("scale", nn.Parameter(tinynn.ones(1)))
    outer.to_empty(device=device, recurse=False)
    assert outer.scale.numpy()[0] == 0 and (outer[0].weight.numpy() != 0).any()


def test_nn_parallel_runs_the_module_on_its_one_device(torch):
    from tinynn.nn.parallel import DataParallel, data_parallel

    layer = nn.Linear(2, 3)
    x = tinynn.randn(4, 2)
    np.testing.assert_array_equal(data_parallel(layer, x).detach().numpy(), layer(x).detach().numpy())
    np.testing.assert_array_equal(data_parallel(layer, (x,), module_kwargs={}).detach().numpy(),
                                  layer(x).detach().numpy())
    assert DataParallel is nn.DataParallel and callable(torch.nn.parallel.data_parallel)


def _versioned(library):
    """A module of one's own at its second version (the same source in both libraries): version 1 saved its
    scale as "gain", version 2 as "scale"; its loader reads either, as PyTorch code migrates checkpoints."""
    class Scaled(library.nn.Module):
        _version = 2

        def __init__(self):
            super().__init__()
            self.linear = library.nn.Linear(2, 2)
            self.scale = library.nn.Parameter(library.ones(2))

        def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
                                  error_msgs):
            if local_metadata.get("version", 1) < 2 and prefix + "gain" in state_dict:
                state_dict[prefix + "scale"] = state_dict.pop(prefix + "gain") * 10
            super()._load_from_state_dict(state_dict, prefix, local_metadata, strict, missing_keys,
                                          unexpected_keys, error_msgs)
    return Scaled


def test_state_dicts_carry_each_modules_version_as_pytorchs(torch):
    def model(library):
        return library.nn.Sequential(library.nn.Linear(2, 3), library.nn.BatchNorm1d(3), library.nn.InstanceNorm1d(3),
                                     library.nn.Sequential(_versioned(library)()))
    ours, theirs = model(tinynn).state_dict(), model(torch).state_dict()
    assert list(ours._metadata.items()) == list(theirs._metadata.items())
    assert ours._metadata["1"] == {"version": 2} and ours._metadata["3.0"] == {"version": 2}


def test_a_modules_own_loader_migrates_an_older_version_as_in_pytorch(torch):
    results = []
    for library in (tinynn, torch):
        holder = library.nn.Sequential(_versioned(library)())
        state = holder.state_dict()
        old, renamed = type(state)(), type(state)()
        for key, value in state.items():
            old[key.replace("scale", "gain")] = value.detach() * 0 + 0.5 if key.endswith("scale") else value
            renamed[key.replace("scale", "gain")] = value
        old._metadata, renamed._metadata = type(state._metadata)(state._metadata), state._metadata
        old._metadata["0"] = {"version": 1}
        result = holder.load_state_dict(old)
        results.append((repr(result), holder[0].scale.tolist()))
        with pytest.raises(RuntimeError, match="gain"):  # saved at version 2, a "gain" is read as nothing: unexpected
            holder.load_state_dict(renamed)
    assert results[0] == results[1] == ("<All keys matched successfully>", [5.0, 5.0])


def test_batch_norm_reads_states_from_before_num_batches_tracked_as_pytorch(torch):
    for library in (tinynn, torch):
        norm = library.nn.BatchNorm1d(2)
        norm.num_batches_tracked.fill_(7)
        state = {key: value for key, value in norm.state_dict().items() if key != "num_batches_tracked"}
        assert repr(norm.load_state_dict(state)) == "<All keys matched successfully>"  # no version: the count kept
        assert norm.num_batches_tracked.item() == 7
        versioned = norm.state_dict()
        del versioned["num_batches_tracked"]  # (keeps its _metadata: version 2, which saves the count)
        with pytest.raises(RuntimeError, match="num_batches_tracked"):
            norm.load_state_dict(versioned)


def test_an_instance_norm_refuses_stale_running_statistics_as_pytorch(torch):
    for library in (tinynn, torch):
        state = {"running_mean": library.zeros(2), "running_var": library.ones(2)}
        with pytest.raises(RuntimeError, match="running_mean.* and .*running_var"):
            library.nn.InstanceNorm1d(2).load_state_dict(state)
        # (a batch norm keeping no statistics has no such rule: they are unexpected keys, as any other)
        result = library.nn.BatchNorm1d(2, affine=False, track_running_stats=False).load_state_dict(state, strict=False)
        assert result.unexpected_keys == ["running_mean", "running_var"] and result.missing_keys == []


def test_a_load_pre_hook_sees_its_modules_entries_and_saving_can_be_overridden(torch):
    seen = {}
    for library in (tinynn, torch):
        class Halved(library.nn.Linear):
            def _save_to_state_dict(self, destination, prefix, keep_vars):
                super()._save_to_state_dict(destination, prefix, keep_vars)
                destination[prefix + "weight"] = destination[prefix + "weight"] / 2

        model = library.nn.Sequential(library.nn.Linear(2, 2), Halved(2, 2))
        model[1].register_load_state_dict_pre_hook(
            lambda module, state, prefix, *rest, library=library: seen.setdefault(library.__name__, sorted(state)))
        state = model.state_dict()
        assert library.equal(state["1.weight"] * 2, model[1].weight.detach())
        model.load_state_dict(state)
    assert seen["tinynn"] == seen["torch"] == ["1.bias", "1.weight"]


def test_load_state_dicts_result_prints_as_pytorchs(torch):
    for library in (tinynn, torch):
        layer = library.nn.Linear(2, 2)
        assert repr(layer.load_state_dict(layer.state_dict())) == "<All keys matched successfully>"
        partial = layer.load_state_dict({"weight": layer.weight.detach()}, strict=False)
        assert repr(partial) == "_IncompatibleKeys(missing_keys=['bias'], unexpected_keys=[])"
        holder = library.nn.ModuleList([library.nn.ReLU()])
        assert holder.insert(0, library.nn.Tanh()) is None and type(holder[0]).__name__ == "Tanh"
