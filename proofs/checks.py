"""Statements x computed results -> verdicts.

A :class:`Verdict` is one row of the ``implicitreg verify`` table: which theorem, its provenance,
the instance, depth and alpha range, the observed quantity against the bound, the margin, a
fitted log-log slope against the predicted one, and pass/fail.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import mpmath

from implicitreg.numerics.precision import mpf_from
from implicitreg.theory.statement import Bound


_NUMERIC_FIELDS = ("observed", "bound", "margin", "slope", "slope_predicted")


@dataclass
class Verdict:
    """One checked statement. ``observed``, ``bound``, ``margin``, ``slope``, ``slope_predicted`` hold numbers
    (mpf, Fraction, int, float) or, for checks that are not numeric, a short text; "" or None means none.

    The one defined margin (``docs/schema.md``): :attr:`margin_value` = observed / bound when both are numbers
    (1 = attained; an upper bound holds for <= 1, a lower bound for >= 1), else fitted slope / predicted slope,
    else None. The suite's own ``margin`` stays in the wide table. All formatting is in :meth:`cells`.
    """

    theorem: str
    provenance: str
    instance: str
    depth: str
    alpha_range: str
    observed: object
    bound: object
    margin: object
    passed: bool
    slope: object = ""
    slope_predicted: object = ""
    note: str = ""
    alpha_convention: str = "product"

    def number(self, name: str):
        """The field ``name`` as an mpf, or None when it is not a number (texts like "slope 2.0" are not)."""
        return _as_number(getattr(self, name))

    @property
    def margin_value(self):
        """observed / bound, else slope / slope_predicted, else None (see the class docstring)."""
        for num, den in (("observed", "bound"), ("slope", "slope_predicted")):
            a, b = self.number(num), self.number(den)
            if a is not None and b is not None and b != 0 and mpmath.isfinite(a) and mpmath.isfinite(b):
                return a / b
        return None

    def to_json(self) -> dict:
        """The verdict object of the output schema (numbers as number strings, null when missing)."""
        from implicitreg.schema import number_string

        def num(name, digits=10):
            v = self.number(name)
            return None if v is None else number_string(v, digits, strip_zeros=True)

        return {
            "theorem": self.theorem, "provenance": self.provenance, "instance": self.instance,
            "depth": _text_or_none(self.depth), "alpha_range": _text_or_none(self.alpha_range),
            "alpha_convention": _text_or_none(self.alpha_convention),
            "observed": num("observed"), "bound": num("bound"),
            "margin": None if self.margin_value is None else number_string(self.margin_value, 10, strip_zeros=True),
            "slope": num("slope"), "slope_predicted": num("slope_predicted"),
            "observed_text": _text(self.observed), "bound_text": _text(self.bound), "margin_text": _text(self.margin),
            "passed": bool(self.passed), "note": self.note or "",
        }

    def cells(self, columns) -> list[str]:
        """The table cells of ``columns`` (names of fields, plus "margin_value" and "result")."""
        out = []
        for c in columns:
            if c == "result":
                out.append("PASS" if self.passed else "FAIL")
            elif c == "margin_value":
                m = self.margin_value
                out.append("-" if m is None else fmt(m, 4))
            else:
                out.append(_text(getattr(self, c)) or "-")
        return out


def _as_number(x):
    if x is None or isinstance(x, bool):
        return None
    if isinstance(x, str):
        t = x.strip().lstrip("+")
        from implicitreg.schema import is_number_string

        if not is_number_string(t):
            return None
        if "/" in t:
            from fractions import Fraction

            import flint  # not Fraction(t): int() refuses strings of more than 4300 digits

            p, q = t.split("/")
            return mpf_from(Fraction(int(flint.fmpz(p)), int(flint.fmpz(q))))
        return mpmath.mpf(t)
    try:
        return mpf_from(x)
    except (TypeError, ValueError):
        return None


def _text(x) -> str:
    if x is None:
        return ""
    if isinstance(x, str):
        return x
    return fmt(x, 6)


def _text_or_none(x):
    t = _text(x)
    return None if t in ("", "-") else t


def fmt(x, digits: int = 6) -> str:
    """Short decimal text of an mpf/Fraction/number for tables."""
    if x is None:
        return ""
    if isinstance(x, str):
        return x
    return mpmath.nstr(x if isinstance(x, mpmath.mpf) else mpf_from(x), digits)


def compare(bound: Bound, observed, dps: int = 30, **values) -> tuple[bool, mpmath.mpf, mpmath.mpf]:
    """(holds, bound value, margin) with margin = observed / bound for both sides.

    For an upper bound a margin <= 1 passes; for a lower bound a margin >= 1 passes.
    """
    b = bound.evaluate(dps, **values)
    with mpmath.workdps(dps):
        obs = mpf_from(observed)
        margin = obs / b if b != 0 else mpmath.inf
    return bound.holds(obs, dps, **values), b, margin


def loglog_slope(xs: Sequence, ys: Sequence) -> mpmath.mpf:
    """Least-squares slope of log y against log x (the empirical rate exponent)."""
    if len(xs) != len(ys) or len(xs) < 2:
        raise ValueError("need at least two points of equal count to fit a slope")
    lx = [mpmath.log(mpf_from(x)) for x in xs]
    ly = [mpmath.log(mpf_from(y)) for y in ys]
    n = len(lx)
    mx = mpmath.fsum(lx) / n
    my = mpmath.fsum(ly) / n
    sxx = mpmath.fsum((a - mx) ** 2 for a in lx)
    sxy = mpmath.fsum((a - mx) * (b - my) for a, b in zip(lx, ly))
    return sxy / sxx


def local_slopes(xs: Sequence, ys: Sequence) -> list[mpmath.mpf]:
    """Slopes between consecutive points: log(y_{k+1}/y_k) / log(x_{k+1}/x_k)."""
    return [mpmath.log(mpf_from(ys[k + 1]) / mpf_from(ys[k])) / mpmath.log(mpf_from(xs[k + 1]) / mpf_from(xs[k]))
            for k in range(len(xs) - 1)]
