"""The kink family A = [1, 1 - eps], y = 1: non-uniform convergence near non-uniqueness.

``wah.md`` §6 [authors' code: figure 2; the formulas below are derived]. BP has the unique minimizer
x* = (1, 0) for 0 < eps < 1 (rho = 1 - eps) and the segment [(1,0), (0,1)] at eps = 0. The flow limit is
x_oo = a (h_p(z), h_p((1-eps) z)) with a = alpha^p (product scale) and z > 0 the root of

    a [h_p(z) + (1 - eps) h_p((1 - eps) z)] = 1,

a one-dimensional reduction of Thm A's dual (our own path, independent of the engine's general solver).
Hence ||x_oo - x*||_2 = sqrt(1 + (1-eps)^2) a h_p((1-eps) z), and as alpha -> 0:

* p > 2: ||x_oo - x*||_2 / a -> sqrt(1 + (1-eps)^2) h_p(1 - eps)  (~ sqrt(2) eps^(-p/(p-2)) as eps -> 0);
* p = 2: ||x_oo - x*||_2 ~ sqrt(1 + (1-eps)^2) a^eps, a = alpha^2: the rate exponent itself tends to 0.

Transition scale eps*(alpha) = alpha^(p-2) = a^((p-2)/p) (p > 2) and 1/log(1/a) (p = 2). In the scaling limit
alpha -> 0 with e = eps / eps* fixed the error tends to the collapse profile [derived, ours]:

* p > 2: sqrt(2) (w + e)^(-k), k = p/(p-2), where w > 0 solves w^(-k) + (w + e)^(-k) = 1;
* p = 2: sqrt(2) / (1 + exp(e)).

Both equal 1/sqrt(2) at e = 0 (continuity at eps = 0, where x_oo = (1/2, 1/2) for every alpha) and decay as
sqrt(2) e^(-k) (p > 2) or sqrt(2) exp(-e) (p = 2) for e >> 1, matching the fixed-eps constants.
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import mpmath
from mpmath import mpf

from implicitreg.errors import ConvergenceError, InvalidParameterError
from implicitreg.numerics._result import Result
from implicitreg.numerics.instance import Instance
from implicitreg.numerics.precision import mpf_from
from implicitreg.numerics.potentials import (alpha_convention_value, depth_value, link, link_derivative,
                                              link_near_pole, link_near_pole_derivative, positive_value,
                                              product_scale)


def _eps_value(eps) -> Fraction:
    from implicitreg.numerics.potentials import _exact

    e = _exact(eps, "eps")
    if not 0 <= e < 1:
        raise InvalidParameterError(f"eps must be in [0, 1), got {eps}")
    return e


def kink_instance(eps) -> Instance:
    """A = [[1, 1 - eps]], y = [1] (exact)."""
    e = _eps_value(eps)
    return Instance.from_lists([[1, 1 - e]], [1], name=f"kink(eps={e})")


def kink_error(x, eps) -> mpf:
    """||x - x*||_2 for a point x on the constraint x_1 + (1 - eps) x_2 = 1 (x* = (1, 0)): sqrt(1 + (1-eps)^2) x_2.

    On the constraint x_1 - 1 = -(1-eps) x_2, so the error needs no cancellation (x_1 - 1 ~ alpha^p: subtracting
    would lose log10(1/alpha^p) digits)."""
    c = 1 - mpf_from(_eps_value(eps))
    return mpmath.sqrt(1 + c ** 2) * x[1]


@dataclass(frozen=True, kw_only=True)
class KinkLimit(Result):
    """The flow limit on the kink instance: ``x`` (2 mpf), ``z`` (dual variable), ``error`` = ||x - (1,0)||_2,
    ``alpha_product`` = a, ``alpha_convention`` used for the input alpha, ``depth``, ``eps``."""

    x: list
    z: mpf
    error: mpf
    eps: Fraction
    depth: Fraction
    alpha_product: mpf
    alpha_convention: str


def _root_decreasing(f, df, lo, hi, dps):
    """The root of a decreasing f on (lo, hi) with f(lo+) > 0 > f(hi): Newton safeguarded by bisection."""
    tol = mpf(2) ** (-mpmath.mp.prec + 6)
    w = (lo + hi) / 2
    for _ in range(20 * dps + 400):
        fw = f(w)
        if fw > 0:
            lo = w
        else:
            hi = w
        if fw == 0 or hi - lo <= tol * abs(hi):
            return w
        step = w - fw / df(w)
        # a converged Newton step rounds to w, an end of the bracket: accepted (stops below), not bisected away
        if not (lo < step < hi) and step != w:
            step = (lo + hi) / 2 if lo > 0 else (hi / 2 if hi / 2 > lo else (lo + hi) / 2)
        if abs(step - w) <= tol * abs(w):
            return step
        w = step
    raise ConvergenceError("kink: root finding did not converge")


def kink_limit(eps, depth, alpha, *, alpha_convention: str = "factor", dps: int = 50) -> KinkLimit:
    """x_oo on A = [1, 1-eps] by the one-dimensional dual equation (see the module docstring)."""
    e = _eps_value(eps)
    D = depth_value(depth)
    alpha_convention_value(alpha_convention)
    with mpmath.workdps(dps + 20):
        a = product_scale(positive_value(alpha), D, alpha_convention)
        em = mpf_from(e)
        c = 1 - em
        if D == 2:
            f = lambda z: a * (link(2, z) + c * link(2, c * z)) - 1
            df = lambda z: -a * (link_derivative(2, z) + c * c * link_derivative(2, c * z))
            z = _root_decreasing(lambda z: -f(z), df, mpf(0), mpmath.asinh(1 / (2 * a)) + 1, dps)
            x = [a * link(2, z), a * link(2, c * z)]
        else:
            hd = lambda d: link_near_pole(D, d)                  # h_p(1 - d): distance d to the pole
            dhd = lambda d: link_near_pole_derivative(D, d)
            d2 = lambda w: w + em * (1 - w)                       # 1 - (1-eps)(1-w), without cancellation
            f = lambda w: a * (hd(w) + c * hd(d2(w))) - 1
            df = lambda w: a * (dhd(w) + c * (1 - em) * dhd(d2(w)))
            w = _root_decreasing(f, df, mpf(0), mpf(1), dps)
            z = 1 - w
            x = [a * hd(w), a * hd(d2(w))]
        err = kink_error(x, e)
        return KinkLimit(x=[+v for v in x], z=+z, error=+err, eps=e, depth=D, alpha_product=+a,
                         alpha_convention=alpha_convention)


def limit_constant(eps, depth) -> mpf:
    """lim_{alpha -> 0} ||x_oo - x*||_2 / alpha^p = sqrt(1 + (1-eps)^2) h_p(1 - eps), p > 2, 0 < eps < 1 [derived]."""
    e = _eps_value(eps)
    D = depth_value(depth)
    if D == 2:
        raise InvalidParameterError("for p = 2 the error is not linear in alpha^2; use p2_error_asymptotic")
    if e == 0:
        raise InvalidParameterError("at eps = 0 BP is not unique; the error does not vanish")
    c = 1 - mpf_from(e)
    return mpmath.sqrt(1 + c ** 2) * link(D, c)


def p2_error_asymptotic(eps, alpha, *, alpha_convention: str = "factor") -> mpf:
    """sqrt(1 + (1-eps)^2) a^eps with a = alpha^2: the p = 2 error as alpha -> 0 (relative error -> 0) [derived]."""
    e = _eps_value(eps)
    a = product_scale(positive_value(alpha), Fraction(2), alpha_convention_value(alpha_convention))
    c = 1 - mpf_from(e)
    return mpmath.sqrt(1 + c ** 2) * mpmath.power(a, mpf_from(e))


def transition_scale(depth, alpha, *, alpha_convention: str = "factor") -> mpf:
    """eps*(alpha): alpha^(p-2) = a^((p-2)/p) for p > 2, 1/log(1/a) for p = 2 (a = alpha^p, the product scale)."""
    D = depth_value(depth)
    a = product_scale(positive_value(alpha), D, alpha_convention_value(alpha_convention))
    if D == 2:
        if a >= 1:
            raise InvalidParameterError("the p = 2 transition scale needs alpha^2 < 1")
        return 1 / mpmath.log(1 / a)
    return mpmath.power(a, mpf_from((D - 2) / D))


def collapse_profile(depth, ratio) -> mpf:
    """The scaling limit of ||x_oo - x*||_2 at eps = ratio * eps*(alpha), alpha -> 0 [derived, ours]."""
    D = depth_value(depth)
    r = mpf(ratio)
    if r < 0:
        raise InvalidParameterError(f"ratio eps/eps* must be >= 0, got {ratio}")
    if D == 2:
        return mpmath.sqrt(2) / (1 + mpmath.exp(r))
    k = mpf_from(D / (D - 2))
    # w^(-k) + (w + r)^(-k) = 1, decreasing in w; w in (1, 2^(1/k)]
    f = lambda w: w ** (-k) + (w + r) ** (-k) - 1
    df = lambda w: -k * (w ** (-k - 1) + (w + r) ** (-k - 1))
    w = _root_decreasing(f, df, mpf(1), mpf(2) ** (1 / k) + 1, mpmath.mp.dps)
    return mpmath.sqrt(2) * (w + r) ** (-k)


def transition_error(depth, ratio, alpha, *, alpha_convention: str = "factor") -> mpf:
    """||x_oo - x*||_2 on the kink at eps = ratio * eps*(alpha) (eps rounded to 30 significant digits, exactly):
    the finite-alpha quantity whose alpha -> 0 limit is :func:`collapse_profile` (the data collapse)."""
    es = transition_scale(depth, alpha, alpha_convention=alpha_convention)
    eps = Fraction(mpmath.nstr(es * mpf(ratio), 30))
    return kink_limit(eps, depth, alpha, alpha_convention=alpha_convention).error


def transition_epsilon(depth, alpha, level, *, alpha_convention: str = "factor", dps: int = 30) -> mpf:
    """The eps at which ||x_oo - x*||_2 = level (0 < level < 1/sqrt(2)): the error decreases in eps.

    Found by bisection in log eps on (eps_min, 1); measures the transition scale directly.
    """
    lvl = mpf(level)
    if not 0 < lvl < 1 / mpmath.sqrt(2):
        raise InvalidParameterError("level must be in (0, 1/sqrt(2))")
    with mpmath.workdps(dps):
        lo, hi = mpf(-60), mpf(0)  # log10 eps
        for _ in range(4 * dps):
            mid = (lo + hi) / 2
            e = Fraction(mpmath.nstr(mpf(10) ** mid, dps))
            err = kink_limit(e, depth, alpha, alpha_convention=alpha_convention, dps=dps).error
            if err > lvl:
                lo = mid
            else:
                hi = mid
            if hi - lo < mpf(10) ** (-dps // 2):
                break
        return mpf(10) ** ((lo + hi) / 2)
