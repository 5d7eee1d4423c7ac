"""Sequences of different lengths for the recurrent layers, as ``torch.nn.utils.rnn``: padding them
into one tensor, and "packing" them so that RNN, LSTM and GRU stop each sequence at its own end.

A ``PackedSequence`` is PyTorch's: the named tuple (data, batch_sizes, sorted_indices,
unsorted_indices), ``data`` holding all the real steps time step by time step, longest sequences
first. The recurrent layers run on the padded, time-major tensor (T, N, *) and the lengths instead
(every sequence up to its length: past it the state is carried unchanged, so h_n is each sequence's
state at its last real step, and a bidirectional layer's reverse pass starts each sequence at its
own end); a PackedSequence turns its data into that padded tensor by one gather, and keeps the
padded tensor it was packed from, if any, instead.
"""
import collections

import numpy as np

from ...errors import InputError
from ...dtype_shorthands import DtypeShorthands
from ...tensor import Tensor, concatenate, stack

_Fields = collections.namedtuple("PackedSequence_", ["data", "batch_sizes", "sorted_indices", "unsorted_indices"])


class PackedSequence(DtypeShorthands, _Fields):
    """PyTorch's packed batch of sequences (made by ``pack_padded_sequence`` or ``pack_sequence``,
    turned back into a padded tensor by ``pad_packed_sequence``):

        data (S, *)          the sum S of the lengths of real steps: step 0 of every sequence,
                             then step 1 of those at least 2 long, and so on, each step's sequences
                             longest first
        batch_sizes (T,)     how many sequences are still running at each step (int64, on the CPU)
        sorted_indices (B,)  the batch index of the longest sequence, the next longest, ... (None
                             when the batch was sorted already); unsorted_indices its inverse

    As in PyTorch it may be built from its fields, ``PackedSequence(data, batch_sizes,
    sorted_indices, unsorted_indices)`` (unsorted_indices computed when left out), for instance to
    run a layer over ``packed.data`` and repack the result with the same batch_sizes."""

    def __new__(cls, data, batch_sizes=None, sorted_indices=None, unsorted_indices=None):
        if batch_sizes is None:  # PyTorch's older call, PackedSequence((data, batch_sizes))
            if not (isinstance(data, (list, tuple)) and len(data) == 2):
                raise TypeError("PackedSequence: expected data and batch_sizes, or a (data, batch_sizes) pair, got "
                                f"{type(data).__name__} alone")
            data, batch_sizes = data
        if not isinstance(data, Tensor) or data.ndim < 1:
            raise TypeError(f"PackedSequence: data must be a tensor of at least one axis (the packed steps), got "
                            f"{type(data).__name__ if not isinstance(data, Tensor) else 'a 0-d tensor'}")
        batch_sizes = _checked_batch_sizes(batch_sizes, data)
        if sorted_indices is not None:
            _check_permutation(sorted_indices, int(batch_sizes[0]), "sorted_indices")
        if unsorted_indices is None:
            unsorted_indices = invert_permutation(sorted_indices)
        else:
            _check_permutation(unsorted_indices, int(batch_sizes[0]), "unsorted_indices")
        return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)

    @classmethod
    def _from_padded(cls, padded, lengths, sorted_indices=None):
        """The PackedSequence of a padded time-major tensor (T, N, *) (T the longest length) and the
        lengths (N,) in batch order; ``sorted_indices``: the batch order longest first, None for the
        batch order itself (then the lengths must not increase). Keeps ``padded`` for the recurrent
        layers."""
        lengths = np.asarray(lengths, dtype=np.int64)
        order = _batch_order(sorted_indices, len(lengths))
        batch_sizes = (np.arange(padded.shape[0])[:, None] < lengths[order][None, :]).sum(axis=1)
        rows = padded.reshape((padded.shape[0] * padded.shape[1],) + tuple(padded.shape[2:]))
        data = rows[Tensor(_padded_rows(batch_sizes, order)).to(padded.device)]
        packed = cls(data, Tensor(batch_sizes.astype(np.int64)), sorted_indices)
        packed.__dict__["_padded"] = padded, lengths
        return packed

    def _padded_and_lengths(self):
        """(the padded time-major tensor (T, N, *) and the lengths (N,) as host ints in batch order):
        the tensor packed, or one gather of ``data`` (zeros past each sequence's end)."""
        if "_padded" not in self.__dict__:
            sizes = self.batch_sizes.numpy()
            batch = int(sizes[0])
            order = _batch_order(self.sorted_indices, batch)
            lengths = np.empty(batch, dtype=np.int64)
            lengths[order] = (sizes[:, None] > np.arange(batch)[None, :]).sum(axis=0)
            # each padded row's row of data, or the zero row appended after data's S rows
            source = np.full(len(sizes) * batch, len(self.data), dtype=np.int64)
            source[_padded_rows(sizes, order)] = np.arange(len(self.data))
            rows = concatenate([self.data, self.data.new_zeros((1,) + tuple(self.data.shape[1:]))])
            padded = rows[Tensor(source).to(self.data.device)]
            self.__dict__["_padded"] = padded.reshape((len(sizes), batch) + tuple(self.data.shape[1:])), lengths
        return self.__dict__["_padded"]

    def to(self, *args, **kwargs):
        """``data`` converted as Tensor.to converts (self when that changes nothing); the indices follow
        data's device, batch_sizes stays on the CPU."""
        data = self.data.to(*args, **kwargs)
        if data is self.data:
            return self
        return type(self)(data, self.batch_sizes, *(None if indices is None else indices.to(data.device)
                                                    for indices in (self.sorted_indices, self.unsorted_indices)))

    def cuda(self, device=None):
        return self.to("cuda" if device is None else device)

    def cpu(self):
        return self.to("cpu")

    @property
    def is_cuda(self):
        return self.data.is_cuda

    def is_pinned(self):
        return self.data.is_pinned()

    def pin_memory(self):
        return type(self)(self.data.pin_memory(), self.batch_sizes, self.sorted_indices, self.unsorted_indices)


def _batch_order(sorted_indices, batch):
    """The batch indices longest sequence first, as host ints: ``sorted_indices``, or the batch order for None."""
    return np.arange(batch) if sorted_indices is None else sorted_indices.cpu().numpy()


def _padded_rows(batch_sizes, order):
    """For each row of packed data, its row in the padded tensor seen as (T*N, *): step t's i-th
    row is sequence order[i] at step t."""
    batch_sizes = np.asarray(batch_sizes, dtype=np.int64)
    steps = np.repeat(np.arange(len(batch_sizes)), batch_sizes)
    within_step = np.arange(batch_sizes.sum()) - np.repeat(np.cumsum(batch_sizes) - batch_sizes, batch_sizes)
    return steps * len(order) + order[within_step]


def _checked_batch_sizes(batch_sizes, data):
    """batch_sizes as an int64 CPU tensor, checked against data: positive, never increasing, summing
    to data's rows."""
    if isinstance(batch_sizes, Tensor):
        if batch_sizes.device.type != "cpu":
            raise InputError(f"PackedSequence: batch_sizes must be on the CPU, got a tensor on {batch_sizes.device}")
        sizes = batch_sizes.numpy()
    else:
        sizes = np.asarray(batch_sizes)
    if sizes.ndim != 1 or not len(sizes) or sizes.dtype.kind not in "iu":
        raise InputError(f"PackedSequence: batch_sizes must be a 1-D integer tensor of at least one step, got shape "
                         f"{tuple(sizes.shape)} of {sizes.dtype}")
    if sizes[-1] < 1 or (np.diff(sizes) > 0).any():
        raise InputError(f"PackedSequence: batch_sizes must be positive and never increase (sequences longest "
                         f"first), got {sizes.tolist()}")
    if int(sizes.sum()) != data.shape[0]:
        raise InputError(f"PackedSequence: batch_sizes sum to {int(sizes.sum())} steps but data has "
                         f"{data.shape[0]} rows")
    return batch_sizes if isinstance(batch_sizes, Tensor) and sizes.dtype == np.int64 else Tensor(
        sizes.astype(np.int64))


def _check_permutation(indices, batch, name):
    values = indices.cpu().numpy() if isinstance(indices, Tensor) else None
    if values is None or values.shape != (batch,) or not np.array_equal(np.sort(values), np.arange(batch)):
        raise InputError(f"PackedSequence: {name} must be a tensor permuting the {batch} sequences (0 to "
                         f"{batch - 1}, each once), got {values.tolist() if values is not None else indices!r}")


def pad_sequence(sequences, batch_first=False, padding_value=0.0, padding_side="right"):
    """Tensors (L_i, *) -> one (max L, N, *) tensor (or (N, max L, *) with batch_first), padded at the end
    (``padding_side="right"``) or at the start ("left", as decoder-only language models take prompts)."""
    if padding_side not in ("right", "left"):
        raise InputError(f"pad_sequence: padding_side must be 'left' or 'right', got {padding_side!r}")
    sequences = list(sequences)
    if not sequences:
        raise InputError("pad_sequence: expected at least one sequence")
    longest = max(len(sequence) for sequence in sequences)

    def padding(sequence):
        missing = longest - len(sequence)
        return ((0, missing) if padding_side == "right" else (missing, 0),) + ((0, 0),) * (sequence.ndim - 1)

    return stack([sequence.pad(padding(sequence), padding_value) for sequence in sequences],
                 axis=0 if batch_first else 1)


def _checked_lengths(lengths, batch, longest, enforce_sorted, name):
    lengths = np.asarray(lengths.numpy() if isinstance(lengths, Tensor) else lengths, dtype=np.int64).reshape(-1)
    if lengths.shape != (batch,):
        raise InputError(f"{name}: expected {batch} lengths (one per sequence), got {lengths.shape[0]}")
    if lengths.min() <= 0 or lengths.max() > longest:
        raise InputError(f"{name}: lengths must be in [1, {longest}], got {lengths.tolist()}")
    if enforce_sorted and (np.diff(lengths) > 0).any():
        raise InputError(f"{name}: lengths {lengths.tolist()} are not sorted longest first; sort the batch or pass "
                         "enforce_sorted=False")
    return lengths


def pack_padded_sequence(input, lengths, batch_first=False, enforce_sorted=True):
    """Padded sequences (L, N, *) (or (N, L, *) with batch_first) and their lengths -> a PackedSequence.
    ``enforce_sorted``: the lengths must be in decreasing order (PyTorch's rule); False accepts any
    (sorted_indices then orders the batch longest first, ties in batch order)."""
    padded = input.transpose(0, 1) if batch_first else input
    lengths = _checked_lengths(lengths, padded.shape[1], padded.shape[0], enforce_sorted, "pack_padded_sequence")
    sorted_indices = None if enforce_sorted else Tensor(np.argsort(-lengths, kind="stable")).to(padded.device)
    padded = padded[:int(lengths.max())]
    # The recurrent layers step through the padding too (and keep their states there), so it is
    # read as zeros: an inf or NaN in it must not reach the states or the gradients, as in PyTorch.
    padded = padded.masked_fill(_beyond_lengths(padded, lengths), 0)
    return PackedSequence._from_padded(padded, lengths, sorted_indices)


def pack_sequence(sequences, enforce_sorted=True):
    """Tensors (L_i, *) -> a PackedSequence."""
    sequences = list(sequences)
    return pack_padded_sequence(pad_sequence(sequences), [len(sequence) for sequence in sequences],
                                enforce_sorted=enforce_sorted)


def pad_packed_sequence(sequence, batch_first=False, padding_value=0.0, total_length=None):
    """A PackedSequence -> (padded tensor (L, N, *) or (N, L, *), lengths as an int64 tensor)."""
    padded, lengths = sequence._padded_and_lengths()
    length = padded.shape[0]
    if total_length is not None:
        if total_length < length:
            raise InputError(f"pad_packed_sequence: total_length {total_length} is shorter than the longest "
                             f"sequence ({length})")
        padded = padded.pad(((0, total_length - length),) + ((0, 0),) * (padded.ndim - 1))
    # past each sequence's end: padding_value (whatever the packed tensor held there)
    padded = padded.masked_fill(_beyond_lengths(padded, lengths), padding_value)
    return (padded.transpose(0, 1) if batch_first else padded), Tensor(lengths.copy())


def _beyond_lengths(padded, lengths):
    """True at the steps of a padded time-major tensor (T, N, *) past each sequence's length: a
    boolean (T, N, 1, ...) on its device."""
    beyond = np.arange(padded.shape[0])[:, None] >= lengths[None, :]
    return Tensor(beyond.reshape(beyond.shape + (1,) * (padded.ndim - 2))).to(padded.device)


def unpad_sequence(padded_sequences, lengths, batch_first=False):
    """The list of sequences, each cut to its length, from a padded tensor (L, N, *) or (N, L, *)."""
    padded = padded_sequences if batch_first else padded_sequences.transpose(0, 1)
    lengths = lengths.numpy() if isinstance(lengths, Tensor) else np.asarray(lengths)
    return [padded[index, :int(length)] for index, length in enumerate(lengths)]


def unpack_sequence(packed_sequences):
    """The list of sequences a PackedSequence holds, in their original order."""
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)


def invert_permutation(permutation):
    """The permutation that undoes ``permutation`` (None stays None)."""
    if permutation is None:
        return None
    inverse = np.empty(permutation.shape[0], dtype=np.int64)
    inverse[permutation.cpu().numpy()] = np.arange(permutation.shape[0])
    return Tensor(inverse).to(permutation.device)
