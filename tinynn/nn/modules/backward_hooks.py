"""A module's full backward hooks, as PyTorch's ``register_full_backward_pre_hook`` and
``register_full_backward_hook`` run them.

For one call of a module with such hooks, its Tensor inputs that require grad pass through one
identity op on the way in (``BackwardHookFunction``) and its Tensor outputs through another on the
way out. Each is one node of the graph, so its backward receives the gradients of all its tensors
at once:

* the outputs' node gets dL/d(output) for every output: it calls the pre-hooks,
  ``hook(module, grad_output)``, which may return a tuple in its place, and keeps it;
* the inputs' node gets dL/d(input) for every input: it calls the hooks,
  ``hook(module, grad_input, grad_output)``, which may return a tuple replacing grad_input.

grad_output holds one entry per value the forward returned (a tuple's items, or the one value),
grad_input one per positional argument: None for what is not a Tensor or got no gradient. A
replacement must hold as many entries, each a Tensor of the shape, dtype and device of the
gradient it replaces (or None where there was none). Where no input requires grad, the hooks run
from the outputs' node, with a grad_input of Nones, and may not return gradients.
"""
from ...autograd.engine import hook_name, hook_replacement, hook_results
from ...autograd.function import Function
from ...tensor import Tensor
from . import global_hooks


class BackwardHookFunction(Function):
    """y_i = x_i for each tensor; backward: the gradients, handed to ``reached(grads)`` (the hooks),
    which returns them, maybe replaced."""

    @staticmethod
    def forward(ctx, reached, *tensors):
        ctx.reached = reached
        ctx.set_materialize_grads(False)  # (None for an output that got no gradient, as PyTorch's hooks see)
        views = tuple(tensor.view_as(tensor) for tensor in tensors)
        return views if len(views) > 1 else views[0]  # (one output is the op's own; several are packed, copied)

    @staticmethod
    def backward(ctx, *grads):
        return (None,) + tuple(ctx.reached(grads))


class ModuleBackwardHooks:
    """One call's full backward hooks: wraps the call's inputs and outputs, then runs the hooks when
    their gradients arrive."""

    def __init__(self, module):
        self.module = module
        self.grad_output = None
        self.input_count = 0
        self.hooked_inputs = None  # the positions of the Tensor arguments that require grad, once wrapped
        self.output_count = 0
        self.hooked_outputs = None

    def wrap_inputs(self, args):
        self.input_count = len(args)
        positions = [i for i, arg in enumerate(args) if isinstance(arg, Tensor) and arg.requires_grad]
        if not positions:
            return args
        self.hooked_inputs = positions
        return _replaced_at(args, positions, _through(self._inputs_reached, [args[i] for i in positions]))

    def wrap_output(self, output):
        outputs = output if isinstance(output, tuple) else (output,)
        positions = [i for i, value in enumerate(outputs) if isinstance(value, Tensor) and value.requires_grad]
        if not positions:
            return output
        self.output_count, self.hooked_outputs = len(outputs), positions
        outputs = _replaced_at(outputs, positions, _through(self._outputs_reached, [outputs[i] for i in positions]))
        return outputs if isinstance(output, tuple) else outputs[0]

    def _outputs_reached(self, grads):
        grad_output = _spread(grads, self.hooked_outputs, self.output_count)
        pre_hooks = list(global_hooks.backward_pre_hooks.values()) + list(self.module._backward_pre_hooks.values())
        for hook in pre_hooks:
            replaced = hook(self.module, grad_output)
            if replaced is not None:
                grad_output = _checked(hook, replaced, grad_output, "grad_output")
        self.grad_output = grad_output
        if self.hooked_inputs is None:
            for hook in self._hooks():
                replaced = hook(self.module, (None,) * self.input_count, grad_output)
                if replaced is not None and any(value is not None for value in replaced):
                    raise RuntimeError(f"backward hook {hook_name(hook)!r} of {type(self.module).__name__} returned "
                                       "gradients, but no input of the module requires grad: return None")
        return tuple(grad_output[i] for i in self.hooked_outputs)

    def _inputs_reached(self, grads):
        if self.grad_output is None:  # the gradient reached the inputs by another way than the outputs
            return grads
        grad_input = _spread(grads, self.hooked_inputs, self.input_count)
        for hook in self._hooks():
            replaced = hook(self.module, grad_input, self.grad_output)
            if replaced is not None:
                grad_input = _checked(hook, replaced, grad_input, "grad_input")
        self.grad_output = None
        return tuple(grad_input[i] for i in self.hooked_inputs)

    def _hooks(self):
        return list(global_hooks.backward_hooks.values()) + list(self.module._backward_hooks.values())


def _through(reached, tensors):
    """``tensors`` through one BackwardHookFunction, whose backward hands their gradients to ``reached``."""
    views = BackwardHookFunction.apply(reached, *tensors)
    return views if isinstance(views, tuple) else (views,)


def _replaced_at(values, positions, replacements):
    values = list(values)
    for position, replacement in zip(positions, replacements):
        values[position] = replacement
    return tuple(values)


def _spread(grads, positions, count):
    """``grads`` of the hooked positions as a tuple of ``count`` entries, None elsewhere."""
    spread = [None] * count
    for position, grad in zip(positions, grads):
        spread[position] = grad
    return tuple(spread)


def _checked(hook, replaced, given, what):
    """A hook's replacement for the gradients ``given``: as many, each of its gradient's shape, dtype and device."""
    replaced = hook_results(hook, replaced, len(given), what)
    return tuple(hook_replacement(hook, value, grad, True) for grad, value in zip(given, replaced))
