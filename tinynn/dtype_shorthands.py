"""PyTorch's dtype shorthands, ``x.double()``, ``x.long()``, ...: each is ``self.to(dtype=...)``. Shared
by Tensor and nn.utils.rnn's PackedSequence (whose ``to`` converts its data)."""
import numpy as np


class DtypeShorthands:
    def float(self):
        return self.to(dtype=np.float32)

    def double(self):
        return self.to(dtype=np.float64)

    def half(self):
        return self.to(dtype=np.float16)

    def long(self):
        return self.to(dtype=np.int64)

    def int(self):
        return self.to(dtype=np.int32)

    def short(self):
        return self.to(dtype=np.int16)

    def char(self):
        return self.to(dtype=np.int8)

    def byte(self):
        return self.to(dtype=np.uint8)
