"""conv_transpose2d and ConvTranspose2d: gradchecks over drawn geometries, PyTorch parity, output_size, errors."""
import numpy as np
import pytest
from hypothesis import assume, given, strategies as st

import tinynn
from tinynn import nn
from tinynn.autograd import gradcheck
from tinynn.nn import functional as F
from helpers import assert_close, assert_layer_matches_torch, leaf


@st.composite
def transpose_case(draw):
    stride = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    dilation = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    kernel = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    padding = (draw(st.integers(0, 1)), draw(st.integers(0, 1)))
    output_padding = tuple(draw(st.integers(0, max(s, d) - 1)) for s, d in zip(stride, dilation))
    groups = draw(st.sampled_from([1, 1, 2]))
    h, w = draw(st.integers(2, 4)), draw(st.integers(2, 4))
    out = [(size - 1) * s - 2 * p + d * (k - 1) + op + 1
           for size, s, p, d, k, op in zip((h, w), stride, padding, dilation, kernel, output_padding)]
    assume(min(out) > 0)  # a padding larger than the output is an error (tested below)
    return dict(n=draw(st.integers(1, 2)), c=groups * draw(st.integers(1, 2)), o=groups * draw(st.integers(1, 2)),
                h=h, w=w, kernel=kernel, stride=stride, padding=padding,
                output_padding=output_padding, dilation=dilation, groups=groups, bias=draw(st.booleans()))


@given(case=transpose_case(), seed=st.integers(0, 2 ** 16))
def test_conv_transpose2d_gradcheck(case, seed, device):
    rng = np.random.default_rng(seed)
    x = leaf(rng.standard_normal((case["n"], case["c"], case["h"], case["w"])), device=device)
    w = leaf(rng.standard_normal((case["c"], case["o"] // case["groups"]) + case["kernel"]), device=device)
    b = leaf(rng.standard_normal(case["o"]), device=device) if case["bias"] else None
    options = (case["stride"], case["padding"], case["output_padding"], case["groups"], case["dilation"])
    inputs = [x, w] + ([b] if b is not None else [])
    assert gradcheck(lambda x, w, *b: F.conv_transpose2d(x, w, b[0] if b else None, *options), inputs)


@pytest.mark.parametrize("options", [dict(), dict(stride=2, padding=1, output_padding=1), dict(stride=(2, 3), dilation=2),
                                     dict(groups=2, stride=2, bias=False), dict(padding=(1, 0), dilation=(1, 2))])
def test_conv_transpose2d_layer_matches_torch(torch, rng, options, device):
    ours, theirs = nn.ConvTranspose2d(4, 6, 3, **options), torch.nn.ConvTranspose2d(4, 6, 3, **options)
    assert repr(ours) == repr(theirs)
    assert_layer_matches_torch(torch, ours, theirs, (2, 4, 5, 6), rng, device)


@pytest.mark.parametrize("options", [dict(stride=2, padding=1), dict(kernel_size=4, stride=2, padding=1, groups=2),
                                     dict(stride=(2, 1), dilation=2, output_padding=1)])
def test_conv_transpose2d_backward_from_one_im2col_matches_torch(torch, rng, monkeypatch, options, device):
    """Both gradients from one im2col of dL/dy per block (correlate_and_weight_grad, asserted taken), in
    blocks of two images of a batch of 9, against PyTorch's; an input needing no gradient keeps the
    weight gradient's own im2col."""
    from tinynn.nn.functional import conv, conv_transpose

    monkeypatch.setattr(conv, "COL_BLOCK_BYTES", {"cpu": 20_000, "gpu": 20_000})
    taken = []
    real = conv_transpose.correlate_and_weight_grad
    monkeypatch.setattr(conv_transpose, "correlate_and_weight_grad", lambda *args: taken.append(1) or real(*args))
    options = {"kernel_size": 3, **options}
    ours, theirs = nn.ConvTranspose2d(4, 6, **options), torch.nn.ConvTranspose2d(4, 6, **options)
    assert_layer_matches_torch(torch, ours, theirs, (9, 4, 5, 6), rng, device)
    assert taken == [1]
    ours(tinynn.tensor(rng.standard_normal((9, 4, 5, 6)).astype(np.float32), device=device)).sum().backward()
    assert taken == [1]


@pytest.mark.parametrize("options", [dict(stride=2), dict(padding=1, dilation=(2, 1)), dict(stride=(1, 2), padding=1)])
def test_depthwise_conv_transpose2d_matches_torch(torch, rng, options, device):
    """One channel in and out per group: its passes are the depthwise convolution's offsets."""
    ours, theirs = nn.ConvTranspose2d(5, 5, 3, groups=5, **options), torch.nn.ConvTranspose2d(5, 5, 3, groups=5, **options)
    assert_layer_matches_torch(torch, ours, theirs, (3, 5, 6, 7), rng, device)
    x, w = leaf(rng.standard_normal((2, 5, 4, 3)), device=device), leaf(rng.standard_normal(ours.weight.shape), device=device)
    assert gradcheck(lambda x, w: F.conv_transpose2d(x, w, groups=5, **options), [x, w])


@pytest.mark.parametrize("options", [dict(), dict(stride=2, padding=1, output_padding=1), dict(stride=3, dilation=2),
                                     dict(groups=2, stride=2, bias=False)])
def test_conv_transpose1d_gradcheck_and_layer_matches_torch(torch, rng, options, device):
    ours, theirs = nn.ConvTranspose1d(4, 6, 3, **options), torch.nn.ConvTranspose1d(4, 6, 3, **options)
    assert repr(ours) == repr(theirs)
    assert_layer_matches_torch(torch, ours, theirs, (2, 4, 7), rng, device)
    x, w = leaf(rng.standard_normal((1, 4, 3)), device=device), leaf(rng.standard_normal(ours.weight.shape), device=device)
    functional_options = {k: v for k, v in options.items() if k != "bias"}
    assert gradcheck(lambda x, w: F.conv_transpose1d(x, w, **functional_options), [x, w])


def test_conv_transpose1d_checks_its_input():
    with pytest.raises(ValueError, match=r"conv_transpose1d: expected a 3-D input \(N, C, L\) or one unbatched 2-D sample \(C, L\), got a 4-D tensor"):
        F.conv_transpose1d(tinynn.zeros(1, 2, 3, 4), tinynn.zeros(2, 1, 3))


def test_conv_transpose_undoes_the_shape_of_a_strided_conv():
    x = tinynn.randn(2, 3, 28, 28)
    down = nn.Conv2d(3, 8, 3, stride=2, padding=1)
    up = nn.ConvTranspose2d(8, 3, 3, stride=2, padding=1, output_padding=1)
    assert down(x).shape == (2, 8, 14, 14) and up(down(x)).shape == x.shape


def test_conv_transpose_errors_are_clear():
    with pytest.raises(ValueError, match=r"output_padding \(2, 2\) must be smaller than stride \(2, 2\) or dilation"):
        F.conv_transpose2d(tinynn.zeros(1, 2, 4, 4), tinynn.zeros(2, 1, 3, 3), stride=2, output_padding=2)
    with pytest.raises(ValueError, match=r"ConvTranspose2d\(2, 1.*expected input with 2 channels"):
        nn.ConvTranspose2d(2, 1, 3)(tinynn.zeros(1, 3, 4, 4))
    with pytest.raises(ValueError, match="padding must be an int or 2 ints \\(not 'same'\\)"):
        nn.ConvTranspose2d(2, 1, 3, padding="same")
    with pytest.raises(ValueError, match="the output would be"):
        F.conv_transpose2d(tinynn.zeros(1, 2, 1, 1), tinynn.zeros(2, 1, 1, 1), padding=1)


@pytest.mark.parametrize("dims", [1, 2, 3])
@pytest.mark.parametrize("kernel, stride, dilation, output_padding", [(1, 1, 2, 1), (1, 1, 3, 2), (2, 1, 2, 1),
                                                                       (1, 2, 3, 2)])
def test_output_padding_beyond_the_stride_matches_torch(torch, rng, device, dims, kernel, stride, dilation,
                                                        output_padding):
    """output_padding may reach the dilation - 1 where the stride is smaller: the extra rows are
    there even for a 1-wide kernel at stride 1 (found by a differential sweep against PyTorch)."""
    values = rng.standard_normal((2, 2) + (3,) * dims)
    ours = getattr(nn, f"ConvTranspose{dims}d")(2, 3, kernel, stride=stride, dilation=dilation,
                                                 output_padding=output_padding, dtype=np.float64)
    theirs = getattr(torch.nn, f"ConvTranspose{dims}d")(2, 3, kernel, stride=stride, dilation=dilation,
                                                         output_padding=output_padding).double()
    ours.load_state_dict({name: tinynn.tensor(value.detach().numpy()) for name, value in theirs.state_dict().items()})
    ours.to(device)
    x, tx = tinynn.tensor(values, device=device, requires_grad=True), torch.tensor(values, requires_grad=True)
    y, ty = ours(x), theirs(tx)
    assert y.shape == tuple(ty.shape)
    np.testing.assert_allclose(y.numpy(), ty.detach().numpy(), rtol=1e-10, atol=1e-12)
    gradient = rng.standard_normal(y.shape)
    (y * tinynn.tensor(gradient, device=device)).sum().backward()
    ty.backward(torch.tensor(gradient))
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(ours.weight.grad.numpy(), theirs.weight.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_conv_transpose3d_says_when_its_depth_would_be_empty():
    layer = nn.ConvTranspose3d(2, 2, (2, 3, 3), padding=(2, 0, 0))
    with pytest.raises(ValueError, match=r"ConvTranspose3d\(2, 2, kernel_size=\(2, 3, 3\)\): the output would be \(-1, 5, 5\).*padding \(2, 0, 0\) is "
                                         "too large"):
        layer(tinynn.zeros(1, 2, 2, 3, 3))
    with pytest.raises(ValueError, match=r"output_padding \(2, 0, 0\) must be smaller than stride \(2, 1, 1\) or "
                                         r"dilation \(1, 1, 1\)"):
        F.conv_transpose3d(tinynn.zeros(1, 2, 2, 3, 3), tinynn.zeros(2, 2, 1, 1, 1), stride=(2, 1, 1),
                           output_padding=(2, 0, 0))


@pytest.mark.parametrize("dims", [1, 2, 3])
def test_output_size_picks_the_output_padding_as_pytorch(torch, rng, dims):
    """A decoder matching its encoder's odd sizes: forward(x, output_size=...) with the spatial sizes or the
    whole shape; a size out of reach is an error naming the valid range."""
    def layer(library):
        kind = getattr(library.nn, f"ConvTranspose{dims}d")
        made = kind(2, 3, 3, stride=2, padding=1, dilation=1)
        with library.no_grad():
            for parameter in made.parameters():
                parameter.copy_(library.linspace(-0.5, 0.5, parameter.numel()).reshape(parameter.shape))
        return made

    values = rng.standard_normal((2, 2) + (4, 5, 3)[:dims])
    ours, theirs = layer(tinynn).double(), layer(torch).double()
    x, tx = tinynn.tensor(values, requires_grad=True), torch.tensor(values, requires_grad=True)
    wanted = (8, 10, 6)[:dims]  # one more than the smallest output along every axis
    for size in (wanted, (2, 3) + wanted):
        out, t_out = ours(x, output_size=size), theirs(tx, output_size=size)
        assert out.shape == tuple(t_out.shape) == (2, 3) + wanted
        assert_close(out, t_out.detach(), rtol=1e-10)
    with pytest.raises(ValueError, match=r"valid sizes range from \[7"):
        ours(x, output_size=(10, 12, 8)[:dims])
