"""Evaluating a conjecture at (instance, alpha): the probe, its ratio, and when a violation is decided (beyond
the certified digits of the limit)."""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import mpmath

from implicitreg.errors import (ConvergenceError, HypothesisNotMetError, InvalidParameterError,
                                NonUniqueMinimizerError, PrecisionError)
from implicitreg.numerics.precision import mpf_from
from implicitreg.proofs.falsify.conjecture import Conjecture, failed, problem_of
from implicitreg.proofs.falsify.constants import DEEP_MARGIN, DEEP_SEED, DIGITS, EVAL_DIGITS, MIN_MARGIN


@dataclass
class Probe:
    """One evaluated (instance, alpha): ratio > 1 means the conjecture is violated there."""

    instance: Any
    alpha: Fraction
    lhs_value: Any
    bound_value: Any
    ratio: Any

    @property
    def score(self) -> float:
        if self.ratio == mpmath.inf:
            return 1e6
        return float(mpmath.log(self.ratio)) if self.ratio > 0 else -1e6


class _Evaluator:
    """Evaluates the conjecture at (instance, alpha) with a memo (so Hypothesis's replays are consistent)."""

    def __init__(self, conj: Conjecture, depth: Fraction, convention: str, assume, cap: int):
        from implicitreg.theory.statement import Bound, Provenance

        self.conj = conj
        self.depth = depth
        self.convention = convention
        self.assume = tuple(assume)
        self.bound = Bound("conjecture", conj.side, conj.lhs, conj.bound, Provenance("conjecture", "user"))
        self.memo: dict = {}
        self.runs: dict = {}  # instance data -> its first DiagonalRun (basis pursuit and support constants, shared)
        self.evaluations = 0
        self.skipped = 0
        self.cap = cap
        self.best: Probe | None = None
        self.top: dict = {}
        self.refused: InvalidParameterError | None = None

    def __call__(self, instance, alpha: Fraction) -> Probe | None:
        if self.refused is not None:  # the bound was undefined at an earlier point: every later call says so too
            raise self.refused
        key = (_data_key(instance), alpha)
        if key in self.memo:
            return self.memo[key]
        if self.evaluations >= self.cap:
            return None
        self.evaluations += 1
        try:
            probe = self._probe(instance, alpha)
        except InvalidParameterError as exc:
            self.refused = exc
            raise
        self.memo[key] = probe
        if probe is None:
            self.skipped += 1
        else:
            if self.best is None or probe.ratio > self.best.ratio:
                self.best = probe
            ikey = _data_key(instance)
            if ikey not in self.top or probe.ratio > self.top[ikey].ratio:
                self.top[ikey] = probe
        return probe

    def _probe(self, instance, alpha):
        from implicitreg.numerics.quantities import DeepLinearRun, DiagonalRun, compute

        if problem_of(self.conj) == "deep-linear":
            run = DeepLinearRun(instance, self.depth, alpha, seed=DEEP_SEED)
        else:
            # the search probes an instance at several alphas: its exact basis pursuit and support constants (exact
            # LPs) are computed once, by the instance's first run, and shared by DiagonalRun.at
            first = self.runs.get(_data_key(instance))
            run = first.at(alpha) if first is not None else \
                DiagonalRun(instance, self.depth, alpha, alpha_convention=self.convention, digits=DIGITS)
            self.runs.setdefault(_data_key(instance), run)
        try:
            if failed(run, self.assume):
                return None
            values = {name: compute(name, run) for name in self.conj.names}
            lhs = compute(self.conj.lhs, run)
        except (NonUniqueMinimizerError, HypothesisNotMetError):
            return None
        except InvalidParameterError:  # e.g. w* = 0: the deep-linear constants are undefined
            return None
        except (ConvergenceError, PrecisionError):
            return None  # the limit could not be certified here: no claim either way
        with mpmath.workdps(60):
            try:
                b = _bound_value(self.bound, values)
            except ZeroDivisionError:  # the bound is undefined here (1/log(1/alpha^2) at alpha = 1): no claim
                return None
            lhs = +mpf_from(lhs)
            # the bound's inputs (K1, eps, ...) come from the same limit: trust it to its certified digits too
            unc = _resolution(run, self.conj.lhs, lhs) + abs(b) * _relative_resolution(run)
            if self.conj.side == "upper":
                ratio = lhs / b if b > 0 else (mpmath.inf if lhs > b else mpmath.mpf(0))  # b <= 0: lhs > b
                decided = lhs - b > 2 * unc
            else:
                ratio = b / lhs if lhs > 0 else (mpmath.inf if b > lhs else mpmath.mpf(0))  # lhs <= 0: b > lhs
                decided = b - lhs > 2 * unc
            if ratio > 1 and not decided:
                ratio = mpmath.mpf(1)  # equal within the certified digits of the limit: no claim of a violation
        return Probe(instance, alpha, lhs, b, ratio)


def _bound_value(bound, values: dict) -> mpmath.mpf:
    """The bound at ``values``, a real number or +-inf. A division by zero propagates (the caller makes no claim at
    that point); a complex value (sqrt of a negative number), NaN or an overflow beyond mpmath's range is bad
    input: the bound is not a real number there, so no verdict can be given."""
    try:
        b = bound.evaluate(60, **values)
    except (TypeError, OverflowError, ValueError) as exc:
        reason = {TypeError: "not a real number", OverflowError: "beyond the range of mpmath"}.get(type(exc),
                                                                                                  "undefined")
        b = None
    else:
        reason = "not a number (NaN)" if mpmath.isnan(b) else None
    if reason is None:
        return b
    at = ", ".join(f"{k} = {mpmath.nstr(mpf_from(v), 6)}" for k, v in sorted(values.items()))
    raise InvalidParameterError(f"the bound {bound.expr} is undefined at {at or 'every point'} ({reason}); state it "
                                "where it is defined (e.g. --assume 'rho > 0')")


def _resolution(run, name: str, value) -> mpmath.mpf:
    """An upper bound on the error of the computed ``value`` of ``name`` (certified digits of the limit): a sum of
    N entries, each within max(|x_j|, floor) 10^-digits (numerics.dual_limit.LimitResult); other quantities
    relative 10^-20."""
    if run.problem == "diagonal" and name in ("err_l1", "err_l2", "err_inf", "X1", "gap"):
        lim = run.limit
        scale = max(max(abs(v) for v in lim.x), lim.floor)
        return len(lim.x) * scale * mpmath.mpf(10) ** (-min(lim.digits, EVAL_DIGITS) + 1)
    margin = DEEP_MARGIN if run.problem == "deep-linear" else Fraction(1, 10 ** 20)
    return abs(value) * mpf_from(margin)


def _relative_resolution(run) -> mpmath.mpf:
    if run.problem == "diagonal":  # the ratio is evaluated at 60 digits: never trust more than EVAL_DIGITS
        return mpmath.mpf(10) ** (-min(run.limit.digits, EVAL_DIGITS) + 5)
    return mpf_from(DEEP_MARGIN)


def _data_key(instance):
    return (instance.X, instance.y) if hasattr(instance, "X") else (instance.A, instance.y)


def _violates(probe: Probe | None) -> bool:
    if probe is None:
        return False
    margin = DEEP_MARGIN if hasattr(probe.instance, "X") else MIN_MARGIN
    return probe.ratio > 1 + mpf_from(margin)
