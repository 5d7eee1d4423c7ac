"""The functions of tinynn/tensor_functions.py (built from other ops) and the scatter family: values
and gradients equal PyTorch's on every device, gradients and second derivatives checked against
finite differences; the index and counting functions equal PyTorch's; bad input is a clear error."""
import numpy as np
import pytest
from hypothesis import given, strategies as st

import tinynn
from tinynn.autograd import gradcheck, gradgradcheck
from helpers import assert_close


def index(L, values, like):
    return L.tensor(values) if L is not tinynn else tinynn.tensor(values, device=like.device)


# name: (function of (L, *inputs), input shapes); inputs are float64 draws kept away from kinks
CASES = {
    "cumprod": (lambda L, x: L.cumprod(x, 1) + x.cumprod(dim=0), [(3, 5)]),
    "cumprod with zeros": (lambda L, x: L.cumprod(x * (x.abs() > 0.3), 1), [(3, 6)]),
    "cummax": (lambda L, x: L.cummax(x, 1).values * 2 + x.cummin(0)[0], [(4, 5)]),
    "logcumsumexp": (lambda L, x: L.logcumsumexp(x * 30, 1), [(3, 7)]),
    "diff": (lambda L, x: L.diff(x, n=2, dim=0) + L.diff(x, dim=0, prepend=x[:1], append=x[-1:])[:3], [(5, 3)]),
    "trapezoid": (lambda L, x, t: L.trapezoid(x, dim=0) + L.trapezoid(x, t[:, 0].cumsum(0), dim=0)
                  + L.trapezoid(x, dx=0.5, dim=0) + L.cumulative_trapezoid(x, dim=0).sum(0), [(4, 3), (4, 3)]),
    "logaddexp": (lambda L, a, b: L.logaddexp(a * 50, b) + a.logaddexp2(b[0]), [(3, 4), (3, 4)]),
    "lerp": (lambda L, a, b, w: L.lerp(a, b, w) + a.lerp(b, 0.3), [(3, 4), (3, 4), (3, 4)]),
    "hypot": (lambda L, a, b: L.hypot(a, b), [(3, 4), (3, 4)]),
    "xlogy": (lambda L, a, b: L.xlogy(a * (a.abs() > 0.5), b.abs() + 0.1), [(3, 4), (3, 4)]),
    "logit": (lambda L, x: L.logit(x.sigmoid()) + L.logit(x.sigmoid(), eps=0.2), [(3, 4)]),
    "sinc": (lambda L, x: L.sinc(x), [(3, 4)]),
    "fmod and remainder": (lambda L, a, b: L.fmod(a * 5, b.abs() + 0.7) + L.remainder(a * 5, -(b.abs() + 0.7))
                           + a.frac(), [(3, 4), (3, 4)]),
    "float_power": (lambda L, x: L.float_power(x.abs() + 0.5, 2.5) + L.deg2rad(x) + L.rad2deg(x), [(3, 4)]),
    "clamp_min and clamp_max": (lambda L, x: L.clamp_min(x, -0.3) + L.clamp_max(x, 0.2), [(3, 4)]),
    "aminmax": (lambda L, x: (lambda r: r.min * 2 + r.max)(L.aminmax(x, dim=1)), [(3, 4)]),
    "var_mean, std_mean": (lambda L, x: sum(L.var_mean(x, 1)) + sum(L.std_mean(x, 0, correction=0)).sum(), [(3, 4)]),
    "nansum, nanmean": (lambda L, x: L.nansum(x.masked_fill(x < -0.5, float("nan")), 1)
                        + L.nanmean(x.masked_fill(x < -0.5, float("nan")), 1), [(3, 5)]),
    "kthvalue": (lambda L, x: L.kthvalue(x, 2, dim=1).values + x.kthvalue(3, 0, keepdim=True)[0].sum(), [(4, 5)]),
    "quantile": (lambda L, x: L.quantile(x, 0.3, dim=1) + x.quantile(0.5) + L.quantile(x, 0.75, dim=1,
                                                                                        interpolation="midpoint"),
                 [(3, 6)]),
    "quantile of several q": (lambda L, x: L.quantile(x, index(L, [0.1, 0.5, 0.9], x).to(dtype=x.dtype), dim=0,
                                                      keepdim=True), [(5, 3)]),
    "quantile interpolations": (lambda L, x: sum(L.quantile(x, 0.4, dim=1, interpolation=kind)
                                                 for kind in ("lower", "higher", "nearest")), [(3, 7)]),
    "nanquantile": (lambda L, x: L.nanquantile(x.masked_fill(x < -0.7, float("nan")), 0.4, dim=1), [(4, 6)]),
    "cov, corrcoef": (lambda L, x, w: L.cov(x) + L.corrcoef(x) + L.cov(x, correction=0, aweights=w[0].abs() + 0.1),
                      [(3, 6), (1, 6)]),
    "renorm": (lambda L, x: L.renorm(x, 2, 0, 1.5), [(3, 4)]),
    "kron": (lambda L, a, b: L.kron(a, b), [(2, 3), (3, 2)]),
    "tensordot": (lambda L, a, b: L.tensordot(a, b, dims=([1, 0], [0, 2])) + L.tensordot(a[:, :, :2], b[:2, :3, 0],
                                                                                           dims=1).sum(),
                  [(2, 4, 3), (4, 5, 2)]),
    "block_diag": (lambda L, a, b, c: L.block_diag(a, b, c[0, 0], c[0]), [(2, 3), (3, 2), (1, 4)]),
    "rot90": (lambda L, x: L.rot90(x, 1, (1, 2)) * 3 + L.rot90(x, 2, (1, 2)) + L.rot90(x, -1, (2, 1))
              + L.rot90(x, 4, (1, 2)), [(2, 3, 3)]),
    "diag_embed": (lambda L, x: L.diag_embed(x).sum(0) + L.diag_embed(x, 1, 0, 2).sum(1)[:3, :3]
                   + L.diag_embed(x, -1, dim1=2, dim2=0).sum(1)[:3, :3], [(4, 3)]),
    "diagflat": (lambda L, x: L.diagflat(x, 1), [(2, 2)]),
    "vander": (lambda L, x: L.vander(x, 4) + L.vander(x, 4, increasing=True), [(4,)]),
    "cartesian_prod": (lambda L, a, b: L.cartesian_prod(a, b), [(3,), (2,)]),
    "combinations": (lambda L, x: L.combinations(x, 2).sum(0) + L.combinations(x, 3, with_replacement=True).sum(0)[:2],
                     [(4,)]),
    "scatter": (lambda L, x, s: x.scatter(1, index(L, [[0, 2], [3, 1], [1, 0]], x), s)
                + L.scatter(x, 0, index(L, [[2, 0, 1, 0]], x), 0.5), [(3, 4), (3, 2)]),
    "scatter_reduce sum and mean": (lambda L, x, s: sum(x.scatter_reduce(1, index(L, [[0, 2, 0], [3, 3, 3]], x), s,
                                                                         reduce, include_self=include)
                                                        for reduce in ("sum", "mean") for include in (True, False)),
                                    [(2, 4), (2, 3)]),
    "scatter_reduce amax and amin": (lambda L, x, s: sum(x.scatter_reduce(1, index(L, [[0, 2, 0], [3, 3, 1]], x), s,
                                                                          reduce, include_self=include)
                                                         for reduce in ("amax", "amin") for include in (True, False)),
                                     [(2, 4), (2, 3)]),
    # (PyTorch's older names, which it takes without listing them)
    "scatter_reduce max and min": (lambda L, x, s: x.scatter_reduce(1, index(L, [[0, 2, 0], [3, 3, 1]], x), s, "max")
                                   + x.scatter_reduce(1, index(L, [[1, 2, 0], [3, 0, 1]], x), s, "min", include_self=False),
                                   [(2, 4), (2, 3)]),
    "scatter_reduce prod": (lambda L, x, s: x.scatter_reduce(1, index(L, [[0, 2, 0], [3, 3, 3]], x), s, "prod")
                            + x.scatter_reduce(0, index(L, [[1, 0, 1]], x), s[:1], "prod", include_self=False)[:, :3]
                            .sum(1, keepdim=True), [(2, 4), (2, 3)]),
    "index_fill, index_copy": (lambda L, x, s: x.index_fill(1, index(L, [0, 2], x), -1.0)
                               + x.index_copy(0, index(L, [2, 0], x), s), [(3, 4), (2, 4)]),
    "masked_scatter": (lambda L, x, s: x.masked_scatter(x > 0, s), [(3, 4), (12,)]),
    "erfc, erfinv": (lambda L, x: L.erfc(x * 3) + (x.tanh() * 0.99).erfinv(), [(3, 4)]),
    "addmm and kin": (lambda L, m, a, b: L.addmm(m, a, b, beta=0.5, alpha=2) + m.addmm(a, b)
                      + L.addmv(m[0], a, b[:, 0], beta=0, alpha=3) + L.addr(m, a[:, 0], b[0], alpha=-1)
                      + L.baddbmm(m, a.unsqueeze(0).expand(2, 3, 4), b.unsqueeze(0).expand(2, 4, 3)).sum(0)
                      + L.addbmm(m, a.unsqueeze(0).expand(2, 3, 4), b.unsqueeze(0).expand(2, 4, 3), beta=2)
                      + L.addcmul(m, m, m, value=0.5) + m.addcdiv(m, m.abs() + 1, value=-2), [(3, 3), (3, 4), (4, 3)]),
    "unfold, unflatten, sum_to_size, take, ravel": (lambda L, x: L.cat([
        x.unfold(1, 3, 2).reshape(-1), x.unfold(0, 2, 1).reshape(-1), x.unflatten(1, (5, 1)).reshape(-1),
        x.sum_to_size(1, 5).reshape(-1), L.take(x, index(L, [[0, 3, 7, 3, 9]], x)).reshape(-1), x.ravel()]),
        [(3, 5)]),
    "stacking and splitting": (lambda L, a, b: L.cat(
        [L.hstack([a, b]).reshape(-1), L.vstack([a, b]).reshape(-1), L.dstack([a, b]).reshape(-1),
         L.column_stack([a[:, 0], b]).reshape(-1), L.hstack([a[0], b[0]]), L.atleast_3d(a).reshape(-1),
         L.broadcast_to(a[:1, :1], (3, 1)).reshape(-1), L.broadcast_tensors(a[:, :1], b[:1])[1].reshape(-1)]
        + [piece.reshape(-1) for piece in L.tensor_split(a, 3, dim=1) + L.tensor_split(b, [1, 5], dim=1)
           + L.hsplit(b, 2) + L.vsplit(a, [1]) + L.dsplit(L.atleast_3d(a), 1)]), [(3, 4), (3, 4)]),
    # (non-negative exponents: PyTorch 2.13's ldexp gives a zero gradient for negative ones)
    "copysign, ldexp": (lambda L, a, b: L.copysign(a, b) + L.ldexp(a, index(L, [1, 0, 3], a)), [(2, 3), (2, 3)]),
    "frexp": (lambda L, x: x.frexp()[0] + L.frexp(x * 100).mantissa * 2, [(3, 4)]),
    "nextafter": (lambda L, a, b: L.nextafter(a, b) * 3 + a.nextafter(b[0]), [(2, 3), (2, 3)]),
    "index_put": (lambda L, x, v: x.index_put((index(L, [0, 2, -1], x), index(L, [1, 0, 2], x)), v[0])
                  + L.index_put(x, (index(L, [1, 1, 0], x),), v, accumulate=True), [(4, 3), (3, 3)]),
    "lgamma, digamma, polygamma": (lambda L, x: L.lgamma(x * 3) + x.digamma() + L.polygamma(1, x) + x.polygamma(2)
                                   + L.mvlgamma(x.abs() + 2, 3) + L.special.gammaln(x.abs() * 40), [(3, 4)]),
    "special": (lambda L, x: L.special.ndtr(x * 4) + L.special.ndtri(x.sigmoid()) + L.special.log_ndtr(x * 10)
                + L.special.erfcx(x * 3) + L.special.entr(x.abs()) + L.special.xlog1py(x, x.abs())
                + L.special.exp2(x) + L.special.expit(x), [(3, 4)]),
    "asinh, acosh, atanh": (lambda L, x: x.asinh() + L.arccosh(x.abs() + 1.5) + (x.tanh() * 0.9).atanh()
                            + L.arcsinh(x * 20), [(3, 4)]),
    "exp2, fmax, fmin": (lambda L, a, b: L.exp2(a) + L.fmax(a, b) * 2 + b.fmin(a) * 3, [(3, 4), (3, 4)]),
    "inner, vdot, dist": (lambda L, a, b: L.inner(a, b) + L.vdot(a[0], b[1]) + a.dist(b) + L.dist(a, b, 1)
                          + a.dist(b[0], float("inf")), [(3, 4), (3, 4)]),
    "cross": (lambda L, a, b: L.cross(a, b) + a.cross(b, dim=1), [(4, 3), (4, 3)]),
    "fliplr, flipud, msort": (lambda L, x: x.fliplr() + L.flipud(x) + x.msort(), [(3, 4)]),
    "nanmedian": (lambda L, x: x.nanmedian(1).values + L.nanmedian(x) + x.nanmedian(0, keepdim=True)[0][:, :3].T,
                  [(3, 4)]),
    "scatters": (lambda L, x, y: L.slice_scatter(x, y[:, 1:3], 1, 1, 3) + L.select_scatter(x, y[:, 0], 1, 2)
                 + L.diagonal_scatter(x, y[0, :3]) + x.diagonal_scatter(y[1, :3], 1) * 2, [(3, 4), (3, 4)]),
    "put": (lambda L, x, y: x.put(index(L, [0, 5, -1], x), y[0, :3]) + x.put(index(L, [1, 1, 7], x), y[1, :3],
                                                                             accumulate=True), [(3, 4), (3, 4)]),
    "more in-place forms": (lambda L, x, y: (x * 1).cumsum_(1) + (x * 1).tril_(1)
                            + (x * 1).arctan2_(y.exp()) + (x * 1).transpose_(0, 1).t() + (x * 1).fill_diagonal_(2.0)
                            + (x * 1).divide_(y.abs() + 1) + (x * 1).exp2_(), [(3, 4), (3, 4)]),
    "fill_diagonal_ wrapping": (lambda L, x: (x * 1).fill_diagonal_(-1.0, wrap=True), [(7, 3)]),
    "matrix methods": (lambda L, a: a.inverse() + a.det() + a.matrix_exp() + a.matrix_power(3) + a.pinverse()
                       + (a @ a.mT + L.eye(4, dtype=a.dtype, device=a.device)).logdet() + a.slogdet()[1] + a.qr()[0] + a.qr()[1]
                       + (a @ a.mT + L.eye(4, dtype=a.dtype, device=a.device)).cholesky() + L.bmm(a[None], a[None])[0]
                       + a.adjoint(), [(4, 4)]),
    "svd": (lambda L, a: a.svd().S.sum() + (lambda usv: usv.U @ L.diag_embed(usv.S) @ usv.V.mT)(a.svd()), [(4, 3)]),
}


# PyTorch 2.13 cannot differentiate these (vander's backward reports an in-place change; scatter_reduce's
# refuses the names "max" and "min" its forward takes); their values are compared, their gradients checked
# against finite differences
TORCH_BACKWARD_FAILS = {"vander", "scatter_reduce max and min"}


def draws(name, rng):
    return [rng.standard_normal(shape) for shape in CASES[name][1]]


@pytest.mark.parametrize("name", list(CASES))
@pytest.mark.filterwarnings("ignore:.*(deprecated|without specifying the dim).*:UserWarning")  # torch.qr and kin,
def test_matches_torch(name, torch, rng, device):                                         # mirrored on purpose
    function, values = CASES[name][0], draws(name, rng)
    ours = [tinynn.tensor(v, device=device, requires_grad=True) for v in values]
    theirs = [torch.tensor(v, requires_grad=True) for v in values]
    out, t_out = function(tinynn, *ours), function(torch, *theirs)
    assert_close(out, t_out.detach(), rtol=1e-9, atol=1e-10, what=name)
    if name in TORCH_BACKWARD_FAILS:
        return
    weights = rng.standard_normal(out.shape)
    (out * tinynn.tensor(weights, device=device)).sum().backward()
    (t_out * torch.tensor(weights)).sum().backward()
    for position, (a, ta) in enumerate(zip(ours, theirs)):
        expected = ta.grad if ta.grad is not None else torch.zeros_like(ta)
        assert_close(a.grad if a.grad is not None else np.zeros(a.shape), expected, rtol=1e-8, atol=1e-9,
                     what=f"{name} gradient of input {position}")


@pytest.mark.parametrize("name", list(CASES))
def test_gradients_and_second_derivatives_match_finite_differences(name, rng):
    function, values = CASES[name][0], draws(name, rng)
    assert gradcheck(lambda *xs: function(tinynn, *xs), [tinynn.tensor(v, requires_grad=True) for v in values])
    assert gradgradcheck(lambda *xs: function(tinynn, *xs), [tinynn.tensor(v, requires_grad=True) for v in values],
                         fast_mode=True)


@pytest.mark.parametrize("function", ["copysign", "nextafter"])
def test_a_second_argument_that_requires_grad_gets_torch_s_zero_gradient(torch, function, device):
    """(Only the second argument requires grad: its backward used to find nothing to differentiate.)"""
    signs = tinynn.tensor([-1.0, 0.0, 2.0], device=device, requires_grad=True)
    t_signs = torch.tensor([-1.0, 0.0, 2.0], requires_grad=True)
    out = getattr(tinynn, function)(tinynn.tensor([1.5, -2.0, 3.0], device=device), signs)
    t_out = getattr(torch, function)(torch.tensor([1.5, -2.0, 3.0]), t_signs)
    assert out.requires_grad
    out.sum().backward()
    t_out.sum().backward()
    assert out.tolist() == t_out.tolist() and signs.grad.tolist() == t_signs.grad.tolist() == [0.0, 0.0, 0.0]


def test_frexp_of_integers_is_refused_as_in_torch():
    with pytest.raises(TypeError, match="frexp: expected a floating-point tensor, got dtype int64"):
        tinynn.frexp(tinynn.tensor([1, 2]))


def test_float32_stays_float32(device, rng):
    x = tinynn.tensor(rng.standard_normal((3, 4)).astype(np.float32), device=device, requires_grad=True)
    outputs = [x.cumprod(1), x.logcumsumexp(0), x.cummax(1).values, (x.tanh() * 0.5).erfinv(),
               x.erfc(), x.quantile(0.3, dim=1), x.logaddexp(x), tinynn.special.log_ndtr(x), x.kron(x)]
    assert {t.dtype for t in outputs} == {np.dtype(np.float32)}


def test_index_and_counting_functions_match_torch(torch, rng, device):
    boundaries = np.sort(rng.standard_normal(6))
    rows = np.sort(rng.standard_normal((3, 5)), axis=1)
    values, queries = rng.standard_normal((4, 3)), rng.standard_normal((3, 4))
    queries[0, 0] = rows[0, 2]  # a tie, where left and right differ
    ours = lambda a: tinynn.tensor(a, device=device)  # noqa: E731
    for right in (False, True):
        assert tinynn.bucketize(ours(values), ours(boundaries), right=right).numpy().tolist() == \
            torch.bucketize(torch.tensor(values), torch.tensor(boundaries), right=right).tolist()
        assert tinynn.searchsorted(ours(rows), ours(queries), right=right).numpy().tolist() == \
            torch.searchsorted(torch.tensor(rows), torch.tensor(queries), right=right).tolist()
    shuffled = rng.permutation(6)
    assert tinynn.searchsorted(ours(boundaries[shuffled]), ours(values), sorter=ours(np.argsort(shuffled)),
                               out_int32=True).numpy().tolist() == \
        torch.searchsorted(torch.tensor(boundaries[shuffled]), torch.tensor(values),
                           sorter=torch.tensor(np.argsort(shuffled))).tolist()
    assert_close(tinynn.histc(ours(values), bins=5), torch.histc(torch.tensor(values), bins=5), what="histc")
    assert_close(tinynn.histc(ours(values), bins=4, min=-1, max=1), torch.histc(torch.tensor(values), 4, -1, 1),
                 what="histc with a range")
    hist, edges = tinynn.histogram(ours(values), 4, range=(-2.0, 2.0), weight=ours(np.abs(values)), density=True)
    t_hist, t_edges = torch.histogram(torch.tensor(values), 4, range=(-2.0, 2.0), weight=torch.tensor(np.abs(values)),
                                      density=True)
    assert_close(hist, t_hist, what="histogram") and assert_close(edges, t_edges, what="bin edges")
    for offset in (-1, 0, 2):
        assert tinynn.triu_indices(4, 5, offset).numpy().tolist() == torch.triu_indices(4, 5, offset).tolist()
        assert tinynn.tril_indices(4, 5, offset).numpy().tolist() == torch.tril_indices(4, 5, offset).tolist()
    ties = np.array([[1.0, 3.0, 3.0, 2.0, 3.0]])
    for function in ("cummax", "cummin"):
        assert getattr(tinynn, function)(ours(ties), 1).indices.numpy().tolist() == \
            getattr(torch, function)(torch.tensor(ties), 1).indices.tolist()
    assert tinynn.kthvalue(ours(ties), 2).indices.numpy().tolist() == torch.kthvalue(torch.tensor(ties), 2).indices.tolist()


def test_constant_functions_match_torch(torch, rng, device):
    values = rng.standard_normal((3, 4)).round(1)
    values[0, 0], values[1, 1], values[2, 2] = -0.0, float("inf"), float("-inf")
    ints = rng.integers(-20, 20, (3, 4))
    ours, theirs = tinynn.tensor(values, device=device), torch.tensor(values)
    mine, other = tinynn.tensor(ints, device=device), torch.tensor(ints)
    pairs = [(ours.nonzero(), theirs.nonzero()), (tinynn.argwhere(ours > 0), torch.argwhere(theirs > 0)),
             (tinynn.where(ours > 0)[1], torch.where(theirs > 0)[1]), (ours.nonzero(as_tuple=True)[0],
                                                                         theirs.nonzero(as_tuple=True)[0]),
             (ours.signbit(), theirs.signbit()), (ours.isneginf(), theirs.isneginf()), (ours.isposinf(), theirs.isposinf()),
             (tinynn.isin(mine, tinynn.tensor([3, -4, 7], device=device)), torch.isin(other, torch.tensor([3, -4, 7]))),
             (tinynn.isin(mine, tinynn.tensor([3], device=device), invert=True), torch.isin(other, torch.tensor([3]),
                                                                                            invert=True)),
             ((ours > 0).logical_and(ours < 1), (theirs > 0).logical_and(theirs < 1)),
             (tinynn.logical_xor(ours > 0, ours < 1), torch.logical_xor(theirs > 0, theirs < 1)),
             ((ours > 0).logical_not(), (theirs > 0).logical_not()),
             (mine.bitwise_and(tinynn.tensor(6, device=device)), other.bitwise_and(torch.tensor(6))),
             (mine.bitwise_xor(mine.abs()), other.bitwise_xor(other.abs())), (mine.bitwise_not(), other.bitwise_not()),
             (tinynn.gcd(mine, tinynn.tensor(12, device=device)), torch.gcd(other, torch.tensor(12))),
             (tinynn.lcm(mine, tinynn.tensor(6, device=device)), torch.lcm(other, torch.tensor(6))),
             (ours.frexp()[0], theirs.frexp()[0]), (ours.frexp()[1], theirs.frexp()[1]),
             (tinynn.nextafter(ours, tinynn.tensor(10.0, device=device, dtype=ours.dtype)),
              torch.nextafter(theirs, torch.tensor(10.0, dtype=theirs.dtype))),
             (ours.sgn(), theirs.sgn()), (ours.positive(), theirs.positive())]
    for position, (a, b) in enumerate(pairs):
        assert a.numpy().tolist() == b.numpy().tolist(), position
    assert tinynn.broadcast_shapes((2, 1), (1, 3), 3) == tuple(torch.broadcast_shapes((2, 1), (1, 3), 3))
    assert tinynn.ldexp(tinynn.tensor([3.0]), tinynn.tensor([-2])).item() == 0.75
    # (a 0-d float64 x times the float32 powers of a dimensioned integer exponent was computed in float32)
    assert tinynn.ldexp(tinynn.tensor(0.1, dtype=tinynn.float64), tinynn.tensor([0, 5])).tolist() == [0.1, 3.2]
    assert ours.stride() == theirs.stride() and ours.t().stride() == theirs.t().stride()
    assert ours.is_contiguous() and not ours.t().is_contiguous()


def test_in_place_forms_equal_the_out_of_place_ones(torch, rng, device):
    values, others = rng.random((3, 4)) + 0.5, rng.standard_normal((3, 4))
    for name, args in (("exp_", ()), ("sqrt_", ()), ("clamp_min_", (0.9,)), ("lerp_", ("other", 0.25)),
                       ("copysign_", ("other",)), ("index_fill_", (1, "index", -1.0)), ("addcmul_", ("other", "other")),
                       ("scatter_", (1, "index2d", "other")), ("index_put_", (("index",), "row"))):
        def resolve(library, arg):
            if arg == "other":
                return (tinynn.tensor(others, device=device) if library is tinynn else torch.tensor(others))
            if arg == "index":
                return (tinynn.tensor([0, 2], device=device) if library is tinynn else torch.tensor([0, 2]))
            if arg == "index2d":
                return (tinynn.tensor([[0, 1], [2, 3], [1, 0]], device=device) if library is tinynn
                        else torch.tensor([[0, 1], [2, 3], [1, 0]]))
            if arg == "row":
                return tinynn.tensor(others[0], device=device) if library is tinynn else torch.tensor(others[0])
            if isinstance(arg, tuple):
                return tuple(resolve(library, a) for a in arg)
            return arg
        ours, theirs = tinynn.tensor(values, device=device), torch.tensor(values)
        returned = getattr(ours, name)(*(resolve(tinynn, a) for a in args))
        getattr(theirs, name)(*(resolve(torch, a) for a in args))
        assert returned is ours
        assert_close(ours, theirs, rtol=1e-12, atol=1e-12, what=name)
    shaped = tinynn.zeros(3, 1)
    shaped.squeeze_()
    shaped.unsqueeze_(0)
    assert shaped.shape == (1, 3) and shaped.t_().shape == (3, 1)
    with pytest.raises(RuntimeError, match="exp_: a leaf tensor that requires grad"):
        tinynn.ones(2, requires_grad=True).exp_()
    with pytest.raises(RuntimeError, match="the result has shape \\(3,\\), which cannot be written into a tensor of "
                                           "shape \\(1,\\)"):
        tinynn.ones(1).addcmul_(tinynn.ones(3), tinynn.ones(3))


def test_comparisons_queries_and_runs_match_torch(torch, device):
    values = np.array([[1.0, float("nan"), 2.0], [2.0, 2.0, float("nan")]])
    ours, theirs = tinynn.tensor(values, device=device), torch.tensor(values)
    other, t_other = tinynn.tensor([[1.0, 3.0, 2.0]], device=device), torch.tensor([[1.0, 3.0, 2.0]])
    for name in ("eq", "ne", "lt", "le", "gt", "ge", "greater", "greater_equal", "less", "less_equal", "not_equal",
                 "fmax", "fmin"):
        assert_close(getattr(ours, name)(other), getattr(theirs, name)(t_other), what=name)
        assert_close(getattr(tinynn, name)(ours, other), getattr(torch, name)(theirs, t_other), what=name)
        written, t_written = ours * 1, theirs * 1
        if hasattr(t_written, name + "_"):
            getattr(written, name + "_")(other), getattr(t_written, name + "_")(t_other)
            assert_close(written, t_written, what=f"{name}_")
    assert_close(ours.nanmedian(1).values, theirs.nanmedian(1).values)
    assert ours.nanmedian(1).indices.tolist() == theirs.nanmedian(1).indices.tolist()
    assert_close(tinynn.tensor([float("nan")] * 3).nanmedian(), torch.tensor([float("nan")] * 3).nanmedian())
    runs = [3, 3, 1, 1, 1, 3, 2, 2]
    for kwargs in ({}, {"return_inverse": True}, {"return_counts": True}, {"return_inverse": True, "return_counts": True}):
        ours_runs = tinynn.unique_consecutive(tinynn.tensor(runs, device=device), **kwargs)
        theirs_runs = torch.unique_consecutive(torch.tensor(runs), **kwargs)
        for a, b in zip(ours_runs if isinstance(ours_runs, tuple) else [ours_runs],
                        theirs_runs if isinstance(theirs_runs, tuple) else [theirs_runs]):
            assert a.tolist() == b.tolist(), kwargs
    rows = np.array([[1, 2], [1, 2], [0, 5], [1, 2]])
    for a, b in zip(tinynn.unique_consecutive(tinynn.tensor(rows, device=device), return_counts=True, dim=0),
                    torch.unique_consecutive(torch.tensor(rows), return_counts=True, dim=0)):
        assert a.tolist() == b.tolist()
    assert [p.shape for p in ours.split_with_sizes([1, 2], 1)] == [tuple(p.shape) for p in theirs.split_with_sizes([1, 2], 1)]
    assert ours.is_same_size(ours * 2) and not ours.is_same_size(other) and ours.is_signed()
    assert not tinynn.tensor([1], dtype=np.uint8).is_signed() and not ours.is_complex()
    assert tinynn.tensor([0.5]).is_nonzero() and not tinynn.tensor(0.0).is_nonzero()
    assert ours.is_cpu == (device == "cpu") and ours.get_device() == (-1 if device == "cpu" else 0)
    base = tinynn.zeros(5, 6, device=device)
    assert base.storage_offset() == 0 and base[1:, 2:].storage_offset() == torch.zeros(5, 6)[1:, 2:].storage_offset()
    narrowed = base.narrow_copy(1, 2, 3)
    assert narrowed.shape == (5, 3) and narrowed.storage_offset() == 0
    matrix = tinynn.tensor(np.arange(6.0).reshape(2, 3), device=device)
    usv = matrix.svd(compute_uv=False)
    assert usv.U.shape == (2, 2) and usv.V.shape == (3, 3) and float(usv.U.abs().sum()) == 0
    assert_close(usv.S, torch.tensor(np.arange(6.0).reshape(2, 3)).svd(compute_uv=False).S)
    with pytest.raises(RuntimeError, match="is_nonzero: a tensor of 2 elements is ambiguous"):
        tinynn.tensor([1.0, 2.0]).is_nonzero()
    with pytest.raises(ValueError, match=r"fill_diagonal_: expected a matrix, or all dimensions of one length, got "
                                         r"shape \(2, 3, 4\)"):
        tinynn.zeros(2, 3, 4).fill_diagonal_(1.0)
    with pytest.raises(ValueError, match=r"split_with_sizes: sizes \[1, 1\] add up to 2, but dim 1 has length 3"):
        ours.split_with_sizes([1, 1], 1)
    with pytest.raises(ValueError, match="cross: no axis of size 3"):
        tinynn.cross(tinynn.zeros(2, 4), tinynn.zeros(2, 4))


def test_random_fills_draw_what_they_say_reproducibly(device):
    draws = {}
    for seed in (1, 1):
        tinynn.manual_seed(seed)
        x = tinynn.zeros(20000, device=device)
        draws.setdefault("bernoulli", []).append(x.clone().bernoulli_(0.3).numpy())
        draws.setdefault("exponential", []).append(x.clone().exponential_(2.0).numpy())
        draws.setdefault("geometric", []).append(x.clone().geometric_(0.25).numpy())
        draws.setdefault("log_normal", []).append(x.clone().log_normal_(0.0, 0.5).numpy())
        draws.setdefault("cauchy", []).append(x.clone().cauchy_(1.0, 2.0).numpy())
        draws.setdefault("random", []).append(x.clone().random_(3, 9).numpy())
    for name, (first, second) in draws.items():
        np.testing.assert_array_equal(first, second, err_msg=name)
    sample = {name: values[0] for name, values in draws.items()}
    standard_error = 4 / np.sqrt(20000)
    assert abs(sample["bernoulli"].mean() - 0.3) < standard_error and set(np.unique(sample["bernoulli"])) == {0, 1}
    assert abs(sample["exponential"].mean() - 0.5) < standard_error
    assert abs(sample["geometric"].mean() - 4.0) < 20 * standard_error and sample["geometric"].min() == 1
    assert abs(np.log(sample["log_normal"]).std() - 0.5) < standard_error
    assert abs(np.median(sample["cauchy"]) - 1.0) < 0.1
    assert set(np.unique(sample["random"])) == set(range(3, 9))
    assert set(np.unique(tinynn.zeros(1000).random_(4).numpy())) == set(range(4))
    coin = tinynn.zeros(1000, dtype=tinynn.bool, device=device).random_().numpy()  # (it refused bool)
    assert abs(coin.mean() - 0.5) < 4 * 0.5 / np.sqrt(1000)
    assert set(np.unique(tinynn.zeros(1000, dtype=tinynn.bool).random_(2).numpy())) == {False, True}


def test_poisson_draws_take_a_0d_rate_as_pytorchs(torch):
    """(A 0-d rate drew a Python int, which has no astype.)"""
    draws = [tinynn.poisson(tinynn.tensor(3.0)) for _ in range(2000)]
    assert draws[0].shape == torch.poisson(torch.tensor(3.0)).shape == () and draws[0].dtype == np.float32
    assert abs(np.mean([d.item() for d in draws]) - 3.0) < 4 * np.sqrt(3.0 / 2000)


@pytest.mark.parametrize("repeats, dim", [(2, None), (2, 1), ([1, 2, 0], 1), ([3], 1), ([0, 2], 0), ([], "empty")])
def test_repeat_interleave_equals_torchs(torch, repeats, dim):
    values = np.arange(6.0).reshape(2, 3)
    if dim == "empty":  # no repeats for a dim of no elements
        values, dim = np.zeros((2, 0)), 1
    ours = tinynn.tensor(values).repeat_interleave(repeats if isinstance(repeats, int)
                                                  else tinynn.tensor(repeats, dtype=tinynn.int64), dim)
    theirs = torch.tensor(values).repeat_interleave(repeats if isinstance(repeats, int)
                                                    else torch.tensor(repeats, dtype=torch.int64), dim)
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_erfc_and_erfinv_are_accurate_in_the_tails(torch):
    """erfc far out, where 1 - erf(x) would be 0, and erfinv of numbers next to +-1."""
    x = np.linspace(-6, 26, 3201)
    assert_close(tinynn.erfc(tinynn.tensor(x)), torch.erfc(torch.tensor(x)), rtol=1e-12, atol=0, what="erfc")
    p = np.concatenate([np.linspace(-1, 1, 4001), 1 - np.logspace(-16, -1, 60), -1 + np.logspace(-16, -1, 60)])
    assert_close(tinynn.erfinv(tinynn.tensor(p)), torch.erfinv(torch.tensor(p)), rtol=1e-9, atol=1e-14, what="erfinv")
    assert np.isnan(tinynn.erfinv(tinynn.tensor([1.5])).item())


def test_the_gamma_family_is_accurate_and_has_torchs_poles(torch):
    x = np.linspace(-20.25, 60, 3211)
    x = x[np.abs(x - np.round(x)) > 1e-6]
    assert_close(tinynn.lgamma(tinynn.tensor(x)), torch.lgamma(torch.tensor(x)), rtol=1e-12, atol=1e-12, what="lgamma")
    for n, rtol in ((0, 1e-11), (1, 1e-8), (2, 1e-11), (3, 1e-11)):  # PyTorch's own trigamma is within ~5e-10
        assert_close(tinynn.polygamma(n, tinynn.tensor(x)), torch.polygamma(n, torch.tensor(x)), rtol=rtol, atol=1e-12,
                     what=f"polygamma {n}")
    poles = np.array([0.0, -1.0, -4.0])
    assert np.isinf(tinynn.lgamma(tinynn.tensor(poles)).numpy()).all()
    for n in (0, 2, 3):
        assert_close(tinynn.polygamma(n, tinynn.tensor(poles)), torch.polygamma(n, torch.tensor(poles)), what=f"poles {n}")


def test_scatters_take_a_src_larger_than_the_index_and_refuse_an_index_larger_than_the_tensor(torch):
    """scatter_add uses src's leading block of the index's shape, as scatter and scatter_reduce did and
    PyTorch's do (it required the two shapes equal); its gradient there is the output's, 0 for the rest of
    src (PyTorch's backward fails on it). An index larger than the tensor but along dim is PyTorch's
    error (it was NumPy's IndexError)."""
    source, positions = np.arange(20.0, dtype=np.float32).reshape(4, 5), [[0, 2], [1, 1]]
    results = [library.zeros(3, 4).scatter_add(1, library.tensor(positions), library.tensor(source)).tolist()
               for library in (tinynn, torch)]
    assert results[0] == results[1]
    src = tinynn.tensor(source, requires_grad=True)
    tinynn.zeros(3, 4).scatter_add(1, tinynn.tensor(positions), src).sum().backward()
    expected = np.zeros((4, 5))
    expected[:2, :2] = 1.0
    np.testing.assert_array_equal(src.grad.numpy(), expected)
    too_long = tinynn.tensor([[0], [1], [2], [0]])
    for name in ("scatter_add", "scatter", "scatter_reduce"):
        arguments = (1, too_long, tinynn.ones(4, 1)) + (("sum",) if name == "scatter_reduce" else ())
        with pytest.raises(ValueError, match=rf"{name}: index of shape \(4, 1\) must be no larger than the tensor of "
                                             r"shape \(3, 4\) in every dimension but dim 1"):
            getattr(tinynn.zeros(3, 4), name)(*arguments)


def test_bad_input_is_a_clear_error():
    x = tinynn.ones(3, 4)
    with pytest.raises(TypeError, match="scatter: expected a tensor of integer indices"):
        x.scatter(1, tinynn.tensor([[0.0]]), tinynn.ones(1, 1))
    with pytest.raises(ValueError, match=r"scatter_reduce: index of shape \(1, 4\) must be no larger than src of shape "
                                         r"\(1, 3\)"):
        x.scatter_reduce(1, tinynn.tensor([[0, 1, 2, 3]]), tinynn.ones(1, 3), "sum")
    with pytest.raises(ValueError, match="scatter_reduce: reduce must be 'sum', 'prod', 'mean', 'amax' or 'amin'"):
        x.scatter_reduce(1, tinynn.tensor([[0]]), tinynn.ones(1, 1), "add")  # ("max" is amax, as in PyTorch)
    with pytest.raises(ValueError, match=r"kthvalue: k must be an int in \[1, 4\]"):
        x.kthvalue(5)
    with pytest.raises(ValueError, match=r"quantile: q must lie in \[0, 1\]"):
        x.quantile(1.5)
    with pytest.raises(ValueError, match="quantile: interpolation must be"):
        x.quantile(0.5, interpolation="cubic")
    with pytest.raises(ValueError, match="masked_scatter: the mask selects 12 positions, but source has only 3"):
        x.masked_scatter(x > 0, tinynn.ones(3))
    with pytest.raises(ValueError, match="rot90: dims must be two different axes"):
        x.rot90(1, (0, 0))
    with pytest.raises(ValueError, match=r"tensordot: the contracted axes differ in size: \(3,\) of a and \(2,\) of b"):
        tinynn.tensordot(tinynn.ones(2, 3), tinynn.ones(2, 3), dims=1)
    with pytest.raises(ValueError, match="polygamma: n must be a non-negative int, got -1"):
        tinynn.polygamma(-1, x)
    with pytest.raises(ValueError, match="cov: expected a 1-D or 2-D tensor"):
        tinynn.ones(2, 2, 2).cov()


@given(shape=st.lists(st.integers(1, 9), min_size=1, max_size=3), data=st.data())
def test_scans_and_quantiles_equal_numpys_for_any_shape_and_axis(shape, data):
    """Every length (powers of two and not: the scan's rounds), every axis, ties and zeros included."""
    rng = np.random.default_rng(data.draw(st.integers(0, 2 ** 16)))
    values = rng.integers(-3, 4, size=shape).astype(np.float64) * 0.5  # many ties and zeros
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    x = tinynn.tensor(values)
    np.testing.assert_allclose(x.cumprod(dim).numpy(), np.cumprod(values, axis=dim), rtol=1e-12)
    np.testing.assert_allclose(x.logcumsumexp(dim).numpy(), np.logaddexp.accumulate(values, axis=dim), rtol=1e-12)
    np.testing.assert_array_equal(x.cummax(dim).values.numpy(), np.maximum.accumulate(values, axis=dim))
    np.testing.assert_array_equal(x.cummin(dim).values.numpy(), np.minimum.accumulate(values, axis=dim))
    q = data.draw(st.floats(0, 1))
    for method in ("linear", "lower", "higher", "nearest", "midpoint"):
        np.testing.assert_allclose(x.quantile(q, dim, interpolation=method).numpy(),
                                   np.quantile(values, q, axis=dim, method=method), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("reduce", ["prod", "mean", "amax", "amin"])
@pytest.mark.parametrize("include_self", [True, False])
def test_index_reduce_matches_torch(torch, rng, device, reduce, include_self):
    x, source = rng.standard_normal((2, 5, 3)), rng.standard_normal((2, 4, 3))
    index = np.array([0, 4, 0, 2])
    ours = [tinynn.tensor(v, device=device, requires_grad=True) for v in (x, source)]
    theirs = [torch.tensor(v, requires_grad=True) for v in (x, source)]
    out = ours[0].index_reduce(1, tinynn.tensor(index, device=device), ours[1], reduce, include_self=include_self)
    t_out = theirs[0].index_reduce(1, torch.tensor(index), theirs[1], reduce, include_self=include_self)
    assert_close(out, t_out.detach(), rtol=1e-12, atol=1e-12)
    weights = rng.standard_normal(out.shape)
    (out * tinynn.tensor(weights, device=device)).sum().backward()
    (t_out * torch.tensor(weights)).sum().backward()
    for mine, its in zip(ours, theirs):
        assert_close(mine.grad, its.grad, rtol=1e-12, atol=1e-12)
    in_place = tinynn.tensor(x, device=device)
    in_place.index_reduce_(1, tinynn.tensor(index, device=device), tinynn.tensor(source, device=device), reduce,
                           include_self=include_self)
    assert_close(in_place, t_out.detach(), rtol=1e-12, atol=1e-12)
    with pytest.raises(ValueError, match="index_reduce: reduce must be 'prod', 'mean', 'amax' or 'amin', got 'sum'"):
        tinynn.index_reduce(ours[0], 1, tinynn.tensor(index, device=device), ours[1], "sum")
    with pytest.raises(ValueError, match="index_reduce: expected a 1-D index of source.shape\\[1\\] entries"):
        tinynn.index_reduce(ours[0], 1, tinynn.tensor(index[:3], device=device), ours[1], reduce)


def test_nonzero_static_and_the_real_tensor_identities(torch):
    values = [[0, 1], [2, 0]]
    for size in (1, 2, 4):
        np.testing.assert_array_equal(tinynn.nonzero_static(tinynn.tensor(values), size=size, fill_value=-7).numpy(),
                                      torch.nonzero_static(torch.tensor(values), size=size, fill_value=-7).numpy())
    x = tinynn.tensor([1.0, -2.0])
    assert x.conj() is x and x.resolve_conj() is x and x.real is x and tinynn.real(x) is x
    assert not x.is_conj() and not tinynn.is_neg(x)
    with pytest.raises(TypeError, match="imag: only complex tensors have an imaginary part, this one is float32"):
        tinynn.imag(x)
    assert [t.tolist() for t in tinynn.unsafe_split(tinynn.arange(5), 2)] == [[0, 1], [2, 3], [4]]


@pytest.mark.parametrize("shape, dim", [((1,), None), ((1,), 0), ((1, 4), 0), ((3, 1), 1), ((2, 1, 3), 1)])
def test_unique_consecutive_along_a_dimension_of_length_one(torch, shape, dim):
    """One slice is one run (the comparison of neighbours has no rows: found by a sweep)."""
    values = np.arange(np.prod(shape)).reshape(shape) % 2
    ours = tinynn.unique_consecutive(tinynn.tensor(values), return_inverse=True, return_counts=True, dim=dim)
    theirs = torch.unique_consecutive(torch.tensor(values), return_inverse=True, return_counts=True, dim=dim)
    for mine, its in zip(ours, theirs):
        np.testing.assert_array_equal(mine.numpy(), its.numpy())


ZERO_D_INDEX_CASES = [
    ("the tutorials' one-hot", lambda L: L.zeros(10).scatter_(0, L.tensor(3), value=1)),
    ("scatter of a 0-d src", lambda L: L.zeros(5).scatter(0, L.tensor(2), L.tensor(7.0))),
    ("scatter_add", lambda L: L.zeros(5).scatter_add(0, L.tensor(2), L.tensor(7.0))),
    ("scatter_reduce", lambda L: L.ones(5).scatter_reduce(0, L.tensor(2), L.tensor(3.0), "prod")),
    ("gather gives 0-d", lambda L: L.arange(5.0).gather(0, L.tensor(2))),
    ("a 0-d input", lambda L: L.tensor(5.0).scatter(0, L.tensor(0), 2.0)),
    ("a 0-d input's gather", lambda L: L.tensor(5.0).gather(0, L.tensor(0))),
    ("index_select", lambda L: L.arange(6.0).reshape(2, 3).index_select(1, L.tensor(2))),
    ("index_copy of a 0-d source", lambda L: L.zeros(4).index_copy(0, L.tensor(2), L.tensor(9.0))),
    ("index_copy of a row", lambda L: L.zeros(3, 2).index_copy(0, L.tensor(1), L.ones(1, 2))),
]


@pytest.mark.parametrize("name, make", ZERO_D_INDEX_CASES, ids=[case[0] for case in ZERO_D_INDEX_CASES])
def test_a_0d_index_beside_a_vector_is_one_element_as_pytorchs(torch, name, make):
    """PyTorch reads a 0-d index (and src) beside an input of at most one dimension as one element; NumPy
    read the empty index as every position, so tinynn wrote all of them."""
    ours, theirs = make(tinynn), make(torch)
    assert tuple(ours.shape) == tuple(theirs.shape) and ours.tolist() == theirs.tolist()


@pytest.mark.parametrize("call, error, message", [
    (lambda L, x: x.clone().put_(L.tensor([12]), L.tensor([1.0])), IndexError,
     r"put: index 12 is out of range for a tensor of 12 elements \(expected -12 <= index < 12\)"),
    (lambda L, x: L.put(x, L.tensor([0, -13]), L.tensor([1.0, 2.0])), IndexError, "put: index -13 is out of range"),
    (lambda L, x: x.mean(dtype=L.int64), TypeError, "mean: dtype must be a floating-point or complex dtype, got int64"),
    (lambda L, x: L.nanmean(x, dtype=L.int32), TypeError, "nanmean: dtype must be a floating-point or complex dtype"),
    (lambda L, x: L.meshgrid(x, indexing="ij"), ValueError, r"meshgrid: expected 0-D or 1-D tensors, got tensors\[0\] of "
                                                            r"shape \(3, 4\)"),
    (lambda L, x: L.linalg.norm(x, "fro", dim=0), ValueError, "linalg.norm: ord 'fro' is a matrix norm: it needs a 2-D"),
    (lambda L, x: x.clone().index_put_((L.tensor([3]),), L.tensor(1.0)), IndexError,
     "index_put: index 3 is out of bounds for dimension 0 with size 3"),
    (lambda L, x: x.index_put((L.tensor([0]), L.tensor([-5])), L.tensor(1.0)), IndexError,
     "index_put: index -5 is out of bounds for dimension 1 with size 4"),
    (lambda L, x: x.index_put((L.tensor([True, False]),), L.tensor(1.0)), IndexError,
     r"index_put: a mask of shape \(2,\) does not match the leading dimensions of the tensor of shape \(3, 4\)"),
    (lambda L, x: x.index_put((L.tensor([0.0]),), L.tensor(1.0)), TypeError,
     "index_put: indices must be integer tensors"),
    (lambda L, x: L.histc(x, bins=3, min=2, max=1), ValueError, r"histc: the range \[min, max\] must be finite with max >= min"),
    (lambda L, x: L.histc(x, bins=3, min=0, max=float("inf")), ValueError, "histc: the range"),
    (lambda L, x: L.diff(x, n=-1), ValueError, "diff: the order n must be an int >= 0, got -1"),
])
def test_what_pytorch_refuses_is_refused_not_answered(torch, call, error, message):
    """put_ and index_put_ wrote an index past the end into the other end (wrapped around); mean(dtype=int64)
    truncated the input and averaged; meshgrid flattened a matrix; linalg.norm took 'fro' over one dim as a vector
    norm; histc with max < min failed inside NumPy; diff with n < 0 gave the input back."""
    with pytest.raises(Exception):
        call(torch, torch.arange(12.0).reshape(3, 4))
    with pytest.raises(error, match=message):
        call(tinynn, tinynn.arange(12.0).reshape(3, 4))
    x = tinynn.arange(12.0).reshape(3, 4)
    x.put_(tinynn.tensor([-1, 0]), tinynn.tensor([100.0, 200.0]))  # (-12 <= index < 12 stay taken)
    assert x[2, 3].item() == 100.0 and x[0, 0].item() == 200.0


def test_take_along_dim_names_the_index_given_when_it_is_out_of_range():
    """(It named index -4 as -1, counted from the end first; PyTorch 2.13 reads row 5 % 3 for index 5, unchecked.)"""
    x = tinynn.arange(12.0).reshape(3, 4)
    for index in (-4, 3, 5):
        with pytest.raises(IndexError, match=f"take_along_dim: index {index} is out of bounds for dimension 0 with size 3"):
            x.take_along_dim(tinynn.tensor([[index]]), 0)
    assert x.take_along_dim(tinynn.tensor([[-3]]), 0).tolist() == [[0.0, 1.0, 2.0, 3.0]]


def test_an_index_of_another_rank_is_pytorchs_error(torch):
    for library in (tinynn, torch):
        for index in (library.tensor([1, 2]), library.tensor(2)):
            with pytest.raises(RuntimeError, match="Index tensor must have the same number of dimensions as self tensor"):
                library.zeros(3, 4).scatter(0, index, 1.0)
    x, src = tinynn.zeros(5, requires_grad=True), tinynn.tensor(7.0, requires_grad=True)
    (x.scatter_add(0, tinynn.tensor(2), src) * tinynn.arange(5.0)).sum().backward()
    assert src.grad.tolist() == 2.0 and x.grad.tolist() == [0.0, 1.0, 2.0, 3.0, 4.0]


def test_an_integer_division_by_zero_is_pytorchs_error_and_a_float_one_is_ieee(torch):
    """NumPy answers an integer floor division or remainder by zero with 0 (and a warning scripts do not see);
    PyTorch raises, and so does tinynn. Float division by zero stays inf and NaN."""
    for library in (tinynn, torch):
        a, zero = library.tensor([7, -3]), library.tensor([2, 0])
        for divide in (lambda: a // zero, lambda: a % zero, lambda: library.fmod(a, zero), lambda: a // 0,
                       lambda: library.remainder(a, 0), lambda: library.div(a, zero, rounding_mode="floor"),
                       lambda: library.div(a, zero, rounding_mode="trunc")):
            with pytest.raises(RuntimeError, match="ZeroDivisionError"):
                divide()
        assert (library.tensor([1.0, -1.0]) // library.tensor([0.0, 0.0])).tolist() == [float("inf"), float("-inf")]
        assert (a // library.tensor([2, 2])).tolist() == [3, -2]


def test_the_sign_of_nan_is_zero_as_pytorchs(torch):
    for library in (tinynn, torch):
        values = library.tensor([float("nan"), -2.0, 0.0, 3.0])
        assert values.sign().tolist() == library.sgn(values).tolist() == [0.0, -1.0, 0.0, 1.0]


def test_a_bool_in_dims_place_is_pytorchs_older_unbiased_argument(torch):
    """``x.var(False)``, ``x.std(True)``, ``torch.var_mean(x, True)``: PyTorch's older overloads, where a bool
    is ``unbiased``. Python's bool is an int, so tinynn read it as dim 0 or 1 (a per-column variance where
    the whole tensor's was asked); other reductions refuse a bool dim, as PyTorch's."""
    values = [[3.0, 1.0, 2.0], [1.0, 1.0, 0.0]]
    results = []
    for library in (tinynn, torch):
        x = library.tensor(values)
        calls = [x.var(False), x.std(True), library.var(x, False), library.std(x, 1, False), x.var(1, True, True),
                 *library.std_mean(x, 1, False), *library.var_mean(x, True), *library.std_mean(x, unbiased=False)]
        results.append([call.tolist() for call in calls])
        with pytest.raises(TypeError):
            x.sum(True)
    for ours, theirs in zip(*results):
        np.testing.assert_allclose(ours, theirs, rtol=1e-6)


def test_the_mean_of_nothing_is_nan_without_numpys_warnings(recwarn):
    assert np.isnan(tinynn.tensor([]).mean().item()) and np.isnan(tinynn.zeros(0, 3).mean(0).numpy()).all()
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]


def test_empty_tensors_split_and_count_as_pytorchs(torch):
    """An empty dim splits into one empty piece and an empty histogram counts zeros, as PyTorch's
    (the split gave no piece, histc failed taking the range of nothing)."""
    for library in (tinynn, torch):
        pieces = library.zeros(0, 3).split(1)
        assert [tuple(piece.shape) for piece in pieces] == [(0, 3)]
        assert library.histc(library.zeros(0), 3).tolist() == [0.0, 0.0, 0.0]


@pytest.mark.parametrize("kind", ["numpy", "tensor"])
def test_a_dim_may_be_a_numpy_int_or_a_0d_integer_tensor_as_in_pytorch(kind):
    """(np.int64 dims were refused by sum, std, flip, roll, movedim, squeeze, any ... -- what np.argmax or a loop
    over np.arange hands on -- and 0-d tensors by every op that checks its dim.)"""
    x = tinynn.tensor(np.arange(6.0).reshape(2, 3))
    one = np.int64(1) if kind == "numpy" else tinynn.tensor(1)
    assert x.sum(one).tolist() == [3.0, 12.0] and x.std(one).tolist() == [1.0, 1.0]
    assert x.flip(one).tolist() == [[2.0, 1.0, 0.0], [5.0, 4.0, 3.0]] and x.roll(1, one)[0].tolist() == [2.0, 0.0, 1.0]
    assert x.movedim(0, one).shape == (3, 2) and x.unsqueeze(one).shape == (2, 1, 3) and (x > 0).all(one).tolist() == [False, True]
    assert x.transpose(0, one).shape == (3, 2) and x.select(one, 0).tolist() == [0.0, 3.0] and x.cumsum(one)[0, 2].item() == 3.0
    assert tinynn.cat([x, x], one).shape == (2, 6) and x.logsumexp(one).shape == (2,) and x.kthvalue(1, one).values.tolist() == [0.0, 3.0]
    assert x.norm(None).item() == pytest.approx(float(np.sqrt(55.0)))  # (p None: the default norm, as PyTorch's)


@pytest.mark.parametrize("kind", ["numpy", "tensor"])
def test_counts_and_sizes_may_be_numpy_ints_or_0d_integer_tensors_as_in_pytorch(kind):
    """(chunk, split, histc, Conv2d, Embedding, Linear and BatchNorm refused np.int64; one_hot, topk, kthvalue,
    linspace, randperm, multinomial refused a 0-d tensor, as one_hot(y, y.max() + 1) gives.)"""
    def n(value):
        return np.int64(value) if kind == "numpy" else tinynn.tensor(value)
    x = tinynn.tensor(np.arange(12.0).reshape(3, 4))
    assert [p.shape for p in x.chunk(n(2))] == [(2, 4), (1, 4)] and [p.shape for p in x.split(n(2))] == [(2, 4), (1, 4)]
    assert x.topk(n(2)).values.shape == (3, 2) and x.kthvalue(n(2)).values.tolist() == [1.0, 5.0, 9.0]
    assert tinynn.linspace(0, 1, n(5)).shape == (5,) and tinynn.randperm(n(4)).shape == (4,)
    assert tinynn.multinomial(tinynn.tensor([0.5, 0.5]), n(2)).shape == (2,) and tinynn.histc(x, n(4)).shape == (4,)
    labels = tinynn.tensor([0, 2, 1])
    assert tinynn.nn.functional.one_hot(labels, labels.max() + 1 if kind == "tensor" else n(3)).shape == (3, 3)
    images = tinynn.ones(1, 1, 4, 4)
    assert tinynn.nn.functional.max_pool2d(images, n(2)).shape == (1, 1, 2, 2)
    assert [p.shape for p in x.tensor_split(n(2))] == [(2, 4), (1, 4)] and tinynn.nn.functional.pad(x, (n(1), 1)).shape == (3, 6)
    # (a tensor of one element with a dim stays a list of split points, as PyTorch reads it)
    assert [p.shape for p in x.tensor_split(tinynn.tensor([1]))] == [(1, 4), (2, 4)]
    assert tinynn.nn.functional.interpolate(images, size=(n(8), 6)).shape == (1, 1, 8, 6)
    if kind == "numpy":  # (PyTorch's layers take NumPy ints for their sizes; a tensor, no)
        assert tinynn.nn.Conv2d(n(1), n(2), 3)(tinynn.ones(1, 1, 5, 5)).shape == (1, 2, 3, 3)
        assert tinynn.nn.Embedding(n(5), n(2))(tinynn.tensor([1])).shape == (1, 2)
        assert tinynn.nn.Linear(n(4), n(2))(x).shape == (3, 2) and tinynn.nn.BatchNorm1d(n(4))(x).shape == (3, 4)


def test_numpy_scalars_make_the_dtype_of_their_kind(torch):
    """(full((2,), np.float32(1.5)) made int64 and filled 1, and where of NumPy float scalars truncated: only
    Python's float counted as a float.)"""
    assert tinynn.full((2,), np.float32(1.5)).tolist() == [1.5, 1.5]
    for value in (np.float32(1.5), np.float64(2.5), np.int32(3), 3, 2.5, True, 1j):
        assert str(tinynn.full((2,), value).dtype) == str(torch.full((2,), value).dtype).replace("torch.", ""), value
    condition = tinynn.tensor([True, False])
    assert tinynn.where(condition, np.float32(1.5), 0).tolist() == [1.5, 0.0]
    assert tinynn.where(condition, np.int64(3), 2).dtype == np.int64


def test_no_dims_reduce_every_dim_as_in_pytorch(torch):
    """dim=() or [] is every dim to PyTorch's sum, mean, amax, amin, nansum, nanmean, std, var, their
    _mean forms, norm and count_nonzero (NumPy's reading, none, gave the tensor back unreduced), and no
    dim to any and all; a dim named twice is PyTorch's error."""
    def reduced(library):
        x = library.tensor([[3.0, 1.0, float("nan")], [-1.0, 5.0, 0.0]])
        finite = library.nan_to_num(x)
        results = []
        for dims in ((), []):
            results += [getattr(library, name)(finite, dims) for name in ("sum", "mean", "amax", "amin", "std", "var",
                                                                          "count_nonzero")]
            results += [library.nansum(x, dims), library.nanmean(x, dims), library.norm(finite, dim=dims),
                         *library.var_mean(finite, dims), *library.std_mean(finite, dims), library.any(x, dims),
                         library.all(x, dims)]
        return [(tuple(result.shape), np.asarray(result.tolist(), dtype=np.float64)) for result in results]

    for (our_shape, ours), (their_shape, theirs) in zip(reduced(tinynn), reduced(torch), strict=True):
        assert our_shape == their_shape
        np.testing.assert_allclose(ours, theirs, rtol=1e-6)  # (float32 sums in another order)
    with pytest.raises(ValueError, match=r"sum: dim 0 appears multiple times in the list of dims \[0, -2\]"):
        tinynn.ones(2, 3).sum((0, -2))


def test_reductions_with_nothing_to_pick_are_pytorchs_errors():
    empty = tinynn.zeros(0, 3)
    with pytest.raises(IndexError, match=r"median\(\): Expected reduction dim 0 to have non-zero size"):
        empty.median(0)  # (it was a gather's error about index -1)
    for quantile in (tinynn.quantile, tinynn.nanquantile):
        with pytest.raises(ValueError, match=rf"{quantile.__name__}: the input tensor must be non-empty, got shape"):
            quantile(empty, 0.5, 1)
    assert tuple(empty.median(1).values.shape) == (0,)
