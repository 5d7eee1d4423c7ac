"""``Optimizer``: parameter groups, per-parameter state and (de)serialisation, as in PyTorch.

Subclasses implement ``_update(param, grad, state, group)`` with the update rule on raw arrays;
updates are done in place on ``param.data`` under no_grad, so nothing is recorded.
"""
import copy

from ..autograd import no_grad
from ..tensor import Tensor


class Optimizer:
    def __init__(self, params, defaults):
        self.defaults = dict(defaults)
        params = list(params)
        if not params:
            raise ValueError(f"{type(self).__name__}: got an empty parameter list")
        groups = params if isinstance(params[0], dict) else [{"params": params}]
        self.param_groups = []
        self.state = {}
        for group in groups:
            self.add_param_group(group)

    def add_param_group(self, group):
        group = dict(group)
        group["params"] = list(group["params"]) if not isinstance(group["params"], Tensor) else [group["params"]]
        for param in group["params"]:
            if not isinstance(param, Tensor):
                raise TypeError(f"{type(self).__name__}: parameters must be Tensors, got {type(param).__name__}")
            if not param.requires_grad:
                raise ValueError(f"{type(self).__name__}: a parameter of shape {param.shape} does not require grad")
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        if any(id(p) in seen for p in group["params"]):
            raise ValueError(f"{type(self).__name__}: some parameters appear in more than one parameter group")
        for key, value in self.defaults.items():
            group.setdefault(key, value)
        self.param_groups.append(group)

    def zero_grad(self, set_to_none=True):
        for group in self.param_groups:
            for param in group["params"]:
                if set_to_none:
                    param.grad = None
                elif param.grad is not None:
                    param.grad.data[...] = 0

    @no_grad()
    def step(self, closure=None):
        loss = None
        if closure is not None:
            from ..autograd import enable_grad

            with enable_grad():
                loss = closure()
        for group in self.param_groups:
            for param in group["params"]:
                if param.grad is None:
                    continue
                state = self.state.setdefault(id(param), {})
                self._update(param, param.grad.data, state, group)
        return loss

    def _update(self, param, grad, state, group):
        raise NotImplementedError

    def state_dict(self):
        """{'state': {index: {...}}, 'param_groups': [{..., 'params': [indices]}]}, as PyTorch:
        parameters are referred to by their position across the groups."""
        index_of, groups = {}, []
        for group in self.param_groups:
            for param in group["params"]:
                index_of.setdefault(id(param), len(index_of))
            packed = {k: v for k, v in group.items() if k != "params"}
            packed["params"] = [index_of[id(p)] for p in group["params"]]
            groups.append(packed)
        state = {index_of[key]: {k: (Tensor._from_op(v, False) if hasattr(v, "shape") and not isinstance(v, Tensor)
                                      else v) for k, v in value.items()}
                 for key, value in self.state.items() if key in index_of}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict):
        from .. import backend

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
        for index, values in state_dict["state"].items():
            param = params[int(index)]
            restored = {}
            for key, value in values.items():
                if isinstance(value, Tensor) or hasattr(value, "shape") and getattr(value, "ndim", 0) > 0:
                    array = value.data if isinstance(value, Tensor) else value
                    if tuple(array.shape) != param.shape:
                        raise ValueError(f"{type(self).__name__}.load_state_dict: state '{key}' of parameter {index} "
                                         f"has shape {tuple(array.shape)}, the parameter {param.shape}")
                    restored[key] = backend.to_device(array, param.device).astype(param.dtype)
                else:
                    restored[key] = value.item() if isinstance(value, Tensor) else value
            self.state[id(param)] = restored
        for saved, own in zip(groups, self.param_groups):
            for key, value in saved.items():
                if key != "params":
                    own[key] = tuple(value) if isinstance(value, list) else copy.deepcopy(value)

    def __repr__(self):
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines.extend(f"    {k}: {v}" for k, v in sorted(group.items()) if k != "params")
        return "\n".join(lines + [")"])
