"""``summary(model, input_size)``: a torchsummary-style table of layers, output shapes and parameters."""
import math

import numpy as np

from . import backend
from .autograd import no_grad
from .nn.modules.container import ModuleList, Sequential
from .tensor import Tensor

_RULE = "-" * 64
_DOUBLE_RULE = "=" * 64


def summary(model, input_size=(1, 28, 28), batch_size=-1, dtype=np.float32, print_fn=print):
    """Run one forward pass on zeros of shape (2, *input_size) and tabulate every leaf layer it calls.

    The table matches torchsummary's (layer type and call index, output shape with batch -1,
    parameters per layer, totals and the memory estimates), with three differences: the pass runs
    on the model's own device, a parameter shared by several layers is counted once, and buffers
    (e.g. BatchNorm running statistics) are listed after the table, apart from parameters.
    A model of several inputs takes a list of their sizes (and of their dtypes, or one for all:
    ``summary(model, [(5,), (3, 8)], dtype=[tinynn.int64, tinynn.float32])``); a layer that returns
    several tensors (a tuple, an LSTM's output and states) shows the list of their shapes, and the
    sizes add up over inputs and outputs (torchsummary multiplies them), each in its own dtype's bytes
    (torchsummary counts 4 bytes a value). Returns the text; ``print_fn=None`` prints nothing.
    """
    if not hasattr(model, "modules"):
        raise TypeError(f"summary: expected an nn.Module (the model), got {type(model).__name__}")
    sizes = [tuple(input_size)] if all(isinstance(n, (int, np.integer)) for n in input_size) else \
        [tuple(size) for size in input_size]
    dtypes = [np.dtype(d) for d in dtype] if isinstance(dtype, (list, tuple)) else [np.dtype(dtype)] * len(sizes)
    if len(dtypes) != len(sizes):
        raise ValueError(f"summary: {len(sizes)} input sizes but {len(dtypes)} dtypes")
    rows, hooks, counted, byte_counts = [], [], set(), {"outputs": 0, "params": 0}

    def record(module, inputs, output):
        params = [p for p in module._parameters.values() if p is not None]
        new = [p for p in params if id(p) not in counted]
        counted.update(id(p) for p in new)
        tensors = _tensors_in(output)
        byte_counts["outputs"] += sum(abs(batch_size) * math.prod(t.shape[1:]) * t.element_size() for t in tensors)
        byte_counts["params"] += sum(p.numel() * p.element_size() for p in new)
        rows.append((f"{type(module).__name__}-{len(rows) + 1}", [[batch_size] + list(t.shape[1:]) for t in tensors],
                     sum(p.numel() for p in new), sum(p.numel() for p in new if p.requires_grad)))

    for module in model.modules():
        if module is not model and not isinstance(module, (Sequential, ModuleList)):
            hooks.append(module.register_forward_hook(record))
    was_training = model.training
    xp = backend.array_module_for(model.device)
    try:
        model.eval()
        with no_grad():
            model(*(Tensor(xp.zeros((2,) + size, dtype=kind)) for size, kind in zip(sizes, dtypes)))
    finally:
        model.train(was_training)
        for handle in hooks:
            handle.remove()

    total = sum(r[2] for r in rows)
    trainable = sum(r[3] for r in rows)
    input_mb = abs(batch_size) * sum(math.prod(size) * kind.itemsize for size, kind in zip(sizes, dtypes)) / 1024 ** 2
    output_mb = 2.0 * byte_counts["outputs"] / 1024 ** 2  # (values and their gradients, as torchsummary estimates)
    params_mb = byte_counts["params"] / 1024 ** 2
    lines = [_RULE, "{:>20}  {:>25} {:>15}".format("Layer (type)", "Output Shape", "Param #"), _DOUBLE_RULE]
    lines += ["{:>20}  {:>25} {:>15}".format(name, str(shapes[0] if len(shapes) == 1 else shapes), f"{count:,}")
              for name, shapes, count, _ in rows]
    lines += [
        _DOUBLE_RULE,
        f"Total params: {total:,}",
        f"Trainable params: {trainable:,}",
        f"Non-trainable params: {total - trainable:,}",
        _RULE,
        "Input size (MB): %0.2f" % input_mb,
        "Forward/backward pass size (MB): %0.2f" % output_mb,
        "Params size (MB): %0.2f" % params_mb,
        "Estimated Total Size (MB): %0.2f" % (params_mb + output_mb + input_mb),
        _RULE,
    ]
    buffers = list(model.named_buffers())
    if buffers:
        values = sum(b.numel() for _, b in buffers)
        lines.append(f"Buffers (not parameters, e.g. BatchNorm running stats): {values:,} values in "
                     f"{len(buffers)} tensors")
        lines.append(_RULE)
    text = "\n".join(lines)
    if print_fn is not None:
        print_fn(text)
    return text


def _tensors_in(output):
    """The tensors of a layer's output: itself, or those in its (nested) tuples and lists."""
    if isinstance(output, Tensor):
        return [output]
    if isinstance(output, (tuple, list)):
        return [tensor for part in output for tensor in _tensors_in(part)]
    return []
