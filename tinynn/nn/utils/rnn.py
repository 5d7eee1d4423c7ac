"""Sequences of different lengths for the recurrent layers, as ``torch.nn.utils.rnn``: padding them
into one tensor, and "packing" them so that RNN, LSTM and GRU stop each sequence at its own end.

A ``PackedSequence`` keeps the padded, time-major tensor (L, N, *) and the lengths (on the host, as
PyTorch requires them). The recurrent layers run every sequence up to its length: past it the
state is carried unchanged, so h_n is each sequence's state at its last real step, and a
bidirectional layer's reverse pass starts each sequence at its own end. ``data`` and
``batch_sizes`` give PyTorch's packed layout (time step by time step, longest sequences first).
"""
import numpy as np

from ...tensor import Tensor, concatenate, stack


class PackedSequence:
    """Use ``pack_padded_sequence`` or ``pack_sequence`` to make one, ``pad_packed_sequence`` to get
    the padded tensor back."""

    def __init__(self, padded, lengths, enforce_sorted=True):
        self.padded, self.lengths = padded, np.asarray(lengths, dtype=np.int64)
        self.enforce_sorted = enforce_sorted

    @property
    def sorted_indices(self):
        """The batch order of ``data``, longest first (None when the input was sorted already, as PyTorch)."""
        return None if self.enforce_sorted else Tensor(self._order())

    @property
    def unsorted_indices(self):
        return None if self.enforce_sorted else Tensor(np.argsort(self._order(), kind="stable"))

    def _order(self):
        return np.argsort(-self.lengths, kind="stable")

    @property
    def batch_sizes(self):
        """How many sequences are still running at each time step (an int64 CPU tensor, as PyTorch)."""
        return Tensor((np.arange(self.lengths.max())[:, None] < self.lengths[None, :]).sum(axis=1).astype(np.int64))

    @property
    def data(self):
        """All the real steps, time step by time step and within one the longest sequences first:
        (sum of lengths, *). Differentiable (a gather of the padded tensor)."""
        order = self._order()
        sizes = self.batch_sizes.numpy()
        return concatenate([self.padded[t][order[:size]] for t, size in enumerate(sizes)])

    def to(self, device):
        return PackedSequence(self.padded.to(device), self.lengths, self.enforce_sorted)


def pad_sequence(sequences, batch_first=False, padding_value=0.0, padding_side="right"):
    """Tensors (L_i, *) -> one (max L, N, *) tensor (or (N, max L, *) with batch_first), padded at the end
    (``padding_side="right"``) or at the start ("left", as decoder-only language models take prompts)."""
    if padding_side not in ("right", "left"):
        raise ValueError(f"pad_sequence: padding_side must be 'left' or 'right', got {padding_side!r}")
    sequences = list(sequences)
    if not sequences:
        raise ValueError("pad_sequence: expected at least one sequence")
    longest = max(len(sequence) for sequence in sequences)

    def padding(sequence):
        missing = longest - len(sequence)
        return ((0, missing) if padding_side == "right" else (missing, 0),) + ((0, 0),) * (sequence.ndim - 1)

    return stack([sequence.pad(padding(sequence), padding_value) for sequence in sequences],
                 axis=0 if batch_first else 1)


def _checked_lengths(lengths, batch, longest, enforce_sorted, name):
    lengths = np.asarray(lengths.numpy() if isinstance(lengths, Tensor) else lengths, dtype=np.int64).reshape(-1)
    if lengths.shape != (batch,):
        raise ValueError(f"{name}: expected {batch} lengths (one per sequence), got {lengths.shape[0]}")
    if lengths.min() <= 0 or lengths.max() > longest:
        raise ValueError(f"{name}: lengths must be in [1, {longest}], got {lengths.tolist()}")
    if enforce_sorted and (np.diff(lengths) > 0).any():
        raise ValueError(f"{name}: lengths {lengths.tolist()} are not sorted longest first; sort the batch or pass "
                         "enforce_sorted=False")
    return lengths


def pack_padded_sequence(input, lengths, batch_first=False, enforce_sorted=True):
    """Padded sequences (L, N, *) (or (N, L, *) with batch_first) and their lengths -> a PackedSequence.
    ``enforce_sorted``: the lengths must be in decreasing order (PyTorch's rule); False accepts any."""
    padded = input.transpose(0, 1) if batch_first else input
    lengths = _checked_lengths(lengths, padded.shape[1], padded.shape[0], enforce_sorted, "pack_padded_sequence")
    return PackedSequence(padded[:int(lengths.max())], lengths, enforce_sorted)


def pack_sequence(sequences, enforce_sorted=True):
    """Tensors (L_i, *) -> a PackedSequence."""
    sequences = list(sequences)
    return pack_padded_sequence(pad_sequence(sequences), [len(sequence) for sequence in sequences],
                                enforce_sorted=enforce_sorted)


def pad_packed_sequence(sequence, batch_first=False, padding_value=0.0, total_length=None):
    """A PackedSequence -> (padded tensor (L, N, *) or (N, L, *), lengths as an int64 tensor)."""
    padded = sequence.padded
    length = padded.shape[0]
    if total_length is not None:
        if total_length < length:
            raise ValueError(f"pad_packed_sequence: total_length {total_length} is shorter than the longest "
                             f"sequence ({length})")
        padded = padded.pad(((0, total_length - length),) + ((0, 0),) * (padded.ndim - 1))
    # past each sequence's end: padding_value (whatever the packed tensor held there)
    beyond = np.arange(padded.shape[0])[:, None] >= sequence.lengths[None, :]
    beyond = Tensor(beyond.reshape(beyond.shape + (1,) * (padded.ndim - 2))).to(padded.device)
    padded = padded.masked_fill(beyond, padding_value)
    return (padded.transpose(0, 1) if batch_first else padded), Tensor(sequence.lengths.copy())


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
    inverse[permutation.numpy()] = np.arange(permutation.shape[0])
    return Tensor(inverse).to(permutation.device)
