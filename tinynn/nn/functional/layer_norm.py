"""Layer and group normalization: each sample normalised over its own values (no batch statistics,
so training and evaluation compute the same thing)."""
import numpy as np

from ...errors import InputError
from ... import backend, mixed_precision, parallel
from ...autograd import Function
from ...half_precision import computed_in_float32
from ...tensor import Tensor
from ...ops.reduction import row_sums, sum_rows
from .empty_batch import EmptyBatch
from .validation import check_float


class RowNormalize(Function):
    """xhat = (x - mean) / sqrt(var + eps) for every row of a (M, K) matrix, mean and (biased)
    variance taken over the row's K values; then, where given, y = xhat * w + b, the affine step taken
    in the same passes: for layer norm w and b hold K values, one per column; for group norm
    (``channels`` C and ``spatial`` S given: the rows of a sample are its G groups, each Cg = C/G
    channels of S values) one per channel, the rows seen as (samples, C, S).

    With ``centered=False`` (RMS norm) the mean is not taken out: xhat = x / sqrt(mean(x^2) + eps).

    Backward, with means over the row and g = dL/dy:
        dL/db    = sum of g over the rows (and, per channel, its S values)     (K,) or (C,)
        dL/dw    = sum of g * xhat likewise                                    (K,) or (C,)
        gxhat    = g * w                                        (g itself without a weight)
        dL/dx    = (gxhat - mean(gxhat) - xhat * mean(gxhat * xhat)) / sqrt(var + eps)
    (the two subtracted terms are the gradient flowing through the mean and the variance; without
    centring only the second, over sqrt(mean(x^2) + eps)).
    """

    def __init__(self, eps, has_weight=False, has_bias=False, channels=None, spatial=None, centered=True):
        self.eps, self.has_weight, self.has_bias = eps, has_weight, has_bias
        self.channels, self.spatial, self.centered = channels, spatial, centered
        self.promotes = tuple(range(1 + has_weight + has_bias))  # x, w and b computed in one dtype
        self.graph_saved = {"inv_std": lambda op, y: op.recorded_inv_std()}
        if has_weight or has_bias:
            self.graph_saved["xhat"] = lambda op, y: op.recorded_xhat()
        else:
            self.graph_saved["xhat"] = "output"
        if has_weight:
            self.graph_saved["weight"] = 1

    def _recorded_centered(self):
        x = self.inputs[0]
        return x - x.mean(axis=1, keepdims=True) if self.centered else x

    def recorded_inv_std(self):
        """1 / sqrt(var + eps) recomputed from the recorded input (for create_graph)."""
        centered = self._recorded_centered()
        return ((centered * centered).mean(axis=1, keepdims=True) + self.eps) ** -0.5

    def recorded_xhat(self):
        """xhat recomputed from the recorded input (for create_graph, where y is not xhat)."""
        return self._recorded_centered() * self.recorded_inv_std()

    # On the CPU, an input of a million values or more is taken in blocks of rows on the threads, each
    # block making all its passes (five forward, four backward, and the affine step's) over its rows
    # (measured: LayerNorm(768) on (32, 128, 768), forward and backward, 22 -> 15 ms). Blocks stay large:
    # two threads taking many short NumPy calls in turn wait for each other's hold on the GIL (blocks of
    # 2^14 values ran 3x slower than one pass), and below about a million values the threads gained
    # nothing. The cut depends on the shape alone, and the blocks' sums for dL/dw and dL/db are added in
    # block order, so the bits do not depend on the threads.
    BLOCK_ELEMENTS = 1 << 18
    MIN_BLOCKED_ELEMENTS = 1 << 20

    def _row_blocks(self, array):
        if not isinstance(array, np.ndarray) or array.size < self.MIN_BLOCKED_ELEMENTS:
            return None
        if self.channels is None:
            return parallel.row_blocks(array.shape[0], max(1, self.BLOCK_ELEMENTS // array.shape[1]))
        # whole samples (G rows each), so that each block holds whole channels for the per-channel affine step
        per_sample = self.channels * self.spatial
        samples = parallel.row_blocks(array.size // per_sample, max(1, self.BLOCK_ELEMENTS // per_sample))
        groups = array.shape[0] * per_sample // array.size
        return [slice(block.start * groups, block.stop * groups) for block in samples]

    def forward(self, x, *affine):
        affine = iter(affine)
        self.weight = next(affine) if self.has_weight else None
        bias = next(affine) if self.has_bias else None
        blocks = self._row_blocks(x)
        if blocks is None:
            self.xhat, self.inv_std = self._normalized(x)
            return self._scaled_and_shifted(self.xhat, self.weight, bias)
        self.xhat, self.inv_std = np.empty_like(x), np.empty((x.shape[0], 1), dtype=x.dtype)
        y = self.xhat if self.weight is None and bias is None else np.empty_like(x)

        def normalize(rows):
            self.xhat[rows], self.inv_std[rows] = self._normalized(x[rows])
            if y is not self.xhat:
                y[rows] = self._scaled_and_shifted(self.xhat[rows], self.weight, bias)

        parallel.map_blocks(normalize, blocks)
        return y

    def _normalized(self, x):
        count = x.shape[1]
        if not self.centered:
            inv_std = 1 / self.xp(x).sqrt(row_sums(x * x) / count + self.eps)
            return x * inv_std, inv_std
        centered = x - row_sums(x) / count
        inv_std = 1 / self.xp(x).sqrt(row_sums(centered * centered) / count + self.eps)
        centered *= inv_std  # (an array of this op's own: scaled where it lies, one array less)
        return centered, inv_std

    def _view(self, rows):
        """Rows as the affine step sees them: as they are (layer norm), or (samples, C, S) (group norm)."""
        return rows if self.channels is None else rows.reshape(-1, self.channels, self.spatial)

    def _broadcast(self, parameter):
        """A weight or bias shaped to broadcast over ``_view``: (K,) as it is, (C,) as (C, 1)."""
        return parameter if self.channels is None else parameter.reshape(-1, 1)

    def _summed(self, values):
        """The sum of ``_view(values)`` over all but its parameter axis: (K,) or (C,)."""
        return sum_rows(values) if self.channels is None else self._view(values).sum(axis=(0, 2))

    def _scaled_and_shifted(self, xhat, weight, bias):
        """xhat * weight + bias (xhat itself without either)."""
        if weight is None and bias is None:
            return xhat
        view = self._view(xhat)
        y = view + self._broadcast(bias) if weight is None else view * self._broadcast(weight)
        if weight is not None and bias is not None:
            y += self._broadcast(bias)
        return y.reshape(xhat.shape)

    def backward(self, g):
        wanted = self.needs_input_grad
        blocks = self._row_blocks(g)  # (None under create_graph, where g is a Tensor)
        if blocks is None:
            return tuple(self._grads(g, self.xhat, self.inv_std))
        gx = np.empty_like(self.xhat) if wanted[0] else None

        def spread(rows):
            gx_rows, *parameter_sums = self._grads(g[rows], self.xhat[rows], self.inv_std[rows])
            if gx is not None:
                gx[rows] = gx_rows
            return parameter_sums

        partials = parallel.map_blocks(spread, blocks)
        sums = partials[0]
        for partial in partials[1:]:  # in block order: the same bits on any number of threads
            sums = [None if total is None else total + more for total, more in zip(sums, partial)]
        return (gx, *sums)

    def _grads(self, g, xhat, inv_std):
        """(dL/dx, then dL/dw and dL/db where this op has them) for some rows; None where not wanted."""
        wanted = self.needs_input_grad
        g_xhat = g * xhat if self.has_weight else None  # dL/dw's summands
        grads = [self._input_grad(g, g_xhat, xhat, inv_std) if wanted[0] else None]
        if self.has_weight:
            grads.append(self._summed(g_xhat) if wanted[1] else None)
        if self.has_bias:
            grads.append(self._summed(g) if wanted[-1] else None)
        return grads

    def _input_grad(self, g, g_xhat, xhat, inv_std):
        """dL/dx = (gxhat - mean(gxhat) - xhat * mean(gxhat * xhat)) * inv_std, gxhat = g * w. With one
        weight per column (layer norm) the row sums of gxhat * xhat are (g * xhat) @ w, from dL/dw's
        summands. Where gxhat is an array this backward made (not the incoming gradient, nor one of
        create_graph's recorded tensors), the subtractions and the scaling are written into it: fewer
        passes over memory."""
        count = g.shape[1]
        if self.weight is None:
            gxhat, sum_gxhat_xhat = g, row_sums(g * xhat)
        elif self.channels is None:
            gxhat, sum_gxhat_xhat = g * self.weight, (g_xhat @ self.weight)[..., None]
        else:
            gxhat = (self._view(g) * self._broadcast(self.weight)).reshape(g.shape)
            sum_gxhat_xhat = row_sums(gxhat * xhat)
        through_variance = xhat * (sum_gxhat_xhat / count)
        if gxhat is g or isinstance(g, Tensor):
            through_mean = row_sums(gxhat) / count if self.centered else 0
            return (gxhat - through_mean - through_variance) * inv_std
        if self.centered:
            gxhat -= row_sums(gxhat) / count
        gxhat -= through_variance
        gxhat *= inv_std
        return gxhat


def _check_parameter(parameter, shape, what, name):
    if parameter is not None:
        check_float(parameter, name, what)
        if parameter.shape != shape:
            raise InputError(f"{name}: expected {what} of shape {shape}, got {tuple(parameter.shape)}")


def _trailing_shape(input, normalized_shape, name):
    """``normalized_shape`` as a tuple, checked to be the input's trailing shape (float, non-empty input)."""
    check_float(input, name)
    normalized_shape = (normalized_shape,) if isinstance(normalized_shape, (int, np.integer)) else tuple(normalized_shape)
    if not normalized_shape or input.shape[input.ndim - len(normalized_shape):] != normalized_shape:
        raise InputError(f"{name}: expected input whose last dimensions are {normalized_shape}, got shape {tuple(input.shape)}")
    return normalized_shape


@mixed_precision.casts_inputs("float32", devices=(backend.GPU,))  # (on the CPU, as PyTorch: in the input's dtype)
@computed_in_float32("input", "weight", "bias")
def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5, name="layer_norm"):
    """Normalise over the trailing ``normalized_shape`` axes of each sample (as PyTorch's), then
    scale and shift elementwise by ``weight`` and ``bias`` of that shape."""
    normalized_shape = _trailing_shape(input, normalized_shape, name)
    _check_parameter(weight, normalized_shape, "weight", name)
    _check_parameter(bias, normalized_shape, "bias", name)
    return _over_trailing(input, normalized_shape, weight, bias, eps, centered=True)


def _over_trailing(input, normalized_shape, weight, bias, eps, centered):
    """``RowNormalize`` over the trailing ``normalized_shape`` axes, each sample's values a row, and the
    weight and bias (of that shape) one value per column: layer norm and RMS norm."""
    size = int(np.prod(normalized_shape))
    affine = [parameter.reshape(size) for parameter in (weight, bias) if parameter is not None]
    rows = RowNormalize(eps, weight is not None, bias is not None, centered=centered)(input.reshape(-1, size), *affine)
    return rows.reshape(input.shape)


@mixed_precision.casts_inputs("float32", devices=(backend.GPU,))  # (on the CPU, as PyTorch: in the input's dtype)
@computed_in_float32("input", "weight", "bias")
def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5, name="group_norm"):
    """Split the C channels of (N, C, ...) input into ``num_groups`` groups and normalise each
    sample's group over its channels and positions; then scale and shift per channel."""
    check_float(input, name)
    if input.ndim < 2:
        raise InputError(f"{name}: expected input of shape (N, C, ...), got {tuple(input.shape)}")
    channels = input.shape[1]
    if not isinstance(num_groups, (int, np.integer)) or num_groups <= 0:
        raise InputError(f"{name}: num_groups must be a positive int, got {num_groups!r}")
    if channels % num_groups:
        raise InputError(f"{name}: {channels} channels cannot be split into {num_groups} groups")
    _check_parameter(weight, (channels,), "weight", name)
    _check_parameter(bias, (channels,), "bias", name)
    affine = [parameter for parameter in (weight, bias) if parameter is not None]
    if input.numel() == 0:  # (no statistics to take; a sample of no positions would not reshape into rows)
        return EmptyBatch(input.shape)(input, *affine)
    spatial = int(np.prod(input.shape[2:]))
    rows = RowNormalize(eps, weight is not None, bias is not None, channels, spatial)(
        input.reshape(input.shape[0] * num_groups, channels // num_groups * spatial), *affine)
    return rows.reshape(input.shape)


@computed_in_float32("input", "weight", "bias")
def rms_norm(input, normalized_shape, weight=None, eps=None, name="rms_norm"):
    """Root-mean-square normalization over the trailing ``normalized_shape`` axes (Zhang and
    Sennrich, 2019; PyTorch's ``rms_norm``): y = x / sqrt(mean(x^2) + eps) * weight, without
    centring; eps defaults to the dtype's machine epsilon. ``RowNormalize`` without centring: the weight
    applied in the same passes, as layer norm's."""
    normalized_shape = _trailing_shape(input, normalized_shape, name)
    _check_parameter(weight, normalized_shape, "weight", name)
    eps = float(np.finfo(input.dtype).eps) if eps is None else eps
    return _over_trailing(input, normalized_shape, weight, None, eps, centered=False)


def local_response_norm(input, size, alpha=1e-4, beta=0.75, k=1.0, name="local_response_norm"):
    """Each value divided by (k + alpha * mean of x^2 over ``size`` neighbouring channels)^beta, the
    window centred on its channel and zero-padded at the ends (AlexNet's normalization, PyTorch's
    ``local_response_norm``), for (N, C, ...) input."""
    check_float(input, name)
    if input.ndim < 3:
        raise InputError(f"{name}: expected input of shape (N, C, ...) with at least 3 dimensions, got {tuple(input.shape)}")
    window_sum = channel_window_sums(input * input, size // 2, (size - 1) // 2)
    return input / (window_sum * (alpha / size) + k) ** beta


def channel_window_sums(values, before, after):
    """For each channel c of (N, C, ...) ``values``, the sum over channels c - before ... c + after (zeros
    beyond the ends): a loop over the window's offsets, each a whole-tensor slice of the padded values."""
    padded = values.pad(((0, 0), (before, after)) + ((0, 0),) * (values.ndim - 2))
    channels = values.shape[1]
    window_sum = padded[:, 0:channels]
    for offset in range(1, before + after + 1):
        window_sum = window_sum + padded[:, offset:offset + channels]
    return window_sum
