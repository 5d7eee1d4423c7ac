"""``Optimizer``: parameter groups, per-parameter state and (de)serialisation, as in PyTorch.

Subclasses implement ``_update(param, grad, state, group)`` with the update rule on raw arrays;
updates are done in place on the parameter's array (``param._array``), so nothing is recorded. A group with
``maximize=True`` (PyTorch's option, on every optimizer that has it there) hands the rule -grad.

Every update rule is elementwise, so it can also run once over all of a group's parameters laid
end to end: ``foreach`` (PyTorch's name for its multi-tensor path). On its first step it moves
the parameters' values into one flat array and makes each parameter's array a view of its piece
(a different array object afterwards, with the same values); the
gradients are concatenated each step, the rule runs on the flat arrays, and the parameters see
the new values at once. The rule's state lives in flat arrays whose pieces are each parameter's
state (``state_dict`` sees the usual per-parameter tensors). The results are the same bits, but
the update costs a handful of array operations instead of a handful per parameter: on the GPU,
where each operation is a kernel launch with microseconds of CPU overhead, SGD on the seed model
goes from about 306 kernel launches per step to about 18 (``tests/gpu_simulation/count_calls.py``).
Should a parameter's ``data`` be replaced (``module.to``, an assignment), the next step gathers
the values again. ``foreach=None`` (the default) does this
for parameters on the GPU only, as PyTorch does; on the CPU, where an operation on a small array
costs about a microsecond, the plain loop is as fast.

On the CPU a large parameter (more than two of ``parallel.CACHE_BLOCK``) is updated a block at a
time, the blocks side by side on tinynn's threads (``_update_in_blocks``, tinynn.parallel): each
line of a rule makes temporaries the parameter's size, which for a 50 MB table stream through memory
one after the other, where a block's stay in the CPU's caches. Adam on a 200,000 x 64 float32 table
takes 21 ms a step instead of 54 (the same bits; benchmarks/bench_sparse_embedding.py's dense step,
Adam included, went from 50-52 ms to 27-31, PyTorch's 36-51 ms in the same runs).

A parameter whose gradient is sparse (an ``Embedding(sparse=True)``'s table, tinynn/sparse.py) goes
to ``_update_sparse(param, rows, values, state, group)`` instead, with the coalesced gradient as the
coordinates of its rows and their values: SGD, Adagrad and SparseAdam update only those rows (their
state stays dense, of the parameter's shape); the other optimizers refuse sparse gradients, as
PyTorch's do.

A complex parameter is optimized as the real pairs (Re, Im) of its elements, as PyTorch's
optimizers view it (``torch.view_as_real``): the rule runs on a real view of its memory and of its
gradient, so Adam's second moment is per real coordinate, not the square of a complex number. Its
state is kept in that (..., 2) real layout. Optimizers whose rule is not elementwise (LBFGS,
Adafactor, Muon) refuse complex parameters.
"""
import copy
import functools
import itertools

import numpy as np

from .. import backend, parallel
from ..autograd import in_place, no_grad
from ..hooks import RemovableHandle
from ..sparse import zero_gradient
from ..tensor import Tensor
from .hyperparameters import checked
from .state import ParameterStates


def _ascent_aware(grad, group):
    """The gradient an update rule descends: -grad for a group that maximizes (PyTorch's ``maximize``:
    the rule, weight decay included, then runs as for minimizing the negated objective)."""
    return -grad if group.get("maximize") else grad


_global_hooks = {"step_pre": {}, "step_post": {}}  # every optimizer's, as PyTorch's global hooks


def register_optimizer_step_pre_hook(hook):
    """``hook(optimizer, args, kwargs)`` before every optimizer's step (before its own pre-hooks)."""
    handle = RemovableHandle(_global_hooks["step_pre"])
    _global_hooks["step_pre"][handle.id] = hook
    return handle


def register_optimizer_step_post_hook(hook):
    """``hook(optimizer, args, kwargs)`` after every optimizer's step (before its own post-hooks)."""
    handle = RemovableHandle(_global_hooks["step_post"])
    _global_hooks["step_post"][handle.id] = hook
    return handle


def _with_step_hooks(step):
    """``step`` running the optimizer's step pre-hooks (which may replace its arguments) before it
    and its post-hooks after (once, even where a subclass's step calls the base's). As in PyTorch,
    a hook sees ``hook(optimizer, args, kwargs)`` with the optimizer itself first in args."""
    @functools.wraps(step)
    def hooked(*args, **kwargs):
        optimizer = args[0]
        if optimizer._inside_step:
            return step(*args, **kwargs)
        for hook in [*_global_hooks["step_pre"].values(), *optimizer._hooks["step_pre"].values()]:
            replaced = hook(optimizer, args, kwargs)
            if replaced is not None:
                args, kwargs = replaced
        optimizer._inside_step = True
        try:
            result = step(*args, **kwargs)
        finally:
            optimizer._inside_step = False
        optimizer._opt_called = True  # (a schedule stepped before any optimizer step warns, as PyTorch's)
        for hook in [*_global_hooks["step_post"].values(), *optimizer._hooks["step_post"].values()]:
            hook(optimizer, args, kwargs)
        return result
    return hooked


def _real_pairs(array):
    """A complex array's memory as real (..., 2) pairs (Re, Im): a view, so updates write through."""
    return array.view(array.real.dtype).reshape(tuple(array.shape) + (2,))


class Optimizer:
    _inside_step = False
    supports_complex = True  # complex parameters as real pairs (see the module docstring)
    elementwise = True  # each element's update reads only its own values: it may run in pieces (foreach, blocks)
    SCALAR_STATE = ("step",)  # state kept as numbers (PyTorch's state dicts hold them as 0-d tensors)
    HYPERPARAMETER_RANGES = {}  # name -> the range its values must lie in, checked per group (hyperparameters.py)

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "step" in cls.__dict__:  # a subclass's own step gets the hooks too
            cls.step = _with_step_hooks(cls.__dict__["step"])

    def _register(self, kind, hook, prepend=False):
        registry = self._hooks[kind]
        handle = RemovableHandle(registry)
        registry[handle.id] = hook
        if prepend:  # the newest first
            entries = list(registry.items())
            registry.clear()
            registry.update(entries[-1:] + entries[:-1])
        return handle

    def register_step_pre_hook(self, hook):
        """``hook(optimizer, args, kwargs)`` before each step; it may return (args, kwargs) to use."""
        return self._register("step_pre", hook)

    def register_step_post_hook(self, hook):
        """``hook(optimizer, args, kwargs)`` after each step."""
        return self._register("step_post", hook)

    def register_state_dict_pre_hook(self, hook, prepend=False):
        """``hook(optimizer)`` before ``state_dict`` makes the state."""
        return self._register("state_dict_pre", hook, prepend)

    def register_state_dict_post_hook(self, hook, prepend=False):
        """``hook(optimizer, state_dict)`` after; it may return the state dict to give instead."""
        return self._register("state_dict_post", hook, prepend)

    def register_load_state_dict_pre_hook(self, hook, prepend=False):
        """``hook(optimizer, state_dict)`` before ``load_state_dict``; it may return the one to load."""
        return self._register("load_state_dict_pre", hook, prepend)

    def register_load_state_dict_post_hook(self, hook, prepend=False):
        """``hook(optimizer)`` after ``load_state_dict``."""
        return self._register("load_state_dict_post", hook, prepend)

    def __init__(self, params, defaults):
        self._hooks = {kind: {} for kind in ("step_pre", "step_post", "state_dict_pre", "state_dict_post",
                                             "load_state_dict_pre", "load_state_dict_post")}
        self.defaults = checked(type(self).__name__, defaults, self.HYPERPARAMETER_RANGES)
        if isinstance(params, Tensor):  # iterating it would give its rows, not parameters
            raise TypeError(f"{type(self).__name__}: params must be an iterable of Tensors or of dicts (param groups), "
                            f"got a Tensor of shape {tuple(params.shape)}; pass [tensor] or model.parameters()")
        params = list(params)
        if not params:
            raise ValueError(f"{type(self).__name__}: got an empty parameter list")
        groups = params if isinstance(params[0], dict) else [{"params": params}]
        self.param_groups = []
        self.state = ParameterStates()
        self._flat_states = {}  # (group index, device, dtype) -> _FlatState of the foreach path
        for group in groups:
            self.add_param_group(group)

    @property
    def state(self):
        """Each parameter's state, keyed by the parameter itself (tinynn/optim/state.py)."""
        return self._state

    @state.setter
    def state(self, entries):  # PyTorch code resets it so: optimizer.state = defaultdict(dict)
        self._state = entries if isinstance(entries, ParameterStates) else ParameterStates(entries)

    def add_param_group(self, param_group):
        group = dict(param_group)
        group["params"] = list(group["params"]) if not isinstance(group["params"], Tensor) else [group["params"]]
        for param in group["params"]:
            if not isinstance(param, Tensor):
                raise TypeError(f"{type(self).__name__}: parameters must be Tensors, got {type(param).__name__}")
            if not param.is_leaf:  # (its .grad is never filled: training would silently leave it alone)
                raise ValueError(f"{type(self).__name__}: can't optimize a non-leaf Tensor (shape {tuple(param.shape)}, made by "
                                 f"{param.grad_fn.name}); optimize the leaf it was computed from, or detach().requires_grad_()")
            if param.dtype.kind == "c" and not self.supports_complex:
                raise TypeError(f"{type(self).__name__} does not support complex parameters (its rule is not "
                                f"elementwise), got one of shape {tuple(param.shape)}; optimize view_as_real pairs instead")
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        if any(id(p) in seen for p in group["params"]):
            raise ValueError(f"{type(self).__name__}: some parameters appear in more than one parameter group")
        group = checked(type(self).__name__, group, self.HYPERPARAMETER_RANGES, f" in parameter group {len(self.param_groups)}")
        for key, value in self.defaults.items():
            group.setdefault(key, value)
        self.param_groups.append(group)

    def zero_grad(self, set_to_none=True):
        for group in self.param_groups:
            for param in group["params"]:
                if set_to_none:
                    param.grad = None
                elif param.grad is not None:
                    zero_gradient(param.grad)

    @_with_step_hooks
    @no_grad()
    def step(self, closure=None):
        loss = None
        if closure is not None:
            from ..autograd import enable_grad

            with enable_grad():
                loss = closure()
        for group_index, group in enumerate(self.param_groups):
            together = {}
            for param in group["params"]:
                if param.grad is None:
                    continue
                if getattr(param.grad, "is_sparse", False):
                    rows, values = self._sparse_rows(param, group)
                    self._update_sparse(param, rows, values, self._state_of(param), group)
                    self._updated(param)
                elif self._uses_foreach(group, param) and param.dtype.kind != "c":
                    together.setdefault((param.device, param.dtype), []).append(param)
                elif param.dtype.kind == "c":
                    xp = backend.get_array_module(param._array)
                    if not param._array.flags.c_contiguous:
                        param.data = xp.ascontiguousarray(param._array)
                    pairs = Tensor._from_op(_real_pairs(param._array), False)
                    grad = _real_pairs(xp.ascontiguousarray(param.grad._array))
                    self._update_in_blocks(pairs, _ascent_aware(grad, group), self._state_of(param), group)
                    self._updated(param)
                else:
                    self._update_in_blocks(param, _ascent_aware(param.grad._array, group),
                                           self._state_of(param), group)
                    self._updated(param)
            for bucket in together.values():
                self._update_together(group_index, bucket, group)
                for param in bucket:
                    self._updated(param)
        return loss

    def _state_of(self, param):
        """``param``'s state dict as the update rules use it, arrays raw: a Tensor stored through
        ``optimizer.state[param]`` since the last step (PyTorch code moving the state to a device,
        say) is taken back as its array here."""
        state, touched = self._state.for_update(param)
        if not touched:
            return state
        stored = [key for key, value in state.items()
                  if isinstance(value, Tensor) or (isinstance(value, list) and any(isinstance(v, Tensor) for v in value))]
        for key in stored:
            state[key] = self._restored(key, state[key], param, f"step: state '{key}' set through optimizer.state[param]")
        return state

    def _updated(self, param):
        """A graph still alive that kept this parameter for its backward can no longer run it."""
        in_place.overwritten(param._array, f"{type(self).__name__}.step updated a parameter of shape {param._array.shape}")

    def _uses_foreach(self, group, param):
        if not self.elementwise:
            return False
        foreach = group.get("foreach")
        return foreach if foreach is not None else param.device == backend.GPU

    def _update_together(self, group_index, params, group):
        """``_update`` once over ``params`` (one device and dtype) laid end to end."""
        xp = backend.get_array_module(params[0]._array)
        states = [self._state_of(param) for param in params]
        flat = self._flat_states.get((group_index, params[0].device, params[0].dtype))
        if flat is None or not flat.holds(params, states):
            flat = _FlatState.gather(xp, params, states)
            if flat is None:  # the parameters' states differ (say, Adam steps): one at a time
                for param, state in zip(params, states):
                    self._update_in_blocks(param, _ascent_aware(param.grad._array, group), state, group)
                return
            self._flat_states[(group_index, params[0].device, params[0].dtype)] = flat
        values = Tensor._from_op(flat.values, False)
        self._update_in_blocks(values, _ascent_aware(xp.concatenate([param.grad._array.reshape(-1) for param in params]),
                                                     group), flat.state, group)
        flat.scatter(params, states)

    def _update(self, param, grad, state, group):
        raise NotImplementedError

    def _update_in_blocks(self, param, grad, state, group):
        """``_update``, over a large parameter on the CPU a block (``parallel.cache_blocks``) at a time.
        The rule's temporaries (a handful per line: ``grad - exp_avg``, its product with 1 - beta1,
        ...) are then a block's size and stay in the CPU's caches, where for a whole 50 MB table each
        one streams through memory (the figures in the module docstring). Each block sees views of its
        piece of the parameter, the gradient and the state's arrays, and the state's numbers as they
        stood before the step (every block advances them alike: the last block's are kept); an array
        a rule replaces or creates is copied into place. The results are the same bits: the rules are
        elementwise (an optimizer whose rule is not says so with ``elementwise = False``)."""
        xp = backend.get_array_module(param._array)
        count = param._array.size
        if (not self.elementwise or xp is not np or count <= 2 * parallel.CACHE_BLOCK
                or not param._array.flags.c_contiguous
                or any(_is_array(value) and (value.shape != param.shape or not value.flags.c_contiguous)
                       for value in state.values())):
            self._update(param, grad, state, group)
            return
        flat_param, flat_grad = param._array.reshape(-1), grad.reshape(-1)
        flat_state = {key: value.reshape(-1) for key, value in state.items() if _is_array(value)}

        def update(piece):
            values = flat_param[piece]
            block = Tensor._from_op(values, False)
            given = {key: flat_state[key][piece] if key in flat_state else value for key, value in state.items()}
            block_state = dict(given)
            self._update(block, flat_grad[piece], block_state, group)
            if block._array is not values:  # replaced rather than updated in place
                values[...] = block._array
            return piece, given, block_state

        made, numbers = {}, {}
        for piece, given, block_state in parallel.map_blocks(update, parallel.cache_blocks(count)):
            length = min(piece.stop, count) - piece.start
            for key, value in block_state.items():
                if not (_is_array(value) and value.shape == (length,)):
                    numbers[key] = value
                elif key in flat_state:
                    if value is not given[key]:
                        flat_state[key][piece] = value
                else:
                    made.setdefault(key, xp.empty(count, dtype=value.dtype))[piece] = value
        state.update(numbers)
        state.update({key: array.reshape(param.shape) for key, array in made.items()})

    def _sparse_rows(self, param, group):
        """The sparse gradient of ``param``, coalesced (each coordinate once, so the rules may index
        with it), as (a tuple of coordinate arrays, one per sparse dimension; the values array)."""
        grad = param.grad
        if grad.shape != param.shape or grad.device != param.device:
            raise RuntimeError(f"{type(self).__name__}: the sparse gradient of size {tuple(grad.shape)} on {grad.device} does "
                               f"not fit its parameter of shape {tuple(param.shape)} on {param.device}")
        if param.dtype.kind == "c":
            raise TypeError(f"{type(self).__name__}: sparse gradients of complex parameters are not supported")
        grad = grad.coalesce()
        values = grad.values()._array.astype(param.dtype, copy=False)
        return tuple(grad.indices()._array), _ascent_aware(values, group)

    def _update_sparse(self, param, rows, values, state, group):
        """The update rule for a sparse gradient: ``values`` at the coordinates ``rows`` (coalesced)."""
        raise RuntimeError(f"{type(self).__name__} does not support sparse gradients (a parameter of shape "
                           f"{tuple(param.shape)} has one, from an Embedding with sparse=True); use SparseAdam, SGD or "
                           f"Adagrad for it (a second optimizer over those parameters), or sparse=False")

    def _refuse_sparse_weight_decay(self, group):
        """A sparse rule's check: weight decay would update every row, so it is refused, as PyTorch's."""
        if group["weight_decay"]:
            raise RuntimeError(f"{type(self).__name__}: weight_decay is not compatible with sparse gradients (the decay "
                               "would update every row); set weight_decay=0 for the parameters of an Embedding with "
                               "sparse=True")

    def state_dict(self):
        """{'state': {index: {...}}, 'param_groups': [{..., 'params': [indices]}]}, as PyTorch:
        parameters are referred to by their position across the groups (through the state-dict hooks)."""
        for hook in list(self._hooks["state_dict_pre"].values()):
            hook(self)
        state_dict = self._state_dict()
        for hook in list(self._hooks["state_dict_post"].values()):
            returned = hook(self, state_dict)
            state_dict = returned if returned is not None else state_dict
        return state_dict

    def _state_dict(self):
        index_of, groups = {}, []
        for group in self.param_groups:
            for param in group["params"]:
                index_of.setdefault(id(param), len(index_of))
            packed = {k: v for k, v in group.items() if k != "params"}
            packed["params"] = [index_of[id(p)] for p in group["params"]]
            groups.append(packed)
        state = {}
        for key, values in self.state.items():
            if not isinstance(key, Tensor):  # an entry of one's own under a name: kept as it is, as PyTorch's
                state[key] = values
            elif id(key) in index_of:
                state[index_of[id(key)]] = dict(values.items())
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict):
        """The state and the groups' settings from ``state_dict`` (through the load hooks)."""
        for hook in list(self._hooks["load_state_dict_pre"].values()):
            returned = hook(self, state_dict)
            state_dict = returned if returned is not None else state_dict
        self._load_state_dict(state_dict)
        for hook in list(self._hooks["load_state_dict_post"].values()):
            hook(self)

    def _load_state_dict(self, state_dict):
        groups = state_dict["param_groups"]
        if len(groups) != len(self.param_groups):
            raise ValueError(f"{type(self).__name__}.load_state_dict: the state has {len(groups)} parameter groups, "
                             f"the optimizer {len(self.param_groups)}")
        params = [p for g in self.param_groups for p in g["params"]]
        for saved, own in zip(groups, self.param_groups):
            if len(saved["params"]) != len(own["params"]):
                raise ValueError(f"{type(self).__name__}.load_state_dict: a group holds {len(saved['params'])} "
                                 f"parameters in the state and {len(own['params'])} in the optimizer")
        self.state = {}
        self._flat_states = {}
        for index, values in state_dict["state"].items():
            if not (isinstance(index, (int, np.integer)) or (isinstance(index, str) and index.isdigit())):
                self.state[index] = values  # an entry of one's own under a name, as state_dict left it
                continue
            param = params[int(index)]
            self.state[param] = {key: self._restored(key, value, param, f"load_state_dict: state '{key}' of parameter {index}")
                                 for key, value in values.items()}
        for saved, own in zip(groups, self.param_groups):
            for key, value in saved.items():
                if key != "params":
                    own[key] = tuple(value) if isinstance(value, list) else copy.deepcopy(value)

    def _restored(self, key, value, param, where):
        """A saved state entry as the optimizer keeps it: arrays the parameter's shape, on its device
        and in its dtype (a complex parameter's as real pairs); numbers as numbers. An optimizer of
        one's own, written PyTorch's way (its own ``step`` over ``self.state[p]``, no ``_update``), gets
        its Tensors as PyTorch's load leaves them: on the parameter's device, floating ones in its dtype,
        "step" untouched."""
        if type(self)._update is Optimizer._update:
            return _cast_as_pytorch(value, param, key)
        if hasattr(value, "ndim") and not (value.ndim == 0 and key in self.SCALAR_STATE):
            array = value._array if isinstance(value, Tensor) else value
            if tuple(array.shape) != self._state_shape(key, param):
                raise ValueError(f"{type(self).__name__}.{where} "
                                 f"has shape {tuple(array.shape)}, expected {self._state_shape(key, param)} "
                                 f"(the parameter's is {tuple(param.shape)})")
            restored = backend.to_device(array, param.device).astype(param.dtype)
            return _real_pairs(restored) if param.dtype.kind == "c" else restored
        number = value.item() if hasattr(value, "item") else value  # (PyTorch keeps the step as a 0-d tensor)
        return int(number) if key == "step" and float(number).is_integer() else number

    def _state_shape(self, key, param):
        """The shape of the state ``key`` of ``param``: the parameter's own (an elementwise rule's)."""
        return tuple(param.shape)

    def __repr__(self):
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines.extend(f"    {k}: {v}" for k, v in sorted(group.items()) if k != "params")
        return "\n".join(lines + [")"])


def _cast_as_pytorch(value, param, key):
    """PyTorch's Optimizer.load_state_dict policy for a state value (recursively into containers)."""
    if isinstance(value, Tensor):
        if key == "step":
            return value
        return value.to(param.device, param.dtype) if value.is_floating_point() and param.is_floating_point() \
            else value.to(param.device)
    if isinstance(value, dict):
        return {k: _cast_as_pytorch(v, param, k) for k, v in value.items()}
    if isinstance(value, (list, tuple)) and not hasattr(value, "_fields"):
        return type(value)(_cast_as_pytorch(v, param, key) for v in value)
    return value


def torch_only_options(name, foreach, capturable, differentiable, fused):
    """PyTorch's optimizer switches that scripts pass: ``fused=True`` asks for one update over all
    parameters at once, which is what ``foreach`` does here (so it turns foreach on);
    ``capturable`` (CUDA graphs, which tinynn does not record) changes nothing; ``differentiable=True``
    (autograd through the step itself) is not supported and says so. Returns the foreach to use."""
    if differentiable:
        raise NotImplementedError(f"{name}: differentiable=True (recording the update for autograd) is not supported "
                                  f"in tinynn; steps run outside the graph")
    if fused and foreach is False:
        raise ValueError(f"{name}: fused=True and foreach=False contradict each other")
    return True if fused else foreach


def weight_decayed(param, grad, group, decoupled=False):
    """The gradient with weight decay applied: the L2 penalty g + weight_decay * p, or, decoupled
    (AdamW's), p <- p * (1 - lr * weight_decay) and g unchanged."""
    weight_decay = group["weight_decay"]
    if not weight_decay:
        return grad
    if decoupled:
        param._array *= 1 - group["lr"] * weight_decay
        return grad
    return grad + weight_decay * param._array


def rows_of(array, rows):
    """``array[rows]``, a copy, for the sparse rules: by ``take`` along the first axis where ``rows``
    is one index array (an embedding's), about twice as fast as indexing."""
    if len(rows) == 1:
        return backend.get_array_module(array).take(array, rows[0], axis=0)
    return array[rows]


def adam_moments(param, grad, state, betas):
    """Adam's running moments, created at the first step: m <- beta1 m + (1 - beta1) g and
    v <- beta2 v + (1 - beta2) g^2 (also NAdam's and RAdam's). Advances ``state["step"]``."""
    beta1, beta2 = betas
    if "exp_avg" not in state:
        xp = backend.get_array_module(param._array)
        state["step"] = 0
        state["exp_avg"], state["exp_avg_sq"] = xp.zeros_like(param._array), xp.zeros_like(param._array)
    state["step"] += 1
    exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
    exp_avg += (1 - beta1) * (grad - exp_avg)
    exp_avg_sq *= beta2
    exp_avg_sq += (1 - beta2) * grad * grad
    return exp_avg, exp_avg_sq


class _FlatState:
    """The values and state of several parameters as flat arrays (the parameters laid end to end),
    whose pieces are also each parameter's ``data`` and own state entries, so both views stay the
    same numbers."""

    def __init__(self, xp, params, state):
        self.param_ids = [id(param) for param in params]
        ends = list(itertools.accumulate(param.numel() for param in params))
        self.spans = list(zip([0] + ends[:-1], ends))
        self.values = xp.concatenate([param._array.reshape(-1) for param in params])
        for param, (start, end) in zip(params, self.spans):
            param.data = self.values[start:end].reshape(param.shape)
        self.data_views = [param._array for param in params]
        self.state = state
        self.handed_out = []  # the per-parameter states as last set by ``scatter``
        self.scattered = {}  # key -> the flat array the per-parameter views were last cut from

    @classmethod
    def gather(cls, xp, params, states):
        """From the parameters' own states (all empty, or holding the same keys and scalars);
        None when the scalars differ, so one flat update cannot serve them all."""
        keys = set(states[0])
        if any(set(state) != keys for state in states):
            return None
        flat = {}
        for key in keys:
            values = [state[key] for state in states]
            if _is_array(values[0]):
                flat[key] = xp.concatenate([value.reshape(-1) for value in values])
            elif all(value == values[0] for value in values):
                flat[key] = values[0]
            else:
                return None
        return cls(xp, params, flat)

    def holds(self, params, states):
        """Whether these are still the parameters, their data still the views of ``values``, and
        their states still what ``scatter`` left (``load_state_dict`` or an update of only some
        parameters changes them)."""
        return ([id(param) for param in params] == self.param_ids and len(self.handed_out) == len(states)
                and all(param._array is view for param, view in zip(params, self.data_views))
                and all(state.keys() == given.keys() and all(state[key] is given[key] for key in given)
                        for state, given in zip(states, self.handed_out)))

    def scatter(self, params, states):
        """Give each parameter its pieces of the flat state (views, made again only when an update
        rule replaced a flat array) and its scalars."""
        for key, value in self.state.items():
            if _is_array(value) and self.scattered.get(key) is value:
                continue
            for param, state, (start, end) in zip(params, states, self.spans):
                state[key] = value[start:end].reshape(param.shape) if _is_array(value) else value
            if _is_array(value):
                self.scattered[key] = value
        self.handed_out = [dict(state) for state in states]


def _is_array(value):
    return hasattr(value, "shape") and getattr(value, "ndim", 0) > 0
