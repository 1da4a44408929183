"""``verify --instance`` (proofs/instance_verify.py) at its documented limits and verdict conjuncts (issue 13,
hardening). The numerics a row depends on are replaced by stubs returning chosen values, so each verdict's
conjuncts are driven one at a time on both sides of their thresholds (values from the module docstring and the
row notes: WAH-D "decreasing to 0" within 1e-3 of |x_g|, KKT residual <= 1e-30, the WAH-E exponent +-0.1
rejected, MS-D3 needs rho_a < 1 at >= 3 alphas, 1 to 6 depths, alpha range 1e-200 <= LO <= HI < 1).
"""
from __future__ import annotations

from fractions import Fraction as F
from types import SimpleNamespace

import mpmath
import pytest

from implicitreg.errors import InvalidParameterError
from implicitreg.numerics.instance import Instance
from implicitreg.proofs import instance_verify as iv
from implicitreg.proofs.checks import Verdict

INST = Instance.from_lists([[1, "1/2", "1/3"]], [1], name="row3")


def verdict(passed):
    return Verdict("T", "paper", "i", "2", "1e-3", 1, 1, 1, passed)


def test_a_report_passes_only_with_at_least_one_verdict_and_all_passing():
    rep = iv.InstanceVerification("i", "diagonal")
    assert rep.passed is False and rep.to_json()["passed"] is False
    rep.verdicts = [verdict(True)]
    assert rep.passed is True
    rep.verdicts = [verdict(True), verdict(False)]
    assert rep.passed is False
    rep.verdicts = [verdict(False), verdict(True)]
    assert rep.passed is False


def test_main_exits_1_without_verdicts(monkeypatch):
    import io

    monkeypatch.setattr(iv, "verify_instance", lambda *a, **k: iv.InstanceVerification("i", "diagonal"))
    assert iv.main("x.json", out=io.StringIO()) == 1
    rep = iv.InstanceVerification("i", "diagonal", verdicts=[verdict(True)])
    monkeypatch.setattr(iv, "verify_instance", lambda *a, **k: rep)
    assert iv.main("x.json", out=io.StringIO()) == 0


def test_alpha_range_lower_end_at_least_1e_minus_200():
    assert iv._parse_range("1e-200:1e-4", "diagonal") == (F(1, 10 ** 200), F(1, 10 ** 4))
    with pytest.raises(InvalidParameterError, match="smallest alpha supported in instance mode is 1e-200"):
        iv._parse_range("9e-201:1e-4", "diagonal")
    for bad, words in (("0:1e-4", "0 < LO <= HI"), ("1e-3:1e-4", "0 < LO <= HI"), ("-1:1", "0 < LO <= HI"),
                       ("1:2:3", "must be LO:HI"), ("a:1", "alpha range")):
        with pytest.raises(InvalidParameterError, match=words):
            iv._parse_range(bad, "diagonal")
    assert iv._parse_range("1e-4:1e-4", "diagonal") == (F(1, 10 ** 4),) * 2
    assert iv._parse_range(None, "deep-linear") == (F(1, 100), F(1, 10))


@pytest.fixture
def stubbed(monkeypatch):
    seen = {}

    def diag(inst, depths, lo, hi, convention, report):
        seen.update(depths=depths, lo=lo, hi=hi, convention=convention)

    monkeypatch.setattr(iv, "_diagonal", diag)
    return seen


def test_one_to_six_distinct_depths(stubbed):
    data = {"A": [[1, "1/2"]], "y": [1]}
    iv.verify_instance(data, depths=[2, 3, 4, 5, 6, "13/2"])
    assert stubbed["depths"] == [2, 3, 4, 5, 6, F(13, 2)]
    iv.verify_instance(data, depths=[2, 3, 4, 5, 6, 7, 2])  # duplicates count once
    assert len(stubbed["depths"]) == 6
    with pytest.raises(InvalidParameterError, match="give between 1 and 6 depths"):
        iv.verify_instance(data, depths=[2, 3, 4, 5, 6, 7, 8])
    with pytest.raises(InvalidParameterError, match="give between 1 and 6 depths"):
        iv.verify_instance(data, depths=[])


def test_diagonal_alpha_range_must_stay_below_1(stubbed):
    data = {"A": [[1, "1/2"]], "y": [1]}
    iv.verify_instance(data, alpha_range="1e-3:999/1000")
    assert stubbed["hi"] == F(999, 1000)
    with pytest.raises(InvalidParameterError, match="HI < 1"):
        iv.verify_instance(data, alpha_range="1e-3:1")


def test_alpha_grids():
    assert iv.alpha_grid(F(1, 10 ** 30), F(1, 10 ** 4), 7) == ["1e-4", "1e-8", "1e-13", "1e-17", "1e-21", "1e-26",
                                                                "1e-30"]
    assert iv.alpha_grid(F(1, 100), F(1, 10), 2) == ["1e-1", "1e-2"]
    assert iv.alpha_grid(F(2, 10 ** 5), F(3, 1000), 3) == ["3/1000", "3/12500", "1/50000"]
    assert iv.alpha_grid(F(1, 1000), F(1, 1000), 5) == ["1e-3"]
    assert iv._alpha_text(F(1, 10)) == "1e-1" and iv._alpha_text(F(1, 10 ** 12)) == "1e-12"
    assert iv._alpha_text(F(1, 20)) == "1/20" and iv._alpha_text(F(1, 101)) == "1/101"


def test_product_grid_points_and_conversion():
    lo, hi = F(1, 10 ** 30), F(1, 10 ** 4)
    assert len(iv._product_grid(lo, hi, F(2), "product")) == 7
    assert len(iv._product_grid(lo, hi, F(3), "product")) == 5
    assert len(iv._product_grid(lo, hi, F(5, 2), "product")) == 5
    # factor convention: alpha_prod = alpha^D (integer D)
    assert iv._product_grid(F(1, 10 ** 15), F(1, 100), F(2), "factor") == iv.alpha_grid(lo, hi, 7)
    assert iv._product_grid(F(1, 10 ** 10), F(1, 10), F(3), "factor")[0] == "1e-3"
    with pytest.raises(InvalidParameterError, match="non-integer depth"):
        iv._product_grid(lo, hi, F(5, 2), "factor")


def test_ms_d3_keeps_the_alphas_with_rho_a_below_1_and_needs_three(monkeypatch):
    from implicitreg.numerics import quantities
    from implicitreg.proofs.suites import diagonal as sd

    values = {}
    monkeypatch.setattr(quantities, "compute", lambda name, run: values[run.alpha])
    monkeypatch.setattr(sd, "_d3_rows", lambda name, inst, sc, D, keep, data: [("rows", tuple(keep))])
    # errors resolved to 40 digits (the rows are the suite's as they are)
    monkeypatch.setattr(iv, "_errors", lambda inst, sc, D, keep, limits: (
        [], [iv._Measured("e", keep, [1] * len(keep), [mpmath.mpf(10) ** -40] * len(keep))] * 3))
    grid = ["1e-4", "1e-6", "1e-8", "1e-10"]

    def run(rho_as):
        values.clear()
        values.update({quantities.DiagonalRun(INST, F(3), a).alpha: mpmath.mpf(r) for a, r in zip(grid, rho_as)})
        return iv._ms_d3(INST, None, F(3), grid)

    rows, reason = run(["0.5", "0.5", "0.5", "0.5"])
    assert rows == [("rows", tuple(grid))] and reason == ""
    rows, reason = run(["1", "0.5", "0.5", "0.5"])  # rho_a = 1 is not < 1
    assert rows == [("rows", tuple(grid[1:]))] and "alpha = 1e-4 (above alpha_0)" in reason
    rows, reason = run(["1.5", "0.999", "0.5", "0.5"])
    assert rows == [("rows", tuple(grid[1:]))]
    rows, reason = run(["2", "1", "0.5", "0.5"])  # two left: not enough
    assert rows == [] and "except 2 alpha(s)" in reason
    rows, reason = iv._ms_d3(INST, None, F(3), [])
    assert rows == [] and reason == "fewer than 3 alphas in the grid"


# --- WAH rows with stubbed numerics ---------------------------------------------------------------------------

@pytest.fixture
def wah(monkeypatch):
    """_wah_rows with the flow limits, the selection errors, the slope check and the KKT residual stubbed."""
    from implicitreg.numerics import dual_limit, selection
    from implicitreg.proofs.suites import selection as ss

    state = {"errs": [mpmath.mpf(1), mpmath.mpf("0.1")], "xg": [mpmath.mpf(1), 0, 0], "slope": None, "kkt": 0}

    def limit(e):  # x = (1 + e, 0, 0) certified to 60 digits: every measured value is resolved
        return SimpleNamespace(x=[mpmath.mpf(1) + e, 0, 0], dps=80, digits=60, floor=mpmath.mpf(10) ** -60,
                               alpha_product=mpmath.mpf(10) ** -4)

    def errors(inst, D, grid, bp=None):
        lims = [limit(e) for e in state["errs"]]
        return SimpleNamespace(errors=state["errs"], selection=SimpleNamespace(x=state["xg"], unique_bp=True),
                               limits=lims)

    def slope(inst, D, bp=None):
        s = state["slope"]
        if s is not None and s[2] is None:  # the window's errors: resolved values
            s = (s[0], s[1], errors(inst, D, s[3]), *s[3:])
        return s

    monkeypatch.setattr(selection, "selection_errors", errors)
    monkeypatch.setattr(selection, "kkt_residual", lambda inst, x, D, a: state["kkt"])
    monkeypatch.setattr(dual_limit, "gradient_flow_limit",
                        lambda inst, D, a, **k: limit(state["errs"][state["grid"].index(a)]))
    monkeypatch.setattr(ss, "slope_check", slope)

    def run(M=1):
        bp = SimpleNamespace(value=F(1), unique=False, support=(0,), x=[F(1), F(0), F(0)], rho=F(1, 2))
        rep = iv.InstanceVerification("row3", "diagonal")
        grid = state["grid"] = ["1e-4", "1e-8"][:len(state["errs"])]
        rows = iv._wah_rows(INST, bp, F(2), grid, {"M": M}, rep)
        return {r.theorem: r for r in rows}, rep

    state["run"] = run
    return state


def test_wah_d_needs_strictly_decreasing_errors_ending_within_1e_minus_3(wah):
    wah["errs"] = [mpmath.mpf("0.5"), mpmath.mpf("0.0009")]
    rows, _ = wah["run"](M=0)
    assert rows["WAH-D"].passed
    wah["errs"] = [mpmath.mpf("0.5"), mpmath.mpf("0.0011")]
    assert not wah["run"](M=0)[0]["WAH-D"].passed                   # final error above 1e-3 |x_g|
    wah["errs"] = [mpmath.mpf("0.0005"), mpmath.mpf("0.0005")]
    assert not wah["run"](M=0)[0]["WAH-D"].passed                   # not decreasing (equal)
    wah["errs"] = [mpmath.mpf("0.0004"), mpmath.mpf("0.0005")]
    assert not wah["run"](M=0)[0]["WAH-D"].passed                   # increasing
    # the threshold scales with max |x_g|
    wah["xg"] = [mpmath.mpf(10), 0, 0]
    wah["errs"] = [mpmath.mpf("0.5"), mpmath.mpf("0.009")]
    assert wah["run"](M=0)[0]["WAH-D"].passed


def test_wah_c_is_not_applicable_when_x_star_is_0(wah):
    rows, rep = wah["run"](M=0)
    assert set(rows) == {"WAH-D"}
    assert [n.theorem for n in rep.not_applicable] == ["WAH-C"]


def test_wah_e_needs_the_slope_and_the_rejection_of_the_neighbours(wah):
    from implicitreg.errors import HypothesisNotMetError

    window = ["1e-10", "1e-12"]
    wah["errs"] = [mpmath.mpf("0.5"), mpmath.mpf("0.0001")]
    wah["slope"] = (mpmath.mpf("0.5"), F(1, 2), None, window, True, True)
    rows, rep = wah["run"]()
    assert rows["WAH-E rate"].passed and rows["WAH-E rate"].alpha_range == "1e-10..1e-12"
    wah["slope"] = (mpmath.mpf("0.5"), F(1, 2), None, window, True, False)
    assert not wah["run"]()[0]["WAH-E rate"].passed
    wah["slope"] = (mpmath.mpf("0.5"), F(1, 2), None, window, False, True)
    assert not wah["run"]()[0]["WAH-E rate"].passed

    def refuse(*a, **k):
        raise HypothesisNotMetError("no window")

    import implicitreg.proofs.suites.selection as ss

    wah["slope"] = None
    orig = ss.slope_check
    ss.slope_check = refuse
    try:
        rows, rep = wah["run"]()
    finally:
        ss.slope_check = orig
    assert "WAH-E rate" not in rows
    assert any(n.theorem == "WAH-E" and n.reason == "no window" for n in rep.not_applicable)


def test_kkt_row_holds_at_residual_1e_minus_30(wah):
    wah["errs"] = [mpmath.mpf("0.5"), mpmath.mpf("0.0001")]
    wah["slope"] = (mpmath.mpf("0.5"), F(1, 2), None, ["1e-10"], True, True)
    wah["kkt"] = mpmath.mpf(10) ** -30
    rows, _ = wah["run"]()
    assert rows["WAH-A2"].passed and rows["WAH-A2"].alpha_range == "1e-4"
    wah["kkt"] = mpmath.mpf(10) ** -30 * mpmath.mpf("1.01")
    assert not wah["run"]()[0]["WAH-A2"].passed
    wah["kkt"] = mpmath.mpf(10) ** -25
    assert not wah["run"]()[0]["WAH-A2"].passed


def test_wah_c_distance_is_not_applicable_without_a_unique_x_star(wah):
    wah["errs"] = [mpmath.mpf("0.5"), mpmath.mpf("0.0001")]
    wah["slope"] = (mpmath.mpf("0.5"), F(1, 2), None, ["1e-10"], True, True)
    _, rep = wah["run"]()
    assert any(n.theorem == "WAH-C distance" and "not unique" in n.reason for n in rep.not_applicable)


def test_certificates_use_the_first_three_alphas_of_the_grid(monkeypatch, tmp_path):
    from implicitreg.proofs import certify

    seen = []

    def fake(inst, D, alphas, theorem):
        seen.append((D, list(alphas), theorem))
        return {"fake": True}

    monkeypatch.setattr(certify, "diagonal_certificate", fake)
    rep = iv.InstanceVerification("row3", "diagonal")
    grid = ["1e-4", "1e-8", "1e-13", "1e-17", "1e-21"]
    iv._diagonal_certificates(INST, [F(2), F(5, 2)], lambda D: grid, rep, tmp_path)
    assert seen == [(F(2), grid[:3], "MS-D2"), (F(5, 2), grid[:3], "MS-D3")]
    assert [p.rsplit("/", 1)[1] for p in rep.certificates] == ["row3_ms_d2_D2.json", "row3_ms_d3_D5_2.json"]


def test_stem_keeps_60_safe_characters():
    assert iv._stem("a b/c") == "a_b_c"
    assert iv._stem("x" * 70) == "x" * 60
    assert iv._stem("") == "instance"


# --- deep linear rows with stubbed flows ----------------------------------------------------------------------

@pytest.fixture
def deep(monkeypatch):
    """_deep_linear with the data constants (a = w_norm = Lambda = 1, so S_LB = 2 L and S_SI = 8 L), the flow, the
    sharpness and the imbalances stubbed: only the verdict logic runs."""
    import numpy as np

    from implicitreg.numerics import deep_linear as dl
    from implicitreg.numerics.deep_linear import RegressionData
    from implicitreg.proofs.suites import deep_linear as sdl

    state = {"S": 4.0, "drift": 0.0, "status": 1}
    monkeypatch.setattr(dl, "data_constants", lambda data, kind: SimpleNamespace(a=1, w_norm=1, Lambda=1))
    monkeypatch.setattr(dl, "small_init", lambda d, L, s, rng: 0.0)
    monkeypatch.setattr(dl, "gradient_flow", lambda net0, data, T, **k: SimpleNamespace(status=state["status"],
                                                                                        net=state["drift"]))
    monkeypatch.setattr(dl, "sharpness_exact", lambda net, data: SimpleNamespace(value=state["S"]))
    monkeypatch.setattr(dl, "imbalances", lambda net: [np.array([[net]])])
    monkeypatch.setattr(sdl, "_mc_lb_rows", lambda *a: None)
    data = RegressionData.from_lists([[1, 0], [0, 1]], [1, 0], name="d")

    def run(L=F(2), rng=("1/100", "1/100")):
        rep = iv.InstanceVerification("d", "deep-linear")
        iv._deep_linear(data, [L], F(rng[0]), F(rng[1]), rep)
        return rep

    state["run"] = run
    return state


def test_mc_si_lower_row_has_relative_slack_1e_minus_6(deep):
    s_lb = 4.0  # 2 L a |w*|^(2 - 2/L) at L = 2
    deep["S"] = s_lb * (1 - 0.9e-6)
    rows = {r.theorem: r.passed for r in deep["run"]().verdicts}
    assert rows["MC-SI [S >= S_LB at the limit]"] is True
    deep["S"] = s_lb * (1 - 1.1e-6)
    rows = {r.theorem: r.passed for r in deep["run"]().verdicts}
    assert rows["MC-SI [S >= S_LB at the limit]"] is False


def test_mc_si_upper_row_is_exact(deep):
    s_si = 16.0  # 8 L Lambda |w*|^(2 - 2/L) at L = 2
    deep["S"] = s_si
    rows = {r.theorem: r.passed for r in deep["run"]().verdicts}
    assert rows["MC-SI [S <= 8 L Lambda |w*|^(2-2/L)]"] is True
    deep["S"] = s_si * (1 + 1e-9)
    rows = {r.theorem: r.passed for r in deep["run"]().verdicts}
    assert rows["MC-SI [S <= 8 L Lambda |w*|^(2-2/L)]"] is False


def test_imbalance_drift_at_most_1e_minus_5(deep):
    deep["drift"] = 1e-5
    rows = {r.theorem: r.passed for r in deep["run"]().verdicts}
    assert rows["DLN-imbalance [D_k conserved]"] is True
    deep["drift"] = 1.01e-5
    rows = {r.theorem: r.passed for r in deep["run"]().verdicts}
    assert rows["DLN-imbalance [D_k conserved]"] is False


def test_deep_rows_per_init_scale_and_refusals(deep):
    rep = deep["run"](rng=("1/100", "1/10"))
    assert len(rep.verdicts) == 6  # three rows per init scale, two scales
    deep["status"] = 0
    rep = deep["run"]()
    assert rep.verdicts == [] and rep.passed is False
    assert any(n.theorem == "MC-SI" and "did not reach a global minimizer" in n.reason for n in rep.not_applicable)
    rep = deep["run"](L=F(5, 2))
    assert rep.verdicts == [] and any("is not an integer >= 2" in n.reason for n in rep.not_applicable)
