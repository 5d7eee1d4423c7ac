"""Gradient fuzzing: random small networks, every input and parameter gradient checked in float64."""
import numpy as np
from hypothesis import given, settings, strategies as st

import tinynn
from tinynn import nn
from tinynn.autograd import gradcheck

LAYER_KINDS = ["conv3x3", "conv1x1", "depthwise", "reflect", "upsample", "bilinear", "batchnorm", "groupnorm", "relu", "silu", "gelu", "maxpool",
               "dropout_eval"]


@st.composite
def networks(draw):
    channels, size = draw(st.integers(1, 3)), draw(st.integers(3, 6))
    input_shape = (2, channels, size, size)
    layers = []
    for kind in draw(st.lists(st.sampled_from(LAYER_KINDS), min_size=1, max_size=4)):
        if kind == "conv3x3":
            out = draw(st.integers(1, 3))
            padding = draw(st.integers(0, 1))
            if size + 2 * padding < 3:
                continue
            layers.append(nn.Conv2d(channels, out, 3, stride=draw(st.integers(1, 2)), padding=padding))
            channels, size = out, (size + 2 * padding - 3) // layers[-1].stride[0] + 1
        elif kind == "conv1x1":
            out = draw(st.integers(1, 3))
            layers.append(nn.Conv2d(channels, out, 1))
            channels = out
        elif kind == "depthwise":
            layers.append(nn.Conv2d(channels, channels, 3, padding="same", dilation=draw(st.integers(1, 2)),
                                    groups=channels))
        elif kind == "upsample" and size <= 4:
            layers.append(nn.ConvTranspose2d(channels, channels, 2, stride=2))
            size *= 2
        elif kind == "reflect" and size >= 2:
            layers.append(nn.Conv2d(channels, channels, 3, padding=1, padding_mode=draw(
                st.sampled_from(["reflect", "replicate", "circular"]))))
        elif kind == "bilinear" and size <= 4:
            layers.append(nn.Upsample(scale_factor=2, mode="bilinear"))
            size *= 2
        elif kind == "batchnorm":
            layers.append(nn.BatchNorm2d(channels))
        elif kind == "groupnorm":
            layers.append(nn.GroupNorm(1, channels))
        elif kind == "relu":
            layers.append(nn.ReLU())
        elif kind == "silu":
            layers.append(nn.SiLU())
        elif kind == "gelu":
            layers.append(nn.GELU())
        elif kind == "maxpool" and size >= 2:
            layers.append(nn.MaxPool2d(2))
            size //= 2
        elif kind == "dropout_eval":
            layers.append(nn.Dropout(0.5).eval())
    layers += [nn.Flatten(), nn.Linear(channels * size * size, 3)]
    return nn.Sequential(*layers), input_shape


@settings(max_examples=15)
@given(network=networks(), seed=st.integers(0, 2 ** 16))
def test_random_network_gradients_match_finite_differences(network, seed, device):
    """Batch norm runs in training mode (gradients through the batch statistics), dropout in eval."""
    model, input_shape = network
    model.double().to(device)
    rng = np.random.default_rng(seed)
    x = tinynn.tensor(rng.standard_normal(input_shape), requires_grad=True, device=device)
    assert gradcheck(lambda x, *params: model(x), [x] + list(model.parameters()), atol=1e-5, rtol=1e-3)
