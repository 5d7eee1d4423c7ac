"""biject_to and transform_to: every registered constraint maps unconstrained values into itself,
the bijections invert, and values and log-determinants equal PyTorch's; bounds that are parameters
stay differentiable; the registries take new constraints and say clearly what they cannot map.
The constraints themselves keep their parameters, and parameter-dependent supports are placeholders
on the class, as PyTorch's."""
import numpy as np
import pytest

import tinynn
from tinynn import distributions as D
from tinynn.distributions import biject_to, constraints as C, transform_to
from tinynn.autograd import gradcheck
from helpers import assert_close

# (name, ours, PyTorch's, the unconstrained input's shape)
CONSTRAINTS = [
    ("real", lambda c: c.real, (4,)), ("real_vector", lambda c: c.real_vector, (2, 3)),
    ("positive", lambda c: c.positive, (4,)), ("nonnegative", lambda c: c.nonnegative, (4,)),
    ("greater_than", lambda c: c.greater_than(2.0), (4,)), ("greater_than_eq", lambda c: c.greater_than_eq(-1.5), (4,)),
    ("less_than", lambda c: c.less_than(-1.0), (4,)), ("interval", lambda c: c.interval(-2.0, 3.0), (4,)),
    ("unit_interval", lambda c: c.unit_interval, (4,)), ("half_open_interval", lambda c: c.half_open_interval(1.0, 4.0), (4,)),
    ("simplex", lambda c: c.simplex, (2, 4)), ("corr_cholesky", lambda c: c.corr_cholesky, (2, 6)),
    ("independent", lambda c: c.independent(c.positive, 1), (2, 3)),
    ("cat", lambda c: c.cat([c.positive, c.real, c.unit_interval], 0, [2, 3, 1]), (6,)),
    ("stack", lambda c: c.stack([c.positive, c.interval(0.0, 2.0)], 1), (3, 2)),
]
TRANSFORM_TO_ONLY = [("lower_cholesky", lambda c: c.lower_cholesky, (2, 3, 3)),
                     ("positive_definite", lambda c: c.positive_definite, (2, 3, 3)),
                     ("positive_semidefinite", lambda c: c.positive_semidefinite, (2, 3, 3))]


@pytest.mark.parametrize("registry", ["biject_to", "transform_to"])
@pytest.mark.parametrize("name, make, shape", CONSTRAINTS, ids=[case[0] for case in CONSTRAINTS])
def test_maps_onto_the_constraint_and_inverts(rng, registry, name, make, shape):
    constraint = make(C)
    transform = getattr(D, registry)(constraint)
    x = tinynn.tensor(rng.standard_normal(shape) * 2)
    y = transform(x)
    assert bool(constraint.check(y.numpy()).all()), f"{name}: {y}"
    if transform.bijective:
        assert_close(transform.inv(y), x, rtol=1e-9, atol=1e-9, what=f"{name} inverse")
        assert np.isfinite(transform.log_abs_det_jacobian(x, y).numpy()).all()
    else:  # softmax onto the simplex: the inverse is a right inverse, up to a shift of x
        assert_close(transform(transform.inv(y)), y, rtol=1e-9, atol=1e-12, what=f"{name} round trip")


@pytest.mark.parametrize("registry", ["biject_to", "transform_to"])
@pytest.mark.parametrize("name, make, shape", CONSTRAINTS + TRANSFORM_TO_ONLY,
                         ids=[case[0] for case in CONSTRAINTS + TRANSFORM_TO_ONLY])
def test_values_and_log_determinants_equal_torch(torch, rng, registry, name, make, shape):
    if registry == "biject_to" and (name, make, shape) in TRANSFORM_TO_ONLY:
        with pytest.raises(NotImplementedError, match="Cannot transform"):
            D.biject_to(make(C))
        with pytest.raises(NotImplementedError):
            torch.distributions.biject_to(make(torch.distributions.constraints))
        return
    ours = getattr(D, registry)(make(C))
    theirs = getattr(torch.distributions, registry)(make(torch.distributions.constraints))
    x = rng.standard_normal(shape)
    y, their_y = ours(tinynn.tensor(x)), theirs(torch.tensor(x))
    assert_close(y, their_y, rtol=1e-12, atol=1e-12, what=f"{registry}({name})")
    assert ours.bijective == theirs.bijective
    try:
        their_log_det = theirs.log_abs_det_jacobian(torch.tensor(x), their_y)
    except NotImplementedError:  # softmax, and the Cholesky and positive-definite maps (no square Jacobian)
        if name == "lower_cholesky":  # ours: on the lower triangle's free entries, where it is a bijection
            assert_close(ours.log_abs_det_jacobian(tinynn.tensor(x), y), np.trace(x, axis1=-2, axis2=-1),
                         rtol=1e-12, atol=1e-12, what="sum of the diagonal")
        else:
            with pytest.raises(NotImplementedError, match="log_abs_det_jacobian is not implemented"):
                ours.log_abs_det_jacobian(tinynn.tensor(x), y)
        return
    assert_close(ours.log_abs_det_jacobian(tinynn.tensor(x), y), their_log_det, rtol=1e-12, atol=1e-12,
                 what=f"{registry}({name}) log|det J|")


def test_bounds_that_are_parameters_stay_differentiable(rng):
    low = tinynn.tensor([0.0, -1.0, 2.0], requires_grad=True)
    high = tinynn.tensor([1.5, 4.0, 2.5], requires_grad=True)
    support = D.Uniform(low, high).support
    assert support.lower_bound is low and support.upper_bound is high
    x = tinynn.tensor(rng.standard_normal(3), requires_grad=True)
    gradcheck(lambda x, low, high: biject_to(D.Uniform(low, high).support)(x), (x, low, high))
    y = biject_to(support)(x)
    assert bool(((low.data < y.data) & (y.data < high.data)).all())


def test_an_unconstrained_parameter_optimised_through_transform_to(rng):
    """Fit a Dirichlet's concentration (positive per event) by maximum likelihood on its own draws."""
    truth = D.Dirichlet(tinynn.tensor([2.0, 5.0, 1.0]))
    draws = truth.sample((2000,))
    constraint = D.Dirichlet.arg_constraints["concentration"]
    unconstrained = tinynn.zeros(3, requires_grad=True)
    optimizer = tinynn.optim.Adam([unconstrained], lr=0.05)
    for _ in range(400):
        optimizer.zero_grad()
        loss = -D.Dirichlet(transform_to(constraint)(unconstrained)).log_prob(draws).mean()
        loss.backward()
        optimizer.step()
    fitted = transform_to(constraint)(unconstrained).detach().numpy()
    np.testing.assert_allclose(fitted, [2.0, 5.0, 1.0], rtol=0.15)


def test_identity_transform_is_the_empty_composition():
    x = tinynn.tensor([[1.0, -2.0]])
    assert D.identity_transform(x) is x or np.array_equal(D.identity_transform(x).numpy(), x.numpy())
    assert np.array_equal(D.identity_transform.log_abs_det_jacobian(x, x).numpy(), [[0.0, 0.0]])
    assert biject_to(C.real) is D.identity_transform


def test_a_new_constraint_registers_its_own_map():
    class Positive2(C.Constraint):
        """Vectors of two positive values (a user's constraint)."""
        event_dim = 1

        def check(self, value):
            return (value > 0).all(-1)

    registry = D.constraint_registry.ConstraintRegistry("mine")

    @registry.register(Positive2)
    def factory(constraint):
        return D.transforms.IndependentTransform(D.transforms.ExpTransform(), 1)

    transform = registry(Positive2())
    assert bool(Positive2().check(transform(tinynn.tensor([[-3.0, 4.0]]))).all())
    registry.register(C.positive, lambda constraint: D.transforms.SoftplusTransform())  # an instance names its class
    assert isinstance(registry(C.greater_than(0.0)), D.transforms.SoftplusTransform)
    with pytest.raises(NotImplementedError, match="Cannot transform _Simplex constraints: mine has no map onto Simplex"):
        registry(C.simplex)
    with pytest.raises(TypeError, match="expected a Constraint subclass or instance, got 3"):
        registry.register(3, factory)
    with pytest.raises(TypeError, match="expected a Constraint, got str"):
        biject_to("positive")


def test_a_subclass_of_a_registered_constraint_takes_its_map():
    class Above(C.greater_than):
        pass
    transform = biject_to(Above(1.0))
    assert_close(transform(tinynn.tensor([0.0])), [2.0], rtol=1e-12, atol=1e-12)


def test_parameter_dependent_supports_are_placeholders_on_the_class(torch):
    for family, is_discrete in ((D.Uniform, False), (D.Binomial, True), (D.Categorical, True), (D.Pareto, False)):
        placeholder = family.support
        assert C.is_dependent(placeholder), family.__name__
        assert placeholder.is_discrete is is_discrete and placeholder.event_dim == 0
        with pytest.raises(ValueError, match="Cannot determine validity of dependent constraint"):
            placeholder.check(np.zeros(2))
        with pytest.raises(NotImplementedError, match="placeholder of a parameter-dependent constraint"):
            biject_to(placeholder)
    assert repr(D.Uniform.support) == repr(torch.distributions.Uniform.support) == "DependentProperty()"
    assert D.Multinomial.support.event_dim == 1
    with pytest.raises(NotImplementedError, match="event_dim cannot be determined"):
        C.dependent.event_dim
    assert C.dependent(is_discrete=True, event_dim=2).event_dim == 2
    assert not C.is_dependent(D.Uniform(0.0, 1.0).support)


def test_constraints_keep_their_parameters_and_reprs_as_torchs(torch):
    TC = torch.distributions.constraints
    pairs = [(C.positive, TC.positive), (C.nonnegative_integer, TC.nonnegative_integer), (C.unit_interval, TC.unit_interval),
             (C.greater_than(2.5), TC.greater_than(2.5)), (C.interval(-1, 3), TC.interval(-1, 3)),
             (C.integer_interval(0, 4), TC.integer_interval(0, 4)), (C.real_vector, TC.real_vector),
             (C.independent(C.positive, 2), TC.independent(TC.positive, 2)), (C.simplex, TC.simplex),
             (C.cat([C.real, C.positive]), TC.cat([TC.real, TC.positive])),
             (C.positive_definite, TC.positive_definite), (C.dependent, TC.dependent)]
    for ours, theirs in pairs:
        assert repr(ours) == repr(theirs)
        if not C.is_dependent(ours):
            assert ours.event_dim == theirs.event_dim and ours.is_discrete == theirs.is_discrete, repr(ours)
    # (PyTorch's multinomial shows no bound; ours does)
    assert repr(C.multinomial(5)) == "Multinomial(upper_bound=5)" and C.multinomial(5).event_dim == 1
    assert C.interval(-1, 3).lower_bound == -1 and C.interval(-1, 3).upper_bound == 3
    assert C.independent(C.positive, 2).base_constraint is C.positive
    assert isinstance(C.positive, C.greater_than) and isinstance(C.unit_interval, C.interval)


def test_check_answers_in_kind_and_the_interval_is_closed_as_torchs(torch):
    values = np.array([-1.0, 0.0, 0.5, 1.0, np.inf, np.nan])
    for ours, theirs in ((C.unit_interval, torch.distributions.constraints.unit_interval),
                         (C.interval(0.0, 1.0), torch.distributions.constraints.interval(0.0, 1.0)),
                         (C.nonnegative_integer, torch.distributions.constraints.nonnegative_integer)):
        answer = ours.check(tinynn.tensor(values))
        assert isinstance(answer, tinynn.Tensor) and answer.dtype == tinynn.bool
        np.testing.assert_array_equal(answer.numpy(), theirs.check(torch.tensor(values)).numpy(), err_msg=repr(ours))
        assert isinstance(ours.check(values), np.ndarray)
    uniform = D.Uniform(tinynn.tensor([0.0]), tinynn.tensor([2.0]))
    assert uniform.log_prob(tinynn.tensor([2.0])).item() == float("-inf")  # in the support, outside the density
    with pytest.raises(ValueError, match="Uniform: expected value .* Interval"):
        uniform.log_prob(tinynn.tensor([2.5]))


def test_mixture_support_checks_each_component_and_geometric_refuses_zero_probability():
    mixture = D.MixtureSameFamily(D.Categorical(tinynn.tensor([0.3, 0.7])),
                                  D.Pareto(tinynn.tensor([1.0, 2.0]), tinynn.tensor([3.0, 3.0])))
    assert repr(mixture.support).startswith("MixtureSameFamilyConstraint(GreaterThanEq(")
    np.testing.assert_array_equal(mixture.support.check(np.array([0.5, 1.5, 2.5])), [False, False, True])
    with pytest.raises(ValueError, match=r"Geometric: expected parameter probs of shape \(2,\) to be in \(0, 1\]"):
        D.Geometric(tinynn.tensor([0.0, 0.5]))
    with pytest.raises(ValueError, match="Multinomial.* to satisfy the constraint Multinomial\\(upper_bound=3\\)"):
        D.Multinomial(3, tinynn.tensor([0.5, 0.5])).log_prob(tinynn.tensor([1.0, 1.0]))
