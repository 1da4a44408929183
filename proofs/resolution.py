"""Accuracy of what ``verify --instance`` measures on certified limits, and when a row is decided.

A certified limit (:class:`~implicitreg.numerics.dual_limit.LimitResult`) knows each entry to max(|x_i|, floor)
10^-digits. An error ||x_inf - x*|| (or a gap, a distance) computed from it is known to the sum of those: when that
is not below the value by :data:`MIN_RESOLVED_DIGITS` digits the value is the rounding of the limit, not the error,
and a row that compares, orders or fits it is *undecided* (``proofs/instance_verify.py`` lists it with the reason,
never as PASS or FAIL). A bound row is decided when moving each observation by its accuracy cannot change it
(:func:`decide`).
"""
from __future__ import annotations

from dataclasses import dataclass

import mpmath

from implicitreg.numerics.precision import mpf_from
from implicitreg.proofs.checks import Verdict, fmt

#: an error measured on certified limits is compared with a bound, ordered or fitted only when the limits resolve it to
#: this many significant digits (as the sweep's fits: MIN_FIT_DIGITS); below that the value is the rounding of the
#: limit, not the error, and the row is reported undecided (never PASS or FAIL)
MIN_RESOLVED_DIGITS = 3
#: the errors are wanted to this many significant digits (the suites' 30 certified digits); a limit that resolves
#: fewer is recomputed once with correspondingly more digits ...
WANTED_DIGITS = 30
#: ... if that needs at most this many certified digits (A = [1e-9999, 1] would need ~10^4: its error ~1e-10002 sits
#: on x* = (0, 1))
MAX_LIMIT_DIGITS = 300
UNDECIDED = "undecided"


def limit_accuracy(lim) -> list:
    """The absolute accuracy of each entry of a certified limit: max(|x_i|, floor) 10^-digits (the certificate of
    :class:`~implicitreg.numerics.dual_limit.LimitResult`: entries below ``floor`` are certified at that scale)."""
    with mpmath.workdps(lim.dps):
        ulp = mpmath.mpf(10) ** -lim.digits
        return [max(abs(v), lim.floor) * ulp for v in lim.x]


def resolved_digits(value, accuracy) -> int:
    """The significant digits of ``value`` left by an absolute ``accuracy``: floor(log10(|value| / accuracy)), 0 when
    the accuracy is not below |value| (a value of 0 included: it is not resolved as a size)."""
    if not value or accuracy >= abs(value):
        return 0
    if not accuracy:
        return MAX_LIMIT_DIGITS
    return int(mpmath.floor(mpmath.log10(abs(value) / accuracy)))


@dataclass
class Measured:
    """One quantity along an alpha grid: values, absolute accuracies, and what it is (for the reasons)."""

    what: str
    alphas: list
    values: list
    accuracy: list

    def digits(self) -> list[int]:
        return [resolved_digits(v, a) for v, a in zip(self.values, self.accuracy)]

    def unresolved(self, indices=None) -> str:
        """Why the values at ``indices`` (default all) are not all resolved to MIN_RESOLVED_DIGITS; "" when they are."""
        digits = self.digits()
        for k in (range(len(self.values)) if indices is None else indices):
            if digits[k] < MIN_RESOLVED_DIGITS:
                return (f"{self.what} = {fmt(self.values[k], 3)} at alpha = {self.alphas[k]} is not resolved: the "
                        f"certified limits leave +-{fmt(self.accuracy[k], 2)} ({digits[k]} significant digits, "
                        f"{MIN_RESOLVED_DIGITS} needed)")
        return ""

    def shifted(self, sign) -> list:
        """The values moved by ``sign`` times their accuracy (never below 0: they are norms), exactly (the values carry
        the limits' 100+ digits; a sum at the default 15 would round them)."""
        return [max(mpmath.fadd(v, mpmath.fmul(sign, a, exact=True), exact=True), 0)
                for v, a in zip(self.values, self.accuracy)]


class Limits:
    """Certified limits by (depth, product alpha), computed once; :meth:`resolving` raises the digits once when a
    measured quantity is not resolved to WANTED_DIGITS (and that needs at most MAX_LIMIT_DIGITS)."""

    def __init__(self, inst):
        self.inst = inst
        self.cache = {}

    def get(self, D, a, digits: int = 30):
        from implicitreg.numerics.dual_limit import gradient_flow_limit

        lim = self.cache.get((D, a))
        if lim is None or lim.digits < digits:
            lim = gradient_flow_limit(self.inst, D, a, alpha_convention="product", digits=digits)
            self.cache[(D, a)] = lim
        return lim

    def resolving(self, D, a, measure, digits: int = 30):
        """(limit, (value, accuracy)) with measure(limit) -> (value, accuracy), recomputed once with more digits when
        the value has fewer than WANTED_DIGITS resolved digits."""
        lim = self.get(D, a, digits)
        value, acc = measure(lim)
        have = resolved_digits(value, acc)
        more = lim.digits + WANTED_DIGITS - have + 5
        if have < WANTED_DIGITS and more <= MAX_LIMIT_DIGITS:
            lim = self.get(D, a, more)
            value, acc = measure(lim)
        return lim, (value, acc)


def error_norms(x_ref):
    """measure(limit) for :meth:`Limits.resolving`: ||x_inf - x_ref||_1 and its accuracy (x_ref exact)."""
    def measure(lim):
        acc = limit_accuracy(lim)
        with mpmath.workdps(lim.dps):
            return mpmath.fsum(abs(u - mpf_from(v)) for u, v in zip(lim.x, x_ref)), mpmath.fsum(acc)
    return measure


NOT_INFORMATIVE = "no alpha where the bound is informative"


def decide(build, side: str, measured: "Measured"):
    """(row, reason): the bound row ``build(observed)`` decided at the accuracy of ``measured``.

    It holds when it holds with every observation moved by its accuracy against the bound, fails when it fails with
    them moved towards it; otherwise the row is undecided and ``reason`` says why. A bound that is not informative at
    any alpha (a lower bound <= 0: the suites count that row as failed, so that a wrong bound cannot hide there) says
    nothing about the user's instance: undecided too."""
    towards, against = (-1, 1) if side == "upper" else (1, -1)
    row = build(measured.values)
    if row.note == NOT_INFORMATIVE:
        return row, (measured.unresolved() or f"the {side} bound is <= 0 at every alpha of the grid: it says nothing "
                     "here (smaller alphas may make it positive)")
    if min(measured.digits(), default=WANTED_DIGITS) >= WANTED_DIGITS:
        return row, ""  # every value to 30 digits: the suite's decision (CERTIFIED_SLACK 1e-25) stands
    if build(measured.shifted(against)).passed:
        return row, ""
    best = build(measured.shifted(towards))
    if not best.passed and best.note != NOT_INFORMATIVE:
        return row, ""
    return row, (measured.unresolved() or
                 f"{measured.what} and the bound agree within the accuracy of the certified limits")


def selection_accuracy(res) -> list:
    """The accuracy of each ||x_inf - x_g||_2 of :func:`~implicitreg.numerics.selection.selection_errors`: the limit's
    (l1 sum, an upper bound of the l2 one) plus that of x_g (exact when BP is unique; else its certified digits)."""
    sel = res.selection
    with mpmath.workdps(60):
        top = max((abs(v) for v in sel.x), default=mpmath.mpf(0))
        g = 0 if sel.unique_bp else len(sel.x) * top * mpmath.mpf(10) ** -max(sel.digits, 0)
        return [mpmath.fsum(limit_accuracy(lim)) + g for lim in res.limits]


def kkt_open(inst, lim, D) -> mpmath.mpf:
    """How large a KKT residual (relative, as :func:`~implicitreg.numerics.selection.kkt_residual`) the accuracy of
    the limit leaves open: over a basis d of ker A, sum_i |d_i| (h^-1)'(x_i/a) acc_i / a against the residual's scale
    sum_i |d_i h^-1(x_i/a)|. A residual below this is not a decision (A = [1e-9999, 1]: the scale is 1e-9998, the
    accuracy of x_1 is alpha 1e-44)."""
    from implicitreg.numerics.exact import nullspace
    from implicitreg.numerics.potentials import link_derivative, link_inverse

    acc = limit_accuracy(lim)
    worst = mpmath.mpf(0)
    with mpmath.workdps(lim.dps):
        a = lim.alpha_product
        for d in nullspace([list(r) for r in inst.A]):
            dm = [mpf_from(v) for v in d]
            t = [link_inverse(D, xi / a) for xi in lim.x]
            scale = mpmath.fsum(abs(di * ti) for di, ti in zip(dm, t)) or mpmath.mpf(1)  # as kkt_residual
            open_ = mpmath.fsum(abs(di) * ai / a / link_derivative(D, ti) for di, ai, ti in zip(dm, acc, t))
            worst = max(worst, open_ / scale)
    return worst


@dataclass
class NotApplicable:
    """A statement not checked on this instance: ``reason`` is the failing hypothesis (or why the mode skips it)."""

    theorem: str
    provenance: str
    depth: str
    reason: str
    kind: str = "hypothesis"  # "hypothesis": a hypothesis fails; "scope": not checkable on one instance;
    #                           "undecided": checkable, but not decided at the accuracy of the certified limits

    def to_json(self) -> dict:
        return {"theorem": self.theorem, "provenance": self.provenance, "depth": self.depth, "reason": self.reason,
                "kind": self.kind}


def not_applicable(theorem, depth, reason, kind="hypothesis"):
    return NotApplicable(theorem.name, theorem.provenance.kind, str(depth), reason, kind)


def undecided(row: Verdict, reason: str) -> NotApplicable:
    return NotApplicable(row.theorem, row.provenance, row.depth, reason, UNDECIDED)


def keep(rows, decided):
    """Append each (row, reason) of ``decided`` to ``rows``: the row when decided (no reason), else the undecided
    statement with its reason."""
    rows += [undecided(row, reason) if reason else row for row, reason in decided]


def keep_split(rows, report, decided):
    """As :func:`keep`, but the undecided statements go to ``report`` (the caller's rows are verdicts only)."""
    for row, reason in decided:
        (report.not_applicable.append(undecided(row, reason)) if reason else rows.append(row))
