"""Batch transforms on (N, C, H, W) float arrays, on NumPy or CuPy: normalisation and augmentation."""
import functools

import numpy as np

from .. import backend, random
from ..fused import ElementwiseKernel


class Compose:
    def __init__(self, transforms):
        self.transforms = list(transforms)

    def __call__(self, images):
        for transform in self.transforms:
            images = transform(images)
        return images

    def __repr__(self):
        return "Compose(" + ", ".join(repr(t) for t in self.transforms) + ")"


class Normalize:
    """x -> (x - mean[c]) / std[c] per channel; MNIST's are (0.1307,), (0.3081,)."""

    def __init__(self, mean, std):
        self.mean = np.asarray(mean, dtype=np.float32).reshape(1, -1, 1, 1)
        self.std = np.asarray(std, dtype=np.float32).reshape(1, -1, 1, 1)
        if np.any(self.std <= 0):
            raise ValueError(f"Normalize: std must be positive, got {std}")
        self._on_gpu = None  # mean and std uploaded once, not per batch

    def __call__(self, images):
        if images.ndim != 4 or images.shape[1] not in (1, self.mean.shape[1]):
            raise ValueError(f"Normalize: expected a batch (N, {self.mean.shape[1]}, H, W), got shape {tuple(images.shape)}")
        mean, std = self.mean, self.std
        if backend.is_gpu_array(images):
            if self._on_gpu is None:
                self._on_gpu = (backend.to_device(mean, "gpu"), backend.to_device(std, "gpu"))
            mean, std = self._on_gpu
        return (images - mean) / std

    def __repr__(self):
        return f"Normalize(mean={self.mean.ravel().tolist()}, std={self.std.ravel().tolist()})"


class RandomAffine:
    """Random rotation (up to +-``degrees``), translation (up to ``translate`` x size) and scale,
    a different draw per image, as torchvision's RandomAffine; bilinear sampling, zero fill.

    For output pixel p (coordinates relative to the image centre) the source is A^-1 (p - t),
    with A = s R(theta); the four neighbours of each source point are gathered for the whole batch
    in one indexing operation. Parameters come from tinynn's seeded generator of the images'
    device, so a batch on the GPU is augmented with no host-device copy.
    """

    def __init__(self, degrees=0.0, translate=None, scale=None):
        self.degrees, self.translate, self.scale = float(degrees), translate, scale

    def __call__(self, images):
        xp = backend.get_array_module(images)
        n, _, h, w = images.shape
        rng = random.generator_for(xp)

        def uniform(low, high):
            # low + (high - low) * U[0, 1): what NumPy's uniform() computes, bit for bit, but CuPy's
            # uniform() would upload low and high to the GPU on every call.
            return low + (high - low) * rng.random(n)

        angles = uniform(-self.degrees, self.degrees)
        shifts = xp.zeros((n, 2))
        if self.translate is not None:
            shifts[:, 0] = xp.round(uniform(-self.translate[0] * w, self.translate[0] * w))
            shifts[:, 1] = xp.round(uniform(-self.translate[1] * h, self.translate[1] * h))
        scales = uniform(*self.scale) if self.scale is not None else xp.ones(n)
        return self.apply(images, angles, shifts, scales)

    @staticmethod
    def apply(images, angles, shifts, scales):
        """Rotate image i counter-clockwise by ``angles[i]`` degrees about its centre, scale it by
        ``scales[i]`` and shift it by ``shifts[i]`` = (dx, dy) pixels. The parameters may be given
        on the host or on the images' device."""
        xp = backend.get_array_module(images)
        device = backend.device_of(images)
        angles, shifts, scales = (backend.to_device(a, device) for a in (angles, shifts, scales))
        n, c, h, w = images.shape
        if xp is not np:
            per_image = [a.astype(np.float64, copy=False).reshape(n, 1, 1, 1)
                         for a in (angles, scales, shifts[:, 0], shifts[:, 1])]
            return AFFINE_BILINEAR(xp.ascontiguousarray(images).reshape(-1), *per_image, *_pixel_indices(xp, n, c, h, w),
                                   h, w)
        theta = xp.deg2rad(angles)
        cos, sin = xp.cos(theta) / scales, xp.sin(theta) / scales
        # Inverse map, in (x right, y down) pixel coordinates about the centre: rotating the image
        # counter-clockwise on screen means sampling each output pixel from R(theta) (p - t) / s.
        inverse = xp.stack([cos, -sin, sin, cos], axis=1).astype(np.float32)
        shift = shifts.astype(np.float32)
        ys, xs = xp.meshgrid(xp.arange(h, dtype=np.float32), xp.arange(w, dtype=np.float32), indexing="ij")
        cx, cy = (w - 1) / 2, (h - 1) / 2
        px = (xs[None] - cx) - shift[:, 0, None, None]
        py = (ys[None] - cy) - shift[:, 1, None, None]
        src_x = inverse[:, 0, None, None] * px + inverse[:, 1, None, None] * py + cx
        src_y = inverse[:, 2, None, None] * px + inverse[:, 3, None, None] * py + cy
        return _bilinear(images, src_x, src_y)

    def __repr__(self):
        return f"RandomAffine(degrees={self.degrees}, translate={self.translate}, scale={self.scale})"


def _pixel_or_zero(x, y):
    """The kernel expression for the image value at column x, row y of the output value's plane;
    0 outside the image (zero fill)."""
    return (f"where(({x} >= 0) & ({x} < w) & ({y} >= 0) & ({y} < h), "
            f"images[plane + clip({y}, 0, h - 1) * w + clip({x}, 0, w - 1)], 0)")


# RandomAffine.apply in one GPU kernel (see tinynn.fused): each output value finds its source
# point and interpolates its four neighbours itself; the same math as the NumPy code above, which
# builds those arrays whole (about 100 array operations, each a kernel launch on a GPU).
AFFINE_BILINEAR = ElementwiseKernel(
    "raw T images, float64 angle, float64 scale, float64 shift_x, float64 shift_y, int64 plane, int64 row, "
    "int64 column, int64 h, int64 w", "T out", f"""
T cos_s = cos(angle * 0.017453292519943295) / scale;
T sin_s = sin(angle * 0.017453292519943295) / scale;
T px = (column - (w - 1) * 0.5) - shift_x;
T py = (row - (h - 1) * 0.5) - shift_y;
T src_x = cos_s * px - sin_s * py + (w - 1) * 0.5;
T src_y = sin_s * px + cos_s * py + (h - 1) * 0.5;
ptrdiff_t x0 = ptrdiff_t(floor(src_x));
ptrdiff_t y0 = ptrdiff_t(floor(src_y));
T fx = src_x - floor(src_x);
T fy = src_y - floor(src_y);
T top = ((1 - fx) * {_pixel_or_zero("x0", "y0")}
         + fx * {_pixel_or_zero("(x0 + 1)", "y0")});
T bottom = ((1 - fx) * {_pixel_or_zero("x0", "(y0 + 1)")}
            + fx * {_pixel_or_zero("(x0 + 1)", "(y0 + 1)")});
out = (1 - fy) * top + fy * bottom;
""", "tinynn_affine_bilinear")


@functools.lru_cache(maxsize=8)
def _pixel_indices(xp, n, c, h, w):
    """For every output value of an (N, C, H, W) batch, broadcast: the start of its image plane in
    the flat batch, its row and its column (made once per batch shape)."""
    return (xp.arange(n * c, dtype=np.int64).reshape(n, c, 1, 1) * (h * w),
            xp.arange(h, dtype=np.int64).reshape(1, 1, h, 1), xp.arange(w, dtype=np.int64).reshape(1, 1, 1, w))


class RandomRotation(RandomAffine):
    def __init__(self, degrees):
        super().__init__(degrees=degrees)


def _bilinear(images, src_x, src_y):
    """Sample images (N, C, H, W) at float coordinates (N, H, W); outside the image counts as 0."""
    xp = backend.get_array_module(images)
    n, c, h, w = images.shape
    x0, y0 = xp.floor(src_x), xp.floor(src_y)
    fx, fy = (src_x - x0)[:, None], (src_y - y0)[:, None]
    x0, y0 = x0.astype(np.int64), y0.astype(np.int64)
    flat = images.reshape(n, c, h * w)
    batch = xp.arange(n)[:, None, None, None]
    channel = xp.arange(c)[None, :, None, None]

    def corner(yy, xx):
        inside = ((xx >= 0) & (xx < w) & (yy >= 0) & (yy < h))[:, None]
        index = (xp.clip(yy, 0, h - 1) * w + xp.clip(xx, 0, w - 1))[:, None]
        return flat[batch, channel, index] * inside

    top = corner(y0, x0) * (1 - fx) + corner(y0, x0 + 1) * fx
    bottom = corner(y0 + 1, x0) * (1 - fx) + corner(y0 + 1, x0 + 1) * fx
    return (top * (1 - fy) + bottom * fy).astype(images.dtype, copy=False)


