"""Hardening: the public API's refusals, result fields and verdict properties (implicitreg/api/*.py), each alone.

Expected values come from closed forms or the documentation, never from the code under test.
"""
from __future__ import annotations

import math
from fractions import Fraction
from types import SimpleNamespace

import mpmath
import pytest

from implicitreg import api
from implicitreg.api.certificates import CheckResult, VerifyReport, _executor
from implicitreg.errors import ConvergenceError, InvalidParameterError

A1, Y1 = [[1, 2]], [2]          # basis pursuit: unique minimizer x* = (0, 1)
A_TIE, Y_TIE = [[1, 1]], [1]    # basis pursuit: a face of minimizers (not unique)


# ---- gradient_flow -----------------------------------------------------------------------------------------------

def test_flow_needs_at_least_8_digits():
    with pytest.raises(InvalidParameterError, match="digits >= 8"):
        api.gradient_flow(A1, Y1, depth=2, alpha="1e-2", digits=7, t_final="1e-3")


@pytest.mark.parametrize("bad", [0, -1, True, 2.0, "10"])
def test_flow_max_steps_must_be_a_positive_integer(bad):
    with pytest.raises(InvalidParameterError, match="max_steps"):
        api.gradient_flow(A1, Y1, depth=2, alpha="1e-2", max_steps=bad, t_final="1e-3")


def test_flow_one_step_budget_names_the_step_budget():
    with pytest.raises(ConvergenceError) as info:
        api.gradient_flow(A1, Y1, depth=2, alpha="1e-2", digits=15, max_steps=1)
    text = str(info.value)
    assert "step budget is exhausted" in text and "max_steps (--max-steps)" in text
    assert "time budget is exhausted" not in text


def test_flow_until_converged_with_t_final_is_honoured():
    # with t_final given, the default is to stop at t_final; until_converged=True instead demands convergence,
    # which t = 1/1000 cannot reach: a ConvergenceError, not a silent stop at t_final
    res = api.gradient_flow(A1, Y1, depth=2, alpha="1/10", digits=15, t_final="1/1000", max_steps=50)
    assert res.t[-1] == mpmath.mpf(1) / 1000
    with pytest.raises(ConvergenceError, match="by t = 0.001"):
        api.gradient_flow(A1, Y1, depth=2, alpha="1/10", digits=15, t_final="1/1000", until_converged=True,
                          max_steps=50)


def test_flow_json_never_prints_beyond_working_precision():
    res = api.gradient_flow(A1, Y1, depth=2, alpha="1/10", digits=15, t_final="1/1000", max_steps=50)
    out = res.to_json(digits=40)
    mant = out["x"][-1].lstrip("-").split("e")[0].replace(".", "").lstrip("0")
    assert len(mant) <= 15


@pytest.mark.parametrize("bad", ["0", "-1e-3", 0])
def test_flow_refuses_non_positive_alpha_tol_t_final(bad):
    with pytest.raises(InvalidParameterError, match="> 0"):
        api.gradient_flow(A1, Y1, depth=2, alpha=bad, t_final="1")
    with pytest.raises(InvalidParameterError, match="> 0"):
        api.gradient_flow(A1, Y1, depth=2, alpha="1e-2", tol=bad)
    with pytest.raises(InvalidParameterError, match="> 0"):
        api.gradient_flow(A1, Y1, depth=2, alpha="1e-2", t_final=bad)


# ---- gradient_flow_limit / selected_minimizer -------------------------------------------------------------------

def test_limit_refuses_unknown_convention_and_bad_alpha():
    with pytest.raises(InvalidParameterError, match="'product' or 'factor'"):
        api.gradient_flow_limit(A1, Y1, depth=2, alpha="1e-3", alpha_convention="per-factor", digits=10)
    with pytest.raises(InvalidParameterError, match="> 0"):
        api.gradient_flow_limit(A1, Y1, depth=2, alpha="0", digits=10)
    with pytest.raises(InvalidParameterError):
        api.gradient_flow_limit(A1, Y1, depth=2, alpha="1e-3", digits=0)


def test_limit_json_prints_the_requested_digits():
    res = api.gradient_flow_limit(A1, Y1, depth=2, alpha="1e-6", digits=12)
    assert res.digits_certified >= 12
    out = res.to_json()
    assert out["digits_requested"] == 12
    for text in out["x"]:
        if text != "0":
            mant = text.lstrip("-").split("e")[0].replace(".", "").lstrip("0")
            assert len(mant) == 12, text


def test_selected_minimizer_refuses_minus_infinity():
    with pytest.raises(InvalidParameterError):
        api.selected_minimizer(A1, Y1, depth=-math.inf, digits=10)
    with pytest.raises(InvalidParameterError):
        api.selected_minimizer(A1, Y1, depth=math.nan, digits=10)


# ---- deep linear networks ----------------------------------------------------------------------------------------

X2, YX2 = [[1, 0], [0, 2]], [1, 1]   # n = d = 2: w* = (1, 1/2)


def test_deep_flow_scale_positivity_depends_on_init():
    with pytest.raises(InvalidParameterError, match="scale must be > 0"):
        api.deep_flow(X2, YX2, depth=2, init="small", scale="0", steps=1, eta="1e-3")
    with pytest.raises(InvalidParameterError, match="scale must be >= 0"):
        api.deep_flow(X2, YX2, depth=2, init="residual", scale="-1e-3", steps=1, eta="1e-3")
    res = api.deep_flow(X2, YX2, depth=2, init="residual", scale="0", steps=1, eta="1e-3")
    assert res.scale == 0 and res.converged is False


@pytest.mark.parametrize("steps", [0, -1, 10 ** 8 + 1, True, 2.0])
def test_deep_flow_steps_bounds(steps):
    with pytest.raises(InvalidParameterError, match="steps"):
        api.deep_flow(X2, YX2, depth=2, steps=steps, eta="1e-3")


@pytest.mark.parametrize("seed", [-1, True, 1.0])
def test_deep_flow_seed_bounds(seed):
    with pytest.raises(InvalidParameterError, match="seed"):
        api.deep_flow(X2, YX2, depth=2, seed=seed, eta="1e-3", steps=1)


def test_deep_flow_mean_squared_distance_is_over_d_and_ratios_use_their_bounds():
    # n = 3, d = 2 (d != n tells the normalizations apart); Sigma = diag(1/3, 4/3) is not isotropic, so the
    # lower bound, the balanced value and the small-init line all differ
    X = [[1, 0], [0, 2], [0, 0]]
    res = api.deep_flow(X, [1, 1, 0], depth=2, init="small", scale="0.1", eta="0.01", steps=3)
    v = res.values
    assert v["mean_squared_distance"] == pytest.approx(v["distance_to_w_star"] ** 2 / 2, rel=1e-12)
    assert len({round(v[k], 9) for k in ("lower_bound", "balanced_sharpness", "small_init_upper")}) == 3
    S = v["final_sharpness"]
    assert v["ratio_to_lower_bound"] == pytest.approx(S / v["lower_bound"], rel=1e-12)
    assert v["ratio_to_balanced"] == pytest.approx(S / v["balanced_sharpness"], rel=1e-12)
    assert v["ratio_to_small_init_upper"] == pytest.approx(S / v["small_init_upper"], rel=1e-12)
    assert res.converged is False      # 3 steps cannot reach R - R_min <= 1e-12


def test_sharpness_derived_fields():
    res = api.sharpness(X2, YX2, depth=2, digits=20)
    v = res.values
    with mpmath.workdps(30):
        # Sigma = X^T X / n = diag(1/2, 2), w* = (1, 1/2): a = w*^T Sigma w* / |w*|^2 = (1/2 + 1/2) / (5/4) = 4/5
        assert abs(v["a"] - mpmath.mpf(4) / 5) < mpmath.mpf(10) ** -18
        # S_LB = 2 L a |w*|^(2 - 2/L) = 4 * 4/5 * (5/4)^(1/2) at L = 2
        s_lb = 4 * mpmath.mpf(4) / 5 * mpmath.sqrt(mpmath.mpf(5) / 4)
        assert abs(v["lower_bound"] - s_lb) < s_lb * mpmath.mpf(10) ** -18
        assert abs(v["gd_stability_threshold_eta"] - 2 / s_lb) < mpmath.mpf(10) ** -18
        ratio = v["min_sharpness"] / v["lower_bound"]
        assert abs(v["ratio_min_to_lower"] - ratio) < mpmath.mpf(10) ** -18
        assert v["ratio_min_to_lower"] >= 1 - mpmath.mpf(10) ** -18      # S_min >= S_LB
        assert abs(v["ratio_balanced_to_lower"] - v["balanced_sharpness"] / v["lower_bound"]) \
            < mpmath.mpf(10) ** -18


# ---- basis pursuit -----------------------------------------------------------------------------------------------

def test_rho_is_none_exactly_when_not_unique():
    uniq = api.l1_minimizer(A1, Y1)
    assert uniq.unique and uniq.rho == Fraction(1, 2)       # rho = |A_{S^c}^T (A_S^+)^T sign| = 1 * 1/2
    assert uniq.x == (0, 1) and uniq.l1_norm == 1
    tie = api.l1_minimizer(A_TIE, Y_TIE)
    assert tie.unique is False and tie.rho is None
    assert tie.to_json()["rho"] is None
    assert tie.rho_maximal_support is not None


# ---- verdict properties ------------------------------------------------------------------------------------------

def test_verify_report_passed_needs_at_least_one_verdict():
    ok, bad = SimpleNamespace(passed=True), SimpleNamespace(passed=False)
    assert VerifyReport([], ()).passed is False
    assert VerifyReport([ok], ()).passed is True
    assert VerifyReport([ok, bad], ()).passed is False
    assert VerifyReport([bad, ok], ()).passed is False


def test_check_result_passed_needs_every_file():
    ok, bad = SimpleNamespace(ok=True), SimpleNamespace(ok=False)
    assert CheckResult([ok, ok]).passed is True
    assert CheckResult([ok, bad]).passed is False
    assert CheckResult([bad, ok]).passed is False
    with pytest.raises(InvalidParameterError):
        api.check()


@pytest.mark.parametrize("bad", [0, -1, 1025, True, 2.0])
def test_executor_workers_bounds(bad):
    with pytest.raises(InvalidParameterError, match="workers"):
        _executor(bad, None)


def test_executor_choices():
    assert _executor(None, None) is None
    assert _executor(1, None) is None
    assert _executor(1024, None) == {"n_workers": 1024}
    assert _executor(None, "tcp://h:8786") == {"scheduler": "tcp://h:8786"}
    with pytest.raises(InvalidParameterError, match="not both"):
        _executor(2, "tcp://h:8786")
    with pytest.raises(InvalidParameterError):
        _executor(None, "  ")


def test_write_text_file_respects_overwrite(tmp_path):
    p = tmp_path / "c.json"
    api.write_text_file(p, "one", overwrite=False)
    assert p.read_text() == "one"
    with pytest.raises(InvalidParameterError, match="exists"):
        api.write_text_file(p, "two", overwrite=False)
    assert p.read_text() == "one"
    api.write_text_file(p, "three")
    assert p.read_text() == "three"
    with pytest.raises(InvalidParameterError, match="directory"):
        api.write_text_file(tmp_path, "x")


def test_certify_refusals():
    with pytest.raises(InvalidParameterError, match="theorem must be one of"):
        api.certify(A1, Y1, theorem="MS-D4", depth=2, alphas=["1e-3"])
    with pytest.raises(InvalidParameterError, match="at least one alpha"):
        api.certify(A1, Y1, theorem="MS-D2", depth=2, alphas=[])
    with pytest.raises(InvalidParameterError, match="> 0"):
        api.certify(A1, Y1, theorem="MS-D2", depth=2, alphas=["0"])


def test_certify_mc_lb_and_verify_refusals():
    for bad in (1, "5/2", 1001):
        with pytest.raises(InvalidParameterError, match="depth"):
            api.certify(X2, YX2, theorem="MC-LB", depth=bad)
    with pytest.raises(InvalidParameterError):
        api.verify(only="no-such-suite")
    with pytest.raises(InvalidParameterError, match="workers"):
        api.verify(only="none", workers=0)
    with pytest.raises(InvalidParameterError, match="not both"):
        api.verify(only="none", workers=2, scheduler="tcp://h:8786")
    with pytest.raises(InvalidParameterError, match="'product' or 'factor'"):
        api.verify_instance(A1, Y1, alpha_convention="prod")


def test_selected_minimizer_at_infinite_depth_spellings():
    for depth in ("inf", " Infinity ", math.inf):
        res = api.selected_minimizer(A1, Y1, depth=depth, digits=10)
        assert res.depth == "inf" and res.unique
        assert [float(v) for v in res.x] == [0.0, 1.0]           # unique BP: x_g = x* = (0, 1)
        out = res.to_json()
        assert out["depth"] == "inf" and out["digits_requested"] == 10 and out["x"][0] == "0"
    res = api.selected_minimizer(A1, Y1, depth="5/2", digits=10)
    assert res.to_json()["depth"] == "5/2"
