"""The selection suite's row verdicts as pure functions, each fed known violations (one conjunct, one side of each
bound, one list position at a time), and the rows' use of them: with every solver stubbed, each row's verdict is
exactly what its verdict function returns (all forced True: every row PASS; all forced False: every row FAIL), and
every verdict function is called.

Expected verdicts come from the docstrings and docs/theory/wah.md (printed digits give the tolerances), never from
running the code: agreement with a spec constant is relative to the constant, a Thm E fit passes within 0.02
(inclusive) and must reject the exponent + 0.1, Lemma B's samples lie in [0, 1] (both ends included).
"""
from __future__ import annotations

from fractions import Fraction as F
from types import SimpleNamespace

import mpmath
import pytest
import sympy

from rowtools import one_off
from implicitreg.proofs.suites import selection as ss

M = mpmath.mpf


# ---------------------------------------------------------------- Thm E fits

def test_fit_constants():
    """wah.md's rates are checked to 0.02, a wrong exponent is off by 0.1, a settled window's local slopes agree to
    1/200 (the tolerances the suite's docstring states)."""
    assert ss.SLOPE_TOL == F(2, 100) and ss.MUTANT_SHIFT == F(1, 10) and ss.SETTLED == F(1, 200)


def test_slope_fits_inclusive_on_both_sides(dps60):
    pred, tol, ulp = F(3, 7), ss.mpf_from(ss.SLOPE_TOL), M(10) ** -55
    p = ss.mpf_from(pred)
    assert ss.slope_fits(p, pred) is True
    for sign in (1, -1):
        assert ss.slope_fits(p + sign * tol, pred) is True
        assert ss.slope_fits(p + sign * (tol + ulp), pred) is False
        assert ss.slope_fits(p + sign * M("0.1"), pred) is False          # the exponent off by 0.1


def test_fit_comparisons_at_exact_dyadic_boundaries():
    """Dyadic slope, prediction, tolerance and shift: |slope - pred| = tol fits; |slope - (pred + shift)| = tol is
    not a rejection."""
    tol, shift, pred = F(1, 64), F(1, 8), F(1, 2)
    half = M(1) / 2
    assert ss.slope_fits(half + M(1) / 64, pred, tol) is True and ss.slope_fits(half - M(1) / 64, pred, tol) is True
    assert ss.slope_fits(half + M(1) / 32, pred, tol) is False
    assert ss.shifted_exponent_rejected(half + M(1) / 8 + M(1) / 64, pred, tol, shift) is False
    assert ss.shifted_exponent_rejected(half + M(1) / 8 - M(1) / 64, pred, tol, shift) is False
    assert ss.shifted_exponent_rejected(half + M(1) / 8 + M(1) / 32, pred, tol, shift) is True
    assert ss.shifted_exponent_rejected(half - M(1) / 8 + M(1) / 64, pred, tol, shift) is True    # only + shift


def test_shifted_exponent_rejected_strictly(dps60):
    pred, tol, ulp = F(1, 2), ss.mpf_from(ss.SLOPE_TOL), M(10) ** -55
    mutant = ss.mpf_from(pred + ss.MUTANT_SHIFT)
    assert ss.shifted_exponent_rejected(ss.mpf_from(pred), pred) is True
    assert ss.shifted_exponent_rejected(mutant, pred) is False
    for sign in (1, -1):
        assert ss.shifted_exponent_rejected(mutant + sign * tol, pred) is False      # exactly tol away: not '>'
        assert ss.shifted_exponent_rejected(mutant + sign * (tol + ulp), pred) is True


@pytest.mark.parametrize("ok, rejected, passed", [(True, True, True), (True, False, False), (False, True, False),
                                                  (False, False, False)])
def test_fit_passes_needs_both(ok, rejected, passed):
    assert ss.fit_passes(ok, rejected) is passed


@pytest.mark.parametrize("k", [0, 1, 2])
def test_slope_deviations_within_every_planted_face(dps60, k):
    tol = ss.mpf_from(ss.SLOPE_TOL)
    devs = [M("0.001"), M("0.005"), M("0.01")]
    assert ss.slope_deviations_within(devs) is True
    assert ss.slope_deviations_within(one_off(devs, k, tol)) is True
    assert ss.slope_deviations_within(one_off(devs, k, tol + M(10) ** -55)) is False


# ---------------------------------------------------------------- agreement: absolute vectors, relative constants

@pytest.mark.parametrize("k", [0, 2, 4])
def test_agree_within_every_entry(dps60, k):
    ref = ["0", "0.25", "-0.5", "1", "3"]
    x = [M(v) for v in ref]
    tol = M(2) ** -27                                   # dyadic: x_k + tol is exact, the distance exactly tol
    assert ss.agree_within(x, ref, tol) is True
    assert ss.agree_within(one_off(x, k, x[k] + tol), ref, tol) is True
    assert ss.agree_within(one_off(x, k, x[k] + tol * (1 + M(10) ** -20)), ref, tol) is False
    assert ss.agree_within(one_off(x, k, x[k] - tol * (1 + M(10) ** -20)), ref, tol) is False
    with pytest.raises(ValueError):
        ss.agree_within(x[:4], ref, tol)


def test_agree_relative_is_relative_to_the_reference(dps60):
    assert ss.agree_relative(M(6), M(4), M("0.5")) is True                      # exactly at the tolerance
    assert ss.agree_relative(M(6) + M(10) ** -50, M(4), M("0.5")) is False
    assert ss.agree_relative(M(2), M(4), M("0.5")) is True and ss.agree_relative(M(2) - M(10) ** -50, M(4), M("0.5")) \
        is False
    rel = ss.SPEC_CONSTANT_REL
    for scale in (M("1e-30"), M("1e30")):
        assert ss.agree_relative(scale * M("1.004"), scale, rel) is True
        assert ss.agree_relative(scale * M("0.996"), scale, rel) is True
        assert ss.agree_relative(scale * M("1.006"), scale, rel) is False
        assert ss.agree_relative(scale * M("0.994"), scale, rel) is False
    assert ss.agree_relative(M("2e-30"), M("1e-30"), rel) is False              # at scale 1 this would 'agree'
    assert ss.agree_relative(M("1e-3"), 0, rel) is True and ss.agree_relative(M("1e-2"), 0, rel) is False


def test_spec_tolerances():
    assert ss.SPEC_CONSTANT_REL == M("0.005") and ss.LINE_CONSTANT_REL == M("0.0005")
    assert ss.CLOSED_FORM_TOL == M(10) ** -40 and ss.FACE2_SPEC_TOL == M("1e-8")
    assert ss.RHO_SPEC_REL == M("2e-5") and ss.X_SPEC_TOL == 1e-8 and ss.DEGENERATE_ZERO == 1e-30


def test_mutant_functional_detected_strictly_beyond_the_factor(dps60):
    right = M("1e-20")
    assert ss.MUTANT_FUNCTIONAL_FACTOR == 10 ** 6
    assert ss.mutant_functional_detected(right * 10 ** 6 * (1 + M(10) ** -30), right) is True
    assert ss.mutant_functional_detected(right * 10 ** 6, right) is False
    assert ss.mutant_functional_detected(right * 10 ** 5, right) is False


@pytest.mark.parametrize("k", [0, 1, 2])
def test_vanishes_needs_every_error(k):
    errs = [0.0, 1e-40, 9.9e-31]
    assert ss.vanishes(errs) is True
    assert ss.vanishes(one_off(errs, k, 1e-30)) is False                    # exactly the threshold is not below
    assert ss.vanishes(one_off(errs, k, 1e-3)) is False


@pytest.mark.parametrize("k", [0, 2, 4])
def test_spec_rho_and_minimizer_match(dps60, k):
    x_spec = ss.RANDOM_SPEC["x"]
    x = [M(v) for v in x_spec]
    rho = M("0.25514")
    assert ss.spec_rho_and_minimizer_match(rho, "0.25514", x, x_spec) is True
    for sign in (1, -1):
        assert ss.spec_rho_and_minimizer_match(rho * (1 + sign * M("1.9e-5")), "0.25514", x, x_spec) is True
        assert ss.spec_rho_and_minimizer_match(rho * (1 + sign * M("2.1e-5")), "0.25514", x, x_spec) is False
        assert ss.spec_rho_and_minimizer_match(rho, "0.25514", one_off(x, k, x[k] + sign * M("1.1e-8")),
                                               x_spec) is False
        assert ss.spec_rho_and_minimizer_match(rho, "0.25514", one_off(x, k, x[k] + sign * M("0.9e-8")),
                                               x_spec) is True


# ---------------------------------------------------------------- Lemma B

@pytest.mark.parametrize("r99, r90, failed, passed", [
    ("0.995", "0.95", [], True), ("0.995", "0.95", ["step 3"], False),
    ("0.99", "0.95", [], False), ("0.9900001", "0.95", [], True),           # 0.99 C_p must be exceeded
    ("1", "0.95", [], True), ("1.0000001", "0.95", [], False),             # ... without passing C_p
    ("0.995", "0.9", [], False), ("0.995", "0.9000001", [], True)])
def test_lemma_b_row_passes(r99, r90, failed, passed):
    assert ss.lemma_b_row_passes(M(r99), M(r90), M(1), failed) is passed


@pytest.mark.parametrize("k", [0, 2, 4])
def test_all_in_unit_interval_judges_the_extremes(k):
    fracs = [M("0.5"), M("0.1"), M("0.9"), M("0.3"), M("0.7")]
    assert ss.all_in_unit_interval(fracs) is True
    assert ss.all_in_unit_interval(one_off(fracs, k, M(0))) is True and \
        ss.all_in_unit_interval(one_off(fracs, k, M(1))) is True
    assert ss.all_in_unit_interval(one_off(fracs, k, M("-1e-30"))) is False       # the smallest is below 0
    assert ss.all_in_unit_interval(one_off(fracs, k, 1 + M("1e-15"))) is False    # the largest is above 1


# ---------------------------------------------------------------- Thm C

@pytest.mark.parametrize("k", [0, 1, 2])
def test_objective_and_distance_bounds_at_every_point(k):
    ratios = [M("0.5"), M("0.25"), M(1)]
    assert ss.objective_bound_holds(ratios) is True and ss.distance_bound_holds(ratios) is True
    assert ss.objective_bound_holds(one_off(ratios, k, M("1.0001"))) is False
    assert ss.distance_bound_holds(one_off(ratios, k, M("1.0001"))) is False
    assert ss.distance_bound_holds(one_off(ratios, k, mpmath.inf)) is False
    assert ss.objective_bound_holds([]) is False and ss.distance_bound_holds([]) is True


# ---------------------------------------------------------------- the kink

def _kink(**change):
    c = M("134.16356")
    args = dict(c=c, spec="134.16356", sym=c, closed=c, flow=c)
    args.update(change)
    return ss.kink_constant_agrees(**args)


def test_kink_constant_needs_every_path(dps60):
    c = M("134.16356")
    assert _kink() is True
    for sign in (1, -1):
        assert _kink(c=c + sign * M("4.9e-6"), sym=c + sign * M("4.9e-6"), closed=c + sign * M("4.9e-6"),
                     flow=c + sign * M("4.9e-6")) is True
        assert _kink(c=c + sign * M("5.1e-6"), sym=c + sign * M("5.1e-6"), closed=c + sign * M("5.1e-6"),
                     flow=c + sign * M("5.1e-6")) is False
        assert _kink(sym=c * (1 + sign * M("0.9e-25"))) is True
        assert _kink(sym=c * (1 + sign * M("1.1e-25"))) is False
        assert _kink(closed=c * (1 + sign * M("0.9e-12"))) is True
        assert _kink(closed=c * (1 + sign * M("1.1e-12"))) is False
        assert _kink(flow=c * (1 + sign * M("0.9e-12"))) is True
        assert _kink(flow=c * (1 + sign * M("1.1e-12"))) is False


def test_kink_constant_exact_boundaries(dps60):
    """Each tolerance attained exactly (dyadic or exact 60-digit sums) passes: every comparison includes its bound."""
    t = ss.KINK_SPEC_TOL
    c = M(128) + t                                                    # |c - 128| = t exactly
    assert ss.kink_constant_agrees(c, "128", c, c, c) is True
    assert ss.kink_constant_agrees(c + M(2) ** -100, "128", c, c, c) is False
    one = M(1)
    assert ss.kink_constant_agrees(one, "1", one + M(ss.KINK_SYMPY_REL), one, one) is True
    assert ss.kink_constant_agrees(one, "1", one + 2 * M(ss.KINK_SYMPY_REL), one, one) is False
    assert ss.kink_constant_agrees(one, "1", one, one + M(ss.KINK_PATHS_REL), one + M(ss.KINK_PATHS_REL)) is True
    assert ss.kink_constant_agrees(one, "1", one, one - M(ss.KINK_PATHS_REL), one - M(ss.KINK_PATHS_REL)) is True


def test_transition_exact_boundaries(dps60):
    one = M(1)
    assert ss.transition_matches(one + ss.TRANSITION_SPEC_REL, one, one + ss.TRANSITION_SPEC_REL) is True
    assert ss.transition_matches(one + ss.TRANSITION_PROFILE_REL, one + ss.TRANSITION_PROFILE_REL, one) is True
    assert ss.transition_scale_constant([one, one + ss.TRANSITION_TARGET_REL], one) is True
    assert ss.transition_scale_constant([one, one + 2 * ss.TRANSITION_TARGET_REL], one) is False


def test_ratio_approaches_one_reads_the_last_ratio(dps60):
    assert ss.ratio_approaches_one([M("1.1"), M("1.0000001"), M("1.05")]) is False
    assert ss.ratio_approaches_one([M("1.1"), M("1.05"), M("1.0000001")]) is True


def test_ratio_approaches_one_exact_boundary(dps60):
    below = M(2) ** -20
    assert ss.ratio_approaches_one([M("1.5"), 1 + below], below=below) is False         # strictly below
    assert ss.ratio_approaches_one([M("1.5"), 1 - below], below=below) is False
    assert ss.ratio_approaches_one([M("1.5"), 1 + below / 2], below=below) is True
    assert ss.KINK_P2_DEVIATION == "1e-6"


def test_kink_continuity_exact_boundary(dps60):
    small = 1 / mpmath.sqrt(2)
    assert ss.kink_continuous([M(0)], small + ss.SMALL_EPS_TOL, [True]) is True
    assert ss.kink_continuous([M(0)], small - ss.SMALL_EPS_TOL, [True]) is True
    assert ss.kink_continuous([ss.CONTINUITY_TOL], small, [True]) is True
    assert ss.kink_continuous([ss.CONTINUITY_TOL * (1 + M(10) ** -30)], small, [True]) is False


@pytest.mark.parametrize("ratios, passed", [
    (["1.1", "1.0000001"], True), (["0.9", "0.9999999"], True),
    (["1.1", "1.0000009999"], True), (["1.1", "0.9999990001"], True),
    (["1.1", "1.0000010001"], False), (["1.1", "0.9999989999"], False),      # just beyond 1e-6, either side
    (["1.00000001", "1.0000001"], False), (["1.0000001", "1.0000001"], False)])  # not closer than the first
def test_ratio_approaches_one(dps60, ratios, passed):
    assert ss.ratio_approaches_one([M(r) for r in ratios]) is passed


@pytest.mark.parametrize("err, spec, prof, passed", [
    ("1", "1", "1", True), ("1.019", "1", "1", True), ("0.981", "1", "1", True),
    ("1.021", "1", "1.021", False), ("0.979", "1", "0.979", False),       # only the spec reading is off
    ("1.029", "1.029", "1", True), ("1.031", "1.031", "1", False), ("0.969", "0.969", "1", False)])
def test_transition_matches(dps60, err, spec, prof, passed):
    assert ss.transition_matches(M(err), spec, M(prof)) is passed


@pytest.mark.parametrize("k", [0, 1, 2])
def test_transition_scale_constant(k):
    base = [M("1.2"), M("1.2"), M(1)]
    assert ss.transition_scale_constant(base, M(1)) is True
    # |1 - target| / target <= 0.05: target in [1/1.05, 1/0.95] = [0.95238.., 1.05263..]
    assert ss.transition_scale_constant(base, M("1.0526")) is True and ss.transition_scale_constant(base, M("0.9524"))
    assert ss.transition_scale_constant(base, M("1.0527")) is False
    assert ss.transition_scale_constant(base, M("0.9523")) is False
    spread = one_off([M(1)] * 3, k, M("1.5"))
    assert ss.transition_scale_constant(spread, spread[-1]) is True                 # max / min = 1.5 included
    spread = one_off([M(1)] * 3, k, M("1.51"))
    assert ss.transition_scale_constant(spread, spread[-1]) is False
    spread = one_off([M("1.5")] * 3, k, M("0.99"))                               # the smallest sets the spread
    assert ss.transition_scale_constant(spread, spread[-1]) is False


@pytest.mark.parametrize("k", [0, 2, 5])
def test_kink_continuous(k):
    devs = [M(0)] * 6
    small = 1 / mpmath.sqrt(2)
    assert ss.kink_continuous(devs, small, [True, True]) is True
    assert ss.kink_continuous(one_off(devs, k, M("1e-40")), small, [True]) is True
    assert ss.kink_continuous(one_off(devs, k, M("1.1e-40")), small, [True]) is False
    assert ss.kink_continuous(devs, small + M("0.9e-6"), [True]) is True
    assert ss.kink_continuous(devs, small + M("1.1e-6"), [True]) is False
    assert ss.kink_continuous(devs, small - M("1.1e-6"), [True]) is False
    assert ss.kink_continuous(devs, small, one_off([True] * 6, k, False)) is False


# ---------------------------------------------------------------- the rows' verdicts are the functions'

VERDICTS = ["agree_within", "mutant_functional_detected", "theta_constant_ok", "kkt_ok", "fit_passes",
            "agree_relative", "vanishes", "spec_rho_and_minimizer_match", "lemma_b_row_passes",
            "all_in_unit_interval", "objective_bound_holds", "distance_bound_holds", "kink_constant_agrees",
            "ratio_approaches_one", "transition_matches", "transition_scale_constant", "kink_continuous",
            "slope_deviations_within"]


def _stub_solvers(monkeypatch):
    """Every solver, SymPy evaluation and flow the row builders call, replaced by constants (cheap, and no longer
    deciding anything): what is left deciding a row is its verdict function."""
    from implicitreg.numerics import basis_pursuit, kink, limit, selection
    from implicitreg.proofs.derivations import lemma_b, selection as der
    from implicitreg.theory import potentials
    from implicitreg.theory import selection as tsel

    one = SimpleNamespace(evaluate=lambda dps, **v: M(1))
    bounds = SimpleNamespace(bound=lambda name: one)
    errs = SimpleNamespace(errors=[M("1e-20"), M("1e-25")], alpha_products=[M("1e-24"), M("1e-30")])
    bp = SimpleNamespace(value=F(1), unique=False, support=(0,), rho=F(1, 4), x=[F(0)] * 5, certificate=None)
    for mod, name, value in [
            (selection, "selected_minimizer", lambda inst, depth, digits: SimpleNamespace(x=[M(0)] * inst.N)),
            (der, "selected_t", lambda p: sympy.Rational(1, 3)), (der, "kink_steps", lambda: []),
            (selection, "selection_errors", lambda *a, **k: errs), (selection, "tie_break", lambda *a, **k: None),
            (selection, "kkt_residual", lambda *a: M(0)), (selection, "expansion_remainder", lambda *a, **k: M(0)),
            (basis_pursuit, "l1_minimizer", lambda inst: bp),
            (limit, "limit", lambda *a, **k: SimpleNamespace(x=[M(1)] + [M(0)] * 5, alpha_product=M(1))),
            (lemma_b, "steps", lambda depth: []), (lemma_b, "tightness_witness", lambda depth, u: (None, M(u.numerator) / u.denominator)),
            (potentials, "lemma_b_constant", lambda p: sympy.Integer(1)),
            (tsel, "THM_C", bounds), (tsel, "KINK_CONSTANT", bounds), (tsel, "KINK_P2", bounds),
            (kink, "limit_constant", lambda e, depth: M(1)), (kink, "kink_instance", lambda e: None),
            (kink, "transition_error", lambda *a, **k: M("0.1")),
            (kink, "collapse_profile", lambda depth, r: M(r) / 4),
            (kink, "transition_epsilon", lambda *a, **k: M(1)), (kink, "transition_scale", lambda *a, **k: M(1)),
            (ss, "predicted_slope", lambda depth, n, rho: (F(1), None)),
            (ss, "slope_check", lambda inst, depth, bp=None, alphas=None: (M(1), F(1), errs, ["1e-18"], True, True)),
            (ss, "_kink_limit", lambda *a, **k: (SimpleNamespace(x=[M("0.5")] * 2, alpha_product=M(1)), M(1)))]:
        monkeypatch.setattr(mod, name, value)


def _rows():
    insts = ss.instances()
    return (ss._selection_rows(insts) + ss._limit_rows(insts) + ss._rate_rows(insts, False)
            + ss._lemma_b_rows(False) + ss._thm_c_rows(False) + ss._kink_rows(False) + ss._generated_rows(False))


@pytest.mark.parametrize("verdict", [True, False])
def test_every_row_verdict_is_its_function(monkeypatch, verdict):
    _stub_solvers(monkeypatch)
    called = {}
    for name in VERDICTS:
        monkeypatch.setattr(ss, name, lambda *a, _n=name, **k: called.setdefault(_n, []).append((a, k)) or verdict)
    rows = _rows()
    assert set(called) == set(VERDICTS)
    # the tolerances the rows pass are the named ones (a row passing a wider one would still PASS)
    assert all(not k for calls in called.values() for _, k in calls)
    assert [a[2] for a, _ in called["agree_within"]] == [ss.CLOSED_FORM_TOL] * 10 + [ss.FACE2_SPEC_TOL] * 3
    assert [a[1:] for a, _ in called["agree_relative"]] == [("2.31", ss.SPEC_CONSTANT_REL),
                                                           ("1.43", ss.SPEC_CONSTANT_REL),
                                                           ("0.2042", ss.LINE_CONSTANT_REL)]
    assert [len(a) for a, _ in called["vanishes"]] == [1] and [len(a) for a, _ in called["ratio_approaches_one"]] \
        == [1, 1]
    assert [len(a) for a, _ in called["mutant_functional_detected"]] == [2]
    assert [len(a) for a, _ in called["theta_constant_ok"]] == [2] * 6
    assert [len(a) for a, _ in called["kkt_ok"]] == [2, 2]
    assert [len(a) for a, _ in called["slope_deviations_within"]] == [1, 1]
    planted = [r for r in rows if r.instance.startswith("planted face ")]   # a fit that fails gets its own row
    assert len(planted) == (0 if verdict else 8) and not any(r.passed for r in planted)
    rest = [r for r in rows if r not in planted]
    assert len(rest) == 62 and [r.passed for r in rest] == [verdict] * 62     # every row of the default run


# ---------------------------------------------------------------- the p = 2 window start (_dominance_start)

def _dominance_inputs(A, certificate, support, rho, consts, a_exp, first_z=None):
    """Inputs of _dominance_start whose off-support constants are chosen: with a = 10^-a_exp, L = log(1/a) and
    t = A^T lambda, z_j = t_j L + c_j log(10), so the two branches of x_j have log10 constants +c_j and -c_j
    (docstring of _dominance_start). The last of three windows is the one read; the earlier two hold garbage."""
    t = [sum((F(a) * F(l) for a, l in zip(col, certificate)), F(0)) for col in zip(*A)]
    with mpmath.workdps(60):
        L = M(a_exp) * mpmath.log(10)
        z = [ss.mpf_from(tj) * L + M(consts.get(j, 0)) * mpmath.log(10) for j, tj in enumerate(t)]
    garbage = SimpleNamespace(z=first_z or [M(10) ** 6] * len(t))
    inst = SimpleNamespace(A=[[F(a) for a in row] for row in A], N=len(t))
    bp = SimpleNamespace(certificate=[F(c) for c in certificate], support=support, rho=F(rho))
    res = SimpleNamespace(limits=[garbage, garbage, SimpleNamespace(z=z)],
                          alpha_products=[M(10) ** 3, M(10) ** 5, M(10) ** -a_exp])
    return inst, bp, res


def test_dominance_start_is_where_every_other_branch_is_1e3_below_the_leading_one():
    """A = [1, 1/2, 1/4], lambda = 1: t = (1, 1/2, 1/4), S = {0}, rho = 1/2, leading exponent 1 - rho = 1/2 with log10
    constant c_1 = 0.1. The other branches: (3/2, -0.1), (3/4, 5.3), (5/4, -5.3); each needs
    log10(1/a) > (3 + c - 0.1) / (g - 1/2): 2.8, 32.8, -3.2, so E0 = ceil(32.8) = 33 (by hand)."""
    inst, bp, res = _dominance_inputs([[1, F(1, 2), F(1, 4)]], [1], (0,), F(1, 2), {1: "0.1", 2: "5.3"}, 20)
    assert ss._dominance_start(inst, bp, res) == 33
    # the window where the constants were measured does not matter (they are read from z - t L)
    inst, bp, res = _dominance_inputs([[1, F(1, 2), F(1, 4)]], [1], (0,), F(1, 2), {1: "0.1", 2: "5.3"}, 47)
    assert ss._dominance_start(inst, bp, res) == 33


def test_dominance_start_other_branch_of_the_leading_pair_decides():
    """c_2 = -5.3 instead: the branches of coordinate 2 are (3/4, -5.3) and (5/4, +5.3): (3 - 5.4) / (1/4) = -9.6
    and (3 + 5.2) / (3/4) = 10.93..., the leading pair's own lower branch (3/2, -0.1) gives 2.8: E0 = 11."""
    inst, bp, res = _dominance_inputs([[1, F(1, 2), F(1, 4)]], [1], (0,), F(1, 2), {1: "0.1", 2: "-5.3"}, 20)
    assert ss._dominance_start(inst, bp, res) == 11


def test_dominance_start_takes_the_largest_leading_constant():
    """Two off-support coordinates attain rho = 1/2 (t = 1/2 and t = -1/2): the leading exponent 1/2 has the branches
    +c_1 = 0.1 and -c_2 = 2.5; the leading constant is the larger, 2.5. Then (3/2, -0.1): (3 - 2.6) / 1 = 0.4 -> 1;
    (3/2, c_2 = -2.5): (3 - 5) / 1 -> -2: E0 = 1 (with the smaller constant 0.1 it would be ceil(2.8) = 3)."""
    inst, bp, res = _dominance_inputs([[1, F(1, 2), F(-1, 2)]], [1], (0,), F(1, 2), {1: "0.1", 2: "-2.5"}, 20)
    assert ss._dominance_start(inst, bp, res) == 1


def test_dominance_start_never_negative_and_zero_without_a_leading_branch():
    """Every other branch already 1e3 below at a = 1 (c_1 = 5: (3 - 10) / 1 = -7): E0 = 0, the default start then
    stays. A rho matching no off-support |t_j| (here 0.3): no leading branch, E0 = 0. S = every coordinate: no
    off-support term, E0 = 0."""
    inst, bp, res = _dominance_inputs([[1, F(1, 2)]], [1], (0,), F(1, 2), {1: "5"}, 20)
    assert ss._dominance_start(inst, bp, res) == 0
    inst, bp, res = _dominance_inputs([[1, F(1, 2), F(1, 4)]], [1], (0,), F(3, 10), {1: "0.1", 2: "5.3"}, 20)
    assert ss._dominance_start(inst, bp, res) == 0
    inst, bp, res = _dominance_inputs([[1, F(1, 2)]], [1], (0, 1), F(1, 2), {}, 20)
    assert ss._dominance_start(inst, bp, res) == 0


def test_dominance_start_reads_every_row_of_the_certificate():
    """Two rows: A = [[1, 0, 1], [0, 1, 1/2]], lambda = (1/2, 1): t = (1/2, 1, 1). S = {0, 2}: the one off-support
    coordinate has t_1 = 1 (from the second row alone) = rho, leading exponent 0 with c_1 = 1; its other branch
    (2, -1) needs (3 - 1 - 1) / 2 = 1/2 -> E0 = 1 (with the second row of lambda dropped t_1 = 0: no leading branch)."""
    inst, bp, res = _dominance_inputs([[1, 0, 1], [0, 1, F(1, 2)]], [F(1, 2), 1], (0, 2), 1, {1: "1"}, 20)
    assert ss._dominance_start(inst, bp, res) == 1


def test_dominance_start_constants_are_log10_of_both_branches():
    """c_2 = -10: coordinate 2 (t = 1/4) has the branches (3/4, -10) and (5/4, +10), the second read as -w / log(10);
    (3 + 10 - 0.1) / (3/4) = 17.2 -> E0 = 18 (by hand; the other branches give -28.4 and 2.8)."""
    inst, bp, res = _dominance_inputs([[1, F(1, 2), F(1, 4)]], [1], (0,), F(1, 2), {1: "0.1", 2: "-10"}, 20)
    assert ss._dominance_start(inst, bp, res) == 18


def test_dominance_start_exponents_within_1e_20_are_one_exponent():
    """t_2 = 1/2 - 5e-21 is within the tie tolerance 1e-20 of rho = 1/2: its branch (1/2 + 5e-21, c_2 = 1) is a
    leading branch (lead_c = max(0.1, 1) = 1) and not an 'other' one (which would need E0 ~ 1e21). The others:
    (3/2, -0.1): (3 - 1.1) / 1 = 1.9 -> 2 and (3/2 - 5e-21, -1): 1 / (1 - 5e-21) -> 2: E0 = 2 (by hand)."""
    t2 = F(1, 2) - F(5, 10 ** 21)
    inst, bp, res = _dominance_inputs([[1, F(1, 2), t2]], [1], (0,), F(1, 2), {1: "0.1", 2: "1"}, 20)
    assert ss._dominance_start(inst, bp, res) == 2
