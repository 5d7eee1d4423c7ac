"""``biject_to`` and ``transform_to`` (PyTorch's): from a constraint to a Transform that maps
unconstrained real values onto it, so a constrained parameter (a scale, a probability vector, a
correlation factor) can be optimised as an unconstrained one:

    unconstrained = tinynn.zeros(3, requires_grad=True)
    scale = transform_to(constraints.positive)(unconstrained)   # exp: always > 0

``biject_to(c)`` is a bijection (its ``.inv`` undoes it, and ``log_abs_det_jacobian`` is the change
of density, for HMC and variational inference); ``transform_to(c)`` need only land in c (softmax
onto the simplex, where ``biject_to`` uses stick-breaking, one dimension fewer). Each registry looks
a constraint up by its class (the nearest registered class in its MRO), so ``greater_than(2.0)`` and
``greater_than(tensor)`` both map by exp then shift. A new constraint registers its own map:

    @biject_to.register(MyConstraint)
    def my_factory(constraint): return MyTransform(constraint.some_parameter)

    real, real_vector         identity
    greater_than(_eq)(a)      exp, then + a (exp alone for positive and nonnegative, a = 0)
    less_than(b)              exp, then b - y
    interval(a, b)            sigmoid, then a + (b - a) y   (sigmoid alone on the unit interval)
    half_open_interval(a, b)  the same
    simplex                   biject_to: stick-breaking;    transform_to: softmax
    corr_cholesky             CorrCholeskyTransform
    lower_cholesky            transform_to only: LowerCholeskyTransform
    positive_(semi)definite   transform_to only: PositiveDefiniteTransform
    independent, cat, stack   the base constraints' maps, as IndependentTransform, CatTransform, StackTransform
"""
import numbers

from . import constraints, transforms


class ConstraintRegistry:
    """A map from constraint classes to factories ``factory(constraint) -> Transform``."""

    def __init__(self, name="ConstraintRegistry"):
        self._name = name
        self._registry = {}

    def register(self, constraint, factory=None):
        """Register ``factory`` for ``constraint`` (a Constraint subclass, or an instance standing for its
        class); without ``factory``, a decorator."""
        if factory is None:
            return lambda factory: self.register(constraint, factory)
        if isinstance(constraint, constraints.Constraint):
            constraint = type(constraint)
        if not (isinstance(constraint, type) and issubclass(constraint, constraints.Constraint)):
            raise TypeError(f"{self._name}.register: expected a Constraint subclass or instance, got {constraint!r}")
        self._registry[constraint] = factory
        return factory

    def __call__(self, constraint):
        """The Transform onto ``constraint``."""
        if not isinstance(constraint, constraints.Constraint):
            raise TypeError(f"{self._name}: expected a Constraint, got {type(constraint).__name__}")
        if constraints.is_dependent(constraint):
            raise NotImplementedError(f"{self._name}: {constraint!r} is the placeholder of a parameter-dependent "
                                      "constraint; pass an instance's (distribution.support), not the class's")
        for kind in type(constraint).__mro__:
            if kind in self._registry:
                return self._registry[kind](constraint)
        raise NotImplementedError(f"Cannot transform {type(constraint).__name__} constraints: {self._name} has no "
                                  f"map onto {constraint!r}; add one with {self._name}.register")


biject_to = ConstraintRegistry("biject_to")
transform_to = ConstraintRegistry("transform_to")


@biject_to.register(constraints.real)
@transform_to.register(constraints.real)
def _onto_real(constraint):
    return transforms.identity_transform


@biject_to.register(constraints.independent)
def _biject_to_independent(constraint):
    return transforms.IndependentTransform(biject_to(constraint.base_constraint), constraint.reinterpreted_batch_ndims)


@transform_to.register(constraints.independent)
def _transform_to_independent(constraint):
    return transforms.IndependentTransform(transform_to(constraint.base_constraint),
                                           constraint.reinterpreted_batch_ndims)


@biject_to.register(constraints.greater_than)
@biject_to.register(constraints.greater_than_eq)
@transform_to.register(constraints.greater_than)
@transform_to.register(constraints.greater_than_eq)
def _onto_greater_than(constraint):
    """exp, then + lower_bound (exp alone onto positive and nonnegative, the bound 0)."""
    low = constraint.lower_bound
    if isinstance(low, numbers.Number) and low == 0:
        return transforms.ExpTransform()
    return transforms.ComposeTransform([transforms.ExpTransform(), transforms.AffineTransform(low, 1)])


@biject_to.register(constraints.less_than)
@transform_to.register(constraints.less_than)
def _onto_less_than(constraint):
    return transforms.ComposeTransform([transforms.ExpTransform(),
                                        transforms.AffineTransform(constraint.upper_bound, -1)])


@biject_to.register(constraints.interval)
@biject_to.register(constraints.half_open_interval)
@transform_to.register(constraints.interval)
@transform_to.register(constraints.half_open_interval)
def _onto_interval(constraint):
    low, high = constraint.lower_bound, constraint.upper_bound
    if isinstance(low, numbers.Number) and isinstance(high, numbers.Number) and low == 0 and high == 1:
        return transforms.SigmoidTransform()
    return transforms.ComposeTransform([transforms.SigmoidTransform(), transforms.AffineTransform(low, high - low)])


@biject_to.register(constraints.simplex)
def _biject_to_simplex(constraint):
    return transforms.StickBreakingTransform()


@transform_to.register(constraints.simplex)
def _transform_to_simplex(constraint):
    return transforms.SoftmaxTransform()


@transform_to.register(constraints.lower_cholesky)
def _transform_to_lower_cholesky(constraint):
    return transforms.LowerCholeskyTransform()


@transform_to.register(constraints.positive_definite)
@transform_to.register(constraints.positive_semidefinite)
def _transform_to_positive_definite(constraint):
    return transforms.PositiveDefiniteTransform()


@biject_to.register(constraints.corr_cholesky)
@transform_to.register(constraints.corr_cholesky)
def _onto_corr_cholesky(constraint):
    return transforms.CorrCholeskyTransform()


@biject_to.register(constraints.cat)
def _biject_to_cat(constraint):
    return transforms.CatTransform([biject_to(c) for c in constraint.cseq], constraint.dim, constraint.lengths)


@transform_to.register(constraints.cat)
def _transform_to_cat(constraint):
    return transforms.CatTransform([transform_to(c) for c in constraint.cseq], constraint.dim, constraint.lengths)


@biject_to.register(constraints.stack)
def _biject_to_stack(constraint):
    return transforms.StackTransform([biject_to(c) for c in constraint.cseq], constraint.dim)


@transform_to.register(constraints.stack)
def _transform_to_stack(constraint):
    return transforms.StackTransform([transform_to(c) for c in constraint.cseq], constraint.dim)
