"""The two-solve certificates of the numerics really are two solves at the documented precisions, from the
documented starts, and a shortfall of one digit is refused (hardening pass, issue 13). The solvers' own routines are
wrapped (called through) to record what each solve was given; a refusal path is driven by an agreement one digit
short. Plus the remaining refusals and fallbacks of the limit paths.
"""
from __future__ import annotations

from fractions import Fraction
from types import SimpleNamespace

import flint
import mpmath
import pytest
from mpmath import mpf

from implicitreg.errors import ConvergenceError, InvalidParameterError, PrecisionError
from implicitreg.numerics import basis_pursuit as bp
from implicitreg.numerics import limit as limit_module
from implicitreg.numerics import selection as sel
from implicitreg.numerics.dual_limit import gradient_flow_limit
from implicitreg.numerics.instance import Instance
from implicitreg.numerics.limit import limit

F = Fraction
ROW = Instance.from_lists([[1, "1/2"]], [1])
FAM = Instance.from_lists([[1, "1/2", "1/2"]], [1])
FACE = ([F(1, 2), F(1, 4), F(1, 4)], [[F(0), F(1), F(-1)], [F(1), F(-2), F(0)]])   # A = [1, 1, 1]... a 2-dim face


# --- rho: refusal and the dual certificate's normalization ------------------------------------------------------

def test_rho_refuses_an_unsolvable_sign_pattern():
    # A_S^T lam = (lam, lam) = (1, -1) has no solution
    with pytest.raises(InvalidParameterError, match="no lambda"):
        bp.rho_constant([[1, 1]], [0, 1], [1, -1])


def test_rho_zero_still_returns_a_normalized_kernel_vector():
    # A = [[1,0,0],[0,1,1]], S = {0}: lam = (1, t), off S max(|t|, |t|) -> rho = 0; ker A = span (0, 1, -1)
    r = bp.rho_constant([[1, 0, 0], [0, 1, 1]], [0], [1])
    assert r.value == 0 and r.v[0] == 0 and abs(r.v[1]) + abs(r.v[2]) == 1 and r.v[1] == -r.v[2]
    r = bp.rho_constant([[1, 0], [0, 1]], [0], [1])           # ker A = {0}: v = 0
    assert r.value == 0 and r.v == (0, 0)


# --- selection: two solves at dps and 2 dps, the check from rounded coordinates ----------------------------------

def test_selection_full_solves_run_at_dps_and_twice_dps(monkeypatch):
    calls = []
    real = sel.minimize_on_face

    def spy(point, directions, depth, *, dps, **kw):
        calls.append(dps)
        return real(point, directions, depth, dps=dps, **kw)

    monkeypatch.setattr(sel, "minimize_on_face", spy)
    r = sel.select_on_face(*FACE, 3, digits=10, method="full")
    assert calls == [25, 50] and r.digits >= 10


def test_selection_mixed_check_starts_from_rounded_coordinates(monkeypatch):
    calls = []
    real = sel.refine_on_face

    def spy(point, directions, functional, c0, *, dps, **kw):
        out = real(point, directions, functional, c0, dps=dps, **kw)
        calls.append((dps, list(c0), out[1]))
        return out

    monkeypatch.setattr(sel, "refine_on_face", spy)
    r = sel.select_on_face(*FACE, 3, digits=30, method="mixed")
    assert [c[0] for c in calls] == [45, 90] and r.digits >= 30
    c1 = calls[0][2]                  # the first solve's coordinates
    start = calls[1][1]               # the check's start: c1 truncated to max(30 // 2, 8) = 15 significant digits
    with mpmath.workdps(90):
        top = max(abs(v) for v in c1)
        grid = mpf(10) ** (int(mpmath.floor(mpmath.log10(top))) - 15 + 1)
        assert start != c1
        assert all(abs(s - c) < grid and abs(s) <= abs(c) for s, c in zip(start, c1))
        assert all(mpmath.almosteq(s / grid, mpmath.nint(s / grid), 1e-20) for s in start)


# --- closed form: two solves, the cap, the refusal ----------------------------------------------------------------

def test_closed_form_solves_twice_at_dps_and_twice_dps(monkeypatch):
    calls = []
    real = limit_module._closed_form_x

    def spy(r, n, D, a, conv, dps):
        calls.append(dps)
        return real(r, n, D, a, conv, dps)

    monkeypatch.setattr(limit_module, "_closed_form_x", spy)
    res = limit(FAM, 3, "1/1000", method="closed-form", digits=10)
    assert calls == [res.dps, 2 * res.dps] and res.dps_check == 2 * res.dps
    assert res.digits <= res.dps - 5


def test_closed_form_refuses_one_digit_short(monkeypatch):
    monkeypatch.setattr(limit_module, "agreeing_digits", lambda x, ref, floor, cap: 9)
    with pytest.raises(PrecisionError, match="only 9 of 10"):
        limit(FAM, 3, "1/1000", method="closed-form", digits=10)
    assert limit(FAM, 3, "1/1000", method="closed-form", digits=9).digits == 9


# --- dual limit: the mixed pair's check solve and the fallback -----------------------------------------------------

def test_mixed_pair_check_is_an_independent_solve(monkeypatch):
    from implicitreg.numerics import mixed_limit

    calls = []
    real = mixed_limit.refine

    def spy(dual, nu, a, dps, jacobian_dps, **kw):
        calls.append(dict(nu=list(nu), dps=dps, jac=jacobian_dps, slow=kw["slow"], acc=kw["accuracy_digits"]))
        out = real(dual, nu, a, dps, jacobian_dps, **kw)
        calls[-1]["out"] = list(out.nu)
        return out

    monkeypatch.setattr(mixed_limit, "refine", spy)
    r = gradient_flow_limit(ROW, 2, F(1, 10 ** 6), digits=30)
    assert r.method == "mixed" and len(calls) == 2
    first, check = calls
    assert check["dps"] == 2 * first["dps"] == r.dps and first["dps"] == r.dps_check
    assert check["jac"] - first["jac"] == 15 or check["jac"] == check["dps"] or first["jac"] == first["dps"]
    assert (first["acc"], check["acc"]) == (20, 35) and check["slow"] > first["slow"]
    # the check starts from the first solve's nu truncated to check_start_digits = max(30 // 2, 8) = 15 digits
    with flint_prec(200):
        top = max(abs(v) for v in first["out"])
        e = int(mpmath.floor(mpmath.log10(mpf(float(top)))))
        grid = flint.arb(10) ** (e - 15 + 1)
        for s, c in zip(check["nu"], first["out"]):
            assert s != c and abs(s - c) < grid


def flint_prec(dps):
    from implicitreg.numerics.precision import flint_precision

    return flint_precision(dps)


@pytest.mark.parametrize("error", [ConvergenceError, PrecisionError])
def test_mixed_failures_fall_back_to_full(monkeypatch, error):
    from implicitreg.numerics import mixed_limit

    def boom(*args, **kwargs):
        raise error("planted")

    monkeypatch.setattr(mixed_limit, "mixed_pair", boom)
    r = gradient_flow_limit(ROW, 3, F(1, 100), digits=10)
    assert r.method == "full" and "planted" in r.message and r.digits >= 10


def test_other_errors_are_not_swallowed_by_the_fallback(monkeypatch):
    from implicitreg.numerics import mixed_limit

    def boom(*args, **kwargs):
        raise ZeroDivisionError("planted")

    monkeypatch.setattr(mixed_limit, "mixed_pair", boom)
    with pytest.raises(ZeroDivisionError):
        gradient_flow_limit(ROW, 3, F(1, 100), digits=10)


# --- limit(): the flow method is never certified ---------------------------------------------------------------

@pytest.mark.parametrize("converged", [True, False])
def test_flow_method_fields(monkeypatch, converged):
    from implicitreg.numerics import flow

    fake = SimpleNamespace(nu=[[mpf(0)], [mpf("0.5")]], x=[[mpf(0), mpf(0)], [mpf("0.75"), mpf("0.5")]],
                           alpha_product=mpf("0.01"), residual=[mpf(1), mpf("1e-3")], nsteps=12,
                           converged=converged, method="radau13", t=[mpf(0), mpf(7)])
    seen = {}

    def reduced_flow(instance, D, a, **kw):
        seen.update(kw, D=D, a=a)
        return fake

    monkeypatch.setattr(flow, "reduced_flow", reduced_flow)
    r = limit(ROW, 2, "1/100", method="flow", digits=25, alpha_convention="factor")
    assert seen["dps"] == 35 and seen["alpha_convention"] == "factor" and seen["until_converged"] is True
    assert (r.digits, r.method, r.dps, r.dps_check, r.iterations) == (0, "flow", 35, 0, 12)
    assert (r.success, r.status) == ((True, 0) if converged else (False, 1))
    assert r.residual == mpf("1e-3") and r.x == [mpf("0.75"), mpf("0.5")] and r.nu == [mpf("0.5")]
    assert r.z == [mpf("0.5"), mpf("0.25")]          # A^T nu
    assert r.floor == mpf("0.01") and "not certified" in r.message
    assert limit(ROW, 2, "1/100", method="flow", digits=5).dps == 30    # at least 30 working digits


# --- e_D: certified by two solves ---------------------------------------------------------------------------------

def test_limit_direction_two_precisions_and_refusal(monkeypatch):
    from implicitreg.numerics import error_constants as ec
    from implicitreg.numerics import precision

    inst = Instance.from_lists([[1, 0, "1/2", "1/3"], [0, 1, "1/4", "-1/2"]], [1, 1])
    calls = []
    real = ec._newton_direction

    def spy(A, S, sig, C, lam0, D, dps):
        calls.append(dps)
        return real(A, S, sig, C, lam0, D, dps)

    monkeypatch.setattr(ec, "_newton_direction", spy)
    d = ec.limit_direction(inst, 3, digits=12)
    assert calls == [27, 54] and d.digits >= 12
    monkeypatch.setattr(precision, "agreeing_digits", lambda *a, **k: 11)
    with pytest.raises(PrecisionError, match="11 of 12"):
        ec.limit_direction(inst, 3, digits=12)


# --- selection errors: the working digits and the distance ----------------------------------------------------

@pytest.mark.parametrize("depth,alphas,conv,need", [
    (2, ["1e-10"], "product", 35),        # 2 * 10 decades + 15 (p = 2: errors down to alpha_prod^2)
    (3, ["1e-10"], "product", 25),        # 1 * 10 + 15
    (3, ["1e-2"], "product", 20),         # at least 20
    (3, ["1/10"], "factor", 20),          # alpha_prod = 1e-3: 3 + 15 -> 20
    (3, ["1e-4"], "factor", 27),          # alpha_prod = 1e-12: 12 + 15
])
def test_selection_errors_working_digits(monkeypatch, depth, alphas, conv, need):
    from implicitreg.numerics import dual_limit

    seen = {}

    def fake_sel(instance, D, *, digits, bp=None, functional=None):
        seen["sel"] = digits
        return SimpleNamespace(x=[mpf(1), mpf(0)])

    def fake_lim(instance, D, a, *, alpha_convention, digits):
        seen.setdefault("lim", []).append((digits, alpha_convention))
        return SimpleNamespace(x=[mpf(4), mpf(4)])

    monkeypatch.setattr(sel, "selected_minimizer", fake_sel)
    monkeypatch.setattr(dual_limit, "gradient_flow_limit", fake_lim)
    out = sel.selection_errors(ROW, depth, alphas, alpha_convention=conv)
    assert seen["sel"] == need and seen["lim"] == [(need, conv)] * len(alphas)
    assert out.errors == [5] and out.alpha_convention == conv     # sqrt(3^2 + 4^2)


def test_factor_is_the_default_convention_of_the_wah_quantities():
    x = [F(1, 2), F(-1, 4)]
    with mpmath.workdps(30):
        assert sel.regularizer(3, x, F(1, 2)) == sel.regularizer(3, x, F(1, 2), alpha_convention="factor")
        assert sel.expansion_remainder(3, "0.3", F(1, 10)) == sel.expansion_remainder(3, "0.3", F(1, 10),
                                                                                      alpha_convention="factor")
        assert sel.regularizer(3, x, F(1, 2)) != sel.regularizer(3, x, F(1, 2), alpha_convention="product")


# --- the depth crossover: bisection and its two "not found" verdicts -----------------------------------------------

def _fake_errors(monkeypatch, e2, eD):
    from implicitreg.numerics import error_constants as ec

    def limit_error(instance, depth, a, x_star, *, digits):
        a = mpf(a.numerator) / a.denominator if isinstance(a, Fraction) else mpf(a)
        return (e2(a) if depth == 2 else eD(a)), None, None

    monkeypatch.setattr(ec, "limit_error", limit_error)
    return ec


def test_crossover_found_by_bisection(monkeypatch):
    # depth D closer where 10 a < sqrt(a), i.e. a < 1e-2
    ec = _fake_errors(monkeypatch, lambda a: mpmath.sqrt(a), lambda a: 10 * a)
    c = ec.crossover_alpha(ROW, 3, log10_range=(-8, 0), x_star=(1, 0))
    assert c.found and c.depth == 3 and mpmath.almosteq(mpmath.log10(c.alpha), -2, 1e-5)


def test_crossover_not_found_verdicts(monkeypatch):
    ec = _fake_errors(monkeypatch, lambda a: a, lambda a: 10 * a)           # depth D never closer
    c = ec.crossover_alpha(ROW, 3, log10_range=(-8, 0), x_star=(1, 0))
    assert not c.found and c.alpha is None and "not closer" in c.note
    ec = _fake_errors(monkeypatch, lambda a: 10 * a, lambda a: a)           # depth D closer everywhere
    c = ec.crossover_alpha(ROW, 3, log10_range=(-8, 0), x_star=(1, 0))
    assert not c.found and c.alpha is None and "whole range" in c.note


# --- the papers' float64 integrator set-up and the l1/inf errors of a limit --------------------------------------

def test_integrated_flow_lsoda_reaches_the_limit():
    import numpy as np

    from implicitreg.numerics import kink
    from implicitreg.numerics.float64_limit import integrated_flow_limit

    r = integrated_flow_limit([[1.0, 0.5]], [1.0], 2, 1e-4, setup="lsoda")
    k = kink.kink_limit(F(1, 2), 2, F(1, 10 ** 4), alpha_convention="product", dps=30)
    assert r.success and r.method == "LSODA" and r.rtol == 1e-12 and r.t_end == 1e9 and r.nfev > 0
    assert "finished" in r.message and np.allclose(r.x, [float(v) for v in k.x], rtol=1e-7, atol=0)


def test_limit_error_norms_on_the_row():
    from implicitreg.numerics import error_constants as ec

    l1, linf, lim = ec.limit_error(ROW, 2, F(1, 10 ** 4), (1, 0), digits=12)
    with mpmath.workdps(30):
        x2 = lim.x[1]                      # on the constraint x_1 - 1 = -x_2 / 2
        assert mpmath.almosteq(l1, mpf(3) / 2 * x2, 1e-10) and mpmath.almosteq(linf, x2, 1e-10)
        assert lim.alpha_convention == "product" and lim.digits >= 12
