"""Complex tensors: how their gradients are defined, and the ops between complex and real tensors.

A loss L is real, so for a complex z = x + iy it has two real derivatives, dL/dx and dL/dy. The
gradient tinynn (as PyTorch) gives z is

    z.grad = dL/dx + i dL/dy

the direction of steepest ascent in the complex plane, so ``z -= lr * z.grad`` descends exactly as
for a real tensor. (In Wirtinger calculus it is 2 dL/dz*.) An op y = f(z) then back-propagates

* for f holomorphic (exp, sin, z * w, z @ w, ...):  dL/dz = dL/dy * conj(f'(z)),
  so every complex-capable backward multiplies by the conjugate of the real one's factor;
* for f linear, y = A z (sums, reshapes, the DFT):  dL/dz = A^H dL/dy, A's conjugate transpose;
* for a real input u of a complex output (u promoted to complex, ``torch.complex``, ``polar``):
  dL/du = Re(conj(dy/du) dL/dy); the engine takes the real part of any complex gradient that
  reaches a real tensor;
* for a real output of a complex input (|z|, Re z, Im z, angle z): dL/dz = dL/dy (dy/dx + i dy/dy).

An op declares it follows these rules with ``supports_complex``; the others refuse complex inputs.
Complex-capable: + - * / ** @, negation, exp, log, log1p, expm1, sqrt, sin, cos, tanh, sigmoid,
abs, where, einsum, sum, mean, cumsum, the shape and indexing ops (reshape, transpose, indexing,
cat, stack, pad, expand, repeat, gather, scatter_add, clone), device and dtype moves, and the ops
below: ``conj``, ``real``, ``imag``, ``angle``, ``view_as_real``, ``view_as_complex``,
``complex``, ``polar``; ``tinynn.fft`` (ops/fft.py); linear algebra's inv, det, slogdet, solve,
matrix_exp (ops/linalg.py) and eig (ops/decompositions.py); ``Linear`` (nn/functional/linear.py) and
the convolutions (nn/functional/complex_conv.py); sparse products refuse complex values.
"""
import numpy as np

from ..errors import DtypeError, InputError
from .. import backend
from ..autograd import Function
from . import promotion


def conj(value):
    """The complex conjugate of an array or Tensor; a real one as it is (no copy, so the real
    backward formulas that call this cost nothing more)."""
    if value is None or value.dtype.kind != "c":
        return value
    return value.conj()


def complex_from(real_part, imag_part=None):
    """The array real_part + i imag_part (imag_part None: 0), broadcast, of the complex dtype of
    real_part's precision."""
    xp = Function.xp(real_part)
    shape = real_part.shape if imag_part is None else np.broadcast_shapes(real_part.shape, imag_part.shape)
    result = xp.empty(shape, dtype=promotion.complex_of(real_part.dtype))
    result.real = real_part
    result.imag = 0 if imag_part is None else imag_part
    return result


class Conj(Function):
    """y = conj(z) = x - iy.  A real-linear map that flips Im: dL/dz = conj(dL/dy)."""

    supports_complex, linear_map = True, True

    def forward(self, z):
        return z.conj()

    def backward(self, gy):
        return (gy.conj(),)


class Real(Function):
    """y = Re z (real, z's shape; a view of z's memory, as PyTorch's).  dy/dx = 1, dy/dy = 0:
    dL/dz = dL/dy + 0i."""

    supports_complex, linear_map = True, True

    def forward(self, z):
        return z.real

    def backward(self, gy):
        return (complex_from(gy),)


class Imag(Function):
    """y = Im z (a view of z's memory).  dy/dx = 0, dy/dy = 1: dL/dz = 0 + i dL/dy."""

    supports_complex, linear_map = True, True

    def forward(self, z):
        return z.imag

    def backward(self, gy):
        return (complex_from(self.xp(gy).zeros_like(gy), gy),)


class Angle(Function):
    """y = arg z = atan2(y, x) in (-pi, pi].  dy/dx = -y/|z|^2, dy/dy = x/|z|^2, so
    dL/dz = dL/dy (-y + ix) / |z|^2 = dL/dy * i z / |z|^2 (0 at z = 0, as PyTorch)."""

    supports_complex = True
    graph_saved = {"z": 0}

    def forward(self, z):
        xp = self.xp(z)
        self.z, self.zero = z, z == 0
        return xp.angle(z).astype(z.real.dtype, copy=False)

    def backward(self, gy):
        xp = self.xp(gy)
        squared = (self.z * conj(self.z)).real
        return (xp.where(self.zero, 0, gy * 1j * self.z / xp.where(self.zero, 1, squared)),)


class ComplexAbs(Function):
    """y = |z| = sqrt(x^2 + y^2) (real).  dL/dz = dL/dy (x + iy) / |z| = dL/dy * z / |z|, 0 at z = 0
    (PyTorch's choice there, where |z| has no derivative)."""

    supports_complex = True
    graph_saved = {"z": 0, "y": "output"}

    def forward(self, z):
        self.z = z
        self.y = self.xp(z).abs(z)
        self.zero = self.y == 0
        return self.y

    def backward(self, gy):
        xp = self.xp(gy)
        return (xp.where(self.zero, 0, gy * self.z / xp.where(self.zero, 1, self.y)),)


class ViewAsReal(Function):
    """(...) complex -> (..., 2) real, Re in [..., 0] and Im in [..., 1]: a view of z's memory, as
    PyTorch's (each complex number is its two parts, one after the other). A real-linear
    relabelling: dL/dz = dL/dy[..., 0] + i dL/dy[..., 1]."""

    supports_complex, linear_map = True, True

    def forward(self, z):
        if z.dtype.kind != "c":
            raise DtypeError(f"view_as_real: expected a complex tensor, got {z.dtype}")
        return backend.complex_pairs(z, writeable=True)

    def backward(self, gy):
        return (complex_from(gy[..., 0], gy[..., 1]),)


class ViewAsComplex(Function):
    """(..., 2) real -> (...) complex, z = x[..., 0] + i x[..., 1]: a view of x's memory, as PyTorch's,
    which needs each pair side by side (the last stride 1, the others even, as PyTorch asks).
    dL/dx = (Re dL/dz, Im dL/dz) stacked along the last axis."""

    supports_complex, linear_map = True, True

    def forward(self, x):
        if x.dtype.kind != "f" or x.dtype == np.float16:
            raise DtypeError(f"view_as_complex: expected a float32 or float64 tensor, got {x.dtype}")
        if x.ndim == 0 or x.shape[-1] != 2:
            raise InputError(f"view_as_complex: expected a last dimension of size 2 (real, imaginary), "
                             f"got shape {tuple(x.shape)}")
        pair = 2 * x.itemsize
        if x.strides[-1] != x.itemsize or any(stride % pair for stride in x.strides[:-1]) or \
                backend.address(x) % pair:
            raise InputError(f"view_as_complex: each (real, imaginary) pair must lie side by side in memory (last "
                             f"stride 1, the others even, aligned; strides in elements "
                             f"{tuple(s // x.itemsize for s in x.strides)}); call .contiguous() first")
        # the last axis is contiguous, so the array reads as complex numbers: (..., 1) -> (...)
        return x.view(np.complex64 if x.dtype == np.float32 else np.complex128)[..., 0]

    def backward(self, gz):
        return (self.xp(gz).stack([gz.real, gz.imag], axis=-1),)


class MakeComplex(Function):
    """z = a + ib from real a and b of one float dtype (broadcast).  dL/da = Re dL/dz,
    dL/db = Im dL/dz (each summed over its broadcast axes)."""

    supports_complex = True
    graph_saved = {}

    def forward(self, a, b):
        from .arithmetic import broadcast_shapes

        if a.dtype != b.dtype or a.dtype.kind != "f" or a.dtype == np.float16:
            raise DtypeError(f"complex: expected real and imag of one dtype, float32 or float64, got "
                             f"{a.dtype} and {b.dtype}")
        broadcast_shapes("complex", a, b)
        self.a_shape, self.b_shape = a.shape, b.shape
        return complex_from(a, b)

    def backward(self, gz):
        from .arithmetic import sum_to_shape

        return sum_to_shape(gz.real, self.a_shape), sum_to_shape(gz.imag, self.b_shape)


class Polar(Function):
    """z = r e^{i theta} from real r and theta (broadcast).  dz/dr = e^{i theta}, dz/dtheta = i z,
    so dL/dr = Re(dL/dz * e^{-i theta}), dL/dtheta = Re(dL/dz * conj(i z))."""

    supports_complex = True  # its backward reads values as constants: no gradients of gradients

    def forward(self, r, theta):
        from .arithmetic import broadcast_shapes

        if r.dtype != theta.dtype or r.dtype.kind != "f" or r.dtype == np.float16:
            raise DtypeError(f"polar: expected abs and angle of one dtype, float32 or float64, got "
                             f"{r.dtype} and {theta.dtype}")
        broadcast_shapes("polar", r, theta)
        xp = self.xp(r)
        self.r_shape, self.theta_shape = r.shape, theta.shape
        self.unit = complex_from(xp.cos(theta), xp.sin(theta))
        self.z = r * self.unit
        return self.z

    def backward(self, gz):
        from .arithmetic import sum_to_shape

        gr = sum_to_shape((gz * self.unit.conj()).real, self.r_shape) if self.needs_input_grad[0] else None
        gtheta = (sum_to_shape((gz * (1j * self.z).conj()).real, self.theta_shape)
                  if self.needs_input_grad[1] else None)
        return gr, gtheta
