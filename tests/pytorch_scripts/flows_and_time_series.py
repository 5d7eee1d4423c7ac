"""A script as written for PyTorch (run with argument "torch"), run with ``import tinynn as torch`` (argument
"tinynn") by tests/test_pytorch_scripts.py: the same lines, only the imports chosen by the argument.
Density models and a forecaster as their papers' code writes them: a RealNVP flow of affine coupling layers
(a Transform of one's own inside a TransformedDistribution over an Independent Normal), a mixture density
network (MixtureSameFamily of Categorical and Independent Normal), and a temporal convolution network
(dilated causal Conv1d, windows by unfold, rfft features) beside an LSTM."""
import sys

import numpy as np

if sys.argv[1] == "tinynn":
    import tinynn as torch
    import tinynn.nn as nn
    import tinynn.nn.functional as F
    from tinynn import distributions as D
else:
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
    from torch import distributions as D

torch.set_default_dtype(torch.float64)
rng = np.random.default_rng(2)


def fill(module, scale=0.3):
    """The same weights in both frameworks: a ramp over each parameter."""
    with torch.no_grad():
        for parameter in module.parameters():
            parameter.copy_(torch.linspace(-scale, scale, parameter.numel()).reshape(parameter.shape))
    return module


# ----- RealNVP ----------------------------------------------------------------------------------
class Coupling(D.Transform):
    """y_b = x_b * exp(s(x_a)) + t(x_a) for the half b, the half a passed as it is."""

    domain = D.constraints.real_vector
    codomain = D.constraints.real_vector
    bijective = True

    def __init__(self, net, flip):
        super().__init__(cache_size=0)
        self.net, self.flip = net, flip

    def _halves(self, x):
        a, b = x[..., :2], x[..., 2:]
        return (b, a) if self.flip else (a, b)

    def _join(self, a, b):
        return torch.cat([b, a] if self.flip else [a, b], dim=-1)

    def _call(self, x):
        a, b = self._halves(x)
        s, t = self.net(a).chunk(2, dim=-1)
        return self._join(a, b * torch.tanh(s).exp() + t)

    def _inverse(self, y):
        a, b = self._halves(y)
        s, t = self.net(a).chunk(2, dim=-1)
        return self._join(a, (b - t) * (-torch.tanh(s)).exp())

    def log_abs_det_jacobian(self, x, y):
        a, _ = self._halves(x)
        s, _ = self.net(a).chunk(2, dim=-1)
        return torch.tanh(s).sum(-1)


nets = nn.ModuleList([fill(nn.Sequential(nn.Linear(2, 16), nn.Tanh(), nn.Linear(16, 4))) for _ in range(3)])
base = D.Independent(D.Normal(torch.zeros(4), torch.ones(4)), 1)
flow = D.TransformedDistribution(base, [Coupling(net, flip=k % 2 == 1) for k, net in enumerate(nets)])
data = torch.from_numpy(rng.standard_normal((64, 4)) * np.array([1.0, 0.5, 2.0, 1.0]) + np.array([0.0, 1.0, -1.0, 0.5]))
optimizer = torch.optim.Adam(nets.parameters(), lr=5e-3)
for step in range(4):
    loss = -flow.log_prob(data).mean()
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    print(f"flow step {step}: nll {loss.item():.9f}")
x = data[:3]
print("flow round trip", torch.allclose(flow.transforms[-1].inv(flow.transforms[-1](x)), x), "event shape",
      tuple(flow.event_shape))

# ----- a mixture density network --------------------------------------------------------------------
inputs = torch.from_numpy(rng.uniform(-1, 1, (50, 1)))
outputs = torch.from_numpy(np.concatenate([np.sin(3 * inputs.numpy()), np.cos(3 * inputs.numpy())], 1)
                           + 0.1 * rng.standard_normal((50, 2)))
trunk, heads = fill(nn.Sequential(nn.Linear(1, 24), nn.Tanh())), fill(nn.Linear(24, 3 + 3 * 2 * 2))
optimizer = torch.optim.Adam(list(trunk.parameters()) + list(heads.parameters()), lr=1e-2)
for step in range(4):
    parts = heads(trunk(inputs))
    logits, means, log_scales = parts[:, :3], parts[:, 3:9].reshape(-1, 3, 2), parts[:, 9:].reshape(-1, 3, 2)
    mixture = D.MixtureSameFamily(D.Categorical(logits=logits),
                                  D.Independent(D.Normal(means, F.softplus(log_scales) + 1e-3), 1))
    loss = -mixture.log_prob(outputs).mean()
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    print(f"mixture step {step}: nll {loss.item():.9f} mean[0] {[round(v, 6) for v in mixture.mean[0].tolist()]}")

# ----- a temporal convolution network beside an LSTM --------------------------------------------------
series = torch.from_numpy(np.sin(np.linspace(0, 12, 96))[None, None, :] + 0.05 * rng.standard_normal((4, 1, 96)))


class CausalBlock(nn.Module):
    def __init__(self, channels_in, channels_out, dilation):
        super().__init__()
        self.pad = 2 * dilation
        self.conv = nn.Conv1d(channels_in, channels_out, 3, dilation=dilation, padding=self.pad)
        self.skip = nn.Conv1d(channels_in, channels_out, 1)

    def forward(self, x):
        return F.relu(self.conv(x)[..., :-self.pad]) + self.skip(x)


tcn = fill(nn.Sequential(CausalBlock(1, 8, 1), CausalBlock(8, 8, 2), CausalBlock(8, 8, 4)))
recurrent, readout = fill(nn.LSTM(8 + 5, 12, batch_first=True)), fill(nn.Linear(12, 1))
optimizer = torch.optim.RMSprop(list(tcn.parameters()) + list(recurrent.parameters()) + list(readout.parameters()),
                                lr=1e-3)
windows = series[:, 0].unfold(1, 16, 8)  # (batch, windows, 16)
spectrum = torch.fft.rfft(windows, dim=-1).abs()[..., :5]  # the lowest frequencies of each window
for step in range(3):
    features = tcn(series)[..., 14::8].transpose(1, 2)  # (up to the step before each window's last)
    hidden, _ = recurrent(torch.cat([features, spectrum], dim=-1))
    prediction = readout(hidden).squeeze(-1)
    loss = F.mse_loss(prediction, windows[..., -1])
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    print(f"forecast step {step}: mse {loss.item():.9f}")
print("windows", tuple(windows.shape), "spectrum", tuple(spectrum.shape))
