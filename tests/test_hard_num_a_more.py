"""More direct tests of the numerics' result fields and conventions (hardening pass, issue 13): exact basis pursuit
results by hand, alpha conventions of every limit path, the limit direction e_D and M_0 by their defining equations,
the float64 dual's state against the potentials, the mixed path's fixed-point products and rebuild rule.

Expected values come from hand computation, closed forms or an independent path, never from the code under test.
"""
from __future__ import annotations

from fractions import Fraction

import flint
import mpmath
import numpy as np
import pytest
from mpmath import mpf

from implicitreg.errors import HypothesisNotMetError, InvalidParameterError
from implicitreg.numerics import basis_pursuit as bp
from implicitreg.numerics import error_constants as ec
from implicitreg.numerics import kink
from implicitreg.numerics.dual_limit import gradient_flow_limit
from implicitreg.numerics.instance import Instance
from implicitreg.numerics.limit import limit
from implicitreg.numerics.potentials import dual_potential, link, link_derivative

F = Fraction
ROW = Instance.from_lists([[1, "1/2"]], [1])     # x* = (1, 0), lam = 1, rho = 1/2


# --- exact basis pursuit by hand ---------------------------------------------------------------------------------

def test_l1_minimizer_unique_by_hand():
    for y, s in ((1, 1), (-1, -1)):
        r = bp.l1_minimizer(Instance.from_lists([[1, "1/2"]], [y]))
        assert (r.x, r.value, r.unique, r.support, r.signs) == ((s, 0), 1, True, (0,), (s,))
        assert r.certificate == (s,) and r.rho == F(1, 2) and r.face.dimension == 0 and r.face.point == (s, 0)


def test_l1_minimizer_segment_by_hand():
    r = bp.l1_minimizer(Instance.from_lists([[1, 1]], [1]))
    # X_BP = segment [(1, 0), (0, 1)]: S = {0, 1}, sigma = (1, 1), lam = 1, nothing off S: rho = 0
    assert (r.value, r.unique, r.support, r.signs, r.certificate, r.rho) == (1, False, (0, 1), (1, 1), (1,), 0)
    assert r.x in ((1, 0), (0, 1)) and r.face.dimension == 1
    assert r.face.vertices == ((0, 1), (1, 0))
    assert r.face.point[0] > 0 and r.face.point[1] > 0 and sum(r.face.point) == 1


def test_nsp_constant_refuses_a_non_injective_support():
    with pytest.raises(HypothesisNotMetError):
        bp.nsp_constant([[1, 1, 0], [0, 0, 1]], [0, 1])


def test_rho_result_to_json_by_hand():
    # A = [1, 2, 3], S = {2}: lam = 1/3, rho = 2/3; v in ker A with ||v_C||_1 = 1, v_2 = 2/3: v = (0, -1, 2/3)
    r = bp.rho_constant([[1, 2, 3]], [2], [1])
    assert r.to_json() == {"value": "2/3", "lam": ["1/3"], "v": ["0", "-1", "2/3"]}


# --- alpha conventions of every path ----------------------------------------------------------------------------

def test_closed_form_alpha_conventions_agree():
    fam = Instance.from_lists([[1, "1/2", "1/2"]], [1])
    for inst in (fam, ROW):
        a = limit(inst, 3, "1/10", method="closed-form", alpha_convention="factor", digits=12)
        b = limit(inst, 3, "1/1000", method="closed-form", alpha_convention="product", digits=12)
        with mpmath.workdps(30):
            assert mpmath.almosteq(a.alpha_product, mpf(1) / 1000, 1e-25)
            assert all(mpmath.almosteq(u, v, 1e-12) for u, v in zip(a.x, b.x))
            assert a.alpha == F(1, 10) and a.alpha_convention == "factor"


def test_newton_limit_matches_the_kink_closed_form_in_every_certified_digit():
    r = limit(ROW, 3, "1/10", alpha_convention="factor", digits=12)
    assert r.method == "newton" and r.success and r.status == 0 and f"{r.digits} digits" in r.message
    assert "(mixed precision)" in r.message or "(full precision)" in r.message
    with mpmath.workdps(60):
        k = kink.kink_limit(F(1, 2), 3, F(1, 10), alpha_convention="factor", dps=60)
        for u, v in zip(r.x, k.x):
            assert abs(u - v) <= mpf(10) ** -r.digits * max(abs(v), mpf(1) / 1000)
        assert mpmath.almosteq(r.alpha_product, mpf(1) / 1000, 1e-25)


def test_dropped_dependent_row_gets_zero_multiplier():
    inst = Instance.from_lists([[1, "1/2"], [2, 1]], [1, 2])
    r = gradient_flow_limit(inst, 2, F(1, 100), digits=10)
    s = gradient_flow_limit(ROW, 2, F(1, 100), digits=10)
    assert r.nu[1] == 0 and len(r.nu) == 2 and r.method == "mixed"
    with mpmath.workdps(30):
        assert all(mpmath.almosteq(u, v, 1e-10) for u, v in zip(r.x, s.x))


# --- limit direction, M_0 -----------------------------------------------------------------------------------------

def test_limit_direction_on_the_row_by_hand():
    # ker A_S^T = {0}: lambda_3 = 1, w_C = 1/2, e_C = h_3(1/2) = 8 - 8/27, e_S = -(1/2) e_C
    d = ec.limit_direction(ROW, 3, digits=20)
    with mpmath.workdps(30):
        eC = 8 - mpf(8) / 27
        assert mpmath.almosteq(d.e[1], eC, 1e-20) and mpmath.almosteq(d.e[0], -eC / 2, 1e-20)
        assert mpmath.almosteq(d.e_norm1, eC * mpf(3) / 2, 1e-20) and mpmath.almosteq(d.e_norm_inf, eC, 1e-20)
        assert mpmath.almosteq(d.lam[0], 1, 1e-20) and d.digits >= 20


@pytest.mark.parametrize("n", [2, 5])
def test_offsupport_radius_solves_its_equations(n):
    with mpmath.workdps(30):
        ra = mpf("0.6")
        M = ec.offsupport_radius(3, ra, n)
        assert mpmath.almosteq(dual_potential(3, M), n * dual_potential(3, ra), 1e-15) and ra < M < 1
        Ms = ec.offsupport_radius_spec(3, ra, n)
        assert mpmath.almosteq((Ms - ra) * link(3, Ms), n * ra * link(3, ra), 1e-15) and ra < Ms < 1
        assert ec.offsupport_radius(3, ra, 1) == ra


def test_alpha_zero_is_infinite_without_an_off_support():
    sc = ec.support_constants(Instance.from_lists([[1, 0], [0, 1]], [1, 1]))
    assert ec.alpha_zero_d2(sc) == mpmath.inf
    with pytest.raises(InvalidParameterError):
        ec.crossover_alpha(ROW, 2)


# --- kink: the transition epsilon ---------------------------------------------------------------------------------

def test_transition_epsilon_level_bounds_and_root():
    for bad in (0, 1 / mpmath.sqrt(2), -mpf("0.1")):
        with pytest.raises(InvalidParameterError):
            kink.transition_epsilon(3, F(1, 10), bad)
    eps = kink.transition_epsilon(3, F(1, 10), mpf("0.3"), dps=15)
    e = F(mpmath.nstr(eps, 15))
    err = kink.kink_limit(e, 3, F(1, 10), dps=20).error
    assert abs(err - mpf("0.3")) < mpf("1e-5")


def test_kink_limit_depth_two_on_its_constraint():
    k = kink.kink_limit(F(1, 4), 2, F(1, 10), dps=30)
    with mpmath.workdps(30):
        a = mpf(1) / 100
        assert mpmath.almosteq(k.x[0] + mpf(3) / 4 * k.x[1], 1, 1e-25)
        assert mpmath.almosteq(k.x[0], a * link(2, k.z), 1e-25)
        assert mpmath.almosteq(k.x[1], a * link(2, mpf(3) / 4 * k.z), 1e-25)


# --- float64 dual state -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("D", [F(2), F(3), F(5, 2)])
def test_float64_dual_state_against_the_potentials(D):
    from implicitreg.numerics.float64_dual import Float64Dual

    A = [[F(1), F(1, 2)], [F(0), F(1, 4)]]
    P = Float64Dual(A, [F(1), F(1)], D)
    nu = np.array([0.25, -0.5])
    la = np.log(1e-3)
    _, x, w, aH = P.state(nu, la)
    with mpmath.workdps(30):
        z = [sum(float(A[i][j]) * nu[i] for i in range(2)) for j in range(2)]
        a = mpf("1e-3")
        for j in range(2):
            assert x[j] == pytest.approx(float(a * link(D, z[j])), rel=1e-12)
            assert w[j] == pytest.approx(float(a * link_derivative(D, z[j])), rel=1e-12)
        assert aH == pytest.approx(float(a * sum(dual_potential(D, v) for v in z)), rel=1e-9)
    g = np.array([1.0, -2.0])
    d = P.direction(w, g)
    Af = np.array([[float(v) for v in r] for r in A])
    assert np.allclose((Af * w) @ Af.T @ d, g, rtol=1e-10)


# --- mixed path: fixed point and rebuild rule ---------------------------------------------------------------------

def test_fixed_point_by_hand():
    from implicitreg.numerics.mixed_limit import _fixed_point

    # 1.5 = 3 2^-1 (top bit 2^1), -0.25: K = 10 - 1 = 9 -> 768, -128
    assert _fixed_point([flint.arb(1.5), flint.arb(-0.25)], 10) == ([768, -128], 9)
    assert _fixed_point([flint.arb(0), flint.arb(0)], 10) == ([0, 0], 0)


def test_rebuild_pays_by_hand():
    from implicitreg.numerics.mixed_limit import _rebuild_pays

    c, p = flint.arb("1e-6"), flint.arb("1e-3")
    # gained now 3 digits/step, with a new J 6 (accuracy 20): remaining 30 - 6 = 24 -> (8 - 4) steps saved
    assert _rebuild_pays(c, p, 30, 20, build=3.9, step=1.0)
    assert not _rebuild_pays(c, p, 30, 20, build=4.1, step=1.0)
    assert not _rebuild_pays(c, p, 30, 3, build=0.1, step=1.0)     # new J no better than 3 digits/step
    assert not _rebuild_pays(c, p, 5, 20, build=0.0, step=1.0)      # nothing remaining (5 - 6 < 0)
    assert not _rebuild_pays(c, c, 30, 20, build=0.0, step=1.0)     # no observed contraction


def test_mixed_dual_products_are_exact_to_working_precision():
    from implicitreg.numerics.integer_form import IntegerRows
    from implicitreg.numerics.mixed_limit import MixedDual
    from implicitreg.numerics.precision import flint_precision

    A = [[F(1), F(1, 3), F(-2, 7)], [F(0), F(1, 5), F(1)]]
    y = [F(1), F(1, 2)]
    with flint_precision(40):
        M = MixedDual(y, F(2), IntegerRows(A))
        nu = [flint.arb(F(3, 8).numerator) / 8, flint.arb(-5) / 16]
        exact_nu = [F(3, 8), F(-5, 16)]
        for j, v in enumerate(M.zvec(nu)):
            zj = sum(A[i][j] * exact_nu[i] for i in range(2))
            assert abs(v - flint.arb(flint.fmpq(zj.numerator, zj.denominator))) < flint.arb(10) ** -35
        x = [flint.arb(1) / 4, flint.arb(-1), flint.arb(1) / 2]
        exact_x = [F(1, 4), F(-1), F(1, 2)]
        for i, v in enumerate(M.gradient(x)):
            gi = y[i] - sum(A[i][j] * exact_x[j] for j in range(3))
            assert abs(v - flint.arb(flint.fmpq(gi.numerator, gi.denominator))) < flint.arb(10) ** -35


# --- more refusals and fallbacks ------------------------------------------------------------------------------------

def test_small_refusals():
    from implicitreg.errors import InvalidInstanceError

    with pytest.raises(InvalidParameterError):
        bp.rho_constant([[1, 2]], [True], [1])               # a bool is not an index
    with pytest.raises(InvalidInstanceError):
        bp.rho_constant([[]], [], [])
    with pytest.raises(HypothesisNotMetError):
        ec.support_constants(Instance.from_lists([[1, "1/2"]], [0]))   # x* = 0
    from implicitreg.numerics import selection as sel

    with pytest.raises(InvalidParameterError, match="vanish off the support"):
        sel.select_on_face([F(1), F(0)], [[F(1), F(1)]], 2, digits=5)


def test_selected_minimizer_unique_path_fields():
    from implicitreg.numerics.selection import selected_minimizer

    r = selected_minimizer(ROW, 3, digits=12)
    assert r.x == [1, 0] and r.unique_bp and r.face_dimension == 0 and r.digits == 12 and r.support == (0,)
    assert r.depth == 3 and "power" in r.functional
    for bad in (0, -5, True, 2.0):     # the unique path claims the digits it is given: they must be valid
        with pytest.raises(InvalidParameterError):
            selected_minimizer(ROW, 3, digits=bad)
        with pytest.raises(InvalidParameterError):
            selected_minimizer(Instance.from_lists([[1, 1]], [1]), 3, digits=bad)


def test_mixed_failure_falls_back_to_the_full_solve(monkeypatch):
    from implicitreg.errors import ConvergenceError
    from implicitreg.numerics import mixed_limit

    def boom(*args, **kwargs):
        raise ConvergenceError("planted failure")

    monkeypatch.setattr(mixed_limit, "mixed_pair", boom)
    r = gradient_flow_limit(ROW, 2, F(1, 100), digits=10)
    assert r.method == "full" and "planted failure" in r.message and r.digits >= 10
    with mpmath.workdps(30):
        k = kink.kink_limit(F(1, 2), 2, F(1, 100), alpha_convention="product", dps=40)
        assert all(mpmath.almosteq(u, v, 1e-10) for u, v in zip(r.x, k.x))


def test_float64_residual_is_the_max_over_rows(monkeypatch):
    from implicitreg.numerics import float64_limit

    inst = Instance.from_lists([[1, "1/2"], [0, 1]], [1, 1])      # x = (1, 0): row residuals 0 and 1
    monkeypatch.setattr(float64_limit, "float64_gradient_flow_limit",
                        lambda A, y, D, a: float64_limit.Float64Limit(np.array([1.0, 0.0]), True, "ok"))
    assert limit(inst, 2, "1/100", method="float64").residual == 1
    monkeypatch.setattr(float64_limit, "float64_gradient_flow_limit",
                        lambda A, y, D, a: float64_limit.Float64Limit(np.array([np.nan, 0.0]), False, "nan"))
    assert limit(inst, 2, "1/100", method="float64").residual == mpmath.inf


def test_float64_limit_depth_three_stays_in_the_domain():
    from implicitreg.numerics.float64_limit import float64_gradient_flow_limit

    r = float64_gradient_flow_limit([[1.0, 0.5]], [1.0], 3, 1e-6)
    k = kink.kink_limit(F(1, 2), 3, F(1, 10 ** 6), alpha_convention="product", dps=30)
    assert r.success and np.allclose(r.x, [float(v) for v in k.x], rtol=1e-8, atol=0)


def test_precision_helpers_edges():
    from implicitreg.numerics.precision import flint_precision, log10_abs

    assert log10_abs(mpf(0)) == -mpmath.inf and log10_abs(mpf(-100)) == pytest.approx(2.0)
    assert log10_abs(mpf("1e-400")) == pytest.approx(-400.0)
    old = flint.ctx.prec
    with pytest.raises(RuntimeError):
        with flint_precision(100):
            assert flint.ctx.prec == 337
            raise RuntimeError
    assert flint.ctx.prec == old


def test_json_value_numpy():
    from implicitreg.numerics._result import json_value

    assert json_value(np.array([1, 2])) == [1, 2] and json_value(np.float64(0.25)) == "0.25"
    assert json_value(np.array([[0.5]])) == [["0.5"]]


def test_limit_direction_nontrivial_newton_against_the_flow_limit():
    """e_D with a one-dimensional ker A_S^T (S = {0}, m = 2): A e = 0, A_S^T lambda = sigma, and e_D is the limit of
    (x_inf - x*)/alpha_prod: at alpha_prod = 1e-12 they agree to ~alpha^((D-2)/D) = 1e-4 relative."""
    inst = Instance.from_lists([[1, 0, "1/2", "1/3"], [0, 1, "1/4", "-1/2"]], [1, 0])
    d = ec.limit_direction(inst, 3, digits=12)
    with mpmath.workdps(30):
        A = [[mpf(1), 0, mpf(1) / 2, mpf(1) / 3], [0, mpf(1), mpf(1) / 4, -mpf(1) / 2]]
        for row in A:
            assert abs(mpmath.fsum(a * e for a, e in zip(row, d.e))) < mpf(10) ** -12
        assert mpmath.almosteq(d.lam[0], 1, 1e-20) and d.lam[1] != 0
        r = gradient_flow_limit(inst, 3, F(1, 10 ** 12), digits=12)
        x_star = (1, 0, 0, 0)
        scaled = [(x - s) * 10 ** 12 for x, s in zip(r.x, x_star)]
        assert max(abs(u - v) for u, v in zip(scaled, d.e)) < mpf("1e-3") * max(abs(v) for v in d.e)


@pytest.mark.parametrize("depth,ratio", [(3, "0.5"), (4, "2"), (2, "1.5")])
def test_collapse_profile_solves_its_equation(depth, ratio):
    with mpmath.workdps(30):
        r = mpf(ratio)
        prof = kink.collapse_profile(depth, r)
        if depth == 2:
            assert mpmath.almosteq(prof, mpmath.sqrt(2) / (1 + mpmath.exp(r)), 1e-25)
            return
        k = mpf(depth) / (depth - 2)
        w = (prof / mpmath.sqrt(2)) ** (-1 / k) - r        # prof = sqrt(2) (w + r)^(-k)
        assert w > 1 and mpmath.almosteq(w ** (-k) + (w + r) ** (-k), 1, 1e-20)


@pytest.mark.parametrize("kwargs", [dict(depth=2, alpha=0), dict(depth=2, alpha=-1), dict(depth=1, alpha="1/10"),
                                    dict(depth=2, alpha="1/10", alpha_convention="Product"),
                                    dict(depth=2, alpha="1/10", method=None)])
def test_limit_refuses_bad_parameters_for_every_method(kwargs):
    for method in ("newton", "closed-form", "float64", "flow"):
        kw = dict(dict(method=method, digits=5), **kwargs)
        with pytest.raises(InvalidParameterError):
            limit(ROW, kw.pop("depth"), kw.pop("alpha"), **kw)
