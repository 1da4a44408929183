"""The diagonal suite's row verdicts as pure functions, each fed known violations (one conjunct, one bound side, one
list position at a time), and the rows' use of them: each verdict function forced to False must turn its row to
FAIL on a tiny run (row [1, 1/2], three alphas; SymPy proofs and solvers stubbed where they are not the input).

Expected verdicts come from the docstrings (docs/theory/dln.md for the statements), never from running the code:
an upper bound holds for observed <= bound, a lower one for observed >= bound, equality within the certified slack
1e-25 (relative) is attainment; a rate fit passes within 0.02 (inclusive) and must reject the exponent +- 0.1.
"""
from __future__ import annotations

from fractions import Fraction as F
from types import SimpleNamespace

import mpmath
import pytest

from rowtools import one_off
from implicitreg.proofs.suites import diagonal as sd

M = mpmath.mpf


# ---------------------------------------------------------------- rate rows: the fit and the shifted exponents

def test_slope_constants():
    assert sd.SLOPE_TOL == F(2, 100) and sd.MUTANT_SHIFT == F(1, 10)


def test_slope_fits_is_inclusive_and_two_sided(dps60):
    tol = sd.mpf_from(sd.SLOPE_TOL)
    ulp = M(10) ** -55
    pred = M(3) / 7
    assert sd.slope_fits(pred, pred) is True
    for sign in (1, -1):
        assert sd.slope_fits(pred + sign * tol, pred) is True             # exactly at the tolerance
        assert sd.slope_fits(pred + sign * (tol - ulp), pred) is True
        assert sd.slope_fits(pred + sign * (tol + ulp), pred) is False
        assert sd.slope_fits(pred + sign * M("0.1"), pred) is False       # the exponent off by 0.1


def test_rate_comparisons_at_exact_dyadic_boundaries():
    """With dyadic slope, prediction, tolerance and shift every difference is exact: |slope - pred| = tol fits,
    |slope - (pred +- shift)| = tol is not a rejection."""
    tol, shift = F(1, 64), F(1, 8)
    half = M(1) / 2
    assert sd.slope_fits(half + M(1) / 64, half, tol) is True and sd.slope_fits(half - M(1) / 64, half, tol) is True
    assert sd.slope_fits(half + M(1) / 32, half, tol) is False
    for sign in (1, -1):
        at = half + sign * (M(1) / 8 + M(1) / 64)
        assert sd.shifted_exponents_rejected(at, half, tol, shift) is False
        assert sd.shifted_exponents_rejected(half + sign * (M(1) / 8 + M(1) / 32), half, tol, shift) is True


def test_shifted_exponents_rejected_on_each_side(dps60):
    tol, shift = sd.mpf_from(sd.SLOPE_TOL), sd.mpf_from(sd.MUTANT_SHIFT)
    ulp = M(10) ** -55
    pred = M("0.75")
    assert sd.shifted_exponents_rejected(pred, pred) is True
    for sign in (1, -1):
        near = pred + sign * shift
        assert sd.shifted_exponents_rejected(near, pred) is False                      # the mutant itself
        assert sd.shifted_exponents_rejected(near - sign * tol, pred) is False         # exactly tol from it
        assert sd.shifted_exponents_rejected(near - sign * (tol + ulp), pred) is True
        assert sd.shifted_exponents_rejected(near + sign * tol, pred) is False
        assert sd.shifted_exponents_rejected(near + sign * (tol + ulp), pred) is True


def test_rate_verdict_needs_both_conjuncts(dps60):
    pred = M("0.5")
    assert sd.rate_verdict(pred + M("0.019"), pred) is True
    assert sd.rate_verdict(pred + M("0.021"), pred) is False and sd.rate_verdict(pred - M("0.021"), pred) is False
    assert sd.rate_verdict(pred + M("0.1"), pred) is False and sd.rate_verdict(pred - M("0.1"), pred) is False
    # only the shifted-exponent rejection fails: the fit is within a wide tolerance but so is pred +- shift
    assert sd.rate_verdict(pred + M("0.05"), pred, tol=F(6, 100)) is False
    assert sd.rate_verdict(pred - M("0.05"), pred, tol=F(6, 100)) is False
    assert sd.rate_verdict(pred + M("0.05"), pred, tol=F(6, 100), shift=F(1, 2)) is True
    # only the fit fails: far from pred, far from both shifted exponents
    assert sd.shifted_exponents_rejected(pred + M("0.25"), pred) is True
    assert sd.rate_verdict(pred + M("0.25"), pred) is False


# ---------------------------------------------------------------- bound rows

@pytest.mark.parametrize("side, b, informative", [("lower", M(0), False), ("lower", M(-1), False),
                                                  ("lower", M("1e-300"), True), ("upper", M(0), True),
                                                  ("upper", M(-1), True)])
def test_bound_informative(side, b, informative):
    assert sd.bound_informative(side, b) is informative


def test_bound_ratio():
    assert sd.bound_ratio(M(6), M(3)) == 2 and sd.bound_ratio(M(0), M(0)) == 0
    assert sd.bound_ratio(M("1e-30"), M(0)) == mpmath.inf and sd.bound_ratio(M(-1), M(0)) == mpmath.inf


def test_attained_within_is_relative_and_two_sided(dps60):
    s = sd.CERTIFIED_SLACK
    assert abs(s / M(10) ** -25 - 1) < M(10) ** -15          # 1e-25 at double precision
    for sign in (1, -1):
        assert sd.attained_within(1 + sign * s) is True
        assert sd.attained_within(1 + sign * s * M("0.99")) is True
        assert sd.attained_within(1 + sign * s * M("1.01")) is False      # a violation just above the slack
    assert sd.attained_within(M(1)) is True and sd.attained_within(M(2)) is False


@pytest.mark.parametrize("side, obs, b, ok", [("upper", 1, 1, True), ("upper", 1, 2, True), ("upper", 2, 1, False),
                                              ("lower", 1, 1, True), ("lower", 2, 1, True), ("lower", 1, 2, False),
                                              ("equality", 1, 1, False), ("", 1, 2, False)])
def test_on_bound_side(side, obs, b, ok):
    assert sd.on_bound_side(side, M(obs), M(b)) is ok


@pytest.mark.parametrize("k", [0, 2, 4])
def test_upper_bound_fails_when_one_alpha_violates(dps60, k):
    bounds = [M(10) ** -j for j in range(1, 6)]
    obs = [b / 2 for b in bounds]
    assert sd.bound_holds_at_every_alpha("upper", obs, bounds) is True
    assert sd.bound_holds_at_every_alpha("upper", one_off(obs, k, bounds[k] * 2), bounds) is False
    assert sd.bound_holds_at_every_alpha("upper", one_off(obs, k, bounds[k]), bounds) is True      # attained
    # just above the certified slack (relative) fails, just below is attainment
    assert sd.bound_holds_at_every_alpha("upper", one_off(obs, k, bounds[k] * (1 + 2 * sd.CERTIFIED_SLACK)),
                                         bounds) is False
    assert sd.bound_holds_at_every_alpha("upper", one_off(obs, k, bounds[k] * (1 + sd.CERTIFIED_SLACK / 2)),
                                         bounds) is True


@pytest.mark.parametrize("k", [0, 2, 4])
def test_lower_bound_fails_when_one_alpha_violates(dps60, k):
    bounds = [M(10) ** -j for j in range(1, 6)]
    obs = [b * 2 for b in bounds]
    assert sd.bound_holds_at_every_alpha("lower", obs, bounds) is True
    assert sd.bound_holds_at_every_alpha("lower", one_off(obs, k, bounds[k] / 2), bounds) is False
    assert sd.bound_holds_at_every_alpha("lower", one_off(obs, k, bounds[k] * (1 - 2 * sd.CERTIFIED_SLACK)),
                                         bounds) is False
    assert sd.bound_holds_at_every_alpha("lower", one_off(obs, k, bounds[k] * (1 - sd.CERTIFIED_SLACK / 2)),
                                         bounds) is True


def test_bound_slack_is_relative_not_absolute(dps60):
    """At bound 1e-30 an excess of 1e-50 (absolute: far below 1e-25) is a relative 1e-20 violation; at bound 1e30
    an excess of 1e4 is a relative 1e-26: attained."""
    tiny, huge = M("1e-30"), M("1e30")
    assert sd.bound_holds_at_every_alpha("upper", [tiny + M("1e-50")], [tiny]) is False
    assert sd.bound_holds_at_every_alpha("lower", [tiny - M("1e-50")], [tiny]) is False
    assert sd.bound_holds_at_every_alpha("upper", [huge + M("1e4")], [huge]) is True
    assert sd.bound_holds_at_every_alpha("lower", [huge - M("1e4")], [huge]) is True


def test_bound_slack_is_a_parameter(dps60):
    assert sd.bound_holds_at_every_alpha("upper", [M("1.1")], [M(1)], slack=M("0.2")) is True
    assert sd.bound_holds_at_every_alpha("lower", [M("0.9")], [M(1)], slack=M("0.2")) is True
    assert sd.bound_holds_at_every_alpha("upper", [M("1.1")], [M(1)], slack=M("0.05")) is False
    assert sd.attained_within(M("1.25"), slack=M("0.25")) and not sd.attained_within(M("1.25"), slack=M("0.125"))


def test_uninformative_alphas_are_skipped_and_none_informative_fails():
    assert sd.bound_holds_at_every_alpha("lower", [M(-5), M(2)], [M(-1), M(1)]) is True
    assert sd.bound_holds_at_every_alpha("lower", [M(-5), M(0)], [M(-1), M(1)]) is False
    assert sd.bound_holds_at_every_alpha("lower", [M(-5), M(-5)], [M(-1), M(0)]) is False
    assert sd.bound_holds_at_every_alpha("upper", [], []) is False
    assert sd.bound_holds_at_every_alpha("upper", [M(5)], [M(0)]) is False        # x / 0 = inf, not attained
    assert sd.bound_holds_at_every_alpha("upper", [M(0)], [M(0)]) is True
    with pytest.raises(ValueError):
        sd.bound_holds_at_every_alpha("upper", [M(1)], [M(2), M(3)])


@pytest.mark.parametrize("k", [0, 1, 2])
def test_worst_margin_is_the_extreme_on_the_bound_side(k):
    margins = one_off([M("0.5")] * 3, k, M("0.9"))
    assert sd.worst_margin("upper", margins) == M("0.9")
    margins = one_off([M("1.5")] * 3, k, M("1.1"))
    assert sd.worst_margin("lower", margins) == M("1.1")


def test_apriori_applies_includes_alpha_zero(dps60):
    a0 = M("0.0123")
    assert sd.apriori_applies(a0, a0) is True and sd.apriori_applies(a0 * (1 - M(10) ** -50), a0) is True
    assert sd.apriori_applies(a0 * (1 + M(10) ** -50), a0) is False


@pytest.mark.parametrize("k", [0, 1, 2])
def test_lemma_verdicts_need_every_alpha(k):
    good = [True, True, True]
    assert sd.lemmas_hold(good, good) is True and sd.every_step_holds(good) is True
    assert sd.lemmas_hold(one_off(good, k, False), good) is False
    assert sd.lemmas_hold(good, one_off(good, k, False)) is False
    assert sd.every_step_holds(one_off(good, k, False)) is False


@pytest.mark.parametrize("k", [0, 1, 2])
def test_within_spec_radius_at_every_alpha(dps60, k):
    radii = [M(1), M(2), M(3)]
    assert sd.within_spec_radius(radii, radii) is True                  # the bound included
    assert sd.within_spec_radius(one_off(radii, k, radii[k] * (1 + M(10) ** -50)), radii) is False
    with pytest.raises(ValueError):
        sd.within_spec_radius(radii, radii[:2])


def test_digits_and_flow_gap_thresholds(dps60):
    assert sd.DLN_LIMIT_DIGITS == 30
    assert sd.enough_digits(30) and sd.enough_digits(31) and not sd.enough_digits(29)
    gap = sd.FLOW_DUAL_GAP
    assert sd.flow_meets_dual(gap) and sd.flow_meets_dual(gap / 2) and not sd.flow_meets_dual(gap * M("1.01"))
    assert sd.flow_meets_dual(M("1e-18")) and not sd.flow_meets_dual(M("1.1e-18"))


@pytest.mark.parametrize("k", [0, 1, 2])
def test_largest_ratio_is_the_maximum(k):
    found = one_off([(M("0.5"), "a"), (M("0.25"), "b"), (M("0.125"), "c")], k, (M("0.9"), "worst"))
    assert sd.largest_ratio(found) == (M("0.9"), "worst")
    assert sd.largest_ratio([(M("0.5"), "first"), (M("0.5"), "second")]) == (M("0.5"), "first")
    assert sd.largest_ratio([]) == (0, "") and sd.largest_ratio([(M(-1), "x")]) == (0, "")


def test_not_above_one(dps60):
    s = sd.CERTIFIED_SLACK
    assert sd.not_above_one(M(1)) and sd.not_above_one(M("0.5")) and sd.not_above_one(1 + s / 2)
    assert sd.not_above_one(1 + s)                                          # exactly 1 + slack (exact at 60 digits)
    assert sd.not_above_one(M("1.5"), slack=M("0.5")) and not sd.not_above_one(M("1.5"), slack=M("0.25"))
    assert not sd.not_above_one(1 + 2 * s) and not sd.not_above_one(M("1.0001"))


def test_tightness_threshold():
    assert sd.TIGHTNESS_DEVIATION == M(10) ** -8


@pytest.mark.parametrize("k", [1, 2, 3])
def test_deeper_is_smaller_at_each_alpha_but_the_first(k):
    ratios = [M(2), M("0.5"), M("0.5"), M("0.5")]
    assert sd.deeper_is_smaller(ratios) is True
    assert sd.deeper_is_smaller(one_off(ratios, k, M(1))) is False


@pytest.mark.parametrize("k", [0, 1, 2])
def test_decreases_below_at_each_step(k):
    devs = [M("1e-2"), M("1e-4"), M("1e-6"), M("1e-9")]
    assert sd.decreases_below(devs, M("1e-8")) is True
    assert sd.decreases_below(one_off(devs, k + 1, devs[k]), M("1e-8")) is False       # not strictly smaller
    assert sd.decreases_below(one_off(devs, k + 1, devs[k] * 2), M("1e-8")) is False


# ---------------------------------------------------------------- the rows call these functions

def _fail(monkeypatch, name, calls):
    real = getattr(sd, name)

    def fake(*a, **k):
        calls.append(name)
        out = real(*a, **k)
        return (False, out[1]) if isinstance(out, tuple) else False

    monkeypatch.setattr(sd, name, fake)


_CACHE: dict = {}


def _row_instance():
    from implicitreg.numerics.error_constants import support_constants

    if "inst" not in _CACHE:
        inst, _ = sd.instances()["row[1,1/2]"]
        _CACHE["inst"] = (inst, support_constants(inst))
    return _CACHE["inst"]


def test_the_d2_and_d3_rows_use_their_verdict_functions(monkeypatch):
    inst, sc = _row_instance()
    rows = sd._d2_rows("r", inst, sc, ["1e-4", "1e-8", "1e-12"]) + sd._d3_rows("r", inst, sc, 3,
                                                                               ["1e-6", "1e-12", "1e-18"])
    assert len(rows) == 12 and all(r.passed for r in rows)
    calls: list = []
    for name in ("bound_holds_at_every_alpha", "rate_verdict", "lemmas_hold", "every_step_holds",
                 "within_spec_radius", "approaches_limit"):
        _fail(monkeypatch, name, calls)
    rows = sd._d2_rows("r", inst, sc, ["1e-4", "1e-8", "1e-12"]) + sd._d3_rows("r", inst, sc, 3,
                                                                               ["1e-6", "1e-12", "1e-18"])
    assert [r.theorem for r in rows] == [
        "MS-D2 upper_l1", "MS-D2 upper_offsupport_spec", "MS-D2 lower_inf", "MS-D2 upper_l1_apriori",
        "MS-D2 lemmas (ms_d2.py steps 3-5, 9; error identity)", "MS-D2 rate", "MS-D3 limit", "MS-D3 upper_l1",
        "MS-D3 lower_inf", "MS-D3 lemma (ms_d3.py step 3)", "MS-D3 spec M0 (conjecture)", "MS-D3 rate"]
    assert not any(r.passed for r in rows)
    assert sorted(set(calls)) == sorted(["bound_holds_at_every_alpha", "rate_verdict", "lemmas_hold",
                                         "every_step_holds", "within_spec_radius", "approaches_limit"])


def test_each_bound_row_judges_its_own_observation(monkeypatch):
    """upper_l1 judges ||x_inf - x*||_1, upper_offsupport_spec max_C |x_j|, lower_inf ||x_inf - x*||_inf (a lower bound
    on the inf-norm is not checked against the larger 1-norm), at every alpha, in order; MS-D3 likewise."""
    inst, sc = _row_instance()
    a2, a3 = ["1e-4", "1e-8", "1e-12"], ["1e-6", "1e-12"]
    d2, d3 = sd._errors(inst, sc, 2, a2), sd._errors(inst, sc, F(3), a3)
    seen = []
    real = sd.bound_holds_at_every_alpha
    monkeypatch.setattr(sd, "bound_holds_at_every_alpha",
                        lambda side, obs, bounds: seen.append((side, list(obs))) or real(side, obs, bounds))
    sd._d2_rows("r", inst, sc, a2)
    sd._d3_rows("r", inst, sc, 3, a3)
    assert seen[:3] == [("upper", [d[0] for d in d2]), ("upper", [d[2] for d in d2]), ("lower", [d[1] for d in d2])]
    # the a-priori row: the 1-norm errors at the alphas below alpha_0 (the smallest ones)
    assert seen[3][0] == "upper" and seen[3][1] and seen[3][1] == [d[0] for d in d2][-len(seen[3][1]):]
    assert seen[4:] == [("upper", [d[0] for d in d3]), ("lower", [d[1] for d in d3])]


def test_the_off_support_observation_is_the_largest_off_support_entry(monkeypatch):
    from implicitreg.numerics import error_constants as ec
    from implicitreg.numerics.instance import Instance

    inst = Instance.from_lists([[1, F(1, 2), F(-1, 4)]], [1], name="row3")
    sc = ec.support_constants(inst)
    assert list(sc.complement) == [1, 2]
    lim = SimpleNamespace(x=[M("0.9"), M("0.25"), M("-0.5")], dps=30)
    monkeypatch.setattr(ec, "limit_error", lambda *a, **k: (M(1), M(2), lim))
    (e1, einf, xC, got), = sd._errors(inst, sc, 2, ["1e-4"])
    assert (e1, einf, xC, got) == (M(1), M(2), M("0.5"), lim)


def test_the_apriori_row_covers_the_alphas_apriori_applies_to(monkeypatch):
    inst, sc = _row_instance()
    alphas = ["1e-4", "1e-8", "1e-12"]
    seen = []
    monkeypatch.setattr(sd, "apriori_applies", lambda a, a0: seen.append(a) or a < M("1e-6"))
    rows = sd._d2_rows("r", inst, sc, alphas)
    assert len(seen) == 3 and [r.alpha_range for r in rows if r.theorem.endswith("apriori")] == ["1e-8..1e-12"]
    monkeypatch.setattr(sd, "apriori_applies", lambda a, a0: False)
    assert not [r for r in sd._d2_rows("r", inst, sc, alphas) if r.theorem.endswith("apriori")]


def test_bound_and_slope_rows_take_their_verdict_and_margin_from_the_functions(monkeypatch):
    from implicitreg.theory.statement import Bound, Provenance, Theorem, alpha

    prov = Provenance("paper", "src")
    up = Bound("up", "upper", "err", 3 * alpha, prov)
    thm = Theorem("T", "t", "s", prov, bounds=(up,))
    alphas = ["1e-4", "1e-8"]
    vals = [{"alpha": F(a)} for a in alphas]
    obs = [M("1e-4"), M("1e-8")]
    assert sd._bound_row(thm, up, "i", 2, alphas, obs, vals).passed
    monkeypatch.setattr(sd, "worst_margin", lambda side, margins: M("0.125"))
    monkeypatch.setattr(sd, "bound_holds_at_every_alpha", lambda side, o, b: False)
    row = sd._bound_row(thm, up, "i", 2, alphas, obs, vals)
    assert row.passed is False and row.margin == "0.125"
    errs = [M(10) ** -(4 * k) for k in range(1, 4)]
    assert sd._slope_row("R", "paper", "i", 2, ["1e-4", "1e-8", "1e-12"], errs, 1).passed
    monkeypatch.setattr(sd, "rate_verdict", lambda slope, pred: False)
    assert not sd._slope_row("R", "paper", "i", 2, ["1e-4", "1e-8", "1e-12"], errs, 1).passed


def test_the_depth_rows_use_deeper_is_smaller(monkeypatch):
    inst, sc = _row_instance()
    monkeypatch.setattr(sd, "deeper_is_smaller", lambda ratios: False)
    rows = sd._depth_rows("r", inst, sc, False)
    assert len(rows) == 3 and not any(r.passed for r in rows)


def test_the_tightness_rows_use_decreases_below(monkeypatch):
    from implicitreg.theory import examples as ex

    proved = SimpleNamespace(proved=True, value="1", family=SimpleNamespace(expected_limit="1"))
    monkeypatch.setattr(ex, "prove_ratio_limit", lambda family: proved)
    monkeypatch.setattr(ex, "row_family", lambda D: None)
    rows = sd._tightness_rows(False)
    assert [r.passed for r in rows] == [True] * 6
    seen = []
    monkeypatch.setattr(sd, "decreases_below", lambda devs, below: seen.append(below) or False)
    rows = sd._tightness_rows(False)
    assert [r.passed for r in rows] == [True, True, False, False, False, False]
    assert seen == [sd.TIGHTNESS_DEVIATION] * 4


class _Lim:
    def __init__(self, x, digits=30):
        self.x = [M(v) for v in x]
        self.dps = 40
        self.alpha_product = M(1) / 100


def test_the_dln_limit_rows_use_enough_digits_and_flow_meets_dual(monkeypatch):
    from implicitreg.numerics import limit as limit_mod

    monkeypatch.setattr(limit_mod, "limit", lambda inst, D, a, method, digits: _Lim(["0.5", "0.25", "0.25"]))
    rows = sd._dln_limit_rows(True)
    assert len(rows) == 7 and all(r.passed for r in rows)
    seen = []
    monkeypatch.setattr(sd, "enough_digits", lambda d: seen.append(d) or False)
    monkeypatch.setattr(sd, "flow_meets_dual", lambda gap: seen.append(gap) or False)
    rows = sd._dln_limit_rows(True)
    assert not any(r.passed for r in rows) and seen == [60] * 6 + [0]


def test_the_sharpness_search_uses_largest_ratio_and_not_above_one(monkeypatch):
    seen = []
    monkeypatch.setattr(sd, "largest_ratio", lambda found: seen.append(len(found)) or (M("0.75"), "here"))
    monkeypatch.setattr(sd, "not_above_one", lambda ratio: seen.append(ratio) or False)
    rows = sd._sharpness_search(count=1)
    assert [r.passed for r in rows] == [False, False] and all(r.note == "worst at here" for r in rows)
    assert seen == [1, M("0.75"), 1, M("0.75")]


def test_bound_row_evaluates_the_bound_at_40_and_80_digits_inside_60_working_digits():
    """The bound values are asked for at 40 digits, confirmed at 80 (sd.bound_value: they agree, so no more) and the
    margins computed with 60 working digits (the module's stated precisions: observations carry 30 certified digits,
    CERTIFIED_SLACK is 1e-25); a recording bound shows what _bound_row asks for at each alpha, in order."""
    seen = []

    def evaluate(dps=30, **vals):
        seen.append((dps, mpmath.mp.dps, vals))
        return M(1)

    bound = SimpleNamespace(name="b", side="upper", lhs="err", expr="1", provenance=SimpleNamespace(kind="paper"),
                            evaluate=evaluate)
    vals = [{"alpha": F(1, 10 ** 4)}, {"alpha": F(1, 10 ** 8)}]
    before = mpmath.mp.dps
    row = sd._bound_row(SimpleNamespace(name="T"), bound, "i", 2, ["1e-4", "1e-8"], [M("0.5"), M("0.25")], vals)
    assert seen == [(40, 60, vals[0]), (80, 60, vals[0]), (40, 60, vals[1]), (80, 60, vals[1])]
    assert mpmath.mp.dps == before
    assert row.passed is True and row.margin == "0.5"


def test_bound_value_resolves_cancellations_of_tiny_values():
    """sd.bound_value raises the precision until two evaluations agree: 40 digits lose them all here. Closed forms:
    MS-D3 lower_inf at D = 3 is alpha h_3(r) = alpha ((1 - r)^-3 - (1 + r)^-3) = alpha (6 r + 20 r^3 + ...) (30 of 40
    digits cancel at r = 1e-30); MS-D2 lower_inf with K1 = 0 is alpha (alpha^-rho - 1) = alpha (e^(rho L) - 1),
    L = log(1/alpha), ~ alpha rho L (1 + rho L / 2) (all 40 cancel at rho = 1e-9999: it evaluates to 0)."""
    from implicitreg.theory.diagonal import MS_D2_THEOREM, MS_D3_THEOREM

    r = F(1, 10 ** 30)
    v3 = sd.bound_value(MS_D3_THEOREM.bound("lower_inf"), {"alpha": F(1, 10 ** 4), "rho_minus": r, "D": 3})
    assert MS_D3_THEOREM.bound("lower_inf").evaluate(40, alpha=F(1, 10 ** 4), rho_minus=r, D=3) != v3
    with mpmath.workdps(80):
        assert abs(v3 / (M(10) ** -4 * (6 * M(r.numerator) / r.denominator)) - 1) < M(10) ** -55
    rho = F(1, 10 ** 9999)
    vals = {"alpha": F(1, 10 ** 4), "rho": rho, "K1": 0, "K2": rho}
    assert MS_D2_THEOREM.bound("lower_inf").evaluate(40, **vals) == 0
    v2 = sd.bound_value(MS_D2_THEOREM.bound("lower_inf"), vals)
    with mpmath.workdps(60):
        rho_L = mpmath.mpf(10) ** -9999 * mpmath.log(10 ** 4)
        assert abs(v2 / (M(10) ** -4 * rho_L) - 1) < M(10) ** -40
