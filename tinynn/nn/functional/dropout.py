"""Dropout: randomly zeroing activations during training."""
from ... import random
from ...autograd import Function
from .validation import check_float, check_not_empty


class Dropout(Function):
    """Inverted dropout: y = x * m / (1 - p) with m_i ~ Bernoulli(1 - p), drawn per call.

    Scaling by 1/(1-p) keeps E[y] = x, so evaluation needs no rescaling. Shapes: y like x.
    Backward: dL/dx = dL/dy * m / (1 - p), the same mask as the forward pass.

    m_i = [u_i >= t] for 16-bit uniform integers u_i and t = round(65536 p), so an element is
    dropped with probability p' = t / 65536 (within 2^-17 of p), and the scale is 1 / (1 - p')
    to keep E[y] = x exact.
    """

    def __init__(self, p, mask=None):
        self.p, self.mask = p, mask

    def forward(self, x):
        xp = self.xp(x)
        if self.mask is None:
            threshold = round(self.p * 65536)
            keep = random.uint16_like_layout(xp, x) >= threshold
            self.mask = keep * x.dtype.type(65536 / (65536 - threshold))
        return x * self.mask

    def backward(self, gy):
        return (gy * self.mask,)


def dropout(input, p=0.5, training=True, name="dropout"):
    """Zero each element with probability ``p`` in training (scaling the rest by 1/(1-p)); identity in eval."""
    check_float(input, name)
    check_not_empty(input, name)
    if not isinstance(p, (int, float)) or not 0 <= p < 1:
        raise ValueError(f"{name}: probability p must be in [0, 1), got {p}")
    if not training or p == 0:
        return input
    return Dropout(p)(input)
