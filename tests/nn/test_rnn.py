"""Recurrent layers: every cell's back-propagation through time gradchecked (both directions, on
every device), RNN/LSTM/GRU and their cells compared with PyTorch (outputs, final states and every
gradient), state dicts, dropout between layers, a sequence task learned, and clear errors."""
import numpy as np
import pytest

import tinynn
from tinynn import nn
from tinynn.autograd import gradcheck
from tinynn.nn.functional.recurrent import CELLS, Recurrence, recurrence
from helpers import assert_close, leaf, to_torch

GATE_BLOCKS = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


@pytest.fixture(params=[1, 3], ids=["one-block", "three-blocks"])
def blocks(request, monkeypatch):
    """The batch's sequences in one block, or (on the CPU) in three blocks of one sequence each,
    on three threads: the path a large batch takes on a multi-core machine."""
    if request.param > 1:
        monkeypatch.setattr(Recurrence, "BLOCK_ROWS", 1)
        before = tinynn.get_num_threads()
        tinynn.set_num_threads(request.param)
        request.addfinalizer(lambda: tinynn.set_num_threads(before))
    return request.param


@pytest.mark.parametrize("mode", list(CELLS))
@pytest.mark.parametrize("reverse", [False, True])
def test_recurrence_gradcheck(rng, device, blocks, mode, reverse):
    length, batch, features, hidden = 4, 3, 3, 3
    rows = GATE_BLOCKS[mode] * hidden
    inputs = [leaf(rng.standard_normal(shape) * 0.7, device=device) for shape in
              [(length, batch, features), (rows, features), (rows, hidden), (rows,), (rows,)]]
    states = [leaf(rng.standard_normal((batch, hidden)), device=device) for _ in range(2 if mode == "LSTM" else 1)]

    def run(*tensors):
        return recurrence(mode, *tensors[:5], tuple(tensors[5:]), reverse=reverse)

    assert gradcheck(run, inputs + states)


@pytest.mark.parametrize("reverse", [False, True])
def test_projected_lstm_recurrence_gradcheck(rng, device, blocks, reverse):
    """An LSTM with proj_size: h_t = (o * tanh(c_t)) W_hr^T feeds the next step; lengths included."""
    length, batch, features, hidden, projected = 4, 3, 3, 4, 2
    inputs = [leaf(rng.standard_normal(shape) * 0.7, device=device) for shape in
              [(length, batch, features), (4 * hidden, features), (4 * hidden, projected), (4 * hidden,),
               (4 * hidden,), (projected, hidden), (batch, projected), (batch, hidden)]]

    def run(*tensors):
        return recurrence("LSTM", *tensors[:5], tuple(tensors[6:]), reverse=reverse, lengths=np.array([4, 2, 3]),
                          weight_hr=tensors[5])

    assert gradcheck(run, inputs)


def pytorch_pair(torch, ours, theirs_type, **kwargs):
    theirs = theirs_type(ours.input_size, ours.hidden_size, **kwargs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    theirs.load_state_dict({k: torch.tensor(v.numpy()) for k, v in ours.state_dict().items()})
    return theirs


def flat(result):
    """(output, h_n) or (output, (h_n, c_n)) or a cell's h or (h, c) -> list of tensors."""
    items = result if isinstance(result, tuple) else (result,)
    return [t for item in items for t in (item if isinstance(item, tuple) else (item,))]


LAYER_CASES = [
    ("LSTM", dict()), ("LSTM", dict(num_layers=2, bidirectional=True)), ("LSTM", dict(batch_first=True, bias=False)),
    ("GRU", dict()), ("GRU", dict(num_layers=2, bidirectional=True, batch_first=True)),
    ("RNN", dict()), ("RNN", dict(nonlinearity="relu", num_layers=2)), ("RNN", dict(bidirectional=True)),
    ("LSTM", dict(proj_size=4)), ("LSTM", dict(proj_size=3, num_layers=2, bidirectional=True, batch_first=True)),
]


@pytest.mark.parametrize("kind, options", LAYER_CASES)
@pytest.mark.parametrize("with_state", [False, True])
@pytest.mark.filterwarnings("ignore:LSTM with projections is not supported with oneDNN")  # PyTorch's own
def test_layers_match_torch(torch, rng, device, blocks, kind, options, with_state):
    ours = getattr(nn, kind)(5, 6, **options)
    theirs = pytorch_pair(torch, ours, getattr(torch.nn, kind), **options)
    ours.to(device)
    shape = (3, 4, 5) if options.get("batch_first") else (4, 3, 5)
    x = leaf(rng.standard_normal(shape), dtype=np.float32, device=device)
    tx = to_torch(torch, x, True)
    state_shape = (options.get("num_layers", 1) * (2 if options.get("bidirectional") else 1), 3)
    our_state = their_state = None
    if with_state:  # h_0 has proj_size features when projected, c_0 hidden_size
        parts = [leaf(rng.standard_normal(state_shape + (size,)), dtype=np.float32, device=device)
                 for size in ((options.get("proj_size") or 6, 6) if kind == "LSTM" else (6,))]
        torch_parts = [to_torch(torch, part, True) for part in parts]
        our_state, their_state = (tuple(parts), tuple(torch_parts)) if kind == "LSTM" else (parts[0], torch_parts[0])
    outputs, torch_outputs = flat(ours(x, our_state)), flat(theirs(tx, their_state))
    for ours_t, theirs_t in zip(outputs, torch_outputs):
        assert_close(ours_t, theirs_t, rtol=1e-5, atol=1e-6, what="forward")
    loss = sum(((out * out).sum() for out in outputs), tinynn.tensor(0.0, device=device))
    loss.backward()
    sum((out * out).sum() for out in torch_outputs).backward()
    assert_close(x.grad, tx.grad, rtol=1e-4, atol=1e-5, what="input grad")
    for (name, param), torch_param in zip(ours.named_parameters(), theirs.parameters()):
        assert_close(param.grad, torch_param.grad, rtol=1e-4, atol=1e-5, what=f"{name} grad")
    if with_state:
        for part, torch_part in zip(parts, torch_parts):
            assert_close(part.grad, torch_part.grad, rtol=1e-4, atol=1e-5, what="initial state grad")


@pytest.mark.parametrize("kind, options", [("LSTM", dict(bidirectional=True)), ("GRU", {}), ("RNN", {}),
                                           ("LSTM", dict(proj_size=32))])
def test_blocks_of_sequences_give_the_same_bits_on_any_thread_count(rng, kind, options):
    """A batch of 128 runs as two blocks of 64 sequences on two threads (or one on one thread):
    outputs, final states and every gradient the same bits whatever the split."""
    layer = getattr(nn, kind)(20, 48, **options)
    x_values = rng.standard_normal((9, 128, 20)).astype(np.float32)
    lengths = rng.integers(1, 10, size=128)

    def run(threads, packed):
        before = tinynn.get_num_threads()
        tinynn.set_num_threads(threads)
        try:
            layer.zero_grad()
            x = tinynn.tensor(x_values, requires_grad=True)
            source = nn.utils.rnn.pack_padded_sequence(x, lengths, enforce_sorted=False) if packed else x
            output, state = layer(source)
            output = nn.utils.rnn.pad_packed_sequence(output)[0] if packed else output
            parts = [output] + list(state if isinstance(state, tuple) else (state,))
            sum(((part * part).sum() for part in parts), tinynn.tensor(0.0)).backward()
            return [part.numpy() for part in parts] + [x.grad.numpy()] + [p.grad.numpy() for p in layer.parameters()]
        finally:
            tinynn.set_num_threads(before)

    for packed in (False, True):
        for one, two in zip(run(1, packed), run(2, packed)):
            np.testing.assert_array_equal(one, two)


@pytest.mark.parametrize("kind, options, shape", [("LSTM", dict(num_layers=2, bidirectional=True), (4, 0, 3)),
                                                  ("GRU", dict(batch_first=True), (0, 4, 3)), ("RNN", {}, (4, 0, 3)),
                                                  ("LSTMCell", {}, (0, 3)), ("GRUCell", {}, (0, 3))])
def test_an_empty_batch_gives_empty_outputs_as_torch(torch, kind, options, shape):
    ours, theirs = getattr(nn, kind)(3, 5, **options), getattr(torch.nn, kind)(3, 5, **options)
    x = tinynn.zeros(*shape, requires_grad=True)
    outputs, torch_outputs = flat(ours(x)), flat(theirs(torch.zeros(*shape)))
    assert [tuple(out.shape) for out in outputs] == [tuple(out.shape) for out in torch_outputs]
    sum((out.sum() for out in outputs), tinynn.tensor(0.0)).backward()
    assert x.grad.shape == shape and all(p.grad is not None and not p.grad.numpy().any() for p in ours.parameters())


@pytest.mark.parametrize("kind", ["LSTM", "GRU", "RNN"])
def test_unbatched_sequences_match_torch(torch, rng, kind):
    ours = getattr(nn, kind)(3, 4, num_layers=2)
    theirs = pytorch_pair(torch, ours, getattr(torch.nn, kind), num_layers=2)
    x = rng.standard_normal((5, 3)).astype(np.float32)
    for ours_t, theirs_t in zip(flat(ours(tinynn.tensor(x))), flat(theirs(torch.tensor(x)))):
        assert ours_t.shape == tuple(theirs_t.shape)
        assert_close(ours_t, theirs_t, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("kind, options", [("RNNCell", {}), ("RNNCell", dict(nonlinearity="relu")),
                                           ("LSTMCell", {}), ("GRUCell", dict(bias=False))])
@pytest.mark.parametrize("batched", [True, False])
def test_cells_match_torch(torch, rng, device, kind, options, batched):
    ours = getattr(nn, kind)(5, 4, **options)
    theirs = pytorch_pair(torch, ours, getattr(torch.nn, kind), **options)
    ours.to(device)
    shape = (3, 5) if batched else (5,)
    x = leaf(rng.standard_normal(shape), dtype=np.float32, device=device)
    tx = to_torch(torch, x, True)
    state_shape = (3, 4) if batched else (4,)
    parts = [leaf(rng.standard_normal(state_shape), dtype=np.float32, device=device)
             for _ in range(2 if kind == "LSTMCell" else 1)]
    torch_parts = [to_torch(torch, part, True) for part in parts]
    state = tuple(parts) if kind == "LSTMCell" else parts[0]
    torch_state = tuple(torch_parts) if kind == "LSTMCell" else torch_parts[0]
    for result, torch_result in ((ours(x), theirs(tx)), (ours(x, state), theirs(tx, torch_state))):
        for ours_t, theirs_t in zip(flat(result), flat(torch_result)):
            assert ours_t.shape == tuple(theirs_t.shape)
            assert_close(ours_t, theirs_t, rtol=1e-5, atol=1e-6)
    sum((t * t).sum() for t in flat(result)).backward()
    sum((t * t).sum() for t in flat(torch_result)).backward()
    assert_close(x.grad, tx.grad, rtol=1e-4, atol=1e-5)
    for part, torch_part in zip(parts, torch_parts):
        assert_close(part.grad, torch_part.grad, rtol=1e-4, atol=1e-5)


def test_initialisation_and_repr_are_pytorchs(torch):
    model = nn.LSTM(10, 32, num_layers=2, bidirectional=True, dropout=0.25)
    values = np.concatenate([p.numpy().ravel() for p in model.parameters()])
    bound = 1 / np.sqrt(32)
    assert values.min() >= -bound and values.max() <= bound and abs(values.std() - bound / np.sqrt(3)) < 0.01
    assert repr(model) == repr(torch.nn.LSTM(10, 32, num_layers=2, bidirectional=True, dropout=0.25))
    assert repr(nn.GRUCell(3, 4, bias=False)) == repr(torch.nn.GRUCell(3, 4, bias=False))
    assert sum(p.numel() for p in model.parameters()) == sum(
        p.numel() for p in torch.nn.LSTM(10, 32, num_layers=2, bidirectional=True).parameters())


def test_dropout_acts_between_layers_in_training_only(rng):
    model = nn.GRU(3, 8, num_layers=2, dropout=0.5)
    plain = nn.GRU(3, 8, num_layers=2)
    plain.load_state_dict(model.state_dict())
    x = tinynn.tensor(rng.standard_normal((6, 4, 3)).astype(np.float32))
    training_output = model(x)[0].numpy()
    assert not np.allclose(training_output, plain(x)[0].numpy())
    model.eval()
    np.testing.assert_array_equal(model(x)[0].numpy(), plain(x)[0].numpy())
    with pytest.warns(UserWarning, match="does nothing with num_layers=1"):
        nn.LSTM(3, 4, dropout=0.2)


def test_an_lstm_learns_to_add_up_a_sequence(rng):
    """The label is the sign of the sum of ten inputs; the classifier sees only the final state,
    so the LSTM has to accumulate the sum over the steps (PyTorch reaches 95% the same way)."""
    tinynn.manual_seed(1)
    lstm, head = nn.LSTM(1, 12), nn.Linear(12, 2)
    optimizer = tinynn.optim.Adam(list(lstm.parameters()) + list(head.parameters()), lr=0.03)
    for _ in range(80):
        x = rng.standard_normal((10, 64, 1)).astype(np.float32)
        labels = tinynn.tensor((x[:, :, 0].sum(0) > 0).astype(np.int64))
        optimizer.zero_grad()
        _, (h_n, _) = lstm(tinynn.tensor(x))
        loss = nn.functional.cross_entropy(head(h_n[0]), labels)
        loss.backward()
        optimizer.step()
    x = rng.standard_normal((10, 500, 1)).astype(np.float32)
    with tinynn.no_grad():
        _, (h_n, _) = lstm(tinynn.tensor(x))
        accuracy = (head(h_n[0]).numpy().argmax(1) == (x[:, :, 0].sum(0) > 0)).mean()
    assert accuracy > 0.9, accuracy


def test_errors_name_the_layer_and_what_was_expected():
    lstm = nn.LSTM(5, 6, num_layers=2)
    with pytest.raises(ValueError, match=r"LSTM\(5, 6\): expected 5 input features in the last axis, got input of shape \(4, 3, 7\)"):
        lstm(tinynn.zeros(4, 3, 7))
    with pytest.raises(ValueError, match=r"LSTM\(5, 6\): expected \(L, N, I\) or \(L, I\) input, got a 4-D tensor"):
        lstm(tinynn.zeros(4, 3, 5, 1))
    with pytest.raises(ValueError, match=r"LSTM\(5, 6\): expected h_0 of shape \(2, 3, 6\), got \(1, 3, 6\)"):
        lstm(tinynn.zeros(4, 3, 5), (tinynn.zeros(1, 3, 6), tinynn.zeros(2, 3, 6)))
    with pytest.raises(ValueError, match=r"expected hx as a pair \(h_0, c_0\)"):
        lstm(tinynn.zeros(4, 3, 5), tinynn.zeros(2, 3, 6))
    with pytest.raises(ValueError, match=r"GRU\(5, 6\): expected a sequence of at least one step, got input of shape \(0, 3, 5\)"):
        nn.GRU(5, 6)(tinynn.zeros(0, 3, 5))
    with pytest.raises(ValueError, match=r"GRU\(5, 6\): expected a sequence of at least one step, got input of shape \(3, 0, 5\)"):
        nn.GRU(5, 6, batch_first=True)(tinynn.zeros(3, 0, 5))
    with pytest.raises(TypeError, match="floating-point"):
        nn.RNN(5, 6)(tinynn.tensor(np.zeros((2, 3, 5), np.int64)))
    with pytest.raises(ValueError, match="nonlinearity must be 'tanh' or 'relu', got 'gelu'"):
        nn.RNN(5, 6, nonlinearity="gelu")
    with pytest.raises(ValueError, match="hidden_size must be a positive int, got 0"):
        nn.GRUCell(5, 0)
    with pytest.raises(ValueError, match="proj_size is only supported for LSTM, not RNN or GRU"):
        nn.GRU(5, 6, proj_size=2)
    with pytest.raises(ValueError, match=r"proj_size \(6\) has to be smaller than hidden_size \(6\)"):
        nn.LSTM(5, 6, proj_size=6)
    with pytest.raises(ValueError, match=r"LSTM\(5, 6\): expected c_0 of shape \(1, 3, 6\), got \(1, 3, 2\)"):
        nn.LSTM(5, 6, proj_size=2)(tinynn.zeros(4, 3, 5), (tinynn.zeros(1, 3, 2), tinynn.zeros(1, 3, 2)))
    with pytest.raises(ValueError, match=r"GRUCell\(5, 6\): expected hx of shape \(3, 6\), got \(6,\)"):
        nn.GRUCell(5, 6)(tinynn.zeros(3, 5), tinynn.zeros(6))


@pytest.mark.parametrize("mode", list(CELLS))
@pytest.mark.parametrize("reverse", [False, True])
def test_recurrence_with_lengths_gradcheck(rng, device, mode, reverse):
    length, batch, features, hidden = 4, 3, 2, 2
    rows = GATE_BLOCKS[mode] * hidden
    inputs = [leaf(rng.standard_normal(shape) * 0.7, device=device) for shape in
              [(length, batch, features), (rows, features), (rows, hidden), (rows,), (rows,)]]
    states = [leaf(rng.standard_normal((batch, hidden)), device=device) for _ in range(2 if mode == "LSTM" else 1)]
    lengths = np.array([2, 4, 1])

    def run(*tensors):
        return recurrence(mode, *tensors[:5], tuple(tensors[5:]), reverse=reverse, lengths=lengths)

    assert gradcheck(run, inputs + states)
    padded_output = run(*inputs, *states).numpy()
    assert not padded_output[2:, 0].any() and not padded_output[1:, 2].any(), "zeros past each sequence's end"


@pytest.mark.parametrize("kind, options", [("LSTM", dict(num_layers=2, bidirectional=True)), ("GRU", dict(bidirectional=True)),
                                           ("RNN", dict(nonlinearity="relu")), ("LSTM", dict(batch_first=True)),
                                           ("LSTM", dict(proj_size=2, bidirectional=True))], ids=str)
@pytest.mark.parametrize("enforce_sorted", [True, False])
@pytest.mark.filterwarnings("ignore:LSTM with projections is not supported with oneDNN")  # PyTorch's own
def test_packed_sequences_match_torch(torch, rng, device, kind, options, enforce_sorted):
    from tinynn.nn.utils import rnn as packing

    lengths = [5, 4, 2, 2] if enforce_sorted else [3, 5, 2, 4]
    sequences = [rng.standard_normal((n, 3)).astype(np.float32) for n in lengths]
    ours = getattr(nn, kind)(3, 4, **options)
    theirs = pytorch_pair(torch, ours, getattr(torch.nn, kind), **options)
    ours.to(device)
    ours_sequences = [leaf(s, dtype=np.float32, device=device) for s in sequences]
    torch_sequences = [torch.tensor(s, requires_grad=True) for s in sequences]
    packed = packing.pack_sequence(ours_sequences, enforce_sorted=enforce_sorted)
    torch_packed = torch.nn.utils.rnn.pack_sequence(torch_sequences, enforce_sorted=enforce_sorted)
    assert_close(packed.data, torch_packed.data.detach())
    np.testing.assert_array_equal(packed.batch_sizes.numpy(), torch_packed.batch_sizes.numpy())
    output, state = ours(packed)
    torch_output, torch_state = theirs(torch_packed)
    padded, lengths_back = packing.pad_packed_sequence(output, batch_first=True, padding_value=-1.0)
    torch_padded, torch_lengths = torch.nn.utils.rnn.pad_packed_sequence(torch_output, batch_first=True,
                                                                          padding_value=-1.0)
    np.testing.assert_array_equal(lengths_back.numpy(), torch_lengths.numpy())
    assert_close(padded, torch_padded, rtol=1e-5, atol=1e-6, what="padded output")
    for ours_t, theirs_t in zip(flat(state), flat(torch_state)):
        assert_close(ours_t, theirs_t, rtol=1e-5, atol=1e-6, what="final state")
    loss = (padded * padded).sum() + sum((t * t).sum() for t in flat(state))
    loss.backward()
    ((torch_padded * torch_padded).sum() + sum((t * t).sum() for t in flat(torch_state))).backward()
    for ours_t, theirs_t in zip(ours_sequences, torch_sequences):
        assert_close(ours_t.grad, theirs_t.grad, rtol=1e-4, atol=1e-5, what="sequence grad")
    for (name, param), torch_param in zip(ours.named_parameters(), theirs.parameters()):
        assert_close(param.grad, torch_param.grad, rtol=1e-4, atol=1e-5, what=f"{name} grad")



@pytest.mark.parametrize("kind", ["LSTM", "GRU", "RNN"])
def test_inf_or_nan_in_the_padding_of_packed_sequences_reaches_nothing(torch, rng, device, kind):
    """Padding of -inf (log features of zero-padded audio) or NaN is not part of any sequence: the
    outputs, the final states and every gradient are PyTorch's, all finite. (The recurrence steps
    through the padding; it read those values, and its backward made every gradient NaN.)"""
    from tinynn.nn.utils import rnn as packing

    values = rng.standard_normal((3, 5, 4)).astype(np.float32)
    values[1, 3:], values[2, 2:] = np.nan, -np.inf
    lengths = [5, 3, 2]
    ours = getattr(nn, kind)(4, 3, num_layers=2, bidirectional=True, batch_first=True)
    theirs = pytorch_pair(torch, ours, getattr(torch.nn, kind), num_layers=2, bidirectional=True, batch_first=True)
    ours.to(device)
    x, tx = leaf(values, dtype=np.float32, device=device), torch.tensor(values, requires_grad=True)
    output, state = ours(packing.pack_padded_sequence(x, lengths, batch_first=True))
    torch_output, torch_state = theirs(torch.nn.utils.rnn.pack_padded_sequence(tx, lengths, batch_first=True))
    padded = packing.pad_packed_sequence(output, batch_first=True)[0]
    torch_padded = torch.nn.utils.rnn.pad_packed_sequence(torch_output, batch_first=True)[0]
    assert_close(padded, torch_padded, rtol=1e-5, atol=1e-6, what="padded output")
    (padded.sum() + sum(t.sum() for t in flat(state))).backward()
    (torch_padded.sum() + sum(t.sum() for t in flat(torch_state))).backward()
    assert np.isfinite(x.grad.numpy()).all()
    assert_close(x.grad, tx.grad, rtol=1e-4, atol=1e-5, what="input grad")
    for (name, param), torch_param in zip(ours.named_parameters(), theirs.parameters()):
        assert np.isfinite(param.grad.numpy()).all(), name
        assert_close(param.grad, torch_param.grad, rtol=1e-4, atol=1e-5, what=f"{name} grad")

def test_padding_and_packing_helpers(torch):
    from tinynn.nn.utils import rnn as packing

    sequences = [tinynn.tensor(np.arange(n * 2, dtype=np.float32).reshape(n, 2)) for n in (3, 1, 2)]
    padded = packing.pad_sequence(sequences, batch_first=True, padding_value=9.0)
    torch_padded = torch.nn.utils.rnn.pad_sequence([torch.tensor(s.numpy()) for s in sequences], batch_first=True,
                                                   padding_value=9.0)
    np.testing.assert_array_equal(padded.numpy(), torch_padded.numpy())
    with pytest.raises(ValueError, match=r"lengths \[3, 1, 2\] are not sorted longest first"):
        packing.pack_padded_sequence(padded, [3, 1, 2], batch_first=True)
    with pytest.raises(ValueError, match=r"lengths must be in \[1, 3\]"):
        packing.pack_padded_sequence(padded, [4, 1, 2], batch_first=True, enforce_sorted=False)
    packed = packing.pack_padded_sequence(padded, [3, 1, 2], batch_first=True, enforce_sorted=False)
    unpacked, lengths = packing.pad_packed_sequence(packed, batch_first=True, total_length=5)
    torch_unpacked, _ = torch.nn.utils.rnn.pad_packed_sequence(torch.nn.utils.rnn.pack_padded_sequence(
        torch_padded, [3, 1, 2], batch_first=True, enforce_sorted=False), batch_first=True, total_length=5)
    np.testing.assert_array_equal(unpacked.numpy(), torch_unpacked.numpy())  # zeros, not the 9s, past the ends
    assert unpacked.shape == (3, 5, 2) and lengths.numpy().tolist() == [3, 1, 2]
    with pytest.raises(ValueError, match="total_length 2 is shorter than the longest sequence"):
        packing.pad_packed_sequence(packed, total_length=2)


def test_packed_sequence_built_from_its_fields_matches_torch(torch, rng, device):
    """PyTorch's PackedSequence is the named tuple (data, batch_sizes, sorted_indices, unsorted_indices):
    scripts run a layer over ``packed.data`` and repack the result with the same fields, or unpack the
    tuple. The repacked sequence runs through a GRU as PyTorch's does, gradients reaching the layer
    before it through data."""
    from tinynn.nn.utils import rnn as packing

    lengths = [2, 3, 1, 3]  # unsorted, with a tie: sorted_indices must be followed as given
    sequences = [rng.standard_normal((n, 3)).astype(np.float32) for n in lengths]
    embed, gru = nn.Linear(3, 5), nn.GRU(5, 4, bidirectional=True)
    torch_embed = torch.nn.Linear(3, 5)
    torch_gru = pytorch_pair(torch, gru, torch.nn.GRU, bidirectional=True)
    with torch.no_grad():
        torch_embed.weight.copy_(torch.tensor(embed.weight.numpy()))
        torch_embed.bias.copy_(torch.tensor(embed.bias.numpy()))
    embed.to(device), gru.to(device)
    packed = packing.pack_sequence([leaf(s, dtype=np.float32, device=device) for s in sequences],
                                   enforce_sorted=False)
    torch_packed = torch.nn.utils.rnn.pack_sequence([torch.tensor(s) for s in sequences], enforce_sorted=False)
    data, batch_sizes, sorted_indices, unsorted_indices = packed
    assert data is packed.data and packed[1] is batch_sizes and len(packed) == 4
    np.testing.assert_array_equal(sorted_indices.numpy(), torch_packed.sorted_indices.numpy())
    np.testing.assert_array_equal(unsorted_indices.numpy(), torch_packed.unsorted_indices.numpy())

    ours_in = packing.PackedSequence(embed(data), batch_sizes, sorted_indices)  # unsorted_indices computed
    theirs_in = torch.nn.utils.rnn.PackedSequence(torch_embed(torch_packed.data), torch_packed.batch_sizes,
                                                  torch_packed.sorted_indices)
    np.testing.assert_array_equal(ours_in.unsorted_indices.numpy(), theirs_in.unsorted_indices.numpy())
    output, h_n = gru(ours_in)
    torch_output, torch_h_n = torch_gru(theirs_in)
    assert isinstance(output, packing.PackedSequence)
    assert_close(output.data, torch_output.data, rtol=1e-5, atol=1e-6, what="packed output")
    assert_close(h_n, torch_h_n, rtol=1e-5, atol=1e-6, what="h_n (batch order)")
    np.testing.assert_array_equal(output.batch_sizes.numpy(), torch_output.batch_sizes.numpy())
    replaced = output._replace(data=output.data * 2)  # the named tuple's own way to swap a field
    assert isinstance(replaced, packing.PackedSequence) and replaced.batch_sizes is output.batch_sizes
    padded, lengths_back = packing.pad_packed_sequence(replaced, batch_first=True)
    torch_padded, _ = torch.nn.utils.rnn.pad_packed_sequence(torch_output._replace(data=torch_output.data * 2),
                                                             batch_first=True)
    assert_close(padded, torch_padded, rtol=1e-5, atol=1e-6, what="padded from repacked data")
    assert lengths_back.numpy().tolist() == lengths
    ((padded * padded).sum() + (h_n * h_n).sum()).backward()
    ((torch_padded * torch_padded).sum() + (torch_h_n * torch_h_n).sum()).backward()
    assert_close(embed.weight.grad, torch_embed.weight.grad, rtol=1e-4, atol=1e-5, what="grad before the packing")
    for (name, param), torch_param in zip(gru.named_parameters(), torch_gru.parameters()):
        assert_close(param.grad, torch_param.grad, rtol=1e-4, atol=1e-5, what=f"{name} grad")

    legacy = packing.PackedSequence((data, batch_sizes), sorted_indices=sorted_indices)
    assert legacy.data is data and legacy.batch_sizes is batch_sizes
    doubled = packed.double()
    assert doubled.data.dtype == np.float64 and doubled.batch_sizes is batch_sizes
    assert packed.to(packed.data.dtype) is packed


def test_packed_sequence_fields_are_checked():
    from tinynn.nn.utils.rnn import PackedSequence

    data = tinynn.zeros(6, 2)
    with pytest.raises(ValueError, match=r"batch_sizes sum to 5 steps but data has 6 rows"):
        PackedSequence(data, tinynn.tensor([3, 2]))
    with pytest.raises(ValueError, match=r"positive and never increase .*got \[2, 4\]"):
        PackedSequence(data, tinynn.tensor([2, 4]))
    with pytest.raises(ValueError, match=r"1-D integer tensor .*float32"):
        PackedSequence(data, tinynn.tensor([3.0, 3.0]))
    with pytest.raises(ValueError, match=r"sorted_indices must be a tensor permuting the 3 sequences .*\[0, 0, 2\]"):
        PackedSequence(data, tinynn.tensor([3, 3]), tinynn.tensor([0, 0, 2]))
    with pytest.raises(TypeError, match="expected data and batch_sizes"):
        PackedSequence(data)


def test_all_weights_and_flatten_parameters_as_pytorchs(torch):
    """RNNBase.all_weights lists each layer's and direction's parameters in PyTorch's order;
    flatten_parameters (called by many scripts before each forward, for cuDNN) leaves the layer
    computing what it did."""
    ours = nn.LSTM(2, 3, num_layers=2, bidirectional=True, proj_size=2)
    theirs = pytorch_pair(torch, ours, torch.nn.LSTM, num_layers=2, bidirectional=True, proj_size=2)
    for our_layer, their_layer in zip(ours.all_weights, theirs.all_weights, strict=True):
        for our, their in zip(our_layer, their_layer, strict=True):
            assert_close(our, their.detach())
    gru = nn.GRU(2, 3, bias=False)
    assert [[tuple(p.shape) for p in layer] for layer in gru.all_weights] == [[(9, 2), (9, 3)]]
    x = tinynn.randn(4, 1, 2)
    before = gru(x)[0].numpy()
    assert gru.flatten_parameters() is None
    np.testing.assert_array_equal(gru(x)[0].numpy(), before)
