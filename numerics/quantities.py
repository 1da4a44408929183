"""The computing functions behind the quantity registry (:mod:`implicitreg.theory.quantities`).

Every function takes a run context and returns the quantity's value: a ``Fraction``/``int`` when it is exact (m, N,
rho, K2, ...), an ``mpmath.mpf`` otherwise (at the context's precision). The contexts compute their expensive parts
once and lazily:

* :class:`DiagonalRun` (instance (A, y), depth D, alpha and its convention): exact basis pursuit and the support
  constants (:func:`~implicitreg.numerics.error_constants.support_constants`), the certified gradient-flow limit
  (:func:`~implicitreg.numerics.dual_limit.gradient_flow_limit`), the a-posteriori constants;
* :class:`DeepLinearRun` (data (X, y), depth L, alpha = the init scale s): the data constants, S_LB, S_min, S_bal
  and the sharpness of the gradient-flow limit from N(0, s^2) entries (float64 flow, exact Hessian at the limit).

:func:`evaluate` maps a list of names to values through the registry's ``computed_by``.
"""
from __future__ import annotations

import importlib
from fractions import Fraction
from functools import cached_property

import mpmath
from mpmath import mpf

from implicitreg.errors import HypothesisNotMetError, InvalidParameterError
from implicitreg.numerics.precision import mpf_from




class DiagonalRun:
    """One instance A x = y, one depth D and one initialization scale alpha (``alpha_convention`` names it)."""

    problem = "diagonal"

    def __init__(self, instance, depth, alpha, *, alpha_convention: str = "product", digits: int = 30):
        from implicitreg.numerics.potentials import alpha_convention_value, depth_value, positive_value

        self.instance = instance
        self.depth = depth_value(depth)
        self.alpha = positive_value(alpha, "alpha")
        alpha_convention_value(alpha_convention)
        self.alpha_convention = alpha_convention
        self.digits = digits

    @cached_property
    def bp(self):
        from implicitreg.numerics.basis_pursuit import l1_minimizer

        return l1_minimizer(self.instance)

    @cached_property
    def constants(self):
        """:class:`~implicitreg.numerics.error_constants.SupportConstants` (raises when x* is not unique or 0)."""
        from implicitreg.numerics.error_constants import support_constants

        return support_constants(self.instance)

    @cached_property
    def limit(self):
        from implicitreg.numerics.dual_limit import gradient_flow_limit

        return gradient_flow_limit(self.instance, self.depth, self.alpha, alpha_convention=self.alpha_convention,
                                   digits=self.digits)

    @cached_property
    def posterior(self):
        from implicitreg.numerics.error_constants import posterior_constants

        return posterior_constants(self.limit, self.constants)

    @cached_property
    def difference(self) -> list:
        lim = self.limit
        with mpmath.workdps(lim.dps):
            return [xi - mpf_from(xs) for xi, xs in zip(lim.x, self.constants.x_star)]

    def at(self, alpha) -> "DiagonalRun":
        """The same instance and depth at another alpha (instance constants are shared)."""
        other = DiagonalRun(self.instance, self.depth, alpha, alpha_convention=self.alpha_convention,
                            digits=self.digits)
        for key in ("bp", "constants"):
            if key in self.__dict__:
                other.__dict__[key] = self.__dict__[key]
        return other


# --- diagonal: data ------------------------------------------------------------------------------------------

def m(run):
    return run.instance.m


def N(run):
    return run.instance.N


def s(run):
    return len(run.constants.support)


def n(run):
    return run.constants.n


def rho(run):
    return run.constants.rho


def K2(run):
    return run.constants.K2


def K1star(run):
    return run.constants.K1_star


def m_star(run):
    return run.constants.m_star


def x_star_l1(run):
    return sum((abs(v) for v in run.constants.x_star), Fraction(0))


def kappa_lb(run):
    c = run.constants
    return (1 - c.rho) / (1 + c.K2)


# --- diagonal: one run ---------------------------------------------------------------------------------------

def alpha(run):
    return run.alpha


def alpha_product(run):
    return run.limit.alpha_product if run.alpha_convention == "factor" else run.alpha


def alpha_factor(run):
    if run.alpha_convention == "factor":
        return run.alpha
    return mpf_from(run.alpha) ** (1 / mpf_from(run.depth))


def D(run):
    return run.depth


p = D


def K1(run):
    return run.posterior.K1


def Kbar1(run):
    from implicitreg.numerics.error_constants import k1_apriori

    return k1_apriori(run.constants, run.limit.alpha_product)


def eps(run):
    return run.posterior.eps


def rho_a(run):
    return run.posterior.rho_a


def rho_minus(run):
    return max(run.posterior.rho_minus, mpf(0))


def M0(run):
    from implicitreg.numerics.error_constants import offsupport_radius

    if run.depth <= 2:
        raise HypothesisNotMetError("M0 is defined for depth D > 2 only")
    with mpmath.workdps(run.limit.dps):
        return offsupport_radius(run.depth, run.posterior.rho_a, run.constants.n)


def E1(run):
    from implicitreg.numerics.error_constants import limit_direction

    if run.depth <= 2:
        raise HypothesisNotMetError("E1 = ||e_D||_1 is defined for depth D > 2 only")
    return limit_direction(run.instance, run.depth, sc=run.constants).e_norm1


def err_l1(run):
    with mpmath.workdps(run.limit.dps):
        return mpmath.fsum(abs(v) for v in run.difference)


def err_l2(run):
    with mpmath.workdps(run.limit.dps):
        return mpmath.sqrt(mpmath.fsum(v * v for v in run.difference))


def err_inf(run):
    with mpmath.workdps(run.limit.dps):
        return max(abs(v) for v in run.difference)


def x_inf_l1(run):
    with mpmath.workdps(run.limit.dps):
        return mpmath.fsum(abs(v) for v in run.limit.x)


def gap(run):
    with mpmath.workdps(run.limit.dps):
        return x_inf_l1(run) - mpf_from(run.bp.value)


def dist_sel(run):
    from implicitreg.numerics.selection import selected_minimizer

    xg = selected_minimizer(run.instance, run.depth, digits=run.digits, bp=run.bp).x
    with mpmath.workdps(run.limit.dps):
        return mpmath.sqrt(mpmath.fsum((a - b) ** 2 for a, b in zip(run.limit.x, xg)))


# --- deep linear networks ------------------------------------------------------------------------------------

class DeepLinearRun:
    """Regression data (X, y), depth L and the per-factor init scale alpha = s of a small-initialization run."""

    problem = "deep-linear"

    def __init__(self, data, depth, alpha=None, *, seed: int = 1, dps: int = 30):
        from implicitreg.numerics.potentials import layers_value

        self.data = data
        self.depth = layers_value(depth)
        self.alpha = alpha
        self.seed = seed
        self.dps = dps

    @cached_property
    def constants(self):
        from implicitreg.numerics.deep_linear import data_constants

        with mpmath.workdps(self.dps):
            return data_constants(self.data)

    def at(self, alpha) -> "DeepLinearRun":
        other = DeepLinearRun(self.data, self.depth, alpha, seed=self.seed, dps=self.dps)
        if "constants" in self.__dict__:
            other.__dict__["constants"] = self.constants
        return other


def L(run):
    return run.depth


def n_samples(run):
    return run.data.n


def d(run):
    return run.data.d


def a(run):
    return run.constants.a


def a_prime(run):
    return run.constants.a_prime


def Lambda(run):
    return run.constants.Lambda


def lambda_min(run):
    return run.constants.lambda_min


def kappa(run):
    return run.constants.kappa


def w_norm(run):
    return run.constants.w_norm


def S_LB(run):
    c, Ld = run.constants, run.depth
    with mpmath.workdps(run.dps):
        return 2 * Ld * c.a * c.w_norm ** (2 - mpf(2) / Ld)


def S_min(run):
    from implicitreg.numerics.deep_linear import min_sharpness

    return min_sharpness(run.data, run.depth, dps=run.dps).value


def S_bal(run):
    from implicitreg.numerics.deep_linear import balanced_sharpness

    return balanced_sharpness(run.data, run.depth, dps=run.dps)


def sharpness(run):
    """S of the gradient-flow limit from W_k entries N(0, alpha^2) (seeded), by the exact Hessian at the limit."""
    import numpy as np

    from implicitreg.errors import ConvergenceError
    from implicitreg.numerics import deep_linear as dl

    if run.alpha is None:
        raise InvalidParameterError("sharpness needs the init scale alpha of the run")
    net0 = dl.small_init(run.data.d, run.depth, float(mpf_from(run.alpha)), np.random.default_rng(run.seed))
    res = dl.gradient_flow(net0, run.data, 1e6, rtol=1e-9, atol=1e-13, stop_excess_loss=1e-13)
    if res.status != 1:
        raise ConvergenceError(f"gradient flow from scale {run.alpha} did not reach a global minimizer")
    return dl.sharpness_exact(res.net, run.data).value


# --- by name ------------------------------------------------------------------------------------------------

def compute(name: str, run):
    """The registered quantity ``name`` on ``run`` (through ``QUANTITIES[name].computed_by``)."""
    from implicitreg.theory.quantities import quantity

    q = quantity(name)
    if q.problem != run.problem:
        raise InvalidParameterError(f"quantity {name!r} belongs to {q.problem} networks, not to {run.problem}")
    module, _, func = q.computed_by.rpartition(".")
    return getattr(importlib.import_module(module), func)(run)


def evaluate(names, run) -> dict:
    """{name: value} for every name in ``names``."""
    return {name: compute(name, run) for name in names}
