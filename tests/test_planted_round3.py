"""Tests written against round 3's planted bugs that escaped (tools/planted_bugs_round3.json, docs/mutation.md);
each was verified to fail with its bug planted and to pass on the code."""
from __future__ import annotations

import json
from types import SimpleNamespace

import mpmath
import pytest

from implicitreg.errors import NotInRangeError
from implicitreg.numerics.instance import Instance


def test_dual_vector_of_a_rank_deficient_instance_sits_on_its_own_rows(tmp_path):
    # r3-certify-nu-rows: row 1 = 2 x row 0 is dropped, so nu must be 0 there and A^T nu = z on every column
    from implicitreg.numerics.dual_limit import gradient_flow_limit

    inst = Instance.from_lists([[1, 0, 1], [2, 0, 2], [0, 1, 1]], [1, 2, 1])
    res = gradient_flow_limit(inst, 2, "1e-6", digits=15)
    assert res.nu[1] == 0
    with mpmath.workdps(res.dps):
        for j in range(3):
            atnu = sum(mpmath.mpf(inst.A[i][j].numerator) / inst.A[i][j].denominator * res.nu[i] for i in range(3))
            assert abs(atnu - res.z[j]) <= mpmath.mpf(10) ** -20 * max(1, abs(res.z[j]))


def test_instance_load_refuses_y_outside_the_range_of_A(tmp_path):
    # r3-load-no-range-check
    f = tmp_path / "bad.json"
    f.write_text(json.dumps({"A": [[1, 1], [2, 2]], "y": [1, 3]}))
    with pytest.raises(NotInRangeError):
        Instance.load(f)


def test_ms_d3_lemma_check_fails_just_above_its_bound():
    # r3-ms-d3-slack: n = 1, so M0 = rho_a and max|w_C| may exceed it only by the 1e-20 rounding slack
    from implicitreg.proofs.derivations.ms_d3 import _check

    with mpmath.workdps(40):
        rho_a = mpmath.mpf("0.5")
        for excess, holds in ((mpmath.mpf("1e-6"), False), (mpmath.mpf(0), True)):
            w = rho_a * (1 + excess)
            limit = SimpleNamespace(z=[mpmath.mpf(1), w])
            sc = SimpleNamespace(complement=(1,), n=1)
            pc = SimpleNamespace(rho_a=rho_a, w_off=w)
            assert _check(limit, sc, 3, pc).holds is holds


def test_sweep_converts_a_product_alpha_to_the_per_factor_scale_by_the_root():
    # r3-sweep-alpha-factor: u(0) = alpha_prod^(1/D)
    from fractions import Fraction

    from implicitreg.experiments.sweep_tasks import _Diagonal

    content = {"instance": {"A": [[1, "1/2"]], "y": [1]}, "label": "row", "depth": "3",
               "alpha_convention": "product", "digits": 10}
    ctx = _Diagonal(content, Fraction(1, 10 ** 9))
    assert ctx.alpha_in("product") == Fraction(1, 10 ** 9)
    assert abs(ctx.alpha_in("factor") - mpmath.mpf("1e-3")) <= mpmath.mpf("1e-12")


def test_krawczyk_refuses_a_box_without_a_zero_that_a_newton_step_lands_in():
    # r3-krawczyk-jac-centre: F(nu) = 2 sinh(nu) - 1 has its zero at asinh(1/2) ~ 0.48, outside X = [1, 9]; the
    # Newton step from the centre 5 lands near 4, inside X, so only the Jacobian over the box refuses X
    from fractions import Fraction

    from implicitreg.proofs.checker.interval import CheckFailure, hi, lo, point, precision
    from implicitreg.proofs.checker.krawczyk import krawczyk

    A, y = [[Fraction(1)]], [Fraction(1)]
    with precision(30):
        with pytest.raises(CheckFailure):
            krawczyk(A, y, point(Fraction(1)), Fraction(2), [Fraction(5)], [Fraction(4)], "nu")
        K = krawczyk(A, y, point(Fraction(1)), Fraction(2), [Fraction(48, 100)], [Fraction(1, 100)], "nu")
        assert mpmath.mpf("0.47") < lo(K[0]) <= hi(K[0]) < mpmath.mpf("0.49")


def test_instance_verify_wah_c_uses_the_per_factor_alpha_at_a_real_depth():
    # r3-iv-factor-real-depth: at D = 5/2 the per-factor alpha is alpha_prod^(2/5); the WAH-C objective row's worst
    # ratio is recomputed here from the certified limits and the bound at that alpha
    from fractions import Fraction

    from implicitreg.numerics.basis_pursuit import l1_minimizer
    from implicitreg.numerics.dual_limit import gradient_flow_limit
    from implicitreg.proofs.instance_verify import _wah_rows
    from implicitreg.theory.selection import THM_C

    inst = Instance.from_lists([[1, "1/2", "1/3"]], [1])
    bp = l1_minimizer(inst)
    D, grid = Fraction(5, 2), ["1e-4", "1e-8", "1e-12"]
    rows = _wah_rows(inst, bp, D, grid, {"M": bp.value}, SimpleNamespace(not_applicable=[]))
    row = next(r for r in rows if "objective" in r.theorem)
    worst = mpmath.mpf(0)
    with mpmath.workdps(40):
        for a in grid:
            lim = gradient_flow_limit(inst, D, a, digits=20)
            X1 = mpmath.fsum(abs(v) for v in lim.x)
            gap = X1 - mpmath.mpf(bp.value.numerator) / bp.value.denominator
            af = mpmath.mpf(a) ** (mpmath.mpf(2) / 5)
            b = THM_C.bound("objective_p").evaluate(40, p=D, N=3, X1=X1, alpha=af)
            worst = max(worst, gap / b)
    assert abs(mpmath.mpf(row.margin) / worst - 1) < mpmath.mpf("1e-6")


def test_sweep_fits_the_rate_on_the_smallest_alphas():
    # r3-sweep-fit-largest: "a rate fitted on the smallest half (at least 3) of the alphas"
    from implicitreg.experiments.sweep_tasks import _fit_task

    alphas = ["1e-2", "1e-4", "1e-6", "1e-8", "1e-10", "1e-12"]
    content = {"instance": {"A": [[1, "1/2"]], "y": [1]}, "label": "row", "depth": "3",
               "alpha_convention": "product", "digits": 20, "alphas": alphas}
    row = _fit_task(content, {})
    products = [mpmath.mpf(v) for v in json.loads(row["extra"])["alpha_products"]]
    assert len(products) == 3
    for p, a in zip(products, alphas[-3:]):
        assert abs(p / mpmath.mpf(a) - 1) < mpmath.mpf("1e-6")
    assert row["verdict"] == "consistent"


def test_mc_lb_row_fails_when_one_sampled_minimizer_is_below_the_bound(monkeypatch):
    # r3-mclb-worst-max: the MC-LB row is decided on the flattest sample; one sample forced to half its sharpness
    # (below S_LB) must fail the row
    import numpy as np

    from implicitreg.proofs.suites import deep_linear as suite

    real = suite.dl.sharpness_closed_form
    calls = []

    def halved_fourth(net, data):
        calls.append(1)
        res = real(net, data)
        return SimpleNamespace(value=res.value / 2) if len(calls) == 4 else res

    monkeypatch.setattr(suite.dl, "sharpness_closed_form", halved_fourth)
    verdicts = []
    suite._mc_lb_rows(suite.instances()[2], 2, np.random.default_rng(0), 1, verdicts)
    assert len(calls) >= 4
    assert verdicts[0].theorem == "MC-LB" and verdicts[0].passed is False


def test_mutants_row_fails_when_one_wrong_bound_is_not_caught(monkeypatch):
    # r3-dl-mutants-any: the exponent mutant made harmless (replaced by 0.9 x the bound, which holds) must fail the "mutants caught" rows
    from implicitreg.proofs.suites import deep_linear as suite
    from implicitreg.theory.statement import Bound

    real = Bound.mutated

    def blind_power(self, scale=1, power=None):
        return real(self, scale) if power is None else real(self, "9/10")

    monkeypatch.setattr(Bound, "mutated", blind_power)
    verdicts = []
    suite._equality_rows(verdicts)
    rows = [v for v in verdicts if v.theorem == "MC-LB [mutants caught]"]
    assert rows and all(v.passed is False for v in rows)


def test_basis_pursuit_row_fails_when_the_face_misses_an_optimal_vertex(monkeypatch):
    # r3-bp-suite-vertex-subset: vertex enumeration given one more optimal point (the midpoint of two vertices: in
    # the face, not one of its vertices) must make the exact LP's vertex list disagree
    from implicitreg.proofs.suites import basis_pursuit as suite

    real = suite.enumerate_l1
    extended = []

    def one_more(A, y):
        ref = real(A, y)
        vs = list(ref.vertices)
        if len(vs) >= 2:
            vs.append(tuple((a + b) / 2 for a, b in zip(vs[0], vs[1])))
            extended.append(1)
        return SimpleNamespace(value=ref.value, unique=ref.unique, support=ref.support, signs=ref.signs, vertices=vs)

    monkeypatch.setattr(suite, "enumerate_l1", one_more)
    rows = [v for v in suite.run() if "vertex enumeration" in str(v.bound)]
    assert extended and rows
    assert sum(not v.passed for v in rows) == len(extended)


def test_dln_limit_row_judges_tiny_entries_relative_to_alpha(monkeypatch):
    # r3-dln-floor-one: the closed form's entries below 1e-20 moved by 1e-5 relative; at D = 3, alpha = 1e-30 those
    # entries are ~1e-30, so they agree to ~5 digits at the scale alpha_prod (not 35 at the scale 1): the row fails
    import dataclasses

    import implicitreg.numerics.limit as limit_module
    from implicitreg.proofs.suites import diagonal as suite

    real = limit_module.limit

    def perturbed(instance, depth, alpha, *, method="newton", **kw):
        res = real(instance, depth, alpha, method=method, **kw)
        if method != "closed-form":
            return res
        return dataclasses.replace(res, x=[v * (1 + mpmath.mpf("1e-5")) if abs(v) < mpmath.mpf("1e-20") else v
                                           for v in res.x])

    monkeypatch.setattr(limit_module, "limit", perturbed)
    rows = suite._dln_limit_rows(False)
    row = next(r for r in rows if r.depth == "3" and r.alpha_range == "1e-30")
    assert row.passed is False
