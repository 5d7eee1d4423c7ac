"""PyTorch's checkpoint format without PyTorch (tinynn/torch_format.py): files torch.save wrote load
into tinynn (state dicts into the twin modules, views, dtypes, containers), files tinynn writes load
with torch.load(weights_only=True), and a file that would run code, or read outside its storages, is
refused with a reason."""
import collections
import os
import pickle
import zipfile

import numpy as np
import pytest

import tinynn
from tinynn import nn
from tinynn.serialization import CheckpointError

from helpers import assert_close


def _twins(torch):
    ours = nn.Sequential(nn.Conv2d(1, 4, 3), nn.BatchNorm2d(4), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 6 * 6, 5))
    theirs = torch.nn.Sequential(torch.nn.Conv2d(1, 4, 3), torch.nn.BatchNorm2d(4), torch.nn.ReLU(),
                                 torch.nn.Flatten(), torch.nn.Linear(4 * 6 * 6, 5))
    return ours.eval(), theirs.eval()


def test_a_state_dict_saved_by_torch_loads_into_the_tinynn_twin(torch, tmp_path, device):
    ours, theirs = _twins(torch)
    theirs(torch.randn(3, 1, 8, 8))  # (eval: running statistics stay; made non-trivial below)
    with torch.no_grad():
        theirs[1].running_mean.uniform_(-1, 1), theirs[1].running_var.uniform_(0.5, 2)
    torch.save(theirs.state_dict(), tmp_path / "model.pt")
    state = tinynn.load(tmp_path / "model.pt", map_location=device)
    assert isinstance(state, collections.OrderedDict) and list(state) == list(theirs.state_dict())
    assert state["1.num_batches_tracked"].dtype == np.int64 and state["0.weight"].device == device
    ours.to(device).load_state_dict(state)
    images = np.random.default_rng(0).standard_normal((2, 1, 8, 8)).astype(np.float32)
    assert_close(ours(tinynn.tensor(images, device=device)), theirs(torch.tensor(images)).detach(), rtol=1e-5, atol=1e-6)


def test_every_kind_of_value_torch_saves_comes_back(torch, tmp_path):
    grid = torch.arange(12.0).reshape(3, 4)
    saved = {"transposed": grid.t(), "corner": grid[1:, 2:], "half": torch.tensor([1.5, -2.0], dtype=torch.float16),
             "bfloat16": torch.tensor([1.5, -3.25], dtype=torch.bfloat16), "mask": torch.tensor([True, False]),
             "ints": torch.tensor([[3, -4]], dtype=torch.int32), "double": torch.tensor(2.5, dtype=torch.float64),
             "parameter": torch.nn.Parameter(torch.ones(2)), "empty": torch.zeros(0, 3), "dtype": torch.float64,
             "shape": grid.shape, "plain": [1, 2.5, "text", None, True, (1, (2, 3)), {"nested": -7}], 7: 2 ** 40,
             "numpy": np.arange(4.0).reshape(2, 2), "numpy scalar": np.float32(2.5)}
    torch.save(saved, tmp_path / "misc.pt")
    loaded = tinynn.load(tmp_path / "misc.pt")
    for key in ("transposed", "corner", "half", "mask", "ints", "double", "empty"):
        assert loaded[key].dtype == np.dtype(str(saved[key].dtype).replace("torch.", "")), key
        np.testing.assert_array_equal(loaded[key].numpy(), saved[key].numpy(), err_msg=key)
    assert loaded["bfloat16"].dtype == np.float32 and loaded["bfloat16"].tolist() == [1.5, -3.25]
    assert isinstance(loaded["parameter"], nn.Parameter) and loaded["parameter"].requires_grad
    assert loaded["dtype"] == np.float64 and loaded["shape"] == (3, 4) and loaded[7] == 2 ** 40
    assert loaded["plain"] == [1, 2.5, "text", None, True, (1, (2, 3)), {"nested": -7}]
    assert isinstance(loaded["numpy"], np.ndarray) and loaded["numpy"].tolist() == [[0.0, 1.0], [2.0, 3.0]]
    assert loaded["numpy scalar"] == np.float32(2.5) and loaded["numpy scalar"].dtype == np.float32


def test_files_tinynn_writes_load_in_torch_with_weights_only(torch, tmp_path):
    ours, theirs = _twins(torch)
    ours[1].running_mean.data[...] = np.linspace(-1, 1, 4)
    tinynn.save(ours.state_dict(), tmp_path / "ours.pth")  # the suffix picks PyTorch's format
    state = torch.load(tmp_path / "ours.pth", weights_only=True)
    assert list(state) == list(ours.state_dict()) and state["1.num_batches_tracked"].dtype == torch.int64
    theirs.load_state_dict(state)
    images = np.random.default_rng(1).standard_normal((2, 1, 8, 8)).astype(np.float32)
    assert_close(ours(tinynn.tensor(images)), theirs(torch.tensor(images)).detach(), rtol=1e-5, atol=1e-6)
    values = {"transposed": tinynn.tensor(np.arange(6).reshape(2, 3)).t(), "flags": tinynn.tensor([True, False]),
              "list": [1, -2.5, "z", None, False, -(2 ** 40), (3,)], "ordered": collections.OrderedDict(a=1),
              "array": np.arange(3, dtype=np.float16), "scalar": tinynn.tensor(4.0, dtype=np.float64)}
    tinynn.save(values, tmp_path / "values.pt")
    back = torch.load(tmp_path / "values.pt", weights_only=True)
    assert back["transposed"].tolist() == [[0, 3], [1, 4], [2, 5]] and back["flags"].tolist() == [True, False]
    assert back["list"] == [1, -2.5, "z", None, False, -(2 ** 40), (3,)] and back["ordered"] == {"a": 1}
    assert back["array"].dtype == torch.float16 and back["scalar"].dtype == torch.float64 and back["scalar"].ndim == 0


def test_the_torch_format_round_trips_without_torch(tmp_path, device):
    state = {"weight": tinynn.randn(3, 4, device=device), "steps": 12, "names": ["a", "b"]}
    tinynn.save(state, tmp_path / "checkpoint.pt")
    with zipfile.ZipFile(tmp_path / "checkpoint.pt") as archive:
        assert "checkpoint/data.pkl" in archive.namelist() and archive.read("checkpoint/version") == b"3\n"
    loaded = tinynn.load(tmp_path / "checkpoint.pt")
    np.testing.assert_array_equal(loaded["weight"].numpy(), state["weight"].numpy())
    assert loaded["steps"] == 12 and loaded["names"] == ["a", "b"] and loaded["weight"].device == "cpu"
    tinynn.save(state, tmp_path / "checkpoint.npz.pt", format="tinynn")  # an explicit format wins over the suffix
    assert not zipfile.ZipFile(tmp_path / "checkpoint.npz.pt").namelist()[0].endswith("data.pkl")
    assert tinynn.load(tmp_path / "checkpoint.npz.pt")["steps"] == 12
    with pytest.raises(ValueError, match="save: format must be 'tinynn' or 'torch', got 'onnx'"):
        tinynn.save(state, tmp_path / "x.pt", format="onnx")


def test_a_failed_write_leaves_the_previous_file_whole(tmp_path):
    path = tmp_path / "model.pt"
    tinynn.save({"weight": tinynn.ones(2)}, path)
    with pytest.raises(TypeError, match="save: cannot pickle dict .*lambda.* save its state_dict"):
        tinynn.save({"weight": tinynn.zeros(2), "bad": lambda: 0}, path)
    assert tinynn.load(path)["weight"].tolist() == [1.0, 1.0] and os.listdir(tmp_path) == ["model.pt"]


class _Head(nn.Module):
    """A module of one's own (pickled by its module and name, as PyTorch pickles one)."""

    def __init__(self, embedding):
        super().__init__()
        self.embedding, self.bias = embedding, nn.Parameter(tinynn.zeros(5))

    def forward(self, tokens):
        return self.embedding(tokens) @ self.embedding.weight.T + self.bias


def test_a_whole_model_and_optimizer_saved_as_torch_save_does_come_back_whole(tmp_path, device):
    """torch.save(model, path) / torch.load(path, weights_only=False): the objects themselves, their weights on
    the CPU in the file, tied weights still tied, the optimizer's state keyed by the loaded parameters."""
    model = _Head(nn.Embedding(5, 3)).to(device)
    optimizer = tinynn.optim.Adam(model.parameters(), lr=0.1)
    tokens = tinynn.tensor([[0, 3, 4]], device=device)
    model(tokens).sum().backward()
    optimizer.step()
    tinynn.save({"model": model, "optimizer": optimizer, "epoch": 2}, tmp_path / "run.pt")
    with pytest.raises(CheckpointError, match=r"names test_torch_format\._Head, which tinynn does not load.*"
                                              r"weights_only=False"):
        tinynn.load(tmp_path / "run.pt")
    loaded = tinynn.load(tmp_path / "run.pt", weights_only=False, map_location=device)
    again, resumed = loaded["model"], loaded["optimizer"]
    assert type(again) is _Head and loaded["epoch"] == 2 and again.bias.device == device
    assert isinstance(again.bias, nn.Parameter) and again.bias.requires_grad and again.bias.grad is None
    np.testing.assert_array_equal(again(tokens).numpy(), model(tokens).numpy())
    weights = list(again.parameters())
    assert resumed.param_groups[0]["params"] == weights and list(resumed.state) == weights  # (by identity)
    np.testing.assert_array_equal(resumed.state[again.embedding.weight]["exp_avg"].numpy(),
                                  optimizer.state[model.embedding.weight]["exp_avg"].numpy())
    for run, chosen in ((model, optimizer), (again, resumed)):
        chosen.zero_grad()
        run(tokens).sum().backward()
        chosen.step()
    np.testing.assert_array_equal(again.embedding.weight.numpy(), model.embedding.weight.numpy())


def test_a_tied_weight_saved_twice_is_one_tensor_again():
    import io

    embedding = nn.Embedding(4, 2)
    head = nn.Linear(2, 4, bias=False)
    head.weight = embedding.weight
    buffer = io.BytesIO()
    tinynn.save({"embedding": embedding, "head": head}, buffer, format="torch")
    loaded = tinynn.load(io.BytesIO(buffer.getvalue()), weights_only=False)
    assert loaded["head"].weight is loaded["embedding"].weight
    with zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as archive:
        assert len([name for name in archive.namelist() if "/data/" in name]) == 1  # one storage


def test_tensors_torch_saved_sharing_memory_load_sharing_it(torch, tmp_path):
    """A tensor, its row and its transpose saved together by torch.save are three views of one storage;
    they load as views of one array again, strides included, as torch.load gives them (each was a copy
    of its own, so a write to one was not seen by the others)."""
    base = torch.arange(12.0).reshape(3, 4)
    torch.save({"base": base, "row": base[1], "transposed": base.t()}, tmp_path / "views.pt")
    for library in (tinynn, torch):
        loaded = library.load(tmp_path / "views.pt")
        assert loaded["transposed"].stride() == (1, 4)
        loaded["base"][1, 0] = 100.0
        assert loaded["row"][0].item() == 100.0 and loaded["transposed"][0, 1].item() == 100.0
        assert loaded["base"].tolist()[1] == [100.0, 5.0, 6.0, 7.0]


def test_tensors_sharing_memory_are_written_sharing_a_storage(torch, tmp_path):
    """A tensor, itself again, its row, its transpose and a column saved together are views of one storage in
    the file, as torch.save writes them (each was written as a copy of its own)."""
    base = tinynn.arange(12.0).reshape(3, 4)
    tinynn.save({"base": base, "again": base, "row": base[1], "transposed": base.t(), "column": base[:, 2],
                 "reversed": base[::-1]}, tmp_path / "views.pt")
    with zipfile.ZipFile(tmp_path / "views.pt") as archive:
        assert len([name for name in archive.namelist() if "/data/" in name]) == 2  # (the reversed view alone)
    for library in (torch, tinynn):
        loaded = library.load(tmp_path / "views.pt")
        assert loaded["transposed"].stride() == (1, 4) and loaded["column"].stride() == (4,)
        loaded["base"][1, 2] = 100.0
        assert loaded["again"][1, 2].item() == loaded["row"][2].item() == 100.0
        assert loaded["transposed"][2, 1].item() == loaded["column"][1].item() == 100.0
        assert loaded["reversed"].tolist() == base[::-1].tolist()


def test_a_parameter_of_a_flat_buffer_is_written_alone(tmp_path):
    """A foreach optimizer keeps the parameters in one flat buffer; one of them saved is its own bytes, not
    the buffer's, and two far apart are written apart (the span between would cost more than each alone)."""
    model = nn.Sequential(nn.Linear(100, 100), nn.Linear(100, 100))
    optimizer = tinynn.optim.Adam(model.parameters(), lr=0.1, foreach=True)
    model(tinynn.ones(2, 100)).sum().backward()
    optimizer.step()
    first, _, second, _ = model.parameters()
    for name, obj in (("one.pt", second), ("two.pt", {"a": first, "b": second}), ("state.pt", model.state_dict())):
        tinynn.save(obj, tmp_path / name)
    def storage_bytes(name):
        with zipfile.ZipFile(tmp_path / name) as archive:
            return sum(info.file_size for info in archive.infolist() if "/data/" in info.filename)
    assert storage_bytes("one.pt") == 40_000 and storage_bytes("two.pt") == 80_000
    assert storage_bytes("state.pt") == 80_800
    loaded = tinynn.load(tmp_path / "state.pt")
    for key, value in model.state_dict().items():
        np.testing.assert_array_equal(loaded[key].numpy(), value.numpy())


def test_data_beyond_tensors_and_dicts_reads_in_torch_with_weights_only(torch, tmp_path):
    """What the pickling path writes for sets, tuple keys and parameters is what PyTorch's weights-only loader
    allows: the same values there."""
    parameter = nn.Parameter(tinynn.tensor([1.0, -2.0]))
    tinynn.save({"weight": parameter, "seen": {3, 5}, (1, 2): "a tuple key", "shape": tinynn.Size([2, 3])},
                tmp_path / "data.pt")
    theirs = torch.load(tmp_path / "data.pt", weights_only=True)
    assert isinstance(theirs["weight"], torch.nn.Parameter) and theirs["weight"].tolist() == [1.0, -2.0]
    assert theirs["seen"] == {3, 5} and theirs[(1, 2)] == "a tuple key" and theirs["shape"] == torch.Size([2, 3])
    ours = tinynn.load(tmp_path / "data.pt")
    assert isinstance(ours["weight"], nn.Parameter) and ours["seen"] == {3, 5} and ours[(1, 2)] == "a tuple key"


def test_parameters_gradients_flags_and_dtypes_keep_what_they_are_in_plain_data(torch, tmp_path):
    """(Written as plain data, a Parameter came back a plain tensor, requires_grad was dropped, and a dtype sent
    the file down the pickling path, where it was NumPy's dtype in PyTorch.)"""
    plain = {"parameter": nn.Parameter(tinynn.tensor([1.0, 2.0])), "leaf": tinynn.ones(2, requires_grad=True),
             "dtype": tinynn.float16, "of_a_tensor": tinynn.ones(1, dtype=tinynn.int64).dtype}
    for obj, name in ((plain, "dict.pt"), (plain["parameter"], "parameter.pt"), (plain["leaf"], "leaf.pt")):
        tinynn.save(obj, tmp_path / name)
    theirs = torch.load(tmp_path / "dict.pt", weights_only=True)
    assert isinstance(theirs["parameter"], torch.nn.Parameter) and theirs["parameter"].requires_grad
    assert theirs["leaf"].requires_grad and not isinstance(theirs["leaf"], torch.nn.Parameter)
    assert theirs["dtype"] is torch.float16 and theirs["of_a_tensor"] is torch.int64
    assert isinstance(torch.load(tmp_path / "parameter.pt", weights_only=True), torch.nn.Parameter)
    assert torch.load(tmp_path / "leaf.pt", weights_only=True).requires_grad
    ours = tinynn.load(tmp_path / "dict.pt")
    assert isinstance(ours["parameter"], nn.Parameter) and ours["leaf"].requires_grad
    assert tinynn.ones(1, dtype=ours["dtype"]).dtype == np.float16 and ours["of_a_tensor"] == np.int64
    state = tinynn.nn.Linear(2, 2).state_dict()  # (detached values: no requires_grad in the file)
    tinynn.save(state, tmp_path / "state.pt")
    assert not any(v.requires_grad for v in torch.load(tmp_path / "state.pt", weights_only=True).values())


def _archive(tmp_path, pickled, storages=()):
    path = tmp_path / "crafted.pt"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("crafted/data.pkl", pickled)
        for key, data in storages:
            archive.writestr(f"crafted/data/{key}", data)
    return path


def test_a_file_that_would_run_code_is_refused_naming_what_it_asked_for(tmp_path):
    class RunsCode:
        def __reduce__(self):
            return os.system, ("echo this must not run",)

    path = _archive(tmp_path, pickle.dumps({"weight": RunsCode()}, protocol=2))
    for weights_only in (None, True):
        with pytest.raises(CheckpointError, match=r"names (posix|os|nt)\.system, which tinynn does not load .* if you "
                                                  r"trust the file, load\(\.\.\., weights_only=False\)"):
            tinynn.load(path, weights_only=weights_only)


def test_a_tensor_reaching_outside_its_storage_is_refused(tmp_path):
    tinynn.save({"w": tinynn.ones(4)}, tmp_path / "good.pt")
    with zipfile.ZipFile(tmp_path / "good.pt") as archive:
        pickled = archive.read("good/data.pkl")
    assert pickled.count(b"(K\x04t") == 1  # the size (4,), made (40,) over the same storage of 4 values
    path = _archive(tmp_path, pickled.replace(b"(K\x04t", b"(K\x28t"), [("0", np.ones(4, np.float32).tobytes())])
    with pytest.raises(CheckpointError, match=r"a tensor of size \(40,\), stride \(1,\) and offset 0 does not fit its "
                                              r"storage of 4 elements"):
        tinynn.load(path)


def test_other_torch_files_are_clear_errors(torch, tmp_path):
    torch.save({"w": torch.ones(2)}, tmp_path / "legacy.pt", _use_new_zipfile_serialization=False)
    with pytest.raises(CheckpointError, match="is in PyTorch's format from before 1.6"):
        tinynn.load(tmp_path / "legacy.pt")
    torch.save({"w": torch.ones(200)}, tmp_path / "whole.pt")
    content = (tmp_path / "whole.pt").read_bytes()
    (tmp_path / "cut.pt").write_bytes(content[:len(content) // 2])
    with pytest.raises(CheckpointError, match="cut.pt is not a readable tinynn checkpoint"):
        tinynn.load(tmp_path / "cut.pt")
    torch.save({"module": torch.nn.Linear(2, 2)}, tmp_path / "pickled_module.pt")
    for weights_only in (None, True, False):  # PyTorch's own classes need PyTorch, trusted or not
        with pytest.raises(CheckpointError, match="names torch.nn.modules.linear.Linear, a PyTorch object other than "
                                                  "tensors and plain data .* save its state_dict"):
            tinynn.load(tmp_path / "pickled_module.pt", weights_only=weights_only)


def test_weights_only_false_loads_the_other_objects_of_a_trusted_file(torch, tmp_path):
    """A training checkpoint with the run's argparse.Namespace beside the weights, as scripts save it."""
    import argparse

    torch.save({"args": argparse.Namespace(lr=0.1, epochs=3), "w": torch.arange(3.0)}, tmp_path / "run.pt")
    with pytest.raises(CheckpointError, match=r"names argparse\.Namespace, which tinynn does not load"):
        tinynn.load(tmp_path / "run.pt")
    loaded = tinynn.load(tmp_path / "run.pt", map_location="cpu", weights_only=False)
    assert loaded["args"] == argparse.Namespace(lr=0.1, epochs=3)
    np.testing.assert_array_equal(loaded["w"].numpy(), [0, 1, 2])
    tinynn.save({"w": tinynn.ones(2)}, tmp_path / "own.npz")  # tinynn's own files: weights and plain data only
    for weights_only in (None, True, False):
        np.testing.assert_array_equal(tinynn.load(tmp_path / "own.npz", weights_only=weights_only)["w"].numpy(), [1, 1])


def test_save_and_load_through_file_objects_as_torch(torch):
    """torch.save(obj, buffer) / torch.load(buffer), both ways and in both formats."""
    import io

    state = {"w": tinynn.arange(4).float(), "step": 7}
    for format in ("tinynn", "torch"):
        buffer = io.BytesIO()
        tinynn.save(state, buffer, format=format)
        buffer.seek(0)
        loaded = tinynn.load(buffer)
        assert loaded["step"] == 7
        np.testing.assert_array_equal(loaded["w"].numpy(), [0, 1, 2, 3])
    buffer.seek(0)
    theirs = torch.load(buffer, weights_only=True)
    np.testing.assert_array_equal(theirs["w"].numpy(), [0, 1, 2, 3])
    buffer = io.BytesIO()
    torch.save({"w": torch.ones(3)}, buffer)
    buffer.seek(0)
    np.testing.assert_array_equal(tinynn.load(buffer, weights_only=True)["w"].numpy(), [1, 1, 1])


def _as_if_saved_on_gpu(path, copy):
    """A copy of the torch.save file ``path`` whose storages say they were saved on "cuda:0", as a GPU
    run writes them (PyTorch without CUDA cannot): the location string in data.pkl rewritten."""
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(copy, "w") as target:
        for entry in source.infolist():
            data = source.read(entry.filename)
            if entry.filename.endswith("data.pkl"):
                assert b"X\x03\x00\x00\x00cpu" in data
                data = data.replace(b"X\x03\x00\x00\x00cpu", b"X\x06\x00\x00\x00cuda:0")
            target.writestr(entry.filename, data)
    return copy


def test_map_location_as_a_dict_or_a_function_as_pytorch_takes_it(torch, tmp_path, device):
    grid = torch.arange(12.0).reshape(3, 4)
    torch.save({"grid": grid, "row": grid[1], "weight": torch.nn.Parameter(torch.ones(2)),
                "steps": torch.tensor([5])}, tmp_path / "cpu.pt")
    on_gpu = _as_if_saved_on_gpu(tmp_path / "cpu.pt", tmp_path / "gpu.pt")
    for path, saved_at in ((tmp_path / "cpu.pt", "cpu"), (on_gpu, "cuda:0")):
        theirs = torch.load(path, map_location={saved_at: "cpu"})
        ours = tinynn.load(path, map_location={saved_at: tinynn.device(device)})
        for key in theirs:
            assert ours[key].device == device, key
            np.testing.assert_array_equal(ours[key].numpy(), theirs[key].detach().numpy(), err_msg=key)
        assert isinstance(ours["weight"], nn.Parameter) and ours["weight"].requires_grad
        elsewhere = tinynn.load(path, map_location={"cuda:1": device})  # a location it does not name: the CPU
        assert {tensor.device for tensor in elsewhere.values()} == {"cpu"}

        # A function is asked once per storage (grid and row share one), with the saved location.
        asked_ours, asked_theirs = [], []
        ours = tinynn.load(path, map_location=lambda storage, location: asked_ours.append(
            (location, storage.numel() * storage.element_size())) or storage.to(device))
        torch.load(path, map_location=lambda storage, location: asked_theirs.append((location, storage.nbytes()))
                   or storage)
        assert sorted(asked_ours) == sorted(asked_theirs) and len(asked_ours) == 3
        assert {tensor.device for tensor in ours.values()} == {device}
        np.testing.assert_array_equal(ours["row"].numpy(), [4, 5, 6, 7])
        kept = tinynn.load(path, map_location=lambda storage, location: None)  # None: the CPU
        assert {tensor.device for tensor in kept.values()} == {"cpu"}

    tinynn.save({"w": tinynn.ones(2), "b": tinynn.zeros(3)}, tmp_path / "own.npz")  # tinynn's files: saved from the CPU
    asked = []
    own = tinynn.load(tmp_path / "own.npz", map_location=lambda storage, location: asked.append(location) or storage.to(device))
    assert asked == ["cpu", "cpu"] and own["w"].device == own["b"].device == device


def test_a_map_location_tinynn_cannot_use_says_what_it_takes(tmp_path):
    tinynn.save({"w": tinynn.ones(2)}, tmp_path / "model.pt")
    with pytest.raises(TypeError, match="map_location must be a device name, a tinynn.device, a dict .* got int"):
        tinynn.load(tmp_path / "model.pt", map_location=3)
    with pytest.raises(TypeError, match="the map_location function returned str; expected the storage"):
        tinynn.load(tmp_path / "model.pt", map_location=lambda storage, location: "cpu")
    with pytest.raises(ValueError, match="unknown device 'tpu'"):
        tinynn.load(tmp_path / "model.pt", map_location={"cpu": "tpu"})


@pytest.mark.filterwarnings("ignore:Sparse invariant checks")  # (PyTorch's note on making sparse tensors)
def test_sparse_tensors_go_both_ways(torch, tmp_path, device):
    """torch.save's _rebuild_sparse_tensor, read and written; tinynn's own format keeps them too."""
    ours = tinynn.sparse_coo_tensor([[0, 2, 0]], [[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], (3, 2), device=device)
    tinynn.save({"grad": ours, "coalesced": ours.coalesce()}, tmp_path / "ours.pt")
    theirs = torch.load(tmp_path / "ours.pt", weights_only=True)
    assert theirs["grad"].is_sparse and not theirs["grad"].is_coalesced() and theirs["coalesced"].is_coalesced()
    assert theirs["grad"]._indices().tolist() == [[0, 2, 0]]
    np.testing.assert_array_equal(theirs["grad"].to_dense().numpy(), ours.to_dense().to("cpu").numpy())
    torch.save({"grad": theirs["grad"]}, tmp_path / "theirs.pt")
    back = tinynn.load(tmp_path / "theirs.pt", map_location=device)["grad"]
    assert back.is_sparse and back.device == tinynn.device(device) and not back.is_coalesced()
    tinynn.testing.assert_close(back, ours)
    tinynn.save([ours.coalesce()], tmp_path / "own.npz")
    (own,) = tinynn.load(tmp_path / "own.npz", map_location=device)
    assert own.is_coalesced() and own.device == tinynn.device(device)
    tinynn.testing.assert_close(own, ours)


def test_unsigned_tensors_go_both_ways_as_untyped_storages(torch, tmp_path, device):
    """uint16/32/64 have no typed storage: PyTorch writes _rebuild_tensor_v3 over bytes, as tinynn does."""
    values = {name: np.array([[1, 2], [3, np.iinfo(name).max]], dtype=name) for name in ("uint16", "uint32", "uint64")}
    ours = {name: tinynn.tensor(array, device=device).T for name, array in values.items()}  # (strided views too)
    tinynn.save(ours, tmp_path / "ours.pt")
    theirs = torch.load(tmp_path / "ours.pt", weights_only=True)
    for name, array in values.items():
        assert theirs[name].dtype == getattr(torch, name) and theirs[name].tolist() == array.T.tolist()
    torch.save(theirs, tmp_path / "theirs.pt")
    back = tinynn.load(tmp_path / "theirs.pt", map_location=device)
    for name, array in values.items():
        assert back[name].dtype == np.dtype(name) and back[name].device == tinynn.device(device)
        np.testing.assert_array_equal(back[name].to("cpu").numpy(), array.T)
