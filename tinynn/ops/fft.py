"""The discrete Fourier transform over some axes, forward beside backward (``tinynn.fft`` builds
PyTorch's functions on these three).

The DFT of length n is the matrix F with F_jk = e^{-2 pi i jk / n}; ``norm`` scales it: "backward"
leaves the forward transform unscaled and divides the inverse by n, "forward" the other way round,
"ortho" divides both by sqrt(n) (then F / sqrt(n) is unitary). Every transform here is linear,
so its gradient is its adjoint (ops/complex.py: dL/dx = A^H dL/dy):

* complex to complex, y = c F x:  F^H = n F^{-1}, so the adjoint is the opposite transform with the
  opposite scaling ("backward" <-> "forward"; "ortho" stays): the adjoint of fftn(norm) is
  ifftn(norm=dual), and of ifftn(norm) fftn(norm=dual);
* real to complex (rfftn): y = T F x keeps the first n//2 + 1 bins of the last axis (T) of the
  full transform of a real x. Adjoint: zero-fill the dropped bins (T^H), apply F^H, keep the real
  part (x is real);
* complex to real (irfftn): y = the inverse transform of the Hermitian completion of x, reading
  bin j of the last axis for the bins j and n - j both. Bin j's real and imaginary parts therefore
  move y twice for 0 < j < n - j, and once for bin 0 and (n even) bin n/2, so the adjoint is
  rfftn(dL/dy, norm=dual) with those middle bins doubled. (The imaginary parts of bins 0 and n/2
  are ignored by the forward; along the last axis alone their gradient comes out 0.)
"""
from ..autograd import Function

NORMS = ("backward", "forward", "ortho")
# The scaling of a transform's adjoint, and of hfft's inner irfft: "backward" and "forward" exchanged
DUAL_NORM = {"backward": "forward", "forward": "backward", "ortho": "ortho"}


class FFT(Function):
    """y = fftn(x) over ``axes`` (``inverse``: ifftn), x and y complex of one shape.
    dL/dx = ifftn(dL/dy) (fftn for the inverse) with the dual ``norm``."""

    supports_complex, linear_map = True, True

    def __init__(self, axes, norm, inverse):
        self.axes, self.norm, self.inverse = tuple(axes), norm, inverse

    def forward(self, x):
        transform = self.xp(x).fft.ifftn if self.inverse else self.xp(x).fft.fftn
        return transform(x, axes=self.axes, norm=self.norm)

    def backward(self, gy):
        adjoint = self.xp(gy).fft.fftn if self.inverse else self.xp(gy).fft.ifftn
        return (adjoint(gy, axes=self.axes, norm=DUAL_NORM[self.norm]),)


class RFFT(Function):
    """y = rfftn(x) over ``axes``: x real, y complex with the last axis n -> n // 2 + 1.
    dL/dx = Re ifftn(dL/dy zero-filled to n bins) with the dual ``norm``."""

    supports_complex, linear_map = True, True

    def __init__(self, axes, norm):
        self.axes, self.norm = tuple(axes), norm

    def forward(self, x):
        self.full_shape = x.shape
        return self.xp(x).fft.rfftn(x, axes=self.axes, norm=self.norm)

    def backward(self, gy):
        xp = self.xp(gy)
        full = xp.zeros(self.full_shape, dtype=gy.dtype)
        kept = [slice(None)] * gy.ndim
        kept[self.axes[-1]] = slice(0, gy.shape[self.axes[-1]])
        full[tuple(kept)] = gy
        return (xp.fft.ifftn(full, axes=self.axes, norm=DUAL_NORM[self.norm]).real.copy(),)


class IRFFT(Function):
    """y = irfftn(x) over ``axes`` with ``length`` n along the last: x complex with n // 2 + 1 bins
    there, y real. dL/dx = rfftn(dL/dy) with the dual ``norm``, bins 0 < j < n - j doubled."""

    supports_complex, linear_map = True, True

    def __init__(self, axes, length, norm):
        self.axes, self.length, self.norm = tuple(axes), length, norm

    def forward(self, x):
        sizes = [x.shape[axis] for axis in self.axes[:-1]] + [self.length]
        return self.xp(x).fft.irfftn(x, s=sizes, axes=self.axes, norm=self.norm)

    def backward(self, gy):
        gx = self.xp(gy).fft.rfftn(gy, axes=self.axes, norm=DUAL_NORM[self.norm])
        doubled = [slice(None)] * gx.ndim
        doubled[self.axes[-1]] = slice(1, (self.length + 1) // 2)
        gx[tuple(doubled)] *= 2
        return (gx,)
