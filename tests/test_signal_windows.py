"""tinynn.signal.windows: every window equal to torch.signal.windows (SciPy's definitions), symmetric
and periodic, for window lengths 0 to 9, with their parameters; bad parameters named."""
import numpy as np
import pytest

import tinynn

WINDOWS = [("bartlett", {}), ("blackman", {}), ("cosine", {}), ("exponential", {}), ("exponential", dict(tau=2.5)),
           ("gaussian", dict(std=2.0)), ("general_cosine", dict(a=[0.5, 0.3, 0.2])),
           ("general_hamming", dict(alpha=0.6)), ("hamming", {}), ("hann", {}), ("kaiser", dict(beta=5.0)),
           ("nuttall", {})]


@pytest.mark.parametrize("name, options", WINDOWS, ids=[f"{name}{options}" for name, options in WINDOWS])
@pytest.mark.parametrize("sym", [True, False])
def test_windows_equal_torchs(torch, name, options, sym):
    if name == "exponential" and not sym:
        options = dict(options, center=2.0)
    for length in range(10):
        ours = getattr(tinynn.signal.windows, name)(length, sym=sym, dtype=tinynn.float64, **options)
        theirs = getattr(torch.signal.windows, name)(length, sym=sym, dtype=torch.float64, **options)
        assert ours.shape == tuple(theirs.shape)
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-12, atol=1e-14, err_msg=f"{name}({length})")


def test_dtype_device_and_bad_parameters(device):
    window = tinynn.signal.windows.hann(8, device=device, requires_grad=True)
    assert window.dtype == np.float32 and window.device == device and window.requires_grad
    with pytest.raises(ValueError, match="gaussian: std must be positive, got 0"):
        tinynn.signal.windows.gaussian(5, std=0)
    with pytest.raises(ValueError, match="exponential: center must be None for a symmetric window"):
        tinynn.signal.windows.exponential(5, center=1.0)
    with pytest.raises(ValueError, match="hann: M must be a non-negative int, got -1"):
        tinynn.signal.windows.hann(-1)
    with pytest.raises(ValueError, match="cosine: expected a floating-point dtype, got int64"):
        tinynn.signal.windows.cosine(4, dtype=tinynn.int64)
