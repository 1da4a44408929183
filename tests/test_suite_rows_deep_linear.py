"""The deep-linear suite's row verdicts as pure functions, each fed known violations (one conjunct, one bound side,
one list position at a time), and the rows' use of them: each verdict function forced to False must turn its row to
FAIL (on eigvec-d3 at small depth, flows and SymPy replaced by stubs where they are only the input).

Expected verdicts come from the docstrings (docs/theory/deep_linear.md for the statements): S_LB is a lower bound
on *every* minimizer's sharpness, so the flattest sample decides; the relative rounding allowance is the computed
digits' (1e-30), never a wider slack.
"""
from __future__ import annotations

from fractions import Fraction as F
from types import SimpleNamespace

import mpmath
import numpy as np
import pytest

from rowtools import one_off
from implicitreg.proofs.suites import deep_linear as sdl
from implicitreg.numerics import deep_linear as dl

M = mpmath.mpf
REL = M(10) ** -30


# ---------------------------------------------------------------- bounds up to the computed digits

def test_digits_constants():
    assert sdl.DPS == 40 and sdl.AGREE_DIGITS == 30


def test_above_and_below_within_are_the_rounding_only(dps40):
    lb = M(7)
    assert sdl.above_within(lb, lb, REL) and sdl.above_within(lb * 2, lb, REL)
    assert sdl.above_within(lb * (1 - M(10) ** -31), lb, REL)
    assert not sdl.above_within(lb * (1 - M(10) ** -29), lb, REL)        # a violation a factor 10 above the slack
    assert not sdl.above_within(lb * (1 - 2 * REL), lb, REL)
    ub = M(7)
    assert sdl.below_within(ub, ub, REL) and sdl.below_within(ub / 2, ub, REL)
    assert sdl.below_within(ub * (1 + M(10) ** -31), ub, REL)
    assert not sdl.below_within(ub * (1 + M(10) ** -29), ub, REL)
    assert not sdl.below_within(ub * (1 + 2 * REL), ub, REL)


def test_exact_boundaries_of_the_rounding_allowance(dps40):
    """Dyadic numbers make the boundary exact: 1024 (1 + 2^-10) = 1025, 1024 (1 - 2^-10) = 1023."""
    rel = M(2) ** -10
    assert sdl.above_within(M(1024), M(1025), rel) is True
    assert sdl.above_within(M(1024), M(1025) + M(2) ** -60, rel) is False
    assert sdl.below_within(M(1024), M(1023), rel) is True
    assert sdl.below_within(M(1024), M(1023) - M(2) ** -60, rel) is False
    assert sdl.flattest_sample_above([M(2048), M(1024)], M(1025), rel) is True
    assert sdl.paths_agree(M(4), (M(4) + M(2) ** -98,), M(2) ** -100) is False        # gap exactly rel: strict
    assert sdl.paths_agree(M(4), (M(4) + M(2) ** -99,), M(2) ** -100) is True


def test_the_slack_is_relative_at_every_scale(dps40):
    for scale in (M("1e-30"), M("1e30")):
        assert not sdl.above_within(scale * (1 - M(10) ** -20), scale, REL)
        assert sdl.above_within(scale * (1 - M(10) ** -31), scale, REL)
        assert not sdl.below_within(scale * (1 + M(10) ** -20), scale, REL)
        assert sdl.below_within(scale * (1 + M(10) ** -31), scale, REL)


@pytest.mark.parametrize("k", [0, 2, 4])
def test_flattest_sample_decides_mc_lb(dps40, k):
    """The smallest sampled sharpness is the one S_LB must bound: one sample below fails, wherever it is."""
    s_lb = M(10)
    values = [M(11), M(12), M(13), M(14), M(15)]
    assert sdl.flattest_sample_above(values, s_lb, REL) is True
    assert sdl.flattest_sample_above(one_off(values, k, M("9.99")), s_lb, REL) is False
    assert sdl.flattest_sample_above(one_off(values, k, s_lb), s_lb, REL) is True
    assert sdl.flattest_sample_above(one_off(values, k, s_lb * (1 - 2 * REL)), s_lb, REL) is False


@pytest.mark.parametrize("others", [(M(4) * (1 + M(10) ** -31), M(4)), (M(4), M(4) * (1 - M(10) ** -31))])
def test_paths_agree_strictly_below_the_tolerance(dps40, others):
    assert sdl.paths_agree(M(4), others, REL) is True
    assert sdl.paths_agree(M(4), (M(4), M(4)), REL) is True


@pytest.mark.parametrize("k", [0, 1])
def test_paths_disagree_when_one_path_is_off(dps40, k):
    good = [M(4), M(4)]
    assert sdl.paths_agree(M(4), one_off(good, k, M(4) * (1 + M(10) ** -29)), REL) is False
    assert sdl.paths_agree(M(4), one_off(good, k, M(4) * (1 - M(10) ** -29)), REL) is False
    assert sdl.paths_agree(M(4), one_off(good, k, M(4) * (1 + REL)), REL) is False        # exactly at: strict


def test_paths_agree_is_relative_at_every_scale(dps40):
    for x in (M("1e-30"), M("1e30")):
        assert sdl.paths_agree(x, (x * (1 + M(10) ** -31),), REL) is True
        assert sdl.paths_agree(x, (x * (1 + M(10) ** -25),), REL) is False


@pytest.mark.parametrize("L, expected", [(2, False), (3, True), (5, True), (1, False)])
def test_equality_expected_on_the_eigenvector_family(L, expected):
    """mu = 4/3, others 1/3 and 3: L mu >= 3 iff L >= 9/4 (L = 3 is the first integer depth with equality)."""
    assert sdl.EIGVEC_MU == F(4, 3) and sdl.EIGVEC_OTHERS == (F(1, 3), F(3))
    assert sdl.equality_expected(L, sdl.EIGVEC_MU, sdl.EIGVEC_OTHERS) is expected


def test_equality_expected_boundary_and_the_largest_other():
    assert sdl.equality_expected(F(9, 4), F(4, 3), (F(1, 3), F(3))) is True          # L mu = 3 exactly
    assert sdl.equality_expected(F(9, 4) - F(1, 10 ** 9), F(4, 3), (F(1, 3), F(3))) is False
    assert sdl.equality_expected(3, F(4, 3), (F(5), F(1))) is False                   # the largest other decides
    assert sdl.equality_expected(3, F(4, 3), (F(1), F(5))) is False


def test_equality_as_predicted_both_ways(dps40):
    s = M(5)
    assert sdl.equality_as_predicted(s, s, True, REL) is True
    assert sdl.equality_as_predicted(s * (1 + M(10) ** -31), s, True, REL) is True
    assert sdl.equality_as_predicted(s * (1 + M(10) ** -29), s, True, REL) is False    # predicted equal, is not
    assert sdl.equality_as_predicted(s, s, False, REL) is False                        # predicted strict, is equal
    assert sdl.equality_as_predicted(s * 2, s, False, REL) is True


@pytest.mark.parametrize("k", [0, 1, 2])
def test_every_mutant_caught(k):
    assert sdl.every_mutant_caught([True, True, True]) is True
    assert sdl.every_mutant_caught(one_off([True, True, True], k, False)) is False
    assert sdl.every_mutant_caught(one_off([False, False, False], k, True)) is False
    assert sdl.every_mutant_caught([]) is False


@pytest.mark.parametrize("k", [0, 1, 2])
def test_every_run_within_the_small_init_bound(k):
    statuses, ratios = [1, 1, 1], [0.5, 0.75, 1.0]
    assert sdl.every_run_within(statuses, ratios) is True                # = 1 included
    assert sdl.every_run_within(one_off(statuses, k, 0), ratios) is False
    assert sdl.every_run_within(one_off(statuses, k, -1), ratios) is False
    assert sdl.every_run_within(statuses, one_off(ratios, k, 1.0 + 2 ** -52)) is False


@pytest.mark.parametrize("k", [0, 1, 2])
def test_every_check_passed(k):
    assert sdl.every_check_passed([True] * 3) is True
    assert sdl.every_check_passed(one_off([True] * 3, k, False)) is False


@pytest.mark.parametrize("k", [0, 1, 2])
def test_all_converged_above(k):
    statuses, S = [1, 1, 1], [10.0, 11.0, 12.0]
    assert sdl.all_converged_above(statuses, S, 10.0) is True
    assert sdl.all_converged_above(one_off(statuses, k, 0), S, 10.0) is False
    assert sdl.all_converged_above(statuses, one_off(S, k, 10.0 * (1 - 1e-8)), 10.0) is False
    assert sdl.all_converged_above(statuses, one_off(S, k, 10.0 * (1 - 1e-10)), 10.0) is True
    with pytest.raises(ValueError):
        sdl.all_converged_above(statuses, S[:2], 10.0)


def test_approaches_balanced_needs_convergence_and_shrinking():
    assert sdl.BALANCED_EXCESS == 1e-3
    st, S, ex = [1, 1, 1], [2.0, 2.0, 2.0], [0.1, 0.01, 0.0005]
    assert sdl.approaches_balanced(st, S, 1.0, ex) is True
    assert sdl.approaches_balanced([1, 0, 1], S, 1.0, ex) is False
    assert sdl.approaches_balanced(st, [2.0, 0.5, 2.0], 1.0, ex) is False
    assert sdl.approaches_balanced(st, S, 1.0, [0.1, 0.01, 0.001]) is False            # exactly at the threshold
    assert sdl.approaches_balanced(st, S, 1.0, [0.1, 0.01, -0.002]) is False           # |excess| on both sides
    assert sdl.approaches_balanced(st, S, 1.0, [0.1, 0.2, 0.0005]) is False


def test_imbalance_bound_and_conservation(dps40):
    assert sdl.IMBALANCE_FACTOR == 100
    bound = sdl.imbalance_bound(M("1e-14"), M(3))
    assert abs(bound - M("3e-12")) < M(10) ** -35
    assert sdl.imbalance_conserved(0, bound, bound) is True                   # the bound included
    assert sdl.imbalance_conserved(0, bound * (1 + M(10) ** -30), bound) is False
    assert sdl.imbalance_conserved(1, bound / 2, bound) is False              # integrate did not reach t_end
    assert sdl.imbalance_conserved(-1, bound / 2, bound) is False


def test_gd_drift_slope_constants():
    assert sdl.GD_DRIFT_SLOPE == 1 and sdl.GD_SLOPE_TOL == 0.1
    assert sdl.slope_within(1.09, sdl.GD_DRIFT_SLOPE, sdl.GD_SLOPE_TOL)
    assert not sdl.slope_within(1.1 + 1e-9, sdl.GD_DRIFT_SLOPE, sdl.GD_SLOPE_TOL)
    assert not sdl.slope_within(0.9 - 1e-9, sdl.GD_DRIFT_SLOPE, sdl.GD_SLOPE_TOL)
    assert sdl.FLOAT_REL == 1e-9 and sdl.EOS_EXCESS_FLOOR == 1e-6 and sdl.STRUCTURE_SLACK == 1e-6


# ---------------------------------------------------------------- the rows call these functions

def _fail_all(monkeypatch, names, args=None):
    calls = []
    for name in names:
        monkeypatch.setattr(sdl, name, lambda *a, _n=name, **k: calls.append(_n) or (args is not None and
                                                                                     args.append((_n, a, k))) or False)
    return calls


def _is_digits_rounding(rel):
    """The relative allowance 10^-AGREE_DIGITS = 1e-30 (computed at the suite's working precision)."""
    return abs(rel / M(10) ** -30 - 1) < M(10) ** -14


def test_the_mc_lb_rows_use_their_verdict_functions(monkeypatch):
    data = sdl.instances()[2]
    rows = []
    sdl._mc_lb_rows(data, 2, np.random.default_rng(0), 1, rows)
    assert len(rows) == 5 and all(r.passed for r in rows)
    seen = {}
    real = sdl.flattest_sample_above
    monkeypatch.setattr(sdl, "flattest_sample_above",
                        lambda S, lb, rel: seen.setdefault("S", list(S)) and seen.setdefault("rel", rel) and False)
    args = []
    calls = _fail_all(monkeypatch, ["paths_agree", "agree", "ordered", "below_within"], args)
    rows = []
    sdl._mc_lb_rows(data, 2, np.random.default_rng(0), 1, rows)
    assert [r.passed for r in rows] == [False] * 5
    assert calls == ["paths_agree", "agree", "ordered", "below_within"]
    assert all(not k and _is_digits_rounding(a[-1]) for _, a, k in args)     # no wider allowance than the digits
    assert len(args[0][1][1]) == 2                                            # closed form and Lanczos vs eigsy
    # the row's observed value is the flattest sample, the one the verdict function judges
    assert len(seen["S"]) == 4 and rows[0].observed == sdl.fmt(min(seen["S"]), 8)
    assert abs(seen["rel"] / M(10) ** -30 - 1) < M(10) ** -14          # the computed digits' rounding, no wider
    with mpmath.workdps(sdl.DPS):
        assert real(seen["S"], min(seen["S"]), REL) and not real(seen["S"], min(seen["S"]) * 2, REL)


def test_the_equality_rows_use_their_verdict_functions(monkeypatch):
    rows = []
    sdl._equality_rows(rows)
    assert [r.theorem for r in rows] == ["MC-Smin [equality iff L mu >= others]"] * 2 + [
        "MC-LB [mutants caught]", "MC-Smin [equality iff L mu >= others]", "MC-LB [mutants caught]"]
    assert all(r.passed for r in rows)
    seen = []
    monkeypatch.setattr(sdl, "every_mutant_caught", lambda caught: seen.append(list(caught)) or False)
    monkeypatch.setattr(sdl, "equality_as_predicted",
                        lambda s, lb, expected, rel: seen.append(expected if _is_digits_rounding(rel) else rel) or False)
    rows = []
    sdl._equality_rows(rows)
    assert not any(r.passed for r in rows)
    assert seen == [False, True, [True, True], True, [True, True]]


def test_the_homogeneity_rows_use_agree(monkeypatch):
    def fake_min(data, L, dps):
        with mpmath.workdps(dps):
            return SimpleNamespace(value=M(3) ** (2 - M(2) / L) if "x 3" in data.name else M(1))

    monkeypatch.setattr(sdl.dl, "min_sharpness", fake_min)
    rows = []
    sdl._homogeneity_rows(rows)
    assert [r.passed for r in rows] == [True, True]
    args = []
    _fail_all(monkeypatch, ["agree"], args)
    rows = []
    sdl._homogeneity_rows(rows)
    assert [r.passed for r in rows] == [False, False]
    assert len(args) == 2 and all(not k and _is_digits_rounding(a[2]) for _, a, k in args)


def test_the_derivation_rows_use_every_check_passed(monkeypatch):
    ok = SimpleNamespace(passed=True, name="step")
    monkeypatch.setattr(sdl.deriv, "symbolic_checks", lambda: [ok, ok])
    monkeypatch.setattr(sdl.deriv, "check_test_direction", lambda net, data: ok)
    monkeypatch.setattr(sdl.deriv, "check_metric_domination", lambda net, w: ok)
    rows = []
    sdl._derivation_rows(rows)
    assert [r.passed for r in rows] == [True, True]
    seen = []
    monkeypatch.setattr(sdl, "every_check_passed", lambda flags: seen.append(list(flags)) or False)
    rows = []
    sdl._derivation_rows(rows)
    assert [r.passed for r in rows] == [False, False] and seen == [[True, True], [True] * 6]


def test_the_flow_rows_use_their_verdict_functions(monkeypatch):
    """MC-SI, MC-RI, DLN-imbalance and MC-EoS with every flow stubbed: passing inputs, then each function False."""
    net = SimpleNamespace()
    monkeypatch.setattr(sdl, "_float_constants", lambda data, L: (1.0, 2.0, 1.0))
    monkeypatch.setattr(sdl, "_structure_ok", lambda net, net0: True)
    monkeypatch.setattr(sdl.dl, "imbalances", lambda n: [np.eye(2)])
    S3 = {0.1: 1.01, 0.03: 1.001, 0.01: 1.0001}
    monkeypatch.setattr(sdl, "small_init_run", lambda data, L, s, seed: (SimpleNamespace(status=1, net=net),
                                                                         S3.get(s, 1.5), net))
    monkeypatch.setattr(sdl.dl, "residual_init", lambda d, L, s, rng: net)
    monkeypatch.setattr(sdl.dl, "gradient_flow", lambda *a, **k: SimpleNamespace(status=1, net=net))
    monkeypatch.setattr(sdl.dl, "sharpness_exact", lambda n, data: SimpleNamespace(value=1.5))
    monkeypatch.setattr(sdl, "imbalance_drift_mp", lambda data, **k: (M("1e-13"), M(1), SimpleNamespace(status=0,
                                                                                                          nsteps=9)))
    monkeypatch.setattr(sdl, "gd_drift", lambda data, etas: [e / 10 for e in etas])
    gd = {True: SimpleNamespace(status=1, t=10, net=net), False: SimpleNamespace(status=0, t=5000, net=net)}
    monkeypatch.setattr(sdl.dl, "deep_gradient_descent", lambda net0, data, eta, n, **k: gd[eta < 1e-9])
    monkeypatch.setattr(sdl.dl, "excess_loss", lambda n, data: 1.0)
    monkeypatch.setattr(sdl.dl, "data_constants", lambda data, kind: SimpleNamespace(a=1, a_prime=1, Lambda=1,
                                                                                     w_norm=1))
    eta_max = SimpleNamespace(evaluate=lambda dps, **v: 1e-9)                  # 2 / S_LB, stubbed
    monkeypatch.setattr(sdl, "ts", SimpleNamespace(MC_EOS=SimpleNamespace(bound=lambda name: eta_max)))

    def rows():
        out = []
        sdl._small_init_rows(False, out)
        sdl._residual_rows(False, out)
        sdl._imbalance_rows(False, out)
        sdl._eos_rows(out)
        return out

    got = rows()
    assert [r.theorem for r in got] == [
        "MC-SI [S <= 8 L Lambda |w*|^(2-2/L)]", "MC-SI [rank-one / top-sv bounds]", "MC-SI [S/S_bal -> 1 as s -> 0]",
        "MC-RI [converges, S >= S_LB]", "MC-RI [converges, S >= S_LB]", "DLN-imbalance [GF, mpmath 30 digits]",
        "DLN-imbalance [GD drifts O(eta)]", "MC-EoS [GD eta > 2/S_LB does not converge]"]
    assert all(r.passed for r in got)
    args = []
    calls = _fail_all(monkeypatch, ["every_run_within", "every_check_passed", "approaches_balanced",
                                    "all_converged_above", "imbalance_conserved", "slope_within",
                                    "edge_of_stability"], args)
    assert not any(r.passed for r in rows())
    assert all(not k for _, _, k in args)                                     # defaults: the named constants
    by = {n: a for n, a, _ in args}
    assert by["slope_within"][1:] == (sdl.GD_DRIFT_SLOPE, sdl.GD_SLOPE_TOL)
    assert len(by["approaches_balanced"]) == 4 and len(by["edge_of_stability"]) == 3
    assert abs(by["imbalance_conserved"][2] - M("1e-12")) < M(10) ** -25          # 100 rtol x (scale 1)
    assert calls == ["every_run_within", "every_check_passed", "approaches_balanced", "all_converged_above",
                     "all_converged_above", "imbalance_conserved", "slope_within", "edge_of_stability"]


# ---------------------------------------------------------------- the row record and the structure slack

def test_row_carries_the_verdict_and_every_field(dps40):
    """_row builds the Verdict the table prints: the verdict as a bool (truthy/falsy inputs), observed, bound and
    margin to 8 significant digits, None as an empty cell, the depth as text, no alpha range or convention."""
    v = sdl._row("MC-LB", "paper", "eigvec-d3", 3, M(2) / 3, M(1) / 7, M(14) / 3, 1, note="n", slope="s",
                 predicted="p")
    assert (v.theorem, v.provenance, v.instance, v.depth, v.alpha_range) == ("MC-LB", "paper", "eigvec-d3", "3", "-")
    assert (v.observed, v.bound, v.margin) == ("0.66666667", "0.14285714", "4.6666667")
    assert v.passed is True and (v.slope, v.slope_predicted, v.note, v.alpha_convention) == ("s", "p", "n", "n/a")
    v = sdl._row("T", "derived", "i", "2,3,5", None, None, None, 0)
    assert (v.observed, v.bound, v.margin, v.passed) == ("", "", "", False)
    assert (v.slope, v.slope_predicted, v.note, v.depth) == ("", "", "", "2,3,5")
    v = sdl._row("T", "derived", "i", 2, 0, 0, 0, [True])
    assert (v.observed, v.bound, v.margin, v.passed) == ("0.0", "0.0", "0.0", True)


def _two_layer(eps2):
    """W_1 = diag(1, sqrt(eps2)), W_2 = (1, 0): sigma_2(W_1)^2 = eps2, sigma_1 = 1 in both layers, aligned."""
    return dl.DeepLinearNetwork((np.diag([1.0, float(np.sqrt(eps2))]), np.array([[1.0, 0.0]])))


def test_structure_ok_allows_the_structure_slack_and_no_more():
    """From a balanced start (D_1(0) = 0: W_1 = diag(1, 0), W_2 = (1, 0)) the rank-one bound is sigma_2(W_1)^2 <= 0 +
    slack: 5e-7 passes, 2e-6 fails with STRUCTURE_SLACK = 1e-6; a slack passed in is the one used."""
    net0 = _two_layer(0.0)
    assert sdl._structure_ok(net0, net0) is True
    assert sdl._structure_ok(_two_layer(5e-7), net0) is True
    assert sdl._structure_ok(_two_layer(2e-6), net0) is False
    assert sdl._structure_ok(_two_layer(2e-6), net0, slack=1e-5) is True
    assert sdl._structure_ok(_two_layer(5e-7), net0, slack=1e-7) is False
