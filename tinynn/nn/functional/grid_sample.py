"""Spatial transformers: ``affine_grid`` makes sampling positions from affine matrices, ``grid_sample``
reads an image at those positions, with gradients for both the image and the positions.

Positions are normalised: x = -1 is the left edge of the image and +1 its right edge (the centres
of the outer pixels with ``align_corners``), likewise y. For an image of width W, the pixel
coordinate of x is u = ((x + 1) W - 1) / 2, or (x + 1)(W - 1) / 2 with align_corners.

Bilinear sampling at pixel coordinates (u, v), with u0 = floor(u), a = u - u0, v0 = floor(v), b = v - v0:

    out = (1-a)(1-b) I[v0, u0] + a (1-b) I[v0, u0+1] + (1-a) b I[v0+1, u0] + a b I[v0+1, u0+1]

Neighbours outside the image count as 0 (``padding_mode="zeros"``), or the coordinates are first
clamped into the image (``"border"``), or reflected at its edges until they fall inside
(``"reflection"``: about the outer pixels' centres with align_corners, else about the image's
edges, half a pixel further out; then clamped, as PyTorch does). Backward:
    dL/dI: each output's gradient added to its four neighbours with the same weights (a scatter-add);
    dL/du = sum over channels of dL/dout * ((1-b)(I[v0, u0+1] - I[v0, u0]) + b (I[v0+1, u0+1] - I[v0+1, u0])),
    likewise dL/dv, then times du/dx (W/2, or (W-1)/2 with align_corners), and times the slope of
    the padding's map (0 where clamped, -1 where reflected an odd number of times).
"nearest" reads the nearest pixel; its gradient reaches the image only: the positions' is zeros.
"""
import itertools

import numpy as np

from ...errors import InputError
from ... import backend
from ...autograd import Function
from ...ops.gradient_mask import passed_where
from ...tensor import Tensor, where
from .resampling import cubic_weights
from .validation import check_float

PADDING_MODES = ("zeros", "border", "reflection")


def _unnormalise(coordinate, size, align_corners):
    """Normalised position -> pixel coordinate, and d(pixel)/d(position)."""
    if align_corners:
        return (coordinate + 1) * ((size - 1) / 2), (size - 1) / 2
    return ((coordinate + 1) * size - 1) / 2, size / 2


def _reflect(coordinate, low, high, xp):
    """A pixel coordinate reflected at ``low`` and ``high`` until inside [low, high], and the slope
    of that map (+1 or -1, by the parity of the reflections)."""
    span = high - low
    if span <= 0:
        return xp.zeros_like(coordinate), xp.zeros_like(coordinate)
    shifted = coordinate - low
    sign = xp.where(shifted < 0, -1, 1)
    shifted = xp.abs(shifted)
    extra, even = xp.fmod(shifted, span), xp.floor(shifted / span) % 2 == 0
    return xp.where(even, extra, span - extra) + low, xp.where(even, sign, -sign)


def _pad_coordinate(coordinate, size, padding_mode, align_corners, xp):
    """The coordinate moved into the image as ``padding_mode`` says, and the slope of that map."""
    slope = xp.ones_like(coordinate)
    if padding_mode == "reflection":
        low, high = (0, size - 1) if align_corners else (-0.5, size - 0.5)
        coordinate, slope = _reflect(coordinate, low, high, xp)
    slope = slope * ((coordinate > 0) & (coordinate < size - 1))  # clamping stops the gradient, as PyTorch
    return xp.clip(coordinate, 0, size - 1), slope


def _corners(xp, u, v, mode, h, w, dtype):
    """The pixels each output reads, as [(rows, columns, weight, valid)] (indices clipped into the
    image, ``valid`` False where the pixel lies outside it, its weight then 0), and the fractions
    (a, b) of bilinear sampling. u and v are arrays, or Tensors (the replay), whose weights are then
    recorded functions of them; the indices are constants either way."""
    u_values, v_values = (c._array if hasattr(c, "grad_fn") else c for c in (u, v))
    if mode == "nearest":
        corners, fractions = [(xp.rint(v_values), xp.rint(u_values), 1.0)], None
    else:
        u0, v0 = xp.floor(u_values), xp.floor(v_values)
        a, b = u - u0, v - v0
        corners, fractions = [(v0, u0, (1 - a) * (1 - b)), (v0, u0 + 1, a * (1 - b)),
                              (v0 + 1, u0, (1 - a) * b), (v0 + 1, u0 + 1, a * b)], (a, b)
    result = []
    for rows, columns, weight in corners:
        rows, columns = rows.astype(np.int64), columns.astype(np.int64)
        valid = (rows >= 0) & (rows < h) & (columns >= 0) & (columns < w)
        result.append((xp.clip(rows, 0, h - 1), xp.clip(columns, 0, w - 1), weight * valid.astype(dtype), valid))
    return result, fractions


class GridSample(Function):
    """out[n, c, i, j] = input[n, c] sampled at grid[n, i, j] = (x, y).
    Shapes: input (N, C, H, W), grid (N, OH, OW, 2) -> out (N, C, OH, OW).
    Backward (the module docstring has the formulas): dL/dinput scatters each output's gradient to
    its four neighbours with the bilinear weights; dL/dgrid is the weights' derivative times the
    neighbours' values, summed over the channels. Gradients of gradients replay the sampling as
    recorded ops (indices constant, weights functions of the grid) and differentiate the replay."""

    def __init__(self, mode, padding_mode, align_corners):
        self.mode, self.padding_mode, self.align_corners = mode, padding_mode, align_corners

    def _coordinates(self, xp, grid, h, w):
        """The grid's pixel coordinates (u, v), moved into the image as the padding mode says, and
        that map's slopes. On Tensors the map is applied as slope * coordinate + a constant, which
        is what it is, piece by piece."""
        u, v = _unnormalise(grid[..., 0], w, self.align_corners)[0], _unnormalise(grid[..., 1], h, self.align_corners)[0]
        if self.padding_mode == "zeros":
            return (u, v), None
        moved = []
        for coordinate, size in ((u, w), (v, h)):
            values = coordinate._array if hasattr(coordinate, "grad_fn") else coordinate
            padded, slope = _pad_coordinate(values, size, self.padding_mode, self.align_corners, xp)
            moved.append((coordinate * slope + (padded - slope * values) if hasattr(coordinate, "grad_fn") else padded,
                          slope))
        return (moved[0][0], moved[1][0]), (moved[0][1], moved[1][1])

    @staticmethod
    def _gathered(xp, image, corners):
        """Each corner's pixels (N, OH, OW, C), 0 outside the image: skipped, not multiplied by a
        weight of 0 (an inf there would give NaN, where PyTorch's kernel does not read it)."""
        batch = xp.arange(image.shape[0])[:, None, None]
        outside_is_zero = (lambda values, valid: where(Tensor._from_op(valid[..., None], False), values, 0.0)) \
            if isinstance(image, Tensor) else (lambda values, valid: xp.where(valid[..., None], values, 0))
        return [outside_is_zero(image[batch, :, rows, columns], valid) for rows, columns, _, valid in corners]

    @staticmethod
    def _combined(values, corners):
        """sum over the corners of pixels * weight: (N, C, OH, OW)."""
        return sum(pixels * weight[..., None] for pixels, (_, _, weight, _) in zip(values, corners)).transpose(0, 3, 1, 2)

    def forward(self, image, grid):
        xp = self.xp(image)
        n, c, h, w = self.image_shape = image.shape
        (u, v), self.slopes = self._coordinates(xp, grid, h, w)
        self.scale = (_unnormalise(0.0, w, self.align_corners)[1], _unnormalise(0.0, h, self.align_corners)[1])
        self.corners, self.fractions = _corners(xp, u, v, self.mode, h, w, image.dtype)
        self.values = self._gathered(xp, image, self.corners)
        return self._combined(self.values, self.corners).astype(image.dtype, copy=False)

    def backward_graph(self, gy, output):
        from ...autograd.engine import grad

        image, grid = self.inputs
        xp = self.xp(image)
        (u, v), _ = self._coordinates(xp, grid, image.shape[2], image.shape[3])
        corners, _ = _corners(xp, u, v, self.mode, image.shape[2], image.shape[3], image.dtype)
        wanted = [t for t, needed in zip(self.inputs, self.needs_input_grad) if needed]
        replayed = self._combined(self._gathered(xp, image, corners), corners)
        found = grad(replayed, wanted, gy, create_graph=True, allow_unused=True)
        # "nearest" does not depend on the grid: its gradient is zeros, as the plain backward's
        found = iter(g if g is not None else Tensor._from_op(xp.zeros(t.shape, dtype=t.dtype), False)
                     for g, t in zip(found, wanted))
        return tuple(next(found) if needed else None for needed in self.needs_input_grad)

    def backward(self, gy):
        xp = self.xp(gy)
        n, c, h, w = self.image_shape
        g = gy.transpose(0, 2, 3, 1)  # (N, OH, OW, C)
        batch = xp.broadcast_to(xp.arange(n)[:, None, None], g.shape[:3])
        g_image = g_grid = None
        if self.needs_input_grad[0]:
            g_image = xp.zeros((n, h, w, c), dtype=gy.dtype)
            for rows, columns, weight, valid in self.corners:  # (a pixel outside gets nothing, not 0 * inf)
                backend.scatter_add(g_image, (batch, rows, columns), passed_where(g * weight[..., None], valid[..., None]))
            g_image = g_image.transpose(0, 3, 1, 2)
        if self.needs_input_grad[1]:
            g_grid = xp.zeros(g.shape[:3] + (2,), dtype=gy.dtype)
            if self.mode == "bilinear":
                a, b = self.fractions
                v00, v01, v10, v11 = self.values
                d_u = (((1 - b)[..., None] * (v01 - v00) + b[..., None] * (v11 - v10)) * g).sum(axis=-1)
                d_v = (((1 - a)[..., None] * (v10 - v00) + a[..., None] * (v11 - v01)) * g).sum(axis=-1)
                if self.slopes is not None:
                    d_u, d_v = d_u * self.slopes[0], d_v * self.slopes[1]
                g_grid[..., 0], g_grid[..., 1] = d_u * self.scale[0], d_v * self.scale[1]
        return g_image, g_grid


def _tap_coordinate(tap, size, padding_mode, align_corners, xp):
    """PyTorch's ``compute_coordinates`` for one integer tap of the bicubic kernel: moved into the
    image by the padding mode (then truncated, as PyTorch's cast), and whether it is inside."""
    if padding_mode != "zeros":
        tap = _pad_coordinate(tap.astype(np.float64), size, padding_mode, align_corners, xp)[0]
    tap = xp.trunc(tap).astype(np.int64)
    return xp.clip(tap, 0, size - 1), (tap >= 0) & (tap < size)


def _taps(input, grid, mode, padding_mode, align_corners):
    """The taps each output reads, as [(indices per spatial axis, weight, inside)]: weights are
    Tensors, recorded functions of the grid (the indices are constants); ``inside`` is False for a
    tap outside the input (its index clipped into it)."""
    xp = Function.xp(input._array)
    spatial = input.shape[2:]
    # grid's last axis is (x, y[, z]): x runs along the last spatial axis
    pixels = [_unnormalise(grid[..., len(spatial) - 1 - axis], size, align_corners)[0]
              for axis, size in enumerate(spatial)]
    if mode == "bicubic":
        per_axis = []
        for pixel, size in zip(pixels, spatial):
            floor = xp.floor(pixel._array)
            taps = []
            for k, weight in enumerate(cubic_weights(pixel - Tensor._from_op(floor, False))):
                taps.append((*_tap_coordinate(floor + (k - 1), size, padding_mode, align_corners, xp), weight))
            per_axis.append(taps)
    else:
        per_axis = []
        for pixel, size in zip(pixels, spatial):
            if padding_mode != "zeros":
                padded, slope = _pad_coordinate(pixel._array, size, padding_mode, align_corners, xp)
                pixel = pixel * Tensor._from_op(slope, False) + Tensor._from_op(padded - slope * pixel._array, False)
            if mode == "nearest":
                index = xp.rint(pixel._array).astype(np.int64)
                candidates = [(index, Tensor._from_op(xp.ones(index.shape, dtype=input.dtype), False))]
            else:
                floor = xp.floor(pixel._array)
                fraction = pixel - Tensor._from_op(floor, False)
                candidates = [(floor.astype(np.int64), 1 - fraction), (floor.astype(np.int64) + 1, fraction)]
            taps = []
            for index, weight in candidates:
                taps.append((xp.clip(index, 0, size - 1), (index >= 0) & (index < size), weight))
            per_axis.append(taps)
    combined = []
    for choice in itertools.product(*per_axis):
        _, inside, weight = choice[0]
        for _, axis_inside, axis_weight in choice[1:]:
            inside, weight = inside & axis_inside, weight * axis_weight
        combined.append((tuple(index for index, _, _ in choice), weight, inside))
    return combined


class NotDependingOn(Function):
    """y = x, recorded as a function of x and of ``other`` too: y does not depend on other (the
    positions of nearest sampling: a step function of them), so dL/dother is zeros, as PyTorch
    gives, where the gather alone would leave other without a gradient."""

    def forward(self, x, other):
        self.other_shape, self.other_dtype = other.shape, other.dtype
        return x

    def backward(self, gy):
        return gy, self.xp(gy).zeros(self.other_shape, dtype=self.other_dtype)

    def backward_graph(self, gy, output):
        xp = backend.get_array_module(gy._array)
        return gy, Tensor._from_op(xp.zeros(self.other_shape, dtype=self.other_dtype), False)


def _sampled_by_taps(input, grid, mode, padding_mode, align_corners):
    """grid_sample as recorded ops (gathers times weights), for "bicubic" and for volumes: the
    gradients, to every order, come from autograd."""
    xp = Function.xp(input._array)
    batch = xp.arange(input.shape[0]).reshape((-1,) + (1,) * (grid.ndim - 2))
    total = None
    for indices, weight, inside in _taps(input, grid, mode, padding_mode, align_corners):
        values = input[(batch, slice(None)) + indices]  # (N, *out, C)
        # a tap outside reads 0, not its clipped pixel times 0 (which is NaN for an inf pixel)
        values = where(Tensor._from_op(inside[..., None], False), values, 0.0)
        term = values * weight.unsqueeze(-1)
        total = term if total is None else total + term
    return total.movedim(-1, 1)


def grid_sample(input, grid, mode="bilinear", padding_mode="zeros", align_corners=False):
    """Sample ``input`` (N, C, H, W) at the normalised positions ``grid`` (N, OH, OW, 2), or a volume
    (N, C, D, H, W) at (N, OD, OH, OW, 3), as PyTorch's ``F.grid_sample``: modes "bilinear"
    (trilinear for volumes), "nearest" and, for images, "bicubic" (Keys' kernel, a = -0.75, the
    padding applied to each of the 16 taps, as PyTorch); padding "zeros", "border", "reflection"."""
    check_float(input, "grid_sample")
    check_float(grid, "grid_sample", "grid")
    spatial = input.ndim - 2
    if input.ndim not in (4, 5) or grid.ndim != input.ndim or grid.shape[-1] != spatial or \
            grid.shape[0] != input.shape[0]:
        raise InputError(f"grid_sample: expected (N, C, H, W) input and an (N, OH, OW, 2) grid, or (N, C, D, H, W) "
                         f"input and an (N, OD, OH, OW, 3) grid, got {tuple(input.shape)} and {tuple(grid.shape)}")
    if mode not in ("bilinear", "nearest", "bicubic"):
        raise InputError(f"grid_sample: mode must be 'bilinear', 'nearest' or 'bicubic', got {mode!r}")
    if mode == "bicubic" and spatial == 3:
        raise InputError("grid_sample: mode 'bicubic' takes 4-D (N, C, H, W) input only (as PyTorch)")
    if padding_mode not in PADDING_MODES:
        raise InputError(f"grid_sample: padding_mode must be one of {PADDING_MODES}, got {padding_mode!r}")
    grid = grid.astype(input.dtype)
    if mode == "bicubic" or spatial == 3:
        sampled = _sampled_by_taps(input, grid, mode, padding_mode, bool(align_corners))
        return NotDependingOn()(sampled, grid) if mode == "nearest" else sampled
    return GridSample(mode, padding_mode, bool(align_corners))(input, grid)


def affine_grid(theta, size, align_corners=False):
    """Sampling positions (N, H, W, 2) of the affine maps ``theta`` (N, 2, 3) applied to the normalised
    coordinates of an output of ``size`` (N, C, H, W): grid[n, i, j] = theta[n] @ (x_j, y_i, 1); or,
    for volumes, (N, D, H, W, 3) from theta (N, 3, 4) and size (N, C, D, H, W):
    grid[n, k, i, j] = theta[n] @ (x_j, y_i, z_k, 1)."""
    check_float(theta, "affine_grid", "theta")
    size = tuple(size)
    if len(size) not in (4, 5):
        raise InputError(f"affine_grid: size must be (N, C, H, W) or (N, C, D, H, W), got {size}")
    n, spatial = size[0], size[2:]
    dims = len(spatial)
    if theta.shape != (n, dims, dims + 1):
        raise InputError(f"affine_grid: expected theta of shape ({n}, {dims}, {dims + 1}) for size {size}, got "
                         f"{tuple(theta.shape)}")
    xp = backend.get_array_module(theta._array)

    def positions(count):
        if align_corners:
            return xp.linspace(-1.0, 1.0, count) if count > 1 else xp.zeros(1)
        return (2 * xp.arange(count) + 1) / count - 1

    axes = list(xp.meshgrid(*(positions(count) for count in spatial), indexing="ij"))  # (z,) y, x
    base = xp.stack(axes[::-1] + [xp.ones_like(axes[0])], axis=-1).reshape(1, -1, dims + 1).astype(theta.dtype)
    return (Tensor(base) @ theta.transpose(1, 2)).reshape((n,) + spatial + (dims,))
