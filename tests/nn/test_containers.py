"""Sequential and ModuleList behave as Python lists of modules, as PyTorch's: indexing, slicing,
assignment, deletion with renumbering, insert, pop, extend, + and *; a module shared in two places is
saved under both names; Identity takes any arguments; Module.to refuses integer dtypes; dir() lists
parameters and submodules."""
import numpy as np
import pytest

import tinynn


def layer_names(container):
    return [type(module).__name__ for module in container]


@pytest.mark.parametrize("operation", ["insert", "insert negative", "pop", "pop first", "del", "del slice", "setitem",
                                       "extend", "add", "mul", "rmul", "iadd", "imul", "slice", "negative index"])
def test_sequential_list_operations_equal_pytorchs(torch, operation):
    def apply(module):
        nn = module.nn
        seq = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 3), nn.Tanh())
        result = {
            "insert": lambda: seq.insert(1, nn.ELU()),
            "insert negative": lambda: seq.insert(-1, nn.ELU()),
            "pop": lambda: (seq.pop(-1), seq)[1],
            "pop first": lambda: (seq.pop(0), seq)[1],
            "del": lambda: (seq.__delitem__(1), seq)[1],
            "del slice": lambda: (seq.__delitem__(slice(0, 2)), seq)[1],
            "setitem": lambda: (seq.__setitem__(-1, nn.Sigmoid()), seq)[1],
            "extend": lambda: seq.extend([nn.ELU(), nn.ReLU()]),
            "add": lambda: seq + nn.Sequential(nn.ELU()),
            "mul": lambda: nn.Sequential(nn.ReLU(), nn.ELU()) * 2,
            "rmul": lambda: 2 * nn.Sequential(nn.ReLU()),
            "iadd": lambda: (lambda s: (s.__iadd__(nn.Sequential(nn.ELU()))))(seq),
            "imul": lambda: (lambda s: s.__imul__(2))(nn.Sequential(nn.ReLU())),
            "slice": lambda: seq[1:3],
            "negative index": lambda: nn.Sequential(seq[-1]),
        }[operation]()
        return layer_names(result), list(result.state_dict().keys()), list(result._modules.keys())

    assert apply(tinynn) == apply(torch)


def test_module_list_operations_equal_pytorchs(torch):
    def apply(module):
        nn = module.nn
        layers = nn.ModuleList([nn.Linear(1, 1)])
        layers.append(nn.ReLU()).extend([nn.Tanh()])
        layers.insert(0, nn.ELU())
        popped = layers.pop(1)
        layers += [nn.Sigmoid()]
        joined = layers + nn.ModuleList([nn.ReLU()])
        del layers[0]
        return (layer_names(layers), type(popped).__name__, layer_names(joined), type(layers[1:]).__name__,
                list(layers._modules.keys()))

    assert apply(tinynn) == apply(torch)
    with pytest.raises(IndexError, match="index 5 is out of range for 1 modules"):
        tinynn.nn.ModuleList([tinynn.nn.ReLU()])[5]
    with pytest.raises(TypeError, match="expected an nn.Module, got int"):
        tinynn.nn.ModuleList().append(3)


def test_a_shared_module_is_saved_under_each_of_its_names_as_in_pytorch(torch):
    shared, torch_shared = tinynn.nn.Linear(3, 3), torch.nn.Linear(3, 3)
    ours = tinynn.nn.Sequential(shared, tinynn.nn.ReLU(), shared)
    theirs = torch.nn.Sequential(torch_shared, torch.nn.ReLU(), torch_shared)
    assert list(ours.state_dict()) == list(theirs.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    ours.load_state_dict({key: tinynn.tensor(value.numpy()) for key, value in theirs.state_dict().items()})
    np.testing.assert_array_equal(shared.weight.numpy(), torch_shared.weight.detach().numpy())
    assert len(list(ours.parameters())) == 2  # the parameters themselves are not repeated


def test_module_conveniences():
    assert tinynn.nn.Identity(54, unused_argument=0.1)(tinynn.ones(2)).tolist() == [1.0, 1.0]
    linear = tinynn.nn.Linear(2, 2)
    assert {"weight", "bias", "forward", "state_dict"} <= set(dir(linear))
    with pytest.raises(TypeError, match="Module.to only accepts floating-point or complex dtypes"):
        linear.to(tinynn.int32)
    assert linear.to(tinynn.complex64).weight.dtype == np.complex64
    with pytest.raises(RuntimeError, match="missing keys: bias"):  # a RuntimeError, as PyTorch's
        tinynn.nn.Linear(1, 1).load_state_dict({"weight": tinynn.ones(1, 1)})


def test_parameter_dict_and_module_dict_have_pytorchs_dict_methods(torch):
    def used(library):
        nn = library.nn
        params = nn.ParameterDict({"a": nn.Parameter(library.ones(1)), "b": nn.Parameter(library.zeros(2))})
        added = params.setdefault("c", nn.Parameter(library.ones(3)))
        kept = params.setdefault("a", nn.Parameter(library.zeros(5)))
        name, last = params.popitem()
        copied = params.copy()
        made = params.fromkeys(["x", "y"], nn.Parameter(library.ones(2)))
        seen = (params.get("a").tolist(), params.get("z"), tuple(added.shape), tuple(kept.shape), name, last.tolist(),
                type(copied).__name__, copied["a"] is params["a"], list(copied.keys()), list(made.keys()),
                made["x"] is made["y"])
        params.clear()
        modules = nn.ModuleDict({"r": nn.ReLU(), "l": nn.Linear(1, 1)})
        modules.clear()
        return seen + (len(params), len(list(params.parameters())), len(modules), len(list(modules.parameters())))

    assert used(tinynn) == used(torch)
    with pytest.raises(KeyError, match="ParameterDict is empty"):
        tinynn.nn.ParameterDict().popitem()
