"""``implicitreg verify --instance FILE``: every stated theorem on the user's own instance.

For a diagonal-network instance (keys ``A``, ``y``) and each requested depth D, and for a deep-linear instance
(keys ``X``, ``y``) and each depth L, every registered statement is either

* **applicable**: its hypotheses hold on the instance (decided on exact facts: uniqueness of x* by the exact LP,
  rho exactly, rho_a = rho + K2 eps from the certified limit, ||w*|| > 0, ...), and it is checked: its bounds are
  evaluated over the alpha grid with certified gradient-flow limits (30 digits), rates are fitted, and the rows
  are the same :class:`~implicitreg.proofs.checks.Verdict` rows as ``implicitreg verify`` (the built-in suites'
  row functions run on the user's data); or
* **not applicable**, with the reason its hypothesis fails ("x* not unique", "rho = 0: the D = 2 error is
  O(alpha)", "depth D = 2 is not > 2", "needs (X, y)", ...); or
* **not checked on an instance**, with why (statements about scalars, or that need runs this mode does not make).

``certify`` writes the certificates that exist for the instance (MS-D2 / MS-D3 tightness-and-bounds certificates
of ``proofs/certify/`` for a diagonal instance with full row rank and unique x*; the MC-LB equality certificate
for a deep-linear instance in the equality family); ``implicitreg check`` verifies them.

alpha: a range LO:HI in the stated convention; the grid is log-spaced (7 points at D = 2, 5 at D > 2, 2 init
scales for deep linear networks, where alpha is the per-factor init scale s of MC-SI). The MS statements are in the
product convention: a factor-convention range is converted (alpha_prod = alpha^D, integer D).
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any, Sequence

import mpmath

from implicitreg.errors import (CertificateError, HypothesisNotMetError, InvalidInstanceError, InvalidParameterError,
                                NonUniqueMinimizerError)
from implicitreg.numerics.exact import fraction_str, short_text
from implicitreg.proofs.checks import Verdict, fmt
from implicitreg.numerics.precision import mpf_from
from implicitreg.proofs.instance_wah import _wah_rows
from implicitreg.proofs.resolution import (NOT_INFORMATIVE, UNDECIDED, WANTED_DIGITS,  # noqa: F401 (re-exported)
                                           Limits as _Limits, Measured as _Measured, NotApplicable,
                                           decide as _decide, error_norms as _error_norms, keep as _keep,
                                           limit_accuracy, not_applicable as _not_applicable, resolved_digits,
                                           undecided as _undecided)

DEFAULT_RANGE = {"diagonal": ("1e-30", "1e-4"), "deep-linear": ("1/100", "1/10")}
GRID_POINTS = {2: 7, 3: 5}
MAX_DEPTHS = 6
#: relative slack for S >= S_LB at a float64 gradient-flow limit stopped at excess loss 1e-13 (S - S_min = O(1e-6.5))
FLOW_SLACK = 1e-6
#: a unique x* with full support (N - s = 0): A is injective, so A x = y has no other solution, every error bound is 0
#: and x_g = x*; a computed limit differs from x* by rounding only, and comparing that rounding with 0 (or fitting a
#: rate to it) would report a false FAIL
FULL_SUPPORT = ("x* has full support (N - s = 0): A x = y has the single solution x*, so x_inf = x_g = x* at every "
                "alpha and every error is 0; nothing to check on computed limits")


@dataclass
class InstanceVerification:
    """The verdict rows, the statements not applicable (with reasons) and the certificates written."""

    instance: str
    problem: str
    verdicts: list[Verdict] = field(default_factory=list)
    not_applicable: list[NotApplicable] = field(default_factory=list)
    certificates: list[str] = field(default_factory=list)
    certificate_notes: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return bool(self.verdicts) and all(v.passed for v in self.verdicts)

    def to_json(self) -> dict:
        from implicitreg.schema import envelope

        return envelope("verify-instance", {
            "instance": self.instance, "problem": self.problem,
            "verdicts": [v.to_json() for v in self.verdicts], "passed": self.passed,
            "not_applicable": [n.to_json() for n in self.not_applicable],
            "certificates": self.certificates, "certificate_notes": self.certificate_notes})

    def format(self, wide: bool = False, width: int = 80) -> str:
        """The verdict table of ``implicitreg verify`` (``wide``: every column and the notes), then the statements
        not applicable with their reasons, then the certificates."""
        from implicitreg.proofs.verify import format_table

        hyp = [n for n in self.not_applicable if n.kind == "hypothesis"]
        scope = [n for n in self.not_applicable if n.kind == "scope"]
        undecided = [n for n in self.not_applicable if n.kind == UNDECIDED]
        lines = [f"instance {self.instance} ({self.problem})"]
        if undecided:
            lines.append(f"{len(undecided)} undecided (neither PASS nor FAIL; listed at the end with the reasons)")
        lines += ["", format_table(self.verdicts, wide=wide, width=width)]
        if hyp:
            lines += ["", "not applicable (a hypothesis fails):"]
            lines += [f"- {n.theorem} [{n.provenance}] (D = {n.depth}): {n.reason}" if n.depth != "-" else
                      f"- {n.theorem} [{n.provenance}]: {n.reason}" for n in hyp]
        if scope:
            lines += ["", "not checked on a single instance:"]
            lines += [f"- {n.theorem} [{n.provenance}]: {n.reason}" for n in scope]
        if undecided:
            lines += ["", "undecided (neither PASS nor FAIL at the accuracy of the certified limits):"]
            lines += [f"- {n.theorem} [{n.provenance}] (D = {n.depth}): {n.reason}" for n in undecided]
        if self.certificates or self.certificate_notes:
            lines += ["", "certificates (verify with `implicitreg check`):"]
            lines += [f"- {c}" for c in self.certificates] + [f"- {c}" for c in self.certificate_notes]
        return "\n".join(lines)


# --- input --------------------------------------------------------------------------------------------------

def load(source, name: str | None = None):
    """(problem, data): an :class:`Instance` (keys A, y) or a :class:`RegressionData` (keys X, y)."""
    from implicitreg.numerics.deep_linear import RegressionData
    from implicitreg.numerics.instance import Instance, read_json_file

    if isinstance(source, Instance):
        return "diagonal", source
    if isinstance(source, RegressionData):
        return "deep-linear", source
    if isinstance(source, (str, Path)):
        data = read_json_file(source)
        name = name or Path(source).stem
    else:
        data = source
    if not isinstance(data, dict):
        raise InvalidInstanceError("an instance is a JSON object with keys 'A', 'y' (diagonal) or 'X', 'y' (deep linear)")
    if "A" in data and "X" in data:
        raise InvalidInstanceError("an instance has either 'A' (diagonal networks) or 'X' (deep linear), not both")
    if "A" in data:
        return "diagonal", Instance.from_data(data, name=name or str(data.get("name", "instance")))
    if "X" in data:
        return "deep-linear", RegressionData.from_data(data, name=name or str(data.get("name", "data")))
    raise InvalidInstanceError("missing key 'A' (diagonal networks) or 'X' (deep linear networks)")


def _alpha_text(q: Fraction) -> str:
    if q.numerator == 1 and str(q.denominator).rstrip("0") == "1":
        return f"1e-{len(str(q.denominator)) - 1}"
    return fraction_str(q)


def alpha_grid(lo: Fraction, hi: Fraction, points: int) -> list[str]:
    """``points`` log-spaced alphas from hi down to lo (powers of ten when both ends are), as exact strings."""
    if lo == hi:
        return [_alpha_text(lo)]
    llo, lhi = math.log10(lo), math.log10(hi)
    out = []
    for k in range(points):
        t = lhi + (llo - lhi) * k / (points - 1)
        if k == 0:
            q = hi
        elif k == points - 1:
            q = lo
        elif float(llo).is_integer() and float(lhi).is_integer():
            q = Fraction(10) ** round(t)
        else:
            e = math.floor(t)
            q = Fraction(round(10 ** (t - e) * 10), 10) * Fraction(10) ** e
        text = _alpha_text(q)
        if text not in out:
            out.append(text)
    return out


def _parse_range(alpha_range, problem):
    from implicitreg.numerics.exact import parse_exact

    if alpha_range is None:
        alpha_range = DEFAULT_RANGE[problem]
    if isinstance(alpha_range, str):
        parts = alpha_range.split(":")
        if len(parts) != 2:
            raise InvalidParameterError(f"alpha range must be LO:HI, got {alpha_range!r}")
        alpha_range = parts
    try:
        lo, hi = (parse_exact(v, "alpha range") for v in alpha_range)
    except (TypeError, ValueError) as exc:
        raise InvalidParameterError(f"alpha range: {exc}") from None
    if not 0 < lo <= hi:
        raise InvalidParameterError(f"alpha range must satisfy 0 < LO <= HI, got {lo}:{hi}")
    if lo < Fraction(1, 10 ** 200):
        raise InvalidParameterError("alpha range: the smallest alpha supported in instance mode is 1e-200")
    return lo, hi


# --- diagonal networks --------------------------------------------------------------------------------------

def _all_theorems() -> dict:
    """Every registered statement (importing each theory module registers its statements)."""
    from implicitreg.theory import basis_pursuit, diagonal, selection, sharpness  # noqa: F401 - registration
    from implicitreg.theory.statement import THEOREMS

    return THEOREMS


def _diagonal(inst, depths, lo, hi, convention, report):
    from implicitreg.numerics.basis_pursuit import l1_minimizer
    from implicitreg.theory import diagonal, selection

    THEOREMS = _all_theorems()
    bp = l1_minimizer(inst)
    report.verdicts += _basis_pursuit_rows(inst, bp)
    sc = None
    try:
        from implicitreg.numerics.error_constants import support_constants

        sc = support_constants(inst)
    except NonUniqueMinimizerError as exc:
        bp_reason = f"x* not unique ({exc})"
    except HypothesisNotMetError:
        bp_reason = "x* = 0 (y = 0)"
    limits = _Limits(inst)  # shared by the statements: each certified limit is computed once
    for D in depths:
        facts = {"unique": bp.unique, "support_size": len(bp.support), "depth": D, "alpha": hi,
                 "rho": bp.rho, "consistent": True, "M": bp.value, "S_complement": inst.N - len(bp.support)}
        grid = _product_grid(lo, hi, D, convention)
        # MS-D2 / MS-D3
        for T in (diagonal.MS_D2_THEOREM, diagonal.MS_D3_THEOREM):
            failed = [msg for h in T.hypotheses if h.name != "rho_a < 1" and (msg := h.failure(facts))]
            if failed:
                report.not_applicable.append(_not_applicable(T, D, failed[0]))
                continue
            if sc.n == 0:
                report.not_applicable.append(_not_applicable(T, D, FULL_SUPPORT, "scope"))
                continue
            if T is diagonal.MS_D2_THEOREM:
                _file(report, _ms_d2(inst, sc, grid, limits))
                if sc.rho == 0:
                    report.not_applicable.append(NotApplicable("MS-D2 rate", "paper", str(D),
                                                               diagonal.rho_positive.reason))
            else:
                rows, reason = _ms_d3(inst, sc, D, grid, limits)
                _file(report, rows)
                if reason:
                    report.not_applicable.append(_not_applicable(T, D, reason))
        # WAH statements (per-factor alpha; the grid is converted)
        if bp.unique and len(bp.support) == inst.N:
            report.not_applicable += [_not_applicable(T, D, FULL_SUPPORT, "scope")
                                      for T in (selection.THM_D, selection.THM_C, selection.THM_E)]
        else:
            report.verdicts += _wah_rows(inst, bp, D, grid, facts, report, limits)
    deep = [D for D in depths if D > 2]
    if deep and sc is not None:
        _depth_comparison(inst, sc, report, limits)
    elif not deep:
        report.not_applicable.append(_not_applicable(diagonal.DEPTH_COMPARISON, "-", "no depth D > 2 requested"))
    else:
        report.not_applicable.append(_not_applicable(diagonal.DEPTH_COMPARISON, "-", bp_reason))
    report.not_applicable.append(_not_applicable(diagonal.DLN_LIMIT, "-", "checked as agreement of the certified "
                                                 "dual solve at p and 2p digits inside every limit used above (and "
                                                 "against the flow by the built-in suite)", "scope"))
    for T in (selection.LEMMA_B_2, selection.LEMMA_B, selection.KINK_TRANSITION, selection.SHARPNESS):
        report.not_applicable.append(_not_applicable(T, "-", "a statement about scalars or families, not about one "
                                                     "instance: checked by `implicitreg verify`", "scope"))
    kink = inst.m == 1 and inst.N == 2 and inst.A[0][0] == 1 and inst.y[0] == 1 and 0 < inst.A[0][1] < 1
    for T in (selection.KINK_CONSTANT, selection.KINK_P2, selection.KINK_CONTINUITY):
        if not kink:
            report.not_applicable.append(_not_applicable(T, "-", "the instance is not the kink family A = [1, 1 - eps], "
                                                         "y = 1 (0 < eps < 1)"))
        else:
            report.not_applicable.append(_not_applicable(T, "-", "the kink family: checked (with certificates) by "
                                                         "`implicitreg verify` and `implicitreg certify --theorem kink`",
                                                         "scope"))
    for T in THEOREMS.values():
        if T.name.startswith("MC-") or T.name == "DLN-imbalance":
            report.not_applicable.append(_not_applicable(T, "-", "a deep-linear statement: needs an instance with "
                                                         "X, y"))
    return sc


def _file(report, items):
    """Verdict rows to the report's verdicts, undecided statements (:class:`NotApplicable`) to its list of those."""
    for item in items:
        (report.not_applicable if isinstance(item, NotApplicable) else report.verdicts).append(item)


def _depth_comparison(inst, sc, report, limits=None):
    """The suite's depth comparison rows, on errors measured at the accuracy of the limits (else undecided)."""
    from implicitreg.proofs.suites.diagonal import DEPTH_ALPHAS, DEPTH_COMPARED, _depth_rows
    from implicitreg.theory.diagonal import DEPTH_COMPARISON as T

    if sc.n == 0:
        report.not_applicable.append(_not_applicable(T, "-", FULL_SUPPORT, "scope"))
        return
    limits = limits or _Limits(inst)
    errors, why = {}, ""
    for D in (2,) + DEPTH_COMPARED:
        values, accuracy = [], []
        for a in DEPTH_ALPHAS:
            _, (value, acc) = limits.resolving(Fraction(D), a, _error_norms(sc.x_star), digits=15)
            errors[(D, a)] = value
            values.append(value)
            accuracy.append(acc)
        why = why or _Measured(f"||x_inf - x*||_1 at D = {D}", DEPTH_ALPHAS, values, accuracy).unresolved()
    rows = _depth_rows(inst.name, inst, sc, False, errors=errors)
    if why:
        report.not_applicable += [_undecided(row, f"no ratio: {why}") for row in rows]
    else:
        report.verdicts += rows


def _product_grid(lo, hi, D, convention):
    points = GRID_POINTS[2 if D == 2 else 3]
    if convention == "product":
        return alpha_grid(lo, hi, points)
    if D.denominator != 1:
        raise InvalidParameterError("a factor-convention range with a non-integer depth cannot be converted exactly "
                                    "to the product scale: give the range in the product convention")
    k = D.numerator
    return alpha_grid(lo ** k, hi ** k, points)


def _basis_pursuit_rows(inst, bp) -> list[Verdict]:
    from implicitreg.numerics.vertex_enumeration import enumerate_l1
    from implicitreg.proofs.derivations import rho_duality as rd
    from implicitreg.proofs.suites.basis_pursuit import _verdict
    from implicitreg.theory.basis_pursuit import MAXIMAL_SUPPORT, RHO_DUALITY, RHO_NSP, RHO_UNIQUE

    from implicitreg.numerics.exact import columns, rank
    from implicitreg.theory.basis_pursuit import BP_UNIQUE

    rows = []
    if bp.support:
        injective = rank(columns(inst.A, bp.support)) == len(bp.support)
        strict = injective and bp.rho < 1
        rows.append(_verdict(BP_UNIQUE, inst.name, f"A_S injective: {injective}, rho = {fraction_str(bp.rho)} "
                             f"(strict certificate: {strict})", f"unique by the exact LP face: {bp.unique}",
                             strict == bool(bp.unique), note="" if strict == bool(bp.unique) else
                             "the criterion and the exact face disagree"))
    if inst.N <= 12:
        ref = enumerate_l1(inst.A, inst.y)
        agree = (bp.value == ref.value and bp.unique == ref.unique and bp.support == ref.support
                 and bp.signs == ref.signs and all(bp.face.contains(v) for v in ref.vertices))
        rows.append(_verdict(MAXIMAL_SUPPORT, inst.name, f"min {fraction_str(bp.value)}, S={list(bp.support)}, "
                             f"unique={bp.unique}, dim={bp.face.dimension}",
                             f"vertex enumeration ({len(ref.vertices)} optimal vertices)", agree,
                             note="" if agree else "exact LP and vertex enumeration disagree"))
    if bp.support:
        dual = rd.check_rho_duality(inst.A, bp.support, bp.signs)
        rows.append(_verdict(RHO_DUALITY, inst.name, f"rho = {fraction_str(bp.rho)}", dual.detail, dual.passed))
    if inst.N <= 12:
        uniq = rd.check_uniqueness_iff(inst)
        rows.append(_verdict(RHO_UNIQUE, inst.name, uniq.detail.split(",")[0], "unique by vertex enumeration",
                             uniq.passed, note="" if uniq.passed else uniq.detail))
    if bp.unique and bp.support and inst.N <= 8:
        nsp = rd.check_rho_le_nsp(inst.A, bp.support, bp.signs)
        rows.append(_verdict(RHO_NSP, inst.name, nsp.detail.split(",")[0], nsp.detail.split(", ", 1)[1],
                             nsp.passed))
    return rows


def _errors(inst, sc, D, grid, limits):
    """The suites' error data (e1, einf, max|x_C|, limit) per alpha and the three as :class:`_Measured`."""
    data, acc = [], []
    for a in grid:
        lim, _ = limits.resolving(D, a, _error_norms(sc.x_star))
        ac = limit_accuracy(lim)
        with mpmath.workdps(lim.dps):
            h = [u - mpf_from(v) for u, v in zip(lim.x, sc.x_star)]
            xC = max((abs(lim.x[j]) for j in sc.complement), default=mpmath.mpf(0))
            data.append((mpmath.fsum(abs(v) for v in h), max(abs(v) for v in h), xC, lim))
            acc.append((mpmath.fsum(ac), max(ac), max((ac[j] for j in sc.complement), default=mpmath.mpf(0))))
    return data, [_Measured(what, grid, [d[k] for d in data], [c[k] for c in acc])
                  for k, what in enumerate(("||x_inf - x*||_1", "||x_inf - x*||_inf", "||x_inf,S^c||_inf"))]


def _ms_d2(inst, sc, grid, limits=None) -> list:
    """The suite's MS-D2 rows on the instance, each decided at the accuracy of the limits; the undecided ones as
    :class:`NotApplicable` (kind "undecided") with the reason."""
    from implicitreg.numerics.error_constants import alpha_zero_d2
    from implicitreg.proofs.derivations.ms_d2 import check_on_limit
    from implicitreg.proofs.suites.diagonal import _d2_rows, apriori_applies

    data, (e1, einf, xC) = _errors(inst, sc, 2, grid, limits or _Limits(inst))
    nominal = _d2_rows(inst.name, inst, sc, grid, data=data)
    if not e1.unresolved() and min(e1.digits()) >= WANTED_DIGITS:
        return nominal  # every error to 30 digits: the suite's own decisions stand

    def variant(k, values, index):
        return _d2_rows(inst.name, inst, sc, grid, data=[
            tuple(values[j] if c == index else d[c] for c in range(4)) for j, d in enumerate(data)])[k]

    a0 = alpha_zero_d2(sc)
    small = [k for k, a in enumerate(grid) if apriori_applies(mpf_from(Fraction(a)), a0)]
    bound_rows = [(0, e1, 0, "upper"), (1, xC, 2, "upper"), (2, einf, 1, "lower")]
    if small:
        bound_rows.append((3, _Measured(e1.what, [grid[k] for k in small], [e1.values[k] for k in small],
                                        [e1.accuracy[k] for k in small]), 0, "upper"))
    decided = []
    for k, measured, index, side in bound_rows:
        if k == 3:  # the a-priori row runs on the alphas below alpha_0 only: pad the others with the nominal values
            def build(values, k=k, index=index):
                full = list(e1.values)
                for j, v in zip(small, values):
                    full[j] = v
                return variant(k, full, index)
        else:
            def build(values, k=k, index=index):
                return variant(k, values, index)
        decided.append(_decide(build, side, measured))
    rows = []
    _keep(rows, decided)
    # the lemma row: ms_d2.py's steps read the dual point w (decided); the error identity compares h_S with
    # -A_S^+ A_C x_C at 1e-20, so it needs the errors to more than 20 digits
    lemma = nominal[3 + bool(small)]
    if min(e1.digits()) > 20:
        rows.append(lemma)
    else:
        steps = all(check_on_limit(inst, d[3], sc).holds for d in data)
        rows.append(dataclasses.replace(lemma, theorem="MS-D2 lemmas (ms_d2.py steps 3-5, 9)", passed=steps,
                                        observed="extension LP, cosh sum, |w_C| <= M + log n"))
        rows.append(NotApplicable(
            "MS-D2 error identity", "derived", "2",
            (e1.unresolved() or "||x_inf - x*||_1 is resolved to fewer than the 21 digits the identity's 1e-20 "
             "tolerance needs"),
            UNDECIDED))
    if sc.rho > 0:
        rate = nominal[-1]
        tail = max(3, len(grid) // 2)
        why = e1.unresolved(range(len(grid) - tail, len(grid)))
        _keep(rows, [(rate, f"no rate: {why}" if why else "")])
    return rows


def _ms_d3(inst, sc, D, grid, limits=None):
    """MS-D3 rows on the alphas of the grid where rho_a = rho + K2 eps < 1 (decided on the certified limit), each
    decided at the accuracy of the limits (the undecided ones as in :func:`_ms_d2`), and the reason for the alphas
    left out."""
    from implicitreg.numerics.quantities import DiagonalRun, compute
    from implicitreg.proofs.suites.diagonal import _d3_rows

    limits = limits or _Limits(inst)
    keep, dropped = [], []
    for a in grid:
        run = DiagonalRun(inst, D, a)
        run.__dict__["constants"] = sc
        run.__dict__["limit"] = limits.get(D, a)
        (keep if compute("rho_a", run) < 1 else dropped).append(a)
    reason = ""
    if dropped:
        reason = (f"rho_a = rho + K2 eps >= 1 at alpha = {', '.join(dropped)} (above alpha_0): those alphas are "
                  "not checked")
    if len(keep) < 3:
        return [], (f"rho_a = rho + K2 eps >= 1 on the range except {len(keep)} alpha(s): give smaller alphas"
                    if dropped else "fewer than 3 alphas in the grid")
    data, (e1, einf, _) = _errors(inst, sc, D, keep, limits)
    nominal = _d3_rows(inst.name, inst, sc, D, keep, data=data)
    if not e1.unresolved() and min(e1.digits()) >= WANTED_DIGITS:
        return nominal, reason

    def variant(k, values, index):
        return _d3_rows(inst.name, inst, sc, D, keep, data=[
            tuple(values[j] if c == index else d[c] for c in range(4)) for j, d in enumerate(data)])[k]

    limit_row, upper, lower, lemma, spec, rate = nominal
    why = e1.unresolved()
    rows = []
    decided = [(limit_row, why and f"no limit: {why}" or
                (f"||x_inf - x*||_1 is resolved to {min(e1.digits())} digits only: the deviations from ||e_D||_1 "
                 "are compared above the 1e-22 rounding floor of 30-digit limits"
                 if min(e1.digits()) < 25 else "")),
               _decide(lambda v: variant(1, v, 0), "upper", e1), _decide(lambda v: variant(2, v, 1), "lower", einf)]
    _keep(rows, decided)
    rows += [lemma, spec]  # read the dual point w, not the errors
    tail = max(3, len(keep) // 2)
    why = e1.unresolved(range(len(keep) - tail, len(keep)))
    _keep(rows, [(rate, f"no rate: {why}" if why else "")])
    return rows, reason


def _diagonal_certificates(inst, depths, grid_for, report, directory):
    from implicitreg.proofs import certify

    certs = []
    for D in depths:
        theorem = "MS-D2" if D == 2 else "MS-D3"
        alphas = grid_for(D)[:3]
        try:
            cert = certify.diagonal_certificate(inst, D, alphas, theorem=theorem)
        except (HypothesisNotMetError, CertificateError, InvalidParameterError) as exc:
            report.certificate_notes.append(f"{theorem} at D = {D}: no certificate ({exc})")
            continue
        stem = f"{_stem(inst.name)}_{theorem.lower().replace('-', '_')}_D{fraction_str(D).replace('/', '_')}"
        certs.append((stem, cert))
    report.certificates += [str(p) for p in certify.write_all(directory, certs)] if certs else []


def _stem(name: str) -> str:
    keep = "".join(c if c.isalnum() or c in "-_" else "_" for c in name)
    return keep[:60] or "instance"


# --- deep linear networks -----------------------------------------------------------------------------------

def _deep_linear(data, depths, lo, hi, report):
    import numpy as np

    from implicitreg.numerics import deep_linear as dl
    from implicitreg.proofs.suites.deep_linear import _mc_lb_rows, _row
    from implicitreg.theory import sharpness as ts

    THEOREMS = _all_theorems()
    try:
        c = dl.data_constants(data, "mp")
    except InvalidParameterError:
        c = None
    for L in depths:
        if L.denominator != 1:
            for T in ts.THEOREMS:
                report.not_applicable.append(_not_applicable(T, L, f"depth L = {L} is not an integer >= 2"))
            continue
        L = int(L)
        if c is None:
            for T in ts.THEOREMS:
                report.not_applicable.append(_not_applicable(T, L, ts._target_nonzero.reason))
            continue
        _mc_lb_rows(data, L, np.random.default_rng(0), 3, report.verdicts)
        s_lb, s_si = (ts.MC_LB.bound("S_LB").evaluate(30, L=L, a=c.a, w_norm=c.w_norm),
                      ts.MC_SI.bound("S_SI").evaluate(30, L=L, Lambda=c.Lambda, w_norm=c.w_norm))
        for s in alpha_grid(lo, hi, 2):
            scale = float(Fraction(s))
            net0 = dl.small_init(data.d, L, scale, np.random.default_rng(1))
            res = dl.gradient_flow(net0, data, 1e6, rtol=1e-9, atol=1e-13, stop_excess_loss=1e-13)
            if res.status != 1:
                report.not_applicable.append(NotApplicable("MC-SI", "paper", str(L), f"gradient flow from scale s = "
                                                           f"{s} did not reach a global minimizer", "scope"))
                continue
            S = dl.sharpness_exact(res.net, data).value
            report.verdicts.append(_row("MC-SI [S <= 8 L Lambda |w*|^(2-2/L)]", "reconstructed", data.name, L, S,
                                        s_si, S / s_si, S <= s_si, note=f"init N(0, s^2) entries, s = {s} (seed 1); "
                                        "the constant is reconstructed"))
            report.verdicts.append(_row("MC-SI [S >= S_LB at the limit]", "paper", data.name, L, S, s_lb, S / s_lb,
                                        S >= s_lb * (1 - FLOW_SLACK), note=f"s = {s}; float64 flow stopped at "
                                        f"excess loss 1e-13: relative slack {FLOW_SLACK}"))
            drift = max(float(np.linalg.norm(np.asarray(dl.to_float(a) - dl.to_float(b), dtype=float), 2))
                        for a, b in zip(dl.imbalances(res.net), dl.imbalances(net0)))
            report.verdicts.append(_row("DLN-imbalance [D_k conserved]", "standard", data.name, L, drift, 1e-5,
                                        drift / 1e-5, drift <= 1e-5,
                                        note=f"||D_k(limit) - D_k(0)|| along the float64 flow (rtol 1e-9), s = {s}"))
        report.not_applicable.append(_not_applicable(ts.MC_RI, L, "needs a residual network with a unit head; "
                                                     "checked by `implicitreg verify`", "scope"))
        report.not_applicable.append(_not_applicable(ts.MC_EOS, L, "needs gradient-descent runs at several step "
                                                     "sizes; checked by `implicitreg verify`", "scope"))
    for T in THEOREMS.values():
        if T.name.startswith(("MS-", "WAH-", "BP-", "rho-", "DLN-limit", "Depth")):
            report.not_applicable.append(_not_applicable(T, "-", "a diagonal-network statement: needs an instance "
                                                         "with A, y"))


def _deep_certificates(data, depths, report, directory):
    from implicitreg.proofs import certify

    certs = []
    for L in depths:
        if L.denominator != 1:
            continue
        try:
            cert = certify.deep_linear_certificate([list(r) for r in data.X], list(data.y), int(L))
        except (HypothesisNotMetError, CertificateError, InvalidParameterError) as exc:
            report.certificate_notes.append(f"MC-LB at L = {L}: no certificate ({exc})")
            continue
        certs.append((f"{_stem(data.name)}_mc_lb_L{int(L)}", cert))
    report.certificates += [str(p) for p in certify.write_all(directory, certs)] if certs else []


# --- entry points -----------------------------------------------------------------------------------------------

def verify_instance(source, *, depths: Sequence | None = None, alpha_range=None, alpha_convention: str = "product",
                    certify: str | Path | None = None, name: str | None = None) -> InstanceVerification:
    """Every statement on one instance (a JSON file, a dict, an Instance or RegressionData); see the module doc.

    ``depths``: D values for a diagonal instance (default 2 and 3; real D allowed), integers L for deep linear
    (default 2 and 3). ``alpha_range``: "LO:HI" or a pair (default 1e-30:1e-4 for diagonal networks, 1/100:1/10
    for the init scale of deep linear networks). ``certify``: a directory for the certificates.
    """
    from implicitreg.numerics.potentials import alpha_convention_value, depth_value

    problem, data = load(source, name)
    alpha_convention_value(alpha_convention)
    if depths is None:
        depths = (2, 3)
    if isinstance(depths, (str, int, Fraction)):
        depths = (depths,)
    depths = list(dict.fromkeys(depth_value(d) for d in depths))
    if not depths or len(depths) > MAX_DEPTHS:
        raise InvalidParameterError(f"give between 1 and {MAX_DEPTHS} depths")
    from implicitreg.api.inputs import MAX_DEPTH, MAX_LAYERS  # the API's bounds on untrusted depths

    top = MAX_DEPTH if problem == "diagonal" else MAX_LAYERS
    if max(depths) > top:
        raise InvalidParameterError(f"depth must be at most {top}, got {short_text(max(depths))}")
    lo, hi = _parse_range(alpha_range, problem)
    report = InstanceVerification(data.name, problem)
    if problem == "diagonal":
        if hi >= 1:
            raise InvalidParameterError("alpha range: the theorems are about small alpha; give HI < 1")
        _diagonal(data, depths, lo, hi, alpha_convention, report)
        if certify is not None:
            _diagonal_certificates(data, depths, lambda D: _product_grid(lo, hi, D, alpha_convention), report,
                                   certify)
    else:
        _deep_linear(data, depths, lo, hi, report)
        if certify is not None:
            _deep_certificates(data, depths, report, certify)
    return report


def main(path, *, depths=None, alpha_range=None, alpha_convention="product", as_json=False, certify=None,
         out=None, wide: bool = False, csv: bool = False) -> int:
    import json
    import sys

    out = out or sys.stdout
    report = verify_instance(path, depths=depths, alpha_range=alpha_range, alpha_convention=alpha_convention,
                             certify=certify)
    if as_json:
        json.dump(report.to_json(), out, indent=2)
        out.write("\n")
    elif csv:
        from implicitreg.proofs.verify import format_csv

        out.write(format_csv(report.verdicts))
    else:
        out.write(report.format(wide=wide) + "\n")
    return 0 if report.passed else 1
