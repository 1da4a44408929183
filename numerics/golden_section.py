"""Golden-section search for the extremum of a unimodal function of one variable, in floats or in mpmath, and
Brent's method (golden section with parabolic steps) for the minimum of a smooth or piecewise smooth one.

:func:`golden_section` serves the falsifier's search in log alpha (floats, a fixed number of evaluations,
maximizing); :func:`brent_minimum` the exact minimum sharpness of deep linear networks (mpf, until the bracket is
narrower than a width: superlinear where the function is smooth, never slower than golden section by more than a
factor ~2 where it is not).

>>> import mpmath
>>> from implicitreg.numerics.golden_section import golden_section
>>> r = golden_section(lambda x: (x - 2) ** 2, 0.0, 5.0, width=1e-9)
>>> abs(r.x - 2) < 1e-8 and r.lo <= 2 <= r.hi
True
>>> with mpmath.workdps(40):
...     r = golden_section(mpmath.sin, mpmath.mpf(0), mpmath.mpf(3), maximize=True, width=mpmath.mpf(10) ** -35)
...     print(abs(r.x - mpmath.pi / 2) < mpmath.mpf(10) ** -18, r.fx == mpmath.sin(r.x))
True True
>>> golden_section(lambda x: -x * x, -1.0, 3.0, maximize=True, steps=10).iterations
10
>>> with mpmath.workdps(80):  # a smooth minimum is resolved to about half the working digits
...     r = brent_minimum(lambda x: (x - 2) ** 2 + 1, mpmath.mpf(0), mpmath.mpf(5), mpmath.mpf(10) ** -35)
...     print(abs(r.x - 2) < mpmath.mpf(10) ** -34, r.lo <= 2 <= r.hi, r.hi - r.lo <= mpmath.mpf(10) ** -35,
...           r.iterations < 20)
True True True True
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable

import mpmath


@dataclass(frozen=True, kw_only=True)
class GoldenSection:
    """The result of either search: ``x`` and ``fx`` the best point found and its value, ``lo``/``hi`` the final
    bracket, ``iterations`` the evaluations after the first (golden section: the first two)."""

    x: Any
    fx: Any
    lo: Any
    hi: Any
    iterations: int


def golden_section(f: Callable, lo, hi, *, maximize: bool = False, steps: int | None = None,
                   width=None) -> GoldenSection:
    """Shrink the bracket [lo, hi] around the minimum (``maximize``: maximum) of a unimodal ``f`` by the golden ratio
    per evaluation, for ``steps`` evaluations or until ``hi - lo <= width`` (whichever comes first; one is
    required). The arithmetic is that of ``lo`` and ``hi`` (float, or mpf at the current precision); ties keep the
    left point."""
    if steps is None and width is None:
        raise ValueError("golden_section needs steps or width")
    mp = isinstance(lo, mpmath.mpf) or isinstance(hi, mpmath.mpf)
    invphi = (mpmath.sqrt(5) - 1) / 2 if mp else (math.sqrt(5) - 1) / 2
    left_wins = (lambda u, v: u >= v) if maximize else (lambda u, v: u <= v)
    x1, x2 = hi - invphi * (hi - lo), lo + invphi * (hi - lo)
    f1, f2 = f(x1), f(x2)
    it = 0
    while (steps is None or it < steps) and (width is None or hi - lo > width):
        it += 1
        if left_wins(f1, f2):
            hi, x2, f2 = x2, x1, f1
            x1 = hi - invphi * (hi - lo)
            f1 = f(x1)
        else:
            lo, x1, f1 = x1, x2, f2
            x2 = lo + invphi * (hi - lo)
            f2 = f(x2)
    x, fx = (x1, f1) if left_wins(f1, f2) else (x2, f2)
    return GoldenSection(x=x, fx=fx, lo=lo, hi=hi, iterations=it)


def brent_minimum(f: Callable, lo, hi, width) -> GoldenSection:
    """The minimum of a unimodal ``f`` on [lo, hi] by Brent's method (R. P. Brent, Algorithms for Minimization without
    Derivatives, 1973, ch. 5: a parabola through the three best points when its step is inside the bracket and
    shorter than half the step before last, a golden-section step otherwise), until ``hi - lo <= width``. The
    arithmetic is that of ``lo`` and ``hi`` (float, or mpf at the current precision)."""
    mp = isinstance(lo, mpmath.mpf) or isinstance(hi, mpmath.mpf)
    c = (3 - mpmath.sqrt(5)) / 2 if mp else (3 - math.sqrt(5)) / 2
    a, b = lo, hi
    x = w = v = a + c * (b - a)
    fx = fw = fv = f(x)
    d = e = 0 * x
    tol = width / 4  # the loop ends when [a, b] lies within 2 tol of x on both sides: b - a <= 4 tol
    it = 0
    while b - a > width:
        m = (a + b) / 2
        if abs(x - m) <= 2 * tol - (b - a) / 2:
            break
        parabolic = False
        if abs(e) > tol:
            r = (x - w) * (fx - fv)
            q = (x - v) * (fx - fw)
            p = (x - v) * q - (x - w) * r
            q = 2 * (q - r)
            if q > 0:
                p = -p
            q = abs(q)
            if abs(p) < abs(q * e / 2) and q * (a - x) < p < q * (b - x):
                e, d = d, p / q  # the parabola's vertex
                parabolic = True
                if (x + d) - a < 2 * tol or b - (x + d) < 2 * tol:
                    d = tol if x < m else -tol
        if not parabolic:
            e = (b - x) if x < m else (a - x)
            d = c * e
        u = x + (d if abs(d) >= tol else (tol if d > 0 else -tol))
        fu = f(u)
        it += 1
        if fu <= fx:
            if u < x:
                b = x
            else:
                a = x
            v, fv, w, fw, x, fx = w, fw, x, fx, u, fu
        else:
            if u < x:
                a = u
            else:
                b = u
            if fu <= fw or w == x:
                v, fv, w, fw = w, fw, u, fu
            elif fu <= fv or v == x or v == w:
                v, fv = u, fu
    return GoldenSection(x=x, fx=fx, lo=a, hi=b, iterations=it)
