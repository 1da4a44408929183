"""Claims against enclosures: the stated balls and ratio intervals of a certificate, the decided verdict, and the
exact equality proof of the deep-linear bound (S = S_LB).

Every stated ball must *contain* the enclosure recomputed by the checker and respect a width cap (the width is the
writer's choice, so it is bounded here); a ratio interval must be positive, narrow and contain the computed ratio; a
verdict is given only when the enclosure decides it, or when equality is proved exactly. Shared by every
certificate kind (:mod:`.diagonal`, :mod:`.deep_linear`, :mod:`.balanced`).
"""
from __future__ import annotations

from fractions import Fraction

import mpmath

from . import lp
from .interval import CheckFailure, enclosure_ends, endpoints, exact, hi, lo, read_ball, require_inside

#: the widest Krawczyk box accepted: radius <= NU_MAX_RELATIVE_RADIUS * max(1, |centre|)
NU_MAX_RELATIVE_RADIUS = Fraction(1, 10 ** 20)
#: the widest stated ball (x_inf, errors, bound values, sharpness): radius <= BALL_MAX_RELATIVE_RADIUS * |mid|
BALL_MAX_RELATIVE_RADIUS = Fraction(1, 10 ** 10)
#: the widest stated ratio interval: hi - lo <= RATIO_MAX_RELATIVE_WIDTH * hi
RATIO_MAX_RELATIVE_WIDTH = Fraction(1, 10 ** 9)


def _dps(cert) -> int:
    return cert["tool"]["checker_dps"]  # an integer in [15, schema.MAX_DPS] (schema)


def _ball(obj, where: str, nu: bool = False) -> tuple[Fraction, Fraction]:
    """A ball's exact ends, refusing radii above the stated maxima (the width is the writer's choice)."""
    a, b = read_ball(obj, where)
    mid, rad = (a + b) / 2, (b - a) / 2
    if nu:
        if rad > NU_MAX_RELATIVE_RADIUS * max(1, abs(mid)):
            raise CheckFailure(where + ".rad", f"box radius above the maximum {NU_MAX_RELATIVE_RADIUS} * max(1, |mid|)")
    elif rad > BALL_MAX_RELATIVE_RADIUS * abs(mid):
        raise CheckFailure(where + ".rad", f"ball radius above the maximum {BALL_MAX_RELATIVE_RADIUS} * |mid|")
    return a, b


def _inside(computed, obj, where: str, what: str) -> None:
    _ball(obj, where)
    require_inside(computed, obj, where, what)


def _ratio(computed, r, where: str, what: str) -> tuple[Fraction, Fraction]:
    """The stated ratio interval must be positive, narrow and contain the computed enclosure; returns the latter."""
    rlo = exact(r["lo"], where + ".lo")
    rhi = exact(r["hi"], where + ".hi")
    if not rlo > 0:
        raise CheckFailure(where + ".lo", "a ratio claim needs a positive lower end")
    if rhi - rlo > RATIO_MAX_RELATIVE_WIDTH * rhi:
        raise CheckFailure(where, f"the stated interval is wider than {RATIO_MAX_RELATIVE_WIDTH} * hi")
    clo, chi = enclosure_ends(computed, where, what)
    if not (rlo <= clo and chi <= rhi):
        raise CheckFailure(where, f"the certified ratio {what} lies in [{mpmath.nstr(lo(computed), 15)}, "
                                  f"{mpmath.nstr(hi(computed), 15)}], not inside the stated [{r['lo']}, {r['hi']}]")
    return clo, chi


def _verdict(side: str, name: str, clo: Fraction, chi: Fraction, where: str, equality: bool = False) -> str:
    """Decided verdicts only: an upper bound needs ratio <= 1 for sure, a lower one ratio >= 1 for sure, unless
    equality (ratio = 1) is proved exactly; a ratio enclosure that straddles 1 proves nothing and is refused."""
    if side == "limit":
        return ""
    if equality:
        return " (attained: equality proved exactly)"
    if side == "upper" and chi <= 1 or side == "lower" and clo >= 1:
        return " (bound holds)"
    if side == "upper" and clo > 1 or side == "lower" and chi < 1:
        raise CheckFailure(where, f"the {side} bound {name!r} is violated here")
    raise CheckFailure(where, f"the ratio enclosure contains 1: the {side} bound {name!r} is not decided "
                              "(and equality is not proved)")


def _evaluate(tree, env, phi, where):
    from .grammar import GrammarError, free_symbols, to_interval

    missing = sorted(n for n in free_symbols(tree) if n not in env)
    if missing:
        raise CheckFailure(where, f"{missing[0]} is not defined here (M0 needs D > 2 and rho_a < 1)")
    try:
        return to_interval(tree, env, {"h": phi} if phi else None)
    except GrammarError as exc:
        raise CheckFailure(where, f"cannot evaluate: {exc}") from None
    except ArithmeticError as exc:
        raise CheckFailure(where, f"cannot evaluate: {exc}") from None


def _check_equality(eq, L, Sigma, w, wn2, a_ray, poly, SLB, out) -> None:
    """Exact proof of S = S_LB when S_LB is rational: (S_LB / (2 L a))^L = ||w*||^(2L-2), the stated S_LB lies in
    the enclosure of the bound's own formula, and S_LB/2 is the largest root of det(t I - M Sigma); plus the
    equality-family hypotheses (deep_linear.md §3)."""
    slb = exact(eq["S_LB"], "equality.S_LB")
    if slb <= 0 or (slb / (2 * L * a_ray)) ** L != wn2 ** (L - 1):
        raise CheckFailure("equality.S_LB", "is not 2 L a ||w*||^(2-2/L)")
    a, b = endpoints(SLB)
    if not a <= slb <= b:
        raise CheckFailure("equality.S_LB", "is not the value of the bound's formula")
    if lp.polyval(poly, slb / 2) != 0 or lp.count_roots_above(poly, slb / 2) != 0:
        raise CheckFailure("equality.S_LB", "S_LB / 2 is not the largest eigenvalue of M Sigma: S != S_LB")
    mu = _equality_family(Sigma, w, L)
    out.append(f"equality: S = S_LB = {eq['S_LB']} exactly; w* is an eigenvector of Sigma (mu = {mu}) and "
               f"L mu >= lambda_max(Sigma)")


def _equality_family(Sigma, w, L) -> Fraction:
    """The equality-family hypotheses (deep_linear.md §4, MC-MIN): Sigma w* = mu w* and L mu >= lambda_max(Sigma)."""
    Sw = lp.matvec(Sigma, w)
    i0 = next(i for i in range(len(w)) if w[i] != 0)
    mu = Sw[i0] / w[i0]
    if Sw != [mu * c for c in w]:
        raise CheckFailure("equality", "w* is not an eigenvector of Sigma (equality-family hypothesis)")
    if lp.count_roots_above(lp.charpoly(Sigma), L * mu) != 0:
        raise CheckFailure("equality", "L mu < lambda_max(Sigma) (equality-family hypothesis)")
    return mu
