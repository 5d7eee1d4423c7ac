"""Activation checkpointing (PyTorch's ``torch.utils.checkpoint``): trade compute for memory.

Normally every op keeps what its backward needs (inputs, masks, im2col blocks) from the forward
pass until the backward pass, so a deep network's memory grows with its depth. ``checkpoint(fn,
*args)`` runs ``fn`` without recording anything: only its inputs and output are kept. When the
backward pass reaches it, ``fn`` runs again, recorded this time, and the gradient flows back
through that replay: one more forward pass of ``fn``, and its activations live only during its
own backward.

The replay draws the same random numbers as the first run (dropout masks, augmentation): the
draws inside a checkpointed call come from generators seeded for that call, with a seed drawn
once from tinynn's generator (``tinynn.random.seeded_for``).

As PyTorch's reentrant checkpoint: parameters used inside ``fn`` receive their gradients when
the replay is back-propagated, so it works with ``.backward()``; ``autograd.grad`` (which must
not touch ``.grad``) and ``create_graph`` through a checkpoint are errors.
"""
from .. import random
from ..autograd import Function, enable_grad, engine, no_grad
from ..tensor import Tensor


class Checkpoint(Function):
    """y = fn(*args) with nothing recorded inside; backward replays fn, recorded, and
    back-propagates dL/dy through the replay (see the module docstring). Inputs: the Tensors among
    ``args`` (the other arguments are passed to fn as they are)."""

    supports_complex = True  # it runs other ops, which check for themselves

    def __init__(self, function, args, seed):
        self.function, self.args, self.seed = function, args, seed

    def _run(self, tensors):
        tensors = iter(tensors)
        args = [next(tensors) if isinstance(arg, Tensor) else arg for arg in self.args]
        with random.seeded_for(self.seed):
            output = self.function(*args)
        if not isinstance(output, Tensor):
            raise TypeError(f"checkpoint: the function must return one Tensor, got {type(output).__name__}")
        return output

    def forward(self, *arrays):
        with no_grad():
            return self._run([Tensor._from_op(array, False) for array in arrays]).data

    def backward(self, gy):
        if not engine.accumulates_into_leaves():
            raise RuntimeError("checkpoint: autograd.grad() cannot pass through a checkpoint: the replayed function's "
                               "parameters receive their gradients in .grad, which grad() must not touch; use .backward()")
        replayed = [Tensor._from_op(x.data, needed) for x, needed in zip(self.inputs, self.needs_input_grad)]
        with enable_grad():
            output = self._run(replayed)
        if output.requires_grad:
            output.backward(gy)
        return tuple(None if not needed or x.grad is None else x.grad if x.grad.is_sparse else x.grad.data
                     for x, needed in zip(replayed, self.needs_input_grad))


def checkpoint(function, *args, use_reentrant=None, preserve_rng_state=True):
    """``function(*args)`` (one Tensor out), its activations recomputed in the backward pass instead
    of kept. ``use_reentrant`` and ``preserve_rng_state`` are accepted for PyTorch's signature; the
    replay always draws the same random numbers."""
    if not callable(function):
        raise TypeError(f"checkpoint: expected a callable, got {type(function).__name__}")
    tensors = [arg for arg in args if isinstance(arg, Tensor)]
    seed = int(random.cpu_generator().integers(2 ** 63))
    return Checkpoint(function, args, seed)(*tensors)


def checkpoint_sequential(functions, segments, input, use_reentrant=None, preserve_rng_state=True):
    """Run ``functions`` (a Sequential or a list of callables) one after another on ``input``, split
    as PyTorch does: ``segments - 1`` checkpointed pieces of len(functions) // segments functions,
    then the rest run normally."""
    functions = list(functions.children()) if hasattr(functions, "children") else list(functions)
    if not isinstance(segments, int) or not 1 <= segments <= max(len(functions), 1):
        raise ValueError(f"checkpoint_sequential: segments must be an int from 1 to {len(functions)}, got {segments!r}")
    size = len(functions) // segments

    def run(piece):
        def forward(x):
            for function in piece:
                x = function(x)
            return x
        return forward

    end = 0
    for start in range(0, size * (segments - 1), size):
        end = start + size
        input = checkpoint(run(functions[start:end]), input)
    return run(functions[end:])(input)
