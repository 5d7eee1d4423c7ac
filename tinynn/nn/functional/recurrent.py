"""Recurrent layers: one time step of an Elman RNN, an LSTM and a GRU, each with its backward
beside it, and ``Recurrence``, which runs a cell over a sequence and back-propagates through time.

Shapes: L time steps, N batch, I input features, H hidden units, G gate blocks per cell (1 for
an Elman RNN, 4 for an LSTM, 3 for a GRU). The weights are PyTorch's: W_ih (G*H, I), W_hh (G*H, H),
b_ih and b_hh (G*H,), the gate blocks stacked in PyTorch's order.

Every cell step sees its input through P_t = x_t W_ih^T + b_ih and its previous hidden state
through Q_t = h_(t-1) W_hh^T + b_hh. P for all L steps is one matrix product before the loop
(only Q must wait for the previous step), and in the backward pass dL/dx, dL/dW_ih and dL/db_ih
are one matrix product each after the loop, from the dL/dP of every step; so are dL/dW_hh and
dL/db_hh, from the dL/dQ of every step (only dL/dh_(t-1) must wait for the later step). A cell's step maps
(P_t, Q_t, previous state) to the new state; its backward writes dL/dP_t and dL/dQ_t into the
arrays of all steps and returns the part of dL/d(previous state) that does not go through Q_t;
``Recurrence`` does the rest.

A sigmoid gate is computed as sigmoid(a) = (tanh(a/2) + 1)/2 (one tanh, which never overflows,
as ops.Sigmoid). The halving is folded into the weights: a cell names a scale per gate column
(``gate_scale``: 1/2 for the sigmoid gates, 1 for the tanh ones) and ``Recurrence`` multiplies
W_ih, W_hh and the biases' rows by it once, so the cell's step receives s*P_t and s*Q_t and saves
a pass over them every step. s is a power of two: s*P_t is exactly what scaling after the product
gives. The backward passes are the unscaled math, with the unscaled weights.
"""
import itertools

import numpy as np

from ... import backend, mixed_precision, parallel
from ...autograd import Function
from ...fused import ElementwiseKernel
from ...ops.reduction import sum_rows


def _sigmoid_of_double(xp, half):
    """sigmoid(a) from half = a/2 (a sigmoid gate's pre-activation as the cell receives it)."""
    return (xp.tanh(half) + 1) * 0.5


def _blocks(array, count):
    """(N, count*H) -> ``count`` views (N, H), one per gate block."""
    hidden = array.shape[1] // count
    return [array[:, k * hidden:(k + 1) * hidden] for k in range(count)]


# On the GPU an LSTM or GRU step, and its backward, is one fused kernel each (see tinynn.fused)
# instead of about a dozen array operations: the math of the cells below, written per gate (the
# sigmoid gates' inputs arrive halved, see gate_scale).
LSTM_STEP = ElementwiseKernel(
    "T p_i, T p_f, T p_g, T p_o, T q_i, T q_f, T q_g, T q_o, T c_before",
    "T gate_i, T gate_f, T gate_g, T gate_o, T c, T tanh_c, T h", """
gate_i = (tanh(p_i + q_i) + 1) * 0.5;
gate_f = (tanh(p_f + q_f) + 1) * 0.5;
gate_g = tanh(p_g + q_g);
gate_o = (tanh(p_o + q_o) + 1) * 0.5;
c = gate_f * c_before + gate_i * gate_g;
tanh_c = tanh(c);
h = gate_o * tanh_c;
""", "tinynn_lstm_step")
LSTM_STEP_BACKWARD = ElementwiseKernel(
    "T gh, T gc, T gate_i, T gate_f, T gate_g, T gate_o, T tanh_c, T c_before", "T d_i, T d_f, T d_g, T d_o, T gc_before",
    """
T dc = gc + gh * gate_o * (1 - tanh_c * tanh_c);
d_i = dc * gate_g * gate_i * (1 - gate_i);
d_f = dc * c_before * gate_f * (1 - gate_f);
d_g = dc * gate_i * (1 - gate_g * gate_g);
d_o = gh * tanh_c * gate_o * (1 - gate_o);
gc_before = dc * gate_f;
""", "tinynn_lstm_step_backward")
GRU_STEP = ElementwiseKernel(
    "T p_r, T p_z, T p_n, T q_r, T q_z, T q_n, T h_before", "T reset, T update, T candidate, T h", """
reset = (tanh(p_r + q_r) + 1) * 0.5;
update = (tanh(p_z + q_z) + 1) * 0.5;
candidate = tanh(p_n + reset * q_n);
h = candidate + update * (h_before - candidate);
""", "tinynn_gru_step")
GRU_STEP_BACKWARD = ElementwiseKernel(
    "T gh, T reset, T update, T candidate, T q_n, T h_before",
    "T dp_r, T dp_z, T dp_n, T dq_r, T dq_z, T dq_n, T gh_before", """
dp_n = gh * (1 - update) * (1 - candidate * candidate);
dp_z = gh * (h_before - candidate) * update * (1 - update);
dp_r = dp_n * q_n * reset * (1 - reset);
dq_r = dp_r;
dq_z = dp_z;
dq_n = dp_n * reset;
gh_before = gh * update;
""", "tinynn_gru_step_backward")


class Cell:
    """What ``Recurrence`` asks of a cell: ``gate_blocks``; ``recurrent_grad_is_projected_grad``,
    whether it sees P_t and Q_t only as their sum (then dL/dQ_t = dL/dP_t, and b_hh can join P_t
    before the loop); ``step`` and ``step_backward`` (see the subclasses); and ``prepare``, run
    once before the steps, which may then run on several threads at once. After ``prepare``,
    ``gate_scale`` is the (G*H,) scale s of the pre-activations' columns, or None for none: ``step``
    receives s*P_t and s*Q_t, ``step_backward`` returns the gradients of the unscaled P_t and Q_t.

    ``step_backward(xp, grads, saved, state, g_projected, g_recurrent)`` writes dL/dP_t and dL/dQ_t
    into the (N, G*H) arrays it is given (one array when they are equal) and returns the part of
    dL/d(previous state) that does not go through Q_t."""

    gate_scale = None

    def prepare(self, xp, hidden, dtype):
        """Makes the constants the steps share (none by default) for ``hidden`` units of ``dtype``."""


class ElmanCell(Cell):
    """h_t = act(P_t + Q_t), act = tanh or relu.  State (h,).

    Backward: dL/dA = dL/dh_t * act'(A), which is 1 - h_t^2 for tanh and [h_t > 0] for relu;
    dL/dP_t = dL/dQ_t = dL/dA, and h_(t-1) reaches h_t through Q_t only.
    """

    gate_blocks = 1
    recurrent_grad_is_projected_grad = True

    def __init__(self, nonlinearity):
        self.nonlinearity = nonlinearity

    def step(self, xp, projected, recurrent, state):
        pre_activation = projected + recurrent
        h = xp.tanh(pre_activation) if self.nonlinearity == "tanh" else xp.maximum(pre_activation, 0)
        return (h,), h

    def step_backward(self, xp, grads, saved, state, g_projected, g_recurrent):
        (gh,), h = grads, saved
        xp.multiply(gh, 1 - h * h if self.nonlinearity == "tanh" else h > 0, out=g_projected)
        return (None,)


class LSTMCell(Cell):
    """Gates from A = P_t + Q_t, split into blocks (i, f, g, o) of H columns:
        i = sigmoid(A_i), f = sigmoid(A_f), g = tanh(A_g), o = sigmoid(A_o)
        c_t = f * c_(t-1) + i * g,    h_t = o * tanh(c_t).    State (h, c).

    Backward, from dL/dh_t and dL/dc_t (each the sum of what later steps and the outputs send):
        dc = dL/dc_t + dL/dh_t * o * (1 - tanh(c_t)^2)        (the total gradient of c_t)
        dA_i = dc * g * i (1 - i),   dA_f = dc * c_(t-1) * f (1 - f),   dA_g = dc * i * (1 - g^2),
        dA_o = dL/dh_t * tanh(c_t) * o (1 - o)
        dL/dP_t = dL/dQ_t = dA,   dL/dc_(t-1) = dc * f  (the cell state's direct path)

    All four gates come from one tanh over s*A (the scaled pre-activation the step receives, see
    ``gate_scale``): sigmoid(a) = tanh(a/2)/2 + 1/2, so with s = 1/2 on the sigmoid blocks and 1 on
    g, gate = s * tanh(s A) + shift (1/2 on the sigmoid blocks, 0 on g). Its derivative,
    s^2 (1 - tanh(s A)^2) = s^2 - (gate - shift)^2, comes from the gate itself, the one array of the
    four blocks the backward pass keeps. Whole-array passes instead of one per gate: faster.
    """

    gate_blocks = 4
    recurrent_grad_is_projected_grad = True

    def prepare(self, xp, hidden, dtype):
        """s, the shift and s^2, built on the device (no upload)."""
        scale, shift = xp.full(4 * hidden, 0.5, dtype=dtype), xp.full(4 * hidden, 0.5, dtype=dtype)
        scale[2 * hidden:3 * hidden], shift[2 * hidden:3 * hidden] = 1, 0
        self.gate_scale, self.shift, self.slope = scale, shift, scale * scale

    def step(self, xp, projected, recurrent, state):
        _, c_before = state
        if backend.is_gpu_array(projected):
            i, f, g, o, c, tanh_c, h = LSTM_STEP(*_blocks(projected, 4), *_blocks(recurrent, 4), c_before)
            return (h, c), (i, f, g, o, tanh_c)
        gates = xp.tanh(projected + recurrent) * self.gate_scale + self.shift
        i, f, g, o = _blocks(gates, 4)
        c = f * c_before + i * g
        tanh_c = xp.tanh(c)
        return (o * tanh_c, c), (gates, tanh_c)

    def step_backward(self, xp, grads, saved, state, g_gates, g_recurrent):
        gh, gc = grads
        _, c_before = state
        if backend.is_gpu_array(gh):
            gc_before = xp.empty_like(c_before)
            LSTM_STEP_BACKWARD(gh, gc, *saved, c_before, *_blocks(g_gates, 4), gc_before)
            return (None, gc_before)
        gates, tanh_c = saved
        i, f, g, o = _blocks(gates, 4)
        dc = gc + gh * o * (1 - tanh_c * tanh_c)
        # dL/d(gate) block by block, then times the gates' derivatives at once
        for block, (upstream, factor) in zip(_blocks(g_gates, 4), ((dc, g), (dc, c_before), (dc, i), (gh, tanh_c))):
            xp.multiply(upstream, factor, out=block)
        centred = gates - self.shift
        g_gates *= self.slope - centred * centred
        return (None, dc * f)


class GRUCell(Cell):
    """With P_t and Q_t split into blocks (r, z, n) of H columns:
        r = sigmoid(P_r + Q_r),  z = sigmoid(P_z + Q_z),  n = tanh(P_n + r * Q_n)
        h_t = (1 - z) * n + z * h_(t-1).    State (h,).

    Backward, from dL/dh_t:
        dA_n = dL/dh_t * (1 - z) * (1 - n^2),   dA_z = dL/dh_t * (h_(t-1) - n) * z (1 - z),
        dA_r = dA_n * Q_n * r (1 - r)
        dL/dP_t = (dA_r, dA_z, dA_n),   dL/dQ_t = (dA_r, dA_z, dA_n * r),
        and h_(t-1)'s direct path: dL/dh_t * z.
    r and z are computed together, as one (N, 2H) block, from their halved pre-activations
    (``gate_scale`` 1/2 on r and z, 1 on n).
    """

    gate_blocks = 3
    recurrent_grad_is_projected_grad = False  # dL/dQ_n = dA_n * r

    def prepare(self, xp, hidden, dtype):
        self.gate_scale = xp.full(3 * hidden, 0.5, dtype=dtype)
        self.gate_scale[2 * hidden:] = 1

    def step(self, xp, projected, recurrent, state):
        (h_before,) = state
        if backend.is_gpu_array(projected):
            recurrent_n = _blocks(recurrent, 3)[2]
            r, z, n, h = GRU_STEP(*_blocks(projected, 3), *_blocks(recurrent, 3), h_before)
            return (h,), (r, z, n, recurrent_n)
        hidden = h_before.shape[1]
        reset_update = _sigmoid_of_double(xp, projected[:, :2 * hidden] + recurrent[:, :2 * hidden])
        r, z = reset_update[:, :hidden], reset_update[:, hidden:]
        recurrent_n = recurrent[:, 2 * hidden:]
        n = xp.tanh(projected[:, 2 * hidden:] + r * recurrent_n)
        h = n + z * (h_before - n)
        return (h,), (reset_update, n, recurrent_n)

    def step_backward(self, xp, grads, saved, state, g_projected, g_recurrent):
        (gh,), (h_before,) = grads, state
        hidden = h_before.shape[1]
        if backend.is_gpu_array(gh):
            gh_before = xp.empty_like(h_before)
            GRU_STEP_BACKWARD(gh, *saved, h_before, *_blocks(g_projected, 3), *_blocks(g_recurrent, 3), gh_before)
            return (gh_before,)
        reset_update, n, recurrent_n = saved
        r, z = reset_update[:, :hidden], reset_update[:, hidden:]
        g_n = g_projected[:, 2 * hidden:]
        xp.multiply(gh * (1 - z), 1 - n * n, out=g_n)
        g_projected[:, :hidden] = g_n * recurrent_n
        g_projected[:, hidden:2 * hidden] = gh * (h_before - n)
        g_projected[:, :2 * hidden] *= reset_update * (1 - reset_update)
        g_recurrent[:, :2 * hidden] = g_projected[:, :2 * hidden]
        xp.multiply(g_n, r, out=g_recurrent[:, 2 * hidden:])
        return (gh * z,)


def _rows(steps):
    """(L, N, F) -> (L*N, F): the rows of all steps (sizes spelled out: -1 is ambiguous for N = 0)."""
    return steps.reshape(steps.shape[0] * steps.shape[1], steps.shape[2])


class StepRecord:
    """What the forward pass keeps of one block of sequences for the backward pass, per step t:
    ``saved[t]`` (the cell's), ``states[t]`` (the state the step started from) and, with a
    projection, ``unprojected[t]`` (o * tanh(c_t) before W_hr)."""

    def __init__(self, length, projected):
        self.saved, self.states = [None] * length, [None] * length
        self.unprojected = [None] * length if projected else None


class Recurrence(Function):
    """Runs ``cell`` over the L steps of x (L, N, I), forwards in time or, with ``reverse``,
    from the last step to the first (the second direction of a bidirectional layer).

    Inputs: x, W_ih, W_hh, b_ih, b_hh (or None), W_hr (or None), then the initial state: h_0
    (N, H), and c_0 (N, H) for an LSTM. Output (L, N, S*H): the state after each step, its S parts
    side by side (h_t; for an LSTM h_t then c_t), in input order whatever the direction.

    W_hr (P, H) is PyTorch's LSTM projection (``proj_size`` P): the cell's h = o * tanh(c_t) is
    projected, h_t = h W_hr^T (N, P), and that h_t is the output and the next step's recurrent
    input (W_hh is then (4H, P)). Backward: dL/dh = dL/dh_t W_hr, and after the loop
    dL/dW_hr = sum_t dL/dh_t^T h, one matrix product over all steps.

    Backward is back-propagation through time: the steps are visited in the opposite order,
    each adding the gradient its state gets from the output to the one the next step sent back,
        dL/dh_(t-1) = dL/dQ_t @ W_hh (+ the cell's direct path),
    and after the loop dL/dW_hh = sum_t dL/dQ_t^T @ h_(t-1), dL/db_hh = the sum of dL/dQ_t's rows
    (one matrix product over the L*N rows of all steps, kept in the dL/dP array where dL/dQ_t
    equals dL/dP_t, as for the Elman and LSTM cells).

    With ``lengths`` (N,) (sequences of different lengths, padded at the end), a sequence's steps
    past its length leave its state unchanged and output zeros: the state carries over, and in
    the reverse direction each sequence starts from its own last step. In the backward pass those
    steps pass the state's gradient straight through.

    The N sequences never meet: row n of every step depends on row n of the earlier steps only.
    So on the CPU the batch is cut into blocks of ``BLOCK_ROWS`` sequences or more (``MOST_BLOCKS``
    at the most), and the blocks run through all L steps, forwards and backwards, side by side on the cores
    (``tinynn.parallel``; a step's matrix product and elementwise passes release the GIL). The
    products over all steps before and after the loops are split by rows too (``parallel.matmul``).
    The blocks depend on the batch size alone, so the results are the same bits on any number of
    threads.
    """

    # Blocks of 64 sequences at least, 4 blocks at most: a smaller block's step is too small to pay for
    # running it apart, and more blocks cost more in Python calls and turns at the GIL than further
    # cores give (LSTM(28, 128), 28 steps, batch 512, 2 cores: 8 blocks 112 ms, 4 blocks 93-99 ms).
    BLOCK_ROWS, MOST_BLOCKS = 64, 4

    def __init__(self, cell, reverse=False, lengths=None):
        self.cell, self.reverse, self.lengths = cell, reverse, lengths

    def _steps(self, length):
        return range(length - 1, -1, -1) if self.reverse else range(length)

    def _part_spans(self):
        return zip([0] + self.part_ends[:-1], self.part_ends)

    def _scaled_weights(self, weight_ih, weight_hh, bias_ih, bias_hh):
        """The cell's ``gate_scale`` s applied to the weights' rows (see the module's docstring):
        (s W_ih, s W_hh, the bias added to P once, the bias added to each Q_t or None). The bias
        added to P is s b_ih, and s b_hh with it where the cell sees only P_t + Q_t (b_hh then goes
        in once, not once a step)."""
        scale = self.cell.gate_scale
        if scale is not None:
            weight_ih, weight_hh = weight_ih * scale[:, None], weight_hh * scale[:, None]
            bias_ih, bias_hh = (None if bias is None else bias * scale for bias in (bias_ih, bias_hh))
        if bias_hh is not None and self.cell.recurrent_grad_is_projected_grad:
            return weight_ih, weight_hh, bias_ih + bias_hh, None
        return weight_ih, weight_hh, bias_ih, bias_hh

    def forward(self, x, weight_ih, weight_hh, bias_ih, bias_hh, weight_hr, *initial_state):
        xp = self.xp(x)
        length, batch, features = x.shape
        self.cell.prepare(xp, weight_hh.shape[0] // self.cell.gate_blocks, x.dtype)
        input_weight, recurrent_weight, input_bias, step_bias = self._scaled_weights(weight_ih, weight_hh, bias_ih,
                                                                                     bias_hh)
        projected = parallel.matmul(x.reshape(length * batch, features), input_weight.T)
        projected = projected.reshape(length, batch, weight_ih.shape[0])
        if input_bias is not None:
            projected += input_bias
        # (W_hh^T)'s rows in memory order: the steps' products run about 15% faster than through the transposed view
        recurrent_weight_t = xp.ascontiguousarray(recurrent_weight.T)
        self.part_ends = list(itertools.accumulate(part.shape[1] for part in initial_state))  # h (and c) side by side
        output = xp.empty((length, batch, self.part_ends[-1]), dtype=x.dtype)
        # active[t, n]: step t is part of sequence n (all of them without lengths)
        self.active = None if self.lengths is None else xp.arange(length)[:, None] < xp.asarray(self.lengths)[None, :]
        keep = any(self.needs_input_grad)

        def run_block(rows):
            return self._forward_block(xp, rows, projected, output, recurrent_weight_t, step_bias, weight_hr,
                                       initial_state, keep)

        self.blocks = parallel.row_blocks(batch, self.BLOCK_ROWS, self.MOST_BLOCKS) if xp is np else [slice(0, batch)]
        self.records = parallel.map_blocks(run_block, self.blocks, on_cpu=xp is np)
        if keep:
            self.x, self.weight_ih, self.weight_hh, self.weight_hr = x, weight_ih, weight_hh, weight_hr
            self.has_bias = bias_ih is not None
        return output

    def _forward_block(self, xp, rows, projected, output, recurrent_weight_t, step_bias, weight_hr, initial_state,
                       keep):
        """The L steps for the sequences ``rows`` of the batch, each step's state written into
        ``output``; returns the block's StepRecord (empty when no gradient is wanted).
        ``recurrent_weight_t`` is (s W_hh)^T, ``step_bias`` s b_hh or None."""
        record = StepRecord(len(projected), weight_hr is not None)
        state = tuple(part[rows] for part in initial_state)
        for t in self._steps(len(projected)):
            recurrent = state[0] @ recurrent_weight_t
            if step_bias is not None:
                recurrent += step_bias
            new_state, saved = self.cell.step(xp, projected[t, rows], recurrent, state)
            if weight_hr is not None:  # LSTM with proj_size: h_t = (o * tanh(c_t)) W_hr^T
                if keep:
                    record.unprojected[t] = new_state[0]
                new_state = (new_state[0] @ weight_hr.T,) + new_state[1:]
            if keep:
                record.saved[t], record.states[t] = saved, state
            if self.active is not None:
                active = self.active[t, rows][:, None]
                output_parts = [xp.where(active, part, 0) for part in new_state]
                new_state = tuple(xp.where(active, new, old) for new, old in zip(new_state, state))
            else:
                output_parts = new_state
            for part, (start, end) in zip(output_parts, self._part_spans()):
                output[t, rows, start:end] = part
            state = new_state
        return record

    def _replay(self, x, weight_ih, weight_hh, bias_ih, bias_hh, weight_hr, *initial_state):
        """``forward`` again on Tensors, as recorded ops: the cells' own step formulas run through
        TensorMath (see Function.backward_graph), the states stacked instead of written in place."""
        from ...tensor import concatenate, stack

        xp = self.xp(x)
        length, batch, features = x.shape
        input_weight, recurrent_weight, input_bias, step_bias = self._scaled_weights(weight_ih, weight_hh, bias_ih,
                                                                                     bias_hh)
        projected = (x.reshape(length * batch, features) @ input_weight.T).reshape(length, batch, weight_ih.shape[0])
        if input_bias is not None:
            projected = projected + input_bias
        state, outputs = tuple(initial_state), [None] * length
        for t in self._steps(length):
            recurrent = state[0] @ recurrent_weight.T
            if step_bias is not None:
                recurrent = recurrent + step_bias
            new_state, _ = self.cell.step(xp, projected[t], recurrent, state)
            if weight_hr is not None:
                new_state = (new_state[0] @ weight_hr.T,) + tuple(new_state[1:])
            parts = new_state
            if self.active is not None:
                active = self.active[t][:, None]
                parts = [xp.where(active, part, 0) for part in new_state]
                new_state = tuple(xp.where(active, new, old) for new, old in zip(new_state, state))
            outputs[t] = concatenate(list(parts), axis=1)
            state = tuple(new_state)
        return stack(outputs)

    def backward_graph(self, gy, output):
        """For gradients of gradients: the recurrence is replayed as recorded Tensor ops
        (``_replay``) and autograd differentiates the replay, through every step."""
        from ...autograd.engine import grad

        wanted = [i for i, (t, needed) in enumerate(zip(self.inputs, self.needs_input_grad)) if needed]
        found = grad(self._replay(*self.inputs), [self.inputs[i] for i in wanted], gy, create_graph=True,
                     allow_unused=True)
        grads = [None] * len(self.inputs)
        for i, value in zip(wanted, found):
            grads[i] = value
        return tuple(grads)

    def backward(self, gy):
        xp = self.xp(gy)
        length, batch, features = self.x.shape
        spans = list(self._part_spans())
        g_projected = xp.empty((length, batch, self.weight_ih.shape[0]), dtype=gy.dtype)
        g_recurrent_steps = g_projected if self.cell.recurrent_grad_is_projected_grad else xp.empty_like(g_projected)
        h_before = xp.empty((length, batch, spans[0][1]), dtype=gy.dtype)  # h_(t-1) of every step
        g_outputs = unprojected = None
        if self.weight_hr is not None:
            g_outputs = xp.empty((length, batch, spans[0][1]), dtype=gy.dtype)
            unprojected = xp.empty((length, batch, self.weight_hr.shape[1]), dtype=gy.dtype)
        g_initial = [xp.empty((batch, end - start), dtype=gy.dtype) for start, end in spans]

        def run_block(block):
            rows, record = block
            g_state = self._backward_block(xp, rows, record, gy, g_projected, g_recurrent_steps, g_outputs)
            for t in range(length):
                h_before[t, rows] = record.states[t][0]
                if unprojected is not None:
                    unprojected[t, rows] = record.unprojected[t]
            for whole, part in zip(g_initial, g_state):
                whole[rows] = part

        parallel.map_blocks(run_block, list(zip(self.blocks, self.records)), on_cpu=xp is np)
        projected_rows = _rows(g_projected)
        gx = g_weight_ih = None
        if self.needs_input_grad[0]:
            gx = parallel.matmul(projected_rows, self.weight_ih).reshape(length, batch, features)
        if self.needs_input_grad[1]:
            g_weight_ih = parallel.matmul(projected_rows.T, self.x.reshape(length * batch, features))
        recurrent_rows = _rows(g_recurrent_steps)
        g_weight_hh = (parallel.matmul(recurrent_rows.T, _rows(h_before))
                       if self.needs_input_grad[2] else None)
        g_bias_ih, g_bias_hh = (sum_rows(projected_rows), sum_rows(recurrent_rows)) if self.has_bias else (None, None)
        g_weight_hr = None
        if g_outputs is not None and self.needs_input_grad[5]:  # sum_t dL/dh_t^T (o * tanh(c_t))
            g_weight_hr = parallel.matmul(_rows(g_outputs).T, _rows(unprojected))
        return (gx, g_weight_ih, g_weight_hh, g_bias_ih, g_bias_hh, g_weight_hr, *g_initial)

    def _backward_block(self, xp, rows, record, gy, g_projected, g_recurrent_steps, g_outputs):
        """Back-propagation through time for the sequences ``rows``: fills their rows of dL/dP (and
        dL/dQ, dL/dh_t where kept apart) for every step; returns dL/d(initial state) of the block."""
        spans = list(self._part_spans())
        g_state = [xp.zeros((rows.stop - rows.start, end - start), dtype=gy.dtype) for start, end in spans]
        for t in reversed(self._steps(len(gy))):
            grads = tuple(gy[t, rows, start:end] + g_state[k] for k, (start, end) in enumerate(spans))
            passed = None
            if self.active is not None:  # inactive rows: the state's gradient passes through unchanged
                active = self.active[t, rows][:, None].astype(gy.dtype)
                passed = [g_state[k] * (1 - active) for k in range(len(spans))]
                grads = tuple(grad * active for grad in grads)
            if g_outputs is not None:  # through the projection: dL/d(o * tanh(c_t)) = dL/dh_t W_hr
                g_outputs[t, rows] = grads[0]
                grads = (grads[0] @ self.weight_hr,) + grads[1:]
            g_recurrent = g_recurrent_steps[t, rows]
            direct = self.cell.step_backward(xp, grads, record.saved[t], record.states[t], g_projected[t, rows],
                                             g_recurrent)
            g_h_before = g_recurrent @ self.weight_hh
            if direct[0] is not None:
                g_h_before += direct[0]
            g_state = [g_h_before] + [part if part is not None else xp.zeros_like(g_h_before) for part in direct[1:]]
            if passed is not None:
                g_state = [g + through for g, through in zip(g_state, passed)]
        return g_state


CELLS = {"RNN_TANH": lambda: ElmanCell("tanh"), "RNN_RELU": lambda: ElmanCell("relu"), "LSTM": LSTMCell,
         "GRU": GRUCell}


@mixed_precision.casts_inputs("lower")
def recurrence(mode, x, weight_ih, weight_hh, bias_ih, bias_hh, initial_state, reverse=False, lengths=None,
               weight_hr=None):
    """One layer, one direction: x (L, N, I) and the initial state (a tuple of (N, H) tensors; h_0
    (N, P) with a projection) -> the state after every step side by side, (L, N, S*H) (see
    ``Recurrence``; ``lengths``: (N,) host ints; ``weight_hr``: an LSTM's projection (P, H))."""
    return Recurrence(CELLS[mode](), reverse, lengths)(x, weight_ih, weight_hh, bias_ih, bias_hh, weight_hr,
                                                       *initial_state)
