"""Each verify suite's verdicts can fail: known violations planted in what a suite computes must give FAIL rows.

``tests/test_suites_run.py`` runs every suite on its real instances (all rows PASS); ``tests/test_verdicts.py``
feeds the diagonal and selection row functions hand-made errors. Here every other verdict path of the suites is fed
a violation: the decision functions of the diagonal, selection and deep-linear suites on constructed numbers (a
bound side violated, a slope off, a slack widened, a sequence that stops converging). The basis-pursuit suite's
verdicts: ``tests/test_suite_verdicts_bp.py``.
"""
from __future__ import annotations

import types
from fractions import Fraction

import pytest


F = Fraction


# ---------------------------------------------------------------- diagonal suite: limit, tightness, depth verdicts

def _mpf(text):
    import mpmath

    return mpmath.mpf(text)


@pytest.mark.parametrize("devs, passed, above", [
    (["1e-2", "1e-4", "1e-6"], True, [0, 1, 2]),
    (["1e-2", "1e-4", "1e-23", "1e-22"], True, [0, 1]),          # below the rounding floor: not compared
    (["1e-2", "1e-4", "2e-4"], False, [0, 1, 2]),                # grows again
    (["1e-4", "1e-4", "1e-5"], False, [0, 1, 2]),                # not strictly decreasing
    (["1e-1", "1e-2", "2e-3"], False, [0, 1, 2]),                # decreasing but still >= 1e-3 at the end
    (["1e-1", "1e-2", "1e-3"], False, [0, 1, 2]),                # exactly 1e-3 is not below it
    (["1e-1", "1e-2", "9.99e-4"], True, [0, 1, 2]),
    (["1e-21", "1e-22", "1e-30"], True, [0]),                    # exactly the floor counts as rounding
])
def test_diagonal_limit_verdict(devs, passed, above):
    from implicitreg.proofs.suites import diagonal as dsuite

    ok, idx = dsuite.approaches_limit([_mpf(d) for d in devs])
    assert ok is passed and idx == above


def test_diagonal_limit_verdict_floor_and_threshold_are_parameters():
    from implicitreg.proofs.suites import diagonal as dsuite

    devs = [_mpf(d) for d in ("1e-2", "1e-4", "5e-4")]
    assert dsuite.approaches_limit(devs, floor=_mpf("1e-3"))[0] is True
    assert dsuite.approaches_limit(devs, below=_mpf("1e-4"), floor=_mpf("1e-3"))[0] is False
    assert dsuite.NOISE_FLOOR == _mpf(10) ** -22


@pytest.mark.parametrize("devs, below, passed", [
    (["1e-2", "1e-5", "1e-9"], "1e-8", True), (["1e-2", "1e-5", "2e-8"], "1e-8", False),
    (["1e-2", "1e-1", "1e-9"], "1e-8", False), (["1e-5", "1e-5", "1e-9"], "1e-8", False),
    (["1e-2", "1e-5", "1e-8"], "1e-8", False), (["1e-9"], "1e-8", True), (["1e-2", "1e-9", "2e-9"], "1e-8", False)])
def test_diagonal_tightness_verdict(devs, below, passed):
    from implicitreg.proofs.suites import diagonal as dsuite

    assert dsuite.decreases_below([_mpf(d) for d in devs], _mpf(below)) is passed


@pytest.mark.parametrize("ratios, passed", [([2, "0.9", "0.5"], True), ([2, "0.9", 1], False),
                                            (["0.5", "1.01", "0.2"], False), (["0.5", "0.99", "0.999"], True),
                                            ([2, 3, "0.1"], False)])
def test_diagonal_depth_verdict(ratios, passed):
    """err_D/err_2 < 1 at every alpha but the first; = 1 is not 'smaller'."""
    from implicitreg.proofs.suites import diagonal as dsuite

    assert dsuite.deeper_is_smaller([_mpf(r) for r in ratios]) is passed


# ---------------------------------------------------------------- deep-linear suite: the decisions on numbers

def test_deep_linear_relative_gap_and_agreement(dps40):
    from implicitreg.proofs.suites import deep_linear as dsuite

    assert dsuite.relative_gap(_mpf(4), _mpf(5), _mpf("3.5")) == _mpf("0.25")
    assert dsuite.relative_gap(_mpf(-4), _mpf(-3)) == _mpf("0.25")
    assert dsuite.relative_gap(_mpf(2), _mpf(2), _mpf(2)) == 0
    tol = _mpf(10) ** -30
    assert dsuite.agree(_mpf(3) * (1 + _mpf(10) ** -31), _mpf(3), tol)
    assert not dsuite.agree(_mpf(3) * (1 + _mpf(10) ** -29), _mpf(3), tol)
    assert not dsuite.agree(_mpf(3) * (1 - _mpf(10) ** -29), _mpf(3), tol)
    assert dsuite.agree(_mpf(-3), _mpf(-3) * (1 + _mpf(10) ** -31), tol)
    assert dsuite.agree(_mpf(2), _mpf(3), _mpf(1) / 3) and not dsuite.agree(_mpf(2), _mpf(3), _mpf("0.33"))


ORDER = dict(s_lb=_mpf(1), s_closed=_mpf(2), s_min=_mpf(3), s_bal=_mpf(4), worst_sample=_mpf(5))


@pytest.mark.parametrize("change, passed", [
    ({}, True), ({"s_lb": _mpf("2.5")}, False), ({"s_closed": _mpf("3.5")}, False), ({"s_min": _mpf("4.5")}, False),
    ({"worst_sample": _mpf("2.5")}, False), ({"s_min": _mpf("0.5")}, False), ({"s_bal": _mpf("2.9")}, False),
    ({"s_lb": _mpf(2), "s_closed": _mpf(3), "s_min": _mpf(3), "s_bal": _mpf(3), "worst_sample": _mpf(3)}, True)])
def test_deep_linear_ordering(change, passed):
    from implicitreg.proofs.suites import deep_linear as dsuite

    assert dsuite.ordered(**{**ORDER, **change}, tol=_mpf(10) ** -30) is passed


def test_deep_linear_ordering_allows_equality():
    from implicitreg.proofs.suites import deep_linear as dsuite

    assert dsuite.ordered(_mpf(3), _mpf(3), _mpf(3), _mpf(3), _mpf(3), tol=0)


def test_deep_linear_ordering_tolerance_is_relative_and_tiny(dps40):
    from implicitreg.proofs.suites import deep_linear as dsuite

    tol = _mpf(10) ** -30
    up, down = 1 + _mpf(10) ** -31, 1 + _mpf(10) ** -29
    for name, other in (("s_lb", "s_closed"), ("s_closed", "s_min"), ("s_min", "s_bal")):
        v = dict(s_lb=_mpf(3), s_closed=_mpf(3), s_min=_mpf(3), s_bal=_mpf(3), worst_sample=_mpf(3))
        v[name] = _mpf(3) * up
        assert dsuite.ordered(**v, tol=tol), name
        v[name] = _mpf(3) * down
        assert not dsuite.ordered(**v, tol=tol), name
    v = dict(s_lb=_mpf(3), s_closed=_mpf(3), s_min=_mpf(3), s_bal=_mpf(3), worst_sample=_mpf(3) * (1 - _mpf(10) ** -31))
    assert dsuite.ordered(**v, tol=tol)
    v["worst_sample"] = _mpf(3) * (1 - _mpf(10) ** -29)
    assert not dsuite.ordered(**v, tol=tol)


@pytest.mark.parametrize("excess, passed", [([0.1, -0.01, 0.0005], True), ([0.1, 0.01, 0.002], False),
                                            ([0.1, 0.0005, 0.0009], False),
                                            ([0.1, 0.2, 0.0005], False), ([0.01, -0.01, 0.0005], False),
                                            ([0.1, 0.01, 0.001], False), ([-0.0009], True)])
def test_deep_linear_shrinks_to_balanced(excess, passed):
    from implicitreg.proofs.suites import deep_linear as dsuite

    assert dsuite.shrinks_to(excess, 1e-3) is passed


@pytest.mark.parametrize("status, S, passed", [(1, 10.0, True), (1, 10.0 * (1 - 1e-10), True),
                                               (1, 10.0 * (1 - 1e-8), False), (0, 20.0, False), (-1, 20.0, False)])
def test_deep_linear_converged_above_the_lower_bound(status, S, passed):
    from implicitreg.proofs.suites import deep_linear as dsuite

    assert dsuite.converged_above(status, S, 10.0) is passed
    assert dsuite.converged_above(1, 10.0 * (1 - 1e-8), 10.0, rel=1e-7)
    assert dsuite.converged_above(1, 10.0 * (1 - 1e-9), 10.0)   # exactly at the rounding allowance


@pytest.mark.parametrize("below, above, excess, passed", [(1, 0, 1e-3, True), (0, 0, 1e-3, False), (1, 1, 1e-3, False),
                                                          (1, 0, 1e-7, False), (1, 0, 1e-6, False), (1, -1, 1, False)])
def test_deep_linear_edge_of_stability(below, above, excess, passed):
    from implicitreg.proofs.suites import deep_linear as dsuite

    assert dsuite.edge_of_stability(below, above, excess) is passed


@pytest.mark.parametrize("slope, passed", [(F(105, 100), True), (F(95, 100), True), (F(11, 10), False),
                                           (F(9, 10), False), (F(12, 10), False), (F(1, 2), False)])
def test_deep_linear_slope_within(slope, passed):
    from implicitreg.proofs.suites import deep_linear as dsuite

    assert dsuite.slope_within(slope, 1, F(1, 10)) is passed
    assert dsuite.slope_within(slope, 2, F(1, 10)) is False


def _constants():
    return types.SimpleNamespace(a=F(6, 5), a_prime=F(9, 5), Lambda=F(5, 2), w_norm=F(7, 3))


def test_deep_linear_bound_slack_is_the_computed_digits_only():
    """S_LB at L = 3 is 2 L a |w*|^(4/3); an observation 1e-31 below counts as attained (rounding), 1e-29 below
    is a violation; the upper bound S_bal_upper likewise from above. A widened slack would pass both."""
    import mpmath

    from implicitreg.proofs.suites import deep_linear as dsuite
    from implicitreg.theory import sharpness as ts

    c, L = _constants(), 3
    lb, ub = ts.MC_LB.bound("S_LB"), ts.MC_BAL.bound("S_bal_upper")
    rel = mpmath.mpf(10) ** -30
    with mpmath.workdps(dsuite.DPS):
        s_lb = lb.evaluate(dsuite.DPS, **dsuite._values(c, L))
        s_up = ub.evaluate(dsuite.DPS, **dsuite._values(c, L))
        assert abs(s_lb - 6 * F(6, 5) * mpmath.mpf(7 * 7) ** (mpmath.mpf(2) / 3) / mpmath.mpf(9) ** (mpmath.mpf(2) / 3)
                   ) < mpmath.mpf(10) ** -35 * s_lb
        assert dsuite.flattest_sample_above([s_lb * (1 - mpmath.mpf(10) ** -31)], s_lb, rel)
        assert not dsuite.flattest_sample_above([s_lb * (1 - mpmath.mpf(10) ** -29)], s_lb, rel)
        assert dsuite.flattest_sample_above([s_lb * 2], s_lb, rel)
        assert dsuite.below_within(s_up * (1 + mpmath.mpf(10) ** -31), s_up, rel)
        assert not dsuite.below_within(s_up * (1 + mpmath.mpf(10) ** -29), s_up, rel)
        assert dsuite.below_within(s_up / 2, s_up, rel)
        assert not dsuite.below_within(s_up * 2, s_up, rel)
        assert not dsuite.flattest_sample_above([s_lb / 2], s_lb, rel)
        # decided at the suite's 40 digits: 1e-33 below is a violation (30 digits would round it away)
        assert not dsuite.flattest_sample_above([s_lb * (1 - mpmath.mpf(10) ** -33)], s_lb, mpmath.mpf(10) ** -36)
        # the depth is used: the same observation at L = 5 is measured against 2 * 5 * a |w*|^(8/5)
        assert not dsuite.flattest_sample_above([s_lb], lb.evaluate(dsuite.DPS, **dsuite._values(c, 5)), rel)


# ---------------------------------------------------------------- selection suite: rate, Theta, KKT, Lemma B

@pytest.mark.parametrize("ok, rejected", [(True, True), (True, False), (False, True), (False, False)])
def test_selection_rate_row_needs_the_fit_and_the_mutant_rejection(ok, rejected):
    """The slope verdict is 'within tolerance AND the shifted exponent rejected' (an `or` would pass 3 of 4)."""
    import mpmath

    from implicitreg.proofs.suites import selection as ssuite

    res = types.SimpleNamespace(errors=[mpmath.mpf("1e-5"), mpmath.mpf("2.5e-9")])
    row = ssuite.rate_row("line", 3, mpmath.mpf("1.01"), F(1), res, ["1e-18", "1e-30"], ok, rejected, note="n")
    assert row.passed is (ok and rejected)
    assert (row.theorem, row.provenance, row.instance, row.depth) == ("WAH-E", "derived", "line", "3")
    assert row.alpha_range == "alpha^p = 1e-18..1e-30" and row.observed == "2.5e-9"
    assert row.bound == "Theta((alpha^p)^1)" and row.margin == "0.01" and row.note == "n"
    assert row.slope == "1.01" and row.slope_predicted == "1"
    assert ssuite.rate_row("line", 3, mpmath.mpf("1.01"), F(1), res, ["1e-18"], ok, rejected).note == ""
    # the observed error is the one at the smallest alpha (the last); the fitted slope is printed to 8 digits
    res3 = types.SimpleNamespace(errors=[mpmath.mpf("1e-5"), mpmath.mpf("3e-7"), mpmath.mpf("2.5e-9")])
    row = ssuite.rate_row("line", 3, mpmath.mpf("1.0123456789"), F(1), res3, ["1e-18", "1e-22", "1e-26"], ok,
                          rejected)
    assert row.observed == "2.5e-9" and row.slope == "1.0123457"


@pytest.mark.parametrize("c_last, passed", [("1", True), ("2", True), ("0.5", True), ("2.01", False),
                                            ("0.49", False), ("1000", False)])
def test_selection_theta_constant(c_last, passed):
    from implicitreg.proofs.suites import selection as ssuite

    assert ssuite.theta_constant_ok(_mpf("3"), _mpf(c_last) * 3) is passed
    assert ssuite.theta_constant_ok(_mpf("3"), _mpf(c_last) * 3, factor=3) is (_mpf(1) / 3 <= _mpf(c_last) <= 3)


@pytest.mark.parametrize("r, r_off, passed", [("1e-40", "1e-10", True), ("1e-35", "1e-10", True),
                                              ("1e-34", "1e-10", False), ("1e-40", "1e-15", False),
                                              ("1e-40", "1e-16", False), ("1e-20", "1e-20", False)])
def test_selection_kkt(r, r_off, passed):
    from implicitreg.proofs.suites import selection as ssuite

    assert ssuite.kkt_ok(_mpf(r), _mpf(r_off)) is passed


@pytest.mark.parametrize("r99, r90, passed", [("0.995", "0.95", True), ("1", "0.95", True), ("1.001", "0.95", False),
                                              ("0.99", "0.95", False), ("0.985", "0.95", False),
                                              ("0.995", "0.9", False), ("0.995", "0.85", False)])
def test_selection_lemma_b_supremum(r99, r90, passed):
    """With C_p = 2: r(0.99) in (0.99 C, C] and r(0.9) > 0.9 C; a constant 1.1 C_p or 0.9 C_p would fail."""
    from implicitreg.proofs.suites import selection as ssuite

    assert ssuite.lemma_b_tight(_mpf(r99) * 2, _mpf(r90) * 2, _mpf(2)) is passed


@pytest.mark.parametrize("lo, hi, passed", [("0", "1", True), ("0.1", "0.9", True), ("-1e-30", "0.5", False),
                                            ("0.2", "1.000001", False), ("-1", "2", False)])
def test_selection_lemma_b_both_sides(lo, hi, passed):
    from implicitreg.proofs.suites import selection as ssuite

    assert ssuite.in_unit_interval(_mpf(lo), _mpf(hi)) is passed


def _fake_errors(correction, floor_x):
    """selection_errors stand-in: err = alpha^p (1 + 1e6 (alpha^p)^correction), x_g = floor_x on S."""
    import mpmath

    calls = []

    def fake(instance, depth, alphas, alpha_convention=None, bp=None, **kw):
        calls.append(list(alphas))
        fake.solves.append((instance, depth, alpha_convention, bp))
        with mpmath.workdps(60):
            aps = [mpmath.mpf(10) ** -int(a.split("e-")[1]) for a in alphas]
            errs = [a * (1 + 10 ** 6 * a ** mpmath.mpf(correction)) for a in aps]
        return types.SimpleNamespace(alpha_products=aps, errors=errs,
                                     selection=types.SimpleNamespace(x=[mpmath.mpf(floor_x)] * 3))
    fake.solves = []
    return fake, calls


def test_selection_slope_window_moves_until_the_local_slopes_settle(monkeypatch):
    """A correction (alpha^p)^(1/6) x 1e6 spoils the first windows: the start doubles (18 -> 36 -> 72) until the
    local slopes agree to SETTLED, and the fit there passes; the window is never chosen by the prediction."""
    import implicitreg.numerics.selection as numsel
    from implicitreg.proofs.suites import selection as ssuite

    fake, calls = _fake_errors("0.1666666666666666666666666666666666667", 1)
    monkeypatch.setattr(numsel, "selection_errors", fake)
    bp = types.SimpleNamespace(support=(0, 1, 2), rho=F(1, 2))
    slope, pred, res, alphas, ok, rejected = ssuite.slope_check(types.SimpleNamespace(N=5), 3, bp=bp)
    assert [c[0] for c in calls] == ["1e-18", "1e-36", "1e-72"]
    assert alphas == ["1e-72", "1e-76", "1e-80", "1e-84"] and pred == 1 and ok and rejected
    inst = types.SimpleNamespace(N=5)
    fake.solves.clear()
    ssuite.slope_check(inst, 3, bp=bp)
    assert len(fake.solves) == 3 and all(s == (inst, F(3), "product", bp) for s in fake.solves)
    assert all(type(s[1]) is F for s in fake.solves)


def _window_errors(first, calls):
    """errors (alpha^p)^1 scaled so that the first window's first error is ``first``; x = 0 (empty support)."""
    import mpmath

    def fake(instance, depth, alphas, alpha_convention=None, bp=None, **kw):
        calls.append(alphas[0])
        aps = [mpmath.mpf(10) ** -int(a.split("e-")[1]) for a in alphas]
        c = mpmath.mpf(first) / aps[0] if not calls[1:] else mpmath.mpf(first) * 10 ** 18
        return types.SimpleNamespace(alpha_products=aps, errors=[c * a for a in aps],
                                     selection=types.SimpleNamespace(x=[]))
    return fake


@pytest.mark.parametrize("first, moves", [("0.001", False), ("0.0015", True), ("0.5", True), ("1e-4", False)])
def test_selection_window_error_small_against_the_floor(monkeypatch, first, moves):
    """With S empty the floor is 1: the window stays when its first error is <= 1/1000 (equality included) and the
    local slopes agree, and moves (start doubled) otherwise, judged on the first error, not a later one."""
    import implicitreg.numerics.selection as numsel
    from implicitreg.proofs.suites import selection as ssuite

    calls = []
    monkeypatch.setattr(numsel, "selection_errors", _window_errors(first, calls))
    bp = types.SimpleNamespace(support=(), rho=F(0))
    ssuite.slope_check(types.SimpleNamespace(N=5), 3, bp=bp)
    assert calls[:2] == (["1e-18", "1e-36"] if moves else ["1e-18"])


def test_selection_slope_window_stops_after_four_moves(monkeypatch):
    """Errors never small against x_g on S (x_g = 1e-300): four doublings, then the last window is fitted."""
    import implicitreg.numerics.selection as numsel
    from implicitreg.proofs.suites import selection as ssuite

    fake, calls = _fake_errors(0, "1e-300")
    monkeypatch.setattr(numsel, "selection_errors", fake)
    bp = types.SimpleNamespace(support=(0, 1, 2), rho=F(1, 2))
    out = ssuite.slope_check(types.SimpleNamespace(N=5), 3, bp=bp)
    assert [c[0] for c in calls] == ["1e-18", "1e-36", "1e-72", "1e-144", "1e-288"] and out[3][0] == "1e-288"


def test_selection_slope_check_solves_basis_pursuit_for_its_instance(monkeypatch):
    """Without ``bp``, slope_check takes the l1 minimizer of the instance it is given (S, rho of that instance)."""
    import implicitreg.numerics.basis_pursuit as numbp
    import implicitreg.numerics.selection as numsel
    from implicitreg.proofs.suites import selection as ssuite

    fake, calls = _fake_errors("0.1666666666666666666666666666666666667", 1)
    monkeypatch.setattr(numsel, "selection_errors", fake)
    inst, seen = types.SimpleNamespace(N=5), []

    def l1(instance):
        seen.append(instance)
        return types.SimpleNamespace(support=(0, 1, 2), rho=F(1, 2))

    monkeypatch.setattr(numbp, "l1_minimizer", l1)
    out = ssuite.slope_check(inst, 3)
    assert seen == [inst] and out[1] == 1 and out[4] and out[5]


@pytest.mark.parametrize("support, dominance, starts", [((0, 1, 2), 50, ["1e-18", "1e-50"]),
                                                         ((0, 1, 2), 5, ["1e-18", "1e-18"]),
                                                         ((0, 1, 2, 3, 4), 50, ["1e-18"])])
def test_selection_p2_window_starts_where_the_leading_term_dominates(monkeypatch, support, dominance, starts):
    """p = 2 with S^c nonempty: the start moves to the dominance decade measured on the first window (never earlier
    than the default 18); with S = all coordinates there is no off-support term and the window stays. Every solve
    gets the instance, the depth, the product-scale convention and the BP result."""
    import implicitreg.numerics.selection as numsel
    from implicitreg.proofs.suites import selection as ssuite

    fake, calls = _fake_errors(1, 1)
    inst = types.SimpleNamespace(N=5)
    bp = types.SimpleNamespace(support=support, rho=F(1, 3))
    solves, results, dom = [], [], []

    def recording(instance, depth, alphas, alpha_convention=None, bp=None, **kw):
        solves.append((instance, depth, alpha_convention, bp))
        res = fake(instance, depth, alphas, alpha_convention, bp)
        results.append(types.SimpleNamespace(alpha_products=res.alpha_products, errors=res.errors,
                                             selection=types.SimpleNamespace(x=[1] * 5)))
        return results[-1]

    def dominance_start(instance, bp_, res):
        dom.append((instance, bp_, res))
        return dominance

    monkeypatch.setattr(numsel, "selection_errors", recording)
    monkeypatch.setattr(ssuite, "_dominance_start", dominance_start)
    out = ssuite.slope_check(inst, 2, bp=bp)
    assert [c[0] for c in calls] == starts and out[3] == ssuite.rate_alphas(2, start=int(starts[-1][3:]))
    assert all(s == (inst, F(2), "product", bp) for s in solves) and type(solves[0][1]) is F
    assert len(dom) == (0 if len(support) == 5 else 1)
    assert all(d[0] is inst and d[1] is bp and d[2] is results[0] for d in dom)


def test_selection_rate_alphas():
    from implicitreg.proofs.suites import selection as ssuite

    assert ssuite.rate_alphas(2) == ["1e-18", "1e-22", "1e-26", "1e-30"]
    assert ssuite.rate_alphas(F(5, 2), count=2) == ["1e-26", "1e-30"]          # 5 p / (p - 2) = 25 -> 26
    assert ssuite.rate_alphas(3) == ["1e-18", "1e-22", "1e-26", "1e-30"]       # 15 + 1 < 18
    assert ssuite.rate_alphas(F(21, 10))[0] == "1e-106"                        # 5 * 2.1 / 0.1 = 105 -> 106
    assert ssuite.rate_alphas(3, count=3, start=40) == ["1e-40", "1e-44", "1e-48"]


# ---------------------------------------------------------------- diagonal suite: the rows' fields

def _powers(alphas, exponent, constant=5):
    import mpmath

    with mpmath.workdps(60):
        return [constant * (mpmath.mpf(F(a).numerator) / F(a).denominator) ** mpmath.mpf(exponent) for a in alphas]


def test_diagonal_slope_row_fields():
    """Every field of a rate row: 5 significant digits for slopes, 3 for the deviation, the fitted tail's range."""
    import mpmath

    from implicitreg.proofs.suites import diagonal as dsuite

    alphas = ["1e-4", "1e-8", "1e-12", "1e-16"]
    with mpmath.workdps(60):
        exponent = mpmath.mpf(3) / 7 + mpmath.mpf("0.0012345")
    row = dsuite._slope_row("MS-D2 rate", "paper", "inst", 2, alphas, _powers(alphas, exponent), F(3, 7))
    assert (row.theorem, row.provenance, row.instance, row.depth) == ("MS-D2 rate", "paper", "inst", "2")
    assert row.alpha_range == "1e-8..1e-16" and row.observed == "slope 0.42981"   # 3/7 + 0.0012345 = 0.4298059
    assert row.bound == "0.42857 +- 0.02" and row.margin == "0.00123" and row.slope == "0.42981"
    assert row.slope_predicted == "0.42857" and row.passed is True
    assert row.note == "fit on the 3 smallest alphas; the exponent shifted by +-0.1 is rejected: True"
    assert dsuite._slope_row("R", "paper", "inst", 2, alphas, _powers(alphas, exponent), F(3, 7), note="n").note == "n"


def test_diagonal_slope_row_fits_half_of_a_long_grid():
    from implicitreg.proofs.suites import diagonal as dsuite

    alphas = [f"1e-{4 * k}" for k in range(1, 9)]
    row = dsuite._slope_row("R", "paper", "inst", 3, alphas, _powers(alphas, "1"), 1)
    assert row.alpha_range == "1e-20..1e-32" and row.passed and row.note.startswith("fit on the 4 smallest")


@pytest.mark.parametrize("offset, rejected", [("0.1", False), ("-0.1", False), ("0.05", True), ("-0.05", True),
                                              ("0.115", False), ("-0.085", False), ("0.125", True)])
def test_diagonal_slope_row_reports_whether_the_shifted_exponent_is_rejected(offset, rejected):
    import mpmath

    from implicitreg.proofs.suites import diagonal as dsuite

    alphas = ["1e-4", "1e-8", "1e-12", "1e-16"]
    with mpmath.workdps(60):
        exponent = mpmath.mpf("0.75") + mpmath.mpf(offset)
    row = dsuite._slope_row("R", "paper", "inst", 2, alphas, _powers(alphas, exponent), F(3, 4))
    assert row.passed is False and row.note.endswith(f"is rejected: {rejected}")


def test_diagonal_bound_row_fields_and_default_note():
    import mpmath

    from implicitreg.proofs.suites import diagonal as dsuite
    from implicitreg.theory.statement import Bound, Provenance, Theorem, alpha

    prov = Provenance("paper", "src")
    up = Bound("upper_x", "upper", "err", 3 * alpha, prov)
    thm = Theorem("T-x", "t", "s", prov, bounds=(up,))
    alphas = ["1e-4", "1e-8"]
    row = dsuite._bound_row(thm, up, "inst", F(5, 2), alphas, _powers(alphas, 1, 1), [{"alpha": F(a)} for a in alphas])
    assert (row.theorem, row.provenance, row.instance, row.depth, row.alpha_range) == \
        ("T-x upper_x", "paper", "inst", "5/2", "1e-4..1e-8")
    assert row.observed == "err (worst ratio)" and row.bound == "3*alpha" and row.note == "" and row.passed
    assert abs(mpmath.mpf(row.margin) - mpmath.mpf(1) / 3) < 1e-7 and row.margin == "0.33333333"


def test_diagonal_bound_row_skips_uninformative_alphas_and_goes_on():
    """A lower bound <= 0 at the first alphas says nothing there; the later alphas still decide (PASS here)."""
    from implicitreg.proofs.suites import diagonal as dsuite
    from implicitreg.theory.statement import Bound, Provenance, Theorem, alpha

    prov = Provenance("paper", "src")
    lo = Bound("lower_x", "lower", "err", F(1, 10 ** 6) - alpha, prov)
    zero = Bound("lower_0", "lower", "err", 0 * alpha + F(0), prov)
    thm = Theorem("T-y", "t", "s", prov, bounds=(lo,))
    alphas = ["1e-4", "1e-5", "1e-8", "1e-12"]
    obs = _powers(["1e-6"] * 4, 1, 1)   # err = 1e-6 >= 1e-6 - alpha wherever that is positive
    row = dsuite._bound_row(thm, lo, "inst", 2, alphas, obs, [{"alpha": F(a)} for a in alphas])
    assert row.passed and row.note == ""
    row = dsuite._bound_row(thm, zero, "inst", 2, alphas, obs, [{"alpha": F(a)} for a in alphas])
    assert not row.passed and "informative" in row.note


def test_selection_relative_difference():
    from implicitreg.proofs.suites import selection as ssuite

    assert ssuite._rel("1.1", "1") == _mpf("1.1") - 1 and ssuite._rel(3, -4) == _mpf(7) / 4
    assert ssuite._rel("-0.5", 0) == _mpf("0.5") and ssuite._rel(2, 2) == 0


def test_diagonal_bound_row_with_a_zero_or_unit_bound():
    """An upper bound 0 is met only by 0 (margin 0), else violated (margin inf); a bound 1 divides nothing away."""
    from implicitreg.proofs.suites import diagonal as dsuite
    from implicitreg.theory.statement import Bound, Provenance, Theorem, alpha

    prov = Provenance("paper", "src")
    zero, one = Bound("zero", "upper", "err", 0 * alpha, prov), Bound("one", "upper", "err", 1 + 0 * alpha, prov)
    thm = Theorem("T-z", "t", "s", prov, bounds=(zero, one))
    alphas = ["1e-4", "1e-8"]
    vals = [{"alpha": F(a)} for a in alphas]
    row = dsuite._bound_row(thm, zero, "inst", 2, alphas, [_mpf(0), _mpf(0)], vals)
    assert row.passed and row.margin == "0.0"
    row = dsuite._bound_row(thm, zero, "inst", 2, alphas, [_mpf(0), _mpf("1e-30")], vals)
    assert not row.passed and row.margin == "+inf"
    row = dsuite._bound_row(thm, one, "inst", 2, alphas, [_mpf("0.5"), _mpf("0.25")], vals)
    assert row.passed and row.margin == "0.5"


def test_diagonal_bound_row_notes_and_the_uninformative_row():
    from implicitreg.proofs.suites import diagonal as dsuite
    from implicitreg.theory.statement import Bound, Provenance, Theorem, alpha

    prov = Provenance("derived", "src", proof="proofs/x.py")
    up = Bound("up", "upper", "err", 3 * alpha, prov)
    vacuous = Bound("vac", "lower", "err", alpha - 1, prov)
    thm = Theorem("T-n", "t", "s", prov, bounds=(up, vacuous))
    alphas = ["1e-4", "1e-8"]
    vals = [{"alpha": F(a)} for a in alphas]
    at = _powers(alphas, 1, 3)
    assert dsuite._bound_row(thm, up, "i", 2, alphas, at, vals, "n").note == "n; attained within 1e-25 at 2 alpha(s)"
    assert dsuite._bound_row(thm, up, "i", 2, alphas, at, vals).note == "attained within 1e-25 at 2 alpha(s)"
    row = dsuite._bound_row(thm, vacuous, "i", F(7, 2), alphas, at, vals)
    assert (row.theorem, row.provenance, row.instance, row.depth, row.alpha_range) == \
        ("T-n", "derived", "i", "7/2", "1e-4..1e-8")
    assert (row.observed, row.bound, row.margin, row.passed) == ("-", "alpha - 1", "-", False)
    assert row.note == "no alpha where the bound is informative"
