"""The random generators behind initialisation, dropout, shuffling and augmentation.

``manual_seed(s)`` reseeds all of them, so two runs with the same seed draw the same numbers.
Their states can be saved and restored (``get_rng_state``/``set_rng_state``) so that a
resumed run continues the exact random stream of an uninterrupted one.

The GPU generator (CuPy's, cuRAND states spread over thousands of threads in device memory) has
no public way to read its state. So it keeps a log of the draws made since it was seeded, and
its saved state is that log: restoring makes a fresh generator from the seed and makes the same
draws again. That costs a kernel launch per logged draw (an epoch of the MNIST example has ~2,300
draws: a fraction of a second on a GPU) and nothing while training; the log is host memory, so
saving it reads nothing back from the GPU.
"""
import contextlib
import math

import numpy as np

from . import memory_layout


_DEFAULT_SEED = 0
_cpu_generator = np.random.Generator(np.random.PCG64(_DEFAULT_SEED))
_gpu_generator = None
_gpu_draws = None  # (kinds, sequence) to make again when the GPU generator is next created
_seed = _gpu_seed = _DEFAULT_SEED


def _checked_seed(seed, name):
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool):
        raise TypeError(f"{name}: expected an int seed, got {type(seed).__name__}")
    return int(seed)


def manual_seed(seed):
    """Seed every tinynn random source (CPU, and the GPU one if CuPy is in use); returns
    ``default_generator``, as PyTorch's returns its own."""
    manual_seed_cpu(seed)
    manual_seed_gpu(seed)
    return default_generator


def manual_seed_cpu(seed):
    """Seed the CPU's generator only (``default_generator.manual_seed``)."""
    global _cpu_generator, _seed
    _seed = _checked_seed(seed, "manual_seed")
    _cpu_generator = np.random.Generator(np.random.PCG64(_seed))


def manual_seed_gpu(seed):
    """Seed the GPU's generator only (``tinynn.cuda.manual_seed``); the CPU's stream goes on."""
    global _gpu_generator, _gpu_draws, _gpu_seed
    _gpu_seed = _checked_seed(seed, "manual_seed")
    _gpu_generator, _gpu_draws = None, None  # recreated from the new seed on first GPU use


def seed():
    """Seed every generator from fresh entropy (a different stream each run); returns the seed."""
    new_seed = _fresh_seed()
    manual_seed(new_seed)
    return new_seed


def _fresh_seed():
    return int(np.random.SeedSequence().generate_state(1, dtype=np.uint64)[0] >> 1)


class RecordedGenerator:
    """A CuPy generator that logs its draws: each distinct call (method and arguments, as plain
    JSON-friendly values) once in ``kinds``, and the order of the calls as indices into it."""

    def __init__(self, xp, seed, replay=None):
        self._generator = xp.random.default_rng(seed)
        self.kinds, self._kind_index, self.sequence = [], {}, []
        if replay is not None:
            kinds, sequence = replay
            for index in sequence:
                method, args, kwargs = kinds[int(index)]
                getattr(self, method)(*_restored(args), **_restored(kwargs))

    def __getattr__(self, method):
        draw = getattr(self._generator, method)

        def recorded(*args, **kwargs):
            kind = [method, _plain(args), _plain(kwargs)]
            key = repr(kind)
            if key not in self._kind_index:
                self._kind_index[key] = len(self.kinds)
                self.kinds.append(kind)
            self.sequence.append(self._kind_index[key])
            return draw(*args, **kwargs)
        return recorded


def _plain(value):
    """Arguments of a draw as JSON-friendly values (dtypes by name), for a checkpoint."""
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, (tuple, list)):
        return [_plain(item) for item in value]
    if isinstance(value, np.dtype) or (isinstance(value, type) and issubclass(value, np.generic)):
        return {"dtype": np.dtype(value).name}
    if isinstance(value, np.generic):
        return value.item()
    return value


def _restored(value):
    """The inverse of _plain (lists become tuples, which every draw accepts as sizes)."""
    if isinstance(value, dict):
        if set(value) == {"dtype"}:
            return np.dtype(value["dtype"])
        return {key: _restored(item) for key, item in value.items()}
    if isinstance(value, list):
        return tuple(_restored(item) for item in value)
    return value


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
    global _gpu_draws
    if _gpu_generator is None:
        _gpu_generator, _gpu_draws = RecordedGenerator(xp, _gpu_seed, replay=_gpu_draws), None
    return _gpu_generator


def get_rng_state():
    """A snapshot of every generator: the CPU one's state, and the GPU one's draws since the seed
    (``gpu_kinds``, ``gpu_draws``); plain values and one int32 array, as ``tinynn.save`` stores them."""
    if _gpu_generator is not None:
        kinds, sequence = _gpu_generator.kinds, _gpu_generator.sequence
    else:
        kinds, sequence = _gpu_draws if _gpu_draws is not None else ([], [])
    return {"seed": _seed, "cpu": _cpu_generator.bit_generator.state, "gpu_seed": _gpu_seed,
            "gpu_kinds": [list(kind) for kind in kinds], "gpu_draws": np.asarray(sequence, dtype=np.int32)}


def set_rng_state(new_state):
    """Restore a ``get_rng_state`` snapshot; the GPU generator makes its logged draws again when
    it is next used (states saved before the GPU log existed restart the GPU stream from the seed)."""
    global _cpu_generator, _gpu_generator, _gpu_draws, _seed, _gpu_seed
    _seed = int(new_state["seed"])
    _gpu_seed = int(new_state.get("gpu_seed", _seed))  # (states saved before the GPU had a seed of its own)
    _cpu_generator = np.random.Generator(np.random.PCG64(_seed))
    _cpu_generator.bit_generator.state = new_state["cpu"]
    _gpu_generator = None
    kinds, draws = new_state.get("gpu_kinds"), new_state.get("gpu_draws")
    _gpu_draws = (kinds, np.asarray(draws).tolist()) if kinds else None


@contextlib.contextmanager
def seeded_for(seed):
    """Inside, every tinynn draw (CPU or GPU) comes from generators seeded with ``seed``; the global
    generators are put back untouched afterwards. Running the same code twice under the same seed
    draws the same numbers (``tinynn.utils.checkpoint``'s replay)."""
    global _cpu_generator, _gpu_generator, _gpu_draws, _seed, _gpu_seed
    saved = _cpu_generator, _gpu_generator, _gpu_draws, _seed, _gpu_seed
    _cpu_generator, _gpu_generator, _gpu_draws = np.random.Generator(np.random.PCG64(seed)), None, None
    _seed = _gpu_seed = seed
    try:
        yield
    finally:
        _cpu_generator, _gpu_generator, _gpu_draws, _seed, _gpu_seed = saved


@contextlib.contextmanager
def fork_rng(devices=None, enabled=True, _caller="fork_rng", _devices_kw="devices", device_type="cuda"):
    """Inside, draw as you like: on leaving, the generators are back where they were on entering
    (PyTorch's ``torch.random.fork_rng``), seeds set inside included. ``devices``: the GPU's generator
    is forked too unless it is an empty list (tinynn has one GPU generator, whatever the list names);
    ``enabled=False`` forks nothing. The CPU generator is the same object afterwards, its state put
    back. A GPU generator that drew inside makes its logged draws again when next used (see the
    module docstring): a kernel launch per draw since its seed, which the CPU's generator never needs."""
    if device_type not in ("cuda", "gpu"):
        raise ValueError(f"{_caller}: device_type must be 'cuda' or 'gpu', got {device_type!r}")
    if not enabled:
        yield
        return
    global _cpu_generator, _gpu_generator, _gpu_draws, _seed, _gpu_seed
    fork_gpu = devices is None or len(list(devices)) > 0
    cpu, cpu_state, seed_before = _cpu_generator, _cpu_generator.bit_generator.state, _seed
    gpu, gpu_draws, gpu_seed = _gpu_generator, _gpu_draws, _gpu_seed
    drawn_on_gpu = len(gpu.sequence) if gpu is not None else None
    try:
        yield
    finally:
        cpu.bit_generator.state = cpu_state
        _cpu_generator, _seed = cpu, seed_before
        if fork_gpu and (_gpu_generator is not gpu or _gpu_seed != gpu_seed
                         or (gpu is not None and len(gpu.sequence) != drawn_on_gpu)):
            _gpu_seed, _gpu_generator = gpu_seed, None
            # made again from the seed and the draws logged before the fork, when next used
            _gpu_draws = (gpu.kinds, gpu.sequence[:drawn_on_gpu]) if gpu is not None else gpu_draws


def uint16_like_layout(xp, like):
    """Uniform integers in [0, 65535] with ``like``'s shape *and* memory layout.

    Elementwise ops run fastest when both operands share a layout; the conv layers produce
    channels-last memory behind an NCHW shape, so a dropout mask is drawn in that order too.
    16-bit draws cost NumPy about half the time of float32 ones.
    """
    order = memory_layout.order_in_memory(like)
    return uint16(xp, tuple(like.shape[axis] for axis in order)).transpose(memory_layout.inverse_order(order))


def uint16(xp, shape):
    """Uniform integers in [0, 65535] of the given shape, on the device of the array module ``xp``.
    On the CPU each of PCG64's raw 64-bit outputs, whose bits are all uniform, gives four, low bits
    first: the draws ``integers(0, 65535, endpoint=True)`` makes from the same state (it splits each
    output into two 32-bit halves and each half into two), 1.75x faster."""
    if xp is not np:
        return generator_for(xp).integers(0, 65535, shape, dtype=np.uint16, endpoint=True)
    count = math.prod(shape)
    raw = _cpu_generator.bit_generator.random_raw(-(-count // 4)).view(np.uint16)
    return raw[:count].reshape(shape)


class Generator:
    """A random generator of one's own, as ``torch.Generator``: pass it as ``generator=`` to the
    factories (``randn``, ``rand``, ``randint``, ``randperm``, ``normal``, ``bernoulli``,
    ``multinomial``), ``random_split``, the samplers and the DataLoader, to draw from a stream no
    other code touches. Draws are made on the CPU (PCG64) and moved to the tensor's device."""

    def __init__(self, device="cpu"):
        self.device = device
        self.manual_seed(_DEFAULT_SEED)

    def manual_seed(self, seed):
        self._seed = _checked_seed(seed, "Generator.manual_seed")
        self.numpy = np.random.Generator(np.random.PCG64(self._seed))
        return self

    def seed(self):
        """Reseed from fresh entropy; returns the new seed."""
        self.manual_seed(_fresh_seed())
        return self._seed

    def initial_seed(self):
        return self._seed

    def get_state(self):
        return self.numpy.bit_generator.state

    def set_state(self, state):
        self.numpy.bit_generator.state = state
        return self


class DefaultGenerator(Generator):
    """``tinynn.default_generator``: the global CPU generator, the one every draw without ``generator=`` uses,
    as a Generator (``torch.default_generator``): seeding or restoring it changes those draws."""

    def __init__(self):
        self.device = "cpu"

    @property
    def numpy(self):
        return _cpu_generator

    def manual_seed(self, seed):
        manual_seed_cpu(seed)
        return self

    def initial_seed(self):
        return _seed

    def __reduce__(self):
        return "default_generator"  # the module's one, in whichever process unpickles it


default_generator = DefaultGenerator()


def numpy_generator(generator=None):
    """The NumPy generator to draw from: a ``Generator``'s, a NumPy Generator as it is, or tinynn's
    global CPU one."""
    if generator is None:
        return _cpu_generator
    if isinstance(generator, Generator):
        return generator.numpy
    if isinstance(generator, np.random.Generator):
        return generator
    raise TypeError(f"expected a tinynn.Generator (or a numpy.random.Generator), got {type(generator).__name__}")
