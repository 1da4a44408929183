"""The search: Hypothesis with ``target()``, a local optimizer (golden section in log alpha, coordinate search
on A), a greedy deterministic shrink; :func:`falsify` runs them in turn."""
from __future__ import annotations

import math
from fractions import Fraction
from typing import Sequence

from implicitreg.errors import CertificateError, HypothesisNotMetError, ImplicitRegError, InvalidParameterError
from implicitreg.numerics.exact import parse_exact, short_text
from implicitreg.numerics.golden_section import golden_section
from implicitreg.proofs.falsify.certificate import refutation_certificate
from implicitreg.proofs.falsify.conjecture import conjecture, hypotheses, problem_of
from implicitreg.proofs.falsify.constants import (DEEP_SEED, DEFAULT_ASSUME, DEFAULT_ASSUME_DEEP, FAMILIES, MAX_BUDGET,
                                                  MAX_M, MAX_N)
from implicitreg.proofs.falsify.evaluate import _Evaluator, _violates
from implicitreg.proofs.falsify.result import FalsifyResult
from implicitreg.proofs.falsify.strategies import alpha_strategy, data_strategy, instance_strategy


class _Refused(Exception):
    """Carries an InvalidParameterError raised inside the Hypothesis test out of it unchanged."""

    def __init__(self, error):
        super().__init__(str(error))
        self.error = error


class _Violation(Exception):
    def __init__(self, probe):
        super().__init__("violation")
        self.probe = probe


def _range(text_or_pair, name, integer=0):
    if isinstance(text_or_pair, str):
        parts = text_or_pair.split(":")
        if len(parts) != 2:
            raise InvalidParameterError(f"{name} must be LO:HI, got {text_or_pair!r}")
        lo, hi = parts
    else:
        try:
            lo, hi = text_or_pair
        except (TypeError, ValueError):
            raise InvalidParameterError(f"{name} must be a pair (lo, hi)") from None
    try:
        lo, hi = parse_exact(lo, name), parse_exact(hi, name)
    except ImplicitRegError as exc:  # parse_exact's message already names the option
        raise InvalidParameterError(str(exc)) from None
    if lo > hi:
        raise InvalidParameterError(f"{name}: lower end {short_text(lo)} above upper end {short_text(hi)}")
    if integer:
        if lo.denominator != 1 or hi.denominator != 1 or lo < 1 or hi > integer:
            raise InvalidParameterError(f"{name} must be integers in 1..{integer}, got {lo}:{hi}")
        return int(lo), int(hi)
    return lo, hi


def falsify(lhs: str, bound, *, depth=2, alpha_range=("1e-30", "1e-2"), alpha_convention: str = "product",
            family: str = "gaussian", m=(1, 3), N=(2, 6), budget: int = 200, seed: int = 0, side: str = "upper",
            assume: Sequence[str] = (), certify: bool = True) -> FalsifyResult:
    """Search for an instance and alpha violating ``lhs <side> bound``; see the module docstring.

    ``bound``: a string in the grammar of ``proofs/checker/grammar.py`` or a SymPy expression over the symbols of
    :mod:`implicitreg.theory.quantities`. ``alpha_range``: "LO:HI" or a pair, in ``alpha_convention``. ``m``, ``N``:
    "LO:HI" or pairs of integers. ``budget``: the number of (instance, alpha) evaluations of the Hypothesis phase
    (the shrink and the local optimizer may spend as much again). ``assume``: extra hypotheses by name
    (:func:`hypotheses`), on top of x* unique and nonzero.

    Deep linear networks (``lhs`` = ``sharpness``, ``S_min`` or ``S_bal``): ``depth`` is the integer L, ``alpha`` the
    per-factor init scale s (entries N(0, s^2), seed :data:`DEEP_SEED`), ``m`` the number n of samples and ``N`` the
    number d of features of the data (X, y). ``sharpness`` comes from a float64 gradient flow, so a violation is
    reported without a certificate (reproducible from the exact data, L, s and the seed).
    """
    from implicitreg.numerics.potentials import alpha_convention_value, depth_value

    conj = conjecture(lhs, bound, side)
    problem = problem_of(conj)
    D = depth_value(depth)
    alpha_convention_value(alpha_convention)
    from implicitreg.api.inputs import MAX_DEPTH, MAX_LAYERS  # the API's bounds on untrusted depths

    top = MAX_LAYERS if problem == "deep-linear" else MAX_DEPTH
    if D > top:
        raise InvalidParameterError(f"depth must be at most {top}, got {short_text(D)}")
    if problem == "deep-linear":
        if D.denominator != 1:
            raise InvalidParameterError(f"the depth L of a deep linear network is an integer >= 2, got {depth}")
        if alpha_convention != "factor":
            alpha_convention = "factor"  # alpha is the per-factor init scale s of every W_k entry
    if family not in FAMILIES:
        raise InvalidParameterError(f"family must be one of {', '.join(FAMILIES)}, got {family!r}")
    lo, hi = _range(alpha_range, "alpha range")
    if lo <= 0:
        raise InvalidParameterError("alpha range: alpha must be > 0")
    from implicitreg.numerics.precision import log10_abs, mpf_from

    if log10_abs(mpf_from(lo)) * (1 if alpha_convention == "product" else D) < -300:  # lo below 1e-308: no float
        raise InvalidParameterError("alpha range: the smallest product scale supported is 1e-300")
    if problem == "diagonal" and log10_abs(mpf_from(hi)) * (1 if alpha_convention == "product" else D) > 300:
        raise InvalidParameterError("alpha range: the largest product scale supported is 1e300")
    if problem == "deep-linear" and not (Fraction(1, 1000) <= lo and hi <= 10):
        raise InvalidParameterError("alpha range: the init scale of a deep linear network must lie in [1/1000, 10]")
    m_range, N_range = _range(m, "m", integer=MAX_M), _range(N, "N", integer=MAX_N)
    if problem == "diagonal" and N_range[1] <= m_range[0]:  # basis pursuit needs N > m: never widen a range silently
        raise InvalidParameterError(f"N must exceed m (an underdetermined system A x = y): no N in "
                                    f"{N_range[0]}:{N_range[1]} exceeds an m in {m_range[0]}:{m_range[1]}")
    if isinstance(budget, bool) or not isinstance(budget, int) or not 1 <= budget <= MAX_BUDGET:
        raise InvalidParameterError(f"budget must be an integer in 1..{MAX_BUDGET}, got {budget!r}")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise InvalidParameterError(f"seed must be a non-negative integer, got {seed!r}")
    table = hypotheses(problem)
    unknown = [a for a in assume if a not in table]
    if unknown:
        raise InvalidParameterError(f"unknown hypotheses {unknown}; known: {', '.join(table)}")
    default = DEFAULT_ASSUME if problem == "diagonal" else DEFAULT_ASSUME_DEEP
    assume_all = tuple(dict.fromkeys(default + tuple(assume)))

    ev = _Evaluator(conj, D, alpha_convention, assume_all, cap=3 * budget)
    strategy = instance_strategy(family, m_range, N_range) if problem == "diagonal" else \
        data_strategy(family, m_range, N_range)
    probe = _hypothesis_phase(ev, strategy, lo, hi, budget, seed)
    if probe is None:
        probe = _local_phase(ev, lo, hi, 2 * budget, entries=problem == "diagonal")
    if probe is not None and problem == "diagonal":
        ev.cap = ev.evaluations + 2 * budget + 50
        probe = _shrink(ev, probe, lo, hi, m_range[0], N_range[0])
    result = FalsifyResult(probe is not None, conj, D, (lo, hi), alpha_convention, family, seed, budget,
                           ev.evaluations, ev.skipped, probe if probe is not None else ev.best, assume=assume_all)
    if probe is not None and problem == "deep-linear":
        result.note = (f"no certificate: the sharpness of a float64 gradient-flow limit is not certified; the "
                       f"counterexample is reproducible from the exact data, L, alpha and init seed {DEEP_SEED}")
    elif probe is not None and certify:
        try:
            result.certificate = refutation_certificate(conj, probe.instance, D, probe.alpha, alpha_convention)
        except (HypothesisNotMetError, CertificateError) as exc:
            result.note = f"no certificate: {exc}"
    return result


def _hypothesis_phase(ev, inst_st, lo, hi, budget, seed):
    from hypothesis import HealthCheck, Phase, given, settings, target
    from hypothesis import seed as hseed

    @hseed(seed)
    @settings(max_examples=budget, database=None, deadline=None, derandomize=False, report_multiple_bugs=False,
              suppress_health_check=list(HealthCheck), phases=(Phase.generate, Phase.target, Phase.shrink),
              print_blob=False)
    @given(inst_st, alpha_strategy(lo, hi))
    def probe(instance, alpha):
        if instance is None:
            return
        try:
            pr = ev(instance, alpha)
        except InvalidParameterError as exc:  # the bound is undefined here: out of Hypothesis (no shrink, no retry)
            raise _Refused(exc) from None
        if pr is None:
            return
        target(max(min(pr.score, 1e6), -1e6), label="log(lhs/bound)")
        if _violates(pr):
            raise _Violation(pr)

    try:
        probe()
    except _Violation as v:
        return v.probe
    except _Refused as r:
        raise r.error from None
    return None


def _alpha_at(t: float, lo: Fraction, hi: Fraction) -> Fraction:
    """alpha = 10^t rounded to two significant digits, clipped to [lo, hi]."""
    e = math.floor(t)
    c = round(10 ** (t - e) * 10)
    a = Fraction(c, 10) * Fraction(10) ** e
    return min(max(a, lo), hi)


def _local_phase(ev, lo, hi, budget, entries: bool = True):
    """Golden section in log10 alpha, then a coordinate search on A, from the best instances found."""
    start = ev.evaluations
    tlo, thi = math.log10(lo), math.log10(hi)
    seeds = sorted(ev.top.values(), key=lambda p: p.ratio, reverse=True)[:3]
    for best in seeds:
        inst = best.instance

        def f(t, inst=inst):
            pr = ev(inst, _alpha_at(t, lo, hi))
            if _violates(pr):
                raise _Violation(pr)
            return pr.score if pr is not None else -1e9

        try:
            t = golden_section(f, tlo, thi, maximize=True, steps=16).x
            alpha = _alpha_at(t, lo, hi)
            cur = ev(inst, alpha)
            if cur is None or not entries:
                continue
            for step in (Fraction(1, 10), Fraction(1, 100)):
                improved = True
                while improved and ev.evaluations - start < budget:
                    improved = False
                    for i in range(inst.m):
                        for j in range(inst.N):
                            for sgn in (1, -1):
                                cand = _perturbed(inst, i, j, sgn * step)
                                if cand is None:
                                    continue
                                pr = ev(cand, alpha)
                                if _violates(pr):
                                    raise _Violation(pr)
                                if pr is not None and pr.ratio > cur.ratio:
                                    inst, cur, improved = cand, pr, True
        except _Violation as v:
            return v.probe
        if ev.evaluations - start >= budget:
            break
    return None


def _perturbed(inst, i, j, delta):
    """A with A[i][j] += delta and y re-planted from the old x* (so x* stays feasible): None if invalid."""
    from implicitreg.numerics.basis_pursuit import l1_minimizer
    from implicitreg.numerics.instance import Instance

    A = [list(r) for r in inst.A]
    A[i][j] += delta
    x = l1_minimizer(inst).x
    y = [sum((a * b for a, b in zip(row, x)), Fraction(0)) for row in A]
    try:
        return Instance.from_lists(A, y, name="candidate")
    except ImplicitRegError:
        return None


def _simpler(inst, m_min: int, N_min: int):
    """Smaller or simpler instances than ``inst`` (the planted x* stays feasible): a column off the support of x*
    removed, a row removed, an entry rounded to fewer decimals or set to 0."""
    from implicitreg.numerics.basis_pursuit import l1_minimizer
    from implicitreg.numerics.instance import Instance

    A, y = [list(r) for r in inst.A], list(inst.y)
    x = l1_minimizer(inst).x
    out = []
    if inst.N > max(N_min, inst.m + 1):
        for j in range(inst.N):
            if x[j] == 0:
                out.append(([[v for k, v in enumerate(r) if k != j] for r in A], y))
    if inst.m > m_min and inst.N > inst.m:
        for i in range(inst.m):
            out.append(([r for k, r in enumerate(A) if k != i], [v for k, v in enumerate(y) if k != i]))
    for i in range(inst.m):
        for j in range(inst.N):
            v = A[i][j]
            for w in (Fraction(0), Fraction(round(v)), Fraction(round(v * 10), 10)):
                if w != v and (w == 0 or w.denominator < v.denominator or abs(w.numerator) < abs(v.numerator)):
                    B = [list(r) for r in A]
                    B[i][j] = w
                    out.append((B, [sum((a * b for a, b in zip(r, x)), Fraction(0)) for r in B]))
                    break
    for B, z in out:
        try:
            yield Instance.from_lists(B, z, name="candidate")
        except ImplicitRegError:
            continue


def _shrink(ev, probe, lo, hi, m_min: int, N_min: int):
    """Greedy deterministic shrink of a violating probe: fewer columns and rows, simpler entries (each step must
    still violate the conjecture), then alpha to one significant digit."""
    best = probe
    improved = True
    while improved:
        improved = False
        for cand in _simpler(best.instance, m_min, N_min):
            pr = ev(cand, best.alpha)
            if _violates(pr):
                best, improved = pr, True
                break
            if ev.evaluations >= ev.cap:
                return best
    e = math.floor(math.log10(best.alpha))
    for a in (Fraction(10) ** e, Fraction(10) ** (e + 1)):
        if lo <= a <= hi and a != best.alpha:
            pr = ev(best.instance, a)
            if _violates(pr):
                return pr
    return best
