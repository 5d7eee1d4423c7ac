"""Forward-mode AD with dual tensors, PyTorch's ``torch.autograd.forward_ad``:

    with forward_ad.dual_level():
        x = forward_ad.make_dual(primal, tangent)
        y = f(x)                                   # any code on Tensors
        value, derivative = forward_ad.unpack_dual(y)   # derivative = J_f(primal) tangent

A dual tensor is its primal made a leaf of the graph; every op records as usual, and
``unpack_dual`` computes y's tangent when asked, by the "double vjp" of autograd.functional.jvp:
u -> J^T u (one backward pass from y, with create_graph) is linear in u, so its own vjp with the
tangents is J t; with several duals, the sum of J_i t_i. So forward mode costs two backward
passes per unpacked tensor here (PyTorch carries the tangents along instead) and needs every op
on the way to be twice differentiable, which tinynn's are. Tensors that do not depend on a dual
have no tangent (None), as in PyTorch. Levels nest; a dual belongs to the level it was made in.
A tangent laid out as its primal is kept itself (``unpack_dual(make_dual(p, t)).tangent is t``), another
is copied as the primal lies, as PyTorch's. A PyTorch-style Function that defines ``jvp`` and no
``backward`` (PyTorch's forward-mode tutorial's) takes part through its jvp's transpose (function.py).
"""
import collections
import contextlib

from ..errors import DtypeError, InputError
from . import grad_mode
from .engine import grad

UnpackedDualTensor = collections.namedtuple("UnpackedDualTensor", ["primal", "tangent"])

_levels = []  # one list of (dual, tangent) per open level, innermost last


def enter_dual_level():
    """Open a new level (``dual_level`` does this as a context manager); returns its index."""
    _levels.append([])
    return len(_levels) - 1


def exit_dual_level(*, level=None):
    """Close the innermost level (which must be ``level`` when given): its duals lose their tangents."""
    if not _levels:
        raise RuntimeError("exit_dual_level: no dual level is open")
    if level is not None and level != len(_levels) - 1:
        raise RuntimeError(f"exit_dual_level: level {level} is not the innermost open level ({len(_levels) - 1})")
    _levels.pop()


@contextlib.contextmanager
def dual_level():
    level = enter_dual_level()
    try:
        yield level
    finally:
        exit_dual_level(level=level)


def _level(level, name):
    if not _levels:
        raise RuntimeError(f"{name}: no dual level is open; use `with forward_ad.dual_level():`")
    level = len(_levels) - 1 if level is None else level
    if not 0 <= level < len(_levels):
        raise RuntimeError(f"{name}: level {level} is not open")
    return level


def make_dual(tensor, tangent, *, level=None):
    """``tensor`` with ``tangent`` (the same shape) as its direction: a new leaf that records."""
    from ..tensor import Tensor

    level = _level(level, "make_dual")
    if not isinstance(tangent, Tensor) or tuple(tangent.shape) != tuple(tensor.shape):
        raise InputError(f"make_dual: the tangent must be a Tensor of the primal's shape {tuple(tensor.shape)}, got "
                         f"{tuple(tangent.shape) if isinstance(tangent, Tensor) else type(tangent).__name__}")
    if tensor.dtype.kind != "f":
        raise DtypeError(f"make_dual: derivatives need a floating-point primal, got {tensor.dtype}")
    dual = tensor.detach().requires_grad_() if not tensor.requires_grad else tensor.reshape(tensor.shape)
    if tangent.stride() != tensor.stride():  # as PyTorch: kept as it is, or copied where it lies otherwise
        from ..functions import empty_like

        with grad_mode.no_grad():
            tangent = empty_like(tensor).copy_(tangent)
    _levels[level].append((dual, tangent))
    return dual


def unpack_dual(tensor, *, level=None):
    """(primal, tangent) of ``tensor``: the tangent J t from the level's duals, None when it does
    not depend on any of them (or no level is open)."""
    if not _levels:
        return UnpackedDualTensor(tensor, None)
    duals = _levels[_level(level, "unpack_dual")]
    for dual, tangent in duals:
        if tensor is dual:
            return UnpackedDualTensor(tensor.detach(), tangent)
    if not duals or not tensor.requires_grad or tensor.dtype.kind != "f":
        return UnpackedDualTensor(tensor, None)
    from ..tensor import zeros_like

    inputs = [dual for dual, _ in duals]
    with grad_mode.enable_grad():
        direction = zeros_like(tensor).requires_grad_()
        transposed = grad([tensor], inputs, [direction], retain_graph=True, create_graph=True, allow_unused=True)
        used = [(t, tangent) for t, (_, tangent) in zip(transposed, duals) if t is not None]
        if not used:
            return UnpackedDualTensor(tensor.detach(), None)
        total = sum((t * tangent).sum() for t, tangent in used)
        (found,) = grad([total], [direction], retain_graph=True, allow_unused=True)
    return UnpackedDualTensor(tensor.detach(), found if found is not None else zeros_like(tensor))
