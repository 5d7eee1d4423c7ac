"""Batch normalization on the GPU in four kernels per pass: ``BatchNorm``'s math, fused."""
from ...fused import ElementwiseKernel, SumKernel, channels_first, channels_last
from .normalization import BatchNorm

SQUARED_DEVIATIONS = SumKernel("T x, T mean", "(x - mean) * (x - mean)", "tinynn_bn_squared_deviations")
CENTERED_PRODUCTS = SumKernel("T g, T x, T mean", "g * (x - mean)", "tinynn_bn_centered_products")

_AFFINE_COEFFICIENTS = """
inv_std = 1 / sqrt(squared_deviations / count + eps);
scale = weight * inv_std;
shift = bias - mean * scale;
"""
AFFINE_COEFFICIENTS = ElementwiseKernel(
    "T mean, T squared_deviations, T weight, T bias, float64 count, float64 eps",
    "T inv_std, T scale, T shift", _AFFINE_COEFFICIENTS, "tinynn_bn_affine_coefficients")
# PyTorch's running statistics: new = (1 - momentum) * old + momentum * batch value, unbiased variance.
AFFINE_COEFFICIENTS_AND_RUNNING_STATS = ElementwiseKernel(
    "T mean, T squared_deviations, T weight, T bias, float64 count, float64 eps, float64 momentum",
    "T inv_std, T scale, T shift, S running_mean, S running_var", _AFFINE_COEFFICIENTS + """
running_mean = (1 - momentum) * running_mean + momentum * mean;
running_var = (1 - momentum) * running_var + momentum * squared_deviations / (count - 1);
""", "tinynn_bn_affine_coefficients_and_running_stats")
AFFINE = ElementwiseKernel("T x, T scale, T shift", "T y", "y = x * scale + shift;", "tinynn_bn_affine")

INPUT_GRAD_COEFFICIENTS = ElementwiseKernel(
    "T sum_g, T centered_products, T mean, T inv_std, T scale, float64 count", "T grad_weight, T b, T c", """
grad_weight = centered_products * inv_std;
b = -scale * inv_std * grad_weight / count;
c = -scale * sum_g / count - b * mean;
""", "tinynn_bn_input_grad_coefficients")
INPUT_GRAD = ElementwiseKernel("T g, T x, T scale, T b, T c", "T gx", "gx = g * scale + x * b + c;", "tinynn_bn_input_grad")


class FusedBatchNorm(BatchNorm):
    """``BatchNorm`` on the GPU: the same math and results (see its docstring), each pass in four
    kernels instead of about 25 array operations (one per small per-channel step).

    The data is seen channels-last, (N, H, W, C), free for tinynn's conv outputs; per-channel
    vectors broadcast against it, and M = N*H*W values per channel.

    Forward:  mean = (1/M) sum x                                          (CuPy's mean)
              S = sum (x - mean)^2                                        SQUARED_DEVIATIONS
              inv_std = 1/sqrt(S/M + eps), scale = gamma * inv_std,
              shift = beta - mean * scale (and the running statistics)    AFFINE_COEFFICIENTS...
              y = x * scale + shift                                       AFFINE
    Backward: sum_g = sum gy, P = sum gy * (x - mean)                     (CuPy's sum), CENTERED_PRODUCTS
              dL/dgamma = P * inv_std, b = -scale * inv_std * dL/dgamma / M,
              c = -scale * sum_g / M - b * mean                           INPUT_GRAD_COEFFICIENTS
              dL/dx = gy * scale + x * b + c                              INPUT_GRAD
    """

    def forward(self, x, weight=None, bias=None):
        xp = self.xp(x)
        x_last = channels_last(x)
        self.axes = tuple(range(x.ndim - 1))  # all but the channels
        count = x.size // x.shape[1]
        # Numbers broadcast like per-channel vectors; parameters of another float type are read in
        # the data's (NumPy would promote the same way on the CPU), as a kernel takes one type.
        weight = 1.0 if weight is None else weight.astype(x.dtype, copy=False)
        bias = 0.0 if bias is None else bias.astype(x.dtype, copy=False)
        if self.training:
            mean = x_last.mean(axis=self.axes)
            squared_deviations = SQUARED_DEVIATIONS(x_last, mean, axis=self.axes)
        else:  # the running variance is S/M with M = 1
            mean, squared_deviations, count = (self.running_mean.astype(x.dtype, copy=False),
                                               self.running_var.astype(x.dtype, copy=False), 1)
        if self.training and self.running_mean is not None:
            inv_std, scale, shift = (xp.empty_like(mean) for _ in range(3))
            AFFINE_COEFFICIENTS_AND_RUNNING_STATS(mean, squared_deviations, weight, bias, count, self.eps,
                                                  self._momentum(), inv_std, scale, shift,
                                                  self.running_mean, self.running_var)
        else:
            inv_std, scale, shift = AFFINE_COEFFICIENTS(mean, squared_deviations, weight, bias, count, self.eps)
        self.x_last, self.mean, self.inv_std, self.scale = x_last, mean, inv_std, scale
        return channels_first(AFFINE(x_last, scale, shift))

    def backward(self, gy):
        g = channels_last(gy)
        count = gy.size // gy.shape[1]
        gx = grad_weight = None
        through_statistics = self.needs_input_grad[0] and self.training  # the batch statistics depend on x too
        if through_statistics or self.needs_input_grad[1]:
            centered_products = CENTERED_PRODUCTS(g, self.x_last, self.mean, axis=self.axes)
        sum_g = g.sum(axis=self.axes) if through_statistics or self.needs_input_grad[2] else None
        if through_statistics:
            grad_weight, b, c = INPUT_GRAD_COEFFICIENTS(sum_g, centered_products, self.mean, self.inv_std, self.scale,
                                                        count)
            gx = channels_first(INPUT_GRAD(g, self.x_last, self.scale, b, c))
        elif self.needs_input_grad[0]:
            gx = channels_first(g * self.scale)
        if grad_weight is None and self.needs_input_grad[1]:
            grad_weight = centered_products * self.inv_std
        return gx, grad_weight, sum_g if self.needs_input_grad[2] else None
