"""Weight averaging (PyTorch's ``optim.swa_utils``): a copy of a model whose weights are a running
average of the model's along training, which often generalises better than the last weights.

* Stochastic weight averaging (the default): the plain mean of the weights seen at each
  ``update_parameters`` call, W_avg <- W_avg + (W - W_avg) / (n + 1).
* An exponential moving average (``multi_avg_fn=get_ema_multi_avg_fn(decay)``):
  W_avg <- decay W_avg + (1 - decay) W.

The first update copies the weights. ``update_bn`` recomputes batch-norm statistics for the
averaged weights (one pass over the data), ``SWALR`` anneals the learning rate to a constant
``swa_lr`` for the averaging phase.
"""
import copy
import math

import numpy as np

from .. import backend
from ..nn.modules.batchnorm import _BatchNorm
from ..nn.modules.module import Module
from ..tensor import Tensor
from .lr_scheduler import LRScheduler, check_optimizer


def get_swa_avg_fn():
    """(averaged, current, n) -> the mean of n + 1 values: averaged + (current - averaged) / (n + 1)."""
    def swa_update(averaged, current, num_averaged):
        return averaged + (current - averaged) / (num_averaged + 1)
    return swa_update


def get_ema_avg_fn(decay=0.999):
    """(averaged, current, n) -> decay * averaged + (1 - decay) * current."""
    if not 0.0 <= decay <= 1.0:
        raise ValueError(f"get_ema_avg_fn: decay must be in [0, 1], got {decay}")

    def ema_update(averaged, current, num_averaged):
        return decay * averaged + (1 - decay) * current
    return ema_update


def _over_lists(one):
    """An in-place function over lists of arrays from a function of one pair (the multi_avg_fn form)."""
    def update(averaged_list, current_list, num_averaged):
        for averaged, current in zip(averaged_list, current_list):
            if averaged.dtype.kind == "f":
                averaged[...] = one(averaged, current, num_averaged)
            else:  # an integer buffer (num_batches_tracked) is not averaged: it follows the model
                averaged[...] = current
    return update


def get_swa_multi_avg_fn():
    return _over_lists(get_swa_avg_fn())


def get_ema_multi_avg_fn(decay=0.999):
    return _over_lists(get_ema_avg_fn(decay))


class AveragedModel(Module):
    """A copy of ``model`` (``.module``) whose parameters (and buffers too, with ``use_buffers``)
    hold a running average of ``model``'s, updated by ``update_parameters(model)``. Without
    ``use_buffers`` the buffers (batch-norm statistics) follow the model's; ``update_bn`` then
    recomputes them for the averaged weights. Calling it runs the averaged copy."""

    def __init__(self, model, device=None, avg_fn=None, multi_avg_fn=None, use_buffers=False):
        super().__init__()
        self.module = copy.deepcopy(model)
        if device is not None:
            self.module.to(device)
        self.register_buffer("n_averaged", Tensor(backend.to_device(np.zeros((), dtype=np.int64), self.module.device)))
        self.avg_fn, self.multi_avg_fn, self.use_buffers = avg_fn, multi_avg_fn, use_buffers

    def forward(self, *args, **kwargs):
        return self.module(*args, **kwargs)

    def _tensors(self, model):
        return list(model.parameters()) + (list(model.buffers()) if self.use_buffers else [])

    def update_parameters(self, model):
        averaged = [t._array for t in self._tensors(self.module)]
        current = [backend.to_device(t._array, self.module.device) for t in self._tensors(model)]
        count = int(self.n_averaged.item())
        if count == 0:
            for target, source in zip(averaged, current):
                target[...] = source
        elif self.avg_fn is not None and self.multi_avg_fn is None:
            for target, source in zip(averaged, current):
                target[...] = self.avg_fn(target, source, count) if target.dtype.kind == "f" else source
        else:
            (self.multi_avg_fn or get_swa_multi_avg_fn())(averaged, current, count)
        if not self.use_buffers:
            for own, theirs in zip(self.module.buffers(), model.buffers()):
                own._array[...] = backend.to_device(theirs._array, own.device)
        self.n_averaged._array[...] = count + 1


def update_bn(loader, model, device=None):
    """Recompute every batch-norm layer's running statistics as the plain average over one pass of
    ``loader`` (batches, or tuples whose first element is the input) in training mode."""
    momenta = {}
    for module in model.modules():
        if isinstance(module, _BatchNorm) and module.track_running_stats:
            module.reset_running_stats()
            momenta[module] = module.momentum
    if not momenta:
        return
    was_training = model.training
    model.train()
    for module in momenta:
        module.momentum = None  # a cumulative average over the batches
    from ..autograd import no_grad

    with no_grad():
        for batch in loader:
            inputs = batch[0] if isinstance(batch, (tuple, list)) else batch
            model(inputs if device is None else inputs.to(device))
    for module, momentum in momenta.items():
        module.momentum = momentum
    model.train(was_training)


class SWALR(LRScheduler):
    """Anneals every group's lr from where it is to ``swa_lr`` over ``anneal_epochs`` epochs (cosine
    or linear), then keeps it there: PyTorch's recursive formulas, so the sequences agree."""

    def __init__(self, optimizer, swa_lr, anneal_epochs=10, anneal_strategy="cos", last_epoch=-1):
        check_optimizer(optimizer, "SWALR")
        swa_lrs = list(swa_lr) if isinstance(swa_lr, (list, tuple)) else [swa_lr] * len(optimizer.param_groups)
        if len(swa_lrs) != len(optimizer.param_groups):
            raise ValueError(f"SWALR: {len(swa_lrs)} swa_lr values for {len(optimizer.param_groups)} parameter groups")
        for value, group in zip(swa_lrs, optimizer.param_groups):
            group["swa_lr"] = value
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError(f"SWALR: anneal_strategy must be 'cos' or 'linear', got {anneal_strategy!r}")
        if not isinstance(anneal_epochs, int) or anneal_epochs < 0:
            raise ValueError(f"SWALR: anneal_epochs must be an int >= 0, got {anneal_epochs!r}")
        self.anneal_strategy, self.anneal_epochs = anneal_strategy, anneal_epochs
        super().__init__(optimizer, last_epoch)

    def _anneal(self, t):
        return (1 - math.cos(math.pi * t)) / 2 if self.anneal_strategy == "cos" else t

    def get_lr(self):
        step = self._step_count - 1
        if self.anneal_epochs == 0:
            step = max(1, step)
        previous_alpha = self._anneal(max(0, min(1, (step - 1) / max(1, self.anneal_epochs))))
        # the lr the annealing started from, recovered from the current one
        starts = [group["swa_lr"] if previous_alpha == 1 else (group["lr"] - previous_alpha * group["swa_lr"]) /
                  (1 - previous_alpha) for group in self.optimizer.param_groups]
        alpha = self._anneal(max(0, min(1, step / max(1, self.anneal_epochs))))
        return [group["swa_lr"] * alpha + start * (1 - alpha) for group, start in zip(self.optimizer.param_groups, starts)]
