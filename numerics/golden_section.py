"""Golden-section search for the extremum of a unimodal function of one variable, in floats or in mpmath.

One loop serves the exact minimum sharpness of deep linear networks (mpf, until the bracket is narrower than a
width) and the falsifier's search in log alpha (floats, a fixed number of evaluations, maximizing).

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
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable

import mpmath


@dataclass(frozen=True, kw_only=True)
class GoldenSection:
    """The result: ``x`` and ``fx`` the best point found and its value, ``lo``/``hi`` the final bracket,
    ``iterations`` the evaluations after the first two."""

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
