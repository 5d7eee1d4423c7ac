"""Recurrent layers as PyTorch has them: ``RNN``, ``LSTM``, ``GRU`` (whole sequences, stacked layers,
both directions) and ``RNNCell``, ``LSTMCell``, ``GRUCell`` (one step). The math and the
back-propagation through time are in nn/functional/recurrent.py; parameters, shapes, initial
states and the layer/direction bookkeeping are here, with PyTorch's names, so state dicts move
between the two.

Speed: a recurrent layer is mostly small matrix products, one after another. tinynn keeps
OpenBLAS on one thread (see tinynn/blas.py, right for convnets); for recurrent models
``tinynn.set_blas_threads(os.cpu_count())`` pays: an LSTM(28, 128) over 28 steps at batch 128,
forward and backward, measured 31 ms with one thread and 24 ms with two (PyTorch: 13-15 ms).
Sequences of different lengths: ``nn.utils.rnn.pack_padded_sequence``/``pack_sequence`` (each
sequence stops at its own end; see nn/utils/rnn.py). ``LSTM(..., proj_size=P)`` projects each
h_t to P features (``weight_hr``), as PyTorch's.
"""
import math
import warnings

import numpy as np

from ...errors import InputError
from ... import backend
from ...size import as_int
from ...tensor import Tensor, concatenate, stack, zeros
from .. import functional as F, init
from ..functional.recurrent import CELLS, recurrence
from ..functional.validation import check_float
from ..parameter import Parameter
from ..utils.rnn import PackedSequence
from .module import Module


def _check_sizes(name, **sizes):
    for what, value in sizes.items():
        value = as_int(value)
        if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
            raise InputError(f"{name}: {what} must be a positive int, got {value!r}")


class _Recurrent(Module):
    """Holds W_ih, W_hh, b_ih, b_hh for each layer and direction, initialised as PyTorch does:
    every value from U(-1/sqrt(H), 1/sqrt(H))."""

    MODE = None  # "LSTM" or "GRU"; an Elman RNN's comes from its nonlinearity

    proj_size = 0  # an LSTM's h_t may be projected to fewer features (RNNBase)

    def _add_weights(self, suffix, input_size, gate_rows, bias):
        self.register_parameter("weight_ih" + suffix, Parameter(zeros(gate_rows, input_size)))
        self.register_parameter("weight_hh" + suffix, Parameter(zeros(gate_rows, self.proj_size or self.hidden_size)))
        self.register_parameter("bias_ih" + suffix, Parameter(zeros(gate_rows)) if bias else None)
        self.register_parameter("bias_hh" + suffix, Parameter(zeros(gate_rows)) if bias else None)
        if self.proj_size:
            self.register_parameter("weight_hr" + suffix, Parameter(zeros(self.proj_size, self.hidden_size)))

    def _weights(self, suffix):
        return tuple(self._parameters[name + suffix] for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"))

    def reset_parameters(self):
        bound = 1 / math.sqrt(self.hidden_size)
        for param in self.parameters():
            init.uniform_(param, -bound, bound)

    def _initial_state(self, hx, shape, batched, device, dtype, what):
        """The given initial state checked against ``shape`` (batched), or zeros."""
        if hx is None:
            return zeros(*shape, dtype=dtype, device=device)
        expected = shape if batched else shape[:-2] + shape[-1:]
        if not isinstance(hx, Tensor) or tuple(hx.shape) != expected:
            got = tuple(hx.shape) if isinstance(hx, Tensor) else type(hx).__name__
            raise InputError(f"{self._name()}: expected {what} of shape {expected}, got {got}")
        return hx if batched else hx.unsqueeze(-2)

    def _check_input(self, input, sequence, batch_first=False):
        """Checks a layer's (L, N, I) or (L, I) input (time second for batch_first: (N, L, I)) or a
        cell's (N, I) or (I,); True when batched. An empty batch is fine (an empty output, as in
        PyTorch); a sequence of no steps is not."""
        name = self._name()
        check_float(input, name)
        batched_ndim = 3 if sequence else 2
        if input.ndim not in (batched_ndim - 1, batched_ndim):
            layout = "(L, N, I) or (L, I)" if sequence else "(N, I) or (I,)"
            raise InputError(f"{name}: expected {layout} input, got a {input.ndim}-D tensor of shape {tuple(input.shape)}")
        if input.shape[-1] != self.input_size:
            raise InputError(f"{name}: expected {self.input_size} input features in the last axis, "
                             f"got input of shape {tuple(input.shape)}")
        batched = input.ndim == batched_ndim
        if sequence and input.shape[1 if batch_first and batched else 0] == 0:
            raise InputError(f"{name}: expected a sequence of at least one step, got input of shape {tuple(input.shape)}")
        return batched

    def _name(self):
        return f"{type(self).__name__}({self.input_size}, {self.hidden_size})"

    def _set_mode(self, nonlinearity):
        """The cell kind: the class's MODE (LSTM, GRU), or for an Elman RNN its nonlinearity's."""
        self.mode = self.MODE if self.MODE else {"tanh": "RNN_TANH", "relu": "RNN_RELU"}.get(nonlinearity)
        if self.mode is None:
            raise InputError(f"{type(self).__name__}: nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
        self.nonlinearity = nonlinearity

    def _state_pair(self, hx):
        if not isinstance(hx, (tuple, list)) or len(hx) != 2:
            raise InputError(f"{self._name()}: expected hx as a pair (h_0, c_0), got {type(hx).__name__}")
        return hx


class RNNBase(_Recurrent):
    """What RNN, LSTM and GRU share: stacked, optionally bidirectional layers over a sequence (the
    cell from the subclass's MODE), as PyTorch's RNNBase."""

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
                 bidirectional=False, proj_size=0, device=None, dtype=None, nonlinearity="tanh"):
        super().__init__()
        name = type(self).__name__
        _check_sizes(name, input_size=input_size, hidden_size=hidden_size, num_layers=num_layers)
        if proj_size != 0:
            _check_sizes(name, proj_size=proj_size)
            if self.MODE != "LSTM":
                raise InputError(f"{name}: proj_size is only supported for LSTM, not RNN or GRU")
            if proj_size >= hidden_size:
                raise InputError(f"{name}: proj_size ({proj_size}) has to be smaller than hidden_size ({hidden_size})")
        self.proj_size = proj_size
        if not isinstance(dropout, (int, float)) or not 0 <= dropout < 1:
            raise InputError(f"{name}: dropout must be in [0, 1), got {dropout!r}")
        if dropout and num_layers == 1:
            warnings.warn(f"{name}: dropout={dropout} acts between stacked layers, so it does nothing with "
                          "num_layers=1", stacklevel=2)
        self.input_size, self.hidden_size, self.num_layers = input_size, hidden_size, num_layers
        self.bias, self.batch_first, self.dropout, self.bidirectional = bias, batch_first, float(dropout), bidirectional
        self._set_mode(nonlinearity)
        gate_rows = CELLS[self.mode]().gate_blocks * hidden_size
        for layer in range(num_layers):
            layer_input = input_size if layer == 0 else self.output_size * self.directions
            for direction in range(self.directions):
                self._add_weights(self._suffix(layer, direction), layer_input, gate_rows, bias)
        self.reset_parameters()
        if dtype is not None:
            self.to(dtype=dtype)
        self.to(backend.canonical_device(device))  # (None: the default device)

    @property
    def directions(self):
        return 2 if self.bidirectional else 1

    @property
    def output_size(self):
        """The size of h_t: hidden_size, or proj_size when projected."""
        return self.proj_size or self.hidden_size

    @staticmethod
    def _suffix(layer, direction):
        return f"_l{layer}" + ("_reverse" if direction else "")

    @property
    def all_weights(self):
        """The parameters of each layer and direction in PyTorch's order, [[w_ih, w_hh, b_ih, b_hh, w_hr], ...]
        (those the layer has)."""
        names = ("weight_ih", "weight_hh", "bias_ih", "bias_hh", "weight_hr")
        return [[self._parameters[name + suffix] for name in names if self._parameters.get(name + suffix) is not None]
                for suffix in (self._suffix(layer, direction) for layer in range(self.num_layers)
                               for direction in range(self.directions))]

    def flatten_parameters(self):
        """PyTorch's packs the weights into one cuDNN buffer (and does nothing on the CPU); tinynn's
        recurrence reads each weight where it lies, so there is nothing to pack: scripts that call it
        before every forward run unchanged."""

    def forward(self, input, hx=None):
        """input (L, N, I) ((N, L, I) with batch_first, or (L, I) unbatched, or a PackedSequence of
        sequences of different lengths) -> (output, h_n), for an LSTM (output, (h_n, c_n)): output
        (L, N, D*H) (a PackedSequence for one) holds the last layer's h_t for every step (D = 2
        directions side by side when bidirectional); h_n, c_n (layers*D, N, H) the final states, each
        sequence's at its own last step. With proj_size P, h_t, h_0 and h_n have P features."""
        packed = input if isinstance(input, PackedSequence) else None
        lengths = None
        if packed is not None:
            input, lengths = packed._padded_and_lengths()  # time-major whatever batch_first says, as in PyTorch
        batched = self._check_input(input, sequence=True, batch_first=self.batch_first and packed is None)
        x = input if batched else input.unsqueeze(1)
        if self.batch_first and batched and packed is None:
            x = x.transpose(0, 1)
        state_shape = (self.num_layers * self.directions, x.shape[1], self.output_size)
        if self.mode == "LSTM":
            h0, c0 = (None, None) if hx is None else self._state_pair(hx)
            initial = [self._initial_state(h0, state_shape, batched, x.device, x.dtype, "h_0"),
                       self._initial_state(c0, state_shape[:2] + (self.hidden_size,), batched, x.device, x.dtype,
                                           "c_0")]
        else:
            initial = [self._initial_state(hx, state_shape, batched, x.device, x.dtype, "hx")]
        spans = [(0, self.output_size), (self.output_size, self.output_size + self.hidden_size)][:len(initial)]
        final_parts = [[] for _ in initial]
        for layer in range(self.num_layers):
            outputs = []
            for direction in range(self.directions):
                index = layer * self.directions + direction
                suffix = self._suffix(layer, direction)
                states = recurrence(self.mode, x, *self._weights(suffix), tuple(part[index] for part in initial),
                                    reverse=bool(direction), lengths=lengths,
                                    weight_hr=self._parameters["weight_hr" + suffix] if self.proj_size else None)
                for (start, end), finals in zip(spans, final_parts):
                    finals.append(self._final_state(states, direction, lengths)[:, start:end])
                outputs.append(states[:, :, :self.output_size] if len(initial) > 1 else states)
            x = concatenate(outputs, axis=2) if len(outputs) > 1 else outputs[0]
            if self.dropout and self.training and layer < self.num_layers - 1:
                x = F.dropout(x, self.dropout)
        finals = [stack(parts) for parts in final_parts]
        if packed is not None:
            x = PackedSequence._from_padded(x, lengths, packed.sorted_indices)
        elif self.batch_first and batched:
            x = x.transpose(0, 1)
        if not batched:
            x, finals = x.squeeze(1), [part.squeeze(1) for part in finals]
        return x, (tuple(finals) if self.mode == "LSTM" else finals[0])

    @staticmethod
    def _final_state(states, direction, lengths):
        """The state a direction ends in: a reverse pass at the first step; a forward one at the
        last step, or, with lengths, at each sequence's own last step."""
        if direction:
            return states[0]
        if lengths is None:
            return states[-1]
        return states[lengths - 1, np.arange(len(lengths))]

    def extra_repr(self):
        text = f"{self.input_size}, {self.hidden_size}"
        if self.num_layers != 1:
            text += f", num_layers={self.num_layers}"
        if self.mode == "RNN_RELU":
            text += ", nonlinearity='relu'"
        for option, default in (("bias", True), ("batch_first", False), ("dropout", 0.0), ("bidirectional", False),
                                ("proj_size", 0)):
            if getattr(self, option) != default:
                text += f", {option}={getattr(self, option)}"
        return text


class RNN(RNNBase):
    """Elman RNN: h_t = tanh(x_t W_ih^T + b_ih + h_(t-1) W_hh^T + b_hh) (or relu), per layer."""


class LSTM(RNNBase):
    """Long short-term memory: input, forget, cell and output gates (see functional.recurrent.LSTMCell)."""

    MODE = "LSTM"


class GRU(RNNBase):
    """Gated recurrent unit: reset and update gates (see functional.recurrent.GRUCell)."""

    MODE = "GRU"


class RNNCellBase(_Recurrent):
    """One time step: weight_ih (G*H, I), weight_hh (G*H, H), bias_ih, bias_hh (G*H,)."""

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None, nonlinearity="tanh"):
        super().__init__()
        _check_sizes(type(self).__name__, input_size=input_size, hidden_size=hidden_size)
        self.input_size, self.hidden_size, self.bias = input_size, hidden_size, bias
        self._set_mode(nonlinearity)
        self._add_weights("", input_size, CELLS[self.mode]().gate_blocks * hidden_size, bias)
        self.reset_parameters()
        if dtype is not None:
            self.to(dtype=dtype)
        self.to(backend.canonical_device(device))  # (None: the default device)

    def forward(self, input, hx=None):
        """input (N, I) or (I,) -> h' (N, H), or for an LSTMCell (h', c'); hx defaults to zeros."""
        batched = self._check_input(input, sequence=False)
        x = (input if batched else input.unsqueeze(0)).unsqueeze(0)  # a sequence of one step
        state_shape = (x.shape[1], self.hidden_size)
        if self.mode == "LSTM":
            h0, c0 = (None, None) if hx is None else self._state_pair(hx)
            initial = (self._initial_state(h0, state_shape, batched, x.device, x.dtype, "h_0"),
                       self._initial_state(c0, state_shape, batched, x.device, x.dtype, "c_0"))
        else:
            initial = (self._initial_state(hx, state_shape, batched, x.device, x.dtype, "hx"),)
        states = recurrence(self.mode, x, *self._weights(""), initial)[0]
        hidden = self.hidden_size
        parts = [states[:, k * hidden:(k + 1) * hidden] for k in range(len(initial))] if len(initial) > 1 else [states]
        if not batched:
            parts = [part.squeeze(0) for part in parts]
        return tuple(parts) if self.mode == "LSTM" else parts[0]

    def extra_repr(self):
        text = f"{self.input_size}, {self.hidden_size}"
        if not self.bias:
            text += ", bias=False"
        if self.mode == "RNN_RELU":
            text += ", nonlinearity='relu'"
        return text


class RNNCell(RNNCellBase):
    """One Elman step: h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh) (or relu)."""


class LSTMCell(RNNCellBase):
    """One LSTM step: (h', c') from x and (h, c)."""

    MODE = "LSTM"


class GRUCell(RNNCellBase):
    """One GRU step: h' from x and h."""

    MODE = "GRU"
