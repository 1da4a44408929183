"""The API of the gradient-flow limit x_inf(alpha) of depth-D diagonal networks and of the l1 minimizer the
flow selects: :func:`gradient_flow_limit`, :func:`selected_minimizer` and their results.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from implicitreg.api.inputs import (_convention, _depth, _digits, _floats, _head, _ns, _nss, _positive,
                                    as_instance)

@dataclass(frozen=True)
class GradientFlowLimit:
    """x_inf(alpha), the limit of gradient flow of a depth-D diagonal network (``docs/theory/dln.md``).

    ``x`` (mpf) carries ``digits_certified`` significant digits, proved by agreement of two independent
    solves (precision p vs 2p); ``digits_requested`` is what was asked. ``alpha`` is the scale as given,
    ``alpha_convention`` its convention, ``alpha_product`` = u(0)^D. Entries below ``floor`` in magnitude are
    certified at the scale ``floor``. ``residual`` = ||A x - y||_inf.
    """

    x: tuple
    digits_certified: int
    digits_requested: int
    depth: Fraction
    alpha: Fraction
    alpha_convention: str
    alpha_product: Any
    floor: Any
    residual: Any
    nu: tuple
    dps: int
    iterations: int
    instance: Any = field(repr=False)
    raw: Any = field(repr=False, default=None)

    def x_str(self, digits: int | None = None) -> list[str]:
        """Decimal strings of x rounded to ``digits`` (default: requested) significant digits, each within one unit
        of its last digit of the exact limit."""
        return self.raw.x_str(self.digits_requested if digits is None else digits)

    def to_numpy(self):
        """x as a float64 array."""
        return _floats(self.x)

    def to_json(self) -> dict:
        inst = self.instance
        return _head(
            "limit", instance=inst.name, m=inst.m, N=inst.N, depth=_ns(self.depth), alpha=_ns(self.alpha),
            alpha_convention=self.alpha_convention, alpha_product=_ns(self.alpha_product, 30), x=self.x_str(),
            digits_certified=self.digits_certified, digits_requested=self.digits_requested,
            floor=_ns(self.floor, 10), residual=_ns(self.residual, 10), nu=_nss(self.nu, self.digits_requested),
            dps=self.dps, iterations=self.iterations)


def gradient_flow_limit(A, y=None, depth=2, alpha="1e-10", *, alpha_convention: str = "product",
                        digits: int = 30) -> GradientFlowLimit:
    """The certified limit x_inf(alpha) of gradient flow on 1/2 ||A x - y||^2 with x = u^D - v^D.

    ``depth`` D >= 2 is real (``2.5``, ``"5/2"``); ``alpha`` > 0 in ``alpha_convention`` ("product":
    u(0)^D = alpha; "factor": u(0) = alpha). ``digits`` significant digits are certified (at most 5000) or
    :class:`~implicitreg.errors.PrecisionError` is raised.
    """
    from implicitreg.numerics.dual_limit import gradient_flow_limit as _limit

    inst = as_instance(A, y)
    D, a = _depth(depth), _positive(alpha, "alpha")
    digits = _digits(digits, "limit")
    res = _limit(inst, D, a, alpha_convention=_convention(alpha_convention), digits=digits)
    return GradientFlowLimit(tuple(res.x), res.digits, digits, res.depth, res.alpha, res.alpha_convention,
                             res.alpha_product, res.floor, res.residual, tuple(res.nu), res.dps, res.iterations,
                             inst, res)



@dataclass(frozen=True)
class SelectedMinimizer:
    """x_g = argmin G_D over the face X_BP: the l1 minimizer gradient flow of depth D selects (WAH write D as p;
    ``docs/theory/wah.md``). ``depth`` is a Fraction or ``"inf"`` (the analytic centre)."""

    x: tuple
    depth: Any
    digits_certified: int
    digits_requested: int
    unique: bool
    support: tuple
    face_dimension: int
    functional: str
    iterations: int
    instance: Any = field(repr=False)

    PROVENANCE = ("functional g_p: authors' code (Wind, Antun & Hansen); selection x_inf -> x_g(p): paper "
                  "(depends on depth), proof derived; p = inf (analytic centre): derived")

    def to_numpy(self):
        return _floats(self.x)

    def to_json(self) -> dict:
        import mpmath

        inst, d = self.instance, self.digits_requested
        xs = [mpmath.nstr(v, d, strip_zeros=False).replace("e+", "e") if v != 0 else "0" for v in self.x]
        return _head(
            "select", instance=inst.name, m=inst.m, N=inst.N,
            depth="inf" if self.depth == "inf" else _ns(Fraction(self.depth)), x=xs,
            digits_certified=self.digits_certified, digits_requested=d, unique=self.unique,
            support=list(self.support), face_dimension=self.face_dimension, functional=self.functional,
            iterations=self.iterations, provenance=self.PROVENANCE)


def selected_minimizer(A, y=None, depth=2, *, digits: int = 40) -> SelectedMinimizer:
    """The l1 minimizer selected by gradient flow of depth D (real D >= 2, or ``"inf"``/``math.inf`` for the
    analytic centre), with ``digits`` certified significant digits (at most 10000)."""
    from implicitreg.numerics.selection import selected_minimizer as _select, selection_depth

    inst = as_instance(A, y)
    if isinstance(depth, float) and math.isinf(depth) and depth > 0:
        depth = "inf"
    D = "inf" if isinstance(depth, str) and depth.strip().lower() in ("inf", "infinity") else _depth(depth)
    D = selection_depth(D)
    digits = _digits(digits, "select")
    res = _select(inst, D, digits=digits)
    return SelectedMinimizer(tuple(res.x), res.depth, res.digits, digits, res.unique_bp, tuple(res.support),
                             res.face_dimension, res.functional, res.iterations, inst)
