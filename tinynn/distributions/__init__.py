"""``tinynn.distributions``: probability distributions with PyTorch's names and shapes, to sample
from (with ``rsample`` for reparameterised, differentiable draws), score (``log_prob``), and
compare (``kl_divergence``), on the CPU or the GPU. Every formula is built from tinynn's
differentiable ops, so gradients with respect to the parameters come from autograd."""
from . import constraints, transforms
from .bernoulli import Bernoulli
from .binomial import Binomial
from .categorical import Categorical, OneHotCategorical, OneHotCategoricalStraightThrough
from .constraint_registry import biject_to, transform_to
from .continuous_bernoulli import ContinuousBernoulli
from .counts import Multinomial, NegativeBinomial
from .distribution import Distribution
from .exponential import Exponential
from .exponential_family import ExponentialFamily
from .gamma import Beta, Chi2, Dirichlet, FisherSnedecor, Gamma
from .geometric import Geometric
from .heavy_tailed import Cauchy, Gumbel, HalfNormal, StudentT
from .independent import Independent
from .kl import kl_divergence, register_kl
from . import kl_cross  # noqa: E402,F401  (registers the KL divergences between different families)
from .laplace import Laplace
from .mixture import MixtureSameFamily
from .low_rank_multivariate_normal import LowRankMultivariateNormal
from .matrix_distributions import LKJCholesky, Wishart
from .multivariate_normal import MultivariateNormal
from .normal import LogNormal, Normal
from .poisson import Poisson
from .positive import GeneralizedPareto, HalfCauchy, Pareto, Weibull
from .relaxed import ExpRelaxedCategorical, LogitRelaxedBernoulli, RelaxedBernoulli, RelaxedOneHotCategorical
from .transformed import TransformedDistribution
from .transformed_families import InverseGamma, Kumaraswamy, LogisticNormal
from .transforms import (AbsTransform, AffineTransform, CatTransform, ComposeTransform, CorrCholeskyTransform,
                         CumulativeDistributionTransform, ExpTransform, IndependentTransform, LowerCholeskyTransform,
                         PositiveDefiniteTransform, PowerTransform, ReshapeTransform, SigmoidTransform,
                         SoftmaxTransform, SoftplusTransform, StackTransform, StickBreakingTransform, TanhTransform,
                         Transform, identity_transform)
from .uniform import Uniform
from .von_mises import VonMises

__all__ = ["Distribution", "Normal", "LogNormal", "Uniform", "Exponential", "Laplace", "Bernoulli", "Binomial",
           "Categorical", "OneHotCategorical", "Poisson", "Gamma", "Chi2", "Beta", "Dirichlet", "MultivariateNormal",
           "Independent", "Cauchy", "StudentT", "Gumbel", "HalfNormal", "Geometric", "MixtureSameFamily", "HalfCauchy", "Pareto", "Weibull", "NegativeBinomial", "Multinomial",
           "LogitRelaxedBernoulli", "RelaxedBernoulli", "ExpRelaxedCategorical", "RelaxedOneHotCategorical", "VonMises",
           "kl_divergence", "register_kl", "constraints", "TransformedDistribution", "Transform", "ExpTransform",
           "AffineTransform", "SigmoidTransform", "TanhTransform", "SoftplusTransform", "PowerTransform",
           "ComposeTransform", "transforms", "InverseGamma", "Kumaraswamy", "LogisticNormal", "FisherSnedecor",
           "GeneralizedPareto", "ContinuousBernoulli", "OneHotCategoricalStraightThrough", "LowRankMultivariateNormal",
           "Wishart", "LKJCholesky", "ExponentialFamily", "biject_to", "transform_to", "identity_transform",
           "AbsTransform", "CatTransform", "CorrCholeskyTransform", "CumulativeDistributionTransform",
           "IndependentTransform", "LowerCholeskyTransform", "PositiveDefiniteTransform", "ReshapeTransform",
           "SoftmaxTransform", "StackTransform", "StickBreakingTransform"]
