"""Statements x computed results -> verdicts.

A :class:`Verdict` is one row of the ``implicitreg verify`` table: which theorem, its provenance,
the instance, depth and alpha range, the observed quantity against the bound, the margin, a
fitted log-log slope against the predicted one, and pass/fail.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Sequence

import mpmath

from implicitreg.theory.statement import Bound, to_mpf


@dataclass
class Verdict:
    theorem: str
    provenance: str
    instance: str
    depth: str
    alpha_range: str
    observed: str
    bound: str
    margin: str
    passed: bool
    slope: str = ""
    slope_predicted: str = ""
    note: str = ""
    alpha_convention: str = "product"

    def to_json(self) -> dict:
        return asdict(self)


def fmt(x, digits: int = 6) -> str:
    """Short decimal text of an mpf/Fraction/number for tables."""
    if x is None:
        return ""
    if isinstance(x, str):
        return x
    return mpmath.nstr(x if isinstance(x, mpmath.mpf) else to_mpf(x), digits)


def compare(bound: Bound, observed, dps: int = 30, **values) -> tuple[bool, mpmath.mpf, mpmath.mpf]:
    """(holds, bound value, margin) with margin = observed / bound for both sides.

    For an upper bound a margin <= 1 passes; for a lower bound a margin >= 1 passes.
    """
    b = bound.evaluate(dps, **values)
    with mpmath.workdps(dps):
        obs = to_mpf(observed)
        margin = obs / b if b != 0 else mpmath.inf
    return bound.holds(obs, dps, **values), b, margin


def loglog_slope(xs: Sequence, ys: Sequence) -> mpmath.mpf:
    """Least-squares slope of log y against log x (the empirical rate exponent)."""
    if len(xs) != len(ys) or len(xs) < 2:
        raise ValueError("need at least two points of equal count to fit a slope")
    lx = [mpmath.log(to_mpf(x)) for x in xs]
    ly = [mpmath.log(to_mpf(y)) for y in ys]
    n = len(lx)
    mx = mpmath.fsum(lx) / n
    my = mpmath.fsum(ly) / n
    sxx = mpmath.fsum((a - mx) ** 2 for a in lx)
    sxy = mpmath.fsum((a - mx) * (b - my) for a, b in zip(lx, ly))
    return sxy / sxx


def local_slopes(xs: Sequence, ys: Sequence) -> list[mpmath.mpf]:
    """Slopes between consecutive points: log(y_{k+1}/y_k) / log(x_{k+1}/x_k)."""
    return [mpmath.log(to_mpf(ys[k + 1]) / to_mpf(ys[k])) / mpmath.log(to_mpf(xs[k + 1]) / to_mpf(xs[k]))
            for k in range(len(xs) - 1)]
