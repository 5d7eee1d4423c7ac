"""A float32 training step stays float32 end to end: no op output, gradient or optimizer state is float64."""
import numpy as np

import tinynn
from tinynn.autograd.function import Function
from tinynn.models import MnistTiny
from tinynn.nn import functional as F


def test_no_float64_sneaks_into_a_float32_training_step(monkeypatch):
    forward_dtypes, backward_dtypes = [], []
    original_call = Function.__call__

    def recording_call(function, *inputs):
        output = original_call(function, *inputs)
        forward_dtypes.append((function.name, output.dtype))
        original_backward = function.backward

        def recording_backward(grad):
            grads = original_backward(grad)
            backward_dtypes.extend((function.name, g.dtype) for g in grads if g is not None)
            return grads

        function.backward = recording_backward
        return output

    monkeypatch.setattr(Function, "__call__", recording_call)
    model = MnistTiny()
    optimizer = tinynn.optim.Adam(model.parameters(), lr=1e-3)
    scheduler = tinynn.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=0.01, total_steps=10)
    images = tinynn.tensor(np.random.default_rng(0).standard_normal((4, 1, 28, 28)).astype(np.float32))
    loss = F.cross_entropy(model(images), tinynn.tensor([1, 2, 3, 4]))
    loss.backward()
    optimizer.step()
    scheduler.step()
    assert forward_dtypes and backward_dtypes
    assert [entry for entry in forward_dtypes if entry[1].kind == "f" and entry[1] != np.float32] == []
    assert [entry for entry in backward_dtypes if entry[1] != np.float32] == []
    for name, tensor in list(model.named_parameters()) + list(model.named_buffers()):
        if tensor.dtype.kind == "f":
            assert tensor.dtype == np.float32, name
            assert tensor.grad is None or tensor.grad.dtype == np.float32, name
    for state in optimizer.state.values():
        assert all(value.dtype == np.float32 for value in state.values() if hasattr(value, "dtype"))
