"""``Function``: one differentiable operation, its forward and its backward side by side.

Subclasses implement

* ``forward(self, *arrays) -> array``: the math on raw NumPy/CuPy arrays; it may keep on
  ``self`` whatever the backward needs (inputs, masks, statistics).
* ``backward(self, grad_output) -> tuple``: given dL/dy, the gradients dL/dx_i for each input,
  in order, each the shape of its input (or ``None`` where the input needs no gradient).
  ``self.needs_input_grad[i]`` (set before forward runs) says which ones are wanted, so costly
  ones can be skipped, and a forward whose gradients are all unwanted need keep nothing.

Calling a Function on Tensors runs forward and, when grad is enabled and any input requires
grad, links the output to this Function so ``Tensor.backward`` can find it.
"""
from .. import backend
from . import anomaly, grad_mode


class Function:
    def __call__(self, *inputs):
        from ..tensor import Tensor

        tensors = inputs  # optional inputs (a missing bias) are None
        for x in tensors:
            if x is not None and not isinstance(x, Tensor):
                raise TypeError(f"{self.name}: expected Tensor inputs, got {type(x).__name__}")
        present = [t for t in tensors if t is not None]
        devices = {t.device for t in present}
        if len(devices) > 1:
            listing = ", ".join(f"{t.device} {tuple(t.shape)}" for t in present)
            raise RuntimeError(
                f"{self.name}: all inputs must be on the same device, got tensors on "
                f"{' and '.join(sorted(devices))} ({listing}); move them with .to(device)"
            )
        recording = grad_mode.is_grad_enabled() and any(t.requires_grad for t in present)
        # Known before forward, so a forward can skip keeping what no backward will need.
        self.needs_input_grad = tuple(recording and t is not None and t.requires_grad for t in tensors)
        if anomaly.is_anomaly_enabled():
            for position, t in enumerate(tensors):
                anomaly.check_finite(self.name, f"input {position}", t.data if t is not None else None)
        output_data = self.forward(*(t.data if t is not None else None for t in tensors))
        if anomaly.is_anomaly_enabled():
            anomaly.check_finite(self.name, "output", output_data)
        requires_grad = recording and output_data.dtype.kind == "f"
        output = Tensor._from_op(output_data, requires_grad)
        if requires_grad:
            self.inputs = list(tensors)
            output.grad_fn = self
        return output

    @property
    def name(self):
        return type(self).__name__

    def forward(self, *arrays):
        raise NotImplementedError(f"{self.name} must implement forward")

    def backward(self, grad_output):
        raise NotImplementedError(f"{self.name} must implement backward")

    def release(self):
        """Drop everything held for backward; a later backward through here is an error."""
        self.__dict__.clear()
        self.released = True

    @staticmethod
    def xp(array):
        return backend.get_array_module(array)

    def __repr__(self):
        return f"<{self.name}>"
