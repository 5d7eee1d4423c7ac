"""tinynn/broadcasting.py: the broadcast shape rule, and PyTorch's error naming the op and the
clashing sizes wherever shapes do not broadcast (NumPy's ValueError named neither)."""
import numpy as np
import pytest
from hypothesis import given, strategies as st

import tinynn
from tinynn.broadcasting import broadcast_shape, check_expands
from tinynn.errors import InputError

shapes = st.lists(st.integers(0, 3), max_size=4).map(tuple)


@given(st.lists(shapes, min_size=1, max_size=4))
def test_broadcast_shape_is_numpys_rule(many):
    try:
        expected = np.broadcast_shapes(*many)
    except ValueError:
        with pytest.raises(InputError, match="the size of tensor a"):
            broadcast_shape("op", *many)
    else:
        assert broadcast_shape("op", *many) == expected


@given(shapes, shapes)
def test_check_expands_is_numpys_broadcast_to(shape, target):
    leading = len(shape) - len(target)
    fits_numpy = True
    try:  # (leading unit axes are dropped, as PyTorch's x[i] = value drops them)
        np.broadcast_to(np.empty(shape[leading:] if leading > 0 and set(shape[:leading]) <= {1} else shape), target)
    except ValueError:
        fits_numpy = False
    if fits_numpy:
        check_expands("op", shape, target)
    else:
        with pytest.raises(InputError):
            check_expands("op", shape, target)


@pytest.mark.parametrize("a, b", [((2, 3), (3, 2)), ((2, 3), (4, 5)), ((4, 2, 3), (5, 1, 3)), ((2, 1), (3, 4, 5))])
def test_the_message_is_pytorchs(torch, a, b):
    with pytest.raises(RuntimeError) as theirs:
        torch.zeros(a) + torch.zeros(b)
    with pytest.raises(InputError) as ours:
        tinynn.zeros(a) + tinynn.zeros(b)
    assert str(ours.value).startswith("add: " + str(theirs.value)[0].lower() + str(theirs.value)[1:])


A, B4 = tinynn.ones(2, 3), tinynn.ones(4)
I, J4 = tinynn.ones(2, 3, dtype=tinynn.long), tinynn.ones(4, dtype=tinynn.long)
MASK4 = tinynn.ones(4, dtype=tinynn.bool)


@pytest.mark.parametrize("name, call", [
    ("eq", lambda: A == B4), ("ne", lambda: A != B4), ("lt", lambda: A < B4), ("ge", lambda: A >= B4),
    ("eq", lambda: A.eq(B4)), ("lt", lambda: tinynn.less(A, B4)),
    ("logical_and", lambda: tinynn.logical_and(A, B4)), ("logical_xor", lambda: A.logical_xor(B4)),
    ("bitwise_and", lambda: I & J4), ("bitwise_or", lambda: I.bitwise_or(J4)), ("left_shift", lambda: I << J4),
    ("floor_divide", lambda: A // B4), ("remainder", lambda: I % J4), ("fmod", lambda: I.fmod(J4)),
    ("gcd", lambda: tinynn.gcd(I, J4)), ("lcm", lambda: I.lcm(J4)),
    ("fmax", lambda: tinynn.fmax(A, B4)), ("fmin", lambda: A.fmin(B4)), ("nextafter", lambda: A.nextafter(B4)),
    ("xlogy", lambda: tinynn.xlogy(A, B4)), ("xlog1py", lambda: A.xlog1py(B4)), ("heaviside", lambda: A.heaviside(B4)),
    ("copysign", lambda: A.copysign(B4)), ("hypot", lambda: A.hypot(B4)),
    ("where", lambda: tinynn.where(MASK4, A, 0.0)), ("where", lambda: A.masked_fill(MASK4, 0)),
    ("Clip", lambda: A.clamp(B4)), ("Clip", lambda: A.clamp_max(B4)),
    ("isclose", lambda: A.isclose(B4)), ("allclose", lambda: tinynn.allclose(A, B4)),
    ("RegularizedGamma", lambda: A.igamma(B4)),
    ("broadcast_shapes", lambda: tinynn.broadcast_tensors(A, B4)),
    ("broadcast_shapes", lambda: tinynn.broadcast_shapes((2, 3), (4,))),
    ("take_along_dim", lambda: tinynn.take_along_dim(A, tinynn.zeros(4, 4, dtype=tinynn.long), 1)),
    ("masked_select", lambda: A.masked_select(MASK4)),
    ("normal", lambda: tinynn.normal(A, B4)),
    ("cross", lambda: tinynn.cross(tinynn.ones(2, 3), tinynn.ones(4, 3))),
])
def test_shapes_that_do_not_broadcast_name_the_op(name, call):
    with pytest.raises(InputError, match=rf"^{name}: the size of tensor a \(\d+\) must match the size of tensor b"):
        call()


@pytest.mark.parametrize("call, target, source", [
    (lambda: A.__setitem__(0, B4), (3,), (4,)),
    (lambda: A.__setitem__((slice(None), 0), tinynn.ones(3)), (2,), (3,)),
    (lambda: (A.clone().requires_grad_() * 1).__setitem__(0, B4), (3,), (4,)),  # (the recorded path)
])
def test_a_value_that_does_not_fit_its_place_is_pytorchs_error(call, target, source):
    with pytest.raises(InputError, match=rf"x\[index\] = value: the expanded size of the tensor \({target[0]}\) must match "
                                         rf"the existing size \({source[0]}\)"):
        call()


def test_a_mask_that_does_not_expand_to_the_tensor_is_named():
    with pytest.raises(InputError, match=r"masked_scatter: the expanded size of the tensor \(3\) must match the "
                                         r"existing size \(4\) at non-singleton dimension 1"):
        A.masked_scatter(MASK4, tinynn.ones(10))


def test_values_that_broadcast_into_their_place_are_written():
    x = tinynn.zeros(2, 3)
    x[0] = tinynn.tensor([[1.0, 2.0, 3.0]])  # a leading unit axis is dropped, as in PyTorch
    x[:, 1] = tinynn.tensor(7.0)
    np.testing.assert_array_equal(x.numpy(), [[1, 7, 3], [0, 7, 0]])
