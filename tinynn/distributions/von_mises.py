"""The von Mises distribution: the normal distribution's counterpart on the circle."""
import math

import numpy as np

from .. import special
from . import constraints
from .distribution import Distribution, broadcast_all


class VonMises(Distribution):
    """p(x) = e^(kappa cos(x - loc)) / (2 pi I0(kappa)) for angles x (any real, read modulo 2 pi),
    kappa = concentration; log p = kappa cos(x - loc) - log(2 pi) - log i0e(kappa) - kappa (I0 through
    its scaled form, so a large kappa does not overflow). Circular mean and mode loc; circular
    variance 1 - I1(kappa) / I0(kappa) = 1 - i1e(kappa) / i0e(kappa). Gradients with respect to loc
    and concentration come from autograd (d/dkappa log I0 = I1 / I0).

    sample: Best and Fisher's rejection sampler (1979), as PyTorch's, in float64 whatever the dtype
    (in float32 it stalls for kappa near 1e-4): with r = (1 + rho^2) / (2 rho), rho = (tau -
    sqrt(2 tau)) / (2 kappa), tau = 1 + sqrt(1 + 4 kappa^2), a proposal f = (1 + r z) / (r + z),
    z = cos(pi u1), is accepted when c (2 - c) > u2 or log(c / u2) + 1 >= c, c = kappa (r - f); the
    draw is +-acos(f) around loc, wrapped into [-pi, pi). No rsample, as PyTorch.
    """

    arg_constraints = {"loc": constraints.real, "concentration": constraints.positive}
    support = constraints.real

    def __init__(self, loc, concentration, validate_args=None):
        self.loc, self.concentration = broadcast_all(loc, concentration)
        super().__init__(self.loc.shape, (), validate_args)

    def log_prob(self, value):
        value = self._validate_sample(value)
        kappa = self.concentration
        return kappa * (value - self.loc).cos() - math.log(2 * math.pi) - special.i0e(kappa).log() - kappa

    def sample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)

        def draw(generator, loc, kappa):
            loc, kappa = np.broadcast_to(loc, shape), np.broadcast_to(kappa, shape)
            tau = 1 + np.sqrt(1 + 4 * kappa ** 2)
            rho = (tau - np.sqrt(2 * tau)) / (2 * kappa)
            # r from rho loses all its digits for tiny kappa; there its expansion 1/kappa + kappa
            r = np.where(kappa < 1e-5, 1 / kappa + kappa, (1 + rho ** 2) / (2 * rho))
            angle, done = np.zeros(shape), np.zeros(shape, dtype=bool)
            while not done.all():
                u1, u2, u3 = generator.random((3,) + shape)
                z = np.cos(np.pi * u1)
                f = (1 + r * z) / (r + z)
                c = kappa * (r - f)
                with np.errstate(divide="ignore"):
                    accept = ~done & ((c * (2 - c) - u2 > 0) | (np.log(c / u2) + 1 - c >= 0))
                angle = np.where(accept, np.sign(u3 - 0.5) * np.arccos(np.clip(f, -1, 1)), angle)
                done |= accept
            return (angle + np.pi + loc) % (2 * np.pi) - np.pi

        return self._host_draws(draw, self.loc, self.concentration)

    @property
    def mean(self):
        return self.loc

    @property
    def mode(self):
        return self.loc

    @property
    def variance(self):
        return 1 - special.i1e(self.concentration) / special.i0e(self.concentration)
