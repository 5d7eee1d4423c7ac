"""``summary(model, input_size)``: a torchsummary-style table of layers, output shapes and parameters."""
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
    Returns the text; ``print_fn=None`` prints nothing.
    """
    if not hasattr(model, "modules"):
        raise TypeError(f"summary: expected an nn.Module (the model), got {type(model).__name__}")
    rows, hooks, counted = [], [], set()

    def record(module, inputs, output):
        params = [p for p in module._parameters.values() if p is not None]
        new = [p for p in params if id(p) not in counted]
        counted.update(id(p) for p in new)
        shape = [batch_size] + list(output.shape[1:]) if isinstance(output, Tensor) else []
        rows.append((f"{type(module).__name__}-{len(rows) + 1}", shape, sum(p.numel() for p in new),
                     sum(p.numel() for p in new if p.requires_grad)))

    for module in model.modules():
        if module is not model and not isinstance(module, (Sequential, ModuleList)):
            hooks.append(module.register_forward_hook(record))
    was_training = model.training
    xp = backend.array_module_for(model.device)
    try:
        model.eval()
        with no_grad():
            model(Tensor(xp.zeros((2,) + tuple(input_size), dtype=dtype)))
    finally:
        model.train(was_training)
        for handle in hooks:
            handle.remove()

    total = sum(r[2] for r in rows)
    trainable = sum(r[3] for r in rows)
    bytes_per = np.dtype(dtype).itemsize
    input_mb = abs(np.prod(input_size) * batch_size * bytes_per / 1024 ** 2)
    output_mb = abs(2.0 * sum(np.prod(r[1]) for r in rows) * bytes_per / 1024 ** 2)
    params_mb = abs(total * bytes_per / 1024 ** 2)
    lines = [_RULE, "{:>20}  {:>25} {:>15}".format("Layer (type)", "Output Shape", "Param #"), _DOUBLE_RULE]
    lines += ["{:>20}  {:>25} {:>15}".format(name, str(shape), f"{count:,}") for name, shape, count, _ in rows]
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
