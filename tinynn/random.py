"""The random generators behind initialisation, dropout, shuffling and augmentation.

``manual_seed(s)`` reseeds all of them, so two runs with the same seed draw the same numbers.
Their states can be saved and restored (``get_rng_state``/``set_rng_state``) so that a
resumed run continues the exact random stream of an uninterrupted one.
"""
import numpy as np


_DEFAULT_SEED = 0
_cpu_generator = np.random.Generator(np.random.PCG64(_DEFAULT_SEED))
_gpu_generator = None
_seed = _DEFAULT_SEED


def manual_seed(seed):
    """Seed every tinynn random source (CPU, and the GPU one if CuPy is in use)."""
    global _cpu_generator, _gpu_generator, _seed
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool):
        raise TypeError(f"manual_seed: expected an int seed, got {type(seed).__name__}")
    _seed = int(seed)
    _cpu_generator = np.random.Generator(np.random.PCG64(_seed))
    _gpu_generator = None  # recreated from the new seed on first GPU use


def initial_seed():
    return _seed


def cpu_generator():
    """The NumPy Generator used for all CPU randomness."""
    return _cpu_generator


def generator_for(xp):
    """A generator with ``.random(shape, dtype)`` for the array module ``xp``."""
    global _gpu_generator
    if xp is np:
        return _cpu_generator
    if _gpu_generator is None:
        _gpu_generator = xp.random.default_rng(_seed)
    return _gpu_generator


def get_rng_state():
    """A JSON-friendly snapshot of the CPU generator (the GPU stream restarts from the seed)."""
    return {"seed": _seed, "cpu": _cpu_generator.bit_generator.state}


def set_rng_state(state):
    global _cpu_generator, _gpu_generator, _seed
    _seed = int(state["seed"])
    _cpu_generator = np.random.Generator(np.random.PCG64(_seed))
    _cpu_generator.bit_generator.state = state["cpu"]
    _gpu_generator = None


def uint16_like_layout(xp, like):
    """Uniform integers in [0, 65535] with ``like``'s shape *and* memory layout.

    Elementwise ops run fastest when both operands share a layout; the conv layers produce
    channels-last memory behind an NCHW shape, so a dropout mask is drawn in that order too.
    16-bit draws cost NumPy about half the time of float32 ones.
    """
    order = sorted(range(like.ndim), key=lambda axis: -abs(like.strides[axis])) if like.ndim else []
    samples = uint16(xp, tuple(like.shape[axis] for axis in order))
    return samples.transpose(tuple(np.argsort(order).tolist())) if order else samples


def uint16(xp, shape):
    """Uniform integers in [0, 65535] of the given shape, on the device of the array module ``xp``."""
    return generator_for(xp).integers(0, 65535, shape, dtype=np.uint16, endpoint=True)
