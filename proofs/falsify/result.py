"""The falsifier's result: refuted with a counterexample (and certificate), or the worst ratio found."""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import mpmath

from implicitreg.numerics.exact import fraction_str
from implicitreg.proofs.falsify.conjecture import Conjecture
from implicitreg.proofs.falsify.constants import DEFAULT_ASSUME, EVAL_DIGITS
from implicitreg.proofs.falsify.evaluate import Probe


@dataclass
class FalsifyResult:
    """The outcome: ``refuted`` with a ``counterexample`` (and its ``certificate`` when the checker can re-verify
    every quantity the bound names), or the worst ``ratio`` found (lhs/bound for upper, bound/lhs for lower)."""

    refuted: bool
    conjecture: Conjecture
    depth: Fraction
    alpha_range: tuple[Fraction, Fraction]
    alpha_convention: str
    family: str
    seed: int
    budget: int
    evaluations: int
    skipped: int
    worst: Probe | None
    certificate: dict | None = None
    note: str = ""
    assume: tuple[str, ...] = DEFAULT_ASSUME

    @property
    def ratio(self):
        return self.worst.ratio if self.worst else None

    def to_json(self) -> dict:
        w = self.worst
        example = None
        if w is not None:
            example = {"instance": _data_json(w.instance), "alpha": fraction_str(w.alpha),
                       "alpha_convention": self.alpha_convention, "depth": fraction_str(self.depth),
                       "lhs": mpmath.nstr(w.lhs_value, 15), "bound": mpmath.nstr(w.bound_value, 15),
                       "ratio": mpmath.nstr(w.ratio, 15)}
        return {"refuted": self.refuted, "lhs": self.conjecture.lhs, "side": self.conjecture.side,
                "bound": self.conjecture.text, "depth": fraction_str(self.depth),
                "alpha_range": [fraction_str(a) for a in self.alpha_range], "alpha_convention": self.alpha_convention,
                "family": self.family, "assume": list(self.assume), "seed": self.seed, "budget": self.budget,
                "evaluations": self.evaluations, "skipped": self.skipped,
                "counterexample": example if self.refuted else None,
                "worst": None if self.refuted else example,
                "certificate": self.certificate, "note": self.note}

    def summary(self) -> str:
        c = self.conjecture
        rel = "<=" if c.side == "upper" else ">="
        head = f"conjecture: {c.lhs} {rel} {c.text}  (D = {self.depth}, alpha in [{_short(self.alpha_range[0])}, " \
               f"{_short(self.alpha_range[1])}], {self.alpha_convention} convention, family {self.family})"
        w = self.worst
        lines = [head]
        if w is None:
            lines.append(f"NOT REFUTED: no instance met the hypotheses ({self.skipped} skipped, {self.evaluations} "
                         f"evaluations, seed {self.seed})")
            return "\n".join(lines)
        data = _data_json(w.instance)
        mat = "X" if "X" in data else "A"
        rows, cols = len(data[mat]), len(data[mat][0])
        where = f"{mat} = {data[mat]}, y = {data['y']}, alpha = {_short(w.alpha)}"
        ratio_name = "lhs/bound" if c.side == "upper" else "bound/lhs"
        if self.refuted:
            lines.append(f"REFUTED by {rows} x {cols} instance: {where}")
            lines.append(f"  {c.lhs} = {mpmath.nstr(w.lhs_value, 12)}, bound = {mpmath.nstr(w.bound_value, 12)}, "
                         f"{ratio_name} = {mpmath.nstr(w.ratio, 12)}")
        else:
            gap = ""
            if abs(1 - w.ratio) < mpmath.mpf(10) ** (5 - EVAL_DIGITS):
                gap = " (= 1 to the certified digits: the bound is sharp here)"
            elif abs(1 - w.ratio) < mpmath.mpf(10) ** -6:
                gap = f" (1 - ratio = {mpmath.nstr(1 - w.ratio, 3)})"
            lines.append(f"NOT REFUTED: worst {ratio_name} = {mpmath.nstr(w.ratio, 12)}{gap} at {where}")
        lines.append(f"  {self.evaluations} evaluations ({self.skipped} instances skipped by the hypotheses "
                     f"{', '.join(self.assume)}), budget {self.budget}, seed {self.seed}")
        if self.note:
            lines.append("  " + self.note)
        return "\n".join(lines)


def _data_json(instance) -> dict:
    """The exact data as JSON strings: {"A", "y"} (diagonal) or {"X", "y"} (deep linear)."""
    if hasattr(instance, "X"):
        return {"X": [[fraction_str(v) for v in r] for r in instance.X], "y": [fraction_str(v) for v in instance.y]}
    return instance.to_json()


def _short(q: Fraction) -> str:
    if q.numerator == 1 and q.denominator > 1 and _is_power_of_ten(q.denominator):
        return f"1e-{len(str(q.denominator)) - 1}"
    return fraction_str(q)


def _is_power_of_ten(k: int) -> bool:
    return k >= 1 and str(k).strip("0") == "1" and str(k)[0] == "1"
