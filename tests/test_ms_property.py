"""Property tests: the certified error of the gradient-flow limit lies inside the MS-D2 / MS-D3 bounds.

Random small instances (tests/strategies_ms.py), alpha = 10^-3 .. 10^-40 (product scale), D in {2, 5/2, 3, 4, 5}.
Hypothesis ``target`` pushes toward the worst ratio error / upper bound (evidence of sharpness: the tightness
family reaches 1). Every bound has a mutant (theory.statement.Bound.mutated: constant halved/doubled, exponent off
by 0.1) that is violated on a built-in case; see also tests/test_diagonal_theory.py.
"""
from __future__ import annotations

from fractions import Fraction

import mpmath
import pytest
from hypothesis import given, note, settings, target
from hypothesis import strategies as st

from strategies_ms import DEPTHS, alphas, ms_instances

from implicitreg.numerics.error_constants import (alpha_zero_d2, k1_apriori, limit_error, offsupport_radius,
                                                  posterior_constants, row_family_limit, support_constants)
from implicitreg.numerics.instance import Instance
from implicitreg.theory.diagonal import MS_D2_THEOREM, MS_D3_THEOREM, facts
from implicitreg.numerics.precision import mpf_from

SLACK = mpmath.mpf(10) ** -25  # observations carry >= 30 certified digits; bounds may be attained exactly


def _holds(bound, observed, **values) -> tuple[bool, mpmath.mpf]:
    b = bound.evaluate(40, **values)
    if bound.side == "lower" and b <= 0:
        return True, mpmath.mpf(1)
    if b == 0:  # e.g. rho = 0 with zero columns: x_C = 0 up to the certified absolute accuracy alpha * 1e-25
        a = values["alpha"]
        ok = observed <= SLACK * mpf_from(a)
        return ok, mpmath.mpf(0) if ok else mpmath.inf
    r = observed / b
    if bound.side == "upper":
        return r <= 1 + SLACK, r
    return r >= 1 - SLACK, r


def _d2_values(lim, sc, a):
    pc = posterior_constants(lim, sc)
    return {"alpha": Fraction(a), "rho": sc.rho, "K2": sc.K2, "n": sc.n, "K1": pc.K1}


def _d3_values(lim, sc, a, D):
    pc = posterior_constants(lim, sc)
    return pc, {"alpha": Fraction(a), "K2": sc.K2, "n": sc.n, "D": D}


@settings(deadline=None)
@given(case=ms_instances(), depth=st.sampled_from(DEPTHS), a=alphas())
def test_error_inside_bounds(case, depth, a):
    inst, sc = case
    note(f"A={inst.A} y={inst.y} x*={sc.x_star} rho={sc.rho} D={depth} alpha={a}")
    e1, einf, lim = limit_error(inst, depth, a, sc.x_star, digits=30)
    with mpmath.workdps(lim.dps):
        xC = max(abs(lim.x[j]) for j in sc.complement)
    if depth == 2:
        T = MS_D2_THEOREM
        assert not T.failed_hypotheses(facts(sc, depth, Fraction(a)))
        vals = _d2_values(lim, sc, a)
        ok_u, r_u = _holds(T.bound("upper_l1"), e1, **vals)
        ok_s, _ = _holds(T.bound("upper_offsupport_spec"), xC, **vals)
        ok_l, _ = _holds(T.bound("lower_inf"), einf, **{k: v for k, v in vals.items() if k != "n"})
        target(float(r_u), label="D=2 error / upper bound")
        assert ok_u and ok_s and ok_l
        a0 = alpha_zero_d2(sc)
        if mpf_from(Fraction(a)) <= a0:
            v = {**vals, "Kbar1": k1_apriori(sc, a)}
            v.pop("K1")
            assert _holds(T.bound("upper_l1_apriori"), e1, **v)[0]
    else:
        T = MS_D3_THEOREM
        pc, vals = _d3_values(lim, sc, a, depth)
        f = facts(sc, depth, Fraction(a), rho_a=pc.rho_a)
        if pc.rho_a >= 1:  # the a-posteriori constant needs rho_a < 1: the hypothesis must say so
            assert T.failed_hypotheses(f) == [f"alpha above alpha_0: rho_a = {pc.rho_a} >= 1"]
            return
        assert not T.failed_hypotheses(f)
        with mpmath.workdps(lim.dps):
            M0 = offsupport_radius(depth, pc.rho_a, sc.n)
            assert pc.w_off <= M0 * (1 + SLACK)
        ok_u, r_u = _holds(T.bound("upper_l1"), e1, M0=M0, **vals)
        lower_vals = {"alpha": Fraction(a), "D": depth, "rho_minus": max(pc.rho_minus, mpmath.mpf(0))}
        ok_l, _ = _holds(T.bound("lower_inf"), einf, **lower_vals)
        target(float(r_u), label="D>2 error / upper bound")
        assert ok_u and ok_l


# ---- mutants: each bound, deliberately wrong, is violated on a built-in case ------------------------------------

ROW = Instance.from_lists([[1, Fraction(1, 2)]], [1], name="row[1,1/2]")
ROW9 = Instance.from_lists([[1, Fraction(9, 10)]], [1], name="row[1,9/10]")


def _d2_case(inst, a):
    sc = support_constants(inst)
    e1, einf, lim = limit_error(inst, 2, a, sc.x_star, digits=30)
    with mpmath.workdps(lim.dps):
        xC = max(abs(lim.x[j]) for j in sc.complement)
    return sc, e1, einf, xC, _d2_values(lim, sc, a)


@pytest.mark.parametrize("name, mutation, observed", [
    ("upper_l1", dict(scale=Fraction(1, 2)), "e1"),
    ("upper_l1", dict(power=("alpha", Fraction(1, 10))), "e1"),
    ("upper_offsupport_spec", dict(scale=Fraction(1, 2)), "xC"),
    ("upper_offsupport_spec", dict(power=("alpha", Fraction(1, 10))), "xC"),
    ("lower_inf", dict(scale=2), "einf"),
    ("lower_inf", dict(power=("alpha", -Fraction(1, 10))), "einf"),
])
def test_d2_mutants_violated(name, mutation, observed):
    from implicitreg.theory.statement import alpha

    sc, e1, einf, xC, vals = _d2_case(ROW, "1e-30")
    bound = MS_D2_THEOREM.bound(name)
    if "power" in mutation:
        mutation = {"power": (alpha, mutation["power"][1])}
    obs = {"e1": e1, "einf": einf, "xC": xC}[observed]
    v = vals if name != "lower_inf" else {k: x for k, x in vals.items() if k != "n"}
    assert _holds(bound, obs, **v)[0]                    # the true bound holds ...
    assert not _holds(bound.mutated(**mutation), obs, **v)[0]  # ... and the mutant is caught


def test_d2_apriori_mutant_violated():
    from implicitreg.theory.statement import alpha

    sc, e1, einf, xC, vals = _d2_case(ROW, "1e-30")
    assert mpmath.mpf(10) ** -30 <= alpha_zero_d2(sc)
    v = {**vals, "Kbar1": k1_apriori(sc, "1e-30")}
    v.pop("K1")
    b = MS_D2_THEOREM.bound("upper_l1_apriori")
    assert _holds(b, e1, **v)[0]
    assert not _holds(b.mutated(scale=Fraction(1, 2)), e1, **v)[0]
    assert not _holds(b.mutated(power=(alpha, Fraction(1, 10))), e1, **v)[0]


@pytest.mark.parametrize("depth", [3, Fraction(5, 2), 5])
def test_d3_mutants_violated(depth):
    from implicitreg.theory.statement import alpha

    sc = support_constants(ROW)
    a = "1e-30"
    e1, einf, lim = limit_error(ROW, depth, a, sc.x_star, digits=30)
    pc, vals = _d3_values(lim, sc, a, Fraction(depth))
    with mpmath.workdps(lim.dps):
        M0 = offsupport_radius(depth, pc.rho_a, sc.n)
    up = MS_D3_THEOREM.bound("upper_l1")
    lo = MS_D3_THEOREM.bound("lower_inf")
    lv = {"alpha": Fraction(a), "D": Fraction(depth), "rho_minus": pc.rho_minus}
    assert _holds(up, e1, M0=M0, **vals)[0] and _holds(lo, einf, **lv)[0]
    assert not _holds(up.mutated(scale=Fraction(1, 2)), e1, M0=M0, **vals)[0]
    assert not _holds(up.mutated(power=(alpha, Fraction(1, 10))), e1, M0=M0, **vals)[0]
    assert not _holds(lo.mutated(scale=2), einf, **lv)[0]
    assert not _holds(lo.mutated(power=(alpha, -Fraction(1, 10))), einf, **lv)[0]


def test_sharpness_ratio_reaches_one_on_the_family():
    """error / upper bound -> 1 on A = [1, 9/10] (closed form, 60 digits): the MS-D2 constant cannot be lowered."""
    sc = support_constants(ROW9)
    ratios = []
    for a in ("1e-10", "1e-20", "1e-40"):
        e1, _, lim = limit_error(ROW9, 2, a, sc.x_star, digits=30)
        ratios.append(_holds(MS_D2_THEOREM.bound("upper_l1"), e1, **_d2_values(lim, sc, a))[1])
    assert all(r <= 1 for r in ratios)
    assert ratios[0] < ratios[1] < ratios[2]
    assert 1 - ratios[-1] < mpmath.mpf(10) ** -3
    # same on the closed form (independent of the engine): error / ((1 + r) alpha^(1 - r)) -> 1 with K1 -> 0
    fam = row_family_limit(2, Fraction(9, 10), 1, "1e-40", dps=60)
    with mpmath.workdps(60):
        assert abs(fam.error_l1 / (mpmath.mpf("1.9") * mpmath.mpf(10) ** -4) - 1) < mpmath.mpf(10) ** -3


def test_rate_mutants_rejected():
    """The fitted slope matches 1 - rho (D = 2) and 1 (D = 3) and rejects the exponents shifted by 0.1."""
    from implicitreg.proofs.checks import loglog_slope

    sc = support_constants(ROW9)
    alphas_ = ("1e-20", "1e-25", "1e-30")
    for depth, predicted in ((2, Fraction(1, 10)), (3, Fraction(1))):
        errs = [limit_error(ROW9, depth, a, sc.x_star, digits=30)[0] for a in alphas_]
        slope = loglog_slope([mpf_from(Fraction(a)) for a in alphas_], errs)
        assert abs(slope - mpf_from(predicted)) < 0.02
        for shift in (Fraction(1, 10), -Fraction(1, 10)):
            wrong = predicted + shift
            assert abs(slope - mpf_from(wrong)) > 0.02


def test_limit_mutant_rejected():
    """(x_inf - x*)/alpha -> ||e_D||_1 to 1e-9 at alpha = 1e-30 (D = 3); ||e_D||_1 x 1.1 or / 2 is far off."""
    from implicitreg.numerics.error_constants import limit_direction

    sc = support_constants(ROW)
    E1 = limit_direction(ROW, 3, sc=sc).e_norm1
    e1, _, lim = limit_error(ROW, 3, "1e-30", sc.x_star, digits=30)
    with mpmath.workdps(lim.dps):
        ratio = e1 * mpmath.mpf(10) ** 30
        assert abs(ratio / E1 - 1) < mpmath.mpf(10) ** -9
        for wrong in (E1 * mpmath.mpf("1.1"), E1 / 2):
            assert abs(ratio / wrong - 1) > mpmath.mpf(10) ** -3


def test_depth_comparison_and_its_mutant():
    """err_3 / err_2 < 1 on [1, 1/2] at alpha = 1e-1 .. 1e-8; the halved bound (1/2) fails at alpha = 1e-1."""
    from implicitreg.theory.diagonal import DEPTH_COMPARISON

    sc = support_constants(ROW)
    b = DEPTH_COMPARISON.bound("ratio")
    ratios = []
    for a in ("1e-1", "1e-4", "1e-8"):
        e2 = limit_error(ROW, 2, a, sc.x_star, digits=15)[0]
        e3 = limit_error(ROW, 3, a, sc.x_star, digits=15)[0]
        ratios.append(e3 / e2)
    assert all(b.holds(r) for r in ratios)
    assert not b.mutated(scale=Fraction(1, 2)).holds(ratios[0])
